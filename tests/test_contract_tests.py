"""``leadcontract test``: contract tests as YAML cases, coverage, and the three report formats."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import xmlschema
import yaml

from leadcontract import cli
from leadcontract.authoring.cases import case_schema_text
from leadcontract.authoring.testing import coverage_items
from leadcontract.engine import compile_contract
from leadcontract.loader import load

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "contracts" / "example"
JUNIT_XSD = HERE / "data" / "external" / "junit-windyroad.xsd"

LEAD = (
    "{lead_id: X1, email: a@gmail.com, last_name: A, company: B, campaign: webinar-q4, "
    "created_at: 2026-11-10T14:00:00Z}"
)
FAILING = f"""\
as_of: 2026-11-16T17:00:00Z
cases:
  - name: a free-mail lead expected to be an MQL
    lead: {LEAD}
    events:
      - {{type: webinar_attended, at: 2026-11-12T15:00:00Z}}
    expect:
      stage: mql
      score: {{min: 60}}
  - name: the same lead, expected where it is
    lead: {LEAD}
    expect:
      stage: inquiry
"""


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cases_file(tmp_path: Path, text: str, name: str = "cases.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_cases_pass_with_high_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["test", str(EXAMPLE), "--coverage", "--fail-under", "95"], capsys)
    assert (code, err) == (0, ""), out
    assert "0 failed" in out
    percent = float(out.split("coverage: ")[1].split("%")[0])
    assert percent >= 95


def test_a_failure_shows_expected_observed_and_the_deciding_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = cases_file(tmp_path, FAILING)
    code, out, _ = run(["test", str(EXAMPLE), "--cases", str(path)], capsys)
    assert code == 1
    assert f"FAIL {path}:3 a free-mail lead expected to be an MQL" in out
    assert f"PASS {path}:10 the same lead, expected where it is" in out
    assert "stage: expected 'mql', observed 'inquiry'" in out
    # The explanation of the MQL criteria: the score it had and the threshold it needed.
    assert "lifecycle.mql (/lead/lifecycle/stages/1/when): criteria not met" in out
    assert "needs >= 60" in out
    assert "score: expected '>= 60', observed '-6.35'" in out
    assert "fit personal-email: -20" in out
    assert "1 passed, 1 failed" in out


def test_a_spiff_the_contract_does_not_have_fails_its_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt spiff was read as "earned 0": a case pinning 0 for it passed, pinning
    nothing. It fails as an unknown SLA does."""
    text = f"""\
as_of: 2026-11-16T17:00:00Z
cases:
  - name: a misspelt spiff
    lead: {LEAD}
    expect:
      spiffs: {{webinar-oportunity: 0, webinar-opportunity: 0}}
"""
    path = cases_file(tmp_path, text)
    code, out, _ = run(["test", str(EXAMPLE), "--cases", str(path)], capsys)
    assert code == 1
    assert f"FAIL {path}:3 a misspelt spiff" in out
    assert (
        "spiffs.webinar-oportunity: expected 'a spiff of the contract', observed 'no such spiff'"
        in out
    )
    assert "spiffs.webinar-opportunity:" not in out  # the real one, not earned: 0 holds


def test_a_line_break_in_a_case_cannot_print_a_line_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A case's name was printed as written: a line break in it printed a 'PASS' line under
    the failed case, which a reader (or a grep in CI) takes for a passing case."""
    text = f"""\
as_of: 2026-11-16T17:00:00Z
cases:
  - name: "really fails\\nPASS cases.yaml:1 all good"
    lead: {LEAD}
    expect: {{stage: "mql\\n    fake"}}
