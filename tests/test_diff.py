"""``leadcontract diff``: semantic changes in words, their impact, the bump, and the replay."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from leadcontract import cli
from leadcontract.authoring.diff import Impact, diff_contracts
from leadcontract.authoring.replay import replay
from leadcontract.engine import compile_contract
from leadcontract.loader import load
from leadcontract.model import Contract

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "contracts" / "example"
DATA = EXAMPLE / "data"
AS_OF = "2026-11-16T17:00:00Z"
AS_OF_TIME = datetime(2026, 11, 16, 17, tzinfo=UTC)
MQL_60, MQL_65 = "score: {gte: 60}", "score: {gte: 65}"


def variant(tmp_path: Path, *edits: tuple[str, str, str], name: str = "new") -> Path:
    """A copy of the example contract with ``(file, old, new)`` text edits applied."""
    target = tmp_path / name
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("data", "tests"))
    for file, old, new in edits:
        path = target / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        path.write_text(text.replace(old, new), encoding="utf-8")
    return target


def contract(path: Path) -> Contract:
    loaded = load(path)
    assert loaded.contract is not None, loaded.diagnostics
    return loaded.contract


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_raising_the_mql_threshold_is_breaking_for_marketing_and_moves_12_leads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = variant(tmp_path, ("lead.yaml", MQL_60, MQL_65))
    argv = ["diff", str(EXAMPLE), str(new), "--replay", "--leads", str(DATA / "leads.csv")]
    argv += ["--events", str(DATA / "events.jsonl"), "--as-of", AS_OF]
    code, out, err = run(argv, capsys)
    assert (code, err) == (0, "")
    assert "1 change(s) from 2.1.0 to 2.1.0; they imply a major version bump (3.0.0)" in out
    assert "breaking for marketing  stage `mql` entry criteria: score >= 60 -> 65" in out
    assert "240 leads evaluated under both versions" in out
    assert "stage: 12 lead(s) change, e.g. L000004, L000010" in out
    assert "mql -> inquiry: 11" in out
    assert "Money delta: 0.00 EUR, 0.00 USD" in out


def test_replay_counts_match_a_direct_comparison_of_verdicts(tmp_path: Path) -> None:
    new_path = variant(tmp_path, ("lead.yaml", MQL_60, MQL_65))
    old, new = compile_contract(contract(EXAMPLE)), compile_contract(contract(new_path))
    as_of = datetime(2026, 11, 16, 17, tzinfo=UTC)
    result = replay(old, new, DATA / "leads.csv", DATA / "events.jsonl", as_of=as_of)
    stages_old = {
        v.lead_id: v.stage.id
        for v in old.evaluate(DATA / "leads.csv", DATA / "events.jsonl", as_of=as_of)
        if hasattr(v, "stage")
    }
    stages_new = {
        v.lead_id: v.stage.id
        for v in new.evaluate(DATA / "leads.csv", DATA / "events.jsonl", as_of=as_of)
        if hasattr(v, "stage")
    }
    moved = sorted(k for k in stages_old if stages_old[k] != stages_new[k])
    assert result.movement("stage").count == len(moved) == 12
    assert list(result.movement("stage").sample) == moved[:10]
    assert result.leads == 240
    assert result.movement("sla_status").count == 0


def test_each_kind_of_change_in_words_with_its_impact(tmp_path: Path) -> None:
    new = variant(
        tmp_path,
        (
            "slas.yaml",
            "    target: 1d\n    calendar: us-east\n    clock_zone: lead",
            "    target: 4h\n    calendar: us-east\n    clock_zone: lead",
        ),
        ("spiffs.yaml", 'cap: {amount: "500.00"', 'cap: {amount: "300.00"'),
        ("lead.yaml", "    annual_revenue: {type: number, source: AnnualRevenue}\n", ""),
        ("contract.yaml", "title: Northwind Analytics", "title: Northwind"),
        (
            "campaigns.yaml",
            "required_fields: [email, company]\n",
            "required_fields: [email, company, phone]\n",
        ),
    )
    diff = diff_contracts(contract(EXAMPLE), contract(new))
    found = {c.summary: c.impact for c in diff.changes}
    assert found == {
        "`metadata.title`: Northwind Analytics marketing-sales lead agreement -> "
        "Northwind marketing-sales lead agreement": Impact.NEUTRAL,
        "field `annual_revenue` removed": Impact.BOTH,
        "campaign `demo-request` handoff required fields: +phone": Impact.MARKETING,
        "SLA `first-touch` target: 1d -> 4h": Impact.SALES,
        "spiff `demo-fast-touch` cap amount: 500.00 -> 300.00": Impact.SALES,
    }
    assert diff.bump == "major"
    assert (diff.suggested_version, diff.version_ok) == ("3.0.0", False)


def test_relaxations_and_additions(tmp_path: Path) -> None:
    new = variant(
        tmp_path,
        ("slas.yaml", "    target: 2d\n", "    target: 3d\n"),
        ("spiffs.yaml", 'amount: {fixed: "50.00"', 'amount: {fixed: "75.00"'),
        ("lead.yaml", MQL_60, MQL_60.replace("60", "55")),
        (
            "campaigns.yaml",
            "campaigns:\n",
            "campaigns:\n  new-one:\n    name: New\n"
            "    channel: web\n    window: {start: 2026-01-01}\n"
            "    handoff: {stage: mql, qualified_by: marketing}\n",
        ),
        ("contract.yaml", "version: 2.1.0", "version: 3.0.0"),
    )
    diff = diff_contracts(contract(EXAMPLE), contract(new))
    found = {c.summary: (c.impact, c.bump) for c in diff.changes}
    # A longer target takes from the side the promise serves; a lower bar brings sales
    # weaker leads; more pay and a new campaign bind nobody.
    assert found["SLA `accept-or-reject` target: 2d -> 3d"] == (Impact.MARKETING, "major")
    assert found["stage `mql` entry criteria: score >= 60 -> 55"] == (Impact.SALES, "major")
    assert found["spiff `demo-fast-touch` amount fixed: 50.00 -> 75.00"] == (
        Impact.NEUTRAL,
        "patch",
    )
    assert found["campaign `new-one` added"] == (Impact.NEUTRAL, "minor")
    assert diff.version_ok


def test_reformatting_a_condition_is_no_change(tmp_path: Path) -> None:
    new = variant(
        tmp_path,
        (
            "lead.yaml",
            'when: industry in ["software", "financial-services", "manufacturing"]',
            "when: {industry: {in: [software, financial-services, manufacturing]}}",
        ),
        (
            "lead.yaml",
            "        - id: mid-market\n          when: employees >= 200",
            "        - id: mid-market\n          when:   employees   >=   200",
        ),
    )
    diff = diff_contracts(contract(EXAMPLE), contract(new))
    assert diff.changes == ()
    assert diff.bump is None
    assert diff.suggested_version == "2.1.0"


def test_json_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = variant(tmp_path, ("lead.yaml", MQL_60, MQL_65))
    argv = ["diff", str(EXAMPLE), str(new), "--replay", "--leads", str(DATA / "leads.csv")]
    argv += ["--events", str(DATA / "events.jsonl"), "--as-of", AS_OF]
    code, out, _ = run([*argv, "--format", "json"], capsys)
    document = json.loads(out)
    assert code == 0
    assert document["bump"] == "major"
    assert document["changes"][0]["impact"] == "breaking for marketing"
    assert document["changes"][0]["pointer"] == "/lead/lifecycle/stages/mql/when"
    stage = next(m for m in document["replay"]["movements"] if m["aspect"] == "stage")
    assert stage["count"] == 12
    code, out, _ = run([*argv, "--format", "markdown"], capsys)
    assert code == 0
    assert "| change | impact | bump |" in out
    assert "| stage `mql` entry criteria: score >= 60 -> 65 | **breaking for marketing** |" in out
    assert "| rep | currency | before | after | delta |" in out


def test_a_line_break_in_a_value_cannot_forge_a_change_or_break_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Values were written as they are: a description holding a line break printed a line
    that reads as a change of its own ('breaking for sales ...') in the text report, and
    ended the Markdown table's row in the middle, in the pull-request comment people sign
    off on."""
    forged = "Fast.\\n  breaking for sales  SLA `first-touch-demo` target: 4h -> 8h"
    new = variant(
        tmp_path,
        (
            "slas.yaml",
            "description: A demo request is touched within 4 business hours of the form.",
            f'description: "{forged}"',
        ),
    )
    code, out, _ = run(["diff", str(EXAMPLE), str(new)], capsys)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2  # the head and the one change
    assert lines[1].endswith(
        r"-> Fast.\n  breaking for sales  SLA `first-touch-demo` target: 4h -> 8h"
    )
    code, out, _ = run(["diff", str(EXAMPLE), str(new), "--format", "markdown"], capsys)
    rows = [line for line in out.splitlines() if line.startswith("|")]
    assert len(rows) == 3  # the header, the rule, the one change
    assert rows[2].endswith(
        r"\n  breaking for sales  SLA `first-touch-demo` target: 4h -> 8h | neutral | patch |"
    )


