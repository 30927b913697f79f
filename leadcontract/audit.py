"""The audit trail: content digests of contracts (and, later, the append-only run store).

A contract's digest is the SHA-256 of its canonical JSON form (the validated model dumped
with sorted keys), so the same agreement written with other key order, comments, anchors or
file layout has the same digest, and any change of meaning changes it.
"""

from __future__ import annotations

import hashlib
import json

from leadcontract.model import Contract

__all__ = ["contract_digest"]


def contract_digest(contract: Contract) -> str:
    """``sha256:<hex>`` of the contract's canonical JSON."""
    canonical = json.dumps(
        contract.model_dump(mode="json", by_alias=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
