"""Level 3 benefits (SPEC §4): flow and level benefits, RAG, empties, scope and objectives."""

import datetime as dt

import pytest

from pmo_metrics.measures import COLUMNS, Scope, measure_table
from pmo_metrics.settings import Settings
from tests.factories_store import benefit, kpi, make_store, project, value

MAR = dt.date(2026, 3, 1)


def benefits(store, as_of=MAR, **kw):
    return {r["benefit_id"]: r for r in measure_table(store, "benefits", as_of, **kw).to_pylist()}


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    return make_store(
        tmp_path_factory.mktemp("flow"), "2026-03", projects=[project()],
        benefits=[benefit(confidence=0.5, owner="Ann")],
        benefit_values=[
            value(period="2026-01", planned_value=100, realised_value=90, forecast_value=999),  # forecast <= m ignored
            value(period="2026-02", planned_value=100, realised_value=100),
            value(period="2026-03", planned_value=100),
            value(period="2026-04", planned_value=100, forecast_value=120, realised_value=999),  # realised > m ignored
            value(period="2026-05", planned_value=100, forecast_value=80),
        ],
    )


def test_columns_in_spec_order(flow):
    table = measure_table(flow, "benefits", MAR)
    assert tuple(table.column_names[: len(COLUMNS["benefits"])]) == COLUMNS["benefits"]


def test_flow_benefit(flow):
    row = benefits(flow)["B1"]
    assert row["measure"] == "flow"  # the default for a financial benefit
    assert row["planned_to_date"] == 300
    assert row["realised_to_date"] == 190
    assert row["planned_total"] == 500
    assert row["forecast_total"] == 190 + 120 + 80
    assert row["realisation_rate"] == pytest.approx(190 / 300)
    assert row["benefit_variance"] == -110
    assert row["erosion"] == pytest.approx((390 - 500) / 500)
    assert row["risk_adjusted_forecast"] == pytest.approx(195)
    assert row["progress_to_target"] is None  # not defined for flow
    assert row["rag"] == "red"
    assert row["currency"] == "GBP"


@pytest.fixture(scope="module")
def level(tmp_path_factory):
    return make_store(
        tmp_path_factory.mktemp("level"), "2026-03", projects=[project()],
        benefits=[benefit(category="non_financial", unit="NPS", baseline_value=50, target_value=80),
                  benefit(benefit_id="B2", category="non_financial", baseline_value=50, target_value=50),
                  benefit(benefit_id="B3", category="non_financial", target_value=50)],
        benefit_values=[
            value(period="2026-01", planned_value=55, realised_value=52),
            value(period="2026-02", planned_value=60, realised_value=58),
            value(period="2026-03", realised_value=61),
            value(period="2026-04", planned_value=70, realised_value=99),
            value(benefit_id="B2", period="2026-03", planned_value=50, realised_value=55),
            value(benefit_id="B3", period="2026-03", planned_value=40, realised_value=45),
        ],
    )


def test_level_benefit(level):
    row = benefits(level)["B1"]
    assert row["measure"] == "level"  # the documented default for a non-financial benefit
    assert row["realised_to_date"] == 61  # current: the latest reading to date
    assert row["planned_to_date"] == 60  # plan of the latest month to date that has one
    assert row["realisation_rate"] == pytest.approx((61 - 50) / (60 - 50))
    assert row["progress_to_target"] == pytest.approx((61 - 50) / (80 - 50))
    assert row["rag"] == "green"
    for undefined in ("planned_total", "forecast_total", "benefit_variance", "erosion", "risk_adjusted_forecast",
                      "currency"):
        assert row[undefined] is None, undefined


def test_level_benefit_zero_divisors_and_missing_baseline(level):
    rows = benefits(level)
    assert rows["B2"]["realisation_rate"] is None and rows["B2"]["progress_to_target"] is None
    assert rows["B2"]["rag"] is None
    assert rows["B3"]["realisation_rate"] is None  # no baseline: not given, so no improvement measured


def test_benefit_without_values_is_empty_not_zero(tmp_path):
    store = make_store(tmp_path, "2026-03", projects=[project()], benefits=[benefit()])
    row = benefits(store)["B1"]
    for column in COLUMNS["benefits"][3:]:
        assert row[column] is None, column


