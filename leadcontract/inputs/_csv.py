"""Reading CSV records so that no record is lost, invented or cut: every physical line of the
file ends up in a record, a blank line, or an error row.

Four things the plain :mod:`csv` reader gets wrong for this purpose, and how they are handled:

* A quoted cell that is never closed swallows the rest of the file into one cell, silently.
  The reader runs in ``strict`` mode, which notices the end of the data inside quotes; the
  record is an error row naming the line where the quote opens, and every later non-blank
  line (read as part of that cell) is an error row of its own, so a file of 50 lines still
  counts 50 records. A stray quote closed by a quote of a later line breaks the record
  there: each line it ran on to is an error row of its own too.
* A cell longer than :func:`csv.field_size_limit` (131,072 characters by default) raises, and
  the reader then goes on from the middle of the cell, turning its text into invented
  records. The limit is raised so that a cell is read whole; a record is bounded by
  :data:`MAX_RECORD_CHARS` instead, and one longer than that is refused with the rest of the
  file (each later line an error row), never re-synchronised.
* A row with fewer cells than the header gives fewer values, so that a field whose cell was
  left out would seem to have no column at all (a required one reported as "no column", a
  ``value_map`` of ``""`` not applied). Writers leave trailing empty cells out (Excel does
  after the sixteenth row of a sheet); here they are empty cells, as CSV means them.
* The header is taken as it is. Here a header with a duplicate column (which one is the
  lead's e-mail?), or with bytes that are not UTF-8, refuses the whole file with one
  :class:`InputFileError`, as does a UTF-16 file or one with two byte order marks.

Files made by or for spreadsheets have lines that are no records; each is named for what it
is rather than as a lead with every field wrong: Excel's ``sep=,`` line before the header
(skipped), a report's title line read as a one-column header, the header repeated where two
exports were joined, and the rows of empty cells a sheet keeps after its data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final

from leadcontract.inputs._messages import _printable, _show
from leadcontract.inputs._text import (
    OTHER_ENCODING,
    SNIFF_BYTES,
    InputFileError,
    check_encoding,
    has_bad_bytes,
    malformed,
)
from leadcontract.inputs._types import RawRecord, RecordError, RecordKind, new_raw_record

__all__ = ["MAX_RECORD_CHARS", "read_csv", "read_csv_header"]

MAX_RECORD_CHARS: Final = 1 << 26
"""The longest CSV record read (64 Mi characters, all its cells and lines together)."""

_FIELD_LIMIT: Final = 2**31 - 1
"""What :func:`csv.field_size_limit` is raised to (the largest a C long holds everywhere),
so that no cell is cut; :data:`MAX_RECORD_CHARS` is the bound that applies."""


class _RecordTooLargeError(Exception):
    """The current record has grown beyond :data:`MAX_RECORD_CHARS`."""


class _Lines:
    """The file's physical lines as the csv reader pulls them, remembering the current
    record's lines (to report where it starts, and what an unclosed quote swallowed)."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle
        self.count = 0
        self.record: list[str] = []
        self._chars = 0
        self._unfinished = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._handle.readline(MAX_RECORD_CHARS + 1)
        if not line:
            raise StopIteration
        self.count += 1
        self._chars += len(line)
        self.record.append(line)
        if self._chars > MAX_RECORD_CHARS:
            self._unfinished = line[-1] not in "\r\n"
            raise _RecordTooLargeError
        return line

    def start_record(self) -> None:
        self.record = []
        self._chars = 0

    @property
    def first(self) -> int:
        """The line the current record starts on."""
        return self.count - len(self.record) + 1

    def rest(self) -> Iterator[tuple[int, str]]:
        """The lines not read yet, numbered, in constant memory (the rest of a line cut off by
        the bound first, which is not a line of its own)."""
        while self._unfinished:
            part = self._handle.readline(MAX_RECORD_CHARS + 1)
            self._unfinished = bool(part) and part[-1] not in "\r\n"
        while line := self._handle.readline(MAX_RECORD_CHARS + 1):
            self.count += 1
            yield self.count, line


def read_csv(path: Path, source: str, kind: RecordKind) -> Iterator[RawRecord | RecordError]:
    """The records of a CSV file (see :func:`leadcontract.inputs.read_rows`)."""
    with _opened(path, source) as lines:
        yield from _records(lines, source, kind)


