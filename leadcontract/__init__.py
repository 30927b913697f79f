"""leadcontract: marketing-sales lead agreements as validated contracts.

The public API: :func:`load` a contract, :func:`lint` it, :func:`compile_contract` it, and
evaluate it against lead records and events
(``compile_contract(contract).evaluate(leads, events, as_of=...)``) to get a :class:`Verdict`
or a :class:`RecordError` per record. Everything here returns values; nothing prints.
"""

import importlib
from typing import TYPE_CHECKING, Any

from leadcontract._version import __version__

if TYPE_CHECKING:
    from leadcontract.checks import LintResult, lint
    from leadcontract.diagnostics import Diagnostic, Location, Severity
    from leadcontract.engine import (
        CompiledContract,
        ContractError,
        Evaluation,
        InputOrderError,
        RecordRejectedError,
        RunCounts,
        compile_contract,
    )
    from leadcontract.errors import LeadcontractError
    from leadcontract.explanation import explain
    from leadcontract.inputs import RecordError
    from leadcontract.loader import ContractSource, ContractText, LoadResult, load
    from leadcontract.model import Contract
    from leadcontract.verdict import Verdict

_LAZY = {
    "CompiledContract": "leadcontract.engine",
    "Contract": "leadcontract.model",
    "ContractError": "leadcontract.engine",
    "ContractSource": "leadcontract.loader",
    "ContractText": "leadcontract.loader",
    "Diagnostic": "leadcontract.diagnostics",
    "Evaluation": "leadcontract.engine",
    "InputOrderError": "leadcontract.engine",
    "LeadcontractError": "leadcontract.errors",
    "LintResult": "leadcontract.checks",
    "LoadResult": "leadcontract.loader",
    "Location": "leadcontract.diagnostics",
    "RecordError": "leadcontract.inputs",
    "RecordRejectedError": "leadcontract.engine",
    "RunCounts": "leadcontract.engine",
    "Severity": "leadcontract.diagnostics",
    "Verdict": "leadcontract.verdict",
    "compile_contract": "leadcontract.engine",
    "explain": "leadcontract.explanation",
    "lint": "leadcontract.checks",
    "load": "leadcontract.loader",
}
"""Where each public name lives: imported on first use, so that ``leadcontract --version``
and tools that import one module do not pay for the whole library."""


__all__ = [
    "CompiledContract",
    "Contract",
    "ContractError",
    "ContractSource",
    "ContractText",
    "Diagnostic",
    "Evaluation",
    "InputOrderError",
    "LeadcontractError",
    "LintResult",
    "LoadResult",
    "Location",
    "RecordError",
    "RecordRejectedError",
    "RunCounts",
    "Severity",
    "Verdict",
    "__version__",
    "compile_contract",
    "explain",
    "lint",
    "load",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'leadcontract' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
