"""Lead records and activity events in: read rows from files or iterables, coerce them to types.

The input layer of the evaluation engine. Its rule: nothing is lost on bad input. Every input
record comes out either as a typed record or as a :class:`RecordError` (an *error row*) naming
the source, the record's ordinal and line, the field and the reason; never as a traceback.

Two steps, so that every source shares one set of coercion rules:

* :func:`read_rows` (files: CSV, JSON Lines, JSON) and :func:`rows_from_iterable` (Python
  objects) yield :class:`RawRecord` values as read, or error rows for what cannot be read at all
  (a malformed JSON line, a CSV row with too many cells, bytes that are not UTF-8). Files are
  streamed: memory stays constant however long the file is.
* :class:`LeadCoercer` turns a raw lead into a dict of typed contract fields (reading each field
  from its contract name or its CRM ``source`` column, applying ``value_map`` and allowed values);
  :class:`EventCoercer` turns a raw activity event into an :class:`Event`. Both report every
  problem of a record, one error row per field.

Counts reconcile: for every source, records read = typed records + error rows.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, Final, Generic, Literal, TypeVar

from leadcontract.fields import FieldType
from leadcontract.model import Lead, LeadField

__all__ = [
    "ERROR_CODES",
    "EVENT_ATTRIBUTES",
    "ErrorCode",
    "Event",
    "EventCoercer",
    "LeadCoercer",
    "RawRecord",
    "RecordError",
    "RecordKind",
    "read_rows",
    "rows_from_iterable",
]

RecordKind = Literal["lead", "event"]
"""What a record is: a lead record or an activity event."""

ErrorCode = Literal[
    "missing-required",
    "wrong-type",
    "not-allowed",
    "duplicate-id",
    "malformed",
    "missing-key",
    "bad-time",
    "after-as-of",
]
"""Stable reasons of an error row."""

ERROR_CODES: Final[Mapping[str, str]] = {
    "missing-required": "A field the contract requires has no value.",
    "wrong-type": "A value cannot be read as the field's type.",
    "not-allowed": "A value is not one of the field's allowed values.",
    "duplicate-id": "A second lead record with an id already seen.",
    "malformed": "The record cannot be read at all (bad JSON, too many CSV cells, not UTF-8).",
    "missing-key": "An event lacks its lead id, type or time.",
    "bad-time": "An event's time cannot be read as a date and time.",
    "after-as-of": "The lead was created after the time it is evaluated at, so it has no "
    "verdict as of then.",
}
"""Every error code with a one-line meaning (the reference docs are generated from it)."""

INPUT: Final = "<input>"
"""The source name of records that come from a Python iterable."""


# --- the records --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordError:
    """An error row: one input record (or one field of it) that could not be used.

    ``record`` is the 1-based ordinal of the record in its source. ``line`` is the 1-based line
    where the record starts in the file (for CSV the physical line, counting the header and the
    lines of multi-line quoted cells); ``None`` for records from Python iterables.
    """

    kind: RecordKind
    source: str
    record: int
    line: int | None
    lead_id: str | None
    field: str | None
    code: ErrorCode
    message: str
    also: tuple[RecordError, ...] = ()
    """Further problems of the same record: one record is one error row, however many
    fields are wrong, so that records in = verdicts + error rows."""

    @classmethod
    def of_record(cls, errors: Sequence[RecordError]) -> RecordError:
        """One error row for a record with ``errors`` (the first leads, the rest ride along)."""
        first, *rest = errors
        return dataclasses.replace(first, also=(*first.also, *rest))

    def to_dict(self) -> dict[str, Any]:
        """Plain built-ins, for JSON writers."""
        return {
            "kind": self.kind,
            "source": self.source,
            "record": self.record,
            "line": self.line,
            "lead_id": self.lead_id,
            "field": self.field,
            "code": self.code,
            "message": self.message,
            "also": [
                {"field": other.field, "code": other.code, "message": other.message}
                for other in self.also
            ],
        }

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        lead = f" (lead {self.lead_id})" if self.lead_id is not None else ""
        text = f"{where}: {self.kind} {self.record}{lead}: {self.code}: {self.message}"
        return "; ".join([text, *(f"{o.code}: {o.message}" for o in self.also)])


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One input record as read: column (or key) names mapped to values, not yet typed."""

    source: str
    record: int
    line: int | None
    data: Mapping[str, Any]


