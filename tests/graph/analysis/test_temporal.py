"""Dates to measure on, and measures over time from the store."""

from __future__ import annotations

import datetime as dt
import functools
import math

import networkx as nx
import pytest

from civicgraph.graph.analysis import (
    ROLES,
    betweenness,
    measure_over_time,
    slices,
    to_networkx,
)


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((2018, 2020), {}, ["2018-01-01", "2019-01-01", "2020-01-01"]),
        (("2018", "2018"), {}, ["2018-01-01"]),
        (("2018-01-01", "2019-12-31"), {}, ["2018-01-01", "2019-01-01"]),
        (("2018-01-02", "2019-01-01"), {}, ["2019-01-01"]),
        ((dt.date(2020, 5, 1), dt.date(2020, 12, 31)), {}, []),
        (("2020-12-15", "2021-02-01"), {"every": "month"}, ["2021-01-01", "2021-02-01"]),
        ((["2020-07-03", "2014-04-04"],), {}, ["2014-04-04", "2020-07-03"]),
    ],
)
def test_slices(args, kwargs, expected):
    assert slices(*args, **kwargs) == expected


def test_slices_errors():
    with pytest.raises(ValueError):
        slices("2020-02-30", "2021-01-01")
    with pytest.raises(ValueError):
        slices("2020-01-01")
    with pytest.raises(ValueError):
        slices(2019, 2020, every="week")


def test_gould_fernandez_over_time(small_case):
    dates = ["2019-03-01", "2020-01-01"]
    # The same measure, read twice: as it comes (zeros dropped), then with every zero.
    over_time = functools.partial(
        measure_over_time,
        small_case,
        "gould-fernandez",
        dates,
        group="group",
        labels=["Organization"],
        types=["PARTNER_OF"],
    )
    df = over_time()
    assert list(df.columns) == ["actor", "name", "date", "measure", "value"]
    # 2019-03-01: a→c, b→c only (a→b expired): no two-path at all.
    # 2020-01-01: a→b→c is open: a→c has no start, so it holds on no day (the one "as of"
    # rule).  b (group y) between a and c (group x) is an itinerant broker.
    assert df[df["value"] > 0][["actor", "date", "measure", "value"]].values.tolist() == [
        ["org:b", "2020-01-01", "itinerant", 1],
        ["org:b", "2020-01-01", "total", 1],
    ]
    everyone = over_time(drop_zero=False)
    assert len(everyone) == 2 * 3 * len(ROLES)
    assert set(everyone["measure"]) == set(ROLES)
    assert everyone["value"].sum() == 2


def test_gould_fernandez_by_party_of_the_day(small_case):
    # Memberships, undirected: a network links its members, and a city links its networks.
    # A city's group is its mayor's nuance on each date.
    df = measure_over_time(
        small_case,
        "gould_fernandez",
        ["2015-01-01", "2020-06-01"],
        group="party",
        types=["MEMBER_OF"],
        directed=False,
    )
    assert set(df["date"]) == {"2020-06-01"}  # in 2015 nobody is a member of anything
    n1 = df[(df["actor"] == "net:n1") & (df["measure"] == "total")]["value"].item()
    # n1's members on 2020-06-01: Grenoble, org:a, org:b, not tied to one another, so
    # every ordered pair of them is an open two-path through n1: 3 * 2 = 6
    assert n1 == 6
    grenoble = df[df["actor"] == "insee:38185"].set_index("measure")["value"]
    # Grenoble (LVEC until 2020-07-03) links n1 and n2, both without a party (group None):
    # n1→G→n2 and n2→G→n1 are itinerant (i and k share a group, j does not)
    assert grenoble["itinerant"] == 2 and grenoble["total"] == 2


@pytest.mark.parametrize("method", ["betweenness", "constraint", "effective-size"])
def test_centrality_over_time(small_case, method):
    dates = slices(2019, 2020)
    df = measure_over_time(
        small_case, method, dates, types=["PARTNER_OF", "MEMBER_OF"], drop_zero=False
    )
    assert set(df["measure"]) == {method}
    assert set(df["date"]) == set(dates)
    G = to_networkx(
        small_case, labels=["Actor"], types=["PARTNER_OF", "MEMBER_OF"], as_of="2020-01-01"
    )
    got = df[df["date"] == "2020-01-01"].set_index("actor")["value"].to_dict()
    # every actor of the store, isolates included (the mayors and Bourg-en-Bresse have no
    # relationship of these types), on every date
    assert set(got) == set(G) and len(G) == 10
    for date in dates:
        assert len(df[df["date"] == date]) == 10
    if method == "betweenness":
        assert got == pytest.approx(betweenness(G))
        assert got == pytest.approx(nx.betweenness_centrality(G))  # normalised over all 10
        assert got["rne:111"] == 0.0
        raw = measure_over_time(
            small_case, method, ["2020-01-01"], types=["PARTNER_OF", "MEMBER_OF"], normalized=False
        ).set_index("actor")["value"]
        expected = nx.betweenness_centrality(G, normalized=False)
        # drop_zero (the default) leaves out the zeros
        assert raw.to_dict() == pytest.approx({a: b for a, b in expected.items() if b})
    else:
        assert math.isnan(got["rne:111"]) and math.isnan(got["insee:01053"])  # undefined


def test_every_actor_has_a_row_for_each_method(small_case):
    """With drop_zero=False every method lists every actor (not Source nodes), isolates
    included (issue #12)."""
    small_case.upsert_node("Source", {"id": "src:file", "name": "a file", "title": "a file"})
    actors = {r["id"] for r in small_case.query("MATCH (n:Actor) RETURN n.id AS id")}
    for method in ("gould-fernandez", "betweenness", "constraint", "effective-size"):
        df = measure_over_time(
            small_case, method, ["2020-01-01"], group="group", types=["PARTNER_OF"], drop_zero=False
        )
        assert set(df["actor"]) == actors and "src:file" not in set(df["actor"]), method


def test_unknown_method(small_case):
    with pytest.raises(ValueError):
        measure_over_time(small_case, "pagerank", ["2020-01-01"])
    with pytest.raises(ValueError):
        measure_over_time(small_case, "gould-fernandez", ["2020-01-01"])


@pytest.mark.parametrize("directed", [True, False])
@pytest.mark.parametrize("group", [None, "group"])
def test_projections_over_several_dates_equal_to_networkx_on_each(small_case, directed, group):
    """Several dates read the store once; each graph is still ``to_networkx(as_of=date)``."""
    from civicgraph.graph.analysis.temporal import projections

    dates = ["2018-03-01", "2018-12-31", "2019-01-01", "2019-06-01", "2020-07-03", "2021-01-01"]
    got = list(
        projections(small_case, dates, group=group, labels=["Actor"], types=None, directed=directed)
    )
    assert [d for d, _ in got] == dates
    for date, G in got:
        ref = to_networkx(small_case, labels=["Actor"], as_of=date, directed=directed)
        assert set(G.nodes) == set(ref.nodes), date
        assert set(map(frozenset, G.edges)) == set(map(frozenset, ref.edges)), date
        if directed:
            assert set(G.edges) == set(ref.edges), date
        for n in G:
            assert G.nodes[n].get("name") == ref.nodes[n].get("name")
            if group:
                assert G.nodes[n].get(group) == ref.nodes[n].get(group)
