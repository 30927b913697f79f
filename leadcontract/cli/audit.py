"""The ``audit`` commands: check an audit store's chain and show one lead's stored history.

Each function returns ``(exit code, text)`` and prints nothing, so the caller decides where
the text goes. Meant to be wired in ``cli.py`` as:

* ``leadcontract audit verify DB`` → ``run_audit_verify(DB)``; print the text (to stdout
  when the code is 0, to stderr otherwise) and exit with the code.
* ``leadcontract audit show DB --lead ID [--format text|json]`` →
  ``run_audit_show(DB, ID, fmt)``; same.
* ``leadcontract evaluate ... --audit DB [--reveal-pii]`` → open
  ``SqliteAuditStore(DB)`` and pass the evaluation to
  :func:`leadcontract.store.record_evaluation` (with ``inputs_digest([leads, events])``);
  it consumes the verdicts as they stream, so tee them if they are also written out.

Exit codes follow the CLI's convention: 0 all is well, 1 problems found (a broken chain, a
lead with no entries), 2 the store cannot be read at all (missing, not SQLite, not an audit
store) or a usage error.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from leadcontract.cli._authoring import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from leadcontract.cli._files import ClobberError, refuse_clobbering, write_atomically
from leadcontract.safe_text import printable
from leadcontract.store import Anchor, AuditStoreError, LeadEntry, SqliteAuditStore
from leadcontract.verdict import format_instant

__all__ = ["run_audit_anchor", "run_audit_show", "run_audit_verify"]


FORMATS = ("text", "json")


def run_audit_verify(db: Path, *, head: str | None = None) -> tuple[int, str]:
    """Walk the chain: ``chain ok: N entries`` (0), ``BROKEN at entry K: reason`` (1), or 2.

    When the chain is ok a second line gives its head hash, the value to write down
    elsewhere (see :func:`run_audit_anchor`) so that a later rewrite of the whole store can be
    proven too. ``head`` is such a value: a hash, or the path of an anchor file.
    """
    try:
        anchor = _anchor(head) if head is not None else None
    except (OSError, ValueError) as error:
        return EXIT_USAGE, f"--head {head}: {error}"
    try:
        with SqliteAuditStore(db, create=False) as store:
            result = store.verify(anchor=anchor)
    except (AuditStoreError, sqlite3.Error) as error:
        return EXIT_USAGE, f"cannot read audit store {db}: {error}"
    if result.ok:
        anchored = f" (holds the anchored head at entry {_seq(anchor, result)})" if anchor else ""
        return EXIT_OK, f"chain ok: {result.entries} entries{anchored}\nhead: {result.head}"
    return EXIT_PROBLEMS, f"BROKEN at entry {result.first_broken}: {result.reason}"


def _anchor(head: str) -> Anchor:
    if head.startswith(("sha256:", "hmac-sha256:")):
        return Anchor(head)
    return Anchor.from_json(Path(head).read_text(encoding="utf-8"))


def _seq(anchor: Anchor | None, result: Any) -> str:
    return str(anchor.entries) if anchor and anchor.entries is not None else "its place"


def run_audit_anchor(db: Path, out: Path | None) -> tuple[int, str]:
    """Verify the chain and write its head as an anchor file (JSON) to ``out``, or return it.

    Keep the file where the store's writers cannot rewrite it (commit it to git, attach it to
    a ticket); ``audit verify DB --head FILE`` later proves the history up to it unchanged.
    """
    try:
        with SqliteAuditStore(db, create=False) as store:
            anchor = store.anchor()
    except (AuditStoreError, sqlite3.Error) as error:
        return EXIT_USAGE, f"cannot anchor audit store {db}: {error}"
    text = anchor.to_json(db.name)
    if out is None:
        return EXIT_OK, text
    # The store's own files: '--out audit.db' replaced the store (the evidence the anchor is
    # for) with its anchor. Its journal files likewise.
    journals = [db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal")]
    try:
        refuse_clobbering({"--out": out}, [db, *journals])
    except ClobberError as error:
        return EXIT_USAGE, str(error)
    try:
        write_atomically(out, text)
    except OSError as error:
        return EXIT_USAGE, f"cannot write {out}: {error.strerror}"
    return EXIT_OK, f"anchored {db} at entry {anchor.entries}: {anchor.head}\nwritten to {out}"


def run_audit_show(db: Path, lead_id: str, fmt: str) -> tuple[int, str]:
    """One lead's stored entries across runs, oldest first, as text or JSON.

    Does not verify the chain (that reads the whole store); run ``audit verify`` when the
    answer has to hold up.
    """
    if fmt not in FORMATS:
        return EXIT_USAGE, f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}"
    try:
        with SqliteAuditStore(db, create=False) as store:
            history = store.lead_history(lead_id)
    except (AuditStoreError, sqlite3.Error) as error:
        return EXIT_USAGE, f"cannot read audit store {db}: {error}"
    if fmt == "json":
        text = json.dumps(
            {"lead_id": lead_id, "entries": [_entry_json(e) for e in history]},
            indent=2,
            ensure_ascii=False,
        )
        return (EXIT_OK if history else EXIT_PROBLEMS), text
    if not history:
        return EXIT_PROBLEMS, f"no entries for lead {lead_id} in {db}"
    lines = [f"lead {lead_id}: {len(history)} entries"]
    for entry in history:
        lines += _entry_text(entry)
    return EXIT_OK, "\n".join(map(printable, lines))


def _entry_json(entry: LeadEntry) -> dict[str, Any]:
    return {
        "run_id": entry.run_id,
        "seq": entry.seq,
        "as_of": format_instant(entry.as_of),
        "contract_version": entry.contract_version,
        "kind": entry.kind,
        "payload": entry.payload,
    }


def _entry_text(entry: LeadEntry) -> list[str]:
    head = (
        f"run {entry.run_id} (entry {entry.seq}) as of {format_instant(entry.as_of)}, "
        f"contract {entry.contract_version}"
    )
    payload = entry.payload
    if entry.kind == "error":
        return [head, f"  error row: {payload.get('code')}: {payload.get('message')}"]
    if entry.kind != "verdict":
        return [head, f"  {entry.kind}: {json.dumps(payload, sort_keys=True)}"]
    lines = [head]
    stage = payload.get("stage") or {}
    since = stage.get("since")
    lines.append(f"  stage: {stage.get('id')}" + (f" since {since}" if since else ""))
    slas = payload.get("slas") or []
    if slas:
        lines.append("  SLAs: " + "; ".join(_sla_text(sla) for sla in slas))
    spiffs = payload.get("spiffs") or []
    for spiff in spiffs:
        lines += _spiff_text(spiff)
    return lines


def _spiff_text(spiff: Any) -> list[str]:
    """A spiff decision (eligible or why not, and its money lines); other shapes as JSON."""
    if not (isinstance(spiff, dict) and "spiff" in spiff and "eligible" in spiff):
        return [f"  spiff: {json.dumps(spiff, sort_keys=True)}"]
    verdict = "eligible" if spiff["eligible"] else "not eligible"
    why = spiff.get("why")
    lines = [f"  spiff {spiff['spiff']}: {verdict}" + (f" ({why})" if why else "")]
    for line in spiff.get("lines") or []:
        text = f"    {line.get('kind')} {line.get('amount')} {line.get('currency')}"
        if line.get("rep"):
            text += f" to {line['rep']}"
        text += "" if line.get("payable", True) else " (shadow: not payable)"
        lines.append(text)
    return lines


def _sla_text(sla: dict[str, Any]) -> str:
    text = f"{sla.get('sla')} {sla.get('status')}"
    if sla.get("party"):
        text += f" (by {sla['party']})"
    return text
