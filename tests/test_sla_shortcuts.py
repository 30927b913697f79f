"""The SLA clocks' shortcuts, each against the long way it replaces.

A shortcut skips work whose answer is known without it; the verdicts must not change by a
byte. So each one is checked here against what the clock computed before it:

- a warning threshold that not even uninterrupted running time could reach by the clock's
  horizon is not computed: :meth:`CompiledSla._warnings` against computing every threshold
  and keeping those reached, on random business-time clocks with random pauses;
- a business clock asks whether it is late in one call: :meth:`_BusinessTime.late` against
  the rule of :class:`_TimeLine` (running time has passed between the due time and then);
- the lead's creation, and the event types with an event before it, are found once for
  all its clocks: two clocks of one lead each still report their own early outcome, and
  none is reported without a creation time or when every event follows it.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engine_support import compiled
from hypothesis import given
from hypothesis import strategies as st
from test_sla_instants import context

from leadcontract import sla
from leadcontract.durations import Duration
from leadcontract.inputs import Event

EXAMPLE = Path(__file__).parents[1] / "contracts" / "example"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
MINUTE_US = 60_000_000
T0 = (datetime(2026, 11, 2, tzinfo=UTC) - EPOCH) // ONE_US  # a Monday, 00:00 UTC
FOUR_WEEKS_IN_MINUTES = 28 * 24 * 60

ENGINE = compiled(EXAMPLE)
BY_ID = {clock.id: clock for clock in ENGINE.slas}
DEMO = BY_ID["first-touch-demo"]  # business time on us-east, warnings at 50 and 75 %
assert DEMO.calendar is not None
LINE = sla._BusinessTime(DEMO.calendar)

targets = st.one_of(
    st.builds(Duration, hours=st.integers(0, 40), minutes=st.integers(0, 59)),
    st.builds(Duration, days=st.integers(1, 10)),
)
pauses = st.lists(
    st.tuples(st.integers(0, 3 * 24 * 60), st.one_of(st.none(), st.integers(1, 2 * 24 * 60))),
    max_size=3,
)


def paused_spans(origin: int, drawn: list[tuple[int, int | None]]) -> list[sla._PauseSpan]:
    """Pause spans in time order, each after the last one's end; an open one ends the list."""
    spans: list[sla._PauseSpan] = []
    cursor = origin
    for gap, length in drawn:
        begin = cursor + gap * MINUTE_US
        if length is None:
            spans.append((begin, None))
            break
        spans.append((begin, begin + length * MINUTE_US))
        cursor = begin + length * MINUTE_US
    return spans


@given(
    st.integers(0, FOUR_WEEKS_IN_MINUTES),
    targets,
    pauses,
    st.lists(st.integers(1, 99), min_size=1, max_size=3),
    st.tuples(st.integers(0, 2), st.integers(-90 * MINUTE_US, 90 * MINUTE_US) | st.integers(-3, 3)),
)
def test_only_unreachable_warning_thresholds_are_skipped(
    start_minute: int,
    target: Duration,
    drawn: list[tuple[int, int | None]],
    percents: list[int],
    around: tuple[int, int],
) -> None:
    origin = T0 + start_minute * MINUTE_US
    unpaused = LINE.add(origin, target)
    # Open pauses last until the clock's end, four weeks on; the horizon (the stop, or
    # where the clock ended) lies near one of the thresholds, where skipping is delicate.
    pausing = sla._Pauses(LINE, paused_spans(origin, drawn), origin + 28 * 24 * 60 * MINUTE_US)
    allowed = LINE.span(origin, unpaused)
    every = [(p, pausing.deadline(origin, sla._share(allowed, p))[0]) for p in percents]
    near, offset = around  # which threshold, and how far from it
    horizon = max(origin, every[near % len(every)][1] + offset)
    clock = sla._Clock(origin, horizon, horizon, None, pausing, LINE, "started")
    outcome = sla._Outcome(due=unpaused, origin=origin, unpaused_due=unpaused, paused=[])
    warned = copy.copy(DEMO)
    warned.sla = DEMO.sla.model_copy(update={"warn_at": percents})
    reached = [(p, at) for p, at in every if at <= horizon]
    assert warned._warnings(clock, outcome, horizon) == reached


@given(st.integers(0, FOUR_WEEKS_IN_MINUTES), st.integers(-3 * 24 * 60, 3 * 24 * 60))
def test_a_business_clock_is_late_exactly_when_running_time_passed(due_min: int, gap: int) -> None:
    due = T0 + due_min * MINUTE_US
    at = due + gap * MINUTE_US + (gap % 7) - 3  # microseconds around the minutes, too
    assert LINE.late(due, at) == (at > due and LINE.span(due, at) > 0)


def ny_event(kind: str, when: datetime, seq: int, **more: Any) -> Event:
    return Event("L1", kind, when, seq, **more)


def test_two_clocks_of_one_lead_each_report_their_own_early_outcome() -> None:
    created = datetime(2026, 11, 16, 10, tzinfo=UTC)
    handoff = datetime(2026, 11, 16, 15, tzinfo=UTC)
    events = [
        ny_event("accepted", datetime(2026, 11, 13, 15, tzinfo=UTC), 1),
        ny_event("touch", datetime(2026, 11, 13, 16, tzinfo=UTC), 2, channel="phone"),
        ny_event("handoff", handoff, 3),
    ]
    as_of = datetime(2026, 11, 18, 12, tzinfo=UTC)
    lead = context(events, {"created_at": created})
    accept = BY_ID["accept-or-reject"].judge(lead, as_of)
    first_touch = BY_ID["first-touch"].judge(lead, as_of)
    before = "is dated before the lead's creation (2026-11-16 10:00 UTC), so before the clock's "
    assert accept.anomalies == (
        f"sla accept-or-reject: `accepted` event at 2026-11-13 15:00 UTC {before}"
        "start (2026-11-16 15:00 UTC): not counted as its stop",
    )
    assert first_touch.anomalies == (
        f"sla first-touch: `touch` event at 2026-11-13 16:00 UTC {before}"
        "start (2026-11-16 15:00 UTC): not counted as its stop",
    )
    # The same events without a creation time: nothing predates the lead.
    unknown = context(events, {})
    assert BY_ID["accept-or-reject"].judge(unknown, as_of).anomalies == ()
    assert BY_ID["first-touch"].judge(unknown, as_of).anomalies == ()
    # Created before every event: nothing to report either.
    early = context(events, {"created_at": datetime(2026, 11, 1, tzinfo=UTC)})
    assert BY_ID["accept-or-reject"].judge(early, as_of).anomalies == ()
