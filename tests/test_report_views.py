"""Report views beyond the owner: the first toucher, the rep of a role, and the per-SLA view.

Contract: tests/fixtures/sla/contract.yaml (reps nina and leo are SDRs, mia is a manager).
As of Tuesday 17 November 17:00 New York; `first-touch` gives 4 business hours from the
handoff (Monday 10:00) to the first touch.

    lead  owner  touches (actor)             first-touch
    T1    nina   Mon 11:00 mia, 12:00 leo    met
    T2    nina   Mon 15:00 nina              breached (sales)
    T3    leo    -                           breached (capacity-overflow: 3rd lead of the week)
    T4    leo    (never handed off)          not applicable
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from engine_support import compiled

from leadcontract.engine import CompiledContract
from leadcontract.report import (
    SLA_STATUSES,
    breach_columns,
    compliance,
    group_key,
    sla_compliance,
)
from leadcontract.verdict import Verdict

NY = ZoneInfo("America/New_York")
MON = datetime(2026, 11, 16, tzinfo=NY)
AS_OF = datetime(2026, 11, 17, 17, tzinfo=NY)


@pytest.fixture(scope="module")
def engine() -> CompiledContract:
    return compiled(Path(__file__).parent / "fixtures" / "sla")


def _lead(lead_id: str, owner: str, minute: int) -> dict[str, str]:
    return {
        "lead_id": lead_id,
        "email": f"{lead_id}@acme.example",
        "company": "Acme",
        "phone": "555-0100",
        "campaign": "demo",
        "owner": owner,
        "created_at": MON.replace(hour=8, minute=minute).isoformat(),
    }


def _ev(lead_id: str, kind: str, hour: int, actor: str | None = None) -> dict[str, str]:
    event = {"lead_id": lead_id, "type": kind, "at": MON.replace(hour=hour).isoformat()}
    if actor is not None:
        event |= {"actor": actor, "channel": "phone"}
    return event


@pytest.fixture(scope="module")
def verdicts(engine: CompiledContract) -> list[Verdict]:
    records = [_lead("T1", "nina", 0), _lead("T2", "nina", 1), _lead("T3", "leo", 2)]
    records.append(_lead("T4", "leo", 3))
    events = [
        _ev("T1", "handoff", 10),
        _ev("T1", "touch", 11, "mia"),
        _ev("T1", "touch", 12, "leo"),
        _ev("T2", "handoff", 10),
        _ev("T2", "touch", 15, "nina"),
        _ev("T3", "handoff", 10),
    ]
    plan = engine.plan_capacity(records)
    found = [
        item
        for item in engine.evaluate(records, events, as_of=AS_OF, capacity=plan)
        if isinstance(item, Verdict)
    ]
    assert len(found) == 4
    return found


def _groups(engine: CompiledContract, verdicts: list[Verdict], by: str) -> dict[str, int]:
    rows = compliance(verdicts, contract=engine.contract, zone=NY, by=by)
    return {row.group: row.leads for row in rows}


def test_touched_by_lists_each_toucher_once_first_first(verdicts: list[Verdict]) -> None:
    assert {v.lead_id: v.touched_by for v in verdicts} == {
        "T1": ("mia", "leo"),
        "T2": ("nina",),
        "T3": (),
        "T4": (),
    }


def test_by_toucher_groups_by_the_first_toucher(
    engine: CompiledContract, verdicts: list[Verdict]
) -> None:
    assert _groups(engine, verdicts, "toucher") == {"(not touched)": 2, "mia": 1, "nina": 1}


def test_by_owner_is_by_rep(engine: CompiledContract, verdicts: list[Verdict]) -> None:
    assert _groups(engine, verdicts, "owner") == _groups(engine, verdicts, "rep")
    assert _groups(engine, verdicts, "owner") == {"leo": 2, "nina": 2}


def test_by_role_takes_the_first_toucher_of_the_role_else_the_owner(
    engine: CompiledContract, verdicts: list[Verdict]
) -> None:
    # T1: mia touched first but is a manager, so leo (an SDR who touched) is T1's SDR.
    assert _groups(engine, verdicts, "role:sdr") == {"leo": 3, "nina": 1}
    assert _groups(engine, verdicts, "role:manager") == {"(no manager)": 3, "mia": 1}


def test_unknown_groupings_and_roles_are_named(engine: CompiledContract) -> None:
    with pytest.raises(ValueError, match="no rep has the role 'ae'; the roles are: manager, sdr"):
        group_key("role:ae", engine.contract, NY)
    with pytest.raises(ValueError, match="cannot group by 'team'"):
        group_key("team", engine.contract, NY)


def test_per_sla_view_counts_every_status_and_excuses_overflow(
    engine: CompiledContract, verdicts: list[Verdict]
) -> None:
    rows = {
        (row.sla, row.group): row.to_dict()
        for row in sla_compliance(verdicts, contract=engine.contract, zone=NY, by="campaign")
    }
    first = rows["first-touch", "demo"]
    assert list(first) == ["sla", "group", *SLA_STATUSES]
    assert (first["met"], first["breached"], first["excused"]) == (1, 1, 1)
    assert first["not_applicable"] == 1
    # every clock of every verdict is counted once
    clocks = sum(len(v.slas) for v in verdicts)
    assert sum(sum(r[s] for s in SLA_STATUSES) for r in rows.values()) == clocks


def test_breach_columns_are_the_parties_that_occur(
    engine: CompiledContract, verdicts: list[Verdict]
) -> None:
    rows = compliance(verdicts, contract=engine.contract, zone=NY, by="campaign")
    assert breach_columns(rows) == sorted({p for row in rows for p in row.breaches})
    assert "capacity-overflow" in breach_columns(rows)
