"""Cypher injection through every place a user string enters civicgraph.

Labels, relationship types and property keys are the only user strings that could be
spliced into Cypher text; they must be refused unless the schema allows them (labels, types)
or they are identifiers (keys).  Everything else — ids, property values, stored-query and
``cypher -p`` parameters, CLI options — travels as data and must come back verbatim.  In
every case the seeded store's digest is unchanged, or changed only by the legitimate write.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest
from click.testing import CliRunner
from hostile import PAYLOADS

from civicgraph.app.cli import cli
from civicgraph.graph import (
    CivicgraphError,
    InvalidProperty,
    LoadError,
    Store,
    UnknownLabel,
    UnknownRelationshipType,
    open_store,
)
from civicgraph.loaders import load
from civicgraph.queries import load_catalogue

SEED = [
    ("Organization", {"id": "org:a", "name": "A", "sources": ["src:seed"]}),
    ("Organization", {"id": "org:b", "name": "B", "sources": ["src:seed"]}),
    ("City", {"id": "insee:38185", "name": "Grenoble", "sources": ["src:seed"]}),
    ("Network", {"id": "net:x", "name": "X", "sources": ["src:seed"]}),
    ("Person", {"id": "person:p", "name": "P", "sources": ["src:seed"]}),
]
SEED_RELS = [
    ("MEMBER_OF", "insee:38185", "net:x", {"start": "2018-09-26", "sources": ["src:seed"]}),
    ("MAYOR_OF", "person:p", "insee:38185", {"start": "2014-04-04", "sources": ["src:seed"]}),
]


class Seeded:
    def __init__(self, store: Store, path: Path) -> None:
        self.store, self.path = store, path
        self.seed()
        self.digest = store.digest()
        self.nodes, self.rels = store.dump()

    def seed(self) -> None:
        self.store.execute("MATCH (n) DETACH DELETE n")
        for label, props in SEED:
            self.store.upsert_node(label, dict(props))
        for rtype, a, b, props in SEED_RELS:
            self.store.upsert_relationship(rtype, a, b, dict(props))

    def restore(self) -> None:
        if self.store.digest() != self.digest:
            self.seed()
            assert self.store.digest() == self.digest

    def only_additions(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """What a legitimate write added; fails if anything of the seed changed."""
        nodes, rels = self.store.dump()
        by_id = {n["id"]: n for n in nodes}
        for n in self.nodes:
            assert by_id.get(n["id"]) == n, f"seed node {n['id']} changed"
        for r in self.rels:
            assert r in rels, f"seed relationship {r['properties']['id']} changed"
        return ([n for n in nodes if n not in self.nodes], [r for r in rels if r not in self.rels])


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    path = tmp_path_factory.mktemp("inject") / "i.db"
    store = open_store(path)
    try:
        yield Seeded(store, path)
    finally:
        store.close()


@pytest.fixture
def fresh(seeded: Seeded) -> Iterator[Seeded]:
    """The module's store, checked to be in its seed state before and put back after."""
    assert seeded.store.digest() == seeded.digest
    try:
        yield seeded
    finally:
        seeded.restore()


def _csv(*rows: list[str]) -> str:
    import csv

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _jl(*objs: dict[str, Any]) -> str:
    return "".join(json.dumps(o) + "\n" for o in objs)


def _jnode(nid: str, props: dict[str, Any], labels: list[str] | None = None) -> dict[str, Any]:
    """A JSON Lines node record: an Organization unless *labels* say otherwise."""
    return {"kind": "node", "id": nid, "labels": labels or ["Organization"], "properties": props}


def _graphml(nodes: str = "", edges: str = "", keys: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
        '<key id="l" for="node" attr.name="label" attr.type="string"/>\n'
        '<key id="n" for="node" attr.name="name" attr.type="string"/>\n'
        '<key id="t" for="edge" attr.name="type" attr.type="string"/>\n'
        f'{keys}<graph edgedefault="directed">\n{nodes}{edges}</graph></graphml>\n'
    )


def _gnode(nid: str, label: str = "Organization", name: str = "N", extra: str = "") -> str:
    return (
        f'<node id={quoteattr(nid)}><data key="l">{escape(label)}</data>'
        f'<data key="n">{escape(name)}</data>{extra}</node>\n'
    )


