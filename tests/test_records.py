"""Records in: reading CSV, JSON Lines and JSON; coercing leads and events; error rows."""

from __future__ import annotations

import json
import tracemalloc
import typing
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcontract.inputs import (
    ERROR_CODES,
    EVENT_ATTRIBUTES,
    ErrorCode,
    Event,
    EventCoercer,
    InputFileError,
    LeadCoercer,
    RawRecord,
    RecordError,
    read_rows,
    rows_from_iterable,
)
from leadcontract.inputs import _json as records_module
from leadcontract.model import Lead

SALESFORCE_LEADS = Path(__file__).resolve().parent / "data" / "external" / "salesforce-Lead.json"
NEW_YORK = ZoneInfo("America/New_York")


def make_lead(fields: Mapping[str, Any], *, id_field: str = "lead_id") -> Lead:
    return Lead.model_validate(
        {
            "keys": {"id": id_field},
            "fields": fields,
            "lifecycle": {"stages": [{"id": "inquiry"}]},
            "disqualification": {"reasons": {"no-budget": {"label": "No budget"}}},
        }
    )


def write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def split(
    items: Iterable[RawRecord | RecordError],
) -> tuple[list[RawRecord], list[RecordError]]:
    records: list[RawRecord] = []
    errors: list[RecordError] = []
    for item in items:
        (errors if isinstance(item, RecordError) else records).append(item)  # type: ignore[arg-type]
    return records, errors


def where(error: RecordError) -> tuple[str, int, int | None, str | None, str]:
    """The exact position and reason of an error row, for short assertions."""
    return error.source, error.record, error.line, error.field, error.code


# --- RecordError ----------------------------------------------------------------------------


def test_one_error_row_per_record_carries_every_problem() -> None:
    first = RecordError("lead", "leads.csv", 3, 4, "00Q1", "employees", "wrong-type", "bad")
    second = RecordError("lead", "leads.csv", 3, 4, "00Q1", "email", "missing-required", "none")
    row = RecordError.of_record([first, second])
    assert (row.field, row.code, row.also) == ("employees", "wrong-type", (second,))
    assert row.to_dict()["also"] == [
        {"field": "email", "code": "missing-required", "message": "none"}
    ]
    assert str(row).endswith("wrong-type: bad; missing-required: none")


def test_record_error_to_dict_and_str() -> None:
    error = RecordError(
        "lead", "leads.csv", 3, 4, "00Q1", "employees", "wrong-type", "employees: bad"
    )
    assert error.to_dict() == {
        "kind": "lead",
        "source": "leads.csv",
        "record": 3,
        "line": 4,
        "lead_id": "00Q1",
        "field": "employees",
        "code": "wrong-type",
        "message": "employees: bad",
        "also": [],
    }
    json.dumps(error.to_dict())
    assert str(error) == "leads.csv:4: lead 3 (lead 00Q1): wrong-type: employees: bad"
    assert str(RecordError("event", "<input>", 1, None, None, None, "malformed", "x")) == (
        "<input>: event 1: malformed: x"
    )


def test_error_codes_are_documented() -> None:
    assert set(ERROR_CODES) == set(typing.get_args(ErrorCode))
    docs = (Path(__file__).resolve().parents[1] / "docs" / "evaluation.md").read_text("utf-8")
    missing = [code for code in ERROR_CODES if f"`{code}`" not in docs]
    assert not missing, f"docs/evaluation.md does not describe error codes {missing}"


# --- read_rows: CSV -------------------------------------------------------------------------


def test_csv_records_with_physical_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "leads.csv",
        "Id,Company,Description\n"
        '1,Acme,"first line\nsecond line\nthird line"\n'
        "\n"
        "2,Globex,plain\n"
        '3,"Initech, Inc.","say ""hi"""\n',
    )
    records, errors = split(read_rows(path, kind="lead"))
    assert errors == []
    assert [(r.source, r.record, r.line) for r in records] == [
        (str(path), 1, 2),
        (str(path), 2, 6),
        (str(path), 3, 7),
    ]
    assert records[0].data == {
        "Id": "1",
        "Company": "Acme",
        "Description": "first line\nsecond line\nthird line",
    }
    assert records[2].data["Company"] == "Initech, Inc."
    assert records[2].data["Description"] == 'say "hi"'


