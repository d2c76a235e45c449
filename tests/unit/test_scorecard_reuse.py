"""The scorecard computes nothing twice: objectives, the delivery roll-ups and the headline tiles
summed from the tables it already built (the same queries, reading those tables instead of
deriving their rows) equal the same figures computed on their own, for every scope, month and
settings; and the scorecard carries exactly those."""

import datetime as dt

import pytest

from pmo_metrics.exports.scorecard import DETAIL_TABLES, build_scorecard
from pmo_metrics.measures import ROLLUP_LEVELS, Scope, delivery_rollup, headline, measure_table
from pmo_metrics.settings import Settings
from tests.compare import same
from tests.factories_store import benefit, financial, kpi, make_store, months, project, upload, value

SCOPES = [Scope(), Scope(portfolio="Core"), Scope(portfolio="Other"), Scope(programme="Alpha"),
          Scope(objective="Grow"), Scope(objective="Save"), Scope(portfolio="Nope")]
MONTHS = [dt.date(2025, 12, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 6, 1)]
SETTINGS = [Settings(), Settings(currency="USD", fiscal_year_start_month=4, delivery_green=1.0, benefit_amber=0.5)]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two portfolios, a project without a programme, three currencies (one defaulted), earned
    value and percent complete, quality scores, owned and unowned benefits of every kind, objectives
    on benefits and projects, KPIs with and without targets, and a restated month."""
    store = make_store(tmp_path_factory.mktemp("reuse"))
    projects = [project(programme="Alpha", strategic_objective="Grow"),
                project(project_id="P2", portfolio="Other", programme="Beta", currency="USD"),
                project(project_id="P3", programme="Alpha", strategic_objective="Save", budget_at_completion=500),
                project(project_id="P4", stage="closed"),
                project(project_id="P5", portfolio="Other", programme="Beta", strategic_objective="Save")]
    fin = [financial(period=p, planned_cost=100, actual_cost=90 + i, earned_value=80, quality_score=70 + i)
           for i, p in enumerate(months("2025-11", 6))]
    fin += [financial(project_id="P2", period=p, planned_cost=50, actual_cost=60, percent_complete=0.1 * (i + 1))
            for i, p in enumerate(months("2026-01", 4))]
    fin += [financial(project_id="P3", period=p, planned_cost=40, actual_cost=0, forecast_cost=45)
            for p in months("2026-02", 5)]
    fin += [financial(project_id="P5", period="2026-01", planned_cost=10, actual_cost=12, earned_value=11)]
    benefits = [benefit(owner="Ann", confidence=0.5),
                benefit(benefit_id="B2", project_id="P2", strategic_objective="Grow"),
                benefit(benefit_id="B3", project_id="P3", strategic_objective="Grow", owner="Bo"),
                benefit(benefit_id="B4", project_id="P1", category="non_financial", baseline_value=1,
                        target_value=5),
                benefit(benefit_id="B5", project_id="P4", measure="level", baseline_value=10, target_value=20),
                benefit(benefit_id="B6", project_id="P5", owner=" ")]
    vals = [value(period=p, planned_value=100, realised_value=95 - 10 * i) for i, p in enumerate(months("2026-01", 3))]
    vals += [value(period=p, planned_value=100, forecast_value=90) for p in months("2026-04", 6)]
    vals += [value(benefit_id="B2", period=p, planned_value=30, realised_value=31) for p in months("2026-01", 2)]
    vals += [value(benefit_id="B3", period=p, planned_value=20, forecast_value=25) for p in months("2026-03", 4)]
    vals += [value(benefit_id="B4", period="2026-02", planned_value=3, realised_value=2)]
    vals += [value(benefit_id="B5", period=p, planned_value=15, realised_value=14) for p in months("2026-01", 3)]
    vals += [value(benefit_id="B6", period="2026-01", planned_value=5, realised_value=6)]
    kpis = [kpi(period=p, actual=10 + i, budget=12, forecast=11, target=10, strategic_objective="Grow")
            for i, p in enumerate(months("2025-10", 8))]
    kpis += [kpi(kpi_id="K2", period=p, actual=5, target=4, direction="lower_is_better", strategic_objective="Save")
             for p in months("2026-01", 3)]
    kpis += [kpi(kpi_id="K3", period=p, actual=1, strategic_objective="Save") for p in months("2026-01", 3)]
    upload(store, "2026-02", projects=projects, financials=fin, benefits=benefits, benefit_values=vals, kpis=kpis)
    upload(store, "2026-03", financials=[financial(project_id="P2", period="2026-03", planned_cost=5, actual_cost=9)],
           benefit_values=[value(benefit_id="B2", period="2026-03", planned_value=30, realised_value=1)])
    return store


@pytest.mark.parametrize("settings", SETTINGS, ids=["default", "usd-april"])
@pytest.mark.parametrize("as_of", MONTHS, ids=[m.isoformat()[:7] for m in MONTHS])
def test_figures_summed_from_the_tables_equal_their_own_queries(store, as_of, settings):
    for scope in SCOPES:
        where = f"{as_of} {scope}"
        tables = {}
        for name in DETAIL_TABLES:
            tables[name] = measure_table(store, name, as_of, scope, settings, tables=tables)
        same(tables["objectives"].to_pylist(), measure_table(store, "objectives", as_of, scope, settings).to_pylist(),
             f"objectives {where}")
        for level in ROLLUP_LEVELS:
            same(delivery_rollup(store, as_of, level, scope, settings, delivery=tables["delivery"]).to_pylist(),
                 delivery_rollup(store, as_of, level, scope, settings).to_pylist(), f"{level} {where}")
        same(headline(store, as_of, scope, settings, tables=tables), headline(store, as_of, scope, settings),
             f"headline {where}")


def test_the_fixture_exercises_every_side(store):
    """Guard the test above against passing on empty tables."""
    as_of = dt.date(2026, 3, 1)
    objectives = measure_table(store, "objectives", as_of).to_pylist()
    assert {o["strategic_objective"] for o in objectives} == {"Grow", "Save"}
    assert all(o["kpi_attainment"] is not None for o in objectives)
    assert any(o["planned_to_date"] for o in objectives)
    programmes = delivery_rollup(store, as_of, "programme").to_pylist()
    assert {(r["portfolio"], r["programme"], r["currency"]) for r in programmes} >= {
        ("Core", "Alpha", "GBP"), ("Core", None, "GBP"), ("Other", "Beta", "USD"), ("Other", "Beta", "GBP")}
    tiles = headline(store, as_of)
    assert tiles["npv"] is not None and tiles["projects_other_currency"] == 1
    assert tiles["rag"]["delivery"]["none"] < tiles["projects"]


def test_the_scorecard_carries_the_figures_of_its_own_queries(store):
    as_of = dt.date(2026, 3, 1)
    card = build_scorecard(store, as_of, Scope(portfolio="Core"))
    for name in DETAIL_TABLES:
        same(card.tables[name].to_pylist(), measure_table(store, name, as_of, Scope(portfolio="Core")).to_pylist(),
             name)
    same(card.headline, headline(store, as_of, Scope(portfolio="Core")), "headline")
    total = card.table.to_pylist()[-1]
    assert total["row"] == "total" and total["npv"] == pytest.approx(card.headline["npv"])


@pytest.mark.parametrize("scope", SCOPES[:4], ids=str)
def test_the_overview_carries_the_figures_of_its_own_queries(store, scope):
    """measures.overview reads each table once and feeds the tiles from them; the previous month
    gives the totals only. Everything equals the queries run on their own."""
    from pmo_metrics.measures import overview, value_timeline

    as_of, previous = dt.date(2026, 3, 1), dt.date(2026, 2, 1)
    figures = overview(store, as_of, previous, scope)
    same(figures.tiles, headline(store, as_of, scope), "tiles")
    before = headline(store, previous, scope)
    del before["rag"]
    same(figures.previous, before, "previous")
    for name in ("delivery", "benefits"):
        same(getattr(figures, name).to_pylist(), measure_table(store, name, as_of, scope).to_pylist(), name)
    same(figures.timeline.to_pylist(), value_timeline(store, as_of, scope).to_pylist(), "timeline")
    assert overview(store, as_of, None, scope).previous == {}
