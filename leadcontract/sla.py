"""SLA clocks: every follow-up promise of the contract, measured in business time.

Order of evaluation for one SLA and one lead (modelled on ServiceNow's SLA definitions):

1. **Applies?** The selector (``applies_to``: campaigns and a condition over the lead as of
   ``as_of``) decides. If not, the status is ``not_applicable``.
2. **Start** is the first occurrence of the start trigger: an event (of the listed types,
   channels and disqualification reasons), the first entry into a stage, or a datetime field
   of the record (a retroactive start, e.g. when the form was submitted). No start up to
   ``as_of`` (a record field may lie later): the status is ``not_applicable`` ("not started").
3. After the start, in time order: a **cancel** occurrence ends the clock (``cancelled``); a
   **pause** occurrence stops it until the next **resume** occurrence; a **stop** occurrence
   fulfils it (response SLAs), restarts it (idle SLAs). Attempts SLAs count the attempts
   (``touch`` events on the allowed channels) made within ``attempts.within``.
4. **Due** is the start (for idle SLAs, the last restart) plus the target (for attempts SLAs,
   ``attempts.within``) in business time on the SLA's calendar, read in the zone the SLA names
   (calendar, the lead's own zone, or the owning rep's), pushed later by the business time
   spent paused. Only pauses that begin before the (so far pushed) due time count: once a
   clock has run out, pausing it changes nothing; a pause lasts until its resume, or until the
   clock ends (fulfilled, cancelled, or ``as_of``). Warning thresholds are percentages of the
   running time the target allows, pushed by pauses the same way: 50 % of a 4-hour target is
   reached after 2 hours of running time, however long the clock was paused before.
5. **Status** as of ``as_of``, by precedence: cancelled, met, breached, paused, at_risk,
   pending. A clock is *late* once business time has passed since its due time: a stop
   after the due time is still in time when no business time lies between them (due at
   Tuesday's 17:00 close, fulfilled at 18:00: met), and a running clock breaches only when
   business time has passed since its due time (on a business-time clock, the next
   opening; on a calendar-time clock, any time after due). The same rule counts attempts
   and judges idle gaps. A clock that stopped late is ``breached``.

Outcome events dated before the lead's creation: a stop or cancel event (or the entry event
of a stop or cancel stage) dated before the lead was created and before the clock's start
cannot end the clock, so it is not counted, and the clock's ``anomalies`` say so (a deal
"won" before the lead's MQL date is a data problem, not a silent breach).

Dates: the calendar's supported window (:data:`leadcontract.calendar.SUPPORTED_END`) also
bounds due times: a due time after its end is reported as the end itself (``as_of`` is never
later, so such a clock is simply running).

Consent: a channel the lead's consent flags forbid (``lead.consent``) does not count against
sales: attempts SLAs drop it from the channel mix, and when every channel is forbidden the
promise is excused (``met``, with the reason; it never breaches).

Each breach names who is accountable (``party``): ``marketing`` when the lead was handed off
with required fields missing (the clock could not fairly start); ``capacity-overflow`` when
the lead was one of the excess leads of a campaign-week that delivered more than the campaign's
declared capacity (excused; see :mod:`leadcontract.capacity` for how the excess is chosen);
``marketing`` too when the lead's campaign is not in the contract (it was never handed off
under the agreement, so sales was never given it; see :mod:`leadcontract.drift`); otherwise
the SLA's responsible party (sales by default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadcontract.calendar import SUPPORTED_END, BusinessCalendar, DateRangeError
from leadcontract.durations import Duration
from leadcontract.inputs import Event
from leadcontract.model import Calendar, Contract, Sla, SlaKind, Team, Trigger
from leadcontract.rules.conditions import CompiledCondition
from leadcontract.rules.scoring import EventIndex
from leadcontract.verdict import ClockEvent, Handoff, Party, SlaStatus, SlaVerdict

__all__ = ["CompiledSla", "build_calendar"]

ATTEMPT_EVENTS = ("touch",)
"""Event types that count as contact attempts."""

_ZONES_KEPT = 1_024
"""Zone names (from lead records and reps) whose calendars one SLA keeps at hand."""


def build_calendar(calendar: Calendar) -> BusinessCalendar:
    """The business calendar a contract's calendar section describes."""
    return BusinessCalendar(
        calendar.timezone,
        calendar.intervals(),
        holidays=calendar.holidays.dates,
        holiday_regions=[(r.country, r.subdivision) for r in calendar.holidays.regions],
    )


