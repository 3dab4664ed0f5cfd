"""One module per engine, each behind the :class:`~civicgraph.graph.backends.base.GraphBackend` protocol."""

from .base import GraphBackend

__all__ = ["GraphBackend"]
