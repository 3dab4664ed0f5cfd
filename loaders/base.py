"""What every loader shares: records with their origin, validation first, batched idempotent
writes, a journal for ``--resume``, a progress bar, a summary and a rejects report.

How a load keeps the graph whole
--------------------------------
1. Every record is read and validated *before anything is written*: every bad row is found,
   and the load stops with one error listing each with its file, line and field
   (:class:`~civicgraph.graph.errors.InvalidRows`; or, with ``skip_invalid``, they go to the
   rejects report), and the graph is untouched.  A record whose id (or relationship identity: type,
   ends, ``start``) came before in the same load is merged into it, sources accumulating.
   Validated properties wait in a temporary spool file, not in memory.
2. The store is asked, once, which of the load's ids it holds: relationship ends must be in
   the load or the store, and an id the store holds under another label is refused — still
   before anything is written.  For the ids (and relationships) it holds, the engine also
   compares the stored properties with the new ones and says whether anything would change.
3. Batches are written in order (nodes by label, then relationships by type).  A batch is
   one ``UNWIND $rows …`` statement, or two (``CREATE`` for the ids step 2 found absent,
   ``MERGE`` for the rest), each atomic.  Before a batch is written its intended counts are
   appended to a journal, and after it commits the journal says so.  A load killed part-way
   is finished by running it again with ``resume=True``: committed batches are skipped and
   their journalled counts reused, so the summary is exact; a batch that had half committed
   is merged, never created twice (its committed ids are then in the store).
4. The whole load holds the store's write lock (:meth:`Store.write_lock`), so the ids step 2
   found absent stay absent until step 3 creates them.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from civicgraph.graph import dates
from civicgraph.graph.bulk import NodeIds
from civicgraph.graph.errors import (
    CivicgraphError,
    InvalidEdge,
    InvalidRows,
    LoadError,
    PartialLoad,
    WorkFileError,
)
from civicgraph.graph.model import Model, relationship_id
from civicgraph.graph.store import Store, chunks
from civicgraph.graph.writes import (
    PreparedWrite,
    WriteCounts,
    label_clash,
)

from .journal import Journal, fingerprint
from .records import (
    LoadSummary,
    NodeRecord,
    Record,
    Reject,
    short,
)
from .staging import Spool, Table, record_line
from .validate import validate

__all__ = ["ACK_TO_FILE", "run_load"]


def _progress(total: int | None, desc: str, enabled: bool | None) -> Any:
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
    records: Iterable[Record],
    *,
    name: str = "load",
    batch_size: int | None = None,
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
    batch_size : int or None
        Rows per batch (an ``UNWIND`` statement, or the engine's bulk command); ``None``:
        the store's :attr:`~civicgraph.graph.store.Store.load_batch_size`.
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
    import gc

    t0 = time.perf_counter()
    summary = LoadSummary(name=name)
    if batch_size is None:
        batch_size = store.load_batch_size
    # Loads build millions of small objects that live to the end: the cyclic collector
    # would walk them again and again for nothing (252 s → 211 s on the councillors).
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        _phases(store, records, summary, batch_size, resume, skip_invalid, progress, on_batch)
    finally:
        if gc_was_on:
            gc.enable()
        # After a large load, once its records are dropped (_phases has returned): a
        # collection then walks what is left, not the load's million records.
        if summary.read >= 100_000:
            _give_back_memory()
    summary.seconds = time.perf_counter() - t0
    return summary


def _phases(
    store: Store,
    records: Iterable[Record],
    summary: LoadSummary,
    batch_size: int,
    resume: bool,
    skip_invalid: bool,
    progress: bool | None,
    on_batch: Callable[[int], None] | None,
) -> None:
    """Phases 1 to 3 of :func:`run_load`, timed in *summary*; what they stage goes when
    this returns."""
    t0 = time.perf_counter()
    # One writer at a time (see Store.write_lock): the ids phase 2 finds absent stay
    # absent until phase 3 creates them.
    with store.write_lock():
        spool = Spool(store.spool_dir())
        try:
            staged = _read_and_check(
                store, records, spool, summary, batch_size, skip_invalid, progress
            )
            summary.phases["check"] = time.perf_counter() - t0 - summary.phases["read"]
            t1 = time.perf_counter()
            _write(store, summary, staged, batch_size, resume, progress, on_batch)
            summary.phases["write"] = time.perf_counter() - t1
        finally:
            spool.close()


def _give_back_memory() -> None:
    """Collect the load's garbage and hand freed heap memory back to the system.

    Without it a process that runs several loads keeps the first loads' high-water memory
    as free heap (glibc keeps what it freed): the next large load then grows past it instead
    of reusing it.  ``malloc_trim`` is glibc's; elsewhere this only collects.
    """
    import ctypes
    import gc

    # Small objects kept past the load pin the allocator's pools they sit in: 25,000 cached
    # dates, scattered through the memory of a million records, kept ~380 MB resident.
    dates.forget_cached()
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class _Absent(Collection[str]):
    """The ids of this load the store did not hold: every id of a batch, and every end of a
    relationship, is in the load or in *present* (phase 2 made sure), so "not present" is
    enough, without a set of the (possibly half a million) new ids."""

    def __init__(self, present: set[str]) -> None:
        self.present = present

    def __contains__(self, node_id: object) -> bool:
        return node_id not in self.present

    def __bool__(self) -> bool:
        return True

    def __len__(self) -> int:
        raise TypeError("the absent ids are not counted")

    def __iter__(self) -> Iterator[str]:
        raise TypeError("the absent ids are not listed")


@dataclass
class _Staged:
    """What phases 1 and 2 leave for phase 3: batches of keys, their tables, the new ids."""

    nodes: dict[str, Table]
    rels: dict[str, Table]
    new_ids: _Absent
    plan: list[tuple[str, str, list[str]]]
    #: the store's verdicts on the ids and relationships it already held (pre-reads)
    known: dict[str, dict[str, Any]]
    #: internal node ids, when new rows go through the engine's bulk command
    ids: NodeIds | None = None


def _reject_rel(summary: LoadSummary, rtype: str, row: tuple[Any, ...], fld: str, why: str) -> None:
    source, target, file, line = row[0], row[1], row[2], record_line(row)
    end_id = source if fld == "source" else target
    hint = (
        "; it has no prefix: write the node's full id (e.g. org:…, insee:…), or load "
        "the nodes file that lists it in the same command"
        if why == "unknown" and ":" not in end_id
        else ""
    )
    summary.rejected += 1
    summary.rejects.append(
        Reject(
            file,
            line,
            fld,
            f"{rtype} refers to {why} node {end_id!r}{hint}",
            f"{rtype} {source} -> {target}"[:200],
        )
    )


def _until_unreadable(
    records: Iterable[Record], summary: LoadSummary, skip_invalid: bool
) -> Iterator[Record]:
    """*records*, until a file cannot be read on: then the problems found so far and that
    one are refused together (a reader's error ends its file, and the load)."""
    try:
        yield from records
    except LoadError as exc:
        if skip_invalid or not summary.rejects:
            raise
        problems = [*summary.rejects, Reject(exc.file or "", exc.line, exc.field, exc.message)]
        _refuse_rejects(problems)


def _refuse_rejects(rejects: list[Reject]) -> None:
    """Raise one error naming every rejected row (the first one's alone when it is the only
    one), in file order: nothing has been written."""
    if not rejects:
        return
    order: dict[str, int] = {}
    for r in rejects:
        order.setdefault(r.file, len(order))
    ranked = sorted(rejects, key=lambda r: (order[r.file], r.line if r.line is not None else -1))
    errors = [
        LoadError(r.error, file=r.file or None, line=r.line, field=r.field)
        for r in ranked[: InvalidRows.LIMIT]
    ]
    if len(rejects) == 1:
        raise errors[0]
    raise InvalidRows(errors, total=len(rejects))


def _drop_rels(summary: LoadSummary, rels: dict[str, Table], bad: set[str], why: str) -> None:
    """(skip_invalid) Reject every relationship with an end in *bad*."""
    for rtype, table in rels.items():
        for rid, row in list(table.rows.items()):
            if row[0] in bad or row[1] in bad:
                _reject_rel(summary, rtype, row, "source" if row[0] in bad else "target", why)
                del table.rows[rid]


def _read_and_check(
    store: Store,
    records: Iterable[Record],
    spool: Spool,
    summary: LoadSummary,
    batch_size: int,
    skip_invalid: bool,
    progress: bool | None,
) -> _Staged:
    """Phases 1 and 2: read, validate, merge repeated ids, check ends against the store.

    Returns the batches to write (each id in one batch only) and the ids of this load that
    the store does not hold yet.
    """
    name = summary.name
    nodes: dict[str, Table] = defaultdict(lambda: Table(spool))
    rels: dict[str, Table] = defaultdict(lambda: Table(spool))
    # each type's sources and targets, gathered as they are read (see phase 2)
    ends_of: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))

    def label_of(node_id: str) -> str | None:
        """The label this load gave *node_id* (a load has few labels: no extra index)."""
        for label, table in nodes.items():
            if node_id in table.rows:
                return label
        return None

    refused: set[str] = set()  # ids of nodes rejected in phase 1
    started = time.perf_counter()
    bar = _progress(None, f"{name}: reading", progress)
    # Phase 1: read + validate everything; nothing is written yet.  Without skip_invalid,
    # invalid records are gathered as rejects all the same, so that one run names every
    # problem (_refuse_rejects), not one per run.
    try:
        for rec in _until_unreadable(records, summary, skip_invalid):
            summary.read += 1
            if isinstance(rec, Reject):  # a reader's verdict on a row
                summary.rejected += 1
                summary.rejects.append(rec)
                continue
            kind = rec.label if isinstance(rec, NodeRecord) else rec.type
            summary.read_by[kind] = summary.read_by.get(kind, 0) + 1
            if not summary.read % 2000:
                bar.update(2000)
            try:
                checked = rec.checked  # the reading process may have validated it
                if checked is False:
                    validate(store, rec)
                elif checked is not True:
                    raise checked
                if isinstance(rec, NodeRecord):
                    node_id = rec.props["id"]
                    first = (
                        rec.label
                        if node_id in nodes[rec.label].rows
                        else label_of(node_id) or rec.label
                    )
                    if first != rec.label:
                        where = nodes[first].where(node_id)
                        raise LoadError(
                            f"id {node_id!r} is a {rec.label} here but a {first} in "
                            f"{where[0] or '?'}, line {where[1]}",
                            field="id",
                            file=rec.file or None,
                            line=rec.line,
                        )
            except LoadError as exc:
                if isinstance(rec, NodeRecord) and isinstance(rec.props.get("id"), str):
                    refused.add(rec.props["id"])
                summary.rejected += 1
                summary.rejects.append(
                    Reject(exc.file or rec.file, exc.line, exc.field, exc.message, short(rec))
                )
                continue
            if isinstance(rec, NodeRecord):
                what = rec.label
                merged = nodes[what].add(node_id, (rec.file, rec.line), rec.props)
            else:
                what = rec.type
                rid = relationship_id(what, rec.source, rec.target, rec.props.get("start"))
                merged = rels[what].add(
                    rid, (rec.source, rec.target, rec.file, rec.line), rec.props
                )
                sources, targets = ends_of[what]
                sources.add(rec.source)
                targets.add(rec.target)
            if merged:
                summary.merged[what] = summary.merged.get(what, 0) + 1
    finally:
        bar.close()
    spool.flush()  # every record on disk before anything is written (a full disk stops here)
    summary.phases["read"] = time.perf_counter() - started
    # Phase 2: ask the store which ids it holds (this load's nodes, and relationship ends
    # that are not in this load).  An end that is nowhere, or an id the store holds under
    # another label, stops the load here, before anything is written.
    # Set operations on the ends gathered while reading, not a lookup per end here
    # (600,000 ends at times, their rows long out of the processor's caches); sorted, so the
    # store is asked in the same order every run.
    outside: set[str] = set().union(*(side for pair in ends_of.values() for side in pair))
    for table in nodes.values():
        outside.difference_update(table.rows)
    ends = sorted(outside)
    del outside
    present: set[str] = set()
    clashes: list[tuple[str, str]] = []
    # A store with no node holds none of these ids: nothing to ask (a first load).
    empty = store.totals()[0] == 0
    stored_labels: dict[str, list[str]] = {}
    bar = _progress(
        None if empty else sum(len(t.rows) for t in nodes.values()) + len(ends),
        f"{name}: checking against the store",
        progress,
    )
    try:
        for label, table in ({} if empty else nodes).items():
            others: set[str] = set()
            for batch in chunks(table.rows, 10000):
                held, other = store.present(batch, label)
                present |= held
                others |= other
                bar.update(len(batch))
            clashes.extend((node_id, label) for node_id in sorted(others))
        for batch in chunks([] if empty else ends, 10000):
            stored_labels.update(store.labels_of(batch))
            bar.update(len(batch))
    finally:
        bar.close()
    present.update(stored_labels)
    clashed: set[str] = set()
    for node_id, label in clashes:
        stored = store.labels_of([node_id])[node_id]
        file, line = nodes[label].where(node_id)
        err = label_clash(node_id, stored, label, file=file or None, line=line)
        summary.rejected += 1
        summary.rejects.append(Reject(file, line, "id", err.message, f"{label} {node_id}"))
        del nodes[label].rows[node_id]
        clashed.add(node_id)
    _check_edges(store, summary, nodes, rels, stored_labels, ends_of)
    missing = [i for i in ends if i not in present]
    if missing:
        _drop_rels(summary, rels, set(missing) & refused, "rejected")
        _drop_rels(summary, rels, set(missing) - refused, "unknown")
    if clashed:  # relationships to a node rejected above go with it
        _drop_rels(summary, rels, clashed, "rejected")
    if not skip_invalid:
        _refuse_rejects(summary.rejects)
    new_ids = _Absent(present)
    known = _preread(store, nodes, rels, present, batch_size)
    # The engine's bulk command creates what the store does not hold; relationships to
    # the nodes it holds need their internal ids (civicgraph.graph.bulk).
    ids = store.bulk_ids()
    if ids is not None and rels:
        ids.learn(present)
    plan: list[tuple[str, str, list[str]]] = []
    for label in sorted(nodes):
        plan.extend(("node", label, b) for b in chunks(nodes[label].rows, batch_size))
    for rtype in sorted(rels):
        plan.extend(("rel", rtype, b) for b in chunks(rels[rtype].rows, batch_size))
    return _Staged(dict(nodes), dict(rels), new_ids, plan, known, ids)


