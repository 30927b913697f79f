"""Checks on mappings from CRM exports, and the silent money-loss checks found on real data."""

from __future__ import annotations

from collections.abc import Iterator

from leadcontract.checks._context import LintContext, check
from leadcontract.diagnostics import Diagnostic
from leadcontract.drift import known_event_types
from leadcontract.model import EventValue
from leadcontract.presets import PRESETS, resolve_mappings


@check("LC950")
def check_presets_exist(ctx: LintContext) -> Iterator[Diagnostic]:
    """`mappings.extends` names presets the library ships."""
    for i, name in enumerate(ctx.contract.mappings.extends):
        if name not in PRESETS:
            yield ctx.unknown("LC950", "preset", name, PRESETS, f"/mappings/extends/{i}")


@check("LC951")
def check_mapping_targets(ctx: LintContext) -> Iterator[Diagnostic]:
    """Event mappings make event types and fill lead fields the contract has."""
    contract = ctx.contract
    known = known_event_types(contract)
    for i, mapping in enumerate(contract.mappings.events):
        where = f"/mappings/events/{i}"
        kind = mapping.set.get("type")
        if kind is not None and kind.lower() not in known:
            yield ctx.unknown("LC951", "event type", kind, known, f"{where}/set/type")
        source = mapping.columns.get("type")
        if isinstance(source, EventValue):
            for key, target in source.map.items():
                if target is not None and target.lower() not in known:
                    yield ctx.unknown(
                        "LC951", "event type", target, known, f"{where}/columns/type/map/{key}"
                    )
        for name in mapping.fields:
            if name not in contract.lead.fields:
                yield ctx.unknown(
                    "LC951", "lead field", name, contract.lead.fields, f"{where}/fields/{name}"
                )


@check("LC952")
def check_value_maps_apply(ctx: LintContext) -> Iterator[Diagnostic]:
    """Every value map entry can apply: its target is allowed and no other key shadows it."""
    for name, spec in ctx.contract.lead.fields.items():
        seen: dict[str, str] = {}
        allowed = {v.casefold() for v in spec.values} if spec.values is not None else None
        for key, target in spec.value_map.items():
            pointer = f"/lead/fields/{name}/value_map/{key}"
            folded = key.strip().casefold()
            if folded in seen:
                yield ctx.report(
                    "LC952",
                    f"value map key {key!r} of field `{name}` never applies: "
                    f"{seen[folded]!r} already maps the same value (keys ignore case and spaces)",
                    pointer,
                    key=True,
                )
                continue
            seen[folded] = key
            if allowed is not None and target is not None and target.casefold() not in allowed:
                yield ctx.report(
                    "LC952",
                    f"value map {key!r} → {target!r} of field `{name}` never applies: "
                    f"{target!r} is not an allowed value",
                    pointer,
                    hint="allowed: " + ", ".join(spec.values or []),
                )


@check("LC953")
def check_sample_columns(ctx: LintContext) -> Iterator[Diagnostic]:
    """With an export sample, every mapped column is in its header."""
    contract = ctx.contract
    resolved = resolve_mappings(contract)
    for kind, file, columns in ctx.samples:
        loose = {_loose(c) for c in columns}

        def has(column: str, loose: set[str] = loose) -> bool:
            head = column.partition(".")[0]
            return _loose(column) in loose or _loose(head) in loose

        if kind == "lead":
            for name, spec in contract.lead.fields.items():
                if spec.source is None and not spec.required:
                    continue
                wanted = [name, *([spec.source] if spec.source else [])]
                wanted = list(dict.fromkeys([*wanted, *resolved.sources.get(name, ())]))
                if not any(has(c) for c in wanted):
                    yield ctx.report(
                        "LC953",
                        f"field `{name}` reads column "
                        + " or ".join(f"`{c}`" for c in wanted)
                        + f", which {file} does not have",
                        f"/lead/fields/{name}",
                        key=True,
                    )
            continue
        for i, mapping in enumerate(contract.mappings.events):
            named = [
                *mapping.when,
                *(s.column if isinstance(s, EventValue) else s for s in mapping.columns.values()),
                *mapping.fields.values(),
            ]
            for column in named:
                if not has(column):
                    yield ctx.report(
                        "LC953",
                        f"event mapping `{mapping.id}` reads column `{column}`, "
                        f"which {file} does not have",
                        f"/mappings/events/{i}",
                    )


def _loose(name: str) -> str:
    return name.casefold().replace(" ", "").replace("_", "")


@check("LC954")
def check_spiff_roles_played(ctx: LintContext) -> Iterator[Diagnostic]:
    """Every role a spiff pays (earner, split) is played by a rep of the contract."""
    contract = ctx.contract
    played = {role for rep in contract.reps.values() for role in rep.all_roles}
    for spiff_id, spiff in contract.spiffs.items():
        roles = [
            (s.role, f"/spiffs/{spiff_id}/split/{i}/role") for i, s in enumerate(spiff.split or [])
        ]
        if spiff.earner != "owner":
            roles.append((spiff.earner, f"/spiffs/{spiff_id}/earner"))
        for role, pointer in roles:
            if role not in played:
                yield ctx.report(
                    "LC954",
                    f"spiff `{spiff_id}` pays role `{role}`, which no rep plays: its share "
                    "would go to an unassigned statement",
                    pointer,
                    hint="give a rep that role (`role:` or `roles:` under `reps`)",
                )


@check("LC955")
def check_campaigns_covered(ctx: LintContext) -> Iterator[Diagnostic]:
    """A campaign has an SLA and a spiff when its siblings on the same channel have one."""
    contract = ctx.contract
    sla_scopes = [sla.applies_to.campaigns for sla in contract.slas.values()]
    covers = {
        "SLA": None
        if any(s is None for s in sla_scopes)
        else {c for s in sla_scopes for c in s or ()},
        "spiff": {c for spiff in contract.spiffs.values() for c in spiff.campaigns},
    }
    for what, covered in covers.items():
        if not covered:
            continue  # none at all, or one for every campaign
        for campaign_id, campaign in contract.campaigns.items():
            if campaign_id in covered:
                continue
            siblings = sorted(
                c for c in covered if c in contract.campaigns
                and contract.campaigns[c].channel == campaign.channel
            )  # fmt: skip
            if siblings:
                yield ctx.report(
                    "LC955",
                    f"no {what} covers campaign `{campaign_id}`, while {', '.join(siblings)} "
                    f"on the same channel `{campaign.channel}` has one",
                    f"/campaigns/{campaign_id}",
                    key=True,
                    hint=f"add it to the {what}'s campaigns (or ignore this if intended)",
                )
