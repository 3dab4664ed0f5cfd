"""Pages ready to publish, in headless Chromium and offline: title and caption in words, the
query's date, reference nodes behind one toggle, names readable at hundreds of nodes, a
details panel that leaves the clicked node in view, the result's own columns, a credit line
and a PNG made in the page.  The conftest fails any test whose page asks for anything."""

from __future__ import annotations

import base64
import random
import struct
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner
from facts import GRENOBLE_IN_ANVITA

from civicgraph.app.cli import cli
from civicgraph.graph import open_store
from civicgraph.graph.viz import build_graph, fetch_sources, render
from civicgraph.graph.viz.style import KIND_COLOURS, REFERENCE_LABELS
from civicgraph.queries import load_catalogue

pytestmark = pytest.mark.browser

MEMBERS = ["network_members", "-p", "network=net:anvita", "-p", "date=2022-09-01"]


def explore(case_db: Path, out: Path, *args: str) -> Path:
    result = CliRunner().invoke(cli, ["explore", *args, "-o", str(out), "--db", str(case_db)])
    assert result.exit_code == 0, result.output
    return out


def dom_of(page: Any, node_id: str) -> dict[str, float]:
    """Where a node is drawn, in pixels of #cg-main."""
    return page.evaluate(
        "(id) => { const n = window.civicgraph.network; return n.canvasToDOM(n.getPosition(id)); }",
        node_id,
    )


def test_title_and_caption_in_words_and_the_page_opens_on_the_query_date(
    case_db: Path, tmp_path: Path, offline_page: Any
) -> None:
    page = offline_page.open(explore(case_db, tmp_path / "m.html", *MEMBERS))
    assert page.text_content("h1") == "Members of ANVITA on 1 September 2022"
    assert page.title() == "Members of ANVITA on 1 September 2022"
    caption = page.text_content("#cg-caption") or ""
    assert caption == "With kind, size class, mayor and the mayor's party."
    assert "network=" not in caption and "net:anvita" not in caption
    # The slider starts on the query's date, not on "all dates".
    assert offline_page.counts()["date"] == "2022-09-01"
    assert page.text_content("#cg-date-text") == "2022-09-01"
    assert offline_page.errors == []


def test_whole_graph_hides_reference_nodes_behind_one_toggle(
    case_db: Path, tmp_path: Path, offline_page: Any
) -> None:
    page = offline_page.open(explore(case_db, tmp_path / "all.html", "--all"))
    with open_store(case_db) as s:
        total = s.totals()[0]
        reference = s.query(
            "MATCH (n) WHERE "
            + " OR ".join(f"n:{lab}" for lab in REFERENCE_LABELS)
            + " RETURN count(n) AS n"
        )[0]["n"]
    assert reference > 200  # 129 nuances, 101 départements, régions, sources
    hidden_kinds = (
        "() => [...new Set(window.civicgraph.nodes.get({filter: n => n.hidden})"
        ".map(n => n.kind))].sort()"
    )
    assert offline_page.counts()["nodes"] == total - reference
    assert set(offline_page.js(hidden_kinds)) == set(REFERENCE_LABELS)
    assert "Show reference nodes" in (page.text_content("#cg-ref-box") or "")
    assert not page.is_checked("#cg-ref")

    page.click("#cg-ref")  # the one toggle
    assert offline_page.counts()["nodes"] == total
    assert offline_page.js(hidden_kinds) == []
    page.click("#cg-ref")
    assert offline_page.counts()["nodes"] == total - reference

    # Every kind on the page has a colour of its own (Departement and Region did not).
    palette = offline_page.js("() => window.civicgraph.meta.palette")
    assert palette["Departement"] != palette["Region"]
    assert len(set(palette.values())) == len(palette)
    assert len(set(KIND_COLOURS.values())) == len(KIND_COLOURS)
    assert offline_page.errors == []


