"""Lead records and activity events in: read rows from files or iterables, coerce them to types.

The input layer of the evaluation engine. Its rule: nothing is lost on bad input. Every input
record comes out either as a typed record or as a :class:`RecordError` (an *error row*) naming
the source, the record's ordinal and line, the field and the reason; never as a traceback.

Two steps, so that every source shares one set of coercion rules:

* :func:`rows_from` is the one door: files by suffix (:func:`read_rows` for CSV, JSON Lines,
  JSON; Parquet and Arrow with the ``columnar`` extra), pandas and polars DataFrames, Arrow
  tables, DB-API cursors, and iterables of mappings or database rows
  (:func:`rows_from_iterable`). Each yields :class:`RawRecord` values as read, or error rows
  for what cannot be read at all (a malformed JSON line, a CSV row with too many cells, bytes
  that are not UTF-8). Files are streamed: memory stays constant however long the file is.
* :class:`LeadCoercer` turns a raw lead into a dict of typed contract fields (reading each field
  from its contract name or its CRM ``source`` column, applying ``value_map`` and allowed values);
  :class:`EventCoercer` turns a raw activity event into an :class:`Event`. Both report every
  problem of a record, one error row per field.

Counts reconcile: for every source, records read = typed records + error rows.
"""

from __future__ import annotations

from leadcontract.inputs._coerce import EventCoercer, LeadCoercer
from leadcontract.inputs._columnar import COLUMNAR_SUFFIXES
from leadcontract.inputs._csv import read_csv_header
from leadcontract.inputs._mapping import rows_from_iterable
from leadcontract.inputs._readers import INPUT as INPUT
from leadcontract.inputs._readers import read_rows
from leadcontract.inputs._sources import FILE_SUFFIXES, Source, rows_from, sample_columns
from leadcontract.inputs._text import InputFileError
from leadcontract.inputs._types import (
    ERROR_CODES,
    EVENT_ATTRIBUTES,
    ErrorCode,
    Event,
    RawRecord,
    RecordError,
    RecordKind,
)

__all__ = [
    "COLUMNAR_SUFFIXES",
    "ERROR_CODES",
    "EVENT_ATTRIBUTES",
    "FILE_SUFFIXES",
    "ErrorCode",
    "Event",
    "EventCoercer",
    "InputFileError",
    "LeadCoercer",
    "RawRecord",
    "RecordError",
    "RecordKind",
    "Source",
    "read_csv_header",
    "read_rows",
    "rows_from",
    "rows_from_iterable",
    "sample_columns",
]
