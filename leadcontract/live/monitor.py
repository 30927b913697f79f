"""The live monitor: leads and events in, one at a time; warnings and breaches out, on time.

Its meaning is the batch engine's: for any events and any ``now``, the state of a lead in the
monitor is ``compiled.evaluate(records, events, as_of=now)`` on the same records and events. It
gets there by *being* the batch engine, per lead: every record and event is kept in the durable
store, and a lead is judged again (by :meth:`CompiledContract.verdict`) when something that can
change its verdict happens, at most once per :meth:`Monitor.advance` however many of its events
arrived. Two things decide when that is:

* an event arrives that one of the contract's patterns matches (:mod:`.ruleset`, durable_rules);
  a late or out-of-order event is judged like any other, since the lead's whole history is
  judged again, so a late touch turns a breach into a met and that is told as a *correction*;
* time reaches the lead's next deadline (:mod:`.scheduler`, the contract's business calendars).

``advance(now)`` judges every lead whose moment has come, turns what changed into happenings
(:mod:`.routing`), writes them to the outbox together with the new state, then delivers the
outbox through the notifier. Nothing here reads the wall clock: ``now`` is an input.

The store is the truth; memory only saves work. An *open* lead keeps its typed record and
events, what it was notified of, and its projections in memory, so judging it does not read and
type its history again. A lead with nothing ahead (no deadline; only an event can change it)
leaves memory at once when its stage is terminal, else once it has stayed so for ``keep_quiet``
of the monitor's time; and at most ``max_open`` leads stay (the longest untouched leave first).
A lead not in memory is read back from the store when it is next judged. So memory does not grow
with the number of closed leads.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from leadcontract.calendar import check_supported
from leadcontract.engine import CompiledContract
from leadcontract.inputs import Event, EventCoercer, RawRecord, RecordError
from leadcontract.live.notify import Notifier, NotifyError
from leadcontract.live.routing import Happening, check_link_template, route
from leadcontract.live.ruleset import TriggerRules, patterns_of
from leadcontract.live.scheduler import next_instant
from leadcontract.live.state import Outgoing, SqliteStore, StateStore
from leadcontract.model import NotificationKind
from leadcontract.sla import first_late_instant
from leadcontract.verdict import Verdict

__all__ = ["Advance", "Monitor", "Posted", "lead_state"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BATCH = 200
"""Leads judged per transaction in :meth:`Monitor.advance`."""
_WITHDRAWABLE = frozenset(
    {NotificationKind.WARNING, NotificationKind.BREACH, NotificationKind.ESCALATION}
)


@dataclass(frozen=True, slots=True)
class Posted:
    """What became of one posted record or event."""

    outcome: Literal["accepted", "duplicate", "rejected", "unmapped"]
    """``unmapped``: a row of an activity export that none of the contract's event mappings
    matches; batch evaluation uses such rows for nothing too (and counts them)."""
    lead_id: str | None = None
    error: RecordError | None = None
    relevant: str | None = None
    """The contract pattern that made an event wake its lead (None: it changed no clock)."""


@dataclass
class Advance:
    """What one :meth:`Monitor.advance` did."""

    now: datetime
    judged: int = 0
    notifications: list[Outgoing] = field(default_factory=list)
    deferred: int = 0
    """Leads woken by events that wait for the next advance (see ``most``)."""


@dataclass(slots=True)
class _Lead:
    """An open lead's history, typed, kept between judgments (the store has it all too)."""

    record: dict[str, Any]
    events: list[Event]
    notified: dict[str, int]
    """Per happening key, how often it was notified (negative: withdrawn since)."""
    saved: dict[str, Any] | None
    """The live state last written to the store (an unchanged state is not written again)."""
    changes: int = 0
    """Events and records taken since the lead came to memory."""
    projection: tuple[int, Hashable, Verdict] | None = None
    """The last projection (the verdict as of a later instant, with no further events), with
    the history (``changes``) and the clocks (see :meth:`Monitor._clocks`) it was made for."""


