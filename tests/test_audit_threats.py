"""The audit store's promise against an attacker with write access to the file (docs/limits.md).

A hash chain alone cannot stop someone who rewrites the whole chain. Each of the three
forgeries of the review passes a plain ``verify``; these tests show which defence catches it:
an anchor (the head written down outside the store) or a key (HMAC, only key holders can
re-chain). Also: every kind of damage to the file ends as a diagnostic, never a traceback.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcontract.cli import main
from leadcontract.store import (
    KEY_ENV,
    Anchor,
    AuditStoreError,
    RunRecord,
    SqliteAuditStore,
    entry_hash,
)

KEY = b"correct horse battery staple"
FUZZ_EXAMPLES = int(os.environ.get("LEADCONTRACT_FUZZ_EXAMPLES", "0"))
TRIGGERS = ("entries_no_update", "entries_no_delete", "runs_no_update", "runs_no_delete")


def run(run_id: str) -> RunRecord:
    return RunRecord(
        "acme", "1.0.0", "sha256:c", datetime(2026, 11, 16, 17, tzinfo=UTC), "0.1.0", "sha256:d",
        run_id=run_id,
    )  # fmt: skip


def store_with_two_runs(db: Path, key: bytes | None = None) -> Anchor:
    """Seqs 1 (header), 2-4, 5 (header), 6-8; returns the anchor taken after both runs."""
    with SqliteAuditStore(db, key=key) as store:
        for name in ("run-a", "run-b"):
            rows = [{"kind": "verdict", "lead_id": f"L{i}", "payload": {"i": i}} for i in range(3)]
            store.append_run(run(name), rows)
        return store.anchor()


def tamper(db: Path, *statements: tuple[str, tuple[Any, ...]]) -> None:
    conn = sqlite3.connect(db)
    try:
        for trigger in TRIGGERS:
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for sql, params in statements:
            conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def rechain(db: Path, key: bytes | None = None) -> None:
    """What a forger does after any edit: recompute every hash and the head record."""
    conn = sqlite3.connect(db)
    try:
        for trigger in TRIGGERS:
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        rows = conn.execute(
            "SELECT seq, run_id, lead_id, kind, payload FROM entries ORDER BY seq"
        ).fetchall()
        prev = rows and conn.execute("SELECT prev_hash FROM entries WHERE seq = 1").fetchone()[0]
        for seq, run_id, lead_id, kind, payload in rows:
            digest = entry_hash(
                prev, seq=seq, run_id=run_id, lead_id=lead_id, kind=kind, payload=payload, key=key
            )
            conn.execute(
                "UPDATE entries SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, seq)
            )
            prev = digest
        conn.execute("UPDATE meta SET head_seq = ?, head_hash = ?", (len(rows), prev))
        counts = conn.execute("SELECT run_id, COUNT(*) - 1 FROM entries GROUP BY run_id").fetchall()
        for run_id, count in counts:
            conn.execute("UPDATE runs SET entries = ? WHERE run_id = ?", (count, run_id))
        conn.commit()
    finally:
        conn.close()


def edit_and_rechain(db: Path) -> None:
    tamper(db, ("UPDATE entries SET payload = '{\"i\":99}' WHERE seq = 3", ()))
    rechain(db)


def append_forged_entry(db: Path) -> None:
    tamper(
        db,
        (
            "INSERT INTO entries VALUES (9, 'run-b', 'L7', 'verdict', '{\"i\":7}', '', '')",
            (),
        ),
    )
    rechain(db)


def delete_last_run(db: Path) -> None:
    """No re-chaining needed: the entries left keep their genuine hashes; only the head
    record is moved back to the new last entry."""
    tamper(
        db,
        ("DELETE FROM entries WHERE run_id = 'run-b'", ()),
        ("DELETE FROM runs WHERE run_id = 'run-b'", ()),
        ("UPDATE meta SET head_seq = 4, head_hash = (SELECT hash FROM entries WHERE seq = 4)", ()),
    )


ATTACKS: dict[str, Callable[[Path], None]] = {
    "full re-chain after an edit": edit_and_rechain,
    "forged entry appended to the last run": append_forged_entry,
    "whole last run deleted": delete_last_run,
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_plain_chain_alone_does_not_catch_the_attack(tmp_path: Path, attack: str) -> None:
    """The documented limit: without an anchor or a key, each forgery verifies."""
    db = tmp_path / "audit.db"
    store_with_two_runs(db)
    ATTACKS[attack](db)
    with SqliteAuditStore(db, create=False, key=None) as store:
        assert store.verify().ok


@pytest.mark.parametrize(
    ("attack", "reason"),
    [
        ("full re-chain after an edit", "the anchored head sha256:"),
        ("forged entry appended to the last run", "entry 9: follows the anchored head"),
        ("whole last run deleted", "the anchored head sha256:"),
    ],
)
def test_an_anchor_catches_each_attack(tmp_path: Path, attack: str, reason: str) -> None:
    db = tmp_path / "audit.db"
    anchor = store_with_two_runs(db)
    ATTACKS[attack](db)
    with SqliteAuditStore(db, create=False, key=None) as store:
        result = store.verify(anchor=anchor)
    assert not result.ok
    assert result.reason is not None
    assert reason in result.reason


def test_an_anchor_admits_later_runs(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    anchor = store_with_two_runs(db)
    with SqliteAuditStore(db) as store:
        store.append_run(run("run-c"), [{"kind": "verdict", "lead_id": "L1", "payload": {}}])
        assert store.verify(anchor=anchor).ok
        assert store.verify(anchor=Anchor(anchor.head)).ok  # the hash alone
        assert not store.verify(anchor=Anchor(anchor.head, 7)).ok  # at the wrong place


@pytest.mark.parametrize(
    ("attack", "caught"),
    [
        ("full re-chain after an edit", True),
        ("forged entry appended to the last run", True),
        ("whole last run deleted", False),  # every remaining hash is genuine: anchors catch it
    ],
)
def test_a_key_catches_rechaining(tmp_path: Path, attack: str, caught: bool) -> None:
    db = tmp_path / "audit.db"
    store_with_two_runs(db, key=KEY)
    ATTACKS[attack](db)  # the forger has no key: re-chains with plain hashes
    with SqliteAuditStore(db, create=False, key=KEY) as store:
        result = store.verify()
    assert result.ok is not caught
    if caught:
        assert result.reason is not None
        assert "re-chained without the key" in result.reason


def test_a_forger_guessing_a_key_is_caught(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    store_with_two_runs(db, key=KEY)
    tamper(db, ("UPDATE entries SET payload = '{\"i\":99}' WHERE seq = 3", ()))
    rechain(db, key=b"guess")
    with SqliteAuditStore(db, create=False, key=KEY) as store:
        result = store.verify()
    assert (result.ok, result.first_broken) == (False, 1)
    assert result.reason == "entry 1: hash does not match its content (edited, or not this key?)"


def test_a_keyed_store_needs_its_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "audit.db"
    store_with_two_runs(db, key=KEY)
    monkeypatch.delenv(KEY_ENV, raising=False)
    with SqliteAuditStore(db) as store:
        with pytest.raises(AuditStoreError, match="keyed"):
            store.verify()
        with pytest.raises(AuditStoreError, match=f"set {KEY_ENV} to append"):
            store.append_run(run("run-c"), [])
    with (
        SqliteAuditStore(db, key=b"wrong") as store,
        pytest.raises(AuditStoreError, match="is not the key of this store"),
    ):
        store.append_run(run("run-c"), [])
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    with SqliteAuditStore(db) as store:
        store.append_run(run("run-c"), [])
        assert store.verify().ok


# --- the command line -----------------------------------------------------------------------


def test_cli_anchor_then_verify_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    db = tmp_path / "audit.db"
    store_with_two_runs(db)
    anchor_file = tmp_path / "audit.anchor.json"
    assert main(["audit", "anchor", str(db), "--out", str(anchor_file)]) == 0
    assert Anchor.from_json(anchor_file.read_text()).entries == 8
    assert main(["audit", "verify", str(db), "--head", str(anchor_file)]) == 0
    assert "holds the anchored head at entry 8" in capsys.readouterr().out
    delete_last_run(db)
    assert main(["audit", "verify", str(db)]) == 0  # the chain alone cannot tell
    assert main(["audit", "verify", str(db), "--head", str(anchor_file)]) == 1
    assert "BROKEN at entry 5: the anchored head" in capsys.readouterr().err
    assert main(["audit", "verify", str(db), "--head", str(tmp_path / "none.json")]) == 2
    assert "--head" in capsys.readouterr().err


def test_cli_anchor_cannot_overwrite_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """'audit anchor audit.db --out audit.db' replaced the store, the evidence the anchor is
    for, with its anchor (exit 0)."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    db = tmp_path / "audit.db"
    store_with_two_runs(db)
    before = db.read_bytes()
    for target in (db, tmp_path / "audit.db-wal"):
        assert main(["audit", "anchor", str(db), "--out", str(target)]) == 2
        assert f"--out {target} would overwrite the input" in capsys.readouterr().err
    assert db.read_bytes() == before
    assert main(["audit", "verify", str(db)]) == 0


