"""Users' own files: zero-configuration node/edge CSVs, JSON Lines, GraphML, and a YAML mapping.

Zero configuration (as Kumu and Gephi users keep their data)::

    nodes.csv   id,label,name,...          every other column becomes a property
    edges.csv   source,target,type,...     start, end, sources recognised

``sources`` holds source ids separated by ``|``.  A row without sources is attributed to the
file itself: a ``Source`` node ``src:file-<name>-<sha8>`` is added, so every fact carries
provenance and re-running the same file changes nothing.

JSON Lines is civicgraph's own exchange format (``civicgraph export --format jsonl``): one
object per line, ``{"kind": "node", "id", "labels", "properties"}`` or
``{"kind": "relationship", "type", "source", "target", "properties"}``.  It round-trips
exactly, so it is also the backup format.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import json
import re
import string
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import yaml

from civicgraph.graph.errors import LoadError
from civicgraph.graph.model import load_model

from .base import NodeRecord, RelRecord

__all__ = [
    "file_source",
    "iter_text_lines",
    "read_csv_dicts",
    "read_edges_csv",
    "read_graphml",
    "read_jsonl",
    "read_mapped",
    "read_nodes_csv",
]

_INT = re.compile(r"^-?(0|[1-9]\d{0,15})$")
_FLOAT = re.compile(r"^-?(0|[1-9]\d*)\.\d+$")
RESERVED_NODE = ("id", "label")
RESERVED_EDGE = ("source", "target", "type")


def iter_text_lines(path: str | Path, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """Yield (line number, text) with a clear error on bad encoding or a truncated gzip."""
    p = Path(path)
    opener: Any = gzip.open if p.suffix == ".gz" else open
    lineno = 0
    try:
        with opener(p, "rb") as f:
            for lineno, raw in enumerate(f, start=1):
                try:
                    text = raw.decode(encoding)
                except UnicodeDecodeError as exc:
                    raise LoadError(
                        f"not valid {encoding} (byte {exc.start + 1} of the line)",
                        file=str(p),
                        line=lineno,
                    ) from None
                if "\x00" in text:
                    raise LoadError("contains a NUL byte", file=str(p), line=lineno)
                yield lineno, text
    except (EOFError, gzip.BadGzipFile, OSError, zlib.error) as exc:
        if isinstance(exc, FileNotFoundError):
            raise LoadError("file not found", file=str(p)) from None
        raise LoadError(
            f"cannot read the file after line {lineno}: {exc}"
            + (" (truncated gzip?)" if p.suffix == ".gz" else ""),
            file=str(p),
            line=lineno + 1,
        ) from None


def read_csv_dicts(
    path: str | Path,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    required: Iterable[str] = (),
    skip_lines: int = 0,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a CSV file, checking the header first."""
    p = str(path)
    lines = iter_text_lines(path, encoding)
    for _ in range(skip_lines):
        next(lines, None)
    header_line: list[int] = []

    def text() -> Iterator[str]:
        for n, t in lines:
            header_line.append(n)
            yield t

    reader = csv.reader(text(), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise LoadError(
            f"CSV error: {exc}", file=p, line=header_line[-1] if header_line else 1
        ) from None
    if header is None:
        raise LoadError("empty file (no header)", file=p, line=1)
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        hint = ""
        if len(header) == 1:
            for d in (";", "\t", "|", ","):
                if d != delimiter and d in header[0]:
                    hint = f" — the header looks {d!r}-delimited: pass --delimiter {d!r}"
                    break
        raise LoadError(
            f"missing column {missing[0]!r} in header {header!r}{hint}",
            file=p,
            line=header_line[-1] if header_line else 1,
            field=missing[0],
        )
    dupes = {h for h in header if header.count(h) > 1}
    if dupes:
        raise LoadError(
            f"duplicate column {sorted(dupes)[0]!r}", file=p, line=1, field=sorted(dupes)[0]
        )
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise LoadError(f"CSV error: {exc}", file=p, line=header_line[-1]) from None
        lineno = header_line[-1]
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise LoadError(
                f"{len(row)} fields where the header has {len(header)}", file=p, line=lineno
            )
        yield lineno, dict(zip(header, row, strict=True))


def _value(text: str) -> Any:
    t = text.strip()
    if _INT.match(t):
        return int(t)
    if _FLOAT.match(t):
        return float(t)
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    return t


def _split_sources(text: Any) -> list[str]:
    if isinstance(text, list):
        return [str(s) for s in text]
    return [s.strip() for s in str(text).split("|") if s.strip()]


def file_source(path: str | Path) -> dict[str, Any]:
    """A ``Source`` node standing for a user's file (stable id from its content)."""
    p = Path(path)
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    slug = re.sub(r"[^a-z0-9]+", "-", p.name.lower()).strip("-")[:60]
    return {
        "id": f"src:file-{slug}-{h.hexdigest()[:8]}",
        "title": p.name,
        "kind": "file",
        "citation": f"user file {p.name} (sha256 {h.hexdigest()[:16]}…)",
    }


class BareIds:
    """Ids written without their label's prefix in zero-configuration files, as Kumu and
    Gephi users keep them (``ocu`` for an Organization): the nodes files give each its
    prefix (``org:ocu``), and edges files in the same load use it.

    >>> bare = BareIds()
    >>> bare.node("ocu", "Organization"), bare.end("ocu"), bare.end("net:anvita")
    ('org:ocu', 'org:ocu', 'net:anvita')
    >>> bare.nodes, bare.ends
    (1, 1)
    """

    def __init__(self) -> None:
        self.map: dict[str, str] = {}
        self.nodes = 0  # node ids given their prefix
        self.ends = 0  # edge ends given their prefix

    def node(self, node_id: str, label: str) -> str:
        if ":" in node_id or not node_id:
            return node_id
        schema = load_model().nodes.get(label)
        full = schema.prefixed(node_id) if schema is not None else None
        if full is None:
            return node_id  # unknown label or no single prefix: validation says which
        self.map[node_id] = full
        self.nodes += 1
        return full

    def end(self, node_id: str) -> str:
        full = self.map.get(node_id) if ":" not in node_id else None
        if full is None:
            return node_id
        self.ends += 1
        return full


def read_nodes_csv(
    path: str | Path,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    default_source: str | None = None,
    bare: BareIds | None = None,
) -> Iterator[NodeRecord]:
    """Records from a zero-configuration nodes CSV (``id,label,...``).

    An id without a prefix gets its label's (``ocu`` + Organization → ``org:ocu``), noted
    in *bare* for the edges files of the same load.
    """
    bare = bare if bare is not None else BareIds()
    for lineno, row in read_csv_dicts(
        path, delimiter=delimiter, encoding=encoding, required=RESERVED_NODE
    ):
        label = row.pop("label").strip()
        props: dict[str, Any] = {"id": bare.node(row.pop("id").strip(), label)}
        for k, v in row.items():
            if v.strip() == "":
                continue
            props[k] = (
                _split_sources(v)
                if k == "sources"
                else (v.strip() if k in ("name",) else _value(v))
            )
        if "sources" not in props and default_source:
            props["sources"] = [default_source]
        yield NodeRecord(label, props, str(path), lineno)


def read_edges_csv(
    path: str | Path,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    default_source: str | None = None,
    bare: BareIds | None = None,
) -> Iterator[RelRecord]:
    """Records from a zero-configuration edges CSV (``source,target,type,...``).

    An end written without a prefix takes the one the nodes files of the same load gave
    it (*bare*).
    """
    bare = bare if bare is not None else BareIds()
    for lineno, row in read_csv_dicts(
        path, delimiter=delimiter, encoding=encoding, required=RESERVED_EDGE
    ):
        source = bare.end(row.pop("source").strip())
        target = bare.end(row.pop("target").strip())
        rtype = row.pop("type").strip()
        props: dict[str, Any] = {}
        for k, v in row.items():
            if v.strip() == "":
                continue
            if k == "sources":
                props[k] = _split_sources(v)
            elif k in ("start", "end"):
                props[k] = v.strip()
            else:
                props[k] = _value(v)
        if "sources" not in props and default_source:
            props["sources"] = [default_source]
        yield RelRecord(rtype, source, target, props, str(path), lineno)


def read_jsonl(path: str | Path, *, encoding: str = "utf-8") -> Iterator[NodeRecord | RelRecord]:
    """Records from civicgraph's JSON Lines format (see the module docstring)."""
    p = str(path)
    for lineno, text in iter_text_lines(path, encoding):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise LoadError(f"not valid JSON: {exc}", file=p, line=lineno) from None
        if not isinstance(obj, dict):
            raise LoadError("each line must be a JSON object", file=p, line=lineno)
        kind = obj.get("kind")
        props = obj.get("properties", {})
        if not isinstance(props, dict):
            raise LoadError(
                "'properties' must be an object", file=p, line=lineno, field="properties"
            )
        if kind == "node":
            labels = obj.get("labels") or ([obj["label"]] if "label" in obj else [])
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise LoadError(
                    "'labels' must be a list of strings", file=p, line=lineno, field="labels"
                )
            specific = [x for x in labels if x not in ("Entity", "Actor")]
            if len(specific) != 1:
                raise LoadError(
                    f"a node needs exactly one label besides Entity/Actor, got {labels!r}",
                    file=p,
                    line=lineno,
                    field="labels",
                )
            node_id = obj.get("id", props.get("id"))
            yield NodeRecord(specific[0], {**props, "id": node_id}, p, lineno)
        elif kind == "relationship":
            rprops = {k: v for k, v in props.items() if k != "id"}
            # Ends go on as read: loaders.base's validation rejects a missing or non-string
            # one ("missing source id").  RelRecord declares str, hence the casts.
            source, target = cast(str, obj.get("source")), cast(str, obj.get("target"))
            yield RelRecord(str(obj.get("type", "")), source, target, rprops, p, lineno)
        else:
            raise LoadError(
                f"'kind' must be 'node' or 'relationship', got {kind!r}",
                file=p,
                line=lineno,
                field="kind",
            )


def read_graphml(
    path: str | Path, *, default_source: str | None = None
) -> Iterator[NodeRecord | RelRecord]:
    """Records from GraphML: node attribute ``label`` (or ``labels``), edge attribute ``type``.

    Node ids are the GraphML node ids; an ``id`` attribute, when present, wins.  A node with
    no attributes at all is a reference to a node already in the store.
    """
    import xml.etree.ElementTree as ET

    import networkx as nx

    p = str(path)
    try:
        G = nx.read_graphml(p)
    except (
        ET.ParseError,
        nx.NetworkXError,
        ValueError,
        KeyError,
        EOFError,
        zlib.error,
        gzip.BadGzipFile,
    ) as exc:
        raise LoadError(f"not valid GraphML: {exc}", file=p) from None
    except FileNotFoundError:
        raise LoadError("file not found", file=p) from None
    idmap = {}
    for n, (node, data) in enumerate(G.nodes(data=True), start=1):
        data = dict(data)
        label = data.pop("label", None) or data.pop("labels", None)
        if isinstance(label, str) and "|" in label:
            label = next((x for x in label.split("|") if x not in ("Entity", "Actor")), label)
        node_id = str(data.pop("id", node))
        idmap[node] = node_id
        if label is None and not data:
            continue  # a bare endpoint: refers to a node already in the store
        props = {"id": node_id, **{k: v for k, v in data.items() if k != "sources"}}
        if "sources" in data:
            props["sources"] = _split_sources(data["sources"])
        elif default_source:
            props["sources"] = [default_source]
        yield NodeRecord(str(label) if label is not None else "", props, p, n)
    for n, (u, v, data) in enumerate(G.edges(data=True), start=1):
        data = dict(data)
        rtype = str(data.pop("type", data.pop("label", "")))
        data.pop("id", None)
        props = {k: val for k, val in data.items() if k != "sources"}
        if "sources" in data:
            props["sources"] = _split_sources(data["sources"])
        elif default_source:
            props["sources"] = [default_source]
        yield RelRecord(rtype, idmap.get(u, str(u)), idmap.get(v, str(v)), props, f"{p} (edge)", n)


# -- mapping-driven loads ----------------------------------------------------------------

_MAPPING_KEYS = {
    "format",
    "delimiter",
    "encoding",
    "nodes",
    "relationships",
    "source",
    "skip_lines",
}


def _template(spec: Any, row: dict[str, Any], *, file: str, line: int, field: str) -> Any:
    """A mapping value: ``"{column}"`` templates, a bare column name, or a literal via ``=``."""
    if not isinstance(spec, str):
        return spec
    if spec.startswith("="):
        return spec[1:]
    if "{" in spec:
        try:
            fields = [
                (name, fmt, conv)
                for _, name, fmt, conv in string.Formatter().parse(spec)
                if name is not None
            ]
        except ValueError as exc:
            raise LoadError(
                f"bad template {spec!r}: {exc}", file=file, line=line, field=field
            ) from None
        if any(name == "" or fmt or conv for name, fmt, conv in fields):
            raise LoadError(
                f"bad template {spec!r}: only plain {{column}} fields are allowed",
                file=file,
                line=line,
                field=field,
            )
        names = [name for name, _, _ in fields]
        for n in names:
            if n not in row:
                raise LoadError(
                    f"mapping refers to unknown column {n!r}", file=file, line=line, field=field
                )
            if row[n] in (None, ""):
                return None
        return spec.format_map({n: str(row[n]).strip() for n in names})
    if spec not in row:
        raise LoadError(
            f"mapping refers to unknown column {spec!r}", file=file, line=line, field=field
        )
    return row[spec]


def load_mapping(path: str | Path) -> dict[str, Any]:
    """Read and check a mapping YAML file."""
    p = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LoadError(f"not valid YAML: {exc}", file=p) from None
    except FileNotFoundError:
        raise LoadError("file not found", file=p) from None
    if not isinstance(data, dict):
        raise LoadError("a mapping file must be a YAML mapping", file=p)
    unknown = set(data) - _MAPPING_KEYS
    if unknown:
        raise LoadError(
            f"unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(_MAPPING_KEYS))})",
            file=p,
            field=sorted(unknown)[0],
        )
    for key in ("nodes", "relationships"):
        items = data.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise LoadError(f"{key!r} must be a list of mappings", file=p, field=key)
    for i, spec in enumerate(data.get("nodes", []), 1):
        for k in ("label", "id"):
            if k not in spec:
                raise LoadError(f"nodes[{i}] lacks {k!r}", file=p, field=k)
        if not isinstance(spec.get("properties", {}), dict):
            raise LoadError(f"nodes[{i}].properties must be a mapping", file=p, field="properties")
    for i, spec in enumerate(data.get("relationships", []), 1):
        for k in ("type", "source", "target"):
            if k not in spec:
                raise LoadError(f"relationships[{i}] lacks {k!r}", file=p, field=k)
        if not isinstance(spec.get("properties", {}), dict):
            raise LoadError(
                f"relationships[{i}].properties must be a mapping", file=p, field="properties"
            )
    if not data.get("nodes") and not data.get("relationships"):
        raise LoadError("the mapping declares no nodes and no relationships", file=p)
    delimiter = data.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise LoadError(
            f"delimiter must be one character, not {delimiter!r}", file=p, field="delimiter"
        )
    try:
        codecs.lookup(data.get("encoding", "utf-8"))
    except (LookupError, TypeError):
        raise LoadError(
            f"unknown encoding {data.get('encoding')!r}", file=p, field="encoding"
        ) from None
    skip = data.get("skip_lines", 0)
    if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
        raise LoadError(
            f"skip_lines must be a whole number, not {skip!r}", file=p, field="skip_lines"
        )
    return data


def read_mapped(
    path: str | Path,
    mapping: dict[str, Any] | str | Path,
    *,
    fmt: str | None = None,
    default_source: str | None = None,
) -> Iterator[NodeRecord | RelRecord]:
    """Records from a CSV or JSON Lines file through a mapping (see README "Mapping files")::

    format: csv
    delimiter: ";"
    nodes:
      - label: City
        id: "insee:{code}"
        properties: {name: nom, population: population}
    relationships:
      - type: PART_OF
        source: "insee:{code}"
        target: "dep:{dep}"
    """
    if not isinstance(mapping, dict):
        mapping = load_mapping(mapping)
    p = str(path)
    fmt = fmt or mapping.get("format") or ("jsonl" if p.endswith((".jsonl", ".ndjson")) else "csv")
    rows: Iterable[tuple[int, dict[str, Any]]]
    if fmt == "csv":
        rows = read_csv_dicts(
            path,
            delimiter=mapping.get("delimiter", ","),
            encoding=mapping.get("encoding", "utf-8"),
            skip_lines=int(mapping.get("skip_lines", 0)),
        )
    elif fmt == "jsonl":
        rows = _jsonl_rows(path, mapping.get("encoding", "utf-8"))
    else:
        raise LoadError(f"unknown format {fmt!r} (csv or jsonl)", file=p, field="format")
    for lineno, row in rows:
        for spec in mapping.get("nodes", []):
            node_id = _template(spec["id"], row, file=p, line=lineno, field="id")
            if node_id in (None, ""):
                continue
            props: dict[str, Any] = {"id": str(node_id)}
            for key, col in (spec.get("properties") or {}).items():
                val = _template(col, row, file=p, line=lineno, field=str(key))
                if val not in (None, ""):
                    props[key] = _value(val) if isinstance(val, str) and key != "name" else val
            srcs = spec.get("sources") or ([default_source] if default_source else [])
            props["sources"] = _split_sources(srcs)
            yield NodeRecord(str(spec["label"]), props, p, lineno)
        for spec in mapping.get("relationships", []):
            s = _template(spec["source"], row, file=p, line=lineno, field="source")
            t = _template(spec["target"], row, file=p, line=lineno, field="target")
            if s in (None, "") or t in (None, ""):
                continue
            rprops: dict[str, Any] = {}
            for key, col in (spec.get("properties") or {}).items():
                val = _template(col, row, file=p, line=lineno, field=str(key))
                if val not in (None, ""):
                    rprops[key] = (
                        val
                        if key in ("start", "end")
                        else (_value(val) if isinstance(val, str) else val)
                    )
            srcs = spec.get("sources") or ([default_source] if default_source else [])
            rprops["sources"] = _split_sources(srcs)
            yield RelRecord(str(spec["type"]), str(s), str(t), rprops, p, lineno)


def _jsonl_rows(path: str | Path, encoding: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, text in iter_text_lines(path, encoding):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise LoadError(f"not valid JSON: {exc}", file=str(path), line=lineno) from None
        if not isinstance(obj, dict):
            raise LoadError("each line must be a JSON object", file=str(path), line=lineno)
        yield lineno, obj
