"""Scaffold a new contract folder: small, valid, commented, with sample data and test cases.

``scaffold(folder, start=...)`` writes a contract that lints clean and passes its own tests:
both parties as owners, one business calendar, a lead schema with scoring, the standard
lifecycle, one campaign, two SLAs and one spiff; ``data/`` holds three sample leads and their
events and ``tests/`` the cases that pin what they should become. The dates follow ``start``
(the caller's today), with the sample week on the first Monday after it, so the business-time
SLAs give the same outcome whatever the weekday of ``start``.

The lead fields are a fixed set of *roles* (the id, the email, the company size...) whose
``source:`` column names come from a CRM preset (Salesforce Lead API names, HubSpot contact
property names) or from the header of an export, where columns are matched to roles loosely and
the other columns become fields of the types their sample values suggest.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from string import Template
from typing import Literal

__all__ = ["CRM_PRESETS", "ExportColumn", "Role", "ScaffoldError", "propose_fields", "scaffold"]

Crm = Literal["salesforce", "hubspot"]


@dataclass(frozen=True)
class Role:
    """A lead field the scaffold's rules rely on."""

    field: str
    type: str
    required: bool
    candidates: tuple[str, ...]
    """Column names that play this role in exports (matched loosely)."""
    pii: bool = False


ROLES: tuple[Role, ...] = (
    Role(
        "lead_id",
        "string",
        True,
        ("id", "lead id", "hs_object_id", "record id", "contact id", "(do not modify) lead"),
    ),
    Role(
        "email",
        "string",
        True,
        ("email", "email address", "e-mail", "person - email", "person - email - work"),
        pii=True,
    ),
    Role("last_name", "string", False, ("lastname", "last name", "surname"), pii=True),
    Role(
        "company",
        "string",
        True,
        (
            "company",
            "company name",
            "company / account",
            "account",
            "account name",
            "organization",
            "organization name",
            "organization - name",
        ),
    ),
    Role("title", "string", False, ("title", "jobtitle", "job title", "position")),
    Role(
        "employees",
        "integer",
        False,
        ("numberofemployees", "numemployees", "employees", "no. of employees"),
    ),
    Role("country", "string", False, ("country", "country/region", "countrycode")),
    Role(
        "campaign",
        "string",
        True,
        ("campaignid", "campaign", "hs_analytics_first_touch_converting_campaign"),
    ),
    Role(
        "owner",
        "string",
        False,
        ("ownerid", "hubspot_owner_id", "owner", "lead owner", "contact owner", "hubspot owner"),
    ),
    Role(
        "created_at",
        "datetime",
        True,
        (
            *("createddate", "createdate", "created at", "create date", "created"),
            *("created time", "created on", "date created", "lead - created"),
        ),
    ),
)

CRM_PRESETS: dict[Crm, dict[str, str]] = {
    "salesforce": {
        "lead_id": "Id",
        "email": "Email",
        "last_name": "LastName",
        "company": "Company",
        "title": "Title",
        "employees": "NumberOfEmployees",
        "country": "Country",
        "campaign": "CampaignId",
        "owner": "OwnerId",
        "created_at": "CreatedDate",
    },
    "hubspot": {
        "lead_id": "hs_object_id",
        "email": "email",
        "last_name": "lastname",
        "company": "company",
        "title": "jobtitle",
        "employees": "numemployees",
        "country": "country",
        "campaign": "hs_analytics_first_touch_converting_campaign",
        "owner": "hubspot_owner_id",
        "created_at": "createdate",
    },
}
"""The CRM's own column names for each role: Salesforce Lead API names, HubSpot contact
property names."""

HUBSPOT_EMPLOYEES = {
    "1-5": "1",
    "5-25": "5",
    "25-50": "25",
    "50-100": "50",
    "100-500": "100",
    "500-1000": "500",
    "1000+": "1000",
}
"""HubSpot's `numemployees` is a range; the scaffold keeps its lower bound as the number."""


