"""`leadcontract watch` and `serve` from the command line: exit codes and messages."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from live_support import (
    DURABLE_RULES_TIMEOUT,
    EXAMPLE,
    example_leads,
    hang_guard,  # noqa: F401  (autouse: a hang fails the run)
    within,
)

from leadcontract import cli
from leadcontract.cli import live as live_cli
from leadcontract.live import SqliteStore


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


def test_watch_reports_bad_lines_printable(tmp_path: Path) -> None:
    """A lead id holding a line break or an escape sequence was written to the terminal as it
    is: it printed a forged line, or cleared the screen."""
    line = {"lead_id": "L1\nFAKE: line\x1b[2J", "type": "touch", "at": "later"}
    run = _watch(tmp_path, [json.dumps(line)])
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        "<stdin>:1: event 1 (lead L1\\nFAKE: line\\x1b[2J): bad-time: at: expected a date and "
        'time such as 2026-10-05T14:03:00Z, got "later"'
    ]


def test_watch_reads_lines_as_batch_does_bom_bad_bytes_and_duplicate_keys(
    tmp_path: Path,
) -> None:
    """A BOM is not part of the first line; a line that is not UTF-8 or names a key twice is
    reported with its line number like any bad line (they stopped the run with exit 3, or
    the last duplicate silently won), and the lines after it are still read."""
    lead = example_leads()[1]
    event = {"lead_id": lead["Id"], "type": "handoff", "at": "2026-10-01T14:00:00Z"}
    lines = [
        b"\xef\xbb\xbf" + json.dumps({"lead": lead}).encode(),
        b'{"lead_id": "L1", "type": "touch", "note": "caf\xc3"}',
        b'{"lead_id": "L1", "lead_id": "L2", "type": "touch", "at": "2026-10-01T14:00:00Z"}',
        json.dumps(event).encode(),
    ]
    run = subprocess.run(
        [sys.executable, "-m", "leadcontract", "watch", str(EXAMPLE),
         "--state", str(tmp_path / "state.db")],
        input=b"".join(line + b"\n" for line in lines),
        capture_output=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert run.stderr.decode().splitlines() == [
        "<stdin>:2: not UTF-8: byte 0xc3 at column 48",
        '<stdin>:3: refused: duplicate key "lead_id": which value is meant is ambiguous',
    ]
    printed = [json.loads(line) for line in run.stdout.splitlines()]
    assert {p["sla"] for p in printed} >= {"first-touch-demo"}  # the lead and event were read


def test_watch_refuses_a_lone_surrogate_as_batch_does(tmp_path: Path) -> None:
    """``"\\ud800"`` is no text (it cannot be written as UTF-8): batch makes it an error row;
    watch took it silently into its state."""
    line = '{"lead_id": "L1", "type": "touch", "at": "2026-10-01T14:00:00Z", "note": "\\ud800"}'
    run = _watch(tmp_path, [line])
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        "<stdin>:1: refused: note: the value holds a lone surrogate (\\ud800), which is not "
        "text and cannot be written as UTF-8"
    ]


def test_watch_refuses_nan_and_skips_a_line_nested_too_deeply(tmp_path: Path) -> None:
    """Batch makes both an error row. Watch took ``NaN`` into its state (a field read as no
    value) and stopped with exit 3 on a deeply nested line (``RecursionError``); both are now
    reported with their line, and the lines after them are still read."""
    lead = example_leads()[1]
    event = {"lead_id": lead["Id"], "type": "handoff", "at": "2026-10-01T14:00:00Z"}
    run = _watch(
        tmp_path,
        [
            '{"lead_id": "L1", "type": "touch", "at": "2026-10-01T14:00:00Z", "x": NaN}',
            "[" * 100_000 + "]" * 100_000,
            json.dumps({"lead": lead}),
            json.dumps(event),
        ],
    )
    assert run.returncode == 1, run.stderr
    assert run.stderr.splitlines() == [
        "<stdin>:1: refused: NaN is not a JSON value (JSON has no NaN or infinities; null is "
        "no value)",
        "<stdin>:2: not JSON: nested too deeply (column 1)",
    ]
    printed = [json.loads(line) for line in run.stdout.splitlines()]
    assert {p["sla"] for p in printed} >= {"first-touch-demo"}  # the lines after were read


def test_watch_on_a_state_whose_clock_is_ahead_of_the_wall_clock_waits_for_it(
    tmp_path: Path,
) -> None:
    """A state kept on a virtual clock, or a system clock stepped back: watch advanced to the
    wall clock, which the monitor refuses, and stopped with exit 3 after storing the line's
    event unjudged. It stays at the state's clock, as the service does."""
    ahead = datetime.now(UTC) + timedelta(days=400)
    store = SqliteStore(tmp_path / "state.db")
    with store.transaction():
        store.set_clock(ahead)
    store.close()
    lead = example_leads()[1]
    event = {"lead_id": lead["Id"], "type": "handoff", "at": "2026-10-01T14:00:00Z"}
    run = _watch(tmp_path, [json.dumps({"lead": lead}), json.dumps(event)])
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    printed = [json.loads(line) for line in run.stdout.splitlines()]
    assert {p["sla"] for p in printed} >= {"first-touch-demo"}  # judged at the state's clock
    store = SqliteStore(tmp_path / "state.db")
    assert store.clock() == ahead
    store.close()


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
    link = cli.main(
        ["watch", str(EXAMPLE), "--state", str(tmp_path / "s.db"), "--link", "https://x/{id}"]
    )
    assert link == 2  # every advance failed on it (KeyError), and nothing was ever told
    for option, url in (("--webhook", "foo"), ("--slack", "http://[::1")):
        code = cli.main(["watch", str(EXAMPLE), "--state", str(tmp_path / "s.db"), option, url])
        assert code == 2  # every delivery failed: quietly (foo), or as an internal error


