"""The published JSON Schema of the contract format, generated from the pydantic models.

``schemas/leadcontract.schema.json`` is this function's output, checked in so that editors
(through the ``yaml-language-server`` comment in contract files) and other tools can use it;
a test regenerates it and fails when the checked-in copy is stale.
"""

from __future__ import annotations

import json
from typing import Any

from leadcontract.model import Contract

__all__ = ["SCHEMA_FILE", "SCHEMA_ID", "contract_schema", "schema_text"]

SCHEMA_ID = "https://leadcontract.dev/schemas/leadcontract.schema.json"
SCHEMA_FILE = "leadcontract.schema.json"


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
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def schema_text() -> str:
    """The schema as the deterministic text that is checked in."""
    return json.dumps(contract_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
