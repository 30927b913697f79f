"""Checks on the live monitor's notification rules: they name SLAs and people that exist."""

from __future__ import annotations

from collections.abc import Iterator

from leadcontract.checks._context import LintContext, check
from leadcontract.diagnostics import Diagnostic
from leadcontract.model import Team

ROLE_WORDS = ("owner", "manager", "escalation")
"""Recipients resolved per lead: its rep, the rep's manager, the SLA's `escalate_to`."""


@check("LC960", "LC961")
def check_notification_references(ctx: LintContext) -> Iterator[Diagnostic]:
    """Every SLA and recipient a notification rule names exists."""
    contract = ctx.contract
    teams = {team.value for team in Team}
    for rule_id, rule in contract.notifications.items():
        for i, sla_id in enumerate(rule.slas or ()):
            if sla_id not in contract.slas:
                pointer = f"/notifications/{rule_id}/slas/{i}"
                yield ctx.unknown("LC960", "SLA", sla_id, contract.slas, pointer)
        for i, who in enumerate(rule.to):
            if who in ROLE_WORDS or who in teams or who in contract.reps:
                continue
            known = [*ROLE_WORDS, *sorted(teams), *contract.reps]
            pointer = f"/notifications/{rule_id}/to/{i}"
            yield ctx.unknown("LC961", "recipient", who, known, pointer)
