"""What the embedded engine cannot run, in one line: constructs with no equivalent, and the
engine's own errors (never its parser dump), each naming what to write instead."""

from __future__ import annotations

import re

from ..errors import EngineError, UnsupportedCypher
from .cypher_tokens import CLOSE, OPEN, Token, is_kw, is_op

__all__ = ["NO_EQUIVALENT", "ON_NEO4J", "check_supported", "engine_error", "unsupported"]

#: What to suggest when a construct has no equivalent on the embedded engine.
ON_NEO4J = "or run on Neo4j (--db neo4j://…)"


def unsupported(construct: str, instead: str) -> UnsupportedCypher:
    return UnsupportedCypher(
        f"{construct} is not available on the embedded engine; {instead}, {ON_NEO4J}"
    )


# -- constructs with no equivalent -----------------------------------------------------------
NO_EQUIVALENT = {
    "duration.between": "compare ISO date strings (r.start <= '2020-06-28')",
    "duration.indays": "compare ISO date strings (r.start <= '2020-06-28')",
    "duration.inmonths": "compare ISO date strings (r.start <= '2020-06-28')",
    "duration.inseconds": "compare ISO date strings (r.start <= '2020-06-28')",
    "datetime": "use localdatetime(), or ISO date strings ('2020-06-28')",
}


def _dotted_call(toks: list[Token], i: int) -> tuple[str, int] | None:
    """The dotted function name starting at *i* (``duration.between``) and the index of its
    ``(``, when token *i* starts a function call."""
    if toks[i].kind != "name" or (i and is_op(toks, i - 1, ".")):
        return None
    parts = [toks[i].text]
    j = i + 1
    while is_op(toks, j, ".") and j + 1 < len(toks) and toks[j + 1].kind == "name":
        parts.append(toks[j + 1].text)
        j += 2
    if not is_op(toks, j, "("):
        return None
    return ".".join(parts), j


def check_supported(toks: list[Token]) -> None:
    """Raise :class:`UnsupportedCypher` for constructs that have no equivalent."""
    for i, t in enumerate(toks):
        call = _dotted_call(toks, i)
        if call is not None and call[0].lower() in NO_EQUIVALENT:
            name = call[0]
            raise unsupported(f"{name}()", NO_EQUIVALENT[name.lower()])
        if is_kw(toks, i, {"IS"}):
            j = i + 2 if is_kw(toks, i + 1, {"NOT"}) else i + 1
            if is_op(toks, j, "::") or is_kw(toks, j, {"TYPED"}):
                raise unsupported(
                    "a type predicate (IS :: STRING)",
                    "test the value instead (x IS NOT NULL, toInteger(x) = x)",
                )
        if t.kind == "op" and t.text in ("|", "&", "!") and _label_expression(toks, i):
            raise unsupported(
                "a label expression (n:A|B, n:!A, n:A&B)",
                "write WHERE n:A OR n:B (NOT n:A; n:A:B for both)",
            )
        if t.kind == "op" and t.text == "{" and _quantifier(toks, i):
            raise unsupported(
                "a quantified path pattern ((…){1,3})",
                "write a variable-length relationship -[:TYPE*1..3]->",
            )
        if is_kw(toks, i, {"IN"}) and is_kw(toks, i + 1, {"TRANSACTIONS"}):
            raise unsupported(
                "CALL { … } IN TRANSACTIONS",
                "load files with `civicgraph load` (it writes in batches), or run one statement",
            )
        if is_kw(toks, i, {"OPTIONAL"}) and is_kw(toks, i + 1, {"CALL"}):
            raise unsupported(
                "OPTIONAL CALL", "use OPTIONAL MATCH inside CALL { WITH x OPTIONAL MATCH … }"
            )


def _label_expression(toks: list[Token], i: int) -> bool:
    """Is the ``|``/``&``/``!`` at *i* part of a label expression (``n:A|B``, ``n:!A``)?

    Not: type alternatives in a relationship pattern (``-[:A|B]->``, both engines run them),
    nor the ``|`` of a list comprehension (``[n IN ns WHERE n:Person | n.name]``).  A ``|``
    is taken for a label alternative only in a node pattern ``(n:A|B)`` or outside any
    bracket (``WHERE n:A|B``).
    """
    t = toks[i].text
    if t == "!":
        return is_op(toks, i - 1, ":")
    if not (i >= 2 and toks[i - 1].kind in ("name", "quoted") and is_op(toks, i - 2, ":")):
        return False
    if t == "&":
        return True
    depth = 0
    for j in range(i - 1, -1, -1):
        u = toks[j]
        if u.kind == "op" and u.text in CLOSE:
            depth += 1
        elif u.kind == "op" and u.text in OPEN:
            if depth:
                depth -= 1
                continue
            # ``(`` then at most a variable before the first ``:``: a node pattern.
            colon = next(k for k in range(j + 1, i) if is_op(toks, k, ":"))
            return u.text == "(" and colon - j <= 2
    return True


