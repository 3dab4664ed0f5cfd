"""Interactive, offline pyvis pages, in three steps:

* :mod:`.rows` — what a query returns, as a networkx graph (:func:`build_graph`,
  :func:`rows_to_graph`, :func:`expand_neighbours`, :func:`fetch_sources`);
* :mod:`.layout` — positions for large graphs (:func:`force_layout`);
* :mod:`.page` — the self-contained HTML page (:func:`render`), with :mod:`.style` saying
  what each node and edge looks like on each date.

>>> from civicgraph.graph.viz import build_graph, render
>>> with open_store("civicgraph.db") as store:                      # doctest: +SKIP
...     G = build_graph(store.query("MATCH (a)-[r:MEMBER_OF]->(b) RETURN a, r, b"))
...     render(G, "members.html", title="Members", as_of="2022-09-01")
"""

from .layout import force_layout
from .page import COLOR_BY, SIZE_BY, ColorBy, PageOptions, SizeBy, render, render_html
from .rows import build_graph, expand_neighbours, fetch_sources, named_ids, rows_to_graph

__all__ = [
    "COLOR_BY",
    "SIZE_BY",
    "ColorBy",
    "PageOptions",
    "SizeBy",
    "build_graph",
    "expand_neighbours",
    "fetch_sources",
    "force_layout",
    "named_ids",
    "render",
    "render_html",
    "rows_to_graph",
]
