"""The synthetic example data: deterministic, well ordered, and telling the story it promises."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from leadcontract import synthetic
from leadcontract.calendar import BusinessCalendar
from leadcontract.durations import Duration
from leadcontract.synthetic import (
    COLUMNS,
    EVENT_KEYS,
    EXAMPLE_AS_OF,
    GeneratedLead,
    generate,
    main,
    write_dataset,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "contracts" / "example"
DATA = EXAMPLE / "data"

BUILT_IN_EVENTS = frozenset(
    {
        "created", "handoff", "accepted", "touch", "meeting", "qualified", "disqualified",
        "recycled", "feedback", "opportunity", "won", "lost", "refunded",
    }
)  # fmt: skip
MQL_CAMPAIGNS = ("webinar-q4", "content-syndication")


@cache
def contract() -> dict[str, Any]:
    """The example contract's files merged (a plain YAML read; no leadcontract loader)."""
    merged: dict[str, Any] = {}
    for path in sorted(EXAMPLE.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key, value in document.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key].update(value)
            else:
                merged[key] = value
    return merged


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hours(spec: dict[str, list[str]]) -> dict[int, list[tuple[time, time]]]:
    hours: dict[int, list[tuple[time, time]]] = {}
    for day, intervals in spec.items():
        hours[_DAYS.index(day)] = [
            (time.fromisoformat(a), time.fromisoformat(b))
            for a, b in (interval.split("-") for interval in intervals)
        ]
    return hours


@cache
def us_east() -> BusinessCalendar:
    spec = contract()["calendars"]["us-east"]
    return BusinessCalendar(
        spec["timezone"],
        _hours(spec["hours"]),
        holidays=spec["holidays"]["dates"],
        holiday_regions=[(r["country"], r.get("subdivision")) for r in spec["holidays"]["regions"]],
    )


def parse_sf(text: str) -> datetime:
    return datetime.fromisoformat(text)


def parse_at(text: str) -> datetime:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text), text
    return datetime.fromisoformat(text)


# --- the story, measured -------------------------------------------------------------------------


@dataclass
class Story:
    leads: int = 0
    events: int = 0
    per_campaign: Counter[str] = field(default_factory=Counter)
    created_min: datetime | None = None
    created_max: datetime | None = None
    handed_off: Counter[str] = field(default_factory=Counter)
    mql_pool: int = 0  # webinar and content leads
    mql_pool_handed_off: int = 0
    mql_pool_incomplete: int = 0  # of those handed off: a required handoff field is blank
    follow_up: Counter[str] = field(default_factory=Counter)  # never / late / on_time
    demo_on_time: int = 0
    late_business_days: list[float] = field(default_factory=list)
    touched: int = 0
    touch_counts: Counter[int] = field(default_factory=Counter)
    diligent: int = 0  # 6+ touches on phone and email within 10 business days
    outcome: Counter[str] = field(default_factory=Counter)  # of touched leads
    disqualified: int = 0
    dq_valid: int = 0
    dq_missing: int = 0
    dq_unknown: int = 0
    dq_note_required: int = 0
    dq_note_missing: int = 0
    feedback: Counter[str] = field(default_factory=Counter)  # within / late / never
    types: Counter[str] = field(default_factory=Counter)
    refunded_partner: int = 0
    opportunity_amounts: list[float] = field(default_factory=list)
    webinar_weeks: Counter[tuple[int, int]] = field(default_factory=Counter)
    stray_events: int = 0
    after_as_of: int = 0


def required_fields(campaign: str) -> list[str]:
    return list(contract()["campaigns"][campaign]["handoff"]["required_fields"])


def source_of(name: str) -> str:
    spec = contract()["lead"]["fields"][name]
    return str(spec.get("source", name))


def _blank(row: dict[str, str], name: str) -> bool:
    value = row[source_of(name)]
    value_map = contract()["lead"]["fields"][name].get("value_map", {})
    return value == "" or (value in value_map and value_map[value] is None)


