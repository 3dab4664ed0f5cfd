"""What a node and an edge look like on a page: colours, shapes, and the party or nuance a
node shows on each date (its timeline, from the mayoral terms' derived attribution).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import networkx as nx

__all__ = [
    "CATEGORICAL",
    "EDGE_COLOURS",
    "EDGE_DEFAULT_COLOUR",
    "KIND_COLOURS",
    "NO_VALUE",
    "NO_VALUE_COLOUR",
    "NUANCE_TYPES",
    "PARTY_COLOURS",
    "REFERENCE_LABELS",
    "SHAPES",
    "node_affiliations",
    "display_name",
    "edge_dates",
    "iso",
    "number",
    "make_palette",
    "party_bases",
    "rgba",
    "short_name",
]

NO_VALUE = "(none)"
NO_VALUE_COLOUR = "#c8c8c8"

KIND_COLOURS = {
    "City": "#4e79a7",
    "Person": "#f28e2b",
    "Party": "#b07aa1",
    "Network": "#59a14f",
    "Organization": "#76b7b2",
    "Event": "#edc948",
    "Departement": "#9c755f",
    "Region": "#b6992d",
    "Source": "#bab0ac",
    "Statistic": "#ff9da7",
    "Nuance": "#d4a6c8",
}
# Reference nodes: the registers' scaffolding (codes, territories, citations) rather than the
# actors a story is about.  Whole-graph pages hide them until asked; their counts dwarf the
# rest (129 nuances, 101 départements and 43 sources in the ANVITA case).
REFERENCE_LABELS = ("Nuance", "Departement", "Region", "Source")
SHAPES = {"Network": "diamond", "Party": "square", "Event": "triangle", "Source": "dot"}

# French party shorts and the ministry's nuance codes (with and without the "L" list
# prefix) in their customary colours; anything else gets a categorical colour.
PARTY_COLOURS = {
    **dict.fromkeys(["EELV", "ECO", "VEC", "LVEC", "LECO", "EE-LV", "LE", "VERTS"], "#3aa845"),
    **dict.fromkeys(["PS", "SOC", "LSOC"], "#e4007c"),
    **dict.fromkeys(["PCF", "COM", "LCOM"], "#d40000"),
    **dict.fromkeys(["LFI", "FI", "LFI-NFP"], "#c9462c"),
    **dict.fromkeys(["DVG", "LDVG", "PRG", "LRDG"], "#f29fc5"),
    **dict.fromkeys(["UG", "LUG", "NFP", "UGE", "LUGE"], "#ea5a8f"),
    **dict.fromkeys(["EXG", "LEXG", "LO", "NPA"], "#8b0000"),
    **dict.fromkeys(["LR", "LLR", "UMP", "LUMP", "RPR"], "#1f5fbf"),
    **dict.fromkeys(["DVD", "LDVD"], "#7aa6e0"),
    **dict.fromkeys(["UD", "LUD", "UDI", "LUDI", "UC", "LUC"], "#4ba3c7"),
    **dict.fromkeys(["MODEM", "MDM", "LMDM", "DEM"], "#f39200"),
    **dict.fromkeys(["RE", "REM", "LREM", "ENS", "LENS", "REN", "HOR", "LHOR"], "#f7c600"),
    **dict.fromkeys(["DVC", "LDVC", "CEN", "LCEN"], "#ffd98a"),
    **dict.fromkeys(["RN", "FN", "LRN", "LFN"], "#0d2a5c"),
    **dict.fromkeys(["EXD", "LEXD", "REC", "LREC", "DLF", "LDLF"], "#404060"),
    **dict.fromkeys(["REG", "LREG"], "#a0785a"),
    **dict.fromkeys(["DIV", "LDIV", "SE", "NC", "DSV", "LDSV"], "#a7a7a7"),
}
CATEGORICAL = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#8cd17d",
    "#b6992d",
    "#499894",
    "#86bcb6",
    "#d37295",
    "#fabfd2",
    "#79706e",
    "#d4a6c8",
    "#a0cbe8",
    "#f1ce63",
]
EDGE_COLOURS = {
    "MEMBER_OF": "#6aa86a",
    "MAYOR_OF": "#e8913a",
    "PRESIDENT_OF": "#e15759",
    "COUNCILLOR_OF": "#e3c14d",
    "PART_OF": "#b9b2aa",
    "PARTNER_OF": "#5fa8a3",
    "PARTICIPATED_IN": "#9d7660",
    "SIGNED": "#d37295",
    "ORGANISED": "#7fa9d6",
    "ABOUT": "#c79bc0",
    "CITES": "#c8c8c8",
    "MAPS_TO": "#8cc57d",
}
EDGE_DEFAULT_COLOUR = "#9a9a9a"
# Relationship types whose ``nuance`` gives the colour of both ends under color_by="nuance".
NUANCE_TYPES = ("MAYOR_OF", "PRESIDENT_OF")


def iso(value: str | date | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def display_name(n: Any, data: Mapping[str, Any]) -> str:
    for key in ("name", "title", "short", "code"):
        value = data.get(key)
        if value not in (None, ""):
            return str(value)
    return str(n)


def short_name(n: Any, data: Mapping[str, Any]) -> str:
    """The text drawn on the canvas: a node's ``short`` name when it has one (ANVITA, EELV)."""
    short = data.get("short")
    return str(short) if short not in (None, "") else display_name(n, data)