EVENT_ATTRIBUTES: Final = (
    "lead_id",
    "type",
    "at",
    "actor",
    "channel",
    "reason",
    "note",
    "amount",
    "product",
    "seats",
)
"""The attributes of an :class:`Event` that are read from input columns."""


@dataclass(frozen=True, slots=True)
class Event:
    """An activity event about one lead, typed.

    ``at`` is aware and in UTC. ``seq`` is the input order (across every source one
    :class:`EventCoercer` has read), for a stable sort of events at the same instant. ``data``
    holds every other column, as read.
    """

    lead_id: str
    type: str
    at: datetime
    seq: int
    actor: str | None = None
    channel: str | None = None
    reason: str | None = None
    note: str | None = None
    amount: Decimal | None = None
    product: str | None = None
    seats: int | None = None
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict, hash=False)


# --- reading rows ---------------------------------------------------------------------------

_UNENCODABLE = re.compile("[\ud800-\udfff]")
"""Lone surrogates: what ``errors="surrogateescape"`` makes of bytes that are not UTF-8."""

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


# --- showing values in messages -------------------------------------------------------------

_SHOW_MAX: Final = 60


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def _printable(text: str) -> str:
    """Text safe to write as UTF-8: bad bytes shown as \\xNN, other lone surrogates as \\uNNNN."""
    return _UNENCODABLE.sub(_escape, text)


def _show(value: Any) -> str:
    """A value as a message shows it: text quoted, JSON words for JSON values."""
    if isinstance(value, str):
        text = value if len(value) <= _SHOW_MAX else value[: _SHOW_MAX - 1] + "…"
        return _printable(json.dumps(text, ensure_ascii=False))
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        try:
            text = str(value)
        except ValueError:  # an int too long to print
            return "a very large number"
        return text if len(text) <= _SHOW_MAX else text[: _SHOW_MAX - 1] + "…"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _describe(value)


def _describe(value: Any) -> str:
    """The kind of a value, for messages: 'an object', 'a list', 'the text "x"'..."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, str | bool | int | float | Decimal):
        return _show(value)
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name} value"


# --- value conversions ----------------------------------------------------------------------


class _InvalidValueError(Exception):
    """A value that cannot be converted; ``detail`` is the message after 'field: '."""

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.code: ErrorCode = code
        self.detail = detail


_Converter = Callable[[Any], Any]

_INTEGER = re.compile(r"[+-]?[0-9]+(?:\.0*)?", re.ASCII)
_BOOLEANS: Final = {
    "true": True,
    "t": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "f": False,
    "no": False,
    "n": False,
    "0": False,
}

_EXPECT_INTEGER = "expected an integer"
_EXPECT_NUMBER = "expected a number"
_EXPECT_BOOLEAN = "expected true or false (yes/no, y/n, 1/0, t/f)"
_EXPECT_DATE = "expected a date such as 2026-10-05"
_EXPECT_DATETIME = "expected a date and time such as 2026-10-05T14:03:00Z"
_EXPECT_TEXT = "expected text"


def _wrong(expected: str, value: Any, code: ErrorCode = "wrong-type") -> _InvalidValueError:
    hint = ""
    if isinstance(value, str) and expected in (_EXPECT_INTEGER, _EXPECT_NUMBER) and "," in value:
        hint = " (write digits without thousands separators, with '.' for decimals)"
    return _InvalidValueError(code, f"{expected}, got {_show(value)}{hint}")


def _to_text(value: Any) -> str:
    """A non-empty, stripped text of a value that is not ``None``; numbers become their text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise _wrong(_EXPECT_TEXT, value)
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:
            raise _wrong(_EXPECT_TEXT, value) from None
    if (isinstance(value, float) and math.isfinite(value)) or (
        isinstance(value, Decimal) and value.is_finite()
    ):
        return str(value)
    raise _wrong(_EXPECT_TEXT, value)


