"""Derive benchmark: the mayoral terms' derived facts on a real store (issue #15).

It copies *store* (never changes it) to a temporary directory, then, on the copy:

* with ``--load NAME`` (a source of ``bench/bench_load.py``'s ``STEPS``, e.g.
  ``rne-maires-2026``): loads it, then loads it again, and prints for each load its derive
  seconds and how many cities' terms it derived and values it changed;
* times a full ``derive(store)`` (every city, every term) ``--repeat`` times, printing
  seconds and changed values (0 on a store derived before: the same output).

Usage::

    python bench/bench_derive.py /tmp/prof/national.db
    python bench/bench_derive.py /tmp/store-without-2026.db --load rne-maires-2026 --repeat 1
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from civicgraph.graph import open_store
from civicgraph.graph.derive import derive
from civicgraph.loaders import load

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import STEPS, resolve, shared_data  # noqa: E402

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="an embedded store directory (copied first)")
    parser.add_argument("--load", choices=[name for name, _, _ in STEPS], help="load this twice")
    parser.add_argument("--repeat", type=int, default=3, help="full derivations to time")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-derive-") as tmp:
        copy = Path(tmp) / "store.db"
        shutil.copytree(args.store, copy)
        with open_store(copy) as store:
            if args.load:
                _, files, opts = next(step for step in STEPS if step[0] == args.load)
                paths = [resolve(shared_data(), f) for f in files]
                for run in ("load", "load again"):
                    summary = load(store, paths, progress=False, **opts)
                    t = summary.totals()
                    # (main before #15's incremental derive has no changed_targets)
                    targets = getattr(summary, "changed_targets", {}).get("MAYOR_OF", ())
                    created = {k: c.created for k, c in summary.nodes.items() if c.created}
                    created.update(
                        {k: c.created for k, c in summary.relationships.items() if c.created}
                    )
                    print(
                        f"{args.load} {run}: created {t.created:,}, updated {t.updated:,}, "
                        f"unchanged {t.unchanged:,} (created {created}); MAYOR_OF to "
                        f"{len(targets):,} cities changed; "
                        f"derive {summary.phases['derive']:.2f} s, changed {summary.derived}; "
                        f"load {summary.seconds:.1f} s",
                        flush=True,
                    )
            terms = store.query("MATCH ()-[t:MAYOR_OF]->() RETURN count(t) AS n")[0]["n"]
            for i in range(args.repeat):
                started = time.perf_counter()
                changed = derive(store)
                print(
                    f"full derive {i + 1}: {time.perf_counter() - started:.2f} s for {terms:,} "
                    f"terms; changed {changed.as_dict()}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
