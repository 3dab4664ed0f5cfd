"""Gould–Fernandez brokerage: hand-counted graphs, a brute-force check, and the store table."""

from __future__ import annotations

import random
from itertools import permutations
from pathlib import Path

import networkx as nx
import pytest

from civicgraph.graph.analysis import ROLES, brokerage_frame, gould_fernandez


def brute_force(G: nx.Graph, group: str) -> dict:
    """docs/design.md §4 read literally: every ordered triple of distinct nodes."""
    g = {n: G.nodes[n].get(group) for n in G}
    arcs = {(u, v) for u, v in G.edges() if u != v}
    if not G.is_directed():
        arcs |= {(v, u) for u, v in arcs}
    out = {n: dict.fromkeys(ROLES, 0) for n in G}
    for i, j, k in permutations(G, 3):
        if (i, j) in arcs and (j, k) in arcs and (i, k) not in arcs:
            if g[i] == g[j] == g[k]:
                role = "coordinator"
            elif g[i] == g[k]:
                role = "itinerant"
            elif g[i] == g[j]:
                role = "representative"
            elif g[j] == g[k]:
                role = "gatekeeper"
            else:
                role = "liaison"
            out[j][role] += 1
            out[j]["total"] += 1
    return out


def counts(**kw: int) -> dict[str, int]:
    out = dict.fromkeys(ROLES, 0)
    out.update(kw)
    out["total"] = sum(kw.values())
    return out


@pytest.fixture
def parties() -> nx.DiGraph:
    """Five actors in three groups, with a reciprocal pair and two closed two-paths.

    a, b in P; c, d in Q; e in R.  Arcs: a→b, b→a (reciprocal), b→c, b→d, c→d, d→e, a→c, e→b.
    """
    G = nx.DiGraph()
    G.add_nodes_from(
        [
            ("a", {"g": "P"}),
            ("b", {"g": "P"}),
            ("c", {"g": "Q"}),
            ("d", {"g": "Q"}),
            ("e", {"g": "R"}),
        ]
    )
    G.add_edges_from(
        [
            ("a", "b"),
            ("b", "a"),
            ("b", "c"),
            ("b", "d"),
            ("c", "d"),
            ("d", "e"),
            ("a", "c"),
            ("e", "b"),
        ]
    )
    return G


def test_hand_counted_directed(parties):
    result = gould_fernandez(parties, "g")
    # broker a: b→a→b has i = k (no two-path); b→a→c is closed by the arc b→c.
    assert result["a"] == counts()
    # broker b (P); in-neighbours a (P), e (R); out-neighbours a, c (Q), d (Q):
    #   a→b→a  i = k, not a two-path          a→b→c  closed by a→c
    #   a→b→d  P P Q  representative          e→b→c  R P Q  liaison
    #   e→b→d  R P Q  liaison                 e→b→a  R P P  gatekeeper
    assert result["b"] == counts(representative=1, gatekeeper=1, liaison=2)
    # broker c (Q): b→c→d closed by b→d; a→c→d  P Q Q  gatekeeper
    assert result["c"] == counts(gatekeeper=1)
    # broker d (Q): b→d→e  P Q R  liaison; c→d→e  Q Q R  representative
    assert result["d"] == counts(representative=1, liaison=1)
    # broker e (R): d→e→b  Q R P  liaison
    assert result["e"] == counts(liaison=1)
    assert result == brute_force(parties, "g")


def test_representative_is_not_gatekeeper():
    # i and j share a group: j represents it (A→A→B); j and k share one: j keeps its gate
    # (A→B→B).  The two are easy to swap; sna's b_IO is representative, b_OI gatekeeper.
    rep = nx.DiGraph([("i", "j"), ("j", "k")])
    nx.set_node_attributes(rep, {"i": "A", "j": "A", "k": "B"}, "g")
    gate = nx.DiGraph([("i", "j"), ("j", "k")])
    nx.set_node_attributes(gate, {"i": "A", "j": "B", "k": "B"}, "g")
    assert gould_fernandez(rep, "g")["j"] == counts(representative=1)
    assert gould_fernandez(gate, "g")["j"] == counts(gatekeeper=1)


