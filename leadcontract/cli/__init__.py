"""The ``leadcontract`` command: parses arguments, calls the library, formats what it returns.

Exit codes are the same for every command: 0 when all is well, 1 when the contract or the
records have problems, 2 for usage errors and input that cannot be read at all, 3 for an
internal error (a bug in leadcontract: please report it).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO, TypeAlias

from leadcontract._version import __version__
from leadcontract.checks import lint
from leadcontract.cli.audit import run_audit_show, run_audit_verify
from leadcontract.cli.evaluate import run_evaluate, run_explain, run_payouts, run_report
from leadcontract.diagnostics import Diagnostic
from leadcontract.reporters import Format, render
from leadcontract.schema import schema_text

__all__ = ["main"]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

UNREADABLE_CODES = frozenset({"LC001", "LC010"})
"""Diagnostics that mean the input could not be read at all (exit 2, not 1)."""

_SUFFIX_FORMATS = {".json": Format.JSON, ".sarif": Format.SARIF, ".txt": Format.TEXT}


_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on usage errors, which is our convention too."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="leadcontract",
        description="Marketing-sales lead agreements as validated contracts.",
    )
    parser.add_argument("--version", action="version", version=f"leadcontract {__version__}")
    commands: _Commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=argparse.ArgumentParser
    )
    for register in (*_CORE, *_EXTENSIONS):
        register(commands)
    return parser


def _register_lint(commands: _Commands) -> None:
    lint_parser = commands.add_parser(
        "lint",
        help="check contracts and report problems with file, line and column",
        description="Check each PATH (a contract file or folder) and report every problem.",
    )
    lint_parser.set_defaults(handler=_lint)
    lint_parser.add_argument("paths", nargs="+", metavar="PATH", help="contract file or folder")
    lint_parser.add_argument(
        "--format",
        choices=[f.value for f in Format],
        default=None,
        help="output format (default: from --output's suffix, else text)",
    )
    lint_parser.add_argument(
        "--strict", action="store_true", help="fail on warnings as well as errors"
    )
    lint_parser.add_argument("--output", "-o", type=Path, help="write the report to this file")


def _register_records(commands: _Commands) -> None:
    evaluate_parser = commands.add_parser(
        "evaluate",
        help="evaluate lead records and events against a contract",
        description="Write one verdict per lead (and report every record that is an error "
        "row), then print a summary per stage and per campaign.",
    )
    evaluate_parser.set_defaults(handler=run_evaluate)
    _add_inputs(evaluate_parser)
    evaluate_parser.add_argument(
        "--format",
        choices=["jsonl", "csv", "table"],
        default=None,
        help="verdict format (default: from --out's suffix, else jsonl)",
    )
    evaluate_parser.add_argument("--out", "-o", type=Path, help="write verdicts to this file")
    evaluate_parser.add_argument(
        "--errors", type=Path, help="write error rows to this file (JSON Lines)"
    )
    evaluate_parser.add_argument(
        "--no-trace", action="store_true", help="leave the rule trace out of the verdicts"
    )
    evaluate_parser.add_argument(
        "--audit",
        type=Path,
        metavar="DB",
        help="also record the run (every verdict and error row) in this SQLite audit store",
    )
    evaluate_parser.add_argument(
        "--reveal-pii",
        action="store_true",
        help="store fields marked pii as they are (masked by default)",
    )
    evaluate_parser.add_argument(
        "--grouped",
        action="store_true",
        help="leads and events are both sorted by lead id: stream them with flat memory",
    )
    evaluate_parser.add_argument(
        "--workers",
        type=_worker_count,
        default=1,
        metavar="N",
        help="evaluate on N processes, leads partitioned by id (same output as one)",
    )

    explain_parser = commands.add_parser(
        "explain",
        help="explain one lead's verdict in words",
        description="Evaluate one lead and explain its verdict rule by rule.",
    )
    explain_parser.set_defaults(handler=run_explain)
    _add_inputs(explain_parser)
    explain_parser.add_argument("--lead", required=True, metavar="ID", help="the lead id")

    report_parser = commands.add_parser(
        "report",
        help="follow-up compliance: touched, within SLA, time to first touch, breaches",
        description="Follow-up compliance of handed-off leads, grouped by campaign, rep or "
        "week, and the load of each campaign-week against its declared capacity.",
    )
    report_parser.set_defaults(handler=run_report)
    _add_inputs(report_parser)
    report_parser.add_argument("--by", choices=["campaign", "rep", "week"], default="campaign")
    report_parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    report_parser.add_argument("--out", "-o", type=Path, help="write the report to this file")

    payouts_parser = commands.add_parser(
        "payouts",
        help="spiff payout statements per rep for a month or quarter",
        description="One statement per rep: spiff lines with lead, deal, amount, cap applied "
        "and clawbacks, and totals that reconcile with the lines.",
    )
    payouts_parser.set_defaults(handler=run_payouts)
    payouts_parser.add_argument("contract", metavar="CONTRACT", help="contract file or folder")
    payouts_parser.add_argument("--leads", required=True, type=Path, help="lead records")
    payouts_parser.add_argument("--events", type=Path, help="activity events")
    payouts_parser.add_argument(
        "--period", required=True, help="a month (2026-10) or a quarter (2026-Q4)"
    )
    payouts_parser.add_argument(
        "--as-of",
        metavar="TIME",
        help="evaluate as of this instant (default: the end of the period, in the contract's "
        "time zone)",
    )
    payouts_parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    payouts_parser.add_argument("--out", "-o", type=Path, help="write the statements here")
    payouts_parser.add_argument(
        "--audit",
        type=Path,
        metavar="DB",
        help="also record the run (every statement line) in this SQLite audit store",
    )


def _register_audit(commands: _Commands) -> None:
    audit_parser = commands.add_parser(
        "audit", help="check or read an audit store (append-only, hash-chained)"
    )
    audit_parser.set_defaults(handler=_run_audit)
    audit_commands = audit_parser.add_subparsers(dest="audit_command", required=True)
    verify_parser = audit_commands.add_parser(
        "verify", help="check the hash chain; name the first broken entry"
    )
    verify_parser.add_argument("db", type=Path, metavar="DB", help="the SQLite audit store")
    show_parser = audit_commands.add_parser("show", help="a lead's verdicts across runs")
    show_parser.add_argument("db", type=Path, metavar="DB", help="the SQLite audit store")
    show_parser.add_argument("--lead", required=True, metavar="ID", help="the lead id")
    show_parser.add_argument("--format", choices=["text", "json"], default="text")


def _register_schema(commands: _Commands) -> None:
    schema_parser = commands.add_parser(
        "schema", help="print the JSON Schema of the contract format"
    )
    schema_parser.set_defaults(handler=_run_schema)
    schema_parser.add_argument("--output", "-o", type=Path, help="write it to this file")


_CORE: tuple[Callable[[_Commands], None], ...] = (
    _register_lint,
    _register_records,
    _register_audit,
    _register_schema,
)
_EXTENSIONS: tuple[Callable[[_Commands], None], ...] = ()
"""Commands that live in modules of their own under ``leadcontract/cli/``: each module has a
``register(commands)`` that adds its parser with ``set_defaults(handler=...)``."""


def _worker_count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes >= 1, got {text!r}")
    return int(text)


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("contract", metavar="CONTRACT", help="contract file or folder")
    parser.add_argument(
        "--leads", required=True, type=Path, help="lead records: .csv, .jsonl or .json"
    )
    parser.add_argument("--events", type=Path, help="activity events: .csv, .jsonl or .json")
    parser.add_argument(
        "--as-of",
        required=True,
        metavar="TIME",
        help="evaluate as of this instant, ISO 8601 (e.g. 2026-11-16T17:00:00Z); "
        "without an offset it is read in the contract's time zone",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    An exception that escapes a command is a bug in leadcontract, never a problem with the
    records: it prints one line and a hint to report it, and exits with :data:`EXIT_INTERNAL`,
    so CI can tell a crash from bad data.
    """
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("leadcontract: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        print(
            f"leadcontract: internal error ({type(error).__name__}: {error}); please report "
            "it with the command line and, if you can, the input "
            "(set LEADCONTRACT_TRACEBACK=1 to see where it happened)",
            file=sys.stderr,
        )
        if os.environ.get("LEADCONTRACT_TRACEBACK"):
            traceback.print_exc()
        return EXIT_INTERNAL


