"""The lifecycle through the engine, in the documented order of evaluation.

Contract: tests/fixtures/engine/contract.yaml. MQL needs score >= 60 and fit_score >= 20;
engagement halves every 10 days; `no-budget` recycles to nurture after 10 days, at most once;
`wrong-person` needs a note. Every lead is created at T0 (2026-06-01 00:00 UTC).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from engine_support import AS_OF, DAY, T0, event, lead, verdict_of

from leadcontract.engine import CompiledContract
from leadcontract.inputs import RawRecord
from leadcontract.verdict import (
    Disqualification,
    Fact,
    StageChange,
    StageVerdict,
    TraceStep,
    Verdict,
)


def fit40(**fields: Any) -> dict[str, Any]:
    """A lead whose fit is 40 (software, 600 employees)."""
    return lead(industry="software", employees=600, **fields)


def path(verdict: Verdict) -> list[tuple[str, datetime | None, str]]:
    return [(change.stage, change.at, change.cause) for change in verdict.stage.history]


CREATED = ("inquiry", T0, "created")


# --- start and criteria -----------------------------------------------------------------------


def test_a_lead_starts_in_the_first_stage_at_its_creation(engine: CompiledContract) -> None:
    verdict = verdict_of(engine, lead())
    assert verdict.stage == StageVerdict(
        id="inquiry",
        role="inquiry",
        since=T0,
        history=(StageChange("inquiry", T0, "created"),),
        anomalies=(),
    )
    assert verdict.disqualification is None


def test_criteria_promote_when_they_first_hold(engine: CompiledContract) -> None:
    # fit 20. Webinar at +1d: 40. Webinar at +2d: 20 * 0.5**0.1 + 20 = 38.66 -> 58.66.
    # Pricing at +3d: 17.41 + 18.66 + 10 = 46.07 -> 66.07 >= 60: MQL at +3d.
    events = [
        event("webinar_attended", T0 + 1 * DAY),
        event("webinar_attended", T0 + 2 * DAY),
        event("pricing_page_visit", T0 + 3 * DAY),
    ]
    verdict = verdict_of(engine, lead(industry="software"), events)
    assert verdict.stage.id == "mql"
    assert verdict.stage.role == "mql"
    assert verdict.stage.since == T0 + 3 * DAY
    assert path(verdict) == [CREATED, ("mql", T0 + 3 * DAY, "criteria of mql")]
    checks = [step for step in verdict.trace if step.rule == "lifecycle.mql"]
    assert checks[-1] == TraceStep(
        "lifecycle.mql",
        "/lead/lifecycle/stages/1/when",
        "criteria met",
        (Fact("score", 66.07, 60.0, ">=", True), Fact("fit_score", 20.0, 20.0, ">=", True)),
        "checked at 2026-06-04T00:00:00+00:00 from `inquiry`",
    )
    assert checks[-2] == TraceStep(
        "lifecycle.mql",
        "/lead/lifecycle/stages/1/when",
        "criteria not met",
        (Fact("score", 58.66, 60.0, ">=", False),),
        "checked at 2026-06-03T00:00:00+00:00 from `inquiry`",
    )


def test_criteria_holding_at_creation_promote_at_creation(engine: CompiledContract) -> None:
    # A webinar at the creation instant itself: 40 + 20 = 60.
    verdict = verdict_of(engine, fit40(), [event("webinar_attended", T0)])
    assert path(verdict) == [CREATED, ("mql", T0, "criteria of mql")]


def test_stages_are_sticky_when_the_score_decays(engine: CompiledContract) -> None:
    # MQL at +1d with 40 + 20 = 60; by as_of the webinar is worth 20 * 0.5**2.9 = 2.68.
    events = [event("webinar_attended", T0 + DAY)]
    verdict = verdict_of(engine, fit40(), events)
    assert verdict.score.total == 42.68
    assert verdict.stage.id == "mql"
    assert verdict.stage.since == T0 + DAY
    assert path(verdict) == [CREATED, ("mql", T0 + DAY, "criteria of mql")]


def test_all_criteria_must_hold(engine: CompiledContract) -> None:
    # Score 60 from engagement alone, but fit_score 0 < 20.
    events = [event("webinar_attended", AS_OF)] * 2 + [event("pricing_page_visit", AS_OF)] * 2
    verdict = verdict_of(engine, lead(), events)
    assert verdict.score.total == 60.0
    assert verdict.stage.id == "inquiry"
    last = [step for step in verdict.trace if step.rule == "lifecycle.mql"][-1]
    assert last.outcome == "criteria not met"
    assert last.facts == (
        Fact("score", 60.0, 60.0, ">=", True),
        Fact("fit_score", 0.0, 20.0, ">=", False),
    )


# --- events -----------------------------------------------------------------------------------


def test_event_driven_moves_down_the_funnel_to_won(engine: CompiledContract) -> None:
    events = [
        event("accepted", T0 + 1 * DAY),
        event("qualified", T0 + 2 * DAY),
        event("opportunity", T0 + 3 * DAY, amount="12000"),
        event("won", T0 + 4 * DAY),
    ]
    verdict = verdict_of(engine, lead(), events)
    assert verdict.stage.id == "won"
    assert verdict.stage.role == "won"
    assert verdict.stage.since == T0 + 4 * DAY
    assert verdict.stage.anomalies == ()
    assert path(verdict) == [
        CREATED,
        ("sal", T0 + 1 * DAY, "accepted"),
        ("sql", T0 + 2 * DAY, "qualified"),
        ("opportunity", T0 + 3 * DAY, "opportunity"),
        ("won", T0 + 4 * DAY, "won"),
    ]
    entered = [step for step in verdict.trace if step.outcome.startswith("entered")]
    assert entered[0] == TraceStep(
        "lifecycle.sal",
        "/lead/lifecycle/stages",
        "entered sal",
        (),
        "on `accepted` event at 2026-06-02T00:00:00+00:00",
    )
    assert [step.rule for step in entered] == [
        "lifecycle.sal",
        "lifecycle.sql",
        "lifecycle.opportunity",
        "lifecycle.won",
    ]


@pytest.mark.parametrize(
    ("kinds", "stage"),
    [
        (["accepted"], "sal"),
        (["accepted", "qualified"], "sql"),
        (["accepted", "qualified", "opportunity"], "opportunity"),
        (["accepted", "qualified", "opportunity", "lost"], "lost"),
    ],
)
def test_each_role_event_moves_to_its_stage(
    engine: CompiledContract, kinds: list[str], stage: str
) -> None:
    events = [event(kind, T0 + (i + 1) * DAY) for i, kind in enumerate(kinds)]
    verdict = verdict_of(engine, lead(), events)
    assert verdict.stage.id == stage
    assert verdict.stage.since == T0 + len(kinds) * DAY
    assert verdict.stage.history[-1] == StageChange(stage, T0 + len(kinds) * DAY, kinds[-1])
    assert verdict.stage.anomalies == ()


def test_an_unallowed_move_is_made_and_recorded(engine: CompiledContract) -> None:
    verdict = verdict_of(engine, lead(), [event("won", T0 + DAY)])
    assert verdict.stage.id == "won"
    assert path(verdict) == [CREATED, ("won", T0 + DAY, "won")]
    assert verdict.stage.anomalies == (
        "won at 2026-06-02T00:00:00+00:00 moved the lead from `inquiry` to `won`, "
        "which the stage graph does not allow",
    )


def test_only_the_unallowed_moves_are_anomalies(engine: CompiledContract) -> None:
    events = [event("qualified", T0 + DAY), event("opportunity", T0 + 2 * DAY)]
    verdict = verdict_of(engine, lead(), events)
    assert verdict.stage.id == "opportunity"
    assert verdict.stage.anomalies == (
        "qualified at 2026-06-02T00:00:00+00:00 moved the lead from `inquiry` to `sql`, "
        "which the stage graph does not allow",
    )


def test_events_at_the_same_instant_replay_in_input_order(engine: CompiledContract) -> None:
    at = T0 + DAY
    verdict = verdict_of(engine, lead(), [event("qualified", at), event("accepted", at)])
    assert path(verdict) == [CREATED, ("sql", at, "qualified"), ("sal", at, "accepted")]
    assert len(verdict.stage.anomalies) == 2
    assert verdict.stage.id == "sal"


def test_an_event_into_the_current_stage_changes_nothing(engine: CompiledContract) -> None:
    events = [event("accepted", T0 + DAY), event("accepted", T0 + 2 * DAY)]
    verdict = verdict_of(engine, lead(), events)
    assert path(verdict) == [CREATED, ("sal", T0 + DAY, "accepted")]
    assert verdict.stage.since == T0 + DAY


def test_criteria_are_not_tried_from_stages_that_do_not_lead_there(
    engine: CompiledContract,
) -> None:
    # Accepted straight from inquiry: MQL is not reachable from SAL, however high the score.
    events = [event("accepted", T0 + DAY)] + [event("webinar_attended", T0 + 2 * DAY)] * 2
    verdict = verdict_of(engine, fit40(), events, as_of=T0 + 2 * DAY)
    assert verdict.score.total == 80.0
    assert verdict.stage.id == "sal"


# --- disqualification and recycling -------------------------------------------------------------


def test_disqualification_with_a_recycling_reason_moves_to_nurture(
    engine: CompiledContract,
) -> None:
    events = [
        event("accepted", T0 + DAY),
        event("disqualified", T0 + 5 * DAY, reason="no-budget", actor="sam"),
    ]
    verdict = verdict_of(engine, lead(), events)
    assert verdict.stage.id == "nurture"
    assert verdict.stage.since == T0 + 5 * DAY
    assert path(verdict) == [
        CREATED,
        ("sal", T0 + DAY, "accepted"),
        ("disqualified", T0 + 5 * DAY, "disqualified"),
        ("nurture", T0 + 5 * DAY, "recycled (no-budget)"),
    ]
    assert verdict.stage.anomalies == ()
    assert verdict.disqualification == Disqualification(
        at=T0 + 5 * DAY,
        by="sam",
        reason="no-budget",
        reason_allowed=True,
        note_required=False,
        note_present=False,
        recycle_to="nurture",
        recycles=1,
        returns_at=T0 + 15 * DAY,
        max_recycles_reached=False,
    )
    assert verdict.disqualification.valid


def test_max_recycles_reached_keeps_the_lead_disqualified(engine: CompiledContract) -> None:
    events = [
        event("disqualified", T0 + 5 * DAY, reason="no-budget"),
        event("disqualified", T0 + 8 * DAY, reason="no-budget", actor="sam"),
    ]
    verdict = verdict_of(engine, lead(), events)
    assert verdict.stage.id == "disqualified"
    assert verdict.stage.since == T0 + 8 * DAY
    assert path(verdict)[-2:] == [
        ("nurture", T0 + 5 * DAY, "recycled (no-budget)"),
        ("disqualified", T0 + 8 * DAY, "disqualified"),
    ]
    assert verdict.disqualification == Disqualification(
        at=T0 + 8 * DAY,
        by="sam",
        reason="no-budget",
        reason_allowed=True,
        note_required=False,
        note_present=False,
        recycle_to=None,
        recycles=1,
        returns_at=None,
        max_recycles_reached=True,
    )
    assert verdict.disqualification.valid


def test_a_recycled_lead_waits_until_returns_at(engine: CompiledContract) -> None:
    # Fit 40; recycled at +5d (returns +15d); two webinars at +14d make the score 80, but
    # the lead may not be promoted before +15d.
    events = [
        event("disqualified", T0 + 5 * DAY, reason="no-budget"),
        event("webinar_attended", T0 + 14 * DAY),
        event("webinar_attended", T0 + 14 * DAY),
    ]
    waiting = verdict_of(engine, fit40(), events, as_of=T0 + 14 * DAY + timedelta(hours=12))
    assert waiting.score.total > 60
    assert waiting.stage.id == "nurture"
    assert waiting.stage.since == T0 + 5 * DAY

    # At +15d the webinars are worth 2 * 20 * 0.5**0.1 = 37.32: 77.32 >= 60.
    back = verdict_of(engine, fit40(), events, as_of=T0 + 16 * DAY)
    assert back.stage.id == "mql"
    assert back.stage.since == T0 + 15 * DAY
    assert path(back)[-2:] == [
        ("nurture", T0 + 5 * DAY, "recycled (no-budget)"),
        ("mql", T0 + 15 * DAY, "criteria of mql"),
    ]
    assert back.disqualification is not None
    assert back.disqualification.returns_at == T0 + 15 * DAY


def test_a_recycled_lead_returns_at_returns_at_itself(engine: CompiledContract) -> None:
    # Two webinars at +6d (40); at +15d they are worth 40 * 0.5**0.9 = 21.43: 61.43.
    events = [
        event("disqualified", T0 + 5 * DAY, reason="no-budget"),
        event("webinar_attended", T0 + 6 * DAY),
        event("webinar_attended", T0 + 6 * DAY),
    ]
    for as_of in (T0 + 15 * DAY, AS_OF):
        verdict = verdict_of(engine, fit40(), events, as_of=as_of)
        assert verdict.stage.id == "mql"
        assert verdict.stage.since == T0 + 15 * DAY
    before = verdict_of(engine, fit40(), events, as_of=T0 + 15 * DAY - timedelta(seconds=1))
    assert before.stage.id == "nurture"


def test_a_recycled_lead_returns_when_criteria_hold_after_the_wait(
    engine: CompiledContract,
) -> None:
    # Nothing at +15d (fit 40 only); a webinar at +20d makes it 60.
    events = [
        event("disqualified", T0 + 5 * DAY, reason="no-budget"),
        event("webinar_attended", T0 + 20 * DAY),
    ]
    verdict = verdict_of(engine, fit40(), events)
    assert verdict.stage.id == "mql"
    assert verdict.stage.since == T0 + 20 * DAY


def test_a_recycled_lead_checks_its_wait_before_a_later_event(engine: CompiledContract) -> None:
    # The wait is over at +15d, before the `accepted` event at +17d: the lead is promoted at
    # +15d, and then the event moves it on from MQL, which the graph allows.
    events = [
        event("disqualified", T0 + 5 * DAY, reason="no-budget"),
        event("webinar_attended", T0 + 6 * DAY),
        event("webinar_attended", T0 + 6 * DAY),
        event("accepted", T0 + 17 * DAY),
    ]
    verdict = verdict_of(engine, fit40(), events)
    assert path(verdict)[-2:] == [
        ("mql", T0 + 15 * DAY, "criteria of mql"),
        ("sal", T0 + 17 * DAY, "accepted"),
    ]
    assert verdict.stage.anomalies == ()


@pytest.mark.parametrize(
    ("extra", "flags"),
    [
        # flags: reason_allowed, note_required, note_present, valid
        ({"reason": "spam"}, (True, False, False, True)),
        ({"reason": "duplicate"}, (False, False, False, False)),
        ({}, (False, False, False, False)),
        ({"reason": "wrong-person"}, (True, True, False, False)),
        ({"reason": "wrong-person", "note": "   "}, (True, True, False, False)),
        ({"reason": "wrong-person", "note": "Talked to the intern"}, (True, True, True, True)),
        ({"reason": "spam", "note": "a bot"}, (True, False, True, True)),
    ],
)
def test_disqualification_validity(
    engine: CompiledContract, extra: dict[str, str], flags: tuple[bool, bool, bool, bool]
) -> None:
    reason_allowed, note_required, note_present, valid = flags
    verdict = verdict_of(engine, lead(), [event("disqualified", T0 + 2 * DAY, **extra)])
    assert verdict.stage.id == "disqualified"
    dq = verdict.disqualification
    assert dq is not None
    assert dq.reason == extra.get("reason")
    assert dq.reason_allowed is reason_allowed
    assert dq.note_required is note_required
    assert dq.note_present is note_present
    assert dq.valid is valid
    assert dq.recycle_to is None
    assert dq.recycles == 0
    assert dq.returns_at is None
    assert dq.max_recycles_reached is False
    step = next(step for step in verdict.trace if step.rule == "disqualification")
    assert step.outcome == ("valid" if valid else "not valid")
    assert step.pointer == "/lead/disqualification/reasons"


# --- buyer stage --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "buyer_stage"),
    [
        ([], "awareness"),
        ([("webinar_attended", AS_OF)], "interest"),
        # A pricing visit 40 days old is worth 0.63 (interest fails) but intent holds:
        # the furthest stage that holds wins, whether or not the ones before it hold.
        ([("pricing_page_visit", AS_OF - 40 * DAY)], "intent"),
        ([("pricing_page_visit", AS_OF)], "intent"),
    ],
)
def test_buyer_stage_is_the_furthest_that_holds(
    engine: CompiledContract, events: list[tuple[str, datetime]], buyer_stage: str
) -> None:
    record = lead(created_at=(T0 - 60 * DAY).isoformat())
    verdict = verdict_of(engine, record, [event(kind, at) for kind, at in events])
    assert verdict.buyer_stage == buyer_stage
    steps = [step for step in verdict.trace if step.rule.startswith("buyer_stage.")]
    assert [step.rule for step in steps] == [
        "buyer_stage.awareness",
        "buyer_stage.interest",
        "buyer_stage.intent",
    ]


def test_no_stage_is_entered_before_the_lead_was_created(engine: CompiledContract) -> None:
    # Fit 40; a webinar an hour before the record was created (a form submitted first) is
    # worth 20 at that moment (60: MQL) and 19.94 at the creation (59.94: not MQL).
    verdict = verdict_of(engine, fit40(), [event("webinar_attended", T0 - timedelta(hours=1))])
    times = [change.at for change in verdict.stage.history]
    assert times == sorted(times)
    assert verdict.stage.since is not None
    assert verdict.stage.since >= T0


def test_without_a_creation_time_the_history_runs_forward(engine: CompiledContract) -> None:
    """A lead whose record has no creation time (a field not required) is known from its
    first event on: its criteria are checked there first, not at as-of, where a criteria
    stage came out dated after the stages its events entered later."""
    record, errors = engine.lead_coercer.coerce(RawRecord("leads", 1, 2, fit40()))
    assert record is not None
    assert not errors
    record["created_at"] = None
    # Fit 40: the first webinar makes it 60 (MQL); as of now the second keeps it above 60.
    raw = [
        event("webinar_attended", T0 + DAY),
        event("accepted", T0 + 2 * DAY),
        event("webinar_attended", AS_OF - timedelta(hours=1)),
    ]
    events = [
        engine.event_coercer.coerce(RawRecord("events", n, n, e))[0] for n, e in enumerate(raw)
    ]
    verdict = engine.verdict(record, [e for e in events if e is not None], AS_OF)
    assert path(verdict) == [
        ("inquiry", None, "created"),
        ("mql", T0 + DAY, "criteria of mql"),
        ("sal", T0 + 2 * DAY, "accepted"),
    ]