def _quantifier(toks: list[Token], i: int) -> bool:
    """Is the ``{`` at *i* a path quantifier (``{1,3}``, ``{2}``, ``{,3}``) after a pattern?"""
    after = toks[i + 1] if i + 1 < len(toks) else None
    before = toks[i - 1] if i else None
    return (
        after is not None
        and (after.kind == "number" or (after.kind == "op" and after.text == ","))
        and before is not None
        and before.kind == "op"
        and before.text in (")", "-", "->", "<-")
    )


# -- the engine's errors, in one line ---------------------------------------------------------------
_PARSER = re.compile(
    r"errMsg:\s*(?P<msg>.*?)\s+line:\s*(?P<line>\d+),\s*column:\s*(?P<col>\d+),"
    r"\s*offset:\s*\d+\s+errCtx:\s*(?P<ctx>.*?)\s+errCtxOffset:\s*(?P<at>\d+)",
    re.DOTALL,
)
_UNKNOWN_FUNCTION = re.compile(r"Unknown function '(?P<name>[^']+)'")
_UNKNOWN_PROCEDURE = re.compile(r"Procedure `(?P<name>[^`]+)` is not registered")
_NOT_SUPPORTED = re.compile(r"FalkorDB does not currently support (?P<what>.+)")
#: Alternatives for functions the engine lacks, by lower-case name (or namespace).
_FUNCTION_HINTS = {
    **NO_EQUIVALENT,
    "apoc": "write it in plain Cypher (list comprehensions, reduce, string functions)",
    "gds": "use `civicgraph brokerage` or civicgraph.graph.analysis (networkx)",
    "date.truncate": "compare ISO date strings, or left(d, 7) for the month",
}


def engine_error(message: str, *, rewritten: bool = False) -> EngineError:
    """The engine's error *message* as one line a user can act on (never its parser dump).

    *rewritten* says the statement was rewritten by :func:`to_falkordb`, so a line and column
    refer to the rewritten text, not the user's.

    >>> print(engine_error("errMsg: Invalid input '|': expected a label, '{', a parameter "
    ...     "or ')' line: 1, column: 16, offset: 15 errCtx: MATCH (n:Person|Party) RETURN n "
    ...     "errCtxOffset: 15"))
    Cypher syntax error at line 1, column 16, near 'MATCH (n:Person|Party) RETURN n': Invalid input '|': expected a label, '{', a parameter or ')'
    >>> print(engine_error("Unknown function 'apoc.text.join'"))
    apoc.text.join() is not available on the embedded engine; write it in plain Cypher (list comprehensions, reduce, string functions), or run on Neo4j (--db neo4j://…)
    """
    one = " ".join(message.split())
    m = _PARSER.search(message)
    if m:
        expected = " ".join(m["msg"].split())
        if len(expected) > 160:
            expected = expected[:157].rsplit(",", 1)[0] + ", …"
        ctx = " ".join(m["ctx"].split())
        at = int(m["at"])
        window = ctx[max(0, at - 30) : at + 30]
        where = f"line {m['line']}, column {m['col']}"
        if rewritten:
            where += " of the statement as rewritten for the embedded engine"
        return EngineError(f"Cypher syntax error at {where}, near {window!r}: {expected}")
    m = _UNKNOWN_FUNCTION.search(one)
    if m:
        name = m["name"]
        key = name.lower()
        hint = _FUNCTION_HINTS.get(key) or _FUNCTION_HINTS.get(key.split(".")[0])
        return unsupported(
            f"{name}()",
            hint or "`CALL dbms.functions()` lists the functions it has",
        )
    m = _UNKNOWN_PROCEDURE.search(one)
    if m:
        name = m["name"]
        hint = _FUNCTION_HINTS.get(name.lower().split(".")[0])
        return unsupported(
            f"procedure {name}", hint or "`CALL dbms.procedures()` lists the procedures it has"
        )
    m = _NOT_SUPPORTED.search(one)
    if m:
        return unsupported(m["what"].rstrip("."), "write it another way")
    return EngineError(f"FalkorDB: {one}")
