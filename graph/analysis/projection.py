"""From the store to networkx: the projections every analysis starts from.

:func:`to_networkx` reads nodes and relationships (optionally only some labels and types, and
only what was valid on one date) into a networkx graph whose nodes are keyed by civicgraph
``id``.  :func:`co_membership` is the two-mode → one-mode projection of memberships in
networks.  :func:`nodes_frame` and :func:`edges_frame` turn any graph into pandas tables.

Filtering happens in Cypher, with values passed only as parameters.  Labels and
relationship types are checked against the model's allow-list first, even though they too
travel as parameters (``type(r) IN $types``), so a typo fails loudly instead of returning
an empty graph.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

import networkx as nx

from civicgraph.graph import dates
from civicgraph.graph.derive import SIZE_CLASSES, UNKNOWN, holds_office_cypher, size_class
from civicgraph.graph.model import specific_label

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from civicgraph.graph.store import Store

__all__ = [
    "to_networkx",
    "co_membership",
    "nodes_frame",
    "edges_frame",
    "size_class",
    "SIZE_CLASSES",
]


# -- small pure helpers --------------------------------------------------------------
def _check_date(date: Any) -> str | None:
    """An "as of" date checked by the one date rule (:func:`civicgraph.graph.dates.check_day`)."""
    return None if date is None else dates.check_day(date, name="as_of")


# -- reading the store ---------------------------------------------------------------
#: "As of" (civicgraph.graph.dates.holds_on): types without dates in the schema
#: (``$undated``) hold without a start; every other relationship needs one.
_VALID = dates.as_of_cypher("r", "$as_of", timeless="$undated")


def _checked(
    store: Store, labels: Iterable[str] | None, types: Iterable[str] | None
) -> tuple[list[str] | None, list[str] | None]:
    if isinstance(labels, str):
        labels = [labels]
    if isinstance(types, str):
        types = [types]
    lab = sorted({store.model.check_label(x) for x in labels}) if labels is not None else None
    typ = sorted({store.model.check_type(x) for x in types}) if types is not None else None
    return lab, typ


def _fetch(
    store: Store, labels: list[str] | None, types: list[str] | None, as_of: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Node rows and relationship rows, sorted, filtered in Cypher."""
    params: dict[str, Any] = {}
    node_where = ""
    if labels is not None:
        node_where = " WHERE any(l IN labels(n) WHERE l IN $labels)"
        params["labels"] = labels
    nodes = store.query(
        "MATCH (n)"
        + node_where
        + " RETURN n.id AS id, labels(n) AS labels, properties(n) AS props",
        params,
    )
    conds = []
    if labels is not None:
        conds.append("any(l IN labels(a) WHERE l IN $labels)")
        conds.append("any(l IN labels(b) WHERE l IN $labels)")
    if types is not None:
        conds.append("type(r) IN $types")
        params["types"] = types
    if as_of is not None:
        conds.append(_VALID)
        params["as_of"] = as_of
        params["undated"] = store.model.undated_types
    rels = store.query(
        "MATCH (a)-[r]->(b)"
        + (" WHERE " + " AND ".join(conds) if conds else "")
        + " RETURN a.id AS source, b.id AS target, type(r) AS type, properties(r) AS props",
        params,
    )
    nodes.sort(key=lambda r: str(r["id"]))
    rels.sort(
        key=lambda r: (
            str(r["source"]),
            str(r["target"]),
            r["type"],
            str((r["props"] or {}).get("id", "")),
        )
    )
    return nodes, rels


