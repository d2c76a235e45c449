"""Per-month rows kept next to the uploads, so history, tiles and timelines read small tables.

A stored reporting month's snapshot (SPEC §3) depends only on uploads with as_of <= month, so
what it gives can be computed once, when it changes, instead of on every view:

- `project_month_rows`, `benefit_month_rows` and `project_month_flows` (schema 5): the rows
  `delivery_base(month)`, `benefit_rows(month)` and `project_flows(month)` give with no scope
  filter; the measures start from them (measures.py, stored_* macros).
- `benefit_month_totals` (schema 2): the financial flow benefits of `benefit_month_rows`; the
  forecast history is a sum over it.
- `flow_month_totals` (schema 4): per scope group and calendar month, the summed costs of the
  financials and values of the financial flow benefits (`month_flow_totals(month)`). The
  portfolio NPV and ROI of the overview, the value timeline and the portfolio spend KPIs sum tens
  of thousands of its rows instead of re-aggregating millions of stored ones.

A month's rows are read only once `month_rows_made` lists it. They are kept exact:
- a load or void of uploads for month a forgets the rows of the stored months >= a (normally
  only a itself), inside the load's or void's transaction;
- `fill_month_rows` makes the missing months again after that commit, one transaction per month, on a
  thread the Store starts (and at open, after a process stopped before making them);
- meanwhile the pages derive a month that is not kept live (the same figures, slower), and the
  forecast history, which reads every month, waits for them;
- when the snapshot or measure macros change (a new release) or a table is new (a migration),
  every month is forgotten once, when the store is opened, and made again in the background.

Nothing is cached in Python.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import duckdb

from .connection import redo_when_changed

# One stored month's cash flows and financial flow value per scope group and calendar month
# (sql/macros/common.sql, which the pages also call while a month is not kept yet).
_INSERT_FLOWS = """
INSERT INTO flow_month_totals BY NAME SELECT * FROM month_flow_totals(CAST($m AS DATE))
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
# The financial flow benefits of the month's benefit rows, just kept above, for the forecast
# history. The currency is kept as the project gave it: the default is a setting, applied when
# the history is read.
_INSERT_BENEFIT_TOTALS = """
INSERT INTO benefit_month_totals
SELECT as_of, benefit_id, project_id, portfolio, programme, strategic_objective, currency,
       planned_to_date, planned_total, forecast_total, realised_to_date, risk_adjusted_forecast
FROM benefit_month_rows
WHERE as_of = CAST($m AS DATE) AND category = 'financial' AND measure = 'flow'
"""

# The month's forecasts for the months 1, 3, 6 and 12 ahead (SPEC §9.4 forecast accuracy's horizons).
_INSERT_FORECASTS = """
INSERT INTO benefit_month_forecasts
SELECT CAST($m AS DATE) AS as_of, benefit_id, period, forecast_value, upload_id
FROM effective_benefit_values(CAST($m AS DATE))
WHERE forecast_value IS NOT NULL AND datediff('month', CAST($m AS DATE), period) IN (1, 3, 6, 12)
"""

# Each kept table and the query that fills one stored month of it, in this order. They are made
# after the load has committed (fill_month_rows), one transaction per month: a month is read from them
# only once month_rows_made lists it, and until then the pages derive it live (measures.py), so the
# ~0.6 s they take on a 5,000-project month is not spent while the user waits for the load.
_MONTH_ROWS = (("project_month_rows", _INSERT_PROJECT_ROWS), ("benefit_month_rows", _INSERT_BENEFIT_ROWS),
         ("project_month_flows", _INSERT_PROJECT_FLOWS), ("benefit_month_totals", _INSERT_BENEFIT_TOTALS),
         ("flow_month_totals", _INSERT_FLOWS), ("benefit_month_forecasts", _INSERT_FORECASTS))
_META_KEY = "benefit_month_totals_of"  # the stamp of every summary (named after the first one)


def refresh(con: duckdb.DuckDBPyConnection, since: dt.date | None = None) -> None:
    """Forget the month rows of every stored month >= `since` (all when None): fill_month_rows makes
    them again from the snapshot as it now is."""
    for table in ("month_rows_made", *(table for table, _ in _MONTH_ROWS)):
        # Table names are the constants above, never user text; the month is bound.
        con.execute(f"DELETE FROM {table} WHERE $since IS NULL OR as_of >= $since",  # noqa: S608
                    {"since": since})


def months_without_rows(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Return the stored months whose month rows are not made yet."""
    rows = con.execute(
        """SELECT DISTINCT as_of FROM uploads
           WHERE status = 'loaded' AND as_of IS NOT NULL AND as_of NOT IN (SELECT as_of FROM month_rows_made)
           ORDER BY as_of"""
    ).fetchall()
    return [r[0] for r in rows]


def fill_month_rows(con: duckdb.DuckDBPyConnection, before_month: Callable[[], None] = lambda: None) -> list[dt.date]:
    """Make the month rows of every stored month that has none, one transaction per month (the
    caller holds the store's write lock), calling `before_month` ahead of each; return those months."""
    months = months_without_rows(con)
    for month in months:
        before_month()
        con.execute("BEGIN TRANSACTION")
        try:
            for table, insert in _MONTH_ROWS:
                con.execute(f"DELETE FROM {table} WHERE as_of = ?", [month])  # noqa: S608 (constants)
                con.execute(insert, {"m": month})
            con.execute("INSERT INTO month_rows_made VALUES (?)", [month])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return months


def after_load(con: duckdb.DuckDBPyConnection, months: list[dt.date]) -> None:
    """Forget the month rows the uploads for `months` change (in the load's transaction)."""
    if months:
        refresh(con, min(months))


def after_void(con: duckdb.DuckDBPyConnection, month: dt.date | None) -> None:
    """Forget the month rows the void of an upload for `month` changes (in its transaction)."""
    if month is not None:
        refresh(con, month)


def ensure_current(con: duckdb.DuckDBPyConnection, macros: str) -> None:
    """Forget every kept month when its rows were made by other macro text, or never (a migrated
    store); the Store makes them again on a thread."""
    inserts = [insert for _, insert in _MONTH_ROWS]
    stamp = hashlib.sha256("\n".join([macros, *inserts]).encode("utf-8")).hexdigest()
    redo_when_changed(con, _META_KEY, stamp, lambda: refresh(con))
