"""Verdicts as text: JSON Lines, CSV rows and a fixed-width table. Pure functions; the CLI
(or the caller) decides where the text goes.

JSON Lines carry the whole verdict (with its trace unless it was evaluated without one); CSV
and the table flatten the fields people sort and filter on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from leadcontract._json_text import encodable, plain_line, record_line
from leadcontract.columns import BASE_COLUMNS, Column, flat_row
from leadcontract.inputs import RecordError
from leadcontract.safe_text import guard_csv_cell, printable
from leadcontract.verdict import Verdict, format_instant

__all__ = ["CSV_COLUMNS", "csv_row", "error_json", "table", "verdict_json"]


CSV_COLUMNS: tuple[str, ...] = tuple(column.name for column in BASE_COLUMNS)
"""The lead's own columns; a run's CSV adds each SLA's and spiff's (see
:func:`leadcontract.columns.verdict_columns`)."""


def verdict_json(verdict: Verdict) -> str:
    """One verdict as one line of JSON (no trailing newline); identical input, identical bytes."""
    return record_line(verdict)


def error_json(error: RecordError) -> str:
    """One error row as one line of JSON."""
    return plain_line(error.to_dict())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "astimezone"):
        return format_instant(value)
    if isinstance(value, float):
        return f"{value:.15g}"  # scores have two decimals; `:g` would keep only 6 digits
    return encodable(str(value))


def csv_row(
    verdict: Verdict, columns: Sequence[Column] = BASE_COLUMNS, *, raw: bool = False
) -> dict[str, str]:
    """The verdict's ``columns`` as text (ISO 8601 instants in UTC, ``true``/``false``).

    Cells a spreadsheet would run as a formula are guarded (see
    :func:`leadcontract.safe_text.guard_csv_cell`) unless ``raw``.
    """
    values = flat_row(verdict, columns)
    if raw:
        return {name: _text(value) for name, value in values.items()}
    return {name: guard_csv_cell(_text(value)) for name, value in values.items()}


def table(rows: Iterable[Sequence[str]], header: Sequence[str]) -> str:
    """A plain fixed-width table (numbers right-aligned), every cell made
    :func:`~leadcontract.safe_text.printable` so that no value can break a row or the
    terminal."""
    header = [printable(str(h)) for h in header]
    body = [[printable(str(cell)) for cell in row] for row in rows]
    widths = [len(h) for h in header]
    for row in body:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if _numeric(cell) else cell.ljust(width)
            for cell, width in zip(cells, widths, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(header), line(["-" * w for w in widths]), *(line(row) for row in body)]
    return "\n".join(out) + "\n"


def _numeric(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
