"""Every diagnostic code, produced at an exact line and column.

Most cases are data: ``lint_cases.yaml`` edits the valid base contract ``fixtures/minimal.yaml``
and lists what lint must report (the sqlfluff way: one YAML list, case names as test ids).
Codes that only file-level conditions produce (unreadable, empty, too large, not UTF-8, an
alias bomb, an empty folder, clashes between the files of a folder) are the explicit cases of
:data:`FILE_CASES` below. A coverage test makes sure that together they produce every code in
:data:`~leadcontract.diagnostics.CODES`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from leadcontract import lint
from leadcontract._yaml import MAX_BYTES
from leadcontract.checks import CHECKS
from leadcontract.diagnostics import CODES, Diagnostic
from leadcontract.inputs import sample_columns
from leadcontract.reporters import render_text

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
BASE = FIXTURES / "minimal.yaml"
FOLDER = FIXTURES / "folder"
CASES_FILE = HERE / "lint_cases.yaml"

FAMILIES = (
    "yaml",
    "structure",
    "conditions",
    "references",
    "lifecycle",
    "campaigns",
    "slas",
    "spiffs",
    "time",
    "waivers",
    "mappings",
    "notifications",
)

Check = tuple[str, int | None, int | None]


# --------------------------------------------------------------------------------------------
# The data-driven cases


@dataclass(frozen=True)
class Case:
    """One entry of ``lint_cases.yaml``."""

    name: str
    family: str
    replace: tuple[tuple[str, str], ...]
    append: str
    expect: tuple[Check, ...]
    message: str | None
    hint: str | None
    today: date | None = None
    """The date waivers expire against (``today:`` in the case)."""
    lead_sample: str | None = None
    """The first line of a lead export (CSV) to lint the mapped columns against."""

    def text(self) -> str:
        """The base contract with this case's edits applied."""
        text = BASE.read_text(encoding="utf-8")
        for old, new in self.replace:
            count = text.count(old)
            if count != 1:
                raise AssertionError(
                    f"case {self.name}: {old!r} occurs {count} times, it must occur once"
                )
            text = text.replace(old, new)
        return text + self.append


_CASE_KEYS = {
    "name",
    "family",
    "replace",
    "append",
    "expect",
    "message",
    "hint",
    "today",
    "lead_sample",
}


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{where} must be text, got {value!r} (quote it in the YAML)")
    return value


def _case(entry: Any) -> Case:
    if not isinstance(entry, dict):
        raise TypeError(f"a case must be a mapping, got {entry!r}")
    name = _text(entry.get("name"), "name")
    unknown = set(entry) - _CASE_KEYS
    if unknown:
        raise ValueError(f"case {name}: unknown keys {sorted(unknown)}")
    family = _text(entry.get("family"), f"{name}: family")
    if family not in FAMILIES:
        raise ValueError(f"case {name}: unknown family {family!r}")
    replace = tuple(
        (_text(edit["old"], f"{name}: old"), _text(edit["new"], f"{name}: new"))
        for edit in entry.get("replace", [])
    )
    expect: list[Check] = []
    for item in entry["expect"]:
        code, line, column = item
        if code not in CODES or not isinstance(line, int) or not isinstance(column, int):
            raise ValueError(f"case {name}: bad expectation {item!r}")
        expect.append((code, line, column))
    message = entry.get("message")
    hint = entry.get("hint")
    return Case(
        name=name,
        family=family,
        replace=replace,
        append=_text(entry.get("append", ""), f"{name}: append"),
        expect=tuple(expect),
        message=None if message is None else _text(message, f"{name}: message"),
        hint=None if hint is None else _text(hint, f"{name}: hint"),
        today=entry.get("today"),
        lead_sample=entry.get("lead_sample"),
    )


def load_cases() -> list[Case]:
    entries = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
    cases = [_case(entry) for entry in entries]
    names = [case.name for case in cases]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate case names: {duplicates}")
    return cases


CASES = load_cases()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", CASES, ids=[case.name for case in CASES])