def _damage(kind: str) -> Callable[[Path], None]:
    statements: dict[str, list[tuple[str, tuple[Any, ...]]]] = {
        "payload not JSON": [("UPDATE entries SET payload = 'not json' WHERE seq = 2", ())],
        "kind is a blob": [("UPDATE entries SET kind = x'00' WHERE seq = 2", ())],
        "hash is a number": [("UPDATE entries SET hash = 5 WHERE seq = 3", ())],
        "as_of garbage": [("UPDATE runs SET as_of = 'yesterday'", ())],
        "meta gone": [("DELETE FROM meta", ())],
        "meta is text": [("UPDATE meta SET head_seq = 'eight'", ())],
        "runs index garbage": [("UPDATE runs SET header_seq = 'one'", ())],
        "header not JSON": [("UPDATE entries SET payload = '[' WHERE seq = 1", ())],
        "bytes not UTF-8": [
            ("UPDATE entries SET payload = CAST(x'ff22' AS TEXT) WHERE seq = 2", ())
        ],
        "entries table gone": [("DROP TABLE entries", ())],
    }
    return lambda db: tamper(db, *statements[kind])


DAMAGE = [
    "payload not JSON",
    "kind is a blob",
    "hash is a number",
    "as_of garbage",
    "meta gone",
    "meta is text",
    "runs index garbage",
    "header not JSON",
    "bytes not UTF-8",
    "entries table gone",
]


