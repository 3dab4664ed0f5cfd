"""The journal of a load's batches, for ``--resume``: before a batch is written its intended
counts are appended, after it commits the journal says so (``loaders/base.py`` explains
how a load uses it)."""

from __future__ import annotations

import hashlib
import json
import os
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

    def read(self) -> None:
        if not self.path.exists():
            return
        for line in self.path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line from a kill: ignore it
            if entry.get("event") == "plan":
                self.planned[entry["batch"]] = entry["counts"]
            elif entry.get("event") == "done":
                self.done.add(entry["batch"])
            elif entry.get("event") == "finished":
                self.finished = True

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)
        self.planned.clear()
        self.done.clear()
        self.finished = False

    def append(self, entry: dict[str, Any]) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())


def fingerprint(name: str, plan: list[tuple[str, str, list[str]]], batch_size: int) -> str:
    h = hashlib.sha256(f"{name}|{batch_size}".encode())
    for kind, what, batch in plan:
        h.update(f"{kind}:{what}:{len(batch)}".encode())
        for key in batch:  # a node's id, a relationship's identity
            h.update(key.encode())
    return h.hexdigest()[:24]
