"""``civicgraph brokerage``: brokerage positions over the store's graph (Gould-Fernandez
roles, betweenness, Burt's constraint and effective size), on a date or over time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from civicgraph.graph.output import format_rows

from ..options import as_of_option, connection_options, handle_errors, open_db, output_options

if TYPE_CHECKING:  # pragma: no cover - typing only
    from collections.abc import Sequence

__all__ = ["brokerage"]


@click.command()
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
@as_of_option("Only relationships valid on this date.")
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
    with open_db(db) as store:
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
