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
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

import networkx as nx

from .. import dates
from ..model import load_model
from ..outfile import atomic_output
from .layout import force_layout
from .rows import RESULT_KEY, as_list
from .style import (
    EDGE_COLOURS,
    EDGE_DEFAULT_COLOUR,
    NO_VALUE,
    REFERENCE_LABELS,
    SHAPES,
    display_name,
    edge_dates,
    iso,
    make_palette,
    node_affiliations,
    number,
    party_bases,
    rgba,
    short_name,
)

if TYPE_CHECKING:
    from pyvis.network import Network

__all__ = [
    "render",
    "render_html",
    "COLOR_BY",
    "SIZE_BY",
    "ColorBy",
    "SizeBy",
    "PageOptions",
]

#: Accepted values of ``render(color_by=...)`` and ``render(size_by=...)``.
COLOR_BY = ("kind", "party", "nuance")
SIZE_BY = ("degree", "population", None)

ColorBy = Literal["kind", "party", "nuance"]
SizeBy = Literal["degree", "population"] | None


class PageOptions(TypedDict, total=False):
    """The keywords of :func:`render`, which passes them on to :func:`render_html` (where
    their defaults are, and :func:`render` documents them)."""

    title: str
    caption: str | None
    as_of: str | date | None
    color_by: ColorBy
    size_by: SizeBy
    sources: Mapping[str, Mapping[str, Any]] | None
    hide_reference: bool
    layout_threshold: int
    edge_labels: bool | None
    seed: int


_VIS_DIR = "templates/lib/vis-9.1.2"
_TIP_ROWS = 14
_TIP_VALUE_CHARS = 320
_LABEL_CHARS = 36
# Pixels per unit of force_layout's ideal edge length when positions are computed in Python.
_PX_PER_UNIT = 45.0
# Above this many nodes, vis-network draws a node's name only when zoomed in enough (at a
# page's first zoom, 14 px names shrink to 5 px); the page itself draws the names of the
# best-connected nodes at a readable size at any zoom (explore.js, drawTopLabels).
_LABEL_ALL = 30
# Above this many nodes, relationships carry no text on the canvas (tooltips keep it).
_EDGE_LABEL_MAX = 100
# How many of the best-connected nodes may carry a name at any zoom (those that do not
# overlap a better-connected one's are drawn).
_TOP_LABELS = 60
# Sources the credit line names; the others are counted ("and 12 more").
_CREDIT_SOURCES = 5
_RESULT_ROWS = 5


