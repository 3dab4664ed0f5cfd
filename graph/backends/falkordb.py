"""FalkorDB backend: the embedded default (a store directory) or a FalkorDB server (``falkordb://``)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any, TypeVar

from .. import gcpause
from ..engine import EmbeddedEngine
from ..errors import EngineError, EngineRestarted, ReadOnlyViolation
from ..records import Node, Path, Relationship
from ..supervisor import EngineSupervisor, Recovery, number_setting
from .dialect import Translated, engine_error, to_falkordb

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .base import WriteLock

T = TypeVar("T")

__all__ = ["DEFAULT_TIMEOUT", "GRAPH_NAME", "TIMEOUT_ENV", "FalkorDBBackend", "timeout_from_env"]

GRAPH_NAME = "civicgraph"
#: The environment variable giving how long (seconds) to wait for the engine's answer.
TIMEOUT_ENV = "CIVICGRAPH_TIMEOUT"
#: Generous: one batch of a national register load can take minutes.
DEFAULT_TIMEOUT = 600.0
#: How many engine restarts one statement may live through (a second freeze right after a
#: recovery is survived; a third in a row is an error).
MAX_RESTARTS = 3


def timeout_from_env(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds to wait for one answer from FalkorDB: ``$CIVICGRAPH_TIMEOUT``, else 600.

    ``0`` waits forever (``None``: the client's behaviour before civicgraph set a timeout).

    >>> timeout_from_env({"CIVICGRAPH_TIMEOUT": "30"}), timeout_from_env({})
    (30.0, 600.0)
    >>> timeout_from_env({"CIVICGRAPH_TIMEOUT": "0"}) is None
    True
    """
    return number_setting(TIMEOUT_ENV, DEFAULT_TIMEOUT, "waits forever", env)


def _client(timeout: float | None, **connection: Any) -> Any:
    """A FalkorDB client whose reads give up after *timeout* seconds, and never retry.

    Retrying would send a write a second time after the first may have completed.
    """
    from falkordb import FalkorDB
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return FalkorDB(socket_timeout=timeout, retry=Retry(NoBackoff(), 0), **connection)


def _connect(engine: EmbeddedEngine, timeout: float | None) -> Any:
    """A client of *engine* (started: owned or joined).

    The client asks the server for its ``INFO`` as it is made; a guest's owner may have
    stopped its engine since the guest joined it (the owner closed the store).  Then start
    again, which owns the store or joins its next owner, until the engine's join timeout.
    """
    import redis

    deadline = time.monotonic() + engine.join_timeout
    while True:
        try:
            return _client(timeout, unix_socket_path=engine.socket)
        except redis.exceptions.ConnectionError:
            if engine.owner or time.monotonic() > deadline:
                raise
        engine.start()


