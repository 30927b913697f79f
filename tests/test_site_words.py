"""The agreement in words: conditions, promises, pages and dashboard figures (no mkdocs)."""

from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from leadcontract import compile_contract, load
from leadcontract.durations import Duration
from leadcontract.model import Contract
from leadcontract.report import compliance
from leadcontract.rules.conditions import parse_condition
from leadcontract.rules.conditions._text import in_words
from leadcontract.site import Records, charts, generate
from leadcontract.site._changes import changes_between
from leadcontract.site._markdown import table
from leadcontract.site._words import duration_words, money, sla_sentence
from leadcontract.site.audit_evidence import AuditEvidenceError, evidence_from_audit
from leadcontract.site.dashboard import TOUCH_BUCKETS
from leadcontract.site.evidence import gather_evidence
from leadcontract.site.pages import agreement_pages
from leadcontract.store import SqliteAuditStore, record_evaluation

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "contracts" / "example"
LEADS = EXAMPLE / "data" / "leads.csv"
EVENTS = EXAMPLE / "data" / "events.jsonl"
AS_OF = datetime(2026, 11, 16, 17, tzinfo=UTC)


@pytest.fixture(scope="module")
def contract() -> Contract:
    loaded = load(EXAMPLE)
    assert loaded.contract is not None
    return loaded.contract


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (
            'score >= 60 and country in ["US", "CA"]',
            "score is at least 60 and country is one of US, CA",
        ),
        ("not do_not_call", "do not call is false"),
        ("employees < 10 or employees > 5000", "employees is below 10 or employees is above 5000"),
        (
            'not (status == "Closed" or do_not_call)',
            "not (status is Closed or do not call is true)",
        ),
        ("events.pricing_page_visit >= 1", "at least one pricing page visit event"),
        ("phone is set and email is not set", "phone is filled in and email is empty"),
        (
            {"all": [{"score": {"gte": 60}}, {"email": {"exists": True}}]},
            "score is at least 60 and email is filled in",
        ),
        ('a == 1 and (b == 2 or c != "x")', "a is 1 and (b is 2 or c is not x)"),
        (True, "always"),
        (False, "never"),
    ],
)
def test_conditions_read_as_sentences(source: object, words: str) -> None:
    condition, issues = parse_condition(source)
    assert not issues
    assert condition is not None
    assert in_words(condition) == words


def test_durations_and_money_in_words() -> None:
    assert duration_words(Duration.parse("1d"), business=True) == "1 business day"
    assert duration_words(Duration.parse("1w2d4h")) == "1 week, 2 days and 4 hours"
    assert money(Decimal("1500"), "USD") == "$1,500.00"
    assert money(Decimal("12.5"), "CHF") == "12.50 CHF"


def test_every_promise_is_one_sentence_a_rep_understands(contract: Contract) -> None:
    first_touch = sla_sentence(contract, contract.slas["first-touch"])
    assert first_touch.startswith("Sales makes a first touch on every lead from Q4 webinar")
    assert "within 1 business day of handoff" in first_touch
    assert "read in the lead's own time zone" in first_touch
    assert "warned at 75% of the time" in first_touch
    assert first_touch.endswith("a breach goes to Mia Santos.")
    demo = sla_sentence(contract, contract.slas["first-touch-demo"])
    assert "first touch by phone or email" in demo
    assert "within 4 business hours of the time recorded in *form_submitted_at*" in demo
    attempts = sla_sentence(contract, contract.slas["six-attempts"])
    assert "makes 6 contact attempts by phone or email" in attempts
    assert "within 10 business days of handoff" in attempts
    idle = sla_sentence(contract, contract.slas["never-idle"])
    assert "never leaves any lead waiting more than 5 business days for a touch" in idle


def test_the_pages_say_what_the_contract_says(contract: Contract) -> None:
    site = agreement_pages(contract, year=2026)
    assert list(site.pages) == [
        "index.md",
        "lead.md",
        "campaigns.md",
        "promises.md",
        "spiffs.md",
        "calendars.md",
    ]
    lead = site.pages["lead.md"]
    assert "| `email` | Email | string | yes |  | yes |" in lead  # required, PII
    assert "industry is one of software, financial-services, manufacturing" in lead
    assert "halve every **30 days**" in lead
    assert "![Lifecycle diagram" in lead
    assert "images/lifecycle.svg" in lead
    assert "score is at least 60 and fit score is at least 20 and email is filled in" in lead
    assert "Contact is not involved in the decision (`not-decision-maker`) | yes |" in lead
    assert "<svg" in site.files["images/lifecycle.svg"]
    for stage in contract.lead.lifecycle.stages:
        assert f"<title>{stage.id}</title>" in site.files["images/lifecycle.svg"]
    promises = site.pages["promises.md"]
    assert promises.count('!!! abstract "The promise"') == len(contract.slas)
    assert "**Attempts 1 to 6** by phone or email, at least 4 business hours apart" in promises
    spiffs = site.pages["spiffs.md"]
    assert "The SDR and AE on the lead share **$100.00**" in spiffs
    assert "SDR 40%, AE 60%" in spiffs
    assert "0 – 50,000: 1%" in spiffs
    assert '!!! note "Trial rule"' in spiffs
    overview = site.pages["index.md"]
    assert "Priya Raman | marketing" in overview
    assert "Marcus Bell | sales" in overview
    assert "sha256:" in overview


