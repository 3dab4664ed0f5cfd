"""The neo4j-admin CSV export (graph/neo4j_admin.py) and its round trip through the reader."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicgraph.app.cli import cli
from civicgraph.graph import ExportError, Store, open_store
from civicgraph.graph.export import export
from civicgraph.graph.neo4j_admin import write_neo4j_admin
from civicgraph.loaders import load
from civicgraph.loaders.neo4j_admin import parse_header


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_cli_round_trip_gives_the_same_graph(case_db: Path, tmp_path: Path) -> None:
    """export --format neo4j-admin, then load --format neo4j-admin DIR/*.csv: `civicgraph
    info` prints the same counts for both stores, and every property is the same."""
    runner = CliRunner()
    adm, rt = tmp_path / "adm", tmp_path / "rt.db"
    result = runner.invoke(
        cli, ["export", "--db", str(case_db), "--format", "neo4j-admin", "-o", str(adm)]
    )
    assert result.exit_code == 0, result.output
    files = sorted(str(p) for p in adm.glob("*.csv"))
    result = runner.invoke(cli, ["load", "--db", str(rt), "--format", "neo4j-admin", *files])
    assert result.exit_code == 0, result.output
    infos = []
    for db in (case_db, rt):
        result = runner.invoke(cli, ["info", "--db", str(db)])
        assert result.exit_code == 0
        infos.append([x for x in result.output.splitlines() if not x.startswith("store:")])
    assert infos[0] == infos[1]
    with open_store(case_db) as a, open_store(rt) as b:
        assert a.digest() == b.digest()


def test_files_follow_the_header_format(case_store: Store, tmp_path: Path) -> None:
    paths = export(case_store, "neo4j-admin", tmp_path / "adm")["paths"]
    names = {Path(p).name for p in paths}
    assert {"nodes_City.csv", "relationships_MEMBER_OF.csv", "import.sh", "schema.cypher"} <= names
    city = _rows(tmp_path / "adm" / "nodes_City.csv")
    assert city[0][:3] == ["id:ID", ":LABEL", "name"]
    assert "population:int" in city[0] and "sources:string[]" in city[0]
    grenoble = dict(zip(city[0], next(r for r in city if r[0] == "insee:38185"), strict=True))
    assert grenoble[":LABEL"] == "Actor;City;Entity" and grenoble["name"] == "Grenoble"
    rel = _rows(tmp_path / "adm" / "relationships_MEMBER_OF.csv")
    assert rel[0][:6] == [":START_ID", ":END_ID", ":TYPE", "id", "start", "end"]
    for p in paths:
        if p.endswith(".csv"):
            parse_header(_rows(Path(p))[0], p)  # every field is name:type
    raw = (tmp_path / "adm" / "nodes_City.csv").read_text(encoding="utf-8").splitlines()[1]
    assert raw.startswith('"insee:') and ',"Actor;City;Entity",' in raw  # strings quoted


def test_import_script_holds_the_exact_command(case_store: Store, tmp_path: Path) -> None:
    export(case_store, "neo4j-admin", tmp_path / "adm")
    script = tmp_path / "adm" / "import.sh"
    text = script.read_text(encoding="utf-8")
    assert script.stat().st_mode & 0o111
    assert '"${NEO4J_ADMIN:-neo4j-admin}" database import full \\' in text
    assert "  --nodes=nodes_City.csv \\" in text
    assert "  --relationships=relationships_MAYOR_OF.csv \\" in text
    assert "  --array-delimiter=';' \\" in text and text.rstrip().endswith('"${1:-neo4j}"')
    schema = (tmp_path / "adm" / "schema.cypher").read_text(encoding="utf-8")
    assert schema.startswith(
        "CREATE CONSTRAINT civicgraph_entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;"
    )


def _node(i: str, label: str, **props: object) -> dict[str, object]:
    return {"id": i, "labels": [label, "Entity"], "properties": {"id": i, **props}}


def test_clashing_types_long_ints_and_delimiters(tmp_path: Path) -> None:
    nodes = [
        _node("org:a", "Organization", name="A", rank=3, aliases=["A; the first", "Alpha"]),
        _node("org:b", "Organization", name="B", rank="third", big=2**40),
        _node("org:c", "Organization", name=" C ", note="two\nlines", share=0.25),
    ]
    paths = write_neo4j_admin(nodes, [], tmp_path / "adm", schema=[])
    first = _rows(tmp_path / "adm" / "nodes_Organization.csv")
    second = _rows(tmp_path / "adm" / "nodes_Organization_2.csv")
    assert "rank:int" in first[0] and "aliases:string[]" in first[0]
    assert "rank" in second[0] and "big:long" in second[0]  # a text rank: the next file
    assert "share:double" in first[0]
    script = (tmp_path / "adm" / "import.sh").read_text(encoding="utf-8")
    assert "--array-delimiter='|'" in script and "--multiline-fields=true" in script
    assert len(paths) == 4


def test_round_trip_of_awkward_values(store: Store, tmp_path: Path) -> None:
    store.upsert_nodes(
        "Organization",
        [
            {"id": "org:a", "name": " padded ", "aliases": ["x;y", "z"], "rank": 3},
            {"id": "org:b", "name": 'quote " and, comma', "note": "two\nlines", "rank": "third"},
            {"id": "org:c", "name": "C", "share": 0.1, "active": False, "big": 2**40},
        ],
    )
    store.upsert_relationships(
        "PARTNER_OF", [{"source": "org:a", "target": "org:b", "start": "2020-01-01", "weight": 2}]
    )
    export(store, "neo4j-admin", tmp_path / "adm")
    with open_store(tmp_path / "rt.db") as rt:
        load(rt, sorted(tmp_path.glob("adm/*.csv")), fmt="neo4j-admin",
             options={"array_delimiter": "|"})  # fmt: skip
        assert rt.digest() == store.digest()


def test_refuses_a_folder_holding_other_files(case_store: Store, tmp_path: Path) -> None:
    (tmp_path / "adm").mkdir()
    (tmp_path / "adm" / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="not empty"):
        export(case_store, "neo4j-admin", tmp_path / "adm")
    assert (tmp_path / "adm" / "notes.txt").read_text() == "mine"
    with pytest.raises(ExportError, match="give a folder"):
        export(case_store, "neo4j-admin", "-")


def test_exporting_again_replaces_the_previous_export(case_store: Store, tmp_path: Path) -> None:
    adm = tmp_path / "adm"
    export(case_store, "neo4j-admin", adm)
    shutil.copy(adm / "nodes_City.csv", adm / "nodes_Stale.csv")  # as if a label had gone
    export(case_store, "neo4j-admin", adm, as_of="2019-01-01")
    assert not (adm / "nodes_Stale.csv").exists()
