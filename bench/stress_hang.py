"""Stress loop for the embedded engine's hang (issue #13): many fresh stores, each created,
loaded and queried, counting the times the engine stopped answering.

FalkorDB 4.16.3 sometimes deadlocks (upstream FalkorDB#2129): the socket stays open and
nothing answers, not even ``PING``.  The hang is rare, so the only honest way to tell
whether a change makes it rarer is to count it over many runs of the same work, before and
after the change.  Each iteration here:

1. opens a fresh store (a new engine, indexes created by the library as it does for users);
2. loads a zero-configuration nodes CSV and edges CSV (``--nodes`` Organization nodes,
   ``--edges`` PARTNER_OF relationships, batches of ``--batch``) while, with ``--reader``,
   a second connection of the same process (a guest of the engine, like a second command
   on the same store) counts nodes and relationships in a loop;
3. runs a few read queries and the store's digest, and checks the counts;
4. closes the store.

A hang is counted in either of two ways:

* the engine did not answer a statement within ``CIVICGRAPH_TIMEOUT`` (set to ``--timeout``,
  default 30 s; nothing in this work takes more than a few seconds), and a ``PING`` on a
  fresh connection gets no answer within 3 s either: the engine's threads are recorded
  (state and kernel wait channel, from ``/proc``), the engine is killed and the loop goes on;
* on a civicgraph with the supervisor (issue #13), the supervisor restarted the engine
  (its warning line, counted through the backend's ``recoveries``).

Engine options (``--engine-option thread_count=1``) are passed to ``open_store`` when the
civicgraph under test takes them.  Every iteration appends one JSON line to ``--log``.

Usage::

    python bench/stress_hang.py --stores 200 --label main --log stress-main.jsonl
    python bench/stress_hang.py --stores 200 --label thread1 --engine-option thread_count=1
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "one_store"]


def _write_input(folder: Path, n_nodes: int, n_edges: int, seed: int) -> tuple[Path, Path]:
    rng = random.Random(seed)
    nodes, edges = folder / "nodes.csv", folder / "edges.csv"
    nodes.write_text(
        "id,label,name,size\n"
        + "".join(f"org:{i},Organization,Org {i},{i % 97}\n" for i in range(n_nodes))
    )
    edges.write_text(
        "source,target,type,start\n"
        + "".join(
            f"org:{rng.randrange(n_nodes)},org:{rng.randrange(n_nodes)},PARTNER_OF,"
            f"{2000 + i % 20}-01-{1 + i % 28:02d}\n"
            for i in range(n_edges)
        )
    )
    return nodes, edges


def _ping(sock: str, timeout: float = 3.0) -> bool:
    """True when the engine answers PING on a fresh connection within *timeout*."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False
    finally:
        s.close()


