"""Outputs never clobber: an output naming an input is refused, a failed run leaves existing
outputs as they were, and `evaluate --audit` refuses a store it cannot use before evaluating."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadcontract.cli import evaluate as evaluate_module
from leadcontract.cli import main
from leadcontract.store import BUSY_TIMEOUT_MS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "contracts" / "example"
LEADS = EXAMPLE / "data" / "leads.csv"
EVENTS = EXAMPLE / "data" / "events.jsonl"
AS_OF = "2026-11-16T17:00:00Z"
PREVIOUS = "a good output of an earlier run\n"


def evaluate(*extra: str) -> int:
    return main(
        ["evaluate", str(EXAMPLE), "--leads", str(LEADS), "--events", str(EVENTS),
         "--as-of", AS_OF, *extra]
    )  # fmt: skip


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    leads, events = tmp_path / "leads.csv", tmp_path / "events.jsonl"
    leads.write_bytes(LEADS.read_bytes())
    events.write_bytes(EVENTS.read_bytes())
    return leads, events


@pytest.mark.parametrize(
    ("option", "target"), [("--out", 0), ("--errors", 0), ("--out", 1), ("--errors", 1)]
)
def test_an_output_naming_an_input_is_refused(
    copies: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    option: str,
    target: int,
) -> None:
    leads, events = copies
    victim = copies[target]
    before = victim.read_bytes()
    code = main(
        ["evaluate", str(EXAMPLE), "--leads", str(leads), "--events", str(events),
         "--as-of", AS_OF, option, str(victim)]
    )  # fmt: skip
    assert code == 2
    assert victim.read_bytes() == before
    assert f"would overwrite the input {victim}" in capsys.readouterr().err


def test_an_output_inside_the_contract_folder_or_named_twice_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert evaluate("--out", str(EXAMPLE / "lead.yaml")) == 2
    same = tmp_path / "x.jsonl"
    assert evaluate("--out", str(same), "--errors", str(same)) == 2
    err = capsys.readouterr().err
    assert "would overwrite the input" in err
    assert "--out and --errors both name" in err


@pytest.mark.parametrize("command", ["report", "payouts"])
def test_report_and_payouts_refuse_to_overwrite_an_input(
    copies: tuple[Path, Path], command: str
) -> None:
    leads, _ = copies
    before = leads.read_bytes()
    when = ["--as-of", AS_OF] if command == "report" else ["--period", "2026-10"]
    assert main([command, str(EXAMPLE), "--leads", str(leads), *when, "--out", str(leads)]) == 2
    assert leads.read_bytes() == before


def _store_kinds(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE customers (id)")
    conn.close()
    text = tmp_path / "notes.db"
    text.write_text("not a database " * 300)
    tampered = tmp_path / "tampered.db"
    assert evaluate("--audit", str(tampered), "--out", str(tmp_path / "first.jsonl")) == 0
    conn = sqlite3.connect(tampered)
    conn.execute("DROP TRIGGER entries_no_delete")
    conn.execute("DELETE FROM entries WHERE seq = (SELECT MAX(seq) FROM entries)")
    conn.commit()
    conn.close()
    return {
        "folder": (tmp_path, "is a folder"),
        "missing folder": (tmp_path / "nope" / "audit.db", "does not exist"),
        "foreign SQLite": (foreign, "a SQLite database with other tables"),
        "not SQLite": (text, "not a SQLite database"),
        "tampered chain": (tampered, "does not match its head record"),
    }


@pytest.mark.parametrize(
    "kind", ["folder", "missing folder", "foreign SQLite", "not SQLite", "tampered chain"]
)
def test_evaluate_refuses_an_unusable_store_and_keeps_the_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    store, message = _store_kinds(tmp_path)[kind]
    out, errors = tmp_path / "verdicts.jsonl", tmp_path / "errors.jsonl"
    out.write_text(PREVIOUS)
    capsys.readouterr()
    assert evaluate("--audit", str(store), "--out", str(out), "--errors", str(errors)) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert out.read_text() == PREVIOUS
    assert not errors.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


class _LockHolder:
    """Holds the store's write lock from another connection until released."""

    def __init__(self, db: Path) -> None:
        self._release = threading.Event()
        ready = threading.Event()

        def hold() -> None:
            conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
            conn.execute("BEGIN IMMEDIATE")
            ready.set()
            self._release.wait(timeout=60)
            conn.execute("COMMIT")
            conn.close()

        self._thread = threading.Thread(target=hold)
        self._thread.start()
        ready.wait()

    def release(self, after: float = 0.0) -> None:
        threading.Timer(after, self._release.set).start()

    def join(self) -> None:
        self._release.set()
        self._thread.join()


