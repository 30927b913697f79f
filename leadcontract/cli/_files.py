"""Output files that never clobber: no output may name an input, and each is written to a
temporary file beside it that replaces it only when the whole run succeeded.

So a failed run (bad input, a crash, an interrupted evaluation, an audit store that refuses
the run) leaves every existing output as it was, rather than truncated or empty, and
``--out leads.csv`` cannot destroy the leads before they are read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO, cast

__all__ = ["ClobberError", "atomic_output", "refuse_clobbering", "write_atomically"]


class ClobberError(ValueError):
    """An output names an input file, or two outputs name the same file."""


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def refuse_clobbering(outputs: dict[str, Path | None], inputs: Iterable[Path | None]) -> None:
    """Raise :class:`ClobberError` when an output (named by its option) is an input file
    (or a file inside an input folder), or the same file as another output."""
    given = [(option, path) for option, path in outputs.items() if path is not None]
    sources = [path for path in inputs if path is not None]
    for option, path in given:
        for source in sources:
            inside = source.is_dir() and path.resolve().is_relative_to(source.resolve())
            if inside or _same(path, source):
                raise ClobberError(
                    f"{option} {path} would overwrite the input {source}; write elsewhere"
                )
    for index, (option, path) in enumerate(given):
        for other_option, other in given[index + 1 :]:
            if _same(path, other):
                raise ClobberError(f"{option} and {other_option} both name {path}")


_BUFFER = 1 << 20
"""Bytes written at a time: a run writes a few KB per verdict, hundreds of MB in all."""


@contextmanager
def atomic_output(path: Path) -> Iterator[TextIO]:
    """A text handle (UTF-8) on a temporary file beside ``path``, renamed over it on success.

    Lone surrogates that reach an output (from Python records, say) are written as their
    backslash escape instead of failing the run; in JSON that escape is the JSON spelling.
    A symbolic link is followed (its target is replaced, not the link); a path that is not a
    regular file (``/dev/stdout``, a pipe) is written directly, since it cannot be replaced.
    """
    if path.exists() and not path.is_file():  # before resolving: /dev/stdout -> pipe:[N]
        with path.open("w", encoding="utf-8", errors="backslashreplace", newline="") as direct:
            yield direct
        return
    path = path.resolve() if path.is_symlink() else path
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed or removed below
            "w",
            buffering=_BUFFER,
            encoding="utf-8",
            errors="backslashreplace",
            newline="",
            dir=path.parent,
            prefix=f".{path.name}.",
            suffix=".tmp",
            delete=False,
        )
    except OSError as error:  # named as given, not as the temporary file it could not make
        raise type(error)(error.errno, error.strerror, str(path)) from None
    try:
        with handle:
            # The file itself, not the wrapper: the wrapper looks up ``write`` through
            # ``__getattr__`` on every call (a run writes one line per lead).
            yield cast(TextIO, handle.file)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, _mode_for(path))
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """The replaced file's permissions, or what a new file gets (temporary files get 0600)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through :func:`atomic_output`."""
    with atomic_output(path) as handle:
        handle.write(text)
