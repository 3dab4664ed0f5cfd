"""Commands that read the store and print rows: ``info``, ``queries``, ``query``, ``cypher``
and ``find``; each prints a table, CSV or JSON (``--format``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from civicgraph.graph.output import format_rows

from ..options import connection_options, handle_errors, open_db, output_options, param_options
from ..params import parse_params

if TYPE_CHECKING:  # pragma: no cover - typing only
    from civicgraph.graph.store import Store
    from civicgraph.queries import StoredQuery

__all__ = ["cypher", "find", "info", "list_queries", "query", "warn_missing_ids"]


def warn_missing_ids(store: Store, q: StoredQuery, values: dict[str, Any]) -> int:
    """Say on stderr which ``id`` parameters name no node, and the node each may mean;
    return how many."""
    lines = q.missing_ids(store, values)
    for line in lines:
        click.echo(f"Warning: {line}", err=True)
    return len(lines)


@click.command()
@connection_options
@output_options
@handle_errors
def info(db: str, fmt: str) -> None:
    """Show the engine, its version and node/relationship counts.

    Example: civicgraph info --db civicgraph.db
    """
    with open_db(db) as store:
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


@click.command(name="queries")
@click.argument("name", required=False)
@output_options
@connection_options
@handle_errors
def list_queries(name: str | None, fmt: str, db: str) -> None:
    """List the stored queries, or show one: its documentation, parameters and Cypher.

    Example: civicgraph queries founders

    The shipped queries, plus those in the folders of CIVICGRAPH_QUERIES_PATH
    (:-separated).  --db is accepted and not read: the catalogue is files, not the store.
    """
    from civicgraph.queries import load_catalogue

    cat = load_catalogue()
    chosen = [cat.get(name)] if name else list(cat)
    if fmt == "json":
        described = [q.describe() | ({"cypher": q.text} if name else {}) for q in chosen]
        click.echo(json.dumps(described[0] if name else described, indent=2, ensure_ascii=False))
        return
    if name and fmt == "table":
        q = chosen[0]
        click.echo(f"{q.name}{'  (writes: @write)' if q.write else ''}\n\n{q.description}\n")
        click.echo(
            format_rows(_param_rows(q), "table") if q.params else "no parameters\n", nl=False
        )
        click.echo(f"\n{q.path}:\n\n{q.text.rstrip()}")
        return
    if name:
        click.echo(format_rows(_param_rows(chosen[0]), fmt), nl=False)
        return
    rows = [
        {
            "name": q.name,
            "params": ", ".join(
                f"{p.name}:{p.type}" + ("" if p.required else f"={p.default}")
                for p in q.params.values()
            ),
            "description": q.summary,
        }
        for q in chosen
    ]
    click.echo(format_rows(rows, fmt), nl=False)


def _param_rows(q: StoredQuery) -> list[dict[str, Any]]:
    return [
        {
            "param": p.name,
            "type": p.type,
            "default": "(required)" if p.required else p.default,
            "values": "|".join(p.choices),
            "description": p.doc,
        }
        for p in q.params.values()
    ]


@click.command()
@click.argument("name")
@param_options
@output_options
@connection_options
@handle_errors
def query(name: str, params: tuple[str, ...], fmt: str, db: str) -> None:
    """Run a stored query by name (read-only unless the query declares @write).

    Example: civicgraph query network_members -p network=net:anvita -p date=2019-01-01

    Values are converted to the types the query declares (`civicgraph queries NAME`).  An id
    no node has is reported on stderr with the node whose name it matches.
    """
    from civicgraph.queries import load_catalogue

    q = load_catalogue().get(name)
    values = parse_params(params)
    q.bind(values)  # check parameters before starting the engine
    with open_db(db) as store:
        missing = warn_missing_ids(store, q, values)
        rows = q.run(store, values)
    if missing and not rows:  # not an empty answer: an answer to a question not asked
        raise click.ClickException("no rows, and an id given matches no node (see above)")
    click.echo(format_rows(rows, fmt), nl=False)


@click.command()
@click.argument("statement")
@param_options
@click.option("--write", is_flag=True, help="Allow the statement to write.")
@output_options
@connection_options
@handle_errors
def cypher(statement: str, params: tuple[str, ...], write: bool, fmt: str, db: str) -> None:
    """Run an ad-hoc Cypher statement, read-only unless --write.

    Example: civicgraph cypher "MATCH (c:City) WHERE c.population > $n RETURN c.name" -p n=500000

    \b
    -p KEY=VALUE reads VALUE as --option does: true/false, an integer
    (no leading zero) or a decimal number, else text.  cypher-shell's
    form -p 'KEY => LITERAL' takes a Cypher literal: 'text' (so
    -p "code => '01053'" is text), 500000, true, null, [1, 2], {a: 1}.
    """
    values = parse_params(params, typed_text=True)
    with open_db(db, create=write) as store:
        rows = store.execute(statement, values) if write else store.query(statement, values)
    click.echo(format_rows(rows, fmt), nl=False)


@click.command()
@click.argument("text")
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(1), help="At most this many."
)
@output_options
@connection_options
@handle_errors
def find(text: str, limit: int, fmt: str, db: str) -> None:
    """Find node ids from names: every node whose name or id contains TEXT, in any case,
    with or without accents, best match first.

    Example: civicgraph find grenoble
    """
    with open_db(db) as store:
        rows = store.find(text, limit=limit)
    if not rows:
        raise click.ClickException(f"no node's name or id contains {text!r}")
    click.echo(format_rows(rows, fmt), nl=False)
