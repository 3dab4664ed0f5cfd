"""Derived facts: rules computed once, in Python, and stored beside the facts they come from.

Stored queries (Cypher), projections (Python), pages and exports all need the same answers
to a few questions: which party a mayoralty belongs to, which term holds the office on a
day, whether a new term brought a new mayor, which size group a city is in.  Writing each
rule in Cypher *and* in Python lets them drift apart, so each is written here once, and its
result is stored on the graph (recomputed after every load, and by ``civicgraph derive``):

==========================  ================================================================
on                          derived properties
==========================  ================================================================
``City``                    ``size_class`` (:func:`size_class`, from ``population``)
``MAYOR_OF`` (a term)       ``held_until`` — the first day the term no longer holds the
                            office: its ``end``, or the start of the city's next term,
                            whichever comes first (registers list terms without an end;
                            a newer term supersedes them).  The mayor on day ``d`` is the
                            holder of every term with ``start <= d < held_until``.
                            ``predecessor`` — the holder of the city's previous term;
                            ``mayor_changed`` — ``true`` when that is another person (a
                            re-elected mayor is not a change).
                            ``party`` (a Party id), ``party_short`` (its short name, as
                            every output shows it), ``party_basis``, ``party_sources`` —
                            the party of the term (:func:`party_of_term`).
==========================  ================================================================

The schema files declare these properties under ``derived:`` so that loaders refuse them
as input (a source gives ``stated_party``; civicgraph derives ``party``) and exports can
tell them from sourced facts.  Derivation writes only what changed: deriving twice, like
loading twice, changes nothing.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import dates, gcpause
from .store import chunks

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .store import Store

__all__ = [
    "SIZE_CLASSES",
    "UNKNOWN",
    "DeriveSummary",
    "Term",
    "derive",
    "derive_terms",
    "holds_office_cypher",
    "needed_after",
    "party_of_term",
    "scope_after",
    "size_class",
    "stale_mark",
]

#: The seed paper's four city size groups, by population (docs/design.md §4).
SIZE_CLASSES = ("<5000", "5000-99999", "100000-499999", ">=500000")
#: How every output shows a party that no source, nuance, membership or earlier term gives.
UNKNOWN = "unknown"


def holds_office_cypher(term: str, day: str) -> str:
    """The Cypher condition "``MAYOR_OF`` term *term* holds the office on *day*"
    (``start <= day < held_until``, ``held_until`` derived by :func:`derive_terms`).

    >>> holds_office_cypher("r", "$as_of")
    'r.start <= $as_of AND (r.held_until IS NULL OR r.held_until > $as_of)'
    """
    return f"{term}.start <= {day} AND ({term}.held_until IS NULL OR {term}.held_until > {day})"


def size_class(population: Any) -> str | None:
    """Return the seed paper's size group for a population, or ``None`` when unknown.

    Parameters
    ----------
    population : int, float, str or None
        Inhabitants; numeric strings are accepted.

    Returns
    -------
    str or None
        One of :data:`SIZE_CLASSES`.

    Examples
    --------
    >>> size_class(4999), size_class(5000), size_class(158_000), size_class("516092")
    ('<5000', '5000-99999', '100000-499999', '>=500000')
    >>> size_class(None) is None
    True
    """
    if population is None or isinstance(population, bool):
        return None
    try:
        pop = float(population)
    except (TypeError, ValueError):
        return None
    if pop != pop:  # NaN
        return None
    if pop < 5000:
        return SIZE_CLASSES[0]
    if pop < 100_000:
        return SIZE_CLASSES[1]
    if pop < 500_000:
        return SIZE_CLASSES[2]
    return SIZE_CLASSES[3]


@dataclass(slots=True)
class Term:
    """One ``MAYOR_OF`` relationship as derivation sees it."""

    id: str
    person: str
    city: str
    start: str | None
    end: str | None = None
    nuance: str | None = None
    stated_party: str | None = None
    sources: list[str] = field(default_factory=list)
    # derived
    held_until: str | None = None
    predecessor: str | None = None
    mayor_changed: bool | None = None
    party: str | None = None
    party_short: str | None = None
    party_basis: str | None = None
    party_sources: list[str] | None = None


#: What :func:`derive_terms` sets on a term, in the order it is written.
DERIVED_TERM_KEYS = (
    "held_until",
    "predecessor",
    "mayor_changed",
    "party",
    "party_short",
    "party_basis",
    "party_sources",
)


@dataclass
class Membership:
    """A person's ``MEMBER_OF`` a Party."""

    party: str
    start: str | None
    end: str | None
    sources: list[str]