def _gedge(rtype: str = "PARTNER_OF", extra: str = "") -> str:
    return (
        '<node id="org:a"/><node id="org:b"/><edge source="org:a" target="org:b">'
        f'<data key="t">{escape(rtype)}</data>{extra}</edge>\n'
    )


MAP_CSV = "code,nom\n38185,Grenoble\n"


def _mapping(
    label: str = "City", rtype: str = "PART_OF", key: str = "short", prefix: str = "insee:"
) -> str:
    return (
        "nodes:\n"
        f"  - label: {json.dumps(label)}\n"
        f'    id: "{prefix}{{code}}"\n'
        f"    properties: {{name: nom, {json.dumps(key)}: nom}}\n"
        "relationships:\n"
        f"  - type: {json.dumps(rtype)}\n"
        f'    source: "{prefix}{{code}}"\n'
        '    target: "=net:x"\n'
    )


# -- 1. labels and relationship types: refused, wherever they come from ---------------------
Writer = Callable[[Path, str], dict[str, Any]]


def _w(name: str, text: str) -> Callable[[Path], Path]:
    def write(d: Path) -> Path:
        (d / name).write_text(text, encoding="utf-8")
        return d / name

    return write


NAME_ENTRIES: dict[str, tuple[str, Writer]] = {
    "nodes-csv label": (
        "label",
        lambda d, p: {
            "nodes": [
                _w("n.csv", _csv(["id", "label", "name"], ["org:z", f"Organization{p}", "Z"]))(d)
            ]
        },
    ),
    "nodes-csv bare label": (
        "label",
        lambda d, p: {"nodes": [_w("n.csv", _csv(["id", "label", "name"], ["org:z", p, "Z"]))(d)]},
    ),
    "edges-csv type": (
        "type",
        lambda d, p: {
            "edges": [
                _w(
                    "e.csv",
                    _csv(["source", "target", "type"], ["org:a", "org:b", f"PARTNER_OF{p}"]),
                )(d)
            ]
        },
    ),
    "jsonl labels": (
        "label",
        lambda d, p: {
            "paths": [
                _w(
                    "g.jsonl",
                    _jl(_jnode("org:z", {"name": "Z"}, labels=[f"Organization{p}"])),
                )(d)
            ]
        },
    ),
    "jsonl label": (
        "label",
        lambda d, p: {
            "paths": [
                _w(
                    "g.jsonl",
                    _jl({"kind": "node", "id": "org:z", "label": p, "properties": {"name": "Z"}}),
                )(d)
            ]
        },
    ),
    "jsonl type": (
        "type",
        lambda d, p: {
            "paths": [
                _w(
                    "g.jsonl",
                    _jl(
                        {
                            "kind": "relationship",
                            "type": f"PARTNER_OF{p}",
                            "source": "org:a",
                            "target": "org:b",
                            "properties": {},
                        }
                    ),
                )(d)
            ]
        },
    ),
    "graphml label": (
        "label",
        lambda d, p: {
            "paths": [_w("g.graphml", _graphml(_gnode("org:z", label=f"Organization{p}")))(d)]
        },
    ),
    "graphml type": (
        "type",
        lambda d, p: {"paths": [_w("g.graphml", _graphml(edges=_gedge(f"PARTNER_OF{p}")))(d)]},
    ),
    "mapping label": (
        "label",
        lambda d, p: {
            "paths": [_w("m.csv", MAP_CSV)(d)],
            "mapping": _w("m.yaml", _mapping(label="City" + p))(d),
        },
    ),
    "mapping type": (
        "type",
        lambda d, p: {
            "paths": [_w("m.csv", MAP_CSV)(d)],
            "mapping": _w("m.yaml", _mapping(rtype="MEMBER_OF" + p))(d),
        },
    ),
}


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("entry", list(NAME_ENTRIES))
def test_labels_and_types_in_files_are_refused(
    fresh: Seeded, tmp_path: Path, entry: str, payload: str
) -> None:
    field, write = NAME_ENTRIES[entry]
    kwargs = write(tmp_path, payload)
    with pytest.raises(LoadError) as exc:
        load(fresh.store, progress=False, **kwargs)
    assert exc.value.field == field, str(exc.value)
    assert "unknown label" in str(exc.value) or "unknown relationship type" in str(exc.value)
    files = [p.name for p in tmp_path.iterdir()]
    assert any(f in (exc.value.file or "") for f in files)
    assert fresh.store.digest() == fresh.digest


