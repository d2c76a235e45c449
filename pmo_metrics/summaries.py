"""Per-month summaries kept next to the uploads, so forecast history is a read of a small table.

Forecast history (SPEC §3/§4) shows, for every stored reporting month, the level 3 totals of the
financial flow benefits as that month's snapshot gave them. Computing it from the data means
re-resolving and re-aggregating every month's snapshot on every view (seconds on an enterprise
store). Instead `benefit_month_totals` holds, per stored month and financial flow benefit, the
row `benefit_rows(month)` gives with no scope filter (the same macro the benefits table uses, so
each number is the same). A month's snapshot depends only on uploads with as_of <= month, so:

- a load of uploads for month a recomputes the stored months >= a (normally only a itself);
- a void of an upload for month a recomputes the stored months >= a (a month left with no
  loaded upload loses its rows);
- when the snapshot or measure macros change (a new release) or the table is new (migration to
  schema 2), every month is recomputed once, when the store is opened.

Every call runs inside the caller's transaction, so the summaries commit or roll back with the
data they summarise. Nothing is cached in Python.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb

# One stored month's rows; the month is the only (bound) parameter. The currency is kept as the
# project gave it: the default currency is a setting, applied when the history is read.
_INSERT_MONTH = """
INSERT INTO benefit_month_totals
SELECT CAST($m AS DATE), benefit_id, project_id, portfolio, programme, strategic_objective, currency,
       planned_to_date, planned_total, forecast_total, realised_to_date, risk_adjusted_forecast
FROM benefit_rows(CAST($m AS DATE), NULL, NULL, NULL, NULL)
WHERE category = 'financial' AND measure = 'flow'
"""
_META_KEY = "benefit_month_totals_of"


def _stored_months(con: duckdb.DuckDBPyConnection, since: dt.date | None) -> list[dt.date]:
    rows = con.execute(
        """SELECT DISTINCT as_of FROM uploads
           WHERE status = 'loaded' AND as_of IS NOT NULL AND ($since IS NULL OR as_of >= $since)
           ORDER BY as_of""",
        {"since": since},
    ).fetchall()
    return [r[0] for r in rows]


def refresh_benefit_month_totals(con: duckdb.DuckDBPyConnection, since: dt.date | None = None) -> None:
    """Recompute the rows of every stored month >= `since` (every month when None)."""
    con.execute("DELETE FROM benefit_month_totals WHERE $since IS NULL OR as_of >= $since", {"since": since})
    for month in _stored_months(con, since):
        con.execute(_INSERT_MONTH, {"m": month})


def after_load(con: duckdb.DuckDBPyConnection, months: list[dt.date]) -> None:
    """Bring the summaries up to date after uploads for `months` were stored (same transaction)."""
    if months:
        refresh_benefit_month_totals(con, min(months))


def after_void(con: duckdb.DuckDBPyConnection, month: dt.date | None) -> None:
    """Bring the summaries up to date after an upload for `month` was voided (same transaction)."""
    if month is not None:
        refresh_benefit_month_totals(con, month)


def ensure_current(con: duckdb.DuckDBPyConnection, macros: str) -> None:
    """Recompute every summary when they were made by other macro text, or never (a migrated store)."""
    stamp = hashlib.sha256((macros + _INSERT_MONTH).encode("utf-8")).hexdigest()
    row = con.execute("SELECT value FROM meta WHERE key = ?", [_META_KEY]).fetchall()
    if row and row[0][0] == stamp:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        refresh_benefit_month_totals(con)
        con.execute("DELETE FROM meta WHERE key = ?", [_META_KEY])
        con.execute("INSERT INTO meta VALUES (?, ?)", [_META_KEY, stamp])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
