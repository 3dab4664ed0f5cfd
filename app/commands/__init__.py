"""The ``civicgraph`` commands beyond ``load``, ``derive`` and ``demo``, one module per family:
:mod:`.read` (info, queries, query, cypher, find), :mod:`.brokerage`, :mod:`.outputs`
(export, explore, serve).  :mod:`civicgraph.app.cli` adds them to its group."""
