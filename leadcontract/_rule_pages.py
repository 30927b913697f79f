"""One docs page per diagnostic code, as ruff has: what it checks, why, an example, the fix.

The examples are not written by hand: each comes from the lint test cases
(``tests/lint_cases.yaml``, edits of the valid contract ``tests/fixtures/minimal.yaml``). The
generator applies a case's edits, runs :func:`leadcontract.lint` on the result and shows the
lines around the finding, the report lint printed, and the lines as the valid contract has
them. So an example cannot drift from what lint says: a test regenerates the pages and fails
when ``docs/rules/`` is stale (``python -m leadcontract._rule_pages`` rewrites it). Codes that
only file-level conditions produce (an empty file, an unreadable path...) carry a short
written example instead.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from leadcontract.checks import lint
from leadcontract.diagnostics import CODES, Code, Diagnostic
from leadcontract.inputs import sample_columns
from leadcontract.reporters import render_text

__all__ = ["FILE_LEVEL_EXAMPLES", "rule_pages"]

_ROOT = Path(__file__).resolve().parents[1]
CASES = _ROOT / "tests" / "lint_cases.yaml"
BASE = _ROOT / "tests" / "fixtures" / "minimal.yaml"
_CONTEXT = 3
"""Lines shown before and after the line of the finding."""

FILE_LEVEL_EXAMPLES: Mapping[str, tuple[str, str]] = {
    "LC001": (
        "`leadcontract lint contracts/nortwind` where the folder is `contracts/northwind`.",
        "Check the path; lint reports the operating system's reason (no such file, permission "
        "denied).",
    ),
    "LC002": (
        "A file `contracts/example/spiffs.yaml` with nothing in it (or only comments).",
        "Delete the file, or write the section it was meant to hold.",
    ),
    "LC003": (
        "A file saved as Latin-1 by an old editor: `Müller` is the byte `0xFC`, not UTF-8.",
        "Save the file as UTF-8 (every modern editor can; `iconv -f latin1 -t utf-8`).",
    ),
    "LC004": (
        "A generated contract file larger than the loader's limit.",
        "Split the contract into a folder of files, one section each.",
    ),
    "LC007": (
        "`a: &a [x, x, x, x]`, `b: &b [*a, *a, *a, *a]`, ... nine levels deep: a few lines "
        "that expand to billions of nodes.",
        "Write the values out, or use an anchor for one block that is reused a few times.",
    ),
    "LC010": (
        "`leadcontract lint contracts/new` on a folder that holds only `README.md`.",
        "Add the contract's `.yaml` files, or point lint at the right folder.",
    ),
    "LC105": (
        "`metadata:` written both in `contract.yaml` and in `campaigns.yaml` of one folder.",
        "Keep each single-valued section (`metadata`, `lead`) in one file; sections made of "
        "named items (campaigns, slas, spiffs...) may be spread over files.",
    ),
}
"""Examples of the codes that file-level conditions produce: (example, fix)."""


@dataclass(frozen=True)
class _Example:
    broken: str
    report: str
    fixed: str
    hint: str | None


def _apply(base: str, case: Mapping[str, Any]) -> str:
    text = base
    for edit in case.get("replace", []):
        text = text.replace(edit["old"], edit["new"], 1)
    return text + str(case.get("append", ""))


def _window(text: str, line: int) -> str:
    lines = text.splitlines()
    lo, hi = max(0, line - 1 - _CONTEXT), min(len(lines), line + _CONTEXT)
    return "\n".join(lines[lo:hi])


def _example(code: str, cases: Sequence[Mapping[str, Any]], base: str) -> _Example | None:
    candidates = [c for c in cases if any(e[0] == code for e in c["expect"])]
    # Prefer a case that shows this code alone, then the shortest edit.
    candidates.sort(key=lambda c: (len(c["expect"]), len(str(c.get("replace", "")))))
    for case in candidates:
        edited = _apply(base, case)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "contract.yaml"
            path.write_text(edited, encoding="utf-8")
            today = case.get("today")  # waivers expire: the case says which day it is
            if isinstance(today, str):
                today = date.fromisoformat(today)
            samples = []
            if case.get("lead_sample") is not None:  # a lead export's header line
                sample = Path(folder) / "leads.csv"
                sample.write_text(str(case["lead_sample"]) + "\n", encoding="utf-8")
                samples.append(("lead", "leads.csv", sample_columns(sample, kind="lead")))
            linted = lint(path, today=today, samples=samples)
            found = [d for d in linted.diagnostics if d.code == code]
            first: Diagnostic | None = found[0] if found else None
            if first is None or first.line is None:
                continue
            report = render_text([first]).replace(str(path), "contract.yaml")
        return _Example(
            broken=_window(edited, first.line),
            report=report.strip(),
            fixed=_diff(case),
            hint=first.hint,
        )
    return None


def _diff(case: Mapping[str, Any]) -> str:
    """The case's edits undone, as a diff: what to remove (-) and what to write instead (+)."""
    out: list[str] = []
    for edit in case.get("replace", []):
        out += [f"-{line}" for line in edit["new"].rstrip("\n").splitlines()]
        out += [f"+{line}" for line in edit["old"].rstrip("\n").splitlines()]
    if case.get("append"):
        out += [f"-{line}" for line in case["append"].rstrip("\n").splitlines()]
    return "\n".join(out)


