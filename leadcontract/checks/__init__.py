"""Lint a contract: load it, then run every registered semantic check.

``lint(path)`` returns a :class:`LintResult` with every diagnostic, sorted; it never prints.
Checks live in one module per family and register themselves with :func:`check`; each has its
own codes (see ``docs/diagnostics.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from leadcontract.checks import (
    campaigns,
    conditions,
    dates,
    lifecycle,
    mappings,
    notifications,
    references,
    slas,
    spiffs,
)
from leadcontract.checks._context import CHECKS, Check, LintContext
from leadcontract.checks._waivers import apply_waivers
from leadcontract.config import FoundConfig
from leadcontract.diagnostics import Diagnostic, Severity, sort_diagnostics
from leadcontract.loader import ContractInput, ContractSource, load
from leadcontract.model import Contract

__all__ = ["CHECKS", "Check", "LintResult", "check_contract", "lint"]

_FAMILIES = (
    references,
    lifecycle,
    campaigns,
    slas,
    spiffs,
    dates,
    conditions,
    mappings,
    notifications,
)
"""Imported for their registrations."""


@dataclass(frozen=True)
class LintResult:
    """Everything lint found about one contract."""

    contract: Contract | None
    source: ContractSource | None
    diagnostics: tuple[Diagnostic, ...]
    waived: tuple[Diagnostic, ...] = ()
    """Findings set aside by the contract's waivers (reported apart, for the record)."""

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    def passed(self, *, strict: bool = False) -> bool:
        """No errors (and, when ``strict``, no warnings either)."""
        return not self.errors and not (strict and self.warnings)


def check_contract(
    contract: Contract,
    source: ContractSource,
    samples: Sequence[tuple[str, str, frozenset[str]]] = (),
) -> list[Diagnostic]:
    """Run every semantic check on a contract that loaded (``samples``: export headers, as
    (kind, file, columns), for the mapping checks)."""
    ctx = LintContext(contract, source, tuple(samples))
    found: list[Diagnostic] = []
    for registered in CHECKS.values():
        for diagnostic in registered.run(ctx):
            if diagnostic.code not in registered.codes:  # pragma: no cover - a bug in a check
                raise RuntimeError(
                    f"check {registered.name} emitted unregistered {diagnostic.code}"
                )
            found.append(diagnostic)
    return found


def lint(
    paths: ContractInput | Sequence[ContractInput],
    *,
    config: FoundConfig | None = None,
    today: date | None = None,
    samples: Sequence[tuple[str, str, frozenset[str]]] = (),
) -> LintResult:
    """Load a contract (as :func:`~leadcontract.loader.load` takes it: paths, YAML text in
    :class:`~leadcontract.loader.ContractText`, or plain data) and check it; every problem
    comes back as a diagnostic.

    When the contract does not validate, the semantic checks still run on the parts that did
    (see :attr:`LoadResult.partial`), so reference errors come with the schema errors, not
    after them. The contract's ``waivers`` then set accepted findings aside (expired ones
    only when ``today`` is given), and ``config`` filters codes and severities, as ruff does.
    ``samples`` are export headers, as (``"lead"`` or ``"event"``, file name, column names;
    see :func:`leadcontract.inputs.sample_columns`), to check the mapped columns against.
    """
    loaded = load(paths)
    diagnostics = list(loaded.diagnostics)
    checked = loaded.contract or loaded.partial
    waived: list[Diagnostic] = []
    if checked is not None and loaded.source is not None:
        found = check_contract(checked, loaded.source, samples)
        if loaded.contract is None:
            found = [d for d in found if not _about_dropped(d, loaded.dropped)]
        diagnostics.extend(found)
        diagnostics, waived = apply_waivers(
            diagnostics, checked.waivers, loaded.source, today=today
        )
    if config is not None:
        diagnostics = config.apply(diagnostics)
    return LintResult(
        loaded.contract,
        loaded.source,
        tuple(sort_diagnostics(diagnostics)),
        tuple(sort_diagnostics(waived)),
    )


def _about_dropped(diagnostic: Diagnostic, dropped: Sequence[str]) -> bool:
    """A semantic finding caused by leaving an invalid member out (``unknown campaign `x```)
    or placed inside one: the schema error already speaks for it."""
    for pointer in dropped:
        member = pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        inside = diagnostic.pointer == pointer or diagnostic.pointer.startswith(pointer + "/")
        named = f"`{member}`" in diagnostic.message or f'"{member}"' in diagnostic.message
        if inside or named:
            return True
    return False
