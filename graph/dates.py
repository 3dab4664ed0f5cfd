"""Dates: the one place that parses, validates, compares and prints them.

civicgraph stores a date as an ISO day string ``YYYY-MM-DD`` (ISO strings compare correctly
as strings on every engine).  A source that gives only a year or a month is stored as the
first day of that period with a ``<key>_precision`` of ``year`` or ``month`` beside it
(``start: 2020-01-01, start_precision: year``); a day needs no precision property.  Every
output prints a date at its precision, as EDTF level 0 does (``2020``, ``2020-05``,
``2020-05-25``), and a before/after question that the precisions cannot decide is answered
``uncertain``, never guessed.

The rules here are used by the loaders, the command line, stored-query parameters, the
projections, the derived facts, the pages and the exports alike:

* :func:`parse` — text (``2020``, ``2020-05``, ``2020-05-25``, or day-first with
  ``dayfirst=True``) → ``(first day, precision)``; the one rule for which dates are valid.
* :func:`check_day` — a full day, as "as of" dates and query parameters must be.
* :func:`display` — a stored date at its precision.
* :func:`last_day`, :func:`order` — the period a date covers, and whether two dates'
  order is certain.
* :func:`holds_on` and :data:`AS_OF` — "as of": the one rule for whether a relationship
  holds on a day, in Python and as the Cypher condition the stored queries use.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, Literal

from .errors import CivicgraphError

__all__ = [
    "AS_OF",
    "DateError",
    "MAX_YEAR",
    "MIN_YEAR",
    "PRECISIONS",
    "Precision",
    "as_of_cypher",
    "check_day",
    "days_between",
    "display",
    "display_row",
    "holds_on",
    "last_day",
    "normalise_props",
    "order",
    "parse",
    "precision_key",
]

Precision = Literal["year", "month", "day"]
#: From coarsest to finest.
PRECISIONS: tuple[Precision, ...] = ("year", "month", "day")
#: The range of years civicgraph accepts (a typo such as ``0018`` or ``20189`` is refused).
MIN_YEAR, MAX_YEAR = 1000, 2100

_EDTF = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_SLASHED = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
_WIDTH = {"year": 4, "month": 7, "day": 10}


class DateError(CivicgraphError, ValueError):
    """A date that is not valid; the message says what was expected (``field``: the
    property, when one is known)."""


def precision_key(key: str) -> str:
    """The property that holds the precision of date property *key*.

    >>> precision_key("start")
    'start_precision'
    """
    return f"{key}_precision"


def parse(value: Any, *, dayfirst: bool = False) -> tuple[str, Precision]:
    """Return ``(first day, precision)`` for a date given as text or a ``datetime.date``.

    Accepted: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` (years 1000–2100), and with
    *dayfirst* also ``DD/MM/YYYY`` (or ``DD.MM.YYYY``).  A slashed date without *dayfirst*
    is refused with a message saying whether it is ambiguous.

    Raises
    ------
    DateError
        The value is not a date of one of those forms, or not a real day.

    Examples
    --------
    >>> parse("2020"), parse("2020-05"), parse("2020-05-25")
    (('2020-01-01', 'year'), ('2020-05-01', 'month'), ('2020-05-25', 'day'))
    >>> parse("25/05/2020", dayfirst=True)
    ('2020-05-25', 'day')
    >>> parse("05/04/2021")
    Traceback (most recent call last):
    ...
    civicgraph.graph.dates.DateError: ambiguous date '05/04/2021': day-first (5 April) or month-first (May 4)? Say which with --dayfirst, or write 2021-04-05
    >>> parse("0018-01-01")
    Traceback (most recent call last):
    ...
    civicgraph.graph.dates.DateError: date '0018-01-01' is out of range (years 1000–2100)
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return _in_range(value.isoformat(), value.year), "day"
    if type(value) is int and 0 <= value <= 9999:  # a year, as YAML reads `start: 2020`
        value = f"{value:04d}"
    if not isinstance(value, str):
        raise DateError(f"bad date {value!r} (expected YYYY, YYYY-MM or YYYY-MM-DD)")
    text = value.strip()
    m = _EDTF.fullmatch(text)
    if m is None:
        return _parse_slashed(value, text, dayfirst)
    year, month, day = m.group(1), m.group(2), m.group(3)
    precision: Precision = "day" if day else "month" if month else "year"
    iso = f"{year}-{month or '01'}-{day or '01'}"
    try:
        d = dt.date.fromisoformat(iso)
    except ValueError:
        raise DateError(f"bad date {value!r}: no such day") from None
    return _in_range(iso, d.year, value), precision


def _parse_slashed(value: str, text: str, dayfirst: bool) -> tuple[str, Precision]:
    m = _SLASHED.fullmatch(text)
    if m is None:
        raise DateError(f"bad date {value!r} (expected YYYY, YYYY-MM or YYYY-MM-DD)")
    a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not dayfirst:
        if a <= 12 and b <= 12 and a != b:
            first = dt.date(2000, b, 1).strftime("%B")
            second = dt.date(2000, a, 1).strftime("%B")
            raise DateError(
                f"ambiguous date {value!r}: day-first ({a} {first}) or month-first "
                f"({second} {b})? Say which with --dayfirst, or write {year:04d}-{b:02d}-{a:02d}"
            )
        raise DateError(
            f"day-first date {value!r}: pass --dayfirst to read DD/MM/YYYY dates, or write "
            "YYYY-MM-DD"
        )
    try:
        d = dt.date(year, b, a)
    except ValueError:
        raise DateError(f"bad date {value!r}: no such day (read as DD/MM/YYYY)") from None
    return _in_range(d.isoformat(), d.year, value), "day"


def _in_range(iso: str, year: int, given: Any = None) -> str:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DateError(
            f"date {given if given is not None else iso!r} is out of range "
            f"(years {MIN_YEAR}–{MAX_YEAR})"
        )
    return iso


_GOOD_DAYS: set[str] = set()


def check_day(value: Any, *, name: str = "date") -> str:
    """Return *value* as an ISO day ``YYYY-MM-DD``, or raise :class:`DateError`.

    "As of" dates, stored-query ``date`` parameters and ``--as-of`` options are days: a
    year or a month would be an ambiguous instant.  The message names *name* and says how
    to write the first day of a year or month.

    Examples
    --------
    >>> check_day("2022-09-01")
    '2022-09-01'
    >>> check_day("2022", name="date")
    Traceback (most recent call last):
    ...
    civicgraph.graph.dates.DateError: date '2022' is a year; give a day, e.g. 2022-01-01
    """
    if type(value) is str and value in _GOOD_DAYS:  # the same dates, again and again
        return value
    iso, precision = parse(value)
    if precision != "day":
        raise DateError(
            f"{name} {value!r} is a {precision}; give a day, e.g. {iso}"
            if name
            else f"{value!r} is a {precision}; give a day, e.g. {iso}"
        )
    if isinstance(value, str) and value != iso:
        raise DateError(f"{name} {value!r}: write it as {iso}")
    if len(_GOOD_DAYS) < 100_000:
        _GOOD_DAYS.add(iso)
    return iso


def forget_cached() -> None:
    """Drop the cache of days already checked (loads call it when they end)."""
    _GOOD_DAYS.clear()


def display(value: Any, precision: Any = None) -> Any:
    """A stored date at its precision: ``2020``, ``2020-05`` or ``2020-05-25``.

    Anything that is not an ISO day string is returned unchanged.

    >>> display("2020-01-01", "year"), display("2020-05-01", "month"), display("2020-05-25")
    ('2020', '2020-05', '2020-05-25')
    >>> display(None, "year") is None
    True
    """
    if not isinstance(value, str) or len(value) != 10 or precision in (None, "day"):
        return value
    width = _WIDTH.get(str(precision))
    return value[:width] if width else value


def last_day(value: str, precision: Any = None) -> str:
    """The last day of the period a stored date covers.

    >>> last_day("2020-01-01", "year"), last_day("2020-02-01", "month"), last_day("2020-05-25")
    ('2020-12-31', '2020-02-29', '2020-05-25')
    """
    if precision == "year":
        return value[:4] + "-12-31"
    if precision == "month":
        year, month = int(value[:4]), int(value[5:7])
        return f"{value[:7]}-{calendar.monthrange(year, month)[1]:02d}"
    return value


def days_between(a: str, b: str) -> int:
    """Days from ISO day *a* to ISO day *b* (negative when *b* comes first).

    >>> days_between("2020-01-01", "2020-03-01")
    60
    """
    return (dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days


def order(
    a: str | None, a_precision: Any, b: str | None, b_precision: Any
) -> Literal["certain", "uncertain"] | None:
    """Whether the order of two stored dates is certain at their precisions.

    It is ``uncertain`` when the two periods overlap and are not the same single day (an
    exit in ``2020`` against a change of mayor on ``2020-05-25``).  ``None`` when a date
    is missing.

    >>> order("2020-01-01", "year", "2020-05-25", None)
    'uncertain'
    >>> order("2019-01-01", "year", "2020-05-25", "day")
    'certain'
    """
    if a is None or b is None:
        return None
    a_last, b_last = last_day(a, a_precision), last_day(b, b_precision)
    if a == a_last and b == b_last:  # two days: always comparable
        return "certain"
    overlap = a <= b_last and b <= a_last
    return "uncertain" if overlap else "certain"


# -- "as of" -----------------------------------------------------------------------------

#: The Cypher form of :func:`holds_on` for a relationship of a dated type (one whose schema
#: declares ``start``): ``{r}`` is the relationship variable, ``{d}`` the day.  Stored
#: queries write it out with their own names; ``tests/graph/test_dates.py`` checks every
#: ``.cypher`` file uses exactly this form, and that the engine and Python agree.
AS_OF = "{r}.start <= {d} AND ({r}.`end` IS NULL OR {r}.`end` > {d})"


def as_of_cypher(rel: str, day: str, *, timeless: str | None = None) -> str:
    """The "as of" condition for relationship variable *rel* on day expression *day*.

    With *timeless* (a parameter holding the relationship types that have no dates in the
    schema, such as ``PART_OF``), a relationship of those types without a ``start`` holds
    on every day.

    >>> as_of_cypher("r", "$date")
    'r.start <= $date AND (r.`end` IS NULL OR r.`end` > $date)'
    """
    cond = AS_OF.format(r=rel, d=day)
    if timeless is None:
        return cond
    return (
        f"(({rel}.start IS NULL AND type({rel}) IN {timeless}) OR {rel}.start <= {day}) "
        f"AND ({rel}.`end` IS NULL OR {rel}.`end` > {day})"
    )


def holds_on(props: Mapping[str, Any], day: str | None, *, dated: bool = True) -> bool:
    """Whether a relationship with these properties holds on *day* ("as of").

    A relationship holds on day ``d`` when its ``start`` is on or before ``d`` and it has
    no ``end`` or its ``end`` is after ``d`` (the end is the first day it no longer
    holds).  A year- or month-precision date counts as the first day of its period.  A
    relationship of a *dated* type (its schema declares ``start``: memberships, offices,
    partnerships) without a ``start`` holds on no day — a source that does not say since
    when cannot place it on a date; one of an undated type (``PART_OF``, ``ABOUT``) without
    a ``start`` always holds.  With *day* ``None`` everything holds.

    Examples
    --------
    >>> r = {"start": "2014-04-04", "end": "2020-07-03"}
    >>> holds_on(r, "2014-04-04"), holds_on(r, "2020-07-02"), holds_on(r, "2020-07-03")
    (True, True, False)
    >>> holds_on({}, "2022-09-01"), holds_on({}, "2022-09-01", dated=False)
    (False, True)
    """
    if day is None:
        return True
    start, end = props.get("start"), props.get("end")
    if start is None:
        if dated:
            return False
    elif start > day:
        return False
    return end is None or end > day


# -- properties and rows --------------------------------------------------------------------


def normalise_props(props: MutableMapping[str, Any], keys: Iterable[str]) -> None:
    """Store the dates of *props* at *keys* (the schema's ``date`` properties,
    :meth:`civicgraph.graph.model.Model.date_keys`) as their first day plus
    ``<key>_precision`` (in place).

    ``2020`` becomes ``2020-01-01`` with ``<key>_precision: year``.  A given
    ``<key>_precision`` must agree with the value (``2020-01-01`` may be declared ``year``;
    ``2020-05-25`` may not); ``day`` is the default and is not stored.

    Raises
    ------
    DateError
        With the key in the message.

    Examples
    --------
    >>> p = {"start": "2020", "end": "2021-05-01", "end_precision": "month"}
    >>> normalise_props(p, ["start", "end"]); p
    {'start': '2020-01-01', 'end': '2021-05-01', 'end_precision': 'month', 'start_precision': 'year'}
    """
    for key in keys:
        if key not in props:
            continue
        value, pkey = props[key], precision_key(key)
        given = props.get(pkey)
        if given is None and type(value) is str and value in _GOOD_DAYS:
            continue  # a day already seen in this load: the common case, kept fast
        try:
            iso, precision = parse(value)
        except DateError as exc:
            raise DateError(exc.message, field=key) from None
        if given is not None:
            if given not in PRECISIONS:
                raise DateError(f"{given!r} is not one of {', '.join(PRECISIONS)}", field=pkey)
            if PRECISIONS.index(given) > PRECISIONS.index(precision):
                raise DateError(f"{value!r} is a {precision}, not a {given}", field=key)
            if iso[_WIDTH[given] :] not in ("", "-01", "-01-01"):
                raise DateError(f"{value!r} is not the first day of a {given}", field=key)
            precision = given
        props[key] = iso
        if precision == "day":
            props.pop(pkey, None)
            if value == iso and len(_GOOD_DAYS) < 100_000:
                _GOOD_DAYS.add(iso)
        else:
            props[pkey] = precision


def display_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A result row with each date column ``X`` printed at the precision in ``X_precision``
    (and that column dropped): how every output shows query results.

    >>> display_row({"city": "Grande-Synthe", "left_on": "2020-01-01",
    ...              "left_on_precision": "year"})
    {'city': 'Grande-Synthe', 'left_on': '2020'}
    """
    plan = _display_plan(tuple(row))
    if not plan:  # no column with its precision beside it
        return dict(row)
    return {
        key: value if pkey is None else display(value, row[pkey])
        for key, pkey in plan
        for value in (row[key],)
    }


@functools.lru_cache(maxsize=1024)  # a query's rows share their columns
def _display_plan(keys: tuple[str, ...]) -> tuple[tuple[str, str | None], ...]:
    """For the columns *keys*: each column shown, with its precision column (or ``None``);
    empty when no column has one, and every column is shown as it is."""
    present = set(keys)
    if not any(precision_key(k) in present for k in keys):
        return ()
    return tuple(
        (key, precision_key(key) if precision_key(key) in present else None)
        for key in keys
        if not (key.endswith("_precision") and key[: -len("_precision")] in present)
    )
