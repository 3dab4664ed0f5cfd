"""Reading a load's files in a second process, while this one validates what it reads.

A load's first phase (:mod:`civicgraph.loaders.base`) reads every record and validates it
before anything is written.  Python runs one thread at a time, so on one process the
readers (decoding, parsing, a register's name resolution) and the validation and staging
take turns.  For a large load, :func:`load` starts a reading process: it runs the very same
readers (:func:`~civicgraph.loaders.api.read_records`) and sends their records here in
chunks through a pipe, while this process validates and stages the chunks before them: two
cores at work.  The records, their order, the review rows, the encodings and the
bare-id counts are those the readers give in this process (``tests/loaders/test_reading.py``
compares both ways, record by record).

The reading process:

* is a fresh interpreter (``python -m civicgraph.loaders.reading``), never a fork of this
  one: a fork would share this process's engine connection and threads, and
  :mod:`multiprocessing`'s ``spawn`` would import the user's main script again;
* joins the store as a guest (the register readers look names up in it), and only reads:
  this process holds the write lock for the whole load, so nothing changes under it;
* runs in its own session (Ctrl-C in a terminal reaches this process, which stops it) and
  dies with this process (``PR_SET_PDEATHSIG``), so it never outlives a load;
* starts in about half a second (an interpreter, the package, joining the store), which
  this process spends on the first file's first pass (the kinds of its columns, see
  :mod:`~civicgraph.loaders.files`) instead of waiting: the synthetic 400,000-row load's
  first records arrived after 0.9-1.2 s, now 0.2 s;
* sends an error it meets (a bad row's :class:`~civicgraph.graph.errors.LoadError`, with
  its file, line and field) at the place in the stream where the readers raised it.

**Sharing the validation.**  Validating a record (:func:`~civicgraph.loaders.validate.validate`)
costs about as much as reading it, so the two processes balance the work between them:
before it sends a chunk, the reading process looks whether this process has taken in the
one before (``FIONREAD`` on the pipe).  If it has not, this process is the slower one, and
the reading process validates the chunk itself; each record then says so, or carries the
:class:`~civicgraph.graph.errors.LoadError` validation raised (:attr:`NodeRecord.checked`),
and this process handles it exactly as if it had validated the record (same checks, same
model, same errors at the same place).  On a zero-configuration CSV file, where reading is
cheap, about a quarter of the records are validated there (the synthetic 400,000-row load:
55-58 chunks of 200); a register's reader, slower, validates few or none.  ``CIVICGRAPH_READ_VALIDATE`` = ``auto`` (the default),
``always`` or ``never`` (tests use both ends).

When is it used: ``CIVICGRAPH_READ_PROCESS`` = ``auto`` (the default: on the embedded
engine, for files of :data:`AUTO_BYTES` and more, about 100,000 rows; a smaller load is
read before a second interpreter would have started), ``always`` or ``never``.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import marshal
import os
import pickle
import signal
import struct
import subprocess
import sys
import termios
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from civicgraph.graph.errors import ConfigurationError, LoadError, ReaderStopped

from .records import NodeRecord, Record, Reject, RelRecord
from .validate import validate

__all__ = [
    "AUTO_BYTES",
    "ReadPlan",
    "ReadState",
    "child_records",
    "wanted",
]

#: Bytes of input (compressed files count :data:`PACKED` times) from which ``auto`` reads
#: in a second process.
AUTO_BYTES = 8_000_000
#: How much larger than their size compressed files count (a register's ``.gz``/``.zip``).
PACKED = 5
#: Records per message: large enough that a message costs little, small enough that
#: the pipe keeps both processes busy.
CHUNK = 2000
#: The pipe's size (Linux's largest for an unprivileged process by default).
PIPE_BYTES = 1 << 20

_HEAD = struct.Struct("<BBQ")
#: The reading process's program (``-m`` would warn: the package imports this module).
_CHILD = "import sys; from civicgraph.loaders.reading import _main; sys.exit(_main(sys.argv[1:]))"
_RECORDS, _END, _ERROR = 0, 1, 2
#: A message's body: pickled, or (records whose values are all plain: the common case)
#: marshalled, which costs both processes about half as much.
_PICKLED, _MARSHALLED = 0, 1


@dataclass(frozen=True)
class ReadPlan:
    """What :func:`~civicgraph.loaders.api.load` reads: its arguments, so that either
    process reads the same records from it; and, for a reading process, the first file's
    column kinds, found by the readers' own first pass."""

    nodes: tuple[str, ...] = ()
    edges: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    fmt: str | None = None
    mapping: str | None = None
    delimiter: str = ","
    options: dict[str, Any] = field(default_factory=dict)
    encoding: str | None = None
    dayfirst: bool = False
    category_map: dict[str, str] = field(default_factory=dict)
    #: zero-configuration files' column kinds, found while the reading process starts
    #: (:func:`_kinds_ahead`): the one thing here computed, by the readers' own first pass
    column_kinds: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class ReadState:
    """What reading leaves to the load besides its records: the rows needing review, the
    encoding each text file was read with, and how many ids were given their prefix."""

    review: list[dict[str, Any]] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)
    prefixed_nodes: int = 0
    prefixed_ends: int = 0
    #: peak resident memory (MB) of the reading process, when there was one
    reader_peak_mb: float = 0.0


