"""The shipped data: every file has its origin and licence; the case is fully sourced."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from civicgraph.graph import Store

DATA = Path(__file__).resolve().parents[1] / "data"


def test_sources_md_lists_every_file_in_data() -> None:
    text = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    files = sorted(
        str(p.relative_to(DATA))
        for p in DATA.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    missing = [f for f in files if f"`{f}`" not in text]
    assert not missing, f"data/SOURCES.md does not list: {missing}"
    assert "Licence Ouverte" in text and "CC-BY-4.0" in text


def test_every_case_record_cites_a_known_source() -> None:
    sources = {s["id"] for s in yaml.safe_load((DATA / "anvita/sources.yaml").read_text())}
    nodes = yaml.safe_load((DATA / "anvita/nodes.yaml").read_text())
    rels = yaml.safe_load((DATA / "anvita/relationships.yaml").read_text())
    for rec in nodes + rels:
        assert rec.get("sources"), rec
        assert set(rec["sources"]) <= sources, rec


def test_every_node_and_relationship_in_the_case_has_a_source(case_store: Store) -> None:
    unsourced = case_store.query(
        "MATCH (n) WHERE n.sources IS NULL OR size(n.sources) = 0 AND NOT n:Source "
        "RETURN n.id AS id LIMIT 5"
    )
    assert [r for r in unsourced if not r["id"].startswith("src:")] == []
    rels = case_store.query(
        "MATCH (a)-[r]->(b) WHERE r.sources IS NULL OR size(r.sources) = 0 "
        "RETURN type(r) AS t, a.id AS a, b.id AS b LIMIT 5"
    )
    assert rels == []


def test_every_dated_relationship_has_an_iso_start(case_store: Store) -> None:
    iso = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    rows = case_store.query(
        "MATCH ()-[r]->() WHERE r.`end` IS NOT NULL OR r.start IS NOT NULL "
        "OR r.start_precision IS NOT NULL RETURN type(r) AS t, r.start AS s, r.`end` AS e, "
        "r.note AS note"
    )
    assert rows
    for r in rows:
        if r["s"] is None:  # an undated claim must say so
            assert r["note"] and "date unknown" in r["note"], r
        else:
            assert iso.match(r["s"]), r
        if r["e"] is not None:
            assert iso.match(r["e"]), r


def test_building_the_case_twice_changes_nothing(store: Store) -> None:
    from civicgraph.app.demo import build_case

    build_case(store, progress=False)
    digest = store.digest()
    again = build_case(store, progress=False)
    assert all(r["created"] == 0 and r["updated"] == 0 for r in again), again
    assert store.digest() == digest
    dupes = store.query(
        "MATCH (p:Person) WITH p.name AS n, collect(p.id) AS ids WHERE size(ids) > 1 RETURN n, ids"
    )
    # same name twice only where a register's day/month swap was flagged for review
    assert {r["n"] for r in dupes} <= {
        "Thierry Repentin",
        "Pierre Bell-Lloch",
        "Catherine Troton",
        "Johanna Rolland",
        "Philippe Bouyssou",
    }, dupes
