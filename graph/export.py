"""Write the store (or what held on one date) as JSON Lines, CSV, GraphML or GEXF.

Every format starts from :meth:`Store.dump`, so the output is sorted and stable: exporting
the same store twice gives the same bytes (GEXF's header carries the day's date).

========  ===========================================================================
format    what it is for
========  ===========================================================================
jsonl     the lossless dump: ``civicgraph load`` reads it back to the same digest
csv       ``nodes.csv`` + ``edges.csv`` in the zero-config layout ``civicgraph load
          --nodes … --edges …`` reads; for spreadsheets
graphml   networkx, igraph, yEd, Cytoscape, Gephi (static)
gexf      Gephi, with ``start``/``end`` spells so its timeline plays the graph's history
neo4j-    a folder for ``neo4j-admin database import`` (and ``civicgraph load``):
admin     :mod:`civicgraph.graph.neo4j_admin`
========  ===========================================================================

>>> from civicgraph.graph.export import export
>>> export(store, "gexf", "civicgraph.gexf", as_of="2021-01-01")   # doctest: +SKIP
{'format': 'gexf', 'nodes': 1234, 'relationships': 5678, 'paths': ['civicgraph.gexf']}
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import networkx as nx

from . import dates
from .errors import OutputNotWritable
from .model import specific_label
from .outfile import atomic_output, check_writable
from .output import CsvLines, spreadsheet_cell

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from .store import Store

__all__ = [
    "FORMATS",
    "LIST_SEPARATOR",
    "check_export_path",
    "csv_paths",
    "export",
    "jsonl_lines",
    "to_frames",
]

FORMATS = ("csv", "gexf", "graphml", "jsonl", "neo4j-admin")
#: GraphML, GEXF and CSV cells cannot hold lists: their items are joined with this.
LIST_SEPARATOR = "|"
#: The graph attribute (GraphML) or description (GEXF) naming the properties that held lists.
LISTS_KEY = "civicgraph_lists"
NODE_HEAD = ["id", "label", "name", "sources"]
EDGE_HEAD = ["source", "target", "type", "start", "end", "sources"]


def _dump(store: Store, as_of: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    nodes, rels = store.dump()
    if as_of is not None:
        undated = set(store.model.undated_types)
        rels = [
            r
            for r in rels
            if dates.holds_on(r["properties"], as_of, dated=r["type"] not in undated)
        ]
    return nodes, rels


def _without_derived(
    store: Store, nodes: list[dict[str, Any]], rels: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The facts without the derived properties (a backup holds facts; loading it derives
    the rest again, to the same values)."""
    model = store.model

    def strip(props: dict[str, Any], derived: frozenset[str]) -> dict[str, Any]:
        return {k: v for k, v in props.items() if k not in derived} if derived else props

    out_nodes = []
    for n in nodes:
        derived: frozenset[str] = frozenset().union(
            *(model.derived_properties(lab) for lab in n["labels"] if lab in model.nodes)
        )
        out_nodes.append({**n, "properties": strip(n["properties"], derived)})
    out_rels = [
        {**r, "properties": strip(r["properties"], model.derived_properties(r["type"]))}
        if r["type"] in model.relationships
        else r
        for r in rels
    ]
    return out_nodes, out_rels


def _flat(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(_cell(v) for v in value)
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(_cell(v) for v in value)
    return str(value)


# -- JSON Lines ---------------------------------------------------------------------------
def jsonl_lines(nodes: list[dict[str, Any]], rels: list[dict[str, Any]]) -> Iterator[str]:
    """The JSON Lines export, one line per node then per relationship (no newlines).

    Examples
    --------
    >>> nodes = [{"id": "org:a", "labels": ["Actor", "Entity", "Organization"],
    ...           "properties": {"id": "org:a", "name": "A"}}]
    >>> rels = [{"type": "PARTNER_OF", "source": "org:a", "target": "org:a",
    ...          "properties": {"id": "PARTNER_OF|org:a|org:a|"}}]
    >>> for line in jsonl_lines(nodes, rels):
    ...     print(line)
    {"kind":"node","id":"org:a","labels":["Actor","Entity","Organization"],"properties":{"id":"org:a","name":"A"}}
    {"kind":"relationship","type":"PARTNER_OF","source":"org:a","target":"org:a","properties":{"id":"PARTNER_OF|org:a|org:a|"}}
    """

    def dumps(obj: dict[str, Any]) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    for n in nodes:
        yield dumps(
            {
                "kind": "node",
                "id": n["id"],
                "labels": sorted(n["labels"]),
                "properties": {k: n["properties"][k] for k in sorted(n["properties"])},
            }
        )
    for r in rels:
        yield dumps(
            {
                "kind": "relationship",
                "type": r["type"],
                "source": r["source"],
                "target": r["target"],
                "properties": {k: r["properties"][k] for k in sorted(r["properties"])},
            }
        )


# -- tables -----------------------------------------------------------------------------
def _node_rows(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": n["id"],
            "label": specific_label(n["labels"]),
            **{k: v for k, v in n["properties"].items() if k not in ("id", "label")},
        }
        for n in nodes
    ]


