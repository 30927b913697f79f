"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest
from engine_support import CONTRACT, compiled

from leadcontract.engine import CompiledContract


@pytest.fixture(scope="module")
def engine() -> CompiledContract:
    """tests/fixtures/engine/contract.yaml, compiled once per module.

    test_sla.py and test_capacity_report.py override it with their own contract.
    """
    return compiled(CONTRACT)
