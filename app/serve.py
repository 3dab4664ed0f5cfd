"""``civicgraph serve``: the graph in a browser, read-only, on this machine.

A Starlette app over one open store, served by uvicorn:

==============================  ===========================================================
``/``                           the stored queries, with their descriptions and parameters
``/query/<name>?p=v…``          a form from the query's ``@param`` header, the result as a
                                table and, when the rows name nodes, as the offline graph
``/query/<name>.json``          ``{"rows", "columns", "query", "params"}``
``/query/<name>.csv``           what ``civicgraph query --format csv`` prints, byte for byte
``/cypher?q=…`` (.json, .csv)   a read-only console; ``$names`` in the statement get fields
``/node/<id>`` (.json)          one actor: properties, relationships over time, sources
==============================  ===========================================================

Every page is a GET, so its URL is a permalink to its result.  Bad input is HTTP 400 with
one line naming the parameter; a statement that writes is refused by the engine (read-only
calls, ``GRAPH.RO_QUERY`` / Neo4j read transactions) and answered with 403.  Pages load
nothing from the network: scripts and styles come from this server, the graph is the
``explore`` page inlined in an ``<iframe srcdoc>``, and a Content-Security-Policy says so.

>>> app = create_app(store)                                        # doctest: +SKIP
>>> serve("civicgraph.db", port=8001)                              # doctest: +SKIP
"""

from __future__ import annotations

import functools
import ipaddress
import json
import os
import socket
import sys
import unicodedata
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from civicgraph.graph import (
    CivicgraphError,
    EngineError,
    InvalidParameter,
    MissingParameter,
    QueryNotFound,
    ReadOnlyViolation,
    UnknownParameter,
    load_model,
    open_store,
)
from civicgraph.graph.output import format_rows
from civicgraph.graph.records import Node, Relationship
from civicgraph.graph.records import Path as GraphPath
from civicgraph.graph.results import QueryResult
from civicgraph.graph.viz import inline_script_hashes
from civicgraph.queries import Catalogue, StoredQuery, load_catalogue, named_parameters

from .nodes import node_view
from .pages import graph_page

if TYPE_CHECKING:  # pragma: no cover - typing only
    from markupsafe import Markup
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from civicgraph.graph.store import Store

__all__ = ["HTML_ROWS", "create_app", "serve", "is_loopback"]

#: A page shows at most this many rows (and draws the graph of those); .csv and .json have all.
HTML_ROWS = 1000
#: The graph's frame height in a page, in pixels.
GRAPH_HEIGHT = 560
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


