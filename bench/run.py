"""Benchmark: evaluation throughput and peak memory, engine against the hand-written floor.

    python bench/run.py                      # 10k and 100k leads
    python bench/run.py --sizes 10000 100000 1000000

For each size it generates the example contract's data once (``leadcontract.synthetic``,
cached under ``bench/.data/``), then measures, each in a fresh process so peak memory is its
own: the engine on the contract without SLAs (the rules the floor implements), the engine on
the whole contract without and with traces, and ``bench/baseline.py`` (a plain hand-written
function for the qualification and scoring rules). All three read the same CSV and JSON Lines files
and stream them (``grouped``). It prints leads per second, peak RSS and the ratios.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
AS_OF = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)
MODES = ("engine-no-slas", "engine-no-trace", "engine-trace", "handwritten")
"""engine-no-slas: the contract without its SLAs, no traces (the same rules as the floor);
engine-no-trace: the whole contract; engine-trace: the whole contract with traces."""


def dataset(n: int) -> tuple[Path, Path]:
    from leadcontract.synthetic import write_dataset

    folder = DATA / str(n)
    leads, events = folder / "leads.csv", folder / "events.jsonl"
    if not (leads.exists() and events.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        write_dataset(folder, n)
    return leads, events


def measure(mode: str, leads: Path, events: Path) -> dict[str, float]:
    """Run one mode in this process; return seconds, leads and peak RSS (MiB)."""
    start = time.perf_counter()
    count = 0
    if mode == "handwritten":
        sys.path.insert(0, str(ROOT / "bench"))
        from baseline import run

        for _ in run(leads, events, AS_OF):
            count += 1
    else:
        import leadcontract
        from leadcontract.engine import compile_contract

        contract = leadcontract.load(ROOT / "contracts" / "example").contract
        assert contract is not None
        if mode == "engine-no-slas":
            contract = contract.model_copy(update={"slas": {}, "spiffs": {}})
        evaluation = compile_contract(contract).evaluate(
            leads, events, as_of=AS_OF, trace=mode == "engine-trace", grouped=True
        )
        for _ in evaluation:
            count += 1
        assert evaluation.counts.reconciles
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "leads": count, "peak_mib": peak}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--measure", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--leads", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--events", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.leads, args.events)))
        return 0
    header = (
        f"{'leads':>9}  {'mode':<16} {'seconds':>8} {'leads/s':>9} {'peak MiB':>9} {'vs floor':>9}"
    )
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        leads, events = dataset(n)
        results: dict[str, dict[str, float]] = {}
        for mode in MODES:
            output = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--measure",
                    mode,
                    "--leads",
                    str(leads),
                    "--events",
                    str(events),
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results[mode] = json.loads(output)
        floor = results["handwritten"]["seconds"]
        for mode in MODES:
            r = results[mode]
            print(
                f"{n:>9,}  {mode:<16} {r['seconds']:>8.2f} {r['leads'] / r['seconds']:>9,.0f} "
                f"{r['peak_mib']:>9.0f} {r['seconds'] / floor:>8.2f}x"
            )
        seconds = {mode: r["seconds"] for mode, r in results.items()}
        print(
            f"{'':>9}  no SLAs vs floor: {seconds['engine-no-slas'] / floor:.2f}x; "
            f"SLAs on / off: {seconds['engine-no-trace'] / seconds['engine-no-slas']:.2f}x; "
            f"traces on / off: {seconds['engine-trace'] / seconds['engine-no-trace']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
