"""The supervised embedded engine (issue #13): a hung engine heals itself.

FalkorDB 4.16 can deadlock: the socket stays open and nothing answers.  ``SIGSTOP`` on the
engine reproduces that state exactly, so every test here freezes the real engine with it and
never continues it: the supervisor must notice (no ``PING`` answered for
``CIVICGRAPH_HANG_SECONDS``, 2 s here), kill the engine by its pid, restart it from its
append-only file, and let the interrupted work go on — reads run again, a load's batch is
written again as ``MERGE`` only — ending with the digest of an undisturbed run.  After each
test no engine process of the test's stores is left, stopped or running (``psutil``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engine_processes import (
    engines_under,
    gone,
    python_child,
    server_pid,
    start_demo,
    wait_for,
)

from civicgraph.graph import EngineError, EngineRestarted, Store, open_store
from civicgraph.graph.backends import falkordb as falkordb_backend
from civicgraph.graph.engine import EmbeddedEngine
from civicgraph.graph.supervisor import HANG_ENV, answers_ping
from civicgraph.loaders import load

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_engine_survives")]

CIVICGRAPH = str(Path(sys.executable).with_name("civicgraph"))
HANG = 2.0
#: Beyond the hang limit and the restart, what a test allows for the rest of the work and a
#: busy machine (two cores shared with other work): generous, but a hang waiting for
#: CIVICGRAPH_TIMEOUT (600 s) still fails.
SLACK = 15.0


# -- helpers ------------------------------------------------------------------------------------
def _batches_done(db: Path) -> int:
    """Batches the store's load journal says are done."""
    return sum(p.read_text().count('"done"') for p in (db / "loads").glob("*.jsonl"))


def _freeze(pid: int) -> None:
    os.kill(pid, signal.SIGSTOP)


def _freeze_engine_of(db: Path) -> int:
    """Freeze the engine serving *db* (from its ``server.json``); return its pid."""
    pid = server_pid(db)
    assert pid is not None, f"no engine is serving {db}"
    _freeze(pid)
    return pid


@pytest.fixture(autouse=True)
def _hang_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HANG_ENV, str(HANG))


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "stopped answering" in r.getMessage()]


def _rows(n: int, tag: str = "") -> list[dict[str, Any]]:
    return [{"id": f"org:{i}", "name": f"O{i}{tag}", "sources": ["src:t"]} for i in range(n)]


