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

import codecs
import csv
import gzip
import hashlib
import io
import json
import re
import zlib
from collections.abc import Callable, Collection, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from civicgraph.graph import dates
from civicgraph.graph.errors import (
    CivicgraphError,
    ConfigurationError,
    InvalidProperty,
    LoadError,
)
from civicgraph.graph.model import check_reserved, known_name, load_model
from civicgraph.graph.output import from_spreadsheet_safe

from .categories import Categories
from .records import NodeRecord, Reject, RelRecord

__all__ = [
    "DATE_KEYS",
    "DETECTED",
    "EdgeLayout",
    "NodeLayout",
    "check_encoding",
    "date_cell",
    "detect_encoding",
    "edge_layout",
    "graph_records",
    "node_layout",
    "read_gexf",
    "timeset",
    "TEXT_COLUMNS",
    "BareIds",
    "CsvOptions",
    "ColumnTypes",
    "cell_text",
    "column_kinds",
    "file_source",
    "decode_line",
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


#: The encodings detection chooses among: what French and European spreadsheets and exports
#: write.  A file in another one is read with ``--encoding`` (``encoding=``).
DETECTED = ("utf_8", "utf_16", "utf_32", "cp1252", "latin_1")
#: How much of a file detection looks at (the whole file, when it is smaller).
_SAMPLE = 1 << 20
_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)


def detect_encoding(path: str | Path) -> str:
    """The encoding of a text file: UTF-8 when its first megabyte is valid UTF-8, else the
    one of :data:`DETECTED` that charset-normalizer finds (cp1252 for Latin-1 text,
    UTF-16 with its byte-order mark).

    When none fits, UTF-8: reading the file then stops at the first line that is not,
    saying to pass the encoding.
    """
    p = Path(path)
    opener: Any = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rb") as f:
            sample = f.read(_SAMPLE)
    except FileNotFoundError:
        raise LoadError("file not found", file=str(p)) from None
    except (EOFError, gzip.BadGzipFile, OSError, zlib.error):
        return "utf-8"  # a damaged file: reading it says what is wrong
    if not sample.startswith(_BOMS):
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < _SAMPLE)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=list(DETECTED)).best()
    if best is None:  # none fits: reading it as UTF-8 names the first line that is not
        return "utf-8"
    return codecs.lookup(best.encoding).name


def check_encoding(encoding: str) -> str:
    """*encoding* if Python knows it, else a :class:`ConfigurationError` saying so.

    >>> check_encoding("latin-1")
    'latin-1'
    """
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ConfigurationError(
            f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, latin-1, utf-16)",
            field="encoding",
        ) from None
    return encoding


def _ascii_compatible(encoding: str) -> bool:
    """Whether *encoding* writes a line break as the byte ``\\n`` (UTF-16 does not)."""
    return "a\n".encode(encoding) == b"a\n"


def decode_line(data: bytes, encoding: str, file: str, line: int, hint: str = "") -> str:
    """One physical line of a file as text: bad *encoding* or a NUL byte is a
    :class:`LoadError` naming *file* and *line* (*hint* ends the encoding error's message).

    >>> decode_line(b"Saint-\\xc3\\x89tienne\\n", "utf-8", "f.csv", 3)
    'Saint-Étienne\\n'
    >>> decode_line(b"Saint-\\xc9tienne\\n", "utf-8", "f.csv", 3)
    Traceback (most recent call last):
    ...
    civicgraph.graph.errors.LoadError: f.csv, line 3: not valid utf-8 (byte 7 of the line)
    """
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"not valid {encoding} (byte {exc.start + 1} of the line){hint}", file=file, line=line
        ) from None
    if "\x00" in text:
        raise LoadError("contains a NUL byte", file=file, line=line)
    return text


