"""``load()``: pick a reader for each file, validate everything, then write (``run_load``)."""

from __future__ import annotations

import functools
import inspect
import os
import time
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from civicgraph.graph.derive import derive, scope_after, stale_mark
from civicgraph.graph.errors import (
    ConfigurationError,
    LoadError,
    OutputNotWritable,
    ReaderStopped,
    WorkFileError,
)
from civicgraph.graph.outfile import check_writable
from civicgraph.graph.store import Store

from . import reading
from .base import run_load
from .categories import Categories, parse_map
from .files import BareIds, CsvOptions, read_edges_csv, read_nodes_csv
from .graphfiles import read_gexf, read_graphml, read_jsonl
from .mapping import read_mapped
from .reading import ReadPlan, ReadState, child_records
from .records import LoadSummary, NodeRecord, Record, Reject, write_report
from .register_common import LoadContext
from .text import check_encoding, detect_encoding, file_source

__all__ = [
    "GIVEN_BY_LOAD",
    "LOAD_OPTIONS",
    "READERS",
    "check_options",
    "detect_format",
    "load",
    "reader_options",
    "register_reader",
]

Records = Iterable[Record]
#: name → reader(path, options) returning records.  Register loaders add themselves here.
READERS: dict[str, Callable[..., Records]] = {}
#: name → predicate(path) used by detect_format, checked in order.
_DETECT: list[tuple[str, Callable[[Path], bool]]] = []


def register_reader(
    name: str, detect: Callable[[Path], bool] | None = None
) -> Callable[[Callable[..., Records]], Callable[..., Records]]:
    def deco(fn: Callable[..., Records]) -> Callable[..., Records]:
        READERS[name] = fn
        if detect is not None:
            _DETECT.append((name, detect))
        return fn

    return deco


# The file formats' readers take exactly the keywords a load gives them (checked by
# :func:`reader_options`), so they register as they are.
register_reader("jsonl", lambda p: p.suffix in (".jsonl", ".ndjson"))(read_jsonl)
register_reader("graphml", lambda p: p.suffix == ".graphml")(read_graphml)
register_reader("gexf", lambda p: p.suffix == ".gexf")(read_gexf)


#: Keywords ``load()`` itself gives a reader: never user options.
GIVEN_BY_LOAD = frozenset({"context", "default_source", "categories", "bare"})
#: Options of the load itself, for every file it reads (``load(encoding=…)`` or
#: ``options={"encoding": …}``; on the command line ``--encoding``, ``--dayfirst``).
LOAD_OPTIONS = {
    "encoding": "the text files' encoding (default: detected)",
    "dayfirst": "read 05/04/2021 as 5 April 2021",
}


def reader_options(reader: Callable[..., Records]) -> dict[str, inspect.Parameter]:
    """The options a reader takes: its keyword parameters after the path, less
    :data:`GIVEN_BY_LOAD`.

    >>> sorted(reader_options(READERS["rne-maires"]))
    ['close_previous', 'missing_cities', 'swapped_dates', 'version']
    """
    try:
        sig = inspect.signature(reader, eval_str=True)
    except (NameError, TypeError, SyntaxError):  # an annotation we cannot evaluate
        sig = inspect.signature(reader)
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    params = list(sig.parameters.values())[1:]
    return {p.name: p for p in params if p.kind in keyword and p.name not in GIVEN_BY_LOAD}


def check_options(kinds: Sequence[str], options: dict[str, Any] | None) -> None:
    """Refuse an option none of the readers of *kinds* takes, naming it and listing those
    they take (for Python calls and the command line alike).

    Raises
    ------
    ConfigurationError
    """
    if not options:
        return
    accepted = {kind: reader_options(READERS[kind]) for kind in kinds if kind in READERS}
    for key in options:
        if key == "encoding":
            check_encoding(str(options[key]))
        if key not in LOAD_OPTIONS and not any(key in a for a in accepted.values()):
            lists = (
                "; ".join(
                    f"the {kind} reader takes {', '.join(sorted(a)) or 'no options'}"
                    for kind, a in accepted.items()
                )
                or "no reader of these files takes options"
            ) + f"; every load takes {', '.join(LOAD_OPTIONS)}"
            raise ConfigurationError(f"unknown option {key!r}: {lists}", field=key)


def _with_file_source(records: Records, src: dict[str, Any], file: str) -> Iterator[Record]:
    """*records*, with the ``Source`` node standing for their file before the first one
    attributed to it (a record without sources of its own): a file whose every fact cites
    its sources, as civicgraph's exports do, loads back without a node more."""
    used = False
    for rec in records:
        if not used and not isinstance(rec, Reject) and rec.props.get("sources") == [src["id"]]:
            used = True
            yield NodeRecord("Source", dict(src), file, 0)
        yield rec


