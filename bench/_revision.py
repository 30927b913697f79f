"""A module as it was at an earlier git revision, loaded beside today's for a side-by-side run
(the baseline of a before/after benchmark, without keeping a copy of the old code)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def module_at(revision: str, path: str, name: str) -> ModuleType:
    """``path`` (relative to the repository) at ``revision``, imported as module ``name``."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, f"{revision}:{path}", "exec"), module.__dict__)
    return module
