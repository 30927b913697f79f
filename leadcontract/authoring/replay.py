"""Replay history under two contract versions: what a renegotiation would have meant.

The same leads and events are evaluated as of the same instant under the old and the new
contract; verdicts are matched by lead id and compared on what the parties care about: the
stage, the handoff, each SLA's status and the party accountable for a breach, and the spiffs.
Spiff totals per rep are computed as payout statements compute them (caps applied in order),
so the money delta is what would really have been paid. Records that are verdicts under one
version and error rows under the other (a field made required) are counted, not dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from leadcontract.engine import CompiledContract, Source
from leadcontract.inputs import RecordError
from leadcontract.payouts import statements
from leadcontract.rules.spiffs import SpiffLine
from leadcontract.verdict import Verdict

__all__ = ["Movement", "ReplayResult", "replay"]

SAMPLE_SIZE = 10
"""Lead ids shown per kind of change."""

_ASPECTS = ("stage", "handoff", "sla_status", "sla_party")


@dataclass(frozen=True)
class Movement:
    """The leads for which one aspect of the verdict changed."""

    aspect: str
    """stage, handoff, sla_status or sla_party."""
    count: int
    sample: tuple[str, ...]
    transitions: tuple[tuple[str, int], ...] = ()
    """The most common ``old -> new`` values, with how many leads made each move."""


@dataclass(frozen=True)
class ReplayResult:
    """The impact of a contract change on one history."""

    leads: int
    """Leads with a verdict under both versions."""
    errors_old: int
    errors_new: int
    only_old: tuple[str, ...]
    """Lead ids with a verdict only under the old version (error rows under the new)."""
    only_new: tuple[str, ...]
    movements: tuple[Movement, ...]
    spiffs_old: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    """Payable spiff totals per rep, per currency, under the old version."""
    spiffs_new: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    @property
    def money_delta(self) -> dict[str, Decimal]:
        """New minus old, per currency, over every rep."""
        totals: dict[str, Decimal] = {}
        for sign, side in ((-1, self.spiffs_old), (1, self.spiffs_new)):
            for by_currency in side.values():
                for currency, amount in by_currency.items():
                    totals[currency] = totals.get(currency, Decimal(0)) + sign * amount
        return dict(sorted(totals.items()))

    def movement(self, aspect: str) -> Movement:
        return next(m for m in self.movements if m.aspect == aspect)

    def to_dict(self) -> dict[str, Any]:
        def money(side: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, str]]:
            return {rep: {c: str(a) for c, a in amounts.items()} for rep, amounts in side.items()}

        return {
            "leads": self.leads,
            "errors_old": self.errors_old,
            "errors_new": self.errors_new,
            "only_old": list(self.only_old),
            "only_new": list(self.only_new),
            "movements": [
                {
                    "aspect": m.aspect,
                    "count": m.count,
                    "sample": list(m.sample),
                    "transitions": [{"move": t, "count": n} for t, n in m.transitions],
                }
                for m in self.movements
            ],
            "spiffs_old": money(self.spiffs_old),
            "spiffs_new": money(self.spiffs_new),
            "money_delta": {c: str(a) for c, a in self.money_delta.items()},
        }


def _aspects(verdict: Verdict) -> dict[str, dict[str, str]]:
    """What is compared, per aspect: a mapping of sub-keys to values in words."""
    handoff = verdict.handoff
    handoff_state = (
        "none"
        if handoff is None
        else (
            "complete"
            if handoff.complete
            else "done"
            if handoff.done
            else "due"
            if handoff.due
            else "not due"
        )
    )
    return {
        "stage": {"": verdict.stage.id},
        "handoff": {"": handoff_state},
        "sla_status": {clock.sla: clock.status for clock in verdict.slas},
        "sla_party": {clock.sla: clock.party or "nobody" for clock in verdict.slas},
    }


def _verdicts(items: Iterable[Verdict | RecordError]) -> tuple[dict[str, Verdict], int]:
    verdicts: dict[str, Verdict] = {}
    errors = 0
    for item in items:
        if isinstance(item, RecordError):
            errors += 1
        else:
            verdicts[item.lead_id] = item
    return verdicts, errors


def _run(
    compiled: CompiledContract, leads: Source, events: Source, as_of: datetime
) -> Iterator[Verdict | RecordError]:
    capacity = compiled.plan_capacity(leads) if not isinstance(leads, Iterator) else None
    return iter(compiled.evaluate(leads, events, as_of=as_of, trace=False, capacity=capacity))


def _spiff_totals(
    compiled: CompiledContract, verdicts: Iterable[Verdict]
) -> dict[str, dict[str, Decimal]]:
    """Payable totals per rep and currency: the payout statements over every line's days."""
    lines: list[SpiffLine] = [line for v in verdicts for d in v.spiffs for line in d.lines]
    if not lines:
        return {}
    days = sorted(line.at.astimezone(compiled.zone).date() for line in lines)
    found = statements(
        lines, contract=compiled.contract, period=f"{days[0]}..{days[-1]}", zone=compiled.zone
    )
    totals = {s.rep or "(unassigned)": s.totals for s in found}
    return {rep: amounts for rep, amounts in sorted(totals.items()) if amounts}


def replay(
    old: CompiledContract,
    new: CompiledContract,
    leads: Source,
    events: Source = (),
    *,
    as_of: datetime,
) -> ReplayResult:
    """Evaluate ``leads`` and ``events`` under both contracts as of ``as_of`` and compare.

    ``leads`` and ``events`` are read twice: pass files or lists, not one-shot iterators.
    """
    before, errors_old = _verdicts(_run(old, leads, events, as_of))
    after, errors_new = _verdicts(_run(new, leads, events, as_of))
    both = sorted(before.keys() & after.keys())
    changed: dict[str, list[str]] = {aspect: [] for aspect in _ASPECTS}
    moves: dict[str, Counter[str]] = {aspect: Counter() for aspect in _ASPECTS}
    for lead_id in both:
        a, b = _aspects(before[lead_id]), _aspects(after[lead_id])
        for aspect in _ASPECTS:
            differs = False
            for key in sorted(a[aspect].keys() | b[aspect].keys()):
                was, now = a[aspect].get(key, "absent"), b[aspect].get(key, "absent")
                if was != now:
                    differs = True
                    moves[aspect][f"{key + ': ' if key else ''}{was} -> {now}"] += 1
            if differs:
                changed[aspect].append(lead_id)
    movements = tuple(
        Movement(
            aspect,
            len(changed[aspect]),
            tuple(changed[aspect][:SAMPLE_SIZE]),
            tuple(moves[aspect].most_common(8)),
        )
        for aspect in _ASPECTS
    )
    return ReplayResult(
        leads=len(both),
        errors_old=errors_old,
        errors_new=errors_new,
        only_old=tuple(sorted(before.keys() - after.keys())),
        only_new=tuple(sorted(after.keys() - before.keys())),
        movements=movements,
        spiffs_old=_spiff_totals(old, before.values()),
        spiffs_new=_spiff_totals(new, after.values()),
    )
