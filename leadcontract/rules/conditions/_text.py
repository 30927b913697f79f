"""Text forms of conditions: literals, describe, explain_leaf and the wording of messages."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any, Final

from leadcontract.rules.conditions._ast import (
    _PRESENCE_OPS,
    All,
    AnyOf,
    Compare,
    Condition,
    Constant,
    Leaf,
    Not,
    Op,
)

_QUOTE_ESCAPES: Final = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _quote(text: str) -> str:
    """Double-quoted literal that the tokenizer reads back to exactly ``text``."""
    out = ['"']
    for ch in text:
        escaped = _QUOTE_ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def _did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """``did you mean "score"?`` for close matches, or ``None``."""
    matches = difflib.get_close_matches(word, sorted(candidates), n=3, cutoff=0.6)
    if not matches:
        return None
    quoted = [f'"{m}"' for m in matches]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"did you mean {listed}?"


def _literal(value: Any) -> str:
    """Canonical source text of a literal (used by ``describe`` and in messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(int(value))
        except ValueError:  # more digits than int->str allows; never produced by the parser
            return "0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, date):
        return _quote(value.isoformat())
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (tuple, list, set, frozenset)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return _quote(str(value))


def _kind_of(value: Any) -> str:
    """What a literal is, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (tuple, list)):
        return "a list"
    return type(value).__name__


# --- text forms ----------------------------------------------------------------------------


def _unwrap(condition: Condition) -> Condition:
    """Degenerate nodes as their equivalent: ``all`` of one item is the item, and so on."""
    while isinstance(condition, (All, AnyOf)) and len(condition.items) <= 1:
        items = condition.items
        condition = items[0] if items else Constant(isinstance(condition, All))
    return condition


def _is_bare(condition: Condition) -> bool:
    return isinstance(condition, Compare) and condition.op is Op.EQ and condition.value is True


def describe(condition: Condition) -> str:
    """The canonical expression text of a condition, as shown in docs and explanations.

    ``parse_condition(describe(c))`` gives back ``c`` (up to positions) for every condition the
    parser can produce. Nested ``and``/``or`` groups are always parenthesised, even where
    precedence would not need it, so the text reads the way it evaluates; all-of-one-item
    groups are written as the item, empty ``all``/``any`` as ``true``/``false``.
    """
    node = _unwrap(condition)
    if isinstance(node, Constant):
        return "true" if node.value else "false"
    if isinstance(node, Compare):
        if _is_bare(node):
            return node.field
        if node.op in _PRESENCE_OPS:
            return f"{node.field} {node.op}"
        return f"{node.field} {node.op} {_literal(node.value)}"
    if isinstance(node, Not):
        inner = _unwrap(node.item)
        if isinstance(inner, Constant) or _is_bare(inner):
            return f"not {describe(inner)}"
        return f"not ({describe(inner)})"
    return _join(node, describe)


def _join(node: All | AnyOf, render: Callable[[Condition], str]) -> str:
    """An ``and``/``or`` group with each item rendered, nested groups parenthesised (shared by
    :func:`describe` and :func:`in_words`)."""
    joiner = " and " if isinstance(node, All) else " or "
    parts = []
    for written in node.items:
        item = _unwrap(written)
        text = render(item)
        parts.append(f"({text})" if isinstance(item, (All, AnyOf)) else text)
    return joiner.join(parts)


def _show(value: Any) -> str:
    """A value as a sales manager reads it: text quoted, whole numbers without ``.0``."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (int, float, Decimal, str)):
        return _literal(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def explain_leaf(leaf: Leaf) -> str:
    """One evaluated comparison in plain words.

    ``score is 55, needs >= 60``; ``phone is not set``; ``country is "FR", needs one of "US",
    "CA"``. The same wording is used whether the leaf held or not; ``leaf.result`` says which.
    """
    name, op, observed, expected = leaf.field, leaf.op, leaf.observed, leaf.expected
    if op is Op.IS_SET:
        return f"{name} is set" if observed is not None else f"{name} is not set"
    if op is Op.IS_NOT_SET and observed is None:
        return f"{name} is not set"
    state = f"{name} is not set" if observed is None else f"{name} is {_show(observed)}"
    if op is Op.IS_NOT_SET or (op is Op.EQ and expected is None):
        need = "to be not set"
    elif op is Op.NE and expected is None:
        need = "to be set"
    elif op is Op.EQ:
        need = _show(expected)
    elif op is Op.NE:
        need = f"anything but {_show(expected)}"
    elif op is Op.IN:
        need = "one of " + (", ".join(_show(v) for v in expected) or "an empty list")
    elif op is Op.NOT_IN:
        need = "none of " + (", ".join(_show(v) for v in expected) or "an empty list")
    elif op is Op.CONTAINS:
        need = f"to contain {_show(expected)}"
    elif op is Op.MATCHES:
        need = f"to match {_show(expected)}"
    else:
        need = f"{op} {_show(expected)}"
    return f"{state}, needs {need}"


# --- words, for people who sign the contract ---------------------------------------------------

_WORD_OPS: Final = {
    Op.EQ: "is",
    Op.NE: "is not",
    Op.LT: "is below",
    Op.LE: "is at most",
    Op.GT: "is above",
    Op.GE: "is at least",
    Op.CONTAINS: "contains",
    Op.MATCHES: "matches the pattern",
}


def _field_words(name: str) -> str:
    """``events.pricing_page_visit`` reads as "pricing page visit events"."""
    if name.startswith("events."):
        return name.removeprefix("events.").replace("_", " ") + " events"
    return name.replace("_", " ")


def _value_words(value: Any) -> str:
    if isinstance(value, str):
        return value
    return _show(value)


def _leaf_words(leaf: Compare) -> str:
    name = _field_words(leaf.field)
    if _is_bare(leaf):
        return f"{name} is true"
    if leaf.op is Op.IS_SET or (leaf.op is Op.NE and leaf.value is None):
        return f"{name} is filled in"
    if leaf.op is Op.IS_NOT_SET or (leaf.op is Op.EQ and leaf.value is None):
        return f"{name} is empty"
    if leaf.op in (Op.IN, Op.NOT_IN):
        values = ", ".join(_value_words(v) for v in leaf.value) or "nothing"
        return f"{name} is {'one' if leaf.op is Op.IN else 'none'} of {values}"
    if leaf.field.startswith("events.") and leaf.op is Op.GE and leaf.value == 1:
        return f"at least one {name.removesuffix(' events')} event"
    return f"{name} {_WORD_OPS[leaf.op]} {_value_words(leaf.value)}"


def in_words(condition: Condition) -> str:
    """A condition as a sentence both sides of the agreement can read.

    ``score >= 60 and country in ["US", "CA"]`` reads "score is at least 60 and country is one
    of US, CA". It walks the same AST that :func:`describe` and the explanations use, so the
    words cannot say something the engine does not do. Groups inside groups are bracketed.
    """
    node = _unwrap(condition)
    if isinstance(node, Constant):
        return "always" if node.value else "never"
    if isinstance(node, Compare):
        return _leaf_words(node)
    if isinstance(node, Not):
        inner = _unwrap(node.item)
        if isinstance(inner, Compare) and _is_bare(inner):
            return f"{_field_words(inner.field)} is false"
        return f"not ({in_words(inner)})"
    return _join(node, in_words)
