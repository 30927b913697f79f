"""What ``evaluate --audit`` costs over ``evaluate``: both modes, alternated, best of N.

    .venv/bin/python bench/audit_overhead.py --leads 2000 [--rounds 3] [--tree OTHER_CHECKOUT]

Each run is ``leadcontract evaluate`` in a fresh process with JSON Lines out (``--audit``: a
new SQLite store each round). With ``--tree``, the same is timed for another checkout of the
project (e.g. a revision before a change, made with ``git worktree add``), interleaved with
this one, so a before/after ratio comes from one run on one machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(tree: Path, data: Path, out: Path, audit: Path | None) -> float:
    command = [
        sys.executable, "-c",
        f"import sys; sys.path.insert(0, {str(tree)!r}); from leadcontract.cli import main; "
        "sys.exit(main())",
        "evaluate", str(tree / "contracts" / "example"),
        "--leads", str(data / "leads.csv"), "--events", str(data / "events.jsonl"),
        "--as-of", "2026-11-16T17:00:00Z", "--out", str(out),
    ]  # fmt: skip
    if audit is not None:
        audit.unlink(missing_ok=True)
        command += ["--audit", str(audit)]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tree", type=Path, action="append", default=[])
    args = parser.parse_args()
    trees = [ROOT, *args.tree]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        data = work / "data"
        subprocess.run(
            [sys.executable, "-m", "leadcontract.synthetic", "--leads", str(args.leads),
             "--out", str(data)],
            check=True, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        best: dict[tuple[str, str], float] = {}
        for _ in range(args.rounds):
            for tree in trees:
                for mode in ("plain", "audit"):
                    audit = work / "audit.db" if mode == "audit" else None
                    seconds = _run(tree, data, work / "v.jsonl", audit)
                    key = (str(tree), mode)
                    best[key] = min(best.get(key, seconds), seconds)
    print(f"{args.leads:,} leads, best of {args.rounds} rounds, modes interleaved")
    print(f"{'tree':<40} {'plain s':>8} {'--audit s':>10} {'overhead':>9}")
    for tree in trees:
        plain, audit = best[str(tree), "plain"], best[str(tree), "audit"]
        print(f"{tree!s:<40} {plain:>8.2f} {audit:>10.2f} {audit / plain:>8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
