"""Diagnostics: what is wrong with a contract, and exactly where.

A :class:`Diagnostic` is a frozen record. The library returns them; only the CLI prints them.
Every code is registered once in :data:`CODES` with a stable identifier, a dotted name, a default
severity and a one-line summary; the reference page in ``docs/diagnostics.md`` is generated from
this registry, so a code that is not registered cannot be emitted (``make`` refuses it).

Contract diagnostics (the YAML is wrong) are a different type from record errors (a lead breaks
the contract), which live with the engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "CODES",
    "Code",
    "Diagnostic",
    "Location",
    "Severity",
    "make",
    "sort_diagnostics",
]


class Severity(StrEnum):
    """How bad a finding is. Errors fail ``lint``; warnings fail it only with ``--strict``."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file: 1-based line and column, as editors show them."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Code:
    """A registered diagnostic code."""

    code: str
    name: str
    severity: Severity
    summary: str
    why: str


NO_FILE_NAME = "<contract>"
"""What a location says in place of a file name when a diagnostic has none."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a contract.

    ``pointer`` is the JSON pointer of the offending node inside the merged contract
    (``/campaigns/webinar/handoff/stage``); ``file``/``line``/``column`` say where that node was
    written. ``hint`` tells the author what to write instead, when we can tell.
    """

    code: str
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    pointer: str = ""
    hint: str | None = None

    @property
    def name(self) -> str:
        """The dotted name of the code, e.g. ``reference.unknown-stage``."""
        return CODES[self.code].name

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def where(self) -> str:
        """``file:line:col`` (as much of it as is known), the way editors and CI read it."""
        parts = [self.file if self.file is not None else NO_FILE_NAME]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        """The line the text report prints: ``file:line:col: CODE severity: message``."""
        return f"{self.where}: {self.code} {self.severity.value}: {self.message}"

    def check_tuple(self) -> tuple[str, int | None, int | None]:
        """``(code, line, column)``: what tests compare."""
        return (self.code, self.line, self.column)

    def to_dict(self) -> dict[str, Any]:
        """Plain built-ins, for JSON output."""
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "pointer": self.pointer,
            "hint": self.hint,
        }


