"""SLA semantics found on real data (issue 9), each against a brute-force minute oracle.

- The business-day rule gives a lead that arrives before the opening the *whole* day, even
  when the previous working day is shorter (a short Friday).
- A clock is late only once business time has passed since its due time: a deadline at the
  close and a stop after hours the same evening is met; a running clock breaches at the next
  opening, not at the close.
- Outcome events dated before the lead's creation are flagged in the clock's anomalies and
  in the run summary, never dropped silently.
- Dates outside the supported window are error rows or usage errors, never tracebacks.

The oracle is ``Reference`` of tests/test_calendar.py: it reads the wall clock minute by
minute. Contract: tests/fixtures/sla/contract.yaml (see tests/test_sla.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from engine_support import compiled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_calendar import Reference
from test_sla import FIXTURE, NY, clock, ev, lead, ny, touch, utc, verdicts

from leadcontract.calendar import BusinessCalendar, DateRangeError
from leadcontract.cli import main
from leadcontract.durations import Duration
from leadcontract.engine import CompiledContract
from leadcontract.explanation import explain
from leadcontract.summary import Tally

MINUTE = timedelta(minutes=1)
EXAMPLE = Path(__file__).parents[1] / "contracts" / "example"

SHORT_FRIDAY = {
    **{day: [(time(9), time(17, 30))] for day in range(4)},
    4: [(time(9), time(16))],
}
"""The example contract's us-east hours: Monday to Thursday 09:00-17:30, Friday 09:00-16:00."""


@pytest.fixture(scope="module")
def engine() -> CompiledContract:
    return compiled(FIXTURE)


# --- the business-day rule: the whole day before the opening --------------------------------------

SHORT = BusinessCalendar(NY, SHORT_FRIDAY)
SHORT_REFERENCE = Reference.of(NY, SHORT_FRIDAY)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (ny(2026, 11, 16, 8, 56), ny(2026, 11, 16, 17, 30)),  # Monday before the opening
        (ny(2026, 11, 16, 9), ny(2026, 11, 16, 17, 30)),  # exactly at the opening
        (ny(2026, 11, 16, 9, 1), ny(2026, 11, 17, 9, 1)),  # a minute in: a minute in
        (ny(2026, 11, 13, 16), ny(2026, 11, 16, 17, 30)),  # Friday's close: all of Monday
        (ny(2026, 11, 13, 20), ny(2026, 11, 16, 17, 30)),  # Friday night: the same
        (ny(2026, 11, 14, 3), ny(2026, 11, 16, 17, 30)),  # Saturday: the same
        (ny(2026, 11, 13, 15), ny(2026, 11, 16, 15)),  # Friday 6h in: Monday 6h in
        (ny(2026, 11, 12, 17), ny(2026, 11, 13, 16)),  # Thursday 8h in: capped at Friday's close
        (ny(2026, 11, 12, 17, 30), ny(2026, 11, 13, 16)),  # Thursday's close: Friday's close
    ],
)
def test_a_short_friday_does_not_shorten_monday(start: datetime, due: datetime) -> None:
    assert utc(SHORT.add(start, Duration(days=1))) == utc(due)
    assert utc(due) == SHORT_REFERENCE.add_days(start, 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 21 * 24 * 60), st.integers(1, 3))
def test_business_days_on_a_short_friday_match_the_oracle(minutes: int, count: int) -> None:
    start = datetime(2026, 11, 6, tzinfo=UTC) + minutes * MINUTE
    assert utc(SHORT.add(start, Duration(days=count))) == SHORT_REFERENCE.add_days(start, count)


def test_the_whole_day_is_the_close_whatever_the_lengths() -> None:
    """Before the opening or after the close, N days end at the N-th working day's close."""
    for start in (ny(2026, 11, 16, 7), ny(2026, 11, 13, 16, 30), ny(2026, 11, 15, 12)):
        for count in (1, 2, 5):
            due = SHORT.add(start, Duration(days=count))
            assert not SHORT.is_open(due)
            assert SHORT.is_open(due - MINUTE)


# --- late means business time has passed since due ----------------------------------------------

OFFICE = Reference.of(NY, {day: [(time(9), time(17))] for day in range(5)}, regions=[("US", None)])
"""The fixture's `office` calendar, minute by minute."""
HANDOFF_13 = ny(2026, 11, 17, 13)  # Tuesday 13:00: first-touch (4h) is due at the 17:00 close
DUE_17 = ny(2026, 11, 17, 17)


