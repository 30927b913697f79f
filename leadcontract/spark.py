"""Evaluate a contract where the data lives: Spark DataFrames of leads and events.

Evaluation is a pure function of (compiled contract, one lead's record and events, ``as_of``),
so Spark can group the events by lead id, cogroup them with the leads, and run the local
engine on each group (``applyInPandas``). Each group is judged by the same code as
``leadcontract evaluate``, so each verdict row holds, byte for byte, the JSON line the local
engine writes for that lead, and each error row the line it writes to ``--errors``.

The one cross-lead figure, capacity overflow (capacity.py), is a Spark aggregation: each
lead record is coerced where it lies, the first valid record of each id kept, and each
campaign-week's leads ranked by (creation, id) with a window; the overflow ids are then joined
onto the leads (broadcast) before the groups are judged.

Inputs are read as text, as from a CSV file: every column is cast to string and a null is no
value (an event's null keys are left out, as in JSON Lines). Each row's ordinal in its
DataFrame (Spark's read order: file order for one file) stands in for the record number of
the local error rows and orders a lead's events at the same instant, as the file order does
locally; error rows carry ``line: null`` (Spark does not know it) and the ``source`` name
given.

Needs the ``spark`` extra (``pip install 'leadcontract[spark]'``) and a Java runtime.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

try:
    import pandas as pd
    from pyspark.sql import Column, DataFrame, Window
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own spelling
except ImportError as missing:  # pragma: no cover - the lock installs the extra
    raise ImportError(
        f"leadcontract.spark needs the spark extra ({missing.name} is missing): "
        "pip install 'leadcontract[spark]'"
    ) from missing

from leadcontract.audit import contract_digest
from leadcontract.capacity import CapacityPlan, WeekLoad, week_of
from leadcontract.engine import CompiledContract, ReadRows, RunCounts, compile_contract
from leadcontract.inputs import LeadCoercer, RawRecord
from leadcontract.model import Contract
from leadcontract.parallel import EVENT_ID, lead_id_column
from leadcontract.verdict import Verdict
from leadcontract.writers import error_json, verdict_json

__all__ = ["RESULT_SCHEMA", "SparkCapacity", "SparkEvaluation", "evaluate", "plan_capacity"]

RESULT_SCHEMA = "lead_id string, record long, kind string, line string"
"""One row per item: ``kind`` is ``verdict``, ``lead-error``, ``event-error`` or ``counts``;
``line`` the JSON line (the counts of one group, for ``counts``)."""

_KEY, _RECORD, _OVERFLOW = "__leadcontract_key", "__leadcontract_record", "__leadcontract_over"
_HELPERS = frozenset({_KEY, _RECORD, _OVERFLOW})
_PARTITION_BITS = 33
"""``monotonically_increasing_id`` puts the partition index above this bit."""


@dataclass(frozen=True)
class SparkCapacity:
    """The capacity plan as DataFrames: ``loads`` (campaign, week, leads, expected, capacity)
    and ``overflow`` (lead_id)."""

    loads: DataFrame
    overflow: DataFrame

    def collect(self) -> CapacityPlan:
        """The plan on the driver, equal to :func:`leadcontract.capacity.plan_capacity`'s."""
        loads = tuple(
            WeekLoad(r["campaign"], r["week"], r["leads"], r["expected"], r["capacity"])
            for r in self.loads.orderBy("campaign", "week").collect()
        )
        overflow = frozenset(r["lead_id"] for r in self.overflow.collect())
        return CapacityPlan(loads, overflow)


@dataclass(frozen=True)
class SparkEvaluation:
    """The evaluation as DataFrames. ``results`` holds every row (see :data:`RESULT_SCHEMA`);
    ``verdicts`` (lead_id, record, verdict) and ``errors`` (kind, lead_id, record, error)
    are views of it. Sort by ``record`` for the local engine's order (event errors first)."""

    results: DataFrame

    @property
    def verdicts(self) -> DataFrame:
        rows = self.results.filter(F.col("kind") == "verdict")
        return rows.select("lead_id", "record", F.col("line").alias("verdict"))

    @property
    def errors(self) -> DataFrame:
        rows = self.results.filter(F.col("kind").isin("lead-error", "event-error"))
        kind = F.regexp_replace("kind", "-error$", "").alias("kind")
        return rows.select(kind, "lead_id", "record", F.col("line").alias("error"))

    def counts(self) -> RunCounts:
        """Records in and out, summed over the groups; they reconcile as locally."""
        total = RunCounts()
        for row in self.results.filter(F.col("kind") == "counts").select("line").collect():
            for name, value in json.loads(row["line"]).items():
                setattr(total, name, getattr(total, name) + value)
        return total


