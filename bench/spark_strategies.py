"""Spark: whole sorted partitions per call (``mapInArrow``) against one call per lead (cogroup).

    python bench/spark_strategies.py --leads 10000 --rounds 2

One local Spark session (``local[2]``), the bench data of ``bench/run.py`` (``bench/.data``),
no capacity pass and no traces, so only the judging differs. The rounds alternate:

* ``partitions``: :func:`leadcontract.spark.evaluate` (leads and events repartitioned by
  id, sorted, each partition one grouped evaluation);
* ``cogroup``: the same prepared rows cogrouped by lead id and judged one lead per call
  with ``applyInArrow`` (Arrow tables, not pandas), each group one evaluation.

It checks that both give the same verdict rows, then prints each round's wall seconds and
the CPU seconds of the whole process tree (driver, JVM, Python workers) over the round.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from pyspark.sql import DataFrame

import leadcontract
from leadcontract import spark as lcspark
from leadcontract.capacity import CapacityPlan
from leadcontract.engine import ReadRows
from leadcontract.model import Contract
from leadcontract.parallel import EVENT_ID
from leadcontract.verdict import Verdict
from leadcontract.writers import error_json, verdict_json

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from run import AS_OF, _descendants_cpu, dataset, local_spark, read_frames  # noqa: E402 - bench/ is not a package


def cogroup_evaluate(contract: Contract, leads: DataFrame, events: DataFrame) -> DataFrame:
    """The same rows as leadcontract.spark prepares, judged one lead id per call."""
    compiled = lcspark._compiled(contract)
    lead_rows = lcspark._keyed(
        lcspark._numbered(lcspark._as_text(leads)), lcspark._lead_ids(compiled).column
    )
    event_rows = lcspark._keyed(lcspark._numbered(lcspark._as_text(events)), EVENT_ID.column)
    lead_layout = lcspark._Layout("leads", tuple(lcspark._data_columns(lead_rows)))
    event_layout = lcspark._Layout("events", tuple(lcspark._data_columns(event_rows)))

    def judge(leads: pa.Table, events: pa.Table) -> pa.Table:
        compiled = lcspark._compiled(contract)
        lead_raw = [
            row
            for batch in leads.to_batches()
            for row in lcspark._raw_rows(batch, lead_layout, drop_nulls=False)
        ]
        event_raw = [
            row
            for batch in events.to_batches()
            for row in lcspark._raw_rows(batch, event_layout, drop_nulls=True)
        ]
        records: Iterator[int] = iter([row.record for row in lead_raw])
        evaluation = compiled.evaluate(
            ReadRows(lead_raw),
            ReadRows(event_raw),
            as_of=AS_OF,
            trace=False,
            capacity=CapacityPlan((), frozenset()),
        )
        out = lcspark._ResultRows()
        for item in evaluation:
            if isinstance(item, Verdict):
                out.add(item.lead_id, next(records), "verdict", verdict_json(item))
            else:
                if item.kind == "lead":
                    next(records)
                out.add(item.lead_id, item.record, f"{item.kind}-error", error_json(item))
        return pa.Table.from_batches([out.batch()])

    return (
        lead_rows.groupBy(lcspark._KEY)
        .cogroup(event_rows.groupBy(lcspark._KEY))
        .applyInArrow(judge, schema=lcspark.RESULT_SCHEMA)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    leads_path, events_path = dataset(args.leads)
    spark = local_spark()
    contract = leadcontract.load(ROOT / "contracts" / "example").contract
    assert contract is not None
    leads, events = read_frames(spark, leads_path, events_path)
    events = events.cache()
    events.count()  # schema inferred and rows cached once, for both

    def partitions() -> list[tuple[int, str]]:
        evaluation = lcspark.evaluate(
            contract, leads, events, as_of=AS_OF, trace=False, capacity=False
        )
        rows = evaluation.verdicts.collect()
        evaluation.results.unpersist()  # else the next round finds the same plan cached
        return sorted((row["record"], row["verdict"]) for row in rows)

    def cogroup() -> list[tuple[int, str]]:
        result = cogroup_evaluate(contract, leads, events).filter("kind = 'verdict'")
        return sorted((row["record"], row["line"]) for row in result.collect())

    strategies = {"partitions": partitions, "cogroup": cogroup}
    outputs: dict[str, list[tuple[int, str]]] = {}
    print(f"{'round':>5}  {'strategy':<11} {'wall s':>8} {'CPU s':>8}")
    for round_no in range(1, args.rounds + 1):
        for name, run in strategies.items():
            cpu = time.process_time() + _descendants_cpu()
            start = time.perf_counter()
            outputs[name] = run()
            wall = time.perf_counter() - start
            cpu = time.process_time() + _descendants_cpu() - cpu
            print(f"{round_no:>5}  {name:<11} {wall:>8.2f} {cpu:>8.2f}", flush=True)
    if outputs["partitions"] != outputs["cogroup"]:
        raise SystemExit("the strategies disagree")
    print(f"both give the same {len(outputs['partitions']):,} verdict rows")
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
