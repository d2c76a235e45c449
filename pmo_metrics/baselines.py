"""Baseline control (SPEC §9.1): the baseline per (entity, period), re-baselines pending and decided.

The baseline of a plan figure (planned_cost, planned_value, KPI target, benefit target_value) for
an entity and period is the plan of the first loaded upload that gave one; an upload for the same
reporting month corrects it; a different plan from an upload for a later month is a re-baseline,
in effect only once approved (declared with the upload by a PMO manager, or approved afterwards).
Three tables keep it (schema_v9.sql), all written here, inside the caller's transaction:

- `rebaselines`: the re-baselines each load found, pending, approved or rejected (the audit);
- `plan_baselines`: the baseline as validity ranges per (kind, entity, period);
- `plan_overrides`: the stored rows whose own plan is not the baseline of their month, which the
  snapshot macros replace (sql/macros/baselines.sql).

A load, a void or a decision recomputes the ranges and overrides of the entities it concerns from
the loaded uploads, so a void undoes whatever its upload did to the baseline. See docs/baselines.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb

from . import month_rows
from .connection import first_row, redo_when_changed

KINDS = ("financials", "benefit_values", "kpis", "benefits")
KIND_LABELS = {"financials": "planned_cost", "benefit_values": "planned_value", "kpis": "target",
               "benefits": "target_value"}
STATUSES = ("pending", "approved", "rejected")

# The (kind, entity) groups recomputed are given as two parallel lists, $kinds and $keys (`touched`).

_DELETE = """
DELETE FROM {table} AS t
WHERE EXISTS (SELECT 1 FROM (SELECT unnest($kinds) AS kind, unnest($keys) AS entity_key) AS x
              WHERE x.kind = t.kind AND x.entity_key = t.entity_key)
"""

# The ranges of the touched groups. An (entity, period)'s baseline is set in the first month any
# loaded upload gave it a plan, by the latest upload of that month (later ones of the month correct
# it), and moved in a later month only by an upload whose re-baseline of the entity was approved
# (or one stored before baseline control existed, whose plans were taken as they came), and then by
# the latest upload of that month from the approved one on: an unapproved upload of the month before
# it stays pending, a later one corrects it. Replaying the uploads in (month, id) order by this rule
# gives the same baseline (tests/unit/test_bridge.py).
_RANGES = """
INSERT INTO plan_baselines
WITH touched AS (SELECT DISTINCT unnest($kinds) AS kind, unnest($keys) AS entity_key),
loaded AS (SELECT upload_id, as_of FROM uploads WHERE status = 'loaded'),
g AS (
    SELECT p.kind, p.entity_key, p.period, p.planned, p.upload_id, l.as_of
    FROM plan_rows() AS p
    JOIN loaded AS l USING (upload_id)
    JOIN touched AS t ON t.kind = p.kind AND t.entity_key = p.entity_key
    WHERE p.planned IS NOT NULL
),
approved AS (
    SELECT DISTINCT r.upload_id, r.kind, r.entity_key
    FROM rebaselines AS r JOIN loaded USING (upload_id)
    WHERE r.status = 'approved'
),
firsts AS (SELECT kind, entity_key, period, min(as_of) AS first_month FROM g GROUP BY kind, entity_key, period),
starts AS (
    -- per (entity, period, month): the first upload from which the month's plans count, if any
    SELECT g.kind, g.entity_key, g.period, g.as_of,
           CASE WHEN g.as_of = any_value(f.first_month) THEN min(g.upload_id)
                ELSE min(g.upload_id) FILTER (WHERE a.upload_id IS NOT NULL OR g.upload_id <= $accepted_upto)
           END AS from_upload
    FROM g
    JOIN firsts AS f USING (kind, entity_key, period)
    LEFT JOIN approved AS a ON a.upload_id = g.upload_id AND a.kind = g.kind AND a.entity_key = g.entity_key
    GROUP BY g.kind, g.entity_key, g.period, g.as_of
),
months AS (
    SELECT g.kind, g.entity_key, g.period, g.as_of,
           arg_max(g.planned, g.upload_id) AS planned, max(g.upload_id) AS upload_id
    FROM g
    JOIN starts AS s USING (kind, entity_key, period, as_of)
    WHERE g.upload_id >= s.from_upload
    GROUP BY g.kind, g.entity_key, g.period, g.as_of
)
SELECT kind, entity_key, period, planned, upload_id, as_of AS valid_from,
       lead(as_of) OVER (PARTITION BY kind, entity_key, period ORDER BY as_of) AS valid_to
