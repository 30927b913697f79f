"""Lenient reading of lead fields and event mappings: formats, zones, empty values, bad values.

Each case builds a small contract in memory, so that the rule under test is the only thing
that differs from one case to the next.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from leadcontract.engine import compile_contract
from leadcontract.inputs import (
    Event,
    EventCoercer,
    LeadCoercer,
    RawRecord,
    RecordError,
    rows_from,
)
from leadcontract.model import Contract, EventMapping, Lead, LeadField
from leadcontract.verdict import Verdict

NEW_YORK = "America/New_York"


def lead_schema(**fields: dict[str, Any]) -> Lead:
    return Lead.model_validate(
        {
            "fields": {"lead_id": {"type": "string", "required": True}, **fields},
            "lifecycle": {"stages": [{"id": "inquiry", "when": True}]},
            "disqualification": {"reasons": {"bad": {"label": "Bad"}}},
        }
    )


def coerce(field: dict[str, Any], value: Any, column: str = "x") -> tuple[Any, list[RecordError]]:
    if column != "x":
        field = {**field, "source": column}
    coercer = LeadCoercer(lead_schema(x=field), default_tz=ZoneInfo(NEW_YORK))
    record, errors = coercer.coerce(RawRecord("leads.csv", 1, 2, {"lead_id": "L1", column: value}))
    return (record["x"] if record is not None else None), errors


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        # a date alone is the start of that day in the contract's zone (New York, EDT)
        ({"type": "datetime"}, "2018-02-01", datetime(2018, 2, 1, 5, 0, tzinfo=UTC)),
        ({"type": "datetime"}, "2026-10-05", datetime(2026, 10, 5, 4, 0, tzinfo=UTC)),
        ({"type": "datetime"}, date(2026, 10, 5), datetime(2026, 10, 5, 4, 0, tzinfo=UTC)),
        # ...or in the field's own zone
        (
            {"type": "datetime", "timezone": "Europe/Berlin"},
            "2026-10-05",
            datetime(2026, 10, 4, 22, 0, tzinfo=UTC),
        ),
        (
            {"type": "datetime", "timezone": "Europe/Berlin"},
            "2026-10-05 10:00",
            datetime(2026, 10, 5, 8, 0, tzinfo=UTC),
        ),
        (
            {"type": "datetime", "format": "%m/%d/%Y"},
            "10/05/2026",
            datetime(2026, 10, 5, 4, 0, tzinfo=UTC),
        ),
        (
            {"type": "datetime", "format": "%d.%m.%Y %H:%M %z"},
            "05.10.2026 10:00 +0200",
            datetime(2026, 10, 5, 8, 0, tzinfo=UTC),
        ),
        (
            {"type": "datetime", "format": "epoch_ms"},
            "1791190800000",
            datetime(2026, 10, 5, 9, 0, tzinfo=UTC),
        ),
        (
            {"type": "datetime", "format": "epoch_ms"},
            1791190800000,
            datetime(2026, 10, 5, 9, 0, tzinfo=UTC),
        ),
        (
            {"type": "datetime", "format": "epoch_s"},
            1791190800,
            datetime(2026, 10, 5, 9, 0, tzinfo=UTC),
        ),
        ({"type": "date", "format": "%m/%d/%Y"}, "10/05/2026", date(2026, 10, 5)),
        # a date column that pandas parsed into midnight timestamps
        ({"type": "date"}, datetime(2026, 10, 5), date(2026, 10, 5)),
        # 2026-10-05 02:00 UTC is still the 4th in New York
        ({"type": "date", "format": "epoch_s"}, 1791165600, date(2026, 10, 4)),
    ],
)
def test_formats_and_zones(field: dict[str, Any], value: Any, expected: Any) -> None:
    result, errors = coerce(field, value)
    assert errors == []
    assert result == expected


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            {"type": "datetime", "format": "%m/%d/%Y"},
            "2026-10-05",
            "x: expected a date in the format '%m/%d/%Y', got \"2026-10-05\"",
        ),
        (
            {"type": "datetime", "format": "epoch_ms"},
            "yesterday",
            'x: expected milliseconds since 1970-01-01 UTC, such as 1517443200000, got "yesterday"',
        ),
        (
            {"type": "datetime"},
            "2026-02-30",
            'x: expected a date and time such as 2026-10-05T14:03:00Z, got "2026-02-30"',
        ),
    ],
)
def test_bad_formatted_values_say_what_was_expected(
    field: dict[str, Any], value: Any, message: str
) -> None:
    _, errors = coerce(field, value)
    assert [e.message for e in errors] == [message]


def test_format_is_only_for_times_and_must_be_a_pattern() -> None:
    with pytest.raises(ValidationError, match="date and datetime fields only"):
        LeadField.model_validate({"type": "string", "format": "%Y"})
    with pytest.raises(ValidationError, match="epoch_ms"):
        LeadField.model_validate({"type": "datetime", "format": "YYYY-MM-DD"})


def test_on_invalid_empty_keeps_the_lead_with_a_warning() -> None:
    field = {"type": "integer", "on_invalid": "empty"}
    result, errors = coerce(field, "2.5", column="Page Views")
    assert result is None
    assert [(e.field, e.code, e.message) for e in errors] == [
        (
            "x",
            "wrong-type",
            'x (column "Page Views"): expected an integer, got "2.5"; '
            "left empty (on_invalid: empty)",
        )
    ]


def test_on_invalid_does_not_excuse_a_required_field() -> None:
    schema = lead_schema(x={"type": "integer", "on_invalid": "empty", "required": True})
    record, errors = LeadCoercer(schema, default_tz=ZoneInfo(NEW_YORK)).coerce(
        RawRecord("leads.csv", 1, 2, {"lead_id": "L1", "x": "2.5"})
    )
    assert record is None
    assert [e.code for e in errors] == ["wrong-type"]


@pytest.mark.parametrize("empty", ["", "  ", None, float("nan")])
def test_a_value_map_can_map_the_empty_value(empty: Any) -> None:
    field = {"type": "string", "values": ["web", "unknown"], "value_map": {"": "unknown"}}
    assert coerce(field, empty) == ("unknown", [])
    assert coerce(field, "Web") == ("web", [])


def test_nan_none_and_nat_are_missing_values() -> None:
    pd = pytest.importorskip("pandas")
    for missing in (float("nan"), None, pd.NaT, pd.NA):
        assert coerce({"type": "number"}, missing) == (None, [])
        assert coerce({"type": "datetime"}, missing) == (None, [])
        assert coerce({"type": "string"}, missing) == (None, [])


def test_nested_source_reads_a_relationship_field() -> None:
    schema = lead_schema(owner_alias={"type": "string", "source": "Owner.Alias"})
    coercer = LeadCoercer(schema, default_tz=ZoneInfo(NEW_YORK))
    nested = {"lead_id": "L1", "Owner": {"attributes": {"type": "User"}, "Alias": "aortiz"}}
    flat = {"lead_id": "L2", "Owner.Alias": "bbrooks"}
    missing = {"lead_id": "L3", "Owner": None}
    read = [
        coercer.coerce(RawRecord("x.json", i, i, d))[0]
        for i, d in enumerate([nested, flat, missing])
    ]
    assert [r["owner_alias"] if r else r for r in read] == ["aortiz", "bbrooks", None]
    assert coercer.unread(("lead_id", "Owner", "Phone")) == ("Phone",)


def test_allowed_values_are_all_listed_or_counted() -> None:
    values = [f"v{i}" for i in range(11)]
    _, errors = coerce({"type": "string", "values": values}, "x", column="Tier")
    assert errors[0].message == (
        'x (column "Tier"): "x" is not allowed; allowed: v0, v1, v2, v3, v4, v5, v6, v7 and 3 more'
    )


# --- event mappings -------------------------------------------------------------------------


def mapper(*mappings: dict[str, Any]) -> EventCoercer:
    return EventCoercer(default_tz=UTC, mappings=[EventMapping.model_validate(m) for m in mappings])


def test_mappings_are_tried_in_order_and_any_value_matches_star() -> None:
    coercer = mapper(
        {
            "id": "status",
            "when": {"Field": "Status"},
            "columns": {
                "lead_id": "LeadId",
                "at": "CreatedDate",
                "type": {"column": "NewValue", "map": {"Working - Contacted": "accepted"}},
            },
        },
        {
            "id": "member",
            "when": {"CampaignId": "*"},
            "set": {"type": "campaign_member"},
            "columns": {"lead_id": "LeadId", "at": {"column": "Joined", "format": "%m/%d/%Y"}},
            "fields": {"campaign": "CampaignId"},
        },
    )
    status = {
        "LeadId": "L1",
        "Field": "Status",
        "NewValue": "working - contacted",
        "CreatedDate": "2026-10-05T10:00Z",
    }
    other = {
        "LeadId": "L1",
        "Field": "Status",
        "NewValue": "Open",
        "CreatedDate": "2026-10-05T10:00Z",
    }
    member = {"LeadId": "L1", "CampaignId": "701X", "Joined": "10/05/2026"}
    blank = {"LeadId": "L1", "CampaignId": "", "Joined": "10/05/2026"}
    results = [
        coercer.coerce(RawRecord("e.csv", i, i, row))
        for i, row in enumerate([status, other, member, blank])
    ]
    event = results[0][0]
    assert isinstance(event, Event)
    assert event.type == "accepted"
    assert results[1] == (None, [])  # a status the map does not list: unmapped, not an error
    joined = results[2][0]
    assert isinstance(joined, Event)
    assert (joined.type, joined.at, dict(joined.fields)) == (
        "campaign_member",
        datetime(2026, 10, 5, tzinfo=UTC),
        {"campaign": "701X"},
    )
    assert results[3] == (None, [])  # an empty CampaignId is not "*"


def test_a_bad_time_in_a_mapping_names_the_column_and_the_mapping() -> None:
    coercer = mapper(
        {
            "id": "calls",
            "when": {"TaskSubtype": "Call"},
            "set": {"type": "touch", "channel": "phone"},
            "columns": {"lead_id": "WhoId", "at": {"column": "Stamp", "format": "epoch_ms"}},
        }
    )
    event, errors = coercer.coerce(
        RawRecord("t.csv", 3, 4, {"WhoId": "L1", "TaskSubtype": "Call", "Stamp": "soon"})
    )
    assert event is None
    assert [(e.field, e.code, e.message) for e in errors] == [
        (
            "at",
            "bad-time",
            'at (column "Stamp", mapping calls): expected milliseconds since 1970-01-01 UTC, '
            'such as 1517443200000, got "soon"',
        )
    ]


def test_a_bad_value_read_without_a_format_names_the_column_and_the_mapping() -> None:
    """A mapping column without a format or time zone (the presets' `at: CreatedDate`) was
    read after the mapping, and its error row said only `at: ...` or `lead_id: ...`: neither
    is a column of the export."""
    coercer = mapper(
        {
            "id": "calls",
            "when": {"TaskSubtype": "Call"},
            "set": {"type": "touch", "channel": "phone"},
            "columns": {"lead_id": "WhoId", "at": "CreatedDate"},
        }
    )
    row = {"WhoId": "", "TaskSubtype": "Call", "CreatedDate": "10/5/2026 15:00"}
    event, errors = coercer.coerce(RawRecord("t.csv", 3, 4, row))
    assert event is None
    assert [e.message.split(": ", 1)[0] for e in errors] == [
        'lead_id (column "WhoId", mapping calls)',
        'at (column "CreatedDate", mapping calls)',
    ]


METADATA = {
    "id": "c",
    "version": "1.0.0",
    "title": "t",
    "owners": [{"name": "M", "team": "marketing"}, {"name": "S", "team": "sales"}],
    "effective": {"start": "2026-01-01"},
    "timezone": "UTC",
}
"""A contract's metadata for the contracts these tests write in full."""


def test_an_event_mapping_refuses_unknown_attributes() -> None:
    with pytest.raises(ValidationError, match="unknown event attribute"):
        EventMapping.model_validate({"id": "x", "set": {"kind": "touch"}})
    with pytest.raises(ValidationError, match="both as a constant and from a column"):
        EventMapping.model_validate({"id": "x", "set": {"type": "touch"}, "columns": {"type": "T"}})


def test_a_misspelt_event_type_is_drift_not_a_silent_use() -> None:
    contract = Contract.model_validate(
        {
            "apiVersion": "leadcontract/v1",
            "metadata": METADATA,
            "reps": {"005A": {"name": "Ana", "role": "sdr"}},
            "lead": {
                "fields": {
                    "lead_id": {"type": "string", "required": True},
                    "created_at": {"type": "datetime", "required": True},
                    "owner": {"type": "string"},
                    "campaign": {"type": "string"},
                    "Phone": {"type": "string"},
                },
                "lifecycle": {"stages": [{"id": "inquiry", "when": True}]},
                "disqualification": {"reasons": {"bad": {"label": "Bad"}}},
            },
        }
    )
    leads = [{"lead_id": "L1", "created_at": "2026-10-05T10:00Z", "owner": "005A", "Fax": "1"}]
    events = [
        {"lead_id": "L1", "type": "tuoch", "at": "2026-10-05T11:00Z", "actor": "005A"},
        {"lead_id": "L1", "type": "touch", "at": "2026-10-05T12:00Z", "actor": "005B"},
    ]
    evaluation = compile_contract(contract).evaluate(
        leads, events, as_of=datetime(2026, 10, 6, tzinfo=UTC)
    )
    (verdict,) = list(evaluation)
    assert isinstance(verdict, Verdict)
    assert verdict.touches == 1  # the misspelt one is no touch...
    found = {f.kind: dict(f.values) for f in evaluation.drift.findings()}
    assert found == {  # ...and it is reported, with the unknown actor and the unread column
        "unknown-event-type": {"tuoch": 1},
        "unknown-rep": {"005B": 1},
        "unmapped-column": {"Fax": 1},
    }
    assert evaluation.drift.found


def test_an_unmapped_report_row_is_counted_by_the_column_its_mappings_test() -> None:
    """A Salesforce activity report names its subtype column "Task Subtype": a row no mapping
    matches is counted by that column's value, not as "(no type column)"."""
    contract = Contract.model_validate(
        {
            "apiVersion": "leadcontract/v1",
            "metadata": METADATA,
            "lead": {
                "fields": {
                    "lead_id": {"type": "string", "required": True},
                    "created_at": {"type": "datetime", "required": True},
                },
                "lifecycle": {"stages": [{"id": "inquiry", "when": True}]},
                "disqualification": {"reasons": {"bad": {"label": "Bad"}}},
            },
            "mappings": {
                "events": [
                    {
                        "id": "calls",
                        "when": {"Task Subtype": "Call", "Lead ID": "*"},
                        "set": {"type": "touch", "channel": "phone"},
                        "columns": {"lead_id": "Lead ID", "at": "Date"},
                    }
                ]
            },
        }
    )
    leads = [{"lead_id": "L1", "created_at": "2026-10-05T10:00Z"}]
    events = [
        {"Lead ID": "L1", "Task Subtype": "Call", "Date": "2026-10-05T11:00Z"},
        {"Lead ID": "L1", "Task Subtype": "Task", "Date": "2026-10-05T12:00Z"},
    ]
    evaluation = compile_contract(contract).evaluate(
        leads, events, as_of=datetime(2026, 10, 6, tzinfo=UTC)
    )
    list(evaluation)
    found = {f.kind: dict(f.values) for f in evaluation.drift.findings()}
    assert found == {"unmapped-event": {"Task Subtype=Task": 1}}


def test_unnamed_columns_are_not_drift(tmp_path: Path) -> None:
    """Excel leaves empty, unnamed columns at the end of a sheet it saves as CSV: no field can
    read them, so they are no `unmapped-column` finding (one named "" failed --strict-data)."""
    export = tmp_path / "leads.csv"
    export.write_text("x,Fax,,\n1,2,,\n", encoding="utf-8")
    coercer = LeadCoercer(lead_schema(x={"type": "string"}), default_tz=ZoneInfo(NEW_YORK))
    (row,) = rows_from(export, kind="lead")
    assert isinstance(row, RawRecord)
    assert coercer.unread(tuple(row.data)) == ("Fax",)


@pytest.mark.parametrize(
    ("kind", "value", "pattern"),
    [
        ("datetime", "10/5/2026 3:56 PM", "%m/%d/%Y %I:%M %p"),  # a Salesforce report (en-US)
        ("datetime", "05.10.2026 15:56", "%d.%m.%Y %H:%M"),  # Excel in a German locale
        ("datetime", "25/10/2026 09:15:00", "%d/%m/%Y %H:%M:%S"),  # day first: 25 is no month
        ("date", "10/5/2026", "%m/%d/%Y"),
    ],
)
def test_a_date_in_a_locale_format_names_the_format_that_reads_it(
    kind: str, value: str, pattern: str
) -> None:
    """A date as a report or a spreadsheet writes it in the user's locale: the error row says
    which `format:` reads it (it said only "expected ... such as 2026-10-05T14:03:00Z"), and
    that format does read it."""
    _, errors = coerce({"type": kind}, value)
    assert errors[0].message.endswith(f'(a date in a locale format: give it `format: "{pattern}"`)')
    read, errors = coerce({"type": kind, "format": pattern}, value)
    assert errors == []
    assert read is not None
    _, errors = coerce({"type": kind}, "next tuesday")
    assert "locale" not in errors[0].message


@pytest.mark.parametrize(
    ("value", "unit"),
    [(1791190800000, "epoch_ms"), ("1791190800000", "epoch_ms"), (1791190800, "epoch_s")],
)
def test_a_time_since_1970_names_the_epoch_format(value: object, unit: str) -> None:
    """HubSpot's legacy createdate and engagement timestamps count milliseconds since 1970:
    the error row says which `format:` reads them (it said only "expected a date and time")."""
    _, errors = coerce({"type": "datetime"}, value)
    assert errors[0].message.endswith(f"(a time since 1970: give it `format: {unit}`)")
    read, errors = coerce({"type": "datetime", "format": unit}, value)
    assert (errors, read is not None) == ([], True)


@pytest.mark.parametrize(
    ("value", "read"),
    [
        ("2026-10-05 15:56:12 UTC", datetime(2026, 10, 5, 15, 56, 12, tzinfo=UTC)),  # BigQuery
        ("2026-10-05 15:56:12.5 utc", datetime(2026, 10, 5, 15, 56, 12, 500000, tzinfo=UTC)),
        ("2026-10-05T15:56 GMT", datetime(2026, 10, 5, 15, 56, tzinfo=UTC)),
        ("2026-10-05 15:56:12+02:00 UTC", None),  # two zones: not read
        ("2026-10-05 15:56:12 CET", None),  # an abbreviation that names no one offset
    ],
)
def test_a_time_that_names_utc_after_a_space_is_utc(value: str, read: datetime | None) -> None:
    """BigQuery's CSV export (and many databases') writes TIMESTAMPs as `... UTC`: every
    lead of such an export was an error row."""
    got, errors = coerce({"type": "datetime"}, value)
    assert got == read
    assert bool(errors) == (read is None)


def test_a_label_of_an_allowed_value_says_which_value_map_reads_it() -> None:
    """HubSpot's UI export writes picklist labels ("Marketing Qualified Lead") where its API
    writes internal names (marketingqualifiedlead): the error row says which value the label
    stands for and the value_map entry that reads it."""
    field = {"type": "string", "values": ["lead", "marketingqualifiedlead"]}
    _, errors = coerce(field, "Marketing Qualified Lead")
    assert errors[0].message.endswith(
        '(the label of "marketingqualifiedlead"? map it: '
        '`value_map: {"Marketing Qualified Lead": "marketingqualifiedlead"}`)'
    )
    _, errors = coerce(field, "Customer")
    assert "label" not in errors[0].message
    read, errors = coerce(
        {**field, "value_map": {"Marketing Qualified Lead": "marketingqualifiedlead"}},
        "Marketing Qualified Lead",
    )
    assert (read, errors) == ("marketingqualifiedlead", [])