def _threads(pid: int) -> list[str]:
    """Each engine thread's name, state and kernel wait channel."""
    out = []
    for task in sorted(Path(f"/proc/{pid}/task").glob("*"), key=lambda p: int(p.name)):
        try:
            comm = (task / "comm").read_text().strip()
            state = (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
            wchan = (task / "wchan").read_text().strip()
        except OSError:
            continue
        out.append(f"{task.name} {comm} {state} {wchan}")
    return out


def _server(db: Path) -> dict[str, Any]:
    try:
        info: dict[str, Any] = json.loads((db / "server.json").read_text())
        return info
    except (OSError, ValueError):
        return {}


class _Reader(threading.Thread):
    """A second connection of this process counting nodes and relationships in a loop."""

    def __init__(self, db: Path, options: dict[str, Any]) -> None:
        super().__init__(name="stress-reader", daemon=True)
        self.db, self.options = db, options
        self.stop = threading.Event()
        self.reads = 0
        self.error: str | None = None
        self.phase = "start"

    def run(self) -> None:
        from civicgraph.graph import open_store

        try:
            self.phase = "open"
            with open_store(self.db, **self.options) as guest:
                self.phase = "read"
                while not self.stop.is_set():
                    guest.query("MATCH (n:Organization) RETURN count(n) AS n")
                    guest.query("MATCH ()-[r:PARTNER_OF]->() RETURN count(r) AS n")
                    self.reads += 1
                self.phase = "close"
        except Exception as exc:  # noqa: BLE001 - reported in the iteration's record
            self.error = f"{type(exc).__name__}: {exc}"


def one_store(
    work: Path, index: int, nodes: Path, edges: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Create, load and query one fresh store; return what happened."""
    from civicgraph.graph import CivicgraphError, open_store
    from civicgraph.loaders import load

    db = work / f"s{index}.db"
    record: dict[str, Any] = {"store": index, "hang": False, "phase": "open"}
    began = time.monotonic()
    store = None
    reader: _Reader | None = None
    try:
        store = open_store(db, **args.options)
        record["phase"] = "load"
        if args.reader:
            reader = _Reader(db, args.options)
            reader.start()
        summary = load(store, nodes=[nodes], edges=[edges], batch_size=args.batch, progress=False)
        record["created"] = summary.totals().created
        if reader is not None:
            reader.stop.set()
            reader.join(args.timeout * 3)
            record["reads"] = reader.reads
            if reader.error:
                record["reader_error"] = reader.error
        record["phase"] = "query"
        nodes_n, rels_n = store.totals()
        record["totals"] = [nodes_n, rels_n]
        store.query(
            "MATCH (a:Organization)-[:PARTNER_OF]->(b)-[:PARTNER_OF]->(c) "
            "WHERE a.size = 1 RETURN count(c) AS n"
        )
        store.digest()
        record["phase"] = "close"
    except Exception as exc:  # noqa: BLE001 - recorded; the loop goes on
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["civicgraph_error"] = isinstance(exc, CivicgraphError)
        info = _server(db)
        pid, sock = info.get("pid"), info.get("socket")
        if "did not answer" in str(exc) and pid and sock and not _ping(sock):
            record["hang"] = True
            record["threads"] = _threads(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    finally:
        if reader is not None:
            reader.stop.set()
            reader.join(args.timeout * 3)
        if store is not None:
            record["recoveries"] = int(getattr(store.backend, "recoveries", 0) or 0)
            supervisor = getattr(store.backend, "supervisor", None)
            if record["recoveries"] and supervisor is not None:
                record["threads"] = [getattr(r, "threads", []) for r in supervisor.recoveries]
            with contextlib.suppress(Exception):
                store.close()
    record["seconds"] = round(time.monotonic() - began, 2)
    if reader is not None and reader.error and "did not answer" in reader.error:
        record["reader_hang"] = True
    if "error" in record or record.get("recoveries") or record.get("reader_error"):
        # kept for a look at the engine's log (and moved out of the work folder)
        log = db / "data" / "engine.log"
        if log.exists():
            record["engine_log"] = log.read_text(errors="replace").splitlines()[-15:]
        kept = Path(tempfile.gettempdir()) / f"civicgraph-stress-kept-{os.getpid()}-{index}.db"
        shutil.move(str(db), kept)
        record["kept"] = str(kept)
    shutil.rmtree(db, ignore_errors=True)
    return record


def _options(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key] = int(value) if value.lstrip("-").isdigit() else value
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--edges", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--reader", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--engine-option", dest="options", action="append", default=[])
    parser.add_argument("--label", default="run")
    parser.add_argument("--log", type=Path, default=None)
    args = parser.parse_args(argv)
    args.options = _options(args.options)
    os.environ["CIVICGRAPH_TIMEOUT"] = f"{args.timeout:g}"
    work = Path(tempfile.mkdtemp(prefix="civicgraph-stress-"))
    nodes, edges = _write_input(work, args.nodes, args.edges, seed=13)
    import civicgraph.graph.engine as engine_module

    print(
        f"stress_hang [{args.label}]: {args.stores} fresh stores, {args.nodes} nodes + "
        f"{args.edges} relationships each, batch {args.batch}, reader {args.reader}, "
        f"options {args.options}, timeout {args.timeout:g} s; civicgraph from "
        f"{Path(engine_module.__file__).parent.parent}; {platform.node()}, "
        f"{os.cpu_count()} cpus",
        flush=True,
    )
    hangs = recoveries = errors = 0
    t0 = time.monotonic()
    log = open(args.log, "a") if args.log else None  # noqa: SIM115 - closed below
    try:
        for i in range(args.stores):
            record = one_store(work, i, nodes, edges, args)
            record["label"] = args.label
            hangs += record["hang"] or bool(record.get("reader_hang"))
            recoveries += record.get("recoveries", 0)
            errors += "error" in record and not record["hang"]
            errors += bool(record.get("reader_error")) and not record.get("reader_hang")
            if log:
                log.write(json.dumps(record) + "\n")
                log.flush()
            if record["hang"] or record.get("recoveries") or "error" in record:
                print(json.dumps(record), flush=True)
            if (i + 1) % 20 == 0:
                print(
                    f"  {i + 1} stores, {hangs} hangs, {recoveries} recoveries, {errors} other "
                    f"errors, {time.monotonic() - t0:.0f} s",
                    flush=True,
                )
    finally:
        if log:
            log.close()
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"[{args.label}] {args.stores} stores: {hangs} hangs (timeouts), {recoveries} "
        f"supervisor recoveries, {errors} other errors, {time.monotonic() - t0:.0f} s",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
