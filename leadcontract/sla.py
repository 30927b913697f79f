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

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadcontract.calendar import SUPPORTED_END, BusinessCalendar, DateRangeError
from leadcontract.durations import Duration
from leadcontract.inputs import Event
from leadcontract.model import Calendar, Contract, Sla, SlaKind, Team, Trigger
from leadcontract.rules.conditions import CompiledCondition
from leadcontract.rules.scoring import EventIndex
from leadcontract.verdict import (
    ClockEvent,
    ClockEventKind,
    Handoff,
    Party,
    SlaKindName,
    SlaStatus,
    SlaVerdict,
)

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
    instants: dict[Any, list[int]] = field(default_factory=dict, compare=False)
    """Filled by the clocks as they run: the lead's instants as integer microseconds, per
    event type (under its name) and per trigger (under its plan's integer key), converted
    once and shared by every clock of the lead; also its creation and the event types seen
    before it (see :func:`_before_creation`)."""


class CompiledSla:
    """One SLA, ready to run its clock over leads.

    A clock computes on integer instants (microseconds since the UTC epoch, see
    :meth:`BusinessCalendar.add_micros`): the lead's instants are converted once per lead
    (shared by its clocks through :attr:`LeadContext.instants`), and datetimes are built only
    for what the verdict holds.
    """

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
        self.triggers = {
            name: _TriggerPlan.of(trigger, f"{self.pointer}/{name}", conditions)
            for name, trigger in sla.triggers()
        }
        """What each trigger the SLA has (start, stop, pause, resume, cancel) looks for."""
        self._start = self.triggers["start"]
        self._stop = self.triggers.get("stop")
        self._pause = self.triggers.get("pause")
        self._resume = self.triggers.get("resume")
        self._cancel = self.triggers.get("cancel")
        self._as_of: tuple[datetime | None, int] = (None, 0)
        """The last ``as_of`` judged and its instant (one tuple: threads may share the SLA)."""
        self.trigger_conditions = {name: plan.condition for name, plan in self.triggers.items()}
        self.calendar = calendars.get(sla.calendar) if sla.calendar else None
        self.business = sla.time == "business" and self.calendar is not None
        self.consent = dict(contract.lead.consent)
        self.zone_cache: dict[str | None, tuple[_TimeLine, str]] = {}
        """Per zone name a clock is read in: its time line there and its activation note."""
        self.created_key = contract.lead.keys.created
        self.entry_events = {
            stage.id: tuple(stage.entry_events) for stage in contract.lead.lifecycle.stages
        }
        # A verdict is immutable and most clocks do not apply to most leads: one per reason.
        self._not_covered = self._not_applicable("the lead's campaign is not covered")
        self._not_selected = self._not_applicable("the selector does not hold")
        self._not_started = self._not_applicable("not started")
        rule = sla.attempts
        self._attempt_channels = frozenset(rule.channels) if rule and rule.channels else None
        self._attempt_spacing = (
            rule.min_spacing.calendar_minutes * _MINUTE if rule and rule.min_spacing else 0
        )
        self._kind_name: SlaKindName = sla.kind.value  # an enum's value is a property: read it once
        self._warn_notes = {percent: f"{percent}% of the target" for percent in sla.warn_at}
        self.outcome_triggers = [
            (name, trigger)
            for name, trigger in (("stop", sla.stop), ("cancel", sla.cancel))
            if trigger is not None
        ]
        """The triggers that end the clock, whose early events :meth:`_early_outcomes` reports."""
        self._outcome_kinds = {
            name: tuple(dict.fromkeys(trigger.event or ()))
            for name, trigger in self.outcome_triggers
        }
        """The event types each of those triggers names (its stages add their entry events)."""

    # --- triggers ---------------------------------------------------------------------------

    def occurrences(self, name: str, lead: LeadContext) -> list[int]:
        """When the trigger ``name`` (start, stop, pause, resume, cancel) happened for this
        lead, in time order, as integer instants.

        Computed once per lead and trigger: clocks with the same trigger (three SLAs start at
        the handoff) share the answer through the lead's :attr:`LeadContext.instants`.
        """
        plan = self.triggers.get(name)
        if plan is None:
            return []
        return plan.occurrences(lead)

    def _time_line(self, lead: LeadContext) -> tuple[_TimeLine, str]:
        """The time the clock runs on for this lead (business hours in the zone the SLA
        names, or plain elapsed time), and the note of the clock's activation saying which."""
        calendar = self.calendar
        if calendar is None or not self.business:
            return _CALENDAR_TIME, "started; clock: calendar time"
        whose = self.sla.clock_zone
        wanted = lead.zone if whose == "lead" else lead.owner_zone if whose == "owner" else None
        found = self.zone_cache.get(wanted)
        if found is None:
            if len(self.zone_cache) >= _ZONES_KEPT:  # zone names come from the data
                self.zone_cache.clear()
            zoned, note = self._zoned(calendar, wanted)
            found = self.zone_cache[wanted] = (_BusinessTime(zoned), f"started; clock: {note}")
        return found

    def _calendar_for(self, lead: LeadContext) -> BusinessCalendar | None:
        """The business calendar the clock reads for this lead (None: calendar time)."""
        return self._time_line(lead)[0].calendar

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
            return self._not_covered
        if self.selector is not None and not self.selector.predicate(lead.facts):
            return self._not_selected
        plan = self._start  # plan.occurrences(lead), inlined: every clock of every lead asks
        starts = lead.instants.get(plan.key)
        if starts is None:
            starts = lead.instants[plan.key] = plan.instants(lead)
        if not starts:
            return self._not_started
        known = self._as_of
        if known[0] is not as_of:
            known = self._as_of = (as_of, _micros(as_of))
        now = known[1]
        start = starts[0]
        if start > now:
            return self._not_started
        line, note = self._time_line(lead)
        cancel_at = None
        if self._cancel is not None:
            cancel_at = _first_from(self._cancel.occurrences(lead), start)
            if cancel_at is not None and cancel_at > now:
                cancel_at = None
        end = min(now, cancel_at) if cancel_at is not None else now
        stop = None
        kind = sla.kind
        if kind is SlaKind.RESPONSE and self._stop is not None:
            stop = _first_from(self._stop.occurrences(lead), start)
            if stop is not None and stop > end:
                stop = None
        # Pauses count until the clock ends: fulfilled, cancelled, or as of now.
        limit = stop if stop is not None else end
        spans: list[_PauseSpan] = []
        if self._pause is not None:
            resumes = self._resume.occurrences(lead) if self._resume is not None else ()
            spans = _paused_spans(self._pause.occurrences(lead), resumes, start, limit)
        pausing = _Pauses(line, spans, limit)
        if kind is SlaKind.ATTEMPTS:
            outcome = self._attempts(lead, start, end, line, pausing)
        elif kind is SlaKind.IDLE:
            outcome = self._idle(lead, start, end, line, pausing)
        else:
            outcome = self._response(start, stop, line, pausing)
        return self._settle(_Clock(start, end, now, cancel_at, pausing, line, note), outcome, lead)

    def _response(
        self, start: int, stop: int | None, line: _TimeLine, pausing: _Pauses
    ) -> _Outcome:
        target = self.sla.target
        unpaused_due = line.add(start, target)
        due, paused = unpaused_due, _NO_PAUSES
        if pausing.spans:
            due, paused = pausing.deadline(start, target, unpaused_due)
        # Late at the stop or, with none, where the clock ends (as of now, or cancelled).
        late = line.late(due, pausing.limit)
        met = stop is not None and not late
        if stop is None:
            why = f"nothing fulfilled it by {_iso(due)}" if late else ""
        elif not met:
            overdue = line.span(due, stop)
            why = f"fulfilled {_iso(stop)}, {_minutes(overdue)} business minutes after due"
        elif stop > due:
            why = f"fulfilled {_iso(stop)}, after due {_iso(due)} but before any business time"
        else:
            why = f"fulfilled {_iso(stop)}, before due {_iso(due)}"
        return _Outcome(
            stop=stop,
            due=due,
            origin=start,
            unpaused_due=unpaused_due,
            paused=paused,
            met=met,
            late=late,
            why=why,
        )

    def _settle(self, clock: _Clock, outcome: _Outcome, lead: LeadContext) -> SlaVerdict:
        """Turn what the clock saw into clock events and a status."""
        sla = self.sla
        line, start, due = clock.line, clock.start, outcome.due
        paused = outcome.paused
        # (instant, order of its kind, kind, note, target): sorted by the first two, stably.
        events: list[tuple[int, int, ClockEventKind, str, str | None]] = [
            (start, 0, "activate", clock.note, None)
        ]
        for pause_start, pause_end in paused:
            events.append((pause_start, 1, "pause", "", None))
            if pause_end is not None:
                events.append((pause_end, 2, "resume", "", None))
        stopped_at = outcome.stop
        horizon = stopped_at if stopped_at is not None else clock.end
        warnings: Sequence[tuple[int, int]] = _NO_WARNINGS
        if sla.warn_at:
            warnings = self._warnings(clock, outcome, horizon)
            notes = self._warn_notes
            events += [
                (at, 3, "warn", notes[percent], None) for percent, at in warnings if at < due
            ]
        late = outcome.late
        if late is None:
            late = line.late(due, horizon)  # the stop, when there is one
        breached_at = due if late and not outcome.excused else None
        if breached_at is not None:
            events.append((due, 5, "breach", outcome.why or "target passed", None))
            if sla.escalate_to:
                events.append((due, 6, "escalate", "", sla.escalate_to))
        if stopped_at is not None:
            events.append((stopped_at, 4, "fulfil", outcome.why or "stop condition met", None))
        cancelled = clock.cancel_at is not None and stopped_at is None and breached_at is None
        if cancelled and clock.cancel_at is not None:
            events.append((clock.cancel_at, 7, "cancel", "", None))
        events.sort(key=_BY_TIME_AND_KIND)
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
        elapsed = line.span(start, horizon)
        if paused:
            elapsed -= _span_paused(line, paused, horizon)
        running = status in ("pending", "at_risk", "paused")
        moments, clock_events = _clock_events(events, due)
        return SlaVerdict(
            sla=self.id,
            kind=self._kind_name,
            status=status,
            start=moments[start],
            due=moments[due],
            stop=moments[stopped_at] if stopped_at is not None else None,
            breached_at=moments[due] if breached_at is not None else None,
            elapsed_minutes=_minutes(elapsed),
            remaining_minutes=_minutes(line.span(horizon, due)) if running else None,
            attempts=outcome.attempts,
            party=self._party(lead) if status == "breached" else None,
            evidence=self._evidence(status, outcome, lead) if status != "pending" else "",
            escalate_to=sla.escalate_to if breached_at is not None else None,
            events=clock_events,
            anomalies=self._early_outcomes(lead, start) if self.outcome_triggers else (),
        )

    def _warnings(self, clock: _Clock, outcome: _Outcome, horizon: int) -> list[tuple[int, int]]:
        """The warning thresholds (percent, instant) reached by ``horizon`` (the stop, or
        where the clock ends): a threshold is a share of the running time the target
        allows, so pauses before it push it later just as they push the due time.

        Only those reached matter (at risk is asked only of a clock running as of now, whose
        horizon is now), so a threshold that cannot be reached, because even without a pause
        or a closed hour it would lie after ``horizon``, is not computed (unless ``horizon``
        is the end of the supported dates, where computed thresholds are capped).
        """
        origin = outcome.origin
        line = clock.line
        allowed = line.span(origin, outcome.unpaused_due)
        found: list[tuple[int, int]] = []
        for percent in self.sla.warn_at:
            share = _share(allowed, percent)
            if origin + share > horizon and horizon < _END:
                continue
            at = clock.pausing.deadline(origin, share)[0]
            if at <= horizon:
                found.append((percent, at))
        return found

    def _early_outcomes(self, lead: LeadContext, start: int) -> tuple[str, ...]:
        """Stop and cancel events dated before the lead's creation that the clock, started
        later, could not count (see the module documentation)."""
        created, early = _before_creation(lead, self.created_key)
        if not early:
            return ()  # the usual case: no event lies before the creation
        before = min(created, start)
        found: list[str] = []
        for name, trigger in self.outcome_triggers:
            kinds: Iterable[str] = self._outcome_kinds[name]
            if trigger.stage:
                entered: list[str] = []
                for stage in trigger.stage:
                    reached = lead.reached.get(stage)
                    if reached is not None and _micros(reached) < start:
                        entered += self.entry_events.get(stage, ())
                kinds = dict.fromkeys([*kinds, *entered])
            for kind in kinds:
                first = early.get(kind)
                if first is None or first >= before:
                    continue
                times = _event_times(lead, kind)
                for event, at in zip(lead.events.by_type[kind], times, strict=True):
                    if at < before and _matches(event, trigger):
                        found.append(
                            f"sla {self.id}: `{kind}` event at {_iso(at)} is dated before "
                            f"the lead's creation ({_iso(created)}), so before the "
                            f"clock's start ({_iso(start)}): not counted as its {name}"
                        )
        return tuple(found)

    def _not_applicable(self, why: str) -> SlaVerdict:
        return SlaVerdict(
            sla=self.id, kind=self.sla.kind.value, status="not_applicable", evidence=why
        )

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
        self, lead: LeadContext, start: int, end: int, line: _TimeLine, pausing: _Pauses
    ) -> _Outcome:
        rule = self.sla.attempts
        assert rule is not None
        unpaused_due = line.add(start, rule.within)
        window_end, paused = pausing.deadline(start, rule.within, unpaused_due)
        frame = _Outcome(due=window_end, origin=start, unpaused_due=unpaused_due, paused=paused)
        channels = self._attempt_channels
        forbidden = self._forbidden(lead.record)
        allowed = (channels - forbidden) if channels is not None else None
        if allowed is not None and not allowed:
            frame.excused = True
            frame.why = "excused: the lead's consent forbids every attempt channel"
            return frame
        spacing = self._attempt_spacing
        counted: list[tuple[int, str | None]] = []
        for kind in ATTEMPT_EVENTS:
            for event, at in zip(
                lead.events.by_type.get(kind, ()), _event_times(lead, kind), strict=True
            ):
                if not start <= at <= end or line.late(window_end, at):
                    continue
                channel = event.channel
                if (allowed is not None and channel not in allowed) or channel in forbidden:
                    continue
                if counted and at - counted[-1][0] < spacing:
                    continue
                counted.append((at, channel))
        counted.sort(key=_BY_TIME)
        needed_mix = rule.min_channels or 0
        if allowed is not None:
            needed_mix = min(needed_mix, len(allowed))
        seen: set[str | None] = set()
        for number, (at, channel) in enumerate(counted, start=1):
            seen.add(channel)
            if number >= rule.count and len(seen) >= needed_mix:
                frame.stop = at
                frame.met = True
                frame.attempts = number
                frame.why = f"{number} attempts on {len(seen)} channel(s)"
                return frame
        mix = f" on {len(seen)} of {needed_mix} required channels" if needed_mix else ""
        excused = " (some channels excused by consent)" if forbidden & (channels or set()) else ""
        frame.attempts = len(counted)
        frame.why = f"{len(counted)} of {rule.count} attempts{mix}{excused}"
        return frame

    def _idle(
        self, lead: LeadContext, start: int, end: int, line: _TimeLine, pausing: _Pauses
    ) -> _Outcome:
        target = self.sla.target
        found = self._stop.occurrences(lead) if self._stop is not None else ()
        stops = [t for t in found if start <= t <= end]
        last = start
        paused: list[_PauseSpan] = []
        for touch in stops:
            unpaused_due = line.add(last, target)
            due, during = pausing.deadline(last, target, unpaused_due)
            paused += [span for span in during if span not in paused]
            if line.late(due, touch):
                return _Outcome(
                    due=due,
                    origin=last,
                    unpaused_due=unpaused_due,
                    paused=paused,
                    why=f"untouched from {_iso(last)} until {_iso(touch)}",
                )
            last = touch
        unpaused_due = line.add(last, target)
        due, during = pausing.deadline(last, target, unpaused_due)
        return _Outcome(
            due=due,
            origin=last,
            unpaused_due=unpaused_due,
            paused=paused + [span for span in during if span not in paused],
            why=f"last touched {_iso(last)}" if stops else "never touched",
        )


