"""Measures over time: one projection per date, one long table.

A network changes as mayors change and cities join or leave: :func:`measure_over_time`
rebuilds the projection valid on each date (:func:`slices` makes the dates) and stacks the
measure into a long table that pandas can pivot or plot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

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


def _as_date(value: str | int | dt.date, *, end: bool = False) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if len(text) == 4 and text.isdigit():  # a bare year
        return dt.date(int(text), 12, 31) if end else dt.date(int(text), 1, 1)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"bad date {value!r} (expected YYYY-MM-DD or YYYY)") from None


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
        return sorted({_as_date(d).isoformat() for d in start})
    if end is None:
        raise ValueError("slices() needs an end date, or a list of dates")
    first, last = _as_date(start), _as_date(end, end=True)
    if every == "year":
        year = first.year if (first.month, first.day) == (1, 1) else first.year + 1
        return [dt.date(y, 1, 1).isoformat() for y in range(year, last.year + 1)]
    if every == "month":
        y, m = first.year, first.month
        if first.day != 1:  # the first whole month starts on the next 1st
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        out = []
        while dt.date(y, m, 1) <= last:
            out.append(dt.date(y, m, 1).isoformat())
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
    An actor is *present* on a date when it has at least one relationship valid that
    day within the projection; nodes without one are left out before measuring, so
    normalized betweenness is relative to the actors active on that date.

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
        G = to_networkx(store, labels=labels, types=types, as_of=date, directed=directed)
        G.remove_nodes_from([n for n in list(G) if G.degree(n) == 0])
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