_TEAM_PARTY: dict[Team, Party] = {
    Team.MARKETING: "marketing",
    Team.SALES: "sales",
    Team.PARTNER: "partner",
    Team.REVOPS: "revops",
}
"""The party a team answers as (every team is one)."""


@dataclass(frozen=True, slots=True)
class LeadContext:
    """What a clock needs to know about one lead besides its events."""

    record: Mapping[str, Any]
    facts: Mapping[str, Any]
    events: EventIndex
    reached: Mapping[str, datetime]
    campaign: str | None
    handoff: Handoff | None
    zone: str | None
    owner_zone: str | None
    overflow: bool = False
    """The lead came beyond its campaign's declared weekly capacity (see capacity.py)."""


class CompiledSla:
    """One SLA, ready to run its clock over leads."""

    def __init__(
        self,
        sla_id: str,
        sla: Sla,
        contract: Contract,
        conditions: Mapping[str, CompiledCondition],
        calendars: Mapping[str, BusinessCalendar],
    ) -> None:
        self.id = sla_id
        self.sla = sla
        self.pointer = f"/slas/{sla_id}"
        self.campaigns = frozenset(sla.applies_to.campaigns or ()) or None
        self.selector = conditions.get(f"{self.pointer}/applies_to/when")
        self.trigger_conditions = {
            name: conditions.get(f"{self.pointer}/{name}/when") for name, _ in sla.triggers()
        }
        self.calendar = calendars.get(sla.calendar) if sla.calendar else None
        self.business = sla.time == "business" and self.calendar is not None
        self.consent = dict(contract.lead.consent)
        self.zone_cache: dict[str | None, tuple[BusinessCalendar, str]] = {}
        """Per zone name a clock is read in: the calendar there and the clock's note."""
        self.created_key = contract.lead.keys.created
        self.entry_events = {
            stage.id: tuple(stage.entry_events) for stage in contract.lead.lifecycle.stages
        }
        self._not_applicable_by_why: dict[str, SlaVerdict] = {}

    # --- triggers ---------------------------------------------------------------------------

    def occurrences(self, name: str, trigger: Trigger | None, lead: LeadContext) -> list[datetime]:
        """When ``trigger`` happened for this lead, in time order."""
        if trigger is None:
            return []
        condition = self.trigger_conditions.get(name)
        if condition is not None and not condition.predicate(lead.facts):
            return []
        times: list[datetime] = []
        for kind in trigger.event or ():
            for event in lead.events.by_type.get(kind, ()):
                if _matches(event, trigger):
                    times.append(event.at)
        for stage in trigger.stage or ():
            if stage in lead.reached:
                times.append(lead.reached[stage])
        if trigger.field is not None:
            value = lead.record.get(trigger.field)
            if isinstance(value, datetime):
                times.append(value)
        times.sort()
        return times

    def _calendar_for(self, lead: LeadContext) -> tuple[BusinessCalendar | None, str]:
        calendar = self.calendar
        if calendar is None or not self.business:
            return None, "calendar time"
        wanted = {"lead": lead.zone, "owner": lead.owner_zone}.get(self.sla.clock_zone)
        found = self.zone_cache.get(wanted)
        if found is None:
            if len(self.zone_cache) >= _ZONES_KEPT:  # zone names come from the data
                self.zone_cache.clear()
            found = self.zone_cache[wanted] = self._zoned(calendar, wanted)
        return found

    def _zoned(
        self, calendar: BusinessCalendar, wanted: str | None
    ) -> tuple[BusinessCalendar, str]:
        """The calendar read in the zone ``wanted`` (none: its own), and the clock's note."""
        if not wanted:
            return calendar, f"{self.sla.calendar} in {calendar.zone.key}"
        try:
            zoned = calendar.in_zone(ZoneInfo(wanted))
        except (ZoneInfoNotFoundError, ValueError):
            return calendar, f"{self.sla.calendar} in {calendar.zone.key} ({wanted!r} is no zone)"
        return zoned, f"{self.sla.calendar} hours in {wanted}"

    # --- the clock --------------------------------------------------------------------------

    def judge(self, lead: LeadContext, as_of: datetime) -> SlaVerdict:
        """The state of this SLA's clock for one lead as of ``as_of``."""
        sla = self.sla
        if self.campaigns is not None and lead.campaign not in self.campaigns:
            return self._not_applicable("the lead's campaign is not covered")
        if self.selector is not None and not self.selector.predicate(lead.facts):
            return self._not_applicable("the selector does not hold")
        starts = [t for t in self.occurrences("start", sla.start, lead) if t <= as_of]
        if not starts:
            return self._not_applicable("not started")
        start = starts[0]
        calendar, clock = self._calendar_for(lead)
        cancels = [t for t in self.occurrences("cancel", sla.cancel, lead) if t >= start]
        cancel_at = cancels[0] if cancels and cancels[0] <= as_of else None
        end = min(as_of, cancel_at) if cancel_at else as_of
        stop = None
        if sla.kind is SlaKind.RESPONSE:
            stops = [t for t in self.occurrences("stop", sla.stop, lead) if t >= start]
            stop = stops[0] if stops and stops[0] <= end else None
        # Pauses count until the clock ends: fulfilled, cancelled, or as of now.
        limit = stop or end
        pauses = [t for t in self.occurrences("pause", sla.pause, lead) if t >= start]
        resumes = [t for t in self.occurrences("resume", sla.resume, lead) if t >= start]
        pausing = _Pauses(calendar, _paused_spans(pauses, resumes, limit), limit)
        if sla.kind is SlaKind.ATTEMPTS:
            outcome = self._attempts(lead, start, end, calendar, pausing)
        elif sla.kind is SlaKind.IDLE:
            outcome = self._idle(lead, start, end, calendar, pausing)
        else:
            outcome = self._response(start, stop, calendar, pausing)
        clock_state = _Clock(
            start=start,
            end=end,
            as_of=as_of,
            cancel_at=cancel_at,
            pausing=pausing,
            calendar=calendar,
            note=f"started; clock: {clock}",
        )
        return self._settle(clock_state, outcome, lead)

    def _response(
        self,
        start: datetime,
        stop: datetime | None,
        calendar: BusinessCalendar | None,
        pausing: _Pauses,
    ) -> _Outcome:
        due, paused = pausing.deadline(start, self.sla.target)
        met = stop is not None and not _late(calendar, due, stop)
        if stop is None:
            why = (
                f"nothing fulfilled it by {_iso(due)}"
                if _late(calendar, due, pausing.limit)
                else ""
            )
        elif not met:
            late = _span(calendar, due, stop)
            why = f"fulfilled {_iso(stop)}, {_minutes(late)} business minutes after due"
        elif stop > due:
            why = f"fulfilled {_iso(stop)}, after due {_iso(due)} but before any business time"
        else:
            why = f"fulfilled {_iso(stop)}, before due {_iso(due)}"
        return _Outcome(
            stop=stop,
            due=due,
            origin=start,
            unpaused_due=_add(calendar, start, self.sla.target),
            paused=paused,
            met=met,
            why=why,
        )

    def _settle(self, clock: _Clock, outcome: _Outcome, lead: LeadContext) -> SlaVerdict:
        """Turn what the clock saw into clock events and a status."""
        sla = self.sla
        calendar, start, due = clock.calendar, clock.start, outcome.due
        paused = outcome.paused
        events = [ClockEvent("activate", start, clock.note)]
        for pause_start, pause_end in paused:
            events.append(ClockEvent("pause", pause_start))
            if pause_end is not None:
                events.append(ClockEvent("resume", pause_end))
        # A threshold is a share of the running time the target allows, so pauses before it
        # push it later just as they push the due time.
        origin = outcome.origin
        allowed = _span(calendar, origin, outcome.unpaused_due)
        warnings = [
            (percent, clock.pausing.deadline(origin, allowed * percent / 100)[0])
            for percent in sla.warn_at
        ]
        stopped_at = outcome.stop
        horizon = stopped_at or clock.end
        events += [
            ClockEvent("warn", at, f"{percent}% of the target")
            for percent, at in warnings
            if at <= horizon and at < due
        ]
        late = _late(calendar, due, horizon)  # the stop, when there is one
        breached_at = due if late and not outcome.excused else None
        if breached_at is not None:
            events.append(ClockEvent("breach", due, outcome.why or "target passed"))
            if sla.escalate_to:
                events.append(ClockEvent("escalate", due, target=sla.escalate_to))
        if stopped_at is not None:
            events.append(ClockEvent("fulfil", stopped_at, outcome.why or "stop condition met"))
        cancelled = clock.cancel_at is not None and stopped_at is None and breached_at is None
        if cancelled and clock.cancel_at is not None:
            events.append(ClockEvent("cancel", clock.cancel_at))
        events.sort(key=lambda e: (e.at, _EVENT_ORDER[e.kind]))
        status: SlaStatus
        if cancelled:
            status = "cancelled"
        elif outcome.excused or (stopped_at is not None and breached_at is None):
            status = "met"
        elif breached_at is not None:
            status = "breached"
        elif paused and paused[-1][1] is None:
            status = "paused"
        elif any(at <= clock.as_of for _, at in warnings):
            status = "at_risk"
        else:
            status = "pending"
        elapsed = _span(calendar, start, horizon) - _span_paused(calendar, paused, horizon)
        running = status in ("pending", "at_risk", "paused")
        return SlaVerdict(
            sla=self.id,
            kind=sla.kind.value,
            status=status,
            start=start,
            due=due,
            stop=stopped_at,
            breached_at=breached_at,
            elapsed_minutes=_minutes(elapsed),
            remaining_minutes=_minutes(_span(calendar, horizon, due)) if running else None,
            attempts=outcome.attempts,
            party=self._party(lead) if status == "breached" else None,
            evidence=self._evidence(status, outcome, lead) if status != "pending" else "",
            escalate_to=sla.escalate_to if breached_at is not None else None,
            events=tuple(events),
            anomalies=self._early_outcomes(lead, start),
        )

    def _early_outcomes(self, lead: LeadContext, start: datetime) -> tuple[str, ...]:
        """Stop and cancel events dated before the lead's creation that the clock, started
        later, could not count (see the module documentation)."""
        created = lead.record.get(self.created_key)
        if not isinstance(created, datetime):
            return ()
        before = min(created, start)
        found: list[str] = []
        for name, trigger in (("stop", self.sla.stop), ("cancel", self.sla.cancel)):
            if trigger is None:
                continue
            kinds = list(trigger.event or ())
            for stage in trigger.stage or ():
                if lead.reached.get(stage, start) < start:
                    kinds += self.entry_events.get(stage, ())
            for kind in dict.fromkeys(kinds):
                for event in lead.events.by_type.get(kind, ()):
                    if event.at < before and _matches(event, trigger):
                        found.append(
                            f"sla {self.id}: `{kind}` event at {_iso(event.at)} is dated before "
                            f"the lead's creation ({_iso(created)}), so before the clock's "
                            f"start ({_iso(start)}): not counted as its {name}"
                        )
        return tuple(found)

    def _not_applicable(self, why: str) -> SlaVerdict:
        # A verdict is immutable and most clocks do not apply to most leads: one per reason.
        found = self._not_applicable_by_why.get(why)
        if found is None:
            found = self._not_applicable_by_why[why] = SlaVerdict(
                sla=self.id, kind=self.sla.kind.value, status="not_applicable", evidence=why
            )
        return found

    def _party(self, lead: LeadContext) -> Party:
        handoff = lead.handoff
        if handoff is not None and handoff.missing_fields:
            return "marketing"
        if lead.campaign is not None and handoff is None:  # a campaign the contract lacks
            return "marketing"
        if lead.overflow:
            return "capacity-overflow"
        return _TEAM_PARTY[self.sla.responsible]

    def _evidence(self, status: str, outcome: _Outcome, lead: LeadContext) -> str:
        handoff = lead.handoff
        if status == "breached" and handoff is not None and handoff.missing_fields:
            return (
                "handed off without "
                + ", ".join(handoff.missing_fields)
                + "; the clock could not fairly start"
            )
        if status == "breached" and lead.campaign is not None and handoff is None:
            return (
                f"campaign `{lead.campaign}` is not in the contract, so the lead was never "
                "handed off under it; marketing sourced it outside the agreement; " + outcome.why
            )
        if status == "breached" and lead.overflow:
            return (
                "excused: the lead came beyond its campaign's declared weekly capacity; "
                + outcome.why
            )
        return outcome.why

    def _forbidden(self, record: Mapping[str, Any]) -> set[str]:
        return {channel for channel, flag in self.consent.items() if record.get(flag) is True}

    def _attempts(
        self,
        lead: LeadContext,
        start: datetime,
        end: datetime,
        calendar: BusinessCalendar | None,
        pausing: _Pauses,
    ) -> _Outcome:
        rule = self.sla.attempts
        assert rule is not None
        window_end, paused = pausing.deadline(start, rule.within)
        frame = _Outcome(
            due=window_end,
            origin=start,
            unpaused_due=_add(calendar, start, rule.within),
            paused=paused,
        )
        channels = set(rule.channels) if rule.channels else None
        forbidden = self._forbidden(lead.record)
        allowed = (channels - forbidden) if channels is not None else None
        if allowed is not None and not allowed:
            return replace(
                frame,
                excused=True,
                why="excused: the lead's consent forbids every attempt channel",
            )
        spacing = rule.min_spacing.as_timedelta() if rule.min_spacing else timedelta()
        counted: list[Event] = []
        for kind in ATTEMPT_EVENTS:
            for event in lead.events.by_type.get(kind, ()):
                if not start <= event.at <= end or _late(calendar, window_end, event.at):
                    continue
                if (allowed is not None and event.channel not in allowed) or (
                    event.channel in forbidden
                ):
                    continue
                if counted and event.at - counted[-1].at < spacing:
                    continue
                counted.append(event)
        counted.sort(key=lambda e: e.at)
        needed_mix = rule.min_channels or 0
        if allowed is not None:
            needed_mix = min(needed_mix, len(allowed))
        seen: set[str | None] = set()
        for number, event in enumerate(counted, start=1):
            seen.add(event.channel)
            if number >= rule.count and len(seen) >= needed_mix:
                return replace(
                    frame,
                    stop=event.at,
                    met=True,
                    attempts=number,
                    why=f"{number} attempts on {len(seen)} channel(s)",
                )
        mix = f" on {len(seen)} of {needed_mix} required channels" if needed_mix else ""
        excused = " (some channels excused by consent)" if forbidden & (channels or set()) else ""
        return replace(
            frame,
            attempts=len(counted),
            why=f"{len(counted)} of {rule.count} attempts{mix}{excused}",
        )

    def _idle(
        self,
        lead: LeadContext,
        start: datetime,
        end: datetime,
        calendar: BusinessCalendar | None,
        pausing: _Pauses,
    ) -> _Outcome:
        target = self.sla.target
        stops = [t for t in self.occurrences("stop", self.sla.stop, lead) if start <= t <= end]
        last = start
        paused: list[_PauseSpan] = []
        for touch in stops:
            due, during = pausing.deadline(last, target)
            paused += [span for span in during if span not in paused]
            if _late(calendar, due, touch):
                return _Outcome(
                    due=due,
                    origin=last,
                    unpaused_due=_add(calendar, last, target),
                    paused=paused,
                    why=f"untouched from {_iso(last)} until {_iso(touch)}",
                )
            last = touch
        due, during = pausing.deadline(last, target)
        return _Outcome(
            due=due,
            origin=last,
            unpaused_due=_add(calendar, last, target),
            paused=paused + [span for span in during if span not in paused],
            why=f"last touched {_iso(last)}" if stops else "never touched",
        )


