"""Business time over long spans: the per-year tables against walks over the days.

``tests/test_calendar.py`` checks every calendar operation against a minute-by-minute
reference on spans of days. Here the same calendars (and random ones) are checked on spans of
years, anywhere in the supported window, against the computation the calendar used before it
had year tables: walking the local dates one by one and adding up each date's working pieces
(``BusinessCalendar._local``, itself checked minute by minute in test_calendar.py). What this
exercises is what the tables add: closed-form year totals (whole weeks, holidays, days next to
a DST change), prefix sums over years, and the binary searches. The window's edges are
checked too: nothing outside it is computed, nothing hangs, nothing overflows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_calendar import BUILT, NY, WEEKDAYS_9_17, Reference, random_calendars, utc

from leadcontract.calendar import (
    MAX_IDLE_DAYS,
    SUPPORTED_END,
    SUPPORTED_START,
    BusinessCalendar,
    DateRangeError,
    check_supported,
)
from leadcontract.durations import Duration

DAY_US = 86_400_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
YEAR = timedelta(days=365)


def us(instant: datetime) -> int:
    return (instant - EPOCH) // timedelta(microseconds=1)


def instant(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


# --- the walk: the computation before year tables, one local date at a time ------------------


def pieces_from(calendar: BusinessCalendar, lo: int) -> Iterator[tuple[int, int]]:
    """Working pieces (UTC microseconds) ending after ``lo``, in time order, date by date."""
    day = lo // DAY_US - 2
    while True:
        chunk = sorted(p for d in range(day, day + 28) for p in calendar._local(d)[0])
        for begin, end in chunk:
            if end > lo:
                yield max(begin, lo), end
        lo = max(lo, (day + 27) * DAY_US)  # pieces of later dates start after this
        day += 28


def walk_elapsed(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    lo, hi = us(start), us(end)
    total = 0
    for begin, finish in pieces_from(calendar, lo):
        if begin >= hi:
            break
        total += min(finish, hi) - begin
    return timedelta(microseconds=total)


def expect_add(
    calendar: BusinessCalendar, start: datetime, amount: Duration | timedelta
) -> datetime:
    """``calendar.add``, or SUPPORTED_END + 1µs when the calendar refuses a result past it."""
    try:
        return utc(calendar.add(start, amount))
    except DateRangeError:
        return SUPPORTED_END + timedelta(microseconds=1)


def capped(result: datetime) -> datetime:
    return min(result, SUPPORTED_END + timedelta(microseconds=1))


def walk_add(calendar: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    left = amount // timedelta(microseconds=1)
    for begin, finish in pieces_from(calendar, us(start)):
        if left == 0:
            return instant(begin)
        if left <= finish - begin:
            return instant(begin + left)
        left -= finish - begin
    raise AssertionError("unreachable")


def walk_add_days(calendar: BusinessCalendar, start: datetime, count: int) -> datetime:
    """The business-day rule, with working dates found by walking date by date."""
    at = us(start)
    offset = start.utcoffset()
    assert offset is not None
    day = (at + offset // timedelta(microseconds=1)) // DAY_US + 1
    while True:  # the anchor: the latest date with working time before `at`
        pieces, length = calendar._local(day)
        done = sum(min(end, at) - begin for begin, end in pieces if begin < at)
        if done:
            break
        day -= 1
    whole_day = done == length
    while count:
        day += 1
        if calendar._local(day)[1]:
            count -= 1
    pieces, length = calendar._local(day)
    if whole_day or done >= length:
        return instant(pieces[-1][1])
    for begin, end in pieces:
        if done <= end - begin:
            return instant(begin + done)
        done -= end - begin
    raise AssertionError("unreachable")


# --- strategies ---------------------------------------------------------------------------------

WINDOW_START = datetime(1900, 1, 8, tzinfo=UTC)
WINDOW_LAST = datetime(2199, 1, 1, tzinfo=UTC)


@st.composite
def anywhere(draw: st.DrawFn) -> datetime:
    """An instant anywhere in the supported window, on a whole minute, in some zone."""
    minutes = draw(st.integers(0, (WINDOW_LAST - WINDOW_START) // MINUTE))
    zone = draw(st.sampled_from([UTC, NY, ZoneInfo("Europe/Berlin")]))
    return (WINDOW_START + minutes * MINUTE).astimezone(zone)


LONG = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = sorted(BUILT)


@LONG
@given(st.sampled_from(NAMES), anywhere(), st.integers(0, 3 * 365 * 24 * 60))
def test_elapsed_over_years_matches_the_walk(name: str, start: datetime, minutes: int) -> None:
    calendar, _ = BUILT[name]
    end = min(start + minutes * MINUTE, SUPPORTED_END)
    assert calendar.elapsed(start, end) == walk_elapsed(calendar, start, end)


@LONG
@given(st.sampled_from(NAMES), anywhere(), st.integers(0, 3 * 2000 * 60))
def test_add_over_years_matches_the_walk(name: str, start: datetime, minutes: int) -> None:
    calendar, _ = BUILT[name]
    amount = minutes * MINUTE  # up to three years of 2000 working hours
    result = expect_add(calendar, start, amount)
    assert result == capped(walk_add(calendar, start, amount))
    if result <= SUPPORTED_END:
        assert calendar.elapsed(start, result) == amount
    if minutes and result <= SUPPORTED_END:  # the earliest: a microsecond less is too little
        assert calendar.elapsed(start, result - timedelta(microseconds=1)) < amount


@LONG
@given(st.sampled_from(NAMES), anywhere(), st.integers(1, 800))
def test_business_days_over_years_match_the_walk(name: str, start: datetime, count: int) -> None:
    calendar, _ = BUILT[name]
    found = expect_add(calendar, start, Duration(days=count))
    assert found == capped(walk_add_days(calendar, start, count))


@LONG
@given(random_calendars(), anywhere(), st.integers(0, 3 * 10**5), st.integers(1, 400))
def test_random_calendars_over_years_match_the_walk(
    built: tuple[BusinessCalendar, Reference, int], start: datetime, minutes: int, days: int
) -> None:
    calendar, _, _ = built
    amount = minutes * MINUTE
    end = min(start + 3 * amount, SUPPORTED_END)
    assert calendar.elapsed(start, end) == walk_elapsed(calendar, start, end)
    assert expect_add(calendar, start, amount) == capped(walk_add(calendar, start, amount))
    found = expect_add(calendar, start, Duration(days=days))
    assert found == capped(walk_add_days(calendar, start, days))


@LONG
@given(st.sampled_from(NAMES), anywhere(), st.lists(st.integers(0, 10**7), min_size=2, max_size=2))
def test_elapsed_adds_up_across_years(name: str, start: datetime, gaps: list[int]) -> None:
    calendar, _ = BUILT[name]
    middle = min(start + gaps[0] * MINUTE, SUPPORTED_END)
    end = min(middle + gaps[1] * MINUTE, SUPPORTED_END)
    whole = calendar.elapsed(start, end)
    assert whole == calendar.elapsed(start, middle) + calendar.elapsed(middle, end)


# Far from today, the minute-by-minute reference itself, across DST changes of other rules.

FAR = [
    datetime(1918, 3, 25, tzinfo=UTC),  # the first US daylight-saving time
    datetime(1974, 1, 2, tzinfo=UTC),  # year-round US daylight-saving time began 6 January
    datetime(2199, 10, 20, tzinfo=UTC),  # the zone's rule, far ahead
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["night_ny", "split_berlin", "night_berlin"]),
    st.sampled_from(FAR),
    st.integers(0, 20 * 24 * 60),
    st.integers(0, 2 * 8 * 60),
)
def test_far_years_match_the_minute_reference(
    name: str, base: datetime, offset: int, minutes: int
) -> None:
    calendar, reference = BUILT[name]
    if reference.holidays and name == "split_berlin":  # region holidays: only 2025-2028 loaded
        calendar = BusinessCalendar(reference.zone, reference.hours)
        reference = Reference.of(reference.zone, reference.hours)
    start = base + offset * MINUTE
    assert utc(calendar.add(start, minutes * MINUTE)) == reference.add(start, minutes)
    end = start + 3 * minutes * MINUTE
    assert calendar.elapsed(start, end) == reference.elapsed(start, end)
    assert calendar.is_open(start) == reference.is_open(start)


# --- the whole window at once ----------------------------------------------------------------


def test_the_whole_window_in_one_call() -> None:
    office = BusinessCalendar(NY, WEEKDAYS_9_17, holiday_regions=[("US", None)])
    total = office.elapsed(SUPPORTED_START, SUPPORTED_END)
    assert total == walk_elapsed(office, SUPPORTED_START, SUPPORTED_END)
    assert office.elapsed(SUPPORTED_START, office.add(SUPPORTED_START, total)) == total
    assert utc(office.add(SUPPORTED_START, total)) <= SUPPORTED_END
    tuesday = datetime(2026, 3, 10, 15, tzinfo=NY)
    century = office.add(tuesday, Duration(weeks=5200))  # 26,000 working days
    assert utc(century) == walk_add_days(office, tuesday, 5200 * 5)
    assert century.year == 2128  # about 251 working days a year, with US holidays


def test_holidays_and_dst_change_year_totals_exactly() -> None:
    """A year's closed-form total equals the sum of its table (every kind of year)."""
    calendar = BusinessCalendar(
        NY,
        {0: [(time(0, 30), time(3)), (time(9), time(17))], 6: [(time(1), time(3))]},
        holidays=[date(1999, 12, 27), date(2000, 1, 3), date(2026, 11, 2)],
        holiday_regions=[("US", "NY")],
    )
    line = calendar._time
    for year in (1900, 1918, 1942, 1974, 1999, 2000, 2026, 2199):
        assert calendar._time_total(year) == sum(
            end - start for start, end in calendar._time_pieces(year)
        )
        assert calendar._working_day_count(year) == sum(
            end - start for start, end in calendar._working_days(year)
        )
    two_years = line.cumulative(us(datetime(2001, 1, 1, tzinfo=UTC))) - line.cumulative(
        us(datetime(1999, 1, 1, tzinfo=UTC))
    )
    assert two_years == calendar._time_total(1999) + calendar._time_total(2000)


