"""JSON Lines are written through orjson only where it spells exactly what ``json`` spells:
plain values (:func:`plain_json`) and records handed to orjson as they are
(:func:`record_json`, which must give ``json.dumps(to_plain(record))``)."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from live_support import AS_OF, EVENTS, LEADS, compiled_contract

from leadcontract import _json_text
from leadcontract import verdict as records
from leadcontract._json_text import encodable, plain_json, plain_line, record_json, record_line
from leadcontract.rules.conditions import Leaf, Op
from leadcontract.verdict import to_plain

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),  # beyond 64 bits too
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-5, -3.2e-7, 1e-4, 9.99e-5, 5e-324, 1e16, 1e22, 0.1, -0.0, 62.5]),
    st.text(),  # control characters, U+2028, lone surrogates
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def python_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@settings(max_examples=400)
@given(st.dictionaries(st.text(), values, max_size=6))
def test_the_same_text_as_json_for_any_plain_value(value: dict[str, Any]) -> None:
    assert plain_json(value) == python_json(value)
    # A line of a file: what orjson wrote is never searched for lone surrogates (it refuses
    # them); the exact way's text is, and the line always encodes.
    assert plain_line(value) == encodable(python_json(value))
    plain_line(value).encode("utf-8")


def test_the_values_orjson_spells_otherwise_are_spelt_as_json_spells_them() -> None:
    for tricky in (1e-5, 1.5e-7, math.nan, math.inf, -math.inf, 2**64, "\ud800"):
        value = {"a": [1, {"b": tricky}]}
        assert plain_json(value) == python_json(value)
    assert plain_json({"score": 1e-5}) == '{"score":1e-05}'
    assert plain_json({"x": math.nan}) == '{"x":NaN}'


# --- records handed to orjson as they are ------------------------------------------------------

zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]
)
anything = st.recursive(
    scalars
    | st.datetimes(timezones=zones)
    | st.dates()
    | st.times()
    | st.decimals(allow_nan=True)
    | st.frozensets(st.integers(), max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text() | st.integers(), inner, max_size=3)
    ),
    max_leaves=12,
)
"""What a trace's ``observed`` and ``expected`` can hold: any value a record or a contract gives."""

st.register_type_strategy(
    records.Fact,
    st.builds(records.Fact, st.text(), anything, anything, st.text(), st.none() | st.booleans()),
)
st.register_type_strategy(
    Leaf,
    st.builds(
        Leaf, st.text(), st.sampled_from(list(Op)), anything, anything, st.booleans(), st.text()
    ),
)
utc_mostly = st.one_of(st.just(UTC), st.just(UTC), st.just(UTC), zones)
st.register_type_strategy(datetime, st.datetimes(timezones=utc_mostly))
st.register_type_strategy(
    float,
    st.one_of(
        st.floats(min_value=-1e9, max_value=1e9).filter(lambda x: x == 0 or abs(x) >= 1e-4),
        st.floats(min_value=-1e9, max_value=1e9).filter(lambda x: x == 0 or abs(x) >= 1e-4),
        st.floats(),
    ),
)
"""Instants mostly in UTC and floats mostly of the kinds orjson spells as json does, so that
both ways are taken often (the exact way for any record holding one of the others)."""


def exact(record: Any) -> str:
    return python_json(to_plain(record))


@settings(max_examples=200, deadline=None)
@given(st.from_type(records.Verdict))
def test_a_verdict_is_spelt_as_json_spells_its_plain_copy(verdict: records.Verdict) -> None:
    assert record_json(verdict) == exact(verdict)
    assert record_line(verdict) == encodable(exact(verdict))
    record_line(verdict).encode("utf-8")


def test_a_lone_surrogate_is_escaped_in_a_line_and_kept_in_the_json_text() -> None:
    value = {"note": "a\ud800b × 2"}
    assert plain_json(value) == '{"note":"a\ud800b × 2"}'
    assert plain_line(value) == '{"note":"a\\ud800b × 2"}'
    assert json.loads(plain_line(value)) == value
    step = records.TraceStep("r", "/p", "ok", note="a\ud800b")
    assert json.loads(record_line(step))["note"] == "a\ud800b"


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.from_type(records.Score),
        st.from_type(records.SlaVerdict),
        st.from_type(records.SpiffDecision),
        st.from_type(records.TraceStep),
    )
)
def test_every_part_of_a_verdict_is_spelt_as_json_spells_it(record: Any) -> None:
    assert record_json(record) == exact(record)


class Colour(Enum):
    TINY = 1e-7
    PLAIN = "plain"


@dataclass(frozen=True)
class Odd:
    """Values a record's annotations do not promise: a field typed Any holding records,
    enums, tuples of floats."""

    points: float
    anything: Any
    when: datetime | None = None


