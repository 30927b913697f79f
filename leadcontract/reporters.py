"""Reporters: one sorted list of diagnostics, rendered in the format a reader needs.

``leadcontract lint`` speaks four formats:

* ``text`` for people at a terminal,
* ``json`` for scripts,
* ``github`` for GitHub Actions workflow commands (annotations on the pull request),
* ``sarif`` (2.1.0) for code-scanning dashboards.

Every renderer sorts its input with :func:`~leadcontract.diagnostics.sort_diagnostics` and returns
a string; nothing here prints. The same input always gives the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from leadcontract.diagnostics import CODES, Diagnostic, Severity, sort_diagnostics
from leadcontract.safe_text import printable

__all__ = [
    "DOCS_URI",
    "INFORMATION_URI",
    "SARIF_SCHEMA_URI",
    "Format",
    "artifact_uri",
    "render",
    "render_github",
    "render_json",
    "render_sarif",
    "render_text",
]

INFORMATION_URI = "https://github.com/leadcontract/leadcontract"
"""Home page of the tool, as SARIF's ``tool.driver.informationUri``."""

DOCS_URI = f"{INFORMATION_URI}/blob/main/docs/diagnostics.md"
"""The diagnostics reference page; each code has the anchor ``#<code lowercased>``."""

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"


HINT_SEPARATOR = " — hint: "
"""Joins message and hint in formats that have a single message field (GitHub, SARIF)."""


class Format(StrEnum):
    """The output formats of ``leadcontract lint --format``."""

    TEXT = "text"
    JSON = "json"
    GITHUB = "github"
    SARIF = "sarif"


def render(
    diagnostics: Iterable[Diagnostic],
    fmt: Format | str,
    *,
    tool_version: str,
    files: Sequence[str] = (),
) -> str:
    """Render ``diagnostics`` in ``fmt``.

    ``files`` are the contract files that were checked (relative POSIX paths); the text summary
    counts them and SARIF lists them as artifacts. ``tool_version`` goes into JSON and SARIF.
    """
    fmt = Format(fmt)
    ordered = sort_diagnostics(diagnostics)
    if fmt is Format.TEXT:
        return render_text(ordered, files=files)
    if fmt is Format.JSON:
        return render_json(ordered, tool_version=tool_version)
    if fmt is Format.GITHUB:
        return render_github(ordered)
    return render_sarif(ordered, tool_version=tool_version, files=files)


# --- text -----------------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _count(ordered: Sequence[Diagnostic]) -> tuple[int, int]:
    errors = sum(1 for d in ordered if d.severity is Severity.ERROR)
    return errors, len(ordered) - errors


def render_text(diagnostics: Iterable[Diagnostic], *, files: Sequence[str] = ()) -> str:
    """Human-readable report, one line per diagnostic and a summary line.

    ``file:line:col: CODE severity: message``, then ``  hint: ...`` when there is a hint. The
    summary counts the files in ``files`` together with any other file a diagnostic names.
    """
    ordered = sort_diagnostics(diagnostics)
    lines: list[str] = []
    for d in ordered:
        where = printable(d.where)
        lines.append(f"{where}: {d.code} {d.severity.value}: {printable(d.message)}")
        if d.hint:
            lines.append(f"  hint: {printable(d.hint)}")
    checked = set(files) | {d.file for d in ordered if d.file is not None}
    in_files = f"in {_plural(len(checked), 'file')}"
    errors, warnings = _count(ordered)
    if ordered:
        lines.append(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} {in_files}")
    else:
        lines.append(f"no problems {in_files}")
    return "\n".join(lines) + "\n"


# --- json -----------------------------------------------------------------------------------


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, indent=2) + "\n"


def render_json(diagnostics: Iterable[Diagnostic], *, tool_version: str) -> str:
    """Machine-readable report: version, the diagnostics as dictionaries and a summary."""
    ordered = sort_diagnostics(diagnostics)
    errors, warnings = _count(ordered)
    return _dump(
        {
            "version": tool_version,
            "diagnostics": [d.to_dict() for d in ordered],
            "summary": {"errors": errors, "warnings": warnings},
        }
    )


