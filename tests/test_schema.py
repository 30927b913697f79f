"""The published JSON Schema and the generated reference page: current, valid, and in use."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError

from leadcontract import cli, load
from leadcontract._reference import diagnostics_markdown
from leadcontract._yaml import read_yaml
from leadcontract.model import Calendar, Sla
from leadcontract.schema import SCHEMA_FILE, SCHEMA_ID, contract_schema, schema_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCHEMA_PATH = ROOT / "schemas" / SCHEMA_FILE
DOCS_PATH = ROOT / "docs" / "diagnostics.md"
EXAMPLE = ROOT / "contracts" / "example"
FIXTURES = HERE / "fixtures"
BROKEN = FIXTURES / "broken"

MODELINE = "# yaml-language-server: $schema="
EXAMPLE_MODELINE = f"{MODELINE}../../schemas/leadcontract.schema.json"


def example_files() -> list[Path]:
    files = sorted([*EXAMPLE.glob("*.yaml"), *EXAMPLE.glob("*.yml")])
    assert len(files) >= 6, "the example contract is a folder of several files"
    return files


def valid_fixture_files() -> list[Path]:
    return [FIXTURES / "minimal.yaml", *sorted((FIXTURES / "folder").rglob("*.y*ml"))]


def read_data(path: Path) -> Any:
    document, diagnostics = read_yaml(path)
    assert diagnostics == [], diagnostics
    assert document is not None
    return document.data


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def pointer(error: ValidationError) -> str:
    return "".join(f"/{part}" for part in error.absolute_path)


def leaves(error: ValidationError) -> list[ValidationError]:
    """The errors that say what is wrong: for `anyOf` (optional fields are `X | null`), the
    errors of the alternatives that got furthest into the instance."""
    if not error.context:
        return [error]
    deepest = max(len(e.absolute_path) for e in error.context)
    return [leaf for e in error.context if len(e.absolute_path) == deepest for leaf in leaves(e)]


# --------------------------------------------------------------------------------------------
# Generated files are current


def test_the_checked_in_schema_is_current() -> None:
    assert SCHEMA_PATH.is_file(), f"{SCHEMA_PATH} is missing"
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "schemas/leadcontract.schema.json is stale; regenerate it with "
        "`.venv/bin/leadcontract schema -o schemas/leadcontract.schema.json`"
    )


def test_the_diagnostics_reference_is_current() -> None:
    assert DOCS_PATH.read_text(encoding="utf-8") == diagnostics_markdown(), (
        "docs/diagnostics.md is stale; regenerate it with "
        "`.venv/bin/python -m leadcontract._reference`"
    )


def test_the_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["schema"]) == 0
    captured = capsys.readouterr()
    assert captured.out == schema_text()
    assert captured.err == ""


def test_the_schema_command_writes_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "schema.json"
    assert cli.main(["schema", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == schema_text()
    assert capsys.readouterr().out == ""


def test_schema_text_is_deterministic_json() -> None:
    text = schema_text()
    assert text == schema_text()
    assert text.endswith("}\n")
    assert json.loads(text) == contract_schema()


# --------------------------------------------------------------------------------------------
# The schema is a valid Draft 2020-12 schema of one contract file


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    # one file of a folder holds some sections; only apiVersion is required in each
    assert schema["required"] == ["apiVersion"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {
        "apiVersion",
        "metadata",
        "calendars",
        "reps",
        "lead",
        "campaigns",
        "slas",
        "spiffs",
        "waivers",
        "mappings",
        "notifications",
    }


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_every_example_file_validates(validator: Draft202012Validator, path: Path) -> None:
    errors = [f"{pointer(e)}: {e.message}" for e in validator.iter_errors(read_data(path))]
    assert errors == []


@pytest.mark.parametrize(
    "path", valid_fixture_files(), ids=lambda p: p.relative_to(FIXTURES).as_posix()
)
def test_every_valid_fixture_validates(validator: Draft202012Validator, path: Path) -> None:
    errors = [f"{pointer(e)}: {e.message}" for e in validator.iter_errors(read_data(path))]
    assert errors == []


# --------------------------------------------------------------------------------------------
# Broken files are rejected by both the JSON Schema and the loader, at the same place

BROKEN_CASES: dict[str, tuple[set[tuple[str, str]], list[tuple[str, int, int, str]]]] = {
    # file: ({(schema error pointer, JSON Schema keyword)}, [(code, line, column, pointer)])
    "unknown-key.yaml": (
        {("/campaigns/autumn", "additionalProperties"), ("/campaigns/autumn", "required")},
        [
            ("LC102", 6, 3, "/campaigns/autumn/channel"),
            ("LC101", 8, 5, "/campaigns/autumn/chanel"),
        ],
    ),
    "wrong-type.yaml": (
        {("/campaigns/autumn/capacity/leads_per_week", "type")},
        [("LC103", 11, 32, "/campaigns/autumn/capacity/leads_per_week")],
    ),
    "bad-duration.yaml": (
        {("/slas/second-touch/target", "pattern")},
        [("LC103", 9, 13, "/slas/second-touch/target")],
    ),
    "bad-enum.yaml": (
        {("/campaigns/autumn/handoff/qualified_by", "enum")},
        [("LC103", 10, 41, "/campaigns/autumn/handoff/qualified_by")],
    ),
    "bad-api-version.yaml": (
        {("/apiVersion", "const")},
        [("LC103", 3, 13, "/apiVersion")],
    ),
}


def test_every_broken_fixture_has_a_case() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(BROKEN_CASES)


@pytest.mark.parametrize("name", sorted(BROKEN_CASES))
def test_a_broken_file_is_rejected_by_the_schema(
    validator: Draft202012Validator, name: str
) -> None:
    expected, _ = BROKEN_CASES[name]
    errors = [leaf for e in validator.iter_errors(read_data(BROKEN / name)) for leaf in leaves(e)]
    assert {(pointer(e), str(e.validator)) for e in errors} == expected


@pytest.mark.parametrize("name", sorted(BROKEN_CASES))
def test_a_broken_file_is_rejected_by_the_loader(tmp_path: Path, name: str) -> None:
    # Each broken file is one file of a folder: add it to the valid folder fixture, so that
    # the only problems are its own.
    folder = tmp_path / "contract"
    shutil.copytree(FIXTURES / "folder", folder)
    shutil.copy(BROKEN / name, folder / name)
    _, expected = BROKEN_CASES[name]
    result = load(folder)
    assert result.contract is None
    assert [(d.code, d.line, d.column, d.pointer) for d in result.diagnostics] == expected, (
        result.diagnostics
    )
    assert {d.file for d in result.diagnostics} == {f"{folder}/{name}"}


@pytest.mark.parametrize("name", sorted(BROKEN_CASES))
def test_schema_and_loader_agree_on_where(validator: Draft202012Validator, name: str) -> None:
    schema_pointers, diagnostics = BROKEN_CASES[name]
    for schema_pointer, _ in schema_pointers:
        assert any(
            p == schema_pointer or p.startswith(schema_pointer + "/") for *_, p in diagnostics
        )


# --------------------------------------------------------------------------------------------
# Editors find the schema


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_example_files_name_the_schema(path: Path) -> None:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == EXAMPLE_MODELINE
    relative = first_line.removeprefix(MODELINE)
    assert (path.parent / relative).resolve() == SCHEMA_PATH.resolve()
    assert (path.parent / relative).is_file()


@pytest.mark.parametrize(
    "path",
    [*valid_fixture_files(), *sorted(BROKEN.glob("*.yaml"))],
    ids=lambda p: p.relative_to(FIXTURES).as_posix(),
)
def test_fixture_files_name_the_schema(path: Path) -> None:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith(MODELINE)
    relative = first_line.removeprefix(MODELINE)
    assert (path.parent / relative).resolve() == SCHEMA_PATH.resolve()


@pytest.mark.parametrize(
    ("section", "bad"),
    [
        ({"calendars": {"x": {"timezone": "UTC", "hours": {"mon": ["09:00-24:30"]}}}}, "24:30"),
        ({"calendars": {"x": {"timezone": "UTC", "hours": {"mon": ["25:00-26:00"]}}}}, "25:00"),
        ({"slas": {"s": {"start": {"event": "handoff"}, "stop": {"event": "touch"},
                         "target": "4h", "time": "calendar", "warn_at": [150]}}}, "150"),
    ],
    ids=["past-24:00", "hour-25", "warn-at-150"],
)  # fmt: skip
def test_the_schema_is_as_strict_as_the_models_on_values(
    section: Any, bad: str, validator: Draft202012Validator
) -> None:
    document = {"apiVersion": "leadcontract/v1", **section}
    errors = list(validator.iter_errors(document))
    assert errors, f"the JSON Schema accepted {bad}"
    assert load_errors_mention(document, bad)


def load_errors_mention(document: dict[str, Any], bad: str) -> bool:
    """The models refuse the same value (so the schema is not stricter than they are)."""
    section, members = next((k, v) for k, v in document.items() if k != "apiVersion")
    model = Calendar if section == "calendars" else Sla
    (member,) = members.values()
    try:
        model.model_validate(member)
    except ValueError as error:
        return bad in str(error) or "24:00" in str(error) or "between 1 and 99" in str(error)
    return False
