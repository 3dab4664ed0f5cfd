"""Gould–Fernandez brokerage roles, counted exactly as R's ``sna::brokerage`` raw scores.

docs/design.md §4: for every ordered two-path ``i → j → k`` with ``i``, ``j``, ``k`` distinct and
**no** arc ``i → k``, the broker ``j`` scores one of five roles from the groups ``g``:

=================  ======================  ==============  =====================
role               condition               sna column      two-path
=================  ======================  ==============  =====================
``coordinator``    g(i) = g(j) = g(k)      ``w_I``         A → A → A
``itinerant``      g(i) = g(k) ≠ g(j)      ``w_O``         A → B → A
``representative`` g(i) = g(j) ≠ g(k)      ``b_IO``        A → A → B
``gatekeeper``     g(j) = g(k) ≠ g(i)      ``b_OI``        A → B → B
``liaison``        all three differ        ``b_O``         A → B → C
=================  ======================  ==============  =====================

``total`` (sna's ``t``) is their sum: the number of open two-paths ``j`` sits on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from civicgraph.graph.store import Store

__all__ = ["gould_fernandez", "brokerage_frame", "ROLES"]

#: Role names in sna's column order (``w_I, w_O, b_IO, b_OI, b_O, t``).
ROLES = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison", "total")


def gould_fernandez(
    G: nx.Graph, group: str | Mapping[Hashable, Any]
) -> dict[Hashable, dict[str, int]]:
    """Count each node's Gould–Fernandez brokerage roles (``sna::brokerage`` raw counts).

    Parameters
    ----------
    G : networkx graph
        Directed or undirected.  An undirected edge counts as arcs both ways; parallel
        edges count once and self-loops are ignored (sna works on the binary adjacency
        matrix, and a broker needs three distinct nodes).
    group : str or mapping
        The name of a node attribute (``"party"``, ``"kind"``, ``"departement"``), or a
        mapping node → group.  A node without a group value belongs to the group ``None``:
        all such nodes form one group together.

    Returns
    -------
    dict
        node → ``{"coordinator", "itinerant", "representative", "gatekeeper", "liaison",
        "total": int}`` for every node of *G* (zeros included).

    See Also
    --------
    brokerage_frame : the same from a store, as a table.

    Notes
    -----
    For each broker ``j`` and each predecessor ``i``, the candidate third nodes are
    ``succ(j) - {i}``, minus the ``k`` that ``i`` reaches directly (``succ(i) ∩ succ(j)``,
    the closed two-paths).  Counting ``succ(j)`` by group once per broker, the role counts
    for the pair ``(i, j)`` follow from a few subtractions, so the cost is
    ``O(sum over arcs (i, j) of min(|succ(i)|, |succ(j)|))`` rather than one step per
    two-path.  The tests check it against a brute-force triple loop.

    Examples
    --------
    A → B → C with i and j in one party and k in another: j *represents* its group.

    >>> G = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> nx.set_node_attributes(G, {"a": "PS", "b": "PS", "c": "LR"}, "party")
    >>> gould_fernandez(G, "party")["b"]
    {'coordinator': 0, 'itinerant': 0, 'representative': 1, 'gatekeeper': 0, 'liaison': 0, 'total': 1}

    Closing the triangle with a → c removes the brokerage:

    >>> G.add_edge("a", "c")
    >>> gould_fernandez(G, "party")["b"]["total"]
    0
    """
    if isinstance(group, str):
        raw = dict(G.nodes(data=group))
    else:
        raw = {n: group.get(n) for n in G}
    # Integer codes make the per-arc comparisons cheap and let unhashable-looking values
    # (None) take part like any other group.
    codes: dict[Any, int] = {}
    code = {n: codes.setdefault(raw.get(n), len(codes)) for n in G}
    if G.is_directed():
        succ = {n: {k for k in G.successors(n) if k != n} for n in G}
        pred = {n: {i for i in G.predecessors(n) if i != n} for n in G}
    else:
        succ = {n: {k for k in G.neighbors(n) if k != n} for n in G}
        pred = succ
    result: dict[Hashable, dict[str, int]] = {}
    for j in G:
        coord = itin = rep = gate = liai = 0
        out_j = succ[j]
        if out_j and pred[j]:
            gj = code[j]
            by_group = Counter(code[k] for k in out_j)
            n_out = len(out_j)
            cnt_gj = by_group[gj]
            for i in pred[j]:
                gi = code[i]
                closed = out_j & succ[i]  # k with i -> k: not brokered
                i_back = i in out_j  # k = i is not a two-path either
                open_total = n_out - len(closed) - i_back
                if open_total <= 0:
                    continue
                in_gj = cnt_gj - (i_back and gi == gj)
                if closed:
                    in_gj -= sum(1 for k in closed if code[k] == gj)
                if gi == gj:
                    coord += in_gj
                    rep += open_total - in_gj
                else:
                    in_gi = by_group[gi] - i_back
                    if closed:
                        in_gi -= sum(1 for k in closed if code[k] == gi)
                    itin += in_gi
                    gate += in_gj
                    liai += open_total - in_gi - in_gj
        result[j] = {
            "coordinator": coord,
            "itinerant": itin,
            "representative": rep,
            "gatekeeper": gate,
            "liaison": liai,
            "total": coord + itin + rep + gate + liai,
        }
    return result


def brokerage_frame(
    store: Store,
    group: str,
    *,
    as_of: str | None = None,
    labels: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    directed: bool = True,
    drop_zero: bool = True,
) -> pd.DataFrame:
    """Brokerage roles of the actors of a store projection, one row per actor.

    Parameters
    ----------
    store : Store
    group : str
        Node attribute of :func:`~civicgraph.graph.analysis.projection.to_networkx` to group
        by: ``party``, ``nuance``, ``kind``, ``label``, ``departement``, ``size_class`` or
        any stored property.
    as_of, labels, types, directed
        Passed to :func:`~civicgraph.graph.analysis.projection.to_networkx`; *labels*
        defaults to ``["Actor"]`` (every actor, isolates included; no ``Source`` nodes).
    drop_zero : bool
        Leave out actors whose ``total`` is 0 (default); ``False`` lists every actor.

    Returns
    -------
    pandas.DataFrame
        Columns ``actor, name, group`` and the six :data:`ROLES`, sorted by ``total``
        (descending) then ``actor``.

    Examples
    --------
    >>> brokerage_frame(store, "party", as_of="2021-01-01", types=["PARTNER_OF"])  # doctest: +SKIP
    """
    import pandas as pd

    from .projection import to_networkx

    G = to_networkx(
        store,
        labels=["Actor"] if labels is None else labels,
        types=types,
        as_of=as_of,
        directed=directed,
    )
    counts = gould_fernandez(G, group)
    rows = [
        {"actor": n, "name": G.nodes[n].get("name"), "group": G.nodes[n].get(group), **c}
        for n, c in counts.items()
        if not (drop_zero and c["total"] == 0)
    ]
    df = pd.DataFrame(rows, columns=["actor", "name", "group", *ROLES])
    df = df.sort_values(["total", "actor"], ascending=[False, True], kind="stable")
    return df.reset_index(drop=True)
