"""Fuzzing the input side (issue 8): random and mutated records and events, as CSV, JSON Lines
and JSON bytes and as Python objects, through the readers and the engine on the example
contract.

The properties, for every case:

* no exception escapes, other than :class:`InputFileError` for a file refused as a whole;
* the readers number records 1, 2, 3... with lines that never go back, and a CSV file without
  quotes gives exactly one record or error row per non-blank line after the header;
* the engine's counts reconcile (records in = verdicts + error rows, and so for events), and
  the verdicts are the records read;
* evaluating the same bytes twice gives the same output bytes.

Bounded by size (a few records per case), not by timeouts; ``derandomize`` keeps CI stable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadcontract
from leadcontract.engine import CompiledContract, compile_contract
from leadcontract.inputs import InputFileError, RawRecord, RecordError, read_rows
from leadcontract.store import SqliteAuditStore, record_evaluation
from leadcontract.verdict import Verdict
from leadcontract.writers import csv_row, error_json, verdict_json

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "contracts" / "example"
AS_OF = datetime(2026, 11, 16, 17, tzinfo=UTC)


def _head(path: Path, lines: int) -> bytes:
    with path.open("rb") as handle:
        return b"".join(handle.readline() for _ in range(lines))


SEED_LEADS = _head(EXAMPLE / "data" / "leads.csv", 7)
SEED_EVENTS = _head(EXAMPLE / "data" / "events.jsonl", 12)
_HEADER, *_ROWS = SEED_LEADS.decode().splitlines()
SEED_LEADS_JSON = json.dumps(
    [dict(zip(_HEADER.split(","), row.split(","), strict=False)) for row in _ROWS]
).encode()

TOKENS = [
    b'"', b",", b"\n", b"\r\n", b"\r", b"\x00", b"\xff", b"\xc3", b"\xef\xbb\xbf", b"{", b"}",
    b"[", b"]", b":", b'\\ud800', b'\\u0000', b"=cmd|' /C calc'!A0", b"\x1b[2J", b"\t",
    b"9999-12-31T23:59:59Z", b"0001-01-01T00:00:00Z", b"1E+30", b"-", b"null", b"true",
    b"L000001", b"Id", b"lead_id", b"\xe2\x80\xae", b'"records":', b" ", b"",
]  # fmt: skip

FUZZ_EXAMPLES = int(os.environ.get("LEADCONTRACT_FUZZ_EXAMPLES", "0"))
"""Set to run a long, random campaign (e.g. 5000) instead of the fixed 120 cases of CI."""

SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES or 120,
    deadline=None,
    derandomize=not FUZZ_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed with a few insertions, deletions, duplications and line swaps."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["insert", "delete", "duplicate", "byte"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 200))]
        else:
            data[at:at] = bytes([draw(st.integers(0, 255))])
    return bytes(data)


@pytest.fixture(scope="module")
def compiled() -> CompiledContract:
    result = leadcontract.load(str(EXAMPLE))
    assert result.contract is not None
    return compile_contract(result.contract)


def _read(path: Path, kind: str) -> list[RawRecord | RecordError] | None:
    try:
        return list(read_rows(path, kind=kind))  # type: ignore[arg-type]
    except InputFileError:
        return None


def _check_numbering(items: Iterable[RawRecord | RecordError]) -> None:
    last_line = 0
    for number, item in enumerate(items, start=1):
        assert item.record == number
        assert item.line is not None
        assert item.line >= last_line
        last_line = item.line
        if isinstance(item, RecordError):
            item.message.encode("utf-8")  # every message can be written


@SETTINGS
@given(data=mutated(SEED_LEADS))
def test_csv_reader_accounts_for_every_line(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    items = _read(path, "lead")
    if items is None:
        return
    _check_numbering(items)
    if b'"' not in data and b"\r" not in data:
        lines = [line for line in data.split(b"\n") if line.strip(b" \t\x0c\x0b")]
        # Header first: blank lines before it are skipped, every later line is one item.
        assert len(items) == max(len(lines) - 1, 0)


@SETTINGS
@given(data=mutated(SEED_EVENTS))
def test_jsonl_reader_gives_one_item_per_non_blank_line(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(data)
    items = _read(path, "event")
    if items is None:
        return
    _check_numbering(items)
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    assert len(items) == len([line for line in body.split(b"\n") if line.strip()])


@SETTINGS
@given(data=mutated(SEED_LEADS_JSON))
def test_json_reader_never_raises(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "leads.json"
    path.write_bytes(data)
    items = _read(path, "lead")
    if items is not None:
        _check_numbering(items)


def _run(compiled: CompiledContract, leads: Any, events: Any) -> tuple[list[str], Any]:
    evaluation = compiled.evaluate(leads, events, as_of=AS_OF)
    lines = []
    for item in evaluation:
        if isinstance(item, Verdict):
            lines.append(verdict_json(item))
            csv_row(item)
        else:
            lines.append(error_json(item))
    return lines, evaluation.counts


@SETTINGS
@given(leads=mutated(SEED_LEADS), events=mutated(SEED_EVENTS))
def test_engine_on_mutated_files(
    tmp_path: Path, compiled: CompiledContract, leads: bytes, events: bytes
) -> None:
    leads_path, events_path = tmp_path / "leads.csv", tmp_path / "events.jsonl"
    leads_path.write_bytes(leads)
    events_path.write_bytes(events)
    try:
        first, counts = _run(compiled, leads_path, events_path)
    except InputFileError:
        return
    assert counts.reconciles, counts
    assert len(first) == counts.leads_read + counts.event_errors - counts.skipped
    second, _ = _run(compiled, leads_path, events_path)
    assert first == second
    for line in first:
        line.encode("utf-8")
        json.loads(line)


_COLUMNS = _HEADER.split(",")
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["L1", "L2", "2026-10-01T07:00:00Z", "0001-01-01T01:00:00Z", "webinar-q4",
                     "Europe/Berlin", "Mars/Olympus", "1E+30", "\ud800", "=1+1"]),
    st.lists(st.integers(), max_size=2),
)  # fmt: skip
_RECORDS = st.lists(
    st.dictionaries(st.sampled_from(_COLUMNS), _VALUES, max_size=len(_COLUMNS)), max_size=4
)
_EVENTS = st.lists(
    st.dictionaries(
        st.sampled_from(["lead_id", "type", "at", "actor", "channel", "amount", "seats", "x"]),
        st.one_of(_VALUES, st.sampled_from(["touch", "handoff", "won", "accepted", "phone"])),
    ),
    max_size=6,
)


@SETTINGS
@given(leads=_RECORDS, events=_EVENTS)
def test_engine_on_random_python_records(
    tmp_path: Path, compiled: CompiledContract, leads: list[Any], events: list[Any]
) -> None:
    first, counts = _run(compiled, leads, events)
    assert counts.reconciles, counts
    assert counts.leads_read == len(leads)
    assert counts.events_read == len(events)
    second, _ = _run(compiled, leads, events)
    assert first == second
    items = list(compiled.evaluate(leads, events, as_of=AS_OF))
    with SqliteAuditStore(tmp_path / "audit.db") as store:
        record_evaluation(store, compiled, items, as_of=AS_OF, inputs_digest="sha256:x")
        assert store.verify().ok
    (tmp_path / "audit.db").unlink()
