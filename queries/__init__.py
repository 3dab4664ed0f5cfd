"""Stored Cypher queries: the ``.cypher`` files in this folder and the registry that runs them.

>>> from civicgraph.queries import load_catalogue
>>> "mayors_of" in load_catalogue().names()
True
"""

from . import registry
from .registry import *  # noqa: F403 - the public names, listed once in registry.__all__

__all__ = registry.__all__
