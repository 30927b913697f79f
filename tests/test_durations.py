"""Durations: parsing, canonical text, calendar meaning and the pydantic field."""

from __future__ import annotations

import re
from datetime import timedelta

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from leadcontract.durations import (
    EXPECTED,
    JSON_SCHEMA,
    MAX_DAYS,
    PATTERN,
    Duration,
    DurationField,
)

# --- parsing and canonical text ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4h", Duration(hours=4)),
        ("1d", Duration(days=1)),
        ("2w", Duration(weeks=2)),
        ("90m", Duration(minutes=90)),
        ("1d4h", Duration(days=1, hours=4)),
        ("1w2d", Duration(weeks=1, days=2)),
        ("1w2d3h4m", Duration(weeks=1, days=2, hours=3, minutes=4)),
        ("1w 2d\t3h  4m", Duration(weeks=1, days=2, hours=3, minutes=4)),
        ("  4h ", Duration(hours=4)),
        ("0m", Duration()),
        (" 0m\t", Duration()),
        ("04h", Duration(hours=4)),
        ("0d4h", Duration(hours=4)),
        ("24h", Duration(hours=24)),
    ],
)
def test_parse(text: str, expected: Duration) -> None:
    assert Duration.parse(text) == expected
    assert re.fullmatch(PATTERN, text)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (Duration(hours=4), "4h"),
        (Duration(days=1, hours=4), "1d4h"),
        (Duration(weeks=1, days=2, hours=3, minutes=4), "1w2d3h4m"),
        (Duration(minutes=90), "90m"),
        (Duration(), "0m"),
    ],
)
def test_str_is_canonical(duration: Duration, text: str) -> None:
    assert str(duration) == text
    assert repr(duration) == f"Duration.parse({text!r})"


_counts = st.integers(min_value=0, max_value=400)


@st.composite
def durations(draw: st.DrawFn) -> Duration:
    return Duration(
        weeks=draw(st.integers(0, 300)),
        days=draw(_counts),
        hours=draw(_counts),
        minutes=draw(st.integers(0, 10_000)),
    )


@settings(max_examples=200)
@given(durations())
def test_str_round_trips(duration: Duration) -> None:
    text = str(duration)
    assert Duration.parse(text) == duration
    assert re.fullmatch(PATTERN, text)
    assert " " not in text


@st.composite
def written(draw: st.DrawFn) -> tuple[str, Duration]:
    """Valid texts as authors might write them: leading zeros, spaces between parts."""
    values = {u: draw(st.none() | st.integers(0, 99)) for u in "wdhm"}
    if all(not v for v in values.values()):
        values["h"] = draw(st.integers(1, 99))
    space = st.sampled_from(["", " ", "  ", "\t"])
    parts = [
        f"{draw(st.sampled_from(['', '0']))}{v}{u}" for u, v in values.items() if v is not None
    ]
    text = draw(space) + "".join(p + draw(space) for p in parts)
    duration = Duration(
        weeks=values["w"] or 0,
        days=values["d"] or 0,
        hours=values["h"] or 0,
        minutes=values["m"] or 0,
    )
    return text, duration


@settings(max_examples=100)
@given(written())
def test_parse_written_text(case: tuple[str, Duration]) -> None:
    text, duration = case
    parsed = Duration.parse(text)
    assert parsed == duration
    assert Duration.parse(str(parsed)) == parsed


@settings(max_examples=200)
@given(st.text(alphabet="0123456789wdhmsWDH .-", max_size=10))
def test_pattern_agrees_with_parse(text: str) -> None:
    """The JSON-schema pattern accepts exactly what parse accepts (bar the length bound)."""
    error = None
    try:
        Duration.parse(text)
    except ValueError as exc:
        error = str(exc)
    if error is None:
        assert re.fullmatch(PATTERN, text) is not None
    else:
        assert error.endswith(EXPECTED)
        if "longer than" not in error:
            assert re.fullmatch(PATTERN, text) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "it is empty"),
        ("  \t", "it is empty"),
        ("4", "has no unit"),
        ("4 ", "has no unit"),
        ("4 5h", "has no unit"),
        ("4.", "'.' is not allowed"),
        ("h", "unit 'h' has no number"),
        ("H", "unit 'H' has no number"),
        ("4x", "unknown unit 'x'"),
        ("4s", "unknown unit 's'"),
        ("4hours", "unknown unit 'hours'"),
        ("4H", "units are lower case: h"),
        ("PT4H", "unknown unit 'PT'"),
        ("4 h", "no space is allowed between 4 and its unit"),
        # units written out, as people write them: say the one letter to write instead
        ("2 days", "write 2d, not '2 days'"),
        ("1 week", "write 1w, not '1 week'"),
        ("4hours", "unknown unit 'hours' (write 4h)"),
        ("90 mins", "write 90m, not '90 mins'"),
        ("1 month", "months and years are not units"),
        ("1y", "months and years are not units"),
        ("-4h", "cannot be negative"),
        ("1.5h", "'.' is not allowed"),
        ("1d,4h", "',' is not allowed"),
        ("4h+1m", "unexpected character '+'"),
        ("4h\n", "unexpected character '\\n'"),
        ("４h", "unexpected character '４'"),
        ("4h4h", "the unit h appears more than once"),
        ("1d 2h 3d", "the unit d appears more than once"),
        ("4h1d", "units must come in the order w, d, h, m (d after h)"),
        ("30m2h", "(h after m)"),
        ("0h", "must be greater than zero"),
        ("0w0d", "must be greater than zero"),
        ("00m", "must be greater than zero"),
        (f"{MAX_DAYS + 1}d", "longer than 36525 days"),
        ("5300w", "longer than 36525 days"),
        ("9" * 5000 + "h", "longer than 36525 days"),
    ],
)
def test_parse_errors(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)) as info:
        Duration.parse(text)
    message = str(info.value)
    assert message.startswith("invalid duration ")
    assert message.endswith("; expected a duration such as 4h, 1d, 2w, 1d4h")


