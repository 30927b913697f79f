"""Checks on SLAs: clocks that can run, thresholds in order, targets that fit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from leadcontract.checks._context import LintContext, check
from leadcontract.diagnostics import Diagnostic
from leadcontract.durations import Duration
from leadcontract.model import Sla, Trigger


def implies(first: Trigger, second: Trigger) -> bool:
    """Whether every occurrence of ``first`` is also an occurrence of ``second``.

    Conservative: only triggers of the same shape are compared, and conditions (`when`) are
    compared as written, so a True answer is certain and a False one may be a miss.
    """
    if first.when != second.when and second.when is not None:
        return False
    if first.field is not None:
        return first.field == second.field
    if first.event is not None and second.event is not None:
        if not set(first.event) <= set(second.event):
            return False
        if second.channels is not None and (
            first.channels is None or not set(first.channels) <= set(second.channels)
        ):
            return False
        return second.reasons is None or (
            first.reasons is not None and set(first.reasons) <= set(second.reasons)
        )
    if first.stage is not None and second.stage is not None:
        return set(first.stage) <= set(second.stage)
    return False


@check("LC601")
def check_sla_can_run(ctx: LintContext) -> Iterator[Diagnostic]:
    """An SLA's start does not already fulfil it."""
    for sla_id, sla in ctx.contract.slas.items():
        if sla.stop is not None and implies(sla.start, sla.stop):
            yield ctx.report(
                "LC601",
                f"SLA `{sla_id}` stops on whatever starts it, so its clock never runs",
                f"/slas/{sla_id}/stop",
                key=True,
                hint="stop on the event that fulfils the promise, not the one that starts it",
            )


@check("LC602")
def check_pause_differs_from_start(ctx: LintContext) -> Iterator[Diagnostic]:
    """An SLA does not pause on the event that starts it."""
    for sla_id, sla in ctx.contract.slas.items():
        if sla.pause is not None and implies(sla.start, sla.pause):
            yield ctx.report(
                "LC602",
                f"SLA `{sla_id}` pauses on what starts it, so it is paused from its first moment",
                f"/slas/{sla_id}/pause",
                key=True,
            )


def shortest_span(sla: Sla, target: Duration) -> timedelta:
    """The least calendar time a target can take: business time never runs faster."""
    if sla.time == "calendar":
        return target.as_timedelta()
    days = target.weeks * 5 + target.days
    business_days = timedelta(days=max(days - 1, 0)) if days else timedelta()
    return business_days + timedelta(hours=target.hours, minutes=target.minutes)


@check("LC603")
def check_target_within_window(ctx: LintContext) -> Iterator[Diagnostic]:
    """An SLA's target can come due within the window of each campaign it applies to."""
    for sla_id, sla in ctx.contract.slas.items():
        span = shortest_span(sla, sla.target)
        for campaign_id in sla.applies_to.campaigns or ():
            campaign = ctx.contract.campaigns.get(campaign_id)
            if campaign is None or campaign.window.end is None:
                continue
            if campaign.window.end < campaign.window.start:
                continue  # reported as LC503; no target fits a window that never opens
            window = campaign.window.end - campaign.window.start + timedelta(days=1)
            if span > window:
                yield ctx.report(
                    "LC603",
                    f"SLA `{sla_id}` allows {sla.target}, longer than the {window.days}-day "
                    f"window of campaign `{campaign_id}`",
                    f"/slas/{sla_id}/target",
                )


@check("LC604")
def check_warning_thresholds(ctx: LintContext) -> Iterator[Diagnostic]:
    """Warning thresholds rise strictly."""
    for sla_id, sla in ctx.contract.slas.items():
        for i, (before, after) in enumerate(zip(sla.warn_at, sla.warn_at[1:], strict=False)):
            if after <= before:
                yield ctx.report(
                    "LC604",
                    f"SLA `{sla_id}` warns at {after}% after {before}%; thresholds must rise",
                    f"/slas/{sla_id}/warn_at/{i + 1}",
                    hint="list thresholds in increasing order, e.g. [50, 75]",
                )