def measure(leads: Iterable[GeneratedLead]) -> Story:
    story = Story()
    reps = contract()["reps"]
    reasons = contract()["lead"]["disqualification"]["reasons"]
    feedback_reasons = set(contract()["slas"]["disqualification-feedback"]["start"]["reasons"])
    ny = us_east()
    for lead in leads:
        row = lead.row
        story.leads += 1
        story.events += len(lead.events) + len(lead.stray_events)
        story.stray_events += len(lead.stray_events)
        campaign = row["CampaignId"]
        story.per_campaign[campaign] += 1
        created = parse_sf(row["CreatedDate"])
        story.created_min = min(story.created_min or created, created)
        story.created_max = max(story.created_max or created, created)
        if campaign == "webinar-q4":
            iso = created.isocalendar()
            story.webinar_weeks[(iso.year, iso.week)] += 1
        events = [(parse_at(e["at"]), e) for e in lead.events]
        for at, event in events:
            story.types[event["type"]] += 1
            story.after_as_of += at > EXAMPLE_AS_OF
        story.after_as_of += sum(parse_at(e["at"]) > EXAMPLE_AS_OF for e in lead.stray_events)
        by_type: dict[str, list[tuple[datetime, dict[str, Any]]]] = {}
        for at, event in events:
            by_type.setdefault(event["type"], []).append((at, event))
        if campaign in MQL_CAMPAIGNS:
            story.mql_pool += 1
        if "handoff" not in by_type:
            continue
        handoff = by_type["handoff"][0][0]
        story.handed_off[campaign] += 1
        if campaign in MQL_CAMPAIGNS:
            story.mql_pool_handed_off += 1
            story.mql_pool_incomplete += any(_blank(row, f) for f in required_fields(campaign))

        touches = by_type.get("touch", [])
        if campaign == "demo-request":
            start = parse_sf(row["form_submitted_at"])
            clock = ny.in_zone(reps[row["OwnerId"]]["timezone"])
            deadline = clock.add(start, Duration(hours=4))
            counted = [at for at, e in touches if e["channel"] in ("phone", "email")]
        else:
            start = handoff
            clock = ny.in_zone(row["timezone"] or ny.zone)
            deadline = clock.add(start, Duration(days=1))
            counted = [at for at, _ in touches]
        if not counted:
            story.follow_up["never"] += 1
        elif counted[0] <= deadline:
            story.follow_up["on_time"] += 1
            story.demo_on_time += campaign == "demo-request"
        else:
            story.follow_up["late"] += 1
            day = clock.elapsed(start, clock.add(start, Duration(days=1)))
            story.late_business_days.append(clock.elapsed(start, counted[0]) / day)
        if not touches:
            continue
        story.touched += 1
        story.touch_counts[len(touches)] += 1
        channels = {e["channel"] for _, e in touches}
        window = clock.add(handoff, Duration(days=10))
        if sum(at <= window for at, _ in touches) >= 6 and {"phone", "email"} <= channels:
            story.diligent += 1
        if "accepted" in by_type:
            story.outcome["accepted"] += 1
        elif "disqualified" in by_type:
            story.outcome["disqualified"] += 1
        else:
            story.outcome["pending"] += 1
        for dq_at, dq in by_type.get("disqualified", []):
            story.disqualified += 1
            reason = dq.get("reason")
            if reason is None:
                story.dq_missing += 1
            elif reason not in reasons:
                story.dq_unknown += 1
            else:
                story.dq_valid += 1
                if reasons[reason].get("note_required"):
                    story.dq_note_required += 1
                    story.dq_note_missing += "note" not in dq
            if reason in feedback_reasons:
                given = [at for at, _ in by_type.get("feedback", []) if at >= dq_at]
                if not given:
                    story.feedback["never"] += 1
                elif given[0] <= ny.add(dq_at, Duration(days=1)):
                    story.feedback["within"] += 1
                else:
                    story.feedback["late"] += 1
        if campaign == "partner-emea":
            story.refunded_partner += len(by_type.get("refunded", []))
        story.opportunity_amounts += [float(e["amount"]) for _, e in by_type.get("opportunity", [])]
    return story


@pytest.fixture(scope="module")
def thousand() -> list[GeneratedLead]:
    return list(generate(1000))


@pytest.fixture(scope="module")
def story(thousand: list[GeneratedLead]) -> Story:
    return measure(thousand)


