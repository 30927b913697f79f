"""leadcontract: marketing-sales lead agreements as validated contracts.

The public API: :func:`load` a contract, :func:`lint` it, and (soon) compile and evaluate it
against lead records. Everything here returns values; nothing prints.
"""

from leadcontract._version import __version__
from leadcontract.diagnostics import Diagnostic, Location, Severity
from leadcontract.lint import LintResult, lint
from leadcontract.loader import ContractSource, LoadResult, load
from leadcontract.model import Contract

__all__ = [
    "Contract",
    "ContractSource",
    "Diagnostic",
    "LintResult",
    "LoadResult",
    "Location",
    "Severity",
    "__version__",
    "lint",
    "load",
]
