"""Formatting rows for people (a table that fits the terminal) and for scripts (CSV, JSON).

Two rules protect whoever reads the output (:func:`spreadsheet_safe`, :func:`terminal_safe`):
every CSV cell civicgraph writes that a spreadsheet would evaluate as a formula is written
as text, and a table on the terminal carries no terminal control sequence from the data.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Sequence
from itertools import chain
from typing import Any

from .records import to_plain

__all__ = [
    "FORMATS",
    "CsvLines",
    "column_names",
    "format_rows",
    "from_spreadsheet_safe",
    "plain_rows",
    "spreadsheet_cell",
    "spreadsheet_safe",
    "terminal_safe",
]

FORMATS = ("table", "csv", "json")


# -- CSV for spreadsheets ------------------------------------------------------------------
#: What makes a spreadsheet evaluate a cell (OWASP, "CSV Injection"): a leading ``=``,
#: ``+``, ``-`` or ``@`` starts a formula; a leading tab or carriage return hides one.
SPREADSHEET_ACTIVE = frozenset("=+-@\t\r")
#: A cell that reads back with one ``'`` less: ``'`` (one or more) then an active character.
_QUOTED_ACTIVE = re.compile(r"'+[=+\-@\t\r]")


def spreadsheet_safe(text: str) -> str:
    """*text* as a CSV cell no spreadsheet evaluates: OWASP's leading ``'`` when needed.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'`` (Excel and LibreOffice then show it as text, without the quote).  So that
    :func:`from_spreadsheet_safe` can always undo it, a cell that already starts with
    ``'`` followed (after more quotes) by one of those characters gets one more ``'``.
    Every other cell is unchanged.  Numbers are not text: write them as they are.

    >>> print(spreadsheet_safe('=HYPERLINK("http://evil.example")'))
    '=HYPERLINK("http://evil.example")
    >>> spreadsheet_safe("'=1"), spreadsheet_safe("'s-Hertogenbosch"), spreadsheet_safe("Lyon")
    ("''=1", "'s-Hertogenbosch", 'Lyon')
    """
    if text and (text[0] in SPREADSHEET_ACTIVE or _QUOTED_ACTIVE.match(text)):
        return "'" + text
    return text


def from_spreadsheet_safe(text: str) -> str:
    """The value :func:`spreadsheet_safe` was given: one leading ``'`` fewer on a cell that
    starts with ``'`` (one or more) then ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return; any other cell unchanged.  civicgraph's CSV readers read every cell this way.

    >>> cells = ["=1", "'=1", "''+", "'a", "-", "a=b"]
    >>> all(from_spreadsheet_safe(spreadsheet_safe(v)) == v for v in cells)
    True
    """
    return text[1:] if text[:1] == "'" and _QUOTED_ACTIVE.match(text) else text


def spreadsheet_cell(value: Any, text: str) -> str:
    """*text*, the CSV rendering of *value*, made safe unless *value* is a number.

    >>> spreadsheet_cell(-5, "-5"), spreadsheet_cell("-5", "-5")
    ('-5', "'-5")
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text
    return spreadsheet_safe(text)


class CsvLines:
    r"""Format CSV rows ending in ``\n``, quoting every field that holds ``\r`` or ``\n``.

    Python 3.11's ``csv.writer`` with ``lineterminator="\n"`` leaves a field holding a lone
    ``\r`` unquoted, and such a row splits in two when read back; rows ended with ``\r\n``
    quote both characters, so each row is formatted that way and its ending replaced.

    >>> CsvLines()(["a\rb", "c"])
    '"a\rb",c\n'
    """

    def __init__(self) -> None:
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, lineterminator="\r\n")

    def __call__(self, cells: Sequence[str]) -> str:
        self._buf.seek(0)
        self._buf.truncate(0)
        self._writer.writerow(cells)
        return self._buf.getvalue()[:-2] + "\n"


# -- the terminal ---------------------------------------------------------------------------
#: Terminal control sequences (ECMA-48): CSI (colours, cursor moves, screen clearing), OSC
#: (window titles, hyperlinks, clipboard writes), DCS/SOS/PM/APC strings, other escapes, in
#: their 7-bit (ESC …) and 8-bit (C1) forms; then any control character left, and the
#: bidirectional overrides, which reorder what is shown.
_TERMINAL = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC…
    r"|\x1b[ -/]*[0-~]?"  # other escapes
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)
_SPACES = re.compile(r"[\t\n\r]+")


