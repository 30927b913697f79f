"""Verdicts as first-class types: their published JSON Schema, lossless round trips, pydantic
models that hold them, and a consumer application that type-checks under mypy --strict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from consumer.app import breached_slas, reports, round_trip
from pydantic import BaseModel, TypeAdapter, ValidationError

from leadcontract.schema import verdict_schema_text
from leadcontract.verdict import Verdict

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "contracts" / "example"
DATA = EXAMPLE / "data"


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The example's verdicts, with their traces, as evaluate writes them."""
    from leadcontract.cli import main  # noqa: PLC0415

    out = tmp_path_factory.mktemp("verdicts") / "verdicts.jsonl"
    code = main(
        ["evaluate", str(EXAMPLE), "--leads", str(DATA / "leads.csv"), "--events",
         str(DATA / "events.jsonl"), "--as-of", "2026-11-16T17:00:00Z", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    return out.read_text(encoding="utf-8").splitlines()


def test_the_checked_in_verdict_schema_is_current() -> None:
    assert (ROOT / "schemas" / "verdict.schema.json").read_text() == verdict_schema_text()


def test_every_verdict_written_is_valid_against_the_published_schema(lines: list[str]) -> None:
    schema = json.loads((ROOT / "schemas" / "verdict.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert len(lines) == 240
    for line in lines:
        errors = list(validator.iter_errors(json.loads(line)))
        assert errors == [], errors[0].message


def test_the_schema_describes_the_derived_values_and_typed_statuses() -> None:
    schema = json.loads((ROOT / "schemas" / "verdict.schema.json").read_text())
    definitions = schema["$defs"]
    assert "complete" in definitions["Handoff"]["properties"]
    assert "valid" in definitions["Disqualification"]["properties"]
    status = definitions["SlaVerdict"]["properties"]["status"]
    assert set(status["enum"]) == {
        "not_applicable", "pending", "at_risk", "paused", "met", "breached", "cancelled"
    }  # fmt: skip
    validator = jsonschema.Draft202012Validator(schema)
    assert not validator.is_valid({"lead_id": "L1"})  # a verdict has its required parts


def test_verdicts_round_trip_losslessly(lines: list[str]) -> None:
    for line in lines:
        data = json.loads(line)
        assert Verdict.from_json(line).to_dict() == data
        assert Verdict.from_dict(data).to_dict() == data
        again = json.dumps(Verdict.from_json(line).to_dict(), ensure_ascii=False,
                           separators=(",", ":"))  # fmt: skip
        assert again == line  # the very bytes


def test_what_is_not_a_verdict_is_refused(lines: list[str]) -> None:
    data = json.loads(lines[0])
    data["slas"][0]["status"] = "breach"
    with pytest.raises(ValidationError):
        Verdict.from_dict(data)


def test_a_pydantic_model_holds_a_verdict_and_dumps_what_evaluate_writes(
    lines: list[str],
) -> None:
    class Stored(BaseModel):
        verdict: Verdict

    for line in lines[:60]:
        data = json.loads(line)
        stored = Stored.model_validate({"verdict": data})
        assert stored.model_dump(mode="json")["verdict"] == data
        assert Stored.model_validate_json(stored.model_dump_json()) == stored
    assert TypeAdapter(list[Verdict]).json_schema()["type"] == "array"


def test_the_consumer_application_works() -> None:
    found = reports(str(EXAMPLE), str(DATA / "leads.csv"), str(DATA / "events.jsonl"))
    assert len(found) == 240
    for report in found[:40]:  # lossless as JSON (facts typed Any come back as JSON values)
        assert round_trip(report).model_dump(mode="json") == report.model_dump(mode="json")
        assert round_trip(report).verdict.to_dict() == report.verdict.to_dict()
    assert any(breached_slas(report.verdict) for report in found)


def test_the_consumer_application_type_checks_under_mypy_strict() -> None:
    app = Path(__file__).parent / "consumer" / "app.py"
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(app)],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_status_typo_is_a_type_error(tmp_path: Path) -> None:
    bad = tmp_path / "typo.py"
    bad.write_text(
        'from leadcontract.verdict import SlaStatus\nstatus: SlaStatus = "breach"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(bad)],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Incompatible types in assignment" in done.stdout