@dataclass(frozen=True, slots=True)
class _TriggerPlan:
    """What one trigger of one SLA looks for, and the key its answer is shared under.

    Two SLAs whose triggers look for the same things (and have no condition of their own)
    share one key, so one lead's answer is computed once for both.
    """

    key: int
    """The same for the same things looked for (see :func:`_key`)."""
    kinds: tuple[str, ...]
    channels: frozenset[str] | None
    reasons: frozenset[str] | None
    stages: tuple[str, ...]
    record_field: str | None
    condition: CompiledCondition | None

    @classmethod
    def of(
        cls, trigger: Trigger, pointer: str, conditions: Mapping[str, CompiledCondition]
    ) -> _TriggerPlan:
        condition = conditions.get(f"{pointer}/when")
        kinds = tuple(trigger.event or ())
        channels = frozenset(trigger.channels) if trigger.channels is not None else None
        reasons = frozenset(trigger.reasons) if trigger.reasons is not None else None
        stages = tuple(trigger.stage or ())
        looks_for = (
            kinds,
            channels,
            reasons,
            stages,
            trigger.field,
            pointer if condition else None,
        )
        return cls(_key(looks_for), kinds, channels, reasons, stages, trigger.field, condition)

    def occurrences(self, lead: LeadContext) -> list[int]:
        """:meth:`instants`, computed once per lead and shared under :attr:`key`."""
        found: list[int] | None = lead.instants.get(self.key)
        if found is None:
            found = lead.instants[self.key] = self.instants(lead)
        return found

    def instants(self, lead: LeadContext) -> list[int]:
        """When the trigger happened for ``lead``, in time order."""
        if self.condition is not None and not self.condition.predicate(lead.facts):
            return []
        times: list[int] = []
        channels, reasons = self.channels, self.reasons
        for kind in self.kinds:
            events = lead.events.by_type.get(kind)
            if not events:
                continue
            if channels is None and reasons is None:
                times += _event_times(lead, kind)
                continue
            for event, at in zip(events, _event_times(lead, kind), strict=True):
                if (channels is None or event.channel in channels) and (
                    reasons is None or event.reason in reasons
                ):
                    times.append(at)
        reached = lead.reached
        for stage in self.stages:
            if stage in reached:
                times.append(_micros(reached[stage]))
        if self.record_field is not None:
            value = lead.record.get(self.record_field)
            if isinstance(value, datetime):
                times.append(_micros(value))
        times.sort()
        return times


