"""The validity index behind the snapshot rule (SPEC §3, §7.1): table entity_validity (schema 3).

For each sheet kind and entity, the loaded uploads containing it, ordered by (as_of, upload_id),
each cover the months from their as_of up to (not including) the as_of of the next *full* one:
- registers (Projects, Benefits) supersede per entity whatever the mode, so there every version
  counts as full and a version ends where the next one starts;
- for the period-keyed sheets an incremental version does not end the ones before it: they stay
  effective together until a full version, and effective.sql picks, per (entity, period), the row
  of the latest of them. With full uploads only this is exactly the Part I rule.
A version followed by a full one with the same as_of covers no month. effective_uploads(kind, m)
in effective.sql is then a range filter. A load or a void changes only the ranges of the entities its upload
contains, so `refresh` recomputes just those (kind, entity) groups from entity_versions, in the
caller's transaction, before the month rows (which read the snapshot macros) are made again.
"""

from __future__ import annotations

import duckdb

# Every group touched by the uploads $ids, recomputed from scratch (the backfill in schema_v3.sql,
# where every upload was full, is this rule with full uploads only). A voided upload drops out of
# its groups by the status filter.
_DELETE = """
DELETE FROM entity_validity AS v
WHERE EXISTS (SELECT 1 FROM entity_versions AS t
              WHERE list_contains($ids, t.upload_id) AND t.kind = v.kind AND t.entity_key = v.entity_key)
"""

_INSERT = """
INSERT INTO entity_validity
WITH touched AS (
    SELECT DISTINCT kind, entity_key FROM entity_versions WHERE list_contains($ids, upload_id)
)
SELECT ev.kind, ev.entity_key, ev.upload_id, ev.as_of,
       -- the as_of of the next full version (ordered by as_of, so the first following full one)
       min(CASE WHEN ev.kind IN ('projects', 'benefits') OR coalesce(u.mode, 'full') = 'full' THEN ev.as_of END)
           OVER (PARTITION BY ev.kind, ev.entity_key ORDER BY ev.as_of, ev.upload_id
                 ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
FROM entity_versions AS ev
JOIN uploads AS u USING (upload_id)
JOIN touched USING (kind, entity_key)
WHERE u.status = 'loaded'
ORDER BY ev.kind, ev.entity_key, ev.as_of, ev.upload_id
"""


def refresh(con: duckdb.DuckDBPyConnection, upload_ids: list[int]) -> None:
    """Recompute the validity ranges of every (kind, entity) the uploads contain (after a load or
    void of them, in the same transaction)."""
    if upload_ids:
        params = {"ids": [int(i) for i in upload_ids]}
        con.execute(_DELETE, params)
        con.execute(_INSERT, params)