FROM months
"""

# Every loaded row of the touched groups whose own plan is not the baseline of its upload's month. A row
# with no plan is read as Part I reads it (no plan: a blank is neither a change nor filled in).
# The snapshot of month m shows a row of upload U only while no later upload gives the entity (or,
# incremental, that period), and any upload that moves the baseline after U's month gives the
# period a plan, so the baseline at U's month is the baseline at m.
_OVERRIDES = """
INSERT INTO plan_overrides
WITH touched AS (SELECT DISTINCT unnest($kinds) AS kind, unnest($keys) AS entity_key),
rows AS (
    SELECT p.kind, p.upload_id, p.entity_key, p.period, p.planned, u.as_of
    FROM plan_rows() AS p
    JOIN uploads AS u ON u.upload_id = p.upload_id AND u.status = 'loaded'
    JOIN touched AS t ON t.kind = p.kind AND t.entity_key = p.entity_key
)
SELECT r.kind, r.upload_id, r.entity_key, r.period, b.planned
FROM rows AS r
JOIN plan_baselines AS b
  ON b.kind = r.kind AND b.entity_key = r.entity_key AND b.period = r.period
 AND b.valid_from <= r.as_of AND (b.valid_to IS NULL OR b.valid_to > r.as_of)
WHERE r.planned IS NOT NULL AND r.planned <> b.planned
"""

# The re-baselines one upload asks for: its plans that differ from a baseline an earlier month set
# (a baseline of its own month is one it corrects). Run before its groups are recomputed.
_DETECT = """
INSERT INTO rebaselines (upload_id, kind, entity_key, as_of, periods, first_period, last_period,
                         baseline_total, proposed_total, status, declared, requested_by,
                         decided_by, decided_at, reason)
SELECT $u, p.kind, p.entity_key, CAST($as_of AS DATE), count(*), min(p.period), max(p.period),
       sum(b.planned), sum(p.planned),
       CASE WHEN $declared THEN 'approved' ELSE 'pending' END, $declared, $user,
       CASE WHEN $declared THEN $user END, CASE WHEN $declared THEN current_timestamp END,
       CASE WHEN $declared THEN $reason END
FROM plan_rows() AS p
JOIN plan_baselines AS b
  ON b.kind = p.kind AND b.entity_key = p.entity_key AND b.period = p.period
 AND b.valid_from <= CAST($as_of AS DATE) AND (b.valid_to IS NULL OR b.valid_to > CAST($as_of AS DATE))
WHERE p.upload_id = $u AND p.planned IS NOT NULL AND b.valid_from < CAST($as_of AS DATE)
  AND p.planned <> b.planned
GROUP BY p.kind, p.entity_key
ORDER BY p.kind, p.entity_key
"""

# What one upload extended: periods it gave the first plan of (the upload summary says so).
_EXTENDED = """
SELECT count(*) FROM plan_baselines AS b
WHERE b.upload_id = $u AND b.valid_from = CAST($as_of AS DATE)
  AND NOT EXISTS (SELECT 1 FROM plan_baselines AS e
                  WHERE e.kind = b.kind AND e.entity_key = b.entity_key AND e.period = b.period
                    AND e.valid_from < b.valid_from)