_PauseSpan = tuple[datetime, datetime | None]
"""A pause: when it began, and when the clock resumed (None: still paused)."""


@dataclass(slots=True)  # built per clock and never changed: frozen would cost a call per field
class _Pauses:
    """The pauses of one clock, and how they push its deadlines."""

    calendar: BusinessCalendar | None
    spans: list[_PauseSpan]
    limit: datetime
    """Where the clock ends (fulfilled, cancelled or as of now): an open pause lasts until it."""

    def deadline(
        self, origin: datetime, amount: Duration | timedelta
    ) -> tuple[datetime, list[_PauseSpan]]:
        """``origin`` plus ``amount`` of running time, and the pauses that pushed it.

        A pause that begins before the deadline (as pushed by the pauses before it) pushes it
        later by the business time it lasts after ``origin``; a pause that begins once the
        deadline has passed changes nothing: the clock had already run out.
        """
        due = _add(self.calendar, origin, amount)
        used: list[_PauseSpan] = []
        for span in self.spans:
            begin, finish = span
            if finish is not None and finish <= origin:
                continue
            begin = max(begin, origin)
            if begin >= due:
                break
            used.append(span)
            length = _span(self.calendar, begin, finish if finish is not None else self.limit)
            if length:
                due = _add(self.calendar, due, length)
        return due, used


