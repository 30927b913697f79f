"""The live monitor means what batch evaluation means, at every instant it is asked."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_support import (
    AS_OF,
    DURABLE_RULES_TIMEOUT,
    Recorder,
    batch_states,
    batch_verdicts,
    compiled_contract,
    example_events,
    example_leads,
    example_with_notifications,
    hang_guard,  # noqa: F401  (autouse: a hang fails the run)
    within,
)

from leadcontract.calendar import DateRangeError
from leadcontract.engine import CompiledContract
from leadcontract.live import Monitor, NotifyError, SqliteStore, lead_state
from leadcontract.verdict import Verdict

START = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def compiled() -> CompiledContract:
    return compiled_contract()


def _replay(
    compiled: CompiledContract, step: timedelta, checkpoints: set[datetime]
) -> tuple[Monitor, Recorder, dict[datetime, dict[str, Any]]]:
    """Post the example events as they happened, advancing by ``step``; note the monitor's
    state at each checkpoint."""
    recorder = Recorder()
    monitor = Monitor(compiled, notifier=recorder)
    leads = example_leads()
    events = example_events()
    monitor.ingest_many(leads)
    seen: dict[datetime, dict[str, Any]] = {}
    now, i = START, 0
    while now < AS_OF:
        now = min(now + step, AS_OF)
        batch = []
        while i < len(events) and datetime.fromisoformat(events[i]["at"]) <= now:
            batch.append(events[i])
            i += 1
        for event in batch:  # one at a time, as a CRM webhook would send them
            monitor.post(event)
        monitor.advance(now)
        if now in checkpoints:
            seen[now] = {lead["Id"]: monitor.state(lead["Id"]) for lead in leads}
    return monitor, recorder, seen


def test_example_replayed_event_by_event_equals_batch_at_every_checkpoint(
    compiled: CompiledContract,
) -> None:
    checkpoints = {START + timedelta(days=d) for d in (5, 15, 25, 35)} | {AS_OF}
    monitor, recorder, seen = within(
        DURABLE_RULES_TIMEOUT, lambda: _replay(compiled, timedelta(hours=4), checkpoints)
    )
    leads, events = example_leads(), example_events()
    for at, states in seen.items():
        expected = batch_states(batch_verdicts(compiled, leads, events, at))
        created_later = {lead_id for lead_id in states if lead_id not in expected}
        assert all(states[lead_id] is None for lead_id in created_later)
        assert {k: v for k, v in states.items() if k in expected} == expected, at
    final = batch_verdicts(compiled, leads, events, AS_OF)
    assert len(final) == 240
    for lead_id, verdict in final.items():
        mine = monitor.verdict(lead_id)
        assert isinstance(mine, Verdict)
        assert mine.to_dict() == verdict.to_dict()
    kinds = Counter(payload["kind"] for _, payload in recorder.sent)
    assert kinds["breach"] > 100
    assert kinds["warning"] > 100
    assert kinds["escalation"] > 100
    assert kinds["handoff_due"] > 0
    assert kinds["feedback_due"] > 0
    ids = [ident for ident, _ in recorder.sent]
    assert len(ids) == len(set(ids))


def test_notifications_come_in_time_order_and_only_once_their_instant_passed(
    compiled: CompiledContract,
) -> None:
    recorder = Recorder()
    monitor = Monitor(compiled, notifier=recorder)
    lead = example_leads()[1]  # L000002: a demo request owned by dana
    submitted = datetime.fromisoformat(lead["form_submitted_at"].replace("+0000", "+00:00"))

    def run() -> list[tuple[datetime, list[str]]]:
        monitor.ingest(lead)
        fired = []
        for hours in (1, 2, 3, 30):
            now = submitted + timedelta(hours=hours)
            monitor.advance(now)
            fired.append((now, [p["kind"] for _, p in recorder.sent]))
        return fired

    fired = within(DURABLE_RULES_TIMEOUT, run)
    instants = [p["instant"] for _, p in recorder.sent]
    assert instants == sorted(instants)
    for now, _ in fired:
        assert all(datetime.fromisoformat(i.replace("Z", "+00:00")) <= now for i in instants[:0])
    first_touch = [p for _, p in recorder.sent if p["sla"] == "first-touch-demo"]
    assert [p["kind"] for p in first_touch] == ["warning", "warning", "breach", "escalation"]
    assert [p["percent"] for p in first_touch[:2]] == [50, 75]
    breach = first_touch[2]
    assert breach["rep"] == "dana"
    assert breach["party"] == "sales"
    assert breach["due_local"].endswith("-07:00")  # dana works in Los Angeles


def test_a_late_touch_turns_a_breach_into_met_and_is_told_as_a_correction(
    compiled: CompiledContract,
) -> None:
    recorder = Recorder()
    monitor = Monitor(compiled, notifier=recorder)
    lead = example_leads()[1]
    submitted = datetime.fromisoformat(lead["form_submitted_at"].replace("+0000", "+00:00"))
    late_now = submitted + timedelta(days=2)
    touch = {
        "lead_id": lead["Id"],
        "type": "touch",
        "channel": "phone",
        "at": (submitted + timedelta(minutes=30)).isoformat(),
    }

    def run() -> None:
        monitor.ingest(lead)
        monitor.advance(late_now)
        assert monitor.state(lead["Id"])["slas"]["first-touch-demo"] == "breached"
        monitor.post(touch)  # arrives two days late, happened 30 minutes in
        monitor.advance(late_now + timedelta(minutes=1))

    within(DURABLE_RULES_TIMEOUT, run)
    state = monitor.state(lead["Id"])
    assert state is not None
    assert state["slas"]["first-touch-demo"] == "met"
    batch = batch_verdicts(compiled, [lead], [touch], late_now + timedelta(minutes=1))
    assert state == lead_state(batch[lead["Id"]])
    corrections = [p for _, p in recorder.sent if p["kind"] == "correction"]
    corrected = sorted(p["corrects"].split("|")[0] for p in corrections)
    assert corrected == ["breach", "escalation", "warning", "warning"]
    assert {p["sla"] for p in corrections} == {"first-touch-demo"}


def test_the_same_event_twice_counts_once_and_bad_events_are_rejected_with_the_cli_text(
    compiled: CompiledContract,
) -> None:
    monitor = Monitor(compiled)
    event = {"lead_id": "L000002", "type": "touch", "at": "2026-10-01T14:00:00Z"}

    def run() -> list[Any]:
        return [
            monitor.post(event),
            monitor.post(dict(event)),
            monitor.post({"lead_id": "L000002", "type": "touch", "at": "yesterday"}),
            monitor.post({"type": "touch"}),
            monitor.ingest({"Id": "L9"}),
        ]

    first, again, bad_time, no_lead, bad_lead = within(DURABLE_RULES_TIMEOUT, run)
    assert first.outcome == "accepted"
    assert first.relevant is not None
    assert again.outcome == "duplicate"
    assert bad_time.outcome == "rejected"
    assert bad_time.error is not None
    assert bad_time.error.code == "bad-time"
    assert "yesterday" in str(bad_time.error)
    assert no_lead.error is not None
    assert no_lead.error.code == "missing-key"
    assert bad_lead.error is not None
    assert bad_lead.error.code == "missing-required"
    assert monitor.counters["events_in"] == 1
    assert monitor.counters["events_duplicate"] == 1
    assert monitor.counters["events_rejected"] == 2
    assert monitor.counters["leads_rejected"] == 1


def test_an_event_no_pattern_matches_is_kept_but_wakes_nobody(
    compiled: CompiledContract,
) -> None:
    monitor = Monitor(compiled)
    posted = within(
        DURABLE_RULES_TIMEOUT,
        lambda: monitor.post(
            {"lead_id": "L1", "type": "newsletter_opened", "at": "2026-10-01T14:00:00Z"}
        ),
    )
    assert posted.outcome == "accepted"
    assert posted.relevant is None
    assert monitor.store.counts()["events"] == 1
    assert monitor.store.due(datetime(2030, 1, 1, tzinfo=UTC)) == []


def test_time_does_not_go_back(compiled: CompiledContract) -> None:
    monitor = Monitor(compiled)
    within(DURABLE_RULES_TIMEOUT, lambda: monitor.advance(AS_OF))
    with pytest.raises(ValueError, match="does not go back"):
        monitor.advance(AS_OF - timedelta(seconds=1))


def test_time_does_not_go_beyond_the_supported_dates(compiled: CompiledContract) -> None:
    """A clock moved to 2300 was taken: every later judgment failed there (DateRangeError),
    and the clock, which never goes back, stayed there for good."""
    monitor = Monitor(compiled)
    within(DURABLE_RULES_TIMEOUT, lambda: monitor.advance(AS_OF))  # nothing due after it
    with pytest.raises(DateRangeError, match="outside the supported dates"):
        monitor.advance(datetime(2300, 1, 1, tzinfo=UTC))
    assert monitor.clock == AS_OF
    within(DURABLE_RULES_TIMEOUT, lambda: monitor.ingest(example_leads()[1]))
    within(DURABLE_RULES_TIMEOUT, lambda: monitor.advance(AS_OF))  # still judges
    assert monitor.state(example_leads()[1]["Id"]) is not None


def test_the_contract_says_who_hears_about_what(tmp_path: Path) -> None:
    compiled = compiled_contract(example_with_notifications(tmp_path))
    recorder = Recorder()
    monitor = Monitor(compiled, notifier=recorder, link_template="https://crm.example/{lead_id}")
    within(
        DURABLE_RULES_TIMEOUT,
        lambda: (
            monitor.ingest_many(example_leads()),
            monitor.post_many(example_events()),
            monitor.advance(AS_OF),
        ),
    )
    by_rule = Counter(payload["rule"] for _, payload in recorder.sent)
    assert set(by_rule) == {"rep-at-75", "manager-at-breach", "marketing-feedback"}
    for _, payload in recorder.sent:
        who = [r["id"] for r in payload["recipients"]]
        if payload["rule"] == "rep-at-75":
            assert payload["kind"] == "warning"
            assert payload["percent"] >= 75
            assert who == [payload["rep"]]
        elif payload["rule"] == "manager-at-breach":
            assert payload["kind"] == "breach"
            assert who == ["mia"]
        else:
            assert payload["kind"] == "feedback_due"
            assert [r["name"] for r in payload["recipients"]] == ["Priya Raman"]
        assert payload["link"] == f"https://crm.example/{payload['lead']}"


@pytest.mark.parametrize(
    ("template", "names"),
    [("https://crm.example/{id}", "names {id}"), ("https://crm.example/{", "Single '{'")],
)
def test_a_link_template_naming_anything_but_lead_id_is_refused_up_front(
    compiled: CompiledContract, template: str, names: str
) -> None:
    """It raised KeyError while routing, inside every judgment that had something to tell:
    each advance failed and rolled back, and nothing was ever told."""
    with pytest.raises(ValueError, match=r"the only placeholder is \{lead_id\}") as refused:
        Monitor(compiled, link_template=template)
    assert names in str(refused.value)
    fine = Monitor(compiled, link_template="https://crm.example/{lead_id}?a={{b}}")
    within(DURABLE_RULES_TIMEOUT, lambda: fine.ingest(example_leads()[1]))
    told = within(DURABLE_RULES_TIMEOUT, lambda: fine.advance(AS_OF)).notifications
    assert told
    assert {o.payload["link"] for o in told} == {"https://crm.example/L000002?a={b}"}


# --- the property: any stream, any now ----------------------------------------------------

_LEAD_IDS = ["L000002", "L000003", "L000004", "L000006"]
_EVENT = st.fixed_dictionaries(
    {
        "lead_id": st.sampled_from(_LEAD_IDS),
        "type": st.sampled_from(
            [
                "handoff",
                "touch",
                "accepted",
                "meeting",
                "disqualified",
                "feedback",
                "out_of_office",
                "back_in_office",
                "qualified",
                "pricing_page_visit",
                "newsletter_opened",
            ]
        ),
        "channel": st.sampled_from(["phone", "email", "linkedin", None]),
        "reason": st.sampled_from(["no-budget", "bad-data", "spam", None]),
        "minute": st.integers(min_value=0, max_value=60 * 24 * 21),
    }
)


def _event(raw: dict[str, Any], n: int) -> dict[str, Any]:
    at = START + timedelta(minutes=raw["minute"])
    event = {"event_id": f"e{n}", "lead_id": raw["lead_id"], "type": raw["type"]}
    event["at"] = at.isoformat()
    if raw["channel"]:
        event["channel"] = raw["channel"]
    if raw["type"] == "disqualified" and raw["reason"]:
        event["reason"] = raw["reason"]
    return event


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    raw_events=st.lists(_EVENT, min_size=1, max_size=25),
    arrival=st.randoms(use_true_random=False),
    steps=st.lists(st.integers(min_value=1, max_value=60 * 24 * 4), min_size=1, max_size=8),
    leads_at=st.integers(min_value=0, max_value=7),
)
def test_for_any_stream_and_any_now_the_monitor_state_is_the_batch_verdict(
    compiled: CompiledContract,
    raw_events: list[dict[str, Any]],
    arrival: Any,
    steps: list[int],
    leads_at: int,
) -> None:
    leads = [lead for lead in example_leads() if lead["Id"] in _LEAD_IDS]
    events = [_event(raw, n) for n, raw in enumerate(raw_events)]
    order = list(events)
    arrival.shuffle(order)  # out of order, and late relative to the clock
    monitor = Monitor(compiled)

    def run() -> None:
        now = START
        posted: list[dict[str, Any]] = []
        per_step = max(1, len(order) // len(steps))
        for k, minutes in enumerate(steps):
            now += timedelta(minutes=minutes)
            chunk = (
                order[k * per_step : (k + 1) * per_step]
                if k < len(steps) - 1
                else order[k * per_step :]
            )
            for event in chunk:
                monitor.post(event)
                posted.append(event)
            if k == min(leads_at, len(steps) - 1):  # the records may come after their events
                monitor.ingest_many(leads)
            monitor.advance(now)
            if k < min(leads_at, len(steps) - 1):
                continue
            expected = batch_verdicts(compiled, leads, posted, now)
            for lead in leads:
                lead_id = lead["Id"]
                verdict = expected.get(lead_id)
                mine = monitor.verdict(lead_id)
                if verdict is None:
                    assert not isinstance(mine, Verdict)
                    continue
                assert monitor.state(lead_id) == lead_state(verdict), (lead_id, now)
                assert isinstance(mine, Verdict)
                assert mine.to_dict() == verdict.to_dict()

    within(DURABLE_RULES_TIMEOUT, run)


def test_state_survives_reopening_the_store(compiled: CompiledContract, tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = Monitor(compiled, store=SqliteStore(path))
    within(
        DURABLE_RULES_TIMEOUT,
        lambda: (
            first.ingest_many(example_leads()[:20]),
            first.post_many(example_events()),
            first.advance(AS_OF),
        ),
    )
    queued = first.store.counts()
    states = {lead: first.state(lead) for lead in first.store.lead_ids()}
    first.close()
    again = Monitor(compiled, store=SqliteStore(path))
    assert again.clock == AS_OF
    assert again.store.counts() == queued
    assert {lead: again.state(lead) for lead in again.store.lead_ids()} == states
    assert queued["outbox_pending"] > 0  # no notifier: everything waits in the outbox


def test_a_failing_notifier_leaves_notifications_in_the_outbox_until_it_recovers(
    compiled: CompiledContract,
) -> None:
    class Flaky:
        def __init__(self) -> None:
            self.up = False
            self.sent: list[str] = []

        def send(self, notification_id: str, payload: Any) -> None:
            if not self.up:
                raise NotifyError("receiver down")
            self.sent.append(notification_id)

    flaky = Flaky()
    monitor = Monitor(compiled, notifier=flaky, max_attempts=3)
    lead = example_leads()[1]
    within(DURABLE_RULES_TIMEOUT, lambda: (monitor.ingest(lead), monitor.advance(AS_OF)))
    waiting = monitor.store.counts()["outbox_pending"]
    assert waiting > 0
    assert flaky.sent == []
    assert monitor.counters["notifications_failed"] == 1  # the rest wait behind the first
    flaky.up = True
    assert monitor.deliver(AS_OF) == waiting
    assert len(set(flaky.sent)) == waiting
    assert monitor.store.counts()["outbox_pending"] == 0
    assert monitor.deliver(AS_OF) == 0  # nothing twice


def test_a_failed_delivery_holds_back_the_later_notifications_of_its_lead_only(
    compiled: CompiledContract,
) -> None:
    """A failed notification stayed in the outbox while the later ones went: the rep heard of
    the breach and the escalation first and of the 50 % warning after them. The lead's later
    notifications now wait behind it; another lead's are not held up."""

    class FailsOnce:
        def __init__(self) -> None:
            self.calls = 0
            self.sent: list[tuple[str, str, int | None]] = []

        def send(self, notification_id: str, payload: Any) -> None:
            self.calls += 1
            if self.calls == 1:
                raise NotifyError("receiver hiccup")
            self.sent.append((payload["lead"], payload["kind"], payload["percent"]))

    notifier = FailsOnce()
    monitor = Monitor(compiled, notifier=notifier)
    lead = example_leads()[1]
    other = {**lead, "Id": "L-OTHER"}
    now = datetime(2026, 10, 1, 21, tzinfo=UTC)  # past the demo request's warnings and breach
    monitor.ingest_many([lead, other])
    within(DURABLE_RULES_TIMEOUT, lambda: monitor.advance(now))
    told = [("warning", 50), ("warning", 75), ("breach", None), ("escalation", None)]

    def of(who: str) -> list[tuple[str, int | None]]:
        return [(kind, percent) for lead_id, kind, percent in notifier.sent if lead_id == who]

    # L-OTHER's 50 % warning leaves first and fails: its lead's others wait behind it.
    assert (of("L-OTHER"), of(lead["Id"])) == ([], told)
    within(DURABLE_RULES_TIMEOUT, lambda: monitor.advance(now + timedelta(minutes=1)))
    assert (of("L-OTHER"), of(lead["Id"])) == (told, told)
    assert monitor.store.counts()["outbox_pending"] == 0


