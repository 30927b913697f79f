"""The ``evaluate`` and ``explain`` commands: run the engine and format what it returns."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from leadcontract._version import __version__
from leadcontract.checks import lint
from leadcontract.engine import (
    CompiledContract,
    ContractError,
    Evaluation,
    InputOrderError,
    compile_contract,
)
from leadcontract.explanation import explain
from leadcontract.inputs import RecordError
from leadcontract.parallel import evaluate_partitioned
from leadcontract.payouts import (
    Statement,
    parse_period,
    render_statements,
    statement_to_dict,
    statements,
)
from leadcontract.report import capacity_rows, compliance
from leadcontract.reporters import render_text
from leadcontract.store import (
    AuditStoreError,
    RunRecord,
    SqliteAuditStore,
    inputs_digest,
    record_evaluation,
)
from leadcontract.summary import Tally
from leadcontract.verdict import Verdict
from leadcontract.writers import CSV_COLUMNS, csv_row, error_json, table, verdict_json

__all__ = ["run_evaluate", "run_explain", "run_payouts", "run_report"]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
SHOWN_ERRORS = 20
"""Error rows printed on the terminal; all of them go to --errors."""
PROGRESS_EVERY = 5000


class _UsageError(Exception):
    """Input the command cannot work with; reported as one line, exit 2."""


def _fail(message: str) -> int:
    sys.stderr.write(f"leadcontract: {message}\n")
    return EXIT_USAGE


def _compiled(contract_path: str) -> CompiledContract:
    result = lint(contract_path)
    if result.errors or result.contract is None:
        report = render_text(result.diagnostics)
        raise _UsageError(f"the contract has errors; fix them first:\n{report}")
    try:
        return compile_contract(result.contract)
    except ContractError as error:  # pragma: no cover - lint reports these first
        raise _UsageError(str(error)) from error


def _as_of(text: str, compiled: CompiledContract) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as error:
        raise _UsageError(
            f"--as-of {text!r} is not an ISO 8601 time such as 2026-11-16T17:00:00Z"
        ) from error
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(compiled.contract.metadata.timezone))
    return value


def _check_inputs(args: argparse.Namespace) -> None:
    for path in (args.leads, args.events):
        if path is None:
            continue
        if path.is_dir():
            raise _UsageError(f"cannot read {path}: it is a folder, not a file")
        if not path.is_file():
            raise _UsageError(f"cannot read {path}: no such file")
        if path.suffix.lower() not in (".csv", ".jsonl", ".ndjson", ".json"):
            raise _UsageError(f"{path}: expected a .csv, .jsonl, .ndjson or .json file")


def _start(args: argparse.Namespace, *, trace: bool, only: set[str] | None = None) -> Evaluation:
    _check_inputs(args)
    compiled = _compiled(args.contract)
    as_of = _as_of(args.as_of, compiled)
    events = args.events if args.events is not None else ()
    capacity = compiled.plan_capacity(args.leads)
    if getattr(args, "workers", 1) > 1:
        if args.grouped:
            raise _UsageError("--workers partitions the inputs itself; leave out --grouped")
        return evaluate_partitioned(
            compiled, args.leads, args.events, as_of=as_of, workers=args.workers, trace=trace,
            capacity=capacity,
        )  # fmt: skip
    return compiled.evaluate(
        args.leads,
        events,
        as_of=as_of,
        trace=trace,
        grouped=getattr(args, "grouped", False),
        only=only,
        capacity=capacity,
    )


def run_evaluate(args: argparse.Namespace) -> int:
    """``leadcontract evaluate``: verdicts out, summary on the terminal."""
    fmt = args.format or _format_for(args.out)
    try:
        evaluation = _start(args, trace=not args.no_trace)
        tally = Tally()
        with ExitStack() as stack:
            out = _open(stack, args.out) if args.out else sys.stdout
            errors_out = _open(stack, args.errors) if args.errors else None
            shown: list[RecordError] = []
            items = _written(
                _with_progress(iter(evaluation), tally),
                fmt=fmt,
                out=out,
                tally=tally,
                errors_out=errors_out,
                shown=shown,
            )
            if args.audit is not None:
                _record(items, evaluation, args, stack)
            else:
                for _ in items:
                    pass
    except _UsageError as error:
        return _fail(str(error))
    except InputOrderError as error:
        return _fail(f"{error} (run without --grouped)")
    except OSError as error:
        return _fail(f"cannot read or write {error.filename}: {error.strerror}")
    summary_stream = sys.stderr if args.out is None else sys.stdout
    summary_stream.write(_summary(evaluation, tally, shown))
    return EXIT_PROBLEMS if tally.error_rows else EXIT_OK


def _record(
    items: Iterator[Verdict | RecordError],
    evaluation: Evaluation,
    args: argparse.Namespace,
    stack: ExitStack,
) -> None:
    """Record the streaming items in the audit store, in one transaction that commits only
    when the whole run went through (a crash leaves no partial run)."""
    store = stack.enter_context(SqliteAuditStore(args.audit))
    paths = [p for p in (args.leads, args.events) if p is not None]
    record_evaluation(
        store,
        evaluation.compiled,
        items,
        as_of=evaluation.as_of,
        inputs_digest=inputs_digest(paths),
        reveal_pii=args.reveal_pii,
    )


def _format_for(out: Path | None) -> str:
    if out is not None and out.suffix.lower() == ".csv":
        return "csv"
    if out is not None and out.suffix.lower() in (".txt", ".table"):
        return "table"
    return "jsonl"


def _open(stack: ExitStack, path: Path) -> TextIO:
    return stack.enter_context(path.open("w", encoding="utf-8", newline=""))


def _with_progress(
    items: Iterator[Verdict | RecordError], tally: Tally
) -> Iterator[Verdict | RecordError]:
    """Pass items through, drawing a counter on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        yield from items
        return
    count = 0
    for item in items:
        count += 1
        if count % PROGRESS_EVERY == 0:
            sys.stderr.write(f"\r  evaluated {count:,} records ({tally.error_rows:,} errors)")
            sys.stderr.flush()
        yield item
    if count >= PROGRESS_EVERY:
        sys.stderr.write("\r" + " " * 60 + "\r")


