"""Run summaries: counts per stage and per campaign, built while verdicts stream past.

A :class:`Tally` takes each verdict and error row once, so a summary of a million leads costs
a few counters, not a second pass. The CLI prints it; embedding code can read its fields.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from leadcontract.inputs import RecordError
from leadcontract.verdict import Verdict

__all__ = ["CampaignTally", "Tally"]


@dataclass
class CampaignTally:
    """How one campaign's leads stand."""

    leads: int = 0
    handoff_due: int = 0
    handed_off: int = 0
    due_not_handed_off: int = 0
    missing_fields: int = 0
    disqualified_valid: int = 0
    disqualified_invalid: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Tally:
    """Counts over one evaluation run."""

    verdicts: int = 0
    error_rows: int = 0
    stages: Counter[str] = field(default_factory=Counter)
    campaigns: dict[str, CampaignTally] = field(default_factory=dict)
    error_codes: Counter[str] = field(default_factory=Counter)
    anomalies: int = 0
    """Anomalies noted in verdicts (stage moves the graph does not allow, SLA outcome events
    dated before the lead's creation): data the agreement could not use as it stands."""
    leads_with_anomalies: int = 0
    _by_campaign: dict[tuple[str | None, bool], CampaignTally] = field(
        default_factory=dict, repr=False, compare=False
    )
    """(campaign, handoff is None) → its tally in ``campaigns``."""

    def add(self, item: Verdict | RecordError) -> None:
        """Count one verdict or error row."""
        if isinstance(item, RecordError):
            self.error_rows += 1
            self.error_codes[item.code] += 1
            return
        self.verdicts += 1
        self.stages[item.stage.id] += 1
        noted = len(item.stage.anomalies)
        for clock in item.slas:  # a loop, not sum() over a generator: once per verdict
            noted += len(clock.anomalies)
        if noted:
            self.anomalies += noted
            self.leads_with_anomalies += 1
        handoff = item.handoff
        campaign = item.campaign
        tally = self._by_campaign.get((campaign, handoff is None))
        if tally is None:
            tally = self._campaign(campaign, in_contract=handoff is not None)
        tally.leads += 1
        if handoff is not None:
            tally.handoff_due += handoff.due
            tally.handed_off += handoff.done
            tally.due_not_handed_off += handoff.due and not handoff.done
            tally.missing_fields += bool((handoff.due or handoff.done) and handoff.missing_fields)
        dq = item.disqualification
        if dq is not None:
            if dq.valid:
                tally.disqualified_valid += 1
            else:
                tally.disqualified_invalid += 1

    def _campaign(self, campaign: str | None, *, in_contract: bool) -> CampaignTally:
        """The tally of a verdict's campaign, by the name the summary shows it under (looked
        up once per campaign and whether the contract has it, not once per verdict)."""
        name = campaign if campaign is not None else "(none)"
        if not in_contract and campaign is not None:
            name = f"{campaign} (not in contract)"
        tally = self.campaigns.get(name)
        if tally is None:
            tally = self.campaigns[name] = CampaignTally()
        self._by_campaign[campaign, not in_contract] = tally
        return tally

    def merge(self, other: Tally) -> None:
        """Add another tally's counts (of a disjoint part of the same run) to this one."""
        self.verdicts += other.verdicts
        self.error_rows += other.error_rows
        self.stages.update(other.stages)
        self.error_codes.update(other.error_codes)
        self.anomalies += other.anomalies
        self.leads_with_anomalies += other.leads_with_anomalies
        for name, part in other.campaigns.items():
            tally = self.campaigns.setdefault(name, CampaignTally())
            for key, value in part.__dict__.items():
                setattr(tally, key, getattr(tally, key) + value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdicts": self.verdicts,
            "error_rows": self.error_rows,
            "stages": dict(sorted(self.stages.items())),
            "campaigns": {k: v.to_dict() for k, v in sorted(self.campaigns.items())},
            "error_codes": dict(sorted(self.error_codes.items())),
            "anomalies": self.anomalies,
            "leads_with_anomalies": self.leads_with_anomalies,
        }
