"""Business calendars: explicit cases, and property tests against a minute-by-minute reference."""

from __future__ import annotations

import time as clock
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_package
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcontract.calendar import BusinessCalendar
from leadcontract.durations import Duration

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
MINUTE = timedelta(minutes=1)
H = timedelta(hours=1)

WEEKDAYS_9_17 = {day: [(time(9), time(17))] for day in range(5)}


def d(text: str) -> Duration:
    return Duration.parse(text)


def utc(instant: datetime) -> datetime:
    """Compare instants in UTC: by PEP 495, an inter-zone ``==`` is always False when either
    side is an ambiguous wall time (the repeated autumn hour), and a same-zone ``==`` ignores
    ``fold``; neither is what these tests mean."""
    return instant.astimezone(UTC)


def local_datetime(zone: ZoneInfo, parts: tuple[int, ...], fold: int) -> datetime:
    year, month, day, *rest = parts
    hour, minute, second, microsecond = (*rest, 0, 0, 0, 0)[:4]
    return datetime(year, month, day, hour, minute, second, microsecond, zone, fold=fold)


def ny(*parts: int, fold: int = 0) -> datetime:
    return local_datetime(NY, parts, fold)


def berlin(*parts: int, fold: int = 0) -> datetime:
    return local_datetime(BERLIN, parts, fold)


# --- the reference: obviously correct, minute by minute --------------------------------------


@dataclass
class Reference:
    """Walks UTC minutes and reads the local wall clock at each; nothing clever.

    Starts and results are whole minutes; every working interval in the tests is too.
    """

    zone: ZoneInfo
    hours: Mapping[int, Sequence[tuple[time, time]]]
    holidays: frozenset[date]
    _open: dict[datetime, bool] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        zone: ZoneInfo,
        hours: Mapping[int, Sequence[tuple[time, time]]],
        holidays: Sequence[date] = (),
        regions: Sequence[tuple[str, str | None]] = (),
    ) -> Reference:
        days = set(holidays)
        for country, subdivision in regions:
            days.update(
                holidays_package.country_holidays(
                    country, subdiv=subdivision, years=range(2025, 2029)
                )
            )
        return cls(zone, hours, frozenset(days))

    def is_open(self, instant: datetime) -> bool:
        instant = instant.astimezone(UTC)
        known = self._open.get(instant)
        if known is None:
            local = instant.astimezone(self.zone)
            wall = local.time()
            known = local.date() not in self.holidays and any(
                start <= wall and (end == time(0) or wall < end)
                for start, end in self.hours.get(local.weekday(), ())
            )
            self._open[instant] = known
        return known

    def add(self, start: datetime, minutes: int) -> datetime:
        at = start.astimezone(UTC)
        while not self.is_open(at) and minutes == 0:
            at += MINUTE
        while minutes > 0:
            if self.is_open(at):
                minutes -= 1
            at += MINUTE
        return at

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        at = start.astimezone(UTC)
        count = 0
        while at < end:
            count += self.is_open(at)
            at += MINUTE
        return count * MINUTE

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def minutes_of(self, day: date) -> list[datetime]:
        """The working minutes (UTC) whose local date is ``day``, in order."""
        at = datetime.combine(day, time(0), self.zone).astimezone(UTC) - 3 * H
        end = at + 30 * H
        found = []
        while at < end:
            if self.local_date(at) == day and self.is_open(at):
                found.append(at)
            at += MINUTE
        return found

    def add_days(self, start: datetime, count: int) -> datetime:
        """The business-day rule, literally: anchor day, position, count-th working day."""
        at = start.astimezone(UTC) - MINUTE
        while not self.is_open(at):  # the last working minute before start
            at -= MINUTE
        anchor = self.local_date(at)
        anchor_minutes = self.minutes_of(anchor)
        position = sum(1 for m in anchor_minutes if m < start)
        whole_day = position == len(anchor_minutes)  # at or after its close: the whole day
        target = anchor
        while count:
            target += timedelta(days=1)
            if self.minutes_of(target):
                count -= 1
        minutes = self.minutes_of(target)
        if whole_day or position >= len(minutes):
            return minutes[-1] + MINUTE
        return minutes[position - 1] + MINUTE


# --- calendars used below ------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    zone: ZoneInfo
    hours: dict[int, list[tuple[time, time]]]
    holidays: list[date] = field(default_factory=list)
    regions: list[tuple[str, str | None]] = field(default_factory=list)


