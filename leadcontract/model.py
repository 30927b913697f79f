"""The contract format: pydantic models that are the single source of truth.

The JSON Schema in ``schemas/`` is generated from these models, the docs describe them, and the
loader validates YAML against them. Field docstrings become schema descriptions, so editors show
them while people type.

The models check *shape* (types, required keys, allowed words). Checks that need the whole
contract (references between sections, reachability of stages, capacity arithmetic, time zones
that exist) live in :mod:`leadcontract.checks`, where each has its own diagnostic code.

Conditions are kept here as written (a string, a mapping, a list or a bool); they are parsed and
type-checked by :mod:`leadcontract.rules.conditions` with the source positions of the loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from leadcontract.durations import DurationField
from leadcontract.fields import FieldType

__all__ = [
    "API_VERSION",
    "BUILTIN_EVENTS",
    "ROLE_EVENTS",
    "Attempts",
    "BuyerStage",
    "Calendar",
    "Campaign",
    "Cap",
    "Capacity",
    "Clawback",
    "Contract",
    "DateRange",
    "Disqualification",
    "EngagementRule",
    "EngagementScoring",
    "EventMapping",
    "EventType",
    "EventValue",
    "FitRule",
    "FitScoring",
    "Handoff",
    "HolidayRegion",
    "Holidays",
    "Lead",
    "LeadField",
    "LeadKeys",
    "Lifecycle",
    "Mappings",
    "Metadata",
    "NotificationKind",
    "NotificationRule",
    "Owner",
    "Qualifier",
    "Reason",
    "Recycle",
    "Rep",
    "Scoring",
    "Selector",
    "Sla",
    "SlaKind",
    "Spiff",
    "SpiffAmount",
    "Split",
    "Stage",
    "StageRole",
    "Team",
    "Tier",
    "TimeRange",
    "Trigger",
    "Waiver",
    "Weekday",
]

API_VERSION = "leadcontract/v1"

_SEMVER = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)

_IDENTIFIER_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]*$"
_REP_ID_PATTERN = r"^[^\s]+$"
_IDENTIFIER_DESCRIPTION = "A name: a letter, then letters, digits, '_' or '-'."


@dataclass(frozen=True, slots=True)
class _Describe:
    """A type's own JSON schema description, for fields that have no docstring.

    ``Field(description=...)`` in a reusable ``Annotated`` type would become the description of
    every field of that type and hide the field's docstring; this only fills in a missing one.
    """

    text: str

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.setdefault("description", self.text)
        return json_schema


Identifier = Annotated[
    str,
    Field(pattern=_IDENTIFIER_PATTERN, max_length=64),
    _Describe(_IDENTIFIER_DESCRIPTION),
]


def _id_text(value: object) -> object:
    """A CRM id written as a bare number in YAML (HubSpot owner ids) is the same id as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


RepId = Annotated[
    str,
    BeforeValidator(_id_text),
    Field(pattern=_REP_ID_PATTERN, max_length=64),
    _Describe(
        "A rep's id as the CRM writes it (opaque text without spaces, e.g. Salesforce "
        "005Hs00000ABCdE or HubSpot 51234567)."
    ),
]
SemVer = Annotated[str, Field(pattern=_SEMVER), _Describe("Semantic version, e.g. 1.4.0.")]
CurrencyCode = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$"), _Describe("ISO 4217 currency code, e.g. USD.")
]
MAX_AMOUNT: Final = Decimal("1E+15")
"""The largest amount of money a contract or an event may state (a quadrillion). Far above any
deal, and small enough that amounts times shares and unit counts, rounded to cents and summed
over millions of lines, stay exact in Decimal's 28 digits (larger ones made rounding fail)."""

Money = Annotated[
    Decimal,
    Field(ge=0, le=MAX_AMOUNT),
    _Describe("An amount of money; write it as a string ('49.50') to be exact."),
]
ConditionSource = Annotated[
    Any,
    WithJsonSchema(
        {
            "description": (
                'A condition: an expression string (`score >= 60 and country in ["US"]`), '
                "a structured mapping (`all:` / `any:` / `not:` over `field: {op: value}`), "
                "a list (all of its items) or true/false."
            ),
            "anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "boolean"},
                {"type": "object"},
                {"type": "array"},
            ],
        }
    ),
]
"""A condition as written; parsed and type-checked by the linter with source positions."""


