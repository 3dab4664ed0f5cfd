"""``explore``: turn a stored query, an ad-hoc statement or the whole graph into a pyvis page.

Stored queries often return ids and names rather than nodes (``network_members`` returns one
row per member).  The page still needs nodes and relationships, so ids found in the rows —
and node ids given as parameters, such as the network — are looked up, with the
relationships among them; ``neighbours`` adds their N-hop context.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .store import Store

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .viz import ColorBy, SizeBy

__all__ = ["explore", "rows_to_graph"]

_ID_PREFIXES = (
    "insee:",
    "dep:",
    "reg:",
    "rne:",
    "person:",
    "wd:",
    "party:",
    "org:",
    "net:",
    "event:",
    "src:",
    "stat:",
    "nuance:",
)


def _ids_in(value: Any, out: set[str]) -> None:
    if isinstance(value, str):
        if value.startswith(_ID_PREFIXES) and not value.startswith("src:"):
            out.add(value)
    elif isinstance(value, list | tuple):
        for v in value:
            _ids_in(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _ids_in(v, out)


def rows_to_graph(
    store: Store, rows: Iterable[dict[str, Any]], params: dict[str, Any] | None = None
) -> Any:
    """A networkx graph of the nodes and relationships in *rows* (or named by their ids)."""
    from . import viz

    rows = list(rows)
    G = viz.build_graph(rows)
    ids: set[str] = set()
    for row in rows:
        for key, value in row.items():
            if key in ("id", "ids", "path", "networks", "person") or key.endswith("_id"):
                _ids_in(value, ids)
    _ids_in(list((params or {}).values()), ids)
    ids -= set(G)
    if ids:
        found = store.query("MATCH (n:Entity) WHERE n.id IN $ids RETURN n", {"ids": sorted(ids)})
        viz_rows = list(found)
        every = sorted(ids | {n for n in G if isinstance(n, str)})
        viz_rows += store.query(
            "MATCH (a:Entity)-[r]->(b:Entity) WHERE a.id IN $ids AND b.id IN $ids RETURN a, r, b",
            {"ids": every},
        )
        for row in viz_rows:
            viz._collect(G, row)
    return G


def explore(
    store: Store,
    output: str | os.PathLike[str],
    *,
    query: str | None = None,
    params: dict[str, Any] | None = None,
    cypher: str | None = None,
    everything: bool = False,
    neighbours: int = 0,
    as_of: str | None = None,
    color_by: ColorBy = "kind",
    size_by: SizeBy = "degree",
    title: str | None = None,
) -> dict[str, Any]:
    """Render what a stored query (or statement, or the whole graph) returns as a page.

    Returns a summary: ``{"path", "nodes", "edges"}``.
    """
    from civicgraph.queries import load_catalogue

    from . import viz

    chosen = sum(bool(x) for x in (query, cypher, everything))
    if chosen != 1:
        raise ValueError("give exactly one of a query name, cypher, or everything")
    if query:
        rows = load_catalogue().run(store, query, params or {})
        title = title or f"{query} " + " ".join(f"{k}={v}" for k, v in (params or {}).items())
    elif cypher:
        rows = store.query(cypher, params or {})
        title = title or "civicgraph"
    else:
        rows = store.query("MATCH (n) OPTIONAL MATCH (n)-[r]->(m) RETURN n, r, m")
        title = title or "civicgraph: the whole graph"
    G = rows_to_graph(store, rows, params)
    if neighbours:
        viz.expand_neighbours(store, G, hops=neighbours)
    path = viz.render(
        G,
        Path(output),
        title=title,
        as_of=as_of,
        color_by=color_by,
        size_by=size_by,
        sources=viz.fetch_sources(store, G),
    )
    return {"path": str(path), "nodes": G.number_of_nodes(), "edges": G.number_of_edges()}
