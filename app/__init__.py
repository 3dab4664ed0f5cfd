"""civicgraph's face: the command line, the demo, pages and the local web app.

The library is below it and never imports it: ``civicgraph.app`` → ``civicgraph.loaders``
and ``civicgraph.queries`` → ``civicgraph.graph``.
"""
