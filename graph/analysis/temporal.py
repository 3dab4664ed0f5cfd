"""Measures over time: one projection per date, one long table.

A network changes as mayors change and cities join or leave: :func:`measure_over_time`
rebuilds the projection valid on each date (:func:`slices` makes the dates) and stacks the
measure into a long table that pandas can pivot or plot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from civicgraph.graph import dates

from .brokerage import ROLES, gould_fernandez
from .centrality import betweenness, constraint, effective_size
from .projection import to_networkx

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from civicgraph.graph.store import Store

__all__ = ["slices", "measure_over_time", "METHODS"]

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
    labels, types, directed
        Passed to :func:`~civicgraph.graph.analysis.projection.to_networkx`.
    drop_zero : bool
        ``gould-fernandez`` only: leave out actors whose ``total`` is 0 on that date
        (default).  Other measures keep every actor present.

    Returns
    -------
    pandas.DataFrame
        Columns ``actor`` (node id), ``name``, ``date``, ``measure``, ``value``.  For
        ``gould-fernandez`` one row per role and ``total`` (``measure`` is the role
        name); otherwise ``measure`` is the method name.  Rows are ordered by date, actor
        and role.

    Notes
    -----
    Every node of the projection is measured on every date, isolates included (no
    relationship holding that day): normalised betweenness is relative to all of them, as
    networkx computes it on the whole graph.

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
    rows: list[dict[str, object]] = []
    for date in on:
        # Every actor of the projection, isolates included (DESIGN §4): an actor with no
        # relationship holding on that date scores zero, it does not vanish.
        G = to_networkx(store, labels=labels, types=types, as_of=date, directed=directed)
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
            continue
        if name == "betweenness":
            values = betweenness(G)
        elif name == "constraint":
            values = constraint(G)
        else:
            values = effective_size(G)
        for actor in sorted(values, key=str):
            rows.append(
                {
                    "actor": actor,
                    "name": G.nodes[actor].get("name"),
                    "date": date,
                    "measure": name,
                    "value": values[actor],
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
