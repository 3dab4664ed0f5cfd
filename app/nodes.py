"""One actor as ``civicgraph serve``'s ``/node/<id>`` shows it: its properties, its
relationships over time, and the sources behind each.

>>> from civicgraph.graph import open_store
>>> with open_store("civicgraph.db", create=False) as store:      # doctest: +SKIP
...     view = node_view(store, "insee:38185")
>>> view.name, [r.type for r in view.relationships][:2]          # doctest: +SKIP
('Grenoble', ['MAYOR_OF', 'MAYOR_OF'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from civicgraph.graph import Model, UnknownLabel, dates, load_model
from civicgraph.graph.records import Node, Relationship, to_plain
from civicgraph.graph.viz import build_graph, fetch_sources
from civicgraph.graph.viz.rows import as_list

if TYPE_CHECKING:  # pragma: no cover - typing only
    from civicgraph.graph.store import Store

__all__ = ["NodeView", "RelationshipView", "node_view", "RELATIONSHIP_LIMIT"]

#: At most this many relationships on a page (a département's ``PART_OF``s, a party's members).
RELATIONSHIP_LIMIT = 1000

_NODE = "MATCH (n:Entity {id: $id}) RETURN n"
_RELATIONSHIPS = "MATCH (n:Entity {id: $id})-[r]-(m) RETURN n, r, m LIMIT $limit"
_COUNT = "MATCH (n:Entity {id: $id})-[r]-() RETURN count(r) AS n"
#: Shown in their own columns, or as the relationship's identity, not among its details.
_OWN_COLUMNS = ("id", "start", "end", "sources")


@dataclass
class RelationshipView:
    """One relationship seen from the node: its direction, the other end, its period."""

    type: str
    outgoing: bool
    other: Node
    start: str | None
    end: str | None
    #: the other properties, dates at their precision; derived ones in :attr:`derived`
    details: dict[str, Any]
    derived: frozenset[str]
    sources: list[str]


@dataclass
class NodeView:
    """A node, its relationships (ordered by start; undated ones last) and cited sources."""

    node: Node
    properties: dict[str, Any]
    derived: frozenset[str]
    relationships: list[RelationshipView]
    #: how many relationships the node has (the view holds at most RELATIONSHIP_LIMIT)
    total: int
    #: source id → {"title", "url"} for every source cited on the page
    sources: dict[str, dict[str, Any]]
    #: the rows the view was read from (node, relationship, other end), for its graph
    rows: list[dict[str, Any]] = field(repr=False, default_factory=list)

    @property
    def id(self) -> str:
        return str(self.node.id)

    @property
    def name(self) -> str:
        return str(self.node.properties.get("name") or self.node.id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"node", "relationships", "sources", "total"}``."""
        return {
            "node": {
                "id": self.node.id,
                "label": self.node.label,
                "labels": list(self.node.labels),
                "properties": to_plain(self.properties),
                "derived": sorted(self.derived & set(self.properties)),
                "sources": [str(s) for s in as_list(self.node.properties.get("sources"))],
            },
            "relationships": [
                {
                    "type": r.type,
                    "direction": "out" if r.outgoing else "in",
                    "other": {"id": r.other.id, "label": r.other.label, "name": _name(r.other)},
                    "start": r.start,
                    "end": r.end,
                    "details": to_plain(r.details),
                    "derived": sorted(r.derived & set(r.details)),
                    "sources": r.sources,
                }
                for r in self.relationships
            ],
            "total": self.total,
            "sources": self.sources,
        }


def node_view(store: Store, node_id: str, *, limit: int = RELATIONSHIP_LIMIT) -> NodeView | None:
    """The node *node_id* with its relationships and sources, or ``None`` when no node has
    that id.

    Parameters
    ----------
    store : Store
        Read with ``store.query`` only (read-only).
    node_id : str
        A civicgraph id, e.g. ``insee:38185``.
    limit : int
        At most this many relationships (``NodeView.total`` says how many there are).
    """
    found = store.query(_NODE, {"id": node_id})
    if not found:
        return None
    node: Node = found[0]["n"]
    rows = store.query(_RELATIONSHIPS, {"id": node_id, "limit": limit})
    total = len(rows)
    if total >= limit:
        total = int(store.query(_COUNT, {"id": node_id})[0]["n"])
    model = load_model()
    rels = [_relationship(row["r"], row["m"], node_id, model) for row in rows]
    rels.sort(key=lambda r: (r.start is None, r.start or "", r.type, _name(r.other)))
    props = {k: v for k, v in node.properties.items() if k not in ("id", "sources")}
    return NodeView(
        node=node,
        properties=dates.display_row(props),
        derived=_derived(model, node.label),
        relationships=rels,
        total=total,
        sources=fetch_sources(store, build_graph([{"n": node}, *rows])),
        rows=[dict(r) for r in rows] or [{"n": node}],
    )


def _relationship(rel: Relationship, other: Node, node_id: str, model: Model) -> RelationshipView:
    shown = dates.display_row(rel.properties)
    return RelationshipView(
        type=rel.type,
        outgoing=rel.start == node_id,
        other=other,
        start=shown.get("start"),
        end=shown.get("end"),
        details={k: v for k, v in shown.items() if k not in _OWN_COLUMNS},
        derived=_derived(model, rel.type),
        sources=[str(s) for s in as_list(rel.properties.get("sources"))],
    )


def _derived(model: Model, name: str) -> frozenset[str]:
    try:
        return model.derived_properties(name)
    except UnknownLabel:  # a label outside the schema (a raw Cypher write): none known
        return frozenset()


def _name(node: Node) -> str:
    props: Mapping[str, Any] = node.properties
    return str(props.get("name") or props.get("title") or node.id or "")
