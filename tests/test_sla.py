"""SLA clocks through the engine: response, attempts and idle SLAs in business time.

Contract: tests/fixtures/sla/contract.yaml. Calendar `office`: Monday to Friday 09:00-17:00 in
New York, US federal holidays off. Which SLA covers which campaign:

- demo, webinar: `first-touch`, a response SLA started by `handoff`, stopped by any `touch`,
  4 business hours, warnings at 50 and 75 %, paused by `out_of_office` until `back_in_office`,
  cancelled by `disqualified`, escalated to `mia`; demo also `hot-callback` (1h, phone, only
  for `rating == "hot"`);
- inbound: `accept` (handoff to `accepted`, 1 business day) and `form-touch` (2h from the
  record's `form_submitted_at`);
- intl: `lead-zone` and `owner-zone` (2h, hours read in the lead's / the owner's zone) and
  `wall-clock` (24 hours of calendar time);
- outbound: `three-attempts` (3 attempts in 2 business days, 1h apart, phone and email) and
  `never-idle` (2 business days between touches after `accepted`, cancelled by disqualification);
- partner: none.

Instants are written in New York wall time and compared in UTC. November 2026: Monday 16th is
an ordinary week; Wednesday 11th is Veterans Day, Thursday 26th Thanksgiving; New York leaves
daylight-saving time on Sunday 1 November and enters it on Sunday 8 March.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from engine_support import compiled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcontract.calendar import BusinessCalendar
from leadcontract.capacity import CapacityPlan
from leadcontract.engine import CompiledContract
from leadcontract.verdict import ClockEvent, SlaVerdict, Verdict

FIXTURE = Path(__file__).parent / "fixtures" / "sla"
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A New York wall time (never an ambiguous one in these tests)."""
    return datetime(year, month, day, hour, minute, tzinfo=NY)


def utc(instant: datetime | None) -> datetime | None:
    """Compare instants in UTC (see tests/test_calendar.py for why)."""
    return instant.astimezone(UTC) if instant is not None else None


MON = ny(2026, 11, 16)  # Monday of an ordinary week
HANDOFF = MON.replace(hour=10)  # Monday 10:00: first-touch is due at 14:00
EVENING = MON.replace(hour=17)
CREATED = ny(2026, 3, 2, 9)  # leads are created before every instant these tests evaluate


@pytest.fixture(scope="module")
def engine() -> CompiledContract:
    return compiled(FIXTURE)


def lead(lead_id: str = "L1", *, campaign: str = "demo", **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "lead_id": lead_id,
        "email": "pat@acme.example",
        "company": "Acme",
        "phone": "555-0100",
        "campaign": campaign,
        "owner": "nina",
        "created_at": CREATED.isoformat(),
    }
    record.update({k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()})
    return {k: v for k, v in record.items() if v is not None}


def ev(kind: str, at: datetime, lead_id: str = "L1", **extra: Any) -> dict[str, Any]:
    return {"lead_id": lead_id, "type": kind, "at": at.isoformat(), **extra}


def touch(at: datetime, channel: str = "phone", lead_id: str = "L1") -> dict[str, Any]:
    return ev("touch", at, lead_id, channel=channel, actor="nina")


def verdicts(
    engine: CompiledContract,
    records: list[dict[str, Any]],
    events: Iterable[dict[str, Any]],
    as_of: datetime,
    capacity: CapacityPlan | None = None,
) -> list[Verdict]:
    items = list(engine.evaluate(records, list(events), as_of=as_of, capacity=capacity))
    assert all(isinstance(item, Verdict) for item in items), items
    return [item for item in items if isinstance(item, Verdict)]


def clock(
    engine: CompiledContract,
    sla: str,
    record: dict[str, Any],
    events: Iterable[dict[str, Any]],
    as_of: datetime,
) -> SlaVerdict:
    (verdict,) = verdicts(engine, [record], events, as_of)
    by_id = {c.sla: c for c in verdict.slas}
    return by_id[sla]


def timeline(found: SlaVerdict) -> list[tuple[str, datetime | None]]:
    """The clock events as (kind, instant in UTC)."""
    return [(e.kind, utc(e.at)) for e in found.events]


def at(kind: str, instant: datetime) -> tuple[str, datetime | None]:
    return (kind, utc(instant))


# --- 1. response SLAs ---------------------------------------------------------------------------


def test_met_before_due(engine: CompiledContract) -> None:
    found = clock(
        engine,
        "first-touch",
        lead(),
        [ev("handoff", HANDOFF), touch(MON.replace(hour=11, minute=30))],
        EVENING,
    )
    assert found.kind == "response"
    assert found.status == "met"
    assert utc(found.start) == utc(HANDOFF)
    assert utc(found.due) == utc(MON.replace(hour=14))
    assert utc(found.stop) == utc(MON.replace(hour=11, minute=30))
    assert found.breached_at is None
    assert found.elapsed_minutes == 90
    assert found.remaining_minutes is None
    assert found.party is None
    assert found.escalate_to is None
    assert found.evidence == "fulfilled 2026-11-16 16:30 UTC, before due 2026-11-16 19:00 UTC"
    assert timeline(found) == [
        at("activate", HANDOFF),
        at("fulfil", MON.replace(hour=11, minute=30)),
    ]
    assert found.events[0].note == "started; clock: office in America/New_York"


