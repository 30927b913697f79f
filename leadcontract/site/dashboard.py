"""The evidence pages: charts people would rather look at than read, each with its numbers in a
table beneath (for screen readers, and for whoever wants the figures)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from leadcontract.model import Contract
from leadcontract.report import ComplianceRow
from leadcontract.site import charts
from leadcontract.site._markdown import table
from leadcontract.site._words import money
from leadcontract.site.evidence import Evidence
from leadcontract.site.pages import SitePages
from leadcontract.verdict import format_instant

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["TOUCH_BUCKETS", "add_dashboards", "headline"]

TOUCH_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("under 1 h", 60),
    ("1–4 h", 240),
    ("4–8 h", 480),
    ("8–16 h", 960),
    ("16–40 h", 2400),
    ("over 40 h", None),
)
"""Buckets of business time to first touch: (label, upper bound in minutes, exclusive)."""

_TARGET = 0.9
"""The share of promises kept that the charts mark as the goal line."""


def when(instant: datetime) -> str:
    """An instant as people write it: ``16 Nov 2026, 17:00 UTC`` (ISO in the title)."""
    text = f"{instant:%-d %b %Y, %H:%M} {instant.tzname() or ''}".strip()
    return f'<span title="{format_instant(instant)}">{text}</span>'


def _kpis(figures: list[tuple[str, str]]) -> str:
    """Key figures as large numbers with a caption each (plain HTML: readable unstyled)."""
    cells = "".join(
        f'<div class="lc-kpi"><span class="lc-kpi-value">{value}</span>'
        f'<span class="lc-kpi-label">{label}</span></div>'
        for value, label in figures
    )
    return f'<div class="lc-kpis">{cells}</div>\n'


def _share(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "–"


def _campaign_name(contract: Contract, cid: str) -> str:
    campaign = contract.campaigns.get(cid)
    return campaign.name if campaign is not None else cid


def headline(contract: Contract, evidence: Evidence) -> str:
    """Key figures for the overview page: the evidence first, the terms after."""
    whole = evidence.totals
    breaches = evidence.breaches
    by_party = ", ".join(f"{n} by {party}" for party, n in breaches.most_common()) or "none"
    return "\n".join(
        [
            f"## How it is kept, as of {when(evidence.as_of)}",
            "",
            _kpis(
                [
                    (f"{whole.handed_off}", f"of {whole.leads} leads handed off"),
                    (_share(whole.touched_share), "of them touched"),
                    (_share(whole.within_sla_share), "first touches within the promise"),
                    (str(sum(breaches.values())), "promises broken"),
                ]
            ),
            f"Promises broken: {by_party}. [See the dashboards](evidence/index.md).",
            "",
        ]
    )


def add_dashboards(site: SitePages, contract: Contract, evidence: Evidence) -> None:
    """Add the evidence pages and their charts to ``site``."""
    site.add("evidence/index.md", "Follow-up", _follow_up(site, contract, evidence))
    site.add("evidence/capacity.md", "Load and capacity", _capacity(site, contract, evidence))
    site.add("evidence/spiffs.md", "Spiff totals", _spiffs(site, evidence))


def _image(site: SitePages, name: str, svg: str, alt: str) -> str:
    site.files[f"evidence/charts/{name}.svg"] = svg
    return f"![{alt}](charts/{name}.svg){{ .chart }}\n"


def _counts_line(evidence: Evidence) -> str:
    counts = evidence.counts
    events = f" and {counts.events_read:,} events" if counts.events_read else ""
    return (
        f"*{evidence.source}, as of {when(evidence.as_of)}: {counts.leads_read:,} lead records "
        f"({counts.verdicts:,} verdicts, {counts.lead_errors:,} error rows){events}.*"
    )


_WIDE = "---\nhide:\n  - toc\n---\n"
"""Front matter that gives a dashboard page the width of the table of contents."""


def _follow_up(site: SitePages, contract: Contract, evidence: Evidence) -> str:
    rows = evidence.by_campaign
    whole = evidence.totals
    out = [
        _WIDE,
        "# Follow-up: are the promises kept?",
        "",
        _counts_line(evidence),
        "",
        _kpis(
            [
                (str(whole.handed_off), "leads handed off"),
                (_share(whole.touched_share), "of them touched"),
                (_share(whole.within_sla_share), "first touches within the promise"),
                (_hours(whole.percentile(50)), "median business time to first touch"),
                (str(sum(evidence.breaches.values())), "promises broken"),
            ]
        ),
        "## First touch within the promise, per campaign",
        "",
        _image(
            site,
            "within-sla-by-campaign",
            charts.percent_chart(
                [_campaign_name(contract, r.group) for r in rows],
                [r.within_sla_share for r in rows],
                [f"{r.within_sla} of {r.measured}" for r in rows],
                title="Share of first touches made in time",
                target=_TARGET,
            ),
            "Bar chart: share of first touches made within the promise, per campaign",
        ),
        f"The dashed line marks {_TARGET:.0%}. Only settled clocks count (kept or broken); "
        "clocks still running are left out.",
        "",
        _compliance_table(contract, rows, "Campaign"),
        "## Week by week",
        "",
    ]
    weeks = [r for r in evidence.by_week if r.group.startswith(tuple("0123456789"))]
    every_week = _weeks_between(weeks)
    share = {r.group: r.within_sla_share for r in weeks}
    out += [
        _image(
            site,
            "within-sla-by-week",
            charts.line_percent_chart(
                [week.split("-")[-1] for week in every_week],
                [share.get(week) for week in every_week],
                title="Share of first touches made in time, by week of handoff",
            ),
            "Line chart: share of first touches made within the promise, per week of handoff",
        ),
        _compliance_table(contract, weeks, "Week of handoff"),
        "## Who broke a promise",
        "",
        "Every broken promise is blamed on the side that broke it; breaches on leads beyond "
        "a campaign's declared capacity are *capacity overflow*.",
        "",
    ]
    parties = evidence.breaches.most_common()
    colours = [
        charts.RED if p == "sales" else charts.AMBER if p == "marketing" else charts.GREY
        for p, _ in parties
    ]
    out.append(
        _image(
            site,
            "breaches-by-party",
            charts.bar_chart(
                [p for p, _ in parties],
                [n for _, n in parties],
                title="Broken promises by accountable party",
                colours=colours,
            ),
            "Bar chart: broken promises per accountable party",
        )
        if parties
        else "No promise has been broken.\n"
    )
    names = [p for p, _ in parties]
    out.append(
        table(
            ["Campaign", *names, "Total"],
            [
                [
                    _campaign_name(contract, r.group),
                    *[r.breaches.get(p, 0) for p in names],
                    sum(r.breaches.values()),
                ]
                for r in rows
            ]
            + [
                ["**All**", *[evidence.breaches[p] for p in names], sum(evidence.breaches.values())]
            ],
        )
    )
    buckets = _buckets(evidence.minutes_to_first_touch)
    out += [
        "## Time to first touch",
        "",
        "Business hours from the start of the first-touch clock to the first touch, for the "
        "handed-off leads touched so far (paused time left out).",
        "",
        _image(
            site,
            "time-to-first-touch",
            charts.histogram(
                [label for label, _ in buckets],
                [n for _, n in buckets],
                title="Time to first touch",
                xlabel="business time to first touch",
            ),
            "Histogram: handed-off leads by business time to first touch",
        ),
        table(["Business time to first touch", "Leads"], buckets),
        table(
            ["Campaign", "Touched", "Median", "90th percentile"],
            [
                [
                    _campaign_name(contract, r.group),
                    len(r.minutes_to_touch),
                    _hours(r.percentile(50)),
                    _hours(r.percentile(90)),
                ]
                for r in rows
            ],
        ),
    ]
    return "\n".join(out)


def _weeks_between(rows: Sequence[ComplianceRow]) -> list[str]:
    """Every ISO week (``2026-W11``) from the first row's to the last's: weeks without a
    handoff stay on the axis as gaps rather than being joined over. At most two years."""
    if not rows:
        return []

    def monday(week: str) -> date:
        year, number = week.split("-W")
        return date.fromisocalendar(int(year), int(number), 1)

    first, last = monday(rows[0].group), monday(rows[-1].group)
    count = min((last - first).days // 7 + 1, 105)
    weeks = [first + timedelta(weeks=i) for i in range(count)]
    return [f"{w.isocalendar().year}-W{w.isocalendar().week:02d}" for w in weeks]


def _hours(minutes: int | None) -> str:
    if minutes is None:
        return "–"
    return f"{minutes / 60:.1f} h" if minutes >= 60 else f"{minutes} min"


def _buckets(minutes: list[int]) -> list[tuple[str, int]]:
    counts = []
    low = 0
    for label, high in TOUCH_BUCKETS:
        counts.append((label, sum(1 for m in minutes if m >= low and (high is None or m < high))))
        low = high or low
    return counts


def _compliance_table(
    contract: Contract, rows: tuple[ComplianceRow, ...] | list[ComplianceRow], heading: str
) -> str:
    return table(
        [heading, "Handed off", "Touched", "Kept / settled", "Kept share", "Attempts per lead"],
        [
            [
                _campaign_name(contract, r.group) if heading == "Campaign" else r.group,
                r.handed_off,
                _share(r.touched_share),
                f"{r.within_sla} / {r.measured}",
                _share(r.within_sla_share),
                f"{r.attempts_per_lead:.1f}" if r.attempts_per_lead is not None else "–",
            ]
            for r in rows
        ],
    )


def _capacity(site: SitePages, contract: Contract, evidence: Evidence) -> str:
    if evidence.capacity is None:
        return "\n".join(
            [
                "# Load and capacity",
                "",
                _counts_line(evidence),
                "",
                "The load against capacity counts leads by the week they were created, which "
                "needs the lead records: build the site with `--leads`, `--events` and "
                "`--as-of` to see it.",
                "",
            ]
        )
    loads = evidence.capacity.loads
    by_campaign: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for load in loads:
        by_campaign[load.campaign].append((load.week, load.leads, load.capacity))
    out = [
        _WIDE,
        "# Load and capacity",
        "",
        _counts_line(evidence),
        "",
        "Leads each campaign delivered per week (by the week they were created) against the "
        "capacity its plan staffed for. Leads above the line are *capacity overflow*: a missed "
        "follow-up on them is not held against sales.",
        "",
    ]
    if not loads:
        return "\n".join([*out, "No campaign of this agreement declares a capacity plan.", ""])
    panels = [
        (
            _campaign_name(contract, cid),
            [w for w, _, _ in weeks],
            [n for _, n, _ in weeks],
            weeks[0][2],
        )
        for cid, weeks in by_campaign.items()
    ]
    out.append(
        _image(
            site,
            "load-vs-capacity",
            charts.load_chart(panels),
            "Bar charts: leads per week against declared capacity, one panel per campaign",
        )
    )
    out.append(
        table(
            ["Campaign", "Week", "Leads", "Expected", "Capacity", "Overflow"],
            [
                [
                    _campaign_name(contract, x.campaign),
                    x.week,
                    x.leads,
                    x.expected,
                    x.capacity,
                    x.overflow,
                ]
                for x in loads
            ],
        )
    )
    return "\n".join(out)


def _spiffs(site: SitePages, evidence: Evidence) -> str:
    totals = evidence.spiff_totals()
    out = [
        "# Spiff totals",
        "",
        _counts_line(evidence),
        "",
        "What each rep has earned so far, after caps and clawbacks, as the payout statements "
        "compute it (`leadcontract payouts`). Trial (shadow) spiffs are not included.",
        "",
    ]
    if not totals:
        return "\n".join([*out, "No spiff has been earned yet.", ""])
    out.append(
        _image(
            site,
            "spiffs-by-rep",
            charts.bar_chart(
                [f"{rep} ({currency})" for rep, currency in totals],
                [float(amount) for amount in totals.values()],
                title="Spiffs earned per rep",
                colours=[charts.GREEN] * len(totals),
            ),
            "Bar chart: spiff totals per rep",
        )
    )
    out.append(
        table(
            ["Rep", "Currency", "Total"],
            [
                [rep, currency, money(amount, currency)]
                for (rep, currency), amount in totals.items()
            ],
        )
    )
    out += ["## Per month", ""]
    out.append(
        table(
            ["Month", "Rep", "Paid", "Cut by caps", "Clawed back", "Trial (not paid)"],
            [
                [
                    s.period.label,
                    s.rep_name or s.rep or "(unassigned)",
                    _amounts(s.totals),
                    _amounts(s.capped),
                    _amounts(s.clawed_back),
                    _amounts(s.shadow_totals),
                ]
                for s in evidence.statements
            ],
        )
    )
    return "\n".join(out)


def _amounts(values: Mapping[str, Decimal]) -> str:
    return ", ".join(money(v, c) for c, v in values.items() if v) or "–"
