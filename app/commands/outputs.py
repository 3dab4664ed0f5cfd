"""Commands that write what the store holds elsewhere: ``export`` (files for Gephi,
networkx, pandas, Neo4j or a backup), ``explore`` (a page) and ``serve`` (a local web app)."""

from __future__ import annotations

from typing import Any

import click

from civicgraph.graph.outfile import check_writable

from ..options import as_of_option, connection_options, handle_errors, open_db, param_options
from ..params import parse_params
from .read import warn_missing_ids

__all__ = ["explore", "export", "serve"]


@click.command()
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
@as_of_option("Only what was valid on this date.")
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
    with open_db(db) as store:
        result = do_export(store, fmt, path, as_of=as_of)
    where = ", ".join(str(p) for p in result["paths"])
    if fmt == "neo4j-admin":
        where = f"{path} ({len(result['paths'])} files; import them with its import.sh)"
    if path != "-":
        click.echo(
            f"wrote {result['nodes']} nodes and {result['relationships']} relationships to {where}",
            err=True,
        )


@click.command()
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
@as_of_option("The page's initial date (its slider still moves through time).")
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
    output: str,
    db: str,
    **page: Any,
) -> None:
    """Render a stored query's result (or a statement, or --all) as an interactive page.

    Example: civicgraph explore network_members -p network=net:anvita -p date=2022-09-01 -o a.html

    The page is one self-contained HTML file that works offline: hover a node for its key
    properties and sources, filter by kind/party/network, move the date slider.  A stored
    query's page is titled from its description ("Members of ANVITA on 1 September 2022")
    and opens on its date; --all hides the reference nodes until asked.  A result with no
    nodes is an error: return nodes, or their ids (a column id or *_id).
    """
    from civicgraph.queries import load_catalogue

    from ..explore import explore as do_explore

    if sum(bool(x) for x in (name, statement, page["everything"])) != 1:
        raise click.UsageError("give a query NAME, or --cypher, or --all")
    values = parse_params(params, typed_text=statement is not None)
    if name:
        load_catalogue().get(name).bind(values)  # parameters checked before the engine starts
    check_writable(output)
    with open_db(db) as store:
        if name:
            warn_missing_ids(store, load_catalogue().get(name), values)
        result = do_explore(store, output, query=name, params=values, cypher=statement, **page)
    click.echo(f"wrote {result['path']}: {result['nodes']} nodes, {result['edges']} edges")


@click.command()
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
