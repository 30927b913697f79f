"""One test per finding of the hostile-input review (issue 8) about reading records: nothing
lost, invented or picked silently. The inputs are fixtures in tests/fixtures/hostile/."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import leadcontract
from leadcontract.engine import compile_contract
from leadcontract.inputs import InputFileError, RawRecord, RecordError, _csv, read_rows
from leadcontract.store import SqliteAuditStore, record_evaluation
from leadcontract.verdict import Verdict
from leadcontract.writers import csv_row, verdict_json

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
ENGINE = Path(__file__).resolve().parent / "fixtures" / "engine"


def read(name: str | Path) -> tuple[list[RawRecord], list[RecordError]]:
    path = name if isinstance(name, Path) else HOSTILE / name
    records: list[RawRecord] = []
    errors: list[RecordError] = []
    for item in read_rows(path, kind="lead"):
        if isinstance(item, RawRecord):
            records.append(item)
        else:
            errors.append(item)
    return records, errors


def test_an_unclosed_quote_is_reported_at_its_line_and_every_line_is_accounted_for() -> None:
    records, errors = read("unclosed-quote.csv")
    # 50 data lines in: 2 records before the quote, its record, and 47 swallowed lines.
    assert len(records) + len(errors) == 50
    assert [r.data["Id"] for r in records] == ["L001", "L002"]
    first = errors[0]
    assert (first.record, first.line, first.code) == (3, 4, "malformed")
    assert "opens on line 4 is never closed" in first.message
    assert "47 line(s)" in first.message
    assert [e.line for e in errors[1:]] == list(range(5, 52))
    assert all("never closed" in e.message for e in errors[1:])
    assert not any("column" in e.message for e in errors)  # not blamed on a missing column


def test_an_unclosed_quote_after_a_closed_multiline_cell_names_the_right_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text('Id,Notes,Company\nL1,"two\nlines","Acme\nL2,x,y\n')
    records, errors = read(path)
    assert records == []
    assert "opens on line 3" in errors[0].message
    assert [(e.record, e.line) for e in errors] == [(1, 2), (2, 4)]


def test_a_cell_longer_than_the_csv_modules_limit_is_read_whole() -> None:
    records, errors = read("long-cell.csv")
    assert errors == []
    assert [r.data["Id"] for r in records] == ["L001", "L002"]  # no invented leads
    assert len(records[0].data["Notes"]) > 131_072
    assert records[0].data["Notes"].endswith("x5999@evil.example")
    assert records[1].line == 6003


def test_a_record_beyond_the_bound_is_refused_with_every_later_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_csv, "MAX_RECORD_CHARS", 1000)
    path = tmp_path / "leads.csv"
    path.write_text('Id,Notes\nL1,ok\nL2,"' + "y" * 2000 + '"\nL3,z\n\nL4,w\n')
    records, errors = read(path)
    assert [r.data["Id"] for r in records] == ["L1"]
    assert "longer than 1,000 characters" in errors[0].message
    assert [(e.record, e.line) for e in errors] == [(2, 3), (3, 4), (4, 6)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("duplicate-column.csv", 'names column "Email" twice (columns 2 and 4)'),
        ("bad-header-bytes.csv", 'column 3 of the header, "Stra\\xdfe", is not valid UTF-8'),
        ("utf16.csv", "the file is UTF-16 (little-endian)"),
        ("double-bom.csv", "two UTF-8 byte order marks"),
    ],
)
def test_a_bad_header_refuses_the_file_with_one_clear_error(name: str, expected: str) -> None:
    with pytest.raises(InputFileError) as caught:
        read(name)
    assert expected in str(caught.value)
    assert str(caught.value).startswith(f"{HOSTILE / name}:1: ")


def test_utf16_without_a_byte_order_mark_is_named(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_bytes('{"Id": "L1"}\n'.encode("utf-16-le"))
    with pytest.raises(InputFileError, match="looks UTF-16 or UTF-32"):
        read(path)


def test_unnamed_columns_may_repeat(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("Id,,Company,\nL1,,Acme,\n")
    records, errors = read(path)
    assert errors == []
    assert records[0].data["Company"] == "Acme"


def test_a_second_records_key_is_an_error() -> None:
    records, errors = read("duplicate-records.json")
    assert [r.data for r in records] == [{"Id": "L001"}]
    assert len(errors) == 1
    assert 'second "records" key' in errors[0].message


def test_data_after_the_top_level_value_is_an_error() -> None:
    records, errors = read("trailing-data.json")
    assert [r.data for r in records] == [{"Id": "L001"}]
    assert [(e.record, e.line) for e in errors] == [(2, 2)]
    assert "more data after the end of the top-level JSON value" in errors[0].message


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_duplicate_key_in_a_record_is_an_error_row(tmp_path: Path, suffix: str) -> None:
    lines = (HOSTILE / "duplicate-key.jsonl").read_text().splitlines()
    path = tmp_path / f"leads{suffix}"
    path.write_text("\n".join(lines) + "\n" if suffix == ".jsonl" else f"[{','.join(lines)}]")
    records, errors = read(path)
    assert [r.data["Id"] for r in records] == ["L001"]
    assert [(e.record, e.field, e.code) for e in errors] == [(2, "Email", "malformed")]
    assert "duplicate key" in errors[0].message
    assert "attacker" not in errors[0].message


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_lone_surrogate_is_an_error_row_naming_the_field(tmp_path: Path, suffix: str) -> None:
    lines = (HOSTILE / "lone-surrogate.jsonl").read_text().splitlines()
    path = tmp_path / f"leads{suffix}"
    path.write_text("\n".join(lines) + "\n" if suffix == ".jsonl" else f"[{','.join(lines)}]")
    records, errors = read(path)
    assert [r.data["Id"] for r in records] == ["L001"]
    assert [(e.record, e.field) for e in errors] == [(2, "LastName")]
    assert "lone surrogate (\\ud800)" in errors[0].message
    errors[0].message.encode("utf-8")  # writable


def test_a_surrogate_pair_is_text(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text('{"Id": "L1", "LastName": "\\ud83d\\ude00"}\n')
    records, errors = read(path)
    assert errors == []
    assert records[0].data["LastName"] == "\U0001f600"


def test_strings_longer_than_8_mb_are_read_and_so_are_the_records_after_them(
    tmp_path: Path,
) -> None:
    big = "x" * (9 << 20)
    path = tmp_path / "leads.json"
    items = [{"Id": "L1", "Notes": big}, *({"Id": f"L{n}"} for n in range(2, 6))]
    path.write_text(json.dumps({"records": items}))
    records, errors = read(path)
    assert errors == []
    assert [r.data["Id"] for r in records] == ["L1", "L2", "L3", "L4", "L5"]
    assert len(records[0].data["Notes"]) == len(big)


def test_lone_surrogates_from_python_records_reach_no_output_as_a_crash(tmp_path: Path) -> None:
    """The readers refuse lone surrogates; records given as Python objects may still hold
    them. JSON output writes them as JSON escapes, and the audit store stores and chains them."""
    result = leadcontract.load(str(ENGINE / "contract.yaml"))
    assert result.contract is not None
    compiled = compile_contract(result.contract)
    lead = {
        "lead_id": "E\ud800", "email": "a@acme.example", "company": "Acme\udcff",
        "industry": "software", "employees": "600", "campaign": "webinar", "owner": "sam",
        "created_at": "2026-06-01T00:00:00Z",
    }  # fmt: skip
    items = list(compiled.evaluate([lead], as_of=datetime(2026, 7, 1, tzinfo=UTC)))
    (verdict,) = items
    assert isinstance(verdict, Verdict)
    line = verdict_json(verdict)
    line.encode("utf-8")
    assert json.loads(line)["lead_id"] == "E\ud800"  # the same string, escaped
    assert ",".join(csv_row(verdict).values()).encode("utf-8")
    with SqliteAuditStore(tmp_path / "audit.db") as store:
        record_evaluation(store, compiled, items, as_of=verdict.as_of, inputs_digest="sha256:x")
        assert store.verify().ok
        (entry,) = store.lead_history("E\\ud800")
        assert entry.payload["lead_id"] == "E\ud800"
