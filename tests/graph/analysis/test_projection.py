"""Store → networkx projections, on the real embedded engine."""

from __future__ import annotations

import networkx as nx
import pytest

from civicgraph.graph import UnknownLabel, UnknownRelationshipType
from civicgraph.graph.analysis import (
    co_membership,
    edges_frame,
    nodes_frame,
    to_networkx,
)
from civicgraph.graph.derive import derive


def test_nodes_and_attributes(small_case):
    G = to_networkx(small_case)
    assert isinstance(G, nx.DiGraph) and not G.is_multigraph()
    assert len(G) == 10
    a = G.nodes["org:a"]
    assert (a["label"], a["kind"], a["name"], a["group"]) == ("Organization", "cso", "Alpha", "x")
    assert G.nodes["org:b"]["kind"] == "Organization"  # no stored kind: the label
    grenoble = G.nodes["insee:38185"]
    assert grenoble["label"] == "City"
    assert (grenoble["kind"], grenoble["subkind"]) == ("City", "commune")
    assert grenoble["size_class"] == "100000-499999"
    assert grenoble["departement"] == "38"
    bourg = G.nodes["insee:01053"]
    assert bourg["size_class"] == "5000-99999"
    assert bourg["departement"] == "01"  # from PART_OF, the city has no property
    assert G.nodes["dep:01"]["departement"] == "01"
    # without as_of, the latest mandate gives the nuance; no nuance table, no party source
    assert grenoble["nuance"] == "LDVG"
    assert grenoble["party"] == "unknown" and "party_basis" not in grenoble


def test_as_of_drops_expired_relationships(small_case):
    before = to_networkx(small_case, types=["PARTNER_OF"], as_of="2018-07-01")
    assert before.has_edge("org:a", "org:b")
    assert before["org:a"]["org:b"]["end"] == "2019-01-01"
    gap = to_networkx(small_case, types=["PARTNER_OF"], as_of="2019-03-01")
    assert not gap.has_edge("org:a", "org:b")  # expired, and the next one starts in June
    assert gap.has_edge("org:b", "org:c")
    # a partnership without a start holds on no day (the one "as of" rule), but is there
    # when no date is asked
    assert not gap.has_edge("org:a", "org:c")
    assert to_networkx(small_case, types=["PARTNER_OF"]).has_edge("org:a", "org:c")
    # the end day itself is outside the relationship
    assert not to_networkx(small_case, types=["PARTNER_OF"], as_of="2019-01-01").has_edge(
        "org:a", "org:b"
    )
    later = to_networkx(small_case, types=["PARTNER_OF"], as_of="2020-01-01")
    assert later["org:a"]["org:b"]["start"] == "2019-06-01"
    # start day is inside; the day before is not
    assert not to_networkx(small_case, types=["PARTNER_OF"], as_of="2018-05-31").has_edge(
        "org:b", "org:c"
    )
    assert to_networkx(small_case, types=["PARTNER_OF"], as_of="2018-06-01").has_edge(
        "org:b", "org:c"
    )
    # nodes do not expire
    assert set(gap) == set(to_networkx(small_case))


def test_parallel_relationships_collapse(small_case):
    edge = to_networkx(small_case, types=["PARTNER_OF"])["org:a"]["org:b"]
    assert edge["types"] == ["PARTNER_OF"] and edge["type"] == "PARTNER_OF"
    assert edge["count"] == 2
    assert edge["start"] == "2018-01-01"
    assert "end" not in edge  # the second one is open
    assert edge["sources"] == ["src:one", "src:two"]
    assert edge["ids"] == ["PARTNER_OF|org:a|org:b|2018-01-01", "PARTNER_OF|org:a|org:b|2019-06-01"]
    M = to_networkx(small_case, types=["PARTNER_OF"], multigraph=True)
    assert isinstance(M, nx.MultiDiGraph)
    assert sorted(M["org:a"]["org:b"]) == edge["ids"]
    assert M["org:a"]["org:b"]["PARTNER_OF|org:a|org:b|2018-01-01"]["end"] == "2019-01-01"
    assert M.number_of_edges() == 4


