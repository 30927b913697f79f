"""Input sources side by side: the same leads from CSV, a pandas DataFrame, Parquet, polars and
a sqlite3 cursor, evaluated with the example contract (no events, no traces).

    .venv/bin/python bench/inputs.py [--leads 20000] [--rounds 3]

Each round runs every source once, in turn, in this one process, so that machine load hits
them alike; the table gives the best round of each and its ratio to CSV. Speed is never
asserted in tests.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from leadcontract.engine import compile_contract
from leadcontract.loader import load

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "contracts" / "example"
AS_OF = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    loaded = load(EXAMPLE)
    assert loaded.contract is not None
    engine = compile_contract(loaded.contract)
    base = pd.read_csv(EXAMPLE / "data" / "leads.csv")
    copies = -(-args.leads // len(base))
    frame = pd.concat(
        [base.assign(Id=base["Id"] + f"-{i}") for i in range(copies)], ignore_index=True
    ).head(args.leads)
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "leads.csv"
        parquet_path = Path(folder) / "leads.parquet"
        frame.to_csv(csv_path, index=False)
        frame.to_parquet(parquet_path)
        polars_frame = pl.read_csv(csv_path, infer_schema_length=None)
        database = sqlite3.connect(":memory:")
        frame.to_sql("leads", database, index=False)
        sources: dict[str, Callable[[], Any]] = {
            "csv file": lambda: csv_path,
            "pandas DataFrame": lambda: frame,
            "parquet file": lambda: parquet_path,
            "polars DataFrame": lambda: polars_frame,
            "sqlite3 cursor": lambda: database.execute("SELECT * FROM leads"),
        }
        best: dict[str, float] = {}
        for _ in range(args.rounds):
            for name, source in sources.items():
                start = time.perf_counter()
                evaluation = engine.evaluate(source(), (), as_of=AS_OF, trace=False)
                count = sum(1 for _ in evaluation)
                elapsed = time.perf_counter() - start
                assert count == args.leads
                assert evaluation.counts.reconciles
                best[name] = min(best.get(name, elapsed), elapsed)
    floor = best["csv file"]
    print(f"{args.leads:,} leads, best of {args.rounds} rounds, side by side")
    print(f"{'source':<18} {'seconds':>8} {'leads/s':>9} {'vs csv':>7}")
    for name, seconds in best.items():
        print(f"{name:<18} {seconds:>8.2f} {args.leads / seconds:>9,.0f} {seconds / floor:>6.2f}x")


if __name__ == "__main__":
    main()
