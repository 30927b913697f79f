"""The readers as they were before issue 8: the baseline of bench/readers.py (not used)."""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final

from leadcontract.inputs._messages import _describe, _printable, _show
from leadcontract.inputs._types import RawRecord, RecordError, RecordKind

INPUT: Final = "<input>"
"""The source name of records that come from a Python iterable."""


_BOM = codecs.BOM_UTF8
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def read_rows(path: Path | str, *, kind: RecordKind) -> Iterator[RawRecord | RecordError]:
    """Read the records of a file, lazily, by its suffix.

    * ``.csv``: a header row, then one record per row (cells spanning lines when quoted). A row
      with more cells than the header is a ``malformed`` error row; cells missing at the end of
      a shorter row are absent from the record. Blank lines are skipped.
    * ``.jsonl`` / ``.ndjson``: one JSON object per line; blank lines are skipped; a line that
      is not JSON, or JSON but not an object, is a ``malformed`` error row and reading goes on.
    * ``.json``: a JSON array of objects, or Salesforce's import tree / query result
      ``{"records": [{"attributes": {...}, ...}]}``; an ``attributes`` object (Salesforce's
      metadata) is dropped from each record. Read incrementally; ``line`` is where the record's
      ``{`` stands. A syntax error ends the file with one ``malformed`` error row, since the
      records after it cannot be told apart.

    Text must be UTF-8 (a byte order mark is allowed); a record with bytes that are not UTF-8
    is a ``malformed`` error row, and reading goes on. An unknown suffix raises
    :class:`ValueError` at once; a file that cannot be opened raises :class:`OSError` when
    iteration starts.
    """
    if kind not in ("lead", "event"):
        raise ValueError(f"kind must be 'lead' or 'event', not {kind!r}")
    source = str(path)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, source, kind)
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path, source, kind)
    if suffix == ".json":
        return _read_json(path, source, kind)
    raise ValueError(
        f"{source}: cannot read records from a {suffix or 'suffix-less'} file; "
        "use .csv, .jsonl, .ndjson or .json"
    )


def rows_from_iterable(
    items: Iterable[Mapping[str, Any]], *, kind: RecordKind, source: str = INPUT
) -> Iterator[RawRecord | RecordError]:
    """Wrap Python mappings as raw records; anything that is not a mapping is an error row."""
    for number, item in enumerate(items, start=1):
        if isinstance(item, Mapping):
            yield RawRecord(source, number, None, item)
        else:
            yield _malformed(
                kind,
                source,
                number,
                None,
                f"expected a mapping of field names to values, got {_describe(item)}",
            )


def _malformed(
    kind: RecordKind,
    source: str,
    record: int,
    line: int | None,
    message: str,
    *,
    field: str | None = None,
) -> RecordError:
    return RecordError(kind, source, record, line, None, field, "malformed", message)


def _not_utf8(
    kind: RecordKind, source: str, record: int, line: int | None, what: str
) -> RecordError:
    return _malformed(kind, source, record, line, f"{what} is not valid UTF-8")


def _read_csv(path: Path, source: str, kind: RecordKind) -> Iterator[RawRecord | RecordError]:
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        header: list[str] | None = None
        try:
            for row in reader:
                if row:  # blank lines before the header are skipped
                    header = row
                    break
        except csv.Error as exc:
            yield _malformed(kind, source, 1, reader.line_num, f"the header row: {exc}")
            return
        if header is None:
            return
        width = len(header)
        number = 0
        consumed = reader.line_num  # lines read so far; a record starts on the line after
        while True:
            try:
                for row in reader:
                    start = consumed + 1
                    consumed = reader.line_num
                    if not row:
                        continue  # a blank line
                    number += 1
                    if len(row) > width:
                        yield _malformed(
                            kind,
                            source,
                            number,
                            start,
                            f"the row has {len(row)} cells but the header has {width}",
                        )
                        continue
                    if _has_bad_bytes("".join(row)):
                        yield _bad_cell(kind, source, number, start, header=header, row=row)
                        continue
                    yield RawRecord(source, number, start, dict(zip(header, row, strict=False)))
                return
            except csv.Error as exc:  # the reader goes on with the next line
                number += 1
                yield _malformed(kind, source, number, consumed + 1, str(exc))
                consumed = reader.line_num


