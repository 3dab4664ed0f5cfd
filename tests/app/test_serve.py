"""``civicgraph serve`` over the seeded ANVITA case: a real server process on a free loopback
port, asked over HTTP, its answers compared with what the command line prints."""

from __future__ import annotations

import html
import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import psutil
import pytest

from civicgraph.queries import load_catalogue

MEMBERS = "/query/network_members"
ON_A_DAY = {"network": "net:anvita", "date": "2022-09-01"}
WRITE = "CREATE (n:City {id:'insee:99999'})"


def civicgraph(*args: str) -> subprocess.CompletedProcess[bytes]:
    """The installed command, as a user runs it."""
    exe = Path(sys.executable).with_name("civicgraph")
    return subprocess.run([str(exe), *args], capture_output=True, timeout=120)


def url(path: str, params: dict[str, str] | None = None) -> str:
    return path + ("?" + urlencode(params) if params else "")


def test_index_lists_every_stored_query(served: Any) -> None:
    status, ctype, body = served.get("/")
    assert (status, ctype.split(";")[0]) == (200, "text/html")
    page = body.decode()
    text = " ".join(html.unescape(page).split())
    for q in load_catalogue():
        assert f'href="/query/{q.name}"' in page, q.name
        assert q.summary.split(".")[0][:30] in text, q.name


def test_json_and_csv_are_what_the_command_line_prints(served: Any) -> None:
    status, ctype, body = served.get(url(MEMBERS + ".json", ON_A_DAY))
    assert (status, ctype) == (200, "application/json")
    data = json.loads(body)
    assert set(data) == {"rows", "columns", "query", "params"}
    assert (data["query"], data["params"]) == ("network_members", ON_A_DAY)
    args = ["query", "network_members", "-p", "network=net:anvita", "-p", "date=2022-09-01"]
    cli_json = civicgraph(*args, "--format", "json", "--db", str(served.db))
    assert cli_json.returncode == 0, cli_json.stderr
    assert data["rows"] == json.loads(cli_json.stdout)
    assert data["columns"] == list(data["rows"][0])
    assert "Grenoble" in {r["name"] for r in data["rows"]}

    status, ctype, body = served.get(url(MEMBERS + ".csv", ON_A_DAY))
    assert (status, ctype) == (200, "text/csv; charset=utf-8")
    cli_csv = civicgraph(*args, "--format", "csv", "--db", str(served.db))
    assert cli_csv.returncode == 0
    assert body == cli_csv.stdout  # byte for byte
    assert body.count(b"\n") == len(data["rows"]) + 1


def test_result_page_shows_form_table_query_text_graph_and_links(served: Any) -> None:
    status, ctype, body = served.get(url(MEMBERS, ON_A_DAY))
    assert status == 200
    page = body.decode()
    assert '<input id="p-date" name="date" type="date" value="2022-09-01" required>' in page
    assert ">Grenoble<" in page
    assert '<a href="/node/insee:38185">insee:38185</a>' in page  # every id links to its page
    assert "MATCH (m)-[r:MEMBER_OF]-&gt;(n:Network {id: $network})" in page  # the text that ran
    for link in ("permalink", ".json", ".csv", ".graph"):
        assert re.search(
            rf'href="/query/network_members[^"]*date=2022-09-01[^"]*"[^>]*>{link}<', page
        )
    # Nothing to load from elsewhere: scripts and styles are this server's.
    assert re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page) == [
        "data:,",
        "/-/static/serve.css",
        "/-/static/serve.js",
    ]
    assert "<style" not in page and " style=" not in page and "<script>" not in page
    policy = _headers(served, url(MEMBERS, ON_A_DAY))["content-security-policy"]
    assert "default-src 'none'; script-src 'self'; style-src 'self'" in policy

    # The graph: the offline explore page, framed from the result's .graph URL.
    frame = re.search(r'<iframe class="cg-graph" src="([^"]+)"', page)
    assert frame and html.unescape(frame.group(1)) == url(MEMBERS + ".graph", ON_A_DAY)
    status, ctype, body = served.get(url(MEMBERS + ".graph", ON_A_DAY))
    graph = body.decode()
    assert (status, ctype) == (200, "text/html; charset=utf-8")
    assert "Grenoble" in graph and "<script src=" not in graph and "<link" not in graph
    assert "Content-Security-Policy\" content=\"default-src 'none'" in graph
    graph_policy = _headers(served, url(MEMBERS + ".graph", ON_A_DAY))["content-security-policy"]
    assert graph_policy == "frame-ancestors 'self'"


