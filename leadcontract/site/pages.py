"""The agreement as pages: a contract in words, one Markdown page per part.

:func:`agreement_pages` returns Markdown text per page path (and the lifecycle diagram as an
SVG file); it reads no clock and no records: the year whose holidays are listed is given by
the caller (the as-of year, or the year the contract took effect).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import holidays as holidays_package

from leadcontract.audit import contract_digest
from leadcontract.model import (
    Calendar,
    Campaign,
    Contract,
    Sla,
    SlaKind,
    Spiff,
    Stage,
    Weekday,
)
from leadcontract.site._markdown import table
from leadcontract.site._words import (
    condition_words,
    counted,
    duration_words,
    listing,
    money,
    person,
    sla_details,
    sla_sentence,
    trigger_words,
)
from leadcontract.site.diagram import lifecycle_svg

__all__ = ["PAGE_TITLES", "SitePages", "agreement_pages"]

PAGE_TITLES: Mapping[str, str] = {
    "index.md": "Overview",
    "lead.md": "What a lead is",
    "campaigns.md": "Campaigns",
    "promises.md": "Follow-up promises",
    "spiffs.md": "Spiffs",
    "calendars.md": "Calendars",
}
"""The agreement's pages in reading order, with their titles in the navigation."""

_MOVERS = {
    "created": "the CRM, when the lead is created",
    "handoff": "marketing, by handing the lead off",
    "accepted": "sales, by accepting the lead",
    "qualified": "sales, by qualifying the lead",
    "disqualified": "sales, by disqualifying the lead with a reason",
    "recycled": "marketing, by recycling the lead to nurture",
    "opportunity": "sales, by opening an opportunity",
    "won": "sales, when the deal is won",
    "lost": "sales, when the deal is lost",
}


@dataclass
class SitePages:
    """Generated files of a site: Markdown pages and images, by path inside ``docs/``."""

    pages: dict[str, str] = field(default_factory=dict)
    """Page path → Markdown, in navigation order."""
    files: dict[str, str] = field(default_factory=dict)
    """Other files (SVG images) → their text."""
    nav: list[tuple[str, str]] = field(default_factory=list)
    """(title, page path) in navigation order."""

    def add(self, path: str, title: str, text: str) -> None:
        self.pages[path] = text
        self.nav.append((title, path))


def agreement_pages(
    contract: Contract,
    *,
    year: int,
    changes: list[str] | None = None,
    headline: str = "",
) -> SitePages:
    """The agreement's pages. ``changes`` lists what changed since a previous version;
    ``headline`` is Markdown put on the overview (the evidence's key figures)."""
    site = SitePages()
    site.add("index.md", PAGE_TITLES["index.md"], _overview(contract, changes, headline))
    site.files["images/lifecycle.svg"] = lifecycle_svg(contract.lead.lifecycle)
    site.add("lead.md", PAGE_TITLES["lead.md"], _lead(contract))
    site.add("campaigns.md", PAGE_TITLES["campaigns.md"], _campaigns(contract))
    site.add("promises.md", PAGE_TITLES["promises.md"], _promises(contract))
    site.add("spiffs.md", PAGE_TITLES["spiffs.md"], _spiffs(contract))
    site.add("calendars.md", PAGE_TITLES["calendars.md"], _calendars(contract, year))
    return site


# --- overview -----------------------------------------------------------------------------------