# --- the supported window ------------------------------------------------------------------


@pytest.mark.parametrize(
    "outside",
    [
        datetime(1899, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2200, 1, 1, 0, 0, 1, tzinfo=UTC),
        datetime(1, 1, 1, 0, 30, tzinfo=ZoneInfo("Europe/Berlin")),  # year 0 in UTC
        datetime(9999, 12, 31, 23, tzinfo=ZoneInfo("America/New_York")),  # year 10000 in UTC
        datetime(1500, 6, 1, tzinfo=UTC),
        datetime(2300, 1, 1, tzinfo=UTC),
    ],
)
def test_instants_outside_the_window_are_refused(outside: datetime) -> None:
    office = BusinessCalendar(NY, WEEKDAYS_9_17)
    inside = datetime(2026, 3, 10, 12, tzinfo=UTC)
    for call in (
        lambda: office.add(outside, Duration(hours=4)),
        lambda: office.add(outside, Duration(days=1)),
        lambda: office.elapsed(outside, inside),
        lambda: office.elapsed(inside, outside),
        lambda: office.is_open(outside),
        lambda: office.next_open(outside),
        lambda: check_supported(outside, "as_of"),
    ):
        with pytest.raises(DateRangeError, match="outside the supported dates"):
            call()


def test_results_after_the_window_are_refused() -> None:
    office = BusinessCalendar(NY, WEEKDAYS_9_17)
    late = datetime(2199, 12, 31, 16, tzinfo=NY)
    with pytest.raises(DateRangeError, match="outside the supported dates"):
        office.add(late, Duration(hours=2))
    with pytest.raises(DateRangeError, match="outside the supported dates"):
        office.add(late, Duration(days=3))
    with pytest.raises(DateRangeError, match="outside the supported dates"):
        office.next_open(datetime(2199, 12, 31, 18, tzinfo=NY))
    assert utc(office.add(late, Duration(minutes=60))) == datetime(2199, 12, 31, 22, tzinfo=UTC)
    assert office.elapsed(late, SUPPORTED_END) == timedelta(hours=1)
    check_supported(SUPPORTED_START)
    check_supported(SUPPORTED_END)


