"""The append-only audit store: what the engine decided, for whom, under which contract.

Finance and sales managers need to answer, months later, "why was I not paid for this lead?"
with evidence nobody could have quietly rewritten. So every run is stored as a chain of
entries in which each entry's hash covers its own content *and* the previous entry's hash:
editing, deleting or reordering any stored entry breaks the chain at that entry, and
:meth:`AuditStore.verify` names the first entry that no longer fits.

Layout (SQLite, WAL mode)::

    entries(seq, run_id, lead_id, kind, payload, prev_hash, hash)   -- the chain
    runs(run_id, header_seq, contract_id, ..., entries)            -- an index of runs
    meta(head_seq, head_hash)                                       -- the chain's head

``hash = sha256(prev_hash + canonical JSON of {seq, run_id, lead_id, kind, payload})``, with
canonical JSON meaning sorted keys and no spaces, and the first entry linking to
:data:`GENESIS_HASH`. A run starts with an entry of kind ``run`` holding the run header
(contract, as-of time, inputs digest, ...), so the header is chained like everything else;
the ``runs`` table is only an index, which :meth:`~SqliteAuditStore.verify` checks against the
chained headers. ``meta`` records the head of the chain, updated in the same transaction as
every run, so that deleting the *last* entries (which leaves a shorter but internally
consistent chain) is noticed too. Someone with write access to the file who rewrites the
whole chain and the head can still forge a consistent history; :attr:`VerifyResult.head` is
the value to write down elsewhere (a ticket, an e-mail) to rule that out.

Append-only: the store has no update or delete API, and SQLite triggers refuse UPDATE and
DELETE on ``entries`` and ``runs``. A run is written in one ``BEGIN IMMEDIATE`` transaction
that reads the chain's head inside it, so a crash half-way leaves nothing of the run and two
processes appending at once queue up instead of forking the chain.

Personal data (lead fields marked ``pii: true``) is masked before it is stored unless the
caller asks otherwise: verdict traces carry observed values such as e-mail addresses.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import re
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol, Self

import orjson

from leadcontract._json_text import plain_copy, sorted_plain_json
from leadcontract._version import __version__
from leadcontract.errors import LeadcontractError
from leadcontract.inputs import RecordError
from leadcontract.pii import MASK, PiiPolicy, policy_for_fields, pseudonym
from leadcontract.verdict import Verdict, format_instant, to_plain

if TYPE_CHECKING:
    from leadcontract.engine import CompiledContract

__all__ = [
    "GENESIS_HASH",
    "KEY_ENV",
    "MASK",
    "Anchor",
    "AuditChainError",
    "AuditStore",
    "AuditStoreError",
    "LeadEntry",
    "RunRecord",
    "SqliteAuditStore",
    "VerifyResult",
    "canonical_json",
    "entry_hash",
    "entry_line",
    "evaluation_entry",
    "evaluation_line",
    "inputs_digest",
    "mask_pii",
    "record_evaluation",
    "records_digest",
]

GENESIS_HASH = "sha256:" + hashlib.sha256(b"leadcontract audit chain v1").hexdigest()
"""What the first entry's ``prev_hash`` is: a fixed, documented value, so a verifier outside
this library can recompute the chain from the table alone."""


RUN_KIND = "run"
"""The entry kind of run headers (reserved: callers cannot append entries of this kind)."""

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 5_000
"""How long one attempt to take the write lock waits; attempts repeat up to ``lock_wait``."""

LOCK_WAIT_S = 600.0
"""How long a writer waits, by default, for other processes' appends (each holds the lock
only while it appends an already built run) before giving up."""

KEY_ENV = "LEADCONTRACT_AUDIT_KEY"
"""The environment variable holding the HMAC key of a keyed store (see :func:`entry_hash`)."""

HMAC_PREFIX = "hmac-sha256:"
_HASH_PREFIX = "sha256:"

RunKind = Literal["evaluation", "payouts"]
_RUN_KINDS: frozenset[str] = frozenset({"evaluation", "payouts"})

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    lead_id TEXT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_lead ON entries (lead_id, seq);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    header_seq INTEGER NOT NULL,
    contract_id TEXT NOT NULL,
    contract_version TEXT NOT NULL,
    contract_digest TEXT NOT NULL,
    as_of TEXT NOT NULL,
    library_version TEXT NOT NULL,
    inputs_digest TEXT NOT NULL,
    kind TEXT NOT NULL,
    entries INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    schema_version INTEGER NOT NULL,
    head_seq INTEGER NOT NULL,
    head_hash TEXT NOT NULL
);
INSERT OR IGNORE INTO meta (id, schema_version, head_seq, head_hash)
    VALUES (1, {SCHEMA_VERSION}, 0, '{GENESIS_HASH}');
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS runs_no_update BEFORE UPDATE ON runs
    BEGIN SELECT RAISE(ABORT, 'audit runs are append-only'); END;
CREATE TRIGGER IF NOT EXISTS runs_no_delete BEFORE DELETE ON runs
    BEGIN SELECT RAISE(ABORT, 'audit runs are append-only'); END;
"""

