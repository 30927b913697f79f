"""The event coercion's fast path gives exactly what the careful path gives.

``EventCoercer`` compiles, per set of columns, one function for the usual row
(``_event_rows.compile_event_row``) and builds events without the frozen dataclass's
``__init__`` (``new_event``). Whatever the fast path accepts must come out equal, field by
field and type by type, to what the careful path (the one that names every problem) makes of
the same row; what it refuses goes the careful way, so error rows cannot change.
"""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from leadcontract.inputs import Event, EventCoercer, RawRecord
from leadcontract.inputs._types import new_event, new_raw_record


def test_new_event_sets_every_field_as_event_does() -> None:
    names = [field.name for field in dataclasses.fields(Event)]
    assert list(inspect.signature(new_event).parameters) == ["lead_id", "kind", *names[2:]]
    at = datetime(2026, 10, 1, tzinfo=UTC)
    values: list[Any] = ["L1", "touch", at, 7, "ava", "email", "r", "n", Decimal("1.5"), "p", 3]
    values += [{"x": 1}, {"campaign": "c"}]
    made, built = new_event(*values), Event(*values)
    assert made == built
    assert [getattr(made, name) for name in names] == values
    assert hash(made) == hash(built)
    assert new_raw_record("s", 1, 2, {"a": 1}) == RawRecord("s", 1, 2, {"a": 1})


_TEXT = st.sampled_from(["L1", " L2 ", "", "  ", "Touch", " EMAIL ", "x\u00e9", "\t"])
_TIME = st.sampled_from(
    [
        "2026-10-01T17:12:44Z",
        " 2026-10-01T17:12:44Z ",
        "2026-10-01 17:12:44",
        "2026-10-01t17:12:44z",
        "2026-10-01T17:12:44.123+02:00",
        "2026-10-01",
        "2026/10/01T17:12:44Z",
        "2026-13-01T17:12:44Z",
        "1800-01-01T00:00:00Z",
        "",
    ]
)
_ANY = st.one_of(_TEXT, st.none(), st.integers(-3, 3), st.booleans(), st.floats(0, 2))


@st.composite
def _rows(draw: st.DrawFn) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, values in (
        ("lead_id", st.one_of(_TEXT, _ANY)),
        ("type", st.one_of(_TEXT, _ANY)),
        ("at", st.one_of(_TIME, _ANY)),
        ("actor", _ANY),
        ("channel", _ANY),
        ("note", _ANY),
        ("amount", st.one_of(st.sampled_from(["12.50", " 3 ", "x", "1e999"]), _ANY)),
        ("seats", st.one_of(st.sampled_from(["4", "4.0", "four"]), _ANY)),
        ("extra", _ANY),
    ):
        if draw(st.booleans()) or name in ("lead_id", "type", "at"):
            row[name] = draw(values)
    return row


@settings(max_examples=600, derandomize=True)
@given(row=_rows(), zone=st.sampled_from([UTC, ZoneInfo("America/New_York")]))
def test_the_fast_path_makes_what_the_careful_path_makes(row: dict[str, Any], zone: Any) -> None:
    coercer = EventCoercer(default_tz=zone)
    columns, used, fast = coercer._columns.plan(row)
    event = fast(row, 0)
    careful, errors = coercer._coerce_carefully(RawRecord("events", 1, 1, row), columns, used)
    if event is None:  # refused only what the careful path turns into error rows
        assert careful is None
        assert errors
        return
    assert errors == []
    assert careful is not None
    fields = [field.name for field in dataclasses.fields(Event)]
    assert [(getattr(event, n), type(getattr(event, n))) for n in fields] == [
        (getattr(careful, n), type(getattr(careful, n))) for n in fields
    ]
    assert event.at.tzinfo is careful.at.tzinfo is UTC


def test_types_and_channels_are_read_once_per_text() -> None:
    coercer = EventCoercer(default_tz=UTC)
    rows = [{"lead_id": "L1", "type": t, "at": "2026-10-01T17:12:44Z"} for t in (" Touch", "TOUCH")]
    first, second = (coercer.coerce(RawRecord("e", n, n, row))[0] for n, row in enumerate(rows))
    assert first is not None
    assert second is not None
    assert first.type == second.type == "touch"
    again = coercer.coerce(RawRecord("e", 3, 3, rows[0]))[0]
    assert again is not None
    assert again.type is first.type
