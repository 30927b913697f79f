"""The follow-up compliance report: did sales follow up the leads marketing handed off?

Built from verdicts (and the capacity plan), grouped by campaign, rep or ISO week of handoff:

- handed off: leads whose handoff was done;
- touched: share of those ever touched (a ``touch`` event up to ``as_of``);
- within SLA: share whose first-touch SLA (a response SLA that stops on ``touch``) was met,
  among those whose clock has settled (met or breached; pending clocks are left out);
- median and 90th percentile business minutes the first-touch clock ran before the first
  touch (paused time left out; leads touched so far; nearest-rank percentiles);
- attempts per handed-off lead;
- breaches of every SLA by accountable party (sales, marketing, capacity-overflow, ...).

The load against declared capacity per campaign-week comes from :mod:`leadcontract.capacity`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, Literal

from leadcontract.capacity import CapacityPlan, week_of
from leadcontract.model import Contract, SlaKind
from leadcontract.verdict import Verdict

__all__ = ["ComplianceRow", "GroupBy", "capacity_rows", "compliance", "first_touch_slas"]

GroupBy = Literal["campaign", "rep", "week"]


def first_touch_slas(contract: Contract) -> frozenset[str]:
    """SLAs that measure the first touch: response SLAs that stop on a ``touch`` event."""
    return frozenset(
        sla_id
        for sla_id, sla in contract.slas.items()
        if sla.kind is SlaKind.RESPONSE
        and sla.stop is not None
        and "touch" in (sla.stop.event or ())
    )


@dataclass
class ComplianceRow:
    """The follow-up figures of one group."""

    group: str
    leads: int = 0
    handed_off: int = 0
    touched: int = 0
    within_sla: int = 0
    measured: int = 0
    attempts: int = 0
    minutes_to_touch: list[int] = field(default_factory=list)
    breaches: Counter[str] = field(default_factory=Counter)

    @property
    def touched_share(self) -> float | None:
        return self.touched / self.handed_off if self.handed_off else None

    @property
    def within_sla_share(self) -> float | None:
        return self.within_sla / self.measured if self.measured else None

    @property
    def attempts_per_lead(self) -> float | None:
        return self.attempts / self.handed_off if self.handed_off else None

    def percentile(self, p: float) -> int | None:
        """Nearest-rank percentile of business minutes to first touch."""
        values = sorted(self.minutes_to_touch)
        if not values:
            return None
        return values[max(0, math.ceil(p / 100 * len(values)) - 1)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "leads": self.leads,
            "handed_off": self.handed_off,
            "touched": self.touched,
            "touched_share": _round(self.touched_share),
            "settled": self.measured,
            "within_sla": self.within_sla,
            "within_sla_share": _round(self.within_sla_share),
            "median_minutes_to_first_touch": self.percentile(50),
            "p90_minutes_to_first_touch": self.percentile(90),
            "attempts_per_lead": _round(self.attempts_per_lead),
            "breaches": dict(sorted(self.breaches.items())),
        }


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def compliance(
    verdicts: Iterable[Verdict],
    *,
    contract: Contract,
    zone: tzinfo,
    by: GroupBy = "campaign",
) -> list[ComplianceRow]:
    """Follow-up figures per group, in group order."""
    touch_slas = first_touch_slas(contract)
    rows: dict[str, ComplianceRow] = {}
    for verdict in verdicts:
        key = _group(verdict, by, zone)
        row = rows.setdefault(key, ComplianceRow(key))
        row.leads += 1
        for clock in verdict.slas:
            if clock.status == "breached":
                row.breaches[clock.party or "unknown"] += 1
        handoff = verdict.handoff
        if handoff is None or not handoff.done:
            continue
        row.handed_off += 1
        row.attempts += verdict.touches
        row.touched += verdict.touches > 0
        for clock in verdict.slas:
            if clock.sla not in touch_slas or clock.status not in ("met", "breached"):
                continue  # only settled clocks say whether the touch was within the SLA
            row.measured += 1
            row.within_sla += clock.status == "met"
            if clock.stop is not None and clock.elapsed_minutes is not None:
                row.minutes_to_touch.append(clock.elapsed_minutes)
            break
    return [rows[key] for key in sorted(rows)]


def _group(verdict: Verdict, by: GroupBy, zone: tzinfo) -> str:
    if by == "rep":
        return verdict.owner or "(no owner)"
    if by == "week":
        handoff = verdict.handoff
        at = handoff.at if handoff is not None and handoff.at is not None else None
        return week_of(at, zone) if at is not None else "(not handed off)"
    return verdict.campaign or "(no campaign)"


def capacity_rows(plan: CapacityPlan) -> list[Mapping[str, Any]]:
    """Load against declared capacity per campaign-week, for the report."""
    return [
        {
            "campaign": load.campaign,
            "week": load.week,
            "leads": load.leads,
            "expected": load.expected,
            "capacity": load.capacity,
            "overflow": load.overflow,
        }
        for load in plan.loads
    ]