def test_form_alone_until_parameters_are_given(served: Any) -> None:
    status, _, body = served.get(MEMBERS)
    page = body.decode()
    assert status == 200
    assert '<input id="p-date" name="date" type="date" value="" required>' in page
    assert 'class="error"' not in page and 'class="rows"' not in page
    _, _, body = served.get("/query/network_composition")
    assert '<select id="p-by" name="by">' in body.decode()  # {party|size_class|kind} choices


@pytest.mark.parametrize("suffix", ["", ".json", ".csv"])
@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        (MEMBERS, {"network": "net:anvita", "date": "yesterday"}, "'date'"),
        (MEMBERS, {"network": "net:anvita", "date": "2022-13-45"}, "'date'"),
        (MEMBERS, {"network": "net:anvita", "date": ""}, "'date'"),  # a blank field: missing
        (MEMBERS, {"network": "net:anvita"}, "'date'"),
        (MEMBERS, {**ON_A_DAY, "colour": "red"}, "'colour'"),
        ("/query/mayors_off", {"city": "insee:38185"}, "'mayors_off'; did you mean 'mayors_of'"),
        ("/query/network_composition", {**ON_A_DAY, "by": "colour"}, "'by'"),
    ],
)
def test_bad_input_is_400_naming_the_parameter(
    served: Any, suffix: str, path: str, params: dict[str, str], named: str
) -> None:
    status, _, body = served.get(url(path + suffix, params))
    assert status == 400
    text = body.decode()
    if suffix == ".json":
        text = json.loads(text)["error"]
    elif suffix == ".csv":
        assert text.count("\n") == 1  # one line
    assert named in html.unescape(text)


def test_date_yesterday_names_date(served: Any) -> None:
    status, _, body = served.get(url(MEMBERS + ".json", {**ON_A_DAY, "date": "yesterday"}))
    assert (status, json.loads(body)["parameter"]) == (400, "date")
    status, _, body = served.get(url(MEMBERS, {**ON_A_DAY, "date": "yesterday"}))
    assert status == 400
    assert 'role="alert" data-status="400" data-parameter="date"' in body.decode()


def test_console_reads_and_refuses_writes_with_403(served: Any) -> None:
    before = civicgraph("info", "--format", "json", "--db", str(served.db))
    assert before.returncode == 0
    status, _, body = served.get(url("/cypher.json", {"q": WRITE}))
    assert status == 403
    assert "read-only" in json.loads(body)["error"]
    for statement in (
        "MERGE (n:Entity:Organization {id: 'org:merged', name: 'M'})",
        "MATCH (n) SET n.pwned = true",
        "MATCH (n) WITH n DETACH DELETE n",
        "// read only\ncreate (n:Entity {id: 'org:c'})",
        "CALL db.idx.fulltext.createNodeIndex('Organization', 'name')",
    ):
        for suffix in ("", ".json", ".csv"):
            status, _, _ = served.get(url("/cypher" + suffix, {"q": statement}))
            assert 400 <= status < 500, (statement, suffix, status)
    after = civicgraph("info", "--format", "json", "--db", str(served.db))
    assert json.loads(after.stdout) == json.loads(before.stdout)
    assert served.get("/node/insee:99999")[0] == 404

    q = "MATCH (c:City {id: $id}) RETURN c.name AS name, c.id AS id"
    status, _, body = served.get(url("/cypher.json", {"q": q, "id": "insee:38185"}))
    assert status == 200
    assert json.loads(body)["rows"] == [{"name": "Grenoble", "id": "insee:38185"}]
    status, _, body = served.get(url("/cypher.csv", {"q": q, "id": "insee:38185"}))
    assert body == b"name,id\nGrenoble,insee:38185\n"
    status, _, body = served.get(url("/cypher", {"q": q}))  # $id not given: 400 naming it
    assert status == 400 and "$id" in body.decode()
    status, _, body = served.get(url("/cypher.json", {"q": "MATCH (n RETURN n"}))
    assert status == 400 and "\n" not in json.loads(body)["error"]


