"""Compile a contract once; evaluate lead records and events against it lazily.

``compile_contract(contract).evaluate(leads, events, as_of=...)`` yields one :class:`Verdict` per
valid lead record and one :class:`RecordError` per record that could not be used, in input
order, and keeps a :class:`RunCounts` that always reconciles: records in = verdicts + error
rows + leads not yet created at ``as_of`` (``not_yet``: no verdict and no error, since they did
not exist then) + leads left out by ``only``. Time is an input: nothing here reads the wall
clock.

Memory: with ``grouped=True`` the leads and the events must both be sorted by lead id (text
order); they are then merged as streams and memory stays flat however many leads there are.
Without it, every event is read and held (bucketed by lead) before the first lead is
evaluated, so memory grows with the number of events, not of leads.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from operator import attrgetter
from pathlib import Path
from typing import Any, Final, Literal, get_args
from zoneinfo import ZoneInfo

from leadcontract._version import __version__
from leadcontract.audit import contract_digest
from leadcontract.calendar import BusinessCalendar, check_supported
from leadcontract.capacity import CapacityPlan, plan_capacity, plan_capacity_sorted
from leadcontract.drift import DataDrift, known_event_types
from leadcontract.errors import LeadcontractError
from leadcontract.inputs import (
    Event,
    EventCoercer,
    LeadCoercer,
    RawRecord,
    RecordError,
    rows_from,
)
from leadcontract.model import Contract
from leadcontract.presets import resolve_mappings
from leadcontract.rules.conditions import (
    CompiledCondition,
    ConditionIssue,
    check_condition,
    compile_condition,
    parse_condition,
    references,
)
from leadcontract.rules.handoff import CompiledHandoffs
from leadcontract.rules.lifecycle import CompiledLifecycle
from leadcontract.rules.scoring import (
    CompiledScoring,
    EngagementTimes,
    EventIndex,
    facts_from_leaves,
)
from leadcontract.rules.spiffs import CompiledSpiffs
from leadcontract.safe_text import shortened
from leadcontract.scopes import ScopeKind, build_scope, condition_sites
from leadcontract.sla import CompiledSla, LeadContext, build_calendar
from leadcontract.verdict import (
    ClockEventKind,
    ContractRef,
    Fact,
    Score,
    SlaVerdict,
    TraceStep,
    Verdict,
)

__all__ = [
    "CompiledContract",
    "ContractError",
    "Evaluation",
    "InputOrderError",
    "ReadRows",
    "RunCounts",
    "compile_contract",
]


@dataclass(frozen=True)
class ReadRows:
    """Rows already read from their files, keeping each one's source, ordinal and line (so
    error rows name the real place): e.g. one partition of a file (see parallel.py)."""

    rows: Iterable[RawRecord | RecordError]


Source = str | Path | ReadRows | Iterable[Mapping[str, Any]] | Any
"""A file (CSV, JSON Lines, JSON, Parquet, Arrow), rows read from one, a DataFrame, a DB-API
cursor or an iterable of mappings (see :func:`leadcontract.inputs.rows_from`)."""


class ContractError(LeadcontractError, ValueError):
    """The contract cannot be compiled (lint it first: the diagnostics say why)."""

    def __init__(self, issues: Sequence[str]) -> None:
        self.issues = tuple(issues)
        super().__init__("the contract does not compile: " + "; ".join(self.issues))


class RecordRejectedError(LeadcontractError):
    """:meth:`CompiledContract.evaluate_lead` could not give a verdict without dropping input:
    ``errors`` holds the error rows (the record's and the events') that say why."""

    def __init__(self, errors: Sequence[RecordError]) -> None:
        self.errors = tuple(errors)
        reasons = "; ".join(error.message for error in self.errors[:3])
        more = f" (and {len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        super().__init__(f"the lead was not evaluated: {reasons or 'not created yet'}{more}")


class InputOrderError(LeadcontractError, ValueError):
    """``grouped=True`` was promised, but the input is not sorted by lead id."""


@dataclass
class RunCounts:
    """How many records went in and where each one came out."""

    leads_read: int = 0
    verdicts: int = 0
    lead_errors: int = 0
    skipped: int = 0
    not_yet: int = 0
    """Leads created after ``as_of``: they did not exist then, so no verdict and no error."""
    duplicate_leads: int = 0
    events_read: int = 0
    events_used: int = 0
    events_after_as_of: int = 0
    events_unknown_lead: int = 0
    events_of_error_rows: int = 0
    events_of_skipped_leads: int = 0
    events_of_not_yet_leads: int = 0
    event_errors: int = 0
    events_unmapped: int = 0
    """Activity rows that no event mapping of the contract matches (used for nothing)."""
    lead_warnings: int = 0
    """Verdicts that carry a warning (a value left empty by ``on_invalid: empty``)."""

    @property
    def reconciles(self) -> bool:
        """Every lead and every event is accounted for exactly once."""
        leads = self.leads_read == self.verdicts + self.skipped + self.not_yet + self.lead_errors
        events = self.events_read == (
            self.events_used
            + self.events_after_as_of
            + self.events_unknown_lead
            + self.events_of_error_rows
            + self.events_of_skipped_leads
            + self.events_of_not_yet_leads
            + self.event_errors
            + self.events_unmapped
        )
        return leads and events

    def to_dict(self) -> dict[str, int | bool]:
        return {**self.__dict__, "reconciles": self.reconciles}


def compile_contract(contract: Contract) -> CompiledContract:
    """Prepare a contract for evaluation: conditions become closures, lookups are built.

    Raises :class:`ContractError` when the contract does not compile (``lint`` says why) and
    :class:`TypeError` when given something that is not a :class:`Contract`.
    """
    if not isinstance(contract, Contract):
        hint = (
            " (use its .contract, after checking that it passed)"
            if hasattr(contract, "contract")
            else ""
        )
        raise TypeError(f"compile_contract takes a Contract, not {type(contract).__name__}{hint}")
    return CompiledContract(contract)


class CompiledContract:
    """A contract ready to evaluate many leads."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.ref = ContractRef(
            contract.metadata.id, contract.metadata.version, contract_digest(contract)
        )
        self.zone: tzinfo = ZoneInfo(contract.metadata.timezone)
        compiled, problems = self._compile_conditions(contract)
        if problems:
            raise ContractError(problems)
        lead = contract.lead
        self.keys = lead.keys
        self.scoring = CompiledScoring(
            lead.scoring,
            [
                (rule, compiled[f"/lead/scoring/fit/rules/{i}/when"])
                for i, rule in enumerate(lead.scoring.fit.rules)
            ],
        )
        stage_conditions = {
            stage.id: compiled[f"/lead/lifecycle/stages/{i}/when"]
            for i, stage in enumerate(lead.lifecycle.stages)
            if stage.when is not None
        }
        read = set().union(*(references(c.condition) for c in compiled.values()))
        self.event_counts = sorted(
            (name, name.removeprefix("events.")) for name in read if name.startswith("events.")
        )
        watched = self.scoring.event_types | {kind for _, kind in self.event_counts}
        self.lifecycle = CompiledLifecycle(
            lead.lifecycle,
            stage_conditions,
            lead.disqualification.reasons,
            frozenset(watched),
            _varies,
        )
        self.buyer_stages = [
            (buyer.id, compiled[f"/lead/buyer_stages/{i}/when"], f"/lead/buyer_stages/{i}/when")
            for i, buyer in enumerate(lead.buyer_stages)
        ]
        self._buyer_stages_traced = [
            (buyer_id, condition.explainer(Fact), f"buyer_stage.{buyer_id}", pointer)
            for buyer_id, condition, pointer in self.buyer_stages
        ]
        """The buyer stages for traced runs: the explainer making trace facts, the step's
        name."""
        self.handoffs = CompiledHandoffs(contract)
        calendars = self._build_calendars(contract)
        self.slas = [
            CompiledSla(sla_id, sla, contract, compiled, calendars)
            for sla_id, sla in contract.slas.items()
        ]
        self.spiffs = CompiledSpiffs(contract, compiled) if contract.spiffs else None
        self.rep_zones = {
            rep_id: rep.timezone for rep_id, rep in contract.reps.items() if rep.timezone
        }
        self.mappings = resolve_mappings(contract)
        if self.mappings.unknown_presets:
            raise ContractError(
                [f"/mappings/extends: no preset {n!r}" for n in self.mappings.unknown_presets]
            )
        self.lead_coercer = LeadCoercer(lead, default_tz=self.zone, sources=self.mappings.sources)
        self.event_coercer = EventCoercer(default_tz=self.zone, mappings=self.mappings.events)
        self.known_event_types = known_event_types(contract, self.mappings.events)
        tested = (
            column
            for mapping in self.mappings.events
            for column, wanted in mapping.when.items()
            if wanted != "*"
        )
        self.kind_columns = tuple(dict.fromkeys((*_KIND_COLUMNS, *tested)))
        """The columns that tell what an activity row is, for the drift of a row no mapping
        matches: the CRMs' type columns, then those the event mappings test (a report's
        "Task Subtype")."""

    @staticmethod
    def _build_calendars(contract: Contract) -> dict[str, BusinessCalendar]:
        """Every calendar, or a ContractError naming each one the calendar refuses (lint
        reports these first: LC802, LC803, LC804, LC806)."""
        calendars: dict[str, BusinessCalendar] = {}
        problems: list[str] = []
        for name, calendar in contract.calendars.items():
            try:
                calendars[name] = build_calendar(calendar)
            except ValueError as error:
                problems.append(f"/calendars/{name}: {error}")
        if problems:
            raise ContractError(problems)
        return calendars

    @staticmethod
    def _compile_conditions(
        contract: Contract,
    ) -> tuple[dict[str, CompiledCondition], list[str]]:
        zone = ZoneInfo(contract.metadata.timezone)
        scopes = {kind: build_scope(contract, kind) for kind in ScopeKind}
        compiled: dict[str, CompiledCondition] = {}
        problems: list[str] = []
        for site in condition_sites(contract):
            condition, issues = parse_condition(site.source)
            found: list[ConditionIssue] = list(issues)
            if condition is not None:
                found += check_condition(condition, scopes[site.kind], default_tz=zone)
            if found or condition is None:
                problems += [f"{site.pointer}{i.pointer}: {i.message}" for i in found]
                continue
            compiled[site.pointer] = compile_condition(
                condition, scopes[site.kind], default_tz=zone
            )
        return compiled, problems

    def evaluate(
        self,
        leads: Source,
        events: Source = (),
        *,
        as_of: datetime,
        trace: bool = True,
        grouped: bool = False,
        only: Iterable[str] | None = None,
        capacity: CapacityPlan | None = None,
    ) -> Evaluation:
        """Evaluate every lead as of ``as_of`` (an aware datetime). Lazy: iterate the result.

        ``only`` restricts the verdicts to these lead ids (the others are still read and
        counted as ``skipped``, so the counts reconcile). ``capacity`` (from
        :meth:`plan_capacity`) lets SLA breaches of overflow leads be excused.
        """
        if as_of.tzinfo is None:
            raise ValueError("as_of must be timezone-aware (e.g. 2026-11-16T17:00:00+00:00)")
        check_supported(as_of, "as_of")
        overflow = capacity.overflow if capacity is not None else frozenset()
        return Evaluation(self, leads, events, as_of, trace, grouped, only, overflow)

    def evaluate_lead(
        self,
        record: Mapping[str, Any],
        events: Iterable[Mapping[str, Any]] = (),
        *,
        as_of: datetime,
        trace: bool = True,
    ) -> Verdict:
        """The verdict for one raw lead record and its raw events: the webhook case.

        The record and events go through the same reading, coercion and checks as a batch
        run. Nothing is dropped quietly: if the record or any event would be an error row,
        :class:`RecordRejectedError` is raised carrying every error row; a lead not yet created
        at ``as_of`` is rejected too. Capacity overflow is a cross-lead figure and is not
        applied here.
        """
        if not isinstance(record, Mapping):
            raise TypeError(f"a lead record is a mapping, not {type(record).__name__}")
        verdicts, errors = self.evaluate([record], events, as_of=as_of, trace=trace).split()
        if errors or len(verdicts) != 1:
            raise RecordRejectedError(errors)
        return verdicts[0]

    def plan_capacity(
        self, leads: Source, *, sorted_by_id: bool = False, scratch: Path | None = None
    ) -> CapacityPlan:
        """Rank each campaign-week's leads against its declared capacity (a pass of its own
        over the leads, so they must be re-readable: a file, or a list).

        ``sorted_by_id`` (for a ``grouped`` run) keeps memory flat: the plan then answers for
        leads in id order only, and :class:`InputOrderError` says when they are not sorted.
        Its ranked entries wait in a temporary file in ``scratch`` (None: the system's
        temporary folder).
        """
        if not any(c.capacity for c in self.contract.campaigns.values()):
            return CapacityPlan((), frozenset())
        records = (
            record
            for row in _rows(leads, "lead")
            if isinstance(row, RawRecord)
            for record in [self.lead_coercer.coerce(row)[0]]
            if record is not None
        )
        if not sorted_by_id:
            return plan_capacity(self.contract, self.zone, records)
        try:
            return plan_capacity_sorted(self.contract, self.zone, records, scratch=scratch)
        except ValueError as error:
            raise InputOrderError(f"{_label(leads)}: {error}") from None

    # --- one lead ---------------------------------------------------------------------------

    def verdict(
        self,
        record: Mapping[str, Any],
        events: Sequence[Event],
        as_of: datetime,
        *,
        trace: bool = True,
        overflow: bool = False,
        warnings: tuple[str, ...] = (),
    ) -> Verdict:
        """The verdict for one *coerced* lead record and its :class:`Event` objects (all up to
        ``as_of``): the engine's inner step. For raw records and events use
        :meth:`evaluate_lead` (one lead) or :meth:`evaluate`.

        ``overflow`` marks a lead beyond its campaign's weekly capacity (see capacity.py);
        ``warnings`` are the verdict's (what reading the lead found).
        """
        _require_coerced(events)
        steps: list[TraceStep] | None = [] if trace else None
        keys = self.keys
        ordered = sorted(events, key=_event_order)
        index = EventIndex(ordered)
        scoring = self.scoring
        times = scoring.times(index)
        score = scoring.score(record, times, as_of, steps)
        facts_at = _FactsAt(
            record, scoring, times, index, score=score, as_of=as_of, event_counts=self.event_counts
        )
        created = record.get(keys.created)
        outcome = self.lifecycle.replay(
            created, ordered, as_of, facts_at, steps, fixed=facts_at.facts
        )
        final = facts_at(as_of)
        buyer_stage = self._buyer_stage(final, steps)
        campaign = record.get(keys.campaign)
        handoff = self.handoffs.judge(
            campaign, record, reached=outcome.reached, events=index, created=created, steps=steps
        )
        disqualification = outcome.disqualification
        owner = record.get(keys.owner)
        touches = index.by_type.get("touch", [])
        slas: tuple[SlaVerdict, ...] = ()
        if self.slas:
            final["stage"] = outcome.stage.id
            zone = record.get(keys.timezone) if keys.timezone else None
            lead = LeadContext(
                record=record,
                facts=final,
                events=index,
                reached=outcome.reached,
                campaign=campaign,
                handoff=handoff,
                zone=zone if isinstance(zone, str) else None,
                owner_zone=self.rep_zones.get(owner) if isinstance(owner, str) else None,
                overflow=overflow,
            )
            slas = tuple(sla.judge(lead, as_of) for sla in self.slas)
            if steps is not None:
                steps.extend(_sla_step(clock) for clock in slas)
        if steps is not None and disqualification is not None:
            steps.append(
                TraceStep(
                    "disqualification",
                    "/lead/disqualification/reasons",
                    "valid" if disqualification.valid else "not valid",
                    (
                        Fact(
                            "reason",
                            disqualification.reason,
                            "an allowed reason",
                            "allowed",
                            disqualification.reason_allowed,
                        ),
                        Fact(
                            "note",
                            disqualification.note_present,
                            disqualification.note_required,
                            "required" if disqualification.note_required else "optional",
                            disqualification.note_present or not disqualification.note_required,
                        ),
                    ),
                )
            )
        # Positional, in the fields' order: keywords cost the generated __init__ of this
        # 18-field frozen dataclass twice as much, once per lead (mypy checks every type).
        verdict = Verdict(
            str(record.get(keys.id)),  # lead_id
            self.ref,  # contract
            as_of,
            __version__,  # library_version
            outcome.stage,  # stage
            score,
            buyer_stage,
            campaign,
            owner if isinstance(owner, str) else None,  # owner
            len(touches),  # touches
            touches[0].at if touches else None,  # first_touch_at
            tuple(dict.fromkeys(t.actor for t in touches if t.actor is not None)),  # touched_by
            handoff,
            disqualification,
            slas,
            (),  # spiffs
            tuple(steps) if steps is not None else (),  # trace
            warnings,
        )
        if self.spiffs is None:
            return verdict
        decisions = self.spiffs.judge(verdict, ordered, record=record, in_order=True)
        if not decisions:  # no spiff covers the lead's campaign: nothing to add
            return verdict
        if steps is not None:
            steps.extend(
                TraceStep(
                    f"spiff.{d.spiff}",
                    f"/spiffs/{d.spiff}",
                    "earned" if d.eligible else "not earned",
                    facts_from_leaves(d.leaves),
                    d.why,
                )
                for d in decisions
            )
        # The spiffs judge the verdict as it stands; the one returned carries their decisions
        # (built anew, field by field: dataclasses.replace would look the fields up again).
        return Verdict(
            verdict.lead_id,
            self.ref,
            as_of,
            __version__,
            outcome.stage,
            score,
            buyer_stage,
            campaign,
            verdict.owner,
            verdict.touches,
            verdict.first_touch_at,
            verdict.touched_by,
            handoff,
            disqualification,
            slas,
            decisions,  # spiffs
            tuple(steps) if steps is not None else (),  # trace
            warnings,
        )

    def _buyer_stage(self, facts: Mapping[str, Any], steps: list[TraceStep] | None) -> str | None:
        """The last buyer stage whose condition holds (with a trace, every one is checked and
        shown; without, they are checked from the last and the first that holds answers)."""
        if steps is None:
            for buyer_id, condition, _ in reversed(self.buyer_stages):
                if condition.predicate(facts):
                    return buyer_id
            return None
        buyer_stage = None
        for buyer_id, explain, step, pointer in self._buyer_stages_traced:
            held, explained = explain(facts)
            steps.append(TraceStep(step, pointer, "holds" if held else "does not hold", explained))
            if held:
                buyer_stage = buyer_id
        return buyer_stage