def test_a_touch_exactly_at_the_due_time_is_met(engine: CompiledContract) -> None:
    due = MON.replace(hour=14)
    found = clock(engine, "first-touch", lead(), [ev("handoff", HANDOFF), touch(due)], EVENING)
    assert found.status == "met"
    assert found.breached_at is None
    assert found.elapsed_minutes == 240
    assert timeline(found) == [
        at("activate", HANDOFF),
        at("warn", MON.replace(hour=12)),
        at("warn", MON.replace(hour=13)),
        at("fulfil", due),
    ]


def test_a_late_touch_is_a_breach_at_the_due_time(engine: CompiledContract) -> None:
    late = MON.replace(hour=15)
    found = clock(engine, "first-touch", lead(), [ev("handoff", HANDOFF), touch(late)], EVENING)
    assert found.status == "breached"  # although fulfilled since
    due = MON.replace(hour=14)
    assert utc(found.breached_at) == utc(due)
    assert utc(found.stop) == utc(late)
    assert found.elapsed_minutes == 300
    assert found.party == "sales"
    assert found.escalate_to == "mia"
    why = "fulfilled 2026-11-16 20:00 UTC, 60 business minutes after due"
    assert found.evidence == why
    assert found.events == (
        ClockEvent("activate", found.events[0].at, "started; clock: office in America/New_York"),
        ClockEvent("warn", found.events[1].at, "50% of the target"),
        ClockEvent("warn", found.events[2].at, "75% of the target"),
        ClockEvent("breach", found.events[3].at, why),
        ClockEvent("escalate", found.events[4].at, target="mia"),
        ClockEvent("fulfil", found.events[5].at, why),
    )
    assert timeline(found) == [
        at("activate", HANDOFF),
        at("warn", MON.replace(hour=12)),
        at("warn", MON.replace(hour=13)),
        at("breach", due),
        at("escalate", due),
        at("fulfil", late),
    ]


def test_never_touched_is_breached_with_evidence(engine: CompiledContract) -> None:
    found = clock(engine, "first-touch", lead(), [ev("handoff", HANDOFF)], EVENING)
    assert found.status == "breached"
    assert utc(found.breached_at) == utc(MON.replace(hour=14))
    assert found.stop is None
    assert found.evidence == "nothing fulfilled it by 2026-11-16 19:00 UTC"
    assert found.elapsed_minutes == 420
    assert found.remaining_minutes is None
    kinds = [kind for kind, _ in timeline(found)]
    assert kinds == ["activate", "warn", "warn", "breach", "escalate"]


def test_pending_before_the_first_threshold(engine: CompiledContract) -> None:
    found = clock(engine, "first-touch", lead(), [ev("handoff", HANDOFF)], MON.replace(hour=11))
    assert found.status == "pending"
    assert utc(found.due) == utc(MON.replace(hour=14))
    assert found.elapsed_minutes == 60
    assert found.remaining_minutes == 180
    assert found.breached_at is None
    assert found.evidence == ""
    assert timeline(found) == [at("activate", HANDOFF)]


@pytest.mark.parametrize(
    ("as_of", "status", "warnings", "remaining"),
    [
        (MON.replace(hour=11, minute=59), "pending", [], 121),
        (MON.replace(hour=12), "at_risk", [MON.replace(hour=12)], 120),  # 50 % of 4h = 2h
        (MON.replace(hour=12, minute=59), "at_risk", [MON.replace(hour=12)], 61),
        (MON.replace(hour=13), "at_risk", [MON.replace(hour=12), MON.replace(hour=13)], 60),
    ],
)
def test_at_risk_from_the_exact_warning_threshold(
    engine: CompiledContract,
    as_of: datetime,
    status: str,
    warnings: list[datetime],
    remaining: int,
) -> None:
    found = clock(engine, "first-touch", lead(), [ev("handoff", HANDOFF)], as_of)
    assert found.status == status
    assert found.remaining_minutes == remaining
    assert [utc(e.at) for e in found.events if e.kind == "warn"] == [utc(w) for w in warnings]
    assert [e.note for e in found.events if e.kind == "warn"] == [
        "50% of the target",
        "75% of the target",
    ][: len(warnings)]


def test_warnings_follow_business_time_across_the_night(engine: CompiledContract) -> None:
    # Handed off Monday 15:00: 2h on Monday, due Tuesday 11:00; 50 % is Monday 17:00 (the
    # earliest instant with 2 business hours), 75 % Tuesday 10:00.
    start = MON.replace(hour=15)
    found = clock(engine, "first-touch", lead(), [ev("handoff", start)], ny(2026, 11, 17, 10))
    assert utc(found.due) == utc(ny(2026, 11, 17, 11))
    assert found.status == "at_risk"
    assert [utc(e.at) for e in found.events if e.kind == "warn"] == [
        utc(MON.replace(hour=17)),
        utc(ny(2026, 11, 17, 10)),
    ]


def test_not_applicable_when_the_campaign_is_not_covered(engine: CompiledContract) -> None:
    record = lead(campaign="partner")
    (verdict,) = verdicts(engine, [record], [ev("handoff", HANDOFF)], EVENING)
    assert {c.status for c in verdict.slas} == {"not_applicable"}
    found = {c.sla: c for c in verdict.slas}["first-touch"]
    assert found == SlaVerdict(
        sla="first-touch",
        kind="response",
        status="not_applicable",
        evidence="the lead's campaign is not covered",
    )


