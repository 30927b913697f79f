"""``leadcontract lint``: exit codes, the four output formats, files and several paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sarif_support import assert_valid_sarif

from leadcontract import __version__, cli
from leadcontract.reporters import SARIF_SCHEMA_URI

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASE = HERE / "fixtures" / "minimal.yaml"
FOLDER = HERE / "fixtures" / "folder"
EXAMPLE = ROOT / "contracts" / "example"


def base_with(tmp_path: Path, old: str, new: str, name: str = "contract.yaml") -> Path:
    text = BASE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.fixture
def with_error(tmp_path: Path) -> Path:
    """An unknown stage (LC302, an error) on line 84, column 22."""
    return base_with(tmp_path, "handoff: {stage: mql,", "handoff: {stage: mqll,", "error.yaml")


@pytest.fixture
def with_warning(tmp_path: Path) -> Path:
    """A capacity shortfall (LC502, a warning) on line 85, column 5."""
    return base_with(tmp_path, "leads_per_week: 20,", "leads_per_week: 30,", "warning.yaml")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------------------------
# Exit codes


@pytest.mark.parametrize("path", [BASE, FOLDER, EXAMPLE], ids=["file", "folder", "example"])
def test_a_clean_contract_exits_0(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["lint", str(path)], capsys)
    assert (code, err) == (0, "")
    assert out.startswith("no problems in ")


def test_errors_exit_1(with_error: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lint", str(with_error)], capsys)
    assert code == 1
    assert out.splitlines() == [
        f"{with_error}:84:22: LC302 error: unknown stage `mqll`",
        "  hint: did you mean `mql`?",
        "1 error, 0 warnings in 1 file",
    ]


def test_warnings_exit_0_unless_strict(
    with_warning: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["lint", str(with_warning)], capsys)
    assert code == 0
    assert out.splitlines()[0].startswith(f"{with_warning}:85:5: LC502 warning: ")
    assert out.splitlines()[-1] == "0 errors, 1 warning in 1 file"
    code, strict_out, _ = run(["lint", "--strict", str(with_warning)], capsys)
    assert code == 1
    assert strict_out == out


def test_strict_does_not_change_a_clean_result(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["lint", "--strict", str(BASE)], capsys)[0] == 0


def test_a_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.yaml"
    code, out, _ = run(["lint", str(missing)], capsys)
    assert code == 2
    assert out.startswith(f"{missing}:1:1: LC001 error: cannot read ")


def test_an_empty_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lint", str(tmp_path)], capsys)
    assert code == 2
    assert out.startswith(f"{tmp_path}:1:1: LC010 error: ")


def test_an_unreadable_path_exits_2_even_next_to_errors(
    tmp_path: Path, with_error: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["lint", str(with_error), str(tmp_path / "nowhere")], capsys)
    assert code == 2
    assert "LC302" in out
    assert "LC001" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["lint", "--bogus", str(BASE)],
        ["lint", "--format", "xml", str(BASE)],
        ["lint"],
        ["frobnicate"],
        [],
    ],
    ids=["unknown-option", "unknown-format", "no-path", "unknown-command", "no-command"],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        cli.main(argv)
    assert raised.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage: leadcontract" in captured.err


def test_an_unwritable_output_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no" / "such" / "folder" / "report.json"
    code, out, err = run(["lint", str(BASE), "--output", str(target)], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith(f"leadcontract: cannot write {target}: ")


# --------------------------------------------------------------------------------------------
# Formats


def test_json_format(with_error: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lint", "--format", "json", str(with_error)], capsys)
    assert code == 1
    document = json.loads(out)
    assert document["version"] == __version__
    assert document["summary"] == {"errors": 1, "warnings": 0}
    assert document["diagnostics"] == [
        {
            "code": "LC302",
            "name": "reference.unknown-stage",
            "severity": "error",
            "message": "unknown stage `mqll`",
            "file": str(with_error),
            "line": 84,
            "column": 22,
            "pointer": "/campaigns/webinar/handoff/stage",
            "hint": "did you mean `mql`?",
        }
    ]


def test_json_format_of_a_clean_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lint", "--format", "json", str(BASE)], capsys)
    assert code == 0
    assert json.loads(out)["diagnostics"] == []


def test_github_format(
    with_error: Path, with_warning: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["lint", "--format", "github", str(with_error), str(with_warning)], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines == [
        f"::error file={with_error},line=84,col=22,title=LC302 reference.unknown-stage"
        "::unknown stage `mqll` — hint: did you mean `mql`?",
        f"::warning file={with_warning},line=85,col=5,title=LC502 campaign.capacity-shortfall"
        "::campaign `webinar` expects 30 leads a week but 1 rep × 20 leads each can work 20: "
        "10 leads a week would go unworked — hint: plan 2 reps, or lower `leads_per_week`",
    ]
    assert lines[0].startswith("::error file=")


def test_sarif_format(with_error: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lint", "--format", "sarif", str(with_error)], capsys)
    assert code == 1
    document = json.loads(out)
    assert_valid_sarif(document)
    assert document["$schema"] == SARIF_SCHEMA_URI
    (sarif_run,) = document["runs"]
    assert sarif_run["tool"]["driver"]["version"] == __version__
    (result,) = sarif_run["results"]
    assert result["ruleId"] == "LC302"
    assert result["level"] == "error"
    (location,) = result["locations"]
    assert location["physicalLocation"]["region"] == {"startLine": 84, "startColumn": 22}
    assert location["logicalLocations"] == [
        {"fullyQualifiedName": "/campaigns/webinar/handoff/stage"}
    ]
    assert sarif_run["artifacts"] == [
        {"location": {"uri": location["physicalLocation"]["artifactLocation"]["uri"]}}
    ]


def test_sarif_of_a_clean_folder_lists_its_files(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lint", "--format", "sarif", str(FOLDER)], capsys)
    assert code == 0
    document = json.loads(out)
    assert_valid_sarif(document)
    (sarif_run,) = document["runs"]
    assert sarif_run["results"] == []
    assert len(sarif_run["artifacts"]) == 5


# --------------------------------------------------------------------------------------------
# --output


@pytest.mark.parametrize(
    ("suffix", "check"),
    [
        (".sarif", lambda text: json.loads(text)["version"] == "2.1.0"),
        (".json", lambda text: json.loads(text)["summary"] == {"errors": 1, "warnings": 0}),
        (".txt", lambda text: text.endswith("1 error, 0 warnings in 1 file\n")),
        (".log", lambda text: text.endswith("1 error, 0 warnings in 1 file\n")),
    ],
)
def test_output_infers_the_format_from_its_suffix(
    tmp_path: Path,
    with_error: Path,
    suffix: str,
    check: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / f"report{suffix}"
    code, out, err = run(["lint", str(with_error), "--output", str(target)], capsys)
    assert (code, out, err) == (1, "", "")
    assert check(target.read_text(encoding="utf-8"))


def test_output_sarif_file_validates(
    tmp_path: Path, with_error: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "lint.SARIF"
    assert run(["lint", "-o", str(target), str(with_error)], capsys)[0] == 1
    assert_valid_sarif(json.loads(target.read_text(encoding="utf-8")))


def test_an_explicit_format_wins_over_the_suffix(
    tmp_path: Path, with_error: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.sarif"
    assert run(["lint", "--format", "github", "-o", str(target), str(with_error)], capsys)[0] == 1
    assert target.read_text(encoding="utf-8").startswith("::error file=")


# --------------------------------------------------------------------------------------------
# Several paths


def test_several_paths_are_linted_one_by_one(
    with_error: Path, with_warning: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["lint", str(BASE), str(FOLDER), str(with_warning), str(with_error)], capsys)
    assert code == 1
    lines = out.splitlines()
    assert [line.split(": ")[0] for line in lines if not line.startswith(" ")][:2] == [
        f"{with_error}:84:22",
        f"{with_warning}:85:5",
    ]
    # 1 + 5 + 1 + 1 files were checked
    assert lines[-1] == "1 error, 1 warning in 8 files"


def test_several_clean_paths_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lint", str(BASE), str(FOLDER), str(EXAMPLE)], capsys)
    assert code == 0
    assert out == "no problems in 12 files\n"


def test_one_path_with_warnings_and_one_clean_fails_only_when_strict(
    with_warning: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["lint", str(BASE), str(with_warning)], capsys)[0] == 0
    assert run(["lint", "--strict", str(BASE), str(with_warning)], capsys)[0] == 1


# --------------------------------------------------------------------------------------------
# The real command


def test_the_command_runs_as_a_program(with_error: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "leadcontract.cli", "lint", "--format", "json", str(with_error)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )
    assert completed.returncode == 1, completed.stderr
    assert completed.stderr == ""
    (diagnostic,) = json.loads(completed.stdout)["diagnostics"]
    assert (diagnostic["code"], diagnostic["line"], diagnostic["column"]) == ("LC302", 84, 22)