def edge_dates(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The period a relationship holds, as the date slider uses it: ``start`` (or an event's
    ``date``) to ``end`` — for a mayoral term, to ``held_until``, the day the city's next
    term took over (derived once for every output, :mod:`civicgraph.graph.derive`)."""
    start = data.get("start") or data.get("date")
    end = data.get("held_until") or data.get("end")
    return iso(start) if start else None, iso(end) if end else None


def rgba(colour: str, alpha: float) -> str:
    """``#rrggbb`` → ``rgba(r,g,b,a)``: a plain colour string is the cheapest for vis to draw."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def node_affiliations(G: nx.Graph, dimension: str) -> dict[Any, tuple[str | None, list[list[Any]]]]:
    """Node → (value for "all dates", [[start, end, value], …]) for party or nuance.

    The timeline comes from the node's relationships: a mayoral term (``MAYOR_OF`` /
    ``PRESIDENT_OF``) colours both its ends from its ``start`` to its ``held_until`` with
    the term's party attribution (``party_short``, derived once for every output) or its
    ``nuance``; for party, a ``MEMBER_OF`` a Party colours the member.  A node without
    such relationships keeps its own ``party``/``nuance`` attribute, constant.  The "all
    dates" value is the latest: the open-ended period with the latest start, else the
    period that started last.
    """
    timelines: dict[Any, list[list[Any]]] = {}

    def party_name(value: Any) -> str:
        # A party given by id ("party:eelv") shows as its short name.
        if value in G and G.nodes[value].get("label") == "Party":
            return short_name(value, G.nodes[value])
        text = str(value)
        return text.split(":", 1)[1].upper() if text.startswith("party:") else text

    def add(node: Any, start: str | None, end: str | None, value: Any) -> None:
        if value in (None, "") or isinstance(value, list | dict):
            value = None  # a period without a value: no colour then (not the previous one)
        elif dimension == "party":
            value = party_name(value)
        timelines.setdefault(node, []).append([start, end, None if value is None else str(value)])

    for u, v, data in G.edges(data=True):
        rel_type = data.get("type")
        start, end = edge_dates(data)
        if rel_type in NUANCE_TYPES:  # an office's party or nuance colours both ends
            party = data.get("party_short") or data.get("party")
            value = party if dimension == "party" else data.get("nuance")
            add(u, start, end, value)
            add(v, start, end, value)
        elif (
            dimension == "party" and rel_type == "MEMBER_OF" and G.nodes[v].get("label") == "Party"
        ):
            add(u, start, end, v)
    for node in list(timelines):  # nothing to draw from periods that all lack a value
        if all(p[2] is None for p in timelines[node]):
            del timelines[node]
    out: dict[Any, tuple[str | None, list[list[Any]]]] = {}
    for n, data in G.nodes(data=True):
        own = data.get(dimension)
        if n in timelines:
            periods = sorted(timelines[n], key=lambda p: (p[0] or "", p[1] or "9999"))
            open_ended = [p for p in periods if not p[1]]
            current = (open_ended or periods)[-1][2]
            out[n] = (current, periods)
        elif own not in (None, "", "unknown") and not isinstance(own, list | dict):
            out[n] = (party_name(own) if dimension == "party" else str(own), [])
        elif dimension == "party" and data.get("label") == "Party":
            out[n] = (short_name(n, data), [])
    return out


def party_bases(G: nx.Graph) -> list[str]:
    """The kinds of basis behind the party colours of a page, for its legend."""
    kinds = {
        "stated by source": "source",
        "register nuance": "register nuance",
        "party membership": "membership",
        "carried from": "carried",
    }
    seen: set[str] = set()
    for _, _, data in G.edges(data=True):
        basis = str(data.get("party_basis") or "")
        for prefix, kind in kinds.items():
            if data.get("type") in NUANCE_TYPES and basis.startswith(prefix):
                seen.add(kind)
    return [k for k in kinds.values() if k in seen]


def make_palette(values: Counter[str], color_by: str) -> dict[str, str]:
    fixed = KIND_COLOURS if color_by == "kind" else PARTY_COLOURS
    palette: dict[str, str] = {}
    for value in values:
        colour = fixed.get(value if color_by == "kind" else value.strip().upper())
        if value == NO_VALUE:
            palette[value] = NO_VALUE_COLOUR
        elif colour:
            palette[value] = colour
    # Values without a customary colour take unused categorical colours, most frequent first.
    used = set(palette.values())
    spare = [c for c in CATEGORICAL if c not in used] or list(CATEGORICAL)
    missing = sorted((v for v in values if v not in palette), key=lambda v: (-values[v], v))
    for i, value in enumerate(missing):
        palette[value] = spare[i % len(spare)]
    return palette


def number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None