@dataclass(slots=True)  # built per clock and never changed: frozen would cost a call per field
class _Clock:
    """The measured frame of one clock: when it ran, paused, and comes due."""

    start: datetime
    end: datetime
    as_of: datetime
    cancel_at: datetime | None
    pausing: _Pauses
    calendar: BusinessCalendar | None
    note: str


@dataclass(slots=True)  # built per clock and never changed: frozen would cost a call per field
class _Outcome:
    """What one kind of clock found: its due time, and what it ran from.

    ``origin`` is where the running time towards ``due`` began (the start; for an idle clock
    the last touch), ``unpaused_due`` the due time had nothing paused it, ``paused`` the pauses
    that pushed it; warning thresholds are shares of the same running time.
    """

    due: datetime
    origin: datetime
    unpaused_due: datetime
    paused: list[_PauseSpan]
    stop: datetime | None = None
    met: bool = False
    excused: bool = False
    attempts: int | None = None
    why: str = ""


_EVENT_ORDER = {
    "activate": 0,
    "pause": 1,
    "resume": 2,
    "warn": 3,
    "fulfil": 4,
    "breach": 5,
    "escalate": 6,
    "cancel": 7,
}


def _matches(event: Event, trigger: Trigger) -> bool:
    if trigger.channels is not None and event.channel not in trigger.channels:
        return False
    return trigger.reasons is None or event.reason in trigger.reasons


