"""The lifecycle: which stage a lead is in, replayed from its creation through its events.

Order of evaluation (documented in docs/evaluation.md):

1. A lead starts in the first stage when it is created.
2. Its events (up to ``as_of``) are replayed in time order (input order breaks ties). An event
   that is a stage's entry event (``on:``, or the default of the stage's role: accepted → SAL,
   qualified → SQL, ...) moves the lead there. A move the stage graph does not allow is still
   made (the CRM is the record of what happened) and noted as an anomaly.
3. A ``disqualified`` event moves the lead to the disqualified stage and, when its reason
   recycles and the reason's ``max_recycles`` is not used up, straight on to the nurture stage,
   where it waits ``recycle.after`` before its criteria may promote it again.
4. Criteria stages (``when:``) reachable from the current stage are tried, furthest first,
   with the score as of that moment: at the creation, after each event that moved the lead or
   that changes what criteria read (a scored event, or one whose count they read), when a
   recycled lead's wait is over, and at ``as_of``. Between those moments scores only decay, so
   no criteria can become true there. Stages are sticky: a score that decays later does not
   demote a lead.
5. Promotion at one instant reaches a fixpoint by construction: each stage is entered at most
   once per instant (the stage the lead is in counts as entered), so a cycle of criteria stages
   (lint reports it as LC406) stops where it would come round, instead of looping forever.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadcontract.inputs import Event
from leadcontract.model import Lifecycle, Reason, StageRole
from leadcontract.rules.conditions import CompiledCondition
from leadcontract.verdict import Disqualification, Fact, StageChange, StageVerdict, TraceStep

__all__ = ["CompiledLifecycle", "LifecycleOutcome"]

FactsAt = Callable[[datetime], Mapping[str, Any]]


@dataclass(slots=True)
class LifecycleOutcome:
    """What the replay found."""

    stage: StageVerdict
    disqualification: Disqualification | None
    reached: dict[str, datetime] = field(default_factory=dict)
    """First time each stage was entered."""


@dataclass(frozen=True, slots=True)
class _Promotion:
    stage: str
    condition: CompiledCondition
    pointer: str
    settler: Callable[[Mapping[str, Any]], bool | None] | bool | None
    """The criteria decided by the facts that do not vary over a replay (see
    :meth:`CompiledCondition.settler`): a lead whose fit or fields rule the stage out is not
    scored at every instant only to find it out again."""
    explain: Callable[[Mapping[str, Any]], tuple[bool, tuple[Fact, ...]]]
    """The criteria traced, their leaves made trace facts."""
    step: str
    """The trace step's name."""