def test_a_notifier_that_raises_something_else_fails_that_delivery_only(
    compiled: CompiledContract,
) -> None:
    """An error other than NotifyError from a notifier (SMTP refusing a header it built)
    left Monitor.deliver: the advance failed, and failed again at the same notification every
    round, so nothing queued behind it (any lead's) was ever sent."""

    class Buggy:
        def __init__(self) -> None:
            self.calls = 0
            self.sent: list[str] = []

        def send(self, notification_id: str, payload: Any) -> None:
            self.calls += 1
            if self.calls == 1:
                raise ValueError("Header values may not contain linefeed")
            self.sent.append(notification_id)

    notifier = Buggy()
    monitor = Monitor(compiled, notifier=notifier)
    monitor.ingest_many([example_leads()[1], {**example_leads()[1], "Id": "L-OTHER"}])
    now = datetime(2026, 10, 1, 21, tzinfo=UTC)
    within(DURABLE_RULES_TIMEOUT, lambda: monitor.advance(now))  # raised ValueError
    assert monitor.counters["notifications_failed"] == 1
    assert len(notifier.sent) == 4  # the other lead's four went
    within(DURABLE_RULES_TIMEOUT, lambda: monitor.advance(now + timedelta(minutes=1)))
    assert len(notifier.sent) == 8
    assert monitor.store.counts()["outbox_pending"] == 0