def test_csv_crlf_and_multiline_cell(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", b'a,b\r\n1,"x\r\ny"\r\n2,z\r\n')
    records, errors = split(read_rows(path, kind="lead"))
    assert errors == []
    assert [(r.line, dict(r.data)) for r in records] == [
        (2, {"a": "1", "b": "x\r\ny"}),
        (4, {"a": "2", "b": "z"}),
    ]


def test_csv_more_cells_is_malformed_fewer_cells_are_empty(tmp_path: Path) -> None:
    """Cells left out at the end of a row (Excel leaves them out after a sheet's sixteenth
    row) are empty cells: the row has every column of the header, as CSV means it."""
    path = write(tmp_path, "leads.csv", "a,b,c\n1,2,3\n1,2,3,4\n1\n5,6,7\n")
    items = list(read_rows(path, kind="lead"))
    assert len(items) == 4
    records, errors = split(items)
    assert [where(e) for e in errors] == [(str(path), 2, 3, None, "malformed")]
    assert errors[0].kind == "lead"
    assert errors[0].lead_id is None
    assert errors[0].message == "the row has 4 cells but the header has 3"
    assert [(r.record, r.line, dict(r.data)) for r in records] == [
        (1, 2, {"a": "1", "b": "2", "c": "3"}),
        (3, 4, {"a": "1", "b": "", "c": ""}),
        (4, 5, {"a": "5", "b": "6", "c": "7"}),
    ]


def test_a_cell_left_out_reads_as_an_empty_cell(tmp_path: Path) -> None:
    """A row whose trailing empty cells were left out reads as the same row with them: the
    ``value_map`` of ``""`` applies, and a required field is "empty", not "no column" (the
    header has the column; the message sent the user looking for a missing column)."""
    lead = make_lead(
        {
            "lead_id": {"type": "string", "required": True},
            "source": {"type": "string", "value_map": {"": "other"}},
            "email": {"type": "string", "required": True},
        }
    )
    coercer = LeadCoercer(lead, default_tz=UTC)
    full = write(tmp_path, "full.csv", "lead_id,email,source\nL1,,\n")
    short = write(tmp_path, "short.csv", "lead_id,email,source\nL1\n")
    results = []
    for path in (full, short):
        (row,) = read_rows(path, kind="lead")
        assert isinstance(row, RawRecord)
        record, errors = coercer.coerce(row)
        results.append((record, [e.message for e in errors]))
    assert results[0] == results[1] == (None, ["email: required, but empty"])
    (row,) = read_rows(
        write(tmp_path, "ok.csv", "lead_id,email,source\nL1,a@b.example\n"), kind="lead"
    )
    assert isinstance(row, RawRecord)
    assert coercer.coerce(row)[0] == {"lead_id": "L1", "source": "other", "email": "a@b.example"}


def test_csv_excel_separator_line(tmp_path: Path) -> None:
    """Some exports start with `sep=,`, Excel's hint of the separator: the header follows it
    (it was read as the header, and every record had "more cells than the header"); a line
    naming another separator refuses the file, naming it."""
    path = write(tmp_path, "leads.csv", "sep=,\r\nId,Company\r\n1,Acme\r\n")
    (record,) = read_rows(path, kind="lead")
    assert isinstance(record, RawRecord)
    assert (record.line, dict(record.data)) == (3, {"Id": "1", "Company": "Acme"})
    path = write(tmp_path, "semicolons.csv", "sep=;\r\nId;Company\r\n1;Acme\r\n")
    with pytest.raises(InputFileError, match=r":1: the file starts with Excel's separator line"):
        list(read_rows(path, kind="lead"))


def test_csv_title_line_above_the_header(tmp_path: Path) -> None:
    """A report's export may start with its title: read as a header of one column, every
    record has more cells; the error row says which line to remove."""
    path = write(tmp_path, "leads.csv", "Leads this month\n\nId,Company\n1,Acme\n")
    _, errors = split(read_rows(path, kind="lead"))
    assert [e.message for e in errors] == [
        "the row has 2 cells but the header has 1 (line 1: is it a title above the header? "
        "remove it)",
        "the row has 2 cells but the header has 1 (line 1: is it a title above the header? "
        "remove it)",
    ]


def test_csv_header_repeated_by_joined_exports(tmp_path: Path) -> None:
    """Two exports joined with `cat`: the second one's header (with its byte order mark) is
    a line of its own, named as such (it was a lead `\ufeffId` whose values had wrong
    types)."""
    export = b"\xef\xbb\xbfId,Seats\r\n1,3\r\n"
    path = write(tmp_path, "leads.csv", export + export.replace(b"1,3", b"2,4"))
    records, errors = split(read_rows(path, kind="lead"))
    assert [dict(r.data) for r in records] == [{"Id": "1", "Seats": "3"}, {"Id": "2", "Seats": "4"}]
    assert [(e.line, e.code, e.message) for e in errors] == [
        (3, "malformed", "the line repeats the header of line 1 (files joined?): remove it")
    ]


def test_csv_lead_row_of_empty_cells(tmp_path: Path) -> None:
    """Excel saves rows it once formatted as `,,,` after the data: each is still an error row
    (counted), one that says the row is empty, not that every required field is."""
    path = write(tmp_path, "leads.csv", 'Id,Company\r\n1,Acme\r\n,\r\n" ",\r\n')
    records, errors = split(read_rows(path, kind="lead"))
    assert len(records) == 1
    assert [(e.line, e.code, e.message) for e in errors] == [
        (
            line,
            "malformed",
            "every cell of the row is empty (a row kept after the data?): remove it",
        )
        for line in (3, 4)
    ]


def test_csv_byte_order_mark(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", b"\xef\xbb\xbfId,Company\n1,Acme\n")
    (record,) = read_rows(path, kind="lead")
    assert isinstance(record, RawRecord)
    assert list(record.data) == ["Id", "Company"]


def test_csv_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", b"Id,Company\n1,Caf\xe9 Oslo\n2,K\xc3\xb8benhavn\n3,Ok\n")
    items = list(read_rows(path, kind="event"))
    records, errors = split(items)
    assert [where(e) for e in errors] == [(str(path), 1, 2, "Company", "malformed")]
    assert errors[0].kind == "event"
    assert errors[0].message == (
        'Company: not valid UTF-8: "Caf\\xe9 Oslo": the file was saved in another encoding '
        "(such as Windows-1252); save it as UTF-8"
    )
    errors[0].message.encode("utf-8")  # writable as it is
    assert [(r.record, r.data["Company"]) for r in records] == [(2, "København"), (3, "Ok")]


def test_csv_error_from_the_csv_module_is_a_row_and_reading_goes_on(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", 'a,b\n1,"x"y\n2,y\n')
    items = list(read_rows(path, kind="lead"))
    records, errors = split(items)
    assert [where(e) for e in errors] == [(str(path), 1, 2, None, "malformed")]
    assert errors[0].message.startswith("not valid CSV: ")
    assert [(r.record, r.line, dict(r.data)) for r in records] == [(2, 3, {"a": "2", "b": "y"})]


@pytest.mark.parametrize("content", ["", "\n\n", "a,b\n", "\na,b\n\n"])
def test_csv_without_data_rows(tmp_path: Path, content: str) -> None:
    assert list(read_rows(write(tmp_path, "leads.csv", content), kind="lead")) == []


# --- read_rows: JSON Lines ------------------------------------------------------------------


def test_jsonl_malformed_line_in_the_middle(tmp_path: Path) -> None:
    lines = [
        '{"lead_id": "1"}',
        "",
        '{"lead_id": "2", oops}',
        "[1, 2]",
        '{"lead_id": "3"}',
        "   ",
        "42",
        '{"lead_id": "4"}',
    ]
    path = write(tmp_path, "events.jsonl", "\n".join(lines) + "\n")
    items = list(read_rows(path, kind="event"))
    records, errors = split(items)
    assert [where(e) for e in errors] == [
        (str(path), 2, 3, None, "malformed"),
        (str(path), 3, 4, None, "malformed"),
        (str(path), 5, 7, None, "malformed"),
    ]
    assert errors[0].message.startswith("not a JSON object: Expecting property name")
    assert errors[1].message == "expected a JSON object, got a list"
    assert errors[2].message == "expected a JSON object, got 42"
    assert [(r.record, r.line, r.data["lead_id"]) for r in records] == [
        (1, 1, "1"),
        (4, 5, "3"),
        (6, 8, "4"),
    ]
    non_blank = sum(1 for line in lines if line.strip())
    assert non_blank == len(records) + len(errors) == len(items)


def test_jsonl_non_utf8_line_and_bom(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "leads.ndjson",
        b'\xef\xbb\xbf{"a": 1}\r\n{"a": "\xff"}\r\n{"a": "\xc3\xa6"}\r\n',
    )
    records, errors = split(read_rows(path, kind="lead"))
    assert [where(e) for e in errors] == [(str(path), 2, 2, None, "malformed")]
    assert errors[0].message == (
        "byte 0xff at column 8 is not valid UTF-8: the file was saved in another encoding "
        "(such as Windows-1252); save it as UTF-8"
    )
    assert [(r.line, dict(r.data)) for r in records] == [(1, {"a": 1}), (3, {"a": "æ"})]


# --- read_rows: JSON ------------------------------------------------------------------------


def test_json_array(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.json", '[\n  {"a": 1},\n  {"a": 2, "b": [1, {"c": null}]}\n]\n')
    records, errors = split(read_rows(path, kind="lead"))
    assert errors == []
    assert [(r.record, r.line, dict(r.data)) for r in records] == [
        (1, 2, {"a": 1}),
        (2, 3, {"a": 2, "b": [1, {"c": None}]}),
    ]


def test_json_salesforce_wrapper_drops_attributes(tmp_path: Path) -> None:
    document = {
        "totalSize": 2,
        "done": True,
        "records": [
            {"attributes": {"type": "Lead", "referenceId": "LeadRef1"}, "LastName": "Akin"},
            {"attributes": {"type": "Lead", "url": "/x"}, "LastName": "Bair", "Rating": None},
        ],
    }
    path = write(tmp_path, "Lead.json", json.dumps(document, indent=2))
    records, errors = split(read_rows(path, kind="lead"))
    assert errors == []
    assert [dict(r.data) for r in records] == [
        {"LastName": "Akin"},
        {"LastName": "Bair", "Rating": None},
    ]


@pytest.mark.parametrize(
    "content", ["[]", " [ ] ", '{"records": []}', '{"done": true, "records": []}']
)
def test_json_without_records(tmp_path: Path, content: str) -> None:
    assert list(read_rows(write(tmp_path, "leads.json", content), kind="lead")) == []


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ('{"@odata.context": "x", "value": [{"leadid": "1"}]}', "value"),  # Dynamics (OData)
        ('{"results": [{"id": "1"}], "paging": {}}', "results"),  # HubSpot
        ('{"success": true, "data": [{"id": 1}]}', "data"),  # Pipedrive, Zoho
    ],
)
def test_json_api_page_names_the_array_to_save(tmp_path: Path, content: str, key: str) -> None:
    """A CRM API's page wraps its records under its own key: the error row names that key and
    what to do (it said only that there is no "records" array)."""
    (error,) = read_rows(write(tmp_path, "leads.json", content), kind="lead")
    assert isinstance(error, RecordError)
    assert f'no "records" array but an array under "{key}": save that array alone' in (
        error.message
    )


def test_json_element_that_is_not_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.json", '[{"a": 1}, "text", {"a": 3}]')
    records, errors = split(read_rows(path, kind="lead"))
    assert [where(e) for e in errors] == [(str(path), 2, 1, None, "malformed")]
    assert errors[0].message == 'expected a JSON object, got "text"'
    assert [r.record for r in records] == [1, 3]


def test_json_syntax_error_keeps_what_came_before(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.json", '[\n{"a": 1},\n{"a": 2,,},\n{"a": 3}\n]')
    records, errors = split(read_rows(path, kind="lead"))
    assert [r.data for r in records] == [{"a": 1}]
    assert [where(e) for e in errors] == [(str(path), 2, 3, None, "malformed")]
    assert errors[0].message.endswith("the rest of the file cannot be read")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "got an empty file"),
        ("42", 'expected a JSON array of objects or {"records": [...]}'),
        ('{"totalSize": 0}', 'the object has no "records" array'),
        ('[{"a": 1}', "got the end of the file"),
        ('[{"a": 1} {"a": 2}]', "expected ',' or ']'"),
    ],
)
def test_json_broken_files(tmp_path: Path, content: str, message: str) -> None:
    items = list(read_rows(write(tmp_path, "leads.json", content), kind="lead"))
    errors = [item for item in items if isinstance(item, RecordError)]
    assert len(errors) == 1
    assert errors[0].code == "malformed"
    assert message in errors[0].message


