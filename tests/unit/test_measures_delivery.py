"""Level 1 delivery (SPEC §4): earned value per project and its roll-ups, on hand-worked numbers."""

import datetime as dt

import pytest

from pmo_metrics.measures import COLUMNS, delivery_rollup, measure_table
from pmo_metrics.settings import Settings
from tests.factories_store import benefit, financial, make_store, project

MAR = dt.date(2026, 3, 1)


def by_id(table, key="project_id"):
    return {row[key]: row for row in table.to_pylist()}


def delivery(store, as_of=MAR, **kw):
    return by_id(measure_table(store, "delivery", as_of, **kw))


@pytest.fixture(scope="module")
def pmbok(tmp_path_factory):
    """The PMBOK example: BAC 100,000, PV 40,000, EV 35,000, AC 36,000 at the reporting month."""
    return make_store(
        tmp_path_factory.mktemp("pmbok"), "2026-03",
        projects=[project(budget_at_completion=100_000)],
        financials=[
            financial(period="2026-02", planned_cost=20_000, actual_cost=18_000, earned_value=17_500),
            financial(period="2026-03", planned_cost=20_000, actual_cost=18_000, earned_value=17_500,
                      quality_score=80),
            financial(period="2026-04", planned_cost=60_000, forecast_cost=66_000),
        ],
    )


def test_pmbok_example(pmbok):
    row = delivery(pmbok)["P1"]
    assert (row["bac"], row["pv"], row["ev"], row["ac"]) == (100_000, 40_000, 35_000, 36_000)
    assert row["cv"] == -1_000
    assert row["sv"] == -5_000
    assert row["cpi"] == pytest.approx(0.972222, abs=1e-6)
    assert row["spi"] == pytest.approx(0.875)
    assert row["eac"] == pytest.approx(102_857.14, abs=0.01)
    assert row["etc"] == pytest.approx(102_857.14 - 36_000, abs=0.01)
    assert row["vac"] == pytest.approx(-2_857.14, abs=0.01)
    assert row["tcpi"] == pytest.approx(1.015625)
    assert row["fac"] == 36_000 + 66_000  # bottom-up: AC + forecast after m
    assert row["quality_score"] == 80
    assert row["ev_method"] == "earned_value"
    assert row["rag"] == "amber"  # min(0.972, 0.875) = 0.875: amber (>= 0.85, < 0.95)


def test_columns_in_spec_order(pmbok):
    table = measure_table(pmbok, "delivery", MAR)
    assert tuple(table.column_names[: len(COLUMNS["delivery"])]) == COLUMNS["delivery"]


def test_bac_falls_back_to_planned_cost_over_all_periods(tmp_path):
    store = make_store(tmp_path, "2026-03", projects=[project()], financials=[
        financial(period="2026-03", planned_cost=30, actual_cost=30, earned_value=30),
        financial(period="2027-01", planned_cost=70),
    ])
    row = delivery(store)["P1"]
    assert row["bac"] == 100
    assert row["pv"] == 30
    assert row["fac"] == 30  # no forecast_cost after m: FAC = AC


def test_project_without_financials_has_a_row_with_empty_amounts(tmp_path):
    store = make_store(tmp_path, "2026-03", projects=[project(), project(project_id="P2")],
                       financials=[financial(planned_cost=10, actual_cost=10, earned_value=10)])
    row = delivery(store)["P2"]
    for column in ("bac", "pv", "ev", "ac", "cv", "sv", "cpi", "spi", "eac", "fac", "etc", "vac", "tcpi",
                   "quality_score", "benefit_ownership", "rag", "ev_method"):
        assert row[column] is None, column


def test_project_without_financials_still_uses_its_budget(tmp_path):
    store = make_store(tmp_path, "2026-03", projects=[project(budget_at_completion=500)])
    row = delivery(store)["P1"]
    assert row["bac"] == 500
    assert row["ev"] is None and row["cpi"] is None


def test_percent_complete_route(tmp_path):
    """No earned_value anywhere: EV = latest percent_complete to date (a stored fraction) × BAC."""
    store = make_store(tmp_path, "2026-03", projects=[project(budget_at_completion=200)], financials=[
        financial(period="2026-01", planned_cost=50, actual_cost=40, percent_complete=0.25),
        financial(period="2026-02", planned_cost=50, actual_cost=60, percent_complete=0.4),
        financial(period="2026-03", planned_cost=50, actual_cost=20),  # no reading this month
        financial(period="2026-04", planned_cost=50, percent_complete=0.9),  # after m: ignored
    ])
    row = delivery(store)["P1"]
    assert row["ev_method"] == "percent_complete"
    assert row["percent_complete"] == 0.4
    assert row["ev"] == pytest.approx(80)  # 0.4 × 200
    assert row["cpi"] == pytest.approx(80 / 120)
    assert row["spi"] == pytest.approx(80 / 150)


def test_percent_complete_without_any_bac_gives_empty_ev(tmp_path):
    store = make_store(tmp_path, "2026-03", projects=[project()], financials=[
        financial(actual_cost=10, percent_complete=0.5)])
    row = delivery(store)["P1"]
    assert row["bac"] is None and row["ev"] is None and row["cpi"] is None and row["rag"] is None


def test_zero_divisors_are_empty_not_infinite(tmp_path):
    # AC = 0 -> CPI empty -> EAC, ETC, VAC empty; BAC - AC = BAC - 0 fine; SPI = 0 / 100 = 0.
    store = make_store(tmp_path, "2026-03", projects=[project(budget_at_completion=100)], financials=[
        financial(planned_cost=100, actual_cost=0, earned_value=0)])
    row = delivery(store)["P1"]
    assert row["cpi"] is None and row["eac"] is None and row["etc"] is None and row["vac"] is None
    assert row["spi"] == 0
    assert row["rag"] == "red"  # min() skips the empty CPI; SPI 0 is red
    assert row["tcpi"] == 1.0


