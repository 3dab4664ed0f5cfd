"""``load()``: pick a reader for each file, validate everything, then write (``run_load``)."""

from __future__ import annotations

import inspect
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from civicgraph.graph.derive import derive, needed_after
from civicgraph.graph.errors import ConfigurationError, LoadError, OutputNotWritable
from civicgraph.graph.outfile import check_writable
from civicgraph.graph.store import Store

from .base import run_load
from .files import (
    BareIds,
    file_source,
    read_edges_csv,
    read_graphml,
    read_jsonl,
    read_nodes_csv,
)
from .mapping import read_mapped
from .records import LoadSummary, NodeRecord, Record, write_report
from .register_common import LoadContext

__all__ = [
    "GIVEN_BY_LOAD",
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


@register_reader("jsonl", lambda p: p.suffix in (".jsonl", ".ndjson"))
def _jsonl(path: Path) -> Records:
    return read_jsonl(path)


@register_reader("graphml", lambda p: p.suffix == ".graphml")
def _graphml(path: Path, *, default_source: str | None = None) -> Records:
    return read_graphml(path, default_source=default_source)


#: Keywords ``load()`` itself gives a reader: never user options.
GIVEN_BY_LOAD = frozenset({"context", "default_source"})


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
        if not any(key in a for a in accepted.values()):
            lists = (
                "; ".join(
                    f"the {kind} reader takes {', '.join(sorted(a)) or 'no options'}"
                    for kind, a in accepted.items()
                )
                or "no reader of these files takes options"
            )
            raise ConfigurationError(f"unknown option {key!r}: {lists}", field=key)


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
    batch_size: int = 5000,
    resume: bool = False,
    skip_invalid: bool = False,
    report: str | Path | None = None,
    progress: bool | None = None,
    name: str | None = None,
    options: dict[str, Any] | None = None,
) -> LoadSummary:
    """Load files into *store* in one validated, batched, resumable load.

    Parameters
    ----------
    paths : files read with *fmt* (or detected, or through *mapping*)
    nodes, edges : zero-configuration node and edge CSV files
    fmt : a name from :data:`READERS` (``jsonl``, ``graphml``, register formats…)
    mapping : a YAML mapping file for CSV/JSON Lines inputs
    report : CSV file receiving rejected rows and records needing review

    Returns
    -------
    LoadSummary
    """
    review: list[dict[str, Any]] = []
    files = [Path(p) for p in [*nodes, *edges, *paths]]
    for f in files:
        if not f.exists():
            raise LoadError("file not found", file=str(f))
    if options:
        if mapping is not None or not paths:
            raise ConfigurationError(
                "options are for the readers of the files given as paths (a format); "
                "a mapping and --nodes/--edges take none"
            )
        check_options(sorted({fmt or detect_format(Path(p)) for p in paths}), options)
    context = LoadContext(store, review)
    if report is not None:
        check_writable(report)  # before anything is written to the store
    sources: list[dict[str, Any]] = []
    bare = BareIds()

    def records() -> Iterator[Record]:
        for group, reader in ((nodes, "nodes"), (edges, "edges")):
            for p in group:
                src = file_source(p)
                sources.append(src)
                yield NodeRecord("Source", dict(src), str(p), 0)
                if reader == "nodes":
                    yield from read_nodes_csv(
                        p, delimiter=delimiter, default_source=src["id"], bare=bare
                    )
                else:
                    yield from read_edges_csv(
                        p, delimiter=delimiter, default_source=src["id"], bare=bare
                    )
        for p in map(Path, paths):
            if mapping is not None:
                src = file_source(p)
                yield NodeRecord("Source", dict(src), str(p), 0)
                yield from read_mapped(
                    p,
                    mapping,
                    fmt=fmt if fmt in ("csv", "jsonl") else None,
                    default_source=src["id"],
                )
                continue
            kind = fmt or detect_format(p)
            if kind not in READERS:
                raise LoadError(
                    f"unknown format {kind!r}; use one of {', '.join(sorted(READERS))}", file=str(p)
                )
            read = READERS[kind]
            takes = reader_options(read)
            opts = {k: v for k, v in (options or {}).items() if k in takes}
            if kind == "graphml":
                src = file_source(p)
                yield NodeRecord("Source", dict(src), str(p), 0)
                opts["default_source"] = src["id"]
            if "context" in inspect.signature(read).parameters:
                opts["context"] = context
            yield from read(p, **opts)
        # Every file is read: the readers' resolver indexes are not needed while the load
        # checks and writes (150 MB and more for the national councillors).
        context.release()

    try:
        summary = run_load(
            store,
            records(),
            name=name or (", ".join(f.name for f in files) if files else "load"),
            batch_size=batch_size,
            resume=resume,
            skip_invalid=skip_invalid,
            progress=progress,
        )
    finally:
        context.release()  # the register readers' resolver indexes of this load

    # The rules that Cypher and Python both read (a term's party, the mayor on a day, a
    # city's size class) are recomputed and stored once the facts they come from are in.
    summary.prefixed = {"nodes": bare.nodes, "edge_ends": bare.ends} if bare.nodes else {}
    written = [
        name
        for table in (summary.nodes, summary.relationships)
        for name, counts in table.items()
        if counts.created or counts.updated
    ]
    summary.derived = derive(store, only=needed_after(written)).as_dict()
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
