"""The store: upserts merge on id, sources accumulate, re-runs change nothing, allow-list."""

from __future__ import annotations

import pytest

from civicgraph.graph import (
    InvalidId,
    InvalidProperty,
    LoadError,
    ReadOnlyViolation,
    Store,
    UnknownLabel,
    UnknownRelationshipType,
)


def test_nodes_merge_on_id_and_sources_accumulate(store: Store) -> None:
    c = store.upsert_node("City", {"id": "insee:38185", "name": "Grenoble", "sources": ["src:a"]})
    assert (c.created, c.updated, c.unchanged) == (1, 0, 0)
    c = store.upsert_node("City", {"id": "insee:38185", "name": "Grenoble", "sources": ["src:b"]})
    assert (c.created, c.updated, c.unchanged) == (0, 1, 0)
    c = store.upsert_node("City", {"id": "insee:38185", "name": "Grenoble", "sources": ["src:b"]})
    assert (c.created, c.updated, c.unchanged) == (0, 0, 1)
    row = store.query("MATCH (c:City) RETURN c.sources AS s, labels(c) AS l")[0]
    assert row["s"] == ["src:a", "src:b"]
    assert set(row["l"]) == {"City", "Entity", "Actor"}


def test_relationship_identity_is_type_ends_and_start(store: Store) -> None:
    store.upsert_nodes("City", [{"id": "insee:59271", "name": "Grande-Synthe", "sources": ["s"]}])
    store.upsert_nodes("Network", [{"id": "net:anvita", "name": "ANVITA", "sources": ["s"]}])
    r = {"source": "insee:59271", "target": "net:anvita", "start": "2018-09-26"}
    store.upsert_relationships(
        "MEMBER_OF", [{**r, "sources": ["src:site"]}, {**r, "sources": ["src:paper"]}]
    )
    # a source that gives another start date is another claim, kept apart
    store.upsert_relationship(
        "MEMBER_OF", "insee:59271", "net:anvita", {"start": "2018-09-01", "sources": ["src:other"]}
    )
    rows = store.query(
        "MATCH ()-[r:MEMBER_OF]->() RETURN r.start AS s, r.sources AS src ORDER BY s"
    )
    assert rows == [
        {"s": "2018-09-01", "src": ["src:other"]},
        {"s": "2018-09-26", "src": ["src:site", "src:paper"]},
    ]
    c = store.upsert_relationships("MEMBER_OF", [{**r, "sources": ["src:site"]}])
    assert c.unchanged == 1


def test_relationship_to_a_missing_node_writes_nothing(store: Store) -> None:
    store.upsert_node("City", {"id": "insee:01001", "name": "A", "sources": ["s"]})
    with pytest.raises(LoadError, match="unknown node 'net:nope'"):
        store.upsert_relationship("MEMBER_OF", "insee:01001", "net:nope", {"sources": ["s"]})
    assert store.totals() == (1, 0)


@pytest.mark.parametrize("label", ["Citi", "City`) DETACH DELETE n //", "Entity", ""])
def test_labels_come_only_from_the_schema(store: Store, label: str) -> None:
    with pytest.raises(UnknownLabel):
        store.upsert_node(label, {"id": "insee:01001", "name": "x"})


@pytest.mark.parametrize("rtype", ["MEMBER", "MEMBER_OF]->() DETACH DELETE a //", "member_of"])
def test_types_come_only_from_the_schema(store: Store, rtype: str) -> None:
    with pytest.raises(UnknownRelationshipType):
        store.upsert_relationship(rtype, "a", "b")


def test_id_prefix_and_property_keys_are_checked(store: Store) -> None:
    with pytest.raises(InvalidId, match="insee:"):
        store.upsert_node("City", {"id": "38185", "name": "Grenoble"})
    with pytest.raises(InvalidProperty, match="not an identifier"):
        store.upsert_node("City", {"id": "insee:01001", "name": "x", "bad key}": 1})
    with pytest.raises(InvalidProperty, match="one simple type"):
        store.upsert_node("City", {"id": "insee:01001", "name": "x", "mixed": [1, "a"]})
    assert store.totals() == (0, 0)


def test_an_id_used_by_another_label_is_refused(store: Store) -> None:
    # Only reachable with a user schema whose prefixes overlap; build one in place.
    from dataclasses import replace

    from civicgraph.graph.model import Model

    model = Model(dict(store.model.nodes), dict(store.model.relationships))
    model.nodes["Network"] = replace(model.nodes["Network"], id_prefix=("net:", "org:"))
    store.model = model
    store.upsert_node("Organization", {"id": "org:y", "name": "Y"})
    with pytest.raises(LoadError, match="already belongs to a Organization"):
        store.upsert_node("Network", {"id": "org:y", "name": "Y"})


def test_read_calls_are_read_only_in_the_engine(store: Store) -> None:
    with pytest.raises(ReadOnlyViolation):
        store.query("CREATE (n:Entity:City {id: 'insee:x', name: 'x'})")
    with pytest.raises(ReadOnlyViolation):  # no keyword check to fool: the engine refuses
        store.query("MATCH (n) WITH n LIMIT 0 MERGE (m:Entity {id: 'x'}) RETURN m")
    assert store.totals() == (0, 0)


def test_values_never_enter_query_text(store: Store) -> None:
    evil = "x'}) DETACH DELETE n // ; `"
    store.upsert_node("Organization", {"id": "org:" + evil, "name": evil, "sources": [evil]})
    store.upsert_node("Organization", {"id": "org:two", "name": "two"})
    rows = store.query("MATCH (c:Organization) RETURN c.name AS name ORDER BY name")
    assert [r["name"] for r in rows] == ["two", evil]


def test_digest_is_stable_and_sensitive(store: Store) -> None:
    empty = store.digest()
    store.upsert_node("City", {"id": "insee:01001", "name": "A"})
    one = store.digest()
    assert one != empty and store.digest() == one
    store.upsert_node("City", {"id": "insee:01001", "name": "B"})
    assert store.digest() != one


def test_info_counts(store: Store) -> None:
    store.upsert_node("City", {"id": "insee:01001", "name": "A"})
    info = store.info()
    assert info["engine"] == "falkordb" and info["version"].startswith("FalkorDB")
    assert info["nodes"] == 1 and info["labels"]["City"] == 1
