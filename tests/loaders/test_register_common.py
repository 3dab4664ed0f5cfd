"""What the register readers share: the per-file date check (RowDates) gives the verdicts of
the load's date rule row by row, however often the rows repeat their dates; a review row is
added once per case and file."""

from __future__ import annotations

from typing import Any

from civicgraph.loaders.register_common import LoadContext, RowDates, parse_dmy
from civicgraph.loaders.validate import check_row_dates

#: Rows as a register gives them: dates repeated from row to row, an end before its start
#: built from a start and an end that each passed before, a bad day after a good one.
ROWS: list[dict[str, Any]] = [
    {"birth_date": "1960-04-02", "start": "2014-03-30", "end": "2020-07-03"},
    {"birth_date": "1960-04-02", "start": "2014-03-30", "end": "2020-07-03"},
    {"birth_date": "1971-12-09", "start": "2020-07-03", "end": None},
    # each value passed in an earlier row, the pair never: end before start
    {"birth_date": "1971-12-09", "start": "2020-07-03", "end": "2014-03-30"},
    {"birth_date": "1971-12-09", "start": "2020-07-03", "end": "2014-03-30"},
    {"birth_date": "1960-02-30", "start": "2014-03-30", "end": "2020-07-03"},
    {"birth_date": "1960-04-02", "start": "2014-03-30", "end": "2020-13-01"},
    {"birth_date": None, "start": None, "end": None},
    {"birth_date": "1960-04-02", "start": "2014-03-30", "end": "2014-03-30"},
    {"birth_date": "1960-04-02", "start": "2014-03-31", "end": "2014-03-30"},
    # a councillor's row: no end, a function start
    {"birth_date": "1960-04-02", "start": "2020-05-23", "function_start": "2020-02-30"},
    {"birth_date": "1960-04-02", "start": "2020-05-23", "function_start": "2020-05-25"},
    {"birth_date": "1960-04-02", "start": "2020-05-23", "function_start": "2020-02-30"},
]


def _verdict(reject: Any) -> Any:
    return None if reject is None else (reject.line, reject.field, reject.error, reject.record)


def test_row_dates_gives_the_rule_s_verdict_on_every_row() -> None:
    dates = RowDates()
    got = [
        _verdict(dates.check(dict(row), file="m.csv", line=i, record=f"row {i}"))
        for i, row in enumerate(ROWS, start=2)
    ]
    want = [
        _verdict(check_row_dates(dict(row), file="m.csv", line=i, record=f"row {i}"))
        for i, row in enumerate(ROWS, start=2)
    ]
    assert got == want
    # the rows that break the rule are refused each time they come, with their field
    assert [v[1] if v else None for v in got] == [
        None,
        None,
        None,
        "end",
        "end",
        "birth_date",
        "end",
        None,
        None,
        "end",
        "function_start",
        None,
        "function_start",
    ]


def test_row_dates_leaves_the_row_as_it_was() -> None:
    row = {"birth_date": "1960-04-02", "start": "2014-03-30", "end": None}
    dates = RowDates()
    for _ in range(2):
        assert dates.check(row, file="m.csv", line=2) is None
    assert row == {"birth_date": "1960-04-02", "start": "2014-03-30", "end": None}


def test_parse_dmy_cached_and_uncached_cells_agree() -> None:
    cells = ["4/4/2014", "4/4/2014", " 31/2/2008 ", "8/1/0018", "04/04/2014"]
    assert [parse_dmy(c, file="f", line=2, column="Date") for c in cells] == [
        "2014-04-04",
        "2014-04-04",
        "2008-02-31",
        "0018-01-08",
        "2014-04-04",
    ]


def test_a_case_is_reviewed_once_per_file() -> None:
    """One load of two files reports what a load of each would (``LoadContext.flag``)."""
    review: list[dict[str, Any]] = []
    ctx = LoadContext(store=None, review=review)  # type: ignore[arg-type]
    for file, line in (("a.csv", 2), ("a.csv", 9), ("b.csv", 4)):
        ctx.flag(("missing-city", "insee:97501"), {"kind": "review", "file": file, "line": line})
    ctx.flag(("missing-city", "insee:97502"), {"kind": "review", "file": "a.csv", "line": 3})
    assert [(r["file"], r["line"]) for r in review] == [("a.csv", 2), ("b.csv", 4), ("a.csv", 3)]
