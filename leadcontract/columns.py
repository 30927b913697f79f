"""The flat view of a verdict: one row of named columns, for CSV, tables and Parquet.

Analysts should not have to parse nested JSON to learn who owns a lead, which promise broke
and who answers for it, or what it paid. The column set is fixed by the contract: the lead's
own columns first, then four per SLA (``sla.<id>.status``, ``.due``, ``.stopped``,
``.party``) in contract order, then two per spiff (``spiff.<id>.eligible``, ``.amount``).
``docs/outputs.md`` documents every column (a test checks it names them all).

Values keep their types here (``datetime``, ``Decimal``, ``bool``, ``int``, ``float``), so each
writer spells them its own way: CSV as ISO 8601 text, Parquet as typed columns.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from leadcontract.model import Contract
from leadcontract.verdict import SlaVerdict, Verdict

__all__ = [
    "BASE_COLUMNS",
    "Column",
    "ColumnKind",
    "flat_row",
    "select_columns",
    "verdict_columns",
]

ColumnKind = Literal["text", "integer", "number", "decimal", "boolean", "instant"]
"""How a column's values are typed: Parquet column types follow from it."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the flat view: its name, value type, meaning, and how to read it."""

    name: str
    kind: ColumnKind
    doc: str
    read: Callable[[Verdict], Any]


def _joined(values: Sequence[str]) -> str | None:
    return ";".join(values) if values else None


def _dq(verdict: Verdict, name: str) -> Any:
    dq = verdict.disqualification
    return getattr(dq, name) if dq is not None else None


def _handoff(verdict: Verdict, name: str) -> Any:
    handoff = verdict.handoff
    return getattr(handoff, name) if handoff is not None else None


BASE_COLUMNS: tuple[Column, ...] = (
    Column("lead_id", "text", "The lead's id.", lambda v: v.lead_id),
    Column("owner", "text", "The rep who owns the lead.", lambda v: v.owner),
    Column("campaign", "text", "The lead's campaign.", lambda v: v.campaign),
    Column("stage", "text", "Lifecycle stage as of the run.", lambda v: v.stage.id),
    Column("stage_since", "instant", "When the lead entered it.", lambda v: v.stage.since),
    Column("buyer_stage", "text", "The buyer's stage.", lambda v: v.buyer_stage),
    Column("score", "number", "Score as of the run (fit + engagement).", lambda v: v.score.total),
    Column("fit", "number", "Fit points.", lambda v: v.score.fit),
    Column("engagement", "number", "Engagement points, decayed.", lambda v: v.score.engagement),
    Column("touches", "integer", "Contact attempts up to the run.", lambda v: v.touches),
    Column("first_touch_at", "instant", "The first touch.", lambda v: v.first_touch_at),
    Column(
        "first_touch_by",
        "text",
        "Who made the first touch.",
        lambda v: v.touched_by[0] if v.touched_by else None,
    ),
    Column("handoff_due", "boolean", "Sales is owed the lead.", lambda v: _handoff(v, "due")),
    Column("handoff_done", "boolean", "It was handed off.", lambda v: _handoff(v, "done")),
    Column("handoff_at", "instant", "When it was handed off.", lambda v: _handoff(v, "at")),
    Column("handoff_by", "text", "Who handed it off.", lambda v: _handoff(v, "by")),
    Column(
        "missing_fields",
        "text",
        "Fields required at handoff that were empty (;-separated): marketing owes them.",
        lambda v: _joined(v.handoff.missing_fields) if v.handoff else None,
    ),
    Column(
        "disqualified_reason",
        "text",
        "Reason of the latest disqualification.",
        lambda v: _dq(v, "reason"),
    ),
    Column(
        "disqualification_valid",
        "boolean",
        "An allowed reason, with a note where the reason needs one.",
        lambda v: _dq(v, "valid"),
    ),
    Column("recycled_to", "text", "The nurture track it went to.", lambda v: _dq(v, "recycle_to")),
    Column("returns_at", "instant", "When it comes back.", lambda v: _dq(v, "returns_at")),
    Column(
        "warnings",
        "integer",
        "Data warnings of the record (values set aside by `on_invalid: empty`).",
        lambda v: len(v.warnings) or None,
    ),
    Column(
        "anomalies",
        "integer",
        "Stage and clock anomalies (see the verdict's `anomalies`).",
        lambda v: (len(v.stage.anomalies) + sum(len(c.anomalies) for c in v.slas)) or None,
    ),
    Column("contract_version", "text", "The contract's version.", lambda v: v.contract.version),
    Column("as_of", "instant", "The instant the lead was judged as of.", lambda v: v.as_of),
)
"""The lead's own columns, in order (the same for every contract)."""