def test_node_page_properties_relationships_over_time_and_sources(served: Any) -> None:
    status, _, body = served.get("/node/insee:38185")
    assert status == 200
    page = body.decode()
    assert "<h1>Grenoble <small>City" in page
    assert "Relationships over time" in page and "MAYOR_OF" in page and "MEMBER_OF" in page
    assert "Eric Piolle" in page
    assert 'href="https://www.anvita.fr/' in page or "anvita-qui-sommes-nous" in page
    assert "Sources cited here" in page

    status, ctype, body = served.get("/node/insee:38185.json")
    assert (status, ctype) == (200, "application/json")
    view = json.loads(body)
    assert view["node"]["label"] == "City" and view["node"]["properties"]["name"] == "Grenoble"
    starts = [r["start"] for r in view["relationships"] if r["start"]]
    assert starts == sorted(starts)  # over time
    assert all(s in view["sources"] for r in view["relationships"] for s in r["sources"])
    assert "size_class" in view["node"]["derived"]

    assert served.get("/node/insee:00000")[0] == 404
    status, _, body = served.get("/node/insee:00000.json")
    assert (status, json.loads(body)["parameter"]) == (404, "id")
    assert served.get("/node/" + quote("person:carême"))[0] == 404  # decoded, then looked up


def test_twenty_concurrent_requests(served: Any) -> None:
    paths = [
        url(MEMBERS, ON_A_DAY),
        url(MEMBERS + ".json", ON_A_DAY),
        url(MEMBERS + ".csv", ON_A_DAY),
        "/",
        "/node/insee:38185",
        url("/cypher.json", {"q": "MATCH (c:City) RETURN count(c) AS n"}),
        url("/query/mayors_of.json", {"city": "insee:38185"}),
    ]
    expected = {p: served.get(p) for p in paths}
    start = threading.Barrier(20)

    def fetch(i: int) -> tuple[str, tuple[int, str, bytes]]:
        path = paths[i % len(paths)]
        start.wait(timeout=60)
        return path, served.get(path, timeout=120)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(fetch, range(20)))
    assert len(answers) == 20
    for path, (status, ctype, body) in answers:
        assert status == 200, (path, body[:200])
        if not ctype.startswith("text/html"):  # pages embed nothing random, but check data
            assert body == expected[path][2], path
    assert "Traceback" not in served.log.read_text()