MAPPED = """\
apiVersion: leadcontract/v1
mappings:
  events:
    - id: handoffs
      when: {Kind: Handoff}
      set: {type: handoff}
      columns: {lead_id: WhoId, at: CreatedDate}
    - id: calls
      when: {Kind: Call}
      set: {type: touch, channel: phone}
      columns: {lead_id: WhoId, at: CreatedDate, actor: OwnerId}
"""


def test_the_contracts_event_mappings_apply_live_as_in_batch(tmp_path: Path) -> None:
    """An activity export's rows become events through the contract's mappings, live as in
    batch; a row no mapping matches is 'unmapped', not an error and not an event."""
    import shutil  # noqa: PLC0415

    from live_support import EXAMPLE  # noqa: PLC0415

    folder = tmp_path / "contract"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("data"))
    (folder / "mappings.yaml").write_text(MAPPED, encoding="utf-8")
    compiled = compiled_contract(folder)
    lead = example_leads()[2]  # L000003, a webinar lead
    created = datetime.fromisoformat(lead["CreatedDate"].replace("+0000", "+00:00"))
    rows = [
        {"WhoId": lead["Id"], "Kind": "Handoff", "CreatedDate": (created + timedelta(hours=2))
         .isoformat()},
        {"WhoId": lead["Id"], "Kind": "Call", "OwnerId": "ava",
         "CreatedDate": (created + timedelta(hours=3)).isoformat()},
        {"WhoId": lead["Id"], "Kind": "Note", "CreatedDate": created.isoformat()},
    ]  # fmt: skip
    monitor = Monitor(compiled)
    monitor.ingest(lead)
    posted = within(DURABLE_RULES_TIMEOUT, lambda: monitor.post_many(rows))
    assert [p.outcome for p in posted] == ["accepted", "accepted", "unmapped"]
    assert monitor.counters["events_unmapped"] == 1
    now = created + timedelta(days=3)
    within(DURABLE_RULES_TIMEOUT, lambda: monitor.advance(now))
    live = monitor.verdict(lead["Id"])
    batch = batch_verdicts(compiled, [lead], rows, now)[lead["Id"]]
    assert isinstance(live, Verdict)
    assert live.to_dict() == batch.to_dict()
    assert live.touches == 1
    assert live.handoff is not None
    assert live.handoff.done


