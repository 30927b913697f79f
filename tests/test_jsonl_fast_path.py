"""The JSON Lines reader's orjson fast path gives exactly what the strict parser gives.

``read_jsonl`` takes orjson's reading of a line only when it cannot differ from the standard
parser's (flat objects of text, integers, booleans and nulls, no backslash, no duplicate key).
Here every line is read both ways, the fast path switched off for the second, and the records
and error rows must be equal: same values, same types, same numbering, same messages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcontract.inputs import RawRecord, RecordError, _json

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "contracts" / "example" / "data" / "events.jsonl"

Rows = list[RawRecord | RecordError]


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Rows, Rows]:
    fast = list(_json.read_jsonl(path, "events.jsonl", "event"))
    with monkeypatch.context() as patched:
        patched.setattr(_json, "_plain_object", lambda raw: None)
        strict = list(_json.read_jsonl(path, "events.jsonl", "event"))
    return fast, strict


def _typed(rows: Rows) -> list[object]:
    """Rows with every value's type beside it (``1 == True == 1.0`` must not hide a change)."""
    return [
        (row, [(key, type(value)) for key, value in row.data.items()])
        if isinstance(row, RawRecord)
        else row
        for row in rows
    ]


def test_the_example_events_read_the_same_and_mostly_fast(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast, strict = _both(EVENTS, monkeypatch)
    assert _typed(fast) == _typed(strict)
    assert len(fast) == 1858
    plain = sum(_json._plain_object(line) is not None for line in EVENTS.read_bytes().splitlines())
    assert plain > 1800  # the fast path is taken, not only correct


@pytest.mark.parametrize(
    "line",
    [
        b'{"a": "x", "a": "y"}',  # duplicate key: an error row, not the last value
        b'{"a": 1, "b": "x", "a": 2}',
        b'{"a": "\\ud800"}',  # lone surrogate
        b'{"a": "\\"quoted\\""}',
        b'{"a": 1.0, "b": 10}',  # floats go the strict way
        b'{"a": 1e400}',
        b'{"a": NaN}',  # the standard parser reads it; orjson refuses
        b'{"a": 123456789012345678901234567890}',  # beyond 64 bits
        b'{"a": {"b": 1, "b": 2}}',  # nested duplicate
        b'{"a": [1, "x"]}',
        b'["not", "an", "object"]',
        b'"text"',
        b'{"a": "caf\xc3\xa9"}',
        b'{"a": "\xff"}',  # not UTF-8
        b'{"a": "x"',  # cut off
        b'{"a": "tab\there"}',  # a control character in a string
        b"{}",
        b'{"a": true, "b": false, "c": null, "d": -0, "e": ""}',
    ],
)
def test_a_line_reads_as_the_strict_parser_reads_it(
    line: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"lead_id": "L1"}\n' + line + b"\n\n" + line + b"\n")
    fast, strict = _both(path, monkeypatch)
    assert _typed(fast) == _typed(strict)
    assert [row.line for row in fast] == [1, 2, 4]


_KEYS = st.sampled_from(["a", "b", "lead_id", "at", "é", 'q"', "x\\y"])
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.lists(st.integers(), max_size=2),
)


@st.composite
def _lines(draw: st.DrawFn) -> bytes:
    """An object with possibly repeated keys, written by hand so duplicates survive."""
    pairs = draw(st.lists(st.tuples(_KEYS, _VALUES), max_size=5))
    body = ", ".join(
        f"{json.dumps(key, ensure_ascii=draw(st.booleans()))}: "
        f"{json.dumps(value, ensure_ascii=draw(st.booleans()))}"
        for key, value in pairs
    )
    return ("{" + body + "}").encode("utf-8", "surrogatepass")


@settings(
    max_examples=300, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(_lines(), min_size=1, max_size=6))
def test_random_lines_read_as_the_strict_parser_reads_them(
    lines: list[bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    fast, strict = _both(path, monkeypatch)
    assert _typed(fast) == _typed(strict)