def test_closed_two_path_does_not_count():
    G = nx.DiGraph([("i", "j"), ("j", "k")])
    nx.set_node_attributes(G, "A", "g")
    assert gould_fernandez(G, "g")["j"] == counts(coordinator=1)
    G.add_edge("i", "k")  # i reaches k directly: j brokers nothing
    assert gould_fernandez(G, "g")["j"] == counts()
    # ...but only the direction i→k closes it: k→i leaves i→j→k open.
    G.remove_edge("i", "k")
    G.add_edge("k", "i")
    # now also j→k→i (closed? j→i absent: open) and k→i→j (k→j absent: open).
    result = gould_fernandez(G, "g")
    assert result["j"] == counts(coordinator=1)
    assert result == brute_force(G, "g")


def test_reciprocal_pair():
    # h ↔ m ↔ t, all in one group: m brokers h→m→t and t→m→h; h→m→h is not a two-path.
    G = nx.DiGraph([("h", "m"), ("m", "h"), ("m", "t"), ("t", "m")])
    nx.set_node_attributes(G, "A", "g")
    assert gould_fernandez(G, "g") == {"h": counts(), "m": counts(coordinator=2), "t": counts()}


def test_hand_counted_undirected():
    """x(A) – y(B) – z(A), y – w(B), z – w: every edge is two arcs."""
    G = nx.Graph([("x", "y"), ("y", "z"), ("y", "w"), ("z", "w")])
    nx.set_node_attributes(G, {"x": "A", "y": "B", "z": "A", "w": "B"}, "g")
    result = gould_fernandez(G, "g")
    # broker y:  x→y→z  A B A itinerant     z→y→x  A B A itinerant
    #            x→y→w  A B B gatekeeper    w→y→x  B B A representative
    #            z→y→w, w→y→z closed by z – w
    assert result["y"] == counts(itinerant=2, gatekeeper=1, representative=1)
    # z and w: y→z→w, w→z→y, y→w→z, z→w→y all closed by the triangle y, z, w
    assert result["z"] == result["w"] == result["x"] == counts()
    assert result == brute_force(G, "g")


def test_missing_group_is_group_none():
    G = nx.DiGraph([("p", "q"), ("q", "r")])
    assert gould_fernandez(G, "g")["q"] == counts(coordinator=1)  # None, None, None
    G.nodes["p"]["g"] = "X"
    assert gould_fernandez(G, "g")["q"] == counts(gatekeeper=1)  # X, None, None


def test_group_mapping_and_multigraph():
    G = nx.MultiDiGraph([("i", "j"), ("i", "j"), ("j", "k"), ("j", "j"), ("k", "k")])
    result = gould_fernandez(G, {"i": 1, "j": 2, "k": 3})
    # parallel arcs count once, self-loops never
    assert result["j"] == counts(liaison=1)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("directed", [True, False])
def test_matches_brute_force_on_random_graphs(seed, directed):
    rng = random.Random(seed)
    G = nx.gnp_random_graph(30, 0.12, directed=directed, seed=seed)
    for n in G:
        if rng.random() < 0.9:  # a few nodes without a group
            G.nodes[n]["g"] = rng.choice("ABCD")
    assert gould_fernandez(G, "g") == brute_force(G, "g")


