"""Every source goes through one input layer: the same data gives the same verdict bytes.

The example contract's 240 leads and 1,858 events are read from their CSV and JSON Lines files,
then from a pandas DataFrame (types inferred: NaN in empty cells, integers, booleans), Parquet
and Arrow files, a polars DataFrame, a sqlite3 cursor and sqlite3.Row rows; each run must give
byte-identical verdicts and the same counts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from pyarrow import feather

from leadcontract.cli import main
from leadcontract.engine import CompiledContract, compile_contract
from leadcontract.inputs import RecordError, rows_from
from leadcontract.loader import load
from leadcontract.verdict import Verdict
from leadcontract.writers import error_json, verdict_json

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "contracts" / "example"
LEADS = EXAMPLE / "data" / "leads.csv"
EVENTS = EXAMPLE / "data" / "events.jsonl"
AS_OF = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine() -> CompiledContract:
    loaded = load(EXAMPLE)
    assert loaded.contract is not None
    return compile_contract(loaded.contract)


def outputs(engine: CompiledContract, leads: Any, events: Any = EVENTS) -> tuple[list[str], Any]:
    evaluation = engine.evaluate(leads, events, as_of=AS_OF)
    lines = [
        verdict_json(item) if isinstance(item, Verdict) else error_json(item) for item in evaluation
    ]
    return lines, evaluation.counts


@pytest.fixture(scope="module")
def from_csv(engine: CompiledContract) -> tuple[list[str], Any]:
    lines, counts = outputs(engine, LEADS)
    assert len(lines) == 240
    assert counts.reconciles
    return lines, counts


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    frame = pd.read_csv(LEADS)  # pandas infers: NaN for empty cells, ints, floats, booleans
    assert frame["Rating"].isna().any()
    assert frame["DoNotCall"].dtype == bool
    return frame


def test_pandas_dataframe_gives_the_csv_bytes(
    engine: CompiledContract, frame: pd.DataFrame, from_csv: Any
) -> None:
    assert outputs(engine, frame) == from_csv


def test_pandas_records_with_nan_give_the_csv_bytes(
    engine: CompiledContract, frame: pd.DataFrame, from_csv: Any
) -> None:
    """`df.to_dict("records")` hands NaN floats to the engine: they are missing values."""
    assert outputs(engine, frame.to_dict("records")) == from_csv


def test_parquet_and_arrow_files_give_the_csv_bytes(
    engine: CompiledContract, frame: pd.DataFrame, from_csv: Any, tmp_path: Path
) -> None:
    parquet = tmp_path / "leads.parquet"
    frame.to_parquet(parquet)
    assert outputs(engine, parquet) == from_csv
    arrow = tmp_path / "leads.arrow"
    feather.write_feather(pa.Table.from_pandas(frame), arrow)
    assert outputs(engine, arrow) == from_csv
    assert outputs(engine, pa.Table.from_pandas(frame)) == from_csv


def test_polars_dataframe_gives_the_csv_bytes(engine: CompiledContract, from_csv: Any) -> None:
    assert outputs(engine, pl.read_csv(LEADS, infer_schema_length=None)) == from_csv


def test_events_from_a_dataframe_give_the_same_bytes(
    engine: CompiledContract, frame: pd.DataFrame, from_csv: Any
) -> None:
    events = pd.read_json(EVENTS, lines=True, dtype=False)
    assert outputs(engine, frame, events) == from_csv


@pytest.fixture
def database(frame: pd.DataFrame) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    frame.to_sql("leads", connection, index=False)
    yield connection
    connection.close()


def test_dbapi_cursor_gives_the_csv_bytes(
    engine: CompiledContract, database: sqlite3.Connection, from_csv: Any
) -> None:
    cursor = database.execute("SELECT * FROM leads")
    assert outputs(engine, cursor) == from_csv


def test_sqlite_rows_give_the_csv_bytes(
    engine: CompiledContract, database: sqlite3.Connection, from_csv: Any
) -> None:
    database.row_factory = sqlite3.Row
    rows = database.execute("SELECT * FROM leads").fetchall()
    assert outputs(engine, rows) == from_csv


def test_a_bad_value_in_a_dataframe_is_one_error_row_naming_the_column(
    engine: CompiledContract, frame: pd.DataFrame
) -> None:
    broken = frame.astype({"NumberOfEmployees": object})
    broken.loc[3, "NumberOfEmployees"] = "many"
    lines, counts = outputs(engine, broken)
    assert counts.reconciles
    assert counts.lead_errors == 1
    (error,) = [line for line in lines if '"code":"wrong-type"' in line]
    assert (
        'employees (column \\"NumberOfEmployees\\"): expected an integer, got \\"many\\"' in error
    )
    assert '"source":"<DataFrame>","record":4' in error


def test_a_corrupt_parquet_file_is_an_error_row_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "leads.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    (error,) = list(rows_from(path, kind="lead"))
    assert isinstance(error, RecordError)
    assert error.code == "malformed"
    assert error.source == str(path)


def test_an_unreadable_source_type_is_named() -> None:
    with pytest.raises(TypeError, match="cannot read records from a int"):
        rows_from(42, kind="lead")


def test_parsed_timestamps_and_nat_give_the_csv_bytes(
    engine: CompiledContract, frame: pd.DataFrame, from_csv: Any, tmp_path: Path
) -> None:
    typed = frame.copy()
    for column in ("CreatedDate", "form_submitted_at"):
        typed[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    assert typed["form_submitted_at"].isna().any()  # NaT where the CSV cell is empty
    assert outputs(engine, typed) == from_csv
    parquet = tmp_path / "typed.parquet"
    typed.to_parquet(parquet)
    assert outputs(engine, parquet) == from_csv


def test_cli_evaluates_a_parquet_file_to_the_csv_bytes(frame: pd.DataFrame, tmp_path: Path) -> None:
    parquet = tmp_path / "leads.parquet"
    frame.to_parquet(parquet)
    common = ["--events", str(EVENTS), "--as-of", "2026-11-16T17:00:00Z", "--no-trace"]
    for name, leads in (("csv", LEADS), ("parquet", parquet)):
        out = tmp_path / f"{name}.jsonl"
        assert (
            main(["evaluate", str(EXAMPLE), "--leads", str(leads), *common, "--out", str(out)]) == 0
        )
    assert (tmp_path / "parquet.jsonl").read_bytes() == (tmp_path / "csv.jsonl").read_bytes()
