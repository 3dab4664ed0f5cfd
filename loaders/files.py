"""Users' own zero-configuration node and edge CSVs, in civicgraph's layout or Gephi's and Kumu's.

The text underneath (encodings, lines, CSV rows, column types) is :mod:`.text`'s; JSON Lines,
GraphML and GEXF are :mod:`.graphfiles`'; a YAML mapping is :mod:`.mapping`'s.

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

Rules every reader of users' files follows (here, in :mod:`.graphfiles` and :mod:`.mapping`;
issue 19):

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

import re
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicgraph.graph import dates
from civicgraph.graph.errors import (
    LoadError,
)
from civicgraph.graph.model import load_model

from .categories import Categories
from .records import NodeRecord, Reject, RelRecord
from .text import (
    DATE_KEYS,
    EDGE_COLUMNS,
    TEXT_COLUMNS,
    ColumnTypes,
    cell_text,
    column_kinds,
    header_check,
    read_csv_dicts,
    split_sources,
    typed_value,
)

__all__ = [
    "BareIds",
    "CsvOptions",
    "DIRECTIONS",
    "EDGE_KNOWN",
    "EdgeLayout",
    "NODE_KNOWN",
    "NodeLayout",
    "date_cell",
    "declared_columns",
    "edge_layout",
    "label_reject",
    "node_layout",
    "read_edges_csv",
    "read_nodes_csv",
    "timeset",
]


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
    #: the file's column kinds when they were found ahead (:func:`kinds_ahead`): no first
    #: pass then
    column_kinds: dict[str, str] | None = None


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
                header_check(row, own, relationship=relationship, file=str(path))
            yield row

    it: Generator[dict[str, str], None, None] = cells()
    try:
        first = next(it, None)
        own = layouts[0].own if layouts else ()
        candidates = [c for c in header if c not in own and c not in text_columns]
        if first is None or not candidates:
            return rows, {}, layouts[0]
        if options.column_kinds is not None:
            return rows, options.column_kinds, layouts[0]
        return rows, column_kinds(_chain(first, it), candidates), layouts[0]
    finally:
        it.close()


def kinds_ahead(path: str | Path, options: CsvOptions, *, relationship: bool) -> dict[str, str]:
    """The kinds of a zero-configuration file's property columns, found by the first pass
    :func:`read_nodes_csv` (or, with *relationship*, :func:`read_edges_csv`) makes: a load
    reading in a second process finds them while that process starts, and hands them to
    its readers (``CsvOptions.column_kinds``).  Whatever this raises, the reader raises
    too, at its place in the records: the caller then leaves the reader its first pass."""
    layout_of = edge_layout if relationship else node_layout
    known = EDGE_KNOWN if relationship else NODE_KNOWN
    _, kinds, _ = _zero_config_rows(
        path, options, layout_of, known, relationship=relationship, text_columns=TEXT_COLUMNS
    )
    return kinds


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


def label_reject(
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
            yield label_reject(raw, layout.label, str(path), lineno, f"{raw} {given or name}", cats)
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


def _shown(written: str, ends: list[str]) -> str:
    """How a rejected edge row is shown: its type as written and its ends."""
    return f"{written} {ends[0]} -> {ends[1]}"[:200]


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
    stamped: tuple[str, ...] | None = None  # the file's Gephi time columns, from its header
    for lineno, row in rows():
        if stamped is None:
            stamped = tuple(k for k in ("timeset", "interval") if k in row)
        ends = [cell_text(row.pop(col))[0] for col in (layout.source, layout.target)]
        raw = cell_text(row.pop(layout.type))[0] if layout.type is not None else ""
        label = cell_text(row.pop(layout.label))[0] if layout.label is not None else ""
        column = layout.type or "label"
        written = raw or label  # what a reject shows (_shown), made only for a reject
        if layout.type is None or raw.casefold() in DIRECTIONS:
            raw, column = label, "label"  # Gephi: Type is the direction, Label the type
        elif label and cats.rel_type(label) != cats.rel_type(raw):
            yield Reject(
                p,
                lineno,
                "label",
                f"column 'label' is reserved for the relationship's type (Gephi's Label), and "
                f"{label!r} is not its type {raw!r}",
                _shown(written, ends),
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
                _shown(written, ends),
            )
            continue
        clash = next((e for e in ends if e in bare.ambiguous), None) if bare.ambiguous else None
        if clash is not None:
            yield Reject(
                p,
                lineno,
                layout.source if clash == ends[0] else layout.target,
                f"{clash!r} names {len(bare.ambiguous[clash])} nodes "
                f"({', '.join(sorted(bare.ambiguous[clash]))}): write the id",
                _shown(written, ends),
            )
            continue
        source, target = bare.end(ends[0]), bare.end(ends[1])
        row.pop("id", None)
        spans: list[tuple[str | None, str | None]] = [(None, None)]
        stamp = next((k for k in stamped if cell_text(row.get(k) or "")[0]), None)
        for k in stamped:
            text = cell_text(row.pop(k, "") or "")[0]
            if k == stamp:
                try:
                    spans = timeset(text) or spans
                except LoadError as exc:
                    yield Reject(p, lineno, k, exc.message, _shown(written, ends))
                    break
        else:
            props = _row_props(row, rtype, types, dayfirst)
            if stamp is not None and ("start" in props or "end" in props):
                yield Reject(
                    p,
                    lineno,
                    stamp,
                    "give Start/End or a Timeset, not both",
                    _shown(written, ends),
                )
                continue
            if "sources" not in props and opts.default_source:
                props["sources"] = [opts.default_source]
            if stamp is None:  # one relationship, dated by its own columns
                yield RelRecord(rtype, source, target, props, p, lineno)
                continue
            for start, end in spans:
                span = {
                    k: date_cell(v, dayfirst)
                    for k, v in (("start", start), ("end", end))
                    if v is not None
                }
                yield RelRecord(rtype, source, target, {**props, **span}, p, lineno)
