"""Evaluate on several processes, or in bounded memory: leads partitioned by id, merged back.

Evaluation is a pure function of (compiled contract, one lead's record and events, ``as_of``),
so the leads can be split into partitions by a stable hash of their id (CRC-32 of the id's
text), each evaluated on its own with the same compiled contract, and the results merged. A
lead's events go to the partition of the lead they name, so duplicates, unknown leads and
events of error rows are judged exactly as in one process. Rows that cannot be read (no id
to go by) go to the first partition.

Two ways to run the partitions, one machinery:

* **in memory** (``evaluate --workers N``): worker ``i`` reads the input files itself, keeps
  partition ``i``'s rows and evaluates them as a stream (its events held in memory: a share
  of them);
* **spilled** (``evaluate --spill``): each worker first writes its rows to ``S`` partitions
  on disk (temporary files), then evaluates them one after the other, so it holds the events
  of one small partition at a time: memory stays flat however many leads and events there are,
  for sorted and unsorted input alike.

Each worker *renders* what it evaluates (the output's lines or rows, the error rows' lines,
the audit entries: :mod:`leadcontract.render`) and tallies the summary, and sends text in
batches; the parent only merges and writes. The merge restores the order one process gives:
the event error rows first (by file, then record), then one item per lead row (a verdict or an
error row) by record. Each item's place comes from the item itself: an error row names its
record, and a verdict is matched to the first pending lead row with its id (rows skipped over
were leads not yet created, which give no item).

The capacity plan ranks leads across partitions, so it is made in two steps: each worker
ranks its own leads (:class:`leadcontract.capacity.CapacityRanking`, which keeps per
campaign-week only the first ``capacity`` entries), the parent merges the rankings and sends
back each week's cutoff, and each worker finds its overflowing leads. Exact, and in bounded
memory.

Where ``fork`` exists, workers inherit the compiled contract; elsewhere each compiles it again.
"""

from __future__ import annotations

import dataclasses
import heapq
import multiprocessing
import pickle
import signal
import tempfile
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from leadcontract._spill import SpillFile
from leadcontract.capacity import CapacityPlan, CapacityRanking, overflowed
from leadcontract.drift import DataDrift
from leadcontract.engine import CompiledContract, ReadRows, RunCounts, compile_contract
from leadcontract.inputs import RawRecord, RecordError, rows_from
from leadcontract.inputs._coerce import _Nested, _nested
from leadcontract.inputs._convert import _field_converter
from leadcontract.model import Contract
from leadcontract.render import OutputSpec, Rendered, Renderer
from leadcontract.summary import Tally
from leadcontract.verdict import Verdict

__all__ = [
    "EVENT_ID",
    "MAX_WORKERS",
    "IdColumn",
    "PartitionedEvaluation",
    "PartitionedJob",
    "evaluate_partitioned",
    "lead_id_column",
    "lead_id_text",
    "partition_of",
    "spill_partitions",
]

BATCH = 512
"""Items per message from a worker: large enough to amortise the pipe, small enough to stream."""

MAX_WORKERS = 256
"""The most worker processes a run starts. Each reads every input row, so more than the
machine's cores only adds work; without a bound a typo (``--workers 99999``) forks until the
machine runs out of memory."""

_ANSWERS_KEPT = 1 << 16
"""Lead ids whose partition a worker remembers (then it starts over: memory stays bounded)."""

SPILL_BYTES = 16 << 20
"""Input bytes per spilled partition: its events, held while it is evaluated, stay small."""

_Key = tuple[int, int, int]
"""Merge order of an item: (0, event file, record) for an event error row, (1, 0, record) for
a lead row's item."""
_Keyed = tuple[_Key, Rendered]


def partition_of(lead_id: object, partitions: int) -> int:
    """The partition of a lead id: CRC-32 of its text (stripped, as the coercers read ids)."""
    return zlib.crc32(_id_text(lead_id).encode("utf-8")) % partitions


def _id_text(lead_id: object) -> str:
    return lead_id.strip() if isinstance(lead_id, str) else "" if lead_id is None else str(lead_id)


def _normal(name: str) -> str:
    return name.casefold().replace(" ", "").replace("_", "")