SPLIT_NY = Spec(
    NY,
    {
        **{day: [(time(9), time(12)), (time(13), time(17, 30))] for day in range(5)},
        5: [(time(10), time(14))],
    },
    holidays=[date(2026, 3, 11), date(2026, 10, 20)],
    regions=[("US", None)],
)
SPLIT_BERLIN = Spec(
    BERLIN,
    {
        **{day: [(time(8), time(12)), (time(12, 30), time(16, 30))] for day in range(4)},
        4: [(time(8), time(13))],
    },
    holidays=[date(2026, 11, 6)],
    regions=[("DE", "BE")],
)
NIGHT_NY = Spec(  # working hours across both DST changes (Sunday 02:00 in New York)
    NY,
    {
        **WEEKDAYS_9_17,
        5: [(time(22), time(0))],
        6: [(time(0, 30), time(3, 30)), (time(22), time(0))],
        0: [(time(0), time(2)), (time(9), time(17))],
    },
)
NIGHT_BERLIN = Spec(  # Berlin changes at 02:00 (spring) and 03:00 (autumn) on Sundays
    BERLIN,
    {
        **WEEKDAYS_9_17,
        6: [(time(1, 30), time(2, 30)), (time(2, 45), time(4))],
        5: [(time(20), time(23, 30))],
    },
    holidays=[date(2026, 3, 30)],
)
SPECS = {
    "split_ny": SPLIT_NY,
    "split_berlin": SPLIT_BERLIN,
    "night_ny": NIGHT_NY,
    "night_berlin": NIGHT_BERLIN,
}


def build(spec: Spec) -> tuple[BusinessCalendar, Reference]:
    calendar = BusinessCalendar(
        spec.zone, spec.hours, holidays=spec.holidays, holiday_regions=spec.regions
    )
    return calendar, Reference.of(spec.zone, spec.hours, spec.holidays, spec.regions)


BUILT = {name: build(spec) for name, spec in SPECS.items()}

# Windows around the 2026 DST changes: New York 03-08 and 11-01, Berlin 03-29 and 10-25,
# and US Thanksgiving (11-26).
WINDOWS = [datetime(2026, 2, 27, tzinfo=UTC), datetime(2026, 10, 12, tzinfo=UTC)]


@st.composite
def starts(draw: st.DrawFn) -> datetime:
    base = draw(st.sampled_from(WINDOWS))
    zone = draw(st.sampled_from([UTC, NY, BERLIN]))
    return (base + draw(st.integers(0, 40 * 24 * 60)) * MINUTE).astimezone(zone)


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.sampled_from(sorted(BUILT)), starts(), st.integers(0, 3 * 8 * 60))
def test_add_minutes_matches_reference(name: str, start: datetime, minutes: int) -> None:
    calendar, reference = BUILT[name]
    result = calendar.add(start, timedelta(minutes=minutes))
    assert utc(result) == reference.add(start, minutes)
    assert result.tzinfo is calendar.zone
    assert calendar.add(start, Duration(minutes=minutes)) == result
    assert calendar.elapsed(start, result) == minutes * MINUTE


@PROPERTY
@given(st.sampled_from(sorted(BUILT)), starts(), st.integers(-600, 6 * 24 * 60))
def test_elapsed_matches_reference(name: str, start: datetime, minutes: int) -> None:
    calendar, reference = BUILT[name]
    end = start + minutes * MINUTE
    assert calendar.elapsed(start, end) == reference.elapsed(start, end)


@PROPERTY
@given(st.sampled_from(sorted(BUILT)), starts())
def test_is_open_and_next_open_match_reference(name: str, start: datetime) -> None:
    calendar, reference = BUILT[name]
    assert calendar.is_open(start) == reference.is_open(start)
    following = calendar.next_open(start)
    assert utc(following) == reference.add(start, 0)
    assert utc(calendar.add(start, Duration())) == utc(following)
    assert calendar.is_open(following)
    assert following >= start
    assert calendar.elapsed(start, following) == timedelta(0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(BUILT)), starts(), st.integers(1, 4))
def test_add_days_matches_reference(name: str, start: datetime, count: int) -> None:
    calendar, reference = BUILT[name]
    assert utc(calendar.add(start, Duration(days=count))) == reference.add_days(start, count)