class _Model(BaseModel):
    """Base of every contract model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        str_strip_whitespace=False,
        validate_default=False,
    )


# --- metadata -------------------------------------------------------------------------------


class Team(StrEnum):
    """The parties to the agreement."""

    MARKETING = "marketing"
    SALES = "sales"
    PARTNER = "partner"
    REVOPS = "revops"


class Owner(_Model):
    """A person who answers for the contract."""

    name: str = Field(min_length=1)
    """Full name."""
    team: Team
    """The side this owner speaks for."""
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    """Where to reach them."""


class DateRange(_Model):
    """Dates between which something is in force, both ends inclusive."""

    start: date
    """First day in force."""
    end: date | None = None
    """Last day in force; open-ended when omitted."""

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls in the range."""
        return self.start <= day and (self.end is None or day <= self.end)


class Metadata(_Model):
    """Who agreed to what, and since when."""

    id: Identifier
    """Stable id of the contract; verdicts and audit entries cite it."""
    version: SemVer
    """Version of this agreement; bump it with every change that is signed off."""
    title: str = Field(min_length=1)
    """Human title, shown on the docs site."""
    description: str = ""
    """What this agreement is for."""
    owners: list[Owner] = Field(min_length=2)
    """At least one owner from marketing and one from sales."""
    effective: DateRange
    """When the agreement is in force."""
    timezone: str = Field(min_length=1)
    """Default IANA time zone (e.g. America/New_York) for dates and naive times."""

    @field_validator("owners")
    @classmethod
    def _both_sides_own_it(cls, owners: list[Owner]) -> list[Owner]:
        # A field validator, so that the error is placed on `owners`, not on the section.
        teams = {owner.team for owner in owners}
        missing = [t.value for t in (Team.MARKETING, Team.SALES) if t not in teams]
        if missing:
            raise ValueError(
                "owners must include someone from marketing and someone from sales; "
                f"missing: {', '.join(missing)}"
            )
        return owners


# --- calendars ------------------------------------------------------------------------------


class Weekday(StrEnum):
    """Days of the week, as written in working hours."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """0 for Monday, as :meth:`datetime.date.weekday` counts."""
        return list(Weekday).index(self)


_TIME_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_TIME_RANGE_SCHEMA = r"^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$"
"""What the JSON Schema accepts: as the parser, but 24:00 is the only 24 o'clock (the parser
says why other ones are wrong)."""


def _parse_time_range(text: str) -> tuple[time, time]:
    match = _TIME_RANGE.match(text)
    if not match:
        raise ValueError(f"expected working hours such as '09:00-17:00', got {text!r}")
    start = time(int(match[1]), int(match[2]))
    end_hour, end_minute = int(match[3]), int(match[4])
    if end_hour == 24 and end_minute != 0:
        raise ValueError(f"'{text}': 24:00 is the latest end")
    end = time(0, 0) if end_hour == 24 else time(end_hour, end_minute)
    if end != time(0, 0) and end <= start:
        raise ValueError(f"'{text}': the end must come after the start (no shifts across midnight)")
    return start, end


def _format_time_range(value: tuple[time, time]) -> str:
    start, end = value
    end_text = "24:00" if end == time(0, 0) else end.strftime("%H:%M")
    return f"{start.strftime('%H:%M')}-{end_text}"


def _time_range_from_text(value: object) -> object:
    """Working hours are written as one string; from Python, a pair of naive times also does.

    Anything else is refused here, before pydantic's own coercion could read a pair of strings
    such as ``["08:30-12:30", "13:30-17:30"]`` as times with UTC offsets -12:30 and -17:30.
    """
    if isinstance(value, str):
        return _parse_time_range(value)
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(t, time) and t.tzinfo is None for t in value)
    ):
        return value
    raise ValueError(f"expected working hours such as '09:00-17:00', got {value!r}")


TimeRange = Annotated[
    tuple[time, time],
    BeforeValidator(_time_range_from_text),
    PlainSerializer(_format_time_range, return_type=str),
    WithJsonSchema({"type": "string", "pattern": _TIME_RANGE_SCHEMA, "examples": ["09:00-17:00"]}),
]
"""Working hours within one day, 'HH:MM-HH:MM' in local time (24:00 ends at midnight)."""


class HolidayRegion(_Model):
    """A country (and optionally a subdivision) whose public holidays are days off."""

    country: str = Field(pattern=r"^[A-Z]{2,3}$")
    """ISO 3166 code as the `holidays` package knows it (US, DE, NO...)."""
    subdivision: str | None = None
    """State or province code (NY, BE...)."""


class Holidays(_Model):
    """Days off besides weekends."""

    regions: list[HolidayRegion] = Field(default_factory=list)
    """Public holidays of these countries or subdivisions."""
    dates: list[date] = Field(default_factory=list)
    """Explicit extra days off (company holidays)."""


class Calendar(_Model):
    """A business calendar: when the clock of a business-time SLA runs."""

    timezone: str = Field(min_length=1)
    """IANA time zone in which the working hours are read."""
    hours: dict[Weekday, list[TimeRange]]
    """Working hours per weekday; several ranges make a split shift. Missing days are off."""
    holidays: Holidays = Field(default_factory=Holidays)
    """Public holidays and explicit days off."""
    description: str = ""

    def intervals(self) -> dict[int, list[tuple[time, time]]]:
        """Working intervals by weekday index (0 = Monday)."""
        return {day.number: list(ranges) for day, ranges in self.hours.items()}


class Rep(_Model):
    """A member of the revenue team who can own leads or earn spiffs."""

    name: str = Field(min_length=1)
    role: str = Field(min_length=1)
    """Role, e.g. sdr, ae, partner, manager; spiff splits name roles."""
    roles: list[str] = Field(default_factory=list)
    """Further roles the same person holds (an SDR who also closes: `role: sdr`,
    `roles: [ae]`); spiff earners and splits match any of them."""
    team: Team = Team.SALES
    timezone: str | None = None
    """The rep's own IANA zone, for SLAs whose clock follows the owner."""
    calendar: Identifier | None = None
    """The calendar the rep works by."""
    manager: RepId | None = None
    """Who breaches escalate to."""

    @property
    def all_roles(self) -> tuple[str, ...]:
        """``role`` first, then ``roles``, without repeats."""
        return tuple(dict.fromkeys([self.role, *self.roles]))


