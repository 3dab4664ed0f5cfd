"""What a reader yields and a load reports: records (with the file and line they come from),
a row's :class:`Reject`, and the :class:`LoadSummary` with its rejects report."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from civicgraph.graph.errors import LoadError
from civicgraph.graph.outfile import atomic_output
from civicgraph.graph.output import spreadsheet_cell
from civicgraph.graph.writes import WriteCounts

__all__ = [
    "LoadSummary",
    "NodeRecord",
    "Record",
    "Reject",
    "RelRecord",
    "short",
    "specific_label",
    "write_report",
]


@dataclass(slots=True)
class NodeRecord:
    label: str
    props: dict[str, Any]
    file: str = ""
    line: int | None = None
    #: validated already (True), or the error validation raised: a load's reading process
    #: validates some records for it (:mod:`~civicgraph.loaders.reading`); False: not yet
    checked: bool | LoadError = field(default=False, compare=False, repr=False)


@dataclass(slots=True)
class RelRecord:
    type: str
    source: str
    target: str
    props: dict[str, Any]
    file: str = ""
    line: int | None = None
    #: as :attr:`NodeRecord.checked`
    checked: bool | LoadError = field(default=False, compare=False, repr=False)


@dataclass(slots=True)
class Reject:
    """A row that cannot be loaded, in the reader's own words: readers yield it in place of
    the row's records (so nothing of the row is half-loaded), and the load stops on it, or
    with ``skip_invalid`` reports it, as it does any invalid record."""

    file: str
    line: int | None
    field: str | None
    error: str
    record: str = ""


#: What a reader yields: records to load, or a row's :class:`Reject`.
Record = NodeRecord | RelRecord | Reject


@dataclass
class LoadSummary:
    """Per label/type counts of a load: read, created, updated, unchanged, rejected.

    ``merged`` counts, per label or type, the records whose id (or relationship identity)
    an earlier record of the same load had: they were folded into it, so ``read`` is
    ``rejected`` + merged + the nodes and relationships written.
    """

    name: str
    read: int = 0
    rejected: int = 0
    merged: dict[str, int] = field(default_factory=dict)
    #: records read, per label or type (valid or not)
    read_by: dict[str, int] = field(default_factory=dict)
    nodes: dict[str, WriteCounts] = field(default_factory=dict)
    relationships: dict[str, WriteCounts] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    resumed_batches: int = 0
    seconds: float = 0.0
    #: derived values that changed after the load (civicgraph.graph.derive)
    derived: dict[str, int] = field(default_factory=dict)
    #: per relationship type, the target ids of the relationships the load created or
    #: updated (the cities whose mayoral terms to derive again: graph.derive.scope_after)
    changed_targets: dict[str, set[str]] = field(default_factory=dict)
    #: bare ids given their label's prefix (zero-configuration files): nodes, edge ends
    prefixed: dict[str, int] = field(default_factory=dict)
    #: the encoding each text file was read with (``cp1252 (detected)``)
    encodings: dict[str, str] = field(default_factory=dict)
    #: seconds per phase: ``read`` (and validate), ``check`` (against the store),
    #: ``write``, ``derive`` — where a load's time goes (bench/bench_load.py prints them)
    phases: dict[str, float] = field(default_factory=dict)
    #: peak resident memory (MB) of the load's reading process (loaders.reading); 0 when
    #: the load read its files in its own process
    reader_peak_mb: float = 0.0

    def totals(self) -> WriteCounts:
        total = WriteCounts()
        for c in list(self.nodes.values()) + list(self.relationships.values()):
            total += c
        return total

    def as_dict(self) -> dict[str, Any]:
        t = self.totals()
        return {
            "name": self.name,
            "read": self.read,
            "rejected": self.rejected,
            **t.as_dict(),
            "nodes": {k: v.as_dict() for k, v in sorted(self.nodes.items())},
            "relationships": {k: v.as_dict() for k, v in sorted(self.relationships.items())},
            "merged": dict(sorted(self.merged.items())),
            "resumed_batches": self.resumed_batches,
            "derived": dict(self.derived),
            "prefixed": dict(self.prefixed),
            "encodings": dict(self.encodings),
            "seconds": round(self.seconds, 3),
        }

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for kind, table in (("node", self.nodes), ("relationship", self.relationships)):
            for name, c in sorted(table.items()):
                out.append({"kind": kind, "name": name, **c.as_dict()})
        return out


def specific_label(labels: list[str], *, file: str, line: int | None, field: str) -> str:
    """The one label of *labels* besides ``Entity``/``Actor`` (civicgraph adds those itself),
    or a LoadError naming *file*, *line* and *field*.

    >>> specific_label(["Actor", "City", "Entity"], file="n.csv", line=2, field=":LABEL")
    'City'
    """
    specific = [x.strip() for x in labels if x.strip() not in ("Entity", "Actor")]
    if len(specific) != 1:
        raise LoadError(
            f"a node needs exactly one label besides Entity/Actor, got {labels!r}",
            file=file,
            line=line,
            field=field,
        )
    return specific[0]


def short(rec: NodeRecord | RelRecord) -> str:
    if isinstance(rec, NodeRecord):
        text = f"{rec.label} {rec.props.get('id', '')!s}"
    else:
        text = f"{rec.type} {rec.source!s} -> {rec.target!s}"
    return text[:200]


def write_report(
    path: str | os.PathLike[str], rejects: Iterable[Reject], extra: Iterable[dict[str, Any]] = ()
) -> int:
    """Write rejected and review rows to a CSV report; return how many rows.

    The file is replaced only once written whole, and its text cells are safe to open in a
    spreadsheet (:func:`~civicgraph.graph.output.spreadsheet_safe`): rejected rows hold
    whatever the input held, formulas included.
    """
    head = ["kind", "file", "line", "field", "error", "record"]
    rows: list[dict[str, Any]] = [
        {
            "kind": "rejected",
            "file": r.file,
            "line": r.line,
            "field": r.field,
            "error": r.error,
            "record": r.record,
        }
        for r in rejects
    ]
    rows += [{k: row.get(k) for k in head} for row in extra]
    with atomic_output(path, text=True, newline="") as f:
        w = csv.writer(f)
        w.writerow(head)
        for row in rows:
            w.writerow(
                ["" if row[k] is None else spreadsheet_cell(row[k], str(row[k])) for k in head]
            )
    return len(rows)
