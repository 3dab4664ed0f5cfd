"""Network analysis over store projections: projection, brokerage, centrality, time.

Every module declares ``__all__`` and is re-exported here, as networkx's
``algorithms/centrality/__init__.py`` does:

>>> from civicgraph.graph.analysis import gould_fernandez, betweenness, slices
>>> slices(2019, 2020)
['2019-01-01', '2020-01-01']
"""

from . import brokerage, centrality, projection, temporal  # noqa: I001
from .brokerage import *  # noqa: F403
from .centrality import *  # noqa: F403
from .projection import *  # noqa: F403
from .temporal import *  # noqa: F403

__all__ = projection.__all__ + brokerage.__all__ + centrality.__all__ + temporal.__all__
