"""What every loader shares: records with their origin, validation first, batched idempotent
writes, a journal for ``--resume``, a progress bar, a summary and a rejects report.

How a load keeps the graph whole
--------------------------------
1. Every record is read and validated *before anything is written*: a bad row stops the load
   with an error naming file, line and field (or, with ``skip_invalid``, goes to the rejects
   report), and the graph is untouched.
2. Relationship endpoints are checked too: each must be a node of this load or of the store.
3. Batches are written in order (nodes by label, then relationships by type); each batch is one
   ``UNWIND $rows … MERGE`` statement, atomic on both engines.  Before a batch is written its
   intended counts are appended to a journal, and after it commits the journal says so.  A load
   killed part-way is finished by running it again with ``resume=True``: committed batches
   are skipped and their journalled counts reused, so the summary is exact.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import hashlib
import json
import os
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicgraph.graph.errors import CivicgraphError, LoadError
from civicgraph.graph.model import relationship_id
from civicgraph.graph.store import Store, WriteCounts, chunks, clean_props

__all__ = [
    "DATE_FIELDS",
    "LoadSummary",
    "NodeRecord",
    "Reject",
    "RelRecord",
    "check_date",
    "run_load",
]

#: Properties that hold ISO dates wherever they appear.
DATE_FIELDS = ("start", "end", "date", "birth_date", "founded", "function_start")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MIN_YEAR, MAX_YEAR = 1000, 2100


@dataclass
class NodeRecord:
    label: str
    props: dict[str, Any]
    file: str = ""
    line: int | None = None


@dataclass
class RelRecord:
    type: str
    source: str
    target: str
    props: dict[str, Any]
    file: str = ""
    line: int | None = None


@dataclass
class Reject:
    file: str
    line: int | None
    field: str | None
    error: str
    record: str = ""


@dataclass
class LoadSummary:
    """Per label/type counts of a load: read, created, updated, unchanged, rejected."""

    name: str
    read: int = 0
    rejected: int = 0
    nodes: dict[str, WriteCounts] = field(default_factory=dict)
    relationships: dict[str, WriteCounts] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    resumed_batches: int = 0
    seconds: float = 0.0

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
            "resumed_batches": self.resumed_batches,
            "seconds": round(self.seconds, 3),
        }

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for kind, table in (("node", self.nodes), ("relationship", self.relationships)):
            for name, c in sorted(table.items()):
                out.append({"kind": kind, "name": name, **c.as_dict()})
        return out


def check_date(value: Any, *, name: str = "date") -> str:
    """Return *value* as an ISO date string, or raise ``ValueError`` naming the problem.

    >>> check_date("2018-09-26")
    '2018-09-26'
    >>> check_date("2019-13-45")
    Traceback (most recent call last):
    ...
    ValueError: bad date '2019-13-45' (expected YYYY-MM-DD)
    """
    if not isinstance(value, str) or not _ISO.match(value):
        raise ValueError(f"bad date {value!r} (expected YYYY-MM-DD)")
    try:
        d = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"bad date {value!r} (expected YYYY-MM-DD)") from None
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise ValueError(f"date {value!r} is out of range ({MIN_YEAR}–{MAX_YEAR})")
    return value


def _where(rec: NodeRecord | RelRecord) -> dict[str, Any]:
    return {"file": rec.file or None, "line": rec.line}


_QUOTED_KEY = re.compile(r"""propert(?:y|y name) ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def _key_in(msg: str) -> str | None:
    """The property key a model/store message quotes with ``{key!r}`` (any repr quoting)."""
    m = _QUOTED_KEY.search(msg)
    return ast.literal_eval(m.group(1)) if m else None


def _validate(store: Store, rec: NodeRecord | RelRecord) -> None:
    """Raise LoadError (with file/line/field) if the record cannot be written."""
    try:
        rec.props = clean_props(rec.props)
        if isinstance(rec, RelRecord):
            clean_props({"source": rec.source, "target": rec.target})  # NUL, surrogates
    except CivicgraphError as exc:
        raise LoadError(str(exc), field=_key_in(str(exc)), **_where(rec)) from None
    for key in DATE_FIELDS:
        if key in rec.props:
            try:
                check_date(rec.props[key], name=key)
            except ValueError as exc:
                raise LoadError(str(exc), field=key, **_where(rec)) from None
    if "start" in rec.props and "end" in rec.props and rec.props["end"] < rec.props["start"]:
        raise LoadError(
            f"end {rec.props['end']} is before start {rec.props['start']}",
            field="end",
            **_where(rec),
        )
    src = rec.props.get("sources")
    if src is not None and not (isinstance(src, list) and all(isinstance(s, str) for s in src)):
        raise LoadError("sources must be a list of source ids", field="sources", **_where(rec))
    try:
        if isinstance(rec, NodeRecord):
            store.model.validate_node(rec.label, rec.props)
        else:
            store.model.validate_relationship(rec.type, rec.props)
            for end_name, end_id in (("source", rec.source), ("target", rec.target)):
                if not isinstance(end_id, str) or not end_id.strip():
                    raise LoadError(f"missing {end_name} id", field=end_name, **_where(rec))
    except LoadError:
        raise
    except CivicgraphError as exc:
        msg = str(exc)
        fld = "label" if "label" in msg and isinstance(rec, NodeRecord) else None
        if isinstance(rec, RelRecord) and "relationship type" in msg:
            fld = "type"
        if "id" in msg.split(":")[0] or "lacks required property 'id'" in msg or " id " in msg:
            fld = fld or "id"
        key = _key_in(msg)
        if key is not None:
            fld = key
        raise LoadError(msg, field=fld, **_where(rec)) from None


