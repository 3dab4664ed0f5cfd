"""Shared fixtures: a fresh embedded store in a temp dir, the seeded ANVITA case, and a check
that no engine process outlives the tests (sqlite-utils' ``fresh_db`` / ``close_all``)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from civicgraph.app.serve import start_server
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
    with open_store(db_path) as s:
        yield s


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
    with open_store(case_db) as s:
        yield s


@pytest.fixture
def case_copy(case_db: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the seeded case, safe to write to."""
    dest = tmp_path / "copy.db"
    shutil.copytree(case_db, dest, ignore=shutil.ignore_patterns("lock", "server.json"))
    with open_store(dest) as s:
        yield s


NEO4J_SKIP = (
    "NEO4J_URI is not set: no Neo4j server here (start one with `docker compose up -d --wait` "
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


@dataclass
class Served:
    """A ``civicgraph serve`` process over a copy of the seeded case."""

    url: str
    db: Path
    process: subprocess.Popen[str]
    #: the server's stderr
    log: Path

    def get(self, path: str, timeout: float = 60) -> tuple[int, str, bytes]:
        """GET *path*: (status, content type, body), errors included."""
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.url.rstrip("/") + path, timeout=timeout) as r:
                return r.status, r.headers.get("content-type", ""), r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("content-type", ""), exc.read()


@pytest.fixture(scope="session")
def served(case_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``civicgraph serve`` on a free loopback port over a private copy of the case."""
    where = tmp_path_factory.mktemp("served")
    dest = where / "case.db"
    shutil.copytree(case_db, dest, ignore=shutil.ignore_patterns("lock", "server.json"))
    proc, url = start_server(dest, where / "serve.err")
    try:
        yield Served(url, dest, proc, where / "serve.err")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
