"""Fuzzing: mutated versions of the example contract through lint, compile and evaluate.

Each case takes contracts/example, applies one to three mutations (a value replaced by one of
the same kind, most often: another number, another name used in the contract, a list with items
dropped, repeated or reordered; or by a value of any kind; a key or item deleted or duplicated;
a value wrapped in a list or a mapping), writes it back as a contract folder and
then checks the promises the library makes about any input:

* ``lint`` never raises; it only reports.
* A contract that lints clean compiles (``ContractError`` is for contracts lint rejects).
* Evaluating a slice of the example data never raises; every lead and event is accounted for
  (the counts reconcile and match what came out); the output is deterministic (a second
  compile and evaluation give the same bytes, and streaming the inputs by lead id with
  ``grouped=True`` gives the same verdicts and error rows).

Work per case is bounded by construction (a small contract, 17 leads and their events); a case
that runs away is stopped by an alarm (see :func:`_guard`) and reported with its input, which
is how a hang shows up here: as a failure, not a stuck test run. There are no timed
assertions. ``FUZZ_EXAMPLES`` sets the number of cases (CI: the default, 40); the findings of
longer runs are kept as fixtures in tests/fixtures/hostile/ with a test each
(test_hostile_contracts.py).
"""

from __future__ import annotations

import copy
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from leadcontract import lint
from leadcontract._yaml import read_yaml
from leadcontract.engine import CompiledContract, Evaluation, compile_contract
from leadcontract.inputs import RecordError, read_rows
from leadcontract.model import Contract
from leadcontract.verdict import Verdict
from leadcontract.writers import error_json, verdict_json

EXAMPLE = Path(__file__).parent.parent / "contracts" / "example"
SLICE = frozenset(
    # One lead of each kind of outcome in the example: every stage, disqualified and
    # recycled, spiffs earned and clawed back, SLAs met, breached, pending, cancelled.
    f"L{n:06d}"
    for n in (1, 2, 3, 5, 6, 8, 10, 18, 27, 51, 52, 70, 91, 142, 165, 170, 240)
)
AS_OF = (
    datetime(2026, 10, 15, tzinfo=UTC),  # some leads not yet created
    datetime(2026, 11, 16, 17, tzinfo=UTC),  # the example's as-of
    datetime(2027, 6, 1, tzinfo=UTC),  # long after: every clock has run out
)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
CASE_LIMIT_SECONDS = 120
"""Far beyond any real case (well under a second): only a runaway case reaches it."""

Node = tuple[Any, ...]
"""A path into the contract: a file name, then keys and list indexes."""


def _example_files() -> dict[str, Any]:
    files: dict[str, Any] = {}
    for path in sorted(EXAMPLE.glob("*.yaml")):
        document, diagnostics = read_yaml(path)
        assert document is not None, diagnostics
        files[path.name] = document.data
    return files


def _rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for row in read_rows(path, kind="lead" if path.suffix == ".csv" else "event"):
        assert not isinstance(row, RecordError), row
        rows.append(dict(row.data))
    return rows


FILES = _example_files()
LEADS = [row for row in _rows(EXAMPLE / "data" / "leads.csv") if row["Id"] in SLICE]
EVENTS = [row for row in _rows(EXAMPLE / "data" / "events.jsonl") if row["lead_id"] in SLICE]


# --- mutations --------------------------------------------------------------------------------


def _paths(value: Any, path: Node) -> Iterator[Node]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*path, i))