@PROPERTY
@given(st.sampled_from(sorted(BUILT)), starts(), st.integers(1, 3 * 8 * 60))
def test_elapsed_inverts_add_from_open_start(name: str, start: datetime, minutes: int) -> None:
    calendar, _ = BUILT[name]
    start = calendar.next_open(start)
    assert calendar.is_open(start)
    assert calendar.elapsed(start, calendar.add(start, minutes * MINUTE)) == minutes * MINUTE


# Random calendars: 0-2 intervals per weekday on a half-hour grid, random extra holidays.


@st.composite
def random_calendars(draw: st.DrawFn) -> tuple[BusinessCalendar, Reference, int]:
    zone = draw(st.sampled_from([NY, BERLIN]))
    hours: dict[int, list[tuple[time, time]]] = {}
    for weekday in range(7):
        count = draw(st.sampled_from([0, 2, 2, 4]))
        points = sorted(draw(st.sets(st.integers(0, 48), min_size=count, max_size=count)))
        hours[weekday] = [
            (time(a // 2, 30 * (a % 2)), time((b // 2) % 24, 30 * (b % 2)))
            for a, b in zip(points[::2], points[1::2], strict=True)
        ]
    weekly = sum(
        (b.hour * 60 + b.minute or 1440) - (a.hour * 60 + a.minute)
        for intervals in hours.values()
        for a, b in intervals
    )
    if weekly == 0:
        hours[2] = [(time(9), time(17))]
        weekly = 480
    extra = draw(st.lists(st.dates(date(2026, 2, 25), date(2026, 12, 20)), max_size=6))
    calendar = BusinessCalendar(zone, hours, holidays=extra)
    return calendar, Reference.of(zone, hours, extra), weekly


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    random_calendars(),
    starts(),
    st.integers(0, 10_000),
    st.integers(-600, 8 * 24 * 60),
    st.integers(1, 2),
)
def test_random_calendars_match_reference(
    built: tuple[BusinessCalendar, Reference, int],
    start: datetime,
    amount: int,
    span: int,
    days: int,
) -> None:
    calendar, reference, weekly = built
    minutes = amount % (weekly + 1)  # at most a week of work: the reference walks
    assert utc(calendar.add(start, minutes * MINUTE)) == reference.add(start, minutes)
    end = start + span * MINUTE
    assert calendar.elapsed(start, end) == reference.elapsed(start, end)
    assert calendar.is_open(start) == reference.is_open(start)
    assert utc(calendar.add(start, Duration(days=days))) == reference.add_days(start, days)


# The business-day rule on a uniform calendar: N days == N x (day length) business hours.

UNIFORM = BusinessCalendar(NY, WEEKDAYS_9_17, holiday_regions=[("US", None)])


@PROPERTY
@given(starts(), st.integers(1, 5))
def test_days_on_uniform_calendar_equal_hours(start: datetime, count: int) -> None:
    by_days = UNIFORM.add(start, Duration(days=count))
    assert utc(by_days) == utc(UNIFORM.add(start, count * 8 * H))
    assert UNIFORM.elapsed(start, by_days) == count * 8 * H
    assert utc(UNIFORM.add(start, Duration(weeks=1))) == utc(UNIFORM.add(start, Duration(days=5)))


# --- explicit cases ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def office() -> BusinessCalendar:
    """Mon-Fri 09:00-17:00 in New York with US federal holidays."""
    return BusinessCalendar("America/New_York", WEEKDAYS_9_17, holiday_regions=[("US", None)])


def test_basic_hours(office: BusinessCalendar) -> None:
    tue = ny(2026, 3, 10, 10)
    assert office.add(tue, d("4h")) == ny(2026, 3, 10, 14)
    assert office.add(ny(2026, 3, 10, 16), d("1h")) == ny(2026, 3, 10, 17)  # ends at close
    assert office.add(ny(2026, 3, 10, 16), d("90m")) == ny(2026, 3, 11, 9, 30)
    assert office.elapsed(tue, ny(2026, 3, 12, 10)) == 16 * H
    assert office.elapsed(ny(2026, 3, 12, 10), tue) == timedelta(0)
    assert office.is_open(ny(2026, 3, 10, 9))
    assert not office.is_open(ny(2026, 3, 10, 17))
    assert office.next_open(tue) == tue
    assert office.next_open(ny(2026, 3, 10, 17)) == ny(2026, 3, 11, 9)


def test_results_are_in_the_calendar_zone(office: BusinessCalendar) -> None:
    start = datetime(2026, 3, 10, 15, tzinfo=UTC)  # 11:00 in New York
    result = office.add(start, d("1h"))
    assert result.tzinfo is NY
    assert result == ny(2026, 3, 10, 12)
    assert office.next_open(start).tzinfo is NY


def test_sub_minute_precision(office: BusinessCalendar) -> None:
    start = ny(2026, 3, 10, 16, 59, 59, 500_000)
    assert office.add(start, timedelta(seconds=1)) == ny(2026, 3, 11, 9, 0, 0, 500_000)
    assert office.elapsed(start, ny(2026, 3, 11, 9, 0, 1)) == timedelta(seconds=1.5)


def test_start_at_night(office: BusinessCalendar) -> None:
    night = ny(2026, 3, 10, 22)
    assert not office.is_open(night)
    assert office.next_open(night) == ny(2026, 3, 11, 9)
    assert office.add(night, d("0m")) == ny(2026, 3, 11, 9)
    assert office.add(night, d("1h")) == ny(2026, 3, 11, 10)
    assert office.add(night, d("1d")) == ny(2026, 3, 11, 17)
    early = ny(2026, 3, 10, 6)
    assert office.add(early, d("1d")) == ny(2026, 3, 10, 17)


def test_start_on_saturday(office: BusinessCalendar) -> None:
    saturday = ny(2026, 3, 14, 3)
    assert office.next_open(saturday) == ny(2026, 3, 16, 9)
    assert office.add(saturday, d("4h")) == ny(2026, 3, 16, 13)
    # "accept within 2 business days" of a lead arriving Saturday 03:00: Tuesday's close.
    assert office.add(saturday, d("2d")) == ny(2026, 3, 17, 17)
    assert office.elapsed(saturday, ny(2026, 3, 17, 17)) == 16 * H


def test_friday_to_monday(office: BusinessCalendar) -> None:
    friday = ny(2026, 3, 13, 15)
    assert office.add(friday, d("1d")) == ny(2026, 3, 16, 15)
    assert office.add(friday, d("4h")) == ny(2026, 3, 16, 11)
    assert office.elapsed(friday, ny(2026, 3, 16, 11)) == 4 * H


def test_days_rule(office: BusinessCalendar) -> None:
    tue = ny(2026, 3, 10, 15)
    assert office.add(tue, d("1d")) == ny(2026, 3, 11, 15)
    assert office.add(tue, d("2d")) == ny(2026, 3, 12, 15)
    assert office.add(tue, d("1d4h")) == ny(2026, 3, 12, 11)  # days first, then hours
    # At or before the opening counts as the previous close: the lead gets the whole day.
    assert office.add(ny(2026, 3, 10, 9), d("1d")) == ny(2026, 3, 10, 17)
    assert office.add(ny(2026, 3, 10, 9, 1), d("1d")) == ny(2026, 3, 11, 9, 1)
    assert office.add(ny(2026, 3, 10, 17), d("1d")) == ny(2026, 3, 11, 17)
    assert office.add(ny(2026, 3, 16, 8), d("1d")) == ny(2026, 3, 16, 17)  # Monday morning


def test_weeks(office: BusinessCalendar) -> None:
    tue = ny(2026, 3, 10, 15)
    assert office.working_days_per_week() == 5
    assert office.add(tue, d("1w")) == ny(2026, 3, 17, 15)
    assert office.add(tue, d("2w")) == ny(2026, 3, 24, 15)
    assert office.add(tue, d("1w1d")) == ny(2026, 3, 18, 15)
    # Thanksgiving week: one extra day.
    assert office.add(ny(2026, 11, 24, 15), d("1w")) == ny(2026, 12, 2, 15)
    six_days = BusinessCalendar(NY, {day: [(time(9), time(17))] for day in range(6)})
    assert six_days.working_days_per_week() == 6
    assert six_days.add(tue, d("1w")) == ny(2026, 3, 17, 15)
    assert six_days.add(tue, d("5d")) == ny(2026, 3, 16, 15)


def test_split_shift() -> None:
    calendar = BusinessCalendar(
        "America/New_York",
        {
            0: [(time(9), time(12)), (time(13), time(17))],  # 7 h
            1: [(time(10), time(14))],  # 4 h
            2: [(time(8), time(10)), (time(11), time(12)), (time(14), time(18))],  # 7 h
        },
    )
    monday = date(2026, 3, 9)
    assert calendar.add(ny(2026, 3, 9, 11), d("2h")) == ny(2026, 3, 9, 14)  # skips lunch
    assert calendar.add(ny(2026, 3, 9, 12, 30), d("0m")) == ny(2026, 3, 9, 13)
    assert not calendar.is_open(ny(2026, 3, 9, 12))
    assert calendar.elapsed(ny(2026, 3, 9, 10), ny(2026, 3, 9, 14)) == 3 * H
    assert calendar.elapsed(datetime.combine(monday, time(0), NY), ny(2026, 3, 10)) == 7 * H
    # Days map "working time elapsed in the day" onto the target day's own intervals.
    assert calendar.add(ny(2026, 3, 9, 11), d("1d")) == ny(2026, 3, 10, 12)  # 2 h in
    assert calendar.add(ny(2026, 3, 9, 12, 30), d("1d")) == ny(2026, 3, 10, 13)  # 3 h in
    assert calendar.add(ny(2026, 3, 9, 16), d("1d")) == ny(2026, 3, 10, 14)  # 6 h: capped
    assert calendar.add(ny(2026, 3, 9, 16), d("2d")) == ny(2026, 3, 11, 17)  # 6 h in
    assert calendar.add(ny(2026, 3, 9, 11, 30), d("2d")) == ny(2026, 3, 11, 11, 30)  # 2.5 h
    assert calendar.add(ny(2026, 3, 9, 12, 30), d("2d")) == ny(2026, 3, 11, 12)  # 3 h: earliest
    assert calendar.working_days_per_week() == 3
    assert calendar.add(ny(2026, 3, 9, 16), d("1w")) == ny(2026, 3, 16, 16)
    assert calendar.add(ny(2026, 3, 10, 13), d("1w")) == ny(2026, 3, 17, 13)


def test_holidays_us_thanksgiving(office: BusinessCalendar) -> None:
    assert office.is_holiday(date(2026, 11, 26))
    assert not office.is_holiday(date(2026, 11, 27))
    assert not office.is_open(ny(2026, 11, 26, 12))
    wednesday = ny(2026, 11, 25, 16)
    assert office.add(wednesday, d("2h")) == ny(2026, 11, 27, 10)
    assert office.add(ny(2026, 11, 25, 15), d("1d")) == ny(2026, 11, 27, 15)
    assert office.elapsed(ny(2026, 11, 25, 9), ny(2026, 11, 27, 17)) == 16 * H
    assert office.next_open(ny(2026, 11, 26, 8)) == ny(2026, 11, 27, 9)
    # Independence Day 2026 falls on a Saturday; the package observes it on Friday.
    assert office.is_holiday(date(2026, 7, 3))


def test_holidays_germany_berlin() -> None:
    berlin_cal = BusinessCalendar(BERLIN, WEEKDAYS_9_17, holiday_regions=[("DE", "BE")])
    federal = BusinessCalendar(BERLIN, WEEKDAYS_9_17, holiday_regions=[("DE", None)])
    # Easter 2026: Good Friday 04-03 and Easter Monday 04-06 everywhere in Germany.
    assert berlin_cal.add(berlin(2026, 4, 2, 16), d("2h")) == berlin(2026, 4, 7, 10)
    assert berlin_cal.add(berlin(2026, 4, 2, 15), d("1d")) == berlin(2026, 4, 7, 15)
    # Women's Day (03-08) is a holiday in Berlin only; in 2027 it is a Monday.
    assert berlin_cal.is_holiday(date(2027, 3, 8))
    assert not federal.is_holiday(date(2027, 3, 8))
    assert berlin_cal.add(berlin(2027, 3, 5, 15), d("1d")) == berlin(2027, 3, 9, 15)
    assert federal.add(berlin(2027, 3, 5, 15), d("1d")) == berlin(2027, 3, 8, 15)


def test_explicit_holidays_and_several_regions() -> None:
    calendar = BusinessCalendar(
        NY,
        WEEKDAYS_9_17,
        holidays=[date(2026, 3, 11)],
        holiday_regions=[("US", None), ("DE", None)],
    )
    assert calendar.is_holiday(date(2026, 3, 11))
    assert calendar.is_holiday(date(2026, 11, 26))  # US
    assert calendar.is_holiday(date(2026, 10, 3))  # DE
    assert calendar.holidays == frozenset({date(2026, 3, 11)})
    assert calendar.holiday_regions == (("US", None), ("DE", None))
    assert calendar.add(ny(2026, 3, 10, 16), d("2h")) == ny(2026, 3, 12, 10)


@pytest.mark.parametrize(
    ("zone", "friday", "monday"),
    [
        (NY, (2026, 3, 6), (2026, 3, 9)),  # spring forward 03-08
        (NY, (2026, 10, 30), (2026, 11, 2)),  # fall back 11-01
        (BERLIN, (2026, 3, 27), (2026, 3, 30)),  # spring forward 03-29
        (BERLIN, (2026, 10, 23), (2026, 10, 26)),  # fall back 10-25
    ],
)
def test_dst_weekend_keeps_wall_clock_hours(
    zone: ZoneInfo, friday: tuple[int, int, int], monday: tuple[int, int, int]
) -> None:
    calendar = BusinessCalendar(zone, WEEKDAYS_9_17)
    fri_16 = datetime(*friday, 16, tzinfo=zone)
    assert calendar.add(fri_16, d("2h")) == datetime(*monday, 10, tzinfo=zone)
    assert calendar.add(fri_16, d("1d")) == datetime(*monday, 16, tzinfo=zone)
    fri_9 = datetime(*friday, 9, tzinfo=zone)
    assert calendar.elapsed(fri_9, datetime(*monday, 17, tzinfo=zone)) == 16 * H
    # Plain calendar arithmetic is absolute: the wall time moves by the DST change.
    shifted = calendar.add(fri_16, d("3d"), business=False)
    assert shifted.astimezone(UTC) - fri_16.astimezone(UTC) == timedelta(days=3)
    assert shifted.hour != 16


def test_round_the_clock_day_lengths() -> None:
    sundays = {6: [(time(0), time(0))]}
    for zone, spring, autumn in [
        (NY, date(2026, 3, 8), date(2026, 11, 1)),
        (BERLIN, date(2026, 3, 29), date(2026, 10, 25)),
    ]:
        calendar = BusinessCalendar(zone, sundays)
        for day, hours in [(spring, 23), (autumn, 25), (spring - timedelta(days=7), 24)]:
            midnight = datetime.combine(day, time(0), zone)
            following = datetime.combine(day + timedelta(days=1), time(0), zone)
            assert calendar.elapsed(midnight, following) == hours * H
            assert utc(calendar.add(midnight, hours * H)) == utc(following)
        everyday = BusinessCalendar(zone, {day: [(time(0), time(0))] for day in range(7)})
        start = datetime(2026, 3, 1, 12, tzinfo=zone)
        end = datetime(2026, 11, 15, 12, tzinfo=zone)
        assert everyday.elapsed(start, end) == end - start
        assert utc(everyday.add(start, end - start)) == utc(end)


def test_spring_forward_night_shift_new_york() -> None:
    calendar = BusinessCalendar(NY, {6: [(time(1), time(4))]})
    assert calendar.elapsed(ny(2026, 3, 8), ny(2026, 3, 9)) == 2 * H
    assert utc(calendar.add(ny(2026, 3, 8, 1, 30), d("1h"))) == utc(ny(2026, 3, 8, 3, 30))
    assert calendar.add(ny(2026, 3, 8, 1, 30), d("1h")).utcoffset() == -4 * H
    assert calendar.is_open(ny(2026, 3, 8, 1, 59))
    assert calendar.is_open(ny(2026, 3, 8, 3))
    assert utc(calendar.next_open(ny(2026, 3, 8))) == utc(ny(2026, 3, 8, 1))
    # An interval starting inside the gap starts when the clock jumps to 03:00.
    gap = BusinessCalendar(NY, {6: [(time(2, 30), time(4))]})
    assert utc(gap.next_open(ny(2026, 3, 8))) == utc(datetime(2026, 3, 8, 7, tzinfo=UTC))
    assert utc(gap.next_open(ny(2026, 3, 8))) == utc(ny(2026, 3, 8, 3))
    assert gap.elapsed(ny(2026, 3, 8), ny(2026, 3, 9)) == 1 * H
    # One ending inside the gap ends when the clock jumps.
    ending = BusinessCalendar(NY, {6: [(time(1), time(2, 30))]})
    assert ending.elapsed(ny(2026, 3, 8), ny(2026, 3, 9)) == 1 * H
    assert utc(ending.add(ny(2026, 3, 8, 1, 30), d("30m"))) == utc(
        datetime(2026, 3, 8, 7, tzinfo=UTC)
    )


def test_fall_back_night_shift_new_york() -> None:
    calendar = BusinessCalendar(NY, {6: [(time(1), time(3))]})
    assert calendar.elapsed(ny(2026, 11, 1), ny(2026, 11, 2)) == 3 * H  # 01:00-02:00 twice
    assert utc(calendar.add(ny(2026, 11, 1, 1), d("2h"))) == utc(ny(2026, 11, 1, 2))  # 02:00 EST
    assert calendar.add(ny(2026, 11, 1, 1), d("2h")).utcoffset() == -5 * H
    # 01:30-02:30 wall time: 01:30-02:00 EDT, then 01:30-02:30 EST (the repeat of 01:00-01:30
    # shows a wall time outside the interval). Nothing is counted twice.
    calendar = BusinessCalendar(NY, {6: [(time(1, 30), time(2, 30))]})
    assert calendar.elapsed(ny(2026, 11, 1), ny(2026, 11, 2)) == 90 * MINUTE
    assert calendar.is_open(ny(2026, 11, 1, 1, 45, fold=0))
    assert calendar.is_open(ny(2026, 11, 1, 1, 45, fold=1))
    assert not calendar.is_open(ny(2026, 11, 1, 1, 15, fold=1))
    result = calendar.add(ny(2026, 11, 1, 1, 45), d("20m"))
    assert utc(result) == utc(ny(2026, 11, 1, 1, 35, fold=1))
    assert result.fold == 1
    assert result.utcoffset() == -5 * H


def test_dst_night_shifts_berlin() -> None:
    calendar = BusinessCalendar(BERLIN, {6: [(time(1), time(4))]})
    assert calendar.elapsed(berlin(2026, 3, 29), berlin(2026, 3, 30)) == 2 * H
    assert calendar.elapsed(berlin(2026, 10, 25), berlin(2026, 10, 26)) == 4 * H
    assert utc(calendar.add(berlin(2026, 3, 29, 1, 30), d("1h"))) == utc(berlin(2026, 3, 29, 3, 30))
    assert utc(calendar.add(berlin(2026, 10, 25, 2, 30), d("1h"))) == utc(
        berlin(2026, 10, 25, 2, 30, fold=1)
    )


def test_in_zone() -> None:
    office = BusinessCalendar(NY, WEEKDAYS_9_17, holiday_regions=[("US", None)])
    lead_side = office.in_zone("Europe/Berlin")
    assert lead_side.zone == BERLIN
    assert office.zone == NY
    assert office.in_zone(NY) is office
    assert lead_side.hours == office.hours
    assert lead_side.working_days_per_week() == 5
    arrival = berlin(2026, 3, 16, 8)  # 03:00 in New York
    assert lead_side.add(arrival, d("4h")) == berlin(2026, 3, 16, 13)
    assert lead_side.add(arrival, d("4h")).tzinfo is BERLIN
    assert office.add(arrival, d("4h")) == ny(2026, 3, 16, 13)
    # Instants in any zone: 04:00 in New York is 09:00 in Berlin.
    assert lead_side.is_open(ny(2026, 3, 16, 4))
    assert not office.is_open(ny(2026, 3, 16, 4))
    # Same holidays, read as Berlin dates.
    assert not lead_side.is_open(berlin(2026, 11, 26, 10))
    assert lead_side.is_holiday(date(2026, 11, 26))
    # Between the US (03-08) and EU (03-29) changes New York is 5 hours behind, not 6.
    assert lead_side.elapsed(ny(2026, 3, 20, 4), ny(2026, 3, 20, 12)) == 8 * H


def test_business_false_is_plain_calendar_arithmetic(office: BusinessCalendar) -> None:
    saturday = ny(2026, 3, 14, 3)
    assert office.add(saturday, d("4h"), business=False) == ny(2026, 3, 14, 7)
    assert office.add(saturday, d("1w"), business=False) == saturday + timedelta(days=7)
    assert office.add(saturday, timedelta(minutes=-5), business=False) == ny(2026, 3, 14, 2, 55)
    # A day is 24 hours, across the spring-forward night too.
    assert office.add(ny(2026, 3, 7, 12), d("1d"), business=False) == ny(2026, 3, 8, 13)
    assert office.add(datetime(2026, 3, 14, tzinfo=UTC), d("1h"), business=False).tzinfo is NY


def test_timedelta_durations(office: BusinessCalendar) -> None:
    assert office.add(ny(2026, 3, 10, 16), timedelta(hours=2)) == ny(2026, 3, 11, 10)
    with pytest.raises(ValueError, match="negative"):
        office.add(ny(2026, 3, 10, 16), timedelta(hours=-2))
    with pytest.raises(TypeError, match="Duration or a timedelta"):
        office.add(ny(2026, 3, 10, 16), "4h")  # type: ignore[arg-type]


def test_long_spans_terminate_quickly(office: BusinessCalendar) -> None:
    start = ny(2026, 3, 10, 15)
    began = clock.perf_counter()
    result = office.add(start, timedelta(hours=8 * 250 * 5))
    assert office.elapsed(start, result) == timedelta(hours=8 * 250 * 5)
    assert office.add(start, d("260w")).year == 2031
    assert clock.perf_counter() - began < 10  # generous: it takes well under a second


def test_no_working_time_for_years_raises() -> None:
    mondays = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(600)]
    calendar = BusinessCalendar(NY, {0: [(time(9), time(17))]}, holidays=mondays)
    with pytest.raises(ValueError, match="no working time within"):
        calendar.add(ny(2026, 1, 1), d("1h"))
    with pytest.raises(ValueError, match="no working day within"):
        calendar.add(ny(2026, 1, 1), d("1d"))
    assert calendar.add(ny(2025, 12, 29, 10), d("1h")) == ny(2025, 12, 29, 11)


