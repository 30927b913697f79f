"""Payout statements: what each rep is owed for a month or a quarter, line by line.

:func:`statements` takes spiff lines (from :class:`leadcontract.rules.spiffs.CompiledSpiffs`)
for *all* time, not only for the statement period, because caps look back: a quarterly cap
that a rep filled in October still cuts November's lines.

How a statement is built:

1. **Caps first, over every line.** Lines are taken in a fixed order: by ``at``, then by
   ``line_id``. For each rep, spiff and cap period (the ``cap.per`` month or quarter that
   contains the line's ``at`` in the contract's time zone), the earned lines fill the cap in
   that order; the first lines are paid in full, the line that crosses the cap is paid up to
   it, and the lines after it are cut to zero. The amount cut is shown on the line as
   ``capped_by``. Lines of unassigned earnings (rep None) share one pool per spiff. A cap in
   another currency than the spiff's amount is not applied (lint reports it, LC704).
2. **Clawbacks** take back what the original line was actually *paid* (after its cap), not
   its face amount: ``capped_by`` on a clawback is the part of the reversal that was never
   paid. Clawbacks do not give room back to a cap. A clawback whose original line is not
   among the lines reverses its full amount.
3. **Then the period filter.** A statement holds the lines whose ``at`` falls in the period
   (``2026-10`` for a month, ``2026-Q4`` for a quarter; calendar days in the zone given,
   the contract's by default), in the order above. Earlier lines of a straddling cap period
   count against the cap but are not shown.
4. **Totals.** Each line pays ``net = amount - capped_by`` (``capped_by`` carries the sign of
   the amount). ``totals`` are the sum of the payable lines' ``net`` per currency; shadow
   lines are shown (with what they would pay) but only in ``shadow_totals``.
   :attr:`Statement.reconciles` checks that every currency's ``gross - capped + clawed back
   = total`` and that the total is the sum of the lines.

There is one statement per rep with at least one line in the period (unassigned lines make a
statement with ``rep`` None), sorted by rep id with the unassigned statement last.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, tzinfo
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from leadcontract.model import Contract
from leadcontract.rules.spiffs import SpiffLine
from leadcontract.safe_text import guard_csv_cell, printable
from leadcontract.verdict import format_instant

__all__ = [
    "Period",
    "Statement",
    "StatementLine",
    "apply_caps",
    "parse_period",
    "render_statements",
    "statement_to_dict",
    "statements",
]

_ZERO = Decimal("0.00")
_PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")
_YEAR = re.compile(r"^\d{4}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Period:
    """A month or a quarter, as calendar days (both ends inclusive)."""

    label: str
    start: date
    end: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date.fromordinal(date(year, month + 1, 1).toordinal() - 1)


def parse_period(text: str) -> Period:
    """A month (``2026-10``), a quarter (``2026-Q4``), a year (``2026``), a day
    (``2026-10-15``), or a range of any of these (``2026-01..2026-Q3``, both ends included);
    :class:`ValueError` otherwise."""
    first, dots, last = text.partition("..")
    if dots:
        start, end = _one_period(first.strip()), _one_period(last.strip())
        if end.end < start.start:
            raise ValueError(f"the period {text!r} ends before it starts")
        return Period(text, start.start, end.end)
    return _one_period(text)


def _one_period(text: str) -> Period:
    if _YEAR.match(text):
        return Period(text, date(int(text), 1, 1), date(int(text), 12, 31))
    if _DAY.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a calendar day") from None
        return Period(text, day, day)
    match = _PERIOD.match(text)
    if match is None:
        raise ValueError(
            "expected a period such as 2026-10, 2026-Q4, 2026, 2026-10-15 or a range "
            f"2026-01..2026-06, got {text!r}"
        )
    year = int(match[1])
    if match[2]:
        month = int(match[2])
        return Period(text, date(year, month, 1), _month_end(year, month))
    quarter = int(match[3])
    first = 3 * quarter - 2
    return Period(text, date(year, first, 1), _month_end(year, first + 2))


def _cap_key(day: date, per: Literal["month", "quarter"]) -> str:
    if per == "month":
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@dataclass(frozen=True, slots=True)
class StatementLine:
    """A spiff line on a statement, with what the cap cut from it."""

    line: SpiffLine
    capped_by: Decimal = _ZERO
    """The part of ``amount`` that is not paid (same sign as the amount)."""
    cap_period: str | None = None
    """The cap period the line was counted in (``2026-10``, ``2026-Q4``), when capped."""

    @property
    def net(self) -> Decimal:
        """What the line pays: ``amount - capped_by``."""
        return self.line.amount - self.capped_by

    @property
    def rule(self) -> str:
        """The contract rule that produced the line."""
        return f"/spiffs/{self.line.spiff}"


@dataclass(frozen=True, slots=True)
class Statement:
    """One rep's spiff lines in one period, and their totals per currency."""

    rep: str | None
    rep_name: str | None
    period: Period
    lines: tuple[StatementLine, ...]
    zone: tzinfo = UTC
    """The zone whose calendar days, months and quarters the statement is cut by."""

    def _sum(self, pick: Any, *, payable: bool = True) -> dict[str, Decimal]:
        sums: dict[str, Decimal] = {}
        for item in self.lines:
            if item.line.payable is payable:
                value = pick(item)
                if value is not None:
                    currency = item.line.currency
                    sums[currency] = sums.get(currency, _ZERO) + value
        return dict(sorted(sums.items()))

    @property
    def totals(self) -> dict[str, Decimal]:
        """What is payable, per currency: the net of the payable lines."""
        return self._sum(lambda item: item.net)

    def subtotals(
        self, per: Literal["month", "quarter"] = "month"
    ) -> dict[str, dict[str, Decimal]]:
        """What is payable per month (or quarter) of the statement, per currency, in time
        order; the subtotals add up to :attr:`totals`."""
        sums: dict[str, dict[str, Decimal]] = {}
        for item in self.lines:
            if item.line.payable:
                key = _cap_key(item.line.at.astimezone(self.zone).date(), per)
                bucket = sums.setdefault(key, {})
                currency = item.line.currency
                bucket[currency] = bucket.get(currency, _ZERO) + item.net
        return {key: dict(sorted(sums[key].items())) for key in sorted(sums)}

    @property
    def shadow_totals(self) -> dict[str, Decimal]:
        """What shadow spiffs would pay, per currency (not payable)."""
        return self._sum(lambda item: item.net, payable=False)

    @property
    def gross(self) -> dict[str, Decimal]:
        """Earned amounts of payable lines before caps, per currency."""
        return self._sum(lambda item: item.line.amount if item.line.kind == "earned" else None)

    @property
    def capped(self) -> dict[str, Decimal]:
        """What the caps cut from the payable earned lines, per currency."""
        return self._sum(lambda item: item.capped_by if item.line.kind == "earned" else None)

    @property
    def clawed_back(self) -> dict[str, Decimal]:
        """What clawbacks take back (negative), per currency."""
        return self._sum(lambda item: item.net if item.line.kind == "clawback" else None)

    @property
    def reconciles(self) -> bool:
        """Per currency: gross - capped + clawed back == total == sum of the payable lines'
        net; and every line's net lies between 0 and its amount."""
        totals = self.totals
        gross, capped, clawed = self.gross, self.capped, self.clawed_back
        for currency in set(totals) | set(gross) | set(clawed):
            total = totals.get(currency, _ZERO)
            if (
                gross.get(currency, _ZERO)
                - capped.get(currency, _ZERO)
                + clawed.get(currency, _ZERO)
                != total
            ):
                return False
            listed = sum(
                (i.net for i in self.lines if i.line.payable and i.line.currency == currency),
                _ZERO,
            )
            if listed != total:
                return False
        for item in self.lines:
            amount, net = item.line.amount, item.net
            if not (min(amount, _ZERO) <= net <= max(amount, _ZERO)):
                return False
        return True