class Journal:
    """Append-only record of a load's batches, for ``resume``."""

    def __init__(self, folder: Path, key: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{key}.jsonl"
        self.planned: dict[int, dict[str, int]] = {}
        self.done: set[int] = set()
        self.finished = False

    def read(self) -> None:
        if not self.path.exists():
            return
        for line in self.path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line from a kill: ignore it
            if entry.get("event") == "plan":
                self.planned[entry["batch"]] = entry["counts"]
            elif entry.get("event") == "done":
                self.done.add(entry["batch"])
            elif entry.get("event") == "finished":
                self.finished = True

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)
        self.planned.clear()
        self.done.clear()
        self.finished = False

    def append(self, entry: dict[str, Any]) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())


def journal_dir(store: Store) -> Path:
    """Where load journals live: inside the embedded store, else ``.civicgraph/loads``."""
    loc = Path(store.location)
    if store.engine == "falkordb" and loc.is_dir():
        return loc / "loads"
    return Path(os.environ.get("CIVICGRAPH_STATE", ".civicgraph")) / "loads"


def _progress(total: int, desc: str, enabled: bool | None) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit="rows",
        unit_scale=True,
        file=sys.stderr,
        disable=(not enabled) if enabled is not None else None,
        leave=False,
        dynamic_ncols=True,
    )


