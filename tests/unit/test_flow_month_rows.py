"""flow_month_totals (schema 4, pmo_metrics/month_rows.py): the overview's portfolio NPV and ROI,
the value timeline and the portfolio spend KPIs read from the per-month summary equal
the same figures computed directly from the stored rows (the queries used before the summary),
for every scope and for stored months, months between them, before the first and after the last,
through out-of-order loads, a benefit and a project moving, a corrective re-upload, voids, a
currency change, a migration from schema 3 and a macro change."""

import datetime as dt

import duckdb
import pytest

from pmo_metrics import measures, month_rows
from pmo_metrics.measures import Scope, headline, measure_table, value_timeline
from pmo_metrics.store import SCHEMA_VERSION, Store
from tests.compare import same
from tests.factories_store import benefit, costs, financial, flow, months, project, upload, value

# The overview's NPV and ROI before the summary: project_cashflows of the month's snapshot
# (sql/queries/headline.sql of schema 3), for the projects in the reporting currency.
DIRECT_RETURN = """
WITH monthly AS (
    SELECT month, sum(cash_flow) AS cash_flow, sum(benefit) AS benefit, sum(cost) AS cost
    FROM project_cashflows($as_of, $portfolio, $programme, $objective, $currency)
    WHERE project_id IN (SELECT project_id FROM scoped_projects($as_of, $portfolio, $programme, $objective, $currency)
                         WHERE currency = upper($currency))
    GROUP BY month
),
per_project AS (
    -- SPEC §11: the portfolio NPV is the sum of project NPVs, each from its own first month
    SELECT sum(c.cash_flow * power(1 + $rate, -datediff('month', f.first, c.month) / 12.0)) AS npv
    FROM project_cashflows($as_of, $portfolio, $programme, $objective, $currency) AS c
    JOIN (SELECT project_id, min(month) AS first
          FROM project_cashflows($as_of, $portfolio, $programme, $objective, $currency) GROUP BY project_id) AS f
      USING (project_id)
    WHERE c.project_id IN (SELECT project_id FROM scoped_projects($as_of, $portfolio, $programme, $objective, $currency)
                           WHERE currency = upper($currency))
),
r AS (
    SELECT sum(benefit) FILTER (WHERE month <= $as_of) AS realised,
           sum(cost) FILTER (WHERE month <= $as_of) AS spent
    FROM monthly
)
SELECT per_project.npv, ratio(r.realised - r.spent, r.spent) AS roi
FROM r, per_project
"""


def summary_return(store, as_of, scope, settings=None):
    """The overview's NPV and ROI as the pages get them (sql/queries/headline.sql)."""
    tiles = headline(store, as_of, scope, settings, counts=False)
    return [{"npv": tiles["npv"], "roi": tiles["roi"]}]


# The value timeline's monthly sums before the summary (sql/queries/value_timeline.sql of schema 3).
DIRECT_TIMELINE = """
WITH b AS (
    SELECT benefit_id
    FROM scoped_benefits($as_of, $portfolio, $programme, $objective, $currency)
    WHERE category = 'financial' AND measure = 'flow' AND currency = upper($currency)
),
v AS (
    SELECT v.period,
           sum(v.planned_value) AS planned,
           sum(v.realised_value) FILTER (WHERE v.period <= $as_of) AS realised,
           sum(v.forecast_value) FILTER (WHERE v.period > $as_of) AS forecast
    FROM effective_benefit_values($as_of) AS v
    SEMI JOIN b USING (benefit_id)
    GROUP BY v.period
),
months AS (
    SELECT CAST(g.period AS DATE) AS period
    FROM (SELECT min(period) AS first, max(period) AS last FROM v) AS s,
         LATERAL unnest(generate_series(s.first, s.last, INTERVAL 1 MONTH)) AS g(period)
    WHERE s.first IS NOT NULL
),
monthly AS (
    SELECT months.period,
           coalesce(v.planned, 0) AS planned,
           CASE WHEN months.period <= $as_of THEN coalesce(v.realised, 0) END AS realised,
           CASE WHEN months.period > $as_of THEN coalesce(v.forecast, 0) END AS forecast
    FROM months
    LEFT JOIN v USING (period)
)
SELECT period,
       sum(planned) OVER w AS planned_cum,
       CASE WHEN period <= $as_of THEN sum(realised) OVER w END AS realised_cum,
       sum(coalesce(realised, forecast)) OVER w AS forecast_cum,
       planned, realised, forecast
FROM monthly
WINDOW w AS (ORDER BY period)
ORDER BY period
"""

