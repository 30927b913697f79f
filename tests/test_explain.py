"""explain(): a verdict in words, built from the verdict and its trace only.

Contract: tests/fixtures/engine/contract.yaml (MQL: score >= 60 and fit_score >= 20).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import engine_support
import pytest
from engine_support import DAY, T0

from leadcontract import __version__
from leadcontract.engine import CompiledContract
from leadcontract.explanation import explain, explain_fact
from leadcontract.verdict import ContractRef, Fact, Score, StageVerdict, Verdict

AS_OF = T0 + 10 * DAY


def lead(**fields: Any) -> dict[str, Any]:
    return engine_support.lead(**{"lead_id": "L7", "company": "Acme", **fields})


def event(kind: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return engine_support.event(kind, at, lead_id="L7", **extra)


def explained(
    engine: CompiledContract,
    record: dict[str, Any],
    events: Iterable[dict[str, Any]] = (),
    *,
    as_of: datetime = AS_OF,
) -> str:
    verdict = engine_support.verdict_of(engine, record, events, as_of=as_of, check_counts=False)
    return explain(verdict)


def test_a_lead_short_of_mql_in_full(engine: CompiledContract) -> None:
    # Fit 40 (software, 600 employees) + pricing 10 + click 5, both at as_of: 55.
    record = lead(industry="software", employees=600)
    events = [
        event("pricing_page_visit", AS_OF),
        event("email_click", AS_OF, channel="email"),
    ]
    digest = engine.ref.digest[:19]
    assert explained(engine, record, events) == (
        "Lead L7, as of 2026-06-11 00:00 UTC\n"
        f"Contract engine-tests 1.0.0 ({digest}...), leadcontract {__version__}\n"
        "\n"
        "Stage: inquiry since 2026-06-01 00:00 UTC (created)\n"
        "  path: inquiry (2026-06-01 00:00 UTC)\n"
        "  not mql: score is 55, needs >= 60\n"
        "\n"
        "Score 55 = fit 40 + engagement 15 (caps applied: none)\n"
        '  fit software: +20 points (industry is "software", needs "software")\n'
        "  fit big: +20 points (employees is 600, needs >= 500)\n"
        "  fit huge: no points (employees is 600, needs >= 5000)\n"
        '  fit freemail: no points (email is "pat@acme.example", needs to match "@gmail\\\\.")\n'
        "  engagement pricing: +10.00 points (1 × 10 points, decayed)\n"
        "  engagement click: +5.00 points (1 × 5 points, decayed)\n"
        "Buyer stage: intent\n"
        "\n"
        "Handoff (webinar, at mql, qualified by marketing, to sales): not due yet\n"
        "  required fields missing (marketing owes them): title, phone\n"
    )


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_the_failed_criterion_is_named(engine: CompiledContract) -> None:
    # Score 60 from engagement alone; fit 0 fails the second criterion.
    events = [event("webinar_attended", AS_OF)] * 2 + [event("pricing_page_visit", AS_OF)] * 2
    text = explained(engine, lead(), events)
    assert "  not mql: fit_score is 0, needs >= 20" in lines(text)
    assert "Score 60 = fit 0 + engagement 60 (caps applied: none)" in lines(text)


def test_a_decimal_score_is_shown_as_computed(engine: CompiledContract) -> None:
    # Fit 20 + a webinar 5 days old: 20 / sqrt(2) = 14.14 (40 at the webinar: no MQL).
    events = [event("webinar_attended", AS_OF - 5 * DAY)]
    text = explained(engine, lead(industry="software"), events)
    assert "  not mql: score is 34.14, needs >= 60" in lines(text)
    assert "Score 34.14 = fit 20 + engagement 14.14 (caps applied: none)" in lines(text)
    assert "  engagement webinar: +14.14 points (1 × 20 points, decayed)" in lines(text)


def test_an_mql_has_no_not_line(engine: CompiledContract) -> None:
    events = [event("webinar_attended", T0 + DAY)] * 2
    text = explained(engine, lead(industry="software", employees=600), events)
    assert "Stage: mql since 2026-06-02 00:00 UTC (criteria of mql)" in lines(text)
    assert "  path: inquiry (2026-06-01 00:00 UTC) -> mql (2026-06-02 00:00 UTC)" in lines(text)
    assert not any(line.startswith("  not ") for line in lines(text))
    assert "Handoff (webinar, at mql, qualified by marketing, to sales): DUE, not done" in lines(
        text
    )


def test_checks_from_an_earlier_stage_are_not_reasons(engine: CompiledContract) -> None:
    # Accepted straight from inquiry: the lead is past MQL, so "not mql" would be wrong.
    text = explained(engine, lead(), [event("accepted", T0 + DAY)])
    assert "Stage: sal since 2026-06-02 00:00 UTC (accepted)" in lines(text)
    assert not any(line.startswith("  not ") for line in lines(text))


def test_a_recycled_lead_back_from_nurture_is_explained_from_nurture(
    engine: CompiledContract,
) -> None:
    events = [event("disqualified", T0 + DAY, reason="no-budget", actor="sam")]
    waiting = explained(engine, lead(industry="software"), events, as_of=T0 + 5 * DAY)
    assert not any(line.startswith("  not ") for line in lines(waiting))
    back = explained(engine, lead(industry="software"), events, as_of=T0 + 12 * DAY)
    assert "  not mql: score is 20, needs >= 60" in lines(back)


def test_handed_off_and_missing_fields(engine: CompiledContract) -> None:
    events = [
        *[event("webinar_attended", T0 + DAY)] * 2,
        event("handoff", T0 + 2 * DAY, actor="marketing-ops"),
    ]
    record = lead(industry="software", employees=600, company=None, phone="555-0100")
    text = explained(engine, record, events)
    assert lines(text)[-2:] == [
        "Handoff (webinar, at mql, qualified by marketing, to sales): "
        "done 2026-06-03 00:00 UTC by marketing-ops",
        "  required fields missing (marketing owes them): company, title",
    ]


@pytest.mark.parametrize(
    ("campaign", "line"),
    [
        ("partner", "Handoff: none (campaign 'partner' is not in the contract)"),
        (None, "Handoff: none (the lead has no campaign)"),
    ],
)
def test_no_handoff(engine: CompiledContract, campaign: str | None, line: str) -> None:
    assert lines(explained(engine, lead(campaign=campaign)))[-1] == line


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"reason": "spam", "actor": "sam"},
            ["Disqualified 2026-06-03 00:00 UTC by sam: reason 'spam' (valid)"],
        ),
        (
            {"reason": "duplicate"},
            [
                "Disqualified 2026-06-03 00:00 UTC: reason 'duplicate' (NOT valid)",
                "  the reason is not one the contract allows",
            ],
        ),
        (
            {},
            [
                "Disqualified 2026-06-03 00:00 UTC: reason None (NOT valid)",
                "  the reason is not one the contract allows",
            ],
        ),
        (
            {"reason": "wrong-person", "actor": "sam"},
            [
                "Disqualified 2026-06-03 00:00 UTC by sam: reason 'wrong-person' (NOT valid)",
                "  this reason needs a note, and none was given",
            ],
        ),
        (
            {"reason": "wrong-person", "note": "spoke to the intern"},
            ["Disqualified 2026-06-03 00:00 UTC: reason 'wrong-person' (valid)"],
        ),
        (
            {"reason": "no-budget"},
            [
                "Disqualified 2026-06-03 00:00 UTC: reason 'no-budget' (valid)",
                "  recycled to nurture (time 1); may return 2026-06-13 00:00 UTC",
            ],
        ),
    ],
)
def test_disqualification_and_its_validity(
    engine: CompiledContract, extra: dict[str, str], expected: list[str]
) -> None:
    text = explained(engine, lead(), [event("disqualified", T0 + 2 * DAY, **extra)])
    start = lines(text).index(expected[0])
    assert lines(text)[start:] == expected


def test_max_recycles_used_up(engine: CompiledContract) -> None:
    events = [
        event("disqualified", T0 + DAY, reason="no-budget"),
        event("disqualified", T0 + 2 * DAY, reason="no-budget"),
    ]
    assert lines(explained(engine, lead(), events))[-2:] == [
        "Disqualified 2026-06-03 00:00 UTC: reason 'no-budget' (valid)",
        "  not recycled: the reason's max_recycles is used up",
    ]


def test_anomalies_are_listed(engine: CompiledContract) -> None:
    text = explained(engine, lead(), [event("won", T0 + DAY)])
    assert (
        "  anomaly: won at 2026-06-02T00:00:00+00:00 moved the lead from `inquiry` to `won`, "
        "which the stage graph does not allow"
    ) in lines(text)


def test_caps_are_named(engine: CompiledContract) -> None:
    events = [event("pricing_page_visit", AS_OF)] * 7
    text = explained(engine, lead(industry="software", employees=6000), events)
    assert "Score 100 = fit 40 + engagement 60 (caps applied: fit, engagement)" in lines(text)


def test_large_scores_keep_their_decimals() -> None:
    verdict = Verdict(
        lead_id="L1",
        contract=ContractRef("c", "1.0.0", "sha256:" + "0" * 64),
        as_of=T0,
        library_version=__version__,
        stage=StageVerdict("inquiry", "inquiry", T0),
        score=Score(total=12345.67, fit=12000.0, engagement=345.67),
    )
    assert "Score 12345.67 = fit 12000 + engagement 345.67 (caps applied: none)" in lines(
        explain(verdict)
    )
    assert "Stage: inquiry since 2026-06-01 00:00 UTC (created)" in lines(explain(verdict))


@pytest.mark.parametrize(
    ("fact", "text"),
    [
        (Fact("score", 55.0, 60.0, ">=", False), "score is 55, needs >= 60"),
        (Fact("phone", None, "set", "is set", False), "phone is not set"),
        (Fact("events.webinar_attended", 2), "events.webinar_attended is 2"),
        (Fact("note", False, True, "required", False), "note is False, needs required True"),
    ],
)
def test_explain_fact(fact: Fact, text: str) -> None:
    assert explain_fact(fact) == text


def test_a_sticky_stage_shows_the_score_it_qualified_with() -> None:
    """An MQL whose engagement decayed: the stage stays, and explain says why it is no
    contradiction (the example's L000007 entered mql at 61.72 and scores 53.95 today)."""
    from pathlib import Path  # noqa: PLC0415

    from leadcontract.checks import lint  # noqa: PLC0415
    from leadcontract.engine import compile_contract  # noqa: PLC0415

    example = Path(__file__).parent.parent / "contracts" / "example"
    contract = lint(example).contract
    assert contract is not None
    run = compile_contract(contract).evaluate(
        example / "data" / "leads.csv",
        example / "data" / "events.jsonl",
        as_of=datetime.fromisoformat("2026-11-16T17:00:00+00:00"),
        only={"L000007"},
    )
    (verdict,) = [v for v in run if isinstance(v, Verdict)]
    assert verdict.stage.id == "mql"
    assert verdict.score.total < 60
    text = explain(verdict)
    assert "score when it qualified: 61.72; today 53.95" in text


def test_no_entry_score_line_when_the_score_is_unchanged(engine: CompiledContract) -> None:
    text = explain(engine_support.verdict_of(engine, engine_support.lead()))
    assert "score when it qualified" not in text
