r"""Conditions: the small, safe language contracts use to select leads.

A contract says *when* something applies: a lead is an MQL when ``score >= 60 and country in
["US", "CA"]``, an SLA covers leads where ``not (status == "Closed" or do_not_call)``. Marketing
and sales write these either as one expression string or as a structured YAML mapping; both
parse into the same typed AST (:data:`Condition`), so everything downstream (type checks,
compilation, explanations, the canonical text of :func:`describe`) sees one shape.

The language is deliberately tiny. There is no ``eval``, no attribute access, no function call:
the left side of a comparison is always a field name and the right side always a literal, so
the work per record is bounded by the size of the condition (and, for ``matches``, by Python's
regex engine on a pattern of at most :data:`MAX_PATTERN_LENGTH` characters). Nesting is capped
at :data:`MAX_DEPTH` levels so hostile input yields an ``LC201`` issue, never a
``RecursionError``.

Syntax of expression strings::

    score >= 60 and country in ["US", "CA"]
    not (status == "Closed" or do_not_call)
    title matches "(?i)^(vp|chief)"    phone is set    email is not set    industry != null

* Operators: ``==  !=  <  <=  >  >=  in  not in  contains  matches  is set  is not set``; ``not``
  binds tighter than ``and``, which binds tighter than ``or``; parentheses group.
* The left side of a comparison is always a name (``[A-Za-z_][A-Za-z0-9_-]*`` parts joined
  by dots, not a keyword); the right side always a literal: a number (``60``, ``-1.5``,
  ``1e3``), a string in double or single quotes (escapes ``\\ \" \' \n \t \r \uXXXX
  \UXXXXXXXX``; any other backslash is kept as written, so regexes such as ``"\d+\b"``
  need no doubling), ``true``, ``false``, ``null``, or after ``in``/``not in`` a list of
  those.
* A bare name is a truth test of a boolean field (``do_not_call`` means
  ``do_not_call == true``); ``true`` and ``false`` alone are constant conditions.

Structured form (YAML already loaded into Python data): a mapping ``{field: {op: value}}``
with ops ``eq ne lt lte gt gte in not_in contains matches exists``, ``{field: value}`` as
shorthand for ``eq``; several ops on one field, several keys in one mapping, and the items of
a list all must hold; ``all: [...]``, ``any: [...]`` and ``not: ...`` combine (and so cannot
name fields); a bool is a constant and a string is an expression. Unquoted YAML dates become
ISO strings, as if quoted.

Pipeline::

    parse_condition(source)       -> (Condition | None, issues)     # LC201
    check_condition(cond, scope)  -> issues                          # LC202..LC205
    compile_condition(cond, scope) -> CompiledCondition              # fast predicate + trace

Semantics of evaluation (what :class:`CompiledCondition` does with a record):

* A record maps names to already typed values (``str``, ``int``, ``float``, ``Decimal``,
  ``bool``, ``date``, aware ``datetime``, ``list``) or ``None``. A missing key and ``None`` are
  the same thing: *not set*.
* A value that is not set makes ``is set`` false, ``is not set`` true, ``== null`` true and
  ``!= null`` false. **Every other comparison with it is false, ``!=`` and ``not in``
  included**: an unknown value is no evidence that a lead differs from something. ``not``
  simply inverts, so ``not (score >= 60)`` holds for a lead without a score.
* Literals are coerced to the field's type once, at compile time: ISO strings become ``date``
  or ``datetime`` (a naive datetime literal, or a date-only literal for a datetime field, is
  taken in ``default_tz``; date-only means midnight) and ints become floats for ``number``
  fields.
* Observed values of date fields are normalised the same way before comparing: a naive
  datetime takes ``default_tz``, a ``date`` in a datetime field means midnight in
  ``default_tz``, a ``datetime`` in a date field means its calendar day in ``default_tz``.
  Comparing a date with a datetime therefore never raises.
* A value of the wrong type at run time (text where a number was declared, a number where
  true/false was declared, a list where a number was declared, ...) makes the comparison
  false, ``!=`` and ``not in`` included; :meth:`CompiledCondition.__call__` never raises for
  it, and :meth:`CompiledCondition.trace` shows the observed value so the surprise is visible.
  ``bool`` is not a number here, unlike in Python.
* ``matches`` is :func:`re.search` with the pattern compiled once; ``contains`` is a substring
  test on text and a membership test on lists; ``in`` tests membership in a frozenset built
  once.

Positions: every leaf and every issue carries ``pointer``, the JSON pointer of the node
*relative to the condition's root* (``""`` for a plain string condition, ``/all/0/score/gte``
in a structured one), and ``offset``, the 0-based character offset inside the expression
string when the node was written as one (``None`` otherwise). The contract loader prefixes
the pointer with the condition's own place and maps both to a line and column.
"""

from __future__ import annotations

import difflib
import math
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal
from enum import StrEnum
from numbers import Real
from typing import Any, Final, TypeAlias

from leadcontract.fields import FieldType, Scope, Symbol