def _page(code: Code, example: _Example | None) -> str:
    out = [
        f"# {code.code} `{code.name}`",
        "",
        "<!-- generated by `python -m leadcontract._rule_pages`; do not edit -->",
        "",
        f"**Severity:** {code.severity.value}"
        + (" (fails `lint`)" if code.severity.value == "error" else " (fails `lint --strict`)"),
        "",
        "## What it checks",
        "",
        code.summary,
        "",
        "## Why",
        "",
        code.why,
        "",
        "## Example",
        "",
    ]
    if example is not None:
        out += [
            "```yaml",
            example.broken,
            "```",
            "",
            "`leadcontract lint` reports:",
            "",
            "```text",
            example.report,
            "```",
            "",
            "## Fix",
            "",
        ]
        if example.hint:
            out += [example.hint[0].upper() + example.hint[1:], ""]
        out += [
            "The change that makes the contract valid again:",
            "",
            "```diff",
            example.fixed,
            "```",
            "",
        ]
    else:
        written, fix = FILE_LEVEL_EXAMPLES[code.code]
        out += [written, "", "## Fix", "", fix, ""]
    out += ["[All diagnostic codes](index.md)", ""]
    return "\n".join(out)


def _index() -> str:
    out = [
        "# Diagnostic codes, one page each",
        "",
        "<!-- generated by `python -m leadcontract._rule_pages`; do not edit -->",
        "",
        "Each page says what the code checks, why it matters, an example that lint reports "
        "(produced by running lint) and the fix. The same codes on one page: "
        "[diagnostics](../diagnostics.md).",
        "",
        "| Code | Name | Severity | What it checks |",
        "| --- | --- | --- | --- |",
    ]
    out += [
        f"| [{c.code}]({c.code}.md) | `{c.name}` | {c.severity.value} | {c.summary} |"
        for c in CODES.values()
    ]
    return "\n".join(out) + "\n"


def rule_pages(cases_file: Path = CASES, base_file: Path = BASE) -> dict[str, str]:
    """Page name (``LC201.md``, ``index.md``) → Markdown, for every registered code."""
    cases = yaml.safe_load(cases_file.read_text(encoding="utf-8"))
    base = base_file.read_text(encoding="utf-8")
    pages = {"index.md": _index()}
    for code in CODES.values():
        example = None if code.code in FILE_LEVEL_EXAMPLES else _example(code.code, cases, base)
        if example is None and code.code not in FILE_LEVEL_EXAMPLES:
            raise LookupError(f"{code.code} has neither a lint case nor a file-level example")
        pages[f"{code.code}.md"] = _page(code, example)
    return pages


def main() -> int:
    target = _ROOT / "docs" / "rules"
    target.mkdir(parents=True, exist_ok=True)
    pages = rule_pages()
    for stale in target.glob("*.md"):
        if stale.name not in pages:
            stale.unlink()
    for name, text in pages.items():
        (target / name).write_text(text, encoding="utf-8")
    sys.stderr.write(f"wrote {len(pages)} pages to {target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
