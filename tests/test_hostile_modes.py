"""``evaluate``'s ways to run, side by side on hostile input: the same bytes, counts that
reconcile, nothing left behind.

Every way to run (one process, ``--grouped``, ``--workers 2``, ``--spill``, ``--spill
--workers 2``; with and without traces; JSON Lines and CSV) must give the same verdicts, error
rows, summary and exit code as one process, whatever the input holds; and a run must leave no
temporary file behind and the caller's garbage collector as it found it. The input is the
example's data (a slice of it, to stay fast) mutated in the ways real exports go wrong.
"""

from __future__ import annotations

import gc
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from leadcontract.cli import main

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "contracts" / "example"
DATA = EXAMPLE / "data"
AS_OF = "2026-11-16T17:00:00Z"


@dataclass(frozen=True)
class Outcome:
    """What one run gives a user: exit code, the three output files, what it printed."""

    code: int
    verdicts: bytes | None
    errors: bytes | None
    summary: dict[str, Any] | None
    printed: str
    complained: str


def evaluate(
    leads: Path,
    events: Path | None,
    folder: Path,
    *options: str,
    contract: Path = EXAMPLE,
    capsys: pytest.CaptureFixture[str],
) -> Outcome:
    """One ``evaluate`` run through the command line, its system temporary folder and
    ``--scratch`` both fresh, and checked empty once it ends."""
    folder.mkdir(parents=True)
    system_temp, scratch = folder / "tmp", folder / "scratch"
    system_temp.mkdir()
    scratch.mkdir()
    args = ["evaluate", str(contract), "--leads", str(leads), "--as-of", AS_OF]
    args += ["--events", str(events)] if events is not None else []
    out, errors, summary = folder / "verdicts", folder / "errors.jsonl", folder / "summary.json"
    args += ["--out", str(out), "--errors", str(errors), "--summary-json", str(summary)]
    args += ["--scratch", str(scratch), *options]
    previous, tempfile.tempdir = tempfile.tempdir, str(system_temp)
    try:
        code = main(args)
    finally:
        tempfile.tempdir = previous
    printed = capsys.readouterr()
    assert list(system_temp.iterdir()) == [], "a temporary file outlived the run"
    assert list(scratch.iterdir()) == [], "a scratch file outlived the run"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["tmp", "scratch", *(p.name for p in (out, errors, summary) if p.exists())]
    ), "an output's temporary file outlived the run"
    return Outcome(
        code,
        out.read_bytes() if out.exists() else None,
        errors.read_bytes() if errors.exists() else None,
        json.loads(summary.read_text(encoding="utf-8")) if summary.exists() else None,
        printed.out,
        printed.err,
    )


# --- the garbage collector of a program that calls the command -------------------------------


@pytest.fixture
def frozen_object() -> Iterator[list[str]]:
    """An object the calling program froze itself (a pre-forking server does), unfrozen after."""
    held = ["frozen by the caller"]
    gc.freeze()
    try:
        yield held
    finally:
        gc.unfreeze()


def _collector_tracks(held: object) -> bool:
    """Whether the collector's generations hold ``held`` (frozen objects are in none)."""
    return any(tracked is held for tracked in gc.get_objects())


def test_a_run_leaves_the_objects_its_caller_froze_frozen(
    frozen_object: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not _collector_tracks(frozen_object)
    thresholds = gc.get_threshold()
    outcome = evaluate(DATA / "leads.csv", DATA / "events.jsonl", tmp_path / "run", capsys=capsys)
    assert outcome.code == 0
    assert not _collector_tracks(frozen_object)
    assert gc.get_threshold() == thresholds
    assert gc.isenabled()


def test_a_run_leaves_a_disabled_collector_disabled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gc.disable()
    try:
        outcome = evaluate(DATA / "leads.csv", None, tmp_path / "run", capsys=capsys)
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert outcome.code == 0
    assert gc.get_freeze_count() == 0  # what the run froze, it unfroze
