"""JSON Lines read in blocks (one orjson call for many lines) give what the strict parser gives.

``read_jsonl`` joins a block of lines into one JSON array and takes the result only when each
element is provably its own line's plain record (``_json._plain_block``); else the block is
halved, down to reading line by line. Lines built to fool the joining (an object split over
two lines, two objects on one line, arrays spanning lines) must come out as they would one
line at a time, and the strict reading (the fast paths switched off) is the reference.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_jsonl_fast_path import _typed

from leadcontract.inputs import RawRecord, RecordError, _json

Rows = list[RawRecord | RecordError]


def _read(path: Path) -> Rows:
    return list(_json.read_jsonl(path, "events.jsonl", "event"))


def _strict(path: Path, monkeypatch: pytest.MonkeyPatch) -> Rows:
    with monkeypatch.context() as patched:
        patched.setattr(_json, "_plain_object", lambda raw: None)  # switches blocks off too
        patched.setattr(_json, "_plain_block", lambda lines: None)
        return _read(path)


PLAIN = b'{"lead_id": "L1", "type": "touch", "at": "2026-10-01T17:12:44Z", "n": 3, "b": true}'

TRICKS = [
    b'{"lead_id": "L2"},{"lead_id": "L3"}',  # two objects on one line
    b'{"lead_id": "L4"',  # an object split over two lines...
    b'"type": "touch"}',  # ...which a joining comma would glue together
    b'[{"lead_id": "L5"}',  # an array over two lines
    b'{"lead_id": "L6"}]',
    b'{"lead_id": "L7", "lead_id": "L8"}',  # a duplicate key
    b'{"a": [1, 2]}',  # nested values
    b'{"a": {}}',
    b'{"a": 1.5}',  # a float
    b'  {"lead_id": "L9"}',  # leading white space
    b'{"lead_id": "L10"}\r',  # CRLF
    b"",  # a blank line
    b"   ",
    b'{"a": "\\u004c"}',  # an escape
    b'{"a": "\xff"}',  # not UTF-8
    b"[1, 2]",
    b'"text"',
    b"{",
    b"}",
    b",",
]


def test_a_long_plain_file_reads_in_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join([PLAIN] * 5000))  # a BOM, no final newline
    calls: list[bytes] = []
    original = _json._plain_object

    def counted(raw: bytes) -> dict[str, object] | None:
        calls.append(raw)
        return original(raw)

    monkeypatch.setattr(_json, "_plain_object", counted)
    rows = _read(path)
    monkeypatch.undo()
    assert _typed(rows) == _typed(_strict(path, monkeypatch))
    assert [row.line for row in rows] == list(range(1, 5001))
    assert len(calls) < 100  # one check per block, not per line: the blocks were taken


@pytest.mark.parametrize("trick", TRICKS)
def test_a_trick_amid_plain_lines_reads_as_the_strict_parser_reads_it(
    trick: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join([PLAIN] * 40 + [trick] + [PLAIN] * 40) + b"\n")
    assert _typed(_read(path)) == _typed(_strict(path, monkeypatch))


def test_an_object_split_over_two_lines_is_no_block() -> None:
    two_on_one, head, tail = TRICKS[0], TRICKS[1], TRICKS[2]
    lines = [PLAIN + b"\n", two_on_one + b"\n", head + b"\n", tail + b"\n"]
    assert _json._plain_block(lines) is None
    assert _json._plain_block([PLAIN + b"\n", PLAIN]) == [_json._plain_object(PLAIN)] * 2


@settings(
    max_examples=300, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(st.sampled_from([PLAIN] * 6 + TRICKS), min_size=1, max_size=60))
def test_random_mixtures_read_as_the_strict_parser_reads_them(
    lines: list[bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert _typed(_read(path)) == _typed(_strict(path, monkeypatch))