"""

_META_KEY = "plan_baselines_of"

# Is upload $u later than every other loaded upload of the (kind, entity) groups it gives? Then the
# rule of _RANGES changes their baseline only from $u's month on, and the step below needs only $u's
# rows: the usual monthly return, which would otherwise recompute every group over the whole history.
_LATEST_OF_ITS_GROUPS = """
SELECT NOT EXISTS (
    SELECT 1
    FROM entity_versions AS e
    JOIN entity_versions AS o
      ON o.kind = e.kind AND o.entity_key = e.entity_key AND o.upload_id <> e.upload_id AND o.as_of >= e.as_of
    JOIN uploads AS l ON l.upload_id = o.upload_id AND l.status = 'loaded'
    WHERE e.upload_id = $u AND list_contains($kinds, e.kind)
)
"""

# The same rule for such an upload, month m, applied to the ranges as they stand: a group whose
# re-baseline by $u was approved moves every period $u plans (its open ranges end at m, new ones
# start); a period planned for the first time starts a range; any other plan of $u that is not the
# baseline is an override. Older rows keep theirs: nothing changes before m.
_LATEST_STEPS = (
    """
    UPDATE plan_baselines AS b SET valid_to = CAST($as_of AS DATE)
    FROM (SELECT p.kind, p.entity_key, p.period
          FROM plan_rows() AS p
          JOIN rebaselines AS r
            ON r.upload_id = p.upload_id AND r.kind = p.kind AND r.entity_key = p.entity_key
           AND r.status = 'approved'
          WHERE p.upload_id = $u AND p.planned IS NOT NULL) AS n
    WHERE b.kind = n.kind AND b.entity_key = n.entity_key AND b.period = n.period AND b.valid_to IS NULL
    """,
    """
    INSERT INTO plan_baselines
    SELECT p.kind, p.entity_key, p.period, p.planned, p.upload_id, CAST($as_of AS DATE), NULL
    FROM plan_rows() AS p
    WHERE p.upload_id = $u AND p.planned IS NOT NULL
      AND (EXISTS (SELECT 1 FROM rebaselines AS r
                   WHERE r.upload_id = p.upload_id AND r.kind = p.kind AND r.entity_key = p.entity_key
                     AND r.status = 'approved')
           OR NOT EXISTS (SELECT 1 FROM plan_baselines AS b
                          WHERE b.kind = p.kind AND b.entity_key = p.entity_key AND b.period = p.period))
    """,
    """
    INSERT INTO plan_overrides
    SELECT p.kind, p.upload_id, p.entity_key, p.period, b.planned
    FROM plan_rows() AS p
    JOIN plan_baselines AS b
      ON b.kind = p.kind AND b.entity_key = p.entity_key AND b.period = p.period
     AND b.valid_from <= CAST($as_of AS DATE) AND (b.valid_to IS NULL OR b.valid_to > CAST($as_of AS DATE))
    WHERE p.upload_id = $u AND p.planned IS NOT NULL AND p.planned <> b.planned
    """,
)


def _accepted_upto(con: duckdb.DuckDBPyConnection) -> int:
    row = first_row(con, "SELECT value FROM meta WHERE key = 'baselines_accepted_upto'")
    return int(row[0]) if row else 0


def _recompute(con: duckdb.DuckDBPyConnection, groups: list[tuple[str, str]]) -> None:
    """Recompute the baseline ranges and overrides of (kind, entity) `groups` (caller's transaction)."""
    if not groups:
        return
    params = {"kinds": [k for k, _ in groups], "keys": [e for _, e in groups]}
    for table in ("plan_overrides", "plan_baselines"):
        con.execute(_DELETE.format(table=table), params)  # noqa: S608 (constant table names)
    con.execute(_RANGES, {**params, "accepted_upto": _accepted_upto(con)})
    con.execute(_OVERRIDES, params)


def _groups_of(con: duckdb.DuckDBPyConnection, upload_ids: list[int]) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT DISTINCT kind, entity_key FROM entity_versions WHERE list_contains($ids, upload_id) "
        "AND list_contains($kinds, kind)", {"ids": [int(i) for i in upload_ids], "kinds": list(KINDS)},
    ).fetchall()
    return [(k, e) for k, e in rows]