# --- lead -----------------------------------------------------------------------------------

EPOCH_FORMATS = ("epoch_ms", "epoch_s")
"""Field formats that read a number of milliseconds or seconds since 1970-01-01 UTC."""


class LeadField(_Model):
    """One field of a lead record."""

    type: FieldType
    """Value type; CSV text is coerced to it."""
    required: bool = False
    """A record without it is an error row."""
    values: list[str] | None = None
    """Allowed values (an enumeration) for string fields."""
    source: str | None = None
    """Column name in the CRM export, e.g. Salesforce `LeadSource`."""
    value_map: dict[str, str | None] = Field(default_factory=dict)
    """CRM values mapped to contract values (`Select` → null, `Phone Inquiry` → phone)."""
    pii: bool = False
    """Personal data: masked in traces and in the audit store."""
    description: str = ""
    format: str | None = None
    """How the export writes a date or datetime field: a `strptime` pattern (`%m/%d/%Y`,
    `%d.%m.%Y %H:%M`), `epoch_ms` (milliseconds since 1970, HubSpot) or `epoch_s` (seconds).
    Without it, ISO 8601; a date alone (`2018-02-01`) in a datetime field is the start of
    that day in `timezone` (else the contract's zone)."""
    timezone: str | None = None
    """IANA zone of naive times (and date-only values) in this field; default: the contract's."""
    on_invalid: Literal["error", "empty"] = "error"
    """A value that cannot be read (wrong type, not allowed): `error` makes the record an
    error row; `empty` keeps the lead with the field empty and a warning in its verdict."""

    @model_validator(mode="after")
    def _format_for_times(self) -> LeadField:
        if self.format is not None and self.type not in (FieldType.DATE, FieldType.DATETIME):
            raise ValueError("`format` applies to date and datetime fields only")
        if self.format is not None and self.format not in EPOCH_FORMATS and "%" not in self.format:
            raise ValueError(
                "`format` is `epoch_ms`, `epoch_s` or a strptime pattern such as '%m/%d/%Y'"
            )
        return self

    @model_validator(mode="after")
    def _values_only_for_text(self) -> LeadField:
        if self.values is not None and self.type is not FieldType.STRING:
            raise ValueError("`values` (allowed values) applies to string fields only")
        return self


class LeadKeys(_Model):
    """Which fields play the roles the engine needs."""

    id: Identifier = "lead_id"
    """Unique id of a lead."""
    created: Identifier = "created_at"
    """When the lead was created (a datetime field)."""
    campaign: Identifier = "campaign"
    """The campaign that sourced the lead (a campaign id)."""
    owner: Identifier = "owner"
    """The rep who owns the lead."""
    timezone: Identifier | None = None
    """The lead's own IANA zone, for SLAs whose clock follows the lead."""


class FitRule(_Model):
    """Points for who the lead is (firmographics, role)."""

    id: Identifier
    when: ConditionSource
    """Condition over lead fields."""
    points: int
    """Points added when the condition holds (negative to subtract)."""
    description: str = ""


class FitScoring(_Model):
    """The fit half of the score."""

    rules: list[FitRule] = Field(default_factory=list)
    cap: int | None = Field(default=None, ge=0)
    """Fit points never exceed this."""


