"""Event mappings: rows of a raw activity export (a Salesforce Task, a HubSpot engagement, a
lead-status history row) turned into the contract's events.

A :class:`EventMapper` tries the contract's :class:`~leadcontract.model.EventMapping` entries
in order; the first whose ``when`` holds rewrites the row into event attributes (constants
from ``set``, columns from ``columns``, through their value maps and time formats). The
rewritten row then goes through the ordinary event coercion, so mapped and unmapped sources
share one set of rules and error rows. A row that no mapping matches is *unmapped*: the
engine counts it (a data-drift diagnostic) and uses it for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from leadcontract.inputs._convert import (
    _Converter,
    _datetime_converter,
    _InvalidValueError,
    _is_missing,
    _to_text,
    _zone,
)
from leadcontract.inputs._messages import _show
from leadcontract.inputs._types import ErrorCode, RawRecord, RecordError
from leadcontract.model import EventMapping, EventValue

__all__ = ["EventMapper", "MappedRow"]


def _normal(name: str) -> str:
    return name.casefold().replace(" ", "").replace("_", "")


def _key(value: Any) -> str:
    """A cell as a match key: stripped, case-folded text; missing values are ``""``."""
    if value is None or (not isinstance(value, str) and _is_missing(value)):
        return ""
    try:
        return _to_text(value).strip().casefold()
    except _InvalidValueError:
        return str(value).strip().casefold()


def _lookup(data: Mapping[str, Any], column: str) -> tuple[bool, Any]:
    """(found, value) of a column: exact, then loose name, then a dotted path."""
    if column in data:
        return True, data[column]
    wanted = _normal(column)
    for key in data:
        if isinstance(key, str) and _normal(key) == wanted:
            return True, data[key]
    head, dot, rest = column.partition(".")
    if dot:
        found, value = _lookup(data, head)
        for part in rest.split("."):
            if not found or not isinstance(value, Mapping):
                return False, None
            found, value = _lookup(value, part)
        return found, value
    return False, None


@dataclass(frozen=True, slots=True)
class MappedRow:
    """A raw row rewritten by one mapping: event attributes by name, plus the lead fields the
    row supplies (``fields``), as read."""

    mapping: str
    data: dict[str, Any]
    fields: dict[str, Any]
    columns: dict[str, str] = field(default_factory=dict)
    """The column each mapped attribute was read from, for error rows (``at``: CreatedDate)."""


ANY_VALUE = "*"
"""In ``when``: any value that is not empty."""


def _holds(value: Any, wanted: frozenset[str]) -> bool:
    key = _key(value)
    return key in wanted or (bool(key) and ANY_VALUE in wanted)


@dataclass(frozen=True, slots=True)
class _Compiled:
    mapping: EventMapping
    when: tuple[tuple[str, frozenset[str]], ...]
    maps: dict[str, dict[str, str | None]]
    times: dict[str, _Converter]


class EventMapper:
    """Applies a contract's event mappings to raw activity rows."""

    def __init__(self, mappings: Sequence[EventMapping], *, default_tz: tzinfo) -> None:
        self._mappings = [self._compile(m, default_tz) for m in mappings]

    @staticmethod
    def _compile(mapping: EventMapping, default_tz: tzinfo) -> _Compiled:
        zone = _zone(mapping.timezone) if mapping.timezone else default_tz
        when = tuple(
            (column, frozenset(_key(v) for v in ([wanted] if isinstance(wanted, str) else wanted)))
            for column, wanted in mapping.when.items()
        )
        maps: dict[str, dict[str, str | None]] = {}
        times: dict[str, _Converter] = {}
        for attribute, source in mapping.columns.items():
            if isinstance(source, EventValue):
                if source.map:
                    maps[attribute] = {_key(k): v for k, v in source.map.items()}
                if attribute == "at" and (source.format or mapping.timezone):
                    times[attribute] = _datetime_converter(zone, "bad-time", source.format)
            elif attribute == "at" and mapping.timezone:
                times[attribute] = _datetime_converter(zone, "bad-time")
        return _Compiled(mapping, when, maps, times)

    def map(self, raw: RawRecord) -> MappedRow | RecordError | None:
        """The row rewritten by the first mapping that matches; ``None`` when none does; an
        error row when the matching mapping cannot read a time."""
        data = raw.data
        for compiled in self._mappings:
            if not all(_holds(_lookup(data, c)[1], wanted) for c, wanted in compiled.when):
                continue
            mapped = self._apply(compiled, raw)
            if mapped is not None:
                return mapped
        return None

    def _apply(self, compiled: _Compiled, raw: RawRecord) -> MappedRow | RecordError | None:
        mapping = compiled.mapping
        data = raw.data
        out = dict(data)
        out.update(mapping.set)
        read_from: dict[str, str] = {}
        for attribute, source in mapping.columns.items():
            column = source.column if isinstance(source, EventValue) else source
            read_from[attribute] = column
            _, value = _lookup(data, column)
            if isinstance(value, list | tuple):
                # HubSpot's associations.contactIds: one engagement, one contact.
                if len(value) != 1:
                    return self._error(
                        raw,
                        mapping,
                        attribute=attribute,
                        column=column,
                        detail=f"expected one value, got a list of {len(value)}; "
                        "give one row per lead",
                    )
                value = value[0]
            table = compiled.maps.get(attribute)
            if table is not None:
                if _key(value) not in table:
                    return None  # a value the map does not list: this mapping does not apply
                value = table[_key(value)]
            convert = compiled.times.get(attribute)
            if convert is not None and value is not None and _key(value):
                try:
                    value = convert(value.strip() if isinstance(value, str) else value)
                except _InvalidValueError as exc:
                    return self._error(
                        raw,
                        mapping,
                        attribute=attribute,
                        column=column,
                        detail=exc.detail,
                        code=exc.code,
                    )
            out[attribute] = value
        fields = {name: _lookup(data, column)[1] for name, column in mapping.fields.items()}
        return MappedRow(mapping.id, out, fields, read_from)

    @staticmethod
    def _error(
        raw: RawRecord,
        mapping: EventMapping,
        *,
        attribute: str,
        column: str,
        detail: str,
        code: ErrorCode = "wrong-type",
    ) -> RecordError:
        return RecordError(
            "event",
            raw.source,
            raw.record,
            raw.line,
            None,
            attribute,
            code,
            f"{attribute} (column {_show(column)}, mapping {mapping.id}): {detail}",
        )
