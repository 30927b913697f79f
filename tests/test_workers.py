"""`evaluate --workers N`: the same bytes as one worker, through the command line."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadcontract import parallel
from leadcontract.capacity import CapacityRanking, overflowed
from leadcontract.cli import main
from leadcontract.engine import compile_contract
from leadcontract.inputs import RawRecord, rows_from
from leadcontract.loader import load
from leadcontract.model import Contract
from leadcontract.parallel import evaluate_partitioned, partition_of

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "contracts" / "example"
DATA = EXAMPLE / "data"
AS_OF = "2026-11-16T17:00:00Z"

MESSY_LEADS = [
    # a duplicate of the first lead (an error row; its events stay with the first)
    "L000001,dup@x.example,Dup,Licate,,Dup Inc,CTO,Austria,Europe/Vienna,Manufacturing,400,"
    "1,Partner Referral,,partner-emea,emil,2026-10-01T07:00:53.000+0000,,false,false",
    # a value the contract does not allow, and a lead created after as-of
    "L000999,bad@x.example,Bad,Value,,Bad Inc,CTO,Austria,Europe/Vienna,Manufacturing,lots,"
    "1,Partner Referral,,partner-emea,emil,2026-10-01T07:00:53.000+0000,,false,false",
    "L001000,late@x.example,Late,Comer,,Late Inc,CTO,Austria,Europe/Vienna,Manufacturing,40,"
    "1,Partner Referral,,partner-emea,emil,2026-12-01T07:00:53.000+0000,,false,false",
    # too many cells: unreadable, no id to partition by
    "L001001,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v",
]
MESSY_EVENTS = [
    "{not json",
    '{"lead_id": "L000005", "type": "touch", "at": "yesterday"}',
    '{"lead_id": "L000999", "type": "touch", "at": "2026-10-02T10:00:00Z"}',
    '{"lead_id": "L001000", "type": "touch", "at": "2026-10-02T10:00:00Z"}',
    '{"type": "touch", "at": "2026-10-02T10:00:00Z"}',
]


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example data plus every kind of error row, spread through the files."""
    folder = tmp_path_factory.mktemp("messy")
    leads = (DATA / "leads.csv").read_text(encoding="utf-8").splitlines()
    events = (DATA / "events.jsonl").read_text(encoding="utf-8").splitlines()
    for offset, row in enumerate(MESSY_LEADS):
        leads.insert(30 + 40 * offset, row)
    for offset, row in enumerate(MESSY_EVENTS):
        events.insert(100 + 300 * offset, row)
    (folder / "leads.csv").write_text("\n".join(leads) + "\n", encoding="utf-8")
    (folder / "events.jsonl").write_text("\n".join(events) + "\n", encoding="utf-8")
    return folder / "leads.csv", folder / "events.jsonl"


def run(
    leads: Path, events: Path, out: Path, workers: int, *extra: str
) -> tuple[int, bytes, bytes]:
    """Evaluate through the CLI; the exit code, the verdicts' bytes and the error rows' bytes."""
    out.mkdir(exist_ok=True)
    verdicts, errors = out / f"verdicts-{workers}.jsonl", out / f"errors-{workers}.jsonl"
    code = main(
        [
            "evaluate",
            str(EXAMPLE),
            "--leads",
            str(leads),
            "--events",
            str(events),
            "--as-of",
            AS_OF,
            "--out",
            str(verdicts),
            "--errors",
            str(errors),
            "--workers",
            str(workers),
            *extra,
        ]
    )
    return code, verdicts.read_bytes(), errors.read_bytes()


def test_the_example_gives_the_same_bytes_on_two_and_three_workers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads, events = DATA / "leads.csv", DATA / "events.jsonl"
    one = run(leads, events, tmp_path, 1)
    summary_one = capsys.readouterr().out
    assert one[0] == 0
    assert one[1].count(b"\n") == 240
    for workers in (2, 3):
        assert run(leads, events, tmp_path, workers) == one
        assert capsys.readouterr().out == summary_one  # counts and tallies, summed


