"""The stored-query catalogue: one ``.cypher`` file per query, its header parsed as metadata.

File format (the header is the leading ``//`` comment block)::

    // Members of a network on a date, with kind, size class and mayor.
    // More description lines become the docstring.
    // @param network string  the network id, e.g. net:anvita
    // @param date date = 2022-09-01  the "as of" date
    MATCH (m)-[r:MEMBER_OF]->(n:Network {id: $network}) ...

* the name is the file stem; a subfolder becomes a namespace (``alliance/members.cypher`` →
  ``alliance.members``), as in aiosql;
* ``@param NAME TYPE [= DEFAULT] [{a|b|c}] [description]`` with TYPE one of string, id,
  int, float, bool, date, list (``id``: text naming a node; a value no node has is
  reported with the node whose name it is, :func:`civicgraph.graph.find.missing_ids`);
  a default makes the parameter optional (``= null``: optional with
  no value); ``{a|b|c}`` restricts the values;
* ``@write`` declares a query that writes; every other query runs read-only, enforced by the
  engine (FalkorDB ``GRAPH.RO_QUERY``, Neo4j read transactions);
* ``@order A B`` adds a column ``order``: whether the order of the dates in columns ``A``
  and ``B`` is ``certain`` or ``uncertain`` at their precisions
  (:func:`civicgraph.graph.dates.order`: an exit in ``2020`` against a change on
  ``2020-05-25`` is uncertain), so the rule lives in one place, not in each query;
* ``name.falkordb.cypher`` / ``name.neo4j.cypher`` beside ``name.cypher`` is a dialect variant,
  used on that engine only.

Results come back as every output shows them: a date column ``X`` returned with an
``X_precision`` column is printed at that precision (``2020``, ``2020-05``), and the
precision column is dropped (:func:`civicgraph.graph.dates.display_row`).

The ``$parameters`` used in the text (read after stripping comments and string literals,
like datasette's ``named_parameters``) must equal the declared ones, else the catalogue
refuses to load and names the file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, LiteralString, cast

from civicgraph.graph import dates, gcpause
from civicgraph.graph.errors import (
    InvalidParameter,
    InvalidQueryFile,
    MissingParameter,
    QueryNotFound,
    UnknownParameter,
)
from civicgraph.graph.model import nfc
from civicgraph.graph.paths import package_dir
from civicgraph.graph.results import QueryResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    from civicgraph.graph.store import Store

__all__ = [
    "PARAM_TYPES",
    "Catalogue",
    "Param",
    "QueryResult",
    "StoredQuery",
    "load_catalogue",
    "named_parameters",
    "queries_path",
    "queries_paths",
]

PARAM_TYPES = ("string", "id", "int", "float", "bool", "date", "list")
ENGINES = ("falkordb", "neo4j")
_PARAM_LINE = re.compile(
    r"^@param\s+(?P<name>[A-Za-z_]\w*)\s+(?P<type>\w+)"
    r"(?:\s*=\s*(?P<default>\S+))?(?:\s*\{(?P<choices>[^}]*)\})?(?:\s+(?P<doc>.*))?$"
)
_PARAM_USE = re.compile(r"\$([A-Za-z_]\w*)")


def named_parameters(text: str) -> set[str]:
    """The ``$names`` a Cypher statement uses, ignoring comments and string literals.

    Strings go first so that ``'//'`` inside a literal is not taken for a comment, and
    ``'$x'`` inside a literal is not taken for a parameter.

    >>> sorted(named_parameters("MATCH (n {id: $id}) // $not\\nRETURN '$no', $date"))
    ['date', 'id']
    """
    out = []
    pos = 0
    # Walk the text once so that strings and comments are recognised in order.
    token = re.compile(
        r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.DOTALL
    )
    for m in token.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
    out.append(text[pos:])
    return set(_PARAM_USE.findall(" ".join(out)))


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any = None
    required: bool = True
    doc: str = ""
    choices: tuple[str, ...] = ()

    def convert(self, value: Any) -> Any:
        """Turn a CLI string (or a Python value) into the declared type, or raise."""
        if value is None and not self.required and self.default is None:
            return None
        out = self._convert(value)
        if self.choices and out not in self.choices:
            raise InvalidParameter(
                f"parameter {self.name!r}: {value!r} is not one of {', '.join(self.choices)}",
                field=self.name,
            )
        return out

    def _convert(self, value: Any) -> Any:
        t = self.type
        try:
            if t in ("string", "id"):
                if not isinstance(value, str):
                    raise ValueError("expected a string")
                # NFC, as ids are stored: person:carême typed either way finds the node
                return nfc(value)
            if t == "int":
                if isinstance(value, bool):
                    raise ValueError("expected an integer")
                if isinstance(value, int):
                    return value
                if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
                    return int(value)
                raise ValueError("expected an integer")
            if t == "float":
                return float(value)
            if t == "bool":
                if isinstance(value, bool):
                    return value
                if str(value).lower() in ("true", "1", "yes"):
                    return True
                if str(value).lower() in ("false", "0", "no"):
                    return False
                raise ValueError("expected true or false")
            if t == "date":
                return dates.check_day(value, name="")
            if t == "list":
                if isinstance(value, list | tuple):
                    return [nfc(v) for v in value]
                if isinstance(value, str):
                    text = value.strip()
                    if text.startswith("["):
                        parsed = json.loads(text)
                        if not isinstance(parsed, list):
                            raise ValueError("expected a list")
                        return [nfc(v) for v in parsed]
                    return [nfc(v.strip()) for v in text.split(",") if v.strip()]
                raise ValueError("expected a list")
        except (ValueError, TypeError) as exc:
            raise InvalidParameter(
                f"parameter {self.name!r} ({self.type}): {value!r} is not valid: "
                f"{str(exc) or 'bad value'}",
                field=self.name,
            ) from None
        raise InvalidParameter(f"parameter {self.name!r} has unknown type {t!r}", field=self.name)


@dataclass
class StoredQuery:
    """One stored query: its name, description, parameters and Cypher text."""

    name: str
    path: Path
    text: str
    description: str = ""
    params: dict[str, Param] = field(default_factory=dict)
    write: bool = False
    variants: dict[str, str] = field(default_factory=dict)
    #: ``@order A B``: the two date columns whose order the ``order`` column judges
    order: tuple[str, str] | None = None

    @property
    def summary(self) -> str:
        """The description's first sentence (which may span several header lines).

        >>> StoredQuery("q", Path("q.cypher"), "", "Members of a network.\\nMore.").summary
        'Members of a network.'
        """
        text = " ".join(self.description.split())
        depth = 0
        for i, c in enumerate(text):
            depth += (c == "(") - (c == ")")
            if depth == 0 and c in ".:" and text[i + 1 : i + 2] in ("", " "):
                return text[: i + (c == ".")]
        return text

    def text_for(self, engine: str) -> LiteralString:
        # Query text comes from files we ship or the user chose: trusted, cast once here.
        return cast(LiteralString, self.variants.get(engine, self.text))

    def bind(self, values: dict[str, Any] | None) -> dict[str, Any]:
        """Check and convert parameter values: unknown, missing and ill-typed ones raise."""
        values = dict(values or {})
        unknown = sorted(set(values) - set(self.params))
        if unknown:
            raise UnknownParameter(
                f"query {self.name!r} has no parameter {unknown[0]!r}; "
                f"it takes: {', '.join(self.params) or 'none'}",
                field=unknown[0],
            )
        out = {}
        for name, p in self.params.items():
            if name in values:
                out[name] = p.convert(values[name])
            elif not p.required:
                out[name] = p.default
            else:
                raise MissingParameter(
                    f"query {self.name!r} needs parameter {name!r} ({p.type})"
                    + (f": {p.doc}" if p.doc else ""),
                    field=name,
                )
        return out

    def missing_ids(self, store: Store, params: dict[str, Any] | None = None) -> list[str]:
        """A line for each ``id`` parameter in *params* that no node has, naming the node
        whose name or id it matches best (``-p city=Grenoble``: ``insee:38185``)."""
        from civicgraph.graph.find import missing_ids

        bound = self.bind(params)
        return missing_ids(store, [bound[n] for n, p in self.params.items() if p.type == "id"])

    def run(self, store: Store, params: dict[str, Any] | None = None) -> QueryResult:
        """Run on *store*: read-only unless the file declares ``@write``.

        Returns a :class:`~civicgraph.graph.results.QueryResult`: a list of row dicts as
        every output shows them (:meth:`present`), which also carries the query's name, the
        parameters it ran with, the text that ran, and ``.to_df()`` for pandas.
        """
        bound = self.bind(params)
        text = self.text_for(store.engine)
        rows = store.execute(text, bound) if self.write else store.query(text, bound)
        # A row dict per row, kept: the cyclic collector would walk them all again and again
        # (the national leadership_changes, 13,749 rows: 0.16-0.41 s with it, see gcpause).
        with gcpause.paused():
            return QueryResult(
                (self.present(r) for r in rows), query=self.name, params=bound, text=text
            )

    def present(self, row: dict[str, Any]) -> dict[str, Any]:
        """A raw result row as outputs show it: the ``order`` column, dates at precision."""
        if self.order is not None:
            a, b = self.order
            judged = dates.order(
                row.get(a), row.get(f"{a}_precision"), row.get(b), row.get(f"{b}_precision")
            )
            out: dict[str, Any] = {}
            for key, value in row.items():
                out[key] = value
                if key == b:
                    out["order"] = judged
            row = out
        return dates.display_row(row)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "write": self.write,
            "params": [
                {
                    "name": p.name,
                    "type": p.type,
                    "required": p.required,
                    "default": p.default,
                    "doc": p.doc,
                    "choices": list(p.choices),
                }
                for p in self.params.values()
            ],
            "file": str(self.path),
        }


def _parse_header(
    path: Path, text: str
) -> tuple[str, dict[str, Param], bool, tuple[str, str] | None]:
    lines = text.splitlines()
    desc: list[str] = []
    params: dict[str, Param] = {}
    write = False
    order: tuple[str, str] | None = None
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if desc or params:
                continue
            continue
        if not stripped.startswith("//"):
            break
        body = stripped[2:].strip()
        if body.startswith("name:"):
            continue  # the file stem is the name; a name: line is informative only
        if body.startswith("@param"):
            m = _PARAM_LINE.match(body)
            if not m:
                raise InvalidQueryFile(
                    f"{path}: cannot parse {body!r} (expected '@param NAME TYPE [= DEFAULT] [doc]')"
                )
            ptype = m["type"]
            if ptype not in PARAM_TYPES:
                raise InvalidQueryFile(
                    f"{path}: parameter {m['name']!r} has unknown type "
                    f"{ptype!r}; use one of {', '.join(PARAM_TYPES)}"
                )
            if m["name"] in params:
                raise InvalidQueryFile(f"{path}: parameter {m['name']!r} declared twice")
            choices = tuple(c.strip() for c in (m["choices"] or "").split("|") if c.strip())
            doc = (m["doc"] or "").strip()
            p = Param(m["name"], ptype, None, m["default"] is None, doc, choices)
            if m["default"] is not None:
                # "= null" makes a parameter optional with no value (the query tests IS NULL).
                default = (
                    None
                    if m["default"] == "null"
                    else Param(p.name, ptype, choices=choices).convert(m["default"])
                )
                p = Param(p.name, ptype, default, False, doc, choices)
            params[p.name] = p
        elif body == "@write":
            write = True
        elif body.startswith("@order"):
            cols = body.split()[1:]
            if len(cols) != 2:
                raise InvalidQueryFile(f"{path}: expected '@order COLUMN COLUMN', got {body!r}")
            order = (cols[0], cols[1])
        elif body.startswith("@"):
            raise InvalidQueryFile(f"{path}: unknown header directive {body.split()[0]!r}")
        else:
            desc.append(body)
    return "\n".join(desc).strip(), params, write, order


@dataclass
class Catalogue:
    """All stored queries under a folder.

    >>> cat = load_catalogue()
    >>> "network_members" in cat.names()
    True
    """

    queries: dict[str, StoredQuery] = field(default_factory=dict)

    def names(self) -> list[str]:
        return sorted(self.queries)

    def get(self, name: str) -> StoredQuery:
        try:
            return self.queries[name]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(name, self.queries, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise QueryNotFound(
                f"no stored query named {name!r}{hint} (`civicgraph queries` lists them)"
            ) from None

    def run(self, store: Store, name: str, params: dict[str, Any] | None = None) -> QueryResult:
        """Run the stored query *name* (see :meth:`StoredQuery.run`)."""
        return self.get(name).run(store, params)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.queries[n] for n in self.names())


def queries_path() -> Path:
    """Folder of the shipped ``.cypher`` queries."""
    return package_dir("civicgraph.queries")


def queries_paths() -> list[Path]:
    """The folders of the catalogue: the shipped queries, then each folder of
    ``CIVICGRAPH_QUERIES_PATH`` (``:``-separated, as ``PATH``; empty entries are skipped)."""
    env = os.environ.get("CIVICGRAPH_QUERIES_PATH", "")
    return [queries_path(), *(Path(p) for p in env.split(os.pathsep) if p)]


def load_catalogue(path: str | Path | Sequence[str | Path] | None = None) -> Catalogue:
    """Load and check every ``.cypher`` file under *path*: a folder, or several (default:
    :func:`queries_paths`, the shipped queries and ``CIVICGRAPH_QUERIES_PATH``'s folders).

    A name found in two folders is an error naming both files: a query never silently
    hides another.
    """
    if path is None:
        folders = queries_paths()
    else:
        folders = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    cat = Catalogue()
    for folder in folders:
        if not folder.is_dir():
            raise InvalidQueryFile(
                f"{folder}: no such folder of queries (check CIVICGRAPH_QUERIES_PATH)"
            )
        for name, query in _load_folder(folder).queries.items():
            if name in cat.queries:
                raise InvalidQueryFile(
                    f"two queries named {name!r}: {cat.queries[name].path} and {query.path} "
                    "(rename one: a folder added with CIVICGRAPH_QUERIES_PATH adds to the "
                    "shipped queries, it does not replace them)"
                )
            cat.queries[name] = query
    return cat


def _load_folder(folder: Path) -> Catalogue:
    cat = Catalogue()
    variants: list[tuple[Path, str, str]] = []
    for file in sorted(folder.rglob("*.cypher")):
        rel = file.relative_to(folder)
        parts = file.name[: -len(".cypher")].split(".")
        if len(parts) == 2 and parts[1] in ENGINES:
            variants.append((file, parts[1], ".".join([*rel.parent.parts, parts[0]])))
            continue
        if len(parts) != 1:
            raise InvalidQueryFile(f"{file}: a query file is NAME.cypher or NAME.ENGINE.cypher")
        name = ".".join([*rel.parent.parts, parts[0]])
        text = file.read_text(encoding="utf-8")
        desc, params, write, order = _parse_header(file, text)
        _check_params(file, text, params)
        cat.queries[name] = StoredQuery(name, file, text, desc, params, write, order=order)
    for file, engine, name in variants:
        if name not in cat.queries:
            raise InvalidQueryFile(f"{file}: dialect variant of unknown query {name!r}")
        text = file.read_text(encoding="utf-8")
        _check_params(file, text, cat.queries[name].params)
        cat.queries[name].variants[engine] = text
    return cat


def _check_params(file: Path, text: str, params: dict[str, Param]) -> None:
    used = named_parameters(text)
    undeclared = sorted(used - set(params))
    unused = sorted(set(params) - used)
    if undeclared:
        raise InvalidQueryFile(
            f"{file}: uses ${undeclared[0]} but its header does not declare it "
            f"(add '// @param {undeclared[0]} TYPE')"
        )
    if unused:
        raise InvalidQueryFile(f"{file}: declares parameter {unused[0]!r} but never uses it")
