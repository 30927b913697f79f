"""Type checking a parsed condition against the names it may read."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any, Final

from leadcontract.fields import FieldType, Scope, Symbol
from leadcontract.rules.conditions._ast import (
    _LIST_OPS,
    _PRESENCE_OPS,
    Compare,
    Condition,
    ConditionIssue,
    Op,
    _leaves,
)
from leadcontract.rules.conditions._regex import PatternProblem, compile_pattern
from leadcontract.rules.conditions._text import _did_you_mean, _kind_of, _literal, _quote

_ORDERED: Final = frozenset({Op.LT, Op.LE, Op.GT, Op.GE})
_EQUALITY_OPS: Final = frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN})

_TYPE_WORDS: Final = {
    FieldType.STRING: "text",
    FieldType.INTEGER: "a whole number",
    FieldType.NUMBER: "a number",
    FieldType.BOOLEAN: "true/false",
    FieldType.DATE: "a date",
    FieldType.DATETIME: "a date and time",
}


# --- type checking -----------------------------------------------------------------------


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parse_datetime(value: str, default_tz: tzinfo) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=default_tz)


def _value_problems(
    field: str, symbol: Symbol, op: Op, value: Any, *, in_list: bool, structured: bool
) -> list[tuple[str, str, str | None]]:
    """``(code, message, hint)`` for one literal compared with one field."""
    ftype = symbol.type
    words = _TYPE_WORDS[ftype]
    shown = _literal(value)
    if value is None:
        if in_list:
            return [
                (
                    "LC203",
                    "null in a list never matches",
                    f'add "or {field} is not set" for leads without a value',
                )
            ]
        if op in (Op.EQ, Op.NE):
            return []
        return [("LC203", f'"{op}" cannot compare with null', 'use "is set" or "is not set"')]
    if op is Op.CONTAINS:
        if ftype is not FieldType.STRING:
            return [("LC203", f'"contains" needs a text field, but "{field}" is {words}', None)]
        if not isinstance(value, str):
            return [("LC203", f'"contains" needs text, but {shown} is {_kind_of(value)}', None)]
        return []
    if op is Op.MATCHES:
        if ftype is not FieldType.STRING:
            return [("LC203", f'"matches" needs a text field, but "{field}" is {words}', None)]
        if not isinstance(value, str):
            return [("LC205", f"a pattern must be text, not {_kind_of(value)}", None)]
        compiled = compile_pattern(value)
        if isinstance(compiled, PatternProblem):
            return [(compiled.code, compiled.message, compiled.hint)]
        return []
    if isinstance(value, bool) and ftype is not FieldType.BOOLEAN:
        hint = (
            "YAML reads unquoted yes/no/on/off as true/false; quote the value"
            if structured and ftype is FieldType.STRING
            else None
        )
        return [("LC203", f'"{field}" is {words}, not true/false', hint)]
    if ftype is FieldType.BOOLEAN:
        if op in _ORDERED:
            return [("LC203", f'"{op}" does not apply to "{field}", which is true/false', None)]
        if not isinstance(value, bool):
            hint = (
                f"write {value.lower()} without quotes"
                if isinstance(value, str) and value.lower() in ("true", "false")
                else None
            )
            return [("LC203", f'"{field}" is true/false, but {shown} is {_kind_of(value)}', hint)]
        return []
    if ftype.is_numeric:
        if isinstance(value, (int, float)):
            return []
        hint = None
        if isinstance(value, str):
            try:
                float(value)
                hint = f"remove the quotes: {value.strip()}"
            except ValueError:
                pass
        if hint is None:
            hint = f"{field} is compared with a number, written without quotes (such as 100)"
        return [("LC203", f'"{field}" is {words}, but {shown} is {_kind_of(value)}', hint)]
    if ftype is FieldType.DATE:
        if isinstance(value, str) and _parse_date(value) is not None:
            return []
        hint = (
            "a date field takes a date without a time"
            if isinstance(value, str) and _parse_datetime(value, UTC) is not None
            else 'write an ISO date such as "2024-03-31"'
        )
        return [("LC203", f'"{field}" is a date, but {shown} is not an ISO date', hint)]
    if ftype is FieldType.DATETIME:
        if isinstance(value, str) and _parse_datetime(value, UTC) is not None:
            return []
        return [
            (
                "LC203",
                f'"{field}" is a date and time, but {shown} is not an ISO date or date and time',
                'write e.g. "2024-03-31T09:00:00+02:00" or "2024-03-31"',
            )
        ]
    # STRING
    if not isinstance(value, str):
        hint = f'quote it: "{value}"' if isinstance(value, (int, float)) else None
        return [("LC203", f'"{field}" is text, but {shown} is {_kind_of(value)}', hint)]
    allowed = symbol.allowed
    if allowed is not None and op in _EQUALITY_OPS and value not in allowed:
        hint = _did_you_mean(value, allowed)
        if hint is None and len(allowed) <= 12:
            hint = "allowed values: " + ", ".join(_quote(v) for v in sorted(allowed))
        return [("LC204", f'{shown} is not an allowed value of "{field}"', hint)]
    return []


_LISTED: Final = 16
"""The most field names a hint lists."""


def _readable(scope: Scope) -> str:
    """The fields a condition can read, for an unknown one without a close match."""
    names = list(scope)
    shown = ", ".join(names[:_LISTED])
    more = f", and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
    return f"a condition here reads: {shown}{more}"


def _check_leaf(leaf: Compare, scope: Scope) -> list[ConditionIssue]:
    symbol = scope.get(leaf.field)
    if symbol is None:
        known = _did_you_mean(leaf.field, list(scope)) or _readable(scope)
        return [
            ConditionIssue(
                "LC202", f'unknown field "{leaf.field}"', leaf.pointer, leaf.offset, known
            )
        ]
    if leaf.op in _PRESENCE_OPS:
        return []
    structured = leaf.offset is None
    if leaf.op in _LIST_OPS:
        if not isinstance(leaf.value, (tuple, list)):
            return [
                ConditionIssue(
                    "LC203", f'"{leaf.op}" needs a list of values', leaf.pointer, leaf.offset
                )
            ]
        issues = []
        for i, item in enumerate(leaf.value):
            # structured lists point at the item; in a string the offset of the leaf is the best
            pointer = f"{leaf.pointer}/{i}" if structured else leaf.pointer
            for code, message, hint in _value_problems(
                leaf.field, symbol, leaf.op, item, in_list=True, structured=structured
            ):
                issues.append(ConditionIssue(code, message, pointer, leaf.offset, hint))
        return issues
    return [
        ConditionIssue(code, message, leaf.pointer, leaf.offset, hint)
        for code, message, hint in _value_problems(
            leaf.field, symbol, leaf.op, leaf.value, in_list=False, structured=structured
        )
    ]


def check_condition(
    condition: Condition, scope: Scope, *, default_tz: tzinfo = UTC
) -> list[ConditionIssue]:
    """Check a parsed condition against the names it may read.

    Reports ``LC202`` (unknown field, with a did-you-mean hint), ``LC203`` (a literal of the
    wrong type for the field, or an operator that does not apply to it), ``LC204`` (a value
    outside the field's ``allowed`` set, checked for each item of an ``in`` list), ``LC205``
    (a ``matches`` pattern that does not compile or is longer than
    :data:`MAX_PATTERN_LENGTH`) and ``LC206`` (a pattern construct that needs backtracking,
    which the linear-time engine does not support; see ``_regex.py``). Issues come in reading
    order. ``default_tz`` is accepted for symmetry with :func:`compile_condition`; whether a
    literal is a date does not depend on it.
    """
    del default_tz
    issues: list[ConditionIssue] = []
    for leaf in _leaves(condition):
        issues.extend(_check_leaf(leaf, scope))
    return issues
