"""``civicgraph serve``: the graph in a browser, read-only, on this machine.

A Starlette app over one open store, served by uvicorn:

================================  ==========================================================
``/``                             the stored queries, their descriptions and parameters
``/query/<name>?p=v…``            a form from the query's ``@param`` header; the result as a
                                  table and, when the rows name nodes, as the graph
``/query/<name>.json``            ``{"rows", "columns", "query", "params"}``
``/query/<name>.csv``             what ``civicgraph query --format csv`` prints
``/query/<name>.graph``           the result's graph: the offline ``explore`` page
``/cypher?q=…`` (.json .csv       a read-only console; each ``$name`` in the statement
.graph)                           gets a field
``/node/<id>`` (.json .graph)     one actor: properties, relationships over time, sources
================================  ==========================================================

Every page is a GET, so its URL is a permalink to its result.  Bad input is HTTP 400 with
one line naming the parameter; a statement that writes is refused by the engine (read-only
calls: ``GRAPH.RO_QUERY``, Neo4j read transactions) and answered with 403.  Nothing loads
from elsewhere: pages take their script and style from this server (a Content-Security-
Policy allows nothing else), and a result's graph is the self-contained ``explore`` page,
framed from its ``.graph`` URL.

>>> app = create_app(store)                                        # doctest: +SKIP
>>> serve("civicgraph.db", port=8001)                              # doctest: +SKIP
"""

from __future__ import annotations

import functools
import ipaddress
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
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
    open_store,
)
from civicgraph.graph.model import nfc
from civicgraph.graph.output import format_rows
from civicgraph.graph.results import QueryResult
from civicgraph.graph.viz import build_graph, named_ids
from civicgraph.queries import Catalogue, StoredQuery, load_catalogue, named_parameters

from . import cells
from .nodes import node_view
from .pages import Page, PageText, graph_page, query_page_text

if TYPE_CHECKING:  # pragma: no cover - typing only
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from civicgraph.graph.store import Store

__all__ = ["HTML_ROWS", "create_app", "is_loopback", "serve", "start_server"]

#: A page shows at most this many rows (and draws the graph of those); .csv and .json have all.
HTML_ROWS = 1000
#: How long a result is kept for its page's graph frame (which asks for it right after).
RESULT_SECONDS = 30.0
FORMATS = ("json", "csv", "graph")
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
#: Pages: this server's script and style only; frames from this server (the graphs).
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
#: A graph page carries its own policy (no requests at all); only our pages may frame it.
GRAPH_POLICY = "frame-ancestors 'self'"


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
        values = [nfc(v) for v in request.query_params.getlist(key) if v != ""]
        if values:
            out[key] = values[0] if len(values) == 1 else values
    return out


def split_suffix(name: str, known: Callable[[str], bool]) -> tuple[str, str]:
    """``network_members.json`` → (``network_members``, ``json``); a name that is itself
    known keeps its dots (a query in a folder, ``alliance.members``; an id ending ``.csv``).

    >>> split_suffix("a.csv", lambda n: False), split_suffix("a.csv", lambda n: True)
    (('a', 'csv'), ('a.csv', 'html'))
    """
    for fmt in FORMATS:
        if name.endswith("." + fmt) and not known(name):
            return name[: -len(fmt) - 1], fmt
    return name, "html"


def formats_of(path: str, request: Request) -> dict[str, str]:
    """This result's permalink and its .json, .csv and .graph, with the same parameters."""
    query = urlencode(list(request.query_params.multi_items()))
    tail = f"?{query}" if query else ""
    return {"page": path + tail, **{fmt: f"{path}.{fmt}{tail}" for fmt in FORMATS}}


# -- running, read-only ------------------------------------------------------------------------


