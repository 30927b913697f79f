"""Personal data in the audit store, masked by field identity wherever a value travels
(issue 8): error rows naming the CRM column, a personal time zone in SLA notes, a personal
datetime that starts an SLA clock, and a personal lead id (stored as a pseudonym)."""

from __future__ import annotations

import copy
import json
import re
import shutil
import sqlite3
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcontract.cli import main
from leadcontract.engine import compile_contract
from leadcontract.loader import load
from leadcontract.pii import MASK, PiiPolicy, pseudonym
from leadcontract.store import entry_line, evaluation_entry, evaluation_line
from leadcontract.verdict import to_plain

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "contracts" / "example"
LEADS = EXAMPLE / "data" / "leads.csv"
EVENTS = EXAMPLE / "data" / "events.jsonl"
AS_OF = "2026-11-16T17:00:00Z"


@pytest.fixture(scope="module")
def personal_contract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example contract with the lead id, the time zone and the form date marked pii."""
    folder = tmp_path_factory.mktemp("contract")
    for path in EXAMPLE.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    lead = folder / "lead.yaml"
    text = lead.read_text(encoding="utf-8")
    replacements = {
        "lead_id: {type: string, required: true, source: Id}": (
            "lead_id: {type: string, required: true, source: Id, pii: true}"
        ),
        "    timezone:\n      type: string\n": (
            "    timezone:\n      type: string\n      pii: true\n"
        ),
        "    form_submitted_at:\n": "    form_submitted_at:\n      pii: true\n",
    }
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    lead.write_text(text, encoding="utf-8")
    return folder


def stored(db: Path) -> list[tuple[str | None, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT lead_id, payload FROM entries WHERE kind != 'run'").fetchall()
    finally:
        conn.close()


def evaluate(contract: Path, leads: Path, db: Path, *extra: str) -> int:
    return main(
        ["evaluate", str(contract), "--leads", str(leads), "--events", str(EVENTS),
         "--as-of", AS_OF, "--out", str(db.with_suffix(".jsonl")), "--audit", str(db), *extra]
    )  # fmt: skip


def test_an_error_row_naming_the_crm_column_is_masked(tmp_path: Path) -> None:
    """A cp1252 export: the bad cell's error row names the column FirstName, not the field
    first_name; its message quotes the name, and the store masks it all the same."""
    data = LEADS.read_bytes().replace(b",Laura,Martin,", b",J\xfcrgen,Martin,", 1)
    leads = tmp_path / "leads.csv"
    leads.write_bytes(data)
    db = tmp_path / "audit.db"
    assert evaluate(EXAMPLE, leads, db) == 1
    errors = [json.loads(p) for _, p in stored(db) if '"code":"malformed"' in p]
    assert [(e["field"], e["message"]) for e in errors] == [("FirstName", MASK)]
    assert "rgen" not in "".join(p for _, p in stored(db))
    revealed = tmp_path / "revealed.db"
    assert evaluate(EXAMPLE, leads, revealed, "--reveal-pii") == 1
    assert "J\\\\xfcrgen" in "".join(p for _, p in stored(revealed))


def test_a_personal_zone_date_and_id_are_masked(personal_contract: Path, tmp_path: Path) -> None:
    masked_db, revealed_db = tmp_path / "masked.db", tmp_path / "revealed.db"
    assert evaluate(personal_contract, LEADS, masked_db) == 0
    assert evaluate(personal_contract, LEADS, revealed_db, "--reveal-pii") == 0
    masked, revealed = stored(masked_db), stored(revealed_db)
    masked_text = "\n".join(p for _, p in masked)
    revealed_text = "\n".join(p for _, p in revealed)
    # The lead's own zone in SLA clock notes.
    assert re.search(r"hours in Europe/", revealed_text)
    assert not re.search(r"hours in (?!\*\*\*)", masked_text)

    # The SLA clock started by the form date.
    def starts(rows: list[tuple[str | None, str]]) -> set[object]:
        return {
            sla["start"]
            for _, payload in rows
            for sla in json.loads(payload).get("slas", [])
            if sla["sla"] == "first-touch-demo" and sla["start"] is not None
        }

    assert len(starts(revealed)) > 10
    assert starts(masked) == {MASK}
    # The lead id: a pseudonym, in the entry and its payload; `audit show` still finds it.
    assert all(lead_id is not None and lead_id.startswith("pii:") for lead_id, _ in masked)
    assert "L000001" not in masked_text
    assert "L000001" in revealed_text


def test_audit_show_finds_a_pseudonymised_lead(
    personal_contract: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "audit.db"
    assert evaluate(personal_contract, LEADS, db) == 0
    capsys.readouterr()
    assert main(["audit", "show", str(db), "--lead", "L000001", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert len(shown["entries"]) == 1
    assert shown["entries"][0]["payload"]["lead_id"] == pseudonym("L000001")


def test_pseudonyms_are_keyed_when_the_store_is() -> None:
    assert pseudonym("L1") != pseudonym("L1", b"key")
    assert pseudonym("L1", b"key") == pseudonym("L1", b"key")
    assert pseudonym("L1").startswith("pii:")


def test_values_quoted_in_text_are_masked_but_short_ones_only_by_identity() -> None:
    policy = PiiPolicy(frozenset({"last_name", "initials"}))
    payload = {
        "trace": [{"facts": [
            {"field": "last_name", "observed": "Martin"},
            {"field": "initials", "observed": "LM"},
        ]}],
        "note": "called Martin about LM stock",
    }  # fmt: skip
    masked = policy.mask(payload)
    assert masked["note"] == f"called {MASK} about LM stock"
    assert masked["trace"][0]["facts"][1]["observed"] == MASK


def test_values_of_one_length_are_masked_in_the_same_order_every_run() -> None:
    """Two personal values of one length overlapping in a text: the one masked first decides
    the stored text. The order was a set's, which the hash seed changes from run to run (one
    pair in two came out otherwise); it is the values' text order."""
    policy = PiiPolicy(frozenset({"first_name", "last_name"}))
    for n in range(40):
        first, last = f"x{n:02d}y", f"{n:02d}yz"  # both in "x{n}yz", overlapping
        payload = {"first_name": first, "last_name": last, "note": f"met x{n:02d}yz"}
        expected = f"met {MASK}z" if first < last else f"met x{MASK}"
        assert policy.mask(payload)["note"] == expected
        assert policy.mask(payload, in_place=True)["note"] == expected