def test_json_non_utf8_record(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.json", b'[{"a": "ok"},\n {"a": "\xe9"},\n {"a": "fine"}]')
    records, errors = split(read_rows(path, kind="lead"))
    assert [where(e) for e in errors] == [(str(path), 2, 2, None, "malformed")]
    assert [r.data["a"] for r in records] == ["ok", "fine"]


def test_json_is_read_across_small_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records_module._JsonStream, "CHUNK", 5)
    document = {
        "totalSize": 3,
        "skipped": {"nested": ["x" * 40, 123456789]},
        "records": [
            {"attributes": {"type": "Lead"}, "n": 1234567890123, "name": "Ærøskøbing"},
            {"n": 2.5e10, "text": 'a,]}"[{' * 10},
            {"n": -1},
        ],
    }
    path = write(tmp_path, "leads.json", json.dumps(document, indent=1, ensure_ascii=False))
    records, errors = split(read_rows(path, kind="lead"))
    assert errors == []
    assert [dict(r.data) for r in records] == [
        {"n": 1234567890123, "name": "Ærøskøbing"},
        {"n": 2.5e10, "text": 'a,]}"[{' * 10},
        {"n": -1},
    ]


# --- read_rows: general ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["leads.xlsx", "leads.txt", "leads"])
def test_unknown_suffix_raises_at_once(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=r"use \.csv, \.jsonl, \.ndjson or \.json"):
        read_rows(tmp_path / name, kind="lead")  # not even iterated


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    path = write(tmp_path, "LEADS.CSV", "a\n1\n")
    assert [r.data for r in read_rows(path, kind="lead")] == [{"a": "1"}]  # type: ignore[union-attr]


def test_missing_file_raises_when_read(tmp_path: Path) -> None:
    rows = read_rows(tmp_path / "nope.csv", kind="lead")
    with pytest.raises(FileNotFoundError):
        next(rows)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".json"])