def test_a_required_field_turns_leads_into_error_rows(tmp_path: Path) -> None:
    new_path = variant(
        tmp_path,
        (
            "lead.yaml",
            "phone: {type: string, pii: true, source: Phone}",
            "phone: {type: string, required: true, pii: true, source: Phone}",
        ),
    )
    old, new = compile_contract(contract(EXAMPLE)), compile_contract(contract(new_path))
    result = replay(old, new, DATA / "leads.csv", DATA / "events.jsonl", as_of=AS_OF_TIME)
    assert result.errors_old == 0
    assert result.errors_new == len(result.only_old) > 0
    assert result.leads + len(result.only_old) == 240
    diff = diff_contracts(old.contract, new.contract)
    assert [(c.summary, c.impact) for c in diff.changes] == [
        ("field `phone` required: False -> True", Impact.MARKETING)
    ]


def test_a_spiff_cut_shows_in_money(tmp_path: Path) -> None:
    new_path = variant(
        tmp_path, ("spiffs.yaml", 'amount: {fixed: "100.00"', 'amount: {fixed: "40.00"')
    )
    old, new = compile_contract(contract(EXAMPLE)), compile_contract(contract(new_path))
    result = replay(old, new, DATA / "leads.csv", DATA / "events.jsonl", as_of=AS_OF_TIME)
    # One webinar opportunity in the data: the sdr's 40% went to ben, the ae's 60% found no
    # ae on the lead and stays unassigned.
    assert result.money_delta == {"EUR": Decimal("0.00"), "USD": Decimal("-60.00")}
    assert result.spiffs_old["ben"]["USD"] - result.spiffs_new["ben"]["USD"] == Decimal("24.00")
    unassigned = result.spiffs_old["(unassigned)"]["USD"] - result.spiffs_new["(unassigned)"]["USD"]
    assert unassigned == Decimal("36.00")
    assert result.spiffs_old["carl"] == result.spiffs_new["carl"]
    (change,) = diff_contracts(old.contract, new.contract).changes
    assert (change.summary, change.impact) == (
        "spiff `webinar-opportunity` amount fixed: 100.00 -> 40.00",
        Impact.SALES,
    )


