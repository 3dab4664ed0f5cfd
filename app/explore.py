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
    caption: str | None = None,
) -> dict[str, Any]:
    """Render what a stored query (or statement, or the whole graph) returns as a page.

    The page is :func:`civicgraph.app.pages.explore_page`'s: a stored query's title and
    caption come from its description, and the page opens on its date parameter.

    Returns a summary: ``{"path", "nodes", "edges"}``.
    """
    from .pages import explore_page

    page = explore_page(
        store,
        query=query,
        params=params,
        cypher=cypher,
        everything=everything,
        neighbours=neighbours,
        as_of=as_of,
        color_by=color_by,
        size_by=size_by,
        title=title,
        caption=caption,
    )
    path = page.save(Path(output))
    return {"path": str(path), "nodes": page.nodes, "edges": page.edges}


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
        By default the title and caption come from the description of ``network_graph``
        (``ANVITA's members and their mayors over time``).

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

    from .pages import query_page_text

    stored = load_catalogue().get("network_graph")
    rows = stored.run(store, {"network": network})
    text = query_page_text(store, stored, rows.params)
    G = viz.build_graph(rows)
    if color_by is None:
        offices = [d for *_, d in G.edges(data=True) if d.get("type") in NUANCE_TYPES]
        color_by = "party" if offices else "kind"
    if size_by == "auto":
        has_population = any(number(p) for _, p in G.nodes(data="population"))
        size_by = "population" if has_population else "degree"
    return viz.render(
        G,
        path,
        title=title or text.title,
        caption=text.caption,
        as_of=as_of,
        color_by=color_by,
        size_by=size_by,
        sources=viz.fetch_sources(store, G),
    )
