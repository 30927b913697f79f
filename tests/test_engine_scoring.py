"""Scoring through the engine: fit rules, engagement rules, caps, decay and the trace.

The contract is tests/fixtures/engine/contract.yaml: fit rules worth 20, 20, 10 and -10
(capped at 40); engagement rules worth 20 (max 2 count), 10 and 5 (email channel only),
capped at 60, halving every 10 days. Every expected number below is worked out by hand.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from engine_support import AS_OF, DAY, event, lead, verdict_of

from leadcontract.engine import CompiledContract
from leadcontract.verdict import Fact, Score, ScoreLine, TraceStep, Verdict


def fit_line(rule: str, points: float) -> ScoreLine:
    return ScoreLine(rule, "fit", points)


def engagement_line(rule: str, points: float, count: int) -> ScoreLine:
    return ScoreLine(rule, "engagement", points, count)


# --- fit --------------------------------------------------------------------------------------


def test_no_rule_holds_scores_zero(engine: CompiledContract) -> None:
    verdict = verdict_of(engine, lead())
    assert verdict.score == Score(total=0.0, fit=0.0, engagement=0.0, lines=(), caps_applied=())


@pytest.mark.parametrize(
    ("fields", "fit", "lines"),
    [
        ({"industry": "software"}, 20.0, [fit_line("software", 20.0)]),
        ({"industry": "retail"}, 0.0, []),
        ({"employees": 500}, 20.0, [fit_line("big", 20.0)]),
        ({"employees": 499}, 0.0, []),
        (
            {"industry": "software", "employees": 600},
            40.0,
            [fit_line("software", 20.0), fit_line("big", 20.0)],
        ),
        ({"email": "pat@gmail.com"}, -10.0, [fit_line("freemail", -10.0)]),
        (
            {"industry": "software", "email": "pat@gmail.com"},
            10.0,
            [fit_line("software", 20.0), fit_line("freemail", -10.0)],
        ),
    ],
)
def test_each_fit_rule_adds_its_points_when_it_holds(
    engine: CompiledContract, fields: dict[str, Any], fit: float, lines: list[ScoreLine]
) -> None:
    score = verdict_of(engine, lead(**fields)).score
    assert score.fit == fit
    assert score.total == fit
    assert score.engagement == 0.0
    assert list(score.lines) == lines
    assert score.caps_applied == ()


def test_fit_rule_on_a_missing_field_does_not_hold(engine: CompiledContract) -> None:
    verdict = verdict_of(engine, lead(employees=None))
    assert verdict.score.fit == 0.0
    big = next(step for step in verdict.trace if step.rule == "scoring.fit.big")
    assert big == TraceStep(
        "scoring.fit.big",
        "/lead/scoring/fit/rules/1",
        "no points",
        (Fact("employees", None, 500, ">=", False),),
    )


def test_fit_cap_applies_and_is_listed(engine: CompiledContract) -> None:
    # 20 + 20 + 10 = 50, capped at 40; the lines still show what each rule gave.
    score = verdict_of(engine, lead(industry="software", employees=6000)).score
    assert score.fit == 40.0
    assert score.total == 40.0
    assert score.caps_applied == ("fit",)
    assert score.lines == (
        fit_line("software", 20.0),
        fit_line("big", 20.0),
        fit_line("huge", 10.0),
    )
    assert sum(line.points for line in score.lines) == 50.0


def test_fit_cap_applies_to_the_sum_after_negative_points(engine: CompiledContract) -> None:
    # 20 + 20 + 10 - 10 = 40: exactly the cap, so the cap does not apply.
    score = verdict_of(engine, lead(industry="software", employees=6000, email="p@gmail.com")).score
    assert score.fit == 40.0
    assert score.caps_applied == ()
    assert [line.rule for line in score.lines] == ["software", "big", "huge", "freemail"]


# --- engagement ---------------------------------------------------------------------------------


def test_one_event_at_as_of_scores_its_full_points(engine: CompiledContract) -> None:
    score = verdict_of(engine, lead(), [event("webinar_attended", AS_OF)]).score
    assert score.engagement == 20.0
    assert score.total == 20.0
    assert score.lines == (engagement_line("webinar", 20.0, 1),)


@pytest.mark.parametrize(
    ("age", "points"),
    [
        (0 * DAY, 20.0),
        (10 * DAY, 10.0),  # exactly one half-life: half the points
        (20 * DAY, 5.0),  # two half-lives: a quarter
        (30 * DAY, 2.5),
        (5 * DAY, 14.14),  # half a half-life: 20 / sqrt(2) = 14.1421...
        (1 * DAY, 18.66),  # 20 * 0.5 ** 0.1 = 18.6606...
    ],
)
def test_engagement_decays_by_half_every_half_life(
    engine: CompiledContract, age: timedelta, points: float
) -> None:
    score = verdict_of(engine, lead(), [event("webinar_attended", AS_OF - age)]).score
    assert score.engagement == points
    assert score.lines == (engagement_line("webinar", points, 1),)


def test_points_per_event_add_up(engine: CompiledContract) -> None:
    events = [event("pricing_page_visit", AS_OF) for _ in range(4)]
    score = verdict_of(engine, lead(), events).score
    assert score.engagement == 40.0
    assert score.lines == (engagement_line("pricing", 40.0, 4),)


def test_max_count_keeps_the_most_recent_events(engine: CompiledContract) -> None:
    # Three webinars, 20, 10 and 0 days old; max_count 2 keeps the two newest: 20 + 10.
    # (Keeping the oldest two would give 5 + 10 = 15.)
    events = [
        event("webinar_attended", AS_OF - 20 * DAY),
        event("webinar_attended", AS_OF - 10 * DAY),
        event("webinar_attended", AS_OF),
    ]
    score = verdict_of(engine, lead(), events).score
    assert score.engagement == 30.0
    assert score.lines == (engagement_line("webinar", 30.0, 2),)


def test_max_count_keeps_the_most_recent_whatever_the_input_order(
    engine: CompiledContract,
) -> None:
    events = [
        event("webinar_attended", AS_OF),
        event("webinar_attended", AS_OF - 20 * DAY),
        event("webinar_attended", AS_OF - 10 * DAY),
    ]
    assert verdict_of(engine, lead(), events).score.engagement == 30.0


def test_channel_filter_counts_only_events_on_that_channel(engine: CompiledContract) -> None:
    events = [
        event("email_click", AS_OF, channel="email"),
        event("email_click", AS_OF, channel="EMAIL"),  # channels are read in lower case
        event("email_click", AS_OF, channel="sms"),
        event("email_click", AS_OF),  # no channel
    ]
    score = verdict_of(engine, lead(), events).score
    assert score.engagement == 10.0
    assert score.lines == (engagement_line("click", 10.0, 2),)


def test_engagement_cap_applies_after_decay_and_is_listed(engine: CompiledContract) -> None:
    # 2 webinars (40) + 3 pricing visits (30) at as_of = 70, capped at 60.
    events = [event("webinar_attended", AS_OF)] * 2 + [event("pricing_page_visit", AS_OF)] * 3
    score = verdict_of(engine, lead(industry="software"), events).score
    assert score.engagement == 60.0
    assert score.fit == 20.0
    assert score.total == 80.0
    assert score.caps_applied == ("engagement",)
    assert score.lines == (
        fit_line("software", 20.0),
        engagement_line("webinar", 40.0, 2),
        engagement_line("pricing", 30.0, 3),
    )


def test_engagement_cap_does_not_apply_once_decay_brings_the_sum_under_it(
    engine: CompiledContract,
) -> None:
    # The same 70 points, ten days old: 35, under the cap.
    old = AS_OF - 10 * DAY
    events = [event("webinar_attended", old)] * 2 + [event("pricing_page_visit", old)] * 3
    score = verdict_of(engine, lead(), events).score
    assert score.engagement == 35.0
    assert score.caps_applied == ()


def test_both_caps_are_listed_in_order(engine: CompiledContract) -> None:
    events = [event("pricing_page_visit", AS_OF)] * 7
    score = verdict_of(engine, lead(industry="software", employees=6000), events).score
    assert score.caps_applied == ("fit", "engagement")
    assert score.total == 100.0


def test_events_after_as_of_are_not_counted(engine: CompiledContract) -> None:
    events = [
        event("pricing_page_visit", AS_OF),  # at as_of: counted
        event("pricing_page_visit", AS_OF + timedelta(seconds=1)),
        event("webinar_attended", AS_OF + DAY),
    ]
    evaluation = engine.evaluate([lead()], events, as_of=AS_OF)
    (verdict,) = list(evaluation)
    assert isinstance(verdict, Verdict)
    assert verdict.score.engagement == 10.0
    assert verdict.score.lines == (engagement_line("pricing", 10.0, 1),)
    assert evaluation.counts.events_used == 1
    assert evaluation.counts.events_after_as_of == 2


def test_score_breakdown_lists_fit_then_engagement_in_rule_order(
    engine: CompiledContract,
) -> None:
    events = [
        event("email_click", AS_OF - 10 * DAY, channel="email"),
        event("pricing_page_visit", AS_OF - 20 * DAY),
        event("webinar_attended", AS_OF - 10 * DAY),
    ]
    score = verdict_of(engine, lead(employees=800, email="p@gmail.com"), events).score
    assert score.lines == (
        fit_line("big", 20.0),
        fit_line("freemail", -10.0),
        engagement_line("webinar", 10.0, 1),
        engagement_line("pricing", 2.5, 1),
        engagement_line("click", 2.5, 1),
    )
    assert score.fit == 10.0
    assert score.engagement == 15.0
    assert score.total == 25.0


# --- trace ------------------------------------------------------------------------------------


def test_trace_has_one_step_per_fit_rule_with_its_leaves(engine: CompiledContract) -> None:
    verdict = verdict_of(engine, lead(industry="software", employees=600, email="p@gmail.com"))
    fit_steps = [step for step in verdict.trace if step.rule.startswith("scoring.fit.")]
    assert fit_steps == [
        TraceStep(
            "scoring.fit.software",
            "/lead/scoring/fit/rules/0",
            "+20 points",
            (Fact("industry", "software", "software", "==", True),),
        ),
        TraceStep(
            "scoring.fit.big",
            "/lead/scoring/fit/rules/1",
            "+20 points",
            (Fact("employees", 600, 500, ">=", True),),
        ),
        TraceStep(
            "scoring.fit.huge",
            "/lead/scoring/fit/rules/2",
            "no points",
            (Fact("employees", 600, 5000, ">=", False),),
        ),
        TraceStep(
            "scoring.fit.freemail",
            "/lead/scoring/fit/rules/3",
            "-10 points",
            (Fact("email", "p@gmail.com", r"@gmail\.", "matches", True),),
        ),
    ]


def test_trace_has_one_step_per_engagement_rule_with_events(engine: CompiledContract) -> None:
    events = [
        event("webinar_attended", AS_OF - 20 * DAY),
        event("webinar_attended", AS_OF - 10 * DAY),
        event("webinar_attended", AS_OF),
    ]
    verdict = verdict_of(engine, lead(), events)
    steps = [step for step in verdict.trace if step.rule.startswith("scoring.engagement.")]
    assert steps == [
        TraceStep(
            "scoring.engagement.webinar",
            "/lead/scoring/engagement/rules/0",
            "+30.00 points",
            (Fact("events.webinar_attended", 2),),
            "2 × 20 points, decayed",
        )
    ]


def test_scoring_steps_come_first_in_the_trace(engine: CompiledContract) -> None:
    verdict = verdict_of(engine, lead(), [event("pricing_page_visit", AS_OF)])
    rules = [step.rule for step in verdict.trace]
    assert rules[:5] == [
        "scoring.fit.software",
        "scoring.fit.big",
        "scoring.fit.huge",
        "scoring.fit.freemail",
        "scoring.engagement.pricing",
    ]


def test_without_trace_the_score_is_the_same(engine: CompiledContract) -> None:
    record = lead(industry="software", employees=6000)
    events = [event("webinar_attended", AS_OF - 5 * DAY), event("pricing_page_visit", AS_OF)]
    traced = verdict_of(engine, record, events)
    untraced = verdict_of(engine, record, events, trace=False)
    assert untraced.trace == ()
    assert untraced.score == traced.score
    assert untraced.stage == traced.stage
