"""Values given on the command line: ``-p KEY=VALUE``, cypher-shell's ``-p 'KEY => LITERAL'``
and ``--option KEY=VALUE``, as the types the query or the reader wants.

One rule for text that stands for a scalar (:func:`scalar`): ``true``/``false`` are booleans,
an integer (no leading zero: ``01053`` is a code, kept as text) is an int, a decimal is a
float, anything else is text.  ``cypher`` and ``--option`` read text that way; a stored
query converts text to the type its header declares (:meth:`civicgraph.queries.Param.convert`).
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from typing import Any

import click

from civicgraph.graph.model import nfc

__all__ = ["cypher_literal", "key_value", "parse_params", "scalar", "typed"]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_ARROW = re.compile(rf"\s*({_NAME})\s*=>\s*(.*)", re.DOTALL)
_INT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(
    r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?[0-9]+[eE][+-]?[0-9]+"
)


def key_value(item: str, hint: str) -> tuple[str, str]:
    """Split ``KEY=VALUE``; the key must be an identifier (a usage error otherwise)."""
    if "=" not in item:
        raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint=hint)
    k, v = item.split("=", 1)
    if not re.fullmatch(_NAME, k.strip()):
        raise click.BadParameter(
            f"{k.strip()!r} is not a parameter name (letters, digits, _)", param_hint=hint
        )
    return k.strip(), v


def scalar(text: str) -> bool | int | float | str:
    """Text as the scalar it spells: a boolean, an integer, a decimal, else the text.

    >>> scalar("500000"), scalar("true"), scalar("0.5"), scalar("01053"), scalar("insee:38185")
    (500000, True, 0.5, '01053', 'insee:38185')
    """
    word = text.strip()
    if word.lower() in ("true", "false"):
        return word.lower() == "true"
    if _INT.fullmatch(word):
        return int(word)
    if _FLOAT.fullmatch(word):
        return float(word)
    return text


def typed(key: str, text: str, params: list[inspect.Parameter]) -> Any:
    """*text* as the type the readers' annotations want (bool, int, float, else str)."""
    value = scalar(text)
    kinds: set[Any] = set()
    for p in params:
        ann = p.annotation
        if ann is inspect.Parameter.empty or isinstance(ann, str) or ann is Any:
            return value  # unknown: the generic parse
        kinds |= set(typing.get_args(ann)) or {ann}
    kinds.discard(type(None))
    if type(value) in kinds or (type(value) is int and float in kinds):
        return value
    if str in kinds:
        return text
    names = {bool: "true or false", int: "an integer", float: "a number"}
    want = " or ".join(sorted(names.get(k, getattr(k, "__name__", str(k))) for k in kinds))
    raise click.ClickException(f"--option {key}={text}: expected {want}")


def parse_params(items: tuple[str, ...], *, typed_text: bool = False) -> dict[str, Any]:
    """``-p KEY=VALUE`` and ``-p 'KEY => LITERAL'`` pairs; text in Unicode NFC (as ids are
    stored).

    ``KEY => LITERAL`` is cypher-shell's form: the value is a Cypher literal (``'text'``,
    ``500000``, ``true``, ``null``, ``[1, 2]``, ``{a: 1}``).  ``KEY=VALUE`` gives text,
    or with *typed_text* (``cypher``, whose statement declares no types) the scalar it
    spells (:func:`scalar`).

    >>> parse_params(("n=500000", "name=Lyon", "m => '500000'"), typed_text=True)
    {'n': 500000, 'name': 'Lyon', 'm': '500000'}
    """
    out: dict[str, Any] = {}
    for item in items:
        arrow = _ARROW.fullmatch(item)
        if arrow:
            key, value = arrow[1], nfc(cypher_literal(arrow[2], hint=f"-p {arrow[1]}"))
        else:
            key, text = key_value(item, "-p")
            text = nfc(text)
            value = scalar(text) if typed_text else text
        out[key] = value
    return out


# -- Cypher literals (cypher-shell's `:param name => value`) ---------------------------------
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    rf"|(?P<num>{_FLOAT.pattern}|[+-]?[0-9]+)"
    rf"|(?P<word>{_NAME})|(?P<punct>[\[\]{{}},:]))"
)


def cypher_literal(text: str, hint: str = "-p") -> Any:
    """A Cypher literal as a Python value: strings in single or double quotes, numbers,
    ``true``/``false``/``null``, lists and maps of them.

    >>> cypher_literal("500000"), cypher_literal("'insee:38185'"), cypher_literal("[1, 'a', null]")
    (500000, 'insee:38185', [1, 'a', None])
    >>> cypher_literal("{min: 1.5, ok: true}")
    {'min': 1.5, 'ok': True}
    """
    tokens: list[tuple[str, str]] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise click.BadParameter(
                f"{text!r} is not a Cypher literal (at {text[pos:].strip()[:20]!r}); quote "
                "text: 'like this'",
                param_hint=hint,
            )
        kind = m.lastgroup or ""
        tokens.append((kind, m[kind]))
        pos = m.end()
    value, rest = _literal(tokens, text, hint)
    if rest:
        raise click.BadParameter(f"{text!r}: unexpected {rest[0][1]!r}", param_hint=hint)
    return value


def _json_escape(m: re.Match[str]) -> str:
    if m[1] is None or m[1] == '"':
        return '\\"'
    return "'" if m[1] == "'" else "\\" + m[1]


def _literal(tokens: list[tuple[str, str]], text: str, hint: str) -> tuple[Any, list[Any]]:
    if not tokens:
        raise click.BadParameter(f"{text!r} is not a complete Cypher literal", param_hint=hint)
    (kind, tok), rest = tokens[0], tokens[1:]
    if kind == "str":
        # Cypher's escapes are JSON's plus \\' and \\": rewrite the body as a JSON string.
        body = re.sub(r"\\(.)|\"", _json_escape, tok[1:-1], flags=re.DOTALL)
        try:
            return json.loads(f'"{body}"'), rest
        except ValueError as exc:
            raise click.BadParameter(
                f"{tok}: {getattr(exc, 'msg', exc)}", param_hint=hint
            ) from None
    if kind == "num":
        return (int(tok) if re.fullmatch(r"[+-]?[0-9]+", tok) else float(tok)), rest
    if kind == "word" and tok.lower() in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[tok.lower()], rest
    if tok in ("[", "{"):
        close, items, pairs = ("]" if tok == "[" else "}"), [], {}
        while rest and rest[0][1] != close:
            if tok == "{":
                if len(rest) < 2 or rest[0][0] not in ("word", "str") or rest[1][1] != ":":
                    raise click.BadParameter(f"{text!r}: a map is {{key: value}}", param_hint=hint)
                key = rest[0][1].strip("'\"")
                pairs[key], rest = _literal(rest[2:], text, hint)
            else:
                item, rest = _literal(rest, text, hint)
                items.append(item)
            if rest and rest[0][1] == ",":
                rest = rest[1:]
        if not rest:
            raise click.BadParameter(f"{text!r}: {tok} without {close}", param_hint=hint)
        return (items if tok == "[" else pairs), rest[1:]
    raise click.BadParameter(
        f"{text!r} is not a Cypher literal (text goes in quotes: '{tok}')", param_hint=hint
    )
