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


@pytest.mark.slow
def test_cli_loads_that_join_a_held_store_give_the_same_graph(
    tmp_path: Path, register_loads: list[tuple[list[Path], dict[str, Any]]]
) -> None:
    """The README's advice for large stores: while one process holds the store open, each
    ``civicgraph load`` joins its engine (and so does the load's reading process) instead of
    starting its own.  The register samples loaded that way give the graph, and the
    summaries, of the same commands each owning the engine."""
    import json
    import os
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("civicgraph")
    env = {**os.environ, "CIVICGRAPH_READ_PROCESS": "always"}

    def run(db: Path, files: list[Path], opts: dict[str, Any]) -> dict[str, Any]:
        flags = ["--skip-invalid"] if opts.get("skip_invalid") else []
        done = subprocess.run(
            [str(exe), "load", "--db", str(db), "--json", *flags, *map(str, files)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        summary: dict[str, Any] = json.loads(done.stdout)
        summary.pop("seconds", None)
        return summary

    first, rest = register_loads[0], register_loads[1:]
    owned, held = tmp_path / "owned.db", tmp_path / "held.db"
    alone = [run(owned, files, opts) for files, opts in register_loads]
    joined = [run(held, *first)]  # the store must exist before it can be held open
    with open_store(held, create=False) as holder:
        pid = holder.backend.engine_pid  # type: ignore[attr-defined]
        assert holder.backend.owns_engine  # type: ignore[attr-defined]
        joined += [run(held, files, opts) for files, opts in rest]
        assert holder.backend.engine_pid == pid  # the same engine served every command
        held_digest, held_totals = holder.digest(), holder.totals()
    with open_store(owned, create=False) as store:
        assert (held_digest, held_totals) == (store.digest(), store.totals())
    assert joined == alone
    assert held_totals[0] > 300 and held_totals[1] > 300, held_totals
