"""The README's Python example runs as written and says what the README claims."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from leadcontract._yaml import parse_yaml, read_yaml

ROOT = Path(__file__).resolve().parents[1]


def test_the_contract_excerpt_on_the_first_screen_is_the_example_contract() -> None:
    """The excerpt quotes contracts/example: every value it shows is written there (a list
    may be shortened)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    excerpt, _ = parse_yaml(re.findall(r"```yaml\n(.*?)```", text, re.S)[0], "README.md")
    assert excerpt is not None
    example = ROOT / "contracts" / "example"
    written: dict[str, dict[str, object]] = {}
    for name in ("campaigns", "slas"):
        document, _ = read_yaml(example / f"{name}.yaml")
        assert document is not None
        written[name] = document.data[name]

    def within(shown: object, real: object) -> bool:
        if isinstance(shown, dict) and isinstance(real, dict):
            return all(k in real and within(v, real[k]) for k, v in shown.items())
        if isinstance(shown, list) and isinstance(real, list):
            return set(map(str, shown)) <= set(map(str, real))
        return shown == real

    for section, members in excerpt.data.items():
        for member, spec in members.items():
            assert within(spec, written[section][member]), (section, member)


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


def test_readme_gives_the_two_setup_commands_on_its_first_screen() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:45]
    example = [i for i, line in enumerate(lines) if line.startswith("./scripts/example")]
    test = [i for i, line in enumerate(lines) if line.startswith("./scripts/test ")]
    assert example
    assert test
    assert test[0] == example[0] + 1
    assert (ROOT / "scripts" / "example").stat().st_mode & 0o111
    assert (ROOT / "scripts" / "test").stat().st_mode & 0o111
