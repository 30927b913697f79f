"""The ``evaluate`` and ``explain`` commands: run the engine and format what it returns."""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any, TextIO, TypeVar

from leadcontract._spill import SpillFile
from leadcontract._version import __version__
from leadcontract.calendar import DateRangeError, check_supported
from leadcontract.checks import lint
from leadcontract.cli._authoring import EXIT_INTERNAL, EXIT_OK, EXIT_PROBLEMS, fail
from leadcontract.cli._files import ClobberError, atomic_output, refuse_clobbering, write_atomically
from leadcontract.cli._progress import estimate_records, with_progress
from leadcontract.cli._tables import write_table
from leadcontract.cli._time import parse_as_of
from leadcontract.columns import Column, select_columns, verdict_columns
from leadcontract.drift import DataDrift
from leadcontract.engine import (
    CompiledContract,
    ContractError,
    Evaluation,
    InputOrderError,
    ReadRows,
    RunCounts,
    compile_contract,
)
from leadcontract.explanation import explain
from leadcontract.inputs import (
    COLUMNAR_SUFFIXES,
    FILE_SUFFIXES,
    InputFileError,
    RecordError,
    rows_from,
)
from leadcontract.model import Contract
from leadcontract.parallel import (
    MAX_WORKERS,
    PartitionedEvaluation,
    evaluate_partitioned,
    spill_partitions,
)
from leadcontract.parquet_out import ParquetUnavailableError
from leadcontract.payouts import (
    Statement,
    parse_period,
    render_statements,
    statement_to_dict,
    statements,
)
from leadcontract.render import OutputSpec, Rendered, Renderer, VerdictSink
from leadcontract.report import (
    SLA_STATUSES,
    breach_columns,
    capacity_rows,
    compliance,
    sla_compliance,
)
from leadcontract.reporters import render_text
from leadcontract.safe_text import guard_csv_cell, printable
from leadcontract.store import (
    AuditStoreError,
    RunRecord,
    SqliteAuditStore,
    inputs_digest,
)
from leadcontract.summary import Tally
from leadcontract.verdict import Verdict, format_instant
from leadcontract.writers import table

__all__ = ["run_evaluate", "run_explain", "run_payouts", "run_report"]

T = TypeVar("T")

SHOWN_ERRORS = 20
"""Error rows printed on the terminal; all of them go to --errors."""


class _UsageError(Exception):
    """Input the command cannot work with; reported as one line, exit 2."""


def _compiled(contract_path: str) -> CompiledContract:
    result = lint(contract_path)
    if result.errors or result.contract is None:
        report = render_text(result.diagnostics)
        raise _UsageError(f"the contract has errors; fix them first:\n{report}")
    try:
        return compile_contract(result.contract)
    except ContractError as error:  # pragma: no cover - lint reports these first
        raise _UsageError(str(error)) from error


def _as_of(args: argparse.Namespace, compiled: CompiledContract) -> datetime:
    """``--as-of``, resolved once against the clock reading ``main`` took at the start."""
    try:
        value, relative = parse_as_of(args.as_of, compiled.zone, args.started)
    except ValueError as error:
        raise _UsageError(str(error)) from error
    if relative:
        sys.stderr.write(f"leadcontract: as of {format_instant(value)} ({args.as_of})\n")
    return _supported(value, "--as-of")


def _supported(value: datetime, what: str) -> datetime:
    """``value`` when it lies in the supported dates (see leadcontract.calendar)."""
    try:
        check_supported(value, what)
    except (DateRangeError, OverflowError) as error:
        raise _UsageError(str(error)) from error
    return value


def _check_inputs(args: argparse.Namespace) -> None:
    _refuse_repeats(args.events or ())
    for path in (args.leads, *(args.events or ())):
        if path is None:
            continue
        if path.is_dir():
            raise _UsageError(f"cannot read {path}: it is a folder, not a file")
        if not path.exists():
            raise _UsageError(f"cannot read {path}: no such file")
        if not path.is_file():  # a pipe (`--leads <(zcat ...)`), a device
            raise _UsageError(f"cannot read {path}: not a regular file (a pipe?); give a file")
        if path.suffix.lower() not in FILE_SUFFIXES:
            raise _UsageError(f"{path}: expected a {', '.join(FILE_SUFFIXES)} file")
        if path.suffix.lower() in COLUMNAR_SUFFIXES and find_spec("pyarrow") is None:
            raise _UsageError(
                f"{path}: reading Parquet and Arrow needs pyarrow: "
                "pip install 'leadcontract[columnar]'"
            )


