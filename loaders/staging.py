"""Where a load keeps its validated records between reading and writing: their properties
packed in a temporary spool file (:class:`Spool`), one :class:`Table` per label or
relationship type holding, per identity, where its record came from and where its
properties lie (``loaders/base.py`` explains the load's phases)."""

from __future__ import annotations

import contextlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

from civicgraph.graph.errors import LoadError, WorkFileError
from civicgraph.graph.supervisor import number_setting
from civicgraph.graph.writes import merge_props

__all__ = ["MEMORY_MB", "Spool", "Table", "memory_budget", "record_line"]


#: Megabytes of validated properties (counted as :mod:`marshal` packs them) a load keeps in
#: memory, as they are, before it packs the rest in its spool file (see :class:`Spool`);
#: ``CIVICGRAPH_SPOOL_MEMORY_MB`` sets it (0: every record in the file).
MEMORY_MB = 32


#: Bytes a spool packs before it writes them to its file in one call (a load's merged
#: records read back the latest ones from memory).
BUFFER = 1 << 20


def memory_budget() -> int:
    """``CIVICGRAPH_SPOOL_MEMORY_MB`` in bytes (:data:`MEMORY_MB` when it is not set).

    >>> memory_budget() == MEMORY_MB << 20
    True
    """
    megabytes = number_setting(
        "CIVICGRAPH_SPOOL_MEMORY_MB", MEMORY_MB, "keeps none in memory", unit="megabytes"
    )
    return int((megabytes or 0) * (1 << 20))


class Spool:
    """Validated properties, packed with :mod:`marshal` in a temporary file until their
    batch is written: the national councillors hold 973,443 records between reading and
    writing, 0.7 GB as dicts in memory.

    A load whose records fit :data:`MEMORY_MB` (counted as they are packed) also keeps them
    in memory, as they are, and reads none back: unpacking is most of what the spool costs
    (about 2.4 µs a record; 400,000 small records make 29 MB and 120 MB as dicts).  The
    first record past that budget drops those kept so far (:attr:`kept` becomes None): a
    large load then holds no more memory than before, every record read from the file.
    Every record goes to the file either way, a megabyte at a time (:data:`BUFFER`), so a
    full disk stops any load at the same place; a merge reads the latest records back from
    that buffer, the others with one read each.
    """

    def __init__(self, folder: Path | None, memory: int | None = None) -> None:
        self.folder = folder if folder is not None else Path(tempfile.gettempdir())
        #: bytes of the memory budget left (*memory*, else :func:`memory_budget`)
        self.memory = memory_budget() if memory is None else memory
        #: offset → the properties written there, while every record fits the budget
        self.kept: dict[int, dict[str, Any]] | None = {}
        try:
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
            # unbuffered: this class keeps its own buffer (see put)
            self.file = tempfile.TemporaryFile(dir=folder, buffering=0)  # closed by close()
        except OSError as exc:
            raise self._error(exc) from None
        #: bytes packed so far; the first :attr:`written` of them are in the file, the rest
        #: in :attr:`pending`
        self.size = 0
        self.written = 0
        self.pending = bytearray()

    def _error(self, exc: OSError) -> WorkFileError:
        return WorkFileError(
            f"cannot write the load's validation spool in {self.folder}: "
            f"{exc.strerror or exc}; free some space there and run the load again "
            "(nothing was written to the store)"
        )

    def put(self, props: dict[str, Any]) -> tuple[int, int]:
        """Write *props* (which the caller no longer changes); where they lie (offset,
        length)."""
        data = marshal.dumps(props)
        where = (self.size, len(data))
        if self.kept is not None:
            if len(data) <= self.memory:
                self.memory -= len(data)
                self.kept[self.size] = props
            else:  # past the budget: a large load, read back from the file
                self.kept = None
        pending = self.pending
        pending += data  # the file written a megabyte at a time, not a call per record
        self.size += len(data)
        if len(pending) >= BUFFER:
            self.flush()
        return where

    def flush(self) -> None:
        """Write what is packed and not in the file yet (:attr:`pending`): the load does
        when it has read every record, so that its disk holds them all before it writes."""
        done = 0
        try:
            with memoryview(self.pending) as whole:
                while done < len(whole):  # an unbuffered write may take part of it
                    # released even when the write fails (its traceback would hold the
                    # slice, and a held slice forbids trimming the buffer below)
                    with whole[done:] as rest:
                        done += self.file.write(rest)
        except OSError as exc:
            raise self._error(exc) from None
        finally:  # what went out is out of the buffer, even on an error
            self.written += done
            del self.pending[:done]

    def read(self, offset: int, length: int) -> bytes:
        """The *length* bytes packed at *offset* (from the file, or not written yet)."""
        if offset + length > self.written:
            self.flush()
        return os.pread(self.file.fileno(), length, offset)

    def get(self, offset: int, length: int) -> dict[str, Any]:
        """The properties written at *offset*: a copy, which the caller may change."""
        if self.kept is not None:
            return dict(self.kept[offset])
        at = offset - self.written
        if at >= 0:  # not in the file yet: from the buffer, no system call
            props: dict[str, Any] = marshal.loads(self.pending[at : at + length])
        else:
            props = marshal.loads(self.read(offset, length))
        return props

    def close(self) -> None:
        # A temporary, dropped on close: nothing left to write to it.
        self.kept, self.pending = None, bytearray()
        with contextlib.suppress(OSError):
            self.file.close()


