"""Scoring: fit points from who the lead is, engagement points from what it did.

Fit rules are conditions over the record; each that holds adds its points, and the sum is
capped. Engagement rules count events of a type (optionally on one channel): the most recent
``max_count`` of them count, each worth its points halved every ``half_life`` since it
happened, and the sum is capped after decay. Scores are rounded to two decimals so that the
same inputs always compare the same way against thresholds.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadcontract.inputs import Event
from leadcontract.model import EngagementRule, FitRule, Scoring
from leadcontract.rules.conditions import CompiledCondition
from leadcontract.verdict import Fact, Score, ScoreLine, TraceStep

__all__ = ["CompiledScoring", "EngagementTimes", "EventIndex", "facts_from_leaves"]


class EventIndex:
    """One lead's events (up to ``as_of``), bucketed by type and sorted by time."""

    __slots__ = ("_instants", "by_type")

    def __init__(self, events: Sequence[Event]) -> None:
        by_type: dict[str, list[Event]] = {}
        for event in events:
            bucket = by_type.get(event.type)
            if bucket is None:
                by_type[event.type] = [event]
            else:
                bucket.append(event)
        self.by_type = by_type
        self._instants: dict[str, list[datetime]] = {}

    def instants(self, kind: str) -> list[datetime]:
        """When the events of ``kind`` happened, oldest first (made on first use: most
        types are never counted)."""
        instants = self._instants.get(kind)
        if instants is None:
            instants = self._instants[kind] = [e.at for e in self.by_type.get(kind, ())]
        return instants

    @property
    def times(self) -> dict[str, list[datetime]]:
        """:meth:`instants` of every type the lead has events of."""
        return {kind: self.instants(kind) for kind in self.by_type}

    def count(self, kind: str, at: datetime | None = None) -> int:
        """How many events of ``kind`` happened up to ``at`` (all when None)."""
        if kind not in self.by_type:
            return 0
        times = self.instants(kind)
        return len(times) if at is None else bisect.bisect_right(times, at)

    def upto(self, kind: str, at: datetime) -> list[Event]:
        """Events of ``kind`` up to ``at``, oldest first."""
        bucket = self.by_type.get(kind)
        if not bucket:
            return []
        return bucket[: bisect.bisect_right(self.instants(kind), at)]


def facts_from_leaves(leaves: Sequence[Any]) -> tuple[Fact, ...]:
    """Condition leaves as trace facts."""
    return tuple(
        [
            Fact(leaf.field, leaf.observed, leaf.expected, str(leaf.op), leaf.result)
            for leaf in leaves
        ]
    )


@dataclass(frozen=True, slots=True)
class _Engagement:
    rule: EngagementRule
    pointer: str
    half_life_seconds: float | None
    step: str
    """The rule's trace step name, the name of the count it shows and the end of its note
    (after the count): the same for every lead, so made once."""
    counted: str
    note_tail: str


class EngagementTimes:
    """For one lead: the POSIX times of the events each engagement rule counts, sorted.

    Built once per lead so that scoring the lead at many instants (the lifecycle replay
    checks criteria at each event) costs a bisect and a few multiplications per rule that
    counts any of its events (``active``: the others are skipped without a look).
    """

    __slots__ = ("active",)

    def __init__(self, rules: Sequence[_Engagement], events: EventIndex) -> None:
        self.active: list[tuple[_Engagement, int, int | None, float | None, list[float]]] = []
        """(rule, points, max_count, half-life seconds, times) of each rule with events, in
        the rules' order."""
        by_type = events.by_type
        for item in rules:
            bucket = by_type.get(item.rule.event)
            if not bucket:
                continue
            rule = item.rule
            channel = rule.channel
            times = [e.at.timestamp() for e in bucket if channel is None or e.channel == channel]
            if times:
                self.active.append(
                    (item, rule.points, rule.max_count, item.half_life_seconds, times)
                )


def _rule_points(
    worth: int, max_count: int | None, half_life: float | None, counted: list[float], now: float
) -> tuple[float, int] | None:
    """One rule's points at ``now`` and how many events earned them (its latest
    ``max_count`` up to ``now``, decayed); ``None`` before its first event."""
    end = bisect.bisect_right(counted, now)
    if not end:
        return None
    start = max(0, end - max_count) if max_count is not None else 0
    if half_life:
        # A list, not a generator: the same sum in the same order, made faster.
        decayed = sum([worth * 0.5 ** ((now - t) / half_life) for t in counted[start:end]])
        return round(decayed, 2), end - start
    return float(worth * (end - start)), end - start


_CAPS = {
    (False, False): (),
    (True, False): ("fit",),
    (False, True): ("engagement",),
    (True, True): ("fit", "engagement"),
}
"""The caps a score names, by whether the fit cap and the engagement cap applied."""