def _sla_columns(sla_id: str) -> tuple[Column, ...]:
    def clock(verdict: Verdict) -> SlaVerdict | None:
        return next((c for c in verdict.slas if c.sla == sla_id), None)

    def attribute(name: str) -> Callable[[Verdict], Any]:
        def read(verdict: Verdict) -> Any:
            found = clock(verdict)
            return getattr(found, name) if found is not None else None

        return read

    prefix = f"sla.{sla_id}."
    return (
        Column(
            prefix + "status",
            "text",
            f"SLA `{sla_id}`: not_applicable, pending, at_risk, paused, met, breached or "
            "cancelled.",
            attribute("status"),
        ),
        Column(prefix + "due", "instant", f"SLA `{sla_id}`: when it is due.", attribute("due")),
        Column(
            prefix + "stopped",
            "instant",
            f"SLA `{sla_id}`: when the promise was kept (the clock stopped).",
            attribute("stop"),
        ),
        Column(
            prefix + "party",
            "text",
            f"SLA `{sla_id}`: who answers for a breach (sales, marketing, capacity-overflow...).",
            attribute("party"),
        ),
    )


def _spiff_columns(spiff_id: str) -> tuple[Column, ...]:
    def decision(verdict: Verdict) -> Any:
        return next((d for d in verdict.spiffs if d.spiff == spiff_id), None)

    def eligible(verdict: Verdict) -> bool | None:
        found = decision(verdict)
        return found.eligible if found is not None else None

    def amount(verdict: Verdict) -> Decimal | None:
        found = decision(verdict)
        if found is None or not found.lines:
            return None
        return sum((line.amount for line in found.lines), Decimal("0.00"))

    prefix = f"spiff.{spiff_id}."
    return (
        Column(prefix + "eligible", "boolean", f"Spiff `{spiff_id}`: does it pay.", eligible),
        Column(
            prefix + "amount",
            "decimal",
            f"Spiff `{spiff_id}`: what this lead's lines add up to, clawbacks included, "
            "before caps (in the spiff's currency).",
            amount,
        ),
    )


def verdict_columns(contract: Contract) -> tuple[Column, ...]:
    """Every column of the flat view for ``contract``, in order."""
    columns = list(BASE_COLUMNS)
    for sla_id in contract.slas:
        columns += _sla_columns(sla_id)
    for spiff_id in contract.spiffs:
        columns += _spiff_columns(spiff_id)
    return tuple(columns)


def select_columns(available: Sequence[Column], names: Sequence[str]) -> tuple[Column, ...]:
    """The columns named, in the order named; :class:`ValueError` names an unknown one and
    the closest known name. A name ending in ``.*`` (``sla.first-touch.*``) selects every
    column it prefixes."""
    by_name = {column.name: column for column in available}
    chosen: list[Column] = []
    for name in names:
        if name.endswith("*"):
            matched = [c for c in available if c.name.startswith(name[:-1])]
            if not matched:
                raise ValueError(f"no column starts with {name[:-1]!r}")
            chosen += matched
            continue
        column = by_name.get(name)
        if column is None:
            close = difflib.get_close_matches(name, list(by_name), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"no column {name!r}{hint} (docs/outputs.md lists them)")
        chosen.append(column)
    return tuple(chosen)


def flat_row(verdict: Verdict, columns: Sequence[Column]) -> dict[str, Any]:
    """The verdict's values for ``columns``, typed (None where there is no value)."""
    return {column.name: column.read(verdict) for column in columns}
