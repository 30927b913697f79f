"""Load and compile a contract for the authoring tools, or say in one message why not."""

from __future__ import annotations

import dataclasses
from pathlib import Path, PurePosixPath

from leadcontract.checks import lint
from leadcontract.diagnostics import Diagnostic
from leadcontract.engine import CompiledContract, ContractError, compile_contract
from leadcontract.model import Contract
from leadcontract.reporters import render_text

__all__ = ["ContractProblemError", "compiled_contract", "linted_contract"]


class ContractProblemError(ValueError):
    """The contract cannot be evaluated: it has lint errors (listed in the message)."""


def linted_contract(path: str | Path, *, shown_as: str | None = None) -> Contract:
    """The contract at ``path``, linted (lint errors: :class:`ContractProblemError`).

    ``shown_as`` is the name the user gave for what ``path`` holds (``main:contracts/x`` for a
    revision unpacked into a temporary folder): messages name it and its files
    (``main:contracts/x/slas.yaml:14:15``), not a folder that is gone once they are read.
    """
    result = lint(path)
    if result.errors or result.contract is None:
        found = result.errors or result.diagnostics
        if shown_as is not None:
            found = [_shown(d, Path(path), shown_as) for d in found]
        report = render_text(found)
        name = shown_as if shown_as is not None else path
        raise ContractProblemError(f"the contract {name} has errors; fix them first:\n{report}")
    return result.contract


def compiled_contract(path: str | Path, *, shown_as: str | None = None) -> CompiledContract:
    """Lint the contract at ``path`` and compile it (lint errors: :class:`ContractProblemError`);
    ``shown_as`` as :func:`linted_contract`."""
    contract = linted_contract(path, shown_as=shown_as)
    try:
        return compile_contract(contract)
    except ContractError as error:  # pragma: no cover - lint reports these first
        raise ContractProblemError(str(error)) from error


def _shown(diagnostic: Diagnostic, root: Path, shown_as: str) -> Diagnostic:
    """The diagnostic with its file named under ``shown_as`` instead of ``root``."""
    if diagnostic.file is None:
        return diagnostic
    file = Path(diagnostic.file)
    for base, inner in ((root, file), (root.resolve(), file.resolve())):
        try:
            relative = PurePosixPath(inner.relative_to(base).as_posix())
        except ValueError:
            continue
        name = shown_as if str(relative) == "." else f"{shown_as.rstrip('/')}/{relative}"
        return dataclasses.replace(diagnostic, file=name)
    return diagnostic
