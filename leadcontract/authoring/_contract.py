"""Load and compile a contract for the authoring tools, or say in one message why not."""

from __future__ import annotations

from pathlib import Path

from leadcontract.checks import lint
from leadcontract.engine import CompiledContract, ContractError, compile_contract
from leadcontract.model import Contract
from leadcontract.reporters import render_text

__all__ = ["ContractProblemError", "compiled_contract", "linted_contract"]


class ContractProblemError(ValueError):
    """The contract cannot be evaluated: it has lint errors (listed in the message)."""


def linted_contract(path: str | Path) -> Contract:
    """The contract at ``path``, linted (lint errors: :class:`ContractProblemError`)."""
    result = lint(path)
    if result.errors or result.contract is None:
        report = render_text(result.errors or result.diagnostics)
        raise ContractProblemError(f"the contract {path} has errors; fix them first:\n{report}")
    return result.contract


def compiled_contract(path: str | Path) -> CompiledContract:
    """Lint the contract at ``path`` and compile it (lint errors: :class:`ContractProblemError`)."""
    contract = linted_contract(path)
    try:
        return compile_contract(contract)
    except ContractError as error:  # pragma: no cover - lint reports these first
        raise ContractProblemError(str(error)) from error
