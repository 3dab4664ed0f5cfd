"""The load's staging (``loaders/staging.py``): a spool that keeps a load's validated
records in memory while they fit its budget, and in its file always; the same graph
either way."""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import Any

import pytest

from civicgraph.graph import ConfigurationError, open_store
from civicgraph.loaders import load
from civicgraph.loaders.staging import MEMORY_MB, Spool, Table, memory_budget


def _records(n: int) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"org:o{i}", {"name": f"Organisation {i}", "size": i, "sources": ["src:a"]})
        for i in range(n)
    ]


def test_records_within_the_budget_are_kept_and_read_back_as_copies(tmp_path: Path) -> None:
    spool = Spool(tmp_path, memory=1 << 20)
    table = Table(spool)
    for key, props in _records(100):
        table.add(key, ("f.csv", 1), props)
    assert spool.kept is not None and len(spool.kept) == 100
    assert spool.size > 0  # written as well: a full disk stops a load where it always did
    keys = [k for k, _ in _records(100)]
    first = table.many(keys)
    assert first == [p for _, p in _records(100)]
    first[0]["id"] = "org:o0"  # what a batch does to its rows
    first[1]["name"] = "changed"
    assert table.many(keys[:2]) == [p for _, p in _records(2)]
    assert table.props("org:o1") == _records(2)[1][1]


def test_a_record_past_the_budget_sends_every_record_to_the_file(tmp_path: Path) -> None:
    one = len(marshal.dumps(_records(1)[0][1]))
    spool = Spool(tmp_path, memory=10 * one)  # room for ten records
    table = Table(spool)
    records = _records(50)
    for i, (key, props) in enumerate(records):
        table.add(key, ("f.csv", i + 1), props)
        assert (spool.kept is None) == (i >= 10), i
    assert table.many([k for k, _ in records]) == [p for _, p in records]
    assert table.where("org:o42") == ("f.csv", 43)


def test_merged_records_accumulate_their_sources_either_way(tmp_path: Path) -> None:
    got = []
    for memory in (1 << 20, 0):
        table = Table(Spool(tmp_path, memory=memory))
        assert not table.add("org:a", ("f.csv", 1), {"name": "A", "sources": ["src:a"]})
        assert table.add("org:a", ("g.csv", 7), {"size": 3, "sources": ["src:b"]})
        got.append((table.many(["org:a"]), table.where("org:a")))
    assert (
        got[0]
        == got[1]
        == ([{"name": "A", "sources": ["src:a", "src:b"], "size": 3}], ("f.csv", 1))
    )


def test_the_budget_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIVICGRAPH_SPOOL_MEMORY_MB", raising=False)
    assert memory_budget() == MEMORY_MB << 20
    monkeypatch.setenv("CIVICGRAPH_SPOOL_MEMORY_MB", "0")
    assert memory_budget() == 0
    monkeypatch.setenv("CIVICGRAPH_SPOOL_MEMORY_MB", "a lot")
    with pytest.raises(ConfigurationError, match="CIVICGRAPH_SPOOL_MEMORY_MB='a lot'"):
        memory_budget()


