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

from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from leadcontract._spill import SpillFile
from leadcontract.model import Contract
from leadcontract.safe_text import shortened

__all__ = [
    "CapacityPlan",
    "CapacityRanking",
    "SortedOverflow",
    "WeekLoad",
    "overflowed",
    "plan_capacity",
    "plan_capacity_sorted",
    "week_of",
]


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
    overflow: Container[str]
    """The ids that overflowed (a set; for a sorted run, answered in id order)."""


class CapacityRanking:
    """The ranking :func:`plan_capacity` makes, built record by record and mergeable.

    For each campaign-week it keeps the number of leads and only the first ``capacity`` of
    them (by creation time, then id), so its memory is bounded by the plans, not by the
    leads. Partitions of the leads by id (as ``evaluate --workers`` and the spilled path make
    them) each build one; merged, they give the same plan as one ranking over all leads.
    """

    def __init__(self, contract: Contract, zone: tzinfo) -> None:
        self._contract = contract
        self._zone = zone
        self._keys = contract.lead.keys
        self.weeks: dict[tuple[str, str], tuple[int, list[tuple[datetime, str]]]] = {}
        """(campaign, week) → (leads, the first ``capacity`` of them, in rank order)."""

    def entry(self, record: Mapping[str, Any]) -> tuple[str, str, datetime, str] | None:
        """A coerced lead record's entry (campaign, week, created, lead id) when a plan counts
        it, else None."""
        keys = self._keys
        campaign_id = record.get(keys.campaign)
        campaign = (
            self._contract.campaigns.get(campaign_id) if isinstance(campaign_id, str) else None
        )
        created = record.get(keys.created)
        if campaign is None or campaign.capacity is None or not isinstance(created, datetime):
            return None
        assert isinstance(campaign_id, str)
        return campaign_id, week_of(created, self._zone), created, str(record.get(keys.id))

    def add_entry(self, entry: tuple[str, str, datetime, str]) -> None:
        """Rank one entry (the first of its lead id: the caller skips repeats). Whether it
        overflowed is known once every lead is ranked (:meth:`cutoffs`)."""
        campaign_id, week, created, lead_id = entry
        count, first = self.weeks.get((campaign_id, week), (0, []))
        first.append((created, lead_id))
        plan = self._contract.campaigns[campaign_id].capacity
        assert plan is not None
        if len(first) > 2 * plan.weekly_capacity + 16:  # amortised: sort and cut now and then
            first.sort()
            del first[plan.weekly_capacity :]
        self.weeks[campaign_id, week] = (count + 1, first)

    def merge(self, other: CapacityRanking) -> None:
        """Add the ranking of a disjoint set of lead ids."""
        for key, (count, first) in other.weeks.items():
            mine, kept = self.weeks.get(key, (0, []))
            self.weeks[key] = (mine + count, [*kept, *first])

    def cutoffs(self) -> dict[tuple[str, str], tuple[datetime, str]]:
        """For each campaign-week that overflowed, its last lead within capacity: leads ranked
        after it overflowed."""
        found: dict[tuple[str, str], tuple[datetime, str]] = {}
        for (campaign_id, week), (count, first) in self.weeks.items():
            plan = self._contract.campaigns[campaign_id].capacity
            assert plan is not None
            if count > plan.weekly_capacity:
                first.sort()
                found[campaign_id, week] = (
                    first[plan.weekly_capacity - 1] if plan.weekly_capacity else _BEFORE_ALL
                )
        return found

    def loads(self) -> tuple[WeekLoad, ...]:
        contract = self._contract
        loads: list[WeekLoad] = []
        for (campaign_id, week), (count, _) in sorted(self.weeks.items()):
            plan = contract.campaigns[campaign_id].capacity
            assert plan is not None
            loads.append(
                WeekLoad(campaign_id, week, count, plan.leads_per_week, plan.weekly_capacity)
            )
        return tuple(loads)


