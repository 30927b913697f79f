"""The ``leadcontract`` command: parses arguments, calls the library, formats what it returns.

Exit codes are the same for every command: 0 when all is well, 1 when the contract or the
records have problems, 2 for usage errors and input that cannot be read at all, 3 for an
internal error (a bug in leadcontract: please report it).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO, TypeAlias

from leadcontract._version import __version__
from leadcontract.cli import diff as _diff_command
from leadcontract.cli import docs as _docs_command
from leadcontract.cli import init as _init_command
from leadcontract.cli import live as _live_command
from leadcontract.cli import test as _test_command

if TYPE_CHECKING:
    from leadcontract.inputs import RecordKind

__all__ = ["main"]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

UNREADABLE_CODES = frozenset({"LC001", "LC010"})
"""Diagnostics that mean the input could not be read at all (exit 2, not 1)."""

_LINT_FORMATS = ("text", "json", "github", "sarif")
_SUFFIX_FORMATS = {".json": "json", ".sarif": "sarif", ".txt": "text"}


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A command handler imported when the command runs, so that ``--version``, ``--help``
    and a mistyped flag answer without importing the whole library."""

    def handler(args: argparse.Namespace) -> int:
        function: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(module), name
        )
        return function(args)

    return handler


_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on usage errors, which is our convention too; this one also
    says "did you mean" for a mistyped command or flag."""

    _given: Sequence[str] = ()

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._given = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        super().error(message + _did_you_mean(self, self._given, message))


def _did_you_mean(parser: argparse.ArgumentParser, given: Sequence[str], message: str) -> str:
    """A hint for the closest command or flag to a mistyped one, or ''."""
    subparsers = next(
        (a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None
    )
    commands: dict[str, argparse.ArgumentParser] = dict(subparsers.choices) if subparsers else {}
    if "invalid choice:" in message and commands:
        typed = message.split("invalid choice:", 1)[1].split("'")[1]
        close = difflib.get_close_matches(typed, list(commands), n=1)
        return f"; did you mean '{close[0]}'?" if close else ""
    if not message.startswith("unrecognized arguments:"):
        return ""
    command = next((commands[token] for token in given if token in commands), parser)
    known = [o for action in command._actions for o in action.option_strings]
    hints = []
    for token in message.removeprefix("unrecognized arguments:").split():
        flag = token.split("=", 1)[0]
        if flag.startswith("-"):
            close = difflib.get_close_matches(flag, known, n=1, cutoff=0.6)
            if close:
                hints.append(f"'{close[0]}' for '{flag}'")
    return f"; did you mean {', '.join(hints)}?" if hints else ""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="leadcontract",
        description="Marketing-sales lead agreements as validated contracts.",
        epilog="Run 'leadcontract COMMAND --help' for a command's options and examples. Exit "
        "codes: 0 all well, 1 problems in the contract or the records, 2 usage errors and "
        "unreadable input, 3 internal error.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"leadcontract {__version__}")
    commands: _Commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    for register in (*_CORE, *_EXTENSIONS):
        register(commands)
    for name, command in commands.choices.items():
        if command.epilog is None and name in _EXAMPLES:
            command.epilog = "examples:\n" + "\n".join(f"  {e}" for e in _EXAMPLES[name])
            command.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


_EXAMPLES: dict[str, tuple[str, ...]] = {
    "lint": (
        "leadcontract lint contracts/example",
        "leadcontract lint contracts/example --strict --format sarif -o lint.sarif",
    ),
    "evaluate": (
        "leadcontract evaluate contracts/example --leads leads.csv --events events.jsonl \\",
        "    --as-of 2026-11-16T17:00:00Z --out verdicts.jsonl --errors errors.jsonl",
    ),
    "explain": (
        "leadcontract explain contracts/example --leads leads.csv --events events.jsonl \\",
        "    --as-of 2026-11-16T17:00:00Z --lead L000007",
    ),
    "report": (
        "leadcontract report contracts/example --leads leads.csv --events events.jsonl \\",
        "    --as-of 2026-11-16T17:00:00Z --by role:sdr --format csv",
    ),
    "payouts": (
        "leadcontract payouts contracts/example --leads leads.csv --events events.jsonl \\",
        "    --period 2026-01..2026-12 --format csv --out payouts-2026.csv",
    ),
    "audit": (
        "leadcontract audit verify audit.db",
        "leadcontract audit show audit.db --lead L000052",
    ),
    "schema": (
        "leadcontract schema -o schemas/leadcontract.schema.json",
        "leadcontract schema --verdict -o schemas/verdict.schema.json",
    ),
    "init": (
        "leadcontract init contracts/acme                  # a commented, valid contract",
        "leadcontract init contracts/acme --crm salesforce --from-export leads.csv",
    ),
    "test": (
        "leadcontract test contracts/example --coverage --fail-under 90",
        "leadcontract test contracts/example --format junit -o contract-tests.xml",
    ),
    "diff": (
        "leadcontract diff main:contracts/example contracts/example --format markdown",
        "leadcontract diff old/ new/ --replay --leads leads.csv --events events.jsonl \\",
        "    --as-of 2026-11-16T17:00:00Z",
    ),
    "watch": (
        "leadcontract watch contracts/example --state state.db --leads leads.csv < events.jsonl",
        "leadcontract watch contracts/example --state state.db --events crm-feed.jsonl --follow \\",
        "    --webhook https://hooks.example/leadcontract --webhook-secret-env HOOK_SECRET",
    ),
    "serve": (
        "LEADCONTRACT_SECRET=... leadcontract serve contracts/example --state state.db \\",
        "    --host 127.0.0.1 --port 8080 --slack https://hooks.slack.example/T000/B000",
    ),
    "docs": (
        "leadcontract docs contracts/example --site-dir site --leads leads.csv \\",
        "    --events events.jsonl --as-of 2026-11-16T17:00:00Z   # then open site/index.html",
        "leadcontract docs contracts/example --serve              # live reload while editing",
    ),
    "completion": (
        'eval "$(leadcontract completion bash)"      # in ~/.bashrc',
        "leadcontract completion zsh > ~/.zfunc/_leadcontract",
    ),
}
"""Examples shown under each core command's --help (a command may set its own epilog)."""


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
        choices=_LINT_FORMATS,
        default=None,
        help="output format (default: from --output's suffix, else text)",
    )
    lint_parser.add_argument(
        "--strict", action="store_true", help="fail on warnings as well as errors"
    )
    lint_parser.add_argument(
        "--out", "--output", "-o", dest="output", type=Path, help="write the report to this file"
    )
    lint_parser.add_argument(
        "--config",
        type=Path,
        help="lint configuration (.leadcontract.yaml or pyproject.toml); default: the nearest "
        "one above each PATH",
    )
    lint_parser.add_argument(
        "--today",
        metavar="DATE",
        type=_iso_date,
        help="the date waivers expire against, YYYY-MM-DD (default: today)",
    )
    lint_parser.add_argument(
        "--leads-sample",
        type=Path,
        metavar="FILE",
        help="a lead export (any input format) whose columns the field sources must name",
    )
    lint_parser.add_argument(
        "--events-sample",
        type=Path,
        metavar="FILE",
        help="an activity export whose columns the contract's event mappings must name",
    )