class FalkorDBBackend:
    """FalkorDB through the ``falkordb`` client.

    >>> backend = FalkorDBBackend.embedded("civicgraph.db")  # doctest: +SKIP
    >>> backend.run("MATCH (n) RETURN count(n) AS n")        # doctest: +SKIP
    """

    engine = "falkordb"

    def __init__(
        self,
        client: Any,
        location: str,
        engine: EmbeddedEngine | None = None,
        graph: str = GRAPH_NAME,
        timeout: float | None = None,
    ) -> None:
        self._client = client
        self._engine = engine
        self._graph = client.select_graph(graph)
        self.location = location
        self.graph_name = graph
        self.timeout = timeout
        # One statement at a time from this process.  FalkorDB 4.16 has hung here (every
        # engine thread waiting on a lock) with a read and a write in flight from two
        # connections of one process; a loader that plans the next batch while the engine
        # writes the last one needs no more than this, see compile().
        self._lock = threading.RLock()
        self._interrupted = False
        # rejoin(): one thread at a time starts or joins the store's current engine; the
        # others, whose reads the same close cut, see the generation change and run again.
        self._rejoin_lock = threading.RLock()
        self._generation = 0
        if engine is not None:
            self._wire(engine)

    def _wire(self, engine: EmbeddedEngine) -> None:
        """Let the engine's interrupt, and its supervisor, reach this client."""
        engine.on_interrupt = self._interrupt
        if engine.supervisor is not None:
            engine.supervisor.on_give_up = self._disconnect_all
            engine.supervisor.after_restart = self._after_restart

    @classmethod
    def embedded(cls, path: str | os.PathLike[str], **engine_options: Any) -> FalkorDBBackend:
        """Start (or join) the embedded engine of *path*; answers wait ``$CIVICGRAPH_TIMEOUT``."""
        timeout = timeout_from_env()  # a bad setting fails before an engine starts
        engine = EmbeddedEngine(path, **engine_options).start()
        try:
            client = _connect(engine, timeout)
        except Exception:
            engine.stop()
            raise
        return cls(client, str(path), engine, timeout=timeout)

    @classmethod
    def server(
        cls, host: str, port: int, password: str | None = None, graph: str = GRAPH_NAME
    ) -> FalkorDBBackend:
        timeout = timeout_from_env()
        return cls(
            _client(timeout, host=host, port=port, password=password),
            f"falkordb://{host}:{port}",
            graph=graph,
            timeout=timeout,
        )

    @property
    def shared(self) -> bool:
        """True when another process owns the embedded engine and we joined it."""
        return self._engine is not None and not self._engine.owner

    @property
    def owns_engine(self) -> bool:
        return self._engine is not None and self._engine.owner

    def state_dir(self) -> FilePath | None:
        """The store directory of an embedded engine; ``None`` for a FalkorDB server."""
        if self._engine is None:
            return None
        path = FilePath(self.location)
        return path if path.is_dir() else None

    @property
    def engine_pid(self) -> int | None:
        return self._engine.pid if self._engine else None

    @property
    def engine_socket(self) -> str | None:
        return self._engine.socket if self._engine else None

    def engine_answers(self, timeout: float) -> bool:
        """Whether the embedded engine answers within *timeout* seconds
        (:meth:`EmbeddedEngine.healthy`); True for a server, which is not ours to end."""
        return self._engine is None or self._engine.healthy(timeout)

    @property
    def supervisor(self) -> EngineSupervisor | None:
        """The embedded engine's supervisor (None: a server, or supervision turned off)."""
        return self._engine.supervisor if self._engine else None

    @property
    def interrupted(self) -> bool:
        """True after Ctrl-C or SIGTERM ended this process's engine (no statement runs)."""
        return self._interrupted

    @property
    def recoveries(self) -> int:
        """How many times the embedded engine was restarted after it stopped answering."""
        return len(self.supervisor.recoveries) if self.supervisor else 0

    # -- surviving a hung engine -------------------------------------------------------
    def _supervised(self, action: Callable[[], T], *, write: bool) -> T:
        """Run *action*; when the supervisor restarted a hung engine under it, run a read
        again, and turn a write into :class:`EngineRestarted` (only the caller can tell
        whether running it again is safe).  A guest's read whose connection closed runs
        again on the engine serving the store now (:meth:`rejoin`)."""
        for attempt in range(MAX_RESTARTS + 1):
            if self._interrupted:
                raise EngineError(f"interrupted: the engine of {self.location} was stopped")
            # read each time: a rejoin brings the new engine's supervisor
            supervisor = self._engine.supervisor if self._engine else None
            epoch = supervisor.epoch if supervisor else 0
            generation = self._generation
            try:
                return action()
            except _Lost as lost:
                recovery = (
                    supervisor.recovery_since(epoch)
                    if supervisor is not None and not self._interrupted
                    else None
                )
                if recovery is None:
                    # A guest's read whose connection closed: its owner closed the store (an
                    # owner waits only for writers, which hold the write lock).  The read runs
                    # again on the engine serving the store now, this process's own if none.
                    if not (
                        lost.closed
                        and not write
                        and attempt < MAX_RESTARTS
                        and self.rejoin(since=generation)
                    ):
                        raise lost.error from lost.__cause__
                    continue
                if write:
                    raise EngineRestarted(
                        f"{recovery.message()}, while this write was in flight: it may or "
                        "may not have been applied; check, then run it again",
                        recovery,
                    ) from lost.__cause__
                if attempt == MAX_RESTARTS:
                    raise EngineError(
                        f"{recovery.message()}, {MAX_RESTARTS + 1} times during one "
                        "statement; giving up"
                    ) from lost.__cause__
                recovery.report("ran the interrupted query again")
        raise AssertionError("unreachable")

    def await_indexes(self, limit: float = 120.0) -> None:
        """Wait (at most *limit* seconds) until every index of the graph is operational.

        FalkorDB builds indexes in the background: after it loads a store's files (an
        open, a supervised restart) and after ``CREATE INDEX`` on a label that has nodes.
        Until an index is ready, a ``MATCH`` on an id scans every node of the label: one
        batch of 5,000 relationships took 113 s right after a restart, 0.3 s after.
        """
        _until_ready(
            lambda: [r["status"] for r in self.run("CALL db.indexes() YIELD status RETURN status")],
            limit,
        )

    def _await_indexes_directly(self, socket_timeout: float, limit: float = 120.0) -> None:
        """:meth:`await_indexes` on a connection of its own, for the supervisor's thread
        (statements wait for it meanwhile); a frozen engine raises after *socket_timeout*."""
        assert self._engine is not None and self._engine.socket is not None
        import redis

        client = _client(socket_timeout, unix_socket_path=self._engine.socket)
        graph = client.select_graph(self.graph_name)

        def statuses() -> list[str]:
            try:
                result = graph.ro_query("CALL db.indexes() YIELD status RETURN status")
            except redis.exceptions.ResponseError as exc:
                if "empty key" in str(exc):
                    return []  # nothing stored yet: no index to wait for
                raise
            return [row[0] for row in result.result_set or []]

        try:
            _until_ready(statuses, limit)
        finally:
            client.connection.close()

    def _after_restart(self) -> None:
        """(supervisor thread) A restarted engine: wait for its indexes."""
        assert self._engine is not None and self._engine.supervisor is not None
        self._await_indexes_directly(self._engine.supervisor.hang_seconds)

    def _interrupt(self) -> None:
        """Ctrl-C or SIGTERM: no new statement starts, and those in flight end now."""
        self._interrupted = True
        self._disconnect_all()

    def _disconnect_all(self) -> None:
        """Close every connection of this client, also those other threads are waiting on."""
        try:
            self._client.connection.connection_pool.disconnect(inuse_connections=True)
        except Exception:  # noqa: BLE001 - best effort, from a signal handler or a thread
            pass

    def rejoin(self, since: int | None = None) -> bool:
        """(A guest) If the engine this process joined has stopped — its owner closed the
        store — start or join the one serving the store now, and say so (True).

        Only safe between statements: the store calls it when it takes its write lock,
        which an owner takes before it stops its engine, so no write is ever cut short; and
        :meth:`run` calls it when a read's connection closed, to run the read again
        (*since*: the client generation that read used; if another thread has rejoined
        since, this one just runs again).  An engine this process now owns has just loaded
        the store: its indexes are awaited before any thread goes on.  Never after Ctrl-C.
        """
        import redis

        if self._engine is None or self._interrupted:
            return False
        with self._rejoin_lock:
            if since is not None and since != self._generation:
                return True  # another thread rejoined after this one's read was cut
            if self._engine.owner:
                return False
            try:
                with self._lock:
                    self._client.connection.ping()
                return False
            except redis.exceptions.RedisError:
                pass
            with contextlib.suppress(Exception):
                self._client.connection.close()
            self._engine.start()
            client = _connect(self._engine, self.timeout)
            with self._lock:
                self._client = client
                self._graph = client.select_graph(self.graph_name)
                self._generation += 1
            self._wire(self._engine)  # its new supervisor
            if self._engine.owner:
                self.await_indexes()
            return True

    # -- running ----------------------------------------------------------
    def run(
        self, query: str, params: dict[str, Any] | None = None, *, write: bool = False
    ) -> list[dict[str, Any]]:
        return self._supervised(lambda: self._run(query, params, write), write=write)

    def _run(self, query: str, params: dict[str, Any] | None, write: bool) -> list[dict[str, Any]]:
        import redis

        sent = to_falkordb(query)  # Neo4j 5 constructs FalkorDB lacks, rewritten (dialect.py)
        rewritten, query = sent != query, sent
        try:
            result = self._send(query, params, write)
        except redis.exceptions.ResponseError as exc:
            msg = str(exc)
            if "empty key" in msg and not write:
                # A read on a store that has never been written: answer as an empty graph.
                self._send("RETURN 1", None, True)
                return self._run(query, params, False)
            if "read-only" in msg or "RO_QUERY" in msg:
                raise ReadOnlyViolation(
                    "this statement writes, but was run read-only (use a write call, "
                    "or `civicgraph cypher --write`)"
                ) from exc
            raise engine_error(msg, rewritten=rewritten) from exc
        if isinstance(result, list):  # scalars only: already parsed
            return result
        header = [h[1] if isinstance(h, list | tuple) else h for h in (result.header or [])]
        rows = result.result_set or []
        if not rows:
            return []
        converter = _Converter(self)
        out = [dict(zip(header, (converter.value(v) for v in row), strict=False)) for row in rows]
        converter.resolve(out)
        return out

    def _send(self, query: str, params: dict[str, Any] | None, write: bool) -> Any:
        """One statement to the engine; a broken or timed-out connection becomes _Lost."""
        import redis

        try:
            with self._lock:
                text = self._graph._build_params_header(params) + query if params else query
                # A read's reply may be millions of values: read and parsed into rows with
                # the cyclic collector held off (graph.gcpause: the national mayoral terms,
                # 4.3-5.4 s with it, 1.9-2.4 s without).  Inside the lock: a server
                # answering one request after another collects between them.
                with contextlib.nullcontext() if write else gcpause.paused():
                    response = self._graph.execute_command(
                        "GRAPH.QUERY" if write else "GRAPH.RO_QUERY",
                        self.graph_name,
                        text,
                        "--compact",
                    )
                    plain = _Plain.parse(response)
                    if plain is not None:
                        names = plain.header
                        return [dict(zip(names, row, strict=True)) for row in plain.rows]
                    from falkordb.query_result import QueryResult

                    return QueryResult(self._graph, response)  # nodes, paths, maps; or raises
        except redis.exceptions.TimeoutError as exc:
            # The client dropped the connection; the next call opens a new one.
            raise _Lost(
                EngineError(
                    f"FalkorDB did not answer within {self.timeout or 0:g} s ({self.location}): "
                    f"the engine is hung or the statement is very long; set {TIMEOUT_ENV} to "
                    "more seconds (0 waits forever) to wait longer"
                    + (" (a write may still complete)" if write else "")
                )
            ) from exc
        except redis.exceptions.ConnectionError as exc:
            raise _Lost(
                EngineError(f"FalkorDB connection lost ({self.location}): {exc}"), closed=True
            ) from exc

    def bulk_writer(self) -> Any:
        """The engine's binary bulk writer (:mod:`.falkordb_bulk`)."""
        from .falkordb_bulk import FalkorDBBulk

        return FalkorDBBulk(self)

    def bulk(self, nodes: int, relationships: int, tokens: list[bytes], labels: int) -> None:
        """One ``GRAPH.BULK`` command appending *nodes* and *relationships* to the graph
        (*tokens*: the first *labels* are node tokens, the rest relationship tokens)."""
        import redis

        def send() -> None:
            try:
                self._send_bulk(
                    [self.graph_name, nodes, relationships, labels, len(tokens) - labels, *tokens]
                )
            except redis.exceptions.ResponseError as exc:
                raise engine_error(str(exc), rewritten=False) from exc
            except redis.exceptions.TimeoutError as exc:
                raise _Lost(
                    EngineError(f"FalkorDB did not answer a bulk write ({self.location})")
                ) from exc
            except redis.exceptions.ConnectionError as exc:
                raise _Lost(
                    EngineError(f"FalkorDB connection lost ({self.location}): {exc}")
                ) from exc

        self._supervised(send, write=True)

    def _send_bulk(self, args: list[Any]) -> Any:
        with self._lock:
            return self._client.connection.execute_command("GRAPH.BULK", *args)

    def compile(
        self, query: str, params: dict[str, Any] | None
    ) -> tuple[str, dict[str, Any] | None]:
        """The statement with its parameters in the form the engine receives.

        The falkordb client turns parameters into a ``CYPHER name=value …`` prefix in Python
        (10 s for the national councillors); doing it ahead, outside :meth:`run`'s lock, lets
        a loader overlap it with the engine's work on the previous batch.  The values still
        travel as parameters, quoted by the client, never spliced into the statement.
        """
        build = getattr(self._graph, "_build_params_header", None)
        if not params or build is None:
            return query, params
        return Translated(build(params) + to_falkordb(query)), None

    def setup_schema(self, labels: list[str], lock: WriteLock | None = None) -> None:
        """The missing ``id`` indexes, created under *lock* (the store's write lock, which an
        owner closing its engine waits for) when any is missing."""
        for _ in range(MAX_RESTARTS):
            try:
                self._create_indexes(labels, lock)
                return
            except EngineRestarted as exc:
                # Whether the interrupted CREATE INDEX committed or not, the store says so:
                # look again, create what is missing.
                _report(exc, "checked the indexes and created the missing ones")
        self._create_indexes(labels, lock)

    def _create_indexes(self, labels: list[str], lock: WriteLock | None = None) -> None:
        """Create the missing ``id`` indexes one at a time, each ready before the next.

        FalkorDB fills an index in the background; two filled at once, or one filled while
        statements write, is where its lock-order deadlock has been reported (upstream
        FalkorDB#2129, with the index GC thread).  On a new store each index is created on
        an empty label and is ready at once; the wait matters for a store that gains a label.
        """

        def missing() -> list[str]:
            existing = {
                (r["label"], p)
                for r in self.run(
                    "CALL db.indexes() YIELD label, properties RETURN label, properties"
                )
                for p in r["properties"]
            }
            return [label for label in labels if (label, "id") not in existing]

        if missing():
            # Writes: under the store's write lock when given (then looked at again).
            with lock() if lock is not None else contextlib.nullcontext():
                for label in missing():  # labels come from the schema allow-list only
                    self.run(f"CREATE INDEX FOR (n:{label}) ON (n.id)", write=True)
                    self.await_indexes()
        self.await_indexes()  # and those the engine rebuilds after loading its files

    def version(self) -> str:
        import redis

        def modules() -> Any:
            try:
                return self._client.connection.execute_command("MODULE", "LIST")
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                raise _Lost(
                    EngineError(f"FalkorDB connection lost ({self.location})"),
                    closed=isinstance(exc, redis.exceptions.ConnectionError),
                ) from exc

        try:
            for mod in self._supervised(modules, write=False):
                fields = dict(zip(mod[::2], mod[1::2], strict=False))
                if fields.get("name") == "graph":
                    ver = int(fields["ver"])
                    return f"FalkorDB {ver // 10000}.{ver // 100 % 100}.{ver % 100}"
        except Exception:  # noqa: BLE001 - version is informative only
            pass
        return "FalkorDB"

    def close(self) -> None:
        try:
            self._client.connection.close()
        except Exception:  # noqa: BLE001
            pass
        if self._engine is not None:
            self._engine.stop()
            self._engine = None