class _FactsAt:
    """The facts stage criteria read at an instant: the record, the scores then and the event
    counts then.

    One dict, updated in place: each caller reads it before the next update. The replay asks
    again at the same instant (after each event at it, then at ``as_of``), so the dict is only
    recomputed when the instant changes; ``as_of``'s engagement comes from the score. Only
    the facts :func:`_varies` names change; the others (the record and the fit score) are set
    once, so the replay can pre-check criteria on them (``facts`` before any call).
    """

    __slots__ = ("_as_of", "_counted", "_fit", "_last", "_score", "_scoring", "_times", "facts")

    def __init__(
        self,
        record: Mapping[str, Any],
        scoring: CompiledScoring,
        times: EngagementTimes,
        index: EventIndex,
        *,
        score: Score,
        as_of: datetime,
        event_counts: Sequence[tuple[str, str]],
    ) -> None:
        facts: dict[str, Any] = dict(record)
        self.facts = facts
        self._fit = facts["fit_score"] = score.fit
        self._scoring = scoring
        self._times = times
        self._score = score
        self._as_of = as_of
        self._counted: list[tuple[str, list[datetime]]] = []
        """Each count the conditions read of a type the lead has events of, with their times;
        the counts of the other types are 0 at every instant."""
        for name, kind in event_counts:
            if kind in index.by_type:
                self._counted.append((name, index.instants(kind)))
            else:
                facts[name] = 0
        self._last: datetime | None = None

    def __call__(self, at: datetime) -> dict[str, Any]:
        last = self._last
        if last is not None and at == last and at.tzinfo is last.tzinfo and at.fold == last.fold:
            return self.facts
        self._last = at
        if at is self._as_of:
            engagement = self._score.engagement
        else:
            engagement = self._scoring.engagement_at(self._times, at.timestamp())
        facts = self.facts
        facts["engagement_score"] = engagement
        facts["score"] = round(self._fit + engagement, 2)
        for name, at_times in self._counted:
            facts[name] = bisect_right(at_times, at)
        return facts