def lead_state(verdict: Verdict) -> dict[str, Any]:
    """The part of a verdict the monitor keeps as a lead's live state: its stage, each SLA's
    status, the handoff and the disqualification. Equal for monitor and batch at any ``now``."""
    handoff = verdict.handoff
    disqualification = verdict.disqualification
    return {
        "stage": verdict.stage.id,
        "slas": {clock.sla: clock.status for clock in verdict.slas},
        "handoff": None if handoff is None else {"due": handoff.due, "done": handoff.done},
        "disqualified": None if disqualification is None else disqualification.valid,
    }


class Monitor:
    """Watches leads against a compiled contract, with durable state and an outbox.

    One monitor owns one store and one durable_rules host; use it from one thread at a time
    (the service serialises calls with a lock, which it lends to :meth:`advance` as its
    ``guard`` so that requests are answered while notifications are sent).
    """

    def __init__(
        self,
        compiled: CompiledContract,
        *,
        store: StateStore | None = None,
        notifier: Notifier | None = None,
        link_template: str | None = None,
        max_attempts: int = 10,
        max_open: int = 100_000,
        keep_quiet: timedelta = timedelta(days=1),
    ) -> None:
        if link_template is not None:
            check_link_template(link_template)
        self.compiled = compiled
        self.store: StateStore = store if store is not None else SqliteStore()
        self.notifier = notifier
        self.link_template = link_template
        self.max_attempts = max_attempts
        self.max_open = max_open
        """At most this many open leads keep their history in memory (the least recently
        judged leave first; they are read back from the store when next judged)."""
        self.keep_quiet = keep_quiet
        self._open: OrderedDict[str, _Lead] = OrderedDict()
        self._quiet: OrderedDict[str, datetime] = OrderedDict()
        """Leads in memory with nothing ahead, by when they became so (oldest first)."""
        self._stirred: set[str] = set()
        """Leads woken by an event since they were last judged (after a restart: none; they
        are then judged with the deadlines, which is only an order)."""
        self._slas = {sla.id: sla for sla in compiled.slas}
        self._conditional = any(
            sla.selector is not None or any(c is not None for c in sla.trigger_conditions.values())
            for sla in compiled.slas
        )
        self._terminal = frozenset(
            stage.id for stage in compiled.contract.lead.lifecycle.stages if stage.terminal
        )
        extra = compiled.scoring.event_types | {kind for _, kind in compiled.event_counts}
        self.rules = TriggerRules(patterns_of(compiled.contract, extra))
        self.counters: Counter[str] = Counter()
        self.last_lag_seconds = 0.0
        # The contract's event mappings apply here as in batch (an activity export's rows
        # become the contract's events); a coercer of its own, since coercers number events.
        self._coercer = EventCoercer(default_tz=compiled.zone, mappings=compiled.mappings.events)
        self._received = 0  # the ordinal of the record within the current call
        self._thresholds = {
            sla_id: len(sla.warn_at) for sla_id, sla in compiled.contract.slas.items()
        }
        self._reasons = {
            reason_id: reason.feedback
            for reason_id, reason in compiled.contract.lead.disqualification.reasons.items()
        }
        self._adopt_contract()

    def _adopt_contract(self) -> None:
        """Under a contract other than the one the store's schedule was made under (a reload
        with a changed target, a new SLA), every lead is judged again at the next advance.

        The schedule holds each lead's next deadline *under the old contract*: a target cut
        from 4h to 1h left the lead asleep until the old warning instant, so the monitor told
        the breach hours late and disagreed with batch meanwhile; a lead with nothing ahead
        under the old contract was never looked at again. Judging every lead once brings each
        to its batch verdict, tells what the new contract makes due, and withdraws (with a
        correction) what it no longer does.
        """
        digest = self.compiled.ref.digest
        stored = self.store.contract()
        if stored == digest:
            return
        clock = self.store.clock()
        with self._transaction():
            if stored is not None or clock is not None:  # a store written before: look again
                for lead_id in self.store.lead_ids():
                    self.store.schedule_earlier(lead_id, clock or _EPOCH)
            self.store.set_contract(digest)

    # --- in ---------------------------------------------------------------------------------

    def ingest(self, record: Mapping[str, Any], *, source: str = "live") -> Posted:
        """Add or replace a lead record (the CRM's latest version wins)."""
        return self.ingest_many([record], source=source)[0]

    def ingest_many(
        self, records: Iterable[Mapping[str, Any]], *, source: str = "live"
    ) -> list[Posted]:
        """Add or replace lead records, in one transaction."""
        results: list[Posted] = []
        keys = self.compiled.keys
        with self._transaction():
            for self._received, raw in enumerate(records, start=1):
                if not isinstance(raw, Mapping):
                    results.append(self._rejected("lead", source, raw))
                    continue
                typed, errors = self.compiled.lead_coercer.coerce(
                    RawRecord(source, self._received, None, raw)
                )
                if typed is None:
                    self.counters["leads_rejected"] += 1
                    results.append(Posted("rejected", error=RecordError.of_record(errors)))
                    continue
                lead_id = str(typed[keys.id])
                self.store.put_lead(lead_id, raw)
                self._remember(lead_id, typed)
                created = typed.get(keys.created)
                self.store.schedule_earlier(
                    lead_id, created if isinstance(created, datetime) else _EPOCH
                )
                self.counters["leads_in"] += 1
                results.append(Posted("accepted", lead_id))
        return results

    def post(self, event: Mapping[str, Any], *, source: str = "live") -> Posted:
        """Take one activity event (posting the same event again changes nothing)."""
        return self.post_many([event], source=source)[0]

    def post_many(
        self, events: Iterable[Mapping[str, Any]], *, source: str = "live"
    ) -> list[Posted]:
        """Take activity events, in one transaction and one pass through the ruleset."""
        results: list[Posted | None] = []
        accepted: list[tuple[int, Event]] = []
        with self._transaction():
            for self._received, raw in enumerate(events, start=1):
                if not isinstance(raw, Mapping):
                    results.append(self._rejected("event", source, raw))
                    continue
                event, errors = self._coercer.coerce(RawRecord(source, self._received, None, raw))
                if event is None and not errors:
                    self.counters["events_unmapped"] += 1
                    results.append(Posted("unmapped"))
                    continue
                if event is None:
                    self.counters["events_rejected"] += 1
                    results.append(Posted("rejected", error=RecordError.of_record(errors)))
                    continue
                if not self.store.add_event(_event_id(raw), event.lead_id, raw):
                    self.counters["events_duplicate"] += 1
                    results.append(Posted("duplicate", event.lead_id))
                    continue
                self.counters["events_in"] += 1
                accepted.append((len(results), event))
                results.append(None)
                entry = self._open.get(event.lead_id)
                if entry is not None:
                    entry.events.append(event)
                    entry.changes += 1
            matches = self.rules.match([event for _, event in accepted])
            wake: dict[str, datetime] = {}  # one schedule write per lead, however many events
            for (slot, event), why in zip(accepted, matches, strict=True):
                if why is not None:
                    self.counters["events_relevant"] += 1
                    earliest = wake.get(event.lead_id)
                    if earliest is None or event.at < earliest:
                        wake[event.lead_id] = event.at
                results[slot] = Posted("accepted", event.lead_id, relevant=why)
            for lead_id, at in wake.items():
                self.store.schedule_earlier(lead_id, at)
            self._stirred.update(wake)
        return [item for item in results if item is not None]

    def _rejected(self, kind: Literal["lead", "event"], source: str, raw: Any) -> Posted:
        self.counters[f"{kind}s_rejected"] += 1
        return Posted(
            "rejected",
            error=RecordError(
                kind=kind,
                source=source,
                record=self._received,
                line=None,
                lead_id=None,
                field=None,
                code="malformed",
                message=f"expected a JSON object, got {type(raw).__name__}",
            ),
        )

    # --- time -------------------------------------------------------------------------------

    @property
    def leads_in_memory(self) -> int:
        """How many leads keep their typed history in memory (the open ones; see above)."""
        return len(self._open)

    @property
    def clock(self) -> datetime | None:
        """The instant the monitor last advanced to (kept in the store across restarts)."""
        return self.store.clock()

    def advance(
        self,
        now: datetime,
        *,
        deliver: bool = True,
        most: int | None = None,
        guard: AbstractContextManager[Any] | None = None,
    ) -> Advance:
        """Judge every lead whose moment has come by ``now``; queue and deliver what changed.

        Leads whose deadline came are judged first, then those that events woke, each group
        in the order their moments came, a batch of leads per transaction; each batch's
        notifications are queued in the order of their instants (a warning at 10:00 before a
        breach at 11:00, across leads) in the same transaction as the states they follow, and
        delivered before the next batch is judged.

        ``most``: judge at most this many event-woken leads now and leave the rest (oldest
        first) for the next advance, so that under a flood of events deadlines still leave on
        time. The default judges every lead: then every lead's state is its batch verdict
        as of ``now``.

        ``guard``: a lock the caller's other threads hold to use this monitor (the service's).
        It is taken while the monitor's state is read or written and let go while
        notifications are sent (see :meth:`deliver`), so a slow or unreachable receiver does
        not keep them waiting. One advance at a time still.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        # Beyond the supported dates every judgment fails, and a clock that never goes back
        # would stay there: refused before anything moves (DateRangeError, a ValueError).
        check_supported(now, "now")
        locked = guard if guard is not None else nullcontext()
        done = Advance(now)
        delivered = False
        with locked:
            clock = self.store.clock()
            if clock is not None and now < clock:
                raise ValueError(
                    f"the monitor's clock stands at {clock.isoformat()}; it does not go back "
                    f"to {now.isoformat()}"
                )
            due = self.store.due(now)
            stirred = self._stirred
            woken = [item for item in due if item[1] in stirred]
            due = [item for item in due if item[1] not in stirred]
        if most is not None and len(woken) > most:
            done.deferred = len(woken) - most
            woken = woken[:most]
        due += woken
        for start in range(0, len(due), _BATCH):
            with locked, self._transaction():
                found: list[Outgoing] = []
                for _, lead_id in due[start : start + _BATCH]:
                    found += self._judge(lead_id, now)
                    done.judged += 1
                found.sort(key=lambda o: (o.instant, o.payload["lead"], o.payload["kind"]))
                added = self.store.enqueue(found)
                self.counters["notifications_queued"] += added
                done.notifications += found
            if deliver and found:  # what is due leaves now, not after every lead is judged
                self.deliver(now, guard=guard)
                delivered = True
        with locked:
            with self.store.transaction():
                self.store.set_clock(now)
            self._forget_quiet(now)
            self.counters["evaluations"] += done.judged
        if deliver and not delivered:  # what waited from before (a receiver that was down)
            self.deliver(now, guard=guard)
        return done

    def deliver(self, now: datetime, *, guard: AbstractContextManager[Any] | None = None) -> int:
        """Send what waits in the outbox, in its order; returns how many were sent.

        A notification that fails holds back the later ones of its lead until it is delivered
        (or given up after ``max_attempts``), so a lead's warning never arrives after its
        breach, nor a correction before what it corrects; other leads' go on.

        ``guard`` as :meth:`advance`: held to read and mark the outbox, not while sending (a
        webhook that retries with backoff against a receiver that is down takes seconds per
        notification, and the service answered no request meanwhile).
        """
        if self.notifier is None:
            return 0
        locked = guard if guard is not None else nullcontext()
        sent = 0
        held: set[str] = set()  # leads with an undelivered notification in this round
        while True:
            with locked:
                batch = self.store.pending(100, self.max_attempts)
            if not batch:
                return sent
            progressed = False
            for item in batch:
                lead = str(item.payload.get("lead"))
                if lead in held:
                    continue
                try:
                    self.notifier.send(item.id, item.payload)
                except Exception as problem:  # a notifier's bug too (see below)
                    # NotifyError is the notifier's word for "not delivered"; any other error
                    # is a notifier's bug (a header it cannot build). It left this loop and
                    # failed the advance at the same notification every round, so nothing
                    # queued behind it was ever sent; it is a failed delivery instead.
                    held.add(lead)
                    reason = str(problem)
                    if not isinstance(problem, NotifyError):
                        reason = f"{type(problem).__name__}: {problem}"
                    with locked, self.store.transaction():
                        self.counters["notifications_failed"] += 1
                        self.store.mark_failed(item.id, reason)
                    continue
                with locked, self.store.transaction():
                    self.store.mark_sent(item.id, now)
                    self.counters["notifications_sent"] += 1
                    self.last_lag_seconds = max(0.0, (now - item.instant).total_seconds())
                progressed = True
                sent += 1
            if not progressed:
                return sent

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A store transaction; if it fails, memory forgets what it may hold beyond the store
        (open leads are read back from the store when next judged)."""
        try:
            with self.store.transaction():
                yield
        except BaseException:
            self._open.clear()
            self._quiet.clear()
            raise

    # --- one lead ---------------------------------------------------------------------------

    def _remember(self, lead_id: str, record: dict[str, Any]) -> None:
        """Keep a just-ingested lead's typed record in memory, with what the store holds of
        its events and notifications (usually nothing: the record comes first)."""
        entry = self._open.get(lead_id)
        if entry is not None:
            entry.record = record
            entry.changes += 1
            entry.projection = None
            self._open.move_to_end(lead_id)
            return
        snapshot = self.store.snapshot(lead_id) or {}
        self._open[lead_id] = _Lead(
            record,
            self._stored_events(lead_id),
            dict(snapshot.get("notified", {})),
            snapshot.get("state"),
        )
        while len(self._open) > self.max_open:
            self._open.popitem(last=False)

    def _forget_quiet(self, now: datetime) -> None:
        """Leads that have had nothing ahead for ``keep_quiet`` leave memory."""
        quiet = self._quiet
        while quiet:
            lead_id, since = next(iter(quiet.items()))
            if now - since < self.keep_quiet:
                return
            del quiet[lead_id]
            self._open.pop(lead_id, None)

    def _stored_events(self, lead_id: str) -> list[Event]:
        return [
            event
            for n, body in enumerate(self.store.events(lead_id), start=1)
            for event in [self._coercer.coerce(RawRecord("state", n, None, body))[0]]
            if event is not None
        ]

    def _history(self, lead_id: str) -> _Lead | None:
        """The lead's typed history: from memory while it is open, else from the store."""
        entry = self._open.get(lead_id)
        if entry is not None:
            self._open.move_to_end(lead_id)
            return entry
        raw = self.store.lead(lead_id)
        if raw is None:
            return None
        record, _ = self.compiled.lead_coercer.coerce(RawRecord("state", 1, None, raw))
        if record is None:  # stored after it was accepted: only a changed contract refuses it
            return None
        self._remember(lead_id, record)
        return self._open[lead_id]

    def _judge(self, lead_id: str, now: datetime) -> list[Outgoing]:
        self._stirred.discard(lead_id)
        lead = self._history(lead_id)
        if lead is None:
            self._without_record(lead_id)
            return []
        record = lead.record
        created = record.get(self.compiled.keys.created)
        if isinstance(created, datetime) and created > now:
            self.store.schedule(lead_id, created)
            return []
        used = [event for event in lead.events if event.at <= now]
        if any(event.fields for event in used):  # as batch does: events fill empty fields
            record, _ = self.compiled.lead_coercer.fill(record, used)
        verdict = self.compiled.verdict(record, used, now, trace=False)
        clocks = self._clocks(verdict)

        def project(at: datetime) -> Verdict:
            # Still good if nothing was posted since (time alone does not change the future
            # it shows), or if what was posted left the clocks as they were. It may reach
            # further than ``at`` now: more instants, never fewer; an early wake costs a look.
            if lead.projection is not None:
                changes, made_for, found = lead.projection
                if changes == lead.changes or made_for == clocks:
                    return found
            found = self.compiled.verdict(record, used, at, trace=False)
            lead.projection = (lead.changes, clocks, found)
            return found

        ahead = [event.at for event in lead.events if event.at > now]
        ahead += [value for value in record.values() if isinstance(value, datetime)]
        upcoming = next_instant(
            verdict, now, project, self._late_at(record), pending=ahead, thresholds=self._thresholds
        )
        self.store.schedule(lead_id, upcoming)
        notified = lead.notified
        outgoing: list[Outgoing] = []
        changed = False
        current = {h.key: h for h in self._happenings(verdict, used)}
        for key, happening in current.items():
            generation = notified.get(key, 0)
            if generation > 0:
                continue
            notified[key] = -generation + 1
            changed = True
            outgoing += self._route(_with_generation(happening, notified[key]), verdict)
        for key, generation in list(notified.items()):
            if generation <= 0 or key in current:
                continue
            notified[key] = -generation
            changed = True
            kind = NotificationKind(key.split("|", 1)[0])
            if kind in _WITHDRAWABLE:
                correction = Happening(
                    NotificationKind.CORRECTION,
                    lead_id,
                    now,
                    sla=key.split("|")[1] or None,
                    corrects=key,
                    generation=generation,
                )
                outgoing += self._route(correction, verdict)
        state = lead_state(verdict)
        if changed or state != lead.saved:
            lead.saved = state
            self.store.save_snapshot(
                lead_id, {"as_of": now.isoformat(), "state": state, "notified": notified}
            )
        self._quiet.pop(lead_id, None)
        if upcoming is None and verdict.stage.id in self._terminal:
            self._open.pop(lead_id, None)  # closed: its history leaves memory
        elif upcoming is None:
            self._quiet[lead_id] = now
        return outgoing

    def _without_record(self, lead_id: str) -> None:
        """A lead with no record to judge: none came yet (only events), or its stored record
        no longer reads under the contract (a changed contract made a field required). Batch
        makes the latter an error row, with no verdict, so the live state it had is no state
        any more (it was kept, and contradicted batch)."""
        self.store.schedule(lead_id, None)
        snapshot = self.store.snapshot(lead_id)
        if snapshot is not None and snapshot.get("state") is not None:
            self.store.save_snapshot(lead_id, {**snapshot, "state": None})

    def _clocks(self, verdict: Verdict) -> Hashable:
        """What a projection depends on: each clock's status, start, due time and the clock
        events so far (pauses and resumes among them), and the stage. Where no further event
        comes, equal clocks run on to equal warnings and breaches, so a projection made for
        them is still good after an event that changed none of them (a score, a page visit).
        With conditions on SLAs (selectors, trigger conditions) the score counts too."""
        clocks = tuple(
            (c.sla, c.status, c.start, c.due, tuple((e.kind, e.at) for e in c.events))
            for c in verdict.slas
        )
        if self._conditional:
            return (verdict.stage.id, verdict.score.total, clocks)
        return (verdict.stage.id, clocks)

    def _late_at(self, record: Mapping[str, Any]) -> Callable[[str, datetime], datetime | None]:
        """``late_at(sla, due)`` for this lead's clocks (see :func:`first_late_instant`)."""
        keys = self.compiled.keys
        zone = record.get(keys.timezone) if keys.timezone else None
        owner = record.get(keys.owner)
        owner_zone = self.compiled.rep_zones.get(owner) if isinstance(owner, str) else None

        def late_at(sla_id: str, due: datetime) -> datetime | None:
            return first_late_instant(
                self._slas[sla_id],
                due,
                zone=zone if isinstance(zone, str) else None,
                owner_zone=owner_zone,
            )

        return late_at

    def _route(self, happening: Happening, verdict: Verdict) -> list[Outgoing]:
        return [
            Outgoing(ident, happening.instant, payload)
            for ident, payload in route(
                happening, verdict, self.compiled.contract, link_template=self.link_template
            )
        ]

    def _happenings(self, verdict: Verdict, events: list[Event]) -> list[Happening]:
        lead_id = verdict.lead_id
        found: list[Happening] = []
        for clock in verdict.slas:
            for event in clock.events:
                if event.kind == "warn":
                    percent = int(event.note.split("%", 1)[0]) if "%" in event.note else None
                    found.append(
                        Happening(NotificationKind.WARNING, lead_id, event.at, clock.sla, percent)
                    )
                elif event.kind == "breach":
                    found.append(Happening(NotificationKind.BREACH, lead_id, event.at, clock.sla))
                elif event.kind == "escalate":
                    found.append(
                        Happening(
                            NotificationKind.ESCALATION,
                            lead_id,
                            event.at,
                            clock.sla,
                            target=event.target,
                        )
                    )
        handoff = verdict.handoff
        if handoff is not None and handoff.due and not handoff.done:
            reached = [c.at for c in verdict.stage.history if c.stage == handoff.stage and c.at]
            found.append(
                Happening(
                    NotificationKind.HANDOFF_DUE,
                    lead_id,
                    reached[0] if reached else verdict.as_of,
                    target=handoff.to,
                )
            )
        disqualification = verdict.disqualification
        if (
            disqualification is not None
            and self._reasons.get(disqualification.reason or "", False)
            and not any(e.type == "feedback" and e.at >= disqualification.at for e in events)
        ):
            found.append(Happening(NotificationKind.FEEDBACK_DUE, lead_id, disqualification.at))
        return found

    # --- out --------------------------------------------------------------------------------

    def verdict(self, lead_id: str, as_of: datetime | None = None) -> Verdict | RecordError | None:
        """The lead's verdict as of ``as_of`` (default: the monitor's clock), exactly as
        ``compiled.evaluate`` gives it on the stored record and events; None for a lead the
        monitor has no record of."""
        when = as_of or self.clock
        raw = self.store.lead(lead_id)
        if raw is None or when is None:
            return None
        run = self.compiled.evaluate([raw], self.store.events(lead_id), as_of=when)
        for item in run:
            if isinstance(item, Verdict) or item.kind == "lead":
                return item
        return None

    def state(self, lead_id: str) -> dict[str, Any] | None:
        """The lead's live state as the monitor last judged it (see :func:`lead_state`)."""
        snapshot = self.store.snapshot(lead_id)
        if snapshot is None or "state" not in snapshot:
            return None
        state: dict[str, Any] = snapshot["state"]
        return state

    def close(self) -> None:
        """Close the store and free the durable_rules ruleset."""
        self.rules.close()
        self.store.close()


