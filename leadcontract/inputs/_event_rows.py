"""One function per set of event columns: a row of text in, an :class:`Event` out.

Almost every activity row of a run has the same columns and holds text, so the coercion of
an event is compiled once per set of columns into one function that reads each attribute from
its column and converts it inline (no call per cell for text, one for the time). It answers
only the usual case: when a value is not what it expects, a required attribute is empty, or a
converter refuses a value, it returns ``None`` and the caller's careful path (which names
every problem in an error row) decides. So it never decides anything that path would decide
otherwise: on what it accepts, it returns what the converters return.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from leadcontract.inputs._convert import _Converter
from leadcontract.inputs._types import Event, new_event

EventRow = Callable[[Mapping[str, Any], int], Event | None]
"""(row, seq) -> the event, or ``None``: take the careful path."""


def _none(data: Mapping[str, Any], seq: int) -> None:
    """Rows without a column for the lead id, type or time are error rows: the careful path."""


_LOWERED_MAX: Final = 1024


def _lower(text: str, lowered: dict[str, str]) -> str | None:
    """A type or channel as read (stripped, lower case, empty is none), remembered: there are
    few of them, and one string object per value also keeps its hash for the rules' look-ups.
    """
    found = text.strip().lower() or None
    if found is not None and len(lowered) < _LOWERED_MAX:
        lowered[text] = found
    return found


def compile_event_row(
    columns: tuple[Any, ...],
    used: frozenset[Any],
    converters: tuple[_Converter, ...],
    to_instant: _Converter,
    lowered: dict[str, str],
) -> EventRow:
    """The fast coercion of rows whose attributes are read from ``columns`` (one per
    :data:`~leadcontract.inputs.EVENT_ATTRIBUTES` entry, ``None`` when absent), with the
    converters of those attributes (which it calls for values that are not text);
    ``to_instant`` is the converter of a stripped, non-empty time text (the ``at``
    converter is that behind the strip and the empty check); ``lowered`` remembers the
    types and channels read (see :func:`_lower`)."""
    (
        c_lead, c_type, c_at, c_actor, c_channel, c_reason, c_note, c_amount, c_product, c_seats,
    ) = columns  # fmt: skip
    if c_lead is None or c_type is None or c_at is None:
        return _none
    (
        to_lead, to_type, to_at, to_actor, to_channel, to_reason, to_note, to_amount, to_product,
        to_seats,
    ) = converters  # fmt: skip
    width = len(used)

    def row(data: Mapping[str, Any], seq: int) -> Event | None:
        try:
            value = data[c_lead]
            lead_id = (value.strip() or None) if value.__class__ is str else to_lead(value)
            value = data[c_type]
            if value.__class__ is str:
                kind = lowered.get(value) or _lower(value, lowered)
            else:
                kind = to_type(value)
            value = data[c_at]
            if value.__class__ is str:
                value = value.strip()
                at = to_instant(value) if value else None
            else:
                at = to_at(value)
            if lead_id is None or kind is None or at is None:
                return None
            actor = channel = reason = note = amount = product = seats = None
            if c_actor is not None:
                value = data[c_actor]
                actor = (value.strip() or None) if value.__class__ is str else to_actor(value)
            if c_channel is not None:
                value = data[c_channel]
                if value.__class__ is str:
                    channel = lowered.get(value) or _lower(value, lowered)
                else:
                    channel = to_channel(value)
            if c_reason is not None:
                value = data[c_reason]
                reason = (value.strip() or None) if value.__class__ is str else to_reason(value)
            if c_note is not None:
                value = data[c_note]
                note = (value.strip() or None) if value.__class__ is str else to_note(value)
            if c_amount is not None:
                amount = to_amount(data[c_amount])
            if c_product is not None:
                value = data[c_product]
                product = (value.strip() or None) if value.__class__ is str else to_product(value)
            if c_seats is not None:
                seats = to_seats(data[c_seats])
        except Exception:  # reported in detail by the careful path
            return None
        rest = {k: v for k, v in data.items() if k not in used} if len(data) > width else {}
        return new_event(
            lead_id, kind, at, seq, actor, channel, reason, note, amount, product, seats, rest, {}
        )

    return row
