"""A prototype of the store changes proposed for large loads — measured, not shipped.

``bench_load.py --prototype`` runs the same loads through :class:`FastStore`, a subclass of
:class:`~civicgraph.graph.store.Store`.  Each change is a proposal for ``graph/store.py``:

1. **The engine compares, Python does not read properties back.**  The shipped pre-read
   returns ``labels(n)`` and ``properties(n)`` of every existing node (and relationship),
   and the falkordb client parses those maps value by value in Python: 9.5 s for 20,000
   existing Person nodes (4.7 s with ``hiredis``).  Here the statement computes, per row,
   whether anything would change (``[k IN keys(row.props) WHERE n[k] IS NULL OR n[k] <>
   row.props[k]]``, new sources not in ``n.sources``) and returns only the ids of unchanged
   rows and, for rows that change, their old ``sources``: 1.3 s for the same 20,000.  The
   counts (created / updated / unchanged) and the written values are the same.
   (``toJSON`` would have been simpler, but FalkorDB 4.16's ``toJSON`` does not escape
   quotes, backslashes or control characters in strings: ``a"b`` gives invalid JSON.)
2. **The relationship pre-read asks only for existing relationships.**  Its three
   ``OPTIONAL MATCH`` per row also re-check that both ends exist, which ``run_load`` has
   already checked for the whole load (phase 2): 66.6 s → 10.2 s for the 486,721 councillor
   mandates.  (``upsert_relationships`` called directly would keep the endpoint check.)
3. **No second validation.**  ``run_load`` has run ``clean_props`` and the model checks on
   every record; ``prepare_*`` ran them again.
4. Optionally (``--no-actor-index``) **no index on ``Actor(id)``**: nothing looks nodes up by
   ``Actor`` and ``id``; each index costs on every created node (Person MERGE 61 s → 50 s,
   engine peak 871 → 735 MB, for 486,721 persons).
"""

from __future__ import annotations

from typing import Any

from civicgraph.graph.errors import LoadError
from civicgraph.graph.model import relationship_id
from civicgraph.graph.store import PreparedWrite, Store, WriteCounts, _merge_sources

__all__ = ["FastStore"]

# Per row: nothing (absent), 'same' (unchanged), or the old sources of a row that changes.
_DIFF = (
    "WITH x, row, [k IN keys(row.props) WHERE k <> 'sources' AND "
    "(x[k] IS NULL OR x[k] <> row.props[k])] AS changed, "
    "[s IN coalesce(row.props.sources, []) WHERE NOT s IN coalesce(x.sources, [])] AS fresh "
)


class FastStore(Store):
    """:class:`Store` whose pre-reads return only what changes (see the module docstring).

    >>> fast = FastStore(open_store("x.db").backend)   # doctest: +SKIP
    """

    actor_index: bool = True

    def setup_schema(self) -> None:
        if not self._schema_ready:
            labels = [x for x in self.model.all_labels if self.actor_index or x != "Actor"]
            self.backend.setup_schema(labels)
            self._schema_ready = True

    @staticmethod
    def _merge(batch: list[dict[str, Any]], key: str = "id") -> dict[str, dict[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        for props in batch:
            prev = merged.get(props[key])
            if prev is None:
                merged[props[key]] = dict(props)
                continue
            srcs = _merge_sources(prev.get("sources"), props.get("sources"))
            prev.update(props)
            if srcs:
                prev["sources"] = srcs
        return merged

    def prepare_nodes(self, label: str, batch: list[dict[str, Any]]) -> PreparedWrite:
        self.setup_schema()
        labels = self.model.labels_for(label)
        merged = self._merge(batch)  # already cleaned and validated by run_load
        rows = [{"id": i, "props": p} for i, p in merged.items()]
        state = {
            r["id"]: r
            for r in self.backend.run(
                "UNWIND $rows AS row MATCH (x:Entity {id: row.id}) "
                + _DIFF
                + "RETURN row.id AS id, $label IN labels(x) AS ok, "
                "CASE WHEN size(changed) = 0 AND size(fresh) = 0 THEN null "
                "ELSE coalesce(x.sources, []) END AS old_sources",
                {"rows": rows, "label": label},
            )
        }
        counts = WriteCounts()
        to_write = []
        for row in rows:
            st = state.get(row["id"])
            if st is None:
                counts.created += 1
                to_write.append(row)
            elif not st["ok"]:
                raise LoadError(f"id {row['id']!r} already belongs to another label", field="id")
            elif st["old_sources"] is None:
                counts.unchanged += 1
            else:
                counts.updated += 1
                props = dict(row["props"])
                props["sources"] = _merge_sources(st["old_sources"], props.get("sources"))
                to_write.append({"id": row["id"], "props": props})
        return PreparedWrite(
            f"UNWIND $rows AS row MERGE (n:{':'.join(labels)} {{id: row.id}}) SET n += row.props",
            {"rows": to_write},
            counts,
        )

    def prepare_relationships(self, rel_type: str, batch: list[dict[str, Any]]) -> PreparedWrite:
        self.model.check_type(rel_type)
        self.setup_schema()
        merged: dict[str, dict[str, Any]] = {}
        for row in batch:
            props = dict(row)
            source, target = props.pop("source"), props.pop("target")
            rid = relationship_id(rel_type, source, target, props.get("start"))
            props["id"] = rid
            prev = merged.get(rid)
            if prev is None:
                merged[rid] = {"id": rid, "source": source, "target": target, "props": props}
                continue
            srcs = _merge_sources(prev["props"].get("sources"), props.get("sources"))
            prev["props"].update(props)
            if srcs:
                prev["props"]["sources"] = srcs
        rows = list(merged.values())
        state = {
            r["id"]: r
            for r in self.backend.run(
                "UNWIND $rows AS row "
                f"MATCH (:Entity {{id: row.source}})-[x:{rel_type}]->(:Entity {{id: row.target}}) "
                "WHERE x.id = row.id "
                + _DIFF
                + "RETURN row.id AS id, CASE WHEN size(changed) = 0 AND size(fresh) = 0 "
                "THEN null ELSE coalesce(x.sources, []) END AS old_sources",
                {"rows": rows},
            )
        }
        counts = WriteCounts()
        to_write = []
        for m in rows:
            st = state.get(m["id"])
            if st is None:
                counts.created += 1
                to_write.append(m)
            elif st["old_sources"] is None:
                counts.unchanged += 1
            else:
                counts.updated += 1
                props = dict(m["props"])
                props["sources"] = _merge_sources(st["old_sources"], props.get("sources"))
                to_write.append({**m, "props": props})
        return PreparedWrite(
            "UNWIND $rows AS row "
            "MATCH (a:Entity {id: row.source}) MATCH (b:Entity {id: row.target}) "
            f"MERGE (a)-[r:{rel_type} {{id: row.id}}]->(b) SET r += row.props",
            {"rows": to_write},
            counts,
        )
