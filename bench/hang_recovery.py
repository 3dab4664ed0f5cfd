"""What a frozen engine costs a large load (issue #13): the 400,000-row zero-configuration
load, clean and with its engine frozen (SIGSTOP, never continued) part-way.

For each run it prints the wall time of ``civicgraph load``, its exit code, the warning
lines it wrote (with the second they appeared, counted from the start of the load), and
whether ``civicgraph info --format json`` (the location aside) and the store's digest are
those of the clean load; then the extra time the recovery cost.  The frozen engine must be
gone afterwards (no stopped process left): checked and printed.

Freeze points (``--freeze``, repeatable):

* ``4s``: 4 seconds after the command starts (the issue's case: the load is then still
  reading and validating, so the first statement after that finds the engine frozen);
* ``batch:N``: once the load journal says N batches are done (a freeze during the writes).

Usage::

    python bench/hang_recovery.py                       # 100,000 + 300,000 rows, 4s and batch:40
    python bench/hang_recovery.py --freeze 4s --nodes 20000 --edges 60000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from gen_partners import write_partners  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from engine_processes import server_pid  # noqa: E402

CIVICGRAPH = str(Path(sys.executable).with_name("civicgraph"))


def _done_batches(db: Path) -> int:
    total = 0
    for path in (db / "loads").glob("*.jsonl"):
        total += path.read_text().count('"event": "done"')
    return total


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def _info(db: Path) -> dict[str, Any]:
    out = subprocess.run(
        [CIVICGRAPH, "info", "--format", "json", "--db", str(db)],
        capture_output=True,
        text=True,
        check=True,
    )
    info: dict[str, Any] = json.loads(out.stdout)
    info.pop("location", None)
    return info


def _digest(db: Path) -> str:
    from civicgraph.graph import open_store

    with open_store(db) as store:
        return store.digest()


def load(db: Path, nodes: Path, edges: Path, freeze: str | None) -> dict[str, Any]:
    """Run ``civicgraph load`` on *db*, freezing its engine at *freeze*; return figures."""
    began = time.monotonic()
    child = subprocess.Popen(
        [CIVICGRAPH, "load", "--nodes", str(nodes), "--edges", str(edges), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[tuple[float, str]] = []

    def read_stderr() -> None:
        assert child.stderr is not None
        for line in child.stderr:
            lines.append((time.monotonic() - began, line.rstrip()))

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    frozen: int | None = None
    frozen_at = None
    while freeze and frozen is None and child.poll() is None:
        pid = server_pid(db)
        if freeze.endswith("s"):
            due = time.monotonic() - began >= float(freeze[:-1])
        else:
            due = _done_batches(db) >= int(freeze.split(":")[1])
        if pid and due:
            os.kill(pid, signal.SIGSTOP)
            frozen, frozen_at = pid, time.monotonic() - began
        time.sleep(0.01)
    assert child.stdout is not None
    child.stdout.read()  # not communicate(): that would read stderr too, beside the thread
    child.wait()
    seconds = time.monotonic() - began
    reader.join(5)
    figures: dict[str, Any] = {
        "freeze": freeze or "none",
        "exit": child.returncode,
        "seconds": round(seconds, 1),
        "frozen_at": round(frozen_at, 1) if frozen_at is not None else None,
        "stderr": [f"{t:.1f} s: {text}" for t, text in lines if text.strip()],
    }
    if frozen is not None:
        deadline = time.monotonic() + 10
        while not _gone(frozen) and time.monotonic() < deadline:
            time.sleep(0.05)
        figures["frozen_engine_gone"] = _gone(frozen)
        if not _gone(frozen):  # ours: do not leave it behind
            os.kill(frozen, signal.SIGKILL)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=300_000)
    parser.add_argument("--freeze", action="append", default=[])
    parser.add_argument("--keep", action="store_true", help="keep the stores")
    args = parser.parse_args()
    freezes = args.freeze or ["4s", "batch:40"]
    work = Path(tempfile.mkdtemp(prefix="civicgraph-hang-"))
    try:
        nodes, edges = write_partners(work / "in", args.nodes, args.edges)
        hang = os.environ.get("CIVICGRAPH_HANG_SECONDS", "10 (default)")
        print(
            f"hang_recovery: {args.nodes:,} Organization + {args.edges:,} PARTNER_OF rows, "
            f"CIVICGRAPH_HANG_SECONDS={hang}, {os.cpu_count()} cpus",
            flush=True,
        )
        clean = load(work / "clean.db", nodes, edges, None)
        clean_info, clean_digest = _info(work / "clean.db"), _digest(work / "clean.db")
        print(
            f"clean load: exit {clean['exit']}, {clean['seconds']} s; "
            f"{clean_info['nodes']:,} nodes, {clean_info['relationships']:,} relationships",
            flush=True,
        )
        for i, freeze in enumerate(freezes):
            db = work / f"frozen{i}.db"
            run = load(db, nodes, edges, freeze)
            same_info = run["exit"] == 0 and _info(db) == clean_info
            same_digest = run["exit"] == 0 and _digest(db) == clean_digest
            print(
                f"frozen at {freeze} (SIGSTOP at {run['frozen_at']} s): exit {run['exit']}, "
                f"{run['seconds']} s, recovery cost {run['seconds'] - clean['seconds']:+.1f} s; "
                f"info equal: {same_info}; digest equal: {same_digest}; "
                f"frozen engine gone: {run.get('frozen_engine_gone')}",
                flush=True,
            )
            for line in run["stderr"]:
                print(f"    stderr {line}", flush=True)
    finally:
        if args.keep:
            print(f"stores kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
