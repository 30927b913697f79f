"""SLA clocks on integer instants: the same numbers and texts the datetime arithmetic gave.

The clocks compute on microseconds since the UTC epoch; their verdicts must keep every byte
they had when they computed on datetimes and timedeltas. So each integer step is checked here
against the datetime expression it replaces (the shares of the target that warnings are at,
whole minutes, the minute texts of the evidence), and the per-lead sharing of trigger answers
is checked to share only what is the same for every clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engine_support import compiled
from hypothesis import given
from hypothesis import strategies as st

from leadcontract import sla
from leadcontract.calendar import SUPPORTED_END, SUPPORTED_START
from leadcontract.inputs import Event
from leadcontract.rules.scoring import EventIndex

EXAMPLE = Path(__file__).parents[1] / "contracts" / "example"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
WINDOW = st.integers((SUPPORTED_START - EPOCH) // ONE_US, (SUPPORTED_END - EPOCH) // ONE_US)


@given(st.integers(0, 10**16), st.integers(1, 99))
def test_a_share_of_the_target_rounds_as_timedelta_division_does(amount: int, percent: int) -> None:
    expected = timedelta(microseconds=amount) * percent / 100
    assert sla._share(amount, percent) == expected // ONE_US


@given(st.integers(0, 10**6), st.sampled_from([1, 25, 50, 75, 99]))
def test_shares_ending_in_half_a_microsecond_round_to_even(units: int, percent: int) -> None:
    amount = units * 2 + 1  # odd amounts make half microseconds for even percentages
    expected = timedelta(microseconds=amount) * percent / 100
    assert sla._share(amount, percent) == expected // ONE_US


@given(st.integers(-(10**16), 10**16) | st.integers(0, 10**6).map(lambda m: m * 60_000_000 - 1))
def test_whole_minutes_are_what_total_seconds_gave(value: int) -> None:
    expected = int(timedelta(microseconds=value).total_seconds() // 60)
    assert sla._minutes(value) == expected


@given(WINDOW)
def test_minute_texts_are_what_strftime_wrote(at: int) -> None:
    instant = EPOCH + timedelta(microseconds=at)
    assert sla._iso(at) == instant.strftime("%Y-%m-%d %H:%M UTC")
    assert sla._instant(at) == instant
    assert sla._instant(at).tzinfo is UTC
    assert sla._micros(instant.astimezone(sla.ZoneInfo("Asia/Kolkata"))) == at


def context(events: list[Event], record: dict[str, Any] | None = None) -> sla.LeadContext:
    return sla.LeadContext(
        record=record or {},
        facts={},
        events=EventIndex(events),
        reached={},
        campaign="webinar-q4",
        handoff=None,
        zone=None,
        owner_zone=None,
    )


def test_clocks_with_the_same_trigger_share_one_answer_per_lead() -> None:
    engine = compiled(EXAMPLE)
    by_id = {clock.id: clock for clock in engine.slas}
    handoff = datetime(2026, 11, 16, 15, tzinfo=UTC)
    touch = datetime(2026, 11, 17, 15, tzinfo=UTC)
    lead = context(
        [
            Event("L1", "handoff", handoff, 1),
            Event("L1", "touch", touch, 2, channel="phone"),
        ]
    )
    # first-touch, six-attempts and accept-or-reject all start at the handoff.
    starts = [by_id[name].occurrences("start", lead) for name in ("first-touch", "six-attempts")]
    assert starts[0] == starts[1] == [(handoff - EPOCH) // ONE_US]
    assert starts[0] is starts[1]  # computed once, for both
    assert by_id["accept-or-reject"].occurrences("start", lead) is starts[0]
    # first-touch stops at any touch, first-touch-demo only at phone and email ones: both
    # see this phone touch, but through answers of their own.
    any_touch = by_id["first-touch"].occurrences("stop", lead)
    phone_or_email = by_id["first-touch-demo"].occurrences("stop", lead)
    assert any_touch == phone_or_email == [(touch - EPOCH) // ONE_US]
    assert any_touch is not phone_or_email


def test_a_channel_filter_keeps_its_own_answer() -> None:
    engine = compiled(EXAMPLE)
    by_id = {clock.id: clock for clock in engine.slas}
    sms = datetime(2026, 11, 17, 15, tzinfo=UTC)
    lead = context([Event("L1", "touch", sms, 1, channel="sms")])
    assert by_id["first-touch"].occurrences("stop", lead) == [(sms - EPOCH) // ONE_US]
    assert by_id["first-touch-demo"].occurrences("stop", lead) == []
    assert by_id["first-touch"].occurrences("pause", lead) == []
    assert by_id["accept-or-reject"].occurrences("pause", lead) == []  # it has no pause


def test_a_fresh_lead_context_starts_with_nothing_shared() -> None:
    first = context([])
    second = replace(first, instants={})
    first.instants["x"] = [1]
    assert second.instants == {}
    assert context([]).instants == {}
    assert first == second  # what the clocks cache is no part of the lead