@pytest.mark.parametrize("n", [150, 1000])
def test_names_stay_readable_at_hundreds_of_nodes(
    n: int, tmp_path: Path, offline_page: Any
) -> None:
    rng = random.Random(7)
    G = nx.MultiDiGraph()
    for i in range(n):
        G.add_node(f"insee:{i:05d}", label="City", name=f"Commune {i}")
    hubs = [f"insee:{i:05d}" for i in range(12)]  # a few well-connected cities
    for i in range(12, n):
        G.add_edge(f"insee:{i:05d}", rng.choice(hubs), type="PARTNER_OF", start="2020-01-01")
        if i % 3 == 0:
            G.add_edge(f"insee:{i:05d}", f"insee:{rng.randrange(n):05d}", type="PARTNER_OF")
    offline_page.open(render(G, tmp_path / "big.html", title="Partners"))
    drawn = offline_page.js("() => window.civicgraph.drawnLabels")
    px = offline_page.js("() => window.civicgraph.labelPx")
    # Fitted to the window, vis-network's own 14 px names would be too small to read ...
    scale = offline_page.js("() => window.civicgraph.network.getScale()")
    assert 14 * scale < 10
    # ... so the best-connected ones are drawn at 13 px or more, without overlapping.
    assert px >= 13
    top = max(hubs, key=G.degree)
    assert top in drawn and drawn[0] == top  # the best-connected name first
    assert len(set(hubs) & set(drawn)) >= 9  # a name overlapping a better one is left out
    assert 10 <= len(drawn) <= 60
    # Size by degree: the hubs are the largest nodes.
    sizes = offline_page.js("() => window.civicgraph.nodes.get().map(n => [n.id, n.size])")
    biggest = sorted(sizes, key=lambda s: -s[1])[:12]
    assert {i for i, _ in biggest} == set(hubs)
    # Zoomed in, names are still drawn, no smaller.
    offline_page.js("() => window.civicgraph.network.moveTo({scale: 1.5, animation: false})")
    offline_page.page.wait_for_timeout(100)
    assert offline_page.js("() => window.civicgraph.labelPx") >= 13
    assert offline_page.js("() => window.civicgraph.drawnLabels.length") >= 1
    assert offline_page.errors == []


@pytest.mark.parametrize("corner", ["top-left", "top-right", "centre-left"])
def test_details_panel_never_covers_the_clicked_node(
    corner: str, case_db: Path, tmp_path: Path, offline_page: Any
) -> None:
    page = offline_page.open(explore(case_db, tmp_path / "m.html", *MEMBERS))
    width, height = page.evaluate(
        "() => { const m = document.getElementById('cg-main');"
        " return [m.clientWidth, m.clientHeight]; }"
    )
    x = {"top-left": 60, "top-right": width * 0.7, "centre-left": 200}[corner]  # legend: right
    y = {"top-left": 60, "top-right": 60, "centre-left": height / 2}[corner]
    # Bring Grenoble to that spot of the window, then click it.
    page.evaluate(
        """([id, x, y]) => { const n = window.civicgraph.network;
           n.moveTo({scale: 1, animation: false});
           const at = n.canvasToDOM(n.getPosition(id));
           const v = n.getViewPosition();
           n.moveTo({position: {x: v.x + (at.x - x), y: v.y + (at.y - y)}, animation: false}); }""",
        ["insee:38185", x, y],
    )
    at = dom_of(page, "insee:38185")
    assert abs(at["x"] - x) < 2 and abs(at["y"] - y) < 2
    box = page.locator("#cg-main").bounding_box()
    page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
    page.wait_for_selector("#cg-details:not([hidden])")
    assert "Grenoble" in (page.text_content("#cg-details") or "")
    at = dom_of(page, "insee:38185")  # the page may have moved the network
    radius = offline_page.js(
        "() => window.civicgraph.nodes.get('insee:38185').size"
        " * window.civicgraph.network.getScale()"
    )
    panel = page.locator("#cg-details").bounding_box()
    left, top = panel["x"] - box["x"], panel["y"] - box["y"]
    clear = (
        at["x"] + radius < left
        or at["x"] - radius > left + panel["width"]
        or at["y"] + radius < top
        or at["y"] - radius > top + panel["height"]
    )
    assert clear, (corner, at, radius, panel)
    assert 0 <= at["x"] <= width and 0 <= at["y"] <= height  # still in the window
    assert offline_page.errors == []


