"""Spill files give back exactly what was put in, in order, whatever the values; and a second
pass over input rows reads them from one (the leads file is parsed once per run, whether the
run is one process or several workers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadcontract._spill import SpillFile
from leadcontract.cli import main
from leadcontract.inputs import RawRecord, RecordError, _readers

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "contracts" / "example"
DATA = EXAMPLE / "data"


def rows(count: int) -> list[RawRecord | RecordError]:
    """Rows as the readers give them, an error row among them every so often."""
    made: list[RawRecord | RecordError] = []
    for number in range(1, count + 1):
        if number % 97 == 0:
            made.append(
                RecordError("lead", "leads.csv", number, number + 1, None, None, "malformed", "x")
            )
        else:
            data = {"lead_id": f"L{number:06d}", "score": str(number), "note": "é\u2028"}
            made.append(RawRecord("leads.csv", number, number + 1, data))
    return made


@pytest.mark.parametrize("named", [False, True])
def test_rows_come_back_equal_and_in_order(tmp_path: Path, named: bool) -> None:
    written = rows(1000)  # several batches, some with an error row (pickled), most marshalled
    spill = SpillFile(tmp_path / "rows" if named else None, batch=64)
    for row in written:
        spill.add(row)
    spill.close()
    assert list(spill.read()) == written


def test_values_marshal_cannot_write_come_back_too(tmp_path: Path) -> None:
    instants = [(f"L{n}", datetime(2026, 10, 1, n % 24, tzinfo=UTC)) for n in range(300)]
    spill = SpillFile(tmp_path / "entries", rows=False, batch=32)
    for entry in instants:
        spill.add(entry)
    spill.close()
    assert list(spill.read()) == instants
    spill.remove()
    assert not (tmp_path / "entries").exists()


def test_kept_rows_pass_through_and_are_read_back() -> None:
    written = rows(500)
    spill = SpillFile()
    passed = list(spill.kept(iter(written)))
    assert passed == written
    assert spill.complete
    assert list(spill.read()) == written


def test_rows_kept_from_a_pass_that_stopped_early_are_not_complete() -> None:
    spill = SpillFile()
    kept = spill.kept(iter(rows(50)))
    next(kept)
    assert not spill.complete
    kept.close()
    spill.remove()


def count_csv_reads(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Each time a CSV file is parsed, a line in ``log`` (workers are forked: a file sees them)."""
    read_csv: Callable[[Path, str, Any], Iterator[RawRecord | RecordError]]
    read_csv = getattr(_readers, "_read_csv")  # noqa: B009 - a private name, for mypy

    def counted(path: Path, source: str, kind: Any) -> Iterator[RawRecord | RecordError]:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"{path.name}\n")
        return read_csv(path, source, kind)

    monkeypatch.setattr(_readers, "_read_csv", counted)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_leads_file_is_parsed_once_per_process_that_judges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """The capacity plan ranks every lead before the first verdict; its pass keeps the rows it
    read, and the evaluation reads them back instead of parsing the file again."""
    log = tmp_path / "reads.log"
    count_csv_reads(monkeypatch, log)
    out = tmp_path / "verdicts.jsonl"
    args = ["evaluate", str(EXAMPLE), "--leads", str(DATA / "leads.csv")]
    args += ["--events", str(DATA / "events.jsonl"), "--as-of", "2026-11-16T17:00:00Z"]
    code = main([*args, "--out", str(out), "--workers", str(workers), "--no-trace"])
    assert code == 0
    assert log.read_text(encoding="utf-8").splitlines() == ["leads.csv"] * workers
    lead_rows = (DATA / "leads.csv").read_bytes().count(b"\n") - 1  # the header aside
    assert out.read_bytes().count(b"\n") == lead_rows  # every lead judged: all rows read back