def test_error_rows_come_out_in_the_same_order_with_the_same_places(
    messy: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = run(*messy, tmp_path, 1)
    summary_one = capsys.readouterr().out
    assert one[0] == 1  # error rows
    error_lines = one[2].decode().splitlines()
    kinds = [line.split('"', 4)[3] for line in error_lines]
    # the lead created after as-of is no error (it is counted as not yet created)
    assert kinds == ["event"] * 3 + ["lead"] * 3
    assert "1 not yet created" in summary_one
    assert "counts reconcile" in summary_one
    two = run(*messy, tmp_path, 2)
    assert capsys.readouterr().out == summary_one
    assert two == one


def test_the_partitions_do_split_the_work() -> None:
    """Both workers get leads (else the identity above would prove nothing)."""
    ids = [f"L{n:06d}" for n in range(1, 241)]
    shares = [sum(partition_of(i, 2) == p for i in ids) for p in (0, 1)]
    assert min(shares) > 80
    assert partition_of("  L000001 ", 2) == partition_of("L000001", 2)


def test_a_worker_that_cannot_read_reports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = tmp_path / "leads.csv"
    shutil.copy(DATA / "leads.csv", leads)
    contract = load(EXAMPLE).contract
    assert contract is not None
    evaluation = evaluate_partitioned(
        compile_contract(contract),
        leads,
        tmp_path / "missing.jsonl",
        as_of=datetime(2026, 11, 16, 17, tzinfo=UTC),
        workers=2,
    )
    with pytest.raises(OSError, match=r"missing\.jsonl"):
        list(evaluation)


def test_workers_and_grouped_do_not_mix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "evaluate",
            str(EXAMPLE),
            "--leads",
            str(DATA / "leads.csv"),
            "--as-of",
            AS_OF,
            "--workers",
            "2",
            "--grouped",
        ]
    )
    assert code == 2
    assert "--grouped" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["0", "-1", "two"])
def test_worker_count_must_be_a_positive_number(
    bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["evaluate", str(EXAMPLE), "--leads", "x.csv", "--as-of", AS_OF, "--workers", bad])
    assert stopped.value.code == 2
    assert "--workers" in capsys.readouterr().err