def _edge_rows(rels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The relationship ``id`` is (type, source, target, start): derived, so not a column.
    return [
        {
            "source": r["source"],
            "target": r["target"],
            "type": r["type"],
            **{
                k: v
                for k, v in r["properties"].items()
                if k not in ("id", "source", "target", "type")
            },
        }
        for r in rels
    ]


def _columns(rows: list[dict[str, Any]], head: list[str]) -> list[str]:
    return head + sorted({k for r in rows for k in r} - set(head))


def to_frames(store: Store, *, as_of: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The store as two tables, in the CSV export's layout (list values stay lists).

    Parameters
    ----------
    store : Store
    as_of : str, optional
        ISO date: only relationships valid that day (every node is kept).

    Returns
    -------
    (nodes, edges) : pandas.DataFrame
        ``nodes``: ``id, label, name, sources`` then the other properties, sorted;
        ``label`` is the specific label.  ``edges``: ``source, target, type, start, end,
        sources`` then the other properties.

    Examples
    --------
    >>> nodes, edges = to_frames(store)          # doctest: +SKIP
    >>> edges.groupby("type").size()             # doctest: +SKIP
    """
    import pandas as pd

    nodes, rels = _dump(store, (None if as_of is None else dates.check_day(as_of, name="as_of")))
    nrows, erows = _node_rows(nodes), _edge_rows(rels)
    return (
        pd.DataFrame(nrows, columns=_columns(nrows, NODE_HEAD)),
        pd.DataFrame(erows, columns=_columns(erows, EDGE_HEAD)),
    )


def _write_csv(f: IO[str], rows: list[dict[str, Any]], head: list[str]) -> None:
    """One CSV table; every text cell made safe for spreadsheets (``graph.output``), which
    civicgraph's CSV readers undo, so the file loads back to the same values."""
    line = CsvLines()
    columns = _columns(rows, head)
    f.write(line(columns))
    for row in rows:
        f.write(line([spreadsheet_cell(row.get(c), _cell(row.get(c))) for c in columns]))


def csv_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The two files of a CSV export to *path*: a directory, or a prefix ending ``-_.``."""
    text = os.fspath(path)
    if text == "-":
        raise OutputNotWritable(
            "the CSV export writes two files (nodes.csv and edges.csv), not standard output: "
            "give a directory or a prefix with -o"
        )
    if text.endswith(("-", "_", ".")):
        return Path(text + "nodes.csv"), Path(text + "edges.csv")
    folder = Path(text)
    if folder.exists() and not folder.is_dir():
        raise OutputNotWritable(
            f"cannot write the CSV export to {text}: it is a file, and the CSV export writes "
            "two files; give a directory, or a prefix ending in '-', '_' or '.'"
        )
    return folder / "nodes.csv", folder / "edges.csv"


def check_export_path(fmt: str, path: str | os.PathLike[str]) -> None:
    """Raise :class:`OutputNotWritable` unless an export in *fmt* can be written to *path*
    (checked before the store is read)."""
    if fmt == "neo4j-admin":  # a folder (graph/neo4j_admin.py says which folders it takes)
        folder = Path(os.fspath(path))
        if folder.exists() and not folder.is_dir():
            raise OutputNotWritable(
                f"cannot write the neo4j-admin export to {folder}: it is a file, and the export "
                "writes a folder"
            )
        targets: tuple[Path, ...] = (folder / "import.sh",)
    else:
        targets = csv_paths(path) if fmt == "csv" else (Path(os.fspath(path)),)
    for target in targets:
        check_writable(target)


# -- GraphML / GEXF ---------------------------------------------------------------------------
def _merge_spells(
    spans: list[tuple[str | None, str | None]],
) -> list[tuple[str | None, str | None]]:
    """Union of [start, end) intervals; ``None`` is open.  [] means "always"."""
    lo, hi = "", "\uffff"
    items = sorted((s or lo, e or hi) for s, e in spans)
    if not items or any(s == lo and e == hi for s, e in items):
        return []
    merged: list[list[str]] = []
    for s, e in items:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s if s != lo else None, e if e != hi else None) for s, e in merged]


def _harmonise(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One value type per property key, as GraphML and GEXF declare one type per attribute.

    Mixed ints and floats become floats; any other mix becomes strings.
    """
    kinds: dict[str, set[type]] = defaultdict(set)
    for props in items:
        for k, v in props.items():
            kinds[k].add(type(v))
    fix: dict[str, type] = {}
    for k, ts in kinds.items():
        if len(ts) > 1:
            fix[k] = float if ts <= {int, float} else str
    if not fix:
        return items
    return [
        {
            k: (_cell(v) if fix.get(k) is str else float(v) if k in fix else v)
            for k, v in props.items()
        }
        for props in items
    ]


def _graph(
    nodes: list[dict[str, Any]], rels: list[dict[str, Any]], fmt: str, as_of: str | None
) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    G.graph["name"] = "civicgraph" + (f" as of {as_of}" if as_of else "")
    spans: dict[str, list[tuple[str | None, str | None]]] = defaultdict(list)
    if fmt == "gexf":
        G.graph["mode"] = "dynamic"
        for r in rels:
            span = (r["properties"].get("start"), r["properties"].get("end"))
            spans[r["source"]].append(span)
            spans[r["target"]].append(span)
    # Which properties held lists (joined with "|" below), so a load reads them back as
    # lists (civicgraph.loaders.graphfiles.graph_records).
    lists = {f"node:{k}" for n in nodes for k, v in n["properties"].items() if type(v) is list}
    lists |= {f"rel:{k}" for r in rels for k, v in r["properties"].items() if type(v) is list}
    G.graph[LISTS_KEY] = " ".join(sorted(lists))
    node_props = _harmonise([{k: _flat(v) for k, v in n["properties"].items()} for n in nodes])
    rel_props = _harmonise([{k: _flat(v) for k, v in r["properties"].items()} for r in rels])
    for n, props in zip(nodes, node_props, strict=True):
        data = {
            **props,
            "label": str(n["properties"].get("name", n["id"])),
            "category": specific_label(n["labels"]),
            "labels": LIST_SEPARATOR.join(sorted(n["labels"])),
        }
        if fmt == "gexf":
            # GEXF reads ``start``/``end``/``spells`` as time: a node is on the timeline
            # while one of its relationships holds; without relationships, always.
            for reserved in ("start", "end", "spells", "pid", "viz", "parents"):
                data.pop(reserved, None)
            node_spells = _merge_spells(spans.get(n["id"], []))
            if node_spells:
                data["spells"] = node_spells
        G.add_node(_xml(n["id"]), **{k: _xml(v) for k, v in data.items()})
    for r, rel in zip(rels, rel_props, strict=True):
        props = dict(rel)
        edge_key = props.get("id")
        if fmt == "gexf":
            # GEXF edge ``type`` means directed/undirected and ``label`` is the shown
            # text: the relationship type goes to ``label`` and ``rel_type``.
            start, end = props.pop("start", None), props.pop("end", None)
            for k in ("type", "weight", "label", "spells"):
                props.pop(k, None)
            data = {**props, "label": r["type"], "rel_type": r["type"]}
            if start is not None or end is not None:
                data["spells"] = [(start, end)]
        else:
            data = {**props, "type": r["type"]}
        G.add_edge(
            _xml(r["source"]),
            _xml(r["target"]),
            key=_xml(edge_key),
            **{k: _xml(v) for k, v in data.items()},
        )
    return G


def _write_gexf(G: nx.MultiDiGraph, f: IO[bytes]) -> None:
    """GEXF 1.2, with the list properties named in its description (GEXF has no graph
    attributes: ``<meta><description>civicgraph_lists: node:sources …</description>``)."""
    from xml.etree.ElementTree import SubElement

    from networkx.readwrite.gexf import GEXFWriter

    lists = G.graph.pop(LISTS_KEY, "")
    writer = GEXFWriter(encoding="utf-8", version="1.2draft")
    writer.add_graph(G)
    meta = writer.xml.find("meta")
    if meta is not None:
        SubElement(meta, "description").text = f"{LISTS_KEY}: {lists}"
    writer.write(f)


@contextmanager
def _binary_out(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Standard output for ``-``, else the file, replaced only once it is whole."""
    if os.fspath(path) == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with atomic_output(path) as f:
        yield f


#: What XML 1.0 forbids in a document: C0 controls but tab, LF and CR; lone surrogates;
#: U+FFFE and U+FFFF.  No escape can write them, so GraphML and GEXF show U+FFFD instead.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(value: Any) -> Any:
    """*value* with what XML 1.0 cannot hold replaced by U+FFFD (text only)."""
    if isinstance(value, str) and _NOT_XML.search(value):
        return _NOT_XML.sub("\ufffd", value)
    return value


def export(
    store: Store, fmt: str, path: str | os.PathLike[str], *, as_of: str | None = None
) -> dict[str, Any]:
    """Export the store to a file (or two, for CSV).

    Parameters
    ----------
    store : Store
    fmt : {"jsonl", "csv", "graphml", "gexf", "neo4j-admin"}
    path : str or path
        The output file; ``-`` writes to standard output (not for CSV).  For ``csv``, a
        directory (created if needed) that receives ``nodes.csv`` and ``edges.csv``, or a
        prefix ending in ``-``, ``_`` or ``.`` (``out/seed_`` → ``out/seed_nodes.csv``).
    as_of : str, optional
        ISO day: only relationships that hold that day (the one "as of" rule,
        :func:`civicgraph.graph.dates.holds_on`); every node is kept.

    Returns
    -------
    dict
        ``format``, ``nodes``, ``relationships`` (counts written) and ``paths``.

    Notes
    -----
    * Every file is checked writable before the store is read, written to a temporary file
      in its directory, fsynced and renamed: a failure leaves an earlier export as it was
      (:mod:`civicgraph.graph.outfile`).  A path that cannot be written raises
      :class:`~civicgraph.graph.errors.OutputNotWritable`.
    * **jsonl** -- first one line per node,
      ``{"kind":"node","id":…,"labels":[…all labels, sorted],"properties":{…}}``, then one
      per relationship, ``{"kind":"relationship","type":…,"source":…,"target":…,
      "properties":{…}}`` (with its ``id``), both sorted as :meth:`Store.dump` sorts them.
      Derived properties (:mod:`civicgraph.graph.derive`) are left out: loading the file
      derives them again, so it reproduces :meth:`Store.digest`; exporting again gives
      the same bytes.
    * **csv** -- ``nodes.csv``: ``id, label`` (the specific label), ``name, sources``, then
      the other properties; ``edges.csv``: ``source, target, type, start, end, sources``,
      then the other properties (not the derived relationship ``id``).  Lists are joined
      with ``|``, booleans written ``true``/``false``, missing values left empty.  A text
      cell a spreadsheet would evaluate gets a leading ``'``
      (:func:`~civicgraph.graph.output.spreadsheet_safe`), which ``civicgraph load`` removes.
    * **graphml** and **gexf** -- a multigraph: one edge per relationship, keyed by its
      ``id``.  Lists are joined with ``|``.  A node's ``label`` is its ``name`` (what
      Gephi shows); ``category`` is its specific label and ``labels`` all of them.
      GraphML edges carry ``type``; GEXF edges carry it as ``label`` and ``rel_type``,
      because GEXF reserves ``type`` for directed/undirected.  A character XML 1.0 cannot
      hold (a control character other than tab and line breaks, U+FFFE, U+FFFF) is written
      as U+FFFD, so the file always parses; the JSON Lines export keeps it.
    * **gexf** only -- the graph is dynamic (``timeformat="date"``): each edge has one
      spell from its relationship's ``start`` to its ``end`` (either may be open); each
      node has the union of its relationships' spells, or none (always present) when it
      has no relationship or one open at both ends.  Dates are written as stored, and GEXF
      reads a spell's end as inclusive, so a spell ends one day later than
      :func:`civicgraph.graph.dates.holds_on` says.

    Examples
    --------
    >>> export(store, "jsonl", "civicgraph.jsonl")        # doctest: +SKIP
    >>> export(store, "csv", "out/", as_of="2020-07-01")  # doctest: +SKIP
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    as_of = None if as_of is None else dates.check_day(as_of, name="as_of")
    check_export_path(fmt, path)
    nodes, rels = _dump(store, as_of)
    paths: list[str] = []
    if fmt == "jsonl":
        facts = _without_derived(store, nodes, rels)
        data = "".join(line + "\n" for line in jsonl_lines(*facts)).encode("utf-8")
        with _binary_out(path) as f:
            f.write(data)
        paths.append(os.fspath(path))
    elif fmt == "neo4j-admin":  # its own module: graph/neo4j_admin.py
        from .neo4j_admin import write_neo4j_admin

        paths += write_neo4j_admin(*_without_derived(store, nodes, rels), path)
    elif fmt == "csv":
        node_path, edge_path = csv_paths(path)
        # Both files are written whole before either replaces an earlier export.
        with (
            atomic_output(node_path, text=True, newline="") as nf,
            atomic_output(edge_path, text=True, newline="") as ef,
        ):
            _write_csv(nf, _node_rows(nodes), NODE_HEAD)
            _write_csv(ef, _edge_rows(rels), EDGE_HEAD)
        paths += [str(node_path), str(edge_path)]
    else:
        G = _graph(nodes, rels, fmt, as_of)
        with _binary_out(path) as f:
            if fmt == "graphml":
                nx.write_graphml(G, f, encoding="utf-8")
            else:
                _write_gexf(G, f)
        paths.append(os.fspath(path))
    return {"format": fmt, "nodes": len(nodes), "relationships": len(rels), "paths": paths}
