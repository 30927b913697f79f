"""``matches`` patterns, matched in linear time by RE2.

Python's ``re`` backtracks: ``(a+)+$`` against 30 ``a`` followed by ``b`` takes minutes, and a
contract is an input we do not control. RE2 (Google's engine, through the maintained
``google-re2`` binding) guarantees time linear in the length of the text for every pattern it
accepts. The price is a syntax without the constructs that need backtracking: backreferences
(``\\1``, ``(?P=name)``), lookahead and lookbehind (``(?=``, ``(?!``, ``(?<=``, ``(?<!``), atomic
groups and possessive repeats. Lint names each of those (LC206) instead of a parser message.

Other differences from Python's ``re`` that a contract author may meet: ``\\d``, ``\\w`` and
``\\b`` are ASCII-only, ``\\Z`` is written ``\\z``, and counted repeats go up to ``{1000}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import re2

from leadcontract.rules.conditions._ast import MAX_PATTERN_LENGTH

__all__ = ["Pattern", "PatternProblem", "compile_pattern"]

Found = Callable[[str], bool]
"""``found(text)``: whether the pattern occurs anywhere in ``text``."""

_UNSUPPORTED: Final = (
    ("invalid perl operator: (?=", "lookahead `(?=...)`"),
    ("invalid perl operator: (?!", "negative lookahead `(?!...)`"),
    ("invalid perl operator: (?<=", "lookbehind `(?<=...)`"),
    ("invalid perl operator: (?<!", "negative lookbehind `(?<!...)`"),
    ("invalid perl operator: (?>", "an atomic group `(?>...)`"),
    ("bad repetition operator: *+", "a possessive repeat `*+`"),
    ("bad repetition operator: ++", "a possessive repeat `++`"),
    ("bad repetition operator: ?+", "a possessive repeat `?+`"),
)
"""RE2's message for a construct it refuses by design, and what to call that construct."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled ``matches`` pattern."""

    text: str
    found: Found


@dataclass(frozen=True, slots=True)
class PatternProblem:
    """Why a pattern cannot be used: ``code`` is LC205 (not a regex) or LC206 (a construct
    that needs backtracking)."""

    code: str
    message: str
    hint: str | None = None


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # the library never prints; the error comes back as a value
    options.never_capture = True  # only whether it matches is read
    return options


_OPTIONS: Final = _options()


def compile_pattern(pattern: str) -> Pattern | PatternProblem:
    """The compiled pattern, or why it is not one."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return PatternProblem("LC205", f"pattern is longer than {MAX_PATTERN_LENGTH} characters")
    try:
        compiled = re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = _reason(exc)
        problem = _unsupported(reason, pattern)
        return problem or PatternProblem("LC205", f"invalid regex: {reason}")
    except (UnicodeError, ValueError, TypeError, OverflowError) as exc:
        return PatternProblem("LC205", f"invalid regex: {exc}")
    return Pattern(pattern, _finder(compiled))


def _finder(compiled: Any) -> Found:
    """Whether the pattern occurs in a text, at the cost of one call into RE2.

    The binding's public ``search`` builds a match object through a generator that maps byte
    offsets back to characters (about 4 us a call); a yes/no needs none of that, so the
    compiled program is asked directly (about 1 us) when the binding has the attributes for
    it, and through ``search`` otherwise (tests check the two agree). Text is encoded with
    ``surrogatepass`` so that a lone surrogate is an unmatched byte, not an exception.
    """
    program = getattr(compiled, "_regexp", None)
    anchor = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
    if program is None or anchor is None:  # pragma: no cover - another binding version
        search = compiled.search

        def found_by_search(text: str) -> bool:
            safe = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
            return search(safe) is not None

        return found_by_search
    match = program.Match
    answers: dict[str, bool] = {}

    def found(text: str) -> bool:
        # Remembered per text: a column's values repeat across leads (titles, industries,
        # countries), and a dictionary look-up costs a tenth of the call into RE2.
        answer = answers.get(text)
        if answer is None:
            data = text.encode("utf-8", "surrogatepass")
            answer = match(anchor, data, 0, len(data))[0] != _NO_MATCH
            if len(text) <= _REMEMBERED_LENGTH:
                if len(answers) >= _REMEMBERED:
                    answers.clear()
                answers[text] = answer
        return answer

    return found


_NO_MATCH: Final = (-1, -1)
_REMEMBERED: Final = 4096
"""Texts whose answer a pattern remembers (then it starts over: memory stays bounded)."""
_REMEMBERED_LENGTH: Final = 256
"""Longer texts are not remembered (rarely repeated; each would hold its memory)."""


def _reason(exc: re2.error) -> str:
    detail = exc.args[0] if exc.args else ""
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return str(detail)


def _unsupported(reason: str, pattern: str) -> PatternProblem | None:
    hint = (
        "patterns are matched by RE2 in time linear in the text, which rules out constructs "
        "that need backtracking; rewrite the condition, e.g. split it with `and`/`not`"
    )
    for prefix, construct in _UNSUPPORTED:
        if reason.startswith(prefix):
            return PatternProblem("LC206", f"{construct} is not supported in patterns", hint)
    if reason == "invalid perl operator: (?P" and "(?P=" in pattern:  # RE2 names only `(?P`
        return PatternProblem(
            "LC206", "a named backreference `(?P=name)` is not supported in patterns", hint
        )
    if reason.startswith("invalid escape sequence: \\") and reason[-1:].isdigit():
        return PatternProblem(
            "LC206", f"a backreference `{reason.rsplit(': ', 1)[-1]}` is not supported", hint
        )
    return None
