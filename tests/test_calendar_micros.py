"""Business time on integer instants: ``add_micros``, ``advance_micros``, ``elapsed_micros``.

SLA clocks compute on microseconds since the UTC epoch and build datetimes only for their
verdicts. These methods must mean exactly what :meth:`BusinessCalendar.add` and
:meth:`BusinessCalendar.elapsed` mean (those are checked against minute-by-minute references
and walks over the days in test_calendar.py and test_business_time_fast.py): the same answers,
the same errors. The per-day UTC offsets and the working-day steps the business-day rule
remembers are checked here against the uncached computations, on the days around every
daylight-saving change and on many starts that share their anchor day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_business_time_fast import anywhere, walk_add_days
from test_calendar import BUILT, NY, WEEKDAYS_9_17

from leadcontract import calendar as calendar_module
from leadcontract.calendar import SUPPORTED_END, SUPPORTED_START, BusinessCalendar, DateRangeError
from leadcontract.durations import Duration

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
NAMES = sorted(BUILT)
SOME = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def us(instant: datetime) -> int:
    return (instant - EPOCH) // ONE_US


def assert_same_answer(expected: Callable[[], int], actual: Callable[[], int]) -> None:
    """The integer method answers as the datetime one does, or is refused as it is."""
    try:
        want = expected()
    except DateRangeError:
        with pytest.raises(DateRangeError):
            actual()
    else:
        assert actual() == want


durations = st.builds(
    Duration,
    weeks=st.integers(0, 3),
    days=st.integers(0, 12),
    hours=st.integers(0, 30),
    minutes=st.integers(0, 90),
).filter(lambda d: d.calendar_minutes > 0)


@SOME
@given(st.sampled_from(NAMES), anywhere(), durations)
def test_add_micros_is_add_in_utc(name: str, start: datetime, duration: Duration) -> None:
    calendar, _ = BUILT[name]
    assert_same_answer(
        lambda: us(calendar.add(start, duration)),
        lambda: calendar.add_micros(us(start), duration),
    )


@SOME
@given(st.sampled_from(NAMES), anywhere(), st.integers(0, 40 * 3_600_000_000))
def test_advance_micros_is_adding_working_time(name: str, start: datetime, amount: int) -> None:
    calendar, _ = BUILT[name]
    assert_same_answer(
        lambda: us(calendar.add(start, timedelta(microseconds=amount))),
        lambda: calendar.advance_micros(us(start), amount),
    )


@SOME
@given(st.sampled_from(NAMES), anywhere(), st.integers(-(10**13), 10**14))
def test_elapsed_micros_is_elapsed(name: str, start: datetime, gap: int) -> None:
    calendar, _ = BUILT[name]
    end = us(start) + gap
    end = max(min(end, us(SUPPORTED_END)), us(SUPPORTED_START))
    expected = calendar.elapsed(start, EPOCH + timedelta(microseconds=end)) // ONE_US
    assert calendar.elapsed_micros(us(start), end) == expected
    assert expected >= 0


def test_zero_advance_is_the_next_opening_and_a_negative_one_is_refused() -> None:
    calendar = BusinessCalendar(NY, WEEKDAYS_9_17)
    saturday = datetime(2026, 11, 21, 12, tzinfo=NY)
    monday_nine = datetime(2026, 11, 23, 9, tzinfo=NY)
    assert calendar.advance_micros(us(saturday), 0) == us(monday_nine)
    assert calendar.advance_micros(us(monday_nine), 0) == us(monday_nine)
    with pytest.raises(ValueError, match="negative business duration"):
        calendar.advance_micros(us(saturday), -1)


def test_instants_outside_the_window_are_refused_as_add_refuses_them() -> None:
    calendar = BusinessCalendar(NY, WEEKDAYS_9_17)
    beyond = us(SUPPORTED_END) + 1
    with pytest.raises(DateRangeError, match="start"):
        calendar.add_micros(beyond, Duration(hours=1))
    with pytest.raises(DateRangeError, match="start"):
        calendar.advance_micros(beyond, 1)
    with pytest.raises(DateRangeError, match="end"):
        calendar.elapsed_micros(0, beyond)
    near_end = us(SUPPORTED_END - timedelta(days=2))
    with pytest.raises(DateRangeError, match="result"):
        calendar.add_micros(near_end, Duration(weeks=1))


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe"])
@pytest.mark.parametrize("year", [1918, 1985, 2026, 2150])
def test_the_offset_remembered_per_day_is_the_zones_offset_around_every_change(
    zone: str, year: int
) -> None:
    tz = ZoneInfo(zone)
    calendar = BusinessCalendar(tz, WEEKDAYS_9_17)
    changes = calendar_module._transitions(tz, year)
    assert changes or year == 2150 or zone == "Australia/Lord_Howe"
    probes: list[int] = []
    for change, _ in changes:
        # Every hour of the days around the change, and the seconds next to it.
        day = change // calendar_module._DAY
        probes += range(
            (day - 2) * calendar_module._DAY,
            (day + 3) * calendar_module._DAY,
            calendar_module._HOUR,
        )
        probes += [change - 1_000_000, change - 1, change, change + 1, change + 1_000_000]
    probes += range(
        calendar_module._year_start(year),
        calendar_module._year_start(year + 1),
        7 * calendar_module._DAY + 12_345_678,
    )
    for at in probes:
        assert calendar._offset(at) == calendar_module._offset(tz, at), at
        assert calendar._offset(at) == calendar_module._offset(tz, at), at  # remembered


def test_business_days_from_starts_sharing_an_anchor_day_match_the_walk() -> None:
    # Every 7 minutes over a week around New York's autumn change: the working-day steps are
    # remembered per anchor day, so most of these answers come from what an earlier one left.
    calendar, _ = BUILT["split_ny"]
    start = datetime(2026, 10, 29, tzinfo=UTC)
    for step in range(0, 7 * 24 * 60, 7):
        at = start + timedelta(minutes=step)
        for count in (1, 2, 10):
            found = calendar.add_micros(us(at), Duration(days=count))
            assert found == us(walk_add_days(calendar, at, count)), (at, count)


def test_the_calendar_time_api_keeps_working_on_datetimes() -> None:
    calendar = BusinessCalendar("America/New_York", {0: [(time(9), time(17))]})
    monday = datetime(2026, 11, 16, 16, tzinfo=NY)
    assert calendar.add_utc(monday, Duration(hours=2)) == datetime(2026, 11, 23, 15, tzinfo=UTC)
    assert calendar.add_utc(monday, Duration(hours=2)).tzinfo is UTC
