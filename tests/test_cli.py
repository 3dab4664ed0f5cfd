"""The command line: every command has help; errors are one line; read-only unless --write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicgraph.graph import open_store
from civicgraph.graph.cli import cli


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
    code, out = run("cypher", "CREATE (n:City {id:'x'})", "--db", db)
    assert code == 1 and "read-only" in out and "Traceback" not in out
    assert out.count("\n") == 1
    code, out = run("cypher", "CREATE (n:Entity:City {id: $id, name: 'x'})", "-p", "id=insee:x",
                    "--write", "--db", db)
    assert code == 0
    code, out = run("cypher", "MATCH (n:City) RETURN n.id AS id", "--db", db, "--format", "csv")
    assert out.splitlines() == ["id", "insee:x"]


def test_queries_lists_every_query_with_params() -> None:
    code, out = run("queries", "--format", "json")
    assert code == 0
    data = {q["name"]: q for q in json.loads(out)}
    assert [p["name"] for p in data["network_members"]["params"]] == ["network", "date"]
    code, out = run("queries")
    assert "exits_after_leadership_change" in out and "network:string" in out


def test_query_founders_as_table_csv_and_json(case_db: Path) -> None:
    args = ["query", "network_members", "-p", "network=net:anvita", "-p", "date=2019-01-01",
            "--db", str(case_db)]
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
def test_query_parameter_errors_are_one_line(params: list[str], message: str,
                                             tmp_path: Path) -> None:
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
