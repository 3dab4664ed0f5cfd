"""Time Gould–Fernandez brokerage and betweenness on a seeded random directed graph.

The target (issue 6): 10,000 nodes, 100,000 arcs, 5 groups, brokerage in at most 10 s on
2 cores.  Exact betweenness (Brandes, pure Python in networkx) is far slower on a graph this
size; ``--k 500`` estimates it from 500 sampled sources instead, and the output says which
was used.

Usage::

    python bench/bench_brokerage.py                 # exact betweenness (slow)
    python bench/bench_brokerage.py --k 500         # sampled betweenness
    python bench/bench_brokerage.py --no-betweenness
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time

import networkx as nx

from civicgraph.graph.analysis import betweenness, gould_fernandez


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 1024 / 1024


def build(nodes: int, arcs: int, groups: int, seed: int) -> nx.DiGraph:
    G = nx.gnm_random_graph(nodes, arcs, seed=seed, directed=True)
    rng = random.Random(seed)
    names = [f"g{i}" for i in range(groups)]
    nx.set_node_attributes(G, {n: rng.choice(names) for n in G}, "group")
    return G


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--arcs", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--k", type=int, default=None, help="betweenness from k sampled sources (default: exact)"
    )
    parser.add_argument("--no-betweenness", action="store_true", help="skip betweenness")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    G = build(args.nodes, args.arcs, args.groups, args.seed)
    print(
        f"graph: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} arcs, "
        f"{args.groups} groups, seed {args.seed}: built in {time.perf_counter() - t0:.2f} s, "
        f"peak RSS {peak_rss_mb():.0f} MB",
        flush=True,
    )

    t0 = time.perf_counter()
    roles = gould_fernandez(G, "group")
    seconds = time.perf_counter() - t0
    two_paths = sum(r["total"] for r in roles.values())
    print(
        f"gould_fernandez: {seconds:.2f} s ({two_paths:,} open two-paths), "
        f"peak RSS {peak_rss_mb():.0f} MB",
        flush=True,
    )

    if not args.no_betweenness:
        how = "exact (k=None)" if args.k is None else f"sampled, k={args.k} sources"
        t0 = time.perf_counter()
        betweenness(G, k=args.k, seed=args.seed)
        print(
            f"betweenness [{how}]: {time.perf_counter() - t0:.2f} s, "
            f"peak RSS {peak_rss_mb():.0f} MB",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