def _register_records(commands: _Commands) -> None:
    evaluate_parser = commands.add_parser(
        "evaluate",
        help="evaluate lead records and events against a contract",
        description="Write one verdict per lead (and report every record that is an error "
        "row), then print a summary per stage and per campaign.",
    )
    evaluate_parser.set_defaults(handler=_lazy("leadcontract.cli.evaluate", "run_evaluate"))
    _add_inputs(evaluate_parser)
    evaluate_parser.add_argument(
        "--format",
        choices=["jsonl", "csv", "table", "parquet"],
        default=None,
        help="verdict format (default: from --out's suffix: .jsonl, .csv, .txt, .parquet; "
        "else jsonl); csv, table and parquet give one flat row per lead (docs/outputs.md)",
    )
    evaluate_parser.add_argument(
        "--columns",
        metavar="NAMES",
        help="the flat columns to write, comma-separated, e.g. "
        "lead_id,owner,stage,sla.first-touch.*  (default: all; the table: a few)",
    )
    evaluate_parser.add_argument(
        "--out", "--output", "-o", dest="out", type=Path, help="write verdicts to this file"
    )
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
    _add_raw_csv(evaluate_parser)
    evaluate_parser.add_argument(
        "--lock-wait",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="how long to wait for other runs writing to the audit store (default 600)",
    )
    evaluate_parser.add_argument(
        "--grouped",
        action="store_true",
        help="leads and events are both sorted by lead id: stream them with flat memory",
    )
    evaluate_parser.add_argument(
        "--strict-data",
        action="store_true",
        help="fail (exit 1) on data drift: unknown campaigns, event types or reps, values "
        "outside allowed values, unmapped columns or activity rows",
    )
    evaluate_parser.add_argument(
        "--summary-json",
        type=Path,
        metavar="FILE",
        help="write the run summary (counts, stages, campaigns, data drift) as JSON",
    )
    evaluate_parser.add_argument(
        "--workers",
        type=_worker_count,
        default=1,
        metavar="N",
        help="evaluate on N processes, leads partitioned by id (same output as one)",
    )
    evaluate_parser.add_argument(
        "--spill",
        action="store_true",
        help="bounded memory for unsorted input of any size: partition leads and events by id "
        "into temporary files, evaluate them one by one (same output)",
    )
    evaluate_parser.add_argument(
        "--scratch",
        type=Path,
        metavar="DIR",
        help="where the run writes its temporary files: --spill's partitions, the lead rows "
        "the capacity pass keeps (default: the system's temporary folder)",
    )

    explain_parser = commands.add_parser(
        "explain",
        help="explain one lead's verdict in words",
        description="Evaluate one lead and explain its verdict rule by rule.",
    )
    explain_parser.set_defaults(handler=_lazy("leadcontract.cli.evaluate", "run_explain"))
    _add_inputs(explain_parser)
    explain_parser.add_argument("--lead", required=True, metavar="ID", help="the lead id")

    report_parser = commands.add_parser(
        "report",
        help="follow-up compliance: touched, within SLA, time to first touch, breaches",
        description="Follow-up compliance of handed-off leads, grouped by campaign, rep or "
        "week, and the load of each campaign-week against its declared capacity.",
    )
    report_parser.set_defaults(handler=_lazy("leadcontract.cli.evaluate", "run_report"))
    _add_inputs(report_parser)
    report_parser.add_argument(
        "--by",
        type=_grouping,
        default="campaign",
        metavar="GROUP",
        help="campaign (default), owner (or rep), toucher (the first rep to touch the lead), "
        "week (of handoff), or role:ROLE (the first toucher holding ROLE, else the owner)",
    )
    report_parser.add_argument(
        "--view",
        choices=["follow-up", "sla", "capacity"],
        default="follow-up",
        help="follow-up (default): touched, within SLA, time to first touch, breaches by "
        "party; sla: every SLA's clocks by status (met, breached, excused, pending...); "
        "capacity: leads per campaign-week against the declared capacity",
    )
    report_parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    report_parser.add_argument(
        "--out", "--output", "-o", dest="out", type=Path, help="write the report to this file"
    )
    _add_raw_csv(report_parser)

    payouts_parser = commands.add_parser(
        "payouts",
        help="spiff payout statements per rep for any period (a month, quarter, year, range)",
        description="One statement per rep: spiff lines with lead, deal, amount, cap applied "
        "and clawbacks, and totals that reconcile with the lines.",
    )
    payouts_parser.set_defaults(handler=_lazy("leadcontract.cli.evaluate", "run_payouts"))
    payouts_parser.add_argument("contract", metavar="CONTRACT", help="contract file or folder")
    payouts_parser.add_argument("--leads", required=True, type=Path, help="lead records")
    payouts_parser.add_argument("--events", type=Path, nargs="+", help="activity events")
    payouts_parser.add_argument(
        "--period",
        required=True,
        help="a month (2026-10), quarter (2026-Q4), year (2026), day (2026-10-15) or a range "
        "of these (2026-01..2026-06): one statement per rep, with monthly subtotals",
    )
    payouts_parser.add_argument(
        "--as-of",
        metavar="TIME",
        help="evaluate as of this instant (default: the end of the period, in the contract's "
        "time zone)",
    )
    payouts_parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    payouts_parser.add_argument(
        "--out", "--output", "-o", dest="out", type=Path, help="write the statements here"
    )
    _add_raw_csv(payouts_parser)
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
    verify_parser.add_argument(
        "--head",
        metavar="HASH|FILE",
        help="a head recorded earlier (a hash, or a file written by `audit anchor`): the chain "
        "must still hold it, and only whole runs may follow it",
    )
    anchor_parser = audit_commands.add_parser(
        "anchor", help="write the chain's head to a file, to keep in git or a ticket"
    )
    anchor_parser.add_argument("db", type=Path, metavar="DB", help="the SQLite audit store")
    anchor_parser.add_argument(
        "--out", "--output", "-o", dest="out", type=Path, help="the anchor file (default: print it)"
    )
    show_parser = audit_commands.add_parser("show", help="a lead's verdicts across runs")
    show_parser.add_argument("db", type=Path, metavar="DB", help="the SQLite audit store")
    show_parser.add_argument("--lead", required=True, metavar="ID", help="the lead id")
    show_parser.add_argument("--format", choices=["text", "json"], default="text")