def test_not_applicable_when_the_selector_does_not_hold(engine: CompiledContract) -> None:
    events = [ev("handoff", HANDOFF)]
    warm = clock(engine, "hot-callback", lead(rating="warm"), events, EVENING)
    assert warm.status == "not_applicable"
    assert warm.evidence == "the selector does not hold"
    unrated = clock(engine, "hot-callback", lead(), events, EVENING)
    assert unrated.status == "not_applicable"
    hot = clock(engine, "hot-callback", lead(rating="hot"), events, EVENING)
    assert hot.status == "breached"
    assert utc(hot.due) == utc(MON.replace(hour=11))


def test_the_stop_trigger_channels_filter_touches(engine: CompiledContract) -> None:
    events = [ev("handoff", HANDOFF), touch(HANDOFF + timedelta(minutes=10), channel="email")]
    hot = clock(engine, "hot-callback", lead(rating="hot"), events, HANDOFF + timedelta(minutes=30))
    assert hot.status == "pending"  # an email does not stop a phone callback
    events.append(touch(HANDOFF + timedelta(minutes=20), channel="phone"))
    hot = clock(engine, "hot-callback", lead(rating="hot"), events, HANDOFF + timedelta(minutes=30))
    assert hot.status == "met"
    assert hot.elapsed_minutes == 20


def test_not_started_without_the_start_trigger(engine: CompiledContract) -> None:
    found = clock(engine, "first-touch", lead(), [touch(MON.replace(hour=11))], EVENING)
    assert found.status == "not_applicable"
    assert found.evidence == "not started"
    assert found.start is None
    assert found.events == ()


def test_a_touch_before_the_start_does_not_fulfil(engine: CompiledContract) -> None:
    events = [touch(MON.replace(hour=9, minute=30)), ev("handoff", HANDOFF)]
    found = clock(engine, "first-touch", lead(), events, EVENING)
    assert found.status == "breached"
    assert found.stop is None


def test_cancelled_before_due(engine: CompiledContract) -> None:
    cancel = MON.replace(hour=11)
    events = [
        ev("handoff", HANDOFF),
        ev("disqualified", cancel, reason="spam"),
        touch(MON.replace(hour=12)),  # after the cancel: does not count
    ]
    found = clock(engine, "first-touch", lead(), events, EVENING)
    assert found.status == "cancelled"
    assert found.stop is None
    assert found.breached_at is None
    assert found.party is None
    assert found.elapsed_minutes == 60
    assert found.remaining_minutes is None
    assert timeline(found) == [at("activate", HANDOFF), at("cancel", cancel)]


def test_a_cancel_after_the_breach_leaves_it_breached(engine: CompiledContract) -> None:
    events = [ev("handoff", HANDOFF), ev("disqualified", MON.replace(hour=15), reason="spam")]
    found = clock(engine, "first-touch", lead(), events, EVENING)
    assert found.status == "breached"
    assert utc(found.breached_at) == utc(MON.replace(hour=14))
    assert "cancel" not in [kind for kind, _ in timeline(found)]


def test_only_the_first_start_counts(engine: CompiledContract) -> None:
    events = [
        ev("handoff", HANDOFF),
        ev("handoff", MON.replace(hour=13)),
        touch(MON.replace(hour=15)),
    ]
    found = clock(engine, "first-touch", lead(), events, EVENING)
    assert utc(found.start) == utc(HANDOFF)
    assert found.status == "breached"


# --- 2. business time ---------------------------------------------------------------------------


def test_a_start_at_night_runs_from_the_next_opening(engine: CompiledContract) -> None:
    night = MON.replace(hour=22)
    found = clock(engine, "first-touch", lead(), [ev("handoff", night)], ny(2026, 11, 17, 9, 30))
    assert utc(found.start) == utc(night)  # the start is the event itself
    assert utc(found.due) == utc(ny(2026, 11, 17, 13))
    assert found.status == "pending"
    assert found.elapsed_minutes == 30
    assert found.remaining_minutes == 210


def test_friday_afternoon_is_due_on_monday(engine: CompiledContract) -> None:
    friday = ny(2026, 11, 13, 15)
    found = clock(engine, "first-touch", lead(), [ev("handoff", friday)], ny(2026, 11, 14, 12))
    assert utc(found.due) == utc(ny(2026, 11, 16, 11))
    assert found.status == "at_risk"  # 50 % (2h) was reached at Friday's close
    assert found.elapsed_minutes == 120
    assert found.remaining_minutes == 120


def test_thanksgiving_is_skipped(engine: CompiledContract) -> None:
    wednesday = ny(2026, 11, 25, 15)
    events = [ev("handoff", wednesday), touch(ny(2026, 11, 27, 10, 30))]
    found = clock(engine, "first-touch", lead(), events, ny(2026, 11, 27, 17))
    assert utc(found.due) == utc(ny(2026, 11, 27, 11))  # Thursday 26th is off
    assert found.status == "met"
    assert found.elapsed_minutes == 210  # Wednesday 15-17, Friday 9-10:30


