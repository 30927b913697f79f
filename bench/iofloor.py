"""The I/O floor: only parse the same files, with the fastest parsers here.

The leads CSV with polars (every column as text, as the engine reads it) and the events'
JSON Lines with msgspec (one object per line). Nothing is evaluated: what no evaluation of
these files can go below.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import polars as pl


def run(leads_path: Path, events_path: Path) -> tuple[int, int]:
    """Parse both files; return (leads, events) read."""
    leads = pl.read_csv(leads_path, infer_schema=False)
    decode = msgspec.json.Decoder().decode
    events = 0
    with events_path.open("rb") as lines:
        for line in lines:
            decode(line)
            events += 1
    return leads.height, events
