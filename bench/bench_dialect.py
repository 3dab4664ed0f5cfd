"""What the Neo4j dialect bridge and the neo4j-admin format cost (issue 16).

1. Rewriting: microseconds per statement for the stored queries and the everyday Neo4j
   statements of tests/graph/backends/test_dialect.py, first time (tokenised, rewritten) and again (cached).
2. neo4j-admin: export of the demo case, then its load into a fresh store, with counts.

Usage::

    python bench/bench_dialect.py            # builds the demo case in a temporary folder
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from civicgraph.app.demo import build_case
from civicgraph.graph import open_store
from civicgraph.graph.backends.dialect import clear_cache, to_falkordb
from civicgraph.graph.errors import UnsupportedCypher
from civicgraph.graph.export import export
from civicgraph.loaders import load
from civicgraph.queries import load_catalogue

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_dialect import EVERYDAY  # noqa: E402


def per_statement(texts: list[str], repeat: int = 20) -> tuple[float, float]:
    """Median microseconds per statement: uncached, then cached."""
    first, again = [], []
    for text in texts:
        for _ in range(repeat):
            clear_cache()
            t = time.perf_counter()
            try:
                to_falkordb(text)
            except UnsupportedCypher:
                pass
            first.append(time.perf_counter() - t)
        t = time.perf_counter()
        for _ in range(repeat):
            try:
                to_falkordb(text)
            except UnsupportedCypher:
                pass
        again.append((time.perf_counter() - t) / repeat)
    return statistics.median(first) * 1e6, statistics.median(again) * 1e6


def main() -> None:
    stored = [q.text for q in load_catalogue()]
    everyday = list(EVERYDAY)
    for name, texts in (("stored queries", stored), ("everyday Neo4j statements", everyday)):
        first, again = per_statement(texts)
        print(f"rewrite, {name} ({len(texts)}): {first:.0f} µs first, {again:.1f} µs cached")
    with tempfile.TemporaryDirectory() as tmp:
        with open_store(Path(tmp) / "case.db") as store:
            build_case(store, progress=False)
            t = time.perf_counter()
            result = export(store, "neo4j-admin", Path(tmp) / "adm")
            exported = time.perf_counter() - t
            digest = store.digest()
        files = sorted(Path(tmp, "adm").glob("*.csv"))
        print(
            f"neo4j-admin export: {result['nodes']} nodes, {result['relationships']} "
            f"relationships, {len(files)} CSV files in {exported:.2f} s"
        )
        with open_store(Path(tmp) / "rt.db") as rt:
            t = time.perf_counter()
            summary = load(rt, files, fmt="neo4j-admin", progress=False)
            loaded = time.perf_counter() - t
            same = rt.digest() == digest
        print(
            f"neo4j-admin load: {summary.read} records in {loaded:.2f} s; "
            f"same digest as the source: {same}"
        )


if __name__ == "__main__":
    main()
