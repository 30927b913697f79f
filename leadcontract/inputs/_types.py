"""The records of the input layer: raw records, typed events, error rows and their codes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Literal

RecordKind = Literal["lead", "event"]
"""What a record is: a lead record or an activity event."""

ErrorCode = Literal[
    "missing-required",
    "wrong-type",
    "not-allowed",
    "duplicate-id",
    "malformed",
    "missing-key",
    "bad-time",
]
"""Stable reasons of an error row."""

ERROR_CODES: Final[Mapping[str, str]] = {
    "missing-required": "A field the contract requires has no value.",
    "wrong-type": "A value cannot be read as the field's type.",
    "not-allowed": "A value is not one of the field's allowed values.",
    "duplicate-id": "A second lead record with an id already seen.",
    "malformed": "The record cannot be read at all (bad JSON, too many CSV cells, not UTF-8).",
    "missing-key": "An event lacks its lead id, type or time.",
    "bad-time": "An event's time cannot be read as a date and time.",
}
"""Every error code with a one-line meaning (the reference docs are generated from it)."""


# --- the records --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordError:
    """An error row: one input record (or one field of it) that could not be used.

    ``record`` is the 1-based ordinal of the record in its source. ``line`` is the 1-based line
    where the record starts in the file (for CSV the physical line, counting the header and the
    lines of multi-line quoted cells); ``None`` for records from Python iterables.
    """

    kind: RecordKind
    source: str
    record: int
    line: int | None
    lead_id: str | None
    field: str | None
    code: ErrorCode
    message: str
    also: tuple[RecordError, ...] = ()
    """Further problems of the same record: one record is one error row, however many
    fields are wrong, so that records in = verdicts + error rows."""
    observed: str | None = None
    """The offending value as the message shows it (lead fields), for the data-drift counts;
    the message carries it too."""

    @classmethod
    def of_record(cls, errors: Sequence[RecordError]) -> RecordError:
        """One error row for a record with ``errors`` (the first leads, the rest ride along)."""
        first, *rest = errors
        return dataclasses.replace(first, also=(*first.also, *rest))

    def to_dict(self) -> dict[str, Any]:
        """Plain built-ins, for JSON writers."""
        return {
            "kind": self.kind,
            "source": self.source,
            "record": self.record,
            "line": self.line,
            "lead_id": self.lead_id,
            "field": self.field,
            "code": self.code,
            "message": self.message,
            "also": [
                {"field": other.field, "code": other.code, "message": other.message}
                for other in self.also
            ],
        }

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        lead = f" (lead {self.lead_id})" if self.lead_id is not None else ""
        text = f"{where}: {self.kind} {self.record}{lead}: {self.code}: {self.message}"
        return "; ".join([text, *(f"{o.code}: {o.message}" for o in self.also)])


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One input record as read: column (or key) names mapped to values, not yet typed."""

    source: str
    record: int
    line: int | None
    data: Mapping[str, Any]


_raw_source, _raw_record, _raw_line, _raw_data = (
    getattr(RawRecord, name).__set__ for name in RawRecord.__slots__
)


def new_raw_record(
    source: str, record: int, line: int | None, data: Mapping[str, Any]
) -> RawRecord:
    """``RawRecord(...)`` without the frozen dataclass's ``object.__setattr__`` per field
    (see :func:`new_event`): the readers make one per line."""
    raw: RawRecord = object.__new__(RawRecord)
    _raw_source(raw, source)
    _raw_record(raw, record)
    _raw_line(raw, line)
    _raw_data(raw, data)
    return raw


EVENT_ATTRIBUTES: Final = (
    "lead_id",
    "type",
    "at",
    "actor",
    "channel",
    "reason",
    "note",
    "amount",
    "product",
    "seats",
)
"""The attributes of an :class:`Event` that are read from input columns."""


@dataclass(frozen=True, slots=True)
class Event:
    """An activity event about one lead, typed.

    ``at`` is aware and in UTC. ``seq`` is the input order (across every source one
    :class:`EventCoercer` has read), for a stable sort of events at the same instant. ``data``
    holds every other column, as read.
    """

    lead_id: str
    type: str
    at: datetime
    seq: int
    actor: str | None = None
    channel: str | None = None
    reason: str | None = None
    note: str | None = None
    amount: Decimal | None = None
    product: str | None = None
    seats: int | None = None
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict, hash=False)
    fields: Mapping[str, Any] = dataclasses.field(default_factory=dict, hash=False)
    """Lead fields this event supplies (an event mapping's ``fields``, e.g. the campaign of a
    CampaignMember row), as read; they fill the fields the lead record leaves empty."""


_set = tuple(getattr(Event, name).__set__ for name in Event.__slots__)
(
    _lead_id, _type, _at, _seq, _actor, _channel, _reason, _note, _amount, _product, _seats,
    _data, _fields,
) = _set  # fmt: skip


def new_event(  # noqa: PLR0917 - one parameter per field, as Event has
    lead_id: str,
    kind: str,
    at: datetime,
    seq: int,
    actor: str | None,
    channel: str | None,
    reason: str | None,
    note: str | None,
    amount: Decimal | None,
    product: str | None,
    seats: int | None,
    data: Mapping[str, Any],
    fields: Mapping[str, Any],
) -> Event:
    """``Event(...)`` with every field given, at half the cost: the frozen dataclass's
    ``__init__`` sets each field through ``object.__setattr__``, this sets the slots directly
    (the coercion of every event of a run goes through here)."""
    event: Event = object.__new__(Event)
    _lead_id(event, lead_id)
    _type(event, kind)
    _at(event, at)
    _seq(event, seq)
    _actor(event, actor)
    _channel(event, channel)
    _reason(event, reason)
    _note(event, note)
    _amount(event, amount)
    _product(event, product)
    _seats(event, seats)
    _data(event, data)
    _fields(event, fields)
    return event