def party_of_term(
    term: Term,
    previous: Term | None,
    *,
    nuance_parties: Mapping[str, tuple[str, list[str]]],
    memberships: Sequence[Membership] = (),
    register_sources: Iterable[str] = (),
) -> tuple[str | None, str | None, list[str] | None]:
    """The party of one mayoral term, its basis and the sources behind it (docs/design.md §5).

    The first basis that applies wins:

    1. ``stated by source`` — a source gives the term's party (``stated_party``);
    2. ``register nuance XXX`` — the term's nuance maps to a party through the nuance
       families table (``(:Nuance)-[:MAPS_TO]->(:Party)``);
    3. ``party membership`` — the mayor is ``MEMBER_OF`` a Party on the term's start (the
       "as of" rule of :func:`civicgraph.graph.dates.holds_on`: an undated membership
       holds on no day);
    4. ``carried from the YYYY term`` — *previous*, the city's immediately previous term,
       is the same person's and has a party (never across two persons; a chain of
       re-elections names the term the party was first known for).

    Otherwise ``(None, None, None)``: the party is unknown, and outputs say so.

    Examples
    --------
    >>> t2014 = Term("t1", "rne:833886", "insee:93048", "2014-04-05", nuance="COM",
    ...              stated_party="party:pcf", sources=["src:paper", "src:bref"])
    >>> party_of_term(t2014, None, nuance_parties={}, register_sources={"src:bref"})
    ('party:pcf', 'stated by source', ['src:paper'])
    >>> t2014.party, t2014.party_basis, t2014.party_sources = 'party:pcf', 'stated by source', ['src:paper']
    >>> t2020 = Term("t2", "rne:833886", "insee:93048", "2020-07-04", sources=["src:rne2020"])
    >>> party_of_term(t2020, t2014, nuance_parties={})
    ('party:pcf', 'carried from the 2014 term', ['src:paper'])
    """
    if term.stated_party:
        registers = set(register_sources)
        own = [s for s in term.sources if s not in registers] or list(term.sources)
        return term.stated_party, "stated by source", own
    if term.nuance and term.nuance in nuance_parties:
        party, mapping_sources = nuance_parties[term.nuance]
        return party, f"register nuance {term.nuance}", _union(term.sources, mapping_sources)
    if term.start is not None:
        valid = [
            m for m in memberships if dates.holds_on({"start": m.start, "end": m.end}, term.start)
        ]
        if valid:
            # the latest start wins, then the smallest party id (independent of row order)
            valid.sort(key=lambda m: m.party, reverse=True)
            best = sorted(valid, key=lambda m: m.start or "")[-1]
            return best.party, "party membership", list(best.sources)
    if previous is not None and previous.person == term.person and previous.party:
        basis = previous.party_basis or ""
        if not basis.startswith("carried from"):
            basis = f"carried from the {(previous.start or '????')[:4]} term"
        return previous.party, basis, list(previous.party_sources or [])
    return None, None, None


def _union(*lists: Iterable[str]) -> list[str]:
    out: list[str] = []
    for items in lists:
        for s in items or ():
            if s not in out:
                out.append(s)
    return out


