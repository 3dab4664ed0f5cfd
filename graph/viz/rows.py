"""Rows → graph: what a query returns (nodes, relationships, paths, or ids) as a networkx graph.

:func:`build_graph` takes the rows of any statement; :func:`rows_to_graph` also looks up the
ids a table of results names (``network_members`` returns one row per member, not nodes) and
the relationships among them; :func:`expand_neighbours` adds N-hop context and
:func:`fetch_sources` the cited ``Source`` nodes a page lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import networkx as nx

from ..records import Node, Relationship
from ..records import Path as GraphPath

if TYPE_CHECKING:
    from ..store import Store

__all__ = [
    "as_list",
    "build_graph",
    "expand_neighbours",
    "fetch_sources",
    "named_ids",
    "result_columns",
    "rows_to_graph",
]

#: Node attribute holding the result rows' own columns about that node (mayor, party …),
#: which the page shows in the node's tooltip and details panel.
RESULT_KEY = "_result"
#: Columns that name the row's subject, in order of preference.
_SUBJECT_COLUMNS = ("id", "person")

#: Id prefixes whose values in a result row name a node to draw (sources are listed, not drawn).
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
    "stat:",
    "nuance:",
)


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
        found.update(as_list(data.get("sources")))
    for *_, data in G.edges(data=True):
        found.update(as_list(data.get("sources")))
    for _, result in G.nodes(data=RESULT_KEY):
        for row in result or []:
            found.update(as_list(row.get("sources")))
    return {s for s in found if isinstance(s, str)}


# -- layout --------------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return list(value)
    return [value]


def _ids_in(value: Any, out: set[str]) -> None:
    if isinstance(value, str):
        if value.startswith(_ID_PREFIXES):
            out.add(value)
    elif isinstance(value, list | tuple):
        for v in value:
            _ids_in(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _ids_in(v, out)


def named_ids(
    rows: Iterable[Mapping[str, Any]], params: Mapping[str, Any] | None = None
) -> set[str]:
    """The node ids that the id columns of *rows* (``id``, ``ids``, ``path``, ``networks``,
    ``network``, ``person``, ``*_id``) and the *params* name: what :func:`rows_to_graph`
    looks up besides the nodes the rows hold.

    >>> sorted(named_ids([{"id": "insee:38185", "name": "Grenoble"}], {"network": "net:anvita"}))
    ['insee:38185', 'net:anvita']
    """
    ids: set[str] = set()
    for row in rows:
        for key, value in row.items():
            if key in ("id", "ids", "path", "networks", "network", "person") or key.endswith("_id"):
                _ids_in(value, ids)
    _ids_in(list((params or {}).values()), ids)
    return ids


def rows_to_graph(
    store: Store, rows: Iterable[Mapping[str, Any]], params: Mapping[str, Any] | None = None
) -> nx.MultiDiGraph:
    """A networkx graph of the nodes and relationships in *rows*, and of the nodes their
    id columns and the *params* name (:func:`named_ids`), with the relationships among them."""
    rows = list(rows)
    G = build_graph(rows)
    ids = named_ids(rows, params) - set(G)
    if ids:
        found = list(
            store.query("MATCH (n:Entity) WHERE n.id IN $ids RETURN n", {"ids": sorted(ids)})
        )
        every = sorted(ids | {n for n in G if isinstance(n, str)})
        found += store.query(
            "MATCH (a:Entity)-[r]->(b:Entity) WHERE a.id IN $ids AND b.id IN $ids RETURN a, r, b",
            {"ids": every},
        )
        for row in found:
            _collect(G, row)
    result_columns(G, rows)
    return G


def result_columns(G: nx.Graph, rows: Iterable[Mapping[str, Any]]) -> nx.Graph:
    """Attach each row's own columns to the node the row is about, in place.

    A row is about the node its ``id`` (else ``person``) column names, or the one node it
    returns; its other plain columns (``mayor``, ``party``, ``since`` …) are kept on that
    node, one dict per row, under ``"_result"``.  A table of results (``network_members``)
    thereby shows its mayor and party on the page, not only the nodes' stored properties.

    >>> G = nx.MultiDiGraph()
    >>> G.add_node("insee:38185", label="City", name="Grenoble")
    >>> rows = [{"id": "insee:38185", "name": "Grenoble", "mayor": "Éric Piolle"}]
    >>> result_columns(G, rows).nodes["insee:38185"]["_result"]
    [{'mayor': 'Éric Piolle'}]
    """
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        subject = next(
            (row[k] for k in _SUBJECT_COLUMNS if isinstance(row.get(k), str) and row[k] in G),
            None,
        )
        if subject is None:
            nodes = [v.id for v in row.values() if isinstance(v, Node) and v.id in G]
            subject = nodes[0] if len(nodes) == 1 else None
        if subject is None:
            continue
        data = G.nodes[subject]
        own = {
            k: v
            for k, v in row.items()
            if v not in (None, "", [])
            and not _holds_graph(v)
            and row.get(k) != subject
            and not (k == "name" and v == data.get("name"))
        }
        if own and own not in data.setdefault(RESULT_KEY, []):
            data[RESULT_KEY].append(own)
    return G


def _holds_graph(value: Any) -> bool:
    if isinstance(value, Node | Relationship | GraphPath):
        return True
    if isinstance(value, list | tuple):
        return any(_holds_graph(v) for v in value)
    if isinstance(value, Mapping):
        return any(_holds_graph(v) for v in value.values())
    return False
