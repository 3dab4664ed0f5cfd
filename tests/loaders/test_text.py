"""Reading text a block at a time (``text_lines``) gives what reading it line by line
(``iter_text_lines``) gives: the same lines, and the same error at the same line, for files
larger than one block with the fault in a later block."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from civicgraph.graph.errors import LoadError
from civicgraph.loaders import text
from civicgraph.loaders.text import iter_text_lines, read_csv_dicts, text_lines

# 40,000 lines of 40 bytes: 1.6 MB, two blocks of text_lines
ROWS = [f"org:{i:07d},Organisation {i:09d},{i % 97}\n" for i in range(40_000)]
BIG = ("id,name,size\n" + "".join(ROWS)).encode()


def _outcome(lines: object) -> tuple[list[str], str | None]:
    got: list[str] = []
    try:
        for item in lines:  # type: ignore[attr-defined]
            got.append(item[1] if isinstance(item, tuple) else item)
    except LoadError as exc:
        return got, str(exc)
    return got, None


def _same(path: Path, encoding: str = "utf-8") -> tuple[list[str], str | None]:
    slow = _outcome(iter_text_lines(path, encoding))
    fast = _outcome(text_lines(path, encoding))
    assert fast == slow
    return fast


def _at(data: bytes, line: int, bad: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[line - 1] = lines[line - 1][:10] + bad + lines[line - 1][10:]
    return b"\n".join(lines)


def test_the_blocks_read_every_line(tmp_path: Path) -> None:
    f = tmp_path / "ok.csv"
    f.write_bytes(BIG)
    lines, error = _same(f)
    assert error is None and len(lines) == 40_001 and lines[-1] == ROWS[-1]
    assert len(BIG) > text._BLOCK  # the file spans two blocks


@pytest.mark.parametrize(
    ("bad", "message"),
    [(b"\xe9", "not valid utf-8 (byte 11 of the line)"), (b"\x00", "contains a NUL byte")],
)
def test_a_bad_byte_in_a_later_block_is_named_at_its_line(
    tmp_path: Path, bad: bytes, message: str
) -> None:
    f = tmp_path / "bad.csv"
    f.write_bytes(_at(BIG, 35_001, bad))
    lines, error = _same(f)
    assert len(lines) == 35_000  # every line before it, first
    assert error is not None and "line 35001" in error and message in error


def test_a_truncated_gzip_stops_at_the_same_line(tmp_path: Path) -> None:
    f = tmp_path / "cut.csv.gz"
    packed = gzip.compress(BIG)
    f.write_bytes(packed[: len(packed) * 3 // 4])
    lines, error = _same(f)
    assert 0 < len(lines) < 40_001
    assert error is not None and "cannot read the file after line" in error


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252", "latin-1"])
def test_other_encodings(tmp_path: Path, encoding: str) -> None:
    f = tmp_path / "enc.csv"
    f.write_bytes("id,name\norg:1,Saint-Étienne\norg:2,Évry\n".encode(encoding))
    lines, error = _same(f, encoding)
    assert error is None and lines[1] == "org:1,Saint-Étienne\n"


def test_csv_rows_keep_their_physical_lines(tmp_path: Path) -> None:
    f = tmp_path / "rows.csv"
    f.write_text('id,name\n\norg:1,"two\nlines"\n , \norg:2,x\norg:3\n', encoding="utf-8")
    rows = read_csv_dicts(f)
    assert next(rows) == (4, {"id": "org:1", "name": "two\nlines"})
    assert next(rows) == (6, {"id": "org:2", "name": "x"})  # the blank rows are skipped
    with pytest.raises(LoadError, match=r"line 7: 1 fields where the header has 2"):
        next(rows)


def test_skipped_lines_count(tmp_path: Path) -> None:
    f = tmp_path / "skip.csv"
    f.write_text("exported 2026-12-02\n\nid,name\norg:1,a\norg:2,b;c\n", encoding="utf-8")
    assert [n for n, _ in read_csv_dicts(f, skip_lines=2)] == [4, 5]
    with pytest.raises(LoadError, match="line 3, field 'x': missing column 'x'"):
        next(read_csv_dicts(f, skip_lines=2, required=["x"]))
