"""``evaluate``'s ways to run, side by side on hostile input: the same bytes, counts that
reconcile, nothing left behind.

Every way to run (one process, ``--grouped``, ``--workers 2``, ``--spill``, ``--spill
--workers 2``; with and without traces; JSON Lines and CSV) must give the same verdicts, error
rows, summary and exit code as one process, whatever the input holds; and a run must leave no
temporary file behind and the caller's garbage collector as it found it. The input is the
example's data (a slice of it, to stay fast) mutated in the ways real exports go wrong.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import json
import multiprocessing
import os
import random
import shutil
import signal
import sqlite3
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcontract import parallel, store
from leadcontract._spill import SpillFile
from leadcontract.cli import evaluate as evaluate_module
from leadcontract.cli import main
from leadcontract.engine import compile_contract
from leadcontract.inputs import RawRecord, RecordError
from leadcontract.loader import load
from leadcontract.model import Contract
from leadcontract.writers import error_json, verdict_json

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "contracts" / "example"
DATA = EXAMPLE / "data"
AS_OF = "2026-11-16T17:00:00Z"


class _Capture(Protocol):
    """What :func:`evaluate` reads the command's printing from (pytest's ``capsys``)."""

    def readouterr(self) -> Any: ...


@dataclass(frozen=True)
class Outcome:
    """What one run gives a user: exit code, the three output files, what it printed."""

    code: int
    verdicts: bytes | None
    errors: bytes | None
    summary: dict[str, Any] | None
    printed: str
    complained: str


def evaluate(
    leads: Path,
    events: Path | None,
    folder: Path,
    *options: str,
    contract: Path = EXAMPLE,
    capsys: _Capture,
    exist_ok: bool = False,
) -> Outcome:
    """One ``evaluate`` run through the command line, its system temporary folder and
    ``--scratch`` both fresh, and checked empty once it ends."""
    folder.mkdir(parents=True, exist_ok=exist_ok)
    system_temp, scratch = folder / "tmp", folder / "scratch"
    system_temp.mkdir()
    scratch.mkdir()
    args = ["evaluate", str(contract), "--leads", str(leads), "--as-of", AS_OF]
    args += ["--events", str(events)] if events is not None else []
    out, errors, summary = folder / "verdicts", folder / "errors.jsonl", folder / "summary.json"
    args += ["--out", str(out), "--errors", str(errors), "--summary-json", str(summary)]
    args += ["--scratch", str(scratch), *options]
    previous, tempfile.tempdir = tempfile.tempdir, str(system_temp)
    try:
        code = main(args)
    finally:
        tempfile.tempdir = previous
    printed = capsys.readouterr()
    assert list(system_temp.iterdir()) == [], "a temporary file outlived the run"
    assert list(scratch.iterdir()) == [], "a scratch file outlived the run"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["tmp", "scratch", *(p.name for p in (out, errors, summary) if p.exists())]
    ), "an output's temporary file outlived the run"
    return Outcome(
        code,
        out.read_bytes() if out.exists() else None,
        errors.read_bytes() if errors.exists() else None,
        json.loads(summary.read_text(encoding="utf-8")) if summary.exists() else None,
        printed.out,
        printed.err,
    )


# --- the garbage collector of a program that calls the command -------------------------------


@pytest.fixture
def frozen_object() -> Iterator[list[str]]:
    """An object the calling program froze itself (a pre-forking server does), unfrozen after."""
    held = ["frozen by the caller"]
    gc.freeze()
    try:
        yield held
    finally:
        gc.unfreeze()


def _collector_tracks(held: object) -> bool:
    """Whether the collector's generations hold ``held`` (frozen objects are in none)."""
    return any(tracked is held for tracked in gc.get_objects())