@pytest.mark.parametrize("damage", DAMAGE)
def test_verify_and_show_on_a_damaged_store_give_a_diagnostic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    db = tmp_path / "audit.db"
    store_with_two_runs(db)
    _damage(damage)(db)
    assert main(["audit", "verify", str(db)]) in (1, 2)
    for fmt in ("text", "json"):
        assert main(["audit", "show", str(db), "--lead", "L1", "--format", fmt]) in (0, 1, 2)
    err = capsys.readouterr().err
    assert "internal error" not in err
    assert "Traceback" not in err


def test_a_damaged_file_is_not_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "audit.db"
    store_with_two_runs(db)
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page, overwritten
    db.write_bytes(bytes(data))
    assert main(["audit", "verify", str(db)]) == 2
    assert main(["audit", "show", str(db), "--lead", "L1"]) == 2
    assert "internal error" not in capsys.readouterr().err


@settings(max_examples=FUZZ_EXAMPLES or 60, deadline=None, derandomize=not FUZZ_EXAMPLES)
@given(
    flips=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), min_size=1, max_size=8)
)
def test_random_damage_to_the_file_gives_a_diagnostic(
    tmp_path_factory: pytest.TempPathFactory, flips: list[tuple[int, int]]
) -> None:
    """Bytes of the SQLite file overwritten at random: verify and show answer 0, 1 or 2,
    never with an internal error."""
    db = tmp_path_factory.mktemp("damaged") / "audit.db"
    store_with_two_runs(db)
    data = bytearray(db.read_bytes())
    for offset, value in flips:
        data[offset % len(data)] = value
    db.write_bytes(bytes(data))
    assert main(["audit", "verify", str(db)]) in (0, 1, 2)
    assert main(["audit", "show", str(db), "--lead", "L1"]) in (0, 1, 2)
    assert main(["audit", "anchor", str(db)]) in (0, 2)
