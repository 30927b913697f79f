"""`matches` with RE2 (what the engine uses) against Python's `re`, side by side in one run.

    .venv/bin/python bench/regex.py

Two figures: the example contract's own patterns on the example's titles and e-mails (the
everyday cost of linear-time matching), and the backtracking pattern `(a+)+$` on n `a`s and a
`!` (the hostile case: Python's `re` doubles its time per character, RE2 stays linear).
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable
from pathlib import Path

from leadcontract.rules.conditions._regex import Pattern, compile_pattern

EXAMPLE = Path(__file__).resolve().parent.parent / "contracts" / "example"
PATTERNS = {
    "Title": r"(?i)\b(vp|vice president|director|head|chief|c[eitfo]o)\b",
    "Email": r"(?i)@(gmail|yahoo|hotmail|outlook)\.",
}


def _seconds(run: Callable[[], object], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _re2(pattern: str) -> Callable[[str], object]:
    compiled = compile_pattern(pattern)
    assert isinstance(compiled, Pattern), compiled
    return compiled.found


def everyday() -> None:
    with (EXAMPLE / "data" / "leads.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle)) * 200  # 48,000 values per column
    print("example patterns on the example's leads (48,000 values each), best of 5")
    print(f"{'column':8} {'re s':>8} {'RE2 s':>8} {'RE2/re':>7}")
    for column, pattern in PATTERNS.items():
        values = [row[column] for row in rows]
        python_search = re.compile(pattern).search
        re2_search = _re2(pattern)
        assert [bool(python_search(v)) for v in values] == [bool(re2_search(v)) for v in values]
        python_time = _seconds(lambda s=python_search, vs=values: [s(v) for v in vs])
        re2_time = _seconds(lambda s=re2_search, vs=values: [s(v) for v in vs])
        print(f"{column:8} {python_time:8.4f} {re2_time:8.4f} {re2_time / python_time:6.2f}x")


def hostile() -> None:
    print("\n`(a+)+$` on n a's and a '!', best of 1")
    print(f"{'n':>4} {'re s':>10} {'RE2 s':>10} {'re/RE2':>10}")
    python_search = re.compile(r"(a+)+$").search
    re2_search = _re2(r"(a+)+$")
    for n in (16, 18, 20, 22):
        text = "a" * n + "!"
        python_time = _seconds(lambda t=text: python_search(t), repeat=1)
        re2_time = _seconds(lambda t=text: re2_search(t), repeat=1)
        print(f"{n:>4} {python_time:10.4f} {re2_time:10.6f} {python_time / re2_time:9.0f}x")
    text = "a" * 100_000 + "!"
    print(f"RE2 on 100,000 a's: {_seconds(lambda: re2_search(text), repeat=1):.4f} s")


if __name__ == "__main__":
    everyday()
    hostile()
