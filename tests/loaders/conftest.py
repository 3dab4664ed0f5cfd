"""Paths to the shipped register subsets and, when present, the full shared register files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from civicgraph.data import data_path

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def registers() -> Path:
    """``data/registers``: the small real subsets shipped with the package."""
    return data_path() / "registers"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The full register files (``CIVICGRAPH_SHARED_DATA``, default ``../shared/data``)."""
    path = Path(os.environ.get("CIVICGRAPH_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.skip(f"full register files not available at {path}")
    return path
