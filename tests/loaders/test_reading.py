"""A load's reading process (civicgraph.loaders.reading) against reading in the load's own
process: the same store, summary, rejects, review rows and encodings on real files; the
same errors, with their file, line and field; and no reading process left behind, whether
the load ends, stops reading early, or the reading process is killed."""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from civicgraph.graph import Store, open_store
from civicgraph.graph.errors import (
    ConfigurationError,
    InvalidRows,
    LoadError,
    PartialLoad,
    ReaderStopped,
)
from civicgraph.loaders import load, reading
from civicgraph.loaders.reading import ReadPlan, ReadState, child_records, wanted

ROOT = Path(__file__).resolve().parents[2]


def _readers(parent: int | None = None) -> list[int]:
    """Pids of the reading processes of *parent* (default: this process)."""
    parent = os.getpid() if parent is None else parent
    return [
        int(p)
        for p in os.listdir("/proc")
        if p.isdigit() and _parent(int(p)) == parent and _is_reader(int(p))
    ]


def _both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: Callable[[Store], list[Any]]
) -> list[Any]:
    """Run *loads* on a fresh store reading in this process, then through a reading
    process that validates every record for this one, then through one that validates
    none; assert all give the same store and the same results; return them."""
    results = []
    for how, share in (("never", "never"), ("always", "always"), ("always", "never")):
        monkeypatch.setenv("CIVICGRAPH_READ_PROCESS", how)
        monkeypatch.setenv("CIVICGRAPH_READ_VALIDATE", share)
        with open_store(tmp_path / f"{how}-{share}.db") as store:
            out = loads(store)
            results.append((store.digest(), store.totals(), out))
        assert _readers() == []
    assert results[0] == results[1] == results[2]
    return results[0][2]


def _summary(s: Any) -> dict[str, Any]:
    d = s.as_dict()
    d.pop("seconds")
    return {
        **d,
        "rejects": [tuple(r.__getattribute__(f) for f in r.__slots__) for r in s.rejects],
        "review": s.review,
    }