def _overview(contract: Contract, changes: list[str] | None, headline: str) -> str:
    meta = contract.metadata
    end = meta.effective.end.isoformat() if meta.effective.end else "until replaced"
    lines = [
        f"# {meta.title}",
        "",
        meta.description.strip(),
        "",
    ]
    if headline:
        lines += [headline, "## The agreement", ""]
    lines += [
        table(
            ["", "This agreement"],
            [
                ["Id", f"`{meta.id}`"],
                ["Version", meta.version],
                ["In force", f"{meta.effective.start.isoformat()} to {end}"],
                ["Time zone", meta.timezone],
                ["Digest", f"`{contract_digest(contract)}`"],
            ],
        ),
        "## Who signs it",
        "",
        table(
            ["Name", "Side", "Contact"],
            [[o.name, o.team.value, o.email or "–"] for o in meta.owners],
        ),
    ]
    planned = sum(1 for campaign in contract.campaigns.values() if campaign.capacity)
    plans = (
        " and capacity plan"
        if planned == len(contract.campaigns)
        else f"; {planned} with a capacity plan"
        if planned
        else ""
    )
    lines += [
        "## What is agreed",
        "",
        f"- [What a lead is](lead.md): {counted(len(contract.lead.fields), 'field')}, "
        f"{counted(len(contract.lead.lifecycle.stages), 'lifecycle stage')}, "
        f"{counted(len(contract.lead.disqualification.reasons), 'disqualification reason')}.",
        f"- [Campaigns](campaigns.md): {counted(len(contract.campaigns), 'campaign')}, each "
        f"with its handoff point{plans}.",
        f"- [Follow-up promises](promises.md): {counted(len(contract.slas), 'service level')} "
        "sales and marketing keep.",
        f"- [Spiffs](spiffs.md): {counted(len(contract.spiffs), 'incentive')}.",
        f"- [Calendars](calendars.md): {counted(len(contract.calendars), 'business calendar')}.",
        "",
    ]
    if changes is not None:
        lines += ["## What changed since the previous version", ""]
        lines += [f"- {change}" for change in changes] if changes else ["- Nothing."]
        lines.append("")
    return "\n".join(lines)


# --- the lead -----------------------------------------------------------------------------------


def _lead(contract: Contract) -> str:
    lead = contract.lead
    out = [
        "---\nhide:\n  - toc\n---\n",
        "# What a lead is",
        "",
        "## Fields",
        "",
        "A lead record carries these fields. *CRM field* is the column in the CRM export; "
        "fields marked PII (personal data) are masked in the audit trail.",
        "",
        table(
            ["Field", "CRM field", "Type", "Required", "Allowed values", "PII"],
            [
                [
                    f"`{name}`",
                    spec.source or "–",
                    spec.type.value,
                    "yes" if spec.required else "",
                    ", ".join(spec.values) if spec.values else "",
                    "yes" if spec.pii else "",
                ]
                for name, spec in lead.fields.items()
            ],
        ),
    ]
    out += _scoring(contract)
    out += [
        "## Lifecycle",
        "",
        "The stages a lead moves through, and who moves it. Dashed arrows go back up the "
        "funnel (a recycled lead returns to nurture, then may qualify again).",
        "",
        "![Lifecycle diagram: the stages of a lead and the moves between them]"
        "(images/lifecycle.svg){ .lifecycle }",
        "",
        table(
            ["Stage", "What it means", "Entered when", "Moved there by", "Can move on to"],
            [_stage_row(stage, lead.lifecycle.transitions()) for stage in lead.lifecycle.stages],
        ),
    ]
    if lead.buyer_stages:
        out += [
            "## Buyer stages",
            "",
            "Where the buyer is in their own journey: the furthest stage whose condition holds.",
            "",
            table(
                ["Buyer stage", "Reached when"],
                [[b.id, condition_words(b.when)] for b in lead.buyer_stages],
            ),
        ]
    out += [
        "## Disqualification reasons",
        "",
        "Sales may disqualify a lead only for one of these reasons.",
        "",
        table(
            ["Reason", "Note required", "Afterwards", "Feedback to marketing"],
            [
                [
                    f"{reason.label} (`{rid}`)",
                    "yes" if reason.note_required else "",
                    _recycle_words(reason.recycle, reason.max_recycles),
                    "yes" if reason.feedback else "no",
                ]
                for rid, reason in lead.disqualification.reasons.items()
            ],
        ),
    ]
    return "\n".join(out)


def _scoring(contract: Contract) -> list[str]:
    scoring = contract.lead.scoring
    out = [
        "## Scoring",
        "",
        "The score is the sum of **fit** (who the lead is) and **engagement** (what the lead did).",
        "",
        "### Fit",
        "",
        table(
            ["Rule", "Points", "When"],
            [
                [rule.id, f"{rule.points:+d}", condition_words(rule.when)]
                for rule in scoring.fit.rules
            ],
        ),
    ]
    if scoring.fit.cap is not None:
        out += [f"Fit counts at most **{scoring.fit.cap} points**.", ""]
    out += [
        "### Engagement",
        "",
        table(
            ["Rule", "Points", "For each", "Counted at most"],
            [
                [
                    rule.id,
                    f"{rule.points:+d}",
                    rule.event.replace("_", " ") + (f" on {rule.channel}" if rule.channel else ""),
                    _times(rule.max_count),
                ]
                for rule in scoring.engagement.rules
            ],
        ),
    ]
    if scoring.engagement.cap is not None:
        out += [f"Engagement counts at most **{scoring.engagement.cap} points**.", ""]
    decay = scoring.engagement.decay
    if decay is not None:
        out += [
            f"Engagement fades: an event's points halve every "
            f"**{duration_words(decay.half_life)}** after it happened.",
            "",
        ]
    return out


