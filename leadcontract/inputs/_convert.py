"""Value conversions: input values to the contract's field types, one closure per field."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadcontract.calendar import SUPPORTED_END, SUPPORTED_START
from leadcontract.fields import FieldType
from leadcontract.inputs._messages import _show
from leadcontract.inputs._types import ErrorCode
from leadcontract.model import EPOCH_FORMATS, MAX_AMOUNT, LeadField


class _InvalidValueError(Exception):
    """A value that cannot be converted; ``detail`` is the message after 'field: '."""

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.code: ErrorCode = code
        self.detail = detail


_Converter = Callable[[Any], Any]

_INTEGER = re.compile(r"[+-]?[0-9]+(?:\.0*)?", re.ASCII)
_BOOLEANS: Final = {
    "true": True,
    "t": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "f": False,
    "no": False,
    "n": False,
    "0": False,
}

_EXPECT_INTEGER = "expected an integer"
_EXPECT_NUMBER = "expected a number"
_EXPECT_BOOLEAN = "expected true or false (yes/no, y/n, 1/0, t/f)"
_EXPECT_DATE = "expected a date such as 2026-10-05"
_EXPECT_DATETIME = "expected a date and time such as 2026-10-05T14:03:00Z"
_EXPECT_TEXT = "expected text"
_OUTSIDE = (
    f"outside the supported dates {SUPPORTED_START:%Y-%m-%d} to {SUPPORTED_END:%Y-%m-%d} "
    "(UTC; see docs/format.md, business time)"
)


_LOCALE_DAYS: Final = ("%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%m/%d/%y", "%d/%m/%y", "%d.%m.%y")
_LOCALE_TIMES: Final = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
_LOCALE_SHAPE: Final = re.compile(
    r"\d{1,2}[./]\d{1,2}[./]\d{2,4}( \d{1,2}:\d{2}(:\d{2})?( ?[AaPp][Mm])?)?"
)


def _locale_format(value: str) -> str | None:
    """A ``strptime`` pattern that reads a date as a spreadsheet or a CRM report writes it in
    the user's locale (``10/5/2026 3:56 PM``, ``05.10.2026 15:56``), for the hint of an
    error row; ``None`` for other text. Month first wins when both orders read it."""
    text = value.strip()
    if not _LOCALE_SHAPE.fullmatch(text):
        return None
    for day in _LOCALE_DAYS:
        for clock in _LOCALE_TIMES:
            try:
                datetime.strptime(text, day + clock)
            except ValueError:
                continue
            return day + clock
    return None


def _epoch_hint(text: str) -> str:
    """The hint for a time written as a count since 1970 (HubSpot's legacy API, engagement
    timestamps): 13 digits are milliseconds, 10 seconds."""
    digits = text.strip()
    if not digits.isdigit():
        return ""
    unit = {13: "epoch_ms", 10: "epoch_s"}.get(len(digits))
    return "" if unit is None else f" (a time since 1970: give it `format: {unit}`)"


def _wrong(expected: str, value: Any, code: ErrorCode = "wrong-type") -> _InvalidValueError:
    hint = ""
    if isinstance(value, str) and expected in (_EXPECT_INTEGER, _EXPECT_NUMBER) and "," in value:
        hint = " (write digits without thousands separators, with '.' for decimals)"
    elif isinstance(value, str) and expected in (_EXPECT_DATE, _EXPECT_DATETIME):
        pattern = _locale_format(value)
        if pattern is not None:
            hint = f' (a date in a locale format: give it `format: "{pattern}"`)'
        else:
            hint = _epoch_hint(value)
    elif (
        isinstance(value, int)
        and not isinstance(value, bool)
        and expected
        in (
            _EXPECT_DATE,
            _EXPECT_DATETIME,
        )
    ):
        hint = _epoch_hint(str(value))
    return _InvalidValueError(code, f"{expected}, got {_show(value)}{hint}")


def _to_text(value: Any) -> str:
    """A non-empty, stripped text of a value that is not ``None``; numbers become their text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise _wrong(_EXPECT_TEXT, value)
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:
            raise _wrong(_EXPECT_TEXT, value) from None
    if (isinstance(value, float) and math.isfinite(value)) or (
        isinstance(value, Decimal) and value.is_finite()
    ):
        return str(value)
    raise _wrong(_EXPECT_TEXT, value)


