"""Raw Salesforce exports evaluate with nothing but a contract that extends the preset.

The exports in tests/data/crm/salesforce are shaped as Salesforce writes them (Data Loader CSV:
API field names, 15/18-character ids, `2026-10-05T14:00:00.000+0000`), one file per object:
Lead, Task, LeadHistory and CampaignMember. The real CC0 sample of Salesforce's standard Leads
(tests/data/external/salesforce-Lead.json) checks the preset's field names on real data.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadcontract.checks import lint
from leadcontract.cli import main
from leadcontract.engine import Evaluation, compile_contract
from leadcontract.inputs import RawRecord, RecordError
from leadcontract.loader import load
from leadcontract.verdict import Verdict

HERE = Path(__file__).resolve().parent
SF = HERE / "data" / "crm" / "salesforce"
CONTRACT = SF / "contract.yaml"
EVENTS = [SF / "Task.csv", SF / "LeadHistory.csv", SF / "CampaignMember.csv"]
AS_OF = datetime(2026, 10, 7, tzinfo=UTC)
REAL_SAMPLE = HERE / "data" / "external" / "salesforce-Lead.json"


Outcome = tuple[Evaluation, dict[str, Verdict], list[RecordError]]


def run(contract: Path = CONTRACT, leads: Any = SF / "Lead.csv", events: Any = EVENTS) -> Outcome:
    loaded = load(contract)
    assert loaded.contract is not None, loaded.diagnostics
    evaluation = compile_contract(loaded.contract).evaluate(leads, events, as_of=AS_OF, trace=False)
    items = list(evaluation)
    verdicts = {v.lead_id: v for v in items if isinstance(v, Verdict)}
    return evaluation, verdicts, [e for e in items if isinstance(e, RecordError)]


@pytest.fixture(scope="module")
def outcome() -> tuple[Evaluation, dict[str, Verdict], list[RecordError]]:
    return run()


def test_the_contract_names_no_column_yet_lints_clean_against_the_export() -> None:
    result = lint(CONTRACT)
    assert result.diagnostics == ()
    code = main(["lint", str(CONTRACT), "--leads-sample", str(SF / "Lead.csv")])
    assert code == 0


def test_every_lead_is_a_verdict_and_counts_reconcile(outcome: Any) -> None:
    evaluation, verdicts, errors = outcome
    assert errors == []
    assert sorted(verdicts) == [f"00QHs00000Lead0{i}" for i in range(1, 5)]
    counts = evaluation.counts
    assert counts.reconciles
    assert (counts.events_read, counts.events_used, counts.events_unmapped) == (9, 7, 2)
    assert counts.lead_warnings == 2


def test_task_call_is_a_phone_touch_by_the_owner_at_created_date(outcome: Any) -> None:
    _, verdicts, _ = outcome
    lead = verdicts["00QHs00000Lead01"]
    assert lead.touches == 1
    assert lead.first_touch_at == datetime(2026, 10, 5, 15, 0, tzinfo=UTC)
    (sla,) = lead.slas
    assert (sla.status, sla.stop) == ("met", datetime(2026, 10, 5, 15, 0, tzinfo=UTC))


def test_lead_status_history_moves_the_stage_and_campaign_member_sets_the_campaign(
    outcome: Any,
) -> None:
    _, verdicts, _ = outcome
    lead = verdicts["00QHs00000Lead01"]
    assert lead.campaign == "webinar-q4"  # CampaignId 701Hs00000WebAAA through the value map
    assert lead.stage.id == "sql"  # Working - Contacted → accepted, Closed - Converted → qualified
    (decision,) = lead.spiffs
    # the earner role `ae` is Ana's second role; her Salesforce user id is the rep id
    assert decision.eligible
    assert [(line.rep, str(line.amount)) for line in decision.lines] == [
        ("005Hs00000AnaAAA", "50.00")
    ]


def test_a_breach_is_blamed_on_sales_only_for_a_lead_sales_was_given(outcome: Any) -> None:
    _, verdicts, _ = outcome
    (given,) = verdicts["00QHs00000Lead02"].slas
    assert (given.status, given.party) == ("breached", "sales")
    unknown = verdicts["00QHs00000Lead03"]
    assert unknown.campaign == "701Hs00000NewAAA"
    (clock,) = unknown.slas
    assert (clock.status, clock.party) == ("breached", "marketing")
    assert "is not in the contract" in clock.evidence
    assert unknown.warnings == ("campaign `701Hs00000NewAAA` is not in the contract",)


def test_date_only_creation_bad_secondary_value_and_empty_lead_source(outcome: Any) -> None:
    _, verdicts, _ = outcome
    lead = verdicts["00QHs00000Lead04"]
    # created 2026-10-05 (a date alone): the start of that day in New York, 04:00 UTC; the
    # email at 06:00 UTC is within 4 hours of it
    (sla,) = lead.slas
    assert sla.start == datetime(2026, 10, 5, 4, 0, tzinfo=UTC)
    assert sla.status == "met"
    assert lead.warnings == (
        'employees (column "NumberOfEmployees"): expected an integer, got "2.5"; '
        "left empty (on_invalid: empty)",
        "owner `005Hs00000ZedAAA` is not a rep of the contract",
    )


def test_drift_is_counted_by_kind(outcome: Any) -> None:
    evaluation, _, _ = outcome
    found = {f.kind: dict(f.values) for f in evaluation.drift.findings()}
    assert found == {
        "unknown-campaign": {"701Hs00000NewAAA": 1},
        "unknown-rep": {"005Hs00000ZedAAA": 2},  # the owner, and the actor of the email
        "value-not-allowed": {'employees="2.5"': 1},
        "unmapped-event": {"Field=Owner": 1, "TaskSubtype=Task": 1},
    }


def test_cli_strict_data_fails_and_the_json_summary_carries_the_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "evaluate",
        str(CONTRACT),
        "--leads",
        str(SF / "Lead.csv"),
        "--events",
        *map(str, EVENTS),
        "--as-of",
        "2026-10-07T00:00:00Z",
        "--out",
        str(tmp_path / "verdicts.jsonl"),
        "--summary-json",
        str(tmp_path / "summary.json"),
    ]
    assert main(args) == 0
    assert main([*args, "--strict-data"]) == 1
    out = capsys.readouterr().out
    assert "unknown-campaign: 1 record(s): 701Hs00000NewAAA (1)" in out
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["drift"]["found"] is True
    assert [f["kind"] for f in summary["drift"]["findings"]] == [
        "unknown-campaign",
        "unknown-rep",
        "value-not-allowed",
        "unmapped-event",
    ]
    assert summary["counts"]["events_unmapped"] == 2
    assert summary["counts"]["reconciles"] is True


def test_the_real_salesforce_sample_through_the_preset(tmp_path: Path) -> None:
    """The CC0 sample of Salesforce's standard Leads: 22 leads, read through the preset's
    field names only (the contract names no column); the two industries outside the contract
    are kept empty with a warning instead of dropping the leads."""
    contract = tmp_path / "contract.yaml"
    text = CONTRACT.read_text(encoding="utf-8")
    edits = [
        (
            "    lead_id: {type: string, required: true}\n",
            "    lead_id: {type: string, required: true, source: Email}\n"
            "    industry: {type: string, values: [manufacturing, other], "
            "value_map: {Manufacturing: manufacturing}, on_invalid: empty}\n",
        ),
        (
            "    created_at: {type: datetime, required: true}",
            "    created_at: {type: datetime}",
        ),
        ("partner-referral, other]", "partner-referral, purchased-list, other]"),
        (
            "Partner Referral: partner-referral,",
            "Partner Referral: partner-referral, Purchased List: purchased-list,",
        ),
    ]
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    contract.write_text(text, encoding="utf-8")
    evaluation, verdicts, errors = run(contract, leads=REAL_SAMPLE, events=())
    assert errors == []
    assert len(verdicts) == 22
    assert evaluation.counts.reconciles
    sources = sorted({(v.lead_id, v.warnings) for v in verdicts.values() if v.warnings})
    assert sources == [
        (
            "bertha@fcof.net",
            (
                'industry (column "Industry"): "Agriculture" is not allowed; allowed: '
                "manufacturing, other; left empty (on_invalid: empty)",
            ),
        ),
        (
            "jrogers@btca.com",
            (
                'industry (column "Industry"): "Apparel" is not allowed; allowed: '
                "manufacturing, other; left empty (on_invalid: empty)",
            ),
        ),
    ]
    drift = {f.kind: dict(f.values) for f in evaluation.drift.findings()}
    assert drift["value-not-allowed"] == {'industry="Agriculture"': 1, 'industry="Apparel"': 1}
    unread = drift["unmapped-column"]
    assert "CurrentGenerators__c" in unread
    assert "Email" not in unread
    assert "LeadSource" not in unread


def test_lint_with_a_sample_that_lacks_a_required_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = tmp_path / "Lead.csv"
    sample.write_text("Id,Mail,CreatedDate\n00Q1,a@b.example,2026-10-05\n", encoding="utf-8")
    args = ["lint", str(CONTRACT), "--leads-sample", str(sample)]
    assert main(args) == 0  # a warning
    assert main([*args, "--strict"]) == 1
    out = capsys.readouterr().out
    assert (
        "LC953 warning: field `email` reads column `email` or `Email`, which "
        f"{sample} does not have"
    ) in out
    assert main(["lint", str(CONTRACT), "--leads-sample", str(tmp_path / "none.csv")]) == 2


def test_lint_refuses_a_sample_evaluate_would_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sample saved with ';' (Excel in many locales) is refused as ``evaluate`` refuses it,
    not read as one column that makes every mapped column look missing."""
    sample = tmp_path / "Lead.csv"
    sample.write_text("Id;Email;CreatedDate\n00Q1;a@b.example;2026-10-05\n", encoding="utf-8")
    assert main(["lint", str(CONTRACT), "--leads-sample", str(sample)]) == 2
    captured = capsys.readouterr()
    assert "LC953" not in captured.out
    assert f"cannot read the sample: {sample}:1: the header is one column" in captured.err
    page = tmp_path / "Lead.json"  # an API's page: no record can be read
    page.write_text('{"value": [{"Id": "00Q1"}]}', encoding="utf-8")
    assert main(["lint", str(CONTRACT), "--leads-sample", str(page)]) == 2
    captured = capsys.readouterr()
    assert "LC953" not in captured.out
    assert f"cannot read the sample: {page}:1: expected a JSON array" in captured.err


def test_a_lead_report_export_names_the_company_company_slash_account() -> None:
    """A Lead report exported from the Salesforce UI calls Company "Company / Account" (and
    NumberOfEmployees "No. of Employees"): the preset reads both, as it reads "Lead ID"."""
    loaded = load(CONTRACT)
    assert loaded.contract is not None
    coercer = compile_contract(loaded.contract).lead_coercer
    row = {
        "Lead ID": "00Q1",
        "Email": "a@acme.example",
        "Company / Account": "Acme",
        "No. of Employees": "120",
        "Create Date": "2026-10-05",
    }
    record, errors = coercer.coerce(RawRecord("<report>", 1, None, row))
    assert record is not None, errors
    assert (record["lead_id"], record["company"], record["employees"]) == ("00Q1", "Acme", 120)


def test_explain_shows_the_data_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["explain", str(CONTRACT), "--leads", str(SF / "Lead.csv"), "--events"]
    args += [*map(str, EVENTS), "--as-of", "2026-10-07T00:00:00Z", "--lead", "00QHs00000Lead04"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert 'Data warnings:\n  employees (column "NumberOfEmployees")' in out
    assert "  owner `005Hs00000ZedAAA` is not a rep of the contract" in out
