"""The Python API as an embedding application meets it: names, sources, errors, one lead."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from engine_support import AS_OF, T0, event, lead

import leadcontract
from leadcontract import (
    ContractError,
    ContractText,
    InputOrderError,
    LeadcontractError,
    RecordRejectedError,
    compile_contract,
    lint,
    load,
)
from leadcontract._yaml import parse_yaml
from leadcontract.diagnostics import Diagnostic, Severity
from leadcontract.engine import CompiledContract
from leadcontract.inputs import RecordError
from leadcontract.reporters import render_text
from leadcontract.store import AuditStoreError
from leadcontract.verdict import Verdict

MINIMAL = Path(__file__).parent / "fixtures" / "minimal.yaml"


# --- names ---


def test_module_and_function_names_are_distinct() -> None:
    """``leadcontract.lint`` and ``leadcontract.explain`` are functions; no module of that name
    hides behind them, so ``import leadcontract.lint`` cannot hand out the wrong object."""
    assert callable(leadcontract.lint)
    assert callable(leadcontract.explain)
    for name in ("leadcontract.lint", "leadcontract.explain", "leadcontract.compile"):
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(name)
    assert not hasattr(leadcontract, "compile")
    assert importlib.import_module("leadcontract.checks").lint is leadcontract.lint


# --- diagnostics as text ---


def test_a_diagnostic_reads_as_its_report_line() -> None:
    diagnostic = Diagnostic("LC302", Severity.ERROR, "no stage 'sqll'", "c.yaml", 84, 22)
    assert str(diagnostic) == "c.yaml:84:22: LC302 error: no stage 'sqll'"
    assert str(Diagnostic("LC001", Severity.ERROR, "gone")) == "<contract>: LC001 error: gone"
    assert diagnostic.where == "c.yaml:84:22"


def test_the_text_report_and_str_agree() -> None:
    result = lint(
        ContractText(
            MINIMAL.read_text().replace("handoff: {stage: mql", "handoff: {stage: mqll"), "m.yaml"
        )
    )
    assert result.errors
    report = render_text(result.diagnostics)
    for diagnostic in result.diagnostics:
        assert str(diagnostic) in report


# --- contracts from memory ---


def test_yaml_text_loads_like_the_file() -> None:
    from_file = load(MINIMAL)
    from_text = load(ContractText(MINIMAL.read_text(), name="inline.yaml"))
    assert from_file.contract is not None
    assert from_text.contract == from_file.contract
    assert from_text.source is not None
    assert from_text.source.files == ("inline.yaml",)


def test_yaml_text_diagnostics_carry_the_pseudo_name_and_real_positions() -> None:
    text = MINIMAL.read_text()
    broken = text.replace("version: 1.0.0", "version: one", 1)
    line = broken.splitlines().index("  version: one") + 1
    result = lint(ContractText(broken, name="inline.yaml"))
    assert [(d.file, d.line) for d in result.errors] == [("inline.yaml", line)]


def plain_data() -> dict[str, Any]:
    """The minimal contract as plain data, the way an application would build it (YAML 1.1's
    ``yaml.safe_load`` would turn the key ``on`` into ``True``: not plain data of a contract)."""
    document, _ = parse_yaml(MINIMAL.read_text(), "minimal.yaml")
    assert document is not None
    data = document.data
    assert isinstance(data, dict)
    data["metadata"]["effective"]["start"] = date(2026, 1, 1)  # dates as Python values too
    return data


def test_plain_data_loads_like_the_file() -> None:
    data = plain_data()
    loaded = load(data)
    assert loaded.contract == load(MINIMAL).contract
    assert lint(data).passed(strict=True)


def test_plain_data_diagnostics_are_placed_in_its_yaml_rendering() -> None:
    data = plain_data()
    data["metadata"]["version"] = "one"
    (error,) = lint(data).errors
    assert error.file == "<mapping>"
    assert error.line is not None
    assert error.pointer == "/metadata/version"


def test_json_data_is_plain_data_too() -> None:
    data = json.loads(json.dumps(plain_data(), default=str))
    assert load(data).contract == load(MINIMAL).contract


def test_a_source_of_another_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not int"):
        load([MINIMAL, 3])  # type: ignore[list-item]


# --- one exception base; misuse is a TypeError ---


@pytest.mark.parametrize(
    "error", [ContractError, InputOrderError, RecordRejectedError, AuditStoreError]
)
def test_every_deliberate_exception_derives_from_the_base(error: type[Exception]) -> None:
    assert issubclass(error, LeadcontractError)


def test_compile_contract_refuses_what_is_not_a_contract() -> None:
    with pytest.raises(TypeError, match="takes a Contract, not NoneType"):
        compile_contract(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"use its \.contract"):
        compile_contract(lint(MINIMAL))  # type: ignore[arg-type]


# --- one lead, and the split ---


def test_evaluate_lead_equals_the_batch_verdict(engine: CompiledContract) -> None:
    record = lead()
    events = [event("webinar_attended", T0.replace(day=3)), event("handoff", T0.replace(day=4))]
    single = engine.evaluate_lead(record, events, as_of=AS_OF)
    (batch,) = list(engine.evaluate([record], events, as_of=AS_OF))
    assert isinstance(single, Verdict)
    assert single == batch


def test_evaluate_lead_loses_nothing_quietly(engine: CompiledContract) -> None:
    with pytest.raises(RecordRejectedError) as bad_event:
        engine.evaluate_lead(lead(), [{"lead_id": "L1", "type": "touch"}], as_of=AS_OF)
    assert len(bad_event.value.errors) == 1
    assert bad_event.value.errors[0].kind == "event"
    with pytest.raises(RecordRejectedError) as bad_record:
        engine.evaluate_lead(lead(created_at="yesterday"), as_of=AS_OF)
    assert bad_record.value.errors[0].kind == "lead"
    assert "created_at" in str(bad_record.value)
    with pytest.raises(TypeError, match="mapping, not list"):
        engine.evaluate_lead([lead()], as_of=AS_OF)  # type: ignore[arg-type]


def test_the_inner_verdict_step_names_the_call_to_use(engine: CompiledContract) -> None:
    with pytest.raises(TypeError, match="evaluate_lead"):
        engine.verdict(lead(), [event("touch", T0)], AS_OF)  # type: ignore[list-item]


def test_split_separates_verdicts_from_error_rows_in_input_order(
    engine: CompiledContract,
) -> None:
    records = [lead(lead_id="A"), lead(lead_id="B", created_at="x"), lead(lead_id="C")]
    evaluation = engine.evaluate(records, as_of=datetime(2026, 7, 1, tzinfo=UTC))
    verdicts, errors = evaluation.split()
    assert [v.lead_id for v in verdicts] == ["A", "C"]
    assert [e.lead_id for e in errors] == ["B"]
    assert all(isinstance(e, RecordError) for e in errors)
    assert evaluation.counts.reconciles
