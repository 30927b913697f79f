"""scripts/_system.sh asks only for the Debian packages its caller needs.

The example job (scripts/example) draws the site's diagram and charts and builds the one
locked sdist; on a developer's machine without root it must not stop for a JRE or a browser
that only the test suite uses. ``dpkg-query`` and ``id`` are replaced by stand-ins on
PATH that say "not installed" and "not root", so nothing is installed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def not_root_nothing_installed(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {"dpkg-query": "exit 1", "id": "echo 1000"}.items():
        tool = bin_dir / name
        tool.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        tool.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def _source(script: str, env: dict[str, str], before: str = "") -> subprocess.CompletedProcess[str]:
    """Source _system.sh as ``script`` does (``$0`` is the calling script's path)."""
    return subprocess.run(
        ["bash", "-c", f'{before}source "{ROOT}/scripts/_system.sh"; echo sourced', script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_example_job_asks_only_for_what_the_site_draws_with(
    not_root_nothing_installed: dict[str, str],
) -> None:
    example = (ROOT / "scripts" / "example").read_text(encoding="utf-8")
    wanted = next(
        line.split("=", 1)[1].strip("\"'")
        for line in example.splitlines()
        if line.startswith("_system_packages=")
    )
    result = _source(
        "scripts/example", not_root_nothing_installed, f'_system_packages="{wanted}"; '
    )
    assert result.returncode == 2
    assert "scripts/example needs these Debian packages: graphviz fonts-dejavu-core gcc" in (
        result.stderr
    )
    for unneeded in ("chromium", "openjdk"):
        assert unneeded not in result.stderr


def test_the_test_command_asks_for_every_package_of_system_txt(
    not_root_nothing_installed: dict[str, str],
) -> None:
    result = _source("scripts/test", not_root_nothing_installed)
    assert result.returncode == 2
    assert "scripts/test needs these Debian packages: graphviz chromium" in result.stderr
    assert "openjdk-17-jre-headless" in result.stderr