def test_floats_orjson_spells_otherwise_send_the_record_the_exact_way() -> None:
    tiny = records.Score(total=1e-5, fit=0.0, engagement=math.nan)
    assert (
        record_json(tiny)
        == exact(tiny)
        == '{"total":1e-05,"fit":0.0,"engagement":NaN,"lines":[],"caps_applied":[]}'
    )
    nested = records.Score(1.0, 1.0, 0.0, lines=(records.ScoreLine("r", "fit", math.inf),))
    assert '"points":Infinity' in record_json(nested)
    for value in (
        Colour.TINY,
        Colour.PLAIN,
        (1, 2e-6),
        [Odd(1.0, math.nan)],
        {"k": Odd(2.0, None)},
        Decimal("NaN"),
        time(1, 2),
        2**70,
        "\ud800",
        {1: 2.0},
    ):
        odd = Odd(0.5, value, datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2))))
        assert record_json(odd) == exact(odd), value


class Tiny(float):
    """A float subclass: json spells it with ``float.__repr__``."""


class Stamp(datetime):
    """A datetime subclass (orjson spells it as a datetime; to_plain may not)."""


ANY_VALUES = [
    1e-5, -3.2e-7, 5e-324, math.nan, math.inf, -math.inf, -0.0, 1e308, 62.5, Tiny(1e-5),
    Tiny(2.5), True, 2**70, -(2**63), "\ud800", "plain", None, Colour.TINY, Colour.PLAIN,
    Decimal("1e-7"), Decimal("NaN"), time(1, 2), datetime(2026, 1, 1, 12),
    datetime(2026, 1, 1, 12, tzinfo=UTC), datetime(2026, 1, 1, 12, tzinfo=UTC),
    datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2))),
    Stamp(2026, 1, 1, 12, tzinfo=UTC), datetime(2026, 1, 1).date(),
    (1, 2e-6), [math.nan], {"k": 1e-9}, {"k": (Tiny(3.0),)}, Odd(1.0, 1e-5), {1: 2.0},
]  # fmt: skip
"""What a field typed ``Any`` (a trace fact's observed and expected value) may hold."""


@pytest.mark.parametrize("value", ANY_VALUES, ids=repr)
def test_a_value_of_any_type_in_a_trace_fact_is_spelt_as_json_spells_it(value: Any) -> None:
    """The generated check tests a field typed Any inline for the usual scalars; whatever it
    lets through must be spelt alike (only this field can send the record the exact way)."""
    for fact in (records.Fact("f", value), records.Fact("f", 1, value, "op", True)):
        assert record_json(fact) == exact(fact)
        step = records.TraceStep("r", "/p", "ok", (records.Fact("g", 2.5), fact))
        assert record_json(step) == exact(step)


@dataclass
class Hidden:
    shown: int
    _hidden: int = 2


@dataclass
class Extended:
    field: int

    def __post_init__(self) -> None:
        self.extra = 3  # set on the instance, not a field


def test_records_orjson_writes_otherwise_take_the_exact_way() -> None:
    """orjson leaves out fields named with a leading underscore and writes a slot-less
    record's whole ``__dict__``; ``to_plain`` writes the fields."""
    assert record_json(Hidden(1)) == exact(Hidden(1)) == '{"shown":1,"_hidden":2}'
    assert record_json(Extended(1)) == exact(Extended(1)) == '{"field":1}'
    assert record_json(Odd(1.0, Extended(2))) == exact(Odd(1.0, Extended(2)))


@pytest.mark.parametrize("trace", [False, True])
def test_the_example_verdicts_all_take_orjson(trace: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast way is the way real verdicts take: with the exact way removed, every verdict
    of the example is still written, as ``json`` writes it."""
    evaluated = list(compiled_contract().evaluate(LEADS, EVENTS, as_of=AS_OF, trace=trace))
    expected = [exact(item) for item in evaluated if isinstance(item, records.Verdict)]

    def refused(plain: Any) -> str:
        raise AssertionError(f"took the exact way: {str(plain)[:200]}")

    monkeypatch.setattr(_json_text, "_exact", refused)
    written = [record_json(item) for item in evaluated if isinstance(item, records.Verdict)]
    assert len(written) == 240
    assert written == expected


def test_this_librarys_records_hold_only_their_fields() -> None:
    """record_json trusts this library's frozen records to hold nothing but their fields (it
    does not look at their ``__dict__``): every record of the example's verdicts, with their
    traces, is checked here."""
    pending: list[Any] = [
        item
        for item in compiled_contract().evaluate(LEADS, EVENTS, as_of=AS_OF, trace=True)
        if isinstance(item, records.Verdict)
    ]
    kinds: set[type] = set()
    while pending:
        item = pending.pop()
        if isinstance(item, tuple | list):
            pending.extend(item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            kinds.add(type(item))
            names = [field.name for field in dataclasses.fields(item)]
            if hasattr(item, "__dict__"):
                assert list(vars(item)) == names, type(item)
            pending.extend(getattr(item, name) for name in names)
    assert {records.Verdict, records.SlaVerdict, records.ClockEvent, records.Score} <= kinds