def iter_text_lines(path: str | Path, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """Yield (line number, text) with a clear error on bad encoding or a truncated gzip."""
    p = Path(path)
    opener: Any = gzip.open if p.suffix == ".gz" else open
    lineno = 0
    hint = " — pass --encoding (e.g. cp1252), or leave it out to detect it"
    try:
        with opener(p, "rb") as f:
            if not _ascii_compatible(encoding):  # UTF-16/32: decoded as a stream
                text_in = io.TextIOWrapper(f, encoding=encoding, newline="")
                try:
                    for lineno, text in enumerate(text_in, start=1):
                        if "\x00" in text:
                            raise LoadError("contains a NUL byte", file=str(p), line=lineno)
                        yield lineno, text
                except UnicodeDecodeError:
                    raise LoadError(
                        f"not valid {encoding}{hint}", file=str(p), line=lineno + 1
                    ) from None
                return
            for lineno, raw in enumerate(f, start=1):
                yield lineno, decode_line(raw, encoding, str(p), lineno, hint)
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
    check_header: Callable[[list[str]], None] | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a CSV file, checking the header first.

    A header cell that is one of *known* in another case (``Start`` for ``start``) is read
    as that column; two cells naming one column are a duplicate column.  *check_header*,
    given the header so spelled, raises a LoadError (without file and line) for a header
    it cannot read; the error gets them, and a hint when the delimiter looks wrong.
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
        raise LoadError(
            f"missing column {missing[0]!r} in header {header!r}"
            + _delimiter_hint(header, delimiter),
            file=p,
            line=header_line[-1] if header_line else 1,
            field=missing[0],
        )
    if check_header is not None:
        try:
            check_header(header)
        except LoadError as exc:
            raise LoadError(
                exc.message + _delimiter_hint(header, delimiter),
                file=p,
                line=header_line[-1] if header_line else 1,
                field=exc.field,
            ) from None
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


def _delimiter_hint(header: list[str], delimiter: str) -> str:
    """A hint when a one-cell header holds another delimiter (a ``;`` file read with ``,``)."""
    if len(header) == 1:
        for d in (";", "\t", "|", ","):
            if d != delimiter and d in header[0]:
                return f" — the header looks {d!r}-delimited: pass --delimiter {d!r}"
    return ""


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
    prefix (``org:ocu``), and edges files in the same load use it.  A node given only a
    name (Kumu's ``Label``) gets an id made from it (``Réseau Accueil`` → a Network
    ``net:reseau-accueil``), and edges may name it by that name.  A label whose ids follow
    a pattern (a City's INSEE code) takes the code from the column named after its prefix
    (``insee``) when the bare id does not fit.

    >>> bare = BareIds()
    >>> bare.node("ocu", "Organization"), bare.end("ocu"), bare.end("net:anvita")
    ('org:ocu', 'org:ocu', 'net:anvita')
    >>> bare.named("Grenoble", "City", {"insee": "38185"}), bare.end("Grenoble")
    ('insee:38185', 'insee:38185')
    >>> bare.nodes, bare.ends
    (2, 2)
    """

    def __init__(self) -> None:
        self.map: dict[str, str] = {}
        #: names given to more than one id: an edge must use the id
        self.ambiguous: dict[str, set[str]] = {}
        self.nodes = 0  # node ids given their prefix
        self.ends = 0  # edge ends given their prefix

    def node(
        self, node_id: str, label: str, row: dict[str, str] | None = None, name: str = ""
    ) -> str:
        """The full id of a node given as *node_id*; Gephi's numbers (``0``, ``17``) give
        way to an id made from the node's *name*, when it has one."""
        if ":" in node_id or not node_id:
            return node_id
        if node_id.isdigit() and name:
            made = self.named(name, label, row)
            if made and made != node_id:
                self._remember(node_id, made)
                return made
        schema = load_model().nodes.get(label)
        full = schema.prefixed(node_id) if schema is not None else None
        if full is None or schema is None:
            return node_id  # unknown label or no single prefix: validation says which
        if schema.id_pattern is not None and not re.match(schema.id_pattern, full) and row:
            prefix = full[: len(full) - len(node_id)]
            column = prefix.rstrip(":")
            code = next((cell_text(str(v))[0] for k, v in row.items() if k.lower() == column), "")
            if code and re.match(schema.id_pattern, prefix + code):
                full = prefix + code
        self._remember(node_id, full)
        self.nodes += 1
        return full

    def named(self, name: str, label: str, row: dict[str, str] | None = None) -> str:
        """The id of a node given only by its *name*; edges may then refer to it by name."""
        from .categories import slug

        bare = slug(name)
        full = self.node(bare, label, row) if bare else ""
        self.name(name, full)
        return full

    def name(self, name: str, node_id: str) -> None:
        """Let edges of this load refer to *node_id* by *name* (Kumu's ``From``/``To``)."""
        if name and node_id and name != node_id:
            self._remember(name, node_id)

    def _remember(self, key: str, full: str) -> None:
        known = self.map.get(key)
        if known is not None and known != full:
            self.ambiguous.setdefault(key, {known}).add(full)
        self.map[key] = full

    def end(self, node_id: str) -> str:
        full = self.map.get(node_id) if ":" not in node_id else None
        if full is None or node_id in self.ambiguous:
            return node_id
        self.ends += 1
        return full


#: Gephi's ``Type`` column of an edges table: the edge's direction, not its type.
DIRECTIONS = frozenset({"directed", "undirected", "mutual"})
#: Header cells read in any case: the zero-configuration columns and their Gephi and Kumu
#: names.
NODE_KNOWN = ("id", "label", "name", "type", "category", "kind", "sources")
EDGE_KNOWN = (
    *EDGE_COLUMNS,
    "from",
    "to",
    "label",
    "id",
    "weight",
    "timeset",
    "interval",
)


@dataclass(frozen=True)
class NodeLayout:
    """Which columns of a nodes file hold the id, what the node is, and its name.

    civicgraph's own layout is ``id,label,name,…`` (``label``: City, Organization…).  With
    a ``type`` or ``category`` column (or ``kind``, when there is no ``label``), that column
    says what the node is, in the user's words (:mod:`~civicgraph.loaders.categories`), and
    ``label`` is the name, as Gephi (``Id,Label,Type``) and Kumu (``Label,Type``: the label
    is the id too) write them.

    >>> node_layout(["Id", "Label", "Type"])
    NodeLayout(id='id', label='type', name='label')
    >>> node_layout(["label", "type", "insee"])
    NodeLayout(id=None, label='type', name='label')
    >>> node_layout(["id", "label", "name"])
    NodeLayout(id='id', label='label', name=None)
    """

    id: str | None
    label: str
    name: str | None

    @property
    def own(self) -> tuple[str, ...]:
        """The columns that are the record's own fields (no property holds them)."""
        cols = [self.id, self.label, self.name, "sources"]
        return tuple(c for c in cols if c is not None)


def node_layout(header: Iterable[str]) -> NodeLayout:
    """The :class:`NodeLayout` of a nodes file's header (cells in lower case for
    :data:`NODE_KNOWN`), or a LoadError naming what is missing."""
    h = {c.lower() if c.lower() in NODE_KNOWN else c for c in header}
    if not h & {"id", "label", "name"}:
        raise LoadError(f"missing column 'id' in header {sorted(h)!r}", field="id")
    category: str | None = next((c for c in ("type", "category") if c in h), None)
    if category is None and "label" not in h and "kind" in h:
        category = "kind"
    if "label" in h and (category is None or "name" in h):
        if "id" not in h:
            raise LoadError(
                f"missing column 'id' in header {sorted(h)!r} (with a name column, 'label' "
                "says what each node is: City, Organization…)",
                field="id",
            )
        return NodeLayout("id", "label", None)
    if category is None:
        raise LoadError(
            f"missing column 'label' in header {sorted(h)!r}: say what each node is in a "
            "label, type, category or kind column (City, Organization, CSO…)",
            field="label",
        )
    name = "label" if "label" in h else "name" if "name" in h else None
    if "id" not in h and name is None:
        raise LoadError(
            f"missing column 'id' in header {sorted(h)!r} (or a label or name column to make "
            "ids from)",
            field="id",
        )
    return NodeLayout("id" if "id" in h else None, category, name)


@dataclass(frozen=True)
class EdgeLayout:
    """Which columns of an edges file hold the ends and the type.

    civicgraph's own layout is ``source,target,type,…``; Kumu writes ``From,To,Type``;
    Gephi writes ``Source,Target,Type,Id,Label,Weight`` with ``Type`` the direction
    (Directed/Undirected) and ``Label`` the relationship's type.

    >>> edge_layout(["From", "To", "Type", "Start"])
    EdgeLayout(source='from', target='to', type='type', label=None)
    """

    source: str
    target: str
    type: str | None
    label: str | None

    @property
    def own(self) -> tuple[str, ...]:
        cols = [self.source, self.target, self.type, self.label]
        extra = ("id", "start", "end", "timeset", "interval", "sources")
        return (*(c for c in cols if c is not None), *extra)


def edge_layout(header: Iterable[str]) -> EdgeLayout:
    """The :class:`EdgeLayout` of an edges file's header, or a LoadError naming what is
    missing."""
    h = {c.lower() if c.lower() in EDGE_KNOWN else c for c in header}
    source = "source" if "source" in h else "from" if "from" in h else None
    target = "target" if "target" in h else "to" if "to" in h else None
    for col, alias, what in ((source, "from", "source"), (target, "to", "target")):
        if col is None:
            raise LoadError(
                f"missing column {what!r} (or {alias!r}) in header {sorted(h)!r}", field=what
            )
    rtype = "type" if "type" in h else None
    label = "label" if "label" in h else None
    if rtype is None and label is None:
        raise LoadError(
            f"missing column 'type' in header {sorted(h)!r}: say what each relationship is "
            "(MEMBER_OF, partner…)",
            field="type",
        )
    assert source is not None and target is not None
    return EdgeLayout(source, target, rtype, label)


def declared_columns(*, relationship: bool) -> tuple[str, ...]:
    """Every property the schema declares for a label (or a relationship type): a
    column named so in another case (``INSEE``, ``Population``) is that property.

    >>> "insee" in declared_columns(relationship=False)
    True
    """
    model = load_model()
    names = model.types if relationship else model.labels
    return tuple(sorted(frozenset().union(*(model.declared_properties(n) for n in names))))


@dataclass(frozen=True)
class CsvOptions:
    """How :func:`read_nodes_csv` and :func:`read_edges_csv` read a zero-configuration file.

    One load gives the nodes and edges files the same *bare* (the ids the nodes files
    gave, for the edges files' ends) and *categories* (the user's words for labels and
    types); *encoding* and *default_source* are the file's own.
    """

    delimiter: str = ","
    encoding: str = "utf-8"
    default_source: str | None = None
    bare: BareIds = field(default_factory=BareIds)
    categories: Categories = field(default_factory=Categories)
    dayfirst: bool = False


def _zero_config_rows(
    path: str | Path,
    options: CsvOptions,
    layout_of: Callable[[list[str]], NodeLayout | EdgeLayout],
    known: tuple[str, ...],
    *,
    relationship: bool,
    text_columns: tuple[str, ...],
) -> tuple[
    Callable[[], Iterator[tuple[int, dict[str, str]]]], dict[str, str], NodeLayout | EdgeLayout
]:
    """The rows of a zero-configuration CSV (a function: each call reads the file again),
    the kinds of its property columns, from a first pass over the whole file, and its
    layout.

    Header cells naming *known* columns or *text_columns* in another case are those columns.
    """
    layouts: list[NodeLayout | EdgeLayout] = []

    def check(header: list[str]) -> None:
        if not layouts:
            layouts.append(layout_of(header))

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        return read_csv_dicts(
            path,
            delimiter=options.delimiter,
            encoding=options.encoding,
            known=known + text_columns + declared_columns(relationship=relationship),
            check_header=check,
        )

    header: list[str] = []

    def cells() -> Generator[dict[str, str], None, None]:
        for _, row in rows():
            if not header:
                header.extend(row)
                own = layouts[0].own
                _header_check(row, own, relationship=relationship, file=str(path))
            yield row

    it: Generator[dict[str, str], None, None] = cells()
    try:
        first = next(it, None)
        own = layouts[0].own if layouts else ()
        candidates = [c for c in header if c not in own and c not in text_columns]
        if first is None or not candidates:
            return rows, {}, layouts[0]
        return rows, column_kinds(_chain(first, it), candidates), layouts[0]
    finally:
        it.close()


def _chain(first: dict[str, str], rest: Iterator[dict[str, str]]) -> Iterator[dict[str, str]]:
    yield first
    yield from rest


def date_cell(text: str, dayfirst: bool) -> str:
    """A date cell: with *dayfirst*, ``05/04/2021`` read as 5 April 2021 (the dates module's
    rule) and written ISO; otherwise as written, for validation to check (and to say an
    ambiguous day-first date needs ``--dayfirst``)."""
    if not dayfirst or "/" not in text and "." not in text:
        return text
    try:
        return dates.parse(text, dayfirst=True)[0]
    except dates.DateError:
        return text  # validation names it


def _label_reject(
    raw: str, column: str, file: str, line: int, record: str, categories: Categories
) -> Reject:
    model = load_model()
    return Reject(
        file,
        line,
        column,
        f"unknown label {raw!r}; allowed: {', '.join(model.labels)}; {categories.label_hint()}",
        record,
    )


def read_nodes_csv(
    path: str | Path, options: CsvOptions | None = None
) -> Iterator[NodeRecord | Reject]:
    """Records from a zero-configuration nodes CSV (``id,label,...``, or Gephi's and Kumu's
    layouts: :class:`NodeLayout`).

    What a node is may be written in the user's words (``CSO``, ``cities``), read through
    *categories*.  An id without a prefix gets its label's (``ocu`` + Organization →
    ``org:ocu``), noted in *bare* for the edges files of the same load; a node without an
    id gets one from its name.  Every other column is a property, typed per column (see
    the module docstring); ``name`` is always text and ``sources`` a ``|``-separated list
    of source ids.  A row whose label is unknown is a :class:`Reject`.
    """
    opts = options if options is not None else CsvOptions()
    bare, cats, dayfirst = opts.bare, opts.categories, opts.dayfirst
    labels = set(load_model().labels)
    rows, kinds, layout = _zero_config_rows(
        path, opts, node_layout, NODE_KNOWN, relationship=False, text_columns=TEXT_COLUMNS
    )
    assert isinstance(layout, NodeLayout)
    types = ColumnTypes(kinds)
    for lineno, row in rows():
        raw = cell_text(row.pop(layout.label))[0]
        label = cats.label(raw)
        name = cell_text(row.pop(layout.name))[0] if layout.name is not None else ""
        given = cell_text(row.pop(layout.id))[0] if layout.id is not None else ""
        if label not in labels:
            yield _label_reject(
                raw, layout.label, str(path), lineno, f"{raw} {given or name}", cats
            )
            continue
        if layout.id is not None:
            node_id = bare.node(given, label, row, name)
            bare.name(name, node_id)
        else:
            node_id = bare.named(name, label, row)
        props: dict[str, Any] = {"id": node_id}
        if name:
            props["name"] = name
        props.update(_row_props(row, label, types, dayfirst))
        if "sources" not in props and opts.default_source:
            props["sources"] = [opts.default_source]
        yield NodeRecord(label, props, str(path), lineno)


def _row_props(
    row: dict[str, str], owner: str, types: ColumnTypes, dayfirst: bool
) -> dict[str, Any]:
    """The properties a zero-configuration row's other columns give (empty cells are none):
    ``sources`` a list, dates as written (day first with *dayfirst*), names text, the rest
    typed per column."""
    props: dict[str, Any] = {}
    for k, v in row.items():
        text, _ = cell_text(v)
        if text == "":
            continue
        if k == "sources":
            props[k] = split_sources(text)
        elif k in DATE_KEYS:
            props[k] = date_cell(text, dayfirst)
        elif k in TEXT_COLUMNS:
            props[k] = text
        else:
            props[k] = typed_value(text, types.kind(owner, k, k))
    return props


def timeset(text: str) -> list[tuple[str | None, str | None]]:
    """The intervals of a Gephi ``Timeset``/``Interval`` cell, each ``(start, end)``
    (``None``: open).  Gephi writes years as ``2021.0``.

    >>> timeset("<[2021-01-01, 2022-06-30]>")
    [('2021-01-01', '2022-06-30')]
    >>> timeset("<[2019.0,2020.0];[2021.0,inf]>")
    [('2019', '2020'), ('2021', None)]
    """
    out: list[tuple[str | None, str | None]] = []
    body = text.strip().removeprefix("<").removesuffix(">")
    for piece in body.split(";"):
        inner = piece.strip().strip("[]()")
        if not inner:
            continue
        parts = [x.strip().strip("'\"") for x in inner.split(",")]
        if len(parts) != 2:
            raise LoadError(f"bad interval {piece.strip()!r} (Gephi writes <[start, end]>)")
        ends: list[str | None] = []
        for x in parts:
            if x.lower() in ("", "inf", "-inf", "infinity", "-infinity"):
                ends.append(None)
            else:
                ends.append(x[:-2] if re.fullmatch(r"\d{4}\.0", x) else x)
        out.append((ends[0], ends[1]))
    return out


def read_edges_csv(
    path: str | Path, options: CsvOptions | None = None
) -> Iterator[RelRecord | Reject]:
    """Records from a zero-configuration edges CSV (``source,target,type,...``, or Gephi's
    and Kumu's layouts: :class:`EdgeLayout`).

    An end written without a prefix, or by a node's name, takes the id the nodes files of
    the same load gave it (*bare*).  The type may be written in the user's words
    (``partner``), read through *categories*.  ``start`` and ``end`` are dates, or
    Gephi's ``Timeset``/``Interval`` (one relationship per interval); ``sources`` is a
    ``|``-separated list; Gephi's edge ``Id`` is dropped (a relationship's id is derived);
    every other column is a property, typed per column (see the module docstring).
    """
    opts = options if options is not None else CsvOptions()
    bare, cats, dayfirst = opts.bare, opts.categories, opts.dayfirst
    model = load_model()
    rows, kinds, layout = _zero_config_rows(
        path, opts, edge_layout, EDGE_KNOWN, relationship=True, text_columns=TEXT_COLUMNS
    )
    assert isinstance(layout, EdgeLayout)
    types = ColumnTypes(kinds)
    p = str(path)
    for lineno, row in rows():
        ends = [cell_text(row.pop(col))[0] for col in (layout.source, layout.target)]
        raw = cell_text(row.pop(layout.type))[0] if layout.type is not None else ""
        label = cell_text(row.pop(layout.label))[0] if layout.label is not None else ""
        column = layout.type or "label"
        record = f"{raw or label} {ends[0]} -> {ends[1]}"[:200]
        if layout.type is None or raw.casefold() in DIRECTIONS:
            raw, column = label, "label"  # Gephi: Type is the direction, Label the type
        elif label and cats.rel_type(label) != cats.rel_type(raw):
            yield Reject(
                p,
                lineno,
                "label",
                f"column 'label' is reserved for the relationship's type (Gephi's Label), and "
                f"{label!r} is not its type {raw!r}",
                record,
            )
            continue
        rtype = cats.rel_type(raw)
        if rtype not in model.relationships:
            yield Reject(
                p,
                lineno,
                column,
                f"unknown relationship type {raw!r}; allowed: {', '.join(model.types)}; "
                "or say which with --map WORD=TYPE (map: in a mapping file)",
                record,
            )
            continue
        clash = next((e for e in ends if e in bare.ambiguous), None)
        if clash is not None:
            yield Reject(
                p,
                lineno,
                layout.source if clash == ends[0] else layout.target,
                f"{clash!r} names {len(bare.ambiguous[clash])} nodes "
                f"({', '.join(sorted(bare.ambiguous[clash]))}): write the id",
                record,
            )
            continue
        source, target = bare.end(ends[0]), bare.end(ends[1])
        row.pop("id", None)
        spans: list[tuple[str | None, str | None]] = [(None, None)]
        stamp = next((k for k in ("timeset", "interval") if cell_text(row.get(k) or "")[0]), None)
        for k in ("timeset", "interval"):
            text = cell_text(row.pop(k, "") or "")[0]
            if k == stamp:
                try:
                    spans = timeset(text) or spans
                except LoadError as exc:
                    yield Reject(p, lineno, k, exc.message, record)
                    break
        else:
            props = _row_props(row, rtype, types, dayfirst)
            if stamp is not None and ("start" in props or "end" in props):
                yield Reject(p, lineno, stamp, "give Start/End or a Timeset, not both", record)
                continue
            if "sources" not in props and opts.default_source:
                props["sources"] = [opts.default_source]
            for start, end in spans:
                span = {
                    k: date_cell(v, dayfirst)
                    for k, v in (("start", start), ("end", end))
                    if v is not None
                }
                yield RelRecord(rtype, source, target, {**props, **span}, p, lineno)


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
    path: str | Path,
    *,
    default_source: str | None = None,
    categories: Categories | None = None,
    bare: BareIds | None = None,
) -> Iterator[NodeRecord | RelRecord | Reject]:
    """Records from GraphML (see :func:`graph_records` for what each attribute means)."""
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
    from civicgraph.graph.export import LISTS_KEY

    lists = str(G.graph.get(LISTS_KEY, "")).split()
    yield from graph_records(G, p, lists, default_source, categories, bare, gexf=False)


def read_gexf(
    path: str | Path,
    *,
    default_source: str | None = None,
    categories: Categories | None = None,
    bare: BareIds | None = None,
) -> Iterator[NodeRecord | RelRecord | Reject]:
    """Records from GEXF 1.1 to 1.3, as Gephi and ``civicgraph export`` write it (see
    :func:`graph_records`).

    A node's ``label`` is its name; what it is comes from a ``category``, ``type`` or
    ``kind`` attribute.  An edge's type is its ``rel_type`` attribute, or its ``label``;
    each of its spells (or its ``start``/``end``) is one relationship.  A node's spells,
    and Gephi's drawing data (``viz``), are not facts: they are left out.
    """
    import xml.etree.ElementTree as ET

    import networkx as nx

    p = str(path)
    try:
        G = nx.read_gexf(p)
        description = ""
        for _, elem in ET.iterparse(p):
            if elem.tag.rsplit("}", 1)[-1] == "description":
                description = elem.text or ""
                break
            if elem.tag.rsplit("}", 1)[-1] == "graph":
                break
    except (
        ET.ParseError,
        nx.NetworkXError,
        ValueError,
        KeyError,
        TypeError,
        EOFError,
    ) as exc:
        raise LoadError(f"not valid GEXF: {exc}", file=p) from None
    except FileNotFoundError:
        raise LoadError("file not found", file=p) from None
    from civicgraph.graph.export import LISTS_KEY

    lists = description.removeprefix(LISTS_KEY + ":").split() if LISTS_KEY in description else []
    yield from graph_records(G, p, lists, default_source, categories, bare, gexf=True)


#: A GEXF node's time on the timeline and its drawing data: not facts.
_GEXF_NODE_EXTRA = ("spells", "start", "end", "viz", "pid", "parents")


def graph_records(
    G: Any,
    p: str,
    lists: Collection[str] = (),
    default_source: str | None = None,
    categories: Categories | None = None,
    bare: BareIds | None = None,
    *,
    gexf: bool = False,
) -> Iterator[NodeRecord | RelRecord | Reject]:
    """Records from a networkx graph read from GraphML or GEXF (*gexf*).

    * **Nodes.**  Ids are the file's node ids; an ``id`` attribute, when present, wins, and
      a bare id gets its label's prefix (:class:`BareIds`).  What a node is: its
      ``labels`` or ``category`` (civicgraph's exports), else ``label`` when that is a
      label's name (civicgraph's own GraphML), else a ``type`` attribute, else ``kind``;
      read through *categories*.  Otherwise ``label`` is the node's name, as Gephi writes it.
      A node with no attributes at all is a reference to a node already in the store.
    * **Edges.**  The type is ``rel_type``, ``type`` or ``label``, read through
      *categories*; ``spells`` (GEXF) give ``start`` and ``end``, one relationship each.
    * **civicgraph's own exports** (graph name ``civicgraph…``): derived properties are
      left out (the load derives them again) and the properties named in *lists* (``node:
      featured_cities``, ``rel:sources``) are split on ``|`` back into lists.
    """
    cats = categories if categories is not None else Categories()
    bare = bare if bare is not None else BareIds()
    model = load_model()
    ours = str(G.graph.get("name", "")).startswith("civicgraph")
    node_lists = {x.split(":", 1)[1] for x in lists if x.startswith("node:")}
    rel_lists = {x.split(":", 1)[1] for x in lists if x.startswith("rel:")}
    labels = set(model.labels)
    idmap: dict[Any, str] = {}
    for n, (node, raw) in enumerate(G.nodes(data=True), start=1):
        data = _attributes(raw, relationship=False, file=p, line=n)
        for extra in _GEXF_NODE_EXTRA if gexf else ():
            data.pop(extra, None)
        shown = data.pop("label", None)
        every = data.pop("labels", None)
        kind: Any = _pop_any(data, "category")
        if kind is None and isinstance(every, str) and every:
            kind = next((x for x in every.split("|") if x not in ("Entity", "Actor")), every)
        if kind is None and shown is not None and cats.label(str(shown)) in labels:
            kind, shown = shown, None  # civicgraph's own GraphML: label is the label
        if kind is None:
            kind = _pop_any(data, "type")
        if kind is None and "kind" in data and shown is not None:
            kind = data.pop("kind")
        given = str(data.pop("id", node))
        if kind is None and shown is None and not data:
            idmap[node] = given  # a bare endpoint: refers to a node already in the store
            continue
        label = cats.label(str(kind)) if kind is not None else ""
        name = str(shown) if shown is not None and not ours else ""
        if label not in labels:
            idmap[node] = given
            yield _label_reject(str(kind or ""), "label", p, n, f"{kind} {given}", cats)
            continue
        node_id = bare.node(given, label, {k: str(v) for k, v in data.items()}, name)
        bare.name(name or str(data.get("name", "")), node_id)
        idmap[node] = node_id
        if name and "name" not in data:
            data["name"] = name
        if ours:
            for key in model.derived_properties(label):
                data.pop(key, None)
        props = {"id": node_id, **_graph_props(data, node_lists)}
        # A Source is provenance itself: only facts are attributed to the file.
        if "sources" not in props and default_source and label != "Source":
            props["sources"] = [default_source]
        yield NodeRecord(label, props, p, n)
    edge_file = f"{p} (edge)"
    for n, (u, v, raw) in enumerate(G.edges(data=True), start=1):
        data = _attributes(raw, relationship=True, file=edge_file, line=n)
        spells = data.pop("spells", None)
        data.pop("id", None)  # the file's edge id: a relationship's id is derived
        found = _pop_any(data, "rel_type", "type", "label")
        raw_type = "" if found is None else str(found)
        rtype = cats.rel_type(raw_type)
        source = idmap.get(u, bare.end(str(u)))
        target = idmap.get(v, bare.end(str(v)))
        if rtype not in model.relationships:
            yield Reject(
                edge_file,
                n,
                "type",
                f"unknown relationship type {raw_type!r}; allowed: {', '.join(model.types)}; "
                "or say which with --map WORD=TYPE",
                f"{raw_type} {source} -> {target}"[:200],
            )
            continue
        if ours:
            for key in model.derived_properties(rtype):
                data.pop(key, None)
        props = _graph_props(data, rel_lists)
        if "sources" not in props and default_source:
            props["sources"] = [default_source]
        periods = [tuple(s) for s in spells] if spells else [(None, None)]
        for start, end in periods:
            span = {
                k: _spell_date(val)
                for k, val in (("start", start), ("end", end))
                if _spell_date(val) is not None
            }
            yield RelRecord(rtype, source, target, {**props, **span}, edge_file, n)


def _spell_date(value: Any) -> str | None:
    """A spell's start or end as a date's text: networkx reads a missing one as ``'None'``,
    and a year in GEXF's ``double`` time format as ``2021.0``.

    >>> _spell_date("None"), _spell_date(2021.0), _spell_date("2020-05-25")
    (None, '2021', '2020-05-25')
    """
    if value is None or value in ("None", "", "inf", "-inf"):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _graph_props(data: dict[str, Any], lists: Collection[str]) -> dict[str, Any]:
    """A graph file's attributes as properties: ``sources`` and the *lists* split on ``|``."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None or value == "":
            continue
        if key == "sources" or (key in lists and isinstance(value, str)):
            out[key] = split_sources(value)
        else:
            out[key] = value
    return out


def _attributes(
    data: dict[str, Any], *, relationship: bool, file: str, line: int
) -> dict[str, Any]:
    """GraphML attributes with the known ones spelled civicgraph's way (``Start`` → ``start``;
    for nodes also ``ID``, ``Label``); the same name twice is an error."""
    out: dict[str, Any] = {}
    declared = declared_columns(relationship=relationship)
    for key, value in data.items():
        low = key.lower()
        name = (
            low
            if low in ("id", "label", "labels", "type", "category", "rel_type") or low in declared
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
