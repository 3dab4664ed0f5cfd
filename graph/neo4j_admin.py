"""The ``neo4j-admin database import`` CSV format: civicgraph's way into a new Neo4j database.

When one machine is not enough, ``civicgraph export --format neo4j-admin -o DIR`` writes the
graph as the files ``neo4j-admin database import full`` reads (the fast route into a new Neo4j
5 database: no transactions, no Cypher), with an ``import.sh`` holding the exact command and a
``schema.cypher`` with the constraint and indexes civicgraph creates on Neo4j.
``civicgraph load --format neo4j-admin FILES…`` reads the same files back, and files other
tools wrote in that format (:mod:`civicgraph.loaders.neo4j_admin`).

The header of each file names its columns ``name:type`` (Neo4j's operations manual,
"CSV header format"):

* nodes: ``id:ID`` (the node id, also stored as the ``id`` property) and ``:LABEL`` (every
  label, ``;``-separated), then the properties;
* relationships: ``:START_ID``, ``:END_ID``, ``:TYPE``, then the properties (with the
  relationship's ``id``, as civicgraph stores it on Neo4j);
* a property column is ``name`` (a string), or typed: ``population:int`` (``long`` beyond 32
  bits), ``share:double``, ``derived:boolean``, and arrays ``sources:string[]``, ``int[]``…
  whose items are separated by the array delimiter (``;``).

One file per label (``nodes_City.csv``) and per type (``relationships_MEMBER_OF.csv``), so a
column has one type; nodes whose property types clash with a file's go to the next one
(``nodes_City_2.csv``).  Strings are always quoted, so leading and trailing spaces survive
(the importer trims unquoted ones); dates stay ISO strings, as civicgraph stores and compares
them on every engine.  Like the JSON Lines backup, the files hold facts: the derived
properties (a term's ``party``, a city's ``size_class``…) are left out, and ``civicgraph
derive`` (or any load) computes them again.

>>> from civicgraph.graph.export import export
>>> export(store, "neo4j-admin", "adm/")           # doctest: +SKIP
{'format': 'neo4j-admin', 'nodes': 479, 'relationships': 384, 'paths': [...]}
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import ExportError
from .model import specific_label

__all__ = [
    "ARRAY_DELIMITER",
    "IMPORT_SCRIPT",
    "SCHEMA_SCRIPT",
    "column_type",
    "write_neo4j_admin",
]

#: neo4j-admin's default separator of array items and of labels.
ARRAY_DELIMITER = ";"
#: Used instead, in this order, when an array item holds the default one.
_OTHER_DELIMITERS = ("|", "^", "~", "¦")
IMPORT_SCRIPT = "import.sh"
SCHEMA_SCRIPT = "schema.cypher"
_INT32 = (-(2**31), 2**31 - 1)
#: The first line of import.sh: marks a directory civicgraph may write again.
_MARK = "# civicgraph export --format neo4j-admin"


def _kind(value: Any) -> str:
    """A value's column kind: ``int``, ``double``, ``boolean``, ``string``, or ``X[]``."""
    if isinstance(value, list | tuple):
        inner = {_kind(v) for v in value}
        return (inner.pop() if len(inner) == 1 else "string") + "[]"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    return "string"


def column_type(kind: str, values: Iterable[Any]) -> str:
    """The header type of a column of *kind*: ``int`` becomes ``long`` when a value needs it.

    >>> column_type("int", [158198, 2103778]), column_type("int", [2**40])
    ('int', 'long')
    >>> column_type("int[]", [[1, 2], [2**33]])
    'long[]'
    """
    if kind.startswith("int"):
        items = (
            x for v in values if v is not None for x in (v if isinstance(v, list | tuple) else [v])
        )
        if any(not _INT32[0] <= x <= _INT32[1] for x in items):
            return kind.replace("int", "long", 1)
    return kind


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _cell(value: Any, array_delimiter: str) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return _quote(array_delimiter.join(_scalar(v) for v in value))
    if isinstance(value, str):
        return _quote(value)
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


