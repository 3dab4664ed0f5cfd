"""Interactive, offline pyvis pages: time, sources and thousands of nodes.

A page is one self-contained HTML file: vis-network (vendored inside the pyvis package), its
stylesheet, civicgraph's own controls and the data are all inlined, and a Content-Security-
Policy forbids the page from loading anything, so it opens from a USB stick on a machine with
no network.  pyvis' own templates always reference bootstrap on a CDN (and tom-select for
``select_menu``/``filter_menu``), even with ``cdn_resources="in_line"``; this module therefore
fills a pyvis :class:`~pyvis.network.Network` and renders it with its own template
(``assets/explore.html``) instead of ``Network.write_html``.

>>> from civicgraph.graph import open_store
>>> from civicgraph.graph.viz import build_graph, render
>>> with open_store("civicgraph.db") as store:                      # doctest: +SKIP
...     G = build_graph(store.query("MATCH (a)-[r:MEMBER_OF]->(b) RETURN a, r, b"))
...     render(G, "members.html", title="Members", as_of="2022-09-01")
"""

from __future__ import annotations

import html
import json
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import networkx as nx
import numpy as np

from . import dates
from .model import load_model
from .outfile import atomic_output
from .records import Node, Relationship
from .records import Path as GraphPath

if TYPE_CHECKING:
    from pyvis.network import Network

    from .store import Store

__all__ = [
    "build_graph",
    "expand_neighbours",
    "fetch_sources",
    "force_layout",
    "render",
    "render_case",
    "COLOR_BY",
    "SIZE_BY",
]

#: Accepted values of ``render(color_by=...)`` and ``render(size_by=...)``.
COLOR_BY = ("kind", "party", "nuance")
SIZE_BY = ("degree", "population", None)

ColorBy = Literal["kind", "party", "nuance"]
SizeBy = Literal["degree", "population"] | None

_VIS_DIR = "templates/lib/vis-9.1.2"
_NO_VALUE = "(none)"
_NO_VALUE_COLOUR = "#c8c8c8"
_TIP_ROWS = 14
_TIP_VALUE_CHARS = 320
_LABEL_CHARS = 36
# Pixels per unit of force_layout's ideal edge length when positions are computed in Python.
_PX_PER_UNIT = 45.0

_KIND_COLOURS = {
    "City": "#4e79a7",
    "Person": "#f28e2b",
    "Party": "#b07aa1",
    "Network": "#59a14f",
    "Organization": "#76b7b2",
    "Event": "#edc948",
    "Departement": "#9c755f",
    "Region": "#7f6a5b",
    "Source": "#bab0ac",
    "Statistic": "#ff9da7",
    "Nuance": "#d4a6c8",
}
_SHAPES = {"Network": "diamond", "Party": "square", "Event": "triangle", "Source": "dot"}

# French party shorts and the ministry's nuance codes (with and without the "L" list
# prefix) in their customary colours; anything else gets a categorical colour.
_PARTY_COLOURS = {
    **dict.fromkeys(["EELV", "ECO", "VEC", "LVEC", "LECO", "EE-LV", "LE", "VERTS"], "#3aa845"),
    **dict.fromkeys(["PS", "SOC", "LSOC"], "#e4007c"),
    **dict.fromkeys(["PCF", "COM", "LCOM"], "#d40000"),
    **dict.fromkeys(["LFI", "FI", "LFI-NFP"], "#c9462c"),
    **dict.fromkeys(["DVG", "LDVG", "PRG", "LRDG"], "#f29fc5"),
    **dict.fromkeys(["UG", "LUG", "NFP", "UGE", "LUGE"], "#ea5a8f"),
    **dict.fromkeys(["EXG", "LEXG", "LO", "NPA"], "#8b0000"),
    **dict.fromkeys(["LR", "LLR", "UMP", "LUMP", "RPR"], "#1f5fbf"),
    **dict.fromkeys(["DVD", "LDVD"], "#7aa6e0"),
    **dict.fromkeys(["UD", "LUD", "UDI", "LUDI", "UC", "LUC"], "#4ba3c7"),
    **dict.fromkeys(["MODEM", "MDM", "LMDM", "DEM"], "#f39200"),
    **dict.fromkeys(["RE", "REM", "LREM", "ENS", "LENS", "REN", "HOR", "LHOR"], "#f7c600"),
    **dict.fromkeys(["DVC", "LDVC", "CEN", "LCEN"], "#ffd98a"),
    **dict.fromkeys(["RN", "FN", "LRN", "LFN"], "#0d2a5c"),
    **dict.fromkeys(["EXD", "LEXD", "REC", "LREC", "DLF", "LDLF"], "#404060"),
    **dict.fromkeys(["REG", "LREG"], "#a0785a"),
    **dict.fromkeys(["DIV", "LDIV", "SE", "NC", "DSV", "LDSV"], "#a7a7a7"),
}
_CATEGORICAL = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#8cd17d",
    "#b6992d",
    "#499894",
    "#86bcb6",
    "#d37295",
    "#fabfd2",
    "#79706e",
    "#d4a6c8",
    "#a0cbe8",
    "#f1ce63",
]
_EDGE_COLOURS = {
    "MEMBER_OF": "#6aa86a",
    "MAYOR_OF": "#e8913a",
    "PRESIDENT_OF": "#e15759",
    "COUNCILLOR_OF": "#e3c14d",
    "PART_OF": "#b9b2aa",
    "PARTNER_OF": "#5fa8a3",
    "PARTICIPATED_IN": "#9d7660",
    "SIGNED": "#d37295",
    "ORGANISED": "#7fa9d6",
    "ABOUT": "#c79bc0",
    "CITES": "#c8c8c8",
    "MAPS_TO": "#8cc57d",
}
_EDGE_DEFAULT_COLOUR = "#9a9a9a"
# Relationship types whose ``nuance`` gives the colour of both ends under color_by="nuance".
_NUANCE_TYPES = ("MAYOR_OF", "PRESIDENT_OF")


