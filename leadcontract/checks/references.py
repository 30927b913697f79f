"""Checks that every name a contract uses is defined somewhere in it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from leadcontract.checks._context import LintContext, check
from leadcontract.diagnostics import Diagnostic
from leadcontract.fields import FieldType
from leadcontract.model import StageRole, Trigger
from leadcontract.scopes import DEAL_SYMBOLS, known_events


@check("LC104")
def check_duplicate_ids(ctx: LintContext) -> Iterator[Diagnostic]:
    """Ids in a list (stages, scoring rules, buyer stages) are unique."""
    lead = ctx.contract.lead
    lists: list[tuple[str, Iterable[Any]]] = [
        ("/lead/lifecycle/stages", lead.lifecycle.stages),
        ("/lead/scoring/fit/rules", lead.scoring.fit.rules),
        ("/lead/scoring/engagement/rules", lead.scoring.engagement.rules),
        ("/lead/buyer_stages", lead.buyer_stages),
    ]
    for base, items in lists:
        first: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.id in first:
                where = ctx.source.locate(f"{base}/{first[item.id]}/id")
                yield ctx.report(
                    "LC104",
                    f"id `{item.id}` is used twice in `{base[1:].replace('/', '.')}`; "
                    f"first at line {where.line}",
                    f"{base}/{i}/id",
                    hint="give each entry its own id",
                )
            else:
                first[item.id] = i


@check("LC301", "LC203")
def check_field_references(ctx: LintContext) -> Iterator[Diagnostic]:
    """Keys, consent flags, handoff fields and trigger fields name lead fields of the right type."""
    fields = ctx.contract.lead.fields
    expected_types = {
        "id": (FieldType.STRING, FieldType.INTEGER),
        "created": (FieldType.DATETIME,),
        "campaign": (FieldType.STRING,),
        "owner": (FieldType.STRING,),
        "timezone": (FieldType.STRING,),
    }
    keys = ctx.contract.lead.keys
    written = keys.model_fields_set if "keys" in ctx.contract.lead.model_fields_set else set()
    for role, allowed in expected_types.items():
        name = getattr(keys, role)
        if name is None:
            continue
        if role in written:
            yield from _field(ctx, name, f"/lead/keys/{role}", allowed, f"the `{role}` key")
        elif name not in fields:
            # Nothing was written where the default applies: say so, at the fields it is
            # missing from, instead of reporting a name the author never wrote.
            yield ctx.report(
                "LC301",
                f"`lead.keys.{role}` defaults to the field `{name}`, which is not a lead field",
                "/lead/fields",
                key=True,
                hint=f"add a field `{name}` under `lead.fields`, or set `lead.keys.{role}` "
                "to the field that plays this role",
            )
        elif fields[name].type not in allowed:
            yield from _field(ctx, name, f"/lead/fields/{name}/type", allowed, f"the `{role}` key")
    for channel, name in ctx.contract.lead.consent.items():
        yield from _field(
            ctx, name, f"/lead/consent/{channel}", (FieldType.BOOLEAN,), "a consent flag"
        )
    for campaign_id, campaign in ctx.contract.campaigns.items():
        for i, name in enumerate(campaign.handoff.required_fields):
            pointer = f"/campaigns/{campaign_id}/handoff/required_fields/{i}"
            yield from _field(ctx, name, pointer, None, "a handoff field")
    for sla_id, name, trigger in _sla_triggers(ctx):
        if trigger.field is not None:
            pointer = f"/slas/{sla_id}/{name}/field"
            yield from _field(
                ctx,
                trigger.field,
                pointer,
                (FieldType.DATETIME, FieldType.DATE),
                f"the field of a `{name}` trigger",
            )
    for spiff_id, spiff in ctx.contract.spiffs.items():
        unit = spiff.amount.unit
        if unit is not None and unit not in fields and unit not in DEAL_SYMBOLS:
            yield ctx.unknown(
                "LC301",
                "unit field",
                unit,
                [*fields, *DEAL_SYMBOLS],
                f"/spiffs/{spiff_id}/amount/unit",
            )


def _field(
    ctx: LintContext,
    name: str,
    pointer: str,
    allowed: tuple[FieldType, ...] | None,
    role: str,
) -> Iterator[Diagnostic]:
    fields = ctx.contract.lead.fields
    if name not in fields:
        yield ctx.unknown("LC301", "lead field", name, fields, pointer)
    elif allowed is not None and fields[name].type not in allowed:
        kinds = " or ".join(t.value for t in allowed)
        yield ctx.report(
            "LC203",
            f"field `{name}` is {_a(fields[name].type.value)}, but {role} must be {_a(kinds)}",
            pointer,
        )


def _a(word: str) -> str:
    """``word`` with its indefinite article (an integer, a string)."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _sla_triggers(ctx: LintContext) -> Iterator[tuple[str, str, Trigger]]:
    for sla_id, sla in ctx.contract.slas.items():
        for name, trigger in sla.triggers():
            yield sla_id, name, trigger