def _names(value: Any) -> set[str]:
    """Every key and string in the contract: the names a mutation can refer to instead."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(str(key))
            found |= _names(item)
    elif isinstance(value, list):
        for item in value:
            found |= _names(item)
    elif isinstance(value, str) and len(value) <= 40:
        found.add(value)
    return found


NAMES = sorted(_names(FILES))
NUMBERS = st.sampled_from(
    [0, -1, 1, 2, 7, 59, 60, 101, 1000, 10**6, 10**30, -(10**9), 0.5, 1e308, -0.0]
)
STRINGS = st.sampled_from(
    [
        "",
        "x",
        " ",
        "1E+26",
        "1E+30",
        "NaN",
        "-1",
        "(a+)+$",
        "(a)\\1",
        "^(?!x)",
        "[",
        "true",
        "no",
        "00:00-24:00",
        "09:00-12:00",
        "23:59-24:00",
        "0h",
        "0d",
        "1m",
        "100000w",
        "0001-01-01",
        "9999-12-31",
        "UTC",
        "Mars/Olympus",
        "score >= 60",
        "not true",
        "events.touch >= 1",
        "x" * 70,
        "\u00e9\u00e8",
        "line\nbreak",
    ]
)
SCALARS = st.one_of(NUMBERS, STRINGS, st.sampled_from(NAMES), st.sampled_from([True, False, None]))


def _same_kind(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int | float):
        return NUMBERS
    if isinstance(value, str):
        return st.one_of(st.sampled_from(NAMES), STRINGS)
    if isinstance(value, list) and value:
        return st.lists(st.sampled_from(value), max_size=len(value) + 1)  # drop, repeat, reorder
    return SCALARS


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """The example contract with one to three mutations."""
    files: dict[str, Any] = copy.deepcopy(FILES)
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        paths = [p for name, doc in files.items() for p in _paths(doc, (name,)) if len(p) > 1]
        path = paths[draw(st.integers(0, len(paths) - 1))]
        parent = files
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        value = parent[last]
        kind = draw(st.sampled_from(["tweak", "tweak", "replace", "delete", "duplicate", "wrap"]))
        if kind == "tweak":  # a value of the same kind: most such contracts still lint clean
            parent[last] = draw(_same_kind(value))
        elif kind == "replace":
            parent[last] = draw(SCALARS)
        elif kind == "delete":
            del parent[last]
        elif kind == "duplicate":
            if isinstance(parent, list):
                parent.insert(last, copy.deepcopy(value))
            else:
                parent[draw(st.sampled_from(NAMES))] = copy.deepcopy(value)
        else:
            parent[last] = draw(st.sampled_from([[value], {draw(st.sampled_from(NAMES)): value}]))
    return files


def _write(files: dict[str, Any], folder: Path) -> Path:
    for name, data in files.items():
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# --- the properties ---------------------------------------------------------------------------


class RunawayCaseError(Exception):
    """A case ran for CASE_LIMIT_SECONDS: a hang or a cost that grows without bound."""


@contextmanager
def _guard() -> Iterator[None]:
    """Turn a runaway case into a failure that shows its input, instead of a stuck run."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise RunawayCaseError(f"the case ran for over {CASE_LIMIT_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(CASE_LIMIT_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _run(compiled: CompiledContract, as_of: datetime) -> tuple[Evaluation, list[str]]:
    evaluation = compiled.evaluate(LEADS, EVENTS, as_of=as_of)
    out = [
        verdict_json(item) if isinstance(item, Verdict) else error_json(item) for item in evaluation
    ]
    return evaluation, out


def check_evaluation(contract: Contract, as_of: datetime) -> None:
    """Evaluate the slice twice from two compilations: accounted for, and the same bytes."""
    evaluation, out = _run(compile_contract(contract), as_of)
    counts = evaluation.counts
    assert counts.reconciles, counts
    assert counts.leads_read == len(LEADS)
    assert counts.events_read == len(EVENTS)
    verdicts = [line for line in out if '"trace"' in line]
    assert counts.verdicts == len(verdicts)
    assert counts.lead_errors + counts.event_errors == len(out) - len(verdicts)
    again, out_again = _run(compile_contract(contract), as_of)
    assert out_again == out
    assert again.counts == counts
    # Streamed by lead id (grouped), the same verdicts and error rows come out.
    by_lead = sorted(EVENTS, key=lambda event: str(event["lead_id"]))
    grouped = compile_contract(contract).evaluate(LEADS, by_lead, as_of=as_of, grouped=True)
    out_grouped = [
        verdict_json(item) if isinstance(item, Verdict) else error_json(item) for item in grouped
    ]
    assert sorted(out_grouped) == sorted(out)
    assert grouped.counts == counts


@settings(
    max_examples=EXAMPLES,
    deadline=None,  # no timed assertions: a runaway case is caught by _guard
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(files=mutated(), as_of=st.sampled_from(AS_OF))
def test_a_mutated_contract_is_linted_and_if_clean_evaluated(
    files: dict[str, Any], as_of: datetime
) -> None:
    with tempfile.TemporaryDirectory() as folder, _guard():
        result = lint(_write(files, Path(folder)))
        if not result.passed():
            assert result.errors  # a contract that fails says why
            event("lint: rejected")  # shown with --hypothesis-show-statistics
            return
        event("lint: clean, evaluated")
        assert result.contract is not None
        check_evaluation(result.contract, as_of)


def test_the_unmutated_example_passes_the_same_checks() -> None:
    """The baseline: the properties hold for the example itself, so a failure above is due
    to its mutation."""
    with tempfile.TemporaryDirectory() as folder:
        result = lint(_write(FILES, Path(folder)))
    assert result.passed(), result.diagnostics
    assert result.contract is not None
    for as_of in AS_OF:
        check_evaluation(result.contract, as_of)
    assert len(LEADS) == len(SLICE)
    assert EVENTS