class _TimeLine:
    """The time a clock runs on, on integer instants: what adding a target, measuring a
    span and being late mean there."""

    __slots__ = ()

    calendar: BusinessCalendar | None = None

    def add(self, at: int, duration: Duration) -> int:
        """``duration`` (as the contract wrote it) after ``at``."""
        raise NotImplementedError

    def advance(self, at: int, amount: int) -> int:
        """``amount`` microseconds of running time after ``at``."""
        raise NotImplementedError

    def span(self, start: int, end: int) -> int:
        """Running time in ``[start, end)``, in microseconds; zero when ``end <= start``."""
        raise NotImplementedError

    def late(self, due: int, at: int) -> bool:
        """Whether running time has passed between ``due`` and ``at``: a stop at ``at``
        misses the deadline, a running clock has breached it."""
        return at > due and self.span(due, at) > 0


class _CalendarTime(_TimeLine):
    """Plain elapsed time (``time: calendar``): a day is 24 hours."""

    __slots__ = ()

    def add(self, at: int, duration: Duration) -> int:
        return at + duration.calendar_minutes * _MINUTE

    def advance(self, at: int, amount: int) -> int:
        return at + amount

    def span(self, start: int, end: int) -> int:
        return end - start if end > start else 0

    def late(self, due: int, at: int) -> bool:
        return at > due


