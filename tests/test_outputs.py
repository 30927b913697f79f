"""Flat outputs for analysts: the column set, --columns, Parquet, and the suffix rule."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from leadcontract.checks import lint
from leadcontract.cli import main
from leadcontract.columns import BASE_COLUMNS, select_columns, verdict_columns

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "contracts" / "example"
DATA = EXAMPLE / "data"
RUN = [
    "evaluate",
    str(EXAMPLE),
    "--leads",
    str(DATA / "leads.csv"),
    "--events",
    str(DATA / "events.jsonl"),
    "--as-of",
    "2026-11-16T17:00:00Z",
    "--no-trace",
]


@pytest.fixture(scope="module")
def columns() -> tuple[str, ...]:
    contract = lint(EXAMPLE).contract
    assert contract is not None
    return tuple(column.name for column in verdict_columns(contract))


def test_every_sla_and_spiff_has_its_columns(columns: tuple[str, ...]) -> None:
    contract = lint(EXAMPLE).contract
    assert contract is not None
    for sla in contract.slas:
        for part in ("status", "due", "stopped", "party"):
            assert f"sla.{sla}.{part}" in columns
    for spiff in contract.spiffs:
        assert f"spiff.{spiff}.eligible" in columns
        assert f"spiff.{spiff}.amount" in columns
    assert len(columns) == len(BASE_COLUMNS) + 4 * len(contract.slas) + 2 * len(contract.spiffs)


def test_the_outputs_page_documents_every_column() -> None:
    page = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    for column in BASE_COLUMNS:
        assert re.search(rf"^\| `{re.escape(column.name)}` \|", page, re.M), column.name
    for pattern in ("sla.<id>.status", "sla.<id>.due", "sla.<id>.stopped", "sla.<id>.party"):
        assert f"`{pattern}`" in page
    assert "`spiff.<id>.eligible`" in page
    assert "`spiff.<id>.amount`" in page


def _csv(capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, str]]:
    assert main([*RUN, "--format", "csv", *extra]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_csv_has_owner_sla_and_spiff_columns(
    capsys: pytest.CaptureFixture[str], columns: tuple[str, ...]
) -> None:
    rows = _csv(capsys)
    assert len(rows) == 240
    assert tuple(rows[0]) == columns
    breached = [r for r in rows if r["sla.first-touch.status"] == "breached"]
    assert breached
    assert all(r["sla.first-touch.party"] for r in breached)
    assert any(r["owner"] for r in rows)
    paid = [r for r in rows if r["spiff.webinar-opportunity.amount"]]
    assert all(r["spiff.webinar-opportunity.eligible"] == "true" for r in paid)


def test_columns_are_chosen_in_the_order_given_with_wildcards(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = _csv(capsys, "--columns", "owner,lead_id,sla.first-touch.*")
    assert list(rows[0]) == [
        "owner",
        "lead_id",
        "sla.first-touch.status",
        "sla.first-touch.due",
        "sla.first-touch.stopped",
        "sla.first-touch.party",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("lead_id,ownr", "no column 'ownr'; did you mean 'owner'?"),
        ("sla.nope.*", "no column starts with 'sla.nope.'"),
    ],
)
def test_unknown_columns_are_usage_errors(
    capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    assert main([*RUN, "--format", "csv", "--columns", value]) == 2
    assert message in capsys.readouterr().err


def test_columns_do_not_apply_to_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*RUN, "--columns", "lead_id"]) == 2
    assert "--columns chooses the columns of csv" in capsys.readouterr().err


def test_parquet_holds_the_same_rows_typed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], columns: tuple[str, ...]
) -> None:
    rows = _csv(capsys)
    out = tmp_path / "verdicts.parquet"
    assert main([*RUN, "--out", str(out)]) == 0
    table = pq.read_table(out)
    assert tuple(table.column_names) == columns
    assert table.num_rows == 240
    assert str(table.schema.field("as_of").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("touches").type) == "int64"
    assert str(table.schema.field("spiff.webinar-opportunity.amount").type) == "decimal128(20, 2)"
    for name in ("lead_id", "owner", "stage", "sla.first-touch.status", "sla.first-touch.party"):
        assert [v or "" for v in table.column(name).to_pylist()] == [r[name] for r in rows]
    amounts = table.column("spiff.webinar-opportunity.amount").to_pylist()
    assert [str(a) if a is not None else "" for a in amounts] == [
        r["spiff.webinar-opportunity.amount"] for r in rows
    ]


def test_parquet_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*RUN, "--format", "parquet"]) == 2
    assert "Parquet output needs --out" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["verdicts.xlsx", "verdicts.json", "verdicts.PARQUETX"])
def test_an_out_suffix_that_names_no_format_is_refused_not_filled_with_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = tmp_path / name
    assert main([*RUN, "--out", str(out)]) == 2
    assert "cannot tell the verdict format" in capsys.readouterr().err
    assert not out.exists()


def test_select_columns_keeps_the_order_named() -> None:
    chosen = select_columns(BASE_COLUMNS, ["stage", "lead_id"])
    assert [c.name for c in chosen] == ["stage", "lead_id"]
