"""Checks on time: zones that exist, holiday regions the `holidays` package knows, ranges in
order, calendars that ever open."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays

from leadcontract.checks._context import LintContext, check
from leadcontract.diagnostics import Diagnostic
from leadcontract.model import DateRange


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone this machine knows."""
    if name in _zones():
        return True
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@functools.cache
def _supported() -> dict[str, list[str]]:
    return dict(holidays.list_supported_countries())


@check("LC802")
def check_time_zones(ctx: LintContext) -> Iterator[Diagnostic]:
    """Time zones are IANA names."""
    places: list[tuple[str, str]] = [("/metadata/timezone", ctx.contract.metadata.timezone)]
    places += [
        (f"/calendars/{c}/timezone", cal.timezone) for c, cal in ctx.contract.calendars.items()
    ]
    places += [
        (f"/reps/{r}/timezone", rep.timezone)
        for r, rep in ctx.contract.reps.items()
        if rep.timezone is not None
    ]
    for pointer, name in places:
        if not is_zone(name):
            yield ctx.unknown("LC802", "time zone", name, _zones(), pointer)


@check("LC803")
def check_holiday_regions(ctx: LintContext) -> Iterator[Diagnostic]:
    """Holiday countries and subdivisions are known to the `holidays` package."""
    supported = _supported()
    for calendar_id, calendar in ctx.contract.calendars.items():
        for i, region in enumerate(calendar.holidays.regions):
            base = f"/calendars/{calendar_id}/holidays/regions/{i}"
            if region.country not in supported:
                yield ctx.unknown(
                    "LC803", "holiday country", region.country, supported, f"{base}/country"
                )
            elif region.subdivision is not None and (
                region.subdivision not in supported[region.country]
            ):
                yield ctx.unknown(
                    "LC803",
                    f"subdivision of {region.country}",
                    region.subdivision,
                    supported[region.country],
                    f"{base}/subdivision",
                )


@check("LC804")
def check_working_hours(ctx: LintContext) -> Iterator[Diagnostic]:
    """Every calendar has some working hours."""
    for calendar_id, calendar in ctx.contract.calendars.items():
        if not any(calendar.hours.values()):
            yield ctx.report(
                "LC804",
                f"calendar `{calendar_id}` has no working hours, so its clocks never run",
                f"/calendars/{calendar_id}/hours",
                key=True,
                hint='add hours such as `mon: ["09:00-17:00"]`',
            )


def _ranges(ctx: LintContext) -> Iterator[tuple[str, DateRange]]:
    for spiff_id, spiff in ctx.contract.spiffs.items():
        if spiff.effective is not None:
            yield f"/spiffs/{spiff_id}/effective", spiff.effective
    for campaign_id, campaign in ctx.contract.campaigns.items():
        yield f"/campaigns/{campaign_id}/window", campaign.window


@check("LC801", "LC805")
def check_effective_ranges(ctx: LintContext) -> Iterator[Diagnostic]:
    """Effective ranges end after they start and lie within the contract's own range."""
    contract_range = ctx.contract.metadata.effective
    if contract_range.end is not None and contract_range.end < contract_range.start:
        yield ctx.report(
            "LC801",
            f"the contract ends on {contract_range.end}, before it starts on "
            f"{contract_range.start}",
            "/metadata/effective/end",
        )
    contract_valid = contract_range.end is None or contract_range.start <= contract_range.end
    for pointer, span in _ranges(ctx):
        if pointer.endswith("/effective") and span.end is not None and span.end < span.start:
            yield ctx.report(
                "LC801",
                f"`{pointer[1:].replace('/', '.')}` ends on {span.end}, before it starts on "
                f"{span.start}",
                f"{pointer}/end",
            )
            continue
        outside_start = span.start < contract_range.start
        outside_end = (
            contract_range.end is not None
            and span.end is not None
            and span.end > contract_range.end
        )
        if (
            contract_valid  # an inverted contract range is LC801; every range would be outside
            and (outside_start or outside_end)
            and not (span.end and span.end < span.start)
        ):
            side = "starts before" if outside_start else "runs past"
            yield ctx.report(
                "LC805",
                f"`{pointer[1:].replace('/', '.')}` {side} the contract's effective range "
                f"({contract_range.start} to {contract_range.end or 'open'})",
                f"{pointer}/{'start' if outside_start else 'end'}",
            )