@pytest.mark.parametrize("payload", PAYLOADS)
def test_store_api_refuses_injected_labels_and_types(fresh: Seeded, payload: str) -> None:
    store = fresh.store
    for label in (payload, f"Organization{payload}", f"Organization:{payload}"):
        with pytest.raises(UnknownLabel):
            store.upsert_nodes(label, [{"id": "org:z", "name": "Z"}])
        with pytest.raises(UnknownLabel):
            store.prepare_nodes(label, [{"id": "org:z", "name": "Z"}])
    for rtype in (payload, f"PARTNER_OF{payload}"):
        with pytest.raises(UnknownRelationshipType):
            store.upsert_relationships(rtype, [{"source": "org:a", "target": "org:b"}])
        with pytest.raises(UnknownRelationshipType):
            store.prepare_relationships(rtype, [{"source": "org:a", "target": "org:b"}])
    from civicgraph.graph.analysis import to_networkx

    with pytest.raises(UnknownLabel):
        to_networkx(store, labels=[payload])
    with pytest.raises(UnknownRelationshipType):
        to_networkx(store, types=[f"PARTNER_OF{payload}"])
    assert store.digest() == fresh.digest


# -- 2. property keys: only identifiers -----------------------------------------------------
KEYS = [
    "a`b",
    "a}",
    "a//",
    "a;b",
    "DETACH DELETE",
    "n) DETACH DELETE n //",
    "x` = 1 DETACH DELETE n //",
    "k'}) MATCH (n) DETACH DELETE n //",
    "",
    "1abc",
    "é",
]

KEY_ENTRIES: dict[str, Writer] = {
    "nodes-csv header": lambda d, k: {
        "nodes": [
            _w("n.csv", _csv(["id", "label", "name", k], ["org:z", "Organization", "Z", "1"]))(d)
        ]
    },
    "edges-csv header": lambda d, k: {
        "edges": [
            _w(
                "e.csv",
                _csv(["source", "target", "type", k], ["org:a", "org:b", "PARTNER_OF", "1"]),
            )(d)
        ]
    },
    "jsonl node properties": lambda d, k: {
        "paths": [
            _w(
                "g.jsonl",
                _jl(_jnode("org:z", {"name": "Z", k: 1})),
            )(d)
        ]
    },
    "jsonl relationship properties": lambda d, k: {
        "paths": [
            _w(
                "g.jsonl",
                _jl(
                    {
                        "kind": "relationship",
                        "type": "PARTNER_OF",
                        "source": "org:a",
                        "target": "org:b",
                        "properties": {k: 1},
                    }
                ),
            )(d)
        ]
    },
    "graphml node attr.name": lambda d, k: {
        "paths": [
            _w(
                "g.graphml",
                _graphml(
                    _gnode("org:z", extra='<data key="k">1</data>'),
                    keys=f'<key id="k" for="node" attr.name={quoteattr(k)} attr.type="string"/>\n',
                ),
            )(d)
        ]
    },
    "graphml edge attr.name": lambda d, k: {
        "paths": [
            _w(
                "g.graphml",
                _graphml(
                    edges=_gedge(extra='<data key="k">1</data>'),
                    keys=f'<key id="k" for="edge" attr.name={quoteattr(k)} attr.type="string"/>\n',
                ),
            )(d)
        ]
    },
    "mapping property name": lambda d, k: {
        "paths": [_w("m.csv", MAP_CSV)(d)],
        "mapping": _w("m.yaml", _mapping(key=k))(d),
    },
}


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("entry", list(KEY_ENTRIES))
def test_property_keys_in_files_must_be_identifiers(
    fresh: Seeded, tmp_path: Path, entry: str, key: str
) -> None:
    if key == "" and entry.startswith("graphml"):
        pytest.skip("GraphML gives an empty attr.name no key at all")
    kwargs = KEY_ENTRIES[entry](tmp_path, key)
    with pytest.raises(CivicgraphError) as exc:
        load(fresh.store, progress=False, **kwargs)
    message = str(exc.value)
    assert "not an identifier" in message or "duplicate column" in message, message
    assert any(p.name in message for p in tmp_path.iterdir()), message
    assert fresh.store.digest() == fresh.digest


