"""Verdicts as a Parquet file: the flat columns (:mod:`leadcontract.columns`), typed.

Needs pyarrow (the ``columnar`` extra). Rows are written in row groups of
:data:`ROWS_PER_GROUP`, so memory stays flat however many leads a run has.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import IO, Any, Self

from leadcontract.columns import Column, ColumnKind, flat_row
from leadcontract.errors import LeadcontractError
from leadcontract.verdict import Verdict

__all__ = ["ROWS_PER_GROUP", "ParquetUnavailableError", "ParquetVerdictWriter"]

ROWS_PER_GROUP = 10_000


class ParquetUnavailableError(LeadcontractError):
    """Parquet output was asked for, but pyarrow is not installed."""

    def __init__(self) -> None:
        super().__init__("Parquet output needs pyarrow: pip install 'leadcontract[columnar]'")


def _arrow() -> Any:
    try:
        import pyarrow  # noqa: PLC0415 - an optional extra
        import pyarrow.parquet  # noqa: PLC0415 - loads the submodule
    except ImportError as error:
        raise ParquetUnavailableError from error
    return pyarrow


def _type(pa: Any, kind: ColumnKind) -> Any:
    return {
        "text": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "decimal": pa.decimal128(20, 2),
        "boolean": pa.bool_(),
        "instant": pa.timestamp("us", tz="UTC"),
    }[kind]


class ParquetVerdictWriter:
    """Write verdicts' flat rows to a binary stream as one Parquet file."""

    def __init__(self, sink: IO[bytes], columns: Sequence[Column]) -> None:
        pa = _arrow()
        self._pa = pa
        self._columns = tuple(columns)
        self._schema = pa.schema([pa.field(c.name, _type(pa, c.kind)) for c in self._columns])
        self._writer = pa.parquet.ParquetWriter(sink, self._schema)
        self._rows: list[dict[str, Any]] = []

    def write(self, verdict: Verdict) -> None:
        self.write_row(flat_row(verdict, self._columns))

    def write_row(self, row: dict[str, Any]) -> None:
        """Write one verdict's flat row (:func:`leadcontract.columns.flat_row`), e.g. made
        by another process."""
        self._rows.append(row)
        if len(self._rows) >= ROWS_PER_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            table = self._pa.Table.from_pylist(self._rows, schema=self._schema)
            self._writer.write_table(table)
            self._rows = []

    def close(self) -> None:
        """Write what is left and the file's footer (an empty run still gives a valid file)."""
        self._flush()
        self._writer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
