"""The loader: files and folders → one merged, validated contract, every problem placed."""

from __future__ import annotations

import os
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from leadcontract import load
from leadcontract.diagnostics import Diagnostic, Location
from leadcontract.loader import LoadResult, contract_files, escape_pointer
from leadcontract.reporters import render_text

HERE = Path(__file__).resolve().parent
BASE = HERE / "fixtures" / "minimal.yaml"
FOLDER = HERE / "fixtures" / "folder"
FOLDER_FILES = [
    "campaigns.yml",
    "contract.yaml",
    "lead.yaml",
    "rules/slas.yaml",
    "rules/spiffs.yaml",
]

Check = tuple[str, str | None, int | None, int | None]


def place(diagnostic: Diagnostic) -> Check:
    """``(code, file, line, column)`` of one diagnostic."""
    return (diagnostic.code, diagnostic.file, diagnostic.line, diagnostic.column)


def checks(result: LoadResult) -> list[Check]:
    return [place(d) for d in result.diagnostics]


def only(result: LoadResult) -> Diagnostic:
    assert len(result.diagnostics) == 1, render_text(result.diagnostics)
    return result.diagnostics[0]


def base_with(*edits: tuple[str, str]) -> str:
    text = BASE.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A writable copy of the folder fixture (the base contract split over five files)."""
    target = tmp_path / "contract"
    shutil.copytree(FOLDER, target)
    return target


def in_folder(folder: Path, name: str) -> str:
    return f"{folder}/{name}"


# --------------------------------------------------------------------------------------------
# Folders


def test_a_folder_is_merged_from_its_files() -> None:
    result = load(FOLDER)
    assert result.diagnostics == ()
    assert result.ok
    assert result.contract == load(BASE).contract
    assert result.source is not None
    assert result.source.files == tuple(f"{FOLDER}/{name}" for name in FOLDER_FILES)


def test_every_node_is_located_in_the_file_that_wrote_it() -> None:
    source = load(FOLDER).source
    assert source is not None
    assert source.locate("/campaigns/webinar/handoff/stage") == Location(
        f"{FOLDER}/campaigns.yml", 9, 22
    )
    assert source.locate("/slas/first-touch/target") == Location(f"{FOLDER}/rules/slas.yaml", 9, 13)
    assert source.locate("/spiffs/webinar-sql", key=True) == Location(
        f"{FOLDER}/rules/spiffs.yaml", 5, 3
    )
    assert source.locate("/lead/lifecycle/stages/1/when") == Location(f"{FOLDER}/lead.yaml", 31, 15)
    assert source.locate("/metadata/owners/1/team") == Location(f"{FOLDER}/contract.yaml", 11, 31)
    assert source.locate("/metadata/owners/1/team", key=True) == Location(
        f"{FOLDER}/contract.yaml", 11, 25
    )
    # offsets inside an expression string are exact too
    assert source.locate_in_scalar("/lead/lifecycle/stages/1/when", 9) == Location(
        f"{FOLDER}/lead.yaml", 31, 24
    )


def test_contract_files_are_sorted_and_skip_hidden_folders_and_other_files(
    folder: Path,
) -> None:
    write(folder / ".git" / "config.yaml", "not: [a contract")
    write(folder / "notes.txt", "not yaml")
    write(folder / "rules" / ".draft" / "spiffs.yaml", "spiffs: {}")
    assert [p.relative_to(folder).as_posix() for p in contract_files(folder)] == FOLDER_FILES
    assert load(folder).diagnostics == ()


def test_several_paths_are_one_contract(tmp_path: Path) -> None:
    text = BASE.read_text(encoding="utf-8")
    head, tail = text.split("\ncampaigns:\n")
    first = write(tmp_path / "a.yaml", head)
    second = write(tmp_path / "b.yaml", "apiVersion: leadcontract/v1\ncampaigns:\n" + tail)
    result = load([first, str(second)])
    assert result.diagnostics == ()
    assert result.contract == load(BASE).contract
    assert result.source is not None
    assert result.source.file_of("/slas/first-touch/stop") == str(second)


def test_a_duplicate_campaign_id_names_both_places(folder: Path) -> None:
    write(
        folder / "zz-more.yaml",
        "apiVersion: leadcontract/v1\n"
        "campaigns:\n"
        "  partner:\n"
        "    name: Partner leads\n"
        "    channel: partner\n"
        "    window: {start: 2026-09-01}\n"
        "    handoff: {stage: mql, qualified_by: partner}\n"
        "  demo:\n"
        "    name: Demo again\n",
    )
    result = load(folder)
    diagnostic = only(result)
    assert diagnostic.check_tuple() == ("LC104", 8, 3)
    assert diagnostic.file == in_folder(folder, "zz-more.yaml")
    assert diagnostic.message == (
        f"campaign `demo` is defined twice: here and at {in_folder(folder, 'campaigns.yml')}:11:3"
    )
    assert diagnostic.pointer == "/campaigns/demo"
    assert result.contract is None  # which of the two was meant is not for us to guess


def test_a_duplicate_id_in_every_collection(folder: Path) -> None:
    write(
        folder / "zz-copies.yaml",
        "apiVersion: leadcontract/v1\n"
        "calendars: {office: {timezone: UTC, hours: {mon: ['09:00-17:00']}}}\n"
        "reps: {max: {name: Max, role: manager}}\n"
        "slas:\n"
        "  first-touch: {}\n"
        "spiffs:\n"
        "  webinar-sql: {}\n",
    )
    result = load(folder)
    name = in_folder(folder, "zz-copies.yaml")
    assert checks(result) == [
        ("LC104", name, 2, 13),
        ("LC104", name, 3, 8),
        ("LC104", name, 5, 3),
        ("LC104", name, 7, 3),
    ]
    messages = [d.message.split(":")[0] for d in result.diagnostics]
    assert messages == [
        "calendar `office` is defined twice",
        "rep `max` is defined twice",
        "sla `first-touch` is defined twice",
        "spiff `webinar-sql` is defined twice",
    ]


def test_metadata_in_two_files(folder: Path) -> None:
    write(folder / "zz-metadata.yaml", "apiVersion: leadcontract/v1\nmetadata:\n  id: again\n")
    diagnostic = only(load(folder))
    assert place(diagnostic) == ("LC105", in_folder(folder, "zz-metadata.yaml"), 2, 1)
    assert diagnostic.message == (
        "section `metadata` is written in more than one file: here and at "
        f"{in_folder(folder, 'contract.yaml')}:5:1"
    )
    assert diagnostic.hint == "keep `metadata` in one file of the contract folder"


def test_lead_in_two_files(folder: Path) -> None:
    write(folder / "a-lead.yaml", "apiVersion: leadcontract/v1\n\nlead: {}\n")
    diagnostic = only(load(folder))
    # the first file in folder order keeps the section; the later one is reported
    assert (diagnostic.code, diagnostic.file, diagnostic.line) == (
        "LC105",
        in_folder(folder, "lead.yaml"),
        4,
    )
    assert in_folder(folder, "a-lead.yaml:3:1") in diagnostic.message


@pytest.mark.parametrize(
    ("text", "found", "position"),
    [
        ("- apiVersion: leadcontract/v1\n", "a list", (1, 1)),
        ("# comment\nhello\n", "a str", (2, 1)),
        ("~\n", "nothing", (1, 1)),
        ("42\n", "a int", (1, 1)),
    ],
)
def test_a_file_that_is_not_a_mapping(
    folder: Path, text: str, found: str, position: tuple[int, int]
) -> None:
    write(folder / "odd.yaml", text)
    result = load(folder)
    diagnostic = only(result)
    assert place(diagnostic) == ("LC103", in_folder(folder, "odd.yaml"), *position)
    assert diagnostic.message.endswith(f"found {found}")
    assert result.contract is None


def test_a_single_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    result = load(write(tmp_path / "c.yaml", "- 1\n- 2\n"))
    assert checks(result) == [("LC103", str(tmp_path / "c.yaml"), 1, 1)]


def test_a_file_of_a_folder_without_api_version(folder: Path) -> None:
    write(folder / "extra.yaml", "# extra reps\nreps:\n  zoe: {name: Zoe, role: sdr}\n")
    diagnostic = only(load(folder))
    assert place(diagnostic) == ("LC102", in_folder(folder, "extra.yaml"), 2, 1)
    assert diagnostic.hint == "start the file with `apiVersion: leadcontract/v1`"


def test_a_file_of_a_folder_with_another_api_version(folder: Path) -> None:
    text = (folder / "lead.yaml").read_text(encoding="utf-8")
    write(folder / "lead.yaml", text.replace("apiVersion: leadcontract/v1", "apiVersion: v2"))
    result = load(folder)
    diagnostic = only(result)
    assert place(diagnostic) == ("LC103", in_folder(folder, "lead.yaml"), 2, 13)
    assert "'v2'" in diagnostic.message
    assert result.contract is None


def test_a_collection_written_as_a_list_in_one_file(folder: Path) -> None:
    write(folder / "zz.yaml", "apiVersion: leadcontract/v1\nreps: []\n")
    diagnostic = only(load(folder))
    assert place(diagnostic) == ("LC103", in_folder(folder, "zz.yaml"), 2, 7)
    assert diagnostic.message == (
        "`reps` must be a mapping of ids to definitions in every file; here it is a list, "
        f"and at {in_folder(folder, 'contract.yaml')}:25:1 a dict"
    )


# --------------------------------------------------------------------------------------------
# Pydantic errors, placed


def load_text(tmp_path: Path, text: str) -> LoadResult:
    return load(write(tmp_path / "contract.yaml", text))


def test_unknown_top_level_key_with_did_you_mean(tmp_path: Path) -> None:
    result = load_text(tmp_path, base_with(("\ncampaigns:\n", "\ncampains:\n")))
    diagnostic = only(result)
    assert diagnostic.check_tuple() == ("LC101", 79, 1)
    assert diagnostic.message == "unknown key `campains` in `the contract`"
    assert diagnostic.hint == "did you mean `campaigns`?"
    assert diagnostic.pointer == "/campains"
    # the SLA and spiff that name the campaign are not checked: the contract did not load
    assert result.contract is None


def test_unknown_key_without_a_close_match_lists_the_allowed_ones(tmp_path: Path) -> None:
    result = load_text(tmp_path, base_with(("  office:\n", "  office:\n    color: blue\n")))
    diagnostic = only(result)
    assert diagnostic.check_tuple() == ("LC101", 17, 5)
    assert diagnostic.hint == "allowed here: description, holidays, hours, timezone"


@pytest.mark.parametrize(
    ("old", "new", "expected", "message"),
    [
        # an item of a list
        ("warn_at: [50, 75]", "warn_at: [50, high]", ("LC103", 99, 19), "warn_at.1`: Input"),
        # an item of a list inside a dict keyed by weekday
        ('"13:00-17:00"', '"13:00-25:00"', ("LC103", 20, 28), "expected working hours"),
        ('"13:00-17:00"', '"13:00-24:30"', ("LC103", 20, 28), "24:00 is the latest end"),
        # a dict key
        ("  demo:\n", '  "Bad Id":\n', ("LC103", 86, 3), "`campaigns.Bad Id`: String"),
        ("  demo:\n", '  "a/b~c":\n', ("LC103", 86, 3), "`campaigns.a/b~c`: String"),
        ("      mon: [", "      monday: [", ("LC103", 19, 7), "Input should be 'mon'"),
        # a value deep in a list of mappings of a list
        ("{id: big, when", "{id: 7big, when", ("LC103", 47, 16), "rules.0.id`: String"),
        # a whole list
        (
            "regions:\n        - {country: US, subdivision: NY}",
            "regions: US",
            ("LC103", 22, 16),
            "valid list",
        ),
        # a missing key, shown at the key of the mapping it is missing from
        ("    start: {event: handoff}\n", "", ("LC102", 93, 3), "`start` in `slas.first-touch`"),
    ],
)
def test_pydantic_errors_are_placed_on_the_node(
    tmp_path: Path, old: str, new: str, expected: tuple[str, int, int], message: str
) -> None:
    diagnostic = only(load_text(tmp_path, base_with((old, new))))
    assert diagnostic.check_tuple() == expected
    assert message in diagnostic.message


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        # a mapping: the keys it needs
        (
            "    window: {start: 2026-01-01}\n",
            "",
            "add `window:` to `campaigns.demo`: a mapping with `start`",
        ),
        (
            "  disqualification:\n    reasons:\n      no-budget:\n        label: No budget\n"
            "        recycle: {to: nurture, after: 90d}\n        max_recycles: 2\n"
            "      bad-data: {label: Invalid contact data}\n",
            "",
            "add `disqualification:` to `lead`: a mapping with `reasons`",
        ),
        # a value: what kind, and what it means
        ("    name: Demo request\n", "", "add `name:` to `campaigns.demo`: text"),
        ("    target: 4h\n", "", "add `target:` to `slas.first-touch`: a duration such as 4h"),
    ],
)
def test_a_missing_key_comes_with_what_to_write(
    tmp_path: Path, old: str, new: str, hint: str
) -> None:
    diagnostic = only(load_text(tmp_path, base_with((old, new))))
    assert diagnostic.code == "LC102"
    assert diagnostic.hint is not None
    assert diagnostic.hint.startswith(hint), diagnostic.hint


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        (
            "{country: US, subdivision: NY}",
            "{country: Norway, subdivision: NY}",
            "`country`: ISO 3166 code as the `holidays` package knows it",
        ),
        (
            "employees >= 200, points: 20}",
            "employees >= 200, points: ten}",
            "`points`: Points added",
        ),
    ],
)
def test_a_wrong_value_comes_with_what_the_key_is_for(
    tmp_path: Path, old: str, new: str, hint: str
) -> None:
    """Pydantic's own words ("String should match pattern '^[A-Z]{2,3}$'") say what is wrong;
    the hint says what the key is for, from the model's own documentation."""
    diagnostic = only(load_text(tmp_path, base_with((old, new))))
    assert diagnostic.code == "LC103"
    assert diagnostic.hint is not None
    assert diagnostic.hint.startswith(hint), diagnostic.hint


