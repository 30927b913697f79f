"""Handoff through the engine: when a lead is due to sales, whether it was handed over, and
what marketing still owes.

Contract: tests/fixtures/engine/contract.yaml. Campaign `demo` hands off raw (at `inquiry`,
the first stage) and requires email and company; campaign `webinar` hands off at `mql` and
requires email, company, title and phone. MQL needs score >= 60 and fit_score >= 20.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

import engine_support
import pytest
from engine_support import DAY, T0, event

from leadcontract.engine import CompiledContract
from leadcontract.verdict import Fact, Handoff, TraceStep

# These tests have never asserted that a run's counts reconcile (test_engine_inputs.py does).
verdict_of = partial(engine_support.verdict_of, check_counts=False)


def lead(**fields: Any) -> dict[str, Any]:
    """A lead with every field either campaign requires for handoff."""
    required = {"company": "Acme", "title": "VP Operations", "phone": "555-0100"}
    return engine_support.lead(**{**required, **fields})


def mql_events(at: datetime = T0 + DAY) -> list[dict[str, Any]]:
    """With fit 40, two webinars at ``at`` make the lead an MQL at ``at``."""
    return [event("webinar_attended", at), event("webinar_attended", at)]


# --- raw handoff ------------------------------------------------------------------------------


def test_raw_handoff_is_due_and_done_at_creation(engine: CompiledContract) -> None:
    verdict = verdict_of(engine, lead(campaign="demo"))
    assert verdict.campaign == "demo"
    assert verdict.handoff == Handoff(
        campaign="demo",
        stage="inquiry",
        qualified_by="sales",
        to="sales",
        due=True,
        done=True,
        at=T0,
        by=None,
        missing_fields=(),
    )
    assert verdict.handoff.complete


def test_raw_handoff_with_a_handoff_event_is_done_then(engine: CompiledContract) -> None:
    events = [event("handoff", T0 + timedelta(hours=1), actor="marketing-ops")]
    handoff = verdict_of(engine, lead(campaign="demo"), events).handoff
    assert handoff is not None
    assert handoff.done
    assert handoff.at == T0 + timedelta(hours=1)
    assert handoff.by == "marketing-ops"


def test_raw_handoff_lists_missing_required_fields(engine: CompiledContract) -> None:
    handoff = verdict_of(engine, lead(campaign="demo", company="  ")).handoff
    assert handoff is not None
    assert handoff.done
    assert handoff.missing_fields == ("company",)
    assert not handoff.complete


# --- MQL handoff ------------------------------------------------------------------------------


def test_mql_handoff_is_not_due_before_mql(engine: CompiledContract) -> None:
    verdict = verdict_of(engine, lead(industry="software", employees=600))
    assert verdict.stage.id == "inquiry"
    assert verdict.handoff == Handoff(
        campaign="webinar",
        stage="mql",
        qualified_by="marketing",
        to="sales",
        due=False,
        done=False,
        at=None,
        by=None,
        missing_fields=(),
    )


def test_mql_handoff_is_due_once_mql_is_reached(engine: CompiledContract) -> None:
    verdict = verdict_of(engine, lead(industry="software", employees=600), mql_events())
    assert verdict.stage.id == "mql"
    handoff = verdict.handoff
    assert handoff is not None
    assert handoff.due
    assert not handoff.done
    assert handoff.at is None
    assert handoff.by is None


def test_mql_handoff_is_done_with_a_handoff_event(engine: CompiledContract) -> None:
    events = [
        *mql_events(),
        event("handoff", T0 + 2 * DAY, actor="marketing-ops"),
        event("handoff", T0 + 3 * DAY, actor="someone-else"),  # the first one counts
    ]
    handoff = verdict_of(engine, lead(industry="software", employees=600), events).handoff
    assert handoff is not None
    assert handoff.due
    assert handoff.done
    assert handoff.at == T0 + 2 * DAY
    assert handoff.by == "marketing-ops"
    assert handoff.complete


def test_a_handoff_event_before_the_handoff_stage_counts_as_done(
    engine: CompiledContract,
) -> None:
    handoff = verdict_of(engine, lead(), [event("handoff", T0 + DAY, actor="ann")]).handoff
    assert handoff is not None
    assert not handoff.due
    assert handoff.done


def test_mql_handoff_stays_due_after_the_lead_moves_on(engine: CompiledContract) -> None:
    events = [*mql_events(), event("disqualified", T0 + 2 * DAY, reason="spam")]
    verdict = verdict_of(engine, lead(industry="software", employees=600), events)
    assert verdict.stage.id == "disqualified"
    assert verdict.handoff is not None
    assert verdict.handoff.due


def test_a_lead_accepted_past_the_handoff_stage_is_due(engine: CompiledContract) -> None:
    verdict = verdict_of(engine, lead(), [event("accepted", T0 + DAY)])
    assert verdict.stage.id == "sal"
    assert verdict.handoff is not None
    assert verdict.handoff.due


def test_nurture_and_disqualified_are_not_progress_to_a_handoff(
    engine: CompiledContract,
) -> None:
    # inquiry -> disqualified -> nurture: stages after mql in order, but not in the funnel.
    events = [event("disqualified", T0 + DAY, reason="no-budget")]
    verdict = verdict_of(engine, lead(), events)
    assert verdict.stage.id == "nurture"
    assert verdict.handoff is not None
    assert not verdict.handoff.due


def test_missing_required_fields_are_listed_in_contract_order(engine: CompiledContract) -> None:
    record = lead(industry="software", employees=600, title=None, phone="", company=None)
    handoff = verdict_of(engine, record, mql_events()).handoff
    assert handoff is not None
    assert handoff.due
    assert handoff.missing_fields == ("company", "title", "phone")
    assert not handoff.complete


# --- unknown campaigns and the trace ------------------------------------------------------------


@pytest.mark.parametrize("campaign", ["partner", None])
def test_unknown_campaign_has_no_handoff(engine: CompiledContract, campaign: str | None) -> None:
    verdict = verdict_of(engine, lead(campaign=campaign))
    assert verdict.campaign == campaign
    assert verdict.handoff is None
    step = next(step for step in verdict.trace if step.rule == "handoff")
    assert step == TraceStep(
        "handoff",
        "/campaigns",
        "no campaign",
        (Fact("campaign", campaign),),
        "the lead's campaign is not in the contract, so no handoff applies",
    )


def test_handoff_trace_step_lists_the_required_fields(engine: CompiledContract) -> None:
    record = lead(industry="software", employees=600, title=None, phone=None)
    verdict = verdict_of(engine, record, mql_events())
    step = next(step for step in verdict.trace if step.rule.startswith("handoff"))
    assert step == TraceStep(
        "handoff.webinar",
        "/campaigns/webinar/handoff",
        "due; 2 required field(s) missing",
        (
            Fact("email", "pat@acme.example", "set", "is set", True),
            Fact("company", "Acme", "set", "is set", True),
            Fact("title", None, "set", "is set", False),
            Fact("phone", None, "set", "is set", False),
        ),
        "hands off at `mql`, qualified by marketing",
    )


def test_handoff_trace_step_says_done(engine: CompiledContract) -> None:
    verdict = verdict_of(engine, lead(campaign="demo"))
    step = next(step for step in verdict.trace if step.rule.startswith("handoff"))
    assert step.rule == "handoff.demo"
    assert step.outcome == "done; 0 required field(s) missing"
    assert step.note == "hands off at `inquiry`, qualified by sales"
