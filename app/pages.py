"""Graph pages in memory: what ``civicgraph serve`` frames and a notebook shows inline.

:func:`graph_page` turns result rows into the offline page of
:func:`civicgraph.graph.viz.render_html` (vis-network inlined, a Content-Security-Policy that
forbids any request); :class:`Page` holds it, saves it, and shows it in Jupyter as a
sandboxed ``<iframe srcdoc>`` (``_repr_html_``).

>>> from civicgraph.graph import open_store
>>> from civicgraph.queries import load_catalogue
>>> with open_store("civicgraph.db", create=False) as store:      # doctest: +SKIP
...     rows = load_catalogue().run(store, "network_members",
...                                 {"network": "net:anvita", "date": "2022-09-01"})
...     page = graph_page(store, rows, title="ANVITA on 2022-09-01")
>>> page                                                          # doctest: +SKIP
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from civicgraph.graph import viz
from civicgraph.graph.outfile import atomic_output

if TYPE_CHECKING:  # pragma: no cover - typing only
    from civicgraph.graph.store import Store
    from civicgraph.graph.viz import ColorBy, SizeBy

__all__ = ["Page", "explore_page", "graph_page"]

#: What a framed page may do in a notebook: run its own scripts and open a source's link in
#: a new tab; without ``allow-same-origin`` it cannot reach the notebook's page or cookies.
NOTEBOOK_SANDBOX = "allow-scripts allow-popups allow-popups-to-escape-sandbox"


@dataclass(frozen=True)
class Page:
    """One self-contained, offline graph page (HTML text), with its size.

    >>> page = Page("<!DOCTYPE html><title>t</title>", title="t", nodes=0, edges=0)
    >>> page.iframe(height=300).startswith('<iframe title="t"')
    True
    """

    html: str
    title: str
    nodes: int
    edges: int

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to *path* (replaced only when written whole); return the path."""
        out = Path(path)
        with atomic_output(out) as f:
            f.write(self.html.encode("utf-8"))
        return out

    def iframe(self, *, height: int = 600) -> str:
        """The page inside a sandboxed ``<iframe srcdoc>``: nothing to fetch or serve.

        The sandbox lets the page run its own scripts and open a source's link in a new
        tab; without ``allow-same-origin`` it cannot reach the page that embeds it.
        """
        return (
            f'<iframe title="{html.escape(self.title, quote=True)}" class="cg-graph" '
            f'sandbox="{NOTEBOOK_SANDBOX}" style="width:100%;height:{int(height)}px;border:0" '
            f'srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )

    def _repr_html_(self) -> str:
        """Jupyter shows the page inline, interactive and offline."""
        return self.iframe()


def graph_page(
    store: Store,
    rows: Iterable[Mapping[str, Any]],
    params: Mapping[str, Any] | None = None,
    *,
    title: str,
    neighbours: int = 0,
    as_of: str | date | None = None,
    color_by: ColorBy = "kind",
    size_by: SizeBy = "degree",
) -> Page:
    """The graph page of what *rows* hold: their nodes and relationships, the nodes their
    id columns and *params* name (:func:`~civicgraph.graph.viz.rows_to_graph`), with
    *neighbours* hops of context and the sources they cite.

    Parameters
    ----------
    store : Store
        Where ids are looked up.
    rows : iterable of dict
        Result rows (a :class:`~civicgraph.graph.results.QueryResult`, or ``store.query``'s).
    params : mapping, optional
        The parameters the rows came from (a network id there is drawn too).
    title : str
        The page's title.
    neighbours, as_of, color_by, size_by
        As ``civicgraph explore`` takes them.

    Returns
    -------
    Page
        With ``nodes == 0`` when the rows name nothing to draw.
    """
    G = viz.rows_to_graph(store, rows, params)
    if neighbours:
        viz.expand_neighbours(store, G, hops=neighbours)
    text = viz.render_html(
        G,
        title=title,
        as_of=as_of,
        color_by=color_by,
        size_by=size_by,
        sources=viz.fetch_sources(store, G),
    )
    return Page(text, title, G.number_of_nodes(), G.number_of_edges())


def explore_page(
    store: Store,
    *,
    query: str | None = None,
    params: Mapping[str, Any] | None = None,
    cypher: str | None = None,
    everything: bool = False,
    neighbours: int = 0,
    as_of: str | date | None = None,
    color_by: ColorBy = "kind",
    size_by: SizeBy = "degree",
    title: str | None = None,
) -> Page:
    """What a stored query (or a read-only statement, or the whole graph) returns, as a
    page in memory: ``civicgraph explore`` without the file.  In Jupyter it shows inline.

    Examples
    --------
    >>> explore_page(store, query="network_members",                 # doctest: +SKIP
    ...              params={"network": "net:anvita", "date": "2022-09-01"})
    """
    from civicgraph.queries import load_catalogue

    if sum(bool(x) for x in (query, cypher, everything)) != 1:
        raise ValueError("give exactly one of a query name, cypher, or everything")
    rows: Iterable[Mapping[str, Any]]
    if query:
        rows = load_catalogue().run(store, query, dict(params or {}))
        title = title or f"{query} " + " ".join(f"{k}={v}" for k, v in (params or {}).items())
    elif cypher:
        rows = store.query(cypher, dict(params or {}))
        title = title or "civicgraph"
    else:
        rows = store.query("MATCH (n) OPTIONAL MATCH (n)-[r]->(m) RETURN n, r, m")
        title = title or "civicgraph: the whole graph"
    return graph_page(
        store,
        rows,
        params,
        title=title,
        neighbours=neighbours,
        as_of=as_of,
        color_by=color_by,
        size_by=size_by,
    )
