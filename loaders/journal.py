"""The journal of a load's batches, for ``--resume``: before a batch is written its intended
counts are appended, after it commits the journal says so (``loaders/base.py`` explains
how a load uses it).  Each entry carries its wall-clock time (``at``): a batch journalled
done in the last seconds before a load stopped may not be in the engine's file yet
(:meth:`Journal.in_doubt`)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import KeysView
from pathlib import Path
from typing import Any

__all__ = ["Journal", "fingerprint"]


class Journal:
    """Append-only record of a load's batches, for ``resume``."""

    def __init__(self, folder: Path, key: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{key}.jsonl"
        self.planned: dict[int, dict[str, int]] = {}
        self.finished = False
        #: batch → when it was journalled done (None: an entry without a time)
        self._done_at: dict[int, float | None] = {}
        self._last_at: float | None = None

    @property
    def done(self) -> KeysView[int]:
        """The batches journalled done (and not to be written again: :meth:`redo`)."""
        return self._done_at.keys()

    def read(self) -> None:
        if not self.path.exists():
            return
        for line in self.path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line from a kill: ignore it
            at = entry.get("at")
            if not isinstance(at, int | float):
                at = None
            else:
                self._last_at = at  # the last in file order: a clock stepped back still counts
            if entry.get("event") == "plan":
                self.planned[entry["batch"]] = entry["counts"]
            elif entry.get("event") == "done":
                self._done_at[entry["batch"]] = at
            elif entry.get("event") == "redo":
                self._forget(entry["batches"])
            elif entry.get("event") == "finished":
                self.finished = True

    def in_doubt(self, seconds: float) -> set[int]:
        """The batches journalled done within *seconds* of the journal's last entry.

        The engine may acknowledge a write some seconds before it writes it to its file
        (``ACK_TO_FILE`` in ``loaders/base.py``), and a load killed then takes its engine
        with it: such a batch is journalled done but may be missing from the store.  A
        resumed load writes these again (:meth:`redo`), as planned batches, which cannot
        create anything twice.  Only a batch with its plan is in doubt (its counts are
        the plan's).  A journal without times (written before they were kept) doubts its last
        batch; in a journal with times, untimed entries are older than the timed ones of the
        run that resumed them, and not in doubt.  Times count from the last timed entry in
        file order, so a batch journalled "later" than it (a clock stepped back) is in doubt.

        >>> import tempfile
        >>> j = Journal(Path(tempfile.mkdtemp()), "k")
        >>> for n, at in ((0, 100.0), (1, 104.0), (2, 106.5)):
        ...     j.planned[n], j._done_at[n] = {"created": 1}, at
        >>> j._last_at = 107.0
        >>> sorted(j.in_doubt(3.0))
        [1, 2]
        """
        done = {b: at for b, at in self._done_at.items() if b in self.planned}
        if not done:
            return set()
        if self._last_at is None:
            return {max(done)}
        return {b for b, at in done.items() if at is not None and at >= self._last_at - seconds}

    def redo(self, batches: set[int]) -> None:
        """Journal that *batches* (:meth:`in_doubt`) are to be written again: from now on,
        in this run and any later one, they count as planned, not done, until written."""
        if batches:
            self.append({"event": "redo", "batches": sorted(batches)})
            self._forget(batches)

    def _forget(self, batches: list[int] | set[int]) -> None:
        for b in batches:
            self._done_at.pop(b, None)

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)
        self.planned.clear()
        self.finished = False
        self._done_at.clear()
        self._last_at = None

    def append(self, entry: dict[str, Any]) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps({**entry, "at": round(time.time(), 3)}) + "\n")
            f.flush()
            os.fsync(f.fileno())


def fingerprint(name: str, plan: list[tuple[str, str, list[str]]], batch_size: int) -> str:
    h = hashlib.sha256(f"{name}|{batch_size}".encode())
    for kind, what, batch in plan:
        h.update(f"{kind}:{what}:{len(batch)}".encode())
        for key in batch:  # a node's id, a relationship's identity
            h.update(key.encode())
    return h.hexdigest()[:24]