class IdColumn:
    """Finds the column holding the lead id in a raw row, as the coercers match columns: the
    candidate names exactly first, then case-insensitively with spaces and underscores ignored,
    then (for :meth:`value`) a dotted name read from nested objects (``Lead.Id``).
    """

    def __init__(self, *candidates: str) -> None:
        self._exact = candidates
        self._first = candidates[0]
        """The name :meth:`column` answers whenever a row has it."""
        self._loose = tuple(_normal(name) for name in candidates)
        self._cache: dict[tuple[Any, ...], Any] = {}

    def value(self, data: Mapping[str, Any]) -> object:
        found = data.get(self._first, _MISSING)  # the usual row: the first name, as it is
        if found is not _MISSING:
            return found
        keys = tuple(data)
        column = self._cache.get(keys, _MISSING)
        if column is _MISSING:
            column = self.column(keys)
            if column is None:  # as the coercer reads a dotted source: the workers put each
                column = self._nested(keys)  # row where its events go only if they agree
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[keys] = column
        if column is None:
            return None
        return column.get(data) if column.__class__ is _Nested else data.get(column)

    def _nested(self, keys: tuple[Any, ...]) -> _Nested | None:
        loose: dict[str, Any] = {}
        for key in keys:
            if isinstance(key, str):
                loose.setdefault(_normal(key), key)
        return _nested(self._exact, set(keys), loose)

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
"""Where an event names its lead (when the contract maps no activity exports)."""


def lead_id_column(
    contract: Contract, sources: Mapping[str, Sequence[str]] | None = None
) -> IdColumn:
    """Where a lead row holds its id: the id field's name, its ``source``, then the columns
    a preset adds (``sources``, as :func:`leadcontract.presets.resolve_mappings` gives them),
    in the coercer's order."""
    keys = contract.lead.keys
    spec = contract.lead.fields.get(keys.id)
    names = [keys.id]
    if spec is not None and spec.source:
        names.append(spec.source)
    names += (sources or {}).get(keys.id, ())
    return IdColumn(*dict.fromkeys(names))


def lead_id_text(compiled: CompiledContract) -> Callable[[object], str] | None:
    """The id text a lead row's raw id value becomes, as the lead coercer reads it (the id
    field's type, ``value_map`` and allowed values), when that can differ from the raw text:
    an integer id written ``0007`` is the lead ``7``, whose events name ``7``, so the row must
    go to the partition of ``7`` (and the merge match its verdict by ``7``). None: the id is
    plain text, read as :func:`partition_of` reads it.

    A value the coercer refuses keeps its raw text: its row is an error row, placed by record.
    """
    spec = compiled.contract.lead.fields.get(compiled.keys.id)
    if spec is None:
        return None
    plain = (
        spec.type == "string"
        and not spec.value_map
        and spec.values is None  # allowed values come out as the contract spells them
        and spec.format is None
    )
    if plain:
        return None
    convert = _field_converter(spec, compiled.zone)

    def text(value: object) -> str:
        try:
            converted = convert(value)
        except Exception:  # as the coercer catches it: an error row
            return _id_text(value)
        return _id_text(value) if converted is None else str(converted)

    return text


