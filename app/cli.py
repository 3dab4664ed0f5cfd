"""The ``civicgraph`` command: a thin shell over the library.

Each command parses its options, calls one library function and formats the result; any
:class:`~civicgraph.graph.errors.CivicgraphError` becomes one line on stderr (exit code 1).
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
import signal
import sys
import typing
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from civicgraph.graph import dates
from civicgraph.graph.errors import CivicgraphError
from civicgraph.graph.outfile import check_writable, os_error_line
from civicgraph.graph.output import FORMATS, format_rows
from civicgraph.graph.store import DEFAULT_DB, Store, open_store

if TYPE_CHECKING:  # pragma: no cover - typing only
    from collections.abc import Sequence

    from civicgraph.graph.viz import ColorBy, SizeBy

__all__ = ["cli", "main"]


def _db_default() -> str:
    return os.environ.get("CIVICGRAPH_DB") or os.environ.get("NEO4J_URI") or DEFAULT_DB


def connection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--db``: a store directory (embedded FalkorDB) or a ``neo4j://``/``bolt://`` URI."""
    return click.option(
        "--db",
        "db",
        default=_db_default,
        show_default="$CIVICGRAPH_DB, $NEO4J_URI or civicgraph.db",
        help="Store directory (embedded engine) or neo4j://, bolt://, falkordb:// URI. "
        "Neo4j credentials come from NEO4J_USERNAME / NEO4J_PASSWORD / NEO4J_DATABASE.",
    )(fn)


def output_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table for people; csv or json for scripts.",
    )(fn)


def param_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-p",
        "--param",
        "params",
        multiple=True,
        metavar="KEY=VALUE",
        help="A query parameter; repeat for several.",
    )(fn)


def _key_value(item: str, hint: str) -> tuple[str, str]:
    """Split ``KEY=VALUE``; the key must be an identifier (a usage error otherwise)."""
    if "=" not in item:
        raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint=hint)
    k, v = item.split("=", 1)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k.strip()):
        raise click.BadParameter(
            f"{k.strip()!r} is not a parameter name (letters, digits, _)", param_hint=hint
        )
    return k.strip(), v


def parse_params(items: tuple[str, ...]) -> dict[str, str]:
    """``-p KEY=VALUE`` pairs; values in Unicode NFC, the form ids are stored in."""
    return {k: unicodedata.normalize("NFC", v) for k, v in (_key_value(i, "-p") for i in items)}


def _scalar(text: str) -> bool | int | str:
    """``true``/``false`` → bool, an integer → int, anything else stays text."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if re.fullmatch(r"[+-]?[0-9]+", text.strip()):
        return int(text)
    return text


def _typed(key: str, text: str, params: list[inspect.Parameter]) -> Any:
    """*text* as the type the readers' annotations want (bool, int, else str)."""
    value = _scalar(text)
    kinds: set[Any] = set()
    for p in params:
        ann = p.annotation
        if ann is inspect.Parameter.empty or isinstance(ann, str) or ann is Any:
            return value  # unknown: the generic parse
        kinds |= set(typing.get_args(ann)) or {ann}
    kinds.discard(type(None))
    if type(value) in kinds or (type(value) is int and float in kinds):
        return value
    if str in kinds:
        return text
    names = {bool: "true or false", int: "an integer", float: "a number"}
    want = " or ".join(sorted(names.get(k, getattr(k, "__name__", str(k))) for k in kinds))
    raise click.ClickException(f"--option {key}={text}: expected {want}")


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