def derive_terms(
    terms: Iterable[Term],
    *,
    nuance_parties: Mapping[str, tuple[str, list[str]]],
    memberships: Mapping[str, Sequence[Membership]],
    register_sources: Iterable[str] = (),
    shorts: Mapping[str, str] | None = None,
) -> list[Term]:
    """Fill in the derived properties of every term (see the module docstring).

    Terms are taken city by city in order of start (then holder id).  Terms without a
    start cannot be placed in time: they hold on no day and get only a party.

    Examples
    --------
    A mayor re-elected, then replaced; the register lists no ends.

    >>> ts = [Term("a", "p:1", "c", "2014-04-04", nuance="SOC", sources=["s"]),
    ...       Term("b", "p:1", "c", "2020-07-03", sources=["s"]),
    ...       Term("c", "p:2", "c", "2026-03-22", sources=["s"])]
    >>> out = derive_terms(ts, nuance_parties={"SOC": ("party:ps", ["m"])}, memberships={})
    >>> [(t.id, t.held_until, t.predecessor, t.mayor_changed, t.party, t.party_basis) for t in out]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('a', '2020-07-03', None, None, 'party:ps', 'register nuance SOC'),
     ('b', '2026-03-22', 'p:1', False, 'party:ps', 'carried from the 2014 term'),
     ('c', None, 'p:1', True, None, None)]
    """
    registers = set(register_sources)
    shorts = shorts or {}
    by_city: dict[str, list[Term]] = defaultdict(list)
    for t in terms:
        by_city[t.city].append(t)
    out: list[Term] = []
    for city in sorted(by_city):
        held = by_city[city]
        placed = sorted((t for t in held if t.start), key=_start_and_person)
        starts = sorted({t.start for t in placed if t.start})
        previous: list[Term | None] = []  # of each placed term
        earlier: list[Term] = []  # the terms of the latest start before the current one
        group: list[Term] = []
        for t in placed:
            if group and group[0].start != t.start:
                earlier, group = group, []
            group.append(t)
            prev = _pick(earlier, t.person)
            previous.append(prev)
            # the first day it no longer holds: its end, or the city's next start
            i = bisect_right(starts, t.start or "")
            following = starts[i] if i < len(starts) else None
            if t.end is None or (following is not None and following < t.end):
                t.held_until = following
            else:
                t.held_until = t.end
            t.predecessor = prev.person if prev is not None else None
            t.mayor_changed = None if prev is None else prev.person != t.person
        # Terms without a start hold on no day: no successor, no predecessor, no carry.
        if len(placed) < len(held):
            previous += [None] * (len(held) - len(placed))
            placed += [t for t in held if not t.start]
        for t, prev in zip(placed, previous, strict=True):
            t.party, t.party_basis, t.party_sources = party_of_term(
                t,
                prev,
                nuance_parties=nuance_parties,
                memberships=memberships.get(t.person, ()),
                register_sources=registers,
            )
            t.party_short = None if t.party is None else shorts.get(t.party) or t.party
        out += placed
    return out


def _start_and_person(t: Term) -> tuple[str, str]:
    return t.start or "", t.person


def _pick(group: Sequence[Term], person: str | None) -> Term | None:
    """One term of several that started on the same day: *person*'s own if there is one
    (two sources recording one re-election), else the smallest holder id."""
    if not group:
        return None
    for t in group:
        if t.person == person:
            return t
    return min(group, key=lambda t: t.person)


# -- the store -----------------------------------------------------------------------------


@dataclass
class DeriveSummary:
    """How many derived values changed, per kind."""

    cities: int = 0
    terms: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"cities": self.cities, "terms": self.terms}


#: What each derived fact is computed from: a write to one of these labels or types may
#: change it (:func:`needed_after`).
INPUTS = {
    "cities": frozenset({"City"}),
    "terms": frozenset({"MAYOR_OF", "MEMBER_OF", "MAPS_TO", "Nuance", "Party", "Source"}),
}


def needed_after(written: Iterable[str]) -> set[str]:
    """The derived facts a load must recompute, given the labels and types it wrote to.

    >>> sorted(needed_after(["Person", "COUNCILLOR_OF", "City"]))
    ['cities']
    >>> sorted(needed_after(["PARTNER_OF"]))
    []
    """
    written = set(written)
    return {name for name, inputs in INPUTS.items() if inputs & written}


#: The inputs of the mayoral terms whose writes change the terms of some cities only: a
#: ``MAYOR_OF`` term, those of its city (a term's facts come from its city's other terms);
#: a ``Source``, those whose party a source states — only there does it matter which
#: sources are registers (:func:`party_of_term`), and a party carried from such a term
#: stays in its city.  A write to any other input (a nuance's party, a membership, a
#: party's short name) may change the terms of any city.
CITY_LOCAL = frozenset({"MAYOR_OF", "Source"})
#: The cities with a term whose party a source states (``stated_party``).
_STATED_CITIES = (
    "MATCH (:Person)-[t:MAYOR_OF]->(c:City) WHERE t.stated_party IS NOT NULL "
    "RETURN DISTINCT c.id AS city"
)


