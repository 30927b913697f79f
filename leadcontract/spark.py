"""Evaluate a contract where the data lives: Spark DataFrames of leads and events.

Evaluation is a pure function of (compiled contract, one lead's record and events, ``as_of``),
so Spark can bring each lead's rows together and run the local engine on them. The leads and
the events are put into one DataFrame (each side's columns kept apart), repartitioned by
lead id so a lead's record and its events land in the same partition, and sorted there by
(id, side, ordinal). Each partition is then judged in one Python call (``mapInArrow``): its
Arrow batches are split back into a lead stream and an event stream, both sorted by id, which
the engine merges as it does for sorted files (``grouped=True``), so a partition costs one
evaluation run, not one per lead. Each verdict row holds, byte for byte, the JSON line the
local engine writes for that lead, and each error row the line it writes to ``--errors``.

The one cross-lead figure, capacity overflow (capacity.py), is a Spark aggregation: each
lead record is coerced where it lies, the first valid record of each id kept, and each
campaign-week's leads ranked by (creation, id) with a window; the overflow ids are then joined
onto the leads (broadcast) before the partitions are judged.

Inputs are read as text, as from a CSV file: every column is cast to string and a null is no
value (an event's null keys are left out, as in JSON Lines). Each row's ordinal in its
DataFrame (Spark's read order: file order for one file) stands in for the record number of
the local error rows and orders a lead's events at the same instant, as the file order does
locally; error rows carry ``line: null`` (Spark does not know it) and the ``source`` name
given. The lead id that partitions and sorts the rows is its column's text with the
whitespace Python strips removed, as the coercers read it; with event mappings (a CRM
preset), an event's lead id is found by the contract's own mapping, in Python.

Needs the ``spark`` extra (``pip install 'leadcontract[spark]'``) and a Java runtime.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

try:
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyspark.sql import Column, DataFrame, Window
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own spelling
    from pyspark.sql.types import StringType, StructField, StructType
except ImportError as missing:  # pragma: no cover - the lock installs the extra
    raise ImportError(
        f"leadcontract.spark needs the spark extra ({missing.name} is missing): "
        "pip install 'leadcontract[spark]'"
    ) from missing

from leadcontract.audit import contract_digest
from leadcontract.capacity import CapacityPlan, WeekLoad, week_of
from leadcontract.drift import DataDrift
from leadcontract.engine import CompiledContract, ReadRows, RunCounts, compile_contract
from leadcontract.inputs import EventCoercer, RawRecord
from leadcontract.model import Contract
from leadcontract.parallel import EVENT_ID, IdColumn, lead_id_text
from leadcontract.verdict import Verdict
from leadcontract.writers import error_json, verdict_json

__all__ = ["RESULT_SCHEMA", "SparkCapacity", "SparkEvaluation", "evaluate", "plan_capacity"]

RESULT_SCHEMA = "lead_id string, record long, kind string, line string"
"""One row per item: ``kind`` is ``verdict``, ``lead-error``, ``event-error``, ``counts`` or
``drift``; ``line`` the JSON line (the counts, or the drift counts, of one partition, for
``counts`` and ``drift``)."""

_KEY, _RECORD, _OVERFLOW = "__leadcontract_key", "__leadcontract_record", "__leadcontract_over"
_SIDE = "__leadcontract_side"
_HELPERS = frozenset({_KEY, _RECORD, _OVERFLOW, _SIDE})
_LEAD, _EVENT = 0, 1
"""The values of the side column; leads sort before the events of the same id."""
_PARTITION_BITS = 33
"""``monotonically_increasing_id`` puts the partition index above this bit."""
_OUT_BATCH = 4096
"""Result rows per Arrow batch handed back to Spark."""
_PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""What ``str.strip()`` removes (``str.isspace``): Spark's ``trim`` removes only spaces."""


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
        """Records in and out, summed over the partitions; they reconcile as locally."""
        total = RunCounts()
        for row in self.results.filter(F.col("kind") == "counts").select("line").collect():
            for name, value in json.loads(row["line"]).items():
                setattr(total, name, getattr(total, name) + value)
        return total

    def drift(self) -> DataDrift:
        """The data drift (values the contract does not know: event types, campaigns,
        owners...), summed over the partitions: what a local run's summary reports."""
        total = DataDrift()
        for row in self.results.filter(F.col("kind") == "drift").select("line").collect():
            for kind, values in json.loads(row["line"]).items():
                for value, count in values.items():
                    total.add(kind, value, count)
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
    """Evaluate every lead of ``leads`` with its ``events`` as of ``as_of``. Spark counts
    each input's rows per partition now (to number them); the rest runs when a result is
    used. ``capacity`` plans the campaigns' capacity first, as the CLI
    does, so SLA breaches of overflow leads are excused. The results are persisted: the
    verdicts, the errors and the counts are computed once.

    Raises :class:`leadcontract.engine.ContractError` on the driver when the contract does
    not compile.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware (e.g. 2026-11-16T17:00:00+00:00)")
    compiled = _compiled(contract)
    lead_rows = _numbered(_as_text(leads))
    if _plain_id(compiled):
        lead_rows = _keyed(lead_rows, _lead_ids(compiled).column)
    else:
        lead_rows = _read_keys(contract, lead_rows, _LEAD)
    if events is None:
        events = leads.sparkSession.createDataFrame([], "lead_id string")
    event_rows = _numbered(_as_text(events))
    if compiled.mappings.events:
        event_rows = _read_keys(contract, event_rows, _EVENT)
    else:
        event_rows = _keyed(event_rows, EVENT_ID.column)
    if capacity and any(c.capacity for c in contract.campaigns.values()):
        overflow = plan_capacity(contract, lead_rows).overflow
        flags = overflow.select(F.col("lead_id").alias(_KEY), F.lit(True).alias(_OVERFLOW))
        lead_rows = lead_rows.join(F.broadcast(flags), on=_KEY, how="left")
    else:
        lead_rows = lead_rows.withColumn(_OVERFLOW, F.lit(False))
    lead_columns = _data_columns(lead_rows)
    event_columns = _data_columns(event_rows)
    # Each side's columns get names of their own, so no lead column meets an event column
    # of the same name (Spark matches names case-insensitively).
    both = _side(lead_rows, _LEAD, lead_columns, "l").unionByName(
        _side(event_rows.withColumn(_OVERFLOW, F.lit(False)), _EVENT, event_columns, "e"),
        allowMissingColumns=True,
    )
    judge_partition = _PartitionJudge(
        contract,
        as_of,
        trace,
        _Layout(lead_source, tuple(lead_columns), "l"),
        _Layout(event_source, tuple(event_columns), "e"),
    )

    def judge(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return judge_partition(batches)

    sorted_rows = both.repartition(_KEY).sortWithinPartitions(_KEY, _SIDE, _RECORD)
    results = sorted_rows.mapInArrow(judge, schema=RESULT_SCHEMA)
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
    find_arrivals = _Arrivals(contract, _Layout("leads", tuple(_data_columns(leads))))

    def arrivals_of(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return find_arrivals(batches)

    arrivals = leads.mapInArrow(
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
    return frame.select([_column(frame, name).cast("string").alias(name) for name in frame.columns])


def _column(frame: DataFrame, name: str) -> Column:
    """A column by its name as given: a dot in it (`Who.Id`) is part of the name."""
    return frame["`" + name.replace("`", "``") + "`"]


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


def _lead_ids(compiled: CompiledContract) -> IdColumn:
    """Where a lead record holds its id: the id field, its ``source``, then a preset's."""
    keys = compiled.contract.lead.keys
    spec = compiled.contract.lead.fields.get(keys.id)
    names = [keys.id]
    if spec is not None and spec.source:
        names.append(spec.source)
    names += compiled.mappings.sources.get(keys.id, ())
    return IdColumn(*dict.fromkeys(names))


