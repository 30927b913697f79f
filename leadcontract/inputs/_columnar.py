"""Columnar data in: Parquet and Arrow files, Arrow tables, pandas and polars DataFrames.

These need the optional extra ``columnar`` (``pip install leadcontract[columnar]``), and each
library is imported only when such a source is given. Rows are produced batch by batch (a
Parquet file is never read whole) and their values made plain by
:func:`leadcontract.inputs._mapping.plain`: ``NaN``, ``NaT`` and ``None`` are missing values,
numpy numbers are Python numbers, timestamps are datetimes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from leadcontract.inputs._mapping import plain

__all__ = ["COLUMNAR_SUFFIXES", "is_frame", "rows_from_file", "rows_from_frame"]

COLUMNAR_SUFFIXES: Final = (".parquet", ".arrow", ".feather", ".ipc")
"""File suffixes read as Parquet (``.parquet``) or Arrow IPC (the others)."""

BATCH: Final = 4096


class ColumnarUnavailableError(ImportError):
    """The optional extra ``columnar`` (pyarrow) is not installed."""


def _pyarrow() -> Any:
    try:
        import pyarrow  # noqa: PLC0415 - an optional extra, imported when used
    except ImportError as error:
        raise ColumnarUnavailableError(
            "reading Parquet and Arrow needs pyarrow: pip install 'leadcontract[columnar]'"
        ) from error
    return pyarrow


def is_frame(source: object) -> bool:
    """Whether ``source`` is a pandas or polars DataFrame, or an Arrow table or batch."""
    module = type(source).__module__.partition(".")[0]
    name = type(source).__name__
    return (module in ("pandas", "polars") and name == "DataFrame") or (
        module == "pyarrow" and name in ("Table", "RecordBatch")
    )


def rows_from_frame(frame: Any) -> Iterator[dict[str, Any]]:
    """The rows of a DataFrame or Arrow table as dicts of plain values."""
    module = type(frame).__module__.partition(".")[0]
    if module == "polars":
        for row in frame.iter_rows(named=True):
            yield {key: plain(value) for key, value in row.items()}
        return
    if module == "pyarrow":
        for batch in frame.to_batches(BATCH) if hasattr(frame, "to_batches") else [frame]:
            for row in batch.to_pylist():
                yield {key: plain(value) for key, value in row.items()}
        return
    columns = [str(column) for column in frame.columns]
    if len(set(columns)) != len(columns):
        raise ValueError("the DataFrame has duplicate column names")
    for start in range(0, len(frame), BATCH):
        chunk = frame.iloc[start : start + BATCH]
        for values in chunk.itertuples(index=False, name=None):
            yield {name: plain(value) for name, value in zip(columns, values, strict=True)}


def rows_from_file(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a Parquet or Arrow IPC file, batch by batch."""
    pyarrow = _pyarrow()
    if path.suffix.lower() == ".parquet":
        from pyarrow import parquet  # noqa: PLC0415 - part of the optional extra

        with parquet.ParquetFile(path) as handle:
            for batch in handle.iter_batches(batch_size=BATCH):
                for row in batch.to_pylist():
                    yield {key: plain(value) for key, value in row.items()}
        return
    with pyarrow.memory_map(str(path)) as source:
        try:
            reader = pyarrow.ipc.open_file(source)
            batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
        except pyarrow.ArrowInvalid:
            source.seek(0)
            batches = iter(pyarrow.ipc.open_stream(source))
        for batch in batches:
            for row in batch.to_pylist():
                yield {key: plain(value) for key, value in row.items()}
