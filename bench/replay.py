"""Benchmark: `diff --replay` against the floor of two plain evaluations, side by side.

Replaying history under two contract versions is two evaluations plus a comparison and the
spiff totals. The floor is what a user would run by hand: ``evaluate`` (no trace) under the
old and under the new contract, collecting the verdicts. Both run in this one process on the
same files (the example contract and a copy with the MQL threshold raised to 65), alternating,
best of ``--repeat``; the figure is the ratio.

    .venv/bin/python bench/replay.py [--leads 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from leadcontract.authoring.replay import replay
from leadcontract.engine import CompiledContract, compile_contract
from leadcontract.loader import load
from leadcontract.synthetic import write_dataset

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "contracts" / "example"
DATA = ROOT / "bench" / ".data"
AS_OF = datetime(2026, 11, 16, 17, tzinfo=UTC)


def _compiled(path: Path) -> CompiledContract:
    loaded = load(path)
    assert loaded.contract is not None
    return compile_contract(loaded.contract)


def _best_alternating(
    first: Callable[[], object], second: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Best time of each, running them in turn so that load on the machine hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for function, into in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            function()
            into.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = DATA / f"replay-{args.leads}"
    if not (folder / "leads.csv").is_file():
        write_dataset(folder, args.leads)
    leads, events = folder / "leads.csv", folder / "events.jsonl"
    with tempfile.TemporaryDirectory() as tmp:
        changed = Path(tmp) / "example"
        shutil.copytree(EXAMPLE, changed, ignore=shutil.ignore_patterns("data", "tests"))
        lead = changed / "lead.yaml"
        text = lead.read_text(encoding="utf-8")
        lead.write_text(text.replace("score: {gte: 60}", "score: {gte: 65}"), encoding="utf-8")
        old, new = _compiled(EXAMPLE), _compiled(changed)

    def floor() -> object:
        return [list(c.evaluate(leads, events, as_of=AS_OF, trace=False)) for c in (old, new)]

    def replayed() -> object:
        return replay(old, new, leads, events, as_of=AS_OF)

    floor_s, replay_s = _best_alternating(floor, replayed, args.repeat)
    result = replay(old, new, leads, events, as_of=AS_OF)
    print(
        f"leads: {args.leads:,}; stage moves under MQL 60 -> 65: {result.movement('stage').count}"
    )
    print(f"two evaluations (floor): {floor_s:.2f} s")
    print(f"replay:                  {replay_s:.2f} s  ({replay_s / floor_s:.2f}x the floor)")


if __name__ == "__main__":
    main()
