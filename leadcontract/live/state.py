"""The monitor's durable state: records, events, schedule and notification outbox.

Everything the monitor must not forget lives in a :class:`StateStore`: every record, event, due
instant, live state and notification, so a process killed at any point restarts where it stood
(what the monitor holds in memory is a copy it can read back from here). :class:`SqliteStore` is
the embedded default; the protocol is small so that a server database can stand behind it later.

Three promises make a restart safe:

* **idempotent events**: each event has an id (its own ``event_id``, or a digest of its
  content); posting it again changes nothing;
* **one transaction per step**: an event's row and its lead's schedule, or a lead's new
  snapshot and the notifications it caused, are written together or not at all;
* **an outbox**: notifications are rows with a stable id, written in the same transaction as
  the state change that caused them, and delivered afterwards; a crash between delivery and
  marking leaves the row pending, so it is delivered again with the same id (at least once,
  never lost; receivers drop repeats by the id).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

__all__ = ["Outgoing", "SqliteStore", "StateStore"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A notification waiting in the outbox."""

    id: str
    instant: datetime
    payload: Mapping[str, Any]
    attempts: int = 0


class StateStore(Protocol):
    """Where the monitor keeps everything it must not forget."""

    def transaction(self) -> Any:
        """A context manager: everything written inside commits together."""

    def put_lead(self, lead_id: str, record: Mapping[str, Any]) -> None: ...

    def lead(self, lead_id: str) -> dict[str, Any] | None: ...

    def add_event(self, event_id: str, lead_id: str, event: Mapping[str, Any]) -> bool:
        """Store an event; False when its id was stored before (nothing changes then)."""

    def events(self, lead_id: str) -> list[dict[str, Any]]:
        """A lead's events in arrival order."""

    def snapshot(self, lead_id: str) -> dict[str, Any] | None: ...

    def save_snapshot(self, lead_id: str, snapshot: Mapping[str, Any]) -> None: ...

    def schedule(self, lead_id: str, instant: datetime | None) -> None:
        """When the lead must be looked at next (None: only when an event arrives)."""

    def schedule_earlier(self, lead_id: str, instant: datetime) -> None:
        """Look at the lead at ``instant`` or earlier (keeps an earlier instant)."""

    def due(self, now: datetime) -> list[tuple[datetime, str]]:
        """Leads whose instant has come, in time order."""

    def next_due(self) -> datetime | None: ...

    def enqueue(self, notifications: Sequence[Outgoing]) -> int:
        """Add notifications (those with an id seen before are ignored); returns how many."""

    def pending(self, limit: int = 100, max_attempts: int | None = None) -> list[Outgoing]:
        """Notifications not delivered yet (and tried fewer than ``max_attempts`` times)."""

    def mark_sent(self, notification_id: str, at: datetime) -> None: ...

    def mark_failed(self, notification_id: str, error: str) -> None: ...

    def clock(self) -> datetime | None:
        """The instant the monitor last advanced to."""

    def set_clock(self, now: datetime) -> None: ...

    def contract(self) -> str | None:
        """The digest of the contract the schedule was made under (None: not recorded)."""

    def set_contract(self, digest: str) -> None: ...

    def counts(self) -> dict[str, int]: ...

    def lead_ids(self) -> list[str]: ...

    def close(self) -> None: ...


_SCHEMA = """
create table if not exists leads (
    lead_id text primary key,
    record text,
    snapshot text
);
create table if not exists events (
    seq integer primary key autoincrement,
    event_id text not null unique,
    lead_id text not null,
    body text not null
);
create index if not exists events_by_lead on events (lead_id, seq);
create table if not exists schedule (
    lead_id text primary key,
    due_us integer not null
);
create index if not exists schedule_by_due on schedule (due_us);
create table if not exists outbox (
    seq integer primary key autoincrement,
    id text not null unique,
    instant text not null,
    payload text not null,
    state text not null default 'pending',
    attempts integer not null default 0,
    sent_at text,
    error text
);
create index if not exists outbox_pending on outbox (state, seq);
create table if not exists meta (key text primary key, value text not null);
"""