def spill_partitions(paths: Iterable[Path], workers: int) -> int:
    """How many partitions a spilled run of these files makes per worker (at least 1)."""
    size = sum(path.stat().st_size for path in paths)
    return max(1, -(-size // (SPILL_BYTES * workers)))


# --- in the parent ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionedJob:
    """What a partitioned evaluation reads, and how it judges and renders (picklable: each
    worker gets it)."""

    leads: Path
    events: tuple[Path, ...]
    as_of: datetime
    trace: bool
    output: OutputSpec
    workers: int
    spill: int = 0
    """Partitions per worker on disk; 0: none (each worker streams its share in memory)."""
    plan_capacity: bool = True


@dataclass
class PartitionedEvaluation:
    """An evaluation spread over partitions: iterate it once for the rendered items in the
    order one process gives, then read ``counts``, ``drift`` and ``tally`` (summed)."""

    compiled: CompiledContract
    job: PartitionedJob
    scratch: Path | None = None
    """Where spilled partitions go (a temporary folder in it); None: the system's."""
    counts: RunCounts = field(default_factory=RunCounts)
    drift: DataDrift = field(default_factory=DataDrift)
    tally: Tally = field(default_factory=Tally)
    _started: bool = False

    def __iter__(self) -> Iterator[Rendered]:
        if self._started:
            raise RuntimeError("an evaluation can be iterated once")
        self._started = True
        context, shared = _start_method(self.compiled)
        job = self.job
        plans = job.plan_capacity and any(
            campaign.capacity for campaign in self.compiled.contract.campaigns.values()
        )
        if plans != job.plan_capacity:
            job = dataclasses.replace(job, plan_capacity=plans)
        processes = []
        connections: list[Connection] = []
        with tempfile.TemporaryDirectory(prefix="leadcontract-", dir=self.scratch) as scratch:
            try:
                for index in range(job.workers):
                    parent, child = context.Pipe(duplex=True)
                    task = _Task(job, index, Path(scratch) / f"worker-{index}")
                    process = context.Process(
                        target=_work,
                        args=(child, shared, task),
                        name=f"leadcontract-worker-{index}",
                        daemon=True,
                    )
                    with _stop_signals_held():
                        process.start()
                    child.close()
                    processes.append(process)
                    connections.append(parent)
                if plans:
                    self._share_cutoffs(connections)
                streams = [self._received(connection) for connection in connections]
                for _, rendered in heapq.merge(*streams, key=_first):
                    yield rendered
                for process in processes:
                    process.join()
            finally:
                for connection in connections:
                    connection.close()
                for process in processes:
                    if process.is_alive():
                        process.terminate()
                        process.join()

    def _share_cutoffs(self, connections: Sequence[Connection]) -> None:
        """Merge the workers' capacity rankings; send every worker the weeks' cutoffs."""
        ranking = CapacityRanking(self.compiled.contract, self.compiled.zone)
        for connection in connections:
            part = _receive(connection)
            assert isinstance(part, CapacityRanking)
            ranking.merge(part)
        cutoffs = ranking.cutoffs()
        for connection in connections:
            _send(connection, cutoffs)

    def _received(self, connection: Connection) -> Iterator[_Keyed]:
        while True:
            message = _receive(connection)
            if isinstance(message, _Done):
                _add(self.counts, message.counts)
                self.drift.merge(message.drift)
                self.tally.merge(message.tally)
                return
            yield from message


def _first(pair: _Keyed) -> _Key:
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
    output: OutputSpec | None = None,
    spill: int = 0,
    plan_capacity: bool = True,
    scratch: Path | None = None,
) -> PartitionedEvaluation:
    """Evaluate the lead and event files on ``workers`` processes (lazy: iterate the result).

    The items are :class:`leadcontract.render.Rendered` for ``output`` (JSON Lines unless
    given), in the order of ``compiled.evaluate(leads, events, ...)`` with ``grouped=False``;
    written out, they give the same bytes. ``spill`` partitions per worker are written to
    temporary files under ``scratch`` first, for bounded memory. With ``plan_capacity`` the
    capacity plan is made across the partitions (as :meth:`CompiledContract.plan_capacity`).
    """
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be at least 1 and at most {MAX_WORKERS}, got {workers}")
    if spill < 0:
        raise ValueError(f"spill must be 0 or more partitions, got {spill}")
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware (e.g. 2026-11-16T17:00:00+00:00)")
    job = PartitionedJob(
        Path(leads),
        _event_files(events),
        as_of,
        trace,
        output if output is not None else OutputSpec(),
        workers,
        spill,
        plan_capacity,
    )
    return PartitionedEvaluation(compiled, job, scratch)


def _event_files(events: str | Path | Sequence[str | Path] | None) -> tuple[Path, ...]:
    """The event files; each named once, since the merge tells their error rows apart by
    the name (an error row's ``source``): one named twice would take another order."""
    if events is None:
        return ()
    if isinstance(events, str | Path):
        return (Path(events),)
    paths = tuple(Path(path) for path in events)
    for index, path in enumerate(paths):
        if path in paths[:index]:
            raise ValueError(f"events names {path} twice: its events would count twice")
    return paths


# --- between the processes ------------------------------------------------------------------


@dataclass(frozen=True)
class _Task:
    """One worker's part of a job."""

    job: PartitionedJob
    index: int
    scratch: Path


@dataclass(frozen=True)
class _Done:
    counts: RunCounts
    drift: DataDrift
    tally: Tally


def _start_method(compiled: CompiledContract) -> tuple[Any, CompiledContract | Contract]:
    """``fork`` where there is one (the workers inherit the compiled contract), else ``spawn``
    (each worker compiles the contract again)."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork"), compiled
    return multiprocessing.get_context("spawn"), compiled.contract


def _send(connection: Connection, message: object) -> None:
    connection.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _receive(connection: Connection) -> Any:
    """The next message; a worker's exception is raised here, where the items are consumed."""
    try:
        message = pickle.loads(connection.recv_bytes())
    except EOFError:
        raise RuntimeError("an evaluation worker stopped without a result") from None
    if isinstance(message, BaseException):
        raise message
    return message


_STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
_CAN_HOLD_SIGNALS = hasattr(signal, "pthread_sigmask")


@contextmanager
def _stop_signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held (not lost) while a worker is forked.

    A forked child starts with the parent's handlers, and the command's SIGTERM handler
    unwinds the command. Arriving before the child is inside multiprocessing's own
    ``try`` (say a worker is ended at once because another refused its input), it unwound
    the child out of multiprocessing into the parent's copied stack, which then ran on as a
    second copy of the command (or of a test run). Held, the signal waits in the child until
    :func:`_work` has put back the default action, and then ends it.
    """
    if not _CAN_HOLD_SIGNALS:  # no fork there either: workers are spawned
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# --- in a worker -----------------------------------------------------------------------------


def _worker_signals() -> None:
    """A worker's first step: SIGTERM ends it (the command's handler would unwind it as if it
    were the command), then the signals held since before the fork are let through."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if _CAN_HOLD_SIGNALS:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _work(connection: Connection, shared: CompiledContract | Contract, task: _Task) -> None:
    """One worker: rank and evaluate its partition(s), send rendered batches, then the counts."""
    _worker_signals()
    try:
        compiled = shared if isinstance(shared, CompiledContract) else compile_contract(shared)
        worker = _Worker(compiled, task, connection)
        done = worker.run_spilled() if task.job.spill else worker.run_in_memory()
        _send(connection, done)
    except BaseException as error:  # the parent re-raises it where the items are consumed
        _send(connection, _portable(error))
    finally:
        connection.close()