@pytest.mark.parametrize("key", [k for k in KEYS if k])
def test_store_api_property_keys_must_be_identifiers(fresh: Seeded, key: str) -> None:
    with pytest.raises(InvalidProperty, match="not an identifier"):
        fresh.store.upsert_node("Organization", {"id": "org:z", "name": "Z", key: 1})
    with pytest.raises(InvalidProperty, match="not an identifier"):
        fresh.store.upsert_relationship("PARTNER_OF", "org:a", "org:b", {key: 1})
    assert fresh.store.digest() == fresh.digest


# -- 3. ids and values: data, stored verbatim -------------------------------------------------
def _value_entries() -> dict[str, Callable[[Path, str], dict[str, Any] | None]]:
    return {
        "nodes-csv value+id": lambda d, v: {
            "nodes": [
                _w(
                    "n.csv",
                    _csv(
                        ["id", "label", "name", "note"], [f"org:{v}", "Organization", f"N {v}", v]
                    ),
                )(d)
            ]
        },
        "edges-csv value": lambda d, v: {
            "edges": [
                _w(
                    "e.csv",
                    _csv(
                        ["source", "target", "type", "role", "sources"],
                        ["org:a", "org:b", "PARTNER_OF", v, f"src:{v}"],
                    ),
                )(d)
            ]
        },
        "jsonl value+id": lambda d, v: {
            "paths": [
                _w(
                    "g.jsonl",
                    _jl(_jnode(f"org:{v}", {"name": f"N {v}", "note": v, "tags": [v, v + v]})),
                )(d)
            ]
        },
        "jsonl relationship value+ends": lambda d, v: {
            "paths": [
                _w(
                    "g.jsonl",
                    _jl(
                        _jnode(f"org:{v}", {"name": f"N {v}"}),
                        {
                            "kind": "relationship",
                            "type": "PARTNER_OF",
                            "source": f"org:{v}",
                            "target": "org:b",
                            "properties": {"role": v, "start": "2020-01-01"},
                        },
                    ),
                )(d)
            ]
        },
        "graphml value+id": lambda d, v: {
            "paths": [_w("g.graphml", _graphml(_gnode(f"org:{v}", name=f"N {v}")))(d)]
        },
        "mapping value+id": lambda d, v: {
            "paths": [_w("m.csv", _csv(["code", "nom"], [f"9{v}", f"N {v}"]))(d)],
            # an Organization: a City id must be an INSEE code, which no payload is
            "mapping": _w("m.yaml", _mapping("Organization", "MEMBER_OF", prefix="org:"))(d),
        },
    }


VALUE_ENTRIES = _value_entries()


