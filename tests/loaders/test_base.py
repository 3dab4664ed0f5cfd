"""run_load's write path: ids merged across batches, ids checked before writing, CREATE for
ids the store did not hold, the write lock, and a batch interrupted between its statements."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from civicgraph.graph import Store, open_store
from civicgraph.graph.errors import LoadError, PartialLoad
from civicgraph.loaders.base import run_load
from civicgraph.loaders.records import NodeRecord, RelRecord


def org(i: int, name: str | None = None, src: str = "src:a") -> NodeRecord:
    return NodeRecord(
        "Organization",
        {"id": f"org:{i}", "name": name or f"Org {i}", "sources": [src]},
        "orgs.csv",
        i + 1,
    )


def partner(a: int, b: int, src: str = "src:a") -> RelRecord:
    return RelRecord(
        "PARTNER_OF", f"org:{a}", f"org:{b}", {"sources": [src]}, "edges.csv", a * 100 + b
    )


def sources() -> list[NodeRecord]:
    return [
        NodeRecord("Source", {"id": s, "title": s}, "sources.csv", n)
        for n, s in enumerate(["src:a", "src:b"], 2)
    ]


def node_count(store: Store, node_id: str) -> int:
    return store.query("MATCH (n {id: $id}) RETURN count(n) AS n", {"id": node_id})[0]["n"]


def test_an_id_repeated_across_batches_is_one_node_with_both_sources(store: Store) -> None:
    records = [*sources(), org(1), org(2), org(3), org(1, "Org One", src="src:b")]
    records += [partner(1, 2), partner(2, 3), partner(1, 2, src="src:b")]
    summary = run_load(store, records, batch_size=2, progress=False)
    assert summary.nodes["Organization"].as_dict() == {"created": 3, "updated": 0, "unchanged": 0}
    assert summary.relationships["PARTNER_OF"].created == 2
    row = store.query("MATCH (n:Organization {id: 'org:1'}) RETURN n.name AS name, n.sources AS s")
    assert row == [{"name": "Org One", "s": ["src:a", "src:b"]}]
    assert node_count(store, "org:1") == 1
    rel = store.query(
        "MATCH (:Organization {id: 'org:1'})-[r:PARTNER_OF]->() RETURN count(r) AS n, "
        "collect(r.sources) AS s"
    )
    assert rel == [{"n": 1, "s": [["src:a", "src:b"]]}]


def test_counts_and_graph_equal_the_merge_only_api(tmp_path: Path) -> None:
    """A second load that overlaps the first: created, updated and unchanged counted right,
    and the graph is the one the MERGE-only Store API builds from the same rows."""
    first = [*sources(), *(org(i) for i in range(1, 11)), partner(1, 2), partner(3, 4)]
    second = [org(i, f"Renamed {i}" if i in (5, 6, 7) else None) for i in range(5, 16)]
    second += [partner(1, 2, src="src:b"), partner(3, 4), partner(11, 12), partner(2, 13)]
    with open_store(tmp_path / "load.db") as a, open_store(tmp_path / "api.db") as b:
        run_load(a, first, batch_size=3, progress=False)
        summary = run_load(a, second, batch_size=3, progress=False)
        assert summary.nodes["Organization"].as_dict() == {
            "created": 5,
            "updated": 3,
            "unchanged": 3,
        }
        assert summary.relationships["PARTNER_OF"].as_dict() == {
            "created": 2,
            "updated": 1,
            "unchanged": 1,
        }
        for recs in (first, second):
            for r in recs:
                if isinstance(r, NodeRecord):
                    b.upsert_nodes(r.label, [r.props])
            for r in recs:
                if isinstance(r, RelRecord):
                    b.upsert_relationships(
                        r.type, [{"source": r.source, "target": r.target, **r.props}]
                    )
        assert a.digest() == b.digest()


@pytest.fixture
def shared_prefix_store(tmp_path: Path) -> Iterator[Store]:
    """A store whose schema lets a Network id start with ``org:`` too, so that one id can
    be claimed by two labels (the shipped schema gives every label its own prefix)."""
    from civicgraph.graph.model import load_model, schema_path

    folder = tmp_path / "schema"
    shutil.copytree(schema_path(), folder)
    net = folder / "Network.yaml"
    net.write_text(net.read_text().replace("- 'net:'", "- 'net:'\n- 'org:'"))
    model = load_model(str(folder))
    assert "org:" in model.nodes["Network"].id_prefix
    with open_store(tmp_path / "shared.db") as s:
        yield Store(s.backend, model)


def test_one_id_under_two_labels_in_a_load_stops_it_before_writing(
    shared_prefix_store: Store,
) -> None:
    store = shared_prefix_store
    before = store.digest()
    clash = NodeRecord("Network", {"id": "org:2", "name": "X"}, "nets.csv", 7)
    with pytest.raises(LoadError) as exc:
        run_load(store, [*sources(), org(1), org(2), clash], batch_size=1, progress=False)
    assert exc.value.file == "nets.csv" and exc.value.line == 7 and exc.value.field == "id"
    assert "org:2" in str(exc.value) and "orgs.csv" in str(exc.value)
    assert store.digest() == before


def test_an_id_the_store_holds_under_another_label_stops_the_load_before_writing(
    shared_prefix_store: Store,
) -> None:
    store = shared_prefix_store
    run_load(store, [*sources(), org(1)], progress=False)
    before = store.digest()
    records = [
        NodeRecord("City", {"id": "insee:38185", "name": "Grenoble"}, "cities.csv", 2),
        NodeRecord("Network", {"id": "org:1", "name": "Clash"}, "nets.csv", 3),
    ]
    with pytest.raises(LoadError) as exc:  # City batches come first: none may be written
        run_load(store, records, progress=False)
    assert (exc.value.file, exc.value.line, exc.value.field) == ("nets.csv", 3, "id")
    assert "already belongs to a Organization node" in str(exc.value)
    assert store.digest() == before
    summary = run_load(store, records, progress=False, skip_invalid=True)
    assert summary.rejected == 1 and summary.nodes["City"].created == 1


def test_wrong_edge_ends_among_right_ones_are_each_named(store: Store) -> None:
    """Ends checked against each type's schema: ends in the load and in the store, most of
    them right (checked label by label), a few wrong (then named row by row)."""
    run_load(store, [*sources(), NodeRecord("Party", {"id": "party:ps", "name": "PS"}, "p.csv", 2)])
    people = [
        NodeRecord("Person", {"id": f"person:{i}", "name": f"P{i}"}, "people.csv", i + 1)
        for i in range(1, 4)
    ]
    city = NodeRecord("City", {"id": "insee:44109", "name": "Nantes"}, "cities.csv", 2)

    def mayor(source: str, line: int) -> RelRecord:
        return RelRecord("MAYOR_OF", source, "insee:44109", {"start": "2014"}, "m.csv", line)

    rels = [mayor("person:1", 2), mayor("party:ps", 3), mayor("person:2", 4), partner(1, 2)]
    rels.append(mayor("insee:44109", 5))  # a City in the load as a source: wrong too
    records = [*sources(), *people, city, org(1), org(2), *rels]
    before = store.digest()
    with pytest.raises(LoadError) as exc:
        run_load(store, records, progress=False)
    assert "cannot start at a Party" in str(exc.value) and "cannot start at a City" in str(
        exc.value
    )
    assert store.digest() == before
    summary = run_load(store, records, progress=False, skip_invalid=True)
    assert sorted((r.line, r.field) for r in summary.rejects) == [(3, "source"), (5, "source")]
    assert summary.relationships["MAYOR_OF"].created == 2
    assert summary.relationships["PARTNER_OF"].created == 1


class Interrupted(Exception):
    pass


@pytest.mark.parametrize("bulk", [False, True], ids=["CREATE", "GRAPH.BULK"])
def test_a_batch_interrupted_between_create_and_merge_resumes_without_duplicates(
    tmp_path: Path, bulk: bool
) -> None:
    """A batch holding new and known ids is two writes (CREATE or the engine's bulk
    command, then MERGE).  Stop the load after the first of that batch: the resumed load
    creates nothing twice and reports the counts of an uninterrupted load."""
    first = [*sources(), *(org(i) for i in range(1, 4))]
    second = [org(i, f"Renamed {i}") for i in range(1, 7)] + [partner(1, 5), partner(2, 3)]
    with open_store(tmp_path / "clean.db") as clean:
        run_load(clean, first, progress=False)
        expected = run_load(clean, second, progress=False, name="second")
        expected_digest = clean.digest()
    path = tmp_path / "crash.db"
    with open_store(path) as store:
        store.bulk = bulk
        run_load(store, first, progress=False)
        real_run = store.backend.run
        real_bulk = store.backend.bulk  # type: ignore[attr-defined]
        seen: list[str] = []

        def bulk_command(*args: Any) -> None:
            seen.append("GRAPH.BULK")
            real_bulk(*args)

        def run(query: str, params: Any = None, *, write: bool = False) -> Any:
            if write and "MERGE (n:Organization" in query and seen:
                raise Interrupted  # the CREATE of this batch has committed, the MERGE not
            if write and "CREATE (n:Organization" in query:
                seen.append(query)
            return real_run(query, params, write=write)

        store.backend.run = run  # type: ignore[method-assign]
        store.backend.bulk = bulk_command  # type: ignore[attr-defined]
        with pytest.raises(PartialLoad, match="--resume") as stopped:
            run_load(store, second, progress=False, name="second")
        assert isinstance(stopped.value.__cause__, Interrupted)
        store.backend.run = real_run  # type: ignore[method-assign]
        store.backend.bulk = real_bulk  # type: ignore[attr-defined]
        assert seen, "the batch was not split into CREATE and MERGE"
        assert node_count(store, "org:4") == 1  # the CREATE committed
        resumed = run_load(store, second, progress=False, name="second", resume=True)
        assert resumed.as_dict()["nodes"] == expected.as_dict()["nodes"]
        assert resumed.as_dict()["relationships"] == expected.as_dict()["relationships"]
        for i in range(1, 7):
            assert node_count(store, f"org:{i}") == 1
        assert store.digest() == expected_digest


def test_a_batch_acknowledged_but_not_yet_in_the_engines_file_is_written_again_on_resume(
    tmp_path: Path,
) -> None:
    """The engine may acknowledge a write up to ~3 s before it writes it to its file
    (``appendfsync everysec`` with a slow background fsync), and a killed load takes its
    engine with it: a batch journalled done can be missing from the store.  Seen in a
    clean-clone CI run at 9afdb8f (test_crash: "not a whole-batches state", one batch
    short).  Here the third batch is acknowledged and never written, the fourth is cut: the
    resumed load writes the batches journalled done in its last seconds again, and ends with
    a clean load's counts and digest (before, it skipped the lost batch)."""
    records = [*sources(), *(org(i) for i in range(1, 9)), partner(1, 2), partner(3, 4)]
    with open_store(tmp_path / "clean.db") as clean:
        expected = run_load(clean, records, batch_size=2, progress=False)
        want = clean.digest()
    with open_store(tmp_path / "lost.db") as store:
        real_apply = store.apply
        calls = [0]

        def apply(prepared: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            if calls[0] == 3:
                return prepared.counts  # acknowledged, then lost with the engine
            if calls[0] == 4:
                raise Interrupted
            return real_apply(prepared, **kwargs)

        store.apply = apply  # type: ignore[method-assign]
        with pytest.raises(PartialLoad, match="after committing 3 of"):
            run_load(store, records, batch_size=2, progress=False)
        store.apply = real_apply  # type: ignore[method-assign]
        assert store.totals() == (4, 0)  # the two sources and one batch of two: one lost
        resumed = run_load(store, records, batch_size=2, progress=False, resume=True)
        assert resumed.resumed_batches == 3
        assert resumed.as_dict()["nodes"] == expected.as_dict()["nodes"]
        assert resumed.as_dict()["relationships"] == expected.as_dict()["relationships"]
        assert store.digest() == want


HOLD_LOCK = textwrap.dedent(
    """
    import sys
    from civicgraph.graph import open_store
    with open_store(sys.argv[1]) as store:
        with store.write_lock() as exclusive:
            print("locked", exclusive, flush=True)
            sys.stdin.readline()  # the test has started its load by now
            n = store.query("MATCH (n {id: 'org:1'}) RETURN count(n) AS n")[0]["n"]
            print("org:1 before release:", n, flush=True)
        sys.stdin.read()   # keep the engine up until the test is done
    """
)


def test_a_load_waits_for_another_process_holding_the_write_lock(store: Store) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, store.location],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "locked True"
        with ThreadPoolExecutor(1) as pool:
            load = pool.submit(run_load, store, [*sources(), org(1)], progress=False)
            time.sleep(1.0)  # let the load reach the lock (it would be done by now if not)
            assert not load.done()
            proc.stdin.write("check\n")
            proc.stdin.flush()
            # Without the lock the load would have written org:1 already.
            assert proc.stdout.readline().strip() == "org:1 before release: 0"
            summary = load.result(timeout=60)
        assert summary.nodes["Organization"].created == 1
        assert node_count(store, "org:1") == 1
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=60)


def test_the_switch_interval_is_lowered_while_writing_and_restored(store: Store) -> None:
    """The write phase hands the GIL to its writer thread every WRITE_SWITCH seconds; the
    process's own interval comes back after the load, and after a load that fails."""
    from civicgraph.loaders import base

    before = sys.getswitchinterval()
    seen: list[float] = []
    records = [*sources(), *(org(i) for i in range(12))]
    run_load(
        store,
        records,
        progress=False,
        batch_size=5,
        on_batch=lambda _: seen.append(sys.getswitchinterval()),
    )
    assert seen and all(x == pytest.approx(base.WRITE_SWITCH) for x in seen)
    assert sys.getswitchinterval() == before

    def fail(_: int) -> None:
        raise RuntimeError("stop")

    with pytest.raises(PartialLoad):
        run_load(store, [*records, org(99)], progress=False, batch_size=5, on_batch=fail)
    assert sys.getswitchinterval() == before
