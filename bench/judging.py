"""The per-lead judging alone: ``CompiledContract.verdict`` over leads already read.

The engine modes of run.py time reading, coercing and judging together, and the process's
imports besides; this times only the judging (lifecycle replay, scoring, buyer stages,
handoff, SLA clocks, spiffs, the verdict's records), so a change there shows up undiluted.
The leads and events are read once (a run of the engine on the files, its inputs kept), then
judged ``--repeat`` times; the best CPU time is printed as JSON.

    .venv/bin/python bench/judging.py --mode no-slas --leads bench/.data/v2-10000/leads.csv \
        --events bench/.data/v2-10000/events.jsonl
    PYTHONPATH=/tmp/before .venv/bin/python bench/judging.py ...   # an older engine, paired
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import leadcontract
from leadcontract.engine import CompiledContract, compile_contract

ROOT = Path(__file__).resolve().parents[1]
AS_OF = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)
MODES = ("no-slas", "no-trace", "trace")


def read_inputs(compiled: CompiledContract, leads: Path, events: Path) -> list[tuple[Any, ...]]:
    """Every lead's coerced record and events, as the engine hands them to ``verdict``."""
    taken: list[tuple[Any, ...]] = []
    judge = compiled.verdict

    def keep(record: Any, used: Any, as_of: datetime, **options: Any) -> Any:
        taken.append((record, used, as_of, options.get("overflow", False)))
        return judge(record, used, as_of, **options)

    compiled.verdict = keep  # type: ignore[method-assign,assignment]
    try:
        for _ in compiled.evaluate(leads, events, as_of=AS_OF, trace=False, grouped=True):
            pass
    finally:
        del compiled.verdict
    return taken


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=MODES, default="no-trace")
    parser.add_argument("--leads", type=Path, required=True)
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    contract = leadcontract.load(ROOT / "contracts" / "example").contract
    assert contract is not None
    if args.mode == "no-slas":
        contract = contract.model_copy(update={"slas": {}, "spiffs": {}})
    compiled = compile_contract(contract)
    inputs = read_inputs(compiled, args.leads, args.events)
    trace = args.mode == "trace"
    best = float("inf")
    for _ in range(args.repeat):
        start = time.process_time()
        for record, used, as_of, overflow in inputs:
            compiled.verdict(record, used, as_of, trace=trace, overflow=overflow)
        best = min(best, time.process_time() - start)
    print(json.dumps({"mode": args.mode, "leads": len(inputs), "cpu": round(best, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