def test_veterans_day_is_skipped(engine: CompiledContract) -> None:
    tuesday = ny(2026, 11, 10, 15)
    found = clock(engine, "first-touch", lead(), [ev("handoff", tuesday)], ny(2026, 11, 13, 17))
    assert utc(found.due) == utc(ny(2026, 11, 12, 11))


@pytest.mark.parametrize(
    ("handoff", "due"),
    [
        (ny(2026, 11, 17, 15), ny(2026, 11, 18, 15)),  # Tue 15:00 + 1d = Wed 15:00
        (ny(2026, 11, 17, 20), ny(2026, 11, 18, 17)),  # at night: the close of Tuesday
        (ny(2026, 11, 17, 8), ny(2026, 11, 17, 17)),  # before opening: all of Tuesday
        (ny(2026, 11, 17, 9), ny(2026, 11, 17, 17)),  # exactly at opening: the same
        (ny(2026, 11, 13, 15), ny(2026, 11, 16, 15)),  # Fri 15:00 + 1d = Mon 15:00
        (ny(2026, 11, 14, 3), ny(2026, 11, 16, 17)),  # Saturday: all of Monday
        (ny(2026, 11, 25, 15), ny(2026, 11, 27, 15)),  # over Thanksgiving
        (ny(2026, 11, 10, 12), ny(2026, 11, 12, 12)),  # over Veterans Day
        (ny(2026, 3, 6, 15), ny(2026, 3, 9, 15)),  # over the spring DST change
        (ny(2026, 10, 30, 15), ny(2026, 11, 2, 15)),  # over the autumn DST change
    ],
)
def test_a_one_day_target_follows_the_business_day_rule(
    engine: CompiledContract, handoff: datetime, due: datetime
) -> None:
    record = lead(campaign="inbound")
    found = clock(engine, "accept", record, [ev("handoff", handoff)], handoff)
    assert utc(found.due) == utc(due)


def test_accept_within_one_business_day(engine: CompiledContract) -> None:
    record = lead(campaign="inbound")
    events = [ev("handoff", ny(2026, 11, 13, 15)), ev("accepted", ny(2026, 11, 16, 14, 59))]
    found = clock(engine, "accept", record, events, EVENING)
    assert found.status == "met"
    assert found.elapsed_minutes == 8 * 60 - 1
    events[1] = ev("accepted", ny(2026, 11, 16, 15, 1))
    found = clock(engine, "accept", record, events, EVENING)
    assert found.status == "breached"
    assert utc(found.breached_at) == utc(ny(2026, 11, 16, 15))
    assert found.evidence == "fulfilled 2026-11-16 20:01 UTC, 1 business minutes after due"


def test_spring_forward(engine: CompiledContract) -> None:
    # Friday 6 March 15:00 EST (20:00 UTC): 2h on Friday, 2h from Monday 09:00 EDT (13:00 UTC).
    friday = ny(2026, 3, 6, 15)
    assert utc(friday) == datetime(2026, 3, 6, 20, tzinfo=UTC)
    found = clock(engine, "first-touch", lead(), [ev("handoff", friday)], ny(2026, 3, 9, 17))
    assert utc(found.due) == datetime(2026, 3, 9, 15, tzinfo=UTC)  # Monday 11:00 EDT
    assert utc(found.breached_at) == datetime(2026, 3, 9, 15, tzinfo=UTC)
    assert [utc(e.at) for e in found.events if e.kind == "warn"] == [
        datetime(2026, 3, 6, 22, tzinfo=UTC),  # Friday 17:00 EST
        datetime(2026, 3, 9, 14, tzinfo=UTC),  # Monday 10:00 EDT
    ]


def test_fall_back(engine: CompiledContract) -> None:
    # Friday 30 October 15:00 EDT (19:00 UTC): due Monday 2 November 11:00 EST (16:00 UTC).
    friday = ny(2026, 10, 30, 15)
    assert utc(friday) == datetime(2026, 10, 30, 19, tzinfo=UTC)
    events = [ev("handoff", friday), touch(datetime(2026, 11, 2, 15, 30, tzinfo=UTC))]
    found = clock(engine, "first-touch", lead(), events, ny(2026, 11, 2, 17))
    assert utc(found.due) == datetime(2026, 11, 2, 16, tzinfo=UTC)
    assert found.status == "met"
    assert found.elapsed_minutes == 210  # Friday 15-17, Monday 09:00-10:30 EST


def test_a_pause_across_the_weekend_pushes_the_due_time(engine: CompiledContract) -> None:
    # Handed off Friday 13:00, due Friday 17:00 without the pause. Paused Friday 15:00 to
    # Monday 10:00: 3 business hours (Friday 15-17, Monday 9-10), so due Monday 12:00.
    start, away, back = ny(2026, 11, 13, 13), ny(2026, 11, 13, 15), ny(2026, 11, 16, 10)
    events = [ev("handoff", start), ev("out_of_office", away), ev("back_in_office", back)]
    found = clock(engine, "first-touch", lead(), events, EVENING)
    due = ny(2026, 11, 16, 12)
    assert utc(found.due) == utc(due)
    assert found.status == "breached"
    assert utc(found.breached_at) == utc(due)
    assert found.elapsed_minutes == 720 - 180  # Fri 13-17 and Mon 9-17, less the pause
    assert timeline(found) == [
        at("activate", start),
        at("pause", away),
        at("warn", away),  # 2h of running time were reached just as the pause began
        at("resume", back),
        at("warn", ny(2026, 11, 16, 11)),  # 3h of running time: Friday 13-15, Monday 10-11
        at("breach", due),
        at("escalate", due),
    ]


