"""civicgraph in a notebook: a small notebook executed by nbclient on a kernel of this venv's
Python.  A query result displays as a DataFrame; a graph page displays inline, offline."""

from __future__ import annotations

import html
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat", reason="pip install -e '.[test]'")
nbclient = pytest.importorskip("nbclient", reason="pip install -e '.[test]'")

pytestmark = pytest.mark.slow

CELLS = [
    "import sys\nprint(sys.executable)",
    """from civicgraph.graph import open_store
from civicgraph.queries import load_catalogue
store = open_store(DB, create=False)
result = load_catalogue().run(store, "network_members",
                              {"network": "net:anvita", "date": "2022-09-01"})""",
    "df = result.to_df()\ndf",
    'print(type(df).__name__, df.shape, df.attrs["query"], list(df.columns[:3]))',
    "result",
    """from civicgraph.app.pages import explore_page
explore_page(store, query="network_members", params=result.params, as_of="2022-09-01")""",
    "store.close()",
]


def _kernel(tmp: Path) -> str:
    """A kernel spec that runs exactly this venv's Python."""
    spec = tmp / "jupyter" / "kernels" / "civicgraph-venv"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "civicgraph venv", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    return "civicgraph-venv"


def _html(cell: Any) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)


def _text(cell: Any) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def test_notebook_dataframe_and_inline_page(
    case_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "case.db"
    shutil.copytree(case_db, db, ignore=shutil.ignore_patterns("lock", "server.json"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"DB = {str(db)!r}")]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in CELLS]
    client = nbclient.NotebookClient(
        nb, kernel_name=_kernel(tmp_path), timeout=180, resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    cells = nb.cells[1:]

    assert _text(cells[0]).strip() == sys.executable  # the project's venv Python

    table = _html(cells[2])  # `df`: pandas' own HTML table
    assert 'class="dataframe"' in table and "<td>Grenoble</td>" in table
    assert _text(cells[3]).split()[:2] == ["DataFrame", "(16,"]
    assert "network_members ['id', 'name', 'kind']" in _text(cells[3])
    assert _html(cells[4]) == table  # the result itself shows as its DataFrame

    frame = _html(cells[5])  # the offline page, inline, in a sandboxed srcdoc frame
    assert frame.startswith("<iframe") and 'sandbox="allow-scripts' in frame
    inner = html.unescape(frame.split('srcdoc="', 1)[1].rsplit('"', 1)[0])
    assert inner.startswith("<!DOCTYPE html>") and "Grenoble" in inner
    assert "default-src 'none'" in inner and "<script src=" not in inner
    assert not [o for c in cells for o in c.outputs if o.get("output_type") == "error"]
