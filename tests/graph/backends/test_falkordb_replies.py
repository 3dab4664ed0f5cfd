"""The FalkorDB backend's own parse of plain replies gives what the client's parser gives."""

from __future__ import annotations

import gc

from civicgraph.graph import Store
from civicgraph.graph.backends.falkordb import _Plain

VALUES = (
    "RETURN 'Montreuil' AS s, 'é\"\\\\ ' AS quoted, '' AS empty, 1 AS one, -9007199254740993 AS big, "
    "1.5 AS half, 1.0e300 AS huge, true AS yes, false AS no, null AS nothing, "
    "[1, 'a', [null, 2.5, [true]], []] AS nested, [] AS none, ['src:a', 'src:b'] AS sources"
)


def _reply(store: Store, query: str) -> list[object]:
    backend = store.backend
    graph = backend._graph  # type: ignore[attr-defined]
    return graph.execute_command("GRAPH.RO_QUERY", backend.graph_name, query, "--compact")  # type: ignore[no-any-return]


def test_plain_values_parse_as_the_client_parses_them(store: Store) -> None:
    from falkordb.query_result import QueryResult

    reply = _reply(store, VALUES)
    ours = _Plain.parse(reply)
    assert ours is not None
    theirs = QueryResult(store.backend._graph, reply)  # type: ignore[attr-defined]
    assert ours.rows == [list(row) for row in theirs.result_set]
    [row] = store.query(VALUES)
    assert row == {
        "s": "Montreuil",
        "quoted": 'é"\\ ',
        "empty": "",
        "one": 1,
        "big": -9007199254740993,
        "half": 1.5,
        "huge": 1.0e300,
        "yes": True,
        "no": False,
        "nothing": None,
        "nested": [1, "a", [None, 2.5, [True]], []],
        "none": [],
        "sources": ["src:a", "src:b"],
    }
    assert [type(v) for v in row.values()][3:9] == [int, int, float, float, bool, bool]


def test_replies_with_nodes_go_to_the_clients_parser(store: Store) -> None:
    store.upsert_nodes("City", [{"id": "insee:93048", "name": "Montreuil"}])
    assert _Plain.parse(_reply(store, "MATCH (c:City) RETURN c")) is None
    [row] = store.query("MATCH (c:City) RETURN c, c.name AS name")
    assert (row["c"].id, row["name"]) == ("insee:93048", "Montreuil")


def test_a_read_leaves_the_collector_as_it_was(store: Store) -> None:
    assert gc.isenabled()
    store.query("RETURN 1 AS one")
    assert gc.isenabled()
    gc.disable()
    try:
        store.query("RETURN 1 AS one")
        assert not gc.isenabled()
    finally:
        gc.enable()