def _register_completion(commands: _Commands) -> None:
    completion = commands.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or tcsh)",
        description="Print the completion script for SHELL; load it from your shell's startup "
        "file.",
    )
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"), metavar="SHELL")
    completion.set_defaults(handler=_run_completion)


def _run_completion(args: argparse.Namespace) -> int:
    import shtab  # noqa: PLC0415 (lazy)

    sys.stdout.write(shtab.complete(build_parser(), shell=args.shell))
    return EXIT_OK


def _register_schema(commands: _Commands) -> None:
    schema_parser = commands.add_parser(
        "schema",
        help="print the JSON Schema of the contract format (or, with --verdict, of a verdict)",
    )
    schema_parser.set_defaults(handler=_run_schema)
    schema_parser.add_argument(
        "--verdict",
        action="store_true",
        help="the schema of one verdict as evaluate writes it (a line of its JSON Lines)",
    )
    schema_parser.add_argument(
        "--out", "--output", "-o", dest="output", type=Path, help="write it to this file"
    )


_CORE: tuple[Callable[[_Commands], None], ...] = (
    _register_lint,
    _register_records,
    _register_audit,
    _register_schema,
    _register_completion,
)
_EXTENSIONS: tuple[Callable[[_Commands], None], ...] = (
    _docs_command.register,
    _test_command.register,
    _diff_command.register,
    _init_command.register,
    _live_command.register,
)
"""Commands that live in modules of their own under ``leadcontract/cli/``: each module has a
``register(commands)`` that adds its parser with ``set_defaults(handler=...)``."""


