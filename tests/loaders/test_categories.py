"""The user's words for labels and types (loaders/categories.py)."""

from __future__ import annotations

import pytest

from civicgraph.graph.errors import ConfigurationError
from civicgraph.loaders.categories import Categories, parse_map


@pytest.mark.parametrize(
    ("word", "label"),
    [
        ("CSO", "Organization"),
        ("ngo", "Organization"),
        ("Associations", "Organization"),
        ("organizations", "Organization"),
        ("commune", "City"),
        ("Villes", "City"),
        ("cities", "City"),
        ("PARTI", "Party"),
        ("parties", "Party"),
        ("Réseau", "Network"),
        ("réseaux", "Network"),
        ("networks", "Network"),
        ("Club", "Club"),  # no label: left for validation to refuse
        ("Organisation", "Organisation"),  # a near miss is not guessed
    ],
)
def test_category_words_are_labels(word: str, label: str) -> None:
    assert Categories().label(word) == label


@pytest.mark.parametrize(
    ("word", "rel_type"),
    [
        ("partner", "PARTNER_OF"),
        ("Partners", "PARTNER_OF"),
        ("member", "MEMBER_OF"),
        ("member of", "MEMBER_OF"),
        ("mayor", "MAYOR_OF"),
        ("part of", "PART_OF"),
        ("signed", "SIGNED"),
        ("friend", "friend"),
    ],
)
def test_relationship_words_are_types_only_when_one_fits(word: str, rel_type: str) -> None:
    assert Categories().rel_type(word) == rel_type


def test_the_users_map_comes_first_and_is_checked() -> None:
    cats = Categories(parse_map(["Collectif=Organization", "partenaire=PARTNER_OF"]))
    assert cats.label("collectifs") == "Organization"
    assert cats.rel_type("Partenaire") == "PARTNER_OF"
    with pytest.raises(ConfigurationError, match="'Organisation' is no label"):
        parse_map(["CSO=Organisation"])
    with pytest.raises(ConfigurationError, match="write WORD=Label"):
        parse_map(["CSO"])
