"""A query's result: its rows as every output shows them, and what produced them.

:class:`QueryResult` is what :meth:`civicgraph.queries.StoredQuery.run` returns, and what
``civicgraph query`` and ``civicgraph serve`` format: one object, so the table on the terminal,
the CSV, the JSON, the web page and the notebook's DataFrame hold the same rows.  It *is* a
list of row dicts (code written for a list keeps working) that also knows its columns, the
query's name, the parameters it ran with and the Cypher text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .output import column_names, format_rows, plain_rows

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

__all__ = ["QueryResult"]


class QueryResult(list[dict[str, Any]]):
    """Rows of a query (dates already at their precision) with their provenance.

    >>> r = QueryResult([{"id": "insee:38185", "name": "Grenoble"}], query="q", params={"d": 1})
    >>> r[0]["name"], r.columns, r == [{"id": "insee:38185", "name": "Grenoble"}]
    ('Grenoble', ['id', 'name'], True)

    Parameters
    ----------
    rows : iterable of dict
        The rows, as outputs show them.
    columns : sequence of str, optional
        The column order; by default every key of *rows* in the order it first appears
        (as ``--format csv`` writes them).
    query : str, optional
        The stored query's name (``None`` for an ad-hoc statement).
    params : dict, optional
        The parameters it ran with, converted to their declared types.
    text : str, optional
        The Cypher text that ran.
    """

    def __init__(
        self,
        rows: Iterable[dict[str, Any]] = (),
        *,
        columns: Sequence[str] | None = None,
        query: str | None = None,
        params: dict[str, Any] | None = None,
        text: str | None = None,
    ) -> None:
        super().__init__(rows)
        self.columns: list[str] = list(columns) if columns is not None else column_names(self)
        self.query = query
        self.params: dict[str, Any] = dict(params or {})
        self.text = text

    def format(self, fmt: str = "table", width: int | None = None) -> str:
        """The rows as ``civicgraph query --format FMT`` prints them (table, csv, json).

        >>> print(QueryResult([{"city": "=1+1"}]).format("csv"), end="")
        city
        '=1+1
        """
        return format_rows(self, fmt, self.columns or None, width=width)

    def plain_rows(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready dicts (nodes and relationships become dicts)."""
        return plain_rows(self, self.columns or None)

    def to_dict(self) -> dict[str, Any]:
        """``{"rows", "columns", "query", "params"}``: the JSON of ``civicgraph serve``.

        >>> QueryResult([{"n": 1}], query="count", params={"x": "a"}).to_dict()
        {'rows': [{'n': 1}], 'columns': ['n'], 'query': 'count', 'params': {'x': 'a'}}
        """
        return {
            "rows": self.plain_rows(),
            "columns": list(self.columns),
            "query": self.query,
            "params": dict(self.params),
        }

    def to_df(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame, columns in order.

        Dates stay the text every output prints (``2018``, ``2018-09-26``): a date known to
        the year is not a day, so it is not turned into a timestamp.  Lists stay lists.
        ``df.attrs`` holds the query's name and parameters.

        >>> QueryResult([{"name": "Grenoble", "since": "2018-09-26"}]).to_df()
               name       since
        0  Grenoble  2018-09-26
        """
        import pandas as pd

        df = pd.DataFrame(self.plain_rows(), columns=self.columns)
        df.attrs.update({"query": self.query, "params": dict(self.params)})
        return df

    def _repr_html_(self) -> str:
        """Jupyter shows the result as its DataFrame."""
        html: str = self.to_df()._repr_html_()  # type: ignore[operator]
        return html
