"""Run contract tests: evaluate each case's lead and compare the verdict with what it expects.

A failed expectation carries the expected and the observed value and the explanation of the
rule that decided (its failed conditions in words, from the verdict trace), so the author sees
*why* the lead is not an MQL, not only that it is not. Coverage is read from the same traces:
a scoring rule, stage, handoff point, SLA (and each of its triggers) or spiff that no case's
verdict exercised is reported by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from leadcontract.authoring.cases import Expectation, LoadedCase, ScoreRange
from leadcontract.engine import CompiledContract
from leadcontract.explanation import explain_fact
from leadcontract.inputs import RecordError
from leadcontract.verdict import TraceStep, Verdict

__all__ = [
    "CaseResult",
    "Coverage",
    "Mismatch",
    "SuiteResult",
    "coverage",
    "coverage_items",
    "run_case",
    "run_cases",
]

TRIGGER_EVENTS = {
    "start": "activate",
    "stop": "fulfil",
    "pause": "pause",
    "resume": "resume",
    "cancel": "cancel",
}
"""SLA trigger → the clock event that shows it fired."""


@dataclass(frozen=True)
class Mismatch:
    """One expectation the verdict did not meet."""

    what: str
    expected: Any
    observed: Any
    why: tuple[str, ...] = ()
    """The deciding rule's explanation, line by line."""


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case."""

    case: LoadedCase
    mismatches: tuple[Mismatch, ...] = ()
    error: str | None = None
    """The lead could not be evaluated (an error row): the case fails with this."""
    verdict: Verdict | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.mismatches


@dataclass(frozen=True)
class Coverage:
    """Which parts of the contract the cases exercised."""

    items: tuple[str, ...]
    exercised: frozenset[str]

    @property
    def missed(self) -> list[str]:
        return [item for item in self.items if item not in self.exercised]

    @property
    def percent(self) -> float:
        if not self.items:
            return 100.0
        return round(100.0 * (len(self.items) - len(self.missed)) / len(self.items), 1)


@dataclass(frozen=True)
class SuiteResult:
    """Every case's result, in file order."""

    results: tuple[CaseResult, ...]
    coverage: Coverage | None = None
    file_errors: tuple[str, ...] = field(default=())

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]


def run_case(compiled: CompiledContract, loaded: LoadedCase) -> CaseResult:
    """Evaluate one case and compare."""
    case = loaded.case
    id_field = compiled.keys.id
    lead_id = str(case.lead.get(id_field, case.name))
    lead = {id_field: lead_id, **case.lead}
    events = [{"lead_id": lead_id, **event} for event in case.events]
    items = list(compiled.evaluate([lead], events, as_of=loaded.as_of))
    evaluation_errors = [i for i in items if isinstance(i, RecordError)]
    verdicts = [i for i in items if isinstance(i, Verdict)]
    if evaluation_errors or len(verdicts) != 1:
        message = "; ".join(str(e.message) for e in evaluation_errors) or "no verdict"
        return CaseResult(loaded, error=f"the lead or an event is an error row: {message}")
    verdict = verdicts[0]
    spiffs = frozenset(compiled.contract.spiffs)
    return CaseResult(loaded, tuple(_compare(case.expect, verdict, spiffs)), verdict=verdict)


def run_cases(compiled: CompiledContract, cases: Iterable[LoadedCase]) -> list[CaseResult]:
    return [run_case(compiled, case) for case in cases]


# --- comparing ------------------------------------------------------------------------------


def _explained(verdict: Verdict, rule: str, *, last: bool = False) -> tuple[str, ...]:
    """The trace steps of ``rule`` in words: outcome, note, and the conditions that failed
    (only the latest step with ``last``: the one that decided the lead's present state)."""
    lines = [_step_text(step) for step in verdict.trace if step.rule == rule]
    return tuple(lines[-1:]) if last else tuple(lines)


def _step_text(step: TraceStep) -> str:
    failed = [explain_fact(f) for f in step.facts if f.result is False]
    text = f"{step.rule} ({step.pointer}): {step.outcome}"
    if step.note:
        text += f"; {step.note}"
    if failed:
        text += "; " + "; ".join(failed)
    return text


