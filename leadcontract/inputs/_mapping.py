"""Rows as Python objects: mappings, database rows, and the plain values inside them.

Every source that is not a text file ends here: an iterable of mappings as given, rows of a
database cursor, rows of a DataFrame. Values are made plain on the way in (numpy scalars to
Python numbers, NaN/NaT/NA to ``None``, pandas timestamps to datetimes), so that the one
coercion layer sees the same kinds of values whatever the source, and a DataFrame gives the
same verdicts as the CSV it was read from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from leadcontract.inputs._messages import _describe
from leadcontract.inputs._readers import INPUT
from leadcontract.inputs._text import malformed
from leadcontract.inputs._types import RawRecord, RecordError, RecordKind

__all__ = ["as_mapping", "plain", "rows_from_iterable"]


def plain(value: Any) -> Any:
    """A value as the coercion layer expects it: built-in types, ``None`` for missing."""
    if value is None or value.__class__ in (str, int, bool):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        return plain(item())  # numpy scalars, including NaN and NaT
    if isinstance(value, datetime):
        if value != value:  # noqa: PLR0124 - pandas.NaT is unequal to itself
            return None
        to_pydatetime = getattr(value, "to_pydatetime", None)
        return to_pydatetime() if to_pydatetime is not None else value
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas.NA / NaT
        return None
    return value


def as_mapping(item: Any) -> Mapping[str, Any] | None:
    """A row as a mapping: mappings as they are; rows with ``keys()`` (``sqlite3.Row``) and
    rows with ``_mapping`` (SQLAlchemy) as dicts; ``None`` for anything else."""
    if isinstance(item, Mapping):
        return item
    mapping = getattr(item, "_mapping", None)
    if isinstance(mapping, Mapping):
        return mapping
    keys = getattr(item, "keys", None)
    if callable(keys) and hasattr(item, "__getitem__"):
        try:
            return {key: item[key] for key in keys()}
        except (KeyError, IndexError, TypeError):
            return None
    return None


def rows_from_iterable(
    items: Iterable[Any], *, kind: RecordKind, source: str = INPUT
) -> Iterator[RawRecord | RecordError]:
    """Wrap Python rows as raw records; anything that is not a row is an error row."""
    for number, item in enumerate(items, start=1):
        mapping = as_mapping(item)
        if mapping is not None:
            yield RawRecord(source, number, None, mapping)
        else:
            yield malformed(
                kind,
                source,
                number,
                None,
                f"expected a mapping of field names to values, got {_describe(item)}",
            )
