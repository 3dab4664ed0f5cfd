"""Benchmark the explore page: render time in Python, file size, and time to interactive.

Random graphs of cities, people, parties and networks (about two dated relationships per
node) are rendered twice: with positions computed in Python (``force_layout``, physics off)
and with vis-network's own physics in the browser (at most 200 stabilisation iterations).
Each page is opened offline in headless Chromium; "ms to interactive" is
``window.civicgraph.ready``: ``performance.now()`` (milliseconds since navigation start) when
the graph is first drawn stable.  Each page is opened ``--repeat`` times in fresh contexts; the
table shows the median (and the fastest) load.

Usage::

    python bench/bench_viz.py                    # 500 and 5,000 nodes
    python bench/bench_viz.py --sizes 1000 --keep /tmp/pages
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import networkx as nx

from civicgraph.graph.viz import render

# The browser tests' Chromium and flags, so the figures come from the browser they check.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

TARGET_MS = 3000


def random_graph(n: int, seed: int = 1) -> nx.MultiDiGraph:
    """About *n* nodes and 2·*n* dated relationships, shaped like the civicgraph model."""
    rng = random.Random(seed)
    G = nx.MultiDiGraph()
    n_networks = max(2, n // 100)
    n_parties = 8
    n_people = n // 4
    n_cities = n - n_networks - n_parties - n_people
    networks = [f"net:n{i}" for i in range(n_networks)]
    parties = [f"party:p{i}" for i in range(n_parties)]
    cities = [f"insee:{i:05d}" for i in range(n_cities)]
    people = [f"person:{i}" for i in range(n_people)]
    shorts = ["EELV", "PS", "PCF", "LFI", "LR", "RE", "MODEM", "DVG"]
    for i, node in enumerate(networks):
        G.add_node(node, label="Network", name=f"Network {i}", sources=["src:bench"])
    for node, short in zip(parties, shorts, strict=True):
        G.add_node(node, label="Party", name=f"Parti {short}", short=short)
    for i, node in enumerate(cities):
        G.add_node(
            node,
            label="City",
            name=f"Commune {i}",
            population=int(10 ** rng.uniform(2.5, 6.3)),
            sources=["src:bench"],
        )
    for i, node in enumerate(people):
        G.add_node(node, label="Person", name=f"Person {i}")

    def period() -> dict[str, Any]:
        start = f"{rng.randint(2001, 2024)}-{rng.randint(1, 12):02d}-01"
        out: dict[str, Any] = {"start": start, "sources": ["src:bench"]}
        if rng.random() < 0.3:
            out["end"] = f"{int(start[:4]) + rng.randint(1, 6)}-{rng.randint(1, 12):02d}-01"
        return out

    target = 2 * n
    while G.number_of_edges() < target:
        r = rng.random()
        if r < 0.45:
            G.add_edge(rng.choice(cities), rng.choice(networks), type="MEMBER_OF", **period())
        elif r < 0.7:
            G.add_edge(
                rng.choice(people),
                rng.choice(cities),
                type="MAYOR_OF",
                nuance=rng.choice(["LVEC", "LSOC", "LDVG", "LLR", "LDVD"]),
                **period(),
            )
        elif r < 0.8:
            G.add_edge(rng.choice(people), rng.choice(parties), type="MEMBER_OF", **period())
        else:
            G.add_edge(rng.choice(cities), rng.choice(cities), type="PARTNER_OF", **period())
    return G


def time_to_interactive(browser: Any, page_path: Path, timeout_ms: float) -> float | None:
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 800})
    context.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort()
    )
    page = context.new_page()
    try:
        page.goto(page_path.resolve().as_uri())
        page.wait_for_selector("body[data-ready='1']", state="attached", timeout=timeout_ms)
        return float(page.evaluate("() => window.civicgraph.ready"))
    except Exception:  # a timeout: report it as missing
        return None
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per page")
    parser.add_argument("--repeat", type=int, default=3, help="loads per page (median shown)")
    parser.add_argument("--keep", type=Path, help="write the pages here instead of a temp dir")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    out_dir = args.keep or Path(tempfile.mkdtemp(prefix="bench_viz_"))
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        for n in args.sizes:
            G = random_graph(n)
            for layout, threshold in (("python", 0), ("browser physics", 10**9)):
                path = out_dir / f"bench_{n}_{layout.split()[0]}.html"
                t0 = time.perf_counter()
                render(
                    G,
                    path,
                    title=f"bench {n}",
                    color_by="nuance",
                    size_by="population",
                    layout_threshold=threshold,
                )
                seconds = time.perf_counter() - t0
                loads = [
                    time_to_interactive(browser, path, args.timeout * 1000)
                    for _ in range(args.repeat)
                ]
                done = [ms for ms in loads if ms is not None]
                ms = statistics.median(done) if len(done) == len(loads) else None
                rows.append(
                    (
                        G.number_of_nodes(),
                        G.number_of_edges(),
                        layout,
                        seconds,
                        path.stat().st_size / 1e6,
                        ms,
                        min(done, default=None),
                    )
                )
        browser.close()

    print(
        f"{'nodes':>6} {'edges':>6}  {'layout':<16} {'render s':>8} {'file MB':>8} "
        f"{'ms to interactive':>18} {'(fastest)':>10}"
    )
    for nodes, edges, layout, seconds, mb, ms, fastest in rows:
        shown = f"{ms:,.0f}" if ms is not None else "timeout"
        best = f"{fastest:,.0f}" if fastest is not None else "-"
        flag = "" if ms is not None and ms <= TARGET_MS else "  > 3 s target"
        print(
            f"{nodes:>6} {edges:>6}  {layout:<16} {seconds:>8.2f} {mb:>8.2f} {shown:>18} "
            f"{best:>10}{flag}"
        )
    print(f"pages in {out_dir}")


if __name__ == "__main__":
    main()
