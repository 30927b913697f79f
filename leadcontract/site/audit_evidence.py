"""Evidence from the audit store: the dashboards of a recorded run, not a new evaluation.

``leadcontract evaluate --audit DB`` records every verdict of a run in the hash-chained store.
:func:`evidence_from_audit` verifies the chain, takes the contract's latest evaluation run,
turns its stored verdicts back into :class:`~leadcontract.verdict.Verdict` records (with
:meth:`~leadcontract.verdict.Verdict.from_dict`) and computes the same figures as
:func:`~leadcontract.site.evidence.gather_evidence`. The load against capacity needs the lead
records themselves (their creation times), so that page says so instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from leadcontract.engine import CompiledContract, RunCounts
from leadcontract.site.evidence import Evidence, evidence_of
from leadcontract.store import AuditStoreError, SqliteAuditStore
from leadcontract.verdict import Verdict

__all__ = ["AuditEvidenceError", "evidence_from_audit", "verdict_from_dict"]


class AuditEvidenceError(ValueError):
    """The audit store cannot give evidence: missing, broken chain, or no run of the contract."""


def _instant(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def verdict_from_dict(data: Mapping[str, Any]) -> Verdict:
    """A stored verdict (``Verdict.to_dict()``) back as a record: :meth:`Verdict.from_dict`
    (pydantic's ``ValidationError``, a ``ValueError``, for a payload that is not a verdict)."""
    return Verdict.from_dict(data)


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