def _times(count: int | None) -> str:
    if count is None:
        return "no limit"
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _stage_row(stage: Stage, transitions: Mapping[str, list[str]]) -> list[str]:
    if stage.when is not None and condition_words(stage.when) != "always":
        entered = condition_words(stage.when)
        mover = "the score, automatically"
    elif stage.when is not None:
        entered = "as soon as the lead exists"
        mover = _MOVERS["created"]
    else:
        events = stage.entry_events
        entered = listing([e.replace("_", " ") + " event" for e in events], "or") or "–"
        mover = listing([_MOVERS.get(e, e.replace("_", " ")) for e in events], "or") or "–"
    label = stage.id + (" (final)" if stage.terminal else "")
    nexts = ", ".join(transitions.get(stage.id, [])) or "–"
    return [label, stage.description or "", entered, mover, nexts]


def _recycle_words(recycle: object, max_recycles: int | None) -> str:
    from leadcontract.model import Recycle  # noqa: PLC0415 - only for the type check

    if not isinstance(recycle, Recycle):
        return "closed"
    text = f"back to {recycle.to} for {duration_words(recycle.after)}, then may return"
    if max_recycles is not None:
        text += f" (at most {max_recycles} time{'s' if max_recycles != 1 else ''})"
    return text


# --- campaigns ----------------------------------------------------------------------------------


def _campaigns(contract: Contract) -> str:
    out = ["# Campaigns", "", "Where each campaign's leads become sales' job.", ""]
    for cid, campaign in contract.campaigns.items():
        out += _campaign(contract, cid, campaign)
    return "\n".join(out)


def _campaign(contract: Contract, cid: str, campaign: Campaign) -> list[str]:
    handoff = campaign.handoff
    end = campaign.window.end.isoformat() if campaign.window.end else "open-ended"
    out = [
        f"## {campaign.name}",
        "",
        f"`{cid}` · {campaign.channel} · runs {campaign.window.start.isoformat()} to {end}",
        "",
    ]
    if campaign.description:
        out += [campaign.description, ""]
    fields = ", ".join(f"`{f}`" for f in handoff.required_fields) or "none"
    out += [
        f"**Handoff:** at stage **{handoff.stage}**, qualified by **{handoff.qualified_by.value}**"
        f", handed to **{handoff.to.value}**. Fields required at handoff: {fields}.",
        "",
    ]
    if handoff.play:
        out += ["**Sales play:**", "", f"> {handoff.play.strip()}", ""]
    capacity = campaign.capacity
    if capacity is not None:
        weekly = capacity.weekly_capacity
        gap = capacity.leads_per_week - weekly
        out += [
            table(
                ["Expected leads a week", "Reps", "Leads a rep can work a week", "Capacity a week"],
                [[capacity.leads_per_week, capacity.reps, capacity.leads_per_rep_per_week, weekly]],
            ),
        ]
        if gap > 0:
            out += [
                f'!!! warning "Shortfall of {counted(gap, "lead")} a week"',
                f"    The campaign expects {counted(capacity.leads_per_week, 'lead')} a week but "
                f"{counted(capacity.reps, 'rep')} × {capacity.leads_per_rep_per_week} can work "
                f"{weekly}. "
                "Leads beyond the capacity of their week are *capacity overflow*: a missed "
                "follow-up on them is not held against sales.",
                "",
            ]
        else:
            spare = f"{counted(-gap, 'lead')} a week" if gap else "nothing"
            out += [f"Capacity covers the plan with {spare} to spare.", ""]
    slas = [
        sid
        for sid, sla in contract.slas.items()
        if sla.applies_to.campaigns is None or cid in sla.applies_to.campaigns
    ]
    spiffs = [sid for sid, spiff in contract.spiffs.items() if cid in spiff.campaigns]
    if slas:
        out += [
            "Promises that apply: " + ", ".join(f"[{s}](promises.md#{s})" for s in slas) + ".",
            "",
        ]
    if spiffs:
        out += ["Spiffs: " + ", ".join(f"[{s}](spiffs.md#{s})" for s in spiffs) + ".", ""]
    return out


