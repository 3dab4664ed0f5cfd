"""Finding nodes from what people type: a name or part of an id, in any case, with or
without accents.  ``civicgraph find`` and the "did you mean" of an id that matches nothing
(:func:`missing_ids`) read this one rule (:meth:`civicgraph.graph.Store.find`).

Engines have no accent folding in Cypher (FalkorDB has no ``unaccent``; Neo4j's full-text
analyzers differ from FalkorDB's), so the store is read once, ids, names and labels only,
and matched here: on the demo's 474 nodes that takes milliseconds; a store of 500,000 nodes
streams about 40 MB of names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .store import Store

__all__ = ["FIND", "find_nodes", "fold", "missing_ids"]

#: Every node's id, name and labels (the one statement :func:`find_nodes` reads).
FIND = "MATCH (n:Entity) RETURN n.id AS id, n.name AS name, labels(n) AS labels"
_WORD_START = re.compile(r"(?:^|[\s'’\-_:/.(])")


def fold(text: str) -> str:
    """*text* for comparing: accents dropped, case folded, spaces collapsed.

    >>> fold("  Réseau  ACCUEIL "), fold("Saint-Étienne"), fold("STRASSE") == fold("Straße")
    ('reseau accueil', 'saint-etienne', True)
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _rank(needle: str, node_id: str, name: str) -> int | None:
    """How well *needle* (folded) matches: 0 the whole id or name, 1 the id after its
    prefix (``anvita`` → ``net:anvita``), 2 the start of the name, 3 the start of a word of
    the name or id, 4 anywhere in either; ``None``: no match."""
    fid, fname = fold(node_id), fold(name)
    if needle in (fid, fname):
        return 0
    if fid.split(":", 1)[-1] == needle:
        return 1
    if fname.startswith(needle):
        return 2
    for text in (fname, fid):
        if any(text.startswith(needle, m.end()) for m in _WORD_START.finditer(text)):
            return 3
    if needle in fname or needle in fid:
        return 4
    return None


def find_nodes(store: Store, text: str, *, limit: int | None = 20) -> list[dict[str, Any]]:
    """The nodes whose name or id contains *text*, accent- and case-insensitive, best first.

    Rows are ``{"id", "name", "label"}`` (the node's concrete label), ordered by how well
    they match (the whole name or id first, then the id without its prefix, the start of
    the name, the start of a word, anywhere), then by name and id.

    Examples
    --------
    >>> find_nodes(store, "grenoble")   # doctest: +SKIP
    [{'id': 'insee:38185', 'name': 'Grenoble', 'label': 'City'}]
    """
    needle = fold(text)
    if not needle:
        return []
    concrete = set(store.model.labels)
    hits: list[tuple[int, str, str, dict[str, Any]]] = []
    for r in store.query(FIND):
        node_id, name = str(r["id"]), str(r["name"] or "")
        rank = _rank(needle, node_id, name)
        if rank is not None:
            label = next((x for x in sorted(r["labels"]) if x in concrete), r["labels"][0])
            hits.append((rank, fold(name), node_id, {"id": node_id, "name": name, "label": label}))
    hits.sort(key=lambda h: h[:3])
    return [h[3] for h in hits[:limit]]


def missing_ids(store: Store, ids: Iterable[str]) -> list[str]:
    """A line for each of *ids* no node has, with the best match of :func:`find_nodes`.

    >>> missing_ids(store, ["Grenoble"])   # doctest: +SKIP
    ["no node has id 'Grenoble'; did you mean insee:38185 (Grenoble, City)?"]
    """
    wanted = [i for i in dict.fromkeys(ids) if isinstance(i, str)]
    held = store.labels_of(wanted)
    lines = []
    for node_id in wanted:
        if node_id in held:
            continue
        best = store.find(node_id, limit=1)
        lines.append(
            f"no node has id {node_id!r}; did you mean {best[0]['id']} "
            f"({best[0]['name']}, {best[0]['label']})?"
            if best
            else f"no node has id {node_id!r} (`civicgraph find TEXT` finds ids from names)"
        )
    return lines