def test_the_register_samples_read_the_same_both_ways(
    tmp_path: Path,
    register_loads: list[tuple[list[Path], dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Communes, nuances and the three mayors registers one after another: resolution
    against the persons of earlier loads, rejected rows and review rows."""

    def loads(store: Store) -> list[Any]:
        return [
            _summary(load(store, files, progress=False, **opts)) for files, opts in register_loads
        ]

    out = _both_ways(tmp_path, monkeypatch, loads)
    assert sum(s["created"] for s in out) > 500
    assert any(s["review"] for s in out)  # review rows came back from the reading process
    assert out[2]["rejected"] > 0


def test_zero_config_files_read_the_same_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bare ids given their prefix, the user's words for labels, a cp1252 file (its
    detected encoding), a row the reader rejects and two that validation refuses."""
    nodes = tmp_path / "nodes.csv"
    nodes.write_bytes(
        (
            "id,type,name\nocu,CSO,Organisation citoyenne\nrea,Network,Réseau Accueil\n"
            "org:a|b,CSO,Pipe\n"  # refused by validation, wherever it runs
        ).encode("cp1252")
    )
    edges = tmp_path / "edges.csv"
    edges.write_text(
        "source,target,type,start,end\nocu,rea,MEMBER_OF,2018,\nocu,rea,MEMBER_OF,2019-13,\n"
        "rea,ocu,PARTNER_OF,2020,2019\n",  # an end before its start: validation again
        encoding="utf-8",
    )

    def loads(store: Store) -> list[Any]:
        s = load(
            store,
            nodes=[nodes],
            edges=[edges],
            skip_invalid=True,
            category_map=["CSO=Organization"],
            progress=False,
        )
        return [_summary(s)]

    (out,) = _both_ways(tmp_path, monkeypatch, loads)
    assert out["prefixed"] == {"nodes": 2, "edge_ends": 6}
    assert out["encodings"][str(nodes)].startswith("cp1252")
    assert out["rejected"] == 3
    assert [(r[1], r[2]) for r in out["rejects"]] == [(4, "id"), (3, "start"), (4, "end")]
    assert out["created"] == 5  # two nodes, two Sources, one MEMBER_OF


def test_column_kinds_found_ahead_type_the_same_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reading process's readers take the first file's column kinds from the load's
    process (found while the reading process starts): the same typed values, read here or
    there, in that file and in the files after it; and the kinds are the readers' own."""
    first = tmp_path / "nodes.csv"
    first.write_text(
        "id,label,name,size,code,share\norg:a,Organization,A,12,0123,0.5\n"
        "org:b,Organization,B,7,44,1\n",
        encoding="utf-8",
    )
    second = tmp_path / "more.csv"
    second.write_text("id,label,name,size\norg:c,Organization,C,big\n", encoding="utf-8")
    edges = tmp_path / "edges.csv"
    edges.write_text(
        "source,target,type,start,weight_kg\norg:a,org:b,PARTNER_OF,2020,3\n", encoding="utf-8"
    )
    plan = reading._kinds_ahead(ReadPlan(nodes=(str(first), str(second)), edges=(str(edges),)))
    assert plan.column_kinds == {str(first): {"size": "int", "code": "text", "share": "float"}}
    assert reading._kinds_ahead(ReadPlan(edges=(str(edges),))).column_kinds == {
        str(edges): {"weight_kg": "int"}
    }

    def loads(store: Store) -> list[Any]:
        s = load(store, nodes=[first, second], edges=[edges], progress=False)
        return [_summary(s), store.dump()]

    _, (nodes, rels) = _both_ways(tmp_path, monkeypatch, loads)
    props = {n["id"]: n["properties"] for n in nodes}
    assert (props["org:a"]["size"], props["org:a"]["code"], props["org:a"]["share"]) == (
        12,
        "0123",
        0.5,
    )
    assert props["org:c"]["size"] == "big"  # its own file's kind: text
    assert rels[0]["properties"]["weight_kg"] == 3


def test_the_readers_take_the_kinds_they_are_given(store: Store, tmp_path: Path) -> None:
    """What the reading process does with kinds found ahead: no first pass of its own."""
    from civicgraph.loaders.api import read_records

    first = tmp_path / "nodes.csv"
    first.write_text("id,label,name,size\norg:a,Organization,A,12\n", encoding="utf-8")
    for kinds, size in (({}, 12), ({str(first): {"size": "text"}}, "12")):
        plan = ReadPlan(nodes=(str(first),), column_kinds=kinds)
        records = list(read_records(plan, store, ReadState()))
        assert records[-1].props["size"] == size  # type: ignore[union-attr]


def test_a_first_file_that_cannot_be_read_fails_in_its_place_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first pass of the first file, made ahead, meets a byte that is not UTF-8: the
    reader makes the pass again and the load stops at that line, as when read here."""
    nodes = tmp_path / "nodes.csv"
    nodes.write_bytes(
        b"id,label,name,size\n"
        + b"".join(b"org:%d,Organization,N%d,%d\n" % (i, i, i) for i in range(3000))
        + b"org:x,Organization,\xff\xfe\xfa,3\n"
    )
    assert reading._kinds_ahead(ReadPlan(nodes=(str(nodes),), encoding="utf-8")).column_kinds == {}

    def loads(store: Store) -> list[Any]:
        with pytest.raises(LoadError) as info:
            load(store, nodes=[nodes], encoding="utf-8", progress=False)
        assert store.totals() == (0, 0)
        return [(info.value.file, info.value.line)]

    assert _both_ways(tmp_path, monkeypatch, loads) == [(str(nodes), 3002)]


def test_a_readers_error_is_the_same_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad row before a row the reader cannot read on: one error naming both, with
    their files and lines, and nothing written — read here or in the reading process."""
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("id,label,name\norg:a,Organization,A\norg:b,Club,B\n", encoding="utf-8")
    other = tmp_path / "other.xyz"
    other.write_text("?", encoding="utf-8")

    def loads(store: Store) -> list[Any]:
        errors = []
        for args in ({"nodes": [nodes]}, {"nodes": [nodes], "paths": [other]}):
            with pytest.raises(LoadError) as info:
                load(store, progress=False, **args)  # type: ignore[arg-type]
            e = info.value
            errors.append((type(e).__name__, str(e), e.file, e.line, e.field))
        assert store.totals() == (0, 0)
        return errors

    single, double = _both_ways(tmp_path, monkeypatch, loads)
    assert single[0] == "LoadError" and single[2:] == (str(nodes), 3, "label")
    assert double[0] == "InvalidRows" and "cannot tell the format" in double[1]


def test_errors_cross_processes_with_their_fields() -> None:
    err = LoadError("bad date", file="m.csv", line=3, field="start")
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), str(back), back.file, back.line, back.field) == (
        LoadError,
        str(err),
        "m.csv",
        3,
        "start",
    )
    rows = InvalidRows([err, LoadError("x", file="n.csv", line=4, field="id")])
    back_rows = pickle.loads(pickle.dumps(rows))
    assert str(back_rows) == str(rows) and back_rows.total == 2
    assert [str(p) for p in back_rows.problems] == [str(p) for p in rows.problems]
    partial = pickle.loads(pickle.dumps(PartialLoad("stopped", {"read": 3})))
    assert (str(partial), partial.summary) == ("stopped", {"read": 3})


def _big_nodes(path: Path, n: int = 60_000) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,label,name\n")
        for i in range(n):
            f.write(f"org:{i},Organization,Organisation {i}\n")
    return path


def test_a_killed_reading_process_stops_the_load_and_writes_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIVICGRAPH_READ_PROCESS", "always")
    nodes = _big_nodes(tmp_path / "nodes.csv")
    killed: list[int] = []

    def kill_it() -> None:
        deadline = time.monotonic() + 30
        while not killed and time.monotonic() < deadline:
            for pid in _readers():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.005)

    killer = threading.Thread(target=kill_it)
    killer.start()
    try:
        with pytest.raises(ReaderStopped, match="killed by signal 9.*nothing was written"):
            load(store, nodes=[nodes], progress=False)
    finally:
        killer.join()
    assert killed
    assert store.totals() == (0, 0)
    assert _readers() == []
    monkeypatch.setenv("CIVICGRAPH_READ_PROCESS", "never")
    assert load(store, nodes=[nodes], progress=False).totals().created == 60_001