def test_brokerage_frame_from_store(store):
    store.upsert_nodes(
        "Organization",
        [
            {"id": "org:a", "name": "A", "group": "x"},
            {"id": "org:b", "name": "B", "group": "y"},
            {"id": "org:c", "name": "C", "group": "x"},
        ],
    )
    store.upsert_relationships(
        "PARTNER_OF",
        [
            {"source": "org:a", "target": "org:b", "start": "2019-01-01"},
            {"source": "org:b", "target": "org:c", "start": "2019-01-01", "end": "2020-01-01"},
        ],
    )
    df = brokerage_frame(store, "group", as_of="2019-06-01", types=["PARTNER_OF"])
    assert df.to_dict("records") == [
        {"actor": "org:b", "name": "B", "group": "y", **counts(itinerant=1)},
    ]
    assert brokerage_frame(store, "group", as_of="2020-06-01").empty
    full = brokerage_frame(store, "group", drop_zero=False)
    assert list(full["actor"]) == ["org:b", "org:a", "org:c"]


@pytest.mark.parametrize("as_of", [None, "2020-01-01"])
def test_agrees_with_the_stored_cypher_query(store, as_of):
    """The library and ``queries/brokerage_roles.cypher`` count the same two-paths."""
    from civicgraph.queries import load_catalogue

    rng = random.Random(11)
    D = nx.gnp_random_graph(18, 0.15, directed=True, seed=11)
    store.upsert_nodes(
        "Organization",
        [
            {"id": f"org:{n}", "name": f"O{n}", **({"group": rng.choice("AB")} if n % 5 else {})}
            for n in D
        ],
    )
    # Some arcs twice (two periods), some expired by 2020: both sides must agree on what
    # counts as one arc on a date.
    rows = []
    for u, v in D.edges():
        r = rng.random()
        if r < 0.2:
            rows.append(
                {
                    "source": f"org:{u}",
                    "target": f"org:{v}",
                    "start": "2015-01-01",
                    "end": "2018-01-01",
                }
            )
        elif r < 0.4:
            rows += [
                {"source": f"org:{u}", "target": f"org:{v}", "start": "2016-01-01"},
                {"source": f"org:{u}", "target": f"org:{v}", "start": "2019-01-01"},
            ]
        else:
            rows.append({"source": f"org:{u}", "target": f"org:{v}"})
    store.upsert_relationships("PARTNER_OF", rows)
    cypher = {
        r["id"]: {role: r[role] for role in ROLES}
        for r in load_catalogue().run(
            store, "brokerage_roles", {"group": "group", "types": ["PARTNER_OF"], "date": as_of}
        )
    }
    df = brokerage_frame(store, "group", types=["PARTNER_OF"], as_of=as_of)
    ours = {r["actor"]: {role: r[role] for role in ROLES} for r in df.to_dict("records")}
    assert ours == cypher
    assert ours  # the graph has brokers at all


def test_cli_on_the_referral_network_equals_a_brute_force_count(tmp_path):
    """``brokerage --keep-zero`` on the referral network of ``tests/data/referrals`` (two
    isolates), loaded with ``civicgraph load --nodes --edges``: every actor, each with the
    brute-force counts of the CSV files read without civicgraph."""
    import csv
    import json

    from click.testing import CliRunner

    from civicgraph.app.cli import cli

    data = Path(__file__).resolve().parents[2] / "data" / "referrals"
    G = nx.DiGraph()
    with open(data / "referrals_nodes.csv", encoding="utf-8") as f:
        G.add_nodes_from((r["id"], {"sector": r["sector"]}) for r in csv.DictReader(f))
    with open(data / "referrals_edges.csv", encoding="utf-8") as f:
        G.add_edges_from((r["source"], r["target"]) for r in csv.DictReader(f))
    db = str(tmp_path / "g.db")
    nodes, edges = str(data / "referrals_nodes.csv"), str(data / "referrals_edges.csv")
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["load", "--nodes", nodes, "--edges", edges, "--db", db]).exit_code == 0
    )
    result = runner.invoke(
        cli,
        ["brokerage", "--group", "sector", "--keep-zero", "--format", "json", "--db", db],
    )
    assert result.exit_code == 0, result.output
    got = {r.pop("id"): r for r in json.loads(result.output)}
    assert got == brute_force(G, "sector")
    assert got["org:ccas-amont"]["total"] == 7
    assert got["org:collectif-parrainage"] == counts()  # an isolate has its row
