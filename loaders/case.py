"""The curated case format: ``sources.yaml``, ``nodes.yaml`` and ``relationships.yaml``.

Hand-curated, diff-friendly YAML written from the seed paper and cited web pages (see
``data/anvita/``).  ``sources.yaml`` lists ``Source`` records; ``nodes.yaml`` lists nodes with
``label`` and ``sources``; a ``Statistic`` node's ``about`` becomes an ``ABOUT`` relationship;
``relationships.yaml`` lists ``{type, from, to, start, end, …, sources}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import yaml

from civicgraph.graph.errors import LoadError

from .api import register_reader
from .records import NodeRecord, RelRecord

__all__ = ["read_case"]


CASE_FILES = ("sources.yaml", "nodes.yaml", "relationships.yaml")


def _items(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """YAML list items with the line each starts on (for error messages)."""
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LoadError(f"not valid YAML: {exc}", file=str(path)) from None
    if data is None:
        return []
    if not isinstance(data, list) or root is None:
        raise LoadError("expected a YAML list of records", file=str(path))
    out = []
    for node, item in zip(root.value, data, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            raise LoadError("each record must be a mapping", file=str(path), line=line)
        out.append((line, item))
    return out


def read_case(folder: str | Path) -> Iterator[NodeRecord | RelRecord]:
    """Records from a case folder (``sources.yaml``, ``nodes.yaml``, ``relationships.yaml``)."""
    folder = Path(folder)
    if folder.is_file():
        folder = folder.parent
    for name in CASE_FILES:
        if not (folder / name).exists():
            raise LoadError(f"case folder lacks {name}", file=str(folder))
    src_file = folder / "sources.yaml"
    for line, item in _items(src_file):
        props = dict(item)
        props.setdefault("name", props.get("title"))
        yield NodeRecord("Source", props, str(src_file), line)
    node_file = folder / "nodes.yaml"
    for line, item in _items(node_file):
        props = dict(item)
        label = props.pop("label", None)
        if not isinstance(label, str):
            raise LoadError("node without a label", file=str(node_file), line=line, field="label")
        about = props.pop("about", None) if label == "Statistic" else None
        if label == "Statistic":
            props.setdefault("name", props.get("claim") or props.get("id"))
        yield NodeRecord(label, props, str(node_file), line)
        if about:
            for target in about if isinstance(about, list) else [about]:
                yield RelRecord(
                    "ABOUT",
                    # as read: loaders.base's validation rejects a missing id
                    cast(str, props.get("id")),
                    str(target),
                    {"sources": props.get("sources")},
                    str(node_file),
                    line,
                )
    rel_file = folder / "relationships.yaml"
    for line, item in _items(rel_file):
        props = dict(item)
        rtype = props.pop("type", None)
        source, target = props.pop("from", None), props.pop("to", None)
        if not isinstance(rtype, str):
            raise LoadError(
                "relationship without a type", file=str(rel_file), line=line, field="type"
            )
        yield RelRecord(rtype, source, target, props, str(rel_file), line)


register_reader("case", lambda p: p.is_dir() and (p / "relationships.yaml").exists())(read_case)
