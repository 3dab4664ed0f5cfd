"""Small, real, named facts (and the small files spelling them) that several test modules
build their graphs from.

Grenoble (INSEE 38185, Isère) with its legal population, and its membership of ANVITA,
which it co-founded on 26 September 2018.  Tests add what they need to these
(``{**GRENOBLE, "sources": [...]}``), so the same city is spelled the same way everywhere.
"""

from __future__ import annotations

from typing import Any

GRENOBLE: dict[str, Any] = {
    "id": "insee:38185",
    "name": "Grenoble",
    "population": 158198,
    "departement": "38",
}
#: The ``MEMBER_OF`` relationship from Grenoble to ANVITA.
GRENOBLE_IN_ANVITA: dict[str, Any] = {
    "source": "insee:38185",
    "target": "net:anvita",
    "start": "2018-09-26",
}
#: A mapping file for a communes CSV with columns ``code;nom;pop;dep``: each row a City,
#: its Departement, and the City ``PART_OF`` the Departement.
COMMUNES_MAPPING = """\
format: csv
delimiter: ";"
nodes:
  - label: City
    id: "insee:{code}"
    properties: {name: nom, population: pop}
  - label: Departement
    id: "dep:{dep}"
    properties: {name: dep}
relationships:
  - type: PART_OF
    source: "insee:{code}"
    target: "dep:{dep}"
"""
