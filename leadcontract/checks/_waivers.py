"""Waivers: findings both sides accept on purpose, recorded in the contract itself.

A waiver names a code and a place (a JSON pointer); findings of that code at that node or
inside it are set aside (kept in ``LintResult.waived``, so the record shows them), until the
waiver's ``until`` date passes. Then the finding counts again and the expired waiver is a
finding of its own (LC901), as is a waiver that matches nothing (LC902). Expiry needs a
date: ``lint`` takes ``today`` from its caller and never reads the clock itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from leadcontract.diagnostics import CODES, Diagnostic, Severity, make
from leadcontract.loader import ContractSource
from leadcontract.model import Waiver

__all__ = ["apply_waivers"]


def _covers(waiver: Waiver, diagnostic: Diagnostic) -> bool:
    where = waiver.where
    if diagnostic.severity is not Severity.WARNING:
        return False  # an error means the contract cannot be used as written: never waived
    return diagnostic.code == waiver.code and (
        not where or diagnostic.pointer == where or diagnostic.pointer.startswith(where + "/")
    )


def apply_waivers(
    diagnostics: Sequence[Diagnostic],
    waivers: Sequence[Waiver],
    source: ContractSource,
    *,
    today: date | None,
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(the diagnostics to report, the diagnostics waived)."""
    kept: list[Diagnostic] = []
    waived: list[Diagnostic] = []
    used: set[int] = set()
    expired = {
        i
        for i, w in enumerate(waivers)
        if today is not None and w.until is not None and w.until < today
    }
    for diagnostic in diagnostics:
        match = next((i for i, w in enumerate(waivers) if _covers(w, diagnostic)), None)
        if match is None:
            kept.append(diagnostic)
            continue
        used.add(match)
        if match in expired:
            kept.append(diagnostic)
        else:
            waived.append(diagnostic)
    for i, waiver in enumerate(waivers):
        pointer = f"/waivers/{i}"
        if i in expired:
            kept.append(
                make(
                    "LC901",
                    f"waiver of {waiver.code} at `{waiver.where or '/'}` expired on "
                    f"{waiver.until} ({waiver.who}: {waiver.reason})",
                    source.locate(f"{pointer}/until"),
                    pointer=pointer,
                    hint="renew `until` if both sides still agree, or fix the finding",
                )
            )
        elif i not in used:
            registered = CODES.get(waiver.code)
            is_error = registered is not None and registered.severity is Severity.ERROR
            kept.append(
                make(
                    "LC902",
                    f"waiver of {waiver.code} at `{waiver.where or '/'}` matches no finding"
                    + (
                        f"; {waiver.code} is an error, and errors cannot be waived"
                        if is_error
                        else ""
                    ),
                    source.locate(pointer),
                    pointer=pointer,
                    hint="fix the error instead"
                    if is_error
                    else "delete it, or correct its `code` or `where`",
                )
            )
    return kept, waived
