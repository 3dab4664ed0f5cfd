"""Shared fixtures: a fresh embedded store in a temp dir, the seeded ANVITA case, and a check
that no engine process outlives the tests (sqlite-utils' ``fresh_db`` / ``close_all``)."""

from __future__ import annotations

import os
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicgraph.graph import Store, open_store
from civicgraph.graph.engine import running_engines

# Keep the suite's engines apart from any store in the working directory.
os.environ.pop("CIVICGRAPH_DB", None)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A path where a store may be created."""
    return tmp_path / "test.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A fresh, empty embedded store, closed after the test."""
    s = open_store(db_path)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="session")
def case_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store directory holding the ANVITA demo case (built once per session; copy before writing)."""
    from civicgraph.app.demo import build_case

    path = tmp_path_factory.mktemp("case") / "case.db"
    with open_store(path) as s:
        build_case(s, progress=False)
    return path


@pytest.fixture
def case_store(case_db: Path) -> Iterator[Store]:
    """The seeded ANVITA case, opened read/write (shared session copy: do not write)."""
    s = open_store(case_db)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def case_copy(case_db: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the seeded case, safe to write to."""
    dest = tmp_path / "copy.db"
    shutil.copytree(case_db, dest, ignore=shutil.ignore_patterns("lock", "server.json"))
    s = open_store(dest)
    try:
        yield s
    finally:
        s.close()


NEO4J_SKIP = (
    "NEO4J_URI is not set: no Neo4j server here (start one with `docker compose up -d` "
    "and export NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD to run these)"
)


@pytest.fixture
def neo4j_store() -> Iterator[Store]:
    """An empty store on the Neo4j server of ``NEO4J_URI`` (skips without one); it refuses a
    populated database unless ``CIVICGRAPH_TEST_RESETDB=1``, and is emptied afterwards."""
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip(NEO4J_SKIP)
    store = open_store(uri)
    n = store.query("MATCH (n) RETURN count(n) AS n")[0]["n"]
    if n and not os.environ.get("CIVICGRAPH_TEST_RESETDB"):
        store.close()
        pytest.skip(
            f"the Neo4j database holds {n} nodes: refusing to touch it "
            "(set CIVICGRAPH_TEST_RESETDB=1 to let the tests empty it)"
        )
    store.execute("MATCH (n) DETACH DELETE n")
    try:
        yield store
    finally:
        store.execute("MATCH (n) DETACH DELETE n")
        store.close()


@pytest.fixture
def no_engine_survives(tmp_path: Path) -> Iterator[None]:
    """After the test, no engine process of the test's stores is left, stopped or running
    (a ``psutil`` scan of command lines holding ``tmp_path``); those found are killed."""
    from engine_processes import engines_under, wait_for

    yield
    try:
        wait_for(lambda: not engines_under(tmp_path), timeout=20)
    except AssertionError:
        left = engines_under(tmp_path)
        states = [(p.pid, p.status()) for p in left]
        for p in left:
            p.kill()
        raise AssertionError(f"engine processes outlived the test: {states}") from None


@pytest.fixture(autouse=True, scope="session")
def _no_engine_left_behind() -> Iterator[None]:
    yield
    left = running_engines()
    assert not left, f"embedded engines still running after the tests: {left}"


#: Probes of data integrity (issue 19), by class and outcome; printed at the end of the run.
PROBES: pytest.StashKey[defaultdict[str, Counter[str]]] = pytest.StashKey()


@pytest.fixture(scope="session")
def probes(request: pytest.FixtureRequest) -> defaultdict[str, Counter[str]]:
    """``probes[cls][outcome] += 1`` for each hostile or ordinary input a test tries."""
    return request.config.stash.setdefault(PROBES, defaultdict(Counter))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    found = terminalreporter.config.stash.get(PROBES, None)
    if not found:
        return
    total = sum(sum(c.values()) for c in found.values())
    parts = [
        f"{cls} {sum(c.values())} ({', '.join(f'{k} {v}' for k, v in sorted(c.items()))})"
        for cls, c in sorted(found.items())
    ]
    terminalreporter.write_line(
        f"[fuzz] {total} integrity probes tried, per class and outcome: " + "; ".join(parts)
    )