def test_every_plain_payload_shape_is_walked() -> None:
    """Tuples, nested dicts and list/tuple/mapping subclasses are masked like lists and dicts."""

    class Facts(list[object]):
        pass

    class Pair(NamedTuple):
        first: object
        second: object

    policy = PiiPolicy(frozenset({"email"}))
    payload = {
        "trace": (Facts([{"field": "email", "observed": "ann@example.com"}]),),
        "nested": {"deeper": OrderedDict(email="bob@example.com")},
        "pair": Pair("wrote to ann@example.com", {"email": "cy@example.com"}),
        "note": "cc bob@example.com and cy@example.com",
    }
    masked = policy.mask(payload)
    assert masked["trace"] == [[{"field": "email", "observed": MASK}]]
    assert masked["nested"] == {"deeper": {"email": MASK}}
    assert masked["pair"] == [f"wrote to {MASK}", {"email": MASK}]
    assert masked["note"] == f"cc {MASK} and {MASK}"


@pytest.mark.parametrize("trace", [True, False], ids=["traced", "untraced"])
def test_an_audited_run_stores_what_the_reference_spelling_gives(
    personal_contract: Path, trace: bool
) -> None:
    """evaluation_line (orjson's plain copy, masked in place, orjson's sorted text) stores,
    for every item of the example with a personal id, zone and form date, the text the
    definition gives: the verdict converted by to_plain, masked as a copy, then json.dumps
    with sorted keys (and the same kind and lead id)."""
    contract = load(personal_contract).contract
    assert contract is not None
    compiled = compile_contract(contract)
    policy = PiiPolicy.of(contract, key=b"k" * 32)
    items = list(compiled.evaluate(LEADS, EVENTS, as_of=datetime.fromisoformat(AS_OF), trace=trace))
    assert len(items) == 240
    for item in items:
        line = evaluation_line(item, policy)
        assert line == entry_line(evaluation_entry(item, policy))
        kind, lead_id, text = json.loads(line)
        masked = policy.mask(to_plain(item))
        reference = json.dumps(
            masked, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        assert (kind, lead_id, text) == ("verdict", policy.lead_id(item.lead_id), reference)
        assert lead_id.startswith("pii:")
        assert MASK in text  # the zone in the clock notes, the form date


plain_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["Martin", "Martin Inc", "hours in Europe/Vienna", "L1"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["field", "observed", "message", "note", "last_name", "lead_id", "x"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["lead_id", "trace", "note", "last_name"]), plain_values))
def test_masking_in_place_gives_the_masked_copy(payload: dict[str, Any]) -> None:
    policy = PiiPolicy(
        frozenset({"last_name", "lead_id"}), frozenset({"lastname"}), id_is_pii=True,
        zone_is_pii=True,
    )  # fmt: skip
    kept = copy.deepcopy(payload)
    expected = policy.mask(payload)
    assert payload == kept  # the copy leaves its input as it was
    assert policy.mask(copy.deepcopy(payload), in_place=True) == expected
