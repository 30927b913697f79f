"""Synthetic lead records and activity events for the example contract.

A deterministic generator of realistic CRM data for ``contracts/example``: lead rows as a
Salesforce export shows them (the ``source`` column names of the contract's fields, Salesforce
labels such as ``Technology`` or ``Partner Referral``, ``true``/``false``, blanks) and the
activity events of those leads (marketing engagement, handoffs, sales touches, acceptance and
disqualification, the funnel down to won, lost and refunded deals).

It serves two purposes: the example data checked in under ``contracts/example/data`` (240 leads,
small enough to read) and benchmarks (10k to 1M leads). :func:`generate` is a generator: it
holds one lead at a time, so memory does not grow with the number of leads.

Determinism
    Everything is drawn from one ``random.Random(seed)`` in a fixed order; there is no wall
    clock and no global random state. The same ``(n_leads, seed, as_of)`` always gives the same
    leads and events, and :func:`write_dataset` the same bytes.

The story (see ``contracts/example/data/README.md`` for the counts of the example)
    Leads arrive on the 44 days from 46 days before ``as_of`` (1 October to 13 November 2026
    for the default), from four campaigns: webinar-q4 (35 %, most of it a burst after the big
    webinar of 27 October that exceeds the campaign's weekly capacity of 60), demo-request
    (20 %), partner-emea (15 %) and content-syndication (30 %). Demo requests are handed to
    sales at creation (a ``handoff`` event at ``CreatedDate``; their ``demo_requested`` event
    is at ``form_submitted_at``, minutes earlier); the others are handed off when their score
    would make them MQLs (nine in ten of those), and a fifth of the handed-off webinar and
    content leads lack a handoff field. Most handed-off leads are never touched, a fifth late,
    a quarter on time; reps differ a lot. Touched leads are accepted, disqualified (sometimes
    without a valid reason or the required note) or left pending; some reach opportunity,
    won, lost or refunded. The story's decisions draw from small shuffled decks
    (:class:`_Deck`), so even the 240-lead example has the intended proportions.

Data quirks, on purpose
    About 1 % of the events name lead ids that are not in the leads file (``L9…``, activity of
    leads deleted before the export; :attr:`GeneratedLead.stray_events`), and about 1 % happen
    after ``as_of`` (the export ran 20 hours later). Lead rows are all valid for the
    contract.

Run ``python -m leadcontract.synthetic --leads 240 --seed 2026 --out contracts/example/data``
to regenerate the example data.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

from leadcontract.calendar import BusinessCalendar
from leadcontract.durations import Duration
from leadcontract.inputs import EVENT_ATTRIBUTES

__all__ = [
    "CAMPAIGN_SHARES",
    "COLUMNS",
    "EVENT_KEYS",
    "EXAMPLE_AS_OF",
    "GeneratedLead",
    "generate",
    "main",
    "write_dataset",
]

EXAMPLE_AS_OF: Final = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)
"""The evaluation time the example data is made for (Monday 16 November 2026, noon in NY)."""

COLUMNS: Final = (
    "Id",
    "Email",
    "FirstName",
    "LastName",
    "Phone",
    "Company",
    "Title",
    "Country",
    "timezone",
    "Industry",
    "NumberOfEmployees",
    "AnnualRevenue",
    "LeadSource",
    "Rating",
    "CampaignId",
    "OwnerId",
    "CreatedDate",
    "form_submitted_at",
    "DoNotCall",
    "HasOptedOutOfEmail",
)
"""Lead columns: the CRM ``source`` of each contract field, the field name where it has none."""

EVENT_KEYS: Final = EVENT_ATTRIBUTES
"""The keys of an event, in the order written (the engine's event attributes); keys without
a value are left out."""

CAMPAIGN_SHARES: Final = {
    "webinar-q4": 0.35,
    "demo-request": 0.20,
    "partner-emea": 0.15,
    "content-syndication": 0.30,
}
"""Expected share of the leads each campaign brings (drawn per lead, so only about)."""

DEFAULT_LEADS: Final = 240
DEFAULT_SEED: Final = 2026
LEADS_FILE: Final = "leads.csv"
EVENTS_FILE: Final = "events.jsonl"


@dataclass(frozen=True)
class GeneratedLead:
    """One lead row (CRM columns, all text) and its events in ascending time.

    ``stray_events`` are events generated alongside this lead that name a lead id *not* in the
    leads file (a deleted lead's activity); :func:`write_dataset` writes them after every lead's
    events, where their ``L9…`` ids sort. Their ids ascend across the stream.
    """

    row: dict[str, str]
    events: list[dict[str, Any]]
    stray_events: list[dict[str, Any]] = field(default_factory=list)


# --- the example contract, as far as the generator needs it ---------------------------------
# tests/test_synthetic.py checks these against contracts/example/*.yaml.

_T = TypeVar("_T")

_NY: Final = "America/New_York"
_BERLIN: Final = "Europe/Berlin"

_US_EAST_HOURS: Final = {
    **{day: [(time(9), time(17, 30))] for day in range(4)},
    4: [(time(9), time(16))],
}
_EMEA_HOURS: Final = {
    **{day: [(time(8, 30), time(12, 30)), (time(13, 30), time(17, 30))] for day in range(4)},
    4: [(time(8, 30), time(12, 30)), (time(13, 30), time(16))],
}


def _us_east() -> BusinessCalendar:
    return BusinessCalendar(
        _NY,
        _US_EAST_HOURS,
        holidays=[date(2026, 12, 24), date(2026, 12, 31)],
        holiday_regions=[("US", "NY")],
    )


def _emea() -> BusinessCalendar:
    return BusinessCalendar(
        _BERLIN,
        _EMEA_HOURS,
        holidays=[date(2026, 12, 24)],
        holiday_regions=[("DE", "BE"), ("NO", None)],
    )


_Cards = tuple[tuple[str, int], ...]
"""A deck's options: (value, number of cards)."""


def _habit(on_time: float, late: float, *, diligent: float = 0.28) -> _Cards:
    """First-touch cards out of 10: on time (some of them diligent), late, never.

    Small decks: even a rep with a handful of leads shows about their habit.
    """
    on = round(on_time * 10)
    eager = round(on * diligent)
    slow = round(late * 10)
    return (("on_time", on - eager), ("diligent", eager), ("late", slow), ("never", 10 - on - slow))


@dataclass(frozen=True)
class _Rep:
    zone: str
    calendar: str  # "us-east" or "emea"
    on_time: float  # share of handed-off leads touched within the SLA
    late: float  # share touched, but late; the rest is never touched
    diligent: float = 0.28  # share of the on-time leads worked with six attempts
    demo_boost: float = 1.75  # demo requests are hotter: more of them are touched on time

    @property
    def habit(self) -> _Cards:
        return _habit(self.on_time, self.late, diligent=self.diligent)

    @property
    def demo_habit(self) -> _Cards:
        on_time = min(self.on_time * self.demo_boost, 1 - self.late)
        return _habit(on_time, self.late, diligent=self.diligent)


_REPS: Final = {
    "ava": _Rep(_NY, "us-east", 0.3, 0.2),
    "ben": _Rep("America/Chicago", "us-east", 0.1, 0.1),
    "carl": _Rep(_NY, "us-east", 0.3, 0.2),
    "dana": _Rep("America/Los_Angeles", "us-east", 0.1, 0.2),
    "emil": _Rep(_BERLIN, "emea", 0.3, 0.2),
    "frieda": _Rep("Europe/Oslo", "emea", 0.2, 0.2),
    "datahaus": _Rep(_BERLIN, "emea", 0.1, 0.6, diligent=0.0),
}
"""The reps who own leads (``mia`` manages and owns none), with their follow-up habits."""

_OWNERS: Final = {
    # campaign, region -> (owner, weight)
    ("webinar-q4", "na"): (("ava", 4), ("ben", 4), ("carl", 1), ("dana", 1)),
    ("content-syndication", "na"): (("ava", 4), ("ben", 4), ("carl", 1), ("dana", 1)),
    ("demo-request", "na"): (("ava", 25), ("ben", 10), ("carl", 40), ("dana", 25)),
    ("webinar-q4", "emea"): (("emil", 6), ("frieda", 4)),
    ("content-syndication", "emea"): (("emil", 6), ("frieda", 4)),
    ("demo-request", "emea"): (("emil", 5), ("frieda", 5)),
    ("partner-emea", "emea"): (("datahaus", 16), ("emil", 2), ("frieda", 2)),
}

_REASONS: Final = (  # a deck of 20 cards
    ("not-ready", 4),
    ("no-budget", 4),
    ("not-decision-maker", 3),
    ("competitor-chosen", 3),
    ("bad-data", 2),
    ("student-or-job-seeker", 2),
    ("existing-customer", 2),
)
_NOTE_REQUIRED: Final = frozenset({"not-decision-maker", "competitor-chosen"})
_NO_FEEDBACK: Final = frozenset({"student-or-job-seeker"})
_UNKNOWN_REASONS: Final = ("not-interested", "duplicate", "Wrong number", "spam")
_REQUIRED_NOTES: Final = {
    "competitor-chosen": (
        "Went with Contoso Insight after a bake-off",
        "Renewed with Fabrikam BI for two more years",
        "Chose Tailspin Analytics (cheaper per seat)",
    ),
    "not-decision-maker": (
        "Analyst doing research; the IT director decides",
        "Intern, forwarded to the CFO's office",
    ),
}
_FEEDBACK: Final = (
    "Lead was not a fit for the campaign's audience",
    "Please nurture; revisit next quarter",
    "Contact data was wrong; check the list source",
    "Talked to the prospect; no project this year",
)
_OUTCOMES: Final = (("accepted", 8), ("disqualified", 7), ("pending", 5))
_PARTNER_OUTCOMES: Final = (("accepted", 15), ("disqualified", 2), ("pending", 3))
_FUNNEL: Final[dict[str, dict[str, _Cards]]] = {
    "direct": {
        "meeting": (("yes", 11), ("no", 9)),
        "after-meeting": (("disqualified", 1), ("stall", 4), ("qualified", 5)),
        "opportunity": (("yes", 9), ("no", 1)),
        "close": (("won", 4), ("lost", 3), ("open", 3)),
    },
    "partner": {
        "meeting": (("yes", 18), ("no", 2)),
        "after-meeting": (("disqualified", 1), ("stall", 2), ("qualified", 17)),
        "opportunity": (("yes", 19), ("no", 1)),
        "close": (("won", 15), ("lost", 3), ("open", 2)),
    },
}

# Engagement scoring of the contract: event -> (points, max_count); fit rules in _fit().
_ENGAGEMENT_POINTS: Final = {
    "demo_requested": (40, 1),
    "webinar_attended": (15, 2),
    "pricing_page_visit": (10, 3),
    "content_download": (5, 4),
    "email_click": (2, 5),
}
_HALF_LIFE_DAYS: Final = 30.0
_MQL_SCORE: Final = 60
_MQL_FIT: Final = 20
_SENIOR_WORDS: Final = ("vp", "vice president", "director", "head", "chief")
_SENIOR_CXO: Final = frozenset({"ceo", "cio", "cto", "cfo", "coo"})
_FREE_MAIL: Final = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com")
_NON_ICP_LABELS: Final = frozenset({"Healthcare", "Retail", "Education"})

# --- fake but plausible people and companies ------------------------------------------------

_FIRST_NA: Final = (
    "James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "Daniel",
    "Sarah", "Kevin", "Emily", "Jason", "Ashley", "Brian", "Jessica", "Carlos", "Maria", "Wei",
    "Priya", "Andre", "Keisha", "Tyler", "Megan", "Omar", "Grace", "Luis", "Hannah", "Raj",
    "Olivia",
)  # fmt: skip
_LAST_NA: Final = (
    "Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Lee", "Nguyen",
    "Patel", "Kim", "Clark", "Lewis", "Walker", "Hall", "Young", "Allen", "King", "Wright",
    "Scott", "Chen", "Murphy", "O'Brien",
)  # fmt: skip
_FIRST_EU: Final = (
    "Lukas", "Anna", "Jonas", "Lea", "Felix", "Sophie", "Max", "Laura", "Thomas", "Julia",
    "Jan", "Sanne", "Pieter", "Emma", "Oliver", "Charlotte", "Lars", "Ingrid", "Erik", "Astrid",
    "Pierre", "Camille", "Jürgen", "Björn", "Søren", "Zoë", "Mateo",
)  # fmt: skip
_LAST_EU: Final = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Hoffmann", "de Jong", "Jansen", "de Vries", "Bakker", "Hansen", "Johansen", "Larsen",
    "Andersson", "Nilsson", "Dubois", "Martin", "Bernard", "Jones", "Evans", "Huber", "Gruber",
    "Brown",
)  # fmt: skip
_COMPANY_WORDS: Final = (
    "Harborview", "Pinecrest", "Redwood", "Bluewater", "Ironbridge", "Northgate", "Silverline",
    "Brightpath", "Lakeside", "Granite", "Cedar Ridge", "Summit", "Meridian", "Keystone",
    "Falcon", "Oakridge", "Riverbend", "Stonefield", "Clearwater", "Highland", "Westbrook",
    "Copperleaf", "Evergreen", "Sunrise", "Blackstone Valley", "Maple", "Beacon", "Alder",
    "Tidewater", "Kestrel",
)  # fmt: skip
_INDUSTRIES: Final = (
    # (contract value, Salesforce labels, company name suffixes), weight
    (("software", ("Technology", "Software"), ("Software", "Labs", "Systems", "Cloud")), 30),
    (("financial-services", ("Banking", "Finance", "Insurance"),
      ("Bank", "Capital", "Insurance", "Financial")), 22),
    (("manufacturing", ("Manufacturing",), ("Manufacturing", "Industries", "Components")), 16),
    (("healthcare", ("Healthcare",), ("Health", "Medical", "Clinics")), 10),
    (("retail", ("Retail",), ("Retail", "Outfitters", "Markets")), 8),
    (("education", ("Education",), ("University", "Academy", "College")), 6),
    (("", ("Select", ""), ("Group", "Partners", "Logistics", "Holdings")), 8),
)  # fmt: skip
_SENIOR_TITLES: Final = (
    "VP of Operations", "Vice President, Analytics", "Director of Operations",
    "Director, Business Intelligence", "Head of Data", "Head of Supply Chain",
    "Chief Operating Officer", "CFO", "CIO", "CTO",
)  # fmt: skip
_OTHER_TITLES: Final = (
    "Operations Manager", "Data Analyst", "Senior Analyst", "BI Developer",
    "Operations Coordinator", "IT Manager", "Controller", "Data Engineer",
    "Supply Chain Analyst", "Consultant", "Marketing Manager", "Student",
)  # fmt: skip
_NA_COUNTRIES: Final = (("United States", 85), ("Canada", 15))
_EU_COUNTRIES: Final = (("United Kingdom", 40), ("Germany", 25), ("Netherlands", 15),
                        ("France", 20))  # fmt: skip
_PARTNER_COUNTRIES: Final = (
    ("Germany", 45), ("Austria", 10), ("Switzerland", 10), ("Netherlands", 12), ("Norway", 8),
    ("Sweden", 7), ("Denmark", 8),
)  # fmt: skip
_ZONES: Final = {
    # country -> ((zone, phone number prefix), weight), ...
    "United States": (
        ((_NY, "(212) 555-01"), 30), ((_NY, "(617) 555-01"), 15),
        (("America/Chicago", "(312) 555-01"), 25), (("America/Denver", "(303) 555-01"), 8),
        (("America/Los_Angeles", "(415) 555-01"), 22),
    ),
    "Canada": ((("America/Toronto", "(416) 555-01"), 60),
               (("America/Vancouver", "(604) 555-01"), 40)),
    "United Kingdom": ((("Europe/London", "+44 20 7946 0"), 1),),
    "Germany": (((_BERLIN, "+49 30 9012 3"), 1),),
    "Austria": ((("Europe/Vienna", "+43 1 5123 4"), 1),),
    "Switzerland": ((("Europe/Zurich", "+41 44 668 1"), 1),),
    "Netherlands": ((("Europe/Amsterdam", "+31 20 794 6"), 1),),
    "Norway": ((("Europe/Oslo", "+47 22 11 0"), 1),),
    "Sweden": ((("Europe/Stockholm", "+46 8 464 0"), 1),),
    "Denmark": ((("Europe/Copenhagen", "+45 33 12 4"), 1),),
    "France": ((("Europe/Paris", "+33 1 7090 1"), 1),),
}  # fmt: skip
_LEGAL_FORMS: Final = {
    "United States": ("", "", ", Inc.", ", LLC"),
    "Canada": ("", ", Inc.", " Ltd."),
    "United Kingdom": (" Ltd", " plc", ""),
    "Germany": (" GmbH", " AG", " GmbH & Co. KG"),
    "Austria": (" GmbH", " AG"),
    "Switzerland": (" AG", " SA"),
    "Netherlands": (" B.V.", " N.V."),
    "Norway": (" AS", " ASA"),
    "Sweden": (" AB",),
    "Denmark": (" A/S", " ApS"),
    "France": (" SAS", " SA"),
}
_LEAD_SOURCES: Final = {
    "webinar-q4": (("Webinar", 85), ("Select", 5), ("", 5), ("Other", 5)),
    "demo-request": (("Web", 88), ("Phone Inquiry", 4), ("Select", 4), ("", 4)),
    "partner-emea": (("Partner Referral", 94), ("Trade Show", 3), ("", 3)),
    "content-syndication": (("Purchased List", 60), ("Web", 25), ("Other", 10), ("", 5)),
}
_PRODUCTS: Final = (
    ("Northwind Ops Analytics", 60),
    ("Northwind Ops Analytics Enterprise", 25),
    ("Data Audit Package", 15),
)
_TRANSLIT: Final = str.maketrans(
    {"ü": "ue", "ö": "oe", "ä": "ae", "ø": "o", "å": "a", "ë": "e", "é": "e", "ß": "ss",
     "'": "", " ": ""}
)  # fmt: skip

# Webinars of the scenario: (day after the scenario start, NY hour, share of webinar leads,
# last day of the on-demand tail after the start). Day 26 is Tuesday 27 October 2026 for the
# default as_of: the big one, its leads arrive within Tuesday to Friday of one week.
_WEBINARS: Final = (
    (5, 13, 0.05, 10),
    (14, 11, 0.05, 20),
    (26, 13, 0.8, 30),
    (35, 13, 0.05, 41),
    (42, 11, 0.05, 44),
)
_SCENARIO_DAYS: Final = 44
"""Leads are created on the 44 days from ``as_of``'s date minus 46 days (1 Oct to 13 Nov)."""
_BIN: Final = timedelta(minutes=5)
_EXPORT_LAG: Final = timedelta(hours=20)
"""The export was taken this long after ``as_of``: events up to then are in it."""

_MARKETING_OPS: Final = "marketing-ops"


# --- arrivals --------------------------------------------------------------------------------


class _Arrivals:
    """When leads are created and from which campaign, as a stratified inverse CDF.

    Time is cut into 5-minute bins; each campaign has a density over the bins (demo requests
    around the clock with a New York business-hours peak, partner leads in Berlin office
    hours, content syndication in vendor batches on Tuesday and Thursday mornings, webinars
    right after each live session plus an on-demand tail). Lead ``i`` of ``n`` takes the
    quantile ``(i + u) / n`` of the total: creation times ascend with the lead id, and the
    campaign is drawn from the densities at that instant.
    """

    def __init__(self, start: datetime) -> None:
        self.start = start
        bins = _SCENARIO_DAYS * 24 * 12
        ny = ZoneInfo(_NY)
        berlin = ZoneInfo(_BERLIN)
        demo = array("d", bytes(8 * bins))
        partner = array("d", bytes(8 * bins))
        content = array("d", bytes(8 * bins))
        webinar = array("d", bytes(8 * bins))
        daytime = array("d", bytes(8 * bins))
        for b in range(bins):
            at = start + _BIN * b + _BIN / 2
            local = at.astimezone(ny)
            hour = local.hour + local.minute / 60
            weekday = local.weekday()
            if weekday < 5:
                if 9 <= hour < 18:
                    demo[b] = 1.0
                elif 7 <= hour < 22:
                    demo[b] = 0.35
                else:
                    demo[b] = 0.06
                if weekday in (1, 3) and 10 <= hour < 10.5:
                    content[b] = 1.0
                daytime[b] = 1.0 if 8 <= hour < 20 else 0.1
            else:
                demo[b] = 0.2 if 8 <= hour < 22 else 0.04
                daytime[b] = 0.3 if 9 <= hour < 20 else 0.03
            there = at.astimezone(berlin)
            if there.weekday() < 5 and 9 <= there.hour < 17:
                partner[b] = 1.0
        for day, hour, share, tail_end in _WEBINARS:
            begin = datetime.combine(start.date() + timedelta(days=day), time(hour), ny)
            live_from = self._bin(begin + timedelta(minutes=55))
            live_to = self._bin(begin + timedelta(minutes=75))
            end = datetime.combine(start.date() + timedelta(days=tail_end), time(0), ny)
            tail_to = min(self._bin(end), bins)
            live = [1.0] * (live_to - live_from)
            tail = [
                daytime[b] * 0.5 ** ((b - live_to) / (24 * 12)) for b in range(live_to, tail_to)
            ]
            for offset, weight in enumerate(live):
                webinar[live_from + offset] += 0.6 * share * weight / sum(live)
            for offset, weight in enumerate(tail):
                webinar[live_to + offset] += 0.4 * share * weight / sum(tail)
        self.weights: list[tuple[str, array[float]]] = []
        for campaign, density in (
            ("webinar-q4", webinar),
            ("demo-request", demo),
            ("partner-emea", partner),
            ("content-syndication", content),
        ):
            total = sum(density)
            share = CAMPAIGN_SHARES[campaign]
            self.weights.append(
                (campaign, array("d", (share * weight / total for weight in density)))
            )
        cumulative = array("d", bytes(8 * bins))
        running = 0.0
        for b in range(bins):
            running += sum(weights[b] for _, weights in self.weights)
            cumulative[b] = running
        self.cumulative = cumulative
        self.total = running

    def _bin(self, at: datetime) -> int:
        return int((at - self.start) / _BIN)

    def lead(self, quantile: float) -> tuple[datetime, str]:
        """Creation time (whole seconds, UTC) and campaign at ``quantile`` in ``[0, 1)``."""
        x = quantile * self.total
        b = min(bisect_right(self.cumulative, x), len(self.cumulative) - 1)
        before = self.cumulative[b - 1] if b else 0.0
        width = self.cumulative[b] - before
        rest = min(max(x - before, 0.0), width)
        seconds = int(_BIN.total_seconds() * rest / width) if width > 0 else 0
        at = self.start + _BIN * b + timedelta(seconds=seconds)
        for campaign, weights in self.weights:
            if rest < weights[b]:
                return at, campaign
            rest -= weights[b]
        return at, self.weights[-1][0]


# --- helpers -----------------------------------------------------------------------------------


def _pick(rng: random.Random, options: Sequence[tuple[_T, int]]) -> _T:
    """One of the values, with probability proportional to its weight."""
    total = sum(weight for _, weight in options)
    x = rng.random() * total
    for value, weight in options:
        if x < weight:
            return value
        x -= weight
    return options[-1][0]


def _sf_time(at: datetime) -> str:
    """Salesforce export style: ``2026-10-05T14:03:00.000+0000``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _iso(at: datetime) -> str:
    """ISO 8601 in UTC, whole seconds: ``2026-10-05T14:03:27Z``."""
    return at.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


def _is_senior(title: str) -> bool:
    words = title.lower().replace(",", " ").split()
    text = " ".join(words)
    return any(w in _SENIOR_CXO for w in words) or any(
        f" {word} " in f" {text} " for word in _SENIOR_WORDS
    )


def _fit(industry: str, employees: int | None, title: str, email: str) -> int:
    """The contract's fit score (rules icp-industry … personal-email, capped at 50)."""
    score = 0
    if industry in ("software", "financial-services", "manufacturing"):
        score += 15
    if employees is not None and employees >= 200:
        score += 15
    if employees is not None and employees >= 2000:
        score += 10
    if title and _is_senior(title):
        score += 15
    if email.rsplit("@", 1)[-1] in _FREE_MAIL:
        score -= 20
    return min(score, 50)


def _engagement(events: Sequence[tuple[datetime, str]], now: datetime) -> float:
    """The contract's engagement score at ``now`` (max counts, 30-day half-life, cap 50)."""
    counts: dict[str, int] = {}
    score = 0.0
    for at, kind in events:
        rule = _ENGAGEMENT_POINTS.get(kind)
        if rule is None or at > now:
            continue
        points, max_count = rule
        seen = counts.get(kind, 0)
        if seen >= max_count:
            continue
        counts[kind] = seen + 1
        age_days = (now - at).total_seconds() / 86_400
        score += points * 0.5 ** (age_days / _HALF_LIFE_DAYS)
    return min(score, 50.0)


@dataclass
class _Event:
    at: datetime
    kind: str
    actor: str | None = None
    channel: str | None = None
    reason: str | None = None
    note: str | None = None
    amount: str | None = None
    product: str | None = None
    seats: int | None = None

    def to_json(self, lead_id: str) -> dict[str, Any]:
        values = (
            lead_id,
            self.kind,
            _iso(self.at),
            self.actor,
            self.channel,
            self.reason,
            self.note,
            self.amount,
            self.product,
            self.seats,
        )
        return {k: v for k, v in zip(EVENT_KEYS, values, strict=True) if v is not None}


@dataclass
class _Lead:
    """What the event generation of one lead needs to know about it."""

    lead_id: str
    campaign: str
    created: datetime
    owner: str
    zone: str  # where the lead really is
    timezone: str = ""  # the zone the CRM knows (blank when unknown)
    form_at: datetime | None = None
    do_not_call: bool = False
    opted_out: bool = False
    events: list[_Event] = field(default_factory=list)


_CHANNELS: Final[_Cards] = (("phone", 45), ("email", 40), ("linkedin", 15))
_CHANNELS_NO_PHONE: Final[_Cards] = (("email", 70), ("linkedin", 30))  # respects DoNotCall
_CHANNELS_NO_EMAIL: Final[_Cards] = (("phone", 70), ("linkedin", 30))  # respects the opt-out


class _Deck:
    """A shuffled deck of weighted cards, reshuffled when it runs out.

    The story's decisions (is this lead touched on time? accepted? given feedback?) draw
    cards instead of independent random numbers: every full deck has the exact shares, so
    even the small example tells the story with the intended proportions, still in random
    order.
    """

    __slots__ = ("_cards", "_options", "_rng")

    def __init__(self, rng: random.Random, options: Sequence[tuple[str, int]]) -> None:
        self._rng = rng
        self._options = tuple(options)
        self._cards: list[str] = []

    def draw(self) -> str:
        if not self._cards:
            self._cards = [value for value, count in self._options for _ in range(count)]
            self._rng.shuffle(self._cards)
        return self._cards.pop()


# --- the generator ------------------------------------------------------------------------------


BLOCK: Final = 50_000
"""Leads per block. Each block has its own random stream, decks and numbers, so blocks can be
made in parallel (:func:`write_dataset`) and still give the same bytes as one stream."""
_STRAY_NUMBERS_PER_BLOCK: Final = 3 * -(-BLOCK // 20)
"""A block has one stray lead per 20 (a deck) and each takes the next 1 to 3 numbers: the
numbers of block ``k`` start here times ``k``, so stray ids ascend across blocks."""


@dataclass(frozen=True)
class _World:
    """What every block shares and is costly to build: arrivals and calendars."""

    start: datetime
    arrivals: _Arrivals
    base: dict[str, BusinessCalendar]
    calendars: dict[tuple[str, str], BusinessCalendar]

    @classmethod
    def of(cls, as_of: datetime) -> _World:
        start_day = as_of.astimezone(UTC).date() - timedelta(days=46)
        start = datetime.combine(start_day, time(0), UTC)
        base = {"us-east": _us_east(), "emea": _emea()}
        return cls(start, _Arrivals(start), base, {})


class _Generator:
    """The state of one block of a generation run: the random stream, the decks and numbers."""

    def __init__(self, n_leads: int, seed: int, as_of: datetime, world: _World, block: int) -> None:
        self.n = n_leads
        # Block 0 draws from Random(seed) itself: data of up to BLOCK leads (the example) is
        # what it always was; every later block has a stream of its own.
        self.rng = random.Random(seed if block == 0 else f"{seed}/{block}")
        self.start = world.start
        self.export_at = as_of + _EXPORT_LAG
        self.arrivals = world.arrivals
        self.base = world.base
        self.calendars = world.calendars
        width = max(6, len(str(n_leads)))
        if n_leads >= 9 * 10 ** (width - 1):
            width += 1
        self.width = width
        self.stray_number = block * _STRAY_NUMBERS_PER_BLOCK
        self.decks: dict[str, _Deck] = {}
        self.partner_wins = 0
        self.pending_gaps = 0
        self.refunds = 0

    def draw(self, key: str, options: Sequence[tuple[str, int]]) -> str:
        """The next card of the deck ``key`` (made of ``options`` on first use)."""
        deck = self.decks.get(key)
        if deck is None:
            deck = self.decks[key] = _Deck(self.rng, options)
        return deck.draw()

    def calendar(self, name: str, zone: str) -> BusinessCalendar:
        key = (name, zone)
        found = self.calendars.get(key)
        if found is None:
            found = self.calendars[key] = self.base[name].in_zone(zone)
        return found

    # business-time placement

    def within_day(self, cal: BusinessCalendar, at: datetime, lo: float, hi: float) -> datetime:
        """A working instant between fractions ``lo`` and ``hi`` of one business day after."""
        total = cal.elapsed(at, cal.add(at, Duration(days=1)))
        return cal.add(at, total * self.rng.uniform(lo, hi))

    def days_later(self, cal: BusinessCalendar, at: datetime, days: int, hours: float) -> datetime:
        """``days`` business days after ``at``, then up to ``hours`` business hours more."""
        if days:
            at = cal.add(at, Duration(days=days))
        return cal.add(at, timedelta(minutes=self.rng.uniform(1, 60 * hours)))

    # one lead

    def lead(self, index: int) -> GeneratedLead:
        rng = self.rng
        lead_id = f"L{index + 1:0{self.width}d}"
        created, campaign = self.arrivals.lead((index + rng.random()) / self.n)
        if campaign == "partner-emea":
            region = "emea"
            country = _pick(rng, _PARTNER_COUNTRIES)
        else:
            region = "emea" if rng.random() < 0.1 else "na"
            country = _pick(rng, _EU_COUNTRIES if region == "emea" else _NA_COUNTRIES)
        zone, phone_prefix = _pick(rng, _ZONES[country])
        owner = _pick(rng, _OWNERS[(campaign, region)])
        if campaign != "demo-request" and rng.random() < 0.02:
            owner = ""  # stuck in a queue
        lead = _Lead(lead_id, campaign, created, owner, zone)
        row, fit = self.profile(lead, region, country, phone_prefix)

        marketing = self.engagement(lead, fit)
        lead.events.extend(
            _Event(at, kind, channel="email" if kind == "email_click" else None)
            for at, kind in marketing
        )
        handoff = self.handoff(lead, fit, marketing)
        if campaign in ("webinar-q4", "content-syndication"):
            self.gaps(row, handed_off=handoff is not None)
        if handoff is not None and owner:
            self.follow_up(lead, handoff)

        events = sorted((e for e in lead.events if e.at <= self.export_at), key=lambda e: e.at)
        stray = self.draw("stray", (("yes", 1), ("no", 19))) == "yes"
        strays = self.strays(created) if stray else []
        return GeneratedLead(row, [e.to_json(lead_id) for e in events], strays)

    def profile(
        self, lead: _Lead, region: str, country: str, phone_prefix: str
    ) -> tuple[dict[str, str], int]:
        """The lead's CRM row (a fake person at a fake company) and its fit score."""
        rng = self.rng
        campaign = lead.campaign
        partner = campaign == "partner-emea"
        first, last, email, company, (industry, labels, _) = self.person(region, country)
        buyer_bias = {"partner-emea": 0.3, "demo-request": 0.1}.get(campaign, 0.0)
        title = rng.choice(_SENIOR_TITLES if rng.random() < 0.55 + buyer_bias else _OTHER_TITLES)
        label = rng.choice(labels) if industry or rng.random() < 0.5 else ""
        phone = f"{phone_prefix}{rng.randint(0, 99):02d}"
        employees, revenue = self.size(buyer_bias, known=partner or rng.random() >= 0.08)

        # required handoff fields start complete; marketing's misses come in gaps()
        if campaign == "content-syndication":
            if not industry:  # industry is required: the vendor always fills it in
                industry, labels, _ = _INDUSTRIES[0][0]
            label = label if label and label != "Select" else labels[0]
            if rng.random() < 0.2:
                phone = ""  # not required for content leads
        elif campaign == "demo-request":
            if rng.random() < 0.2:
                phone = ""
            if rng.random() < 0.15:
                title = ""
        elif partner and rng.random() < 0.1:
            title = ""  # not required for partner leads
        lead.timezone = lead.zone if rng.random() < 0.88 else ""
        lead.do_not_call = rng.random() < 0.04
        lead.opted_out = rng.random() < 0.05
        fit = _fit(industry if label not in ("", "Select") else "", employees, title, email)
        if campaign == "demo-request":
            lead.form_at = lead.created - timedelta(seconds=rng.randint(60, 720))
            rating = _pick(rng, (("Hot", 50), ("Warm", 30), ("", 20)))
        else:
            rating = _pick(rng, (("Hot", 5), ("Warm", 25), ("Cold", 30), ("", 40)))
        row = {
            "Id": lead.lead_id,
            "Email": email,
            "FirstName": first if rng.random() < 0.97 else "",
            "LastName": last,
            "Phone": phone,
            "Company": company,
            "Title": title,
            "Country": country,
            "timezone": lead.timezone,
            "Industry": label,
            "NumberOfEmployees": "" if employees is None else str(employees),
            "AnnualRevenue": revenue,
            "LeadSource": _pick(rng, _LEAD_SOURCES[campaign]),
            "Rating": rating,
            "CampaignId": campaign,
            "OwnerId": lead.owner,
            "CreatedDate": _sf_time(lead.created),
            "form_submitted_at": "" if lead.form_at is None else _sf_time(lead.form_at),
            "DoNotCall": "true" if lead.do_not_call else "false",
            "HasOptedOutOfEmail": "true" if lead.opted_out else "false",
        }
        return row, fit

    def person(
        self, region: str, country: str
    ) -> tuple[str, str, str, str, tuple[str, tuple[str, ...], tuple[str, ...]]]:
        """First and last name, email, company and its industry: fake but plausible."""
        rng = self.rng
        emea = region == "emea"
        first = rng.choice(_FIRST_EU if emea else _FIRST_NA)
        last = rng.choice(_LAST_EU if emea else _LAST_NA)
        industry = _pick(rng, _INDUSTRIES)
        word = rng.choice(_COMPANY_WORDS)
        suffix = rng.choice(industry[2])
        company = f"{word} {suffix}{rng.choice(_LEGAL_FORMS[country])}"
        domain = (word + suffix).lower().translate(_TRANSLIT) + ".example"
        given, family = first.lower().translate(_TRANSLIT), last.lower().translate(_TRANSLIT)
        style = rng.random()
        if style < 0.6:
            local = f"{given}.{family}"
        elif style < 0.85:
            local = f"{given[0]}{family}"
        else:
            local = given
        if rng.random() < 0.1:
            email = f"{given}.{family}{rng.randint(1, 99)}@{rng.choice(_FREE_MAIL)}"
        else:
            email = f"{local}@{domain}"
        return first, last, email, company, industry

    def gaps(self, row: dict[str, str], *, handed_off: bool) -> None:
        """Marketing's misses: a fifth of webinar and content leads lack a handoff field.

        Among the handed-off leads the share is exact (a deck) and the blanked field never
        changes the fit score (the phone, a title that is not senior, an industry outside the
        ideal profile), so the lead is still the MQL it was handed off as. A handed-off lead
        with no such field passes its gap on to the next one.
        """
        if not handed_off:
            if self.draw("gap", (("yes", 1), ("no", 4))) == "yes":
                row["Title" if self.rng.random() < 0.5 else "Phone"] = ""
            return
        if self.draw("handoff-gap", (("yes", 1), ("no", 4))) == "yes":
            self.pending_gaps += 1
        if not self.pending_gaps:
            return
        neutral: list[str] = []
        if row["CampaignId"] == "webinar-q4":
            neutral += ["Phone", "Phone", "Phone"]  # required for webinar leads only
        if not _is_senior(row["Title"]):
            neutral.append("Title")
        if row["CampaignId"] == "content-syndication" and row["Industry"] in _NON_ICP_LABELS:
            neutral.append("Industry")
        if neutral:
            row[self.rng.choice(neutral)] = ""
            self.pending_gaps -= 1

    def size(self, bias: float, *, known: bool) -> tuple[int | None, str]:
        """Employees (``None`` when not known) and the annual revenue column."""
        rng = self.rng
        size = rng.random() + bias / 2
        if size < 0.1:
            employees = rng.randint(5, 49)
        elif size < 0.27:
            employees = rng.randint(50, 199)
        elif size < 0.72:
            employees = rng.randint(200, 1999)
        else:
            employees = rng.randint(2000, 25000)
        if not known:
            return None, ""
        if rng.random() < 0.3:
            return employees, ""
        return employees, str(round(employees * rng.uniform(80_000, 260_000), -4))[:-2]

    def handoff(
        self, lead: _Lead, fit: int, marketing: Sequence[tuple[datetime, str]]
    ) -> datetime | None:
        """Demo requests go to sales at once; other leads when their score makes them MQLs."""
        if lead.campaign == "demo-request":
            lead.events.append(_Event(lead.created, "handoff", actor=_MARKETING_OPS))
            return lead.created
        if fit < _MQL_FIT:
            return None
        for count, (at, _) in enumerate(marketing, start=1):
            if fit + _engagement(marketing[:count], at) < _MQL_SCORE:
                continue
            if self.draw("hand-off-mql", (("yes", 9), ("no", 1))) == "no":
                return None  # an MQL marketing never hands off
            if lead.campaign == "partner-emea":
                actor = "datahaus"
                handoff = self.base["emea"].add(at, timedelta(minutes=self.rng.uniform(30, 900)))
            else:
                actor = _MARKETING_OPS
                handoff = self.base["us-east"].add(at, timedelta(minutes=self.rng.uniform(10, 240)))
            lead.events.append(_Event(handoff, "handoff", actor=actor))
            return handoff
        return None

    def engagement(self, lead: _Lead, fit: int) -> list[tuple[datetime, str]]:
        """Marketing events of a lead, ascending in time: buyers that fit engage more."""
        rng = self.rng
        campaign, created, form_at = lead.campaign, lead.created, lead.form_at
        found: list[tuple[datetime, str]] = []
        if campaign == "webinar-q4":
            found.append((created, "webinar_attended"))
        elif campaign == "content-syndication":
            found.append((created, "content_download"))
        elif campaign == "demo-request" and form_at is not None:
            found.append((form_at, "demo_requested"))
        elif rng.random() < 0.7:  # a partner event
            found.append((created + timedelta(minutes=rng.randint(5, 600)), "webinar_attended"))
        x = rng.random() - {"content-syndication": 0.15, "partner-emea": 0.25}.get(campaign, 0.0)
        if fit >= _MQL_FIT:
            tier = "high" if x < 0.55 else "mid" if x < 0.9 else "low"
        else:
            tier = "high" if x < 0.25 else "mid" if x < 0.6 else "low"
        if campaign != "webinar-q4" and tier == "low" and rng.random() < 0.5:
            tier = "mid"
        if tier == "high":
            kinds = (
                ["pricing_page_visit"] * rng.randint(1, 3)
                + ["content_download"] * rng.randint(1, 3)
                + ["email_click"] * rng.randint(1, 4)
                + ["webinar_attended"] * (rng.random() < 0.35)
                + ["competitor_comparison_download"] * (rng.random() < 0.25)
            )
            mean_days = 4.0
        elif tier == "mid":
            kinds = (
                ["pricing_page_visit"] * rng.randint(campaign == "content-syndication", 1)
                + ["content_download"] * rng.randint(0, 2)
                + ["email_click"] * rng.randint(0, 3)
                + ["webinar_attended"] * (rng.random() < 0.1)
                + ["competitor_comparison_download"] * (rng.random() < 0.1)
            )
            mean_days = 6.0
        else:
            kinds = (
                ["pricing_page_visit"] * (rng.random() < 0.1)
                + ["content_download"] * rng.randint(0, 1)
                + ["email_click"] * rng.randint(0, 2)
                + ["competitor_comparison_download"] * (rng.random() < 0.03)
            )
            mean_days = 8.0
        local = ZoneInfo(lead.zone)
        for kind in kinds:
            at = created + timedelta(seconds=int(rng.expovariate(1 / mean_days) * 86_400) + 60)
            if at.astimezone(local).hour < 7:  # people browse in the day
                at += timedelta(hours=8)
            found.append((at, kind))
        found.sort(key=lambda item: item[0])
        return found

    def follow_up(self, lead: _Lead, handoff: datetime) -> None:
        """Sales activity after the handoff: touches, acceptance or disqualification, funnel."""
        rng = self.rng
        owner = lead.owner
        rep = _REPS[owner]
        demo = lead.campaign == "demo-request"
        partner = lead.campaign == "partner-emea"
        own = self.calendar(rep.calendar, rep.zone)  # the rep's working hours
        consent = not lead.do_not_call and not lead.opted_out
        if lead.do_not_call:
            channels = _CHANNELS_NO_PHONE
        elif lead.opted_out:
            channels = _CHANNELS_NO_EMAIL
        else:
            channels = _CHANNELS

        habit = self.draw(f"first-touch:{owner}:{demo}", rep.demo_habit if demo else rep.habit)
        if habit == "never":
            return
        first = self.first_touch(lead, handoff, late=habit == "late")
        first_channels = tuple(c for c in channels if c[0] != "linkedin") if demo else channels
        touches = [(first, _pick(rng, first_channels))]
        diligent = habit == "diligent" and consent
        if diligent:  # six attempts over ten business days, phone and email
            channel = "email" if touches[0][1] == "phone" else "phone"
            at = first
            for gap in (1, 2, 2, 2, 1) + ((1,) if rng.random() < 0.3 else ()):
                at = self.days_later(own, at, gap, 3)
                touches.append((at, channel))
                channel = "email" if channel == "phone" else "phone"
        else:
            at = first
            for _ in range(int(self.draw("extra-touches", (("0", 5), ("1", 3), ("2", 2))))):
                at = self.days_later(own, at, rng.randint(1, 6), 6)
                touches.append((at, _pick(rng, channels)))

        if partner:  # the partner brings leads it has already talked to
            outcome = self.draw("outcome:partner", _PARTNER_OUTCOMES)
        elif diligent:
            outcome = self.draw("outcome:diligent", (("accepted", 3), ("pending", 1)))
        else:
            outcome = self.draw("outcome", _OUTCOMES)
        if outcome == "disqualified":
            touches = touches[: rng.randint(1, len(touches))]
            self.disqualify(lead.events, owner, self.days_later(own, touches[-1][0], 0, 6))
        for at, channel in touches:
            lead.events.append(_Event(at, "touch", actor=owner, channel=channel))
            if channel == "email" and self.draw("auto-reply", (("yes", 1), ("no", 19))) == "yes":
                self.out_of_office(lead, at)
        if outcome != "accepted":
            return
        accepted = self.days_later(own, first, 0, rng.choice((0.5, 2, 8)))
        lead.events.append(_Event(accepted, "accepted", actor=owner))
        self.funnel(lead.events, owner, accepted, own, partner)

    def first_touch(self, lead: _Lead, handoff: datetime, *, late: bool) -> datetime:
        """The first touch, placed on time or late against the SLA that judges it."""
        rng = self.rng
        rep = _REPS[lead.owner]
        if lead.campaign == "demo-request":
            assert lead.form_at is not None
            sla = self.calendar("us-east", rep.zone)  # first-touch-demo: the owner's clock
            if late:
                return self.days_later(sla, lead.form_at, rng.randint(1, 4), 6)
            return sla.add(lead.form_at, timedelta(hours=4) * rng.uniform(0.05, 0.9))
        sla = self.calendar("us-east", lead.timezone or _NY)  # first-touch: the lead's clock
        if late:
            days = rng.randint(2, 3) if lead.campaign == "partner-emea" else rng.randint(2, 5)
            return self.days_later(sla, handoff, days, 7)
        return self.within_day(sla, handoff, 0.03, 0.8)

    def out_of_office(self, lead: _Lead, touched: datetime) -> None:
        """An auto-reply to an email touch, and the day the lead is back."""
        rng = self.rng
        away = touched + timedelta(minutes=rng.randint(1, 30))
        home = ZoneInfo(lead.timezone or _REPS[lead.owner].zone)
        back_day = (away + timedelta(days=rng.randint(3, 9))).astimezone(home).date()
        while back_day.weekday() >= 5:  # back on a working day
            back_day += timedelta(days=1)
        back = datetime.combine(back_day, time(8, rng.randint(0, 59)), home)
        note = f"Auto-reply: out of office until {back:%d %B}"
        lead.events.append(_Event(away, "out_of_office", channel="email", note=note))
        lead.events.append(_Event(back, "back_in_office"))

    def disqualify(self, events: list[_Event], owner: str, at: datetime) -> None:
        rng = self.rng
        reason: str | None
        kind = self.draw("reason", (("none", 1), ("unknown", 1), ("valid", 7)))
        if kind == "none":
            reason = None
        elif kind == "unknown":
            reason = rng.choice(_UNKNOWN_REASONS)
        else:
            reason = self.draw("reason-id", _REASONS)
        note: str | None = None
        if reason in _NOTE_REQUIRED:
            if self.draw("required-note", (("yes", 2), ("no", 1))) == "yes":
                note = rng.choice(_REQUIRED_NOTES[reason])
        elif rng.random() < 0.3:
            note = rng.choice(("Left a voicemail twice", "Budget review in Q2", "Wrong contact"))
        events.append(_Event(at, "disqualified", actor=owner, reason=reason, note=note))
        if reason in _NO_FEEDBACK:
            return
        ny = self.base["us-east"]  # disqualification-feedback runs on the calendar's own zone
        when = self.draw("feedback", (("within", 5), ("late", 2), ("never", 2)))
        if when == "within":
            feedback = self.within_day(ny, at, 0.05, 0.9)
        elif when == "late":
            feedback = self.days_later(ny, at, rng.randint(2, 4), 6)
        else:
            return
        events.append(_Event(feedback, "feedback", actor=owner, note=rng.choice(_FEEDBACK)))

    def funnel(
        self,
        events: list[_Event],
        owner: str,
        accepted: datetime,
        own: BusinessCalendar,
        partner: bool,
    ) -> None:
        """Meeting, SQL, opportunity, won or lost, refunded: co-sold partner deals go faster."""
        rng = self.rng
        side = "partner" if partner else "direct"
        fast = 1 if partner else 2
        if self.draw(f"meeting:{side}", _FUNNEL[side]["meeting"]) == "no":
            return
        meeting = self.days_later(own, accepted, rng.randint(1, fast * fast), 6)
        events.append(_Event(meeting, "meeting", actor=owner))
        step = self.draw(f"after-meeting:{side}", _FUNNEL[side]["after-meeting"])
        if step == "disqualified":
            self.disqualify(events, owner, self.days_later(own, meeting, 0, 5))
            return
        if step == "stall":
            return
        qualified = self.days_later(own, meeting, rng.randint(0, fast), 6)
        events.append(_Event(qualified, "qualified", actor=owner))
        if self.draw(f"opportunity:{side}", _FUNNEL[side]["opportunity"]) == "no":
            return
        opened = self.days_later(own, qualified, rng.randint(0, fast), 6)
        amount = rng.randint(10, 240) * 500
        events.append(
            _Event(
                opened,
                "opportunity",
                actor=owner,
                amount=f"{amount}.00",
                product=_pick(rng, _PRODUCTS),
                seats=rng.randint(5, 250),
            )
        )
        closed = self.days_later(own, opened, rng.randint(2, 2 + fast * 2), 6)
        result = self.draw(f"close:{side}", _FUNNEL[side]["close"])
        if result == "won":
            events.append(_Event(closed, "won", actor=owner))
            if partner:
                self.maybe_refund(events, self.days_later(own, closed, rng.randint(1, 3), 6))
        elif result == "lost":
            note = rng.choice((None, "Lost to the incumbent", "Project postponed"))
            events.append(_Event(closed, "lost", actor=owner, note=note))

    def maybe_refund(self, events: list[_Event], at: datetime) -> None:
        """Every other won partner deal is refunded, the first one included.

        Counted over the deals whose refund would be in the export, so that even a small
        example shows one.
        """
        if at > self.export_at:
            return
        self.partner_wins += 1
        if 2 * self.refunds < self.partner_wins:
            self.refunds += 1
            events.append(_Event(at, "refunded", note="Cancelled within the trial terms"))

    def strays(self, created: datetime) -> list[dict[str, Any]]:
        """Events of a lead deleted before the export: its id is not in the leads file."""
        rng = self.rng
        self.stray_number += rng.randint(1, 3)
        lead_id = f"L9{self.stray_number:0{self.width - 1}d}"
        found: list[_Event] = []
        at = created
        for _ in range(1 if rng.random() < 0.6 else 2):
            at += timedelta(seconds=rng.randint(600, 4 * 86_400))
            kind = _pick(
                rng,
                (("touch", 50), ("email_click", 30), ("accepted", 10), ("content_download", 10)),
            )
            if kind in ("touch", "accepted"):
                owner = rng.choice(("ava", "ben", "carl", "dana"))
                channel = rng.choice(("phone", "email")) if kind == "touch" else None
                found.append(_Event(at, kind, actor=owner, channel=channel))
            else:
                found.append(_Event(at, kind, channel="email" if kind == "email_click" else None))
        return [e.to_json(lead_id) for e in found if e.at <= self.export_at]


def generate(
    n_leads: int, *, seed: int = DEFAULT_SEED, as_of: datetime = EXAMPLE_AS_OF
) -> Iterator[GeneratedLead]:
    """Stream ``n_leads`` synthetic leads for the example contract, lead ids ascending.

    Lead ids are ``L000001``, ``L000002``… (zero-padded: text order is numeric order), creation
    times ascend with them, and each lead's events are in ascending time. ``as_of`` is the
    evaluation time the data is made for: leads are created on the 44 UTC days starting 46
    days before its date (1 October to 13 November 2026 for the default), and the export
    includes the events up to 20 hours after it. Deterministic in all arguments; lazy (the
    arguments are checked at once, the leads made one at a time as they are consumed).
    """
    if isinstance(n_leads, bool) or not isinstance(n_leads, int) or n_leads < 0:
        raise ValueError(f"n_leads must be a non-negative int, got {n_leads!r}")
    if as_of.tzinfo is None:
        raise ValueError("as_of must be a timezone-aware datetime")
    return _stream(n_leads, seed, as_of)


def _stream(n_leads: int, seed: int, as_of: datetime) -> Iterator[GeneratedLead]:
    if not n_leads:
        return
    world = _World.of(as_of)
    for block in range(_blocks(n_leads)):
        yield from _block(n_leads, seed, as_of, world, block)


def _blocks(n_leads: int) -> int:
    return -(-n_leads // BLOCK)


def _block(
    n_leads: int, seed: int, as_of: datetime, world: _World, block: int
) -> Iterator[GeneratedLead]:
    generator = _Generator(n_leads, seed, as_of, world, block)
    for index in range(block * BLOCK, min(n_leads, (block + 1) * BLOCK)):
        yield generator.lead(index)


def write_dataset(
    out_dir: Path, n_leads: int, *, seed: int = DEFAULT_SEED, workers: int | None = None
) -> tuple[Path, Path]:
    """Write ``leads.csv`` and ``events.jsonl`` of :func:`generate` into ``out_dir``.

    Both files are in lead-id order; events are grouped by lead, in ascending time within a
    lead, and the events of unknown leads come last (their ``L9…`` ids sort after every lead).
    Blocks of :data:`BLOCK` leads are made on ``workers`` processes (default: one per core)
    and joined in order: the bytes are those of one stream. Memory does not grow with
    ``n_leads``. Returns the two paths.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    leads_path = out_dir / LEADS_FILE
    events_path = out_dir / EVENTS_FILE
    generate(n_leads, seed=seed)  # checks the arguments
    blocks = _blocks(n_leads)
    workers = min(workers or os.cpu_count() or 1, blocks)
    with (
        leads_path.open("w", encoding="utf-8", newline="") as leads_file,
        events_path.open("wb") as events_file,
        tempfile.TemporaryDirectory() as scratch,
    ):
        csv.writer(leads_file, lineterminator="\n").writerow(COLUMNS)
        leads_file.flush()
        tasks = [(Path(scratch), n_leads, seed, block) for block in range(blocks)]
        strays: list[Path] = []
        if workers > 1:
            context = multiprocessing.get_context(
                "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            )
            with context.Pool(workers) as pool:
                parts = list(pool.imap(_write_block, tasks))
        else:
            parts = [_write_block(task) for task in tasks]
        for block_leads, block_events, block_strays in parts:
            with block_leads.open("rb") as part:
                shutil.copyfileobj(part, leads_file.buffer)
            with block_events.open("rb") as part:
                shutil.copyfileobj(part, events_file)
            strays.append(block_strays)
        for path in strays:
            with path.open("rb") as part:
                shutil.copyfileobj(part, events_file)
    return leads_path, events_path


_JSON: Final = json.JSONEncoder(ensure_ascii=False)
"""One encoder for every event (``json.dumps`` with options builds one per call)."""


def _write_block(task: tuple[Path, int, int, int]) -> tuple[Path, Path, Path]:
    """Write one block's lead rows, events and stray events into three files of ``folder``."""
    folder, n_leads, seed, block = task
    paths = (
        folder / f"leads-{block}.csv",
        folder / f"events-{block}.jsonl",
        folder / f"strays-{block}.jsonl",
    )
    world = _WORLD.get(EXAMPLE_AS_OF) or _WORLD.setdefault(EXAMPLE_AS_OF, _World.of(EXAMPLE_AS_OF))
    encode = _JSON.encode
    with (
        paths[0].open("w", encoding="utf-8", newline="") as leads_file,
        paths[1].open("w", encoding="utf-8", newline="\n") as events_file,
        paths[2].open("w", encoding="utf-8", newline="\n") as strays_file,
    ):
        writer = csv.writer(leads_file, lineterminator="\n")
        for lead in _block(n_leads, seed, EXAMPLE_AS_OF, world, block):
            writer.writerow([lead.row[column] for column in COLUMNS])
            events_file.writelines(encode(event) + "\n" for event in lead.events)
            strays_file.writelines(encode(event) + "\n" for event in lead.stray_events)
    return paths


_WORLD: dict[datetime, _World] = {}
"""The world of this process (arrivals and calendars take a second to build)."""


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m leadcontract.synthetic --leads 240 --seed 2026 --out contracts/example/data``."""
    parser = argparse.ArgumentParser(
        prog="python -m leadcontract.synthetic",
        description="Write synthetic leads.csv and events.jsonl for the example contract.",
    )
    parser.add_argument("--leads", type=int, default=DEFAULT_LEADS, help="number of leads")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--out", type=Path, default=Path("contracts/example/data"), help="output folder"
    )
    args = parser.parse_args(argv)
    if args.leads < 0:
        parser.error("--leads must not be negative")
    for path in write_dataset(args.out, args.leads, seed=args.seed):
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
