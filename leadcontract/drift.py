"""Data drift: input that does not match the contract, reported instead of silently defaulted.

A contract names its campaigns, event types, reps and allowed values; a CRM export drifts away
from it (a new campaign nobody added, a misspelt ``tuoch``, a rep hired last week, a new
picklist value, a column renamed). Each of these changes what a run decides, so each is
counted in a :class:`DataDrift` while the run streams, shown in the summary, written to the
JSON summary, and, with ``--strict-data``, fails the run.

Accountability: a lead whose campaign is not in the contract was never handed off under the
agreement, so no SLA breach of it is blamed on sales; the breach goes to ``marketing``, the
party that sourced a lead outside the agreement (see :mod:`leadcontract.sla`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from leadcontract.model import Contract, EventMapping
from leadcontract.scopes import known_events

__all__ = ["DRIFT_KINDS", "DataDrift", "DriftFinding", "known_event_types"]

DRIFT_KINDS: Final[Mapping[str, str]] = {
    "unknown-campaign": "Leads whose campaign is not in the contract.",
    "unknown-event-type": "Events of a type the contract does not know (a misspelt `tuoch`).",
    "unknown-rep": "Lead owners, or actors of touches and meetings, that are not reps of the "
    "contract.",
    "value-not-allowed": "Values outside a field's allowed values, or unreadable ones kept "
    "empty (`on_invalid: empty`).",
    "unmapped-column": "Input columns that no lead field reads (list known ones under "
    "`mappings.ignore_columns`).",
    "unmapped-event": "Activity rows that no event mapping matches.",
}
"""Every kind of drift with its meaning."""

_SHOWN: Final = 10


@dataclass(frozen=True, slots=True)
class DriftFinding:
    """One kind of drift over a run: how many records, and the values seen (most first)."""

    kind: str
    records: int
    values: tuple[tuple[str, int], ...]

    @property
    def message(self) -> str:
        shown = ", ".join(f"{value} ({count})" for value, count in self.values[:_SHOWN])
        more = len(self.values) - _SHOWN
        if more > 0:
            shown += f" and {more} more"
        return f"{self.kind}: {self.records:,} record(s): {shown}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "meaning": DRIFT_KINDS[self.kind],
            "records": self.records,
            "values": dict(self.values),
        }


def known_event_types(contract: Contract, mappings: Iterable[EventMapping] = ()) -> frozenset[str]:
    """Event types a contract gives a meaning to: built-in, declared, used by a rule, or made
    by one of its event mappings."""
    kinds = set(known_events(contract))
    for stage in contract.lead.lifecycle.stages:
        kinds.update(stage.entry_events)
    for rule in contract.lead.scoring.engagement.rules:
        kinds.add(rule.event)
    for sla in contract.slas.values():
        for _, trigger in sla.triggers():
            kinds.update(trigger.event or ())
    for mapping in mappings:
        if "type" in mapping.set:
            kinds.add(mapping.set["type"])
        source = mapping.columns.get("type")
        if source is not None and not isinstance(source, str):
            kinds.update(v for v in source.map.values() if v is not None)
    return frozenset(kind.lower() for kind in kinds)


@dataclass
class DataDrift:
    """Drift counted over one run, per kind: value → number of records."""

    counts: dict[str, Counter[str]] = field(
        default_factory=lambda: {kind: Counter() for kind in DRIFT_KINDS}
    )

    def add(self, kind: str, value: str, count: int = 1) -> None:
        """Count ``count`` records of drift ``kind`` with ``value``."""
        self.counts[kind][value] += count

    def merge(self, other: DataDrift) -> None:
        """Add the drift counted over another part of the same run."""
        for kind, counter in other.counts.items():
            self.counts[kind].update(counter)

    @property
    def found(self) -> bool:
        """Whether any drift was seen (what ``--strict-data`` fails on)."""
        return any(self.counts.values())

    def findings(self) -> list[DriftFinding]:
        """One finding per kind of drift seen, in the order of :data:`DRIFT_KINDS`."""
        return [
            DriftFinding(
                kind,
                sum(counter.values()),
                tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0]))),
            )
            for kind, counter in self.counts.items()
            if counter
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "findings": [finding.to_dict() for finding in self.findings()],
        }