def _refuse_repeats(events: Sequence[Path]) -> None:
    """An events file named twice (however spelt) would count its events twice; and the
    error rows of two sources named alike cannot be put back in one process's order."""
    for index, path in enumerate(events):
        for other in events[:index]:
            if path.is_file() and other.is_file() and path.samefile(other):
                spelt = "" if str(path) == str(other) else f" (also as {path})"
                raise _UsageError(
                    f"--events names {other} twice{spelt}: its events would count twice"
                )


def _start(args: argparse.Namespace, *, trace: bool, only: set[str] | None = None) -> Evaluation:
    _check_inputs(args)
    compiled = _compiled(args.contract)
    as_of = _as_of(args, compiled)
    events = args.events if args.events is not None else ()
    return compiled.evaluate(
        args.leads,
        events,
        as_of=as_of,
        trace=trace,
        grouped=getattr(args, "grouped", False),
        only=only,
        capacity=compiled.plan_capacity(args.leads),
    )


@dataclass
class _Run:
    """An evaluation as the command writes it: rendered items, then the counts and tallies
    (whether it ran in this process or over partitions)."""

    items: Iterable[Rendered]
    output: OutputSpec
    compiled: CompiledContract
    as_of: datetime
    source: Evaluation | PartitionedEvaluation
    tally: Tally

    @property
    def counts(self) -> RunCounts:
        return self.source.counts

    @property
    def drift(self) -> DataDrift:
        return self.source.drift


def _start_run(
    args: argparse.Namespace, fmt: str, audit_key: bytes | None, stack: ExitStack
) -> _Run:
    """Start ``evaluate``: in this process, or over ``--workers`` / ``--spill`` partitions
    (what the run leaves to clean up, on ``stack``)."""
    _check_inputs(args)
    compiled = _compiled(args.contract)
    as_of = _as_of(args, compiled)
    trace = not args.no_trace
    columns = _columns(args, compiled.contract, fmt)
    output = OutputSpec(
        fmt,
        tuple(column.name for column in columns),
        raw_csv=args.raw_csv,
        audit=args.audit is not None,
        audit_key=audit_key,
        reveal_pii=args.reveal_pii,
    )
    if args.workers > 1 or args.spill:
        if args.grouped:
            raise _UsageError(
                "--workers and --spill partition the inputs themselves; leave out --grouped"
            )
        spill = spill_partitions([args.leads, *(args.events or ())], args.workers)
        partitioned = evaluate_partitioned(
            compiled,
            args.leads,
            args.events,
            as_of=as_of,
            workers=args.workers,
            trace=trace,
            output=output,
            spill=spill if args.spill else 0,
            scratch=args.scratch,
        )
        return _Run(partitioned, output, compiled, as_of, partitioned, partitioned.tally)
    leads: Path | ReadRows = args.leads
    if args.grouped:
        plan = compiled.plan_capacity(args.leads, sorted_by_id=True, scratch=args.scratch)
    else:  # the capacity pass keeps the rows it reads: the evaluation reads them back
        kept = SpillFile(folder=args.scratch)
        stack.callback(kept.remove)
        plan = compiled.plan_capacity(ReadRows(kept.kept(rows_from(args.leads, kind="lead"))))
        if kept.complete:
            leads = ReadRows(kept.read())
        else:  # no campaign declares a capacity: the pass read nothing
            kept.remove()
    evaluation = compiled.evaluate(
        leads,
        args.events if args.events is not None else (),
        as_of=as_of,
        trace=trace,
        grouped=args.grouped,
        capacity=plan,
    )
    tally = Tally()
    items = _rendered(evaluation, Renderer(output, compiled.contract), tally)
    if args.grouped:
        held = SpillFile(rows=False, folder=args.scratch)
        stack.callback(held.remove)
        rendered = _event_errors_first(items, held)
    else:
        rendered = (item for _, item in items)
    return _Run(
        rendered,
        output,
        compiled,
        as_of,
        evaluation,
        tally,
    )


