"""A small, named graph for the analysis tests, built through the store's own upserts.

Grenoble and Bourg-en-Bresse (real INSEE codes and populations, illustrative mandates and
memberships), two mayors of Grenoble, three organisations and two networks::

    PARTNER_OF  org:a → org:b  2018-01-01 .. 2019-01-01   (expired)
                org:a → org:b  2019-06-01 ..              (same pair, again)
                org:b → org:c  2018-06-01 ..
                org:a → org:c  (no dates)
    MEMBER_OF   insee:38185 → net:n1  2018-09-26 ..
                org:a       → net:n1  2019-01-01 .. 2021-01-01
                org:b       → net:n1  2020-01-01 ..
                org:b       → net:n2  2019-01-01 ..
                insee:38185 → net:n2  2020-01-01 ..
    MAYOR_OF    rne:111 → insee:38185  2014-04-04 .. 2020-07-03  nuance LVEC
                rne:222 → insee:38185  2020-07-03 ..             nuance LDVG
"""

from __future__ import annotations

import pytest
from facts import GRENOBLE

from civicgraph.graph import Store
from civicgraph.graph.derive import derive


def build_small_case(store: Store) -> Store:
    store.upsert_nodes(
        "Organization",
        [
            {"id": "org:a", "name": "Alpha", "kind": "cso", "group": "x"},
            {"id": "org:b", "name": "Beta", "group": "y"},
            {"id": "org:c", "name": "Gamma", "kind": "cso", "group": "x"},
        ],
    )
    store.upsert_nodes(
        "Network",
        [
            {"id": "net:n1", "name": "Network one"},
            {"id": "net:n2", "name": "Network two"},
        ],
    )
    store.upsert_nodes(
        "City",
        [
            {**GRENOBLE, "kind": "commune"},
            {"id": "insee:01053", "name": "Bourg-en-Bresse", "population": 41365},
        ],
    )
    store.upsert_nodes("Departement", [{"id": "dep:01", "name": "Ain", "code": "01"}])
    store.upsert_nodes(
        "Person",
        [
            {"id": "rne:111", "name": "Mayor One"},
            {"id": "rne:222", "name": "Mayor Two"},
        ],
    )
    store.upsert_relationships("PART_OF", [{"source": "insee:01053", "target": "dep:01"}])
    store.upsert_relationships(
        "PARTNER_OF",
        [
            {
                "source": "org:a",
                "target": "org:b",
                "start": "2018-01-01",
                "end": "2019-01-01",
                "sources": ["src:one"],
            },
            {"source": "org:a", "target": "org:b", "start": "2019-06-01", "sources": ["src:two"]},
            {"source": "org:b", "target": "org:c", "start": "2018-06-01"},
            {"source": "org:a", "target": "org:c"},
        ],
    )
    store.upsert_relationships(
        "MEMBER_OF",
        [
            {"source": "insee:38185", "target": "net:n1", "start": "2018-09-26"},
            {"source": "org:a", "target": "net:n1", "start": "2019-01-01", "end": "2021-01-01"},
            {"source": "org:b", "target": "net:n1", "start": "2020-01-01"},
            {"source": "org:b", "target": "net:n2", "start": "2019-01-01"},
            {"source": "insee:38185", "target": "net:n2", "start": "2020-01-01"},
        ],
    )
    store.upsert_relationships(
        "MAYOR_OF",
        [
            {
                "source": "rne:111",
                "target": "insee:38185",
                "start": "2014-04-04",
                "end": "2020-07-03",
                "nuance": "LVEC",
            },
            {"source": "rne:222", "target": "insee:38185", "start": "2020-07-03", "nuance": "LDVG"},
        ],
    )
    derive(store)  # what every load does after writing (size classes, terms' parties)
    return store


@pytest.fixture
def small_case(store: Store) -> Store:
    """The module docstring's graph in a fresh embedded store."""
    return build_small_case(store)