__all__ = [
    "MAX_DEPTH",
    "MAX_PATTERN_LENGTH",
    "All",
    "AnyOf",
    "Compare",
    "CompiledCondition",
    "Condition",
    "ConditionError",
    "ConditionIssue",
    "Constant",
    "Leaf",
    "Not",
    "Op",
    "check_condition",
    "compile_condition",
    "describe",
    "explain_leaf",
    "parse_condition",
    "references",
    "strip_positions",
]

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


class ConditionError(ValueError):
    """Raised by :func:`compile_condition` for a condition that does not check cleanly.

    Compiling such a condition would either fail later (a bad regex, a date that is no date) or
    silently never match (an unknown field), so the issues are handed back instead.
    """

    def __init__(self, issues: Sequence[ConditionIssue]) -> None:
        self.issues: tuple[ConditionIssue, ...] = tuple(issues)
        first = self.issues[0].message if self.issues else "invalid condition"
        more = f" (and {len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        super().__init__(first + more)


# --- shared helpers ----------------------------------------------------------------------

_KEYWORDS: Final = frozenset(
    {"and", "or", "not", "in", "is", "set", "contains", "matches", "true", "false", "null"}
)
_NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*")
_NUMBER_RE: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NUMBER_TAIL_RE: Final = re.compile(r"[A-Za-z0-9_.]*")
_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")
_SIMPLE_ESCAPES: Final = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}
_QUOTE_ESCAPES: Final = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}

_ORDERED: Final = frozenset({Op.LT, Op.LE, Op.GT, Op.GE})
_LIST_OPS: Final = frozenset({Op.IN, Op.NOT_IN})
_PRESENCE_OPS: Final = frozenset({Op.IS_SET, Op.IS_NOT_SET})
_EQUALITY_OPS: Final = frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN})


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


def _escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


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


_TYPE_WORDS: Final = {
    FieldType.STRING: "text",
    FieldType.INTEGER: "a whole number",
    FieldType.NUMBER: "a number",
    FieldType.BOOLEAN: "true/false",
    FieldType.DATE: "a date",
    FieldType.DATETIME: "a date and time",
}


# --- expression strings: tokens ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "name" "number" "string" "op" "(" ")" "[" "]" "," "eof", or the keyword itself
    text: str
    offset: int
    value: Any = None

    def shown(self) -> str:
        """The token as quoted in messages: literals as written, the rest in quotes."""
        if self.kind == "eof":
            return "the end of the condition"
        return self.text if self.kind in ("string", "number") else f'"{self.text}"'


