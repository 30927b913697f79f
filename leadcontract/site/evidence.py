"""The evidence of how the agreement is kept: the figures the dashboards show.

Every figure comes from the library's own reports, so the site and ``leadcontract report`` /
``leadcontract payouts`` cannot disagree: follow-up compliance from
:func:`leadcontract.report.compliance`, load against capacity from the
:class:`~leadcontract.capacity.CapacityPlan`, spiff totals from
:func:`leadcontract.payouts.statements` (one statement per month that has lines).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from leadcontract.capacity import CapacityPlan
from leadcontract.engine import CompiledContract, RunCounts
from leadcontract.payouts import Statement, statements
from leadcontract.report import ComplianceRow, compliance
from leadcontract.rules.spiffs import SpiffLine
from leadcontract.verdict import Verdict

__all__ = ["Evidence", "evidence_of", "gather_evidence"]


@dataclass(frozen=True)
class Evidence:
    """Figures from one evaluation of lead records and events as of one instant."""

    as_of: datetime
    counts: RunCounts
    by_campaign: tuple[ComplianceRow, ...]
    by_week: tuple[ComplianceRow, ...]
    capacity: CapacityPlan | None
    """None when the lead records are not at hand (evidence from the audit store)."""
    statements: tuple[Statement, ...]
    """Spiff statements, one per rep and month with lines, in month order."""
    source: str = "Evaluated"
    """Where the figures come from, as the start of a sentence ("Evaluated", "From audit
    run ...")."""

    @property
    def breaches(self) -> Counter[str]:
        """Breaches of every SLA by accountable party, over all campaigns."""
        total: Counter[str] = Counter()
        for row in self.by_campaign:
            total.update(row.breaches)
        return total

    @property
    def minutes_to_first_touch(self) -> list[int]:
        """Business minutes to first touch of every handed-off lead touched so far."""
        return sorted(m for row in self.by_campaign for m in row.minutes_to_touch)

    @property
    def totals(self) -> ComplianceRow:
        """All campaigns together (shares over the sums, not averages of shares)."""
        whole = ComplianceRow("all campaigns")
        for row in self.by_campaign:
            whole.leads += row.leads
            whole.handed_off += row.handed_off
            whole.touched += row.touched
            whole.within_sla += row.within_sla
            whole.measured += row.measured
            whole.attempts += row.attempts
            whole.minutes_to_touch += row.minutes_to_touch
            whole.breaches.update(row.breaches)
        return whole

    def spiff_totals(self) -> dict[tuple[str, str], Decimal]:
        """Payable spiff totals per (rep, currency) over every statement."""
        totals: dict[tuple[str, str], Decimal] = {}
        for statement in self.statements:
            rep = statement.rep_name or statement.rep or "(unassigned)"
            for currency, amount in statement.totals.items():
                totals[(rep, currency)] = totals.get((rep, currency), Decimal("0.00")) + amount
        return dict(sorted(totals.items()))


def gather_evidence(
    compiled: CompiledContract,
    leads: Path,
    events: Path | Sequence[Path] | None,
    *,
    as_of: datetime,
) -> Evidence:
    """Evaluate the records as of ``as_of`` and compute every dashboard figure.

    ``events`` is one activity export or several (a CRM's Task and LeadHistory exports), read
    together as ``evaluate --events A B`` reads them.

    Raises what evaluation raises for unreadable input (``OSError``); record error rows are
    counted in :attr:`Evidence.counts`, as in every other report.
    """
    plan = compiled.plan_capacity(leads)
    sources = [events] if isinstance(events, Path) else list(events or ())
    evaluation = compiled.evaluate(leads, sources, as_of=as_of, trace=False, capacity=plan)
    verdicts: list[Verdict] = [item for item in evaluation if isinstance(item, Verdict)]
    return evidence_of(compiled, verdicts, as_of=as_of, counts=evaluation.counts, capacity=plan)


def evidence_of(
    compiled: CompiledContract,
    verdicts: list[Verdict],
    *,
    as_of: datetime,
    counts: RunCounts,
    capacity: CapacityPlan | None,
    source: str = "Evaluated",
) -> Evidence:
    """Every dashboard figure from verdicts, whether just evaluated or read back."""
    contract, zone = compiled.contract, compiled.zone
    lines: list[SpiffLine] = [
        line for verdict in verdicts for decision in verdict.spiffs for line in decision.lines
    ]
    months = sorted({line.at.astimezone(zone).strftime("%Y-%m") for line in lines})
    monthly = [s for month in months for s in statements(lines, contract=contract, period=month)]
    return Evidence(
        as_of=as_of,
        counts=counts,
        by_campaign=tuple(compliance(verdicts, contract=contract, zone=zone, by="campaign")),
        by_week=tuple(compliance(verdicts, contract=contract, zone=zone, by="week")),
        capacity=capacity,
        statements=tuple(monthly),
        source=source,
    )
