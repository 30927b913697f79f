"""docs/embedding.md's code runs as written, block after block, and prints what it says."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_embedding_guide_runs(capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "docs" / "embedding.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 5
    namespace: dict[str, object] = {"__name__": "embedding"}
    cwd = Path.cwd()
    os.chdir(ROOT)  # the guide names files relative to the checkout
    try:
        for number, block in enumerate(blocks, 1):
            exec(compile(block, f"docs/embedding.md block {number}", "exec"), namespace)
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert re.search(r"^m\.yaml:\d+:\d+: LC302 error: ", out, re.M)
    assert re.search(r"^\d+ verdicts, \d+ error rows$", out, re.M)
    assert 'at: required, but no column "at"' in out
    assert "'week': '2026-W44', 'leads': 64" in out