def evaluate(
    contract: Contract,
    leads: DataFrame,
    events: DataFrame | None = None,
    *,
    as_of: datetime,
    trace: bool = True,
    capacity: bool = True,
    lead_source: str = "leads",
    event_source: str = "events",
) -> SparkEvaluation:
    """Evaluate every lead of ``leads`` with its ``events`` as of ``as_of`` (lazy: Spark
    runs when a result is used). ``capacity`` plans the campaigns' capacity first, as the CLI
    does, so SLA breaches of overflow leads are excused. The results are persisted: the
    verdicts, the errors and the counts are computed once."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware (e.g. 2026-11-16T17:00:00+00:00)")
    lead_rows = _keyed(_numbered(_as_text(leads)), lead_id_column(contract).column)
    if events is None:
        session = leads.sparkSession
        events = session.createDataFrame([], "lead_id string")
    event_rows = _keyed(_numbered(_as_text(events)), EVENT_ID.column)
    if capacity and any(c.capacity for c in contract.campaigns.values()):
        overflow = plan_capacity(contract, lead_rows).overflow
        flags = overflow.select(F.col("lead_id").alias(_KEY), F.lit(True).alias(_OVERFLOW))
        lead_rows = lead_rows.join(F.broadcast(flags), on=_KEY, how="left")
    else:
        lead_rows = lead_rows.withColumn(_OVERFLOW, F.lit(False))
    judge_group = _GroupJudge(contract, as_of, trace, lead_source, event_source)

    def judge(leads: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
        # A plain function: Spark reads the arity of its signature (2: no key argument).
        return judge_group(leads, events)

    results = (
        lead_rows.groupBy(_KEY)
        .cogroup(event_rows.groupBy(_KEY))
        .applyInPandas(judge, schema=RESULT_SCHEMA)
    )
    return SparkEvaluation(results.persist())


def plan_capacity(contract: Contract, leads: DataFrame) -> SparkCapacity:
    """Rank each campaign-week's leads against its declared capacity, as a Spark job.

    The same plan as :meth:`leadcontract.engine.CompiledContract.plan_capacity` on the same
    records: the first valid record of each id counts, in the ISO week of its creation in the
    contract's time zone, ranked by creation time, then id.
    """
    if _RECORD not in leads.columns:
        leads = _numbered(_as_text(leads))
    capacities = {
        campaign_id: campaign.capacity
        for campaign_id, campaign in contract.campaigns.items()
        if campaign.capacity is not None
    }
    find_arrivals = _Arrivals(contract)

    def arrivals_of(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return find_arrivals(batches)

    arrivals = leads.mapInPandas(
        arrivals_of,
        schema="lead_id string, record long, campaign string, created long, week string",
    )
    numbered = arrivals.withColumn(
        "n", F.row_number().over(Window.partitionBy("lead_id").orderBy("record"))
    )
    first = numbered.filter(
        (F.col("n") == 1) & F.col("campaign").isin(list(capacities)) & F.col("created").isNotNull()
    )
    week = Window.partitionBy("campaign", "week").orderBy("created", "lead_id")
    weekly = _lookup({k: c.weekly_capacity for k, c in capacities.items()}, "campaign")
    ranked = first.withColumn("rank", F.row_number().over(week)).withColumn("capacity", weekly)
    loads = (
        ranked.groupBy("campaign", "week")
        .agg(F.count(F.lit(1)).alias("leads"), F.first("capacity").alias("capacity"))
        .withColumn("expected", _lookup({k: c.leads_per_week for k, c in capacities.items()}))
        .select("campaign", "week", "leads", "expected", "capacity")
    )
    overflow = ranked.filter(F.col("rank") > F.col("capacity")).select("lead_id")
    return SparkCapacity(loads, overflow)


# --- preparing the DataFrames ------------------------------------------------------------------


def _as_text(frame: DataFrame) -> DataFrame:
    """Every column as text, as a CSV file would give it."""
    return frame.select([frame[name].cast("string").alias(name) for name in frame.columns])


def _numbered(frame: DataFrame) -> DataFrame:
    """Add each row's 1-based ordinal in the DataFrame's order (one job counts the rows of
    each partition; the ordinal is the partition's offset plus the row's place in it)."""
    tagged = frame.withColumn("__pid", F.spark_partition_id()).withColumn(
        "__mid", F.monotonically_increasing_id()
    )
    sizes = sorted((r["__pid"], r["count"]) for r in tagged.groupBy("__pid").count().collect())
    offsets: dict[int, int] = {}
    total = 0
    for partition, size in sizes:
        offsets[partition] = total
        total += size
    place = F.col("__mid") - F.col("__pid").cast("long") * (1 << _PARTITION_BITS)
    record = _lookup(offsets, "__pid", default=0) + place + 1
    return tagged.withColumn(_RECORD, record.cast("long")).drop("__pid", "__mid")


def _keyed(frame: DataFrame, find: Any) -> DataFrame:
    """Add the grouping key: the lead id column's text, stripped (as the coercers read it)."""
    column = find(tuple(frame.columns))
    key = F.trim(frame[column]) if column is not None else F.lit(None).cast("string")
    return frame.withColumn(_KEY, key)