"""
    path = cases_file(tmp_path, text)
    code, out, _ = run(["test", str(EXAMPLE), "--cases", str(path)], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"FAIL {path}:3 really fails\\nPASS cases.yaml:1 all good"
    assert lines[1] == "    stage: expected 'mql\\n    fake', observed 'inquiry'"
    assert not any(line.startswith("PASS") for line in lines)


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = cases_file(tmp_path, FAILING)
    code, out, _ = run(["test", str(EXAMPLE), "--cases", str(path), "--format", "json"], capsys)
    report = json.loads(out)
    assert code == 1
    assert report["counts"] == {"cases": 2, "failed": 1}
    stage = report["cases"][0]["mismatches"][0]
    assert (stage["what"], stage["expected"], stage["observed"]) == ("stage", "mql", "inquiry")
    assert report["cases"][1]["passed"] is True


def test_junit_report_is_valid_against_the_junit_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = cases_file(tmp_path, FAILING)
    out_file = tmp_path / "junit.xml"
    code, _, _ = run(
        ["test", str(EXAMPLE), "--cases", str(path), "--format", "junit", "-o", str(out_file)],
        capsys,
    )
    assert code == 1
    schema = xmlschema.XMLSchema(str(JUNIT_XSD))
    schema.validate(str(out_file))
    document = schema.to_dict(str(out_file))
    suite = document["testsuite"][0]
    assert (suite["@tests"], suite["@failures"], suite["@errors"]) == (2, 1, 0)
    assert "expected 'mql'" in suite["testcase"][0]["failure"]["@message"]


def test_junit_stays_well_formed_whatever_the_case_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """XML 1.0 cannot hold a control character even escaped; a case name or value with one
    (YAML's "\\e", "\\0") made the report not well-formed, and the CI server read none of it."""
    text = f"""\
as_of: 2026-11-16T17:00:00Z
cases:
  - name: "esc \\e and nul \\0 end"
    lead: {LEAD}
    expect: {{stage: "mql\\b"}}
"""
    path = cases_file(tmp_path, text)
    out_file = tmp_path / "junit.xml"
    argv = ["test", str(EXAMPLE), "--cases", str(path), "--format", "junit", "-o", str(out_file)]
    code, _, _ = run(argv, capsys)
    assert code == 1
    schema = xmlschema.XMLSchema(str(JUNIT_XSD))
    schema.validate(str(out_file))
    case = schema.to_dict(str(out_file))["testsuite"][0]["testcase"][0]
    assert case["@name"] == "esc \\x1b and nul \\x00 end"
    assert "expected 'mql\\x08'" in case["failure"]["@message"]


def test_junit_of_the_example_and_of_unreadable_case_files_is_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = xmlschema.XMLSchema(str(JUNIT_XSD))
    code, out, _ = run(["test", str(EXAMPLE), "--format", "junit"], capsys)
    assert code == 0
    schema.validate(out)
    folder = tmp_path / "cases"
    folder.mkdir()
    cases_file(folder, FAILING, "a.yaml")
    cases_file(folder, "cases: []\n", "b.yaml")
    code, out, err = run(
        ["test", str(EXAMPLE), "--cases", str(folder), "--format", "junit"], capsys
    )
    assert code == 2
    schema.validate(out)
    assert "b.yaml" in err


def test_fail_under_fails_when_coverage_is_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    only_the_passing_case = FAILING.replace(
        FAILING[FAILING.index("  - name: a free") : FAILING.index("  - name: the same")], ""
    )
    path = cases_file(tmp_path, only_the_passing_case)
    code, out, err = run(["test", str(EXAMPLE), "--cases", str(path), "--fail-under", "50"], capsys)
    assert code == 1
    assert "0 failed" in out
    assert "is below --fail-under 50%" in err
    # What no case exercised is named, down to an SLA's triggers.
    assert "  sla.first-touch.pause\n" in out
    assert "  spiff.partner-won\n" in out


def test_coverage_items_name_every_rule_stage_handoff_trigger_and_spiff() -> None:
    loaded = load(EXAMPLE)
    assert loaded.contract is not None
    items = coverage_items(compile_contract(loaded.contract))
    assert "scoring.fit.icp-industry" in items
    assert "scoring.engagement.email-click" in items
    assert "stage.nurture" in items
    assert "handoff.partner-emea" in items
    assert {"sla.first-touch.start", "sla.first-touch.pause", "sla.first-touch.resume"} <= set(
        items
    )
    assert "sla.six-attempts.stop" not in items  # an attempts SLA has no stop trigger
    assert "spiff.content-accepted-trial" in items
    assert len(items) == len(set(items)) == 48


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "as_of: 2026-11-16T17:00:00Z\ncases:\n  - name: x\n    lead: {}\n"
            "    expect: {stag: mql}\n",
            ":5:",
            "expect.stag",
        ),
        ("cases:\n  - name: x\n    lead: {}\n    expect: {stage: mql}\n", ":2:", "has no `as_of`"),
        (
            "as_of: 2026-11-16T17:00:00\ncases:\n  - name: x\n    lead: {}\n"
            "    expect: {stage: mql}\n",
            ":3:",
            "needs a UTC offset",
        ),
        (
            "as_of: 2026-11-16T17:00:00Z\ncases:\n  - name: x\n    lead: {}\n"
            "    expect: {stage: mql}\n  - name: x\n    lead: {}\n    expect: {stage: mql}\n",
            ":6:",
            "used twice",
        ),
        ("as_of: [unclosed\n", ":", "expected"),
        (
            "as_of: 2026-11-16T17:00:00Z\ncases:\n  - name: x\n    lead: {}\n"
            "    expect: {score: {min: 70, max: 60}}\n",
            ":5:",
            "is above `max`",
        ),
    ],
    ids=["unknown-key", "no-as-of", "naive-as-of", "duplicate-name", "bad-yaml", "bad-range"],
)
def test_a_bad_case_file_is_an_error_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str, message: str
) -> None:
    path = cases_file(tmp_path, text)
    code, _, err = run(["test", str(EXAMPLE), "--cases", str(path)], capsys)
    assert code == 2
    assert f"{path}{where}" in err
    assert message in err