def test_tcpi_empty_when_budget_fully_spent(tmp_path):
    store = make_store(tmp_path, "2026-03", projects=[project(budget_at_completion=100)], financials=[
        financial(planned_cost=100, actual_cost=100, earned_value=90)])
    row = delivery(store)["P1"]
    assert row["tcpi"] is None
    assert row["eac"] == pytest.approx(100 / 0.9)


def test_no_plan_to_date_leaves_spi_empty_and_rag_from_cpi(tmp_path):
    store = make_store(tmp_path, "2026-03", projects=[project()], financials=[
        financial(actual_cost=100, earned_value=96), financial(period="2026-06", planned_cost=500)])
    row = delivery(store)["P1"]
    assert row["pv"] == 0 and row["spi"] is None
    assert row["cpi"] == 0.96 and row["rag"] == "green"


@pytest.mark.parametrize(("ev", "rag"), [(95, "green"), (94.9, "amber"), (85, "amber"), (84.9, "red")])
def test_rag_thresholds(tmp_path, ev, rag):
    store = make_store(tmp_path, "2026-03", projects=[project()], financials=[
        financial(planned_cost=100, actual_cost=100, earned_value=ev)])
    assert delivery(store)["P1"]["rag"] == rag


def test_rag_thresholds_come_from_settings(tmp_path):
    store = make_store(tmp_path, "2026-03", projects=[project()], financials=[
        financial(planned_cost=100, actual_cost=100, earned_value=90)])
    strict = Settings(delivery_green=0.99, delivery_amber=0.95)
    assert delivery(store, settings=strict)["P1"]["rag"] == "red"


def test_quality_latest_to_date_and_benefit_ownership(tmp_path):
    store = make_store(
        tmp_path, "2026-03", projects=[project()],
        financials=[financial(period="2026-01", quality_score=60), financial(period="2026-02", quality_score=75),
                    financial(period="2026-05", quality_score=99)],
        benefits=[benefit(owner="Ann"), benefit(benefit_id="B2", owner="  "), benefit(benefit_id="B3")],
    )
    row = delivery(store)["P1"]
    assert row["quality_score"] == 75
    assert row["benefit_ownership"] == pytest.approx(1 / 3)  # a blank owner is no owner
    assert (row["benefits"], row["benefits_owned"]) == (3, 1)


def test_rollup_sums_and_recomputes_ratios(tmp_path):
    store = make_store(
        tmp_path, "2026-03",
        projects=[project(programme="A", budget_at_completion=1000), project(project_id="P2", programme="A"),
                  project(project_id="P3", programme="B", portfolio="Other")],
        financials=[
            financial(planned_cost=100, actual_cost=100, earned_value=50, forecast_cost=None),
            financial(project_id="P2", planned_cost=300, actual_cost=100, earned_value=300),
            financial(project_id="P2", period="2026-09", planned_cost=200, forecast_cost=250),
            financial(project_id="P3", planned_cost=10, actual_cost=10, earned_value=10),
        ],
    )
    rows = {(r["portfolio"], r["programme"]): r
            for r in delivery_rollup(store, MAR, "programme").to_pylist()}
    a = rows[("Core", "A")]
    assert a["projects"] == 2
    assert (a["bac"], a["pv"], a["ev"], a["ac"], a["fac"]) == (1000 + 500, 400, 350, 200, 200 + 250)
    assert a["cpi"] == pytest.approx(350 / 200)  # recomputed from sums, not the mean of 0.5 and 3.0
    assert a["spi"] == pytest.approx(350 / 400)
    assert a["eac"] == pytest.approx(1500 / (350 / 200))
    assert a["tcpi"] == pytest.approx((1500 - 350) / (1500 - 200))
    assert a["rag"] == "amber"
    portfolios = {r["portfolio"]: r for r in delivery_rollup(store, MAR, "portfolio").to_pylist()}
    assert portfolios["Core"]["programme"] is None
    assert portfolios["Core"]["ev"] == 350 and portfolios["Other"]["ev"] == 10


def test_rollup_never_adds_different_currencies(tmp_path):
    store = make_store(
        tmp_path, "2026-03",
        projects=[project(), project(project_id="P2", currency="USD")],
        financials=[financial(actual_cost=10, earned_value=10), financial(project_id="P2", actual_cost=7)],
    )
    rows = {r["currency"]: r for r in delivery_rollup(store, MAR, "portfolio").to_pylist()}
    assert rows["GBP"]["ac"] == 10 and rows["USD"]["ac"] == 7


def test_rollup_rejects_unknown_level(tmp_path):
    with pytest.raises(ValueError, match="programme or portfolio"):
        delivery_rollup(make_store(tmp_path), MAR, "project")


def test_a_non_finite_figure_is_never_rag_coloured(store):
    """Regression: NaN sorts above every number in DuckDB, so an overflowed CPI read green."""
    with store.connect() as con:
        found = con.execute("SELECT rag('NaN'::DOUBLE, 0.95, 0.85), rag('Infinity'::DOUBLE, 0.95, 0.85), "
                            "rag(0.96, 0.95, 0.85), delivery_rag('NaN'::DOUBLE, 'amber', 0.95, 0.85), "
                            "delivery_rag_source('NaN'::DOUBLE, NULL)").fetchall()
    assert found == [(None, None, "green", "amber", None)]
