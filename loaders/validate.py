"""Validation of one record before anything is written: values, ids, property names, dates
and the schema, each error carrying its field; the record adds its file and line."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from civicgraph.graph import dates
from civicgraph.graph.errors import CivicgraphError, LoadError
from civicgraph.graph.model import check_id, check_keys
from civicgraph.graph.store import Store
from civicgraph.graph.writes import check_row_ids, clean_props

from .records import NodeRecord, Reject, RelRecord

__all__ = ["check_dates", "check_row_dates", "validate"]


def validate(store: Store, rec: NodeRecord | RelRecord) -> None:
    """Raise LoadError (with file/line/field) if the record cannot be written.

    Every check raises a :class:`CivicgraphError` that carries the ``field`` it is about;
    this adds the record's file and line (``exc.at``), never reading the message.
    """
    try:
        rec.props = clean_props(rec.props)
        if isinstance(rec, RelRecord):  # NUL, surrogates (plain ASCII ids skip the check)
            for end_name, end_id in (("source", rec.source), ("target", rec.target)):
                if not isinstance(end_id, str) or not end_id.strip():
                    raise LoadError(f"missing {end_name} id", field=end_name)
                if "\x00" in end_id or not end_id.isascii():
                    clean_props({end_name: end_id})
        _check_ids(rec)
        # names before values: a reserved name is refused whatever it holds
        check_keys(rec.props, relationship=isinstance(rec, RelRecord))
        if isinstance(rec, RelRecord):
            date_keys = store.model.date_keys(rec.type, relationship=True)
        else:
            date_keys = store.model.date_keys(rec.label, relationship=False)
        if not date_keys.isdisjoint(rec.props):
            check_dates(rec.props, date_keys)
        src = rec.props.get("sources")
        # clean_props made every list hold one type: the first item tells it.
        if src is not None and not (isinstance(src, list) and isinstance(src[0], str)):
            raise LoadError("sources must be a list of source ids", field="sources")
        if isinstance(rec, NodeRecord):
            store.model.validate_node(rec.label, rec.props, keys_checked=True)
        else:
            store.model.validate_relationship(rec.type, rec.props, keys_checked=True)
    except CivicgraphError as exc:
        raise exc.at(file=rec.file or None, line=rec.line) from None


def check_dates(props: dict[str, Any], keys: Iterable[str]) -> None:
    """One rule for dates (civicgraph.graph.dates): 2020, 2020-05 or 2020-05-25, stored as the
    first day with its precision beside it; an end certainly before its start is refused.
    *keys*: the properties the schema types as dates."""
    dates.normalise_props(props, keys)
    start, end = props.get("start"), props.get("end")
    if (
        start is not None
        and end is not None
        and end < start
        and dates.order(end, props.get("end_precision"), start, props.get("start_precision"))
        == "certain"
    ):
        shown_end = dates.display(end, props.get("end_precision"))
        shown_start = dates.display(start, props.get("start_precision"))
        raise LoadError(f"end {shown_end} is before start {shown_start}", field="end")


def _check_ids(rec: NodeRecord | RelRecord) -> None:
    """Ids in NFC, without ``|`` or control characters (:func:`check_id`): a relationship's
    ends, the node's id and the source ids.  Ids of other types are left to validation."""
    props = rec.props
    if isinstance(rec, NodeRecord):  # the common case, inline: plain printable ASCII ids
        plain = _plain_id(props.get("id"))
    else:
        plain = _plain_id(rec.source) and _plain_id(rec.target)
    sources = props.get("sources")
    if plain and (
        type(sources) is not list
        or _PLAIN_SOURCES.issuperset(sources)  # the common case, without a loop
        or all(x in _PLAIN_SOURCES or _plain_source(x) for x in sources)
    ):
        return
    if isinstance(rec, RelRecord):
        if type(rec.source) is str:
            rec.source = check_id(rec.source, what="source")
        if type(rec.target) is str:
            rec.target = check_id(rec.target, what="target")
    check_row_ids(rec.props)


def _plain_id(x: Any) -> bool:
    """A plain printable ASCII id without ``|``: nothing for :func:`check_id` to do."""
    return type(x) is str and x.isascii() and x.isprintable() and "|" not in x


#: Source ids found plain: a load names a few sources on every one of its records.
_PLAIN_SOURCES: set[str] = set()


def _plain_source(x: Any) -> bool:
    if not _plain_id(x):
        return False
    if len(_PLAIN_SOURCES) < 10_000:
        _PLAIN_SOURCES.add(x)
    return True


def check_row_dates(
    props: dict[str, Any], *, file: str, line: int | None, record: str = ""
) -> Reject | None:
    """A :class:`Reject` when the load would refuse a date of *props*, a reader's date
    columns by name (the one rule,
    :mod:`civicgraph.graph.dates`, or an end certainly before its start), else ``None``.

    >>> check_row_dates({"start": "2020-02-30"}, file="m.csv", line=4).field
    'start'
    >>> check_row_dates({"start": "2014-03-30", "end": None}, file="m.csv", line=4) is None
    True
    >>> check_row_dates({"start": "2014", "end": "2013-12"}, file="m.csv", line=5).field
    'end'
    """
    try:
        given = {k: v for k, v in props.items() if v is not None and v != ""}
        # the keys as given: checking adds their precisions (start_precision) to *given*
        check_dates(given, list(given))
    except CivicgraphError as exc:
        return Reject(file, line, exc.field, exc.message, record)
    return None
