"""Per-month summaries kept next to the uploads, so history, tiles and timelines read small tables.

A stored reporting month's snapshot (SPEC §3) depends only on uploads with as_of <= month, so
what it gives can be computed once, when it changes, instead of on every view:

- `benefit_month_totals` (schema 2): per stored month and financial flow benefit, the row
  `benefit_rows(month)` gives with no scope filter (the same macro the benefits table uses, so
  each number is the same); forecast history is a sum over it.
- `flow_month_totals` (schema 4): per stored month, scope group and calendar month, the summed
  costs of the financials and values of the financial flow benefits (sql/schema_v4.sql). The
  portfolio NPV and ROI of the overview, the value timeline and the portfolio spend KPIs sum tens
  of thousands of its rows instead of re-aggregating millions of stored ones.
- `project_month_rows`, `benefit_month_rows` and `project_month_flows` (schema 5): per stored
  month, the rows `delivery_base(month)`, `benefit_rows(month)` and `project_flows(month)` give
  with no scope filter; the measures of a month listed in `kept_months` read them instead of
  deriving them (measures.py, stored_* macros). Loads and voids forget them for the months they
  change, and `fill_kept` makes them again after the commit (Store starts it in the background).

They are kept exact:
- a load of uploads for month a recomputes the stored months >= a (normally only a itself);
- a void of an upload for month a recomputes the stored months >= a (a month left with no
  loaded upload loses its rows);
- when the snapshot or measure macros change (a new release) or a table is new (a migration),
  every month is recomputed once, when the store is opened.

Every call but fill_kept runs inside the caller's transaction, so the summaries commit or roll
back with the data they summarise. Nothing is cached in Python.
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

# One stored month's cash flows and financial flow value per scope group and calendar month; the
# month is the only (bound) parameter. This runs inside every load, so it is written for speed:
# rows are summed by small integers standing for the groups and joined to the groups' names
# afterwards (grouping ~1M rows by one integer costs a fraction of grouping them by four or five
# strings). The data rows come through the effective_* macros, whose plan joins the resolved
# versions to the data first (joining the data to the groups directly scans every stored
# version). The currency is kept as the project gave it (upper case); the default is applied
# when the table is read.
_INSERT_FLOWS = """
INSERT INTO flow_month_totals (as_of, source, portfolio, programme, strategic_objective, currency,
                               benefit_objective, period, planned_cost, actual_cost, forecast_cost,
                               actual_cost_months, planned_value, realised_value, forecast_value)
WITH p AS MATERIALIZED (
    SELECT project_id, portfolio, programme, strategic_objective, upper(currency) AS currency,
           dense_rank() OVER (ORDER BY portfolio, programme, strategic_objective, upper(currency)) AS g
    FROM effective_projects(CAST($m AS DATE))
),
groups AS (
    SELECT DISTINCT g, portfolio, programme, strategic_objective, currency FROM p
),
b AS MATERIALIZED (
    -- the financial flow benefits (the defaults of scoped_benefits), by group and own objective
    SELECT b.benefit_id, p.g, coalesce(b.strategic_objective, p.strategic_objective) AS benefit_objective,
           dense_rank() OVER (ORDER BY p.g, coalesce(b.strategic_objective, p.strategic_objective)) AS k
    FROM effective_benefits(CAST($m AS DATE)) AS b
    JOIN p USING (project_id)
    WHERE b.category = 'financial' AND coalesce(b.measure, 'flow') = 'flow'
),
costs AS (
    SELECT p.g, f.period,
           sum(f.planned_cost) AS planned_cost, sum(f.actual_cost) AS actual_cost,
           sum(f.forecast_cost) AS forecast_cost, count(f.actual_cost) AS actual_cost_months
    FROM effective_financials(CAST($m AS DATE)) AS f
    JOIN p USING (project_id)
    GROUP BY p.g, f.period
),
gains AS (
    SELECT b.k, v.period,
           sum(v.planned_value) AS planned_value, sum(v.realised_value) AS realised_value,
           sum(v.forecast_value) AS forecast_value
    FROM effective_benefit_values(CAST($m AS DATE)) AS v
    JOIN b USING (benefit_id)
    GROUP BY b.k, v.period
)
SELECT CAST($m AS DATE), 'financials', groups.portfolio, groups.programme, groups.strategic_objective,
       groups.currency, NULL, costs.period, costs.planned_cost, costs.actual_cost, costs.forecast_cost,
       costs.actual_cost_months, NULL, NULL, NULL
FROM costs JOIN groups USING (g)
UNION ALL
SELECT CAST($m AS DATE), 'benefit_values', groups.portfolio, groups.programme, groups.strategic_objective,
       groups.currency, keys.benefit_objective, gains.period, NULL, NULL, NULL, NULL,
       gains.planned_value, gains.realised_value, gains.forecast_value
