"""Check civicgraph's Cypher with Neo4j's own linter: every stored query and every statement
the Neo4j backend sends (schema setup, writes, pre-reads, inspection).

    python tools/cypher_lint.py          # prints errors and warnings; exit 1 on any error

Neo4j's front-end (``@neo4j-cypher/language-support``, pinned in tools/cypher-lint/package.json
and its lock file) runs under Node.js; ``npm ci`` installs it there when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "cypher-lint"
SAMPLES = {
    "string": "",
    "id": "",
    "int": 0,
    "float": 0.0,
    "bool": False,
    "date": "2020-01-01",
    "list": [],
}
#: Parameters of the backend's statements that are lists (the rest are strings).
LIST_PARAMETERS = {"rows", "ids"}
#: Keys of the ``$rows`` maps the store writes (``row.source``): not properties of the schema.
ROW_KEYS = {"source", "target", "props"}


def node() -> str | None:
    """The ``node`` executable, or None."""
    return shutil.which("node")


def install() -> None:
    """``npm ci`` from the lock file, when node_modules is missing."""
    if (HERE / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: cannot install Neo4j's Cypher linter")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=HERE,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def statements() -> list[dict[str, Any]]:
    """Every statement to check: ``name``, ``text``, ``parameters`` (sample values)."""
    from civicgraph.graph.backends.neo4j import sent_statements
    from civicgraph.queries import load_catalogue
    from civicgraph.queries.registry import named_parameters

    out = []
    for q in load_catalogue():
        params = {p.name: SAMPLES[p.type] for p in q.params.values()}
        out.append({"name": str(q.path), "text": q.text_for("neo4j"), "parameters": params})
    for name, text in sent_statements():
        params = {p: [] if p in LIST_PARAMETERS else "" for p in named_parameters(text)}
        out.append({"name": f"neo4j backend: {name}", "text": text, "parameters": params})
    return out


def schema() -> dict[str, list[str]]:
    """The labels, relationship types and property keys of civicgraph's schema."""
    from civicgraph.graph.model import load_model

    model = load_model()
    keys = {k for name in [*model.labels, *model.types] for k in model.declared_properties(name)}
    return {
        "labels": model.all_labels,
        "relationshipTypes": model.types,
        "propertyKeys": sorted(keys | ROW_KEYS),
    }


def lint(items: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Run Neo4j's linter over *items* (default: :func:`statements`); one result per item."""
    exe = node()
    if exe is None:
        raise RuntimeError("node is not installed")
    install()
    payload = json.dumps({"schema": schema(), "statements": items or statements()})
    done = subprocess.run(
        [exe, str(HERE / "lint.mjs")],
        input=payload,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the Cypher linter failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def report(results: list[dict[str, Any]]) -> str:
    """One line per diagnostic (``name:line:column: error|warning: message``), then a total."""
    lines = []
    for r in results:
        for kind in ("errors", "warnings"):
            for d in r[kind]:
                lines.append(f"{r['name']}:{d['line']}:{d['column']}: {kind[:-1]}: {d['message']}")
    errors = sum(len(r["errors"]) for r in results)
    warnings = sum(len(r["warnings"]) for r in results)
    lines.append(f"{len(results)} statements checked: {errors} errors, {warnings} warnings")
    return "\n".join(lines)


def main() -> int:
    results = lint()
    print(report(results))
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
