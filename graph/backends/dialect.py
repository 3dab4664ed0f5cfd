"""Neo4j 5 Cypher on the embedded engine: rewrite what FalkorDB 4.16 lacks, name what it cannot do.

People who use civicgraph write Cypher the way the Neo4j 5 manual does.  Before a statement
reaches the embedded engine, :func:`to_falkordb` rewrites the common constructs FalkorDB 4.16
lacks into equivalents that give the same rows:

==================================  ==========================================================
Neo4j 5                             sent to FalkorDB
==================================  ==========================================================
``EXISTS { pattern }`` in a         the pattern predicate ``(c)-[:T]->(:Network)``, the
MATCH's WHERE                       subquery's own variables made anonymous
``EXISTS { pattern WHERE c }``,     ``(size([pattern WHERE c | 1]) > 0)``, ``size([… | 1])``,
``COUNT { … }``, ``COLLECT { MATCH  ``[pattern WHERE c | expr]``: pattern comprehensions; in
pattern WHERE c RETURN expr }``     a WHERE computed first, ``WITH *, … AS __sq1 WHERE …``
``MATCH p = shortestPath(           ``MATCH (a …), (b …) CALL { WITH a, b MATCH p =
(a …)-[…]-(b …))``                  allShortestPaths((a)-[…]-(b)) RETURN p LIMIT 1 }``
                                    (DESIGN §2's portable form, one path per pair)
``elementId(x)``                    ``toString(id(x))``
``a =~ re``                         ``string.matchRegEx`` anchored at both ends (``=~``
                                    matches the whole string); null when a side is null
``point.distance(a, b)``            ``distance(a, b)``
``CALL (x) { … }``                  ``CALL { WITH x … }``
``SHOW [RANGE|…] INDEXES``          ``CALL db.indexes()``, one row per (label, property),
                                    with Neo4j's column names
``SHOW CONSTRAINTS|FUNCTIONS|       ``CALL db.constraints()``, ``dbms.functions()``,
PROCEDURES``                        ``dbms.procedures()``
==================================  ==========================================================

Why these forms (measured on FalkorDB 4.16.3): it cannot evaluate a pattern comprehension
inside WHERE or ORDER BY ("Unable to resolve filtered alias"); its pattern predicates refuse
a new named variable, return a list of paths outside WHERE, and fail after a WITH's aliases
("Type mismatch: expected Null but was Pointer").  ``shortestPath`` runs only in WITH/RETURN
and only directed; ``allShortestPaths`` needs its ends bound by an earlier clause.

Constructs with no equivalent (``duration.between``, ``datetime()``, label expressions such
as ``n:A|B``, ``IS :: STRING``, quantified path patterns, ``CALL … IN TRANSACTIONS``, other
``SHOW`` commands) raise :class:`~civicgraph.graph.errors.UnsupportedCypher`: one line naming
the construct and what to write instead.  The engine's own errors go through
:func:`engine_error`, so its parser dump (``errMsg: … errCtx: …``) never reaches a user.

Everything works on tokens, never on raw text: a string literal, a comment, a backquoted name
or a parameter that contains ``EXISTS {`` or ``=~`` is left exactly as written.

>>> to_falkordb("MATCH (c:City) WHERE EXISTS { (c)-[:MEMBER_OF]->(n:Network) } RETURN c.name")
'MATCH (c:City) WHERE (c)-[:MEMBER_OF]->(:Network) RETURN c.name'
>>> to_falkordb("MATCH (n:Network) RETURN n.name, COUNT { (n)<-[:MEMBER_OF]-() } AS members")
'MATCH (n:Network) RETURN n.name, size([(n)<-[:MEMBER_OF]-() | 1]) AS members'
>>> to_falkordb("RETURN 'EXISTS { (c) }' AS s // COUNT { (n) }")
"RETURN 'EXISTS { (c) }' AS s // COUNT { (n) }"
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from ..errors import EngineError, UnsupportedCypher

__all__ = ["Token", "Translated", "engine_error", "to_falkordb", "tokenize"]

#: What to suggest when a construct has no equivalent on the embedded engine.
ON_NEO4J = "or run on Neo4j (--db neo4j://…)"


class Translated(str):
    """A statement already in the embedded engine's dialect: :func:`to_falkordb` returns it as is.

    The backend's ``compile`` marks its output so (a loader's batch, megabytes of inlined
    parameters, is never scanned again).
    """

    __slots__ = ()


class Token(NamedTuple):
    """One significant token and the whitespace and comments before it (kept for rendering)."""

    kind: str  # name, quoted, string, param, number, op, other
    text: str
    lead: str = ""


_TOKEN = re.compile(
    r"""
     (?P<ws>\s+)
    |(?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))
    |(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<quoted>`(?:[^`]|``)*`)
    |(?P<param>\$(?:[^\W\d]\w*|`(?:[^`]|``)*`|\d+))
    |(?P<number>0x[0-9a-fA-F]+|\d+\.\d+(?:[eE][-+]?\d+)?|\d+(?:[eE][-+]?\d+)?|\.\d+)
    |(?P<name>[^\W\d]\w*)
    |(?P<op>=~|<>|!=|<=|>=|->|<-|\.\.|\+=|::|[-+*/%^=<>(){}\[\],.:;|&!])
    |(?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}
