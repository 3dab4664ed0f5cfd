"""Derived facts: one party attribution per mayoral term, the term holding the office on a
day, changes of mayor, size classes — stored once, read by every path."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from civicgraph.app.cli import cli
from civicgraph.graph import InvalidProperty, Store, open_store
from civicgraph.graph.analysis import gould_fernandez, to_networkx
from civicgraph.graph.derive import SIZE_CLASSES, Term, derive, derive_terms, size_class
from civicgraph.queries import load_catalogue

NUANCES = {"SOC": ("party:ps", ["src:families"]), "COM": ("party:pcf", ["src:families"])}


def _term(tid: str, person: str, start: str, **kw: object) -> Term:
    return Term(tid, person, "insee:93048", start, **kw)  # type: ignore[arg-type]


def test_precedence_source_nuance_membership_carried() -> None:
    from civicgraph.graph.derive import Membership

    terms = [
        _term("a", "p:1", "2008-03-21", nuance="COM", sources=["src:bref"]),
        _term(
            "b",
            "p:1",
            "2014-04-05",
            nuance="COM",
            stated_party="party:eelv",
            sources=["src:paper", "src:bref"],
        ),
        _term("c", "p:1", "2020-07-04", sources=["src:rne"]),
        _term("d", "p:2", "2026-03-21", sources=["src:rne"]),
        _term("e", "p:3", "2030-01-01", sources=["src:rne"]),
    ]
    out = {
        t.id: t
        for t in derive_terms(
            terms,
            nuance_parties=NUANCES,
            memberships={"p:3": [Membership("party:lr", "2029-01-01", None, ["src:m"])]},
            register_sources={"src:bref", "src:rne"},
        )
    }
    assert (out["a"].party, out["a"].party_basis) == ("party:pcf", "register nuance COM")
    assert out["a"].party_sources == ["src:bref", "src:families"]
    # a source's party beats the nuance; its sources are the non-register ones
    assert (out["b"].party, out["b"].party_basis, out["b"].party_sources) == (
        "party:eelv",
        "stated by source",
        ["src:paper"],
    )
    # re-elected, no nuance, no membership: carried from the previous term, same person
    assert (out["c"].party, out["c"].party_basis) == ("party:eelv", "carried from the 2014 term")
    assert out["c"].mayor_changed is False and out["c"].predecessor == "p:1"
    # never carried across two persons
    assert out["d"].party is None and out["d"].mayor_changed is True
    # a membership valid on the term's start
    assert (out["e"].party, out["e"].party_basis) == ("party:lr", "party membership")
    # the office passes at each new start; the last term is open
    assert [out[k].held_until for k in "abcde"] == [
        "2014-04-05",
        "2020-07-04",
        "2026-03-21",
        "2030-01-01",
        None,
    ]


def test_undated_membership_holds_on_no_day() -> None:
    from civicgraph.graph.derive import Membership

    [t] = derive_terms(
        [_term("a", "p:1", "2014-04-05")],
        nuance_parties={},
        memberships={"p:1": [Membership("party:eelv", None, None, ["src:x"])]},
    )
    assert t.party is None  # "as of" the term's start, an undated membership says nothing


def test_two_sources_for_one_reelection_are_not_a_change() -> None:
    out = derive_terms(
        [
            _term("a", "p:1", "2014-04-04", nuance="SOC"),
            _term("b", "p:1", "2020-07-01"),  # the 2020 register
            _term("c", "p:1", "2020-07-03"),  # the same term, another source's start
        ],
        nuance_parties=NUANCES,
        memberships={},
    )
    assert [t.mayor_changed for t in out] == [None, False, False]
    assert [t.party_basis for t in out] == [
        "register nuance SOC",
        "carried from the 2014 term",
        "carried from the 2014 term",
    ]


def test_size_class_is_one_function() -> None:
    assert [size_class(p) for p in (0, 4999, 5000, 99_999, 100_000, 499_999, 500_000)] == [
        SIZE_CLASSES[0],
        SIZE_CLASSES[0],
        SIZE_CLASSES[1],
        SIZE_CLASSES[1],
        SIZE_CLASSES[2],
        SIZE_CLASSES[2],
        SIZE_CLASSES[3],
    ]
    assert size_class(None) is None and size_class(float("nan")) is None


def test_derive_is_idempotent_and_loaders_refuse_derived_properties(store: Store) -> None:
    store.upsert_nodes("City", [{"id": "insee:38185", "name": "Grenoble", "population": 156140}])
    store.upsert_nodes("Person", [{"id": "rne:1", "name": "A"}, {"id": "rne:2", "name": "B"}])
    store.upsert_relationships(
        "MAYOR_OF",
        [
            {"source": "rne:1", "target": "insee:38185", "start": "2014-04-04"},
            {"source": "rne:2", "target": "insee:38185", "start": "2020-07-03"},
        ],
    )
    first = derive(store)
    assert first.as_dict() == {"cities": 1, "terms": 2}
    digest = store.digest()
    assert derive(store).as_dict() == {"cities": 0, "terms": 0}
    assert store.digest() == digest
    [city] = store.query("MATCH (c:City) RETURN c.size_class AS s")
    assert city["s"] == "100000-499999"
    with pytest.raises(InvalidProperty, match="stated_party"):
        store.model.validate_relationship("MAYOR_OF", {"party": "party:ps"})
    with pytest.raises(InvalidProperty, match="derived"):
        store.model.validate_node("City", {"id": "insee:38185", "name": "G", "size_class": "x"})


# -- the demo case: every path gives one answer ---------------------------------------------

DAY = "2022-09-01"


def test_montreuil_party_is_carried_from_its_2014_term(case_store: Store) -> None:
    rows = load_catalogue().run(
        case_store, "network_members", {"network": "net:anvita", "date": DAY}
    )
    montreuil = next(r for r in rows if r["id"] == "insee:93048")
    assert montreuil["party"] == "PCF"
    assert montreuil["party_basis"] == "carried from the 2014 term"
    terms = load_catalogue().run(case_store, "mayors_of", {"city": "insee:93048"})
    t2014 = next(t for t in terms if t["start"] == "2014-04-05")
    assert (t2014["party"], t2014["party_basis"]) == ("PCF", "stated by source")


def test_composition_counts_exactly_the_members_parties(case_store: Store) -> None:
    cat = load_catalogue()
    members = cat.run(case_store, "network_members", {"network": "net:anvita", "date": DAY})
    composition = cat.run(
        case_store, "network_composition", {"network": "net:anvita", "date": DAY, "by": "party"}
    )
    expected: dict[str, int] = {}
    for r in members:
        value = (
            r["party"]
            if r["kind"] in ("commune-actuelle", "arrondissement-municipal", "city")
            else "not a city"
        )
        expected[value] = expected.get(value, 0) + 1
    assert {r["value"]: r["members"] for r in composition} == expected


def test_projection_and_queries_agree_on_members_and_parties(case_store: Store) -> None:
    """to_networkx(as_of) and network_members give the same members, and brokerage
    --group party groups every member as network_members' party column says."""
    rows = load_catalogue().run(
        case_store, "network_members", {"network": "net:anvita", "date": DAY}
    )
    G = to_networkx(case_store, as_of=DAY)
    members = {
        u for u, v, d in G.edges(data=True) if v == "net:anvita" and d["type"] == "MEMBER_OF"
    }
    assert members == {r["id"] for r in rows}
    for r in rows:
        assert G.nodes[r["id"]].get("party") == r["party"], r["id"]
    # brokerage --group party (CLI) on the same day uses the same groups
    result = CliRunner().invoke(
        cli,
        [
            "brokerage",
            "--group",
            "party",
            "--as-of",
            DAY,
            "--types",
            "MEMBER_OF",
            "--keep-zero",
            "--format",
            "csv",
            "--db",
            str(case_store.location),
        ],
    )
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.output)))
    assert {r["id"] for r in rows} <= {t["id"] for t in table}
    # the roles follow from those groups: recount them directly
    H = to_networkx(case_store, as_of=DAY, types=["MEMBER_OF"])
    counts = gould_fernandez(H, {n: H.nodes[n].get("party") for n in H})
    for t in table:
        assert int(t["total"]) == counts[t["id"]]["total"]


