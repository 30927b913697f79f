"""Evidence from the audit store: the dashboards of a recorded run, not a new evaluation.

``leadcontract evaluate --audit DB`` records every verdict of a run in the hash-chained store.
:func:`evidence_from_audit` verifies the chain, takes the contract's latest evaluation run,
turns its stored verdicts back into :class:`~leadcontract.verdict.Verdict` records and
computes the same figures as :func:`~leadcontract.site.evidence.gather_evidence`. The load
against capacity needs the lead records themselves (their creation times), so that page says
so instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from leadcontract.engine import CompiledContract, RunCounts
from leadcontract.rules.spiffs import SpiffDecision, SpiffLine
from leadcontract.site.evidence import Evidence, evidence_of
from leadcontract.store import AuditStoreError, SqliteAuditStore
from leadcontract.verdict import (
    ContractRef,
    Handoff,
    Score,
    SlaVerdict,
    StageVerdict,
    Verdict,
)

__all__ = ["AuditEvidenceError", "evidence_from_audit", "verdict_from_dict"]


class AuditEvidenceError(ValueError):
    """The audit store cannot give evidence: missing, broken chain, or no run of the contract."""


def _instant(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _handoff(data: Mapping[str, Any] | None) -> Handoff | None:
    if data is None:
        return None
    return Handoff(
        campaign=data["campaign"],
        stage=data["stage"],
        qualified_by=data["qualified_by"],
        to=data["to"],
        due=data["due"],
        done=data["done"],
        at=_instant(data.get("at")),
        by=data.get("by"),
        missing_fields=tuple(data.get("missing_fields") or ()),
    )


def _sla(data: Mapping[str, Any]) -> SlaVerdict:
    return SlaVerdict(
        sla=data["sla"],
        kind=data["kind"],
        status=data["status"],
        start=_instant(data.get("start")),
        due=_instant(data.get("due")),
        stop=_instant(data.get("stop")),
        breached_at=_instant(data.get("breached_at")),
        elapsed_minutes=data.get("elapsed_minutes"),
        remaining_minutes=data.get("remaining_minutes"),
        attempts=data.get("attempts"),
        party=data.get("party"),
        evidence=data.get("evidence", ""),
        escalate_to=data.get("escalate_to"),
    )


def _line(data: Mapping[str, Any]) -> SpiffLine:
    at = _instant(data["at"])
    assert at is not None
    return SpiffLine(
        spiff=data["spiff"],
        lead_id=data["lead_id"],
        rep=data.get("rep"),
        role=data.get("role"),
        kind=data["kind"],
        amount=Decimal(str(data["amount"])),
        currency=data["currency"],
        at=at,
        payable=data["payable"],
        reason=data.get("reason", ""),
        reverses=data.get("reverses"),
        line_id=data.get("line_id", ""),
    )


def verdict_from_dict(data: Mapping[str, Any]) -> Verdict:
    """A stored verdict (``Verdict.to_dict()``) back as a record, with what the reports read:
    stage, score totals, handoff, SLA clocks and spiff lines (traces and clock events are not
    rebuilt). Raises ``KeyError``/``ValueError`` for a payload that is not a verdict."""
    stage = data["stage"]
    score = data["score"]
    as_of = _instant(data["as_of"])
    assert as_of is not None
    return Verdict(
        lead_id=data["lead_id"],
        contract=ContractRef(**data["contract"]),
        as_of=as_of,
        library_version=data["library_version"],
        stage=StageVerdict(stage["id"], stage.get("role"), _instant(stage.get("since"))),
        score=Score(score["total"], score["fit"], score["engagement"]),
        buyer_stage=data.get("buyer_stage"),
        campaign=data.get("campaign"),
        owner=data.get("owner"),
        touches=data.get("touches", 0),
        first_touch_at=_instant(data.get("first_touch_at")),
        handoff=_handoff(data.get("handoff")),
        slas=tuple(_sla(clock) for clock in data.get("slas") or ()),
        spiffs=tuple(
            SpiffDecision(
                spiff=d["spiff"],
                eligible=d["eligible"],
                why=d.get("why", ""),
                lines=tuple(_line(line) for line in d.get("lines") or ()),
            )
            for d in data.get("spiffs") or ()
        ),
    )


def evidence_from_audit(compiled: CompiledContract, db: Path) -> Evidence:
    """The figures of the contract's latest evaluation run recorded in ``db``."""
    try:
        with SqliteAuditStore(db, create=False) as store:
            check = store.verify()
            if not check.ok:
                raise AuditEvidenceError(f"{db}: the audit chain is broken: {check.reason}")
            runs = [
                run
                for run in store.runs()
                if run["kind"] == "evaluation" and run["contract_id"] == compiled.ref.id
            ]
            if not runs:
                raise AuditEvidenceError(
                    f"{db}: no evaluation run of contract {compiled.ref.id} is recorded "
                    "(record one with leadcontract evaluate --audit)"
                )
            run = runs[-1]
            entries = list(store.run_entries(run["run_id"]))
    except AuditStoreError as error:
        raise AuditEvidenceError(str(error)) from error
    verdicts = [verdict_from_dict(p) for kind, _, p in entries if kind == "verdict"]
    errors = sum(1 for kind, _, p in entries if kind == "error" and p.get("kind") == "lead")
    as_of = _instant(run["as_of"])
    assert as_of is not None
    source = (
        f"From audit run `{run['run_id']}` of contract version {run['contract_version']} in "
        f"{db.name} (hash chain verified, {check.entries:,} entries)"
    )
    counts = RunCounts(
        leads_read=len(verdicts) + errors, verdicts=len(verdicts), lead_errors=errors
    )
    return evidence_of(compiled, verdicts, as_of=as_of, counts=counts, capacity=None, source=source)