def _rendered(
    items: Iterable[Verdict | RecordError], render: Renderer, tally: Tally
) -> Iterator[tuple[Verdict | RecordError, Rendered]]:
    for item in items:
        tally.add(item)
        yield item, render(item)


def _event_errors_first(
    items: Iterable[tuple[Verdict | RecordError, Rendered]], held: SpillFile
) -> Iterator[Rendered]:
    """A grouped run's items, their error rows and audit entries in one process's order.

    One process reads every event before the first lead, so its event error rows come first;
    a grouped run meets them as the events stream past, between the leads' items. Verdicts
    go out as they come (the verdict output holds nothing else); the lead items' error rows
    and audit entries wait in ``held`` (a temporary file: memory stays flat) until the
    events have run out, the run's end.
    """
    for item, rendered in items:
        if isinstance(item, RecordError) and item.kind == "event":
            yield rendered
            continue
        if rendered.verdict is not None:
            yield rendered if rendered.audit is None else rendered._replace(audit=None)
        if rendered.error is not None or rendered.audit is not None:
            held.add((rendered.error, rendered.shown, rendered.audit))
    held.close()
    for error, shown, audit in held.read():
        yield Rendered(None, error, shown, audit)


def run_evaluate(args: argparse.Namespace) -> int:
    """``leadcontract evaluate``: verdicts out, summary on the terminal.

    Outputs are written to temporary files that replace ``--out``, ``--errors`` and
    ``--summary-json`` only when the whole run (the audit store's append included) went
    through. The audit store is
    opened and checked before anything is evaluated, and locked only to append the run.
    """
    try:
        _refuse_clobbering(args, out=args.out, errors=args.errors, summary_json=args.summary_json)
        fmt = args.format or _format_for(args.out)
        if fmt == "parquet" and args.out is None:
            raise _UsageError("Parquet output needs --out FILE.parquet")
        if args.scratch is not None and not args.scratch.is_dir():
            found = "a file, not a folder" if args.scratch.exists() else "no such folder"
            raise _UsageError(f"--scratch {args.scratch}: {found}")
        if args.workers > MAX_WORKERS:
            raise _UsageError(
                f"--workers {args.workers}: at most {MAX_WORKERS} (each worker reads every "
                "input row; more workers than the machine's cores only add work)"
            )
        with ExitStack() as stack:
            store = _open_store(args, stack) if args.audit is not None else None
            run = _start_run(args, fmt, store.key if store is not None else None, stack)
            stack.enter_context(_fewer_full_collections())
            out = stack.enter_context(atomic_output(args.out)) if args.out else sys.stdout
            errors_out = stack.enter_context(atomic_output(args.errors)) if args.errors else None
            # With the others, not after them: a summary that cannot be written fails the
            # run before any output is replaced.
            summary_out = (
                stack.enter_context(atomic_output(args.summary_json)) if args.summary_json else None
            )
            sink = VerdictSink(run.output, run.compiled.contract, out)
            shown: list[str] = []
            written = _written(_progress(run.items, args, "evaluating"), sink, errors_out, shown)
            if store is not None:
                store.append_lines(_run_record(args, run), written, folder=args.scratch)
            else:
                for _ in written:
                    pass
            sink.close()
            if summary_out is not None:
                summary_out.write(_summary_json(run))
    except (_UsageError, ClobberError, InputFileError, ParquetUnavailableError) as error:
        return fail(str(error))
    except (AuditStoreError, sqlite3.Error) as error:
        return fail(f"audit store {args.audit}: {error}")
    except InputOrderError as error:
        return fail(f"{error} (run without --grouped)")
    except BrokenPipeError:
        raise  # the reader of standard output stopped: main() says so, for every command
    except OSError as error:
        return fail(f"cannot read or write {error.filename}: {error.strerror}")
    tally = run.tally
    to_stderr = args.out is None or _is_standard_output(args.out)
    summary_stream = sys.stderr if to_stderr else sys.stdout
    summary_stream.write(_summary(run.counts, run.drift, tally, shown))
    if not run.counts.reconciles:  # a bug, not a problem of the records: its own exit code
        return EXIT_INTERNAL
    if tally.error_rows or (args.strict_data and run.drift.found):
        return EXIT_PROBLEMS
    return EXIT_OK


