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
import re
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

__all__ = [
    "encodable",
    "plain_copy",
    "plain_json",
    "plain_line",
    "record_json",
    "record_line",
    "sorted_plain_json",
]

_Check = Callable[[Any], bool]
"""True when orjson spells the value (and all it holds) as ``json`` does."""

_SMALLEST = 1e-4
"""Python's ``repr`` writes floats below this with an exponent; orjson writes them out."""
_LARGEST = sys.float_info.max


def plain_json(value: dict[str, Any]) -> str:
    """Plain built-ins (text keys) as compact JSON, spelled exactly as ``json.dumps`` spells
    them (orjson where it spells the same, some ten times faster)."""
    return _plain_text(value)[0]


def plain_line(value: dict[str, Any]) -> str:
    """:func:`plain_json`'s text made :func:`encodable` (a line of a file)."""
    text, exact = _plain_text(value)
    return encodable(text) if exact else text


def sorted_plain_json(value: Any) -> str | None:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    allow_nan=False)`` written by orjson (some ten times faster), when ``value`` holds only
    JSON's own types, exactly (dicts, lists, tuples, text, integers, floats that orjson
    spells as ``json`` does, booleans, None); else None: the caller takes ``json``, which
    also raises where it raises (NaN, a datetime, ...).

    orjson sorts keys by their UTF-8 bytes, which is the order of their code points, the
    order ``sorted`` gives; what orjson refuses (a key that is not text, an integer beyond
    64 bits, a lone surrogate) gives None too.
    """
    if not _value_ok(value, strict=True):
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except TypeError:
        return None


def record_json(record: Any) -> str:
    """A record (a verdict, an error row, anything :func:`to_plain` converts) as compact JSON,
    the text ``json.dumps(to_plain(record))`` gives, without building ``to_plain``'s copy when
    orjson can spell the record itself."""
    return _record_text(record)[0]


def record_line(record: Any) -> str:
    """:func:`record_json`'s text made :func:`encodable` (a line of a file)."""
    text, exact = _record_text(record)
    return encodable(text) if exact else text


def encodable(text: str) -> str:
    """Text that can be written as UTF-8: a lone surrogate (only Python records can hold one;
    the file readers refuse them) becomes its ``\\uXXXX`` escape, which in JSON is the JSON
    spelling of the same string.

    Text orjson wrote needs no look (it refuses lone surrogates), which is why the ``_line``
    functions ask only of the exact way's text: a traced verdict's 11 KB line is rarely
    ASCII (a note says "1 × 40 points"), and searching it costs five times orjson's writing.
    """
    if text.isascii() or _LONE_SURROGATE.search(text) is None:
        return text
    return _LONE_SURROGATE.sub(_escape_surrogate, text)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _plain_text(value: dict[str, Any]) -> tuple[str, bool]:
    """The JSON text, and whether the exact way wrote it."""
    if _value_ok(value):
        try:
            return orjson.dumps(value).decode("utf-8"), False
        except TypeError:  # a big integer, a lone surrogate
            pass
    return _exact(value), True


def _record_text(record: Any) -> tuple[str, bool]:
    """The JSON text, and whether the exact way wrote it."""
    check = _RECORD_CHECKS.get(record.__class__)  # a record type met before: its own check
    if check(record) if check is not None else _value_ok(record):
        try:
            text = orjson.dumps(record, default=_spelt, option=orjson.OPT_UTC_Z)
            return text.decode("utf-8"), False
        except TypeError:  # a big integer, a lone surrogate, a key that is not text, a bad float
            pass
    return _exact(to_plain(record)), True


def plain_copy(record: Any) -> tuple[Any, bool]:
    """``to_plain(record)``, and whether orjson made it: written by orjson and read back,
    some five times cheaper than converting a traced verdict in Python, when orjson spells
    the record as ``json`` does (then ``json.loads(record_json(record))``, which is
    ``to_plain(record)``, is what orjson reads back: no float of it is one orjson spells
    otherwise, no text holds a lone surrogate, no integer is beyond 64 bits)."""
    check = _RECORD_CHECKS.get(record.__class__)
    if check(record) if check is not None else _value_ok(record):
        try:
            return orjson.loads(orjson.dumps(record, default=_spelt, option=orjson.OPT_UTC_Z)), True
        except TypeError:  # as in _record_text
            pass
    return to_plain(record), False


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


def _value_ok(value: Any, *, strict: bool = False) -> bool:
    """Walk a value of any shape (the fields typed ``Any``, plain built-ins); ``strict``:
    only JSON's own types, exactly (what ``json`` itself writes)."""
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
        elif strict:
            return False
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
    if _fields_orjson_skips(kind):
        return _never
    code = _Code()
    code.record("record", kind, 1)
    return code.function(kind.__qualname__)


def _fields_orjson_skips(kind: type) -> bool:
    """orjson leaves out fields whose names start with ``_``: such a record goes the exact way."""
    return any(field.name.startswith("_") for field in dataclasses.fields(kind))


