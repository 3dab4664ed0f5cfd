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

Rules every reader here follows (issue 19):

* **Known columns in any case.**  ``Start``, ``END``, ``Sources``, ``ID`` are the columns
  ``start``, ``end``, ``sources``, ``id`` (:func:`~civicgraph.graph.model.known_name`).
* **Reserved names.**  A relationship's ends, type and id, and a node's label, come only from
  their own fields; a property, column or attribute named ``id``, ``label``, ``labels``,
  ``type``, ``source``, ``target``, ``start``, ``end`` or ``sources`` (any case) where it is
  not that field is refused with one line (:func:`~civicgraph.graph.model.check_reserved`).
  JSON Lines carries a node's id again in ``properties.id`` (it must be the same) and a
  relationship's derived id there (recomputed from type, ends and ``start``, so ignored).
* **One type per column.**  In text formats (CSV, a mapping's CSV) a property's type is the
  schema's, when it declares one (``types:`` in ``graph/schema``: a ``siren`` is text), else
  the whole column's: whole numbers only if every cell is one written plainly (no ``007``,
  no ``+5``), numbers if every cell is a number, ``true``/``false`` if every cell is, else
  text — never decided cell by cell.  JSON Lines and GraphML values keep their own types.
* **Spreadsheet-safe cells.**  A cell that civicgraph's CSV writers protected with a leading
  ``'`` (``'=1``) reads back as it was (``=1``), and counts as text
  (:func:`~civicgraph.graph.output.from_spreadsheet_safe`).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Callable, Collection, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, cast

from civicgraph.graph.errors import CivicgraphError, InvalidProperty, LoadError
from civicgraph.graph.model import check_reserved, known_name, load_model
from civicgraph.graph.output import from_spreadsheet_safe

from .records import NodeRecord, RelRecord

__all__ = [
    "DATE_KEYS",
    "TEXT_COLUMNS",
    "BareIds",
    "ColumnTypes",
    "cell_text",
    "column_kinds",
    "file_source",
    "iter_text_lines",
    "json_line",
    "jsonl_rows",
    "read_csv_dicts",
    "read_edges_csv",
    "read_graphml",
    "read_jsonl",
    "read_nodes_csv",
    "split_sources",
    "typed_value",
]

_INT = re.compile(r"^-?(0|[1-9]\d{0,18})$")
_FLOAT = re.compile(r"^-?(0|[1-9]\d*)\.\d+$")
RESERVED_NODE = ("id", "label")
RESERVED_EDGE = ("source", "target", "type")
#: The columns of the zero-configuration files that are the record's own fields (any case).
NODE_COLUMNS = ("id", "label", "sources")
EDGE_COLUMNS = ("source", "target", "type", "start", "end", "sources")
#: Columns read as text whatever their cells hold: names, and dates (``2020`` is a year,
#: for civicgraph.graph.dates, not a number).
TEXT_COLUMNS = ("name", *sorted(load_model().all_date_keys - set(EDGE_COLUMNS)))