def apply_caps(
    lines: Iterable[SpiffLine], *, contract: Contract, zone: tzinfo
) -> list[StatementLine]:
    """Every line with its cap cut, in statement order (``at``, then ``line_id``)."""
    ordered = sorted(lines, key=lambda line: (line.at, line.line_id))
    used: dict[tuple[str | None, str, str], Decimal] = {}
    paid: dict[str, Decimal] = {}
    out: list[StatementLine] = []
    for line in ordered:
        spiff = contract.spiffs.get(line.spiff)
        cap = spiff.cap if spiff is not None else None
        if line.kind == "clawback":
            original = paid.get(line.reverses or "")
            net = -original if original is not None else line.amount
            out.append(StatementLine(line, line.amount - net))
            continue
        if cap is None or cap.currency != line.currency:
            item = StatementLine(line)
        else:
            key = _cap_key(line.at.astimezone(zone).date(), cap.per)
            pool = (line.rep, line.spiff, key)
            room = max(cap.amount - used.get(pool, _ZERO), _ZERO)
            pays = min(line.amount, room) if line.amount > 0 else line.amount
            used[pool] = used.get(pool, _ZERO) + pays
            item = StatementLine(line, line.amount - pays, key)
        paid[line.line_id] = item.net
        out.append(item)
    return out


def statements(
    lines: Iterable[SpiffLine],
    *,
    contract: Contract,
    period: str,
    zone: tzinfo | str | None = None,
) -> list[Statement]:
    """One statement per rep for ``period`` (see the module docstring for the rules).

    ``lines`` should hold every line of every period (caps look back); ``zone`` defaults to
    the contract's time zone.
    """
    span = parse_period(period)
    if zone is None:
        zone = contract.metadata.timezone
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    by_rep: dict[str | None, list[StatementLine]] = {}
    for item in apply_caps(lines, contract=contract, zone=tz):
        if span.contains(item.line.at.astimezone(tz).date()):
            by_rep.setdefault(item.line.rep, []).append(item)
    result = []
    for rep in sorted(by_rep, key=lambda r: (r is None, r or "")):
        person = contract.reps.get(rep) if rep is not None else None
        name = person.name if person else None
        result.append(Statement(rep, name, span, tuple(by_rep[rep]), tz))
    return result


