"""JSON read as batch reads it, for what arrives live (``watch``'s lines, the service's bodies).

The standard parser lets the last of two equal keys win unseen, decodes ``"\\ud800"`` to a
lone surrogate, which is no text and cannot be written as UTF-8 (to the state, to a
notification), takes ``NaN`` and ``Infinity`` (not JSON: the coercers read a NaN as "no value",
so a field would vanish unseen), and raises ``RecursionError`` on deep nesting (which is no
``ValueError``: it stopped ``watch`` and answered the service's caller with a 500). Batch makes
each an error row (:mod:`leadcontract.inputs`); live input is refused the same way, with the
same words.
"""

from __future__ import annotations

import json
from typing import Any

from leadcontract.inputs._text import lone_surrogate_path, may_hold_surrogate_escape

__all__ = ["RefusedJsonError", "loads"]


class RefusedJsonError(ValueError):
    """Valid JSON that batch refuses too; the message says why (without quoting values)."""


def loads(text: str) -> Any:
    """``json.loads(text)``, refusing a duplicate key, ``NaN``/``Infinity`` or a lone surrogate
    (:class:`RefusedJsonError`); text that is not JSON, or nested too deeply to parse, raises
    ``json.JSONDecodeError``."""
    try:
        value = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
    surrogate = lone_surrogate_path(value) if may_hold_surrogate_escape(text) else None
    if surrogate is not None:
        key, escape = surrogate
        raise RefusedJsonError(
            f"{key}: the value holds a lone surrogate ({escape}), which is not text and cannot "
            "be written as UTF-8"
        )
    return value


def _constant(name: str) -> float:
    raise RefusedJsonError(
        f"{name} is not a JSON value (JSON has no NaN or infinities; null is no value)"
    )


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise RefusedJsonError(
                    f"duplicate key {json.dumps(key)}: which value is meant is ambiguous"
                )
            seen.add(key)
    return result