def detect_format(path: Path) -> str:
    for name, pred in _DETECT:
        try:
            if pred(path):
                return name
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile):
            continue  # a damaged file: the reader, or "cannot tell", reports it
    raise LoadError(
        "cannot tell the format of this file: pass --format "
        f"({', '.join(sorted(READERS))}) or --mapping",
        file=str(path),
    )


def load(
    store: Store,
    paths: Sequence[str | Path] = (),
    *,
    nodes: Sequence[str | Path] = (),
    edges: Sequence[str | Path] = (),
    fmt: str | None = None,
    mapping: str | Path | None = None,
    delimiter: str = ",",
    batch_size: int | None = None,
    resume: bool = False,
    skip_invalid: bool = False,
    report: str | Path | None = None,
    progress: bool | None = None,
    name: str | None = None,
    options: dict[str, Any] | None = None,
    encoding: str | None = None,
    dayfirst: bool = False,
    category_map: Mapping[str, str] | Sequence[str] | None = None,
) -> LoadSummary:
    """Load files into *store* in one validated, batched, resumable load.

    Parameters
    ----------
    paths : files read with *fmt* (or detected, or through *mapping*)
    nodes, edges : zero-configuration node and edge CSV files (also Gephi's and Kumu's
        tables: :func:`~civicgraph.loaders.files.node_layout`)
    fmt : a name from :data:`READERS` (``jsonl``, ``graphml``, ``gexf``, register formats…)
    mapping : a YAML mapping file for CSV/JSON Lines inputs
    batch_size : rows per batch written (each an ``UNWIND`` statement, or the engine's bulk
        command); default: the store's :attr:`~civicgraph.graph.store.Store.load_batch_size`
    report : CSV file receiving rejected rows and records needing review
    options : the readers' options, and the load's own (:data:`LOAD_OPTIONS`)
    encoding : the text files' encoding; default: detected for CSV files
        (:func:`~civicgraph.loaders.text.detect_encoding`), UTF-8 for JSON Lines.  The
        summary's ``encodings`` says which each file was read with.
    dayfirst : read slashed dates day first (``05/04/2021`` is 5 April); without it such
        a date is refused as ambiguous
    category_map : the user's words for labels and types, ``{"CSO": "Organization"}`` or
        ``["CSO=Organization"]`` (:mod:`~civicgraph.loaders.categories`)

    Returns
    -------
    LoadSummary
    """
    review: list[dict[str, Any]] = []
    files = [Path(p) for p in [*nodes, *edges, *paths]]
    for f in files:
        if not f.exists():
            raise LoadError("file not found", file=str(f))
    options = dict(options or {})
    for key, value in (("encoding", encoding), ("dayfirst", dayfirst or None)):
        if value is not None and key in options and options[key] != value:
            raise ConfigurationError(f"{key} is given twice, differently", field=key)
    encoding = options.pop("encoding", encoding)
    dayfirst = bool(options.pop("dayfirst", dayfirst))
    if encoding is not None:
        encoding = check_encoding(str(encoding))
    categories = Categories(parse_map(category_map))
    if options:
        if mapping is not None or not paths:
            raise ConfigurationError(
                "options are for the readers of the files given as paths (a format); "
                "a mapping and --nodes/--edges take only " + ", ".join(LOAD_OPTIONS)
            )
        check_options(sorted({fmt or detect_format(Path(p)) for p in paths}), options)
    if report is not None:
        check_writable(report)  # before anything is written to the store
    plan = ReadPlan(
        nodes=tuple(map(str, nodes)),
        edges=tuple(map(str, edges)),
        paths=tuple(map(str, paths)),
        fmt=fmt,
        mapping=None if mapping is None else str(mapping),
        delimiter=delimiter,
        options=options,
        encoding=encoding,
        dayfirst=dayfirst,
        category_map=categories.user,
    )
    state = ReadState(review)
    # A large load reads in a second process while this one validates and stages.
    records: Generator[Record, None, None] = (
        child_records(plan, store.location, state)
        if reading.wanted(store, files)
        else read_records(plan, store, state)
    )

    # The write lock from the first write to the last derived value: no other load writes
    # between this one and its derivation (which derives only what this one changed).
    with store.write_lock():
        mark = stale_mark(store)
        stale = mark.exists()  # a load stopped before it derived: derive everything
        _touch(mark)
        try:
            summary = run_load(
                store,
                records,
                name=name or (", ".join(f.name for f in files) if files else "load"),
                batch_size=batch_size,
                resume=resume,
                skip_invalid=skip_invalid,
                progress=progress,
            )
        except (LoadError, ReaderStopped, WorkFileError):
            # Refused before its first write (a write that fails is a PartialLoad): the
            # store's derived facts are as they were.
            if not stale:
                mark.unlink(missing_ok=True)
            raise
        finally:
            records.close()  # the readers' resolver indexes, or the reading process

        # The rules that Cypher and Python both read (a term's party, the mayor on a day, a
        # city's size class) are recomputed and stored once the facts they come from are in:
        # those this load may have changed (a resumed load: what its first run wrote too).
        summary.prefixed = (
            {"nodes": state.prefixed_nodes, "edge_ends": state.prefixed_ends}
            if state.prefixed_nodes
            else {}
        )
        summary.encodings = state.encodings
        summary.reader_peak_mb = state.reader_peak_mb
        written = [
            name
            for table in (summary.nodes, summary.relationships)
            for name, counts in table.items()
            if counts.created or counts.updated
        ]
        started = time.perf_counter()
        if stale or summary.resumed_batches:
            summary.derived = derive(store).as_dict()
        else:
            only, cities = scope_after(store, written, summary.changed_targets)
            summary.derived = derive(store, only=only, cities=cities).as_dict()
        summary.phases["derive"] = time.perf_counter() - started
        mark.unlink(missing_ok=True)
    summary.review = review  # type: ignore[attr-defined]
    if report is not None:
        try:
            write_report(report, summary.rejects, review)
        except OutputNotWritable as exc:  # checked before the load, but a disk can fill up
            t = summary.totals()
            raise OutputNotWritable(
                f"the load was committed (read {summary.read}, created {t.created}, updated "
                f"{t.updated}, unchanged {t.unchanged}, rejected {summary.rejected}), but its "
                f"report was not written: {exc}"
            ) from None
    return summary