def render(
    G: nx.Graph,
    path: str | os.PathLike[str],
    **options: Unpack[PageOptions],
) -> Path:
    """Write *G* as one self-contained, offline, interactive HTML page.

    The page shows its title and caption, a date slider (every distinct ``start``/``end`` in
    the graph, plus "all dates"), filters by kind, party or nuance and network, a search box,
    a legend, hover tooltips and a click-to-pin details panel with each node's and
    relationship's sources (and the result rows' own columns about the node), a credit line
    naming the sources of what is drawn, and a button that saves the picture as a PNG.

    Parameters
    ----------
    G : networkx.Graph
        Usually from :func:`build_graph`: node attributes ``label``, ``name`` and the node's
        properties; edge attributes ``type``, ``start``, ``end``, ``sources`` …
    path : str or os.PathLike
        Where to write the page (parent folders are created).
    title : str, default "civicgraph"
        Page title and heading.
    caption : str, optional
        A sentence under the title saying what the page shows (plain text).
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
    hide_reference : bool, default False
        Start with the reference nodes (``Nuance``, ``Departement``, ``Region``, ``Source``)
        hidden; one checkbox shows them.  For whole-graph pages, where they outnumber the
        actors.
    layout_threshold : int, default 300
        Above this many nodes, positions are computed in Python (:func:`force_layout`, or the
        nodes' own ``x``/``y`` attributes when every node has them) and the page starts with
        physics off; at or below it, vis-network lays the graph out (at most 200 stabilisation
        iterations) and turns physics off once stable.
    edge_labels : bool, optional
        Draw each relationship's type and dates on it; by default only at or below
        *layout_threshold* nodes and at most 100 nodes (they stay in the tooltips either way).
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

    Above 30 nodes, a node's name is drawn by vis-network only once zoomed in; the names of
    the best-connected nodes (up to 60, those not overlapping a better-connected one) are
    drawn by the page at a readable size at every zoom.

    The page exposes ``window.civicgraph = {network, nodes, edges, dates, setDate(iso),
    setFilter({kind, party, network, reference}), visibleCounts(), drawnLabels, png(), ready}``;
    ``ready`` is the ``performance.now()`` at which the graph was first drawn stable.

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
    page = render_html(G, **options)
    out = Path(path)
    with atomic_output(out) as f:  # an earlier page survives a failed write
        f.write(page.encode("utf-8"))
    return out


def render_html(
    G: nx.Graph,
    *,
    title: str = "civicgraph",
    caption: str | None = None,
    as_of: str | date | None = None,
    color_by: ColorBy = "kind",
    size_by: SizeBy = "degree",
    sources: Mapping[str, Mapping[str, Any]] | None = None,
    hide_reference: bool = False,
    layout_threshold: int = 300,
    edge_labels: bool | None = None,
    seed: int = 42,
) -> str:
    """The page :func:`render` writes, as text (for a web app or a notebook to embed).

    The parameters are :func:`render`'s.

    >>> G = nx.MultiDiGraph()
    >>> G.add_node("insee:38185", label="City", name="Grenoble")
    >>> render_html(G, title="Grenoble").startswith("<!DOCTYPE html>")
    True
    """
    if color_by not in COLOR_BY:
        raise ValueError(f"color_by must be one of {', '.join(COLOR_BY)}, not {color_by!r}")
    if size_by not in SIZE_BY:
        raise ValueError(f"size_by must be one of degree, population or None, not {size_by!r}")
    net, meta = _network(
        G,
        title=title,
        caption=caption,
        as_of=iso(as_of),
        color_by=color_by,
        size_by=size_by,
        sources=sources or {},
        hide_reference=hide_reference,
        layout_threshold=layout_threshold,
        edge_labels=edge_labels,
        seed=seed,
    )
    return _page(net, meta, title)


# -- internals: the data handed to the page --------------------------------------------------


def _network(
    G: nx.Graph,
    *,
    title: str,
    caption: str | None,
    as_of: str | None,
    color_by: str,
    size_by: str | None,
    sources: Mapping[str, Mapping[str, Any]],
    hide_reference: bool,
    layout_threshold: int,
    edge_labels: bool | None,
    seed: int,
) -> tuple[Network, dict[str, Any]]:
    """A filled pyvis Network plus the page's metadata (dates, legend, filters)."""
    from pyvis.network import Network

    n_nodes = G.number_of_nodes()
    precomputed = n_nodes > layout_threshold
    if edge_labels is None:
        edge_labels = not precomputed and n_nodes <= _EDGE_LABEL_MAX
    src_index = _source_index(G, sources)
    names = {n: display_name(n, d) for n, d in G.nodes(data=True)}
    labels = {n: short_name(n, d) for n, d in G.nodes(data=True)}
    dimension = "nuance" if color_by == "nuance" else "party"
    affiliations = node_affiliations(G, dimension)

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
    top = _top_nodes(G) if n_nodes > _LABEL_ALL else {}

    dated_nodes: set[Any] = set()
    slider: set[str] = set()
    undated = set(load_model().undated_types)
    edges: list[dict[str, Any]] = []
    edge_tips: list[str] = []
    edge_types: Counter[str] = Counter()
    for i, (u, v, data) in enumerate(G.edges(data=True)):
        rel_type = str(data.get("type", ""))
        start, end = edge_dates(data)
        if start or end:
            dated_nodes.update((u, v))
            slider.update(d for d in (start, end) if d)
        edge_types[rel_type] += 1
        item: dict[str, Any] = {
            "id": f"e{i}",
            "from": _node_key(u),
            "to": _node_key(v),
            "type": rel_type,
            "color": rgba(EDGE_COLOURS.get(rel_type, EDGE_DEFAULT_COLOUR), 0.8),
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
        colour_value = kind if color_by == "kind" else (static or NO_VALUE)
        values[colour_value] += 1
        if color_by != "kind":
            for *_, value in timeline:
                values[value if value is not None else NO_VALUE] += (
                    0  # every value the slider can reveal
                )
        item = {
            "id": _node_key(n),
            "label": _truncate(labels[n], _LABEL_CHARS),
            "shape": SHAPES.get(label, "dot"),
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
        if label in REFERENCE_LABELS:
            item["ref"] = True
        if n in top:
            item["top"] = top[n]  # its rank: better-connected names are placed first
            item["font"] = {"size": 0}  # drawn by the page at every zoom instead
        nodes.append(item)

    palette = make_palette(values, color_by)
    for item in nodes:
        item["color"] = palette[item["cv"]]

    legend_title = {"kind": "Kind", "party": "Party", "nuance": "Nuance"}[color_by]
    if color_by == "party" and (bases := party_bases(G)):
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
    reference = Counter(
        str(d.get("label")) for _, d in G.nodes(data=True) if d.get("label") in REFERENCE_LABELS
    )
    meta = {
        "title": title,
        "caption": caption or "",
        "reference": {
            "labels": [lab for lab in REFERENCE_LABELS if reference[lab]],
            "count": sum(reference.values()),
            "hidden": hide_reference and bool(reference),
        },
        "asOf": as_of,
        "dates": sorted(slider),
        "colorBy": color_by,
        "dimension": dimension,
        "palette": palette,
        "noValue": NO_VALUE,
        "legend": {
            "title": legend_title,
            "values": [v for v, _ in sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))],
            "size": size_note,
            "edges": [
                {"type": t, "color": EDGE_COLOURS.get(t, EDGE_DEFAULT_COLOUR), "count": c}
                for t, c in sorted(edge_types.items())
            ],
            "shapes": sorted(
                {
                    SHAPES[d.get("label")] + ":" + str(d.get("label"))
                    for _, d in G.nodes(data=True)
                    if d.get("label") in SHAPES and d.get("label") != "Source"
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
    if top:  # the other names: none until zoomed in enough to read them (10 px)
        net.options["nodes"]["scaling"]["label"]["drawThreshold"] = 10
    # The credit goes in the page as HTML only (escaped by the template); the PNG reads its
    # text from there.
    meta["_credit"] = _credit(G, src_index)
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
    meta = dict(meta)
    credit = meta.pop("_credit")
    data = {"nodes": nodes, "edges": edges, "options": json.loads(options), "meta": meta}
    env = Environment(autoescape=True)
    template = env.from_string(assets["template"])
    return template.render(
        title=title,
        caption=meta["caption"],
        credit=credit,
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


def _node_key(n: Any) -> Any:
    return n if isinstance(n, str | int) else str(n)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(data: Mapping[str, Any]) -> str:
    label = str(data.get("label") or "") or "(unlabelled)"
    if label == "Organization" and data.get("kind"):
        return f"Organization · {data['kind']}"
    return label


def _period_text(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``start`` and ``end`` as people read them: at their precision (``2020``)."""
    start_key = "start" if data.get("start") else "date"
    start = dates.display(iso(data.get(start_key)), data.get(f"{start_key}_precision"))
    if data.get("held_until") and data.get("held_until") != data.get("end"):
        return start, dates.display(iso(data["held_until"]))
    return start, dates.display(iso(data.get("end")), data.get("end_precision"))


def _edge_label(rel_type: str, start: str | None, end: str | None) -> str:
    if not (start or end):
        return rel_type
    return f"{rel_type}\n{start or '…'} → {end or ''}".rstrip()


def _sizes(G: nx.Graph, size_by: str | None) -> dict[Any, float]:
    small, large = 9.0, 40.0
    if size_by == "degree":
        degrees = dict(G.degree())
        top = max(degrees.values(), default=0) or 1
        return {n: small + (large - small) * math.sqrt(d / top) for n, d in degrees.items()}
    if size_by == "population":
        pops = {n: number(d.get("population")) for n, d in G.nodes(data=True)}
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


def _top_nodes(G: nx.Graph) -> dict[Any, int]:
    """The nodes whose names the page draws at every zoom: the best-connected actors
    (reference nodes last, so a hidden Nuance never takes an actor's place)."""
    degrees = dict(G.degree())
    ranked = sorted(
        G.nodes(data="label"),
        key=lambda nl: (nl[1] in REFERENCE_LABELS, -degrees[nl[0]], str(nl[0])),
    )
    return {n: rank for rank, (n, _) in enumerate(ranked[:_TOP_LABELS], start=1)}


def _credit(G: nx.Graph, index: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The sources of what is drawn, most cited first: what the credit line names.

    Every ``sources`` list on a node, a relationship or a result row counts, and so does a
    ``Source`` node on the page."""
    cited: Counter[str] = Counter()
    for n, data in G.nodes(data=True):
        cited.update(str(s) for s in as_list(data.get("sources")))
        for row in data.get(RESULT_KEY) or []:
            cited.update(str(s) for s in as_list(row.get("sources")))
        if data.get("label") == "Source":
            cited[str(n)] += 0
    for *_, data in G.edges(data=True):
        cited.update(str(s) for s in as_list(data.get("sources")))
    ranked = sorted(cited, key=lambda sid: (-cited[sid], sid))

    def title(sid: str) -> str:
        info = index.get(sid) or {}
        return str(info.get("title") or sid)

    named = [
        {"title": title(sid), "url": _safe_url((index.get(sid) or {}).get("url"))}
        for sid in ranked[:_CREDIT_SOURCES]
    ]
    return {"sources": named, "more": max(0, len(ranked) - len(named))}


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
    for sid in as_list(ids):
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


def _rows_html(data: Mapping[str, Any], skip: set[str], *, in_order: bool = False) -> str:
    rows = []
    for key in data if in_order else sorted(data):
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
    return (
        head
        + _result_html(data.get(RESULT_KEY) or [], index)
        + _rows_html(data, skip)
        + _sources_html(data.get("sources"), index)
    )


def _result_html(rows: list[Mapping[str, Any]], index: Mapping[str, Mapping[str, Any]]) -> str:
    """The result rows' own columns about a node (mayor, party …), first in its tooltip."""
    parts = []
    for row in rows[:_RESULT_ROWS]:
        shown = {k: v for k, v in row.items() if k != "sources"}
        parts.append(
            _rows_html(shown, set(), in_order=True) + _sources_html(row.get("sources"), index)
        )
    if len(rows) > _RESULT_ROWS:
        parts.append(f'<div class="cg-m">and {len(rows) - _RESULT_ROWS} more rows</div>')
    if not parts:
        return ""
    return f'<div class="cg-result"><b>In this result</b>{"".join(parts)}</div>'


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
