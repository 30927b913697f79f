"""Explain a verdict in words a sales manager can read.

``explain(verdict)`` renders the verdict and its trace as plain text: the stage and why it is
not further along ("not mql: score is 55, needs >= 60"), the score line by line, the handoff
and what marketing still owes, the disqualification and whether it followed the agreement.
The text is built only from the verdict, so it explains exactly what was decided.
"""

from __future__ import annotations

from datetime import UTC, datetime

from leadcontract.rules.conditions import Leaf, Op, explain_leaf
from leadcontract.safe_text import printable
from leadcontract.verdict import Fact, TraceStep, Verdict

__all__ = ["explain", "explain_fact"]

_OPS = {op.value for op in Op}


def _when(value: datetime | None) -> str:
    if value is None:
        return "unknown time"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _number(value: float) -> str:
    """A score as written: no ``.0`` on whole numbers, every decimal kept (``:g`` would
    round 12345.67 to 12345.7)."""
    return f"{value:.15g}"


def explain_fact(fact: Fact) -> str:
    """One fact in words, in the condition language's wording where it came from one."""
    if fact.op in _OPS and fact.result is not None:
        leaf = Leaf(fact.field, Op(fact.op), fact.expected, fact.observed, fact.result, "")
        return explain_leaf(leaf)
    if fact.expected is None and not fact.op:
        return f"{fact.field} is {fact.observed!r}"
    return f"{fact.field} is {fact.observed!r}, needs {fact.op or ''} {fact.expected!r}".strip()


def _failed(step: TraceStep) -> list[str]:
    return [explain_fact(f) for f in step.facts if f.result is False]


def explain(verdict: Verdict) -> str:
    """The verdict of one lead as readable text (each line :func:`printable`: a value with a
    newline or a terminal escape cannot add a line or reach the terminal)."""
    contract = verdict.contract
    out = [
        f"Lead {verdict.lead_id}, as of {_when(verdict.as_of)}",
        f"Contract {contract.id} {contract.version} ({contract.digest[:19]}...), "
        f"leadcontract {verdict.library_version}",
        "",
        *_warning_lines(verdict),
        *_stage_lines(verdict),
        "",
        *_score_lines(verdict),
        "",
        *_handoff_lines(verdict),
        *_disqualification_lines(verdict),
    ]
    out += _sla_lines(verdict)
    out += _spiff_lines(verdict)
    return "\n".join(map(printable, out)).rstrip() + "\n"


def _warning_lines(verdict: Verdict) -> list[str]:
    """Data that did not match the contract but did not stop the verdict, first."""
    if not verdict.warnings:
        return []
    return ["Data warnings:", *(f"  {warning}" for warning in verdict.warnings), ""]


def _stage_lines(verdict: Verdict) -> list[str]:
    stage = verdict.stage
    cause = stage.history[-1].cause if stage.history else "created"
    path = " -> ".join(f"{change.stage} ({_when(change.at)})" for change in stage.history)
    out = [f"Stage: {stage.id} since {_when(stage.since)} ({cause})", f"  path: {path}"]
    entered = _entry_score(verdict)
    if entered is not None and entered != verdict.score.total:
        out.append(
            f"  score when it qualified: {_number(entered)}; today {_number(verdict.score.total)}"
            " (stages are sticky: a score that decays later does not take the stage back)"
        )
    out += [f"  anomaly: {anomaly}" for anomaly in stage.anomalies]
    # Only criteria checked since the lead entered its current stage say why it is not
    # further along: a check made from an earlier stage is history (a lead accepted straight
    # from inquiry is not "not mql").
    last_checks: dict[str, TraceStep] = {}
    for step in verdict.trace:
        if not step.rule.startswith("lifecycle."):
            continue
        if step.outcome.startswith("entered ") or step.outcome == "criteria met":
            last_checks.clear()
        elif step.outcome == "criteria not met":
            last_checks[step.rule.removeprefix("lifecycle.")] = step
    for stage_id, step in last_checks.items():
        if step.outcome == "criteria not met" and stage_id != stage.id:
            reasons = "; ".join(_failed(step)) or "its criteria do not hold"
            out.append(f"  not {stage_id}: {reasons}")
    return out


def _entry_score(verdict: Verdict) -> float | None:
    """The score the current stage's criteria saw when the lead entered it (from the trace)."""
    rule = f"lifecycle.{verdict.stage.id}"
    for step in reversed(verdict.trace):
        if step.rule == rule and step.outcome == "criteria met":
            for fact in step.facts:
                if fact.field == "score" and isinstance(fact.observed, int | float):
                    return float(fact.observed)
            return None
    return None


