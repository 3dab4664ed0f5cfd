"""Graph pages in memory: what ``civicgraph serve`` frames and a notebook shows inline.

:func:`graph_page` turns result rows into the offline page of
:func:`civicgraph.graph.viz.render_html` (vis-network inlined, a Content-Security-Policy that
forbids any request); :class:`Page` holds it, saves it, and shows it in Jupyter as a
sandboxed ``<iframe srcdoc>`` (``_repr_html_``).

>>> from civicgraph.graph import open_store
>>> from civicgraph.queries import load_catalogue
>>> with open_store("civicgraph.db", create=False) as store:      # doctest: +SKIP
...     rows = load_catalogue().run(store, "network_members",
...                                 {"network": "net:anvita", "date": "2022-09-01"})
...     page = graph_page(store, rows, title="ANVITA on 2022-09-01")
>>> page                                                          # doctest: +SKIP
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from civicgraph.graph import viz
from civicgraph.graph.errors import NothingToDraw
from civicgraph.graph.outfile import atomic_output

if TYPE_CHECKING:  # pragma: no cover - typing only
    from civicgraph.graph.store import Store
    from civicgraph.graph.viz import ColorBy, SizeBy
    from civicgraph.queries import StoredQuery

__all__ = ["Page", "PageText", "explore_page", "graph_page", "in_words", "query_page_text"]

_MONTHS = (
    "January February March April May June July August September October November December"
).split()
# Where a description's first sentence stops being a title: a colon, a semicolon, or a comma
# that starts a clause ("…, with kind, size class, mayor and the mayor's party").
_TITLE_END = re.compile(r"[:;]|,\s+(?:with|by|for|the|one|from|as|in|each|every|beside)\b")
_PARENS = re.compile(r"\s*\([^()]*\)")

#: What a framed page may do in a notebook: run its own scripts, open a source's link in
#: a new tab and save its PNG; without ``allow-same-origin`` it cannot reach the notebook's page or cookies.
NOTEBOOK_SANDBOX = "allow-scripts allow-popups allow-popups-to-escape-sandbox allow-downloads"


@dataclass(frozen=True)
class Page:
    """One self-contained, offline graph page (HTML text), with its size.

    >>> page = Page("<!DOCTYPE html><title>t</title>", title="t", nodes=0, edges=0)
    >>> page.iframe(height=300).startswith('<iframe title="t"')
    True
    """

    html: str
    title: str
    nodes: int
    edges: int

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to *path* (replaced only when written whole); return the path."""
        out = Path(path)
        with atomic_output(out) as f:
            f.write(self.html.encode("utf-8"))
        return out

    def iframe(self, *, height: int = 600) -> str:
        """The page inside a sandboxed ``<iframe srcdoc>``: nothing to fetch or serve.

        The sandbox lets the page run its own scripts, open a source's link in a new tab
        and save its PNG; without ``allow-same-origin`` it cannot reach the page that embeds it.
        """
        return (
            f'<iframe title="{html.escape(self.title, quote=True)}" class="cg-graph" '
            f'sandbox="{NOTEBOOK_SANDBOX}" style="width:100%;height:{int(height)}px;border:0" '
            f'srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )

    def _repr_html_(self) -> str:
        """Jupyter shows the page inline, interactive and offline."""
        return self.iframe()


@dataclass(frozen=True)
class PageText:
    """What a page says about itself: its title, caption and the date it opens on."""

    title: str
    caption: str = ""
    as_of: str | None = None


def in_words(value: Any, names: Mapping[str, str] | None = None) -> str:
    """A parameter's value as a reader says it: a date in words, a node by its name.

    >>> in_words("2022-09-01"), in_words("2022-09"), in_words(["a", "b"])
    ('1 September 2022', 'September 2022', 'a, b')
    >>> in_words("net:anvita", {"net:anvita": "ANVITA"}), in_words(True)
    ('ANVITA', 'yes')
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        value = value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(in_words(v, names) for v in value)
    text = str(value)
    if names and text in names:
        return names[text]
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
    if m and 1 <= int(m[2]) <= 12:
        month = f"{_MONTHS[int(m[2]) - 1]} {m[1]}"
        return f"{int(m[3])} {month}" if m[3] else month
    return text


def _node_names(store: Store, values: Iterable[Any]) -> dict[str, str]:
    """Id → the name a reader knows it by (``short`` first: ANVITA, EELV), for the ids among
    *values* that are nodes in *store*."""
    ids: set[str] = set()
    for v in values:
        ids.update(x for x in (v if isinstance(v, list | tuple) else [v]) if isinstance(x, str))
    if not ids:
        return {}
    rows = store.query(
        "MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id AS id, n.short AS short, n.name AS name",
        {"ids": sorted(ids)},
    )
    return {r["id"]: str(r.get("short") or r.get("name") or r["id"]) for r in rows}


def _doc_name(doc: str, name: str) -> str:
    """A parameter's doc as a label: ``the network id, e.g. net:anvita`` → ``the network id``."""
    text = _PARENS.sub("", re.split(r",\s*(?:e\.g\.|YYYY)", doc)[0]).strip(" ,")
    return re.sub(r"\s+ids?$", "", text) or name.replace("_", " ")


def _constant(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _m: text


def query_page_text(store: Store, query: StoredQuery, params: Mapping[str, Any]) -> PageText:
    """The title, caption and opening date of a stored query's page, from its description.

    The description's first sentence, with each parameter it mentions (``a network``,
    ``a date``, ``N months``) replaced by its value in words (``ANVITA``, ``1 September
    2022``, ``12 months``), gives the title up to its first clause and the caption from
    there; the parameters it does not mention follow in the caption, by their documentation.  The
    page opens on the query's date parameter, when it has exactly one.

    Examples
    --------
    >>> text = query_page_text(store, load_catalogue().get("network_members"),  # doctest: +SKIP
    ...                        {"network": "net:anvita", "date": "2022-09-01"})
    >>> text.title                                                     # doctest: +SKIP
    'Members of ANVITA on 1 September 2022'
    """
    given = {k: v for k, v in params.items() if k in query.params and v not in (None, "", [])}
    names = _node_names(store, given.values())
    words = {k: in_words(v, names) for k, v in given.items()}
    first = " ".join(query.description.split())
    end = re.search(r"\.(?:\s|$)", first)
    sentence = _PARENS.sub("", first[: end.start()] if end else first).strip()
    used: set[str] = set()
    for name, value in words.items():
        spoken = re.escape(name.replace("_", " "))
        for pattern, replacement in (
            (rf"\$\b{re.escape(name)}\b", value),
            (rf"(?i:\b(?:an?|the)\s+{spoken}(?:\s+or\s+\w+)?\b)", value),
            (rf"\bN\s+(?={spoken}\b)", value + " "),
            (rf"\b{re.escape(name)}\b" if "_" in name else "(?!)", value),
        ):
            # a function, so that a value's backslashes are not read as group references
            sentence, n = re.subn(pattern, _constant(replacement), sentence, count=1)
            if n:
                used.add(name)
                break
    if sentence[:1].islower():
        sentence = sentence[0].upper() + sentence[1:]
    cut = _TITLE_END.search(sentence)
    title = sentence[: cut.start()].strip() if cut else sentence
    # the caption goes on where the title stops ("With kind, size class, mayor …")
    more = sentence[cut.start() :].lstrip(":;, ") if cut else ""
    rest = [f"{_doc_name(query.params[k].doc, k)}: {words[k]}" for k in words if k not in used]
    caption = " ".join(
        part
        for part in (
            f"{more[:1].upper()}{more[1:]}." if more else "",
            (rest[0][0].upper() + "; ".join(rest)[1:] + ".") if rest else "",
        )
        if part
    )
    dated = [p.name for p in query.params.values() if p.type == "date"]
    as_of = params.get(dated[0]) if len(dated) == 1 else None
    return PageText(title or query.name, caption, str(as_of) if as_of else None)


def graph_page(
    store: Store,
    rows: Iterable[Mapping[str, Any]],
    params: Mapping[str, Any] | None = None,
    *,
    title: str,
    caption: str | None = None,
    neighbours: int = 0,
    as_of: str | date | None = None,
    color_by: ColorBy = "kind",
    size_by: SizeBy = "degree",
    hide_reference: bool = False,
) -> Page:
    """The graph page of what *rows* hold: their nodes and relationships, the nodes their
    id columns and *params* name (:func:`~civicgraph.graph.viz.rows_to_graph`), with
    *neighbours* hops of context and the sources they cite.

    Parameters
    ----------
    store : Store
        Where ids are looked up.
    rows : iterable of dict
        Result rows (a :class:`~civicgraph.graph.results.QueryResult`, or ``store.query``'s).
    params : mapping, optional
        The parameters the rows came from (a network id there is drawn too).
    title : str
        The page's title.
    caption : str, optional
        The sentence under it (:func:`query_page_text` makes both from a stored query).
    neighbours, as_of, color_by, size_by
        As ``civicgraph explore`` takes them.
    hide_reference : bool, default False
        Start with the reference nodes hidden (see :func:`~civicgraph.graph.viz.render`).

    Returns
    -------
    Page
        With ``nodes == 0`` when the rows name nothing to draw.
    """
    G = viz.rows_to_graph(store, rows, params)
    if neighbours:
        viz.expand_neighbours(store, G, hops=neighbours)
    text = viz.render_html(
        G,
        title=title,
        caption=caption,
        as_of=as_of,
        color_by=color_by,
        size_by=size_by,
        sources=viz.fetch_sources(store, G),
        hide_reference=hide_reference,
    )
    return Page(text, title, G.number_of_nodes(), G.number_of_edges())


def explore_page(
    store: Store,
    *,
    query: str | None = None,
    params: Mapping[str, Any] | None = None,
    cypher: str | None = None,
    everything: bool = False,
    neighbours: int = 0,
    as_of: str | date | None = None,
    color_by: ColorBy = "kind",
    size_by: SizeBy = "degree",
    title: str | None = None,
    caption: str | None = None,
) -> Page:
    """What a stored query (or a read-only statement, or the whole graph) returns, as a
    page in memory: ``civicgraph explore`` without the file.  In Jupyter it shows inline.
    A result that holds and names no node raises
    :class:`~civicgraph.graph.errors.NothingToDraw`, saying what to return.

    A stored query's page takes its title and caption from the query's description, with
    the parameters in words, and opens on its date parameter (:func:`query_page_text`);
    *title*, *caption* and *as_of* override them.  The whole graph's page starts with the
    reference nodes (nuances, départements, régions, sources) hidden.

    Examples
    --------
    >>> explore_page(store, query="network_members",                 # doctest: +SKIP
    ...              params={"network": "net:anvita", "date": "2022-09-01"})
    """
    from civicgraph.queries import load_catalogue

    if sum(bool(x) for x in (query, cypher, everything)) != 1:
        raise ValueError("give exactly one of a query name, cypher, or everything")
    rows: Iterable[Mapping[str, Any]]
    text = PageText("civicgraph")
    if query:
        stored = load_catalogue().get(query)
        result = stored.run(store, dict(params or {}))
        text = query_page_text(store, stored, result.params)
        rows = result
    elif cypher:
        rows = store.query(cypher, dict(params or {}))
    else:
        rows = store.query("MATCH (n) OPTIONAL MATCH (n)-[r]->(m) RETURN n, r, m")
        text = PageText("The whole graph", "Every node and relationship in the store.")
    drawn = list(rows)
    page = graph_page(
        store,
        drawn,
        params,
        title=title or text.title,
        caption=text.caption if caption is None else caption,
        neighbours=neighbours,
        as_of=as_of or text.as_of,
        color_by=color_by,
        size_by=size_by,
        hide_reference=everything,
    )
    if not page.nodes:  # an empty page looks like an answer: say what to return instead
        raise NothingToDraw(_nothing_to_draw(drawn, everything))
    return page


def _nothing_to_draw(rows: list[Mapping[str, Any]], everything: bool) -> str:
    """Why a page would be empty, and what to return instead."""
    if everything:
        return "the store has no nodes: nothing to draw (load some with civicgraph load)"
    if not rows:
        return "the result has no rows: nothing to draw (check the parameters' ids)"
    return (
        f"the result's columns ({', '.join(rows[0])}) hold no nodes and no ids: nothing to "
        "draw; return nodes (RETURN c) or their ids (a column named id or ending in _id, "
        "e.g. RETURN c.id AS id)"
    )
