"""Capacity: which leads came beyond a campaign's declared weekly capacity.

A campaign's plan declares how many leads it delivers in a week and how many its reps can
work (reps × leads per rep per week). Leads are counted per campaign and per ISO week (Monday
to Sunday, in the contract's time zone) of their creation, which is when the campaign
delivered them. Within a week they are ranked by creation time, then by lead id: first come,
first served. Those ranked beyond the reps' capacity are the *overflow*: a breach of their
follow-up SLAs is excused as ``capacity-overflow`` instead of being blamed on sales, because
the plan the campaign agreed to did not staff for them.

Ranking needs every lead of the week, so it is a pass of its own over the inputs, made before
evaluation (:meth:`leadcontract.engine.CompiledContract.plan_capacity`); the CLI makes it when
its inputs are files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from leadcontract.model import Contract

__all__ = ["CapacityPlan", "WeekLoad", "plan_capacity", "week_of"]


def week_of(at: datetime, zone: tzinfo) -> str:
    """The ISO week of an instant in ``zone``, e.g. ``2026-W44``."""
    year, week, _ = at.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class WeekLoad:
    """One campaign-week: leads delivered against the declared capacity."""

    campaign: str
    week: str
    leads: int
    expected: int
    capacity: int

    @property
    def overflow(self) -> int:
        return max(0, self.leads - self.capacity)


@dataclass(frozen=True)
class CapacityPlan:
    """The load of every campaign-week, and the lead ids that overflowed."""

    loads: tuple[WeekLoad, ...]
    overflow: frozenset[str]


def plan_capacity(
    contract: Contract, zone: tzinfo, leads: Iterable[Mapping[str, Any]]
) -> CapacityPlan:
    """Rank each campaign-week's leads and find the overflow (see the module docs).

    ``leads`` are coerced lead records. A lead id seen before is skipped: as in evaluation,
    the first record of an id is the lead, later ones are duplicate rows.
    """
    keys = contract.lead.keys
    weeks: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
    seen: set[str] = set()
    for record in leads:
        lead_id = str(record.get(keys.id))
        if lead_id in seen:
            continue
        seen.add(lead_id)
        campaign_id = record.get(keys.campaign)
        campaign = contract.campaigns.get(campaign_id) if isinstance(campaign_id, str) else None
        created = record.get(keys.created)
        if campaign is None or campaign.capacity is None or not isinstance(created, datetime):
            continue
        assert isinstance(campaign_id, str)
        weeks.setdefault((campaign_id, week_of(created, zone)), []).append((created, lead_id))
    loads: list[WeekLoad] = []
    overflow: set[str] = set()
    for (campaign_id, week), arrivals in sorted(weeks.items()):
        plan = contract.campaigns[campaign_id].capacity
        assert plan is not None
        arrivals.sort()
        overflow.update(lead_id for _, lead_id in arrivals[plan.weekly_capacity :])
        loads.append(
            WeekLoad(campaign_id, week, len(arrivals), plan.leads_per_week, plan.weekly_capacity)
        )
    return CapacityPlan(tuple(loads), frozenset(overflow))
