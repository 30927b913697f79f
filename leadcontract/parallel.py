"""Evaluate on several processes: leads partitioned by id, results merged back in input order.

Evaluation is a pure function of (compiled contract, one lead's record and events, ``as_of``),
so the leads can be split into ``N`` partitions by a stable hash of their id (CRC-32 of the
id's text, modulo ``N``), each evaluated by its own process with the same compiled contract,
and the results merged. Each worker reads the input files itself and keeps only its
partition's rows (reading is a small part of the work), so error rows name the real file,
record and line. A lead's events go to the partition of the lead they name, so duplicates,
unknown leads and events of error rows are judged exactly as in one process.

The merge restores the order one process gives (the ``grouped=False`` order): the event error
rows first, in file order, then one item per lead row (a verdict or an error row), in file
order. Every worker yields its items in that order too, so a k-way merge on (phase, record)
gives the same sequence, and so the same bytes, as one worker. The counts are the sums of the
workers' counts.

Workers stream their items back in batches through pipes while they run, so the parent (the
CLI writing the verdicts) works alongside them. Where ``fork`` exists, workers inherit the
compiled contract; elsewhere each compiles it again from the contract.
"""

from __future__ import annotations

import copyreg
import dataclasses
import heapq
import io
import multiprocessing
import pickle
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from leadcontract import verdict as _verdict
from leadcontract.capacity import CapacityPlan
from leadcontract.engine import (
    CompiledContract,
    Evaluation,
    ReadRows,
    RunCounts,
    compile_contract,
)
from leadcontract.inputs import Event, RawRecord, RecordError, rows_from
from leadcontract.model import Contract
from leadcontract.rules.conditions import Leaf
from leadcontract.verdict import Verdict

__all__ = [
    "IdColumn",
    "PartitionedEvaluation",
    "evaluate_partitioned",
    "lead_id_column",
    "partition_of",
]

BATCH = 256
"""Items per message from a worker: large enough to amortise the pipe, small enough to stream."""

_Key = tuple[int, int]
"""Merge order of an item: (0, record) for an event error row, (1, record) for a lead's item."""
_Item = Verdict | RecordError


def partition_of(lead_id: object, partitions: int) -> int:
    """The partition of a lead id: CRC-32 of its text (stripped, as the coercers read ids)."""
    text = lead_id.strip() if isinstance(lead_id, str) else "" if lead_id is None else str(lead_id)
    return zlib.crc32(text.encode("utf-8")) % partitions


def _normal(name: str) -> str:
    return name.casefold().replace(" ", "").replace("_", "")


class IdColumn:
    """Finds the column holding the lead id in a raw row, as the coercers match columns: the
    candidate names exactly first, then case-insensitively with spaces and underscores ignored.
    """

    def __init__(self, *candidates: str) -> None:
        self._exact = candidates
        self._loose = tuple(_normal(name) for name in candidates)
        self._cache: dict[tuple[Any, ...], Any] = {}

    def value(self, data: Mapping[str, Any]) -> object:
        keys = tuple(data)
        column = self._cache.get(keys, _MISSING)
        if column is _MISSING:
            column = self.column(keys)
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[keys] = column
        return None if column is None else data.get(column)

    def column(self, keys: tuple[Any, ...]) -> Any:
        """The key (column name) among ``keys`` that holds the id, or None."""
        present = set(keys)
        for name in self._exact:
            if name in present:
                return name
        loose = {_normal(key): key for key in reversed(keys) if isinstance(key, str)}
        return next((loose[name] for name in self._loose if name in loose), None)


_MISSING = object()
EVENT_ID = IdColumn("lead_id")
"""Where an event names its lead."""


def lead_id_column(contract: Contract) -> IdColumn:
    keys = contract.lead.keys
    spec = contract.lead.fields.get(keys.id)
    source = spec.source if spec is not None else None
    return IdColumn(keys.id, *([source] if source and source != keys.id else []))


@dataclass
class PartitionedEvaluation(Evaluation):
    """An evaluation spread over ``workers`` processes; iterate it once, then read ``counts``.

    A caller that iterates it sees what :class:`leadcontract.engine.Evaluation` gives with
    ``grouped=False``: the same items in the same order, and counts that reconcile.
    """

    workers: int = 1

    def __iter__(self) -> Iterator[_Item]:
        if self._started:
            raise RuntimeError("an evaluation can be iterated once")
        self._started = True
        context, shared = _start_method(self.compiled)
        processes = []
        streams = []
        try:
            for index in range(self.workers):
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(
                    target=_work,
                    args=(sender, shared, self._task(index)),
                    name=f"leadcontract-worker-{index}",
                    daemon=True,
                )
                process.start()
                sender.close()
                processes.append(process)
                streams.append(self._received(receiver))
            for _, item in heapq.merge(*streams, key=_first):
                yield item
            for process in processes:
                process.join()
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()
                    process.join()

    def _task(self, index: int) -> _Task:
        assert isinstance(self.leads, Path)
        events = tuple(self.events) if isinstance(self.events, tuple) else ()
        capacity = CapacityPlan((), self.overflow)
        return _Task(self.leads, events, self.as_of, self.trace, self.workers, capacity, index)

    def _received(self, connection: Connection) -> Iterator[tuple[_Key, _Item]]:
        with connection:
            while True:
                try:
                    message = pickle.loads(connection.recv_bytes())
                except EOFError:
                    raise RuntimeError("an evaluation worker stopped without a result") from None
                if isinstance(message, _Done):
                    _add(self.counts, message.counts)
                    return
                if isinstance(message, BaseException):
                    raise message
                yield from message