# The portfolio spend KPIs before the summary: the financials of the projects in scope.
DIRECT_SPEND = """
WITH f AS (
    SELECT p.portfolio, p.currency, f.period, f.planned_cost, f.actual_cost, f.forecast_cost
    FROM effective_financials($as_of) AS f
    JOIN scoped_projects($as_of, $portfolio, $programme, $objective, $currency) AS p USING (project_id)
)
SELECT 'spend:' || f.portfolio || CASE WHEN f.currency <> upper($currency) THEN ':' || f.currency ELSE '' END
           AS kpi_id,
       w.grain,
       coalesce(sum(f.actual_cost) FILTER (WHERE f.period BETWEEN w.period_start AND $as_of), 0) AS actual,
       coalesce(sum(f.planned_cost) FILTER (WHERE f.period BETWEEN w.period_start AND $as_of), 0) AS budget,
       count(f.actual_cost) FILTER (WHERE f.period BETWEEN w.period_start AND $as_of) AS months_with_actual,
       coalesce(sum(f.planned_cost) FILTER (WHERE f.period BETWEEN w.period_start AND w.fiscal_end), 0)
           AS outturn_budget,
       coalesce(sum(f.actual_cost) FILTER (WHERE f.period BETWEEN w.period_start AND $as_of), 0)
         + coalesce(sum(f.forecast_cost) FILTER (WHERE f.period > $as_of AND f.period <= w.fiscal_end), 0)
           AS outturn_forecast
FROM f CROSS JOIN fiscal_windows($as_of, $fy_start) AS w
GROUP BY ALL
ORDER BY kpi_id, grain
"""

SPEND_COLUMNS = ("kpi_id", "grain", "actual", "budget", "months_with_actual", "outturn_budget", "outturn_forecast")

SCOPES = [Scope(), Scope(portfolio="Core"), Scope(portfolio="Other"), Scope(programme="Alpha"),
          Scope(objective="Grow"), Scope(objective="Save"), Scope(objective="Save", portfolio="Core"),
          Scope(portfolio="Nope")]

# Stored months are 2026-01 to 2026-04; also one before, one after and a far later month.
MONTHS = [dt.date(2025, 12, 1), *months("2026-01", 4), dt.date(2026, 5, 1), dt.date(2027, 6, 1)]


def run(store, sql, as_of, scope, settings=None):
    params = measures._params(as_of, scope, settings or store.settings())
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    with store.connect() as con:
        return con.sql(sql, params=used).to_arrow_table().to_pylist()


def assert_flows_exact(store, settings=None, live_too=False):
    """Read from the kept flow totals once they are made and, with `live_too`, derived live."""
    store.wait_for_month_rows()
    assert_flows_exact_one_way(store, settings)
    if not live_too:
        return
    store.read_month_rows = False
    try:
        assert_flows_exact_one_way(store, settings)
    finally:
        store.read_month_rows = True


def assert_flows_exact_one_way(store, settings=None):
    for as_of in MONTHS:
        for scope in SCOPES:
            where = f"{as_of} {scope}"
            same(summary_return(store, as_of, scope, settings),
                 run(store, DIRECT_RETURN, as_of, scope, settings), f"return {where}")
            same(value_timeline(store, as_of, scope, settings).to_pylist(),
                        run(store, DIRECT_TIMELINE, as_of, scope, settings), f"timeline {where}")
            spend = [{k: r[k] for k in SPEND_COLUMNS}
                     for r in measure_table(store, "kpi", as_of, scope, settings).to_pylist()
                     if r["kpi_id"].startswith("spend:")]
            spend.sort(key=lambda r: (r["kpi_id"], r["grain"]))
            same(spend, run(store, DIRECT_SPEND, as_of, scope, settings), f"spend {where}")


def assert_incremental_equals_full(store):
    """The summary kept up load by load and void by void equals one computed from scratch."""
    store.wait_for_month_rows()
    with store.connect() as con:
        kept = con.execute("SELECT * FROM flow_month_totals ORDER BY ALL").fetchall()
        full = con.execute("""SELECT f.* FROM (SELECT DISTINCT as_of FROM uploads WHERE status = 'loaded') AS u,
                                     LATERAL month_flow_totals(u.as_of) AS f ORDER BY ALL""").fetchall()
    assert len(kept) == len(full)
    for a, b in zip(kept, full, strict=True):
        for x, y in zip(a, b, strict=True):
            assert x == (pytest.approx(y, rel=1e-12, abs=1e-9) if isinstance(y, float) else y), (a, b)