def _mayoralties(
    store: Store, as_of: str | None
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The ``MAYOR_OF`` term that counts for each city and each person: the one holding the
    office on *as_of* (``start <= as_of < held_until``, derived once for every output by
    :mod:`civicgraph.graph.derive`), else the latest."""
    holding = "" if as_of is None else " WHERE " + holds_office_cypher("r", "$as_of")
    rows = store.query(
        "MATCH (p:Person)-[r:MAYOR_OF]->(c:City)"
        + holding
        + " RETURN p.id AS person, c.id AS city, r.nuance AS nuance, r.party_short AS party,"
        " r.party_basis AS party_basis, r.start AS start, c.departement AS departement",
        {} if as_of is None else {"as_of": as_of},
    )
    # Two terms holding on one day means two sources disagree: the latest start wins, then
    # the smallest person id, as in the stored queries (ORDER BY p.id, head).
    rows.sort(key=lambda r: str(r["person"]), reverse=True)
    rows.sort(key=lambda r: r["start"] or "")  # stable: the last row of each city wins
    by_city: dict[str, dict[str, Any]] = {}
    by_person: dict[str, dict[str, Any]] = {}
    for r in rows:
        by_city[r["city"]] = r
        by_person[r["person"]] = r
    return by_city, by_person


def _departements(store: Store) -> dict[str, str]:
    """city id → département code, from ``PART_OF`` a Departement (fallback only)."""
    rows = store.query(
        "MATCH (c:City)-[:PART_OF]->(d:Departement) RETURN c.id AS city, d.id AS dep, d.code AS code"
    )
    return {
        r["city"]: r["code"] or str(r["dep"]).removeprefix("dep:")
        for r in sorted(rows, key=lambda r: str(r["dep"]))
    }


def _node_attributes(
    store: Store, rows: list[dict[str, Any]], as_of: str | None
) -> dict[str, dict[str, Any]]:
    by_city, by_person = _mayoralties(store, as_of)
    deps = _departements(store)

    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        props = dict(row["props"] or {})
        label = specific_label(row["labels"])
        attrs: dict[str, Any] = dict(props)
        attrs["label"] = label
        if label == "Organization":
            attrs["kind"] = props.get("kind", label)
        else:
            if "kind" in props:
                attrs["subkind"] = props["kind"]
            attrs["kind"] = label
        mandate: dict[str, Any] | None = None
        if label == "City":  # size_class: stored on the City (civicgraph.graph.derive)
            dep = props.get("departement") or deps.get(row["id"])
            if dep is not None:
                attrs["departement"] = dep
            mandate = by_city.get(row["id"])
        elif label == "Person":
            mandate = by_person.get(row["id"])
            if mandate is not None:
                dep = mandate["departement"] or deps.get(mandate["city"])
                if dep is not None:
                    attrs["departement"] = dep
        elif label == "Departement":
            attrs["departement"] = props.get("code") or str(row["id"]).removeprefix("dep:")
        elif label == "Party":
            attrs["party"] = props.get("short") or row["id"]
        if mandate is not None and mandate["nuance"] is not None:
            attrs["nuance"] = mandate["nuance"]
        # The party of a city, and of a person who is its mayor, is the term's derived
        # attribution (civicgraph.graph.derive), as every stored query shows it.
        if label == "City" or mandate is not None:
            attrs["party"] = (mandate or {}).get("party") or UNKNOWN
            if mandate is not None and mandate.get("party_basis"):
                attrs["party_basis"] = mandate["party_basis"]
        out[row["id"]] = attrs
    return out


def _collapse(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge the relationships between one ordered (or unordered) pair into one edge."""
    if len(rows) == 1:
        r = rows[0]
        props = dict(r["props"] or {})
        return {
            **props,
            "type": r["type"],
            "types": [r["type"]],
            "count": 1,
            "ids": [props["id"]] if "id" in props else [],
        }
    props_list = [dict(r["props"] or {}) for r in rows]
    merged: dict[str, Any] = {}
    keys = set().union(*props_list) - {"id", "start", "end", "sources"}
    for key in sorted(keys):
        values = [p.get(key) for p in props_list]
        if all(v == values[0] for v in values):  # keep only what every relationship agrees on
            merged[key] = values[0]
    types = sorted({r["type"] for r in rows})
    starts = [str(p["start"]) for p in props_list if p.get("start") is not None]
    ends = [str(p["end"]) for p in props_list if p.get("end") is not None]
    if len(starts) == len(props_list):  # one open start makes the merged edge open
        merged["start"] = min(starts)
    if len(ends) == len(props_list):
        merged["end"] = max(ends)
    sources = sorted({s for p in props_list for s in p.get("sources", [])})
    if sources:
        merged["sources"] = sources
    merged["type"] = types[0] if len(types) == 1 else "|".join(types)
    merged["types"] = types
    merged["count"] = len(rows)
    merged["ids"] = sorted(str(p["id"]) for p in props_list if "id" in p)
    return merged


def to_networkx(
    store: Store,
    *,
    labels: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    as_of: str | None = None,
    directed: bool = True,
    multigraph: bool = False,
) -> nx.Graph:
    """Read the store (or part of it) into a networkx graph keyed by node ``id``.

    Parameters
    ----------
    store : Store
        An open civicgraph store.
    labels : sequence of str, optional
        Keep only nodes carrying one of these labels (``"Actor"`` works too); a
        relationship is kept only when both its ends are kept.
    types : sequence of str, optional
        Keep only these relationship types.
    as_of : str, optional
        ISO day: keep only relationships that hold that day (the one "as of" rule,
        :func:`civicgraph.graph.dates.holds_on`: a relationship of a dated type without a
        ``start`` holds on no day), and take each city's and mayor's ``nuance``/``party``
        from the term holding the office that day.
    directed : bool
        A directed graph (default) or an undirected one.
    multigraph : bool
        One edge per relationship (``MultiDiGraph``/``MultiGraph``, keyed by the
        relationship ``id``) instead of one edge per node pair.

    Returns
    -------
    networkx.DiGraph, Graph, MultiDiGraph or MultiGraph
        Every node of the selection, even without relationships (nodes do not expire).
        Node attributes: every stored property, plus

        * ``label`` -- the specific label (never ``Entity``/``Actor``);
        * ``kind`` -- an Organization's stored ``kind``, else the label (another label's
          stored ``kind``, such as a City's, moves to ``subkind``);
        * ``size_class`` -- cities: the stored size group (:func:`size_class`);
        * ``departement`` -- cities (their property, else the Departement they are
          ``PART_OF``), mayors (their city's), départements (their code);
        * ``nuance`` -- cities and mayors: the ``nuance`` of the ``MAYOR_OF`` term holding
          the office on *as_of* (without *as_of*: the latest term);
        * ``party``, ``party_basis`` -- cities and their mayors: the party attribution of
          that term, derived once for every output (:mod:`civicgraph.graph.derive`), as
          its short name (``PCF``), or ``"unknown"``; the same value the stored queries
          show.  A Party node's ``party`` is its short name.

        Edge attributes: the relationship's properties and ``type``.  In a simple graph,
        parallel relationships are collapsed into one edge with ``types`` (sorted),
        ``count``, ``ids``, the earliest ``start`` and latest ``end`` (left out when one of
        them is open), the union of ``sources``, and the other properties all of them
        agree on.

    Raises
    ------
    UnknownLabel, UnknownRelationshipType
        A label or type is not in the schema.

    Examples
    --------
    >>> G = to_networkx(store, types=["PARTNER_OF"], as_of="2020-01-01")  # doctest: +SKIP
    >>> G.nodes["org:a"]["label"]                                          # doctest: +SKIP
    'Organization'
    """
    as_of = _check_date(as_of)
    lab, typ = _checked(store, labels, types)
    node_rows, rel_rows = _fetch(store, lab, typ, as_of)
    attrs = _node_attributes(store, node_rows, as_of)
    if multigraph:
        G: nx.Graph = nx.MultiDiGraph() if directed else nx.MultiGraph()
    else:
        G = nx.DiGraph() if directed else nx.Graph()
    G.graph.update(
        {k: v for k, v in (("as_of", as_of), ("labels", lab), ("types", typ)) if v is not None}
    )
    for row in node_rows:
        G.add_node(row["id"], **attrs[row["id"]])
    if multigraph:
        for r in rel_rows:
            props = dict(r["props"] or {})
            key = props.get("id")
            G.add_edge(r["source"], r["target"], key=key, type=r["type"], **props)
        return G
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rel_rows:
        u, v = r["source"], r["target"]
        if not directed and str(v) < str(u):
            u, v = v, u
        groups[(u, v)].append(r)
    for (u, v), rows in groups.items():
        G.add_edge(u, v, **_collapse(rows))
    return G


# -- co-membership --------------------------------------------------------------------
def _overlap(p: dict[str, Any], q: dict[str, Any], horizon: str) -> int:
    if p.get("start") is None or q.get("start") is None:
        return 0
    lo = max(p["start"], q["start"])
    hi = min(p.get("end") or horizon, q.get("end") or horizon, horizon)
    return max(0, dates.days_between(lo, hi)) if hi > lo else 0


def co_membership(
    store: Store,
    *,
    as_of: str | None = None,
    network_types: Sequence[str] = ("MEMBER_OF",),
    weight: str = "count",
) -> nx.Graph:
    """Project memberships in networks onto the members: actors linked by shared networks.

    The two-mode graph is actor → ``Network`` relationships of *network_types*; the
    one-mode graph links two actors when they belong to at least one network in common.

    Parameters
    ----------
    store : Store
    as_of : str, optional
        ISO date: only memberships valid that day.
    network_types : sequence of str
        Relationship types that mean membership (default ``("MEMBER_OF",)``).
    weight : {"count", "overlap_days"}
        ``count``: number of shared networks (what
        :func:`networkx.algorithms.bipartite.weighted_projected_graph` gives).
        ``overlap_days``: total days both were members of the same network, summed over
        shared networks; an open membership runs until *as_of* (or today without it),
        and a membership without ``start`` adds nothing (its length is unknown).

    Returns
    -------
    networkx.Graph
        Every actor with a membership (with the attributes of :func:`to_networkx`), edges
        with ``weight`` and ``networks`` (sorted ids of the shared networks).

    Examples
    --------
    >>> G = co_membership(store, as_of="2021-01-01")   # doctest: +SKIP
    >>> G["insee:38185"]["insee:75056"]                # doctest: +SKIP
    {'weight': 1, 'networks': ['net:anvita']}
    """
    if weight not in ("count", "overlap_days"):
        raise ValueError(f"weight must be 'count' or 'overlap_days', not {weight!r}")
    as_of = _check_date(as_of)
    B = to_networkx(store, types=list(network_types), as_of=as_of, multigraph=True)
    members: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for u, v, data in B.edges(data=True):
        if B.nodes[v].get("label") == "Network" and u != v:
            members[v][u].append(data)
    G = nx.Graph()
    G.graph.update({k: v for k, v in (("as_of", as_of), ("weight", weight)) if v is not None})
    actors = sorted({a for m in members.values() for a in m})
    for a in actors:
        G.add_node(a, **B.nodes[a])
    horizon = as_of or dt.date.today().isoformat()
    for net in sorted(members):
        ids = sorted(members[net])
        for a, b in combinations(ids, 2):
            if weight == "count":
                w = 1
            else:
                w = sum(_overlap(p, q, horizon) for p in members[net][a] for q in members[net][b])
            if G.has_edge(a, b):
                G[a][b]["weight"] += w
                G[a][b]["networks"].append(net)
            else:
                G.add_edge(a, b, weight=w, networks=[net])
    return G


# -- frames ------------------------------------------------------------------------------
def nodes_frame(G: nx.Graph) -> pd.DataFrame:
    """One row per node: ``id``, then every attribute (missing values are ``NaN``/``None``).

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("org:a", label="Organization", name="A")
    >>> G.add_node("org:b", label="Organization")
    >>> nodes_frame(G)[["id", "label"]].to_dict("records")
    [{'id': 'org:a', 'label': 'Organization'}, {'id': 'org:b', 'label': 'Organization'}]
    """
    import pandas as pd

    rows = [{"id": n, **{k: v for k, v in d.items() if k != "id"}} for n, d in G.nodes(data=True)]
    columns = ["id", *sorted({k for r in rows for k in r} - {"id"})]
    return pd.DataFrame(rows, columns=columns)


def edges_frame(G: nx.Graph) -> pd.DataFrame:
    """One row per edge: ``source``, ``target`` (and ``key`` for multigraphs), then attributes.

    Examples
    --------
    >>> G = nx.DiGraph([("org:a", "org:b", {"type": "PARTNER_OF"})])
    >>> edges_frame(G).to_dict("records")
    [{'source': 'org:a', 'target': 'org:b', 'type': 'PARTNER_OF'}]
    """
    import pandas as pd

    head = ["source", "target"]
    rows: list[dict[str, Any]] = []
    if G.is_multigraph():
        head.append("key")
        for u, v, k, d in G.edges(keys=True, data=True):
            rows.append({"source": u, "target": v, "key": k, **d})
    else:
        for u, v, d in G.edges(data=True):
            rows.append({"source": u, "target": v, **d})
    columns = head + sorted({k for r in rows for k in r} - set(head))
    return pd.DataFrame(rows, columns=columns)