def _varies(name: str) -> bool:
    """Whether a fact changes between the instants of one lead's replay (see _FactsAt)."""
    return name in _VARYING or name.startswith("events.")


_VARYING = frozenset({"score", "engagement_score"})


def _require_coerced(events: Sequence[Event]) -> None:
    for event in events:  # a loop, not any() over a generator: one check per event, no frames
        if not isinstance(event, Event):
            raise TypeError(
                "verdict() takes coerced Event objects; pass raw events to evaluate_lead()"
            )


def _sla_step(clock: SlaVerdict) -> TraceStep:
    """An SLA verdict as a trace step: its clock events are the facts."""
    facts = tuple(
        [
            Fact(_CLOCK_FACTS[event.kind], event.at, event.target, "", None, event.note)
            for event in clock.events
        ]
    )
    return TraceStep(f"sla.{clock.sla}", f"/slas/{clock.sla}", clock.status, facts, clock.evidence)


_CLOCK_FACTS: dict[str, str] = {kind: f"clock.{kind}" for kind in get_args(ClockEventKind)}
"""The trace fact's name of each kind of clock event."""


_event_order = attrgetter("at", "seq")
"""Events in time order, input order breaking ties (a C-level key: one call per event)."""


def _label(source: Source) -> str:
    return str(source) if isinstance(source, str | Path) else "leads"