def _check_edges(
    store: Store,
    summary: LoadSummary,
    nodes: dict[str, Table],
    rels: dict[str, Table],
    stored_labels: dict[str, list[str]],
    ends_of: dict[str, tuple[set[str], set[str]]],
) -> None:
    """Every relationship's ends against its type's schema (``edge.source``/``target``):
    a ``MAYOR_OF`` from a Party stops the load (or is rejected), before anything is written.
    An end is labelled by this load's records, else by the store; an end that is nowhere
    is reported as unknown elsewhere.  *ends_of*: each type's sources and targets (or
    more: ids of relationships dropped since count for nothing)."""
    model = store.model
    check = [
        rtype
        for rtype in rels
        if not _ends_allowed(model, rtype, ends_of[rtype], nodes, stored_labels)
    ]
    if not check:
        return
    # One tuple per label, shared by its ids (300,000 relationships: 2 s less than a tuple
    # built per end).
    load_label = {
        node_id: labels
        for label, table in nodes.items()
        for labels in [tuple(model.labels_for(label))]
        for node_id in table.rows
    }
    verdicts: dict[tuple[str, str, str], InvalidEdge | None] = {}
    # The store's labels as tuples too, so that an end's labels are one lookup (inline:
    # 600,000 ends at times).
    load_label.update((k, tuple(v)) for k, v in stored_labels.items() if k not in load_label)
    end_labels = load_label.get

    for rtype in check:
        table = rels[rtype]
        for rid, row in list(table.rows.items()):
            ends = end_labels(row[0]), end_labels(row[1])
            if ends[0] is None or ends[1] is None:
                continue
            key = (rtype, ends[0][0], ends[1][0])
            if key not in verdicts:
                try:
                    model.check_edge(rtype, ends[0], ends[1])
                    verdicts[key] = None
                except InvalidEdge as exc:
                    verdicts[key] = exc
            error = verdicts[key]
            if error is None:
                continue
            file, line = row[2], record_line(row)
            summary.rejected += 1
            summary.rejects.append(
                Reject(file, line, error.field, error.message, f"{rtype} {row[0]} -> {row[1]}")
            )
            del table.rows[rid]


