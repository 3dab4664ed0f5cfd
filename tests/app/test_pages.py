"""Graph pages in memory (app/pages.py): the same offline page, framed for notebooks and
for ``serve``."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest

from civicgraph.app.pages import Page, graph_page
from civicgraph.graph import Store
from civicgraph.queries import load_catalogue


def test_graph_page_of_network_members(case_store: Store, tmp_path: Path) -> None:
    result = load_catalogue().run(
        case_store, "network_members", {"network": "net:anvita", "date": "2022-09-01"}
    )
    page = graph_page(case_store, result, result.params, title="ANVITA", as_of="2022-09-01")
    assert page.nodes == len(result) + 1  # the members and the network named by a parameter
    assert page.edges >= len(result)
    assert page.html.startswith("<!DOCTYPE html>") and "Grenoble" in page.html
    saved = page.save(tmp_path / "members.html")
    assert saved.read_text(encoding="utf-8") == page.html
    assert graph_page(case_store, [], title="nothing").nodes == 0


def test_iframe_escapes_the_page_and_sandboxes_it_for_notebooks() -> None:
    hostile = '<!DOCTYPE html><p title="x">&amp; "quoted" </iframe><script>alert(1)</script>'
    page = Page(hostile, title='a "title" <b>', nodes=1, edges=0)
    frame = page._repr_html_()
    assert frame.count("<iframe") == 1 and frame.endswith("></iframe>")
    assert "<script>" not in frame and 'title="a &quot;title&quot; &lt;b&gt;"' in frame
    srcdoc = frame.split('srcdoc="', 1)[1][: -len('"></iframe>')]
    assert html.unescape(srcdoc) == hostile
    assert 'sandbox="allow-scripts allow-popups' in frame and "allow-same-origin" not in frame


def test_explore_page_of_a_query_a_statement_or_everything(case_store: Store) -> None:
    from civicgraph.app.pages import explore_page

    params = {"network": "net:anvita", "date": "2022-09-01"}
    members = explore_page(case_store, query="network_members", params=params)
    assert members.title == "Members of ANVITA on 1 September 2022"  # not the raw call
    assert members.nodes == 17
    statement = explore_page(
        case_store,
        cypher="MATCH (c:City {id: $id})-[r]-(m) RETURN c, r, m",
        params={"id": "insee:38185"},
    )
    assert statement.nodes > 1 and "Grenoble" in statement.html
    whole = explore_page(case_store, everything=True)
    assert whole.nodes == case_store.totals()[0]
    with pytest.raises(ValueError, match="exactly one"):
        explore_page(case_store, query="network_members", everything=True)


@pytest.mark.parametrize(
    ("name", "params", "title", "caption", "as_of"),
    [
        (
            "network_members",
            {"network": "net:anvita", "date": "2022-09-01"},
            "Members of ANVITA on 1 September 2022",
            "With kind, size class, mayor and the mayor's party.",
            "2022-09-01",
        ),
        (
            "mayors_of",
            {"city": "insee:38185"},
            "Mayors of Grenoble over time",
            "Each MAYOR_OF term with its dates",
            None,
        ),
        (
            "exits_after_leadership_change",
            {"network": "net:anvita"},  # months takes its default, 12
            "Memberships of ANVITA that ended within 12 months after a change of mayor",
            "",
            None,
        ),
        (
            "path_between",
            {"a": "insee:38185", "b": "insee:69123"},
            "How two actors are connected",
            "up to 4 relationships. The first actor: Grenoble; the second actor: Lyon.",
            None,
        ),
        (
            "network_composition",
            {"network": "net:anvita", "date": "2021-03-15"},
            "Composition of ANVITA's members on 15 March 2021",
            "What to group members by: party.",
            "2021-03-15",
        ),
    ],
)
def test_page_text_comes_from_the_description_with_parameters_in_words(
    case_store: Store, name: str, params: dict[str, str], title: str, caption: str, as_of: Any
) -> None:
    from civicgraph.app.pages import query_page_text
    from civicgraph.queries import load_catalogue

    query = load_catalogue().get(name)
    text = query_page_text(case_store, query, query.run(case_store, params).params)
    assert text.title == title
    assert caption in text.caption
    assert text.as_of == as_of
    assert not any(f"{k}=" in text.title + text.caption for k in params)
