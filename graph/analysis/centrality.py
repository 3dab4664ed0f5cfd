"""Betweenness and Burt's structural-hole measures over a projection.

Each function takes a networkx graph and returns a plain dict keyed by node id, with the
conventions civicgraph reports (and that igraph, R ``sna`` and UCINET users expect).  Every
node of the graph gets a value, isolates included: betweenness 0, constraint and effective
size ``nan`` (undefined for a node without ties).

Two engines compute the same numbers (the tests check them against each other):

* ``"igraph"`` — python-igraph's C core, for betweenness and constraint: what the default
  ``engine="auto"`` uses (a 10,000-node, 100,000-arc exact betweenness takes seconds to
  a minute, against about 18 minutes in networkx; ``bench/bench_brokerage.py``);
* ``"networkx"`` — the pure-Python reference, and the only engine for effective size and
  for sampled betweenness (``k``).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import networkx as nx

__all__ = ["ENGINES", "betweenness", "constraint", "effective_size"]

#: Engines :func:`betweenness` and :func:`constraint` accept.
ENGINES = ("auto", "igraph", "networkx")


def _engine(name: str) -> str:
    """The library to compute with: ``auto`` is igraph (a dependency) unless it cannot be
    imported."""
    if name not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {name!r}")
    if name == "auto":
        try:
            import igraph  # noqa: F401
        except ImportError:  # pragma: no cover - igraph is a dependency
            return "networkx"
        return "igraph"
    return name


def _to_igraph(
    H: nx.Graph, weight: str | None, combine: str
) -> tuple[Any, list[Hashable], list[float] | None]:
    """(igraph graph, its nodes in vertex order, edge weights or None) for *H*.

    Self-loops are dropped (no shortest path and no Burt tie uses them).  Parallel edges
    of a multigraph become one edge, whose weight is the ``min`` of theirs (a distance, for
    betweenness: what networkx's Dijkstra uses) or their ``sum`` (a tie strength, for
    constraint: what :func:`_simple` does).  A missing weight counts 1, as in networkx.
    """
    import igraph as ig

    nodes = list(H)
    index = {n: i for i, n in enumerate(nodes)}
    directed = H.is_directed()
    if weight is None and not H.is_multigraph():  # the common case: no weights to combine
        pairs = [(index[u], index[v]) for u, v in H.edges() if u != v]
        return ig.Graph(n=len(nodes), edges=pairs, directed=directed), nodes, None
    edges: dict[tuple[int, int], float] = {}
    for u, v, d in H.edges(data=True):
        if u == v:
            continue
        a, b = index[u], index[v]
        if not directed and b < a:
            a, b = b, a
        w = float(d.get(weight, 1)) if weight is not None else 1.0
        if (a, b) in edges:
            old = edges[(a, b)]
            edges[(a, b)] = min(old, w) if combine == "min" else old + w
        else:
            edges[(a, b)] = w
    g = ig.Graph(n=len(nodes), edges=list(edges), directed=directed)
    return g, nodes, (list(edges.values()) if weight is not None else None)


def betweenness(
    G: nx.Graph,
    *,
    normalized: bool = True,
    directed: bool | None = None,
    weight: str | None = None,
    k: int | None = None,
    seed: int | None = None,
    engine: str = "auto",
) -> dict[Hashable, float]:
    """Betweenness centrality of every node (endpoints excluded), isolates included.

    Parameters
    ----------
    G : networkx graph
    normalized : bool
        ``True`` (default): divide by the number of pairs of other nodes among **all** n
        nodes of *G*, isolates included: ``(n-1)(n-2)`` ordered pairs in a directed graph,
        ``(n-1)(n-2)/2`` unordered pairs in an undirected one — networkx's
        ``betweenness_centrality(G)``.  ``False``: the raw counts of igraph's
        ``Graph.betweenness``, R ``sna::betweenness`` and UCINET.
    directed : bool, optional
        ``None`` (default) follows *G*.  ``False`` ignores arc directions; ``True`` on an
        undirected graph counts each edge as two arcs (normalized scores are unchanged).
    weight : str, optional
        Edge attribute read as a *distance* for weighted shortest paths (a parallel edge
        of a multigraph: the shortest).
    k, seed : int, optional
        Estimate from *k* sampled sources (networkx's ``k``), for large graphs; always
        computed by networkx.
    engine : {"auto", "igraph", "networkx"}
        ``auto`` (default): igraph, unless *k* asks for sampling.  Both give the same
        numbers (to rounding).

    Returns
    -------
    dict
        node → score.

    Notes
    -----
    The raw score of ``v`` is ``sum over s != v != t of sigma(s, t | v) / sigma(s, t)``,
    over ordered pairs in a directed graph and unordered pairs in an undirected one — the
    definition of networkx's ``betweenness_centrality``, python-igraph's
    ``Graph.betweenness`` (which returns raw scores only) and ``sna::betweenness``
    (``cmode="directed"`` or ``"undirected"``).  The normalized score equals R igraph's
    ``betweenness(g, normalized = TRUE)`` as its current manual documents it ("by the
    number of ordered or unordered vertex pairs"); older R igraph manuals (0.6 era) gave
    ``2B/(n^2-3n+2)`` for every graph, twice networkx's value on a directed graph.
    Parallel edges of a multigraph and self-loops do not add paths.

    Examples
    --------
    >>> G = nx.path_graph(["a", "b", "c"])
    >>> betweenness(G)
    {'a': 0.0, 'b': 1.0, 'c': 0.0}
    >>> betweenness(nx.DiGraph([("a", "b"), ("b", "c")]), normalized=False)
    {'a': 0.0, 'b': 1.0, 'c': 0.0}

    An isolate counts among the n actors, so it lowers the normalized scores:

    >>> G = nx.DiGraph([("a", "b"), ("b", "c")]); G.add_node("z")
    >>> betweenness(G)
    {'a': 0.0, 'b': 0.16666666666666666, 'c': 0.0, 'z': 0.0}
    """
    H = _oriented(G, directed)
    if k is None and _engine(engine) == "igraph":
        return _igraph_betweenness(H, normalized=normalized, weight=weight)
    return dict(nx.betweenness_centrality(H, k=k, normalized=normalized, weight=weight, seed=seed))


def _igraph_betweenness(
    H: nx.Graph, *, normalized: bool, weight: str | None
) -> dict[Hashable, float]:
    g, nodes, weights = _to_igraph(H, weight, "min")
    raw = g.betweenness(directed=H.is_directed(), weights=weights) if nodes else []
    n = len(nodes)
    scale = 1.0
    if normalized and n > 2:
        pairs = (n - 1) * (n - 2)
        scale = 1 / pairs if H.is_directed() else 2 / pairs
    return {v: float(b) * scale for v, b in zip(nodes, raw, strict=True)}


def _oriented(G: nx.Graph, directed: bool | None) -> nx.Graph:
    if directed is None or directed == G.is_directed():
        return G
    if directed:
        return G.to_directed(as_view=True)
    return G.to_undirected(as_view=True)


def _simple(G: nx.Graph, weight: str | None) -> nx.Graph:
    """Collapse a multigraph into a simple graph (with *weight*, parallel weights add up)
    and drop self-loops: a tie to oneself is no contact in Burt's measures (networkx would
    count the node among its own neighbours; igraph ignores it)."""
    if not G.is_multigraph() and nx.number_of_selfloops(G) == 0:
        return G
    H = nx.DiGraph() if G.is_directed() else nx.Graph()
    H.add_nodes_from(G)
    for u, v, d in G.edges(data=True):
        if u == v:
            continue
        w = d.get(weight, 1) if weight is not None else 1
        if H.has_edge(u, v):
            H[u][v]["weight"] += w
        else:
            H.add_edge(u, v, weight=w)
    return H


def _burt(G: nx.Graph, weight: str | None, measure: str) -> dict[Hashable, float]:
    H = _simple(G, weight)
    w = "weight" if (weight is not None and H is not G) else weight
    fn = nx.constraint if measure == "constraint" else nx.effective_size
    out = dict(fn(H, weight=w))
    if H.is_directed():
        # networkx without scipy (our case: scipy is not a dependency) treats a node with
        # in-arcs only as isolated (it tests ``G[v]``, the successors) and returns NaN;
        # its scipy path, igraph and Burt use in- and out-ties.  Compute those nodes the
        # same way as every other node.
        for v in H:
            if all(u == v for u in H.succ[v]) and any(u != v for u in H.pred[v]):
                out[v] = _one(H, v, w, measure)
    return out


def _one(H: nx.Graph, v: Hashable, weight: str | None, measure: str) -> float:
    # Same sums as networkx's pure-Python path, over in- and out-neighbours.
    neighbours = set(nx.all_neighbors(H, v))
    if measure == "constraint":
        return float(sum(nx.local_constraint(H, v, n, weight) for n in neighbours))
    from networkx.algorithms.structuralholes import normalized_mutual_weight as nmw

    total = 0.0
    for u in neighbours:
        r = sum(
            nmw(H, v, w, weight=weight) * nmw(H, u, w, norm=max, weight=weight) for w in neighbours
        )
        total += 1 - r
    return total


def constraint(
    G: nx.Graph, *, weight: str | None = None, engine: str = "auto"
) -> dict[Hashable, float]:
    """Burt's constraint of every node (igraph's ``constraint``, networkx's ``constraint``).

    Parameters
    ----------
    G : networkx graph
        Directed or undirected; a multigraph is collapsed first (parallel ``weight``
        values add up, or count 1 each without *weight*); self-loops are ignored.
    weight : str, optional
        Edge attribute holding tie strength.
    engine : {"auto", "igraph", "networkx"}
        ``auto`` (default) is igraph; networkx is the reference.  Same numbers.

    Returns
    -------
    dict
        node → constraint; ``nan`` for an isolate (undefined: no contacts), which the CLI
        prints as an empty value.

    Notes
    -----
    Ties are mutual: ``p_ij`` uses ``a_ij + a_ji``, as in Burt (and igraph's
    ``constraint``).  A node with only incoming arcs is not isolated: it gets the value
    igraph and networkx's scipy-based path give, not the ``nan`` of networkx's
    pure-Python path.

    Examples
    --------
    >>> G = nx.Graph([("a", "b"), ("a", "c")]); G.add_node("z")
    >>> constraint(G)
    {'a': 0.5, 'b': 1.0, 'c': 1.0, 'z': nan}
    """
    if _engine(engine) == "igraph":
        g, nodes, weights = _to_igraph(G, weight, "sum")
        values = g.constraint(weights=weights) if nodes else []
        return {v: float(c) for v, c in zip(nodes, values, strict=True)}
    return _burt(G, weight, "constraint")


def effective_size(G: nx.Graph, *, weight: str | None = None) -> dict[Hashable, float]:
    """Burt's effective size of every node's ego network (``networkx.effective_size``).

    Parameters
    ----------
    G : networkx graph
        Directed or undirected; a multigraph is collapsed as in :func:`constraint`.
    weight : str, optional
        Edge attribute holding tie strength.

    Returns
    -------
    dict
        node → effective size; ``nan`` for an isolate (undefined: no contacts), which the
        CLI prints as an empty value.  Always computed by networkx (igraph has no such
        measure).

    Examples
    --------
    >>> G = nx.Graph([("a", "b"), ("a", "c"), ("b", "c"), ("a", "d")])
    >>> round(effective_size(G)["a"], 4)
    2.3333
    """
    return _burt(G, weight, "effective_size")
