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
with no further events, whose clock events list every threshold it would cross. A clock past its
due time but not late yet (it fell due at closing) breaches one microsecond after its calendar
next opens, which the SLA clock answers directly (``late_at``). durable_rules' own timers run on
the wall clock in calendar time and are not used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

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
    late_at: Callable[[str, datetime], datetime | None],
    *,
    pending: Iterable[datetime] = (),
    thresholds: Mapping[str, int] | None = None,
) -> datetime | None:
    """The earliest instant after ``now`` at which the lead's verdict may change by itself.

    ``project(at)`` returns the verdict as of ``at`` assuming no further events;
    ``late_at(sla, due)`` the first instant at which that SLA's running clock, due at ``due``,
    is late (see :func:`leadcontract.sla.first_late_instant`); ``pending`` are other known
    future instants (events posted with a later time, record fields that lie ahead). None: only
    a new event can change this lead.
    """
    candidates = [at for at in pending if at > now]
    for clock in verdict.slas:
        if clock.status in RUNNING and clock.due is not None and clock.due > now:
            candidates.append(clock.due)
        elif clock.status in RUNNING and clock.due is not None:
            # Overdue, but not late yet: no business time has passed since the due time (it
            # fell at or after closing). It breaches once the calendar opens again.
            late = late_at(clock.sla, clock.due)
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
