"""Engine-neutral result values: every backend turns its driver's objects into these.

Rows come back as plain ``dict``s; a node or relationship inside a row becomes a
:class:`Node` or :class:`Relationship` keyed by civicgraph's own ``id`` property (never an
engine-internal id, which differs between engines and is not stable across restarts).
That id is ``None`` for a node without an ``id`` property (one made by a raw Cypher
write, say), and a relationship's ``start``/``end`` is ``None`` when its endpoint has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Node", "Path", "Relationship", "to_plain"]


@dataclass(frozen=True)
class Node:
    id: str | None
    labels: tuple[str, ...]
    properties: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        """The node's specific label (not ``Entity``/``Actor``)."""
        for lab in self.labels:
            if lab not in ("Entity", "Actor"):
                return lab
        return self.labels[0] if self.labels else ""


@dataclass(frozen=True)
class Relationship:
    type: str
    start: str | None
    end: str | None
    properties: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def id(self) -> str:
        return str(self.properties.get("id", f"{self.type}|{self.start}|{self.end}|"))


@dataclass(frozen=True)
class Path:
    nodes: tuple[Node, ...]
    relationships: tuple[Relationship, ...]


def to_plain(value: Any) -> Any:
    """Turn records into JSON-ready values (for ``--format json`` and CSV)."""
    if isinstance(value, Node):
        return {"id": value.id, "labels": list(value.labels), **value.properties}
    if isinstance(value, Relationship):
        return {"type": value.type, "source": value.start, "target": value.end, **value.properties}
    if isinstance(value, Path):
        return {
            "nodes": [to_plain(n) for n in value.nodes],
            "relationships": [to_plain(r) for r in value.relationships],
        }
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value
