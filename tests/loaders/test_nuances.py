"""Nuance codes (BRÉF nuances.tsv) and the shipped nuance → family/party table."""

from __future__ import annotations

import csv
from pathlib import Path

from civicgraph.graph import Store
from civicgraph.loaders import detect_format, load

TSV = "nuances.tsv"
FAMILIES = "nuance_families.csv"


def test_nuances_tsv(store: Store, registers: Path) -> None:
    assert detect_format(registers / TSV) == "nuances"
    summary = load(store, [registers / TSV], progress=False)
    lines = (registers / TSV).read_text(encoding="utf-8").splitlines()[1:]
    codes = {line.split("\t")[0] for line in lines}
    assert len(lines) == 118 and len(codes) == 114
    assert store.counts()["labels"]["Nuance"] == len(codes)
    vec = store.query("MATCH (n:Nuance {id: 'nuance:VEC'}) RETURN properties(n) AS p")[0]["p"]
    assert vec["name"] == "Europe Ecologie Les Verts" and vec["code"] == "VEC"
    assert vec["sources"] == ["src:bref-nuances"]
    rn = store.query("MATCH (n:Nuance {code: 'RN'}) RETURN n.name AS name")[0]["name"]
    assert rn == "Rassemblement national"  # the file's leading space is trimmed
    # duplicate codes: the first label is the name, other wordings are kept, and reviewed
    lcop = store.query("MATCH (n:Nuance {code: 'LCOP'}) RETURN n.name AS n, n.variants AS v")[0]
    assert lcop == {
        "n": "Listes du Parti Communiste et du Parti Gauche",
        "v": ["Liste Front de gauche"],
    }
    mdm = store.query("MATCH (n:Nuance {code: 'MDM'}) RETURN n.variants AS v")[0]["v"]
    assert mdm is None  # an identical repeat is not a variant
    review = summary.review  # type: ignore[attr-defined]
    assert sorted(r["record"] for r in review) == ["Nuance nuance:LCOP", "Nuance nuance:LDD"]


def test_families_table_covers_every_code(registers: Path) -> None:
    with open(registers / FAMILIES, encoding="utf-8", newline="") as f:
        table = {r["code"]: r for r in csv.DictReader(f)}
    tsv = {
        line.split("\t")[0]
        for line in (registers / TSV).read_text(encoding="utf-8").splitlines()[1:]
    }
    with open(registers / "bref_maires_2001_2018_subset.csv", encoding="utf-8") as f:
        bref = {r["Nuance politique (C. Mun.)"] for r in csv.DictReader(f)} - {""}
    assert tsv <= set(table) and bref <= set(table)
    assert all(r["source"] for r in table.values())
    assert all(r["party"] == "" or r["party"].startswith("party:") for r in table.values())


def test_families_and_maps_to(store: Store, registers: Path) -> None:
    # a curated party already in the store keeps its name
    store.upsert_node(
        "Party",
        {
            "id": "party:ps",
            "name": "Parti socialiste (curated)",
            "short": "PS",
            "sources": ["src:mine"],
        },
    )
    assert detect_format(registers / FAMILIES) == "nuance-families"
    summary = load(store, [registers / TSV, registers / FAMILIES], progress=False)
    assert summary.rejected == 0
    maps = {
        r["code"]: r["party"]
        for r in store.query(
            "MATCH (n:Nuance)-[:MAPS_TO]->(p:Party) RETURN n.code AS code, p.id AS party"
        )
    }
    assert maps["SOC"] == "party:ps" and maps["COM"] == "party:pcf"
    assert maps["VEC"] == maps["LVEC"] == "party:eelv"
    assert maps["LR"] == maps["UMP"] == "party:lr" and maps["FN"] == maps["RN"] == "party:rn"
    assert maps["REM"] == "party:lrem" and maps["UDI"] == "party:udi"
    assert maps["MDM"] == "party:modem" and maps["LFI"] == "party:lfi"
    for code in ("DVG", "DVD", "DIV", "ECO", "LUG", "NC"):
        assert code not in maps
    fam = {
        r["c"]: r["f"] for r in store.query("MATCH (n:Nuance) RETURN n.code AS c, n.family AS f")
    }
    assert fam["ECO"] == "ecologist" and fam["DVG"] == "left" and fam["EXD"] == "far-right"
    assert fam["LMP"] is None  # "majorité présidentielle": depends on the year
    ps = store.query("MATCH (p:Party {id: 'party:ps'}) RETURN p.name AS n, p.sources AS s")[0]
    assert ps["n"] == "Parti socialiste (curated)" and ps["s"] == ["src:mine"]
    eelv = store.query("MATCH (p:Party {id: 'party:eelv'}) RETURN properties(p) AS p")[0]["p"]
    assert eelv["short"] == "EELV" and eelv["family"] == "ecologist"
    # names come from nuances.tsv; codes it lacks get the table's label
    assert store.query("MATCH (n:Nuance {code: 'VEC'}) RETURN n.name AS n")[0]["n"] == (
        "Europe Ecologie Les Verts"
    )
    assert store.query("MATCH (n:Nuance {code: 'RPR'}) RETURN n.name AS n")[0]["n"] == (
        "Rassemblement pour la République"
    )
    basis = store.query(
        "MATCH (:Nuance {code: 'UMP'})-[m:MAPS_TO]->() RETURN m.basis AS b, m.sources AS s"
    )[0]
    assert "renamed" in basis["b"] and basis["s"] == ["src:civicgraph-nuance-families"]
    # the nuance on a term reaches the party through the table (mayors_of's pattern)
    digest = store.digest()
    again = load(store, [registers / TSV, registers / FAMILIES], progress=False)
    assert again.totals().created == 0 and again.totals().updated == 0
    assert store.digest() == digest
