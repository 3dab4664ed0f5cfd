"""Helpers for tests that kill, stop or freeze engines: find a store's engine processes (a
``psutil`` scan of command lines), wait for a condition, tell whether a pid is gone.

Used by ``test_crash.py`` and ``test_supervisor.py``, by the ``no_engine_survives``
fixture in ``conftest.py``, and by ``bench/hang_recovery.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

__all__ = ["engines_under", "gone", "python_child", "server_pid", "start_demo", "wait_for"]


def engines_under(path: Path) -> list[psutil.Process]:
    """``redis-server`` processes whose command line holds *path* (stopped ones included;
    zombies, already dead, not)."""
    out = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
            if (
                str(path) in cmd
                and "redis-server" in cmd
                and proc.info["status"] != psutil.STATUS_ZOMBIE
            ):
                out.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


def server_pid(db: Path) -> int | None:
    """The pid of the engine store *db*'s ``server.json`` names (None: no readable one)."""
    try:
        return int(json.loads((db / "server.json").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, step: float = 0.02) -> Any:
    """Poll *predicate* until it is truthy (return it) or *timeout* seconds pass (fail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")


def gone(pid: int) -> bool:
    """True when *pid* has exited (a zombie counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def start_demo(civicgraph: str, folder: Path, stderr: Any = subprocess.DEVNULL) -> subprocess.Popen:
    """`civicgraph demo` into *folder*/demo.db (page *folder*/anvita.html), its stdout a pipe
    of text lines for the test to follow."""
    db, html = folder / "demo.db", folder / "anvita.html"
    return subprocess.Popen(
        [civicgraph, "demo", "--db", str(db), "--html", str(html)],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def python_child(code: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A Python child running *code*, its three streams text pipes (the test drives it
    line by line)."""
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