class _File:
    """One output file: its items and the kind of each property column."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.kinds: dict[str, str] = {}

    def fits(self, kinds: dict[str, str]) -> bool:
        return all(self.kinds.get(k, v) == v for k, v in kinds.items())

    def add(self, item: dict[str, Any], kinds: dict[str, str]) -> None:
        self.items.append(item)
        self.kinds.update(kinds)


def _group(items: Iterable[dict[str, Any]], key: str) -> dict[str, list[_File]]:
    """Items by *key* (label or type), split into files whose columns have one kind each."""
    out: dict[str, list[_File]] = defaultdict(list)
    for item in items:
        kinds = {k: _kind(v) for k, v in item["properties"].items()}
        files = out[item[key]]
        target = next((f for f in files if f.fits(kinds)), None)
        if target is None:
            target = _File()
            files.append(target)
        target.add(item, kinds)
    return out


def _array_delimiter(nodes: list[dict[str, Any]], rels: list[dict[str, Any]]) -> str:
    """``;``, unless an array item (or a label) holds it: then the first free alternative."""
    used = "".join(
        str(x)
        for item in [*nodes, *rels]
        for v in item["properties"].values()
        if isinstance(v, list | tuple)
        for x in v
    )
    for d in (ARRAY_DELIMITER, *_OTHER_DELIMITERS):
        if d not in used:
            return d
    raise ExportError("every array delimiter civicgraph knows occurs in an array item")


def _write(path: Path, head: list[str], rows: Iterable[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(head) + "\n")
        for row in rows:
            f.write(",".join(row) + "\n")


def _columns(f: _File, first: list[str]) -> list[str]:
    return [k for k in first if k in f.kinds] + sorted(set(f.kinds) - set(first))


def _prepare(folder: Path) -> None:
    """Create *folder*, or clear a previous export there; refuse a folder holding other files
    (``DIR/*.csv`` must be exactly this export when it is loaded back)."""
    if not folder.exists():
        folder.mkdir(parents=True)
        return
    if not folder.is_dir():
        raise ExportError(f"{folder} is not a directory: the neo4j-admin export writes a folder")
    present = sorted(p.name for p in folder.iterdir())
    if not present:
        return
    script = folder / IMPORT_SCRIPT
    ours = script.is_file() and _MARK in script.read_text(encoding="utf-8").splitlines()[:3]
    others = [
        n
        for n in present
        if not (
            n in (IMPORT_SCRIPT, SCHEMA_SCRIPT)
            or (n.endswith(".csv") and n.startswith(("nodes_", "relationships_")))
        )
    ]
    if not ours or others:
        raise ExportError(
            f"{folder} is not empty ({', '.join(present[:3])}"
            f"{', …' if len(present) > 3 else ''}): give a new folder for the neo4j-admin export"
        )
    for name in present:
        (folder / name).unlink()


def write_neo4j_admin(
    nodes: list[dict[str, Any]],
    rels: list[dict[str, Any]],
    folder: str | os.PathLike[str],
    *,
    schema: list[str] | None = None,
) -> list[str]:
    """Write *nodes* and *rels* (as :meth:`Store.dump` gives them) into *folder*.

    Parameters
    ----------
    nodes, rels : list of dict
        ``{"id", "labels", "properties"}`` and ``{"type", "source", "target", "properties"}``.
    folder : path
        Created if needed; it must be empty, or hold a previous neo4j-admin export (replaced).
    schema : list of str, optional
        Statements for ``schema.cypher`` (default: the Neo4j backend's constraint and
        indexes for every label of the model).

    Returns
    -------
    list of str
        The paths written: the CSV files, ``import.sh`` and ``schema.cypher``.
    """
    if os.fspath(folder) == "-":
        raise ExportError("the neo4j-admin export writes several files: give a folder (-o DIR)")
    out = Path(folder)
    _prepare(out)
    delim = _array_delimiter(nodes, rels)
    node_items = [
        {
            "label": specific_label(n["labels"]),
            "labels": sorted(n["labels"]),
            "properties": {k: v for k, v in n["properties"].items() if k != "id"},
            "id": n["id"],
        }
        for n in nodes
    ]
    node_files: list[Path] = []
    for label, files in sorted(_group(node_items, "label").items()):
        for i, f in enumerate(files, start=1):
            path = out / f"nodes_{label}{'' if i == 1 else f'_{i}'}.csv"
            cols = _columns(f, ["name"])
            types = {
                c: column_type(f.kinds[c], (x["properties"].get(c) for x in f.items)) for c in cols
            }
            head = ["id:ID", ":LABEL"] + [
                c if types[c] == "string" else f"{c}:{types[c]}" for c in cols
            ]
            _write(
                path,
                head,
                (
                    [_quote(x["id"]), _quote(delim.join(x["labels"]))]
                    + [_cell(x["properties"].get(c), delim) for c in cols]
                    for x in f.items
                ),
            )
            node_files.append(path)
    rel_files: list[Path] = []
    for rel_type, files in sorted(_group(rels, "type").items()):
        for i, f in enumerate(files, start=1):
            path = out / f"relationships_{rel_type}{'' if i == 1 else f'_{i}'}.csv"
            cols = _columns(f, ["id", "start", "end"])
            types = {
                c: column_type(f.kinds[c], (x["properties"].get(c) for x in f.items)) for c in cols
            }
            head = [":START_ID", ":END_ID", ":TYPE"] + [
                c if types[c] == "string" else f"{c}:{types[c]}" for c in cols
            ]
            _write(
                path,
                head,
                (
                    [_quote(x["source"]), _quote(x["target"]), _quote(rel_type)]
                    + [_cell(x["properties"].get(c), delim) for c in cols]
                    for x in f.items
                ),
            )
            rel_files.append(path)
    multiline = any(
        isinstance(v, str) and ("\n" in v or "\r" in v)
        for item in [*nodes, *rels]
        for v in item["properties"].values()
    )
    script = out / IMPORT_SCRIPT
    script.write_text(_import_script(node_files, rel_files, delim, multiline), encoding="utf-8")
    script.chmod(0o755)
    if schema is None:
        from .backends.neo4j import schema_statements
        from .model import load_model
        from .writes import indexed_labels

        schema = schema_statements(indexed_labels(load_model()))
    (out / SCHEMA_SCRIPT).write_text("".join(s + ";\n" for s in schema), encoding="utf-8")
    return [str(p) for p in [*node_files, *rel_files, script, out / SCHEMA_SCRIPT]]


def _import_script(nodes: list[Path], rels: list[Path], delim: str, multiline: bool) -> str:
    args = [f"--nodes={p.name}" for p in nodes] + [f"--relationships={p.name}" for p in rels]
    args.append(f"--array-delimiter='{delim}'")
    if multiline:  # some values hold line breaks
        args.append("--multiline-fields=true")
    lines = [
        "#!/bin/sh",
        _MARK,
        "# Imports these files into a NEW Neo4j 5 database, the fast route for a big graph.",
        "# Usage: ./import.sh [DATABASE]  (default neo4j; set NEO4J_ADMIN=/path/to/neo4j-admin)",
        "# The database must not exist yet (for `neo4j`: stop the server, and add",
        "# --overwrite-destination=true once you are sure).  Afterwards, start it (Enterprise:",
        "# CREATE DATABASE name), create civicgraph's constraint and indexes, and derive the",
        "# facts civicgraph computes (a term's party, a city's size class; not in these files):",
        '#   cypher-shell -d "${1:-neo4j}" -f schema.cypher',
        "#   NEO4J_URI=neo4j://host:7687 NEO4J_DATABASE=... civicgraph derive",
        "set -eu",
        'cd "$(dirname "$0")"',
        '"${NEO4J_ADMIN:-neo4j-admin}" database import full \\',
        *(f"  {a} \\" for a in args),
        '  "${1:-neo4j}"',
        "",
    ]
    return "\n".join(lines)
