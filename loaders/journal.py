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
from pathlib import Path
from typing import Any

__all__ = ["Journal", "fingerprint"]


class Journal:
    """Append-only record of a load's batches, for ``resume``."""

    def __init__(self, folder: Path, key: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{key}.jsonl"
        self.planned: dict[int, dict[str, int]] = {}
        self.done: set[int] = set()
        self.finished = False
        self._done_at: dict[int, float | None] = {}
        self._last_at: float | None = None

    def read(self) -> None:
        if not self.path.exists():
            return
        for line in self.path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line from a kill: ignore it
            at = entry.get("at")
            if isinstance(at, int | float):
                self._last_at = max(self._last_at or at, at)
            if entry.get("event") == "plan":
                self.planned[entry["batch"]] = entry["counts"]
            elif entry.get("event") == "done":
                self.done.add(entry["batch"])
                self._done_at[entry["batch"]] = at if isinstance(at, int | float) else None
            elif entry.get("event") == "finished":
                self.finished = True

    def in_doubt(self, seconds: float) -> set[int]:
        """The batches journalled done within *seconds* of the journal's last entry.

        The engine may acknowledge a write some seconds before it writes it to its file
        (``ACK_TO_FILE`` in ``loaders/base.py``), and a load killed then takes its engine
        with it: such a batch is journalled done but may be missing from the store.  A
        resumed load writes these again, in the form that cannot create anything twice.
        A journal without times (written before they were kept) doubts its last batch.

        >>> import tempfile
        >>> j = Journal(Path(tempfile.mkdtemp()), "k")
        >>> for n, at in ((0, 100.0), (1, 104.0), (2, 106.5)):
        ...     j._done_at[n] = at
        >>> j._last_at = 107.0
        >>> sorted(j.in_doubt(3.0))
        [1, 2]
        """
        if not self._done_at:
            return set()
        if self._last_at is None:
            return {max(self._done_at)}
        return {
            batch
            for batch, at in self._done_at.items()
            if at is None or at >= self._last_at - seconds
        }

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)
        self.planned.clear()
        self.done.clear()
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