def test_a_touch_after_a_pause_is_measured_in_running_time(engine: CompiledContract) -> None:
    start, away, back = ny(2026, 11, 13, 13), ny(2026, 11, 13, 15), ny(2026, 11, 16, 10)
    events = [
        ev("handoff", start),
        ev("out_of_office", away),
        ev("back_in_office", back),
        touch(ny(2026, 11, 16, 11, 30)),
    ]
    found = clock(engine, "first-touch", lead(), events, EVENING)
    assert found.status == "met"
    assert found.elapsed_minutes == 210  # Friday 13-15, Monday 10:00-11:30


def test_a_clock_paused_now_is_paused(engine: CompiledContract) -> None:
    start, away = ny(2026, 11, 13, 13), ny(2026, 11, 13, 15)
    events = [ev("handoff", start), ev("out_of_office", away)]
    found = clock(engine, "first-touch", lead(), events, ny(2026, 11, 14, 12))
    assert found.status == "paused"
    assert found.elapsed_minutes == 120
    assert found.remaining_minutes == 120
    assert timeline(found) == [at("activate", start), at("pause", away), at("warn", away)]
    # while paused, the due time moves with the paused time so far (2 business hours)
    assert utc(found.due) == utc(ny(2026, 11, 16, 11))


def test_a_pause_after_the_due_time_does_not_postpone_the_breach(
    engine: CompiledContract,
) -> None:
    events = [
        ev("handoff", HANDOFF),
        ev("out_of_office", MON.replace(hour=15)),
        ev("back_in_office", MON.replace(hour=16)),
    ]
    found = clock(engine, "first-touch", lead(), events, EVENING)
    assert found.status == "breached"
    assert utc(found.due) == utc(MON.replace(hour=14))
    assert utc(found.breached_at) == utc(MON.replace(hour=14))
    assert [utc(e.at) for e in found.events if e.kind == "warn"] == [
        utc(MON.replace(hour=12)),
        utc(MON.replace(hour=13)),
    ]
    assert "pause" not in [kind for kind, _ in timeline(found)]


def test_a_pause_after_the_fulfilment_changes_nothing(engine: CompiledContract) -> None:
    events = [
        ev("handoff", HANDOFF),
        touch(MON.replace(hour=11)),
        ev("out_of_office", MON.replace(hour=12)),
    ]
    found = clock(engine, "first-touch", lead(), events, EVENING)
    assert found.status == "met"
    assert utc(found.due) == utc(MON.replace(hour=14))
    assert timeline(found) == [at("activate", HANDOFF), at("fulfil", MON.replace(hour=11))]


def test_a_retroactive_start_from_a_record_field(engine: CompiledContract) -> None:
    # Created (and handed off) at 11:00, but the form was submitted at 10:00: due at 12:00.
    record = lead(campaign="inbound", created_at=MON.replace(hour=11), form_submitted_at=HANDOFF)
    found = clock(engine, "form-touch", record, [touch(MON.replace(hour=11, minute=30))], EVENING)
    assert found.status == "met"
    assert utc(found.start) == utc(HANDOFF)
    assert utc(found.due) == utc(MON.replace(hour=12))
    assert found.elapsed_minutes == 90
    late = clock(engine, "form-touch", record, [], MON.replace(hour=12, minute=30))
    assert late.status == "breached"
    assert utc(late.breached_at) == utc(MON.replace(hour=12))
    missing = clock(engine, "form-touch", lead(campaign="inbound"), [], EVENING)
    assert missing.status == "not_applicable"
    assert missing.evidence == "not started"


def test_a_retroactive_start_after_as_of_has_not_started(engine: CompiledContract) -> None:
    record = lead(campaign="inbound", form_submitted_at=ny(2026, 11, 17, 10))
    found = clock(engine, "form-touch", record, [], EVENING)
    assert found.status == "not_applicable"
    assert found.evidence == "not started"


def test_the_lead_zone_reads_working_hours_in_berlin(engine: CompiledContract) -> None:
    # Handed off Monday 15:00 UTC = 16:00 in Berlin (10:00 in New York): one hour left of the
    # Berlin day, then Tuesday 09:00-10:00 Berlin (08:00-09:00 UTC).
    handoff = datetime(2026, 11, 16, 15, tzinfo=UTC)
    record = lead(campaign="intl", timezone="Europe/Berlin")
    found = clock(engine, "lead-zone", record, [ev("handoff", handoff)], handoff)
    assert utc(found.due) == datetime(2026, 11, 17, 9, tzinfo=UTC)
    assert found.events[0].note == "started; clock: office hours in Europe/Berlin"
    assert found.due is not None
    assert found.due.astimezone(BERLIN).time() == time(10)
    # the same lead on the calendar's own zone would be due at 12:00 New York
    other = lead(campaign="intl")
    same = clock(engine, "lead-zone", other, [ev("handoff", handoff)], handoff)
    assert utc(same.due) == utc(MON.replace(hour=12))
    assert same.events[0].note == "started; clock: office in America/New_York"