@pytest.mark.parametrize(
    ("expect", "where", "message"),
    [
        ("{}", ":5:5", "`expect` pins nothing"),
        ("{stage: null}", ":5:5", "`expect` pins nothing"),
        ("{slas: {first-touch: {}}}", ":5:21", "an SLA expectation needs `status`, `party`"),
        ("{handoff: {}}", ":5:14", "a handoff expectation needs one of `due`"),
    ],
)
def test_an_expectation_that_pins_nothing_is_an_error_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], expect: str, where: str, message: str
) -> None:
    """A case that expected nothing passed whatever the contract said, and its lead's rules
    still counted as covered: --fail-under passed on cases that check nothing."""
    text = (
        f"as_of: 2026-11-16T17:00:00Z\ncases:\n  - name: x\n    lead: {LEAD}\n"
        f"    expect: {expect}\n"
    )
    path = cases_file(tmp_path, text)
    code, _, err = run(["test", str(EXAMPLE), "--cases", str(path)], capsys)
    assert code == 2
    assert f"{path}{where}" in err
    assert message in err


def test_a_lead_that_is_an_error_row_fails_its_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "as_of: 2026-11-16T17:00:00Z\ncases:\n  - name: no company\n"
        "    lead: {lead_id: Y, email: a@b.example, last_name: A, campaign: demo-request,"
        " created_at: 2026-11-10T14:00:00Z}\n    expect: {stage: inquiry}\n"
    )
    code, out, _ = run(["test", str(EXAMPLE), "--cases", str(cases_file(tmp_path, text))], capsys)
    assert code == 1
    assert "error row" in out
    assert "company" in out


@pytest.mark.parametrize("share", ["nan", "-1", "150", "inf", "ninety"])
def test_fail_under_takes_a_percentage_from_0_to_100(
    share: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--fail-under nan`` compared false with every coverage: the gate passed every run
    without a word (``-1`` as well; ``150`` failed every run)."""
    with pytest.raises(SystemExit) as stopped:
        cli.main(["test", str(EXAMPLE), "--fail-under", share])
    assert stopped.value.code == 2
    assert f"expected a percentage from 0 to 100, got '{share}'" in capsys.readouterr().err


def test_the_report_cannot_overwrite_a_case_file_or_the_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'-o' naming a case file replaced the cases with the report of their run."""
    contract = tmp_path / "contract"
    shutil.copytree(EXAMPLE, contract, ignore=shutil.ignore_patterns("data"))
    cases = contract / "tests" / "scoring-and-stages.yaml"
    before = cases.read_bytes()
    for target in (cases, contract / "lead.yaml"):
        code, _, err = run(["test", str(contract), "-o", str(target)], capsys)
        assert code == 2
        assert f"--out {target} would overwrite the input {contract}; write elsewhere" in err
    assert cases.read_bytes() == before
    other = tmp_path / "more-cases.yaml"
    other.write_bytes(before)
    code, _, err = run(["test", str(EXAMPLE), "--cases", str(other), "-o", str(other)], capsys)
    assert (code, other.read_bytes()) == (2, before)


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["test", str(EXAMPLE), "--cases", str(tmp_path / "none")], capsys)
    assert (code, "no such file" in err) == (2, True)
    (tmp_path / "contract.yaml").write_text(
        (HERE / "fixtures" / "minimal.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    code, _, err = run(["test", str(tmp_path)], capsys)
    assert (code, "no case files" in err) == (2, True)
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: leadcontract/v1\n", encoding="utf-8")
    code, _, err = run(["test", str(broken), "--cases", str(EXAMPLE / "tests")], capsys)
    assert (code, "has errors" in err) == (2, True)


def test_the_case_file_schema_is_current() -> None:
    checked_in = (ROOT / "schemas" / "leadcontract-tests.schema.json").read_text(encoding="utf-8")
    assert checked_in == case_schema_text(), (
        "regenerate: python -m leadcontract.authoring.cases schemas/leadcontract-tests.schema.json"
    )


def test_the_example_case_files_are_valid_against_the_schema() -> None:
    schema = json.loads(case_schema_text())
    for path in sorted((EXAMPLE / "tests").glob("*.yaml")):
        data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
        jsonschema.validate(data, schema)


def test_the_contract_loader_does_not_read_the_tests_folder() -> None:
    loaded = load(EXAMPLE)
    assert loaded.ok
    assert loaded.source is not None
    assert not any("/tests/" in f for f in loaded.source.files)
