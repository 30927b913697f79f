"""The floor: a plain hand-written Python function that applies the example contract's rules.

It reads the same CSV and JSON Lines files as the engine and does the same work for each
lead, with everything the example contract says hard-coded: map the Salesforce columns and
values, type the fields, score fit and engagement (with caps and a 30-day half-life), replay
the stages (criteria for MQL, events for the rest, recycling on disqualification), and list
the handoff fields that are missing. No rule engine, no traces, no verdict objects: what a
careful engineer would write by hand for this one contract. The engine is measured against it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

INDUSTRY = {
    "technology": "software",
    "software": "software",
    "banking": "financial-services",
    "finance": "financial-services",
    "insurance": "financial-services",
    "manufacturing": "manufacturing",
    "healthcare": "healthcare",
    "retail": "retail",
    "education": "education",
    "select": None,
}
SENIOR = re.compile(r"(?i)\b(vp|vice president|director|head|chief|c[eitfo]o)\b")
FREEMAIL = re.compile(r"(?i)@(gmail|yahoo|hotmail|outlook)\.")
ENGAGEMENT = {  # event type: (points, max_count, channel)
    "demo_requested": (40, 1, None),
    "webinar_attended": (15, 2, None),
    "pricing_page_visit": (10, 3, None),
    "content_download": (5, 4, None),
    "email_click": (2, 5, "email"),
}
HALF_LIFE = timedelta(days=30).total_seconds()
STAGE_OF_EVENT = {
    "accepted": "sal",
    "qualified": "sql",
    "opportunity": "opportunity",
    "won": "won",
    "lost": "lost",
    "recycled": "nurture",
}
RECYCLE = {  # reason: (days in nurture, max recycles)
    "no-budget": (90, 2),
    "not-ready": (60, 3),
    "not-decision-maker": (30, 1),
    "competitor-chosen": (180, 1),
}
REQUIRED = {
    "webinar-q4": ("email", "company", "title", "phone", "country"),
    "demo-request": ("email", "company"),
    "partner-emea": ("email", "company", "country", "employees"),
    "content-syndication": ("email", "company", "title", "industry"),
}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _int(text: str) -> int | None:
    return int(text) if text else None


def _lead(row: dict[str, str]) -> dict[str, Any]:
    industry = row["Industry"].strip()
    return {
        "lead_id": row["Id"],
        "email": row["Email"] or None,
        "company": row["Company"] or None,
        "title": row["Title"] or None,
        "phone": row["Phone"] or None,
        "country": row["Country"] or None,
        "industry": INDUSTRY.get(industry.lower()) if industry else None,
        "employees": _int(row["NumberOfEmployees"]),
        "campaign": row["CampaignId"],
        "created_at": _time(row["CreatedDate"]),
    }


def _fit(lead: dict[str, Any]) -> float:
    points = 0
    if lead["industry"] in ("software", "financial-services", "manufacturing"):
        points += 15
    employees = lead["employees"]
    if employees is not None and employees >= 200:
        points += 15
    if employees is not None and employees >= 2000:
        points += 10
    if lead["title"] and SENIOR.search(lead["title"]):
        points += 15
    if lead["email"] and FREEMAIL.search(lead["email"]):
        points -= 20
    return float(min(points, 50))


def _engagement(events: list[dict[str, Any]], at: datetime) -> float:
    total = 0.0
    for kind, (points, max_count, channel) in ENGAGEMENT.items():
        counted = [
            e
            for e in events
            if e["type"] == kind and e["at"] <= at and (channel is None or e["channel"] == channel)
        ][-max_count:]
        total += round(
            sum(points * 0.5 ** ((at - e["at"]).total_seconds() / HALF_LIFE) for e in counted), 2
        )
    return round(min(total, 50.0), 2)


def evaluate_lead(
    lead: dict[str, Any], events: list[dict[str, Any]], as_of: datetime
) -> dict[str, Any]:
    """Stage, score and handoff gaps of one lead, as the example contract defines them."""
    events = sorted((e for e in events if e["at"] <= as_of), key=lambda e: e["at"])
    fit = _fit(lead)

    def mql(at: datetime) -> bool:
        return fit + _engagement(events, at) >= 60 and fit >= 20 and lead["email"] is not None

    stage = "inquiry"
    returns_at: datetime | None = None
    recycles: dict[str, int] = {}
    if mql(lead["created_at"]):
        stage = "mql"
    for event in events:
        kind = event["type"]
        if kind == "disqualified":
            stage = "disqualified"
            reason = event.get("reason")
            if reason in RECYCLE:
                days, most = RECYCLE[reason]
                if recycles.get(reason, 0) < most:
                    recycles[reason] = recycles.get(reason, 0) + 1
                    stage, returns_at = "nurture", event["at"] + timedelta(days=days)
        elif kind in STAGE_OF_EVENT:
            stage, returns_at = STAGE_OF_EVENT[kind], None
        waiting = returns_at is not None and event["at"] < returns_at
        if stage in ("inquiry", "nurture") and not waiting and mql(event["at"]):
            stage = "mql"
    if (
        stage in ("inquiry", "nurture")
        and (returns_at is None or as_of >= returns_at)
        and mql(as_of)
    ):
        stage = "mql"
    engagement = _engagement(events, as_of)
    missing = [f for f in REQUIRED.get(lead["campaign"], ()) if lead[f] in (None, "")]
    return {
        "lead_id": lead["lead_id"],
        "stage": stage,
        "score": round(fit + engagement, 2),
        "handed_off": any(e["type"] == "handoff" for e in events),
        "missing_fields": missing,
    }


def _events(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            event = json.loads(line)
            event["at"] = _time(event["at"])
            event.setdefault("channel", None)
            yield event


def run(leads_path: Path, events_path: Path, as_of: datetime) -> Iterator[dict[str, Any]]:
    """Evaluate files sorted by lead id, streaming both (flat memory, like the engine)."""
    events = _events(events_path)
    pending = next(events, None)
    with leads_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            lead = _lead(row)
            lead_id = lead["lead_id"]
            mine = []
            while pending is not None and pending["lead_id"] <= lead_id:
                if pending["lead_id"] == lead_id:
                    mine.append(pending)
                pending = next(events, None)
            yield evaluate_lead(lead, mine, as_of)
