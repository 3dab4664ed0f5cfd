"""Pausing Python's cyclic garbage collector while a large reply or table is built.

Reading a large reply builds millions of small containers (the engine's 183,000 mayoral
terms × 15 values: 8 million lists, strings and integers) that are not garbage.  The cyclic
collector still runs every few hundred allocations and, as the heap grows, walks every one
of them again: reading those terms took 4.3–5.4 s with it running, 1.9–2.4 s paused.
Reference counting still frees everything that is not in a cycle while it is paused.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def paused() -> Iterator[None]:
    """Hold the cyclic collector off for the block, then put it back as it was.

    Nests, and may be entered by several threads at once: the collector is set back (on,
    if it was on before the first of them entered) when the last one leaves.

    >>> import gc
    >>> with paused():
    ...     with paused():
    ...         gc.isenabled()
    ...     gc.isenabled()
    False
    False
    >>> gc.isenabled()
    True
    """
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
