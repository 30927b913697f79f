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