def test_naive_datetimes_are_rejected(office: BusinessCalendar) -> None:
    naive = datetime(2026, 3, 10, 12)
    with pytest.raises(ValueError, match="timezone-aware"):
        office.add(naive, d("1h"))
    with pytest.raises(ValueError, match="timezone-aware"):
        office.elapsed(ny(2026, 3, 10), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        office.is_open(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        office.next_open(naive)
    with pytest.raises(TypeError, match="must be a datetime"):
        office.is_open(date(2026, 3, 10))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes a date"):
        office.is_holiday(ny(2026, 3, 10))


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({}, "no working hours at all"),
        ({0: [], 6: []}, "no working hours at all"),
        ({0: [(time(22), time(6))]}, "crosses midnight"),
        ({0: [(time(9), time(9))]}, "is empty"),
        ({0: [(time(9), time(12)), (time(11), time(14))]}, "intervals overlap"),
        ({7: [(time(9), time(17))]}, "weekday must be 0 (Monday) to 6"),
        ({0: [(time(9), time(17), time(18))]}, "expected (start, end) times"),
        ({0: [("09:00", "17:00")]}, "expected (start, end) times"),
        ({0: [(time(9, tzinfo=UTC), time(17))]}, "must not carry a tzinfo"),
    ],
)
def test_invalid_hours(hours: dict[int, list[tuple[time, time]]], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        BusinessCalendar(NY, hours)


def test_invalid_zone_and_regions() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        BusinessCalendar("Mars/Olympus_Mons", WEEKDAYS_9_17)
    with pytest.raises(TypeError, match="IANA zone name"):
        BusinessCalendar(UTC, WEEKDAYS_9_17)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown holiday region"):
        BusinessCalendar(NY, WEEKDAYS_9_17, holiday_regions=[("XX", None)])
    with pytest.raises(ValueError, match="unknown holiday region"):
        BusinessCalendar(NY, WEEKDAYS_9_17, holiday_regions=[("US", "ZZ")])
    with pytest.raises(ValueError, match="holidays must be dates"):
        BusinessCalendar(NY, WEEKDAYS_9_17, holidays=[ny(2026, 1, 1)])


def test_adjacent_intervals_and_midnight() -> None:
    calendar = BusinessCalendar(
        "Europe/Berlin",
        {
            0: [(time(13), time(17)), (time(9), time(13))],
            1: [(time(20), time(0))],
            2: [(time(0), time(2))],
        },
    )
    assert calendar.hours[0] == ((time(13), time(17)), (time(9), time(13)))
    assert calendar.add(berlin(2026, 3, 9, 12), d("2h")) == berlin(2026, 3, 9, 14)
    assert calendar.add(berlin(2026, 3, 10, 23), d("2h")) == berlin(2026, 3, 11, 1)  # overnight
    assert calendar.elapsed(berlin(2026, 3, 10, 12), berlin(2026, 3, 11, 12)) == 6 * H
    assert "Europe/Berlin" in repr(calendar)