def _ends_allowed(
    model: Model,
    rtype: str,
    ends: tuple[set[str], set[str]],
    nodes: dict[str, Table],
    stored_labels: dict[str, list[str]],
) -> bool:
    """Whether every source and target in *ends* has labels *rtype*'s schema allows, found
    label by label with set operations: then no relationship needs a look of its own (the
    300,000 of a load: 0.6 s less).  False when some pair of labels is refused: the rows
    are then checked one by one, to name each refused one."""
    sides = []
    for ids in ends:
        found: set[tuple[str, ...]] = set()
        for label, labelled in nodes.items():
            if not ids.isdisjoint(labelled.rows):
                found.add(tuple(model.labels_for(label)))
        rest = ids.difference(*(t.rows for t in nodes.values()))
        found.update(tuple(stored_labels[i]) for i in rest if i in stored_labels)
        sides.append(found)
    try:
        for source in sides[0]:
            for target in sides[1]:
                model.check_edge(rtype, source, target)
    except InvalidEdge:
        return False
    return True


def _preread(
    store: Store,
    nodes: dict[str, Table],
    rels: dict[str, Table],
    present: set[str],
    batch_size: int,
) -> dict[str, dict[str, Any]]:
    """Ask the store, before anything is written, what it holds for this load's ids and for
    relationships whose both ends it holds (only those can exist already).

    Each id and relationship is in one batch only, so no write of this load changes what
    these verdicts are about; asking now, not batch by batch, keeps the reads from waiting
    behind the writes in phase 3.
    """
    known: dict[str, dict[str, Any]] = {}
    for label, table in nodes.items():
        ids = [k for k in table.rows if k in present]
        for batch in chunks(ids, batch_size):
            rows = [{"id": k, "props": table.props(k)} for k in batch]
            known.update(store.preread_nodes(label, rows))
    for rtype, table in rels.items():
        rids = [k for k, row in table.rows.items() if row[0] in present and row[1] in present]
        for batch in chunks(rids, batch_size):
            rows = []
            for k in batch:
                source, target = table.rows[k][:2]
                props = {**table.props(k), "id": k}
                rows.append({"id": k, "source": source, "target": target, "props": props})
            known.update(store.preread_relationships(rtype, rows))
    return known