_TABLES = frozenset({"entries", "runs", "meta"})
_TRIGGERS = frozenset(
    {"entries_no_update", "entries_no_delete", "runs_no_update", "runs_no_delete"}
)
_HEADER_COLUMNS = (
    "contract_id",
    "contract_version",
    "contract_digest",
    "as_of",
    "library_version",
    "inputs_digest",
    "kind",
)


class AuditStoreError(LeadcontractError):
    """The file is not an audit store, or an append was refused."""


class AuditChainError(AuditStoreError):
    """Appending was refused because the stored chain's end does not match its head record:
    appending would link new entries to a tampered chain and hide the tampering."""


# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRecord:
    """The header of one run: which contract decided, as of when, on which inputs.

    ``run_id`` is generated (a uuid4 hex) when left ``None``; that is the store's only
    randomness, and tests pass fixed ids to stay deterministic.
    """

    contract_id: str
    contract_version: str
    contract_digest: str
    as_of: datetime
    library_version: str
    inputs_digest: str
    kind: RunKind = "evaluation"
    run_id: str | None = None

    def __post_init__(self) -> None:
        if self.as_of.tzinfo is None or self.as_of.utcoffset() is None:
            raise ValueError("as_of must be timezone-aware (e.g. 2026-11-16T17:00:00+00:00)")
        if self.kind not in _RUN_KINDS:
            raise ValueError(f"run kind must be 'evaluation' or 'payouts', not {self.kind!r}")
        if self.run_id is not None and not self.run_id:
            raise ValueError("run_id must be a non-empty string or None")

    def header(self, run_id: str) -> dict[str, Any]:
        """The payload of the run's chained header entry."""
        return {
            "run_id": run_id,
            "kind": self.kind,
            "contract_id": self.contract_id,
            "contract_version": self.contract_version,
            "contract_digest": self.contract_digest,
            "as_of": format_instant(self.as_of),
            "library_version": self.library_version,
            "inputs_digest": self.inputs_digest,
        }


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of walking the chain.

    ``entries`` is how many entries the store holds. ``first_broken`` is the seq of the
    first entry that does not fit (``None`` when ``ok``)
    and ``reason`` says how, e.g. ``"entry 57: hash does not match its content (edited?)"``.
    ``head`` is the hash of the last entry: written down elsewhere, it lets a later verify
    prove that nobody rewrote the whole chain since.
    """

    ok: bool
    entries: int
    first_broken: int | None
    reason: str | None
    head: str | None = None


@dataclass(frozen=True)
class Anchor:
    """A head of the chain written down outside the store (in git, a ticket, an e-mail).

    ``head`` is the hash of the entry that was last when the anchor was taken and
    ``entries`` its seq (``None`` when only the hash was noted). Verifying against an anchor
    proves what a chain alone cannot: that nobody re-chained the history up to it, or deleted
    whole runs from its end, and that nothing was slipped into the run it ends.
    """

    head: str
    entries: int | None = None

    def to_json(self, store: str) -> str:
        """The anchor file's text: small, stable JSON meant to be committed or pasted."""
        document = {
            "leadcontract_audit_anchor": 1,
            "store": store,
            "entries": self.entries,
            "head": self.head,
        }
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        """Read an anchor file; raises :class:`ValueError` if it is not one."""
        document = json.loads(text)
        if not isinstance(document, dict) or document.get("leadcontract_audit_anchor") != 1:
            raise ValueError("not a leadcontract audit anchor file")
        head, entries = document.get("head"), document.get("entries")
        if not isinstance(head, str) or not (entries is None or isinstance(entries, int)):
            raise ValueError("the anchor file's head or entries is malformed")
        return cls(head, entries)


@dataclass(frozen=True)
class LeadEntry:
    """One stored entry about one lead, with the header facts of its run.

    ``kind`` is ``"verdict"`` for verdicts and ``"error"`` for error rows.
    """

    run_id: str
    seq: int
    as_of: datetime
    contract_version: str
    payload: dict[str, Any]
    kind: str = "verdict"


class AuditStore(Protocol):
    """What the engine needs from an audit store; a server database can implement it too.

    ``append_run`` takes entries as mappings ``{"kind": str, "lead_id": str | None,
    "payload": Mapping}`` (``kind`` is e.g. ``"verdict"`` or ``"error"``; ``"run"`` is
    reserved for headers) and stores the header and all entries atomically.
    """

    def append_run(self, run: RunRecord, entries: Iterable[Mapping[str, Any]]) -> str:
        """Store a run and its entries in one transaction; return the run id."""
        ...

    def verify(self) -> VerifyResult:
        """Walk the whole chain and report the first entry that does not fit."""
        ...

    def lead_history(self, lead_id: str) -> list[LeadEntry]:
        """Every entry about ``lead_id``, oldest first, across runs."""
        ...