def test_a_worker_count_beyond_the_limit_is_refused_before_any_process_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--workers 99999`` once forked until the machine ran out of memory (killed, exit 137)."""

    def no_workers(*args: object, **kwargs: object) -> None:
        raise AssertionError("no worker may start")

    monkeypatch.setattr(parallel.PartitionedEvaluation, "__iter__", no_workers)
    too_many = str(parallel.MAX_WORKERS + 1)
    leads = str(DATA / "leads.csv")
    out = str(tmp_path / "o.jsonl")
    options = ["--leads", leads, "--as-of", AS_OF, "--out", out, "--workers", too_many]
    code = main(["evaluate", str(EXAMPLE), *options])
    assert code == 2
    err = capsys.readouterr().err
    assert f"--workers {too_many}" in err
    assert f"at most {parallel.MAX_WORKERS}" in err
    with pytest.raises(ValueError, match="at most"):
        evaluate_partitioned(
            compile_contract(_example_contract()),
            DATA / "leads.csv",
            as_of=datetime(2026, 11, 16, 17, tzinfo=UTC),
            workers=parallel.MAX_WORKERS + 1,
        )


# --- every format, traces, spilling, event mappings, the audit store ---------------------------

MODES = {
    "2 workers": ["--workers", "2"],
    "3 workers": ["--workers", "3"],
    "spilled": ["--spill"],
    "spilled on 2 workers": ["--spill", "--workers", "2"],
}
"""Each against one process, in memory (the engine's own order)."""

FORMATS = {
    "jsonl": [],
    "jsonl without traces": ["--no-trace"],
    "csv": ["--format", "csv"],
    "csv, some columns, raw": ["--format", "csv", "--columns", "lead_id,stage,score", "--raw-csv"],
    "parquet": ["--format", "parquet"],
    "table": ["--format", "table"],
}


def outputs(
    leads: Path,
    events: Path | list[Path],
    folder: Path,
    *extra: str,
    contract: Path = EXAMPLE,
    as_of: str = AS_OF,
) -> tuple[int, bytes, bytes, dict[str, Any]]:
    """One CLI run: exit code, verdict bytes, error rows' bytes, the JSON summary."""
    folder.mkdir()
    events_args = [str(path) for path in (events if isinstance(events, list) else [events])]
    code = main(
        [
            "evaluate",
            str(contract),
            "--leads",
            str(leads),
            "--events",
            *events_args,
            "--as-of",
            as_of,
            "--out",
            str(folder / "verdicts"),
            "--errors",
            str(folder / "errors.jsonl"),
            "--summary-json",
            str(folder / "summary.json"),
            *extra,
        ]
    )
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return (
        code,
        (folder / "verdicts").read_bytes(),
        (folder / "errors.jsonl").read_bytes(),
        summary,
    )


@pytest.fixture
def small_spills(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spilled runs make many partitions of the small example (the workers are forked)."""
    monkeypatch.setattr(parallel, "SPILL_BYTES", 20_000)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", MODES)
def test_every_format_gives_the_same_bytes_on_workers_and_spilled(
    fmt: str,
    mode: str,
    *,
    messy: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    small_spills: None,
) -> None:
    one = outputs(*messy, tmp_path / "one", *FORMATS[fmt])
    printed_one = capsys.readouterr().out
    other = outputs(*messy, tmp_path / "other", *FORMATS[fmt], *MODES[mode])
    assert capsys.readouterr().out == printed_one  # counts, tallies, error rows shown
    assert other == one
    code, verdicts, errors, summary = one
    assert code == 1  # the error rows
    assert errors.count(b"\n") == 6
    assert summary["counts"]["reconciles"] is True
    assert summary["counts"]["not_yet"] == 1
    if fmt.startswith("jsonl"):
        assert verdicts.count(b"\n") == 240 - 1 + 1  # the example, one duplicate row ignored
        assert (b'"trace":[]' in verdicts) == ("without traces" in fmt)


def test_spilling_makes_several_partitions(tmp_path: Path, small_spills: None) -> None:
    """(Else the spilled identities above would prove little.)"""
    assert parallel.spill_partitions([DATA / "leads.csv", DATA / "events.jsonl"], 2) >= 4


def test_a_lead_not_yet_created_then_created_keeps_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The verdict of an id's second record (its first was created after as-of) goes where
    that second record is, on every number of workers."""
    lines = (DATA / "leads.csv").read_text(encoding="utf-8").splitlines()
    header, first = lines[0], lines[1]
    later = first.replace("2026-10-01T", "2026-12-01T", 1)
    assert later != first
    lines[1] = later  # created after as-of: not yet
    lines.insert(120, first)  # the same id, created before: judged here
    leads = tmp_path / "leads.csv"
    leads.write_text("\n".join([header, *lines[1:]]) + "\n", encoding="utf-8")
    one = outputs(leads, DATA / "events.jsonl", tmp_path / "one", "--no-trace")
    for workers in ("2", "3"):
        assert outputs(leads, DATA / "events.jsonl", tmp_path / workers, "--no-trace",
                       "--workers", workers) == one  # fmt: skip
    assert one[3]["counts"]["not_yet"] == 1
    ids = [json.loads(line)["lead_id"] for line in one[1].splitlines()]
    assert ids.index(first.split(",")[0]) == 118


SF = HERE / "data" / "crm" / "salesforce"
HUBSPOT = HERE / "data" / "crm" / "hubspot"


@pytest.mark.parametrize(
    ("contract", "leads", "events", "as_of"),
    [
        (
            SF / "contract.yaml",
            SF / "Lead.csv",
            [SF / "Task.csv", SF / "LeadHistory.csv", SF / "CampaignMember.csv"],
            "2026-10-07T00:00:00Z",
        ),
        (
            HUBSPOT / "contract.yaml",
            HUBSPOT / "contacts.csv",
            [HUBSPOT / "engagements.jsonl"],
            "2026-10-07T00:00:00Z",
        ),
    ],
    ids=["salesforce", "hubspot"],
)
def test_contracts_that_map_activity_exports_run_on_workers(
    contract: Path,
    leads: Path,
    events: list[Path],
    as_of: str,
    *,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each worker maps every activity row to find its lead, and keeps its partition's; the
    drift (unmapped rows among it) is summed."""
    one = outputs(leads, events, tmp_path / "one", contract=contract, as_of=as_of)
    printed = capsys.readouterr().out
    for extra in (["--workers", "2"], ["--workers", "3"], ["--spill", "--workers", "2"]):
        folder = tmp_path / "-".join(extra)
        other = outputs(leads, events, folder, *extra, contract=contract, as_of=as_of)
        assert capsys.readouterr().out == printed
        assert other == one
    summary = one[3]
    assert summary["counts"]["reconciles"] is True
    assert summary["counts"]["events_used"] > 0
    ids = [json.loads(line)["lead_id"] for line in one[1].splitlines()]
    assert len(ids) >= 3
    assert any(len({partition_of(i, n) for i in ids}) > 1 for n in (2, 3))  # the work is split


def entries(db: Path) -> list[tuple[str, str | None, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT kind, lead_id, payload FROM entries ORDER BY seq").fetchall()
    return [(kind, lead_id, payload) for kind, lead_id, payload in rows if kind != "run"]


@pytest.mark.parametrize("pii", [[], ["--reveal-pii"]], ids=["masked", "revealed"])
def test_the_audit_store_gets_the_same_entries_from_workers(
    pii: list[str],
    messy: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    small_spills: None,
) -> None:
    one = outputs(*messy, tmp_path / "one", "--audit", str(tmp_path / "one.db"), *pii)
    two_db, spilled_db = str(tmp_path / "two.db"), str(tmp_path / "s.db")
    two = outputs(*messy, tmp_path / "two", "--workers", "2", "--audit", two_db, *pii)
    spilled = outputs(*messy, tmp_path / "s", "--spill", "--audit", spilled_db, *pii)
    assert one == two == spilled
    found = entries(tmp_path / "one.db")
    assert len(found) == 240 + 6  # verdicts and error rows
    assert entries(tmp_path / "two.db") == found
    assert entries(tmp_path / "s.db") == found
    assert main(["audit", "verify", two_db]) == 0
    stored = "\n".join(payload for _, _, payload in found)
    emails = [line.split(",")[1] for line in messy[0].read_text().splitlines()[1:50]]
    assert any(email in stored for email in emails) == bool(pii)


def test_the_capacity_plan_is_the_same_when_ranked_in_partitions() -> None:
    """Rankings of disjoint id partitions, merged, give one ranking's cutoffs and loads."""
    contract = load(EXAMPLE).contract
    assert contract is not None
    compiled = compile_contract(contract)
    whole = compiled.plan_capacity(DATA / "leads.csv")
    assert whole.overflow  # the example does overflow some weeks
    records = [
        record
        for row in rows_from(DATA / "leads.csv", kind="lead")
        if isinstance(row, RawRecord)
        for record in [compiled.lead_coercer.coerce(row)[0]]
        if record is not None
    ]
    for partitions in (2, 5):
        merged = CapacityRanking(contract, compiled.zone)
        entries_: list[tuple[str, str, datetime, str]] = []
        for part in range(partitions):
            ranking = CapacityRanking(contract, compiled.zone)
            for record in records:
                if partition_of(record["lead_id"], partitions) == part:
                    entry = ranking.entry(record)
                    if entry is not None:
                        ranking.add_entry(entry)
                        entries_.append(entry)
            merged.merge(ranking)
        assert merged.loads() == whole.loads
        assert overflowed(entries_, merged.cutoffs()) == whole.overflow


def test_a_grouped_run_plans_capacity_in_flat_memory_with_the_same_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sorted input: the plan keeps no ids (its overflow answers in id order), same verdicts."""
    contract = load(EXAMPLE).contract
    assert contract is not None
    compiled = compile_contract(contract)
    plan = compiled.plan_capacity(DATA / "leads.csv", sorted_by_id=True)
    assert not isinstance(plan.overflow, frozenset)
    whole = compiled.plan_capacity(DATA / "leads.csv")
    assert plan.loads == whole.loads
    ids = [f"L{n:06d}" for n in range(1, 241)]  # the example's, in order
    assert [i for i in ids if i in plan.overflow] == sorted(i for i in ids if i in whole.overflow)
    assert any(i in whole.overflow for i in ids)
    one = outputs(DATA / "leads.csv", DATA / "events.jsonl", tmp_path / "one")
    grouped = outputs(DATA / "leads.csv", DATA / "events.jsonl", tmp_path / "g", "--grouped")
    assert grouped == one
    assert b"capacity-overflow" in one[1]


def test_a_grouped_run_refuses_unsorted_leads_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (DATA / "leads.csv").read_text(encoding="utf-8").splitlines()
    lines[1], lines[2] = lines[2], lines[1]
    leads = tmp_path / "leads.csv"
    leads.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "verdicts.jsonl"
    code = main(["evaluate", str(EXAMPLE), "--leads", str(leads), "--as-of", AS_OF,
                 "--grouped", "--out", str(out)])  # fmt: skip
    assert code == 2
    assert "sorted by id" in capsys.readouterr().err
    assert not out.exists()


def test_a_grouped_run_names_the_file_and_record_of_an_event_out_of_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (DATA / "events.jsonl").read_text(encoding="utf-8").splitlines()
    later = next(n for n, line in enumerate(lines) if '"L000002"' in line)
    lines.insert(1, lines.pop(later))  # L000002's first event before L000001's second
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "verdicts.jsonl"
    inputs = ["--leads", str(DATA / "leads.csv"), "--events", str(events), "--as-of", AS_OF]
    code = main(["evaluate", str(EXAMPLE), *inputs, "--grouped", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"{events}: record 3: event for lead `L000001` comes after events for `L000002`" in err
    assert not out.exists()


@pytest.mark.parametrize("mode", [["--workers", "2"], ["--spill"]], ids=["workers", "spilled"])
def test_a_file_a_worker_refuses_is_reported_as_one_process_reports_it(
    mode: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("lead_id,lead_id,email\nA,B,c\n", encoding="utf-8")
    args = ["evaluate", str(EXAMPLE), "--leads", str(leads), "--as-of", AS_OF]
    assert main([*args, "--out", str(tmp_path / "one.jsonl")]) == 2
    one = capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "other.jsonl"), *mode]) == 2
    assert capsys.readouterr().err == one
    assert 'names column "lead_id" twice' in one


def test_spilling_writes_where_scratch_says_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], small_spills: None
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    leads, events = DATA / "leads.csv", DATA / "events.jsonl"
    one = outputs(leads, events, tmp_path / "one")
    spilled = outputs(leads, events, tmp_path / "s", "--spill", "--scratch", str(scratch))
    assert spilled == one
    assert list(scratch.iterdir()) == []  # the partitions are gone
    args = ["evaluate", str(EXAMPLE), "--leads", str(leads), "--as-of", AS_OF]
    assert main([*args, "--spill", "--scratch", str(tmp_path / "missing")]) == 2
    assert "--scratch" in capsys.readouterr().err


@pytest.mark.parametrize(
    "mode", [[], ["--grouped"], ["--workers", "2"]], ids=["in memory", "grouped", "workers"]
)
def test_every_temporary_file_of_a_run_goes_where_scratch_says(
    mode: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only --spill's partitions: the lead rows the capacity pass keeps (one process and
    each worker) and a grouped run's ranked entries are anonymous files in --scratch too (a
    small system temporary folder must not fill up with a big leads file)."""
    scratch, log = tmp_path / "scratch", tmp_path / "made"
    scratch.mkdir()
    real = tempfile.TemporaryFile

    def logged(*args: Any, **options: Any) -> Any:
        with log.open("a", encoding="utf-8") as made:  # the workers are forked: a file sees them
            made.write(f"{options.get('dir')}\n")
        return real(*args, **options)

    monkeypatch.setattr(tempfile, "TemporaryFile", logged)
    leads, events = DATA / "leads.csv", DATA / "events.jsonl"
    one = outputs(leads, events, tmp_path / "one")
    log.unlink()
    scratched = outputs(leads, events, tmp_path / "s", *mode, "--scratch", str(scratch))
    assert scratched == one
    folders = log.read_text(encoding="utf-8").splitlines()
    assert folders  # the capacity plan ran (the example declares capacities)
    assert all(Path(folder).is_relative_to(scratch) for folder in folders), folders
    assert list(scratch.iterdir()) == []  # nothing left behind


def _example_contract() -> Contract:
    contract = load(EXAMPLE).contract
    assert contract is not None
    return contract


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_a_scratch_that_is_no_folder_is_a_usage_error_saying_which(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch = tmp_path / "scratch"
    if kind == "a file":
        scratch.write_text("", encoding="utf-8")
    options = ["--leads", str(DATA / "leads.csv"), "--as-of", AS_OF, "--out", str(tmp_path / "o")]
    code = main(["evaluate", str(EXAMPLE), *options, "--spill", "--scratch", str(scratch)])
    assert code == 2
    said = "no such folder" if kind == "missing" else "a file, not a folder"
    assert f"--scratch {scratch}: {said}" in capsys.readouterr().err


def _idle_worker() -> None:
    parallel._worker_signals()
    time.sleep(30)


def test_a_worker_ended_as_it_starts_never_runs_on_as_a_copy_of_its_parent(
    tmp_path: Path,
) -> None:
    """A worker ended the moment it is forked (another worker refused its input at once)
    used to run the command's SIGTERM handler before multiprocessing's own ``try``: it
    unwound out of multiprocessing into its copy of the parent's stack and ran on as a
    second copy of the command (in the test suite, of the whole test run)."""
    escaped = tmp_path / "escaped"
    parent = os.getpid()

    def unwind(signum: int, frame: object) -> None:
        raise RuntimeError("the command's handler")

    previous = signal.signal(signal.SIGTERM, unwind)
    try:
        for _ in range(25):
            process = multiprocessing.get_context("fork").Process(target=_idle_worker)
            with parallel._stop_signals_held():
                process.start()
                os.kill(process.pid, signal.SIGTERM)  # type: ignore[arg-type]
            if os.getpid() != parent:  # only an escaped child gets here
                escaped.write_text("a worker ran on as its parent", encoding="utf-8")
                os._exit(0)
            process.join(timeout=60)
            assert process.exitcode == -signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert not escaped.exists()
