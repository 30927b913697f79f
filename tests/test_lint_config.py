"""Lint configuration, waivers and every-diagnostic-at-once, through ``leadcontract lint``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leadcontract import cli

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "contracts" / "example"

BONUS_SPIFF = """
  demo-sql-bonus:
    description: A bonus on top of demo-fast-touch for the same SQL, on purpose.
    campaigns: [demo-request]
    outcome: sql
    amount: {fixed: "25.00", currency: USD}
"""
WAIVER = """
waivers:
  - code: LC703
    where: /spiffs/demo-sql-bonus
    reason: base plus bonus, agreed in the Q4 renegotiation
    who: Priya Raman and Marcus Bell
    until: 2026-12-31
"""


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def overlapping(tmp_path: Path) -> Path:
    """The example contract with a deliberate second spiff for the same outcome (LC703)."""
    folder = tmp_path / "project" / "contract"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("data", "tests"))
    spiffs = folder / "spiffs.yaml"
    spiffs.write_text(spiffs.read_text(encoding="utf-8") + BONUS_SPIFF, encoding="utf-8")
    return folder


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in the file (which must hold it)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def with_waiver(folder: Path, waiver: str = WAIVER) -> None:
    contract = folder / "contract.yaml"
    contract.write_text(contract.read_text(encoding="utf-8") + waiver, encoding="utf-8")


def test_the_overlap_fails_strict_without_a_waiver(
    overlapping: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["lint", "--strict", str(overlapping)], capsys)
    assert code == 1
    assert "LC703 warning: spiffs `demo-fast-touch`" in out


def test_a_waiver_lets_a_deliberate_overlap_pass_strict(
    overlapping: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_waiver(overlapping)
    code, out, err = run(["lint", "--strict", "--today", "2026-11-16", str(overlapping)], capsys)
    assert (code, err) == (0, "")
    assert out == "no problems in 6 files\n1 finding(s) waived by the contract's `waivers`\n"


def test_an_expired_waiver_is_a_finding_and_the_overlap_is_back(
    overlapping: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_waiver(overlapping)
    code, out, _ = run(["lint", "--today", "2027-01-01", str(overlapping)], capsys)
    assert code == 0  # both are warnings
    assert "LC703 warning" in out
    assert "LC901 warning: waiver of LC703 at `/spiffs/demo-sql-bonus` expired on 2026-12-31" in out
    assert "contract.yaml:" in out.split("LC901")[0].splitlines()[-1]
    code, _, _ = run(["lint", "--strict", "--today", "2027-01-01", str(overlapping)], capsys)
    assert code == 1


def test_a_waiver_for_the_wrong_place_is_reported_and_waives_nothing(
    overlapping: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_waiver(overlapping, WAIVER.replace("/spiffs/demo-sql-bonus", "/spiffs/partner-won"))
    code, out, _ = run(["lint", "--strict", "--today", "2026-11-16", str(overlapping)], capsys)
    assert code == 1
    assert "LC703 warning" in out
    assert "LC902 warning: waiver of LC703 at `/spiffs/partner-won` matches no finding" in out


def test_a_waiver_needs_its_reason_and_who(
    overlapping: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_waiver(overlapping, WAIVER.replace("    who: Priya Raman and Marcus Bell\n", ""))
    code, out, _ = run(["lint", str(overlapping)], capsys)
    assert code == 1
    assert "LC102 error: missing required key `who` in `waivers.0`" in out


def write_pyproject(folder: Path, table: str) -> None:
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.leadcontract]\n' + table, encoding="utf-8"
    )


def test_pyproject_ignore_found_by_walking_up(
    overlapping: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_pyproject(overlapping.parent, 'ignore = ["LC703"]\n')
    code, out, _ = run(["lint", "--strict", str(overlapping)], capsys)
    assert (code, out) == (0, "no problems in 6 files\n")


def test_severity_and_select(overlapping: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(overlapping.parent, '[tool.leadcontract.severity]\nLC703 = "error"\n')
    code, out, _ = run(["lint", str(overlapping)], capsys)
    assert code == 1
    assert "LC703 error" in out
    write_pyproject(overlapping.parent, 'select = ["LC6"]\n')
    code, out, _ = run(["lint", "--strict", str(overlapping)], capsys)
    assert (code, out) == (0, "no problems in 6 files\n")
    # Dotted names work like codes.
    write_pyproject(overlapping.parent, 'ignore = ["spiff.overlap"]\n')
    code, _, _ = run(["lint", "--strict", str(overlapping)], capsys)
    assert code == 0


def test_a_nearer_yaml_config_wins_and_per_path_ignores(
    overlapping: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_pyproject(overlapping.parent, 'ignore = ["LC703"]\n')
    (overlapping / ".leadcontract.yaml").write_text(
        "select: [LC]\nper-path-ignores:\n  other/*: [LC703]\n", encoding="utf-8"
    )
    code, out, _ = run(["lint", "--strict", str(overlapping)], capsys)
    assert code == 1  # the folder's own config does not ignore LC703 here
    (overlapping / ".leadcontract.yaml").write_text(
        "per-path-ignores:\n  spiffs.yaml: [LC703]\n", encoding="utf-8"
    )
    code, out, _ = run(["lint", "--strict", str(overlapping)], capsys)
    assert (code, out) == (0, "no problems in 6 files\n")


def test_explicit_config_file(
    overlapping: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "lint.yaml"
    config.write_text("ignore: [LC7]\n", encoding="utf-8")
    code, _, _ = run(["lint", "--strict", "--config", str(config), str(overlapping)], capsys)
    assert code == 0


def test_structure_errors_cannot_be_ignored(
    overlapping: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(overlapping / "spiffs.yaml", "outcome: won", "outcom: won")
    write_pyproject(overlapping.parent, 'ignore = ["LC1", "LC703"]\n')
    code, out, _ = run(["lint", str(overlapping)], capsys)
    assert code == 1
    assert "LC101 error: unknown key `outcom`" in out


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('ignore = "LC703"\n', "`ignore`: Input should be a valid list"),
        ("unknown = 1\n", "`unknown`: Extra inputs are not permitted"),
        ('[tool.leadcontract.severity]\nLC999 = "error"\n', "unknown diagnostic code(s): LC999"),
        (
            '[tool.leadcontract.severity]\nLC101 = "warning"\n',
            "the severity of LC101 cannot change",
        ),
        ("select = [\n", "pyproject.toml: "),
    ],
    ids=["wrong-type", "unknown-key", "unknown-code", "protected", "bad-toml"],
)
def test_a_bad_configuration_is_a_usage_error(
    overlapping: Path, capsys: pytest.CaptureFixture[str], table: str, message: str
) -> None:
    write_pyproject(overlapping.parent, table)
    code, out, err = run(["lint", str(overlapping)], capsys)
    assert (code, out) == (2, "")
    assert str(overlapping.parent / "pyproject.toml") in err
    assert message in err


def test_every_diagnostic_at_once(overlapping: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A schema error in one campaign, and a reference error in an SLA: both are reported in
    # one run; the SLAs and spiffs that name the broken campaign are not blamed for it.
    edit(
        overlapping / "campaigns.yaml",
        "leads_per_week: 40, reps: 2,",
        "leads_per_week: lots, reps: 2,",
    )
    edit(
        overlapping / "slas.yaml",
        "calendar: us-east\n    clock_zone: lead",
        "calendar: us-west\n    clock_zone: lead",
    )
    code, out, _ = run(["lint", str(overlapping)], capsys)
    assert code == 1
    codes = [line.split(": ")[1].split()[0] for line in out.splitlines() if ": LC" in line]
    assert "LC103" in codes  # the schema error in campaign demo-request
    assert any(c.startswith("LC3") for c in codes)  # the unknown calendar of first-touch
    assert "unknown calendar `us-west`" in out
    assert "campaigns.demo-request.capacity.leads_per_week" in out
    # first-touch-demo and demo-fast-touch name the campaign left out: not blamed for it
    assert "unknown campaign" not in out
    assert len(codes) == 2


def test_errors_cannot_be_waived(overlapping: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(overlapping / "slas.yaml", "calendar: us-east\n", "calendar: us-west\n")
    with_waiver(overlapping, WAIVER + "  - {code: LC303, where: /slas, reason: r, who: w}\n")
    code, out, _ = run(["lint", "--today", "2026-11-16", str(overlapping)], capsys)
    lines = [line for line in out.splitlines() if ": LC" in line]
    assert code == 1
    assert any("LC303 error: unknown calendar `us-west`" in line for line in lines), out
    assert any("LC902" in line and "errors cannot be waived" in line for line in lines), out


def test_a_broken_lead_field_does_not_hide_other_errors(
    overlapping: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(overlapping / "lead.yaml", "employees: {type: integer,", "employees: {type: integr,")
    edit(overlapping / "slas.yaml", "calendar: us-east\n", "calendar: us-west\n")
    code, out, _ = run(["lint", str(overlapping)], capsys)
    codes = [line.split(": ")[1].split()[0] for line in out.splitlines() if ": LC" in line]
    assert code == 1
    # the schema error, the unknown calendar and the spiff overlap; the conditions that read
    # the broken field are not blamed for it
    assert codes == ["LC103", "LC303", "LC703"], out