def test_a_lead_zone_that_is_no_zone_falls_back_to_the_calendar(engine: CompiledContract) -> None:
    record = lead(campaign="intl", timezone="Mars/Olympus_Mons")
    found = clock(engine, "lead-zone", record, [ev("handoff", HANDOFF)], HANDOFF)
    assert utc(found.due) == utc(MON.replace(hour=12))
    note = "started; clock: office in America/New_York ('Mars/Olympus_Mons' is no zone)"
    assert found.events[0].note == note


@pytest.mark.parametrize(
    ("owner", "due", "note"),
    [
        ("nina", datetime(2026, 11, 16, 17, tzinfo=UTC), "office hours in America/New_York"),
        # 15:00 UTC is 07:00 in Los Angeles: the clock starts at 09:00 there (17:00 UTC)
        ("leo", datetime(2026, 11, 16, 19, tzinfo=UTC), "office hours in America/Los_Angeles"),
        ("nobody", datetime(2026, 11, 16, 17, tzinfo=UTC), "office in America/New_York"),
        (None, datetime(2026, 11, 16, 17, tzinfo=UTC), "office in America/New_York"),
    ],
)
def test_the_owner_zone_comes_from_the_contract_reps(
    engine: CompiledContract, owner: str | None, due: datetime, note: str
) -> None:
    handoff = datetime(2026, 11, 16, 15, tzinfo=UTC)
    record = lead(campaign="intl", owner=owner)
    found = clock(engine, "owner-zone", record, [ev("handoff", handoff)], handoff)
    assert utc(found.due) == due
    assert found.events[0].note == f"started; clock: {note}"


def test_calendar_time_ignores_hours_and_counts_real_hours_over_dst(
    engine: CompiledContract,
) -> None:
    friday = ny(2026, 11, 13, 15)
    found = clock(engine, "wall-clock", lead(campaign="intl"), [ev("handoff", friday)], friday)
    assert utc(found.due) == utc(ny(2026, 11, 14, 15))
    assert found.events[0].note == "started; clock: calendar time"
    saturday = ny(2026, 10, 31, 12)  # 24 real hours later is Sunday 11:00 EST
    found = clock(engine, "wall-clock", lead(campaign="intl"), [ev("handoff", saturday)], saturday)
    assert utc(found.due) == datetime(2026, 11, 1, 16, tzinfo=UTC)


# --- 3. attempts SLAs -----------------------------------------------------------------------------

OUTBOUND_START = HANDOFF  # window: 2 business days, to Wednesday 10:00
WINDOW_END = ny(2026, 11, 18, 10)
AFTER_WINDOW = ny(2026, 11, 18, 12)
TUE = ny(2026, 11, 17)


def attempts_clock(
    engine: CompiledContract, touches: list[dict[str, Any]], as_of: datetime, **fields: Any
) -> SlaVerdict:
    record = lead(campaign="outbound", **fields)
    return clock(engine, "three-attempts", record, [ev("handoff", OUTBOUND_START), *touches], as_of)


def test_attempts_met_at_the_third_attempt_with_two_channels(engine: CompiledContract) -> None:
    touches = [
        touch(MON.replace(hour=11), "phone"),
        touch(MON.replace(hour=14), "email"),
        touch(TUE.replace(hour=10), "phone"),
    ]
    found = attempts_clock(engine, touches, AFTER_WINDOW)
    assert found.kind == "attempts"
    assert found.status == "met"
    assert found.attempts == 3
    assert utc(found.stop) == utc(TUE.replace(hour=10))
    assert utc(found.due) == utc(WINDOW_END)
    assert found.evidence == "3 attempts on 2 channel(s)"
    assert found.breached_at is None
    assert timeline(found) == [at("activate", OUTBOUND_START), at("fulfil", TUE.replace(hour=10))]


def test_attempts_wait_for_the_channel_mix(engine: CompiledContract) -> None:
    touches = [
        touch(MON.replace(hour=11), "phone"),
        touch(MON.replace(hour=13), "phone"),
        touch(MON.replace(hour=15), "phone"),
        touch(TUE.replace(hour=10), "email"),
    ]
    found = attempts_clock(engine, touches, AFTER_WINDOW)
    assert found.status == "met"
    assert found.attempts == 4
    assert utc(found.stop) == utc(TUE.replace(hour=10))


def test_too_few_attempts_breach_at_the_window_end(engine: CompiledContract) -> None:
    touches = [
        touch(MON.replace(hour=11), "phone"),
        touch(MON.replace(hour=14), "email"),
        touch(ny(2026, 11, 18, 11), "phone"),  # after the window
    ]
    found = attempts_clock(engine, touches, AFTER_WINDOW)
    assert found.status == "breached"
    assert utc(found.breached_at) == utc(WINDOW_END)
    assert found.attempts == 2
    assert found.evidence == "2 of 3 attempts on 2 of 2 required channels"
    assert found.party == "sales"
    assert found.escalate_to == "mia"
    assert timeline(found)[-2:] == [at("breach", WINDOW_END), at("escalate", WINDOW_END)]


def test_attempts_pending_within_the_window(engine: CompiledContract) -> None:
    touches = [touch(MON.replace(hour=11), "phone"), touch(MON.replace(hour=14), "email")]
    found = attempts_clock(engine, touches, TUE.replace(hour=12))
    assert found.status == "pending"
    assert found.attempts == 2
    assert found.remaining_minutes == 6 * 60  # Tuesday 12-17, Wednesday 9-10


