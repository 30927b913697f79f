"""One test per hostile input that once hung or crashed the engine (issue 8), each input a
fixture in tests/fixtures/hostile/. The fuzz suite (test_fuzz_contracts.py) looks for more."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from engine_support import DAY, T0, compiled, event, lead

from leadcontract import lint
from leadcontract.cli import main
from leadcontract.engine import ContractError, compile_contract
from leadcontract.inputs import RecordError
from leadcontract.loader import load
from leadcontract.verdict import Verdict

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
EXAMPLE = Path(__file__).parent.parent / "contracts" / "example"
EXAMPLE_AS_OF = datetime(2026, 11, 16, 17, tzinfo=UTC)


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


# --- crashes: contracts that linted clean but did not compile ---------------------------------


def test_overlapping_working_hours_are_a_lint_error_and_a_contract_error() -> None:
    path = HOSTILE / "overlapping_hours.yaml"
    assert codes(path) == ["LC806"]
    loaded = load(path)
    assert loaded.contract is not None
    with pytest.raises(ContractError, match="/calendars/office: working hours on Monday"):
        compile_contract(loaded.contract)


def test_the_cli_reports_an_overlap_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    path = HOSTILE / "overlapping_hours.yaml"
    assert main(["lint", str(path)]) == 1
    out = capsys.readouterr().out
    assert "LC806" in out
    assert "Traceback" not in out


# --- crashes: amounts beyond the decimal context -----------------------------------------------


def test_an_event_amount_beyond_the_largest_is_an_error_row() -> None:
    """`"amount": "1E+30"` on a won deal made rounding to cents raise InvalidOperation."""
    result = lint(EXAMPLE)
    assert result.contract is not None
    engine = compile_contract(result.contract)
    evaluation = engine.evaluate(
        EXAMPLE / "data" / "leads.csv",
        HOSTILE / "huge_amount_events.jsonl",
        as_of=EXAMPLE_AS_OF,
        only={"L000070"},
    )
    items = list(evaluation)
    errors = [i for i in items if isinstance(i, RecordError)]
    (verdict,) = [i for i in items if isinstance(i, Verdict)]
    assert [(e.kind, e.field, e.code) for e in errors] == [("event", "amount", "wrong-type")]
    assert "expected an amount of at most 1,000,000,000,000,000" in errors[0].message
    assert verdict.lead_id == "L000070"
    assert evaluation.counts.reconciles


def test_working_hours_nested_in_a_list_are_a_lint_error() -> None:
    """Found by the fuzz suite (a value wrapped in a list): pydantic read the pair of strings
    as times with UTC offsets, lint passed, and compile refused the calendar."""
    result = lint(HOSTILE / "nested_hours.yaml")
    assert [(d.code, d.pointer) for d in result.errors] == [
        ("LC103", "/calendars/office/hours/mon/0")
    ]
    assert "expected working hours such as '09:00-17:00'" in result.errors[0].message