def _compare(expect: Expectation, verdict: Verdict, spiffs: frozenset[str]) -> Iterable[Mismatch]:
    """What the verdict does not hold of what the case expects. An SLA or spiff the contract
    does not have is a mismatch of its own: a misspelt spiff read as "earned 0" and passed a
    case that pinned 0."""
    if expect.stage is not None and verdict.stage.id != expect.stage:
        why = _explained(verdict, f"lifecycle.{expect.stage}", last=True)
        history = " -> ".join(f"{c.stage} ({c.cause})" for c in verdict.stage.history)
        yield Mismatch("stage", expect.stage, verdict.stage.id, (*why, f"path: {history}"))
    if expect.buyer_stage is not None and verdict.buyer_stage != expect.buyer_stage:
        why = _explained(verdict, f"buyer_stage.{expect.buyer_stage}")
        yield Mismatch("buyer_stage", expect.buyer_stage, verdict.buyer_stage, why)
    if expect.score is not None:
        yield from _compare_score(expect.score, verdict)
    if expect.handoff is not None:
        yield from _compare_handoff(expect, verdict)
    clocks = {clock.sla: clock for clock in verdict.slas}
    for sla_id, wanted in expect.slas.items():
        clock = clocks.get(sla_id)
        if clock is None:
            yield Mismatch(f"slas.{sla_id}", "an SLA of the contract", "no such SLA")
            continue
        why = _explained(verdict, f"sla.{sla_id}")
        if wanted.status is not None and clock.status != wanted.status:
            yield Mismatch(f"slas.{sla_id}.status", wanted.status, clock.status, why)
        if wanted.party is not None and clock.party != wanted.party:
            yield Mismatch(f"slas.{sla_id}.party", wanted.party, clock.party, why)
    for spiff_id, amount in expect.spiffs.items():
        if spiff_id not in spiffs:
            yield Mismatch(f"spiffs.{spiff_id}", "a spiff of the contract", "no such spiff")
            continue
        observed = _spiff_total(verdict, spiff_id)
        if observed != amount:
            why = _explained(verdict, f"spiff.{spiff_id}")
            yield Mismatch(f"spiffs.{spiff_id}", str(amount), str(observed), why)


def _compare_score(wanted: float | ScoreRange, verdict: Verdict) -> Iterable[Mismatch]:
    total = verdict.score.total
    held = wanted.holds(total) if isinstance(wanted, ScoreRange) else total == wanted
    if not held:
        lines = tuple(
            f"{line.kind} {line.rule}: {line.points:+g}"
            for line in verdict.score.lines
            if line.points
        )
        caps = tuple(f"cap applied: {cap}" for cap in verdict.score.caps_applied)
        yield Mismatch("score", str(wanted), f"{total:g}", lines + caps)


def _compare_handoff(expect: Expectation, verdict: Verdict) -> Iterable[Mismatch]:
    wanted = expect.handoff
    assert wanted is not None
    handoff = verdict.handoff
    if handoff is None:
        yield Mismatch("handoff", "a handoff", "none (the lead's campaign is not in the contract)")
        return
    why = _explained(verdict, f"handoff.{handoff.campaign}")
    observed: dict[str, Any] = {
        "due": handoff.due,
        "done": handoff.done,
        "complete": handoff.complete,
        "missing_fields": sorted(handoff.missing_fields),
    }
    for name, value in wanted.model_dump(exclude_none=True).items():
        expected = sorted(value) if name == "missing_fields" else value
        if observed[name] != expected:
            yield Mismatch(f"handoff.{name}", expected, observed[name], why)


def _spiff_total(verdict: Verdict, spiff_id: str) -> Decimal:
    return sum(
        (line.amount for d in verdict.spiffs if d.spiff == spiff_id for line in d.lines),
        Decimal("0"),
    )


# --- coverage -------------------------------------------------------------------------------


def coverage_items(compiled: CompiledContract) -> list[str]:
    """Everything a suite of cases should exercise, named as the verdict traces name it."""
    contract = compiled.contract
    scoring = contract.lead.scoring
    items = [f"scoring.fit.{rule.id}" for rule in scoring.fit.rules]
    items += [f"scoring.engagement.{rule.id}" for rule in scoring.engagement.rules]
    items += [f"stage.{stage.id}" for stage in contract.lead.lifecycle.stages]
    items += [f"handoff.{campaign_id}" for campaign_id in contract.campaigns]
    for sla_id, sla in contract.slas.items():
        items.append(f"sla.{sla_id}")
        items += [f"sla.{sla_id}.{name}" for name, _ in sla.triggers()]
    items += [f"spiff.{spiff_id}" for spiff_id in contract.spiffs]
    return items


def _exercised(verdict: Verdict) -> set[str]:
    found = {f"stage.{change.stage}" for change in verdict.stage.history}
    found.add(f"stage.{verdict.stage.id}")
    for line in verdict.score.lines:
        if line.points:
            found.add(f"scoring.{line.kind}.{line.rule}")
    if verdict.handoff is not None and verdict.handoff.done:
        found.add(f"handoff.{verdict.handoff.campaign}")
    for clock in verdict.slas:
        if clock.status == "not_applicable":
            continue
        found.add(f"sla.{clock.sla}")
        kinds = {event.kind for event in clock.events}
        found.update(
            f"sla.{clock.sla}.{trigger}"
            for trigger, kind in TRIGGER_EVENTS.items()
            if kind in kinds
        )
    found.update(f"spiff.{d.spiff}" for d in verdict.spiffs if d.eligible)
    return found


def coverage(compiled: CompiledContract, results: Sequence[CaseResult]) -> Coverage:
    """Which coverage items the cases' verdicts exercised (failing cases count too: they
    still ran the rules)."""
    exercised: set[str] = set()
    for result in results:
        if result.verdict is not None:
            exercised |= _exercised(result.verdict)
    items = coverage_items(compiled)
    return Coverage(tuple(items), frozenset(exercised & set(items)))