def test_git_revisions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("git") is None:  # pragma: no cover - git is part of the dev setup
        pytest.fail("git is needed for this test")
    repo = tmp_path / "repo"
    variant(repo, name="contract")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t.example"]
    git += ["-c", "commit.gpgsign=false"]  # whatever the machine's git config says
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "v1"], check=True)
    lead = repo / "contract" / "lead.yaml"
    lead.write_text(lead.read_text(encoding="utf-8").replace(MQL_60, MQL_65), encoding="utf-8")
    monkeypatch.chdir(repo)
    code, out, err = run(["diff", "HEAD:contract", "contract"], capsys)
    assert (code, err) == (0, "")
    assert "stage `mql` entry criteria: score >= 60 -> 65" in out
    code, out, err = run(["diff", "HEAD:contract/lead.yaml", "contract/lead.yaml"], capsys)
    # One file of a folder contract is not a whole contract: its errors are reported.
    assert code == 2
    assert "has errors" in err
    code, out, err = run(["diff", "nosuchrev:contract", "contract"], capsys)
    assert code == 2
    assert err.startswith("leadcontract: ")


def test_lint_errors_of_a_git_revision_name_the_revision_and_its_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A revision is unpacked into a temporary folder; its lint errors named that folder
    (/tmp/leadcontract-xyz/contract/slas.yaml:14:15), which is gone when they are read and is
    not where anyone can fix the file."""
    if shutil.which("git") is None:  # pragma: no cover - git is part of the dev setup
        pytest.fail("git is needed for this test")
    repo = tmp_path / "repo"
    variant(repo, ("slas.yaml", "calendar: us-east\n    clock_zone: owner\n    warn_at",
                   "calendar: us-eastt\n    clock_zone: owner\n    warn_at"),
            name="contract")  # fmt: skip
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t.example"]
    git += ["-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "broken"], check=True)
    shutil.copy(EXAMPLE / "slas.yaml", repo / "contract" / "slas.yaml")  # fixed since
    monkeypatch.chdir(repo)
    code, _, err = run(["diff", "HEAD:contract", "contract"], capsys)
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == "leadcontract: the contract HEAD:contract has errors; fix them first:"
    assert lines[1] == "HEAD:contract/slas.yaml:14:15: LC303 error: unknown calendar `us-eastt`"
    code, _, err = run(["diff", "contract", "HEAD:./contract/slas.yaml"], capsys)
    assert code == 2
    assert "\nHEAD:./contract/slas.yaml:5:1: LC102 error: missing required key" in err
    assert "leadcontract-" not in err


def test_the_report_cannot_overwrite_a_file_of_either_contract_or_the_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'-o NEW/slas.yaml' replaced the new contract's SLAs with 'No semantic changes.'."""
    new = variant(tmp_path)
    slas = new / "slas.yaml"
    before = slas.read_bytes()
    code, _, err = run(["diff", str(EXAMPLE), str(new), "-o", str(slas)], capsys)
    assert code == 2
    assert f"--out {slas} would overwrite the input {new}; write elsewhere" in err
    assert slas.read_bytes() == before
    leads = tmp_path / "leads.csv"
    shutil.copy(DATA / "leads.csv", leads)
    argv = ["diff", str(EXAMPLE), str(new), "--replay", "--leads", str(leads), "--as-of", AS_OF]
    code, _, _ = run([*argv, "-o", str(leads)], capsys)
    assert code == 2
    assert leads.read_bytes() == (DATA / "leads.csv").read_bytes()


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["diff", str(EXAMPLE), str(EXAMPLE), "--replay"], capsys)
    assert (code, "--replay needs --leads and --as-of" in err) == (2, True)
    argv = ["diff", str(EXAMPLE), str(EXAMPLE), "--replay", "--leads", str(tmp_path / "x.csv")]
    code, _, err = run([*argv, "--as-of", AS_OF], capsys)
    assert (code, "no such file" in err) == (2, True)
    argv = ["diff", str(EXAMPLE), str(EXAMPLE), "--replay", "--leads", str(DATA / "leads.csv")]
    code, _, err = run([*argv, "--as-of", "yesterday"], capsys)
    assert (code, "not an ISO 8601 time" in err) == (2, True)
    code, out, _ = run(["diff", str(EXAMPLE), str(EXAMPLE)], capsys)
    assert (code, out) == (0, "No semantic changes.\n")


def test_check_version_for_ci(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unbumped = variant(tmp_path, ("lead.yaml", MQL_60, MQL_65))
    code, _, err = run(["diff", "--check-version", str(EXAMPLE), str(unbumped)], capsys)
    assert code == 1
    assert "the changes need version 3.0.0 or later; NEW says 2.1.0" in err
    bumped = variant(
        tmp_path,
        ("lead.yaml", MQL_60, MQL_65),
        ("contract.yaml", "version: 2.1.0", "version: 3.0.0"),
        name="bumped",
    )
    code, _, err = run(["diff", "--check-version", str(EXAMPLE), str(bumped)], capsys)
    assert (code, err) == (0, "")
