"""The stored-query catalogue: loading rules, parameters, read-only runs, known answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicgraph.graph import (
    InvalidParameter,
    InvalidQueryFile,
    MissingParameter,
    QueryNotFound,
    ReadOnlyViolation,
    Store,
    UnknownParameter,
)
from civicgraph.queries import load_catalogue, named_parameters, queries_path, queries_paths

CHARTER_FOUNDERS = {  # anvita.fr/qui-sommes-nous: the 9 cities of the charter, 2018-09-26
    "insee:05023",
    "insee:59271",
    "insee:38185",
    "insee:94041",
    "insee:69381",
    "insee:93048",
    "insee:44109",
    "insee:93066",
    "insee:67482",
}
REQUIRED = [
    "network_members",
    "membership_timeline",
    "network_composition",
    "reported_vs_computed",
    "co_membership",
    "alliance_members",
    "mayors_of",
    "leadership_changes",
    "exits_after_leadership_change",
    "joins_after_leadership_change",
    "brokerage_roles",
    "path_between",
]


# -- the catalogue ------------------------------------------------------------------------


def test_catalogue_has_every_required_query_with_docs() -> None:
    cat = load_catalogue()
    for name in REQUIRED:
        q = cat.get(name)
        assert q.description, name
        assert not q.write, f"{name} must be read-only"
        for p in q.params.values():
            assert p.doc, f"{name}: parameter {p.name} lacks a description"


def test_every_query_file_parses_and_declares_its_params() -> None:
    cat = load_catalogue()
    for q in cat:
        assert named_parameters(q.text) == set(q.params), q.name


def _write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


def test_undeclared_parameter_fails_the_load_with_the_file_name(tmp_path: Path) -> None:
    _write(tmp_path, "bad.cypher", "// Bad.\n// @param a string  x\nRETURN $a, $b\n")
    with pytest.raises(InvalidQueryFile, match=r"bad\.cypher.*\$b"):
        load_catalogue(tmp_path)


def test_unused_declared_parameter_fails_the_load(tmp_path: Path) -> None:
    _write(
        tmp_path, "unused.cypher", "// U.\n// @param a string  x\n// @param b int  y\nRETURN $a\n"
    )
    with pytest.raises(InvalidQueryFile, match=r"unused\.cypher.*'b'"):
        load_catalogue(tmp_path)


def test_params_in_strings_and_comments_do_not_count() -> None:
    assert named_parameters("RETURN '$x // $y', $z // $w\n/* $v */") == {"z"}


def test_namespaces_and_dialect_variants(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub", "q.cypher", "// Q.\n// @param a int = 1  x\nRETURN $a AS a\n")
    _write(tmp_path / "sub", "q.falkordb.cypher", "RETURN $a + 1 AS a\n")
    cat = load_catalogue(tmp_path)
    assert cat.names() == ["sub.q"]
    assert "falkordb" in cat.get("sub.q").variants


def test_the_environment_adds_folders_and_a_name_found_twice_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _write(a, "mine.cypher", "// Mine.\nRETURN 1 AS one\n")
    _write(b, "theirs.cypher", "// Theirs.\nRETURN 2 AS two\n")
    monkeypatch.setenv("CIVICGRAPH_QUERIES_PATH", f"{a}:{b}:")
    assert queries_paths() == [queries_path(), a, b]
    names = load_catalogue().names()
    assert {"mine", "theirs", "network_members"} <= set(names)
    assert load_catalogue(a).names() == ["mine"]  # an explicit folder is read alone
    assert load_catalogue([a, b]).names() == ["mine", "theirs"]
    _write(b, "mayors_of.cypher", "// Shadow.\nRETURN 1 AS one\n")
    with pytest.raises(
        InvalidQueryFile,
        match=r"two queries named 'mayors_of': .*queries/mayors_of\.cypher and .*b/mayors_of\.cypher",
    ):
        load_catalogue()


def test_an_id_parameter_is_text_in_nfc_and_reports_ids_no_node_has(case_store: Store) -> None:
    q = load_catalogue().get("mayors_of")
    assert q.params["city"].type == "id"
    assert q.bind({"city": "insee:38185"}) == {"city": "insee:38185"}
    assert q.missing_ids(case_store, {"city": "insee:38185"}) == []
    assert q.missing_ids(case_store, {"city": "Grenoble"}) == [
        "no node has id 'Grenoble'; did you mean insee:38185 (Grenoble, City)?"
    ]
    with pytest.raises(InvalidParameter):
        q.bind({"city": 38185})


def test_the_summary_is_the_first_sentence() -> None:
    cat = load_catalogue()
    assert cat.get("mayors_of").summary == "Mayors of a city over time"
    assert cat.get("exits_after_leadership_change").summary.endswith(
        "(the seed paper: cities that left ANVITA after the 2020 elections)."
    )


def test_unknown_query_suggests_a_name() -> None:
    with pytest.raises(QueryNotFound, match="did you mean 'network_members'"):
        load_catalogue().get("network_member")


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"network": "net:anvita"}, MissingParameter, "needs parameter 'date'"),
        (
            {"network": "net:anvita", "date": "2019-01-01", "colour": "x"},
            UnknownParameter,
            "no parameter 'colour'",
        ),
        ({"network": "net:anvita", "date": "2019-13-45"}, InvalidParameter, "2019-13-45"),
    ],
)
def test_parameter_errors_are_one_clear_line(params, error, match) -> None:
    with pytest.raises(error, match=match) as exc:
        load_catalogue().get("network_members").bind(params)
    assert "\n" not in str(exc.value)


def test_choices_and_types_are_checked() -> None:
    q = load_catalogue().get("network_composition")
    with pytest.raises(InvalidParameter, match="not one of party, size, kind"):
        q.bind({"network": "n", "date": "2020-01-01", "by": "colour"})
    assert q.bind({"network": "n", "date": "2020-01-01"})["by"] == "party"
    with pytest.raises(InvalidParameter, match="integer"):
        load_catalogue().get("exits_after_leadership_change").bind({"network": "n", "months": "x"})


def test_a_stored_query_cannot_write_unless_declared(tmp_path: Path, store: Store) -> None:
    _write(
        tmp_path, "sneaky.cypher", "// Writes without saying so.\nCREATE (n:City {id: 'insee:x'})\n"
    )
    cat = load_catalogue(tmp_path)
    with pytest.raises(ReadOnlyViolation):
        cat.run(store, "sneaky")
    assert store.totals() == (0, 0)
    _write(
        tmp_path,
        "declared.cypher",
        "// Writes, and says so.\n// @write\nCREATE (n:Entity:City {id: 'insee:x', name: 'X'})\n",
    )
    load_catalogue(tmp_path).run(store, "declared")
    assert store.totals() == (1, 0)


# -- known answers on the seed case -------------------------------------------------------


def test_network_members_on_2019_01_01_are_the_founders_and_begles(case_store: Store) -> None:
    rows = load_catalogue().run(
        case_store, "network_members", {"network": "net:anvita", "date": "2019-01-01"}
    )
    ids = {r["id"] for r in rows}
    assert CHARTER_FOUNDERS <= ids
    assert ids - CHARTER_FOUNDERS == {"insee:33039"}  # Bègles: "joined in 2018" (paper)
    assert all(r["sources"] for r in rows)


def test_founders_by_source_keep_both_claims(case_store: Store) -> None:
    rows = load_catalogue().run(case_store, "founders", {"network": "net:anvita"})
    site = {r["id"] for r in rows if r["source"] == "src:anvita-qui-sommes-nous"}
    assert site == CHARTER_FOUNDERS
    stats = load_catalogue().run(case_store, "reported_vs_computed", {"network": "net:anvita"})
    founding = {r["statistic"]: r for r in stats if r["metric"] == "founding_members"}
    assert sorted(r["reported"] for r in founding.values()) == [8, 9]
    assert all(r["computed"] == 9 for r in founding.values())


def test_membership_timeline(case_store: Store) -> None:
    rows = load_catalogue().run(case_store, "membership_timeline", {"network": "net:anvita"})
    by_year = {r["year"]: r for r in rows}
    assert by_year[2018]["joins"] == 10 and by_year[2018]["members"] == 10
    assert by_year[2020]["exits"] == 2  # Grande-Synthe and Briançon


def test_exits_after_leadership_change_lists_grande_synthe_and_briancon(case_store: Store) -> None:
    rows = load_catalogue().run(
        case_store, "exits_after_leadership_change", {"network": "net:anvita", "months": 12}
    )
    assert {r["id"] for r in rows} == {"insee:59271", "insee:05023"}


def test_joins_after_leadership_change(case_store: Store) -> None:
    rows = load_catalogue().run(
        case_store, "joins_after_leadership_change", {"network": "net:anvita", "months": 24}
    )
    ids = {r["id"] for r in rows}
    assert {"insee:33063", "insee:69123"} <= ids  # Bordeaux and Lyon: new green majorities


def test_mayors_of_grenoble_include_piolle_from_2014_with_register_nuance(
    case_store: Store,
) -> None:
    rows = load_catalogue().run(case_store, "mayors_of", {"city": "insee:38185"})
    piolle = [r for r in rows if "Piolle" in (r["name"] or "") or "PIOLLE" in (r["name"] or "")]
    assert piolle and piolle[0]["start"].startswith("2014")
    assert piolle[0]["nuance"] == "VEC"
    assert len({r["person"] for r in piolle}) == 1


def test_leadership_changes_2020(case_store: Store) -> None:
    rows = load_catalogue().run(
        case_store, "leadership_changes", {"from": "2019-06-01", "to": "2021-01-01"}
    )
    ids = {r["id"] for r in rows}
    assert "insee:05023" in ids  # Briançon: Fromm → Murgia
    assert "insee:38185" not in ids  # Grenoble: Piolle re-elected


def test_reelected_in_2026_is_no_change_of_mayor(case_store: Store) -> None:
    """The 2026 register swaps day and month in birth dates: re-elected mayors stay one
    Person (issue #12), so a re-election is not a change."""
    cat = load_catalogue()
    rows = cat.run(case_store, "leadership_changes", {"from": "2025-01-01", "to": "2026-06-01"})
    assert len(rows) == 10 and all(r["old_mayor"] != r["new_mayor"] for r in rows)
    reelected = {"insee:73065", "insee:94041", "insee:44109", "insee:94081", "insee:38562"}
    assert not reelected & {r["id"] for r in rows}
    nantes = cat.run(case_store, "mayors_of", {"city": "insee:44109"})
    rolland = [(r["person"], r["start"]) for r in nantes if r["name"] == "Johanna Rolland"]
    assert [p for p, _ in rolland] == ["rne:1004484"] * 3
    assert [s[:4] for _, s in rolland] == ["2014", "2020", "2026"]


def test_network_composition_by_kind_counts_every_member(case_store: Store) -> None:
    cat = load_catalogue()
    members = cat.run(
        case_store, "network_members", {"network": "net:anvita", "date": "2022-09-01"}
    )
    comp = cat.run(
        case_store,
        "network_composition",
        {"network": "net:anvita", "date": "2022-09-01", "by": "kind"},
    )
    assert sum(r["members"] for r in comp) == len(members)
    size = cat.run(
        case_store,
        "network_composition",
        {"network": "net:anvita", "date": "2022-09-01", "by": "size"},
    )
    assert sum(r["members"] for r in size) == len(members)


def test_alliance_members_reach_cities_through_anvita(case_store: Store) -> None:
    rows = load_catalogue().run(
        case_store, "alliance_members", {"network": "net:alliance-migrations"}
    )
    grenoble = [r for r in rows if r["id"] == "insee:38185"]
    assert grenoble and grenoble[0]["depth"] == 2
    assert grenoble[0]["path"] == ["insee:38185", "net:anvita", "net:alliance-migrations"]


def test_co_membership_of_grenoble(case_store: Store) -> None:
    rows = load_catalogue().run(case_store, "co_membership", {"actor": "insee:38185"})
    by_id = {r["id"]: r for r in rows}
    assert "insee:44109" in by_id and by_id["insee:44109"]["network"] == "net:anvita"
    assert "insee:38185" not in by_id
    # one row per actor and network, dates at their precision: Briançon was a founder
    # with Grenoble and left in 2020 (the paper gives the year only)
    briancon = [r for r in rows if r["id"] == "insee:05023"]
    assert [(r["network"], r["from_date"], r["to_date"]) for r in briancon] == [
        ("net:anvita", "2018-09-26", "2020")
    ]
    assert len({(r["id"], r["network"]) for r in rows}) == len(rows)


def test_path_between_grenoble_and_ocu(case_store: Store) -> None:
    rows = load_catalogue().run(
        case_store, "path_between", {"a": "insee:38185", "b": "org:ocu", "max_hops": 3}
    )
    assert rows and rows[0]["hops"] == 2
    assert rows[0]["ids"][1] == "net:anvita"


# -- brokerage on a hand-counted graph ------------------------------------------------------

# Directed graph, groups A/B (property `group` on Organization nodes):
#   a(A)→b(A), b→c(B), b→d(A), a→d (closes a→b→d), c→e(B), d→c, e→b
# Two-paths i→j→k (i≠k) with no arc i→k, by broker j:
#   b: a→b→c (A,A,B representative); e→b→c? e→c no arc → (B,A,B) itinerant;
#      e→b→d (B,A,A) gatekeeper;  a→b→d closed by a→d: not counted
#   c: b→c→e (A,B,B) gatekeeper; d→c→e (A,B,B) gatekeeper
#   d: a→d→c (A,A,B) representative; b→d→c closed by b→c: not counted
#   e: c→e→b (B,B,A) representative
HAND_NODES = {"a": "A", "b": "A", "c": "B", "d": "A", "e": "B"}
HAND_ARCS = [("a", "b"), ("b", "c"), ("b", "d"), ("a", "d"), ("c", "e"), ("d", "c"), ("e", "b")]
HAND_ROLES = {  # coordinator, itinerant, representative, gatekeeper, liaison
    "org:b": (0, 1, 1, 1, 0),
    "org:c": (0, 0, 0, 2, 0),
    "org:d": (0, 0, 1, 0, 0),
    "org:e": (0, 0, 1, 0, 0),
}


def _hand_graph(store: Store) -> None:
    store.upsert_nodes(
        "Organization",
        [
            {"id": f"org:{n}", "name": n.upper(), "group": g, "sources": ["src:hand"]}
            for n, g in HAND_NODES.items()
        ],
    )
    store.upsert_relationships(
        "PARTNER_OF",
        [
            {"source": f"org:{a}", "target": f"org:{b}", "sources": ["src:hand"]}
            for a, b in HAND_ARCS
        ],
    )


def test_brokerage_roles_match_hand_counts(store: Store) -> None:
    _hand_graph(store)
    rows = load_catalogue().run(store, "brokerage_roles", {"group": "group"})
    got = {
        r["id"]: (
            r["coordinator"],
            r["itinerant"],
            r["representative"],
            r["gatekeeper"],
            r["liaison"],
        )
        for r in rows
        if r["total"]
    }
    assert got == HAND_ROLES


def test_network_graph_holds_the_case_page(case_store: Store) -> None:
    """The rows the ANVITA page is drawn from: memberships, every mayoral term of member
    cities, the network's ties, its alliance's members and the people's parties."""
    rows = load_catalogue().run(case_store, "network_graph", {"network": "net:anvita"})
    triples = {(r["a"].id, r["r"].type, r["b"].id) for r in rows}
    assert ("insee:59271", "MEMBER_OF", "net:anvita") in triples  # Grande-Synthe, a founder
    assert ("rne:1181058", "MAYOR_OF", "insee:38185") in triples  # Eric Piolle, Grenoble
    assert ("org:ocu", "MEMBER_OF", "net:alliance-migrations") in triples  # through the alliance
    assert {t for t in triples if t[1] == "MEMBER_OF" and t[2].startswith("party:")}
    assert not any(
        t[1] == "MAYOR_OF" and t[2] == "insee:75056" for t in triples
    )  # Paris: no member