class Table:
    """The validated records of one label or relationship type, each identity once.

    A record whose id (or relationship identity) came before is merged into the first one,
    sources accumulating, so each id is written by exactly one batch.
    """

    __slots__ = ("rows", "spool")

    def __init__(self, spool: Spool) -> None:
        #: key → (file, packed) for nodes, (source, target, file, packed) for relationships;
        #: *packed* is one int holding the line and where the properties are in the spool
        #: (three ints and a longer tuple would cost 65 MB more for the national councillors).
        self.rows: dict[str, tuple[Any, ...]] = {}
        self.spool = spool

    def add(self, key: str, head: tuple[Any, ...], props: dict[str, Any]) -> bool:
        """Add a record (*head* ends with file and line); True if it merged into another."""
        prev = self.rows.get(key)
        line = head[-1]
        if prev is not None:
            props = merge_props(self.props(key), props)
            head, line = prev[:-1], record_line(prev)
        else:
            head = head[:-1]
        offset, length = self.spool.put(props)
        if length >= 1 << 24:
            raise LoadError("a record's properties exceed 16 MB", line=line)
        self.rows[key] = (*head, ((-1 if line is None else line) + 1) << 64 | offset << 24 | length)
        return prev is not None

    def props(self, key: str) -> dict[str, Any]:
        packed = self.rows[key][-1]
        return self.spool.get(packed >> 24 & (1 << 40) - 1, packed & (1 << 24) - 1)

    def many(self, keys: list[str]) -> list[dict[str, Any]]:
        """The properties of *keys*, read from the spool in one piece (a batch's records
        lie close together there: one read instead of one per record)."""
        spots = [
            (packed >> 24 & (1 << 40) - 1, packed & (1 << 24) - 1)
            for packed in (self.rows[k][-1] for k in keys)
        ]
        if not spots:
            return []
        kept = self.spool.kept
        if kept is not None:  # a load within the memory budget: copies, nothing unpacked
            return [dict(kept[o]) for o, _ in spots]
        low = min(o for o, _ in spots)
        high = max(o + n for o, n in spots)
        if high - low > 64 << 20:  # scattered (merged records): one read each
            return [self.spool.get(o, n) for o, n in spots]
        view = memoryview(self.spool.read(low, high - low))
        return [marshal.loads(view[o - low : o - low + n]) for o, n in spots]

    def where(self, key: str) -> tuple[str, int | None]:
        """(file, line) of the record *key*."""
        row = self.rows[key]
        return row[-2], record_line(row)


def record_line(row: tuple[Any, ...]) -> int | None:
    line: int = (row[-1] >> 64) - 1
    return None if line < 0 else line