@pytest.fixture
def portfolio_store(tmp_path):
    """Four stored months, two portfolios, three currencies (one defaulted), objectives on both
    sides, a project moving portfolio, a benefit moving project, a month loaded out of order."""
    store = Store(tmp_path / "s.duckdb")
    projects = [project(programme="Alpha", strategic_objective="Grow"),
                project(project_id="P2", portfolio="Other", programme="Beta", currency="usd"),
                project(project_id="P3", currency="GBP", strategic_objective="Save"),
                project(project_id="P4", programme="Alpha")]
    benefits = [benefit(confidence=0.5), benefit(benefit_id="B2", project_id="P2"),
                benefit(benefit_id="B3", project_id="P3", strategic_objective="Grow", confidence=0.25),
                benefit(benefit_id="B4", project_id="P1", category="non_financial"),
                benefit(benefit_id="B5", project_id="P3", measure="level"),
                benefit(benefit_id="B6", project_id="P4")]  # a flow benefit with no values at all
    ids = {"jan": upload(store, "2026-01", projects=projects, benefits=benefits,
                         financials=costs("P1", "2025-11", 8, "2026-01") + costs("P2", "2026-01", 3, "2026-01")
                         + costs("P3", "2026-02", 4, "2026-01", actual=0.0) + costs("P4", "2026-01", 2, "2026-01"),
                         benefit_values=flow("B1", "2026-01", 6, realised_upto="2026-01")
                         + flow("B2", "2025-12", 4, realised_upto="2026-01", planned=50)
                         + flow("B3", "2026-03", 6) + flow("B4", "2026-01", 3) + flow("B5", "2026-01", 3))}
    ids["feb"] = upload(store, "2026-02", financials=costs("P1", "2025-11", 8, "2026-02", actual=60.0),
                        benefit_values=flow("B1", "2026-01", 6, realised_upto="2026-02", forecast=80))
    # April arrives before March: P3 moves to the Other portfolio
    ids["apr"] = upload(store, "2026-04", projects=[project(project_id="P3", portfolio="Other")],
                        benefit_values=flow("B3", "2026-01", 5, realised_upto="2026-04", realised=120))
    # March: B3 moves to P1, and P2's financials are restated
    ids["mar"] = upload(store, "2026-03", benefits=[benefit(benefit_id="B3", project_id="P1", confidence=0.8)],
                        financials=costs("P2", "2025-12", 5, "2026-03", forecast=10.0),
                        benefit_values=flow("B1", "2026-01", 7, realised_upto="2026-03", forecast=70))
    return store, ids


def test_flow_month_rows_equal_the_direct_figures_through_out_of_order_loads(portfolio_store):
    store, _ = portfolio_store
    assert_flows_exact(store, live_too=True)
    assert_incremental_equals_full(store)


def test_corrective_reupload_and_voids_keep_the_flow_summaries_exact(portfolio_store):
    store, ids = portfolio_store
    fix = upload(store, "2026-02", financials=costs("P1", "2025-11", 9, "2026-02", actual=1.0),
                 benefit_values=flow("B1", "2026-01", 6, realised_upto="2026-02", realised=10))
    assert_flows_exact(store)
    assert_incremental_equals_full(store)
    store.void(fix)
    assert_flows_exact(store)
    store.void(ids["mar"])  # March is no longer a stored month: it reads February's snapshot
    assert_flows_exact(store, live_too=True)
    assert_incremental_equals_full(store)
    store.void(ids["jan"])  # January falls back to nothing
    assert_flows_exact(store)
    assert_incremental_equals_full(store)
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM flow_month_totals WHERE as_of IN ('2026-01-01', '2026-03-01')"
                           ).fetchall() == [(0,)]


def test_the_currency_and_rate_settings_apply_when_the_summary_is_read(portfolio_store):
    store, _ = portfolio_store
    before = headline(store, dt.date(2026, 4, 1))
    store.set_setting("currency", "USD")
    store.set_setting("discount_rate", "0.1")
    assert_flows_exact(store)
    after = headline(store, dt.date(2026, 4, 1))
    assert after["npv"] != before["npv"] and after["planned_total"] != before["planned_total"]


