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
    close when the day is shorter. Consequences, on a Mon-Fri 09:00-17:00 calendar:

    - Tue 15:00 + 1d = Wed 15:00; Fri 15:00 + 1d = Mon 15:00 (weekends and holidays skipped).
    - An instant with no working time of its own day before it (at night, on a weekend or
      holiday, before or exactly at the opening) counts as the *close of the previous working
      day*: Tue 20:00 + 1d = Wed 17:00; Tue 08:00 + 1d = Tue 09:00 + 1d = Tue 17:00 (the
      lead gets all of Tuesday); a lead arriving Sat 03:00 with "within 2 business days" is
      due Tue 17:00 (Monday and Tuesday). A lunch break keeps the morning's position.
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

Performance
-----------
Working intervals of each local date and of each UTC day are computed once, as integer
microseconds on the UTC time line, and cached per calendar; closed days cost a dictionary
lookup. A call spanning a few days costs some ten microseconds, most of it converting
datetimes; a call spanning years walks one cached entry per day (the first call for a year
also loads that year's region holidays, milliseconds per region). Searches that find no
working time for :data:`MAX_IDLE_DAYS` consecutive days raise :class:`ValueError` instead of
looping forever.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package

from leadcontract.durations import Duration

__all__ = ["MAX_IDLE_DAYS", "BusinessCalendar"]

MAX_IDLE_DAYS: Final = 3_660
"""Longest run of days without working time a search walks through before giving up."""

_SECOND: Final = 1_000_000
_MINUTE: Final = 60 * _SECOND
_HOUR: Final = 60 * _MINUTE
_DAY: Final = 24 * _HOUR
_ONE_US: Final = timedelta(microseconds=1)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_OFFSET_SAMPLE_STEP: Final = 6 * _HOUR  # no zone changes its offset twice within this
_CACHE_LIMIT: Final = 100_000

_Span = tuple[int, int]
"""A working interval: start and end, as microseconds (since local midnight, or UTC epoch)."""
_Local = tuple[tuple[_Span, ...], int]
"""Working pieces of one local date on the UTC time line, sorted, and their total length."""
_Chunk = tuple[tuple[int, ...], tuple[int, ...], int]
"""Working pieces inside one UTC day: starts, ends (both sorted) and total length."""

_EMPTY_LOCAL: Final[_Local] = ((), 0)
_EMPTY_CHUNK: Final[_Chunk] = ((), (), 0)
_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _to_us(instant: datetime, name: str) -> int:
    """Microseconds since the UTC epoch of an aware datetime."""
    try:
        return (instant - _EPOCH) // _ONE_US
    except TypeError:
        if not isinstance(instant, datetime):
            raise TypeError(f"{name} must be a datetime, got {type(instant).__name__}") from None
        raise ValueError(
            f"{name} must be a timezone-aware datetime, got the naive {instant.isoformat()}"
        ) from None


def _time_us(value: time) -> int:
    return (value.hour * 60 + value.minute) * _MINUTE + value.second * _SECOND + value.microsecond


def _offset(zone: ZoneInfo, at: int) -> int:
    """UTC offset of ``zone`` at the instant ``at``, in microseconds."""
    offset = (_EPOCH + timedelta(microseconds=at)).astimezone(zone).utcoffset()
    assert offset is not None
    return offset // _ONE_US


def _year_start(year: int) -> int:
    return (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY


def _year_of(at: int) -> int:
    return date.fromordinal(at // _DAY + _EPOCH_ORDINAL).year


@lru_cache(maxsize=1024)
def _transitions(zone: ZoneInfo, year: int) -> tuple[tuple[int, int], ...]:
    """Offset changes of ``zone`` in UTC year ``year``: ``(instant, new offset)``, sorted.

    A change exactly at the start of the next year is listed here. Found by sampling the
    offset every few hours and bisecting, to the second, where it changes; computed once per
    zone and year and shared by all calendars.
    """
    lo = _year_start(year)
    hi = _year_start(year + 1) if year < 9999 else lo + 365 * _DAY
    changes: list[tuple[int, int]] = []
    previous = _offset(zone, lo)
    point = lo
    while point < hi:
        following = min(point + _OFFSET_SAMPLE_STEP, hi)
        offset = _offset(zone, following)
        if offset != previous:
            low = point // _SECOND
            high = following // _SECOND
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(zone, middle * _SECOND) == previous:
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

    __slots__ = ("_chunks", "_days_per_week", "_holidays", "_hours", "_locals", "_week", "_zone")

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
        self._locals: dict[int, _Local] = {}
        self._chunks: dict[int, _Chunk] = {}

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
        other = object.__new__(BusinessCalendar)
        other._zone = zone
        other._week = self._week
        other._days_per_week = self._days_per_week
        other._hours = self._hours
        other._holidays = self._holidays
        other._locals = {}
        other._chunks = {}
        return other

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
        at = _to_us(instant, "instant")
        starts, ends, _ = self._chunk(at // _DAY)
        i = bisect_right(starts, at) - 1
        return i >= 0 and at < ends[i]

    def next_open(self, instant: datetime) -> datetime:
        """The first working instant at or after ``instant`` (``instant`` itself if open)."""
        return self._from_us(self._add_time(_to_us(instant, "instant"), 0))

    def add(
        self, start: datetime, duration: Duration | timedelta, *, business: bool = True
    ) -> datetime:
        """``start`` plus ``duration`` in business time (see the module documentation).

        With ``business=False``, plain calendar arithmetic on the UTC time line.
        """
        at = _to_us(start, "start")
        if isinstance(duration, Duration):
            if not business:
                return self._from_us(at + duration.calendar_minutes * _MINUTE)
            days = duration.weeks * self._days_per_week + duration.days
            minutes = duration.hours * 60 + duration.minutes
            if days:
                at = self._add_days(at, days)
            if minutes or not days:
                at = self._add_time(at, minutes * _MINUTE)
            return self._from_us(at)
        if isinstance(duration, timedelta):
            amount = duration // _ONE_US
            if not business:
                return self._from_us(at + amount)
            if amount < 0:
                raise ValueError(f"cannot add a negative business duration ({duration})")
            return self._from_us(self._add_time(at, amount))
        raise TypeError(f"duration must be a Duration or a timedelta, got {duration!r}")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end)``; zero when ``end <= start``."""
        lo = _to_us(start, "start")
        hi = _to_us(end, "end")
        if hi <= lo:
            return timedelta(0)
        total = 0
        for day in range(lo // _DAY, (hi - 1) // _DAY + 1):
            starts, ends, length = self._chunk(day)
            if not length:
                continue
            day_start = day * _DAY
            if lo <= day_start and day_start + _DAY <= hi:
                total += length
                continue
            for a, b in zip(starts, ends, strict=True):
                a = max(a, lo)  # noqa: PLW2901
                b = min(b, hi)  # noqa: PLW2901
                if a < b:
                    total += b - a
        return timedelta(microseconds=total)

    # --- arithmetic on the UTC time line (microseconds) -----------------------------------

    def _from_us(self, at: int) -> datetime:
        try:
            return (_EPOCH + timedelta(microseconds=at)).astimezone(self._zone)
        except OverflowError:
            raise ValueError("the result is outside the supported range of dates") from None

    def _add_time(self, at: int, amount: int) -> int:
        """The earliest instant by which ``amount`` working time has elapsed since ``at``.

        With ``amount == 0``: the first working instant at or after ``at``.
        """
        day = at // _DAY
        starts, ends, _ = self._chunk(day)
        for i in range(bisect_right(ends, at), len(ends)):
            begin = max(starts[i], at)
            available = ends[i] - begin
            if amount <= available:
                return begin + amount
            amount -= available
        idle = 0
        while True:
            day += 1
            starts, ends, length = self._chunk(day)
            if not length:
                idle += 1
                if idle > MAX_IDLE_DAYS:
                    raise ValueError(
                        f"no working time within {MAX_IDLE_DAYS} days; check the calendar's "
                        "hours and holidays"
                    )
                continue
            idle = 0
            if amount > length:
                amount -= length
                continue
            for begin, end in zip(starts, ends, strict=True):
                if amount <= end - begin:
                    return begin + amount
                amount -= end - begin
            raise AssertionError("unreachable")  # pragma: no cover

    def _add_days(self, at: int, count: int) -> int:
        """``count`` business days after ``at`` (the business-day rule, module docs)."""
        # Anchor day: the latest working day with working time before `at`, and the position.
        local_day = (at + _offset(self._zone, at)) // _DAY
        anchor = local_day + 1
        position = 0
        while True:
            pieces, length = self._local(anchor)
            if length:
                position = sum(min(end, at) - begin for begin, end in pieces if begin < at)
                if position:
                    break
            if local_day - anchor > MAX_IDLE_DAYS:
                raise ValueError(f"no working day within {MAX_IDLE_DAYS} days before {at}")
            anchor -= 1
        # Target day: the count-th working day after the anchor day.
        target = anchor
        idle = 0
        while count:
            target += 1
            pieces, length = self._local(target)
            if length:
                count -= 1
                idle = 0
            else:
                idle += 1
                if idle > MAX_IDLE_DAYS:
                    raise ValueError(f"no working day within {MAX_IDLE_DAYS} days")
        if position >= length:
            return pieces[-1][1]
        for begin, end in pieces:
            if position <= end - begin:
                return begin + position
            position -= end - begin
        raise AssertionError("unreachable")  # pragma: no cover

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

    def _chunk(self, day: int) -> _Chunk:
        """Working pieces inside UTC day number ``day``, sorted, with their total."""
        found = self._chunks.get(day)
        if found is not None:
            return found
        lo = day * _DAY
        hi = lo + _DAY
        pieces: list[_Span] = []
        for local_day in (day - 1, day, day + 1):  # UTC offsets are less than a day
            for begin, end in self._local(local_day)[0]:
                begin = max(begin, lo)  # noqa: PLW2901
                end = min(end, hi)  # noqa: PLW2901
                if begin < end:
                    pieces.append((begin, end))
        if pieces:
            merged = _merge(pieces)
            found = (
                tuple(begin for begin, _ in merged),
                tuple(end for _, end in merged),
                sum(end - begin for begin, end in merged),
            )
        else:
            found = _EMPTY_CHUNK
        if len(self._chunks) >= _CACHE_LIMIT:
            self._chunks.clear()
        self._chunks[day] = found
        return found
