"""Where the graph package finds its data files: the schema (``CIVICGRAPH_SCHEMA_PATH``
overrides it, like FollowTheMoney's ``FTM_MODEL_PATH``).

The stored queries' folder is the catalogue's own (:func:`civicgraph.queries.queries_path`),
and the shipped data's is the data package's (:func:`civicgraph.data.data_path`): the graph
package knows neither.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

__all__ = ["package_dir", "schema_path"]


def package_dir(package: str) -> Path:
    """The folder an installed package's files are in."""
    return Path(str(resources.files(package)))


def schema_path() -> Path:
    """Folder of the schema YAML files (``CIVICGRAPH_SCHEMA_PATH`` overrides)."""
    env = os.environ.get("CIVICGRAPH_SCHEMA_PATH")
    return Path(env) if env else package_dir("civicgraph.graph") / "schema"
