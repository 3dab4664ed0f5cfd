"""FalkorDB backend: the embedded default (a store directory) or a FalkorDB server (``falkordb://``)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Mapping
from typing import Any

from ..engine import EmbeddedEngine
from ..errors import ConfigurationError, EngineError, ReadOnlyViolation
from ..records import Node, Path, Relationship
from .dialect import Translated, engine_error, to_falkordb

__all__ = ["DEFAULT_TIMEOUT", "GRAPH_NAME", "TIMEOUT_ENV", "FalkorDBBackend", "timeout_from_env"]

GRAPH_NAME = "civicgraph"
#: The environment variable giving how long (seconds) to wait for the engine's answer.
TIMEOUT_ENV = "CIVICGRAPH_TIMEOUT"
#: Generous: one batch of a national register load can take minutes.
DEFAULT_TIMEOUT = 600.0


def timeout_from_env(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds to wait for one answer from FalkorDB: ``$CIVICGRAPH_TIMEOUT``, else 600.

    ``0`` waits forever (``None``: the client's behaviour before civicgraph set a timeout).

    >>> timeout_from_env({"CIVICGRAPH_TIMEOUT": "30"}), timeout_from_env({})
    (30.0, 600.0)
    >>> timeout_from_env({"CIVICGRAPH_TIMEOUT": "0"}) is None
    True
    """
    text = (os.environ if env is None else env).get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):  # also refuses nan
        raise ConfigurationError(
            f"{TIMEOUT_ENV}={text!r} is not a number of seconds (e.g. 600; 0 waits forever)"
        )
    return value or None


def _client(timeout: float | None, **connection: Any) -> Any:
    """A FalkorDB client whose reads give up after *timeout* seconds, and never retry.

    Retrying would send a write a second time after the first may have completed.
    """
    from falkordb import FalkorDB
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return FalkorDB(socket_timeout=timeout, retry=Retry(NoBackoff(), 0), **connection)


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

    @classmethod
    def embedded(cls, path: str | os.PathLike[str], **engine_options: Any) -> FalkorDBBackend:
        """Start (or join) the embedded engine of *path*; answers wait ``$CIVICGRAPH_TIMEOUT``."""
        timeout = timeout_from_env()  # a bad setting fails before an engine starts
        engine = EmbeddedEngine(path, **engine_options).start()
        try:
            client = _client(timeout, unix_socket_path=engine.socket)
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
    def engine_pid(self) -> int | None:
        return self._engine.pid if self._engine else None

    def rejoin(self) -> bool:
        """(A guest) If the engine this process joined has stopped — its owner closed the
        store — start or join the one serving the store now, and say so (True).

        Only safe between statements: the store calls it when it takes its write lock,
        which an owner takes before it stops its engine, so no write is ever cut short.
        """
        import redis

        if self._engine is None or self._engine.owner:
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
        self._client = _client(self.timeout, unix_socket_path=self._engine.socket)
        self._graph = self._client.select_graph(self.graph_name)
        return True

    # -- running ----------------------------------------------------------
    def run(
        self, query: str, params: dict[str, Any] | None = None, *, write: bool = False
    ) -> list[dict[str, Any]]:
        import redis

        sent = to_falkordb(query)  # Neo4j 5 constructs FalkorDB lacks, rewritten (dialect.py)
        rewritten, query = sent != query, sent
        try:
            with self._lock:
                if write:
                    result = self._graph.query(query, params or None)
                else:
                    result = self._graph.ro_query(query, params or None)
        except redis.exceptions.ResponseError as exc:
            msg = str(exc)
            if "empty key" in msg and not write:
                # A read on a store that has never been written: answer as an empty graph.
                with self._lock:
                    self._graph.query("RETURN 1")
                return self.run(query, params, write=False)
            if "read-only" in msg or "RO_QUERY" in msg:
                raise ReadOnlyViolation(
                    "this statement writes, but was run read-only (use a write call, "
                    "or `civicgraph cypher --write`)"
                ) from exc
            raise engine_error(msg, rewritten=rewritten) from exc
        except redis.exceptions.TimeoutError as exc:
            # The client dropped the connection; the next call opens a new one.
            raise EngineError(
                f"FalkorDB did not answer within {self.timeout or 0:g} s ({self.location}): the "
                f"engine is hung or the statement is very long; set {TIMEOUT_ENV} to more "
                "seconds (0 waits forever) to wait longer"
                + (" (a write may still complete)" if write else "")
            ) from exc
        except redis.exceptions.ConnectionError as exc:
            raise EngineError(f"FalkorDB connection lost ({self.location}): {exc}") from exc
        header = [h[1] if isinstance(h, list | tuple) else h for h in (result.header or [])]
        rows = result.result_set or []
        if not rows:
            return []
        converter = _Converter(self)
        out = [dict(zip(header, (converter.value(v) for v in row), strict=False)) for row in rows]
        converter.resolve(out)
        return out

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

    def setup_schema(self, labels: list[str]) -> None:
        existing = {
            (r["label"], p)
            for r in self.run("CALL db.indexes() YIELD label, properties RETURN label, properties")
            for p in r["properties"]
        }
        for label in labels:  # labels come from the schema allow-list only
            if (label, "id") not in existing:
                self.run(f"CREATE INDEX FOR (n:{label}) ON (n.id)", write=True)

    def version(self) -> str:
        try:
            modules = self._client.connection.execute_command("MODULE", "LIST")
            for mod in modules:
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


_SCALARS = frozenset({str, int, float, bool, type(None)})


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