@pytest.mark.parametrize(
    ("value", "reason"),
    [(4, "a bare number has no unit (write e.g. 4h or 4d"), (None, "expected a string")],
)
def test_parse_non_strings(value: object, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        Duration.parse(value)  # type: ignore[arg-type]


def test_constructor_validates() -> None:
    with pytest.raises(ValueError, match="hours must not be negative"):
        Duration(hours=-1)
    with pytest.raises(TypeError, match="days must be an int"):
        Duration(days=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="weeks must be an int"):
        Duration(weeks=True)
    with pytest.raises(ValueError, match="longer than"):
        Duration(minutes=MAX_DAYS * 1440 + 1)
    assert Duration(days=MAX_DAYS).calendar_minutes == MAX_DAYS * 1440


def test_calendar_meaning() -> None:
    assert Duration.parse("1w").as_timedelta() == timedelta(days=7)
    assert Duration.parse("1d").as_timedelta() == timedelta(hours=24)
    assert Duration.parse("1w2d3h4m").as_timedelta() == timedelta(days=9, hours=3, minutes=4)
    assert Duration.parse("90m").calendar_minutes == 90
    assert Duration.parse("1d4h").calendar_minutes == 28 * 60
    assert Duration().as_timedelta() == timedelta(0)


def test_value_semantics() -> None:
    assert Duration(days=1) != Duration(hours=24)  # one business day is not 24 business hours
    assert Duration.parse("1d4h") == Duration(days=1, hours=4)
    assert len({Duration.parse("4h"), Duration(hours=4), Duration.parse("04h")}) == 1
    with pytest.raises(AttributeError):
        Duration(hours=1).hours = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        _ = Duration(hours=1) < Duration(hours=2)  # type: ignore[operator]


# --- pydantic field ------------------------------------------------------------------------


class _Sla(BaseModel):
    within: DurationField
    grace: DurationField | None = None


def test_field_accepts_strings_and_instances() -> None:
    assert _Sla(within="4h").within == Duration(hours=4)
    assert _Sla(within=Duration(days=2)).within == Duration(days=2)
    assert _Sla.model_validate({"within": " 1d 4h"}).within == Duration(days=1, hours=4)
    assert _Sla.model_validate_json('{"within": "2w"}').within == Duration(weeks=2)


def test_field_serializes_to_canonical_string() -> None:
    sla = _Sla.model_validate({"within": "1d 04h", "grace": "30m"})
    assert sla.model_dump() == {"within": "1d4h", "grace": "30m"}
    assert sla.model_dump(mode="json") == {"within": "1d4h", "grace": "30m"}
    assert sla.model_dump_json() == '{"within":"1d4h","grace":"30m"}'
    assert _Sla.model_validate_json(sla.model_dump_json()) == sla


@pytest.mark.parametrize(
    ("value", "error_type", "reason"),
    [
        ("4x", "duration_parsing", "unknown unit 'x'"),
        ("4h1d", "duration_parsing", "units must come in the order"),
        ("", "duration_parsing", "it is empty"),
        (4, "duration_type", "a bare number has no unit"),
        (None, "duration_type", "expected a string, got NoneType"),
        ([], "duration_type", "expected a string, got list"),
    ],
)
def test_field_errors(value: object, error_type: str, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        _Sla.model_validate({"within": value})
    (error,) = info.value.errors()
    assert error["type"] == error_type
    assert error["loc"] == ("within",)
    assert reason in error["msg"]
    assert error["msg"].endswith(EXPECTED)


def test_field_json_schema() -> None:
    expected = {"type": "string", "pattern": PATTERN, "examples": ["4h", "1d", "2w"]}
    assert expected == JSON_SCHEMA
    for mode in ("validation", "serialization"):
        schema = _Sla.model_json_schema(mode=mode)
        assert schema["properties"]["within"] == {**expected, "title": "Within"}
    validator = jsonschema.Draft202012Validator(_Sla.model_json_schema())
    assert validator.is_valid({"within": "1d 4h"})
    assert validator.is_valid({"within": "0m"})
    for bad in ("4x", "4h1d", "0h", "", "4", "-4h"):
        assert not validator.is_valid({"within": bad}), bad