def _summary_json(run: _Run) -> str:
    """``--summary-json``'s document: the counts, the tallies and the drift."""
    document = {"counts": run.counts.to_dict(), **run.tally.to_dict(), "drift": run.drift.to_dict()}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


FULL_COLLECTION_EVERY = 100
"""Younger collections between two full ones while a run evaluates (CPython's default: 10)."""


@contextmanager
def _fewer_full_collections() -> Iterator[None]:
    """The garbage collector tuned for one long evaluation, as it was once it ends.

    An in-memory run holds every event, and CPython's full collection walks every object
    held, each time the held ones have grown by a quarter: at 100k leads 2.7 of 36 CPU
    seconds. What start-up made (modules, the compiled contract) is frozen, so no collection
    walks it again (forked workers inherit it frozen, so they do not copy its pages either),
    and a full collection waits for more younger ones: 1.1 seconds. Young cycles are
    collected as often as before.

    Only a process that froze nothing itself is frozen (and unfrozen after): ``gc.unfreeze``
    cannot tell objects apart, so a program that calls :func:`leadcontract.cli.main` after
    its own ``gc.freeze()`` (a pre-forking server does) got its frozen objects back in the
    collector's care.
    """
    thresholds = gc.get_threshold()
    freezes = gc.get_freeze_count() == 0
    if freezes:
        gc.freeze()
    gc.set_threshold(thresholds[0], thresholds[1], max(thresholds[2], FULL_COLLECTION_EVERY))
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if freezes:
            gc.unfreeze()


def _is_standard_output(path: Path) -> bool:
    """Whether ``path`` is this process's standard output (``--out /dev/stdout``): the
    summary then goes to standard error, as without ``--out``, not among the verdicts."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):  # no such path; stdout is no file (a test's)
        return False


def _refuse_clobbering(args: argparse.Namespace, **outputs: Path | None) -> None:
    """No output may name an input (the contract, the leads, the events, the audit store)."""
    named = {f"--{name.replace('_', '-')}": path for name, path in outputs.items()}
    events = getattr(args, "events", None)
    inputs = [Path(args.contract), args.leads]
    inputs += events if isinstance(events, list) else [events]
    audit = getattr(args, "audit", None)
    if audit is not None and not audit.is_dir():  # a folder is refused as a store later
        inputs.append(audit)
    refuse_clobbering(named, inputs)


def _waiting(path: Path) -> None:
    sys.stderr.write(f"leadcontract: waiting for another run to finish writing to {path}\n")
    sys.stderr.flush()


def _open_store(args: argparse.Namespace, stack: ExitStack) -> SqliteAuditStore:
    """The audit store, opened and checked before the evaluation starts."""
    store = stack.enter_context(
        SqliteAuditStore(args.audit, lock_wait=args.lock_wait, on_wait=_waiting)
    )
    store.check_appendable()
    return store


def _run_record(args: argparse.Namespace, run: _Run) -> RunRecord:
    """The audit store's header of this evaluation run."""
    ref = run.compiled.ref
    return RunRecord(
        contract_id=ref.id,
        contract_version=ref.version,
        contract_digest=ref.digest,
        as_of=run.as_of,
        library_version=__version__,
        inputs_digest=inputs_digest([args.leads, *(args.events or ())]),
        kind="evaluation",
    )


_SUFFIX_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".txt": "table",
    ".table": "table",
    ".parquet": "parquet",
}