def test_a_stop_after_hours_on_the_due_day_is_met(engine: CompiledContract) -> None:
    events = [ev("handoff", HANDOFF_13), touch(ny(2026, 11, 17, 19))]
    found = clock(engine, "first-touch", lead(), events, ny(2026, 11, 18, 12))
    assert utc(found.due) == utc(DUE_17)
    assert found.status == "met"
    assert found.breached_at is None
    assert found.evidence == (
        "fulfilled 2026-11-18 00:00 UTC, after due 2026-11-17 22:00 UTC but before any "
        "business time"
    )
    assert found.elapsed_minutes == 240


@pytest.mark.parametrize(
    ("stop", "status", "late_minutes"),
    [
        (ny(2026, 11, 18, 8, 59), "met", None),
        (ny(2026, 11, 18, 9), "met", None),  # [due, stop) holds no working time
        (ny(2026, 11, 18, 9, 1), "breached", 1),
        (ny(2026, 11, 18, 11), "breached", 120),
    ],
)
def test_the_next_opening_is_where_lateness_begins(
    engine: CompiledContract, stop: datetime, status: str, late_minutes: int | None
) -> None:
    found = clock(engine, "first-touch", lead(), [ev("handoff", HANDOFF_13), touch(stop)], stop)
    assert found.status == status
    assert (OFFICE.elapsed(DUE_17, stop) == timedelta(0)) == (status == "met")
    if late_minutes is not None:
        assert utc(found.breached_at) == utc(DUE_17)
        assert f", {late_minutes} business minutes after due" in found.evidence


def test_a_running_clock_breaches_at_the_next_opening_not_at_the_close(
    engine: CompiledContract,
) -> None:
    events = [ev("handoff", HANDOFF_13)]
    evening = clock(engine, "first-touch", lead(), events, ny(2026, 11, 17, 23))
    assert evening.status == "at_risk"  # both warnings passed; nothing late yet
    assert evening.remaining_minutes == 0
    assert evening.breached_at is None
    assert evening.evidence == ""
    opening = clock(engine, "first-touch", lead(), events, ny(2026, 11, 18, 9))
    assert opening.status == "at_risk"
    morning = clock(engine, "first-touch", lead(), events, ny(2026, 11, 18, 9, 1))
    assert morning.status == "breached"
    assert utc(morning.breached_at) == utc(DUE_17)
    assert morning.evidence == "nothing fulfilled it by 2026-11-17 22:00 UTC"


def test_an_attempt_after_hours_on_the_last_day_counts(engine: CompiledContract) -> None:
    # three-attempts: 3 in 2 business days from the handoff (Monday 10:00): window ends
    # Wednesday 10:00. Started Monday 17:00 instead, it ends Wednesday 17:00 (the close).
    start = ny(2026, 11, 16, 17)
    touches = [
        touch(ny(2026, 11, 17, 10), "phone"),
        touch(ny(2026, 11, 17, 12), "email"),
        touch(ny(2026, 11, 18, 18, 30), "phone"),  # Wednesday evening, after the close
    ]
    record = lead(campaign="outbound")
    found = clock(
        engine, "three-attempts", record, [ev("handoff", start), *touches], ny(2026, 11, 19, 12)
    )
    assert utc(found.due) == utc(ny(2026, 11, 18, 17))
    assert found.status == "met"
    assert found.attempts == 3
    late = [*touches[:2], touch(ny(2026, 11, 19, 9, 30), "phone")]
    found = clock(
        engine, "three-attempts", record, [ev("handoff", start), *late], ny(2026, 11, 19, 12)
    )
    assert found.status == "breached"
    assert found.attempts == 2


def test_an_idle_gap_ending_after_hours_is_not_a_breach(engine: CompiledContract) -> None:
    # never-idle (2 business days between touches), accepted Monday 17:00: due Wednesday 17:00.
    record = lead(campaign="outbound")
    events = [ev("accepted", ny(2026, 11, 16, 17)), touch(ny(2026, 11, 18, 20))]
    found = clock(engine, "never-idle", record, events, ny(2026, 11, 19, 10))
    assert found.status == "pending"
    assert utc(found.due) == utc(ny(2026, 11, 20, 17))  # Wednesday 20:00 + 2d: Friday's close
    events[1] = touch(ny(2026, 11, 19, 9, 30))
    found = clock(engine, "never-idle", record, events, ny(2026, 11, 19, 10))
    assert found.status == "breached"
    assert utc(found.breached_at) == utc(ny(2026, 11, 18, 17))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(0, 20 * 24 * 60), st.integers(0, 3 * 24 * 60), st.integers(0, 4 * 24 * 60))
