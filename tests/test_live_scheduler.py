"""When the monitor looks at a lead again, and what it keeps in memory meanwhile: neither
changes what it says (the batch verdict), only how much work it takes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from live_support import (
    DURABLE_RULES_TIMEOUT,
    batch_states,
    batch_verdicts,
    compiled_contract,
    example_events,
    example_leads,
    hang_guard,  # noqa: F401  (autouse: a hang fails the run)
    within,
)

from leadcontract.engine import CompiledContract
from leadcontract.live import Monitor
from leadcontract.live.ruleset import TriggerRules, patterns_of
from leadcontract.sla import first_late_instant

START = datetime(2026, 10, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@pytest.fixture(scope="module")
def compiled() -> CompiledContract:
    return compiled_contract()


def test_a_clock_due_at_closing_is_looked_at_again_the_microsecond_it_turns_late(
    compiled: CompiledContract,
) -> None:
    # dana works in Los Angeles; her leads' first touch is due within 4 business hours there.
    # Submitted on Tuesday at 13:30 PDT, the clock comes due at 17:30, the close: not late
    # until business time passes after it, on Wednesday from 09:00 PDT (16:00 UTC).
    lead = {
        **example_leads()[1],
        "CreatedDate": "2026-10-06T20:30:00Z",
        "form_submitted_at": "2026-10-06T20:30:00Z",
    }
    evening = datetime(2026, 10, 7, 2, tzinfo=UTC)  # 19:00 in Los Angeles
    monitor = Monitor(compiled)
    within(DURABLE_RULES_TIMEOUT, lambda: (monitor.ingest(lead), monitor.advance(evening)))
    state = monitor.state(lead["Id"])
    assert state is not None
    assert state["slas"]["first-touch-demo"] == "at_risk"  # overdue, not late yet
    clock = next(c for c in batch_verdicts(compiled, [lead], [], evening)[lead["Id"]].slas
                 if c.sla == "first-touch-demo")  # fmt: skip
    assert clock.due == datetime(2026, 10, 7, 0, 30, tzinfo=UTC)
    sla = next(s for s in compiled.slas if s.id == "first-touch-demo")
    late = first_late_instant(sla, clock.due, owner_zone="America/Los_Angeles")
    assert late == datetime(2026, 10, 7, 16, tzinfo=UTC) + MICROSECOND
    assert monitor.store.due(datetime(2027, 1, 1, tzinfo=UTC)) == [(late, lead["Id"])]

    def status(at: datetime) -> str:
        verdict = batch_verdicts(compiled, [lead], [], at)[lead["Id"]]
        return next(c.status for c in verdict.slas if c.sla == "first-touch-demo")

    assert status(late - MICROSECOND) == "at_risk"  # batch agrees: not a microsecond earlier
    assert status(late) == "breached"
    within(DURABLE_RULES_TIMEOUT, lambda: monitor.advance(late))
    assert (
        monitor.state(lead["Id"])
        == batch_states(batch_verdicts(compiled, [lead], [], late))[lead["Id"]]
    )


def test_a_calendar_time_clock_is_late_a_microsecond_after_its_due_time(
    compiled: CompiledContract,
) -> None:
    in_business_time = next(s for s in compiled.slas if s.id == "first-touch-demo")
    in_calendar_time = copy.copy(in_business_time)
    in_calendar_time.business = False  # as `time: calendar` compiles
    due = datetime(2026, 10, 7, 0, 30, tzinfo=UTC)  # 20:30 in New York: closed
    assert first_late_instant(in_calendar_time, due) == due + MICROSECOND
    assert (
        first_late_instant(in_business_time, due)
        == datetime(2026, 10, 7, 13, tzinfo=UTC) + MICROSECOND
    )  # 09:00 in New York


@pytest.mark.parametrize(
    ("max_open", "keep_quiet"),
    [(100_000, timedelta(days=1)), (1, timedelta(0))],
    ids=["kept-in-memory", "read-back-every-time"],
)
def test_what_memory_keeps_changes_nothing_the_monitor_says(
    compiled: CompiledContract, max_open: int, keep_quiet: timedelta
) -> None:
    leads = example_leads()[:40]
    ids = {lead["Id"] for lead in leads}
    events = [e for e in example_events() if e["lead_id"] in ids]
    monitor = Monitor(compiled, max_open=max_open, keep_quiet=keep_quiet)

    def run() -> list[tuple[datetime, dict[str, Any], dict[str, Any]]]:
        monitor.ingest_many(leads)
        seen = []
        now, i = START, 0
        while now < START + timedelta(days=46):
            now += timedelta(hours=12)
            while i < len(events) and datetime.fromisoformat(events[i]["at"]) <= now:
                monitor.post(events[i])
                i += 1
            monitor.advance(now)
            if now.hour == 0 and now.day % 5 == 0:
                expected = batch_states(batch_verdicts(compiled, leads, events[:i], now))
                mine = {lead_id: monitor.state(lead_id) for lead_id in expected}
                seen.append((now, mine, expected))
        return seen

    for now, mine, expected in within(DURABLE_RULES_TIMEOUT, run):
        assert mine == expected, now
    assert monitor.leads_in_memory <= max_open


def test_leads_with_nothing_ahead_leave_memory(compiled: CompiledContract) -> None:
    leads = example_leads()
    monitor = Monitor(compiled)
    end = START + timedelta(days=80)

    def run() -> None:
        monitor.ingest_many(leads)
        monitor.post_many(example_events())
        monitor.advance(START + timedelta(days=78))
        monitor.advance(end)  # two days later: the quiet ones have been quiet for a day

    within(DURABLE_RULES_TIMEOUT, run)
    scheduled = monitor.store.counts()["scheduled"]
    assert scheduled < len(leads) / 4
    assert monitor.leads_in_memory <= scheduled  # only leads with something still ahead


def test_durable_rules_decides_each_kind_of_event_once_and_the_answers_are_the_same(
    compiled: CompiledContract,
) -> None:
    from leadcontract.inputs import RawRecord  # noqa: PLC0415

    coerce = compiled.event_coercer.coerce
    events = [
        event
        for n, raw in enumerate(example_events(), start=1)
        for event in [coerce(RawRecord("test", n, None, raw))[0]]
        if event is not None
    ]
    extra = compiled.scoring.event_types | {kind for _, kind in compiled.event_counts}
    remembered = TriggerRules(patterns_of(compiled.contract, extra))
    every = TriggerRules(patterns_of(compiled.contract, extra), remember=False)
    try:
        first = within(DURABLE_RULES_TIMEOUT, lambda: remembered.match(events))
        again = within(DURABLE_RULES_TIMEOUT, lambda: remembered.match(events))
        each = within(DURABLE_RULES_TIMEOUT, lambda: every.match(events))
    finally:
        remembered.close()
        every.close()
    assert first == again == each
    kinds = {(e.type, e.channel or "", e.reason or "") for e in events}
    assert remembered.asked == len(kinds) < len(events) // 10
    assert every.asked == len(events)
    named = {name for name in first if name is not None}
    assert {"sla.first-touch.start", "sla.first-touch.stop"} <= named
    assert None in first  # some events matter to no pattern


def test_under_a_flood_of_events_deadlines_are_judged_first_and_the_rest_follow(
    compiled: CompiledContract,
) -> None:
    leads = example_leads()[:60]
    ids = {lead["Id"] for lead in leads}
    events = [e for e in example_events() if e["lead_id"] in ids]
    day5, day8 = START + timedelta(days=5), START + timedelta(days=8)
    earlier = [e for e in events if datetime.fromisoformat(e["at"]) <= day5]
    flood = [e for e in events if day5 < datetime.fromisoformat(e["at"]) <= day8]
    monitor = Monitor(compiled)

    def run() -> tuple[set[str], set[str], Any, Any, dict[str, Any]]:
        monitor.ingest_many(leads)
        monitor.post_many(earlier)
        monitor.advance(day5)
        posted = monitor.post_many(flood)
        woken = {p.lead_id for p in posted if p.relevant is not None and p.lead_id}
        due = {lead_id for _, lead_id in monitor.store.due(day8)}
        first = monitor.advance(day8, most=2)
        between = {lead_id: monitor.state(lead_id) for lead_id in due - woken}
        second = monitor.advance(day8)
        return woken, due, first, second, between

    woken, due, first, second, between = within(DURABLE_RULES_TIMEOUT, run)
    deadlines = due - woken
    assert len(woken) > 4
    assert deadlines  # some leads' moments came by time alone
    assert first.judged == len(deadlines) + 2
    assert first.deferred == len(woken) - 2
    assert second.judged == len(woken) - 2
    assert second.deferred == 0
    expected = batch_states(batch_verdicts(compiled, leads, earlier + flood, day8))
    assert between == {lead_id: expected[lead_id] for lead_id in between}  # on time
    assert {lead_id: monitor.state(lead_id) for lead_id in expected} == expected