def _until_ready(statuses: Callable[[], list[str]], limit: float) -> None:
    """Poll index *statuses* until all are ``OPERATIONAL``, or *limit* seconds pass (then
    statements run anyway: slower while they scan, not wrong)."""
    deadline = time.monotonic() + limit
    while not all(status == "OPERATIONAL" for status in statuses()):
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)


class _Lost(Exception):
    """The connection broke (``closed``) or timed out under a statement; ``error`` is what
    to raise if no engine restart, or owner that closed the store, explains it."""

    def __init__(self, error: EngineError, *, closed: bool = False) -> None:
        super().__init__(str(error))
        self.error = error
        self.closed = closed


def _report(exc: EngineRestarted, outcome: str) -> None:
    recovery = exc.recovery
    if isinstance(recovery, Recovery):
        recovery.report(outcome)


_SCALARS = frozenset({str, int, float, bool, type(None)})


class _Plain:
    """A reply holding only nulls, strings, integers, booleans, doubles and lists of them,
    parsed here: the falkordb client's result objects parse each value through a table of
    functions (2 s of the 7 s that deriving the national mayoral terms spent reading them).
    Anything else (nodes, relationships, paths, maps, errors) goes to the client's parser."""

    __slots__ = ("header", "rows")

    def __init__(self, header: list[str], rows: list[list[Any]]) -> None:
        self.header = header
        self.rows = rows

    @classmethod
    def parse(cls, response: Any) -> _Plain | None:
        """The reply's header and rows, or ``None`` when a value is not a plain one.

        Each compact cell is ``[type, value]``; strings, the most common values, are taken
        as they come without a call (2.7 million cells: 0.5 s instead of 2.5 s).

        >>> _Plain.parse([[[1, "a"], [1, "b"]], [[[2, "x"], [3, 7]], [[1, None], [6, [[5, "1.5"], [4, "true"]]]]], []]).rows
        [['x', 7], [None, [1.5, True]]]
        >>> _Plain.parse([[[1, "n"]], [[[8, [1, []]]]], []]) is None  # a node
        True
        """
        import redis

        if not response or any(isinstance(x, redis.exceptions.ResponseError) for x in response):
            return None
        if len(response) == 1:  # statistics only
            return cls([], [])
        header = [h[1] if isinstance(h, list | tuple) else h for h in response[0]]
        if any(not isinstance(h, str) for h in header):
            return None
        try:
            rows = [
                [v if k == 2 and type(v) is str else _plain(k, v) for k, v in row]
                for row in response[1]
            ]
        except (_NotPlain, ValueError, TypeError):  # not a plain value, or not [type, value]
            return None
        return cls(header, rows)


