"""Tables for people (graph/output.py): they fit the terminal by wrapping, never cutting."""

from __future__ import annotations

from civicgraph.graph.output import format_rows

LONG = (
    "Gould–Fernandez brokerage roles per actor, the raw counts of R's sna::brokerage: for each "
    "actor, how many open two-paths it mediates in each role"
)


def test_a_table_that_fits_is_unchanged() -> None:
    out = format_rows([{"id": "insee:38185", "name": "Grenoble"}], width=80)
    assert out == "id           name\n-----------  --------\ninsee:38185  Grenoble\n"


def test_long_cells_wrap_to_the_width_and_keep_every_character() -> None:
    rows = [
        {"id": "stat:anvita-founding-members-paper", "description": LONG},
        {"id": "net:anvita", "description": "short"},
    ]
    out = format_rows(rows, width=60)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 60 and "…" not in out
    # every word is there, in order, and ids (no spaces) are never split
    description = [line[36:].strip() for line in lines[2:] if line[36:].strip()]
    assert " ".join(w for w in description if not set(w) <= {"-"}) == LONG + " short"
    assert "stat:anvita-founding-members-paper" in out
    # rows stay apart: a line between two rows once a cell spans several lines
    assert sum(1 for line in lines if set(line) <= {"-", " "}) == 2


def test_without_room_every_column_shares_the_width() -> None:
    rows = [{"a": "x" * 50, "b": "y " * 40, "c": "z" * 50}]
    out = format_rows(rows, width=50)
    assert "…" not in out
    assert "".join(out.split()).count("x") == 50 and "".join(out.split()).count("z") == 50
