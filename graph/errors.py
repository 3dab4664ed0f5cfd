"""Exceptions raised by civicgraph, named after the condition (like sqlite-utils' ``NoTable``).

Every exception derives from :class:`CivicgraphError`; the CLI turns any of them into
one clear line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CivicgraphError",
    "ConfigurationError",
    "EngineError",
    "EngineNotFound",
    "EngineRestarted",
    "ExportError",
    "InvalidEdge",
    "InvalidId",
    "InvalidModel",
    "InvalidParameter",
    "InvalidProperty",
    "InvalidRows",
    "InvalidQueryFile",
    "LoadError",
    "MissingParameter",
    "NothingToDraw",
    "OutputNotWritable",
    "PartialLoad",
    "QueryNotFound",
    "ReadOnlyStore",
    "ReadOnlyViolation",
    "ReaderStopped",
    "StoreInUse",
    "StoreNotFound",
    "UnknownLabel",
    "UnknownParameter",
    "UnknownRelationshipType",
    "UnsupportedCypher",
    "WorkFileError",
]


class CivicgraphError(Exception):
    """Base class of every error civicgraph raises on purpose.

    Where it is known, an error carries what it is about as attributes — ``field`` (the
    property, column or parameter), and for bad input ``file`` and ``line`` — so that code
    reads them instead of parsing messages.  The message names the place only when a file
    or line is known (:class:`LoadError`'s form).

    Examples
    --------
    >>> err = InvalidProperty("property 'x': not valid Unicode", field="x")
    >>> err.field, str(err)
    ('x', "property 'x': not valid Unicode")
    >>> str(err.at(file="m.csv", line=3))
    "m.csv, line 3, field 'x': property 'x': not valid Unicode"
    """

    def __init__(
        self,
        message: str = "",
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    #: Whether the message names the field when neither file nor line is known.
    field_alone = False

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field and (where or self.field_alone):
            where.append(f"field '{self.field}'")
        return (", ".join(where) + ": " if where else "") + self.message

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its attributes (``file``, ``line``, ``field``…): a load's reading
        process sends the error it met to the load (:mod:`civicgraph.loaders.reading`)."""
        return (_rebuild, (type(self), self.args, self.__dict__))

    def at(self, *, file: str | None, line: int | None) -> LoadError:
        """This error as bad input at *file*, *line* (same message and field)."""
        return LoadError(self.message, file=file, line=line, field=self.field)


def _rebuild(cls: type[CivicgraphError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class ReaderStopped(CivicgraphError):
    """The process reading a load's files died before it had read them all (nothing was
    written)."""


class ConfigurationError(CivicgraphError):
    """A setting (URI, credentials, database name) is missing or wrong."""


class EngineNotFound(CivicgraphError):
    """The embedded engine's binaries could not be found."""


class EngineError(CivicgraphError):
    """The database engine rejected a statement or failed."""


class EngineRestarted(EngineError):
    """The engine stopped answering during a write and its supervisor restarted it.

    The write may or may not have committed.  ``recovery`` says what happened; a caller that
    can tell (a load, from its journal and the store) runs the write again in a form that
    cannot double anything, and reports the recovery with what it did.
    """

    def __init__(self, message: str, recovery: object) -> None:
        super().__init__(message)
        self.recovery = recovery


class UnsupportedCypher(EngineError):
    """A Neo4j Cypher construct the embedded engine has no equivalent for (the message names
    the construct and the portable alternative)."""


class ExportError(CivicgraphError):
    """An export cannot be written where it was asked to go."""


class StoreInUse(CivicgraphError):
    """Another process holds the embedded store and it cannot be shared."""


class StoreNotFound(CivicgraphError):
    """A command that only reads was given a path where no store is (it never creates one)."""


class NothingToDraw(CivicgraphError):
    """A page was asked of a result that holds no nodes and names none (``explore`` of
    ``RETURN c.name``): the message says to return nodes or ids."""


class ReadOnlyStore(CivicgraphError):
    """The store's directory cannot be written: it can be read, not loaded into."""


class OutputNotWritable(CivicgraphError):
    """An output file (``-o``, ``--report``) cannot be written; names the path and the fix."""


class WorkFileError(CivicgraphError):
    """A working file civicgraph needs (a load's spool or journal) cannot be written."""


class InvalidModel(CivicgraphError):
    """A schema YAML file is malformed or refers to an unknown label."""


class UnknownLabel(CivicgraphError):
    """A node label is not in the schema allow-list."""


class UnknownRelationshipType(CivicgraphError):
    """A relationship type is not in the schema allow-list."""


class InvalidProperty(CivicgraphError):
    """A property key or value cannot be stored."""


class InvalidEdge(CivicgraphError):
    """A relationship's end is a node of a label its type's schema does not allow (a
    ``MAYOR_OF`` from a Party); ``field`` is ``source`` or ``target``."""


class InvalidId(CivicgraphError):
    """A node id is missing or does not carry the label's namespace prefix."""


class QueryNotFound(CivicgraphError):
    """No stored query has that name."""


class InvalidQueryFile(CivicgraphError):
    """A stored ``.cypher`` file's header and its ``$parameters`` disagree, or it cannot be parsed."""


class MissingParameter(CivicgraphError):
    """A stored query was run without a parameter it needs."""


class UnknownParameter(CivicgraphError):
    """A stored query was given a parameter it does not declare."""


class InvalidParameter(CivicgraphError):
    """A parameter value does not match its declared type."""


class ReadOnlyViolation(CivicgraphError):
    """A statement tried to write through a read-only call."""


class PartialLoad(CivicgraphError):
    """A load failed after some of its batches were committed: the message says which, and
    that running the same load with ``resume`` finishes it (:attr:`summary` holds the counts
    of what was committed)."""

    def __init__(self, message: str, summary: object = None) -> None:
        super().__init__(message)
        self.summary = summary


class LoadError(CivicgraphError):
    """Bad input: names the file, the line (or record) and the field.

    Examples
    --------
    >>> str(LoadError("bad date '2019-13-45'", file="m.csv", line=3, field="start"))
    "m.csv, line 3, field 'start': bad date '2019-13-45'"
    """

    #: Bad input names its field even without a file or line.
    field_alone = True


class InvalidRows(LoadError):
    """Every problem a load found in its files (up to :attr:`LIMIT`), found before anything
    was written, so nothing was.  ``file``, ``line`` and ``field`` are the first problem's;
    :attr:`problems` holds each one as a :class:`LoadError`, and :attr:`total` counts them
    all.

    Examples
    --------
    >>> err = InvalidRows([LoadError("bad date '2021-13'", file="e.csv", line=2, field="start"),
    ...                    LoadError("unknown label 'Club'", file="n.csv", line=4, field="type")])
    >>> print(err)
    2 problems in the files; nothing was written:
      e.csv, line 2, field 'start': bad date '2021-13'
      n.csv, line 4, field 'type': unknown label 'Club'
    """

    #: how many problems are listed; the message counts the rest
    LIMIT = 50

    def __init__(self, problems: list[LoadError], total: int | None = None) -> None:
        self.problems = problems[: self.LIMIT]
        self.total = len(problems) if total is None else total
        first = problems[0]
        super().__init__(first.message, file=first.file, line=first.line, field=first.field)

    def __str__(self) -> str:
        lines = [f"{self.total} problems in the files; nothing was written:"]
        lines += [f"  {p}" for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"  and {self.total - len(self.problems)} more")
        return "\n".join(lines)