def _rows(source: Source, kind: Literal["lead", "event"]) -> Iterator[RawRecord | RecordError]:
    if isinstance(source, ReadRows):
        return iter(source.rows)
    return rows_from(source, kind=kind)


@dataclass
class Evaluation:
    """A lazy evaluation run: iterate it for verdicts and error rows; then read ``counts``."""

    compiled: CompiledContract
    leads: Source
    events: Source
    as_of: datetime
    trace: bool
    grouped: bool
    only: Iterable[str] | None
    overflow: Container[str] = frozenset()
    counts: RunCounts = field(default_factory=RunCounts)
    drift: DataDrift = field(default_factory=DataDrift)
    """Input that does not match the contract, counted as the run streams."""
    _started: bool = False
    _event_row: RawRecord | None = field(default=None, repr=False)
    """The event row read last: where a grouped run's out-of-order event stands."""

    def split(self) -> tuple[list[Verdict], list[RecordError]]:
        """Run the evaluation to the end: the verdicts and the error rows, each in input order.
        (Iterating gives them interleaved, lazily, for streaming.)"""
        verdicts: list[Verdict] = []
        errors: list[RecordError] = []
        for item in self:
            (verdicts if isinstance(item, Verdict) else errors).append(item)  # type: ignore[arg-type]
        return verdicts, errors

    def __iter__(self) -> Iterator[Verdict | RecordError]:
        if self._started:
            raise RuntimeError("an evaluation can be iterated once")
        self._started = True
        wanted = frozenset(self.only) if self.only is not None else None
        if self.grouped:
            yield from self._merged(wanted)
        else:
            yield from self._buffered(wanted)

    # Leads in input order, events held in memory by lead.
    def _buffered(self, wanted: frozenset[str] | None) -> Iterator[Verdict | RecordError]:
        by_lead: dict[str, list[Event]] = {}
        for item in self._events():
            if isinstance(item, RecordError):
                yield item
                continue
            bucket = by_lead.get(item.lead_id)  # not setdefault: no new list per event
            if bucket is None:
                by_lead[item.lead_id] = [item]
            else:
                bucket.append(item)
        seen: set[str] = set()
        errored: set[str] = set()
        not_yet: set[str] = set()
        for record_or_error in self._leads():
            if isinstance(record_or_error, RecordError):
                if record_or_error.lead_id is not None:
                    errored.add(record_or_error.lead_id)
                yield record_or_error
                continue
            raw, record, warnings = record_or_error
            lead_id = str(record[self.compiled.keys.id])
            if lead_id in seen:
                yield self._duplicate(raw, lead_id)
                continue
            if self._not_yet(lead_id, record, wanted):
                # Not a claim on the id: a later record with it (one that existed) is judged.
                not_yet.add(lead_id)
                continue
            seen.add(lead_id)
            yield from self._judge(lead_id, record, by_lead.pop(lead_id, []), wanted, warnings)
        for lead_id, left in by_lead.items():
            if lead_id in not_yet:
                self.counts.events_of_not_yet_leads += len(left)
            elif lead_id in errored:
                self.counts.events_of_error_rows += len(left)
            else:
                self.counts.events_unknown_lead += len(left)

    # Leads and events both sorted by lead id, merged as streams.
    def _merged(self, wanted: frozenset[str] | None) -> Iterator[Verdict | RecordError]:
        events = _Lookahead(self._events(), self._event_place)
        previous: str | None = None
        claimed: str | None = None
        for record_or_error in self._leads():
            if isinstance(record_or_error, RecordError):
                # Its events wait: a valid record with the same id may follow (as in
                # buffered mode, the first valid record of an id gets its events).
                lead_id = record_or_error.lead_id
                if lead_id is not None:
                    # Held to the order too: the events before an id are drained as it
                    # passes, so one out of order took the events of the leads after it.
                    _in_order(record_or_error.source, record_or_error.record, lead_id, previous)
                    previous = lead_id
                    yield from events.drain_below(lead_id, self.counts)
                    events.errored = lead_id
                yield from events.errors()
                yield record_or_error
                continue
            raw, record, warnings = record_or_error
            lead_id = str(record[self.compiled.keys.id])
            _in_order(raw.source, raw.record, lead_id, previous)
            previous = lead_id
            if lead_id == claimed:
                yield self._duplicate(raw, lead_id)
                continue
            yield from events.drain_below(lead_id, self.counts)
            if self._not_yet(lead_id, record, wanted):
                events.not_yet = lead_id  # its events wait, as for an error row
                yield from events.errors()
                continue
            claimed = lead_id
            mine = events.take(lead_id)
            if events.errored == lead_id:
                events.errored = None
            if events.not_yet == lead_id:
                events.not_yet = None
            yield from events.errors()
            yield from self._judge(lead_id, record, mine, wanted, warnings)
        yield from events.drain_below(None, self.counts)

    def _judge(
        self,
        lead_id: str,
        record: dict[str, Any],
        events: list[Event],
        wanted: frozenset[str] | None,
        warnings: tuple[str, ...] = (),
    ) -> Iterator[Verdict | RecordError]:
        as_of = self.as_of
        if wanted is not None and lead_id not in wanted:
            self.counts.skipped += 1
            self.counts.events_of_skipped_leads += len(events)
            return
        used = [e for e in events if e.at <= as_of]
        self.counts.events_after_as_of += len(events) - len(used)
        self.counts.events_used += len(used)
        self.counts.verdicts += 1
        for event in used:  # a loop, not any() over a generator
            if event.fields:
                record, filled = self.compiled.lead_coercer.fill(record, used)
                warnings += filled
                break
        warnings += self._observe(record, used)
        if warnings:
            self.counts.lead_warnings += 1
        yield self.compiled.verdict(
            record,
            used,
            as_of,
            trace=self.trace,
            overflow=lead_id in self.overflow,
            warnings=warnings,
        )

    def _observe(self, record: Mapping[str, Any], events: list[Event]) -> tuple[str, ...]:
        """Count the drift one lead shows (its campaign, owner and reps, as its verdict will
        carry them); its warnings name the lead's own."""
        contract = self.compiled.contract
        keys = self.compiled.keys
        warnings: list[str] = []
        campaign = record.get(keys.campaign)
        if campaign is not None and campaign not in contract.campaigns:
            self.drift.add("unknown-campaign", campaign)
            warnings.append(f"campaign `{campaign}` is not in the contract")
        if contract.reps:
            owner = record.get(keys.owner)
            if isinstance(owner, str) and owner not in contract.reps:
                self.drift.add("unknown-rep", owner)
                warnings.append(f"owner `{owner}` is not a rep of the contract")
            actors = {e.actor for e in events if e.actor is not None and e.type in _REP_WORK}
            for actor in actors.difference(contract.reps):
                self.drift.add("unknown-rep", actor)
        return tuple(warnings)

    def _not_yet(
        self, lead_id: str, record: Mapping[str, Any], wanted: frozenset[str] | None
    ) -> bool:
        """Whether the lead was created after ``as_of`` (and so is counted ``not_yet``).

        Such a lead did not exist at ``as_of``: it is neither judged nor an error, and it does
        not claim its id, so a later record with the same id is not a duplicate. Leads left
        out by ``only`` are skipped, not counted here.
        """
        if wanted is not None and lead_id not in wanted:
            return False
        created = record.get(self.compiled.keys.created)
        if isinstance(created, datetime) and created > self.as_of:
            self.counts.not_yet += 1
            return True
        return False

    def _duplicate(self, raw: RawRecord, lead_id: str) -> RecordError:
        self.counts.lead_errors += 1
        self.counts.duplicate_leads += 1
        return RecordError(
            kind="lead",
            source=raw.source,
            record=raw.record,
            line=raw.line,
            lead_id=lead_id,
            field=self.compiled.keys.id,
            code="duplicate-id",
            message=f"lead id `{lead_id}` appears more than once; the first record is used",
        )

    def _leads(self) -> Iterator[RecordError | tuple[RawRecord, dict[str, Any], tuple[str, ...]]]:
        coercer = self.compiled.lead_coercer
        ignored = self.compiled.mappings.ignore_columns
        unread_by_keys: dict[tuple[Any, ...], tuple[str, ...]] = {}
        for row in _rows(self.leads, "lead"):
            self.counts.leads_read += 1
            if isinstance(row, RecordError):
                self.counts.lead_errors += 1
                yield row
                continue
            keys = tuple(row.data)
            unread = unread_by_keys.get(keys)
            if unread is None:
                unread = coercer.unread(keys, ignored)
                if len(unread_by_keys) < 512:
                    unread_by_keys[keys] = unread
            for column in unread:
                self.drift.add("unmapped-column", column)
            record, errors = coercer.coerce(row)
            if record is not None and not errors:  # the usual case, without the loops below
                yield row, record, ()
                continue
            for error in (e for first in errors for e in (first, *first.also)):
                if error.code == "not-allowed" or record is not None:
                    self.drift.add("value-not-allowed", f"{error.field}={error.observed}")
            if record is None:
                self.counts.lead_errors += 1
                yield RecordError.of_record(errors)
                continue
            yield row, record, tuple(error.message for error in errors)

    def _event_place(self) -> str:
        row = self._event_row
        return "" if row is None else f"{row.source}: record {row.record}: "

    def _events(self) -> Iterator[Event | RecordError]:
        coercer = self.compiled.event_coercer
        known = self.compiled.known_event_types
        for row in _rows(self.events, "event"):
            self.counts.events_read += 1
            if isinstance(row, RecordError):
                self.counts.event_errors += 1
                yield row
                continue
            self._event_row = row
            event, errors = coercer.coerce(row)
            if event is None:
                if not errors:  # no event mapping matches the row
                    self.counts.events_unmapped += 1
                    self.drift.add("unmapped-event", _row_kind(row, self.compiled.kind_columns))
                    continue
                self.counts.event_errors += 1
                yield RecordError.of_record(errors)
                continue
            if event.type not in known:
                self.drift.add("unknown-event-type", event.type)
            yield event


