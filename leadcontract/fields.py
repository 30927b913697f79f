"""The value types a lead field can have, shared by the model, conditions and the engine.

Kept apart from ``model.py`` so that the condition language can type-check against a plain
symbol table without importing pydantic models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["FieldType", "Scope", "Symbol"]


class FieldType(StrEnum):
    """Types of lead fields and of the computed values conditions can read."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"

    @property
    def is_numeric(self) -> bool:
        return self in (FieldType.INTEGER, FieldType.NUMBER)


@dataclass(frozen=True, slots=True)
class Symbol:
    """What a condition may know about a name it reads: its type and, for enums, its values."""

    type: FieldType
    allowed: frozenset[str] | None = None
    description: str = ""


Scope = Mapping[str, Symbol]
"""Names a condition may read, mapped to what is known about them."""