# -- building the networkx graph ---------------------------------------------------------


def build_graph(rows: Iterable[Mapping[str, Any]] | Iterable[Any]) -> nx.MultiDiGraph:
    """Collect every node, relationship and path in query result rows into a graph.

    Values are found anywhere in a row: as columns, inside lists (``collect(r)``) or maps.
    A relationship whose end nodes are not in the rows still gets them, as bare nodes that
    carry only their id (a later row returning the node fills in its properties).

    Parameters
    ----------
    rows : iterable of dict
        Rows as returned by :meth:`civicgraph.graph.Store.query`.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes keyed by civicgraph id, with the node's properties plus ``label`` (its specific
        label, e.g. ``City``); edges keyed by the relationship's ``id``, with ``type`` and the
        relationship's properties (``start``, ``end``, ``sources`` …).

    Examples
    --------
    >>> from civicgraph.graph import Node, Relationship
    >>> a = Node("insee:38185", ("City", "Entity", "Actor"), {"id": "insee:38185", "name": "Grenoble"})
    >>> n = Node("net:anvita", ("Network", "Entity", "Actor"), {"id": "net:anvita", "name": "ANVITA"})
    >>> r = Relationship("MEMBER_OF", a.id, n.id, {"start": "2018-09-26"})
    >>> G = build_graph([{"a": a, "r": r, "b": n}])
    >>> G.nodes["insee:38185"]["label"], list(G.edges(data="type"))
    ('City', [('insee:38185', 'net:anvita', 'MEMBER_OF')])
    """
    G = nx.MultiDiGraph()
    for row in rows:
        _collect(G, row)
    return G