def scope_after(
    store: Store | None, written: Iterable[str], changed_targets: Mapping[str, Iterable[str]]
) -> tuple[set[str], set[str] | None]:
    """What a load must recompute: the derived facts (:func:`needed_after`), and the cities
    whose mayoral terms to recompute (``None``: every city).

    *written* are the labels and types the load created or updated something of;
    *changed_targets*, per relationship type, the targets of the relationships it created
    or updated.  A load that wrote, of the terms' inputs, only :data:`CITY_LOCAL` ones
    changed the terms of the cities its ``MAYOR_OF`` relationships point to, and (if it
    wrote a ``Source``) of those where a source states a term's party, which *store* is
    asked for: those cities' terms, all of them, are recomputed, no others.

    >>> scope_after(None, ["Person", "MAYOR_OF"], {"MAYOR_OF": ["insee:75056"]})
    ({'terms'}, {'insee:75056'})
    >>> scope_after(None, ["MAYOR_OF", "MEMBER_OF"], {"MAYOR_OF": ["insee:75056"]})
    ({'terms'}, None)
    >>> scope_after(None, ["COUNCILLOR_OF"], {"COUNCILLOR_OF": ["insee:75056"]})
    (set(), None)
    """
    written = set(written)
    needed = needed_after(written)
    if "terms" not in needed or (INPUTS["terms"] - CITY_LOCAL) & written:
        return needed, None
    cities = set(changed_targets.get("MAYOR_OF", ()))
    if "Source" in written:
        if store is None:
            return needed, None
        cities.update(r["city"] for r in store.query(_STATED_CITIES))
    return needed, cities


def stale_mark(store: Store) -> Path:
    """The file saying that *store*'s derived facts may lag behind what loads wrote.

    A load creates it before it writes and removes it once it has derived what it changed;
    a load that stopped part-way (an error, a kill) leaves it, and the next load then
    derives everything (:func:`civicgraph.loaders.load`): it cannot know which cities the
    stopped one had changed.  It lives beside the store's load journals (those of every
    FalkorDB server or Neo4j store share a folder: there its name holds the store's).
    """
    folder = store.journal_dir()
    if store.backend.state_dir() is not None:
        return folder / "derive.stale"
    key = hashlib.sha256(store.location.encode()).hexdigest()[:16]
    return folder / f"derive-{key}.stale"


def derive(
    store: Store,
    *,
    batch_size: int = 5000,
    only: Iterable[str] | None = None,
    cities: Iterable[str] | None = None,
) -> DeriveSummary:
    """Recompute the derived facts in *store* and write the ones that changed.

    Parameters
    ----------
    only : iterable of {"cities", "terms"}, optional
        Recompute only these (a load passes :func:`scope_after` of what it wrote);
        default: all.
    cities : iterable of str, optional
        Recompute the mayoral terms (``terms``) of only these City ids — every term of
        each, since a term's ``held_until``, ``predecessor`` and carried party come from
        its city's other terms.  Default: every city's.  Size classes (``cities``) are
        always recomputed for every City.

    Returns
    -------
    DeriveSummary
        How many cities and mayoral terms got new values (zero when nothing changed).
    """
    parts = set(INPUTS) if only is None else set(only)
    summary = DeriveSummary()
    if only is None and cities is None:
        # Everything, under the write lock (after a running load): what a stopped load
        # left underived is derived now, so its stale mark goes.
        with store.write_lock():
            _derive(store, summary, parts, batch_size, None)
            stale_mark(store).unlink(missing_ok=True)
    else:
        _derive(store, summary, parts, batch_size, cities)
    return summary


def _derive(
    store: Store,
    summary: DeriveSummary,
    parts: set[str],
    batch_size: int,
    cities: Iterable[str] | None,
) -> None:
    # Hundreds of thousands of rows, terms and lists, none of them garbage until the end.
    with gcpause.paused():
        if "cities" in parts:
            summary.cities = _derive_cities(store, batch_size)
        if "terms" in parts:
            scope = None if cities is None else sorted(set(cities))
            summary.terms = _derive_mayoralties(store, batch_size, scope)


def _derive_cities(store: Store, batch_size: int) -> int:
    rows = store.query(
        "MATCH (c:City) RETURN c.id AS id, c.population AS population, c.size_class AS size_class"
    )
    changed = [
        {"id": r["id"], "size_class": cls}
        for r in rows
        if (cls := size_class(r["population"])) != r["size_class"]
    ]
    for batch in chunks(changed, batch_size):
        store.execute(
            "UNWIND $rows AS row MATCH (c:City {id: row.id}) SET c.size_class = row.size_class",
            {"rows": batch},
            idempotent=True,
        )
    return len(changed)


