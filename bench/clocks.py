"""Benchmark: the SLA clocks alone, against an earlier engine, side by side.

The clocks are about a third of an evaluation, so a change to them moves the whole engine's
time by less than the noise of this shared machine. This isolates them: one evaluation of the
example contract (streamed, no traces) records what each lead's clocks are given, then only
judging every SLA over those leads is timed (CPU seconds, best of ``--repeat``; each repetition
gets fresh lead contexts, so nothing a clock caches per lead carries over). A digest of the
verdicts (as written) proves both engines judged alike.

With ``--before DIR`` the same runs in fresh processes importing ``DIR/leadcontract`` (e.g.
``git archive <commit> leadcontract | tar -x -C DIR``) and this checkout's, alternating
``--rounds`` times, and the ratios are printed.

    .venv/bin/python bench/clocks.py --before /tmp/before [--leads 10000] [--rounds 2]

CPU seconds on a shared 2-core machine vary by 30% from one process to the next, more than
a step of this work changes. ``--instructions N`` counts instead: the first N recorded leads
are saved once (pickled, in the temporary folder), then each engine judges them in a process run
under valgrind (``--tool=cachegrind --cache-sim=no``) and in one that stops just before
judging; the difference is the instructions the judging took, the same from run to run
(hash seed fixed). Both processes first judge the leads once on contexts of their own, so
the calendars' tables and caches are warm, as in a long run. About a minute per engine for
3,000 leads.

    .venv/bin/python bench/clocks.py --before /tmp/before --instructions 3000
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
AS_OF = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)


def _recorded(leads: Path, events: Path) -> tuple[Any, list[dict[str, Any]]]:
    """The example compiled, and what its clocks were given for each lead of the files (the
    arguments of every LeadContext the engine built, recorded as it judged them)."""
    import leadcontract  # after PYTHONPATH chose which one
    from leadcontract import engine

    patched: Any = engine  # the engine builds each lead's LeadContext through this name
    contract = leadcontract.load(ROOT / "contracts" / "example").contract
    assert contract is not None
    compiled = engine.compile_contract(contract)
    recorded: list[dict[str, Any]] = []
    real = patched.LeadContext

    def keep(**given: Any) -> Any:
        recorded.append(given)
        return real(**given)

    patched.LeadContext = keep
    try:
        for _ in compiled.evaluate(leads, events, as_of=AS_OF, grouped=True):
            pass
    finally:
        patched.LeadContext = real
    return compiled, recorded


def measure(leads: Path, events: Path, repeat: int) -> dict[str, Any]:
    """Judge the example's SLAs over recorded leads; CPU seconds and a digest of verdicts."""
    from leadcontract.sla import LeadContext
    from leadcontract.verdict import to_plain

    compiled, recorded = _recorded(leads, events)
    real = LeadContext
    slas = compiled.slas
    best = float("inf")
    digest = ""
    for _ in range(repeat):
        contexts = [real(**given) for given in recorded]
        # The recorded leads stay alive for the whole run (the engine streams them): out of
        # the collector's way, so that it counts only what the clocks allocate.
        gc.collect()
        gc.freeze()
        start = time.process_time()
        verdicts = [sla.judge(lead, AS_OF) for lead in contexts for sla in slas]
        best = min(best, time.process_time() - start)
        text = json.dumps([to_plain(v) for v in verdicts], sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        del verdicts, contexts
        gc.unfreeze()
    return {
        "cpu": best,
        "leads": len(recorded),
        "clocks": len(recorded) * len(slas),
        "digest": digest,
    }


def record(leads: Path, events: Path, limit: int, to: Path) -> None:
    """Save what the first ``limit`` leads' clocks are given, for :func:`judge_saved`."""
    recorded = _recorded(leads, events)[1]
    to.write_bytes(pickle.dumps(recorded[:limit]))


def judge_saved(saved: Path, mode: str) -> str:
    """Judge the saved leads after a first, warming pass (mode ``judge``; ``warm``: stop
    before judging); with mode ``digest``, also the verdicts' digest (not counted: writing
    it costs more than judging)."""
    import leadcontract  # after PYTHONPATH chose which one
    from leadcontract import engine
    from leadcontract.sla import LeadContext
    from leadcontract.verdict import to_plain

    contract = leadcontract.load(ROOT / "contracts" / "example").contract
    assert contract is not None
    slas = engine.compile_contract(contract).slas
    recorded = pickle.loads(saved.read_bytes())
    for given in recorded:
        lead = LeadContext(**given)
        for sla in slas:
            sla.judge(lead, AS_OF)
    contexts = [LeadContext(**given) for given in recorded]
    gc.collect()
    gc.freeze()
    if mode == "warm":
        return ""
    verdicts = [sla.judge(lead, AS_OF) for lead in contexts for sla in slas]
    if mode != "digest":
        return ""
    text = json.dumps([to_plain(v) for v in verdicts], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def instructions(sides: list[tuple[str, str]], saved: Path) -> dict[str, tuple[int, str]]:
    """Per engine: the instructions judging the saved leads took, and the verdicts' digest."""
    found: dict[str, tuple[int, str]] = {}
    for name, path in sides:
        env = {**os.environ, "PYTHONPATH": path, "PYTHONHASHSEED": "0"}
        judge = [sys.executable, __file__, "--judge-saved", str(saved)]
        counts = []
        for mode in ("warm", "judge"):
            command = ["valgrind", "--tool=cachegrind", "--cache-sim=no"]
            command += ["--cachegrind-out-file=/dev/null", *judge, mode]
            done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            refs = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
            assert refs is not None, done.stderr[-2000:]
            counts.append(int(refs.group(1).replace(",", "")))
        done = subprocess.run(
            [*judge, "digest"], env=env, check=True, capture_output=True, text=True
        )
        found[name] = (counts[1] - counts[0], done.stdout.strip())
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--before", type=Path, help="folder holding an earlier leadcontract/")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--instructions", type=int, metavar="N", help="count instructions for N leads instead"
    )
    parser.add_argument("--judge-saved", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.judge_saved:
        print(judge_saved(Path(args.judge_saved[0]), args.judge_saved[1]))
        return 0
    folder = DATA / f"v2-{args.leads}"
    leads, events = folder / "leads.csv", folder / "events.jsonl"
    if not leads.is_file():
        print(f"no data in {folder}: generate it with bench/run.py --sizes {args.leads}")
        return 2
    if args.measure:
        print(json.dumps(measure(leads, events, args.repeat)))
        return 0
    sides = [("now", str(ROOT))]
    if args.before is not None:
        sides.insert(0, ("before", str(args.before.resolve())))
    if args.instructions:
        if shutil.which("valgrind") is None:
            print("--instructions counts under valgrind: install it (apt-get install valgrind)")
            return 2
        saved = Path(tempfile.gettempdir()) / f"clocks-{args.leads}-{args.instructions}.pickle"
        if not saved.is_file():
            record(leads, events, args.instructions, saved)
        counted = instructions(sides, saved)
        line = "  ".join(f"{name} {n:,} ({digest})" for name, (n, digest) in counted.items())
        if "before" in counted:
            line += f"  before/now {counted['before'][0] / counted['now'][0]:.3f}x"
            if counted["before"][1] != counted["now"][1]:
                line += "  VERDICTS DIFFER"
        print(f"instructions judging {args.instructions:,} leads: {line}")
        return 0
    for round_number in range(1, args.rounds + 1):
        found: dict[str, dict[str, Any]] = {}
        for name, path in sides:
            command = [sys.executable, __file__, "--measure", "--leads", str(args.leads)]
            command += ["--repeat", str(args.repeat)]
            env = {**os.environ, "PYTHONPATH": path}
            output = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            found[name] = json.loads(output.stdout)
        line = "  ".join(
            f"{name} {result['cpu']:.3f} s ({result['digest']})" for name, result in found.items()
        )
        if "before" in found:
            line += f"  before/now {found['before']['cpu'] / found['now']['cpu']:.2f}x"
            if found["before"]["digest"] != found["now"]["digest"]:
                line += "  VERDICTS DIFFER"
        print(f"round {round_number}: {found['now']['clocks']:,} clocks  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
