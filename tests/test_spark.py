"""leadcontract.spark: the same verdict bytes as the local engine, Spark in local mode."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession

from leadcontract.cli import main
from leadcontract.engine import compile_contract
from leadcontract.loader import load
from leadcontract.model import Contract
from leadcontract.spark import evaluate, plan_capacity

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "contracts" / "example"
LEADS = EXAMPLE / "data" / "leads.csv"
EVENTS = EXAMPLE / "data" / "events.jsonl"
AS_OF = datetime(2026, 11, 16, 17, tzinfo=UTC)


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One local Spark for the whole run: two cores, few shuffle partitions, no UI, loopback."""
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("leadcontract-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def contract() -> Contract:
    loaded = load(EXAMPLE).contract
    assert loaded is not None
    return loaded


def read_leads(spark: SparkSession, path: Path) -> DataFrame:
    return (
        spark.read.option("header", True)
        .option("escape", '"')
        .option("multiLine", True)
        .csv(str(path))
    )


def read_events(spark: SparkSession, path: Path) -> DataFrame:
    return spark.read.option("primitivesAsString", True).json(str(path))


def local_lines(tmp_path: Path, *extra: str) -> list[str]:
    """What `leadcontract evaluate --format jsonl` writes for the example."""
    out = tmp_path / "verdicts.jsonl"
    args = ["evaluate", str(EXAMPLE), "--leads", str(LEADS), "--events", str(EVENTS)]
    code = main(
        [*args, "--as-of", "2026-11-16T17:00:00Z", "--format", "jsonl", "--out", str(out), *extra]
    )
    assert code == 0
    return out.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("trace", [True, False], ids=["trace", "no-trace"])
def test_verdict_rows_equal_the_local_engine_bytes(
    spark: SparkSession, contract: Contract, tmp_path: Path, trace: bool
) -> None:
    expected = local_lines(tmp_path, *([] if trace else ["--no-trace"]))
    result = evaluate(
        contract, read_leads(spark, LEADS), read_events(spark, EVENTS), as_of=AS_OF, trace=trace
    )
    rows = result.verdicts.orderBy("record").collect()
    assert [row["verdict"] for row in rows] == expected
    assert [row["lead_id"] for row in rows] == [f"L{n:06d}" for n in range(1, 241)]
    assert result.errors.count() == 0
    counts = result.counts()
    assert counts.reconciles
    assert (counts.leads_read, counts.verdicts, counts.events_read) == (240, 240, 1858)
    assert (counts.events_unknown_lead, counts.events_after_as_of) == (19, 25)


def test_the_capacity_plan_is_the_local_plan(spark: SparkSession, contract: Contract) -> None:
    local = compile_contract(contract).plan_capacity(LEADS)
    assert local.overflow  # the example's webinar week exceeds its capacity
    assert plan_capacity(contract, read_leads(spark, LEADS)).collect() == local


def test_error_rows_equal_the_local_ones_but_for_the_line(
    spark: SparkSession, contract: Contract, tmp_path: Path
) -> None:
    """Duplicates, bad values and events that cannot be read become the same error rows."""
    header, first, *rest = LEADS.read_text(encoding="utf-8").splitlines()
    bad = first.replace(",400,", ",lots,").replace("L000001", "L000999")
    leads = tmp_path / "leads.csv"
    leads.write_text("\n".join([header, first, first, bad, *rest]) + "\n", encoding="utf-8")
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"lead_id": "L000001", "type": "touch", "at": "yesterday"}\n'
        '{"lead_id": "L000999", "type": "touch", "at": "2026-10-02T10:00:00Z"}\n',
        encoding="utf-8",
    )
    local = compile_contract(contract).evaluate(leads, events, as_of=AS_OF, trace=False)
    expected = [
        {**item.to_dict(), "line": None, "source": "leads" if item.kind == "lead" else "events"}
        for item in local
        if not hasattr(item, "stage")
    ]
    result = evaluate(
        contract, read_leads(spark, leads), read_events(spark, events), as_of=AS_OF, trace=False
    )
    rows = result.errors.orderBy("kind", "record").collect()  # events first, as locally
    assert [json.loads(row["error"]) for row in rows] == expected
    assert [row["kind"] for row in rows] == ["event", "lead", "lead"]
    assert result.counts().to_dict() == local.counts.to_dict()
