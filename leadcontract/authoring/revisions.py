"""Contract versions from git: ``main:contracts/northwind`` as a folder on disk.

A spec that names an existing path is that path. Otherwise ``REV:path`` is read from git as
``git show`` reads it (``path`` from the repository root, or ``./path`` from the current
folder): a file with ``git show``, a folder with ``git archive`` unpacked into a temporary
folder. Only git is run, with arguments, never a shell.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from tempfile import TemporaryDirectory

__all__ = ["RevisionError", "materialized"]


class RevisionError(ValueError):
    """The spec names neither a path nor something git can show."""


def _git(args: list[str], cwd: Path) -> bytes:
    git = shutil.which("git")
    if git is None:
        raise RevisionError("git is not installed (needed to read a REV:path)")
    done = subprocess.run([git, *args], cwd=cwd, capture_output=True, check=False, timeout=120)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RevisionError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


@contextmanager
def materialized(spec: str, *, cwd: Path | None = None) -> Iterator[Path]:
    """The contract ``spec`` names, as a path that exists while the context is open."""
    here = cwd or Path.cwd()
    if (here / spec).exists() or ":" not in spec:
        yield Path(spec)
        return
    rev, _, inner = spec.partition(":")
    if not rev or not inner:
        raise RevisionError(f"{spec!r}: expected a path or REV:path (e.g. main:contracts/x)")
    kind = _git(["cat-file", "-t", spec], here).decode().strip()
    with TemporaryDirectory(prefix="leadcontract-") as folder:
        root = Path(folder)
        name = PurePosixPath(inner).name or "contract"
        if kind == "blob":
            target = root / name
            target.write_bytes(_git(["show", spec], here))
        elif kind == "tree":
            target = root / name
            target.mkdir()
            archive = _git(["archive", "--format=tar", spec], here)
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(target, filter="data")
        else:
            raise RevisionError(f"{spec!r} is a git {kind}, not a file or folder")
        yield target