def test_reading_streams_in_constant_memory(tmp_path: Path, suffix: str) -> None:
    count = 30_000
    path = tmp_path / f"big{suffix}"
    with path.open("w", encoding="utf-8") as handle:
        if suffix == ".csv":
            handle.write("lead_id,company,note\n")
            for i in range(count):
                handle.write(f"{i},Company {i},{'n' * 60}\n")
        elif suffix == ".jsonl":
            for i in range(count):
                handle.write(json.dumps({"lead_id": i, "note": "n" * 60}) + "\n")
        else:
            handle.write('{"records": [\n')
            handle.write(
                ",\n".join(json.dumps({"lead_id": i, "note": "n" * 60}) for i in range(count))
            )
            handle.write("\n]}\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        seen = sum(1 for _ in read_rows(path, kind="lead"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count
    assert size > 2_000_000
    assert peak < 1_000_000, f"peak {peak} bytes while reading a {size}-byte file"


# --- rows_from_iterable ---------------------------------------------------------------------


def test_rows_from_iterable() -> None:
    items: list[Any] = [{"a": 1}, ["not", "a", "mapping"], {"a": 3}, None]
    records, errors = split(rows_from_iterable(items, kind="event"))
    assert [(r.source, r.record, r.line, r.data) for r in records] == [
        ("<input>", 1, None, {"a": 1}),
        ("<input>", 3, None, {"a": 3}),
    ]
    assert [where(e) for e in errors] == [
        ("<input>", 2, None, None, "malformed"),
        ("<input>", 4, None, None, "malformed"),
    ]
    assert errors[0].kind == "event"
    assert errors[0].message == "expected a mapping of field names to values, got a list"


def test_rows_from_iterable_source_name_and_laziness() -> None:
    def endless() -> Iterator[dict[str, int]]:
        n = 0
        while True:
            n += 1
            yield {"n": n}

    rows = rows_from_iterable(endless(), kind="lead", source="crm-api")
    first = next(rows)
    assert first == RawRecord("crm-api", 1, None, {"n": 1})


# --- LeadCoercer: columns -------------------------------------------------------------------

SIMPLE = make_lead(
    {
        "lead_id": {"type": "string", "required": True, "source": "Id"},
        "lead_source": {
            "type": "string",
            "source": "LeadSource",
            "values": ["web", "phone-inquiry", "partner-referral"],
            "value_map": {
                "Web": "web",
                " Phone Inquiry ": "phone-inquiry",
                "Partner Referral": "partner-referral",
                "Select": None,
            },
        },
        "employees": {"type": "integer", "source": "NumberOfEmployees"},
    }
)


def coerce(
    lead: Lead, data: Mapping[str, Any], *, tz: Any = NEW_YORK
) -> tuple[dict[str, Any] | None, list[RecordError]]:
    return LeadCoercer(lead, default_tz=tz).coerce(RawRecord("leads.csv", 7, 9, data))


@pytest.mark.parametrize(
    "column",
    ["lead_source", "LeadSource", "Lead Source", "lead source", "LEAD_SOURCE", "leadsource"],
)
def test_column_names_match_exactly_then_loosely(column: str) -> None:
    record, errors = coerce(SIMPLE, {"Id": "1", column: "Web"})
    assert errors == []
    assert record == {"lead_id": "1", "lead_source": "web", "employees": None}


def test_exact_column_wins_over_loose_and_name_over_source() -> None:
    record, _ = coerce(
        SIMPLE, {"Id": "source", "lead_id": "name", "Lead Source": "Web", "LeadSource": "Select"}
    )
    assert record is not None
    assert record["lead_id"] == "name"
    assert record["lead_source"] is None  # exact "LeadSource" beats loose "Lead Source"


def test_output_has_every_contract_field_and_nothing_else() -> None:
    record, errors = coerce(
        SIMPLE, {"Id": "1", "Email": "x@example.com", "Rating": "Hot", "IsDeleted": "false"}
    )
    assert errors == []
    assert record == {"lead_id": "1", "lead_source": None, "employees": None}


def test_coercer_reads_records_with_different_columns() -> None:
    coercer = LeadCoercer(SIMPLE, default_tz=NEW_YORK)
    rows: list[dict[str, Any]] = [
        {"Id": "1"},
        {"lead_id": "2", "employees": 5},
        {"Id": "3", "Number Of Employees": "7"},
    ]
    results = [
        coercer.coerce(RawRecord("<input>", n, None, data))[0]
        for n, data in enumerate(rows, start=1)
    ]
    assert [(r or {}).get("employees") for r in results] == [None, 5, 7]
    assert coercer.fields == ("lead_id", "lead_source", "employees")


# --- LeadCoercer: values --------------------------------------------------------------------


def test_values_are_stripped_and_empty_is_none() -> None:
    record, errors = coerce(SIMPLE, {"Id": "  00Q1 \t", "LeadSource": "   ", "employees": ""})
    assert errors == []
    assert record == {"lead_id": "00Q1", "lead_source": None, "employees": None}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Web", "web"),
        ("  web ", "web"),
        ("WEB", "web"),
        ("phone inquiry", "phone-inquiry"),  # map keys are trimmed and case-insensitive
        ("Phone-Inquiry", "phone-inquiry"),  # an allowed value, in any case
        ("partner referral", "partner-referral"),
        ("select", None),  # the Salesforce placeholder means no value
        (None, None),
    ],
)
def test_value_map_and_allowed_values(raw: str | None, expected: str | None) -> None:
    record, errors = coerce(SIMPLE, {"Id": "1", "LeadSource": raw})
    assert errors == []
    assert record is not None
    assert record["lead_source"] == expected


def test_value_not_allowed() -> None:
    _, errors = coerce(SIMPLE, {"Id": "00Q9", "LeadSource": "Trade Show"})
    assert [where(e) for e in errors] == [("leads.csv", 7, 9, "lead_source", "not-allowed")]
    assert errors[0].lead_id == "00Q9"
    assert errors[0].message == (
        'lead_source (column "LeadSource"): "Trade Show" is not allowed; '
        "allowed: web, phone-inquiry, partner-referral"
    )


def test_long_lists_of_allowed_values_are_cut() -> None:
    values = [f"v{i}" for i in range(20)]
    lead = make_lead({"lead_id": {"type": "string"}, "tier": {"type": "string", "values": values}})
    _, errors = coerce(lead, {"tier": "gold"})
    assert errors[0].message == (
        'tier: "gold" is not allowed; allowed: v0, v1, v2, v3, v4, v5, v6, v7 and 12 more'
    )


