"""Progress bars on a terminal (rich), nothing when standard error is not a terminal."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from leadcontract.cli._progress import estimate_records, with_progress

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "contracts" / "example" / "data"


@pytest.mark.parametrize(
    ("content", "suffix", "expected"),
    [
        ("Id,Name\n1,a\n2,b\n", ".csv", 2),
        ("Id,Name\n1,a\n2,b", ".csv", 2),
        ('{"a":1}\n{"a":2}\n{"a":3}\n', ".jsonl", 3),
        ("[]", ".json", None),
    ],
)
def test_the_total_is_the_files_line_count(
    tmp_path: Path, content: str, suffix: str, expected: int | None
) -> None:
    path = tmp_path / f"leads{suffix}"
    path.write_text(content, encoding="utf-8")
    assert estimate_records(path) == expected


def test_the_example_leads_are_counted() -> None:
    assert estimate_records(DATA / "leads.csv") == 240
    assert estimate_records(None) is None


def test_off_the_terminal_items_pass_through_untouched(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert list(with_progress(range(1000), total=1000, label="x", enabled=False)) == list(
        range(1000)
    )
    assert capsys.readouterr().err == ""


def test_on_a_terminal_evaluate_draws_a_bar_with_the_total() -> None:
    """Run the command under a pseudo-terminal, as a person would, and read what it drew."""
    leader, follower = pty.openpty()
    command = [
        sys.executable, "-m", "leadcontract", "evaluate", "contracts/example",
        "--leads", str(DATA / "leads.csv"), "--events", str(DATA / "events.jsonl"),
        "--as-of", "2026-11-16T17:00:00Z", "--no-trace", "--out", os.devnull,
    ]  # fmt: skip
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    done = subprocess.run(
        command, stderr=follower, stdout=subprocess.PIPE, cwd=ROOT, env=env, timeout=300,
        check=False,
    )  # fmt: skip
    os.close(follower)
    drawn = io.BytesIO()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn.write(chunk)
    os.close(leader)
    assert done.returncode == 0
    text = drawn.getvalue().decode("utf-8", "replace")
    assert "evaluating" in text
    assert "/240" in text


def _on_a_terminal(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``command`` with standard output on a pseudo-terminal; what it drew there."""
    leader, follower = pty.openpty()
    done = subprocess.run(
        command, stdout=follower, stderr=subprocess.DEVNULL, cwd=ROOT, timeout=300,
        env={**os.environ, "COLUMNS": "160", "TERM": "xterm-256color", **env}, check=False,
    )  # fmt: skip
    os.close(follower)
    drawn = io.BytesIO()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn.write(chunk)
    os.close(leader)
    return done.returncode, drawn.getvalue().decode("utf-8", "replace")


REPORT = [
    sys.executable, "-m", "leadcontract", "report", "contracts/example",
    "--leads", str(DATA / "leads.csv"), "--events", str(DATA / "events.jsonl"),
    "--as-of", "2026-11-16T17:00:00Z",
]  # fmt: skip


def test_a_report_on_a_terminal_is_a_drawn_table_in_colour() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    code, text = _on_a_terminal(REPORT, {"FORCE_COLOR": "1", **env})
    assert code == 0
    assert "Follow-up compliance of handed-off leads" in text
    assert "\x1b[1;36m" in text  # bold cyan headings
    assert "webinar-q4" in text


def test_no_color_is_respected() -> None:
    code, text = _on_a_terminal(REPORT, {"NO_COLOR": "1"})
    assert code == 0
    assert "webinar-q4" in text
    assert "36m" not in text  # no colour; bold and italics are not colour (no-color.org)
    assert "\x1b[1m" in text