@check("LC302", "LC307")
def check_stage_references(ctx: LintContext) -> Iterator[Diagnostic]:
    """Transitions, handoff points, triggers, outcomes and recycle targets name real stages."""
    known = ctx.stage_index
    for i, stage in enumerate(ctx.stages):
        for j, target in enumerate(stage.next or ()):
            if target not in known:
                pointer = f"/lead/lifecycle/stages/{i}/next/{j}"
                yield ctx.unknown("LC302", "stage", target, known, pointer)
    for campaign_id, campaign in ctx.contract.campaigns.items():
        if campaign.handoff.stage not in known:
            pointer = f"/campaigns/{campaign_id}/handoff/stage"
            yield ctx.unknown("LC302", "stage", campaign.handoff.stage, known, pointer)
    for sla_id, name, trigger in _sla_triggers(ctx):
        for j, stage_id in enumerate(trigger.stage or ()):
            if stage_id not in known:
                pointer = f"/slas/{sla_id}/{name}/stage/{j}"
                yield ctx.unknown("LC302", "stage", stage_id, known, pointer)
    for spiff_id, spiff in ctx.contract.spiffs.items():
        if spiff.outcome not in known:
            yield ctx.unknown("LC302", "stage", spiff.outcome, known, f"/spiffs/{spiff_id}/outcome")
    reasons = ctx.contract.lead.disqualification.reasons
    for reason_id, reason in reasons.items():
        if reason.recycle is None:
            continue
        pointer = f"/lead/disqualification/reasons/{reason_id}/recycle/to"
        target = reason.recycle.to
        if target not in known:
            yield ctx.unknown("LC302", "stage", target, known, pointer)
        elif ctx.stages[known[target]].effective_role is not StageRole.NURTURE:
            nurture = [s.id for s in ctx.stages if s.effective_role is StageRole.NURTURE]
            yield ctx.report(
                "LC307",
                f"reason `{reason_id}` recycles to `{target}`, which is not a nurture stage",
                pointer,
                hint=f"recycle to {', '.join(f'`{n}`' for n in nurture)}"
                if nurture
                else "add a stage with `role: nurture`",
            )


@check("LC303", "LC309")
def check_calendar_and_rep_references(ctx: LintContext) -> Iterator[Diagnostic]:
    """SLAs and reps name calendars that exist; reps' managers are reps."""
    calendars = ctx.contract.calendars
    reps = ctx.contract.reps
    for sla_id, sla in ctx.contract.slas.items():
        if sla.calendar is not None and sla.calendar not in calendars:
            yield ctx.unknown(
                "LC303", "calendar", sla.calendar, calendars, f"/slas/{sla_id}/calendar"
            )
    for rep_id, rep in reps.items():
        if rep.calendar is not None and rep.calendar not in calendars:
            yield ctx.unknown(
                "LC303", "calendar", rep.calendar, calendars, f"/reps/{rep_id}/calendar"
            )
        if rep.manager is not None and rep.manager not in reps:
            yield ctx.unknown("LC309", "rep", rep.manager, reps, f"/reps/{rep_id}/manager")


