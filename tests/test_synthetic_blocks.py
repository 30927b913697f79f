"""Synthetic data made in blocks on several processes: the bytes of one stream."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from leadcontract import synthetic
from leadcontract.synthetic import COLUMNS, generate, write_dataset


def streamed(n: int) -> tuple[bytes, bytes]:
    """The two files as one process streaming :func:`generate` writes them."""
    leads = io.StringIO()
    writer = csv.writer(leads, lineterminator="\n")
    writer.writerow(COLUMNS)
    events: list[str] = []
    strays: list[str] = []
    for lead in generate(n):
        writer.writerow([lead.row[c] for c in COLUMNS])
        events += [json.dumps(e, ensure_ascii=False) + "\n" for e in lead.events]
        strays += [json.dumps(e, ensure_ascii=False) + "\n" for e in lead.stray_events]
    return leads.getvalue().encode(), "".join(events + strays).encode()


def test_blocks_on_two_processes_give_the_bytes_of_one_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synthetic, "BLOCK", 100)
    leads, events = write_dataset(tmp_path / "two", 250, workers=2)
    one = write_dataset(tmp_path / "one", 250, workers=1)
    assert (leads.read_bytes(), events.read_bytes()) == streamed(250)
    assert (one[0].read_bytes(), one[1].read_bytes()) == streamed(250)
    rows = list(csv.DictReader(io.StringIO(leads.read_text(encoding="utf-8"))))
    assert [row["Id"] for row in rows] == [f"L{i:06d}" for i in range(1, 251)]
    ids = [json.loads(line)["lead_id"] for line in events.read_text(encoding="utf-8").splitlines()]
    assert ids == sorted(ids)  # grouped by lead; the strays of every block last, ascending
    assert any(i.startswith("L9") for i in ids)


def test_each_block_has_its_own_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synthetic, "BLOCK", 100)
    leads = list(generate(200))
    first, second = leads[:100], leads[100:]
    assert [lead.row["Email"] for lead in first] != [lead.row["Email"] for lead in second]
    created = [lead.row["CreatedDate"] for lead in leads]
    assert created == sorted(created)  # creation times still ascend across blocks
