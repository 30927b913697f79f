"""Benchmark: business-time arithmetic per call, before and after the year tables, side by side.

    python bench/business_time.py                 # the default cases, both implementations
    python bench/business_time.py --before REV    # compare against another revision

"Before" is ``leadcontract/calendar.py`` as it was at revision ``REV`` (default: the last
revision that walked the days), loaded from git into a module of its own, so both run in this
one process on the same inputs. Each case calls ``add`` or ``elapsed`` on the example
contract's us-east calendar (New York, short Friday, US-NY holidays) from starts spread over
two months, once on a fresh calendar (cold: tables and holidays load) and then many times
(warm: the two implementations alternate for a few rounds and each keeps its best, since
the machine is shared); it prints microseconds per call and the ratio before / after. The two
implementations must agree on every result they both compute (the script checks).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from _revision import module_at

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "5d210ea"
"""The last revision whose calendar walked one cached entry per day."""

HOURS = {day: [("09:00", "17:30")] for day in range(4)} | {4: [("09:00", "16:00")]}


def load_before(revision: str) -> ModuleType:
    return module_at(revision, "leadcontract/calendar.py", "calendar_before")


def calendar(module: ModuleType) -> Any:
    hours = {day: [(_time(a), _time(b)) for a, b in spans] for day, spans in HOURS.items()}
    return module.BusinessCalendar(
        "America/New_York",
        hours,
        holidays=[date(2026, 12, 24), date(2026, 12, 31)],
        holiday_regions=[("US", "NY")],
    )


def _time(text: str) -> Any:
    from datetime import time as wall

    hour, minute = text.split(":")
    return wall(int(hour), int(minute))


def starts(count: int) -> list[datetime]:
    """Starts spread over two months of 2026, every 37 minutes or so (all hours of the day)."""
    first = datetime(2026, 10, 1, tzinfo=UTC)
    return [first + timedelta(minutes=37 * i % (61 * 24 * 60)) for i in range(count)]


def cases() -> list[tuple[str, int, Callable[[Any, datetime], Any]]]:
    from leadcontract.durations import Duration

    four_hours, one_day, two_weeks = Duration(hours=4), Duration(days=1), Duration(weeks=2)
    ten_years = timedelta(hours=10 * 2000)

    def until(year: int) -> Callable[[Any, datetime], Any]:
        end = datetime(year, 1, 1, tzinfo=UTC)
        return lambda cal, at: cal.elapsed(at, end)

    return [
        ("add 4h", 2000, lambda cal, at: cal.add(at, four_hours)),
        ("add 1d", 2000, lambda cal, at: cal.add(at, one_day)),
        ("add 2w", 2000, lambda cal, at: cal.add(at, two_weeks)),
        ("elapsed 3 days", 2000, lambda cal, at: cal.elapsed(at, at + timedelta(days=3))),
        ("elapsed to 2030 (4 years)", 200, until(2030)),
        ("add 20,000 working hours (10 years)", 50, lambda cal, at: cal.add(at, ten_years)),
        ("elapsed to 2199 (173 years)", 10, until(2199)),
    ]


def timed(function: Callable[[Any, datetime], Any], cal: Any, points: list[datetime]) -> float:
    began = time.perf_counter()
    for at in points:
        function(cal, at)
    return (time.perf_counter() - began) / len(points) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="git revision of the old calendar")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the call counts")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per case")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import leadcontract.calendar as after

    before = load_before(args.before)
    rows = []
    for name, count, function in cases():
        points = starts(max(1, int(count * args.scale)))
        old_cal, new_cal = calendar(before), calendar(after)
        cold_old = timed(function, old_cal, points[:1])
        cold_new = timed(function, new_cal, points[:1])
        for at in points[:20]:
            assert _same(function(old_cal, at), function(new_cal, at)), (name, at)
        # Alternate the two, several rounds, and keep each one's best: this machine is shared.
        warm_old = warm_new = float("inf")
        for _ in range(args.rounds):
            warm_old = min(warm_old, timed(function, old_cal, points))
            warm_new = min(warm_new, timed(function, new_cal, points))
        rows.append((name, len(points), cold_old, cold_new, warm_old, warm_new))
    head = "| case | calls | cold before µs | cold after µs | warm before µs/call | "
    print(head + "warm after µs/call | ratio (warm) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, calls, cold_old, cold_new, warm_old, warm_new in rows:
        print(
            f"| {name} | {calls:,} | {cold_old:,.0f} | {cold_new:,.0f} | {warm_old:,.1f} | "
            f"{warm_new:,.1f} | {warm_old / warm_new:,.1f}x |"
        )
    return 0


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, datetime):
        return bool(a.astimezone(UTC) == b.astimezone(UTC))
    return bool(a == b)


if __name__ == "__main__":
    raise SystemExit(main())
