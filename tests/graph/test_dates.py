"""The one date module: parsing, validation, display at precision, order, and "as of" — the
same rule in Python, in the engine, in every stored query and on every path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicgraph.app.cli import cli
from civicgraph.graph import InvalidParameter, Store, dates
from civicgraph.graph.model import load_model
from civicgraph.queries import load_catalogue
from civicgraph.queries.registry import Param, queries_path

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2020", ("2020-01-01", "year")),
        ("2020-05", ("2020-05-01", "month")),
        ("2020-05-25", ("2020-05-25", "day")),
        (" 2020-05-25 ", ("2020-05-25", "day")),
        (2020, ("2020-01-01", "year")),  # YAML reads `start: 2020` as an int
    ],
)
def test_parse_accepts_the_three_precisions(text: object, parsed: tuple[str, str]) -> None:
    assert dates.parse(text) == parsed


@pytest.mark.parametrize(
    "bad",
    ["0018-01-01", "3003-01-01", "2019-02-30", "2019-13", "yesterday", "2019-1-1", "20190101", ""],
)
def test_one_rule_for_bad_dates_everywhere(bad: str, store: Store) -> None:
    """The loaders, query parameters, CLI options and Python calls refuse the same dates."""
    with pytest.raises(dates.DateError):
        dates.parse(bad)
    with pytest.raises(dates.DateError):
        dates.check_day(bad)
    with pytest.raises(InvalidParameter):  # a stored query's date parameter
        Param("date", "date").convert(bad)
    from civicgraph.graph.analysis import to_networkx

    with pytest.raises(ValueError):  # a Python call
        to_networkx(store, as_of=bad)
    result = CliRunner().invoke(cli, ["export", "--format", "jsonl", "-o", "-", "--as-of", bad])
    assert result.exit_code == 2 and "Traceback" not in result.output  # a CLI option


def test_as_of_dates_are_days() -> None:
    with pytest.raises(dates.DateError, match="is a year; give a day, e.g. 2020-01-01"):
        dates.check_day("2020", name="date")
    assert Param("date", "date").convert("2022-09-01") == "2022-09-01"


def test_slashed_dates_need_dayfirst() -> None:
    assert dates.parse("25/05/2020", dayfirst=True) == ("2020-05-25", "day")
    with pytest.raises(dates.DateError, match="ambiguous"):
        dates.parse("05/04/2021")
    with pytest.raises(dates.DateError, match="--dayfirst"):
        dates.parse("25/05/2020")


def test_normalise_props_stores_first_day_and_precision() -> None:
    p = {"start": "2020", "end": "2021-05", "date": "2019-01-01", "date_precision": "year"}
    dates.normalise_props(p, ["start", "end", "date"])
    assert p == {
        "start": "2020-01-01",
        "start_precision": "year",
        "end": "2021-05-01",
        "end_precision": "month",
        "date": "2019-01-01",
        "date_precision": "year",
    }
    q = {"start": "2020-05-25", "start_precision": "day"}
    dates.normalise_props(q, ["start"])
    assert q == {"start": "2020-05-25"}  # day is the default: one stored form
    for bad in (
        {"start": "2020", "start_precision": "day"},  # a year is not a day
        {"start": "2020-05-25", "start_precision": "year"},  # not the first day of a year
        {"start": "2020-01-01", "start_precision": "week"},
    ):
        with pytest.raises(dates.DateError):
            dates.normalise_props(bad, ["start"])


def test_display_and_order() -> None:
    assert dates.display("2020-01-01", "year") == "2020"
    assert dates.display("2020-05-01", "month") == "2020-05"
    assert dates.display("2020-05-25") == "2020-05-25"
    # Grande-Synthe left "in 2020"; the change of mayor was on 2020-05-25
    assert dates.order("2020-05-25", None, "2020-01-01", "year") == "uncertain"
    assert dates.order("2020-05-25", None, "2021-01-01", "year") == "certain"
    assert dates.order("2020-05-25", None, "2020-06-01", "month") == "certain"
    assert dates.order("2020-05-25", None, "2020-05-01", "month") == "uncertain"
    assert dates.order("2020-05-25", None, None, None) is None
    assert dates.display_row({"a": "2020-01-01", "a_precision": "year", "b": 1}) == {
        "a": "2020",
        "b": 1,
    }


def test_display_row_follows_each_rows_columns():
    """display_row keeps a plan per set of columns: rows of other columns, in another
    order, or a precision column without its date, each get their own."""
    rows = [
        {"city": "Grande-Synthe", "left_on": "2020-01-01"},  # no precision: as it is
        {"left_on": "2020-01-01", "left_on_precision": "year", "city": "Grande-Synthe"},
        {"left_on_precision": "month", "left_on": "2020-05-01"},  # precision first
        {"left_on_precision": "year"},  # a precision column alone is a column
        {"city": "Grande-Synthe", "left_on": "2020-01-01"},  # the first plan again
        {"left_on": "2020-05-25", "left_on_precision": None},  # no precision: the day
    ]
    shown = [dates.display_row(r) for r in rows]
    assert shown == [
        {"city": "Grande-Synthe", "left_on": "2020-01-01"},
        {"left_on": "2020", "city": "Grande-Synthe"},
        {"left_on": "2020-05"},
        {"left_on_precision": "year"},
        {"city": "Grande-Synthe", "left_on": "2020-01-01"},
        {"left_on": "2020-05-25"},
    ]
    assert [list(r) for r in shown][1] == ["left_on", "city"]  # the row's own order
    assert shown[0] is not rows[0]  # a new dict: the caller's row is not changed


# -- "as of": one rule --------------------------------------------------------------------

CASES = [
    {"start": "2018-09-26"},
    {"start": "2018-09-26", "end": "2020-01-01"},
    {"start": "2020-01-01", "start_precision": "year"},
    {"end": "2020-01-01"},
    {},
]
DAYS = ["2018-09-25", "2018-09-26", "2019-12-31", "2020-01-01", "2022-09-01"]


def test_engine_and_python_agree_on_as_of(store: Store) -> None:
    """The Cypher condition stored queries use (dates.AS_OF), the projections' form for
    undated types, and dates.holds_on answer alike on the real engine."""
    store.upsert_nodes("Network", [{"id": "net:n", "name": "N"}])
    store.upsert_nodes(
        "Organization", [{"id": f"org:{i}", "name": str(i)} for i in range(len(CASES))]
    )
    store.upsert_relationships(
        "MEMBER_OF",
        [{"source": f"org:{i}", "target": "net:n", **c} for i, c in enumerate(CASES)],
    )
    store.upsert_nodes("Event", [{"id": "event:e", "name": "E"}])
    store.upsert_relationships(  # an undated type: holds on every day without a start
        "PARTICIPATED_IN",
        [{"source": f"org:{i}", "target": "event:e"} for i in range(len(CASES))],
    )
    undated = load_model().undated_types
    for day in DAYS:
        stored = store.query(
            "MATCH (o)-[r:MEMBER_OF]->() WHERE "
            + dates.as_of_cypher("r", "$d")
            + " RETURN o.id AS id",
            {"d": day},
        )
        python = [f"org:{i}" for i, c in enumerate(CASES) if dates.holds_on(c, day)]
        assert sorted(r["id"] for r in stored) == python, day
        timeless = store.query(
            "MATCH (o)-[r]->() WHERE "
            + dates.as_of_cypher("r", "$d", timeless="$undated")
            + " RETURN o.id AS id, type(r) AS t",
            {"d": day, "undated": undated},
        )
        assert sorted(r["id"] for r in timeless if r["t"] == "MEMBER_OF") == python
        assert len([r for r in timeless if r["t"] == "PARTICIPATED_IN"]) == len(CASES)


# an "as of" condition: a start compared with a date parameter (windows such as
# `r.start <= window_end` are query logic, not "as of")
_AS_OF_USE = re.compile(r"(\w+)\.start <= (\$\w+|coalesce\(s\.date[^)]*\)|s\.date)")


def test_every_stored_query_writes_the_one_as_of_rule() -> None:
    """Every "as of" condition in the catalogue is dates.AS_OF (on `end`, or on a term's
    derived `held_until`), or the projections' form with the schema's undated types."""
    undated = "[" + ", ".join(f"'{t}'" for t in load_model().undated_types) + "]"
    for file in sorted(queries_path().rglob("*.cypher")):
        text = file.read_text(encoding="utf-8")
        for m in _AS_OF_USE.finditer(text):
            var, day = m.group(1), m.group(2)
            rule = dates.AS_OF.format(r=var, d=day)
            held = rule.replace("`end`", "held_until")
            timeless = (
                f"({var}.start <= {day} OR ({var}.start IS NULL AND type({var}) IN {undated}))"
            )
            window = " ".join(text[m.start() : m.start() + 300].split())
            starts = " ".join(text[m.start() - 1 :].split()).startswith(timeless)
            assert window.startswith((rule, held)) or starts, f"{file.name}: {window[:120]!r}"


def test_no_other_date_parser_or_size_class_rule() -> None:
    """One date validator (graph/dates.py) and one size-class function (graph/derive.py)."""
    offenders = []
    for folder in ("graph", "loaders", "queries"):
        for file in (ROOT / folder).rglob("*"):
            if file.suffix not in (".py", ".cypher") or file.name in ("dates.py", "derive.py"):
                continue
            text = file.read_text(encoding="utf-8")
            for needle in ("fromisoformat", "strptime", "500000", "500_000", "< 5000"):
                if needle in text:
                    offenders.append(f"{file.relative_to(ROOT)}: {needle}")
    assert offenders == []


def test_query_results_print_dates_at_their_precision(case_store: Store) -> None:
    rows = load_catalogue().run(
        case_store, "exits_after_leadership_change", {"network": "net:anvita"}
    )
    grande = next(r for r in rows if r["id"] == "insee:59271")
    assert grande["left_on"] == "2020" and grande["change_date"] == "2020-05-25"
    assert grande["order"] == "uncertain"
    assert "left_on_precision" not in grande