def after_load(con: duckdb.DuckDBPyConnection, uploads: list[tuple[int, dt.date, str | None]],
               user: str | None) -> dict[int, dict]:
    """Find the re-baselines of newly stored uploads (id, month, declared reason or None), in month
    order, and recompute the baselines they touch; return per upload what it did to the baseline:
    {'extended': periods first planned, 'pending': [...], 'approved': [...]}."""
    notes: dict[int, dict] = {}
    for upload_id, as_of, reason in sorted(uploads, key=lambda u: (u[1], u[0])):
        declared = reason is not None
        con.execute(_DETECT, {"u": upload_id, "as_of": as_of, "declared": declared, "user": user,
                              "reason": reason})
        if con.execute(_LATEST_OF_ITS_GROUPS, {"u": upload_id, "kinds": list(KINDS)}).fetchall()[0][0]:
            for step in _LATEST_STEPS:
                con.execute(step, {"u": upload_id, "as_of": as_of})
        else:  # a correction, a second file of the month or a late return: the whole history of its groups
            _recompute(con, _groups_of(con, [upload_id]))
        found = con.execute(
            "SELECT rebaseline_id, kind, entity_key, periods, baseline_total, proposed_total, status "
            "FROM rebaselines WHERE upload_id = ? ORDER BY rebaseline_id", [upload_id]).fetchall()
        extended = con.execute(_EXTENDED, {"u": upload_id, "as_of": as_of}).fetchall()[0][0]
        notes[upload_id] = {
            "extended": int(extended),
            "pending": [r for r in found if r[6] == "pending"],
            "approved": [r for r in found if r[6] == "approved"],
        }
    return notes


def after_void(con: duckdb.DuckDBPyConnection, upload_id: int) -> None:
    """Recompute the baselines of a voided upload's entities: what it set or re-set falls back."""
    _recompute(con, _groups_of(con, [upload_id]))


def decide(con: duckdb.DuckDBPyConnection, rebaseline_id: int, approve: bool, reason: str,
           user: str | None) -> tuple[int, dt.date]:
    """Approve or reject one pending re-baseline (caller's transaction); return its upload and month.
    Raise ValueError when there is no such pending re-baseline or no reason."""
    if not reason or not reason.strip():
        raise ValueError("a reason is required to approve or reject a re-baseline")
    row = first_row(con, """SELECT r.status, r.kind, r.entity_key, r.upload_id, r.as_of, u.status
                            FROM rebaselines AS r JOIN uploads AS u USING (upload_id)
                            WHERE r.rebaseline_id = ?""", [rebaseline_id])
    if row is None:
        raise ValueError(f"there is no re-baseline {rebaseline_id}")
    if row[5] != "loaded":
        raise ValueError(f"re-baseline {rebaseline_id} belongs to upload {row[3]}, which is {row[5]}")
    if row[0] != "pending":
        raise ValueError(f"re-baseline {rebaseline_id} is already {row[0]}")
    con.execute("""UPDATE rebaselines SET status = ?, decided_by = ?, decided_at = current_timestamp, reason = ?
                   WHERE rebaseline_id = ?""",
                ["approved" if approve else "rejected", user, reason.strip(), rebaseline_id])
    if approve:  # a rejection leaves the baseline as it was
        _recompute(con, [(row[1], row[2])])
    return row[3], row[4]


def recompute_all(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every baseline range and override from the loaded uploads (caller's transaction)."""
    con.execute("DELETE FROM plan_overrides")
    con.execute("DELETE FROM plan_baselines")
    groups = con.execute("SELECT DISTINCT kind, entity_key FROM entity_versions WHERE list_contains($k, kind)",
                         {"k": list(KINDS)}).fetchall()
    _recompute(con, [(k, e) for k, e in groups])


def ensure_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Recompute every baseline when the rule that made them changed (or never ran); return True
    when it did (the caller then forgets the month rows, made from the old ones)."""
    def redo() -> None:
        recompute_all(con)
        month_rows.refresh(con)  # the month rows were made from the baselines as they were

    stamp = hashlib.sha256((_RANGES + _OVERRIDES).encode("utf-8")).hexdigest()
    return redo_when_changed(con, _META_KEY, stamp, redo)


LIST_SQL = """
SELECT r.rebaseline_id, r.upload_id, u.file_name, strftime(r.as_of, '%Y-%m') AS as_of, r.kind,
       r.entity_key, r.periods, strftime(r.first_period, '%Y-%m') AS first_period,
       strftime(r.last_period, '%Y-%m') AS last_period, r.baseline_total, r.proposed_total,
       r.proposed_total - r.baseline_total AS change, r.status, r.declared, r.requested_by, r.requested_at,
       r.decided_by, r.decided_at, r.reason
FROM rebaselines AS r JOIN uploads AS u USING (upload_id)
WHERE u.status = 'loaded' AND ($all OR r.status = 'pending')
ORDER BY r.rebaseline_id
"""
