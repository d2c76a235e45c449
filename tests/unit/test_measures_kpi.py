"""Level 2 KPIs (SPEC §4): fiscal windows, aggregation, variances, attainment and portfolio spend."""

import datetime as dt

import pytest

from pmo_metrics.measures import COLUMNS, Scope, measure_table
from pmo_metrics.settings import Settings
from tests.factories_store import financial, kpi, make_store, months, project

APRIL_FY = Settings(fiscal_year_start_month=4)


def grains(store, as_of, kpi_id="K1", **kw):
    table = measure_table(store, "kpi", dt.date.fromisoformat(as_of + "-01"), **kw)
    return {r["grain"]: r for r in table.to_pylist() if r["kpi_id"] == kpi_id}


@pytest.fixture(scope="module")
def monthly(tmp_path_factory):
    """K1: actual = the calendar month number, every month from 2025-01 to 2026-12."""
    rows = [kpi(period=p, actual=p.month) for p in months("2025-01", 24)]
    return make_store(tmp_path_factory.mktemp("monthly"), "2025-01", kpis=rows)


def test_columns_in_spec_order(monthly):
    table = measure_table(monthly, "kpi", dt.date(2026, 5, 1))
    assert tuple(table.column_names[: len(COLUMNS["kpi"])]) == COLUMNS["kpi"]


@pytest.mark.parametrize(("as_of", "quarter_start", "quarter_sum", "year_start", "year_sum"), [
    ("2026-05", "2026-04", 4 + 5, "2026-04", 4 + 5),            # April FY: quarter and year Apr-May
    ("2026-03", "2026-01", 1 + 2 + 3, "2025-04", sum(range(4, 13)) + 1 + 2 + 3),  # FY ends in March
    ("2026-04", "2026-04", 4, "2026-04", 4),                    # first month of the fiscal year
    ("2026-12", "2026-10", 10 + 11 + 12, "2026-04", sum(range(4, 13))),
])
def test_fiscal_year_starting_in_april(monthly, as_of, quarter_start, quarter_sum, year_start, year_sum):
    rows = grains(monthly, as_of, settings=APRIL_FY)
    assert rows["month"]["actual"] == int(as_of[5:])
    assert rows["quarter"]["period_start"].isoformat()[:7] == quarter_start
    assert rows["quarter"]["actual"] == quarter_sum
    assert rows["year"]["period_start"].isoformat()[:7] == year_start
    assert rows["year"]["actual"] == year_sum
    assert {r["period_end"] for r in rows.values()} == {dt.date.fromisoformat(as_of + "-01")}


def test_calendar_fiscal_year_by_default(monthly):
    rows = grains(monthly, "2026-05")
    assert rows["quarter"]["actual"] == 4 + 5
    assert rows["year"]["actual"] == 1 + 2 + 3 + 4 + 5


@pytest.mark.parametrize(("aggregation", "expected"), [("sum", 10 + 20 + 60), ("last", 60), ("mean", 30)])
def test_aggregation(tmp_path, aggregation, expected):
    store = make_store(tmp_path, "2026-03", kpis=[
        kpi(period="2026-01", actual=10, aggregation=aggregation),
        kpi(period="2026-02", actual=20, aggregation=aggregation),
        kpi(period="2026-03", actual=60, aggregation=aggregation),
        kpi(period="2026-04", actual=1000, aggregation=aggregation),  # after m: never counted
    ])
    assert grains(store, "2026-03")["quarter"]["actual"] == expected


def test_each_column_aggregates_over_its_own_months(tmp_path):
    """Mean actual over 3 months, mean target over the 2 months that have one; last picks the latest."""
    store = make_store(tmp_path, "2026-03", kpis=[
        kpi(period="2026-01", actual=10, target=100, aggregation="mean"),
        kpi(period="2026-02", actual=20, aggregation="mean"),
        kpi(period="2026-03", actual=30, target=50, aggregation="mean"),
        kpi(kpi_id="K2", period="2026-01", actual=5, budget=7, aggregation="last"),
        kpi(kpi_id="K2", period="2026-02", actual=6, aggregation="last"),
    ])
    q = grains(store, "2026-03")["quarter"]
    assert (q["actual"], q["target"]) == (20, 75)
    assert q["months_with_actual"] == 3
    k2 = grains(store, "2026-03", "K2")["quarter"]
    assert (k2["actual"], k2["budget"]) == (6, 7)


def test_month_without_a_value_is_an_empty_row_not_zero(tmp_path):
    store = make_store(tmp_path, "2026-03", kpis=[kpi(period="2026-01", actual=10, target=10)])
    month = grains(store, "2026-03")["month"]
    assert month["actual"] is None and month["target"] is None
    assert month["attainment"] is None and month["rag"] is None and month["var_target"] is None


def test_variances_against_budget_forecast_target(tmp_path):
    store = make_store(tmp_path, "2026-03", kpis=[kpi(period="2026-03", actual=90, budget=100, forecast=80,
                                                      target=120)])
    row = grains(store, "2026-03")["month"]
    assert (row["var_budget"], row["var_budget_pct"]) == (-10, pytest.approx(-0.1))
    assert (row["var_forecast"], row["var_forecast_pct"]) == (10, pytest.approx(0.125))
    assert (row["var_target"], row["var_target_pct"]) == (-30, pytest.approx(-0.25))
    assert row["attainment"] == pytest.approx(0.75)
    assert row["rag"] == "red"