class _ParseError(Exception):
    """Internal: the first syntax error of an expression string."""

    def __init__(self, message: str, offset: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint


_CHAR_HINTS: Final = {
    "&": 'use "and"',
    "|": 'use "or"',
    "=": 'use "==" to compare',
    "!": 'use "not" to negate, or "!=" to compare',
}


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()[],":
            tokens.append(_Token(ch, ch, i))
            i += 1
        elif ch in "=!<>":
            two = text[i : i + 2]
            if two in ("==", "!=", "<=", ">="):
                tokens.append(_Token("op", two, i))
                i += 2
            elif ch in "<>":
                tokens.append(_Token("op", ch, i))
                i += 1
            else:
                raise _ParseError(f'unexpected "{ch}"', i, _CHAR_HINTS[ch])
        elif ch in "\"'":
            token, i = _lex_string(text, i)
            tokens.append(token)
        elif (m := _NUMBER_RE.match(text, i)) is not None:
            tokens.append(_lex_number(text, m))
            i = m.end()
        elif (m := _NAME_RE.match(text, i)) is not None:
            word = m.group()
            tokens.append(_Token(word if word in _KEYWORDS else "name", word, i))
            i = m.end()
        else:
            raise _ParseError(f"unexpected character {_quote(ch)}", i, _CHAR_HINTS.get(ch))
    tokens.append(_Token("eof", "", n))
    return tokens


def _lex_number(text: str, m: re.Match[str]) -> _Token:
    raw, start = m.group(), m.start()
    tail = _NUMBER_TAIL_RE.match(text, m.end())
    if tail is not None and tail.group():
        raise _ParseError(f'invalid number "{raw}{tail.group()}"', start)
    value: int | float
    if any(c in raw for c in ".eE"):
        value = float(raw)
        if not math.isfinite(value):
            raise _ParseError(f'number "{raw}" is out of range', start)
    else:
        try:
            value = int(raw)
        except ValueError:  # longer than Python converts (sys.get_int_max_str_digits)
            raise _ParseError("number is too long", start) from None
    return _Token("number", raw, start, value)


def _lex_string(text: str, start: int) -> tuple[_Token, int]:
    """A quoted string. Unknown escapes are kept verbatim, so regex escapes such as ``\\d`` and
    ``\\b`` can be written with a single backslash."""
    quote = text[start]
    parts: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == quote:
            return _Token("string", text[start : i + 1], start, "".join(parts)), i + 1
        if ch != "\\":
            parts.append(ch)
            i += 1
            continue
        if i + 1 >= n:
            break
        nxt = text[i + 1]
        simple = _SIMPLE_ESCAPES.get(nxt)
        if simple is not None:
            parts.append(simple)
            i += 2
        elif nxt in "uU":
            width = 4 if nxt == "u" else 8
            digits = text[i + 2 : i + 2 + width]
            code = int(digits, 16) if len(digits) == width and set(digits) <= _HEX_DIGITS else -1
            if not 0 <= code <= 0x10FFFF:
                raise _ParseError(
                    f'invalid escape "\\{nxt}{digits}"',
                    i,
                    f'write "\\{nxt}" followed by {width} hex digits, or "\\\\" for a backslash',
                )
            parts.append(chr(code))
            i += 2 + width
        else:
            parts.append("\\" + nxt)
            i += 2
    raise _ParseError("unterminated string", start, f"close it with {quote}")


# --- expression strings: parser ----------------------------------------------------------

_WORD_OPERATORS: Final = ("in", "contains", "matches", "is")
_VALUE_KINDS: Final = frozenset({"number", "string", "true", "false", "null"})


class _Parser:
    """Recursive descent over the token list: or > and > not > primary."""

    def __init__(self, text: str, pointer: str, depth: int) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.pointer = pointer
        self.depth = depth

    # token helpers
    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.tokens[self.pos]
        if token.kind != "eof":
            self.pos += 1
        return token

    def previous(self) -> _Token | None:
        return self.tokens[self.pos - 1] if self.pos else None

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _ParseError(
                f"condition is nested more than {MAX_DEPTH} levels deep",
                token.offset,
                "split it into simpler conditions",
            )

    # grammar
    def parse(self) -> Condition:
        if self.peek().kind == "eof":
            raise _ParseError("empty condition", 0, 'write a condition such as "score >= 60"')
        condition = self.or_expr()
        token = self.peek()
        if token.kind != "eof":
            if token.kind == ")":
                raise _ParseError('unexpected ")"', token.offset, 'no "(" is open here')
            hint = _did_you_mean(token.text, ("and", "or")) if token.kind == "name" else None
            raise _ParseError(f'expected "and" or "or", got {token.shown()}', token.offset, hint)
        return condition

    def or_expr(self) -> Condition:
        items = [self.and_expr()]
        while self.peek().kind == "or":
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else AnyOf(tuple(items))

    def and_expr(self) -> Condition:
        items = [self.not_expr()]
        while self.peek().kind == "and":
            self.advance()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else All(tuple(items))

    def not_expr(self) -> Condition:
        token = self.peek()
        if token.kind != "not":
            return self.primary()
        self.advance()
        self.enter(token)
        item = self.not_expr()
        self.depth -= 1
        return Not(item)

    def primary(self) -> Condition:
        token = self.peek()
        if token.kind == "(":
            self.advance()
            self.enter(token)
            condition = self.or_expr()
            closing = self.peek()
            if closing.kind == "eof":
                raise _ParseError('unclosed "("', token.offset, 'add ")" to close it')
            if closing.kind != ")":
                raise _ParseError(f'expected ")", got {closing.shown()}', closing.offset)
            self.advance()
            self.depth -= 1
            return condition
        if token.kind in ("true", "false"):
            self.advance()
            return Constant(token.kind == "true")
        if token.kind == "name":
            return self.comparison()
        raise self.expected("a condition", token)

    def expected(self, what: str, token: _Token, hint: str | None = None) -> _ParseError:
        prev = self.previous()
        after = f" after {prev.shown()}" if prev is not None else ""
        got = "" if token.kind == "eof" else f", got {token.shown()}"
        if hint is None and what == "a condition" and token.kind in _KEYWORDS:
            hint = f'"{token.text}" is a keyword, not a field name'
        return _ParseError(f"expected {what}{after}{got}", token.offset, hint)

    def comparison(self) -> Compare:
        name = self.advance()

        def leaf(op: Op, value: Any) -> Compare:
            return Compare(name.text, op, value, self.pointer, name.offset)

        token = self.peek()
        kind = token.kind
        if kind == "op":
            self.advance()
            return leaf(Op(token.text), self.scalar())
        if kind == "in":
            self.advance()
            return leaf(Op.IN, self.list_value())
        if kind == "not":
            if self.peek(1).kind != "in":
                self.advance()
                raise self.expected('"in"', self.peek())
            self.advance()
            self.advance()
            return leaf(Op.NOT_IN, self.list_value())
        if kind in ("contains", "matches"):
            self.advance()
            return leaf(Op(kind), self.scalar())
        if kind == "is":
            self.advance()
            following = self.peek()
            if following.kind == "set":
                self.advance()
                return leaf(Op.IS_SET, None)
            if following.kind == "not" and self.peek(1).kind == "set":
                self.advance()
                self.advance()
                return leaf(Op.IS_NOT_SET, None)
            if following.kind == "not":
                self.advance()
                after_not = self.peek()
                hint = 'write "is not set"' if after_not.kind == "null" else None
                raise self.expected('"set"', after_not, hint)
            hint = None
            if following.kind == "null":
                hint = 'write "is not set" (or "is set")'
            elif following.kind == "name":
                hint = _did_you_mean(following.text, ("set",))
            raise self.expected('"set" or "not set"', following, hint)
        if kind in _VALUE_KINDS or kind in ("name", "[", "set"):
            hint = None
            if kind == "name":
                hint = _did_you_mean(token.text, (*_WORD_OPERATORS, "and", "or"))
            elif kind == "set":
                hint = f'write "{name.text} is set"'
            raise _ParseError(
                f'expected an operator after "{name.text}", got {token.shown()}',
                token.offset,
                hint,
            )
        # a bare name: a test of truth of a boolean field
        return leaf(Op.EQ, True)

    def scalar(self) -> Any:
        token = self.peek()
        if token.kind in ("number", "string"):
            self.advance()
            return token.value
        if token.kind in ("true", "false"):
            self.advance()
            return token.kind == "true"
        if token.kind == "null":
            self.advance()
            return None
        if token.kind == "[":
            raise _ParseError(
                'a list can only follow "in" or "not in"',
                token.offset,
                'write "in [...]" to test membership',
            )
        hint = None
        if token.kind == "name":
            lowered = token.text.lower()
            if lowered in ("true", "false", "null", "none"):
                hint = f"write {'null' if lowered == 'none' else lowered} in lower case"
            else:
                hint = f'the right side is always a value; quote text: "{token.text}"'
        raise self.expected("a value", token, hint)

    def list_value(self) -> tuple[Any, ...]:
        opening = self.peek()
        if opening.kind != "[":
            hint = None
            if opening.kind in _VALUE_KINDS:
                hint = f"write [{opening.text}]"
            raise self.expected("a list", opening, hint)
        self.advance()
        items: list[Any] = []
        while True:
            token = self.peek()
            if token.kind == "]":
                self.advance()
                return tuple(items)
            if token.kind == "[":
                raise _ParseError("lists cannot be nested", token.offset)
            if token.kind == "eof":
                raise _ParseError('unclosed "["', opening.offset, 'add "]" to close it')
            items.append(self.scalar())
            separator = self.peek()
            if separator.kind == ",":
                self.advance()
            elif separator.kind == "]":
                continue
            elif separator.kind == "eof":
                raise _ParseError('unclosed "["', opening.offset, 'add "]" to close it')
            else:
                raise self.expected('"," or "]"', separator)


def _parse_text(
    text: str, pointer: str, depth: int
) -> tuple[Condition | None, list[ConditionIssue]]:
    try:
        return _Parser(text, pointer, depth).parse(), []
    except _ParseError as problem:
        return None, [
            ConditionIssue("LC201", problem.message, pointer, problem.offset, problem.hint)
        ]


# --- structured mappings -----------------------------------------------------------------

_DATA_OPS: Final = {
    "eq": Op.EQ,
    "ne": Op.NE,
    "lt": Op.LT,
    "lte": Op.LE,
    "gt": Op.GT,
    "gte": Op.GE,
    "in": Op.IN,
    "not_in": Op.NOT_IN,
    "contains": Op.CONTAINS,
    "matches": Op.MATCHES,
    "exists": Op.IS_SET,
}
_OP_ALIASES: Final = {
    "==": "eq",
    "!=": "ne",
    "<": "lt",
    "<=": "lte",
    ">": "gt",
    ">=": "gte",
    "le": "lte",
    "ge": "gte",
    "not in": "not_in",
    "nin": "not_in",
    "notin": "not_in",
    "regex": "matches",
    "set": "exists",
    "is_set": "exists",
}


class _DataParser:
    """Structured conditions as loaded from YAML. Collects every issue, not just the first."""

    def __init__(self) -> None:
        self.issues: list[ConditionIssue] = []

    def issue(self, message: str, pointer: str, hint: str | None = None) -> None:
        self.issues.append(ConditionIssue("LC201", message, pointer, None, hint))

    def node(self, node: object, pointer: str, depth: int) -> Condition | None:
        if depth > MAX_DEPTH:
            self.issue(
                f"condition is nested more than {MAX_DEPTH} levels deep",
                pointer,
                "split it into simpler conditions",
            )
            return None
        if isinstance(node, bool):
            return Constant(node)
        if isinstance(node, str):
            condition, issues = _parse_text(node, pointer, depth)
            self.issues.extend(issues)
            return condition
        if isinstance(node, Mapping):
            return self.mapping(node, pointer, depth)
        if isinstance(node, (list, tuple)):
            return self.items(node, pointer, depth, All, "list")
        if node is None:
            self.issue("empty condition", pointer, 'write a condition such as "score >= 60"')
            return None
        self.issue(
            f"a condition is an expression, a mapping, a list or true/false, not {_kind_of(node)}",
            pointer,
        )
        return None

    def items(
        self,
        nodes: Sequence[object],
        pointer: str,
        depth: int,
        combine: type[All] | type[AnyOf],
        what: str,
    ) -> Condition | None:
        if not nodes:
            self.issue(f"empty {what}: it needs at least one condition", pointer)
            return None
        parsed = [self.node(item, f"{pointer}/{i}", depth + 1) for i, item in enumerate(nodes)]
        kept = [c for c in parsed if c is not None]
        if len(kept) != len(parsed):
            return None
        return kept[0] if len(kept) == 1 else combine(tuple(kept))

    def mapping(self, node: Mapping[Any, Any], pointer: str, depth: int) -> Condition | None:
        if not node:
            self.issue("empty condition", pointer, "write a condition such as {score: {gte: 60}}")
            return None
        parsed: list[Condition | None] = []
        for key, value in node.items():
            here = f"{pointer}/{_escape_pointer(str(key))}"
            if not isinstance(key, str):
                self.issue(f"keys of a condition must be field names, not {_kind_of(key)}", here)
                parsed.append(None)
            elif key in ("all", "any"):
                if isinstance(value, (list, tuple)):
                    combine = All if key == "all" else AnyOf
                    parsed.append(self.items(value, here, depth + 1, combine, f'"{key}"'))
                else:
                    self.issue(
                        f'"{key}" needs a list of conditions',
                        here,
                        f'write "{key}:" followed by a list ("- ..." lines); "{key}" is reserved '
                        "and cannot name a field",
                    )
                    parsed.append(None)
            elif key == "not":
                inner = self.node(value, here, depth + 1)
                parsed.append(None if inner is None else Not(inner))
            else:
                parsed.append(self.field(key, value, here))
        kept = [c for c in parsed if c is not None]
        if len(kept) != len(parsed):
            return None
        return kept[0] if len(kept) == 1 else All(tuple(kept))

    def field(self, name: str, spec: object, pointer: str) -> Condition | None:
        if _NAME_RE.fullmatch(name) is None or name in _KEYWORDS:
            hint = (
                f'"{name}" is a keyword of the condition language'
                if name in _KEYWORDS
                else 'field names are letters, digits, "_" and "-", in parts joined by "."'
            )
            self.issue(f'invalid field name "{name}"', pointer, hint)
            return None
        if isinstance(spec, Mapping):
            return self.operators(name, spec, pointer)
        if isinstance(spec, (list, tuple)):
            self.issue(
                f'a list of values for "{name}" needs an operator',
                pointer,
                f"write {name}: {{in: [...]}}",
            )
            return None
        ok, value = self.literal(spec, pointer)
        return Compare(name, Op.EQ, value, pointer) if ok else None

    def operators(self, name: str, spec: Mapping[Any, Any], pointer: str) -> Condition | None:
        if not spec:
            self.issue(f'no comparison for "{name}"', pointer, f"write e.g. {name}: {{eq: ...}}")
            return None
        leaves: list[Compare | None] = []
        for key, value in spec.items():
            here = f"{pointer}/{_escape_pointer(str(key))}"
            op = _DATA_OPS.get(key) if isinstance(key, str) else None
            if op is None:
                alias = _OP_ALIASES.get(key) if isinstance(key, str) else None
                hint = (
                    f'write "{alias}"'
                    if alias
                    else _did_you_mean(str(key), tuple(_DATA_OPS))
                    or "operators are " + ", ".join(_DATA_OPS)
                )
                self.issue(f'unknown operator "{key}" for "{name}"', here, hint)
                leaves.append(None)
            elif op is Op.IS_SET:
                if isinstance(value, bool):
                    leaves.append(Compare(name, Op.IS_SET if value else Op.IS_NOT_SET, None, here))
                else:
                    self.issue('"exists" needs true or false', here)
                    leaves.append(None)
            elif op in _LIST_OPS:
                leaves.append(self.list_leaf(name, op, key, value, here))
            else:
                if isinstance(value, (list, tuple)):
                    self.issue(f'"{key}" needs a single value, not a list', here, 'use "in"')
                    leaves.append(None)
                    continue
                ok, literal = self.literal(value, here)
                leaves.append(Compare(name, op, literal, here) if ok else None)
        kept = [leaf for leaf in leaves if leaf is not None]
        if len(kept) != len(leaves):
            return None
        return kept[0] if len(kept) == 1 else All(tuple(kept))

    def list_leaf(self, name: str, op: Op, key: str, value: object, pointer: str) -> Compare | None:
        if not isinstance(value, (list, tuple)):
            shown = _literal(value) if isinstance(value, (str, int, float)) else "..."
            self.issue(f'"{key}" needs a list of values', pointer, f"write {key}: [{shown}]")
            return None
        items: list[Any] = []
        ok = True
        for i, item in enumerate(value):
            if isinstance(item, (list, tuple, Mapping)):
                self.issue("lists cannot be nested", f"{pointer}/{i}")
                ok = False
                continue
            item_ok, literal = self.literal(item, f"{pointer}/{i}")
            ok = ok and item_ok
            items.append(literal)
        return Compare(name, op, tuple(items), pointer) if ok else None

    def literal(self, value: object, pointer: str) -> tuple[bool, Any]:
        if value is None or isinstance(value, (bool, str)):
            return True, value
        if isinstance(value, int):
            return True, value
        if isinstance(value, float):
            if math.isfinite(value):
                return True, value
            self.issue("numbers must be finite", pointer)
            return False, None
        if isinstance(value, date):  # YAML reads unquoted 2024-03-31 as a date: keep it ISO
            return True, value.isoformat()
        self.issue(
            f"a value must be text, a number, true/false or null, not {_kind_of(value)}", pointer
        )
        return False, None


def parse_condition(source: object) -> tuple[Condition | None, list[ConditionIssue]]:
    """Parse an expression string or structured data (as loaded from YAML) into a condition.

    Returns ``(condition, [])`` on success and ``(None, issues)`` otherwise; all issues are
    ``LC201``. An expression string reports its first syntax error, with the character
    ``offset`` of the offending token (the length of the string when the text ended too early);
    structured data reports every problem it finds, each with its ``pointer``. Never raises,
    whatever ``source`` is.
    """
    if isinstance(source, str):
        return _parse_text(source, "", 0)
    parser = _DataParser()
    condition = parser.node(source, "", 0)
    if parser.issues:
        return None, parser.issues
    return condition, []


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


def _compile_pattern(pattern: str) -> re.Pattern[str] | str:
    """The compiled pattern, or why it is not one.

    Warnings (``FutureWarning: Possible nested set``) count as errors: they mean the pattern
    will read differently in a future Python.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"pattern is longer than {MAX_PATTERN_LENGTH} characters"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return re.compile(pattern)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        return f"invalid regex: {exc.msg}{where}"
    except Warning as exc:
        return f"ambiguous regex: {exc}"
    except (RecursionError, OverflowError, ValueError):
        return "regex is nested too deeply or too large"


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
        compiled = _compile_pattern(value)
        return [] if isinstance(compiled, re.Pattern) else [("LC205", compiled, None)]
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


def _check_leaf(leaf: Compare, scope: Scope) -> list[ConditionIssue]:
    symbol = scope.get(leaf.field)
    if symbol is None:
        hint = _did_you_mean(leaf.field, list(scope))
        return [
            ConditionIssue(
                "LC202", f'unknown field "{leaf.field}"', leaf.pointer, leaf.offset, hint
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
    outside the field's ``allowed`` set, checked for each item of an ``in`` list) and ``LC205``
    (a ``matches`` pattern that does not compile or is longer than
    :data:`MAX_PATTERN_LENGTH`). Issues come in reading order. ``default_tz`` is accepted for
    symmetry with :func:`compile_condition`; whether a literal is a date does not depend on it.
    """
    del default_tz
    issues: list[ConditionIssue] = []
    for leaf in _leaves(condition):
        issues.extend(_check_leaf(leaf, scope))
    return issues


# --- compilation -------------------------------------------------------------------------

_Pred: TypeAlias = Callable[[Mapping[str, Any]], bool]


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


_Tracer: TypeAlias = Callable[[Mapping[str, Any], list[Leaf]], bool]

# Errors a comparison between a literal and a value of a surprising type may raise; the
# comparison is then false. (ArithmeticError: Decimal NaN ordering, datetime overflow.)
_SURPRISES: Final = (TypeError, ValueError, ArithmeticError)
_CONTAINERS: Final = (str, list, tuple, set, frozenset)


def _true(record: Mapping[str, Any]) -> bool:
    return True


def _false(record: Mapping[str, Any]) -> bool:
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, (Real, Decimal)) and not isinstance(value, bool)


