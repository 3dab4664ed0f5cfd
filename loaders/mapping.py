"""Mapping-driven loads: a YAML file says which columns of a CSV or JSON Lines file make which
nodes and relationships (the README's "With a mapping").

>>> spec = check_mapping({"nodes": [{"label": "City", "id": "insee:{code}"}]})
>>> spec["nodes"][0]["label"]
'City'
"""

from __future__ import annotations

import codecs
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from civicgraph.graph.errors import ConfigurationError, InvalidProperty, LoadError
from civicgraph.graph.model import check_reserved, known_name, load_model

from .categories import Categories, parse_map
from .files import date_cell
from .graphfiles import jsonl_rows
from .records import NodeRecord, Reject, RelRecord
from .text import (
    DATE_KEYS,
    TEXT_COLUMNS,
    ColumnTypes,
    cell_text,
    column_kinds,
    read_csv_dicts,
    split_sources,
    typed_value,
)

__all__ = ["check_mapping", "load_mapping", "read_mapped"]


_MAPPING_KEYS = {
    "format",
    "delimiter",
    "encoding",
    "nodes",
    "relationships",
    "source",
    "skip_lines",
    "map",
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


def _literal_or_template(
    spec: Any, row: dict[str, Any], *, file: str, line: int, field: str
) -> Any:
    """A label or type: written as it is (``City``), or a ``{column}`` template."""
    if isinstance(spec, str) and "{" in spec:
        return _template(spec, row, file=file, line=line, field=field)
    return spec


def load_mapping(path: str | Path) -> dict[str, Any]:
    """Read and check a mapping YAML file."""
    p = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise LoadError(
            f"not valid YAML: {exc.problem or exc.context}"
            + (f" (column {mark.column + 1})" if mark is not None else ""),
            file=p,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LoadError(f"not valid YAML: {' '.join(str(exc).split())}", file=p) from None
    except FileNotFoundError:
        raise LoadError("file not found", file=p) from None
    if not isinstance(data, dict):
        raise LoadError("a mapping file must be a YAML mapping", file=p)
    return check_mapping(data, p)


def check_mapping(data: dict[str, Any], p: str = "the mapping") -> dict[str, Any]:
    """Check a mapping (read from the YAML file *p*); return it with its properties' names
    spelled civicgraph's way."""
    data = {
        **data,
        **{
            key: [dict(spec) if isinstance(spec, dict) else spec for spec in data[key]]
            for key in ("nodes", "relationships")
            if isinstance(data.get(key), list)
        },
    }
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
        spec["properties"] = _mapped_keys(spec, f"nodes[{i}]", relationship=False, file=p)
    for i, spec in enumerate(data.get("relationships", []), 1):
        for k in ("type", "source", "target"):
            if k not in spec:
                raise LoadError(f"relationships[{i}] lacks {k!r}", file=p, field=k)
        if not isinstance(spec.get("properties", {}), dict):
            raise LoadError(
                f"relationships[{i}].properties must be a mapping", file=p, field="properties"
            )
        spec["properties"] = _mapped_keys(spec, f"relationships[{i}]", relationship=True, file=p)
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
    if "map" in data:
        if not isinstance(data["map"], dict):
            raise LoadError("map must be a mapping of WORD: Label", file=p, field="map")
        try:
            data["map"] = parse_map(data["map"])
        except ConfigurationError as exc:
            raise LoadError(exc.message, file=p, field="map") from None
    skip = data.get("skip_lines", 0)
    if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
        raise LoadError(
            f"skip_lines must be a whole number, not {skip!r}", file=p, field="skip_lines"
        )
    return data


def _mapped_keys(
    spec: dict[str, Any], where: str, *, relationship: bool, file: str
) -> dict[str, Any]:
    """A mapping's ``properties`` with known names spelled civicgraph's way; a reserved
    name is refused (a node's id comes from its ``id:``, not from a property)."""
    out: dict[str, Any] = {}
    for key, column in (spec.get("properties") or {}).items():
        name = known_name(str(key), relationship=relationship)
        try:
            check_reserved(name, relationship=relationship)
            if name == "id":
                raise InvalidProperty(
                    f"property {key!r} is reserved: the node's id comes from {where}.id"
                )
        except InvalidProperty as exc:
            raise LoadError(f"{where}.properties: {exc}", file=file, field=str(key)) from None
        if name in out:
            raise LoadError(f"{where}.properties names {name!r} twice", file=file, field=str(key))
        out[name] = column
    return out


def read_mapped(
    path: str | Path,
    mapping: dict[str, Any] | str | Path,
    *,
    fmt: str | None = None,
    default_source: str | None = None,
    encoding: str | Callable[[], str] | None = None,
    categories: Categories | None = None,
    dayfirst: bool = False,
) -> Iterator[NodeRecord | RelRecord | Reject]:
    """Records from a CSV or JSON Lines file through a mapping (see README "Mapping files")::

    format: csv
    delimiter: ";"
    map: {CSO: Organization, partenaire: PARTNER_OF}
    nodes:
      - label: City
        id: "insee:{code}"
        properties: {name: nom, population: population}
      - label: "{type}"          # a column, in the user's words (map:, or the built-in table)
        id: "org:{slug}"
    relationships:
      - type: PART_OF
        source: "insee:{code}"
        target: "dep:{dep}"

    A CSV file is read in the mapping's ``encoding``, else *encoding* (a function: asked
    only when needed, as detection reads the file), else UTF-8.  Labels and types, written
    or read from a column, go through the mapping's ``map:`` and *categories*.  With
    *dayfirst*, slashed dates are read day first.
    """
    mapping = load_mapping(mapping) if not isinstance(mapping, dict) else check_mapping(mapping)
    p = str(path)
    cats = Categories(
        {**(categories.user if categories is not None else {}), **mapping.get("map", {})}
    )
    model = load_model()
    if "encoding" in mapping or encoding is None:
        text_encoding = mapping.get("encoding", "utf-8")
    else:
        text_encoding = encoding() if callable(encoding) else encoding
    fmt = fmt or mapping.get("format") or ("jsonl" if p.endswith((".jsonl", ".ndjson")) else "csv")
    text = fmt == "csv"
    if fmt == "csv":

        def rows() -> Iterator[tuple[int, dict[str, Any]]]:
            return read_csv_dicts(
                path,
                delimiter=mapping.get("delimiter", ","),
                encoding=text_encoding,
                skip_lines=int(mapping.get("skip_lines", 0)),
            )

    elif fmt == "jsonl":

        def rows() -> Iterator[tuple[int, dict[str, Any]]]:
            return jsonl_rows(path, mapping.get("encoding", "utf-8"))

    else:
        raise LoadError(f"unknown format {fmt!r} (csv or jsonl)", file=p, field="format")
    columns = {
        col
        for spec in [*mapping.get("nodes", []), *mapping.get("relationships", [])]
        for key, col in (spec.get("properties") or {}).items()
        if isinstance(col, str)
        and not col.startswith("=")
        and "{" not in col
        and key not in TEXT_COLUMNS
        and key != "sources"
    }
    # A CSV is text: one type per column, from a first pass (JSON values keep their type).
    kinds = column_kinds((r for _, r in rows()), columns) if text and columns else {}
    types = ColumnTypes(kinds)

    def value(owner: str, key: str, col: Any, val: Any) -> Any:
        """A mapped property's value, typed as the schema or its column says."""
        if key in DATE_KEYS:
            return date_cell(val, dayfirst) if isinstance(val, str) else val
        if key == "sources":
            return split_sources(val)
        if isinstance(val, str):
            column = col if isinstance(col, str) else None
            return val if key == "name" else typed_value(val, types.kind(owner, key, column))
        if types.declared(owner, key) == "string" and type(val) in (int, float):
            return str(val)  # a JSON number where the schema wants text (a code)
        return val

    def properties(
        spec: dict[str, Any], owner: str, row: dict[str, Any], lineno: int
    ) -> dict[str, Any]:
        """A node's or relationship's properties from its *spec*'s columns (empty cells
        are none), with its sources: the row's, else the spec's, else the file's."""
        props: dict[str, Any] = {}
        for key, col in spec["properties"].items():
            val = _template(col, row, file=p, line=lineno, field=str(key))
            if val not in (None, ""):
                props[key] = value(owner, key, col, val)
        if "sources" not in props:
            srcs = spec.get("sources") or ([default_source] if default_source else [])
            props["sources"] = split_sources(srcs)
        return props

    for lineno, raw in rows():
        row = (
            {k: cell_text(v)[0] if isinstance(v, str) else v for k, v in raw.items()}
            if text
            else raw
        )
        for spec in mapping.get("nodes", []):
            node_id = _template(spec["id"], row, file=p, line=lineno, field="id")
            if node_id in (None, ""):
                continue
            raw = _literal_or_template(spec["label"], row, file=p, line=lineno, field="label")
            label = cats.label(str(raw))
            if label not in model.labels:
                yield Reject(
                    p,
                    lineno,
                    "label",
                    f"unknown label {raw!r}; allowed: {', '.join(model.labels)}; "
                    + cats.label_hint(),
                    f"{raw} {node_id}",
                )
                continue
            props = {"id": str(node_id), **properties(spec, label, row, lineno)}
            yield NodeRecord(label, props, p, lineno)
        for spec in mapping.get("relationships", []):
            s = _template(spec["source"], row, file=p, line=lineno, field="source")
            t = _template(spec["target"], row, file=p, line=lineno, field="target")
            if s in (None, "") or t in (None, ""):
                continue
            raw = _literal_or_template(spec["type"], row, file=p, line=lineno, field="type")
            rtype = cats.rel_type(str(raw))
            rprops = properties(spec, rtype, row, lineno)
            yield RelRecord(rtype, str(s), str(t), rprops, p, lineno)