def _write(
    store: Store,
    summary: LoadSummary,
    staged: _Staged,
    batch_size: int,
    resume: bool,
    progress: bool | None,
    on_batch: Callable[[int], None] | None,
) -> None:
    """Phase 3: journal and write the planned batches in order (see the module docstring)."""
    plan, name = staged.plan, summary.name
    key = fingerprint(name, plan, batch_size)
    try:
        journal = Journal(store.journal_dir(), key)
        doubtful: set[int] = set()
        if resume:
            journal.read()
            # Journalled done in the earlier run's last seconds: the engine may have
            # acknowledged them before writing them to its file, and the stop took the
            # engine with it (Journal.in_doubt).  Journalled as to be written again, they
            # are planned batches from now on, for this run and any later one.
            doubtful = journal.in_doubt(ACK_TO_FILE)
            journal.redo(doubtful)
        else:
            journal.reset()
    except OSError as exc:
        raise WorkFileError(
            f"cannot write the load journal in {store.journal_dir()}: {exc.strerror or exc}; "
            "free some space there and run the load again (nothing was written to the store)"
        ) from None
    total_rows = sum(len(b) for _, _, b in plan)
    bar = _progress(total_rows, name, progress)
    # The engine writes batch k while this thread plans batch k+1 (pre-read, merging,
    # parameters): the two overlap on two cores.  Planning k+1 never depends on writing k:
    # each id and relationship is in one batch only (phase 1), and a pre-read only asks
    # about what the store held before this load.  One writer thread keeps the statements,
    # and the journal entries, in plan order.
    from concurrent.futures import Future, ThreadPoolExecutor

    pending: list[tuple[Future[WriteCounts], WriteCounts, int, int]] = []
    committed = [summary.resumed_batches, 0]  # batches, rows whose commit is journalled
    failed = threading.Event()
    recent: list[list[Any]] = []  # [acknowledged at, batch]: the batches written lately

    def write(prepared: PreparedWrite, index: int) -> WriteCounts:
        # Nothing after a failed batch: a relationship batch would find its ends missing,
        # write nothing, and be journalled as done.
        if failed.is_set():
            raise _NotWritten
        kind, what, batch = plan[index]

        def replan() -> PreparedWrite:  # planned anew, only if an engine restart wants it
            return _prepare_batch(store, staged, kind, what, batch, bulk=False)

        try:
            return _write_batch(store, prepared, journal, index, replan, len(plan), recent)
        except BaseException:
            failed.set()
            raise

    def settle(keep: int) -> None:
        while len(pending) > keep:
            future, counts, index, rows = pending.pop(0)
            counts += future.result()
            committed[0] += 1
            committed[1] += rows
            bar.update(rows)
            if on_batch is not None:
                on_batch(index)

    # The writer thread needs the GIL for a moment around each engine command and journal
    # entry, while this thread plans in long pure-Python loops; at Python's default 5 ms
    # switch interval it waits up to 5 ms each time.  The engine spent 1.9 s in GRAPH.BULK
    # on the synthetic 400,000-row load, its thread 2.9-3.5 s (INFO commandstats); at 0.5 ms
    # the write phase is about 0.5 s shorter (bench/RESULTS.md).  Restored after the load.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, WRITE_SWITCH))
    try:
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="civicgraph-writer")
        try:
            store.setup_schema()
            for index, (kind, what, batch) in enumerate(plan):
                table = summary.nodes if kind == "node" else summary.relationships
                counts = table.setdefault(what, WriteCounts())
                if index in doubtful:
                    # Committed by the earlier run, maybe lost with its engine: written again
                    # below as a planned batch, which this run's phase 2 pre-read (what did
                    # commit is merged, not doubled); its counts are the journal's.
                    summary.resumed_batches += 1
                elif index in journal.done:
                    c = journal.planned.get(index, {})
                    counts += WriteCounts(**c) if c else WriteCounts(unchanged=len(batch))
                    summary.resumed_batches += 1
                    committed[0] += 1
                    committed[1] += len(batch)
                    bar.update(len(batch))
                    continue
                prepared = _prepare_batch(store, staged, kind, what, batch)
                if kind == "rel":  # what derive must recompute (LoadSummary.changed_targets)
                    targets = summary.changed_targets.setdefault(what, set())
                    targets.update(row["target"] for row in prepared.written_rows())
                prepared = store.compile(prepared)
                settle(1)  # at most one batch in the engine while the next one is planned
                future = writer.submit(write, prepared, index)
                pending.append((future, counts, index, len(batch)))
            settle(0)
            journal.append({"event": "finished", "summary": summary.as_dict()})
        except Exception as exc:
            writer.shutdown(wait=True)
            for future, counts, _, rows in pending:  # batches that committed after the failure
                if future.exception() is None:
                    counts += future.result()
                    committed[0] += 1
                    committed[1] += rows
            raise _stopped(summary, committed, len(plan), total_rows, exc, store.location) from exc
        finally:
            writer.shutdown(wait=True)  # never leave a write running behind an error
    finally:
        sys.setswitchinterval(switch)
        bar.close()


