"""Tables for people: on a terminal, drawn by rich (bold headings, numbers right-aligned,
colour unless ``NO_COLOR`` is set); anywhere else, the plain aligned text that scripts and
files get (:func:`leadcontract.writers.table`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TextIO

from leadcontract.writers import table

__all__ = ["write_table"]

_NUMERIC = re.compile(r"^[-+]?[\d,.]+%?$")


def write_table(
    stream: TextIO, title: str, header: Sequence[str], rows: Sequence[Sequence[str]]
) -> None:
    """``rows`` under ``header`` with ``title`` above, as the stream deserves."""
    if not stream.isatty():
        stream.write("\n".join([title, "", table(rows, header)]))
        return
    from rich.console import Console  # noqa: PLC0415 - only for terminals
    from rich.table import Table  # noqa: PLC0415

    drawn = Table(title=title, title_justify="left", header_style="bold cyan", box=None)
    for index, name in enumerate(header):
        numeric = bool(rows) and all(
            _NUMERIC.match(row[index]) or row[index] == "-" for row in rows
        )
        drawn.add_column(name, justify="right" if numeric else "left")
    for row in rows:
        drawn.add_row(*row)  # cells are escaped text already: no rich markup in them
    Console(file=stream, highlight=False, markup=False).print(drawn)
