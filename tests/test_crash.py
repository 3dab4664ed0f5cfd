"""SIGKILL at the worst moments: during a load, during ``civicgraph demo``, during an export,
and of the engine itself.

After each kill the store reopens and is consistent: its digest is the state before the load
or the state after a whole number of batches (never half a batch), and ``civicgraph load …
--resume`` completes the load to exactly the counts and the digest of a clean load of the same
input into another store.  No engine process outlives a test (``psutil`` scan of processes
whose command line holds the test's temporary path).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from engine_processes import gone, python_child, start_demo, wait_for

from civicgraph.graph import PartialLoad, Store, open_store
from civicgraph.loaders import base, load

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_engine_survives")]

CIVICGRAPH = str(Path(sys.executable).with_name("civicgraph"))
BATCH = 250
#: Input sizes stay small: reopening a store replays its append-only file, and that replay
#: is slow (see test_reopening_after_a_load_does_not_replay_it_slowly).
N_NODES, N_EDGES = 1500, 1000  # 6 + 1 node batches, 4 relationship batches


# -- input and reference states --------------------------------------------------------------
def _input(folder: Path, n_nodes: int, n_edges: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    nodes, edges = folder / "nodes.csv", folder / "edges.csv"
    nodes.write_text(
        "id,label,name,size\n"
        + "".join(f"org:{i},Organization,Org {i},{i % 97}\n" for i in range(n_nodes))
    )
    rng = random.Random(8)
    edges.write_text(
        "source,target,type,start\n"
        + "".join(
            f"org:{i % n_nodes},org:{rng.randrange(n_nodes)},PARTNER_OF,"
            f"{2000 + i % 20}-01-{1 + i % 28:02d}\n"
            for i in range(n_edges)
        )
    )
    return nodes, edges


class _Stop(Exception):
    pass


def _load_until(store: Store, nodes: Path, edges: Path, new_batches: int | None) -> None:
    """Load with --resume semantics, stopping after *new_batches* batches are written."""
    real = base._write_batch
    written = [0]

    def counted(store: Store, prepared: Any, journal: Any, index: int, *a: Any, **k: Any) -> Any:
        # A batch journalled done in the last run's final seconds is written again (it may
        # have died with the engine, Journal.in_doubt): planned before, not a new batch.
        new = index not in journal.planned
        if new and new_batches is not None and written[0] >= new_batches:
            raise _Stop
        out = real(store, prepared, journal, index, *a, **k)
        written[0] += new
        return out

    base._write_batch = counted  # type: ignore[assignment]
    try:
        load(store, nodes=[nodes], edges=[edges], batch_size=BATCH, resume=True, progress=False)
    except PartialLoad as exc:  # the load names what it committed, and --resume
        if not isinstance(exc.__cause__, _Stop):
            raise
    finally:
        base._write_batch = real  # type: ignore[assignment]


def _reference(tmp: Path, nodes: Path, edges: Path, ks: list[int]) -> dict[int | str, str]:
    """Digests after k whole batches (for each k), and of a clean full load ("full")."""
    out: dict[int | str, str] = {}
    with open_store(tmp / "ref-partial.db") as ref:
        out[0] = ref.digest()
        done = 0
        for k in sorted(set(ks)):
            _load_until(ref, nodes, edges, k - done)
            done = k
            out[k] = ref.digest()
    with open_store(tmp / "ref-clean.db") as clean:
        summary = load(clean, nodes=[nodes], edges=[edges], batch_size=BATCH, progress=False)
        out["full"] = clean.digest()
        out["created"] = str(summary.totals().created)
    return out


def _journal(db: Path) -> tuple[int, int, int]:
    """(batches planned, batches done, finished?) from the store's load journal."""
    files = list((db / "loads").glob("*.jsonl"))
    if not files:
        return 0, 0, 0
    planned = done = finished = 0
    for line in files[0].read_text().splitlines():
        try:
            event = json.loads(line)["event"]
        except (ValueError, KeyError):
            continue
        planned += event == "plan"
        done += event == "done"
        finished += event == "finished"
    return planned, done, finished


