"""What a write is: storable values, a relationship's identity and sources, and the Cypher
statements the store plans for batches (``UNWIND $rows … CREATE|MERGE``).

Kept apart from :mod:`civicgraph.graph.store` (which runs them) so that the statements can be
listed — Neo4j's own linter checks every one (``tools/cypher_lint.py``) — and the value rules
read on their own.  Labels and relationship types reach the text only from the schema's
allow-list; values only as parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InvalidProperty, LoadError
from .model import Model, check_id

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .bulk import BulkWrite

__all__ = [
    "DIFF",
    "ENDS",
    "INSPECT",
    "PRESENT",
    "PREREAD_NODES",
    "VERDICT",
    "PreparedWrite",
    "WriteCounts",
    "check_row_ids",
    "clean_props",
    "indexed_labels",
    "label_clash",
    "merge_props",
    "node_writes",
    "prepared_write",
    "preread_relationships_query",
    "relationship_writes",
    "sort_rows",
    "statements",
]

_PRIMITIVES = (str, int, float, bool)
_INT64 = (-(2**63), 2**63 - 1)


@dataclass
class WriteCounts:
    """What a write did: rows it was given, and how many it created, updated or left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: WriteCounts) -> WriteCounts:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class PreparedWrite:
    """One planned batch: its statements (each one atomic ``UNWIND $rows …``, with its
    parameters) and the counts it will produce.

    ``idempotent`` holds the same rows as one ``MERGE`` statement, which cannot create a
    node or relationship twice: it is what runs when the engine was restarted under this
    batch and the ``CREATE`` may or may not have committed.  ``None`` when ``statements``
    are only ``MERGE`` already.

    ``bulk`` holds rows to create with the engine's bulk command before the statements
    run (:mod:`civicgraph.graph.bulk`); they are in ``idempotent`` too.
    """

    statements: list[tuple[str, dict[str, Any]]]
    counts: WriteCounts
    idempotent: list[tuple[str, dict[str, Any]]] | None = None
    bulk: BulkWrite | None = None

    def written_rows(self) -> list[dict[str, Any]]:
        """Every row this write creates or updates, in its ``MERGE`` form (``id``,
        ``props``; a relationship's also ``source`` and ``target``): the rows of
        ``idempotent``, else of the statements (only ``MERGE`` then).  Ask before
        :meth:`~civicgraph.graph.store.Store.compile`, which turns rows into text."""
        return [
            row
            for _, params in (self.idempotent or self.statements)
            for row in params.get("rows", ())
        ]


