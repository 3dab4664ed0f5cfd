"""Political nuances (the ministry's labels on candidates and mayors) and their mapping to
party families and parties.

A nuance is not a party (docs/design.md §3): the prefecture attributes it to a candidate or list,
often without the candidate's say, and many nuances (``DVG``, ``DIV``, ``LUG``) name no
party at all.  So ``MAYOR_OF`` keeps the nuance code, a ``Nuance`` node describes it, and a
separate, sourced table says which family it belongs to and, where the label clearly
designates one party, ``MAPS_TO`` that Party.

Readers
-------
``nuances``
    BRÉF's ``nuances.tsv`` (``Label, Signification``) → ``Nuance`` ``nuance:<code>`` with
    ``name`` (the signification) and ``code``.  The file repeats some codes: identical
    repeats are dropped; a repeat with another wording (``LCOP``, ``LDD``) keeps the *first*
    label as ``name`` and the others in ``variants`` (no row is lost, nothing is guessed).
``nuance-families``
    civicgraph's ``data/registers/nuance_families.csv`` (``code, label, family, party,
    source``) → ``family`` on each Nuance and ``MAPS_TO`` Nuance → Party with ``basis`` (the
    row's ``source``: why that mapping holds).  A Nuance the store lacks is created with the
    row's ``label``; an existing one keeps its name.  Parties are created from
    :data:`PARTIES` when absent and never renamed.

Mapping rules of the shipped table: a renamed party keeps one Party node under its current
name (UMP → Les Républicains 2015, Front national → Rassemblement national 2018, Debout la
République → Debout la France 2014, Les Verts → EELV 2010); a merger or a split does not
(RPR, UDF, Démocratie libérale keep their own Party).  Alliances and "divers" labels get a
family only.  "Majorité présidentielle" labels get no family: the majority depends on the
election year.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from civicgraph.graph.errors import LoadError

from .api import register_reader
from .records import NodeRecord, RelRecord
from .register_common import LICENCE, LoadContext, header_fields, source_record
from .text import iter_text_lines, read_csv_dicts

__all__ = [
    "NUANCES_SOURCE",
    "FAMILIES_SOURCE",
    "PARTIES",
    "read_nuance_families",
    "read_nuances",
]

NUANCES_SOURCE = {
    "id": "src:bref-nuances",
    "title": "BRÉF nuance table (BrefInit in/conversions/nuances.txt)",
    "url": "https://github.com/BrefAvignon/BrefInit/blob/d9bc40b4facc2bceca3986b4741d5c394c623d1d/"
    "in/conversions/nuances.txt",
    "version": "d9bc40b4facc2bceca3986b4741d5c394c623d1d",
    "licence": LICENCE,
    "citation": (
        "Nuance codes of the Ministère de l'Intérieur with their meanings, as compiled by the "
        "BRÉF project (V. Labatut, Avignon Université), https://github.com/BrefAvignon/BrefInit"
    ),
}
FAMILIES_SOURCE = {
    "id": "src:civicgraph-nuance-families",
    "title": "civicgraph: nuance → party family and party table (data/registers/nuance_families.csv)",
    "kind": "mapping",
    "citation": (
        "Compiled for civicgraph from the nuance labels of BRÉF's nuances.txt and the "
        "Ministère de l'Intérieur nuance grids (circulaire INTA1931378J for the 2020 list "
        "codes); each row's 'source' column gives its basis"
    ),
}
#: Parties the shipped table maps to: id → (name, short, family).  Created when absent.
PARTIES: dict[str, tuple[str, str, str]] = {
    "party:agir": ("Agir", "AGIR", "right"),
    "party:alliance-centriste": ("Alliance centriste", "AC", "centre"),
    "party:cpnt": ("Chasse, pêche, nature et traditions", "CPNT", "other"),
    "party:dl": ("Démocratie libérale", "DL", "right"),
    "party:dlf": ("Debout la France", "DLF", "right"),
    "party:eelv": ("Europe Écologie Les Verts", "EELV", "ecologist"),
    "party:generation-s": ("Génération.s", "G.s", "left"),
    "party:lcr": ("Ligue communiste révolutionnaire", "LCR", "far-left"),
    "party:lfi": ("La France insoumise", "LFI", "left"),
    "party:lr": ("Les Républicains", "LR", "right"),
    "party:lrem": ("La République en marche", "LREM", "centre"),
    "party:mdc": ("Mouvement des citoyens", "MDC", "left"),
    "party:mnr": ("Mouvement national républicain", "MNR", "far-right"),
    "party:modem": ("Mouvement démocrate", "MoDem", "centre"),
    "party:mouvement-radical": ("Mouvement radical", "MR", "centre"),
    "party:mpf": ("Mouvement pour la France", "MPF", "right"),
    "party:nc": ("Nouveau Centre", "NC", "centre"),
    "party:parti-animaliste": ("Parti animaliste", "PA", "other"),
    "party:pcf": ("Parti communiste français", "PCF", "left"),
    "party:pg": ("Parti de gauche", "PG", "left"),
    "party:prg": ("Parti radical de gauche", "PRG", "left"),
    "party:ps": ("Parti socialiste", "PS", "left"),
    "party:rad": ("Parti radical", "PRV", "centre"),
    "party:rn": ("Rassemblement national", "RN", "far-right"),
    "party:rpf": ("Rassemblement pour la France", "RPF", "right"),
    "party:rpr": ("Rassemblement pour la République", "RPR", "right"),
    "party:udf": ("Union pour la démocratie française", "UDF", "centre"),
    "party:udi": ("Union des démocrates et indépendants", "UDI", "centre"),
}
_FAMILY_HEAD = ("code", "family", "party", "source")


def _detect_nuances(p: Path) -> bool:
    return p.suffix in (".tsv", ".txt") and header_fields(p, "\t")[:2] == ["Label", "Signification"]


def _detect_families(p: Path) -> bool:
    head = header_fields(p)
    return p.suffix == ".csv" and all(c in head for c in _FAMILY_HEAD)


@register_reader("nuances", _detect_nuances)
def read_nuances(
    path: str | Path,
    *,
    context: LoadContext,
) -> Iterator[NodeRecord]:
    """``Nuance`` nodes from BRÉF's ``nuances.tsv`` (see the module docstring).

    Examples
    --------
    >>> load(store, ["nuances.tsv"])   # doctest: +SKIP
    """
    p = Path(path)
    file = str(p)
    ctx = context
    yield source_record(NUANCES_SOURCE, file)
    seen: dict[str, tuple[int, str, list[str]]] = {}
    lines = iter_text_lines(p)
    first = next(lines, None)
    if first is None or first[1].rstrip("\r\n").split("\t")[:2] != ["Label", "Signification"]:
        raise LoadError("expected the header 'Label<TAB>Signification'", file=file, line=1)
    for line, text in lines:
        text = text.rstrip("\r\n")
        if not text.strip():
            continue
        try:
            parts = next(csv.reader([text], delimiter="\t", quoting=csv.QUOTE_NONE))
        except csv.Error as exc:  # e.g. a field over the csv module's 128 KiB limit
            raise LoadError(f"CSV error: {exc}", file=file, line=line) from None
        if len(parts) != 2:
            raise LoadError(f"{len(parts)} fields where 2 are expected", file=file, line=line)
        code, label = parts[0].strip(), " ".join(parts[1].split())
        if not code or not label:
            raise LoadError("empty code or label", file=file, line=line, field="Label")
        if code in seen:
            first_line, first_label, variants = seen[code]
            if label != first_label and label not in variants:
                variants.append(label)
                ctx.flag(
                    ("nuance-variant", code, label),
                    {
                        "kind": "review",
                        "file": file,
                        "line": line,
                        "field": "Signification",
                        "error": f"code {code} repeats line {first_line} with another label "
                        f"({label!r}); kept {first_label!r} as name, {label!r} in variants",
                        "record": f"Nuance nuance:{code}",
                    },
                )
            continue
        seen[code] = (line, label, [])
    for code, (line, label, variants) in seen.items():
        yield NodeRecord(
            "Nuance",
            {
                "id": f"nuance:{code}",
                "name": label,
                "code": code,
                "variants": variants or None,
                "sources": [NUANCES_SOURCE["id"]],
            },
            file,
            line,
        )


@register_reader("nuance-families", _detect_families)
def read_nuance_families(
    path: str | Path,
    *,
    context: LoadContext,
) -> Iterator[NodeRecord | RelRecord]:
    """``family`` on Nuance nodes and ``MAPS_TO`` Nuance → Party (module docstring).

    Examples
    --------
    >>> load(store, ["nuances.tsv", "nuance_families.csv"])   # doctest: +SKIP
    """
    p = Path(path)
    file = str(p)
    store = context.store
    sid = FAMILIES_SOURCE["id"]
    yield source_record({**FAMILIES_SOURCE, "licence": None}, file)
    names = {
        r["id"]: r["name"]
        for r in (
            store.query("MATCH (n:Nuance) RETURN n.id AS id, n.name AS name") if store else []
        )
    }
    parties = {r["id"] for r in (store.query("MATCH (n:Party) RETURN n.id AS id") if store else [])}
    made: set[str] = set()
    for line, row in read_csv_dicts(p, required=_FAMILY_HEAD):
        code = row["code"].strip()
        if not code:
            raise LoadError("empty code", file=file, line=line, field="code")
        nid = f"nuance:{code}"
        name = names.get(nid) or row.get("label", "").strip() or code
        yield NodeRecord(
            "Nuance",
            {
                "id": nid,
                "name": name,
                "code": code,
                "family": row["family"].strip() or None,
                "sources": [sid],
            },
            file,
            line,
        )
        party = row["party"].strip()
        if not party:
            continue
        if not party.startswith("party:"):
            raise LoadError(
                f"party {party!r} must be a party: id", file=file, line=line, field="party"
            )
        if party not in parties and party not in made:
            if party not in PARTIES:
                raise LoadError(
                    f"unknown party {party!r}: not in the store and not in PARTIES",
                    file=file,
                    line=line,
                    field="party",
                )
            pname, short, family = PARTIES[party]
            made.add(party)
            yield NodeRecord(
                "Party",
                {"id": party, "name": pname, "short": short, "family": family, "sources": [sid]},
                file,
                line,
            )
        yield RelRecord(
            "MAPS_TO",
            nid,
            party,
            {"basis": row["source"].strip() or None, "sources": [sid]},
            file,
            line,
        )
