"""Read-only is enforced by the engine, not by a keyword check.

``store.query`` runs FalkorDB ``GRAPH.RO_QUERY``: a write in any disguise — a procedure,
``MERGE``/``SET``/``REMOVE``, an index, a delete after ``WITH``, a write inside ``CALL { }``,
lower case, behind a comment — is refused with ``ReadOnlyViolation`` (or ``EngineError`` for
what the engine cannot run at all), and neither the graph nor its indexes change.  Read
statements that merely *mention* write keywords run, which no keyword filter would allow.
The same holds for ``civicgraph cypher`` without ``--write`` and for a stored query whose
header lacks ``// @write``.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from civicgraph.app.cli import cli
from civicgraph.graph import EngineError, ReadOnlyViolation, Store, open_store
from civicgraph.queries import load_catalogue

DISGUISED_WRITES = {
    "fulltext index procedure": "CALL db.idx.fulltext.createNodeIndex('Organization', 'name')",
    "fulltext drop procedure": "CALL db.idx.fulltext.drop('Organization')",
    "merge": "MERGE (n:Entity:Organization {id: 'org:merged', name: 'M'})",
    "merge after match": "MATCH (n:Organization) WITH n LIMIT 1 MERGE (n)-[:PARTNER_OF]->(n)",
    "set": "MATCH (n) SET n.pwned = true",
    "set +=": "MATCH (n) SET n += {pwned: true}",
    "set label": "MATCH (n) SET n:Network",
    "remove": "MATCH (n) REMOVE n.name",
    "create index": "CREATE INDEX FOR (n:Organization) ON (n.name)",
    "create index (old syntax)": "CREATE INDEX ON :Organization(name)",
    "drop index": "DROP INDEX ON :Organization(id)",
    "delete after with": "MATCH (n) WITH n DELETE n",
    "detach delete after with": "MATCH (n) WITH n, 1 AS x DETACH DELETE n",
    "delete relationship": "MATCH ()-[r]->() WITH r DELETE r",
    "create in call subquery": "CALL { CREATE (m:Entity:Organization {id: 'org:sub'}) } RETURN 1",
    "set in correlated subquery": "MATCH (n) CALL { WITH n SET n.pwned = 1 } RETURN count(n)",
    "commented, lower case": "/* read */ create (n)",
    "line comment, lower case": "// read only\ncreate (n:Entity {id: 'org:c'})",
    "mixed case": "MaTcH (n) DeTaCh DeLeTe n",
    "foreach set": "MATCH (n) FOREACH (x IN [1] | SET n.pwned = x)",
    "unwind create": "UNWIND range(1, 3) AS i CREATE (:Entity:Organization {id: 'org:' + i})",
    "optional match set": "OPTIONAL MATCH (n:Organization) SET n.pwned = 1 RETURN n",
    "union with a write": "RETURN 1 AS x UNION MATCH (n) DETACH DELETE n RETURN 2 AS x",
    "write after read return": "MATCH (n) RETURN n.id AS id; MATCH (m) DETACH DELETE m",
    "create relationship": "MATCH (a {id: 'org:a'}), (b {id: 'org:b'}) CREATE (a)-[:PARTNER_OF]->(b)",
    "load csv": "LOAD CSV FROM 'file:///etc/passwd' AS row CREATE (:Entity {id: row[0]})",
}
#: Read statements whose text holds write keywords: a keyword filter would refuse them.
READS_WITH_WRITE_WORDS = {
    "string literal": (
        "RETURN 'CREATE (n) DETACH DELETE n' AS s",
        [{"s": "CREATE (n) DETACH DELETE n"}],
    ),
    "comment": ("MATCH (n:Organization) // DETACH DELETE n\nRETURN count(n) AS n", [{"n": 2}]),
    "property named like a clause": (
        "MATCH (n:Organization {id: 'org:a'}) RETURN n.`create` AS c, n.name AS name",
        [{"c": None, "name": "A"}],
    ),
    "parameter value": ("RETURN $q AS q", [{"q": "MERGE (x) SET x.y = 1"}]),
}


@pytest.fixture(scope="module")
def ro(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    path = tmp_path_factory.mktemp("ro") / "ro.db"
    store = open_store(path)
    try:
        store.upsert_nodes(
            "Organization",
            [
                {"id": "org:a", "name": "A", "sources": ["s"]},
                {"id": "org:b", "name": "B", "sources": ["s"]},
            ],
        )
        store.upsert_relationship("PARTNER_OF", "org:a", "org:b", {"sources": ["s"]})
        yield store, path
    finally:
        store.close()


def _state(store: Store) -> tuple[str, list[Any]]:
    """The digest and the index list: a refused write changes neither."""
    indexes = store.query(
        "CALL db.indexes() YIELD label, properties, types RETURN label, properties, types "
        "ORDER BY label"
    )
    return store.digest(), indexes


@pytest.mark.parametrize("statement", list(DISGUISED_WRITES.values()), ids=list(DISGUISED_WRITES))
def test_disguised_writes_are_refused_by_the_engine(ro: tuple[Store, Path], statement: str) -> None:
    store, _ = ro
    before = _state(store)
    with pytest.raises((ReadOnlyViolation, EngineError)) as exc:
        store.query(statement)
    assert _state(store) == before
    if "LOAD CSV" not in statement and ";" not in statement:
        assert isinstance(exc.value, ReadOnlyViolation), str(exc.value)


@pytest.mark.parametrize(
    ("statement", "rows"), list(READS_WITH_WRITE_WORDS.values()), ids=list(READS_WITH_WRITE_WORDS)
)
def test_reads_that_mention_write_keywords_run(
    ro: tuple[Store, Path], statement: str, rows: list[dict[str, Any]]
) -> None:
    store, _ = ro
    before = _state(store)
    assert store.query(statement, {"q": "MERGE (x) SET x.y = 1"}) == rows
    assert _state(store) == before


def test_the_same_writes_run_through_execute(tmp_path: Path) -> None:
    """Control: the statements above are real writes (so the refusals are meaningful)."""
    with open_store(tmp_path / "w.db") as store:
        store.upsert_nodes(
            "Organization", [{"id": "org:a", "name": "A"}, {"id": "org:b", "name": "B"}]
        )
        before = store.digest()
        store.execute(DISGUISED_WRITES["set in correlated subquery"])
        assert store.digest() != before
        store.execute(DISGUISED_WRITES["commented, lower case"])
        assert store.totals()[0] == 3


def test_a_write_on_a_never_written_store_is_refused(tmp_path: Path) -> None:
    """The 'empty key' path (a read before any write) must not let the write through."""
    with open_store(tmp_path / "empty.db") as store:
        with pytest.raises(ReadOnlyViolation):
            store.query("CREATE (:Entity:Organization {id: 'org:x', name: 'x'})")
        with pytest.raises(ReadOnlyViolation):
            store.query("MERGE (n:Entity {id: 'org:y'}) RETURN n")
        assert store.totals() == (0, 0)


# -- the command line -----------------------------------------------------------------------
def _cli(args: list[str], env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, args, env=env)


@pytest.mark.parametrize(
    "name",
    [
        "merge",
        "commented, lower case",
        "set in correlated subquery",
        "fulltext index procedure",
        "detach delete after with",
    ],
)
def test_cli_cypher_without_write_refuses(ro: tuple[Store, Path], name: str) -> None:
    store, path = ro
    before = _state(store)
    result = _cli(["cypher", DISGUISED_WRITES[name], "--db", str(path)])
    assert result.exit_code == 1, result.output
    assert "read-only" in result.output and result.output.count("\n") == 1
    assert "Traceback" not in result.output
    assert _state(store) == before


QUERY_HEADER = "// A query that says it only reads.\n// @param id string  an id\n"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("merge", "MERGE (n:Entity:Organization {id: $id, name: 'x'}) RETURN n.id AS id"),
        ("set", "MATCH (n:Entity {id: $id}) SET n.pwned = true RETURN n.id AS id"),
        ("delete", "MATCH (n:Entity {id: $id}) WITH n DETACH DELETE n RETURN 1 AS done"),
        ("subquery", "MATCH (n:Entity {id: $id}) CALL { WITH n SET n.x = 1 } RETURN n.id AS id"),
        (
            "write-directive-in-body",
            "MATCH (n:Entity {id: $id})\n// @write\nSET n.x = 1 RETURN n.id AS id",
        ),
        ("block-comment-directive", "/* @write */ MERGE (n:Entity {id: $id}) RETURN n.id AS id"),
    ],
)
def test_a_stored_query_without_the_write_header_cannot_write(
    ro: tuple[Store, Path], tmp_path: Path, name: str, body: str
) -> None:
    store, path = ro
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / f"sneaky_{name.replace('-', '_')}.cypher").write_text(QUERY_HEADER + body + "\n")
    env = {"CIVICGRAPH_QUERIES_PATH": str(folder)}
    before = _state(store)
    listed = _cli(["queries", "--format", "json"], env=env)
    assert listed.exit_code == 0, listed.output
    # the folder adds to the shipped queries; its own query is read-only too
    assert {q["name"]: q["write"] for q in json.loads(listed.output)}[
        f"sneaky_{name.replace('-', '_')}"
    ] is False
    result = _cli(
        ["query", f"sneaky_{name.replace('-', '_')}", "-p", "id=org:a", "--db", str(path)], env=env
    )
    assert result.exit_code == 1, result.output
    assert "read-only" in result.output and result.output.count("\n") == 1
    assert _state(store) == before
    # and through the library, with the same folder
    query = load_catalogue(folder).get(f"sneaky_{name.replace('-', '_')}")
    with pytest.raises(ReadOnlyViolation):
        query.run(store, {"id": "org:a"})
    assert _state(store) == before


def test_a_stored_query_with_the_write_header_writes(tmp_path: Path) -> None:
    """Control: `// @write` in the header is what allows a stored query to write."""
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "tag.cypher").write_text(
        textwrap.dedent("""\
        // Tag a node.
        // @param id string  an id
        // @write
        MATCH (n:Entity {id: $id}) SET n.tagged = true RETURN n.id AS id
        """)
    )
    db = tmp_path / "w.db"
    with open_store(db) as store:
        store.upsert_node("Organization", {"id": "org:a", "name": "A"})
    result = _cli(
        ["query", "tag", "-p", "id=org:a", "--db", str(db)],
        env={"CIVICGRAPH_QUERIES_PATH": str(folder)},
    )
    assert result.exit_code == 0, result.output
    with open_store(db) as store:
        assert store.query("MATCH (n {id: 'org:a'}) RETURN n.tagged AS t") == [{"t": True}]


def test_every_shipped_query_is_read_only() -> None:
    assert os.environ.get("CIVICGRAPH_QUERIES_PATH") is None
    assert [q.name for q in load_catalogue() if q.write] == []