class _BusinessTime(_TimeLine):
    """Working time on a business calendar; results beyond the supported dates are capped
    at their end (inputs are checked when records are read, so only a result can lie
    outside)."""

    __slots__ = ("calendar",)

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar

    def add(self, at: int, duration: Duration) -> int:
        assert self.calendar is not None
        try:
            return self.calendar.add_micros(at, duration)
        except DateRangeError:
            return _END

    def advance(self, at: int, amount: int) -> int:
        assert self.calendar is not None
        try:
            return self.calendar.advance_micros(at, amount)
        except DateRangeError:
            return _END

    def span(self, start: int, end: int) -> int:
        if end <= start:
            return 0
        assert self.calendar is not None
        return self.calendar.elapsed_micros(start, end)

    def late(self, due: int, at: int) -> bool:
        if at <= due:
            return False
        assert self.calendar is not None
        return self.calendar.elapsed_micros(due, at) > 0  # the base's rule, a call fewer


_CALENDAR_TIME: Final = _CalendarTime()

_PauseSpan = tuple[int, int | None]
"""A pause: when it began, and when the clock resumed (None: still paused)."""

_NO_PAUSES: Final[Sequence[_PauseSpan]] = ()
_NO_WARNINGS: Final[tuple[tuple[int, int], ...]] = ()