def read_records(plan: ReadPlan, store: Store, state: ReadState) -> Generator[Record, None, None]:
    """Every record of the files *plan* names, in order: what a load validates and writes.

    The same in this process and in a load's reading process
    (:mod:`~civicgraph.loaders.reading`); what the readers leave besides records (review
    rows, encodings, prefixed ids) goes to *state*.
    """
    categories = Categories(plan.category_map)
    bare = BareIds()
    csv_options = CsvOptions(
        plan.delimiter, bare=bare, categories=categories, dayfirst=plan.dayfirst
    )
    context = LoadContext(store, state.review)
    encodings = state.encodings

    def text_encoding(p: str | Path, *, detect: bool = True) -> str:
        """The encoding to read text file *p* with, noted for the summary."""
        if plan.encoding is not None:
            encodings[str(p)] = plan.encoding
            return plan.encoding
        found = detect_encoding(p) if detect else "utf-8"
        encodings[str(p)] = f"{found} (detected)" if detect else found
        return found

    try:
        for group, reader in ((plan.nodes, "nodes"), (plan.edges, "edges")):
            for p in group:
                src = file_source(p)
                yield NodeRecord("Source", dict(src), str(p), 0)
                read_csv = read_nodes_csv if reader == "nodes" else read_edges_csv
                yield from read_csv(
                    p,
                    replace(
                        csv_options,
                        encoding=text_encoding(p),
                        default_source=src["id"],
                        column_kinds=plan.column_kinds.get(p),
                    ),
                )
        for path in map(Path, plan.paths):
            if plan.mapping is not None:
                src = file_source(path)
                yield NodeRecord("Source", dict(src), str(path), 0)
                yield from read_mapped(
                    path,
                    plan.mapping,
                    fmt=plan.fmt if plan.fmt in ("csv", "jsonl") else None,
                    default_source=src["id"],
                    encoding=functools.partial(text_encoding, path),
                    categories=categories,
                    dayfirst=plan.dayfirst,
                )
                continue
            kind = plan.fmt or detect_format(path)
            if kind not in READERS:
                raise LoadError(
                    f"unknown format {kind!r}; use one of {', '.join(sorted(READERS))}",
                    file=str(path),
                )
            read = READERS[kind]
            takes = reader_options(read)
            opts = {k: v for k, v in plan.options.items() if k in takes}
            own_source: dict[str, Any] | None = None
            if kind in ("graphml", "gexf"):
                own_source = file_source(path)
                opts.update(default_source=own_source["id"], categories=categories, bare=bare)
            if "encoding" in takes:
                opts["encoding"] = text_encoding(path, detect=False)
            if "context" in inspect.signature(read).parameters:
                opts["context"] = context
            if own_source is None:
                yield from read(path, **opts)
            else:
                yield from _with_file_source(read(path, **opts), own_source, str(path))
        state.prefixed_nodes, state.prefixed_ends = bare.nodes, bare.ends
    finally:
        # Every file is read (or the load stopped): the readers' resolver indexes are not
        # needed while the load checks and writes (150 MB and more for the national
        # councillors).
        context.release()


def _touch(path: Path) -> None:
    """Create *path* (empty), on disk before anything is written to the store."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as f:
            os.fsync(f.fileno())
    except OSError as exc:
        raise WorkFileError(
            f"cannot write {path}: {exc.strerror or exc}; free some space there and run the "
            "load again (nothing was written to the store)"
        ) from None
