"""New rows through FalkorDB's GRAPH.BULK give the graph the CREATE statements give.

Each test loads the same records twice, once with ``store.bulk`` (the default) and once
without (``UNWIND … CREATE``, the path before #15), and compares the stores' digests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from civicgraph.graph import Store, open_store
from civicgraph.graph.backends.falkordb_bulk import encode_nodes, encode_relationships, encode_value
from civicgraph.graph.bulk import NodeIds
from civicgraph.graph.errors import PartialLoad
from civicgraph.loaders.base import run_load
from civicgraph.loaders.records import NodeRecord, Record, RelRecord


def org(i: int, **props: Any) -> NodeRecord:
    return NodeRecord(
        "Organization",
        {"id": f"org:{i}", "name": f"Org {i}", "sources": ["src:a"], **props},
        "orgs.csv",
        i + 1,
    )


def partner(a: int, b: int, start: str | None = None) -> RelRecord:
    props: dict[str, Any] = {"sources": ["src:a"]}
    if start:
        props["start"] = start
    return RelRecord("PARTNER_OF", f"org:{a}", f"org:{b}", props, "edges.csv", a * 1000 + b)


SOURCE = NodeRecord("Source", {"id": "src:a", "title": "A"}, "sources.csv", 2)

Loads = Sequence[Sequence[Record]]


def _both(tmp_path: Path, loads: Loads, **kw: Any) -> tuple[str, str, list[Any]]:
    """Digests of the same loads run with and without the bulk command; the summaries of
    the bulk run."""
    digests, summaries = [], []
    for bulk in (True, False):
        with open_store(tmp_path / f"bulk-{bulk}.db") as store:
            store.bulk = bulk
            for n, records in enumerate(loads):
                summary = run_load(store, list(records), progress=False, name=f"load {n}", **kw)
                if bulk:
                    summaries.append(summary.as_dict())
            digests.append(store.digest())
    return digests[0], digests[1], summaries


def _count_bulk(store: Store) -> list[int]:
    """Patch *store*'s backend to count GRAPH.BULK commands (the real command still runs)."""
    sent: list[int] = []
    real = store.backend.bulk  # type: ignore[attr-defined]

    def bulk(nodes: int, relationships: int, tokens: list[bytes], labels: int) -> None:
        sent.append(nodes + relationships)
        real(nodes, relationships, tokens, labels)

    store.backend.bulk = bulk  # type: ignore[attr-defined]
    return sent


def test_every_kind_of_value_is_stored_as_create_stores_it(tmp_path: Path) -> None:
    records: list[Record] = [
        SOURCE,
        org(1, size=12, share=0.25, active=True, tags=["a", "b"], years=[2019, 2020]),
        org(2, name="Égalité — Ville d'Œuvre 🌍", size=-(2**63), share=1e300, active=False),
        org(3),  # fewer properties than the others in its batch: the others are null
        partner(1, 2, "2020-05"),
        partner(2, 3),
        partner(3, 1, "2021"),
    ]
    with_bulk, without, _ = _both(tmp_path, [records])
    assert with_bulk == without
    # and the engine's append-only file replays the bulk commands
    with open_store(tmp_path / "bulk-True.db") as store:
        assert store.digest() == with_bulk


def test_a_first_load_goes_through_bulk_and_the_id_index_finds_its_nodes(
    tmp_path: Path,
) -> None:
    with open_store(tmp_path / "s.db") as store:
        sent = _count_bulk(store)
        records = [SOURCE, *(org(i) for i in range(30)), *(partner(i, i + 1) for i in range(29))]
        run_load(store, records, progress=False, batch_size=10)
        assert sum(sent) == 31 + 29  # every row, none through CREATE
        found = store.query("MATCH (n:Entity {id: 'org:17'})-[:PARTNER_OF]->(m) RETURN m.id AS m")
        assert found == [{"m": "org:18"}]
        plan = store.backend._graph.explain("MATCH (n:Entity {id: 'org:17'}) RETURN n")  # type: ignore[attr-defined]
        assert "Index Scan" in str(plan)


def test_relationships_to_stored_nodes_and_updates_beside_new_rows(tmp_path: Path) -> None:
    """A second load: new nodes, relationships between new and stored nodes (their internal
    ids asked before writing), updates of stored nodes (MERGE)."""
    first = [SOURCE, *(org(i) for i in range(10)), partner(0, 1)]
    second = [
        org(1, name="Renamed"),
        *(org(i) for i in range(10, 20)),
        *(partner(i, i - 10) for i in range(10, 20)),
        partner(0, 1),  # unchanged
        partner(2, 3),  # new, between stored nodes
    ]
    with_bulk, without, summaries = _both(tmp_path, [first, second], batch_size=4)
    assert with_bulk == without
    assert summaries[1]["nodes"]["Organization"] == {"created": 10, "updated": 1, "unchanged": 0}
    assert summaries[1]["relationships"]["PARTNER_OF"] == {
        "created": 11,
        "updated": 0,
        "unchanged": 1,
    }