@dataclass(slots=True)  # built per clock and never changed: frozen would cost a call per field
class _Pauses:
    """The pauses of one clock, and how they push its deadlines."""

    line: _TimeLine
    spans: list[_PauseSpan]
    limit: int
    """Where the clock ends (fulfilled, cancelled or as of now): an open pause lasts until it."""

    def deadline(
        self, origin: int, amount: Duration | int, unpaused: int | None = None
    ) -> tuple[int, Sequence[_PauseSpan]]:
        """``origin`` plus ``amount`` of running time (``unpaused``, when the caller has it
        already), and the pauses that pushed it.

        A pause that begins before the deadline (as pushed by the pauses before it) pushes it
        later by the business time it lasts after ``origin``; a pause that begins once the
        deadline has passed changes nothing: the clock had already run out.
        """
        line = self.line
        if unpaused is not None:
            due = unpaused
        elif isinstance(amount, Duration):
            due = line.add(origin, amount)
        else:
            due = line.advance(origin, amount)
        if not self.spans:
            return due, _NO_PAUSES
        used: list[_PauseSpan] = []
        for span in self.spans:
            begin, finish = span
            if finish is not None and finish <= origin:
                continue
            begin = max(begin, origin)
            if begin >= due:
                break
            used.append(span)
            length = line.span(begin, finish if finish is not None else self.limit)
            if length:
                due = line.advance(due, length)
        return due, used


