"""Checks on campaigns: handoff points, windows and the capacity plan."""

from __future__ import annotations

from collections.abc import Iterator

from leadcontract.checks._context import LintContext, check
from leadcontract.diagnostics import Diagnostic
from leadcontract.model import StageRole

AFTER_HANDOFF = (
    StageRole.OPPORTUNITY,
    StageRole.WON,
    StageRole.LOST,
    StageRole.NURTURE,
    StageRole.DISQUALIFIED,
)
"""Roles at which a lead has already left marketing's hands for good or for now."""


@check("LC501")
def check_handoff_before_opportunity(ctx: LintContext) -> Iterator[Diagnostic]:
    """A campaign hands leads off at a funnel stage that comes before the opportunity."""
    opportunity = ctx.stage_by_role.get(StageRole.OPPORTUNITY)
    for campaign_id, campaign in ctx.contract.campaigns.items():
        stage_id = campaign.handoff.stage
        if stage_id not in ctx.stage_index:
            continue  # reported as an unknown stage
        stage = ctx.stages[ctx.stage_index[stage_id]]
        pointer = f"/campaigns/{campaign_id}/handoff/stage"
        if stage.effective_role in AFTER_HANDOFF:
            yield ctx.report(
                "LC501",
                f"campaign `{campaign_id}` hands off at `{stage_id}` "
                f"(role {stage.effective_role.value if stage.effective_role else ''}), "
                "which is not a funnel stage before the opportunity",
                pointer,
                hint="hand off at inquiry, MQL, SAL or SQL",
            )
        elif (
            opportunity is not None and ctx.stage_index[stage_id] >= ctx.stage_index[opportunity.id]
        ):
            yield ctx.report(
                "LC501",
                f"campaign `{campaign_id}` hands off at `{stage_id}`, which comes after "
                f"`{opportunity.id}` in the stage order",
                pointer,
                hint="hand off at a stage listed before the opportunity stage",
            )


@check("LC502")
def check_capacity(ctx: LintContext) -> Iterator[Diagnostic]:
    """Expected leads per week fit within reps × leads per rep per week."""
    for campaign_id, campaign in ctx.contract.campaigns.items():
        plan = campaign.capacity
        if plan is None or plan.leads_per_week <= plan.weekly_capacity:
            continue
        short = plan.leads_per_week - plan.weekly_capacity
        reps_needed = -(-plan.leads_per_week // plan.leads_per_rep_per_week)
        yield ctx.report(
            "LC502",
            f"campaign `{campaign_id}` expects {plan.leads_per_week} leads a week but "
            f"{_count(plan.reps, 'rep')} × {_count(plan.leads_per_rep_per_week, 'lead')} "
            f"each can work {plan.weekly_capacity}: {_count(short, 'lead')} a week would go "
            "unworked",
            f"/campaigns/{campaign_id}/capacity",
            key=True,
            hint=f"plan {reps_needed} reps, or lower `leads_per_week`",
        )


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


@check("LC503")
def check_campaign_windows(ctx: LintContext) -> Iterator[Diagnostic]:
    """A campaign's window ends on or after its start."""
    for campaign_id, campaign in ctx.contract.campaigns.items():
        window = campaign.window
        if window.end is not None and window.end < window.start:
            yield ctx.report(
                "LC503",
                f"campaign `{campaign_id}` ends on {window.end}, before it starts on "
                f"{window.start}",
                f"/campaigns/{campaign_id}/window/end",
            )
