"""One test per hostile input that once hung or crashed the engine (issue 8), each input a
fixture in tests/fixtures/hostile/. The fuzz suite (test_fuzz_contracts.py) looks for more."""

from __future__ import annotations

from pathlib import Path

from engine_support import DAY, T0, compiled, event, lead

from leadcontract import lint
from leadcontract.verdict import Verdict

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"


def codes(path: Path) -> list[str]:
    return [d.code for d in lint(path).errors]


# --- hang 1: a loop of criteria stages ---------------------------------------------------------


def test_lint_rejects_a_loop_of_criteria_stages() -> None:
    result = lint(HOSTILE / "criteria_cycle.yaml")
    loops = [d for d in result.errors if d.code == "LC406"]
    # Two loops: mql -> mql, and inquiry -> mql -> nurture -> ... share one strongly
    # connected group, so one diagnostic names one loop through it.
    assert len(loops) == 1
    assert "`mql`" in loops[0].message
    assert loops[0].line is not None


def test_the_replay_of_a_loop_of_criteria_stages_stops() -> None:
    engine = compiled(HOSTILE / "criteria_cycle.yaml")
    events = [event("webinar_attended", T0 + DAY), event("pricing_page_visit", T0 + 2 * DAY)]
    # fit 40 (software, 600 employees) + engagement: mql's criteria hold from the first webinar.
    record = lead(industry="software", employees=600)
    (verdict,) = list(engine.evaluate([record], events, as_of=T0 + 3 * DAY))
    assert isinstance(verdict, Verdict)
    history = [(change.stage, change.at) for change in verdict.stage.history]
    # Each instant (creation, each event, as_of) enters each stage at most once, the stage the
    # lead is in counting as entered: at +2d from nurture to mql, on to inquiry (nurture was
    # the start), and not on to mql again.
    assert history == [
        ("inquiry", T0),
        ("mql", T0 + DAY),
        ("nurture", T0 + DAY),
        ("mql", T0 + 2 * DAY),
        ("inquiry", T0 + 2 * DAY),
        ("mql", T0 + 3 * DAY),
        ("nurture", T0 + 3 * DAY),
    ]