def test_response_status_matches_the_minute_oracle(
    engine: CompiledContract, start_minutes: int, stop_minutes: int, as_of_minutes: int
) -> None:
    start = datetime(2026, 11, 9, tzinfo=UTC) + start_minutes * MINUTE
    stop = start + stop_minutes * MINUTE
    as_of = start + as_of_minutes * MINUTE
    events = [ev("handoff", start)] + ([touch(stop)] if stop <= as_of else [])
    found = clock(engine, "first-touch", lead(), events, as_of)
    due = OFFICE.add(start, 4 * 60)
    assert utc(found.due) == due
    horizon = stop if stop <= as_of else as_of
    late = OFFICE.elapsed(due, horizon) > timedelta(0)
    if stop <= as_of:
        assert found.status == ("breached" if late else "met")
    else:
        assert (found.status == "breached") == late
    if found.status == "breached":
        assert utc(found.breached_at) == due


# --- outcome events dated before the lead's creation ---------------------------------------------

CREATED = ny(2026, 11, 16, 10)


def test_an_outcome_event_before_the_creation_is_flagged(engine: CompiledContract) -> None:
    record = lead(campaign="inbound", created_at=CREATED)
    early = ny(2026, 11, 13, 15)  # accepted three days before the lead existed
    events = [ev("accepted", early), ev("handoff", ny(2026, 11, 16, 11))]
    (verdict,) = verdicts(engine, [record], events, ny(2026, 11, 18, 12))
    accept = next(c for c in verdict.slas if c.sla == "accept")
    assert accept.status == "breached"  # the clock still cannot count it...
    assert accept.anomalies == (  # ...but says so
        "sla accept: `accepted` event at 2026-11-13 20:00 UTC is dated before the lead's "
        "creation (2026-11-16 15:00 UTC), so before the clock's start (2026-11-16 16:00 UTC): "
        "not counted as its stop",
    )
    plain = verdict.to_dict()
    assert plain["slas"][[c["sla"] for c in plain["slas"]].index("accept")]["anomalies"] == list(
        accept.anomalies
    )
    tally = Tally()
    tally.add(verdict)
    assert tally.anomalies == 1
    assert tally.leads_with_anomalies == 1
    assert tally.to_dict()["anomalies"] == 1
    assert f"    anomaly: {accept.anomalies[0]}" in explain(verdict).splitlines()


def test_a_cancel_stage_entered_before_the_creation_is_flagged(engine: CompiledContract) -> None:
    # never-idle is cancelled by the `disqualified` stage; the disqualification is dated
    # before the lead existed, so the stage counts from the creation, before the clock's start.
    record = lead(campaign="outbound", created_at=CREATED)
    events = [
        ev("disqualified", ny(2026, 11, 12, 9), reason="spam"),
        ev("accepted", ny(2026, 11, 16, 11)),
    ]
    found = clock(engine, "never-idle", record, events, ny(2026, 11, 19, 12))
    assert found.status == "breached"
    assert found.anomalies == (
        "sla never-idle: `disqualified` event at 2026-11-12 14:00 UTC is dated before the "
        "lead's creation (2026-11-16 15:00 UTC), so before the clock's start "
        "(2026-11-16 16:00 UTC): not counted as its cancel",
    )


def test_outcome_events_after_the_creation_are_not_anomalies(engine: CompiledContract) -> None:
    record = lead(campaign="inbound", created_at=CREATED)
    before_start = ny(2026, 11, 16, 10, 30)  # after the creation, before the handoff
    events = [ev("accepted", before_start), ev("handoff", ny(2026, 11, 16, 11))]
    (verdict,) = verdicts(engine, [record], events, ny(2026, 11, 18, 12))
    assert all(not c.anomalies for c in verdict.slas)
    tally = Tally()
    tally.add(verdict)
    assert tally.anomalies == 0


