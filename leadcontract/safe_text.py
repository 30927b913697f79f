"""Text that cannot forge what a person or a spreadsheet sees.

Values in lead records (ids, names, notes) and keys in contracts come from people who may not
mean well. Two places turn such text into something else:

* A terminal: a newline in a lead id prints a fake table row, and an escape sequence
  (``ESC [ 2 J``) clears the screen or recolours a warning. :func:`printable` writes every
  control character (C0, DEL, C1), the Unicode line and paragraph separators, the
  bidirectional overrides ("Trojan Source") and the characters that show nothing (a zero width
  space) as a visible backslash escape, so each value stays on its line and shows what it
  holds. Every human-readable format applies it to each value
  (tables, summaries, ``explain``, reports, error rows, lint text, ``audit show``).
* A spreadsheet: a CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return is run as a formula by Excel, LibreOffice and Google Sheets (CSV injection).
  :func:`guard_csv_cell` does what OWASP recommends: it puts a single quote in front of such a
  cell, which spreadsheets show as text and do not run. Cells that are plain numbers
  (``-12.50``, a clawback) are left alone, since a number cannot be a formula. Writers take a
  ``raw`` switch (``--raw-csv`` on the command line) for consumers that need the bytes as
  they were.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["FORMULA_STARTS", "guard_csv_cell", "printable", "shortened"]

_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]"
)
"""Controls, line separators, direction marks, and the characters that show nothing (a zero
width space, a word joiner, a byte order mark inside text, a soft hyphen): a picklist value
pasted into a CRM with one of these after it prints like the value it is not. The joiners
(U+200C, U+200D) are left alone: Persian names and emoji need them."""
_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character that could change what a terminal shows escaped."""
    if text.isprintable() and text.isascii():
        return text
    return _UNSAFE.sub(_escape, text)


SHORTENED_TO: Final = 80
"""The most characters of an input's value a message quotes (an id may be a megabyte)."""


def shortened(text: str) -> str:
    """:func:`printable` ``text``, cut to :data:`SHORTENED_TO` characters with an ellipsis."""
    if len(text) > SHORTENED_TO:
        text = text[: SHORTENED_TO - 1] + "…"
    return printable(text)


FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula (OWASP)."""

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def guard_csv_cell(text: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula (see the module's docstring)."""
    if not text.startswith(FORMULA_STARTS) or _NUMBER.fullmatch(text):
        return text
    return "'" + text
