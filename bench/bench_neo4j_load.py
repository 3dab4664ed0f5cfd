"""First load of a big graph into Neo4j: ``civicgraph load`` (batched ``UNWIND … MERGE``
over Bolt) on the synthetic Organization / PARTNER_OF graph, and the export that
``neo4j-admin database import`` reads, with the command to run it.

Needs a Neo4j 5 server: ``NEO4J_URI`` (with ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``; the
database must be empty, or ``CIVICGRAPH_TEST_RESETDB=1`` lets this empty it first).
Without ``NEO4J_URI`` it says so and exits 0.

Usage::

    python bench/bench_neo4j_load.py [--nodes 100000] [--edges 300000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from civicgraph.graph import open_store
from civicgraph.graph.export import export
from civicgraph.loaders import load

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_partners import write_partners  # noqa: E402

__all__ = ["main", "neo4j_first_load"]


def neo4j_first_load(uri: str, folder: Path, n_nodes: int, n_edges: int) -> dict[str, float]:
    """Seconds for civicgraph's batched load into the empty Neo4j database of *uri*, then
    for a second run of the same load (nothing changes), and the rows."""
    nodes, edges = write_partners(folder / "in", n_nodes, n_edges)
    with open_store(uri) as store:
        held = store.totals()[0]
        if held and not os.environ.get("CIVICGRAPH_TEST_RESETDB"):
            raise SystemExit(
                f"the Neo4j database holds {held} nodes: set CIVICGRAPH_TEST_RESETDB=1"
            )
        store.execute("MATCH (n) DETACH DELETE n")
        t0 = time.perf_counter()
        first = load(store, nodes=[nodes], edges=[edges], progress=False)
        t1 = time.perf_counter()
        again = load(store, nodes=[nodes], edges=[edges], progress=False)
        t2 = time.perf_counter()
        totals = store.totals()
    return {
        "rows": float(first.read),
        "first": t1 - t0,
        "again": t2 - t1,
        "created": float(first.totals().created),
        "unchanged_again": float(again.totals().unchanged),
        "nodes": float(totals[0]),
        "relationships": float(totals[1]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--edges", type=int, default=300_000)
    args = ap.parse_args(argv)
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        print("NEO4J_URI is not set: no Neo4j server to measure (docker compose up -d)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        r = neo4j_first_load(uri, Path(tmp), args.nodes, args.edges)
        print(
            f"civicgraph load into Neo4j (batched UNWIND … MERGE): {r['rows']:,.0f} rows in "
            f"{r['first']:.1f} s ({r['rows'] / r['first']:,.0f} rows/s); the same load again "
            f"{r['again']:.1f} s ({r['unchanged_again']:,.0f} unchanged)"
        )
        with open_store(Path(tmp) / "local.db") as local:
            nodes, edges = Path(tmp) / "in" / "nodes.csv", Path(tmp) / "in" / "edges.csv"
            load(local, nodes=[nodes], edges=[edges], progress=False)
            t0 = time.perf_counter()
            export(local, "neo4j-admin", Path(tmp) / "adm")
            print(
                f"civicgraph export --format neo4j-admin: {time.perf_counter() - t0:.1f} s; "
                "then, on the Neo4j machine: NEO4J_ADMIN=… adm/import.sh <database>"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
