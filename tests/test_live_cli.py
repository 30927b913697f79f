"""`leadcontract watch` and `serve` from the command line: exit codes and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from live_support import EXAMPLE, example_leads

from leadcontract import cli


def _watch(tmp_path: Path, lines: list[str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadcontract", "watch", str(EXAMPLE),
         "--state", str(tmp_path / "state.db"), *extra],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip


def test_watch_reads_leads_and_events_from_stdin_and_prints_notifications(
    tmp_path: Path,
) -> None:
    lead = example_leads()[1]  # a demo request from 2026-10-01: long overdue by the wall clock
    lines = [
        json.dumps({"lead": lead}),
        json.dumps({"lead_id": lead["Id"], "type": "handoff", "at": "2026-10-01T14:00:00Z"}),
    ]
    run = _watch(tmp_path, lines)
    assert run.returncode == 0, run.stderr
    printed = [json.loads(line) for line in run.stdout.splitlines()]
    first_touch = [p for p in printed if p["sla"] == "first-touch-demo"]
    assert [p["kind"] for p in first_touch] == ["warning", "warning", "breach", "escalation"]
    again = _watch(tmp_path, lines)  # the same state: nothing new to tell
    assert again.returncode == 0
    assert again.stdout == ""


def test_watch_reports_bad_lines_with_their_line_and_exits_1(tmp_path: Path) -> None:
    run = _watch(
        tmp_path,
        ["{not json", json.dumps({"lead_id": "L1", "type": "touch", "at": "later"})],
    )
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        "<stdin>:1: not JSON: Expecting property name enclosed in double quotes (column 2)",
        "<stdin>:2: event 1 (lead L1): bad-time: at: expected a date and time such as "
        '2026-10-05T14:03:00Z, got "later"',
    ]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    env_before = os.environ.pop("LEADCONTRACT_SECRET", None)
    try:
        code = cli.main(["serve", str(EXAMPLE), "--state", str(tmp_path / "s.db")])
    finally:
        if env_before is not None:
            os.environ["LEADCONTRACT_SECRET"] = env_before
    assert code == 2
    missing = cli.main(
        ["watch", str(EXAMPLE), "--state", str(tmp_path / "s.db"), "--events", "nope.jsonl"]
    )
    assert missing == 2