def read_csv_header(path: Path, source: str) -> list[str] | None:
    """A CSV file's header row, refused as :func:`read_csv` refuses it (its encoding, a
    separator other than a comma, a doubled column); ``None`` for an empty file.

    For what looks at an export's columns before any run (``init --from-export``, ``lint
    --leads-sample``): a file that ``evaluate`` would refuse is refused there too, with the
    same message, instead of being read as one strange column.
    """
    with _opened(path, source) as lines:
        return _header(csv.reader(lines, strict=True), lines, source)


@contextmanager
def _opened(path: Path, source: str) -> Iterator[_Lines]:
    """The file's lines, once its encoding is known to be UTF-8 (else refused)."""
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    with path.open("rb") as raw:
        check_encoding(source, raw.read(SNIFF_BYTES))
        raw.seek(0)
        handle = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        yield _Lines(handle)


def _records(lines: _Lines, source: str, kind: RecordKind) -> Iterator[RawRecord | RecordError]:
    reader = csv.reader(lines, strict=True)
    header = _header(reader, lines, source)
    if header is None:
        return
    header_line = lines.first
    width = len(header)
    number = 0
    while True:
        lines.start_record()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            if str(exc) != "unexpected end of data":
                for error in _broken(lines, source, kind, number, f"not valid CSV: {exc}"):
                    number = error.record
                    yield error
                continue
            yield from _unclosed_quote(lines, source, kind, number)
            return
        except _RecordTooLargeError:
            number += 1
            yield from _too_large(lines, source, kind, number)
            return
        if not row:
            continue  # a blank line
        number += 1
        start = lines.first
        text = "".join(row)  # (one string per row for the looks below: no walk of the cells)
        if len(row) > width:
            message = f"the row has {len(row)} cells but the header has {width}"
            if width == 1:  # a report's title line above its header, read as the header
                message += f" (line {header_line}: is it a title above the header? remove it)"
            for error in _broken(lines, source, kind, number, message):
                number = error.record
                yield error
        elif kind == "lead" and not text.strip():
            # Excel keeps rows once formatted: ",,,,," after the data. An error row still
            # (the record is counted), but one that says what it is, not every field missing.
            message = "every cell of the row is empty (a row kept after the data?): remove it"
            yield malformed(kind, source, number, start, message)
        elif row[0].removeprefix("\ufeff") == header[0] and row[1:] == header[1:]:
            message = (
                f"the line repeats the header of line {header_line} (files joined?): remove it"
            )
            yield malformed(kind, source, number, start, message)
        elif has_bad_bytes(text):
            yield _bad_cell(kind, source, number, start, header=header, row=row)
        else:
            if len(row) < width:  # trailing empty cells left out (Excel after row 16 does)
                row += [""] * (width - len(row))
            yield new_raw_record(source, number, start, dict(zip(header, row, strict=True)))


def _header(reader: Iterator[list[str]], lines: _Lines, source: str) -> list[str] | None:
    """The header row (blank lines before it skipped), checked; ``None`` for an empty file."""
    try:
        for row in reader:
            if row and not _separator_line(source, lines.first, row):
                _check_header(source, lines.first, row)
                return row
            lines.start_record()
    except csv.Error as exc:
        raise InputFileError(
            source, lines.first, f"the header row is not valid CSV: {exc}"
        ) from None
    except _RecordTooLargeError:
        raise InputFileError(
            source, lines.first, f"the header row is longer than {MAX_RECORD_CHARS:,} characters"
        ) from None
    return None


def _separator_line(source: str, line: int, row: list[str]) -> bool:
    """Whether ``row`` is the line ``sep=,`` that tells Excel the separator (some exports
    write it before the header): skipped, else the header would be that line and every
    record "more cells than the header". Another separator is refused, naming it."""
    first = row[0].lower()
    if not first.startswith("sep=") or any(row[1:]) or len(row) > 2:
        return False
    separator = "," if len(row) == 2 else first[4:]
    if separator == ",":
        return True
    if len(separator) != 1:
        return False
    shown = "a tab" if separator == "\t" else repr(separator)
    raise InputFileError(
        source, line, f"the file starts with Excel's separator line {_show(row[0])}: it is "
        f"separated by {shown}; leadcontract reads comma-separated CSV (save it with commas)"
    )  # fmt: skip