def _format_for(out: Path | None) -> str:
    """The verdict format ``--out``'s suffix names; a suffix that names none is refused rather
    than filled with JSON Lines."""
    if out is None or not out.suffix or (not out.is_file() and out.exists()):
        return "jsonl"  # standard output, a suffixless file, or a device such as /dev/stdout
    fmt = _SUFFIX_FORMATS.get(out.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(_SUFFIX_FORMATS))
        raise _UsageError(
            f"cannot tell the verdict format from {out.name!r} (known suffixes: {known}); "
            "give --format jsonl, csv, table or parquet"
        )
    return fmt


def _columns(args: argparse.Namespace, contract: Contract, fmt: str) -> tuple[Column, ...]:
    """The flat columns of this run: ``--columns``, else all of them (the table: a few)."""
    available = verdict_columns(contract)
    if args.columns is not None:
        if fmt == "jsonl":
            raise _UsageError("--columns chooses the columns of csv, table or parquet output")
        names = [name.strip() for name in args.columns.split(",") if name.strip()]
        try:
            return select_columns(available, names)
        except ValueError as error:
            raise _UsageError(f"--columns: {error}") from error
    if fmt == "table":
        return select_columns(available, _TABLE_COLUMNS)
    return available


def _progress(items: Iterable[T], args: argparse.Namespace, label: str) -> Iterator[T]:
    """The run's items with a progress bar on a terminal (total: the leads file's lines)."""
    return with_progress(items, total=estimate_records(args.leads), label=label)


def _written(
    items: Iterable[Rendered], sink: VerdictSink, errors_out: TextIO | None, shown: list[str]
) -> Iterator[bytes]:
    """Write each rendered item as it streams past; pass on its audit entry (if any)."""
    for item in items:
        if item.error is not None:
            if len(shown) < SHOWN_ERRORS:
                assert item.shown is not None
                shown.append(item.shown)
            if errors_out is not None:
                errors_out.write(item.error)
        elif item.verdict is not None:  # (a grouped run's held audit entry has neither)
            sink.write(item.verdict)
        if item.audit is not None:
            yield item.audit


_TABLE_COLUMNS = (
    "lead_id",
    "stage",
    "score",
    "campaign",
    "handoff_due",
    "handoff_done",
    "missing_fields",
    "disqualified_reason",
    "disqualification_valid",
)


def _summary(counts: RunCounts, drift: DataDrift, tally: Tally, shown: list[str]) -> str:
    lines = [
        f"leads: {counts.leads_read:,} read, {counts.verdicts:,} verdicts, "
        f"{counts.lead_errors:,} error rows"
        + (f", {counts.not_yet:,} not yet created" if counts.not_yet else "")
        + (f", {counts.skipped:,} skipped" if counts.skipped else ""),
        f"events: {counts.events_read:,} read, {counts.events_used:,} used, "
        f"{counts.events_after_as_of:,} after as-of, {counts.events_unknown_lead:,} for unknown "
        f"leads, {counts.events_of_error_rows:,} for error-row leads, "
        + (
            f"{counts.events_of_not_yet_leads:,} for leads not yet created, "
            if counts.events_of_not_yet_leads
            else ""
        )
        + f"{counts.event_errors:,} error rows",
        "counts reconcile" if counts.reconciles else "COUNTS DO NOT RECONCILE (a bug: report it)",
        "",
    ]
    if tally.anomalies:
        lines[-1:-1] = [
            f"anomalies: {tally.anomalies:,} in {tally.leads_with_anomalies:,} leads "
            "(see `anomalies` in their verdicts)"
        ]
    if counts.events_unmapped or counts.lead_warnings:
        lines.insert(
            2,
            f"{counts.events_unmapped:,} activity rows matched no event mapping; "
            f"{counts.lead_warnings:,} verdicts carry warnings",
        )
    findings = drift.findings()
    if findings:
        lines.append("data drift (--strict-data fails on it):")
        lines += [f"  {finding.message}" for finding in findings]
        lines.append("")
    stage_rows = [[stage, str(n)] for stage, n in sorted(tally.stages.items())]
    lines.append(table(stage_rows, ["stage", "leads"]))
    campaign_rows = [
        [
            name,
            str(c.leads),
            str(c.handoff_due),
            str(c.handed_off),
            str(c.due_not_handed_off),
            str(c.missing_fields),
            str(c.disqualified_valid),
            str(c.disqualified_invalid),
        ]
        for name, c in sorted(tally.campaigns.items())
    ]
    lines.append(
        table(
            campaign_rows,
            [
                "campaign",
                "leads",
                "due",
                "handed off",
                "due, not handed off",
                "missing fields",
                "dq valid",
                "dq invalid",
            ],
        )
    )
    if shown:
        lines.append(f"error rows ({tally.error_rows:,}):")
        lines += [f"  {error}" for error in shown]
        if tally.error_rows > len(shown):
            lines.append(f"  ... and {tally.error_rows - len(shown):,} more (see --errors FILE)")
        lines.append("")
    return "\n".join(lines)


