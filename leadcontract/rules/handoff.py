"""Handoff: is the lead sales' job yet under its campaign's agreement, and was it handed over
properly?

A handoff is *due* once the lead has reached the campaign's handoff stage (or a funnel stage
after it). It is *done* when a ``handoff`` event was recorded or, for a campaign handed over
raw (its handoff stage is the first stage), when the lead was created. The fields the
campaign requires at handoff that are empty are listed, so marketing knows what it owes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadcontract.model import Campaign, Contract, StageRole
from leadcontract.rules.scoring import EventIndex
from leadcontract.verdict import Fact, Handoff, TraceStep

__all__ = ["NOT_FUNNEL_ROLES", "CompiledHandoffs"]

NOT_FUNNEL_ROLES = frozenset({StageRole.NURTURE, StageRole.DISQUALIFIED, StageRole.LOST})
"""Stages that do not count as progress towards (or past) a handoff point."""


@dataclass(frozen=True, slots=True)
class _Plan:
    id: str
    campaign: Campaign
    order: int
    raw: bool
    due_at: frozenset[str]
    """Funnel stages at or after the handoff stage: reaching any of them makes it due."""
    qualified_by: str
    to: str
    step: str
    """The trace step's name, place and note (the same for every lead of the campaign)."""
    pointer: str
    note: str


class CompiledHandoffs:
    """Every campaign's handoff point, ready to judge leads."""

    def __init__(self, contract: Contract) -> None:
        stages = contract.lead.lifecycle.stages
        self._order = {stage.id: i for i, stage in enumerate(stages)}
        self._funnel = {
            stage.id for stage in stages if stage.effective_role not in NOT_FUNNEL_ROLES
        }
        first = stages[0].id
        self._plans: dict[str, _Plan] = {}
        for campaign_id, campaign in contract.campaigns.items():
            order = self._order.get(campaign.handoff.stage, 0)
            due_at = frozenset(s for s in self._funnel if self._order[s] >= order)
            raw = campaign.handoff.stage == first
            handoff = campaign.handoff
            self._plans[campaign_id] = _Plan(
                campaign_id,
                campaign,
                order,
                raw,
                due_at,
                handoff.qualified_by.value,
                handoff.to.value,
                f"handoff.{campaign_id}",
                f"/campaigns/{campaign_id}/handoff",
                f"hands off at `{handoff.stage}`, qualified by {handoff.qualified_by.value}",
            )

    def judge(
        self,
        campaign_id: str | None,
        record: Mapping[str, Any],
        *,
        reached: Mapping[str, datetime],
        events: EventIndex,
        created: datetime | None,
        steps: list[TraceStep] | None,
    ) -> Handoff | None:
        """The handoff verdict of one lead, or None when its campaign is not in the contract."""
        plan = self._plans.get(campaign_id) if campaign_id is not None else None
        if plan is None:
            if steps is not None:
                steps.append(
                    TraceStep(
                        "handoff",
                        "/campaigns",
                        "no campaign",
                        (Fact("campaign", campaign_id),),
                        "the lead's campaign is not in the contract, so no handoff applies",
                    )
                )
            return None
        handoff = plan.campaign.handoff
        due = not plan.due_at.isdisjoint(reached)
        handed = events.by_type.get("handoff")
        if handed:
            done, at, by = True, handed[0].at, handed[0].actor
        elif plan.raw and created is not None:
            done, at, by = True, created, None
        else:
            done, at, by = False, None, None
        missing = tuple(name for name in handoff.required_fields if record.get(name) in (None, ""))
        if steps is not None:
            facts = tuple(
                Fact(name, record.get(name), "set", "is set", name not in missing)
                for name in handoff.required_fields
            )
            state = "done" if done else ("due" if due else "not due")
            steps.append(
                TraceStep(
                    plan.step,
                    plan.pointer,
                    f"{state}; {len(missing)} required field(s) missing",
                    facts,
                    plan.note,
                )
            )
        # Positional, in the fields' order (campaign, stage, qualified_by, to, due, done, at,
        # by, missing_fields): a keyword call costs twice as much, once per lead.
        return Handoff(
            plan.id, handoff.stage, plan.qualified_by, plan.to, due, done, at, by, missing
        )
