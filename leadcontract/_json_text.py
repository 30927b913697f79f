"""JSON text exactly as ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` spells
it, made by orjson wherever orjson provably spells the same.

The definition of a verdict's JSON is :func:`leadcontract.verdict.to_plain` followed by
``json.dumps``. Converting the tree of frozen records into built-ins costs more than the
encoding itself (a verdict holds a few hundred values; at 100k leads that conversion alone
was a third of ``evaluate``'s end-to-end time), so :func:`record_json` hands the records to
orjson directly: orjson writes dataclasses field by field in declaration order, tuples as
lists and enums by value, which is what ``to_plain`` does. It differs from ``json`` only in

* instants: orjson spells one in UTC (``OPT_UTC_Z``) as ``to_plain`` does, so every instant
  must be in UTC (the engine's are); one in another zone, or without one, sends the record
  the exact way, as does a time of day;
* what orjson cannot encode (decimals, sets, a tuple subclass, ...): spelt by ``to_plain``,
  through ``default``;
* floats below 1e-4 (orjson writes ``0.00001`` where Python writes ``1e-05``), NaN and the
  infinities (orjson writes ``null``): a record with such a float goes the exact way. Which
  fields can hold a float or an instant is read once per record type from its annotations,
  so only those are looked at;
* integers beyond 64 bits, lone surrogates and keys that are not text: orjson refuses them,
  and the record goes the exact way;
* a record with a field whose name starts with ``_`` (orjson leaves it out), or without
  slots and with attributes besides its fields (orjson writes its ``__dict__``): the exact
  way (this library's frozen records hold only their fields, so theirs are not looked at).

The annotations are trusted (``mypy --strict`` checks the engine that builds the records); a
field typed ``Any`` is walked value by value. ``tests/test_json_encoding.py`` compares both
ways on random records of every verdict type.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, Literal, get_args, get_origin

import orjson

from leadcontract.verdict import to_plain

__all__ = ["plain_json", "record_json"]

_Check = Callable[[Any], bool]
"""True when orjson spells the value (and all it holds) as ``json`` does."""

_SMALLEST = 1e-4
"""Python's ``repr`` writes floats below this with an exponent; orjson writes them out."""
_LARGEST = sys.float_info.max


def plain_json(value: dict[str, Any]) -> str:
    """Plain built-ins (text keys) as compact JSON, spelled exactly as ``json.dumps`` spells
    them (orjson where it spells the same, some ten times faster)."""
    if _value_ok(value):
        try:
            return orjson.dumps(value).decode("utf-8")
        except TypeError:  # a big integer, a lone surrogate
            pass
    return _exact(value)


def record_json(record: Any) -> str:
    """A record (a verdict, an error row, anything :func:`to_plain` converts) as compact JSON,
    the text ``json.dumps(to_plain(record))`` gives, without building ``to_plain``'s copy when
    orjson can spell the record itself."""
    if _value_ok(record):
        try:
            return orjson.dumps(record, default=_spelt, option=orjson.OPT_UTC_Z).decode("utf-8")
        except TypeError:  # a big integer, a lone surrogate, a key that is not text, a bad float
            pass
    return _exact(to_plain(record))


def _exact(plain: Any) -> str:
    return json.dumps(plain, ensure_ascii=False, separators=(",", ":"))


class _SpeltOtherwiseError(TypeError):
    """Raised inside orjson's ``default`` when the converted value holds a float that orjson
    would spell otherwise; orjson passes it on as a ``TypeError``."""


def _spelt(value: Any) -> Any:
    """orjson's ``default``: what ``to_plain`` makes of a value orjson does not encode itself."""
    plain = to_plain(value)
    if not _value_ok(plain):
        raise _SpeltOtherwiseError
    return plain


def _float_ok(value: float) -> bool:
    return value == 0.0 or _SMALLEST <= abs(value) <= _LARGEST  # NaN fails both


def _value_ok(value: Any) -> bool:
    """Walk a value of any shape (the fields typed ``Any``, plain built-ins)."""
    pending: list[Any] = [value]
    pop, extend = pending.pop, pending.extend
    while pending:
        item = pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is float:
            if not _float_ok(item):
                return False
        elif kind is dict:
            extend(item.values())
        elif kind is list or kind is tuple:
            extend(item)
        elif kind is datetime:
            if item.tzinfo is not UTC:
                return False
        elif kind is date:
            continue
        elif isinstance(item, float):  # a float subclass: json spells it with float.__repr__
            if not _float_ok(item):
                return False
        elif isinstance(item, datetime | time):  # a subclass, a time of day: the exact way
            return False
        elif isinstance(item, Enum):
            pending.append(item.value)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            if not _record_check(type(item))(item):
                return False
        elif isinstance(item, Mapping):
            extend(item.values())
        elif isinstance(item, list | tuple):
            extend(item)
    return True


