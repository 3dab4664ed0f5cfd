"""civicgraph's library: the store over two engines, the model, analysis and views.

>>> from civicgraph.graph import open_store
>>> store = open_store("civicgraph.db")   # doctest: +SKIP
"""

from . import errors
from .errors import *  # noqa: F403 - every error, named once in errors.__all__
from .model import Model, load_model
from .records import Node, Path, Relationship
from .store import Store, chunks, open_store
from .writes import WriteCounts

__all__ = [
    "open_store",
    "Store",
    "WriteCounts",
    "chunks",
    "Model",
    "load_model",
    "Node",
    "Relationship",
    "Path",
    "errors",
]
__all__ += errors.__all__