def _collect(G: nx.MultiDiGraph, value: Any) -> None:
    if isinstance(value, Node):
        _add_node(G, value)
    elif isinstance(value, Relationship):
        _add_relationship(G, value)
    elif isinstance(value, GraphPath):
        for node in value.nodes:
            _add_node(G, node)
        for rel in value.relationships:
            _add_relationship(G, rel)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect(G, item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _collect(G, item)


def _add_node(G: nx.MultiDiGraph, node: Node) -> None:
    if node.id is None:
        return
    attrs = dict(node.properties)
    attrs["label"] = node.label
    if node.id in G:
        G.nodes[node.id].update(attrs)
    else:
        G.add_node(node.id, **attrs)


def _add_relationship(G: nx.MultiDiGraph, rel: Relationship) -> None:
    if rel.start is None or rel.end is None:
        return
    for end in (rel.start, rel.end):
        if end not in G:
            G.add_node(end, id=end, label="")
    G.add_edge(rel.start, rel.end, key=rel.id, type=rel.type, **rel.properties)


def expand_neighbours(
    store: Store, G: nx.MultiDiGraph, hops: int = 1, *, max_nodes: int | None = None
) -> nx.MultiDiGraph:
    """Add the *hops*-hop neighbourhood of *G*'s nodes from *store*, in place.

    Each hop asks only about the nodes the previous hop added (the first hop about all of
    *G*), with the ids passed as a query parameter.

    Parameters
    ----------
    store : Store
        The store to read from.
    G : networkx.MultiDiGraph
        A graph from :func:`build_graph`; it is modified and returned.
    hops : int, default 1
        How many steps to expand; ``0`` does nothing.
    max_nodes : int, optional
        Stop expanding once *G* holds at least this many nodes (the hop that crosses the
        limit is kept whole, so the result may exceed it).

    Returns
    -------
    networkx.MultiDiGraph
        *G* itself.

    Examples
    --------
    >>> G = expand_neighbours(store, build_graph(rows), hops=1)       # doctest: +SKIP
    """
    frontier = [n for n in G if isinstance(n, str)]
    for _ in range(max(0, hops)):
        if not frontier or (max_nodes is not None and G.number_of_nodes() >= max_nodes):
            break
        before = set(G)
        rows = store.query(
            "MATCH (n:Entity) WHERE n.id IN $ids MATCH (n)-[r]-(m) RETURN n, r, m",
            {"ids": frontier},
        )
        for row in rows:
            _collect(G, row)
        frontier = [n for n in G if n not in before and isinstance(n, str)]
    return G


def fetch_sources(store: Store, G: nx.Graph) -> dict[str, dict[str, Any]]:
    """Look up the ``Source`` nodes that *G*'s nodes and edges cite.

    Parameters
    ----------
    store : Store
        The store holding the ``Source`` nodes.
    G : networkx.Graph
        Any graph whose node or edge attributes carry ``sources`` (lists of source ids).

    Returns
    -------
    dict
        Source id → ``{"title": …, "url": …}``, ready for ``render(sources=...)``.

    Examples
    --------
    >>> render(G, "page.html", sources=fetch_sources(store, G))      # doctest: +SKIP
    """
    ids = sorted(_cited_sources(G))
    if not ids:
        return {}
    rows = store.query(
        "MATCH (s:Source) WHERE s.id IN $ids RETURN s.id AS id, s.title AS title, s.url AS url",
        {"ids": ids},
    )
    return {r["id"]: {"title": r.get("title"), "url": r.get("url")} for r in rows}


def _cited_sources(G: nx.Graph) -> set[str]:
    found: set[str] = set()
    for _, data in G.nodes(data=True):
        found.update(_as_list(data.get("sources")))
    for *_, data in G.edges(data=True):
        found.update(_as_list(data.get("sources")))
    return {s for s in found if isinstance(s, str)}


# -- layout --------------------------------------------------------------------------------


def force_layout(
    G: nx.Graph, *, iterations: int = 80, seed: int = 42, gravity: float = 1.0
) -> dict[Any, tuple[float, float]]:
    """Position nodes with a grid-accelerated Fruchterman–Reingold layout (numpy only).

    Attraction along edges is exact; the all-pairs repulsion is computed on a grid with an
    FFT convolution (particle–mesh), so one iteration costs O(n + E + g² log g) instead of
    O(n²).  5,000 nodes and 10,000 edges take about half a second.

    Parameters
    ----------
    G : networkx.Graph
        Any graph; direction and parallel edges are ignored.
    iterations : int, default 80
        Steps of the cooling schedule.
    seed : int, default 42
        Seed of the random start, so the same graph always gets the same picture.
    gravity : float, default 1.0
        Pull towards the centre, which keeps isolated nodes and small components close.

    Returns
    -------
    dict
        Node → ``(x, y)``, with an ideal edge length of about 1.

    Notes
    -----
    Nodes without relationships are not simulated (repulsion would fling them to a ring far
    around the graph and shrink everything else on screen): they sit on a grid under it.

    Measured for 5,000 nodes and 10,000 edges on two cores: ``nx.spring_layout`` needs
    SciPy at 500 nodes and more, and with SciPy took 46 s (30 iterations);
    ``nx.forceatlas2_layout`` (dense numpy) took 22 s for 10 iterations and 1.2 GB.

    Examples
    --------
    >>> pos = force_layout(nx.path_graph(4), iterations=20)
    >>> sorted(pos) == [0, 1, 2, 3] and all(len(p) == 2 for p in pos.values())
    True
    """
    linked: set[Any] = set()
    for u, v in G.edges():
        if u != v:
            linked.update((u, v))
    nodes = [v for v in G if v in linked]
    isolated = [v for v in G if v not in linked]
    index = {v: i for i, v in enumerate(nodes)}
    pairs = np.array(
        [(index[u], index[v]) for u, v in G.edges() if u != v], dtype=np.int64
    ).reshape(-1, 2)
    pos = _fruchterman_reingold(len(nodes), pairs, iterations, seed, gravity)
    out = {v: (float(x), float(y)) for v, (x, y) in zip(nodes, pos, strict=True)}
    if isolated:
        gap = 1.2
        if len(pos):
            left, top = float(pos[:, 0].min()), float(pos[:, 1].max()) + 2 * gap
            width = float(pos[:, 0].max()) - left
        else:
            left, top, width = 0.0, 0.0, 0.0
        cols = max(int(width / gap) + 1, math.ceil(math.sqrt(len(isolated))))
        for i, v in enumerate(isolated):
            out[v] = (left + (i % cols) * gap, top + (i // cols) * gap)
    return out


def _fruchterman_reingold(
    n: int, pairs: np.ndarray, iterations: int, seed: int, gravity: float
) -> np.ndarray:
    if n == 0:
        return np.zeros((0, 2))
    src, dst = pairs[:, 0], pairs[:, 1]
    rng = np.random.default_rng(seed)
    side = math.sqrt(n)
    pos = rng.random((n, 2)) * side
    # The grid: fine enough that a cell is below the ideal edge length for typical sizes.
    cells = int(min(256, max(32, 2 ** math.ceil(math.log2(1.5 * side)))))
    m = 2 * cells  # zero padding, so the FFT's circular convolution is a linear one
    off = np.fft.fftfreq(m, 1.0 / m)
    dx, dy = np.meshgrid(off, off, indexing="ij")
    r2 = dx * dx + dy * dy
    r2[0, 0] = 1.0
    kx, ky = dx / r2, dy / r2  # FR repulsion k²·d/|d|² on the grid, with k = 1
    kx[0, 0] = ky[0, 0] = 0.0
    fkx, fky = np.fft.rfft2(kx), np.fft.rfft2(ky)
    t_start, t_end = side / 8, side / 400
    corners = ((0, 0), (1, 0), (0, 1), (1, 1))
    for step in range(iterations):
        temp = t_start + (t_end - t_start) * step / max(1, iterations - 1)
        lo = pos.min(axis=0)
        extent = float((pos.max(axis=0) - lo).max()) + 1e-9
        h = extent / (cells - 1) * (1 + 1e-9)
        g = (pos - lo) / h
        i0 = np.clip(np.floor(g).astype(np.int64), 0, cells - 2)
        f = g - i0
        # Cloud-in-cell weights: each node spreads over the four corners of its cell.
        weights = [
            (1 - f[:, 0]) * (1 - f[:, 1]),
            f[:, 0] * (1 - f[:, 1]),
            (1 - f[:, 0]) * f[:, 1],
            f[:, 0] * f[:, 1],
        ]
        rho = np.zeros((m, m))
        for w, (a, b) in zip(weights, corners, strict=True):
            np.add.at(rho, (i0[:, 0] + a, i0[:, 1] + b), w)
        fr = np.fft.rfft2(rho)
        field_x = np.fft.irfft2(fr * fkx, s=(m, m))[:cells, :cells]
        field_y = np.fft.irfft2(fr * fky, s=(m, m))[:cells, :cells]
        disp = np.zeros((n, 2))
        for w, (a, b) in zip(weights, corners, strict=True):
            disp[:, 0] += w * field_x[i0[:, 0] + a, i0[:, 1] + b]
            disp[:, 1] += w * field_y[i0[:, 0] + a, i0[:, 1] + b]
        disp /= h
        if len(src):
            d = pos[dst] - pos[src]
            dist = np.sqrt((d * d).sum(axis=1))
            pull = d * dist[:, None]  # FR attraction |d|²/k along d
            for axis in (0, 1):
                disp[:, axis] += np.bincount(src, pull[:, axis], n)
                disp[:, axis] -= np.bincount(dst, pull[:, axis], n)
        disp -= gravity * (pos - pos.mean(axis=0))
        length = np.sqrt((disp * disp).sum(axis=1)) + 1e-12
        pos += disp * (np.minimum(length, temp) / length)[:, None]
    return pos - pos.mean(axis=0)


# -- rendering -------------------------------------------------------------------------------


def render(
    G: nx.Graph,
    path: str | os.PathLike[str],
    *,
    title: str = "civicgraph",
    as_of: str | date | None = None,
    color_by: ColorBy = "kind",
    size_by: SizeBy = "degree",
    sources: Mapping[str, Mapping[str, Any]] | None = None,
    layout_threshold: int = 300,
    edge_labels: bool | None = None,
    seed: int = 42,
) -> Path:
    """Write *G* as one self-contained, offline, interactive HTML page.

    The page shows a date slider (every distinct ``start``/``end`` in the graph, plus
    "all dates"), filters by kind, party or nuance and network, a search box, a legend, hover
    tooltips and a click-to-pin details panel with each node's and relationship's sources.

    Parameters
    ----------
    G : networkx.Graph
        Usually from :func:`build_graph`: node attributes ``label``, ``name`` and the node's
        properties; edge attributes ``type``, ``start``, ``end``, ``sources`` …
    path : str or os.PathLike
        Where to write the page (parent folders are created).
    title : str, default "civicgraph"
        Page title and heading.
    as_of : str or datetime.date, optional
        Initial date (ISO ``YYYY-MM-DD``); by default the page shows all dates.
    color_by : {"kind", "party", "nuance"}, default "kind"
        ``kind``: the node's label (``Organization`` split by its ``kind``). ``party`` /
        ``nuance``: the node's ``party`` / ``nuance`` attribute when it has one, else the value
        valid on the page's date, taken from its ``MEMBER_OF`` relationships to ``Party``
        nodes (party) or its ``MAYOR_OF``/``PRESIDENT_OF`` relationships' ``nuance``.
    size_by : {"degree", "population", None}, default "degree"
        ``degree``: area grows with the number of relationships; ``population``: log scale of
        the ``population`` attribute, smallest to largest in the graph (nodes without one, such
        as networks or people, get a fixed middling size); ``None``: all the same.
    sources : mapping, optional
        Source id → ``{"title", "url"}`` (see :func:`fetch_sources`); ``Source`` nodes in *G*
        are used too.  Unknown ids are listed as plain ids.
    layout_threshold : int, default 300
        Above this many nodes, positions are computed in Python (:func:`force_layout`, or the
        nodes' own ``x``/``y`` attributes when every node has them) and the page starts with
        physics off; at or below it, vis-network lays the graph out (at most 200 stabilisation
        iterations) and turns physics off once stable.
    edge_labels : bool, optional
        Draw each relationship's type and dates on it; by default only at or below
        *layout_threshold* nodes (they stay in the tooltips either way).
    seed : int, default 42
        Seed of either layout.

    Returns
    -------
    pathlib.Path
        The written file.

    See Also
    --------
    build_graph, expand_neighbours, fetch_sources

    Notes
    -----
    Date rule, computed in the page: a relationship is valid on date *d* when
    ``start <= d`` and (no ``end`` or ``end > d``); one with neither is always valid (a
    relationship with only a ``date`` starts on it). A node is shown when one of its dated
    relationships is valid on *d*, or when it has no dated relationship at all (a
    ``Departement`` reached only through ``PART_OF`` stays visible); a relationship is shown
    when it is valid and both its ends are shown.

    The page exposes ``window.civicgraph = {network, nodes, edges, dates, setDate(iso),
    setFilter({kind, party, network}), visibleCounts(), ready}``; ``ready`` is the
    ``performance.now()`` at which the graph was first drawn stable.

    Every text from the data reaches the page HTML-escaped (tooltips) or through
    ``textContent`` (controls, legend); links are kept only for ``http(s)`` URLs.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("insee:38185", label="City", name="Grenoble", population=158198)
    >>> import tempfile, pathlib
    >>> out = render(G, pathlib.Path(tempfile.mkdtemp()) / "g.html", title="Grenoble")
    >>> out.read_text(encoding="utf-8").count("<script src=")
    0
    """
    if color_by not in COLOR_BY:
        raise ValueError(f"color_by must be one of {', '.join(COLOR_BY)}, not {color_by!r}")
    if size_by not in SIZE_BY:
        raise ValueError(f"size_by must be one of degree, population or None, not {size_by!r}")
    net, meta = _network(
        G,
        title=title,
        as_of=_iso(as_of),
        color_by=color_by,
        size_by=size_by,
        sources=sources or {},
        layout_threshold=layout_threshold,
        edge_labels=edge_labels,
        seed=seed,
    )
    page = _page(net, meta, title)
    out = Path(path)
    with atomic_output(out) as f:  # an earlier page survives a failed write
        f.write(page.encode("utf-8"))
    return out


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
    rows = store.query(
        "MATCH (m)-[r:MEMBER_OF]->(n:Network {id: $network}) RETURN m, r, n",
        {"network": network},
    )
    G = build_graph(rows)
    members = [n for n in G if n != network]
    if members:
        mayors = store.query(
            "MATCH (p:Person)-[r:MAYOR_OF]->(c:City) WHERE c.id IN $ids RETURN p, r, c",
            {"ids": members},
        )
        for row in mayors:
            _collect(G, row)
    # The network's own ties: the alliances it belongs to and their members (CSOs such as
    # OCU), its partners, and the parties of the mayors shown.
    context = (
        store.query(
            "MATCH (n:Network {id: $network})-[r]-(o) WHERE o:Organization OR o:Network "
            "RETURN n, r, o",
            {"network": network},
        )
        + store.query(
            "MATCH (:Network {id: $network})-[:MEMBER_OF]->(a:Network)<-[r:MEMBER_OF]-(o) "
            "RETURN a, r, o",
            {"network": network},
        )
        + store.query(
            "MATCH (p:Person)-[r:MEMBER_OF]->(pa:Party) WHERE p.id IN $ids RETURN p, r, pa",
            {"ids": [n for n, d in G.nodes(data=True) if d.get("label") == "Person"]},
        )
    )
    for row in context:
        _collect(G, row)
    if color_by is None:
        offices = [d for *_, d in G.edges(data=True) if d.get("type") in _NUANCE_TYPES]
        color_by = "party" if offices else "kind"
    if size_by == "auto":
        has_population = any(_number(p) for _, p in G.nodes(data="population"))
        size_by = "population" if has_population else "degree"
    if title is None:
        name = G.nodes[network].get("name", network) if network in G else network
        title = f"{name}: members, mayors and sources"
    return render(
        G,
        path,
        title=title,
        as_of=as_of,
        color_by=color_by,
        size_by=size_by,
        sources=fetch_sources(store, G),
    )


# -- internals: the data handed to the page --------------------------------------------------


def _network(
    G: nx.Graph,
    *,
    title: str,
    as_of: str | None,
    color_by: str,
    size_by: str | None,
    sources: Mapping[str, Mapping[str, Any]],
    layout_threshold: int,
    edge_labels: bool | None,
    seed: int,
) -> tuple[Network, dict[str, Any]]:
    """A filled pyvis Network plus the page's metadata (dates, legend, filters)."""
    from pyvis.network import Network

    n_nodes = G.number_of_nodes()
    precomputed = n_nodes > layout_threshold
    if edge_labels is None:
        edge_labels = not precomputed
    src_index = _source_index(G, sources)
    names = {n: _display_name(n, d) for n, d in G.nodes(data=True)}
    labels = {n: _short_name(n, d) for n, d in G.nodes(data=True)}
    dimension = "nuance" if color_by == "nuance" else "party"
    affiliations = _affiliations(G, dimension)

    positions: dict[Any, tuple[float, float]] = {}
    if precomputed:
        given = all("x" in d and "y" in d for _, d in G.nodes(data=True))
        if given:
            positions = {n: (float(d["x"]), float(d["y"])) for n, d in G.nodes(data=True)}
        else:
            positions = {
                n: (x * _PX_PER_UNIT, y * _PX_PER_UNIT)
                for n, (x, y) in force_layout(G, seed=seed).items()
            }
    sizes = _sizes(G, size_by)

    dated_nodes: set[Any] = set()
    slider: set[str] = set()
    undated = set(load_model().undated_types)
    edges: list[dict[str, Any]] = []
    edge_tips: list[str] = []
    edge_types: Counter[str] = Counter()
    for i, (u, v, data) in enumerate(G.edges(data=True)):
        rel_type = str(data.get("type", ""))
        start, end = _edge_dates(data)
        if start or end:
            dated_nodes.update((u, v))
            slider.update(d for d in (start, end) if d)
        edge_types[rel_type] += 1
        item: dict[str, Any] = {
            "id": f"e{i}",
            "from": _node_key(u),
            "to": _node_key(v),
            "type": rel_type,
            "color": _rgba(_EDGE_COLOURS.get(rel_type, _EDGE_DEFAULT_COLOUR), 0.8),
            "hidden": False,
        }
        shown_start, shown_end = _period_text(data)
        edge_tips.append(
            _edge_tip(rel_type, names[u], names[v], shown_start, shown_end, data, src_index)
        )
        if start:
            item["start"] = start
        elif rel_type in undated:
            item["timeless"] = True  # holds on every day (PART_OF…); see the page's valid()
        if end:
            item["end"] = end
            item["dashes"] = True
        if edge_labels:
            item["label"] = _edge_label(rel_type, shown_start, shown_end)
        edges.append(item)

    values: Counter[str] = Counter()
    nodes: list[dict[str, Any]] = []
    node_tips: list[str] = []
    for n, data in G.nodes(data=True):
        label = str(data.get("label") or "")
        kind = _kind(data)
        static, timeline = affiliations.get(n, (None, []))
        colour_value = kind if color_by == "kind" else (static or _NO_VALUE)
        values[colour_value] += 1
        if color_by != "kind":
            for *_, value in timeline:
                values[value if value is not None else _NO_VALUE] += (
                    0  # every value the slider can reveal
                )
        item = {
            "id": _node_key(n),
            "label": _truncate(labels[n], _LABEL_CHARS),
            "shape": _SHAPES.get(label, "dot"),
            "size": round(sizes.get(n, 12.0), 1),
            "kind": kind,
            "cv": colour_value,
            "hidden": False,
        }
        node_tips.append(_node_tip(n, data, names[n], src_index))
        if static is not None:
            item["aff"] = static
        if timeline:
            item["tl"] = timeline
        if n in dated_nodes:
            item["dated"] = True
        if n in positions:
            item["x"], item["y"] = (round(c, 1) for c in positions[n])
        nodes.append(item)

    palette = _palette(values, color_by)
    for item in nodes:
        item["color"] = palette[item["cv"]]

    legend_title = {"kind": "Kind", "party": "Party", "nuance": "Nuance"}[color_by]
    if color_by == "party" and (bases := _party_bases(G)):
        legend_title = f"Party ({' / '.join(bases)})"
    size_note = {
        "degree": "size: number of relationships",
        "population": "size: population (log scale)",
        None: "",
    }[size_by]
    network_nodes = sorted(
        ((n, labels[n]) for n, d in G.nodes(data=True) if d.get("label") == "Network"),
        key=lambda item: item[1].lower(),
    )
    affiliation_values = sorted(
        {s for s, _ in affiliations.values() if s}
        | {v for _, tl in affiliations.values() for *_, v in tl if v is not None}
    )
    meta = {
        "title": title,
        "asOf": as_of,
        "dates": sorted(slider),
        "colorBy": color_by,
        "dimension": dimension,
        "palette": palette,
        "noValue": _NO_VALUE,
        "legend": {
            "title": legend_title,
            "values": [v for v, _ in sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))],
            "size": size_note,
            "edges": [
                {"type": t, "color": _EDGE_COLOURS.get(t, _EDGE_DEFAULT_COLOUR), "count": c}
                for t, c in sorted(edge_types.items())
            ],
            "shapes": sorted(
                {
                    _SHAPES[d.get("label")] + ":" + str(d.get("label"))
                    for _, d in G.nodes(data=True)
                    if d.get("label") in _SHAPES and d.get("label") != "Source"
                }
            ),
        },
        "kinds": sorted({item["kind"] for item in nodes}),
        "affiliations": affiliation_values,
        "networks": [{"id": _node_key(n), "name": name} for n, name in network_nodes],
        "physics": not precomputed,
        "counts": {"nodes": n_nodes, "edges": len(edges)},
        # Tooltip HTML, parallel to the node and edge lists: kept out of the vis items, which
        # vis-network copies option by option.
        "tips": {"nodes": node_tips, "edges": edge_tips},
    }

    net = Network(
        height="100%",
        width="100%",
        directed=G.is_directed(),
        heading=title,
        cdn_resources="in_line",
    )
    # Filled directly: Network.add_node/add_edge scan a list of ids on every call (O(V) each:
    # 0.9 s for 5,000 nodes and 10,000 edges, measured), and the items are vis-network dicts.
    net.nodes = nodes
    net.edges = edges
    net.node_ids = [item["id"] for item in nodes]
    net.node_map = {item["id"]: item for item in nodes}
    net.options = _vis_options(precomputed, G.is_directed(), seed, n_nodes)
    return net, meta


def _vis_options(precomputed: bool, directed: bool, seed: int, n_nodes: int) -> dict[str, Any]:
    options: dict[str, Any] = {
        "nodes": {
            "font": {
                "size": 14,
                "face": "system-ui, sans-serif",
                "strokeWidth": 3,
                "strokeColor": "#ffffff",
            },
            "borderWidth": 1,
            "scaling": {"label": {"drawThreshold": 7}},
        },
        "edges": {
            "arrows": {"to": {"enabled": directed, "scaleFactor": 0.45}},
            "font": {
                "size": 9,
                "color": "#666666",
                "strokeWidth": 2,
                "strokeColor": "#ffffff",
                "align": "middle",
                "face": "system-ui, sans-serif",
            },
            "width": 1.2,
            "selectionWidth": 2,
        },
        "interaction": {
            "hover": True,
            "tooltipDelay": 150,
            "navigationButtons": False,
            "keyboard": {"enabled": True, "bindToWindow": False},
        },
    }
    if precomputed:
        # Thousands of nodes: no arrowheads (each costs a border intersection per frame; the
        # direction is in the tooltip) and straight edges.
        options["edges"]["arrows"]["to"]["enabled"] = False
        options["physics"] = {"enabled": False}
        options["edges"]["smooth"] = False
        options["layout"] = {"improvedLayout": False}
        options["interaction"].update({"hideEdgesOnDrag": True, "hideEdgesOnZoom": True})
    else:
        options["physics"] = {
            "enabled": True,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {
                "gravitationalConstant": -60,
                "centralGravity": 0.008,
                "springLength": 150,
                "springConstant": 0.05,
                "avoidOverlap": 0.4,
            },
            "stabilization": {
                "enabled": True,
                "iterations": 200,
                "updateInterval": 20,
                "fit": True,
            },
        }
        options["edges"]["smooth"] = {"enabled": True, "type": "continuous", "roundness": 0.3}
        options["layout"] = {"randomSeed": seed, "improvedLayout": n_nodes <= 150}
    return options


@lru_cache(maxsize=1)
def _static_assets() -> dict[str, str]:
    vis_dir = resources.files("pyvis") / _VIS_DIR
    assets = resources.files("civicgraph.graph") / "assets"
    return {
        "vis_js": (vis_dir / "vis-network.min.js").read_text(encoding="utf-8"),
        "vis_css": (vis_dir / "vis-network.css").read_text(encoding="utf-8"),
        "app_js": (assets / "explore.js").read_text(encoding="utf-8"),
        "app_css": (assets / "explore.css").read_text(encoding="utf-8"),
        "template": (assets / "explore.html").read_text(encoding="utf-8"),
    }


def _page(net: Network, meta: dict[str, Any], title: str) -> str:
    from jinja2 import Environment

    assets = _static_assets()
    nodes, edges, _heading, _height, _width, options = net.get_network_data()
    data = {"nodes": nodes, "edges": edges, "options": json.loads(options), "meta": meta}
    env = Environment(autoescape=True)
    template = env.from_string(assets["template"])
    return template.render(
        title=title,
        vis_css=_inline(assets["vis_css"], "style"),
        vis_js=_inline(assets["vis_js"], "script"),
        app_css=_inline(assets["app_css"], "style"),
        app_js=_inline(assets["app_js"], "script"),
        data_json=_script_json(data),
    )


def _inline(text: str, tag: str) -> Any:
    """Vendored code, checked not to close its own element early."""
    from markupsafe import Markup

    if f"</{tag}" in text.lower():
        raise ValueError(f"inlined asset contains '</{tag}'")
    return Markup(text)  # noqa: S704 - trusted files shipped with pyvis and civicgraph


def _script_json(value: Any) -> Any:
    """JSON safe inside ``<script type="application/json">``: no ``</`` and no ``<!--``."""
    from markupsafe import Markup

    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    text = text.replace("</", "<\\/").replace("<!--", "<\\u0021--")
    return Markup(text)  # noqa: S704 - escaped just above


# -- internals: values ------------------------------------------------------------------------


def _iso(value: str | date | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _node_key(n: Any) -> Any:
    return n if isinstance(n, str | int) else str(n)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return list(value)
    return [value]


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _display_name(n: Any, data: Mapping[str, Any]) -> str:
    for key in ("name", "title", "short", "code"):
        value = data.get(key)
        if value not in (None, ""):
            return str(value)
    return str(n)


def _short_name(n: Any, data: Mapping[str, Any]) -> str:
    """The text drawn on the canvas: a node's ``short`` name when it has one (ANVITA, EELV)."""
    short = data.get("short")
    return str(short) if short not in (None, "") else _display_name(n, data)


def _kind(data: Mapping[str, Any]) -> str:
    label = str(data.get("label") or "") or "(unlabelled)"
    if label == "Organization" and data.get("kind"):
        return f"Organization · {data['kind']}"
    return label


def _edge_dates(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The period a relationship holds, as the date slider uses it: ``start`` (or an event's
    ``date``) to ``end`` — for a mayoral term, to ``held_until``, the day the city's next
    term took over (derived once for every output, :mod:`civicgraph.graph.derive`)."""
    start = data.get("start") or data.get("date")
    end = data.get("held_until") or data.get("end")
    return _iso(start) if start else None, _iso(end) if end else None


def _period_text(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``start`` and ``end`` as people read them: at their precision (``2020``)."""
    start_key = "start" if data.get("start") else "date"
    start = dates.display(_iso(data.get(start_key)), data.get(f"{start_key}_precision"))
    if data.get("held_until") and data.get("held_until") != data.get("end"):
        return start, dates.display(_iso(data["held_until"]))
    return start, dates.display(_iso(data.get("end")), data.get("end_precision"))


def _edge_label(rel_type: str, start: str | None, end: str | None) -> str:
    if not (start or end):
        return rel_type
    return f"{rel_type}\n{start or '…'} → {end or ''}".rstrip()


def _rgba(colour: str, alpha: float) -> str:
    """``#rrggbb`` → ``rgba(r,g,b,a)``: a plain colour string is the cheapest for vis to draw."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _sizes(G: nx.Graph, size_by: str | None) -> dict[Any, float]:
    small, large = 9.0, 40.0
    if size_by == "degree":
        degrees = dict(G.degree())
        top = max(degrees.values(), default=0) or 1
        return {n: small + (large - small) * math.sqrt(d / top) for n, d in degrees.items()}
    if size_by == "population":
        pops = {n: _number(d.get("population")) for n, d in G.nodes(data=True)}
        logs = {n: math.log10(p) for n, p in pops.items() if p}
        if not logs:
            return {n: 12.0 for n in G}
        lo, hi = min(logs.values()), max(logs.values())
        span = hi - lo or 1.0
        base = small if hi > lo else 20.0
        return {
            n: (base + (large - base) * (logs[n] - lo) / span if n in logs else 14.0) for n in G
        }
    return {n: 12.0 for n in G}


def _affiliations(G: nx.Graph, dimension: str) -> dict[Any, tuple[str | None, list[list[Any]]]]:
    """Node → (value for "all dates", [[start, end, value], …]) for party or nuance.

    The timeline comes from the node's relationships: a mayoral term (``MAYOR_OF`` /
    ``PRESIDENT_OF``) colours both its ends from its ``start`` to its ``held_until`` with
    the term's party attribution (``party_short``, derived once for every output) or its
    ``nuance``; for party, a ``MEMBER_OF`` a Party colours the member.  A node without
    such relationships keeps its own ``party``/``nuance`` attribute, constant.  The "all
    dates" value is the latest: the open-ended period with the latest start, else the
    period that started last.
    """
    timelines: dict[Any, list[list[Any]]] = {}

    def party_name(value: Any) -> str:
        # A party given by id ("party:eelv") shows as its short name.
        if value in G and G.nodes[value].get("label") == "Party":
            return _short_name(value, G.nodes[value])
        text = str(value)
        return text.split(":", 1)[1].upper() if text.startswith("party:") else text

    def add(node: Any, start: str | None, end: str | None, value: Any) -> None:
        if value in (None, "") or isinstance(value, list | dict):
            value = None  # a period without a value: no colour then (not the previous one)
        elif dimension == "party":
            value = party_name(value)
        timelines.setdefault(node, []).append([start, end, None if value is None else str(value)])

    for u, v, data in G.edges(data=True):
        rel_type = data.get("type")
        start, end = _edge_dates(data)
        if rel_type in _NUANCE_TYPES:  # an office's party or nuance colours both ends
            party = data.get("party_short") or data.get("party")
            value = party if dimension == "party" else data.get("nuance")
            add(u, start, end, value)
            add(v, start, end, value)
        elif (
            dimension == "party" and rel_type == "MEMBER_OF" and G.nodes[v].get("label") == "Party"
        ):
            add(u, start, end, v)
    for node in list(timelines):  # nothing to draw from periods that all lack a value
        if all(p[2] is None for p in timelines[node]):
            del timelines[node]
    out: dict[Any, tuple[str | None, list[list[Any]]]] = {}
    for n, data in G.nodes(data=True):
        own = data.get(dimension)
        if n in timelines:
            periods = sorted(timelines[n], key=lambda p: (p[0] or "", p[1] or "9999"))
            open_ended = [p for p in periods if not p[1]]
            current = (open_ended or periods)[-1][2]
            out[n] = (current, periods)
        elif own not in (None, "", "unknown") and not isinstance(own, list | dict):
            out[n] = (party_name(own) if dimension == "party" else str(own), [])
        elif dimension == "party" and data.get("label") == "Party":
            out[n] = (_short_name(n, data), [])
    return out


def _party_bases(G: nx.Graph) -> list[str]:
    """The kinds of basis behind the party colours of a page, for its legend."""
    kinds = {
        "stated by source": "source",
        "register nuance": "register nuance",
        "party membership": "membership",
        "carried from": "carried",
    }
    seen: set[str] = set()
    for _, _, data in G.edges(data=True):
        basis = str(data.get("party_basis") or "")
        for prefix, kind in kinds.items():
            if data.get("type") in _NUANCE_TYPES and basis.startswith(prefix):
                seen.add(kind)
    return [k for k in kinds.values() if k in seen]


def _palette(values: Counter[str], color_by: str) -> dict[str, str]:
    fixed = _KIND_COLOURS if color_by == "kind" else _PARTY_COLOURS
    palette: dict[str, str] = {}
    for value in values:
        colour = fixed.get(value if color_by == "kind" else value.strip().upper())
        if value == _NO_VALUE:
            palette[value] = _NO_VALUE_COLOUR
        elif colour:
            palette[value] = colour
    # Values without a customary colour take unused categorical colours, most frequent first.
    used = set(palette.values())
    spare = [c for c in _CATEGORICAL if c not in used] or list(_CATEGORICAL)
    missing = sorted((v for v in values if v not in palette), key=lambda v: (-values[v], v))
    for i, value in enumerate(missing):
        palette[value] = spare[i % len(spare)]
    return palette


# -- internals: tooltips (every data text escaped here) -------------------------------------------


def _source_index(
    G: nx.Graph, sources: Mapping[str, Mapping[str, Any]]
) -> dict[str, Mapping[str, Any]]:
    index: dict[str, Mapping[str, Any]] = {}
    for n, data in G.nodes(data=True):
        if data.get("label") == "Source":
            index[str(n)] = {"title": data.get("title"), "url": data.get("url")}
    index.update({str(k): v for k, v in sources.items()})
    return index


def _esc(value: Any) -> str:
    return html.escape(_truncate(str(value), _TIP_VALUE_CHARS), quote=True)


def _safe_url(url: Any) -> str | None:
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
        return url
    return None


def _sources_html(ids: Any, index: Mapping[str, Mapping[str, Any]]) -> str:
    items = []
    for sid in _as_list(ids):
        info = index.get(str(sid)) or {}
        text = _esc(info.get("title") or sid)
        url = _safe_url(info.get("url"))
        if url:
            items.append(
                f'<li><a href="{html.escape(url, quote=True)}" target="_blank" '
                f'rel="noopener noreferrer">{text}</a></li>'
            )
        else:
            items.append(f"<li>{text}</li>")
    if not items:
        return ""
    return f'<div class="cg-src"><b>Sources</b><ul>{"".join(items)}</ul></div>'


def _rows_html(data: Mapping[str, Any], skip: set[str]) -> str:
    rows = []
    for key in sorted(data):
        if key in skip or key.startswith("_"):
            continue
        value = data[key]
        if value in (None, "", []):
            continue
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        url = _safe_url(value) if key == "url" else None
        cell = (
            f'<a href="{html.escape(url, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">{_esc(url)}</a>'
            if url
            else _esc(value)
        )
        rows.append(f"<tr><th>{_esc(key)}</th><td>{cell}</td></tr>")
        if len(rows) >= _TIP_ROWS:
            break
    return f"<table>{''.join(rows)}</table>" if rows else ""


def _node_tip(
    n: Any, data: Mapping[str, Any], name: str, index: Mapping[str, Mapping[str, Any]]
) -> str:
    kind = _kind(data)
    head = f'<div class="cg-h">{_esc(name)}</div><div class="cg-m">{_esc(kind)} · {_esc(n)}</div>'
    skip = {"name", "label", "sources", "id", "x", "y"}
    return head + _rows_html(data, skip) + _sources_html(data.get("sources"), index)


def _edge_tip(
    rel_type: str,
    source: str,
    target: str,
    start: str | None,
    end: str | None,
    data: Mapping[str, Any],
    index: Mapping[str, Mapping[str, Any]],
) -> str:
    period = ""
    if start or end:
        period = f'<div class="cg-m">{_esc(start or "…")} → {_esc(end or "ongoing")}</div>'
    head = (
        f'<div class="cg-h">{_esc(rel_type)}</div>'
        f"<div>{_esc(source)} → {_esc(target)}</div>{period}"
    )
    # Dates are in the head at their precision; a term's derived plumbing stays out, and
    # its party shows as every output shows it (short name, then its basis).
    skip = {"type", "sources", "id", "start", "end", "start_precision", "end_precision"}
    skip |= {"held_until", "predecessor", "mayor_changed", "party", "party_sources"}
    shown = {k: v for k, v in data.items() if k not in skip}
    if "party_short" in shown:
        shown = {"party": shown.pop("party_short"), **shown}
    return head + _rows_html(shown, set()) + _sources_html(data.get("sources"), index)
