"""Formatting rows for people (a table that fits the terminal) and for scripts (CSV, JSON)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Sequence
from typing import Any

from .records import to_plain

__all__ = ["format_rows", "FORMATS"]

FORMATS = ("table", "csv", "json")


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
    """Render rows as ``table`` (fits *width*, default the terminal), ``csv`` or ``json``.

    >>> print(format_rows([{"a": 1, "b": "x"}], "csv").strip())
    a,b
    1,x
    """
    cols = list(columns) if columns else _columns(rows)
    if fmt == "json":
        return (
            json.dumps(
                [{c: to_plain(r.get(c)) for c in cols} for r in rows], ensure_ascii=False, indent=2
            )
            + "\n"
        )
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([_cell(r.get(c)) for c in cols])
        return buf.getvalue()
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    from tabulate import tabulate

    if not rows:
        return "(no rows)\n"
    width = width or shutil.get_terminal_size((120, 24)).columns
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    # Share the width among columns: narrow ones keep their size, wide ones are cut.
    budget = max(width - 3 * len(cols), 10 * len(cols))
    natural = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    limit = max(natural) if sum(natural) <= budget else _fair_limit(natural, budget)

    def cut(text: str) -> str:
        return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"

    body = [[cut(x) for x in row] for row in cells]
    return (
        tabulate(body, headers=[cut(c) for c in cols], tablefmt="simple", disable_numparse=True)
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


def _columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    return cols
