"""The contract-test case format: a lead, its events, an as-of, and what its verdict must say.

Case files are YAML beside the contract (``tests/*.yaml`` inside a contract folder, which the
loader does not read as contract files). They are data, in the spirit of ``opa test`` and the
JSON-Schema-Test-Suite: each case names only the parts of the verdict it pins, so a case
about the MQL threshold does not break when an SLA changes. The models here are the single
source of truth; ``schemas/leadcontract-tests.schema.json`` is generated from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from leadcontract._yaml import SourceMap, read_yaml
from leadcontract.diagnostics import Location

__all__ = [
    "Case",
    "CaseFile",
    "CaseFileError",
    "Expectation",
    "HandoffExpectation",
    "LoadedCase",
    "ScoreRange",
    "SlaExpectation",
    "case_files",
    "case_schema",
    "load_cases",
]

SlaStatus = Literal[
    "not_applicable", "pending", "at_risk", "paused", "met", "breached", "cancelled"
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ScoreRange(_Model):
    """Bounds for the total score, both inclusive; give either or both."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> ScoreRange:
        if self.min is None and self.max is None:
            raise ValueError("a score range needs `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min}) is above `max` ({self.max})")
        return self

    def holds(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def __str__(self) -> str:
        if self.min is not None and self.max is not None:
            return f"between {self.min:g} and {self.max:g}"
        return f">= {self.min:g}" if self.min is not None else f"<= {self.max:g}"


class HandoffExpectation(_Model):
    """What the campaign's handoff must look like; unnamed parts are not checked."""

    due: bool | None = None
    """The lead reached the campaign's handoff stage."""
    done: bool | None = None
    """Marketing handed the lead off."""
    complete: bool | None = None
    """Handed off with every required field."""
    missing_fields: list[str] | None = None
    """Exactly these required fields are missing (any order)."""

    @model_validator(mode="after")
    def _pins_something(self) -> HandoffExpectation:
        if all(value is None for value in self.model_dump().values()):
            raise ValueError(
                "a handoff expectation needs one of `due`, `done`, `complete`, `missing_fields`"
            )
        return self


class SlaExpectation(_Model):
    """One SLA's clock: its status and, when breached, the party accountable."""

    status: SlaStatus | None = None
    party: str | None = None
    """Who broke the promise (sales, marketing, partner...)."""

    @model_validator(mode="after")
    def _pins_something(self) -> SlaExpectation:
        if self.status is None and self.party is None:
            raise ValueError("an SLA expectation needs `status`, `party` or both")
        return self


class Expectation(_Model):
    """The parts of the verdict a case pins."""

    stage: str | None = None
    """The lifecycle stage id as of the case's time."""
    buyer_stage: str | None = None
    score: float | ScoreRange | None = None
    """An exact total score, or a range (`{min: 60, max: 80}`)."""
    handoff: HandoffExpectation | None = None
    slas: dict[str, SlaExpectation] = Field(default_factory=dict)
    """By SLA id."""
    spiffs: dict[str, Decimal] = Field(default_factory=dict)
    """By spiff id: the total amount its lines come to for this lead (0 for not earned)."""

    @model_validator(mode="after")
    def _pins_something(self) -> Expectation:
        """A case that expects nothing passed whatever the contract said, and its lead's
        rules still counted as covered (``--fail-under`` passed on cases that check nothing)."""
        pinned = (self.stage, self.buyer_stage, self.score, self.handoff)
        if all(value is None for value in pinned) and not self.slas and not self.spiffs:
            raise ValueError(
                "`expect` pins nothing; name at least one of stage, buyer_stage, score, "
                "handoff, slas, spiffs"
            )
        return self


class Case(_Model):
    """One lead, its events, and what its verdict must say."""

    name: str = Field(min_length=1)
    """Shown in reports and as the JUnit test name; unique within its file."""
    description: str = ""
    as_of: datetime | None = None
    """The instant to evaluate at; defaults to the file's `as_of`."""
    lead: dict[str, Any]
    """The lead record, by contract field names (or CRM column names)."""
    events: list[dict[str, Any]] = Field(default_factory=list)
    """Activity events (`type`, `at`, ...); `lead_id` defaults to the lead's id."""
    expect: Expectation


class CaseFile(_Model):
    """A file of contract tests."""

    as_of: datetime | None = None
    """Default instant for the cases of this file."""
    cases: list[Case] = Field(min_length=1)


class CaseFileError(ValueError):
    """A case file cannot be read: where, and what was expected."""

    def __init__(self, location: Location, message: str) -> None:
        self.location = location
        super().__init__(f"{location}: {message}")


@dataclass(frozen=True)
class LoadedCase:
    """A case with where it was written (for reports that point at the file)."""

    case: Case
    as_of: datetime
    file: str
    line: int


def case_files(contract: Path, cases: Path | None = None) -> list[Path]:
    """The case files to run: ``cases`` (a file or folder), else the contract's ``tests/``."""
    root = cases if cases is not None else (contract if contract.is_dir() else contract.parent)
    if cases is None:
        root = root / "tests"
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_cases(path: Path) -> list[LoadedCase]:
    """Read and validate one case file; raises :class:`CaseFileError` with file and line."""
    document, problems = read_yaml(path)
    if document is None or problems:
        first = problems[0] if problems else None
        where = Location(str(path), first.line or 1, first.column or 1) if first else None
        raise CaseFileError(
            where or Location(str(path), 1, 1),
            first.message if first else "cannot read the case file",
        )
    try:
        parsed = CaseFile.model_validate(document.data)
    except ValidationError as error:
        raise _placed(error, document.data, document.source_map) from error
    loaded: list[LoadedCase] = []
    seen: set[str] = set()
    for i, case in enumerate(parsed.cases):
        location = document.source_map.locate(f"/cases/{i}")
        if case.name in seen:
            raise CaseFileError(location, f"case name {case.name!r} is used twice in this file")
        seen.add(case.name)
        as_of = case.as_of or parsed.as_of
        if as_of is None:
            raise CaseFileError(location, f"case {case.name!r} has no `as_of` (nor has the file)")
        if as_of.tzinfo is None:
            raise CaseFileError(location, f"case {case.name!r}: `as_of` needs a UTC offset or Z")
        loaded.append(LoadedCase(case, as_of, str(path), location.line))
    return loaded


def _placed(error: ValidationError, data: Any, source_map: SourceMap) -> CaseFileError:
    """The most telling of pydantic's errors, on its line. Of a union's errors (``score`` is a
    number or a range) a validator's message says more than "should be a number"."""
    items = error.errors(include_url=False)
    item = min(items, key=lambda e: e["type"] != "value_error")
    parts: list[str] = []
    node = data
    for part in item["loc"]:
        inside = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        if inside:
            node = node[part]
        elif item["type"] not in ("extra_forbidden", "missing"):
            continue  # a union member's name, not a key of the file
        parts.append(str(part))
    pointer = "".join(f"/{part}" for part in parts)
    message = str(item["msg"]).removeprefix("Value error, ")
    return CaseFileError(source_map.locate(pointer, key=True), f"`{'.'.join(parts)}`: {message}")


def case_schema() -> dict[str, Any]:
    """The JSON Schema of a case file, generated from the models."""
    schema = CaseFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "leadcontract contract tests"
    return schema


def case_schema_text() -> str:
    """The schema as written to ``schemas/leadcontract-tests.schema.json``."""
    return json.dumps(case_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # pragma: no cover - regenerates the checked-in schema
    import sys

    Path(sys.argv[1] if len(sys.argv) > 1 else "schemas/leadcontract-tests.schema.json").write_text(
        case_schema_text(), encoding="utf-8"
    )