def test_serve_that_cannot_listen_or_start_its_clock_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn bound the port itself and, when it was taken, exited with 3: the code that
    says leadcontract has a bug. A port out of range was an internal error outright."""
    monkeypatch.setenv("LEADCONTRACT_SECRET", "s3cret")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli.main(
            ["serve", str(EXAMPLE), "--state", str(tmp_path / "s.db"), "--port", str(port)]
        )
    assert code == 2
    assert capsys.readouterr().err == (
        f"leadcontract: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )
    with pytest.raises(SystemExit) as stopped:
        cli.main(["serve", str(EXAMPLE), "--state", str(tmp_path / "s.db"), "--port", "99999"])
    assert stopped.value.code == 2
    assert "expected a TCP port from 0 to 65535, got '99999'" in capsys.readouterr().err
    code = cli.main(
        ["serve", str(EXAMPLE), "--state", str(tmp_path / "s.db"),
         "--port", "0", "--virtual-clock", "2300-01-01T00:00:00Z"]
    )  # fmt: skip
    assert code == 2  # it served, and every verdict as of its START was a 500
    assert capsys.readouterr().err == (
        "leadcontract: --virtual-clock 2300-01-01T00:00:00+00:00 is outside the supported dates "
        "(1900-01-01T00:00:00Z to 2200-01-01T00:00:00Z)\n"
    )


def test_watch_says_when_notifications_could_not_be_delivered(tmp_path: Path) -> None:
    """With the receiver down, watch ended with exit 0 and said nothing: every notification
    stayed in the outbox, and nobody knew."""
    with socket.socket() as closed:  # a port nothing listens on: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    lead = example_leads()[1]  # long overdue by the wall clock: it has a breach to tell
    state = tmp_path / "state.db"
    run = _watch(
        tmp_path, [json.dumps({"lead": lead})], "--webhook", f"http://127.0.0.1:{port}/hook"
    )
    assert run.returncode == 0, run.stderr
    pending = SqliteStore(state)
    waiting = pending.counts()["outbox_pending"]
    pending.close()
    assert waiting > 0
    assert run.stderr.splitlines()[-1] == (
        f"leadcontract: {waiting} notification(s) could not be delivered; they wait in "
        f"{state}'s outbox and go when watch or serve runs on it again"
    )


def test_watch_follows_a_growing_file(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    lead = example_leads()[1]
    events.write_text(json.dumps({"lead": lead}) + "\n", encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, "-m", "leadcontract", "watch", str(EXAMPLE),
         "--state", str(tmp_path / "state.db"), "--events", str(events), "--follow",
         "--tick", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        first = json.loads(child.stdout.readline())  # the lead alone is long overdue
        assert first["lead"] == lead["Id"]
        seen = {first["kind"]}
        with events.open("a", encoding="utf-8") as handle:  # the file grows: a late touch
            touch = {"lead_id": lead["Id"], "type": "touch", "channel": "phone"}
            handle.write(json.dumps({**touch, "at": "2026-10-01T13:40:00Z"}) + "\n")
        stdout = child.stdout

        def until_corrected() -> None:
            while "correction" not in seen:
                line = stdout.readline()
                assert line, "watch stopped before telling the correction"
                seen.add(json.loads(line)["kind"])

        within(DURABLE_RULES_TIMEOUT, until_corrected)  # fails instead of hanging
    finally:
        child.terminate()
        child.communicate(timeout=60)
    assert {"warning", "breach", "correction"} <= seen


def test_following_a_file_takes_a_line_only_once_its_newline_is_written(tmp_path: Path) -> None:
    """A writer may append a line in several writes; watch --follow read the first part as a
    line (reported 'not JSON') and the rest as another, and the event was lost."""
    events = tmp_path / "events.jsonl"
    events.write_bytes(b'{"lead": {}}\n{"lead_id": "L1", "ty')
    lines = live_cli._lines(str(events), follow=True)
    try:
        assert next(lines) == (1, b'{"lead": {}}\n')
        assert next(lines) == (0, b"")  # a heartbeat: the second line is not whole yet
        with events.open("ab") as handle:
            handle.write(b'pe": "touch"}\n')
        assert next(lines) == (2, b'{"lead_id": "L1", "type": "touch"}\n')
        assert next(lines) == (0, b"")
    finally:
        lines.close()
    unfollowed = tmp_path / "last.jsonl"
    unfollowed.write_bytes(b'{"a": 1}\n{"b": 2}')  # no newline at the end: still a line
    assert list(live_cli._lines(str(unfollowed), follow=False)) == [
        (1, b'{"a": 1}\n'),
        (2, b'{"b": 2}'),
    ]


def test_watch_reads_a_files_backlog_before_it_first_advances(tmp_path: Path) -> None:
    """watch advanced after the first line: every lead of a file written beforehand was told
    as breached and escalated (its touch was further down), then corrected. On the example's
    data that was 54 corrections of warnings, breaches and escalations that never held."""
    lead = example_leads()[1]  # a demo request, called 30 minutes after the form
    submitted = datetime.fromisoformat(lead["form_submitted_at"].replace("+0000", "+00:00"))
    touch = {"lead_id": lead["Id"], "type": "touch", "channel": "phone", "actor": "dana"}
    events = tmp_path / "events.jsonl"
    events.write_text(
        json.dumps({"lead": lead})
        + "\n"
        + json.dumps({**touch, "at": (submitted + timedelta(minutes=30)).isoformat()})
        + "\n",
        encoding="utf-8",
    )
    run = _watch(tmp_path, [], "--events", str(events), "--tick", "0")
    assert run.returncode == 0, run.stderr
    told = [json.loads(line) for line in run.stdout.splitlines()]
    assert [p for p in told if p["sla"] == "first-touch-demo"] == []  # met: nothing to tell
    assert "correction" not in {p["kind"] for p in told}


def test_following_a_file_reads_it_again_when_it_is_truncated_or_replaced(
    tmp_path: Path,
) -> None:
    """Log rotation: truncated in place (copytruncate) or renamed and created anew. watch read
    on at its old offset, past the new end, and never saw another line."""
    events = tmp_path / "events.jsonl"
    events.write_bytes(b'{"n": 1}\n{"n": 2}\n')
    lines = live_cli._lines(str(events), follow=True)
    try:
        assert [next(lines), next(lines), next(lines)] == [
            (1, b'{"n": 1}\n'),
            (2, b'{"n": 2}\n'),
            (0, b""),
        ]
        events.write_bytes(b'{"n": 3}\n')  # truncated, and a shorter line written
        assert next(lines) == (1, b'{"n": 3}\n')
        assert next(lines) == (0, b"")
        events.rename(tmp_path / "events.jsonl.1")
        events.write_bytes(b'{"n": 4}\n{"n": 5}\n{"n": 6}\n')  # a new file, longer
        assert [next(lines), next(lines), next(lines)] == [
            (1, b'{"n": 4}\n'),
            (2, b'{"n": 5}\n'),
            (3, b'{"n": 6}\n'),
        ]
    finally:
        lines.close()


def test_watch_loads_a_leads_file_first(tmp_path: Path) -> None:
    bad = tmp_path / "leads.csv"
    good = (EXAMPLE / "data" / "leads.csv").read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join([*good[:3], "L999,not-enough-cells"]) + "\n", encoding="utf-8")
    run = _watch(tmp_path, [], "--leads", str(bad))
    assert run.returncode == 1  # one lead record was bad
    assert "L999" in run.stderr
    told = {json.loads(line)["lead"] for line in run.stdout.splitlines()}
    assert told == {"L000002"}  # L000001 has no events: nothing to tell yet
    store = SqliteStore(tmp_path / "state.db")
    assert store.lead_ids() == ["L000001", "L000002"]
    store.close()
