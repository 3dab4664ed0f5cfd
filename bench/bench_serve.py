"""Benchmark ``civicgraph serve``: a 500-row result page, from request to interactive.

A store holds one network with N member cities (default 500), each with a mayor who is a
member of a party; ``network_members`` on 2022-09-01 returns one row per member.  The
installed ``civicgraph serve`` serves it on a free loopback port, and headless Chromium opens
``/query/network_members?network=net:bench&date=2022-09-01`` in a fresh context each time.

Figures per load, in ms from navigation start (Navigation Timing; the graph's time comes from
its frame, converted to the page's clock):

* ``first byte``: the server ran the query, built the graph page and the HTML;
* ``table``: ``DOMContentLoaded`` — the form, the table and its links are usable;
* ``graph``: the graph in its frame is drawn and stable (``window.civicgraph.ready``);
* ``interactive``: the later of table and graph.

The first load is shown apart (the server's first request imports and warms up); the table
shows the median and the fastest of the others.  The server-side steps are also timed in this
process, on the same store.  Goal (issue #17): a 500-row result page interactive in ≤ 1 s.

Usage::

    python bench/bench_serve.py                   # 500 rows, 5 loads
    python bench/bench_serve.py --rows 2000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from civicgraph.app.pages import graph_page
from civicgraph.app.serve import start_server
from civicgraph.graph import open_store
from civicgraph.graph.derive import derive
from civicgraph.queries import load_catalogue

# The browser tests' Chromium and flags, so the figures come from the browser they check.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

DAY = "2022-09-01"
TARGET_MS = 1000
SHORTS = ["EELV", "PS", "PCF", "LFI", "LR", "RE", "MODEM", "DVG"]


def build(path: Path, n: int, seed: int = 1) -> None:
    """N member cities of net:bench, each with a mayor who belongs to a party."""
    rng = random.Random(seed)
    src = ["src:bench"]
    with open_store(path) as store:
        store.upsert_nodes("Source", [{"id": "src:bench", "title": "bench", "sources": src}])
        store.upsert_nodes(
            "Network", [{"id": "net:bench", "name": "Bench network", "sources": src}]
        )
        store.upsert_nodes(
            "Party",
            [{"id": f"party:{s.lower()}", "name": s, "short": s, "sources": src} for s in SHORTS],
        )
        cities = [
            {
                "id": f"insee:{10000 + i:05d}",
                "name": f"Commune {i}",
                "population": int(10 ** rng.uniform(2.5, 6.0)),
                "sources": src,
            }
            for i in range(n)
        ]
        store.upsert_nodes("City", cities)
        people = [
            {"id": f"person:mayor-{i}:1970-01-01", "name": f"Maire {i}", "sources": src}
            for i in range(n)
        ]
        store.upsert_nodes("Person", people)
        store.upsert_relationships(
            "MEMBER_OF",
            [
                {
                    "source": c["id"],
                    "target": "net:bench",
                    "start": f"{rng.randint(2018, 2021)}-{rng.randint(1, 12):02d}-01",
                    "role": "member",
                    "sources": src,
                }
                for c in cities
            ]
            + [
                {
                    "source": p["id"],
                    "target": f"party:{rng.choice(SHORTS).lower()}",
                    "start": "2010-01-01",
                    "sources": src,
                }
                for p in people
            ],
        )
        store.upsert_relationships(
            "MAYOR_OF",
            [
                {"source": p["id"], "target": c["id"], "start": "2020-07-03", "sources": src}
                for p, c in zip(people, cities, strict=True)
            ],
        )
        derive(store)


def server_steps(path: Path) -> dict[str, float]:
    """The server's work for one page, timed in this process (seconds)."""
    params = {"network": "net:bench", "date": DAY}
    with open_store(path, create=False) as store:
        t0 = time.perf_counter()
        result = load_catalogue().run(store, "network_members", params)
        t1 = time.perf_counter()
        page = graph_page(store, result, result.params, title="bench", as_of=DAY)
        t2 = time.perf_counter()
    return {
        "rows": len(result),
        "nodes": page.nodes,
        "edges": page.edges,
        "query": t1 - t0,
        "graph page": t2 - t1,
        "page MB": len(page.html.encode()) / 1e6,
    }


LOAD = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const frame = document.querySelector('iframe.cg-graph').contentWindow;
  const graph = frame.performance.timeOrigin + frame.civicgraph.ready - performance.timeOrigin;
  return {firstByte: nav.responseStart, table: nav.domContentLoadedEventEnd, graph: graph,
          rows: document.querySelectorAll('table.rows tbody tr').length,
          bytes: nav.transferSize || nav.encodedBodySize};
}"""


def load_once(browser: Any, url: str, base: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    blocked: list[str] = []
    context.route(
        "**/*",
        lambda r: (
            r.continue_()
            if r.request.url.startswith(base)
            else (blocked.append(r.request.url), r.abort())
        ),
    )
    page = context.new_page()
    try:
        page.goto(url)
        page.frame_locator("iframe.cg-graph").locator("body[data-ready='1']").wait_for(
            state="attached", timeout=120_000
        )
        out = dict(page.evaluate(LOAD))
        out["interactive"] = max(out["table"], out["graph"])
        out["blocked"] = len(blocked)
        return out
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5, help="loads after the first")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores, load average "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        build(db, args.rows)
        print(
            f"store: {args.rows} member cities, mayors, parties; built in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        steps = server_steps(db)
        print(
            f"server steps (in process): query {steps['query'] * 1000:.0f} ms → "
            f"{steps['rows']} rows; graph page {steps['graph page'] * 1000:.0f} ms → "
            f"{steps['nodes']} nodes, {steps['edges']} relationships, "
            f"{steps['page MB']:.2f} MB"
        )
        proc, base = start_server(db, Path(tmp) / "serve.err")
        url = f"{base}query/network_members?network=net:bench&date={DAY}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
                )
                print(f"Chromium {browser.version}")
                loads = [load_once(browser, url, base) for _ in range(args.repeat + 1)]
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    first, rest = loads[0], loads[1:]
    assert all(x["rows"] == steps["rows"] for x in loads), "the table lacks rows"
    print(
        f"page: {first['rows']} table rows, {first['bytes'] / 1e6:.2f} MB over HTTP; "
        f"requests refused (not to the server): {sum(x['blocked'] for x in loads)}"
    )
    print(f"{'ms from navigation':<22}{'first load':>12}{'median':>10}{'fastest':>10}")
    for key, name in (
        ("firstByte", "first byte"),
        ("table", "table (DCL)"),
        ("graph", "graph ready"),
        ("interactive", "interactive"),
    ):
        values = [x[key] for x in rest]
        print(
            f"{name:<22}{first[key]:>12.0f}{statistics.median(values):>10.0f}{min(values):>10.0f}"
        )
    median = statistics.median(x["interactive"] for x in rest)
    verdict = "met" if median <= TARGET_MS else "NOT met"
    print(f"goal: interactive in ≤ {TARGET_MS} ms — median {median:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