def _score_lines(verdict: Verdict) -> list[str]:
    score = verdict.score
    caps = ", ".join(score.caps_applied) or "none"
    out = [
        f"Score {_number(score.total)} = fit {_number(score.fit)} + engagement "
        f"{_number(score.engagement)} "
        f"(caps applied: {caps})"
    ]
    for step in verdict.trace:
        if step.rule.startswith("scoring.fit."):
            facts = "; ".join(explain_fact(f) for f in step.facts)
            out.append(f"  fit {step.rule.removeprefix('scoring.fit.')}: {step.outcome} ({facts})")
        elif step.rule.startswith("scoring.engagement."):
            name = step.rule.removeprefix("scoring.engagement.")
            out.append(f"  engagement {name}: {step.outcome} ({step.note})")
    if verdict.buyer_stage is not None:
        out.append(f"Buyer stage: {verdict.buyer_stage}")
    return out


def _handoff_lines(verdict: Verdict) -> list[str]:
    handoff = verdict.handoff
    if handoff is None:
        if verdict.campaign is None:
            return ["Handoff: none (the lead has no campaign)"]
        return [f"Handoff: none (campaign {verdict.campaign!r} is not in the contract)"]
    if handoff.done:
        state = f"done {_when(handoff.at)}" + (f" by {handoff.by}" if handoff.by else "")
    else:
        state = "DUE, not done" if handoff.due else "not due yet"
    out = [
        f"Handoff ({handoff.campaign}, at {handoff.stage}, qualified by "
        f"{handoff.qualified_by}, to {handoff.to}): {state}"
    ]
    if handoff.missing_fields:
        out.append(
            "  required fields missing (marketing owes them): " + ", ".join(handoff.missing_fields)
        )
    return out


def _disqualification_lines(verdict: Verdict) -> list[str]:
    dq = verdict.disqualification
    if dq is None:
        return []
    validity = "valid" if dq.valid else "NOT valid"
    by = f" by {dq.by}" if dq.by else ""
    out = [f"Disqualified {_when(dq.at)}{by}: reason {dq.reason!r} ({validity})"]
    if not dq.reason_allowed:
        out.append("  the reason is not one the contract allows")
    if dq.note_required and not dq.note_present:
        out.append("  this reason needs a note, and none was given")
    if dq.recycle_to:
        out.append(
            f"  recycled to {dq.recycle_to} (time {dq.recycles}); may return {_when(dq.returns_at)}"
        )
    if dq.max_recycles_reached:
        out.append("  not recycled: the reason's max_recycles is used up")
    return out


def _sla_lines(verdict: Verdict) -> list[str]:
    if not verdict.slas:
        return []
    out = ["", "SLAs:"]
    for clock in verdict.slas:
        if clock.status == "not_applicable":
            out.append(f"  {clock.sla}: not applicable ({clock.evidence})")
            continue
        line = f"  {clock.sla}: {clock.status.replace('_', ' ')}"
        if clock.start is not None:
            line += f", started {_when(clock.start)}"
        if clock.due is not None:
            line += f", due {_when(clock.due)}"
        if clock.stop is not None:
            line += f", fulfilled {_when(clock.stop)}"
        if clock.attempts is not None:
            line += f", {clock.attempts} attempt(s)"
        if clock.remaining_minutes is not None:
            line += f", {clock.remaining_minutes} business minutes left"
        out.append(line)
        if clock.party is not None:
            out.append(
                f"    accountable: {clock.party}"
                + (f" ({clock.evidence})" if clock.evidence else "")
            )
        elif clock.evidence:
            out.append(f"    {clock.evidence}")
        if clock.escalate_to is not None:
            out.append(f"    escalated to {clock.escalate_to}")
        out += [f"    anomaly: {anomaly}" for anomaly in clock.anomalies]
    return out


def _spiff_lines(verdict: Verdict) -> list[str]:
    if not verdict.spiffs:
        return []
    out = ["", "Spiffs:"]
    for decision in verdict.spiffs:
        state = "earned" if decision.eligible else "not earned"
        out.append(f"  {decision.spiff}: {state} ({decision.why})")
        for line in decision.lines:
            payable = "" if line.payable else " (shadow, not payable)"
            who = line.rep or "unassigned"
            role = f" as {line.role}" if line.role else ""
            out.append(f"    {line.kind} {line.amount} {line.currency} to {who}{role}{payable}")
    return out