class _NotWritten(Exception):
    """A batch not sent because an earlier one failed."""


def _stopped(
    summary: LoadSummary,
    committed: list[int],
    batches: int,
    rows: int,
    exc: Exception,
    location: str,
) -> PartialLoad:
    """The one-line error of a load that failed while writing: what it committed (batches,
    rows, per label and type), the cause, and how to finish it."""
    cause = str(exc) if isinstance(exc, CivicgraphError) else type(exc).__name__
    if str(exc) and not isinstance(exc, CivicgraphError):
        cause += f": {exc}"
    if isinstance(exc, OSError):
        cause = f"{exc.filename or 'a file'}: {exc.strerror or exc}"
    done = [
        f"{what} {c.created + c.updated + c.unchanged:,}"
        for table in (summary.nodes, summary.relationships)
        for what, c in sorted(table.items())
        if c.created + c.updated + c.unchanged
    ]
    what = (
        f"after committing {committed[0]} of {batches} batches ({committed[1]:,} of {rows:,} "
        f"rows: {', '.join(done)})"
        if committed[0]
        else f"before any of its {batches} batches ({rows:,} rows) was fully committed"
    )
    return PartialLoad(
        f"the load into {location} stopped {what}: {cause} — what was committed stays in the "
        "store; run the same load again with --resume to finish it",
        summary,
    )


