"""The store: one object over a backend and the model, used by loaders, queries, analysis and CLI.

>>> from civicgraph.graph import open_store
>>> with open_store("civicgraph.db") as store:            # doctest: +SKIP
...     store.upsert_node("City", {"id": "insee:38185", "name": "Grenoble", "sources": ["src:x"]})
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .backends.base import GraphBackend
from .errors import ConfigurationError, InvalidProperty, LoadError
from .model import Model, load_model, relationship_id

__all__ = [
    "DEFAULT_DB",
    "PreparedWrite",
    "Store",
    "WriteCounts",
    "chunks",
    "clean_props",
    "open_store",
]

DEFAULT_DB = "civicgraph.db"
_PRIMITIVES = (str, int, float, bool)
_INT64 = (-(2**63), 2**63 - 1)


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


@dataclass
class WriteCounts:
    """What a write did: rows it was given, and how many it created, updated or left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: WriteCounts) -> WriteCounts:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class PreparedWrite:
    """One planned batch: the statement, its parameters and the counts it will produce."""

    query: str
    params: dict[str, Any]
    counts: WriteCounts


def _check_scalar(key: str, value: Any) -> None:
    """Refuse what the engines cannot store (FalkorDB fails on these, or clamps the int)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidProperty(f"property {key!r}: contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidProperty(f"property {key!r}: not valid Unicode") from None
    elif isinstance(value, bool):
        return
    elif isinstance(value, int) and not _INT64[0] <= value <= _INT64[1]:
        raise InvalidProperty(f"property {key!r}: {value} does not fit in 64 bits")
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidProperty(f"property {key!r}: {value} is not a finite number")


def clean_props(props: dict[str, Any]) -> dict[str, Any]:
    """Drop ``None``/empty values and check every value is storable on both engines."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, _PRIMITIVES):
            _check_scalar(key, value)
            out[key] = value
        elif isinstance(value, list | tuple):
            items = list(value)
            kinds = {type(v) for v in items}
            if len(kinds) > 1 or not all(isinstance(v, _PRIMITIVES) for v in items):
                raise InvalidProperty(
                    f"property {key!r}: a list must hold values of one simple type"
                )
            for item in items:
                _check_scalar(key, item)
            out[key] = items
        else:
            raise InvalidProperty(f"property {key!r}: cannot store a {type(value).__name__}")
    return out


def _merge_sources(old: list[str] | None, new: list[str] | None) -> list[str]:
    out = list(old or [])
    for s in new or []:
        if s not in out:
            out.append(s)
    return out


