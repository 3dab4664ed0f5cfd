"""Reading text files as people have them: the encoding (given, or detected by
charset-normalizer), lines that name their place when a byte is bad, CSV rows as dicts, one
type per column, ``sources`` cells and the file's own ``Source``.

Used by every reader of text: the zero-configuration CSVs (:mod:`.files`), mappings
(:mod:`.mapping`), the registers, and JSON Lines (:mod:`.graphfiles`).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import itertools
import re
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

from civicgraph.graph.errors import (
    CivicgraphError,
    ConfigurationError,
    InvalidProperty,
    LoadError,
)
from civicgraph.graph.model import check_reserved, load_model
from civicgraph.graph.output import from_spreadsheet_safe

__all__ = [
    "ColumnTypes",
    "DATE_KEYS",
    "DETECTED",
    "EDGE_COLUMNS",
    "NODE_COLUMNS",
    "RESERVED_EDGE",
    "RESERVED_NODE",
    "TEXT_COLUMNS",
    "cell_text",
    "check_encoding",
    "column_kinds",
    "decode_line",
    "detect_encoding",
    "file_source",
    "header_check",
    "iter_text_lines",
    "read_csv_dicts",
    "text_lines",
    "split_sources",
    "typed_value",
]

_INT = re.compile(r"^-?(0|[1-9]\d{0,18})$")
_FLOAT = re.compile(r"^-?(0|[1-9]\d*)\.\d+$")
RESERVED_NODE = ("id", "label")
RESERVED_EDGE = ("source", "target", "type")
#: The columns of the zero-configuration files that are the record's own fields (any case).
NODE_COLUMNS = ("id", "label", "sources")
EDGE_COLUMNS = ("source", "target", "type", "start", "end", "sources")
#: Columns read as text whatever their cells hold: names, and dates (``2020`` is a year,
#: for civicgraph.graph.dates, not a number).
TEXT_COLUMNS = ("name", *sorted(load_model().all_date_keys - set(EDGE_COLUMNS)))


DATE_KEYS = load_model().all_date_keys


#: The encodings detection chooses among: what French and European spreadsheets and exports
#: write.  A file in another one is read with ``--encoding`` (``encoding=``).
DETECTED = ("utf_8", "utf_16", "utf_32", "cp1252", "latin_1")
#: How much of a file detection looks at (the whole file, when it is smaller).
_SAMPLE = 1 << 20
_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)


def detect_encoding(path: str | Path) -> str:
    """The encoding of a text file: UTF-8 when its first megabyte is valid UTF-8, else the
    one of :data:`DETECTED` that charset-normalizer finds (cp1252 for Latin-1 text,
    UTF-16 with its byte-order mark).

    When none fits, UTF-8: reading the file then stops at the first line that is not,
    saying to pass the encoding.
    """
    p = Path(path)
    opener: Any = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rb") as f:
            sample = f.read(_SAMPLE)
    except FileNotFoundError:
        raise LoadError("file not found", file=str(p)) from None
    except (EOFError, gzip.BadGzipFile, OSError, zlib.error):
        return "utf-8"  # a damaged file: reading it says what is wrong
    if not sample.startswith(_BOMS):
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < _SAMPLE)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=list(DETECTED)).best()
    if best is None:  # none fits: reading it as UTF-8 names the first line that is not
        return "utf-8"
    return codecs.lookup(best.encoding).name


def check_encoding(encoding: str) -> str:
    """*encoding* if Python knows it, else a :class:`ConfigurationError` saying so.

    >>> check_encoding("latin-1")
    'latin-1'
    """
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ConfigurationError(
            f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, latin-1, utf-16)",
            field="encoding",
        ) from None
    return encoding


def _ascii_compatible(encoding: str) -> bool:
    """Whether *encoding* writes a line break as the byte ``\\n`` (UTF-16 does not)."""
    return "a\n".encode(encoding) == b"a\n"


def decode_line(data: bytes, encoding: str, file: str, line: int, hint: str = "") -> str:
    """One physical line of a file as text: bad *encoding* or a NUL byte is a
    :class:`LoadError` naming *file* and *line* (*hint* ends the encoding error's message).

    >>> decode_line(b"Saint-\\xc3\\x89tienne\\n", "utf-8", "f.csv", 3)
    'Saint-Étienne\\n'
    >>> decode_line(b"Saint-\\xc9tienne\\n", "utf-8", "f.csv", 3)
    Traceback (most recent call last):
    ...
    civicgraph.graph.errors.LoadError: f.csv, line 3: not valid utf-8 (byte 7 of the line)
    """
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"not valid {encoding} (byte {exc.start + 1} of the line){hint}", file=file, line=line
        ) from None
    if "\x00" in text:
        raise LoadError("contains a NUL byte", file=file, line=line)
    return text


def iter_text_lines(path: str | Path, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """Yield (line number, text) with a clear error on bad encoding or a truncated gzip."""
    p = Path(path)
    opener: Any = gzip.open if p.suffix == ".gz" else open
    lineno = 0
    hint = " — pass --encoding (e.g. cp1252), or leave it out to detect it"
    try:
        with opener(p, "rb") as f:
            if not _ascii_compatible(encoding):  # UTF-16/32: decoded as a stream
                text_in = io.TextIOWrapper(f, encoding=encoding, newline="")
                try:
                    for lineno, text in enumerate(text_in, start=1):
                        if "\x00" in text:
                            raise LoadError("contains a NUL byte", file=str(p), line=lineno)
                        yield lineno, text
                except UnicodeDecodeError:
                    raise LoadError(
                        f"not valid {encoding}{hint}", file=str(p), line=lineno + 1
                    ) from None
                return
            for lineno, raw in enumerate(f, start=1):
                yield lineno, decode_line(raw, encoding, str(p), lineno, hint)
    except (EOFError, gzip.BadGzipFile, OSError, zlib.error) as exc:
        if isinstance(exc, FileNotFoundError):
            raise LoadError("file not found", file=str(p)) from None
        raise LoadError(
            f"cannot read the file after line {lineno}: {exc}"
            + (" (truncated gzip?)" if p.suffix == ".gz" else ""),
            file=str(p),
            line=lineno + 1,
        ) from None


#: Bytes of lines read and decoded at a time by :func:`text_lines`.
_BLOCK = 1 << 20


def text_lines(path: str | Path, encoding: str = "utf-8") -> Iterator[str]:
    """The lines :func:`iter_text_lines` yields, without their numbers, for a reader that
    counts them itself (``csv.reader.line_num``), with the same errors at the same lines.

    Lines are read and decoded a block at a time, with no Python call per line:
    :func:`read_csv_dicts` reads the 400,000 rows of the synthetic load (``bench/``) in
    0.9 s instead of 2.2 s through :func:`iter_text_lines`.  A block with a bad byte,
    a NUL, or a read that fails (a truncated gzip) is read again line by line through
    :func:`iter_text_lines`, which names the line: the lines before it come first, as
    there.

    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(f, "wb").write(b"a,b\\n1,\\xc3\\xa9\\n2,\\xe9\\n")
    >>> lines = text_lines(f)
    >>> next(lines), next(lines)
    ('a,b\\n', '1,é\\n')
    >>> next(lines)
    Traceback (most recent call last):
    ...
    civicgraph.graph.errors.LoadError: ...t.csv, line 3: not valid utf-8 (byte 3 of the line) — pass --encoding (e.g. cp1252), or leave it out to detect it
    """
    return itertools.chain.from_iterable(_line_blocks(Path(path), encoding))


def _line_blocks(p: Path, encoding: str) -> Iterator[list[str]]:
    done = 0  # lines given
    if _ascii_compatible(encoding):  # UTF-16/32 are decoded as a stream there
        try:
            with gzip.open(p, "rb") if p.suffix == ".gz" else open(p, "rb") as f:
                while block := f.readlines(_BLOCK):
                    if b"\x00" in b"".join(block):
                        break
                    try:
                        lines = [b.decode(encoding) for b in block]
                    except UnicodeDecodeError:
                        break
                    done += len(block)
                    yield lines
                else:
                    return
        except (EOFError, gzip.BadGzipFile, OSError, zlib.error):
            pass  # named below, at its line
    for lineno, text in iter_text_lines(p, encoding):
        if lineno > done:
            yield [text]


def read_csv_dicts(
    path: str | Path,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    required: Iterable[str] = (),
    skip_lines: int = 0,
    known: Collection[str] = (),
    check_header: Callable[[list[str]], None] | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a CSV file, checking the header first.

    A header cell that is one of *known* in another case (``Start`` for ``start``) is read
    as that column; two cells naming one column are a duplicate column.  *check_header*,
    given the header so spelled, raises a LoadError (without file and line) for a header
    it cannot read; the error gets them, and a hint when the delimiter looks wrong.
    """
    p = str(path)
    lines = text_lines(path, encoding)
    for _ in range(skip_lines):
        next(lines, None)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)

    def line() -> int:
        """The physical line the reader stopped at (csv counts a quoted line break's)."""
        return skip_lines + reader.line_num if reader.line_num else 1

    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise LoadError(f"CSV error: {exc}", file=p, line=line()) from None
    if header is None:
        raise LoadError("empty file (no header)", file=p, line=1)
    header = [h.strip().lstrip("\ufeff") for h in header]
    if known:
        header = [h.lower() if h.lower() in known else h for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise LoadError(
            f"missing column {missing[0]!r} in header {header!r}"
            + _delimiter_hint(header, delimiter),
            file=p,
            line=line(),
            field=missing[0],
        )
    if check_header is not None:
        try:
            check_header(header)
        except LoadError as exc:
            raise LoadError(
                exc.message + _delimiter_hint(header, delimiter),
                file=p,
                line=line(),
                field=exc.field,
            ) from None
    dupes = {h for h in header if header.count(h) > 1}
    if dupes:
        raise LoadError(
            f"duplicate column {sorted(dupes)[0]!r}", file=p, line=1, field=sorted(dupes)[0]
        )
    width = len(header)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise LoadError(f"CSV error: {exc}", file=p, line=line()) from None
        if len(row) != width or not row[0].strip():  # the common row passes two tests
            if not any(map(str.strip, row)):  # a blank row
                continue
            if len(row) != width:
                raise LoadError(
                    f"{len(row)} fields where the header has {width}", file=p, line=line()
                )
        yield skip_lines + reader.line_num, dict(zip(header, row, strict=True))


def _delimiter_hint(header: list[str], delimiter: str) -> str:
    """A hint when a one-cell header holds another delimiter (a ``;`` file read with ``,``)."""
    if len(header) == 1:
        for d in (";", "\t", "|", ","):
            if d != delimiter and d in header[0]:
                return f" — the header looks {d!r}-delimited: pass --delimiter {d!r}"
    return ""


# -- one type per column -------------------------------------------------------------------
#: Cell kinds, and the kind of a column holding two kinds (anything else mixed is text).
_WIDER = {frozenset({"int", "float"}): "float"}


def _kind(text: str) -> str:
    """The kind a cell (already stripped, not empty) would have alone: int, float, bool, text.

    Only a number written as Python writes it back counts (``12``, ``-3``, ``0.5``; not
    ``007``, ``+5``, ``1.50``, ``1e3``), so a typed value is written out as it was read.
    """
    if _INT.match(text) and text != "-0" and -(2**63) <= int(text) < 2**63:
        return "int"
    if _FLOAT.match(text) and repr(float(text)) == text:
        return "float"
    if text.lower() in ("true", "false"):
        return "bool"
    return "text"


def _widen(a: str | None, b: str) -> str:
    if a is None or a == b:
        return b
    return _WIDER.get(frozenset({a, b}), "text")


def typed_value(text: str, kind: str | None) -> Any:
    """A stripped cell as its column's kind (None: text); a cell that does not fit stays
    text, for validation to report against a declared type."""
    if kind == "int" and _kind(text) == "int":
        return int(text)
    if kind == "float" and _kind(text) in ("int", "float"):
        return float(text)
    if kind == "bool" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def cell_text(raw: str) -> tuple[str, bool]:
    """A CSV cell as read and whether it was protected for spreadsheets (``'=…``).

    A plain cell is stripped of surrounding spaces; a protected one is exactly what a
    civicgraph writer was given (a leading tab included), and text whatever it looks like.
    """
    if raw[:1] == "'":
        text = from_spreadsheet_safe(raw)
        if len(text) != len(raw):
            return text, True
    return raw.strip(), False


def column_kinds(rows: Iterable[dict[str, str]], columns: Collection[str]) -> dict[str, str]:
    """Pass 1 over a text file: the kind of each of *columns* over all its cells."""
    kinds: dict[str, str | None] = dict.fromkeys(columns)
    open_cols = set(columns)  # columns not already text
    seen: dict[str, str] = {}  # a cell's kind, by its text (columns repeat their values)
    for row in rows:
        for col in list(open_cols):
            text, protected = cell_text(row.get(col) or "")
            if not text:
                continue
            if protected:
                kind = "text"
            elif (kind := seen.get(text)) is None:  # type: ignore[assignment]
                kind = _kind(text)
                if len(seen) < 100_000:
                    seen[text] = kind
            kinds[col] = k = _widen(kinds[col], kind)
            if k == "text":
                open_cols.discard(col)
        if not open_cols:
            break
    return {c: k or "text" for c, k in kinds.items()}


class ColumnTypes:
    """The type of each property a text file gives: the schema's, else its column's."""

    def __init__(self, column_kinds: dict[str, str]) -> None:
        self.columns = column_kinds
        self.model = load_model()
        self._kinds: dict[tuple[str, str, str | None], str | None] = {}

    def declared(self, owner: str, key: str) -> str | None:
        """The type the schema declares for *key* of a label or relationship type."""
        try:
            return self.model.property_types(owner).get(key)
        except CivicgraphError:  # an unknown label or type: validation names it
            return None

    def kind(self, owner: str, key: str, column: str | None) -> str | None:
        """How to read a text cell of *key*: the declared type, else the column's (None:
        text)."""
        spot = (owner, key, column)
        if spot in self._kinds:  # asked for every cell of a file
            return self._kinds[spot]
        declared = self.declared(owner, key)
        if declared is not None:
            kind = None if declared == "string" else declared
        else:
            kind = self.columns.get(column) if column is not None else None
        self._kinds[spot] = kind
        return kind


def header_check(
    header: Iterable[str], own: Collection[str], *, relationship: bool, file: str, line: int = 1
) -> None:
    """Refuse a column named after a field it is not (``type`` in a nodes file, ``id`` in an
    edges file, ``Target`` beside ``target``) before any row is read."""
    for col in header:
        if col in own:
            continue
        try:
            check_reserved(col, relationship=relationship)
        except InvalidProperty as exc:
            raise LoadError(
                str(exc).replace("property", "column", 1), file=file, line=line, field=col
            ) from None


def split_sources(text: Any) -> list[str]:
    if isinstance(text, list):
        return [str(s) for s in text]
    return [s.strip() for s in str(text).split("|") if s.strip()]


def file_source(path: str | Path) -> dict[str, Any]:
    """A ``Source`` node standing for a user's file (stable id from its content)."""
    p = Path(path)
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    slug = re.sub(r"[^a-z0-9]+", "-", p.name.lower()).strip("-")[:60]
    return {
        "id": f"src:file-{slug}-{h.hexdigest()[:8]}",
        "title": p.name,
        "kind": "file",
        "citation": f"user file {p.name} (sha256 {h.hexdigest()[:16]}…)",
    }