def _paused_spans(
    pauses: Sequence[datetime], resumes: Sequence[datetime], end: datetime
) -> list[_PauseSpan]:
    """Pause periods up to ``end``: each pause lasts until the next resume after it."""
    spans: list[_PauseSpan] = []
    cursor: datetime | None = None
    for pause in pauses:
        if pause > end or (cursor is not None and pause < cursor):
            continue
        resume = next((r for r in resumes if r >= pause), None)
        if resume is not None and resume <= end:
            spans.append((pause, resume))
            cursor = resume
        else:
            spans.append((pause, None))
            break
    return spans


def _add(
    calendar: BusinessCalendar | None, start: datetime, amount: Duration | timedelta
) -> datetime:
    if calendar is None:
        delta = amount.as_timedelta() if isinstance(amount, Duration) else amount
        return (start + delta).astimezone(UTC)
    try:
        return calendar.add_utc(start, amount)
    except DateRangeError:
        # Inputs are checked when records are read, so only a result can lie outside.
        return SUPPORTED_END


def _late(calendar: BusinessCalendar | None, due: datetime, at: datetime) -> bool:
    """Whether business time has passed between ``due`` and ``at``: a stop at ``at`` misses
    the deadline, a running clock has breached it."""
    return at > due and (calendar is None or calendar.elapsed(due, at) > timedelta(0))