def test_a_locked_store_fails_after_lock_wait_and_keeps_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "audit.db"
    out = tmp_path / "verdicts.jsonl"
    assert evaluate("--audit", str(db), "--out", str(out)) == 0
    out.write_text(PREVIOUS)
    holder = _LockHolder(db)
    try:
        assert evaluate("--audit", str(db), "--out", str(out), "--lock-wait", "0.5") == 2
    finally:
        holder.join()
    err = capsys.readouterr().err
    assert "waiting for another run to finish writing" in err
    assert "locked by another process for more than 0.5 s" in err
    assert out.read_text() == PREVIOUS


def test_a_second_writer_waits_as_long_as_needed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock is released only after the second run has said it waits (and longer than
    one attempt of the busy timeout takes): the run still goes through."""
    db = tmp_path / "audit.db"
    assert evaluate("--audit", str(db), "--out", str(tmp_path / "a.jsonl")) == 0
    holder = _LockHolder(db)
    real = evaluate_module._waiting

    def waiting(path: Path) -> None:
        real(path)
        holder.release(after=BUSY_TIMEOUT_MS / 1000 + 0.5)

    monkeypatch.setattr(evaluate_module, "_waiting", waiting)
    try:
        assert evaluate("--audit", str(db), "--out", str(tmp_path / "b.jsonl")) == 0
    finally:
        holder.join()
    assert "waiting for another run" in capsys.readouterr().err
    assert main(["audit", "verify", str(db)]) == 0


def test_a_failed_run_leaves_no_truncated_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exception half-way through the verdicts: the earlier output stays whole."""
    real = evaluate_module._progress

    def crash_after_ten(items: Iterator[object], args: object, label: str) -> Iterator[object]:
        for count, item in enumerate(real(items, args, label), start=1):  # type: ignore[arg-type]
            if count > 10:
                raise RuntimeError("boom")
            yield item

    monkeypatch.setattr(evaluate_module, "_progress", crash_after_ten)
    out = tmp_path / "verdicts.jsonl"
    out.write_text(PREVIOUS)
    assert evaluate("--out", str(out)) == 3
    assert out.read_text() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == ["verdicts.jsonl"]
    assert "internal error" in capsys.readouterr().err


def test_outputs_get_ordinary_permissions(tmp_path: Path) -> None:
    out = tmp_path / "verdicts.jsonl"
    assert evaluate("--out", str(out)) == 0
    assert out.stat().st_mode & 0o044  # readable by others, like any file the user writes


def test_lint_output_naming_a_contract_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = tmp_path / "contract.yaml"
    contract.write_bytes((ROOT / "tests" / "fixtures" / "minimal.yaml").read_bytes())
    before = contract.read_bytes()
    assert main(["lint", str(contract), "--output", str(contract)]) == 2
    assert contract.read_bytes() == before
    assert "would overwrite the input" in capsys.readouterr().err
    report = tmp_path / "lint.txt"
    assert main(["lint", str(contract), "--output", str(report)]) == 0
    assert report.read_text().startswith("no problems")


def test_payouts_refuses_an_unusable_store_and_keeps_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "statements.csv"
    out.write_text(PREVIOUS)
    code = main(
        ["payouts", str(EXAMPLE), "--leads", str(LEADS), "--events", str(EVENTS),
         "--period", "2026-10", "--format", "csv", "--out", str(out), "--audit", str(tmp_path)]
    )  # fmt: skip
    assert code == 2
    assert "is a folder" in capsys.readouterr().err
    assert out.read_text() == PREVIOUS