def _strings(items: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for item in items:
        for v in [
            item.get("id"),
            item.get("source"),
            item.get("target"),
            *item["properties"].values(),
        ]:
            if isinstance(v, str):
                out.add(v)
            elif isinstance(v, list):
                out.update(x for x in v if isinstance(x, str))
    return out


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("entry", list(VALUE_ENTRIES))
def test_values_and_ids_in_files_are_stored_verbatim(
    fresh: Seeded, tmp_path: Path, entry: str, payload: str
) -> None:
    kwargs = VALUE_ENTRIES[entry](tmp_path, payload)
    load(fresh.store, progress=False, **kwargs)
    nodes, rels = fresh.only_additions()
    stored = _strings(nodes) | _strings(rels)
    expected = {
        "nodes-csv value+id": [f"org:{payload}", f"N {payload}", payload],
        "edges-csv value": [payload, f"src:{payload}"],
        "jsonl value+id": [f"org:{payload}", f"N {payload}", payload, payload + payload],
        "jsonl relationship value+ends": [f"org:{payload}", payload],
        "graphml value+id": [f"org:{payload}", f"N {payload}"],
        "mapping value+id": [f"org:9{payload}", f"N {payload}"],
    }[entry]
    for value in expected:
        if entry.startswith(("nodes-csv", "edges-csv", "mapping")) and value != value.strip():
            continue
        assert value in stored, f"{value!r} not stored verbatim"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_values_through_the_store_api_are_stored_verbatim(fresh: Seeded, payload: str) -> None:
    store = fresh.store
    store.upsert_node(
        "Organization", {"id": f"org:{payload}", "name": payload, "sources": [payload]}
    )
    store.upsert_relationship(
        "PARTNER_OF", f"org:{payload}", "org:a", {"role": payload, "sources": [payload]}
    )
    nodes, rels = fresh.only_additions()
    assert nodes == [
        {
            "id": f"org:{payload}",
            "labels": ["Actor", "Entity", "Organization"],
            "properties": {"id": f"org:{payload}", "name": payload, "sources": [payload]},
        }
    ]
    assert [r["properties"]["role"] for r in rels] == [payload]
    assert rels[0]["source"] == f"org:{payload}"


# -- 4. stored-query parameters -----------------------------------------------------------
def _bindings(q: Any, payload: str) -> Iterator[dict[str, Any]]:
    """For each string/id/list parameter, the payload there and valid values elsewhere."""
    valid = {
        "string": "insee:38185",
        "id": "insee:38185",
        "date": "2020-01-01",
        "int": 2,
        "list": [],
    }
    for name, p in q.params.items():
        if p.type not in ("string", "id", "list"):
            continue
        values = {}
        for other, op in q.params.items():
            if other == name:
                values[other] = [payload, "PARTNER_OF"] if op.type == "list" else payload
            elif op.required:
                values[other] = valid.get(op.type, "x")
        if p.choices:
            continue  # a restricted string: refused by bind(), tested below
        yield values


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_stored_query_takes_hostile_parameter_values_as_data(
    fresh: Seeded, payload: str
) -> None:
    catalogue = load_catalogue()
    ran = 0
    for q in catalogue:
        assert not q.write, f"{q.name} writes"
        for values in _bindings(q, payload):
            rows = q.run(fresh.store, values)
            assert isinstance(rows, list)
            ran += 1
    assert ran >= 10
    assert fresh.store.digest() == fresh.digest


@pytest.mark.parametrize("payload", PAYLOADS[:6])
def test_typed_and_restricted_parameters_refuse_hostile_values(fresh: Seeded, payload: str) -> None:
    from civicgraph.graph import InvalidParameter

    catalogue = load_catalogue()
    with pytest.raises(InvalidParameter):
        catalogue.run(fresh.store, "network_members", {"network": "net:x", "date": payload})
    with pytest.raises(InvalidParameter):
        catalogue.run(
            fresh.store,
            "network_composition",
            {"network": "net:x", "date": "2020-01-01", "by": payload},
        )
    with pytest.raises(InvalidParameter):
        catalogue.run(
            fresh.store, "path_between", {"a": "org:a", "b": "org:b", "max_hops": payload}
        )
    assert fresh.store.digest() == fresh.digest


# -- 5. the command line -------------------------------------------------------------------
def run(seeded: Seeded, *args: str) -> Any:
    return CliRunner().invoke(cli, [*args, "--db", str(seeded.path)])


def _one_line_error(result: Any) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}"
    )
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output


def _clear_error(result: Any) -> None:
    """A one-line error (exit 1) or click's usage error (exit 2): never a traceback."""
    assert result.exit_code in (1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}"
    )
    assert "Error: " in result.output and "Traceback" not in result.output, result.output


EVIL = "x'}) MATCH (n) DETACH DELETE n //"


@pytest.mark.parametrize("payload", [EVIL, *PAYLOADS[:5]])
def test_cli_query_parameter_values_are_data(fresh: Seeded, payload: str) -> None:
    result = run(fresh, "query", "mayors_of", "-p", f"city={payload}")
    # an id no node has: said, with the value as given (data, never Cypher), and exit 1
    assert result.exit_code == 1, result.output
    assert f"no node has id {payload!r}" in result.output
    assert result.output.endswith("Error: no rows, and an id given matches no node (see above)\n")
    result = run(fresh, "query", "mayors_of", "-p", "city=insee:38185", "--format", "json")
    assert [r["person"] for r in json.loads(result.output)] == ["person:p"]
    assert fresh.store.digest() == fresh.digest