def terminal_safe(text: str) -> str:
    r"""*text* without terminal control sequences: shown, never obeyed, by a terminal.

    Escape sequences are removed whole and other control characters dropped; tabs and line
    breaks become a space, so a value stays on its row.

    >>> terminal_safe("Lyon\x1b]0;pwned\x07\x1b[31m red\x1b[0m\nnext")
    'Lyon red next'
    """
    if text.isprintable():
        return text
    return _TERMINAL.sub("", _SPACES.sub(" ", text))


def _cell(value: Any) -> str:
    value = to_plain(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def format_rows(
    rows: Sequence[dict[str, Any]],
    fmt: str = "table",
    columns: Sequence[str] | None = None,
    width: int | None = None,
) -> str:
    """Render rows as ``table`` (fits *width*, default the terminal; long cells wrap onto
    more lines, never cut), ``csv`` or ``json``.

    >>> print(format_rows([{"a": 1, "b": "x"}], "csv").strip())
    a,b
    1,x
    """
    cols = list(columns) if columns else column_names(rows)
    if fmt == "json":
        return json.dumps(plain_rows(rows, cols), ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        line = CsvLines()
        out = [line([spreadsheet_safe(c) for c in cols])]
        for r in rows:
            out.append(line([spreadsheet_cell(to_plain(r.get(c)), _cell(r.get(c))) for c in cols]))
        return "".join(out)
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    from tabulate import SEPARATING_LINE, tabulate

    if not rows:
        return "(no rows)\n"
    width = width or shutil.get_terminal_size((120, 24)).columns
    cells = [[terminal_safe(_cell(r.get(c))) for c in cols] for r in rows]
    cols = [terminal_safe(c) for c in cols]
    # Share the width among columns: narrow ones keep their size, wide ones wrap (never cut:
    # a table shows every character the CSV holds).
    budget = max(width - 2 * (len(cols) - 1), 10 * len(cols))
    natural = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    if sum(natural) <= budget:
        return tabulate(cells, headers=cols, tablefmt="simple", disable_numparse=True) + "\n"
    # Columns without spaces (ids, dates, numbers) keep their width while the others can
    # still have 10 characters each: an id split over two lines cannot be copied.
    whole = [i for i in range(len(cols)) if not any(" " in row[i] for row in cells)]
    spare = budget - sum(natural[i] for i in whole)
    if not whole or spare < 10 * (len(cols) - len(whole)):
        whole, spare = [], budget
    rest = [n for i, n in enumerate(natural) if i not in whole]
    limit = _fair_limit(rest, spare) if rest else budget
    widths = [n if i in whole else min(n, limit) for i, n in enumerate(natural)]
    # A line between rows once a cell spans several lines, so rows cannot be mistaken.
    body: list[Any] = []
    for row in cells:
        body += [row, SEPARATING_LINE]
    return (
        tabulate(
            body[:-1],
            headers=cols,
            tablefmt="simple",
            disable_numparse=True,
            maxcolwidths=widths,
            maxheadercolwidths=widths,
        )
        + "\n"
    )


def _fair_limit(natural: list[int], budget: int) -> int:
    lo, hi = 4, max(natural)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(min(n, mid) for n in natural) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def plain_rows(
    rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """*rows* as JSON-ready dicts with the same keys in the same order (every JSON output's
    rows: ``--format json`` and ``civicgraph serve``'s ``.json``).

    >>> plain_rows([{"b": 1}, {"a": "x"}])
    [{'b': 1, 'a': None}, {'b': None, 'a': 'x'}]
    """
    cols = list(columns) if columns else column_names(rows)
    return [{c: to_plain(r.get(c)) for c in cols} for r in rows]


def column_names(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Every key of *rows*, in the order they first appear.

    >>> column_names([{"id": 1, "name": "x"}, {"id": 2, "extra": True}])
    ['id', 'name', 'extra']
    """
    # dict keys keep their first order; a list searched per key cost 60 ms on 13,749 rows
    return list(dict.fromkeys(chain.from_iterable(rows)))
