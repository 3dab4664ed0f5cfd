"""The explore page in headless Chromium, offline: counts, the date control, filters, escaping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from civicgraph.graph.viz import build_graph, render

pytestmark = pytest.mark.browser

SRC = ["src:anvita-site"]
# ANVITA's founders on 2018-09-26 (a subset), and later members; Grande-Synthe left in 2020.
CITIES = [
    {"id": "insee:38185", "name": "Grenoble", "population": 158198},
    {"id": "insee:59271", "name": "Grande-Synthe", "population": 23000},
    {"id": "insee:94041", "name": "Ivry-sur-Seine", "population": 64526},
    {"id": "insee:69123", "name": "Lyon", "population": 522250},
    {"id": "insee:67482", "name": "Strasbourg", "population": 291313},
    {"id": "insee:38200", "name": "Vizille", "population": 7500},
]
MEMBERSHIPS = [
    {"source": "insee:38185", "start": "2018-09-26", "role": "founding"},
    {"source": "insee:59271", "start": "2018-09-26", "end": "2020-07-04", "role": "founding"},
    {"source": "insee:94041", "start": "2018-09-26", "role": "founding"},
    {"source": "insee:69123", "start": "2020-09-01"},
    {"source": "insee:67482", "start": "2021-01-01"},
]


@pytest.fixture
def anvita(store: Any) -> Any:
    """A small ANVITA graph in the embedded store; Vizille has no membership (undated node)."""
    store.upsert_nodes(
        "Source",
        [{"id": SRC[0], "title": "ANVITA — qui sommes-nous", "url": "https://www.anvita.fr/"}],
    )
    store.upsert_nodes("City", [{**c, "sources": SRC} for c in CITIES])
    store.upsert_nodes("Network", [{"id": "net:anvita", "name": "ANVITA", "sources": SRC}])
    store.upsert_relationships(
        "MEMBER_OF", [{**m, "target": "net:anvita", "sources": SRC} for m in MEMBERSHIPS]
    )
    return store


def graph_of(store: Any) -> nx.MultiDiGraph:
    G = build_graph(store.query("MATCH (a)-[r:MEMBER_OF]->(b) RETURN a, r, b"))
    G.add_node("insee:38200", **{**CITIES[-1], "label": "City"})  # a node without any dates
    return G


def test_page_offline_counts_and_dates(offline_page: Any, anvita: Any, tmp_path: Path) -> None:
    G = graph_of(anvita)
    path = render(
        G,
        tmp_path / "anvita.html",
        title="ANVITA members",
        size_by="population",
        sources={SRC[0]: {"title": "ANVITA", "url": "https://www.anvita.fr/"}},
    )
    offline_page.open(path)
    assert offline_page.counts()["nodes"] == G.number_of_nodes() == 7
    assert offline_page.counts()["edges"] == G.number_of_edges() == 5
    assert offline_page.js("() => window.civicgraph.nodes.length") == G.number_of_nodes()
    assert offline_page.js("() => window.civicgraph.edges.length") == G.number_of_edges()
    assert offline_page.js("() => window.civicgraph.ready > 0")

    # Founding day: the three founders, the network, and Vizille (no dated relationship).
    founders = offline_page.set_date("2018-10-01")
    assert (founders["nodes"], founders["edges"]) == (5, 3)
    assert not offline_page.hidden("insee:59271")
    assert offline_page.hidden("insee:69123")

    later = offline_page.set_date("2022-09-01")
    assert (later["nodes"], later["edges"]) == (6, 4)
    assert later["edges"] > founders["edges"]  # more members than on the founding day
    assert offline_page.hidden("insee:59271")  # Grande-Synthe left on 2020-07-04
    assert not offline_page.hidden("insee:38200")

    # The end date itself is excluded (valid while end > d).
    assert offline_page.set_date("2020-07-04")["edges"] == 2
    assert offline_page.set_date("2020-07-03")["edges"] == 3

    everything = offline_page.set_date(None)
    assert (everything["nodes"], everything["edges"]) == (7, 5)

    # The slider drives the same logic: dates are 2018-09-26, 2020-07-04, 2020-09-01, 2021-01-01.
    page = offline_page.page
    page.eval_on_selector(
        "#cg-date",
        "el => { el.value = '4'; el.dispatchEvent(new Event('input', {bubbles: true})); }",
    )
    assert page.text_content("#cg-date-text") == "2021-01-01"
    assert offline_page.counts()["date"] == "2021-01-01"
    assert (offline_page.counts()["nodes"], offline_page.counts()["edges"]) == (6, 4)
    assert "6 of 7 nodes" in (page.text_content("#cg-counts") or "")
    page.wait_for_timeout(200)
    page.screenshot(path=str(tmp_path / "anvita-2021.png"))
    assert (tmp_path / "anvita-2021.png").stat().st_size > 10_000
    assert offline_page.errors == []


def test_initial_date_and_filters(offline_page: Any, anvita: Any, tmp_path: Path) -> None:
    G = graph_of(anvita)
    path = render(G, tmp_path / "asof.html", as_of="2018-10-01")
    offline_page.open(path)
    page = offline_page.page
    assert offline_page.counts()["date"] == "2018-10-01"
    assert page.text_content("#cg-date-text") == "2018-10-01"
    assert offline_page.counts()["nodes"] == 5

    offline_page.set_date(None)
    only_cities = offline_page.js("() => window.civicgraph.setFilter({kind: 'City'})")
    assert (only_cities["nodes"], only_cities["edges"]) == (6, 0)
    members = offline_page.js(
        "() => window.civicgraph.setFilter({kind: '', network: 'net:anvita'})"
    )
    assert (members["nodes"], members["edges"]) == (6, 5)  # Vizille is not a member
    page.select_option("#cg-network", "")
    page.click("#cg-reset")
    assert offline_page.counts()["date"] == "2018-10-01"
    assert offline_page.errors == []


def test_hover_and_click_show_sources(offline_page: Any, anvita: Any, tmp_path: Path) -> None:
    G = graph_of(anvita)
    offline_page.open(
        render(
            G,
            tmp_path / "hover.html",
            sources={
                SRC[0]: {"title": "ANVITA — qui sommes-nous", "url": "https://www.anvita.fr/"}
            },
        )
    )
    page = offline_page.page
    x, y = offline_page.js(
        """(id) => {
        const net = window.civicgraph.network;
        const dom = net.canvasToDOM(net.getPositions([id])[id]);
        const box = document.getElementById('mynetwork').getBoundingClientRect();
        return [dom.x + box.left, dom.y + box.top];
    }""",
        "insee:38185",
    )
    page.mouse.move(x, y)
    page.wait_for_selector("#cg-tip:not([hidden])", timeout=5_000)
    assert "Grenoble" in (page.text_content("#cg-tip") or "")
    page.mouse.click(x, y)
    link = page.locator("#cg-details a")
    assert link.count() == 1
    assert link.get_attribute("href") == "https://www.anvita.fr/"
    assert link.text_content() == "ANVITA — qui sommes-nous"
    assert offline_page.errors == []


def test_tooltips_escape_data(offline_page: Any, store: Any, tmp_path: Path) -> None:
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    store.upsert_nodes("City", [{"id": "insee:00001", "name": evil, "sources": ["src:x"]}])
    store.upsert_nodes("Network", [{"id": "net:anvita", "name": "ANVITA"}])
    store.upsert_relationships(
        "MEMBER_OF", [{"source": "insee:00001", "target": "net:anvita", "start": "2019-01-01"}]
    )
    G = build_graph(store.query("MATCH (a)-[r]->(b) RETURN a, r, b"))
    path = render(
        G,
        tmp_path / "evil.html",
        title=evil,
        sources={"src:x": {"title": evil, "url": "javascript:alert(3)"}},
    )
    offline_page.open(path)
    page = offline_page.page
    page.fill("#cg-find", "insee:00001")
    page.dispatch_event("#cg-find", "change")
    details = page.locator("#cg-details-body")
    assert evil in (details.text_content() or "")  # shown as text ...
    assert details.locator("script, img, a").count() == 0  # ... never as markup or a link
    assert page.title() == evil
    assert offline_page.dialogs == []
    assert offline_page.errors == []


def test_large_graph_uses_python_layout(offline_page: Any, tmp_path: Path) -> None:
    G = nx.MultiDiGraph()
    n = 1200
    for i in range(n):
        G.add_node(f"insee:{i:05d}", label="City", name=f"City {i}", population=1000 + i)
    for i in range(1, n):
        j = (i * 7919) % i
        G.add_edge(
            f"insee:{i:05d}", f"insee:{j:05d}", type="PARTNER_OF", start=f"{2000 + i % 20}-01-01"
        )
    path = render(G, tmp_path / "large.html", layout_threshold=1000)
    offline_page.open(path)
    assert offline_page.js("() => window.civicgraph.meta.physics") is False
    counts = offline_page.counts()
    assert (counts["nodes"], counts["edges"]) == (G.number_of_nodes(), G.number_of_edges())
    positions = offline_page.js(
        "() => Object.keys(window.civicgraph.network.getPositions()).length"
    )
    assert positions == n
    assert offline_page.set_date("2005-06-01")["edges"] < G.number_of_edges()
    assert offline_page.errors == []