#: What derivation reads of a term: its inputs, then its derived values as stored (to write
#: only those that change).  Nothing more: the engine's reply costs per value.
_TERM_COLUMNS = (
    "t.id AS id, p.id AS person, c.id AS city, t.start AS start, t.`end` AS `end`, "
    "t.nuance AS nuance, t.stated_party AS stated_party, t.sources AS sources, "
    + ", ".join(f"t.{k} AS {k}" for k in DERIVED_TERM_KEYS)
)
_EVERY_TERM = "MATCH (p:Person)-[t:MAYOR_OF]->(c:City) RETURN " + _TERM_COLUMNS
_TERMS_OF_CITIES = (
    "UNWIND $cities AS city MATCH (p:Person)-[t:MAYOR_OF]->(c:City {id: city}) RETURN "
    + _TERM_COLUMNS
)


def _read_terms(store: Store, cities: list[str] | None) -> list[dict[str, Any]]:
    """The terms of *cities* (``None``: of every city), as :data:`_TERM_COLUMNS` rows."""
    if cities is None:
        return store.query(_EVERY_TERM)
    rows: list[dict[str, Any]] = []
    for batch in chunks(cities, 10_000):
        rows += store.query(_TERMS_OF_CITIES, {"cities": batch})
    return rows


def _derive_mayoralties(store: Store, batch_size: int, cities: list[str] | None = None) -> int:
    rows = _read_terms(store, cities)
    if not rows:
        return 0
    nuance_parties: dict[str, tuple[str, list[str]]] = {}
    for r in sorted(
        store.query(
            "MATCH (n:Nuance)-[m:MAPS_TO]->(p:Party) RETURN n.code AS code, n.id AS id, "
            "p.id AS party, m.sources AS sources"
        ),
        key=lambda r: (str(r["id"]), str(r["party"])),
    ):
        code = r["code"] or str(r["id"]).removeprefix("nuance:")
        nuance_parties.setdefault(code, (r["party"], list(r["sources"] or [])))
    memberships: dict[str, list[Membership]] = defaultdict(list)
    for r in store.query(
        "MATCH (p:Person)-[m:MEMBER_OF]->(x:Party) RETURN p.id AS person, x.id AS party, "
        "m.start AS start, m.`end` AS `end`, m.sources AS sources"
    ):
        memberships[r["person"]].append(
            Membership(r["party"], r["start"], r["end"], list(r["sources"] or []))
        )
    registers = {
        r["id"] for r in store.query("MATCH (s:Source) WHERE s.kind = 'register' RETURN s.id AS id")
    }
    shorts = {
        r["id"]: r["short"]
        for r in store.query(
            "MATCH (p:Party) WHERE p.short IS NOT NULL RETURN p.id AS id, p.short AS short"
        )
    }
    before = {r["id"]: r for r in rows}
    terms = [
        Term(
            r["id"],
            r["person"],
            r["city"],
            r["start"],
            r["end"],
            r["nuance"],
            r["stated_party"],
            r["sources"] or [],  # a fresh list of this reply's
        )
        for r in rows
    ]
    derived = derive_terms(
        terms,
        nuance_parties=nuance_parties,
        memberships=memberships,
        register_sources=registers,
        shorts=shorts,
    )
    # Only the values that changed are sent, grouped by which they are: a new term after
    # an old one changes the old one's end only (half the parameters of a register's first
    # load, which the client quotes in Python).
    stored, new = itemgetter(*DERIVED_TERM_KEYS), attrgetter(*DERIVED_TERM_KEYS)
    changed: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    count = 0
    for t in derived:
        values, old = new(t), stored(before[t.id])
        if values == old:
            continue
        count += 1
        row = {"id": t.id, "person": t.person}
        for key, value, was in zip(DERIVED_TERM_KEYS, values, old, strict=True):
            if value != was:
                row[key] = value
        changed[tuple(k for k in DERIVED_TERM_KEYS if k in row)].append(row)
    for keys, rows in sorted(changed.items()):
        statement = (  # keys from DERIVED_TERM_KEYS only
            "UNWIND $rows AS row MATCH (:Entity {id: row.person})-[t:MAYOR_OF {id: row.id}]->() "
            "SET " + ", ".join(f"t.{k} = row.{k}" for k in keys)
        )
        for batch in chunks(rows, batch_size):
            store.execute(statement, {"rows": batch}, idempotent=True)
    return count