def test_flow_without_a_plan_to_date(tmp_path):
    store = make_store(tmp_path, "2026-03", projects=[project()], benefits=[benefit()], benefit_values=[
        value(period="2026-02", realised_value=10), value(period="2026-06", planned_value=0)])
    row = benefits(store)["B1"]
    assert row["planned_to_date"] == 0 and row["realised_to_date"] == 10
    assert row["realisation_rate"] is None and row["rag"] is None
    assert row["benefit_variance"] == 10
    assert row["erosion"] is None  # planned total 0


def test_explicit_measure_wins_over_the_default(tmp_path):
    store = make_store(tmp_path, "2026-03", projects=[project()],
                       benefits=[benefit(category="non_financial", measure="flow")],
                       benefit_values=[value(planned_value=4, realised_value=4)])
    row = benefits(store)["B1"]
    assert row["measure"] == "flow" and row["realisation_rate"] == 1 and row["currency"] is None


@pytest.mark.parametrize(("realised", "rag"), [(95, "green"), (94, "amber"), (85, "amber"), (84, "red")])
def test_rag_thresholds(tmp_path, realised, rag):
    store = make_store(tmp_path, "2026-03", projects=[project()], benefits=[benefit()],
                       benefit_values=[value(planned_value=100, realised_value=realised)])
    assert benefits(store)["B1"]["rag"] == rag
    loose = Settings(benefit_green=0.5, benefit_amber=0.4)
    assert benefits(store, settings=loose)["B1"]["rag"] == "green"


@pytest.fixture(scope="module")
def scoped(tmp_path_factory):
    return make_store(
        tmp_path_factory.mktemp("scoped"), "2026-03",
        projects=[project(portfolio="A", programme="X", strategic_objective="Grow"),
                  project(project_id="P2", portfolio="B", strategic_objective="Save")],
        benefits=[benefit(), benefit(benefit_id="B2", strategic_objective="Save"),
                  benefit(benefit_id="B3", project_id="P2", strategic_objective="Grow"),
                  benefit(benefit_id="B4", project_id="P2")],
        benefit_values=[value(benefit_id=b, planned_value=p, realised_value=r)
                        for b, p, r in (("B1", 100, 50), ("B2", 10, 10), ("B3", 100, 100), ("B4", 1, 1))],
        kpis=[kpi(period="2026-03", actual=9, target=10, strategic_objective="Grow"),
              kpi(kpi_id="K2", period="2026-03", actual=12, target=10, strategic_objective="Grow"),
              kpi(kpi_id="K3", period="2026-03", actual=1, strategic_objective="Grow")],
    )


def test_objective_filter_uses_the_benefit_objective_else_the_project(scoped):
    assert set(benefits(scoped, scope=Scope(objective="Grow"))) == {"B1", "B3"}
    assert set(benefits(scoped, scope=Scope(objective="Save"))) == {"B2", "B4"}
    assert set(benefits(scoped, scope=Scope(portfolio="A"))) == {"B1", "B2"}
    assert set(benefits(scoped, scope=Scope(programme="X", objective="Save"))) == {"B2"}
    assert benefits(scoped, scope=Scope(portfolio="nobody' OR 1=1 --")) == {}  # bound, never SQL


def test_objectives(scoped):
    rows = {r["strategic_objective"]: r for r in measure_table(scoped, "objectives", MAR).to_pylist()}
    assert tuple(measure_table(scoped, "objectives", MAR).column_names[:5]) == COLUMNS["objectives"]
    grow = rows["Grow"]
    assert (grow["planned_to_date"], grow["realised_to_date"]) == (200, 150)
    assert grow["realisation_rate"] == pytest.approx(0.75)
    # mean year-grain attainment of K1 (0.9) and K2 (1.2); K3 has no target and does not count
    assert grow["kpi_attainment"] == pytest.approx(1.05)
    assert (grow["benefits"], grow["kpis"]) == (2, 3)
    save = rows["Save"]
    assert save["realisation_rate"] == 1 and save["kpi_attainment"] is None


def test_objectives_leave_out_non_financial_and_level_benefits(tmp_path):
    store = make_store(tmp_path, "2026-03", projects=[project(strategic_objective="Grow")],
                       benefits=[benefit(category="non_financial"), benefit(benefit_id="B2", measure="level")],
                       benefit_values=[value(planned_value=1, realised_value=1)])
    assert measure_table(store, "objectives", MAR).num_rows == 0
