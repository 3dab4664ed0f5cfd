"""Neo4j credentials are never printed, and none are written in the repository.

Complements ``tests/graph/backends/test_neo4j_backend.py`` (which checks the library's exceptions): here
the ``civicgraph`` command itself, run as a user runs it, with ``NEO4J_PASSWORD`` set, and
the repository's files (what ``git`` tracks, and what it would add).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CIVICGRAPH = str(Path(sys.executable).with_name("civicgraph"))
SECRET = "s3cr3t-value"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket closes


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CIVICGRAPH_DB"))}
    full.update({"NEO4J_USERNAME": "neo4j", "NEO4J_PASSWORD": SECRET, **env})
    return subprocess.run(
        [CIVICGRAPH, *args], capture_output=True, text=True, env=full, timeout=120
    )


def _assert_one_clean_line(result: subprocess.CompletedProcess[str], setting: str) -> None:
    assert result.returncode == 1
    assert SECRET not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert setting in result.stderr, result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr


def test_unreachable_bolt_names_neo4j_uri_and_never_the_password() -> None:
    result = _run("info", "--db", f"bolt://127.0.0.1:{_closed_port()}")
    _assert_one_clean_line(result, "NEO4J_URI")


def test_neo4j_uri_from_the_environment_is_used_and_not_leaked() -> None:
    result = _run("info", NEO4J_URI=f"bolt://127.0.0.1:{_closed_port()}")
    _assert_one_clean_line(result, "NEO4J_URI")


def test_every_command_keeps_the_password_out_of_its_output() -> None:
    uri = f"bolt://127.0.0.1:{_closed_port()}"
    for args in (
        ["query", "founders", "-p", "network=net:x"],
        ["cypher", "RETURN 1"],
        ["export", "--format", "jsonl", "-o", "-"],
        ["brokerage"],
    ):
        result = _run(*args, "--db", uri)
        assert result.returncode == 1, args
        assert SECRET not in result.stdout + result.stderr, args
        assert "NEO4J_URI" in result.stderr, args


def test_unreachable_neo4j_scheme_is_one_line() -> None:
    result = _run("info", "--db", f"neo4j://127.0.0.1:{_closed_port()}")
    _assert_one_clean_line(result, "NEO4J_URI")


def test_a_password_in_the_uri_is_not_echoed() -> None:
    result = _run("info", "--db", f"bolt://neo4j:{SECRET}@127.0.0.1:{_closed_port()}")
    _assert_one_clean_line(result, "NEO4J_URI")


def test_a_malformed_port_is_a_one_line_error() -> None:
    result = _run("info", "--db", "bolt://127.0.0.1:notaport")
    _assert_one_clean_line(result, "NEO4J_URI")


# -- the repository ---------------------------------------------------------------------------
def _files() -> list[Path]:
    """Tracked files, plus the untracked ones git would add (not ignored)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [REPO / f for f in out.splitlines() if (REPO / f).is_file()]


#: A literal secret assigned in code, config or a URI.  References to the environment
#: (``os.environ``, ``${NEO4J_PASSWORD}``, ``$NEO4J_PASSWORD``) and the README's ``...``
#: placeholder are not secrets.
ASSIGNMENTS = [
    re.compile(r"""(?i)\bpass(word|wd)?\s*=\s*["'][^"'\s]{3,}["']"""),
    re.compile(r"""(?i)\bauth\s*=\s*\(\s*["'][^"']+["']\s*,\s*["'][^"']+["']"""),
    re.compile(r"""(?i)(?<!\$\{)NEO4J_PASSWORD\s*[=:]\s*(?!\.\.\.|\$|\s|$)["']?[^\s"'$]+"""),
    re.compile(r"""(?i)NEO4J_AUTH\s*[=:]\s*(?!.*\$\{?NEO4J_PASSWORD)\S+"""),
    re.compile(r"""(?i)(bolt|neo4j)(\+s|\+ssc)?://[^/\s:@]+:(?!<|\$|\.\.\.|…)[^@\s/]+@"""),
    re.compile(r"""(?i)\bpassword\s*:\s*(?!\$)["']?[A-Za-z0-9!@#%^&*_+-]{6,}"""),
]
#: Files that must hold fake or wrong passwords on purpose.
ALLOWED = {
    ".env.example",
    "tests/graph/backends/test_neo4j_backend.py",
    "tests/graph/backends/test_neo4j_errors.py",
}


def test_no_password_is_assigned_in_the_repository() -> None:
    found = []
    for path in _files():
        rel = path.relative_to(REPO).as_posix()
        if rel in ALLOWED or path.suffix in (".csv", ".tsv", ".gz", ".zip", ".png", ".jpg"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for n, line in enumerate(text.splitlines(), start=1):
            if any(p.search(line) for p in ASSIGNMENTS):
                found.append(f"{rel}:{n}: {line.strip()[:120]}")
    assert not found, "password-like assignments:\n" + "\n".join(found)


def test_docker_compose_takes_neo4j_auth_from_the_environment() -> None:
    compose = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    auth = [line.strip() for line in compose.splitlines() if line.strip().startswith("NEO4J_AUTH")]
    assert auth, "docker-compose.yml sets no NEO4J_AUTH"
    for line in auth:
        value = line.split(":", 1)[1].strip()
        assert re.fullmatch(r"neo4j/\$\{NEO4J_PASSWORD(:\?[^}]*)?\}", value), line


def test_env_is_ignored_and_env_example_exists() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO)
    assert ignored.returncode == 0, ".env is not in .gitignore"
    tracked = subprocess.run(
        ["git", "ls-files", ".env"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert tracked.stdout == "", ".env is tracked"
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    assert re.search(r"^NEO4J_PASSWORD=", example, re.M)
    assert "change-me" in example  # a placeholder, not a password


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("NEO4J_PASSWORD=hunter22", True),
        ('password = "hunter22"', True),
        ('driver(uri, auth=("neo4j", "hunter22"))', True),
        ("NEO4J_AUTH: neo4j/hunter22", True),
        ('uri = "bolt://neo4j:hunter22@db:7687"', True),
        ("`bolt://user:<password>@host`", False),
        ("  password: hunter22x", True),
        ("NEO4J_PASSWORD=...", False),
        ("export NEO4J_PASSWORD=$FROM_VAULT", False),
        ("NEO4J_AUTH: neo4j/${NEO4J_PASSWORD:?set NEO4J_PASSWORD in .env}", False),
        ('password = os.environ.get("NEO4J_PASSWORD")', False),
    ],
)
def test_the_scan_tells_secrets_from_references(line: str, secret: bool) -> None:
    assert any(p.search(line) for p in ASSIGNMENTS) is secret
