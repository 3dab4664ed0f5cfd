"""The load journal: which batches a resumed load trusts, and which it writes again
(``Journal.in_doubt``, ``Journal.redo``), from journals written as a load writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from civicgraph.loaders.base import ACK_TO_FILE
from civicgraph.loaders.journal import Journal


def _journal(tmp_path: Path, entries: list[dict[str, Any]]) -> Journal:
    (tmp_path / "k.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    journal = Journal(tmp_path, "k")
    journal.read()
    return journal


def _batch(n: int, planned: float | None, done: float | bool | None) -> list[dict[str, Any]]:
    """Batch *n*'s plan entry and, unless *done* is False, its done entry, stamped with
    the given times (None: no time, as civicgraph wrote them before 2026-12-03)."""
    plan: dict[str, Any] = {"event": "plan", "batch": n, "counts": {"created": 2}}
    finished: dict[str, Any] = {"event": "done", "batch": n}
    for entry, at in ((plan, planned), (finished, done)):
        if at is not None:
            entry["at"] = at
    return [plan] if done is False else [plan, finished]


def test_the_batches_of_the_last_seconds_are_in_doubt(tmp_path: Path) -> None:
    entries = [*_batch(0, 100, 100.5), *_batch(1, 101, 101.5), *_batch(2, 103, 103.9)]
    entries += _batch(3, 104.0, False)  # planned, then the kill
    journal = _journal(tmp_path, entries)
    assert journal.done == {0, 1, 2}
    assert journal.in_doubt(ACK_TO_FILE) == {1, 2}  # done at or after 104.0 - 3


def test_a_batch_written_again_stays_planned_until_written_in_a_later_run(
    tmp_path: Path,
) -> None:
    """The reviewer's case: run 2 journals that it writes batches 1 and 2 again, writes 1,
    then stops seconds later.  Run 3 must not trust batch 2 (it counts from run 2's last
    entry, where 2 would no longer look recent): the redo entry keeps it planned."""
    entries = [*_batch(0, 90, 90.5), *_batch(1, 101, 101.5), *_batch(2, 102, 102.5)]
    journal = _journal(tmp_path, entries)
    assert journal.in_doubt(ACK_TO_FILE) == {1, 2}
    journal.redo(journal.in_doubt(ACK_TO_FILE))  # run 2, as run_load does it
    assert journal.done == {0}
    with open(journal.path, "a") as f:  # run 2 writes batch 1 again, then batch 3, later
        f.write(json.dumps({"event": "done", "batch": 1, "at": 110.0}) + "\n")
        for entry in _batch(3, 120.0, 121.0):
            f.write(json.dumps(entry) + "\n")
    run3 = Journal(tmp_path, "k")
    run3.read()
    assert run3.done == {0, 1, 3}
    assert 2 in run3.planned and 2 not in run3.done  # written again by run 3, as planned
    assert run3.in_doubt(ACK_TO_FILE) == {3}


def test_a_journal_without_times_doubts_its_last_batch(tmp_path: Path) -> None:
    """Written by a civicgraph that did not time its entries."""
    journal = _journal(tmp_path, [*_batch(0, None, None), *_batch(1, None, None)])
    assert journal.done == {0, 1}
    assert journal.in_doubt(ACK_TO_FILE) == {1}


def test_untimed_entries_before_timed_ones_are_trusted(tmp_path: Path) -> None:
    """An untimed journal resumed by a civicgraph that times its entries: the untimed
    batches are older than every timed one."""
    entries = [
        {"event": "plan", "batch": 0, "counts": {"created": 2}},
        {"event": "done", "batch": 0},
        *_batch(1, 500.0, 500.5),
    ]
    assert _journal(tmp_path, entries).in_doubt(ACK_TO_FILE) == {1}


def test_a_clock_stepped_back_puts_the_later_stamped_batches_in_doubt(tmp_path: Path) -> None:
    entries = [*_batch(0, 200.0, 200.5), *_batch(1, 50.0, 50.5)]
    assert _journal(tmp_path, entries).in_doubt(ACK_TO_FILE) == {0, 1}


def test_a_done_batch_without_its_plan_is_not_in_doubt(tmp_path: Path) -> None:
    """Its counts would be unknown: the resume trusts it as before."""
    entries = [{"event": "done", "batch": 0, "at": 100.0}, *_batch(1, 100.1, 100.2)]
    journal = _journal(tmp_path, entries)
    assert journal.in_doubt(ACK_TO_FILE) == {1}


def test_appended_entries_carry_their_time(tmp_path: Path) -> None:
    journal = Journal(tmp_path, "k")
    journal.append({"event": "plan", "batch": 0, "counts": {"created": 1}})
    entry = json.loads(journal.path.read_text())
    assert entry["event"] == "plan" and isinstance(entry["at"], float)