def test_value_map_applies_to_other_types() -> None:
    lead = make_lead(
        {
            "lead_id": {"type": "string"},
            "size": {"type": "integer", "value_map": {"Small": "10", "Unknown": None}},
            "vip": {"type": "boolean", "value_map": {"Gold": "yes"}},
        }
    )
    record, errors = coerce(lead, {"size": "small", "vip": "GOLD"})
    assert errors == []
    assert record == {"lead_id": None, "size": 10, "vip": True}
    record, errors = coerce(lead, {"size": "Unknown", "vip": 0})
    assert record == {"lead_id": None, "size": None, "vip": False}


TYPED = make_lead(
    {
        "lead_id": {"type": "string", "source": "Id"},
        "text": {"type": "string"},
        "count": {"type": "integer"},
        "amount": {"type": "number"},
        "flag": {"type": "boolean"},
        "day": {"type": "date"},
        "moment": {"type": "datetime"},
    }
)


def one(field: str, value: Any, *, tz: Any = NEW_YORK) -> Any:
    record, errors = coerce(TYPED, {"Id": "L1", field: value}, tz=tz)
    assert errors == [], [e.message for e in errors]
    assert record is not None
    return record[field]


def bad(field: str, value: Any) -> RecordError:
    record, errors = coerce(TYPED, {"Id": "L1", field: value})
    assert record is None
    assert len(errors) == 1
    assert where(errors[0]) == ("leads.csv", 7, 9, field, "wrong-type")
    assert errors[0].lead_id == "L1"
    return errors[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Acme", "Acme"), (12, "12"), (12.5, "12.5"), (Decimal("1.50"), "1.50"), (" x ", "x")],
)
def test_string(value: Any, expected: str) -> None:
    assert one("text", value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "text: expected text, got true"),
        ({"a": 1}, "text: expected text, got an object"),
        ([1], "text: expected text, got a list"),
    ],
)
def test_string_wrong_type(value: Any, message: str) -> None:
    assert bad("text", value).message == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (12, 12),
        ("12.0", 12),
        (12.0, 12),
        ("-3", -3),
        ("+4", 4),
        (" 007 ", 7),
        ("12.", 12),
        (Decimal("5.000"), 5),
        ("", None),
    ],
)
def test_integer(value: Any, expected: int | None) -> None:
    result = one("count", value)
    assert result == expected
    assert result is None or type(result) is int


@pytest.mark.parametrize(
    "value", ["12.5", "12 people", True, False, "1,200", "1_000", "١٢", 12.5, "1e3", "0x10", [1]]
)
def test_integer_wrong_type(value: Any) -> None:
    bad("count", value)


def test_integer_message() -> None:
    assert bad("count", "12 people").message == 'count: expected an integer, got "12 people"'
    assert bad("count", "1,200").message == (
        'count: expected an integer, got "1,200" '
        "(write digits without thousands separators, with '.' for decimals)"
    )
    assert bad("count", True).message == "count: expected an integer, got true"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1200.50", 1200.5), (1200, 1200.0), ("1e3", 1000.0), (".5", 0.5), ("-2", -2.0), (3.25, 3.25)],
)
def test_number(value: Any, expected: float) -> None:
    result = one("amount", value)
    assert result == expected
    assert type(result) is float


@pytest.mark.parametrize(
    "value",
    ["1,200", "1.200,50", "nan", "inf", "-Infinity", True, "1_0", "12 USD", 10**400],
)
def test_number_wrong_type(value: Any) -> None:
    bad("amount", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(text, True) for text in ["true", "True", "YES", "y", "1", "t", "T", " yes "]],
        *[(text, False) for text in ["false", "FALSE", "no", "N", "0", "f"]],
        (True, True),
        (False, False),
        (1, True),
        (0, False),
    ],
)
def test_boolean(value: Any, expected: bool) -> None:
    assert one("flag", value) is expected


@pytest.mark.parametrize("value", ["maybe", "2", 2, 1.0, "on", [True]])
def test_boolean_wrong_type(value: Any) -> None:
    assert bad("flag", value).message.startswith("flag: expected true or false")


def test_date() -> None:
    assert one("day", "2026-10-05") == date(2026, 10, 5)
    assert one("day", date(2026, 10, 5)) == date(2026, 10, 5)


@pytest.mark.parametrize(
    "value",
    ["2026-13-01", "20261005", "2026-W41-1", "2026-10-05T10:00", "05/10/2026", 20261005],
)
def test_date_wrong_type(value: Any) -> None:
    assert bad("day", value).message.startswith("day: expected a date such as 2026-10-05")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-05T14:03:00Z", datetime(2026, 10, 5, 14, 3, tzinfo=UTC)),
        ("2026-10-05T14:03:00+00:00", datetime(2026, 10, 5, 14, 3, tzinfo=UTC)),
        ("2026-10-05T14:03:00.000+0000", datetime(2026, 10, 5, 14, 3, tzinfo=UTC)),  # Salesforce
        ("2026-10-05T16:03:00+02:00", datetime(2026, 10, 5, 14, 3, tzinfo=UTC)),
        ("2026-10-05t14:03:00.5z", datetime(2026, 10, 5, 14, 3, 0, 500_000, tzinfo=UTC)),
        ("2026-10-05 10:03", datetime(2026, 10, 5, 14, 3, tzinfo=UTC)),  # naive: New York, EDT
        ("2026-01-15T09:00:00", datetime(2026, 1, 15, 14, 0, tzinfo=UTC)),  # naive: EST
        (datetime(2026, 1, 15, 9, 0), datetime(2026, 1, 15, 14, 0, tzinfo=UTC)),
        (
            datetime(2026, 1, 15, 9, 0, tzinfo=timezone(timedelta(hours=1))),
            datetime(2026, 1, 15, 8, 0, tzinfo=UTC),
        ),
    ],
)
def test_datetime(value: Any, expected: datetime) -> None:
    result = one("moment", value)
    assert result == expected
    assert result.tzinfo is UTC


def test_naive_datetime_takes_the_default_zone() -> None:
    assert one("moment", "2026-10-05 10:03", tz=UTC) == datetime(2026, 10, 5, 10, 3, tzinfo=UTC)
    assert one("moment", "2026-10-05 10:03", tz=ZoneInfo("Asia/Tokyo")) == datetime(
        2026, 10, 5, 1, 3, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2026-10-05T25:00",
        "20261005T140300",
        "2026-10-05T14",
        "05/10/2026 14:03",
        1759672980,
        "9999-12-31T23:00:00",  # out of range once moved to UTC from New York
    ],
)
def test_datetime_wrong_type(value: Any) -> None:
    assert bad("moment", value).message.startswith("moment: ")


