"""Load each national register twice into a fresh store and check the counts (issue #4, 1).

For every register: a fresh embedded store, the communes first when the register needs them
(its relationships end at cities), then the register once and again.  It prints, per
register, the source rows, the records the reader made, those rejected (with the report's
first lines), those merged into an earlier record of the same identity, the nodes and
relationships of the register's main label and type in the graph, and whether the second
load changed anything.  The checks:

* the second load creates and updates nothing and the counts by label and type are equal;
* nodes of the main label and relationships of the main type in the graph = records of that
  label or type read - rejected - merged (records repeating an identity: the same person,
  city and start); where one source row gives one record, the source rows are that count.

Usage::

    python bench/reload_check.py                  # every register
    python bench/reload_check.py --only bref-maires
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from civicgraph.graph import open_store
from civicgraph.loaders import load

sys.path.insert(0, str(Path(__file__).parent))
from bench_load import STEPS, data_rows, resolve, shared_data  # noqa: E402


def expected_sources(name: str, files: list[Path]) -> dict[str, int]:
    """label or type → source rows that each give one of them, for *name*'s files."""
    rows = {p.name: data_rows(p) for p in files}
    if name == "communes":
        return {
            "Region": rows["regions.json"],
            "Departement": rows["departements.json"],
            "City": rows["communes_etalab_2026.csv"],
        }
    if name == "nuances":  # both files describe nuances (codes, then their families)
        return {"Nuance": rows["nuances.tsv"] + rows["nuance_families.csv"]}
    rtype = "COUNCILLOR_OF" if "conseillers" in name else "MAYOR_OF"
    return {rtype: sum(rows.values())}


def check(name: str, files: list[Path], opts: dict[str, Any], communes: list[Path]) -> bool:
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "r.db") as store:
        if name != "communes":
            load(store, communes, progress=False)
        base = store.counts()
        first = load(store, files, progress=False, **opts)
        after1 = store.counts()
        second = load(store, files, progress=False, **opts)
        after2 = store.counts()
    t1, t2 = first.totals(), second.totals()
    same = after1 == after2 and t2.created == 0 and t2.updated == 0
    print(
        f"{name}: {first.read:,} records read; first load created {t1.created:,}, "
        f"rejected {first.rejected} (report), merged "
        f"{', '.join(f'{k} {v:,}' for k, v in sorted(first.merged.items())) or 'none'}"
    )
    ok = same
    for what, rows in expected_sources(name, files).items():
        kind = "types" if what.isupper() else "labels"
        added = after1[kind].get(what, 0) - base[kind].get(what, 0)
        rejected = sum(1 for r in first.rejects if r.record.startswith(what + " "))
        merged = first.merged.get(what, 0)
        read = first.read_by.get(what, 0)
        want = read - rejected - merged
        ok &= added == want
        print(
            f"  {what}: {rows:,} source rows, {read:,} records read - {rejected} rejected - "
            f"{merged:,} merged = {want:,}; in the graph: {added:,} "
            f"({'match' if added == want else 'MISMATCH'})"
        )
    print(
        f"  second load: created {t2.created}, updated {t2.updated}, unchanged "
        f"{t2.unchanged:,}; counts by label and type identical: {after1 == after2}"
    )
    for r in first.rejects[:3]:
        print(f"  rejected: {Path(r.file).name}, line {r.line}, field {r.field}: {r.error}")
    if first.rejected > 3:
        print(f"  … and {first.rejected - 3} more rejected rows in the report")
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated register names")
    args = ap.parse_args(argv)
    data = shared_data()
    only = set(args.only.split(",")) if args.only else None
    communes = [resolve(data, f) for f in STEPS[0][1]]
    ok = True
    for name, files, opts in STEPS:
        if only and name not in only:
            continue
        ok &= check(name, [resolve(data, f) for f in files], opts, communes)
    print("all registers: " + ("OK" if ok else "MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