def test_cli_query_unknown_or_hostile_parameter_names_are_clear_errors(fresh: Seeded) -> None:
    for name in ("city`", "city}) DETACH DELETE n //", "date"):
        _clear_error(run(fresh, "query", "mayors_of", "-p", f"{name}=x"))
    _one_line_error(
        run(fresh, "query", "network_members", "-p", "network=net:x", "-p", f"date={EVIL}")
    )
    _one_line_error(run(fresh, "query", EVIL))
    assert fresh.store.digest() == fresh.digest


@pytest.mark.parametrize("payload", PAYLOADS)
def test_cli_cypher_parameter_values_come_back_verbatim(fresh: Seeded, payload: str) -> None:
    result = run(fresh, "cypher", "RETURN $x AS x", "-p", f"x={payload}", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"x": payload}]
    result = run(
        fresh,
        "cypher",
        "MATCH (n:Entity {id: $id}) RETURN count(n) AS n",
        "-p",
        f"id={payload}",
        "--format",
        "json",
    )
    assert json.loads(result.output) == [{"n": 0}]
    assert fresh.store.digest() == fresh.digest


@pytest.mark.parametrize("name", ["a}) DETACH DELETE n //", "a;b", "a b", "DETACH DELETE"])
def test_cli_cypher_parameter_names_are_quoted_or_refused(fresh: Seeded, name: str) -> None:
    """A name Cypher could not reference is either back-quoted (and harmless) or refused."""
    result = run(fresh, "cypher", "RETURN 1 AS one", "-p", f"{name}=1", "--format", "json")
    if result.exit_code == 0:
        assert json.loads(result.output) == [{"one": 1}]
    else:
        _clear_error(result)
    assert fresh.store.digest() == fresh.digest


@pytest.mark.parametrize("name", ["a`b", "x`) DETACH DELETE n //"])
def test_cli_cypher_parameter_name_with_a_backtick_is_a_clear_error(
    fresh: Seeded, name: str
) -> None:
    try:
        _clear_error(run(fresh, "cypher", "RETURN 1 AS one", "-p", f"{name}=1"))
    finally:
        assert fresh.store.digest() == fresh.digest


@pytest.mark.parametrize("payload", [EVIL, "x`}) DETACH DELETE n //", "party; DETACH DELETE"])
def test_cli_brokerage_group_is_an_attribute_name_not_cypher(fresh: Seeded, payload: str) -> None:
    for method in ("gould-fernandez", "betweenness"):
        result = run(fresh, "brokerage", "--method", method, "--group", payload)
        assert result.exit_code == 0, result.output
    assert fresh.store.digest() == fresh.digest


@pytest.mark.parametrize("payload", PAYLOADS[:6])
def test_cli_brokerage_labels_and_types_are_checked(fresh: Seeded, payload: str) -> None:
    result = run(fresh, "brokerage", "--labels", f"City{payload}")
    _one_line_error(result)
    assert "unknown label" in result.output
    result = run(fresh, "brokerage", "--types", f"MEMBER_OF{payload}")
    _one_line_error(result)
    assert "unknown relationship type" in result.output
    assert fresh.store.digest() == fresh.digest


def test_cli_brokerage_every_from_to_are_checked(fresh: Seeded) -> None:
    result = run(fresh, "brokerage", "--every", "year", "--from", EVIL, "--to", "2020-01-01")
    assert result.exit_code == 2 and "bad date" in result.output
    assert fresh.store.digest() == fresh.digest


_AS_OF = (
    "bug: --as-of is checked by analysis.projection._check_date, which raises a plain "
    "ValueError: brokerage and export show a traceback instead of a one-line error"
)


@pytest.mark.parametrize("payload", [EVIL, "2020-02-30"])
def test_cli_brokerage_as_of_is_a_clear_error(fresh: Seeded, payload: str) -> None:
    try:
        _clear_error(run(fresh, "brokerage", "--as-of", payload))
    finally:
        assert fresh.store.digest() == fresh.digest


