"""Supervision of the embedded engine (DESIGN §6): it heals itself when it hangs.

FalkorDB 4.16.3 can deadlock under its own lock order (upstream FalkorDB#2129): the socket
stays open and nothing answers, not even ``PING``.  :class:`EngineSupervisor` watches an
engine from a thread of the process that started it (or joined it); when the engine neither
answers nor works for ``$CIVICGRAPH_HANG_SECONDS``, it is killed by its pid and started again
from its append-only file (:meth:`EmbeddedEngine.restart
<civicgraph.graph.engine.EmbeddedEngine.restart>`), and each statement that was waiting
learns of the :class:`Recovery` and goes on: the client decides what is safe to run again.

This module only watches and restarts; it knows nothing of graphs or Cypher (the FalkorDB
backend wires its own steps in: ``after_restart``, ``on_give_up``).  ``SIGSTOP`` on the engine
reproduces the hung state exactly (``tests/graph/test_supervisor.py``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError, EngineError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .engine import EmbeddedEngine

__all__ = [
    "DEFAULT_HANG_SECONDS",
    "HANG_ENV",
    "EngineSupervisor",
    "Recovery",
    "answers_ping",
    "cpu_seconds",
    "hang_seconds_from_env",
    "is_stopped",
    "number_setting",
    "pid_alive",
    "thread_states",
]

log = logging.getLogger("civicgraph")

#: The environment variable giving how long (seconds) the engine may leave a PING unanswered
#: before its supervisor restarts it.
HANG_ENV = "CIVICGRAPH_HANG_SECONDS"
#: A PING is answered by Redis' main thread, which does no query work (queries run on
#: FalkorDB's worker threads): it answers in milliseconds even during a long query, and
#: within 0.4 s while a write of 1.5 million nodes commits.  Ten seconds is far from both.
DEFAULT_HANG_SECONDS = 10.0


def number_setting(
    name: str,
    default: float,
    zero_means: str,
    env: Mapping[str, str] | None = None,
    *,
    unit: str = "seconds",
) -> float | None:
    """A number (of *unit*) from the environment variable *name*: *default* when unset,
    ``None`` for ``0`` (which *zero_means*), a :class:`ConfigurationError` naming the
    variable for anything else than a finite number ≥ 0.

    >>> number_setting("X", 10.0, "off", {"X": "2.5"}), number_setting("X", 10.0, "off", {})
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
            f"{name}={text!r} is not a number of {unit} (e.g. {default:g}; 0 {zero_means})"
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
    return number_setting(HANG_ENV, DEFAULT_HANG_SECONDS, "turns the engine's supervision off", env)


# -- the engine's process, seen from outside -----------------------------------------------
def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stopped(pid: int) -> bool:
    """True when *pid* is stopped (SIGSTOP, a debugger): it cannot act on SIGTERM."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("T", "t")


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system, all threads) *pid* has used, from ``/proc``; None if gone."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def thread_states(pid: int | None) -> list[str]:
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


def answers_ping(socket_path: str | None, timeout: float, *, ready: bool = False) -> bool:
    """True when the engine on *socket_path* answers ``PING`` within *timeout* seconds.

    Raw RESP on a fresh socket, so neither a client's retries nor its pool are involved.
    Any answer counts (an engine still loading its files answers ``-LOADING``: it is alive);
    ``ready=True``: only ``PONG`` does (an engine that can take statements now).
    """
    import socket

    if not socket_path:
        return False
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(timeout)
    try:
        sock.connect(socket_path)
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        answer = sock.recv(64)[:1]
        return answer == b"+" if ready else answer in (b"+", b"-")  # PONG, or LOADING
    except OSError:
        return False
    finally:
        sock.close()


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
        self._cpu_mark = cpu_seconds(self.engine.pid)

    def _note_work(self) -> None:
        """While a PING waits: did the engine use CPU since the last look?  Then it works.

        A write that changes millions of entities holds Redis' main thread while it commits
        (deleting 3 million nodes: 7 s without an answer to PING), and that thread runs.
        In the deadlock every thread waits on a lock, and a stopped engine does nothing: no
        CPU time at all.  So the hang limit counts the time with neither an answer nor work.
        """
        cpu = cpu_seconds(self.engine.pid)
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
        recovery.threads = thread_states(self.engine.pid)
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
        if not isinstance(owner, int) or not pid_alive(owner):
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
                        if answers_ping(self.engine.socket, 1.0):
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
            if answers_ping(self.engine.socket, 1.0):
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
