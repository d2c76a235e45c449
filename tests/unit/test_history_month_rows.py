"""benefit_month_totals (pmo_metrics/month_rows.py): forecast history read from per-month summaries
equals the history recomputed from every stored month's snapshot, through out-of-order loads,
corrective re-uploads, voids, a settings change, a migration from schema 1 and a macro change."""

import datetime as dt

import duckdb
import pytest

from pmo_metrics import measures, month_rows
from pmo_metrics.measures import Scope, forecast_history
from pmo_metrics.store import Store
from tests.compare import same
from tests.factories_store import benefit, flow, months, project, upload

# The forecast history query before the summaries: benefit_rows recomputed for every stored month.
SNAPSHOT_HISTORY = """
WITH months AS (
    SELECT DISTINCT as_of FROM uploads WHERE status = 'loaded' AND as_of IS NOT NULL
),
per_month AS (
    SELECT months.as_of,
           sum(b.planned_to_date) AS planned_to_date, sum(b.planned_total) AS planned_total,
           sum(b.forecast_total) AS forecast_total, sum(b.realised_to_date) AS realised_to_date,
           sum(b.risk_adjusted_forecast) AS risk_adjusted_forecast, count(*) AS benefits
    FROM months,
         LATERAL benefit_rows(months.as_of, $portfolio, $programme, $objective, $currency) AS b
    WHERE b.category = 'financial' AND b.measure = 'flow'
      AND ($benefit_id IS NULL OR b.benefit_id = $benefit_id)
      AND ($project_id IS NULL OR b.project_id = $project_id)
      AND ($only_portfolio IS NULL OR b.portfolio = $only_portfolio)
      AND (b.currency = upper($currency) OR $benefit_id IS NOT NULL OR $project_id IS NOT NULL)
    GROUP BY months.as_of
)
SELECT months.as_of, p.planned_total, p.forecast_total, p.realised_to_date, p.risk_adjusted_forecast,
       p.planned_to_date, ratio(p.forecast_total - p.planned_total, p.planned_total) AS erosion,
       coalesce(p.benefits, 0) AS benefits
FROM months LEFT JOIN per_month AS p USING (as_of) ORDER BY months.as_of
"""

SELECTIONS = [
    {},
    {"scope": Scope(portfolio="Core")},
    {"scope": Scope(portfolio="Other")},
    {"scope": Scope(programme="Alpha")},
    {"scope": Scope(objective="Grow")},
    {"scope": Scope(objective="Save", portfolio="Core")},
    {"benefit_id": "B1"},
    {"benefit_id": "B3"},
    {"benefit_id": "B4"},
    {"project_id": "P1"},
    {"project_id": "P3"},
    {"portfolio": "Core"},
    {"portfolio": "Other", "scope": Scope(objective="Grow")},
    {"benefit_id": "NOPE"},
]


def snapshot_history(store, benefit_id=None, project_id=None, portfolio=None, scope=None):
    params = measures._params(dt.date(2000, 1, 1), scope or Scope(), store.settings())
    params.update(benefit_id=benefit_id, project_id=project_id, only_portfolio=portfolio)
    used = {k: params[k] for k in ("portfolio", "programme", "objective", "currency", "benefit_id",
                                   "project_id", "only_portfolio")}
    with store.connect() as con:
        return con.sql(SNAPSHOT_HISTORY, params=used).to_arrow_table().to_pylist()


def assert_history_exact(store):
    for selection in SELECTIONS:
        same(forecast_history(store, **selection).to_pylist(), snapshot_history(store, **selection))


@pytest.fixture
def portfolio_store(tmp_path):
    """Four months, two portfolios, three currencies (one defaulted), objectives on either side."""
    store = Store(tmp_path / "s.duckdb")
    projects = [project(programme="Alpha", strategic_objective="Grow"),
                project(project_id="P2", portfolio="Other", programme="Beta", currency="usd"),
                project(project_id="P3", currency="GBP", strategic_objective="Save")]
    benefits = [benefit(confidence=0.5), benefit(benefit_id="B2", project_id="P2"),
                benefit(benefit_id="B3", project_id="P3", strategic_objective="Grow"),
                benefit(benefit_id="B4", project_id="P1", category="non_financial"),
                benefit(benefit_id="B5", project_id="P3", measure="level")]
    ids = {"jan": upload(store, "2026-01", projects=projects, benefits=benefits,
                         benefit_values=flow("B1", "2026-01", 6, realised_upto="2026-01")
                         + flow("B2", "2025-12", 4, realised_upto="2026-01", planned=50)
                         + flow("B3", "2026-01", 3) + flow("B4", "2026-01", 3) + flow("B5", "2026-01", 3))}
    ids["feb"] = upload(store, "2026-02", benefit_values=flow("B1", "2026-01", 6, realised_upto="2026-02",
                                                              forecast=80))
    # April arrives before March
    ids["apr"] = upload(store, "2026-04", projects=[project(project_id="P3", portfolio="Other")],
                        benefit_values=flow("B3", "2026-01", 5, realised_upto="2026-04", realised=120))
    ids["mar"] = upload(store, "2026-03", benefits=[benefit(benefit_id="B3", project_id="P1", confidence=0.8)],
                        benefit_values=flow("B1", "2026-01", 7, realised_upto="2026-03", forecast=70))
    return store, ids