def test_a_run_leaves_the_objects_its_caller_froze_frozen(
    frozen_object: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not _collector_tracks(frozen_object)
    thresholds = gc.get_threshold()
    outcome = evaluate(DATA / "leads.csv", DATA / "events.jsonl", tmp_path / "run", capsys=capsys)
    assert outcome.code == 0
    assert not _collector_tracks(frozen_object)
    assert gc.get_threshold() == thresholds
    assert gc.isenabled()


def test_a_run_leaves_a_disabled_collector_disabled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gc.disable()
    try:
        outcome = evaluate(DATA / "leads.csv", None, tmp_path / "run", capsys=capsys)
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert outcome.code == 0
    assert gc.get_freeze_count() == 0  # what the run froze, it unfroze


# --- hostile corpora: the example's first leads, mutated ---------------------------------------

LEADS_KEPT = 40
"""Leads of the example kept (ids L000001-L000040, with their events): fast enough to run
every corpus in every way."""


@dataclass(frozen=True)
class Corpus:
    """A leads file and an events file, both sorted by lead id (so ``--grouped`` runs too)."""

    leads: str | bytes
    events: str | bytes


def _example() -> tuple[list[str], list[list[str]], list[str]]:
    with (DATA / "leads.csv").open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    kept = {row[0] for row in rows[:LEADS_KEPT]}
    events = (DATA / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return header, rows[:LEADS_KEPT], [e for e in events if json.loads(e)["lead_id"] in kept]


HEADER, ROWS, EVENTS = _example()


def _example_contract() -> Contract:
    contract = load(EXAMPLE).contract
    assert contract is not None
    return contract


def _csv_text(rows: list[list[str]], header: list[str] = HEADER, end: str = "\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=end)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _row(index: int, **cells: str) -> list[str]:
    """Lead ``index`` with some cells (named by column) changed."""
    row = list(ROWS[index])
    for column, value in cells.items():
        row[HEADER.index(column)] = value
    return row


def _changed(changes: dict[int, list[list[str]]]) -> list[list[str]]:
    """The kept leads, each row at an index in ``changes`` replaced by the rows given."""
    rows: list[list[str]] = []
    for index, row in enumerate(ROWS):
        rows += changes.get(index, [row])
    return rows


def _with_events(extra: list[str], end: str = "\n") -> str:
    """The kept events with ``extra`` lines, each after the last event of the lead it names
    (a line naming none goes in the middle: the files stay sorted)."""
    lines = list(EVENTS)
    ids: list[object] = [json.loads(line)["lead_id"] for line in lines]
    for line in extra:
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            value = None
        lead_id = value.get("lead_id") if isinstance(value, dict) else None
        places = [n for n, known in enumerate(ids) if known == lead_id and lead_id is not None]
        place = places[-1] + 1 if places else len(lines) // 2
        lines.insert(place, line)
        ids.insert(place, lead_id)
    return end.join(lines) + end


def _event(lead_id: object, at: str = "2026-10-06T19:59:35Z", **more: object) -> str:
    return json.dumps({"lead_id": lead_id, "type": "touch", "at": at, **more})


def _one_id_orders() -> list[list[str]]:
    """Each lead's id on up to three records, each valid, not yet created (after as-of),
    an error row naming the id, or without an id: every sequence, one lead each."""
    kinds: list[dict[str, str]] = [
        {},
        {"CreatedDate": "2026-12-01T00:00:00Z"},
        {"NumberOfEmployees": "many"},
        {"Id": ""},
    ]
    sequences: list[tuple[int, ...]] = [(a,) for a in range(4)]
    sequences += [(a, b) for a in range(4) for b in range(4)]
    sequences += [(a, b, c) for a in range(4) for b in range(4) for c in range(4)]
    rows: list[list[str]] = []
    for index in range(len(ROWS)):
        sequence = sequences[(index * 7) % len(sequences)]
        rows += [_row(index, **kinds[kind]) for kind in sequence]
    return rows


def _text_corpora() -> dict[str, Corpus]:
    untouched = "\n".join(EVENTS) + "\n"
    deep = '{"a":' * 500 + "1" + "}" * 500
    return {
        "line and paragraph separators, NEL": Corpus(
            _csv_text(_changed({3: [_row(3, Company="Acme\u2028Inc", Title="V\u0085P")]})),
            _with_events([_event("L000004", actor="dana", note="a\u2028b\u0085c\u2029")]),
        ),
        "NUL in a cell and in a string": Corpus(
            _csv_text(_changed({3: [_row(3, Company="Ac\x00me")]})),
            _with_events([_event("L000004", note="a\x00b")]),
        ),
        "lone surrogates": Corpus(
            _csv_text(_changed({3: [_row(3, Company="Acme\udc80Inc")]})),
            _with_events(
                [
                    '{"lead_id": "L000005", "type": "touch", "at": '
                    '"2026-10-06T19:59:35Z", "note": "a\\ud800b"}'
                ]
            ),
        ),
        "byte order marks, CRLF": Corpus(
            "\ufeff" + _csv_text(ROWS, end="\r\n"), "\ufeff" + "\r\n".join(EVENTS) + "\r\n"
        ),
        "bare CR": Corpus(_csv_text(ROWS, end="\r"), "\r".join(EVENTS) + "\r"),
        "quoted cells with newlines": Corpus(
            _csv_text(_changed({5: [_row(5, Title="VP\nSales", Company='A, "B"\r\nC')]})),
            untouched,
        ),
        "numbers at the edges": Corpus(
            _csv_text(
                _changed(
                    {
                        n: [_row(n, **{column: value})]
                        for n, (column, value) in enumerate(
                            [
                                ("NumberOfEmployees", "1" + "0" * 40),
                                ("AnnualRevenue", "1e-5"),
                                ("AnnualRevenue", "1e308"),
                                ("AnnualRevenue", "-0.0"),
                                ("AnnualRevenue", "NaN"),
                                ("AnnualRevenue", "Infinity"),
                                ("AnnualRevenue", "1e309"),
                                ("NumberOfEmployees", "3.0"),
                                ("NumberOfEmployees", "-0"),
                                ("NumberOfEmployees", "1_000"),
                                ("AnnualRevenue", "5e-324"),
                                ("NumberOfEmployees", "\u0663"),
                            ],
                            start=1,
                        )
                    }
                )
            ),
            _with_events(
                [
                    f'{{"lead_id": "L0000{n:02d}", "type": "opportunity", '
                    f'"at": "2026-10-06T19:59:35Z", "{key}": {value}}}'
                    for n, (key, value) in enumerate(
                        [
                            ("amount", "1e-5"),
                            ("amount", "1e308"),
                            ("amount", "-0.0"),
                            ("amount", "NaN"),
                            ("amount", "Infinity"),
                            ("amount", "1" + "0" * 30),
                            ("seats", "1" + "0" * 30),
                            ("seats", "2.0"),
                            ("amount", "1e400"),
                            ("amount", "-Infinity"),
                            ("amount", "5e-324"),
                            ("seats", "true"),
                        ],
                        start=2,
                    )
                ]
            ),
        ),
        "duplicate ids, valid and invalid first, not yet created": Corpus(
            _csv_text(
                _changed(
                    {
                        0: [ROWS[0], _row(0, Company="Dup")],
                        1: [_row(1, NumberOfEmployees="lots"), ROWS[1]],
                        2: [_row(2, CreatedDate="2026-12-01T00:00:00Z"), ROWS[2]],
                        3: [ROWS[3], _row(3, CreatedDate="2026-12-01T00:00:00Z")],
                        4: [
                            _row(4, CreatedDate="2026-12-01T00:00:00Z"),
                            _row(4, NumberOfEmployees="x"),
                            ROWS[4],
                        ],
                        5: [_row(5, Id=" L000006 "), ROWS[5]],
                        6: [_row(6, Id="")],
                    }
                )
            ),
            untouched,
        ),
        "records of one id in every order": Corpus(_csv_text(_one_id_orders()), untouched),
        "events of every odd kind": Corpus(
            _csv_text(ROWS),
            _with_events(
                [
                    _event("L000002", at="2026-10-06T19:59:35"),
                    _event("L000002", at="2026-10-06T19:59:35+05:45", actor="dana"),
                    _event("L000002", at="2026-10-06T19:59:35-00:01"),
                    _event("L000002", at="0001-01-01T00:00:00Z"),
                    _event("L000002", at="9999-12-31T23:59:59Z"),
                    _event("L000002", at="2026-03-08T02:30:00"),  # in New York's DST gap
                    _event("L000002", at="2026-11-01T01:30:00"),  # and its fold
                    _event("L000002", at="2026-10-06T19:59:35.123456789Z"),
                    '{"lead_id": "L000002", "type": "touch", "at": 1700000000}',
                    '{"lead_id": "L000002", "type": "", "at": "2026-10-06T19:59:35Z"}',
                    '{"lead_id": "L000002", "type": "touch", "type": "meeting", "at": "2026"}',
                    '{"lead_id": "L000003", "type": "touch", "at": "2026-10-06T19:59:35Z", '
                    f'"note": {deep}}}',
                    _event("L000004", at="2026-11-16T17:00:00Z"),
                    _event("L000004", at="2026-11-16T17:00:00.000001Z"),
                    _event("L000004", nested={"x": [1, 2.5e-9, {"y": None}]}),
                    _event("L000007", at="2026-10-06T19:59:35Z", amount=-0.0),
                ]
            ),
        ),
        "a 10 MB line": Corpus(
            _csv_text(ROWS), _with_events([_event("L000003", note="x" * 10**7)])
        ),
        "unreadable event rows": Corpus(
            _csv_text(ROWS),
            _with_events(
                [
                    '"just a string"',
                    "",
                    "   ",
                    "{}",
                    '{"lead_id": null, "type": "touch", "at": "2026-10-06T19:59:35Z"}',
                    '{"lead_id": ["L000009"], "type": "touch", "at": "2026-10-06T19:59:35Z"}',
                    '{"lead_id": "L0000' + "[" * 3,
                    "[" * 100_000 + "]" * 100_000,
                ]
            ),
        ),
        "ids as JSON numbers and padded": Corpus(
            _csv_text([_row(n, Id=str(n + 1)) for n in range(9)]),
            "\n".join(
                _event(lead_id)
                for lead_id in (1, "1", " 1 ", 1.0, 2, True, 3, "3", 4, 5, 6, 7, 8, "9 ", 9)
            )
            + "\n",
        ),
        "header only": Corpus(_csv_text([]), ""),
        "empty files": Corpus("", ""),
        "a truncated last line": Corpus(_csv_text(ROWS)[:-25], "\n".join(EVENTS)[:-20]),
        "bytes that are not UTF-8": Corpus(
            _csv_text(ROWS).encode().replace(b"Keystone", b"Key\xffstone", 1),
            ("\n".join(EVENTS) + "\n").encode().replace(b"email_click", b"email\xe9click", 1),
        ),
        "columns in other case and spacing": Corpus(
            _csv_text(ROWS, header=[" id ", "EMAIL", *HEADER[2:]]).replace(
                "CreatedDate", "created date", 1
            ),
            "\n".join(e.replace('"lead_id"', '"Lead Id"', 1) for e in EVENTS[:40])
            + "\n"
            + "\n".join(EVENTS[40:])
            + "\n",
        ),
    }


def _one_partition_corpus() -> Corpus:
    """Every lead id in the same partition, whether a run makes 1, 2, 4 or 8 of them (the
    other partitions are empty)."""
    ids = sorted(f"C{n:05d}" for n in range(4000) if zlib.crc32(f"C{n:05d}".encode()) % 8 == 3)
    renamed = {row[0]: ids[n] for n, row in enumerate(ROWS)}
    events = [json.loads(line) for line in EVENTS]
    for event in events:
        event["lead_id"] = renamed[event["lead_id"]]
    events.sort(key=lambda event: str(event["lead_id"]))
    return Corpus(
        _csv_text([_row(n, Id=renamed[row[0]]) for n, row in enumerate(ROWS)]),
        "".join(json.dumps(event) + "\n" for event in events),
    )


CORPORA = {**_text_corpora(), "ids in one partition": _one_partition_corpus()}

MODES = {
    "grouped": ["--grouped"],
    "2 workers": ["--workers", "2"],
    "spilled": ["--spill"],
    "spilled on 2 workers": ["--spill", "--workers", "2"],
}
"""Each against one process."""

FORMATS = {"jsonl": [], "csv without traces": ["--format", "csv", "--no-trace"]}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("hostile")
    paths: dict[str, tuple[Path, Path]] = {}
    for number, (name, corpus) in enumerate(CORPORA.items()):
        leads, events = folder / f"{number}.csv", folder / f"{number}.jsonl"
        for path, text in ((leads, corpus.leads), (events, corpus.events)):
            path.write_bytes(
                text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
            )
        paths[name] = leads, events
    return paths


@pytest.fixture
def small_spills(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spilled runs make several partitions of the small corpora (the workers are forked)."""
    monkeypatch.setattr(parallel, "SPILL_BYTES", 8_000)


SLOW = frozenset({"a 10 MB line"})
"""Corpora run in one format only (each run reads them in every process)."""


@pytest.mark.parametrize(
    ("name", "fmt"),
    [(name, fmt) for name in CORPORA for fmt in FORMATS if name not in SLOW or fmt == "jsonl"],
)
def test_every_way_to_run_gives_the_same_bytes_on_hostile_input(
    name: str,
    fmt: str,
    *,
    corpora: dict[str, tuple[Path, Path]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    small_spills: None,
) -> None:
    leads, events = corpora[name]
    one = evaluate(leads, events, tmp_path / "one", *FORMATS[fmt], capsys=capsys)
    assert one.code in (0, 1), one.complained
    assert one.summary is not None
    counts = one.summary["counts"]
    assert counts["reconciles"] is True
    assert "traceback" not in one.complained.lower()
    error_rows = one.errors.count(b"\n") if one.errors else 0
    assert error_rows == counts["lead_errors"] + counts["event_errors"]
    assert (one.code == 1) == (error_rows > 0)
    for mode, options in MODES.items():
        other = evaluate(leads, events, tmp_path / mode, *FORMATS[fmt], *options, capsys=capsys)
        assert other == one, f"{mode} differs from one process"


def _audit_entries(store: Path) -> list[tuple[str, str | None, str]]:
    with sqlite3.connect(store) as conn:
        rows = conn.execute("SELECT kind, lead_id, payload FROM entries ORDER BY seq").fetchall()
    return [(kind, lead_id, payload) for kind, lead_id, payload in rows if kind != "run"]


def test_a_grouped_run_puts_event_error_rows_first_as_one_process_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One process reads every event before the first lead, so its event error rows come
    before the leads' (in the --errors file, on the terminal, in the audit store); a grouped
    run met them between the leads' items, and wrote them there."""
    leads, events = tmp_path / "leads.csv", tmp_path / "events.jsonl"
    leads.write_text(
        _csv_text(_changed({1: [_row(1, NumberOfEmployees="lots")], 30: [_row(30, Id="")]})),
        encoding="utf-8",
    )
    events.write_text(
        _with_events(['{"lead_id": "L000030", "type": "touch", "at": "soon"}']), encoding="utf-8"
    )
    runs = {
        mode: evaluate(
            leads,
            events,
            tmp_path / mode,
            *options,
            "--audit",
            str(tmp_path / f"{mode}.db"),
            capsys=capsys,
        )
        for mode, options in {"one": [], "grouped": ["--grouped"]}.items()
    }
    assert runs["grouped"] == runs["one"]
    assert runs["one"].errors is not None
    kinds = [json.loads(line)["kind"] for line in runs["one"].errors.splitlines()]
    assert kinds == ["event", "lead", "lead"]
    found = _audit_entries(tmp_path / "one.db")
    assert len(found) == LEADS_KEPT - 2 + 3  # the verdicts and the error rows
    assert _audit_entries(tmp_path / "grouped.db") == found


@pytest.mark.parametrize("spelling", ["same", "./same"], ids=["as given", "spelt otherwise"])
@pytest.mark.parametrize("mode", [[], ["--spill", "--workers", "2"]], ids=["one", "spilled"])
def test_an_events_file_named_twice_is_refused(
    spelling: str,
    mode: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Its events would count twice, and its error rows could not be told apart by file:
    spilled runs put them in another order than one process."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "same").mkdir()
    events = Path("same") / "events.jsonl"
    events.write_text(_with_events([_event("L000002", at="soon"), _event("L000003", at="x")]))
    leads = tmp_path / "leads.csv"
    leads.write_text(_csv_text(ROWS), encoding="utf-8")
    outcome = evaluate(
        leads,
        None,
        tmp_path / "run",
        *("--events", str(events), f"{spelling}/events.jsonl", *mode),
        capsys=capsys,
    )
    assert outcome.code == 2
    assert f"--events names {events} twice" in outcome.complained
    assert outcome.verdicts is None


def test_the_library_refuses_an_events_file_named_twice() -> None:
    with pytest.raises(ValueError, match=r"names events\.jsonl twice"):
        parallel.evaluate_partitioned(
            compile_contract(_example_contract()),
            DATA / "leads.csv",
            ["events.jsonl", Path("events.jsonl")],
            as_of=datetime(2026, 11, 16, 17, tzinfo=UTC),
            workers=2,
        )


@pytest.fixture(scope="module")
def integer_ids(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The example with integer lead ids, spelt with leading zeros in the leads file (as an
    export of a numeric key may) and as JSON numbers or text in the events: the coercer reads
    `0007` as the lead `7`, so its events are those naming 7."""
    folder = tmp_path_factory.mktemp("integer-ids")
    contract = folder / "contract"
    shutil.copytree(EXAMPLE, contract, ignore=shutil.ignore_patterns("data", "tests"))
    lead = contract / "lead.yaml"
    declared = "lead_id: {type: string, required: true, source: Id}"
    assert declared in lead.read_text(encoding="utf-8")
    lead.write_text(
        lead.read_text(encoding="utf-8").replace(declared, declared.replace("string", "integer")),
        encoding="utf-8",
    )
    number = {row[0]: int(row[0][1:]) for row in ROWS}
    leads = folder / "leads.csv"
    leads.write_text(
        _csv_text([_row(n, Id=f"{number[row[0]]:04d}") for n, row in enumerate(ROWS)]),
        encoding="utf-8",
    )
    events = folder / "events.jsonl"
    with events.open("w", encoding="utf-8") as out:
        for line in EVENTS:
            event = json.loads(line)
            lead_id = number[event["lead_id"]]
            event["lead_id"] = lead_id if lead_id % 2 else str(lead_id)
            out.write(json.dumps(event) + "\n")
    return contract, leads, events


@pytest.mark.parametrize("mode", list(MODES)[1:])
def test_ids_the_coercer_rewrites_go_to_the_partition_of_what_it_makes_of_them(
    mode: str,
    integer_ids: tuple[Path, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    small_spills: None,
) -> None:
    """Workers partitioned a lead row by its id as written (`0007`), and its events by theirs
    (`7`): the lead lost its events, and the merge found no row for the verdict of lead 7
    (an internal error, exit 3)."""
    contract, leads, events = integer_ids
    one = evaluate(leads, events, tmp_path / "one", contract=contract, capsys=capsys)
    assert one.code == 0, one.complained
    assert one.summary is not None
    assert one.summary["counts"]["events_used"] > len(EVENTS) * 0.9  # the ids did match
    other = evaluate(
        leads, events, tmp_path / "other", *MODES[mode], contract=contract, capsys=capsys
    )
    assert other == one


def _deep(levels: int) -> Any:
    return json.loads('{"a":' * levels + "1" + "}" * levels)


def test_a_deep_value_beside_an_error_row_is_spilled_and_read_back() -> None:
    """A batch holding an error row cannot be marshalled; pickling the whole batch instead
    ran out of recursion on a deeply nested value (600 levels: JSON readers take it) in the
    same batch."""
    deep = RawRecord("leads.jsonl", 1, 1, {"lead_id": "L1", "notes": _deep(600)})
    error = RecordError("lead", "leads.jsonl", 2, 2, None, None, "malformed", "x")
    spill = SpillFile(batch=8)
    written = [deep, error, deep]
    try:
        for row in written:
            spill.add(row)
        spill.close()
        assert list(spill.read()) == written
    finally:
        spill.remove()


def test_leads_with_a_deep_value_beside_an_error_row_run_every_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], small_spills: None
) -> None:
    """Every way to run keeps the lead rows the capacity pass read in a spill file; one
    process ended with an internal error (exit 3) on these leads."""
    lines = [json.dumps(dict(zip(HEADER, row, strict=True))) for row in ROWS]
    lines[3] = json.dumps({**json.loads(lines[3]), "Notes": _deep(600)})
    lines.insert(10, '{"Id": "L000011", "Id": "a duplicate key"}')
    leads, events = tmp_path / "leads.jsonl", tmp_path / "events.jsonl"
    leads.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events.write_text("\n".join(EVENTS) + "\n", encoding="utf-8")
    one = evaluate(leads, events, tmp_path / "one", capsys=capsys)
    assert one.code == 1, one.complained
    assert one.errors is not None
    assert b"duplicate key" in one.errors
    for mode, options in MODES.items():
        assert evaluate(leads, events, tmp_path / mode, *options, capsys=capsys) == one, mode


def test_a_pipe_given_as_input_is_named_as_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """(It was said to be "no such file", which it plainly is.)"""
    pipe = tmp_path / "leads.csv"
    os.mkfifo(pipe)
    code = main(["evaluate", str(EXAMPLE), "--leads", str(pipe), "--as-of", AS_OF])
    assert code == 2
    assert f"cannot read {pipe}: not a regular file (a pipe?)" in capsys.readouterr().err


@pytest.mark.parametrize("name", CORPORA)
def test_the_python_api_writes_what_the_command_writes(
    name: str,
    corpora: dict[str, tuple[Path, Path]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``compile_contract(...).evaluate(...)`` written through :mod:`leadcontract.writers`
    gives the command's bytes, and the counts its summary gives."""
    leads, events = corpora[name]
    command = evaluate(leads, events, tmp_path / "cli", capsys=capsys)
    compiled = compile_contract(_example_contract())
    evaluation = compiled.evaluate(
        leads,
        events,
        as_of=datetime(2026, 11, 16, 17, tzinfo=UTC),
        capacity=compiled.plan_capacity(leads),
    )
    verdicts, errors = evaluation.split()
    assert "".join(verdict_json(v) + "\n" for v in verdicts).encode() == command.verdicts
    assert "".join(error_json(e) + "\n" for e in errors).encode() == command.errors
    assert command.summary is not None
    assert evaluation.counts.to_dict() == command.summary["counts"]
    assert capsys.readouterr() == ("", "")  # the library printed nothing


def test_leads_in_another_order_get_the_same_verdicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], small_spills: None
) -> None:
    """What the clocks, calendars and partitions cache is per lead: leads in zones with odd
    offsets (or none, or an unknown one), created and touched in DST gaps and folds and on
    holidays, shuffled (each lead's events keep their order: input order breaks ties), get
    the same verdicts; and every way to run agrees on them."""
    rnd = random.Random(2026)
    zones = ["America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham"]
    zones += ["", "UTC", "Mars/Olympus", "europe/berlin", " Europe/Vienna ", "Etc/GMT+12"]
    instants = ["2026-03-08T02:30:00", "2026-11-01T01:30:00", "2026-11-01T06:30:00Z"]
    instants += ["2026-10-25T00:30:00Z", "2026-12-24T14:00:00Z", "2026-11-26T15:00:00Z"]
    instants += ["2026-11-16T17:00:00Z", "2026-10-09T12:00:00+14:00", "2026-10-09T12:00:00-12:00"]
    reps = ["ava", "ben", "carl", "dana", "emil", "", "ghost"]

    def instant() -> str:
        if rnd.random() < 0.5:
            return rnd.choice(instants)
        month, day, hour = rnd.randint(9, 11), rnd.randint(1, 28), rnd.randint(0, 23)
        return f"2026-{month:02d}-{day:02d}T{hour:02d}:30:00Z"

    rows = [
        _row(
            n,
            timezone=rnd.choice(zones),
            CreatedDate=instant() if rnd.random() < 0.4 else ROWS[n][HEADER.index("CreatedDate")],
            form_submitted_at=instant() if rnd.random() < 0.4 else "",
            OwnerId=rnd.choice(reps),
        )
        for n in range(len(ROWS))
    ]
    events = []
    for line in EVENTS:
        event = json.loads(line)
        if rnd.random() < 0.3:
            event["at"] = instant()
        events.append(event)
        if rnd.random() < 0.1:
            kind = rnd.choice(["touch", "meeting", "handoff", "accepted", "out_of_office"])
            events.append({**event, "type": kind, "at": instant(), "actor": rnd.choice(reps)})
    order = {row[0]: rnd.random() for row in ROWS}
    given, shuffled = tmp_path / "given", tmp_path / "shuffled"
    for folder, leads, lines in (
        (given, rows, events),
        (shuffled, rnd.sample(rows, len(rows)), sorted(events, key=lambda e: order[e["lead_id"]])),
    ):
        folder.mkdir()
        (folder / "leads.csv").write_text(_csv_text(leads), encoding="utf-8")
        (folder / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))
    one = evaluate(given / "leads.csv", given / "events.jsonl", given / "one", capsys=capsys)
    other = evaluate(
        shuffled / "leads.csv", shuffled / "events.jsonl", shuffled / "one", capsys=capsys
    )
    assert one.verdicts is not None
    assert other.verdicts is not None
    assert sorted(one.verdicts.splitlines()) == sorted(other.verdicts.splitlines())
    for mode in ("2 workers", "spilled on 2 workers"):
        options = MODES[mode]
        assert (
            evaluate(
                shuffled / "leads.csv",
                shuffled / "events.jsonl",
                shuffled / mode,
                *options,
                capsys=capsys,
            )
            == other
        )


@pytest.mark.parametrize("mode", ["one process", *MODES])
def test_a_run_ended_by_sigterm_leaves_its_outputs_and_the_collector_as_they_were(
    mode: str,
    corpora: dict[str, tuple[Path, Path]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Ended with error rows held (a grouped run's) and spill files open: nothing stays
    behind (the helper checks the folders), earlier outputs are untouched, and the garbage
    collector is as before."""
    progress = evaluate_module._progress

    def terminated_after_some(items: Any, args: Any, label: str) -> Iterator[Any]:
        for number, item in enumerate(progress(items, args, label)):
            if number == 20:
                os.kill(os.getpid(), signal.SIGTERM)
            yield item

    monkeypatch.setattr(evaluate_module, "_progress", terminated_after_some)
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "verdicts").write_text("earlier verdicts\n", encoding="utf-8")
    thresholds = gc.get_threshold()
    leads, events = corpora["duplicate ids, valid and invalid first, not yet created"]
    options = MODES.get(mode, [])
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        outcome = evaluate(leads, events, folder, *options, capsys=capsys, exist_ok=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert outcome.code == 143
    assert outcome.complained.endswith("leadcontract: terminated\n")
    assert outcome.verdicts == b"earlier verdicts\n"
    assert (outcome.errors, outcome.summary) == (None, None)
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("mode", ["one process", "grouped", "2 workers"])
def test_the_audit_stores_spool_goes_where_scratch_says(
    mode: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A run's audit entries wait in a spool before the store takes them; beyond 8 MB (a
    few thousand verdicts) it became a file in the system's temporary folder, not in
    --scratch, which promises to hold every temporary file of a run."""
    made: list[str | None] = []
    real = tempfile.TemporaryFile

    def logged(*args: Any, **options: Any) -> Any:
        made.append(options.get("dir"))
        return real(*args, **options)

    monkeypatch.setattr(tempfile, "TemporaryFile", logged)
    monkeypatch.setattr(store, "_SPOOL_BYTES", 1000)
    leads, events = tmp_path / "leads.csv", tmp_path / "events.jsonl"
    leads.write_text(_csv_text(ROWS), encoding="utf-8")
    events.write_text("\n".join(EVENTS) + "\n", encoding="utf-8")
    audit = ["--audit", str(tmp_path / "audit.db")]
    outcome = evaluate(leads, events, tmp_path / "run", *audit, *MODES.get(mode, []), capsys=capsys)
    assert outcome.code == 0, outcome.complained
    assert made  # the spool, at least, was a file
    scratch = tmp_path / "run" / "scratch"
    assert all(folder is not None and Path(folder) == scratch for folder in made), made


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_nan_and_infinity_in_json_are_error_rows_not_empty_values(
    constant: str, suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """They are not JSON. Python's parser read NaN as a float that the coercers take for no
    value: an opportunity's amount of NaN was silently dropped (Infinity was refused, as a
    number "inf" the input never wrote)."""
    lines = [
        '{"lead_id": "L000002", "type": "touch", "at": "2026-10-06T19:59:35Z"}',
        f'{{"lead_id": "L000002", "type": "opportunity", "at": "2026-10-07T10:00:00Z", '
        f'"amount": {constant}}}',
        '{"lead_id": "L000002", "type": "touch", "at": "2026-10-08T19:59:35Z"}',
    ]
    events = tmp_path / f"events{suffix}"
    text = "\n".join(lines) if suffix == ".jsonl" else "[" + ",\n".join(lines) + "]"
    events.write_text(text + "\n", encoding="utf-8")
    leads = tmp_path / "leads.csv"
    leads.write_text(_csv_text(ROWS[:3]), encoding="utf-8")
    outcome = evaluate(leads, events, tmp_path / "run", capsys=capsys)
    assert outcome.code == 1
    assert outcome.errors is not None
    (error,) = [json.loads(line) for line in outcome.errors.splitlines()]
    assert (error["record"], error["line"], error["code"]) == (2, 2, "malformed")
    assert error["message"].startswith(f"{constant} is not a JSON value")
    assert outcome.summary is not None
    assert outcome.summary["counts"]["events_used"] == 2  # the records around it are read


HOSTILE_TEXT = st.text(
    alphabet=st.sampled_from(
        [*"aZ09 ,;\"'\\{}[]:=+-@\t\r\n", "\u2028", "\u0085", "\x00", "\ufeff", "é", "\u00a0"]
    ),
    max_size=12,
)
"""Text that breaks lines, quotes, escapes, formulas and whitespace rules."""


@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    cells=st.lists(st.tuples(st.integers(0, 9), st.sampled_from(HEADER), HOSTILE_TEXT), max_size=4),
    notes=st.lists(st.tuples(st.integers(0, 9), HOSTILE_TEXT), max_size=3),
)
def test_hostile_text_anywhere_gives_the_same_bytes_every_way(
    cells: list[tuple[int, str, str]],
    notes: list[tuple[int, str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Any hostile text in any lead cell or event note: one process and 2 spilled workers
    give the same bytes, and counts reconcile; so does a grouped run while the ids stay
    sorted, or it refuses the input (a bare CR in a cell splits the record: the second
    part's first cell is taken for an id)."""
    folder = tmp_path_factory.mktemp("text")
    rows = [list(row) for row in ROWS[:10]]
    for index, column, text in cells:
        rows[index][HEADER.index(column)] = text
    ids = [row[0] for row in ROWS[:10]]
    extra = [_event(ids[index], note=text) for index, text in notes]
    leads, events = folder / "leads.csv", folder / "events.jsonl"
    leads.write_text(_csv_text(rows), encoding="utf-8", newline="")
    events.write_text(_with_events(extra), encoding="utf-8")
    capture = _Buffers()
    with capture:
        one = evaluate(leads, events, folder / "one", capsys=capture)
    assert one.code in (0, 1), one.complained
    assert one.summary is not None
    assert one.summary["counts"]["reconciles"] is True
    modes = ["spilled on 2 workers"]
    ids_kept = [row[0].strip() for row in rows] == ids
    modes += ["grouped"] if ids_kept else []
    for mode in modes:
        with capture:
            other = evaluate(leads, events, folder / mode, *MODES[mode], capsys=capture)
        refused = other.code == 2 and "grouped evaluation needs" in other.complained
        assert other == one or (mode == "grouped" and refused), mode


class _Buffers(contextlib.ExitStack):
    """Stands in for pytest's ``capsys`` where hypothesis runs a test many times: while
    entered, the command prints to buffers, read once per run."""

    def __init__(self) -> None:
        super().__init__()
        self._out, self._err = io.StringIO(), io.StringIO()

    def __enter__(self) -> _Buffers:
        super().__enter__()
        self.enter_context(contextlib.redirect_stdout(self._out))
        self.enter_context(contextlib.redirect_stderr(self._err))
        return self

    def readouterr(self) -> Any:
        out, err = self._out.getvalue(), self._err.getvalue()
        self._out.seek(0)
        self._out.truncate()
        self._err.seek(0)
        self._err.truncate()
        return _Printed(out, err)


@dataclass(frozen=True)
class _Printed:
    out: str
    err: str


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({1: [_row(4, NumberOfEmployees="lots"), ROWS[1]]}, "lead `L000002` comes after `L000005`"),
        ({1: [ROWS[1], _row(0, NumberOfEmployees="lots")]}, "lead `L000001` comes after `L000002`"),
    ],
    ids=["later id, then a valid lead", "earlier id after a valid lead"],
)
def test_a_grouped_run_refuses_an_error_row_out_of_order(
    changes: dict[int, list[list[str]]],
    said: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An error row's id was not held to the order: the events up to it were counted for
    unknown leads, so the valid leads after it (L000002) lost theirs and got other
    verdicts; or its own events were counted for unknown leads, not for an error row."""
    leads, events = tmp_path / "leads.csv", tmp_path / "events.jsonl"
    leads.write_text(_csv_text(_changed(changes)), encoding="utf-8")
    events.write_text("\n".join(EVENTS) + "\n", encoding="utf-8")
    one = evaluate(leads, events, tmp_path / "one", capsys=capsys)
    assert one.code == 1
    grouped = evaluate(leads, events, tmp_path / "grouped", "--grouped", capsys=capsys)
    assert grouped.code == 2
    assert said in grouped.complained
    assert "grouped evaluation needs leads sorted by id" in grouped.complained
    assert grouped.verdicts is None


@pytest.mark.parametrize("mode", list(MODES)[1:])
def test_an_id_read_from_a_nested_object_partitions_as_the_coercer_reads_it(
    mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], small_spills: None
) -> None:
    """A dotted source (``Lead.Id``, as Salesforce's JSON exports nest relationship fields)
    is read from nested objects by the coercer; the workers did not look inside, put every
    lead in the partition of no id, and the merge failed (an internal error, exit 3)."""
    contract = tmp_path / "contract"
    shutil.copytree(EXAMPLE, contract, ignore=shutil.ignore_patterns("data", "tests"))
    lead = contract / "lead.yaml"
    declared = "lead_id: {type: string, required: true, source: Id}"
    lead.write_text(
        lead.read_text(encoding="utf-8").replace(declared, declared.replace("Id}", "Lead.Id}")),
        encoding="utf-8",
    )
    leads, events = tmp_path / "leads.jsonl", tmp_path / "events.jsonl"
    records = [dict(zip(HEADER, row, strict=True)) for row in ROWS]
    nested = [
        {**{k: v for k, v in r.items() if k != "Id"}, "lead": {"Id": r["Id"]}} for r in records
    ]
    leads.write_text("".join(json.dumps(r) + "\n" for r in nested), encoding="utf-8")
    events.write_text("\n".join(EVENTS) + "\n", encoding="utf-8")
    one = evaluate(leads, events, tmp_path / "one", contract=contract, capsys=capsys)
    assert one.code == 0, one.complained
    assert one.summary is not None
    assert one.summary["counts"]["events_unknown_lead"] == 0
    other = evaluate(leads, events, tmp_path / mode, *MODES[mode], contract=contract, capsys=capsys)
    assert other == one


@pytest.fixture(scope="module")
def bare_contract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example without capacities, SLAs and spiffs (which name SLAs): the runs skip the
    capacity pass and the clocks."""
    contract = tmp_path_factory.mktemp("bare") / "contract"
    shutil.copytree(EXAMPLE, contract, ignore=shutil.ignore_patterns("data", "tests"))
    (contract / "slas.yaml").unlink()
    (contract / "spiffs.yaml").unlink()
    campaigns = contract / "campaigns.yaml"
    lines = campaigns.read_text(encoding="utf-8").splitlines()
    campaigns.write_text(
        "\n".join(line for line in lines if "capacity:" not in line) + "\n", encoding="utf-8"
    )
    return contract


@pytest.mark.parametrize(
    "name",
    ["duplicate ids, valid and invalid first, not yet created", "unreadable event rows"],
)
def test_a_contract_that_plans_no_capacity_gives_the_same_bytes_every_way(
    name: str,
    *,
    bare_contract: Path,
    corpora: dict[str, tuple[Path, Path]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    small_spills: None,
) -> None:
    leads, events = corpora[name]
    one = evaluate(leads, events, tmp_path / "one", contract=bare_contract, capsys=capsys)
    assert one.code == 1, one.complained
    assert one.verdicts is not None
    assert b'"slas":[]' in one.verdicts
    for mode, options in MODES.items():
        other = evaluate(
            leads, events, tmp_path / mode, *options, contract=bare_contract, capsys=capsys
        )
        assert other == one, mode


@pytest.mark.parametrize(
    ("closing", "problem"),
    [
        ('"Kestrel Manufacturing, LLC"', "not valid CSV"),
        ('Kestrel Manufacturing LLC",x', "the row has 21 cells but the header has 20"),
    ],
    ids=["record breaks", "too many cells"],
)
def test_a_quote_closed_lines_later_leaves_no_line_unaccounted_for(
    closing: str, problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stray quote opening a cell is closed by the first quote of a later line, and the
    record ends after it, not valid CSV or with too many cells: it was one error row for
    line 2, and the leads on lines 3 and 4, read into it, were gone without a word."""
    lines = _csv_text(ROWS).splitlines()
    lines[1] = lines[1].replace("Keystone", '"Keystone', 1)
    assert '"Kestrel Manufacturing, LLC"' in lines[3]
    lines[3] = lines[3].replace('"Kestrel Manufacturing, LLC"', closing)  # closes it
    leads, events = tmp_path / "leads.csv", tmp_path / "events.jsonl"
    leads.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events.write_text("\n".join(EVENTS) + "\n", encoding="utf-8")
    one = evaluate(leads, events, tmp_path / "one", capsys=capsys)
    assert one.code == 1
    assert one.errors is not None
    errors = [json.loads(line) for line in one.errors.splitlines()]
    assert [(e["record"], e["line"]) for e in errors] == [(1, 2), (2, 3), (3, 4)]
    assert errors[0]["message"].startswith(problem)
    assert "runs on to line 4" in errors[0]["message"]
    assert all("line not read" in e["message"] for e in errors[1:])
    assert one.summary is not None
    assert one.summary["counts"]["leads_read"] == len(ROWS)  # every line is a record
    for mode, options in MODES.items():
        assert evaluate(leads, events, tmp_path / mode, *options, capsys=capsys) == one, mode


@pytest.mark.parametrize(("separator", "said"), [(";", "';'"), ("\t", "a tab")])
def test_a_csv_separated_otherwise_is_refused_with_one_line_saying_so(
    separator: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """(Excel saves ';'-separated CSV in many locales.) Every record was an error row
    naming each required column as missing, the header's one column never named."""
    leads = tmp_path / "leads.csv"
    lines = _csv_text(ROWS).splitlines()
    leads.write_text("\n".join(line.replace(",", separator) for line in lines) + "\n")
    outcome = evaluate(leads, None, tmp_path / "run", capsys=capsys)
    assert outcome.code == 2
    assert f"{leads}:1: the header is one column" in outcome.complained
    assert f"the file looks separated by {said}" in outcome.complained
    assert outcome.verdicts is None


@pytest.mark.parametrize("mode", ["one process", "2 workers"])
def test_a_summary_that_cannot_be_written_leaves_every_output_as_it_was(
    mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The run failed (exit 2) after --out and --errors had been replaced; and the message
    named a temporary file, not the path given."""
    out, errors = tmp_path / "verdicts.jsonl", tmp_path / "errors.jsonl"
    out.write_text("earlier verdicts\n", encoding="utf-8")
    errors.write_text("earlier errors\n", encoding="utf-8")
    summary = tmp_path / "missing" / "summary.json"
    options = ["--out", str(out), "--errors", str(errors), "--summary-json", str(summary)]
    leads = ["--leads", str(DATA / "leads.csv"), "--events", str(DATA / "events.jsonl")]
    code = main(
        ["evaluate", str(EXAMPLE), *leads, "--as-of", AS_OF, *options, *MODES.get(mode, [])]
    )
    assert code == 2
    said = capsys.readouterr().err
    assert said.startswith(f"leadcontract: cannot read or write {summary}: "), said
    assert out.read_text(encoding="utf-8") == "earlier verdicts\n"
    assert errors.read_text(encoding="utf-8") == "earlier errors\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["errors.jsonl", "verdicts.jsonl"]
