"""The condition AST: nodes, issues, evaluated leaves, limits and traversal."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final, TypeAlias

from leadcontract.errors import LeadcontractError

MAX_DEPTH: Final = 100
"""Deepest nesting of parentheses, ``not`` and structured ``all``/``any``/``not`` accepted.

Real contracts nest a handful of levels; the cap keeps parsing, checking and compiling well
inside Python's recursion limit whatever the input."""

MAX_PATTERN_LENGTH: Final = 1000
"""Longest ``matches`` pattern accepted, to bound the work of compiling it."""


# --- AST ---------------------------------------------------------------------------------


class Op(StrEnum):
    """Comparison operators. The values are the expression syntax, so ``describe`` is direct."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"
    NOT_IN = "not in"
    CONTAINS = "contains"
    MATCHES = "matches"
    IS_SET = "is set"
    IS_NOT_SET = "is not set"


@dataclass(frozen=True, slots=True)
class Compare:
    """One leaf: ``field op value``.

    ``value`` is a scalar literal (``str``, ``int``, ``float``, ``bool`` or ``None``), a tuple
    of them for ``in``/``not in``, and ``None`` for ``is set``/``is not set``. Dates stay ISO
    strings until compilation, when the field's type is known. A bare boolean name
    (``do_not_call``) is ``Compare("do_not_call", Op.EQ, True)``.

    ``pointer`` and ``offset`` say where the leaf was written (see the module docstring); they
    take part in equality, so compare :func:`strip_positions` of two conditions to ask whether
    they *mean* the same.
    """

    field: str
    op: Op
    value: Any
    pointer: str = ""
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class All:
    """True when every item is true (``and``; true when empty)."""

    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """True when at least one item is true (``or``; false when empty)."""

    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """True when the item is false."""

    item: Condition


@dataclass(frozen=True, slots=True)
class Constant:
    """A condition that always (``true``) or never (``false``) holds."""

    value: bool


Condition: TypeAlias = Compare | All | AnyOf | Not | Constant
"""A parsed condition. The same tree comes out of both syntaxes."""


@dataclass(frozen=True, slots=True)
class ConditionIssue:
    """Something wrong with a condition, positioned relative to the condition itself.

    The contract loader turns these into :class:`~leadcontract.diagnostics.Diagnostic` objects,
    prefixing ``pointer`` and mapping ``offset`` to a line and column in the YAML file.
    """

    code: str
    message: str
    pointer: str
    offset: int | None
    hint: str | None = None


class ConditionError(LeadcontractError, ValueError):
    """Raised by :func:`compile_condition` for a condition that does not check cleanly.

    Compiling such a condition would either fail later (a bad regex, a date that is no date) or
    silently never match (an unknown field), so the issues are handed back instead.
    """

    def __init__(self, issues: Sequence[ConditionIssue]) -> None:
        self.issues: tuple[ConditionIssue, ...] = tuple(issues)
        first = self.issues[0].message if self.issues else "invalid condition"
        more = f" (and {len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        super().__init__(first + more)


# --- operator groups ------------------------------------------------------------------------------

_LIST_OPS: Final = frozenset({Op.IN, Op.NOT_IN})
_PRESENCE_OPS: Final = frozenset({Op.IS_SET, Op.IS_NOT_SET})


@dataclass(frozen=True, slots=True)
class Leaf:
    """One comparison as evaluated against one record, for explanations.

    ``expected`` is the literal after coercion to the field's type (a ``date``, a ``float``,
    a tuple for ``in``); ``observed`` is the record's value as given (``None`` when not set).
    """

    field: str
    op: Op
    expected: Any
    observed: Any
    result: bool
    pointer: str


# --- traversal -----------------------------------------------------------------------------


def _leaves(condition: Condition) -> Iterator[Compare]:
    """Leaves in reading order, without recursion."""
    stack: list[Condition] = [condition]
    while stack:
        node = stack.pop()
        if isinstance(node, Compare):
            yield node
        elif isinstance(node, (All, AnyOf)):
            stack.extend(reversed(node.items))
        elif isinstance(node, Not):
            stack.append(node.item)


def references(condition: Condition) -> frozenset[str]:
    """The field names a condition reads, e.g. to check that a record can answer it."""
    return frozenset(leaf.field for leaf in _leaves(condition))


def strip_positions(condition: Condition) -> Condition:
    """The same condition with every ``pointer`` set to ``""`` and ``offset`` to ``None``.

    Two conditions mean the same when their stripped forms are equal, whichever syntax and
    place they were written in.
    """
    if isinstance(condition, Compare):
        return replace(condition, pointer="", offset=None)
    if isinstance(condition, All):
        return All(tuple(strip_positions(item) for item in condition.items))
    if isinstance(condition, AnyOf):
        return AnyOf(tuple(strip_positions(item) for item in condition.items))
    if isinstance(condition, Not):
        return Not(strip_positions(condition.item))
    return condition