def test_a_bad_dict_key_has_its_escaped_pointer(tmp_path: Path) -> None:
    diagnostic = only(load_text(tmp_path, base_with(("  demo:\n", '  "a/b~c":\n'))))
    assert diagnostic.pointer == "/campaigns/" + escape_pointer("a/b~c") == "/campaigns/a~1b~0c"


def test_missing_top_level_sections_are_shown_at_the_first_key(tmp_path: Path) -> None:
    result = load_text(tmp_path, "# header\napiVersion: leadcontract/v1\n")
    assert [d.check_tuple() for d in result.diagnostics] == [
        ("LC102", 2, 1),
        ("LC102", 2, 1),
    ]
    assert [d.message for d in result.diagnostics] == [
        "missing required key `lead` in `the contract`",
        "missing required key `metadata` in `the contract`",
    ]
    assert [d.pointer for d in result.diagnostics] == ["/lead", "/metadata"]


def test_many_errors_at_once_in_report_order(tmp_path: Path) -> None:
    result = load_text(
        tmp_path,
        base_with(
            ("version: 1.0.0", "version: 1.0"),
            ("{type: integer}", "{type: int}"),
            ("target: 4h", "target: soon"),
        ),
    )
    assert [d.check_tuple() for d in result.diagnostics] == [
        ("LC103", 7, 12),
        ("LC103", 34, 23),
        ("LC103", 97, 13),
    ]
    assert "(found 1.0)" in result.diagnostics[0].message  # 1.0 is a number in YAML 1.2