class EngagementRule(_Model):
    """Points for what the lead did (activity events)."""

    id: Identifier
    event: str = Field(min_length=1)
    """Event type that earns the points, e.g. webinar_attended."""
    channel: str | None = None
    """Only events on this channel count."""
    points: int
    """Points per qualifying event."""
    max_count: int | None = Field(default=None, ge=1)
    """At most this many events count."""
    description: str = ""


class Decay(_Model):
    """Engagement fades: points halve every half-life (calendar time) since the event."""

    half_life: DurationField


class EngagementScoring(_Model):
    """The engagement half of the score."""

    rules: list[EngagementRule] = Field(default_factory=list)
    cap: int | None = Field(default=None, ge=0)
    """Engagement points never exceed this (applied after decay)."""
    decay: Decay | None = None


class Scoring(_Model):
    """Score = fit + engagement, each capped."""

    fit: FitScoring = Field(default_factory=FitScoring)
    engagement: EngagementScoring = Field(default_factory=EngagementScoring)


class StageRole(StrEnum):
    """What a stage means to the engine; events move leads to stages by role."""

    INQUIRY = "inquiry"
    MQL = "mql"
    SAL = "sal"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"
    NURTURE = "nurture"
    DISQUALIFIED = "disqualified"


ROLE_EVENTS: dict[StageRole, str] = {
    StageRole.INQUIRY: "created",
    StageRole.SAL: "accepted",
    StageRole.SQL: "qualified",
    StageRole.OPPORTUNITY: "opportunity",
    StageRole.WON: "won",
    StageRole.LOST: "lost",
    StageRole.NURTURE: "recycled",
    StageRole.DISQUALIFIED: "disqualified",
}
"""The event that moves a lead into a stage of each role, unless the stage says `on:`."""


class Stage(_Model):
    """A lifecycle stage and the criteria to enter it."""

    id: Identifier
    role: StageRole | None = None
    """The engine's meaning of the stage; defaults to the id when the id is a known role."""
    description: str = ""
    when: ConditionSource | None = None
    """Entry criteria over lead fields and `score` (for stages reached by qualification)."""
    on: list[str] | None = None
    """Event types that move a lead into this stage (defaults by role: accepted → sal...)."""
    next: list[Identifier] | None = None
    """Stages a lead may move to from here; defaults to the following stage in order."""
    terminal: bool = False
    """A stage where the lead's journey ends (won, lost)."""

    @property
    def entry_events(self) -> list[str]:
        """Event types that move a lead here: `on`, or the default of the stage's role."""
        if self.on is not None:
            return list(self.on)
        role = self.effective_role
        return [ROLE_EVENTS[role]] if role in ROLE_EVENTS else []

    @property
    def effective_role(self) -> StageRole | None:
        """The declared role, or the id when it names a role."""
        if self.role is not None:
            return self.role
        try:
            return StageRole(self.id)
        except ValueError:
            return None


class Lifecycle(_Model):
    """Stages in funnel order."""

    stages: list[Stage] = Field(min_length=1)

    def transitions(self) -> dict[str, list[str]]:
        """Where a lead may go from each stage: `next`, or else the following stage in order
        (none after a terminal stage). Unknown targets are left out; lint reports them."""
        known = {stage.id for stage in self.stages}
        edges: dict[str, list[str]] = {}
        for i, stage in enumerate(self.stages):
            if stage.next is not None:
                targets = [t for t in stage.next if t in known]
            elif not stage.terminal and i + 1 < len(self.stages):
                targets = [self.stages[i + 1].id]
            else:
                targets = []
            edges.setdefault(stage.id, targets)
        return edges


class BuyerStage(_Model):
    """Where the buyer is in their own journey; the furthest stage whose condition holds."""

    id: Identifier
    when: ConditionSource
    description: str = ""


class Recycle(_Model):
    """Where a disqualified lead goes to be nurtured, and when it may come back."""

    to: Identifier
    """A stage whose role is `nurture`."""
    after: DurationField
    """How long (calendar time) it stays in nurture before it returns to the funnel."""


class Reason(_Model):
    """An allowed reason to disqualify a lead."""

    label: str = Field(min_length=1)
    description: str = ""
    note_required: bool = False
    """A disqualification for this reason needs a free-text note."""
    recycle: Recycle | None = None
    """Recycle to nurture instead of discarding."""
    max_recycles: int | None = Field(default=None, ge=1)
    """How often one lead may be recycled for this reason."""
    feedback: bool = True
    """Marketing gets feedback on leads disqualified for this reason."""