class HTTPProblem(Exception):
    """An answer other than 200: its status, one line, and the parameter it is about."""

    def __init__(self, status: int, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameter = parameter


def problem(exc: CivicgraphError) -> HTTPProblem:
    """The HTTP answer to a library error: 403 for a write, 400 for bad input."""
    if isinstance(exc, ReadOnlyViolation):
        return HTTPProblem(
            403,
            "civicgraph serve is read-only: this statement writes, and the engine refused "
            "it; nothing was changed (use `civicgraph cypher --write` to write)",
        )
    bad_input = (QueryNotFound, InvalidParameter, MissingParameter, UnknownParameter, EngineError)
    status = 400 if isinstance(exc, bad_input) else 500
    return HTTPProblem(status, str(exc), exc.field)


# -- what a request asks ---------------------------------------------------------------------


def given_params(request: Request, reserved: tuple[str, ...] = ()) -> dict[str, Any]:
    """The query string's values: a blank field is not given (the default applies), a key
    given twice is a list; values in Unicode NFC, as ids are stored."""
    out: dict[str, Any] = {}
    for key in dict.fromkeys(request.query_params.keys()):
        if key in reserved:
            continue
        values = [
            unicodedata.normalize("NFC", v) for v in request.query_params.getlist(key) if v != ""
        ]
        if values:
            out[key] = values[0] if len(values) == 1 else values
    return out


def split_suffix(name: str, known: Callable[[str], bool]) -> tuple[str, str]:
    """``network_members.json`` → (``network_members``, ``json``); a name that is itself
    known keeps its dots (a query in a folder, ``alliance.members``; an id ending ``.csv``).

    >>> split_suffix("a.csv", lambda n: False), split_suffix("a.csv", lambda n: True)
    (('a', 'csv'), ('a.csv', 'html'))
    """
    for fmt in ("json", "csv"):
        if name.endswith("." + fmt) and not known(name):
            return name[: -len(fmt) - 1], fmt
    return name, "html"


# -- what a table cell shows -------------------------------------------------------------------


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
    """A value as a table cell: every node id a link to its page, everything escaped."""
    from markupsafe import Markup, escape

    if value is None:
        return Markup("")
    if isinstance(value, Node):
        name = value.properties.get("name") or value.properties.get("title") or value.id
        return _link(value.id, name) if value.id else escape(str(name or ""))
    if isinstance(value, Relationship):
        return Markup("{} {} → {}").format(value.type, cell(value.start), cell(value.end))
    if isinstance(value, GraphPath):
        return Markup(" → ").join(cell(n) for n in value.nodes)
    if isinstance(value, list | tuple):
        return Markup(", ").join(cell(v) for v in value)
    if isinstance(value, dict):
        return escape(json.dumps(value, ensure_ascii=False, default=str))
    if isinstance(value, bool):
        return Markup("true" if value else "false")
    if isinstance(value, str) and value.startswith(id_prefixes()):
        return _link(value, value)
    return escape(str(value))


def _link(node_id: Any, text: Any) -> Markup:
    from markupsafe import Markup

    return Markup('<a href="{}">{}</a>').format(node_url(node_id), text)


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


# -- the app -------------------------------------------------------------------------------------


def content_security_policy() -> str:
    """Pages load only from this server; the graph frame's inline scripts by their hashes."""
    scripts = " ".join(("'self'", *inline_script_hashes()))
    return (
        "default-src 'none'; "
        f"script-src {scripts}; "
        # the graph page's inline <style> and vis-network's style attributes
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
    )


def create_app(store: Store, catalogue: Catalogue | None = None) -> Starlette:
    """The web app over an open *store* (read through ``store.query`` only).

    Parameters
    ----------
    store : Store
        Kept open for the app's life; requests share it (the backends are thread-safe).
    catalogue : Catalogue, optional
        The stored queries (default: :func:`~civicgraph.queries.load_catalogue`).
    """
    from jinja2 import Environment, PackageLoader, select_autoescape
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    cat = catalogue if catalogue is not None else load_catalogue()
    env = Environment(
        loader=PackageLoader("civicgraph.app", "templates"),
        autoescape=select_autoescape(default=True),
    )
    env.filters["cell"] = cell
    env.filters["node_url"] = node_url
    env.filters["http_url"] = http_url
    env.filters["lead"] = lead
    env.tests["numeric"] = numeric
    security = {
        "content-security-policy": content_security_policy(),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }
    site = {"location": store.location, "engine": store.engine}

    def html(template: str, status: int = 200, **context: Any) -> Response:
        body = env.get_template(template).render(site=site, **context)
        return Response(body, status, headers=security, media_type="text/html")

    def data(fmt: str, payload: Any, status: int = 200) -> Response:
        if fmt == "csv":
            return Response(payload, status, headers=security, media_type="text/csv")
        text = json.dumps(payload, ensure_ascii=False, default=str)
        return Response(text, status, headers=security, media_type="application/json")

    def failed(fmt: str, err: HTTPProblem, template: str | None = None, **context: Any) -> Response:
        if fmt == "json":
            return data("json", {"error": err.message, "parameter": err.parameter}, err.status)
        if fmt == "csv" or template is None:
            return Response(err.message + "\n", err.status, headers=security)
        return html(template, err.status, error=err, **context)

    def index(request: Request) -> Response:
        return html("index.html", queries=list(cat))

    def query(request: Request) -> Response:
        name, fmt = split_suffix(request.path_params["name"], lambda n: n in cat.queries)
        try:
            q = cat.get(name)
        except QueryNotFound as exc:
            return failed(fmt, problem(exc), "missing.html", what="query")
        given = given_params(request)
        context: dict[str, Any] = {"q": q, "given": given, "links": {}}
        if fmt == "html" and not given and any(p.required for p in q.params.values()):
            return html("query.html", **context)  # the form, to be filled in
        try:
            result = run_stored(store, q, given)
        except HTTPProblem as err:
            return failed(fmt, err, "query.html", **context)
        if fmt == "json":
            return data("json", result.to_dict())
        if fmt == "csv":
            return data("csv", format_rows(result, "csv"))  # `civicgraph query --format csv`
        context["links"] = formats_of(f"/query/{quote(q.name)}", request)
        dated = [p.name for p in q.params.values() if p.type == "date"]
        as_of = result.params.get(dated[0]) if len(dated) == 1 else None
        title = q.name + "".join(f" {k}={v}" for k, v in given.items())
        return html("query.html", **context, **shown(store, result, title, as_of))

    def cypher(request: Request) -> Response:
        fmt = request.path_params.get("fmt", "html")
        statement = request.query_params.get("q", "")
        given = given_params(request, reserved=("q",))
        names = sorted(named_parameters(statement))
        context: dict[str, Any] = {"statement": statement, "names": names, "given": given}
        if not statement.strip():
            if fmt != "html":
                return failed(fmt, HTTPProblem(400, "give a statement: q=MATCH …", "q"))
            return html("cypher.html", **context)
        try:
            result = run_cypher(store, statement, given, names)
        except HTTPProblem as err:
            return failed(fmt, err, "cypher.html", **context)
        if fmt == "json":
            return data("json", {**result.to_dict(), "cypher": statement})
        if fmt == "csv":
            return data("csv", format_rows(result, "csv"))  # `civicgraph cypher --format csv`
        context["links"] = formats_of("/cypher", request)
        return html("cypher.html", **context, **shown(store, result, "civicgraph cypher", None))

    def node(request: Request) -> Response:
        raw = request.path_params["id"]
        node_id, fmt, view = raw, "html", node_view(store, raw)
        if view is None:  # `insee:38185.json`: the id is what comes before the format
            node_id, fmt = split_suffix(raw, lambda _: False)
            view = node_view(store, node_id) if fmt != "html" else None
        if view is None:
            err = HTTPProblem(404, f"no node with id {node_id!r} in this store", "id")
            return failed(fmt, err, "missing.html", what="node")
        if fmt == "csv":
            return failed(fmt, HTTPProblem(404, "a node's page comes as .json, not .csv"))
        if fmt == "json":
            return data("json", view.to_dict())
        page = graph_page(store, view.rows, title=view.name)
        return html(
            "node.html",
            view=view,
            graph=page.iframe(height=GRAPH_HEIGHT, sandbox=None) if page.nodes > 1 else None,
            links={"json": node_url(view.id) + ".json"},
        )

    routes = [
        Route("/", guarded(index)),
        Route("/query/{name:path}", guarded(query)),
        Route("/cypher", guarded(cypher)),
        Route("/cypher.{fmt:str}", guarded(cypher)),
        Route("/node/{id:path}", guarded(node)),
        Mount("/-/static", StaticFiles(packages=[("civicgraph.app", "static")]), name="static"),
    ]
    return Starlette(routes=routes)


def guarded(endpoint: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """*endpoint*, answering an error it did not expect with one line and HTTP 500, and
    printing one line on the server's stderr: never a traceback (``CIVICGRAPH_DEBUG=1``
    shows it)."""
    from starlette.responses import PlainTextResponse

    @functools.wraps(endpoint)
    def wrapper(request: Request) -> Response:
        try:
            return endpoint(request)
        except CivicgraphError as exc:  # the engine failed (hung, connection lost)
            line = f"the store could not answer: {exc}"
        except Exception as exc:
            if os.environ.get("CIVICGRAPH_DEBUG"):
                raise
            line = (
                f"unexpected {type(exc).__name__}: {exc} — this is a civicgraph bug; please "
                "report it (CIVICGRAPH_DEBUG=1 shows the traceback)"
            )
        print(f"civicgraph serve: {request.url.path}: {line}", file=sys.stderr, flush=True)
        return PlainTextResponse(line + "\n", 500)

    return wrapper


def run_stored(store: Store, q: StoredQuery, given: Mapping[str, Any]) -> QueryResult:
    """Run a stored query read-only; bad input and writes become :class:`HTTPProblem`."""
    if q.write:
        raise HTTPProblem(403, f"query {q.name!r} writes (@write); civicgraph serve is read-only")
    try:
        q.bind(dict(given))  # parameters first: a bad date is the user's, not the engine's
        return q.run(store, dict(given))
    except CivicgraphError as exc:
        raise problem(exc) from None


def run_cypher(
    store: Store, statement: str, given: Mapping[str, Any], names: list[str]
) -> QueryResult:
    """Run a console statement read-only, with its ``$names`` from the query string."""
    if "q" in names:
        raise HTTPProblem(400, "the console's own field is q: rename $q in the statement", "q")
    for name in names:
        if name not in given:
            raise HTTPProblem(400, f"the statement uses ${name}: give {name}=… below", name)
    extra = sorted(set(given) - set(names))
    if extra:
        raise HTTPProblem(400, f"the statement has no ${extra[0]}", extra[0])
    try:
        rows = store.query(statement, dict(given))
    except CivicgraphError as exc:
        raise problem(exc) from None
    return QueryResult(rows, params=dict(given), text=statement)


def formats_of(path: str, request: Request) -> dict[str, str]:
    """The permalink of this result and its .json and .csv, with the same parameters."""
    query = urlencode(list(request.query_params.multi_items()))
    tail = f"?{query}" if query else ""
    return {"page": path + tail, "json": path + ".json" + tail, "csv": path + ".csv" + tail}


def shown(store: Store, result: QueryResult, title: str, as_of: Any) -> dict[str, Any]:
    """What a result page shows: the first :data:`HTML_ROWS` rows and their graph."""
    rows = result[:HTML_ROWS]
    page = graph_page(store, rows, result.params, title=title, as_of=as_of)
    return {
        "result": result,
        "rows": rows,
        "graph": page.iframe(height=GRAPH_HEIGHT, sandbox=None) if page.nodes else None,
        "graph_size": (page.nodes, page.edges),
    }


# -- the server ----------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Whether *host* is only reachable from this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on *host*:*port* (port 0: a free one); a port in use is one line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise CivicgraphError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
            + ("; choose another with --port" if exc.errno == 98 else "")
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(
    db: str | None,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    echo: Callable[..., Any] | None = None,
    ready: Callable[[str], Any] | None = None,
) -> None:
    """Serve the store *db* read-only until interrupted (Ctrl-C).

    Prints the URL on start; on a host other than loopback, first a warning that anyone on
    that network can read the graph.  A missing store is an error (nothing is created).

    Parameters
    ----------
    db : str or None
        A store directory or URI (``None``: ``$CIVICGRAPH_DB``, ``$NEO4J_URI``, civicgraph.db).
    host, port : str, int
        Where to listen (port 0: a free port, printed).
    echo : callable, optional
        Prints the URL, and warnings with ``err=True`` (``click.echo``'s signature;
        default: stdout and stderr).
    ready : callable, optional
        Called with the URL once the server listens (tests use it).
    """
    import uvicorn

    echo = echo or _echo
    with open_store(db, create=False) as store:
        app = create_app(store)
        if not is_loopback(host):
            echo(
                f"warning: listening on {host}, not on loopback: anyone who can reach this "
                "machine on that network can read the whole graph",
                err=True,
            )
        sock = bind(host, port)
        bound = sock.getsockname()[1]
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{bound}/"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        echo(f"civicgraph serve: {url} (read-only; Ctrl-C to stop)")
        if ready is not None:
            ready(url)
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()


def _echo(text: str, err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout, flush=True)