# --- promises -----------------------------------------------------------------------------------


def _promises(contract: Contract) -> str:
    out = [
        "# Follow-up promises",
        "",
        "Each promise is a clock. It starts when something happens to a lead and must be kept "
        "within the time allowed, counted in business time on a calendar. A broken promise "
        "names the side that broke it.",
        "",
    ]
    for sid, sla in contract.slas.items():
        out += _promise(contract, sid, sla)
    return "\n".join(out)


def _promise(contract: Contract, sid: str, sla: Sla) -> list[str]:
    out = [
        f"## {sid} {{ #{sid} }}",
        "",
        '!!! abstract "The promise"',
        f"    {sla_sentence(contract, sla)}",
        "",
    ]
    if sla.description:
        out += [f"*{sla.description}*", ""]
    out.append(table(["", "Details"], sla_details(contract, sla)))
    if sla.kind is SlaKind.ATTEMPTS and sla.attempts is not None:
        out += _attempts_timeline(contract, sla)
    return out


def _attempts_timeline(contract: Contract, sla: Sla) -> list[str]:
    attempts = sla.attempts
    assert attempts is not None
    business = sla.time == "business"
    out = ["**Timeline:**", "", f"1. **Start:** {trigger_words(contract, sla.start)}."]
    how = f" by {listing(attempts.channels, 'or')}" if attempts.channels else ""
    spacing = (
        f", at least {duration_words(attempts.min_spacing, business=business)} apart "
        "(attempts closer together count once)"
        if attempts.min_spacing
        else ""
    )
    out.append(f"2. **Attempts 1 to {attempts.count}**{how}{spacing}.")
    step = 3
    if attempts.min_channels:
        out.append(f"{step}. **Mix:** on at least {attempts.min_channels} different channels.")
        step += 1
    if sla.cancel is not None:
        out.append(
            f"{step}. **Stops early** on {trigger_words(contract, sla.cancel)}: "
            "no more attempts are owed."
        )
        step += 1
    out.append(
        f"{step}. **Deadline:** {duration_words(attempts.within, business=business)} after the "
        f"start; a breach goes to {person(contract, sla.escalate_to)}."
    )
    return [*out, ""]


# --- spiffs -------------------------------------------------------------------------------------


def _spiffs(contract: Contract) -> str:
    out = [
        "# Spiffs",
        "",
        "Incentives for working campaign leads: who earns what, when, and when it is taken back.",
        "",
    ]
    for sid, spiff in contract.spiffs.items():
        out += _spiff(contract, sid, spiff)
    return "\n".join(out)


def _amount_words(spiff: Spiff) -> str:
    amount = spiff.amount
    if amount.fixed is not None:
        return money(amount.fixed, amount.currency)
    if amount.per_unit is not None:
        return f"{money(amount.per_unit, amount.currency)} per {amount.unit}"
    if amount.share is not None:
        return f"{_percent(amount.share)} of the deal value ({amount.currency})"
    return f"a tiered share of the deal value ({amount.currency})"


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