def _run_audit(args: argparse.Namespace) -> int:
    if args.audit_command == "verify":
        code, text = run_audit_verify(args.db)
    else:
        code, text = run_audit_show(args.db, args.lead, args.format)
    (sys.stdout if code == EXIT_OK else sys.stderr).write(text.rstrip("\n") + "\n")
    return code


def _run_schema(args: argparse.Namespace) -> int:
    return _write(schema_text(), args.output, sys.stdout)


def _lint(args: argparse.Namespace) -> int:
    fmt = _format(args.format, args.output)
    diagnostics: list[Diagnostic] = []
    files: list[str] = []
    failed = False
    for path in args.paths:
        result = lint(path)
        diagnostics.extend(result.diagnostics)
        if result.source is not None:
            files.extend(result.source.files)
        failed = failed or not result.passed(strict=args.strict)
    report = render(diagnostics, fmt, tool_version=__version__, files=files)
    status = _write(report, args.output, sys.stdout)
    if status != EXIT_OK:
        return status
    if any(d.code in UNREADABLE_CODES for d in diagnostics):
        return EXIT_USAGE
    return EXIT_PROBLEMS if failed else EXIT_OK


def _format(name: str | None, output: Path | None) -> Format:
    if name is not None:
        return Format(name)
    if output is not None:
        return _SUFFIX_FORMATS.get(output.suffix.lower(), Format.TEXT)
    return Format.TEXT


def _write(text: str, output: Path | None, stream: TextIO) -> int:
    if output is None:
        stream.write(text)
        return EXIT_OK
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"leadcontract: cannot write {output}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
