"""``explore``: turn a stored query, an ad-hoc statement or the whole graph into a pyvis page;
``render_case``: the page of a city network, from the stored query ``network_graph``.

Stored queries often return ids and names rather than nodes (``network_members`` returns one
row per member).  The page still needs nodes and relationships, so ids found in the rows —
and node ids given as parameters, such as the network — are looked up, with the
relationships among them (:func:`civicgraph.graph.viz.rows_to_graph`); ``neighbours`` adds
their N-hop context.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from civicgraph.graph.store import Store

if TYPE_CHECKING:  # pragma: no cover - typing only
    from civicgraph.graph.viz import ColorBy, SizeBy

__all__ = ["explore", "render_case"]


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
    from civicgraph.graph import viz
    from civicgraph.queries import load_catalogue

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
    G = viz.rows_to_graph(store, rows, params)
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


def render_case(
    store: Store,
    path: str | os.PathLike[str],
    *,
    network: str,
    as_of: str | date | None = None,
    color_by: ColorBy | None = None,
    size_by: SizeBy | Literal["auto"] = "auto",
    title: str | None = None,
) -> Path:
    """Render a city network's members, their mayors over time, its alliances and partners
    (CSOs included), the mayors' parties, and the cited sources.

    Parameters
    ----------
    store : Store
        The store to read from.
    path : str or os.PathLike
        Where to write the page.
    network : str
        The ``Network`` node's id, e.g. ``"net:anvita"``.
    as_of : str or datetime.date, optional
        Initial date of the page (default: all dates).
    color_by : {"kind", "party", "nuance"}, optional
        As in :func:`render`.  By default ``party`` when the page shows mayoral terms (each
        city takes the colour of its mayor's party attribution on the slider's date, the
        latest with no date), else ``kind``.
    size_by : {"degree", "population", None, "auto"}, default "auto"
        As in :func:`render`; ``auto`` is ``population`` when some node has one, else
        ``degree``.
    title : str, optional
        Defaults to ``"<network name>: members, mayors and sources"``.

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> render_case(store, "anvita.html", network="net:anvita")       # doctest: +SKIP
    """
    from civicgraph.graph import viz
    from civicgraph.graph.viz.style import NUANCE_TYPES, number
    from civicgraph.queries import load_catalogue

    G = viz.build_graph(load_catalogue().run(store, "network_graph", {"network": network}))
    if color_by is None:
        offices = [d for *_, d in G.edges(data=True) if d.get("type") in NUANCE_TYPES]
        color_by = "party" if offices else "kind"
    if size_by == "auto":
        has_population = any(number(p) for _, p in G.nodes(data="population"))
        size_by = "population" if has_population else "degree"
    if title is None:
        name = G.nodes[network].get("name", network) if network in G else network
        title = f"{name}: members, mayors and sources"
    return viz.render(
        G,
        path,
        title=title,
        as_of=as_of,
        color_by=color_by,
        size_by=size_by,
        sources=viz.fetch_sources(store, G),
    )
