"""``civicgraph serve`` in headless Chromium: fill a stored query's form, see the table and the
graph, click a node and land on its page with its sources; nothing loads from elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def site(browser: Any, served: Any) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A page that may reach the server only; what else it asked for, and its errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    blocked: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(served.url):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    try:
        yield page, blocked, errors
    finally:
        context.close()
    assert blocked == [], f"the pages tried to load: {blocked}"


def graph_frame(page: Any) -> Any:
    """The graph's frame, once its network is drawn and stable."""
    page.wait_for_selector("iframe.cg-graph")
    frame = page.frame_locator("iframe.cg-graph")
    frame.locator("body[data-ready='1']").wait_for(state="attached", timeout=60_000)
    return next(f for f in page.frames if f.parent_frame is not None)


def test_fill_the_form_see_table_and_graph_click_a_node(site: Any, served: Any) -> None:
    page, _, errors = site
    page.goto(served.url + "query/network_members")
    assert page.locator("table.rows").count() == 0  # the form alone, to be filled in
    page.fill("#p-network", "net:anvita")
    page.fill("#p-date", "2022-09-01")
    with page.expect_navigation():
        page.click("form.params button[type=submit]")
    assert "date=2022-09-01" in page.url and "network=net%3Aanvita" in page.url

    table = page.locator("table.rows")
    assert table.locator("td", has_text="Grenoble").count() == 1
    assert page.locator("table.rows tbody tr").count() == 16

    frame = graph_frame(page)
    counts = frame.evaluate("() => window.civicgraph.visibleCounts()")
    assert counts["nodes"] > 10 and counts["date"] == "2022-09-01"
    assert frame.evaluate("() => window.civicgraph.nodes.get('insee:38185').label") == "Grenoble"

    # Click Grenoble where the graph draws it.
    page.locator("iframe.cg-graph").scroll_into_view_if_needed()
    box = page.locator("iframe.cg-graph").bounding_box()
    main = frame.evaluate(
        """() => { const r = document.getElementById('mynetwork').getBoundingClientRect();
                   return {x: r.left, y: r.top}; }"""
    )
    at = frame.evaluate(
        """() => { const n = window.civicgraph.network;
                   n.moveTo({position: n.getPosition('insee:38185'), scale: 1.5,
                             animation: false});
                   return n.canvasToDOM(n.getPosition('insee:38185')); }"""
    )
    with page.expect_navigation():
        page.mouse.click(box["x"] + main["x"] + at["x"], box["y"] + main["y"] + at["y"])
    assert page.url == served.url + "node/insee:38185"
    assert page.locator("h1").inner_text().startswith("Grenoble")
    sources = page.locator("ul.sources li")
    assert sources.count() >= 3
    assert page.locator("ul.sources", has_text="ANVITA").count() == 1
    assert page.locator("table.relationships", has_text="MAYOR_OF").count() == 1
    assert errors == []


def test_console_result_and_node_links(site: Any, served: Any) -> None:
    page, _, errors = site
    page.goto(served.url + "cypher")
    page.fill("#q", "MATCH (c:City)-[r:MEMBER_OF]->(n:Network {id: 'net:anvita'}) RETURN c, r, n")
    with page.expect_navigation():
        page.click("form.console button[type=submit]")
    assert page.locator("table.rows tbody tr").count() > 10
    graph_frame(page)
    with page.expect_navigation():
        page.locator("table.rows a", has_text="Grenoble").first.click()
    assert page.url.endswith("/node/insee:38185")
    assert errors == []
