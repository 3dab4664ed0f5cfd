"""The collector pause nests across threads and puts the collector back as it found it."""

from __future__ import annotations

import gc
import threading

from civicgraph.graph import gcpause


def test_overlapping_pauses_in_two_threads_end_with_the_collector_on() -> None:
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with gcpause.paused():
            inside.set()
            leave.wait(5)

    assert gc.isenabled()
    thread = threading.Thread(target=other)
    with gcpause.paused():
        thread.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # the other thread is still reading
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with gcpause.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