def _has_bad_bytes(text: str) -> bool:
    """Whether text decoded with ``surrogateescape`` held bytes that are not UTF-8."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # only lone surrogates fail to encode
        return True
    return False


def _bad_cell(
    kind: RecordKind, source: str, number: int, line: int, *, header: list[str], row: list[str]
) -> RecordError:
    index = next(i for i, cell in enumerate(row) if _has_bad_bytes(cell))
    name = _printable(header[index])
    return _malformed(
        kind, source, number, line, f"{name}: not valid UTF-8: {_show(row[index])}", field=name
    )


def _read_jsonl(path: Path, source: str, kind: RecordKind) -> Iterator[RawRecord | RecordError]:
    loads = json.loads
    with path.open("rb") as handle:
        number = 0
        for line_number, line in enumerate(handle, start=1):
            raw = line[len(_BOM) :] if line_number == 1 and line.startswith(_BOM) else line
            if not raw.strip():
                continue
            number += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield _not_utf8(
                    kind,
                    source,
                    number,
                    line_number,
                    f"byte {exc.object[exc.start]:#04x} at column {exc.start + 1}",
                )
                continue
            try:
                value = loads(text)
            except (ValueError, RecursionError) as exc:
                yield _malformed(
                    kind, source, number, line_number, f"not a JSON object: {_json_reason(exc)}"
                )
                continue
            if isinstance(value, dict):
                yield RawRecord(source, number, line_number, value)
            else:
                yield _malformed(
                    kind,
                    source,
                    number,
                    line_number,
                    f"expected a JSON object, got {_describe(value)}",
                )


def _json_reason(exc: BaseException) -> str:
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
    a buffer that is refilled when an element runs past its end; only a syntax error within
    :attr:`MARGIN` characters of the end of the buffer is taken for a cut-off element.
    """

    CHUNK: Final = 1 << 16
    MARGIN: Final = 1 << 22

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="surrogateescape")
        self._raw_decode = json.JSONDecoder().raw_decode
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

    def value(self) -> tuple[Any, str]:
        """The JSON value at the current position and its text; raises _JsonSyntaxError."""
        size = self.CHUNK
        while True:
            try:
                value, end = self._raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                if not self._eof and exc.pos + self.MARGIN >= len(self.buffer):
                    self._fill(size)
                    size *= 2
                    continue
                raise _JsonSyntaxError(
                    f"not valid JSON: {exc.msg}", self.line(min(exc.pos, len(self.buffer)))
                ) from None
            except (ValueError, RecursionError) as exc:
                raise _JsonSyntaxError(
                    f"not valid JSON: {_json_reason(exc)}", self.line()
                ) from None
            if end >= len(self.buffer) and not self._eof:
                self._fill(size)  # a number may go on in the next chunk
                size *= 2
                continue
            text = self.buffer[self.pos : end]
            self.pos = end
            return value, text


def _read_json(path: Path, source: str, kind: RecordKind) -> Iterator[RawRecord | RecordError]:
    with path.open("rb") as handle:
        stream = _JsonStream(handle)
        number = 0
        try:
            first = stream.peek()
            if first == "{":
                stream.pos += 1
                if not _seek_records(stream):
                    raise _JsonSyntaxError(
                        'expected a JSON array of objects or {"records": [...]}; '
                        'the object has no "records" array',
                        stream.line(),
                    )
            elif first != "[":
                raise _JsonSyntaxError(
                    'expected a JSON array of objects or {"records": [...]}'
                    + (", got an empty file" if first == "" else ""),
                    stream.line(),
                )
            stream.pos += 1  # the "["
            if stream.peek() == "]":
                return
            while True:
                number += 1
                stream.peek()
                line = stream.line()
                value, text = stream.value()
                if _has_bad_bytes(text):
                    yield _not_utf8(kind, source, number, line, "the record")
                elif isinstance(value, dict):
                    attributes = value.get("attributes")
                    if isinstance(attributes, dict):
                        del value["attributes"]
                    yield RawRecord(source, number, line, value)
                else:
                    yield _malformed(
                        kind,
                        source,
                        number,
                        line,
                        f"expected a JSON object, got {_describe(value)}",
                    )
                after = stream.peek()
                if after == ",":
                    stream.pos += 1
                elif after == "]":
                    return
                else:
                    number += 1
                    raise _JsonSyntaxError(
                        "not valid JSON: expected ',' or ']' after a record"
                        + (", got the end of the file" if after == "" else ""),
                        stream.line(),
                    )
        except _JsonSyntaxError as exc:
            yield _malformed(
                kind,
                source,
                max(number, 1),
                exc.line,
                f"{exc.message}; the rest of the file cannot be read",
            )


def _seek_records(stream: _JsonStream) -> bool:
    """Inside a top-level object: move to the "records" array; False when there is none."""
    while True:
        token = stream.peek()
        if token == "}":
            return False
        if token != '"':
            raise _JsonSyntaxError("not valid JSON: expected a key", stream.line())
        key, _ = stream.value()
        if stream.peek() != ":":
            raise _JsonSyntaxError("not valid JSON: expected ':' after a key", stream.line())
        stream.pos += 1
        if key == "records" and stream.peek() == "[":
            return True
        stream.peek()
        stream.value()  # skip whatever else the wrapper holds (totalSize, done...)
        token = stream.peek()
        if token == ",":
            stream.pos += 1
        elif token != "}":
            raise _JsonSyntaxError("not valid JSON: expected ',' or '}'", stream.line())