def test_datetime_message() -> None:
    assert bad("moment", "yesterday").message == (
        'moment: expected a date and time such as 2026-10-05T14:03:00Z, got "yesterday"'
    )


# --- LeadCoercer: required fields and many problems -----------------------------------------

FULL = make_lead(
    {
        "lead_id": {"type": "string", "required": True, "source": "Id"},
        "email": {"type": "string", "required": True, "source": "Email"},
        "lead_source": SIMPLE.fields["lead_source"].model_dump() | {"required": True},
        "employees": {"type": "integer", "source": "NumberOfEmployees"},
        "created_at": {"type": "datetime", "required": True, "source": "CreatedDate"},
    }
)


def test_every_problem_is_reported() -> None:
    record, errors = coerce(
        FULL,
        {
            "Id": "00Q1",
            "Email": "",
            "LeadSource": "Select",
            "NumberOfEmployees": "12 people",
        },
    )
    assert record is None
    assert [where(e) for e in errors] == [
        ("leads.csv", 7, 9, "email", "missing-required"),
        ("leads.csv", 7, 9, "lead_source", "missing-required"),
        ("leads.csv", 7, 9, "employees", "wrong-type"),
        ("leads.csv", 7, 9, "created_at", "missing-required"),
    ]
    assert {e.lead_id for e in errors} == {"00Q1"}
    assert {e.kind for e in errors} == {"lead"}
    assert [e.message for e in errors] == [
        'email (column "Email"): required, but empty',
        'lead_source (column "LeadSource"): required, but "Select" means no value (value_map)',
        'employees (column "NumberOfEmployees"): expected an integer, got "12 people"',
        'created_at: required, but there is no column "created_at" or "CreatedDate"',
    ]


def test_lead_id_is_none_when_it_cannot_be_read() -> None:
    _, errors = coerce(FULL, {"Email": "a@b.c", "LeadSource": "web", "CreatedDate": "x"})
    assert [(e.field, e.code, e.lead_id) for e in errors] == [
        ("lead_id", "missing-required", None),
        ("created_at", "wrong-type", None),
    ]
    _, errors = coerce(FULL, {"Id": {"x": 1}, "Email": None, "LeadSource": "web"})
    assert {e.lead_id for e in errors} == {None}
    assert errors[1].message == 'email (column "Email"): required, but the value is null'


def test_lead_id_from_a_json_number() -> None:
    _, errors = coerce(FULL, {"Id": 123, "Email": "a@b.c", "LeadSource": "web"})
    assert [(e.field, e.lead_id) for e in errors] == [("created_at", "123")]


def test_a_good_record() -> None:
    record, errors = coerce(
        FULL,
        {
            "Id": "00Q1",
            "Email": "kakin@athenahome.com",
            "Lead Source": "Partner Referral",
            "NumberOfEmployees": 1200,
            "CreatedDate": "2026-10-05T14:03:00.000+0000",
            "OwnerId": "005xx",
        },
    )
    assert errors == []
    assert record == {
        "lead_id": "00Q1",
        "email": "kakin@athenahome.com",
        "lead_source": "partner-referral",
        "employees": 1200,
        "created_at": datetime(2026, 10, 5, 14, 3, tzinfo=UTC),
    }


# --- the real Salesforce sample -------------------------------------------------------------

SALESFORCE_LEAD = make_lead(
    {
        "lead_id": {"type": "string", "source": "Id"},  # the sample export stripped Id
        "first_name": {"type": "string", "source": "FirstName"},
        "last_name": {"type": "string", "required": True, "source": "LastName"},
        "email": {"type": "string", "required": True, "source": "Email"},
        "company": {"type": "string", "required": True, "source": "Company"},
        "country": {"type": "string", "source": "Country"},
        "status": {
            "type": "string",
            "required": True,
            "source": "Status",
            "values": ["open", "working", "converted", "not-converted"],
            "value_map": {
                "Open - Not Contacted": "open",
                "Working - Contacted": "working",
                "Closed - Converted": "converted",
                "Closed - Not Converted": "not-converted",
            },
        },
        "lead_source": {
            "type": "string",
            "source": "LeadSource",
            "values": ["web", "phone-inquiry", "partner-referral", "purchased-list", "other"],
            "value_map": {
                "Web": "web",
                "Phone Inquiry": "phone-inquiry",
                "Partner Referral": "partner-referral",
                "Purchased List": "purchased-list",
                "Other": "other",
                "Select": None,
            },
        },
        "rating": {
            "type": "string",
            "source": "Rating",
            "values": ["Hot", "Warm", "Cold"],
        },
        # The SOQL says NumberOfLocations__c; the export spells it NumberofLocations__c.
        "locations": {"type": "integer", "source": "NumberOfLocations__c"},
        "employees": {"type": "integer", "source": "NumberOfEmployees"},
        "annual_revenue": {"type": "number", "source": "AnnualRevenue"},
        "is_converted": {"type": "boolean", "required": True, "source": "IsConverted"},
        "unread": {"type": "boolean", "source": "IsUnreadByOwner"},
        "primary": {"type": "boolean", "source": "Primary__c"},
    }
)


def salesforce_leads() -> Path:
    if not SALESFORCE_LEADS.is_file():
        pytest.fail(
            f"the Salesforce sample is missing: expected {SALESFORCE_LEADS} "
            "(tests/data/external/salesforce-Lead.json)"
        )
    return SALESFORCE_LEADS


