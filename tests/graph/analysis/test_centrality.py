"""Betweenness and Burt's measures: the same numbers as networkx, with stated conventions."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from civicgraph.graph.analysis import betweenness, constraint, effective_size, to_networkx


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or a[k] == pytest.approx(b[k]) for k in a
    )


@pytest.mark.parametrize("directed", [True, False])
def test_equal_networkx_on_the_store_projection(small_case, directed):
    G = to_networkx(
        small_case, types=["PARTNER_OF", "MEMBER_OF"], as_of="2020-06-01", directed=directed
    )
    assert same(betweenness(G), nx.betweenness_centrality(G))
    assert same(betweenness(G, normalized=False), nx.betweenness_centrality(G, normalized=False))
    if directed:
        # networkx's pure-Python path calls nodes with in-arcs only (the networks, org:c)
        # isolated; everywhere else the values are networkx's own
        nets = {v for v in G if not G.succ[v] and G.pred[v]}
        assert nets == {"net:n1", "net:n2", "org:c"}
        ref_c, ref_e = nx.constraint(G), nx.effective_size(G)
        assert all(math.isnan(ref_c[n]) for n in nets)
        assert same(
            {k: v for k, v in constraint(G).items() if k not in nets},
            {k: v for k, v in ref_c.items() if k not in nets},
        )
        assert same(
            {k: v for k, v in effective_size(G).items() if k not in nets},
            {k: v for k, v in ref_e.items() if k not in nets},
        )
        assert not any(math.isnan(constraint(G)[n]) for n in nets)
    else:
        assert same(constraint(G), nx.constraint(G))
        assert same(effective_size(G), nx.effective_size(G))
    assert math.isnan(constraint(G)["insee:01053"])  # no relationship that day


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_equal_networkx_on_random_graphs(seed):
    D = nx.gnp_random_graph(25, 0.15, directed=True, seed=seed)
    U = D.to_undirected()
    for G in (D, U):
        assert same(betweenness(G), nx.betweenness_centrality(G))
    assert same(betweenness(D, directed=False), nx.betweenness_centrality(U))
    assert same(constraint(U), nx.constraint(U))
    assert same(effective_size(U), nx.effective_size(U))
    receivers = {v for v in D if not D.succ[v] and D.pred[v]}
    for ours, ref in ((constraint(D), nx.constraint(D)), (effective_size(D), nx.effective_size(D))):
        assert same(
            {v: ours[v] for v in D if v not in receivers},
            {v: ref[v] for v in D if v not in receivers},
        )


def test_normalization_factors():
    # documented: directed divides by (n-1)(n-2), undirected by (n-1)(n-2)/2
    D = nx.gnp_random_graph(12, 0.3, directed=True, seed=3)
    n = len(D)
    raw, norm = betweenness(D, normalized=False), betweenness(D)
    assert all(norm[v] == pytest.approx(raw[v] / ((n - 1) * (n - 2))) for v in D)
    U = D.to_undirected()
    raw, norm = betweenness(U, normalized=False), betweenness(U)
    assert all(norm[v] == pytest.approx(raw[v] / ((n - 1) * (n - 2) / 2)) for v in U)
    # directed=True on an undirected graph: raw doubles, normalized is unchanged
    assert same(betweenness(U, directed=True), norm)
    assert same(betweenness(U, directed=True, normalized=False), {v: 2 * r for v, r in raw.items()})


def test_node_with_incoming_arcs_only():
    # a → b, a → c, b → c: c only receives.  Ties are mutual, so c's ego network is the
    # triangle: p_ca = p_cb = 1/2, p_ab = p_ba = 1/2, and
    # constraint(c) = (1/2 + 1/2 * 1/2)^2 + (1/2 + 1/2 * 1/2)^2 = 1.125, as in the undirected
    # triangle; effective size = 2 - 2 * (1/2 * 1) = 1.
    G = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "c")])
    assert constraint(G)["c"] == pytest.approx(1.125)
    assert constraint(G) == pytest.approx(nx.constraint(G.to_undirected()))
    assert effective_size(G)["c"] == pytest.approx(1.0)
    assert math.isnan(nx.constraint(G)["c"])  # what networkx alone says without scipy


def test_multigraph_is_collapsed():
    M = nx.MultiGraph([("a", "b"), ("a", "b"), ("a", "c")])
    assert constraint(M) == pytest.approx(nx.constraint(nx.Graph(M)))
    assert effective_size(M) == pytest.approx(nx.effective_size(nx.Graph(M)))
    # with a weight, parallel weights add up: a–b weighs 2 + 3, a–c 1
    W = nx.MultiGraph()
    W.add_edge("a", "b", w=2)
    W.add_edge("a", "b", w=3)
    W.add_edge("a", "c", w=1)
    S = nx.Graph()
    S.add_edge("a", "b", w=5)
    S.add_edge("a", "c", w=1)
    assert constraint(W, weight="w") == pytest.approx(nx.constraint(S, weight="w"))
    assert betweenness(M) == nx.betweenness_centrality(nx.Graph(M))


# -- igraph (the default engine) against networkx (the reference) ------------------------
def _with_isolates(seed: int, directed: bool) -> nx.Graph:
    G = nx.gnp_random_graph(40, 0.08, directed=directed, seed=seed)
    G.add_nodes_from(["iso-1", "iso-2"])  # two isolates, as in the referral network
    rng = __import__("random").Random(seed)
    for u, v in G.edges():
        G[u][v]["w"] = rng.randint(1, 4)
    return G


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("directed", [True, False])
def test_igraph_engine_equals_networkx_engine(seed, directed):
    G = _with_isolates(seed, directed)
    for normalized in (True, False):
        for weight in (None, "w"):
            ig_ = betweenness(G, normalized=normalized, weight=weight, engine="igraph")
            nx_ = betweenness(G, normalized=normalized, weight=weight, engine="networkx")
            assert same(ig_, nx_), (normalized, weight)
    assert same(betweenness(G), nx.betweenness_centrality(G))  # default: over all n nodes
    for weight in (None, "w"):
        assert same(
            constraint(G, weight=weight, engine="igraph"),
            constraint(G, weight=weight, engine="networkx"),
        )
    c = constraint(G)
    assert math.isnan(c["iso-1"]) and math.isnan(c["iso-2"])
    assert betweenness(G)["iso-1"] == 0.0 and len(betweenness(G)) == 42


def test_raw_betweenness_equals_igraph_and_normalized_counts_isolates():
    import igraph as ig

    G = _with_isolates(4, True)
    g = ig.Graph.from_networkx(G)
    expected = dict(zip(g.vs["_nx_name"], g.betweenness(directed=True), strict=True))
    assert same(betweenness(G, normalized=False, engine="networkx"), expected)
    n = len(G)  # 42, isolates included
    norm = betweenness(G, engine="networkx")
    assert same(norm, {v: b / ((n - 1) * (n - 2)) for v, b in expected.items()})


@pytest.mark.parametrize("engine", ["igraph", "networkx"])
def test_engines_agree_on_multigraphs_self_loops_and_undirected_views(engine):
    M = nx.MultiDiGraph([("a", "b"), ("a", "b"), ("b", "c"), ("c", "c"), ("c", "a"), ("d", "c")])
    M.add_node("z")
    S = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("d", "c")])
    S.add_node("z")
    # parallel arcs and self-loops add no path and no tie
    assert same(betweenness(M, engine=engine), nx.betweenness_centrality(S))
    assert same(constraint(M, engine=engine), constraint(S, engine="networkx"))
    U = S.to_undirected()
    assert same(betweenness(S, directed=False, engine=engine), nx.betweenness_centrality(U))
    assert same(
        betweenness(U, directed=True, normalized=False, engine=engine),
        nx.betweenness_centrality(U.to_directed(), normalized=False),
    )
    # weighted multigraph: the shortest parallel arc is the distance (2, not 5), which
    # ties with a → c → b: c lies on one of the two shortest paths
    W = nx.MultiDiGraph()
    W.add_edge("a", "b", w=5)
    W.add_edge("a", "b", w=2)
    W.add_edge("a", "c", w=1)
    W.add_edge("c", "b", w=1)
    got = betweenness(W, weight="w", normalized=False, engine=engine)
    assert same(got, nx.betweenness_centrality(W, weight="w", normalized=False))
    assert got["c"] == 0.5


def test_unknown_engine():
    with pytest.raises(ValueError, match="engine must be one of auto, igraph, networkx"):
        betweenness(nx.path_graph(3), engine="graph-tool")