def test_negative_actual(tmp_path):
    """A loss against a profit target: the % variance divides by |target| so its sign stays readable."""
    store = make_store(tmp_path, "2026-03", kpis=[
        kpi(period="2026-03", actual=-20, target=50, budget=-40),
    ])
    row = grains(store, "2026-03")["month"]
    assert row["var_target"] == -70
    assert row["var_target_pct"] == pytest.approx(-1.4)
    assert row["var_budget"] == 20
    assert row["var_budget_pct"] == pytest.approx(0.5)  # (-20 - -40) / |-40|: better than budget
    assert row["attainment"] == pytest.approx(-0.4)
    assert row["rag"] == "red"


@pytest.mark.parametrize(("actual", "attainment", "rag"), [
    (80, 1.25, "green"), (100, 1.0, "green"), (110, 100 / 110, "amber"), (125, 0.8, "red")])
def test_lower_is_better_attainment(tmp_path, actual, attainment, rag):
    store = make_store(tmp_path, "2026-03", kpis=[
        kpi(period="2026-03", actual=actual, target=100, direction="lower_is_better")])
    row = grains(store, "2026-03")["month"]
    assert row["attainment"] == pytest.approx(attainment)
    assert row["rag"] == rag
    assert row["direction"] == "lower_is_better"


@pytest.mark.parametrize(("actual", "rag"), [(100, "green"), (90, "amber"), (89.99, "red")])
def test_rag_thresholds(tmp_path, actual, rag):
    store = make_store(tmp_path, "2026-03", kpis=[kpi(period="2026-03", actual=actual, target=100)])
    assert grains(store, "2026-03")["month"]["rag"] == rag


def test_empty_without_target_and_zero_divisors(tmp_path):
    store = make_store(tmp_path, "2026-03", kpis=[
        kpi(period="2026-03", actual=5, budget=0),
        kpi(kpi_id="K2", period="2026-03", actual=5, target=0),
        kpi(kpi_id="K3", period="2026-03", actual=0, target=10, direction="lower_is_better"),
    ])
    k1 = grains(store, "2026-03")["month"]
    assert k1["attainment"] is None and k1["rag"] is None and k1["var_target"] is None
    assert k1["var_budget"] == 5 and k1["var_budget_pct"] is None
    k2 = grains(store, "2026-03", "K2")["month"]
    assert k2["attainment"] is None and k2["var_target_pct"] is None and k2["var_target"] == 5
    assert grains(store, "2026-03", "K3")["month"]["attainment"] is None


def test_descriptive_fields_and_defaults(tmp_path):
    store = make_store(tmp_path, "2026-03", kpis=[
        kpi(period="2026-01", actual=1, kpi_name="Old name", unit="h"),
        kpi(period="2026-02", actual=1, kpi_name="Cycle time", strategic_objective="Speed"),
    ])
    row = grains(store, "2026-03")["year"]
    assert (row["kpi_name"], row["unit"], row["strategic_objective"]) == ("Cycle time", "h", "Speed")
    assert (row["direction"], row["aggregation"]) == ("higher_is_better", "sum")


def test_objective_filter_applies_to_kpis(tmp_path):
    store = make_store(tmp_path, "2026-03", kpis=[
        kpi(actual=1, strategic_objective="Grow"), kpi(kpi_id="K2", actual=1, strategic_objective="Save")])
    table = measure_table(store, "kpi", dt.date(2026, 3, 1), Scope(objective="Grow"))
    assert set(table["kpi_id"].to_pylist()) == {"K1"}


@pytest.fixture(scope="module")
def spend(tmp_path_factory):
    return make_store(
        tmp_path_factory.mktemp("spend"), "2026-05",
        projects=[project(), project(project_id="P2"), project(project_id="P3", portfolio="Other")],
        financials=[
            financial(period="2026-03", planned_cost=100, actual_cost=90),
            financial(period="2026-04", planned_cost=100, actual_cost=120),
            financial(period="2026-05", planned_cost=100, actual_cost=100),
            financial(period="2026-06", planned_cost=100, forecast_cost=150),
            financial(period="2027-03", planned_cost=50, forecast_cost=40),
            financial(project_id="P2", period="2026-05", planned_cost=10, actual_cost=5),
            financial(project_id="P3", period="2026-05", planned_cost=1, actual_cost=1),
        ],
    )


def test_portfolio_spend_kpi(spend):
    rows = grains(spend, "2026-05", "spend:Core", settings=APRIL_FY)
    month, quarter, year = rows["month"], rows["quarter"], rows["year"]
    assert (month["actual"], month["budget"], month["forecast"]) == (105, 110, 105)
    # Fiscal quarter and year to date (April FY) are both April-May.
    assert (quarter["actual"], quarter["budget"]) == (225, 210)
    assert quarter["forecast"] == quarter["actual"]  # every window month is to date
    assert quarter["var_budget"] == 15 and quarter["var_budget_pct"] == pytest.approx(15 / 210)
    # Outturn of the whole fiscal period: quarter Apr-Jun, year Apr 2026 - Mar 2027.
    assert (quarter["outturn_budget"], quarter["outturn_forecast"]) == (310, 225 + 150)
    assert (year["outturn_budget"], year["outturn_forecast"]) == (360, 225 + 150 + 40)
    assert month["direction"] == "lower_is_better"
    assert month["target"] is None and month["attainment"] is None and month["rag"] is None
    assert month["unit"] == "GBP" and month["portfolio"] == "Core"
    assert grains(spend, "2026-05", "spend:Other")["month"]["actual"] == 1


def test_spend_kpi_follows_the_project_scope(spend):
    table = measure_table(spend, "kpi", dt.date(2026, 5, 1), Scope(portfolio="Other"))
    assert set(table["kpi_id"].to_pylist()) == {"spend:Other"}