def test_real_salesforce_leads() -> None:
    path = salesforce_leads()
    coercer = LeadCoercer(SALESFORCE_LEAD, default_tz=NEW_YORK)
    raws, read_errors = split(read_rows(path, kind="lead"))
    assert read_errors == []
    assert len(raws) == 22
    assert [r.record for r in raws] == list(range(1, 23))
    lines = [r.line or 0 for r in raws]
    assert lines[0] == 3
    assert lines == sorted(lines)
    assert all("attributes" not in r.data for r in raws)

    leads = []
    for raw in raws:
        record, errors = coercer.coerce(raw)
        assert errors == [], [e.message for e in errors]
        assert record is not None
        assert list(record) == list(SALESFORCE_LEAD.fields)
        leads.append(record)

    assert Counter(lead["status"] for lead in leads) == {
        "working": 12,
        "not-converted": 4,
        "open": 3,
        "converted": 3,
    }
    assert Counter(lead["lead_source"] for lead in leads) == {
        "purchased-list": 7,
        "web": 7,
        "partner-referral": 4,
        "phone-inquiry": 4,
    }
    assert {lead["locations"] for lead in leads} == {130, 3}
    assert all(type(lead["locations"]) is int for lead in leads)
    assert {lead["is_converted"] for lead in leads} == {False}
    assert {lead["primary"] for lead in leads} <= {True, False}
    # As in real CRM data: "Closed - Converted" while IsConverted is false.
    assert any(lead["status"] == "converted" and not lead["is_converted"] for lead in leads)
    assert sorted(lead["employees"] for lead in leads if lead["employees"] is not None) == [9000]
    assert sorted(x for lead in leads if (x := lead["annual_revenue"]) is not None) == [
        350_000_000.0,
        900_750_000.0,
    ]
    assert Counter(lead["rating"] for lead in leads) == {None: 20, "Hot": 1, "Warm": 1}
    assert {lead["lead_id"] for lead in leads} == {None}
    first = leads[0]
    assert (first["last_name"], first["email"], first["lead_source"]) == (
        "Akin",
        "kakin@athenahome.com",
        "partner-referral",
    )


def test_real_salesforce_values_outside_the_contract() -> None:
    path = salesforce_leads()
    lead = make_lead(
        {
            "lead_id": {"type": "string", "source": "Email"},
            "industry": {
                "type": "string",
                "source": "Industry",
                "values": ["software", "manufacturing"],
                "value_map": {"Technology": "software"},
            },
        }
    )
    coercer = LeadCoercer(lead, default_tz=NEW_YORK)
    good = 0
    errors: list[RecordError] = []
    for raw in read_rows(path, kind="lead"):
        assert isinstance(raw, RawRecord)
        record, problems = coercer.coerce(raw)
        good += record is not None
        errors += problems
    assert good == 20
    assert sorted((e.lead_id, e.code, e.message) for e in errors) == [
        (
            "bertha@fcof.net",
            "not-allowed",
            'industry (column "Industry"): "Agriculture" is not allowed; '
            "allowed: software, manufacturing",
        ),
        (
            "jrogers@btca.com",
            "not-allowed",
            'industry (column "Industry"): "Apparel" is not allowed; '
            "allowed: software, manufacturing",
        ),
    ]
    assert all(e.source == str(path) and e.line is not None for e in errors)


def test_pipeline_counts_reconcile(tmp_path: Path) -> None:
    rows = [
        {"Id": "1", "Email": "a@b.c", "LeadSource": "Web", "CreatedDate": "2026-10-05T10:00Z"},
        "{broken",
        {"Id": "2", "Email": "", "LeadSource": "Web"},
        {"Id": "3", "Email": "c@d.e", "LeadSource": "web", "CreatedDate": "2026-10-06 09:00"},
    ]
    path = write(
        tmp_path,
        "leads.jsonl",
        "\n".join(row if isinstance(row, str) else json.dumps(row) for row in rows),
    )
    coercer = LeadCoercer(FULL, default_tz=NEW_YORK)
    rows_in = len(rows)
    records: list[dict[str, Any]] = []
    error_rows: list[RecordError] = []
    for item in read_rows(path, kind="lead"):
        if isinstance(item, RecordError):
            error_rows.append(item)
            continue
        record, errors = coercer.coerce(item)
        if record is None:
            error_rows.append(errors[0])
        else:
            records.append(record)
    assert rows_in == len(records) + len({(e.source, e.record) for e in error_rows})
    assert [r["lead_id"] for r in records] == ["1", "3"]


# --- property: junk never raises ------------------------------------------------------------

JUNK_LEAD = make_lead(
    {
        "lead_id": {"type": "string", "required": True, "source": "Id"},
        "count": {"type": "integer", "required": True, "source": "Count Of Things"},
        "amount": {"type": "number", "source": "amount"},
        "flag": {"type": "boolean", "source": "Flag", "value_map": {"X": "yes"}},
        "day": {"type": "date"},
        "moment": {"type": "datetime", "required": True},
        "kind": {
            "type": "string",
            "values": ["a", "b"],
            "value_map": {"1": "a", "Select": None, "Other": "c"},
        },
    }
)
FIELD_KEYS = [
    "lead_id",
    "Id",
    "count",
    "count_of_things",
    "Count Of Things",
    "amount",
    "flag",
    "Flag",
    "day",
    "moment",
    "kind",
    "KIND",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**4000, max_value=10**4400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.sampled_from([Decimal("sNaN"), Decimal("-Infinity"), Decimal("1E+999999")])
    | st.text()
    | st.sampled_from(
        ["", " ", "12", "12.0", "yes", "select", "2026-10-05", "2026-10-05T10:00Z", "\udce9"]
    )
    | st.dates()
    | st.datetimes(timezones=st.none() | st.timezones())
    | st.binary(max_size=8)
)
junk = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=6,
)
junk_records = st.dictionaries(
    st.sampled_from(FIELD_KEYS) | st.text() | st.integers(), junk, max_size=10
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=junk_records, tz=st.sampled_from([UTC, NEW_YORK, ZoneInfo("Pacific/Kiritimati")]))
def test_junk_never_raises_from_lead_coercion(data: dict[str, Any], tz: Any) -> None:
    coercer = LeadCoercer(JUNK_LEAD, default_tz=tz)
    record, errors = coercer.coerce(RawRecord("junk.jsonl", 5, 6, data))
    if record is None:
        assert errors
        for error in errors:
            assert where(error)[:3] == ("junk.jsonl", 5, 6)
            assert error.kind == "lead"
            assert error.field in JUNK_LEAD.fields
            assert error.code in ERROR_CODES
            assert error.message.startswith((f"{error.field}: ", f"{error.field} (column "))
            json.dumps(error.to_dict())
            error.message.encode("utf-8")
    else:
        assert errors == []
        assert list(record) == list(JUNK_LEAD.fields)
        assert record["moment"].tzinfo is UTC


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.dictionaries(
        st.sampled_from([*EVENT_ATTRIBUTES, "Lead ID", "AT", "extra"]) | st.text(),
        junk,
        max_size=10,
    )
)
def test_junk_never_raises_from_event_coercion(data: dict[str, Any]) -> None:
    event, errors = EventCoercer(default_tz=NEW_YORK).coerce(RawRecord("<input>", 1, None, data))
    if event is None:
        assert errors
        assert all(e.kind == "event" and e.code in ERROR_CODES for e in errors)
        assert all(e.field in EVENT_ATTRIBUTES for e in errors)
    else:
        assert errors == []
        assert event.at.tzinfo is UTC
        assert event.lead_id
        assert event.type