def _add_raw_csv(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--raw-csv",
        action="store_true",
        help="write CSV cells as they are: do not guard cells starting with = + - @ tab or CR "
        "against formula injection (docs/limits.md)",
    )


def _grouping(text: str) -> str:
    """``--by``: a grouping the report knows (whether a role exists is checked later)."""
    if text in ("campaign", "owner", "rep", "toucher", "week") or (
        text.startswith("role:") and len(text) > len("role:")
    ):
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r}: expected campaign, owner, rep, toucher, week or role:ROLE"
    )


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date such as 2026-11-16, got {text!r}"
        ) from None


def _worker_count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes >= 1, got {text!r}")
    return int(text)


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("contract", metavar="CONTRACT", help="contract file or folder")
    parser.add_argument(
        "--leads",
        required=True,
        type=Path,
        help="lead records: .csv, .jsonl, .json, .parquet or .arrow",
    )
    parser.add_argument(
        "--events",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="activity events, one file or several (a Task and a LeadHistory export...)",
    )
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
    args.started = datetime.now(UTC)  # the one reading of the wall clock: --as-of now, today
    handler: Callable[[argparse.Namespace], int] = args.handler
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if on_main_thread else None
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("leadcontract: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("leadcontract: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:
        # The reader of standard output stopped (`| head`): nothing more can go there, and
        # the interpreter's own flush at exit must not fail on it again.
        with contextlib.suppress(OSError, ValueError):  # a stdout without a descriptor
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(
            "leadcontract: standard output was closed before the run wrote everything",
            file=sys.stderr,
        )
        return EXIT_USAGE
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
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous)