def test_outputs_through_links_and_devices(tmp_path: Path) -> None:
    target = tmp_path / "real.jsonl"
    target.write_text(PREVIOUS)
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    assert evaluate("--out", str(link)) == 0
    assert link.is_symlink()  # the link stays; its target got the verdicts
    assert len(target.read_text().splitlines()) == 240
    assert evaluate("--out", "/dev/null") == 0
    assert Path("/dev/null").exists()
    assert not Path("/dev/null").is_file()


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="/dev/stdout is a Unix device")
@pytest.mark.parametrize("mode", [[], ["--workers", "2"]], ids=["one process", "workers"])
def test_out_dev_stdout_writes_the_verdicts_into_a_pipe(tmp_path: Path, mode: list[str]) -> None:
    """``--out /dev/stdout`` on a pipe: /dev/stdout links to ``pipe:[N]``, which is no path, so
    it must be written directly rather than resolved (it failed: cannot write .pipe:[N].tmp)."""
    inputs = ["--leads", str(LEADS), "--events", str(EVENTS), "--as-of", AS_OF, *mode]
    command = [sys.executable, "-m", "leadcontract", "evaluate", str(EXAMPLE), *inputs]
    piped = subprocess.run(
        [*command, "--out", "/dev/stdout"], capture_output=True, check=False, timeout=120, cwd=ROOT
    )
    assert piped.returncode == 0, piped.stderr.decode()
    assert evaluate("--out", str(tmp_path / "verdicts.jsonl"), *mode) == 0
    verdicts = (tmp_path / "verdicts.jsonl").read_bytes()
    assert piped.stdout == verdicts  # the summary goes to standard error, as without --out
    assert "counts reconcile" in piped.stderr.decode()


@pytest.mark.parametrize("mode", [[], ["--workers", "2"]], ids=["one process", "workers"])
def test_a_reader_that_stops_early_gets_a_clear_line_not_none(mode: list[str]) -> None:
    """``evaluate ... | head -1``: the closed pipe is named (it said "cannot write None").
    The example's verdicts (about 2.5 MB) are far more than a pipe holds, so the run meets
    the closed pipe."""
    inputs = ["--leads", str(LEADS), "--events", str(EVENTS), "--as-of", AS_OF, *mode]
    command = [sys.executable, "-m", "leadcontract", "evaluate", str(EXAMPLE), *inputs]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().startswith(b'{"lead_id":')
        process.stdout.close()
        err = process.stderr.read().decode()
        code = process.wait(timeout=120)
    assert code == 2
    assert err == "leadcontract: standard output was closed before the run wrote everything\n"


def test_sigterm_mid_run_leaves_no_temporary_files_and_no_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``kill PID`` (systemd stopping a job, a CI timeout) unwinds like Ctrl-C: before, the
    workers ran on as orphans and the temporary output and scratch folder stayed."""
    import multiprocessing  # noqa: PLC0415
    import os  # noqa: PLC0415
    import signal  # noqa: PLC0415

    progress = evaluate_module._progress

    def terminated_after_one(items: object, args: object, label: str) -> Iterator[object]:
        for number, item in enumerate(progress(items, args, label)):  # type: ignore[arg-type]
            if number == 1:
                os.kill(os.getpid(), signal.SIGTERM)
            yield item

    monkeypatch.setattr(evaluate_module, "_progress", terminated_after_one)
    out, scratch = tmp_path / "out", tmp_path / "scratch"
    out.mkdir()
    scratch.mkdir()
    code = evaluate("--out", str(out / "verdicts.jsonl"), "--workers", "2", "--spill",
                    "--scratch", str(scratch))  # fmt: skip
    assert code == 143
    assert capsys.readouterr().err.endswith("leadcontract: terminated\n")
    assert list(out.iterdir()) == []
    assert list(scratch.iterdir()) == []
    assert multiprocessing.active_children() == []
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
