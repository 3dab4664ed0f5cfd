"""Finding nodes from what people type (graph/find.py): one rule for `civicgraph find` and
for the "did you mean" of an id parameter that matches no node."""

from __future__ import annotations

import unicodedata

import pytest

from civicgraph.graph import Store
from civicgraph.graph.find import find_nodes, fold, missing_ids

GRENOBLE = {"id": "insee:38185", "name": "Grenoble", "label": "City"}


@pytest.mark.parametrize(
    ("typed", "folded"),
    [("Chambéry", "chambery"), ("CHAMBERY", "chambery"), ("  La   Réunion ", "la reunion")],
)
def test_fold_drops_accents_case_and_extra_spaces(typed: str, folded: str) -> None:
    assert fold(typed) == folded
    assert fold(unicodedata.normalize("NFD", typed)) == folded


@pytest.mark.parametrize("typed", ["grenoble", "GRENOBLE", "Grénoble", "insee:38185", "38185"])
def test_a_name_or_id_in_any_case_and_accent_finds_grenoble_first(
    case_store: Store, typed: str
) -> None:
    assert find_nodes(case_store, typed)[0] == GRENOBLE
    assert case_store.find(typed, limit=1) == [GRENOBLE]  # the store method is the same rule


def test_accents_in_the_store_match_text_typed_without_them(case_store: Store) -> None:
    names = {r["name"] for r in case_store.find("chambery")}
    assert "Chambéry" in names
    # and an NFD-typed accent finds the NFC-stored name
    assert "Chambéry" in {r["name"] for r in case_store.find("Chambe\u0301ry")}


def test_the_id_after_its_prefix_ranks_before_names_that_contain_the_text(
    case_store: Store,
) -> None:
    rows = case_store.find("anvita")
    assert rows[0] == {
        "id": "net:anvita",
        "name": "Association Nationale des Villes et Territoires Accueillants",
        "label": "Network",
    }
    assert len(rows) > 5  # statistics and sources about ANVITA follow
    assert all("anvita" in fold(r["id"] + " " + r["name"]) for r in rows)
    assert len(case_store.find("anvita", limit=3)) == 3


def test_nothing_and_blank_text_find_nothing(case_store: Store) -> None:
    assert case_store.find("zzzz-no-such-thing") == []
    assert case_store.find("   ") == []


def test_missing_ids_names_the_node_each_may_mean(case_store: Store) -> None:
    assert missing_ids(case_store, ["Grenoble", "insee:38185", "zzzz", "Grenoble"]) == [
        "no node has id 'Grenoble'; did you mean insee:38185 (Grenoble, City)?",
        "no node has id 'zzzz' (`civicgraph find TEXT` finds ids from names)",
    ]
    assert missing_ids(case_store, ["insee:38185", "net:anvita"]) == []