def _with_generation(happening: Happening, generation: int) -> Happening:
    if generation == happening.generation:
        return happening
    return Happening(
        happening.kind,
        happening.lead_id,
        happening.instant,
        happening.sla,
        happening.percent,
        happening.target,
        happening.corrects,
        generation,
    )


def _event_id(raw: Mapping[str, Any]) -> str:
    """The event's own ``event_id``; else the CRM's id of the activity row it was mapped from
    (a Salesforce ``Id``, a HubSpot ``engagement.id``); else a digest of its content. The same
    event twice is one.

    A CRM sends an activity again when it is edited (a Task's status or subject, its
    modification stamp): the content differed, so one call counted as two attempts live,
    where an export holds the Task once. By the row's id, its first version is the event.
    """
    given = raw.get("event_id")
    if isinstance(given, str | int) and str(given):
        return f"id:{given}"
    row = raw.get("Id")
    if isinstance(row, str) and row:
        return f"salesforce:{row}"
    engagement = raw.get("engagement")
    row = engagement.get("id") if isinstance(engagement, Mapping) else None
    if isinstance(row, str | int) and not isinstance(row, bool) and str(row):
        return f"hubspot:{row}"
    body = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return "sha:" + hashlib.sha256(body.encode()).hexdigest()[:32]
