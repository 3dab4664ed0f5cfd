"""The write path of #15 (GRAPH.BULK for new rows) against the path before it (``UNWIND …
CREATE``) on the same files: the 400,000-row synthetic load of #13 and the register
samples, each giving the same store digest and the same summary."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from civicgraph.graph import Store, open_store
from civicgraph.loaders import load

ROOT = Path(__file__).resolve().parents[2]


def _gen_partners() -> Callable[..., tuple[Path, Path]]:
    spec = importlib.util.spec_from_file_location("gen_partners", ROOT / "bench/gen_partners.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_partners  # type: ignore[no-any-return]


def _compare(tmp_path: Path, loads: Callable[[Store], list[dict[str, Any]]]) -> None:
    results = []
    for bulk in (True, False):
        with open_store(tmp_path / f"bulk-{bulk}.db") as store:
            store.bulk = bulk
            summaries = loads(store)
            for s in summaries:
                s.pop("seconds")
            results.append((store.digest(), summaries, store.totals()))
    assert results[0] == results[1]


@pytest.mark.slow
def test_the_400000_row_load_gives_the_same_graph(tmp_path: Path) -> None:
    nodes, edges = _gen_partners()(tmp_path / "in")  # 100,000 nodes, 300,000 edges

    def loads(store: Store) -> list[dict[str, Any]]:
        return [load(store, nodes=[nodes], edges=[edges], progress=False).as_dict()]

    _compare(tmp_path, loads)


@pytest.mark.slow
def test_the_register_samples_give_the_same_graph(
    tmp_path: Path, register_loads: list[tuple[list[Path], dict[str, Any]]]
) -> None:
    """Communes, nuances, the three mayor registers, one after the other (later loads meet
    the persons and cities of earlier ones: updates, and new terms of stored persons)."""

    def loads(store: Store) -> list[dict[str, Any]]:
        return [
            load(store, files, progress=False, **opts).as_dict() for files, opts in register_loads
        ]

    _compare(tmp_path, loads)