class Disqualification(_Model):
    """The reasons sales may give, and what happens after."""

    reasons: dict[Identifier, Reason] = Field(min_length=1)


class EventType(_Model):
    """An activity event type the CRM or marketing automation reports."""

    description: str = ""


BUILTIN_EVENTS: dict[str, str] = {
    "created": "The lead record was created.",
    "handoff": "Marketing (or a partner) handed the lead to sales.",
    "accepted": "Sales accepted the lead.",
    "touch": "A rep contacted the lead (call, email, message); `channel` says how.",
    "meeting": "A meeting with the lead took place.",
    "qualified": "Sales qualified the lead (SQL).",
    "disqualified": "Sales disqualified the lead; `reason` and `note` say why.",
    "recycled": "The lead went back to nurture.",
    "feedback": "Sales gave marketing feedback on the lead.",
    "opportunity": "An opportunity was opened; `amount` and `product` describe the deal.",
    "won": "The deal was won.",
    "lost": "The deal was lost.",
    "refunded": "A won deal was refunded.",
}
"""Event types the engine gives a meaning to; contracts may declare more under `lead.events`."""


class Lead(_Model):
    """What a lead is: its fields, score, stages and the ways it can leave the funnel."""

    keys: LeadKeys = Field(default_factory=LeadKeys)
    fields: dict[Identifier, LeadField] = Field(min_length=1)
    events: dict[Identifier, EventType] = Field(default_factory=dict)
    """Activity event types besides the built-in ones (webinar_attended, pricing_page_visit)."""
    consent: dict[str, Identifier] = Field(default_factory=dict)
    """Channel → boolean field that forbids it (phone: do_not_call, email: email_opt_out)."""
    scoring: Scoring = Field(default_factory=Scoring)
    lifecycle: Lifecycle
    buyer_stages: list[BuyerStage] = Field(default_factory=list)
    """Buyer's stages in order (awareness, interest, intent, consideration, comparison)."""
    disqualification: Disqualification


# --- campaigns ------------------------------------------------------------------------------


class Qualifier(StrEnum):
    """Who qualifies a campaign's leads before sales works them."""

    MARKETING = "marketing"
    SALES = "sales"
    PARTNER = "partner"


class Handoff(_Model):
    """Where a campaign's lead becomes sales' job."""

    stage: Identifier
    """The stage at which the lead is handed off (raw response = the first stage)."""
    qualified_by: Qualifier
    to: Team = Team.SALES
    """Who receives the lead."""
    required_fields: list[Identifier] = Field(default_factory=list)
    """Fields marketing must fill before handoff."""
    play: str = ""
    """The recommended sales play."""


class Capacity(_Model):
    """The sales capacity a campaign needs."""

    leads_per_week: int = Field(ge=1)
    """Leads the campaign is expected to deliver in a week."""
    reps: int = Field(ge=1)
    """Reps assigned."""
    leads_per_rep_per_week: int = Field(ge=1)
    """Leads one rep can work properly in a week."""

    @property
    def weekly_capacity(self) -> int:
        return self.reps * self.leads_per_rep_per_week


class Campaign(_Model):
    """A campaign and its handoff agreement."""

    name: str = Field(min_length=1)
    channel: str = Field(min_length=1)
    """webinar, paid-search, event, partner..."""
    description: str = ""
    window: DateRange
    handoff: Handoff
    capacity: Capacity | None = None


# --- SLAs -----------------------------------------------------------------------------------


class SlaKind(StrEnum):
    """What kind of promise an SLA measures."""

    RESPONSE = "response"
    """Stop within the target after start (first touch, accept or reject, feedback)."""
    ATTEMPTS = "attempts"
    """Make a minimum number of contact attempts within a window."""
    IDLE = "idle"
    """Never leave the lead untouched longer than the target; every stop event restarts it."""


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _one_or_many_schema(item: dict[str, Any]) -> WithJsonSchema:
    """The JSON schema of "one name or a list of names": the schema pydantic derives from the
    list type alone would reject the single name the validator accepts."""
    return WithJsonSchema({"anyOf": [item, {"type": "array", "items": item, "minItems": 1}]})


Names = Annotated[
    list[str],
    BeforeValidator(_one_or_many),
    Field(min_length=1),
    _one_or_many_schema({"type": "string"}),
]
"""One name or a list of names."""
StageNames = Annotated[
    list[Identifier],
    BeforeValidator(_one_or_many),
    Field(min_length=1),
    _one_or_many_schema(
        {
            "type": "string",
            "pattern": _IDENTIFIER_PATTERN,
            "maxLength": 64,
            "description": _IDENTIFIER_DESCRIPTION,
        }
    ),
]