def wanted(store: Any, files: Sequence[Path]) -> bool:
    """Whether this load reads its files in a second process (see the module docstring).

    Raises
    ------
    ConfigurationError
        ``CIVICGRAPH_READ_PROCESS`` is none of ``auto``, ``always``, ``never``.
    """
    how = os.environ.get("CIVICGRAPH_READ_PROCESS", "auto").strip().lower() or "auto"
    if how not in ("auto", "always", "never"):
        raise ConfigurationError(
            f"CIVICGRAPH_READ_PROCESS={how!r}: use auto, always or never",
            field="CIVICGRAPH_READ_PROCESS",
        )
    # A guest joins the store's engine by its directory; a server store would need this
    # process's connection options, and its writes, not its reading, take the time.
    if how == "never" or not files or store.backend.state_dir() is None:
        return False
    if how == "always":
        return True
    size = 0
    for f in files:
        with contextlib.suppress(OSError):
            packed = f.suffix.lower() in (".gz", ".zip", ".bz2", ".xz")
            size += f.stat().st_size * (PACKED if packed else 1)
    return size >= AUTO_BYTES


# Message items: a node, a relationship, a reader's Reject; a node or relationship the
# reading process validated, with its verdict (None: valid; else its LoadError's fields).
_NODE, _REL, _REJECT, _CHECKED = range(4)


def _encode(rec: Record) -> tuple[Any, ...]:
    if isinstance(rec, NodeRecord):
        return (_NODE, rec.label, rec.props, rec.file, rec.line)
    if isinstance(rec, RelRecord):
        return (_REL, rec.type, rec.source, rec.target, rec.props, rec.file, rec.line)
    return (_REJECT, rec.file, rec.line, rec.field, rec.error, rec.record)


def _encode_checked(store: Any, rec: Record) -> tuple[Any, ...]:
    """*rec* validated here, with its verdict (the record as validation left it, as the
    load's process would have it)."""
    if isinstance(rec, Reject):
        return _encode(rec)
    try:
        validate(store, rec)
    except LoadError as exc:
        return (_CHECKED, (exc.message, exc.file, exc.line, exc.field), _encode(rec))
    return (_CHECKED, None, _encode(rec))