def make(
    code: str,
    message: str,
    location: Location | None = None,
    *,
    pointer: str = "",
    hint: str | None = None,
    severity: Severity | None = None,
) -> Diagnostic:
    """Build a diagnostic for a registered ``code`` at ``location``."""
    registered = CODES.get(code)
    if registered is None:
        raise KeyError(f"diagnostic code {code!r} is not registered")
    return Diagnostic(
        code=code,
        severity=severity or registered.severity,
        message=message,
        file=location.file if location else None,
        line=location.line if location else None,
        column=location.column if location else None,
        pointer=pointer,
        hint=hint,
    )


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Stable order for every reporter: file, line, column, code, message."""
    return sorted(
        diagnostics,
        key=lambda d: (d.file or "", d.line or 0, d.column or 0, d.code, d.message),
    )


_E = Severity.ERROR
_W = Severity.WARNING

_REGISTRY: list[Code] = [
    # --- LC0xx: reading files -------------------------------------------------------------
    Code(
        "LC001",
        "input.unreadable",
        _E,
        "A contract file or folder cannot be read.",
        "The path does not exist, is not a file or folder, or the operating system refused it.",
    ),
    Code(
        "LC002",
        "input.empty",
        _E,
        "A contract file is empty.",
        "An empty file defines nothing; it is most often a mistake in a folder of contract files.",
    ),
    Code(
        "LC003",
        "input.encoding",
        _E,
        "A contract file is not valid UTF-8.",
        "Contracts are UTF-8 text so that every reader sees the same characters.",
    ),
    Code(
        "LC004",
        "input.too-large",
        _E,
        "A contract file is larger than the size limit.",
        "Contracts are small documents; a huge file is a mistake or an attack on the loader.",
    ),
    Code(
        "LC005",
        "yaml.syntax",
        _E,
        "The YAML is not well formed.",
        "The parser could not read the file; the position is where it gave up.",
    ),
    Code(
        "LC006",
        "yaml.duplicate-key",
        _E,
        "A mapping has the same key twice.",
        "Plain YAML loaders silently keep the last value, so half of what was written is lost.",
    ),
    Code(
        "LC007",
        "yaml.alias-bomb",
        _E,
        "Aliases expand to too many nodes.",
        "Anchors and aliases that expand exponentially (a 'billion laughs') would exhaust memory.",
    ),
    Code(
        "LC008",
        "yaml.multiple-documents",
        _E,
        "A contract file holds more than one document.",
        "Split documents into separate files of a contract folder instead.",
    ),
    Code(
        "LC009",
        "yaml.unsupported",
        _E,
        "A YAML feature that contracts do not allow.",
        "Custom tags and complex keys make a contract mean something other than it reads.",
    ),
    Code(
        "LC010",
        "input.no-contract-files",
        _E,
        "A folder holds no contract files.",
        "A contract folder must hold at least one `.yaml` or `.yml` file.",
    ),
    # --- LC1xx: structure -------------------------------------------------------------------
    Code(
        "LC101",
        "schema.unknown-key",
        _E,
        "A key the contract format does not define.",
        "Misspelt keys would otherwise be ignored and the rule they meant would never apply.",
    ),
    Code(
        "LC102",
        "schema.missing-key",
        _E,
        "A required key is missing.",
        "The section cannot be understood without it.",
    ),
    Code(
        "LC103",
        "schema.invalid-value",
        _E,
        "A value has the wrong type or form.",
        "The value does not match what the format expects at this place.",
    ),
    Code(
        "LC104",
        "structure.duplicate-id",
        _E,
        "Two definitions share one id.",
        "Whether in two files of a contract folder or twice in one list, only one of them "
        "could ever be referred to.",
    ),
    Code(
        "LC105",
        "merge.duplicate-section",
        _E,
        "A single-valued section is written in more than one file.",
        "Sections such as `metadata` and `lead` have one author; merging two copies is ambiguous.",
    ),
    # --- LC2xx: conditions ------------------------------------------------------------------
    Code(
        "LC201",
        "condition.syntax",
        _E,
        "A condition cannot be parsed.",
        "Conditions are a small, safe language; the message shows what was expected.",
    ),
    Code(
        "LC202",
        "condition.unknown-field",
        _E,
        "A condition reads a field that does not exist.",
        "The condition would never hold, silently.",
    ),
    Code(
        "LC203",
        "condition.type-mismatch",
        _E,
        "A condition compares a field with a value of another type.",
        "Comparing text with a number is always false, or an error at evaluation time.",
    ),
    Code(
        "LC204",
        "condition.value-not-allowed",
        _E,
        "A condition compares a field with a value outside its allowed values.",
        "The condition can never hold for a record that passes the field schema.",
    ),
    Code(
        "LC205",
        "condition.invalid-regex",
        _E,
        "A `matches` pattern is not a valid regex.",
        "The pattern would fail at evaluation time.",
    ),
    Code(
        "LC206",
        "condition.unsupported-regex",
        _E,
        "A `matches` pattern uses a construct that needs backtracking.",
        "Patterns are matched by RE2 in time linear in the text, so that no pattern can take "
        "exponential time on a hostile value; backreferences, lookahead, lookbehind, atomic "
        "groups and possessive repeats need backtracking and are not supported.",
    ),
    # --- LC3xx: references ------------------------------------------------------------------
    Code(
        "LC301",
        "reference.unknown-field",
        _E,
        "A reference to a lead field that does not exist.",
        "Fields are named in the lead schema; a typo here breaks handoff checks and keys.",
    ),
    Code(
        "LC302",
        "reference.unknown-stage",
        _E,
        "A reference to a lifecycle stage that does not exist.",
        "Stages are defined under `lead.lifecycle.stages`.",
    ),
    Code(
        "LC303",
        "reference.unknown-calendar",
        _E,
        "A reference to a calendar that does not exist.",
        "Calendars are defined under `calendars`.",
    ),
    Code(
        "LC304",
        "reference.unknown-campaign",
        _E,
        "A reference to a campaign that does not exist.",
        "Campaigns are defined under `campaigns`.",
    ),
    Code(
        "LC305",
        "reference.unknown-sla",
        _E,
        "A reference to an SLA that does not exist.",
        "SLAs are defined under `slas`.",
    ),
    Code(
        "LC306",
        "reference.unknown-reason",
        _E,
        "A reference to a disqualification reason that does not exist.",
        "Reasons are defined under `lead.disqualification.reasons`.",
    ),
    Code(
        "LC307",
        "reference.unknown-track",
        _E,
        "A recycle target that is not a nurture stage.",
        "Recycled leads must land in a stage whose role is `nurture`.",
    ),
    Code(
        "LC308",
        "reference.unknown-event",
        _E,
        "A reference to an event type nobody declared.",
        "A misspelt event type never occurs, so the rule waiting for it never fires; declare "
        "extra types under `lead.events`.",
    ),
    Code(
        "LC309",
        "reference.unknown-rep",
        _E,
        "A reference to a rep that does not exist.",
        "Reps are defined under `reps`.",
    ),
    Code(
        "LC310",
        "reference.channel-case",
        _E,
        "A channel written with capitals.",
        "Event channels are read in lower case, so a channel such as `Phone` never matches any "
        "event and the rule that names it never applies.",
    ),
    # --- LC4xx: lifecycle -------------------------------------------------------------------
    Code(
        "LC401",
        "lifecycle.unreachable-stage",
        _E,
        "A stage can never be entered.",
        "No path of transitions leads from the first stage to it.",
    ),
    Code(
        "LC402",
        "lifecycle.dead-end",
        _E,
        "A stage that is not terminal has no way out.",
        "Leads entering it would be stuck forever; mark it `terminal: true` or give it `next`.",
    ),
    Code(
        "LC403",
        "lifecycle.unbounded-recycle",
        _E,
        "Recycling can loop without a maximum.",
        "A reason that recycles leads back into the funnel needs `max_recycles`, or a lead "
        "can bounce between sales and nurture forever.",
    ),
    Code(
        "LC404",
        "lifecycle.duplicate-role",
        _E,
        "Two stages claim the same role.",
        "The engine maps events such as `accepted` or `won` to the stage with that role.",
    ),
    Code(
        "LC405",
        "lifecycle.missing-role",
        _E,
        "A stage role the engine needs is not defined.",
        "Events such as `disqualified` or `won` need a stage to move the lead to.",
    ),
    Code(
        "LC406",
        "lifecycle.criteria-cycle",
        _E,
        "Stages with entry criteria lead back to one another.",
        "Criteria are tried again after every promotion, so a loop of stages whose criteria "
        "all hold would promote a lead round it for ever; the engine stops where the loop "
        "comes round, but which stage that is depends on where the lead entered it.",
    ),
    # --- LC5xx: campaigns -------------------------------------------------------------------
    Code(
        "LC501",
        "campaign.handoff-too-late",
        _E,
        "A campaign's handoff stage does not come before the opportunity stage.",
        "Sales must own a lead before it becomes an opportunity.",
    ),
    Code(
        "LC502",
        "campaign.capacity-shortfall",
        _W,
        "A campaign expects more leads per week than its reps can work.",
        "Leads beyond capacity are the ones that are never followed up.",
    ),
    Code(
        "LC503",
        "campaign.invalid-window",
        _E,
        "A campaign's window ends before it starts.",
        "No lead could ever belong to it.",
    ),
    # --- LC6xx: SLAs ------------------------------------------------------------------------
    Code(
        "LC601",
        "sla.never-runs",
        _E,
        "An SLA's start condition implies its stop condition.",
        "The clock stops the moment it starts, so the promise is never measured.",
    ),
    Code(
        "LC602",
        "sla.pause-equals-start",
        _E,
        "An SLA pauses on the same condition it starts on.",
        "The clock would be paused from its very first moment.",
    ),
    Code(
        "LC603",
        "sla.target-exceeds-window",
        _W,
        "An SLA's target is longer than its campaign's window.",
        "The promise can only come due after the campaign is over.",
    ),
    Code(
        "LC604",
        "sla.thresholds-not-increasing",
        _E,
        "An SLA's warning thresholds are not strictly increasing and below the target.",
        "Warnings must come in order and before the breach.",
    ),
    # --- LC7xx: spiffs ----------------------------------------------------------------------
    Code(
        "LC701",
        "spiff.campaign-not-covered",
        _E,
        "A spiff requires an SLA that does not apply to the spiff's campaigns.",
        "The SLA could never have been met for those leads, so the spiff would never pay.",
    ),
    Code(
        "LC702",
        "spiff.cap-below-payout",
        _E,
        "A spiff's cap is below a single payout.",
        "Not even one payout fits under the cap.",
    ),
    Code(
        "LC703",
        "spiff.overlap",
        _W,
        "Two spiffs pay for the same outcome of the same campaign.",
        "Reps would be paid twice for one lead unless that is intended.",
    ),
    Code(
        "LC704",
        "spiff.currency-mismatch",
        _E,
        "A spiff's cap and amount are in different currencies.",
        "Amounts in different currencies cannot be compared or added.",
    ),
    # --- LC95x: mappings from CRM exports -----------------------------------------------------
    Code(
        "LC950",
        "mapping.unknown-preset",
        _E,
        "`mappings.extends` names a preset the library does not ship.",
        "Nothing of it would apply; the presets are `salesforce` and `hubspot`.",
    ),
    Code(
        "LC951",
        "mapping.unknown-target",
        _E,
        "An event mapping makes an event type, or fills a lead field, that the contract lacks.",
        "Every event it makes would count for nothing, or the field it fills does not exist.",
    ),
    Code(
        "LC952",
        "mapping.never-applies",
        _W,
        "A value map entry that can never apply: its target is not an allowed value, or "
        "another key already maps the same value.",
        "Every value it maps would become an error row, or the entry is dead.",
    ),
    Code(
        "LC953",
        "mapping.unknown-column",
        _W,
        "A field or event mapping reads a column the given export sample does not have.",
        "Every record would miss the value (lint with `--leads-sample`/`--events-sample`).",
    ),
    Code(
        "LC954",
        "mapping.role-unplayed",
        _E,
        "A spiff's earner or split role is a role no rep of the contract plays.",
        "That share would go to an unassigned statement: money nobody is paid.",
    ),
    Code(
        "LC955",
        "mapping.campaign-uncovered",
        _W,
        "A campaign no SLA (or no spiff) covers, while a campaign on the same channel has one.",
        "It looks like a sibling campaign added without its follow-up promise or incentive.",
    ),
    # --- LC96x: notifications (the live monitor) -----------------------------------------
    Code(
        "LC960",
        "notification.unknown-sla",
        _E,
        "A notification rule names an SLA the contract does not define.",
        "The rule would never fire for it, and nobody would hear about that SLA.",
    ),
    Code(
        "LC961",
        "notification.unknown-recipient",
        _E,
        "A notification rule sends to someone who is neither a rep, a team nor a role word.",
        "The notification would go to nobody.",
    ),
    # --- LC8xx: time ------------------------------------------------------------------------
    Code(
        "LC801",
        "time.invalid-range",
        _E,
        "An effective date range ends before it starts.",
        "Nothing would ever be in force.",
    ),
    Code(
        "LC802",
        "time.unknown-timezone",
        _E,
        "A time zone that is not an IANA zone name.",
        "Business time needs a real zone with its daylight-saving rules.",
    ),
    Code(
        "LC803",
        "time.unknown-holiday-country",
        _E,
        "A holiday country or subdivision the `holidays` package does not know.",
        "The calendar would silently have no public holidays.",
    ),
    Code(
        "LC804",
        "time.no-working-hours",
        _E,
        "A calendar has no working hours at all.",
        "Business-time clocks on it would never advance.",
    ),
    Code(
        "LC806",
        "time.overlapping-hours",
        _E,
        "Two working-hour intervals of one day overlap.",
        "An hour cannot be worked twice; the calendar refuses overlapping intervals, so the "
        "contract would not compile.",
    ),
    Code(
        "LC807",
        "time.closed-for-a-year",
        _E,
        "A calendar's days off leave it closed for more than a year on end.",
        "Explicit days off that cover every working weekday for a year or more are a mistake "
        "(a date range pasted in); clocks on it would stand still, and business time could "
        "not be computed across the gap.",
    ),
    Code(
        "LC805",
        "time.outside-contract",
        _W,
        "Effective dates lie outside the contract's own effective range.",
        "That part of the contract can never be in force.",
    ),
    # --- LC90x: waivers --------------------------------------------------------------------
    Code(
        "LC901",
        "waiver.expired",
        _W,
        "A waiver's `until` date has passed; the finding it waived is reported again.",
        "A deliberate exception is agreed for a time; after it, both sides look at it again.",
    ),
    Code(
        "LC902",
        "waiver.unused",
        _W,
        "A waiver matches no finding.",
        "The finding was fixed or the waiver names the wrong code or place: delete or correct it.",
    ),
]

CODES: dict[str, Code] = {}
for _code in _REGISTRY:
    if _code.code in CODES:  # pragma: no cover - guards the table above
        raise RuntimeError(f"duplicate diagnostic code {_code.code}")
    CODES[_code.code] = _code
