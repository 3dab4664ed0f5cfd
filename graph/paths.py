"""Where civicgraph finds its data files: the schema, the stored queries and the case data.

Each path can be overridden by an environment variable, like FollowTheMoney's
``FTM_MODEL_PATH``, so a user can point civicgraph at their own queries or schema.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

__all__ = ["data_path", "queries_path", "schema_path"]


def _package_dir(package: str) -> Path:
    return Path(str(resources.files(package)))


def schema_path() -> Path:
    """Folder of the schema YAML files (``CIVICGRAPH_SCHEMA_PATH`` overrides)."""
    env = os.environ.get("CIVICGRAPH_SCHEMA_PATH")
    return Path(env) if env else _package_dir("civicgraph.graph") / "schema"


def queries_path() -> Path:
    """Folder of the stored ``.cypher`` queries (``CIVICGRAPH_QUERIES_PATH`` overrides)."""
    env = os.environ.get("CIVICGRAPH_QUERIES_PATH")
    return Path(env) if env else _package_dir("civicgraph.queries")


def data_path() -> Path:
    """Folder of the shipped case and register subsets (``CIVICGRAPH_DATA_PATH`` overrides)."""
    env = os.environ.get("CIVICGRAPH_DATA_PATH")
    return Path(env) if env else _package_dir("civicgraph.data")