def test_a_load_in_memory_or_in_the_file_gives_the_same_graph(
    tmp_path: Path,
    register_loads: list[tuple[list[Path], dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The register samples one after the other (resolution, merged records, updates of
    stored persons), and a nodes file loaded twice in one load: kept in memory (the default
    budget) and read back from the spool file (a budget of 0)."""
    twice = tmp_path / "twice.csv"
    twice.write_text("id,label,name\norg:x,Organization,X\norg:y,Organization,Y\n")
    results = []
    for budget in ("32", "0"):
        monkeypatch.setenv("CIVICGRAPH_SPOOL_MEMORY_MB", budget)
        with open_store(tmp_path / f"budget-{budget}.db") as store:
            summaries = [
                load(store, files, progress=False, **opts).as_dict()
                for files, opts in register_loads
            ]
            summaries.append(load(store, nodes=[twice, twice], progress=False).as_dict())
            for s in summaries:
                s.pop("seconds")
                s.pop("phases", None)
            results.append((store.digest(), summaries, store.totals()))
    assert results[0] == results[1]
    assert results[0][1][-1]["merged"]["Organization"] == 2


def test_records_read_back_from_the_buffer_and_from_the_file_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spool writes its file a buffer at a time: a record is read back from the buffer
    before it goes out, from the file after, whole either way, merges included."""
    from civicgraph.loaders import staging

    monkeypatch.setattr(staging, "BUFFER", 700)  # a few records per write
    spool = Spool(tmp_path, memory=0)
    table = Table(spool)
    records = _records(60)
    for i, (key, props) in enumerate(records):
        table.add(key, ("f.csv", i + 1), props)
        assert spool.written + len(spool.pending) == spool.size
        assert table.props(key) == props  # the latest, from the buffer or just written
        assert table.props(records[i // 2][0]) == records[i // 2][1]  # an older one
    assert 0 < spool.written < spool.size  # some out, some still in the buffer
    assert table.add("org:o59", ("g.csv", 3), {"size": 7, "sources": ["src:b"]})
    assert table.props("org:o59") == {**records[59][1], "size": 7, "sources": ["src:a", "src:b"]}
    keys = [k for k, _ in records]
    assert spool.pending  # the latest records are still in the buffer: flush writes them
    spool.flush()
    assert spool.written == spool.size and not spool.pending
    spool.file.seek(0)
    assert len(spool.file.read()) == spool.size  # nothing written twice or lost
    got = table.many(keys)
    assert got[:59] == [p for _, p in records[:59]]
    assert got[59] == table.props("org:o59")


class _FullDisk:
    """A spool file on a disk that fills: the first write takes *room* bytes of what it is
    given, every later one fails (ENOSPC) while holding what it was given, as a file
    object written in Python (a wrapper, a test's double) may through its traceback."""

    def __init__(self, real: Any, room: int) -> None:
        self.real, self.room = real, room

    def write(self, data: Any) -> int:
        if self.room is None:
            self.held = data
            raise OSError(28, "No space left on device")
        n = self.real.write(bytes(data[: self.room]))
        self.room = None
        return n

    def fileno(self) -> int:
        return self.real.fileno()

    def close(self) -> None:
        self.real.close()


def test_a_spool_write_cut_short_by_a_full_disk_is_its_one_line_error(tmp_path: Path) -> None:
    """Part of the buffer written, then no space: the load's one-line error, and the spool
    still knows what is in its file and what is not."""
    from civicgraph.graph.errors import WorkFileError

    spool = Spool(tmp_path, memory=0)
    spool.file = _FullDisk(spool.file, room=100)
    for _, props in _records(20):
        spool.put(props)
    with pytest.raises(WorkFileError, match="No space left on device.*nothing was written"):
        spool.flush()
    assert spool.written == 100 and spool.written + len(spool.pending) == spool.size


def test_a_full_disk_stops_a_load_before_it_writes_even_with_the_spool_unflushed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records not yet in the spool's file when the load has read them all go to it then
    (phase 1), so a disk that is full by then stops the load with nothing written, as
    when the spool filled it record by record; not in the middle of writing batches."""
    from civicgraph.graph.errors import WorkFileError
    from civicgraph.loaders import staging

    nodes = tmp_path / "n.csv"
    nodes.write_text(
        "id,label,name\n" + "".join(f"org:o{i},Organization,O {i}\n" for i in range(50))
    )
    monkeypatch.setattr(staging, "BUFFER", 1 << 30)  # nothing written while reading
    monkeypatch.setenv("CIVICGRAPH_SPOOL_MEMORY_MB", "0")  # read back from the file
    real = staging.tempfile.TemporaryFile
    monkeypatch.setattr(
        staging.tempfile, "TemporaryFile", lambda **kw: _FullDisk(real(**kw), room=0)
    )
    with open_store(tmp_path / "s.db") as store:
        with pytest.raises(WorkFileError, match="spool.*nothing was written"):
            load(store, nodes=[nodes], batch_size=10, progress=False)
        assert store.totals() == (0, 0)
