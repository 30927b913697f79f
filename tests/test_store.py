"""The append-only audit store: chaining, tamper detection, atomic runs, concurrency, PII."""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import leadcontract
from leadcontract import store as store_module
from leadcontract.cli.audit import run_audit_show, run_audit_verify
from leadcontract.engine import CompiledContract, compile_contract
from leadcontract.inputs import RecordError
from leadcontract.store import (
    GENESIS_HASH,
    AuditChainError,
    AuditStoreError,
    LeadEntry,
    RunRecord,
    SqliteAuditStore,
    VerifyResult,
    canonical_json,
    entry_hash,
    entry_line,
    inputs_digest,
    mask_pii,
    record_evaluation,
    records_digest,
)
from leadcontract.verdict import Verdict

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "contracts" / "example"
LEADS = EXAMPLE / "data" / "leads.csv"
EVENTS = EXAMPLE / "data" / "events.jsonl"
AS_OF = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)
TRIGGERS = ("entries_no_update", "entries_no_delete", "runs_no_update", "runs_no_delete")


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled() -> CompiledContract:
    result = leadcontract.load(str(EXAMPLE))
    assert result.contract is not None
    return compile_contract(result.contract)


@pytest.fixture(scope="module")
def example_items(compiled: CompiledContract) -> list[Verdict | RecordError]:
    return list(compiled.evaluate(str(LEADS), str(EVENTS), as_of=AS_OF))


def run_record(run_id: str | None, kind: str = "evaluation") -> RunRecord:
    return RunRecord(
        contract_id="acme",
        contract_version="1.0.0",
        contract_digest="sha256:" + "c" * 64,
        as_of=AS_OF,
        library_version="0.1.0",
        inputs_digest="sha256:" + "d" * 64,
        kind=kind,  # type: ignore[arg-type]
        run_id=run_id,
    )


def entries(run: str, count: int) -> list[dict[str, Any]]:
    return [
        {"kind": "verdict", "lead_id": f"L{i}", "payload": {"run": run, "i": i}}
        for i in range(count)
    ]


def small_store(db: Path) -> None:
    """Two runs of three entries: seqs 1 (header), 2-4, 5 (header), 6-8."""
    with SqliteAuditStore(db) as store:
        store.append_run(run_record("run-a"), entries("a", 3))
        store.append_run(run_record("run-b"), entries("b", 3))


def raw(db: Path, *statements: str, params: tuple[Any, ...] = ()) -> None:
    """Tamper with the file the way an attacker with write access would: drop the triggers."""
    conn = sqlite3.connect(db)
    try:
        for trigger in TRIGGERS:
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            conn.execute(statement, params if "?" in statement else ())
        conn.commit()
    finally:
        conn.close()


def rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def verify(db: Path) -> VerifyResult:
    with SqliteAuditStore(db) as store:
        return store.verify()


# --- the chain ------------------------------------------------------------------------------


def test_empty_store_verifies(tmp_path: Path) -> None:
    assert verify(tmp_path / "a.db") == VerifyResult(True, 0, None, None, GENESIS_HASH)


