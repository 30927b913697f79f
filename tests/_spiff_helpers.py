"""Shared builders for the spiff and payout tests: the example contract with crafted spiffs,
hand-made verdicts and events, so that every amount can be worked out by hand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from leadcontract.inputs import Event
from leadcontract.loader import load
from leadcontract.model import Contract, Spiff
from leadcontract.verdict import (
    ContractRef,
    Handoff,
    Score,
    SlaVerdict,
    StageChange,
    StageVerdict,
    Verdict,
)

EXAMPLE = Path(__file__).parent.parent / "contracts" / "example"
T0 = datetime(2026, 10, 5, 16, 0, tzinfo=UTC)
"""Monday 5 October 2026, noon in New York (the example contract's zone)."""
DAY = timedelta(days=1)


@cache
def example() -> Contract:
    loaded = load(EXAMPLE)
    assert loaded.contract is not None, loaded.diagnostics
    return loaded.contract


def contract_with(**spiffs: Mapping[str, Any] | Spiff) -> Contract:
    """The example contract with only these spiffs (YAML-shaped mappings, validated)."""
    built = {
        name: spec if isinstance(spec, Spiff) else Spiff.model_validate(spec)
        for name, spec in spiffs.items()
    }
    return example().model_copy(update={"spiffs": built})


def make_verdict(
    *,
    lead_id: str = "L1",
    campaign: str | None = "partner-emea",
    owner: str | None = "frieda",
    history: Iterable[tuple[str, datetime]] = (("inquiry", T0), ("won", T0 + 5 * DAY)),
    handoff_at: datetime | None = T0,
    missing: tuple[str, ...] = (),
    slas: Mapping[str, str] | None = None,
    as_of: datetime = T0 + 200 * DAY,
    score: float = 70.0,
) -> Verdict:
    changes = tuple(StageChange(stage, at, "test") for stage, at in history)
    last = changes[-1]
    handoff = (
        Handoff(
            campaign=campaign,
            stage="mql",
            qualified_by="marketing",
            to="sales",
            due=True,
            done=handoff_at is not None,
            at=handoff_at,
            missing_fields=missing,
        )
        if campaign is not None
        else None
    )
    return Verdict(
        lead_id=lead_id,
        contract=ContractRef("test", "1.0.0", "digest"),
        as_of=as_of,
        library_version="test",
        stage=StageVerdict(last.stage, None, last.at, changes),
        score=Score(total=score, fit=score / 2, engagement=score / 2),
        campaign=campaign,
        owner=owner,
        handoff=handoff,
        slas=tuple(SlaVerdict(sla, "response", status) for sla, status in (slas or {}).items()),
    )


_SEQ = iter(range(1_000_000))


def ev(
    kind: str,
    at: datetime,
    *,
    lead_id: str = "L1",
    actor: str | None = None,
    amount: str | None = None,
    seats: int | None = None,
    product: str | None = None,
) -> Event:
    return Event(
        lead_id=lead_id,
        type=kind,
        at=at,
        seq=next(_SEQ),
        actor=actor,
        amount=Decimal(amount) if amount is not None else None,
        seats=seats,
        product=product,
    )
