"""``--as-of`` for people and schedulers: an ISO 8601 instant, or a time relative to the run.

``now``, ``today`` (midnight starting today in the contract's zone) and either with an offset
(``now-2h``, ``today-1d``, ``today+1w``; units m, h, d, w) are resolved against one reading of
the wall clock taken when the command starts: the library itself never reads the clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, tzinfo

__all__ = ["parse_as_of"]

_RELATIVE = re.compile(r"^(now|today)(?:([+-])(\d{1,6})([mhdw]))?$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_as_of(text: str, zone: tzinfo, now: datetime) -> tuple[datetime, bool]:
    """The instant ``text`` names, and whether it was relative to ``now`` (an aware datetime).

    A time without an offset is read in ``zone``. :class:`ValueError` says what was expected.
    """
    relative = _RELATIVE.match(text.strip().lower())
    if relative is not None:
        base, sign, amount, unit = relative.groups()
        # now: elapsed time (in UTC); today: calendar days (in the zone)
        utc = now.astimezone(UTC)
        start = (
            utc if base == "now" else datetime.combine(utc.astimezone(zone).date(), time(), zone)
        )
        if amount is not None:
            step = timedelta(**{_UNITS[unit]: int(amount)})
            start = start + step if sign == "+" else start - step
            if base == "today":  # whole days keep to midnight across a DST change
                start = datetime.combine(start.date(), time(), zone)
        return start, True
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--as-of {text!r} is not an ISO 8601 time such as 2026-11-16T17:00:00Z, "
            "nor now or today (with an offset such as now-2h or today-1d)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value, False