def test_entries_are_chained_from_genesis(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    small_store(db)
    stored = rows(db, "SELECT seq, run_id, lead_id, kind, payload, prev_hash, hash FROM entries")
    assert [(r[0], r[1], r[2], r[3]) for r in stored] == [
        (1, "run-a", None, "run"),
        (2, "run-a", "L0", "verdict"),
        (3, "run-a", "L1", "verdict"),
        (4, "run-a", "L2", "verdict"),
        (5, "run-b", None, "run"),
        (6, "run-b", "L0", "verdict"),
        (7, "run-b", "L1", "verdict"),
        (8, "run-b", "L2", "verdict"),
    ]
    assert stored[1][4] == '{"i":0,"run":"a"}'
    assert json.loads(stored[0][4]) == {
        "run_id": "run-a",
        "kind": "evaluation",
        "contract_id": "acme",
        "contract_version": "1.0.0",
        "contract_digest": "sha256:" + "c" * 64,
        "as_of": "2026-11-16T17:00:00Z",
        "library_version": "0.1.0",
        "inputs_digest": "sha256:" + "d" * 64,
    }
    prev = GENESIS_HASH
    for seq, run_id, lead_id, kind, payload, prev_hash, digest in stored:
        assert prev_hash == prev
        # The documented recipe, recomputed without the library's splicing.
        body = {
            "seq": seq,
            "run_id": run_id,
            "lead_id": lead_id,
            "kind": kind,
            "payload": json.loads(payload),
        }
        text = prev + json.dumps(body, sort_keys=True, separators=(",", ":"))
        assert digest == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
        prev = digest
    result = verify(db)
    assert result == VerifyResult(True, 8, None, None, stored[-1][6])
    assert rows(db, "SELECT head_seq, head_hash FROM meta") == [(8, stored[-1][6])]


def test_genesis_and_hash_are_fixed(tmp_path: Path) -> None:
    genesis = "sha256:" + hashlib.sha256(b"leadcontract audit chain v1").hexdigest()
    assert genesis == GENESIS_HASH
    assert canonical_json({"b": 1, "a": [1.5, None, "é"]}) == '{"a":[1.5,null,"é"],"b":1}'
    digest = entry_hash(GENESIS_HASH, seq=1, run_id="r", lead_id=None, kind="run", payload="{}")
    text = GENESIS_HASH + '{"kind":"run","lead_id":null,"payload":{},"run_id":"r","seq":1}'
    assert digest == "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_append_returns_the_run_id_and_generates_one(tmp_path: Path) -> None:
    with SqliteAuditStore(tmp_path / "a.db") as store:
        assert store.append_run(run_record("fixed"), []) == "fixed"
        generated = store.append_run(run_record(None, kind="payouts"), entries("x", 1))
        assert len(generated) == 32
        assert int(generated, 16) >= 0
        assert [(r["run_id"], r["kind"], r["entries"]) for r in store.runs()] == [
            ("fixed", "evaluation", 0),
            (generated, "payouts", 1),
        ]
        assert store.verify().entries == 3


def test_run_record_is_validated() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        RunRecord("c", "1", "d", datetime(2026, 1, 1), "0.1.0", "i")
    with pytest.raises(ValueError, match="'evaluation' or 'payouts'"):
        run_record("r", kind="other")
    with pytest.raises(ValueError, match="non-empty"):
        run_record("")


def test_as_of_is_stored_in_utc(tmp_path: Path) -> None:
    run = RunRecord(
        "c", "1.0.0", "d", datetime(2026, 11, 16, 12, tzinfo=timezone(timedelta(hours=-5))),
        "0.1.0", "i", run_id="r",
    )  # fmt: skip
    with SqliteAuditStore(tmp_path / "a.db") as store:
        store.append_run(run, [{"kind": "verdict", "lead_id": "L1", "payload": {}}])
        assert store.lead_history("L1") == [LeadEntry("r", 2, AS_OF, "1.0.0", {}, "verdict")]


def test_duplicate_run_id_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    small_store(db)
    with SqliteAuditStore(db) as store:
        with pytest.raises(AuditStoreError, match="run run-a is already in the store"):
            store.append_run(run_record("run-a"), entries("again", 2))
        assert store.verify().entries == 8


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"kind": "run", "lead_id": None, "payload": {}}, "kind must be"),
        ({"kind": "", "lead_id": None, "payload": {}}, "kind must be"),
        ({"kind": "verdict", "lead_id": 7, "payload": {}}, "lead_id must be"),
        ({"kind": "verdict", "lead_id": "L", "payload": [1]}, "payload must be a mapping"),
    ],
)
def test_malformed_entries_roll_the_run_back(
    tmp_path: Path, entry: dict[str, Any], message: str
) -> None:
    with SqliteAuditStore(tmp_path / "a.db") as store:
        with pytest.raises(ValueError, match=message):
            store.append_run(run_record("r"), [*entries("r", 2), entry])
        assert store.verify() == VerifyResult(True, 0, None, None, GENESIS_HASH)
        assert store.runs() == []