def report(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> str:
    """What ``leadcontract lint`` would print, for assertion messages."""
    return render_text(diagnostics)


def assert_described(
    diagnostics: tuple[Diagnostic, ...], message: str | None, hint: str | None
) -> None:
    """One diagnostic has ``message`` in its message and ``hint`` in its hint."""
    if message is None and hint is None:
        return
    matching = [
        d
        for d in diagnostics
        if (message is None or message in d.message)
        and (hint is None or (d.hint is not None and hint in d.hint))
    ]
    assert matching, (
        f"no diagnostic with message ~ {message!r} and hint ~ {hint!r}:\n{report(diagnostics)}"
    )


def test_case(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "contract.yaml"
    path.write_text(case.text(), encoding="utf-8")
    samples = []
    if case.lead_sample is not None:
        sample = tmp_path / "leads.csv"
        sample.write_text(case.lead_sample + "\n", encoding="utf-8")
        samples.append(("lead", "leads.csv", sample_columns(sample, kind="lead")))
    result = lint(path, today=case.today, samples=samples)
    found = [d.check_tuple() for d in result.diagnostics]
    assert found == list(case.expect), report(result.diagnostics)
    for diagnostic in result.diagnostics:
        assert diagnostic.file == str(path)
        assert diagnostic.severity is CODES[diagnostic.code].severity
    assert_described(result.diagnostics, case.message, case.hint)
    assert result.passed() is not any(d.is_error for d in result.diagnostics)


def test_the_base_contract_lints_clean() -> None:
    result = lint(BASE)
    assert result.diagnostics == (), report(result.diagnostics)
    assert result.contract is not None
    # every section is there, so that every family of checks has something to check
    contract = result.contract
    assert contract.calendars
    assert contract.reps
    assert contract.campaigns
    assert contract.slas
    assert contract.spiffs
    assert contract.lead.scoring.fit.rules
    assert contract.lead.scoring.engagement.rules
    assert contract.lead.buyer_stages
    assert contract.lead.consent
    assert contract.lead.events


def test_the_folder_fixture_lints_clean_and_is_the_base_contract_split() -> None:
    folder = lint(FOLDER)
    assert folder.diagnostics == (), report(folder.diagnostics)
    assert folder.contract == lint(BASE).contract


def test_every_family_has_a_near_miss_that_passes() -> None:
    passing = {case.family for case in CASES if not case.expect}
    assert passing == set(FAMILIES)


def test_every_case_edits_something() -> None:
    base = BASE.read_text(encoding="utf-8")
    unchanged = [case.name for case in CASES if case.text() == base]
    assert unchanged == []


# --------------------------------------------------------------------------------------------
# File-level codes


@dataclass(frozen=True)
class FileCase:
    """An explicit case: build the input under ``tmp_path``, then lint it."""

    build: Callable[[Path], Path]
    expect: Callable[[Path], list[tuple[str, str, int, int]]]
    """(code, file, line, column) of every diagnostic, given what ``build`` returned."""
    message: str


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "nowhere" / "contract.yaml"


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "contract.yaml"
    path.write_text("# a header comment, and nothing else\n", encoding="utf-8")
    return path


def _latin1(tmp_path: Path) -> Path:
    path = tmp_path / "contract.yaml"
    data = BASE.read_bytes()
    assert data.count(b"Sam Sales") == 1
    path.write_bytes(data.replace(b"Sam Sales", "Säm Sales".encode("latin-1")))
    return path


def _too_large(tmp_path: Path) -> Path:
    path = tmp_path / "contract.yaml"
    padding = ("# " + "x" * 98 + "\n") * (MAX_BYTES // 100 + 1)
    path.write_text(BASE.read_text(encoding="utf-8") + padding, encoding="utf-8")
    return path


BOMB = """\
bomb:
  a: &a [x, x, x, x, x, x, x, x, x, x]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
"""


def _alias_bomb(tmp_path: Path) -> Path:
    path = tmp_path / "contract.yaml"
    path.write_text(BASE.read_text(encoding="utf-8") + BOMB, encoding="utf-8")
    return path


def _empty_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "contract"
    (folder / ".hidden").mkdir(parents=True)
    (folder / ".hidden" / "ignored.yaml").write_text("apiVersion: leadcontract/v1\n")
    (folder / "README.md").write_text("not a contract file\n")
    return folder


def _folder_with(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "contract"
    shutil.copytree(FOLDER, folder)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def _duplicate_campaign(tmp_path: Path) -> Path:
    return _folder_with(
        tmp_path,
        "more-campaigns.yaml",
        "apiVersion: leadcontract/v1\n"
        "campaigns:\n"
        "  webinar:\n"
        "    name: Autumn webinar\n"
        "    channel: webinar\n"
        "    window: {start: 2026-09-01}\n"
        "    handoff: {stage: mql, qualified_by: marketing}\n",
    )


def _duplicate_metadata(tmp_path: Path) -> Path:
    return _folder_with(
        tmp_path,
        "more-metadata.yaml",
        "apiVersion: leadcontract/v1\n\nmetadata:\n  id: again\n",
    )


def _in(folder: Path, name: str) -> str:
    """The name diagnostics give a file of a folder read as ``str(folder)``."""
    return f"{folder}/{name}"


FILE_CASES: dict[str, FileCase] = {
    "LC001": FileCase(
        _missing,
        lambda path: [("LC001", str(path), 1, 1)],
        "No such file or directory",
    ),
    "LC002": FileCase(
        _empty,
        lambda path: [("LC002", str(path), 1, 1)],
        "the file is empty",
    ),
    "LC003": FileCase(
        _latin1,
        # line 11 is `    - {name: Sam Sales, team: sales}`; the 'ä' byte is column 15
        lambda path: [("LC003", str(path), 11, 15)],
        "byte 0xE4 at line 11, column 15 cannot be decoded",
    ),
    "LC004": FileCase(
        _too_large,
        lambda path: [("LC004", str(path), 1, 1)],
        f"larger than the limit of {MAX_BYTES} bytes",
    ),
    "LC007": FileCase(
        _alias_bomb,
        # the list `f` (line 117; 10**6 scalars through its aliases) passes the limit, at
        # its anchor; `e` (10**5 scalars) is still within it
        lambda path: [("LC007", str(path), 117, 6)],
        "expands to more than 200000 nodes",
    ),
    "LC010": FileCase(
        _empty_folder,
        lambda path: [("LC010", str(path), 1, 1)],
        "no .yaml or .yml files in folder",
    ),
    "LC104": FileCase(
        _duplicate_campaign,
        lambda folder: [("LC104", _in(folder, "more-campaigns.yaml"), 3, 3)],
        "is defined twice: here and at ",
    ),
    "LC105": FileCase(
        _duplicate_metadata,
        lambda folder: [("LC105", _in(folder, "more-metadata.yaml"), 3, 1)],
        "section `metadata` is written in more than one file: here and at ",
    ),
}


@pytest.mark.parametrize("code", sorted(FILE_CASES))
def test_file_level_code(code: str, tmp_path: Path) -> None:
    case = FILE_CASES[code]
    path = case.build(tmp_path)
    result = lint(path)
    found = [(d.code, d.file, d.line, d.column) for d in result.diagnostics]
    assert found == case.expect(path), report(result.diagnostics)
    assert case.message in result.diagnostics[0].message
    assert result.contract is None
    assert not result.passed()


def test_a_clash_between_files_names_the_other_place(tmp_path: Path) -> None:
    folder = _duplicate_campaign(tmp_path)
    (diagnostic,) = lint(folder).diagnostics
    assert diagnostic.message.endswith(f"here and at {_in(folder, 'campaigns.yml')}:5:3")
    assert diagnostic.pointer == "/campaigns/webinar"
    folder = _duplicate_metadata(tmp_path / "second")
    (diagnostic,) = lint(folder).diagnostics
    assert diagnostic.message.endswith(f"here and at {_in(folder, 'contract.yaml')}:5:1")


# --------------------------------------------------------------------------------------------
# Coverage of the registry


def test_every_code_is_produced_by_a_case() -> None:
    in_cases = {code for case in CASES for code, _, _ in case.expect}
    covered = in_cases | set(FILE_CASES)
    missing = sorted(set(CODES) - covered)
    assert missing == [], f"codes without a case in lint_cases.yaml or FILE_CASES: {missing}"


def test_every_code_a_check_may_emit_is_registered_and_has_a_case() -> None:
    in_cases = {code for case in CASES for code, _, _ in case.expect}
    for check in CHECKS.values():
        for code in check.codes:
            assert code in CODES
            assert code in in_cases, f"check {check.name} may emit {code}, no case shows it"
