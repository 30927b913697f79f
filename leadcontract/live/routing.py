"""Who hears about what: a happening plus the contract's ``notifications:`` rules -> messages.

A *happening* is one thing about one lead worth telling while there is still time (a warning
threshold crossed, a breach, an escalation, a correction, a handoff or feedback waiting). The
rules of the contract pick the recipients; each (happening, rule) pair becomes one notification
with a stable id, so the outbox can refuse a second copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadcontract.model import Contract, NotificationKind, NotificationRule, Team
from leadcontract.verdict import Verdict, format_instant

__all__ = ["DEFAULT_RULE", "Happening", "check_link_template", "route"]

DEFAULT_RULE = NotificationRule(on=list(NotificationKind), to=["owner"])
"""Without a ``notifications:`` section, the lead's rep hears about everything."""

_SLA_KINDS = frozenset(
    {
        NotificationKind.WARNING,
        NotificationKind.BREACH,
        NotificationKind.ESCALATION,
        NotificationKind.CORRECTION,
    }
)


@dataclass(frozen=True, slots=True)
class Happening:
    """One thing about one lead worth telling: what, when, about which SLA."""

    kind: NotificationKind
    lead_id: str
    instant: datetime
    sla: str | None = None
    percent: int | None = None
    target: str | None = None
    corrects: str | None = None
    """For a correction: the key of the happening it withdraws."""
    generation: int = 1
    """How often this happening occurred (it may be withdrawn and occur again)."""

    @property
    def key(self) -> str:
        """Identity of the happening within its lead."""
        parts = [self.kind.value, self.sla or "", format_instant(self.instant)]
        if self.percent is not None:
            parts.append(str(self.percent))
        if self.corrects is not None:
            parts.append(self.corrects)
        return "|".join(parts)


def route(
    happening: Happening,
    verdict: Verdict,
    contract: Contract,
    *,
    link_template: str | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """The notifications (id, payload) this happening causes under the contract's rules."""
    rules = contract.notifications or {"default": DEFAULT_RULE}
    clock = next((c for c in verdict.slas if c.sla == happening.sla), None)
    out: list[tuple[str, dict[str, Any]]] = []
    for rule_id, rule in rules.items():
        if not _applies(rule, happening):
            continue
        recipients = _recipients(rule, happening, verdict, contract)
        if not recipients:
            continue
        ident = hashlib.sha256(
            f"{happening.lead_id}\x1f{happening.key}\x1f{happening.generation}\x1f{rule_id}".encode()
        ).hexdigest()[:32]
        payload = _payload(
            happening,
            verdict=verdict,
            contract=contract,
            rule_id=rule_id,
            recipients=recipients,
            link_template=link_template,
        )
        if clock is not None:
            payload.update(
                status=clock.status,
                due=format_instant(clock.due) if clock.due else None,
                due_local=_local(clock.due, _rep_zone(contract, verdict.owner)),
                party=clock.party or _responsible(contract, happening.sla),
            )
        out.append((ident, {"id": ident, **payload}))
    return out


def check_link_template(template: str) -> None:
    """Refuse a link template that names anything but ``{lead_id}`` (ValueError, saying what).

    The link is made for each notification as it is routed: a template naming ``{id}`` raised
    KeyError there, inside every judgment that had something to tell, so nothing was ever
    told. Checked once, when the monitor is made, the mistake is the operator's to see.
    """
    try:
        template.format(lead_id="L1")
    except (KeyError, IndexError, AttributeError, ValueError) as error:
        problem = f"names {{{error.args[0]}}}" if isinstance(error, KeyError) else str(error)
        raise ValueError(
            f"link template {template!r}: {problem}; the only placeholder is {{lead_id}} "
            "(write a literal brace as {{ or }})"
        ) from None


def _applies(rule: NotificationRule, happening: Happening) -> bool:
    if happening.kind not in rule.on:
        return False
    if rule.slas is not None and happening.kind in _SLA_KINDS and happening.sla not in rule.slas:
        return False
    return not (
        rule.percent is not None
        and happening.kind is NotificationKind.WARNING
        and (happening.percent or 0) < rule.percent
    )


def _recipients(
    rule: NotificationRule, happening: Happening, verdict: Verdict, contract: Contract
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(rep_id: str | None, role: str) -> None:
        if rep_id is None or rep_id in seen:
            return
        seen.add(rep_id)
        rep = contract.reps.get(rep_id)
        found.append({"id": rep_id, "name": rep.name if rep else rep_id, "as": role})

    owner = verdict.owner
    for who in rule.to:
        if who == "owner":
            add(owner, "owner")
        elif who == "manager":
            rep = contract.reps.get(owner) if owner else None
            add(rep.manager if rep else None, "manager")
        elif who == "escalation":
            sla = contract.slas.get(happening.sla) if happening.sla else None
            add(sla.escalate_to if sla else None, "escalation")
        elif who in {team.value for team in Team}:
            for person in contract.metadata.owners:
                if person.team.value == who and person.name not in seen:
                    seen.add(person.name)
                    found.append({"id": who, "name": person.name, "email": person.email, "as": who})
        else:
            add(who, "named")
    return found


def _payload(
    happening: Happening,
    *,
    verdict: Verdict,
    contract: Contract,
    rule_id: str,
    recipients: list[dict[str, Any]],
    link_template: str | None,
) -> dict[str, Any]:
    rep = contract.reps.get(verdict.owner) if verdict.owner else None
    return {
        "kind": happening.kind.value,
        "lead": happening.lead_id,
        "rep": verdict.owner,
        "rep_name": rep.name if rep else None,
        "sla": happening.sla,
        "percent": happening.percent,
        "target": happening.target,
        "corrects": happening.corrects,
        "instant": format_instant(happening.instant),
        "stage": verdict.stage.id,
        "campaign": verdict.campaign,
        "rule": rule_id,
        "recipients": recipients,
        "contract": {"id": contract.metadata.id, "version": contract.metadata.version},
        "link": link_template.format(lead_id=happening.lead_id) if link_template else None,
    }


def _rep_zone(contract: Contract, owner: str | None) -> str | None:
    rep = contract.reps.get(owner) if owner else None
    return rep.timezone if rep else None


def _local(instant: datetime | None, zone: str | None) -> str | None:
    if instant is None:
        return None
    try:
        tz = ZoneInfo(zone) if zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC
    return instant.astimezone(tz).isoformat()


def _responsible(contract: Contract, sla_id: str | None) -> str | None:
    sla = contract.slas.get(sla_id) if sla_id else None
    return sla.responsible.value if sla else None