def _portable(error: BaseException) -> BaseException:
    """``error`` if it survives pickling, else a RuntimeError with its type and message."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # any failure to round-trip: send its text
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


_Row = RawRecord | RecordError
_Entry = tuple[str, tuple[str, str, datetime, str] | None]
"""A coerced lead's id, and its capacity entry (when a plan counts it)."""


class _Worker:
    def __init__(self, compiled: CompiledContract, task: _Task, connection: Connection) -> None:
        self.compiled = compiled
        self.task = task
        self.job = job = task.job
        self.connection = connection
        self.lead_ids = lead_id_column(compiled.contract, compiled.mappings.sources)
        self._lead_id_text = lead_id_text(compiled)
        self.partitions = job.workers * max(job.spill, 1)
        self._answers: dict[str, int | None] = {}
        self.event_files = {str(path): number for number, path in enumerate(job.events)}
        self.renderer = Renderer(job.output, compiled.contract)
        self.counts = RunCounts()
        self.drift = DataDrift()
        self.tally = Tally()

    # Which partition a row belongs to; None: not this worker's.
    def _lead_part(self, row: _Row) -> int | None:
        if isinstance(row, RecordError):  # unreadable: no id to go by
            return 0 if self.task.index == 0 else None
        lead_id = self.lead_ids.value(row.data)
        if self._lead_id_text is not None:
            lead_id = self._lead_id_text(lead_id)
        return self._mine(lead_id)

    def _event_part(self, row: _Row) -> int | None:
        if isinstance(row, RecordError):
            return 0 if self.task.index == 0 else None
        if not self.compiled.mappings.events:
            return self._mine(EVENT_ID.value(row.data))
        # Activity exports name their lead in columns the mappings choose: map the row to know.
        event, errors = self.compiled.event_coercer.coerce(row)
        lead_id = event.lead_id if event is not None else errors[0].lead_id if errors else None
        if lead_id is None:  # unmapped, or an error row without an id
            return 0 if self.task.index == 0 else None
        return self._mine(lead_id)

    def _mine(self, lead_id: object) -> int | None:
        """This worker's partition of the lead id, or None when another worker's. Answered
        once per id text (a lead's rows repeat it; every worker asks about every row)."""
        if lead_id.__class__ is not str:
            return self._split(partition_of(lead_id, self.partitions))
        answer = self._answers.get(lead_id, -1)  # -1: not asked yet (no partition is)
        if answer == -1:
            if len(self._answers) >= _ANSWERS_KEPT:
                self._answers.clear()
            answer = self._answers[lead_id] = self._split(partition_of(lead_id, self.partitions))
        return answer

    def _split(self, partition: int) -> int | None:
        workers = self.job.workers
        return partition // workers if partition % workers == self.task.index else None

    def _lead_rows(self) -> Iterator[tuple[int, _Row]]:
        for row in rows_from(self.job.leads, kind="lead"):
            part = self._lead_part(row)
            if part is not None:
                yield part, row

    def _event_rows(self) -> Iterator[tuple[int, _Row]]:
        if self.job.events:
            for row in rows_from(list(self.job.events), kind="event"):
                part = self._event_part(row)
                if part is not None:
                    yield part, row

    def _entries(self, rows: Iterable[_Row]) -> Iterator[_Entry]:
        """Each coerced lead's id and capacity entry (repeats of an id included)."""
        coercer = self.compiled.lead_coercer
        ranking = CapacityRanking(self.compiled.contract, self.compiled.zone)
        id_key = self.compiled.keys.id
        for row in rows:
            if isinstance(row, RawRecord):
                record = coercer.coerce(row)[0]
                if record is not None:
                    yield str(record.get(id_key)), ranking.entry(record)

    def _cutoffs(self, ranking: CapacityRanking) -> dict[tuple[str, str], tuple[datetime, str]]:
        _send(self.connection, ranking)
        cutoffs = _receive(self.connection)
        assert isinstance(cutoffs, dict)
        return cutoffs

    def _evaluate(
        self, leads: Iterable[_Row], events: Iterable[_Row], overflow: frozenset[str]
    ) -> Iterator[_Keyed]:
        """Evaluate rows of one partition; each item rendered, with its place in the merge."""
        pending: deque[tuple[int, str]] = deque()
        """This partition's lead rows read and not yet answered: (record, id)."""
        lead_ids = self.lead_ids
        as_read = self._lead_id_text or _id_text

        def read(rows: Iterable[_Row]) -> Iterator[_Row]:
            for row in rows:
                data = row.data if isinstance(row, RawRecord) else {}
                pending.append((row.record, as_read(lead_ids.value(data))))
                yield row

        job = self.job
        evaluation = self.compiled.evaluate(
            ReadRows(read(leads)),
            ReadRows(events),
            as_of=job.as_of,
            trace=job.trace,
            capacity=CapacityPlan((), overflow),
        )
        render, tally = self.renderer, self.tally
        passed = 0  # lead rows that gave no item: leads not yet created at as-of
        for item in evaluation:
            tally.add(item)
            if isinstance(item, RecordError) and item.kind == "event":
                key = (0, self.event_files.get(item.source, 0), item.record)
            else:
                passed += _answer(pending, item, evaluation.counts.not_yet - passed)
                key = (1, 0, pending.popleft()[0])
            yield key, render(item)
        passed += len(pending)
        if passed != evaluation.counts.not_yet:
            raise RuntimeError(
                f"{passed} lead rows gave no item but {evaluation.counts.not_yet} were "
                "counted as not yet created (a bug: report it)"
            )
        _add(self.counts, evaluation.counts)
        self.drift.merge(evaluation.drift)

    def _stream(self, items: Iterable[_Keyed]) -> None:
        batch: list[_Keyed] = []
        for keyed in items:
            batch.append(keyed)
            if len(batch) >= BATCH:
                _send(self.connection, batch)
                batch = []
        if batch:
            _send(self.connection, batch)

    def _done(self) -> _Done:
        return _Done(self.counts, self.drift, self.tally)

    def run_in_memory(self) -> _Done:
        """Stream this worker's share of the files (when capacity is planned, its lead rows
        are kept on disk by the ranking pass and read back from there)."""
        overflow: frozenset[str] = frozenset()
        leads: Iterator[_Row] = (row for _, row in self._lead_rows())
        # This worker's lead rows, read back for the evaluation (in the run's scratch folder).
        mine = SpillFile(folder=self.task.scratch.parent)
        try:
            if self.job.plan_capacity:
                ranking, entries = _ranked(self.compiled, self._entries(mine.kept(leads)))
                overflow = overflowed(entries, self._cutoffs(ranking))
                leads = mine.read()
            events = (row for _, row in self._event_rows())
            self._stream(self._evaluate(leads, events, overflow))
        finally:
            mine.remove()
        return self._done()

    def run_spilled(self) -> _Done:
        """Write this worker's share to partitions on disk, evaluate them one by one into
        rendered files, then send their merge."""
        folder = self.task.scratch
        folder.mkdir(parents=True)
        parts = range(self.job.spill)
        lead_files = [SpillFile(folder / f"leads-{p}") for p in parts]
        entry_files = [SpillFile(folder / f"entries-{p}", rows=False) for p in parts]
        plans = self.job.plan_capacity
        ranking = CapacityRanking(self.compiled.contract, self.compiled.zone)
        for part, row in self._lead_rows():
            lead_files[part].add(row)
        for spill in lead_files:
            spill.close()
        if plans:
            for part in parts:
                for entry in self._entries(lead_files[part].read()):
                    entry_files[part].add(entry)
                entry_files[part].close()
                part_ranking, _ = _ranked(self.compiled, entry_files[part].read())
                ranking.merge(part_ranking)
        event_files = [SpillFile(folder / f"events-{p}") for p in parts]
        for part, row in self._event_rows():
            event_files[part].add(row)
        for spill in event_files:
            spill.close()
        cutoffs = self._cutoffs(ranking) if plans else {}
        outputs = []
        for part in parts:
            overflow: frozenset[str] = frozenset()
            if plans:
                overflow = overflowed(_ranked(self.compiled, entry_files[part].read())[1], cutoffs)
                entry_files[part].remove()
            output = SpillFile(folder / f"out-{part}", rows=False, batch=64)
            leads, events = lead_files[part].read(), event_files[part].read()
            for keyed in self._evaluate(leads, events, overflow):
                output.add(keyed)
            output.close()
            lead_files[part].remove()
            event_files[part].remove()
            outputs.append(output)
        self._stream(heapq.merge(*(output.read() for output in outputs), key=_first))
        for output in outputs:
            output.remove()
        return self._done()


