"""The pre-commit configurations the docs give are valid and name hooks that exist."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _local_hooks(text: str) -> list[dict[str, object]]:
    hooks: list[dict[str, object]] = []
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        data = yaml.safe_load(block)
        entries = data if isinstance(data, list) else data.get("repos", [])
        hooks += [h for repo in entries if repo.get("repo") == "local" for h in repo["hooks"]]
    return hooks


def test_no_doc_pins_a_rev_that_does_not_exist() -> None:
    for path in [ROOT / ".pre-commit-hooks.yaml", *sorted((ROOT / "docs").glob("*.md"))]:
        assert "rev: v0.1.0" not in path.read_text(encoding="utf-8"), path


def test_the_documented_local_hooks_run_leadcontract_commands() -> None:
    published = {
        hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    }
    hooks = _local_hooks((ROOT / "docs" / "testing.md").read_text(encoding="utf-8"))
    comment = "\n".join(
        line.removeprefix("#   ").removeprefix("#")
        for line in (ROOT / ".pre-commit-hooks.yaml").read_text().splitlines()
        if line.startswith("#   ")
    )
    hooks += _local_hooks(f"```yaml\n{comment}\n```")
    assert {hook["id"] for hook in hooks} <= published
    assert len(hooks) >= 2
    for hook in hooks:
        assert str(hook["entry"]).startswith("leadcontract ")
        assert hook["language"] == "system"
        assert hook["pass_filenames"] is False