def _first(pair: tuple[_Key, _Item]) -> _Key:
    return pair[0]


def _add(total: RunCounts, part: RunCounts) -> None:
    for name in (f.name for f in fields(RunCounts)):
        setattr(total, name, getattr(total, name) + getattr(part, name))


def evaluate_partitioned(
    compiled: CompiledContract,
    leads: str | Path,
    events: str | Path | Sequence[str | Path] | None = None,
    *,
    as_of: datetime,
    workers: int,
    trace: bool = True,
    capacity: CapacityPlan | None = None,
) -> PartitionedEvaluation:
    """Evaluate the lead and event files on ``workers`` processes (lazy: iterate the result).

    The items and their order are those of ``compiled.evaluate(leads, events, ...)`` with
    ``grouped=False``; so are the bytes any writer makes of them.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware (e.g. 2026-11-16T17:00:00+00:00)")
    return PartitionedEvaluation(
        compiled,
        Path(leads),
        _event_files(events),
        as_of,
        trace,
        grouped=False,
        only=None,
        overflow=capacity.overflow if capacity is not None else frozenset(),
        workers=workers,
    )


def _event_files(events: str | Path | Sequence[str | Path] | None) -> tuple[Path, ...]:
    if events is None:
        return ()
    if isinstance(events, str | Path):
        return (Path(events),)
    return tuple(Path(path) for path in events)


# --- in a worker -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Task:
    """What one worker needs, picklable (for the ``spawn`` start method)."""

    leads: Path
    events: tuple[Path, ...]
    as_of: datetime
    trace: bool
    workers: int
    capacity: CapacityPlan
    index: int


@dataclass(frozen=True)
class _Done:
    counts: RunCounts


def _start_method(
    compiled: CompiledContract,
) -> tuple[Any, CompiledContract | Contract]:
    """``fork`` where there is one (the workers inherit the compiled contract), else ``spawn``
    (each worker compiles the contract again)."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork"), compiled
    return multiprocessing.get_context("spawn"), compiled.contract


def _work(connection: Connection, shared: CompiledContract | Contract, task: _Task) -> None:
    """One worker: evaluate this partition, send (key, item) batches, then the counts."""
    try:
        compiled = shared if isinstance(shared, CompiledContract) else compile_contract(shared)
        counts = _evaluate_partition(compiled, task, lambda batch: _send(connection, batch))
        _send(connection, _Done(counts))
    except BaseException as error:  # the parent re-raises it where the items are consumed
        _send(connection, error)
    finally:
        connection.close()


def _reducer(cls: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    names = tuple(f.name for f in dataclasses.fields(cls))

    def reduce(obj: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, tuple(getattr(obj, name) for name in names)

    return reduce


def _result_types() -> list[type]:
    found = [Event, RecordError, Leaf]
    for name in _verdict.__all__:
        value = getattr(_verdict, name)
        if isinstance(value, type) and dataclasses.is_dataclass(value):
            found.append(value)
    return [cls for cls in found if all(f.init for f in dataclasses.fields(cls))]


_DISPATCH = {**copyreg.dispatch_table, **{cls: _reducer(cls) for cls in _result_types()}}
"""Verdicts pickled as (type, field values): half the cost of the dataclasses' own
``__getstate__`` (which looks their fields up per object). Used only on the workers' pipes."""


def _send(connection: Connection, message: object) -> None:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(message)
    connection.send_bytes(buffer.getbuffer())


def _evaluate_partition(
    compiled: CompiledContract, task: _Task, send: Callable[[list[tuple[_Key, _Item]]], None]
) -> RunCounts:
    mine = task.index
    workers = task.workers
    lead_rows: deque[int] = deque()
    """Ordinals of this partition's lead rows not yet answered: each gets exactly one item."""
    lead_ids = lead_id_column(compiled.contract)
    event_ids = EVENT_ID

    def owned(row: RawRecord | RecordError, column: IdColumn) -> bool:
        if isinstance(row, RecordError):  # unreadable rows (no id to go by) go to worker 0
            return mine == 0
        return partition_of(column.value(row.data), workers) == mine

    def leads() -> Iterator[RawRecord | RecordError]:
        for row in rows_from(task.leads, kind="lead"):
            if owned(row, lead_ids):
                lead_rows.append(row.record)
                yield row

    def events() -> Iterator[RawRecord | RecordError]:
        if not task.events:
            return
        for row in rows_from(list(task.events), kind="event"):
            if owned(row, event_ids):
                yield row

    evaluation = compiled.evaluate(
        ReadRows(leads()),
        ReadRows(events()),
        as_of=task.as_of,
        trace=task.trace,
        capacity=task.capacity,
    )
    batch: list[tuple[_Key, _Item]] = []
    not_yet = 0  # leads created after as-of get no item: their rows are passed over in order
    for item in evaluation:
        if isinstance(item, RecordError) and item.kind == "event":
            key = (0, item.record)
        else:
            while not_yet < evaluation.counts.not_yet:
                lead_rows.popleft()
                not_yet += 1
            key = (1, lead_rows.popleft())
        batch.append((key, item))
        if len(batch) >= BATCH:
            send(batch)
            batch = []
    if batch:
        send(batch)
    return evaluation.counts
