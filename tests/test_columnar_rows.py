"""The columnar path and the row path give identical verdict bytes (issue 14).

The same synthetic leads and events (random seeds: :mod:`leadcontract.synthetic` tells the
example contract's whole story, so every rule family, SLA clock and spiff is exercised) are
evaluated from their CSV and JSON Lines files (the row path), from Parquet and Arrow files
written by pyarrow with the types pyarrow infers (timestamps, integers, booleans, nulls where
a JSON line lacks a key), and from Arrow tables in memory. Every run must give the same lines
of verdicts and error rows, byte for byte, and the same counts. (The example's own 240 leads
are compared from every source in test_crm_inputs.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyarrow import csv as pa_csv
from pyarrow import feather, parquet
from pyarrow import json as pa_json

from leadcontract.engine import CompiledContract, compile_contract
from leadcontract.loader import load
from leadcontract.synthetic import write_dataset
from leadcontract.verdict import Verdict
from leadcontract.writers import error_json, verdict_json

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "contracts" / "example"
AS_OF = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine() -> CompiledContract:
    loaded = load(EXAMPLE)
    assert loaded.contract is not None
    return compile_contract(loaded.contract)


def _outputs(
    engine: CompiledContract, leads: Any, events: Any, *, trace: bool, grouped: bool
) -> tuple[list[str], dict[str, int | bool]]:
    evaluation = engine.evaluate(leads, events, as_of=AS_OF, trace=trace, grouped=grouped)
    lines = [
        verdict_json(item) if isinstance(item, Verdict) else error_json(item) for item in evaluation
    ]
    return lines, evaluation.counts.to_dict()


def _read_events(events_jsonl: Path) -> pa.Table:
    """The events as Arrow infers them, except ``at``: pyarrow reads ``...Z`` as a naive
    timestamp (the zone dropped), which the engine would rightly read in the contract's zone;
    a careful export keeps the zone, as here."""
    at = pa.schema([("at", pa.timestamp("s", tz="UTC"))])
    return pa_json.read_json(events_jsonl, parse_options=pa_json.ParseOptions(explicit_schema=at))


def _columnar(folder: Path, leads_csv: Path, events_jsonl: Path) -> dict[str, tuple[Any, Any]]:
    """The same data as Parquet files, Arrow IPC files and in-memory Arrow tables."""
    leads = pa_csv.read_csv(leads_csv)
    events = _read_events(events_jsonl)
    parquet.write_table(leads, folder / "leads.parquet")
    parquet.write_table(events, folder / "events.parquet")
    feather.write_feather(leads, folder / "leads.arrow")
    feather.write_feather(events, folder / "events.arrow")
    return {
        "parquet": (folder / "leads.parquet", folder / "events.parquet"),
        "arrow": (folder / "leads.arrow", folder / "events.arrow"),
        "tables": (leads, events),
    }


def test_the_arrow_tables_are_typed_not_text(tmp_path: Path) -> None:
    """The columnar path is exercised with typed columns, not with strings everywhere."""
    leads_csv, events_jsonl = write_dataset(tmp_path, 60, workers=1)
    leads = pa_csv.read_csv(leads_csv)
    events = _read_events(events_jsonl)
    assert pa.types.is_timestamp(leads.schema.field("CreatedDate").type)
    assert pa.types.is_integer(leads.schema.field("NumberOfEmployees").type)
    assert pa.types.is_boolean(leads.schema.field("DoNotCall").type)
    assert pa.types.is_integer(events.schema.field("seats").type)
    assert pa.types.is_timestamp(events.schema.field("at").type)
    assert events.column("channel").null_count > 0


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=2**31), size=st.integers(20, 60))
def test_random_data_gives_the_same_bytes_from_columns_and_rows(
    engine: CompiledContract, tmp_path_factory: pytest.TempPathFactory, seed: int, size: int
) -> None:
    folder = tmp_path_factory.mktemp("data")
    leads_csv, events_jsonl = write_dataset(folder, size, seed=seed, workers=1)
    for trace, grouped in ((True, False), (False, True)):
        rows, counts = _outputs(engine, leads_csv, events_jsonl, trace=trace, grouped=grouped)
        assert len(rows) == size
        assert counts["reconciles"]
        for name, (leads, events) in _columnar(folder, leads_csv, events_jsonl).items():
            columns = _outputs(engine, leads, events, trace=trace, grouped=grouped)
            assert columns == (rows, counts), name


def test_the_example_gives_the_same_bytes_from_columns_and_rows(
    engine: CompiledContract, tmp_path: Path
) -> None:
    leads_csv = EXAMPLE / "data" / "leads.csv"
    events_jsonl = EXAMPLE / "data" / "events.jsonl"
    rows = _outputs(engine, leads_csv, events_jsonl, trace=True, grouped=False)
    assert len(rows[0]) == 240
    for name, (leads, events) in _columnar(tmp_path, leads_csv, events_jsonl).items():
        assert _outputs(engine, leads, events, trace=True, grouped=False) == rows, name
