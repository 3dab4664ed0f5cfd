"""The small interface every engine implements (like aiosql's adapter protocols)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, TypeAlias, runtime_checkable

#: How a backend takes the store's write lock when it must write (``setup_schema``).
WriteLock: TypeAlias = Callable[[], AbstractContextManager[object]]

__all__ = ["GraphBackend", "WriteLock"]


@runtime_checkable
class GraphBackend(Protocol):
    """Run Cypher with parameters; rows come back as dicts of plain values and records.

    ``write=False`` runs the statement in the engine's read-only mode (FalkorDB
    ``GRAPH.RO_QUERY``, a Neo4j read transaction), so a write slipped into a read call is
    rejected by the engine itself, not only by a keyword check.
    """

    engine: str
    location: str

    def run(
        self, query: str, params: dict[str, Any] | None = None, *, write: bool = False
    ) -> list[dict[str, Any]]: ...

    def compile(
        self, query: str, params: dict[str, Any] | None
    ) -> tuple[str, dict[str, Any] | None]:
        """Prepare a statement for :meth:`run` ahead of time (may return it unchanged)."""
        ...

    def setup_schema(self, labels: list[str], lock: WriteLock | None = None) -> None:
        """The ``id`` indexes of *labels*, created if missing (under *lock*, the store's
        write lock, where the backend has one)."""
        ...

    def bulk_writer(self) -> Any:
        """The engine's binary bulk writer (a :class:`~civicgraph.graph.bulk.BulkWriter`),
        or ``None`` when it has none: loads then create with ``UNWIND … CREATE``."""
        ...

    def version(self) -> str: ...

    def close(self) -> None: ...

    # -- what the engine can do for civicgraph's own bookkeeping -----------------------------
    def state_dir(self) -> Path | None:
        """A directory beside the engine's data where civicgraph keeps its own state (the
        write lock, load journals, spooled records), or ``None`` when there is none (a
        server): then nothing is locked and journals live under ``$CIVICGRAPH_STATE``."""
        ...

    def rejoin(self) -> bool:
        """After waiting for the write lock: reconnect if the engine this process used has
        stopped meanwhile (its owner stops it holding the lock); ``True`` when it did."""
        ...

    @property
    def owns_engine(self) -> bool:
        """Whether this process started the engine (and stops it when it closes)."""
        ...

    @property
    def interrupted(self) -> bool:
        """Whether Ctrl-C or SIGTERM already ended this process's engine."""
        ...
