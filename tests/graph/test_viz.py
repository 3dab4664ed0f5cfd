"""graph/viz.py without a browser: the graph built from rows, and the page's HTML and data."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from facts import GRENOBLE_IN_ANVITA

from civicgraph.graph import Node, Relationship
from civicgraph.graph import Path as GraphPath
from civicgraph.graph.viz import (
    build_graph,
    expand_neighbours,
    fetch_sources,
    force_layout,
    render,
)

CITY = ("City", "Entity", "Actor")
NETWORK = ("Network", "Entity", "Actor")
XSS = "<script>alert(1)</script>"


def city(node_id: str, name: str, population: int | None = None) -> Node:
    props: dict[str, Any] = {"id": node_id, "name": name, "sources": ["src:cog"]}
    if population is not None:
        props["population"] = population
    return Node(node_id, CITY, props)


ANVITA = Node(
    "net:anvita",
    NETWORK,
    {
        "id": "net:anvita",
        "name": "Association Nationale des Villes et Territoires Accueillants",
        "short": "ANVITA",
        "sources": ["src:site"],
    },
)
GRENOBLE = city("insee:38185", "Grenoble", 158198)
GRANDE_SYNTHE = city("insee:59271", "Grande-Synthe", 23000)
LYON = city("insee:69123", "Lyon", 522250)


def member(node: Node, start: str, end: str | None = None) -> Relationship:
    props = {
        "id": f"MEMBER_OF|{node.id}|net:anvita|{start}",
        "start": start,
        "sources": ["src:site"],
    }
    if end:
        props["end"] = end
    return Relationship("MEMBER_OF", node.id, "net:anvita", props)


@pytest.fixture
def rows() -> list[dict[str, Any]]:
    return [
        {"a": GRENOBLE, "r": member(GRENOBLE, "2018-09-26"), "b": ANVITA},
        {"a": GRANDE_SYNTHE, "r": member(GRANDE_SYNTHE, "2018-09-26", "2020-07-04"), "b": ANVITA},
        {"a": LYON, "r": member(LYON, "2020-09-01"), "b": ANVITA},
    ]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def page_data(page: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="cg-data">(.*?)</script>', page, re.S)
    assert m, "no data block"
    return json.loads(m.group(1))


# -- build_graph ------------------------------------------------------------------------------


def test_build_graph_nodes_and_edges(rows: list[dict[str, Any]]) -> None:
    G = build_graph(rows)
    assert isinstance(G, nx.MultiDiGraph)
    assert sorted(G) == ["insee:38185", "insee:59271", "insee:69123", "net:anvita"]
    assert G.nodes["insee:38185"]["label"] == "City"
    assert G.nodes["insee:38185"]["population"] == 158198
    assert G.nodes["net:anvita"]["label"] == "Network"
    assert G.number_of_edges() == 3
    data = G.get_edge_data("insee:59271", "net:anvita")
    (attrs,) = data.values()
    assert attrs["type"] == "MEMBER_OF"
    assert (attrs["start"], attrs["end"]) == ("2018-09-26", "2020-07-04")
    assert attrs["sources"] == ["src:site"]


def test_build_graph_is_idempotent_over_repeated_rows(rows: list[dict[str, Any]]) -> None:
    G = build_graph(rows + rows)
    assert (G.number_of_nodes(), G.number_of_edges()) == (4, 3)


def test_build_graph_finds_nested_values_and_paths() -> None:
    path = GraphPath((GRENOBLE, ANVITA), (member(GRENOBLE, "2018-09-26"),))
    rows = [{"p": path}, {"members": [LYON, {"deep": [member(LYON, "2020-09-01")]}]}]
    G = build_graph(rows)
    assert set(G) == {"insee:38185", "insee:69123", "net:anvita"}
    assert G.number_of_edges() == 2


def test_build_graph_adds_bare_end_nodes() -> None:
    G = build_graph([{"r": member(GRENOBLE, "2018-09-26")}])
    assert set(G) == {"insee:38185", "net:anvita"}
    assert G.nodes["net:anvita"]["label"] == ""
    G2 = build_graph([{"r": member(GRENOBLE, "2018-09-26")}, {"n": ANVITA}])
    assert G2.nodes["net:anvita"]["label"] == "Network"


# -- render: a self-contained page ----------------------------------------------------------------


def test_page_loads_nothing_from_the_network(rows: list[dict[str, Any]], tmp_path: Path) -> None:
    page = render(build_graph(rows), tmp_path / "p.html").read_text(encoding="utf-8")
    for tag, attrs in tags(page):
        if tag == "script":
            assert "src" not in attrs, attrs
        if tag == "link":
            href = attrs.get("href") or ""
            assert not href.startswith(("http://", "https://", "//")), attrs
        if tag in ("img", "iframe", "source", "audio", "video", "embed", "object"):
            pytest.fail(f"unexpected <{tag}> in the page")
    lowered = page.lower()
    for marker in ("bootstrap", "tom-select", "tomselect", "cdnjs", "jsdelivr", "unpkg"):
        assert marker not in lowered, marker
    assert "<link" not in lowered
    assert "default-src 'none'" in page  # the browser itself refuses any other load


def test_page_inlines_vis_network(rows: list[dict[str, Any]], tmp_path: Path) -> None:
    page = render(build_graph(rows), tmp_path / "p.html").read_text(encoding="utf-8")
    lib = resources.files("pyvis") / "templates/lib/vis-9.1.2"
    assert (lib / "vis-network.min.js").read_text(encoding="utf-8") in page
    assert (lib / "vis-network.css").read_text(encoding="utf-8") in page


def test_page_escapes_data(tmp_path: Path) -> None:
    evil = Node(
        "insee:00001",
        CITY,
        {"id": "insee:00001", "name": XSS, "note": "a & b", "sources": ["src:evil", "src:js"]},
    )
    G = build_graph([{"a": evil, "r": member(evil, "2019-01-01"), "b": ANVITA}])
    sources = {
        "src:evil": {
            "title": "<img src=x onerror=alert(2)>",
            "url": "https://example.org/?a=1&b=2",
        },
        "src:js": {"title": "click", "url": "javascript:alert(3)"},
    }
    page = render(G, tmp_path / "x.html", title=XSS, sources=sources).read_text(encoding="utf-8")
    assert XSS not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # tooltip and <title>
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert 'href=\\"https://example.org/?a=1&amp;b=2\\"' in page
    assert "javascript:alert(3)" not in page
    assert "a &amp; b" in page
    # JSON inside <script>: no "</" that could close the element early.
    block = re.search(r'id="cg-data">(.*?)</script>', page, re.S)
    assert block and "</" not in block.group(1)
    data = page_data(page)
    assert {n["label"] for n in data["nodes"]} == {XSS, "ANVITA"}  # canvas text, not HTML


def test_page_data_matches_graph(rows: list[dict[str, Any]], tmp_path: Path) -> None:
    G = build_graph(rows)
    data = page_data(render(G, tmp_path / "p.html", as_of="2019-01-01").read_text("utf-8"))
    assert len(data["nodes"]) == G.number_of_nodes()
    assert len(data["edges"]) == G.number_of_edges()
    meta = data["meta"]
    assert meta["asOf"] == "2019-01-01"
    assert meta["dates"] == ["2018-09-26", "2020-07-04", "2020-09-01"]
    assert meta["physics"] is True
    assert [n["name"] for n in meta["networks"]] == ["ANVITA"]
    ended = [e for e in data["edges"] if e.get("end")]
    assert len(ended) == 1 and ended[0]["dashes"] is True
    assert all(e["label"].startswith("MEMBER_OF\n") for e in data["edges"])
    assert data["options"]["physics"]["stabilization"]["iterations"] == 200


def test_sizes_by_population_use_a_log_scale(rows: list[dict[str, Any]], tmp_path: Path) -> None:
    G = build_graph(rows)
    data = page_data(render(G, tmp_path / "p.html", size_by="population").read_text("utf-8"))
    size = {n["id"]: n["size"] for n in data["nodes"]}
    assert size["insee:59271"] < size["insee:38185"] < size["insee:69123"]
    # log scale: Grenoble sits near the middle, not at 158/522 of the range
    share = (size["insee:38185"] - size["insee:59271"]) / (
        size["insee:69123"] - size["insee:59271"]
    )
    assert 0.6 < share < 0.8


def test_colour_by_nuance_follows_the_date(tmp_path: Path) -> None:
    mayor1 = Node("person:a", ("Person", "Entity", "Actor"), {"id": "person:a", "name": "A"})
    mayor2 = Node("person:b", ("Person", "Entity", "Actor"), {"id": "person:b", "name": "B"})
    rows = [
        {
            "p": mayor1,
            "c": GRANDE_SYNTHE,
            "r": Relationship(
                "MAYOR_OF",
                "person:a",
                "insee:59271",
                {"id": "m1", "start": "2014-04-05", "end": "2020-05-25", "nuance": "LVEC"},
            ),
        },
        {
            "p": mayor2,
            "c": GRANDE_SYNTHE,
            "r": Relationship(
                "MAYOR_OF",
                "person:b",
                "insee:59271",
                {"id": "m2", "start": "2020-05-25", "nuance": "LDVG"},
            ),
        },
    ]
    data = page_data(
        render(build_graph(rows), tmp_path / "n.html", color_by="nuance").read_text("utf-8")
    )
    gs = next(n for n in data["nodes"] if n["id"] == "insee:59271")
    assert gs["aff"] == "LDVG"  # current value, for "all dates"
    assert gs["tl"] == [["2014-04-05", "2020-05-25", "LVEC"], ["2020-05-25", None, "LDVG"]]
    assert data["meta"]["palette"]["LVEC"] != data["meta"]["palette"]["LDVG"]
    assert data["meta"]["affiliations"] == ["LDVG", "LVEC"]


def test_colour_by_party_resolves_party_ids(tmp_path: Path) -> None:
    person = Node("person:a", ("Person", "Entity", "Actor"), {"id": "person:a", "name": "A"})
    rel = Relationship(
        "MAYOR_OF",
        "person:a",
        "insee:69123",
        {"id": "m", "start": "2020-07-04", "party": "party:eelv"},
    )
    data = page_data(
        render(
            build_graph([{"p": person, "r": rel, "c": LYON}]), tmp_path / "p.html", color_by="party"
        ).read_text("utf-8")
    )
    assert {n["cv"] for n in data["nodes"]} == {"EELV"}


def test_large_graphs_get_python_positions_and_no_physics(tmp_path: Path) -> None:
    G = nx.MultiDiGraph()
    for i in range(60):
        G.add_node(f"insee:{i:05d}", label="City", name=f"C{i}")
        if i:
            G.add_edge(f"insee:{i:05d}", "insee:00000", type="MEMBER_OF", start="2020-01-01")
    data = page_data(render(G, tmp_path / "big.html", layout_threshold=50).read_text("utf-8"))
    assert data["meta"]["physics"] is False
    assert data["options"]["physics"] == {"enabled": False}
    assert all("x" in n and "y" in n for n in data["nodes"])
    assert not any("label" in e for e in data["edges"])  # edge labels off by default when large


def test_render_rejects_unknown_options(rows: list[dict[str, Any]], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="color_by"):
        render(build_graph(rows), tmp_path / "p.html", color_by="colour")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="size_by"):
        render(build_graph(rows), tmp_path / "p.html", size_by="area")  # type: ignore[arg-type]


def test_render_accepts_plain_graphs(tmp_path: Path) -> None:
    data = page_data(render(nx.grid_2d_graph(3, 3), tmp_path / "g.html").read_text("utf-8"))
    assert len(data["nodes"]) == 9 and len(data["edges"]) == 12


# -- layout ------------------------------------------------------------------------------------------


def test_force_layout_is_deterministic_and_spreads_nodes() -> None:
    G = nx.gnm_random_graph(300, 600, seed=3)
    a, b = force_layout(G, seed=7), force_layout(G, seed=7)
    assert a == b
    xs = sorted(x for x, _ in a.values())
    assert xs[-1] - xs[0] > 5  # not collapsed onto a point
    gaps = [((a[u][0] - a[v][0]) ** 2 + (a[u][1] - a[v][1]) ** 2) ** 0.5 for u, v in G.edges()]
    assert sum(gaps) / len(gaps) < (xs[-1] - xs[0]) / 3  # neighbours end up close


def test_force_layout_puts_isolated_nodes_on_a_grid_below() -> None:
    G = nx.path_graph(20)
    G.add_nodes_from(range(100, 110))
    pos = force_layout(G)
    lowest_linked = max(pos[v][1] for v in range(20))
    assert all(pos[v][1] > lowest_linked for v in range(100, 110))
    assert len({pos[v] for v in range(100, 110)}) == 10  # no two on the same spot
    assert force_layout(nx.empty_graph(0)) == {}
    assert len(force_layout(nx.empty_graph(3))) == 3


# -- store helpers --------------------------------------------------------------------------------------


@pytest.fixture
def seeded(store: Any) -> Any:
    store.upsert_nodes(
        "Source",
        [{"id": "src:site", "title": "ANVITA — qui sommes-nous", "url": "https://www.anvita.fr/"}],
    )
    store.upsert_nodes(
        "City",
        [
            {
                "id": "insee:38185",
                "name": "Grenoble",
                "population": 158198,
                "sources": ["src:site"],
            },
            {"id": "insee:59271", "name": "Grande-Synthe", "sources": ["src:site"]},
        ],
    )
    store.upsert_nodes(
        "Network",
        [
            {"id": "net:anvita", "name": "ANVITA", "sources": ["src:site"]},
            {"id": "net:other", "name": "Other"},
        ],
    )
    store.upsert_relationships(
        "MEMBER_OF",
        [
            {**GRENOBLE_IN_ANVITA, "sources": ["src:site"]},
            {
                "source": "insee:59271",
                "target": "net:anvita",
                "start": "2018-09-26",
                "end": "2020-07-04",
                "sources": ["src:site"],
            },
            {"source": "net:anvita", "target": "net:other", "start": "2021-01-01"},
        ],
    )
    return store


def test_expand_neighbours_adds_context(seeded: Any) -> None:
    G = build_graph(
        seeded.query(
            "MATCH (a:City {id: $id})-[r:MEMBER_OF]->(b) RETURN a, r, b", {"id": "insee:38185"}
        )
    )
    assert set(G) == {"insee:38185", "net:anvita"}
    expand_neighbours(seeded, G, hops=1)
    assert set(G) == {"insee:38185", "insee:59271", "net:anvita", "net:other"}
    assert G.number_of_edges() == 3
    assert G.nodes["net:other"]["label"] == "Network"
    before = (G.number_of_nodes(), G.number_of_edges())
    expand_neighbours(seeded, G, hops=2)
    assert (G.number_of_nodes(), G.number_of_edges()) == before


def test_fetch_sources(seeded: Any) -> None:
    G = build_graph(seeded.query("MATCH (a)-[r:MEMBER_OF]->(b) RETURN a, r, b"))
    assert fetch_sources(seeded, G) == {
        "src:site": {"title": "ANVITA — qui sommes-nous", "url": "https://www.anvita.fr/"}
    }


def test_render_html_is_the_page_render_writes(rows: list[dict[str, Any]], tmp_path: Path) -> None:
    from civicgraph.graph.viz import render_html

    G = build_graph(rows)
    written = render(G, tmp_path / "p.html", title="ANVITA", as_of="2020-01-01")
    assert written.read_text(encoding="utf-8") == render_html(G, title="ANVITA", as_of="2020-01-01")


def test_page_has_no_inline_event_handler(rows: list[dict[str, Any]]) -> None:
    """A page framing this one with srcdoc (a notebook) may forbid inline handlers."""
    from civicgraph.graph.viz import render_html

    assert not re.search(r"<[^>]+\son\w+=", render_html(build_graph(rows)))
