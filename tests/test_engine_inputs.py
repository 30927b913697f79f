"""Inputs of an evaluation, and that nothing is lost on the way.

Every lead record comes out as one verdict or one error row; every event is used, after
as_of, for an unknown lead, for an error-row lead, or an error row itself; and the run's
counts always reconcile. Contract: tests/fixtures/engine/contract.yaml (and, for the
Salesforce column names, the example contract).
"""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from engine_support import AS_OF, CONTRACT, DAY, T0, compiled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcontract.engine import CompiledContract, Evaluation, InputOrderError
from leadcontract.inputs import RecordError
from leadcontract.verdict import Fact, Verdict
from leadcontract.writers import verdict_json

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "engine"
LEADS_CSV = FIXTURES / "leads.csv"
EVENTS_JSONL = FIXTURES / "events.jsonl"
EXAMPLE = HERE.parent / "contracts" / "example"


@functools.cache
def engine() -> CompiledContract:
    return compiled(CONTRACT)


@functools.cache
def example_engine() -> CompiledContract:
    return compiled(EXAMPLE)


def run(
    evaluation: Evaluation,
) -> tuple[list[Verdict], list[RecordError]]:
    verdicts: list[Verdict] = []
    errors: list[RecordError] = []
    for item in evaluation:
        if isinstance(item, Verdict):
            verdicts.append(item)
        else:
            errors.append(item)
    return verdicts, errors


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def lead(lead_id: str, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "lead_id": lead_id,
        "email": f"{lead_id.lower()}@acme.example",
        "campaign": "webinar",
        "created_at": T0.isoformat(),
    }
    record.update(fields)
    return record