# --- github ---------------------------------------------------------------------------------


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _with_hint(d: Diagnostic) -> str:
    return f"{d.message}{HINT_SEPARATOR}{d.hint}" if d.hint else d.message


def render_github(diagnostics: Iterable[Diagnostic]) -> str:
    """GitHub Actions workflow commands (``::error ...::message``), one per line."""
    lines: list[str] = []
    for d in sort_diagnostics(diagnostics):
        properties: list[tuple[str, str]] = []
        if d.file is not None:
            properties.append(("file", d.file))
            if d.line is not None:
                properties.append(("line", str(d.line)))
                if d.column is not None:
                    properties.append(("col", str(d.column)))
        properties.append(("title", f"{d.code} {d.name}"))
        props = ",".join(f"{key}={_escape_property(value)}" for key, value in properties)
        lines.append(f"::{d.severity.value} {props}::{_escape_data(_with_hint(d))}")
    return "".join(f"{line}\n" for line in lines)


# --- sarif ----------------------------------------------------------------------------------

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:/")


def artifact_uri(path: str) -> str:
    """A SARIF ``artifactLocation.uri`` for ``path``.

    Relative paths stay relative references, percent-encoded per RFC 3986 (spaces, ``#``, ``%``,
    non-ASCII as UTF-8, ...; ``/`` is kept). Backslashes become ``/``. Absolute paths, which
    the CLI should not produce, become ``file:`` URIs rather than host-relative references.
    """
    posix = path.replace("\\", "/")
    if _WINDOWS_DRIVE.match(posix):
        return "file:///" + posix[:2] + quote(posix[2:], safe="/")
    encoded = quote(posix, safe="/")
    if posix.startswith("/"):
        return "file://" + encoded
    return encoded


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.ERROR else "warning"


def _sarif_rules() -> tuple[list[dict[str, Any]], dict[str, int]]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for position, code in enumerate(CODES.values()):
        index[code.code] = position
        rules.append(
            {
                "id": code.code,
                "name": code.name,
                "shortDescription": {"text": code.summary},
                "fullDescription": {"text": code.why},
                "defaultConfiguration": {"level": _level(code.severity)},
                "helpUri": f"{DOCS_URI}#{code.code.lower()}",
            }
        )
    return rules, index


def _sarif_location(d: Diagnostic, artifact_index: dict[str, int]) -> dict[str, Any] | None:
    location: dict[str, Any] = {}
    if d.file is not None:
        artifact: dict[str, Any] = {"uri": artifact_uri(d.file)}
        if d.file in artifact_index:
            artifact["index"] = artifact_index[d.file]
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if d.line is not None:
            region: dict[str, Any] = {"startLine": d.line}
            if d.column is not None:
                region["startColumn"] = d.column
            physical["region"] = region
        location["physicalLocation"] = physical
    if d.pointer:
        location["logicalLocations"] = [{"fullyQualifiedName": d.pointer}]
    return location or None


def render_sarif(
    diagnostics: Iterable[Diagnostic], *, tool_version: str, files: Sequence[str] = ()
) -> str:
    """A SARIF 2.1.0 log with one run; every registered code is a rule.

    ``files`` become the run's artifacts (duplicates dropped, order kept), and results that point
    into one of them carry its ``index``.
    """
    rules, rule_index = _sarif_rules()
    listed = list(dict.fromkeys(files))
    artifact_index = {path: position for position, path in enumerate(listed)}
    results: list[dict[str, Any]] = []
    for d in sort_diagnostics(diagnostics):
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": rule_index[d.code],
            "level": _level(d.severity),
            "message": {"text": _with_hint(d)},
        }
        location = _sarif_location(d, artifact_index)
        if location is not None:
            result["locations"] = [location]
        results.append(result)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "leadcontract",
                "version": tool_version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if listed:
        run["artifacts"] = [{"location": {"uri": artifact_uri(path)}} for path in listed]
    return _dump({"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]})
