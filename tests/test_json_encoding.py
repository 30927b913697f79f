"""JSON Lines are written through orjson only where it spells exactly what ``json`` spells."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadcontract.writers import plain_json

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


def test_the_values_orjson_spells_otherwise_are_spelt_as_json_spells_them() -> None:
    for tricky in (1e-5, 1.5e-7, math.nan, math.inf, -math.inf, 2**64, "\ud800"):
        value = {"a": [1, {"b": tricky}]}
        assert plain_json(value) == python_json(value)
    assert plain_json({"score": 1e-5}) == '{"score":1e-05}'
    assert plain_json({"x": math.nan}) == '{"x":NaN}'