def _decode(t: tuple[Any, ...]) -> Record:
    kind = t[0]
    if kind == _NODE:
        return NodeRecord(t[1], t[2], t[3], t[4])
    if kind == _REL:
        return RelRecord(t[1], t[2], t[3], t[4], t[5], t[6])
    if kind == _CHECKED:
        rec = _decode(t[2])
        assert not isinstance(rec, Reject)
        error = t[1]
        rec.checked = (
            True
            if error is None
            else LoadError(error[0], file=error[1], line=error[2], field=error[3])
        )
        return rec
    return Reject(t[1], t[2], t[3], t[4], t[5])


def _share() -> str:
    """``CIVICGRAPH_READ_VALIDATE``: which chunks the reading process validates."""
    how = os.environ.get("CIVICGRAPH_READ_VALIDATE", "auto").strip().lower() or "auto"
    if how not in ("auto", "always", "never"):
        raise ConfigurationError(
            f"CIVICGRAPH_READ_VALIDATE={how!r}: use auto, always or never",
            field="CIVICGRAPH_READ_VALIDATE",
        )
    return how


def _behind(fd: int) -> bool:
    """Whether the load's process has not taken in all that was sent (bytes in the pipe)."""
    try:
        pending = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
    except OSError:  # no FIONREAD here: never share
        return False
    return bool(struct.unpack("i", pending)[0])


def child_records(plan: ReadPlan, location: str, state: ReadState) -> Generator[Record, None, None]:
    """The records of *plan*, read by a second process on the store at *location*; when
    they are all read, *state* holds what the readers left (review rows, encodings…).

    Raises
    ------
    ReaderStopped
        The reading process died (killed, out of memory) before it finished.
    LoadError, … : whatever the readers raised, at the same place in the stream.
    """
    read_end, write_end = os.pipe()
    # Room for a few chunks: the reading process seldom waits for this one, and what this
    # one has not taken yet tells it that it lags (_behind).
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(read_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(write_end), str(os.getpid()), location],
            stdin=subprocess.PIPE,
            pass_fds=(write_end,),
            start_new_session=True,
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    try:
        assert proc.stdin is not None
        # While it starts (an interpreter, the package, joining the store: half a second),
        # this process makes the first pass over the zero-configuration files.
        plan = _kinds_ahead(plan)
        with contextlib.suppress(BrokenPipeError):  # it died at once: said below
            proc.stdin.write(pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL))
            proc.stdin.close()
        # A small buffer: what is not read yet stays in the pipe, where _behind sees it.
        with os.fdopen(read_end, "rb", buffering=1 << 16) as pipe:
            read_end = -1
            while True:
                kind, body = _receive(pipe, proc)
                if kind == _RECORDS:
                    for t in body:
                        yield _decode(t)
                elif kind == _END:
                    state.review.extend(body["review"])
                    state.encodings.update(body["encodings"])
                    state.prefixed_nodes = body["prefixed_nodes"]
                    state.prefixed_ends = body["prefixed_ends"]
                    state.reader_peak_mb = body["peak_kb"] / 1024
                    return
                else:
                    raise body
    finally:
        if read_end >= 0:
            os.close(read_end)
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _kinds_ahead(plan: ReadPlan) -> ReadPlan:
    """*plan* with the column kinds of the first file it reads, when that is a nodes or
    edges file (the readers' first pass, :func:`~civicgraph.loaders.files.kinds_ahead`),
    read as its reader reads it.  Only the first: the reading process makes the later
    files' first passes while this process takes in the records before them.  A file whose
    first pass fails is left to its reader, which raises the error in its place among the
    records."""
    from .files import CsvOptions, kinds_ahead
    from .text import detect_encoding

    if plan.nodes:  # read_records' order: nodes files, then edges files
        p, relationship = plan.nodes[0], False
    elif plan.edges:
        p, relationship = plan.edges[0], True
    else:
        return plan
    try:
        # the encoding read_records' text_encoding gives the file
        encoding = plan.encoding if plan.encoding is not None else detect_encoding(p)
        kinds = kinds_ahead(
            p, CsvOptions(plan.delimiter, encoding=encoding), relationship=relationship
        )
    except Exception:  # noqa: BLE001 - its reader raises it where it belongs
        return plan
    return replace(plan, column_kinds={p: kinds})