def test_the_summary_reports_anomalies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leads = tmp_path / "leads.jsonl"
    events = tmp_path / "events.jsonl"
    records = [lead("L1", campaign="inbound", created_at=CREATED), lead("L2", campaign="inbound")]
    leads.write_text("".join(json.dumps(r) + "\n" for r in records))
    rows = [
        ev("accepted", ny(2026, 11, 13, 15), "L1"),
        ev("handoff", ny(2026, 11, 16, 11), "L1"),
        ev("handoff", ny(2026, 11, 16, 11), "L2"),
    ]
    events.write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = ["evaluate", str(FIXTURE), "--leads", str(leads), "--events", str(events)]
    out = tmp_path / "out.jsonl"
    assert main([*args, "--as-of", "2026-11-18T17:00:00Z", "--out", str(out)]) == 0
    assert "anomalies: 1 in 1 leads (see `anomalies` in their verdicts)" in capsys.readouterr().out


# --- the supported window: error rows and usage errors, never tracebacks -------------------------


def example_leads(tmp_path: Path, created: list[str]) -> Path:
    source = (EXAMPLE / "data" / "leads.csv").read_text(encoding="utf-8").splitlines()
    header, rows = source[0], source[1 : 1 + len(created)]
    column = header.split(",").index("CreatedDate")
    changed = []
    for row, value in zip(rows, created, strict=True):
        cells = row.split(",")
        cells[column] = value
        changed.append(",".join(cells))
    path = tmp_path / "leads.csv"
    path.write_text("\n".join([header, *changed]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "created", ["0001-01-01T01:00:00Z", "1500-06-01T00:00:00Z", "9999-12-31T23:00:00-05:00"]
)
def test_lead_dates_outside_the_window_are_error_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], created: str
) -> None:
    leads = example_leads(tmp_path, [created, "2026-10-01T13:30:44.000+0000"])
    errors = tmp_path / "errors.jsonl"
    out = tmp_path / "out.jsonl"
    args = ["evaluate", str(EXAMPLE), "--leads", str(leads), "--as-of", "2026-11-16T17:00:00Z"]
    assert main([*args, "--out", str(out), "--errors", str(errors)]) == 1
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err + printed.out
    assert "leads: 2 read, 1 verdicts, 1 error rows" in printed.out
    (row,) = [json.loads(line) for line in errors.read_text().splitlines()]
    assert "outside the supported dates" in row["message"]
    assert len(out.read_text().splitlines()) == 1


def test_event_dates_outside_the_window_are_error_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = example_leads(tmp_path, ["2026-10-01T07:00:53.000+0000"])
    events = tmp_path / "events.jsonl"
    events.write_text(
        json.dumps({"lead_id": "L000001", "type": "touch", "at": "1500-01-01T00:00:00Z"}) + "\n"
    )
    args = ["evaluate", str(EXAMPLE), "--leads", str(leads), "--events", str(events)]
    errors = tmp_path / "errors.jsonl"
    assert main([*args, "--as-of", "2026-11-16T17:00:00Z", "--errors", str(errors)]) == 1
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err + printed.out
    assert "outside the supported dates" in errors.read_text()


@pytest.mark.parametrize(
    "as_of",
    [
        "2300-01-01T00:00:00Z",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "1899-12-31T23:59:59Z",
    ],
)
def test_as_of_outside_the_window_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], as_of: str
) -> None:
    leads = example_leads(tmp_path, ["2026-10-01T07:00:53.000+0000"])
    assert main(["evaluate", str(EXAMPLE), "--leads", str(leads), "--as-of", as_of]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"leadcontract: --as-of {as_of.replace('Z', '+00:00')} is outside")
    assert "Traceback" not in err


def test_the_api_refuses_an_as_of_outside_the_window(engine: CompiledContract) -> None:
    with pytest.raises(DateRangeError, match="as_of 2300-01-01T00:00:00"):
        engine.evaluate([lead()], [], as_of=datetime(2300, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("period", ["9999-12", "2199-12", "1800-01"])
def test_payout_periods_outside_the_window_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], period: str
) -> None:
    leads = example_leads(tmp_path, ["2026-10-01T07:00:53.000+0000"])
    assert main(["payouts", str(EXAMPLE), "--leads", str(leads), "--period", period]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"leadcontract: --period {period}")
    assert "Traceback" not in err