def test_the_rows_own_columns_are_in_the_tooltip_and_the_panel(
    case_db: Path, tmp_path: Path, offline_page: Any
) -> None:
    with open_store(case_db) as s:
        rows = load_catalogue().run(
            s, "network_members", {"network": "net:anvita", "date": "2022-09-01"}
        )
    grenoble = next(r for r in rows if r["id"] == "insee:38185")
    page = offline_page.open(explore(case_db, tmp_path / "m.html", *MEMBERS))
    page.evaluate(
        "() => window.civicgraph.network.focus('insee:38185', {scale: 1.5, animation: false})"
    )
    at = dom_of(page, "insee:38185")
    box = page.locator("#cg-main").bounding_box()
    page.mouse.move(box["x"] + at["x"], box["y"] + at["y"])
    page.wait_for_selector("#cg-tip:not([hidden])", timeout=5_000)
    for where in ("#cg-tip", "#cg-details"):
        if where == "#cg-details":
            page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
        result = page.locator(f"{where} .cg-result")
        assert result.count() == 1, where
        text = result.text_content() or ""
        # The query's columns, not stored on the city node: its mayor and party that day.
        assert f"mayor{grenoble['mayor']}" in text, text
        assert f"party{grenoble['party']}" in text, text
        assert f"party_basis{grenoble['party_basis']}" in text, text
    assert offline_page.errors == []


def test_credit_line_names_the_sources_of_what_is_drawn(
    tmp_path: Path, store: Any, offline_page: Any
) -> None:
    store.upsert_nodes(
        "Source",
        [
            {"id": "src:site", "title": "ANVITA — qui sommes-nous", "url": "https://anvita.fr/"},
            {"id": "src:rne", "title": "Répertoire national des élus"},
            {"id": "src:unused", "title": "Not drawn"},
        ],
    )
    store.upsert_nodes("City", [{"id": "insee:38185", "name": "Grenoble", "sources": ["src:rne"]}])
    store.upsert_nodes("Network", [{"id": "net:anvita", "name": "ANVITA"}])
    store.upsert_relationships("MEMBER_OF", [{**GRENOBLE_IN_ANVITA, "sources": ["src:site"]}])
    G = build_graph(store.query("MATCH (a)-[r]->(b) RETURN a, r, b"))
    page = offline_page.open(
        render(G, tmp_path / "c.html", title="Grenoble", sources=fetch_sources(store, G))
    )
    credit = page.text_content("#cg-credit") or ""
    assert "ANVITA — qui sommes-nous" in credit and "Répertoire national des élus" in credit
    assert "Not drawn" not in credit
    link = page.locator("#cg-credit a")
    assert link.count() == 1 and link.get_attribute("href") == "https://anvita.fr/"
    assert page.locator("#cg-credit").is_visible()
    assert offline_page.errors == []


def test_download_png_is_made_in_the_page(case_db: Path, tmp_path: Path, offline_page: Any) -> None:
    page = offline_page.open(explore(case_db, tmp_path / "m.html", *MEMBERS))
    with page.expect_download() as info:
        page.click("#cg-png")
    download = info.value
    assert download.suggested_filename == "members-of-anvita-on-1-september-2022-2022-09-01.png"
    data = Path(download.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    canvas = page.evaluate(
        "() => { const c = document.querySelector('#mynetwork canvas');"
        " return [c.width, c.height]; }"
    )
    assert width == canvas[0] and height > canvas[1] + 60  # title above, credit below
    # Read the image back: the network is drawn in it, in the page's colours.
    colours = page.evaluate(
        """async (url) => {
           const img = new Image(); img.src = url; await img.decode();
           const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
           const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
           const d = ctx.getImageData(0, 0, c.width, c.height).data;
           const seen = new Set();
           for (let i = 0; i < d.length; i += 4) seen.add(
             '#' + [d[i], d[i + 1], d[i + 2]].map(v => v.toString(16).padStart(2, '0')).join(''));
           return [...seen]; }""",
        "data:image/png;base64," + base64.b64encode(data).decode(),
    )
    palette = page.evaluate("() => window.civicgraph.meta.palette")
    assert palette["City"] in colours  # the cities' fill
    assert len(colours) > 50
    assert offline_page.errors == []
