"""leadcontract: marketing-sales lead agreements as validated contracts.

The public API: :func:`load` a contract, :func:`lint` it, :func:`compile_contract` it, and
evaluate it against lead records and events
(``compile_contract(contract).evaluate(leads, events, as_of=...)``) to get a :class:`Verdict`
or a :class:`RecordError` per record. Everything here returns values; nothing prints.
"""

from leadcontract._version import __version__
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