@dataclass(slots=True)  # built per clock and never changed: frozen would cost a call per field
class _Clock:
    """The measured frame of one clock: when it ran, paused, and comes due."""

    start: int
    end: int
    as_of: int
    cancel_at: int | None
    pausing: _Pauses
    line: _TimeLine
    note: str


@dataclass(slots=True)  # built per clock; not frozen: a kind of clock fills in what it found
class _Outcome:
    """What one kind of clock found: its due time, and what it ran from.

    ``origin`` is where the running time towards ``due`` began (the start; for an idle clock
    the last touch), ``unpaused_due`` the due time had nothing paused it, ``paused`` the pauses
    that pushed it; warning thresholds are shares of the same running time.
    """

    due: int
    origin: int
    unpaused_due: int
    paused: Sequence[_PauseSpan]
    stop: int | None = None
    met: bool = False
    excused: bool = False
    attempts: int | None = None
    late: bool | None = None
    """Whether running time passed between ``due`` and the stop (or, with none, the clock's
    end), when the kind of clock found out already (None: not asked yet)."""
    why: str = ""


_BY_TIME = itemgetter(0)
_BY_TIME_AND_KIND = itemgetter(0, 1)
_MINUTE: Final = 60_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH: Final = datetime(1970, 1, 1)  # only for writing UTC wall times
_ONE_US: Final = timedelta(microseconds=1)
_END: Final = (SUPPORTED_END - _EPOCH) // _ONE_US


