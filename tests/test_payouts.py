"""Payout statements: caps across periods, clawbacks, shadow lines, totals that reconcile,
rendering, and the example data end to end.

Times are in the example contract's zone, America/New_York, unless said otherwise.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from _spiff_helpers import EXAMPLE, contract_with, example

from leadcontract.engine import compile_contract
from leadcontract.inputs import Event, EventCoercer, RawRecord, read_rows
from leadcontract.model import Contract
from leadcontract.payouts import (
    Period,
    Statement,
    parse_period,
    render_statements,
    statements,
)
from leadcontract.rules.spiffs import CompiledSpiffs, SpiffLine
from leadcontract.verdict import Verdict

AS_OF = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def noon(day: str) -> datetime:
    """Noon in New York (16:00 or 17:00 UTC) on ``day``."""
    return datetime.combine(date.fromisoformat(day), time(12), NEW_YORK)


def line(
    lead: str,
    day: str | datetime,
    amount: str,
    *,
    spiff: str = "q",
    rep: str | None = "carl",
    kind: str = "earned",
    currency: str = "USD",
    payable: bool = True,
    reverses: str | None = None,
) -> SpiffLine:
    at = noon(day) if isinstance(day, str) else day
    return SpiffLine(
        spiff=spiff,
        lead_id=lead,
        rep=rep,
        role="ae",
        kind=kind,  # type: ignore[arg-type]
        amount=Decimal(amount),
        currency=currency,
        at=at,
        payable=payable,
        reason=f"test {lead}",
        reverses=reverses,
        line_id=f"{lead}:{spiff}:{rep or '-'}:{kind}:0",
    )


def capped(per: str = "quarter", cap: str = "150.00") -> Contract:
    spec = {
        "campaigns": ["demo-request"],
        "outcome": "sql",
        "amount": {"fixed": "100.00", "currency": "USD"},
        "cap": {"amount": cap, "currency": "USD", "per": per},
    }
    return contract_with(q=spec, free={**spec, "cap": None, "shadow": True})


def one(items: list[Statement], rep: str | None = "carl") -> Statement:
    (found,) = [s for s in items if s.rep == rep]
    return found


def view(statement: Statement) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [
        (item.line.lead_id, item.line.amount, item.capped_by, item.net) for item in statement.lines
    ]


# --- periods --------------------------------------------------------------------------------


def test_periods_parse() -> None:
    assert parse_period("2026-10") == Period("2026-10", date(2026, 10, 1), date(2026, 10, 31))
    assert parse_period("2026-02") == Period("2026-02", date(2026, 2, 1), date(2026, 2, 28))
    assert parse_period("2026-Q4") == Period("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert parse_period("2027-Q1") == Period("2027-Q1", date(2027, 1, 1), date(2027, 3, 31))
    assert parse_period("2026") == Period("2026", date(2026, 1, 1), date(2026, 12, 31))
    assert parse_period("2026-10-15") == Period(
        "2026-10-15", date(2026, 10, 15), date(2026, 10, 15)
    )
    assert parse_period("2026-02..2026-Q3") == Period(
        "2026-02..2026-Q3", date(2026, 2, 1), date(2026, 9, 30)
    )
    assert parse_period("2025-12-15..2026").end == date(2026, 12, 31)
    for bad in ("2026-13", "2026-Q5", "26", "Q4-2026", "2026-10..", "..2026", "2026/10"):
        with pytest.raises(ValueError, match="expected a period"):
            parse_period(bad)
    with pytest.raises(ValueError, match="not a calendar day"):
        parse_period("2026-02-30")
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_period("2026-Q2..2026-01")


def test_a_year_in_one_run_equals_its_months_and_subtotals_add_up() -> None:
    """One statement per rep for the year; its monthly subtotals are the month statements."""
    lines = example_lines()
    contract = example()
    year = {s.rep: s for s in statements(lines, contract=contract, period="2026")}
    months: dict[str | None, dict[str, dict[str, Decimal]]] = {}
    for month in range(1, 13):
        label = f"2026-{month:02d}"
        for statement in statements(lines, contract=contract, period=label):
            if statement.totals:
                months.setdefault(statement.rep, {})[label] = statement.totals
    assert year
    for rep, statement in year.items():
        assert statement.reconciles
        subtotals = {k: v for k, v in statement.subtotals().items() if v}
        assert subtotals == months.get(rep, {})
        summed: dict[str, Decimal] = {}
        for sums in subtotals.values():
            for currency, value in sums.items():
                summed[currency] = summed.get(currency, Decimal(0)) + value
        assert summed == statement.totals


def test_lines_fall_in_the_period_by_the_contract_zone() -> None:
    # 02:00 UTC on 1 November is 31 October, 22:00 in New York.
    late = line("L1", datetime(2026, 11, 1, 2, 0, tzinfo=UTC), "10.00")
    contract = contract_with()
    assert [s.rep for s in statements([late], contract=contract, period="2026-10")] == ["carl"]
    assert statements([late], contract=contract, period="2026-11") == []
    in_utc = statements([late], contract=contract, period="2026-11", zone="UTC")
    assert [s.rep for s in in_utc] == ["carl"]


# --- caps -----------------------------------------------------------------------------------


def test_a_quarterly_cap_cut_spans_two_months_of_the_quarter() -> None:
    lines = [
        line("L1", "2026-10-20", "100.00"),
        line("L2", "2026-11-03", "100.00"),  # crosses the cap: 50.00 paid
        line("L3", "2026-11-04", "100.00"),  # cut to nothing
    ]
    contract = capped()
    october = one(statements(lines, contract=contract, period="2026-10"))
    assert view(october) == [("L1", Decimal("100.00"), Decimal("0.00"), Decimal("100.00"))]
    # November's statement shows only November's lines, but October's filled the cap.
    november = one(statements(lines, contract=contract, period="2026-11"))
    assert view(november) == [
        ("L2", Decimal("100.00"), Decimal("50.00"), Decimal("50.00")),
        ("L3", Decimal("100.00"), Decimal("100.00"), Decimal("0.00")),
    ]
    assert november.lines[0].cap_period == "2026-Q4"
    assert november.totals == {"USD": Decimal("50.00")}
    assert november.gross == {"USD": Decimal("200.00")}
    assert november.capped == {"USD": Decimal("150.00")}
    assert november.reconciles
    quarter = one(statements(lines, contract=contract, period="2026-Q4"))
    assert quarter.totals == {"USD": Decimal("150.00")}
    # Input order does not matter: lines are capped by time, then line id.
    shuffled = one(statements(lines[::-1], contract=contract, period="2026-11"))
    assert view(shuffled) == view(november)


def test_a_monthly_cap_starts_again_each_month() -> None:
    lines = [
        line("L1", "2026-10-20", "100.00"),
        line("L2", "2026-10-21", "100.00"),
        line("L3", "2026-11-03", "100.00"),
    ]
    contract = capped(per="month")
    october = one(statements(lines, contract=contract, period="2026-10"))
    assert [item.net for item in october.lines] == [Decimal("100.00"), Decimal("50.00")]
    november = one(statements(lines, contract=contract, period="2026-11"))
    assert [item.net for item in november.lines] == [Decimal("100.00")]


def test_caps_are_per_rep_and_per_spiff_and_ties_break_by_line_id() -> None:
    same_time = noon("2026-10-20")
    lines = [
        line("L2", same_time, "100.00"),
        line("L1", same_time, "100.00"),
        line("L3", same_time, "100.00", rep="dana"),
        line("L4", same_time, "100.00", spiff="free", payable=False),
    ]
    result = statements(lines, contract=capped(), period="2026-10")
    carl = one(result)
    assert view(carl) == [
        ("L1", Decimal("100.00"), Decimal("0.00"), Decimal("100.00")),
        ("L2", Decimal("100.00"), Decimal("50.00"), Decimal("50.00")),
        ("L4", Decimal("100.00"), Decimal("0.00"), Decimal("100.00")),
    ]
    assert one(result, "dana").totals == {"USD": Decimal("100.00")}


# --- clawbacks, shadow, currencies ----------------------------------------------------------


def test_a_clawback_takes_back_what_was_paid_and_links_to_the_original() -> None:
    first = line("L1", "2026-10-20", "100.00")
    second = line("L2", "2026-10-21", "100.00")  # 50.00 paid under the cap
    back = line("L2", "2026-11-02", "-100.00", kind="clawback", reverses=second.line_id)
    result = statements([first, second, back], contract=capped(), period="2026-11")
    november = one(result)
    (item,) = november.lines
    assert (item.line.reverses, item.line.amount, item.capped_by, item.net) == (
        "L2:q:carl:earned:0",
        Decimal("-100.00"),
        Decimal("-50.00"),
        Decimal("-50.00"),
    )
    assert november.totals == {"USD": Decimal("-50.00")}
    assert november.clawed_back == {"USD": Decimal("-50.00")}
    assert november.reconciles
    # A clawback does not give room back to the cap.
    after = line("L3", "2026-11-03", "100.00")
    october = line("L0", "2026-10-22", "100.00")
    result = statements([first, second, back, after, october], contract=capped(), period="2026-11")
    assert [item.net for item in one(result).lines] == [Decimal("-50.00"), Decimal("0.00")]


def test_a_clawback_of_an_unknown_line_reverses_its_full_amount() -> None:
    back = line("L9", "2026-11-02", "-40.00", kind="clawback", reverses="nowhere")
    (statement,) = statements([back], contract=capped(), period="2026-11")
    assert statement.totals == {"USD": Decimal("-40.00")}
    assert statement.reconciles


def test_shadow_lines_are_shown_but_not_totalled() -> None:
    lines = [
        line("L1", "2026-10-20", "100.00", spiff="free", payable=False),
        line("L2", "2026-10-21", "25.00", spiff="other"),
    ]
    (statement,) = statements(lines, contract=capped(), period="2026-10")
    assert [item.line.lead_id for item in statement.lines] == ["L1", "L2"]
    assert statement.totals == {"USD": Decimal("25.00")}
    assert statement.shadow_totals == {"USD": Decimal("100.00")}
    assert statement.reconciles


def test_totals_are_per_currency_and_reps_are_sorted_with_unassigned_last() -> None:
    lines = [
        line("L1", "2026-10-20", "950.00", spiff="p", rep="datahaus", currency="EUR"),
        line("L2", "2026-10-20", "20.00", spiff="p", rep="datahaus"),
        line("L3", "2026-10-20", "60.00", spiff="w", rep=None),
        line("L4", "2026-10-20", "40.00", spiff="w", rep="ava"),
    ]
    result = statements(lines, contract=contract_with(), period="2026-10")
    assert [(s.rep, s.rep_name) for s in result] == [
        ("ava", "Ava Lindqvist"),
        ("datahaus", "Datahaus GmbH (channel partner)"),
        (None, None),
    ]
    assert result[1].totals == {"EUR": Decimal("950.00"), "USD": Decimal("20.00")}
    assert all(s.reconciles for s in result)


def test_reconciles_catches_a_tampered_line() -> None:
    (statement,) = statements(
        [line("L1", "2026-10-20", "100.00")], contract=capped(), period="2026-10"
    )
    assert statement.reconciles
    bad = replace(statement.lines[0], capped_by=Decimal("150.00"))
    assert not replace(statement, lines=(bad,)).reconciles


# --- rendering ------------------------------------------------------------------------------


def rendered_lines() -> list[Statement]:
    lines = [
        line("L1", "2026-10-20", "100.00"),
        line("L2", "2026-10-21", "100.00"),
        line("L2", "2026-10-22", "-100.00", kind="clawback", reverses="L2:q:carl:earned:0"),
        line("L3", "2026-10-22", "10.00", spiff="free", payable=False, rep=None),
    ]
    return statements(lines, contract=capped(), period="2026-10")


def test_render_table_cites_every_rule_and_reason() -> None:
    text = render_statements(rendered_lines(), "table")
    assert "Statement 2026-10 for carl - Carl Diaz" in text
    assert "Statement 2026-10 for (unassigned)" in text
    for lead in ("L1", "L2", "L3"):
        assert f"test {lead}" in text
    assert "/spiffs/q (L2:q:carl:clawback:0): test L2" in text
    assert "/spiffs/free (L3:free:-:earned:0): test L3" in text
    assert "total: 100.00 USD" in text
    assert "shadow (not payable): 10.00 USD" in text
    assert "reconciles: yes" in text
    assert all(row == row.rstrip() for row in text.splitlines())


def test_render_csv_has_one_row_per_line() -> None:
    text = render_statements(rendered_lines(), "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["rep"], r["line_id"], r["net"], r["payable"]) for r in rows] == [
        ("carl", "L1:q:carl:earned:0", "100.00", "true"),
        ("carl", "L2:q:carl:earned:0", "50.00", "true"),
        ("carl", "L2:q:carl:clawback:0", "-50.00", "true"),
        ("", "L3:free:-:earned:0", "10.00", "false"),
    ]
    assert rows[2]["reverses"] == "L2:q:carl:earned:0"
    assert all(r["rule"] == f"/spiffs/{r['spiff']}" and r["reason"] for r in rows)


def test_render_json_is_exact_and_reconciles() -> None:
    data: list[dict[str, Any]] = json.loads(render_statements(rendered_lines(), "json"))
    carl = data[0]
    assert carl["totals"] == {"USD": "100.00"}
    assert carl["capped"] == {"USD": "50.00"}
    assert carl["clawed_back"] == {"USD": "-50.00"}
    assert carl["reconciles"] is True
    assert [item["capped_by"] for item in carl["lines"]] == ["0.00", "50.00", "-50.00"]
    assert carl["lines"][2]["reverses"] == "L2:q:carl:earned:0"
    assert data[1]["rep"] is None
    assert data[1]["shadow_totals"] == {"USD": "10.00"}
    assert data[1]["lines"][0]["payable"] is False
    with pytest.raises(ValueError, match="unknown format"):
        render_statements([], "xml")  # type: ignore[arg-type]


# --- the example data, end to end -----------------------------------------------------------


@cache
def example_lines() -> tuple[SpiffLine, ...]:
    contract = example()
    engine = compile_contract(contract)
    coercer = EventCoercer(default_tz=engine.zone)
    by_lead: dict[str, list[Event]] = defaultdict(list)
    for row in read_rows(EXAMPLE / "data" / "events.jsonl", kind="event"):
        assert isinstance(row, RawRecord)
        event, errors = coercer.coerce(row)
        assert event is not None, errors
        by_lead[event.lead_id].append(event)
    spiffs = CompiledSpiffs(contract)
    lines: list[SpiffLine] = []
    verdicts = 0
    for verdict in engine.evaluate(
        EXAMPLE / "data" / "leads.csv", EXAMPLE / "data" / "events.jsonl", as_of=AS_OF, trace=False
    ):
        if not isinstance(verdict, Verdict):  # an error row: no verdict to judge
            continue
        verdicts += 1
        decisions = spiffs.judge(verdict, by_lead[verdict.lead_id])
        # The engine's call: its events already in order and none after as_of, not re-sorted.
        in_order = sorted(
            (e for e in by_lead[verdict.lead_id] if e.at <= AS_OF), key=lambda e: (e.at, e.seq)
        )
        assert spiffs.judge(verdict, in_order, in_order=True) == decisions
        for decision in decisions:
            assert decision.eligible == bool(decision.lines)
            lines.extend(decision.lines)
    assert verdicts == 240
    return tuple(lines)


def test_the_example_data_earns_every_kind_of_line() -> None:
    lines = example_lines()
    assert len({line.line_id for line in lines}) == len(lines)
    assert {line.spiff for line in lines} == {
        "demo-fast-touch",
        "webinar-opportunity",
        "partner-won",
        "content-accepted-trial",
    }
    assert any(line.kind == "clawback" for line in lines)
    assert any(not line.payable for line in lines)
    assert all(not line.payable for line in lines if line.spiff == "content-accepted-trial")


@pytest.mark.parametrize("period", ["2026-10", "2026-11"])
def test_example_statements_reconcile(period: str) -> None:
    result = statements(example_lines(), contract=example(), period=period)
    assert result
    assert all(statement.reconciles for statement in result)
    assert any(item.line.payable for statement in result for item in statement.lines)
    for statement in result:
        days = [item.line.at.astimezone(NEW_YORK).date() for item in statement.lines]
        assert all(statement.period.contains(day) for day in days)
    for fmt in ("table", "csv", "json"):
        assert render_statements(result, fmt)
