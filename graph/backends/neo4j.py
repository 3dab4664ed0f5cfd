"""Neo4j 5 backend through the official ``neo4j`` driver (Bolt).

py2neo is not used: its author declared it end-of-life in 2023 and it is unmaintained.

Settings come from the environment (``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``,
``NEO4J_DATABASE``), never from code; the password is never printed or logged.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConfigurationError, EngineError, ReadOnlyViolation
from ..records import Node, Path, Relationship

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ..model import Model
    from .base import WriteLock

__all__ = ["Neo4jBackend", "schema_statements", "sent_statements"]

# The driver logs "Unable to retrieve routing information" itself; with no handler, Python
# prints it on stderr beside civicgraph's one-line error.
logging.getLogger("neo4j").addHandler(logging.NullHandler())


#: What a connection asks first when NEO4J_DATABASE is set (a wrong name fails here).
_CHECK = "RETURN 1 AS ok"


def _redact(uri: str) -> str:
    """The URI without userinfo or query (where a password could have been written)."""
    try:
        u = urlsplit(uri)
    except ValueError:
        return "<unparsable URI>"
    return urlunsplit((u.scheme, u.netloc.rpartition("@")[2], u.path, "", ""))


class Neo4jBackend:
    """Neo4j through ``neo4j.GraphDatabase.driver``.

    >>> backend = Neo4jBackend("neo4j://localhost:7687")  # doctest: +SKIP
    >>> backend.run("RETURN 1 AS one")                      # doctest: +SKIP
    [{'one': 1}]
    """

    engine = "neo4j"

    def __init__(
        self,
        uri: str,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        *,
        verify: bool = True,
    ) -> None:
        import neo4j

        user = user if user is not None else os.environ.get("NEO4J_USERNAME", "neo4j")
        password = password if password is not None else os.environ.get("NEO4J_PASSWORD")
        self.database = database if database is not None else os.environ.get("NEO4J_DATABASE")
        self.location = _redact(uri)
        auth = (user, password) if password is not None else None
        try:
            self._driver = neo4j.GraphDatabase.driver(uri, auth=auth)
        except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
            why = str(exc).replace(uri, self.location)
            raise ConfigurationError(
                f"NEO4J_URI {self.location!r} is not a valid Bolt URI: {why}"
            ) from None
        if verify:
            try:
                self._driver.verify_connectivity()
                if self.database:
                    self.run(_CHECK)
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as exc:
                self._driver.close()
                raise _translate(exc, self) from None
            except ValueError as exc:  # e.g. a port that is not a number
                self._driver.close()
                raise ConfigurationError(
                    f"cannot reach Neo4j at {self.location}: check NEO4J_URI ({exc})"
                ) from None
            except BaseException:
                self._driver.close()
                raise

    # -- running ----------------------------------------------------------
    def run(
        self, query: str, params: dict[str, Any] | None = None, *, write: bool = False
    ) -> list[dict[str, Any]]:
        import neo4j

        def work(tx: Any) -> list[dict[str, Any]]:
            result = tx.run(query, params or {})
            return [{k: _convert(rec[k]) for k in rec.keys()} for rec in result]

        try:
            with self._driver.session(database=self.database) as session:
                if write:
                    return session.execute_write(work)  # type: ignore[no-any-return]
                return session.execute_read(work)  # type: ignore[no-any-return]
        except neo4j.exceptions.Neo4jError as exc:
            raise _translate(exc, self) from exc
        except neo4j.exceptions.DriverError as exc:
            raise _translate(exc, self) from exc

    def compile(
        self, query: str, params: dict[str, Any] | None
    ) -> tuple[str, dict[str, Any] | None]:
        """The driver sends parameters separately: nothing to do ahead."""
        return query, params

    def bulk_writer(self) -> None:
        """No binary bulk command over Bolt: loads write batched ``UNWIND`` statements
        (for a first load of a big graph, see README "Neo4j: a first load")."""
        return None

    def setup_schema(self, labels: list[str], lock: WriteLock | None = None) -> None:
        """Uniqueness on ``Entity.id`` and an index per label (:func:`schema_statements`);
        a server locks nothing (*lock* is for the embedded engine)."""
        for statement in schema_statements(labels):
            self.run(statement, write=True)

    def version(self) -> str:
        info = self._driver.get_server_info()
        return f"{info.agent}"

    # A server: no state beside its data, no engine of ours to own or to rejoin.
    owns_engine = False
    interrupted = False

    def state_dir(self) -> None:
        return None

    def rejoin(self) -> bool:
        return False

    def close(self) -> None:
        self._driver.close()


def schema_statements(labels: list[str]) -> list[str]:
    """The statements :meth:`Neo4jBackend.setup_schema` runs: uniqueness on ``Entity.id`` (one
    constraint serves every label), an index on ``id`` per other label.

    >>> for s in schema_statements(["City", "Entity"]):
    ...     print(s)
    CREATE CONSTRAINT civicgraph_entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE
    CREATE INDEX civicgraph_city_id IF NOT EXISTS FOR (n:City) ON (n.id)
    """
    out = [
        "CREATE CONSTRAINT civicgraph_entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE"
    ]
    for label in labels:  # from the schema allow-list only
        if label != "Entity":
            out.append(
                f"CREATE INDEX civicgraph_{label.lower()}_id IF NOT EXISTS FOR (n:{label}) ON (n.id)"
            )
    return out


def sent_statements(model: Model | None = None) -> list[tuple[str, str]]:
    """Every fixed statement civicgraph sends to Neo4j, named: the schema setup, then the
    store's writes, pre-reads and inspection for each label and type of *model* (default: the
    shipped schema).  The tests check them all with Neo4j's own linter.

    >>> names = dict(sent_statements())
    >>> names["schema Entity"]
    'CREATE CONSTRAINT civicgraph_entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE'
    """
    from ..model import load_model
    from ..writes import indexed_labels, statements

    model = model or load_model()
    labels = indexed_labels(model)
    schema = schema_statements(labels)
    named = [("schema Entity", schema[0])]
    named += [
        (f"schema {label}", s)
        for label, s in zip([x for x in labels if x != "Entity"], schema[1:], strict=True)
    ]
    return named + statements(model) + [("check the database", _CHECK)]


def _translate(exc: Exception, backend: Neo4jBackend) -> Exception:
    """One clear line naming the setting to fix; never the password."""
    import neo4j

    code = getattr(exc, "code", "") or ""
    msg = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, neo4j.exceptions.AuthError) or "Unauthorized" in code:
        return ConfigurationError(
            "Neo4j refused the credentials: check NEO4J_USERNAME and NEO4J_PASSWORD"
        )
    if isinstance(exc, neo4j.exceptions.ServiceUnavailable):
        return ConfigurationError(
            f"cannot reach Neo4j at {backend.location}: check NEO4J_URI (is the server running?)"
        )
    if "DatabaseNotFound" in code or "database does not exist" in msg.lower():
        return ConfigurationError(
            f"Neo4j has no database {backend.database!r}: check NEO4J_DATABASE"
        )
    if (
        "AccessMode" in code
        or "read access mode" in msg.lower()
        or "ForbiddenDueToTransactionType" in code
    ):
        return ReadOnlyViolation(
            "this statement writes, but was run read-only (use a write call, "
            "or `civicgraph cypher --write`)"
        )
    return EngineError(f"Neo4j: {msg}")


def _convert(v: Any) -> Any:
    import neo4j.graph
    import neo4j.time

    if isinstance(v, neo4j.graph.Node):
        props = dict(v)
        return Node(id=props.get("id"), labels=tuple(sorted(v.labels)), properties=props)
    if isinstance(v, neo4j.graph.Relationship):
        start = v.start_node.get("id") if v.start_node is not None else None
        end = v.end_node.get("id") if v.end_node is not None else None
        return Relationship(v.type, start, end, dict(v))
    if isinstance(v, neo4j.graph.Path):
        return Path(
            tuple(_convert(n) for n in v.nodes), tuple(_convert(r) for r in v.relationships)
        )
    if isinstance(v, neo4j.time.Date | neo4j.time.DateTime | neo4j.time.Time):
        return v.iso_format()
    if isinstance(v, list):
        return [_convert(x) for x in v]
    if isinstance(v, dict):
        return {k: _convert(x) for k, x in v.items()}
    return v
