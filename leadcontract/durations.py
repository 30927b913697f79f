"""Durations as contract authors write them: ``4h``, ``1d``, ``2w``, ``90m``, ``1d4h``, ``1w2d``.

Syntax
    One or more parts ``<number><unit>``; units are ``w`` (weeks), ``d`` (days), ``h`` (hours)
    and ``m`` (minutes), each at most once and in that order. Numbers are non-negative whole
    numbers written with ASCII digits; the unit follows its number directly (``4h``, not
    ``4 h``), while spaces or tabs may separate parts (``1d 4h``) and surround the whole text.
    The total must be greater than zero; the only way to write an explicit zero is ``0m``.
    The total may not exceed :data:`MAX_DAYS` calendar days (100 years).

A :class:`Duration` keeps the parts as written (``24h`` and ``1d`` are different values) because
their *business* meaning differs: ``1d`` is one business day, ``24h`` is twenty-four working
hours. :meth:`Duration.as_timedelta` gives the *calendar* meaning (a week is 7 days, a day is
24 hours); business meaning is defined by :class:`leadcontract.calendar.BusinessCalendar`.

:data:`DurationField` is the pydantic annotated type contract models use: it accepts duration
strings (and :class:`Duration` instances), serializes to the canonical string and documents
itself in JSON schema with :data:`PATTERN`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Final

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

__all__ = [
    "EXPECTED",
    "JSON_SCHEMA",
    "MAX_DAYS",
    "PATTERN",
    "Duration",
    "DurationField",
]

EXPECTED: Final = "expected a duration such as 4h, 1d, 2w, 1d4h"
"""The tail of every parse error message."""

MAX_DAYS: Final = 36_525
"""Upper bound of a duration's calendar length, in days (100 years)."""

_UNITS: Final = ("w", "d", "h", "m")
_UNIT_NAMES: Final = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
_UNIT_MINUTES: Final = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
_MAX_MINUTES: Final = MAX_DAYS * 24 * 60
_MAX_DIGITS: Final = 12  # far beyond MAX_DAYS in any unit; keeps int() away from huge strings

_WS = r"[ \t]*"
PATTERN: Final = (
    rf"^{_WS}(?:0m|(?=[^1-9]*[1-9])"
    rf"(?:[0-9]+w)?{_WS}(?:[0-9]+d)?{_WS}(?:[0-9]+h)?{_WS}(?:[0-9]+m)?){_WS}$"
)
"""The syntax as a regular expression (valid in Python and ECMA-262, i.e. JSON schema).

It accepts exactly the texts :meth:`Duration.parse` accepts, except that it does not check the
:data:`MAX_DAYS` bound.
"""

JSON_SCHEMA: Final[dict[str, Any]] = {
    "type": "string",
    "pattern": PATTERN,
    "examples": ["4h", "1d", "2w"],
}
"""JSON schema of :data:`DurationField`."""

_PATTERN_RE: Final = re.compile(PATTERN)
_TOKEN_RE: Final = re.compile(
    r"(?P<ws>[ \t]+)|(?P<num>[0-9]+)|(?P<word>[A-Za-z]+)|(?P<other>.)", re.DOTALL
)


def _error(text: str, reason: str) -> ValueError:
    return ValueError(f"invalid duration {text!r}: {reason}; {EXPECTED}")


def _not_a_string(value: object) -> ValueError:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return ValueError(
            f"invalid duration {value!r}: a bare number has no unit (write e.g. "
            f"{value}h or {value}d, as a string); {EXPECTED}"
        )
    return ValueError(
        f"invalid duration {value!r}: expected a string, got {type(value).__name__}; {EXPECTED}"
    )


def _character_error(text: str, character: str) -> ValueError:
    if character == "-":
        return _error(text, "durations cannot be negative")
    if character in ".,":
        return _error(
            text, f"{character!r} is not allowed, numbers are whole (write 1h30m, not 1.5h)"
        )
    return _error(text, f"unexpected character {character!r}")


_WRITTEN_UNITS = {
    **dict.fromkeys(("week", "weeks", "wk", "wks"), "w"),
    **dict.fromkeys(("day", "days"), "d"),
    **dict.fromkeys(("hour", "hours", "hr", "hrs"), "h"),
    **dict.fromkeys(("minute", "minutes", "min", "mins"), "m"),
}
"""Units as people write them out, and the one letter a duration uses for each."""
_NO_UNITS = frozenset({"mo", "month", "months", "y", "yr", "yrs", "year", "years"})


def _unit_word_error(text: str, value: str, word: str, *, spaced: bool) -> ValueError | None:
    """A written-out unit (``2 days``, ``4hours``, ``1 month``): name what to write instead."""
    letter = _WRITTEN_UNITS.get(word.lower())
    if letter is not None:
        written = f"{value} {word}" if spaced else f"{value}{word}"
        if spaced:
            return _error(text, f"write {value}{letter}, not {written!r}")
        return _error(text, f"unknown unit {word!r} (write {value}{letter})")
    if word.lower() in _NO_UNITS:
        return _error(
            text,
            "months and years are not units (they differ in length): write weeks or days, "
            "such as 4w or 30d",
        )
    return None


