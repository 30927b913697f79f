"""Coercion: raw lead records to typed fields, raw activity events to :class:`Event` values."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo
from typing import Any, Final, Generic, TypeVar

from leadcontract.inputs._convert import (
    _Converter,
    _datetime_converter,
    _field_converter,
    _InvalidValueError,
    _is_missing,
    _to_decimal,
    _to_integer,
    _to_text,
)
from leadcontract.inputs._event_rows import EventRow, compile_event_row
from leadcontract.inputs._mappings import EventMapper, MappedRow
from leadcontract.inputs._messages import _describe, _printable, _show
from leadcontract.inputs._types import EVENT_ATTRIBUTES, ErrorCode, Event, RawRecord, RecordError
from leadcontract.model import EventMapping, Lead

_Plan = TypeVar("_Plan")


def _normal(name: str) -> str:
    """A column name for loose matching: case-insensitive, spaces and underscores ignored."""
    return name.casefold().replace(" ", "").replace("_", "")


class _Nested:
    """A dotted source name (``Owner.Alias``) read from nested objects, as Salesforce's JSON
    exports hold relationship fields (``{"Owner": {"Alias": "jdoe"}}``)."""

    __slots__ = ("head", "name", "path")

    def __init__(self, head: str, path: tuple[str, ...], name: str) -> None:
        self.head = head
        self.path = path
        self.name = name

    def get(self, data: Mapping[str, Any]) -> Any:
        """The nested value; None where a level is missing or null."""
        value: Any = data.get(self.head)
        for part in self.path:
            if not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value

    def __str__(self) -> str:
        return self.name


def _read(data: Mapping[str, Any], column: Any) -> Any:
    """The value of a column found by :class:`_Columns` (a key, or a nested path)."""
    return column.get(data) if column.__class__ is _Nested else data[column]


def _column_name(column: Any) -> str:
    return str(column)


class _Columns(Generic[_Plan]):
    """Which input column each slot is read from, cached per sequence of column names.

    A slot's candidates are tried in order by exact name, then in order by loose name
    (:func:`_normal`); the first column present wins. ``build`` turns the columns found (a
    column name or ``None`` per slot) into whatever the caller loops over; it is cached too.
    """

    CACHE_MAX: Final = 512

    def __init__(
        self, candidates: list[tuple[str, ...]], build: Callable[[tuple[Any, ...]], _Plan]
    ) -> None:
        self._candidates = candidates
        self._loose = [tuple(_normal(name) for name in names) for names in candidates]
        self._build_plan = build
        self._cache: dict[tuple[Any, ...], _Plan] = {}

    def plan(self, data: Mapping[str, Any]) -> _Plan:
        """The plan for a record with the keys of ``data``."""
        keys = tuple(data)
        found = self._cache.get(keys)
        if found is None:
            found = self._build_plan(self.columns(keys))
            if len(self._cache) >= self.CACHE_MAX:
                self._cache.clear()
            self._cache[keys] = found
        return found

    def columns(self, keys: tuple[Any, ...]) -> tuple[Any, ...]:
        """For each slot, the key to read, or ``None`` when no column matches."""
        present = set(keys)
        loose: dict[str, Any] = {}
        for key in keys:
            if isinstance(key, str):
                loose.setdefault(_normal(key), key)
        columns: list[Any] = []
        for names, loose_names in zip(self._candidates, self._loose, strict=True):
            column: Any = next((name for name in names if name in present), None)
            if column is None:
                column = next((loose[n] for n in loose_names if n in loose), None)
            if column is None:
                column = _nested(names, present, loose)
            columns.append(column)
        return tuple(columns)


def _nested(names: tuple[str, ...], present: set[Any], loose: dict[str, Any]) -> _Nested | None:
    """A dotted name whose first part is a column (holding an object), else None."""
    for name in names:
        head, dot, rest = name.partition(".")
        if not dot or not rest:
            continue
        key = head if head in present else loose.get(_normal(head))
        if key is not None:
            return _Nested(key, tuple(rest.split(".")), name)
    return None


# --- leads ----------------------------------------------------------------------------------


_LeadPlan = tuple[
    tuple[tuple[str, Any, _Converter, bool], ...],
    tuple[str, ...],
]
"""Per set of columns: (field, column, converter, required) for the fields present, and the
required fields with no column."""


_Problem = tuple[str, ErrorCode, str, str | None]
"""A bad field: its name, the error code, the message after the name, the value shown."""


class LeadCoercer:
    """Turns raw lead records into dicts of typed contract fields, or error rows.

    A field is read from the column named like the field, else from its ``source`` column
    (Salesforce ``LeadSource``; a dotted ``Owner.Alias`` reads a nested object), else from the
    further ``sources`` a preset gives (:mod:`leadcontract.presets`): exact names first, then
    case-insensitively with spaces and underscores ignored ("Lead Source", "lead_source").
    Other columns are ignored. Values are stripped, empty text is no value, ``value_map``
    applies (keys case-insensitive; a null target is no value), then the field's type and
    allowed values (matched case-insensitively, returned as the contract spells them).
    Datetimes come out aware, in UTC; naive ones are read in ``default_tz``.
    """

    def __init__(
        self,
        lead: Lead,
        *,
        default_tz: tzinfo,
        sources: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._names = tuple(lead.fields)
        self._template: dict[str, Any] = dict.fromkeys(self._names)
        self._fields = [
            (name, _field_converter(spec, default_tz), spec.required)
            for name, spec in lead.fields.items()
        ]
        self._lenient = frozenset(
            name for name, spec in lead.fields.items() if spec.on_invalid == "empty"
        )
        self._candidates: dict[str, tuple[str, ...]] = {}
        for name, spec in lead.fields.items():
            names = [name]
            if spec.source is not None and spec.source != name:
                names.append(spec.source)
            names += [n for n in (sources or {}).get(name, ()) if n not in names]
            self._candidates[name] = tuple(names)
        self._columns = _Columns(list(self._candidates.values()), self._plan)
        self._id = lead.keys.id if lead.keys.id in lead.fields else None

    def _plan(self, columns: tuple[Any, ...]) -> _LeadPlan:
        present = tuple(
            (name, column, convert, required)
            for (name, convert, required), column in zip(self._fields, columns, strict=True)
            if column is not None
        )
        absent_required = tuple(
            name
            for (name, _, required), column in zip(self._fields, columns, strict=True)
            if column is None and required
        )
        return present, absent_required

    @property
    def fields(self) -> tuple[str, ...]:
        """The contract's field names, in order: the keys of every coerced record."""
        return self._names

    def columns(self, keys: tuple[Any, ...]) -> dict[str, str]:
        """Which input column each contract field is read from, for records with ``keys``."""
        found = self._columns.columns(keys)
        return {
            name: _column_name(column)
            for name, column in zip(self._names, found, strict=True)
            if column is not None
        }

    def unread(
        self, keys: tuple[Any, ...], ignored: frozenset[str] = frozenset()
    ) -> tuple[str, ...]:
        """The columns among ``keys`` that no contract field reads (and not ``ignored``).

        Unnamed columns (blank headers: the empty columns Excel leaves at the end of a sheet)
        are not among them: no field can read them, and a nameless drift finding would fail
        a ``--strict-data`` run with nothing to act on.
        """
        used = {
            column.head if column.__class__ is _Nested else column
            for column in self._columns.columns(keys)
            if column is not None
        }
        return tuple(
            key
            for key in keys
            if isinstance(key, str) and key.strip() and key not in used and key not in ignored
        )

    def fill(
        self, record: dict[str, Any], events: Sequence[Event]
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        """The record with the empty fields that events supply (``Event.fields``, e.g. the
        campaign of a CampaignMember row) filled in, the earliest event first; and a warning
        per supplied value that cannot be read."""
        converters = {name: convert for name, convert, _ in self._fields}
        filled = dict(record)
        warnings: list[str] = []
        for event in sorted(events, key=lambda e: (e.at, e.seq)):
            for name, value in event.fields.items():
                convert = converters.get(name)
                if convert is None or filled.get(name) is not None:
                    continue
                try:
                    filled[name] = convert(value)
                except _InvalidValueError as exc:
                    warnings.append(f"{name} (from a {event.type} event): {exc.detail}")
        return filled, tuple(warnings)

    def coerce(self, raw: RawRecord) -> tuple[dict[str, Any] | None, list[RecordError]]:
        """The typed record and no errors, or ``None`` and one error row per bad field.

        A bad value in a field with ``on_invalid: empty`` leaves the field empty and comes back
        as an error row *beside* the record: a warning, not a reason to drop the lead.
        """
        data = raw.data
        present, absent_required = self._columns.plan(data)
        out = self._template.copy()
        problems: list[_Problem] | None = None
        warnings: list[_Problem] | None = None
        for name, column, convert, required in present:
            value = data[column] if column.__class__ is not _Nested else column.get(data)
            try:
                result = convert(value)
            except Exception as exc:
                if isinstance(exc, _InvalidValueError):
                    code, detail = exc.code, exc.detail
                else:  # a value no rule foresaw: still an error row
                    code = "wrong-type"
                    detail = f"cannot read {_describe(value)} ({type(exc).__name__})"
                detail = _in_column(name, column) + detail
                shown = _show(value.strip() if isinstance(value, str) else value)
                if name in self._lenient and not required:
                    warnings = warnings or []
                    warnings.append(
                        (name, code, detail + "; left empty (on_invalid: empty)", shown)
                    )
                else:
                    problems = problems or []
                    problems.append((name, code, detail, shown))
                continue
            if result is not None:
                out[name] = result
            elif required:
                problems = problems or []
                problems.append(
                    (
                        name,
                        "missing-required",
                        _in_column(name, column) + _why_missing(value),
                        None,
                    )
                )
        if absent_required:
            problems = problems or []
            for name in absent_required:
                looked = " or ".join(json.dumps(n) for n in self._candidates[name])
                problems.append(
                    (
                        name,
                        "missing-required",
                        f": required, but there is no column {looked}",
                        None,
                    )
                )
        if problems is None:
            return out, self._errors(raw, out, warnings) if warnings else []
        return None, self._errors(raw, out, problems + (warnings or []))

    def _errors(
        self, raw: RawRecord, out: dict[str, Any], problems: list[_Problem]
    ) -> list[RecordError]:
        found = out[self._id] if self._id is not None else None
        lead_id = _printable(str(found)) if found is not None else None
        order = {name: index for index, name in enumerate(self._names)}
        problems.sort(key=lambda problem: order[problem[0]])
        return [
            RecordError(
                "lead",
                raw.source,
                raw.record,
                raw.line,
                lead_id,
                name,
                code,
                f"{name}{detail}",
                observed=observed,
            )
            for name, code, detail, observed in problems
        ]


def _in_column(name: str, column: Any) -> str:
    """': ' after a field's name, or ' (column "Lead Source"): ' when read from another column."""
    text = _column_name(column)
    return ": " if text == name else f" (column {_show(text)}): "


def _why_missing(value: Any) -> str:
    if value is None:
        return "required, but the value is null"
    if isinstance(value, str) and not value.strip():
        return "required, but empty"
    return f"required, but {_show(value)} means no value (value_map)"


# --- events ---------------------------------------------------------------------------------


def _event_text(lower: bool) -> _Converter:
    def convert(value: Any) -> str | None:
        if value.__class__ is str:  # the usual case, first
            text = value.strip()
            return (text.lower() if lower else text) or None
        if value is None or _is_missing(value):
            return None
        text = _to_text(value).strip()
        if not text:
            return None
        return text.lower() if lower else text

    return convert


def _optional(convert: _Converter) -> _Converter:
    def wrapped(value: Any) -> Any:
        if value.__class__ is str:
            value = value.strip()
            if not value:
                return None
        elif _is_missing(value):
            return None
        return convert(value)

    return wrapped


_REQUIRED_EVENT: Final = frozenset({"lead_id", "type", "at"})


_EventPlan = tuple[tuple[Any, ...], frozenset[Any], EventRow]
"""Per set of columns: the column of each attribute (or None), the set of them (the rest goes
to ``data``), and the compiled coercion of the usual row (:mod:`._event_rows`)."""


class EventCoercer:
    """Turns raw activity events into :class:`Event` values, or error rows.

    ``columns`` maps event attributes (``lead_id``, ``type``, ``at``, ``actor``, ``channel``,
    ``reason``, ``note``, ``amount``, ``product``, ``seats``) to the input column that holds
    them, for exports with other headers; unmapped attributes are read from the column of their
    own name. Matching is exact first, then case-insensitive with spaces and underscores
    ignored. Every other column goes into :attr:`Event.data`, as read.
    """

    def __init__(
        self,
        *,
        default_tz: tzinfo,
        columns: Mapping[str, str] | None = None,
        mappings: Sequence[EventMapping] = (),
    ) -> None:
        columns = dict(columns or {})
        unknown = sorted(set(columns) - set(EVENT_ATTRIBUTES))
        if unknown:
            raise ValueError(
                f"unknown event attribute(s) in the column mapping: {', '.join(unknown)}; "
                f"known: {', '.join(EVENT_ATTRIBUTES)}"
            )
        self._columns_given = columns
        self._mapper = EventMapper(mappings, default_tz=default_tz) if mappings else None
        self._columns = _Columns(
            [(columns.get(name, name),) for name in EVENT_ATTRIBUTES], self._plan
        )
        text = _event_text(lower=False)
        lower = _event_text(lower=True)
        self._time = _datetime_converter(default_tz, "bad-time")
        self._lowered: dict[str, str] = {}
        self._converters: tuple[_Converter, ...] = (
            text,  # lead_id
            lower,  # type
            _optional(self._time),  # at
            text,  # actor
            lower,  # channel
            text,  # reason
            text,  # note
            _optional(_to_decimal),  # amount
            text,  # product
            _optional(_to_integer),  # seats
        )
        self._seq = 0

    def _plan(self, columns: tuple[Any, ...]) -> _EventPlan:
        used = frozenset(column for column in columns if column is not None)
        return (
            columns,
            used,
            compile_event_row(columns, used, self._converters, self._time, self._lowered),
        )

    def coerce(self, raw: RawRecord) -> tuple[Event | None, list[RecordError]]:
        """The event and no errors, or ``None`` and one error row per bad attribute.

        With event mappings, a row that no mapping matches gives ``None`` and no errors: an
        unmapped row, which the caller counts.
        """
        if self._mapper is not None:
            mapped = self._mapper.map(raw)
            if mapped is None:
                return None, []
            if isinstance(mapped, RecordError):
                return None, [mapped]
            event, errors = self._coerce(RawRecord(raw.source, raw.record, raw.line, mapped.data))
            if event is not None and mapped.fields:
                event = dataclasses.replace(event, fields=mapped.fields)
            return event, [_in_mapping(error, mapped) for error in errors]
        return self._coerce(raw)

    def _coerce(self, raw: RawRecord) -> tuple[Event | None, list[RecordError]]:
        self._seq += 1
        data = raw.data
        columns, used, fast = self._columns.plan(data)
        # Fast path: every attribute converts and the required ones are there. Anything else
        # goes the careful way below, which names every problem.
        event = fast(data, self._seq)
        if event is not None:
            return event, []
        return self._coerce_carefully(raw, columns, used)

    def _coerce_carefully(
        self, raw: RawRecord, columns: tuple[Any, ...], used: frozenset[Any]
    ) -> tuple[Event | None, list[RecordError]]:
        data = raw.data
        values = []
        problems: list[tuple[str, ErrorCode, str]] | None = None
        for name, column, convert in zip(EVENT_ATTRIBUTES, columns, self._converters, strict=True):
            value = None if column is None else data[column]
            try:
                result = convert(value)
            except _InvalidValueError as exc:
                problems = problems or []
                problems.append((name, exc.code, self._label(name, column) + exc.detail))
                result = None
            except Exception as exc:  # a value no rule foresaw: still an error row
                problems = problems or []
                code: ErrorCode = "bad-time" if name == "at" else "wrong-type"
                problems.append(
                    (
                        name,
                        code,
                        self._label(name, column)
                        + f"cannot read {_describe(value)} ({type(exc).__name__})",
                    )
                )
                result = None
            else:
                if result is None and name in _REQUIRED_EVENT:
                    problems = problems or []
                    looked = json.dumps(self._columns_given.get(name, name))
                    reason = f"no column {looked}" if column is None else "the value is empty"
                    problems.append(
                        (name, "missing-key", f"{self._label(name, column)}required, but {reason}")
                    )
            values.append(result)
        if problems is not None:
            lead_id = values[0]
            return None, [
                RecordError(
                    "event",
                    raw.source,
                    raw.record,
                    raw.line,
                    _printable(lead_id) if lead_id is not None else None,
                    name,
                    code,
                    message,
                )
                for name, code, message in problems
            ]
        rest = {key: value for key, value in data.items() if key not in used}
        lead_id, kind, at, actor, channel, reason, note, amount, product, seats = values
        return (
            Event(
                lead_id,
                kind,
                at,
                self._seq,
                actor,
                channel,
                reason,
                note,
                amount,
                product,
                seats,
                rest,
            ),
            [],
        )

    @staticmethod
    def _label(name: str, column: Any) -> str:
        if column is None or column == name:
            return f"{name}: "
        return f"{name} (column {_show(column)}): "


def _in_mapping(error: RecordError, mapped: MappedRow) -> RecordError:
    """An error row about an attribute a mapping read from a column, naming that column and
    the mapping (as the mapping's own time errors do): ``at`` alone names no column of the
    export (a Salesforce Task's time is its CreatedDate)."""
    column = mapped.columns.get(error.field or "")
    prefix = f"{error.field}: "
    if column is None or not error.message.startswith(prefix):
        return error
    where = f"{error.field} (column {_show(column)}, mapping {mapped.mapping}): "
    return dataclasses.replace(error, message=where + error.message[len(prefix) :])