def test_listens_on_loopback_only(served: Any) -> None:
    listening = [
        c
        for c in psutil.Process(served.process.pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert listening and {c.laddr.ip for c in listening} == {"127.0.0.1"}
    for child in psutil.Process(served.process.pid).children(recursive=True):  # the engine
        assert not [c for c in child.net_connections(kind="inet") if c.status == "LISTEN"]


def test_other_host_warns_and_a_missing_store_is_not_created(tmp_path: Path, served: Any) -> None:
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning comes, no socket opens.
    r = civicgraph("serve", "--db", str(served.db), "--host", "192.0.2.1", "--port", "0")
    err = r.stderr.decode()
    assert r.returncode == 1
    assert "not on loopback: anyone who can reach this machine" in err
    assert "cannot listen on 192.0.2.1:0" in err and "Traceback" not in err
    r = civicgraph("serve", "--db", str(tmp_path / "typo.db"))
    assert r.returncode == 1 and b"no civicgraph store at" in r.stderr
    assert not (tmp_path / "typo.db").exists()


def _headers(served: Any, path: str) -> dict[str, str]:
    import urllib.request

    with urllib.request.urlopen(served.url.rstrip("/") + path, timeout=60) as r:
        return {k.lower(): v for k, v in r.headers.items()}


def _organizations(path: Path, n: int) -> Path:
    """A zero-configuration nodes file of *n* organizations."""
    path.write_text(
        "id,label,name\n" + "".join(f"org:{i},Organization,Organisation {i}\n" for i in range(n))
    )
    return path


def _unwritten_aof_bytes(db: Path) -> int:
    """Bytes of the store's append-only file not compacted into its snapshot yet."""
    return sum(p.stat().st_size for p in (db / "data" / "appendonlydir").glob("*.incr.aof"))


@contextmanager
def _serving(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str], str]]:
    """A small store, served by ``civicgraph serve`` for the block, once it answers HTTP
    (killed if still running after it: the tests stop it themselves)."""
    import urllib.request

    from civicgraph.app.serve import start_server

    db = tmp_path / "s.db"
    first = civicgraph(
        "load", "--db", str(db), "--nodes", str(_organizations(tmp_path / "a.csv", 10))
    )
    assert first.returncode == 0, first.stderr
    proc, url = start_server(db, tmp_path / "serve.err")
    try:
        # uvicorn is serving (and so catches the signals the tests send), not only bound
        with urllib.request.urlopen(url, timeout=60) as page:
            assert page.status == 200
        yield db, proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
@pytest.mark.usefixtures("no_engine_survives")
def test_ctrl_c_compacts_what_commands_that_joined_the_served_store_wrote(tmp_path: Path) -> None:
    """README, "Large stores": loads join a served store's engine; Ctrl-C on serve then
    closes the store in order, so its next open reads a snapshot, not every write again."""
    from civicgraph.graph import open_store

    with _serving(tmp_path) as (db, proc, _):
        more = _organizations(tmp_path / "b.csv", 3000)
        r = civicgraph("load", "--db", str(db), "--nodes", str(more))
        assert r.returncode == 0, r.stderr
        assert _unwritten_aof_bytes(db) > 64 << 10  # what the joined load wrote, not compacted yet
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert _unwritten_aof_bytes(db) == 0
    assert "Traceback" not in (tmp_path / "serve.err").read_text()
    with open_store(db, create=False) as store:
        assert store.query("MATCH (o:Organization) RETURN count(o) AS n")[0]["n"] == 3000


@pytest.mark.slow
@pytest.mark.usefixtures("no_engine_survives")
def test_ctrl_c_on_serve_ends_an_engine_that_does_not_answer_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The orderly close above is for an engine that answers.  One that does not (paused:
    alive, idle, its socket open, as a FalkorDB deadlock leaves it; supervision off so that
    nothing restarts it meanwhile) is ended at once, as the command line's handler ends it,
    instead of being given the 5 s an orderly close waits for an answer."""
    import time

    import redis
    from engine_processes import gone, server_pid

    monkeypatch.setenv("CIVICGRAPH_HANG_SECONDS", "0")
    with _serving(tmp_path) as (db, proc, _):
        pid = server_pid(db)
        assert pid is not None
        sock = json.loads((db / "server.json").read_text())["socket"]
        redis.Redis(unix_socket_path=sock).execute_command("CLIENT", "PAUSE", 120_000, "ALL")
        began = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        took = time.monotonic() - began
    assert gone(pid)
    # ~1 s (0.5 s asking the engine, then SIGKILL); an orderly close would wait 5 s first
    assert took < 4.0, f"serve took {took:.1f} s to end with its engine not answering"