def _in_order(source: str, record: int, lead_id: str, previous: str | None) -> None:
    """Raise :class:`InputOrderError` when a grouped run's lead comes before the one read
    last (an error row's id included)."""
    if previous is not None and lead_id < previous:
        raise InputOrderError(
            f"{source}: record {record}: lead `{shortened(lead_id)}` comes after "
            f"`{shortened(previous)}`; grouped evaluation needs leads sorted by id"
        )


_REP_WORK = frozenset({"touch", "meeting"})
"""Events a rep's own work makes: an actor of one that is no rep is drift (a handoff by
`marketing-ops` is not)."""


_KIND_COLUMNS: Final = ("TaskSubtype", "Type", "engagement.type", "type", "Field")
"""The type-like columns of the CRMs' activity exports, first in each."""


def _row_kind(row: RawRecord, columns: Sequence[str] = _KIND_COLUMNS) -> str:
    """How an unmapped activity row is counted: by the first of its type-like ``columns``
    that holds a value."""
    for column in columns:
        value = row.data.get(column)
        if isinstance(value, str) and value.strip():
            return f"{column}={value.strip()}"
    engagement = row.data.get("engagement")
    if isinstance(engagement, Mapping) and isinstance(engagement.get("type"), str):
        return f"engagement.type={engagement['type']}"
    return "(no type column)"


