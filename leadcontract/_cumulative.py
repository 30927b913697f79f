"""A monotone map from points on a line to an accumulated amount, answered by binary search.

Business time is such a map: every instant has the working time accumulated before it, and
"add 4 business hours" is the inverse (the earliest instant with 4 hours more). So is the
count of working days before a date. :class:`CumulativeLine` keeps both kinds of question
O(log n) over any span:

* the line is cut into *years*; a year's *table* lists its working pieces (half-open
  ``[start, end)`` integer ranges, sorted and disjoint) with the amount accumulated before
  each piece, so a position inside a year is one :func:`bisect.bisect_right`;
* a year's *total* comes from a closed form the owner supplies (whole weeks by
  multiplication, then corrections for holidays and daylight-saving days), so crossing a
  year never builds its table;
* the totals are kept as prefix sums over a contiguous run of years, extended on demand,
  so finding the year that holds a target is one :func:`bisect.bisect_left`.

Only the years an answer lands in are built in full (and a few are kept); the years between
cost one closed-form total each, once. Points are plain ``int`` so the same code serves
microseconds (business time) and day numbers (working days).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from typing import NamedTuple

__all__ = ["CumulativeLine", "OutOfRangeError", "YearTable"]

_TABLES_KEPT = 16
"""Full year tables kept per line; answers mostly land in the same one or two years."""


class OutOfRangeError(ValueError):
    """A point or an answer lies outside the years the line covers."""


class YearTable(NamedTuple):
    """The working pieces of one year, with the amount accumulated before and after each."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    before: tuple[int, ...]
    after: tuple[int, ...]

    @classmethod
    def of(cls, pieces: Sequence[tuple[int, int]]) -> YearTable:
        """A table of sorted, disjoint pieces."""
        before: list[int] = []
        after: list[int] = []
        total = 0
        for start, end in pieces:
            before.append(total)
            total += end - start
            after.append(total)
        return cls(
            tuple(start for start, _ in pieces),
            tuple(end for _, end in pieces),
            tuple(before),
            tuple(after),
        )

    def position(self, point: int) -> int:
        """The amount accumulated in this year before ``point``."""
        i = bisect_right(self.starts, point) - 1
        if i < 0:
            return 0
        return self.before[i] + min(point, self.ends[i]) - self.starts[i]

    def contains(self, point: int) -> bool:
        """Whether ``point`` lies inside a piece."""
        i = bisect_right(self.starts, point) - 1
        return i >= 0 and point < self.ends[i]