def _is_plain_date(value: Any) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_datetime(value: Any) -> bool:
    return isinstance(value, datetime)


def _never(value: Any) -> bool:
    return False


# For each field type: the exact classes accepted by a set lookup (the fast path), and the
# check for anything else (subclasses).
_ACCEPT: Final[dict[FieldType, tuple[frozenset[type], Callable[[Any], bool]]]] = {
    FieldType.STRING: (frozenset({str}), _is_str),
    FieldType.INTEGER: (frozenset({int, float, Decimal}), _is_number),
    FieldType.NUMBER: (frozenset({int, float, Decimal}), _is_number),
    FieldType.BOOLEAN: (frozenset({bool}), _never),
    FieldType.DATE: (frozenset({date}), _is_plain_date),
    FieldType.DATETIME: (frozenset({datetime}), _is_datetime),
}


def _coerce(value: Any, ftype: FieldType, default_tz: tzinfo) -> Any:
    if value is None:
        return None
    if ftype is FieldType.NUMBER and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if ftype is FieldType.DATE and isinstance(value, str):
        return date.fromisoformat(value)
    if ftype is FieldType.DATETIME and isinstance(value, str):
        return _parse_datetime(value, default_tz)
    return value


def _normalizer(ftype: FieldType, default_tz: tzinfo) -> Callable[[Any], Any] | None:
    """How an observed value of a date field is brought to the field's type, if it must be."""
    if ftype is FieldType.DATETIME:

        def to_datetime(value: Any) -> Any:
            if isinstance(value, datetime):
                return value if value.tzinfo is not None else value.replace(tzinfo=default_tz)
            if isinstance(value, date):
                return datetime.combine(value, time(), default_tz)
            return value

        return to_datetime
    if ftype is FieldType.DATE:

        def to_date(value: Any) -> Any:
            if isinstance(value, datetime):
                try:
                    aware = value.tzinfo is not None
                    return value.astimezone(default_tz).date() if aware else value.date()
                except _SURPRISES:
                    return value
            return value

        return to_date
    return None