def event(lead_id: str, kind: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {"lead_id": lead_id, "type": kind, "at": at.isoformat(), **extra}


def fact(verdict: Verdict, rule: str) -> Fact:
    step = next(step for step in verdict.trace if step.rule == rule)
    (found,) = step.facts
    return found


# --- sources ----------------------------------------------------------------------------------


def test_salesforce_columns_and_value_maps_through_the_example_contract(
    tmp_path: Path,
) -> None:
    header = (EXAMPLE / "data" / "leads.csv").read_text(encoding="utf-8").splitlines()[0]
    columns = header.split(",")
    rows = [
        {
            "Id": "00Q1",
            "Email": "kim@acme.example",
            "LastName": "Kim",
            "Company": "Acme",
            "Title": "VP of Sales",
            "Country": "Germany",
            "Industry": "Technology",  # value_map: software
            "NumberOfEmployees": "250",
            "LeadSource": "Partner Referral",
            "Rating": "Hot",
            "CampaignId": "partner-emea",
            "CreatedDate": "2026-10-05T14:03:00.000+0000",
            "DoNotCall": "false",
        },
        {
            "Id": "00Q2",
            "Email": "lee@gmail.com",
            "LastName": "Lee",
            "Company": "Lee Consulting",
            "Industry": "Select",  # value_map: no value
            "LeadSource": "Select",
            "CampaignId": "webinar-q4",
            "CreatedDate": "2026-10-06T09:00:00.000+0000",
        },
        {
            "Id": "00Q3",
            "Email": "max@initech.example",
            "LastName": "Max",
            "Company": "Initech",
            "Industry": "Aerospace",  # not an allowed value, and no value_map entry
            "CampaignId": "webinar-q4",
            "CreatedDate": "2026-10-07T09:00:00.000+0000",
        },
    ]
    path = tmp_path / "Lead.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)

    evaluation = example_engine().evaluate(path, as_of=datetime(2026, 11, 16, 17, tzinfo=UTC))
    verdicts, errors = run(evaluation)

    first, second = verdicts
    assert first.lead_id == "00Q1"
    assert first.campaign == "partner-emea"
    assert fact(first, "scoring.fit.icp-industry").observed == "software"
    assert fact(first, "scoring.fit.icp-industry").result is True
    assert fact(first, "scoring.fit.mid-market") == Fact("employees", 250, 200, ">=", True)
    assert first.score.fit == 45.0  # industry 15 + mid-market 15 + senior title 15
    assert first.stage.since == datetime(2026, 10, 5, 14, 3, tzinfo=UTC)
    assert first.handoff is not None
    assert first.handoff.missing_fields == ()

    assert second.lead_id == "00Q2"
    assert fact(second, "scoring.fit.icp-industry").observed is None
    assert second.score.fit == -20.0  # personal email only
    assert second.handoff is not None
    assert second.handoff.missing_fields == ("title", "phone", "country")

    (error,) = errors
    assert (error.kind, error.source, error.record, error.line) == ("lead", str(path), 3, 4)
    assert (error.lead_id, error.field, error.code) == ("00Q3", "industry", "not-allowed")
    assert error.also == ()
    assert evaluation.counts.reconciles


def test_csv_jsonl_json_and_iterables_give_the_same_verdicts(tmp_path: Path) -> None:
    with LEADS_CSV.open(encoding="utf-8", newline="") as handle:
        leads = [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(handle)]
    events = [json.loads(line) for line in EVENTS_JSONL.read_text(encoding="utf-8").splitlines()]
    leads_jsonl = write(tmp_path / "leads.jsonl", "".join(json.dumps(r) + "\n" for r in leads))
    leads_json = write(tmp_path / "leads.json", json.dumps(leads, indent=2))
    events_json = write(tmp_path / "events.json", json.dumps({"records": events}))
    events_csv = tmp_path / "events.csv"
    with events_csv.open("w", encoding="utf-8", newline="") as handle:
        names = ["lead_id", "type", "at", "actor", "channel", "reason"]
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows(events)

    def lines(leads_source: Any, events_source: Any) -> list[str]:
        verdicts, errors = run(engine().evaluate(leads_source, events_source, as_of=AS_OF))
        assert errors == []
        return [verdict_json(v) for v in verdicts]

    expected = lines(LEADS_CSV, EVENTS_JSONL)
    assert len(expected) == 5
    assert lines(leads_jsonl, events_json) == expected
    assert lines(leads_json, events_csv) == expected
    assert lines(leads, events) == expected
    assert lines(iter(leads), (e for e in events)) == expected


def test_python_values_need_no_coercion_from_text() -> None:
    record = lead("P1", employees=600, industry="software", created_at=T0)
    verdicts, errors = run(engine().evaluate([record], as_of=AS_OF))
    assert errors == []
    assert verdicts[0].score.fit == 40.0
    assert verdicts[0].stage.since == T0


def test_an_item_that_is_not_a_mapping_is_a_malformed_error_row() -> None:
    items: list[Any] = [lead("P1"), "P2", lead("P3")]
    evaluation = engine().evaluate(items, as_of=AS_OF)
    verdicts, errors = run(evaluation)
    assert [v.lead_id for v in verdicts] == ["P1", "P3"]
    (error,) = errors
    assert (error.kind, error.source, error.record, error.line) == ("lead", "<input>", 2, None)
    assert error.code == "malformed"
    assert error.message == 'expected a mapping of field names to values, got "P2"'
    assert evaluation.counts.lead_errors == 1
    assert evaluation.counts.reconciles


def test_as_of_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        engine().evaluate([], as_of=datetime(2026, 7, 1))


def test_an_evaluation_is_iterated_once() -> None:
    evaluation = engine().evaluate([lead("P1")], as_of=AS_OF)
    assert len(list(evaluation)) == 1
    with pytest.raises(RuntimeError, match="iterated once"):
        list(evaluation)


# --- bad records ------------------------------------------------------------------------------


BAD_LEADS = """\
lead_id,email,employees,industry,created_at
B1,,10,software,2026-06-01T00:00:00Z
B2,b@x.example,many,software,2026-06-01T00:00:00Z
B3,c@x.example,10,banking,2026-06-01T00:00:00Z
B4,,lots,banking,not a time
G1,g@x.example,10,Software,2026-06-01T00:00:00Z
G1,g2@x.example,20,software,2026-06-01T00:00:00Z
,h@x.example,10,software,2026-06-01T00:00:00Z
"""


def test_each_bad_record_is_exactly_one_error_row(tmp_path: Path) -> None:
    path = write(tmp_path / "leads.csv", BAD_LEADS)
    evaluation = engine().evaluate(path, as_of=AS_OF)
    verdicts, errors = run(evaluation)
    source = str(path)

    assert [v.lead_id for v in verdicts] == ["G1"]
    assert [(e.record, e.line, e.lead_id, e.field, e.code) for e in errors] == [
        (1, 2, "B1", "email", "missing-required"),
        (2, 3, "B2", "employees", "wrong-type"),
        (3, 4, "B3", "industry", "not-allowed"),
        (4, 5, "B4", "email", "missing-required"),
        (6, 7, "G1", "lead_id", "duplicate-id"),
        (7, 8, None, "lead_id", "missing-required"),
    ]
    assert {(e.kind, e.source) for e in errors} == {("lead", source)}
    assert [e.message for e in errors] == [
        "email: required, but empty",
        'employees: expected an integer, got "many"',
        'industry: "banking" is not allowed; allowed: software, retail, other',
        "email: required, but empty",
        "lead id `G1` appears more than once; the first record is used",
        "lead_id: required, but empty",
    ]
    # One record, four problems: one error row, the rest in `also`, in contract field order.
    assert [(o.field, o.code, o.line) for o in errors[3].also] == [
        ("industry", "not-allowed", 5),
        ("employees", "wrong-type", 5),
        ("created_at", "wrong-type", 5),
    ]
    assert all(e.also == () for i, e in enumerate(errors) if i != 3)
    assert (
        str(errors[0])
        == f"{source}:2: lead 1 (lead B1): missing-required: email: required, but empty"
    )

    counts = evaluation.counts
    assert (counts.leads_read, counts.verdicts, counts.lead_errors) == (7, 1, 6)
    assert counts.duplicate_leads == 1
    assert counts.reconciles


def test_the_first_of_duplicate_records_is_used(tmp_path: Path) -> None:
    path = write(tmp_path / "leads.csv", BAD_LEADS)
    events = [event("G1", "pricing_page_visit", AS_OF)]
    evaluation = engine().evaluate(path, events, as_of=AS_OF)
    verdicts, _ = run(evaluation)
    (verdict,) = verdicts
    # The first G1 has 10 employees (no fit points); the second, ignored, 20.
    assert fact(verdict, "scoring.fit.big") == Fact("employees", 10, 500, ">=", False)
    assert verdict.score.engagement == 10.0
    assert evaluation.counts.events_used == 1


EVENTS = """\
{"lead_id": "G1", "type": "webinar_attended", "at": "2026-06-10T00:00:00Z"}
not json

{"lead_id": "G1", "at": "2026-06-10T00:00:00Z"}
{"lead_id": "G1", "type": "touch", "at": "yesterday"}
[1, 2]
{"lead_id": "B2", "type": "touch", "at": "2026-06-10T00:00:00Z"}
{"lead_id": "B2", "type": "touch", "at": "2026-08-10T00:00:00Z"}
{"lead_id": "G1", "type": "touch", "at": "2026-08-10T00:00:00Z"}
{"lead_id": "Z1", "type": "touch", "at": "2026-06-10T00:00:00Z"}
{"lead_id": "Z2", "type": "touch", "at": "2026-09-10T00:00:00Z"}
"""


def test_every_event_is_counted_once(tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.csv", BAD_LEADS)
    events = write(tmp_path / "events.jsonl", EVENTS)
    evaluation = engine().evaluate(leads, events, as_of=AS_OF)
    verdicts, errors = run(evaluation)
    event_errors = [e for e in errors if e.kind == "event"]
    assert [(e.record, e.line, e.lead_id, e.field, e.code) for e in event_errors] == [
        (2, 2, None, None, "malformed"),
        (3, 4, "G1", "type", "missing-key"),
        (4, 5, "G1", "at", "bad-time"),
        (5, 6, None, None, "malformed"),
    ]
    assert [e.message for e in event_errors] == [
        "not a JSON object: Expecting value (column 1)",
        'type: required, but no column "type"',
        'at: expected a date and time such as 2026-10-05T14:03:00Z, got "yesterday"',
        "expected a JSON object, got a list",
    ]
    assert verdicts[0].score.engagement == 4.67  # 20 * 0.5 ** 2.1, 21 days old
    counts = evaluation.counts
    assert counts.events_read == 10
    assert counts.events_used == 1  # G1's webinar
    assert counts.events_after_as_of == 1  # G1's touch in August
    assert counts.events_of_error_rows == 2  # B2 is an error row, however late its events
    assert counts.events_unknown_lead == 2  # Z1 and Z2, after as_of or not
    assert counts.event_errors == 4
    assert counts.reconciles
    assert counts.to_dict() == {
        "leads_read": 7,
        "verdicts": 1,
        "lead_errors": 6,
        "skipped": 0,
        "not_yet": 0,
        "duplicate_leads": 1,
        "events_read": 10,
        "events_used": 1,
        "events_after_as_of": 1,
        "events_unknown_lead": 2,
        "events_of_error_rows": 2,
        "events_of_skipped_leads": 0,
        "events_of_not_yet_leads": 0,
        "event_errors": 4,
        "events_unmapped": 0,
        "lead_warnings": 0,
        "reconciles": True,
    }


# --- grouped ----------------------------------------------------------------------------------


def sorted_inputs() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    leads = [
        lead("A1", industry="software", employees=600),
        {"lead_id": "A2", "created_at": "2026-06-01"},  # no email: an error row
        lead("A3", campaign="demo"),
        lead("A3", campaign="demo"),  # a duplicate
        lead("A5", industry="retail"),
        lead("A7"),
    ]
    events = [
        event("A0", "touch", T0),  # unknown lead, before the first one
        event("A1", "webinar_attended", T0 + DAY),
        event("A1", "webinar_attended", T0 + DAY),
        event("A1", "accepted", T0 + 2 * DAY),
        {"lead_id": "A1", "type": "touch"},  # no time: an error row
        event("A2", "touch", T0 + DAY),  # an error-row lead
        event("A3", "handoff", T0, actor="ann"),
        event("A3", "touch", AS_OF + DAY),  # after as_of
        event("A4", "touch", T0),  # unknown, between two leads
        event("A5", "pricing_page_visit", T0 + 3 * DAY),
        event("A9", "touch", T0),  # unknown, after the last lead
    ]
    return leads, events


def test_grouped_gives_the_same_verdicts_on_sorted_input() -> None:
    leads, events = sorted_inputs()
    buffered = engine().evaluate(leads, events, as_of=AS_OF)
    grouped = engine().evaluate(leads, events, as_of=AS_OF, grouped=True)
    buffered_verdicts, buffered_errors = run(buffered)
    grouped_verdicts, grouped_errors = run(grouped)
    assert [verdict_json(v) for v in grouped_verdicts] == [
        verdict_json(v) for v in buffered_verdicts
    ]
    assert [v.lead_id for v in grouped_verdicts] == ["A1", "A3", "A5", "A7"]
    assert sorted(map(str, grouped_errors)) == sorted(map(str, buffered_errors))
    assert grouped.counts == buffered.counts
    assert grouped.counts.to_dict() == {
        "leads_read": 6,
        "verdicts": 4,
        "lead_errors": 2,
        "skipped": 0,
        "not_yet": 0,
        "duplicate_leads": 1,
        "events_read": 11,
        "events_used": 5,
        "events_after_as_of": 1,
        "events_unknown_lead": 3,
        "events_of_error_rows": 1,
        "events_of_skipped_leads": 0,
        "events_of_not_yet_leads": 0,
        "event_errors": 1,
        "events_unmapped": 0,
        "lead_warnings": 0,
        "reconciles": True,
    }


def test_grouped_matches_buffered_when_an_error_row_precedes_a_valid_record() -> None:
    leads = [{"lead_id": "A1", "created_at": "2026-06-01"}, lead("A1")]
    events = [event("A1", "pricing_page_visit", AS_OF)]
    buffered = engine().evaluate(leads, events, as_of=AS_OF)
    grouped = engine().evaluate(leads, events, as_of=AS_OF, grouped=True)
    assert [verdict_json(v) for v in run(grouped)[0]] == [verdict_json(v) for v in run(buffered)[0]]
    assert grouped.counts == buffered.counts


def test_grouped_raises_on_unsorted_leads() -> None:
    leads = [lead("A2"), lead("A1")]
    evaluation = engine().evaluate(leads, [], as_of=AS_OF, grouped=True)
    items = iter(evaluation)
    assert isinstance(next(items), Verdict)
    with pytest.raises(InputOrderError, match="lead `A1` comes after `A2`"):
        next(items)


def test_grouped_raises_on_unsorted_events() -> None:
    events = [event("A2", "touch", T0), event("A1", "touch", T0)]
    evaluation = engine().evaluate([lead("A1"), lead("A2")], events, as_of=AS_OF, grouped=True)
    with pytest.raises(InputOrderError, match="event for lead `A1` comes after events for `A2`"):
        list(evaluation)


@pytest.mark.parametrize("side", ["leads", "events"])
def test_an_order_error_quotes_ids_shortened(side: str) -> None:
    """A megabyte id is quoted by its first characters (and printable), not whole."""
    big, small = "B" * 1_000_000, "A\n" + "x" * 10
    if side == "leads":
        leads, events = [lead(big), lead(small)], []
    else:
        leads, events = (
            [lead(small), lead(big)],
            [event(big, "touch", T0), event(small, "touch", T0)],
        )
    evaluation = engine().evaluate(leads, events, as_of=AS_OF, grouped=True)
    with pytest.raises(InputOrderError) as caught:
        list(evaluation)
    message = str(caught.value)
    assert len(message) < 400
    assert "B" * 79 + "…" in message
    assert "A\\nxxxxxxxxxx" in message  # the line break shown, not written


def test_unsorted_input_is_fine_without_grouped() -> None:
    leads = [lead("A2"), lead("A1")]
    events = [event("A2", "touch", T0), event("A1", "touch", T0)]
    evaluation = engine().evaluate(leads, events, as_of=AS_OF)
    verdicts, errors = run(evaluation)
    assert [v.lead_id for v in verdicts] == ["A2", "A1"]
    assert errors == []
    assert evaluation.counts.events_used == 2


# --- only -------------------------------------------------------------------------------------


@pytest.mark.parametrize("grouped", [False, True])
def test_only_restricts_the_verdicts_and_counts_the_rest_as_skipped(grouped: bool) -> None:
    leads, events = sorted_inputs()
    everything, _ = run(engine().evaluate(leads, events, as_of=AS_OF))
    evaluation = engine().evaluate(
        leads, events, as_of=AS_OF, grouped=grouped, only=["A5", "A1", "nope"]
    )
    verdicts, errors = run(evaluation)
    assert [v.lead_id for v in verdicts] == ["A1", "A5"]
    by_id = {v.lead_id: verdict_json(v) for v in everything}
    assert [verdict_json(v) for v in verdicts] == [by_id["A1"], by_id["A5"]]
    assert len(errors) == 3  # error rows are still reported
    counts = evaluation.counts
    assert (counts.leads_read, counts.verdicts, counts.skipped, counts.lead_errors) == (6, 2, 2, 2)
    assert counts.reconciles


# --- nothing lost, whatever the input -----------------------------------------------------------

LEAD_IDS = ["L0", "L1", "L2", "L3"]
GOOD_LEAD = st.builds(
    lambda lead_id, employees, days: lead(
        lead_id, employees=employees, created_at=(T0 + days * DAY).isoformat()
    ),
    st.sampled_from(LEAD_IDS),
    st.integers(0, 9000),
    st.sampled_from([0, 0, 0, 29, 31]),  # 31: created after as_of, so not yet
)
BAD_LEAD = st.one_of(
    st.builds(lambda i: {"lead_id": i, "created_at": "2026-06-01"}, st.sampled_from(LEAD_IDS)),
    st.builds(lambda i: lead(i, employees="many"), st.sampled_from(LEAD_IDS)),
    st.builds(lambda i: lead(i, industry="banking", created_at="?"), st.sampled_from(LEAD_IDS)),
    st.builds(lambda: lead("")),
    st.just("not a mapping"),
)
GOOD_EVENT = st.builds(
    lambda lead_id, kind, days: event(lead_id, kind, T0 + days * DAY),
    st.sampled_from([*LEAD_IDS, "L9"]),
    st.sampled_from(["webinar_attended", "pricing_page_visit", "accepted", "disqualified"]),
    st.integers(-5, 45),
)
BAD_EVENT = st.one_of(
    st.builds(lambda i: {"lead_id": i, "type": "touch"}, st.sampled_from(LEAD_IDS)),
    st.builds(lambda i: {"lead_id": i, "type": "touch", "at": "soon"}, st.sampled_from(LEAD_IDS)),
    st.just({"type": "touch", "at": "2026-06-02T00:00:00Z"}),
    st.just(["not", "a", "mapping"]),
)


def check_nothing_lost(leads: Sequence[Any], events: Sequence[Any], evaluation: Evaluation) -> None:
    items = list(evaluation)
    counts = evaluation.counts
    verdicts = [i for i in items if isinstance(i, Verdict)]
    lead_errors = [i for i in items if isinstance(i, RecordError) and i.kind == "lead"]
    event_errors = [i for i in items if isinstance(i, RecordError) and i.kind == "event"]
    assert counts.leads_read == len(leads)
    assert counts.leads_read == counts.verdicts + counts.lead_errors + counts.not_yet
    assert counts.skipped == 0
    assert counts.verdicts == len(verdicts)
    assert counts.lead_errors == len(lead_errors)
    assert counts.events_read == len(events)
    assert counts.event_errors == len(event_errors)
    assert counts.events_read == (
        counts.events_used
        + counts.events_after_as_of
        + counts.events_unknown_lead
        + counts.events_of_error_rows
        + counts.events_of_not_yet_leads
        + counts.event_errors
    )
    assert counts.reconciles
    assert len(items) == len(verdicts) + len(lead_errors) + len(event_errors)
    # Lead ids of the verdicts are unique: duplicates are error rows.
    assert len({v.lead_id for v in verdicts}) == len(verdicts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(GOOD_LEAD, BAD_LEAD), max_size=8),
    st.lists(st.one_of(GOOD_EVENT, BAD_EVENT), max_size=12),
)
def test_every_record_and_event_is_accounted_for(leads: list[Any], events: list[Any]) -> None:
    check_nothing_lost(leads, events, engine().evaluate(leads, events, as_of=AS_OF))


def sort_key(item: Any) -> str:
    return str(item.get("lead_id", "")) if isinstance(item, dict) else ""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(GOOD_LEAD, BAD_LEAD), max_size=8),
    st.lists(st.one_of(GOOD_EVENT, BAD_EVENT), max_size=12),
)
def test_every_record_and_event_is_accounted_for_when_grouped(
    leads: list[Any], events: list[Any]
) -> None:
    leads = sorted(leads, key=sort_key)
    events = sorted(events, key=sort_key)
    evaluation = engine().evaluate(leads, events, as_of=AS_OF, grouped=True)
    check_nothing_lost(leads, events, evaluation)