def _keyed(frame: DataFrame, find: Callable[[tuple[str, ...]], Any]) -> DataFrame:
    """Add the partitioning key: the lead id column's text, stripped as Python strips it."""
    column = find(tuple(frame.columns))
    if column is None:
        return frame.withColumn(_KEY, F.lit(None).cast("string"))
    space = f"[{_PY_WHITESPACE}]"
    key = F.regexp_replace(_column(frame, column), f"^{space}+|{space}+$", "")
    return frame.withColumn(_KEY, F.when(key != "", key))


def _plain_id(compiled: CompiledContract) -> bool:
    """Whether a lead's id is its column's stripped text (a string field without a map,
    allowed values or a format): the rule the local workers partition by."""
    return lead_id_text(compiled) is None


def _read_keys(contract: Contract, frame: DataFrame, side: int) -> DataFrame:
    """Add the key of each row as the engine's own coercer reads the id from it (in Python:
    an event mapping may take it from any column, a lead field may map or type it)."""
    find_keys = _CoercedKeys(contract, _Layout("rows", tuple(_data_columns(frame))), side)

    def keys_of(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return find_keys(batches)

    schema = StructType([*frame.schema.fields, StructField(_KEY, StringType())])
    return frame.mapInArrow(keys_of, schema=schema)


def _data_columns(frame: DataFrame) -> list[str]:
    return [name for name in frame.columns if name not in _HELPERS]


def _side(frame: DataFrame, side: int, columns: Sequence[str], prefix: str) -> DataFrame:
    """One side of the union: its columns renamed by position, the helper columns kept."""
    renamed = [_column(frame, name).alias(f"{prefix}{i}") for i, name in enumerate(columns)]
    helpers = [F.col(_KEY), F.lit(side).alias(_SIDE), F.col(_RECORD), F.col(_OVERFLOW)]
    return frame.select(*renamed, *helpers)


def _lookup(table: dict[Any, Any], column: str = "campaign", default: Any = None) -> Column:
    if not table:
        return F.lit(default)
    mapping = F.create_map(*[F.lit(part) for pair in table.items() for part in pair])
    found = F.element_at(mapping, F.col(column))
    return F.coalesce(found, F.lit(default)) if default is not None else found


# --- on the executors --------------------------------------------------------------------------

_COMPILED: dict[str, CompiledContract] = {}
"""Compiled contracts by digest: compiled once per Python worker, not once per partition."""


def _compiled(contract: Contract) -> CompiledContract:
    digest = contract_digest(contract)
    found = _COMPILED.get(digest)
    if found is None:
        found = _COMPILED[digest] = compile_contract(contract)
    return found


@dataclass(frozen=True)
class _Layout:
    """Where one input's columns are in the Arrow batches: its source name (for error rows),
    its column names, and the prefix of their positional names (empty: the names as given)."""

    source: str
    names: tuple[str, ...]
    prefix: str = ""

    def arrow_names(self) -> list[str]:
        if not self.prefix:
            return list(self.names)
        return [f"{self.prefix}{i}" for i in range(len(self.names))]


def _raw_rows(batch: pa.RecordBatch, layout: _Layout, *, drop_nulls: bool) -> Iterator[RawRecord]:
    """The raw record of every row of ``batch``, its columns renamed back, nulls as None (or
    left out, as JSON Lines leaves them out)."""
    names = layout.names
    columns = [batch.column(name).to_pylist() for name in layout.arrow_names()]
    records = batch.column(_RECORD).to_pylist()
    rows = zip(*columns, strict=True) if columns else [()] * len(records)
    for record, values in zip(records, rows, strict=True):
        if drop_nulls:
            data = {n: v for n, v in zip(names, values, strict=True) if v is not None}
        else:
            data = dict(zip(names, values, strict=True))
        yield RawRecord(layout.source, record, None, data)


class _SortedSides:
    """One partition's rows, sorted by (id, side, ordinal), as the two sorted streams the
    engine merges: its lead rows and its event rows.

    Each stream reads the next Arrow batch when it has run dry, keeping the other side's rows
    of that batch for later, so memory holds about one batch, plus the events of ids that
    come before the next lead. It also notes what the engine cannot tell from a row: the
    ordinal of the lead row read last (the one a verdict answers) and the ids flagged as
    capacity overflow, each added before the engine judges the lead.
    """

    def __init__(self, batches: Iterator[pa.RecordBatch], leads: _Layout, events: _Layout) -> None:
        self._batches = batches
        self._layouts = (leads, events)
        self._leads: deque[tuple[RawRecord, str | None]] = deque()
        """Lead rows not yet read, each with its id if it is flagged as overflow."""
        self._events: deque[RawRecord] = deque()
        self.overflow: set[str] = set()
        self.lead_record = 0

    def leads(self) -> Iterator[RawRecord]:
        waiting = self._leads
        while waiting or self._read_until(waiting):
            row, overflow = waiting.popleft()
            if overflow is not None:
                self.overflow.add(overflow)
            self.lead_record = row.record
            yield row

    def events(self) -> Iterator[RawRecord]:
        waiting = self._events
        while waiting or self._read_until(waiting):
            yield waiting.popleft()

    def _read_until(self, waiting: deque[Any]) -> bool:
        """Read batches until ``waiting`` has a row; False when the partition is read."""
        while not waiting:
            if not self._read():
                return False
        return True

    def _read(self) -> bool:
        """Split the next batch onto the two sides; False when there is none."""
        batch = next(self._batches, None)
        if batch is None:
            return False
        is_lead = pc.equal(batch.column(_SIDE), _LEAD)
        leads = batch.filter(is_lead)
        layout, event_layout = self._layouts
        flagged = pc.and_kleene(
            pc.fill_null(leads.column(_OVERFLOW), False), pc.is_valid(leads.column(_KEY))
        )
        overflow = pc.if_else(flagged, leads.column(_KEY), None).to_pylist()
        self._leads.extend(zip(_raw_rows(leads, layout, drop_nulls=False), overflow, strict=True))
        events = batch.filter(pc.invert(is_lead))
        self._events.extend(_raw_rows(events, event_layout, drop_nulls=True))
        return True


class _PartitionJudge:
    """The function Spark applies to each partition: the local engine's grouped merge over
    the partition's sorted lead and event rows, its items as Arrow batches of result rows."""

    def __init__(
        self, contract: Contract, as_of: datetime, trace: bool, leads: _Layout, events: _Layout
    ) -> None:
        self.contract = contract
        self.as_of = as_of
        self.trace = trace
        self.layouts = (leads, events)

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        compiled = _compiled(self.contract)
        sides = _SortedSides(batches, *self.layouts)
        # The plan's overflow is any container: this set grows as the lead rows are read,
        # each before its lead is judged (as a sorted run's plan answers in id order).
        overflow = sides.overflow
        evaluation = compiled.evaluate(
            ReadRows(sides.leads()),
            ReadRows(sides.events()),
            as_of=self.as_of,
            trace=self.trace,
            grouped=True,
            capacity=CapacityPlan((), overflow),
        )
        out = _ResultRows()
        for item in evaluation:
            if isinstance(item, Verdict):
                out.add(item.lead_id, sides.lead_record, "verdict", verdict_json(item))
            else:
                kind = "event-error" if item.kind == "event" else "lead-error"
                out.add(item.lead_id, item.record, kind, error_json(item))
            if out.full:
                yield out.batch()
        counts = json.dumps(vars(evaluation.counts), sort_keys=True)
        out.add(None, 0, "counts", counts)
        drift = {kind: dict(counter) for kind, counter in evaluation.drift.counts.items()}
        out.add(None, 0, "drift", json.dumps(drift, sort_keys=True))
        yield out.batch()


class _ResultRows:
    """Result rows gathered column by column, handed over as Arrow batches."""

    SCHEMA = pa.schema(
        [("lead_id", pa.string()), ("record", pa.int64()), ("kind", pa.string()),
         ("line", pa.string())]
    )  # fmt: skip

    def __init__(self) -> None:
        self._columns: tuple[list[Any], ...] = ([], [], [], [])

    def add(self, lead_id: str | None, record: int, kind: str, line: str) -> None:
        for column, value in zip(self._columns, (lead_id, record, kind, line), strict=True):
            column.append(value)

    @property
    def full(self) -> bool:
        return len(self._columns[0]) >= _OUT_BATCH

    def batch(self) -> pa.RecordBatch:
        columns, self._columns = self._columns, ([], [], [], [])
        return pa.RecordBatch.from_arrays(list(columns), schema=self.SCHEMA)


class _Arrivals:
    """For each valid lead record: id, ordinal, campaign, creation (µs since the epoch) and
    ISO week of creation in the contract's zone (for the capacity plan)."""

    SCHEMA = pa.schema(
        [("lead_id", pa.string()), ("record", pa.int64()), ("campaign", pa.string()),
         ("created", pa.int64()), ("week", pa.string())]
    )  # fmt: skip

    def __init__(self, contract: Contract, layout: _Layout) -> None:
        self.contract = contract
        self.layout = layout

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        compiled = _compiled(self.contract)  # its coercer reads a preset's columns too
        zone: tzinfo = compiled.zone
        coercer = compiled.lead_coercer
        keys = compiled.keys
        for batch in batches:
            out: tuple[list[Any], ...] = ([], [], [], [], [])
            for row in _raw_rows(batch, self.layout, drop_nulls=False):
                record, _ = coercer.coerce(row)
                if record is None:
                    continue
                campaign = record.get(keys.campaign)
                created = record.get(keys.created)
                when = _micros(created) if isinstance(created, datetime) else None
                week = week_of(created, zone) if isinstance(created, datetime) else None
                text = campaign if isinstance(campaign, str) else None
                values = (str(record.get(keys.id)), row.record, text, when, week)
                for column, value in zip(out, values, strict=True):
                    column.append(value)
            yield pa.RecordBatch.from_arrays(list(out), schema=self.SCHEMA)


class _CoercedKeys:
    """Each row with the lead id the engine reads from it: a lead's coerced id, an event's
    lead id through the event mappings; the id an error row names, for a row that cannot be
    read; none for an event row no mapping matches."""

    def __init__(self, contract: Contract, layout: _Layout, side: int) -> None:
        self.contract = contract
        self.layout = layout
        self.side = side

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        compiled = _compiled(self.contract)
        key_of = self._lead_key if self.side == _LEAD else self._event_key(compiled)
        for batch in batches:
            rows = _raw_rows(batch, self.layout, drop_nulls=self.side == _EVENT)
            keys = [key_of(compiled, row) for row in rows]
            yield batch.append_column(_KEY, pa.array(keys, pa.string()))

    @staticmethod
    def _lead_key(compiled: CompiledContract, row: RawRecord) -> str | None:
        record, errors = compiled.lead_coercer.coerce(row)
        return str(record[compiled.keys.id]) if record is not None else _error_id(errors)

    @staticmethod
    def _event_key(
        compiled: CompiledContract,
    ) -> Callable[[CompiledContract, RawRecord], str | None]:
        # A coercer of its own: the compiled one numbers the events it reads.
        coercer = EventCoercer(default_tz=compiled.zone, mappings=compiled.mappings.events)

        def key_of(_: CompiledContract, row: RawRecord) -> str | None:
            event, errors = coercer.coerce(row)
            return event.lead_id if event is not None else _error_id(errors)

        return key_of


def _error_id(errors: Iterable[Any]) -> str | None:
    return next((e.lead_id for e in errors if e.lead_id is not None), None)


def _micros(at: datetime) -> int:
    """An aware instant as whole microseconds since the epoch (exact, for ordering)."""
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