def test_a_capacity_shortfall_is_spelled_out(contract: Contract) -> None:
    campaigns = dict(contract.campaigns)
    webinar = campaigns["webinar-q4"]
    assert webinar.capacity is not None
    short = webinar.model_copy(update={"capacity": webinar.capacity.model_copy(update={"reps": 1})})
    campaigns["webinar-q4"] = short
    changed = contract.model_copy(update={"campaigns": campaigns})
    page = agreement_pages(changed, year=2026).pages["campaigns.md"]
    assert '!!! warning "Shortfall of 30 leads a week"' in page
    assert "expects 60 leads a week but 1 rep × 30 can work 30" in page


def test_the_overview_counts_in_words_one_of_each(contract: Contract) -> None:
    """A small agreement: one promise, one spiff, one calendar, and a campaign without a
    capacity plan. The overview says "1 service level", not "1 service levels", and does not
    claim a capacity plan the campaign lacks."""
    campaigns = dict(contract.campaigns)
    campaigns["webinar-q4"] = campaigns["webinar-q4"].model_copy(update={"capacity": None})
    small = contract.model_copy(
        update={
            "campaigns": campaigns,
            "slas": dict(list(contract.slas.items())[:1]),
            "spiffs": dict(list(contract.spiffs.items())[:1]),
            "calendars": {"us-east": contract.calendars["us-east"]},
        }
    )
    overview = agreement_pages(small, year=2026).pages["index.md"]
    assert "(promises.md): 1 service level sales and marketing keep." in overview
    assert "(spiffs.md): 1 incentive." in overview
    assert "(calendars.md): 1 business calendar." in overview
    assert "4 campaigns, each with its handoff point; 3 with a capacity plan." in overview
    full = agreement_pages(contract, year=2026).pages["index.md"]
    assert "4 campaigns, each with its handoff point and capacity plan." in full
    assert "6 service levels sales and marketing keep." in full


def test_holidays_are_those_of_the_given_year_never_the_clock(contract: Contract) -> None:
    calendars_2026 = agreement_pages(contract, year=2026).pages["calendars.md"]
    calendars_2031 = agreement_pages(contract, year=2031).pages["calendars.md"]
    assert "| 2026-11-26 | Thursday | Thanksgiving Day (US-NY) |" in calendars_2026
    assert "| 2026-12-24 | Thursday | " in calendars_2026
    assert "Company day off" in calendars_2026
    assert "2026-" not in calendars_2031.split("## emea")[0].split("Holidays in")[1]
    assert "| 2031-12-25 |" in calendars_2031
    assert "| 2026-01-01 | Thursday | New Year's Day (DE-BE, NO) |" in calendars_2026
    assert "| Fri | 09:00–16:00 |" in calendars_2026
    assert "| Sat | closed |" in calendars_2026


def test_generate_takes_the_year_from_as_of_else_the_contract() -> None:
    without = generate(EXAMPLE)
    assert "Holidays are listed for 2026" in without.pages["calendars.md"]
    later = generate(EXAMPLE, records=Records(LEADS, EVENTS, datetime(2027, 2, 1, tzinfo=UTC)))
    assert "Holidays are listed for 2027" in later.pages["calendars.md"]


def test_changes_since_the_previous_version(tmp_path: Path, contract: Contract) -> None:
    previous = tmp_path / "previous"
    shutil.copytree(EXAMPLE, previous, ignore=shutil.ignore_patterns("data"))
    slas = (previous / "slas.yaml").read_text(encoding="utf-8")
    (previous / "slas.yaml").write_text(slas.replace("target: 2d", "target: 3d"), "utf-8")
    meta = (previous / "contract.yaml").read_text(encoding="utf-8")
    (previous / "contract.yaml").write_text(meta.replace("2.1.0", "2.0.0"), "utf-8")
    old = load(previous).contract
    assert old is not None
    assert changes_between(old, contract) == [
        "Version 2.0.0 → 2.1.0.",
        "Changed follow-up promise `accept-or-reject`.",
    ]
    assert changes_between(contract, contract) == []
    page = generate(EXAMPLE, previous=previous).pages["index.md"]
    assert "- Changed follow-up promise `accept-or-reject`." in page


