"""FalkorDB's binary bulk format (``GRAPH.BULK``): nodes and relationships created without
Cypher, several times faster than ``UNWIND $rows … CREATE``.

The format is the one ``falkordb-bulk-loader`` writes (its ``entity_file.py``, ``label.py``,
``relation_type.py``): a *token* per label or relationship type, holding

* the name, NUL-terminated — for nodes, labels joined by ``:`` (``City:Actor:Entity``);
* the number of property names (``uint32``), then each name, NUL-terminated;
* per entity (relationships first give their ends' internal node ids, two ``uint64``), one
  value per property name: a type byte, then the value — ``0`` null (the property is not
  set), ``1`` bool, ``2`` double, ``3`` NUL-terminated UTF-8 string, ``4`` int64, ``5``
  array (an int64 length, then each element as a value).

All integers are little-endian, unaligned.  That package reads CSV files and infers each
value's type from its text (``"0123"`` becomes 123), so civicgraph encodes its own typed,
validated values here rather than going through it; the tests compare what the engine
stores either way with the ``CREATE`` statements (digest equality).

A command ``GRAPH.BULK key [BEGIN] nodes relationships labels types token…`` is atomic.
``BEGIN`` creates the graph and fails when the key exists; without it the entities are
appended to the existing graph, its indexes kept up to date (checked in the tests).  New
nodes take the next internal ids in order when the graph has never had a node deleted,
which is what lets relationships of the same load address them (see
:class:`civicgraph.loaders.bulk.NodeIds`, which checks it).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Any

__all__ = ["encode_nodes", "encode_relationships", "encode_value"]

_NULL = b"\x00"
_TRUE = struct.pack("=B?", 1, True)
_FALSE = struct.pack("=B?", 1, False)
_DOUBLE = struct.Struct("=Bd")
_LONG = struct.Struct("=Bq")
_ARRAY = struct.Struct("=Bq")
_ENDS = struct.Struct("=QQ")


def encode_value(value: Any) -> bytes:
    """One property value in the bulk format (values checked by ``clean_props`` first).

    >>> encode_value("ab"), encode_value(None)
    (b'\\x03ab\\x00', b'\\x00')
    >>> encode_value([1, 2])[:9] == _ARRAY.pack(5, 2)
    True
    """
    kind = type(value)
    if kind is str:
        return b"\x03" + value.encode() + b"\x00"
    if value is None:
        return _NULL
    if kind is bool:
        return _TRUE if value else _FALSE
    if kind is int:
        return _LONG.pack(4, value)
    if kind is float:
        return _DOUBLE.pack(2, value)
    if kind is list or kind is tuple:
        return _ARRAY.pack(5, len(value)) + b"".join(encode_value(v) for v in value)
    raise TypeError(f"cannot encode a {kind.__name__} for GRAPH.BULK")


def _header(name: str, keys: Sequence[str]) -> bytes:
    parts = [name.encode(), b"\x00", struct.pack("=I", len(keys))]
    for key in keys:
        parts += [key.encode(), b"\x00"]
    return b"".join(parts)


def _keys(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Every property name of *rows*, in the order they first appear.

    >>> _keys([{"id": 1, "b": 2}, {"a": 3, "id": 4}])
    ['id', 'b', 'a']
    """
    return list(dict.fromkeys(chain.from_iterable(rows)))