def test_hand_worked_tiles_of_one_project(tmp_path):
    """One project, two months of costs and two of benefits: NPV, ROI and the benefit totals."""
    store = Store(tmp_path / "one.duckdb")
    upload(store, "2026-02", projects=[project()], benefits=[benefit(confidence=0.5)],
           financials=[financial(period="2026-01", actual_cost=100.0),
                       financial(period="2026-02", actual_cost=50.0, planned_cost=60.0)],
           benefit_values=[value(period="2026-02", planned_value=40.0, realised_value=30.0),
                           value(period="2027-01", planned_value=200.0, forecast_value=240.0)])
    tiles = headline(store, dt.date(2026, 2, 1))
    # cash flows -100 (Jan 2026), -20 (Feb 2026), +240 (Jan 2027, twelve months on: one year's discount)
    assert tiles["npv"] == pytest.approx(-100 - 20 / 1.035 ** (1 / 12) + 240 / 1.035)
    assert tiles["roi"] == pytest.approx((30 - 150) / 150)
    assert (tiles["planned_to_date"], tiles["realised_to_date"], tiles["planned_total"]) == (40, 30, 240)
    assert tiles["forecast_total"] == 270 and tiles["risk_adjusted_forecast"] == 135
    # before anything was loaded: the snapshot is empty
    empty = headline(store, dt.date(2025, 12, 1))
    assert empty["npv"] is None and empty["roi"] is None and empty["planned_total"] is None


def test_a_failed_load_leaves_the_flow_summary_as_it_was(portfolio_store, monkeypatch):
    store, _ = portfolio_store
    store.wait_for_month_rows()
    with store.connect() as con:
        before = con.execute("SELECT * FROM flow_month_totals ORDER BY ALL").fetchall()
    real = month_rows.refresh

    def half_done(con, since=None):
        real(con, since)
        raise RuntimeError("disk full")

    monkeypatch.setattr(month_rows, "refresh", half_done)
    with pytest.raises(RuntimeError):
        upload(store, "2026-05", financials=costs("P1", "2025-11", 8, "2026-05"))
    with store.connect() as con:
        assert con.execute("SELECT * FROM flow_month_totals ORDER BY ALL").fetchall() == before


def as_older_schema(store, version: int, *statements: str) -> None:
    """Close `store` and turn its file back into what an older schema `version` left."""
    store.close()
    con = duckdb.connect(str(store.path))
    for statement in statements:
        con.execute(statement)
    if version < 12:  # the name schema 12 gave the list of months whose month rows are made
        con.execute("ALTER TABLE month_rows_made RENAME TO kept_months")
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
    con.close()


def test_a_schema_3_database_gets_the_summary_when_it_is_opened(portfolio_store):
    store, _ = portfolio_store
    expected = {(a, s): summary_return(store, a, s) for a in MONTHS for s in SCOPES}
    # Turn it back into what schema 3 left: no flow summary, version 3, the old summaries' stamp.
    as_older_schema(store, 3, "DROP TABLE flow_month_totals",
                    "UPDATE meta SET value = 'the stamp schema 3 left' WHERE key = 'benefit_month_totals_of'")
    reopened = Store(store.path)
    with reopened.connect() as con:
        assert Store.schema_version(con) == SCHEMA_VERSION >= 4
    for (as_of, scope), rows in expected.items():
        same(summary_return(reopened, as_of, scope), rows)
    assert_flows_exact(reopened)
    assert_incremental_equals_full(reopened)


def test_a_schema_3_database_with_a_current_stamp_is_still_filled(portfolio_store):
    """The migration drops the summaries' stamp, so the new table is filled even if the stamp matched."""
    store, _ = portfolio_store
    as_older_schema(store, 3, "DROP TABLE flow_month_totals")
    assert_flows_exact(Store(store.path))


def test_the_flow_summary_is_recomputed_when_the_macros_change(portfolio_store):
    store, _ = portfolio_store
    store.close()
    con = duckdb.connect(str(store.path))
    con.execute("UPDATE flow_month_totals SET actual_cost = -1, realised_value = -1, planned_cost = -1")
    con.execute("UPDATE meta SET value = 'older macros' WHERE key = 'benefit_month_totals_of'")
    con.close()
    assert_flows_exact(Store(store.path))