class ScaffoldError(ValueError):
    """The folder cannot be written, or the export cannot be read."""


@dataclass(frozen=True)
class ExportColumn:
    """A column of a leads export and what its values look like."""

    name: str
    field: str
    """The contract field proposed for it (a role's, or the column's name in snake case)."""
    type: str
    role: bool


def _loose(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.casefold())


def _snake(name: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    if not text or not text[0].isalpha():
        text = "field_" + text
    return text[:64]


_INTEGER = re.compile(r"^[+-]?(0|[1-9]\d*)$")
_NUMBER = re.compile(r"^[+-]?((0|[1-9]\d*)(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
"""Numbers as an export writes them; digits with a leading zero (a postal code, 02134) are a
code, not a number, and stay text."""
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_BOOLEAN = frozenset({"true", "false", "yes", "no", "0", "1"})


def _infer(values: Sequence[str]) -> str:
    """The narrowest type every non-empty sample value fits; string when there are none."""
    seen = [v.strip() for v in values if v.strip()]
    if not seen:
        return "string"
    checks: list[tuple[str, Callable[[str], object]]] = [
        ("boolean", lambda v: v.casefold() in _BOOLEAN and not _INTEGER.match(v)),
        ("integer", _INTEGER.match),
        ("number", _NUMBER.match),
        ("date", _DATE.match),
        ("datetime", _DATETIME.match),
    ]
    for name, check in checks:
        if all(check(v) for v in seen):
            return name
    return "string"


def _as_text(value: object) -> str:
    """A JSON or columnar value as a CSV cell would hold it (for the type guess)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, date) else str(value)


def _csv_sample(export: Path, sample_rows: int) -> tuple[list[str] | None, list[list[str]]]:
    """A CSV export's header and first rows, as text, read by the input layer as ``evaluate``
    reads them: a file it would refuse (UTF-16, separated by ``;``) or a record it cannot read
    (bytes that are not UTF-8) is named here with its line, before a contract is built on it."""
    from leadcontract.inputs import read_csv_header  # noqa: PLC0415 (lazy)

    try:
        header = read_csv_header(export, str(export))
    except (OSError, ValueError) as error:
        raise ScaffoldError(f"cannot read {error}") from error
    if header is None:
        return None, []
    records = _sample_records(export, sample_rows)
    return header, [[_as_text(r.get(name, "")) for name in header] for r in records]


def _sample_records(export: Path, sample_rows: int) -> list[dict[str, object]]:
    """The first ``sample_rows`` records of an export; a record that cannot be read is refused
    with its file and line (``evaluate`` would make it an error row)."""
    from leadcontract.inputs import InputFileError, RawRecord, RecordError, rows_from  # noqa: PLC0415

    records: list[dict[str, object]] = []
    bad: RecordError | None = None
    try:
        for item in rows_from(export, kind="lead"):
            if isinstance(item, RecordError):
                bad = item
                break
            if isinstance(item, RawRecord):
                records.append(dict(item.data))
            if len(records) >= sample_rows:
                break
    except InputFileError as error:  # its message names the file and line
        raise ScaffoldError(f"cannot read {error}") from error
    except (OSError, ValueError, ImportError) as error:
        raise ScaffoldError(f"cannot read {export}: {error}") from error
    if bad is not None:
        where = f"{bad.source}:{bad.line}" if bad.line is not None else bad.source
        raise ScaffoldError(f"cannot read {where}: record {bad.record}: {bad.message}")
    return records


def _flat(record: Mapping[str, object], prefix: str = "") -> Iterator[tuple[str, object]]:
    """A record's values by dotted name (``properties.email``), as fields read nested objects."""
    for key, value in record.items():
        if isinstance(value, Mapping):
            if key == "attributes":
                continue  # Salesforce's metadata, of the record or of a related one (Owner)
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _record_sample(export: Path, sample_rows: int) -> tuple[list[str], list[list[str]]]:
    """Any other export (JSON, a Salesforce query result, JSON Lines, Parquet...), read by the
    input layer as ``evaluate`` reads it: the record keys are the columns, in order of first
    appearance, and the values of nested objects are columns by their dotted name
    (``Owner.Alias``; HubSpot's v3 API nests every property: ``properties.email``).
    Salesforce's ``attributes`` are dropped by the reader."""
    records = [dict(_flat(r)) for r in _sample_records(export, sample_rows)]
    header = list(dict.fromkeys(key for r in records for key in r))
    return header, [[_as_text(r.get(name)) for name in header] for r in records]


def propose_fields(export: Path, *, sample_rows: int = 200) -> list[ExportColumn]:
    """Read an export's header and first rows; propose a field and a type per column.

    A ``.csv`` file is read as CSV; any other file the input layer reads (``.json``,
    ``.jsonl``, ``.parquet``...) by its records' keys.
    """
    dotted = export.suffix.lower() != ".csv" and export.is_file()
    header: list[str] | None
    if dotted:
        header, rows = _record_sample(export, sample_rows)
    else:
        header, rows = _csv_sample(export, sample_rows)
    if not header or not any(h.strip() for h in header):
        raise ScaffoldError(f"{export}:1: expected a header row of column names")
    roles = {_loose(c): role for role in ROLES for c in role.candidates}
    taken: set[str] = set()
    columns: list[ExportColumn] = []
    for index, name in enumerate(header):
        if not name.strip():
            continue  # an unnamed column (Excel's empty trailing ones): no field reads it
        # HubSpot's v3 properties play their roles by their own name; a related record's
        # values (Salesforce's Owner.Email) are not the lead's.
        leaf = name.removeprefix("properties.") if dotted else name
        role = roles.get(_loose(leaf))
        values = [row[index] for row in rows if index < len(row)]
        if role is not None and role.field not in taken:
            taken.add(role.field)
            columns.append(ExportColumn(name, role.field, role.type, True))
            continue
        field = _snake(leaf)
        if field in taken:
            field = _snake(name)
        while field in taken or field in {r.field for r in ROLES}:
            field += "_2"
        taken.add(field)
        columns.append(ExportColumn(name, field, _infer(values), False))
    return columns


# --- the files ------------------------------------------------------------------------------


def _monday_after(day: date) -> date:
    return day + timedelta(days=7 - day.weekday())


def _instant(day: date, hour: int) -> str:
    return datetime(day.year, day.month, day.day, hour).strftime("%Y-%m-%dT%H:%M:%SZ")


_CONTRACT = Template("""\
# yaml-language-server: $$schema=https://leadcontract.dev/schemas/leadcontract.schema.json
#
# $title: who agreed, since when, and the people who work the leads.
# The other files of this folder hold the sections; they are merged into one contract.
# Check it with `leadcontract lint $folder`, test it with `leadcontract test $folder`.
apiVersion: leadcontract/v1

metadata:
  id: $id
  version: 0.1.0          # bump it with every change both sides sign off (see `leadcontract diff`)
  title: $title
  owners:                 # at least one owner from marketing and one from sales
    - {name: Marketing Owner, team: marketing, email: marketing@example.com}
    - {name: Sales Owner, team: sales, email: sales@example.com}
  effective: {start: $start}
  timezone: America/New_York   # naive dates and times are read in this zone

calendars:
  office:                 # when the clocks of business-time SLAs run
    timezone: America/New_York
    hours:
      mon: ["09:00-17:00"]
      tue: ["09:00-17:00"]
      wed: ["09:00-17:00"]
      thu: ["09:00-17:00"]
      fri: ["09:00-17:00"]
    # holidays:
    #   regions: [{country: US, subdivision: NY}]   # public holidays, from the holidays package
    #   dates: [2026-12-24]                          # company days off

reps:
  sam: {name: Sam Rivera, role: sdr, calendar: office, manager: max}
  max: {name: Max Chen, role: manager, calendar: office}
""")

_LEAD = Template("""\
# What a lead is: its fields (with the CRM's column names as `source`), how it is scored,
# the stages it moves through, and the reasons sales may give to disqualify it.
apiVersion: leadcontract/v1

lead:
  keys: {id: lead_id, created: created_at, campaign: campaign, owner: owner}

  fields:
$fields
  events:                 # activity event types besides the built-in ones (touch, handoff...)
    webinar_attended: {description: Attended a webinar.}
    pricing_page_visit: {description: Visited the pricing page.}

  scoring:
    fit:                  # who the lead is
      cap: 50
      rules:
        - {id: company-size, when: employees >= 200, points: 20}
        - id: senior-title
          when: title matches "(?i)\\\\b(vp|director|head|chief)\\\\b"
          points: 20
        - id: personal-email
          description: Free-mail addresses rarely belong to a buyer.
          when: email matches "(?i)@(gmail|yahoo|hotmail|outlook)\\\\."
          points: -20
    engagement:           # what the lead did; points halve every 30 days
      cap: 50
      decay: {half_life: 30d}
      rules:
        - {id: webinar, event: webinar_attended, points: 20, max_count: 2}
        - {id: pricing, event: pricing_page_visit, points: 10, max_count: 3}

  lifecycle:              # the standard funnel; events move leads (accepted -> sal, ...)
    stages:
      - {id: inquiry, when: true, next: [mql, sal, disqualified]}
      - id: mql
        description: Marketing qualified.
        when: score >= 60
        next: [sal, disqualified, nurture]
      - {id: sal, description: Sales accepted the lead., next: [sql, disqualified, nurture]}
      - {id: sql, description: Sales qualified., next: [opportunity, disqualified, nurture]}
      - {id: opportunity, next: [won, lost]}
      - {id: won, terminal: true}
      - {id: lost, terminal: true, next: [nurture]}
      - {id: nurture, next: [mql, disqualified]}
      - {id: disqualified, terminal: true, next: [nurture]}

  disqualification:
    reasons:
      no-budget:
        label: No budget this year
        recycle: {to: nurture, after: 90d}   # back to marketing, to return in 90 days
        max_recycles: 2
      bad-data:
        label: Invalid contact data
""")

_CAMPAIGNS = Template("""\
# Each campaign says where its leads become sales' job (the handoff point).
apiVersion: leadcontract/v1

campaigns:
  webinar:
    name: Launch webinar
    channel: webinar
    window: {start: $start}
    handoff:
      stage: mql              # marketing qualifies first, then hands off
      qualified_by: marketing
      required_fields: [email, company]
      play: Open with the webinar topic and offer the recording.
    capacity: {leads_per_week: 20, reps: 1, leads_per_rep_per_week: 25}
""")

_SLAS = """\
# Follow-up promises: clocks in business time; every breach names the party that broke it.
apiVersion: leadcontract/v1

slas:
  first-touch:
    description: A handed-off lead is touched within 4 business hours.
    start: {event: handoff}
    stop: {event: touch}
    target: 4h
    calendar: office
    warn_at: [75]
    escalate_to: max

  accept-or-reject:
    description: Sales accepts or rejects a handed-off lead within 2 business days.
    start: {event: handoff}
    stop: {event: [accepted, disqualified]}
    target: 2d
    calendar: office
    escalate_to: max
"""

_SPIFFS = """\
# Incentives. Amounts are strings so that they stay exact.
apiVersion: leadcontract/v1

spiffs:
  webinar-sql:
    description: $50 for a webinar lead that reaches SQL after a first touch within the SLA.
    campaigns: [webinar]
    outcome: sql
    requires_slas: [first-touch]
    amount: {fixed: "50.00", currency: USD}
    cap: {amount: "500.00", currency: USD, per: month}
"""

_CASES = Template("""\
# yaml-language-server: $$schema=https://leadcontract.dev/schemas/leadcontract-tests.schema.json
#
# Contract tests: run them with `leadcontract test $folder --coverage`.
# Each case is a lead (by contract field names), its events and an instant; `expect` names
# only the parts of the verdict the case pins.
as_of: $as_of

cases:
  - name: a senior webinar attendee is an MQL, touched in time, and earns the spiff
    lead: {lead_id: S1, email: ana@acme.example, last_name: Ruiz, company: Acme,
           title: VP Operations, employees: 500, campaign: webinar, owner: sam,
           created_at: $created}
    events:
      - {type: webinar_attended, at: $webinar}
      - {type: pricing_page_visit, at: $webinar}
      - {type: handoff, at: $handoff}
      - {type: touch, channel: phone, actor: sam, at: $touch}
      - {type: accepted, actor: sam, at: $touch}
      - {type: qualified, actor: sam, at: $qualified}
    expect:
      stage: sql
      score: {min: 60}
      handoff: {done: true, complete: true}
      slas:
        first-touch: {status: met}
        accept-or-reject: {status: met}
      spiffs: {webinar-sql: 50}

  - name: a handed-off lead nobody touches breaches both SLAs, and sales answers for it
    lead: {lead_id: S2, email: bo@bolt.example, last_name: Berg, company: Bolt,
           title: Director of IT, employees: 300, campaign: webinar, owner: sam,
           created_at: $created}
    events:
      - {type: webinar_attended, at: $webinar}
      - {type: handoff, at: $handoff}
    expect:
      stage: mql
      slas:
        first-touch: {status: breached, party: sales}
        accept-or-reject: {status: breached, party: sales}

  - name: a free-mail address stays an inquiry
    lead: {lead_id: S3, email: someone@gmail.com, last_name: Cole, company: Cole Ltd,
           campaign: webinar, created_at: $created}
    events:
      - {type: pricing_page_visit, at: $webinar}
    expect:
      stage: inquiry
      score: {max: 59}
      slas:
        first-touch: {status: not_applicable}

  - name: a lead disqualified for no budget goes back to marketing's nurture track
    lead: {lead_id: S4, email: di@delta.example, last_name: Dunn, company: Delta,
           campaign: webinar, owner: sam, created_at: $created}
    events:
      - {type: handoff, at: $handoff}
      - {type: disqualified, actor: sam, reason: no-budget, at: $touch}
    expect:
      stage: nurture
      slas:
        accept-or-reject: {status: met}
""")


def _field_lines(sources: dict[str, str], extra: Sequence[ExportColumn], hubspot: bool) -> str:
    lines: list[str] = []
    for role in ROLES:
        parts = [f"type: {role.type}"]
        if role.required:
            parts.append("required: true")
        if role.pii:
            parts.append("pii: true")
        source = sources.get(role.field)
        if source is not None and source != role.field:
            parts.append(f"source: {json.dumps(source)}")
        line = f"    {role.field}: {{{', '.join(parts)}}}"
        if role.field == "employees" and hubspot:
            mapped = ", ".join(f'"{k}": "{v}"' for k, v in HUBSPOT_EMPLOYEES.items())
            line = line[:-1] + f",\n                value_map: {{{mapped}}}}}"
            line += "   # HubSpot's ranges, as their lower bound"
        lines.append(line)
    for column in extra:
        lines.append(
            f"    {column.field}: {{type: {column.type}, source: {json.dumps(column.name)}}}"
            "   # proposed from the export: check the type"
        )
    return "\n".join(lines) + "\n"


def _sample_leads(
    sources: dict[str, str], created: str, *, hubspot: bool
) -> tuple[list[str], list[list[str]]]:
    header = [sources.get(role.field, role.field) for role in ROLES]
    values = {
        "S1": {"email": "ana@acme.example", "last_name": "Ruiz", "company": "Acme",
               "title": "VP Operations", "employees": "500", "owner": "sam"},
        "S2": {"email": "bo@bolt.example", "last_name": "Berg", "company": "Bolt",
               "title": "Director of IT", "employees": "300", "owner": "sam"},
        "S3": {"email": "someone@gmail.com", "last_name": "Cole", "company": "Cole Ltd"},
    }  # fmt: skip
    rows = []
    for lead_id, fields in values.items():
        full = {"lead_id": lead_id, "campaign": "webinar", "created_at": created, **fields}
        if hubspot and "employees" in full:  # HubSpot exports a range; the value_map reads it
            full["employees"] = "1000+" if int(full["employees"]) < 500 else "500-1000"
        rows.append([full.get(role.field, "") for role in ROLES])
    return header, rows


def scaffold(
    folder: Path,
    *,
    start: date,
    crm: Crm | None = None,
    export: Path | None = None,
    title: str | None = None,
) -> list[Path]:
    """Write a new contract folder; returns the files written. Refuses a non-empty folder."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ScaffoldError(f"{folder} exists and is not an empty folder; choose a new one")
    sources: dict[str, str] = dict(CRM_PRESETS[crm]) if crm is not None else {}
    extra: list[ExportColumn] = []
    if export is not None:
        columns = propose_fields(export)
        sources.update({c.field: c.name for c in columns if c.role})
        extra = [c for c in columns if not c.role]
    contract_id = _snake(folder.resolve().name).replace("_", "-") or "lead-agreement"
    names = {
        "folder": str(folder),
        "id": contract_id,
        "title": title or f"{folder.resolve().name} lead agreement",
        "start": start.isoformat(),
    }
    monday = _monday_after(start)
    created = _instant(monday, 14)
    times = {
        "created": created,
        "webinar": _instant(monday, 15),
        "handoff": _instant(monday, 16),
        "touch": _instant(monday, 17),
        "qualified": _instant(monday + timedelta(days=2), 15),
        "as_of": _instant(monday + timedelta(days=9), 17),
    }
    files = {
        "contract.yaml": _CONTRACT.substitute(names),
        "lead.yaml": _LEAD.substitute(fields=_field_lines(sources, extra, crm == "hubspot")),
        "campaigns.yaml": _CAMPAIGNS.substitute(names),
        "slas.yaml": _SLAS,
        "spiffs.yaml": _SPIFFS,
        "tests/sample.yaml": _CASES.substitute(names, **times),
    }
    written: list[Path] = []
    try:
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
        written += _write_data(folder / "data", sources, times, hubspot=crm == "hubspot")
    except OSError as error:
        raise ScaffoldError(f"cannot write {error.filename}: {error.strerror}") from error
    return written


def _write_data(
    data: Path, sources: dict[str, str], times: dict[str, str], *, hubspot: bool
) -> list[Path]:
    data.mkdir(parents=True, exist_ok=True)
    leads = data / "leads.csv"
    header, rows = _sample_leads(sources, times["created"], hubspot=hubspot)
    with leads.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    events = [
        {"lead_id": "S1", "type": "webinar_attended", "at": times["webinar"]},
        {"lead_id": "S1", "type": "pricing_page_visit", "at": times["webinar"]},
        {"lead_id": "S1", "type": "handoff", "at": times["handoff"]},
        {
            "lead_id": "S1",
            "type": "touch",
            "channel": "phone",
            "actor": "sam",
            "at": times["touch"],
        },
        {"lead_id": "S1", "type": "accepted", "actor": "sam", "at": times["touch"]},
        {"lead_id": "S1", "type": "qualified", "actor": "sam", "at": times["qualified"]},
        {"lead_id": "S2", "type": "webinar_attended", "at": times["webinar"]},
        {"lead_id": "S2", "type": "handoff", "at": times["handoff"]},
        {"lead_id": "S3", "type": "pricing_page_visit", "at": times["webinar"]},
    ]
    path = data / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    readme = data / "README.md"
    readme.write_text(
        "Sample data for the scaffold: three leads and their events. Evaluate them with\n\n"
        f"    leadcontract evaluate {data.parent} --leads {leads} --events {path} "
        f"--as-of {times['as_of']}\n",
        encoding="utf-8",
    )
    return [leads, path, readme]
