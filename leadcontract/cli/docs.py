"""The ``docs`` command: build (or serve) the agreement's website.

leadcontract docs CONTRACT --site-dir DIR [--leads F --events F --as-of T] [--previous P]
leadcontract docs CONTRACT --serve [--address 127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from leadcontract.cli._authoring import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, fail

__all__ = ["register", "run_docs"]


def register(commands: Any) -> None:
    """Add ``docs`` to the command line."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "docs",
        help="build the agreement as a website (mkdocs-material), with compliance dashboards",
        description="Render the contract as a static site in words both sides can sign; given "
        "lead records and events, add dashboards of how well the agreement is kept. Needs the "
        "`site` extra (pip install 'leadcontract[site]') and Graphviz's `dot`.",
    )
    parser.set_defaults(handler=run_docs)
    parser.add_argument("contract", metavar="CONTRACT", help="contract file or folder")
    parser.add_argument("--site-dir", type=Path, default=Path("site"), help="where to write it")
    parser.add_argument(
        "--leads", type=Path, help="lead records: .csv, .jsonl, .json, .parquet or .arrow"
    )
    parser.add_argument(
        "--events",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="activity events, one file or several (a Task and a LeadHistory export...): "
        ".csv, .jsonl or .json",
    )
    parser.add_argument(
        "--as-of",
        metavar="TIME",
        help="evaluate the records as of this instant, ISO 8601 (e.g. 2026-11-16T17:00:00Z)",
    )
    parser.add_argument(
        "--audit",
        type=Path,
        metavar="DB",
        help="instead of records: show the latest evaluation run recorded in this audit store",
    )
    parser.add_argument(
        "--previous", type=Path, metavar="PATH", help="the previous version, to list changes"
    )
    parser.add_argument(
        "--serve", action="store_true", help="serve with live reload instead of building"
    )
    parser.add_argument(
        "--address", default="127.0.0.1:8000", help="host:port for --serve (default: %(default)s)"
    )


def _usage_problem(args: argparse.Namespace) -> str | None:
    from leadcontract.inputs import COLUMNAR_SUFFIXES, FILE_SUFFIXES  # noqa: PLC0415 - lazy
    from leadcontract.inputs._columnar import _pyarrow  # noqa: PLC0415

    if args.audit is not None and args.leads is not None:
        return "give either records (--leads, --events, --as-of) or --audit, not both"
    if args.audit is not None and not args.audit.is_file():
        return f"cannot read {args.audit}: no such file"
    if (args.events is not None or args.as_of is not None) and args.leads is None:
        return "--events and --as-of need --leads"
    if args.leads is not None and args.as_of is None:
        return "--leads needs --as-of (the instant to evaluate at; the site never guesses it)"
    for path in (args.leads, *(args.events or ())):
        if path is None:
            continue
        if not path.is_file():
            return f"cannot read {path}: {'it is a folder' if path.is_dir() else 'no such file'}"
        if path.suffix.lower() not in FILE_SUFFIXES:
            return f"{path}: expected a {', '.join(FILE_SUFFIXES[:-1])} or {FILE_SUFFIXES[-1]} file"
    if any(p.suffix.lower() in COLUMNAR_SUFFIXES for p in (args.leads, *(args.events or ())) if p):
        try:
            _pyarrow()
        except ImportError as error:
            return str(error)
    if args.previous is not None and not args.previous.exists():
        return f"cannot read {args.previous}: no such file or folder"
    return None


def run_docs(args: argparse.Namespace) -> int:
    """``leadcontract docs``: exit 0 built, 1 the contract has errors, 2 usage or input."""
    from leadcontract.checks import lint  # noqa: PLC0415 (lazy)
    from leadcontract.reporters import render_text  # noqa: PLC0415

    problem = _usage_problem(args)
    if problem is not None:
        return fail(problem)
    checked = lint(args.contract)
    if checked.errors or checked.contract is None:
        sys.stderr.write(render_text(checked.diagnostics))
        unreadable = any(d.code in ("LC001", "LC010") for d in checked.diagnostics)
        return fail(
            "the contract has errors; fix them first", EXIT_USAGE if unreadable else EXIT_PROBLEMS
        )
    try:
        from mkdocs.exceptions import MkDocsException  # noqa: PLC0415 - the site extra

        from leadcontract.site import SiteOptions, build_site, serve_site  # noqa: PLC0415
        from leadcontract.site.plugin import parse_as_of  # noqa: PLC0415
    except ImportError as error:
        return fail(f"`docs` needs the site extra: pip install 'leadcontract[site]' ({error})")
    as_of = None
    if args.as_of is not None:
        try:
            as_of = parse_as_of(args.as_of, checked.contract.metadata.timezone)
        except ValueError:
            return fail(
                f"--as-of {args.as_of!r} is not an ISO 8601 time such as 2026-11-16T17:00:00Z"
            )
    options = SiteOptions(
        contract=Path(args.contract),
        leads=args.leads,
        events=args.events,
        as_of=as_of,
        audit=args.audit,
        previous=args.previous,
        title=checked.contract.metadata.title,
    )
    started = time.perf_counter()
    try:
        if args.serve:
            sys.stderr.write(f"serving the agreement on http://{args.address}/ (Ctrl+C stops)\n")
            serve_site(options, address=args.address)
            return EXIT_OK
        index = build_site(options, args.site_dir)
    except MkDocsException as error:
        return fail(f"the site could not be built: {error}", EXIT_PROBLEMS)
    except OSError as error:
        return fail(f"cannot read or write {error.filename}: {error.strerror}")
    seconds = time.perf_counter() - started
    sys.stdout.write(f"built the site in {seconds:.1f} s; open {index.resolve().as_uri()}\n")
    return EXIT_OK
