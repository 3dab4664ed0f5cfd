"""Time Gould–Fernandez brokerage, betweenness and constraint: igraph and networkx side by side.

On a seeded random directed graph (default 10,000 nodes, 100,000 arcs, 5 groups):

* Gould–Fernandez (civicgraph's own vectorised count; target ≤ 10 s, issue #6);
* exact betweenness: python-igraph's own ``Graph.betweenness(directed=True)`` on a graph
  built straight from the arc list, against civicgraph's ``betweenness`` (which runs on
  igraph, conversion from networkx included; goal ≤ igraph's own time × 1.2, issue #15);
  Both run alternately ``--repeat`` times (default 3); the medians are compared.
* Burt's constraint: igraph's own ``Graph.constraint`` against civicgraph's ``constraint``.

networkx, the reference, is timed on a smaller graph of the same density (default 1,000
nodes, 10,000 arcs; its pure-Python constraint alone takes about a minute there) beside igraph and civicgraph on that graph, with the largest
difference between the values: exact networkx betweenness at 10,000 nodes / 100,000 arcs
took 1,105 s here (``bench/RESULTS.md``, 2026-11-27) and is not run again.

Usage::

    python bench/bench_brokerage.py
    python bench/bench_brokerage.py --nx-nodes 300 --nx-arcs 3000     # a quicker reference
    python bench/bench_brokerage.py --no-networkx
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import igraph as ig
import networkx as nx

from civicgraph.graph.analysis import betweenness, constraint, gould_fernandez

__all__ = ["build", "main", "peak_rss_mb"]


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


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _igraph_of(G: nx.DiGraph) -> ig.Graph:
    """igraph's graph from the arc list (nodes of gnm_random_graph are 0..n-1)."""
    return ig.Graph(n=G.number_of_nodes(), edges=list(G.edges()), directed=True)


def _max_diff(a: dict[Any, float], b: dict[Any, float]) -> float:
    return max(
        (abs(a[k] - b[k]) for k in a if not (math.isnan(a[k]) and math.isnan(b[k]))),
        default=0.0,
    )


def _runs(times: list[float]) -> str:
    return "" if len(times) < 2 else "median of " + ", ".join(f"{t:.2f}" for t in times)


def _line(what: str, seconds: float, note: str = "") -> None:
    print(f"  {what:44s} {seconds:9.2f} s  {note}".rstrip(), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--arcs", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--nx-nodes", type=int, default=1_000, help="networkx reference size")
    parser.add_argument("--nx-arcs", type=int, default=10_000)
    parser.add_argument("--no-networkx", action="store_true", help="skip the networkx reference")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each exact betweenness (median shown)"
    )
    args = parser.parse_args(argv)

    G, dt = _timed(lambda: build(args.nodes, args.arcs, args.groups, args.seed))
    print(
        f"graph: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} arcs, "
        f"{args.groups} groups, seed {args.seed}: built in {dt:.2f} s",
        flush=True,
    )
    roles, dt = _timed(lambda: gould_fernandez(G, "group"))
    two_paths = sum(r["total"] for r in roles.values())
    _line("gould_fernandez (civicgraph)", dt, f"{two_paths:,} open two-paths")

    g, dt = _timed(lambda: _igraph_of(G))
    _line("igraph graph from the arc list", dt)
    # Alternately, --repeat times each: on a shared VM one ~20 s run of either can be
    # slowed by a neighbour; the medians are compared.
    owns, ourss = [], []
    for _ in range(args.repeat):
        own, t = _timed(lambda: g.betweenness(directed=True))
        owns.append(t)
        ours, t = _timed(lambda: betweenness(G, normalized=False))
        ourss.append(t)
    t_own, t_ours = statistics.median(owns), statistics.median(ourss)
    _line("betweenness, exact: igraph's own", t_own, _runs(owns))
    _line(
        "betweenness, exact: civicgraph (igraph)",
        t_ours,
        f"ratio to igraph's own {t_ours / t_own:.2f} (goal <= 1.2); "
        f"max |diff| {_max_diff(ours, dict(enumerate(own))):.1e}; {_runs(ourss)}",
    )
    own_c, t_own_c = _timed(lambda: g.constraint())
    _line("constraint: igraph's own", t_own_c)
    ours_c, t_ours_c = _timed(lambda: constraint(G))
    _line(
        "constraint: civicgraph (igraph)",
        t_ours_c,
        f"ratio {t_ours_c / t_own_c:.2f}; max |diff| {_max_diff(ours_c, dict(enumerate(own_c))):.1e}",
    )
    print(
        "  betweenness, exact: networkx                   not run at this size "
        "(1,105 s on 2026-11-27, bench/RESULTS.md)",
        flush=True,
    )
    print(f"  peak RSS {peak_rss_mb():.0f} MB", flush=True)

    if args.no_networkx:
        return 0
    H = build(args.nx_nodes, args.nx_arcs, args.groups, args.seed)
    print(
        f"reference graph: {H.number_of_nodes():,} nodes, {H.number_of_edges():,} arcs "
        "(same density; networkx is pure Python)",
        flush=True,
    )
    h = _igraph_of(H)
    own, t_own = _timed(lambda: h.betweenness(directed=True))
    _line("betweenness, exact: igraph's own", t_own)
    ours, t_ours = _timed(lambda: betweenness(H, normalized=False))
    _line("betweenness, exact: civicgraph (igraph)", t_ours)
    ref, t_ref = _timed(lambda: betweenness(H, normalized=False, engine="networkx"))
    _line(
        "betweenness, exact: networkx",
        t_ref,
        f"{t_ref / t_own:.0f}x igraph; max |civicgraph - networkx| {_max_diff(ours, ref):.1e}",
    )
    own_c, t_own_c = _timed(lambda: h.constraint())
    _line("constraint: igraph's own", t_own_c)
    ours_c, t_ours_c = _timed(lambda: constraint(H))
    _line("constraint: civicgraph (igraph)", t_ours_c)
    ref_c, t_ref_c = _timed(lambda: constraint(H, engine="networkx"))
    _line(
        "constraint: networkx",
        t_ref_c,
        f"{t_ref_c / t_own_c:.0f}x igraph; max |civicgraph - networkx| "
        f"{_max_diff(ours_c, ref_c):.1e}",
    )
    print(f"  peak RSS {peak_rss_mb():.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