def test_dashboard_figures_are_the_reports_figures() -> None:
    compiled = compile_contract(load(EXAMPLE).contract)  # type: ignore[arg-type]
    evidence = gather_evidence(compiled, LEADS, EVENTS, as_of=AS_OF)
    verdicts = [
        v
        for v in compiled.evaluate(
            LEADS, EVENTS, as_of=AS_OF, capacity=compiled.plan_capacity(LEADS)
        )
        if not hasattr(v, "code")
    ]
    report = {
        r.group: r.to_dict()
        for r in compliance(verdicts, contract=compiled.contract, zone=compiled.zone)
    }  # type: ignore[arg-type]
    assert {r.group: r.to_dict() for r in evidence.by_campaign} == report
    assert evidence.counts.reconciles
    assert evidence.counts.verdicts == 240
    site = generate(EXAMPLE, records=Records(LEADS, EVENTS, AS_OF))
    follow_up = site.pages["evidence/index.md"]
    for row in report.values():
        assert f"| {row['handed_off']} | " in follow_up
        assert f"{row['within_sla']} / {row['settled']}" in follow_up
    touched = len(evidence.minutes_to_first_touch)
    bucket_counts = [
        int(n)
        for n in re.findall(
            r"^\| (?:under 1 h|1–4 h|4–8 h|8–16 h|16–40 h|over 40 h) \| (\d+) \|$", follow_up, re.M
        )
    ]
    assert len(bucket_counts) == len(TOUCH_BUCKETS)
    assert sum(bucket_counts) == touched
    assert sorted(site.files) == [
        "evidence/charts/breaches-by-party.svg",
        "evidence/charts/load-vs-capacity.svg",
        "evidence/charts/spiffs-by-rep.svg",
        "evidence/charts/time-to-first-touch.svg",
        "evidence/charts/within-sla-by-campaign.svg",
        "evidence/charts/within-sla-by-week.svg",
        "images/lifecycle.svg",
    ]
    capacity = site.pages["evidence/capacity.md"]
    weeks = re.findall(r"^\| [^|]+ \| (\d{4}-W\d\d) \| (\d+) \|", capacity, re.M)
    assert [(w, int(n)) for w, n in weeks] == [(x.week, x.leads) for x in evidence.capacity.loads]
    spiffs = site.pages["evidence/spiffs.md"]
    for (rep, currency), amount in evidence.spiff_totals().items():
        assert f"| {rep} | {currency} | {money(amount, currency)} |" in spiffs
    assert "as of <span" in site.pages["index.md"]


def test_a_kept_agreement_says_so_instead_of_drawing_an_empty_chart(tmp_path: Path) -> None:
    """The quickstart's agreement: its one handed-off lead is touched in time. The follow-up
    page says no promise was broken (no empty chart with an axis from 0.0 to 1.0)."""
    quickstart = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    for name, body in re.findall(r'```\w+ title="([^"]+)"\n(.*?)```', quickstart, re.S):
        (tmp_path / name).write_text(body, encoding="utf-8")
    as_of = datetime(2026, 3, 10, 17, tzinfo=UTC)
    records = Records(tmp_path / "leads.csv", tmp_path / "events.jsonl", as_of)
    site = generate(tmp_path / "agreement.yaml", records=records)
    follow_up = site.pages["evidence/index.md"]
    assert "No promise has been broken." in follow_up
    assert "evidence/charts/breaches-by-party.svg" not in site.files
    assert "breaches-by-party" not in follow_up
    assert "evidence/charts/time-to-first-touch.svg" in site.files


def test_weeks_without_handoffs_are_gaps_in_the_weekly_line(tmp_path: Path) -> None:
    """Handoffs in weeks 10 and 13 only: the weekly chart has weeks 11 and 12 on its axis, with
    no point and no line drawn across them (a line from W10 to W13 would claim figures for
    weeks that had no handoff)."""
    quickstart = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    for name, body in re.findall(r'```\w+ title="([^"]+)"\n(.*?)```', quickstart, re.S):
        (tmp_path / name).write_text(body, encoding="utf-8")
    with (tmp_path / "leads.csv").open("a", encoding="utf-8") as leads:
        leads.write("L3,cy@example.com,900,2026-03-23T14:00:00Z,spring-webinar,ann\n")
    with (tmp_path / "events.jsonl").open("a", encoding="utf-8") as events:
        for kind, at in (("webinar_attended", "24T15"), ("handoff", "24T16"), ("touch", "25T14")):
            events.write(f'{{"lead_id": "L3", "type": "{kind}", "at": "2026-03-{at}:00:00Z"}}\n')
    as_of = datetime(2026, 3, 31, 17, tzinfo=UTC)
    records = Records(tmp_path / "leads.csv", tmp_path / "events.jsonl", as_of)
    svg = generate(tmp_path / "agreement.yaml", records=records).files[
        "evidence/charts/within-sla-by-week.svg"
    ]
    labels = re.findall(r">(W\d+)</text>", svg)
    assert labels == ["W10", "W11", "W12", "W13"]
    assert svg.count(">100%</text>") == 3  # two points, and the y axis' own 100%
    line = re.search(r'<path d="(M [^"]*)"[^>]*style="fill: none; stroke: #1a56db', svg)
    assert line is not None
    assert line.group(1).count("M ") == 2, "the line must break over the empty weeks"


