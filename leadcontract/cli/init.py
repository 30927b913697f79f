"""The ``init`` command: scaffold a new contract folder that lints clean and passes its tests."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from leadcontract.cli._authoring import EXIT_OK, fail

__all__ = ["register", "run_init"]


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "init",
        help="scaffold a new contract folder with sample data and test cases",
        description="Write a small, valid, commented contract (both parties as owners, one "
        "calendar, a lead schema with scoring, the standard lifecycle, one campaign, two "
        "SLAs, one spiff), three sample leads with events, and test cases for them.",
    )
    parser.set_defaults(handler=run_init)
    parser.add_argument("folder", type=Path, metavar="DIR", help="a new or empty folder")
    parser.add_argument(
        "--crm",
        choices=("hubspot", "salesforce"),  # the keys of CRM_PRESETS (tested)
        help="use this CRM's column names as the fields' `source`",
    )
    parser.add_argument(
        "--from-export",
        type=Path,
        metavar="FILE",
        help="propose fields and types from a leads export's columns and first rows (.csv, "
        ".json as a Salesforce query result, .jsonl, .parquet...)",
    )
    parser.add_argument("--title", help="the contract's title")


def run_init(args: argparse.Namespace) -> int:
    """``leadcontract init``."""
    from leadcontract.authoring.init import ScaffoldError, scaffold  # noqa: PLC0415 (lazy)

    if args.from_export is not None and not args.from_export.is_file():
        return fail(f"cannot read {args.from_export}: no such file")
    try:
        written = scaffold(
            args.folder,
            start=args.started.date(),  # the one clock reading, taken by main()
            crm=args.crm,
            export=args.from_export,
            title=args.title,
        )
    except ScaffoldError as error:
        return fail(str(error))
    sys.stdout.write(f"wrote {len(written)} files in {args.folder}:\n")
    sys.stdout.writelines(f"  {path}\n" for path in written)
    sys.stdout.write(
        f"next: leadcontract lint {args.folder} && leadcontract test {args.folder} --coverage\n"
    )
    return EXIT_OK
