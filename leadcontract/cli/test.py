"""The ``test`` command: run a contract's test cases, report failures and coverage."""

from __future__ import annotations

import argparse
import math
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadcontract.cli._authoring import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, fail
from leadcontract.cli._files import ClobberError, refuse_clobbering, write_atomically

if TYPE_CHECKING:
    from leadcontract.authoring.cases import LoadedCase

__all__ = ["register", "run_test"]


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "test",
        help="run a contract's test cases (expected stages, scores, SLAs, spiffs)",
        description="Evaluate each case's lead with the contract and compare the verdict "
        "with what the case expects. Cases are YAML files in the contract folder's tests/ "
        "(or --cases).",
    )
    parser.set_defaults(handler=run_test)
    parser.add_argument("contract", metavar="CONTRACT", help="contract file or folder")
    parser.add_argument(
        "--cases", type=Path, help="a case file or folder (default: CONTRACT/tests)"
    )
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="report the scoring rules, stages, handoffs, SLA triggers and spiffs no case "
        "exercised",
    )
    parser.add_argument(
        "--fail-under",
        type=_percent,
        metavar="PERCENT",
        help="fail when coverage is below this (implies --coverage)",
    )
    parser.add_argument("--format", choices=["text", "json", "junit"], default="text")
    parser.add_argument(
        "--out", "--output", "-o", dest="output", type=Path, help="write the report to this file"
    )


def _percent(text: str) -> float:
    """``--fail-under``: a share from 0 to 100. ``nan`` compared false with every coverage and
    so turned the CI gate off without a word; ``-1`` passed and ``150`` failed every run."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 100:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, got {text!r}")
    return value


def run_test(args: argparse.Namespace) -> int:
    """``leadcontract test``."""
    from leadcontract.authoring._contract import ContractProblemError, compiled_contract  # noqa: PLC0415 (lazy)
    from leadcontract.authoring.case_report import render_json, render_junit, render_text  # noqa: PLC0415 (lazy)
    from leadcontract.authoring.cases import CaseFileError, case_files, load_cases  # noqa: PLC0415 (lazy)
    from leadcontract.authoring.testing import SuiteResult, coverage, run_cases  # noqa: PLC0415 (lazy)

    try:  # the report must not overwrite a case file or a file of the contract (it did)
        refuse_clobbering({"--out": args.output}, [Path(args.contract), args.cases])
    except ClobberError as error:
        return fail(str(error))
    try:
        compiled = compiled_contract(args.contract)
    except ContractProblemError as error:
        return fail(str(error))
    if args.cases is not None and not args.cases.exists():
        return fail(f"cannot read {args.cases}: no such file or folder")
    files = case_files(Path(args.contract), args.cases)
    if not files:
        where = args.cases or Path(args.contract) / "tests"
        return fail(f"no case files (.yaml) in {where}")
    cases: list[LoadedCase] = []
    file_errors: list[str] = []
    for file in files:
        try:
            cases += load_cases(file)
        except CaseFileError as error:
            file_errors.append(str(error))
    results = run_cases(compiled, cases)
    wants_coverage = args.coverage or args.fail_under is not None
    run = SuiteResult(
        tuple(results),
        coverage(compiled, results) if wants_coverage else None,
        tuple(file_errors),
    )
    if args.format == "json":
        text = render_json(run)
    elif args.format == "junit":
        text = render_junit(run, timestamp=datetime.now(UTC), hostname=socket.gethostname())
    else:
        text = render_text(run)
    if args.output is not None:
        try:
            write_atomically(args.output, text)
        except OSError as error:
            return fail(f"cannot write {args.output}: {error.strerror}")
    else:
        sys.stdout.write(text)
    if file_errors:
        for message in file_errors:
            sys.stderr.write(f"leadcontract: {message}\n")
        return EXIT_USAGE
    below = (
        run.coverage is not None
        and args.fail_under is not None
        and run.coverage.percent < args.fail_under
    )
    if below and run.coverage is not None:
        sys.stderr.write(
            f"leadcontract: coverage {run.coverage.percent:g}% is below "
            f"--fail-under {args.fail_under:g}%\n"
        )
    return EXIT_PROBLEMS if run.failed or below else EXIT_OK
