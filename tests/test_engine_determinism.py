"""Same input, same bytes: verdict output and contract digests do not depend on anything but
the meaning of what went in."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from engine_support import CONTRACT

from leadcontract.audit import contract_digest
from leadcontract.engine import compile_contract
from leadcontract.loader import load
from leadcontract.model import Contract
from leadcontract.verdict import Verdict
from leadcontract.writers import verdict_json

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "contracts" / "example"
LEADS = EXAMPLE / "data" / "leads.csv"
EVENTS = EXAMPLE / "data" / "events.jsonl"
AS_OF = datetime(2026, 11, 16, 17, tzinfo=UTC)


def loaded(path: Path) -> Contract:
    result = load(path)
    assert result.contract is not None, result.diagnostics
    return result.contract


def jsonl(*, grouped: bool = False) -> bytes:
    evaluation = compile_contract(loaded(EXAMPLE)).evaluate(
        LEADS, EVENTS, as_of=AS_OF, grouped=grouped
    )
    lines = []
    for item in evaluation:
        assert isinstance(item, Verdict), item
        lines.append(verdict_json(item) + "\n")
    assert evaluation.counts.reconciles
    return "".join(lines).encode("utf-8")


def test_evaluating_the_example_twice_gives_identical_bytes() -> None:
    first = jsonl()
    second = jsonl()
    assert first == second
    assert first.count(b"\n") == 240


def test_grouped_evaluation_of_the_sorted_example_gives_identical_bytes() -> None:
    # The example's leads ascend by id and its events are grouped by lead in id order.
    assert jsonl(grouped=True) == jsonl()


def reordered(value: Any) -> Any:
    """The same YAML data with every mapping's keys in reverse order (lists keep theirs)."""
    if isinstance(value, dict):
        return {key: reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(item) for item in value]
    return value


def rewrite(data: Any, path: Path) -> Path:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(
        "# The engine test contract, rewritten: keys in another order, other comments.\n"
        "# Nothing here changes what the agreement means.\n" + text,
        encoding="utf-8",
    )
    return path


def test_digest_ignores_key_order_and_comments(tmp_path: Path) -> None:
    data = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    copy_path = rewrite(reordered(data), tmp_path / "contract.yaml")
    text = copy_path.read_text(encoding="utf-8")
    assert text != CONTRACT.read_text(encoding="utf-8")
    # The rewrite did reorder: `apiVersion` is no longer the first key.
    assert not text.split("\n", 2)[2].startswith("apiVersion")

    original = loaded(CONTRACT)
    rewritten = loaded(copy_path)
    assert contract_digest(rewritten) == contract_digest(original)
    assert compile_contract(rewritten).ref == compile_contract(original).ref
    assert contract_digest(original).startswith("sha256:")
    assert len(contract_digest(original)) == len("sha256:") + 64


def test_digest_changes_when_a_value_changes(tmp_path: Path) -> None:
    data = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    changed = copy.deepcopy(data)
    changed["lead"]["scoring"]["fit"]["rules"][0]["points"] = 25
    original = contract_digest(loaded(CONTRACT))
    assert contract_digest(loaded(rewrite(data, tmp_path / "same.yaml"))) == original
    assert contract_digest(loaded(rewrite(changed, tmp_path / "changed.yaml"))) != original


def test_digest_of_a_folder_equals_the_digest_of_its_files_merged(tmp_path: Path) -> None:
    data = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    folder = tmp_path / "split"
    folder.mkdir()
    campaigns = {"apiVersion": data["apiVersion"], "campaigns": data.pop("campaigns")}
    rewrite(data, folder / "contract.yaml")
    rewrite(campaigns, folder / "campaigns.yaml")
    assert contract_digest(loaded(folder)) == contract_digest(loaded(CONTRACT))