def _check_scalar(key: str, value: Any) -> None:
    """Refuse what the engines cannot store (FalkorDB fails on these, or clamps the int)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidProperty(f"property {key!r}: contains a NUL character", field=key)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidProperty(f"property {key!r}: not valid Unicode", field=key) from None
    elif isinstance(value, bool):
        return
    elif isinstance(value, int) and not _INT64[0] <= value <= _INT64[1]:
        raise InvalidProperty(f"property {key!r}: {value} does not fit in 64 bits", field=key)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidProperty(f"property {key!r}: {value} is not a finite number", field=key)


def clean_props(props: dict[str, Any]) -> dict[str, Any]:
    """Drop ``None``/empty values and check every value is storable on both engines.

    This runs on every record of every load (a million for the national councillors), so
    the common cases (``str``, ``int``, lists of ``str``) take a fast path.
    """
    out: dict[str, Any] = {}
    for key, value in props.items():
        kind = type(value)
        if kind is str:
            if not value:
                continue
            if "\x00" in value or not (value.isascii() or _encodes(value)):
                _check_scalar(key, value)  # raises with the reason
            out[key] = value
        elif kind is list and value and all(type(v) is str for v in value):
            for item in value:
                if "\x00" in item or not (item.isascii() or _encodes(item)):
                    _check_scalar(key, item)
            out[key] = value
        elif value is None or value == [] or value == ():
            continue
        elif isinstance(value, _PRIMITIVES):
            _check_scalar(key, value)
            out[key] = value
        elif isinstance(value, list | tuple):
            items = list(value)
            kinds = {type(v) for v in items}
            if len(kinds) > 1 or not all(isinstance(v, _PRIMITIVES) for v in items):
                raise InvalidProperty(
                    f"property {key!r}: a list must hold values of one simple type", field=key
                )
            for item in items:
                _check_scalar(key, item)
            out[key] = items
        else:
            raise InvalidProperty(
                f"property {key!r}: cannot store a {type(value).__name__}", field=key
            )
    return out


def check_row_ids(props: dict[str, Any]) -> None:
    """A row's ``id`` and ``sources`` as :func:`~civicgraph.graph.model.check_id` wants them
    (NFC; no ``|``, no control characters), in place."""
    if type(props.get("id")) is str:
        props["id"] = check_id(props["id"])
    sources = props.get("sources")
    if type(sources) is list:
        props["sources"] = [check_id(x, what="source id") if type(x) is str else x for x in sources]


def label_clash(
    node_id: str, stored: list[str], label: str, *, file: str | None = None, line: int | None = None
) -> LoadError:
    """The error for an id the store holds under other labels than *label*."""
    kinds = "/".join(x for x in stored if x not in ("Entity", "Actor"))
    return LoadError(
        f"id {node_id!r} already belongs to a {kinds} node, not a {label}",
        file=file,
        line=line,
        field="id",
    )


def sort_rows(
    rows: list[dict[str, Any]],
    state: Mapping[str, dict[str, Any]],
    creatable: Callable[[dict[str, Any]], bool],
) -> tuple[WriteCounts, list[dict[str, Any]], list[dict[str, Any]]]:
    """Count a batch's rows as created, updated or unchanged from the pre-read *state*, and
    split those to write into rows to ``CREATE`` (absent, and *creatable*) and to ``MERGE``
    (updated rows carry the stored sources first, then their new ones)."""
    counts = WriteCounts()
    to_create: list[dict[str, Any]] = []
    to_write: list[dict[str, Any]] = []
    for row in rows:
        st = state.get(row["id"])
        if st is None:
            counts.created += 1
            (to_create if creatable(row) else to_write).append(row)
        elif st["old_sources"] is None:
            counts.unchanged += 1
        else:
            counts.updated += 1
            to_write.append(_with_sources(row, st["old_sources"]))
    return counts, to_create, to_write


def prepared_write(
    create: tuple[str, list[dict[str, Any]]],
    merge: tuple[str, list[dict[str, Any]]],
    merge_rows: list[dict[str, Any]],
    counts: WriteCounts,
) -> PreparedWrite:
    """A PreparedWrite of the statements that have rows to write; *merge_rows* are the
    ``CREATE`` rows in the ``MERGE`` statement's form (its idempotent twin)."""
    statements = [(q, {"rows": rows}) for q, rows in (create, merge) if rows]
    twin = [(merge[0], {"rows": merge_rows + merge[1]})] if merge_rows else None
    return PreparedWrite(statements, counts, twin)


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _merge_sources(old: list[str] | None, new: list[str] | None) -> list[str]:
    out = list(old or [])
    for s in new or []:
        if s not in out:
            out.append(s)
    return out


