"""The follow-up compliance report: did sales follow up the leads marketing handed off?

Built from verdicts (and the capacity plan), grouped by campaign, owner, the first toucher,
the rep of a role (``role:sdr``: the first toucher who holds the role, else the owner if they
hold it), or ISO week of handoff:

- handed off: leads whose handoff was done;
- touched: share of those ever touched (a ``touch`` event up to ``as_of``);
- within SLA: share whose first-touch SLA (a response SLA that stops on ``touch``) was met,
  among those whose clock has settled (met or breached; pending clocks are left out);
- median and 90th percentile business minutes the first-touch clock ran before the first
  touch (paused time left out; leads touched so far; nearest-rank percentiles);
- attempts per handed-off lead;
- breaches of every SLA by accountable party (sales, marketing, capacity-overflow, ...).

:func:`sla_compliance` gives the per-SLA view: for every SLA and group, how many clocks are
met, breached, excused (breached, but accountable to ``capacity-overflow``), pending, at risk,
paused, cancelled or not applicable.

The load against declared capacity per campaign-week comes from :mod:`leadcontract.capacity`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from leadcontract.capacity import CapacityPlan, week_of
from leadcontract.model import Contract, SlaKind
from leadcontract.verdict import Verdict

__all__ = [
    "EXCUSED_PARTIES",
    "GROUPINGS",
    "SLA_STATUSES",
    "ComplianceRow",
    "GroupBy",
    "SlaRow",
    "breach_columns",
    "capacity_rows",
    "compliance",
    "first_touch_slas",
    "group_key",
    "sla_compliance",
]

GroupBy = str
"""``campaign``, ``owner`` (``rep`` is the same), ``toucher``, ``week``, or ``role:<role>``."""

GROUPINGS = ("campaign", "owner", "rep", "toucher", "week", "role:<role>")
"""What a report can be grouped by, as the command line lists it."""

EXCUSED_PARTIES = frozenset({"capacity-overflow"})
"""Accountable parties that excuse a breach: the lead came beyond the declared capacity."""

SLA_STATUSES = (
    "met",
    "breached",
    "excused",
    "pending",
    "at_risk",
    "paused",
    "cancelled",
    "not_applicable",
)


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
        """Plain built-ins; ``breaches`` is a mapping of party to count."""
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


@dataclass
class SlaRow:
    """How one SLA's clocks stand in one group: a count per status."""

    sla: str
    group: str
    counts: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        """``sla``, ``group``, then one count per status in :data:`SLA_STATUSES` order."""
        return {
            "sla": self.sla,
            "group": self.group,
            **{status: self.counts[status] for status in SLA_STATUSES},
        }


def breach_columns(rows: Iterable[ComplianceRow]) -> list[str]:
    """Every accountable party that appears in ``rows``, sorted: one CSV column each."""
    return sorted({party for row in rows for party in row.breaches})


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def compliance(
    verdicts: Iterable[Verdict],
    *,
    contract: Contract,
    zone: tzinfo,
    by: GroupBy = "campaign",
) -> list[ComplianceRow]:
    """Follow-up figures per group, in group order (``by``: see :data:`GroupBy`)."""
    touch_slas = first_touch_slas(contract)
    key_of = group_key(by, contract, zone)
    rows: dict[str, ComplianceRow] = {}
    for verdict in verdicts:
        key = key_of(verdict)
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


def sla_compliance(
    verdicts: Iterable[Verdict],
    *,
    contract: Contract,
    zone: tzinfo,
    by: GroupBy = "campaign",
) -> list[SlaRow]:
    """Per SLA and group, how many clocks are met, breached, excused, pending and so on; in
    SLA then group order. A breach accountable to a party in :data:`EXCUSED_PARTIES` counts
    as ``excused``, not ``breached``."""
    key_of = group_key(by, contract, zone)
    rows: dict[tuple[str, str], SlaRow] = {}
    for verdict in verdicts:
        key = key_of(verdict)
        for clock in verdict.slas:
            row = rows.get((clock.sla, key))
            if row is None:
                row = rows[clock.sla, key] = SlaRow(clock.sla, key)
            excused = clock.status == "breached" and clock.party in EXCUSED_PARTIES
            row.counts["excused" if excused else clock.status] += 1
    return [rows[key] for key in sorted(rows)]


def group_key(by: GroupBy, contract: Contract, zone: tzinfo) -> Callable[[Verdict], str]:
    """The function that names a verdict's group; :class:`ValueError` for an unknown ``by``
    or a role that no rep of the contract plays."""
    if by == "campaign":
        return lambda verdict: verdict.campaign or "(no campaign)"
    if by in ("rep", "owner"):
        return lambda verdict: verdict.owner or "(no owner)"
    if by == "toucher":
        return lambda verdict: verdict.touched_by[0] if verdict.touched_by else "(not touched)"
    if by == "week":

        def week(verdict: Verdict) -> str:
            handoff = verdict.handoff
            at = handoff.at if handoff is not None and handoff.at is not None else None
            return week_of(at, zone) if at is not None else "(not handed off)"

        return week
    if by.startswith("role:"):
        return _role_key(by.removeprefix("role:"), contract)
    raise ValueError(f"cannot group by {by!r}: expected one of {', '.join(GROUPINGS)}")


def _role_key(role: str, contract: Contract) -> Callable[[Verdict], str]:
    holders = frozenset(rep_id for rep_id, rep in contract.reps.items() if role in _roles(rep))
    if not holders:
        known = sorted({r for rep in contract.reps.values() for r in _roles(rep)})
        raise ValueError(f"no rep has the role {role!r}; the roles are: {', '.join(known)}")

    def key(verdict: Verdict) -> str:
        for actor in verdict.touched_by:
            if actor in holders:
                return actor
        if verdict.owner in holders:
            return verdict.owner
        return f"(no {role})"

    return key


def _roles(rep: Any) -> tuple[str, ...]:
    """A rep's roles, whether the contract gives one ``role`` or a list of ``roles``."""
    roles = getattr(rep, "roles", None)
    if roles:
        return tuple(roles)
    return (rep.role,)


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