_RECORD_CHECKS: dict[type, _Check] = {}


def _record_check(kind: type) -> _Check:
    """The check for one record type: only the fields whose annotations admit a float."""
    found = _RECORD_CHECKS.get(kind)
    if found is None:
        _RECORD_CHECKS[kind] = _value_ok  # while planning: a type that holds itself is walked
        found = _RECORD_CHECKS[kind] = _plan_record(kind)
    return found


def _plan_record(kind: type) -> _Check:
    names = tuple(field.name for field in dataclasses.fields(kind))
    if any(name.startswith("_") for name in names):
        return _never  # orjson leaves out fields whose names start with "_"
    try:
        hints = typing.get_type_hints(kind)
    except Exception:  # an annotation that does not resolve: walk every field
        hints = {}
    checks: list[tuple[str, _Check]] = []
    for name in names:
        check = _check_for(hints.get(name, Any))
        if check is not None:
            checks.append((name, check))
    if kind.__dictoffset__ and not _holds_only_fields(kind):
        # Without slots orjson writes the instance's __dict__, which also holds whatever was
        # set on it besides the fields.
        checks.insert(0, ("__dict__", lambda attributes: tuple(attributes) == names))
    if not checks:
        return _always
    planned = tuple(checks)

    def record_ok(record: Any) -> bool:
        for name, check in planned:  # noqa: SIM110 - no generator per record of every verdict
            if not check(getattr(record, name)):
                return False
        return True

    return record_ok


def _holds_only_fields(kind: type) -> bool:
    """This library's frozen records: nothing but their fields is ever set on them (no cached
    properties, nothing set in ``__post_init__`` but fields; ``tests/test_json_encoding.py``
    holds the example's verdicts to it), so their ``__dict__`` is their fields in order."""
    params = getattr(kind, "__dataclass_params__", None)
    return bool(
        params is not None and params.frozen and kind.__module__.startswith("leadcontract.")
    )


def _always(_: Any) -> bool:
    return True


def _never(_: Any) -> bool:
    return False


_PLAIN: tuple[type, ...] = (str, bool, int, Decimal, type(None))
"""Types whose values orjson spells as ``json`` does (or refuses), or sends to ``default``
(decimals)."""


def _check_for(hint: Any) -> _Check | None:
    """How to check a value annotated ``hint``; None when it cannot hold a float."""
    if hint is float:
        return _float_field_ok
    if hint is datetime:
        return _instant_field_ok
    if hint is date:
        return _day_field_ok
    if isinstance(hint, type) and issubclass(hint, _PLAIN) and not issubclass(hint, Enum):
        return None
    origin = get_origin(hint)
    arguments = get_args(hint)
    if origin is Literal:
        return None if all(not isinstance(a, float) for a in arguments) else _value_ok
    if origin is typing.Union or origin is types.UnionType:
        needed = [_check_for(argument) for argument in arguments if argument is not type(None)]
        if all(check is None for check in needed):
            return None
        if len(needed) == 1 and (only := needed[0]) is not None:  # X | None
            return lambda value: value is None or only(value)
        return _value_ok
    if origin in (tuple, list, Sequence) and (
        (len(arguments) == 2 and arguments[1] is Ellipsis) or (origin is not tuple and arguments)
    ):
        inner = _check_for(arguments[0])
        if inner is None:
            return None

        def items_ok(items: Any) -> bool:
            for item in items:  # noqa: SIM110 - no generator per tuple of every verdict
                if not inner(item):
                    return False
            return True

        return items_ok
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        plan = _record_check(hint)
        if plan is _always and not _has_subclasses(hint):
            return None
        return lambda record: record is None or _record_check(type(record))(record)
    return _value_ok


def _float_field_ok(value: Any) -> bool:
    return _float_ok(value) if isinstance(value, float) else _value_ok(value)


def _instant_field_ok(value: Any) -> bool:
    return value.tzinfo is UTC if type(value) is datetime else _value_ok(value)


def _day_field_ok(value: Any) -> bool:
    return type(value) is date or _value_ok(value)


def _has_subclasses(kind: type) -> bool:
    return bool(kind.__subclasses__())
