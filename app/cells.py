"""What a page of ``civicgraph serve`` shows in a cell: values escaped, node ids as links.

Every text from the store reaches a page through :func:`cell` (or Jinja2's autoescape);
links are kept only for ``http(s)`` URLs (:func:`http_url`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from civicgraph.graph import load_model
from civicgraph.graph.records import Node, Relationship
from civicgraph.graph.records import Path as GraphPath

if TYPE_CHECKING:  # pragma: no cover - typing only
    from markupsafe import Markup

__all__ = ["cell", "http_url", "id_prefixes", "lead", "node_url", "numeric"]


@lru_cache(maxsize=1)
def id_prefixes() -> tuple[str, ...]:
    """Every node id prefix the schema declares (``insee:``, ``src:`` …)."""
    model = load_model()
    return tuple(sorted({p for schema in model.nodes.values() for p in schema.id_prefix}))


def node_url(node_id: Any) -> str:
    """``/node/<id>``, the id percent-encoded (``:`` kept, so the URL reads as the id).

    >>> node_url("insee:38185"), node_url("person:carême")
    ('/node/insee:38185', '/node/person:car%C3%AAme')
    """
    return "/node/" + quote(str(node_id), safe=":")


def cell(value: Any) -> Markup:
    """A value as a table cell: every node id a link to its page, everything escaped.

    >>> str(cell(["insee:38185", "<b>"]))
    '<a href="/node/insee:38185">insee:38185</a>, &lt;b&gt;'
    """
    from markupsafe import Markup

    return Markup(_cell(value))  # noqa: S704 - _cell escapes every text it returns


def _cell(value: Any) -> str:
    # Plain strings rather than Markup.format: a 500-row page has thousands of cells.
    if value is None:
        return ""
    if isinstance(value, str):
        return _link(value, value) if value.startswith(id_prefixes()) else escape(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Node):
        name = value.properties.get("name") or value.properties.get("title") or value.id
        return _link(value.id, name) if value.id else escape(str(name or ""))
    if isinstance(value, Relationship):
        return f"{escape(value.type)} {_cell(value.start)} → {_cell(value.end)}"
    if isinstance(value, GraphPath):
        return " → ".join(_cell(n) for n in value.nodes)
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return escape(json.dumps(value, ensure_ascii=False, default=str))
    return escape(str(value))


def _link(node_id: Any, text: Any) -> str:
    return f'<a href="{escape(node_url(node_id))}">{escape(str(text))}</a>'


def lead(text: str) -> tuple[str, str]:
    """A description's first sentence, and the rest (the header's lines joined).

    >>> lead("Members of a network on a date.\\nA membership counts on $date when…")
    ('Members of a network on a date.', 'A membership counts on $date when…')
    """
    flat = " ".join(text.split())
    cut = flat.find(". ")
    return (flat, "") if cut < 0 else (flat[: cut + 1], flat[cut + 2 :])


def http_url(value: Any) -> str | None:
    """*value* when it is an ``http(s)`` URL (a link to follow), else ``None``.

    >>> http_url("https://www.anvita.fr/"), http_url("javascript:alert(1)")
    ('https://www.anvita.fr/', None)
    """
    if isinstance(value, str) and value.lower().startswith(("https://", "http://")):
        return value
    return None


def numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
