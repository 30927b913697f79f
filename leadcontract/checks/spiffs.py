"""Checks on spiffs: they can pay, they do not pay twice, their money adds up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import combinations

from leadcontract.checks._context import LintContext, check
from leadcontract.diagnostics import Diagnostic
from leadcontract.model import DateRange, Spiff


@check("LC701")
def check_required_slas_apply(ctx: LintContext) -> Iterator[Diagnostic]:
    """An SLA a spiff requires applies to every campaign the spiff pays for."""
    for spiff_id, spiff in ctx.contract.spiffs.items():
        for i, sla_id in enumerate(spiff.requires_slas):
            sla = ctx.contract.slas.get(sla_id)
            if sla is None or sla.applies_to.campaigns is None:
                continue
            uncovered = [
                c
                for c in spiff.campaigns
                if c in ctx.contract.campaigns  # an unknown campaign is reported as LC304
                and c not in sla.applies_to.campaigns
            ]
            if uncovered:
                yield ctx.report(
                    "LC701",
                    f"spiff `{spiff_id}` requires SLA `{sla_id}`, which does not apply to "
                    f"campaign{'s' if len(uncovered) > 1 else ''} "
                    + ", ".join(f"`{c}`" for c in uncovered),
                    f"/spiffs/{spiff_id}/requires_slas/{i}",
                    hint=f"add the campaigns to `slas.{sla_id}.applies_to.campaigns` "
                    "or require another SLA",
                )


@check("LC702", "LC704")
def check_caps(ctx: LintContext) -> Iterator[Diagnostic]:
    """A cap is in the amount's currency and leaves room for at least one payout."""
    for spiff_id, spiff in ctx.contract.spiffs.items():
        cap = spiff.cap
        if cap is None:
            continue
        amount = spiff.amount
        if cap.currency != amount.currency:
            yield ctx.report(
                "LC704",
                f"spiff `{spiff_id}` pays in {amount.currency} but caps in {cap.currency}",
                f"/spiffs/{spiff_id}/cap/currency",
            )
        elif amount.fixed is not None and cap.amount < amount.fixed:
            yield ctx.report(
                "LC702",
                f"spiff `{spiff_id}` pays {amount.fixed} {amount.currency} per outcome but its "
                f"cap per {cap.per} is {cap.amount}: not even one payout fits",
                f"/spiffs/{spiff_id}/cap/amount",
            )


def _overlap(first: DateRange | None, second: DateRange | None) -> bool:
    if first is None or second is None:
        return True
    first_end = first.end or date.max
    second_end = second.end or date.max
    return first.start <= second_end and second.start <= first_end


def _payable(spiff: Spiff) -> bool:
    return not spiff.shadow


@check("LC703")
def check_overlapping_spiffs(ctx: LintContext) -> Iterator[Diagnostic]:
    """Two payable spiffs do not pay for the same outcome of the same campaign at once."""
    spiffs = [(i, s) for i, s in ctx.contract.spiffs.items() if _payable(s)]
    for (first_id, first), (second_id, second) in combinations(spiffs, 2):
        if first.outcome != second.outcome or not _overlap(first.effective, second.effective):
            continue
        shared = [c for c in second.campaigns if c in first.campaigns]
        if shared:
            where = ctx.source.locate(f"/spiffs/{first_id}", key=True)
            yield ctx.report(
                "LC703",
                f"spiffs `{first_id}` (line {where.line}) and `{second_id}` both pay for "
                f"`{first.outcome}` on {', '.join(f'`{c}`' for c in shared)}",
                f"/spiffs/{second_id}",
                key=True,
                hint="narrow one with `when`, `effective` or `campaigns`, or mark one `shadow`",
            )