def _us(instant: datetime) -> int:
    delta = instant.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_us(value: int) -> datetime:
    return datetime.fromtimestamp(value // 1_000_000, UTC).replace(microsecond=value % 1_000_000)


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


class SqliteStore:
    """The embedded store: one SQLite file (WAL, synchronous=NORMAL), or ``:memory:``.

    Open one store per process and monitor; SQLite's own locking keeps a second process from
    corrupting it, not from interleaving.
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=normal")
        self._db.executescript(_SCHEMA)
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("begin immediate")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._db.execute("rollback")
            raise
        self._depth = 0
        self._db.execute("commit")

    # --- records and events -----------------------------------------------------------------

    def put_lead(self, lead_id: str, record: Mapping[str, Any]) -> None:
        self._db.execute(
            "insert into leads (lead_id, record) values (?, ?) "
            "on conflict (lead_id) do update set record = excluded.record",
            (lead_id, _dump(dict(record))),
        )

    def lead(self, lead_id: str) -> dict[str, Any] | None:
        row = self._db.execute("select record from leads where lead_id = ?", (lead_id,)).fetchone()
        if row is None or row[0] is None:
            return None
        found: dict[str, Any] = json.loads(row[0])
        return found

    def add_event(self, event_id: str, lead_id: str, event: Mapping[str, Any]) -> bool:
        cursor = self._db.execute(
            "insert or ignore into events (event_id, lead_id, body) values (?, ?, ?)",
            (event_id, lead_id, _dump(dict(event))),
        )
        return cursor.rowcount == 1

    def events(self, lead_id: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "select body from events where lead_id = ? order by seq", (lead_id,)
        ).fetchall()
        return [json.loads(body) for (body,) in rows]

    def snapshot(self, lead_id: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "select snapshot from leads where lead_id = ?", (lead_id,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        found: dict[str, Any] = json.loads(row[0])
        return found

    def save_snapshot(self, lead_id: str, snapshot: Mapping[str, Any]) -> None:
        self._db.execute(
            "insert into leads (lead_id, snapshot) values (?, ?) "
            "on conflict (lead_id) do update set snapshot = excluded.snapshot",
            (lead_id, _dump(dict(snapshot))),
        )

    def lead_ids(self) -> list[str]:
        rows = self._db.execute(
            "select lead_id from leads where record is not null order by lead_id"
        ).fetchall()
        return [lead_id for (lead_id,) in rows]

    # --- the schedule -----------------------------------------------------------------------

    def schedule(self, lead_id: str, instant: datetime | None) -> None:
        if instant is None:
            self._db.execute("delete from schedule where lead_id = ?", (lead_id,))
            return
        self._db.execute(
            "insert into schedule (lead_id, due_us) values (?, ?) "
            "on conflict (lead_id) do update set due_us = excluded.due_us",
            (lead_id, _us(instant)),
        )

    def schedule_earlier(self, lead_id: str, instant: datetime) -> None:
        self._db.execute(
            "insert into schedule (lead_id, due_us) values (?, ?) "
            "on conflict (lead_id) do update set due_us = min(due_us, excluded.due_us)",
            (lead_id, _us(instant)),
        )

    def due(self, now: datetime) -> list[tuple[datetime, str]]:
        rows = self._db.execute(
            "select due_us, lead_id from schedule where due_us <= ? order by due_us, lead_id",
            (_us(now),),
        ).fetchall()
        return [(_from_us(due), lead_id) for due, lead_id in rows]

    def next_due(self) -> datetime | None:
        row = self._db.execute("select min(due_us) from schedule").fetchone()
        return _from_us(row[0]) if row and row[0] is not None else None

    # --- the outbox -------------------------------------------------------------------------

    def enqueue(self, notifications: Sequence[Outgoing]) -> int:
        added = 0
        for item in notifications:
            cursor = self._db.execute(
                "insert or ignore into outbox (id, instant, payload) values (?, ?, ?)",
                (item.id, item.instant.astimezone(UTC).isoformat(), _dump(dict(item.payload))),
            )
            added += cursor.rowcount
        return added

    def pending(self, limit: int = 100, max_attempts: int | None = None) -> list[Outgoing]:
        rows = self._db.execute(
            "select id, instant, payload, attempts from outbox where state = 'pending' "
            "and attempts < ? order by seq limit ?",
            (max_attempts if max_attempts is not None else 2**62, limit),
        ).fetchall()
        return [
            Outgoing(id, datetime.fromisoformat(instant), json.loads(payload), attempts)
            for id, instant, payload, attempts in rows
        ]

    def mark_sent(self, notification_id: str, at: datetime) -> None:
        self._db.execute(
            "update outbox set state = 'sent', sent_at = ?, attempts = attempts + 1 where id = ?",
            (at.astimezone(UTC).isoformat(), notification_id),
        )

    def mark_failed(self, notification_id: str, error: str) -> None:
        self._db.execute(
            "update outbox set attempts = attempts + 1, error = ? where id = ?",
            (error, notification_id),
        )

    # --- the clock and figures --------------------------------------------------------------

    def clock(self) -> datetime | None:
        row = self._db.execute("select value from meta where key = 'clock'").fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def set_clock(self, now: datetime) -> None:
        self._db.execute(
            "insert into meta (key, value) values ('clock', ?) "
            "on conflict (key) do update set value = excluded.value",
            (now.astimezone(UTC).isoformat(),),
        )

    def contract(self) -> str | None:
        row = self._db.execute("select value from meta where key = 'contract'").fetchone()
        return str(row[0]) if row else None

    def set_contract(self, digest: str) -> None:
        self._db.execute(
            "insert into meta (key, value) values ('contract', ?) "
            "on conflict (key) do update set value = excluded.value",
            (digest,),
        )

    def counts(self) -> dict[str, int]:
        one = self._db.execute
        return {
            "leads": one("select count(*) from leads where record is not null").fetchone()[0],
            "events": one("select count(*) from events").fetchone()[0],
            "scheduled": one("select count(*) from schedule").fetchone()[0],
            "outbox_pending": one("select count(*) from outbox where state = 'pending'").fetchone()[
                0
            ],
            "outbox_sent": one("select count(*) from outbox where state = 'sent'").fetchone()[0],
        }

    def close(self) -> None:
        self._db.close()
