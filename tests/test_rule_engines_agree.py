"""The contract's compiled conditions find the same leads as the same conditions written in
four other engines (bench/engines.py): hand-written Python, zen-engine, rule-engine and CEL,
and durable_rules for the MQL criteria; a differential check of the condition language on the
example's leads."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_engines", ROOT / "bench" / "engines.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_engines"] = module
    spec.loader.exec_module(module)
    return module


def test_every_engine_finds_the_same_leads_for_every_condition(bench: ModuleType) -> None:
    flat = bench.records(ROOT / "contracts" / "example" / "data" / "leads.csv", 240)
    assert len(flat) == 240
    answers, _ = bench.run_all(bench.engines(), bench.shapes_of(flat), 1)
    assert set(answers) == {"python", "leadcontract", "zen-engine", "rule-engine", "cel"}
    reference = answers["leadcontract"]
    for index, condition in enumerate(bench.NAMES):  # each condition splits the leads
        assert 0 < sum(reference[index]) < 240, condition
    for name, columns in answers.items():
        assert bench.first_disagreement(columns, reference) is None, name
    mql = bench.NAMES.index("stage/mql")
    assert bench.durable_mql(flat) == reference[mql]


def test_a_disagreement_is_named(bench: ModuleType) -> None:
    columns = [[True, False] for _ in bench.NAMES]
    other = [list(column) for column in columns]
    other[3] = [True, True]
    assert bench.first_disagreement(other, columns) == "fit/senior-title: 2 leads against 1"
