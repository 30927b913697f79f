"""Showing input values in the messages of error rows."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

_UNENCODABLE = re.compile("[\ud800-\udfff]")
"""Lone surrogates: what ``errors="surrogateescape"`` makes of bytes that are not UTF-8."""

_SHOW_MAX: Final = 60


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def _printable(text: str) -> str:
    """Text safe to write as UTF-8: bad bytes shown as \\xNN, other lone surrogates as \\uNNNN."""
    return _UNENCODABLE.sub(_escape, text)


def _show(value: Any) -> str:
    """A value as a message shows it: text quoted, JSON words for JSON values."""
    if isinstance(value, str):
        text = value if len(value) <= _SHOW_MAX else value[: _SHOW_MAX - 1] + "…"
        return _printable(json.dumps(text, ensure_ascii=False))
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        try:
            text = str(value)
        except ValueError:  # an int too long to print
            return "a very large number"
        return text if len(text) <= _SHOW_MAX else text[: _SHOW_MAX - 1] + "…"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _describe(value)


def _describe(value: Any) -> str:
    """The kind of a value, for messages: 'an object', 'a list', 'the text "x"'..."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, str | bool | int | float | Decimal):
        return _show(value)
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name} value"
