"""The data model as data: labels and relationship types loaded from ``schema/*.yaml``.

Loading happens in two passes (as FollowTheMoney's ``Model.generate`` does): first every
file is read and checked on its own, then cross-references (an edge's source and target
labels) are resolved, because a relationship file may name a label whose file comes later
in the directory listing.

The model is the allow-list for everything that enters Cypher text: labels and
relationship types cannot be query parameters, so they are only ever spliced into a
statement after :meth:`Model.check_label` / :meth:`Model.check_type` accepted them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import (
    InvalidEdge,
    InvalidId,
    InvalidModel,
    InvalidProperty,
    UnknownLabel,
    UnknownRelationshipType,
)
from .paths import schema_path

__all__ = [
    "nfc",
    "ABSTRACT_LABELS",
    "specific_label",
    "PROPERTY_KEY",
    "PROPERTY_TYPES",
    "RELATIONSHIP_PROPERTIES",
    "RESERVED_NAMES",
    "Model",
    "NodeSchema",
    "RelSchema",
    "check_id",
    "check_keys",
    "check_reserved",
    "known_name",
    "load_model",
    "relationship_id",
]

#: Property keys are passed as map keys in parameters, never spliced, but we still
#: restrict them to identifiers so exports (GraphML, GEXF, CSV) stay well formed.
PROPERTY_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
#: What every relationship carries besides its type file's ``properties``: its identity
#: (:func:`relationship_id`) and its sources (nodes get theirs from ``Entity.yaml``).
RELATIONSHIP_PROPERTIES = ("id", "sources")
#: A relationship's own period: dates on every type (:meth:`Model.date_keys`).
RELATIONSHIP_DATES = frozenset({"start", "end"})

#: Names that mean one thing wherever they are written: a record's own fields (its id,
#: label, type, ends, dates and sources).  A property may hold one only where it *is* that
#: field (:data:`_OWN_FIELDS`); anything else would let data move or hide structure (a
#: ``target`` property that re-points a relationship, a ``label`` a CSV export drops).
RESERVED_NAMES = ("id", "label", "labels", "type", "source", "target", "start", "end", "sources")
_RESERVED = frozenset(RESERVED_NAMES)
#: The reserved names each kind of record keeps among its properties, spelled so.  A
#: relationship's ``id`` is derived (:func:`relationship_id`), set by the store itself.
_OWN_FIELDS = {False: frozenset({"id", "sources"}), True: frozenset({"start", "end", "sources"})}
#: ``types:`` values a schema file may declare for a property.
PROPERTY_TYPES = {
    "string": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "date": "a date (YYYY, YYYY-MM or YYYY-MM-DD)",
}


@dataclass(frozen=True)
class NodeSchema:
    label: str
    description: str = ""
    id_prefix: tuple[str, ...] = ()
    required: tuple[str, ...] = ("id",)
    properties: tuple[str, ...] = ()
    actor: bool = False
    abstract: bool = False
    #: properties civicgraph computes (civicgraph.graph.derive); never loaded
    derived: tuple[str, ...] = ()
    #: a regular expression every id of this label must match (e.g. INSEE codes)
    id_pattern: str | None = None
    id_rule: str | None = None
    id_example: str | None = None
    #: the prefix a bare id (``ocu``) gets in a user's file; default: the only id_prefix
    bare_id_prefix: str | None = None

    def prefixed(self, bare: str) -> str | None:
        """*bare* with this label's prefix, or ``None`` when the label has no single one.

        >>> load_model().nodes["Organization"].prefixed("ocu")
        'org:ocu'
        """
        prefix = self.bare_id_prefix or (self.id_prefix[0] if len(self.id_prefix) == 1 else None)
        return None if prefix is None else prefix + bare

    #: declared property types (``types:`` in the YAML): property → a PROPERTY_TYPES key
    types: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RelSchema:
    type: str
    description: str = ""
    source: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()
    #: properties civicgraph computes (civicgraph.graph.derive); never loaded
    derived: tuple[str, ...] = ()

    @property
    def dated(self) -> bool:
        """Whether the relationship holds for a period (its schema declares ``start``)."""
        return "start" in self.properties

    types: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Model:
    """The allowed labels and relationship types.

    >>> model = load_model()
    >>> model.check_label("City")
    'City'
    """

    nodes: dict[str, NodeSchema] = field(default_factory=dict)
    relationships: dict[str, RelSchema] = field(default_factory=dict)
    _types: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    _dates: dict[tuple[str, bool | None], frozenset[str]] = field(default_factory=dict, repr=False)

    # -- allow-list -------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        """Concrete labels (not the abstract ``Entity``/``Actor``)."""
        return sorted(k for k, v in self.nodes.items() if not v.abstract)

    @property
    def all_labels(self) -> list[str]:
        return sorted(self.nodes)

    @property
    def types(self) -> list[str]:
        return sorted(self.relationships)

    def check_label(self, label: str) -> str:
        """Return *label* if the schema allows it, else raise :class:`UnknownLabel`."""
        if not isinstance(label, str) or label not in self.nodes:
            raise UnknownLabel(
                f"unknown label {label!r}; allowed: {', '.join(self.labels)}", field="label"
            )
        return label

    def check_type(self, rel_type: str) -> str:
        """Return *rel_type* if the schema allows it, else raise :class:`UnknownRelationshipType`."""
        if not isinstance(rel_type, str) or rel_type not in self.relationships:
            raise UnknownRelationshipType(
                f"unknown relationship type {rel_type!r}; allowed: {', '.join(self.types)}",
                field="type",
            )
        return rel_type

    @property
    def dated_types(self) -> list[str]:
        """Relationship types that hold for a period: without a ``start`` they hold on no
        day ("as of", :func:`civicgraph.graph.dates.holds_on`).

        >>> "MEMBER_OF" in load_model().dated_types, "PART_OF" in load_model().dated_types
        (True, False)
        """
        return sorted(k for k, v in self.relationships.items() if v.dated)

    @property
    def undated_types(self) -> list[str]:
        """Relationship types without dates in the schema: they hold on every day."""
        return sorted(k for k, v in self.relationships.items() if not v.dated)

    def derived_properties(self, name: str) -> frozenset[str]:
        """The properties civicgraph derives for a label or relationship type.

        >>> sorted(load_model().derived_properties("City"))
        ['size_class']
        """
        if name in self.relationships:
            return frozenset(self.relationships[name].derived)
        return frozenset(self.nodes[self.check_label(name)].derived)

    def check_edge(
        self, rel_type: str, source_labels: Iterable[str], target_labels: Iterable[str]
    ) -> None:
        """Raise :class:`InvalidEdge` unless the ends' labels are among those the type's
        schema file lists as its ``edge.source`` and ``edge.target`` (an abstract label
        such as ``Actor`` admits every label that carries it).

        >>> model = load_model()
        >>> model.check_edge("MAYOR_OF", ["Person", "Entity", "Actor"], ["City", "Entity"])
        >>> model.check_edge("MAYOR_OF", ["Party", "Entity", "Actor"], ["City", "Entity"])
        Traceback (most recent call last):
        ...
        civicgraph.graph.errors.InvalidEdge: a MAYOR_OF cannot start at a Party: its schema (MAYOR_OF.yaml) allows Person
        """
        schema = self.relationships[self.check_type(rel_type)]
        for end, labels, allowed in (
            ("source", source_labels, schema.source),
            ("target", target_labels, schema.target),
        ):
            labels = list(labels)
            if allowed and not set(labels) & set(allowed):
                shown = next((x for x in labels if x not in ("Entity", "Actor")), "node")
                where = "start at" if end == "source" else "end at"
                raise InvalidEdge(
                    f"a {rel_type} cannot {where} a {shown}: its schema ({rel_type}.yaml) "
                    f"allows {', '.join(allowed)}",
                    field=end,
                )

    def labels_for(self, label: str) -> list[str]:
        """All labels a node of *label* carries: itself, ``Entity`` and ``Actor`` when it can act."""
        schema = self.nodes[self.check_label(label)]
        out = [label, "Entity"]
        if schema.actor:
            out.append("Actor")
        return out

    def declared_properties(self, name: str) -> frozenset[str]:
        """Every property the schema declares for a label or a relationship type.

        A label's own ``required`` and ``properties``, with ``Entity``'s (and ``Actor``'s when it
        can act); a type's ``properties`` with :data:`RELATIONSHIP_PROPERTIES`.

        >>> {"id", "name", "sources", "population"} <= load_model().declared_properties("City")
        True
        >>> sorted(load_model().declared_properties("PART_OF"))
        ['id', 'sources']
        """
        if name in self.relationships:
            rel = self.relationships[name]
            return frozenset(RELATIONSHIP_PROPERTIES + rel.properties + rel.derived)
        schema = self.nodes[self.check_label(name)]
        parents = [self.nodes[p] for p in ("Entity", "Actor") if p in self.nodes]
        out: set[str] = set()
        for s in [schema, *(p for p in parents if p.label == "Entity" or schema.actor)]:
            out.update(s.required, s.properties, s.derived)
        return frozenset(out)

    def property_types(self, name: str) -> Mapping[str, str]:
        """The property types the schema declares for a label (with ``Entity``'s and
        ``Actor``'s) or a relationship type; properties it does not declare are absent.

        A declared type decides how text formats read the property (a ``siren`` stays
        text, whatever its column holds) and which values a record may give it.

        >>> load_model().property_types("City")["siren"]
        'string'
        """
        cached = self._types.get(name)
        if cached is None:
            if name in self.relationships:
                cached = dict(self.relationships[name].types)
            else:
                schema = self.nodes[self.check_label(name)]
                cached = {}
                for parent in ("Entity", "Actor"):
                    if parent in self.nodes and (parent == "Entity" or schema.actor):
                        cached.update(self.nodes[parent].types)
                cached.update(schema.types)
            self._types[name] = cached
        return cached

    def date_keys(self, name: str, *, relationship: bool | None = None) -> frozenset[str]:
        """The properties of a label (or, with *relationship*, a type) the schema types as
        dates; an unknown name raises :class:`UnknownLabel` / :class:`UnknownRelationshipType`.

        >>> sorted(load_model().date_keys("MEMBER_OF", relationship=True))
        ['end', 'start']
        """
        found = self._dates.get((name, relationship))  # asked once per record of a load
        if found is not None:
            return found
        if relationship:
            self.check_type(name)
        elif relationship is False:
            self.check_label(name)
        declared = frozenset(k for k, kind in self.property_types(name).items() if kind == "date")
        # A relationship's start and end are its own fields (its identity holds its start),
        # dates whatever the type declares.
        found = declared | RELATIONSHIP_DATES if name in self.relationships else declared
        self._dates[(name, relationship)] = found
        return found

    @property
    def all_date_keys(self) -> frozenset[str]:
        """Every property some label or type declares a date (text columns in CSV files)."""
        return frozenset().union(*(self.date_keys(n) for n in [*self.nodes, *self.relationships]))

    # -- validation -------------------------------------------------------
    def validate_node(
        self, label: str, props: dict[str, Any], *, keys_checked: bool = False
    ) -> None:
        """Check a node's required properties, id prefix, property keys and declared types.

        The id itself (Unicode form, forbidden characters) is checked by :func:`check_id`;
        ``keys_checked=True``: the caller ran :func:`check_keys` on *props* already.
        """
        schema = self.nodes[self.check_label(label)]
        if schema.abstract:
            raise UnknownLabel(
                f"label {label!r} is abstract; use one of {', '.join(self.labels)}", field="label"
            )
        node_id = props.get("id")
        if not isinstance(node_id, str) or not node_id.strip():
            raise InvalidId(f"{label} node without an id", field="id")
        if schema.id_prefix and not node_id.startswith(schema.id_prefix):
            raise InvalidId(
                f"{label} id {node_id!r} must start with {' or '.join(schema.id_prefix)}",
                field="id",
            )
        if schema.id_pattern is not None and not re.match(schema.id_pattern, node_id):
            raise InvalidId(
                f"{label} id {node_id!r} is not {schema.id_rule or 'valid: ' + schema.id_pattern}"
                + (f" (e.g. {schema.id_example})" if schema.id_example else ""),
                field="id",
            )
        for key in schema.required:
            value = props.get(key)
            if value is None or value == "":
                raise InvalidProperty(
                    f"{label} {node_id!r} lacks required property {key!r}", field=key
                )
        if not keys_checked:
            check_keys(props, relationship=False)
        if schema.derived:
            _refuse_derived(label, schema.derived, props)
        _check_types(self.property_types(label), props)

    def validate_relationship(
        self, rel_type: str, props: dict[str, Any], *, keys_checked: bool = False
    ) -> None:
        """Check a relationship's property keys (never one of its own fields' names but
        ``start``, ``end`` and ``sources``; not with ``keys_checked=True``: the caller ran
        :func:`check_keys`), derived properties and declared types."""
        schema = self.relationships[self.check_type(rel_type)]
        if not keys_checked:
            check_keys(props, relationship=True)
        if schema.derived:
            _refuse_derived(rel_type, schema.derived, props)
        _check_types(self.property_types(rel_type), props)


#: What to load instead of a derived property, where there is an input for it.
_INSTEAD = {"party": "give the party a source states for the term as stated_party"}


def _refuse_derived(name: str, derived: tuple[str, ...], props: dict[str, Any]) -> None:
    for key in derived:
        if key in props:
            hint = _INSTEAD.get(key, "it is recomputed after every load")
            raise InvalidProperty(
                f"{name} property {key!r} is derived by civicgraph, not loaded: {hint}",
                field=key,
            )


def check_keys(props: dict[str, Any], *, relationship: bool) -> None:
    """Check every key of *props*: an identifier (:func:`check_property_key`), and not a
    reserved name this kind of record cannot hold (:func:`check_reserved`)."""
    good = _GOOD_FOR[relationship]
    for key in props:
        if key not in good:  # loads check the same few names millions of times
            check_property_key(key)
            check_reserved(key, relationship=relationship)
            if len(good) < 10_000:
                good.add(key)


_GOOD_FOR: dict[bool, set[str]] = {False: set(), True: set()}


def _check_types(types: Mapping[str, str], props: dict[str, Any]) -> None:
    for key, kind in types.items():
        value = props.get(key)
        if value is None:
            continue
        ok = (
            isinstance(value, str)
            if kind in ("string", "date")  # a date is checked, and stored, by the dates module
            else isinstance(value, bool)
            if kind == "bool"
            else not isinstance(value, bool)
            and isinstance(value, int | float if kind == "float" else int)
        )
        if not ok:
            raise InvalidProperty(
                f"property {key!r} must be {PROPERTY_TYPES[kind]} (the schema says {kind}), "
                f"not {value!r}",
                field=key,
            )


def known_name(key: str, *, relationship: bool) -> str:
    """*key* spelled as civicgraph spells it when it names one of the record's own fields in
    another case (``Start``, ``END``, ``Sources``); any other key unchanged.

    Columns of tabular files (CSV headers, GraphML attributes, mapping properties) go
    through this, so ``Start`` is the relationship's start, not a property beside it.

    >>> known_name("Start", relationship=True), known_name("Sources", relationship=False)
    ('start', 'sources')
    >>> known_name("Name", relationship=False)
    'Name'
    """
    low = key.lower()
    return low if low != key and low in _OWN_FIELDS[relationship] else key


def check_reserved(key: str, *, relationship: bool) -> str:
    """Return *key* unless it is a reserved name (:data:`RESERVED_NAMES`, in any case) that a
    property of this kind of record cannot hold; then raise :class:`InvalidProperty`.

    >>> check_reserved("start", relationship=True)
    'start'
    >>> check_reserved("Target", relationship=True)
    Traceback (most recent call last):
    ...
    civicgraph.graph.errors.InvalidProperty: property 'Target' is reserved: a relationship's ends come only from its own source and target fields; rename the property
    """
    low = key.lower()
    if low not in _RESERVED or key in _OWN_FIELDS[relationship]:
        return key
    if low in _OWN_FIELDS[relationship]:
        why = f"write it {low!r}"
    elif relationship and low in ("source", "target"):
        why = "a relationship's ends come only from its own source and target fields"
    elif relationship and low == "id":
        why = "a relationship's id is derived from its type, ends and start"
    elif low in ("label", "labels", "type"):
        what = "relationship's type" if relationship else "node's label"
        why = f"a {what} comes only from its own field"
    elif low == "id":
        why = "write the node's id as 'id'"
    else:
        why = f"{low!r} is a field of relationships, not of nodes"
    if low not in _OWN_FIELDS[relationship]:
        why += "; rename the property"
    raise InvalidProperty(f"property {key!r} is reserved: {why}", field=key)


#: What an id may not hold: the list separator ``|`` (lists are joined with it in CSV,
#: GraphML and GEXF, and a relationship's identity joins its ends with it), C0 and C1
#: control characters, and invisible format characters (bidirectional overrides,
#: zero-width spaces, the byte-order mark).
_ID_FORBIDDEN = re.compile(
    "[|\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb]"
)


def nfc(value: Any) -> Any:
    """*value* in Unicode NFC, as ids are stored, inside lists and maps too (what a user
    types or a URL carries may come decomposed: ``person:carême`` must find the node).

    >>> nfc("Care\u0302me") == "Carême", nfc(["e\u0301", 1]) == ["é", 1], nfc(2)
    (True, True, 2)
    """
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: nfc(v) for k, v in value.items()}
    return value


def check_id(value: str, *, what: str = "id") -> str:
    """Return the id *value* in Unicode NFC, or raise :class:`InvalidId` if it holds ``|`` or
    a control or format character.

    Ids are compared as strings: ``person:carême`` typed with a combining accent (NFD)
    would be another node, so every id is stored, and looked up, in NFC.

    >>> check_id("person:care\u0302me") == "person:car\u00eame"
    True
    >>> check_id("org:a|b")
    Traceback (most recent call last):
    ...
    civicgraph.graph.errors.InvalidId: id 'org:a|b' contains '|': an id cannot hold '|' (the list separator) or control characters
    """
    if value.isascii() and value.isprintable() and "|" not in value:
        return value  # most ids: nothing to normalise, nothing forbidden
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    found = _ID_FORBIDDEN.search(value)
    char = found.group() if found else None
    if char is None and not value.isascii():
        char = next(
            (c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")), None
        )
    if char is not None:
        raise InvalidId(
            f"{what} {value!r} contains {char!r}: an id cannot hold '|' (the list separator) "
            "or control characters",
            field={"source id": "sources"}.get(what, what),
        )
    return value


#: Labels civicgraph adds itself to every node (and every actor): never a node's own label.
ABSTRACT_LABELS = ("Entity", "Actor")


def specific_label(labels: Iterable[str]) -> str:
    """A node's own label among those it carries (not ``Entity``/``Actor``; the first in
    alphabetical order if it had several).

    >>> specific_label(["Actor", "City", "Entity"])
    'City'
    """
    ordered = sorted(labels)
    for label in ordered:
        if label not in ABSTRACT_LABELS:
            return label
    return ordered[0] if ordered else ""


def check_property_key(key: str) -> str:
    """Return *key* if it is a plain identifier (the only names that reach Cypher)."""
    if key in _GOOD_KEYS:  # loads check the same few names millions of times
        return key
    if not isinstance(key, str) or not PROPERTY_KEY.match(key):
        raise InvalidProperty(f"property name {key!r} is not an identifier", field=str(key))
    if len(_GOOD_KEYS) < 10_000:
        _GOOD_KEYS.add(key)
    return key


_GOOD_KEYS: set[str] = set()


def relationship_id(rel_type: str, source: str, target: str, start: str | None) -> str:
    """The identity of a relationship, materialised as its ``id`` property.

    docs/design.md §3: a relationship is (type, from, to, start); reloading the same fact adds its
    source instead of a copy.  Storing that key lets one ``MERGE`` express it on every engine
    (Neo4j refuses to ``MERGE`` on a null ``start``).

    >>> relationship_id("MEMBER_OF", "insee:38185", "net:anvita", "2018-09-26")
    'MEMBER_OF|insee:38185|net:anvita|2018-09-26'
    """
    return f"{rel_type}|{source}|{target}|{start or ''}"


def _tuple(value: Any, file: Path, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidModel(f"{file.name}: {key!r} must be a list of strings")
    return tuple(value)


def _pattern(value: Any, file: Path) -> str | None:
    if value is None:
        return None
    try:
        re.compile(value)
    except (re.error, TypeError) as exc:
        raise InvalidModel(f"{file.name}: bad id_pattern {value!r}: {exc}") from None
    return str(value)


def _types(value: Any, file: Path) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and v in PROPERTY_TYPES for k, v in value.items()
    ):
        raise InvalidModel(
            f"{file.name}: 'types' must map property names to one of {', '.join(PROPERTY_TYPES)}"
        )
    return dict(value)


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> Model:
    """Load the schema folder once (cached) and return the :class:`Model`."""
    folder = Path(path) if path else schema_path()
    if not folder.is_dir():
        raise InvalidModel(f"schema folder not found: {folder}")
    model = Model()
    raw_edges: list[tuple[Path, dict[str, Any]]] = []
    # Pass 1: read each file and check it alone.
    for file in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InvalidModel(f"{file.name}: {exc}") from exc
        if not isinstance(data, dict):
            raise InvalidModel(f"{file.name}: expected a mapping")
        if "label" in data:
            label = data["label"]
            if not isinstance(label, str) or not _NAME.match(label):
                raise InvalidModel(f"{file.name}: bad label {label!r}")
            model.nodes[label] = NodeSchema(
                label=label,
                description=str(data.get("description", "")),
                id_prefix=_tuple(data.get("id_prefix"), file, "id_prefix"),
                required=_tuple(data.get("required", ["id"]), file, "required"),
                properties=_tuple(data.get("properties"), file, "properties"),
                actor=bool(data.get("actor", False)),
                abstract=bool(data.get("abstract", False)),
                derived=_tuple(data.get("derived"), file, "derived"),
                id_pattern=_pattern(data.get("id_pattern"), file),
                id_rule=data.get("id_rule"),
                id_example=data.get("id_example"),
                bare_id_prefix=data.get("bare_id_prefix"),
                types=_types(data.get("types"), file),
            )
        elif "type" in data:
            raw_edges.append((file, data))
        else:
            raise InvalidModel(f"{file.name}: needs 'label' or 'type'")
    # Pass 2: resolve edge endpoints now that every label is known.
    for file, data in raw_edges:
        rel_type = data["type"]
        if not isinstance(rel_type, str) or not re.match(r"^[A-Z][A-Z0-9_]{0,63}$", rel_type):
            raise InvalidModel(f"{file.name}: bad relationship type {rel_type!r}")
        edge = data.get("edge") or {}
        source = _tuple(edge.get("source"), file, "edge.source")
        target = _tuple(edge.get("target"), file, "edge.target")
        for label in source + target:
            if label not in model.nodes:
                raise InvalidModel(f"{file.name}: edge refers to unknown label {label!r}")
        model.relationships[rel_type] = RelSchema(
            type=rel_type,
            description=str(data.get("description", "")),
            source=source,
            target=target,
            properties=_tuple(data.get("properties"), file, "properties"),
            derived=_tuple(data.get("derived"), file, "derived"),
            types=_types(data.get("types"), file),
        )
    return model
