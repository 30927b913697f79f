"""leadcontract: marketing-sales lead agreements as validated contracts.

The public API: :func:`load` a contract, :func:`lint` it, :func:`compile` it, and evaluate it
against lead records and events (``compile(contract).evaluate(leads, events, as_of=...)``)
to get a :class:`Verdict` or a :class:`RecordError` per record. Everything here returns
values; nothing prints.
"""

from leadcontract._version import __version__
from leadcontract.diagnostics import Diagnostic, Location, Severity
from leadcontract.engine import CompiledContract, ContractError, Evaluation, RunCounts, compile
from leadcontract.explain import explain
from leadcontract.lint import LintResult, lint
from leadcontract.loader import ContractSource, LoadResult, load
from leadcontract.model import Contract
from leadcontract.records import RecordError
from leadcontract.verdict import Verdict

__all__ = [
    "CompiledContract",
    "Contract",
    "ContractError",
    "ContractSource",
    "Diagnostic",
    "Evaluation",
    "LintResult",
    "LoadResult",
    "Location",
    "RecordError",
    "RunCounts",
    "Severity",
    "Verdict",
    "__version__",
    "compile",
    "explain",
    "lint",
    "load",
]
