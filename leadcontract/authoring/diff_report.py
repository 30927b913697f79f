"""Render a contract diff (and its replay) as text, JSON or Markdown (for a pull request)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from leadcontract.authoring.diff import ContractDiff, Impact
from leadcontract.authoring.replay import ReplayResult
from leadcontract.safe_text import printable

__all__ = ["render_diff"]

_ZERO = Decimal("0.00")

_ASPECT_WORDS = {
    "stage": "stage",
    "handoff": "handoff",
    "sla_status": "SLA status",
    "sla_party": "accountable party",
}


def render_diff(diff: ContractDiff, replay: ReplayResult | None, fmt: str) -> str:
    """``fmt`` is text, json or markdown."""
    if fmt == "json":
        document: dict[str, Any] = diff.to_dict()
        if replay is not None:
            document["replay"] = replay.to_dict()
        return json.dumps(document, indent=2) + "\n"
    markdown = fmt == "markdown"
    out = _changes(diff, markdown=markdown)
    if replay is not None:
        out += ["", *_replay(replay, markdown=markdown)]
    return "\n".join(out) + "\n"


def _changes(diff: ContractDiff, *, markdown: bool) -> list[str]:
    if not diff.changes:
        return ["No semantic changes."]
    head = (
        f"{len(diff.changes)} change(s) from {diff.old_version} to {diff.new_version}; "
        f"they imply a {diff.bump} version bump ({diff.suggested_version})"
    )
    if not diff.version_ok:
        head += f"; the new contract says {diff.new_version}"
    out = [f"### Contract changes\n\n{head}.\n" if markdown else head + "."]
    if markdown:
        out += ["| change | impact | bump |", "|---|---|---|"]
        out += [f"| {_cell(c.summary)} | {_badge(c.impact)} | {c.bump} |" for c in diff.changes]
    else:
        width = max(len(c.impact.value) for c in diff.changes)
        out += [f"  {c.impact.value:<{width}}  {printable(c.summary)}" for c in diff.changes]
    return out


def _badge(impact: Impact) -> str:
    return f"**{impact.value}**" if impact is not Impact.NEUTRAL else impact.value


def _cell(text: str) -> str:
    """A table cell: one line (a line break in a value ended the row and broke the table)."""
    return printable(text).replace("|", "\\|")


def _replay(result: ReplayResult, *, markdown: bool) -> list[str]:
    out = ["### Replay of history" if markdown else "Replay of history:"]
    if markdown:
        out.append("")
    bullet = "- " if markdown else "  "
    out.append(
        f"{bullet}{result.leads} leads evaluated under both versions"
        f" (error rows: {result.errors_old} before, {result.errors_new} after)"
    )
    if result.only_old:
        out.append(
            f"{bullet}{len(result.only_old)} lead(s) become error rows: {_ids(result.only_old)}"
        )
    if result.only_new:
        out.append(
            f"{bullet}{len(result.only_new)} lead(s) stop being error rows: {_ids(result.only_new)}"
        )
    for movement in result.movements:
        words = _ASPECT_WORDS[movement.aspect]
        if not movement.count:
            out.append(f"{bullet}{words}: no lead changes")
            continue
        out.append(
            f"{bullet}{words}: {movement.count} lead(s) change, e.g. {_ids(movement.sample)}"
        )
        indent = "  - " if markdown else "      "
        out += [f"{indent}{move}: {count}" for move, count in movement.transitions]
    out += _money(result, markdown=markdown)
    return out


def _ids(ids: tuple[str, ...]) -> str:
    return ", ".join(map(printable, ids))


def _money(result: ReplayResult, *, markdown: bool) -> list[str]:
    reps = sorted(result.spiffs_old.keys() | result.spiffs_new.keys())
    currencies = sorted(
        {c for side in (result.spiffs_old, result.spiffs_new) for v in side.values() for c in v}
    )
    if not reps:
        return ["", "No spiffs paid under either version."]
    rows = []
    for rep in reps:
        for currency in currencies:
            before = result.spiffs_old.get(rep, {}).get(currency, _ZERO)
            after = result.spiffs_new.get(rep, {}).get(currency, _ZERO)
            if before or after:
                rows.append((rep, currency, before, after, after - before))
    delta = ", ".join(f"{_signed(a)} {c}" for c, a in result.money_delta.items()) or "0"
    if markdown:
        out = ["", "#### Spiffs per rep", "", "| rep | currency | before | after | delta |"]
        out.append("|---|---|---:|---:|---:|")
        out += [f"| {_cell(r)} | {c} | {b} | {a} | {_signed(d)} |" for r, c, b, a, d in rows]
        return [*out, "", f"Money delta: **{delta}**"]
    out = ["", "Spiffs per rep (payable, caps applied):"]
    out += [
        f"  {printable(r):<14} {c} {b:>10} -> {a:>10}  ({_signed(d)})" for r, c, b, a, d in rows
    ]
    return [*out, f"Money delta: {delta}"]


def _signed(amount: Decimal) -> str:
    return f"+{amount}" if amount > 0 else str(amount)
