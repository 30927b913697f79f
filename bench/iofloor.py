"""The I/O floor, and the engine's own reading beside it, side by side.

``run``: only parse the same files, with the fastest parsers here: the leads CSV with polars
(every column as text, as the engine reads it) and the events' JSON Lines with msgspec (one
object per line). Nothing is evaluated: what no evaluation of these files can go below.

``read_and_coerce``: what the engine does with the same files before it judges anything: read
every record with its strict readers and coerce it (leads to typed fields, events to
:class:`~leadcontract.inputs.Event` values), counting as it goes. Run as a script, the two (and
the same reading by an older engine, ``--before DIR``) alternate in fresh processes, and the
CPU seconds of each round give the ratios::

    .venv/bin/python bench/iofloor.py --size 10000 --rounds 3 [--before /tmp/before]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import polars as pl

if TYPE_CHECKING:
    from leadcontract.engine import CompiledContract

ROOT = Path(__file__).resolve().parents[1]
AS_OF = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)


def run(leads_path: Path, events_path: Path) -> tuple[int, int]:
    """Parse both files; return (leads, events) read."""
    leads = pl.read_csv(leads_path, infer_schema=False)
    decode = msgspec.json.Decoder().decode
    events = 0
    with events_path.open("rb") as lines:
        for line in lines:
            decode(line)
            events += 1
    return leads.height, events


def read_and_coerce(
    compiled: CompiledContract, leads_path: Path, events_path: Path
) -> tuple[int, int]:
    """Read and coerce both files as an evaluation does, judging nothing; return (leads,
    events) read. Uses the evaluation's own reading generators, so the drift counts and
    error rows are made as in a real run."""
    evaluation = compiled.evaluate(leads_path, events_path, as_of=AS_OF, trace=False)
    for _ in evaluation._events():
        pass
    for _ in evaluation._leads():
        pass
    return evaluation.counts.leads_read, evaluation.counts.events_read


_MODES = ("io-floor", "read-coerce")


def _measure(mode: str, leads: Path, events: Path) -> dict[str, float]:
    """CPU seconds of one mode in this process (loading the contract not counted)."""
    if mode == "io-floor":
        start = time.process_time()
        counts = run(leads, events)
    else:
        import leadcontract
        from leadcontract.engine import compile_contract

        contract = leadcontract.load(ROOT / "contracts" / "example").contract
        assert contract is not None
        compiled = compile_contract(contract)
        start = time.process_time()
        counts = read_and_coerce(compiled, leads, events)
    return {"cpu": time.process_time() - start, "leads": counts[0], "events": counts[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="bench/.data/v2-SIZE")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="a folder holding an older leadcontract/")
    parser.add_argument("--measure", choices=_MODES, help=argparse.SUPPRESS)
    parser.add_argument("--leads", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--events", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure, args.leads, args.events)))
        return
    folder = ROOT / "bench" / ".data" / f"v2-{args.size}"
    files = ["--leads", str(folder / "leads.csv"), "--events", str(folder / "events.jsonl")]
    runs: dict[str, tuple[str, dict[str, str]]] = {
        "io-floor": ("io-floor", dict(os.environ)),
        "read-coerce": ("read-coerce", dict(os.environ)),
    }
    if args.before is not None:
        older = dict(os.environ, PYTHONPATH=str(args.before.resolve()))
        runs["read-coerce@before"] = ("read-coerce", older)
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, (mode, env) in runs.items():
            command = [sys.executable, __file__, "--measure", mode, *files]
            out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            cpu[name].append(json.loads(out.stdout)["cpu"])
    floor = statistics.median(cpu["io-floor"])
    print(f"{args.size:,} leads, {args.rounds} rounds alternating, CPU seconds (median)")
    for name, seconds in cpu.items():
        shown = " ".join(f"{s:.2f}" for s in seconds)
        median = statistics.median(seconds)
        print(f"{name:<20} {median:6.2f}  ({shown})  {median / floor:5.1f}x the floor")
    if args.before is not None:
        ratio = statistics.median(cpu["read-coerce@before"]) / statistics.median(cpu["read-coerce"])
        print(f"read-coerce before / now: {ratio:.2f}x")


if __name__ == "__main__":
    main()
