"""Contract (and, optionally, records) in; the site's pages and images out.

One function, :func:`generate`, that both the ``leadcontract docs`` command and the mkdocs
plugin call, so a contracts repository's own site and the standalone one are the same pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from leadcontract.authoring._contract import ContractProblemError, linted_contract
from leadcontract.checks import lint
from leadcontract.engine import compile_contract
from leadcontract.reporters import render_text
from leadcontract.site._changes import changes_between
from leadcontract.site.audit_evidence import evidence_from_audit
from leadcontract.site.dashboard import add_dashboards, headline
from leadcontract.site.evidence import Evidence, gather_evidence
from leadcontract.site.pages import SitePages, agreement_pages

__all__ = ["ContractProblemError", "Records", "generate"]


@dataclass(frozen=True)
class Records:
    """Lead records and events to evaluate, as of an instant, for the dashboards."""

    leads: Path
    events: Path | Sequence[Path] | None
    """One activity export, or several read together (Task and LeadHistory...)."""
    as_of: datetime
    """An aware instant; the caller reads it from its input (the library never reads a
    clock)."""


def generate(
    contract_path: str | Path,
    *,
    records: Records | None = None,
    audit: Path | None = None,
    previous: str | Path | None = None,
) -> SitePages:
    """The pages of the agreement at ``contract_path``, with dashboards when ``records`` are
    given (or an ``audit`` store whose latest run of the contract they show) and a list of
    changes when a ``previous`` version is given.

    The holidays listed are those of the as-of year, or else of the year the agreement took
    effect. Raises :class:`ContractProblemError` for a contract with errors and
    :class:`~leadcontract.site.audit_evidence.AuditEvidenceError` for an unusable store.
    """
    contract = linted_contract(contract_path)
    changes = None
    if previous is not None:
        before = lint(previous)
        if before.contract is None:
            raise ContractProblemError(
                f"the previous version {previous} cannot be read:\n"
                + render_text(before.diagnostics)
            )
        changes = changes_between(before.contract, contract)
    evidence: Evidence | None = None
    year = contract.metadata.effective.start.year
    if records is not None or audit is not None:
        compiled = compile_contract(contract)
        if records is not None:
            evidence = gather_evidence(compiled, records.leads, records.events, as_of=records.as_of)
        else:
            assert audit is not None
            evidence = evidence_from_audit(compiled, audit)
        year = evidence.as_of.astimezone(compiled.zone).year
    site = agreement_pages(
        contract,
        year=year,
        changes=changes,
        headline=headline(contract, evidence) if evidence is not None else "",
    )
    if evidence is not None:
        add_dashboards(site, contract, evidence)
    return site
