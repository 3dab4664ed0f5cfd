"""Reading neo4j-admin CSV files written by hand, as Neo4j's operations manual shows them
("Neo4j Admin import" tutorial, "CSV header format"): ID spaces, ``:IGNORE``, typed and array
columns, labels separated by ``;``, columns in any order, headers with several labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicgraph.graph import LoadError, Store
from civicgraph.loaders import detect_format, load

CITIES = """\
cityId:ID(City-ID),name,population:int,:LABEL
insee:38185,Grenoble,158198,City
"insee:69123","Lyon",520774,City;Actor;Entity
"""
PARTIES = """\
:ID(Party-ID),name,short,:IGNORE,founded:date,:LABEL
party:eelv,"Europe Écologie Les Verts",EELV,ignored,2010-11-13,Party
"""
PEOPLE = """\
personId:ID(Person-ID),name,sources:string[],elected:boolean,:LABEL
person:eric-piolle,"Piolle, Eric",src:rne;src:wikidata,true,Person
person:gregory-doucet,Grégory Doucet,,false,Person
"""
ROLES = """\
:START_ID(Person-ID),start,:END_ID(City-ID),:TYPE
person:eric-piolle,2014-04-04,insee:38185,MAYOR_OF
person:gregory-doucet,2020-07-04,insee:69123,MAYOR_OF
person:eric-piolle,,party:eelv,MEMBER_OF
"""


def _write(folder: Path, **files: str) -> list[Path]:
    out = []
    for name, text in files.items():
        p = folder / f"{name}.csv"
        p.write_text(text, encoding="utf-8")
        out.append(p)
    return out


def test_hand_written_files_as_the_manual_shows_them(store: Store, tmp_path: Path) -> None:
    paths = _write(tmp_path, cities=CITIES, parties=PARTIES, people=PEOPLE, roles=ROLES)
    assert {detect_format(p) for p in paths} == {"neo4j-admin"}
    summary = load(store, paths)  # detected: no --format needed
    assert summary.totals().created == 8
    rows = store.query(
        "MATCH (p:Person)-[r:MAYOR_OF]->(c:City) RETURN p.name AS mayor, p.sources AS sources, "
        "p.elected AS elected, r.start AS start, c.name AS city, c.population AS population, "
        "labels(c) AS labels ORDER BY city"
    )
    assert rows == [
        {
            "mayor": "Piolle, Eric",
            "sources": ["src:rne", "src:wikidata"],
            "elected": True,
            "start": "2014-04-04",
            "city": "Grenoble",
            "population": 158198,
            "labels": ["City", "Entity", "Actor"],
        },
        {
            "mayor": "Grégory Doucet",
            "sources": None,
            "elected": False,
            "start": "2020-07-04",
            "city": "Lyon",
            "population": 520774,
            "labels": ["City", "Entity", "Actor"],
        },
    ]
    party = store.query("MATCH (p:Party) RETURN properties(p) AS p")[0]["p"]
    assert party == {
        "id": "party:eelv",
        "name": "Europe Écologie Les Verts",
        "short": "EELV",
        "founded": "2010-11-13",
    }
    assert load(store, paths).totals().created == 0  # re-running changes nothing


def test_other_delimiters(store: Store, tmp_path: Path) -> None:
    (p,) = _write(
        tmp_path,
        orgs="id:ID\t:LABEL\tname\taliases:string[]\norg:a\tOrganization\tA\tx|y\n",
    )
    load(store, [p], fmt="neo4j-admin", options={"delimiter": "TAB", "array_delimiter": "|"})
    assert store.query("MATCH (o:Organization) RETURN o.aliases AS a") == [{"a": ["x", "y"]}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "id:ID,:LABEL,population:int\ninsee:38185,City,many\n",
            "line 2, field 'population': 'many' is not an integer",
        ),
        (
            "id:ID,:LABEL,active:boolean\norg:a,Organization,yes\n",
            "field 'active': 'yes' is not true or false",
        ),
        ("id:ID,:LABEL,x:colour\norg:a,Organization,red\n", "header field 'x:colour'"),
        ("id:ID,name\norg:a,A\n", "needs one :LABEL field"),
        ("id:ID,:LABEL\norg:a,Organization;Party\n", "exactly one label besides Entity/Actor"),
        (":START_ID,:END_ID\norg:a,org:b\n", "needs one :TYPE field"),
        ("id:ID,:START_ID,:END_ID,:TYPE\na,b,c,T\n", "an ID field (nodes) or START_ID"),
        (
            "id:ID,:LABEL,loc:point\norg:a,Organization,{latitude: 1}\n",
            "point values cannot be stored",
        ),
    ],
)
def test_bad_files_name_file_line_and_field(
    store: Store, tmp_path: Path, text: str, message: str
) -> None:
    (p,) = _write(tmp_path, bad=text)
    with pytest.raises(LoadError) as exc:
        load(store, [p], fmt="neo4j-admin")
    assert str(p) in str(exc.value) and message in str(exc.value)
    assert store.totals() == (0, 0)


def test_unknown_label_is_refused_before_writing(store: Store, tmp_path: Path) -> None:
    (p,) = _write(tmp_path, movies="movieId:ID,title,:LABEL\ntt0133093,The Matrix,Movie\n")
    with pytest.raises(LoadError, match="Movie"):
        load(store, [p], fmt="neo4j-admin")
    assert store.totals() == (0, 0)