@pytest.mark.parametrize("payload", [EVIL, "2020-02-30"])
def test_cli_export_as_of_is_a_clear_error(fresh: Seeded, tmp_path: Path, payload: str) -> None:
    try:
        _clear_error(
            run(
                fresh,
                "export",
                "--format",
                "jsonl",
                "-o",
                str(tmp_path / "x.jsonl"),
                "--as-of",
                payload,
            )
        )
    finally:
        assert fresh.store.digest() == fresh.digest


def test_cli_export_as_of_a_date_exports_verbatim_values(fresh: Seeded, tmp_path: Path) -> None:
    fresh.store.upsert_node("Organization", {"id": f"org:{EVIL}", "name": EVIL})
    out = tmp_path / "x.jsonl"
    result = run(fresh, "export", "--format", "jsonl", "-o", str(out), "--as-of", "2020-01-01")
    assert result.exit_code == 0, result.output
    names = [json.loads(line)["properties"].get("name") for line in out.read_text().splitlines()]
    assert EVIL in names


@pytest.mark.parametrize("payload", PAYLOADS[:6])
def test_cli_load_format_is_checked(fresh: Seeded, tmp_path: Path, payload: str) -> None:
    f = _w("x.csv", "id,label\n")(tmp_path)
    result = run(fresh, "load", str(f), "--format", payload)
    _one_line_error(result)
    assert "unknown format" in result.output
    assert fresh.store.digest() == fresh.digest


@pytest.mark.parametrize("delimiter", [";;", "", "`;"])
def test_cli_load_delimiter_is_checked(fresh: Seeded, tmp_path: Path, delimiter: str) -> None:
    f = _w("n.csv", "id,label,name\norg:z,Organization,Z\n")(tmp_path)
    try:
        result = run(fresh, "load", "--nodes", str(f), "--delimiter", delimiter)
        _clear_error(result)
    finally:
        assert fresh.store.digest() == fresh.digest


NO_EXPLORE = pytest.mark.skipif("explore" not in cli.commands, reason="no `civicgraph explore`")


@NO_EXPLORE
@pytest.mark.parametrize("payload", [EVIL, "x`}) DETACH DELETE n //"])
def test_cli_explore_parameters_are_data(fresh: Seeded, tmp_path: Path, payload: str) -> None:
    out = tmp_path / "e.html"
    result = run(fresh, "explore", "mayors_of", "-p", f"city={payload}", "-o", str(out))
    # nothing to draw: an error naming why, and no page
    assert result.exit_code == 1, result.output
    assert f"no node has id {payload!r}" in result.output and "nothing to draw" in result.output
    assert not out.exists()
    assert fresh.store.digest() == fresh.digest


@NO_EXPLORE
def test_cli_explore_refuses_writes_and_bad_dates(fresh: Seeded, tmp_path: Path) -> None:
    out = str(tmp_path / "e.html")
    _clear_error(run(fresh, "explore", "--cypher", "MATCH (n) DETACH DELETE n", "-o", out))
    _clear_error(run(fresh, "explore", "--all", "--as-of", EVIL, "-o", out))
    _clear_error(run(fresh, "explore", "mayors_of", "-p", "city`=x", "-o", out))
    assert fresh.store.digest() == fresh.digest


@NO_EXPLORE
def test_cli_explore_page_escapes_hostile_values(fresh: Seeded, tmp_path: Path) -> None:
    """Data reaches an HTML page here: a value must not close the page's script tag."""
    evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    fresh.store.upsert_node(
        "Organization", {"id": f"org:{evil}", "name": evil, "note": evil, "sources": [evil]}
    )
    fresh.store.upsert_relationship("PARTNER_OF", f"org:{evil}", "org:a", {"role": evil})
    out = tmp_path / "e.html"
    result = run(fresh, "explore", "--all", "-o", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert evil.replace("</", "<\\/") in html  # the value is there, inside a JSON island
    # outside the script blocks nothing of it is markup (a raw "</script>" in the data would
    # end its block early and leave the rest here)
    outside = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S | re.I)
    assert "<img src=x" not in outside and "<script>alert(" not in outside
    # the page's credit line names the (unknown) source id, as text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in outside