def test_a_load_that_stops_reading_stops_its_reading_process(store: Store, tmp_path: Path) -> None:
    nodes = _big_nodes(tmp_path / "nodes.csv")
    records: Iterator[Any] = child_records(
        ReadPlan(nodes=(str(nodes),)), store.location, ReadState()
    )
    first = [next(records) for _ in range(3)]
    assert [type(r).__name__ for r in first] == ["NodeRecord"] * 3
    assert len(_readers()) == 1
    records.close()  # type: ignore[attr-defined]
    assert _readers() == []


@pytest.mark.parametrize("share", ["always", "never"])
def test_the_reading_process_validates_for_the_load_when_asked(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, share: str
) -> None:
    """Each record says whether the reading process validated it, or the error it met
    (the load's process then raises it as its own validation would)."""
    nodes = tmp_path / "nodes.csv"
    nodes.write_text(
        "id,label,name\norg:a,Organization,A\norg:b|c,Organization,B\n", encoding="utf-8"
    )
    monkeypatch.setenv("CIVICGRAPH_READ_VALIDATE", share)
    records = list(child_records(ReadPlan(nodes=(str(nodes),)), store.location, ReadState()))
    verdicts = [r.checked for r in records]  # the file's Source node, then the two rows
    if share == "never":
        assert verdicts == [False, False, False]
        return
    assert verdicts[:2] == [True, True]
    err = verdicts[2]
    assert isinstance(err, LoadError)
    assert (err.file, err.line, err.field) == (str(nodes), 3, "id")
    assert "|" in err.message


def test_the_reading_process_validates_only_what_it_is_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CIVICGRAPH_READ_VALIDATE", "sometimes")
    with pytest.raises(ConfigurationError, match="CIVICGRAPH_READ_VALIDATE"):
        reading._share()


def test_when_a_load_reads_in_a_second_process(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = tmp_path / "nodes.csv"
    small.write_text("id,label\norg:a,Organization\n", encoding="utf-8")
    monkeypatch.delenv("CIVICGRAPH_READ_PROCESS", raising=False)
    assert not wanted(store, [small])  # auto: small files are read here
    big = tmp_path / "big.csv"
    with open(big, "wb") as f:
        f.truncate(9_000_000)
    assert wanted(store, [big])
    monkeypatch.setenv("CIVICGRAPH_READ_PROCESS", "never")
    assert not wanted(store, [big])
    monkeypatch.setenv("CIVICGRAPH_READ_PROCESS", "always")
    assert wanted(store, [small])
    monkeypatch.setenv("CIVICGRAPH_READ_PROCESS", "sometimes")
    with pytest.raises(ConfigurationError, match="auto, always or never"):
        wanted(store, [small])


def test_the_reading_process_dies_with_the_load_even_killed(tmp_path: Path) -> None:
    """SIGKILL of the load's process (no chance to stop anything): the reading process goes
    with it (``PR_SET_PDEATHSIG``; or, were it between two reads, its pipe's broken end)."""
    import subprocess
    import sys

    nodes = _big_nodes(tmp_path / "nodes.csv", 200_000)
    script = f"""
import os, sys, time
from civicgraph.graph import open_store
from civicgraph.loaders.reading import ReadPlan, ReadState, child_records
store = open_store({str(tmp_path / "s.db")!r})
records = child_records(ReadPlan(nodes=({str(nodes)!r},)), store.location, ReadState())
next(records)
print("reading", flush=True)
time.sleep(60)
"""
    load_process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert load_process.stdout is not None
        assert load_process.stdout.readline().strip() == b"reading"
        readers = _readers(load_process.pid)
        assert len(readers) == 1
        load_process.kill()
        load_process.wait()
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{readers[0]}") and _is_reader(readers[0]):
            assert time.monotonic() < deadline, "the reading process outlived the load"
            time.sleep(0.05)
    finally:
        load_process.kill()
        load_process.wait()


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _is_reader(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"civicgraph.loaders.reading" in f.read()
    except OSError:
        return False


def test_records_cross_the_pipe_marshalled_or_pickled() -> None:
    """Plain records go marshalled; a chunk holding a value marshal does not know (a
    reader's own type) goes pickled, and comes back the same."""
    import datetime as dt
    import io

    plain = [(0, "Organization", {"id": "org:a", "size": 3, "sources": ["src:x"]}, "n.csv", 2)]
    odd = [(0, "Organization", {"id": "org:b", "on": dt.date(2020, 5, 1)}, "n.csv", 3)]
    for chunk, how in ((plain, reading._MARSHALLED), (odd, reading._PICKLED)):
        out = io.BytesIO()
        reading._send(out, reading._RECORDS, chunk)
        assert out.getvalue()[1] == how
        back = reading._receive(io.BytesIO(out.getvalue()), None)  # type: ignore[arg-type]
        assert back == (reading._RECORDS, chunk)