class Recent:
    """The last few answers — results, graph pages — each kept :data:`RESULT_SECONDS`.

    A result page's graph frame asks, right after the page, for a graph of the same result:
    the page starts building that graph (:meth:`prefetch`) as it answers, and the frame
    takes it from here instead of running the query again.  Requests for an answer being
    computed wait for it; a failure is not kept.
    """

    def __init__(self, size: int = 16, seconds: float = RESULT_SECONDS) -> None:
        self._items: OrderedDict[str, tuple[float, Future[Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="civicgraph-prefetch")
        self.size, self.seconds = size, seconds

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        """The answer for *key*: kept, being computed, or computed now in this thread."""
        future, mine = self._claim(key)
        if mine:
            self._fill(key, future, compute)
        return future.result()

    def prefetch(self, key: str, compute: Callable[[], Any]) -> None:
        """Start computing the answer for *key* in the background, unless it is kept."""
        future, mine = self._claim(key)
        if mine:
            self._pool.submit(self._fill, key, future, compute)

    def _claim(self, key: str) -> tuple[Future[Any], bool]:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and now - hit[0] < self.seconds:
                return hit[1], False
            future: Future[Any] = Future()
            self._items[key] = (now, future)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return future, True

    def _fill(self, key: str, future: Future[Any], compute: Callable[[], Any]) -> None:
        try:
            future.set_result(compute())
        except BaseException as exc:
            with self._lock:
                if self._items.get(key, (0, None))[1] is future:
                    del self._items[key]
            future.set_exception(exc)


def run_stored(store: Store, q: StoredQuery, given: Mapping[str, Any]) -> QueryResult:
    """Run a stored query read-only; bad input and writes become :class:`HTTPProblem`."""
    if q.write:
        raise HTTPProblem(403, f"query {q.name!r} writes (@write); civicgraph serve is read-only")
    try:
        return q.run(store, dict(given))
    except CivicgraphError as exc:
        raise problem(exc) from None


def run_cypher(
    store: Store, statement: str, given: Mapping[str, Any], names: list[str]
) -> QueryResult:
    """Run a console statement read-only, its ``$names`` from the query string."""
    if "q" in names:
        raise HTTPProblem(400, "the console's own field is q: rename $q in the statement", "q")
    for name in names:
        if name not in given:
            raise HTTPProblem(400, f"the statement uses ${name}: give {name}=…", name)
    extra = sorted(set(given) - set(names))
    if extra:
        raise HTTPProblem(400, f"the statement has no ${extra[0]}", extra[0])
    try:
        rows = store.query(statement, dict(given))
    except CivicgraphError as exc:
        raise problem(exc) from None
    return QueryResult(rows, params=dict(given), text=statement)


def drawable(rows: list[dict[str, Any]], params: Mapping[str, Any] | None = None) -> bool:
    """Whether the rows hold or name nodes: what the page's graph would draw."""
    return bool(named_ids(rows, params)) or build_graph(rows).number_of_nodes() > 0


# -- the app -------------------------------------------------------------------------------------


def create_app(store: Store, catalogue: Catalogue | None = None) -> Starlette:
    """The web app over an open *store*, read through ``store.query`` only.

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
    env.filters.update(
        cell=cells.cell, node_url=cells.node_url, http_url=cells.http_url, lead=cells.lead
    )
    env.tests["numeric"] = cells.numeric
    site = {"location": store.location, "engine": store.engine}
    recent = Recent()

    def headers(policy: str) -> dict[str, str]:
        return {
            "content-security-policy": policy,
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
        }

    def html(template: str, status: int = 200, **context: Any) -> Response:
        body = env.get_template(template).render(site=site, **context)
        return Response(body, status, headers=headers(PAGE_POLICY), media_type="text/html")

    def data(fmt: str, payload: Any, status: int = 200) -> Response:
        if fmt == "csv":
            return Response(payload, status, headers=headers(PAGE_POLICY), media_type="text/csv")
        text = json.dumps(payload, ensure_ascii=False, default=str)
        return Response(text, status, headers=headers(PAGE_POLICY), media_type="application/json")

    def graph(result: QueryResult, text: PageText) -> Callable[[], Page]:
        """What builds the graph page of the rows a page shows of *result*."""
        rows = result[:HTML_ROWS]
        return lambda: graph_page(
            store, rows, result.params, title=text.title, caption=text.caption, as_of=text.as_of
        )

    def graph_response(key: str, build: Callable[[], Page]) -> Response:
        page = recent.get(key, build)
        return Response(page.html, headers=headers(GRAPH_POLICY), media_type="text/html")

    def failed(fmt: str, err: HTTPProblem, template: str | None = None, **context: Any) -> Response:
        if fmt == "json":
            return data("json", {"error": err.message, "parameter": err.parameter}, err.status)
        if fmt in ("csv", "graph") or template is None:
            return Response(err.message + "\n", err.status, headers=headers(PAGE_POLICY))
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
        context: dict[str, Any] = {"q": q, "given": given}
        if fmt == "html" and not given and any(p.required for p in q.params.values()):
            return html("query.html", **context)  # the form, to be filled in
        key = json.dumps(["query", q.name, given], sort_keys=True, default=str)
        try:
            result = recent.get(key, lambda: run_stored(store, q, given))
        except HTTPProblem as err:
            return failed(fmt, err, "query.html", **context)
        if fmt == "json":
            return data("json", result.to_dict())
        if fmt == "csv":
            return data("csv", format_rows(result, "csv"))  # `civicgraph query --format csv`
        # the same title, caption and opening date as `civicgraph explore` gives the query
        build = graph(result, query_page_text(store, q, result.params))
        if fmt == "graph":
            return graph_response(key + " graph", build)
        page = shown(result, formats_of(f"/query/{quote(q.name)}", request))
        if page["graph"]:
            recent.prefetch(key + " graph", build)
        return html("query.html", **context, **page)

    def cypher(request: Request) -> Response:
        fmt = request.path_params.get("fmt", "html")
        if fmt not in FORMATS and fmt != "html":
            return failed("text", HTTPProblem(404, f"/cypher has no .{fmt}: use .json or .csv"))
        statement = request.query_params.get("q", "")
        given = given_params(request, reserved=("q",))
        names = sorted(named_parameters(statement))
        context: dict[str, Any] = {"statement": statement, "names": names, "given": given}
        if not statement.strip():
            if fmt != "html":
                return failed(fmt, HTTPProblem(400, "give a statement: q=MATCH …", "q"))
            return html("cypher.html", **context)
        key = json.dumps(["cypher", statement, given], sort_keys=True, default=str)
        try:
            result = recent.get(key, lambda: run_cypher(store, statement, given, names))
        except HTTPProblem as err:
            return failed(fmt, err, "cypher.html", **context)
        if fmt == "json":
            return data("json", {**result.to_dict(), "cypher": statement})
        if fmt == "csv":
            return data("csv", format_rows(result, "csv"))  # `civicgraph cypher --format csv`
        build = graph(result, PageText("civicgraph cypher"))
        if fmt == "graph":
            return graph_response(key + " graph", build)
        page = shown(result, formats_of("/cypher", request))
        if page["graph"]:
            recent.prefetch(key + " graph", build)
        return html("cypher.html", **context, **page)

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
        if fmt == "graph":
            return graph_response(
                f"node {node_id} graph", lambda: graph_page(store, view.rows, title=view.name)
            )
        links = {f: f"{cells.node_url(view.id)}.{f}" for f in ("json", "graph")}
        return html("node.html", view=view, links=links, graph=bool(view.relationships))

    routes = [
        Route("/", guarded(index)),
        Route("/query/{name:path}", guarded(query)),
        Route("/cypher", guarded(cypher)),
        Route("/cypher.{fmt:str}", guarded(cypher)),
        Route("/node/{id:path}", guarded(node)),
        Mount("/-/static", StaticFiles(packages=[("civicgraph.app", "static")]), name="static"),
    ]
    return Starlette(routes=routes)


def shown(result: QueryResult, links: dict[str, str]) -> dict[str, Any]:
    """What a result page shows: the first :data:`HTML_ROWS` rows, and a frame for their
    graph when they hold or name nodes."""
    rows = result[:HTML_ROWS]
    return {"result": result, "rows": rows, "links": links, "graph": drawable(rows, result.params)}


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
    return sock


def serve(
    db: str | None,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    echo: Callable[..., Any] | None = None,
) -> None:
    """Serve the store *db* read-only until interrupted (Ctrl-C, SIGTERM).

    Prints the URL once it listens; on a host other than loopback, first a warning that
    anyone on that network can read the graph.  A missing store is an error (nothing is
    created).

    Parameters
    ----------
    db : str or None
        A store directory or URI (``None``: ``$CIVICGRAPH_DB``, ``$NEO4J_URI``, civicgraph.db).
    host, port : str, int
        Where to listen (port 0: a free port, printed).
    echo : callable, optional
        Prints the URL, and warnings with ``err=True`` (``click.echo``'s signature;
        default: stdout and stderr).
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
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{sock.getsockname()[1]}/"
        server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        )
        echo(f"civicgraph serve: {url} (read-only; Ctrl-C to stop)")
        stopped = _serve_until_stopped(server, sock)
        answers = getattr(store.backend, "engine_answers", None)  # the embedded engine's
        if stopped is not None and answers is not None and not answers(0.5):
            from civicgraph.graph.engine import interrupt_engines

            interrupt_engines()  # hung or stopped: ended now, as the command line's handler does
    # The store closed in order above (its engine compacted its files): now leave as the
    # signal asks, as the command line's own handler would have.
    if stopped == signal.SIGINT:
        raise KeyboardInterrupt
    if stopped is not None:
        raise SystemExit(128 + stopped)


class _Stopped(Exception):
    """Ctrl-C or SIGTERM, raised again by uvicorn once it stopped serving."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum: int, frame: object) -> None:
    raise _Stopped(signum)


def _serve_until_stopped(server: Any, sock: socket.socket) -> int | None:
    """Run *server* until Ctrl-C or SIGTERM; the signal that stopped it (``None``: none).

    uvicorn catches both signals itself, finishes the requests under way, then raises the
    signal again for the handler it found.  The command line's handler ends the store's
    engine at once, without compacting its append-only file: right for a command whose
    engine may hang, but a served store is often the one that other commands joined to
    load into (README, "Large stores"), and its next open would replay all they wrote.
    So while serving, that raised-again signal only ends :meth:`uvicorn.Server.run`, and
    the caller closes the store in order (the engine, answering, compacts and stops; one
    that does not answer within half a second is ended at once, as the command line's
    handler would).  A second Ctrl-C during that close reaches that handler again.
    """
    main = threading.current_thread() is threading.main_thread()
    signals = (signal.SIGINT, signal.SIGTERM)
    handlers = {s: signal.getsignal(s) for s in signals} if main else {}
    try:
        for s in handlers:
            signal.signal(s, _raise_stopped)
        server.run(sockets=[sock])
    except _Stopped as stop:
        return stop.signum
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)
        sock.close()
    return None


def start_server(
    db: str | os.PathLike[str], log: str | os.PathLike[str], *args: str, timeout: float = 60
) -> tuple[subprocess.Popen[str], str]:
    """Start the installed ``civicgraph serve --db DB --port 0 ARGS`` as a child process
    and return it with the URL it prints once it listens (its stderr goes to *log*).

    For the tests and the benchmarks, which need a real server on a free port.  The caller
    stops the process.  A server that prints no URL within *timeout* seconds is killed, and
    the error quotes what it printed and its log.
    """
    exe = Path(sys.executable).with_name("civicgraph")
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [str(exe), "serve", "--db", os.fspath(db), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""
    if "http://" not in line:
        proc.kill()
        proc.wait(timeout=10)
        raise RuntimeError(f"civicgraph serve did not start: {line!r} {Path(log).read_text()!r}")
    return proc, "http://" + line.split("http://", 1)[1].split()[0]


def _echo(text: str, err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout, flush=True)
