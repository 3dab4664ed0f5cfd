"""Write a zero-configuration nodes CSV and edges CSV of Organization nodes and PARTNER_OF
relationships: the 400,000-row load of issue #13 (100,000 nodes + 300,000 relationships).

Deterministic (seeded): the same files every run.  Each relationship has a ``start`` date,
so the identity (type, source, target, start) of two rows between the same organisations
differs; duplicates that remain are merged by the loader, as for any user's file.

Usage::

    python bench/gen_partners.py OUT_DIR [--nodes 100000] [--edges 300000]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

__all__ = ["write_partners"]


def write_partners(
    folder: Path, n_nodes: int = 100_000, n_edges: int = 300_000, seed: int = 13
) -> tuple[Path, Path]:
    """Write ``nodes.csv`` and ``edges.csv`` into *folder*; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    nodes, edges = folder / "nodes.csv", folder / "edges.csv"
    with nodes.open("w", encoding="utf-8") as f:
        f.write("id,label,name,size\n")
        for i in range(n_nodes):
            f.write(f"org:{i},Organization,Organisation {i},{rng.randrange(1, 500)}\n")
    with edges.open("w", encoding="utf-8") as f:
        f.write("source,target,type,start\n")
        for i in range(n_edges):
            a, b = rng.randrange(n_nodes), rng.randrange(n_nodes)
            f.write(
                f"org:{a},org:{b},PARTNER_OF,{2000 + i % 25}-{1 + i % 12:02d}-{1 + i % 28:02d}\n"
            )
    return nodes, edges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=300_000)
    args = parser.parse_args()
    nodes, edges = write_partners(args.out, args.nodes, args.edges)
    print(f"wrote {nodes} ({args.nodes} rows) and {edges} ({args.edges} rows)")


if __name__ == "__main__":
    main()
