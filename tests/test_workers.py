"""`evaluate --workers N`: the same bytes as one worker, through the command line."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadcontract.cli import main
from leadcontract.engine import compile_contract
from leadcontract.loader import load
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