# --------------------------------------------------------------------------------------------
# YAML 1.1 traps


def test_yaml_one_one_traps_mean_what_they_read_as(tmp_path: Path) -> None:
    text = base_with(
        (
            "{country: US, subdivision: NY}",
            "{country: NO}\n        - {country: DE, subdivision: BE}",
        ),
        ("label: No budget", "label: no"),
        ("bad-data: {label: Invalid contact data}", "bad-data: {label: off, description: yes}"),
        ("      tue:", "      wed: ['09:00-10:00']\n      tue:"),
    )
    result = load_text(tmp_path, text)
    assert result.diagnostics == ()
    contract = result.contract
    assert contract is not None
    regions = contract.calendars["office"].holidays.regions
    assert [(r.country, r.subdivision) for r in regions] == [("NO", None), ("DE", "BE")]
    reasons = contract.lead.disqualification.reasons
    assert reasons["no-budget"].label == "no"
    assert (reasons["bad-data"].label, reasons["bad-data"].description) == ("off", "yes")


def test_dates_written_as_text_become_dates(tmp_path: Path) -> None:
    text = base_with(
        ("effective: {start: 2026-01-01,", 'effective: {start: "2026-01-01",'),
        (
            "        - {country: US, subdivision: NY}\n",
            "        - {country: US, subdivision: NY}\n      dates: [2026-12-24, '2026-12-31']\n",
        ),
    )
    contract = load_text(tmp_path, text).contract
    assert contract is not None
    assert contract.metadata.effective.start == date(2026, 1, 1)
    assert contract.metadata.effective.end == date(2026, 12, 31)
    assert contract.calendars["office"].holidays.dates == [date(2026, 12, 24), date(2026, 12, 31)]
    assert contract.campaigns["demo"].window.start == date(2026, 1, 1)
    assert contract.spiffs["webinar-sql"].amount.fixed == Decimal("50.00")
    assert str(contract.spiffs["webinar-sql"].amount.fixed) == "50.00"


