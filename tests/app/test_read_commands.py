"""The commands that read (app/commands/read.py, and explore's empty result): ids that match
nothing, find, typed cypher parameters, one query's documentation, the queries path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from civicgraph.app.cli import cli
from civicgraph.loaders import READERS
from civicgraph.queries import load_catalogue

ROOT = Path(__file__).resolve().parents[2]
COUNT = "MATCH (c:City) WHERE c.population > {} RETURN count(c) AS n"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def test_an_id_parameter_matching_no_node_says_which_node_it_may_mean(case_db: Path) -> None:
    r = run("query", "mayors_of", "-p", "city=Grenoble", "--db", str(case_db))
    assert r.exit_code == 1
    assert r.stderr == (
        "Warning: no node has id 'Grenoble'; did you mean insee:38185 (Grenoble, City)?\n"
        "Error: no rows, and an id given matches no node (see above)\n"
    )
    assert r.stdout == ""
    r = run("query", "network_members", "-p", "network=anvita", "-p", "date=2022-09-01",
            "--db", str(case_db))  # fmt: skip
    assert r.exit_code == 1 and "did you mean net:anvita (" in r.stderr
    # the right id: no warning, rows
    r = run(
        "query", "mayors_of", "-p", "city=insee:38185", "--db", str(case_db), "--format", "json"
    )
    assert r.exit_code == 0 and r.stderr == "" and json.loads(r.stdout)


def test_find_in_table_csv_and_json(case_db: Path) -> None:
    r = run("find", "grenoble", "--db", str(case_db))
    assert r.exit_code == 0
    assert r.stdout.splitlines()[2].split() == ["insee:38185", "Grenoble", "City"]
    r = run("find", "GRÉNOBLE", "--db", str(case_db), "--format", "csv", "--limit", "1")
    assert r.stdout == "id,name,label\ninsee:38185,Grenoble,City\n"
    r = run("find", "grenoble", "--db", str(case_db), "--format", "json", "--limit", "1")
    assert json.loads(r.stdout) == [{"id": "insee:38185", "name": "Grenoble", "label": "City"}]
    r = run("find", "zzzz-nothing", "--db", str(case_db))
    assert r.exit_code == 1 and r.output == "Error: no node's name or id contains 'zzzz-nothing'\n"


@pytest.mark.parametrize("param", ["n=500000", "n => 500000", "n=>500000", "n => 500000.0"])
def test_cypher_parameters_compare_as_numbers(case_db: Path, param: str) -> None:
    literal = run("cypher", COUNT.format(500000), "--db", str(case_db), "--format", "json")
    given = run("cypher", COUNT.format("$n"), "-p", param, "--db", str(case_db), "--format", "json")
    assert literal.exit_code == 0 and given.exit_code == 0, given.output
    assert json.loads(given.stdout) == json.loads(literal.stdout)
    assert json.loads(literal.stdout)[0]["n"] > 0


def test_cypher_parameter_types(case_db: Path) -> None:
    r = run(
        "cypher",
        "RETURN $a AS a, $b AS b, $c AS c, $d AS d, $e AS e, $f AS f",
        *("-p", "a=true", "-p", "b=01053", "-p", "c => '500000'", "-p", "d=0.25"),
        *("-p", "e => [1, 'x']", "-p", "f=insee:38185"),
        *("--db", str(case_db), "--format", "json"),
    )
    assert json.loads(r.stdout) == [
        {"a": True, "b": "01053", "c": "500000", "d": 0.25, "e": [1, "x"], "f": "insee:38185"}
    ]
    r = run("cypher", "RETURN $a AS a", "-p", "a => Lyon", "--db", str(case_db))
    assert r.exit_code == 2 and "quotes" in r.output and "Traceback" not in r.output


def test_explore_of_a_result_without_nodes_names_what_to_return(
    case_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "e.html"
    r = run("explore", "--cypher", "MATCH (c:City) RETURN c.name AS n", "--db", str(case_db),
            "-o", str(out))  # fmt: skip
    assert r.exit_code == 1
    assert r.output.startswith("Error: the result's columns (n) hold no nodes and no ids")
    assert "return nodes (RETURN c) or their ids" in r.output and r.output.count("\n") == 1
    assert not out.exists()
    # ids are enough
    r = run("explore", "--cypher", "MATCH (c:City) RETURN c.id AS id LIMIT 3",
            "--db", str(case_db), "-o", str(out))  # fmt: skip
    assert r.exit_code == 0 and out.exists()


def test_queries_name_prints_documentation_parameters_and_cypher() -> None:
    r = run("queries", "founders", "--db", "anything.db")  # --db accepted, not read
    assert r.exit_code == 0, r.output
    text = (ROOT / "queries" / "founders.cypher").read_text()
    assert r.stdout.startswith("founders\n\nThe founding members of a network, by source")
    assert "network  id" in r.stdout and text.rstrip() in r.stdout
    assert not Path("anything.db").exists()
    data = json.loads(run("queries", "founders", "--format", "json").stdout)
    assert data["name"] == "founders" and data["cypher"] == text
    assert [p["type"] for p in data["params"]] == ["id"]
    r = run("queries", "founder")
    assert r.exit_code == 1 and "did you mean 'founders'?" in r.output


def test_the_queries_table_wraps_instead_of_cutting() -> None:
    r = run("queries", env={"COLUMNS": "80"})
    assert r.exit_code == 0 and "…" not in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    for q in load_catalogue():  # every parameter, whole (wrapped between words only)
        for p in q.params.values():
            assert f"{p.name}:{p.type}" in r.stdout, (q.name, p.name)


def test_queries_path_adds_folders_to_the_shipped_queries(tmp_path: Path) -> None:
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    mine.mkdir()
    theirs.mkdir()
    (mine / "cities.cypher").write_text("// All cities.\nMATCH (c:City) RETURN c.id AS id\n")
    (theirs / "parties.cypher").write_text("// All parties.\nMATCH (p:Party) RETURN p.id AS id\n")
    env = {"CIVICGRAPH_QUERIES_PATH": f"{mine}{os.pathsep}{theirs}"}
    names = {q["name"] for q in json.loads(run("queries", "--format", "json", env=env).stdout)}
    assert {"cities", "parties", "founders", "network_members"} <= names
    (theirs / "founders.cypher").write_text("// Mine.\nRETURN 1 AS one\n")
    r = run("queries", env=env)
    assert r.exit_code == 1 and r.output.count("\n") == 1
    assert (
        "two queries named 'founders'" in r.output and str(theirs / "founders.cypher") in r.output
    )
    r = run("queries", env={"CIVICGRAPH_QUERIES_PATH": str(tmp_path / "nope")})
    assert r.exit_code == 1 and "no such folder of queries" in r.output


def test_every_reader_is_listed_in_load_help_and_the_readme() -> None:
    r = run("load", "--help")
    readme = (ROOT / "README.md").read_text()
    for name in READERS:
        assert f"\n  {name} " in r.stdout, name
        assert f"| `{name}` |" in readme, name


@pytest.mark.parametrize(
    "cmd",
    [["find", "grenoble"], ["queries"], ["info"], ["derive"]],
)
def test_read_commands_refuse_a_missing_store(tmp_path: Path, cmd: list[str]) -> None:
    db = tmp_path / "typo.db"
    r = run(*cmd, "--db", str(db))
    if cmd == ["queries"]:  # reads only the query files
        assert r.exit_code == 0
    else:
        assert r.exit_code == 1
        assert r.output == (
            f"Error: no civicgraph store at {db} (create one with civicgraph load or "
            "civicgraph demo)\n"
        )
    assert not db.exists()