class CompiledLifecycle:
    """The stage graph of a contract, ready to replay leads through."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        stage_conditions: Mapping[str, CompiledCondition],
        reasons: Mapping[str, Reason],
        watched: frozenset[str],
        varying: Callable[[str], bool] = lambda name: True,
    ) -> None:
        """``varying`` names the facts that change between the instants of a replay (what
        ``facts_at`` updates); criteria are pre-checked once per lead on the others."""
        stages = lifecycle.stages
        self.watched = watched
        """Event types that change what stage criteria read (scored or counted events)."""
        self.order = {stage.id: i for i, stage in enumerate(stages)}
        self.roles = {stage.id: stage.effective_role for stage in stages}
        self.first = stages[0].id
        self.allowed = {k: frozenset(v) for k, v in lifecycle.transitions().items()}
        self.reasons = dict(reasons)
        self.by_event: dict[str, str] = {}
        for stage in stages:
            for event in stage.entry_events:
                self.by_event.setdefault(event, stage.id)
        self.disqualified = next(
            (s.id for s in stages if s.effective_role is StageRole.DISQUALIFIED), None
        )
        pointers = {stage.id: f"/lead/lifecycle/stages/{i}/when" for i, stage in enumerate(stages)}
        self.promotions: dict[str, list[_Promotion]] = {}
        for stage_id, targets in self.allowed.items():
            candidates = [
                _Promotion(
                    t,
                    stage_conditions[t],
                    pointers[t],
                    stage_conditions[t].settler(varying),
                    stage_conditions[t].explainer(Fact),
                    f"lifecycle.{t}",
                )
                for t in targets
                if t in stage_conditions
            ]
            candidates.sort(key=lambda p: -self.order[p.stage])
            if candidates:
                self.promotions[stage_id] = candidates

    def replay(
        self,
        created: datetime | None,
        events: Sequence[Event],
        as_of: datetime,
        facts_at: FactsAt,
        steps: list[TraceStep] | None,
        *,
        fixed: Mapping[str, Any] | None = None,
    ) -> LifecycleOutcome:
        """Run one lead through the stage graph; ``events`` are sorted and not after as_of.

        ``fixed`` holds the facts that stay put over the replay (the record, the fit score);
        without it no criteria are pre-checked.
        """
        run = _Replay(self, facts_at, steps, fixed)
        run.enter(self.first, created, "created")
        # Without a creation time the lead is known from its first event on: its criteria
        # are first checked there (checked at as-of, a stage entered then came out dated
        # before the stages its events enter, the history running backwards).
        run.promote(created if created is not None else events[0].at if events else as_of)
        watched = self.watched
        by_event = self.by_event
        disqualified = self.disqualified
        promotions = self.promotions
        for event in events:
            # Events recorded before the lead existed (a webinar attended before the CRM
            # record was made) count from the creation on: no stage is entered earlier.
            at = event.at
            if created is not None and created > at:
                at = created
            returns_at = run.returns_at
            if returns_at is not None and returns_at <= at:
                run.promote(returns_at)
            stage = run.stage
            kind = event.type
            if kind == "disqualified" and disqualified is not None:
                run.disqualify(event, at)
            else:
                target = by_event.get(kind)
                if target is not None and target != stage:
                    run.move(target, at, kind)
            if (run.stage != stage or kind in watched) and run.stage in promotions:
                run.promote(at)
        if run.returns_at is not None and run.returns_at <= as_of:
            run.promote(run.returns_at)
        run.promote(as_of)
        role = self.roles.get(run.stage)
        verdict = StageVerdict(
            id=run.stage,
            role=role.value if role else None,
            since=run.since,
            history=tuple(run.history),
            anomalies=tuple(run.anomalies),
        )
        return LifecycleOutcome(verdict, run.disqualification, run.reached)


class _Replay:
    """The mutable state of one lead's replay."""

    __slots__ = (
        "anomalies",
        "disqualification",
        "facts_at",
        "fixed",
        "history",
        "machine",
        "reached",
        "recycles",
        "returns_at",
        "settled",
        "since",
        "stage",
        "steps",
    )

    def __init__(
        self,
        machine: CompiledLifecycle,
        facts_at: FactsAt,
        steps: list[TraceStep] | None,
        fixed: Mapping[str, Any] | None,
    ) -> None:
        self.machine = machine
        self.facts_at = facts_at
        self.steps = steps
        self.fixed = fixed
        self.settled: dict[str, bool | None] = {}
        """Each criteria stage's pre-check for this lead, once computed."""
        self.stage = machine.first
        self.since: datetime | None = None
        self.history: list[StageChange] = []
        self.anomalies: list[str] = []
        self.reached: dict[str, datetime] = {}
        self.recycles: dict[str, int] = {}
        self.returns_at: datetime | None = None
        self.disqualification: Disqualification | None = None

    def enter(self, stage: str, at: datetime | None, cause: str) -> None:
        self.stage = stage
        self.since = at
        self.history.append(StageChange(stage, at, cause))
        if at is not None and stage not in self.reached:
            self.reached[stage] = at

    def move(self, stage: str, at: datetime, cause: str) -> None:
        if stage not in self.machine.allowed.get(self.stage, frozenset()):
            self.anomalies.append(
                f"{cause} at {at.isoformat()} moved the lead from `{self.stage}` to `{stage}`, "
                "which the stage graph does not allow"
            )
        self.returns_at = None
        self.enter(stage, at, cause)
        if self.steps is not None:
            self.steps.append(
                TraceStep(
                    f"lifecycle.{stage}",
                    "/lead/lifecycle/stages",
                    f"entered {stage}",
                    note=f"on `{cause}` event at {at.isoformat()}",
                )
            )

    def promote(self, at: datetime) -> None:
        """Enter criteria stages while their criteria hold at ``at``; each at most once."""
        machine = self.machine
        candidates = machine.promotions.get(self.stage)
        if not candidates:
            return
        entered = {self.stage}
        steps = self.steps
        when: str | None = None  # `at` as the trace's notes write it, once written
        while candidates:
            if self.returns_at is not None and at < self.returns_at:
                return
            facts: Mapping[str, Any] | None = None
            for promotion in candidates:
                if promotion.stage in entered:
                    continue
                if steps is None:
                    held = self._settled(promotion)
                    if held is None:
                        if facts is None:
                            facts = self.facts_at(at)
                        held = promotion.condition.predicate(facts)
                else:
                    if facts is None:
                        facts = self.facts_at(at)
                    if when is None:
                        when = at.isoformat()
                    held, explained = promotion.explain(facts)
                    steps.append(
                        TraceStep(
                            promotion.step,
                            promotion.pointer,
                            "criteria met" if held else "criteria not met",
                            explained,
                            f"checked at {when} from `{self.stage}`",
                        )
                    )
                if held:
                    self.returns_at = None
                    self.enter(promotion.stage, at, f"criteria of {promotion.stage}")
                    entered.add(promotion.stage)
                    break
            else:
                return
            candidates = machine.promotions.get(self.stage)

    def _settled(self, promotion: _Promotion) -> bool | None:
        """The criteria's outcome for this lead at every instant, when the fixed facts decide
        it; ``None`` when the score or the counts at the instant matter."""
        settler = promotion.settler
        if self.fixed is None:
            return None
        if settler is None or isinstance(settler, bool):
            return settler
        settled = self.settled
        if promotion.stage in settled:
            return settled[promotion.stage]
        outcome = settled[promotion.stage] = settler(self.fixed)
        return outcome

    def disqualify(self, event: Event, at: datetime) -> None:
        machine = self.machine
        assert machine.disqualified is not None
        if machine.disqualified != self.stage:
            self.move(machine.disqualified, at, "disqualified")
        reason = machine.reasons.get(event.reason) if event.reason else None
        note_present = bool(event.note and event.note.strip())
        recycle_to: str | None = None
        returns_at: datetime | None = None
        maxed = False
        count = 0
        if reason is not None and event.reason is not None and reason.recycle is not None:
            count = self.recycles.get(event.reason, 0)
            if reason.max_recycles is None or count < reason.max_recycles:
                count += 1
                self.recycles[event.reason] = count
                recycle_to = reason.recycle.to
                returns_at = at + reason.recycle.after.as_timedelta()
                self.move(recycle_to, at, f"recycled ({event.reason})")
                self.returns_at = returns_at
            else:
                maxed = True
        self.disqualification = Disqualification(
            at=at,
            by=event.actor,
            reason=event.reason,
            reason_allowed=reason is not None,
            note_required=reason.note_required if reason is not None else False,
            note_present=note_present,
            recycle_to=recycle_to,
            recycles=count,
            returns_at=returns_at,
            max_recycles_reached=maxed,
        )