#: Keywords that start a clause (they end the clause before them).
_CLAUSES = frozenset(
    "MATCH OPTIONAL WITH RETURN UNWIND CALL CREATE MERGE SET DELETE DETACH REMOVE FOREACH "
    "UNION ORDER SKIP LIMIT USE LOAD FINISH".split()
)
#: Keywords that bound an operand of a comparison such as ``=~``.
_BOUNDARY = _CLAUSES | frozenset(
    "WHERE AND OR XOR NOT IN IS STARTS ENDS CONTAINS WHEN THEN ELSE END CASE AS BY ASC DESC "
    "ASCENDING DESCENDING DISTINCT YIELD ON".split()
)
_COMPARISON = frozenset({"=", "<>", "!=", "<", ">", "<=", ">=", "=~"})


def tokenize(text: str) -> tuple[list[Token], str]:
    """Split Cypher into significant tokens, each carrying the whitespace/comments before it.

    Returns the tokens and the trailing whitespace/comments, so that
    ``"".join(t.lead + t.text for t in tokens) + tail == text``.

    >>> toks, tail = tokenize("RETURN 'a // b' // c")
    >>> [(t.kind, t.text) for t in toks], tail
    ([('name', 'RETURN'), ('string', "'a // b'")], ' // c')
    """
    out: list[Token] = []
    lead: list[str] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind in ("ws", "comment"):
            lead.append(m.group())
            continue
        out.append(Token(kind, m.group(), "".join(lead)))
        lead = []
    return out, "".join(lead)


def _render(toks: list[Token], tail: str = "") -> str:
    return "".join(t.lead + t.text for t in toks) + tail


def _flat(toks: list[Token]) -> str:
    """The tokens on one line: comments dropped (a ``//`` comment would swallow what we add)."""
    return "".join((" " if t.lead and i else "") + t.text for i, t in enumerate(toks))


def _toks(text: str, lead: str = "") -> list[Token]:
    toks, _ = tokenize(text)
    if toks:
        toks[0] = toks[0]._replace(lead=lead)
    return toks


def _kw(toks: list[Token], i: int, words: frozenset[str] | set[str] | tuple[str, ...]) -> bool:
    """Is token *i* one of the keywords *words* (not a property key or a label)?"""
    if not 0 <= i < len(toks):
        return False
    t = toks[i]
    word = t.text.upper()
    if t.kind != "name" or word not in words:
        return False
    if i and toks[i - 1].kind == "op" and toks[i - 1].text in (".", ":"):
        return False  # a property key or a label
    # ``STARTS WITH`` / ``ENDS WITH`` are operators, not a WITH clause.
    return not (word == "WITH" and i and toks[i - 1].text.upper() in ("STARTS", "ENDS"))


def _is(toks: list[Token], i: int, text: str) -> bool:
    return 0 <= i < len(toks) and toks[i].kind == "op" and toks[i].text == text


def _match(toks: list[Token], i: int) -> int | None:
    """Index of the bracket closing the one at *i*, or None when unbalanced."""
    stack: list[str] = []
    for j in range(i, len(toks)):
        t = toks[j]
        if t.kind != "op":
            continue
        if t.text in _OPEN:
            stack.append(_OPEN[t.text])
        elif t.text in _CLOSE:
            if not stack or stack.pop() != t.text:
                return None
            if not stack:
                return j
    return None


def _match_back(toks: list[Token], j: int) -> int | None:
    """Index of the bracket opening the one closing at *j*, or None when unbalanced."""
    stack: list[str] = []
    for i in range(j, -1, -1):
        t = toks[i]
        if t.kind != "op":
            continue
        if t.text in _CLOSE:
            stack.append(_CLOSE[t.text])
        elif t.text in _OPEN:
            if not stack or stack.pop() != t.text:
                return None
            if not stack:
                return i
    return None


