"""Measures over time: one projection per date, one long table.

A network changes as mayors change and cities join or leave: :func:`measure_over_time`
rebuilds the projection valid on each date (:func:`slices` makes the dates) and stacks the
measure into a long table that pandas can pivot or plot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx

from civicgraph.graph import dates

from .brokerage import ROLES, gould_fernandez
from .centrality import betweenness, constraint, effective_size
from .projection import to_networkx

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from civicgraph.graph.store import Store

__all__ = ["slices", "measure_over_time", "METHODS", "DATED_ATTRIBUTES"]

#: Measures :func:`measure_over_time` knows.
METHODS = ("gould-fernandez", "betweenness", "constraint", "effective-size")

COLUMNS = ["actor", "name", "date", "measure", "value"]


def _first(item: tuple[object, object]) -> str:
    return str(item[0])


def slices(
    start: str | int | dt.date | Iterable[str | dt.date],
    end: str | int | dt.date | None = None,
    every: str = "year",
) -> list[str]:
    """Dates to measure on: the first day of each year (or month) from *start* to *end*.

    Parameters
    ----------
    start : str, int, date, or iterable of dates
        First date (``YYYY-MM-DD`` or a bare year ``YYYY``).  An iterable of dates is
        returned checked, sorted and without duplicates (*end* and *every* are ignored).
    end : str, int or date
        Last date, inclusive (a bare year means its 31 December).
    every : {"year", "month"}
        Step.

    Returns
    -------
    list of str
        ISO dates ``start <= d <= end`` that fall on the first day of a year (month).

    Examples
    --------
    >>> slices(2018, 2021)
    ['2018-01-01', '2019-01-01', '2020-01-01', '2021-01-01']
    >>> slices("2019-06-15", "2021-06-15")
    ['2020-01-01', '2021-01-01']
    >>> slices("2020-11-01", "2021-01-31", every="month")
    ['2020-11-01', '2020-12-01', '2021-01-01']
    >>> slices(["2020-07-01", "2014-04-01", "2020-07-01"])
    ['2014-04-01', '2020-07-01']
    """
    if not isinstance(start, str | int | dt.date):
        return sorted({dates.check_day(d) for d in start})
    if end is None:
        raise ValueError("slices() needs an end date, or a list of dates")
    # a year or a month counts from its first day (start) to its last (end)
    first = dates.parse(start)[0]
    last = dates.last_day(*dates.parse(end))
    y, m = int(first[:4]), int(first[5:7])
    if every == "year":
        year = y if first[5:] == "01-01" else y + 1
        return [f"{year:04d}-01-01" for year in range(year, int(last[:4]) + 1)]
    if every == "month":
        if first[8:] != "01":  # the first whole month starts on the next 1st
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        out = []
        while f"{y:04d}-{m:02d}-01" <= last:
            out.append(f"{y:04d}-{m:02d}-01")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    raise ValueError(f"every must be 'year' or 'month', not {every!r}")


def measure_over_time(
    store: Store,
    method: str,
    dates: Sequence[str | None],
    *,
    group: str | None = None,
    labels: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    directed: bool = True,
    drop_zero: bool = True,
    normalized: bool = True,
    progress: bool | None = False,
) -> pd.DataFrame:
    """Compute one measure on the projection valid on each date, as a long table.

    Parameters
    ----------
    store : Store
    method : {"gould-fernandez", "betweenness", "constraint", "effective-size"}
        Underscores are accepted too (``effective_size``).
    dates : sequence of str
        ISO dates, e.g. from :func:`slices`; ``[None]`` measures the whole graph once,
        without a date filter.
    group : str, optional
        Node attribute to group by; required for ``gould-fernandez`` (``party``,
        ``kind``, ``departement``… see
        :func:`~civicgraph.graph.analysis.projection.to_networkx`).  Party and nuance
        are those of the mandate valid on each date.
    labels : sequence of str, optional
        Node labels of the projection; default ``["Actor"]``: every person, party,
        territory, organisation and network, and not the ``Source``, ``Statistic``,
        ``Event`` or ``Nuance`` nodes (a file's ``Source`` is not an actor of its network).
    types, directed
        Passed to :func:`~civicgraph.graph.analysis.projection.to_networkx`.
    drop_zero : bool
        Leave out actors whose value is 0 on that date (default): a Gould–Fernandez
        ``total`` of 0, a betweenness of 0.  Constraint and effective size are never 0;
        an isolate's are ``nan`` and keep their row.  ``False`` lists every actor.
    normalized : bool
        ``betweenness`` only: normalized over all n actors (default, networkx's
        ``betweenness_centrality``), or the raw counts of igraph, ``sna`` and UCINET.
    progress : bool or None
        Show a progress bar over the dates on stderr (``None``: when it is a terminal).

    Returns
    -------
    pandas.DataFrame
        Columns ``actor`` (node id), ``name``, ``date``, ``measure``, ``value``.  For
        ``gould-fernandez`` one row per role and ``total`` (``measure`` is the role
        name); otherwise ``measure`` is the method name.  Rows are ordered by date, actor
        and role.

    Notes
    -----
    Every actor of the projection is measured on every date, isolates included (nodes
    do not expire; only relationships do): an isolate's betweenness is 0 and counts in
    the normalisation, as networkx computes it on the whole graph; its constraint and
    effective size are ``nan`` (undefined); it has a row with ``drop_zero=False``
    (docs/design.md §4).

    Examples
    --------
    >>> measure_over_time(store, "gould-fernandez", slices(2015, 2022),   # doctest: +SKIP
    ...                   group="party", types=["MEMBER_OF", "PARTNER_OF"])
    """
    import pandas as pd

    name = method.replace("_", "-").lower()
    if name not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if name == "gould-fernandez" and not group:
        raise ValueError("gould-fernandez needs a group attribute (e.g. group='party')")
    if isinstance(dates, str):
        dates = [dates]
    # [None]: one measure over the whole graph, with no date filter.
    on: list[str | None] = [None]
    if list(dates) != [None]:
        if None in dates:  # None only makes sense alone; slices() words it so
            raise ValueError("bad date None (expected YYYY-MM-DD or YYYY)")
        on = list(slices([d for d in dates if d is not None]))
    if labels is None:
        labels = ["Actor"]
    rows: list[dict[str, object]] = []
    graphs = projections(
        store,
        on,
        group=group if name == "gould-fernandez" else None,
        labels=labels,
        types=types,
        directed=directed,
    )
    for date, G in _progress(graphs, len(on), name, progress):
        if name == "gould-fernandez":
            for actor, counts in sorted(gould_fernandez(G, group or "").items(), key=_first):
                if drop_zero and counts["total"] == 0:
                    continue
                label = G.nodes[actor].get("name")
                rows.extend(
                    {
                        "actor": actor,
                        "name": label,
                        "date": date,
                        "measure": role,
                        "value": counts[role],
                    }
                    for role in ROLES
                )
            del G  # one date's graph at a time: the next is built before the loop rebinds G
            continue
        if name == "betweenness":
            values = betweenness(G, normalized=normalized)
        elif name == "constraint":
            values = constraint(G)
        else:
            values = effective_size(G)
        for actor in sorted(values, key=str):
            if drop_zero and values[actor] == 0:
                continue
            rows.append(
                {
                    "actor": actor,
                    "name": G.nodes[actor].get("name"),
                    "date": date,
                    "measure": name,
                    "value": values[actor],
                }
            )
        del G
    return pd.DataFrame(rows, columns=COLUMNS)


#: Node attributes :func:`~civicgraph.graph.analysis.projection.to_networkx` takes from
#: the mandate valid on its date; every other attribute is the same on every date.
DATED_ATTRIBUTES = frozenset({"party", "nuance", "departement"})


def projections(
    store: Store,
    days: list[str | None],
    *,
    group: str | None,
    labels: Sequence[str],
    types: Sequence[str] | None,
    directed: bool,
) -> Iterator[tuple[str | None, nx.Graph]]:
    """(day, the projection on it) for each day: the nodes and edges of
    ``to_networkx(store, as_of=day)``, with ``name`` and the *group* attribute.

    Over several days the store is read once (every relationship, with its dates) and each
    day keeps the relationships that hold on it (:func:`civicgraph.graph.dates.holds_on`,
    the one "as of" rule) — reading the national store takes minutes, filtering it a
    second.  A group that depends on the day (:data:`DATED_ATTRIBUTES`: a city's party is
    its mayor's on that day) needs the projection of each day, read on each day.
    """
    if len(days) < 2 or (group is not None and group in DATED_ATTRIBUTES):
        for day in days:
            yield (
                day,
                to_networkx(store, labels=labels, types=types, as_of=day, directed=directed),
            )
        return
    if group is None:
        nodes, arcs = _lean_rows(store, labels, types)
    else:  # the group comes from to_networkx's node attributes
        M = to_networkx(store, labels=labels, types=types, directed=directed, multigraph=True)
        nodes = [(n, {k: d[k] for k in ("name", group) if k in d}) for n, d in M.nodes(data=True)]
        arcs = [
            (u, v, {"start": d.get("start"), "end": d.get("end"), "type": d.get("type")})
            for u, v, d in M.edges(data=True)
        ]
        del M
    undated = set(store.model.undated_types)
    for day in days:
        G = nx.DiGraph() if directed else nx.Graph()
        G.add_nodes_from(nodes)
        G.add_edges_from(
            (u, v) for u, v, d in arcs if dates.holds_on(d, day, dated=d["type"] not in undated)
        )
        yield day, G


def _lean_rows(
    store: Store, labels: Sequence[str], types: Sequence[str] | None
) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, str, dict[str, Any]]]]:
    """The nodes (id, name) and relationships (ends, type, start, end) of the projection that
    :func:`~civicgraph.graph.analysis.projection.to_networkx` reads, without their other
    properties: on the national store, reading every property takes about ten times longer
    and several GB (a test checks that the graphs are the same)."""
    params: dict[str, Any] = {"labels": sorted({store.model.check_label(x) for x in labels})}
    conds = ["any(l IN labels(a) WHERE l IN $labels)", "any(l IN labels(b) WHERE l IN $labels)"]
    if types is not None:
        params["types"] = sorted({store.model.check_type(x) for x in types})
        conds.append("type(r) IN $types")
    nodes = [
        (r["id"], {"name": r["name"]} if r["name"] is not None else {})
        for r in store.query(
            "MATCH (n) WHERE any(l IN labels(n) WHERE l IN $labels) "
            "RETURN n.id AS id, n.name AS name",
            params,
        )
    ]
    nodes.sort(key=lambda n: str(n[0]))  # to_networkx's node order
    arcs = [
        (r["s"], r["t"], {"start": r["start"], "end": r["end"], "type": r["type"]})
        for r in store.query(
            "MATCH (a)-[r]->(b) WHERE " + " AND ".join(conds) + " RETURN a.id AS s, "
            "b.id AS t, type(r) AS type, r.start AS start, r.`end` AS `end`",
            params,
        )
    ]
    return nodes, arcs


def _progress(
    graphs: Iterator[tuple[str | None, nx.Graph]], total: int, name: str, enabled: bool | None
) -> Iterable[tuple[str | None, nx.Graph]]:
    """*graphs*, behind a progress bar on stderr when there are several dates (counts,
    s/date and the elapsed time stay on the terminal when done)."""
    if total < 2 or enabled is False:
        return graphs
    import sys

    from tqdm import tqdm

    return tqdm(
        graphs,
        total=total,
        desc=name,
        unit="date",
        file=sys.stderr,
        disable=None if enabled is None else not enabled,
        dynamic_ncols=True,
    )