@check("LC304", "LC305")
def check_campaign_and_sla_references(ctx: LintContext) -> Iterator[Diagnostic]:
    """SLA selectors and spiffs name campaigns that exist; spiffs require SLAs that exist."""
    campaigns = ctx.contract.campaigns
    slas = ctx.contract.slas
    for sla_id, sla in ctx.contract.slas.items():
        for i, campaign_id in enumerate(sla.applies_to.campaigns or ()):
            if campaign_id not in campaigns:
                pointer = f"/slas/{sla_id}/applies_to/campaigns/{i}"
                yield ctx.unknown("LC304", "campaign", campaign_id, campaigns, pointer)
    for spiff_id, spiff in ctx.contract.spiffs.items():
        for i, campaign_id in enumerate(spiff.campaigns):
            if campaign_id not in campaigns:
                pointer = f"/spiffs/{spiff_id}/campaigns/{i}"
                yield ctx.unknown("LC304", "campaign", campaign_id, campaigns, pointer)
        for i, required in enumerate(spiff.requires_slas):
            if required not in slas:
                pointer = f"/spiffs/{spiff_id}/requires_slas/{i}"
                yield ctx.unknown("LC305", "SLA", required, slas, pointer)


@check("LC306", "LC308")
def check_event_references(ctx: LintContext) -> Iterator[Diagnostic]:
    """Scoring rules, stages, triggers and clawbacks name event types that exist (declared in
    lower case), and reasons that exist."""
    events = known_events(ctx.contract)
    reasons = ctx.contract.lead.disqualification.reasons
    for i, rule in enumerate(ctx.contract.lead.scoring.engagement.rules):
        if rule.event not in events:
            pointer = f"/lead/scoring/engagement/rules/{i}/event"
            yield ctx.unknown("LC308", "event type", rule.event, events, pointer)
    for name in ctx.contract.lead.events:
        if name != name.lower():
            yield ctx.report(
                "LC308",
                f"event type `{name}` has capitals, but event types are read in lower case, "
                "so no event would ever match it",
                f"/lead/events/{name}",
                key=True,
                hint=f"write `{name.lower()}`",
            )
    for i, stage in enumerate(ctx.stages):
        for j, event in enumerate(stage.on or ()):
            if event not in events:
                pointer = f"/lead/lifecycle/stages/{i}/on/{j}"
                yield ctx.unknown("LC308", "event type", event, events, pointer)
    for sla_id, name, trigger in _sla_triggers(ctx):
        for j, event in enumerate(trigger.event or ()):
            if event not in events:
                pointer = f"/slas/{sla_id}/{name}/event/{j}"
                yield ctx.unknown("LC308", "event type", event, events, pointer)
        for j, reason in enumerate(trigger.reasons or ()):
            if reason not in reasons:
                pointer = f"/slas/{sla_id}/{name}/reasons/{j}"
                yield ctx.unknown("LC306", "disqualification reason", reason, reasons, pointer)
    for spiff_id, spiff in ctx.contract.spiffs.items():
        if spiff.clawback is None:
            continue
        for j, event in enumerate(spiff.clawback.on):
            if event not in events:
                pointer = f"/spiffs/{spiff_id}/clawback/on/{j}"
                yield ctx.unknown("LC308", "event type", event, events, pointer)


@check("LC310")
def check_channel_case(ctx: LintContext) -> Iterator[Diagnostic]:
    """Channels are written in lower case, as events report them."""
    places: list[tuple[str, str]] = []
    for i, rule in enumerate(ctx.contract.lead.scoring.engagement.rules):
        if rule.channel is not None:
            places.append((f"/lead/scoring/engagement/rules/{i}/channel", rule.channel))
    places += [(f"/lead/consent/{channel}", channel) for channel in ctx.contract.lead.consent]
    for sla_id, name, trigger in _sla_triggers(ctx):
        places += [
            (f"/slas/{sla_id}/{name}/channels/{j}", channel)
            for j, channel in enumerate(trigger.channels or ())
        ]
    for sla_id, sla in ctx.contract.slas.items():
        if sla.attempts is not None:
            places += [
                (f"/slas/{sla_id}/attempts/channels/{j}", channel)
                for j, channel in enumerate(sla.attempts.channels or ())
            ]
    for pointer, channel in places:
        if channel != channel.lower():
            key = pointer.startswith("/lead/consent/")
            yield ctx.report(
                "LC310",
                f"channel `{channel}` has capitals, but event channels are read in lower case, "
                "so it never matches",
                pointer,
                key=key,
                hint=f"write `{channel.lower()}`",
            )
