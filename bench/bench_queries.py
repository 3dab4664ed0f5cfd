"""Stored analytic queries at national scale (issue #15: each <= 1 s).

Times ``leadership_changes``, ``exits_after_leadership_change`` and
``joins_after_leadership_change`` on the national store:

* the store: ``--store`` copied to a temporary directory (never changed), or, without it,
  built there by one ``civicgraph load`` of every file of ``bench_load.STEPS`` (about 80 s);
* the national registers hold no network, so a synthetic one is loaded on the copy through
  civicgraph's own ``load`` (a zero-configuration nodes and edges CSV): ``--members``
  cities, drawn with a fixed seed, ``MEMBER_OF`` the network ``net:bench``, each joining
  between 2014 and 2024 and half of them leaving 6 to 60 months later, their dates written
  to the day, the month or the year in turn (the queries' precision rules are exercised);
* each query warm and in-process, as ``civicgraph query`` runs it (the catalogue's stored
  query: parameter checks, the statement, presentation): one warm-up, then the median of
  ``--repeat`` runs, with its rows;
* then each through the CLI as a user types it: joined to an engine ``civicgraph serve``
  holds open, and cold (the command starts the engine on the store's files).

Usage::

    python bench/bench_queries.py                      # builds the national store first
    python bench/bench_queries.py --store /tmp/national.db --repeat 7
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from civicgraph.graph import open_store
from civicgraph.loaders import load
from civicgraph.queries import load_catalogue

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import STEPS, _civicgraph, _held_open, resolve, shared_data  # noqa: E402

__all__ = ["QUERIES", "main", "write_network"]

NETWORK = "net:bench"
#: (query, parameters): the issue's year for leadership_changes, the queries' own windows
QUERIES: list[tuple[str, dict[str, str]]] = [
    ("leadership_changes", {"from": "2020-01-01", "to": "2021-01-01"}),
    ("exits_after_leadership_change", {"network": NETWORK, "months": "12"}),
    ("joins_after_leadership_change", {"network": NETWORK, "months": "24"}),
]


def _written(day: tuple[int, int, int], precision: int) -> str:
    """*day* written to the day (0), the month (1) or the year (2)."""
    y, m, d = day
    return (f"{y:04d}-{m:02d}-{d:02d}", f"{y:04d}-{m:02d}", f"{y:04d}")[precision]


def write_network(
    folder: Path, cities: list[str], members: int, seed: int = 7
) -> tuple[Path, Path]:
    """A nodes CSV (the network) and an edges CSV (its memberships) in *folder*; see the
    module docstring."""
    rng = random.Random(seed)
    chosen = rng.sample(sorted(cities), min(members, len(cities)))
    nodes, edges = folder / "network.csv", folder / "members.csv"
    nodes.write_text(f"id,label,name\n{NETWORK},Network,Benchmark network\n", encoding="utf-8")
    with edges.open("w", encoding="utf-8") as f:
        f.write("source,target,type,start,end\n")
        for n, city in enumerate(chosen):
            start = (rng.randrange(2014, 2025), rng.randrange(1, 13), rng.randrange(1, 29))
            end = ""
            if n % 2:
                months = start[1] - 1 + rng.randrange(6, 61)
                end = _written((start[0] + months // 12, months % 12 + 1, start[2]), n % 3)
            f.write(f"{city},{NETWORK},MEMBER_OF,{_written(start, (n // 2) % 3)},{end}\n")
    return nodes, edges


def _national(db: Path) -> float:
    """Build the national store at *db* with one command; its seconds."""
    data = shared_data()
    files = [str(resolve(data, f)) for _, fs, _ in STEPS for f in fs]
    return _civicgraph("load", "--db", str(db), "--skip-invalid", *files)


def _cli_seconds(db: Path, name: str, params: dict[str, str]) -> float:
    flags = [x for k, v in params.items() for x in ("-p", f"{k}={v}")]
    return _civicgraph("query", name, "--db", str(db), *flags, "--format", "csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a national embedded store (copied first)")
    parser.add_argument("--members", type=int, default=20_000, help="cities in the network")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs per query")
    args = parser.parse_args(argv)
    if args.store is not None and not (args.store / "data").is_dir():
        parser.error(f"--store {args.store}: not an embedded store (no data/ folder in it)")
    print(
        f"civicgraph stored queries at national scale — cpus {os.cpu_count()}, load average "
        f"{os.getloadavg()[0]:.1f} at start",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "national.db"
        if args.store is not None:
            shutil.copytree(args.store, db)
            print(f"store: a copy of {args.store}")
        else:
            print(f"store: the national set in one command, built in {_national(db):.1f} s")
        with open_store(db) as store:
            cities = [r["id"] for r in store.query("MATCH (c:City) RETURN c.id AS id")]
            nodes, edges = write_network(Path(tmp), cities, args.members)
            t0 = time.perf_counter()
            summary = load(store, nodes=[nodes], edges=[edges], progress=False)
            print(
                f"network {NETWORK}: {summary.read_by.get('MEMBER_OF', 0):,} memberships of "
                f"{len(cities):,} cities, loaded in {time.perf_counter() - t0:.1f} s",
                flush=True,
            )
            catalogue = load_catalogue()
            print(f"warm, in-process (median of {args.repeat} after one warm-up; goal <= 1 s):")
            for name, params in QUERIES:
                rows = len(catalogue.run(store, name, params))
                runs = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    catalogue.run(store, name, params)
                    runs.append(time.perf_counter() - t0)
                shown = ", ".join(f"{x:.2f}" for x in runs)
                print(
                    f"  {name:32s} {statistics.median(runs):5.2f} s  {rows:6,} rows  ({shown})",
                    flush=True,
                )
        print("through the CLI (`civicgraph query NAME --format csv`):")
        with _held_open(str(db)):
            joined = {name: _cli_seconds(db, name, params) for name, params in QUERIES}
        for name, params in QUERIES:
            cold = _cli_seconds(db, name, params)
            print(
                f"  {name:32s} joined to `civicgraph serve` {joined[name]:5.2f} s; "
                f"cold (starting the engine) {cold:5.2f} s",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