def _written(
    items: Iterator[Verdict | RecordError],
    *,
    fmt: str,
    out: TextIO,
    tally: Tally,
    errors_out: TextIO | None,
    shown: list[RecordError],
) -> Iterator[Verdict | RecordError]:
    """Write each item as it streams past, then pass it on (to the audit store, if any)."""
    writer = (
        csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n") if fmt == "csv" else None
    )
    if writer is not None:
        writer.writeheader()
    rows: list[list[str]] = []
    for item in items:
        tally.add(item)
        if isinstance(item, RecordError):
            if len(shown) < SHOWN_ERRORS:
                shown.append(item)
            if errors_out is not None:
                errors_out.write(error_json(item) + "\n")
        elif writer is not None:
            writer.writerow(csv_row(item))
        elif fmt == "table":
            row = csv_row(item)
            rows.append([row[c] for c in _TABLE_COLUMNS])
        else:
            out.write(verdict_json(item) + "\n")
        yield item
    if fmt == "table":
        out.write(table(rows, _TABLE_COLUMNS))


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


def _summary(evaluation: Evaluation, tally: Tally, shown: list[RecordError]) -> str:
    counts = evaluation.counts
    lines = [
        f"leads: {counts.leads_read:,} read, {counts.verdicts:,} verdicts, "
        f"{counts.lead_errors:,} error rows"
        + (f", {counts.skipped:,} skipped" if counts.skipped else ""),
        f"events: {counts.events_read:,} read, {counts.events_used:,} used, "
        f"{counts.events_after_as_of:,} after as-of, {counts.events_unknown_lead:,} for unknown "
        f"leads, {counts.events_of_error_rows:,} for error-row leads, "
        f"{counts.event_errors:,} error rows",
        "counts reconcile" if counts.reconciles else "COUNTS DO NOT RECONCILE (a bug: report it)",
        "",
    ]
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
        for item in evaluation:
            if isinstance(item, Verdict):
                found.append(item)
            elif item.kind == "lead" and item.lead_id == args.lead:
                # An event error row naming the lead does not make the lead an error row.
                problems.append(item)
    except _UsageError as error:
        return _fail(str(error))
    except OSError as error:
        return _fail(f"cannot read {error.filename}: {error.strerror}")
    if found:
        sys.stdout.write(explain(found[0]))
        return EXIT_OK
    if problems:
        sys.stdout.write(f"lead {args.lead} is an error row, so it has no verdict:\n")
        sys.stdout.writelines(f"  {p}\n" for p in problems)
        return EXIT_PROBLEMS
    sys.stderr.write(f"leadcontract: lead {args.lead!r} is not in {args.leads}\n")
    return EXIT_PROBLEMS