def test_a_year_without_working_time_is_still_refused_past_the_limit() -> None:
    mondays = [date(2030, 1, 7) + timedelta(weeks=n) for n in range(560)]
    calendar = BusinessCalendar(NY, {0: [(time(9), time(17))]}, holidays=mondays)
    start = datetime(2030, 1, 1, tzinfo=NY)
    assert MAX_IDLE_DAYS < 560 * 7
    with pytest.raises(ValueError, match="no working time within"):
        calendar.add(start, Duration(hours=1))
    with pytest.raises(ValueError, match="no working day within"):
        calendar.add(start, Duration(days=1))
    # Elapsed time is defined however long the gap: nothing to search for.
    end = datetime(2041, 1, 1, tzinfo=NY)
    assert calendar.elapsed(start, end) == walk_elapsed(calendar, start, end) > timedelta(0)


@LONG
@given(
    st.sampled_from(NAMES),
    st.lists(anywhere(), min_size=1, max_size=4),
    st.sampled_from([Duration(hours=4), Duration(days=2), Duration(weeks=1, hours=3)]),
)
def test_add_utc_is_add_in_utc_remembered_or_not(
    name: str, starts: list[datetime], duration: Duration
) -> None:
    """``add_utc`` (what SLA clocks call) is ``add`` as the same instant in UTC, whether the
    sum is computed or remembered from an earlier call (every start is asked twice, in its
    own zone and in UTC)."""
    calendar, _ = BUILT[name]
    for start in [*starts, *(s.astimezone(UTC) for s in starts)]:
        try:
            expected = calendar.add(start, duration).astimezone(UTC)
        except DateRangeError:
            with pytest.raises(DateRangeError):
                calendar.add_utc(start, duration)
            continue
        found = calendar.add_utc(start, duration)
        assert found == expected
        assert found.tzinfo is UTC
        hour = timedelta(hours=1)  # a timedelta is remembered apart from the Duration
        assert calendar.add_utc(start, hour) == calendar.add(start, hour).astimezone(UTC)
