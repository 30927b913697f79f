"""Parsing conditions: expression strings (tokens, parser) and structured mappings."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from leadcontract.rules.conditions._ast import (
    _LIST_OPS,
    MAX_DEPTH,
    All,
    AnyOf,
    Compare,
    Condition,
    ConditionIssue,
    Constant,
    Not,
    Op,
)
from leadcontract.rules.conditions._text import _did_you_mean, _kind_of, _literal, _quote

_KEYWORDS: Final = frozenset(
    {"and", "or", "not", "in", "is", "set", "contains", "matches", "true", "false", "null"}
)
_NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*")
_NUMBER_RE: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NUMBER_TAIL_RE: Final = re.compile(r"[A-Za-z0-9_.]*")
_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")
_SIMPLE_ESCAPES: Final = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}


def _escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


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

_SWAPPED: Final = {"=>": ">=", "=<": "<="}
"""Comparisons written the other way round, and how they are written."""


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
                hint = _CHAR_HINTS[ch]
                if two in _SWAPPED:  # `=>` and `=<` for `>=` and `<=`
                    hint = f'write "{_SWAPPED[two]}"'
                raise _ParseError(f'unexpected "{ch}"', i, hint)
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