# --- determinism and order -----------------------------------------------------------------------


def _files(folder: Path) -> tuple[bytes, bytes]:
    return (folder / "leads.csv").read_bytes(), (folder / "events.jsonl").read_bytes()


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    write_dataset(tmp_path / "a", 150)
    write_dataset(tmp_path / "b", 150)
    write_dataset(tmp_path / "c", 150, seed=7)
    first = _files(tmp_path / "a")
    assert first == _files(tmp_path / "b")
    other = _files(tmp_path / "c")
    assert other[0] != first[0]
    assert other[1] != first[1]


def test_generate_streams_lazily() -> None:
    stream = generate(1_000_000)
    head = [next(stream) for _ in range(3)]
    assert [lead.row["Id"] for lead in head] == ["L0000001", "L0000002", "L0000003"]


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="n_leads"):
        generate(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        generate(10, as_of=datetime(2026, 11, 16, 17))
    assert list(generate(0)) == []


def test_ids_and_event_order(thousand: list[GeneratedLead]) -> None:
    ids = [lead.row["Id"] for lead in thousand]
    assert ids[:2] == ["L000001", "L000002"]
    assert ids == [f"L{i:06d}" for i in range(1, 1001)]
    assert ids == sorted(ids)
    created = [parse_sf(lead.row["CreatedDate"]) for lead in thousand]
    assert created == sorted(created)
    strays: list[str] = []
    for lead in thousand:
        times = [parse_at(e["at"]) for e in lead.events]
        assert times == sorted(times)
        assert {e["lead_id"] for e in lead.events} <= {lead.row["Id"]}
        for event in lead.events + lead.stray_events:
            assert list(event) == [k for k in EVENT_KEYS if k in event]
            assert None not in event.values()
        stray_times = [parse_at(e["at"]) for e in lead.stray_events]
        assert stray_times == sorted(stray_times)
        strays += [e["lead_id"] for e in lead.stray_events]
    assert strays == sorted(strays)
    assert set(strays).isdisjoint(ids)
    assert all(re.fullmatch(r"L9\d{5}", s) for s in strays)


def test_written_files_are_in_lead_id_order(tmp_path: Path) -> None:
    leads_path, events_path = write_dataset(tmp_path, 300)
    with leads_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["Id"] for r in rows] == [f"L{i:06d}" for i in range(1, 301)]
    events = [json.loads(line) for line in events_path.read_text(encoding="utf-8").splitlines()]
    keys = [(e["lead_id"], parse_at(e["at"])) for e in events]
    assert keys == sorted(keys)  # grouped by lead, lead ids ascending, time ascending within
    assert events[-1]["lead_id"].startswith("L9")


# --- validity against the contract ---------------------------------------------------------------


def test_columns_are_the_contract_sources() -> None:
    fields = contract()["lead"]["fields"]
    assert list(COLUMNS) == [spec.get("source", name) for name, spec in fields.items()]


def test_rows_are_valid_for_the_contract(thousand: list[GeneratedLead]) -> None:
    lead = contract()["lead"]
    campaigns = contract()["campaigns"]
    reps = contract()["reps"]
    for generated in thousand:
        row = generated.row
        assert list(row) == list(COLUMNS)
        for name, spec in lead["fields"].items():
            value = row[spec.get("source", name)]
            if spec.get("required"):
                assert value, (row["Id"], name)
            if not value:
                continue
            if "value_map" in spec:
                assert value in spec["value_map"], (name, value)
                mapped = spec["value_map"][value]
                assert mapped is None or mapped in spec["values"]
            kind = spec["type"]
            if kind == "integer":
                assert int(value) >= 0
            elif kind == "number":
                float(value)
            elif kind == "boolean":
                assert value in ("true", "false")
            elif kind == "datetime":
                assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000", value)
        campaign = row["CampaignId"]
        window = campaigns[campaign]["window"]
        assert window["start"] <= parse_sf(row["CreatedDate"]).date() <= window["end"]
        owner = row["OwnerId"]
        assert owner == "" or owner in reps
        if campaign == "partner-emea":
            assert owner in ("", "datahaus", "emil", "frieda")
        elif row["Country"] in ("United States", "Canada"):
            assert owner in ("", "ava", "ben", "carl", "dana")
        if row["timezone"]:
            ZoneInfo(row["timezone"])  # a real IANA zone
        assert "@" in row["Email"]


