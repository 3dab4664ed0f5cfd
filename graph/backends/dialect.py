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
                                    (docs/design.md §2's portable form, one path per pair)
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

from .cypher_errors import check_supported, engine_error, unsupported
from .cypher_tokens import (
    BOUNDARY,
    CLAUSES,
    CLOSE,
    COMPARISON,
    OPEN,
    Token,
    closing,
    flat,
    is_kw,
    is_op,
    opening,
    render,
    split_top,
    tokenize,
    toks_of,
    top_level,
)

__all__ = ["Token", "Translated", "clear_cache", "engine_error", "to_falkordb", "tokenize"]


class Translated(str):
    """A statement already in the embedded engine's dialect: :func:`to_falkordb` returns it as is.

    The backend's ``compile`` marks its output so (a loader's batch, megabytes of inlined
    parameters, is never scanned again).
    """

    __slots__ = ()


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
    if not is_kw(toks, 0, {"SHOW"}):
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
        raise unsupported(shown, "it answers SHOW INDEXES, CONSTRAINTS, FUNCTIONS and PROCEDURES")
    rest = toks[i + 1 :]
    while rest and is_op(rest, len(rest) - 1, ";"):
        rest = rest[:-1]
    default = ", ".join(columns)
    if not rest:
        return f"{base}{flt} RETURN {default} ORDER BY name"
    if is_kw(rest, 0, {"WHERE"}):
        return f"{base}{flt} WITH * {flat(rest)} RETURN {default} ORDER BY name"
    if is_kw(rest, 0, {"YIELD"}):
        ret = next((k for k in top_level(rest) if is_kw(rest, k, {"RETURN"})), None)
        items = rest[1 : ret if ret is not None else len(rest)]
        head = split_top(_clause_items(items))
        if len(head) == 1 and len(head[0]) == 1 and is_op(head[0], 0, "*"):
            names = list(columns)
        else:
            names = [part[-1].text for part in head if part]
        text = f"{base}{flt} WITH {flat(items)}"
        if ret is None:
            text += " RETURN " + ", ".join(names)
        else:
            text += " " + flat(rest[ret:])
        return text
    raise unsupported(
        f"SHOW … {rest[0].text}", "follow SHOW INDEXES with WHERE …, or YIELD … [RETURN …]"
    )


def _clause_items(items: list[Token]) -> list[Token]:
    """The projection items of ``YIELD a, b AS c ORDER BY … WHERE …`` (before ORDER/WHERE…)."""
    for k in top_level(items):
        if is_kw(items, k, {"ORDER", "SKIP", "LIMIT", "WHERE"}):
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
        if t.kind == "op" and t.text in CLOSE:
            back = opening(toks, j)
            if back is None:
                return None
            j = back - 1
            continue
        if t.kind == "op" and t.text in OPEN:
            if where is not None or t.text != "(":
                return None
            if j and toks[j - 1].kind == "name" and toks[j - 1].text.lower() in _BINDING_FUNCTIONS:
                return None
        elif where is None and is_kw(toks, j, {"WHERE"}):
            where = j
        elif is_kw(toks, j, {"BY", "ORDER"}) and where is None:
            return "order"
        elif is_kw(toks, j, CLAUSES | {"YIELD"}):
            if where is None:
                return None
            word = t.text.upper()
            if word == "MATCH" and is_kw(toks, j - 1, {"OPTIONAL"}):
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
    if is_kw(body, 0, {"MATCH"}):
        body = body[1:]
    top = top_level(body)
    if not body or any(is_kw(body, i, CLAUSES | {"WHERE"}) or is_op(body, i, ",") for i in top):
        return None
    if not any(body[i].kind == "op" and body[i].text in ("-", "->", "<-") for i in top):
        return None  # a lone node is not a pattern predicate
    if len(body) > 1 and is_op(body, 1, "="):
        return None  # a named path
    # Variables bound before the subquery (a variable is bound before it is used).
    outside = {
        t.text
        for i, t in enumerate(toks[:k])
        if t.kind in ("name", "quoted") and not (is_op(toks, i - 1, ".") or is_op(toks, i - 1, ":"))
    }
    out: list[Token] = []
    seen: dict[str, int] = {}
    for i, t in enumerate(body):
        declared = (
            t.kind in ("name", "quoted")
            and i
            and (
                (is_op(body, i - 1, "(") and any(is_op(body, i + 1, s) for s in (":", "{", ")")))
                or (
                    is_op(body, i - 1, "[")
                    and any(is_op(body, i + 1, s) for s in (":", "*", "{", "]"))
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
    text = flat(_expressions(out))
    return toks_of(text, toks[k].lead)


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
            (
                x
                for x in range(i, len(toks))
                if is_kw(toks, x, _SUBQUERIES) and is_op(toks, x + 1, "{")
            ),
            None,
        )
        if k is None:
            return toks
        j = closing(toks, k + 1)
        if j is None:
            return toks
        ctx = _context(toks, k)
        shown = f"{toks[k].text.upper()} {{ … }}"
        if ctx == "order":
            raise unsupported(
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
            raise unsupported(
                f"{shown} with a WHERE, or COUNT/COLLECT, in an OPTIONAL MATCH's WHERE",
                "compute it first: WITH *, COUNT { … } AS k, then OPTIONAL MATCH … WHERE k > 0",
            )
        count += 1
        name = f"__sq{count}"
        while any(t.text == name for t in toks):
            count += 1
            name = f"__sq{count}"
        value = flat(_subquery(toks[k], toks[k + 2 : j]))
        hoisted = toks_of(f"WITH *, {value} AS {name}", toks[where].lead)
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
        if is_kw(toks, i, {"EXISTS", "COUNT", "COLLECT"}) and is_op(toks, i + 1, "{"):
            j = closing(toks, i + 1)
            if j is None:
                return toks  # unbalanced: let the engine report it
            out.extend(_subquery(t, toks[i + 2 : j]))
            i = j + 1
            continue
        if (
            t.kind == "name"
            and t.text.lower() == "elementid"
            and is_op(toks, i + 1, "(")
            and not is_op(toks, i - 1, ".")
        ):
            j = closing(toks, i + 1)
            if j is None:
                return toks
            inner = _expressions(toks[i + 2 : j])
            out.extend(toks_of("toString(id(", t.lead) + inner + toks_of("))"))
            i = j + 1
            continue
        if (
            t.kind == "name"
            and t.text.lower() == "point"
            and is_op(toks, i + 1, ".")
            and i + 2 < n
            and toks[i + 2].text.lower() == "distance"
            and is_op(toks, i + 3, "(")
            and not is_op(toks, i - 1, ".")
        ):
            out.append(Token("name", "distance", t.lead))
            i += 3
            continue
        if is_kw(toks, i, {"CALL"}) and is_op(toks, i + 1, "("):
            j = closing(toks, i + 1)
            if j is not None and is_op(toks, j + 1, "{"):
                scope = toks[i + 2 : j]
                out.extend(toks_of("CALL {", t.lead))
                if scope:
                    out.extend(toks_of("WITH " + flat(scope), " "))
                i = j + 2
                continue
        out.append(t)
        i += 1
    return _regex(out)


def _subquery(head: Token, body: list[Token]) -> list[Token]:
    """``EXISTS { … }``, ``COUNT { … }`` or ``COLLECT { … }`` as a pattern comprehension."""
    kind = head.text.upper()
    shown = f"{kind} {{ … }}"
    if is_kw(body, 0, {"MATCH"}):
        body = body[1:]
    top = top_level(body)
    ret = None
    for k in top:
        if is_kw(body, k, {"RETURN"}) and kind == "COLLECT" and ret is None:
            ret = k
        elif is_kw(body, k, CLAUSES):
            raise unsupported(
                f"{shown} with {body[k].text.upper()}",
                f"write one pattern: {kind} {{ (a)-[:TYPE]->(b) WHERE … }}, "
                "or use OPTIONAL MATCH … WITH count(…)",
            )
    if kind == "COLLECT":
        if ret is None:
            raise unsupported(f"{shown} without RETURN", "end it with RETURN an expression")
        value = body[ret + 1 :]
        if is_kw(value, 0, {"DISTINCT"}) or len(split_top(value)) != 1 or not value:
            raise unsupported(
                f"{shown} returning DISTINCT or several columns",
                "return one expression: COLLECT { MATCH … RETURN x.name }",
            )
        vtop = top_level(value)
        alias = next((k for k in vtop if is_kw(value, k, {"AS"})), None)
        if alias is not None:
            value = value[:alias]
        body = body[:ret]
    where = next((k for k in top_level(body) if is_kw(body, k, {"WHERE"})), None)
    pattern = body if where is None else body[:where]
    if not pattern:
        raise unsupported(f"an empty {shown}", "put a pattern inside")
    if len(split_top(pattern)) > 1:
        raise unsupported(
            f"{shown} with several patterns",
            "join them into one path pattern, or use OPTIONAL MATCH … WITH count(…)",
        )
    text = flat(_expressions(pattern))
    if where is not None:
        text += " WHERE " + flat(_expressions(body[where + 1 :]))
    if kind == "EXISTS":
        text = f"(size([{text} | 1]) > 0)"
    elif kind == "COUNT":
        text = f"size([{text} | 1])"
    else:
        text = f"[{text} | {flat(_expressions(value))}]"
    return toks_of(text, head.lead)


# -- =~ ----------------------------------------------------------------------------------------
def _operand_start(toks: list[Token], i: int) -> int:
    j = i - 1
    while j >= 0:
        t = toks[j]
        if t.kind == "op":
            if t.text in CLOSE:
                k = opening(toks, j)
                if k is None:
                    return j + 1
                j = k - 1
                continue
            if t.text in OPEN or t.text in COMPARISON or t.text in (",", "|", ":", ";", ".."):
                break
        elif is_kw(toks, j, BOUNDARY):
            break
        j -= 1
    return j + 1


def _operand_end(toks: list[Token], i: int) -> int:
    j = i + 1
    while j < len(toks):
        t = toks[j]
        if t.kind == "op":
            if t.text in OPEN:
                k = closing(toks, j)
                if k is None:
                    return j
                j = k + 1
                continue
            if t.text in CLOSE or t.text in COMPARISON or t.text in (",", "|", ":", ";", ".."):
                break
        elif is_kw(toks, j, BOUNDARY):
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
            raise unsupported(
                "this =~ (an operand the rewrite cannot delimit)",
                "put each side of =~ in parentheses",
            )
        left, right = flat(toks[lo:i]), flat(toks[i + 1 : hi])
        text = (
            f"(CASE WHEN ({left}) IS NULL OR ({right}) IS NULL THEN null "
            f"ELSE size(string.matchRegEx({left}, '^(?:' + ({right}) + ')\\\\z')) > 0 END)"
        )
        toks = toks[:lo] + toks_of(text, toks[lo].lead) + toks[hi:]


# -- MATCH p = shortestPath(...) -------------------------------------------------------------------
def _paths(toks: list[Token]) -> list[Token]:
    """Every ``MATCH`` holding ``shortestPath``/``allShortestPaths`` in docs/design.md §2's form."""
    i = 0
    count = 0
    while i < len(toks):
        if not is_kw(toks, i, {"MATCH"}):
            i += 1
            continue
        optional = is_kw(toks, i - 1, {"OPTIONAL"})
        start = i - 1 if optional else i
        end = _clause_end(toks, i + 1)
        clause = toks[i + 1 : end]
        where = next((k for k in top_level(clause) if is_kw(clause, k, {"WHERE"})), None)
        parts = split_top(clause if where is None else clause[:where])
        if not any(_shortest(p) for p in parts):
            i = end
            continue
        cond = [] if where is None else clause[where + 1 :]
        others, ends, calls = [], [], []
        for part in parts:
            found = _shortest(part)
            if found is None:
                others.append(flat(part))
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
                raise unsupported(
                    "OPTIONAL MATCH of shortestPath beside other patterns",
                    "MATCH the other patterns first, then OPTIONAL MATCH p = shortestPath(…)",
                )
            ends = [e for e in ends if not _bare(e)]
            match = "OPTIONAL MATCH " + ", ".join(ends) + " " if ends else ""
        else:
            match = "MATCH " + ", ".join(others + [e for e in ends if e not in others])
            match += (" WHERE " + flat(cond) if cond else "") + " "
        new = toks_of(match + " ".join(calls), toks[start].lead)
        toks = toks[:start] + new + toks[end:]
        i = start + len(new)
    return toks


def _clause_end(toks: list[Token], i: int) -> int:
    depth = 0
    for j in range(i, len(toks)):
        t = toks[j]
        if t.kind == "op" and t.text in OPEN:
            depth += 1
        elif t.kind == "op" and t.text in CLOSE:
            if depth == 0:
                return j
            depth -= 1
        elif depth == 0 and (is_kw(toks, j, CLAUSES) or is_op(toks, j, ";")):
            return j
    return len(toks)


def _shortest(part: list[Token]) -> tuple[str | None, str, int] | None:
    """For ``[p =] shortestPath( … )``: the path variable, the function and its ``(`` index."""
    var = None
    k = 0
    if len(part) > 2 and part[0].kind in ("name", "quoted") and is_op(part, 1, "="):
        var, k = part[0].text, 2
    if (
        k < len(part)
        and part[k].kind == "name"
        and part[k].text.lower() in ("shortestpath", "allshortestpaths")
        and is_op(part, k + 1, "(")
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
        and is_op(inner, 0, "(")
        and inner[1].kind in ("name", "quoted")
        and is_op(inner, 2, ")")
        and is_op(inner, len(inner) - 3, "(")
        and inner[-2].kind in ("name", "quoted")
        and is_op(inner, len(inner) - 1, ")")
    )
    if not bare:
        return False
    rel = inner[3:-3]
    at = next((k for k in range(len(rel)) if is_op(rel, k, "[")), None)
    return at is None or not (at + 1 < len(rel) and rel[at + 1].kind in ("name", "quoted"))


def _node_var(node: list[Token]) -> str | None:
    """The variable of a node pattern ``(a:Label {…})``, if it has one."""
    if len(node) > 2 and node[1].kind in ("name", "quoted"):
        if is_op(node, 2, ":") or is_op(node, 2, "{") or is_op(node, 2, ")"):
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
    close = closing(part, open_at)
    if close is None or close != len(part) - 1:
        raise unsupported("this shortestPath(…)", "write MATCH p = shortestPath((a)-[*]-(b))")
    inner = part[open_at + 1 : close]
    a_end = closing(inner, 0) if is_op(inner, 0, "(") else None
    b_start = opening(inner, len(inner) - 1) if is_op(inner, len(inner) - 1, ")") else None
    if a_end is None or b_start is None or b_start <= a_end:
        raise unsupported("this shortestPath(…)", "write shortestPath((a)-[*]-(b))")
    a_node, rel, b_node = inner[: a_end + 1], inner[a_end + 1 : b_start], inner[b_start:]
    if any(is_op(rel, k, "(") for k in range(len(rel))):
        raise unsupported(
            "shortestPath over several relationships", "give one relationship: (a)-[*..6]-(b)"
        )
    rel_var = None
    if is_op(rel, 1, "[") or is_op(rel, 0, "<-"):
        at = next((k for k in range(len(rel)) if is_op(rel, k, "[")), None)
        if at is not None and at + 1 < len(rel) and rel[at + 1].kind in ("name", "quoted"):
            if any(is_op(rel, at + 2, s) for s in (":", "*", "{", "]")):
                rel_var = rel[at + 1].text
                rel = rel[: at + 1] + rel[at + 2 :]
    path = var or f"__path{count}"
    names = {path} | ({rel_var} if rel_var else set())
    used = {t.text for t in cond if t.kind in ("name", "quoted")}
    if names & used:
        raise unsupported(
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
        ends.append(flat(node))
        aliases.append(nv)
    returned = path + (f", relationships({path}) AS {rel_var}" if rel_var else "")
    limit = " LIMIT 1" if func == "shortestpath" else ""
    scope, where = f"{aliases[0]}, {aliases[1]}", ""
    if optional and cond:
        scope, where = "*", " WHERE " + flat(cond)
    call = (
        f"CALL {{ WITH {scope} {'OPTIONAL ' if optional else ''}MATCH "
        f"{path} = allShortestPaths(({aliases[0]}){flat(rel)}({aliases[1]})){where} "
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
    check_supported(toks)
    shown = _show(toks)
    if shown is not None:
        return Translated(shown)
    new = _paths(_expressions(_where_subqueries(toks)))
    if new == toks:
        return Translated(query)
    return Translated(render(new, tail))


def clear_cache() -> None:
    """Forget the translations already made (benchmarks time the first translation)."""
    _translate.cache_clear()
