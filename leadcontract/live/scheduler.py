"""When must a lead be looked at again? Deadlines from the contract's own business calendars.

A lead's verdict changes for two reasons: an event arrives (the ruleset decides whether it
matters), or time passes a deadline: a warning threshold, a due time (breach, escalation), a
retroactive start recorded in a field, a recycled lead's return, an event already posted with a
later time. This module finds the earliest such instant after ``now``, so the monitor judges the
lead again exactly then and sleeps otherwise.

The instants are not computed a second time here: they are read off verdicts of the batch engine
(:mod:`leadcontract.sla`, on :mod:`leadcontract.calendar`), so pauses, holidays, clock zones and
working hours mean exactly what they mean in batch. A running clock's ``due`` is read from the
verdict as of ``now``; its warning instants from a *projection*: the verdict as of that due time,
with no further events, whose clock events list every threshold it would cross. durable_rules'
own timers run on the wall clock in calendar time and are not used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from leadcontract.verdict import Verdict

__all__ = ["RUNNING", "horizon", "next_instant"]

RUNNING = frozenset({"pending", "at_risk"})
"""Clock states whose deadlines lie ahead; a paused clock waits for an event to resume."""


def horizon(verdict: Verdict, now: datetime) -> datetime | None:
    """The latest due time of the lead's running clocks (None: nothing is running)."""
    dues = [
        clock.due
        for clock in verdict.slas
        if clock.status in RUNNING and clock.due is not None and clock.due > now
    ]
    return max(dues) if dues else None


def next_instant(
    verdict: Verdict,
    now: datetime,
    project: Callable[[datetime], Verdict | None],
    pending: Iterable[datetime] = (),
    thresholds: Mapping[str, int] | None = None,
) -> datetime | None:
    """The earliest instant after ``now`` at which the lead's verdict may change by itself.

    ``project(at)`` returns the verdict as of ``at`` assuming no further events; ``pending``
    are other known future instants (events posted with a later time, record fields that lie
    ahead). None: only a new event can change this lead.
    """
    candidates = [at for at in pending if at > now]
    for clock in verdict.slas:
        if clock.status in RUNNING and clock.due is not None and clock.due > now:
            candidates.append(clock.due)
        elif clock.status in RUNNING and clock.due is not None:
            # Overdue, but not late yet: no business time has passed since the due time (it
            # fell at or after closing). It breaches once the calendar opens again.
            late = _first_late(clock.sla, now, project)
            if late is not None:
                candidates.append(late)
    disqualification = verdict.disqualification
    if disqualification is not None and disqualification.returns_at is not None:
        candidates.append(disqualification.returns_at)
    until = horizon(verdict, now)
    if until is not None and _warnings_ahead(verdict, now, thresholds):
        projected = project(until)
        if projected is not None:
            candidates.extend(
                event.at
                for clock in projected.slas
                for event in clock.events
                if event.at > now and event.kind in ("warn", "breach", "activate")
            )
    future = [at for at in candidates if at > now]
    return min(future) if future else None


_LATE_HORIZON = timedelta(days=60)
"""How far ahead an overdue clock's breach is looked for: longer than any closure of a
business calendar (a calendar with no working day for longer is refused by lint)."""


def _first_late(
    sla: str, now: datetime, project: Callable[[datetime], Verdict | None]
) -> datetime | None:
    """The first instant after ``now`` (to the microsecond) at which the overdue clock of ``sla``
    is breached, found on projections of the batch verdict: the next opening of its calendar
    is the batch engine's to know, not this module's."""

    def breached(at: datetime) -> bool:
        projected = project(at)
        if projected is None:
            return False
        return any(c.sla == sla and c.status == "breached" for c in projected.slas)

    step = timedelta(hours=1)
    low, high = now, now + step
    while not breached(high):
        if high - now >= _LATE_HORIZON:
            return None
        low, step = high, step * 2
        high = now + step
    while high - low > timedelta(microseconds=1):
        middle = low + (high - low) / 2
        if breached(middle):
            high = middle
        else:
            low = middle
    return high


def _warnings_ahead(verdict: Verdict, now: datetime, thresholds: Mapping[str, int] | None) -> bool:
    """Whether a running clock may still cross a warning threshold (unknown: assume so)."""
    if thresholds is None:
        return True
    for clock in verdict.slas:
        if clock.status not in RUNNING or clock.due is None or clock.due <= now:
            continue
        crossed = sum(1 for event in clock.events if event.kind == "warn")
        if crossed < thresholds.get(clock.sla, 1):
            return True
    return False
