"""Checks on time: zones that exist, holiday regions the `holidays` package knows, ranges in
order, calendars that ever open."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from datetime import date, time, timedelta
from itertools import pairwise
from typing import Final
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


@check("LC806")
def check_overlapping_hours(ctx: LintContext) -> Iterator[Diagnostic]:
    """Working-hour intervals of one day do not overlap."""
    for calendar_id, calendar in ctx.contract.calendars.items():
        for day, ranges in calendar.hours.items():
            ends_by_start = sorted((start, _until(end), i) for i, (start, end) in enumerate(ranges))
            for (start_a, end_a, _), (start_b, _, i) in pairwise(ends_by_start):
                if start_b < end_a:
                    yield ctx.report(
                        "LC806",
                        f"working hours of calendar `{calendar_id}` on {day.value} overlap: "
                        f"{_hours(ranges[i])} starts before an earlier interval ends "
                        f"({start_a:%H:%M}-{_end(end_a)})",
                        f"/calendars/{calendar_id}/hours/{day.value}/{i}",
                        hint="merge them into one interval, e.g. "
                        f"{start_a:%H:%M}-{_end(max(end_a, ends_by_start[-1][1]))}",
                    )


def _until(end: time) -> time:
    """An interval's end, ordered: 24:00 is read as 00:00, so it becomes the latest time
    (a ``time`` is truthy even at midnight, so ``end or time.max`` would not do)."""
    return time.max if end == time(0, 0) else end


def _end(value: time) -> str:
    return "24:00" if value in (time.max, time(0, 0)) else f"{value:%H:%M}"


def _hours(interval: tuple[time, time]) -> str:
    return f"{interval[0]:%H:%M}-{_end(interval[1])}"


LONGEST_CLOSED_SPAN: Final = timedelta(days=366)
"""A calendar closed for longer than this on end (LC807) is taken to be a mistake."""


@check("LC807")
def check_closed_spans(ctx: LintContext) -> Iterator[Diagnostic]:
    """Explicit days off do not close a calendar for more than a year on end."""
    for calendar_id, calendar in ctx.contract.calendars.items():
        working = {day.number for day, ranges in calendar.hours.items() if ranges}
        if not working:
            continue  # LC804
        span = longest_closed_span(working, calendar.holidays.dates)
        if span is not None and span[1] - span[0] > LONGEST_CLOSED_SPAN:
            first, last = span
            yield ctx.report(
                "LC807",
                f"calendar `{calendar_id}` has no working day from {first} to {last} "
                f"({(last - first).days + 1} days): its days off cover every working weekday",
                f"/calendars/{calendar_id}/holidays/dates",
                hint="check the dates; list only the days the office is closed",
            )


def longest_closed_span(working: set[int], days_off: Iterable[date]) -> tuple[date, date] | None:
    """The longest run of consecutive days without a working weekday that is not a day off,
    as (first, last) closed day; None when no working weekday is a day off.

    Only runs that contain a day off on a working weekday are looked at: the others are
    weekends, at most six days. Work is O(n log n) in the number of days off; days are counted
    as ordinals so that runs reaching year 1 or 9999 are clamped, not an overflow.
    """
    closed = sorted({day.toordinal() for day in days_off if day.weekday() in working})
    best: tuple[int, int] | None = None
    i = 0
    while i < len(closed):
        # Extend a chain of days off, each the next working weekday after the one before.
        j = i
        while j + 1 < len(closed) and closed[j + 1] == _next_working(closed[j], working):
            j += 1
        first = _previous_working(closed[i], working) + 1
        last = _next_working(closed[j], working) - 1
        if best is None or last - first > best[1] - best[0]:
            best = (first, last)
        i = j + 1
    if best is None:
        return None
    return _day(best[0]), _day(best[1])


def _weekday(ordinal: int) -> int:
    return (ordinal - 1) % 7  # date.fromordinal(1), 0001-01-01, is a Monday


def _next_working(ordinal: int, working: set[int]) -> int:
    step = 1
    while _weekday(ordinal + step) not in working:
        step += 1
    return ordinal + step


def _previous_working(ordinal: int, working: set[int]) -> int:
    step = 1
    while _weekday(ordinal - step) not in working:
        step += 1
    return ordinal - step


def _day(ordinal: int) -> date:
    return date.fromordinal(min(max(ordinal, 1), date.max.toordinal()))


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