DATE_KEYS = load_model().all_date_keys


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
    known: Collection[str] = (),
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a CSV file, checking the header first.

    A header cell that is one of *known* in another case (``Start`` for ``start``) is read
    as that column; two cells naming one column are a duplicate column.
    """
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
    if known:
        header = [h.lower() if h.lower() in known else h for h in header]
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


# -- one type per column -------------------------------------------------------------------
#: Cell kinds, and the kind of a column holding two kinds (anything else mixed is text).
_WIDER = {frozenset({"int", "float"}): "float"}


def _kind(text: str) -> str:
    """The kind a cell (already stripped, not empty) would have alone: int, float, bool, text.

    Only a number written as Python writes it back counts (``12``, ``-3``, ``0.5``; not
    ``007``, ``+5``, ``1.50``, ``1e3``), so a typed value is written out as it was read.
    """
    if _INT.match(text) and text != "-0" and -(2**63) <= int(text) < 2**63:
        return "int"
    if _FLOAT.match(text) and repr(float(text)) == text:
        return "float"
    if text.lower() in ("true", "false"):
        return "bool"
    return "text"


def _widen(a: str | None, b: str) -> str:
    if a is None or a == b:
        return b
    return _WIDER.get(frozenset({a, b}), "text")


def typed_value(text: str, kind: str | None) -> Any:
    """A stripped cell as its column's kind (None: text); a cell that does not fit stays
    text, for validation to report against a declared type."""
    if kind == "int" and _kind(text) == "int":
        return int(text)
    if kind == "float" and _kind(text) in ("int", "float"):
        return float(text)
    if kind == "bool" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def cell_text(raw: str) -> tuple[str, bool]:
    """A CSV cell as read and whether it was protected for spreadsheets (``'=…``).

    A plain cell is stripped of surrounding spaces; a protected one is exactly what a
    civicgraph writer was given (a leading tab included), and text whatever it looks like.
    """
    if raw[:1] == "'":
        text = from_spreadsheet_safe(raw)
        if len(text) != len(raw):
            return text, True
    return raw.strip(), False


def column_kinds(rows: Iterable[dict[str, str]], columns: Collection[str]) -> dict[str, str]:
    """Pass 1 over a text file: the kind of each of *columns* over all its cells."""
    kinds: dict[str, str | None] = dict.fromkeys(columns)
    open_cols = set(columns)  # columns not already text
    for row in rows:
        for col in list(open_cols):
            text, protected = cell_text(row.get(col) or "")
            if not text:
                continue
            kinds[col] = k = _widen(kinds[col], "text" if protected else _kind(text))
            if k == "text":
                open_cols.discard(col)
        if not open_cols:
            break
    return {c: k or "text" for c, k in kinds.items()}


class ColumnTypes:
    """The type of each property a text file gives: the schema's, else its column's."""

    def __init__(self, column_kinds: dict[str, str]) -> None:
        self.columns = column_kinds
        self.model = load_model()

    def declared(self, owner: str, key: str) -> str | None:
        """The type the schema declares for *key* of a label or relationship type."""
        try:
            return self.model.property_types(owner).get(key)
        except CivicgraphError:  # an unknown label or type: validation names it
            return None

    def kind(self, owner: str, key: str, column: str | None) -> str | None:
        """How to read a text cell of *key*: the declared type, else the column's (None:
        text)."""
        declared = self.declared(owner, key)
        if declared is not None:
            return None if declared == "string" else declared
        return self.columns.get(column) if column is not None else None


def _header_check(
    header: Iterable[str], own: Collection[str], *, relationship: bool, file: str, line: int = 1
) -> None:
    """Refuse a column named after a field it is not (``type`` in a nodes file, ``id`` in an
    edges file, ``Target`` beside ``target``) before any row is read."""
    for col in header:
        if col in own:
            continue
        try:
            check_reserved(col, relationship=relationship)
        except InvalidProperty as exc:
            raise LoadError(
                str(exc).replace("property", "column", 1), file=file, line=line, field=col
            ) from None


def split_sources(text: Any) -> list[str]:
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


def _zero_config_rows(
    path: str | Path,
    delimiter: str,
    encoding: str,
    required: tuple[str, ...],
    own: tuple[str, ...],
    *,
    relationship: bool,
    text_columns: tuple[str, ...],
) -> tuple[Callable[[], Iterator[tuple[int, dict[str, str]]]], dict[str, str]]:
    """The rows of a zero-configuration CSV (a function: each call reads the file again) and
    the kinds of its property columns, from a first pass over the whole file.

    Header cells naming *own* fields or *text_columns* in another case are those columns.
    """

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        return read_csv_dicts(
            path,
            delimiter=delimiter,
            encoding=encoding,
            required=required,
            known=own + text_columns,
        )

    header: list[str] = []

    def cells() -> Generator[dict[str, str], None, None]:
        for _, row in rows():
            if not header:
                header.extend(row)
                _header_check(row, own, relationship=relationship, file=str(path))
            yield row

    it: Generator[dict[str, str], None, None] = cells()
    try:
        first = next(it, None)
        candidates = [c for c in header if c not in own and c not in text_columns]
        if first is None or not candidates:
            return rows, {}
        return rows, column_kinds(_chain(first, it), candidates)
    finally:
        it.close()


def _chain(first: dict[str, str], rest: Iterator[dict[str, str]]) -> Iterator[dict[str, str]]:
    yield first
    yield from rest


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
    in *bare* for the edges files of the same load.  Every other column is a property, typed
    per column (see the module docstring); ``name`` is always text and ``sources`` a
    ``|``-separated list of source ids.
    """
    bare = bare if bare is not None else BareIds()
    rows, kinds = _zero_config_rows(
        path,
        delimiter,
        encoding,
        RESERVED_NODE,
        NODE_COLUMNS,
        relationship=False,
        text_columns=TEXT_COLUMNS,
    )
    types = ColumnTypes(kinds)
    for lineno, row in rows():
        label = cell_text(row.pop("label"))[0]
        props: dict[str, Any] = {"id": bare.node(cell_text(row.pop("id"))[0], label)}
        for k, v in row.items():
            text, _ = cell_text(v)
            if text == "":
                continue
            props[k] = (
                split_sources(text)
                if k == "sources"
                else typed_value(text, types.kind(label, k, k))
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
    it (*bare*).  ``start`` and ``end`` are dates, ``sources`` a ``|``-separated list; every
    other column is a property, typed per column (see the module docstring).
    """
    bare = bare if bare is not None else BareIds()
    rows, kinds = _zero_config_rows(
        path,
        delimiter,
        encoding,
        RESERVED_EDGE,
        EDGE_COLUMNS,
        relationship=True,
        text_columns=TEXT_COLUMNS,
    )
    types = ColumnTypes(kinds)
    for lineno, row in rows():
        source = bare.end(cell_text(row.pop("source"))[0])
        target = bare.end(cell_text(row.pop("target"))[0])
        rtype = cell_text(row.pop("type"))[0]
        props: dict[str, Any] = {}
        for k, v in row.items():
            text, _ = cell_text(v)
            if text == "":
                continue
            if k == "sources":
                props[k] = split_sources(text)
            elif k in TEXT_COLUMNS or k in ("start", "end"):
                props[k] = text
            else:
                props[k] = typed_value(text, types.kind(rtype, k, k))
        if "sources" not in props and default_source:
            props["sources"] = [default_source]
        yield RelRecord(rtype, source, target, props, str(path), lineno)


def read_jsonl(path: str | Path, *, encoding: str = "utf-8") -> Iterator[NodeRecord | RelRecord]:
    """Records from civicgraph's JSON Lines format (see the module docstring)."""
    p = str(path)
    for lineno, text in iter_text_lines(path, encoding):
        if not text.strip():
            continue
        obj = json_line(text, p, lineno)
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
            if "id" in props and props["id"] != node_id:
                raise LoadError(
                    f"properties.id {props['id']!r} is not the node's id {node_id!r}",
                    file=p,
                    line=lineno,
                    field="id",
                )
            yield NodeRecord(specific[0], {**props, "id": node_id}, p, lineno)
        elif kind == "relationship":
            # properties.id is the identity the export wrote (type, ends, start): derived,
            # so recomputed from the record's own fields, never taken from here.
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
    for n, (node, raw) in enumerate(G.nodes(data=True), start=1):
        data = _attributes(raw, relationship=False, file=p, line=n)
        label = _pop_any(data, "label", "labels")
        if isinstance(label, str) and "|" in label:
            label = next((x for x in label.split("|") if x not in ("Entity", "Actor")), label)
        node_id = str(data.pop("id", node))
        idmap[node] = node_id
        if label is None and not data:
            continue  # a bare endpoint: refers to a node already in the store
        props = {"id": node_id, **{k: v for k, v in data.items() if k != "sources"}}
        if "sources" in data:
            props["sources"] = split_sources(data["sources"])
        elif default_source:
            props["sources"] = [default_source]
        yield NodeRecord(str(label) if label is not None else "", props, p, n)
    for n, (u, v, raw) in enumerate(G.edges(data=True), start=1):
        data = _attributes(raw, relationship=True, file=f"{p} (edge)", line=n)
        rtype = str(_pop_any(data, "type", "label") or "")
        data.pop("id", None)  # the GraphML edge id: a relationship's id is derived
        props = {k: val for k, val in data.items() if k != "sources"}
        if "sources" in data:
            props["sources"] = split_sources(data["sources"])
        elif default_source:
            props["sources"] = [default_source]
        yield RelRecord(rtype, idmap.get(u, str(u)), idmap.get(v, str(v)), props, f"{p} (edge)", n)


def _attributes(
    data: dict[str, Any], *, relationship: bool, file: str, line: int
) -> dict[str, Any]:
    """GraphML attributes with the known ones spelled civicgraph's way (``Start`` → ``start``;
    for nodes also ``ID``, ``Label``); the same name twice is an error."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        low = key.lower()
        name = (
            low
            if low in ("id", "label", "labels", "type")
            else known_name(key, relationship=relationship)
        )
        if name in out:
            raise LoadError(
                f"attributes {name!r} and {key!r} name the same field",
                file=file,
                line=line,
                field=key,
            )
        out[name] = value
    return out


def _pop_any(data: dict[str, Any], *names: str) -> Any:
    """Pop every one of *names*; the first that holds a value wins."""
    found = [data.pop(name, None) for name in names]
    return next((x for x in found if x is not None and x != ""), None)


def jsonl_rows(path: str | Path, encoding: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, text in iter_text_lines(path, encoding):
        if not text.strip():
            continue
        yield lineno, json_line(text, str(path), lineno)


def json_line(text: str, file: str, line: int) -> dict[str, Any]:
    """One JSON Lines object, or a LoadError (also for values nested too deeply to parse)."""
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise LoadError(f"not valid JSON: {exc}", file=file, line=line) from None
    except RecursionError:
        raise LoadError(
            "a JSON value is nested too deeply (properties are flat values or lists)",
            file=file,
            line=line,
        ) from None
    if not isinstance(obj, dict):
        raise LoadError("each line must be a JSON object", file=file, line=line)
    return obj
