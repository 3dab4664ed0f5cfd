"""The pages the CLI writes, on the real ANVITA case: `civicgraph explore` and the demo's page."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from civicgraph.app.cli import cli
from civicgraph.graph import open_store
from civicgraph.queries import load_catalogue

pytestmark = pytest.mark.browser


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        if tag == "script" and d.get("src"):
            self.refs.append(d["src"] or "")
        if tag == "link" and d.get("href"):
            self.refs.append(d["href"] or "")


def _remote_refs(path: Path) -> list[str]:
    p = _Refs()
    p.feed(path.read_text(encoding="utf-8"))
    return [r for r in p.refs if r.startswith(("http://", "https://", "//"))]


def test_explore_network_members_offline_with_expected_counts(
    case_db: Path, tmp_path: Path, offline_page: Any
) -> None:
    out = tmp_path / "a.html"
    result = CliRunner().invoke(
        cli,
        [
            "explore",
            "network_members",
            "-p",
            "network=net:anvita",
            "-p",
            "date=2022-09-01",
            "-o",
            str(out),
            "--db",
            str(case_db),
        ],
    )
    assert result.exit_code == 0, result.output
    assert _remote_refs(out) == []
    with open_store(case_db) as s:
        members = load_catalogue().run(
            s, "network_members", {"network": "net:anvita", "date": "2022-09-01"}
        )
    offline_page.open(out)
    counts = offline_page.counts()
    # every member on that date, plus the network itself
    assert counts["nodes"] == len(members) + 1
    assert f"{counts['nodes']} nodes" in result.output
    assert offline_page.errors == []


def test_demo_page_shows_founders_members_parties_and_csos(
    case_db: Path, tmp_path: Path, offline_page: Any
) -> None:
    from civicgraph.app.explore import render_case

    with open_store(case_db) as s:
        path = render_case(s, tmp_path / "anvita.html", network="net:anvita")
    assert _remote_refs(path) == []
    offline_page.open(path)
    ids = set(offline_page.js("() => window.civicgraph.nodes.getIds()"))
    assert {"insee:38185", "insee:59271", "insee:69381", "net:anvita"} <= ids
    assert any(i.startswith("org:") for i in ids), "CSOs (OCU, …) are on the page"
    legend = offline_page.page.text_content("body") or ""
    assert "Legend" in legend or "legend" in legend.lower()
    founding = offline_page.set_date("2018-10-01")
    later = offline_page.set_date("2022-09-01")
    assert later["edges"] > founding["edges"]
    # Grande-Synthe left in 2020: its membership is hidden (the city itself stays, with the
    # mayor it still has)
    membership = (
        "() => window.civicgraph.edges.get({filter: e => e.from === 'insee:59271' "
        "&& e.to === 'net:anvita'}).map(e => e.hidden)"
    )
    assert offline_page.js(membership) == [True]
    offline_page.set_date("2019-06-01")
    assert offline_page.js(membership) == [False]
    offline_page.set_date(None)
    offline_page.page.wait_for_timeout(300)
    offline_page.page.screenshot(path=str(tmp_path / "anvita.png"))
    assert offline_page.errors == []


def test_demo_page_colours_follow_the_date_slider(
    case_db: Path, tmp_path: Path, offline_page: Any
) -> None:
    """Each city takes the colour of its mayor's party attribution on the slider's date —
    the same attribution `mayors_of` shows — and the latest one with no date."""
    from civicgraph.app.explore import render_case

    cities = ["insee:13055", "insee:93048", "insee:44109", "insee:38185", "insee:59271"]
    days = ["2010-06-01", "2015-01-01", "2022-09-01"]
    cat = load_catalogue()
    with open_store(case_db) as s:
        path = render_case(s, tmp_path / "anvita.html", network="net:anvita")
        terms = {c: cat.run(s, "mayors_of", {"city": c}) for c in cities}

    def expected(city: str, day: str | None) -> str | None:
        rows = terms[city]
        if day is None:  # the latest term
            latest = max(rows, key=lambda r: r["start"])
            return None if latest["party"] == "unknown" else latest["party"]
        holding = [
            r
            for r in rows
            if r["start"] <= day and (r["held_until"] is None or r["held_until"] > day)
        ]
        assert len({r["party"] for r in holding}) <= 1
        if not holding or holding[0]["party"] == "unknown":
            return None
        return holding[0]["party"]

    offline_page.open(path)
    meta = offline_page.js("() => window.civicgraph.meta")
    assert meta["colorBy"] == "party"
    assert meta["legend"]["title"].startswith("Party (")  # names the bases
    palette, no_value = meta["palette"], meta["noValue"]
    colour = "(id) => window.civicgraph.nodes.get(id).color"
    seen = set()
    for day in [*days, None]:
        offline_page.set_date(day)
        for city in cities:
            party = expected(city, day)
            want = palette[party] if party is not None else palette[no_value]
            assert offline_page.js(colour, city) == want, (city, day, party)
            seen.add((city, party))
    # Marseille changes colour: Gaudin's UMP/LR term in 2015, not in 2022 (Payan)
    assert expected("insee:13055", "2015-01-01") != expected("insee:13055", "2022-09-01")
    assert ("insee:93048", "PCF") in seen  # Montreuil: carried from the 2014 term
    assert offline_page.errors == []
