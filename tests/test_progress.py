"""Progress bars on a terminal (rich), nothing when standard error is not a terminal."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import threading
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
    command = [
        sys.executable, "-m", "leadcontract", "evaluate", "contracts/example",
        "--leads", str(DATA / "leads.csv"), "--events", str(DATA / "events.jsonl"),
        "--as-of", "2026-11-16T17:00:00Z", "--no-trace", "--out", os.devnull,
    ]  # fmt: skip
    code, text = _on_a_terminal(command, {"COLUMNS": "120"}, stream="stderr")
    assert code == 0
    assert "evaluating" in text
    assert "/240" in text


def _on_a_terminal(
    command: list[str], env: dict[str, str], stream: str = "stdout"
) -> tuple[int, str]:
    """Run ``command`` with standard output (or error) on a pseudo-terminal, read while it
    runs (a full terminal buffer would stall it); the exit code and what it drew there."""
    leader, follower = pty.openpty()
    drawn = io.BytesIO()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                return
            if not chunk:
                return
            drawn.write(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    other = subprocess.DEVNULL
    done = subprocess.run(
        command, cwd=ROOT, timeout=300, check=False,
        env={**os.environ, "COLUMNS": "160", "TERM": "xterm-256color", **env},
        stdout=follower if stream == "stdout" else other,
        stderr=follower if stream == "stderr" else other,
    )  # fmt: skip
    os.close(follower)
    reader.join(timeout=30)
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