def _spiff(contract: Contract, sid: str, spiff: Spiff) -> list[str]:
    campaigns = [
        contract.campaigns[c].name if c in contract.campaigns else c for c in spiff.campaigns
    ]
    if spiff.split:
        earner = "The " + listing([s.role.upper() for s in spiff.split]) + " on the lead share"
    elif spiff.earner == "owner":
        earner = "The lead's owner earns"
    else:
        earner = f"The {spiff.earner} earns"
    sentence = (
        f"{earner} **{_amount_words(spiff)}** for each lead from "
        f"{listing(campaigns, 'or')} that reaches **{spiff.outcome}**"
    )
    conditions = []
    if spiff.when is not None:
        conditions.append(condition_words(spiff.when))
    if spiff.requires_slas:
        conditions.append(
            "the promise "
            + listing([f"[{s}](promises.md#{s})" for s in spiff.requires_slas])
            + " was kept"
        )
    if spiff.requires_handoff_complete:
        conditions.append("the handoff had every required field")
    if conditions:
        sentence += ", provided " + listing(conditions)
    out = [f"## {sid} {{ #{sid} }}", ""]
    if spiff.shadow:
        out += [
            '!!! note "Trial rule"',
            "    Computed and shown on statements, but not paid.",
            "",
        ]
    out += [sentence + ".", ""]
    if spiff.description:
        out += [f"*{spiff.description}*", ""]
    rows: list[list[str]] = []
    if spiff.amount.tiers:
        mode = (
            "each band pays on its part of the deal"
            if spiff.amount.tier_mode == "band"
            else ("the band the deal falls in pays on the whole deal")
        )
        rows.append(["Tiers", mode])
        low = "0"
        for tier in spiff.amount.tiers:
            high = f"{tier.up_to:,}" if tier.up_to is not None else "and above"
            rows.append(["", f"{low} – {high}: {_percent(tier.share)}"])
            low = f"{tier.up_to:,}" if tier.up_to is not None else low
    if spiff.cap is not None:
        rows.append(
            ["Cap", f"{money(spiff.cap.amount, spiff.cap.currency)} per rep per {spiff.cap.per}"]
        )
    if spiff.split:
        rows.append(
            ["Split", ", ".join(f"{s.role.upper()} {_percent(s.share)}" for s in spiff.split)]
        )
    if spiff.clawback is not None:
        rows.append(
            [
                "Clawback",
                f"taken back on {listing(spiff.clawback.on, 'or')} within "
                f"{duration_words(spiff.clawback.within)} of the payout",
            ]
        )
    if spiff.effective is not None:
        end = spiff.effective.end
        rows.append(
            [
                "In force",
                f"{spiff.effective.start.isoformat()} "
                + (f"to {end.isoformat()}" if end else "onwards"),
            ]
        )
    if rows:
        out.append(table(["", "Terms"], rows))
    return out


# --- calendars ----------------------------------------------------------------------------------


def _calendars(contract: Contract, year: int) -> str:
    out = [
        "# Calendars",
        "",
        f"When the clocks of the promises run. Holidays are listed for {year}.",
        "",
    ]
    for name, calendar in contract.calendars.items():
        out += _calendar(name, calendar, year)
    return "\n".join(out)


def _calendar(name: str, calendar: Calendar, year: int) -> list[str]:
    out = [f"## {name}", ""]
    if calendar.description:
        out += [calendar.description, ""]
    out += [f"Time zone: **{calendar.timezone}**.", ""]
    out.append(
        table(
            ["Day", "Working hours"],
            [
                [
                    day.name.capitalize(),
                    ", ".join(
                        f"{s:%H:%M}–{e:%H:%M}" if e.hour or e.minute else f"{s:%H:%M}–24:00"
                        for s, e in calendar.hours.get(day, [])
                    )
                    or "closed",
                ]
                for day in Weekday
            ],
        )
    )
    days = _holidays(calendar, year)
    out += [f"**Holidays in {year}** ({len(days)} days off):", ""]
    out.append(table(["Date", "Day", "Holiday"], [[d.isoformat(), f"{d:%A}", n] for d, n in days]))
    return out


def _holidays(calendar: Calendar, year: int) -> list[tuple[date, str]]:
    """The year's days off, each with its names and the regions that observe it."""
    names: dict[date, dict[str, list[str]]] = {}
    for region in calendar.holidays.regions:
        table_ = holidays_package.country_holidays(
            region.country, subdiv=region.subdivision, years=year
        )
        where = region.country + (f"-{region.subdivision}" if region.subdivision else "")
        for day, label in sorted(table_.items()):
            if day.year == year:
                for name in str(label).split("; "):
                    names.setdefault(day, {}).setdefault(name, []).append(where)
    for day in calendar.holidays.dates:
        if day.year == year:
            names.setdefault(day, {}).setdefault("Company day off", [])
    return [
        (
            day,
            "; ".join(
                f"{name} ({', '.join(regions)})" if regions else name
                for name, regions in labels.items()
            ),
        )
        for day, labels in sorted(names.items())
    ]
