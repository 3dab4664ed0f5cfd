"""The store: one object over a backend and the model, used by loaders, queries, analysis and CLI.

>>> from civicgraph.graph import open_store
>>> with open_store("civicgraph.db") as store:            # doctest: +SKIP
...     store.upsert_node("City", {"id": "insee:38185", "name": "Grenoble", "sources": ["src:x"]})
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .backends.base import GraphBackend
from .bulk import BulkWrite, BulkWriter, NodeIds, bulk_nodes, bulk_relationships
from .errors import (
    ConfigurationError,
    EngineRestarted,
    InvalidProperty,
    LoadError,
    ReadOnlyStore,
    StoreNotFound,
)
from .model import Model, check_id, check_reserved, load_model, relationship_id
from .writes import (
    ENDS,
    INSPECT,
    PREREAD_NODES,
    PRESENT,
    PreparedWrite,
    WriteCounts,
    check_row_ids,
    clean_props,
    indexed_labels,
    label_clash,
    merge_props,
    node_writes,
    prepared_write,
    preread_relationships_query,
    relationship_writes,
    sort_rows,
)

__all__ = ["DEFAULT_DB", "Store", "chunks", "open_store"]

DEFAULT_DB = "civicgraph.db"
#: How many engine restarts one batch may live through (see Store.apply).
_RESTARTS = 3


def chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Split *iterable* into lists of at most *size* items (sqlite-utils' ``chunks``).

    >>> [len(c) for c in chunks(range(12), 5)]
    [5, 5, 2]
    """
    batch: list[Any] = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


#: Rows per batch of a load, by default (:attr:`Store.load_batch_size`): per ``UNWIND``
#: transaction, and per bulk command where new rows go through the engine's own.
BATCH_ROWS = 5000
BULK_BATCH_ROWS = 20_000


