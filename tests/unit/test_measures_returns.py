"""Level 3 financial return per project (SPEC §4): NPV, ROI, BCR, payback and time to value."""

import datetime as dt

import numpy_financial as npf
import pytest

from pmo_metrics.measures import COLUMNS, headline, measure_table
from pmo_metrics.settings import Settings
from tests.factories_store import benefit, financial, make_store, months, project, value

R5 = Settings(discount_rate=0.05)
YEARLY = [-15000, 1500, 2500, 3500, 4500, 6000]  # the numpy-financial documentation's example


def returns(store, as_of, settings=R5):
    return {r["project_id"]: r for r in measure_table(store, "returns", as_of, settings=settings).to_pylist()}


@pytest.fixture(scope="module")
def yearly(tmp_path_factory):
    """Cost 15,000 in 2020-01, then benefits each January 2021..2025 — all realised by 2025-06."""
    inflows = [value(period=f"{2020 + y}-01", realised_value=amount) for y, amount in enumerate(YEARLY) if y]
    return make_store(
        tmp_path_factory.mktemp("yearly"), "2025-06",
        projects=[project(end_date="2020-10-15")],
        financials=[financial(period="2020-01", actual_cost=15000)],
        benefits=[benefit()], benefit_values=inflows,
    )


def test_npv_matches_numpy_financial(yearly):
    row = returns(yearly, dt.date(2025, 6, 1))["P1"]
    # t = 0, 12, ..., 60 months, so (1 + r)^(t/12) is the yearly discount of npf.npv.
    assert npf.npv(0.05, YEARLY) == pytest.approx(122.89, abs=0.005)
    assert row["npv"] == pytest.approx(npf.npv(0.05, YEARLY), abs=1e-6)
    # the same through the 61 monthly cash flows (zeros between) at the equivalent monthly rate
    monthly = [0.0] * 61
    for year, amount in enumerate(YEARLY):
        monthly[12 * year] = amount
    assert row["npv"] == pytest.approx(npf.npv(1.05 ** (1 / 12) - 1, monthly), abs=1e-6)


def test_roi_bcr_payback_and_time_to_value(yearly):
    row = returns(yearly, dt.date(2025, 6, 1))["P1"]
    assert row["roi"] == pytest.approx((18000 - 15000) / 15000)
    assert row["bcr"] == pytest.approx((npf.npv(0.05, YEARLY) + 15000) / 15000)
    # cumulative: -15000, -13500, -11000, -7500, -3000, then +3000 in 2025-01
    assert row["payback_month"] == dt.date(2025, 1, 1)
    assert row["time_to_value_months"] == 3  # end 2020-10, first realised 2021-01
    assert (row["first_month"], row["last_month"]) == (dt.date(2020, 1, 1), dt.date(2025, 1, 1))


def test_columns_in_spec_order(yearly):
    table = measure_table(yearly, "returns", dt.date(2025, 6, 1))
    assert tuple(table.column_names[: len(COLUMNS["returns"])]) == COLUMNS["returns"]


def test_future_months_use_forecasts_not_actuals(tmp_path):
    """At m = 2022-06: realised and actual cost to date, forecast value and cost after m."""
    store = make_store(
        tmp_path, "2022-06",
        projects=[project(end_date="2024-06-30")],
        financials=[financial(period="2020-01", actual_cost=15000, forecast_cost=777),
                    financial(period="2023-01", actual_cost=999, forecast_cost=1000)],
        benefits=[benefit(), benefit(benefit_id="B2", category="non_financial", measure="flow")],
        benefit_values=[
            value(period="2021-01", realised_value=1500),
            value(period="2022-01", realised_value=2500, forecast_value=9999),
            value(period="2023-01", forecast_value=3500, realised_value=9999),
            value(period="2024-01", forecast_value=4500),
            value(period="2025-01", forecast_value=6000),
            value(benefit_id="B2", period="2021-01", realised_value=1e6),  # non-financial: no cash
        ],
    )
    row = returns(store, dt.date(2022, 6, 1))["P1"]
    flows = [-15000, 1500, 2500, 3500 - 1000, 4500, 6000]
    assert row["npv"] == pytest.approx(npf.npv(0.05, flows), abs=1e-6)
    assert row["roi"] == pytest.approx((1500 + 2500 - 15000) / 15000)
    assert row["time_to_value_months"] == -41  # value arrived 41 months before the end (2021-01 vs 2024-06)
    # cumulative -15000, -13500, -11000, -8500, -4000, +2000 (forecast) -> 2025-01
    assert row["payback_month"] == dt.date(2025, 1, 1)


