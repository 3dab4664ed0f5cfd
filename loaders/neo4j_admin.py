"""Read the ``neo4j-admin database import`` CSV format: civicgraph's own export, or other tools'.

Each file carries its own header row of ``name:type`` fields (Neo4j's "CSV header format";
:mod:`civicgraph.graph.neo4j_admin` writes it):

* a **node file** has an ``ID`` field (``id:ID``, ``:ID``, ``cityId:ID(City)``): its value is the
  node's civicgraph id, whatever the field's name; and a ``:LABEL`` field (labels separated by
  the array delimiter): one label of the schema, besides ``Entity``/``Actor``, which civicgraph
  adds itself;
* a **relationship file** has ``:START_ID``, ``:END_ID`` and ``:TYPE`` fields (an ID space in
  brackets, ``:START_ID(City)``, is accepted: civicgraph ids are global, each with its
  label's prefix, so two ID spaces cannot hold the same id);
* any other field is a property: ``name`` (a string, the default), or typed ``int``, ``long``,
  ``short``, ``byte``, ``float``, ``double``, ``boolean``, ``char``, ``string``, the temporal
  types (kept as written: civicgraph stores dates as ISO strings) and arrays ``type[]`` whose
  items are separated by the array delimiter (``;``); ``:IGNORE`` fields are skipped.

An empty field is no property.  A value that does not fit its type (``population:int`` =
``many``, ``derived:boolean`` = ``yes``) stops the load with the file, line and field, where
``neo4j-admin`` would import a wrong value silently.  ``point`` values cannot be stored.
Options (``--option``): ``delimiter`` (default ``,``; ``TAB`` for tabs) and
``array_delimiter`` (default ``;``), as neo4j-admin's ``--delimiter`` and ``--array-delimiter``.

The files are a database dump, like civicgraph's JSON Lines: they are loaded as they are,
without a ``Source`` for the file (their records name their own sources).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civicgraph.graph.errors import LoadError

from .api import register_reader
from .records import NodeRecord, RelRecord, specific_label
from .register_common import header_fields
from .text import read_csv_dicts

__all__ = ["Field", "parse_header", "read_neo4j_admin"]

_FIELD = re.compile(
    r"^(?P<name>[^:]*)(?::(?P<type>[A-Za-z_]+)(?:\((?P<space>[^)]*)\))?(?P<array>\[\])?"
    r"(?P<options>\{.*\})?)?$"
)
_SPECIAL = ("ID", "LABEL", "START_ID", "END_ID", "TYPE", "IGNORE")
_INTS = ("int", "long", "short", "byte")
_FLOATS = ("float", "double")
_TEXT = ("string", "char", "date", "localtime", "time", "localdatetime", "datetime", "duration")
_BOOLS = {"true": True, "false": False}


@dataclass(frozen=True)
class Field:
    """One header field: a property (``name``, ``type``, ``array``) or a special field."""

    column: str
    name: str
    type: str  # a property type, or ID, LABEL, START_ID, END_ID, TYPE, IGNORE
    array: bool = False

    @property
    def special(self) -> bool:
        return self.type in _SPECIAL


def parse_header(columns: list[str], file: str) -> list[Field]:
    """The fields of a header row, checked.

    >>> [(f.name, f.type, f.array) for f in parse_header(
    ...     ["cityId:ID(City)", "name", "population:int", "sources:string[]", ":LABEL"], "c.csv")]
    [('cityId', 'ID', False), ('name', 'string', False), ('population', 'int', False), ('sources', 'string', True), ('', 'LABEL', False)]
    """
    fields = []
    for column in columns:
        m = _FIELD.match(column)
        kind = (m["type"] or "string") if m else ""
        if m and kind.upper() in _SPECIAL:
            kind = kind.upper()
        elif m:
            kind = kind.lower()
        if (
            not m
            or not (kind in _SPECIAL or kind in (*_INTS, *_FLOATS, *_TEXT, "boolean", "point"))
            or (kind in _SPECIAL and m["array"])
        ):
            raise LoadError(
                f"header field {column!r} is not name:type with a neo4j-admin type "
                "(int, long, float, double, boolean, string, date…, or ID, LABEL, START_ID, "
                "END_ID, TYPE, IGNORE)",
                file=file,
                line=1,
                field=column,
            )
        if kind not in _SPECIAL and not m["name"]:
            raise LoadError("a property field needs a name", file=file, line=1, field=column)
        fields.append(Field(column, m["name"], kind, bool(m["array"])))
    return fields


def _detect(path: Path) -> bool:
    if not path.name.endswith((".csv", ".csv.gz")):
        return False
    types = {f.split(":", 1)[1].split("(")[0].upper() for f in header_fields(path) if ":" in f}
    return "ID" in types or {"START_ID", "END_ID"} <= types


def _convert(f: Field, text: str, delim: str, file: str, line: int) -> Any:
    """*text* as *f*'s type (an array: items split on *delim*), or a LoadError."""
    if f.array:
        return [_scalar(f, item, file, line) for item in text.split(delim) if item != ""]
    return _scalar(f, text, file, line)