# --- hashing --------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """One spelling for one value: sorted keys, no spaces, UTF-8 kept, no NaN.

    The spelling is ``json.dumps``'s; orjson writes it where it provably spells the same
    (:func:`leadcontract._json_text.sorted_plain_json`): every audit entry is written so.
    """
    text = sorted_plain_json(value)
    if text is not None:
        return text
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    run_id: str,
    lead_id: str | None,
    kind: str,
    payload: str,
    key: bytes | None = None,
) -> str:
    """``sha256:<hex>`` of ``prev_hash`` followed by the canonical JSON of the entry.

    ``payload`` is the stored canonical JSON text, spliced in as is: the result equals
    hashing ``canonical_json({"kind", "lead_id", "payload", "run_id", "seq"})``, while any
    byte changed in the stored text (even one that would parse the same) changes the hash.

    With a ``key`` the digest is ``hmac-sha256:<hex>``, an HMAC of the same bytes: only key
    holders can compute it, so nobody else can re-chain the store after an edit.
    """
    text = (
        '{"kind":'
        + canonical_json(kind)
        + ',"lead_id":'
        + canonical_json(lead_id)
        + ',"payload":'
        + payload
        + ',"run_id":'
        + canonical_json(run_id)
        + ',"seq":'
        + canonical_json(seq)
        + "}"
    )
    data = prev_hash.encode("utf-8") + text.encode("utf-8", "surrogatepass")
    if key is not None:
        return HMAC_PREFIX + hmac.new(key, data, hashlib.sha256).hexdigest()
    return _HASH_PREFIX + hashlib.sha256(data).hexdigest()


def key_from_environment() -> bytes | None:
    """The HMAC key in :data:`KEY_ENV`, or ``None`` when it is unset or empty."""
    value = os.environ.get(KEY_ENV)
    return value.encode("utf-8") if value else None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogates(text: str) -> str:
    """Canonical JSON with any lone surrogate written as its JSON escape (same value, and
    encodable as UTF-8). They occur only inside strings, where the escape is valid."""
    if text.isascii() or _LONE_SURROGATE.search(text) is None:
        return text
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def inputs_digest(paths: Sequence[Path]) -> str:
    """``sha256:<hex>`` over the input files, in order, each as name, size and bytes.

    Streamed in blocks, so large exports are not read into memory. Only the file's name
    (not its folder) is included, so the same export digests the same wherever it lies.
    """
    digest = hashlib.sha256()
    for path in paths:
        with Path(path).open("rb") as handle:
            digest.update(b"file\0" + Path(path).name.encode("utf-8") + b"\0")
            size = 0
            for block in iter(lambda: handle.read(1 << 16), b""):
                digest.update(block)
                size += len(block)
            digest.update(b"\0size\0" + str(size).encode("ascii") + b"\0")
    return "sha256:" + digest.hexdigest()


def records_digest(records: Iterable[Mapping[str, Any]]) -> str:
    """``sha256:<hex>`` over in-memory records (inputs that are not files), in order.

    Each record counts as its canonical JSON (so key order does not matter) on a line.
    """
    digest = hashlib.sha256()
    for record in records:
        digest.update(canonical_json(to_plain(record)).encode("utf-8") + b"\n")
    return "sha256:" + digest.hexdigest()


# --- personal data --------------------------------------------------------------------------


def mask_pii(payload: Mapping[str, Any], pii_fields: Collection[str]) -> dict[str, Any]:
    """A copy of ``payload`` with the values of personal fields replaced by :data:`MASK`.

    Masked wherever they appear: as a trace fact (a mapping whose ``field`` is personal:
    its ``observed`` value, and the ``message`` of an error row about that field, which
    quotes the value), as a key of any mapping (a record), and quoted inside other text.
    ``None`` stays ``None``, so "the field was empty" remains visible. The store masks with
    the contract's whole :class:`~leadcontract.pii.PiiPolicy` (CRM column names, lead id
    pseudonyms, time zones and datetimes in SLA clocks).
    """
    return policy_for_fields(pii_fields).mask(payload)


# --- SQLite -------------------------------------------------------------------------------


class SqliteAuditStore:
    """An :class:`AuditStore` in one SQLite file (WAL mode; safe for several processes).

    ``create=False`` opens an existing store only (for verifying and showing: a missing file
    or a database that is not an audit store raises :class:`AuditStoreError` instead of being
    turned into an empty store). A path that is a folder, in a folder that does not exist, or a
    file that is not SQLite, or a SQLite database with tables of its own, raises
    :class:`AuditStoreError` too: the store never writes into someone else's database.

    ``key`` (default: :func:`key_from_environment`) makes the store *keyed*: every entry's
    hash is an HMAC, so only key holders can append or re-chain. A store is keyed or not from
    its first entry on; opening a keyed store for appending without the key, or a plain store
    with one, is refused. ``lock_wait`` is how long an append waits for other writers (each
    holds the lock only while appending a run built beforehand); ``on_wait`` is called once,
    with the path, when it has to wait, so that a command line can say so.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        create: bool = True,
        key: bytes | None = None,
        lock_wait: float = LOCK_WAIT_S,
        on_wait: Callable[[Path], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self._key = key if key is not None else key_from_environment()
        self._lock_wait = lock_wait
        self._on_wait = on_wait
        if self.path.is_dir():
            raise AuditStoreError(f"{self.path}: is a folder, not an audit store")
        if not self.path.parent.is_dir():
            raise AuditStoreError(f"{self.path}: the folder {self.path.parent} does not exist")
        if not create and not self.path.is_file():
            raise AuditStoreError(f"{self.path}: no such audit store")
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
        except sqlite3.Error as error:
            raise AuditStoreError(f"{self.path}: cannot open: {error}") from None
        self._conn.text_factory = _lenient_text
        try:
            self._open(create)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
            self._conn.close()
            raise AuditStoreError(f"{self.path}: {_sqlite_reason(error)}") from None
        except BaseException:
            self._conn.close()
            raise

    def _open(self, create: bool) -> None:
        self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        found = self._conn.execute("SELECT type, name FROM sqlite_master").fetchall()
        names = {name for kind, name in found if kind == "table"}
        if names and not names >= _TABLES:
            raise AuditStoreError(
                f"{self.path}: not an audit store (a SQLite database with other tables)"
            )
        if not names and not create:
            raise AuditStoreError(f"{self.path}: not an audit store (an empty database)")
        triggers = {name for kind, name in found if kind == "trigger"}
        if create and (not names or triggers != _TRIGGERS):
            # A new store, or one whose append-only triggers were dropped: (re)create them.
            self._begin_write()
            try:
                for statement in _statements(_SCHEMA):
                    self._conn.execute(statement)
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")

    # --- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- writing --------------------------------------------------------------------------

    def _begin_write(self) -> None:
        """``BEGIN IMMEDIATE``, waiting for other writers up to ``lock_wait`` seconds.

        The first attempt does not wait, so that ``on_wait`` can say at once that this run
        is waiting; later attempts wait in slices of :data:`BUSY_TIMEOUT_MS`.
        """
        deadline = time.monotonic() + self._lock_wait
        conn = self._conn
        conn.execute("PRAGMA busy_timeout = 0")
        told = False
        try:
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) and "busy" not in str(error):
                        raise
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AuditStoreError(
                        f"{self.path}: locked by another process for more than "
                        f"{self._lock_wait:g} s; try again later"
                    ) from None
                if not told and self._on_wait is not None:
                    self._on_wait(self.path)
                told = True
                conn.execute(f"PRAGMA busy_timeout = {int(min(left * 1000, BUSY_TIMEOUT_MS))}")
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    @property
    def key(self) -> bytes | None:
        """The HMAC key this store was opened with (also keys lead id pseudonyms)."""
        return self._key

    @property
    def keyed(self) -> bool:
        """Whether the stored chain is keyed (its first entry's hash is an HMAC)."""
        row = self._conn.execute("SELECT hash FROM entries WHERE seq = 1").fetchone()
        return row is not None and str(row[0]).startswith(HMAC_PREFIX)

    def check_appendable(self) -> None:
        """Raise :class:`AuditStoreError` if a run could not be appended now (a tampered end of
        the chain, a key that does not fit); cheap, for checking before a long evaluation."""
        self._conn.execute("BEGIN")
        try:
            self._checked_head()
        finally:
            self._conn.execute("COMMIT")

    def append_run(self, run: RunRecord, entries: Iterable[Mapping[str, Any]]) -> str:
        """Store the run header and every entry in one ``BEGIN IMMEDIATE`` transaction.

        The entries are built first (spooled to a temporary file beyond a few megabytes), so
        the write lock is held only while they are appended, not while ``entries`` is
        produced. The chain's head is read inside the transaction, so concurrent writers
        queue up rather than both linking to the same entry. If ``entries`` raises, or the
        process dies, nothing of the run is stored.
        """
        return self.append_lines(run, map(entry_line, entries))

    def append_lines(
        self,
        run: RunRecord,
        lines: Iterable[bytes],
        *,
        folder: str | os.PathLike[str] | None = None,
    ) -> str:
        """:meth:`append_run` for entries already made into lines by :func:`entry_line`
        (e.g. by the processes of ``evaluate --workers``, in their order). Beyond
        ``_SPOOL_BYTES`` they wait in a temporary file in ``folder`` (None: the system's
        temporary folder; ``evaluate --scratch`` gives its own)."""
        run_id = run.run_id if run.run_id is not None else uuid.uuid4().hex
        where = None if folder is None else os.fspath(folder)
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES, mode="w+b", dir=where) as spool:
            write = spool.write
            for line in lines:  # one by one: writelines would take them all in memory first
                write(line)
            spool.seek(0)
            return self._append(run, run_id, spool)

    def _append(self, run: RunRecord, run_id: str, spool: IO[bytes]) -> str:
        conn = self._conn
        self._begin_write()
        try:
            if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
                raise AuditStoreError(f"run {run_id} is already in the store")
            head = self._checked_head()
            header = run.header(run_id)
            header_seq = head[0] + 1
            head = self._insert(head, run_id, None, RUN_KIND, canonical_json(header))
            count = 0
            for line in spool:
                kind, lead_id, text = _unspooled(line)
                head = self._insert(head, run_id, lead_id, kind, text)
                count += 1
            conn.execute(
                "INSERT INTO runs (run_id, header_seq, contract_id, contract_version, "
                "contract_digest, as_of, library_version, inputs_digest, kind, entries) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    header_seq,
                    header["contract_id"],
                    header["contract_version"],
                    header["contract_digest"],
                    header["as_of"],
                    header["library_version"],
                    header["inputs_digest"],
                    header["kind"],
                    count,
                ),
            )
            conn.execute("UPDATE meta SET head_seq = ?, head_hash = ? WHERE id = 1", head)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return run_id

    def _checked_head(self) -> tuple[int, str]:
        """The last entry's seq and hash, refusing if they disagree with the head record, or
        if the key does not fit the chain."""
        row = self._conn.execute(
            "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        meta = self._conn.execute("SELECT head_seq, head_hash FROM meta WHERE id = 1").fetchone()
        try:
            last = (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))
            fits = meta is not None and (int(meta[0]), str(meta[1])) == last
        except (TypeError, ValueError):
            fits = False
        if not fits:
            raise AuditChainError(
                f"{self.path}: the chain's last entry does not match its head record; "
                "run `leadcontract audit verify` and investigate before appending"
            )
        if row is not None:
            keyed = self.keyed
            if keyed and self._key is None:
                raise AuditStoreError(
                    f"{self.path}: the store is keyed (HMAC); set {KEY_ENV} to append to it"
                )
            if not keyed and self._key is not None:
                raise AuditStoreError(
                    f"{self.path}: the store is not keyed, but {KEY_ENV} is set; unset it "
                    "or start a new store"
                )
            if keyed and not self._first_entry_fits():
                raise AuditStoreError(f"{self.path}: {KEY_ENV} is not the key of this store")
        return last

    def _first_entry_fits(self) -> bool:
        row = self._conn.execute(
            "SELECT seq, run_id, lead_id, kind, payload, prev_hash, hash FROM entries WHERE seq = 1"
        ).fetchone()
        seq, run_id, lead_id, kind, payload, prev_hash, stored = row
        digest = entry_hash(
            prev_hash, seq=seq, run_id=run_id, lead_id=lead_id, kind=kind, payload=payload,
            key=self._key,
        )  # fmt: skip
        return digest == str(stored)

    def _insert(
        self,
        head: tuple[int, str],
        run_id: str,
        lead_id: str | None,
        kind: str,
        text: str,
    ) -> tuple[int, str]:
        """Insert one entry (its payload as canonical JSON) after ``head``; return the new
        head."""
        seq, prev = head[0] + 1, head[1]
        if lead_id is not None:
            lead_id = _escape_surrogates(lead_id)
        digest = entry_hash(
            prev, seq=seq, run_id=run_id, lead_id=lead_id, kind=kind, payload=text, key=self._key
        )
        self._conn.execute(
            "INSERT INTO entries (seq, run_id, lead_id, kind, payload, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, run_id, lead_id, kind, text, prev, digest),
        )
        return seq, digest

    # --- reading --------------------------------------------------------------------------

    def verify(self, *, anchor: Anchor | None = None) -> VerifyResult:
        """Recompute the chain in seq order and name the first entry that does not fit.

        Checked, per entry: seq continuity (a gap is a deleted entry), the link to the
        previous entry's hash (reordering, deletion, a forged entry re-hashed without fixing
        its successor), the hash against the content (an edit), and that entries follow
        their run's header. Then the head record (deleted last entries) and the runs index.
        Everything is read in one transaction, so a concurrent append is not half-seen.

        With an ``anchor`` (a head written down earlier), the chain must still hold that head
        at its seq, and the entry after it, if any, must start a new run.
        """
        conn = self._conn
        try:
            if self._key is None and self.keyed:
                raise AuditStoreError(
                    f"{self.path}: the store is keyed (HMAC); set {KEY_ENV} to verify it"
                )
            conn.execute("BEGIN")
            try:
                result = self._verify()
                if result.ok and anchor is not None:
                    result = self._check_anchor(anchor, result)
                if result.ok:
                    return result
                (total,) = conn.execute("SELECT COUNT(*) FROM entries").fetchone()
                return dataclasses.replace(result, entries=int(total))
            finally:
                conn.execute("COMMIT")
        except (sqlite3.DatabaseError, UnicodeDecodeError) as error:  # damaged below the rows
            raise AuditStoreError(f"{self.path}: {_sqlite_reason(error)}") from None

    def anchor(self) -> Anchor:
        """The current head as an :class:`Anchor`, after verifying the whole chain (an anchor
        of a broken chain would vouch for the break); raises :class:`AuditChainError`."""
        result = self.verify()
        if not result.ok or result.head is None:
            raise AuditChainError(f"{self.path}: not anchored: {result.reason}")
        return Anchor(result.head, result.entries)

    def _check_anchor(self, anchor: Anchor, result: VerifyResult) -> VerifyResult:
        row = self._conn.execute(
            "SELECT seq FROM entries WHERE hash = ? ORDER BY seq LIMIT 1", (anchor.head,)
        ).fetchone()
        if row is None or (anchor.entries is not None and row[0] != anchor.entries):
            at = anchor.entries if anchor.entries is not None else result.entries
            where = f" as entry {anchor.entries}" if anchor.entries is not None else ""
            return _broken(
                min(at, result.entries + 1) or 1,
                f"the anchored head {anchor.head} is not in the chain{where}: the history up "
                "to it was re-chained, or entries up to it were deleted",
            )
        seq = int(row[0])
        after = self._conn.execute("SELECT kind FROM entries WHERE seq = ?", (seq + 1,)).fetchone()
        if after is not None and after[0] != RUN_KIND:
            return _broken(
                seq + 1,
                f"entry {seq + 1}: follows the anchored head but does not start a run "
                "(slipped into the anchored run?)",
            )
        return result

    def _verify(self) -> VerifyResult:
        rows = self._conn.execute(
            "SELECT seq, run_id, lead_id, kind, payload, prev_hash, hash FROM entries ORDER BY seq"
        )
        try:
            return self._walk(rows)
        finally:
            rows.close()

    def _walk(self, rows: sqlite3.Cursor) -> VerifyResult:
        expected = 1
        prev = GENESIS_HASH
        headers: dict[str, tuple[int, str]] = {}
        counts: dict[str, int] = {}
        current_run: str | None = None
        for row in rows:
            seq, run_id, lead_id, kind, payload, prev_hash, stored = row
            if not isinstance(seq, int) or seq < expected:
                return _broken(expected, f"entry {expected}: malformed row (edited?)")
            if seq != expected:
                return _broken(expected, f"entry {expected} missing (deleted?)")
            if prev_hash != prev:
                return _broken(seq, f"entry {seq}: previous-hash link broken (reordered?)")
            if not all(isinstance(v, str) for v in (run_id, kind, payload, stored)) or not (
                lead_id is None or isinstance(lead_id, str)
            ):
                return _broken(seq, f"entry {seq}: malformed row (edited?)")
            keyed = stored.startswith(HMAC_PREFIX)
            if self._key is not None and not keyed:
                return _broken(seq, f"entry {seq}: not keyed, but the store's key is given "
                               "(re-chained without the key?)")  # fmt: skip
            if keyed and self._key is None:
                return _broken(seq, f"entry {seq}: keyed (HMAC); set {KEY_ENV} to verify")
            recomputed = entry_hash(
                prev_hash, seq=seq, run_id=run_id, lead_id=lead_id, kind=kind, payload=payload,
                key=self._key,
            )  # fmt: skip
            if recomputed != stored:
                why = "edited, or not this key?" if keyed else "edited?"
                return _broken(seq, f"entry {seq}: hash does not match its content ({why})")
            if kind == RUN_KIND:
                current_run = run_id
                headers[run_id] = (seq, payload)
            elif run_id != current_run:
                return _broken(seq, f"entry {seq}: not preceded by the header of its run")
            else:
                counts[run_id] = counts.get(run_id, 0) + 1
            prev = stored
            expected += 1
        last = expected - 1
        meta = self._conn.execute("SELECT head_seq, head_hash FROM meta WHERE id = 1").fetchone()
        if meta is None or not isinstance(meta[0], int):
            return _broken(last + 1, "the head record is missing or malformed (edited?)")
        head_seq, head_hash = int(meta[0]), str(meta[1])
        if head_seq > last:
            return _broken(last + 1, f"entry {last + 1} missing (deleted?)")
        if head_seq < last:
            return _broken(head_seq + 1, f"entry {head_seq + 1}: beyond the head record (forged?)")
        if head_hash != prev:
            return _broken(last, f"entry {last}: hash differs from the head record (rewritten?)")
        problem = self._check_runs(headers, counts)
        if problem is not None:
            return _broken(problem[0], problem[1])
        return VerifyResult(True, last, None, None, prev)

    def _check_runs(
        self, headers: Mapping[str, tuple[int, str]], counts: Mapping[str, int]
    ) -> tuple[int, str] | None:
        """The first run whose index row disagrees with its chained header (or with the
        number of entries that follow it), if any."""
        indexed: dict[str, tuple[int, dict[str, Any]]] = {}
        for row in self._conn.execute(
            "SELECT run_id, header_seq, entries, contract_id, contract_version, contract_digest, "
            "as_of, library_version, inputs_digest, kind FROM runs"
        ):
            if not isinstance(row[1], int):
                return (0, f"run {row[0]}: malformed row in the runs index (edited?)")
            indexed[row[0]] = (
                row[1],
                {
                    "run_id": row[0],
                    "entries": row[2],
                    **dict(zip(_HEADER_COLUMNS, row[3:], strict=True)),
                },
            )
        problems: list[tuple[int, str]] = []
        for run_id, (seq, payload) in headers.items():
            index = indexed.pop(run_id, None)
            try:
                chained = {**json.loads(payload), "entries": counts.get(run_id, 0)}
            except (ValueError, TypeError):
                problems.append((seq, f"entry {seq}: the run header is not a JSON object"))
                continue
            if index is None or index[0] != seq or index[1] != chained:
                problems.append((seq, f"entry {seq}: run header differs from the runs index"))
        problems += [
            (seq, f"run {run_id}: in the runs index but has no chained header (forged?)")
            for run_id, (seq, _) in indexed.items()
        ]
        return min(problems) if problems else None

    def lead_history(self, lead_id: str) -> list[LeadEntry]:
        """Every entry about ``lead_id`` (verdicts and error rows), oldest first; entries
        stored under the id's pseudonym (a personal id, see :mod:`leadcontract.pii`) too.

        Does not verify the chain; run :meth:`verify` when the answer has to hold up.
        """
        try:
            rows = self._conn.execute(
                "SELECT e.run_id, e.seq, r.as_of, r.contract_version, e.payload, e.kind "
                "FROM entries e JOIN runs r ON r.run_id = e.run_id "
                "WHERE e.lead_id IN (?, ?) AND e.kind != ? ORDER BY e.seq",
                (lead_id, pseudonym(lead_id, self._key), RUN_KIND),
            ).fetchall()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
            raise AuditStoreError(f"{self.path}: {_sqlite_reason(error)}") from None
        return [_lead_entry(self.path, row) for row in rows]

    def run_entries(self, run_id: str) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
        """The entries of one run as ``(kind, lead_id, payload)``, in chain order (the run's
        header left out). Does not verify the chain; run :meth:`verify` first."""
        rows = self._conn.execute(
            "SELECT kind, lead_id, payload FROM entries WHERE run_id = ? AND kind != ? "
            "ORDER BY seq",
            (run_id, RUN_KIND),
        )
        for kind, lead_id, payload in rows:
            yield kind, lead_id, json.loads(payload)

    def runs(self) -> list[dict[str, Any]]:
        """The runs index, oldest first (header fields plus ``entries``, the entry count)."""
        cursor = self._conn.execute("SELECT * FROM runs ORDER BY header_seq")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]