@dataclass
class Store:
    """A civicgraph graph store.

    >>> store = open_store("civicgraph.db")   # doctest: +SKIP
    >>> store.counts()                         # doctest: +SKIP
    """

    backend: GraphBackend
    model: Model = field(default_factory=load_model)
    #: why the store cannot be written (its directory is read-only), else None
    read_only: str | None = None
    #: the store directory a read-only store was copied from (see :func:`open_store`)
    origin: str | None = None
    #: whether loads create new rows with the engine's bulk command when it has one
    #: (:meth:`bulk_ids`); ``False`` sends them as ``UNWIND … CREATE`` statements
    bulk: bool = True
    _schema_ready: bool = False
    _lock_fd: int | None = field(default=None, repr=False)
    _lock_depth: int = field(default=0, repr=False)
    _cleanup: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def load_batch_size(self) -> int:
        """Rows per batch a load writes when it is not told (``--batch-size``).

        :data:`BULK_BATCH_ROWS` where a load creates new rows with the engine's bulk
        command (the embedded engine, whose store directory the load locks: see
        :meth:`bulk_ids`): each command costs the engine a few milliseconds besides its rows
        (the 400,000-row synthetic load spent 1.2 s in 81 commands, 0.9 s in 21).  On a
        server (Neo4j, a FalkorDB server) :data:`BATCH_ROWS`, rows per ``UNWIND``
        transaction.
        """
        return BULK_BATCH_ROWS if self._bulk_writer() is not None else BATCH_ROWS

    def _bulk_writer(self) -> BulkWriter | None:
        """The engine's bulk writer, when a load creates its new rows with it: the embedded
        engine, whose store directory a load locks (:meth:`write_lock`), unless :attr:`bulk`
        is off; ``None`` on a server (Neo4j, a FalkorDB server)."""
        if not self.bulk or self.backend.state_dir() is None:
            return None
        writer: BulkWriter | None = self.backend.bulk_writer()
        return writer

    # -- context ----------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store; the engine stops if this process started it.

        Another process may be writing through this process's embedded engine (it joined
        it, and holds the store's write lock): the engine ends with this process, so closing
        first waits for that write to finish — holding the write lock while the engine
        stops, so that no later writer starts on it.  The next writer then starts its own.
        """
        try:
            # After Ctrl-C or SIGTERM the engine is already gone (graph.engine.interrupt_engines):
            # there is no write left to wait for, and the command must end now.
            state = self.backend.state_dir()
            if (
                self._lock_fd is None
                and state is not None
                and self.read_only is None
                and self.backend.owns_engine
                and not self.backend.interrupted
            ):
                fd = os.open(state / "write.lock", os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    _flock(
                        fd,
                        "another process is writing to this store through this one's engine; waiting for it to finish…",
                    )
                    self.backend.close()
                finally:
                    os.close(fd)  # releases the lock
        finally:
            self.backend.close()
            if self._cleanup is not None:
                self._cleanup()
                self._cleanup = None

    @property
    def engine(self) -> str:
        return self.backend.engine

    @property
    def location(self) -> str:
        return self.origin or self.backend.location

    def _check_writable(self) -> None:
        if self.read_only is not None:
            raise ReadOnlyStore(
                f"the store {self.location} is read-only ({self.read_only}): civicgraph can "
                "read it but not write to it; copy it somewhere writable to load into it"
            )

    # -- running Cypher ----------------------------------------------------
    def query(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a read-only statement (the engine rejects writes) and return rows as dicts."""
        return self.backend.run(cypher, params, write=False)

    def execute(
        self, cypher: str, params: dict[str, Any] | None = None, *, idempotent: bool = False
    ) -> list[dict[str, Any]]:
        """Run a statement that may write.

        ``idempotent=True`` says running it twice leaves the store as running it once does
        (``SET`` of computed values, ``MERGE``): if the embedded engine hangs under it and
        its supervisor restarts it, it runs again instead of raising
        :class:`~civicgraph.graph.errors.EngineRestarted`.

        It holds the store's :meth:`write_lock`, as every writer does: a load's statements
        wait, and an owner closing the engine this process joined waits for the write.
        """
        self._check_writable()
        with self.write_lock():
            for attempt in range(_RESTARTS + 1):
                try:
                    return self.backend.run(cypher, params, write=True)
                except EngineRestarted as exc:
                    if not idempotent or attempt == _RESTARTS:
                        raise
                    exc.recovery.report("ran the interrupted write again (it is idempotent)")  # type: ignore[attr-defined]
        raise AssertionError("unreachable")

    def setup_schema(self) -> None:
        """Indexes on ``id`` for every label (and uniqueness on Neo4j); idempotent.

        ``Actor`` has no index: nothing looks a node up by ``Actor`` and ``id`` (lookups go
        through ``Entity`` or the specific label), and every index costs on every write
        (486,721 Person writes: 61 s with it, 50 s without).

        :func:`open_store` runs it when it opens an embedded store, so the indexes exist,
        and are ready, before the first statement (on FalkorDB it returns once every index
        is operational).
        """
        if not self._schema_ready:
            # Missing indexes are created under the write lock, like every write (an owner
            # closing its engine waits for it); a read-only store creates none.
            lock = None if self.read_only is not None else self.write_lock
            self.backend.setup_schema(indexed_labels(self.model), lock)
            self._schema_ready = True

    # -- nodes --------------------------------------------------------------
    def upsert_node(self, label: str, props: dict[str, Any]) -> WriteCounts:
        """Create or update one node; see :meth:`upsert_nodes`."""
        return self.upsert_nodes(label, [props])

    def upsert_nodes(
        self, label: str, rows: Iterable[dict[str, Any]], batch_size: int = 5000
    ) -> WriteCounts:
        """Create or update nodes of one label, merging on ``id``; sources accumulate.

        A node that already holds exactly these properties is left alone (``unchanged``), so
        re-running a load writes nothing.
        """
        total = WriteCounts()
        with self.write_lock():
            for batch in chunks(rows, batch_size):
                total += self.apply(self.prepare_nodes(label, batch))
        return total

    def apply(
        self,
        prepared: PreparedWrite,
        *,
        again: str = "wrote the interrupted batch again",
        before_retry: Callable[[Any], None] | None = None,
    ) -> WriteCounts:
        """Run a prepared batch and return its counts.

        A batch is one statement, or two (rows to create, rows to merge) when
        :meth:`write_lock` is held; each is atomic, and running a batch again after a crash
        is safe because the rows created the first time are then found by the pre-read and
        merged, not created twice.

        When the embedded engine hung under the batch and its supervisor restarted it
        (:class:`EngineRestarted`), the batch may or may not have committed: it runs again
        as ``MERGE`` only (:meth:`reapply`), which finds what did commit and creates the
        rest, so nothing is lost or doubled; the recovery's warning line ends with *again*.
        *before_retry* (given the recovery) runs first: a load writes its latest batches
        again there.
        """
        restarted: EngineRestarted | None = None
        for attempt in range(_RESTARTS + 1):
            try:
                if restarted is None:
                    if prepared.bulk is not None:
                        self._bulk(prepared.bulk)
                    for query, params in prepared.statements:
                        self.backend.run(query, params, write=True)
                else:
                    if before_retry is not None:
                        before_retry(restarted.recovery)
                    self.reapply(prepared)
                return prepared.counts
            except EngineRestarted as exc:
                if attempt == _RESTARTS:
                    raise
                exc.recovery.report(again)  # type: ignore[attr-defined]
                restarted = exc
        raise AssertionError("unreachable")

    def _bulk(self, write: BulkWrite) -> None:
        """Create *write*'s rows with the engine's bulk command, or with its ``CREATE``
        statements when the internal ids cannot be trusted (see :mod:`.bulk`)."""
        if write.ids.usable():
            write.ids.writer.write(write)
            write.ids.verify(write.expected)
            return
        for query, params in write.fallback:
            text, values = self.backend.compile(query, params)
            self.backend.run(text, values, write=True)

    def bulk_ids(self) -> NodeIds | None:
        """Internal node ids for a load that creates through the engine's bulk command
        (the embedded FalkorDB engine, while the load holds :meth:`write_lock`), or
        ``None``: the load then creates with ``UNWIND … CREATE``."""
        if self._lock_depth == 0:
            return None
        return NodeIds.open(self._bulk_writer())

    def reapply(self, prepared: PreparedWrite) -> None:
        """Run *prepared* again in the form that cannot create anything twice
        (``prepared.idempotent``: the same rows as ``MERGE`` only)."""
        for query, params in prepared.idempotent or prepared.statements:
            text, values = self.backend.compile(query, params)
            self.backend.run(text, values, write=True)

    def compile(self, prepared: PreparedWrite) -> PreparedWrite:
        """*prepared* with its statements in the engine's own form (see backend ``compile``).

        The idempotent twin stays as it is: it is compiled only if it has to run.
        """
        statements = [self.backend.compile(q, p) for q, p in prepared.statements]
        return PreparedWrite(
            [(q, p or {}) for q, p in statements],
            prepared.counts,
            prepared.idempotent,
            prepared.bulk,
        )

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[bool]:
        """Hold the store's write lock (re-entrant); yield whether it is exclusive.

        On the embedded engine this is an ``flock`` on ``write.lock`` in the store directory,
        which every civicgraph writer (loads, ``upsert_*``) takes; a writer that must wait
        says so on stderr (``another load is writing to this store; waiting…``).  While a process holds it,
        an id it has checked is absent stays absent, so it may ``CREATE`` those nodes and
        their relationships instead of ``MERGE``-ing them: half the engine's time for a new
        register (486,721 councillors: 78 s → 39 s).  Elsewhere (Neo4j, a FalkorDB server)
        nothing is locked and every write is a ``MERGE``.
        """
        self._check_writable()
        state = self.backend.state_dir()
        if state is None:
            yield False
            return
        if self._lock_fd is None:
            fd = os.open(state / "write.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                _flock(fd, "another load is writing to this store; waiting…")
                # The engine this process joined may have stopped while it waited: its owner
                # holds the write lock while stopping it.  Start or join the current one.
                self.backend.rejoin()
            except BaseException:
                os.close(fd)
                raise
            self._lock_fd = fd
        self._lock_depth += 1
        try:
            yield True
        finally:
            self._lock_depth -= 1
            if not self._lock_depth and self._lock_fd is not None:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
                self._lock_fd = None

    def journal_dir(self) -> Path:
        """Where load journals (``--resume``) live: beside the engine's data when it keeps
        state there (an embedded store), else ``$CIVICGRAPH_STATE/loads`` (default
        ``.civicgraph/loads``)."""
        state = self.backend.state_dir()
        if state is not None:
            return state / "loads"
        return Path(os.environ.get("CIVICGRAPH_STATE", ".civicgraph")) / "loads"

    def spool_dir(self) -> Path | None:
        """Where a load spools its validated records: beside an embedded store's data (the
        system's temporary directory may be small), else the system's default."""
        state = self.backend.state_dir()
        return None if state is None else state / "loads"

    def labels_of(self, ids: Iterable[str]) -> dict[str, list[str]]:
        """The labels of each of *ids* the store holds (ids it does not hold are absent).

        Examples
        --------
        >>> store.labels_of(["insee:38185", "org:nowhere"])   # doctest: +SKIP
        {'insee:38185': ['City', 'Entity', 'Actor']}
        """
        out: dict[str, list[str]] = {}
        for batch in chunks(ids, 10000):
            for r in self.query(ENDS, {"ids": batch}):
                out[r["id"]] = r["labels"]
        return out

    def find(self, text: str, *, limit: int | None = 20) -> list[dict[str, Any]]:
        """The nodes whose name or id contains *text*, accent- and case-insensitive, best
        first, as ``{"id", "name", "label"}`` (the one rule: :func:`civicgraph.graph.find.find_nodes`).

        Examples
        --------
        >>> store.find("grenoble")   # doctest: +SKIP
        [{'id': 'insee:38185', 'name': 'Grenoble', 'label': 'City'}]
        """
        from .find import find_nodes

        return find_nodes(self, text, limit=limit)

    def present(self, ids: Iterable[str], label: str) -> tuple[set[str], set[str]]:
        """The ids of *ids* the store holds, and those of them it holds under a label other
        than *label* (an id names one node whatever its label).  Cheaper than
        :meth:`labels_of` for a load's own nodes: one boolean per id."""
        held: set[str] = set()
        other: set[str] = set()
        for batch in chunks(ids, 10000):
            for r in self.query(PRESENT, {"ids": batch, "label": label}):
                held.add(r["id"])
                if not r["ok"]:
                    other.add(r["id"])
        return held, other

    def preread_nodes(self, label: str, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """For rows ``{"id", "props"}`` of ids the store may hold: per stored id, whether it
        has *label* (``ok``, and its ``labels``), and ``old_sources`` — ``None`` when the
        row would change nothing, else the stored sources.  The engine does the comparing,
        so only this verdict comes back, not every stored property."""
        if not rows:
            return {}
        return {r["id"]: r for r in self.backend.run(PREREAD_NODES, {"rows": rows, "label": label})}

    def preread_relationships(
        self, rel_type: str, rows: list[dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """For rows ``{"id", "source", "target", "props"}``: per stored relationship, its
        ``old_sources`` verdict (see :meth:`preread_nodes`)."""
        self.model.check_type(rel_type)
        if not rows:
            return {}
        return {
            r["id"]: r
            for r in self.backend.run(preread_relationships_query(rel_type), {"rows": rows})
        }

    def prepare_nodes(
        self,
        label: str,
        batch: list[dict[str, Any]],
        *,
        validated: bool = False,
        new_ids: Collection[str] = (),
        known: Mapping[str, dict[str, Any]] | None = None,
        bulk: NodeIds | None = None,
    ) -> PreparedWrite:
        """Validate a batch, find out what the store holds for its ids, and plan the write.

        Splitting plan from write lets a loader journal the counts before it writes, so an
        interrupted load resumes with exact counts.  A loader that has already validated the
        rows passes ``validated=True``; ids in *new_ids* are known not to be in the store (the
        loader asked before writing anything), so they are not looked up again.  For the other
        ids the engine compares the stored properties with the new ones
        (:meth:`preread_nodes`), unless *known* already holds those verdicts.  With *bulk*
        (:meth:`bulk_ids`), the nodes to create go through the engine's bulk command.
        """
        self.setup_schema()
        labels = self.model.labels_for(label)
        merged: dict[str, dict[str, Any]] = {}
        for row in batch:
            props = row if validated else clean_props(row)
            if not validated:
                check_row_ids(props)
                self.model.validate_node(label, props)
            prev = merged.get(props["id"])
            if prev is None:
                merged[props["id"]] = props
            else:  # same id twice in a batch: merge, sources accumulate
                merged[props["id"]] = merge_props(prev, props)
        rows: list[dict[str, Any]] = [{"id": i, "props": p} for i, p in merged.items()]
        check = [r for r in rows if r["id"] not in new_ids] if new_ids else rows
        if known is not None:
            state = {r["id"]: known[r["id"]] for r in check if r["id"] in known}
        else:
            state = self.preread_nodes(label, check)
        for node_id, st in state.items():
            if not st["ok"]:
                raise label_clash(node_id, st["labels"], label)
        create = bool(new_ids) and self._lock_depth > 0
        counts, to_create, to_write = sort_rows(
            rows, state, lambda row: create and row["id"] in new_ids
        )
        create_text, merge_text = node_writes(labels)  # allow-listed in labels_for
        prepared = prepared_write(
            (create_text, [r["props"] for r in to_create]),
            (merge_text, to_write),
            to_create,
            counts,
        )
        if bulk is not None and to_create and bulk.usable():
            return bulk_nodes(prepared, bulk, labels)
        return prepared

    # -- relationships --------------------------------------------------------
    def upsert_relationship(
        self, rel_type: str, source: str, target: str, props: dict[str, Any] | None = None
    ) -> WriteCounts:
        """Create or update one relationship; see :meth:`upsert_relationships`.

        Its ends are *source* and *target*: a property named like them is refused, never
        used as an end.
        """
        for key in props or {}:
            if key != "id":  # checked against the derived id
                check_reserved(key, relationship=True)
        return self.upsert_relationships(
            rel_type, [{**(props or {}), "source": source, "target": target}]
        )

    def upsert_relationships(
        self, rel_type: str, rows: Iterable[dict[str, Any]], batch_size: int = 5000
    ) -> WriteCounts:
        """Create or update relationships of one type.

        Each row has ``source`` and ``target`` (node ids) and properties; identity is
        (type, source, target, ``start``), stored as the relationship's ``id``.  Both ends
        must exist, or the batch fails with :class:`LoadError` before anything is written.
        """
        self.model.check_type(rel_type)
        self.setup_schema()
        total = WriteCounts()
        with self.write_lock():
            for batch in chunks(rows, batch_size):
                total += self.apply(self.prepare_relationships(rel_type, batch))
        return total

    def prepare_relationships(
        self,
        rel_type: str,
        batch: list[dict[str, Any]],
        *,
        validated: bool = False,
        new_ids: Collection[str] = (),
        ends_checked: bool = False,
        known: Mapping[str, dict[str, Any]] | None = None,
        bulk: NodeIds | None = None,
        staged: bool = False,
    ) -> PreparedWrite:
        """Validate a batch of relationships and plan its write (see :meth:`prepare_nodes`).

        A relationship with an end in *new_ids* cannot be in the store yet, so it is not
        looked up.  ``ends_checked=True`` says the caller has checked that every end exists
        (``run_load`` does, for the whole load, before writing).  ``staged=True``: the rows
        are a load's staged relationships, validated, each identity once, already in the
        planned form ``{"id", "source", "target", "props"}`` (``props`` holding the ``id``).
        """
        self.model.check_type(rel_type)
        self.setup_schema()
        if staged:
            if not (validated and ends_checked):
                raise ValueError("staged rows are validated rows whose ends were checked")
            return self._plan_relationships(rel_type, batch, new_ids, known, bulk)
        merged: dict[str, dict[str, Any]] = {}
        for row in batch:
            props = dict(row)
            source, target = props.pop("source", None), props.pop("target", None)
            if not isinstance(source, str) or not source:
                raise LoadError("relationship without a source id", field="source")
            if not isinstance(target, str) or not target:
                raise LoadError("relationship without a target id", field="target")
            given = None
            if not validated:
                source, target = check_id(source, what="source"), check_id(target, what="target")
                props = clean_props(props)
                given = props.pop("id", None)  # derived: only its own value is accepted
                check_row_ids(props)
                self.model.validate_relationship(rel_type, props)
            rid = relationship_id(rel_type, source, target, props.get("start"))
            if given is not None and given != rid:
                raise InvalidProperty(
                    f"property 'id' is reserved: a relationship's id is derived from its type, "
                    f"ends and start ({rid!r}), not {given!r}",
                    field="id",
                )
            props["id"] = rid
            prev = merged.get(rid)
            if prev is None:
                merged[rid] = {"id": rid, "source": source, "target": target, "props": props}
            else:
                prev["props"] = merge_props(prev["props"], props)
        rows = list(merged.values())
        if not ends_checked:
            ends = {m["source"] for m in rows} | {m["target"] for m in rows}
            found = self.labels_of(sorted(e for e in ends if e not in new_ids))
            for m in rows:
                for end in ("source", "target"):
                    if m[end] not in found and m[end] not in new_ids:
                        raise LoadError(f"{rel_type} refers to unknown node {m[end]!r}", field=end)
                if m["source"] in found and m["target"] in found:
                    self.model.check_edge(rel_type, found[m["source"]], found[m["target"]])
        return self._plan_relationships(rel_type, rows, new_ids, known, bulk)

    def _plan_relationships(
        self,
        rel_type: str,
        rows: list[dict[str, Any]],
        new_ids: Collection[str],
        known: Mapping[str, dict[str, Any]] | None,
        bulk: NodeIds | None,
    ) -> PreparedWrite:
        """The write of *rows* (checked, each identity once): counted against what the store
        holds, then split into what to create and what to merge."""
        check = (
            [m for m in rows if m["source"] not in new_ids and m["target"] not in new_ids]
            if new_ids
            else rows
        )
        if known is not None:
            state = {m["id"]: known[m["id"]] for m in check if m["id"] in known}
        else:
            state = self.preread_relationships(rel_type, check)
        # Under the write lock nothing else adds a relationship: one with an end in *new_ids*
        # cannot be stored yet, and one between stored nodes that the pre-read did not find
        # is not stored either (a councillor who was a mayor before, in the city he governed):
        # both are created, not merged (the bulk command, on the embedded engine).
        create = bool(new_ids) and self._lock_depth > 0
        counts, to_create, to_write = sort_rows(rows, state, lambda m: create)
        create_text, merge_text = relationship_writes(rel_type)
        if bulk is not None and to_create and bulk.usable():
            return bulk_relationships(
                rel_type, create_text, (merge_text, to_write), to_create, counts, bulk
            )
        return prepared_write((create_text, to_create), (merge_text, to_write), to_create, counts)

    # -- inspection -----------------------------------------------------------
    def counts(self) -> dict[str, dict[str, int]]:
        """Node counts by label and relationship counts by type."""
        labels: dict[str, int] = {}
        for row in self.query(INSPECT["count by label"]):
            labels[row["label"]] = row["n"]
        types: dict[str, int] = {}
        for row in self.query(INSPECT["count by type"]):
            types[row["type"]] = row["n"]
        return {"labels": dict(sorted(labels.items())), "types": dict(sorted(types.items()))}

    def totals(self) -> tuple[int, int]:
        nodes = self.query(INSPECT["total nodes"])[0]["n"]
        rels = self.query(INSPECT["total relationships"])[0]["n"]
        return nodes, rels

    def dump(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Every node and relationship as plain dicts, sorted (the basis of export and digest)."""
        nodes = [
            {"id": r["id"], "labels": sorted(r["labels"]), "properties": _sorted(r["props"])}
            for r in self.query(INSPECT["dump nodes"])
        ]
        rels = [
            {
                "type": r["type"],
                "source": r["source"],
                "target": r["target"],
                "properties": _sorted(r["props"]),
            }
            for r in self.query(INSPECT["dump relationships"])
        ]
        nodes.sort(key=lambda n: (str(n["id"]), n["labels"]))
        rels.sort(
            key=lambda r: (
                r["type"],
                str(r["source"]),
                str(r["target"]),
                json.dumps(r["properties"], sort_keys=True),
            )
        )
        return nodes, rels

    def digest(self) -> str:
        """A stable SHA-256 of every node, relationship and property."""
        nodes, rels = self.dump()
        h = hashlib.sha256()
        for item in nodes + rels:
            h.update(json.dumps(item, sort_keys=True, ensure_ascii=False).encode())
            h.update(b"\n")
        return h.hexdigest()

    def info(self) -> dict[str, Any]:
        counts = self.counts()
        nodes, rels = self.totals()
        return {
            "engine": self.engine,
            "version": self.backend.version(),
            "location": self.location,
            **({"read_only": self.read_only} if self.read_only else {}),
            "nodes": nodes,
            "relationships": rels,
            **counts,
        }


def _flock(fd: int, waiting: str) -> None:
    """Take an exclusive ``flock`` on *fd*; if another process holds it, say *waiting* on
    stderr first, then wait."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"civicgraph: {waiting}", file=sys.stderr, flush=True)
        fcntl.flock(fd, fcntl.LOCK_EX)


def _sorted(d: dict[str, Any] | None) -> dict[str, Any]:
    return {k: d[k] for k in sorted(d)} if d else {}


def open_store(
    target: str | os.PathLike[str] | None = None, *, create: bool = True, **options: Any
) -> Store:
    """Open a store from a path or URI.

    * ``neo4j://…``, ``neo4j+s://…``, ``bolt://…`` → Neo4j (credentials from ``NEO4J_*``);
    * ``falkordb://host:port`` → a FalkorDB server;
    * anything else → the embedded engine on that directory (default ``civicgraph.db``).

    With *target* ``None``: ``CIVICGRAPH_DB``, then ``NEO4J_URI``, then ``civicgraph.db``.

    ``create=False`` (what every command that only reads passes) never makes a store: a
    path with no store raises :class:`StoreNotFound`, and nothing is created.

    A store whose directory cannot be written (a read-only mount, another user's files)
    opens *read-only*: the engine runs on a private copy of its data in a temporary
    directory (removed on close), so reads answer as usual, and every write raises
    :class:`ReadOnlyStore` (see :attr:`Store.read_only`).
    """
    if target is None:
        target = os.environ.get("CIVICGRAPH_DB") or os.environ.get("NEO4J_URI") or DEFAULT_DB
    text = os.fspath(target)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    backend: GraphBackend
    if scheme in {"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"}:
        from .backends.neo4j import Neo4jBackend

        backend = Neo4jBackend(text, **options)
    elif scheme in {"falkordb", "redis"}:
        from urllib.parse import urlparse

        from .backends.falkordb import FalkorDBBackend

        u = urlparse(text)
        backend = FalkorDBBackend.server(
            u.hostname or "localhost", u.port or 6379, password=os.environ.get("FALKORDB_PASSWORD")
        )
    elif scheme:
        raise ConfigurationError(
            f"unknown database URI scheme {scheme!r}: use a path, neo4j://, bolt:// or falkordb://"
        )
    else:
        from .backends.falkordb import FalkorDBBackend
        from .engine import MARKER

        path = Path(text)
        if not (path / MARKER).is_file():
            if not create:
                raise StoreNotFound(
                    f"no civicgraph store at {text} (create one with civicgraph load or "
                    "civicgraph demo)"
                    if not path.exists() or (path.is_dir() and not any(path.iterdir()))
                    else f"{text} is not a civicgraph store (it has no {MARKER}): give a "
                    "store directory with --db"
                )
        elif not _writable(path):
            return _open_read_only(path, options)
        backend = FalkorDBBackend.embedded(path, **options)
        # Every index exists, and is ready, before the first statement: created on a new
        # store while it is empty (ready at once), awaited on one the engine has just
        # loaded (it rebuilds them in the background; until then a MATCH on an id scans).
        store = Store(backend)
        try:
            store.setup_schema()
        except BaseException:
            store.close()
            raise
        return store
    return Store(backend)


def _writable(path: Path) -> bool:
    """Can the engine write in the store directory (``access(2)`` also sees read-only
    mounts, which permission bits do not show to root)?"""
    data = path / "data"
    return os.access(path, os.W_OK) and (not data.exists() or os.access(data, os.W_OK))


def _open_read_only(path: Path, options: dict[str, Any]) -> Store:
    """A read-only store directory, read through an engine on a private copy of its data.

    The embedded engine writes beside its data (its append-only file, its log) even to
    answer reads, so it cannot run on a read-only directory itself.  Copying costs the
    store's size in temporary space and time once per open (about 0.1 s for the demo).
    """
    from .backends.falkordb import FalkorDBBackend
    from .engine import MARKER

    try:
        read_only = os.statvfs(path).f_flag & os.ST_RDONLY
    except OSError:
        read_only = 0
    why = "its file system is mounted read-only" if read_only else "its directory is not writable"
    tmp = Path(tempfile.mkdtemp(prefix="civicgraph-ro-"))
    try:
        copy = tmp / path.name
        copy.mkdir()
        shutil.copy2(path / MARKER, copy / MARKER)
        if (path / "data").is_dir():
            shutil.copytree(
                path / "data", copy / "data", ignore=shutil.ignore_patterns("engine.log")
            )
        backend = FalkorDBBackend.embedded(copy, **options)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ReadOnlyStore(
            f"the store {path} is read-only ({why}) and could not be copied to read it: "
            f"{exc.strerror or exc} ({exc.filename or tmp}); set TMPDIR to a directory with "
            "room for a copy"
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    store = Store(
        backend,
        read_only=why,
        origin=str(path),
        _cleanup=lambda: shutil.rmtree(tmp, ignore_errors=True),
    )
    try:
        backend.await_indexes()  # the copy's engine rebuilds them after loading its files
    except BaseException:
        store.close()
        raise
    return store
