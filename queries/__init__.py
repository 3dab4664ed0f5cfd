"""Stored Cypher queries: the ``.cypher`` files in this folder and the registry that runs them.

>>> from civicgraph.queries import load_catalogue
>>> "mayors_of" in load_catalogue().names()
True
"""

from .registry import (
    PARAM_TYPES,
    Catalogue,
    Param,
    StoredQuery,
    load_catalogue,
    named_parameters,
)

__all__ = [
    "PARAM_TYPES",
    "Catalogue",
    "Param",
    "StoredQuery",
    "load_catalogue",
    "named_parameters",
]