FROM gains
JOIN (SELECT DISTINCT k, g, benefit_objective FROM b) AS keys USING (k)
JOIN groups USING (g)
"""

# One stored month's per-project and per-benefit rows, as the measures start from them, with no
# scope filter and the projects' own currencies (schema 5; the measures apply scope and currency).
_INSERT_PROJECT_ROWS = """
INSERT INTO project_month_rows BY NAME
SELECT CAST($m AS DATE) AS as_of, * FROM delivery_base(CAST($m AS DATE), NULL, NULL, NULL, NULL)
"""
_INSERT_BENEFIT_ROWS = """
INSERT INTO benefit_month_rows BY NAME
SELECT CAST($m AS DATE) AS as_of, * FROM benefit_rows(CAST($m AS DATE), NULL, NULL, NULL, NULL)
"""
_INSERT_PROJECT_FLOWS = """
INSERT INTO project_month_flows BY NAME
SELECT CAST($m AS DATE) AS as_of, * FROM project_flows(CAST($m AS DATE), NULL, NULL, NULL, NULL)
"""

# Each summary table and the query that fills one stored month of it, recomputed inside the load.
_SUMMARIES = (("benefit_month_totals", _INSERT_MONTH), ("flow_month_totals", _INSERT_FLOWS))
# The rows kept for the pages, filled after the load has committed (fill_kept): a month is read
# from them only once kept_months lists it, and until then the measures derive it live, so the
# ~0.3 s they take on a 5,000-project month is not spent while the user waits for the load.
_KEPT = (("project_month_rows", _INSERT_PROJECT_ROWS), ("benefit_month_rows", _INSERT_BENEFIT_ROWS),
         ("project_month_flows", _INSERT_PROJECT_FLOWS))
_META_KEY = "benefit_month_totals_of"  # the stamp of every summary (named after the first one)


def _stored_months(con: duckdb.DuckDBPyConnection, since: dt.date | None) -> list[dt.date]:
    rows = con.execute(
        """SELECT DISTINCT as_of FROM uploads
           WHERE status = 'loaded' AND as_of IS NOT NULL AND ($since IS NULL OR as_of >= $since)
           ORDER BY as_of""",
        {"since": since},
    ).fetchall()
    return [r[0] for r in rows]


def refresh(con: duckdb.DuckDBPyConnection, since: dt.date | None = None) -> None:
    """Recompute the rows of every summary for every stored month >= `since` (all when None), and
    forget the kept rows of those months (fill_kept makes them again)."""
    months = _stored_months(con, since)
    for table, insert in _SUMMARIES:
        # Table names are the constants above, never user text; the month is bound.
        con.execute(f"DELETE FROM {table} WHERE $since IS NULL OR as_of >= $since",  # noqa: S608
                    {"since": since})
        for month in months:
            con.execute(insert, {"m": month})
    for table in ("kept_months", *(table for table, _ in _KEPT)):
        con.execute(f"DELETE FROM {table} WHERE $since IS NULL OR as_of >= $since",  # noqa: S608
                    {"since": since})


def months_to_keep(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Return the stored months whose kept rows are not made yet."""
    rows = con.execute(
        """SELECT DISTINCT as_of FROM uploads
           WHERE status = 'loaded' AND as_of IS NOT NULL AND as_of NOT IN (SELECT as_of FROM kept_months)
           ORDER BY as_of"""
    ).fetchall()
    return [r[0] for r in rows]


def fill_kept(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Make the kept rows of every stored month that has none, one transaction per month (the
    caller holds the store's write lock); return those months."""
    months = months_to_keep(con)
    for month in months:
        con.execute("BEGIN TRANSACTION")
        try:
            for table, insert in _KEPT:
                con.execute(f"DELETE FROM {table} WHERE as_of = ?", [month])  # noqa: S608 (constants)
                con.execute(insert, {"m": month})
            con.execute("INSERT INTO kept_months VALUES (?)", [month])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return months


def after_load(con: duckdb.DuckDBPyConnection, months: list[dt.date]) -> None:
    """Bring the summaries up to date after uploads for `months` were stored (same transaction)."""
    if months:
        refresh(con, min(months))


def after_void(con: duckdb.DuckDBPyConnection, month: dt.date | None) -> None:
    """Bring the summaries up to date after an upload for `month` was voided (same transaction)."""
    if month is not None:
        refresh(con, month)


def ensure_current(con: duckdb.DuckDBPyConnection, macros: str) -> None:
    """Recompute every summary when they were made by other macro text, or never (a migrated store)."""
    inserts = [insert for _, insert in (*_SUMMARIES, *_KEPT)]
    stamp = hashlib.sha256("\n".join([macros, *inserts]).encode("utf-8")).hexdigest()
    row = con.execute("SELECT value FROM meta WHERE key = ?", [_META_KEY]).fetchall()
    if row and row[0][0] == stamp:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        refresh(con)
        con.execute("DELETE FROM meta WHERE key = ?", [_META_KEY])
        con.execute("INSERT INTO meta VALUES (?, ?)", [_META_KEY, stamp])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
