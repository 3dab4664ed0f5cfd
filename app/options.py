"""What the ``civicgraph`` commands share: option bundles, the store they open, and the
error handling that turns a user's mistake into one line on stderr (exit code 1)."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from civicgraph.graph import dates
from civicgraph.graph.errors import CivicgraphError
from civicgraph.graph.outfile import os_error_line
from civicgraph.graph.output import FORMATS
from civicgraph.graph.store import DEFAULT_DB, Store, open_store

__all__ = [
    "as_of_option",
    "connection_options",
    "handle_errors",
    "open_db",
    "output_options",
    "param_options",
]


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


def _date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check a DATE option before the store opens (a bad date is a usage error)."""
    if value is None:
        return None
    try:
        return dates.check_day(value, name="")
    except dates.DateError as exc:
        raise click.BadParameter(str(exc)) from None


def as_of_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--as-of DATE``, checked before the store opens; *help* says what the date does."""
    return click.option(
        "--as-of", "as_of", default=None, metavar="DATE", callback=_date_option, help=help
    )


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


def open_db(db: str, *, create: bool = False) -> Store:
    """Open the store of a command; only commands that write (``load``, ``demo``,
    ``cypher --write``) may create one: a command that reads refuses a path with no store
    (:class:`~civicgraph.graph.errors.StoreNotFound`) and creates nothing."""
    return open_store(db, create=create)