_SPOOL_BYTES = 8 << 20
"""Entries of a run up to this size are built in memory; beyond it, in a temporary file."""


def _lenient_text(data: bytes) -> str:
    """Stored text as read: bytes that are not UTF-8 (only a tampered file has them) are kept
    as surrogate escapes, so that verifying reports the entry instead of failing."""
    return data.decode("utf-8", "surrogateescape")


def _sqlite_reason(error: sqlite3.Error | UnicodeDecodeError) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "damaged: SQLite reports text that is not UTF-8 in its structure"
    text = str(error)
    if "not a database" in text:
        return "not an audit store (not a SQLite database)"
    if "locked" in text or "busy" in text:
        return "locked by another process; try again later"
    return f"cannot be used as an audit store: {text}"


def _statements(script: str) -> list[str]:
    """The statements of a schema script (triggers hold ';' inside BEGIN ... END)."""
    statements: list[str] = []
    current = ""
    for part in script.split(";"):
        current += part + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \n;"):
                statements.append(current.strip())
            current = ""
    return statements


def _lead_entry(path: Path, row: tuple[Any, ...]) -> LeadEntry:
    run_id, seq, as_of, version, payload, kind = row
    try:
        entry = LeadEntry(
            run_id=str(run_id),
            seq=int(seq),
            as_of=datetime.fromisoformat(str(as_of)),
            contract_version=str(version),
            payload=json.loads(payload),
            kind=str(kind),
        )
    except (TypeError, ValueError):
        entry = None
    if entry is None or not isinstance(entry.payload, dict):
        raise AuditStoreError(
            f"{path}: entry {seq} is malformed (the store was edited?); run `leadcontract "
            "audit verify`"
        )
    return entry