def _receive(pipe: IO[bytes], proc: subprocess.Popen[bytes]) -> tuple[int, Any]:
    head = pipe.read(_HEAD.size)
    if len(head) == _HEAD.size:
        kind, how, size = _HEAD.unpack(head)
        body = pipe.read(size)
        if len(body) == size:
            return kind, marshal.loads(body) if how == _MARSHALLED else pickle.loads(body)
    code = proc.wait()
    how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
    raise ReaderStopped(
        f"the process reading the load's files stopped ({how}) before it had read them "
        "all: nothing was written to the store; run the load again (with "
        "CIVICGRAPH_READ_PROCESS=never to read in one process)"
    )


def _send(out: IO[bytes], kind: int, body: Any) -> None:
    how = _PICKLED
    if kind == _RECORDS:
        try:
            data, how = marshal.dumps(body), _MARSHALLED
        except ValueError:  # a value marshal does not know (a reader's own type): pickled
            pass
    if how == _PICKLED:
        data = pickle.dumps(body, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEAD.pack(kind, how, len(data)))
    out.write(data)


def _error_message(exc: BaseException) -> BaseException:
    """*exc* if it survives pickling whole, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any exception must reach the parent
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _peak_kb() -> int:
    """This process's peak resident memory (``VmHWM``), in kB; 0 where /proc has none."""
    with contextlib.suppress(OSError), open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _main(argv: list[str]) -> int:
    """The reading process: read the plan on stdin, send records on the given descriptor."""
    fd, parent, location = int(argv[0]), int(argv[1]), argv[2]
    # Die with the load's process, even killed (checked after: it may already be gone).
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        return 1
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the load's process decides
    # What the readers build lives to the end of the reading (a register's resolver
    # indexes): the cyclic collector would walk it again and again (see run_load).
    gc.disable()
    from civicgraph.graph import open_store
    from civicgraph.loaders.api import read_records

    with os.fdopen(fd, "wb", buffering=1 << 20) as out:
        try:  # joining the store while the load's process makes its first pass
            store = open_store(location, create=False)
        except BaseException as exc:  # noqa: BLE001 - reported to the load's process
            _send(out, _ERROR, _error_message(exc))
            return 0
        try:
            plan = pickle.loads(sys.stdin.buffer.read())
        except Exception:  # noqa: BLE001 - the load's process stopped before sending it
            store.close()
            return 1
        chunk: list[Record] = []

        def pack(items: list[Record]) -> list[tuple[Any, ...]]:
            """*items* to send, validated here when the load's process lags (see the
            module docstring)."""
            if share == "always" or (share == "auto" and _behind(fd)):
                return [_encode_checked(store, r) for r in items]
            return [_encode(r) for r in items]

        try:
            share = _share()
            state = ReadState()
            for rec in read_records(plan, store, state):
                chunk.append(rec)
                if len(chunk) >= CHUNK:
                    items, chunk = chunk, []
                    _send(out, _RECORDS, pack(items))
                    out.flush()
            items, chunk = chunk, []
            if items:
                _send(out, _RECORDS, pack(items))
            _send(
                out,
                _END,
                {
                    "review": state.review,
                    "encodings": state.encodings,
                    "prefixed_nodes": state.prefixed_nodes,
                    "prefixed_ends": state.prefixed_ends,
                    "peak_kb": _peak_kb(),
                },
            )
        except BrokenPipeError:
            return 1  # the load stopped reading: nothing to say to it
        except BaseException as exc:  # noqa: BLE001 - reported to the load's process
            with contextlib.suppress(BrokenPipeError):
                if chunk:  # the records read before the error, left to the load to check
                    _send(out, _RECORDS, [_encode(r) for r in chunk])
                _send(out, _ERROR, _error_message(exc))
        finally:
            with contextlib.suppress(Exception):
                store.close()
    return 0