def _encode_rows(
    head: bytes, keys: list[str], rows: Iterable[tuple[bytes, dict[str, Any]]]
) -> bytes:
    """*head*, then per row its prefix (relationships: the ends) and its values by *keys*.

    The hot loop of a bulk load (400,000 rows in the held-back-style load): strings, most
    values, are inlined; every other value is encoded once per token and reused, since a
    load repeats them (its ``sources`` list on every row, small integers).  Floats are not
    reused: ``0.0 == -0.0`` would share one encoding.
    """
    parts = [head]
    add = parts.append
    seen: dict[tuple[Any, ...], bytes] = {}
    for prefix, props in rows:
        if prefix:
            add(prefix)
        values: Iterable[Any] = map(props.get, keys)
        for v in values:
            kind = type(v)
            if kind is str:
                add(b"\x03")
                add(v.encode())
                add(b"\x00")
                continue
            first = type(v[0]) if kind is list and v else None
            if kind is list and first is not float:  # one type per list (clean_props)
                memo: tuple[Any, ...] | None = (kind, first, *v)
            elif kind is int or kind is bool or v is None:
                memo = (kind, v)
            else:
                memo = None
            if memo is None:
                add(encode_value(v))
                continue
            try:
                encoded = seen.get(memo)
            except TypeError:  # an unhashable item: encode_value names it
                encoded, memo = None, None
            if encoded is None:
                encoded = encode_value(v)
                if memo is not None:
                    seen[memo] = encoded
            add(encoded)
    return b"".join(parts)


def encode_nodes(labels: Sequence[str], rows: Sequence[dict[str, Any]]) -> bytes:
    """The token creating one node per row of properties, with *labels* (allow-listed).

    >>> token = encode_nodes(["City", "Entity"], [{"id": "insee:1"}, {"id": "insee:2", "n": 3}])
    >>> token.startswith(b"City:Entity\\x00\\x02\\x00\\x00\\x00id\\x00n\\x00")
    True
    """
    keys = _keys(rows)
    return _encode_rows(_header(":".join(labels), keys), keys, ((b"", r) for r in rows))


def encode_relationships(rel_type: str, rows: Sequence[tuple[int, int, dict[str, Any]]]) -> bytes:
    """The token creating one *rel_type* relationship per ``(source, target, props)`` row,
    its ends given by internal node id."""
    keys = _keys(r[2] for r in rows)
    pack = _ENDS.pack
    return _encode_rows(_header(rel_type, keys), keys, ((pack(s, t), p) for s, t, p in rows))


class FalkorDBBulk:
    """The bulk writer of a :class:`~civicgraph.graph.backends.falkordb.FalkorDBBackend`
    (the :class:`~civicgraph.graph.bulk.BulkWriter` protocol)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def epoch(self) -> int:
        return int(self.backend.recoveries)

    def next_node_id(self) -> int | None:
        # FalkorDB gives a new node the lowest free slot: the next id after the last one
        # only when no node was ever deleted.  ``count == max + 1`` says there is no hole
        # below the last node; a hole above it (the last nodes deleted) is caught by
        # NodeIds.verify after the first batch.
        rows = self.backend.run("MATCH (n) RETURN count(n) AS n, max(id(n)) AS top")
        count, top = (rows[0]["n"], rows[0]["top"]) if rows else (0, None)
        if count == 0:
            return 0 if top is None else None
        return count if top == count - 1 else None

    def internal_ids(self, ids: Iterable[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        batch: list[str] = []
        query = "UNWIND $ids AS i MATCH (n:Entity {id: i}) RETURN n.id AS id, id(n) AS nid"
        for node_id in ids:
            batch.append(node_id)
            if len(batch) == 10000:
                out.update((r["id"], r["nid"]) for r in self.backend.run(query, {"ids": batch}))
                batch = []
        if batch:
            out.update((r["id"], r["nid"]) for r in self.backend.run(query, {"ids": batch}))
        return out

    def ids_at(self, internal: list[int]) -> dict[int, str]:
        rows = self.backend.run(
            # one id seek each (``id(n) IN $ids`` scans every node)
            "UNWIND $ids AS i MATCH (n) WHERE id(n) = i RETURN id(n) AS nid, n.id AS id",
            {"ids": internal},
        )
        return {r["nid"]: r["id"] for r in rows}

    def encode_nodes(self, labels: list[str], rows: list[dict[str, Any]]) -> bytes:
        return encode_nodes(labels, rows)

    def encode_relationships(
        self, rel_type: str, rows: list[tuple[int, int, dict[str, Any]]]
    ) -> bytes:
        return encode_relationships(rel_type, rows)

    def write(self, write: Any) -> None:
        self.backend.bulk(
            write.nodes, write.relationships, [*write.labels, *write.types], len(write.labels)
        )
