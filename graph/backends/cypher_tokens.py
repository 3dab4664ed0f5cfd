"""A Cypher tokenizer, for rewriting statements safely: tokens, never raw text.

A string literal, a comment, a backquoted name or a parameter is one token, so a rewrite that
looks for ``EXISTS {`` or ``=~`` never touches one (:mod:`civicgraph.graph.backends.dialect`).

>>> [t.text for t in tokenize("MATCH (n) WHERE n.name = 'EXISTS {' RETURN n")[0]][:6]
['MATCH', '(', 'n', ')', 'WHERE', 'n']
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "BOUNDARY",
    "CLAUSES",
    "CLOSE",
    "COMPARISON",
    "OPEN",
    "Token",
    "closing",
    "flat",
    "is_kw",
    "is_op",
    "opening",
    "render",
    "split_top",
    "tokenize",
    "toks_of",
    "top_level",
]


class Token(NamedTuple):
    """One significant token and the whitespace and comments before it (kept for rendering)."""

    kind: str  # name, quoted, string, param, number, op, other
    text: str
    lead: str = ""


TOKEN_RE = re.compile(
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

OPEN = {"(": ")", "[": "]", "{": "}"}
CLOSE = {v: k for k, v in OPEN.items()}
#: Keywords that start a clause (they end the clause before them).
CLAUSES = frozenset(
    "MATCH OPTIONAL WITH RETURN UNWIND CALL CREATE MERGE SET DELETE DETACH REMOVE FOREACH "
    "UNION ORDER SKIP LIMIT USE LOAD FINISH".split()
)
#: Keywords that bound an operand of a comparison such as ``=~``.
BOUNDARY = CLAUSES | frozenset(
    "WHERE AND OR XOR NOT IN IS STARTS ENDS CONTAINS WHEN THEN ELSE END CASE AS BY ASC DESC "
    "ASCENDING DESCENDING DISTINCT YIELD ON".split()
)
COMPARISON = frozenset({"=", "<>", "!=", "<", ">", "<=", ">=", "=~"})


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
    for m in TOKEN_RE.finditer(text):
        kind = m.lastgroup or "other"
        if kind in ("ws", "comment"):
            lead.append(m.group())
            continue
        out.append(Token(kind, m.group(), "".join(lead)))
        lead = []
    return out, "".join(lead)


def render(toks: list[Token], tail: str = "") -> str:
    return "".join(t.lead + t.text for t in toks) + tail


def flat(toks: list[Token]) -> str:
    """The tokens on one line: comments dropped (a ``//`` comment would swallow what we add)."""
    return "".join((" " if t.lead and i else "") + t.text for i, t in enumerate(toks))


def toks_of(text: str, lead: str = "") -> list[Token]:
    toks, _ = tokenize(text)
    if toks:
        toks[0] = toks[0]._replace(lead=lead)
    return toks


def is_kw(toks: list[Token], i: int, words: frozenset[str] | set[str] | tuple[str, ...]) -> bool:
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


def is_op(toks: list[Token], i: int, text: str) -> bool:
    return 0 <= i < len(toks) and toks[i].kind == "op" and toks[i].text == text


def closing(toks: list[Token], i: int) -> int | None:
    """Index of the bracket closing the one at *i*, or None when unbalanced."""
    return _matching(toks, range(i, len(toks)), OPEN, CLOSE)


def opening(toks: list[Token], j: int) -> int | None:
    """Index of the bracket opening the one closing at *j*, or None when unbalanced."""
    return _matching(toks, range(j, -1, -1), CLOSE, OPEN)


def _matching(
    toks: list[Token], walk: range, enter: dict[str, str], leave: dict[str, str]
) -> int | None:
    """Walk *toks* in the order of *walk* (from a bracket, forward or backward) to the
    bracket that balances the first one.  *enter* maps each bracket that goes one level
    deeper in that direction to the one that comes back out; *leave* holds the others."""
    stack: list[str] = []
    for k in walk:
        t = toks[k]
        if t.kind != "op":
            continue
        if t.text in enter:
            stack.append(enter[t.text])
        elif t.text in leave:
            if not stack or stack.pop() != t.text:
                return None
            if not stack:
                return k
    return None


def split_top(toks: list[Token], sep: str = ",") -> list[list[Token]]:
    """*toks* split at top-level *sep* tokens."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in toks:
        if t.kind == "op" and t.text in OPEN:
            depth += 1
        elif t.kind == "op" and t.text in CLOSE:
            depth -= 1
        if depth == 0 and t.kind == "op" and t.text == sep:
            parts.append([])
            continue
        parts[-1].append(t)
    return parts


def top_level(toks: list[Token]) -> list[int]:
    """Indices of the tokens at bracket depth 0."""
    out = []
    depth = 0
    for i, t in enumerate(toks):
        if t.kind == "op" and t.text in CLOSE:
            depth -= 1
        if depth == 0:
            out.append(i)
        if t.kind == "op" and t.text in OPEN:
            depth += 1
    return out