def test_a_lead_created_after_as_of_is_not_yet_neither_a_verdict_nor_an_error() -> None:
    late = (AS_OF + timedelta(days=1)).isoformat()
    evaluation = engine().evaluate(
        [lead("A1"), lead("B1", created_at=late)],
        [event("B1", "pricing_page_visit", AS_OF - timedelta(hours=1))],
        as_of=AS_OF,
    )
    verdicts, errors = run(evaluation)
    assert [v.lead_id for v in verdicts] == ["A1"]
    assert errors == []
    counts = evaluation.counts
    assert (counts.leads_read, counts.verdicts, counts.not_yet, counts.lead_errors) == (2, 1, 1, 0)
    assert counts.events_of_not_yet_leads == 1
    assert counts.reconciles


@pytest.mark.parametrize("grouped", [False, True])
def test_a_lead_not_yet_created_does_not_make_a_later_record_a_duplicate(grouped: bool) -> None:
    """Issue 8: a record refused for being created after as-of used to claim its id."""
    late = (AS_OF + timedelta(days=1)).isoformat()
    events = [event("B1", "pricing_page_visit", AS_OF - timedelta(hours=1))]
    evaluation = engine().evaluate(
        [lead("B1", created_at=late), lead("B1"), lead("B1", created_at=late)],
        events,
        as_of=AS_OF,
        grouped=grouped,
    )
    verdicts, errors = run(evaluation)
    assert [v.lead_id for v in verdicts] == ["B1"]
    assert verdicts[0].score.engagement > 0  # the valid record got the lead's event
    # The third record comes after the id was claimed: a duplicate, as any other.
    assert [(e.record, e.code) for e in errors] == [(3, "duplicate-id")]
    counts = evaluation.counts
    assert (counts.not_yet, counts.verdicts, counts.lead_errors) == (1, 1, 1)
    assert (counts.events_used, counts.events_of_not_yet_leads) == (1, 0)
    assert counts.reconciles


@pytest.mark.parametrize("grouped", [False, True])
def test_events_of_a_lead_that_is_only_not_yet_are_counted_as_such(grouped: bool) -> None:
    late = (AS_OF + timedelta(days=1)).isoformat()
    events = [
        event("B1", "touch", T0),
        event("B1", "touch", AS_OF + 2 * DAY),
        event("C1", "touch", T0),
    ]
    evaluation = engine().evaluate(
        [lead("B1", created_at=late), lead("C1")], events, as_of=AS_OF, grouped=grouped
    )
    verdicts, errors = run(evaluation)
    assert ([v.lead_id for v in verdicts], errors) == (["C1"], [])
    counts = evaluation.counts
    assert (counts.not_yet, counts.events_of_not_yet_leads, counts.events_used) == (1, 2, 1)
    assert counts.reconciles
