"""Verdicts: where one lead stands under the agreement as of a time, with the evidence.

A verdict is a tree of frozen records. Sections that later rule families fill (SLA clocks,
spiffs) are tuples that default to empty, so adding them never reshapes the type. The records
have no ``__slots__``: orjson writes a record with a ``__dict__`` about twice as fast (every
verdict of a run is written), and a verdict is written and dropped, not held by the
thousand. They hold only their fields (nothing else is ever set on them), which
:mod:`leadcontract._json_text` relies on.
:func:`to_plain` turns any of these records into JSON-ready built-ins with a fixed key
order, which is what makes output byte-identical for identical input.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, Literal, TypeVar

from leadcontract.rules.conditions import Leaf

__all__ = [
    "ClockEvent",
    "ClockEventKind",
    "ContractRef",
    "Disqualification",
    "Fact",
    "Handoff",
    "Party",
    "Score",
    "ScoreLine",
    "SlaKindName",
    "SlaStatus",
    "SlaVerdict",
    "SpiffDecision",
    "SpiffLine",
    "StageChange",
    "StageVerdict",
    "TraceStep",
    "Verdict",
    "format_instant",
    "to_plain",
]


SlaStatus = Literal[
    "not_applicable", "pending", "at_risk", "paused", "met", "breached", "cancelled"
]
"""Where an SLA clock stands (see :mod:`leadcontract.sla`)."""
SlaKindName = Literal["response", "attempts", "idle"]
"""What an SLA measures."""
ClockEventKind = Literal[
    "activate", "pause", "resume", "warn", "fulfil", "breach", "escalate", "cancel"
]
"""What happened to an SLA clock."""
Party = Literal["sales", "marketing", "partner", "revops", "capacity-overflow"]
"""Who answers for a breach: a party to the agreement, or ``capacity-overflow`` (excused:
the lead came beyond the campaign's declared capacity)."""


_T = TypeVar("_T")


def _record(cls: type[_T]) -> type[_T]:
    """A frozen record built in one step.

    The ``__init__`` that ``dataclass(frozen=True)`` writes sets each field through
    ``object.__setattr__`` (it must get past the frozen ``__setattr__``), a call per field;
    a run builds a few hundred records per lead (every clock event, score line and trace
    fact). This one gives the instance its ``__dict__`` whole, with the same parameters,
    defaults and ``__post_init__``: about 1.7x cheaper for a six-field record. Everything
    else (``__eq__``, ``__hash__``, ``__repr__``, frozenness, ``fields``) is the dataclass's.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    parameters, defaults = [], {}
    for field in fields:
        if not field.init or field.kw_only or field.default_factory is not dataclasses.MISSING:
            return cls  # not needed by any record here; the dataclass's own __init__ stays
        if field.default is dataclasses.MISSING:
            parameters.append(field.name)
        else:
            defaults[f"_default_{field.name}"] = field.default
            parameters.append(f"{field.name}=_default_{field.name}")
    values = ", ".join(f"{field.name!r}: {field.name}" for field in fields)
    lines = [f"def __init__(self, {', '.join(parameters)}):"]
    lines.append(f"    _set(self, '__dict__', {{{values}}})")
    if hasattr(cls, "__post_init__"):
        lines.append("    self.__post_init__()")
    namespace: dict[str, Any] = {"_set": object.__setattr__, **defaults}
    exec("\n".join(lines), namespace)  # as dataclasses itself writes __init__
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


@_record
@dataclass(frozen=True)
class ContractRef:
    """Which contract decided: id, version and a digest of its content."""

    id: str
    version: str
    digest: str


@_record
@dataclass(frozen=True)
class Fact:
    """One thing the engine looked at: a field read, the value seen, what was expected."""

    field: str
    observed: Any
    expected: Any = None
    op: str = ""
    result: bool | None = None
    note: str = ""


@_record
@dataclass(frozen=True)
class TraceStep:
    """One rule evaluated for a lead: which rule, where it is written, what came of it, why."""

    rule: str
    pointer: str
    outcome: str
    facts: tuple[Fact, ...] = ()
    note: str = ""


@_record
@dataclass(frozen=True)
class ScoreLine:
    """Points one scoring rule gave."""

    rule: str
    kind: str
    points: float
    events: int = 0


@_record
@dataclass(frozen=True)
class Score:
    """The lead's score with its breakdown, as of the verdict's time."""

    total: float
    fit: float
    engagement: float
    lines: tuple[ScoreLine, ...] = ()
    caps_applied: tuple[str, ...] = ()


@_record
@dataclass(frozen=True)
class StageChange:
    """A move from one stage to another, with its cause."""

    stage: str
    at: datetime | None
    cause: str


@_record
@dataclass(frozen=True)
class StageVerdict:
    """The lifecycle stage and how the lead got there."""

    id: str
    role: str | None
    since: datetime | None
    history: tuple[StageChange, ...] = ()
    anomalies: tuple[str, ...] = ()


@_record
@dataclass(frozen=True)
class Handoff:
    """The campaign's handoff point and whether marketing and sales kept it."""

    campaign: str
    stage: str
    qualified_by: str
    to: str
    due: bool
    done: bool
    at: datetime | None = None
    by: str | None = None
    missing_fields: tuple[str, ...] = ()
    complete: bool = False
    """Handed off with every required field filled. Derived: always recomputed from ``done``
    and ``missing_fields`` (a value given is ignored); a field so that the JSON, the JSON
    Schema of the output and pydantic models all carry it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "complete", self.done and not self.missing_fields)


@_record
@dataclass(frozen=True)
class Disqualification:
    """The latest disqualification and whether it followed the agreement."""

    at: datetime
    by: str | None
    reason: str | None
    reason_allowed: bool
    note_required: bool
    note_present: bool
    recycle_to: str | None = None
    recycles: int = 0
    returns_at: datetime | None = None
    max_recycles_reached: bool = False
    valid: bool = False
    """An allowed reason, with a note where the reason needs one. Derived, like
    :attr:`Handoff.complete`."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "valid", self._valid())

    def _valid(self) -> bool:
        """An allowed reason, with a note where the reason needs one."""
        return self.reason_allowed and (self.note_present or not self.note_required)


@_record
@dataclass(frozen=True)
class ClockEvent:
    """Something that happened to an SLA clock: activate, pause, resume, warn, fulfil,
    breach, escalate or cancel."""

    kind: ClockEventKind
    at: datetime
    note: str = ""
    target: str | None = None


@_record
@dataclass(frozen=True)
class SlaVerdict:
    """One SLA's clock for one lead as of the verdict's time.

    ``status`` is one of not_applicable, pending, at_risk, paused, met, breached, cancelled.
    ``party`` names who broke the promise when it is breached; ``evidence`` says why.
    """

    sla: str
    kind: SlaKindName
    status: SlaStatus
    start: datetime | None = None
    due: datetime | None = None
    stop: datetime | None = None
    breached_at: datetime | None = None
    elapsed_minutes: int | None = None
    remaining_minutes: int | None = None
    attempts: int | None = None
    party: Party | None = None
    evidence: str = ""
    escalate_to: str | None = None
    events: tuple[ClockEvent, ...] = ()
    anomalies: tuple[str, ...] = ()
    """Data the clock could not use, e.g. an outcome event dated before the lead's creation."""


@_record
@dataclass(frozen=True)
class SpiffLine:
    """One earning (or clawback) of one spiff for one rep, from one lead."""

    spiff: str
    lead_id: str
    rep: str | None
    """The rep credited; None when no rep could be found for the role (unassigned)."""
    role: str | None
    kind: Literal["earned", "clawback"]
    amount: Decimal
    """Rounded to cents; negative for a clawback."""
    currency: str
    at: datetime
    """When the outcome was reached (or, for a clawback, when the clawback event happened)."""
    payable: bool
    """False for shadow spiffs."""
    reason: str
    """The facts that earned it (or took it back)."""
    reverses: str | None = None
    """For a clawback: the ``line_id`` of the line it takes back."""
    line_id: str = ""


@_record
@dataclass(frozen=True)
class SpiffDecision:
    """Whether one spiff pays for one lead, why not when it does not, and its lines."""

    spiff: str
    eligible: bool
    why: str
    """Why not, when not eligible; what earned it, when eligible."""
    lines: tuple[SpiffLine, ...] = ()
    leaves: tuple[Leaf, ...] = ()
    """The leaves of the spiff's ``when`` condition, when it was evaluated (for the trace)."""


@_record
@dataclass(frozen=True)
class Verdict:
    """Where one lead stands under the agreement, as of ``as_of``."""

    lead_id: str
    contract: ContractRef
    as_of: datetime
    library_version: str
    stage: StageVerdict
    score: Score
    buyer_stage: str | None = None
    campaign: str | None = None
    owner: str | None = None
    touches: int = 0
    """Contact attempts (``touch`` events) up to ``as_of``."""
    first_touch_at: datetime | None = None
    touched_by: tuple[str, ...] = ()
    """Who touched the lead (the ``actor`` of its touches), each once, first toucher first."""
    handoff: Handoff | None = None
    disqualification: Disqualification | None = None
    slas: tuple[SlaVerdict, ...] = ()
    spiffs: tuple[SpiffDecision, ...] = ()
    trace: tuple[TraceStep, ...] = ()
    warnings: tuple[str, ...] = ()
    """What in the lead's data does not match the contract but did not stop the verdict: a
    value left empty (`on_invalid: empty`), a campaign or owner the contract does not know."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready built-ins, with the derived values (handoff complete, valid) included."""
        plain = to_plain(self)
        assert isinstance(plain, dict)
        return plain

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        """The verdict that :meth:`to_dict` (or a line of ``evaluate``'s JSON Lines, parsed)
        describes: ``Verdict.from_dict(v.to_dict()).to_dict() == v.to_dict()``. Raises
        pydantic's ``ValidationError`` for data that is not a verdict."""
        verdict: Verdict = _adapter().validate_python(data)
        return verdict

    @classmethod
    def from_json(cls, text: str | bytes) -> Verdict:
        """The verdict of one JSON line as ``evaluate`` writes it."""
        verdict: Verdict = _adapter().validate_json(text)
        return verdict


@cache
def _adapter() -> Any:
    """pydantic's validator of verdicts, built once when first needed."""
    from pydantic import TypeAdapter  # noqa: PLC0415 - engine runs do not need it

    return TypeAdapter(Verdict)


def format_instant(value: datetime) -> str:
    """An instant as ISO 8601 in UTC with a ``Z``: one spelling for one instant."""
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def to_plain(value: Any) -> Any:
    """Convert verdict records (and what they hold) into JSON-ready built-ins.

    Each type's conversion is chosen once and kept (a verdict holds a few hundred values of
    a dozen types, and every verdict of a run is converted), in the order of the rules: plain
    values as they are, instants as ISO 8601 UTC, days ISO, decimals as text, enums by value,
    sequences as lists, mappings with text keys, records (dataclasses) by field (derived values
    are fields set in ``__post_init__``), anything else as its text.
    """
    kind = type(value)
    convert = _CONVERTERS.get(kind)
    if convert is None:
        convert = _CONVERTERS[kind] = _converter_for(kind)
    return convert(value)


def _same(value: Any) -> Any:
    return value


def _converter_for(kind: type) -> Callable[[Any], Any]:
    if kind is type(None) or issubclass(kind, bool | int | str | float):
        return _same
    if issubclass(kind, datetime):
        return format_instant
    if issubclass(kind, date):
        return lambda value: value.isoformat()
    if issubclass(kind, Decimal):
        return str
    if issubclass(kind, Enum):
        return lambda value: to_plain(value.value)
    if issubclass(kind, tuple | list):
        return lambda value: [to_plain(item) for item in value]
    if issubclass(kind, Mapping):
        return lambda value: {str(k): to_plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(kind))
        return lambda value: {name: to_plain(getattr(value, name)) for name in names}
    return str


_CONVERTERS: dict[type, Callable[[Any], Any]] = {}
"""The conversion of each type met so far (see :func:`to_plain`)."""