class CompiledScoring:
    """A contract's scoring rules, ready to apply to records many times."""

    def __init__(
        self, scoring: Scoring, fit_conditions: Sequence[tuple[FitRule, CompiledCondition]]
    ) -> None:
        self._fit = [
            (
                rule,
                condition,
                f"/lead/scoring/fit/rules/{i}",
                ScoreLine(rule.id, "fit", float(rule.points)),
            )
            for i, (rule, condition) in enumerate(fit_conditions)
        ]
        """Each fit rule with its compiled condition, its place and the line it adds (the
        same for every lead that earns it, so made once)."""
        self._fit_traced = [
            (
                rule,
                condition.explainer(Fact),
                f"scoring.fit.{rule.id}",
                pointer,
                f"{rule.points:+d} points",
                line,
            )
            for (rule, condition, pointer, line) in self._fit
        ]
        """The same rules for traced runs: the explainer making trace facts, the step's name
        and the outcome when the rule holds (the strings every lead's trace repeats)."""
        self._fit_cap = scoring.fit.cap
        decay = scoring.engagement.decay
        half_life = decay.half_life.as_timedelta().total_seconds() if decay else None
        self._engagement = [
            _Engagement(
                rule,
                f"/lead/scoring/engagement/rules/{i}",
                half_life,
                f"scoring.engagement.{rule.id}",
                f"events.{rule.event}",
                f" × {rule.points} points" + (", decayed" if half_life else ""),
            )
            for i, rule in enumerate(scoring.engagement.rules)
        ]
        self._engagement_cap = scoring.engagement.cap
        self.event_types = frozenset(rule.event for rule in scoring.engagement.rules)

    def fit(
        self, record: Mapping[str, Any], steps: list[TraceStep] | None
    ) -> tuple[float, list[ScoreLine], bool]:
        """Fit points for ``record``: (capped total, lines, whether the cap applied)."""
        total = 0.0
        lines: list[ScoreLine] = []
        if steps is None:
            for rule, condition, _, line in self._fit:
                if condition.predicate(record):
                    total += rule.points
                    lines.append(line)
        else:
            for rule, explain, name, pointer, earned, line in self._fit_traced:
                held, facts = explain(record)
                steps.append(TraceStep(name, pointer, earned if held else "no points", facts))
                if held:
                    total += rule.points
                    lines.append(line)
        capped = self._fit_cap is not None and total > self._fit_cap
        if capped and self._fit_cap is not None:
            total = float(self._fit_cap)
        return round(total, 2), lines, capped

    def times(self, events: EventIndex) -> EngagementTimes:
        """Prepare one lead's events for scoring at many instants."""
        return EngagementTimes(self._engagement, events)

    def engagement_at(self, times: EngagementTimes, now: float) -> float:
        """The capped engagement total at POSIX time ``now``: what :meth:`engagement` gives,
        without the breakdown, for the replay's many instants (the same sums in the same
        order, so the same floats)."""
        total = 0.0
        for _, worth, max_count, half_life, counted in times.active:
            # _rule_points inlined (the replay's hottest loop); tests hold the two equal.
            end = bisect.bisect_right(counted, now)
            if not end:
                continue
            start = max(0, end - max_count) if max_count is not None else 0
            if half_life:
                total += round(
                    sum([worth * 0.5 ** ((now - t) / half_life) for t in counted[start:end]]), 2
                )
            else:
                total += float(worth * (end - start))
        cap = self._engagement_cap
        if cap is not None and total > cap:
            total = float(cap)
        return round(total, 2)

    def engagement(
        self,
        times: EngagementTimes,
        at: datetime,
        *,
        lines: list[ScoreLine] | None = None,
        steps: list[TraceStep] | None = None,
    ) -> tuple[float, bool]:
        """Engagement points as of ``at``: (capped total, whether the cap applied).

        With ``lines`` (and ``steps``), each rule's contribution is appended to them.
        """
        total = 0.0
        now = at.timestamp()
        for item, worth, max_count, half_life, counted in times.active:
            earned = _rule_points(worth, max_count, half_life, counted, now)
            if earned is None:
                continue
            points, count = earned
            total += points
            if lines is not None:
                lines.append(ScoreLine(item.rule.id, "engagement", points, count))
            if steps is not None:
                steps.append(
                    TraceStep(
                        item.step,
                        item.pointer,
                        f"{points:+.2f} points",
                        (Fact(item.counted, count),),
                        f"{count}{item.note_tail}",
                    )
                )
        cap = self._engagement_cap
        capped = cap is not None and total > cap
        if capped and cap is not None:
            total = float(cap)
        return round(total, 2), capped

    def score(
        self,
        record: Mapping[str, Any],
        times: EngagementTimes,
        at: datetime,
        steps: list[TraceStep] | None = None,
    ) -> Score:
        """The full score with its breakdown as of ``at``."""
        fit, lines, fit_capped = self.fit(record, steps)
        engagement, engagement_capped = self.engagement(times, at, lines=lines, steps=steps)
        caps = _CAPS[fit_capped, engagement_capped]
        # Positional (total, fit, engagement, lines, caps_applied): once per lead.
        return Score(round(fit + engagement, 2), fit, engagement, tuple(lines), caps)