def _prepare_batch(
    store: Store, staged: _Staged, kind: str, what: str, batch: list[str], *, bulk: bool = True
) -> PreparedWrite:
    """Plan one batch.  Validated in phase 1, ends checked in phase 2: this only plans
    (with the pre-read verdicts on the ids the store already held).  *bulk*: may use the
    engine's bulk command (which gives the batch's new nodes their internal ids); a batch
    planned again after an engine restart is written as ``MERGE`` only, without it."""
    ids = staged.ids if bulk else None
    if kind == "node":
        table = staged.nodes[what]
        rows = table.many(batch)
        for key, props in zip(batch, rows, strict=True):
            # the table's own string, not the spool's equal copy: the load keeps the ids
            # of the nodes it creates (graph.bulk.NodeIds), once is enough
            props["id"] = key
        return store.prepare_nodes(
            what,
            rows,
            validated=True,
            new_ids=staged.new_ids,
            known=staged.known,
            bulk=ids,
        )
    table = staged.rels[what]
    held = table.rows
    rows = []
    for k, props in zip(batch, table.many(batch), strict=True):
        # The key is the relationship's identity (type, ends, start), the ends come from
        # the record's own fields, never from a property.
        props["id"] = k
        head = held[k]
        rows.append({"id": k, "source": head[0], "target": head[1], "props": props})
    return store.prepare_relationships(
        what,
        rows,
        validated=True,
        new_ids=staged.new_ids,
        ends_checked=True,
        known=staged.known,
        bulk=ids,
        staged=True,
    )