def test_counts_are_drawn_on_whole_number_ticks() -> None:
    """One or two leads per bucket: the count axis reads 0, 1, 2, never 0.2 leads."""
    histogram = charts.histogram(["a", "b", "c"], [0, 1, 2], title="t", xlabel="x")
    bars = charts.bar_chart(["sales"], [1], title="t")
    for svg in (histogram, bars):
        ticks = re.findall(r">(-?\d+\.\d+)</text>", svg)
        assert ticks == [], ticks
        assert ">1</text>" in svg


def test_charts_are_deterministic_svg() -> None:
    one = charts.bar_chart(["sales", "marketing"], [3, 1], title="t")
    two = charts.bar_chart(["sales", "marketing"], [3, 1], title="t")
    assert one == two
    assert one.startswith("<svg")
    assert "http://www.w3.org/2000/svg" in one
    assert 'xlink:href="http' not in one


def test_table_cells_cannot_break_the_table() -> None:
    text = table(["a", "b"], [["x|y", "line\nbreak"], [None, ""]])
    assert text.splitlines()[2] == "| x\\|y | line break |"
    assert text.splitlines()[3] == "| – |  |"


# --- evidence from the audit store ----------------------------------------------------------


@pytest.fixture(scope="module")
def audit_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example evaluation recorded in an audit store, as `evaluate --audit` records it."""
    db = tmp_path_factory.mktemp("audit") / "audit.db"
    compiled = compile_contract(load(EXAMPLE).contract)  # type: ignore[arg-type]
    run = compiled.evaluate(LEADS, EVENTS, as_of=AS_OF, capacity=compiled.plan_capacity(LEADS))
    with SqliteAuditStore(db) as store:
        record_evaluation(store, compiled, run, as_of=AS_OF, inputs_digest="sha256:test")
    return db


def test_audit_evidence_gives_the_figures_of_the_recorded_run(audit_db: Path) -> None:
    compiled = compile_contract(load(EXAMPLE).contract)  # type: ignore[arg-type]
    fresh = gather_evidence(compiled, LEADS, EVENTS, as_of=AS_OF)
    recorded = evidence_from_audit(compiled, audit_db)
    assert recorded.as_of == AS_OF
    assert [r.to_dict() for r in recorded.by_campaign] == [r.to_dict() for r in fresh.by_campaign]
    assert [r.to_dict() for r in recorded.by_week] == [r.to_dict() for r in fresh.by_week]
    assert recorded.spiff_totals() == fresh.spiff_totals()
    assert recorded.counts.verdicts == 240
    assert recorded.capacity is None
    site = generate(EXAMPLE, audit=audit_db)
    assert "From audit run `" in site.pages["evidence/index.md"]
    assert "hash chain verified" in site.pages["evidence/index.md"]
    assert "needs the lead records" in site.pages["evidence/capacity.md"]
    assert "Holidays are listed for 2026" in site.pages["calendars.md"]


def test_a_tampered_audit_store_gives_no_evidence(audit_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tampered.db"
    shutil.copy(audit_db, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("DROP TRIGGER IF EXISTS entries_no_update")
        conn.execute(
            "UPDATE entries SET payload = replace(payload, '\"breached\"', '\"met\"') "
            "WHERE seq = (SELECT MIN(seq) FROM entries WHERE kind = 'verdict')"
        )
    compiled = compile_contract(load(EXAMPLE).contract)  # type: ignore[arg-type]
    with pytest.raises(AuditEvidenceError, match="the audit chain is broken"):
        evidence_from_audit(compiled, copy)


def test_an_audit_store_without_a_run_of_the_contract(tmp_path: Path) -> None:
    compiled = compile_contract(load(EXAMPLE).contract)  # type: ignore[arg-type]
    with SqliteAuditStore(tmp_path / "empty.db"):
        pass
    with pytest.raises(AuditEvidenceError, match="no evaluation run of contract"):
        evidence_from_audit(compiled, tmp_path / "empty.db")
    with pytest.raises(AuditEvidenceError, match="no such audit store"):
        evidence_from_audit(compiled, tmp_path / "missing.db")