def _hints(kind: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(kind)
    except Exception:  # an annotation that does not resolve: walk every field
        return {}


class _Code:
    """The source of one record type's check, generated once per type: one function that reads
    each field that can hold a float or an instant, and the fields of the records it holds,
    and tests them inline (a verdict holds a few hundred values; a call per value and per
    record cost as much as orjson's whole encoding). Whatever the inline tests do not settle
    (a subclass, a value of another type than annotated) goes to the general checks
    (:func:`_check_for`, :func:`_record_check`), which give the same answer.
    """

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._names: dict[str, Any] = {
            "_value_ok": _value_ok,
            "_record_check": _record_check,
            "_float_field_ok": _float_field_ok,
            "_instant_field_ok": _instant_field_ok,
            "datetime": datetime,
            "UTC": UTC,
            "_SMALLEST": _SMALLEST,
            "_LARGEST": _LARGEST,
        }
        self._variables = 0
        self._open: list[type] = []
        """The record types being written inline, outermost first (a type that holds itself
        is checked by a call, not inlined without end)."""

    def _constant(self, value: Any) -> str:
        name = f"_c{len(self._names)}"
        self._names[name] = value
        return name

    def _variable(self) -> str:
        self._variables += 1
        return f"v{self._variables}"

    def _line(self, depth: int, text: str) -> None:
        self._lines.append("    " * depth + text)

    def record(self, variable: str, kind: type, depth: int) -> None:
        """Lines that return False unless ``variable``, a record of exactly ``kind``, is spelt
        alike."""
        self._open.append(kind)
        names = tuple(field.name for field in dataclasses.fields(kind))
        if kind.__dictoffset__ and not _holds_only_fields(kind):
            # Without slots orjson writes the instance's __dict__, which also holds whatever
            # was set on it besides the fields.
            fields = self._constant(names)
            self._line(depth, f"if tuple({variable}.__dict__) != {fields}: return False")
        hints = _hints(kind)
        for name in names:
            hint = hints.get(name, Any)
            if _check_for(hint) is None:
                continue  # cannot hold a float or an instant
            value = self._variable()
            self._line(depth, f"{value} = {variable}.{name}")
            self._value(value, hint, depth)
        self._open.pop()

    def _value(self, variable: str, hint: Any, depth: int) -> None:
        """Lines that return False unless ``variable`` (annotated ``hint``) is spelt alike."""
        if hint is float:
            self._line(depth, f"if {variable}.__class__ is float:")
            test = f"{variable} == 0.0 or _SMALLEST <= abs({variable}) <= _LARGEST"
            self._line(depth + 1, f"if not ({test}): return False")
            self._line(depth, f"elif not _float_field_ok({variable}): return False")
            return
        if hint is datetime:
            test = f"{variable}.__class__ is datetime and {variable}.tzinfo is UTC"
            self._line(
                depth, f"if not ({test}) and not _instant_field_ok({variable}): return False"
            )
            return
        origin, arguments = get_origin(hint), get_args(hint)
        optional = [a for a in arguments if a is not type(None)]
        if (
            (origin is typing.Union or origin is types.UnionType)
            and len(optional) == 1
            and self._inline(optional[0])
        ):
            self._line(depth, f"if {variable} is not None:")
            self._value(variable, optional[0], depth + 1)
            return
        if (
            origin is tuple
            and len(arguments) == 2
            and arguments[1] is Ellipsis
            and self._inline(arguments[0])
        ):
            item = self._variable()
            self._line(depth, f"for {item} in {variable}:")
            self._value(item, arguments[0], depth + 1)
            return
        if self._inline(hint):
            kind = self._constant(hint)
            self._line(depth, f"if {variable}.__class__ is {kind}:")
            start = len(self._lines)
            self.record(variable, hint, depth + 1)
            if len(self._lines) == start:
                self._line(depth + 1, "pass")
            other = f"_record_check({variable}.__class__)({variable})"
            self._line(depth, f"elif {variable} is not None and not {other}: return False")
            return
        check = _check_for(hint)
        assert check is not None
        if check is _value_ok:  # a value of any type: the scalars inline, as _value_ok tests them
            kind = self._variable()
            self._line(depth, f"{kind} = {variable}.__class__")
            self._line(depth, f"if {kind} is str or {kind} is int or {kind} is bool: pass")
            self._line(depth, f"elif {kind} is float:")
            test = f"{variable} == 0.0 or _SMALLEST <= abs({variable}) <= _LARGEST"
            self._line(depth + 1, f"if not ({test}): return False")
            self._line(depth, f"elif {kind} is datetime:")
            self._line(depth + 1, f"if {variable}.tzinfo is not UTC: return False")
            self._line(depth, f"elif {variable} is not None and not _value_ok({variable}):")
            self._line(depth + 1, "return False")
            return
        self._line(depth, f"if not {self._constant(check)}({variable}): return False")

    def _inline(self, hint: Any) -> bool:
        """Whether the test of a value annotated ``hint`` is written inline."""
        if hint is float or hint is datetime:
            return True
        return (
            isinstance(hint, type)
            and dataclasses.is_dataclass(hint)
            and hint not in self._open
            and not _fields_orjson_skips(hint)
            and _check_for(hint) is not None
        )

    def function(self, name: str) -> _Check:
        if not self._lines:
            return _always
        source = "def record_ok(record):\n" + "\n".join(self._lines) + "\n    return True\n"
        exec(compile(source, f"<record check of {name}>", "exec"), self._names)
        check: _Check = self._names["record_ok"]
        return check


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
