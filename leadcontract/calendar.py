"""Business time: when a team works, and SLA arithmetic in working time.

A :class:`BusinessCalendar` is a time zone, weekly working hours in local *wall-clock* time
(split shifts allowed) and holidays (explicit dates and/or ``holidays``-package regions).
SLA clocks ("first touch within 4 business hours", "accept or reject within 2 business days")
use :meth:`BusinessCalendar.add` and :meth:`BusinessCalendar.elapsed`.

Definitions (these are the semantics SLAs and their documentation rely on)
--------------------------------------------------------------------------

Instants
    All instants are timezone-aware :class:`~datetime.datetime` objects, in any zone; a naive
    datetime raises :class:`ValueError` (a programming error). Results are aware datetimes in
    the calendar's zone. Arithmetic is exact to the microsecond. A result inside the repeated
    autumn hour carries ``fold=1`` when it is the second occurrence; compare such instants
    after ``.astimezone(UTC)`` (by PEP 495, ``==`` between different zones is always false for
    ambiguous wall times, and ``==`` within one zone ignores ``fold``).

Working time
    An instant is *working time* when the calendar's local wall clock at that instant shows a
    time inside one of the working intervals of that local date's weekday, and that local date
    is not a holiday. Intervals are half-open, ``[start, end)``: a 09:00-17:00 day is open at
    09:00 and closed at 17:00. An interval's end ``00:00`` means 24:00 (end of the day);
    intervals never cross midnight (write ``22:00-00:00`` on one day and ``00:00-06:00`` on the
    next instead). A day is a *working day* when it has any working time.

Daylight-saving changes
    Business time is *real* elapsed time during which the wall clock shows working time, so it
    follows the wall clock: a 09:00-17:00 day is 8 hours on every day, DST changes included.
    Wall times that do not exist (the spring-forward gap) are simply never shown: a shift
    01:00-04:00 on the spring-forward night is 2 hours long, and a shift starting inside the
    gap starts when the clock jumps. On the autumn night the repeated wall hour really happens
    twice, so a 01:00-03:00 shift is 3 real hours; each real instant is counted exactly once
    (nothing is counted twice, nothing is skipped).

``elapsed(start, end)``
    The total working time in ``[start, end)``; zero if ``end <= start``.

``add(start, duration)``: hours and minutes (and any :class:`~datetime.timedelta`)
    The clock counts working time only, starting at ``start`` (or at the next opening when
    ``start`` is outside working time). The result is the *earliest* instant at which the
    requested working time has elapsed, so a deadline falls on a closing time rather than on
    the next opening: Tue 16:00 + 1h on 09:00-17:00 is Tue 17:00, not Wed 09:00. Therefore
    ``elapsed(start, add(start, d)) == d`` for every start. Adding zero gives ``start`` itself
    when it is working time, otherwise the next opening (:meth:`BusinessCalendar.next_open`).

``add(start, duration)``: days (the business-day rule)
    Every instant has an *anchor day* and a *position*: the anchor day is the latest working
    day that has working time before the instant, the position is the working time of that
    day before the instant. ``N`` business days later is the instant of the ``N``-th working
    day after the anchor day at which that day's working time has reached the same position,
    mapped onto that day's own intervals (split shifts included) and capped at that day's
    close when the day is shorter. When *all* of the anchor day's working time lies before
    the instant (at or after its close, at night, on a weekend or holiday, before or exactly
    at the next opening), the position is *the whole day*: the result is the close of the
    ``N``-th working day, however long either day is. Consequences, on a Mon-Fri 09:00-17:00
    calendar:

    - Tue 15:00 + 1d = Wed 15:00; Fri 15:00 + 1d = Mon 15:00 (weekends and holidays skipped).
    - An instant with no working time of its own day before it counts as the *close of the
      previous working day*: Tue 20:00 + 1d = Wed 17:00; Tue 08:00 + 1d = Tue 09:00 + 1d =
      Tue 17:00 (the lead gets all of Tuesday); a lead arriving Sat 03:00 with "within 2
      business days" is due Tue 17:00 (Monday and Tuesday). With a short Friday
      (09:00-16:00), Mon 08:56 + 1d is still Mon 17:00: the whole of Monday, not Friday's
      seven hours of it. A lunch break keeps the morning's position.
    - The result is the earliest instant with that position, so it can be a closing time
      (a position equal to the morning's length lands on the lunch break's start).
    - When all working days have the same length ``L``, ``add(t, N days)`` equals
      ``add(t, N × L working time)`` for every ``t``; days only differ from hours when day
      lengths differ (half days, different split shifts, round-the-clock days across DST).

``add(start, duration)``: weeks, and mixed durations
    ``N`` weeks are ``N × working_days_per_week()`` business days. A duration such as ``1d4h``
    adds the (week and) day part first, then the hour and minute part from that result:
    Tue 15:00 + 1d4h = Wed 15:00 + 4h = Thu 11:00. A zero duration gives
    :meth:`~BusinessCalendar.next_open`.

``add(..., business=False)``
    Plain calendar arithmetic in absolute time: ``start + duration.as_timedelta()`` computed
    on the UTC time line (a day is exactly 24 hours, also across DST changes), returned in the
    calendar's zone. Negative timedeltas are allowed here only.

Supported dates
---------------
Instants from :data:`SUPPORTED_START` (1900-01-01T00:00Z) to :data:`SUPPORTED_END`
(2200-01-01T00:00Z) inclusive. An instant outside, or a result that would fall after the end,
raises :class:`DateRangeError` (a :class:`ValueError`): CRM data does not predate 1900, the
``holidays`` package and the time zone database are meaningful there, and a bounded window
bounds every table below (at most 300 years per calendar), so no input can make a call slow.

Performance
-----------
Business time is a monotone map from instants to accumulated working time, kept per UTC
year as a table of working intervals (integer microseconds) with cumulative sums, plus
prefix sums of whole years; working days the same way per local year
(:mod:`leadcontract._cumulative`). ``elapsed`` is two binary searches and a subtraction;
``add`` is the inverse: one binary search over years, one inside the year. A year's total
is computed in closed form (whole weeks multiplied, then each holiday and each day next to
a daylight-saving change corrected exactly), so a span of decades costs one total per year,
once per calendar, and never a walk over its days; only the years an answer lands in are
built in full (about 370 local dates each, milliseconds). Region holidays load per year on
first use (about a millisecond per region and year). A search that would cross more than
:data:`MAX_IDLE_DAYS` consecutive days without working time raises :class:`ValueError`.

Callers that compute many sums (SLA clocks) use the same arithmetic on integer instants,
microseconds since the UTC epoch: :meth:`BusinessCalendar.add_micros`,
:meth:`BusinessCalendar.advance_micros` and :meth:`BusinessCalendar.elapsed_micros` give
exactly the answers (and raise exactly the errors) of ``add`` and ``elapsed`` without
building a datetime. The business-day rule remembers the zone's UTC offset per day and the
working day ``N`` days after each anchor day, so leads that arrive on the same days share
that work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package

from leadcontract._cumulative import CumulativeLine, OutOfRangeError
from leadcontract.durations import Duration

__all__ = [
    "MAX_IDLE_DAYS",
    "SUPPORTED_END",
    "SUPPORTED_START",
    "BusinessCalendar",
    "DateRangeError",
    "check_supported",
]

MAX_IDLE_DAYS: Final = 3_660
"""Longest run of days without working time a search crosses before giving up."""

SUPPORTED_START: Final = datetime(1900, 1, 1, tzinfo=UTC)
"""The first instant business-time arithmetic accepts."""
SUPPORTED_END: Final = datetime(2200, 1, 1, tzinfo=UTC)
"""The last instant business-time arithmetic accepts or returns."""

_SECOND: Final = 1_000_000
_MINUTE: Final = 60 * _SECOND
_HOUR: Final = 60 * _MINUTE
_DAY: Final = 24 * _HOUR
_ONE_US: Final = timedelta(microseconds=1)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_EPOCH_WEEKDAY: Final = date(1970, 1, 1).weekday()
_OFFSET_SAMPLE_STEP: Final = 86_400  # seconds; see _transitions
_CACHE_LIMIT: Final = 100_000
_LOWEST: Final = (SUPPORTED_START - _EPOCH) // _ONE_US
_HIGHEST: Final = (SUPPORTED_END - _EPOCH) // _ONE_US
_FIRST_YEAR: Final = SUPPORTED_START.year - 1  # local dates just before the window
_LAST_YEAR: Final = SUPPORTED_END.year  # the end instant itself, and local dates after it
_TRANSITION_REACH: Final = 2  # local dates within this many days of an offset change

_Span = tuple[int, int]
"""A working interval: start and end, as microseconds (since local midnight, or UTC epoch)."""
_Local = tuple[tuple[_Span, ...], int]
"""Working pieces of one local date on the UTC time line, sorted, and their total length."""

_EMPTY_LOCAL: Final[_Local] = ((), 0)
_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class DateRangeError(ValueError):
    """An instant, or a result, outside the supported dates (see the module documentation)."""


def check_supported(instant: datetime, name: str = "instant") -> None:
    """Raise :class:`DateRangeError` unless ``instant`` lies in the supported window.

    For callers that validate input (records, ``--as-of``) before any arithmetic runs.
    """
    at = _to_us(instant, name)
    if not _LOWEST <= at <= _HIGHEST:
        raise DateRangeError(f"{name} {instant.isoformat()} is {_OUTSIDE}")


def _checked(at: int, name: str) -> int:
    if not _LOWEST <= at <= _HIGHEST:
        try:
            shown = _iso(_EPOCH + timedelta(microseconds=at))
        except OverflowError:  # beyond year 9999 (or before year 1) once in UTC
            shown = "(beyond the years 1-9999 in UTC)"
        raise DateRangeError(f"{name} {shown} is {_OUTSIDE}")
    return at


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


_OUTSIDE: Final = f"outside the supported dates ({_iso(SUPPORTED_START)} to {_iso(SUPPORTED_END)})"


def _to_us(instant: datetime, name: str) -> int:
    """Microseconds since the UTC epoch of an aware datetime."""
    try:
        return (instant - _EPOCH) // _ONE_US
    except OverflowError:  # near year 1 or 9999, where moving to UTC leaves the range
        raise DateRangeError(f"{name} {instant.isoformat()} is {_OUTSIDE}") from None
    except TypeError:
        if not isinstance(instant, datetime):
            raise TypeError(f"{name} must be a datetime, got {type(instant).__name__}") from None
        raise ValueError(
            f"{name} must be a timezone-aware datetime, got the naive {instant.isoformat()}"
        ) from None


def _time_us(value: time) -> int:
    return (value.hour * 60 + value.minute) * _MINUTE + value.second * _SECOND + value.microsecond


def _offset_at_second(zone: ZoneInfo, second: int) -> int:
    """UTC offset of ``zone`` at ``second`` seconds after the epoch, in microseconds."""
    offset = datetime.fromtimestamp(second, zone).utcoffset()
    assert offset is not None
    return offset // _ONE_US


def _offset(zone: ZoneInfo, at: int) -> int:
    """UTC offset of ``zone`` at the instant ``at``, in microseconds (offsets change on
    whole seconds, so the second ``at`` falls in decides)."""
    return _offset_at_second(zone, at // _SECOND)


def _day_number(year: int) -> int:
    """Days from 1970-01-01 to the first of January of ``year``."""
    return date(year, 1, 1).toordinal() - _EPOCH_ORDINAL


def _year_of_day(day: int) -> int:
    return date.fromordinal(day + _EPOCH_ORDINAL).year


def _year_start(year: int) -> int:
    return _day_number(year) * _DAY


def _year_of(at: int) -> int:
    return _year_of_day(at // _DAY)


def _day_of(at: int) -> int:
    return at // _DAY


@lru_cache(maxsize=1 << 16)  # a few hundred zones times the years of the window
def _transitions(zone: ZoneInfo, year: int) -> tuple[tuple[int, int], ...]:
    """Offset changes of ``zone`` in UTC year ``year``: ``(instant, new offset)``, sorted.

    A change exactly at the start of the next year is listed here. Found by sampling the
    offset once a day and bisecting, to the second, where it changes; computed once per zone
    and year and shared by all calendars. A day is short enough: in the tz database the
    shortest time between two offset changes since 1900 is about four days (Freetown, 1939).
    """
    lo = _year_start(year) // _SECOND
    hi = _year_start(year + 1) // _SECOND
    changes: list[tuple[int, int]] = []
    previous = _offset_at_second(zone, lo)
    point = lo
    while point < hi:
        following = min(point + _OFFSET_SAMPLE_STEP, hi)
        offset = _offset_at_second(zone, following)
        if offset != previous:
            low, high = point, following
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_at_second(zone, middle) == previous:
                    low = middle
                else:
                    high = middle
            changes.append((high * _SECOND, offset))
            previous = offset
        point = following
    return tuple(changes)


def _merge(spans: list[_Span]) -> list[_Span]:
    """Sort and join touching spans (the inputs never overlap)."""
    spans.sort()
    merged: list[_Span] = []
    for start, end in spans:
        if merged and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _zone(value: str | ZoneInfo) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
    raise TypeError(f"timezone must be an IANA zone name or a ZoneInfo, got {value!r}")


def _week(hours: Mapping[int, Sequence[tuple[time, time]]]) -> tuple[tuple[_Span, ...], ...]:
    """Validate working hours; return per weekday the spans in microseconds since midnight."""
    week: list[list[_Span]] = [[] for _ in range(7)]
    for weekday, intervals in hours.items():
        if type(weekday) is not int or not 0 <= weekday <= 6:
            raise ValueError(f"working hours: weekday must be 0 (Monday) to 6, got {weekday!r}")
        day = _WEEKDAYS[weekday]
        for interval in intervals:
            try:
                start, end = interval
            except (TypeError, ValueError):
                raise ValueError(
                    f"working hours on {day}: expected (start, end) times, got {interval!r}"
                ) from None
            if not isinstance(start, time) or not isinstance(end, time):
                raise ValueError(
                    f"working hours on {day}: expected (start, end) times, got {interval!r}"
                )
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError(
                    f"working hours on {day}: times are local wall times and must not carry "
                    "a tzinfo (the calendar's zone applies)"
                )
            start_us = _time_us(start)
            end_us = _time_us(end) or _DAY  # 00:00 as an end means 24:00
            if end_us <= start_us:
                raise ValueError(
                    f"working hours on {day}: {start:%H:%M}-{end:%H:%M} is empty or crosses "
                    "midnight; an interval must end after it starts (00:00 as the end means "
                    "24:00; split a night shift at midnight over two days)"
                )
            week[weekday].append((start_us, end_us))
        spans = sorted(week[weekday])
        for (_, end_a), (start_b, _) in pairwise(spans):
            if start_b < end_a:
                raise ValueError(f"working hours on {day}: intervals overlap")
        week[weekday] = _merge(spans)
    if not any(week):
        raise ValueError("the calendar has no working hours at all")
    return tuple(tuple(spans) for spans in week)


class _Holidays:
    """Explicit holiday dates plus ``holidays``-package regions, loaded per year on demand.

    Shared between a calendar and its :meth:`BusinessCalendar.in_zone` copies.
    """

    __slots__ = ("_by_year", "dates", "regions")

    def __init__(self, dates: Iterable[date], regions: Sequence[tuple[str, str | None]]) -> None:
        explicit: set[date] = set()
        for day in dates:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"holidays must be dates, got {day!r}")
            explicit.add(day)
        self.dates: frozenset[date] = frozenset(explicit)
        checked: list[tuple[str, str | None]] = []
        for region in regions:
            try:
                country, subdivision = region
            except (TypeError, ValueError):
                raise ValueError(
                    f"holiday region must be (country, subdivision or None), got {region!r}"
                ) from None
            try:
                holidays_package.country_holidays(country, subdiv=subdivision, years=())
            except NotImplementedError as exc:
                raise ValueError(f"unknown holiday region {region!r}: {exc}") from None
            checked.append((country, subdivision))
        self.regions: tuple[tuple[str, str | None], ...] = tuple(checked)
        self._by_year: dict[int, frozenset[date]] = {}

    def year(self, year: int) -> frozenset[date]:
        """All holidays in ``year``."""
        found = self._by_year.get(year)
        if found is None:
            days = {day for day in self.dates if day.year == year}
            for country, subdivision in self.regions:
                table = holidays_package.country_holidays(country, subdiv=subdivision, years=year)
                days.update(day for day in table if day.year == year)
            found = self._by_year[year] = frozenset(days)
        return found

    def __contains__(self, day: date) -> bool:
        if day in self.dates:
            return True
        return bool(self.regions) and day in self.year(day.year)


class BusinessCalendar:
    """Working hours in a time zone, with holidays; arithmetic in business time.

    ``hours`` maps a weekday (0 = Monday) to its working intervals in local wall time, e.g.
    ``{0: [(time(9), time(12)), (time(13), time(17))], ...}``; missing weekdays are closed.
    ``holidays`` are extra closed dates; ``holiday_regions`` are ``(country, subdivision)``
    pairs for the ``holidays`` package, e.g. ``("US", "NY")``, ``("DE", "BE")``,
    ``("US", None)``. See the module documentation for the exact semantics.
    """

    __slots__ = (
        "_day_offsets",
        "_day_steps",
        "_days",
        "_days_per_week",
        "_holidays",
        "_hours",
        "_locals",
        "_nominal",
        "_time",
        "_week",
        "_zone",
        "_zones",
    )

    def __init__(
        self,
        timezone: str | ZoneInfo,
        hours: Mapping[int, Sequence[tuple[time, time]]],
        *,
        holidays: Iterable[date] = (),
        holiday_regions: Sequence[tuple[str, str | None]] = (),
    ) -> None:
        self._zone = _zone(timezone)
        self._week = _week(hours)
        self._days_per_week = sum(1 for spans in self._week if spans)
        self._hours: dict[int, tuple[tuple[time, time], ...]] = {
            weekday: tuple((start, end) for start, end in intervals)
            for weekday, intervals in sorted(hours.items())
            if intervals
        }
        self._holidays = _Holidays(holidays, holiday_regions)
        self._setup()

    def _setup(self) -> None:
        """Per-zone state: the weekly lengths and the (lazily filled) tables."""
        self._nominal = tuple(sum(end - start for start, end in spans) for spans in self._week)
        self._locals: dict[int, _Local] = {}
        self._day_offsets: dict[int, int | None] = {}
        self._day_steps: dict[tuple[int, int], int] = {}
        self._zones: dict[ZoneInfo, BusinessCalendar] = {}
        self._time = CumulativeLine(
            year_of=_year_of,
            year_start=_year_start,
            build=self._time_pieces,
            total=self._time_total,
            first_year=_FIRST_YEAR,
            last_year=_LAST_YEAR,
        )
        self._days = CumulativeLine(
            year_of=_year_of_day,
            year_start=_day_number,
            build=self._working_days,
            total=self._working_day_count,
            first_year=_FIRST_YEAR,
            last_year=_LAST_YEAR,
        )

    # --- description ----------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        """The zone whose wall clock the working hours are read in."""
        return self._zone

    @property
    def hours(self) -> Mapping[int, tuple[tuple[time, time], ...]]:
        """The working hours as given (weekdays without hours left out)."""
        return dict(self._hours)

    @property
    def holidays(self) -> frozenset[date]:
        """The explicit holiday dates (region holidays are not listed)."""
        return self._holidays.dates

    @property
    def holiday_regions(self) -> tuple[tuple[str, str | None], ...]:
        return self._holidays.regions

    def __repr__(self) -> str:
        hours = {
            weekday: [f"{start:%H:%M}-{end:%H:%M}" for start, end in intervals]
            for weekday, intervals in self._hours.items()
        }
        return (
            f"BusinessCalendar({self._zone.key!r}, hours={hours}, "
            f"holidays={len(self._holidays.dates)} dates, "
            f"holiday_regions={list(self._holidays.regions)})"
        )

    def in_zone(self, timezone: str | ZoneInfo) -> BusinessCalendar:
        """The same hours and holidays, with wall times read in another zone.

        Use it for SLAs measured in the lead's or the owning rep's local time.
        """
        zone = _zone(timezone)
        if zone == self._zone:
            return self
        # One copy per zone, shared by every SLA that reads this calendar there: its tables
        # are then built once.
        found = self._zones.get(zone)
        if found is None:
            found = object.__new__(BusinessCalendar)
            found._zone = zone
            found._week = self._week
            found._days_per_week = self._days_per_week
            found._hours = self._hours
            found._holidays = self._holidays
            found._setup()
            self._zones[zone] = found
        return found

    def working_days_per_week(self) -> int:
        """Weekdays that have working hours (holidays not considered)."""
        return self._days_per_week

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` (a local date) is an explicit or regional holiday."""
        if isinstance(day, datetime):
            raise TypeError("is_holiday takes a date, not a datetime")
        return day in self._holidays

    # --- queries --------------------------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        """Whether ``instant`` is working time."""
        return self._time.contains(_checked(_to_us(instant, "instant"), "instant"))

    def next_open(self, instant: datetime) -> datetime:
        """The first working instant at or after ``instant`` (``instant`` itself if open)."""
        return self._from_us(self._add_time(_checked(_to_us(instant, "instant"), "instant"), 0))

    def add(
        self, start: datetime, duration: Duration | timedelta, *, business: bool = True
    ) -> datetime:
        """``start`` plus ``duration`` in business time (see the module documentation).

        With ``business=False``, plain calendar arithmetic on the UTC time line.
        """
        at = _checked(_to_us(start, "start"), "start")
        return self._from_us(self._sum(at, duration, business))

    def add_utc(self, start: datetime, duration: Duration | timedelta) -> datetime:
        """:meth:`add` in business time, as the same instant in UTC.

        The UTC result skips the round trip through the calendar's zone.
        """
        at = self.add_micros(_to_us(start, "start"), duration)
        return _EPOCH + timedelta(microseconds=at)

    # --- the same arithmetic on integer instants (what SLA clocks compute with) -----------

    def add_micros(self, start: int, duration: Duration | timedelta) -> int:
        """:meth:`add` in business time on instants written as integer microseconds since
        the UTC epoch (1970-01-01T00:00Z): no datetime is built or read.

        Raises :class:`DateRangeError` for a start or a result outside the supported dates.
        """
        found = self._sum(_checked(start, "start"), duration, True)
        if not _LOWEST <= found <= _HIGHEST:
            _checked(found, "the result")
        return found

    def advance_micros(self, start: int, amount: int) -> int:
        """The earliest instant by which ``amount`` microseconds of working time (``>= 0``)
        have elapsed since ``start``, instants as in :meth:`add_micros`: the same as
        ``add(start, timedelta(microseconds=amount))``, so zero gives the next opening."""
        if not _LOWEST <= start <= _HIGHEST:
            _checked(start, "start")
        if amount < 0:
            raise ValueError(f"cannot add a negative business duration ({amount} µs)")
        found = self._add_time(start, amount)
        if not _LOWEST <= found <= _HIGHEST:
            _checked(found, "the result")
        return found

    def elapsed_micros(self, start: int, end: int) -> int:
        """:meth:`elapsed` on instants as in :meth:`add_micros`, in microseconds."""
        if not (_LOWEST <= start <= _HIGHEST and _LOWEST <= end <= _HIGHEST):
            _checked(start, "start")
            _checked(end, "end")
        if end <= start:
            return 0
        return self._time.between(start, end)

    def _sum(self, at: int, duration: Duration | timedelta, business: bool) -> int:
        """The instant (microseconds since the epoch) ``duration`` after ``at``."""
        if isinstance(duration, Duration):
            if not business:
                return at + duration.calendar_minutes * _MINUTE
            days = duration.weeks * self._days_per_week + duration.days
            minutes = duration.hours * 60 + duration.minutes
            if days:
                at = self._add_days(at, days)
            if minutes or not days:
                at = self._add_time(at, minutes * _MINUTE)
            return at
        if isinstance(duration, timedelta):
            amount = duration // _ONE_US
            if not business:
                return at + amount
            if amount < 0:
                raise ValueError(f"cannot add a negative business duration ({duration})")
            return self._add_time(at, amount)
        raise TypeError(f"duration must be a Duration or a timedelta, got {duration!r}")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end)``; zero when ``end <= start``."""
        lo = _checked(_to_us(start, "start"), "start")
        hi = _checked(_to_us(end, "end"), "end")
        if hi <= lo:
            return timedelta(0)
        return timedelta(microseconds=self._time.between(lo, hi))

    # --- arithmetic on the UTC time line (microseconds) -----------------------------------

    def _from_us(self, at: int) -> datetime:
        if not _LOWEST <= at <= _HIGHEST:
            _checked(at, "the result")
        return (_EPOCH + timedelta(microseconds=at)).astimezone(self._zone)

    def _add_time(self, at: int, amount: int) -> int:
        """The earliest instant by which ``amount`` working time has elapsed since ``at``.

        With ``amount == 0``: the first working instant at or after ``at``.
        """
        line = self._time
        if amount:
            found, crossed = self._advance(line, at, amount, "working time")
        elif line.contains(at):
            return at
        else:
            # One microsecond of work past `at` ends one microsecond after the opening.
            found, crossed = self._advance(line, at, 1, "working time")
            found -= 1
        if crossed and line.longest_idle(at, found, _day_of) > MAX_IDLE_DAYS:
            raise ValueError(
                f"no working time within {MAX_IDLE_DAYS} days; check the calendar's "
                "hours and holidays"
            )
        return found

    def _add_days(self, at: int, count: int) -> int:
        """``count`` business days after ``at`` (the business-day rule, module docs)."""
        # Anchor day: the latest working day with working time before `at`, and the position
        # (None: the whole day, when all of the anchor day's working time lies before `at`).
        local_day = (at + self._offset(at)) // _DAY
        anchor: int | None = None
        position: int | None = None
        for day in (local_day + 1, local_day, local_day - 1):  # pieces may straddle `at`
            pieces, length = self._local(day)
            if not length or pieces[0][0] >= at:
                continue
            anchor = day
            if pieces[-1][1] > at:  # else the whole day: position None
                position = 0
                for begin, end in pieces:
                    if begin < at:
                        position += (end if end < at else at) - begin
            break
        days = self._days
        if anchor is None:
            # Working days before local_day - 1: the latest one ends where the count of
            # working days first reaches the count before local_day - 1.
            anchor = self._search(days, days.cumulative(local_day - 1), "working day") - 1
            if local_day - anchor > MAX_IDLE_DAYS:
                raise ValueError(f"no working day within {MAX_IDLE_DAYS} days before {at}")
        target = self._working_day_after(anchor, count)
        pieces, length = self._local(target)
        if position is None or position >= length:
            return pieces[-1][1]
        for begin, end in pieces:
            if position <= end - begin:
                return begin + position
            position -= end - begin
        raise AssertionError("unreachable")  # pragma: no cover

    def _working_day_after(self, anchor: int, count: int) -> int:
        """The ``count``-th working day after the day ``anchor`` (remembered: clocks of many
        leads count from the same few days)."""
        key = (anchor, count)
        found = self._day_steps.get(key)
        if found is None:
            days = self._days
            found, crossed = self._advance(days, anchor + 1, count, "working day")
            found -= 1
            if crossed and days.longest_idle(anchor, found, int) > MAX_IDLE_DAYS:
                raise ValueError(f"no working day within {MAX_IDLE_DAYS} days")
            if len(self._day_steps) >= _CACHE_LIMIT:
                self._day_steps.clear()
            self._day_steps[key] = found
        return found

    def _offset(self, at: int) -> int:
        """The zone's UTC offset at the instant ``at``, remembered per UTC day when it holds
        all day (offset changes lie days apart, see :func:`_transitions`, so equal offsets
        at a day's first and last second mean no change within it)."""
        day = at // _DAY
        try:
            found = self._day_offsets[day]
        except KeyError:
            first = _offset(self._zone, day * _DAY)
            found = first if first == _offset(self._zone, (day + 1) * _DAY - 1) else None
            if len(self._day_offsets) >= _CACHE_LIMIT:
                self._day_offsets.clear()
            self._day_offsets[day] = found
        return _offset(self._zone, at) if found is None else found

    @staticmethod
    def _advance(line: CumulativeLine, at: int, amount: int, what: str) -> tuple[int, bool]:
        try:
            return line.advance(at, amount)
        except OutOfRangeError:
            raise DateRangeError(f"the result is {_OUTSIDE}: no {what} inside them") from None

    @staticmethod
    def _search(line: CumulativeLine, target: int, what: str) -> int:
        try:
            return line.earliest(target)
        except OutOfRangeError:
            raise DateRangeError(f"the result is {_OUTSIDE}: no {what} inside them") from None

    # --- caches ---------------------------------------------------------------------------

    def _local(self, day: int) -> _Local:
        """Working pieces of local date number ``day`` (days since 1970-01-01) in UTC."""
        found = self._locals.get(day)
        if found is not None:
            return found
        the_date = date.fromordinal(day + _EPOCH_ORDINAL)
        spans = self._week[the_date.weekday()]
        if not spans or the_date in self._holidays:
            found = _EMPTY_LOCAL
        else:
            midnight = day * _DAY  # local midnight as a wall time, in "naive epoch" units
            segments = self._segments(midnight - _DAY, midnight + 2 * _DAY)
            pieces: list[_Span] = []
            for start, end in spans:
                wall_start = midnight + start
                wall_end = midnight + end
                # Instants u of a segment with offset o show wall time u + o.
                for seg_start, seg_end, offset in segments:
                    begin = max(seg_start, wall_start - offset)
                    finish = min(seg_end, wall_end - offset)
                    if begin < finish:
                        pieces.append((begin, finish))
            merged = _merge(pieces)
            found = (tuple(merged), sum(end - begin for begin, end in merged))
        if len(self._locals) >= _CACHE_LIMIT:
            self._locals.clear()
        self._locals[day] = found
        return found

    def _segments(self, lo: int, hi: int) -> list[tuple[int, int, int]]:
        """Split ``[lo, hi)`` (UTC) into ``(start, end, offset)`` runs of constant UTC offset."""
        segments: list[tuple[int, int, int]] = []
        begin = lo
        offset = _offset(self._zone, lo)
        for year in range(_year_of(lo), _year_of(hi) + 1):
            for change, new_offset in _transitions(self._zone, year):
                if lo < change < hi:
                    segments.append((begin, change, offset))
                    begin = change
                    offset = new_offset
        segments.append((begin, hi, offset))
        return segments

    # --- year tables: what CumulativeLine needs -----------------------------------------

    def _time_pieces(self, year: int) -> list[_Span]:
        """The working pieces of UTC year ``year``, clipped to it, merged."""
        lo, hi = _year_start(year), _year_start(year + 1)
        pieces: list[_Span] = []
        for day in range(lo // _DAY - 1, hi // _DAY + 1):  # UTC offsets are under a day
            for begin, end in self._local(day)[0]:
                begin = max(begin, lo)  # noqa: PLW2901
                end = min(end, hi)  # noqa: PLW2901
                if begin < end:
                    pieces.append((begin, end))
        return _merge(pieces)

    def _time_total(self, year: int) -> int:
        """Working time in UTC year ``year``, in closed form.

        Local dates wholly inside the year count their weekday's length (whole weeks by
        multiplication), corrected for the irregular ones (holidays, days next to an offset
        change) by computing those exactly; the two or so dates at each end of the year are
        clipped to it.
        """
        first, last = _day_number(year), _day_number(year + 1)
        lo, hi = first * _DAY, last * _DAY
        total = self._weekday_sum(first + 1, last - 1, self._nominal)
        for day in self._irregular(first + 1, last - 2):
            total += self._local(day)[1] - self._nominal[(day + _EPOCH_WEEKDAY) % 7]
        for day in (first - 1, first, last - 1, last):
            for begin, end in self._local(day)[0]:
                total += max(0, min(end, hi) - max(begin, lo))
        return total

    def _working_days(self, year: int) -> list[_Span]:
        """The working local dates of ``year`` as unit pieces ``[day, day + 1)``, merged."""
        days = range(_day_number(year), _day_number(year + 1))
        return _merge([(day, day + 1) for day in days if self._local(day)[1]])

    def _working_day_count(self, year: int) -> int:
        """How many local dates of ``year`` have working time, in closed form."""
        first, last = _day_number(year), _day_number(year + 1)
        opens = tuple(int(length > 0) for length in self._nominal)
        count = self._weekday_sum(first, last, opens)
        for day in self._irregular(first, last - 1):
            count += int(self._local(day)[1] > 0) - opens[(day + _EPOCH_WEEKDAY) % 7]
        return count

    @staticmethod
    def _weekday_sum(first: int, stop: int, per_weekday: tuple[int, ...]) -> int:
        """The sum of ``per_weekday`` over the local dates ``first`` to ``stop`` (excluded)."""
        weeks, rest = divmod(max(0, stop - first), 7)
        weekday = (first + _EPOCH_WEEKDAY) % 7
        return weeks * sum(per_weekday) + sum(per_weekday[(weekday + i) % 7] for i in range(rest))

    def _irregular(self, first: int, last: int) -> set[int]:
        """Local dates in ``[first, last]`` whose working time may differ from their
        weekday's: holidays, and dates near a change of the zone's UTC offset."""
        found: set[int] = set()
        for year in range(_year_of_day(first), _year_of_day(last) + 1):
            for holiday in self._holidays.year(year):
                day = holiday.toordinal() - _EPOCH_ORDINAL
                if first <= day <= last:
                    found.add(day)
        for year in range(_year_of_day(first - 1), _year_of_day(last + 1) + 1):
            for change, _ in _transitions(self._zone, year):
                near = change // _DAY
                for day in range(near - _TRANSITION_REACH, near + _TRANSITION_REACH + 1):
                    if first <= day <= last:
                        found.add(day)
        return found