def _answer(pending: deque[tuple[int, str]], item: Verdict | RecordError, skipped: int) -> int:
    """Drop the pending lead rows before ``item``'s own; how many (leads not yet created).

    An error row names its record. A verdict answers the first pending row with its id; only
    when several pending rows carry that id (a lead not yet created, then a later record of
    the same id) do the ``skipped`` rows the counts report so far pick the one."""
    if isinstance(item, RecordError):
        found = next((n for n, (record, _) in enumerate(pending) if record == item.record), None)
    else:
        same = [n for n, (_, text) in enumerate(pending) if text == item.lead_id]
        found = skipped if len(same) > 1 and skipped in same else same[0] if same else None
    if found is None:
        raise RuntimeError(f"no lead row for {item.lead_id!r} is pending (a bug: report it)")
    for _ in range(found):
        pending.popleft()
    return found


def _ranked(
    compiled: CompiledContract, entries: Iterable[_Entry]
) -> tuple[CapacityRanking, list[tuple[str, str, datetime, str]]]:
    """Rank the first entry of each id (later ones are duplicate rows); the counted entries."""
    ranking = CapacityRanking(compiled.contract, compiled.zone)
    counted: list[tuple[str, str, datetime, str]] = []
    seen: set[str] = set()
    for lead_id, entry in entries:
        if lead_id in seen:
            continue
        seen.add(lead_id)
        if entry is not None:
            ranking.add_entry(entry)
            counted.append(entry)
    return ranking, counted