def _micros(value: datetime) -> int:
    """An aware datetime as microseconds since the UTC epoch."""
    return (value - _EPOCH) // _ONE_US


def _instant(at: int) -> datetime:
    """Microseconds since the UTC epoch as an aware datetime in UTC."""
    return _EPOCH + timedelta(0, 0, at)  # positional: the keyword costs a third more


_RECENT_MOMENTS: Final[list[dict[int, datetime]]] = [{}]
_MOMENTS_KEPT: Final = 4_096


def _clock_events(
    events: Sequence[tuple[int, int, ClockEventKind, str, str | None]], due: int
) -> tuple[dict[int, datetime], tuple[ClockEvent, ...]]:
    """The clock events, and the datetimes (as :func:`_instant` gives them) of their instants
    and of the due time, taken from the recent ones: a clock's events mostly repeat its
    start, stop and due time, and a lead's clocks share their start, so each is built once
    (datetimes are immutable, so verdicts can share them). A full dict is replaced, never
    cleared, so a thread still reading the old one is not disturbed."""
    moments = _RECENT_MOMENTS[0]
    if len(moments) >= _MOMENTS_KEPT:
        moments = _RECENT_MOMENTS[0] = {}
    made: list[ClockEvent] = []
    for at, _, kind, note, target in events:
        moment = moments.get(at)
        if moment is None:
            moment = moments[at] = _EPOCH + timedelta(0, 0, at)
        made.append(ClockEvent(kind, moment, note, target))
    if due not in moments:
        moments[due] = _EPOCH + timedelta(0, 0, due)
    return moments, tuple(made)


_TRIGGER_KEYS: Final[dict[Any, int]] = {}
_NEXT_KEY: Final = itertools.count()


def _key(looks_for: Any) -> int:
    """A small integer per distinct thing a trigger looks for: a lead's trigger answers are
    kept under it (hashing an int is cheaper than hashing the tuple on every lookup), and
    an integer cannot be mistaken for an event type's name, kept in the same dict. Taking
    the next number is atomic, so two threads compiling contracts never share one."""
    return _TRIGGER_KEYS.setdefault(looks_for, next(_NEXT_KEY))


def _event_times(lead: LeadContext, kind: str) -> list[int]:
    """The instants of the lead's events of ``kind``, in their order; converted once per
    lead and kind (kept under the kind's name: trigger answers are kept under tuples)."""
    found: list[int] | None = lead.instants.get(kind)
    if found is None:
        found = lead.instants[kind] = [
            (event.at - _EPOCH) // _ONE_US for event in lead.events.by_type.get(kind, ())
        ]
    return found


def _before_creation(lead: LeadContext, created_key: str) -> tuple[int, dict[str, int]]:
    """The lead's creation instant (its record's ``created_key`` field) and, per event type
    with an event before it, the earliest such instant (none when the record has no creation
    time); found once per lead, for every clock that asks whether an outcome predates it.

    Events are seen before the lead exists (a web visit before the CRM record), so this is
    often not empty; an outcome among them is rare.
    """
    key = ("events before creation", created_key)
    found: list[Any] | None = lead.instants.get(key)
    if found is None:
        created = lead.record.get(created_key)
        early: dict[str, int] = {}
        created_at = 0
        if isinstance(created, datetime):
            for kind, bucket in lead.events.by_type.items():
                if bucket[0].at < created:  # each type's events are in time order
                    early[kind] = _micros(bucket[0].at)
            created_at = _micros(created)
        found = [created_at, early]
        lead.instants[key] = found
    return found[0], found[1]


