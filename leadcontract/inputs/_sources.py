"""One door for every record source: files by suffix, DataFrames, cursors, iterables.

:func:`rows_from` decides what a source is and hands it to its reader; each reader yields
:class:`RawRecord` values (and error rows for what cannot be read), and from there every source
goes through the same coercion, the same error rows and the same counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from leadcontract.inputs._columnar import (
    COLUMNAR_SUFFIXES,
    is_frame,
    rows_from_file,
    rows_from_frame,
)
from leadcontract.inputs._csv import read_csv_header
from leadcontract.inputs._dbapi import is_cursor, rows_from_cursor
from leadcontract.inputs._mapping import rows_from_iterable
from leadcontract.inputs._readers import INPUT, read_rows
from leadcontract.inputs._text import InputFileError, malformed
from leadcontract.inputs._types import RawRecord, RecordError, RecordKind

__all__ = ["FILE_SUFFIXES", "Source", "rows_from", "sample_columns"]

Source = str | Path | Iterable[Mapping[str, Any]] | Any
"""A file (CSV, JSON Lines, JSON, Parquet, Arrow) or a list of files, a pandas or polars
DataFrame, an Arrow table, a DB-API cursor after ``execute``, or an iterable of mappings
(``sqlite3.Row`` and SQLAlchemy rows included)."""

FILE_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json", *COLUMNAR_SUFFIXES)
"""Suffixes of the files :func:`rows_from` reads."""


def rows_from(source: Source, *, kind: RecordKind) -> Iterator[RawRecord | RecordError]:
    """The raw records of any supported source, lazily, with error rows for unreadable ones."""
    if isinstance(source, str | Path):
        path = Path(source)
        if path.suffix.lower() in COLUMNAR_SUFFIXES:
            return _numbered(rows_from_file(path), kind, str(source))
        return read_rows(path, kind=kind)
    if isinstance(source, list | tuple) and source and all(map(_is_file_name, source)):
        return _chained(source, kind)
    if is_frame(source):
        return _numbered(rows_from_frame(source), kind, f"<{type(source).__name__}>")
    if is_cursor(source):
        return _numbered(rows_from_cursor(source), kind, "<cursor>")
    if isinstance(source, Iterable) and not isinstance(source, bytes | Mapping):
        return rows_from_iterable(source, kind=kind, source=INPUT)
    raise TypeError(
        f"cannot read records from a {type(source).__name__}; give a file path, a DataFrame, "
        "a DB-API cursor or an iterable of mappings"
    )


def _is_file_name(item: object) -> bool:
    """A path, or text that names a file of a readable kind (not a junk record)."""
    if isinstance(item, Path):
        return True
    return isinstance(item, str) and Path(item).suffix.lower() in FILE_SUFFIXES


def _chained(paths: Sequence[str | Path], kind: RecordKind) -> Iterator[RawRecord | RecordError]:
    """Several files read one after the other (a Task export, then a LeadHistory export)."""
    for path in paths:
        yield from rows_from(path, kind=kind)


def _numbered(
    rows: Iterator[dict[str, Any]], kind: RecordKind, source: str
) -> Iterator[RawRecord | RecordError]:
    number = 0
    try:
        for number, row in enumerate(rows, start=1):
            yield RawRecord(source, number, None, row)
    except (ValueError, OSError) as error:  # pyarrow's ArrowInvalid is a ValueError
        if isinstance(error, FileNotFoundError):
            raise
        yield malformed(
            kind,
            source,
            number + 1,
            None,
            f"cannot read further: {error}; the rest of the source cannot be read",
        )


SAMPLE_ROWS = 100
"""Records a sample's columns are gathered from (JSON records may differ in their keys)."""


def sample_columns(source: Source, *, kind: RecordKind) -> frozenset[str]:
    """The column names of an export sample: a CSV's header; else its first records' keys,
    nested objects as dotted names too (``Owner.Alias``). A sample none of whose records can
    be read (a JSON API page, bad bytes) is refused with the first one's error
    (:class:`InputFileError`)."""
    names: set[str] = set()
    if isinstance(source, str | Path) and Path(source).suffix.lower() == ".csv":
        header = read_csv_header(Path(source), str(source)) or []
        return frozenset(name for name in header if name.strip())
    unreadable: RecordError | None = None
    for number, row in enumerate(rows_from(source, kind=kind)):
        if number >= SAMPLE_ROWS:
            break
        if isinstance(row, RawRecord):
            names.update(_dotted(row.data, ""))
        elif unreadable is None:
            unreadable = row
    if not names and unreadable is not None:  # else every mapped column would seem missing
        raise InputFileError(unreadable.source, unreadable.line, unreadable.message)
    return frozenset(names)


def _dotted(data: Mapping[str, Any], prefix: str) -> Iterator[str]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        yield name
        if isinstance(value, Mapping):
            yield from _dotted(value, name + ".")
