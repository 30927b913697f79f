"""Reading JSON Lines and JSON records, refusing what would silently lose or pick data.

What is refused, and why:

* A duplicate key in a record (two ``"Email"``): JSON parsers keep the last one, so an
  attacker's value could win unseen. The record is an error row naming the key.
* A string with an escaped lone surrogate (``"\\ud800"``): it is not text, and cannot be
  written as UTF-8 to any output or to the audit store. The record is an error row naming the
  field (the value is not quoted).
* In a ``.json`` file: a second ``records`` key (or any duplicate key of the wrapper object),
  and anything after the top-level value. Each is an error row where it stands, so nothing
  that was in the file is ignored without a word.

Strings of any length are read: a value is parsed from a buffer that grows until it holds the
whole value; only the end of the file ends it.

Speed: a JSON Lines record is first parsed with orjson, and that result is used only when it
cannot differ from the strict parser's (see :func:`_plain_object`); every other line (escapes,
floats, nested values, anything orjson refuses) goes the strict way, so the records and error
rows are the same either way.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path
from typing import IO, Any, Final

import orjson

from leadcontract.inputs._messages import _describe, _printable, _show
from leadcontract.inputs._text import (
    OTHER_ENCODING,
    SNIFF_BYTES,
    check_encoding,
    has_bad_bytes,
    lone_surrogate_path,
    malformed,
    may_hold_surrogate_escape,
)
from leadcontract.inputs._types import RawRecord, RecordError, RecordKind, new_raw_record

__all__ = ["read_json", "read_jsonl"]

_BOM = codecs.BOM_UTF8
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


class _Objects:
    """An ``object_pairs_hook`` that builds dicts as usual and notes every duplicate key; and
    a ``parse_constant`` hook that notes every ``NaN``, ``Infinity`` and ``-Infinity``.

    Those are not JSON (Python's parser takes them, orjson does not): a NaN was read as a
    float, which the coercers take for "no value" (as pandas' NaN), so an amount of NaN was
    silently dropped. The record is an error row instead.
    """

    def __init__(self) -> None:
        self.duplicates: list[str] = []
        self.constants: list[str] = []

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self.duplicates.append(key)
                seen.add(key)
        return result

    def constant(self, name: str) -> float:
        self.constants.append(name)
        return float(name)

    def decoder(self) -> json.JSONDecoder:
        return json.JSONDecoder(object_pairs_hook=self, parse_constant=self.constant)

    def take(self) -> tuple[list[str], list[str]]:
        """The duplicate keys and the constants noted since the last call."""
        found = self.duplicates, self.constants
        self.duplicates, self.constants = [], []
        return found


def _checked(
    kind: RecordKind,
    source: str,
    number: int,
    line: int,
    *,
    value: Any,
    text: str,
    duplicates: list[str],
    constants: list[str],
) -> RawRecord | RecordError:
    """A decoded record, or the error row for what makes it unusable."""
    if not isinstance(value, dict):
        message = f"expected a JSON object, got {_describe(value)}"
        return malformed(kind, source, number, line, message)
    if constants:
        message = (
            f"{constants[0]} is not a JSON value (JSON has no NaN or infinities; null is no value)"
        )
        return malformed(kind, source, number, line, message)
    if duplicates:
        key = _printable(duplicates[0])
        return malformed(
            kind, source, number, line, f"{key}: duplicate key {_show(key)} in the record: "
            "which value is meant is ambiguous", field=key
        )  # fmt: skip
    if may_hold_surrogate_escape(text):
        found = lone_surrogate_path(value)
        if found is not None:
            key, escape = found
            return malformed(
                kind, source, number, line, f"{key}: the value holds a lone surrogate "
                f"({escape}), which is not text and cannot be written as UTF-8", field=key
            )  # fmt: skip
    return RawRecord(source, number, line, value)


_PLAIN: Final = frozenset({str, int, bool, type(None)})
"""Value types orjson and the standard parser read alike (no floats: one spelling of a number
must never come out as two values)."""


_BACKSLASH: Final = ord("\\")
"""A byte, not ``b"\\\\"``: ``int in bytes`` is one ``memchr``, several times faster."""
_loads: Final = orjson.loads


def _plain_object(raw: bytes) -> dict[str, Any] | None:
    """The record on a JSON Lines line when orjson's reading of it is provably the strict
    parser's: a flat object of text, integers, booleans and nulls, with no backslash in the
    line (so no escapes, no lone surrogates) and no duplicate key. Else ``None``.

    Without backslashes a JSON string holds no quote, so every key and every text value is
    exactly two quotes of the line: a line with more quotes than that had a key orjson
    silently dropped (a duplicate).
    """
    if _BACKSLASH in raw:
        return None
    try:
        value = _loads(raw)
    except orjson.JSONDecodeError:
        return None
    if value.__class__ is not dict:
        return None
    kinds = list(map(type, value.values()))
    if not _PLAIN.issuperset(kinds):
        return None
    return value if raw.count(b'"') == 2 * (len(value) + kinds.count(str)) else None


_BLOCK_BYTES: Final = 1 << 14
"""How much of a JSON Lines file is read (whole lines) and tried as one block."""
_SMALL_BLOCK: Final = 16
"""A block of at most this many lines that is not plain is read line by line."""
_OPEN: Final = ord("{")
_DICTS: Final = frozenset({dict})


def _plain_block(lines: list[bytes]) -> list[dict[str, Any]] | None:
    """The records of consecutive lines read with one orjson call, when each is provably what
    :func:`_plain_object` gives for its line; else ``None`` (read them one by one).

    The lines are joined with commas into one JSON array. Every line but the last ends with
    a newline, which no JSON string may hold, so each joining comma stands outside strings;
    every line starts with ``{`` (the first is checked, the others as ``\n,{``), and a comma
    before ``{`` separates array elements, never object members. With the values flat (no
    nested array), the joining commas are thus separators of the top-level array, and with
    as many elements as lines, element *i* is exactly line *i*. No backslash anywhere and,
    per line, at least two quotes per key and text value read, so the quotes of the whole
    block equal twice the keys and text values read only when no line had a duplicate key.
    """
    if _plain_object(lines[0]) is None:  # the usual early way out, and the switch
        return None
    block = b",".join(lines)
    if _BACKSLASH in block or block[0] != _OPEN or block.count(b"\n,{") != len(lines) - 1:
        return None
    try:
        values = _loads(b"[" + block + b"]")
    except orjson.JSONDecodeError:
        return None
    if len(values) != len(lines) or not _DICTS.issuperset(map(type, values)):
        return None
    kinds = list(map(type, chain.from_iterable(map(dict.values, values))))
    if not _PLAIN.issuperset(kinds):
        return None
    read = sum(map(len, values)) + kinds.count(str)
    return values if block.count(b'"') == 2 * read else None


def read_jsonl(path: Path, source: str, kind: RecordKind) -> Iterator[RawRecord | RecordError]:
    """The records of a JSON Lines file (see :func:`leadcontract.inputs.read_rows`).

    Lines are read in blocks: a block of plain records is parsed at once
    (:func:`_plain_block`); any other block is read line by line, each with orjson when that
    is provably the strict parser's reading (:func:`_plain_object`), else the strict way."""
    read_line = _line_reader(source, kind)
    with path.open("rb") as handle:
        check_encoding(source, handle.read(SNIFF_BYTES))
        handle.seek(0)
        first = handle.readline()
        lines = [first[len(_BOM) :] if first.startswith(_BOM) else first]
        number = 0
        line_number = 0
        while lines:
            parts = [lines]  # a block that fails is halved: one bad line costs a few tries
            while parts:
                part = parts.pop()
                values = _plain_block(part)
                if values is not None:
                    for value in values:
                        number += 1
                        line_number += 1
                        yield new_raw_record(source, number, line_number, value)
                elif len(part) > _SMALL_BLOCK:
                    half = len(part) // 2
                    parts += (part[half:], part[:half])
                else:
                    for raw in part:
                        line_number += 1
                        if not raw or raw.isspace():  # as `not raw.strip()`, without a copy
                            continue
                        number += 1
                        yield read_line(raw, number, line_number)
            lines = handle.readlines(_BLOCK_BYTES)


def _line_reader(
    source: str, kind: RecordKind
) -> Callable[[bytes, int, int], RawRecord | RecordError]:
    """Reads one non-blank line: the record, or the error row that says why it is none."""
    objects = _Objects()
    decode = objects.decoder().decode

    def read_line(raw: bytes, number: int, line_number: int) -> RawRecord | RecordError:
        plain = _plain_object(raw)
        if plain is not None:
            return new_raw_record(source, number, line_number, plain)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = f"byte {exc.object[exc.start]:#04x} at column {exc.start + 1}"
            return malformed(
                kind, source, number, line_number, f"{where} is not valid UTF-8: {OTHER_ENCODING}"
            )
        try:
            value = decode(text)
        except (ValueError, RecursionError) as exc:
            objects.take()
            message = f"not a JSON object: {json_reason(exc)}"
            return malformed(kind, source, number, line_number, message)
        duplicates, constants = objects.take()
        return _checked(
            kind,
            source,
            number,
            line_number,
            value=value,
            text=text,
            duplicates=duplicates,
            constants=constants,
        )

    return read_line


def json_reason(exc: BaseException) -> str:
    """Why a text is not JSON, for a message."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)


class _JsonSyntaxError(Exception):
    """A .json file stops making sense here."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _JsonStream:
    """Just enough of an incremental JSON reader to stream the elements of a top-level array.

    The text is decoded with ``surrogateescape`` so that bad bytes can be blamed on the one
    element that holds them. Elements are parsed with :meth:`json.JSONDecoder.raw_decode` from
    a buffer that is refilled (doubling the read) when an element runs past its end. A syntax
    error is taken for a cut-off element, and the buffer refilled, when it is an unterminated
    string (whatever its length) or lies within :attr:`TAIL` characters of the buffer's end;
    at the end of the file every error is real.
    """

    CHUNK: Final = 1 << 16
    TAIL: Final = 64

    def __init__(self, handle: IO[bytes], objects: _Objects) -> None:
        self._handle = handle
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="surrogateescape")
        self._raw_decode = objects.decoder().raw_decode
        self.objects = objects
        self.buffer = ""
        self.pos = 0
        self._eof = False
        self._line = 1  # line of buffer[self._counted]
        self._counted = 0

    def _fill(self, size: int) -> bool:
        if self._eof:
            return False
        data = self._handle.read(size)
        if data:
            text = self._decoder.decode(data)
        else:
            text = self._decoder.decode(b"", final=True)
            self._eof = True
        if self.pos:
            self._line += self.buffer.count("\n", self._counted, self.pos)
            self.buffer = self.buffer[self.pos :]
            self.pos = 0
            self._counted = 0
        self.buffer += text
        return True

    def line(self, pos: int | None = None) -> int:
        """The line of a position in the buffer (by default the current one)."""
        pos = self.pos if pos is None else pos
        if pos >= self._counted:
            self._line += self.buffer.count("\n", self._counted, pos)
            self._counted = pos
            return self._line
        return self._line - self.buffer.count("\n", pos, self._counted)

    def peek(self) -> str:
        """The next character that is not white space (not consumed); "" at the end."""
        while True:
            self.pos = pos = _JSON_SPACE.match(self.buffer, self.pos).end()  # type: ignore[union-attr]
            if pos < len(self.buffer):
                return self.buffer[pos]
            if not self._fill(self.CHUNK):
                return ""

    def _cut_off(self, exc: json.JSONDecodeError) -> bool:
        if self._eof:
            return False
        return exc.msg.startswith("Unterminated string") or exc.pos + self.TAIL >= len(self.buffer)

    def value(self) -> tuple[Any, str]:
        """The JSON value at the current position and its text; raises _JsonSyntaxError."""
        size = self.CHUNK
        while True:
            try:
                value, end = self._raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                self.objects.take()
                if self._cut_off(exc):
                    self._fill(size)
                    size *= 2
                    continue
                raise _JsonSyntaxError(
                    f"not valid JSON: {exc.msg}", self.line(min(exc.pos, len(self.buffer)))
                ) from None
            except (ValueError, RecursionError) as exc:
                raise _JsonSyntaxError(f"not valid JSON: {json_reason(exc)}", self.line()) from None
            if end >= len(self.buffer) and not self._eof:
                self.objects.take()
                self._fill(size)  # a number may go on in the next chunk
                size *= 2
                continue
            text = self.buffer[self.pos : end]
            self.pos = end
            return value, text

    def key(self, seen: set[str]) -> str:
        """The next key of an object (and its ':'), refusing one already in ``seen``."""
        if self.peek() != '"':
            raise _JsonSyntaxError("not valid JSON: expected a key", self.line())
        line = self.line()
        key, _ = self.value()
        if key in seen:
            raise _JsonSyntaxError(
                f"the top-level object has a second {_show(key)} key: which one is meant is "
                "ambiguous",
                line,
            )
        seen.add(key)
        if self.peek() != ":":
            raise _JsonSyntaxError("not valid JSON: expected ':' after a key", self.line())
        self.pos += 1
        return str(key)

    def skip_value(self) -> None:
        """Skip a value the reader does not use (and any duplicates inside it)."""
        self.peek()
        self.value()
        self.objects.take()


_EXPECTED = 'expected a JSON array of objects or {"records": [...]}'


def read_json(path: Path, source: str, kind: RecordKind) -> Iterator[RawRecord | RecordError]:
    """The records of a ``.json`` file (see :func:`leadcontract.inputs.read_rows`)."""
    with path.open("rb") as handle:
        check_encoding(source, handle.read(SNIFF_BYTES))
        handle.seek(0)
        stream = _JsonStream(handle, _Objects())
        counter = [0]
        try:
            first = stream.peek()
            wrapper: set[str] | None = None
            if first == "{":
                stream.pos += 1
                wrapper = set()
                arrays: list[str] = []
                if not _seek_records(stream, wrapper, arrays):
                    message = f'{_EXPECTED}; the object has no "records" array'
                    if arrays:  # an API's page ({"results": [...]}, {"value": [...]}...)
                        message += (
                            f" but an array under {_show(arrays[0])}: save that array alone as "
                            "the .json file (or its objects one per line as .jsonl)"
                        )
                    raise _JsonSyntaxError(message, stream.line())
            elif first != "[":
                empty = ", got an empty file" if first == "" else ""
                raise _JsonSyntaxError(_EXPECTED + empty, stream.line())
            yield from _elements(stream, source, kind, counter)
            if wrapper is not None:
                _rest_of_wrapper(stream, wrapper)
            if stream.peek() != "":
                raise _JsonSyntaxError(
                    "more data after the end of the top-level JSON value: a .json file holds "
                    "one array (use .jsonl for one object per line)",
                    stream.line(),
                )
        except _JsonSyntaxError as exc:
            counter[0] += 1
            yield malformed(
                kind,
                source,
                counter[0],
                exc.line,
                f"{exc.message}; the rest of the file cannot be read",
            )


def _elements(
    stream: _JsonStream, source: str, kind: RecordKind, counter: list[int]
) -> Iterator[RawRecord | RecordError]:
    """The records of the array at the stream's position (its "[" included, its "]" too)."""
    stream.pos += 1  # the "["
    if stream.peek() == "]":
        stream.pos += 1
        return
    while True:
        stream.peek()
        line = stream.line()
        value, text = stream.value()
        counter[0] += 1
        duplicates, constants = stream.objects.take()
        if has_bad_bytes(text):
            yield malformed(
                kind, source, counter[0], line, f"the record is not valid UTF-8: {OTHER_ENCODING}"
            )
        else:
            if isinstance(value, dict) and isinstance(value.get("attributes"), dict):
                del value["attributes"]  # Salesforce's metadata
            yield _checked(
                kind,
                source,
                counter[0],
                line,
                value=value,
                text=text,
                duplicates=duplicates,
                constants=constants,
            )
        after = stream.peek()
        if after == ",":
            stream.pos += 1
        elif after == "]":
            stream.pos += 1
            return
        else:
            end = ", got the end of the file" if after == "" else ""
            message = f"not valid JSON: expected ',' or ']' after a record{end}"
            raise _JsonSyntaxError(message, stream.line())


def _seek_records(stream: _JsonStream, seen: set[str], arrays: list[str]) -> bool:
    """Inside a top-level object: move to the "records" array; False when there is none
    (``arrays`` then names the members that hold an array, for the error row)."""
    while True:
        if stream.peek() == "}":
            return False
        key = stream.key(seen)
        if stream.peek() == "[":
            if key == "records":
                return True
            arrays.append(key)
        stream.skip_value()  # whatever else the wrapper holds (totalSize, done...)
        _after_member(stream)


def _rest_of_wrapper(stream: _JsonStream, seen: set[str]) -> None:
    """After the records array: the wrapper's other members, to its closing "}"."""
    _after_member(stream)
    while stream.peek() != "}":
        stream.key(seen)
        stream.skip_value()
        _after_member(stream)
    stream.pos += 1


def _after_member(stream: _JsonStream) -> None:
    token = stream.peek()
    if token == ",":
        stream.pos += 1
    elif token != "}":
        raise _JsonSyntaxError("not valid JSON: expected ',' or '}'", stream.line())