def _span(calendar: BusinessCalendar | None, start: datetime, end: datetime) -> timedelta:
    if end <= start:
        return timedelta()
    if calendar is None:
        return end - start
    return calendar.elapsed(start, end)


def _span_paused(
    calendar: BusinessCalendar | None,
    paused: Sequence[_PauseSpan],
    until: datetime,
) -> timedelta:
    total = timedelta()
    for a, b in paused:
        total += _span(calendar, a, min(b, until) if b is not None else until)
    return total


def _minutes(value: timedelta) -> int:
    return int(value.total_seconds() // 60)


def _iso(value: datetime) -> str:
    # As strftime("%Y-%m-%d %H:%M UTC") writes it (years are four digits in the supported
    # window), without its cost.
    v = value.astimezone(UTC)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d} UTC"


def first_late_instant(
    sla: CompiledSla, due: datetime, *, zone: str | None = None, owner_zone: str | None = None
) -> datetime | None:
    """The first instant at which a running clock of ``sla``, due at ``due``, is late: one
    microsecond after its calendar next opens at or after ``due`` (``due`` itself when open);
    on a calendar-time clock, one microsecond after ``due``. None when the calendar does not
    open again within its supported window.

    ``zone`` and ``owner_zone`` are the lead's and its owner's zones (as the clock reads them).
    For callers that wake exactly when a clock's status changes (the live monitor), without
    probing verdicts for it: this is the same rule :func:`_late` applies.
    """
    context = LeadContext({}, {}, EventIndex([]), {}, None, None, zone, owner_zone)
    calendar, _ = sla._calendar_for(context)
    tick = timedelta(microseconds=1)
    if calendar is None:
        return due + tick
    try:
        return calendar.next_open(due).astimezone(UTC) + tick
    except DateRangeError:
        return None