def _first_from(times: Sequence[int], start: int) -> int | None:
    """The first of the sorted ``times`` at or after ``start``."""
    for at in times:
        if at >= start:
            return at
    return None


def _share(amount: int, percent: int) -> int:
    """``percent`` % of ``amount`` microseconds, rounded to the nearest microsecond with
    ties to even: exactly what ``timedelta * percent / 100`` gives."""
    quotient, remainder = divmod(amount * percent, 100)
    doubled = 2 * remainder
    if doubled > 100 or (doubled == 100 and quotient % 2):
        quotient += 1
    return quotient


def _matches(event: Event, trigger: Trigger) -> bool:
    if trigger.channels is not None and event.channel not in trigger.channels:
        return False
    return trigger.reasons is None or event.reason in trigger.reasons


def _paused_spans(
    pauses: Sequence[int], resumes: Sequence[int], start: int, end: int
) -> list[_PauseSpan]:
    """Pause periods from ``start`` up to ``end``: each pause lasts until the next resume
    after it."""
    spans: list[_PauseSpan] = []
    cursor: int | None = None
    for pause in pauses:
        if pause < start:
            continue
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


def _span_paused(line: _TimeLine, paused: Sequence[_PauseSpan], until: int) -> int:
    total = 0
    for a, b in paused:
        total += line.span(a, min(b, until) if b is not None else until)
    return total


def _minutes(value: int) -> int:
    """Whole minutes of ``value`` microseconds, as ``timedelta.total_seconds() // 60`` gives
    them (the same float division, so the same result at every size)."""
    return int(value / 1_000_000 // 60)


def _iso(at: int) -> str:
    """``at`` as strftime("%Y-%m-%d %H:%M UTC") writes it, without its cost: the date part
    is written once per day (a naive datetime's isoformat; years are four digits in the
    supported window), the time of day from integers."""
    day, rest = divmod(at, _DAY_US)
    date_text = _DATE_TEXTS.get(day)
    if date_text is None:
        if len(_DATE_TEXTS) >= _DATE_TEXTS_KEPT:
            _DATE_TEXTS.clear()
        date_text = _DATE_TEXTS[day] = (_NAIVE_EPOCH + timedelta(day)).date().isoformat()
    hours, rest = divmod(rest, _HOUR_US)
    return f"{date_text} {hours:02d}:{rest // _MINUTE:02d} UTC"


_DAY_US: Final = 86_400_000_000
_HOUR_US: Final = 3_600_000_000
_DATE_TEXTS: Final[dict[int, str]] = {}
"""Day numbers (since 1970-01-01) as ISO dates, for :func:`_iso`."""
_DATE_TEXTS_KEPT: Final = 4_096


def first_late_instant(
    sla: CompiledSla, due: datetime, *, zone: str | None = None, owner_zone: str | None = None
) -> datetime | None:
    """The first instant at which a running clock of ``sla``, due at ``due``, is late: one
    microsecond after its calendar next opens at or after ``due`` (``due`` itself when open);
    on a calendar-time clock, one microsecond after ``due``. None when the calendar does not
    open again within its supported window.

    ``zone`` and ``owner_zone`` are the lead's and its owner's zones (as the clock reads them).
    For callers that wake exactly when a clock's status changes (the live monitor), without
    probing verdicts for it: this is the same rule :meth:`_TimeLine.late` applies.
    """
    context = LeadContext({}, {}, EventIndex([]), {}, None, None, zone, owner_zone)
    calendar = sla._calendar_for(context)
    tick = timedelta(microseconds=1)
    if calendar is None:
        return due + tick
    try:
        return calendar.next_open(due).astimezone(UTC) + tick
    except DateRangeError:
        return None