def test_reelected_mayors_are_not_changes(case_store: Store) -> None:
    rows = load_catalogue().run(
        case_store, "leadership_changes", {"from": "2025-01-01", "to": "2026-06-01"}
    )
    assert rows
    for r in rows:
        assert r["old_mayor_id"] != r["new_mayor_id"], r


def test_every_load_derives(tmp_path) -> None:  # type: ignore[no-untyped-def]
    nodes = tmp_path / "nodes.csv"
    edges = tmp_path / "edges.csv"
    nodes.write_text(
        "id,label,name,population\ninsee:38185,City,Grenoble,156140\nrne:1,Person,A,\n",
        encoding="utf-8",
    )
    edges.write_text(
        "source,target,type,start,stated_party\nrne:1,insee:38185,MAYOR_OF,2020-07-03,party:eelv\n",
        encoding="utf-8",
    )
    from civicgraph.loaders import load

    with open_store(tmp_path / "s.db") as s:
        summary = load(s, nodes=[nodes], edges=[edges], progress=False)
        assert summary.derived == {"cities": 1, "terms": 1}
        [t] = s.query("MATCH ()-[t:MAYOR_OF]->() RETURN t.party AS p, t.party_basis AS b")
        assert (t["p"], t["b"]) == ("party:eelv", "stated by source")
        again = load(s, nodes=[nodes], edges=[edges], progress=False)
        assert again.derived == {"cities": 0, "terms": 0}