@dataclass
class Store:
    """A civicgraph graph store.

    >>> store = open_store("civicgraph.db")   # doctest: +SKIP
    >>> store.counts()                         # doctest: +SKIP
    """

    backend: GraphBackend
    model: Model = field(default_factory=load_model)
    _schema_ready: bool = False

    # -- context ----------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.backend.close()

    @property
    def engine(self) -> str:
        return self.backend.engine

    @property
    def location(self) -> str:
        return self.backend.location

    # -- running Cypher ----------------------------------------------------
    def query(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a read-only statement (the engine rejects writes) and return rows as dicts."""
        return self.backend.run(cypher, params, write=False)

    def execute(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a statement that may write."""
        return self.backend.run(cypher, params, write=True)

    def setup_schema(self) -> None:
        """Indexes on ``id`` for every label (and uniqueness on Neo4j); idempotent."""
        if not self._schema_ready:
            self.backend.setup_schema(self.model.all_labels)
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
        for batch in chunks(rows, batch_size):
            total += self.apply(self.prepare_nodes(label, batch))
        return total

    def apply(self, prepared: PreparedWrite) -> WriteCounts:
        """Run a prepared batch (one atomic statement) and return its counts."""
        if prepared.params["rows"]:
            self.backend.run(prepared.query, prepared.params, write=True)
        return prepared.counts

    def prepare_nodes(self, label: str, batch: list[dict[str, Any]]) -> PreparedWrite:
        """Validate a batch, read what the store holds for its ids, and plan the write.

        Splitting plan from write lets a loader journal the counts before it writes, so an
        interrupted load resumes with exact counts.
        """
        self.setup_schema()
        labels = self.model.labels_for(label)
        merged: dict[str, dict[str, Any]] = {}
        for row in batch:
            props = clean_props(row)
            self.model.validate_node(label, props)
            if props["id"] in merged:  # same id twice in a batch: merge, sources accumulate
                prev = merged[props["id"]]
                srcs = _merge_sources(prev.get("sources"), props.get("sources"))
                prev.update(props)
                if srcs:
                    prev["sources"] = srcs
            else:
                merged[props["id"]] = props
        existing = {
            r["id"]: r
            for r in self.backend.run(
                "UNWIND $ids AS i MATCH (n:Entity {id: i}) "
                "RETURN n.id AS id, labels(n) AS labels, properties(n) AS props",
                {"ids": list(merged)},
            )
        }
        counts = WriteCounts()
        to_write = []
        for node_id, props in merged.items():
            old = existing.get(node_id)
            if old is None:
                counts.created += 1
                to_write.append({"id": node_id, "props": props})
                continue
            if label not in old["labels"]:
                raise LoadError(
                    f"id {node_id!r} already belongs to a "
                    f"{'/'.join(x for x in old['labels'] if x not in ('Entity', 'Actor'))} node, "
                    f"not a {label}",
                    field="id",
                )
            new = dict(old["props"])
            new.update(props)
            new["sources"] = _merge_sources(old["props"].get("sources"), props.get("sources"))
            if not new["sources"]:
                del new["sources"]
            if new == old["props"]:
                counts.unchanged += 1
            else:
                counts.updated += 1
                to_write.append({"id": node_id, "props": new})
        label_text = ":".join(labels)  # checked against the allow-list in labels_for
        return PreparedWrite(
            f"UNWIND $rows AS row MERGE (n:{label_text} {{id: row.id}}) SET n += row.props",
            {"rows": to_write},
            counts,
        )

    # -- relationships --------------------------------------------------------
    def upsert_relationship(
        self, rel_type: str, source: str, target: str, props: dict[str, Any] | None = None
    ) -> WriteCounts:
        """Create or update one relationship; see :meth:`upsert_relationships`."""
        return self.upsert_relationships(
            rel_type, [{"source": source, "target": target, **(props or {})}]
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
        for batch in chunks(rows, batch_size):
            total += self.apply(self.prepare_relationships(rel_type, batch))
        return total

    def prepare_relationships(self, rel_type: str, batch: list[dict[str, Any]]) -> PreparedWrite:
        """Validate a batch of relationships and plan its write (see :meth:`prepare_nodes`)."""
        self.model.check_type(rel_type)
        self.setup_schema()
        merged: dict[str, dict[str, Any]] = {}
        for row in batch:
            row = dict(row)
            source, target = row.pop("source", None), row.pop("target", None)
            if not isinstance(source, str) or not source:
                raise LoadError("relationship without a source id", field="source")
            if not isinstance(target, str) or not target:
                raise LoadError("relationship without a target id", field="target")
            props = clean_props(row)
            self.model.validate_relationship(rel_type, props)
            rid = relationship_id(rel_type, source, target, props.get("start"))
            props["id"] = rid
            if rid in merged:
                prev = merged[rid]["props"]
                srcs = _merge_sources(prev.get("sources"), props.get("sources"))
                prev.update(props)
                if srcs:
                    prev["sources"] = srcs
            else:
                merged[rid] = {"id": rid, "source": source, "target": target, "props": props}
        found = self.backend.run(
            "UNWIND $rows AS row "
            "OPTIONAL MATCH (a:Entity {id: row.source}) "
            "OPTIONAL MATCH (b:Entity {id: row.target}) "
            f"OPTIONAL MATCH (a)-[r:{rel_type} {{id: row.id}}]->(b) "
            "RETURN row.id AS id, a IS NOT NULL AS has_source, b IS NOT NULL AS has_target, "
            "properties(r) AS props",
            {
                "rows": [
                    {"id": m["id"], "source": m["source"], "target": m["target"]}
                    for m in merged.values()
                ]
            },
        )
        state = {r["id"]: r for r in found}
        counts = WriteCounts()
        to_write = []
        for rid, m in merged.items():
            st = state.get(rid)
            if st is None or not st["has_source"]:
                raise LoadError(
                    f"{rel_type} refers to unknown node {m['source']!r}", field="source"
                )
            if not st["has_target"]:
                raise LoadError(
                    f"{rel_type} refers to unknown node {m['target']!r}", field="target"
                )
            old = st["props"]
            props = m["props"]
            if old is None:
                counts.created += 1
                to_write.append(m)
                continue
            new = dict(old)
            new.update(props)
            srcs = _merge_sources(old.get("sources"), props.get("sources"))
            if srcs:
                new["sources"] = srcs
            if new == old:
                counts.unchanged += 1
            else:
                counts.updated += 1
                to_write.append({**m, "props": new})
        return PreparedWrite(
            "UNWIND $rows AS row "
            "MATCH (a:Entity {id: row.source}) MATCH (b:Entity {id: row.target}) "
            f"MERGE (a)-[r:{rel_type} {{id: row.id}}]->(b) SET r += row.props",
            {"rows": to_write},
            counts,
        )

    # -- inspection -----------------------------------------------------------
    def counts(self) -> dict[str, dict[str, int]]:
        """Node counts by label and relationship counts by type."""
        labels: dict[str, int] = {}
        for row in self.query("MATCH (n) UNWIND labels(n) AS l RETURN l AS label, count(*) AS n"):
            labels[row["label"]] = row["n"]
        types: dict[str, int] = {}
        for row in self.query("MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS n"):
            types[row["type"]] = row["n"]
        return {"labels": dict(sorted(labels.items())), "types": dict(sorted(types.items()))}

    def totals(self) -> tuple[int, int]:
        nodes = self.query("MATCH (n) RETURN count(n) AS n")[0]["n"]
        rels = self.query("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
        return nodes, rels

    def dump(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Every node and relationship as plain dicts, sorted (the basis of export and digest)."""
        nodes = [
            {"id": r["id"], "labels": sorted(r["labels"]), "properties": _sorted(r["props"])}
            for r in self.query(
                "MATCH (n) RETURN n.id AS id, labels(n) AS labels, properties(n) AS props"
            )
        ]
        rels = [
            {
                "type": r["type"],
                "source": r["source"],
                "target": r["target"],
                "properties": _sorted(r["props"]),
            }
            for r in self.query(
                "MATCH (a)-[r]->(b) RETURN type(r) AS type, a.id AS source, b.id AS target, "
                "properties(r) AS props"
            )
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
            "nodes": nodes,
            "relationships": rels,
            **counts,
        }


def _sorted(d: dict[str, Any] | None) -> dict[str, Any]:
    return {k: d[k] for k in sorted(d or {})}


def open_store(target: str | os.PathLike[str] | None = None, **options: Any) -> Store:
    """Open a store from a path or URI.

    * ``neo4j://…``, ``neo4j+s://…``, ``bolt://…`` → Neo4j (credentials from ``NEO4J_*``);
    * ``falkordb://host:port`` → a FalkorDB server;
    * anything else → the embedded engine on that directory (default ``civicgraph.db``).

    With *target* ``None``: ``CIVICGRAPH_DB``, then ``NEO4J_URI``, then ``civicgraph.db``.
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

        backend = FalkorDBBackend.embedded(Path(text), **options)
    return Store(backend)
