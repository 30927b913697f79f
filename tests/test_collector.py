"""``evaluate`` tunes the garbage collector for one long run and gives it back as it was."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from leadcontract.cli import main
from leadcontract.cli.evaluate import FULL_COLLECTION_EVERY
from leadcontract.summary import Tally

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "contracts" / "example"
DATA = EXAMPLE / "data"


def test_a_run_collects_garbage_less_often_and_restores_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While it evaluates, start-up's objects are frozen and full collections wait longer (an
    in-memory run holds every event, which each full collection walks); afterwards the
    collector is as it was (tests and embedding code call ``main`` in their own process)."""
    seen: list[tuple[tuple[int, int, int], int]] = []
    add = Tally.add

    def watched(self: Tally, item: Any) -> None:
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        add(self, item)

    monkeypatch.setattr(Tally, "add", watched)
    before = gc.get_threshold(), gc.get_freeze_count()
    out = tmp_path / "verdicts.jsonl"
    args = ["evaluate", str(EXAMPLE), "--leads", str(DATA / "leads.csv")]
    args += ["--events", str(DATA / "events.jsonl"), "--as-of", "2026-11-16T17:00:00Z"]
    assert main([*args, "--out", str(out), "--no-trace"]) == 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
    thresholds, frozen = seen[0]
    assert thresholds[2] >= FULL_COLLECTION_EVERY > before[0][2]
    assert frozen > before[1]