def run_load(
    store: Store,
    records: Iterable[NodeRecord | RelRecord],
    *,
    name: str = "load",
    batch_size: int = 5000,
    resume: bool = False,
    skip_invalid: bool = False,
    progress: bool | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> LoadSummary:
    """Validate every record, then write them in batches; see the module docstring.

    Parameters
    ----------
    store : Store
    records : iterable of NodeRecord / RelRecord
    name : str
        Shown in the progress bar and summary.
    batch_size : int
        Rows per ``UNWIND`` statement.
    resume : bool
        Skip the batches a previous, interrupted run of the *same* load committed.
    skip_invalid : bool
        Put invalid records in ``summary.rejects`` instead of stopping.
    progress : bool or None
        Show a progress bar (None: only on a terminal).

    Returns
    -------
    LoadSummary
    """
    import time

    t0 = time.perf_counter()
    summary = LoadSummary(name=name)
    nodes: dict[str, list[NodeRecord]] = defaultdict(list)
    rels: dict[str, list[RelRecord]] = defaultdict(list)
    # Phase 1: read + validate everything; nothing is written yet.
    for rec in records:
        summary.read += 1
        try:
            _validate(store, rec)
        except LoadError as exc:
            if not skip_invalid:
                raise
            summary.rejected += 1
            summary.rejects.append(
                Reject(exc.file or rec.file, exc.line, exc.field, exc.message, _short(rec))
            )
            continue
        if isinstance(rec, NodeRecord):
            nodes[rec.label].append(rec)
        else:
            rels[rec.type].append(rec)
    # Phase 2: every relationship end must exist in this load or in the store.
    loaded_ids = {r.props["id"] for recs in nodes.values() for r in recs}
    wanted: dict[str, RelRecord] = {}
    for recs in rels.values():
        for r in recs:
            for end_id in (r.source, r.target):
                if end_id not in loaded_ids and end_id not in wanted:
                    wanted[end_id] = r
    if wanted:
        present: set[str] = set()
        for ids in chunks(list(wanted), 10000):
            present.update(
                row["id"]
                for row in store.query(
                    "UNWIND $ids AS i MATCH (n:Entity {id: i}) RETURN n.id AS id", {"ids": ids}
                )
            )
        missing = [i for i in wanted if i not in present]
        if missing:
            bad_ids = set(missing)
            if not skip_invalid:
                r = wanted[missing[0]]
                fld = "source" if r.source in bad_ids else "target"
                raise LoadError(
                    f"{r.type} refers to unknown node {missing[0]!r}"
                    + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
                    file=r.file or None,
                    line=r.line,
                    field=fld,
                )
            for rtype in list(rels):
                keep = []
                for r in rels[rtype]:
                    if r.source in bad_ids or r.target in bad_ids:
                        summary.rejected += 1
                        fld = "source" if r.source in bad_ids else "target"
                        summary.rejects.append(
                            Reject(
                                r.file,
                                r.line,
                                fld,
                                f"{r.type} refers to unknown node "
                                f"{r.source if fld == 'source' else r.target!r}",
                                _short(r),
                            )
                        )
                    else:
                        keep.append(r)
                rels[rtype] = keep
    # Phase 3: plan batches, journal, write.
    plan: list[tuple[str, str, list[Any]]] = []
    for label in sorted(nodes):
        for batch in chunks(nodes[label], batch_size):
            plan.append(("node", label, batch))
    for rtype in sorted(rels):
        for batch in chunks(rels[rtype], batch_size):
            plan.append(("rel", rtype, batch))
    key = _fingerprint(name, plan, batch_size)
    journal = Journal(journal_dir(store), key)
    if resume:
        journal.read()
    else:
        journal.reset()
    total_rows = sum(len(b) for _, _, b in plan)
    bar = _progress(total_rows, name, progress)
    try:
        store.setup_schema()
        for index, (kind, what, batch) in enumerate(plan):
            table = summary.nodes if kind == "node" else summary.relationships
            counts = table.setdefault(what, WriteCounts())
            if index in journal.done:
                c = journal.planned.get(index, {})
                counts += WriteCounts(**c) if c else WriteCounts(unchanged=len(batch))
                summary.resumed_batches += 1
                bar.update(len(batch))
                continue
            counts += _write_batch(store, kind, what, batch, journal, index)
            bar.update(len(batch))
            if on_batch is not None:
                on_batch(index)
        journal.append({"event": "finished", "summary": summary.as_dict()})
    finally:
        bar.close()
    summary.seconds = time.perf_counter() - t0
    return summary


def _write_batch(
    store: Store, kind: str, what: str, batch: list[Any], journal: Journal, index: int
) -> WriteCounts:
    if kind == "node":
        prepared = store.prepare_nodes(what, [r.props for r in batch])
    else:
        prepared = store.prepare_relationships(
            what, [{"source": r.source, "target": r.target, **r.props} for r in batch]
        )
    recovered = journal.planned.get(index)
    if recovered is not None:
        # An earlier run planned this batch and died before "done": the batch may or may
        # not have committed.  Writing again is harmless (MERGE), and the journalled plan
        # holds the true counts either way.
        store.apply(prepared)
        counts = WriteCounts(**recovered)
    else:
        journal.append({"event": "plan", "batch": index, "counts": prepared.counts.as_dict()})
        counts = store.apply(prepared)
    journal.append({"event": "done", "batch": index})
    return counts


def _fingerprint(name: str, plan: list[tuple[str, str, list[Any]]], batch_size: int) -> str:
    h = hashlib.sha256(f"{name}|{batch_size}".encode())
    for kind, what, batch in plan:
        h.update(f"{kind}:{what}:{len(batch)}".encode())
        for r in batch:
            if isinstance(r, NodeRecord):
                h.update(str(r.props.get("id")).encode())
            else:
                h.update(relationship_id(r.type, r.source, r.target, r.props.get("start")).encode())
    return h.hexdigest()[:24]


def _short(rec: NodeRecord | RelRecord) -> str:
    if isinstance(rec, NodeRecord):
        text = f"{rec.label} {rec.props.get('id', '')!s}"
    else:
        text = f"{rec.type} {rec.source!s} -> {rec.target!s}"
    return text[:200]


def write_report(
    path: str | os.PathLike[str], rejects: Iterable[Reject], extra: Iterable[dict[str, Any]] = ()
) -> int:
    """Write rejected and review rows to a CSV report; return how many rows."""
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["kind", "file", "line", "field", "error", "record"])
        w.writeheader()
        for r in rejects:
            w.writerow(
                {
                    "kind": "rejected",
                    "file": r.file,
                    "line": r.line,
                    "field": r.field,
                    "error": r.error,
                    "record": r.record,
                }
            )
            n += 1
        for row in extra:
            w.writerow(
                {k: row.get(k) for k in ["kind", "file", "line", "field", "error", "record"]}
            )
            n += 1
    return n


def iter_records(*sources: Iterable[NodeRecord | RelRecord]) -> Iterator[NodeRecord | RelRecord]:
    for s in sources:
        yield from s