class CumulativeLine:
    """Accumulated amount along a line of integer points, per year, with prefix sums.

    ``year_of(point)`` and ``year_start(year)`` cut the line; ``build(year)`` gives a year's
    sorted, disjoint pieces (clipped to the year); ``total(year)`` its amount in closed form
    (it must equal the sum of the built pieces). Years outside ``[first_year, last_year]``
    raise :class:`OutOfRangeError`.
    """

    __slots__ = (
        "_base",
        "_build",
        "_cum",
        "_current",
        "_first_year",
        "_last_year",
        "_tables",
        "_total",
        "_zeros",
        "year_of",
        "year_start",
    )

    def __init__(
        self,
        *,
        year_of: Callable[[int], int],
        year_start: Callable[[int], int],
        build: Callable[[int], Sequence[tuple[int, int]]],
        total: Callable[[int], int],
        first_year: int,
        last_year: int,
    ) -> None:
        self.year_of = year_of
        self.year_start = year_start
        self._build = build
        self._total = total
        self._first_year = first_year
        self._last_year = last_year
        self._tables: dict[int, YearTable] = {}
        self._current: tuple[int, int, int, YearTable] = (0, 0, 0, YearTable((), (), (), ()))
        """The year last looked up: its first point, the next year's first point, the year
        and its table (most calls land in the same year as the previous one)."""
        self._base = 0
        self._cum: list[int] = []
        """``_cum[j]``: amount accumulated from the start of year ``_base`` to that of
        ``_base + j``; a contiguous run, extended at either end on demand."""
        self._zeros: list[int] = []
        """``_zeros[j]``: how many years in ``[_base, _base + j)`` have no amount at all."""

    # --- years ----------------------------------------------------------------------------

    def table(self, year: int) -> YearTable:
        """The full table of ``year`` (built once, a few kept)."""
        found = self._tables.get(year)
        if found is None:
            self._check_year(year)
            if len(self._tables) >= _TABLES_KEPT:
                self._tables.clear()
            found = self._tables[year] = YearTable.of(self._build(year))
        return found

    def _check_year(self, year: int) -> None:
        if not self._first_year <= year <= self._last_year:
            raise OutOfRangeError(
                f"year {year} is outside the supported years "
                f"{self._first_year + 1}-{self._last_year - 1}"
            )

    def _boundary(self, year: int) -> int:
        """The amount accumulated from the start of year ``_base`` to the start of ``year``."""
        self._cover(year)
        return self._cum[year - self._base]

    def _cover(self, year: int) -> None:
        """Extend the prefix sums so that the start of ``year`` is in them."""
        if not self._cum:
            self._check_year(year)
            self._base = year
            self._cum = [0]
            self._zeros = [0]
            return
        while year < self._base:
            self._check_year(self._base - 1)
            amount = self._total(self._base - 1)
            self._base -= 1
            self._cum.insert(0, self._cum[0] - amount)
            self._zeros.insert(0, self._zeros[0] - (amount == 0))
        while year >= self._base + len(self._cum):
            last = self._base + len(self._cum) - 1
            self._check_year(last)
            amount = self._total(last)
            self._cum.append(self._cum[-1] + amount)
            self._zeros.append(self._zeros[-1] + (amount == 0))

    # --- the map and its inverse ----------------------------------------------------------

    def locate(self, point: int) -> tuple[int, YearTable]:
        """The year of ``point`` and its table."""
        lo, hi, year, table = self._current
        if lo <= point < hi:
            return year, table
        year = self.year_of(point)
        table = self.table(year)
        self._current = (self.year_start(year), self.year_start(year + 1), year, table)
        return year, table

    def cumulative(self, point: int) -> int:
        """The amount accumulated before ``point`` (relative to an arbitrary origin)."""
        year, table = self.locate(point)
        return self._boundary(year) + table.position(point)

    def contains(self, point: int) -> bool:
        """Whether ``point`` lies inside a working piece."""
        return self.locate(point)[1].contains(point)

    def between(self, lo: int, hi: int) -> int:
        """The amount accumulated in ``[lo, hi)`` (``lo <= hi``)."""
        first, end, year, table = self._current
        if not first <= lo < end:
            year, table = self.locate(lo)
            end = self._current[1]
        # table.position(lo) and, in the same year, table.position(hi), inlined: every SLA
        # clock measures several spans.
        starts, ends, before, _ = table
        i = bisect_right(starts, lo) - 1
        if i >= 0:
            piece_end = ends[i]
            at_lo = before[i] + (lo if lo < piece_end else piece_end) - starts[i]
        else:
            at_lo = 0
        if hi < end:
            j = bisect_right(starts, hi) - 1
            if j < 0:
                return -at_lo
            piece_end = ends[j]
            return before[j] + (hi if hi < piece_end else piece_end) - starts[j] - at_lo
        return self.cumulative(hi) - self._boundary(year) - at_lo

    def advance(self, point: int, amount: int) -> tuple[int, bool]:
        """The smallest point at which ``amount`` (> 0) more than at ``point`` has accumulated,
        and whether the answer lies in a later year than ``point`` (so whole years may lie
        between them)."""
        lo, hi, year, table = self._current
        if not lo <= point < hi:
            year, table = self.locate(point)
        starts, ends, before, after = table
        # table.position(point), inlined: this is the hot path of every SLA clock.
        i = bisect_right(starts, point) - 1
        target = amount + (before[i] + min(point, ends[i]) - starts[i] if i >= 0 else 0)
        if after and target <= after[-1]:
            i = bisect_left(after, target)
            return starts[i] + target - before[i], False
        return self.earliest(self._boundary(year) + target), True

    def earliest(self, target: int) -> int:
        """The smallest point at which the accumulated amount reaches ``target``.

        ``target`` must be above the amount at the start of some covered year (callers pass
        ``cumulative(p) + something`` with something positive, or an amount already reached).
        """
        if not self._cum:
            raise OutOfRangeError("no year is covered yet: ask for a cumulative amount first")
        while self._cum[0] >= target:
            self._cover(self._base - 1)
        while self._cum[-1] < target:
            self._cover(self._base + len(self._cum))
        j = bisect_left(self._cum, target)
        year = self._base + j - 1
        rest = target - self._cum[j - 1]
        table = self.table(year)
        i = bisect_left(table.after, rest)
        return table.starts[i] + rest - table.before[i]

    def longest_idle(self, lo: int, hi: int, day_of: Callable[[int], int]) -> int:
        """The longest run of consecutive days without a working piece after ``lo``'s day and
        up to ``hi`` (``day_of`` numbers the days of a point).

        Only runs that contain a whole year without any amount are measured: the callers'
        limits exceed a year, so shorter runs never matter, and when no year from ``lo``'s to
        ``hi``'s is empty (the usual case) the answer, zero, costs two lookups.
        """
        first, last = self.year_of(lo), self.year_of(hi)
        self._cover(last + 1)
        self._cover(first)
        if self._zeros[last + 1 - self._base] == self._zeros[first - self._base]:
            return 0
        longest = 0
        year = first
        while year <= last:
            if self._cum[year + 1 - self._base] != self._cum[year - self._base]:
                year += 1
                continue
            run_end = year
            while (
                run_end < last
                and self._cum[run_end + 2 - self._base] == self._cum[run_end + 1 - self._base]
            ):
                run_end += 1
            if year == first:
                idle_from = day_of(lo) + 1
            else:
                ends = self.table(year - 1).ends
                idle_from = max(day_of(ends[-1] - 1) + 1, day_of(lo) + 1)
            following = self.table(run_end + 1).starts if run_end + 1 <= self._last_year else ()
            idle_to = day_of(following[0]) if following else day_of(hi)
            longest = max(longest, idle_to - idle_from)
            year = run_end + 1
        return longest
