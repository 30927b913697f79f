"""Reading rows: files (CSV, JSON Lines, JSON) to raw records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

from leadcontract.inputs._csv import read_csv as _read_csv
from leadcontract.inputs._json import read_json as _read_json
from leadcontract.inputs._json import read_jsonl as _read_jsonl
from leadcontract.inputs._types import RawRecord, RecordError, RecordKind

INPUT: Final = "<input>"
"""The source name of records that come from a Python iterable."""


def read_rows(path: Path | str, *, kind: RecordKind) -> Iterator[RawRecord | RecordError]:
    """Read the records of a file, lazily, by its suffix.

    * ``.csv``: a header row, then one record per row (cells spanning lines when quoted). A row
      with more cells than the header is a ``malformed`` error row; cells missing at the end of
      a shorter row are absent from the record. Blank lines are skipped. Cells of any length
      are read whole; a quoted cell that is never closed is an error row, and so is each line
      it swallowed (every physical line is accounted for). A header with a duplicate column
      or bytes that are not UTF-8 raises :class:`InputFileError`.
    * ``.jsonl`` / ``.ndjson``: one JSON object per line; blank lines are skipped; a line that
      is not JSON, or JSON but not an object, is a ``malformed`` error row and reading goes on.
    * ``.json``: a JSON array of objects, or Salesforce's import tree / query result
      ``{"records": [{"attributes": {...}, ...}]}``; an ``attributes`` object (Salesforce's
      metadata) is dropped from each record. Read incrementally; ``line`` is where the record's
      ``{`` stands. A syntax error, a duplicate key of the wrapper or data after the top-level
      value ends the file with one ``malformed`` error row, since the records after it cannot
      be told apart.

    In JSON Lines and JSON, a record with a duplicate key or a lone surrogate escape
    (``"\\ud800"``) is a ``malformed`` error row naming the key.

    Text must be UTF-8 (a byte order mark is allowed); a record with bytes that are not UTF-8
    is a ``malformed`` error row, and reading goes on. A UTF-16 or UTF-32 file, or one with two
    byte order marks, raises :class:`InputFileError` when iteration starts (before any record).
    An unknown suffix raises :class:`ValueError` at once; a file that cannot be opened raises
    :class:`OSError` when iteration starts.
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
