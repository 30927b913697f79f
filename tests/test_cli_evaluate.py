"""The `evaluate` and `explain` commands, run through leadcontract.cli.main."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadcontract.checks import lint
from leadcontract.cli import main
from leadcontract.columns import verdict_columns
from leadcontract.verdict import ContractRef, Score, StageVerdict, Verdict
from leadcontract.writers import CSV_COLUMNS, csv_row

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "contracts" / "example"
LEADS = EXAMPLE / "data" / "leads.csv"
EVENTS = EXAMPLE / "data" / "events.jsonl"
EXAMPLE_AS_OF = "2026-11-16T17:00:00Z"
FIXTURES = HERE / "fixtures" / "engine"
CONTRACT = FIXTURES / "contract.yaml"
AS_OF = "2026-07-01T00:00:00Z"

BAD_LEADS = """\
lead_id,email,employees,created_at
B1,b1@x.example,10,2026-06-01T00:00:00Z
B2,,10,2026-06-01T00:00:00Z
B3,b3@x.example,many,2026-06-01T00:00:00Z
B3,b3@x.example,10,2026-06-01T00:00:00Z
"""


def example_args(*extra: str) -> list[str]:
    return [
        str(EXAMPLE),
        "--leads",
        str(LEADS),
        "--events",
        str(EVENTS),
        "--as-of",
        EXAMPLE_AS_OF,
        *extra,
    ]


def fixture_args(leads: Path, *extra: str, as_of: str = AS_OF) -> list[str]:
    return [str(CONTRACT), "--leads", str(leads), "--as-of", as_of, *extra]


# --- evaluate ---------------------------------------------------------------------------------


def test_evaluate_the_example_to_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "verdicts.jsonl"
    assert main(["evaluate", *example_args("--out", str(out))]) == 0
    verdicts = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(verdicts) == 240
    assert [v["lead_id"] for v in verdicts[:2]] == ["L000001", "L000002"]
    assert {v["as_of"] for v in verdicts} == {EXAMPLE_AS_OF}
    assert all(v["trace"] for v in verdicts)

    captured = capsys.readouterr()
    assert captured.err == ""
    summary = captured.out.splitlines()
    assert summary[:3] == [
        "leads: 240 read, 240 verdicts, 0 error rows",
        "events: 1,858 read, 1,814 used, 25 after as-of, 19 for unknown leads, "
        "0 for error-row leads, 0 error rows",
        "counts reconcile",
    ]
    stages = summary[summary.index("stage         leads") :][:11]
    assert stages == [
        "stage         leads",
        "------------  -----",
        "disqualified      8",
        "inquiry          88",
        "lost              4",
        "mql             101",
        "nurture           8",
        "opportunity       5",
        "sal              21",
        "sql               2",
        "won               3",
    ]
    header = next(i for i, line in enumerate(summary) if line.startswith("campaign "))
    campaigns = [line.split() for line in summary[header + 2 : header + 6]]
    assert [row[:2] for row in campaigns] == [
        ["content-syndication", "71"],
        ["demo-request", "55"],
        ["partner-emea", "34"],
        ["webinar-q4", "80"],
    ]
    # leads, due, handed off, due not handed off, missing fields, dq valid, dq invalid
    assert campaigns[1][1:] == ["55", "55", "55", "0", "0", "6", "2"]


def test_evaluate_without_out_writes_verdicts_to_stdout_and_summary_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["evaluate", *fixture_args(FIXTURES / "leads.csv", "--no-trace")]) == 0
    captured = capsys.readouterr()
    verdicts = [json.loads(line) for line in captured.out.splitlines()]
    assert [v["lead_id"] for v in verdicts] == ["E1", "E2", "E3", "E4", "E5"]
    assert all(v["trace"] == [] for v in verdicts)
    assert captured.err.startswith("leads: 5 read, 5 verdicts, 0 error rows\n")


def test_evaluate_to_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "verdicts.txt"
    assert main(["evaluate", *example_args("--format", "csv", "--out", str(out))]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    example = lint(EXAMPLE).contract
    assert example is not None
    assert tuple(rows[0]) == tuple(c.name for c in verdict_columns(example))
    assert rows[0][: len(CSV_COLUMNS)] == list(CSV_COLUMNS)
    assert len(rows) == 241
    assert rows[1][0] == "L000001"
    as_of = rows[0].index("as_of")
    assert {row[as_of] for row in rows[1:]} == {EXAMPLE_AS_OF}
    assert "counts reconcile" in capsys.readouterr().out


def test_csv_keeps_every_decimal_of_a_large_score() -> None:
    at = datetime(2026, 6, 1, tzinfo=UTC)
    verdict = Verdict(
        lead_id="L1",
        contract=ContractRef("c", "1.0.0", "sha256:" + "0" * 64),
        as_of=at,
        library_version="0",
        stage=StageVerdict("inquiry", "inquiry", at),
        score=Score(total=123456.78, fit=120000.0, engagement=3456.78),
    )
    row = csv_row(verdict)
    assert (row["score"], row["fit"], row["engagement"]) == ("123456.78", "120000", "3456.78")
    assert row["stage_since"] == row["as_of"] == "2026-06-01T00:00:00Z"


def test_evaluate_format_follows_the_out_suffix(tmp_path: Path) -> None:
    out = tmp_path / "verdicts.csv"
    events = ["--events", str(FIXTURES / "events.jsonl")]
    assert main(["evaluate", *fixture_args(FIXTURES / "leads.csv", *events, "-o", str(out))]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith(",".join(CSV_COLUMNS))
    assert lines[1].startswith("E1,")


def test_evaluate_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    events = ["--events", str(FIXTURES / "events.jsonl")]
    args = fixture_args(FIXTURES / "leads.csv", *events, "--format", "table")
    assert main(["evaluate", *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "lead_id",
        "stage",
        "score",
        "campaign",
        "handoff_due",
        "handoff_done",
        "missing_fields",
        "disqualified_reason",
        "disqualification_valid",
    ]
    assert set(lines[1]) == {"-", " "}
    assert [line.split()[:2] for line in lines[2:]] == [
        ["E1", "sal"],
        ["E2", "inquiry"],
        ["E3", "nurture"],
        ["E4", "inquiry"],
        ["E5", "disqualified"],
    ]
    assert lines[6].split() == [
        "E5",
        "disqualified",
        "40",
        "webinar",
        "false",
        "false",
        "wrong-person",
        "false",
    ]


def test_evaluate_with_error_rows_exits_1_and_writes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(BAD_LEADS, encoding="utf-8")
    out = tmp_path / "verdicts.jsonl"
    errors = tmp_path / "errors.jsonl"
    args = fixture_args(leads, "--out", str(out), "--errors", str(errors))
    assert main(["evaluate", *args]) == 1
    assert [json.loads(line)["lead_id"] for line in out.read_text().splitlines()] == ["B1", "B3"]
    rows = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert [(r["kind"], r["line"], r["lead_id"], r["field"], r["code"]) for r in rows] == [
        ("lead", 3, "B2", "email", "missing-required"),
        ("lead", 4, "B3", "employees", "wrong-type"),
    ]
    assert rows[0] == {
        "kind": "lead",
        "source": str(leads),
        "record": 2,
        "line": 3,
        "lead_id": "B2",
        "field": "email",
        "code": "missing-required",
        "message": "email: required, but empty",
        "also": [],
    }
    summary = capsys.readouterr().out.splitlines()
    assert summary[0] == "leads: 4 read, 2 verdicts, 2 error rows"
    start = summary.index("error rows (2):")
    assert summary[start + 1 : start + 3] == [
        f"  {leads}:3: lead 2 (lead B2): missing-required: email: required, but empty",
        f'  {leads}:4: lead 3 (lead B3): wrong-type: employees: expected an integer, got "many"',
    ]


def test_evaluate_exits_1_for_event_error_rows_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text('{"lead_id": "E1", "type": "touch", "at": "soon"}\n', encoding="utf-8")
    args = fixture_args(
        FIXTURES / "leads.csv", "--events", str(events), "-o", str(tmp_path / "v.jsonl")
    )
    assert main(["evaluate", *args]) == 1
    assert "1 error rows" in capsys.readouterr().out.splitlines()[1]


def test_evaluate_grouped_rejects_unsorted_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "lead_id,email,created_at\nB,b@x.example,2026-06-01T00:00:00Z\nA,a@x.example,2026-06-01T00:00:00Z\n",
        encoding="utf-8",
    )
    args = fixture_args(leads, "--grouped", "-o", str(tmp_path / "v.jsonl"))
    assert main(["evaluate", *args]) == 2
    assert capsys.readouterr().err == (
        f"leadcontract: {leads}: record 2: lead `A` comes after `B`; grouped evaluation "
        "needs leads sorted by id (run without --grouped)\n"
    )


@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_a_missing_leads_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    missing = tmp_path / "nope.csv"
    extra = ["--lead", "E1"] if command == "explain" else []
    assert main([command, *fixture_args(missing, *extra)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"leadcontract: cannot read {missing}: no such file\n"
    assert captured.out == ""


def test_an_unknown_suffix_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = tmp_path / "leads.xlsx"
    leads.write_text("x", encoding="utf-8")
    assert main(["evaluate", *fixture_args(leads)]) == 2
    assert capsys.readouterr().err == (
        f"leadcontract: {leads}: expected a .csv, .jsonl, .ndjson, .json, .parquet, .arrow, "
        ".feather, .ipc file\n"
    )


@pytest.mark.parametrize("as_of", ["yesterday", "2026-13-01T00:00:00Z", ""])
def test_a_bad_as_of_is_a_usage_error(capsys: pytest.CaptureFixture[str], as_of: str) -> None:
    assert main(["evaluate", *fixture_args(FIXTURES / "leads.csv", as_of=as_of)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"leadcontract: --as-of {as_of!r} is not an ISO 8601 time such as 2026-11-16T17:00:00Z, "
        "nor now or today (with an offset such as now-2h or today-1d)\n"
    )
    assert captured.out == ""


def test_a_contract_with_lint_errors_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "contract.yaml"
    text = CONTRACT.read_text(encoding="utf-8")
    broken.write_text(text.replace("stage: mql\n", "stage: mqll\n"), encoding="utf-8")
    args = [str(broken), "--leads", str(FIXTURES / "leads.csv"), "--as-of", AS_OF]
    assert main(["evaluate", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        f"leadcontract: the contract has errors; fix them first:\n{broken}:"
    )
    assert "mqll" in captured.err


# --- explain ----------------------------------------------------------------------------------


def test_explain_an_example_lead(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", *example_args("--lead", "L000007")]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == "Lead L000007, as of 2026-11-16 17:00 UTC"
    assert lines[1].startswith("Contract northwind-lead-agreement 2.1.0 (sha256:")
    assert "Stage: mql since 2026-10-04 00:32 UTC (criteria of mql)" in lines
    assert captured.err == ""


def test_explain_reads_a_naive_as_of_in_the_contract_zone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The example contract's zone is America/New_York: noon there is 17:00 UTC in November.
    args = example_args("--lead", "L000007")
    args[args.index(EXAMPLE_AS_OF)] = "2026-11-16T12:00:00"
    assert main(["explain", *args]) == 0
    assert capsys.readouterr().out.startswith("Lead L000007, as of 2026-11-16 17:00 UTC\n")


def test_explain_a_fixture_lead(capsys: pytest.CaptureFixture[str]) -> None:
    args = fixture_args(FIXTURES / "leads.csv", "--events", str(FIXTURES / "events.jsonl"))
    assert main(["explain", *args, "--lead", "E5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == [
        "Disqualified 2026-06-06 00:00 UTC by sam: reason 'wrong-person' (NOT valid)",
        "  this reason needs a note, and none was given",
    ]


def test_explain_an_unknown_lead(capsys: pytest.CaptureFixture[str]) -> None:
    leads = FIXTURES / "leads.csv"
    assert main(["explain", *fixture_args(leads, "--lead", "E9")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"leadcontract: lead 'E9' is not in {leads}\n"


def test_explain_a_lead_that_is_an_error_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(BAD_LEADS, encoding="utf-8")
    assert main(["explain", *fixture_args(leads, "--lead", "B2")]) == 1
    assert capsys.readouterr().out == (
        "lead B2 is an error row, so it has no verdict:\n"
        f"  {leads}:3: lead 2 (lead B2): missing-required: email: required, but empty\n"
    )


def test_explain_a_lead_whose_duplicate_is_an_error_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # B3's first record is an error row; the second is valid, and has a verdict.
    leads = tmp_path / "leads.csv"
    leads.write_text(BAD_LEADS, encoding="utf-8")
    assert main(["explain", *fixture_args(leads, "--lead", "B3")]) == 0
    assert capsys.readouterr().out.startswith("Lead B3, as of 2026-07-01 00:00 UTC\n")


def test_explain_a_missing_lead_with_a_bad_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An event error row that names the lead does not make the lead an error row.
    events = tmp_path / "events.jsonl"
    events.write_text('{"lead_id": "E9", "type": "touch", "at": "soon"}\n', encoding="utf-8")
    leads = FIXTURES / "leads.csv"
    args = fixture_args(leads, "--events", str(events), "--lead", "E9")
    assert main(["explain", *args]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"leadcontract: lead 'E9' is not in {leads}\n"


def test_evaluate_records_the_run_in_an_audit_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "audit.db"
    out = tmp_path / "verdicts.jsonl"
    args = [
        "evaluate",
        str(EXAMPLE),
        "--leads",
        str(EXAMPLE / "data" / "leads.csv"),
        "--events",
        str(EXAMPLE / "data" / "events.jsonl"),
        "--as-of",
        "2026-11-16T17:00:00Z",
        "--out",
        str(out),
        "--audit",
        str(db),
    ]
    assert main(args) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 240
    capsys.readouterr()
    assert main(["audit", "verify", str(db)]) == 0
    assert capsys.readouterr().out.startswith("chain ok: 241 entries\n")  # a header + 240
    assert main(["audit", "show", str(db), "--lead", "L000052", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [e["payload"]["lead_id"] for e in shown["entries"]] == ["L000052"]
    with (EXAMPLE / "data" / "leads.csv").open(encoding="utf-8", newline="") as handle:
        email = next(row["Email"] for row in csv.DictReader(handle) if row["Id"] == "L000052")
    assert "@" in email
    assert email not in json.dumps(shown)  # e-mail addresses are pii: masked in the store
    assert main(["audit", "show", str(db), "--lead", "L999999"]) == 1


def test_payouts_statements_reconcile_on_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["payouts", str(EXAMPLE), "--leads", str(EXAMPLE / "data" / "leads.csv")]
    args += ["--events", str(EXAMPLE / "data" / "events.jsonl"), "--period", "2026-10"]
    assert main([*args, "--format", "json"]) == 0
    statements = json.loads(capsys.readouterr().out)
    assert statements, "the example pays some spiffs in October"
    assert all(s["reconciles"] for s in statements)
    assert main([*args[:-1], "2026-13"]) == 2
    assert "2026-10, 2026-Q4" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["report", "payouts"])
def test_report_and_payouts_name_the_error_rows_they_leave_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """Records that are error rows are in no report group and earn nothing: the command says
    which they are (it exited 1 and said nothing, so nobody knew what to fix)."""
    leads = tmp_path / "leads.csv"
    leads.write_text(BAD_LEADS, encoding="utf-8")
    period = ["--period", "2026-06"] if command == "payouts" else ["--as-of", AS_OF]
    assert main([command, str(CONTRACT), "--leads", str(leads), *period]) == 1
    err = capsys.readouterr().err
    assert "2 lead and 0 event record(s) are error rows, left out of" in err
    assert f"{leads}:3: lead 2 (lead B2): missing-required: email" in err


@pytest.mark.parametrize("command", ["evaluate", "report", "payouts"])
def test_counts_that_do_not_reconcile_are_an_internal_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    """Counts that do not reconcile are a bug: exit code 3, never 0 or the 1 of records with
    problems (evaluate said "COUNTS DO NOT RECONCILE" and exited 0)."""
    from leadcontract.engine import RunCounts  # noqa: PLC0415

    monkeypatch.setattr(RunCounts, "reconciles", property(lambda self: False))
    leads = tmp_path / "leads.csv"
    leads.write_text(BAD_LEADS.split("B2", maxsplit=1)[0], encoding="utf-8")
    period = ["--period", "2026-06"] if command == "payouts" else ["--as-of", AS_OF]
    assert main([command, str(CONTRACT), "--leads", str(leads), *period]) == 3
    assert "reconcile" in capsys.readouterr().err.lower()


def test_payouts_without_lines_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    """A period in which nobody earned anything printed nothing at all (an empty table)."""
    args = ["payouts", str(EXAMPLE), "--leads", str(LEADS), "--events", str(EVENTS)]
    assert main([*args, "--period", "2020-01"]) == 0
    assert capsys.readouterr().out == (
        "no spiff lines in 2020-01: no lead earned or lost a spiff\n"
    )


def test_payouts_run_is_recorded_in_the_audit_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "audit.db"
    args = ["payouts", str(EXAMPLE), "--leads", str(EXAMPLE / "data" / "leads.csv")]
    args += ["--events", str(EXAMPLE / "data" / "events.jsonl"), "--period", "2026-Q4"]
    assert main([*args, "--format", "json", "--audit", str(db)]) == 0
    lines = [line for s in json.loads(capsys.readouterr().out) for line in s["lines"]]
    assert main(["audit", "verify", str(db)]) == 0
    assert capsys.readouterr().out.startswith(f"chain ok: {len(lines) + 1} entries\n")
    assert main(["audit", "show", str(db), "--lead", lines[0]["lead_id"], "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert lines[0]["line_id"] in [e["payload"]["line_id"] for e in shown["entries"]]


def test_evaluate_refuses_a_folder_as_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["evaluate", str(EXAMPLE), "--leads", str(EXAMPLE / "data" / "leads.csv")]
    args += ["--events", str(tmp_path), "--as-of", "2026-11-16T17:00:00Z"]
    assert main(args) == 2
    assert "it is a folder, not a file" in capsys.readouterr().err


NOT_YET_LEADS = """\
lead_id,email,employees,created_at
N1,n1@x.example,10,2026-08-01T00:00:00Z
N2,n2@x.example,10,2026-06-01T00:00:00Z
"""


def test_leads_not_yet_created_are_counted_and_exit_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(NOT_YET_LEADS, encoding="utf-8")
    out = tmp_path / "verdicts.jsonl"
    assert main(["evaluate", *fixture_args(leads, "--out", str(out))]) == 0
    assert [json.loads(line)["lead_id"] for line in out.read_text().splitlines()] == ["N2"]
    summary = capsys.readouterr().out.splitlines()
    assert summary[0] == "leads: 2 read, 1 verdicts, 0 error rows, 1 not yet created"
    assert summary[2] == "counts reconcile"


def test_explain_says_a_lead_not_yet_created_has_no_verdict_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(NOT_YET_LEADS, encoding="utf-8")
    assert main(["explain", *fixture_args(leads, "--lead", "N1")]) == 0
    assert capsys.readouterr().out == f"lead N1 was created after {AS_OF}: no verdict yet\n"