def run_report(args: argparse.Namespace) -> int:
    """``leadcontract report``: follow-up compliance and capacity load."""
    try:
        _check_inputs(args)
        compiled = _compiled(args.contract)
        as_of = _as_of(args.as_of, compiled)
        events = args.events if args.events is not None else ()
        plan = compiled.plan_capacity(args.leads)
        evaluation = compiled.evaluate(args.leads, events, as_of=as_of, trace=False, capacity=plan)
        verdicts = (item for item in evaluation if isinstance(item, Verdict))
        rows = [
            row.to_dict()
            for row in compliance(
                verdicts, contract=compiled.contract, zone=compiled.zone, by=args.by
            )
        ]
    except _UsageError as error:
        return _fail(str(error))
    except OSError as error:
        return _fail(f"cannot read {error.filename}: {error.strerror}")
    loads = capacity_rows(plan)
    text = _render_report(rows, loads, args.format, args.by)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    errors = evaluation.counts.lead_errors + evaluation.counts.event_errors
    return EXIT_PROBLEMS if errors else EXIT_OK


_REPORT_TABLE = (
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
"""The report's table: each row field shown, with its heading (the group's is the --by)."""


def _report_cell(key: str, value: object, *, for_people: bool) -> str:
    if value is None:
        return "-" if for_people else ""
    if isinstance(value, dict):
        return " ".join(f"{k}:{v}" for k, v in value.items()) or ("-" if for_people else "")
    if isinstance(value, float) and for_people:
        return f"{value:.0%}" if key.endswith("_share") else f"{value:.1f}"
    return str(value)


def _render_report(
    rows: Sequence[Mapping[str, Any]], loads: Sequence[Mapping[str, Any]], fmt: str, by: str
) -> str:
    if fmt == "json":
        document = {"by": by, "groups": rows, "capacity": loads}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        columns = list(rows[0]) if rows else [key for key, _ in _REPORT_TABLE]
        writer.writerow([by if c == "group" else c for c in columns])
        writer.writerows(
            [[_report_cell(c, row[c], for_people=False) for c in columns] for row in rows]
        )
        return buffer.getvalue()
    header = [heading or by for _, heading in _REPORT_TABLE]
    body = [[_report_cell(k, row[k], for_people=True) for k, _ in _REPORT_TABLE] for row in rows]
    out = ["Follow-up compliance of handed-off leads", "", table(body, header)]
    if loads:
        load_columns = ["campaign", "week", "leads", "capacity", "overflow"]
        load_rows = [[str(load[c]) for c in load_columns] for load in loads]
        out += [
            "Leads delivered against declared capacity (campaign-week of creation)",
            "",
            table(load_rows, load_columns),
        ]
    return "\n".join(out)


def run_payouts(args: argparse.Namespace) -> int:
    """``leadcontract payouts``: one statement per rep for a period."""
    try:
        period = parse_period(args.period)
    except ValueError as error:
        return _fail(str(error))
    try:
        _check_inputs(args)
        compiled = _compiled(args.contract)
        if args.as_of is not None:
            as_of = _as_of(args.as_of, compiled)
        else:
            as_of = datetime.combine(period.end + timedelta(days=1), time(), compiled.zone)
        events = args.events if args.events is not None else ()
        plan = compiled.plan_capacity(args.leads)
        evaluation = compiled.evaluate(args.leads, events, as_of=as_of, trace=False, capacity=plan)
        lines = []
        not_yet = 0
        for item in evaluation:
            if isinstance(item, Verdict):
                lines += [line for decision in item.spiffs for line in decision.lines]
            elif item.code == "after-as-of":
                not_yet += 1
        result = statements(lines, contract=compiled.contract, period=args.period)
    except _UsageError as error:
        return _fail(str(error))
    except OSError as error:
        return _fail(f"cannot read {error.filename}: {error.strerror}")
    if args.audit is not None:
        try:
            _record_payouts(args, compiled, as_of, result)
        except (OSError, AuditStoreError) as error:
            return _fail(f"cannot record the run in {args.audit}: {error}")
    text = render_statements(result, args.format)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    if not all(statement.reconciles for statement in result):
        sys.stderr.write("leadcontract: a statement does not reconcile (a bug: report it)\n")
        return EXIT_PROBLEMS
    # Leads created after the period are not errors of a payout run: they earn nothing yet.
    errors = evaluation.counts.lead_errors + evaluation.counts.event_errors - not_yet
    return EXIT_PROBLEMS if errors else EXIT_OK


def _record_payouts(
    args: argparse.Namespace,
    compiled: CompiledContract,
    as_of: datetime,
    result: Sequence[Statement],
) -> None:
    """One payout run in the audit store: a header, then one entry per statement line."""
    ref = compiled.ref
    paths = [p for p in (args.leads, args.events) if p is not None]
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
    with SqliteAuditStore(args.audit) as store:
        store.append_run(run, entries)
