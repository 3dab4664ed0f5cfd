"""QueryResult: what stored queries return, and what the command line, ``serve`` and
notebooks format — one object, so every output holds the same rows."""

from __future__ import annotations

import json
import pickle

from civicgraph.graph import Store
from civicgraph.graph.output import format_rows
from civicgraph.graph.results import QueryResult
from civicgraph.queries import load_catalogue

ON_A_DAY = {"network": "net:anvita", "date": "2022-09-01"}


def test_a_stored_query_returns_a_result_that_is_a_list(case_store: Store) -> None:
    result = load_catalogue().run(case_store, "network_members", ON_A_DAY)
    assert isinstance(result, QueryResult) and isinstance(result, list)
    assert (result.query, result.params) == ("network_members", ON_A_DAY)
    assert "MATCH (m)-[r:MEMBER_OF]->(n:Network {id: $network})" in str(result.text)
    rows = list(result)
    assert result == rows and rows == result and len(result) == 16
    assert result.columns[:3] == ["id", "name", "kind"] and "since_precision" not in result.columns
    bègles = next(r for r in result if r["name"] == "Bègles")
    assert bègles["since"] == "2018"  # presented: the date at its precision


def test_every_format_holds_the_same_rows(case_store: Store) -> None:
    result = load_catalogue().run(case_store, "network_members", ON_A_DAY)
    rows = list(result)
    assert result.format("csv") == format_rows(rows, "csv")
    assert result.format("json") == format_rows(rows, "json")
    assert result.to_dict()["rows"] == json.loads(format_rows(rows, "json"))
    df = result.to_df()
    assert list(df.columns) == result.columns and len(df) == len(result)
    # pandas' own missing value (NaN in a text column) stands for None
    assert df.astype(object).where(df.notna(), None).to_dict("records") == result.plain_rows()
    assert df.attrs == {"query": "network_members", "params": ON_A_DAY}
    assert "<table" in result._repr_html_() and "Grenoble" in result._repr_html_()


def test_empty_and_ad_hoc_results() -> None:
    empty = QueryResult([], query="q")
    assert empty.columns == [] and empty.to_df().empty and empty.format("csv") == "\n"
    assert empty.to_dict() == {"rows": [], "columns": [], "query": "q", "params": {}}
    ragged = QueryResult([{"a": 1}, {"b": 2}])
    assert ragged.columns == ["a", "b"]
    assert ragged.plain_rows() == [{"a": 1, "b": None}, {"a": None, "b": 2}]


def test_a_result_pickles_with_what_produced_it() -> None:
    r = QueryResult([{"n": 1}], query="q", params={"x": "a"}, text="RETURN 1 AS n")
    back = pickle.loads(pickle.dumps(r))
    assert back == r and (back.query, back.params, back.text, back.columns) == (
        "q",
        {"x": "a"},
        "RETURN 1 AS n",
        ["n"],
    )