def _broken(seq: int, reason: str) -> VerifyResult:
    """A failed verification (``entries`` is filled in by the caller)."""
    return VerifyResult(False, 0, seq, reason)


def entry_line(entry: Mapping[str, Any]) -> bytes:
    """One entry as the store spools it: its kind, lead id and canonical payload (checked)."""
    kind, lead_id, payload = _unpack(entry)
    # A payload of plain values (what evaluation_entry makes) is its own plain copy.
    text = sorted_plain_json(payload)
    if text is None:
        text = canonical_json(to_plain(payload))
    return _spooled(kind, lead_id, _escape_surrogates(text))


def _spooled(kind: str, lead_id: str | None, text: str) -> bytes:
    """The spool's line of an entry: a JSON array, in UTF-8 (orjson; ``json`` writes one with
    a lone surrogate in the kind or lead id, escaped). Its text holds no line break: JSON
    escapes them, and UTF-8 never has a newline byte inside a character."""
    try:
        return orjson.dumps([kind, lead_id, text]) + b"\n"
    except TypeError:
        return json.dumps([kind, lead_id, text]).encode("ascii") + b"\n"


def _unspooled(line: bytes) -> tuple[str, str | None, str]:
    """:func:`_spooled`'s fields back (``json`` reads what orjson refuses: an escaped lone
    surrogate)."""
    try:
        kind, lead_id, text = orjson.loads(line)
    except orjson.JSONDecodeError:
        kind, lead_id, text = json.loads(line)
    return kind, lead_id, text


