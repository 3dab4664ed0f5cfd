"""Exports: JSON Lines round trip, CSV layout, GraphML, and GEXF with time spells."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

import networkx as nx
import pytest
from facts import GRENOBLE

from civicgraph.graph import OutputNotWritable, open_store
from civicgraph.graph.export import export, to_frames

GEXF = "{http://www.gexf.net/1.2draft}"


@pytest.fixture
def filled(store):
    store.upsert_nodes(
        "City",
        [
            {**GRENOBLE, "sources": ["src:insee", "src:rne"]},
            {"id": "insee:69123", "name": "Lyon", "population": 522250.5, "sources": ["src:insee"]},
        ],
    )
    store.upsert_nodes("Network", [{"id": "net:anvita", "name": "ANVITA", "founded": "2018-09-26"}])
    store.upsert_nodes("Person", [{"id": "rne:1", "name": "Éric Piolle"}])
    store.upsert_nodes("Organization", [{"id": "org:x", "name": 'X, "quoted"', "kind": "cso"}])
    store.upsert_relationships(
        "MEMBER_OF",
        [
            {
                "source": "insee:38185",
                "target": "net:anvita",
                "start": "2018-09-26",
                "role": "founding",
                "sources": ["src:anvita"],
            },
            {
                "source": "insee:69123",
                "target": "net:anvita",
                "start": "2020-09-01",
                "end": "2022-01-01",
            },
        ],
    )
    store.upsert_relationships(
        "MAYOR_OF",
        [
            {"source": "rne:1", "target": "insee:38185", "start": "2014-04-04", "nuance": "LVEC"},
        ],
    )
    store.upsert_relationships(
        "PARTNER_OF", [{"source": "org:x", "target": "net:anvita", "start": "2019-03-01"}]
    )
    return store


def test_jsonl_is_stable_and_round_trips(filled, tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    summary = export(filled, "jsonl", first)
    assert summary == {"format": "jsonl", "nodes": 5, "relationships": 4, "paths": [str(first)]}
    export(filled, "jsonl", second)
    assert first.read_bytes() == second.read_bytes()
    lines = [json.loads(x) for x in first.read_text(encoding="utf-8").splitlines()]
    assert [x["kind"] for x in lines] == ["node"] * 5 + ["relationship"] * 4
    assert list(lines[0]) == ["kind", "id", "labels", "properties"]
    assert list(lines[5]) == ["kind", "type", "source", "target", "properties"]
    grenoble = next(x for x in lines if x["id"] == "insee:38185")
    assert grenoble["labels"] == ["Actor", "City", "Entity"]
    assert grenoble["properties"]["sources"] == ["src:insee", "src:rne"]
    assert "Éric Piolle" in first.read_text(encoding="utf-8")  # not \u-escaped
    # Load it into a fresh store the plain way: same digest, same bytes again.
    with open_store(tmp_path / "copy.db") as copy:
        for x in lines:
            if x["kind"] == "node":
                label = next(lab for lab in x["labels"] if lab not in ("Entity", "Actor"))
                copy.upsert_nodes(label, [x["properties"]])
        for x in lines:
            if x["kind"] == "relationship":
                copy.upsert_relationships(
                    x["type"], [{"source": x["source"], "target": x["target"], **x["properties"]}]
                )
        assert copy.digest() == filled.digest()
        export(copy, "jsonl", tmp_path / "c.jsonl")
    assert (tmp_path / "c.jsonl").read_bytes() == first.read_bytes()


def test_jsonl_as_of(filled, tmp_path):
    summary = export(filled, "jsonl", tmp_path / "x.jsonl", as_of="2023-01-01")
    assert summary["nodes"] == 5 and summary["relationships"] == 3  # Lyon left in 2022
    text = (tmp_path / "x.jsonl").read_text(encoding="utf-8")
    assert "insee:69123|net:anvita" not in text
    summary = export(filled, "jsonl", tmp_path / "y.jsonl", as_of="2015-01-01")
    assert summary["relationships"] == 1  # the mayor: the partnership starts in 2019


def test_jsonl_to_stdout(filled, capsys):
    export(filled, "jsonl", "-")
    out = capsys.readouterr().out
    assert out.count("\n") == 9 and out.startswith('{"kind":"node"')


def test_gexf_has_time_spells(filled, tmp_path):
    path = tmp_path / "g.gexf"
    export(filled, "gexf", path)
    root = ET.parse(path).getroot()
    graph = root.find(f"{GEXF}graph")
    assert graph.get("mode") == "dynamic" and graph.get("timeformat") == "date"
    assert graph.get("defaultedgetype") == "directed"
    edges = {e.get("id"): e for e in graph.iter(f"{GEXF}edge")}
    assert len(edges) == 4
    lyon = edges["MEMBER_OF|insee:69123|net:anvita|2020-09-01"]
    assert lyon.get("label") == "MEMBER_OF"
    spell = lyon.find(f"{GEXF}spells/{GEXF}spell")
    assert (spell.get("start"), spell.get("end")) == ("2020-09-01", "2022-01-01")
    grenoble_edge = edges["MEMBER_OF|insee:38185|net:anvita|2018-09-26"]
    spell = grenoble_edge.find(f"{GEXF}spells/{GEXF}spell")
    assert spell.get("start") == "2018-09-26" and spell.get("end") is None
    spell = edges["PARTNER_OF|org:x|net:anvita|2019-03-01"].find(f"{GEXF}spells/{GEXF}spell")
    assert spell.get("start") == "2019-03-01" and spell.get("end") is None
    nodes = {n.get("id"): n for n in graph.iter(f"{GEXF}node")}
    assert nodes["insee:38185"].get("label") == "Grenoble"
    # Lyon is on the timeline while its membership holds; Grenoble from its mayor's start
    lyon_spells = [
        (s.get("start"), s.get("end")) for s in nodes["insee:69123"].iter(f"{GEXF}spell")
    ]
    assert lyon_spells == [("2020-09-01", "2022-01-01")]
    assert [(s.get("start"), s.get("end")) for s in nodes["insee:38185"].iter(f"{GEXF}spell")] == [
        ("2014-04-04", None)
    ]
    # ANVITA: from its first relationship (Grenoble's 2018 membership), open-ended
    assert [(s.get("start"), s.get("end")) for s in nodes["net:anvita"].iter(f"{GEXF}spell")] == [
        ("2018-09-26", None)
    ]
    # list values are joined, and attribute titles are declared once
    titles = {a.get("id"): a.get("title") for a in graph.iter(f"{GEXF}attribute")}
    values = {
        titles[v.get("for")]: v.get("value") for v in nodes["insee:38185"].iter(f"{GEXF}attvalue")
    }
    assert values["sources"] == "src:insee|src:rne"
    assert values["category"] == "City"
    assert values["labels"] == "Actor|City|Entity"


def test_graphml(filled, tmp_path):
    path = tmp_path / "g.graphml"
    export(filled, "graphml", path, as_of="2021-01-01")
    G = nx.read_graphml(path, force_multigraph=True)
    assert G.is_directed() and len(G) == 5 and G.number_of_edges() == 4
    assert G.nodes["insee:38185"]["sources"] == "src:insee|src:rne"
    assert G.nodes["insee:38185"]["population"] == 158198
    assert G.nodes["insee:38185"]["category"] == "City"
    types = sorted(d["type"] for _, _, d in G.edges(data=True))
    assert types == ["MAYOR_OF", "MEMBER_OF", "MEMBER_OF", "PARTNER_OF"]
    export(filled, "graphml", tmp_path / "h.graphml", as_of="2021-01-01")
    assert (tmp_path / "h.graphml").read_bytes() == path.read_bytes()


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_csv_layout(filled, tmp_path):
    summary = export(filled, "csv", tmp_path / "out")
    assert summary["paths"] == [
        str(tmp_path / "out" / "nodes.csv"),
        str(tmp_path / "out" / "edges.csv"),
    ]
    nodes, edges = (read_csv(p) for p in summary["paths"])
    with open(summary["paths"][0], encoding="utf-8") as f:
        assert f.readline().startswith("id,label,name,sources,")
    with open(summary["paths"][1], encoding="utf-8") as f:
        assert f.readline().startswith("source,target,type,start,end,sources,")
    by_id = {n["id"]: n for n in nodes}
    assert by_id["insee:38185"]["label"] == "City"
    assert by_id["insee:38185"]["sources"] == "src:insee|src:rne"
    assert by_id["org:x"]["name"] == 'X, "quoted"'
    assert by_id["net:anvita"]["population"] == ""
    assert "id" not in edges[0]  # derived from type, source, target, start
    assert {e["type"] for e in edges} == {"MAYOR_OF", "MEMBER_OF", "PARTNER_OF"}
    member = next(e for e in edges if e["source"] == "insee:38185" and e["type"] == "MEMBER_OF")
    assert (member["start"], member["end"], member["sources"], member["role"]) == (
        "2018-09-26",
        "",
        "src:anvita",
        "founding",
    )
    # a prefix instead of a directory, and as_of
    summary = export(filled, "csv", str(tmp_path / "seed_"), as_of="2023-01-01")
    assert summary["paths"][0].endswith("seed_nodes.csv")
    assert len(read_csv(summary["paths"][1])) == 3
    with pytest.raises(OutputNotWritable, match="two files"):  # one line, not a traceback
        export(filled, "csv", "-")


def test_to_frames(filled):
    nodes, edges = to_frames(filled, as_of="2021-01-01")
    assert list(nodes.columns[:4]) == ["id", "label", "name", "sources"]
    assert list(edges.columns[:6]) == ["source", "target", "type", "start", "end", "sources"]
    assert "id" not in edges.columns
    assert len(nodes) == 5 and len(edges) == 4
    assert nodes.set_index("id").loc["insee:38185", "sources"] == ["src:insee", "src:rne"]


def test_unknown_format(filled, tmp_path):
    with pytest.raises(ValueError):
        export(filled, "xlsx", tmp_path / "x")
