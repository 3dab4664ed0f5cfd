"""civicgraph's own exchange format and the graph formats of other tools: JSON Lines
(``civicgraph export --format jsonl``, the backup format), GraphML and GEXF (Gephi's, and
civicgraph's exports, which load back to the same graph).

The rules of :mod:`.files` hold here too: reserved names, known columns in any case, a
``Source`` for the file when a fact carries none.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any, cast

from civicgraph.graph.errors import (
    LoadError,
)
from civicgraph.graph.model import known_name, load_model

from .categories import Categories
from .files import BareIds, declared_columns, label_reject
from .records import NodeRecord, Reject, RelRecord
from .text import iter_text_lines, split_sources

__all__ = [
    "graph_records",
    "json_line",
    "jsonl_rows",
    "read_gexf",
    "read_graphml",
    "read_jsonl",
]


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
            yield label_reject(str(kind or ""), "label", p, n, f"{kind} {given}", cats)
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
