"""A first load into a real Neo4j 5 (``NEO4J_URI``; skipped without one): civicgraph's
batched ``UNWIND … MERGE`` load of the synthetic Organization / PARTNER_OF graph, measured
by ``bench/bench_neo4j_load.py`` (which prints the seconds; no timed assertion here)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from civicgraph.graph import Store

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.neo4j


def _bench() -> object:
    spec = importlib.util.spec_from_file_location(
        "bench_neo4j_load", ROOT / "bench/bench_neo4j_load.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_first_load_into_neo4j_is_measured_and_loading_again_changes_nothing(
    neo4j_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _bench().neo4j_first_load(  # type: ignore[attr-defined]
        os.environ["NEO4J_URI"], tmp_path, 2000, 6000
    )
    assert result["nodes"] == 2000 + 2  # and the two Source nodes of the files
    assert result["created"] == result["nodes"] + result["relationships"]
    assert result["unchanged_again"] == result["created"]
    with capsys.disabled():
        print(
            f"\nNeo4j first load: {result['rows']:,.0f} rows in {result['first']:.1f} s "
            f"({result['rows'] / result['first']:,.0f} rows/s)"
        )
