"""Loaders: one module per source family; each turns rows into records and returns counts.

>>> from civicgraph.loaders import load
>>> load(store, nodes=["nodes.csv"], edges=["edges.csv"])   # doctest: +SKIP
"""

from . import (  # noqa: F401  (register readers)
    case,  # noqa: F401  (registers the "case" reader)
    communes,
    councillors,
    mayors,
    neo4j_admin,  # the neo4j-admin import CSV format
    nuances,
    resolution,
)
from .api import READERS, detect_format, load, register_reader
from .base import run_load
from .records import LoadSummary, NodeRecord, RelRecord

__all__ = [
    "load",
    "READERS",
    "register_reader",
    "detect_format",
    "run_load",
    "LoadSummary",
    "NodeRecord",
    "RelRecord",
]