# --- rendering ------------------------------------------------------------------------------

_COLUMNS = (
    "period",
    "rep",
    "line_id",
    "kind",
    "spiff",
    "rule",
    "lead_id",
    "role",
    "at",
    "currency",
    "amount",
    "capped_by",
    "net",
    "payable",
    "reverses",
    "reason",
)


def _row(statement: Statement, item: StatementLine) -> dict[str, str]:
    line = item.line
    return {
        "period": statement.period.label,
        "rep": statement.rep or "",
        "line_id": line.line_id,
        "kind": line.kind,
        "spiff": line.spiff,
        "rule": item.rule,
        "lead_id": line.lead_id,
        "role": line.role or "",
        "at": format_instant(line.at),
        "currency": line.currency,
        "amount": str(line.amount),
        "capped_by": str(item.capped_by),
        "net": str(item.net),
        "payable": "true" if line.payable else "false",
        "reverses": line.reverses or "",
        "reason": line.reason,
    }


def _money(sums: dict[str, Decimal]) -> dict[str, str]:
    return {currency: str(value) for currency, value in sums.items()}


def statement_to_dict(statement: Statement) -> dict[str, Any]:
    """A statement as JSON-ready built-ins (money as strings, exact)."""
    return {
        "rep": statement.rep,
        "rep_name": statement.rep_name,
        "period": statement.period.label,
        "start": statement.period.start.isoformat(),
        "end": statement.period.end.isoformat(),
        "totals": _money(statement.totals),
        "gross": _money(statement.gross),
        "capped": _money(statement.capped),
        "clawed_back": _money(statement.clawed_back),
        "shadow_totals": _money(statement.shadow_totals),
        "subtotals": {month: _money(sums) for month, sums in statement.subtotals().items()},
        "reconciles": statement.reconciles,
        "lines": [
            {k: v for k, v in _row(statement, item).items() if k not in ("period", "rep")}
            | {"payable": item.line.payable, "reverses": item.line.reverses}
            for item in statement.lines
        ],
    }


def _table(items: Sequence[Statement]) -> str:
    out: list[str] = []
    for statement in items:
        who = statement.rep or "(unassigned)"
        if statement.rep_name:
            who += f" - {statement.rep_name}"
        out.append(f"Statement {statement.period.label} for {who}")
        header = ("at", "kind", "spiff", "lead", "amount", "capped", "net", "")
        rows = [
            (
                format_instant(item.line.at),
                item.line.kind,
                item.line.spiff,
                item.line.lead_id,
                f"{item.line.amount} {item.line.currency}",
                str(item.capped_by),
                str(item.net),
                "" if item.line.payable else "shadow",
            )
            for item in statement.lines
        ]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        out.append(
            ("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))).rstrip()
        )
        for row, item in zip(rows, statement.lines, strict=True):
            out.append(
                ("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))).rstrip()
            )
            out.append(f"      {item.rule} ({item.line.line_id}): {item.line.reason}")
        for label, sums in (
            ("total", statement.totals),
            ("capped", statement.capped),
            ("clawed back", statement.clawed_back),
            ("shadow (not payable)", statement.shadow_totals),
        ):
            if sums:
                shown = ", ".join(f"{value} {currency}" for currency, value in sums.items())
                out.append(f"  {label}: {shown}")
        if not statement.totals:
            out.append("  total: nothing payable")
        subtotals = statement.subtotals()
        if len(subtotals) > 1:
            for month, sums in subtotals.items():
                shown = ", ".join(f"{value} {currency}" for currency, value in sums.items())
                out.append(f"    {month}: {shown}")
        out.append(f"  reconciles: {'yes' if statement.reconciles else 'NO'}")
        out.append("")
    return "\n".join(map(printable, out))  # a rep's name or a lead id cannot forge a line


def render_statements(
    items: Sequence[Statement],
    fmt: Literal["table", "csv", "json"] = "table",
    *,
    raw_csv: bool = False,
) -> str:
    """Statements as a text table, CSV (one row per line) or JSON; each line cites its spiff
    rule (``/spiffs/<id>``) and the reason it was earned or taken back. CSV cells a
    spreadsheet would run as formulas are guarded unless ``raw_csv`` (see
    :func:`leadcontract.safe_text.guard_csv_cell`)."""
    if fmt == "json":
        return json.dumps([statement_to_dict(s) for s in items], indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for statement in items:
            for item in statement.lines:
                row = _row(statement, item)
                writer.writerow(row if raw_csv else {k: _guard(v) for k, v in row.items()})
        return buffer.getvalue()
    if fmt == "table":
        return _table(items)
    raise ValueError(f"unknown format {fmt!r}: expected table, csv or json")


def _guard(value: Any) -> Any:
    return guard_csv_cell(value) if isinstance(value, str) else value