# Leaf factories: one closure per operator, so evaluation never dispatches on the operator.
# ``exact``/``accept`` is the type guard of the field: a value of another type makes the
# comparison false. The guard runs after a successful ``==``/``in``/ordering (off the common
# path of a failing test) and before ``!=``/``not in`` (which a wrongly typed value would
# otherwise satisfy). ``None`` (not set) fails every guard.
_Guard: TypeAlias = Callable[[Any], bool]
_Factory: TypeAlias = Callable[[str, Any, frozenset[type], _Guard], _Pred]


def _presence(key: str, want_set: bool) -> _Pred:
    if want_set:

        def is_set(record: Mapping[str, Any]) -> bool:
            return record.get(key) is not None

        return is_set

    def is_not_set(record: Mapping[str, Any]) -> bool:
        return record.get(key) is None

    return is_not_set


def _eq(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    if expected is None:
        return _presence(key, want_set=False)

    def eq(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        try:
            if v == expected:
                return v.__class__ in exact or accept(v)
        except _SURPRISES:
            pass
        return False

    return eq


def _ne(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    if expected is None:
        return _presence(key, want_set=True)

    def ne(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if v is None or not (v.__class__ in exact or accept(v)):
            return False
        try:
            if v != expected:
                return True
        except _SURPRISES:
            pass
        return False

    return ne


def _in(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    members = frozenset(expected)

    def is_in(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        try:
            if v in members:
                return v.__class__ in exact or accept(v)
        except _SURPRISES:  # an unhashable value, such as a list
            pass
        return False

    return is_in


def _not_in(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    members = frozenset(expected)

    def not_in(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if v is None or not (v.__class__ in exact or accept(v)):
            return False
        try:
            return v not in members
        except _SURPRISES:
            return False

    return not_in


def _lt(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    def lt(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if v is None:
            return False
        try:
            if v < expected:
                return v.__class__ in exact or accept(v)
        except _SURPRISES:
            pass
        return False

    return lt


def _le(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    def le(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if v is None:
            return False
        try:
            if v <= expected:
                return v.__class__ in exact or accept(v)
        except _SURPRISES:
            pass
        return False

    return le


def _gt(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    def gt(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if v is None:
            return False
        try:
            if v > expected:
                return v.__class__ in exact or accept(v)
        except _SURPRISES:
            pass
        return False

    return gt


def _ge(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    def ge(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if v is None:
            return False
        try:
            if v >= expected:
                return v.__class__ in exact or accept(v)
        except _SURPRISES:
            pass
        return False

    return ge


def _contains(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    def contains(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if isinstance(v, _CONTAINERS):  # substring of text, member of a list
            try:
                return expected in v
            except _SURPRISES:
                return False
        return False

    return contains


def _matches(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    compiled = _compile_pattern(expected)
    if not isinstance(compiled, re.Pattern):
        raise ValueError(compiled)
    search = compiled.search

    def matches(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        return isinstance(v, str) and search(v) is not None

    return matches


def _is_set(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    return _presence(key, want_set=True)


def _is_not_set(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    return _presence(key, want_set=False)


_FACTORIES: Final[dict[Op, _Factory]] = {
    Op.EQ: _eq,
    Op.NE: _ne,
    Op.LT: _lt,
    Op.LE: _le,
    Op.GT: _gt,
    Op.GE: _ge,
    Op.IN: _in,
    Op.NOT_IN: _not_in,
    Op.CONTAINS: _contains,
    Op.MATCHES: _matches,
    Op.IS_SET: _is_set,
    Op.IS_NOT_SET: _is_not_set,
}


class _Builder:
    """Builds the fast predicate and the tracing evaluator of one condition."""

    def __init__(self, scope: Scope, default_tz: tzinfo) -> None:
        self.scope = scope
        self.default_tz = default_tz
        self.built: dict[int, tuple[_Pred, Any]] = {}

    def leaf(self, node: Compare) -> tuple[_Pred, Any]:
        cached = self.built.get(id(node))
        if cached is not None:
            return cached
        symbol = self.scope.get(node.field)
        if symbol is None:
            raise ValueError(f'unknown field "{node.field}"')
        ftype = symbol.type
        if node.op in _LIST_OPS:
            expected: Any = tuple(_coerce(v, ftype, self.default_tz) for v in node.value)
        else:
            expected = _coerce(node.value, ftype, self.default_tz)
        exact, accept = _ACCEPT[ftype]
        predicate = _FACTORIES[node.op](node.field, expected, exact, accept)
        normalize = _normalizer(ftype, self.default_tz)
        if normalize is not None and expected is not None and node.op not in _PRESENCE_OPS:
            predicate = _normalized(predicate, node.field, normalize)
        self.built[id(node)] = (predicate, expected)
        return predicate, expected

    def fast(self, node: Condition) -> _Pred:
        if isinstance(node, Compare):
            return self.leaf(node)[0]
        if isinstance(node, Constant):
            return _true if node.value else _false
        if isinstance(node, Not):
            inner = self.fast(node.item)
            if inner is _true:
                return _false
            if inner is _false:
                return _true

            def negate(record: Mapping[str, Any]) -> bool:
                return not inner(record)

            return negate
        # All / AnyOf: constants fold away; two and three items get an unrolled closure
        is_all = isinstance(node, All)
        neutral, absorbing = (_true, _false) if is_all else (_false, _true)
        preds = []
        for item in node.items:
            pred = self.fast(item)
            if pred is absorbing:
                return absorbing
            if pred is not neutral:
                preds.append(pred)
        if not preds:
            return neutral
        if len(preds) == 1:
            return preds[0]
        return _all_of(tuple(preds)) if is_all else _any_of(tuple(preds))

    def traced(self, node: Condition) -> _Tracer:
        if isinstance(node, Compare):
            predicate, expected = self.leaf(node)
            field, op, pointer = node.field, node.op, node.pointer

            def trace_leaf(record: Mapping[str, Any], out: list[Leaf]) -> bool:
                result = predicate(record)
                out.append(Leaf(field, op, expected, record.get(field), result, pointer))
                return result

            return trace_leaf
        if isinstance(node, Constant):
            value = node.value

            def trace_constant(record: Mapping[str, Any], out: list[Leaf]) -> bool:
                return value

            return trace_constant
        if isinstance(node, Not):
            inner = self.traced(node.item)

            def trace_not(record: Mapping[str, Any], out: list[Leaf]) -> bool:
                return not inner(record, out)

            return trace_not
        items = tuple(self.traced(item) for item in node.items)
        if isinstance(node, All):

            def trace_all(record: Mapping[str, Any], out: list[Leaf]) -> bool:
                return all(item(record, out) for item in items)

            return trace_all

        def trace_any(record: Mapping[str, Any], out: list[Leaf]) -> bool:
            return any(item(record, out) for item in items)

        return trace_any


def _normalized(predicate: _Pred, key: str, normalize: Callable[[Any], Any]) -> _Pred:
    """Run a leaf on the normalised value of a date field.

    The leaf sees a one-entry record, which keeps the per-operator closures single-purpose and
    fast for the (far more common) fields that need no normalising.
    """

    def run(record: Mapping[str, Any]) -> bool:
        return predicate({key: normalize(record.get(key))})

    return run


def _all_of(preds: tuple[_Pred, ...]) -> _Pred:
    if len(preds) == 2:
        a, b = preds
        return lambda record: a(record) and b(record)
    if len(preds) == 3:
        a, b, c = preds
        return lambda record: a(record) and b(record) and c(record)

    def all_of(record: Mapping[str, Any]) -> bool:
        for pred in preds:  # noqa: SIM110 - a generator costs more per call than the loop
            if not pred(record):
                return False
        return True

    return all_of


def _any_of(preds: tuple[_Pred, ...]) -> _Pred:
    if len(preds) == 2:
        a, b = preds
        return lambda record: a(record) or b(record)
    if len(preds) == 3:
        a, b, c = preds
        return lambda record: a(record) or b(record) or c(record)

    def any_of(record: Mapping[str, Any]) -> bool:
        for pred in preds:  # noqa: SIM110 - a generator costs more per call than the loop
            if pred(record):
                return True
        return False

    return any_of


class CompiledCondition:
    """A condition ready to evaluate against records; build it with :func:`compile_condition`.

    Calling it is the fast path: nested closures built once, one per node, with literals
    already coerced and regexes compiled. For the hottest loops, :attr:`predicate` is the same
    function without the extra call through ``__call__``.

    :meth:`trace` is the slow path for explanations: the same result, plus a :class:`Leaf` for
    every comparison that was evaluated, in evaluation order. ``and``/``or`` short-circuit, so
    leaves that did not need evaluating (everything after the first false item of an ``all``,
    or the first true item of an ``any``) are not listed.
    """

    __slots__ = ("_tracer", "condition", "predicate")

    condition: Condition
    predicate: _Pred
    _tracer: _Tracer

    def __init__(self, condition: Condition, scope: Scope, *, default_tz: tzinfo = UTC) -> None:
        builder = _Builder(scope, default_tz)
        self.condition = condition
        self.predicate = builder.fast(condition)
        self._tracer = builder.traced(condition)

    def __call__(self, record: Mapping[str, Any]) -> bool:
        return self.predicate(record)

    def trace(self, record: Mapping[str, Any]) -> tuple[bool, tuple[Leaf, ...]]:
        """``(result, leaves evaluated)``; see the class docstring for short-circuiting."""
        out: list[Leaf] = []
        result = self._tracer(record, out)
        return result, tuple(out)

    def __repr__(self) -> str:
        return f"CompiledCondition({describe(self.condition)!r})"


def compile_condition(
    condition: Condition, scope: Scope, *, default_tz: tzinfo = UTC
) -> CompiledCondition:
    """Compile a condition for evaluation (see the module docstring for the semantics).

    Raises :class:`ConditionError` when :func:`check_condition` reports issues: a condition
    that does not check cleanly would fail or silently never match at evaluation time.
    """
    issues = check_condition(condition, scope, default_tz=default_tz)
    if issues:
        raise ConditionError(issues)
    return CompiledCondition(condition, scope, default_tz=default_tz)


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
    joiner = " and " if isinstance(node, All) else " or "
    parts = []
    for written in node.items:
        item = _unwrap(written)
        text = describe(item)
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
