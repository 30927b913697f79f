"""Database rows in: any PEP 249 (DB-API 2.0) cursor after ``execute``.

The column names come from ``cursor.description``; rows are fetched in batches with
``fetchmany`` so that memory stays flat however large the result. ``sqlite3``, psycopg,
mysqlclient and the other DB-API drivers all work the same way. (A SQLAlchemy result is an
iterable of rows and goes through :mod:`leadcontract.inputs._mapping`.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from leadcontract.inputs._mapping import plain

__all__ = ["BATCH", "is_cursor", "rows_from_cursor"]

BATCH = 1000
"""Rows fetched at a time."""


def is_cursor(source: object) -> bool:
    """Whether ``source`` looks like a DB-API cursor (``description`` and ``fetchmany``)."""
    return hasattr(source, "description") and callable(getattr(source, "fetchmany", None))


def rows_from_cursor(cursor: Any) -> Iterator[dict[str, Any]]:
    """The cursor's rows as dicts of column name to plain value."""
    description = cursor.description
    if description is None:
        raise ValueError("the cursor has no result set: run a SELECT on it first")
    names = [column[0] for column in description]
    while True:
        batch = cursor.fetchmany(BATCH)
        if not batch:
            return
        for row in batch:
            values = row if isinstance(row, tuple) else tuple(row)
            yield {name: plain(value) for name, value in zip(names, values, strict=False)}