def test_undirected(small_case):
    G = to_networkx(small_case, types=["PARTNER_OF", "MEMBER_OF"], directed=False)
    assert type(G) is nx.Graph
    assert G.has_edge("net:n1", "org:a") and G.has_edge("org:b", "org:a")
    M = to_networkx(small_case, directed=False, multigraph=True)
    assert type(M) is nx.MultiGraph


def test_label_and_type_filters(small_case):
    G = to_networkx(small_case, labels=["Organization"])
    assert sorted(G) == ["org:a", "org:b", "org:c"]
    assert {d["type"] for _, _, d in G.edges(data=True)} == {"PARTNER_OF"}
    H = to_networkx(small_case, labels=["Organization", "Network"], types=["MEMBER_OF"])
    assert sorted(H.edges()) == [("org:a", "net:n1"), ("org:b", "net:n1"), ("org:b", "net:n2")]
    actors = to_networkx(small_case, labels=["Actor"])
    assert "net:n1" in actors and "rne:111" in actors
    with pytest.raises(UnknownLabel):
        to_networkx(small_case, labels=["Organisation"])
    with pytest.raises(UnknownRelationshipType):
        to_networkx(small_case, types=["PARTNER"])
    with pytest.raises(UnknownRelationshipType):
        to_networkx(small_case, types=["PARTNER_OF] ()-[x"])
    with pytest.raises(ValueError):
        to_networkx(small_case, as_of="2020-13-01")


def test_party_of_the_mandate_valid_that_day(small_case):
    G = to_networkx(small_case, as_of="2015-01-01")
    assert G.nodes["insee:38185"]["nuance"] == "LVEC"
    assert G.nodes["insee:38185"]["party"] == "unknown"  # no nuance table: a nuance is no party
    assert G.nodes["rne:111"]["nuance"] == "LVEC"
    assert G.nodes["rne:111"]["departement"] == "38"
    assert "nuance" not in G.nodes["rne:222"]  # not yet mayor
    H = to_networkx(small_case, as_of="2020-07-03")
    assert H.nodes["insee:38185"]["nuance"] == "LDVG"
    assert "nuance" not in H.nodes["rne:111"]
    assert "nuance" not in to_networkx(small_case, as_of="2010-01-01").nodes["insee:38185"]


def test_party_through_a_nuance_table(small_case):
    small_case.upsert_nodes("Party", [{"id": "party:eelv", "name": "EELV", "short": "EELV"}])
    small_case.upsert_nodes(
        "Nuance", [{"id": "nuance:LVEC", "name": "Liste Europe-Écologie", "code": "LVEC"}]
    )
    small_case.upsert_relationships("MAPS_TO", [{"source": "nuance:LVEC", "target": "party:eelv"}])
    derive(small_case)
    G = to_networkx(small_case, as_of="2015-01-01")
    assert G.nodes["insee:38185"]["nuance"] == "LVEC"
    assert G.nodes["insee:38185"]["party"] == "EELV"
    assert G.nodes["insee:38185"]["party_basis"] == "register nuance LVEC"
    assert G.nodes["party:eelv"]["party"] == "EELV"


