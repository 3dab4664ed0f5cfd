"""Betweenness and Burt's structural-hole measures over a projection.

Thin wrappers over networkx that fix the conventions civicgraph reports (and that igraph
users expect), and return plain dicts keyed by node id.
"""

from __future__ import annotations

from collections.abc import Hashable

import networkx as nx

__all__ = ["betweenness", "constraint", "effective_size"]


def betweenness(
    G: nx.Graph,
    *,
    normalized: bool = True,
    directed: bool | None = None,
    weight: str | None = None,
    k: int | None = None,
    seed: int | None = None,
) -> dict[Hashable, float]:
    """Betweenness centrality of every node (networkx's convention, endpoints excluded).

    Parameters
    ----------
    G : networkx graph
    normalized : bool
        Divide by the number of pairs of other nodes: ``(n-1)(n-2)`` ordered pairs in a
        directed graph, ``(n-1)(n-2)/2`` unordered pairs in an undirected one.
    directed : bool, optional
        ``None`` (default) follows *G*.  ``False`` ignores arc directions; ``True`` on an
        undirected graph counts each edge as two arcs (normalized scores are unchanged).
    weight : str, optional
        Edge attribute read as a *distance* for weighted shortest paths.
    k, seed : int, optional
        Estimate from *k* sampled sources (networkx's ``k``), for large graphs.

    Returns
    -------
    dict
        node → score.

    Notes
    -----
    The raw score of ``v`` is ``sum over s != v != t of sigma(s, t | v) / sigma(s, t)``,
    over ordered pairs in a directed graph and unordered pairs in an undirected one — the
    definition of both networkx's ``betweenness_centrality`` and igraph's
    ``betweenness``.  With ``normalized=True`` this equals R igraph's
    ``betweenness(g, normalized = TRUE)`` as its current manual documents it
    (normalized "by the number of ordered or unordered vertex pairs in directed and
    undirected graphs", i.e. ``2B/((n-1)(n-2))`` undirected); older R igraph manuals
    (0.6 era) gave ``2B/(n^2-3n+2)`` for every graph, which is twice networkx's
    normalized value on a directed graph.  python-igraph's ``Graph.betweenness`` returns
    raw scores only: divide them by the factor above to compare.  Parallel edges of a
    multigraph do not add paths.

    Examples
    --------
    >>> G = nx.path_graph(["a", "b", "c"])
    >>> betweenness(G)
    {'a': 0.0, 'b': 1.0, 'c': 0.0}
    >>> betweenness(nx.DiGraph([("a", "b"), ("b", "c")]), normalized=False)
    {'a': 0.0, 'b': 1.0, 'c': 0.0}
    """
    H = _oriented(G, directed)
    return dict(nx.betweenness_centrality(H, k=k, normalized=normalized, weight=weight, seed=seed))


def _oriented(G: nx.Graph, directed: bool | None) -> nx.Graph:
    if directed is None or directed == G.is_directed():
        return G
    if directed:
        return G.to_directed(as_view=True)
    return G.to_undirected(as_view=True)


def _simple(G: nx.Graph, weight: str | None) -> nx.Graph:
    """Collapse a multigraph into a simple graph; with *weight*, parallel weights add up."""
    if not G.is_multigraph():
        return G
    H = nx.DiGraph() if G.is_directed() else nx.Graph()
    H.add_nodes_from(G)
    for u, v, d in G.edges(data=True):
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


def constraint(G: nx.Graph, *, weight: str | None = None) -> dict[Hashable, float]:
    """Burt's constraint of every node (``networkx.constraint``).

    Parameters
    ----------
    G : networkx graph
        Directed or undirected; a multigraph is collapsed first (parallel ``weight``
        values add up, or count 1 each without *weight*).
    weight : str, optional
        Edge attribute holding tie strength.

    Returns
    -------
    dict
        node → constraint; ``nan`` for a node without any neighbour.

    Notes
    -----
    Ties are mutual: ``p_ij`` uses ``a_ij + a_ji``, as in Burt (and igraph's
    ``constraint``).  A node with only incoming arcs is not isolated: it gets the value
    networkx's scipy-based path gives, not the ``nan`` of its pure-Python path.

    Examples
    --------
    >>> G = nx.Graph([("a", "b"), ("a", "c")])
    >>> constraint(G)
    {'a': 0.5, 'b': 1.0, 'c': 1.0}
    """
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
        node → effective size; ``nan`` for a node without any neighbour.

    Examples
    --------
    >>> G = nx.Graph([("a", "b"), ("a", "c"), ("b", "c"), ("a", "d")])
    >>> round(effective_size(G)["a"], 4)
    2.3333
    """
    return _burt(G, weight, "effective_size")
