"""Shipped data: the ANVITA case and small register subsets (see SOURCES.md)."""

from __future__ import annotations

import os
from pathlib import Path

from civicgraph.graph.paths import package_dir

__all__ = ["data_path"]


def data_path() -> Path:
    """Folder of the shipped case and register subsets (``CIVICGRAPH_DATA_PATH`` overrides)."""
    env = os.environ.get("CIVICGRAPH_DATA_PATH")
    return Path(env) if env else package_dir("civicgraph.data")