class _NotPlain(Exception):
    pass


def _plain(kind: int, value: Any) -> Any:
    """One compact value of type *kind* (FalkorDB's ``VALUE_*`` codes) as a Python value."""
    if kind == 2:
        return value.decode() if type(value) is bytes else value
    if kind == 1:
        return None
    if kind == 3:
        return int(value)
    if kind == 4:
        return value in ("true", b"true")
    if kind == 5:
        return float(value)
    if kind == 6:
        return [v if k == 2 and type(v) is str else _plain(k, v) for k, v in value]
    raise _NotPlain


class _Converter:
    """FalkorDB edges name their endpoints by internal ids; map them to our ``id`` property."""

    def __init__(self, backend: FalkorDBBackend) -> None:
        self.backend = backend
        self.internal: dict[int, str | None] = {}
        self.pending: list[tuple[int, int, str, dict[str, Any]]] = []
        self.has_pending = False

    def value(self, v: Any) -> Any:
        if type(v) in _SCALARS:  # most values: ids, names, dates, counts
            return v
        from falkordb.edge import Edge
        from falkordb.node import Node as FNode
        from falkordb.path import Path as FPath

        if isinstance(v, FNode):
            props = dict(v.properties)
            self.internal[v.id] = props.get("id")
            return Node(id=props.get("id"), labels=tuple(v.labels or ()), properties=props)
        if isinstance(v, Edge):
            self.has_pending = True
            return _PendingRel(v.src_node, v.dest_node, v.relation, dict(v.properties))
        if isinstance(v, FPath):
            self.has_pending = True
            return _PendingPath(
                [self.value(n) for n in v.nodes()], [self.value(e) for e in v.edges()]
            )
        if isinstance(v, list):
            return [x if type(x) in _SCALARS else self.value(x) for x in v]
        if isinstance(v, dict):
            return {k: x if type(x) in _SCALARS else self.value(x) for k, x in v.items()}
        return v

    def resolve(self, rows: list[dict[str, Any]]) -> None:
        if not self.has_pending:  # no relationship or path: nothing to map
            return
        missing: set[int] = set()

        def scan(v: Any) -> None:
            if isinstance(v, _PendingRel):
                for i in (v.src, v.dst):
                    if i not in self.internal:
                        missing.add(i)
            elif isinstance(v, _PendingPath):
                for x in v.rels:
                    scan(x)
            elif isinstance(v, list):
                for x in v:
                    scan(x)
            elif isinstance(v, dict):
                for x in v.values():
                    scan(x)

        for row in rows:
            scan(row)
        if missing:
            found = self.backend.run(
                "UNWIND $ids AS i MATCH (n) WHERE id(n) = i RETURN id(n) AS i, n.id AS id",
                {"ids": sorted(missing)},
            )
            for r in found:
                self.internal[r["i"]] = r["id"]

        def fix(v: Any) -> Any:
            if isinstance(v, _PendingRel):
                return Relationship(
                    v.type, self.internal.get(v.src), self.internal.get(v.dst), v.props
                )
            if isinstance(v, _PendingPath):
                return Path(tuple(v.nodes), tuple(fix(r) for r in v.rels))
            if isinstance(v, list):
                return [fix(x) for x in v]
            if isinstance(v, dict):
                return {k: fix(x) for k, x in v.items()}
            return v

        for row in rows:
            for k in row:
                row[k] = fix(row[k])


class _PendingRel:
    __slots__ = ("dst", "props", "src", "type")

    def __init__(self, src: int, dst: int, rel_type: str, props: dict[str, Any]) -> None:
        self.src, self.dst, self.type, self.props = src, dst, rel_type, props


class _PendingPath:
    __slots__ = ("nodes", "rels")

    def __init__(self, nodes: list[Any], rels: list[Any]) -> None:
        self.nodes, self.rels = nodes, rels
