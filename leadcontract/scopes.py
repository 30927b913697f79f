"""What each condition in a contract may read, and where the conditions are.

A condition's scope depends on where it is written: scoring rules see the lead's fields;
stage criteria also see the computed scores and event counts; SLA selectors also see the
stage; spiff eligibility also sees the deal. Lint type-checks every condition against its
scope and the engine compiles it against the same one, so both agree by construction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from leadcontract.fields import FieldType, Scope, Symbol
from leadcontract.model import BUILTIN_EVENTS, Contract

__all__ = [
    "DEAL_SYMBOLS",
    "ConditionSite",
    "ScopeKind",
    "build_scope",
    "condition_sites",
    "known_events",
]


class ScopeKind(StrEnum):
    """Where a condition is written, which decides what it may read."""

    FIELDS = "fields"
    """Lead fields only (fit scoring)."""
    QUALIFICATION = "qualification"
    """Fields, scores and event counts (stage and buyer-stage criteria)."""
    RULE = "rule"
    """Qualification plus the lead's current stage (SLA selectors and triggers)."""
    SPIFF = "spiff"
    """Rule plus the deal."""


DEAL_SYMBOLS: dict[str, Symbol] = {
    "deal.amount": Symbol(FieldType.NUMBER, description="Deal value"),
    "deal.product": Symbol(FieldType.STRING, description="Product sold"),
    "deal.seats": Symbol(FieldType.INTEGER, description="Seats or units sold"),
    "deal.close_date": Symbol(FieldType.DATE, description="When the deal closed"),
}
"""Deal facts, taken from the `opportunity` and `won` events."""


def known_events(contract: Contract) -> frozenset[str]:
    """Every event type a contract may refer to: built-in or declared under `lead.events`.

    Scoring rules must name declared types too, so a typo in one is reported (LC308) instead
    of silently never scoring.
    """
    return frozenset(BUILTIN_EVENTS) | frozenset(contract.lead.events)


def build_scope(contract: Contract, kind: ScopeKind) -> Scope:
    """The symbol table for conditions of ``kind`` in ``contract``."""
    scope: dict[str, Symbol] = {
        name: Symbol(
            field.type,
            frozenset(field.values) if field.values is not None else None,
            field.description,
        )
        for name, field in contract.lead.fields.items()
    }
    if kind is ScopeKind.FIELDS:
        return scope
    scope["score"] = Symbol(FieldType.NUMBER, description="Fit plus engagement score")
    scope["fit_score"] = Symbol(FieldType.NUMBER, description="Fit score")
    scope["engagement_score"] = Symbol(FieldType.NUMBER, description="Engagement score")
    for event in sorted(known_events(contract)):
        scope[f"events.{event}"] = Symbol(
            FieldType.INTEGER, description=f"How many `{event}` events the lead has"
        )
    if kind is ScopeKind.QUALIFICATION:
        return scope
    scope["stage"] = Symbol(
        FieldType.STRING,
        frozenset(stage.id for stage in contract.lead.lifecycle.stages),
        "The lead's lifecycle stage",
    )
    if kind is ScopeKind.RULE:
        return scope
    scope.update(DEAL_SYMBOLS)
    return scope


@dataclass(frozen=True, slots=True)
class ConditionSite:
    """One condition as written in the contract, with the pointer to where."""

    pointer: str
    source: Any
    kind: ScopeKind


def condition_sites(contract: Contract) -> Iterator[ConditionSite]:
    """Every condition of the contract, in document order."""
    lead = contract.lead
    for i, fit in enumerate(lead.scoring.fit.rules):
        yield ConditionSite(f"/lead/scoring/fit/rules/{i}/when", fit.when, ScopeKind.FIELDS)
    for i, stage in enumerate(lead.lifecycle.stages):
        if stage.when is not None:
            yield ConditionSite(
                f"/lead/lifecycle/stages/{i}/when", stage.when, ScopeKind.QUALIFICATION
            )
    for i, buyer in enumerate(lead.buyer_stages):
        yield ConditionSite(f"/lead/buyer_stages/{i}/when", buyer.when, ScopeKind.QUALIFICATION)
    for sla_id, sla in contract.slas.items():
        base = f"/slas/{sla_id}"
        if sla.applies_to.when is not None:
            yield ConditionSite(f"{base}/applies_to/when", sla.applies_to.when, ScopeKind.RULE)
        for name, trigger in sla.triggers():
            if trigger.when is not None:
                yield ConditionSite(f"{base}/{name}/when", trigger.when, ScopeKind.RULE)
    for spiff_id, spiff in contract.spiffs.items():
        if spiff.when is not None:
            yield ConditionSite(f"/spiffs/{spiff_id}/when", spiff.when, ScopeKind.SPIFF)