def _lookup(table: dict[Any, Any], column: str = "campaign", default: Any = None) -> Column:
    if not table:
        return F.lit(default)
    mapping = F.create_map(*[F.lit(part) for pair in table.items() for part in pair])
    found = F.element_at(mapping, F.col(column))
    return F.coalesce(found, F.lit(default)) if default is not None else found


# --- on the executors --------------------------------------------------------------------------

_COMPILED: dict[str, CompiledContract] = {}
"""Compiled contracts by digest: compiled once per Python worker, not once per group."""


def _compiled(contract: Contract) -> CompiledContract:
    digest = contract_digest(contract)
    found = _COMPILED.get(digest)
    if found is None:
        found = _COMPILED[digest] = compile_contract(contract)
    return found


def _records(frame: pd.DataFrame, *, drop_nulls: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    """(ordinal, row) in ordinal order, helper columns left out, nulls as None (or absent)."""
    columns = [c for c in frame.columns if c not in _HELPERS]
    ordered = frame.sort_values(_RECORD, kind="stable")
    for record, values in zip(
        ordered[_RECORD].tolist(), ordered[columns].itertuples(index=False), strict=True
    ):
        row = {c: None if _null(v) else v for c, v in zip(columns, values, strict=True)}
        if drop_nulls:
            row = {c: v for c, v in row.items() if v is not None}
        yield int(record), row


def _null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class _GroupJudge:
    """The function Spark applies to each cogroup: the local engine on one lead id's rows."""

    def __init__(
        self,
        contract: Contract,
        as_of: datetime,
        trace: bool,
        lead_source: str,
        event_source: str,
    ) -> None:
        self.contract = contract
        self.as_of = as_of
        self.trace = trace
        self.sources = (lead_source, event_source)

    def __call__(self, leads: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
        compiled = _compiled(self.contract)
        lead_source, event_source = self.sources
        answered: deque[int] = deque()
        lead_rows: list[RawRecord] = []
        for record, row in _records(leads, drop_nulls=False):
            answered.append(record)
            lead_rows.append(RawRecord(lead_source, record, None, row))
        event_rows = [
            RawRecord(event_source, record, None, row)
            for record, row in _records(events, drop_nulls=True)
        ]
        overflow = frozenset(
            str(key)
            for key, over in zip(leads[_KEY], leads[_OVERFLOW], strict=True)
            if not _null(over) and bool(over)
        )
        evaluation = compiled.evaluate(
            ReadRows(lead_rows),
            ReadRows(event_rows),
            as_of=self.as_of,
            trace=self.trace,
            capacity=CapacityPlan((), overflow),
        )
        out: list[tuple[str | None, int, str, str]] = []
        for item in evaluation:
            if isinstance(item, Verdict):
                out.append((item.lead_id, answered.popleft(), "verdict", verdict_json(item)))
            elif item.kind == "event":
                out.append((item.lead_id, item.record, "event-error", error_json(item)))
            else:
                answered.popleft()
                out.append((item.lead_id, item.record, "lead-error", error_json(item)))
        key = _group_key(leads, events)
        out.append((key, 0, "counts", json.dumps(vars(evaluation.counts), sort_keys=True)))
        return pd.DataFrame(out, columns=["lead_id", "record", "kind", "line"])


def _group_key(leads: pd.DataFrame, events: pd.DataFrame) -> str | None:
    for frame in (leads, events):
        if len(frame):
            value = frame[_KEY].iloc[0]
            return None if _null(value) else str(value)
    return None


class _Arrivals:
    """For each valid lead record: id, ordinal, campaign, creation (µs since the epoch) and
    ISO week of creation in the contract's zone (for the capacity plan)."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract

    def __call__(self, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        contract = self.contract
        zone: tzinfo = ZoneInfo(contract.metadata.timezone)
        coercer = LeadCoercer(contract.lead, default_tz=zone)
        keys = contract.lead.keys
        for batch in batches:
            out: list[tuple[str, int, str | None, int | None, str | None]] = []
            for record_no, row in _records(batch, drop_nulls=False):
                record, _ = coercer.coerce(RawRecord("leads", record_no, None, row))
                if record is None:
                    continue
                campaign = record.get(keys.campaign)
                created = record.get(keys.created)
                when = _micros(created) if isinstance(created, datetime) else None
                week = week_of(created, zone) if isinstance(created, datetime) else None
                text = campaign if isinstance(campaign, str) else None
                out.append((str(record.get(keys.id)), record_no, text, when, week))
            yield pd.DataFrame(out, columns=["lead_id", "record", "campaign", "created", "week"])


def _micros(at: datetime) -> int:
    """An aware instant as whole microseconds since the epoch (exact, for ordering)."""
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
