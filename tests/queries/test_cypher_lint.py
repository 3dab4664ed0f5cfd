"""Neo4j's own linter over every stored query and every statement the Neo4j backend sends.

``tools/cypher_lint.py`` runs ``@neo4j-cypher/language-support`` (Neo4j's parser and semantic
analysis, pinned in tools/cypher-lint/package-lock.json) under Node.js.  An error fails the
suite; warnings are reported as pytest warnings.  Skipped only when ``node`` is absent.
"""

from __future__ import annotations

import importlib.util
import shutil
import warnings
from pathlib import Path
from types import ModuleType

import pytest

from civicgraph.queries import load_catalogue

TOOL = Path(__file__).resolve().parents[2] / "tools" / "cypher_lint.py"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None,
    reason="node is not installed: Neo4j's Cypher linter (tools/cypher-lint) needs Node.js",
)


@pytest.fixture(scope="module")
def linter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cypher_lint", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalogue_and_backend_statements_have_no_errors(linter: ModuleType) -> None:
    items = linter.statements()
    names = [i["name"] for i in items]
    assert sum(n.endswith(".cypher") for n in names) == len(load_catalogue().names())
    assert "neo4j backend: schema Entity" in names and "neo4j backend: merge MEMBER_OF" in names
    results = linter.lint(items)
    report = linter.report(results)
    print(report)
    for r in results:
        for w in r["warnings"]:
            warnings.warn(f"{r['name']}:{w['line']}: {w['message']}", stacklevel=1)
    assert not any(r["errors"] for r in results), report


def test_the_linter_catches_what_neo4j_would_refuse(linter: ModuleType) -> None:
    """The check can fail: a typo, a FalkorDB-only function and an undeclared parameter."""
    items = [
        {"name": "typo", "text": "MATCH (c:City) RETRN c", "parameters": {}},
        {
            "name": "falkordb only",
            "text": "MATCH (c:City) RETURN string.matchRegEx(c.name, 'G.*') AS m",
            "parameters": {},
        },
        {"name": "parameter", "text": "MATCH (c:City {id: $city}) RETURN c", "parameters": {}},
        {"name": "label typo", "text": "MATCH (c:Cty) RETURN c", "parameters": {}},
    ]
    results = {r["name"]: r for r in linter.lint(items)}
    assert results["typo"]["errors"]
    assert "string.matchRegEx" in results["falkordb only"]["errors"][0]["message"]
    assert "$city" in results["parameter"]["errors"][0]["message"]
    assert "Cty" in results["label typo"]["warnings"][0]["message"]
