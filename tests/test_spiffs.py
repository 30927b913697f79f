"""Spiff rules: eligibility, amounts (exact Decimal), splits, effective dating, clawbacks.

Contracts are the example contract (America/New_York) with crafted spiffs; verdicts and
events are built by hand (tests/_spiff_helpers.py) so every amount is worked out here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from _spiff_helpers import DAY, T0, contract_with, ev, make_verdict

from leadcontract import compile_contract, load
from leadcontract.inputs import Event
from leadcontract.model import Spiff, Split
from leadcontract.rules.spiffs import (
    CompiledSpiffs,
    SpiffDecision,
    SpiffLine,
    split_amount,
)
from leadcontract.verdict import Verdict

WON_AT = T0 + 5 * DAY  # 2026-10-10


def partner(amount: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"campaigns": ["partner-emea"], "outcome": "won", "amount": amount, **extra}


def judge_one(
    spec: dict[str, Any] | Spiff,
    events: list[Event] | None = None,
    verdict: Verdict | None = None,
    record: dict[str, Any] | None = None,
) -> SpiffDecision:
    decisions = CompiledSpiffs(contract_with(s=spec)).judge(
        verdict or make_verdict(), events or [], record=record
    )
    assert len(decisions) == 1
    return decisions[0]


def amounts(decision: SpiffDecision) -> list[Decimal]:
    return [line.amount for line in decision.lines]


def won(amount: str, **extra: Any) -> list[Event]:
    return [ev("won", WON_AT, amount=amount, **extra)]


# --- amounts --------------------------------------------------------------------------------


def test_fixed_amount_pays_the_owner_at_the_outcome() -> None:
    decision = judge_one(partner({"fixed": "50", "currency": "USD"}))
    assert decision.eligible
    (line,) = decision.lines
    assert line == SpiffLine(
        spiff="s",
        lead_id="L1",
        rep="frieda",
        role="ae",
        kind="earned",
        amount=Decimal("50.00"),
        currency="USD",
        at=WON_AT,
        payable=True,
        reason="reached won 2026-10-10; 50.00 USD fixed",
        line_id="L1:s:frieda:earned:0",
    )
    assert str(line.amount) == "50.00"
    assert decision.why == line.reason


def test_per_unit_counts_deal_seats() -> None:
    spec = partner({"per_unit": "12.50", "unit": "deal.seats", "currency": "USD"})
    decision = judge_one(spec, [ev("opportunity", T0 + DAY, seats=3), *won("1000", seats=7)])
    assert amounts(decision) == [Decimal("87.50")]
    assert "12.50 USD per unit x deal.seats 7" in decision.lines[0].reason


def test_per_unit_counts_a_lead_field_of_the_record() -> None:
    spec = partner({"per_unit": "0.10", "unit": "employees", "currency": "USD"})
    decision = judge_one(spec, record={"employees": 433})
    assert amounts(decision) == [Decimal("43.30")]


def test_per_unit_without_the_unit_is_not_eligible() -> None:
    spec = partner({"per_unit": "12.50", "unit": "deal.seats", "currency": "USD"})
    decision = judge_one(spec, won("1000"))
    assert not decision.eligible
    assert decision.why == "unit `deal.seats` is not set"
    assert decision.lines == ()


def test_share_of_the_deal_rounds_half_to_even() -> None:
    spec = partner({"share": "0.01", "currency": "EUR"})
    # 1% of 1234.50 is 12.345: half to even gives 12.34, not 12.35.
    assert amounts(judge_one(spec, won("1234.50"))) == [Decimal("12.34")]
    assert amounts(judge_one(spec, won("1235.50"))) == [Decimal("12.36")]


def test_share_without_a_deal_amount_is_not_eligible() -> None:
    decision = judge_one(partner({"share": "0.01", "currency": "EUR"}))
    assert not decision.eligible
    assert decision.why == "the deal amount is not known"


TIERS = [{"up_to": "50000", "share": "0.01"}, {"share": "0.02"}]


@pytest.mark.parametrize(
    ("mode", "deal", "expected"),
    [
        ("band", "80000", "1100.00"),  # 50,000 x 1% + 30,000 x 2%
        ("whole", "80000", "1600.00"),  # 80,000 x 2%
        ("band", "50000", "500.00"),
        ("whole", "50000", "500.00"),  # up_to is inclusive: 50,000 falls in the first band
        ("band", "20000", "200.00"),
        ("whole", "20000", "200.00"),
        ("band", "50000.01", "500.00"),  # 0.01 x 2% = 0.0002 rounds away
        ("whole", "50000.50", "1000.01"),  # 1000.010 -> 1000.01
    ],
)
def test_tiers_band_and_whole(mode: str, deal: str, expected: str) -> None:
    spec = partner({"tiers": TIERS, "tier_mode": mode, "currency": "EUR"})
    assert amounts(judge_one(spec, won(deal))) == [Decimal(expected)]


def test_three_band_tiers() -> None:
    tiers = [
        {"up_to": "10000", "share": "0.01"},
        {"up_to": "20000", "share": "0.02"},
        {"share": "0.03"},
    ]
    spec = partner({"tiers": tiers, "tier_mode": "band", "currency": "EUR"})
    # 100 + 200 + 5,000 x 3% = 450
    decision = judge_one(spec, won("25000"))
    assert amounts(decision) == [Decimal("450.00")]
    assert "band tiers 10000@0.01 + 10000@0.02 + 5000@0.03" in decision.why


# --- eligibility ----------------------------------------------------------------------------


def test_the_outcome_must_be_reached() -> None:
    verdict = make_verdict(history=[("inquiry", T0), ("mql", T0 + DAY)])
    decision = judge_one(partner({"fixed": "1", "currency": "USD"}), verdict=verdict)
    assert (decision.eligible, decision.why, decision.lines) == (
        False,
        "has not reached won",
        (),
    )


def test_the_first_time_the_outcome_was_reached_counts() -> None:
    history = [("inquiry", T0), ("sql", T0 + DAY), ("nurture", T0 + 2 * DAY)]
    history += [("sql", T0 + 9 * DAY)]
    spec = {
        "campaigns": ["partner-emea"],
        "outcome": "sql",
        "amount": {"fixed": "5", "currency": "USD"},
    }
    decision = judge_one(spec, verdict=make_verdict(history=history))
    assert decision.lines[0].at == T0 + DAY


def test_spiffs_of_other_campaigns_give_no_decision() -> None:
    compiled = CompiledSpiffs(contract_with(s=partner({"fixed": "1", "currency": "USD"})))
    assert compiled.judge(make_verdict(campaign="webinar-q4"), []) == ()
    assert compiled.judge(make_verdict(campaign=None), []) == ()


def demo(**extra: Any) -> dict[str, Any]:
    return {
        "campaigns": ["demo-request"],
        "outcome": "sql",
        "requires_slas": ["first-touch-demo"],
        "amount": {"fixed": "50.00", "currency": "USD"},
        **extra,
    }


def demo_verdict(status: str | None) -> Verdict:
    return make_verdict(
        campaign="demo-request",
        owner="carl",
        history=[("inquiry", T0), ("sal", T0 + DAY), ("sql", T0 + 2 * DAY)],
        slas={"first-touch-demo": status} if status else {},
    )


def test_a_breached_sla_makes_the_spiff_ineligible_and_says_why() -> None:
    decision = judge_one(demo(), verdict=demo_verdict("breached"))
    assert not decision.eligible
    assert decision.why == "SLA first-touch-demo was breached"
    assert decision.lines == ()


@pytest.mark.parametrize("status", ["pending", "at_risk", "not_applicable", "cancelled"])
def test_only_a_met_sla_counts(status: str) -> None:
    decision = judge_one(demo(), verdict=demo_verdict(status))
    assert not decision.eligible
    assert decision.why == f"SLA first-touch-demo is {status}, not met"


def test_a_missing_sla_clock_is_not_met() -> None:
    decision = judge_one(demo(), verdict=demo_verdict(None))
    assert decision.why == "SLA first-touch-demo was not judged for this lead"


def test_a_met_sla_is_cited() -> None:
    decision = judge_one(demo(), verdict=demo_verdict("met"))
    assert decision.eligible
    assert decision.lines[0].reason == (
        "reached sql 2026-10-07; SLA first-touch-demo met; 50.00 USD fixed"
    )


def test_requires_handoff_complete() -> None:
    spec = partner({"fixed": "1", "currency": "USD"}, requires_handoff_complete=True)
    incomplete = judge_one(spec, verdict=make_verdict(missing=("phone", "title")))
    assert incomplete.why == "the handoff is incomplete: missing phone, title"
    not_done = judge_one(spec, verdict=make_verdict(handoff_at=None))
    assert not_done.why == "the handoff is not done"
    complete = judge_one(spec)
    assert complete.eligible
    assert "handoff complete" in complete.why


def test_when_reads_the_deal_up_to_the_outcome() -> None:
    spec = partner({"fixed": "1", "currency": "USD"}, when="deal.amount >= 10000")
    small = judge_one(spec, won("9999.99"))
    assert not small.eligible
    assert small.why == "`when` does not hold (deal.amount=9999.99)"
    # The opportunity's amount is used when the won event carries none.
    events = [ev("opportunity", T0 + DAY, amount="12000"), ev("won", WON_AT)]
    assert judge_one(spec, events).eligible
    # An amount changed after the outcome does not count.
    late = [*won("5000"), ev("opportunity", WON_AT + DAY, amount="90000")]
    assert not judge_one(spec, late).eligible
    # Nor does one after the verdict's as_of.
    verdict = make_verdict(as_of=WON_AT + DAY)
    assert not judge_one(spec, [ev("won", WON_AT + 2 * DAY, amount="90000")], verdict).eligible


def test_when_reads_product_close_date_lead_fields_score_and_stage() -> None:
    when = (
        'deal.product == "platform" and deal.close_date == "2026-10-10" and country == "DE" '
        'and score >= 60 and stage == "won" and events.won >= 1 and deal.seats > 5'
    )
    spec = partner({"fixed": "1", "currency": "USD"}, when=when)
    events = won("100", product="platform", seats=6)
    assert judge_one(spec, events, record={"country": "DE"}).eligible
    assert not judge_one(spec, events, record={"country": "FR"}).eligible
    assert not judge_one(
        spec, events, verdict=make_verdict(score=10), record={"country": "DE"}
    ).eligible


def test_the_close_date_is_the_won_day_in_the_contract_zone() -> None:
    # 02:00 UTC on 11 October is still 10 October in New York.
    at = datetime(2026, 10, 11, 2, 0, tzinfo=UTC)
    spec = partner({"fixed": "1", "currency": "USD"}, when='deal.close_date == "2026-10-10"')
    verdict = make_verdict(history=[("inquiry", T0), ("won", at)])
    assert judge_one(spec, [ev("won", at)], verdict).eligible


# --- effective dating -----------------------------------------------------------------------

V1 = partner(
    {"fixed": "50", "currency": "USD"}, effective={"start": "2026-01-01", "end": "2026-10-31"}
)
V2 = partner({"fixed": "75", "currency": "USD"}, effective={"start": "2026-11-01"})


def versions(handoff_at: datetime | None, won_at: datetime) -> dict[str, SpiffDecision]:
    compiled = CompiledSpiffs(contract_with(v1=V1, v2=V2))
    verdict = make_verdict(handoff_at=handoff_at, history=[("inquiry", T0), ("won", won_at)])
    return {d.spiff: d for d in compiled.judge(verdict, [])}


def test_the_version_in_force_at_handoff_pays_even_when_won_after_the_switch() -> None:
    # Handed off on 31 October at 22:00 New York (02:00 UTC on 1 November), won in November.
    handed = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    decisions = versions(handed, datetime(2026, 11, 20, 16, tzinfo=UTC))
    assert decisions["v1"].eligible
    assert amounts(decisions["v1"]) == [Decimal("50.00")]
    assert "handed off 2026-10-31, within 2026-01-01..2026-10-31" in decisions["v1"].why
    assert not decisions["v2"].eligible
    assert decisions["v2"].why == (
        "handed off 2026-10-31, outside this version's effective range 2026-11-01..open"
    )


def test_a_lead_handed_off_after_the_switch_gets_the_new_version() -> None:
    handed = datetime(2026, 11, 1, 5, 0, tzinfo=UTC)  # 1 November, 01:00 in New York
    decisions = versions(handed, datetime(2026, 11, 20, 16, tzinfo=UTC))
    assert not decisions["v1"].eligible
    assert amounts(decisions["v2"]) == [Decimal("75.00")]


def test_a_lead_never_handed_off_is_dated_by_its_outcome() -> None:
    decisions = versions(None, datetime(2026, 10, 20, 16, tzinfo=UTC))
    assert amounts(decisions["v1"]) == [Decimal("50.00")]
    assert "never handed off; reached it 2026-10-20" in decisions["v1"].why
    assert not decisions["v2"].eligible


# --- splits and earners ---------------------------------------------------------------------


def test_split_remainder_goes_to_the_first_role() -> None:
    assert split_amount(Decimal("100.00"), [Decimal(1) / 3] * 3) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert split_amount(Decimal("0.05"), [Decimal("0.5"), Decimal("0.5")]) == [
        Decimal("0.03"),
        Decimal("0.02"),
    ]
    # A remainder can also be taken away: 0.015 + 0.015 round to 0.02 + 0.02, the whole to 0.02.
    assert split_amount(Decimal("0.03"), [Decimal("0.5"), Decimal("0.5")]) == [
        Decimal("0.01"),
        Decimal("0.02"),
    ]


def test_split_in_thirds_adds_up_to_the_unsplit_amount() -> None:
    # Thirds cannot be written so that they add up to exactly 1, so the model (which checks
    # that) is bypassed to exercise the remainder.
    third = Decimal(1) / 3
    spiff = Spiff.model_validate(partner({"fixed": "100.00", "currency": "USD"})).model_copy(
        update={
            "split": [
                Split.model_construct(role=role, share=third) for role in ("sdr", "ae", "partner")
            ]
        }
    )
    events = [
        ev("touch", T0 + DAY, actor="emil"),
        ev("meeting", T0 + 2 * DAY, actor="frieda"),
        ev("touch", T0 + 3 * DAY, actor="datahaus"),
    ]
    decision = judge_one(spiff, events)
    assert [(line.rep, line.role, line.amount) for line in decision.lines] == [
        ("emil", "sdr", Decimal("33.34")),
        ("frieda", "ae", Decimal("33.33")),
        ("datahaus", "partner", Decimal("33.33")),
    ]
    assert sum(amounts(decision)) == Decimal("100.00")
    assert decision.lines[0].reason.endswith("(+ rounding remainder)")
    assert [line.line_id for line in decision.lines] == [
        "L1:s:emil:earned:0",
        "L1:s:frieda:earned:1",
        "L1:s:datahaus:earned:2",
    ]


def webinar_split(**extra: Any) -> dict[str, Any]:
    return {
        "campaigns": ["webinar-q4"],
        "outcome": "opportunity",
        "amount": {"fixed": "100.00", "currency": "USD"},
        "split": [{"role": "sdr", "share": "0.4"}, {"role": "ae", "share": "0.6"}],
        **extra,
    }


def webinar_verdict(owner: str | None = "ava") -> Verdict:
    return make_verdict(
        campaign="webinar-q4",
        owner=owner,
        history=[("inquiry", T0), ("opportunity", T0 + 4 * DAY)],
    )


def test_split_roles_go_to_the_latest_actor_of_each_role_up_to_the_outcome() -> None:
    events = [
        ev("touch", T0 + DAY, actor="ava"),
        ev("touch", T0 + 2 * DAY, actor="ben"),  # the latest sdr
        ev("meeting", T0 + 3 * DAY, actor="carl"),
        ev("opportunity", T0 + 4 * DAY, actor="dana"),  # the latest ae, at the outcome
        ev("touch", T0 + 5 * DAY, actor="emil"),  # after the outcome: ignored
        ev("touch", T0 + 3 * DAY, actor="mia"),  # a manager: no split role
        ev("touch", T0 + 3 * DAY, actor="stranger"),  # not a rep
    ]
    decision = judge_one(webinar_split(), events, webinar_verdict())
    assert [(line.rep, line.role, line.amount) for line in decision.lines] == [
        ("ben", "sdr", Decimal("40.00")),
        ("dana", "ae", Decimal("60.00")),
    ]
    assert decision.lines[1].reason.endswith("; ae share 0.6")


def test_split_falls_back_to_the_owner_then_to_unassigned() -> None:
    decision = judge_one(webinar_split(), [], webinar_verdict(owner="ava"))
    assert [(line.rep, line.role, line.amount) for line in decision.lines] == [
        ("ava", "sdr", Decimal("40.00")),
        (None, "ae", Decimal("60.00")),
    ]
    assert decision.lines[1].line_id == "L1:s:-:earned:1"
    assert "no rep with role ae (unassigned)" in decision.lines[1].reason


def test_earner_role_without_split_pays_that_role_in_full() -> None:
    spec = partner({"fixed": "30", "currency": "EUR"}, earner="partner")
    decision = judge_one(spec, [ev("touch", T0 + DAY, actor="datahaus")])
    assert [(line.rep, line.role, line.amount) for line in decision.lines] == [
        ("datahaus", "partner", Decimal("30.00"))
    ]


def test_an_owner_who_is_not_a_rep_still_earns_without_a_role() -> None:
    decision = judge_one(
        partner({"fixed": "1", "currency": "USD"}), verdict=make_verdict(owner="zed")
    )
    assert (decision.lines[0].rep, decision.lines[0].role) == ("zed", None)


# --- clawbacks and shadow -------------------------------------------------------------------


def test_a_clawback_within_the_window_reverses_every_earned_line() -> None:
    spec = webinar_split(clawback={"within": "90d", "on": ["lost", "refunded"]})
    outcome = T0 + 4 * DAY
    events = [
        ev("touch", T0 + DAY, actor="ben"),
        ev("meeting", T0 + 2 * DAY, actor="carl"),
        ev("lost", outcome + 90 * DAY, actor="carl"),  # exactly at the end of the window
    ]
    decision = judge_one(spec, events, webinar_verdict())
    earned = [line for line in decision.lines if line.kind == "earned"]
    clawed = [line for line in decision.lines if line.kind == "clawback"]
    assert [(line.rep, line.amount) for line in clawed] == [
        ("ben", Decimal("-40.00")),
        ("carl", Decimal("-60.00")),
    ]
    assert [line.reverses for line in clawed] == [line.line_id for line in earned]
    assert [line.line_id for line in clawed] == ["L1:s:ben:clawback:0", "L1:s:carl:clawback:1"]
    assert all(line.at == outcome + 90 * DAY for line in clawed)
    assert clawed[0].reason == (
        "lost 2027-01-07, within 90d of the outcome: reverses L1:s:ben:earned:0"
    )
    assert sum(amounts(decision)) == 0


def test_no_clawback_outside_the_window_or_for_other_events() -> None:
    spec = webinar_split(clawback={"within": "90d", "on": ["refunded"]})
    outcome = T0 + 4 * DAY
    too_late = [ev("refunded", outcome + 90 * DAY + DAY)]
    other = [ev("lost", outcome + DAY)]
    before = [ev("refunded", outcome - DAY)]
    for events in (too_late, other, before):
        decision = judge_one(spec, events, webinar_verdict())
        assert [line.kind for line in decision.lines] == ["earned", "earned"]


def test_a_shadow_spiff_is_judged_but_not_payable() -> None:
    spec = partner({"fixed": "10", "currency": "USD"}, shadow=True)
    decision = judge_one(spec)
    assert decision.eligible
    assert [(line.amount, line.payable) for line in decision.lines] == [(Decimal("10.00"), False)]


def test_the_example_contract_compiles_and_judges_its_own_spiffs() -> None:
    compiled = CompiledSpiffs(contract_with())
    assert compiled.judge(make_verdict(), []) == ()


def test_a_spiffs_condition_leaves_are_in_the_verdict_trace() -> None:
    example = Path(__file__).resolve().parents[1] / "contracts" / "example"
    loaded = load(example)
    assert loaded.contract is not None
    run = compile_contract(loaded.contract).evaluate(
        example / "data" / "leads.csv",
        example / "data" / "events.jsonl",
        as_of=datetime(2026, 11, 16, 17, tzinfo=UTC),
    )
    steps = [
        step
        for verdict in run
        if isinstance(verdict, Verdict)
        for step in verdict.trace
        if step.rule == "spiff.partner-won"
    ]
    assert steps, "a partner lead of the example reached won"
    leaves = [fact for step in steps for fact in step.facts]
    assert {(fact.field, fact.op, fact.expected) for fact in leaves} == {
        ("deal.amount", ">=", 10000.0)
    }
    assert all(isinstance(fact.observed, Decimal | float | int) for fact in leaves)
