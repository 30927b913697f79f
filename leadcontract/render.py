"""A run's items made into what its outputs hold, by whoever evaluated them.

Encoding a verdict (JSON Lines, a CSV row, a Parquet row, an audit entry) costs about half as
much as judging it, so it is done where the verdict is made: in the process that evaluated it.
:class:`Renderer` turns one verdict or error row into a :class:`Rendered` (plain text and
values, cheap to send between processes); :class:`VerdictSink` writes those in order to the
output. ``evaluate`` with one process and with ``--workers N`` go through the same two steps,
so the bytes cannot differ.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any, NamedTuple, TextIO

from leadcontract.columns import Column, flat_row, select_columns, verdict_columns
from leadcontract.inputs import RecordError
from leadcontract.model import Contract
from leadcontract.parquet_out import ParquetVerdictWriter
from leadcontract.pii import PiiPolicy
from leadcontract.safe_text import printable
from leadcontract.store import evaluation_line
from leadcontract.verdict import Verdict
from leadcontract.writers import csv_row, error_json, table, verdict_json

__all__ = ["OutputSpec", "Rendered", "Renderer", "VerdictSink"]


@dataclass(frozen=True)
class OutputSpec:
    """What a run writes (picklable, so worker processes can render their share)."""

    format: str = "jsonl"
    """``jsonl``, ``csv``, ``table`` or ``parquet``."""
    columns: tuple[str, ...] | None = None
    """Flat column names for csv, table and Parquet; None: all of the contract's."""
    raw_csv: bool = False
    audit: bool = False
    """Whether each item's audit-store entry is rendered too."""
    audit_key: bytes | None = None
    """The store's key for lead-id pseudonyms (see :mod:`leadcontract.pii`)."""
    reveal_pii: bool = False

    def flat_columns(self, contract: Contract) -> tuple[Column, ...]:
        available = verdict_columns(contract)
        if self.columns is None:
            return available
        return select_columns(available, list(self.columns))


class Rendered(NamedTuple):
    """One item as its outputs hold it.

    ``verdict`` is the output's piece for a verdict (a JSON line or CSV line with its newline,
    a table's cells, a Parquet row's typed values), None for an error row; ``error`` is an
    error row's JSON line, ``shown`` its text for the terminal; ``audit`` the audit store's
    entry line (when the run records one).
    """

    verdict: str | list[str] | dict[str, Any] | None
    error: str | None
    shown: str | None
    audit: bytes | None


class Renderer:
    """Render items for one :class:`OutputSpec` of one contract."""

    def __init__(self, spec: OutputSpec, contract: Contract) -> None:
        self.spec = spec
        self._columns = spec.flat_columns(contract)
        self._policy = (
            PiiPolicy.of(contract, key=spec.audit_key)
            if spec.audit and not spec.reveal_pii
            else None
        )
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\n")
        pieces: dict[str, Callable[[Verdict], str | list[str] | dict[str, Any]]] = {
            "jsonl": self._jsonl,
            "csv": self._csv_line,
            "table": self._cells,
            "parquet": self._parquet,
        }
        self._piece = pieces[spec.format]

    def __call__(self, item: Verdict | RecordError) -> Rendered:
        audit = evaluation_line(item, self._policy) if self.spec.audit else None
        if isinstance(item, RecordError):
            return Rendered(None, error_json(item) + "\n", printable(str(item)), audit)
        return Rendered(self._piece(item), None, None, audit)

    def _jsonl(self, verdict: Verdict) -> str:
        return verdict_json(verdict) + "\n"

    def _csv_line(self, verdict: Verdict) -> str:
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        self._csv.writerow(csv_row(verdict, self._columns, raw=self.spec.raw_csv).values())
        return buffer.getvalue()

    def _cells(self, verdict: Verdict) -> list[str]:
        # raw: the table makes every cell printable itself
        return list(csv_row(verdict, self._columns, raw=True).values())

    def _parquet(self, verdict: Verdict) -> dict[str, Any]:
        return flat_row(verdict, self._columns)


class VerdictSink:
    """Write rendered verdicts, in order, to a run's output (``close`` when done)."""

    def __init__(self, spec: OutputSpec, contract: Contract, out: TextIO) -> None:
        self._columns = spec.flat_columns(contract)
        self._out = out
        self._format = spec.format
        self._rows: list[Sequence[str]] = []
        self._parquet: ParquetVerdictWriter | None = None
        if spec.format == "parquet":
            binary: IO[bytes] = out.buffer
            self._parquet = ParquetVerdictWriter(binary, self._columns)
        elif spec.format == "csv":
            out.write(_csv_line([column.name for column in self._columns]))

    def write(self, piece: str | list[str] | dict[str, Any]) -> None:
        if isinstance(piece, str):
            self._out.write(piece)
        elif isinstance(piece, list):
            self._rows.append(piece)
        elif self._parquet is not None:
            self._parquet.write_row(piece)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        elif self._format == "table":
            self._out.write(table(self._rows, [column.name for column in self._columns]))


def _csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()