def merge_props(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """*old* updated with *new*; ``sources`` accumulate instead of being replaced."""
    out = {**old, **new}
    srcs = _merge_sources(old.get("sources"), new.get("sources"))
    if srcs:
        out["sources"] = srcs
    return out


def _with_sources(row: dict[str, Any], old_sources: list[str]) -> dict[str, Any]:
    """*row* whose ``props.sources`` holds the stored sources first, then its new ones."""
    props = dict(row["props"])
    srcs = _merge_sources(old_sources, props.get("sources"))
    if srcs:
        props["sources"] = srcs
    return {**row, "props": props}


#: Per pre-read row: which properties would change, and which sources are new.  Compared
#: in the engine, so only a verdict comes back, not every stored property (parsing those in
#: Python cost 9.5 s per 20,000 nodes).  ``coalesce(… = …, false)``: values of different
#: types compare as null on some engines, which must count as a change.
DIFF = (
    "WITH x, row, [k IN keys(row.props) WHERE k <> 'sources' AND "
    "NOT coalesce(x[k] = row.props[k], false)] AS changed, "
    "[s IN coalesce(row.props.sources, []) WHERE NOT s IN coalesce(x.sources, [])] AS fresh "
)
#: The pre-read's answer per row: null when nothing would change, else the stored sources.
VERDICT = (
    "CASE WHEN size(changed) = 0 AND size(fresh) = 0 THEN null "
    "ELSE coalesce(x.sources, []) END AS old_sources"
)


#: What the pre-read of a node batch asks (see :meth:`Store.preread_nodes`).
PREREAD_NODES = (
    "UNWIND $rows AS row MATCH (x:Entity {id: row.id}) "
    + DIFF
    + "RETURN row.id AS id, $label IN labels(x) AS ok, labels(x) AS labels, "
    + VERDICT
)
#: Which of a batch's relationship ends the store holds.
ENDS = "UNWIND $ids AS i MATCH (n:Entity {id: i}) RETURN n.id AS id, labels(n) AS labels"
PRESENT = "UNWIND $ids AS i MATCH (n:Entity {id: i}) RETURN n.id AS id, $label IN labels(n) AS ok"
#: What :meth:`Store.counts`, :meth:`Store.totals` and :meth:`Store.dump` ask.
INSPECT = {
    "count by label": "MATCH (n) UNWIND labels(n) AS l RETURN l AS label, count(*) AS n",
    "count by type": "MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS n",
    "total nodes": "MATCH (n) RETURN count(n) AS n",
    "total relationships": "MATCH ()-[r]->() RETURN count(r) AS n",
    "dump nodes": "MATCH (n) RETURN n.id AS id, labels(n) AS labels, properties(n) AS props",
    "dump relationships": (
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, a.id AS source, b.id AS target, "
        "properties(r) AS props"
    ),
}


def node_writes(labels: list[str]) -> tuple[str, str]:
    """The statements writing a batch of nodes with *labels* (from the schema allow-list):
    ``CREATE`` for ids known to be absent, ``MERGE`` on ``id`` for the rest."""
    label_text = ":".join(labels)
    return (
        f"UNWIND $rows AS row CREATE (n:{label_text}) SET n = row",
        f"UNWIND $rows AS row MERGE (n:{label_text} {{id: row.id}}) SET n += row.props",
    )


def relationship_writes(rel_type: str) -> tuple[str, str]:
    """The statements writing a batch of *rel_type* relationships (``CREATE``, ``MERGE``)."""
    both = (
        "UNWIND $rows AS row MATCH (a:Entity {id: row.source}) MATCH (b:Entity {id: row.target}) "
    )
    return (
        both + f"CREATE (a)-[r:{rel_type}]->(b) SET r = row.props",
        both + f"MERGE (a)-[r:{rel_type} {{id: row.id}}]->(b) SET r += row.props",
    )


def preread_relationships_query(rel_type: str) -> str:
    return (
        "UNWIND $rows AS row "
        f"MATCH (:Entity {{id: row.source}})-[x:{rel_type}]->"
        "(:Entity {id: row.target}) WHERE x.id = row.id " + DIFF + "RETURN row.id AS id, " + VERDICT
    )


def indexed_labels(model: Model) -> list[str]:
    """The labels with an index on ``id``: every one but ``Actor`` (see :meth:`Store.setup_schema`)."""
    return [x for x in model.all_labels if x != "Actor"]


def statements(model: Model) -> list[tuple[str, str]]:
    """Every statement the store sends, named: the writes and pre-reads of every label and
    type of *model*, and what it asks to count and dump the graph.  With the backend's
    schema statements, this is what a script checks (Neo4j's own linter, in the tests).

    >>> from civicgraph.graph.model import load_model
    >>> names = [name for name, _ in statements(load_model())]
    >>> "create City" in names and "merge MEMBER_OF" in names and "pre-read nodes" in names
    True
    """
    out = [
        ("pre-read nodes", PREREAD_NODES),
        ("relationship ends", ENDS),
        ("ids present", PRESENT),
    ]
    for label in model.labels:
        create, merge = node_writes(model.labels_for(label))
        out += [(f"create {label}", create), (f"merge {label}", merge)]
    for rel_type in model.types:
        create, merge = relationship_writes(rel_type)
        out += [
            (f"pre-read {rel_type}", preread_relationships_query(rel_type)),
            (f"create {rel_type}", create),
            (f"merge {rel_type}", merge),
        ]
    return out + list(INSPECT.items())
