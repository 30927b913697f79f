"""The ``diff`` command: what changed between two contract versions, and what it would do."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadcontract.cli._authoring import EXIT_OK, EXIT_PROBLEMS, fail, instant
from leadcontract.cli._files import ClobberError, refuse_clobbering, write_atomically

if TYPE_CHECKING:
    from leadcontract.authoring.replay import ReplayResult
    from leadcontract.engine import CompiledContract

__all__ = ["register", "run_diff"]


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "diff",
        help="what changed between two contract versions, whom it binds, and its impact",
        description="Compare two versions of a contract (paths, or git revisions such as "
        "main:contracts/x): each change in words, classified as breaking for sales, "
        "breaking for marketing or neutral, and the version bump it implies. With --replay, "
        "evaluate the same history under both and show the leads and money that move.",
    )
    parser.set_defaults(handler=run_diff)
    parser.add_argument("old", metavar="OLD", help="the old version: a path or REV:path")
    parser.add_argument("new", metavar="NEW", help="the new version: a path or REV:path")
    parser.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    parser.add_argument(
        "--out", "--output", "-o", dest="output", type=Path, help="write the report to this file"
    )
    parser.add_argument(
        "--replay", action="store_true", help="evaluate --leads/--events under both versions"
    )
    parser.add_argument("--leads", type=Path, help="lead records (.csv, .jsonl, .json)")
    parser.add_argument("--events", type=Path, help="activity events")
    parser.add_argument("--as-of", metavar="TIME", help="evaluate as of this instant (ISO 8601)")
    parser.add_argument(
        "--check-version",
        action="store_true",
        help="exit 1 when NEW's metadata.version is below the bump its changes imply (for CI)",
    )


def run_diff(args: argparse.Namespace) -> int:
    """``leadcontract diff``."""
    from leadcontract.authoring._contract import ContractProblemError, compiled_contract  # noqa: PLC0415 (lazy)
    from leadcontract.authoring.diff import diff_contracts  # noqa: PLC0415 (lazy)
    from leadcontract.authoring.diff_report import render_diff  # noqa: PLC0415 (lazy)
    from leadcontract.authoring.revisions import RevisionError, materialized  # noqa: PLC0415 (lazy)

    if args.replay and (args.leads is None or args.as_of is None):
        return fail("--replay needs --leads and --as-of (and usually --events)")
    versions = [Path(spec) for spec in (args.old, args.new) if Path(spec).exists()]
    try:  # the report must not overwrite a file of either contract (it did) or the history
        refuse_clobbering({"--out": args.output}, [*versions, args.leads, args.events])
    except ClobberError as error:
        return fail(str(error))
    for path in (args.leads, args.events):
        if args.replay and path is not None and not path.is_file():
            return fail(f"cannot read {path}: no such file")
    try:
        with ExitStack() as stack:
            old_path = stack.enter_context(materialized(args.old))
            new_path = stack.enter_context(materialized(args.new))
            old = compiled_contract(old_path, shown_as=_shown(args.old, old_path))
            new = compiled_contract(new_path, shown_as=_shown(args.new, new_path))
            diff = diff_contracts(old.contract, new.contract)
            replayed = _replay(args, old, new) if args.replay else None
    except (RevisionError, ContractProblemError, ValueError) as error:
        return fail(str(error))
    except OSError as error:
        return fail(f"cannot read {error.filename}: {error.strerror}")
    text = render_diff(diff, replayed, args.format)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            write_atomically(args.output, text)
        except OSError as error:
            return fail(f"cannot write {args.output}: {error.strerror}")
    if args.check_version and not diff.version_ok:
        sys.stderr.write(
            f"leadcontract: the changes need version {diff.suggested_version} or later; "
            f"NEW says {diff.new_version}\n"
        )
        return EXIT_PROBLEMS
    return EXIT_OK


def _shown(spec: str, path: Path) -> str | None:
    """``spec`` when it was read from git into a temporary folder (messages then name the
    revision, not the folder); None for a path used as it is."""
    return None if path == Path(spec) else spec


def _replay(args: argparse.Namespace, old: CompiledContract, new: CompiledContract) -> ReplayResult:
    from leadcontract.authoring.replay import replay  # noqa: PLC0415 (lazy)

    as_of = instant(args.as_of, option="--as-of", zone=new.contract.metadata.timezone)
    events = args.events if args.events is not None else ()
    return replay(old, new, args.leads, events, as_of=as_of)