def _to_integer(value: Any) -> int:
    if isinstance(value, str):
        if _INTEGER.fullmatch(value):
            try:
                return int(value.partition(".")[0])
            except ValueError:  # more digits than int() may read
                pass
        raise _wrong(_EXPECT_INTEGER, value)
    if isinstance(value, bool):
        raise _wrong(_EXPECT_INTEGER, value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    raise _wrong(_EXPECT_INTEGER, value)


def _to_number(value: Any) -> float:
    if isinstance(value, str):
        # float() reads what a number column holds; refuse what it reads besides (digit group
        # underscores, non-ASCII digits, nan and infinity).
        if value.isascii() and "_" not in value:
            try:
                number = float(value)
            except ValueError:
                pass
            else:
                if math.isfinite(number):
                    return number
        raise _wrong(_EXPECT_NUMBER, value)
    if isinstance(value, bool):
        raise _wrong(_EXPECT_NUMBER, value)
    if isinstance(value, int | float) or (isinstance(value, Decimal) and value.is_finite()):
        try:
            number = float(value)
        except OverflowError:
            raise _wrong(_EXPECT_NUMBER, value) from None
        if math.isfinite(number):
            return number
    raise _wrong(_EXPECT_NUMBER, value)


def _to_boolean(value: Any) -> bool:
    if isinstance(value, str):
        answer = _BOOLEANS.get(value.lower())
        if answer is not None:
            return answer
    elif isinstance(value, bool):
        return value
    elif isinstance(value, int) and value in (0, 1):
        return value == 1
    raise _wrong(_EXPECT_BOOLEAN, value)


def _to_date(value: Any) -> date:
    if isinstance(value, str):
        if len(value) == 10 and value[4] == "-" and value[7] == "-":  # not 20261005, 2026-W41-1
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
    elif isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise _wrong(_EXPECT_DATE, value)


def _datetime_converter(default_tz: tzinfo, code: ErrorCode) -> Callable[[Any], datetime]:
    """Read ISO 8601 date-times (and datetime objects) as aware datetimes in UTC.

    The text must have a calendar date and at least hours and minutes, ``T`` (or a space)
    between them, and may have seconds, a fraction and an offset (``Z``, ``+02:00``,
    ``+0200``). A naive value is taken to be in ``default_tz``.
    """
    from_text = datetime.fromisoformat
    combine = datetime.combine

    def convert(value: Any) -> datetime:
        if isinstance(value, str):
            # fromisoformat() also reads 20261005T1403, week dates and dates alone: not here.
            if (
                len(value) >= 16
                and value[4] == value[7] == "-"
                and value[13] == ":"
                and value[10] in "Tt "
            ):
                try:
                    moment = from_text(value)
                except ValueError:
                    try:
                        moment = from_text(value.upper())  # 't' and 'z' (RFC 3339)
                    except ValueError:
                        raise _wrong(_EXPECT_DATETIME, value, code) from None
            else:
                raise _wrong(_EXPECT_DATETIME, value, code)
        elif isinstance(value, datetime):
            moment = value
        else:
            raise _wrong(_EXPECT_DATETIME, value, code)
        try:
            if moment.utcoffset() is not None:
                return moment.astimezone(UTC)
            if moment.tzinfo is not None:  # a tzinfo that knows no offset: naive after all
                moment = moment.replace(tzinfo=None)
            offset = default_tz.utcoffset(moment)  # as replace(tzinfo=default_tz), faster
            if offset is None:
                raise ValueError("the default time zone has no offset")
            utc = moment - offset
            return combine(utc.date(), utc.time(), UTC)
        except (OverflowError, ValueError):
            raise _InvalidValueError(code, f"{_show(value)} is out of the range of dates") from None

    return convert


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, str):
        if value.isascii() and "_" not in value:
            try:
                amount = Decimal(value)
            except InvalidOperation:
                pass
            else:
                if amount.is_finite():
                    return amount
        raise _wrong(_EXPECT_NUMBER, value)
    if isinstance(value, bool):
        raise _wrong(_EXPECT_NUMBER, value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(str(value))
    if isinstance(value, Decimal) and value.is_finite():
        return value
    raise _wrong(_EXPECT_NUMBER, value)


def _typed_converter(kind: FieldType, default_tz: tzinfo) -> _Converter:
    if kind is FieldType.STRING:
        return _to_text
    if kind is FieldType.INTEGER:
        return _to_integer
    if kind is FieldType.NUMBER:
        return _to_number
    if kind is FieldType.BOOLEAN:
        return _to_boolean
    if kind is FieldType.DATE:
        return _to_date
    return _datetime_converter(default_tz, "wrong-type")


def _fold(text: str) -> str:
    return text.strip().casefold()


def _map_key(value: Any) -> str | None:
    """The key under which a read value is looked up in a ``value_map``."""
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:
            return None
    return None


_LIST_MAX: Final = 8


def _allowed_list(values: list[str]) -> str:
    shown = ", ".join(values[:_LIST_MAX])
    if len(values) > _LIST_MAX:
        shown += f", … ({len(values)} in all)"
    return shown


_MEMO_MAX: Final = 1024
_MISS: Final = object()


def _field_converter(spec: LeadField, default_tz: tzinfo) -> _Converter:
    """One closure per field: strip, empty → None, value_map, type, allowed values.

    Fields with few distinct values (allowed values, a value_map, booleans) remember what each
    text they have seen converts to, so a picklist column costs one dictionary look-up.
    """
    typed = _typed_converter(spec.type, default_tz)
    value_map: dict[str, Any] = {}
    for key, mapped in spec.value_map.items():
        target = mapped.strip() if isinstance(mapped, str) else None
        value_map.setdefault(_fold(key), target or None)
    allowed: dict[str, str] | None = None
    allowed_text = ""
    if spec.values is not None:
        allowed = {}
        for choice in spec.values:
            allowed.setdefault(choice.casefold(), choice)
        allowed_text = _allowed_list(spec.values)

    if not value_map and allowed is None:
        if typed is _to_text:

            def plain_text(value: Any) -> Any:
                if value.__class__ is str:
                    return value.strip() or None
                if value is None:
                    return None
                return _to_text(value)

            return plain_text
        if typed is _to_integer:

            def plain_integer(value: Any) -> Any:
                if value.__class__ is str:
                    value = value.strip()
                    if value.isdigit() and value.isascii():
                        return int(value)
                    if not value:
                        return None
                elif value is None:
                    return None
                return _to_integer(value)

            return plain_integer

    def convert(value: Any) -> Any:
        if value.__class__ is str:
            value = value.strip()
            if not value:
                return None
        elif value is None:
            return None
        if value_map:
            key = _map_key(value)
            if key is not None and key in value_map:
                value = value_map[key]
                if value is None:
                    return None
        result = typed(value)
        if allowed is not None:
            canonical = allowed.get(result.casefold())
            if canonical is None:
                raise _InvalidValueError(
                    "not-allowed", f"{_show(result)} is not allowed; allowed: {allowed_text}"
                )
            return canonical
        return result

    if not value_map and allowed is None and typed is not _to_boolean:
        return convert

    memo: dict[str, Any] = {}

    def remembered(value: Any) -> Any:
        if value.__class__ is str:
            result = memo.get(value, _MISS)
            if result is _MISS:
                result = convert(value)  # raises for a bad value, which is not remembered
                if len(memo) < _MEMO_MAX:
                    memo[value] = result
            return result
        return convert(value)

    return remembered


# --- column names ---------------------------------------------------------------------------


_Plan = TypeVar("_Plan")


def _normal(name: str) -> str:
    """A column name for loose matching: case-insensitive, spaces and underscores ignored."""
    return name.casefold().replace(" ", "").replace("_", "")


class _Columns(Generic[_Plan]):
    """Which input column each slot is read from, cached per sequence of column names.

    A slot's candidates are tried in order by exact name, then in order by loose name
    (:func:`_normal`); the first column present wins. ``build`` turns the columns found (a
    column name or ``None`` per slot) into whatever the caller loops over; it is cached too.
    """

    CACHE_MAX: Final = 512

    def __init__(
        self, candidates: list[tuple[str, ...]], build: Callable[[tuple[Any, ...]], _Plan]
    ) -> None:
        self._candidates = candidates
        self._loose = [tuple(_normal(name) for name in names) for names in candidates]
        self._build_plan = build
        self._cache: dict[tuple[Any, ...], _Plan] = {}

    def plan(self, data: Mapping[str, Any]) -> _Plan:
        """The plan for a record with the keys of ``data``."""
        keys = tuple(data)
        found = self._cache.get(keys)
        if found is None:
            found = self._build_plan(self.columns(keys))
            if len(self._cache) >= self.CACHE_MAX:
                self._cache.clear()
            self._cache[keys] = found
        return found

    def columns(self, keys: tuple[Any, ...]) -> tuple[Any, ...]:
        """For each slot, the key to read, or ``None`` when no column matches."""
        present = set(keys)
        loose: dict[str, Any] = {}
        for key in keys:
            if isinstance(key, str):
                loose.setdefault(_normal(key), key)
        columns: list[Any] = []
        for names, loose_names in zip(self._candidates, self._loose, strict=True):
            column = next((name for name in names if name in present), None)
            if column is None:
                column = next((loose[n] for n in loose_names if n in loose), None)
            columns.append(column)
        return tuple(columns)


# --- leads ----------------------------------------------------------------------------------


_LeadPlan = tuple[
    tuple[tuple[str, Any, _Converter, bool], ...],
    tuple[str, ...],
]
"""Per set of columns: (field, column, converter, required) for the fields present, and the
required fields with no column."""


class LeadCoercer:
    """Turns raw lead records into dicts of typed contract fields, or error rows.

    A field is read from the column named like the field, else from its ``source`` column
    (Salesforce ``LeadSource``): exact names first, then case-insensitively with spaces and
    underscores ignored ("Lead Source", "lead_source"). Other columns are ignored. Values are
    stripped, empty text is no value, ``value_map`` applies (keys case-insensitive; a null
    target is no value), then the field's type and allowed values (matched case-insensitively,
    returned as the contract spells them). Datetimes come out aware, in UTC; naive ones are
    read in ``default_tz``.
    """

    def __init__(self, lead: Lead, *, default_tz: tzinfo) -> None:
        self._names = tuple(lead.fields)
        self._template: dict[str, Any] = dict.fromkeys(self._names)
        self._fields = [
            (name, _field_converter(spec, default_tz), spec.required)
            for name, spec in lead.fields.items()
        ]
        self._candidates: dict[str, tuple[str, ...]] = {}
        for name, spec in lead.fields.items():
            names = [name]
            if spec.source is not None and spec.source != name:
                names.append(spec.source)
            self._candidates[name] = tuple(names)
        self._columns = _Columns(list(self._candidates.values()), self._plan)
        self._id = lead.keys.id if lead.keys.id in lead.fields else None

    def _plan(self, columns: tuple[Any, ...]) -> _LeadPlan:
        present = tuple(
            (name, column, convert, required)
            for (name, convert, required), column in zip(self._fields, columns, strict=True)
            if column is not None
        )
        absent_required = tuple(
            name
            for (name, _, required), column in zip(self._fields, columns, strict=True)
            if column is None and required
        )
        return present, absent_required

    @property
    def fields(self) -> tuple[str, ...]:
        """The contract's field names, in order: the keys of every coerced record."""
        return self._names

    def coerce(self, raw: RawRecord) -> tuple[dict[str, Any] | None, list[RecordError]]:
        """The typed record and no errors, or ``None`` and one error row per bad field."""
        data = raw.data
        present, absent_required = self._columns.plan(data)
        out = self._template.copy()
        problems: list[tuple[str, ErrorCode, str]] | None = None
        for name, column, convert, required in present:
            value = data[column]
            try:
                result = convert(value)
            except _InvalidValueError as exc:
                problems = problems or []
                problems.append((name, exc.code, exc.detail))
                continue
            except Exception as exc:  # a value no rule foresaw: still an error row
                problems = problems or []
                problems.append(
                    (name, "wrong-type", f"cannot read {_describe(value)} ({type(exc).__name__})")
                )
                continue
            if result is not None:
                out[name] = result
            elif required:
                problems = problems or []
                problems.append((name, "missing-required", _why_missing(value)))
        if absent_required:
            problems = problems or []
            for name in absent_required:
                looked = " or ".join(json.dumps(n) for n in self._candidates[name])
                problems.append(
                    (name, "missing-required", f"required, but there is no column {looked}")
                )
        if problems is None:
            return out, []
        return None, self._errors(raw, out, problems)

    def _errors(
        self, raw: RawRecord, out: dict[str, Any], problems: list[tuple[str, ErrorCode, str]]
    ) -> list[RecordError]:
        found = out[self._id] if self._id is not None else None
        lead_id = _printable(str(found)) if found is not None else None
        order = {name: index for index, name in enumerate(self._names)}
        problems.sort(key=lambda problem: order[problem[0]])
        return [
            RecordError(
                "lead",
                raw.source,
                raw.record,
                raw.line,
                lead_id,
                name,
                code,
                f"{name}: {detail}",
            )
            for name, code, detail in problems
        ]


def _why_missing(value: Any) -> str:
    if value is None:
        return "required, but the value is null"
    if isinstance(value, str) and not value.strip():
        return "required, but empty"
    return f"required, but {_show(value)} means no value (value_map)"


# --- events ---------------------------------------------------------------------------------


def _event_text(lower: bool) -> _Converter:
    def convert(value: Any) -> str | None:
        if value is None:
            return None
        text = _to_text(value).strip()
        if not text:
            return None
        return text.lower() if lower else text

    return convert


def _optional(convert: _Converter) -> _Converter:
    def wrapped(value: Any) -> Any:
        if value.__class__ is str:
            value = value.strip()
            if not value:
                return None
        elif value is None:
            return None
        return convert(value)

    return wrapped


_REQUIRED_EVENT: Final = frozenset({"lead_id", "type", "at"})


def _event_plan(columns: tuple[Any, ...]) -> tuple[tuple[Any, ...], frozenset[Any]]:
    """The column of each attribute, and the set of them (the rest goes to ``data``)."""
    return columns, frozenset(column for column in columns if column is not None)


class EventCoercer:
    """Turns raw activity events into :class:`Event` values, or error rows.

    ``columns`` maps event attributes (``lead_id``, ``type``, ``at``, ``actor``, ``channel``,
    ``reason``, ``note``, ``amount``, ``product``, ``seats``) to the input column that holds
    them, for exports with other headers; unmapped attributes are read from the column of their
    own name. Matching is exact first, then case-insensitive with spaces and underscores
    ignored. Every other column goes into :attr:`Event.data`, as read.
    """

    def __init__(self, *, default_tz: tzinfo, columns: Mapping[str, str] | None = None) -> None:
        columns = dict(columns or {})
        unknown = sorted(set(columns) - set(EVENT_ATTRIBUTES))
        if unknown:
            raise ValueError(
                f"unknown event attribute(s) in the column mapping: {', '.join(unknown)}; "
                f"known: {', '.join(EVENT_ATTRIBUTES)}"
            )
        self._columns_given = columns
        self._columns = _Columns(
            [(columns.get(name, name),) for name in EVENT_ATTRIBUTES], _event_plan
        )
        text = _event_text(lower=False)
        lower = _event_text(lower=True)
        self._converters: tuple[_Converter, ...] = (
            text,  # lead_id
            lower,  # type
            _optional(_datetime_converter(default_tz, "bad-time")),  # at
            text,  # actor
            lower,  # channel
            text,  # reason
            text,  # note
            _optional(_to_decimal),  # amount
            text,  # product
            _optional(_to_integer),  # seats
        )
        self._seq = 0

    def coerce(self, raw: RawRecord) -> tuple[Event | None, list[RecordError]]:
        """The event and no errors, or ``None`` and one error row per bad attribute."""
        self._seq += 1
        data = raw.data
        columns, used = self._columns.plan(data)
        # Fast path: every attribute converts and the required ones are there. Anything else
        # goes the careful way below, which names every problem.
        values: list[Any]
        try:
            values = [
                None if column is None else convert(data[column])
                for column, convert in zip(columns, self._converters, strict=True)
            ]
        except Exception:  # reported in detail by the careful path
            values = []
        if values and values[0] is not None and values[1] is not None and values[2] is not None:
            rest = {k: v for k, v in data.items() if k not in used} if len(data) > len(used) else {}
            lead_id, kind, at, actor, channel, reason, note, amount, product, seats = values
            event = Event(
                lead_id, kind, at, self._seq, actor, channel, reason, note, amount, product,
                seats, rest,
            )  # fmt: skip
            return event, []
        return self._coerce_carefully(raw, columns, used)

    def _coerce_carefully(
        self, raw: RawRecord, columns: tuple[Any, ...], used: frozenset[Any]
    ) -> tuple[Event | None, list[RecordError]]:
        data = raw.data
        values = []
        problems: list[tuple[str, ErrorCode, str]] | None = None
        for name, column, convert in zip(EVENT_ATTRIBUTES, columns, self._converters, strict=True):
            value = None if column is None else data[column]
            try:
                result = convert(value)
            except _InvalidValueError as exc:
                problems = problems or []
                problems.append((name, exc.code, self._label(name, column) + exc.detail))
                result = None
            except Exception as exc:  # a value no rule foresaw: still an error row
                problems = problems or []
                code: ErrorCode = "bad-time" if name == "at" else "wrong-type"
                problems.append(
                    (
                        name,
                        code,
                        self._label(name, column)
                        + f"cannot read {_describe(value)} ({type(exc).__name__})",
                    )
                )
                result = None
            else:
                if result is None and name in _REQUIRED_EVENT:
                    problems = problems or []
                    looked = json.dumps(self._columns_given.get(name, name))
                    reason = f"no column {looked}" if column is None else "the value is empty"
                    problems.append(
                        (name, "missing-key", f"{self._label(name, column)}required, but {reason}")
                    )
            values.append(result)
        if problems is not None:
            lead_id = values[0]
            return None, [
                RecordError(
                    "event",
                    raw.source,
                    raw.record,
                    raw.line,
                    _printable(lead_id) if lead_id is not None else None,
                    name,
                    code,
                    message,
                )
                for name, code, message in problems
            ]
        rest = {key: value for key, value in data.items() if key not in used}
        lead_id, kind, at, actor, channel, reason, note, amount, product, seats = values
        return (
            Event(
                lead_id,
                kind,
                at,
                self._seq,
                actor,
                channel,
                reason,
                note,
                amount,
                product,
                seats,
                rest,
            ),
            [],
        )

    @staticmethod
    def _label(name: str, column: Any) -> str:
        if column is None or column == name:
            return f"{name}: "
        return f"{name} (column {_show(column)}): "
