"""JSON read as batch reads it, for what arrives live (``watch``'s lines, the service's bodies).

The standard parser lets the last of two equal keys win unseen and decodes ``"\\ud800"`` to a
lone surrogate, which is no text and cannot be written as UTF-8 (to the state, to a
notification). Batch makes either an error row (:mod:`leadcontract.inputs`); live input is
refused the same way, with the same words.
"""

from __future__ import annotations

import json
from typing import Any

from leadcontract.inputs._text import lone_surrogate_path, may_hold_surrogate_escape

__all__ = ["RefusedJsonError", "loads"]


class RefusedJsonError(ValueError):
    """Valid JSON that batch refuses too; the message says why (without quoting values)."""


def loads(text: str) -> Any:
    """``json.loads(text)``, refusing a duplicate key or a lone surrogate
    (:class:`RefusedJsonError`); text that is not JSON raises ``json.JSONDecodeError``."""
    value = json.loads(text, object_pairs_hook=_object)
    surrogate = lone_surrogate_path(value) if may_hold_surrogate_escape(text) else None
    if surrogate is not None:
        key, escape = surrogate
        raise RefusedJsonError(
            f"{key}: the value holds a lone surrogate ({escape}), which is not text and cannot "
            "be written as UTF-8"
        )
    return value


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