def _input(folder: Path, n_nodes: int, n_edges: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    nodes, edges = folder / "nodes.csv", folder / "edges.csv"
    nodes.write_text(
        "id,label,name\n" + "".join(f"org:{i},Organization,O{i}\n" for i in range(n_nodes))
    )
    edges.write_text(
        "source,target,type,start\n"
        + "".join(
            f"org:{i % n_nodes},org:{(i * 7 + 3) % n_nodes},PARTNER_OF,2001-01-{1 + i % 28:02d}\n"
            for i in range(n_edges)
        )
    )
    return nodes, edges


def _last_recovery_seconds(store: Store) -> float:
    supervisor = store.backend.supervisor  # type: ignore[attr-defined]
    return float(sum(r.restart_seconds for r in supervisor.recoveries))


# -- reads ------------------------------------------------------------------------------------
def test_a_read_survives_a_frozen_engine(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "civicgraph")
    with open_store(db_path) as s:
        s.upsert_nodes("Organization", _rows(3000))
        want = s.digest()
        old = s.backend.engine_pid  # type: ignore[attr-defined]
        _freeze(old)
        began = time.monotonic()
        got = s.digest()  # every read of the dump runs on the restarted engine
        took = time.monotonic() - began
        assert got == want
        assert s.backend.recoveries == 1  # type: ignore[attr-defined]
        assert s.backend.engine_pid != old  # type: ignore[attr-defined]
        assert gone(old), "the frozen engine was not killed"
        (recovery,) = s.backend.supervisor.recoveries  # type: ignore[attr-defined]
        assert recovery.threads and all(" T " in t for t in recovery.threads)  # stopped
        assert f"engine pid {old} answered nothing" in (db_path / "data" / "engine.log").read_text()
        assert took < HANG + _last_recovery_seconds(s) + SLACK, took
    assert _warnings(caplog) == [
        f"engine of {db_path} stopped answering for 2 s; restarted it; "
        "ran the interrupted query again"
    ]


def test_a_second_freeze_right_after_a_recovery(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The restarted engine freezes again at once: a second recovery, the same answer."""
    caplog.set_level(logging.WARNING, "civicgraph")
    real_restart = EmbeddedEngine.restart
    frozen: list[int] = []

    def restart_then_freeze(self: EmbeddedEngine) -> None:
        real_restart(self)
        if not frozen:  # the first new engine freezes as soon as it answers
            assert self.pid is not None
            frozen.append(self.pid)
            _freeze(self.pid)

    monkeypatch.setattr(EmbeddedEngine, "restart", restart_then_freeze)
    with open_store(db_path) as s:
        s.upsert_nodes("Organization", _rows(3000))
        want, first = s.digest(), s.backend.engine_pid  # type: ignore[attr-defined]
        _freeze(first)
        began = time.monotonic()
        got = s.digest()
        took = time.monotonic() - began
        assert got == want
        assert s.backend.recoveries == 2  # type: ignore[attr-defined]
        assert gone(first) and gone(frozen[0])
        assert took < 2 * HANG + _last_recovery_seconds(s) + SLACK, took
    assert len(_warnings(caplog)) == 2


# -- a load's write batch ----------------------------------------------------------------------
def _clean_load(tmp_path: Path, nodes: Path, edges: Path) -> tuple[str, dict[str, Any]]:
    with open_store(tmp_path / "clean.db") as clean:
        summary = load(clean, nodes=[nodes], edges=[edges], batch_size=500, progress=False)
        return clean.digest(), summary.as_dict()


def _hook_creates(
    monkeypatch: pytest.MonkeyPatch, hook: Callable[[Any, str, Callable[[], Any]], Any]
) -> None:
    """Route every write through *hook(backend, kind, write)*: *kind* is ``"create"`` for
    a ``CREATE`` statement or a ``GRAPH.BULK`` command (what creates a load's new rows,
    whichever path it takes), ``"write"`` for other writes; *write()* sends it."""
    real_run = falkordb_backend.FalkorDBBackend._run
    real_bulk = falkordb_backend.FalkorDBBackend._send_bulk

    def run(self: Any, query: str, params: Any, write: bool) -> Any:
        if not write:
            return real_run(self, query, params, write)
        kind = "create" if "CREATE (n:" in query else "write"
        return hook(self, kind, lambda: real_run(self, query, params, write))

    def bulk(self: Any, args: list[Any]) -> Any:
        return hook(self, "create", lambda: real_bulk(self, args))

    monkeypatch.setattr(falkordb_backend.FalkorDBBackend, "_run", run)
    monkeypatch.setattr(falkordb_backend.FalkorDBBackend, "_send_bulk", bulk)


@pytest.mark.parametrize("bulk", [True, False], ids=["GRAPH.BULK", "CREATE"])
@pytest.mark.parametrize(
    ("when", "freezes"),
    [("before-commit", 1), ("after-commit", 1), ("after-commit", 2)],
)
def test_a_load_survives_a_frozen_engine_under_a_write_batch(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    when: str,
    freezes: int,
    bulk: bool,
) -> None:
    """The engine freezes under batch 6 (nodes: 2 batches done; a CREATE batch):

    * ``before-commit``: the statement reaches a frozen engine, so it never commits;
    * ``after-commit``: the batch commits, then the engine freezes before the load knows
      (the next thing it sends never gets an answer) — with ``freezes=2`` the restarted
      engine freezes again under the rewrite.

    Either way the journal says "planned, not done", the batch is written again as MERGE
    only, and the store ends exactly as an undisturbed load leaves it: nothing lost (first
    case), nothing created twice (second case: a CREATE written again would double the
    batch's 500 nodes, and change the digest).
    """
    caplog.set_level(logging.WARNING, "civicgraph")
    nodes, edges = _input(tmp_path / "in", 4000, 3000)
    want_digest, want_summary = _clean_load(tmp_path, nodes, edges)
    real_run = falkordb_backend.FalkorDBBackend._run
    writes = [0]
    left = [freezes]

    def freezing(self: Any, kind: str, write: Callable[[], Any]) -> Any:
        target = kind == "create"
        if target:
            writes[0] += 1
        if target and writes[0] == 6 and when == "before-commit":
            _freeze(self.engine_pid)
            left[0] -= 1
        out = write()
        if left[0] > 0 and writes[0] >= 6 and when == "after-commit":
            left[0] -= 1
            _freeze(self.engine_pid)
            real_run(self, "RETURN 1", None, True)  # never answered: the engine is frozen
        return out

    _hook_creates(monkeypatch, freezing)
    db = tmp_path / "frozen.db"
    with open_store(db) as s:
        s.bulk = bulk
        old = s.backend.engine_pid  # type: ignore[attr-defined]
        began = time.monotonic()
        summary = load(s, nodes=[nodes], edges=[edges], batch_size=500, progress=False)
        took = time.monotonic() - began
        assert s.backend.recoveries == freezes  # type: ignore[attr-defined]
        assert gone(old)
        digest = s.digest()
        restarts = _last_recovery_seconds(s)
    got = summary.as_dict()
    for key in ("seconds",):
        got.pop(key), want_summary.pop(key)
    assert got == want_summary  # exact counts: the plan's, journalled before the write
    assert digest == want_digest
    # the journal: each batch planned once and done once, in order, then "finished"
    journal = next((db / "loads").glob("*.jsonl")).read_text().splitlines()
    entries = [json.loads(line) for line in journal]
    planned = [e["batch"] for e in entries if e["event"] == "plan"]
    done = [e["batch"] for e in entries if e["event"] == "done"]
    assert planned == done == list(range(len(planned)))
    assert entries[-1]["event"] == "finished"
    assert took < freezes * HANG + restarts + SLACK, took
    lines = _warnings(caplog)
    assert len(lines) == freezes
    assert all(line.endswith(f"load resumed at batch 6 of {len(planned)}") for line in lines)


@pytest.mark.parametrize("bulk", [True, False], ids=["GRAPH.BULK", "CREATE"])
def test_a_batch_acknowledged_but_not_yet_in_the_file_is_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk: bool
) -> None:
    """Redis may answer a write up to 2 s before writing it to its append-only file: a kill
    of the hung engine then loses it, though the journal says "done".  Played here by
    deleting batch 5's 500 nodes right after the engine answered it, then freezing the
    engine under batch 6: the restarted engine lacks batch 5, and the load writes the
    batches acknowledged shortly before the freeze again (``loaders.base.ACK_TO_FILE``)."""
    nodes, edges = _input(tmp_path / "in", 4000, 3000)
    want_digest, _ = _clean_load(tmp_path, nodes, edges)
    real_run = falkordb_backend.FalkorDBBackend._run
    creates = [0]
    lost = [f"org:{i}" for i in range(2000, 2500)]  # batch 5: Organization rows 2000-2499

    def losing(self: Any, kind: str, write: Callable[[], Any]) -> Any:
        if kind == "create":
            creates[0] += 1
            if creates[0] == 6:
                _freeze(self.engine_pid)
        out = write()
        if kind == "create" and creates[0] == 5:
            real_run(
                self,
                "UNWIND $ids AS i MATCH (n:Entity {id: i}) DETACH DELETE n",
                {"ids": lost},
                True,
            )
        return out

    _hook_creates(monkeypatch, losing)
    with open_store(tmp_path / "frozen.db") as s:
        s.bulk = bulk
        load(s, nodes=[nodes], edges=[edges], batch_size=500, progress=False)
        assert s.backend.recoveries == 1  # type: ignore[attr-defined]
        assert s.query(
            "UNWIND $ids AS i MATCH (n:Entity {id: i}) RETURN count(n) AS n", {"ids": lost}
        ) == [{"n": 500}]
        assert s.digest() == want_digest


def test_a_cli_load_frozen_from_outside_finishes_by_itself(tmp_path: Path) -> None:
    """`civicgraph load`, its engine frozen (SIGSTOP, never continued) during the writes."""
    nodes, edges = _input(tmp_path / "in", 6000, 6000)
    want_digest, _ = _clean_load(tmp_path, nodes, edges)
    db = tmp_path / "frozen.db"
    began = time.monotonic()
    child = subprocess.Popen(
        [CIVICGRAPH, "load", "--nodes", str(nodes), "--edges", str(edges)]
        + ["--batch-size", "500", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    wait_for(lambda: _batches_done(db) >= 3, timeout=120, step=0.005)
    old = _freeze_engine_of(db)
    out, err = child.communicate(timeout=300)
    took = time.monotonic() - began
    assert child.returncode == 0, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "stopped answering for 2 s; restarted it" in lines[0], err
    assert gone(old)
    with open_store(db) as s:
        assert s.digest() == want_digest
    assert took < 60 + HANG + SLACK, took


def test_a_load_survives_a_frozen_engine_under_its_derived_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """After its batches, a load recomputes derived facts (a City's size class): ``SET``s of
    computed values, which run again after a restart (``Store.execute(idempotent=True)``)."""
    caplog.set_level(logging.WARNING, "civicgraph")
    nodes = tmp_path / "cities.csv"
    nodes.write_text(
        "id,label,name,population\n"
        + "".join(f"insee:{38000 + i},City,C{i},{100 * i}\n" for i in range(1, 300))
    )
    with open_store(tmp_path / "clean.db") as clean:
        load(clean, nodes=[nodes], progress=False)
        want = clean.digest()
    real_run = falkordb_backend.FalkorDBBackend._run
    done = [False]

    def freezing_run(self: Any, query: str, params: Any, write: bool) -> Any:
        if write and "SET c.size_class" in query and not done[0]:
            done[0] = True
            _freeze(self.engine_pid)
        return real_run(self, query, params, write)

    monkeypatch.setattr(falkordb_backend.FalkorDBBackend, "_run", freezing_run)
    with open_store(tmp_path / "frozen.db") as s:
        summary = load(s, nodes=[nodes], progress=False)
        assert done[0] and s.backend.recoveries == 1  # type: ignore[attr-defined]
        assert summary.derived["cities"] == 299
        assert s.digest() == want
    assert _warnings(caplog)[0].endswith("ran the interrupted write again (it is idempotent)")


# -- CREATE INDEX on a fresh store -------------------------------------------------------------
@pytest.mark.parametrize("when", ["before-commit", "after-commit"])
def test_create_index_on_a_fresh_store_survives_a_frozen_engine(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    when: str,
) -> None:
    caplog.set_level(logging.WARNING, "civicgraph")
    with open_store(tmp_path / "clean.db") as clean:
        clean.setup_schema()
        want = clean.query("CALL db.indexes() YIELD label, properties RETURN label, properties")
        want_digest = clean.digest()
    real_run = falkordb_backend.FalkorDBBackend._run
    frozen: list[int] = []

    def freezing_run(self: Any, query: str, params: Any, write: bool) -> Any:
        first = not frozen and query.startswith("CREATE INDEX") and "Organization" in query
        if first:
            frozen.append(self.engine_pid)
            if when == "before-commit":
                _freeze(self.engine_pid)
        out = real_run(self, query, params, write)
        if first and when == "after-commit":
            _freeze(self.engine_pid)
            real_run(self, "RETURN 1", None, True)
        return out

    monkeypatch.setattr(falkordb_backend.FalkorDBBackend, "_run", freezing_run)
    with open_store(tmp_path / "fresh.db") as s:
        s.setup_schema()
        recoveries = s.backend.supervisor.recoveries  # type: ignore[attr-defined]
        got = s.query("CALL db.indexes() YIELD label, properties RETURN label, properties")
        key = lambda r: r["label"]  # noqa: E731
        assert sorted(got, key=key) == sorted(want, key=key)
        assert s.digest() == want_digest
    # The engine frozen here was restarted once.  On a busy machine the supervisor has also
    # restarted a fresh store's engine that stalled 2 s at an index (CI, once in dozens of
    # runs: "ran the interrupted query again" first): such a restart is healed like any other
    # and is told once too, but it is not this test's.
    assert [r.old_pid for r in recoveries].count(frozen[0]) == 1, recoveries
    warned = _warnings(caplog)
    assert len(warned) == len(recoveries)
    assert (
        f"engine of {tmp_path / 'fresh.db'} stopped answering for 2 s; restarted it; "
        "checked the indexes and created the missing ones"
    ) in warned


def test_the_first_statement_on_a_fresh_store_survives_a_frozen_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read on a store never written makes the graph first (``RETURN 1``): frozen there."""
    real_send = falkordb_backend.FalkorDBBackend._send
    done = [False]

    def freezing_send(self: Any, query: str, params: Any, write: bool) -> Any:
        if query == "RETURN 1" and not done[0]:
            done[0] = True
            _freeze(self.engine_pid)
        return real_send(self, query, params, write)

    monkeypatch.setattr(falkordb_backend.FalkorDBBackend, "_send", freezing_send)
    with open_store(tmp_path / "fresh.db") as s:  # its first statement is a read
        assert done[0] and s.backend.recoveries == 1  # type: ignore[attr-defined]
        assert s.totals() == (0, 0)


# -- the demo -------------------------------------------------------------------------------------
def test_the_demo_survives_a_frozen_engine(tmp_path: Path, case_db: Path) -> None:
    db, html = tmp_path / "demo.db", tmp_path / "anvita.html"
    began = time.monotonic()
    child = start_demo(CIVICGRAPH, tmp_path, stderr=subprocess.PIPE)
    assert child.stdout is not None
    seen: list[str] = []
    while len(seen) < 3:  # the header and two sources loaded: the case is being built
        line = child.stdout.readline()
        assert line, "the demo ended early"
        seen.append(line)
    old = _freeze_engine_of(db)
    out, err = child.communicate(timeout=600)
    took = time.monotonic() - began
    assert child.returncode == 0, err
    assert "stopped answering for 2 s; restarted it" in err
    assert len([line for line in err.splitlines() if "stopped answering" in line]) == 1
    assert gone(old)
    assert html.exists()
    with open_store(db) as s, open_store(case_db) as clean:
        assert s.digest() == clean.digest()
    assert took < 120 + HANG + SLACK, took


# -- writes the store cannot replay safely ----------------------------------------------------
def test_a_write_statement_interrupted_by_a_restart_is_one_clear_error(db_path: Path) -> None:
    with open_store(db_path) as s:
        s.upsert_nodes("Organization", _rows(10))
        _freeze(s.backend.engine_pid)  # type: ignore[attr-defined]
        with pytest.raises(EngineRestarted) as err:
            s.execute("MATCH (n:Organization) SET n.seen = coalesce(n.seen, 0) + 1")
        message = str(err.value)
        assert "stopped answering" in message and "may or may not have been applied" in message
        assert "\n" not in message
        assert s.totals() == (10, 0)  # the store answers again


# -- Ctrl-C and SIGTERM ---------------------------------------------------------------------------
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("command", ["cypher", "load"])
def test_a_signal_ends_a_command_whose_engine_is_stopped(
    tmp_path: Path, signum: int, command: str
) -> None:
    """Within 2 s, and its engine (stopped: it cannot act on SIGTERM) goes with it."""
    db = tmp_path / "sig.db"
    env = {**os.environ, HANG_ENV: "600"}  # the signal ends it, not the supervisor
    if command == "cypher":
        with open_store(db):  # cypher opens only an existing store
            pass
        args = ["cypher", "UNWIND range(1, 400000000) AS x RETURN sum(x) AS s"]
    else:
        nodes, edges = _input(tmp_path / "in", 20000, 20000)
        args = ["load", "--nodes", str(nodes), "--edges", str(edges), "--batch-size", "500"]
    child = subprocess.Popen(
        [CIVICGRAPH, *args, "--db", str(db)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    pid = wait_for(lambda: server_pid(db), timeout=60)
    if command == "load":  # in the writes: a writer thread waits on the engine too
        wait_for(lambda: _batches_done(db) >= 2, timeout=120, step=0.005)
    else:
        time.sleep(0.5)  # the statement is in the engine
    _freeze(pid)
    time.sleep(0.5)
    child.send_signal(signum)
    sent = time.monotonic()
    while child.poll() is None and time.monotonic() - sent < 30:
        time.sleep(0.01)
    took = time.monotonic() - sent
    if child.poll() is None:
        child.kill()
    _, err = child.communicate()
    assert took < 2.0, f"exited {took:.2f} s after the signal; stderr: {err}"
    assert child.returncode != 0
    assert "Traceback" not in err
    wait_for(lambda: not engines_under(db), timeout=2.0)
    assert gone(pid)


# -- a long legitimate query ------------------------------------------------------------------------
def test_a_long_query_is_never_taken_for_a_hang(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queries run on FalkorDB's worker threads: PING is answered meanwhile."""
    monkeypatch.setenv(HANG_ENV, "1")
    with open_store(db_path) as s:
        pid = s.backend.engine_pid  # type: ignore[attr-defined]
        n, read_seconds = 10_000_000, 0.0
        while read_seconds < 3.0 and n < 10**9:  # several seconds of work, on any machine
            n *= 2
            began = time.monotonic()
            rows = s.query(f"UNWIND range(1, {n}) AS x RETURN sum(x) AS s")
            read_seconds = time.monotonic() - began
            assert rows == [{"s": n * (n + 1) // 2}]
        # A write as long: the read's work, then a million nodes (the nodes alone took
        # 0.5 s on a fast hour, less than the hang limit: not a test of it by themselves).
        began = time.monotonic()
        s.execute(
            f"UNWIND range(1, {n}) AS x WITH count(x) AS c "
            "UNWIND range(1, 1000000) AS y CREATE (:Statistic {value: y, of: c})"
        )
        write_seconds = time.monotonic() - began
        assert s.query("MATCH (n:Statistic) RETURN count(n) AS n") == [{"n": 1_000_000}]
        assert s.backend.recoveries == 0  # type: ignore[attr-defined]
        assert s.backend.engine_pid == pid  # type: ignore[attr-defined]
    # the read and the write outlast the hang limit (1 s) on this machine; say so if not
    assert read_seconds > 3 * 1.0, f"the read took only {read_seconds:.1f} s"
    assert write_seconds > 2 * 1.0, f"the write took only {write_seconds:.1f} s"


# -- shared engines -------------------------------------------------------------------------------
def _owner(db: Path, hang: str, *, supervise: bool = True) -> subprocess.Popen[str]:
    code = textwrap.dedent(f"""
        import sys
        from civicgraph.graph import open_store
        with open_store({str(db)!r}) as s:
            s.upsert_nodes("Organization", ({{"id": f"org:{{i}}", "name": str(i),
                           "sources": ["s"]}} for i in range(2000)))
            print("ready", s.backend.engine_pid, flush=True)
            sys.stdin.readline()
            print(s.backend.recoveries, flush=True)
    """)
    env = {**os.environ, HANG_ENV: hang if supervise else "0"}
    return python_child(code, env)


def test_a_joined_process_gets_the_same_recovery(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The owner restarts the engine; the guest's read, cut by the kill, runs again."""
    caplog.set_level(logging.WARNING, "civicgraph")
    db = tmp_path / "shared.db"
    owner = _owner(db, str(HANG))
    try:
        assert owner.stdout is not None
        word, pid = owner.stdout.readline().split()
        assert word == "ready"
        with open_store(db) as guest:
            assert guest.backend.shared  # type: ignore[attr-defined]
            want = guest.digest()
            _freeze(int(pid))
            assert guest.digest() == want
            assert guest.backend.recoveries == 1  # type: ignore[attr-defined]
        out, err = owner.communicate("go on\n", timeout=60)
        assert owner.returncode == 0, err
        assert out.strip() == "1"  # the owner restarted it
        assert "stopped answering" in err  # and said so, once
        assert gone(int(pid))
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
    # the guest counts its own silence: from its last answered PING to the owner's restart
    (line,) = _warnings(caplog)
    assert re.fullmatch(
        f"engine of {re.escape(str(db))} stopped answering for \\d+ s; restarted it; "
        "ran the interrupted query again",
        line,
    ), line


def test_a_joined_process_whose_owner_cannot_recover_gets_one_clear_error(tmp_path: Path) -> None:
    """The owner does not supervise (CIVICGRAPH_HANG_SECONDS=0): the guest names it."""
    db = tmp_path / "shared.db"
    owner = _owner(db, "0", supervise=False)
    try:
        assert owner.stdout is not None
        word, pid = owner.stdout.readline().split()
        with open_store(db) as guest:
            _freeze(int(pid))
            began = time.monotonic()
            with pytest.raises(EngineError) as err:
                guest.totals()
            took = time.monotonic() - began
        message = str(err.value)
        assert f"(pid {owner.pid}) did not restart it" in message, message
        assert "end that process" in message and "\n" not in message
        assert took < 2 * HANG + 5 + SLACK, took
    finally:
        owner.kill()  # its engine, stopped, dies with it (PDEATHSIG is SIGKILL)
        owner.wait()
    wait_for(lambda: gone(int(pid)), timeout=10)


def test_a_bad_hang_setting_is_refused_before_an_engine_starts(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from civicgraph.graph import ConfigurationError

    monkeypatch.setenv(HANG_ENV, "soon")
    with pytest.raises(ConfigurationError, match=HANG_ENV):
        open_store(db_path)
    assert not engines_under(db_path)


@pytest.mark.parametrize(("reply", "alive", "ready"), [(b"+PONG\r\n", True, True),
                                                      (b"-LOADING Redis is loading\r\n", True, False),
                                                      (b"", False, False)])  # fmt: skip
def test_answers_ping_tells_alive_from_ready(
    tmp_path: Path, reply: bytes, alive: bool, ready: bool
) -> None:
    """A loading engine is alive (the supervisor leaves it be) but not ready (a second
    process does not join it yet)."""
    import socket
    import threading

    path = str(tmp_path / "e.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(4)

    def answer() -> None:
        for _ in range(2):
            conn, _addr = server.accept()
            with conn:
                conn.recv(64)
                conn.sendall(reply)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        assert answers_ping(path, 5.0) is alive
        assert answers_ping(path, 5.0, ready=True) is ready
    finally:
        thread.join(10)
        server.close()
