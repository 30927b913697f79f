"""The command line's manners: version, did-you-mean, examples, relative --as-of, completion."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from leadcontract._version import __version__
from leadcontract.cli import build_parser, main
from leadcontract.cli._time import parse_as_of

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "contracts" / "example"
DATA = EXAMPLE / "data"
NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 9, 3, 30, tzinfo=UTC)  # 8 March 23:30 in New York, the DST night


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([flag])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"leadcontract {__version__}\n"


def test_version_imports_nothing_heavy() -> None:
    """``--version`` and ``--help`` answer without importing the engine or pydantic."""
    code = (
        "import sys\nfrom leadcontract.cli import build_parser\nbuild_parser()\n"
        "heavy = [m for m in ('pydantic', 'leadcontract.engine', 'yaml') if m in sys.modules]\n"
        "print(heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "leadcontract", "-V"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, f"leadcontract {__version__}\n")


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["evalute"], "did you mean 'evaluate'?"),
        (["lint", str(EXAMPLE), "--strikt"], "did you mean '--strict' for '--strikt'?"),
        (
            ["report", str(EXAMPLE), "--leads", "x", "--as-of", "now", "--by=rep", "--fromat=csv"],
            "'--format' for '--fromat'",
        ),
    ],
)
def test_a_mistyped_command_or_flag_gets_a_suggestion(
    argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert hint in capsys.readouterr().err


def test_nonsense_gets_no_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["lint", str(EXAMPLE), "--qqqqqqq"])
    assert "did you mean" not in capsys.readouterr().err


def test_every_command_has_an_example_in_its_help() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert subparsers.choices
    for name, command in subparsers.choices.items():  # type: ignore[union-attr]
        assert "leadcontract" in (command.epilog or ""), f"{name} --help has no example"


# --- --as-of now / today ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("NOW-2h", datetime(2026, 3, 9, 1, 30, tzinfo=UTC)),
        ("now+90m", datetime(2026, 3, 9, 5, 0, tzinfo=UTC)),
        ("today", datetime(2026, 3, 8, tzinfo=NY)),
        ("today+1d", datetime(2026, 3, 9, tzinfo=NY)),  # midnight after the DST change
        ("today-1w", datetime(2026, 3, 1, tzinfo=NY)),
        ("2026-11-16T17:00:00Z", datetime(2026, 11, 16, 17, tzinfo=UTC)),
        ("2026-11-16T12:00:00", datetime(2026, 11, 16, 12, tzinfo=NY)),
    ],
)
def test_as_of_forms(text: str, expected: datetime) -> None:
    value, relative = parse_as_of(text, NY, NOW)
    assert value == expected
    assert relative == (not text[0].isdigit())


@pytest.mark.parametrize("text", ["yesterday", "now-2", "now-2y", "today-", "16/11/2026"])
def test_bad_as_of_says_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="now or today"):
        parse_as_of(text, NY, NOW)


def test_as_of_now_through_the_cli_is_resolved_once_and_said(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "v.jsonl"
    leads, events = str(DATA / "leads.csv"), str(DATA / "events.jsonl")
    code = main(
        [
            "evaluate",
            str(EXAMPLE),
            "--leads",
            leads,
            "--events",
            events,
            "--as-of",
            "now",
            "--no-trace",
            "--out",
            str(out),
        ]
    )
    assert code in (0, 1)
    err = capsys.readouterr().err
    assert "leadcontract: as of " in err
    said = err.split("leadcontract: as of ", 1)[1].split(" ", 1)[0]
    stamps = {
        line.split('"as_of":"', 1)[1].split('"', 1)[0]
        for line in out.read_text().splitlines()
        if '"as_of":"' in line
    }
    assert stamps == {said}


@pytest.mark.parametrize("shell", ["bash", "zsh", "tcsh"])
def test_completion_scripts_name_every_command(
    shell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    for command in ("lint", "evaluate", "report", "payouts", "audit", "completion"):
        assert command in script


def test_the_bash_completion_script_is_valid_bash(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    checked = subprocess.run(
        ["bash", "-n"], input=capsys.readouterr().out, text=True, check=False, timeout=60
    )
    assert checked.returncode == 0


def test_init_offers_exactly_the_crm_presets() -> None:
    from leadcontract.authoring.init import CRM_PRESETS  # noqa: PLC0415

    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    init = subparsers.choices["init"]  # type: ignore[index]
    crm = next(a for a in init._actions if a.dest == "crm")
    assert sorted(crm.choices) == sorted(CRM_PRESETS)  # type: ignore[arg-type]


def test_every_command_that_writes_a_file_names_the_flag_alike() -> None:
    """--out, --output and -o mean the same on every command that writes a file."""
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")

    def parsers(p: object) -> list[tuple[str, object]]:
        found = []
        for action in p._actions:  # type: ignore[attr-defined]
            if action.dest in ("command", "audit_command"):
                for name, child in action.choices.items():
                    found += [(name, child), *parsers(child)]
        return found

    writers = 0
    for name, command in parsers(parser):
        flags = {o for a in command._actions for o in a.option_strings}  # type: ignore[attr-defined]
        if flags & {"--out", "--output", "-o"}:
            writers += 1
            assert {"--out", "--output", "-o"} <= flags, name
    assert subparsers.choices
    assert writers >= 8


def test_a_failure_cannot_drive_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    """Every command reports a failure through one ``fail``: an escape sequence in a file name
    is shown escaped, not sent to the terminal (docs used to write it raw)."""
    code = main(["docs", str(EXAMPLE), "--site-dir", "site", "--audit", "gone\x1b[2J.sqlite"])
    assert code == 2
    err = capsys.readouterr().err
    assert err == "leadcontract: cannot read gone\\x1b[2J.sqlite: no such file\n"