def test_a_version_that_yaml_reads_as_a_number_is_reported(tmp_path: Path) -> None:
    diagnostic = only(load_text(tmp_path, base_with(("version: 1.0.0", "version: 2"))))
    assert diagnostic.check_tuple() == ("LC103", 7, 12)
    assert diagnostic.message == "`metadata.version`: Input should be a valid string (found 2)"


# --------------------------------------------------------------------------------------------
# Input that cannot be read


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    result = load(path)
    assert result == LoadResult(None, None, result.diagnostics)
    assert not result.ok
    diagnostic = only(result)
    assert place(diagnostic) == ("LC001", str(path), 1, 1)


def test_a_path_that_is_not_a_regular_file(tmp_path: Path) -> None:
    pipe = tmp_path / "contract.yaml"
    os.mkfifo(pipe)
    result = load(pipe)
    assert result.contract is None
    assert only(result).code == "LC001"
    assert "not a regular file" in result.diagnostics[0].message


def test_an_unreadable_file_of_a_folder_stops_the_load_without_follow_up_errors(
    folder: Path,
) -> None:
    (folder / "lead.yaml").write_bytes(b"apiVersion: leadcontract/v1\nlead: \xff\n")
    result = load(folder)
    # not "missing required key `lead`": the section is unreadable, not missing
    assert checks(result) == [("LC003", in_folder(folder, "lead.yaml"), 2, 7)]
    assert result.contract is None
    assert result.source is not None  # what could be read is still there to locate with
    assert in_folder(folder, "lead.yaml") not in result.source.files


def test_an_empty_file_of_a_folder(folder: Path) -> None:
    write(folder / "empty.yaml", "")
    result = load(folder)
    assert checks(result) == [("LC002", in_folder(folder, "empty.yaml"), 1, 1)]
    assert result.contract is None


def test_a_yaml_error_in_one_file_and_a_clash_in_another_are_both_reported(
    folder: Path,
) -> None:
    write(folder / "broken.yaml", "apiVersion: leadcontract/v1\nreps: {zoe: [}\n")
    write(folder / "more.yaml", "apiVersion: leadcontract/v1\nreps:\n  ann: {name: Ann}\n")
    result = load(folder)
    assert [(d.code, Path(d.file or "").name) for d in result.diagnostics] == [
        ("LC005", "broken.yaml"),
        ("LC104", "more.yaml"),
    ]


def test_an_empty_folder(tmp_path: Path) -> None:
    result = load(tmp_path)
    assert checks(result) == [("LC010", str(tmp_path), 1, 1)]
    assert result.source is None
    assert result.contract is None