def _split(toks: list[Token], sep: str = ",") -> list[list[Token]]:
    """*toks* split at top-level *sep* tokens."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in toks:
        if t.kind == "op" and t.text in _OPEN:
            depth += 1
        elif t.kind == "op" and t.text in _CLOSE:
            depth -= 1
        if depth == 0 and t.kind == "op" and t.text == sep:
            parts.append([])
            continue
        parts[-1].append(t)
    return parts


def _top_level(toks: list[Token]) -> list[int]:
    """Indices of the tokens at bracket depth 0."""
    out = []
    depth = 0
    for i, t in enumerate(toks):
        if t.kind == "op" and t.text in _CLOSE:
            depth -= 1
        if depth == 0:
            out.append(i)
        if t.kind == "op" and t.text in _OPEN:
            depth += 1
    return out


def _unsupported(construct: str, instead: str) -> UnsupportedCypher:
    return UnsupportedCypher(
        f"{construct} is not available on the embedded engine; {instead}, {ON_NEO4J}"
    )


# -- constructs with no equivalent -----------------------------------------------------------
_NO_EQUIVALENT = {
    "duration.between": "compare ISO date strings (r.start <= '2020-06-28')",
    "duration.indays": "compare ISO date strings (r.start <= '2020-06-28')",
    "duration.inmonths": "compare ISO date strings (r.start <= '2020-06-28')",
    "duration.inseconds": "compare ISO date strings (r.start <= '2020-06-28')",
    "datetime": "use localdatetime(), or ISO date strings ('2020-06-28')",
}


def _dotted_call(toks: list[Token], i: int) -> tuple[str, int] | None:
    """The dotted function name starting at *i* (``duration.between``) and the index of its
    ``(``, when token *i* starts a function call."""
    if toks[i].kind != "name" or (i and _is(toks, i - 1, ".")):
        return None
    parts = [toks[i].text]
    j = i + 1
    while _is(toks, j, ".") and j + 1 < len(toks) and toks[j + 1].kind == "name":
        parts.append(toks[j + 1].text)
        j += 2
    if not _is(toks, j, "("):
        return None
    return ".".join(parts), j


def _check(toks: list[Token]) -> None:
    """Raise :class:`UnsupportedCypher` for constructs that have no equivalent."""
    for i, t in enumerate(toks):
        call = _dotted_call(toks, i)
        if call is not None and call[0].lower() in _NO_EQUIVALENT:
            name = call[0]
            raise _unsupported(f"{name}()", _NO_EQUIVALENT[name.lower()])
        if _kw(toks, i, {"IS"}):
            j = i + 2 if _kw(toks, i + 1, {"NOT"}) else i + 1
            if _is(toks, j, "::") or _kw(toks, j, {"TYPED"}):
                raise _unsupported(
                    "a type predicate (IS :: STRING)",
                    "test the value instead (x IS NOT NULL, toInteger(x) = x)",
                )
        if t.kind == "op" and t.text in ("|", "&", "!") and _label_expression(toks, i):
            raise _unsupported(
                "a label expression (n:A|B, n:!A, n:A&B)",
                "write WHERE n:A OR n:B (NOT n:A; n:A:B for both)",
            )
        if t.kind == "op" and t.text == "{" and _quantifier(toks, i):
            raise _unsupported(
                "a quantified path pattern ((…){1,3})",
                "write a variable-length relationship -[:TYPE*1..3]->",
            )
        if _kw(toks, i, {"IN"}) and _kw(toks, i + 1, {"TRANSACTIONS"}):
            raise _unsupported(
                "CALL { … } IN TRANSACTIONS",
                "load files with `civicgraph load` (it writes in batches), or run one statement",
            )
        if _kw(toks, i, {"OPTIONAL"}) and _kw(toks, i + 1, {"CALL"}):
            raise _unsupported(
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
        return _is(toks, i - 1, ":")
    if not (i >= 2 and toks[i - 1].kind in ("name", "quoted") and _is(toks, i - 2, ":")):
        return False
    if t == "&":
        return True
    depth = 0
    for j in range(i - 1, -1, -1):
        u = toks[j]
        if u.kind == "op" and u.text in _CLOSE:
            depth += 1
        elif u.kind == "op" and u.text in _OPEN:
            if depth:
                depth -= 1
                continue
            # ``(`` then at most a variable before the first ``:``: a node pattern.
            colon = next(k for k in range(j + 1, i) if _is(toks, k, ":"))
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


# -- SHOW ... ----------------------------------------------------------------------------------
_INDEX_COLUMNS = (
    "name",
    "state",
    "populationPercent",
    "type",
    "entityType",
    "labelsOrTypes",
    "properties",
)
# One row per (label, property, kind), named as civicgraph names its indexes on Neo4j
# (``civicgraph_city_id``), so that ``SHOW INDEXES`` reads the same on both engines.
_INDEXES = (
    "CALL db.indexes() YIELD label, properties, types, entitytype, status "
    "UNWIND properties AS __property UNWIND types[__property] AS __kind "
    "WITH 'civicgraph_' + toLower(label) + '_' + __property "
    "+ CASE __kind WHEN 'RANGE' THEN '' ELSE '_' + toLower(__kind) END AS name, "
    "CASE status WHEN 'OPERATIONAL' THEN 'ONLINE' ELSE 'POPULATING' END AS state, "
    "CASE status WHEN 'OPERATIONAL' THEN 100.0 ELSE 0.0 END AS populationPercent, "
    "__kind AS type, entitytype AS entityType, [label] AS labelsOrTypes, "
    "[__property] AS properties"
)
_CONSTRAINT_COLUMNS = ("name", "type", "entityType", "labelsOrTypes", "properties")
_CONSTRAINTS = (
    "CALL db.constraints() YIELD type, label, properties, entitytype "
    "WITH 'civicgraph_' + toLower(label) + '_' + toLower(type) AS name, type, "
    "entitytype AS entityType, [label] AS labelsOrTypes, properties"
)
_INDEX_KINDS = {"ALL": None, "RANGE": "RANGE", "FULLTEXT": "FULLTEXT", "VECTOR": "VECTOR"}


def _show(toks: list[Token]) -> str | None:
    """``SHOW …`` as a procedure call, or None when the statement is not a SHOW command."""
    if not _kw(toks, 0, {"SHOW"}):
        return None
    i = 1
    kind = toks[i].text.upper() if i < len(toks) and toks[i].kind == "name" else ""
    words = [kind]
    if kind in ("ALL", "RANGE", "FULLTEXT", "VECTOR", "TEXT", "POINT", "LOOKUP"):
        i += 1
        words.append(toks[i].text.upper() if i < len(toks) else "")
    what = words[-1]
    flt = ""
    columns: tuple[str, ...]
    if what in ("INDEX", "INDEXES"):
        base, columns = _INDEXES, _INDEX_COLUMNS
        if len(words) == 2:
            want = _INDEX_KINDS.get(words[0], "none")  # TEXT, POINT, LOOKUP: none here
            if want is not None:
                flt = f" WITH * WHERE type = '{want}'" if want != "none" else " WITH * LIMIT 0"
    elif what in ("CONSTRAINT", "CONSTRAINTS") and len(words) == 1:
        base, columns = _CONSTRAINTS, _CONSTRAINT_COLUMNS
    elif what in ("FUNCTION", "FUNCTIONS") and len(words) == 1:
        base, columns = "CALL dbms.functions() YIELD name WITH name", ("name",)
    elif what in ("PROCEDURE", "PROCEDURES") and len(words) == 1:
        base, columns = "CALL dbms.procedures() YIELD name, mode WITH name, mode", ("name", "mode")
    else:
        shown = " ".join(t.text for t in toks[: min(len(toks), 3)])
        raise _unsupported(shown, "it answers SHOW INDEXES, CONSTRAINTS, FUNCTIONS and PROCEDURES")
    rest = toks[i + 1 :]
    while rest and _is(rest, len(rest) - 1, ";"):
        rest = rest[:-1]
    default = ", ".join(columns)
    if not rest:
        return f"{base}{flt} RETURN {default} ORDER BY name"
    if _kw(rest, 0, {"WHERE"}):
        return f"{base}{flt} WITH * {_flat(rest)} RETURN {default} ORDER BY name"
    if _kw(rest, 0, {"YIELD"}):
        ret = next((k for k in _top_level(rest) if _kw(rest, k, {"RETURN"})), None)
        items = rest[1 : ret if ret is not None else len(rest)]
        head = _split(_clause_items(items))
        if len(head) == 1 and len(head[0]) == 1 and _is(head[0], 0, "*"):
            names = list(columns)
        else:
            names = [part[-1].text for part in head if part]
        text = f"{base}{flt} WITH {_flat(items)}"
        if ret is None:
            text += " RETURN " + ", ".join(names)
        else:
            text += " " + _flat(rest[ret:])
        return text
    raise _unsupported(
        f"SHOW … {rest[0].text}", "follow SHOW INDEXES with WHERE …, or YIELD … [RETURN …]"
    )


def _clause_items(items: list[Token]) -> list[Token]:
    """The projection items of ``YIELD a, b AS c ORDER BY … WHERE …`` (before ORDER/WHERE…)."""
    for k in _top_level(items):
        if _kw(items, k, {"ORDER", "SKIP", "LIMIT", "WHERE"}):
            return items[:k]
    return items


# -- EXISTS / COUNT / COLLECT inside WHERE ------------------------------------------------------
_SUBQUERIES = frozenset({"EXISTS", "COUNT", "COLLECT"})
#: Functions whose parentheses bind a variable (``any(x IN list WHERE …)``).
_BINDING_FUNCTIONS = frozenset({"any", "all", "none", "single", "reduce", "filter", "extract"})


def _context(toks: list[Token], k: int) -> tuple[int, str] | str | None:
    """Where the subquery expression at *k* sits: ``(where, clause)`` when it is a condition
    of the ``WHERE`` at index *where* of a MATCH, OPTIONAL MATCH, WITH or YIELD clause (only
    grouping and plain function parentheses between them); ``"order"`` in an ORDER BY;
    else None (a projection, or inside a list, map or iteration)."""
    j = k - 1
    where = None
    while j >= 0:
        t = toks[j]
        if t.kind == "op" and t.text in _CLOSE:
            back = _match_back(toks, j)
            if back is None:
                return None
            j = back - 1
            continue
        if t.kind == "op" and t.text in _OPEN:
            if where is not None or t.text != "(":
                return None
            if j and toks[j - 1].kind == "name" and toks[j - 1].text.lower() in _BINDING_FUNCTIONS:
                return None
        elif where is None and _kw(toks, j, {"WHERE"}):
            where = j
        elif _kw(toks, j, {"BY", "ORDER"}) and where is None:
            return "order"
        elif _kw(toks, j, _CLAUSES | {"YIELD"}):
            if where is None:
                return None
            word = t.text.upper()
            if word == "MATCH" and _kw(toks, j - 1, {"OPTIONAL"}):
                word = "OPTIONAL"
            return (where, word) if word in ("MATCH", "OPTIONAL", "WITH", "YIELD") else None
        j -= 1
    return None


def _pattern_predicate(toks: list[Token], k: int, j: int) -> list[Token] | None:
    """``EXISTS { pattern }`` (no WHERE) as a pattern predicate, its own variables made
    anonymous (FalkorDB refuses a pattern predicate that names a new variable); None when
    that cannot be done exactly."""
    if toks[k].text.upper() != "EXISTS":
        return None
    body = toks[k + 2 : j]
    if _kw(body, 0, {"MATCH"}):
        body = body[1:]
    top = _top_level(body)
    if not body or any(_kw(body, i, _CLAUSES | {"WHERE"}) or _is(body, i, ",") for i in top):
        return None
    if not any(body[i].kind == "op" and body[i].text in ("-", "->", "<-") for i in top):
        return None  # a lone node is not a pattern predicate
    if len(body) > 1 and _is(body, 1, "="):
        return None  # a named path
    # Variables bound before the subquery (a variable is bound before it is used).
    outside = {
        t.text
        for i, t in enumerate(toks[:k])
        if t.kind in ("name", "quoted") and not (_is(toks, i - 1, ".") or _is(toks, i - 1, ":"))
    }
    out: list[Token] = []
    seen: dict[str, int] = {}
    for i, t in enumerate(body):
        declared = (
            t.kind in ("name", "quoted")
            and i
            and (
                (_is(body, i - 1, "(") and any(_is(body, i + 1, s) for s in (":", "{", ")")))
                or (
                    _is(body, i - 1, "[") and any(_is(body, i + 1, s) for s in (":", "*", "{", "]"))
                )
            )
        )
        if declared and t.text not in outside:
            seen[t.text] = seen.get(t.text, 0) + 1
            continue  # a variable of the pattern's own: anonymous
        if t.kind in ("name", "quoted") and t.text in seen:
            return None  # used again inside the pattern: it cannot be dropped
        out.append(t)
    if any(n > 1 for n in seen.values()):
        return None
    text = _flat(_expressions(out))
    return _toks(text, toks[k].lead)


def _where_subqueries(toks: list[Token]) -> list[Token]:
    """EXISTS/COUNT/COLLECT in a WHERE, in a form FalkorDB evaluates there.

    FalkorDB 4.16 cannot evaluate a pattern comprehension inside WHERE or ORDER BY ("Unable to
    resolve filtered alias").  So a bare ``EXISTS { pattern }`` becomes a pattern predicate,
    and any other subquery expression is computed first, ``WITH *, … AS __sqN``, right before
    the WHERE (the same rows: a MATCH's or WITH's WHERE only filters).
    """
    count = 0
    i = 0
    while True:
        k = next(
            (x for x in range(i, len(toks)) if _kw(toks, x, _SUBQUERIES) and _is(toks, x + 1, "{")),
            None,
        )
        if k is None:
            return toks
        j = _match(toks, k + 1)
        if j is None:
            return toks
        ctx = _context(toks, k)
        shown = f"{toks[k].text.upper()} {{ … }}"
        if ctx == "order":
            raise _unsupported(
                f"{shown} in ORDER BY",
                f"return it as a column and order by that (RETURN …, {shown} AS k ORDER BY k)",
            )
        if ctx is None:
            i = j + 1
            continue
        assert isinstance(ctx, tuple)
        where, clause = ctx
        # A pattern predicate after WITH's aliases meets a FalkorDB 4.16 bug ("Type mismatch:
        # expected Null but was Pointer"): there, the subquery is always computed first.
        pred = _pattern_predicate(toks, k, j) if clause in ("MATCH", "OPTIONAL") else None
        if pred is not None:
            toks = toks[:k] + pred + toks[j + 1 :]
            i = k + len(pred)
            continue
        if clause == "OPTIONAL":
            raise _unsupported(
                f"{shown} with a WHERE, or COUNT/COLLECT, in an OPTIONAL MATCH's WHERE",
                "compute it first: WITH *, COUNT { … } AS k, then OPTIONAL MATCH … WHERE k > 0",
            )
        count += 1
        name = f"__sq{count}"
        while any(t.text == name for t in toks):
            count += 1
            name = f"__sq{count}"
        value = _flat(_subquery(toks[k], toks[k + 2 : j]))
        hoisted = _toks(f"WITH *, {value} AS {name}", toks[where].lead)
        toks = (
            toks[:where]
            + hoisted
            + [toks[where]._replace(lead=" ")]
            + toks[where + 1 : k]
            + [Token("name", name, toks[k].lead)]
            + toks[j + 1 :]
        )
        i = 0


# -- subquery expressions, elementId, point.distance, CALL (x) { } ----------------------------
def _expressions(toks: list[Token]) -> list[Token]:
    """Rewrite the expression-level constructs (recursively inside subqueries), then ``=~``."""
    out: list[Token] = []
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        if _kw(toks, i, {"EXISTS", "COUNT", "COLLECT"}) and _is(toks, i + 1, "{"):
            j = _match(toks, i + 1)
            if j is None:
                return toks  # unbalanced: let the engine report it
            out.extend(_subquery(t, toks[i + 2 : j]))
            i = j + 1
            continue
        if (
            t.kind == "name"
            and t.text.lower() == "elementid"
            and _is(toks, i + 1, "(")
            and not _is(toks, i - 1, ".")
        ):
            j = _match(toks, i + 1)
            if j is None:
                return toks
            inner = _expressions(toks[i + 2 : j])
            out.extend(_toks("toString(id(", t.lead) + inner + _toks("))"))
            i = j + 1
            continue
        if (
            t.kind == "name"
            and t.text.lower() == "point"
            and _is(toks, i + 1, ".")
            and i + 2 < n
            and toks[i + 2].text.lower() == "distance"
            and _is(toks, i + 3, "(")
            and not _is(toks, i - 1, ".")
        ):
            out.append(Token("name", "distance", t.lead))
            i += 3
            continue
        if _kw(toks, i, {"CALL"}) and _is(toks, i + 1, "("):
            j = _match(toks, i + 1)
            if j is not None and _is(toks, j + 1, "{"):
                scope = toks[i + 2 : j]
                out.extend(_toks("CALL {", t.lead))
                if scope:
                    out.extend(_toks("WITH " + _flat(scope), " "))
                i = j + 2
                continue
        out.append(t)
        i += 1
    return _regex(out)


def _subquery(head: Token, body: list[Token]) -> list[Token]:
    """``EXISTS { … }``, ``COUNT { … }`` or ``COLLECT { … }`` as a pattern comprehension."""
    kind = head.text.upper()
    shown = f"{kind} {{ … }}"
    if _kw(body, 0, {"MATCH"}):
        body = body[1:]
    top = _top_level(body)
    ret = None
    for k in top:
        if _kw(body, k, {"RETURN"}) and kind == "COLLECT" and ret is None:
            ret = k
        elif _kw(body, k, _CLAUSES):
            raise _unsupported(
                f"{shown} with {body[k].text.upper()}",
                f"write one pattern: {kind} {{ (a)-[:TYPE]->(b) WHERE … }}, "
                "or use OPTIONAL MATCH … WITH count(…)",
            )
    if kind == "COLLECT":
        if ret is None:
            raise _unsupported(f"{shown} without RETURN", "end it with RETURN an expression")
        value = body[ret + 1 :]
        if _kw(value, 0, {"DISTINCT"}) or len(_split(value)) != 1 or not value:
            raise _unsupported(
                f"{shown} returning DISTINCT or several columns",
                "return one expression: COLLECT { MATCH … RETURN x.name }",
            )
        vtop = _top_level(value)
        alias = next((k for k in vtop if _kw(value, k, {"AS"})), None)
        if alias is not None:
            value = value[:alias]
        body = body[:ret]
    where = next((k for k in _top_level(body) if _kw(body, k, {"WHERE"})), None)
    pattern = body if where is None else body[:where]
    if not pattern:
        raise _unsupported(f"an empty {shown}", "put a pattern inside")
    if len(_split(pattern)) > 1:
        raise _unsupported(
            f"{shown} with several patterns",
            "join them into one path pattern, or use OPTIONAL MATCH … WITH count(…)",
        )
    text = _flat(_expressions(pattern))
    if where is not None:
        text += " WHERE " + _flat(_expressions(body[where + 1 :]))
    if kind == "EXISTS":
        text = f"(size([{text} | 1]) > 0)"
    elif kind == "COUNT":
        text = f"size([{text} | 1])"
    else:
        text = f"[{text} | {_flat(_expressions(value))}]"
    return _toks(text, head.lead)


# -- =~ ----------------------------------------------------------------------------------------
def _operand_start(toks: list[Token], i: int) -> int:
    j = i - 1
    while j >= 0:
        t = toks[j]
        if t.kind == "op":
            if t.text in _CLOSE:
                k = _match_back(toks, j)
                if k is None:
                    return j + 1
                j = k - 1
                continue
            if t.text in _OPEN or t.text in _COMPARISON or t.text in (",", "|", ":", ";", ".."):
                break
        elif _kw(toks, j, _BOUNDARY):
            break
        j -= 1
    return j + 1


def _operand_end(toks: list[Token], i: int) -> int:
    j = i + 1
    while j < len(toks):
        t = toks[j]
        if t.kind == "op":
            if t.text in _OPEN:
                k = _match(toks, j)
                if k is None:
                    return j
                j = k + 1
                continue
            if t.text in _CLOSE or t.text in _COMPARISON or t.text in (",", "|", ":", ";", ".."):
                break
        elif _kw(toks, j, _BOUNDARY):
            break
        j += 1
    return j


def _regex(toks: list[Token]) -> list[Token]:
    """``a =~ re`` → the engine's ``string.matchRegEx``, anchored (``=~`` matches the whole
    string, as Java's ``matches``); null when either side is null, as on Neo4j."""
    while True:
        i = next((k for k, t in enumerate(toks) if t.kind == "op" and t.text == "=~"), None)
        if i is None:
            return toks
        lo, hi = _operand_start(toks, i), _operand_end(toks, i)
        if lo == i or hi == i + 1:
            raise _unsupported(
                "this =~ (an operand the rewrite cannot delimit)",
                "put each side of =~ in parentheses",
            )
        left, right = _flat(toks[lo:i]), _flat(toks[i + 1 : hi])
        text = (
            f"(CASE WHEN ({left}) IS NULL OR ({right}) IS NULL THEN null "
            f"ELSE size(string.matchRegEx({left}, '^(?:' + ({right}) + ')\\\\z')) > 0 END)"
        )
        toks = toks[:lo] + _toks(text, toks[lo].lead) + toks[hi:]


# -- MATCH p = shortestPath(...) -------------------------------------------------------------------
def _paths(toks: list[Token]) -> list[Token]:
    """Every ``MATCH`` holding ``shortestPath``/``allShortestPaths`` in DESIGN §2's form."""
    i = 0
    count = 0
    while i < len(toks):
        if not _kw(toks, i, {"MATCH"}):
            i += 1
            continue
        optional = _kw(toks, i - 1, {"OPTIONAL"})
        start = i - 1 if optional else i
        end = _clause_end(toks, i + 1)
        clause = toks[i + 1 : end]
        where = next((k for k in _top_level(clause) if _kw(clause, k, {"WHERE"})), None)
        parts = _split(clause if where is None else clause[:where])
        if not any(_shortest(p) for p in parts):
            i = end
            continue
        cond = [] if where is None else clause[where + 1 :]
        others, ends, calls = [], [], []
        for part in parts:
            found = _shortest(part)
            if found is None:
                others.append(_flat(part))
                continue
            count += 1
            text, call = _shortest_call(part, found, cond, count, optional)
            for node in text:
                if node not in ends:
                    ends.append(node)
            calls.append(call)
        if optional:
            # The condition goes inside (the path is null when it fails, as on Neo4j), and
            # bare ends stay out: FalkorDB 4.16 crashes on OPTIONAL MATCH (a), (b) of two
            # bound nodes.
            if others:
                raise _unsupported(
                    "OPTIONAL MATCH of shortestPath beside other patterns",
                    "MATCH the other patterns first, then OPTIONAL MATCH p = shortestPath(…)",
                )
            ends = [e for e in ends if not _bare(e)]
            match = "OPTIONAL MATCH " + ", ".join(ends) + " " if ends else ""
        else:
            match = "MATCH " + ", ".join(others + [e for e in ends if e not in others])
            match += (" WHERE " + _flat(cond) if cond else "") + " "
        new = _toks(match + " ".join(calls), toks[start].lead)
        toks = toks[:start] + new + toks[end:]
        i = start + len(new)
    return toks


def _clause_end(toks: list[Token], i: int) -> int:
    depth = 0
    for j in range(i, len(toks)):
        t = toks[j]
        if t.kind == "op" and t.text in _OPEN:
            depth += 1
        elif t.kind == "op" and t.text in _CLOSE:
            if depth == 0:
                return j
            depth -= 1
        elif depth == 0 and (_kw(toks, j, _CLAUSES) or _is(toks, j, ";")):
            return j
    return len(toks)


def _shortest(part: list[Token]) -> tuple[str | None, str, int] | None:
    """For ``[p =] shortestPath( … )``: the path variable, the function and its ``(`` index."""
    var = None
    k = 0
    if len(part) > 2 and part[0].kind in ("name", "quoted") and _is(part, 1, "="):
        var, k = part[0].text, 2
    if (
        k < len(part)
        and part[k].kind == "name"
        and part[k].text.lower() in ("shortestpath", "allshortestpaths")
        and _is(part, k + 1, "(")
    ):
        func = part[k].text.lower()
        if func == "allshortestpaths" and _native(part[k + 1 :]):
            return None
        return var, func, k + 1
    return None


def _native(call: list[Token]) -> bool:
    """Does FalkorDB run this ``allShortestPaths(…)`` as written?  It does between bare,
    already bound endpoints (``(x)-[*..6]-(y)``) with no relationship variable (it would bind
    that to a path)."""
    inner = call[1:-1]
    bare = (
        len(inner) >= 6
        and _is(inner, 0, "(")
        and inner[1].kind in ("name", "quoted")
        and _is(inner, 2, ")")
        and _is(inner, len(inner) - 3, "(")
        and inner[-2].kind in ("name", "quoted")
        and _is(inner, len(inner) - 1, ")")
    )
    if not bare:
        return False
    rel = inner[3:-3]
    at = next((k for k in range(len(rel)) if _is(rel, k, "[")), None)
    return at is None or not (at + 1 < len(rel) and rel[at + 1].kind in ("name", "quoted"))


def _node_var(node: list[Token]) -> str | None:
    """The variable of a node pattern ``(a:Label {…})``, if it has one."""
    if len(node) > 2 and node[1].kind in ("name", "quoted"):
        if _is(node, 2, ":") or _is(node, 2, "{") or _is(node, 2, ")"):
            return node[1].text
    return None


def _shortest_call(
    part: list[Token],
    found: tuple[str | None, str, int],
    cond: list[Token],
    count: int,
    optional: bool,
) -> tuple[list[str], str]:
    """The endpoint node patterns to match first, and the ``CALL { … }`` finding the path."""
    var, func, open_at = found
    close = _match(part, open_at)
    if close is None or close != len(part) - 1:
        raise _unsupported("this shortestPath(…)", "write MATCH p = shortestPath((a)-[*]-(b))")
    inner = part[open_at + 1 : close]
    a_end = _match(inner, 0) if _is(inner, 0, "(") else None
    b_start = _match_back(inner, len(inner) - 1) if _is(inner, len(inner) - 1, ")") else None
    if a_end is None or b_start is None or b_start <= a_end:
        raise _unsupported("this shortestPath(…)", "write shortestPath((a)-[*]-(b))")
    a_node, rel, b_node = inner[: a_end + 1], inner[a_end + 1 : b_start], inner[b_start:]
    if any(_is(rel, k, "(") for k in range(len(rel))):
        raise _unsupported(
            "shortestPath over several relationships", "give one relationship: (a)-[*..6]-(b)"
        )
    rel_var = None
    if _is(rel, 1, "[") or _is(rel, 0, "<-"):
        at = next((k for k in range(len(rel)) if _is(rel, k, "[")), None)
        if at is not None and at + 1 < len(rel) and rel[at + 1].kind in ("name", "quoted"):
            if any(_is(rel, at + 2, s) for s in (":", "*", "{", "]")):
                rel_var = rel[at + 1].text
                rel = rel[: at + 1] + rel[at + 2 :]
    path = var or f"__path{count}"
    names = {path} | ({rel_var} if rel_var else set())
    used = {t.text for t in cond if t.kind in ("name", "quoted")}
    if names & used:
        raise _unsupported(
            "a WHERE on a shortestPath's path or relationships",
            "filter after the MATCH (WITH … WHERE …); Neo4j applies it during the search",
        )
    ends: list[str] = []
    aliases = []
    for node, tag in ((a_node, "a"), (b_node, "b")):
        nv = _node_var(node)
        if nv is None:
            nv = f"__{tag}{count}"
            node = node[:1] + [Token("name", nv)] + node[1:]
        ends.append(_flat(node))
        aliases.append(nv)
    returned = path + (f", relationships({path}) AS {rel_var}" if rel_var else "")
    limit = " LIMIT 1" if func == "shortestpath" else ""
    scope, where = f"{aliases[0]}, {aliases[1]}", ""
    if optional and cond:
        scope, where = "*", " WHERE " + _flat(cond)
    call = (
        f"CALL {{ WITH {scope} {'OPTIONAL ' if optional else ''}MATCH "
        f"{path} = allShortestPaths(({aliases[0]}){_flat(rel)}({aliases[1]})){where} "
        f"RETURN {returned}{limit} }}"
    )
    return ends, call


def _bare(node: str) -> bool:
    """Is this node pattern text a bare variable, ``(a)``?"""
    return re.fullmatch(r"\(\s*(?:[^\W\d]\w*|`[^`]*`)\s*\)", node) is not None


# -- the entry point ----------------------------------------------------------------------------
def to_falkordb(query: str) -> Translated:
    """*query* (Neo4j 5 Cypher) in the form FalkorDB 4.16 runs, giving the same rows.

    Raises :class:`~civicgraph.graph.errors.UnsupportedCypher` for a construct with no
    equivalent.  A :class:`Translated` statement is returned unchanged.

    >>> to_falkordb("MATCH (n) RETURN elementId(n) AS e")
    'MATCH (n) RETURN toString(id(n)) AS e'
    >>> to_falkordb("RETURN duration.between(date('2020-01-01'), date('2021-01-01'))")
    Traceback (most recent call last):
    ...
    civicgraph.graph.errors.UnsupportedCypher: duration.between() is not available on the embedded engine; compare ISO date strings (r.start <= '2020-06-28'), or run on Neo4j (--db neo4j://…)
    """
    if isinstance(query, Translated):
        return query
    return _translate(query)


@functools.lru_cache(maxsize=512)
def _translate(query: str) -> Translated:
    toks, tail = tokenize(query)
    if not toks:
        return Translated(query)
    _check(toks)
    shown = _show(toks)
    if shown is not None:
        return Translated(shown)
    new = _paths(_expressions(_where_subqueries(toks)))
    if new == toks:
        return Translated(query)
    return Translated(_render(new, tail))


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
    **_NO_EQUIVALENT,
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
        return _unsupported(
            f"{name}()",
            hint or "`CALL dbms.functions()` lists the functions it has",
        )
    m = _UNKNOWN_PROCEDURE.search(one)
    if m:
        name = m["name"]
        hint = _FUNCTION_HINTS.get(name.lower().split(".")[0])
        return _unsupported(
            f"procedure {name}", hint or "`CALL dbms.procedures()` lists the procedures it has"
        )
    m = _NOT_SUPPORTED.search(one)
    if m:
        return _unsupported(m["what"].rstrip("."), "write it another way")
    return EngineError(f"FalkorDB: {one}")