def _to_integer(value: Any) -> int:
    if isinstance(value, str):
        if _INTEGER.fullmatch(value):
            try:
                return int(value.partition(".")[0])
            except ValueError:  # more digits than int() may read
                pass
        raise _wrong(_EXPECT_INTEGER, value)
    if isinstance(value, bool):
        raise _wrong(_EXPECT_INTEGER, value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    raise _wrong(_EXPECT_INTEGER, value)


def _to_number(value: Any) -> float:
    if isinstance(value, str):
        # float() reads what a number column holds; refuse what it reads besides (digit group
        # underscores, non-ASCII digits, nan and infinity).
        if value.isascii() and "_" not in value:
            try:
                number = float(value)
            except ValueError:
                pass
            else:
                if math.isfinite(number):
                    return number
        raise _wrong(_EXPECT_NUMBER, value)
    if isinstance(value, bool):
        raise _wrong(_EXPECT_NUMBER, value)
    if isinstance(value, int | float) or (isinstance(value, Decimal) and value.is_finite()):
        try:
            number = float(value)
        except OverflowError:
            raise _wrong(_EXPECT_NUMBER, value) from None
        if math.isfinite(number):
            return number
    raise _wrong(_EXPECT_NUMBER, value)


def _to_boolean(value: Any) -> bool:
    if isinstance(value, str):
        answer = _BOOLEANS.get(value.lower())
        if answer is not None:
            return answer
    elif isinstance(value, bool):
        return value
    elif isinstance(value, int) and value in (0, 1):
        return value == 1
    raise _wrong(_EXPECT_BOOLEAN, value)


def _to_date(value: Any) -> date:
    if isinstance(value, str):
        if len(value) == 10 and value[4] == "-" and value[7] == "-":  # not 20261005, 2026-W41-1
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
    elif isinstance(value, datetime):
        if value.tzinfo is None and value.time() == time():  # a DataFrame's parsed date
            return value.date()
    elif isinstance(value, date):
        return value
    raise _wrong(_EXPECT_DATE, value)


def _is_missing(value: Any) -> bool:
    """Whether a value that is not text means "no value": None, and the NaN, NaT and NA that
    DataFrames put in empty cells (each is unequal to itself, or is pandas' NA)."""
    if value is None:
        return True
    try:
        return bool(value != value)  # noqa: PLR0124 - NaN and NaT are unequal to themselves
    except TypeError:  # pandas.NA refuses to be a truth value: it is the missing value itself
        return True
    except ValueError:  # an array: a value, if a wrong one
        return False


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EXPECT_EPOCH = {
    "epoch_ms": "expected milliseconds since 1970-01-01 UTC, such as 1517443200000",
    "epoch_s": "expected seconds since 1970-01-01 UTC, such as 1517443200",
}


def _epoch_converter(fmt: str, code: ErrorCode) -> Callable[[Any], datetime]:
    """Numbers (or their text) of milliseconds or seconds since 1970, as UTC datetimes."""
    scale = 1000 if fmt == "epoch_ms" else 1
    expected = _EXPECT_EPOCH[fmt]

    def convert(value: Any) -> datetime:
        if isinstance(value, datetime):
            return value.astimezone(UTC) if value.utcoffset() is not None else value
        try:
            number = _to_decimal(value)
        except _InvalidValueError:
            raise _wrong(expected, value, code) from None
        try:
            return _EPOCH + timedelta(milliseconds=float(number * 1000 / scale))
        except (OverflowError, ValueError):
            raise _InvalidValueError(code, f"{_show(value)} is out of the range of dates") from None

    return convert


def _pattern_converter(pattern: str, code: ErrorCode) -> Callable[[Any], datetime]:
    """Text in a ``strptime`` pattern (naive unless the pattern has ``%z``)."""
    parse = datetime.strptime

    def convert(value: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime.combine(value, time())
        if isinstance(value, str):
            try:
                return parse(value, pattern)
            except ValueError:
                pass
        raise _wrong(f"expected a date in the format {pattern!r}", value, code)

    return convert


def _loose_value(text: str) -> str:
    """A picklist value without case, spaces and punctuation: a CRM's label ("Marketing
    Qualified Lead", HubSpot's UI export) next to its internal name (marketingqualifiedlead)."""
    return "".join(c for c in text.casefold() if c.isalnum())


def _utc_named(value: str, code: ErrorCode) -> datetime:
    """A date-time that names its zone UTC (or GMT) after a space, as BigQuery's and many
    databases' CSV exports write it (``2026-10-05 15:56:12 UTC``): the same as ``Z``."""
    text = value.rstrip()
    if text[-4:].upper() in (" UTC", " GMT"):
        try:
            moment = datetime.fromisoformat(text[:-4])
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:  # "+02:00 UTC" says two things: not read
                return moment.replace(tzinfo=UTC)
    raise _wrong(_EXPECT_DATETIME, value, code)


def _datetime_converter(
    default_tz: tzinfo, code: ErrorCode, fmt: str | None = None
) -> Callable[[Any], datetime]:
    """Read ISO 8601 date-times (and datetime objects) as aware datetimes in UTC.

    The text must have a calendar date and at least hours and minutes, ``T`` (or a space)
    between them, and may have seconds, a fraction and an offset (``Z``, ``+02:00``,
    ``+0200``, `` UTC``). A naive value is taken to be in ``default_tz``. A calendar date alone
    (``2018-02-01``, or a :class:`datetime.date`) is the start of that day in ``default_tz``.
    ``fmt`` reads another spelling instead: ``epoch_ms``, ``epoch_s`` or a ``strptime`` pattern.
    """
    from_text = datetime.fromisoformat
    combine = datetime.combine
    special: Callable[[Any], datetime] | None = None
    if fmt in EPOCH_FORMATS:
        special = _epoch_converter(fmt, code)
    elif fmt is not None:
        special = _pattern_converter(fmt, code)

    def convert(value: Any) -> datetime:
        if special is not None:
            moment = special(value)
        elif isinstance(value, str):
            if len(value) == 10 and value[4] == value[7] == "-":
                try:
                    moment = combine(date.fromisoformat(value), time())
                except ValueError:
                    raise _wrong(_EXPECT_DATETIME, value, code) from None
            # fromisoformat() also reads 20261005T1403 and week dates: not here.
            elif (
                len(value) >= 16
                and value[4] == value[7] == "-"
                and value[13] == ":"
                and value[10] in "Tt "
            ):
                try:
                    moment = from_text(value)
                except ValueError:
                    try:
                        moment = from_text(value.upper())  # 't' and 'z' (RFC 3339)
                    except ValueError:
                        moment = _utc_named(value, code)
            else:
                raise _wrong(_EXPECT_DATETIME, value, code)
        elif isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = combine(value, time())
        else:
            raise _wrong(_EXPECT_DATETIME, value, code)
        try:
            if moment.tzinfo is UTC and moment.__class__ is datetime:
                instant = moment  # what astimezone(UTC) returns for it (the usual "...Z")
            elif moment.utcoffset() is not None:
                instant = moment.astimezone(UTC)
            else:
                if moment.tzinfo is not None:  # a tzinfo that knows no offset: naive after all
                    moment = moment.replace(tzinfo=None)
                offset = default_tz.utcoffset(moment)  # as replace(tzinfo=default_tz), faster
                if offset is None:
                    raise ValueError("the default time zone has no offset")
                utc = moment - offset
                instant = combine(utc.date(), utc.time(), UTC)
        except (OverflowError, ValueError):
            raise _InvalidValueError(code, f"{_show(value)} is {_OUTSIDE}") from None
        if not SUPPORTED_START <= instant <= SUPPORTED_END:
            raise _InvalidValueError(code, f"{_show(value)} is {_OUTSIDE}")
        return instant

    return convert


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, str):
        if value.isascii() and "_" not in value:
            try:
                amount = Decimal(value)
            except InvalidOperation:
                pass
            else:
                if amount.is_finite():
                    return _within_amount_range(amount, value)
        raise _wrong(_EXPECT_NUMBER, value)
    if isinstance(value, bool):
        raise _wrong(_EXPECT_NUMBER, value)
    if isinstance(value, int):
        return _within_amount_range(Decimal(value), value)
    if isinstance(value, float) and math.isfinite(value):
        return _within_amount_range(Decimal(str(value)), value)
    if isinstance(value, Decimal) and value.is_finite():
        return _within_amount_range(value, value)
    raise _wrong(_EXPECT_NUMBER, value)


def _within_amount_range(amount: Decimal, value: Any) -> Decimal:
    """Amounts beyond :data:`MAX_AMOUNT` are error rows, not a crash when they are rounded."""
    if abs(amount) > MAX_AMOUNT:
        raise _wrong(f"expected an amount of at most {MAX_AMOUNT:,f} in size", value)
    return amount


def _date_converter(fmt: str | None, default_tz: tzinfo) -> _Converter:
    """Dates: ISO ``2026-10-05``, or ``fmt``; an instant (epoch, datetime) is dated in its
    zone, a naive one in ``default_tz``."""
    if fmt is None:
        return _to_date
    moment = _datetime_converter(default_tz, "wrong-type", fmt)

    def convert(value: Any) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if fmt not in EPOCH_FORMATS:
            return _pattern_converter(fmt, "wrong-type")(value).date()
        return moment(value).astimezone(default_tz).date()

    return convert


def _typed_converter(kind: FieldType, default_tz: tzinfo, fmt: str | None = None) -> _Converter:
    if kind is FieldType.STRING:
        return _to_text
    if kind is FieldType.INTEGER:
        return _to_integer
    if kind is FieldType.NUMBER:
        return _to_number
    if kind is FieldType.BOOLEAN:
        return _to_boolean
    if kind is FieldType.DATE:
        return _date_converter(fmt, default_tz)
    return _datetime_converter(default_tz, "wrong-type", fmt)


def _fold(text: str) -> str:
    return text.strip().casefold()


def _map_key(value: Any) -> str | None:
    """The key under which a read value is looked up in a ``value_map``."""
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:
            return None
    return None


_LIST_MAX: Final = 8


def _allowed_list(values: list[str]) -> str:
    shown = ", ".join(values[:_LIST_MAX])
    if len(values) > _LIST_MAX:
        shown += f" and {len(values) - _LIST_MAX} more"
    return shown


_MEMO_MAX: Final = 1024
_MISS: Final = object()


def _field_converter(spec: LeadField, default_tz: tzinfo) -> _Converter:  # noqa: PLR0915
    """One closure per field: strip, empty → None, value_map, type, allowed values.

    An empty value (empty text, None, NaN/NaT from a DataFrame) is no value, unless the
    ``value_map`` has an entry for ``""``, which then applies to it. Fields with few distinct
    values (allowed values, a value_map, booleans) remember what each text they have seen
    converts to, so a picklist column costs one dictionary look-up.
    """
    if spec.timezone is not None:
        default_tz = _zone(spec.timezone)
    typed = _typed_converter(spec.type, default_tz, spec.format)
    value_map: dict[str, Any] = {}
    for key, mapped in spec.value_map.items():
        target = mapped.strip() if isinstance(mapped, str) else None
        value_map.setdefault(_fold(key), target or None)
    empty: Any = value_map.get("")
    if "" in value_map:
        convert_empty = _field_converter(spec.model_copy(update={"value_map": {}}), default_tz)
        empty = convert_empty(empty) if empty is not None else None
    allowed: dict[str, str] | None = None
    allowed_text = ""
    loosely: dict[str, str] = {}
    if spec.values is not None:
        allowed = {}
        for choice in spec.values:
            allowed.setdefault(choice.casefold(), choice)
            loosely.setdefault(_loose_value(choice), choice)
        allowed_text = _allowed_list(spec.values)

    if not value_map and allowed is None:
        if typed is _to_text:

            def plain_text(value: Any) -> Any:
                if value.__class__ is str:
                    return value.strip() or None
                if _is_missing(value):
                    return None
                return _to_text(value)

            return plain_text
        if typed is _to_integer:

            def plain_integer(value: Any) -> Any:
                if value.__class__ is str:
                    value = value.strip()
                    if value.isdigit() and value.isascii():
                        return int(value)
                    if not value:
                        return None
                elif _is_missing(value):
                    return None
                return _to_integer(value)

            return plain_integer

    def convert(value: Any) -> Any:
        if value.__class__ is str:
            value = value.strip()
            if not value:
                return empty
        elif _is_missing(value):
            return empty
        if value_map:
            key = _map_key(value)
            if key is not None and key in value_map:
                value = value_map[key]
                if value is None:
                    return None
        result = typed(value)
        if allowed is not None:
            canonical = allowed.get(result.casefold())
            if canonical is None:
                near = loosely.get(_loose_value(result))
                hint = (
                    ""
                    if near is None
                    else f" (the label of {_show(near)}? map it: `value_map: "
                    f"{{{_show(result)}: {_show(near)}}}`)"
                )
                raise _InvalidValueError(
                    "not-allowed",
                    f"{_show(result)} is not allowed; allowed: {allowed_text}{hint}",
                )
            return canonical
        return result

    if not value_map and allowed is None and typed is not _to_boolean:
        return convert

    memo: dict[str, Any] = {}

    def remembered(value: Any) -> Any:
        if value.__class__ is str:
            result = memo.get(value, _MISS)
            if result is _MISS:
                result = convert(value)  # raises for a bad value, which is not remembered
                if len(memo) < _MEMO_MAX:
                    memo[value] = result
            return result
        return convert(value)

    return remembered


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # lint reports it; read the field in UTC
        return UTC
