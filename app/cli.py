"""The ``civicgraph`` command: a thin shell over the library.

Each command parses its options, calls one library function and formats the result; any
:class:`~civicgraph.graph.errors.CivicgraphError` becomes one line on stderr (exit code 1).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

import click

from civicgraph.graph.outfile import check_writable
from civicgraph.graph.output import format_rows

from .commands.brokerage import brokerage
from .commands.outputs import explore, export, serve
from .commands.read import cypher, find, info, list_queries, query
from .formats import LoadCommand
from .options import connection_options, handle_errors
from .options import open_db as _open
from .params import key_value as _key_value
from .params import typed as _typed

__all__ = ["cli", "main", "parse_options"]


def parse_options(
    items: tuple[str, ...], paths: tuple[str, ...], fmt: str | None, mapping: str | None
) -> dict[str, Any]:
    """``--option KEY=VALUE`` checked against the signatures of the readers *paths* will use.

    Called before the store opens, so an unknown option costs no engine start.
    """
    if not items:
        return {}
    from pathlib import Path

    from civicgraph.loaders import READERS, detect_format
    from civicgraph.loaders.api import LOAD_OPTIONS, check_options, reader_options

    raw = dict(_key_value(item, "--option") for item in items)
    # The load's own options (encoding, dayfirst) are for every file.
    own = {
        key: text.lower() == "true" if key == "dayfirst" else text
        for key, text in raw.items()
        if key in LOAD_OPTIONS
    }
    if mapping is not None or not paths:
        if len(own) == len(raw):
            return own
        raise click.ClickException(
            "--option is for the readers of PATHS (--format); --mapping, --nodes and --edges "
            f"take only {', '.join(LOAD_OPTIONS)}"
        )
    kinds: list[str] = []
    for p in paths:
        kind = fmt or (detect_format(Path(p)) if Path(p).is_file() else "")
        if kind in READERS and kind not in kinds:
            kinds.append(kind)
    if not kinds:  # unknown format or missing file: load() names it
        return own
    check_options(kinds, raw)  # the loader's own check: one message for Python and the CLI
    accepted = [reader_options(READERS[kind]) for kind in kinds]
    return {
        key: own[key] if key in own else _typed(key, text, [a[key] for a in accepted if key in a])
        for key, text in raw.items()
    }


def _one_char(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if len(value) != 1:
        raise click.BadParameter(f"{value!r} is not one character")
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="civicgraph")
def cli() -> None:
    """civicgraph: cities, mayors, parties, CSOs and city networks as one graph.

    Start with `civicgraph demo`, then `civicgraph queries` and `civicgraph query NAME`.
    """


for _command in (info, list_queries, query, cypher, find, brokerage, export, explore, serve):
    cli.add_command(_command)


@cli.command(cls=LoadCommand)
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--nodes",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Zero-config nodes CSV: id,label,... (repeatable).",
)
@click.option(
    "--edges",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Zero-config edges CSV: source,target,type,... (repeatable).",
)
@click.option(
    "--format",
    "fmt",
    default=None,
    help="Reader for PATHS: jsonl, graphml, gexf, or a register format (see README).",
)
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False),
    default=None,
    help="YAML mapping for CSV / JSON Lines files.",
)
@click.option(
    "--delimiter", default=",", show_default=True, callback=_one_char, help="CSV delimiter."
)
@click.option(
    "--encoding",
    default=None,
    help="The files' text encoding, e.g. cp1252, latin-1, utf-16 (default: detected).",
)
@click.option("--dayfirst", is_flag=True, help="Read dates such as 05/04/2021 day first.")
@click.option(
    "--map",
    "category_map",
    multiple=True,
    metavar="WORD=LABEL",
    help="Your word for a label or type, e.g. CSO=Organization, partner=PARTNER_OF (repeatable).",
)
@click.option(
    "--batch-size",
    default=None,
    type=click.IntRange(1, 100000),
    help=(
        "Rows per batch written.  [default: 20000 on the embedded engine, whose bulk "
        "command creates the new rows; 5000 on a server]"
    ),
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write rejected rows and records needing review to this CSV.",
)
@click.option("--resume", is_flag=True, help="Finish an interrupted load of the same files.")
@click.option(
    "--skip-invalid", is_flag=True, help="Reject invalid rows into --report instead of stopping."
)
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="A reader option, e.g. close_previous=false (repeatable; true/false, integers, text).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@connection_options
@handle_errors
def load(
    paths: tuple[str, ...],
    nodes: tuple[str, ...],
    edges: tuple[str, ...],
    fmt: str | None,
    mapping: str | None,
    delimiter: str,
    encoding: str | None,
    dayfirst: bool,
    category_map: tuple[str, ...],
    batch_size: int | None,
    report: str | None,
    resume: bool,
    skip_invalid: bool,
    options: tuple[str, ...],
    as_json: bool,
    db: str,
) -> None:
    """Load files: validated first, written in batches, re-runnable without duplicates.

    Example: civicgraph load --nodes nodes.csv --edges edges.csv

    Gephi's tables (Id,Label,Type / Source,Target,Type,Label) and Kumu's (Label,Type /
    From,To,Type) load as they are; a category such as CSO is read as its label (--map for
    your own words).  Every bad row is listed with its file, line and field in one run, and
    nothing is written while any remain (--skip-invalid sends them to --report instead).  A load interrupted part-way is finished
    with the same command plus --resume.  --option passes a setting to the reader, e.g.
    civicgraph load maires.csv --format rne-maires --option close_previous=false
    """
    from civicgraph.loaders import load as do_load

    if not (paths or nodes or edges):
        raise click.UsageError("give files to load, or --nodes/--edges")
    reader_opts = parse_options(options, paths, fmt, mapping)
    if report is not None:
        check_writable(report)  # before anything is written to the store
    with _open(db, create=True) as store:
        summary = do_load(
            store,
            paths,
            nodes=nodes,
            edges=edges,
            fmt=fmt,
            mapping=mapping,
            delimiter=delimiter,
            batch_size=batch_size,
            resume=resume,
            skip_invalid=skip_invalid,
            report=report,
            options=reader_opts,
            encoding=encoding,
            dayfirst=dayfirst,
            category_map=category_map,
        )
    _print_summary(summary, as_json)
    if resume and not summary.resumed_batches and not as_json:
        # The journal is the same files, name and batch size: anything else starts over.  A
        # journal without a committed batch (stopped before its first commit) resumes nothing.
        click.echo(
            "--resume: no batch committed by an interrupted load of these files with this "
            "batch size was found; "
            "loaded from the start (what an earlier run wrote is merged, not doubled; a load "
            "interrupted under an earlier civicgraph, whose default was 5000, resumes with "
            "--batch-size 5000)",
            err=True,
        )


def _print_summary(summary: Any, as_json: bool) -> None:
    data = summary.as_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(format_rows(summary.rows(), "table"), nl=False)
    click.echo(
        f"read {data['read']}, created {data['created']}, updated {data['updated']}, "
        f"unchanged {data['unchanged']}, rejected {data['rejected']}"
        + (f", merged {sum(data['merged'].values())} repeated ids" if data["merged"] else "")
        + (f", resumed {data['resumed_batches']} batches" if data["resumed_batches"] else "")
        + (
            f", prefixed {data['prefixed']['nodes']} bare ids "
            f"({data['prefixed']['edge_ends']} edge ends)"
            if data.get("prefixed")
            else ""
        )
        + f" in {data['seconds']:.1f} s"
    )
    if data.get("encodings"):
        click.echo(
            "encodings: "
            + ", ".join(f"{os.path.basename(f)} {enc}" for f, enc in data["encodings"].items())
        )


@cli.command(name="derive")
@connection_options
@handle_errors
def derive_command(db: str) -> None:
    """Recompute the derived facts: each mayoral term's party and the term holding the office.

    Example: civicgraph derive --db civicgraph.db

    Every load does this itself.  Run it after writing with Store.upsert_* from Python, or
    after editing the graph with `civicgraph cypher --write`.  Only what changed is written.
    """
    from civicgraph.graph.derive import derive

    with _open(db) as store:
        summary = derive(store)
    click.echo(f"derived facts: {summary.cities} cities and {summary.terms} mayoral terms changed")


@cli.command()
@connection_options
@click.option(
    "--html",
    "html",
    default="anvita.html",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the pyvis page.",
)
@handle_errors
def demo(db: str, html: str) -> None:
    """Build the ANVITA case from its cited sources and print what the graph answers.

    Example: civicgraph demo --db civicgraph.db

    Idempotent: running it again reports zero new nodes and relationships.
    """
    from .demo import run_demo

    check_writable(html)
    run_demo(db, html=html, echo=click.echo)


# -- signals ----------------------------------------------------------------------------------
def _end_engines_and_exit(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM: end this command's engine first (a hung or stopped one cannot
    shut down by itself), so that unwinding waits on nothing; then leave as Python would."""
    from civicgraph.graph.engine import interrupt_engines

    interrupt_engines()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def _handle_signals() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _end_engines_and_exit)


def main() -> None:
    _handle_signals()
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:  # the engine is closed by the store's context manager/atexit
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: still one line for the user (no traceback)
        if os.environ.get("CIVICGRAPH_DEBUG"):
            raise
        click.echo(
            f"Error: unexpected {type(exc).__name__}: {exc} — this is a civicgraph bug; "
            "please report it (CIVICGRAPH_DEBUG=1 shows the traceback)",
            err=True,
        )
        sys.exit(1)
