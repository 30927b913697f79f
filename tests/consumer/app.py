"""A consumer application of leadcontract, type-checked with mypy --strict by the tests: it
keeps verdicts inside its own pydantic models, round-trips them through JSON, and reads typed
fields (a typo such as ``clock.status == "breach"`` is a mypy error, not a silent False)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel

import leadcontract
from leadcontract.verdict import SlaStatus, Verdict


class LeadReport(BaseModel):
    """What the application stores about one lead."""

    verdict: Verdict
    reviewed_by: str | None = None


def breached_slas(verdict: Verdict) -> list[str]:
    wanted: SlaStatus = "breached"
    return [clock.sla for clock in verdict.slas if clock.status == wanted]


def reports(contract_path: str, leads: str, events: str) -> list[LeadReport]:
    result = leadcontract.lint(contract_path)
    if result.contract is None:
        raise SystemExit("\n".join(str(d) for d in result.errors))
    compiled = leadcontract.compile_contract(result.contract)
    run = compiled.evaluate(leads, events, as_of=datetime(2026, 11, 16, 17, tzinfo=UTC))
    verdicts, _errors = run.split()
    return [LeadReport(verdict=verdict) for verdict in verdicts]


def round_trip(report: LeadReport) -> LeadReport:
    return LeadReport.model_validate_json(report.model_dump_json())
