"""Render a contract-test run as text, JSON or JUnit XML (for CI test tabs).

One list of results feeds every format. The JUnit document follows the Apache Ant schema that
CI servers read (``testsuites`` > ``testsuite`` per case file > ``testcase`` per case, a
``failure`` with the expected and observed values); the timestamp is given by the caller, so
the library never reads the clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from leadcontract.authoring.testing import CaseResult, Coverage, Mismatch, SuiteResult
from leadcontract.safe_text import printable

__all__ = ["render_json", "render_junit", "render_text"]


def _mismatch_lines(mismatch: Mismatch) -> list[str]:
    lines = [
        f"{mismatch.what}: expected {mismatch.expected!r}, observed {mismatch.observed!r}",
    ]
    lines += [f"  because {why}" for why in mismatch.why]
    return lines


def _failure_text(result: CaseResult) -> list[str]:
    if result.error is not None:
        return [result.error]
    return [line for m in result.mismatches for line in _mismatch_lines(m)]


def _coverage_text(coverage: Coverage) -> list[str]:
    covered = len(coverage.items) - len(coverage.missed)
    out = [f"coverage: {coverage.percent:g}% ({covered} of {len(coverage.items)} items)"]
    if coverage.missed:
        out.append("not exercised by any case:")
        out += [f"  {item}" for item in coverage.missed]
    return out


def render_text(run: SuiteResult) -> str:
    out: list[str] = [f"error: {e}" for e in run.file_errors]
    for result in run.results:
        where = f"{result.case.file}:{result.case.line}"
        status = "PASS" if result.passed else "FAIL"
        out.append(f"{status} {where} {result.case.case.name}")
        out += [f"    {line}" for line in _failure_text(result)]
    failed = len(run.failed)
    out.append(f"{len(run.results) - failed} passed, {failed} failed")
    if run.coverage is not None:
        out += _coverage_text(run.coverage)
    # Names, ids and values come from the case files: shown printable, a line break in a
    # case's name cannot print a line of its own ("PASS ..." under a failed case).
    return "\n".join(map(printable, out)) + "\n"


def _plain(value: Any) -> Any:
    return value if isinstance(value, bool | int | float | str | list | type(None)) else str(value)


def render_json(run: SuiteResult) -> str:
    cases = [
        {
            "file": r.case.file,
            "line": r.case.line,
            "name": r.case.case.name,
            "passed": r.passed,
            "error": r.error,
            "mismatches": [
                {
                    "what": m.what,
                    "expected": _plain(m.expected),
                    "observed": _plain(m.observed),
                    "why": list(m.why),
                }
                for m in r.mismatches
            ],
        }
        for r in run.results
    ]
    document: dict[str, Any] = {
        "passed": not run.failed and not run.file_errors,
        "counts": {"cases": len(run.results), "failed": len(run.failed)},
        "file_errors": list(run.file_errors),
        "cases": cases,
    }
    if run.coverage is not None:
        document["coverage"] = {
            "percent": run.coverage.percent,
            "items": list(run.coverage.items),
            "missed": run.coverage.missed,
        }
    return json.dumps(document, indent=2) + "\n"


def render_junit(run: SuiteResult, *, timestamp: datetime, hostname: str = "localhost") -> str:
    """JUnit XML: one ``testsuite`` per case file (in order), one ``testcase`` per case."""
    by_file: dict[str, list[CaseResult]] = {}
    for result in run.results:
        by_file.setdefault(result.case.file, []).append(result)
    root = ElementTree.Element("testsuites")
    stamp = timestamp.strftime("%Y-%m-%dT%H:%M:%S")
    for index, (file, results) in enumerate(by_file.items()):
        _suite(root, index, file, results, stamp=stamp, hostname=hostname)
    if run.file_errors:
        _error_suite(root, len(by_file), run.file_errors, stamp, hostname)
    _xml_safe(root)
    ElementTree.indent(root)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + ElementTree.tostring(root, encoding="unicode")
        + "\n"
    )


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold, even escaped (C0 controls, lone surrogates, U+FFFE/F)."""


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _xml_safe(root: ElementTree.Element) -> None:
    """Escape what XML cannot hold in every text and attribute. A case name or value with a
    control character (YAML's "\\e") made the report not well-formed, and the CI server
    could read none of it."""
    for element in root.iter():
        if element.text:
            element.text = _NOT_XML.sub(_shown, element.text)
        if element.tail:
            element.tail = _NOT_XML.sub(_shown, element.tail)
        for key, value in element.attrib.items():
            element.attrib[key] = _NOT_XML.sub(_shown, value)


def _suite_element(
    root: ElementTree.Element,
    index: int,
    name: str,
    counts: tuple[int, int, int],
    *,
    stamp: str,
    hostname: str,
) -> ElementTree.Element:
    tests, failures, errors = counts
    suite = ElementTree.SubElement(
        root,
        "testsuite",
        {
            "name": name,
            "package": "leadcontract",
            "id": str(index),
            "timestamp": stamp,
            "hostname": hostname,
            "tests": str(tests),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": "0",
            "time": "0",
        },
    )
    ElementTree.SubElement(suite, "properties")
    return suite


def _suite(
    root: ElementTree.Element,
    index: int,
    file: str,
    results: Sequence[CaseResult],
    *,
    stamp: str,
    hostname: str,
) -> None:
    failures = sum(1 for r in results if r.error is None and r.mismatches)
    errors = sum(1 for r in results if r.error is not None)
    suite = _suite_element(
        root, index, file, (len(results), failures, errors), stamp=stamp, hostname=hostname
    )
    for result in results:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            {"name": result.case.case.name, "classname": _classname(file), "time": "0"},
        )
        if result.error is not None:
            node = ElementTree.SubElement(
                case, "error", {"message": result.error, "type": "record-error"}
            )
            node.text = result.error
        elif result.mismatches:
            first = result.mismatches[0]
            message = f"{first.what}: expected {first.expected!r}, observed {first.observed!r}"
            node = ElementTree.SubElement(
                case, "failure", {"message": message, "type": "expectation"}
            )
            node.text = "\n".join(_failure_text(result))
    _streams(suite)


def _error_suite(
    root: ElementTree.Element, index: int, errors: Sequence[str], stamp: str, hostname: str
) -> None:
    suite = _suite_element(
        root, index, "case files", (len(errors), 0, len(errors)), stamp=stamp, hostname=hostname
    )
    for i, message in enumerate(errors):
        case = ElementTree.SubElement(
            suite, "testcase", {"name": f"case file {i + 1}", "classname": "files", "time": "0"}
        )
        node = ElementTree.SubElement(case, "error", {"message": message, "type": "case-file"})
        node.text = message
    _streams(suite)


def _streams(suite: ElementTree.Element) -> None:
    ElementTree.SubElement(suite, "system-out")
    ElementTree.SubElement(suite, "system-err")


def _classname(file: str) -> str:
    """A dotted class name from a case file path (CI tabs group by it)."""
    stem = file.rsplit(".", 1)[0]
    return ".".join(part for part in stem.replace("\\", "/").split("/") if part not in ("", "."))