def test_every_event_type_is_known_to_the_contract(thousand: list[GeneratedLead]) -> None:
    known = BUILT_IN_EVENTS | set(contract()["lead"]["events"])
    reasons = set(contract()["lead"]["disqualification"]["reasons"])
    seen: set[str] = set()
    for lead in thousand:
        for event in lead.events + lead.stray_events:
            seen.add(event["type"])
            if event["type"] == "touch":
                assert event["channel"] in ("phone", "email", "linkedin")
                assert event["actor"] == lead.row["OwnerId"] or event in lead.stray_events
            if event["type"] == "email_click":
                assert event["channel"] == "email"
            if event["type"] == "handoff":
                expected = (
                    "datahaus" if lead.row["CampaignId"] == "partner-emea" else "marketing-ops"
                )
                assert event["actor"] == expected
            if event["type"] == "opportunity":
                assert re.fullmatch(r"\d+\.00", event["amount"])
                assert isinstance(event["seats"], int)
    assert seen <= known
    assert seen >= known - {"created", "recycled"}
    assert reasons  # the contract has reasons for the disqualifications to use


def test_the_generator_follows_the_contract() -> None:
    calendars = contract()["calendars"]
    assert synthetic._us_east().hours == us_east().hours
    emea = calendars["emea"]
    assert (
        synthetic._emea().hours == BusinessCalendar(emea["timezone"], _hours(emea["hours"])).hours
    )
    assert synthetic._emea().zone.key == emea["timezone"]
    for rep, spec in contract()["reps"].items():
        if rep in synthetic._REPS:
            assert synthetic._REPS[rep].zone == spec["timezone"]
            assert synthetic._REPS[rep].calendar == spec["calendar"]
    assert set(synthetic.CAMPAIGN_SHARES) == set(contract()["campaigns"])
    reasons = contract()["lead"]["disqualification"]["reasons"]
    assert {r for r, _ in synthetic._REASONS} == set(reasons)
    assert {r for r, s in reasons.items() if s.get("note_required")} == synthetic._NOTE_REQUIRED
    assert {r for r, s in reasons.items() if s.get("feedback") is False} == synthetic._NO_FEEDBACK
    assert not set(synthetic._UNKNOWN_REASONS) & set(reasons)
    rules = contract()["lead"]["scoring"]["engagement"]["rules"]
    assert {
        r["event"]: (r["points"], r["max_count"]) for r in rules
    } == synthetic._ENGAGEMENT_POINTS


# --- the story -----------------------------------------------------------------------------------


def between(value: float, low: float, high: float) -> bool:
    return low <= value <= high


def test_campaign_mix_and_creation_window(story: Story) -> None:
    assert story.leads == 1000
    shares = {c: n / story.leads for c, n in story.per_campaign.items()}
    assert shares == pytest.approx(
        {"webinar-q4": 0.35, "demo-request": 0.20, "partner-emea": 0.15,
         "content-syndication": 0.30},
        abs=0.035,  # campaigns are drawn per lead: binomial noise
    )  # fmt: skip
    assert story.created_min is not None
    assert story.created_max is not None
    assert story.created_min.date() >= date(2026, 10, 1)
    assert story.created_max.date() <= date(2026, 11, 13)


def test_demo_requests_carry_the_form_time(thousand: list[GeneratedLead]) -> None:
    for lead in thousand:
        form = lead.row["form_submitted_at"]
        if lead.row["CampaignId"] != "demo-request":
            assert form == ""
            continue
        created = parse_sf(lead.row["CreatedDate"])
        assert timedelta(0) < created - parse_sf(form) < timedelta(minutes=15)
        demo = [e for e in lead.events if e["type"] == "demo_requested"]
        assert [parse_at(e["at"]) for e in demo] == [parse_sf(form)]
        handoffs = [e for e in lead.events if e["type"] == "handoff"]
        assert [parse_at(e["at"]) for e in handoffs] == [created]