class _Terminated(BaseException):
    """SIGTERM (``kill``, systemd stopping a job, a CI timeout), raised where the command is,
    so it unwinds as Ctrl-C does: temporary outputs and spilled files removed, worker
    processes ended."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def _run_audit(args: argparse.Namespace) -> int:
    from leadcontract.cli.audit import (  # noqa: PLC0415 (lazy)
        run_audit_anchor,
        run_audit_show,
        run_audit_verify,
    )

    if args.audit_command == "verify":
        code, text = run_audit_verify(args.db, head=args.head)
    elif args.audit_command == "anchor":
        code, text = run_audit_anchor(args.db, args.out)
    else:
        code, text = run_audit_show(args.db, args.lead, args.format)
    (sys.stdout if code == EXIT_OK else sys.stderr).write(text.rstrip("\n") + "\n")
    return code


def _run_schema(args: argparse.Namespace) -> int:
    from leadcontract.schema import schema_text, verdict_schema_text  # noqa: PLC0415 (lazy)

    text = verdict_schema_text() if args.verdict else schema_text()
    return _write(text, args.output, sys.stdout)


def _lint(args: argparse.Namespace) -> int:
    from leadcontract.checks import lint  # noqa: PLC0415 (lazy)
    from leadcontract.config import ConfigError, find_config, load_config  # noqa: PLC0415
    from leadcontract.diagnostics import Diagnostic  # noqa: PLC0415 (lazy)
    from leadcontract.inputs import sample_columns  # noqa: PLC0415 (lazy)
    from leadcontract.reporters import Format, render  # noqa: PLC0415 (lazy)

    fmt = Format(_format(args.format, args.output))
    from leadcontract.cli._files import ClobberError, refuse_clobbering  # noqa: PLC0415 (lazy)

    try:
        refuse_clobbering({"--output": args.output}, [Path(p) for p in args.paths])
    except ClobberError as error:
        print(f"leadcontract: {error}", file=sys.stderr)
        return EXIT_USAGE
    diagnostics: list[Diagnostic] = []
    files: list[str] = []
    failed = False
    today = args.today or args.started.date()  # the one clock reading, taken by main()
    waived = 0
    try:
        samples = [
            (kind, str(path), sample_columns(path, kind=kind)) for kind, path in _samples(args)
        ]
    except (OSError, ValueError) as error:
        sys.stderr.write(f"leadcontract: cannot read the sample: {error}\n")
        return EXIT_USAGE
    for path in args.paths:
        try:
            config = load_config(args.config) if args.config else find_config(Path(path))
        except ConfigError as error:
            print(f"leadcontract: {error}", file=sys.stderr)
            return EXIT_USAGE
        result = lint(path, config=config, today=today, samples=samples)
        waived += len(result.waived)
        diagnostics.extend(result.diagnostics)
        if result.source is not None:
            files.extend(result.source.files)
        failed = failed or not result.passed(strict=args.strict)
    report = render(diagnostics, fmt, tool_version=__version__, files=files)
    if waived and fmt is Format.TEXT:
        report += f"{waived} finding(s) waived by the contract's `waivers`\n"
    status = _write(report, args.output, sys.stdout)
    if status != EXIT_OK:
        return status
    if any(d.code in UNREADABLE_CODES for d in diagnostics):
        return EXIT_USAGE
    return EXIT_PROBLEMS if failed else EXIT_OK


def _samples(args: argparse.Namespace) -> list[tuple[RecordKind, Path]]:
    given: list[tuple[RecordKind, Path | None]] = [
        ("lead", args.leads_sample),
        ("event", args.events_sample),
    ]
    return [(kind, path) for kind, path in given if path is not None]


def _format(name: str | None, output: Path | None) -> str:
    if name is not None:
        return name
    if output is not None:
        return _SUFFIX_FORMATS.get(output.suffix.lower(), "text")
    return "text"


def _write(text: str, output: Path | None, stream: TextIO) -> int:
    from leadcontract.cli._files import write_atomically  # noqa: PLC0415 (lazy)

    if output is None:
        stream.write(text)
        return EXIT_OK
    try:
        write_atomically(output, text)
    except OSError as error:
        print(f"leadcontract: cannot write {output}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