def run_explain(args: argparse.Namespace) -> int:
    """``leadcontract explain``: one lead's verdict in words."""
    try:
        evaluation = _start(args, trace=True, only={args.lead})
        found: list[Verdict] = []
        problems: list[RecordError] = []
        for item in _progress(evaluation, args, f"looking for {args.lead}"):
            if isinstance(item, Verdict):
                found.append(item)
            elif item.kind == "lead" and item.lead_id == args.lead:
                # An event error row naming the lead does not make the lead an error row.
                problems.append(item)
    except (_UsageError, InputFileError) as error:
        return fail(str(error))
    except OSError as error:
        return fail(f"cannot read {error.filename}: {error.strerror}")
    if found:
        sys.stdout.write(explain(found[0]))
        return EXIT_OK
    if problems:
        sys.stdout.write(f"lead {printable(args.lead)} is an error row, so it has no verdict:\n")
        sys.stdout.writelines(f"  {printable(str(p))}\n" for p in problems)
        return EXIT_PROBLEMS
    if evaluation.counts.not_yet:  # only this lead is evaluated, so the count is its own
        sys.stdout.write(f"lead {args.lead} was created after {args.as_of}: no verdict yet\n")
        return EXIT_OK
    sys.stderr.write(f"leadcontract: lead {args.lead!r} is not in {args.leads}\n")
    return EXIT_PROBLEMS


def run_report(args: argparse.Namespace) -> int:
    """``leadcontract report``: follow-up compliance and capacity load."""
    try:
        _refuse_clobbering(args, out=args.out)
        _check_inputs(args)
        compiled = _compiled(args.contract)
        as_of = _as_of(args, compiled)
        events = args.events if args.events is not None else ()
        plan = compiled.plan_capacity(args.leads)
        evaluation = compiled.evaluate(args.leads, events, as_of=as_of, trace=False, capacity=plan)
        shown: list[str] = []
        verdicts = _verdicts(_progress(evaluation, args, "reporting"), shown)
        view = ReportView(args.view, args.by, args.format, raw_csv=args.raw_csv)
        parties: list[str] = []
        if args.view == "sla":
            found = sla_compliance(
                verdicts, contract=compiled.contract, zone=compiled.zone, by=args.by
            )
            rows = [row.to_dict() for row in found]
        elif args.view == "capacity":
            for _ in verdicts:  # the run still reads every record, for its counts
                pass
            rows = [dict(row) for row in capacity_rows(plan)]
        else:
            groups = compliance(
                verdicts, contract=compiled.contract, zone=compiled.zone, by=args.by
            )
            rows, parties = [row.to_dict() for row in groups], breach_columns(groups)
        if args.out is not None:
            write_atomically(args.out, view.render(rows, parties=parties))
        elif args.format == "table":
            write_table(sys.stdout, view.title, *view.cells(rows))
        else:
            sys.stdout.write(view.render(rows, parties=parties))
    except (_UsageError, ValueError) as error:  # also: a role no rep plays, refused files
        return fail(str(error))
    except OSError as error:
        return fail(f"cannot read or write {error.filename}: {error.strerror}")
    return _left_out(evaluation.counts, shown, "this report")


def _verdicts(items: Iterable[Verdict | RecordError], shown: list[str]) -> Iterator[Verdict]:
    """The verdicts among ``items``; the first error rows' text goes to ``shown``."""
    for item in items:
        if isinstance(item, Verdict):
            yield item
        elif len(shown) < SHOWN_ERRORS:
            shown.append(printable(str(item)))