def test_handoff_and_its_completeness(story: Story) -> None:
    assert story.handed_off["demo-request"] == story.per_campaign["demo-request"]
    assert between(story.mql_pool_handed_off / story.mql_pool, 0.35, 0.6)
    assert between(story.mql_pool_incomplete / story.mql_pool_handed_off, 0.12, 0.3)
    assert between(story.handed_off["partner-emea"] / story.per_campaign["partner-emea"], 0.4, 0.9)


def test_most_handed_off_leads_are_never_followed_up(story: Story) -> None:
    total = sum(story.follow_up.values())
    assert total == sum(story.handed_off.values())
    assert between(story.follow_up["never"] / total, 0.47, 0.63)
    assert between(story.follow_up["late"] / total, 0.13, 0.27)
    assert between(story.follow_up["on_time"] / total, 0.18, 0.32)
    demo_share = story.demo_on_time / story.handed_off["demo-request"]
    assert between(demo_share, 0.3, 0.6)  # demo requests are worked best
    late = story.late_business_days
    assert between(sum(2 <= d <= 6 for d in late) / len(late), 0.6, 1.0)


def test_attempts(story: Story) -> None:
    few = sum(n for count, n in story.touch_counts.items() if count <= 3)
    assert few / story.touched >= 0.75
    assert between(story.diligent, 5, story.touched * 0.2)


def test_accept_reject_and_feedback(story: Story) -> None:
    touched = story.touched
    assert between(story.outcome["accepted"] / touched, 0.4, 0.6)
    assert between(story.outcome["disqualified"] / touched, 0.17, 0.33)
    bad = story.dq_missing + story.dq_unknown
    assert between(bad / story.disqualified, 0.1, 0.32)
    assert story.dq_missing > 0
    assert story.dq_unknown > 0
    assert 0 < story.dq_note_missing < story.dq_note_required
    given = sum(story.feedback.values())
    assert between(story.feedback["within"] / given, 0.35, 0.65)
    assert story.feedback["late"] > 0
    assert story.feedback["never"] > 0


def test_down_the_funnel(story: Story) -> None:
    types = story.types
    assert types["accepted"] > types["meeting"] > types["qualified"] >= types["opportunity"] > 0
    assert types["won"] > 0
    assert types["lost"] > 0
    assert story.refunded_partner >= 1
    assert types["refunded"] == story.refunded_partner
    assert all(5_000 <= amount <= 120_000 for amount in story.opportunity_amounts)
    assert types["out_of_office"] >= 2
    assert types["back_in_office"] >= 1


def test_a_webinar_week_exceeds_capacity(story: Story) -> None:
    capacity = contract()["campaigns"]["webinar-q4"]["capacity"]["leads_per_week"]
    assert max(story.webinar_weeks.values()) > capacity


def test_data_quirks(story: Story) -> None:
    assert between(story.stray_events / story.events, 0.004, 0.02)
    assert between(story.after_as_of / story.events, 0.004, 0.02)


# --- the checked-in example ----------------------------------------------------------------------


def test_checked_in_example_matches_the_generator(tmp_path: Path) -> None:
    write_dataset(tmp_path, 240, seed=2026)
    for name in ("leads.csv", "events.jsonl"):
        assert (DATA / name).read_bytes() == (tmp_path / name).read_bytes(), (
            f"contracts/example/data/{name} is stale: run "
            "python -m leadcontract.synthetic --leads 240 --seed 2026 --out contracts/example/data"
        )


def test_example_tells_the_story() -> None:
    with (DATA / "leads.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    story = measure(generate(240))
    assert story.leads == len(rows) == 240
    assert max(story.webinar_weeks.values()) > 60
    assert story.refunded_partner >= 1
    assert story.stray_events > 0
    assert story.after_as_of > 0
    assert story.follow_up["never"] > story.follow_up["late"]
    assert story.follow_up["never"] > story.follow_up["on_time"]


def test_main_writes_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--leads", "20", "--seed", "3", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "leads.csv" in captured.err
    assert "events.jsonl" in captured.err
    text = (tmp_path / "leads.csv").read_text(encoding="utf-8")
    assert len(list(csv.reader(io.StringIO(text)))) == 21