def test_a_store_that_had_a_node_deleted_creates_with_statements(tmp_path: Path) -> None:
    """FalkorDB reuses a deleted node's internal id: the next ids cannot be told, so the
    load creates with CREATE statements, and the graph is the same."""

    def deleting(store: Store) -> None:
        store.execute("MATCH (n {id: 'org:3'}) DETACH DELETE n")

    digests = []
    for bulk in (True, False):
        with open_store(tmp_path / f"d-{bulk}.db") as store:
            store.bulk = bulk
            run_load(store, [SOURCE, *(org(i) for i in range(5))], progress=False)
            deleting(store)
            if bulk:
                with store.write_lock():
                    assert store.bulk_ids() is None
            sent = _count_bulk(store)
            run_load(store, [org(9), partner(9, 1), partner(1, 9)], progress=False)
            assert sent == []
            digests.append(store.digest())
    assert digests[0] == digests[1]


def test_a_failed_id_check_sends_the_relationships_as_statements(tmp_path: Path) -> None:
    """If a node batch did not get the internal ids expected, the relationships of the load
    are created by CREATE statements (which find their ends by id)."""
    records = [SOURCE, *(org(i) for i in range(6)), *(partner(i, i + 1) for i in range(5))]
    with open_store(tmp_path / "ok.db") as store:
        store.bulk = False
        run_load(store, records, progress=False)
        expected = store.digest()
    with open_store(tmp_path / "s.db") as store:
        real_verify = NodeIds.verify

        def failing(self: NodeIds, expected_ids: dict[int, str]) -> None:
            real_verify(self, {k + 1: v for k, v in expected_ids.items()})

        NodeIds.verify = failing  # type: ignore[method-assign]
        try:
            sent = _count_bulk(store)
            run_load(store, records, progress=False)
        finally:
            NodeIds.verify = real_verify  # type: ignore[method-assign]
        # the first batch's check fails: every later batch is sent as statements
        assert sent == [6]
        assert store.digest() == expected


class Interrupted(Exception):
    pass


def test_a_load_stopped_after_a_bulk_batch_resumes_to_the_same_graph(tmp_path: Path) -> None:
    records = [SOURCE, *(org(i) for i in range(12)), *(partner(i, i + 1) for i in range(11))]
    with open_store(tmp_path / "clean.db") as clean:
        expected = run_load(clean, records, progress=False, batch_size=5).as_dict()
        expected_digest = clean.digest()

    def stop_after(n: int) -> Callable[[int], None]:
        def on_batch(index: int) -> None:
            if index == n:
                raise Interrupted

        return on_batch

    with open_store(tmp_path / "s.db") as store:
        with pytest.raises(PartialLoad, match="--resume"):
            run_load(store, records, progress=False, batch_size=5, on_batch=stop_after(3))
        resumed = run_load(store, records, progress=False, batch_size=5, resume=True)
        assert resumed.resumed_batches >= 3
        for key in ("nodes", "relationships"):
            assert resumed.as_dict()[key] == expected[key]
        assert store.digest() == expected_digest


def test_node_token_layout() -> None:
    """The layout falkordb-bulk-loader writes: name, property count, names, then values."""
    token = encode_nodes(["Organization", "Entity"], [{"id": "o", "n": 1}, {"id": "p"}])
    head = b"Organization:Entity\x00" + (2).to_bytes(4, "little") + b"id\x00n\x00"
    first = b"\x03o\x00" + b"\x04" + (1).to_bytes(8, "little", signed=True)
    second = b"\x03p\x00" + b"\x00"  # a missing property is null: not set
    assert token == head + first + second


def test_repeated_values_are_encoded_each_as_itself() -> None:
    """The encoder reuses the bytes of a value it met earlier in the token; values that are
    equal in Python but differ in type or sign (1, True, 1.0; 0.0, -0.0) keep their own."""
    values: list[Any] = [
        [1], [True], [1.0], 1, True, 1.0, 0.0, -0.0, [0.0], [-0.0], ["a", "b"], ["a", "b"],
        [1], True, 1, None, "x", "x", [], 2**63 - 1, -(2**63),
    ]  # fmt: skip
    rows = [{"id": f"o{i}", "v": v} for i, v in enumerate(values)]
    token = encode_nodes(["Organization"], rows)
    head = b"Organization\x00" + (2).to_bytes(4, "little") + b"id\x00v\x00"
    assert token == head + b"".join(encode_value(r["id"]) + encode_value(r["v"]) for r in rows)
    ends = [(i, i + 1, {"w": v}) for i, v in enumerate(values)]
    token = encode_relationships("PARTNER_OF", ends)
    head = b"PARTNER_OF\x00" + (1).to_bytes(4, "little") + b"w\x00"
    body = b"".join(
        s.to_bytes(8, "little") + t.to_bytes(8, "little") + encode_value(p["w"]) for s, t, p in ends
    )
    assert token == head + body


def test_staged_rows_are_validated_rows_with_checked_ends(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store, pytest.raises(ValueError, match="staged"):
        store.prepare_relationships("PARTNER_OF", [], validated=True, staged=True)