def _parse_parts(text: str, stripped: str) -> dict[str, int]:
    """Read ``<number><unit>`` parts; raise a precise error on the first problem."""
    values: dict[str, int] = {}
    tokens = [(m.lastgroup or "other", m.group()) for m in _TOKEN_RE.finditer(stripped)]
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "ws":
            i += 1
            continue
        if kind == "other":
            raise _character_error(text, value)
        if kind == "word":
            if value.lower() in _UNITS:
                raise _error(text, f"unit {value!r} has no number before it")
            raise _error(text, f"unknown unit {value!r}")
        # kind == "num": a unit must follow directly
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if following is None:
            raise _error(text, f"the number {value} has no unit (use w, d, h or m)")
        next_kind, unit = following
        if next_kind == "ws":
            after = tokens[i + 2] if i + 2 < len(tokens) else None
            if after is not None and after[0] == "word":
                written = _unit_word_error(text, value, after[1], spaced=True)
                raise written or _error(text, f"no space is allowed between {value} and its unit")
            raise _error(text, f"the number {value} has no unit (use w, d, h or m)")
        if next_kind == "other":
            raise _character_error(text, unit)
        if next_kind != "word":  # pragma: no cover - the tokenizer never yields num, num
            raise _error(text, f"the number {value} has no unit (use w, d, h or m)")
        if unit not in _UNITS:
            written = _unit_word_error(text, value, unit, spaced=False)
            if written is not None:
                raise written
            hint = (
                f" (units are lower case: {unit.lower()})"
                if unit.lower() in _UNITS
                else " (use w for weeks, d for days, h for hours, m for minutes)"
            )
            raise _error(text, f"unknown unit {unit!r}{hint}")
        if unit in values:
            raise _error(text, f"the unit {unit} appears more than once")
        later = [u for u in values if _UNITS.index(u) > _UNITS.index(unit)]
        if later:
            raise _error(text, f"units must come in the order w, d, h, m ({unit} after {later[0]})")
        if len(value) > _MAX_DIGITS:
            raise _error(text, f"the duration is longer than {MAX_DAYS} days (100 years)")
        values[unit] = int(value)
        i += 2

    return values


@dataclass(frozen=True, slots=True, order=False)
class Duration:
    """A duration as written in a contract: whole weeks, days, hours and minutes.

    Equality compares the parts, not the length: ``Duration(days=1) != Duration(hours=24)``,
    because one business day and twenty-four business hours are different things.
    """

    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0

    def __post_init__(self) -> None:
        for unit, value in zip(
            _UNITS, (self.weeks, self.days, self.hours, self.minutes), strict=True
        ):
            if type(value) is not int:
                raise TypeError(f"Duration {_UNIT_NAMES[unit]} must be an int, got {value!r}")
            if value < 0:
                raise ValueError(f"Duration {_UNIT_NAMES[unit]} must not be negative, got {value}")
        if self.calendar_minutes > _MAX_MINUTES:
            raise ValueError(f"Duration longer than {MAX_DAYS} days (100 years)")

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse ``text`` such as ``"4h"``, ``"1d4h"`` or ``"1w 2d"``.

        Raises :class:`ValueError` with a message that says what is wrong and ends with
        ``"expected a duration such as 4h, 1d, 2w, 1d4h"``, also for non-string input (a
        YAML author who wrote ``4`` gets told to add a unit, not a ``TypeError``).
        """
        if not isinstance(text, str):
            raise _not_a_string(text)
        stripped = text.strip(" \t")
        if not stripped:
            raise _error(text, "it is empty")
        if stripped == "0m":
            return cls()

        values = _parse_parts(text, stripped)
        total = sum(n * _UNIT_MINUTES[u] for u, n in values.items())
        if total == 0:
            raise _error(text, "the duration must be greater than zero (write 0m for none)")
        if total > _MAX_MINUTES:
            raise _error(text, f"the duration is longer than {MAX_DAYS} days (100 years)")
        if _PATTERN_RE.match(text) is None:  # pragma: no cover - the tokenizer is stricter
            raise _error(text, "it does not match the duration syntax")
        return cls(
            weeks=values.get("w", 0),
            days=values.get("d", 0),
            hours=values.get("h", 0),
            minutes=values.get("m", 0),
        )

    def __str__(self) -> str:
        """Canonical text: non-zero parts in the order w, d, h, m, no spaces; ``0m`` for zero."""
        parts = [
            f"{n}{u}"
            for u, n in zip(_UNITS, (self.weeks, self.days, self.hours, self.minutes), strict=True)
            if n
        ]
        return "".join(parts) or "0m"

    def __repr__(self) -> str:
        return f"Duration.parse({str(self)!r})"

    def as_timedelta(self) -> timedelta:
        """The calendar meaning: a week is 7 days, a day is 24 hours."""
        return timedelta(minutes=self.calendar_minutes)

    @property
    def calendar_minutes(self) -> int:
        """Length in minutes under the calendar meaning (see :meth:`as_timedelta`)."""
        return (
            self.weeks * _UNIT_MINUTES["w"]
            + self.days * _UNIT_MINUTES["d"]
            + self.hours * _UNIT_MINUTES["h"]
            + self.minutes
        )


def _validate(value: object) -> Duration:
    if isinstance(value, Duration):
        return value
    if isinstance(value, str):
        try:
            return Duration.parse(value)
        except ValueError as exc:
            raise PydanticCustomError("duration_parsing", "{error}", {"error": str(exc)}) from None
    raise PydanticCustomError("duration_type", "{error}", {"error": str(_not_a_string(value))})


class _DurationSchema:
    """Pydantic hooks of :data:`DurationField`."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source_type: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                str, return_schema=core_schema.str_schema(), when_used="always"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**JSON_SCHEMA, "examples": list(JSON_SCHEMA["examples"])}


DurationField = Annotated[Duration, _DurationSchema()]
"""Pydantic v2 field type: accepts ``"4h"`` (or a :class:`Duration`), serializes to ``"4h"``.

Validation errors have type ``duration_parsing`` (bad text) or ``duration_type`` (not a string)
and carry the :meth:`Duration.parse` message. Serialization gives the canonical string in both
python and JSON mode, so a dumped contract can be written back as YAML unchanged.
"""