def test_party_precedence(small_case):
    """A source's party for the term, else the nuance's, else the mayor's membership on the
    term's start (civicgraph.graph.derive); the projection reads that one attribution."""
    small_case.upsert_nodes(
        "Party",
        [
            {"id": "party:ps", "name": "Parti socialiste", "short": "PS"},
            {"id": "party:eelv", "name": "EELV", "short": "EELV"},
        ],
    )
    small_case.upsert_relationships(
        "MEMBER_OF", [{"source": "rne:111", "target": "party:ps", "start": "2010-01-01"}]
    )
    small_case.upsert_relationships(  # the same mandate again, now with a source's party
        "MAYOR_OF",
        [
            {
                "source": "rne:222",
                "target": "insee:38185",
                "start": "2020-07-03",
                "stated_party": "party:eelv",
            }
        ],
    )
    derive(small_case)
    early = to_networkx(small_case, as_of="2015-01-01")
    assert early.nodes["insee:38185"]["party"] == "PS"  # rne:111's membership
    assert early.nodes["insee:38185"]["party_basis"] == "party membership"
    assert early.nodes["insee:38185"]["nuance"] == "LVEC"
    late = to_networkx(small_case, as_of="2021-01-01")
    assert late.nodes["insee:38185"]["party"] == "EELV"  # given on the mandate
    assert late.nodes["insee:38185"]["party_basis"] == "stated by source"
    assert late.nodes["insee:38185"]["nuance"] == "LDVG"
    assert late.nodes["rne:222"]["party"] == "EELV"  # the mayor: the term's party
    # no longer mayor: a member of a party, but no mayor's party attribution
    assert "party" not in late.nodes["rne:111"] and "nuance" not in late.nodes["rne:111"]
    assert "party" not in to_networkx(small_case, as_of="2009-01-01").nodes["rne:111"]


def test_co_membership_count_matches_bipartite_projection(small_case):
    G = co_membership(small_case, as_of="2020-06-01")
    assert sorted(G.edges(data=True)) == [
        ("insee:38185", "org:a", {"weight": 1, "networks": ["net:n1"]}),
        ("insee:38185", "org:b", {"weight": 2, "networks": ["net:n1", "net:n2"]}),
        ("org:a", "org:b", {"weight": 1, "networks": ["net:n1"]}),
    ]
    assert G.nodes["org:a"]["label"] == "Organization"
    # the same as networkx's weighted bipartite projection of the membership graph
    M = to_networkx(small_case, types=["MEMBER_OF"], as_of="2020-06-01", directed=False)
    B = M.subgraph(n for n in M if M.degree(n))
    actors = [n for n in B if B.nodes[n]["label"] != "Network"]
    P = nx.bipartite.weighted_projected_graph(B, actors)
    assert {frozenset(e): d["weight"] for *e, d in P.edges(data=True)} == {
        frozenset(e): d["weight"] for *e, d in G.edges(data=True)
    }
    # on 2019-06-01 org:b is only in n2 and Grenoble not yet: only a and Grenoble share n1
    early = co_membership(small_case, as_of="2019-06-01")
    assert list(early.edges()) == [("insee:38185", "org:a")]


def test_co_membership_overlap_days(small_case):
    G = co_membership(small_case, as_of="2020-06-01", weight="overlap_days")
    # Grenoble in n1 from 2018-09-26, org:a from 2019-01-01: 2019-01-01 .. 2020-06-01
    # = 365 (2019) + 31 + 29 + 31 + 30 + 31 (Jan..May 2020, a leap year) = 517 days
    assert G["insee:38185"]["org:a"]["weight"] == 517
    # Grenoble and org:b: 2020-01-01 .. 2020-06-01 in n1 and again in n2: 2 x 152
    assert G["insee:38185"]["org:b"]["weight"] == 304
    assert G["org:a"]["org:b"]["weight"] == 152
    with pytest.raises(ValueError):
        co_membership(small_case, weight="days")


def test_frames(small_case):
    G = to_networkx(small_case, types=["PARTNER_OF"], as_of="2020-01-01")
    nodes = nodes_frame(G)
    assert list(nodes.columns[:1]) == ["id"] and len(nodes) == 10
    assert nodes.set_index("id").loc["org:a", "name"] == "Alpha"
    edges = edges_frame(G)
    assert list(edges.columns[:2]) == ["source", "target"]
    assert sorted(zip(edges["source"], edges["target"], strict=True)) == [
        ("org:a", "org:b"),
        ("org:b", "org:c"),  # org:a → org:c has no start: it holds on no day
    ]
    multi = edges_frame(to_networkx(small_case, types=["PARTNER_OF"], multigraph=True))
    assert list(multi.columns[:3]) == ["source", "target", "key"] and len(multi) == 4