def test_triggers_refuse_update_and_delete(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    small_store(db)
    conn = sqlite3.connect(db)
    try:
        for sql in (
            "UPDATE entries SET payload = '{}' WHERE seq = 2",
            "DELETE FROM entries WHERE seq = 8",
            "UPDATE runs SET as_of = 'x'",
            "DELETE FROM runs",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)
    finally:
        conn.close()
    assert verify(db).ok


# --- tampering ------------------------------------------------------------------------------


def _forge_entry_4(db: Path) -> None:
    """Rewrite entry 4's payload and give it a correct hash, leaving entry 5's link alone."""
    ((prev,),) = rows(db, "SELECT prev_hash FROM entries WHERE seq = 4")
    payload = '{"i":2,"run":"forged"}'
    digest = entry_hash(prev, seq=4, run_id="run-a", lead_id="L2", kind="verdict", payload=payload)
    raw(db, "UPDATE entries SET payload = ?, hash = ? WHERE seq = 4", params=(payload, digest))


def _swap_3_and_4(db: Path) -> None:
    three, four = rows(
        db, "SELECT run_id, lead_id, kind, payload, prev_hash, hash FROM entries "
        "WHERE seq IN (3, 4) ORDER BY seq"
    )  # fmt: skip
    sql = (
        "UPDATE entries SET run_id = ?, lead_id = ?, kind = ?, payload = ?, prev_hash = ?, "
        "hash = ? WHERE seq = ?"
    )
    raw(db, sql, params=(*four, 3))
    raw(db, sql, params=(*three, 4))


@pytest.mark.parametrize(
    ("tamper", "first", "reason", "remaining"),
    [
        (
            lambda db: raw(db, 'UPDATE entries SET payload = \'{"i":1,"run":"x"}\' WHERE seq = 3'),
            3,
            "entry 3: hash does not match its content (edited?)",
            8,
        ),
        (
            lambda db: raw(db, "UPDATE entries SET lead_id = 'L9' WHERE seq = 7"),
            7,
            "entry 7: hash does not match its content (edited?)",
            8,
        ),
        (
            lambda db: raw(
                db,
                "UPDATE entries SET payload = replace(payload, '2026-11-16', '2026-11-17') "
                "WHERE seq = 5",
                "UPDATE runs SET as_of = replace(as_of, '2026-11-16', '2026-11-17') "
                "WHERE run_id = 'run-b'",
            ),
            5,
            "entry 5: hash does not match its content (edited?)",
            8,
        ),
        (
            lambda db: raw(db, "UPDATE runs SET contract_version = '9.9.9' WHERE run_id = 'run-b'"),
            5,
            "entry 5: run header differs from the runs index",
            8,
        ),
        (
            lambda db: raw(db, "UPDATE runs SET entries = 4 WHERE run_id = 'run-a'"),
            1,
            "entry 1: run header differs from the runs index",
            8,
        ),
        (
            lambda db: raw(db, "DELETE FROM runs WHERE run_id = 'run-a'"),
            1,
            "entry 1: run header differs from the runs index",
            8,
        ),
        (
            lambda db: raw(db, "UPDATE entries SET payload = x'7b7d' WHERE seq = 2"),
            2,
            "entry 2: malformed row (edited?)",
            8,
        ),
        (
            lambda db: raw(db, "DELETE FROM entries WHERE seq = 6"),
            6,
            "entry 6 missing (deleted?)",
            7,
        ),
        (
            lambda db: raw(db, "DELETE FROM entries WHERE seq = 1"),
            1,
            "entry 1 missing (deleted?)",
            7,
        ),
        (
            lambda db: raw(db, "DELETE FROM entries WHERE seq = 8"),
            8,
            "entry 8 missing (deleted?)",
            7,
        ),
        (
            lambda db: raw(
                db, "DELETE FROM entries WHERE seq >= 5", "DELETE FROM runs WHERE run_id = 'run-b'"
            ),
            5,
            "entry 5 missing (deleted?)",
            4,
        ),
        (_swap_3_and_4, 3, "entry 3: previous-hash link broken (reordered?)", 8),
        (_forge_entry_4, 5, "entry 5: previous-hash link broken (reordered?)", 8),
        (
            lambda db: raw(
                db,
                "DELETE FROM entries WHERE seq = 6",
                "UPDATE entries SET seq = -seq WHERE seq > 6",
                "UPDATE entries SET seq = -seq - 1 WHERE seq < 0",
                "UPDATE meta SET head_seq = 7",
            ),
            6,
            "entry 6: previous-hash link broken (reordered?)",
            7,
        ),
    ],
    ids=[
        "edited-payload",
        "edited-lead-id",
        "edited-run-header",
        "edited-runs-index",
        "edited-runs-count",
        "deleted-runs-row",
        "blob-payload",
        "deleted-middle",
        "deleted-first",
        "deleted-last",
        "deleted-last-run",
        "swapped",
        "forged-rehashed",
        "deleted-and-renumbered",
    ],
)
def test_tampering_is_found_at_the_first_broken_entry(
    tmp_path: Path, tamper: Any, first: int, reason: str, remaining: int
) -> None:
    db = tmp_path / "a.db"
    small_store(db)
    tamper(db)
    assert verify(db) == VerifyResult(False, remaining, first, reason)
    assert run_audit_verify(db) == (1, f"BROKEN at entry {first}: {reason}")


def test_appending_to_a_shortened_chain_is_refused(tmp_path: Path) -> None:
    """Appending would relink the head and hide the deletion, so the store refuses."""
    db = tmp_path / "a.db"
    small_store(db)
    raw(db, "DELETE FROM entries WHERE seq = 8")
    with SqliteAuditStore(db) as store:
        with pytest.raises(AuditChainError, match="does not match its head record"):
            store.append_run(run_record("run-c"), entries("c", 1))
        assert store.verify() == VerifyResult(False, 7, 8, "entry 8 missing (deleted?)")
    # Opening the store again puts the dropped triggers back.
    assert {r[0] for r in rows(db, "SELECT name FROM sqlite_master WHERE type='trigger'")} == set(
        TRIGGERS
    )


def test_entries_appended_behind_the_stores_back_are_found(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    small_store(db)
    ((prev,),) = rows(db, "SELECT hash FROM entries WHERE seq = 8")
    digest = entry_hash(prev, seq=9, run_id="run-b", lead_id="L3", kind="verdict", payload="{}")
    raw(
        db,
        "INSERT INTO entries VALUES (9, 'run-b', 'L3', 'verdict', '{}', ?, ?)",
        params=(prev, digest),
    )
    assert verify(db) == VerifyResult(False, 9, 9, "entry 9: beyond the head record (forged?)")


# --- atomic runs ----------------------------------------------------------------------------


def test_a_failing_iterable_leaves_no_partial_run(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    small_store(db)

    def failing() -> Iterator[dict[str, Any]]:
        yield from entries("c", 5)
        raise RuntimeError("the CRM export broke off")

    with SqliteAuditStore(db) as store:
        with pytest.raises(RuntimeError, match="broke off"):
            store.append_run(run_record("run-c"), failing())
        assert rows(db, "SELECT COUNT(*) FROM entries WHERE run_id = 'run-c'") == [(0,)]
        assert store.verify().ok
        assert store.verify().entries == 8
        # The store is still usable afterwards.
        store.append_run(run_record("run-d"), entries("d", 2))
        assert store.verify().entries == 11


_KILLED_CHILD = """
import sys, time
from datetime import UTC, datetime
from leadcontract.store import RunRecord, SqliteAuditStore

def items():
    for i in range(10_000):
        if i == 500:
            print("half-way", flush=True)
            time.sleep(60)
        yield {"kind": "verdict", "lead_id": f"L{i}", "payload": {"i": i, "pad": "x" * 2000}}

with SqliteAuditStore(sys.argv[1]) as store:
    run = RunRecord("c", "1", "d", datetime(2026, 11, 16, 17, tzinfo=UTC), "0.1.0", "i",
                    run_id="killed")
    store.append_run(run, items())
"""


def test_a_process_killed_mid_run_leaves_no_partial_run(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    small_store(db)
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_CHILD, str(db)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "half-way\n"
        # The run is being built, not appended: the store is not locked meanwhile.
        with SqliteAuditStore(db, lock_wait=0) as store:
            store.append_run(run_record("meanwhile"), entries("meanwhile", 1))
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        assert child.stdout is not None
        child.stdout.close()
    with SqliteAuditStore(db) as store:
        assert store.verify().ok
        assert store.verify().entries == 10
        assert [r["run_id"] for r in store.runs()] == ["run-a", "run-b", "meanwhile"]
        store.append_run(run_record("after"), entries("after", 1))
        assert store.verify().entries == 12


# --- concurrency ----------------------------------------------------------------------------

WORKERS, RUNS_EACH, ENTRIES_EACH = 2, 4, 25


def _append_runs(db: str, worker: int, start: Any) -> None:
    """One writer: waits for the other at the barrier, then appends slow runs.

    Without gaps between runs one writer tends to win every time: SQLite's busy handler
    backs off, so the waiting process rarely catches the moment between two runs.
    """

    def slow(run_id: str) -> Iterator[dict[str, Any]]:
        for entry in entries(run_id, ENTRIES_EACH):
            time.sleep(0.0005)
            yield entry

    with SqliteAuditStore(db) as store:
        start.wait(timeout=30)
        for run in range(RUNS_EACH):
            store.append_run(run_record(f"w{worker}-r{run}"), slow(f"w{worker}-r{run}"))
            time.sleep(0.03)  # a gap between runs, as between real evaluations


def test_two_processes_appending_at_once_keep_the_chain(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    SqliteAuditStore(db).close()
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WORKERS)
    workers = [
        context.Process(target=_append_runs, args=(str(db), w, start)) for w in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0] * WORKERS
    for worker in workers:
        worker.close()
    with SqliteAuditStore(db) as store:
        total = WORKERS * RUNS_EACH * (ENTRIES_EACH + 1)
        assert store.verify().ok
        assert store.verify().entries == total
        runs = store.runs()
        assert sorted(r["run_id"] for r in runs) == sorted(
            f"w{w}-r{r}" for w in range(WORKERS) for r in range(RUNS_EACH)
        )
        assert {r["entries"] for r in runs} == {ENTRIES_EACH}
        assert len(store.lead_history("L0")) == WORKERS * RUNS_EACH
    # Each run's entries are contiguous: a run never interleaves with another.
    stored = rows(db, "SELECT seq, run_id, kind FROM entries ORDER BY seq")
    for first in range(0, total, ENTRIES_EACH + 1):
        block = stored[first : first + ENTRIES_EACH + 1]
        assert block[0][2] == "run"
        assert {r[1] for r in block} == {block[0][1]}


# --- personal data ------------------------------------------------------------------------


def test_mask_pii_masks_facts_and_record_keys() -> None:
    payload = {
        "lead_id": "L1",
        "email": "ann@example.com",
        "phone": None,
        "trace": [
            {"rule": "r", "facts": [
                {"field": "email", "observed": "ann@example.com", "expected": "set"},
                {"field": "phone", "observed": None},
                {"field": "country", "observed": "Austria"},
            ]},
        ],
        "record": {"first_name": {"nested": "Ann"}, "company": "Acme"},
        "errors": [{"field": "email", "code": "not-allowed", "message": "'ann@' is not"}],
    }  # fmt: skip
    assert mask_pii(payload, {"email", "phone", "first_name"}) == {
        "lead_id": "L1",
        "email": "***",
        "phone": None,
        "trace": [
            {"rule": "r", "facts": [
                {"field": "email", "observed": "***", "expected": "set"},
                {"field": "phone", "observed": None},
                {"field": "country", "observed": "Austria"},
            ]},
        ],
        "record": {"first_name": "***", "company": "Acme"},
        "errors": [{"field": "email", "code": "not-allowed", "message": "***"}],
    }  # fmt: skip
    assert payload["email"] == "ann@example.com"  # the input is not changed
    assert mask_pii(payload, ()) == payload


def test_evaluation_is_stored_with_pii_masked(
    tmp_path: Path, compiled: CompiledContract, example_items: list[Verdict | RecordError]
) -> None:
    db = tmp_path / "a.db"
    digest = inputs_digest([LEADS, EVENTS])
    with SqliteAuditStore(db) as store:
        run_id = record_evaluation(
            store, compiled, example_items, as_of=AS_OF, inputs_digest=digest, run_id="eval-1"
        )
        assert run_id == "eval-1"
        assert store.verify().entries == 241
        (run,) = store.runs()
        assert run == {
            "run_id": "eval-1",
            "header_seq": 1,
            "contract_id": "northwind-lead-agreement",
            "contract_version": "2.1.0",
            "contract_digest": compiled.ref.digest,
            "as_of": "2026-11-16T17:00:00Z",
            "library_version": leadcontract.__version__,
            "inputs_digest": digest,
            "kind": "evaluation",
            "entries": 240,
        }
        (entry,) = store.lead_history("L000001")
        assert (entry.run_id, entry.seq, entry.as_of, entry.contract_version, entry.kind) == (
            "eval-1",
            2,
            AS_OF,
            "2.1.0",
            "verdict",
        )
        verdict = example_items[0]
        assert isinstance(verdict, Verdict)
        assert verdict.lead_id == "L000001"
        expected = mask_pii(verdict.to_dict(), {"email", "first_name", "last_name", "phone"})
        assert entry.payload == expected
        emails = [
            fact["observed"]
            for step in entry.payload["trace"]
            for fact in step["facts"]
            if fact["field"] == "email"
        ]
        assert emails == ["***", "***", "***"]
    text = "\n".join(r[0] for r in rows(db, "SELECT payload FROM entries"))
    assert "lmartin@keystonecomponents.example" not in text
    with LEADS.open(newline="", encoding="utf-8") as handle:
        emails_in = [row["Email"] for row in csv.DictReader(handle) if row["Email"]]
    assert len(emails_in) == 240
    assert [email for email in emails_in if email in text] == []


def test_reveal_pii_keeps_the_values(
    tmp_path: Path, compiled: CompiledContract, example_items: list[Verdict | RecordError]
) -> None:
    with SqliteAuditStore(tmp_path / "a.db") as store:
        record_evaluation(
            store, compiled, example_items[:3], as_of=AS_OF, inputs_digest="i", reveal_pii=True
        )
        (entry,) = store.lead_history("L000001")
        verdict = example_items[0]
        assert isinstance(verdict, Verdict)
        assert entry.payload == verdict.to_dict()
        assert "lmartin@keystonecomponents.example" in json.dumps(entry.payload)


def test_error_rows_are_stored_one_entry_each(tmp_path: Path, compiled: CompiledContract) -> None:
    leads = [
        {"Id": "X1", "LastName": "Doe", "Company": "Doe Inc", "CampaignId": "demo-request",
         "OwnerId": "dana", "CreatedDate": "2026-11-02T10:00:00Z"},
        {"Id": "X2", "Email": "x2@acme.example", "LastName": "Roe", "Company": "Roe Inc",
         "CampaignId": "demo-request",
         "OwnerId": "dana", "CreatedDate": "2026-11-02T11:00:00Z"},
    ]  # fmt: skip
    items = list(compiled.evaluate(leads, as_of=AS_OF))
    assert [type(i).__name__ for i in items] == ["RecordError", "Verdict"]
    error = items[0]
    assert isinstance(error, RecordError)
    with SqliteAuditStore(tmp_path / "a.db") as store:
        record_evaluation(store, compiled, items, as_of=AS_OF, inputs_digest="i", run_id="e")
        (stored,) = store.lead_history("X1")
        assert stored.kind == "error"
        assert stored.payload == mask_pii(error.to_dict(), {"email"})
        assert stored.payload["field"] == "email"
        assert stored.payload["message"] == "***"
        assert [e.kind for e in store.lead_history("X2")] == ["verdict"]
        assert store.verify().entries == 3


# --- inputs digest ----------------------------------------------------------------------------


def test_inputs_digest_covers_names_order_and_bytes(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    first, second = tmp_path / "a" / "leads.csv", tmp_path / "events.jsonl"
    first.write_bytes(b"Id\nL1\n")
    second.write_bytes(b"")
    expected = hashlib.sha256(
        b"file\0leads.csv\0Id\nL1\n\0size\x006\0file\0events.jsonl\0\0size\x000\0"
    ).hexdigest()
    assert inputs_digest([first, second]) == "sha256:" + expected
    assert inputs_digest([second, first]) != inputs_digest([first, second])
    moved = tmp_path / "leads.csv"
    moved.write_bytes(b"Id\nL1\n")
    assert inputs_digest([moved, second]) == inputs_digest([first, second])
    renamed = tmp_path / "leads2.csv"
    renamed.write_bytes(b"Id\nL1\n")
    assert inputs_digest([renamed, second]) != inputs_digest([first, second])
    moved.write_bytes(b"Id\nL2\n")
    assert inputs_digest([moved, second]) != inputs_digest([first, second])
    assert inputs_digest([]) == "sha256:" + hashlib.sha256(b"").hexdigest()


def test_records_digest_covers_order_and_values_not_key_order() -> None:
    first = {"lead_id": "L1", "at": datetime(2026, 11, 16, 12, tzinfo=UTC)}
    second = {"lead_id": "L2"}
    expected = hashlib.sha256(
        b'{"at":"2026-11-16T12:00:00Z","lead_id":"L1"}\n{"lead_id":"L2"}\n'
    ).hexdigest()
    assert records_digest([first, second]) == "sha256:" + expected
    assert records_digest([dict(reversed(first.items())), second]) == "sha256:" + expected
    assert records_digest([second, first]) != "sha256:" + expected


# --- the commands ---------------------------------------------------------------------------


def test_cli_verify(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    small_store(db)
    ((head,),) = rows(db, "SELECT hash FROM entries WHERE seq = 8")
    assert run_audit_verify(db) == (0, f"chain ok: 8 entries\nhead: {head}")


def test_cli_verify_unreadable(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert run_audit_verify(missing) == (
        2,
        f"cannot read audit store {missing}: {missing}: no such audit store",
    )
    assert not missing.exists()
    junk = tmp_path / "junk.db"
    junk.write_text("not a database, just text " * 100)
    assert run_audit_verify(junk) == (
        2,
        f"cannot read audit store {junk}: {junk}: not an audit store (not a SQLite database)",
    )
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert run_audit_verify(other) == (
        2,
        f"cannot read audit store {other}: {other}: not an audit store (a SQLite database "
        "with other tables)",
    )
    assert rows(other, "SELECT name FROM sqlite_master") == [("t",)]


def _show_store(db: Path) -> None:
    verdict = {
        "lead_id": "L7",
        "stage": {"id": "sal", "since": "2026-11-03T09:00:00Z"},
        "slas": [
            {"sla": "first-touch", "status": "breached", "party": "sales"},
            {"sla": "accept", "status": "met", "party": None},
        ],
        "spiffs": [
            {
                "spiff": "fast-accept",
                "eligible": True,
                "why": "accepted within 1 hour",
                "lines": [
                    {
                        "kind": "earned",
                        "amount": "50.00",
                        "currency": "USD",
                        "rep": "dana",
                        "payable": True,
                    },
                    {
                        "kind": "clawback",
                        "amount": "-50.00",
                        "currency": "USD",
                        "rep": None,
                        "payable": False,
                    },
                ],
            },
            {"spiff": "big-deal", "eligible": False, "why": "", "lines": []},
            {"future": "shape"},
        ],
    }
    with SqliteAuditStore(db) as store:
        store.append_run(
            run_record("run-1"), [{"kind": "verdict", "lead_id": "L7", "payload": verdict}]
        )
        store.append_run(
            run_record("run-2"),
            [
                {"kind": "verdict", "lead_id": "L8", "payload": {"stage": {"id": "mql"}}},
                {"kind": "error", "lead_id": "L7",
                 "payload": {"code": "duplicate-lead", "message": "seen before"}},
            ],
        )  # fmt: skip


def test_cli_show_text(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _show_store(db)
    assert run_audit_show(db, "L7", "text") == (
        0,
        "lead L7: 2 entries\n"
        "run run-1 (entry 2) as of 2026-11-16T17:00:00Z, contract 1.0.0\n"
        "  stage: sal since 2026-11-03T09:00:00Z\n"
        "  SLAs: first-touch breached (by sales); accept met\n"
        "  spiff fast-accept: eligible (accepted within 1 hour)\n"
        "    earned 50.00 USD to dana\n"
        "    clawback -50.00 USD (shadow: not payable)\n"
        "  spiff big-deal: not eligible\n"
        '  spiff: {"future": "shape"}\n'
        "run run-2 (entry 5) as of 2026-11-16T17:00:00Z, contract 1.0.0\n"
        "  error row: duplicate-lead: seen before",
    )
    assert run_audit_show(db, "L8", "text") == (
        0,
        "lead L8: 1 entries\n"
        "run run-2 (entry 4) as of 2026-11-16T17:00:00Z, contract 1.0.0\n"
        "  stage: mql",
    )
    assert run_audit_show(db, "nobody", "text") == (1, f"no entries for lead nobody in {db}")


def test_cli_show_json(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _show_store(db)
    code, text = run_audit_show(db, "L8", "json")
    assert code == 0
    assert json.loads(text) == {
        "lead_id": "L8",
        "entries": [
            {
                "run_id": "run-2",
                "seq": 4,
                "as_of": "2026-11-16T17:00:00Z",
                "contract_version": "1.0.0",
                "kind": "verdict",
                "payload": {"stage": {"id": "mql"}},
            }
        ],
    }
    assert run_audit_show(db, "nobody", "json") == (
        1,
        json.dumps({"lead_id": "nobody", "entries": []}, indent=2),
    )


def test_cli_show_errors(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _show_store(db)
    assert run_audit_show(db, "L7", "yaml") == (
        2,
        "unknown format 'yaml'; choose one of: text, json",
    )
    missing = tmp_path / "missing.db"
    assert run_audit_show(missing, "L7", "text") == (
        2,
        f"cannot read audit store {missing}: {missing}: no such audit store",
    )


def test_cli_show_a_real_verdict(
    tmp_path: Path, compiled: CompiledContract, example_items: list[Verdict | RecordError]
) -> None:
    db = tmp_path / "a.db"
    with SqliteAuditStore(db) as store:
        for run_id in ("first", "second"):
            record_evaluation(
                store, compiled, example_items[:1], as_of=AS_OF, inputs_digest="i", run_id=run_id
            )
    code, text = run_audit_show(db, "L000001", "text")
    assert code == 0
    lines = text.splitlines()
    assert lines[0] == "lead L000001: 2 entries"
    assert lines[1] == "run first (entry 2) as of 2026-11-16T17:00:00Z, contract 2.1.0"
    assert lines[2] == "  stage: mql since 2026-10-02T18:30:51Z"
    assert lines[3].startswith("  SLAs: first-touch-demo not_applicable; first-touch breached")
    # The same verdict twice: the second run's block repeats the first's.
    second = lines.index("run second (entry 4) as of 2026-11-16T17:00:00Z, contract 2.1.0")
    assert lines[second + 1 :] == lines[2:second]


def test_entries_with_any_text_go_through_the_spool_unchanged(tmp_path: Path) -> None:
    """The spool's lines are UTF-8 JSON; a lone surrogate in a lead id (only Python callers
    can pass one) is written escaped by json and read back by it, and a payload's text with
    one is stored escaped, as canonical_json's text has always been."""
    odd = [
        ("L\ud800", {"note": "x"}),
        ("L\u2028é", {"note": "a\nb\u0085\u2028 \x00 ✓ \ud800"}),
        ("L2", {"b": [1.5, None, "é"], "a": 1e-05}),
    ]
    with SqliteAuditStore(tmp_path / "a.db") as store:
        lines = [entry_line({"kind": "verdict", "lead_id": i, "payload": p}) for i, p in odd]
        assert all(line.count(b"\n") == 1 and line.endswith(b"\n") for line in lines)
        run_id = store.append_lines(run_record("spooled"), lines)
        stored = list(store.run_entries(run_id))
        # (the lead id column holds UTF-8 text: a lone surrogate is kept as its escape)
        assert [lead_id for _, lead_id, _ in stored] == ["L\\ud800", "L\u2028é", "L2"]
        assert [payload for _, _, payload in stored] == [p for _, p in odd]
        assert store.verify().ok


def test_a_runs_entries_wait_on_disk_beyond_the_spool_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spool goes to disk once it holds more than its size, while the entries are still
    coming (an audited run of 100k traced leads held 1.5 GB of lines in memory: writelines
    took them all before looking at the size)."""
    monkeypatch.setattr(store_module, "_SPOOL_BYTES", 10_000)
    made: list[Any] = []
    spooled = tempfile.SpooledTemporaryFile

    def spool(*args: Any, **options: Any) -> Any:
        made.append(spooled(*args, **options))
        return made[-1]

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", spool)
    written = 0
    rolled_while_coming = False

    def lines() -> Iterator[bytes]:
        nonlocal written, rolled_while_coming
        for n in range(200):
            line = entry_line({"kind": "verdict", "lead_id": f"L{n}", "payload": {"n": "x" * 500}})
            written += len(line)
            yield line
            if written > 20_000 and made[0]._rolled:
                rolled_while_coming = True

    with SqliteAuditStore(tmp_path / "a.db") as store:
        run_id = store.append_lines(run_record("big"), lines(), folder=tmp_path)
        assert len(list(store.run_entries(run_id))) == 200
    assert rolled_while_coming
