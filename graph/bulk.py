"""Creating a load's new nodes and relationships through the engine's bulk command.

On the embedded FalkorDB engine a batch of rows the store does not hold (the ``CREATE``
part of a load, see :mod:`civicgraph.loaders.base`) can be sent as one binary
``GRAPH.BULK`` command instead of ``UNWIND $rows … CREATE``: no Cypher to parse, no
parameters to quote, no ``MATCH`` of each relationship's ends.  Relationships address
their ends by the engine's *internal* node id, which :class:`NodeIds` keeps: the ids of
the stored nodes the load touches (asked once, before any write) and those of the nodes
it creates, which the engine gives out in order (checked after every node batch).

Everything else stays as it is: the rows, their validation, their counts and journal
entries, the ``MERGE`` of what the store holds.  Each bulk batch keeps its ``CREATE``
statement as a fallback, used whenever the internal ids cannot be trusted (a store that
had nodes deleted, an engine restarted by its supervisor, a check that failed): the
graph comes out the same either way (``tests/loaders/test_bulk.py`` compares digests).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .writes import PreparedWrite, WriteCounts, prepared_write

__all__ = ["BulkWrite", "BulkWriter", "NodeIds", "bulk_nodes", "bulk_relationships"]


class BulkWriter(Protocol):
    """What an engine with a bulk command offers (``FalkorDBBackend.bulk_writer``)."""

    def epoch(self) -> int:
        """Changes whenever the engine was restarted (its internal ids may have moved)."""
        ...

    def next_node_id(self) -> int | None:
        """The internal id the next new node gets, or ``None`` when it cannot be told."""
        ...

    def internal_ids(self, ids: Iterable[str]) -> dict[str, int]: ...

    def ids_at(self, internal: list[int]) -> dict[int, str]: ...

    def encode_nodes(self, labels: list[str], rows: list[dict[str, Any]]) -> bytes: ...

    def encode_relationships(
        self, rel_type: str, rows: list[tuple[int, int, dict[str, Any]]]
    ) -> bytes: ...

    def write(self, write: BulkWrite) -> None: ...


class NodeIds:
    """The internal node ids one load knows, and whether they can still be trusted."""

    def __init__(self, writer: BulkWriter, start: int) -> None:
        self.writer = writer
        self.ids: dict[str, int] = {}
        self.next = start
        self.valid = True
        self.at_epoch = writer.epoch()

    @classmethod
    def open(cls, writer: BulkWriter | None) -> NodeIds | None:
        """Ids for a load through *writer*, or ``None`` (no bulk command, or a store whose
        next internal id cannot be told: it had nodes deleted)."""
        if writer is None:
            return None
        start = writer.next_node_id()
        return None if start is None else cls(writer, start)

    def learn(self, ids: Iterable[str]) -> None:
        """Ask the engine the internal ids of stored nodes the load will link to."""
        self.ids.update(self.writer.internal_ids(ids))

    def assign(self, ids: list[str]) -> dict[int, str]:
        """Give *ids* (nodes about to be created, in order) the next internal ids; return
        the first and last, for :meth:`verify` once written."""
        first = self.next
        for offset, node_id in enumerate(ids):
            self.ids[node_id] = first + offset
        self.next = first + len(ids)
        return {first: ids[0], self.next - 1: ids[-1]} if ids else {}

    def usable(self) -> bool:
        """Whether the bulk command may still be used (the engine was not restarted and
        every node batch took the ids :meth:`assign` expected)."""
        if self.valid and self.writer.epoch() != self.at_epoch:
            self.valid = False
        return self.valid

    def verify(self, expected: dict[int, str]) -> None:
        """After a node batch: did its first and last node get the expected ids?  If not,
        the relationships still to come are created by statements instead."""
        if expected and self.writer.ids_at(sorted(expected)) != expected:
            self.valid = False


@dataclass
class BulkWrite:
    """Rows of one batch to create with the bulk command, and the same rows as ``CREATE``
    statements (*fallback*) for when it cannot be used (:meth:`NodeIds.usable`)."""

    ids: NodeIds
    nodes: int = 0
    relationships: int = 0
    labels: list[bytes] = field(default_factory=list)
    types: list[bytes] = field(default_factory=list)
    fallback: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: internal id → node id, checked once the batch is written (node batches)
    expected: dict[int, str] = field(default_factory=dict)


def bulk_nodes(prepared: PreparedWrite, ids: NodeIds, labels: list[str]) -> PreparedWrite:
    """*prepared* (from :func:`~civicgraph.graph.writes.prepared_write`, with rows to
    create) with its ``CREATE`` statement, the first, sent as one bulk command instead."""
    create = prepared.statements[0]
    rows: list[dict[str, Any]] = create[1]["rows"]
    write = BulkWrite(
        ids,
        nodes=len(rows),
        labels=[ids.writer.encode_nodes(labels, rows)],
        fallback=[create],
    )
    write.expected = ids.assign([r["id"] for r in rows])
    return PreparedWrite(prepared.statements[1:], prepared.counts, prepared.idempotent, write)


def bulk_relationships(
    rel_type: str,
    create_text: str,
    merge: tuple[str, list[dict[str, Any]]],
    to_create: list[dict[str, Any]],
    counts: WriteCounts,
    ids: NodeIds,
) -> PreparedWrite:
    """The write of a relationship batch whose new rows with both ends' internal ids known
    go as one bulk command; the others keep their ``CREATE`` statement."""
    known = ids.ids
    fast, slow, ends = [], [], []
    for m in to_create:
        source, target = known.get(m["source"]), known.get(m["target"])
        if source is None or target is None:
            slow.append(m)
        else:
            fast.append(m)
            ends.append((source, target, m["props"]))
    if not fast:
        return prepared_write((create_text, to_create), merge, to_create, counts)
    prepared = prepared_write((create_text, slow), merge, to_create, counts)
    encoded = ids.writer.encode_relationships(rel_type, ends)
    write = BulkWrite(
        ids,
        relationships=len(fast),
        types=[encoded],
        fallback=[(create_text, {"rows": fast})],
    )
    return PreparedWrite(prepared.statements, prepared.counts, prepared.idempotent, write)
