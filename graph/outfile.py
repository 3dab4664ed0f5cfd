"""Output files written safely: checked before the work starts, replaced atomically.

Every file civicgraph writes for a user (``export -o``, ``load --report``, ``explore -o``,
the demo page) goes through :func:`check_writable` before the first write — before a store
is opened or a load commits anything — and through :func:`atomic_output`, which writes a
temporary file in the same directory, flushes it to disk (``fsync``) and renames it over the
target.  A failure at any point (a full disk, a kill) leaves the previous file as it was.

A path that exists and is not a regular file (``/dev/stdout``, ``/dev/null``, a named pipe)
is written in place: renaming over a device would replace it.

>>> from civicgraph.graph.outfile import atomic_output
>>> with atomic_output("out.jsonl") as f:     # doctest: +SKIP
...     f.write(b"...")
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import OutputNotWritable

__all__ = ["atomic_output", "cannot_write", "check_writable", "os_error_line"]


def os_error_line(exc: OSError) -> str:
    """One line for an operating-system error on a user's path: the path, the reason, the fix.

    >>> os_error_line(FileNotFoundError(errno.ENOENT, "No such file or directory", "x.csv"))
    'x.csv: No such file or directory; check the path'
    """
    where = f"{exc.filename}: " if exc.filename is not None else ""
    return f"{where}{exc.strerror or exc}; {_FIXES.get(exc.errno or 0, 'check the path')}"


def cannot_write(path: str | os.PathLike[str], exc: OSError, *, kept: bool = False) -> str:
    """One line saying why *path* cannot be written and what to do about it."""
    reason = exc.strerror or str(exc)
    tail = f" (the previous {os.fspath(path)} is unchanged)" if kept else ""
    return f"cannot write {os.fspath(path)}: {reason}; {_FIXES.get(exc.errno or 0, 'choose another path')}{tail}"


_FIXES = {
    errno.ENOSPC: "free some space there or write elsewhere",
    errno.EDQUOT: "free some space there or write elsewhere",
    errno.EFBIG: "the file is larger than this system allows: write elsewhere",
    errno.EROFS: "it is on a read-only file system: write elsewhere",
    errno.EACCES: "choose a path you may write to, or fix its permissions",
    errno.EPERM: "choose a path you may write to, or fix its permissions",
    errno.EISDIR: "give a file name, not a directory",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
    errno.ENAMETOOLONG: "use a shorter name",
    errno.ENOENT: "check the path",
}


def _existing_ancestor(p: Path) -> Path:
    for parent in [p, *p.parents]:
        if parent.exists():
            return parent
    return Path(".")


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise :class:`OutputNotWritable` unless *path* can be written (``-`` always can).

    Checked, before any work: the path is not a directory; a missing parent can be created
    (its nearest existing ancestor is a writable directory); a file can be created in that
    directory (this catches read-only mounts, which permission bits do not show to root); an
    existing non-regular file (a device) accepts writing.  Nothing is left behind.
    """
    text = os.fspath(path)
    if text == "-":
        return
    p = Path(text)
    try:
        if p.is_dir():
            raise OutputNotWritable(
                cannot_write(p, IsADirectoryError(errno.EISDIR, "is a directory"))
            )
        if p.exists() and not p.is_file():
            # a device or pipe: written in place
            if not os.access(p, os.W_OK):
                raise PermissionError(errno.EACCES, "permission denied")
            return
        if p.exists() and not os.access(p, os.W_OK):
            raise PermissionError(errno.EACCES, "permission denied")
        folder = _existing_ancestor(p.parent)
        if not folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, f"{folder} is not a directory")
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".civicgraph-check-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputNotWritable(cannot_write(p, exc)) from None


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str], *, text: bool = False, newline: str | None = None
) -> Iterator[IO[Any]]:
    """Open *path* for writing so that it is replaced only when the writing succeeded.

    Yields a file opened in the temporary's place (binary, or UTF-8 text with *text*).  On
    leaving the block normally the data is fsynced and renamed over *path* (keeping the
    mode of a file it replaces); on an error the temporary is removed and *path* untouched.
    ``OSError`` becomes :class:`OutputNotWritable` naming *path*.
    """
    p = Path(os.fspath(path))
    kept = p.exists()
    try:
        if kept and not stat.S_ISREG(p.stat().st_mode):
            # A device, a pipe: there is nothing to keep, and nothing to rename over.
            kept = False
            with _open(p, text, newline) as f:
                yield f
            return
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputNotWritable(cannot_write(p, exc, kept=kept)) from None
    try:
        with _open(fd, text, newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        mode = p.stat().st_mode & 0o7777 if kept else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, p)
        _fsync_dir(p.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputNotWritable(cannot_write(p, exc, kept=kept)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _open(target: Path | int, text: bool, newline: str | None) -> IO[Any]:
    if text:
        return open(target, "w", encoding="utf-8", newline=newline)
    return open(target, "wb")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (best effort: some file systems refuse it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