def test_fields_that_events_supply_fill_the_record_live_as_in_batch(tmp_path: Path) -> None:
    """A CampaignMember row supplies the campaign a lead record leaves empty (the salesforce
    preset's mapping): the demo-request clock then applies, live as in batch."""
    import shutil  # noqa: PLC0415

    from live_support import EXAMPLE  # noqa: PLC0415

    folder = tmp_path / "contract"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("data"))
    (folder / "mappings.yaml").write_text(
        "apiVersion: leadcontract/v1\nmappings:\n  extends: [salesforce]\n", encoding="utf-8"
    )
    schema = folder / "lead.yaml"
    required = "campaign: {type: string, required: true, source: CampaignId}"
    assert required in schema.read_text(encoding="utf-8")
    schema.write_text(
        schema.read_text(encoding="utf-8").replace(
            required, "campaign: {type: string, source: CampaignId}"
        ),
        encoding="utf-8",
    )  # a Lead export may leave the campaign to CampaignMember rows
    compiled = compiled_contract(folder)
    lead = {**example_leads()[1], "CampaignId": ""}  # L000002, a demo request, campaign unknown
    created = datetime.fromisoformat(lead["CreatedDate"].replace("+0000", "+00:00"))
    member = {
        "CampaignId": "demo-request",
        "LeadId": lead["Id"],
        "CreatedDate": lead["CreatedDate"],
    }
    now = created + timedelta(days=2)
    monitor = Monitor(compiled)

    def run() -> None:
        monitor.ingest(lead)
        assert monitor.post(member).outcome == "accepted"
        monitor.advance(now)

    within(DURABLE_RULES_TIMEOUT, run)
    batch = batch_verdicts(compiled, [lead], [member], now)[lead["Id"]]
    assert batch.campaign == "demo-request"
    state = monitor.state(lead["Id"])
    assert state == lead_state(batch)
    assert state is not None
    assert state["slas"]["first-touch-demo"] == "breached"