_BEFORE_ALL = (datetime.min.replace(tzinfo=UTC), "")
"""The cutoff of a week with no capacity at all: every lead ranks after it."""


def overflowed(
    entries: Iterable[tuple[str, str, datetime, str]],
    cutoffs: Mapping[tuple[str, str], tuple[datetime, str]],
) -> frozenset[str]:
    """The lead ids among ``entries`` (from :meth:`CapacityRanking.add`) beyond capacity."""
    return frozenset(
        lead_id
        for campaign_id, week, created, lead_id in entries
        if (cutoff := cutoffs.get((campaign_id, week))) is not None and (created, lead_id) > cutoff
    )


def plan_capacity(
    contract: Contract, zone: tzinfo, leads: Iterable[Mapping[str, Any]]
) -> CapacityPlan:
    """Rank each campaign-week's leads and find the overflow (see the module docs).

    ``leads`` are coerced lead records. A lead id seen before is skipped: as in evaluation,
    the first record of an id is the lead, later ones are duplicate rows.
    """
    ranking = CapacityRanking(contract, zone)
    entries: list[tuple[str, str, datetime, str]] = []
    seen: set[str] = set()
    for record in leads:
        lead_id = str(record.get(contract.lead.keys.id))
        if lead_id in seen:
            continue
        seen.add(lead_id)
        entry = ranking.entry(record)
        if entry is not None:
            ranking.add_entry(entry)
            entries.append(entry)
    return CapacityPlan(ranking.loads(), overflowed(entries, ranking.cutoffs()))


class SortedOverflow:
    """Whether a lead overflowed, for leads asked about in id order (a ``--grouped`` run):
    answered from the ranked entries, kept on disk in the same order, so no set of ids is held.
    """

    def __init__(
        self,
        entries: Iterator[tuple[str, str, datetime, str]],
        cutoffs: Mapping[tuple[str, str], tuple[datetime, str]],
    ) -> None:
        self._entries = entries
        self._cutoffs = cutoffs
        self._next = next(entries, None)

    def __contains__(self, lead_id: object) -> bool:
        entry = self._next
        while entry is not None and entry[3] < str(lead_id):
            entry = self._next = next(self._entries, None)
        if entry is None or entry[3] != lead_id:
            return False
        campaign_id, week, created, _ = entry
        cutoff = self._cutoffs.get((campaign_id, week))
        return cutoff is not None and (created, lead_id) > cutoff


def plan_capacity_sorted(
    contract: Contract,
    zone: tzinfo,
    leads: Iterable[Mapping[str, Any]],
    *,
    scratch: Path | None = None,
) -> CapacityPlan:
    """:func:`plan_capacity` for leads sorted by id, in memory bounded by the plans alone.

    The ranked entries wait in a temporary file (in ``scratch``; None: the system's
    temporary folder); the plan's ``overflow`` answers for leads asked about in id order (as
    a grouped evaluation asks). Raises :class:`ValueError` when the ids are not sorted.
    """
    ranking = CapacityRanking(contract, zone)
    entries = SpillFile(rows=False, folder=scratch)
    try:
        _rank_sorted(ranking, entries, leads, contract.lead.keys.id)
    except BaseException:
        entries.remove()
        raise
    entries.close()
    return CapacityPlan(ranking.loads(), SortedOverflow(entries.read(), ranking.cutoffs()))


def _rank_sorted(
    ranking: CapacityRanking, entries: SpillFile, leads: Iterable[Mapping[str, Any]], id_key: str
) -> None:
    previous: str | None = None
    for record in leads:
        lead_id = str(record.get(id_key))
        if previous is not None and lead_id <= previous:
            if lead_id == previous:
                continue  # a repeat of the id: the first record is the lead
            raise ValueError(
                f"lead `{shortened(lead_id)}` comes after `{shortened(previous)}`; grouped "
                "evaluation needs leads sorted by id"
            )
        previous = lead_id
        entry = ranking.entry(record)
        if entry is not None:
            ranking.add_entry(entry)
            entries.add(entry)
