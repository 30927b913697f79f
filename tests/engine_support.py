"""Shared builders for the tests that run the engine on tests/fixtures/engine/contract.yaml.

Every lead is created at T0 (2026-06-01 00:00 UTC) and evaluated, unless a test says otherwise,
at AS_OF (30 days later). The `engine` fixture that compiles this contract is in conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from leadcontract.engine import CompiledContract, compile_contract
from leadcontract.loader import load
from leadcontract.verdict import Verdict

CONTRACT = Path(__file__).parent / "fixtures" / "engine" / "contract.yaml"
T0 = datetime(2026, 6, 1, tzinfo=UTC)
DAY = timedelta(days=1)
AS_OF = T0 + 30 * DAY

LEAD: dict[str, Any] = {
    "lead_id": "L1",
    "email": "pat@acme.example",
    "campaign": "webinar",
    "created_at": T0.isoformat(),
}
"""The fields every lead record has unless a test (or a module's own ``lead``) says otherwise."""


def compiled(path: Path) -> CompiledContract:
    """The contract at ``path``, loaded without diagnostics that stop it, and compiled."""
    loaded = load(path)
    assert loaded.contract is not None, loaded.diagnostics
    return compile_contract(loaded.contract)


def lead(**fields: Any) -> dict[str, Any]:
    """A lead record: LEAD with ``fields`` added or replaced."""
    return {**LEAD, **fields}


def event(kind: str, at: datetime, **extra: Any) -> dict[str, Any]:
    """An event of lead L1 (``lead_id=`` in ``extra`` names another lead)."""
    return {"lead_id": "L1", "type": kind, "at": at.isoformat(), **extra}


def verdict_of(
    engine: CompiledContract,
    record: dict[str, Any],
    events: Iterable[dict[str, Any]] = (),
    *,
    as_of: datetime = AS_OF,
    trace: bool = True,
    check_counts: bool = True,
) -> Verdict:
    """The one verdict of ``record``; with ``check_counts``, the run's counts must reconcile."""
    evaluation = engine.evaluate([record], list(events), as_of=as_of, trace=trace)
    items = list(evaluation)
    assert len(items) == 1
    assert isinstance(items[0], Verdict), items[0]
    if check_counts:
        assert evaluation.counts.reconciles
    return items[0]