def test_history_from_summaries_equals_the_snapshots_through_out_of_order_loads(portfolio_store):
    store, _ = portfolio_store
    assert [r["as_of"] for r in forecast_history(store).to_pylist()] == months("2026-01", 4)
    assert_history_exact(store)


def test_corrective_reupload_and_voids_keep_the_history_exact(portfolio_store):
    store, ids = portfolio_store
    fix = upload(store, "2026-02", benefit_values=flow("B1", "2026-01", 6, realised_upto="2026-02", realised=10))
    assert_history_exact(store)
    store.void(fix)
    assert_history_exact(store)
    store.void(ids["mar"])  # March is no longer a stored month
    assert [r["as_of"] for r in forecast_history(store).to_pylist()] == months("2026-01", 2) + [dt.date(2026, 4, 1)]
    assert_history_exact(store)
    store.void(ids["jan"])  # everything falls back to nothing for January
    assert_history_exact(store)
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM benefit_month_totals WHERE as_of IN ('2026-01-01', '2026-03-01')"
                           ).fetchall() == [(0,)]


def test_the_currency_setting_applies_when_the_history_is_read(portfolio_store):
    store, _ = portfolio_store
    before = forecast_history(store).to_pylist()
    store.set_setting("currency", "USD")
    assert_history_exact(store)
    assert forecast_history(store).to_pylist() != before


def test_hand_worked_history_of_one_benefit(portfolio_store):
    store, _ = portfolio_store
    rows = forecast_history(store, benefit_id="B1").to_pylist()
    # Jan: 90 realised + 5 × 95; Feb: 2 × 90 + 4 × 80; Mar: 3 × 90 + 4 × 70; Apr: March's upload, April
    # now to date without a realised figure: 270 + 3 × 70.
    assert [r["forecast_total"] for r in rows] == [565, 500, 550, 480]
    assert [r["planned_total"] for r in rows] == [600, 600, 700, 700]
    assert [r["risk_adjusted_forecast"] for r in rows] == [282.5, 250, 275, 240]


def test_a_failed_load_leaves_the_summaries_as_they_were(portfolio_store, monkeypatch):
    store, _ = portfolio_store
    store.wait_for_month_rows()  # they are made on a thread after each load commits
    with store.connect() as con:
        before = con.execute("SELECT * FROM benefit_month_totals ORDER BY ALL").fetchall()

    def broken(con, months):
        raise RuntimeError("disk full")

    monkeypatch.setattr("pmo_metrics.month_rows.after_load", broken)
    with pytest.raises(RuntimeError):
        upload(store, "2026-05", benefit_values=flow("B1", "2026-01", 6))
    with store.connect() as con:
        assert con.execute("SELECT * FROM benefit_month_totals ORDER BY ALL").fetchall() == before
        assert con.execute("SELECT max(as_of) FROM uploads WHERE status = 'loaded'").fetchall() == [
            (dt.date(2026, 4, 1),)]


def test_the_history_makes_the_totals_a_failed_thread_left_undone(portfolio_store, monkeypatch):
    store, _ = portfolio_store
    store.wait_for_month_rows()
    real, calls = month_rows.fill_month_rows, []

    def fails_once(con, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return real(con, **kwargs)

    monkeypatch.setattr(month_rows, "fill_month_rows", fails_once)
    upload(store, "2026-05", benefit_values=flow("B1", "2026-01", 6, realised_upto="2026-05"))
    store.wait_for_month_rows()  # the thread gave up (and logged why)
    with store.connect() as con:
        assert month_rows.months_without_rows(con) == [dt.date(2026, 5, 1)]
    assert [r["as_of"] for r in forecast_history(store).to_pylist()] == months("2026-01", 5)
    assert len(calls) == 2
    assert_history_exact(store)


def test_a_schema_1_database_is_backfilled_from_its_stored_rows(portfolio_store, tmp_path):
    store, _ = portfolio_store
    expected = {i: forecast_history(store, **s).to_pylist() for i, s in enumerate(SELECTIONS)}
    store.close()
    # Turn it back into a schema-1 database: no summaries table, version 1.
    con = duckdb.connect(str(store.path))
    con.execute("DROP TABLE benefit_month_totals")
    con.execute("ALTER TABLE month_rows_made RENAME TO kept_months")  # its name before schema 12
    con.execute("DELETE FROM meta WHERE key IN ('schema_version', 'benefit_month_totals_of')")
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.close()
    reopened = Store(store.path)
    for i, selection in enumerate(SELECTIONS):
        same(forecast_history(reopened, **selection).to_pylist(), expected[i])
    assert_history_exact(reopened)


def test_month_rows_are_made_again_when_the_macros_change(portfolio_store):
    store, _ = portfolio_store
    store.close()
    con = duckdb.connect(str(store.path))
    con.execute("UPDATE benefit_month_totals SET planned_total = -1")  # as if an older release made them
    con.execute("UPDATE meta SET value = 'older macros' WHERE key = 'benefit_month_totals_of'")
    con.close()
    assert_history_exact(Store(store.path))