class _Lookahead:
    """A sorted event stream, consumed lead by lead."""

    def __init__(self, items: Iterator[Event | RecordError], place: Callable[[], str]) -> None:
        self._items = items
        self._place = place
        """Where the event just read stands (``FILE: record N: ``), for an order error."""
        self._next: Event | None = None
        self._pending_errors: list[RecordError] = []
        self._last: str | None = None
        self._done = False
        self.errored: str | None = None
        """The id of the latest lead that was an error row, until a valid record claims it."""
        self.not_yet: str | None = None
        """The id of the latest lead created after as-of, until a valid record claims it."""
        self._advance()

    def _advance(self) -> None:
        self._next = None
        for item in self._items:
            if isinstance(item, RecordError):
                self._pending_errors.append(item)
                continue
            if self._last is not None and item.lead_id < self._last:
                raise InputOrderError(
                    f"{self._place()}event for lead `{shortened(item.lead_id)}` comes after "
                    f"events for `{shortened(self._last)}`; "
                    "grouped evaluation needs events sorted by lead id"
                )
            self._last = item.lead_id
            self._next = item
            return
        self._done = True

    def errors(self) -> Iterator[RecordError]:
        pending, self._pending_errors = self._pending_errors, []
        yield from pending

    def drain_below(self, lead_id: str | None, counts: RunCounts) -> Iterator[RecordError]:
        """Count events for leads before ``lead_id`` (all when None): unknown leads, or leads
        whose only records were error rows or not yet created."""
        while self._next is not None and (lead_id is None or self._next.lead_id < lead_id):
            if self._next.lead_id == self.not_yet:
                counts.events_of_not_yet_leads += 1
            elif self._next.lead_id == self.errored:
                counts.events_of_error_rows += 1
            else:
                counts.events_unknown_lead += 1
            self._advance()
        yield from self.errors()

    def take(self, lead_id: str) -> list[Event]:
        taken: list[Event] = []
        while self._next is not None and self._next.lead_id == lead_id:
            taken.append(self._next)
            self._advance()
        return taken
