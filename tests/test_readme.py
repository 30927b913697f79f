"""The README's Python example runs as written and says what the README claims."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "README.md has no Python example"
    cwd = Path.cwd()
    os.chdir(ROOT)  # the example names contracts/example relative to the checkout
    try:
        exec(compile(blocks[0], "README.md", "exec"), {"__name__": "readme"})
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert "Stage: mql since 2026-10-07 15:00 UTC" in out
    assert "required fields missing (marketing owes them): phone, country" in out
    assert "first-touch: breached" in out
    assert "'reconciles': True" in out


def test_readme_starts_with_the_two_setup_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert lines[3].startswith("./scripts/example")
    assert lines[4].startswith("./scripts/test")
    assert (ROOT / "scripts" / "example").stat().st_mode & 0o111
    assert (ROOT / "scripts" / "test").stat().st_mode & 0o111