class Trigger(_Model):
    """Something that happens to a lead: an event, entering a stage, or a record field."""

    event: Names | None = None
    """Event types (touch, accepted, disqualified...)."""
    channels: Names | None = None
    """With `event`: only events on these channels."""
    stage: StageNames | None = None
    """Entering one of these stages."""
    reasons: list[Identifier] | None = None
    """With `event: disqualified`: only disqualifications for these reasons."""
    field: Identifier | None = None
    """A datetime field of the record (a retroactive start, e.g. form submitted)."""
    when: ConditionSource | None = None
    """An extra condition over the lead."""

    @model_validator(mode="after")
    def _says_something(self) -> Trigger:
        if self.event is None and self.stage is None and self.field is None:
            raise ValueError("a trigger needs `event`, `stage` or `field`")
        return self


class Selector(_Model):
    """Which leads a rule applies to."""

    campaigns: list[Identifier] | None = None
    """Only leads from these campaigns (all when omitted)."""
    when: ConditionSource | None = None
    """Only leads for which this holds."""


class Attempts(_Model):
    """A minimum number of contact attempts."""

    count: int = Field(ge=1)
    within: DurationField
    """Window from the start in which the attempts must be made."""
    min_spacing: DurationField | None = None
    """Attempts closer together than this count once."""
    channels: list[str] | None = None
    """Only attempts on these channels count."""
    min_channels: int | None = Field(default=None, ge=1)
    """Attempts must use at least this many different channels."""


def _percentage(value: int) -> int:
    if not 0 < value < 100:
        raise ValueError("`warn_at` thresholds are percentages between 1 and 99")
    return value


Percentage = Annotated[
    int,
    AfterValidator(_percentage),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 99}),
]
"""A warning threshold; checked per item, so that the error points at the item."""


class Sla(_Model):
    """A follow-up promise measured by a clock."""

    description: str = ""
    kind: SlaKind = SlaKind.RESPONSE
    responsible: Team = Team.SALES
    """The party that keeps the promise."""
    applies_to: Selector = Field(default_factory=Selector)
    start: Trigger
    stop: Trigger | None = None
    """What fulfils the promise (required for response and idle SLAs)."""
    pause: Trigger | None = None
    resume: Trigger | None = None
    cancel: Trigger | None = None
    target: DurationField
    """Time allowed, e.g. 4h, 1d, 2w."""
    time: Literal["business", "calendar"] = "business"
    """Whether the target counts business time (on `calendar`) or calendar time."""
    calendar: Identifier | None = None
    """Business calendar; required for business time."""
    clock_zone: Literal["calendar", "lead", "owner"] = "calendar"
    """Whose time zone the working hours are read in."""
    warn_at: list[Percentage] = Field(default_factory=list)
    """Warning thresholds, in percent of the target (e.g. [50, 75])."""
    attempts: Attempts | None = None
    """For `kind: attempts`."""
    escalate_to: str | None = None
    """Who hears about a breach (a rep id, a role or a team)."""

    def triggers(self) -> list[tuple[str, Trigger]]:
        """The triggers this SLA has, by name (start, stop, pause, resume, cancel)."""
        named = [
            ("start", self.start),
            ("stop", self.stop),
            ("pause", self.pause),
            ("resume", self.resume),
            ("cancel", self.cancel),
        ]
        return [(name, trigger) for name, trigger in named if trigger is not None]

    @model_validator(mode="after")
    def _complete_for_its_kind(self) -> Sla:
        if self.kind is SlaKind.ATTEMPTS and self.attempts is None:
            raise ValueError("an `attempts` SLA needs an `attempts` section")
        if self.kind is not SlaKind.ATTEMPTS and self.stop is None:
            raise ValueError(f"a `{self.kind.value}` SLA needs a `stop` trigger")
        if self.time == "business" and self.calendar is None:
            raise ValueError("a business-time SLA needs a `calendar`")
        return self


# --- spiffs ---------------------------------------------------------------------------------


class Tier(_Model):
    """One band of a tiered spiff."""

    up_to: Money | None = None
    """Upper bound of the band (deal value); open when omitted (the last band)."""
    share: Decimal = Field(ge=0, le=1)
    """Share of the deal value paid in this band (0.02 = 2%)."""