# --- events ---------------------------------------------------------------------------------


def event_of(
    data: Mapping[str, Any], coercer: EventCoercer | None = None
) -> tuple[Event | None, list[RecordError]]:
    coercer = coercer or EventCoercer(default_tz=NEW_YORK)
    return coercer.coerce(RawRecord("events.csv", 4, 5, data))


def test_event_from_csv_text() -> None:
    event, errors = event_of(
        {
            "lead_id": " 00Q1 ",
            "type": " Touch ",
            "at": "2026-10-05 10:00",
            "actor": "ana",
            "channel": "PHONE",
            "reason": "No-Budget",
            "note": "",
            "amount": "49.50",
            "product": "GC5000",
            "seats": "3",
            "campaign": "webinar-q4",
            "Subject": "Call",
        }
    )
    assert errors == []
    assert event == Event(
        lead_id="00Q1",
        type="touch",
        at=datetime(2026, 10, 5, 14, 0, tzinfo=UTC),
        seq=1,
        actor="ana",
        channel="phone",
        reason="No-Budget",
        note=None,
        amount=Decimal("49.50"),
        product="GC5000",
        seats=3,
        data={"campaign": "webinar-q4", "Subject": "Call"},
    )
    assert event is not None
    assert event.at.tzinfo is UTC
    hash(event)


def test_event_from_json_values() -> None:
    event, errors = event_of(
        {"lead_id": 123, "type": "won", "at": "2026-10-05T14:00:00Z", "amount": 49.1, "seats": 3.0}
    )
    assert errors == []
    assert event is not None
    assert (event.lead_id, event.amount, event.seats) == ("123", Decimal("49.1"), 3)
    assert str(event.amount) == "49.1"
    assert event.data == {}


def test_event_sequence_follows_input_order() -> None:
    coercer = EventCoercer(default_tz=UTC)
    rows = [
        {"lead_id": "1", "type": "touch", "at": "2026-10-05T10:00Z"},
        {"lead_id": "1", "type": "touch"},
        {"lead_id": "2", "type": "touch", "at": "2026-10-05T10:00Z"},
    ]
    events = [coercer.coerce(RawRecord("<input>", n, None, r))[0] for n, r in enumerate(rows, 1)]
    assert [e.seq if e else None for e in events] == [1, None, 3]


def test_event_missing_keys() -> None:
    event, errors = event_of({"lead_id": "", "channel": "email"})
    assert event is None
    assert [where(e) for e in errors] == [
        ("events.csv", 4, 5, "lead_id", "missing-key"),
        ("events.csv", 4, 5, "type", "missing-key"),
        ("events.csv", 4, 5, "at", "missing-key"),
    ]
    assert [e.message for e in errors] == [
        "lead_id: required, but the value is empty",
        'type: required, but no column "type"',
        'at: required, but no column "at"',
    ]
    assert {(e.kind, e.lead_id) for e in errors} == {("event", None)}


def test_event_bad_values() -> None:
    event, errors = event_of(
        {
            "lead_id": "L7",
            "type": "opportunity",
            "at": "last tuesday",
            "amount": "1,200",
            "seats": "2.5",
        }
    )
    assert event is None
    assert [where(e) for e in errors] == [
        ("events.csv", 4, 5, "at", "bad-time"),
        ("events.csv", 4, 5, "amount", "wrong-type"),
        ("events.csv", 4, 5, "seats", "wrong-type"),
    ]
    assert {e.lead_id for e in errors} == {"L7"}
    assert errors[0].message == (
        'at: expected a date and time such as 2026-10-05T14:03:00Z, got "last tuesday"'
    )


@pytest.mark.parametrize("at", ["2026-13-05", 1759672980, True, "2026-10-05T24:30"])
def test_event_bad_time(at: Any) -> None:
    _, errors = event_of({"lead_id": "1", "type": "touch", "at": at})
    assert [(e.field, e.code) for e in errors] == [("at", "bad-time")]


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1_000", float("inf"), True, "€5"])
def test_event_bad_amount(amount: Any) -> None:
    _, errors = event_of(
        {"lead_id": "1", "type": "won", "at": "2026-10-05T10:00Z", "amount": amount}
    )
    assert [(e.field, e.code) for e in errors] == [("amount", "wrong-type")]


def test_event_column_mapping() -> None:
    coercer = EventCoercer(
        default_tz=UTC, columns={"lead_id": "WhoId", "type": "Subject", "at": "ActivityDate"}
    )
    event, errors = event_of(
        {
            "WhoId": "00Q1",
            "Subject": "Meeting",
            "ActivityDate": "2026-10-05T10:00Z",
            "lead_id": "x",
        },
        coercer,
    )
    assert errors == []
    assert event is not None
    assert (event.lead_id, event.type) == ("00Q1", "meeting")
    assert event.data == {"lead_id": "x"}
    _, errors = event_of({"WhoId": "00Q1", "Subject": "Meeting", "ActivityDate": "soon"}, coercer)
    assert errors[0].message.startswith('at (column "ActivityDate"): expected a date and time')


def test_event_columns_match_loosely() -> None:
    event, errors = event_of(
        {"Lead ID": "9", "TYPE": "Touch", "At": "2026-10-05T10:00Z", "Other": 1}
    )
    assert errors == []
    assert event is not None
    assert (event.lead_id, event.type, event.data) == ("9", "touch", {"Other": 1})


def test_event_unknown_attribute_in_mapping() -> None:
    with pytest.raises(ValueError, match="unknown event attribute"):
        EventCoercer(default_tz=UTC, columns={"when": "ActivityDate"})


def test_events_from_a_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "events.csv",
        "lead_id,type,at,channel,note\n"
        '1,touch,2026-10-05T10:00Z,Email,"two\nlines"\n'
        "2,,2026-10-05T11:00Z,,\n",
    )
    coercer = EventCoercer(default_tz=UTC)
    results = [coercer.coerce(raw) for raw in read_rows(path, kind="event")]  # type: ignore[arg-type]
    (first, no_errors), (second, errors) = results
    assert no_errors == []
    assert first is not None
    assert (first.channel, first.note) == ("email", "two\nlines")
    assert second is None
    assert [where(e) for e in errors] == [(str(path), 2, 4, "type", "missing-key")]
    assert errors[0].lead_id == "2"