def test_attempts_closer_than_the_spacing_count_once(engine: CompiledContract) -> None:
    touches = [
        touch(MON.replace(hour=11), "phone"),
        touch(MON.replace(hour=11, minute=30), "email"),  # 30 minutes later: not counted
        touch(TUE.replace(hour=10), "phone"),
    ]
    found = attempts_clock(engine, touches, AFTER_WINDOW)
    assert found.status == "breached"
    assert found.attempts == 2
    assert found.evidence == "2 of 3 attempts on 1 of 2 required channels"
    touches.append(touch(TUE.replace(hour=14), "email"))
    found = attempts_clock(engine, touches, AFTER_WINDOW)
    assert found.status == "met"
    assert found.attempts == 3
    assert utc(found.stop) == utc(TUE.replace(hour=14))


def test_attempts_exactly_the_spacing_apart_count(engine: CompiledContract) -> None:
    touches = [
        touch(MON.replace(hour=11), "phone"),
        touch(MON.replace(hour=12), "email"),
        touch(MON.replace(hour=13), "phone"),
    ]
    found = attempts_clock(engine, touches, AFTER_WINDOW)
    assert found.status == "met"
    assert found.attempts == 3


def test_attempts_on_other_channels_do_not_count(engine: CompiledContract) -> None:
    touches = [
        touch(MON.replace(hour=11), "phone"),
        touch(MON.replace(hour=12), "sms"),
        touch(MON.replace(hour=14), "email"),
    ]
    found = attempts_clock(engine, touches, AFTER_WINDOW)
    assert found.status == "breached"
    assert found.attempts == 2


def test_do_not_call_drops_phone_from_the_mix(engine: CompiledContract) -> None:
    touches = [
        touch(MON.replace(hour=11), "email"),
        touch(MON.replace(hour=12), "phone"),  # against the lead's wish: does not count
        touch(MON.replace(hour=14), "email"),
        touch(TUE.replace(hour=10), "email"),
    ]
    found = attempts_clock(engine, touches, AFTER_WINDOW, do_not_call=True)
    assert found.status == "met"
    assert found.attempts == 3
    assert found.evidence == "3 attempts on 1 channel(s)"
    assert utc(found.stop) == utc(TUE.replace(hour=10))
    few = attempts_clock(engine, touches[:1], AFTER_WINDOW, do_not_call=True)
    assert few.status == "breached"
    assert few.evidence == (
        "1 of 3 attempts on 1 of 1 required channels (some channels excused by consent)"
    )


def test_every_channel_forbidden_excuses_the_attempts(engine: CompiledContract) -> None:
    found = attempts_clock(engine, [], AFTER_WINDOW, do_not_call=True, email_opt_out=True)
    assert found.status == "met"
    assert found.evidence == "excused: the lead's consent forbids every attempt channel"
    assert found.breached_at is None
    assert found.party is None
    assert found.escalate_to is None
    assert timeline(found) == [at("activate", OUTBOUND_START)]


def test_attempts_cancelled_by_a_meeting(engine: CompiledContract) -> None:
    touches = [touch(MON.replace(hour=11), "phone"), ev("meeting", MON.replace(hour=15))]
    found = attempts_clock(engine, touches, AFTER_WINDOW)
    assert found.status == "cancelled"
    assert timeline(found)[-1] == at("cancel", MON.replace(hour=15))


def test_a_pause_pushes_the_attempts_window(engine: CompiledContract) -> None:
    # Paused Tuesday 10:00-14:00 (4 business hours): the window ends Wednesday 14:00.
    touches = [
        touch(MON.replace(hour=11), "phone"),
        touch(MON.replace(hour=14), "email"),
        ev("out_of_office", TUE.replace(hour=10)),
        ev("back_in_office", TUE.replace(hour=14)),
        touch(ny(2026, 11, 18, 13), "phone"),
    ]
    found = attempts_clock(engine, touches, ny(2026, 11, 18, 17))
    assert utc(found.due) == utc(ny(2026, 11, 18, 14))
    assert found.status == "met"
    assert found.attempts == 3


# --- 4. idle SLAs ---------------------------------------------------------------------------------

ACCEPTED = HANDOFF


def idle_clock(
    engine: CompiledContract, events: list[dict[str, Any]], as_of: datetime
) -> SlaVerdict:
    record = lead(campaign="outbound")
    return clock(engine, "never-idle", record, [ev("accepted", ACCEPTED), *events], as_of)


def test_regular_touches_keep_the_idle_clock_pending(engine: CompiledContract) -> None:
    # Accepted Monday 10:00; touched Tuesday 15:00 (due Wednesday 10:00) and Thursday 14:00
    # (due Thursday 15:00); next due: Thursday 14:00 + 2d = Monday 23rd 14:00.
    events = [touch(TUE.replace(hour=15)), touch(ny(2026, 11, 19, 14))]
    found = idle_clock(engine, events, ny(2026, 11, 20, 12))
    assert found.kind == "idle"
    assert found.status == "pending"
    assert utc(found.start) == utc(ACCEPTED)
    assert utc(found.due) == utc(ny(2026, 11, 23, 14))
    assert found.remaining_minutes == 600  # Friday 12-17, Monday 9-14
    assert found.evidence == ""