def _unpack(entry: Mapping[str, Any]) -> tuple[str, str | None, Mapping[str, Any]]:
    kind, lead_id, payload = entry.get("kind"), entry.get("lead_id"), entry.get("payload")
    if not isinstance(kind, str) or not kind or kind == RUN_KIND:
        raise ValueError(f"an entry's kind must be a non-empty string other than 'run': {kind!r}")
    if lead_id is not None and not isinstance(lead_id, str):
        raise ValueError(f"an entry's lead_id must be a string or None: {lead_id!r}")
    if not isinstance(payload, Mapping):
        raise ValueError(f"an entry's payload must be a mapping, not {type(payload).__name__}")
    return kind, lead_id, payload


# --- the engine's runs ----------------------------------------------------------------------


def record_evaluation(
    store: AuditStore,
    compiled: CompiledContract,
    items: Iterable[Verdict | RecordError],
    *,
    as_of: datetime,
    inputs_digest: str,
    reveal_pii: bool = False,
    run_id: str | None = None,
) -> str:
    """Store an evaluation run: every verdict and every error row, one entry each, atomically.

    ``items`` is typically ``compiled.evaluate(...)`` itself, consumed here as it streams.
    Personal fields of the contract are masked unless ``reveal_pii``. Returns the run id.
    """
    ref = compiled.ref
    run = RunRecord(
        contract_id=ref.id,
        contract_version=ref.version,
        contract_digest=ref.digest,
        as_of=as_of,
        library_version=__version__,
        inputs_digest=inputs_digest,
        kind="evaluation",
        run_id=run_id,
    )
    key = store.key if isinstance(store, SqliteAuditStore) else key_from_environment()
    policy = None if reveal_pii else PiiPolicy.of(compiled.contract, key=key)
    return store.append_run(run, _evaluation_entries(items, policy))


