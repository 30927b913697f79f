"""The published JSON Schemas: of the contract format, and of a verdict as it is written.

``schemas/leadcontract.schema.json`` (contracts, from the pydantic models) and
``schemas/verdict.schema.json`` (one line of ``evaluate``'s JSON Lines, from the verdict types
through pydantic) are these functions' output, checked in so that editors (through the
``yaml-language-server`` comment in contract files), API clients and other tools can use them;
tests regenerate them and fail when a checked-in copy is stale, and validate real output
against the verdict schema.
"""

from __future__ import annotations

import json
from typing import Any

from leadcontract.model import Contract

__all__ = [
    "SCHEMA_FILE",
    "SCHEMA_ID",
    "VERDICT_SCHEMA_FILE",
    "VERDICT_SCHEMA_ID",
    "contract_schema",
    "schema_text",
    "verdict_schema",
    "verdict_schema_text",
]

SCHEMA_ID = "https://leadcontract.dev/schemas/leadcontract.schema.json"
SCHEMA_FILE = "leadcontract.schema.json"
VERDICT_SCHEMA_ID = "https://leadcontract.dev/schemas/verdict.schema.json"
VERDICT_SCHEMA_FILE = "verdict.schema.json"


def contract_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of one contract file.

    A contract may be split over a folder of files, each holding some of the sections, so the
    schema requires only ``apiVersion`` at the top; that ``metadata`` and ``lead`` exist once
    in the merged contract is the loader's check. Everything inside a section is as strict as
    the models.
    """
    schema = Contract.model_json_schema(by_alias=True, mode="validation")
    schema["required"] = ["apiVersion"]
    schema["description"] = (
        "One file of a leadcontract contract (a file, or one of a folder of files that are "
        "merged). Generated from the pydantic models; do not edit."
    )
    return _published(SCHEMA_ID, schema)


def _published(schema_id: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id, **schema}


def _text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_text() -> str:
    """The schema as the deterministic text that is checked in."""
    return _text(contract_schema())


def verdict_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of one verdict as ``evaluate`` writes it (one line of
    its JSON Lines, ``Verdict.to_dict()``): instants as ISO 8601 text, money as decimal text."""
    from pydantic import TypeAdapter  # noqa: PLC0415 - only the schema commands need it

    from leadcontract.verdict import Verdict  # noqa: PLC0415

    schema = TypeAdapter(Verdict).json_schema(mode="serialization")
    schema["description"] = (
        "One verdict of leadcontract: where one lead stands under the agreement as of a time, "
        "with the evidence. Generated from the verdict types; do not edit."
    )
    return _published(VERDICT_SCHEMA_ID, schema)


def verdict_schema_text() -> str:
    """The verdict schema as the deterministic text that is checked in."""
    return _text(verdict_schema())