def _left_out(counts: RunCounts, shown: list[str], what: str) -> int:
    """The exit code of a report or payout run, after saying on standard error which records
    are error rows: they are in no group and earn nothing, and an exit code of 1 alone would
    not say which records to fix, or that the figures leave them out."""
    if not counts.reconciles:
        sys.stderr.write("leadcontract: the counts do not reconcile (a bug: report it)\n")
        return EXIT_INTERNAL
    errors = counts.lead_errors + counts.event_errors
    if not errors:
        return EXIT_OK
    lines = [
        f"leadcontract: {counts.lead_errors:,} lead and {counts.event_errors:,} event "
        f"record(s) are error rows, left out of {what}:",
        *(f"  {text}" for text in shown),
    ]
    if errors > len(shown):
        lines.append(
            f"  ... and {errors - len(shown):,} more (`leadcontract evaluate` with --errors "
            "FILE lists them all)"
        )
    sys.stderr.write("\n".join(lines) + "\n")
    return EXIT_PROBLEMS


_FOLLOW_UP_TABLE = (
    ("group", None),
    ("leads", "leads"),
    ("handed_off", "handed off"),
    ("touched_share", "touched"),
    ("within_sla_share", "within SLA"),
    ("median_minutes_to_first_touch", "median min"),
    ("p90_minutes_to_first_touch", "p90 min"),
    ("attempts_per_lead", "attempts/lead"),
    ("breaches", "breaches by party"),
)
"""The follow-up table: each row field shown, with its heading (the group's is the --by)."""

_TITLES = {
    "follow-up": "Follow-up compliance of handed-off leads",
    "sla": "SLA clocks by status",
    "capacity": "Leads delivered against declared capacity (campaign-week of creation)",
}


def _report_cell(key: str, value: object, *, for_people: bool) -> str:
    if value is None:
        return "-" if for_people else ""
    if isinstance(value, dict):
        return " ".join(f"{k}:{v}" for k, v in value.items()) or ("-" if for_people else "")
    if isinstance(value, float) and for_people:
        return f"{value:.0%}" if key.endswith("_share") else f"{value:.1f}"
    return str(value)