def _evaluation_entries(
    items: Iterable[Verdict | RecordError], policy: PiiPolicy | None
) -> Iterator[dict[str, Any]]:
    for item in items:
        yield evaluation_entry(item, policy)


def evaluation_line(item: Verdict | RecordError, policy: PiiPolicy | None) -> bytes:
    """``entry_line(evaluation_entry(item, policy))``: the same bytes, made for every lead of
    an audited run, at a fraction of the cost for a verdict. Its plain copy is made by orjson
    (:func:`leadcontract._json_text.plain_copy`) and, when that holds only values orjson
    spells as ``json`` does (masking puts in only text and None), its canonical text too."""
    if not isinstance(item, Verdict):
        return entry_line(evaluation_entry(item, policy))
    payload, spelt = plain_copy(item)
    lead_id: str | None = item.lead_id
    if policy is not None and policy.fields:
        lead_id = policy.lead_id(item.lead_id)
        payload = policy.mask(payload, in_place=True)  # the copy is this function's own
    if spelt:  # no value orjson spells otherwise: sorted_plain_json's look is not needed
        try:
            sorted_text = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
            return _spooled("verdict", lead_id, sorted_text.decode("utf-8"))
        except TypeError:  # (nothing masking puts in is refused; still, the careful way)
            pass
    return _spooled("verdict", lead_id, _escape_surrogates(canonical_json(payload)))


def evaluation_entry(item: Verdict | RecordError, policy: PiiPolicy | None) -> dict[str, Any]:
    """The audit entry of one verdict or error row (personal fields masked by ``policy``)."""
    kind = "verdict" if isinstance(item, Verdict) else "error"
    payload = item.to_dict()
    if policy is None or not policy.fields:
        return {"kind": kind, "lead_id": item.lead_id, "payload": payload}
    lead_id = policy.lead_id(item.lead_id)
    return {"kind": kind, "lead_id": lead_id, "payload": policy.mask(payload)}
