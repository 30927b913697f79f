"""Temporary files of values written in batches and read back in order: the spilled
partitions of ``evaluate --spill`` and the capacity entries of a sorted run."""

from __future__ import annotations

import marshal
import pickle
import struct
import tempfile
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from leadcontract.inputs import RawRecord, RecordError
from leadcontract.inputs._types import new_raw_record

__all__ = ["SpillFile"]

_LENGTH = struct.Struct("<Q")


class SpillFile:
    """A temporary file of input rows (or of other values), written in batches, read back.

    Rows are plain values (text, numbers, dicts), so ``marshal`` writes them (several times
    faster than pickle); a batch it cannot write (a Parquet source's timestamps) is pickled.
    An error row is pickled on its own, into bytes the batch holds: pickling a whole batch
    for the sake of one error row recursed once per level of a deeply nested value beside
    it, and a JSON value 600 levels deep (which the readers take) ended the run.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        rows: bool = True,
        batch: int = 256,
        folder: Path | None = None,
    ) -> None:
        """A file at ``path``, or an anonymous one (gone when closed) in ``folder`` (None: the
        system's temporary folder) if ``path`` is None; ``batch`` values per write and per
        read (what it holds in memory while writing and reading: a run keeps many of them
        open at once)."""
        self.path = path
        self._rows = rows
        self._size = batch
        self._file: IO[bytes] | None = (
            path.open("wb") if path else tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - open until remove(), as a named one
        )
        self._batch: list[Any] = []
        self.complete = False
        """Whether :meth:`kept` passed all its items through."""

    def kept(self, items: Iterable[Any]) -> Generator[Any, None, None]:
        """Pass ``items`` through, adding each to this file; :attr:`complete` once they ran out
        (the file is then closed, ready to :meth:`read`): a second pass over input rows reads
        them back from here, several times cheaper than parsing the input again."""
        for item in items:
            self.add(item)
            yield item
        self.close()
        self.complete = True

    def add(self, item: Any) -> None:
        if self._rows:
            if isinstance(item, RawRecord):
                item = (item.source, item.record, item.line, item.data)
            elif isinstance(item, RecordError):
                item = (pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL),)
        self._batch.append(item)
        if len(self._batch) >= self._size:
            self._flush()

    def _flush(self) -> None:
        assert self._file is not None
        if not self._batch:
            return
        try:
            data = b"M" + marshal.dumps(self._batch) if self._rows else None
        except ValueError:  # a value marshal cannot write
            data = None
        if data is None:
            data = b"P" + pickle.dumps(self._batch, protocol=pickle.HIGHEST_PROTOCOL)
        # Each batch is preceded by its length, so it is read back with one read and decoded
        # from memory (``marshal.load`` on a file reads a value's every piece on its own).
        self._file.write(_LENGTH.pack(len(data)))
        self._file.write(data)
        self._batch = []

    def close(self) -> None:
        """Finish writing (a named file is closed; read it back with :meth:`read`)."""
        self._flush()
        if self._file is not None:
            self._file.flush()
            if self.path is not None:
                self._file.close()
                self._file = None

    def read(self) -> Iterator[Any]:
        if self.path is not None:
            with self.path.open("rb") as handle:
                yield from self._read(handle)
        else:  # read once: the anonymous file goes when the reading ends (or is dropped)
            assert self._file is not None
            try:
                self._file.seek(0)
                yield from self._read(self._file)
            finally:
                self.remove()

    def _read(self, handle: IO[bytes]) -> Iterator[Any]:
        while size := handle.read(_LENGTH.size):
            data = handle.read(_LENGTH.unpack(size)[0])
            body = memoryview(data)[1:]
            batch = marshal.loads(body) if data[:1] == b"M" else pickle.loads(body)
            if not self._rows:
                yield from batch
                continue
            for item in batch:  # rows: made as the readers make them, without __init__
                yield pickle.loads(item[0]) if len(item) == 1 else new_raw_record(*item)

    def remove(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