def _check_header(source: str, line: int, header: list[str]) -> None:
    if header[0].startswith("\ufeff"):
        raise InputFileError(
            source, line, "the file starts with two byte order marks: it was converted twice; "
            "remove one"
        )  # fmt: skip
    for index, name in enumerate(header, start=1):
        if has_bad_bytes(name):
            raise InputFileError(
                source, line, f"column {index} of the header, {_show(name)}, is not valid "
                f"UTF-8: {OTHER_ENCODING}"
            )  # fmt: skip
    separator = next((s for s in (";", "\t", "|") if len(header) == 1 and s in header[0]), None)
    if separator is not None:  # else every record is an error row, for columns it "lacks"
        shown = "a tab" if separator == "\t" else repr(separator)
        raise InputFileError(
            source, line, f"the header is one column, {_show(header[0])}: the file looks "
            f"separated by {shown}; leadcontract reads comma-separated CSV (save it with commas)"
        )  # fmt: skip
    seen: dict[str, int] = {}
    for index, name in enumerate(header, start=1):
        if not name.strip():
            continue  # an unnamed column is never read, however many there are
        if name in seen:
            raise InputFileError(
                source, line, f"the header names column {_show(name)} twice (columns "
                f"{seen[name]} and {index}): which one holds the value is ambiguous; rename "
                "or remove one"
            )  # fmt: skip
        seen[name] = index


def _unclosed_quote(
    lines: _Lines, source: str, kind: RecordKind, number: int
) -> Iterator[RecordError]:
    """The record with a quote that never closes, and each line it swallowed, as error rows."""
    first = lines.first
    opened = _opening_line(lines.record, first)
    swallowed = [(first + i, line) for i, line in enumerate(lines.record) if first + i > opened]
    yield malformed(
        kind, source, number, first, f"not valid CSV: the quoted cell that opens on line "
        f"{opened} is never closed, so the {len(swallowed)} line(s) after it, to the end of "
        "the file, cannot be read as records (each is reported on its own)"
    )  # fmt: skip
    yield from _unread(
        swallowed, source, kind, number, f"inside the quoted cell that opens on line {opened} "
        "and is never closed"
    )  # fmt: skip


def _broken(
    lines: _Lines, source: str, kind: RecordKind, number: int, problem: str
) -> Iterator[RecordError]:
    """A record that is not one (not valid CSV, more cells than the header), and each further
    line it was read from, as error rows.

    A stray quote opening a cell is closed by the first quote of a later line (a quoted
    company name), and the record ends only after it: the records of the lines between went
    down with it, unreported.
    """
    first = lines.first
    last = first + len(lines.record) - 1
    if last == first:
        yield malformed(kind, source, number, first, problem)
        return
    yield malformed(
        kind, source, number, first, f"{problem}; the record runs on to line {last} (a quoted "
        f"cell opens on line {first} and closes on line {last}?), so its later lines are not "
        "read as records (each is reported on its own)"
    )  # fmt: skip
    swallowed = [(first + offset, line) for offset, line in enumerate(lines.record[1:], 1)]
    yield from _unread(
        swallowed, source, kind, number, f"inside the record that starts on line {first}, "
        "which is not one"
    )  # fmt: skip


def _opening_line(record: list[str], first: int) -> int:
    """The line where the record's last, unclosed quote opens.

    Walks the quote characters only: outside a quoted cell a quote opens one, inside it a
    doubled quote stands for one and a single quote closes it.
    """
    opened = first
    inside = False
    for offset, line in enumerate(record):
        at = line.find('"')
        while at != -1:
            if not inside:
                inside, opened = True, first + offset
            elif line.startswith('"', at + 1):
                at += 1  # a doubled quote inside the cell
            else:
                inside = False
            at = line.find('"', at + 1)
    return opened


def _too_large(lines: _Lines, source: str, kind: RecordKind, number: int) -> Iterator[RecordError]:
    first = lines.first
    yield malformed(
        kind, source, number, first, f"the record is longer than {MAX_RECORD_CHARS:,} "
        "characters (an unclosed quote?); it and the rest of the file are not read (each "
        "later line is reported on its own)"
    )  # fmt: skip
    yield from _unread(
        lines.rest(), source, kind, number, f"after the record on line {first}, which is too "
        "long to read"
    )  # fmt: skip


def _unread(
    numbered: Iterator[tuple[int, str]] | list[tuple[int, str]],
    source: str,
    kind: RecordKind,
    number: int,
    why: str,
) -> Iterator[RecordError]:
    for line_number, line in numbered:
        if line.strip():
            number += 1
            yield malformed(kind, source, number, line_number, f"line not read: {why}")


def _bad_cell(
    kind: RecordKind, source: str, number: int, line: int, *, header: list[str], row: list[str]
) -> RecordError:
    index = next(i for i, cell in enumerate(row) if has_bad_bytes(cell))
    name = _printable(header[index])
    return malformed(
        kind,
        source,
        number,
        line,
        f"{name}: not valid UTF-8: {_show(row[index])}: {OTHER_ENCODING}",
        field=name,
    )