class SpiffAmount(_Model):
    """How much a spiff pays: exactly one of fixed, per_unit, share or tiers."""

    currency: CurrencyCode
    fixed: Money | None = None
    """A fixed amount per outcome."""
    per_unit: Money | None = None
    """An amount per unit of `unit`."""
    unit: str | None = None
    """The deal field counted by `per_unit`, e.g. deal.seats."""
    share: Decimal | None = Field(default=None, ge=0, le=1)
    """Share of the deal value."""
    tiers: list[Tier] | None = None
    tier_mode: Literal["whole", "band"] = "band"
    """`whole`: the band the deal falls in pays on the whole deal; `band`: each band pays on
    the part of the deal inside it."""

    @model_validator(mode="after")
    def _exactly_one(self) -> SpiffAmount:
        given = [
            name
            for name in ("fixed", "per_unit", "share", "tiers")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "an amount needs exactly one of `fixed`, `per_unit`, `share` or `tiers`"
                + (f"; found {', '.join(given)}" if given else "")
            )
        if self.per_unit is not None and not self.unit:
            raise ValueError("`per_unit` needs `unit`, the field to count")
        return self


class Cap(_Model):
    """The most one rep can earn from a spiff in a period."""

    amount: Money
    currency: CurrencyCode
    per: Literal["month", "quarter"]


class Clawback(_Model):
    """Paid spiffs taken back when the deal goes away."""

    within: DurationField
    """Window after the payout (calendar time)."""
    on: list[str] = Field(default_factory=lambda: ["refunded", "lost"])
    """Event types that claw back."""


class Split(_Model):
    """Share of a spiff credited to one role."""

    role: str = Field(min_length=1)
    share: Decimal = Field(gt=0, le=1)


class Spiff(_Model):
    """An incentive for working campaign leads."""

    description: str = ""
    campaigns: list[Identifier] = Field(min_length=1)
    outcome: Identifier
    """The stage the lead must reach to earn it (sql, opportunity, won...)."""
    earner: str = "owner"
    """Who earns it: `owner` or a role; see `split` to share it."""
    when: ConditionSource | None = None
    """Extra eligibility over lead and deal."""
    requires_slas: list[Identifier] = Field(default_factory=list)
    """SLAs that must have been met."""
    requires_handoff_complete: bool = False
    amount: SpiffAmount
    cap: Cap | None = None
    clawback: Clawback | None = None
    split: list[Split] | None = None
    effective: DateRange | None = None
    shadow: bool = False
    """Computed and shown, but not payable: to try a rule before it pays."""

    @field_validator("split")
    @classmethod
    def _split_adds_up(cls, split: list[Split] | None) -> list[Split] | None:
        if split is not None and sum(s.share for s in split) != 1:
            raise ValueError("`split` shares must add up to 1")
        return split


# --- waivers --------------------------------------------------------------------------------


class Waiver(_Model):
    """A lint finding both sides accept on purpose, with the reason on record."""

    code: str = Field(pattern=r"^LC\d{3}$")
    """The diagnostic code waived, e.g. LC703."""
    where: str = Field(pattern=r"^(/.*)?$")
    """JSON pointer of the contract node (e.g. /spiffs/webinar-bonus); the waiver covers
    findings at that node and inside it."""
    reason: str = Field(min_length=1)
    """Why the finding is acceptable."""
    who: str = Field(min_length=1)
    """Who agreed to it."""
    until: date | None = None
    """The last day the waiver holds; after it the finding is reported again (LC901)."""


# --- mappings: raw CRM exports to records and events ------------------------------------------

EVENT_TARGETS = ("lead_id", "type", "at", "actor", "channel", "reason", "note", "amount",
                 "product", "seats")  # fmt: skip
"""The event attributes an event mapping can fill (:data:`leadcontract.inputs.EVENT_ATTRIBUTES`)."""


class EventValue(_Model):
    """One event attribute read from a column of the export, optionally through a map."""

    column: str = Field(min_length=1)
    """Source column; a dotted name (`Who.Id`) reads a nested object or a column so named."""
    map: dict[str, str | None] = Field(default_factory=dict)
    """Values of the column mapped to values of the attribute (case-insensitive keys; `""` maps
    the empty value; a null target means no value). With a map, a value it does not list is no
    value, so the row matches no further."""
    format: str | None = None
    """For `at`: as a lead field's `format` (`epoch_ms`, `epoch_s` or a strptime pattern)."""


EventSource = Annotated[
    str | EventValue,
    _Describe("A column name, or {column, map, format}."),
]