@dataclass(frozen=True)
class ReportView:
    """How ``leadcontract report`` shows one of its views in one format."""

    view: str
    by: str
    fmt: str
    raw_csv: bool = False

    def render(self, rows: Sequence[Mapping[str, Any]], parties: Sequence[str] = ()) -> str:
        """``rows`` (plain dicts of one view) as JSON, CSV or a text table."""
        if self.fmt == "json":
            key = "groups" if self.view != "capacity" else "capacity"
            document = {"view": self.view, "by": self.by, key: list(rows)}
            return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if self.fmt == "csv":
            return self._csv(rows, parties)
        return self._table(rows)

    def _csv(self, rows: Sequence[Mapping[str, Any]], parties: Sequence[str]) -> str:
        """One column per figure; breaches by party each in a column of their own."""
        flat = [self._flat(row, parties) for row in rows]
        columns = list(flat[0]) if flat else self._headings(parties)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([self.by if c == "group" else c for c in columns])
        guard = (lambda cell: cell) if self.raw_csv else guard_csv_cell
        writer.writerows(
            [[guard(_report_cell(c, row[c], for_people=False)) for c in columns] for row in flat]
        )
        return buffer.getvalue()

    def _flat(self, row: Mapping[str, Any], parties: Sequence[str]) -> dict[str, Any]:
        if self.view != "follow-up":
            return dict(row)
        flat = {k: v for k, v in row.items() if k != "breaches"}
        breaches = row.get("breaches") or {}
        flat |= {f"breaches_{party}": breaches.get(party, 0) for party in parties}
        return flat

    def _headings(self, parties: Sequence[str]) -> list[str]:
        if self.view == "sla":
            return ["sla", "group", *SLA_STATUSES]
        if self.view == "capacity":
            return ["campaign", "week", "leads", "expected", "capacity", "overflow"]
        keys = [key for key, _ in _FOLLOW_UP_TABLE if key != "breaches"]
        return keys + [f"breaches_{party}" for party in parties]

    def _table(self, rows: Sequence[Mapping[str, Any]]) -> str:
        buffer = io.StringIO()  # not a terminal: the plain table, as files get it
        write_table(buffer, self.title, *self.cells(rows))
        return buffer.getvalue()

    def cells(self, rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
        """The table's heading and its rows as text, for people."""
        if self.view == "follow-up":
            keys = [key for key, _ in _FOLLOW_UP_TABLE]
            header = [heading or self.by for _, heading in _FOLLOW_UP_TABLE]
        else:
            keys = self._headings(())
            header = [self.by if key == "group" else key.replace("_", " ") for key in keys]
        body = [[_report_cell(k, row[k], for_people=True) for k in keys] for row in rows]
        return header, body

    @property
    def title(self) -> str:
        return _TITLES[self.view]


def run_payouts(args: argparse.Namespace) -> int:
    """``leadcontract payouts``: one statement per rep for a period."""
    try:
        period = parse_period(args.period)
    except ValueError as error:
        return fail(str(error))
    try:
        _refuse_clobbering(args, out=args.out)
        _check_inputs(args)
        compiled = _compiled(args.contract)
        if args.as_of is not None:
            as_of = _as_of(args, compiled)
        else:
            try:
                as_of = datetime.combine(period.end + timedelta(days=1), time(), compiled.zone)
            except OverflowError as error:
                raise _UsageError(f"--period {args.period}: its end is out of range") from error
            as_of = _supported(as_of, f"--period {args.period} ends at")
        events = args.events if args.events is not None else ()
        plan = compiled.plan_capacity(args.leads)
        evaluation = compiled.evaluate(args.leads, events, as_of=as_of, trace=False, capacity=plan)
        lines = []
        shown: list[str] = []
        for verdict in _verdicts(_progress(evaluation, args, "collecting spiff lines"), shown):
            lines += [line for decision in verdict.spiffs for line in decision.lines]
        result = statements(lines, contract=compiled.contract, period=args.period)
    except (_UsageError, ClobberError, InputFileError) as error:
        return fail(str(error))
    except OSError as error:
        return fail(f"cannot read {error.filename}: {error.strerror}")
    text = render_statements(result, args.format, raw_csv=args.raw_csv)
    if not text and args.format == "table":  # an empty table is no text at all: say why
        text = f"no spiff lines in {printable(args.period)}: no lead earned or lost a spiff\n"
    try:
        with ExitStack() as stack:
            out = stack.enter_context(atomic_output(args.out)) if args.out else None
            if args.audit is not None:
                _record_payouts(args, compiled, as_of, result)
            (out or sys.stdout).write(text)
    except (OSError, AuditStoreError, sqlite3.Error) as error:
        what = f"record the run in {args.audit}" if args.audit else f"write {args.out}"
        return fail(f"cannot {what}: {error}")
    if not all(statement.reconciles for statement in result):
        sys.stderr.write("leadcontract: a statement does not reconcile (a bug: report it)\n")
        return EXIT_INTERNAL  # not a problem of the records: they have their own code
    # Leads created after the period are not errors (counts.not_yet): they earn nothing yet.
    return _left_out(evaluation.counts, shown, "these statements")


def _record_payouts(
    args: argparse.Namespace,
    compiled: CompiledContract,
    as_of: datetime,
    result: Sequence[Statement],
) -> None:
    """One payout run in the audit store: a header, then one entry per statement line."""
    ref = compiled.ref
    paths = [args.leads, *(args.events or ())]
    run = RunRecord(
        contract_id=ref.id,
        contract_version=ref.version,
        contract_digest=ref.digest,
        as_of=as_of,
        library_version=__version__,
        inputs_digest=inputs_digest(paths),
        kind="payouts",
    )
    entries = [
        {"kind": "payout", "lead_id": line["lead_id"], "payload": {"rep": s["rep"], **line}}
        for s in (statement_to_dict(statement) for statement in result)
        for line in s["lines"]
    ]
    with SqliteAuditStore(args.audit, on_wait=_waiting) as store:
        store.append_run(run, entries)