def _date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check a DATE option before the store opens (a bad date is a usage error)."""
    if value is None:
        return None
    try:
        return dates.check_day(value, name="")
    except dates.DateError as exc:
        raise click.BadParameter(str(exc)) from None


def _one_char(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if len(value) != 1:
        raise click.BadParameter(f"{value!r} is not one character")
    return value


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn what can go wrong on a user's input into one line on stderr and exit code 1:
    civicgraph's own errors, and the operating system's (a path that cannot be read or
    written, a full disk), text that cannot be decoded or printed, input nested too deeply."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CivicgraphError as exc:
            raise click.ClickException(str(exc)) from None
        except BrokenPipeError:  # `civicgraph … | head`: the reader has all it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except OSError as exc:
            raise click.ClickException(os_error_line(exc)) from None
        except UnicodeError as exc:
            verb = "decoded" if isinstance(exc, UnicodeDecodeError) else "encoded"
            raise click.ClickException(
                f"text that cannot be {verb} ({getattr(exc, 'reason', exc)}): files must be "
                "UTF-8, and the terminal's encoding must hold the output (set "
                "PYTHONIOENCODING=utf-8)"
            ) from None
        except RecursionError:
            raise click.ClickException(
                "the input is nested too deeply to be read (properties are flat values or lists)"
            ) from None

    return wrapper


def _open(db: str, *, create: bool = False) -> Store:
    """Open the store of a command; only commands that write (``load``, ``demo``,
    ``cypher --write``) may create one."""
    return open_store(db, create=create)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="civicgraph")
def cli() -> None:
    """civicgraph: cities, mayors, parties, CSOs and city networks as one graph.

    Start with `civicgraph demo`, then `civicgraph queries` and `civicgraph query NAME`.
    """


@cli.command()
@connection_options
@output_options
@handle_errors
def info(db: str, fmt: str) -> None:
    """Show the engine, its version and node/relationship counts.

    Example: civicgraph info --db civicgraph.db
    """
    with _open(db) as store:
        data = store.info()
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    rows = [{"kind": "label", "name": k, "count": v} for k, v in data["labels"].items()]
    rows += [{"kind": "type", "name": k, "count": v} for k, v in data["types"].items()]
    if fmt == "csv":
        click.echo(format_rows(rows, "csv"), nl=False)
        return
    click.echo(f"engine:        {data['engine']} ({data['version']})")
    click.echo(
        f"store:         {data['location']}"
        + (
            f" (read-only: {data['read_only']}; read from a private copy)"
            if "read_only" in data
            else ""
        )
    )
    click.echo(f"nodes:         {data['nodes']}")
    click.echo(f"relationships: {data['relationships']}")
    if rows:
        click.echo()
        click.echo(format_rows(rows, "table"), nl=False)


@cli.command()
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
@click.option("--batch-size", default=5000, show_default=True, type=click.IntRange(1, 100000))
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
    batch_size: int,
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


@cli.command(name="queries")
@output_options
@handle_errors
def list_queries(fmt: str) -> None:
    """List the stored queries with their descriptions and parameters.

    Example: civicgraph queries --format json
    """
    from civicgraph.queries import load_catalogue

    cat = load_catalogue()
    if fmt == "json":
        click.echo(json.dumps([q.describe() for q in cat], indent=2, ensure_ascii=False))
        return
    rows = []
    for q in cat:
        params = ", ".join(
            f"{p.name}:{p.type}" + ("" if p.required else f"={p.default}")
            for p in q.params.values()
        )
        rows.append({"name": q.name, "params": params, "description": q.summary})
    click.echo(format_rows(rows, fmt), nl=False)


@cli.command()
@click.argument("name")
@param_options
@output_options
@connection_options
@handle_errors
def query(name: str, params: tuple[str, ...], fmt: str, db: str) -> None:
    """Run a stored query by name (read-only unless the query declares @write).

    Example: civicgraph query network_members -p network=net:anvita -p date=2019-01-01
    """
    from civicgraph.queries import load_catalogue

    q = load_catalogue().get(name)
    values = parse_params(params)
    q.bind(values)  # check parameters before starting the engine
    with _open(db) as store:
        rows = q.run(store, values)
    click.echo(format_rows(rows, fmt), nl=False)


@cli.command()
@click.argument("statement")
@param_options
@click.option("--write", is_flag=True, help="Allow the statement to write.")
@output_options
@connection_options
@handle_errors
def cypher(statement: str, params: tuple[str, ...], write: bool, fmt: str, db: str) -> None:
    """Run an ad-hoc Cypher statement, read-only unless --write.

    Example: civicgraph cypher "MATCH (c:City) RETURN c.name LIMIT 5"

    Parameters are passed as strings: -p id=insee:38185 makes $id available.
    """
    values: dict[str, Any] = dict(parse_params(params))
    with _open(db, create=write) as store:
        rows = store.execute(statement, values) if write else store.query(statement, values)
    click.echo(format_rows(rows, fmt), nl=False)


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


@cli.command()
@click.option(
    "--method",
    type=click.Choice(["gould-fernandez", "betweenness", "constraint", "effective-size"]),
    default="gould-fernandez",
    show_default=True,
)
@click.option(
    "--group",
    default="party",
    show_default=True,
    help="Node attribute defining groups (gould-fernandez): party, nuance, kind, "
    "label, departement, size_class or any property.",
)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="DATE",
    callback=_date_option,
    help="Only relationships valid on this date.",
)
@click.option(
    "--every",
    type=click.Choice(["year", "month"]),
    default=None,
    help="Measure on every year (or month) from --from to --to.",
)
@click.option("--from", "from_", default=None, metavar="DATE")
@click.option("--to", default=None, metavar="DATE")
@click.option("--labels", multiple=True, help="Keep only nodes with these labels (repeatable).")
@click.option("--types", multiple=True, help="Keep only these relationship types (repeatable).")
@click.option("--directed/--undirected", default=True, show_default=True)
@click.option(
    "--keep-zero",
    is_flag=True,
    help="Also list actors whose score is 0 (a Gould-Fernandez total, a betweenness); "
    "with it every method lists every actor.",
)
@click.option(
    "--raw",
    is_flag=True,
    help="betweenness: raw counts (igraph, R sna, UCINET) instead of normalised over all "
    "n actors (networkx).",
)
@output_options
@connection_options
@handle_errors
def brokerage(
    method: str,
    group: str,
    as_of: str | None,
    every: str | None,
    from_: str | None,
    to: str | None,
    labels: tuple[str, ...],
    types: tuple[str, ...],
    directed: bool,
    keep_zero: bool,
    raw: bool,
    fmt: str,
    db: str,
) -> None:
    """Brokerage positions: Gould-Fernandez roles, betweenness, Burt's constraint.

    Example: civicgraph brokerage --method betweenness --raw --keep-zero --format csv

    \b
    Default projection: every actor (persons, parties, territories,
    organisations, networks; --labels to choose), isolates included, every
    relationship type, directed as stored.  Which value is which:
      gould-fernandez  raw counts of open two-paths by role (R sna::brokerage)
      betweenness      normalised over all n actors, isolates included
                       (networkx betweenness_centrality); with --raw the raw
                       counts (igraph Graph.betweenness, R sna, UCINET)
      constraint       Burt's constraint (igraph); empty for an isolate
      effective-size   Burt's effective size (networkx); empty for an isolate
    An isolate's constraint and effective size are undefined, never 0.  Actors
    with a 0 (Gould-Fernandez total, betweenness) are left out unless
    --keep-zero.  --every year --from D --to D measures on each date (a long
    table: who became a broker when; on a terminal a progress bar shows the
    time taken).  CSV columns: id and the five roles plus total
    (gould-fernandez), or id,value; date comes second when slicing.
    """
    from civicgraph.graph.analysis import measure_over_time, slices

    if raw and method != "betweenness":
        raise click.UsageError("--raw applies to --method betweenness only")
    dates: Sequence[str | None] = [as_of]
    if every:
        if not (from_ and to):
            raise click.UsageError("--every needs --from and --to")
        if as_of:
            raise click.UsageError("use either --as-of or --every")
        try:
            dates = slices(from_, to, every)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    with _open(db) as store:
        df = measure_over_time(
            store,
            method,
            dates,
            group=group,
            labels=labels or None,
            types=types or None,
            directed=directed,
            drop_zero=not keep_zero,
            normalized=not raw,
            progress=None,
        )
    click.echo(format_rows(_brokerage_rows(df, method, sliced=bool(every)), fmt), nl=False)


def _brokerage_rows(df: Any, method: str, *, sliced: bool) -> list[dict[str, Any]]:
    import math

    from civicgraph.graph.analysis.brokerage import ROLES

    rows: list[dict[str, Any]] = []
    if method == "gould-fernandez":
        wide: dict[tuple[str, str], dict[str, Any]] = {}
        for r in df.to_dict("records"):
            key = (r["actor"], r["date"])
            row = wide.setdefault(
                key,
                {
                    "id": r["actor"],
                    **({"date": r["date"]} if sliced else {}),
                    **{role: 0 for role in ROLES},
                },
            )
            row[r["measure"]] = int(r["value"])
        rows = sorted(wide.values(), key=lambda x: (x.get("date", ""), -x["total"], x["id"]))
    else:
        for r in df.to_dict("records"):
            value = float(r["value"])
            rows.append(
                {
                    "id": r["actor"],
                    **({"date": r["date"]} if sliced else {}),
                    # undefined (an isolate's constraint): an empty cell, null in JSON;
                    # 12 significant digits drop float noise, yet a betweenness
                    # normalised over 500,000 actors (1e-9) does not print as 0
                    "value": None if math.isnan(value) else float(f"{value:.12g}"),
                }
            )
        rows.sort(
            key=lambda x: (
                x.get("date", ""),
                x["value"] is None,
                -(x["value"] or 0.0),
                x["id"],
            )
        )
    return rows


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["graphml", "gexf", "jsonl", "csv", "neo4j-admin"]),
    required=True,
)
@click.option(
    "-o",
    "--output",
    "path",
    required=True,
    help="Output file (csv: a directory or a prefix; '-' for stdout, not csv).",
)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="DATE",
    callback=_date_option,
    help="Only what was valid on this date.",
)
@connection_options
@handle_errors
def export(fmt: str, path: str, as_of: str | None, db: str) -> None:
    """Export the graph for Gephi, networkx, pandas or a backup.

    Example: civicgraph export --format gexf -o anvita.gexf

    jsonl is the exact backup: `civicgraph load FILE.jsonl` into an empty store rebuilds the
    same graph.  gexf carries start/end spells for Gephi's timeline.  neo4j-admin writes a
    folder for `neo4j-admin database import full` (run its import.sh), which
    `civicgraph load --format neo4j-admin DIR/*.csv` also reads back.
    """
    from civicgraph.graph.export import check_export_path
    from civicgraph.graph.export import export as do_export

    check_export_path(fmt, path)  # before the store is opened
    with _open(db) as store:
        result = do_export(store, fmt, path, as_of=as_of)
    where = ", ".join(str(p) for p in result["paths"])
    if fmt == "neo4j-admin":
        where = f"{path} ({len(result['paths'])} files; import them with its import.sh)"
    if path != "-":
        click.echo(
            f"wrote {result['nodes']} nodes and {result['relationships']} relationships to {where}",
            err=True,
        )


@cli.command()
@click.argument("name", required=False)
@param_options
@click.option("--cypher", "statement", default=None, help="A read-only statement instead.")
@click.option("--all", "everything", is_flag=True, help="The whole graph.")
@click.option(
    "--neighbours",
    default=0,
    show_default=True,
    type=click.IntRange(0, 5),
    help="Add the N-hop context of what the query returns.",
)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="DATE",
    callback=_date_option,
    help="The page's initial date (its slider still moves through time).",
)
@click.option(
    "--color-by", type=click.Choice(["kind", "party", "nuance"]), default="kind", show_default=True
)
@click.option(
    "--size-by", type=click.Choice(["degree", "population"]), default="degree", show_default=True
)
@click.option(
    "--title",
    default=None,
    help="The page's title (default: from the stored query's description, in words).",
)
@click.option("--caption", default=None, help="The sentence under the title.")
@click.option(
    "-o", "--output", default="explore.html", show_default=True, type=click.Path(dir_okay=False)
)
@connection_options
@handle_errors
def explore(
    name: str | None,
    params: tuple[str, ...],
    statement: str | None,
    everything: bool,
    neighbours: int,
    as_of: str | None,
    color_by: ColorBy,
    size_by: SizeBy,
    title: str | None,
    caption: str | None,
    output: str,
    db: str,
) -> None:
    """Render a stored query's result (or a statement, or --all) as an interactive page.

    Example: civicgraph explore network_members -p network=net:anvita -p date=2022-09-01 -o a.html

    The page is one self-contained HTML file that works offline: hover a node for its key
    properties and sources, filter by kind/party/network, move the date slider.  A stored
    query's page is titled from its description ("Members of ANVITA on 1 September 2022")
    and opens on its date; --all hides the reference nodes until asked.
    """
    from .explore import explore as do_explore

    if sum(bool(x) for x in (name, statement, everything)) != 1:
        raise click.UsageError("give a query NAME, or --cypher, or --all")
    check_writable(output)
    with _open(db) as store:
        result = do_explore(
            store,
            output,
            query=name,
            params=parse_params(params),
            cypher=statement,
            everything=everything,
            neighbours=neighbours,
            as_of=as_of,
            color_by=color_by,
            size_by=size_by,
            title=title,
            caption=caption,
        )
    click.echo(f"wrote {result['path']}: {result['nodes']} nodes, {result['edges']} edges")


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


@cli.command()
@connection_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="0: any free."
)
@handle_errors
def serve(db: str, host: str, port: int) -> None:
    """Serve the graph in a browser, read-only: the stored queries as forms, a Cypher
    console, a page per node; every result also as .json and .csv.

    Example: civicgraph serve --db civicgraph.db --port 8001

    Listens on loopback (127.0.0.1) unless --host says otherwise, and then warns that
    anyone on that network can read the graph.  Ctrl-C stops it.
    """
    from civicgraph.app.serve import serve as run_server

    run_server(db, host=host, port=port, echo=click.echo)


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
