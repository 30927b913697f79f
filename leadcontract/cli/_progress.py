"""Progress on the terminal while records are read: a bar with the count, the total when it
can be known cheaply, and the time left (rich). Off when standard error is not a terminal, so
logs and pipes get nothing but the results."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeVar

__all__ = ["estimate_records", "with_progress"]

T = TypeVar("T")

_EVERY = 200
"""Items between updates of the bar: drawing costs far more than one verdict."""


def estimate_records(path: Path | None) -> int | None:
    """About how many records ``path`` holds: its lines (less the header, for CSV), counted
    in binary chunks; None for formats whose count is not a line count."""
    if path is None or path.suffix.lower() not in (".csv", ".jsonl", ".ndjson"):
        return None
    try:
        with path.open("rb") as handle:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
            handle.seek(0, 2)
            if handle.tell() and not _ends_with_newline(path):
                lines += 1
    except OSError:
        return None
    return max(0, lines - 1) if path.suffix.lower() == ".csv" else lines


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, 2)
        return handle.read(1) == b"\n"


def with_progress(
    items: Iterable[T], *, total: int | None, label: str, enabled: bool | None = None
) -> Iterator[T]:
    """Pass ``items`` through, drawing a progress bar on standard error when it is a terminal
    (or when ``enabled`` says so)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield from items
        return
    from rich.console import Console  # noqa: PLC0415 - only for terminals
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=total)
        count = 0
        for item in items:
            count += 1
            if count % _EVERY == 0:
                progress.update(task, completed=count, total=max(total or 0, count) or None)
            yield item
        progress.update(task, completed=count, total=max(total or 0, count))
