"""What every text input shares: telling the encoding apart, and the file-level error.

A record file that is not UTF-8 at all (a UTF-16 export from Excel, a file saved twice with a
byte order mark) would otherwise be read as garbage, and every record would fail for a reason
that hides the real one ("no column Id" on every row). So the first bytes are looked at before
anything is parsed, and such a file is refused with one message that names the cause.
"""

from __future__ import annotations

import codecs
import re
from typing import Any, Final

from leadcontract.inputs._messages import _printable
from leadcontract.inputs._types import RecordError, RecordKind

__all__ = [
    "OTHER_ENCODING",
    "InputFileError",
    "check_encoding",
    "has_bad_bytes",
    "lone_surrogate_path",
    "malformed",
    "may_hold_surrogate_escape",
]

_UTF16_32_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "UTF-32 (little-endian)"),
    (codecs.BOM_UTF32_BE, "UTF-32 (big-endian)"),
    (codecs.BOM_UTF16_LE, "UTF-16 (little-endian)"),
    (codecs.BOM_UTF16_BE, "UTF-16 (big-endian)"),
)
"""Longest first: the UTF-32 LE mark begins with the UTF-16 LE one."""

OTHER_ENCODING: Final = (
    "the file was saved in another encoding (such as Windows-1252); save it as UTF-8"
)
"""What to do about bytes that are not UTF-8 (Excel's plain "CSV" in Western locales writes
Windows-1252): said with every error row they make, not only with a header's."""

SNIFF_BYTES: Final = 4096
"""How much of the start of a file is looked at to tell its encoding."""

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
"""A JSON escape of a UTF-16 surrogate half: the only way a JSON text can hold a lone one."""

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class InputFileError(ValueError):
    """A whole input file cannot be read as records (its encoding, its header, its shape).

    Raised when iteration starts, before any record of the file is yielded, so that nothing
    half-read comes out. The message names the file, the line and the cause.
    """

    def __init__(self, source: str, line: int | None, message: str) -> None:
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line
        self.reason = message

    def __reduce__(self) -> tuple[type[InputFileError], tuple[str, int | None, str]]:
        """Pickled as its three parts (a worker of ``evaluate --workers`` sends it back)."""
        return InputFileError, (self.source, self.line, self.reason)


def check_encoding(source: str, head: bytes) -> None:
    """Refuse a file whose first bytes show it is not UTF-8 (see the module's docstring).

    ``head`` is the start of the file. UTF-16 and UTF-32 are recognised by their byte order
    mark, or, without one, by NUL bytes in the first line (text never holds them); a second
    UTF-8 byte order mark right after the first is a file that was converted twice.
    """
    for bom, name in _UTF16_32_BOMS:
        if head.startswith(bom):
            raise InputFileError(
                source, 1, f"the file is {name} (it starts with a byte order mark "
                f"{bom.hex(' ').upper()}); save it as UTF-8"
            )  # fmt: skip
    first_line = head.split(b"\n", 1)[0]
    if b"\x00" in first_line:
        raise InputFileError(
            source, 1, "the first line holds NUL bytes: the file looks UTF-16 or UTF-32 "
            "without a byte order mark; save it as UTF-8"
        )  # fmt: skip
    if head.startswith(codecs.BOM_UTF8 * 2):
        raise InputFileError(
            source, 1, "the file starts with two UTF-8 byte order marks (EF BB BF EF BB BF): "
            "it was converted twice; remove one"
        )  # fmt: skip


def may_hold_surrogate_escape(text: str) -> bool:
    """Whether a JSON text may decode to a string with a lone surrogate (a cheap pre-check)."""
    return "\\u" in text and _SURROGATE_ESCAPE.search(text) is not None


def lone_surrogate_path(value: Any) -> tuple[str, str] | None:
    """The top-level key under which a decoded JSON value holds a lone surrogate, and that
    surrogate as its JSON escape (``\\ud800``); ``None`` when it holds none. The value itself
    is not returned: it may be personal, and messages must not quote it."""
    if isinstance(value, dict):
        for key, item in value.items():
            found = lone_surrogate_path(key) or lone_surrogate_path(item)
            if found is not None:
                return _printable(key), found[1]
        return None
    if isinstance(value, list):
        for item in value:
            found = lone_surrogate_path(item)
            if found is not None:
                return found
        return None
    if isinstance(value, str):
        match = _LONE_SURROGATE.search(value)
        if match is not None:
            return "", f"\\u{ord(match.group()):04x}"
    return None


def has_bad_bytes(text: str) -> bool:
    """Whether text decoded with ``surrogateescape`` held bytes that are not UTF-8."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # only lone surrogates fail to encode
        return True
    return False


def malformed(
    kind: RecordKind,
    source: str,
    record: int,
    line: int | None,
    message: str,
    *,
    field: str | None = None,
) -> RecordError:
    """An error row for a record that cannot be read at all."""
    return RecordError(kind, source, record, line, None, field, "malformed", message)
