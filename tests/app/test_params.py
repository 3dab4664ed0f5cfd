"""Command-line values (app/params.py): -p KEY=VALUE, cypher-shell's -p 'KEY => LITERAL',
and the one scalar rule cypher and --option share."""

from __future__ import annotations

from typing import Any

import click
import pytest

from civicgraph.app.params import cypher_literal, parse_params, scalar


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500000", 500000),
        ("-3", -3),
        ("0", 0),
        ("0.5", 0.5),
        ("1e3", 1000.0),
        ("true", True),
        ("FALSE", False),
        ("01053", "01053"),  # a code with a leading zero stays text
        ("insee:38185", "insee:38185"),
        ("2022-09-01", "2022-09-01"),
        ("nan", "nan"),
        ("", ""),
    ],
)
def test_scalar(text: str, value: Any) -> None:
    assert scalar(text) == value and type(scalar(text)) is type(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500000", 500000),
        ("-2.5", -2.5),
        ("'500000'", "500000"),
        ('"insee:38185"', "insee:38185"),
        ("'it\\'s'", "it's"),
        ("'a\"b'", 'a"b'),
        ("'tab\\there'", "tab\there"),
        ("true", True),
        ("NULL", None),
        ("[1, 'a', [true]]", [1, "a", [True]]),
        ("{min: 1, name: 'Lyon', 'x y': []}", {"min": 1, "name": "Lyon", "x y": []}),
        ("[]", []),
    ],
)
def test_cypher_literal(text: str, value: Any) -> None:
    assert cypher_literal(text) == value


@pytest.mark.parametrize("text", ["Lyon", "[1, 2", "{a 1}", "'open", "1 2", "'\\q'", ""])
def test_a_bad_cypher_literal_is_a_usage_error(text: str) -> None:
    with pytest.raises(click.BadParameter):
        cypher_literal(text)


def test_parse_params_forms() -> None:
    items = ("n=500000", "name=Lyon", "m => '500000'", "l => [1, 2]", "e=")
    assert parse_params(items, typed_text=True) == {
        "n": 500000,
        "name": "Lyon",
        "m": "500000",
        "l": [1, 2],
        "e": "",
    }
    # stored queries convert text to their declared types themselves
    assert parse_params(items)["n"] == "500000"
    # NFC, as ids are stored, in both forms
    nfd = "person:care\u0302me"
    assert parse_params((f"a={nfd}", f"b => '{nfd}'")) == {
        "a": "person:carême",
        "b": "person:carême",
    }
    with pytest.raises(click.BadParameter):
        parse_params(("no-equals",))
    with pytest.raises(click.BadParameter):
        parse_params(("1x=2",))
