"""Checks on conditions: each parses and type-checks against the scope where it is written."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from leadcontract.checks._context import LintContext, check
from leadcontract.checks.dates import is_zone
from leadcontract.diagnostics import Diagnostic, make
from leadcontract.rules.conditions import ConditionIssue, check_condition, parse_condition
from leadcontract.scopes import ScopeKind, build_scope, condition_sites


@check("LC201", "LC202", "LC203", "LC204", "LC205", "LC206")
def check_conditions(ctx: LintContext) -> Iterator[Diagnostic]:
    """Conditions parse, read fields that exist, and compare them with values of their type."""
    zone_name = ctx.contract.metadata.timezone
    zone = ZoneInfo(zone_name) if is_zone(zone_name) else ZoneInfo("UTC")
    scopes = {kind: build_scope(ctx.contract, kind) for kind in ScopeKind}
    for site in condition_sites(ctx.contract):
        condition, issues = parse_condition(site.source)
        if condition is not None:
            issues = [*issues, *check_condition(condition, scopes[site.kind], default_tz=zone)]
        for issue in issues:
            yield _placed(ctx, site.pointer, issue)


def _placed(ctx: LintContext, pointer: str, issue: ConditionIssue) -> Diagnostic:
    """Put a condition issue on the exact line (and column, for expression strings)."""
    full = pointer + issue.pointer
    if issue.offset is not None:
        location = ctx.source.locate_in_scalar(full, issue.offset)
    else:
        location = ctx.source.locate(full)
    return make(issue.code, issue.message, location, pointer=full, hint=issue.hint)