def _in_doubt(db: Path) -> int:
    """How many batches journalled done may still be missing from the store after a kill:
    those of the journal's last :data:`~civicgraph.loaders.base.ACK_TO_FILE` seconds, which
    the engine may have acknowledged before writing them to its file (``appendfsync
    everysec`` with a slow background fsync; a clean-clone CI run at 9afdb8f lost one).
    ``--resume`` writes them again."""
    from civicgraph.loaders.journal import Journal

    files = list((db / "loads").glob("*.jsonl"))
    if not files:
        return 0
    journal = Journal(files[0].parent, files[0].stem)
    journal.read()
    return len(journal.in_doubt(base.ACK_TO_FILE))


def _load_argv(db: Path, nodes: Path, edges: Path, *extra: str) -> list[str]:
    """The `civicgraph load` a user would type for *nodes* and *edges*."""
    args = ["--nodes", str(nodes), "--edges", str(edges), "--batch-size", str(BATCH)]
    return [CIVICGRAPH, "load", *args, "--db", str(db), *extra]


def _cli_load(db: Path, nodes: Path, edges: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        _load_argv(db, nodes, edges, *extra),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _hooked_load(db: Path, nodes: Path, edges: Path, mode: str, at: int) -> subprocess.Popen:
    """`civicgraph load` in a child that prints "ready" and sleeps at a chosen point:

    * ``before-commit``: batch *at* is planned in the journal, not yet written;
    * ``after-commit``: batch *at* is committed, its "done" not yet journalled;
    * ``after-done``: batch *at* is committed and journalled.
    """
    code = textwrap.dedent(f"""
        import sys, time
        from civicgraph.graph import store as S
        from civicgraph.loaders import base
        mode, at, count = {mode!r}, {at}, [0]
        real_apply, real_batch = S.Store.apply, base._write_batch

        def pause():
            # Past ACK_TO_FILE seconds after its last acknowledgement the engine has written
            # every acknowledged write to its file: the kill then loses none (without this
            # wait the last batches may die with the engine; test_sigkill_at_a_random_moment
            # covers that case).
            time.sleep(base.ACK_TO_FILE + 0.5)
            print("ready", flush=True)
            sys.stdin.readline()  # the test kills us here, or lets us go on

        def apply(self, prepared, **kwargs):
            count[0] += 1
            if mode == "before-commit" and count[0] == at:
                pause()
            out = real_apply(self, prepared, **kwargs)
            if mode == "after-commit" and count[0] == at:
                pause()
            return out

        def write_batch(*a, **k):
            out = real_batch(*a, **k)
            if mode == "after-done" and count[0] == at:
                pause()
            return out

        S.Store.apply = apply
        base._write_batch = write_batch
        from civicgraph.app.cli import main
        sys.argv = ["civicgraph", "load", "--nodes", {str(nodes)!r}, "--edges", {str(edges)!r},
                    "--batch-size", "{BATCH}", "--db", {str(db)!r}]
        main()
    """)
    return python_child(code)


def _kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    for stream in (child.stdin, child.stdout, child.stderr):
        if stream:
            stream.close()


def _engine_pid(db: Path) -> int:
    def pid() -> int | None:
        try:
            return int(json.loads((db / "server.json").read_text())["pid"])
        except (OSError, ValueError, KeyError):
            return None

    return int(wait_for(pid))


def _resume_and_check(
    db: Path, nodes: Path, edges: Path, ref: dict[int | str, str], done: int
) -> None:
    result = _cli_load(db, nodes, edges, "--resume", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["resumed_batches"] == done
    assert summary["created"] == int(ref["created"])  # exact, as a clean load
    assert summary["rejected"] == 0
    with open_store(db) as s:
        assert s.digest() == ref["full"]


# -- SIGKILL of the loading process -----------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "at"),
    [("before-commit", 1), ("after-commit", 4), ("after-done", 8), ("before-commit", 10)],
)
def test_sigkill_during_a_load_then_resume(tmp_path: Path, mode: str, at: int) -> None:
    nodes, edges = _input(tmp_path / "in", N_NODES, N_EDGES)
    db = tmp_path / "kill.db"
    with open_store(db) as s:
        s.upsert_node("Network", {"id": "net:before", "name": "Before", "sources": ["s"]})
        before = s.digest()
    child = _hooked_load(db, nodes, edges, mode, at)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
    engine = _engine_pid(db)
    _kill(child)
    wait_for(lambda: gone(engine))  # PR_SET_PDEATHSIG: the engine follows its parent
    planned, done, finished = _journal(db)
    assert not finished
    committed = done + 1 if mode == "after-commit" else done
    assert committed == (at if mode != "before-commit" else at - 1)
    # the reference states are built on a store holding the same "before" node
    with open_store(tmp_path / "ref-partial.db") as ref:
        ref.upsert_node("Network", {"id": "net:before", "name": "Before", "sources": ["s"]})
        assert ref.digest() == before
    with open_store(tmp_path / "ref-clean.db") as ref:
        ref.upsert_node("Network", {"id": "net:before", "name": "Before", "sources": ["s"]})
    ref_digests = _reference(tmp_path, nodes, edges, [committed])
    with open_store(db) as s:
        after_kill = s.digest()
        assert after_kill == ref_digests[committed], "not a whole-batches state"
        if committed == 0:
            assert after_kill == before
    _resume_and_check(db, nodes, edges, ref_digests, done)


def test_sigkill_at_a_random_moment_of_a_cli_load(tmp_path: Path) -> None:
    """The real `civicgraph` binary, killed at an unplanned moment (often mid-statement)."""
    nodes, edges = _input(tmp_path / "in", 2 * N_NODES, 2 * N_EDGES)
    db = tmp_path / "kill.db"
    child = subprocess.Popen(
        _load_argv(db, nodes, edges),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: _journal(db)[1] >= 3, timeout=120, step=0.005)
    time.sleep(random.Random(8).uniform(0.0, 0.15))
    _kill(child)
    planned, done, finished = _journal(db)
    if finished:
        pytest.skip("the load finished before the kill (machine too fast for this input)")
    # the first k whole batches: the journalled ones, less those in doubt (_in_doubt), up to
    # one more that committed before its "done" entry
    ks = list(range(done - _in_doubt(db), done + 2))
    ref = _reference(tmp_path, nodes, edges, ks)
    with open_store(db) as s:
        digest = s.digest()
    assert digest in [ref[k] for k in ks], "the store holds part of a batch"
    _resume_and_check(db, nodes, edges, ref, done)


# -- SIGKILL of the engine -----------------------------------------------------------------
def test_sigkill_of_the_engine_during_a_load(tmp_path: Path) -> None:
    """The load stops with one clear line; committed batches survive (AOF); resume finishes."""
    nodes, edges = _input(tmp_path / "in", N_NODES, N_EDGES)
    db = tmp_path / "kill.db"
    child = _hooked_load(db, nodes, edges, "after-done", 5)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    engine = _engine_pid(db)
    os.kill(engine, signal.SIGKILL)
    wait_for(lambda: gone(engine))
    out, err = child.communicate("go on\n", timeout=60)  # batch 6 finds no engine
    assert child.returncode == 1, err
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert "connection lost" in err and str(db) in err
    planned, done, finished = _journal(db)
    assert done == 5 and not finished
    ref = _reference(tmp_path, nodes, edges, [5])
    with open_store(db) as s:
        # every acknowledged batch survived the engine's death (the hook waited past
        # ACK_TO_FILE before the kill)
        assert s.digest() == ref[5]
    _resume_and_check(db, nodes, edges, ref, done)


# -- SIGKILL during the demo and during an export ------------------------------------------------
def test_sigkill_during_the_demo_then_demo_again(tmp_path: Path, case_db: Path) -> None:
    db, html = tmp_path / "demo.db", tmp_path / "anvita.html"
    child = start_demo(CIVICGRAPH, tmp_path)
    assert child.stdout is not None
    wait_for(lambda: "loaded" in child.stdout.readline(), timeout=120, step=0)  # type: ignore[union-attr]
    _kill(child)
    with open_store(db) as s:  # reopens (stale lock and socket cleaned), reads everything
        nodes, rels = s.totals()
        assert s.digest()
    result = subprocess.run(
        [CIVICGRAPH, "demo", "--db", str(db), "--html", str(html)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert html.exists()
    with open_store(db) as s, open_store(case_db) as clean:
        assert s.digest() == clean.digest()  # exactly the case a clean run builds


def test_sigkill_during_an_export_leaves_the_store_intact(tmp_path: Path) -> None:
    nodes, edges = _input(tmp_path / "in", 2 * N_NODES, 0)
    db = tmp_path / "export.db"
    with open_store(db) as s:
        load(s, nodes=[nodes], progress=False)
        before = s.digest()
    out = tmp_path / "out.jsonl"
    child = subprocess.Popen(
        [CIVICGRAPH, "export", "--format", "jsonl", "-o", str(out), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _engine_pid(db)
    time.sleep(0.3)
    _kill(child)
    with open_store(db) as s:
        assert s.digest() == before
    # the export may be partial; a full one round-trips to the same digest
    result = subprocess.run(
        [CIVICGRAPH, "export", "--format", "jsonl", "-o", str(out), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    with open_store(tmp_path / "restored.db") as s:
        load(s, [out], progress=False)
        assert s.digest() == before


# -- found while writing these tests ----------------------------------------------------------
FAKE_ENGINE = """\
import signal, socket, sys, threading
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # as Redis does while it replays its AOF
path = sys.argv[sys.argv.index("--unixsocket") + 1]
server = socket.socket(socket.AF_UNIX)
server.bind(path)
server.listen(8)

def serve(conn):  # answer every command with an error a starting engine could give
    while data := conn.recv(65536):
        n = sum(1 for line in data.split(b"\\r\\n") if line.startswith(b"*"))
        conn.sendall(b"-BUSY engine busy replaying its append-only file\\r\\n" * n)

while True:
    threading.Thread(target=serve, args=(server.accept()[0],), daemon=True).start()
"""


def test_an_engine_that_answers_badly_at_start_is_stopped_not_orphaned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from civicgraph.graph import CivicgraphError

    fake = tmp_path / "fake_engine.py"
    fake.write_text(f"#!{sys.executable}\n" + FAKE_ENGINE)
    fake.chmod(0o755)
    monkeypatch.setenv("CIVICGRAPH_REDIS_SERVER", str(fake))
    monkeypatch.setenv("CIVICGRAPH_FALKORDB_MODULE", os.devnull)
    db = tmp_path / "slow.db"

    def fakes() -> list[psutil.Process]:
        out = []
        for proc in psutil.process_iter(["cmdline", "status"]):
            cmd = " ".join(proc.info["cmdline"] or [])
            if str(fake) in cmd and str(db) in cmd and proc.info["status"] != "zombie":
                out.append(proc)
        return out

    try:
        with pytest.raises(CivicgraphError):  # one clear error, not a redis exception
            open_store(db, start_timeout=8)
        time.sleep(0.5)
        assert fakes() == [], "the engine that did not start properly was left running"
    finally:
        for proc in fakes():  # the fakes are ours: started by this test
            proc.kill()


def test_reopening_after_a_load_does_not_replay_it_slowly(tmp_path: Path) -> None:
    nodes, edges = _input(tmp_path / "in", 3000, 3000)
    db = tmp_path / "big.db"
    t0 = time.perf_counter()
    with open_store(db) as s:
        load(s, nodes=[nodes], edges=[edges], batch_size=1000, progress=False)
        digest = s.digest()
    load_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    with open_store(db, start_timeout=300) as s:
        reopen_seconds = time.perf_counter() - t0
        assert s.digest() == digest
    assert reopen_seconds < load_seconds + 1.0, (
        f"reopening took {reopen_seconds:.1f} s after a {load_seconds:.1f} s load"
    )