def _scalar(f: Field, text: str, file: str, line: int) -> Any:
    kind = f.type
    try:
        if kind in _INTS:
            return int(text.strip())
        if kind in _FLOATS:
            return float(text.strip())
        if kind == "boolean":
            return _BOOLS[text.strip().lower()]
    except (ValueError, KeyError):
        want = (
            "true or false" if kind == "boolean" else "an integer" if kind in _INTS else "a number"
        )
        raise LoadError(f"{text!r} is not {want}", file=file, line=line, field=f.name) from None
    if kind == "point":
        raise LoadError(
            "point values cannot be stored by civicgraph", file=file, line=line, field=f.name
        )
    return text


@register_reader("neo4j-admin", _detect)
def read_neo4j_admin(
    path: str | Path,
    *,
    delimiter: str = ",",
    array_delimiter: str = ";",
) -> Iterator[NodeRecord | RelRecord]:
    """Nodes or relationships from one neo4j-admin CSV file (see the module docstring).

    Examples
    --------
    >>> load(store, ["adm/nodes_City.csv", "adm/relationships_PART_OF.csv"],
    ...      fmt="neo4j-admin")                                   # doctest: +SKIP
    """
    p = str(path)
    delimiter = "\t" if delimiter.upper() == "TAB" else delimiter
    array_delimiter = "\t" if array_delimiter.upper() == "TAB" else array_delimiter
    if len(delimiter) != 1 or len(array_delimiter) != 1:
        raise LoadError("delimiter and array_delimiter must be one character", file=p)
    rows = read_csv_dicts(path, delimiter=delimiter)
    fields: list[Field] | None = None
    for lineno, row in rows:
        if fields is None:
            fields = parse_header(list(row), p)
            kinds = [f.type for f in fields]
            node = "ID" in kinds
            if node == ("START_ID" in kinds or "END_ID" in kinds):
                raise LoadError(
                    "a neo4j-admin file has an ID field (nodes) or START_ID and END_ID fields "
                    "(relationships)",
                    file=p,
                    line=1,
                )
            need = ("ID", "LABEL") if node else ("START_ID", "END_ID", "TYPE")
            for kind in need:
                if kinds.count(kind) != 1:
                    raise LoadError(
                        f"needs one :{kind} field"
                        + (
                            " (civicgraph takes labels and types from the files)"
                            if kind in ("LABEL", "TYPE")
                            else ""
                        ),
                        file=p,
                        line=1,
                        field=f":{kind}",
                    )
        props: dict[str, Any] = {}
        special: dict[str, str] = {}
        for f in fields:
            text = row[f.column]
            if f.type == "IGNORE":
                continue
            if f.special:
                special[f.type] = text.strip()
            elif text != "":
                props[f.name] = _convert(f, text, array_delimiter, p, lineno)
        if node:
            labels = [x for x in special["LABEL"].split(array_delimiter) if x.strip()]
            label = specific_label(labels, file=p, line=lineno, field=":LABEL")
            yield NodeRecord(label, {**props, "id": special["ID"]}, p, lineno)
        else:
            props.pop("id", None)  # derived from (type, ends, start) on every load
            yield RelRecord(
                special["TYPE"], special["START_ID"], special["END_ID"], props, p, lineno
            )
