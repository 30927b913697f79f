"""Lint a contract: load it, then run every registered semantic check.

``lint(path)`` returns a :class:`LintResult` with every diagnostic, sorted; it never prints.
Checks live in one module per family and register themselves with :func:`check`; each has its
own codes (see ``docs/diagnostics.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from leadcontract.checks import campaigns, conditions, dates, lifecycle, references, slas, spiffs
from leadcontract.checks._context import CHECKS, Check, LintContext
from leadcontract.diagnostics import Diagnostic, Severity, sort_diagnostics
from leadcontract.loader import ContractInput, ContractSource, load
from leadcontract.model import Contract

__all__ = ["CHECKS", "Check", "LintResult", "check_contract", "lint"]

_FAMILIES = (references, lifecycle, campaigns, slas, spiffs, dates, conditions)
"""Imported for their registrations."""


@dataclass(frozen=True)
class LintResult:
    """Everything lint found about one contract."""

    contract: Contract | None
    source: ContractSource | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    def passed(self, *, strict: bool = False) -> bool:
        """No errors (and, when ``strict``, no warnings either)."""
        return not self.errors and not (strict and self.warnings)


def check_contract(contract: Contract, source: ContractSource) -> list[Diagnostic]:
    """Run every semantic check on a contract that loaded."""
    ctx = LintContext(contract, source)
    found: list[Diagnostic] = []
    for registered in CHECKS.values():
        for diagnostic in registered.run(ctx):
            if diagnostic.code not in registered.codes:  # pragma: no cover - a bug in a check
                raise RuntimeError(
                    f"check {registered.name} emitted unregistered {diagnostic.code}"
                )
            found.append(diagnostic)
    return found


def lint(paths: ContractInput | Sequence[ContractInput]) -> LintResult:
    """Load a contract (as :func:`~leadcontract.loader.load` takes it: paths, YAML text in
    :class:`~leadcontract.loader.ContractText`, or plain data) and check it; every problem
    comes back as a diagnostic."""
    loaded = load(paths)
    diagnostics = list(loaded.diagnostics)
    if loaded.contract is not None and loaded.source is not None:
        diagnostics.extend(check_contract(loaded.contract, loaded.source))
    return LintResult(loaded.contract, loaded.source, tuple(sort_diagnostics(diagnostics)))