def test_payback_must_stay_non_negative(tmp_path):
    store = make_store(
        tmp_path, "2026-12", projects=[project()],
        financials=[financial(period="2026-02", actual_cost=200)],
        benefits=[benefit()],
        benefit_values=[value(period="2026-01", realised_value=100), value(period="2026-03", realised_value=300)],
    )
    row = returns(store, dt.date(2026, 12, 1))["P1"]
    assert row["payback_month"] == dt.date(2026, 3, 1)  # >= 0 in January, but it dips in February
    assert row["npv"] == pytest.approx(100 - 200 / 1.05 ** (1 / 12) + 300 / 1.05 ** (2 / 12))


def test_never_paid_back_and_no_value_yet(tmp_path):
    store = make_store(
        tmp_path, "2026-03", projects=[project(end_date="2026-01-31")],
        financials=[financial(period="2026-01", actual_cost=100)],
        benefits=[benefit()], benefit_values=[value(period="2026-02", realised_value=0, planned_value=50),
                                              value(period="2026-06", forecast_value=40)],
    )
    row = returns(store, dt.date(2026, 3, 1))["P1"]
    assert row["payback_month"] is None
    assert row["time_to_value_months"] is None  # nothing realised > 0 yet
    assert row["roi"] == -1
    assert row["last_month"] == dt.date(2026, 6, 1)  # the span includes benefit forecasts


def test_zero_costs_and_empty_projects(tmp_path):
    store = make_store(
        tmp_path, "2026-03", projects=[project(), project(project_id="P2"), project(project_id="P3")],
        financials=[financial(period="2026-01", planned_cost=10)],  # no actual or forecast cost
        benefits=[benefit(), benefit(benefit_id="B3", project_id="P3", measure="level")],
        benefit_values=[value(period="2026-02", realised_value=30), value(benefit_id="B3", realised_value=5)],
    )
    rows = returns(store, dt.date(2026, 3, 1))
    assert rows["P1"]["roi"] is None and rows["P1"]["bcr"] is None  # AC 0, discounted costs 0
    assert rows["P1"]["npv"] == pytest.approx(30 / 1.05 ** (1 / 12))
    assert rows["P1"]["payback_month"] == dt.date(2026, 1, 1)
    for project_id in ("P2", "P3"):  # no financials, no financial flow benefit: nothing to compute
        assert {k: rows[project_id][k] for k in COLUMNS["returns"][1:]} == dict.fromkeys(COLUMNS["returns"][1:])


def test_discount_rate_zero_gives_plain_sum(yearly):
    row = returns(yearly, dt.date(2025, 6, 1), Settings(discount_rate=0.0))["P1"]
    assert row["npv"] == pytest.approx(sum(YEARLY))


def test_headline_portfolio_npv_is_the_sum_of_project_npvs(tmp_path):
    store = make_store(
        tmp_path, "2026-12",
        projects=[project(), project(project_id="P2")],
        financials=[financial(period="2026-01", actual_cost=100), financial(project_id="P2", period="2026-07",
                                                                            actual_cost=50)],
        benefits=[benefit()], benefit_values=[value(period=p, realised_value=30) for p in months("2026-02", 6)],
    )
    tiles = headline(store, dt.date(2026, 12, 1), settings=R5)
    # SPEC §11: each project discounted from its own first month (P1 from Jan, P2 from Jul), then summed
    p1 = npf.npv(1.05 ** (1 / 12) - 1, [-100] + [30] * 6)
    p2 = -50.0
    assert tiles["npv"] == pytest.approx(p1 + p2, abs=1e-6)
    assert tiles["roi"] == pytest.approx((180 - 150) / 150)