class EventMapping(_Model):
    """Turns rows of an activity export into the contract's events.

    A row is matched against the mappings in order; the first whose `when` holds makes the
    event. Constants (`set`) and columns (`columns`) fill the event's attributes; attributes
    neither names are read from the column of their own name. A row no mapping matches is
    counted as unmapped (a data-drift diagnostic), never silently used.
    """

    id: Identifier
    """Name of the mapping (diagnostics and counts cite it)."""
    description: str = ""
    when: dict[str, str | list[str]] = Field(default_factory=dict)
    """Column → value (or values) the row must hold, case-insensitive; `""` is the empty value.
    Every entry must hold; an empty `when` matches every row."""
    set: dict[str, str] = Field(default_factory=dict)
    """Event attributes with a constant value (`type: touch`, `channel: phone`)."""
    columns: dict[str, EventSource] = Field(default_factory=dict)
    """Event attributes read from columns (`lead_id: WhoId`, `at: CreatedDate`)."""
    fields: dict[Identifier, str] = Field(default_factory=dict)
    """Lead fields this row supplies, by column (`campaign: CampaignId` for a CampaignMember
    row): they fill the fields the lead record leaves empty; the earliest row wins."""
    timezone: str | None = None
    """IANA zone of naive times in this export; default: the contract's."""

    @model_validator(mode="after")
    def _known_targets(self) -> EventMapping:
        unknown = sorted((set(self.set) | set(self.columns)) - set(EVENT_TARGETS))
        if unknown:
            raise ValueError(
                f"unknown event attribute(s): {', '.join(unknown)}; "
                f"known: {', '.join(EVENT_TARGETS)}"
            )
        both = sorted(set(self.set) & set(self.columns))
        if both:
            raise ValueError(f"set both as a constant and from a column: {', '.join(both)}")
        return self


class Mappings(_Model):
    """How raw exports map onto the contract, beyond each lead field's `source`."""

    extends: list[str] = Field(default_factory=list)
    """Presets to build on (`salesforce`, `hubspot`): their lead field sources and event
    mappings apply where this contract says nothing of its own."""
    events: list[EventMapping] = Field(default_factory=list)
    """Event mappings, tried in order (before those of the presets)."""
    ignore_columns: list[str] = Field(default_factory=list)
    """Export columns known to map to nothing; not reported as drift."""

    @field_validator("extends", mode="before")
    @classmethod
    def _one_or_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


# --- notifications (the live monitor) -------------------------------------------------------


class NotificationKind(StrEnum):
    """What happened to a lead that someone may need to hear about while there is time."""

    WARNING = "warning"
    """An SLA clock reached one of its warning thresholds."""
    BREACH = "breach"
    """An SLA clock ran out."""
    ESCALATION = "escalation"
    """A breach escalated to the SLA's `escalate_to`."""
    CORRECTION = "correction"
    """A late or out-of-order event undid an earlier warning or breach."""
    HANDOFF_DUE = "handoff_due"
    """The lead reached its campaign's handoff stage and waits for the handoff."""
    FEEDBACK_DUE = "feedback_due"
    """The lead was disqualified for a reason marketing hears about, with no feedback yet."""


class NotificationRule(_Model):
    """Who hears about what: one rule of the live monitor's notifications."""

    on: list[NotificationKind] = Field(min_length=1)
    """The kinds of happenings this rule covers."""
    slas: list[Identifier] | None = None
    """Only these SLAs (warnings, breaches, escalations, corrections); all when omitted."""
    percent: int | None = Field(default=None, ge=1, le=99)
    """Warnings only from this threshold (percent of the target) on."""
    to: list[str] = Field(min_length=1)
    """Recipients: `owner` (the lead's rep), `manager` (the owner's manager), `escalation`
    (the SLA's `escalate_to`), a team (`marketing`, `sales`, `partner`, `revops`: the
    contract owners of that team) or a rep id."""


# --- the contract ---------------------------------------------------------------------------


class Contract(_Model):
    """A marketing-sales agreement about leads."""

    api_version: Literal["leadcontract/v1"] = Field(alias="apiVersion")
    """Format version of this file."""
    metadata: Metadata
    calendars: dict[Identifier, Calendar] = Field(default_factory=dict)
    reps: dict[RepId, Rep] = Field(default_factory=dict)
    """Reps by their CRM id (opaque text: Salesforce `005...` user ids are fine)."""
    lead: Lead
    campaigns: dict[Identifier, Campaign] = Field(default_factory=dict)
    slas: dict[Identifier, Sla] = Field(default_factory=dict)
    spiffs: dict[Identifier, Spiff] = Field(default_factory=dict)
    waivers: list[Waiver] = Field(default_factory=list)
    """Findings of `leadcontract lint` accepted on purpose (code, where, reason, who, until)."""
    mappings: Mappings = Field(default_factory=Mappings)
    """How raw CRM exports become lead records and events (presets, event mappings)."""
    notifications: dict[Identifier, NotificationRule] = Field(default_factory=dict)
    """Who the live monitor notifies about what (see docs/live.md)."""

    model_config = ConfigDict(populate_by_name=True, title="leadcontract contract")