def test_a_gap_longer_than_the_target_is_a_breach(engine: CompiledContract) -> None:
    events = [touch(TUE.replace(hour=11)), touch(ny(2026, 11, 20, 10))]
    found = idle_clock(engine, events, ny(2026, 11, 20, 12))
    assert found.status == "breached"
    assert utc(found.breached_at) == utc(ny(2026, 11, 19, 11))
    assert found.evidence == "untouched from 2026-11-17 16:00 UTC until 2026-11-20 15:00 UTC"
    assert found.party == "sales"


def test_an_open_gap_breaches_once_due(engine: CompiledContract) -> None:
    events = [touch(TUE.replace(hour=11))]
    found = idle_clock(engine, events, ny(2026, 11, 19, 12))
    assert found.status == "breached"
    assert utc(found.breached_at) == utc(ny(2026, 11, 19, 11))
    assert found.evidence == "last touched 2026-11-17 16:00 UTC"
    assert idle_clock(engine, events, ny(2026, 11, 19, 10, 59)).status == "pending"


def test_never_touched_after_acceptance(engine: CompiledContract) -> None:
    found = idle_clock(engine, [], ny(2026, 11, 18, 12))
    assert found.status == "breached"
    assert utc(found.breached_at) == utc(ny(2026, 11, 18, 10))
    assert found.evidence == "never touched"
    assert idle_clock(engine, [], ny(2026, 11, 18, 9, 30)).status == "pending"


def test_idle_clock_cancelled_by_the_disqualified_stage(engine: CompiledContract) -> None:
    disqualified = ny(2026, 11, 18, 9, 30)
    events = [touch(TUE.replace(hour=11)), ev("disqualified", disqualified, reason="spam")]
    found = idle_clock(engine, events, ny(2026, 11, 20, 12))
    assert found.status == "cancelled"
    assert timeline(found)[-1] == at("cancel", disqualified)


def test_a_pause_pushes_only_the_idle_gap_it_falls_in(engine: CompiledContract) -> None:
    # Monday 12-13 pushes the first gap only; Wednesday (a whole business day away) pushes
    # the gap after Tuesday's touch from Thursday 11:00 to Friday 11:00.
    events = [
        ev("out_of_office", MON.replace(hour=12)),
        ev("back_in_office", MON.replace(hour=13)),
        touch(TUE.replace(hour=11)),
        ev("out_of_office", ny(2026, 11, 18, 9)),
        ev("back_in_office", ny(2026, 11, 19, 9)),
    ]
    found = idle_clock(engine, events, ny(2026, 11, 20, 10))
    assert found.status == "pending"
    assert utc(found.due) == utc(ny(2026, 11, 20, 11))
    assert found.remaining_minutes == 60
    late = idle_clock(engine, events, ny(2026, 11, 20, 12))
    assert late.status == "breached"
    assert utc(late.breached_at) == utc(ny(2026, 11, 20, 11))
    assert [kind for kind, _ in timeline(late)] == [
        "activate",
        "pause",
        "resume",
        "pause",
        "resume",
        "breach",
    ]


def test_idle_clock_not_started_before_acceptance(engine: CompiledContract) -> None:
    record = lead(campaign="outbound")
    found = clock(engine, "never-idle", record, [touch(TUE.replace(hour=11))], ny(2026, 11, 20))
    assert found.status == "not_applicable"
    assert found.evidence == "not started"


# --- 7. property: a response clock agrees with the business calendar ------------------------------

CALENDAR = BusinessCalendar(
    "America/New_York",
    {day: [(time(9), time(17))] for day in range(5)},
    holiday_regions=[("US", None)],
)
"""The fixture's calendar, built independently of the contract."""
FIRST = datetime(2026, 10, 24, tzinfo=UTC)  # covers the autumn DST change, Veterans Day and
SPAN_MINUTES = 45 * 24 * 60  # Thanksgiving
PROPERTY_AS_OF = datetime(2027, 1, 31, tzinfo=UTC)
H0 = timedelta(0)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start_seconds=st.integers(0, SPAN_MINUTES * 60),
    offsets=st.lists(st.integers(-600 * 60, 12 * 24 * 3600), max_size=4),
)
def test_property_response_status_and_elapsed_agree_with_the_calendar(
    engine: CompiledContract, start_seconds: int, offsets: list[int]
) -> None:
    start = FIRST + timedelta(seconds=start_seconds)
    touches = [start + timedelta(seconds=offset) for offset in offsets]
    events = [ev("handoff", start)] + [touch(t) for t in touches]
    found = clock(engine, "first-touch", lead(), events, PROPERTY_AS_OF)
    due = CALENDAR.add(start, timedelta(hours=4))
    first = min((t for t in touches if t >= start), default=None)
    assert utc(found.start) == start
    assert utc(found.due) == utc(due)
    # In time while no business time has passed since due (docs/format.md, business time).
    assert (found.status == "met") == (first is not None and CALENDAR.elapsed(due, first) == H0)
    assert found.status in ("met", "breached")
    if first is not None:
        assert utc(found.stop) == first
        assert found.elapsed_minutes == CALENDAR.elapsed(start, first) // timedelta(minutes=1)
    else:
        assert utc(found.breached_at) == utc(due)