#: Seconds after which a write the engine acknowledged is surely in its append-only file:
#: with ``appendfsync everysec`` Redis may answer a write, then hold it in memory up to 2 s
#: while a background fsync is slow (its clock counts whole seconds: 1 s more).
ACK_TO_FILE = 3.0
#: Seconds between the GIL's hand-overs while a load writes (see :func:`_write`).
WRITE_SWITCH = 0.0005


def _write_batch(
    store: Store,
    prepared: PreparedWrite,
    journal: Journal,
    index: int,
    replan: Callable[[], PreparedWrite],
    total: int = 0,
    recent: list[list[Any]] | None = None,
) -> WriteCounts:
    """Write batch *index* between its "plan" and "done" journal entries.

    If the embedded engine hangs under the batch, its supervisor restarts it and
    :meth:`Store.apply` writes the batch again as ``MERGE`` only: this batch is the only one
    in doubt (planned, not done), and the ``MERGE`` finds whatever part of it committed.
    Before that, the batches the engine acknowledged in the :data:`ACK_TO_FILE` seconds
    before it last answered (*recent*) are written again the same way: the engine may have
    answered them without having written them to its file yet, and the kill lost them.  The
    counts are the journalled plan's either way.  *recent* keeps, per batch, *replan* (how to
    plan it anew), not the batch: a few seconds of written batches, with their statements
    and bulk commands, held 100+ MB for the national councillors.
    """
    again = f"load resumed at batch {index + 1}" + (f" of {total}" if total else "")

    def rewrite_recent(recovery: Any) -> None:
        since = getattr(recovery, "last_answer", None)
        for entry in recent or []:
            if since is None or entry[0] >= since - ACK_TO_FILE:
                store.reapply(entry[1]())
                entry[0] = time.monotonic()  # acknowledged again, by the new engine

    recovered = journal.planned.get(index)
    if recovered is not None:
        # An earlier run planned this batch and died before "done": the batch may or may
        # not have committed (or one of its two statements only).  Writing again is
        # harmless: this run's phase 2 found whatever had committed, so those rows were
        # pre-read and are merged, not created twice.  The journalled plan holds the true
        # counts either way.
        store.apply(prepared, again=again, before_retry=rewrite_recent)
        counts = WriteCounts(**recovered)
    else:
        journal.append({"event": "plan", "batch": index, "counts": prepared.counts.as_dict()})
        counts = store.apply(prepared, again=again, before_retry=rewrite_recent)
    journal.append({"event": "done", "batch": index})
    if recent is not None:
        now = time.monotonic()
        recent.append([now, replan])
        # The supervisor PINGs every second and looks every 0.5 s: its last answer is at
        # most 2 s before a freeze, so no older batch can be wanted.
        recent[:] = [e for e in recent if e[0] >= now - ACK_TO_FILE - 3]
    return counts
