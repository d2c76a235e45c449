"""Dis-benefits (SPEC §10.1): the mirrored RAG, costs in NPV/ROI/BCR, net benefit on the roll-ups.

Hand-worked store, as of 2026-03, discount rate 0 (so NPV is a plain sum):
- P1 costs 1,000 actual in 2026-01, 500 forecast in 2026-04;
- B1 financial: realised 400 (2026-01), 600 (2026-03); forecast 800 (2026-04); planned 500 a month x 4;
- D1 dis-benefit (no unit, so money and a flow): planned 100 a month (2026-01..03) and 100 in 2026-04;
  realised 80 + 90 + 100 = 270 to date, forecast 120 in 2026-04;
- D2 dis-benefit in hours (a unit: not money, so no cost and no money roll-up).
"""

import datetime as dt

import pytest

from pmo_metrics.measures import Scope, headline, measure_table, realisation
from pmo_metrics.settings import Settings
from tests.factories_store import benefit, financial, make_store, project, value

M = dt.date(2026, 3, 1)
R0 = Settings(discount_rate=0.0)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return make_store(
        tmp_path_factory.mktemp("dis"), "2026-03",
        projects=[project(strategic_objective="Save money", currency="GBP")],
        financials=[financial(period="2026-01", actual_cost=1000), financial(period="2026-04", forecast_cost=500)],
        benefits=[benefit(benefit_id="B1"),
                  benefit(benefit_id="D1", benefit_name="Disruption to trading", category="dis_benefit"),
                  benefit(benefit_id="D2", benefit_name="Staff hours lost", category="dis_benefit", unit="hours")],
        benefit_values=[
            value(benefit_id="B1", period="2026-01", planned_value=500, realised_value=400),
            value(benefit_id="B1", period="2026-02", planned_value=500),
            value(benefit_id="B1", period="2026-03", planned_value=500, realised_value=600),
            value(benefit_id="B1", period="2026-04", planned_value=500, forecast_value=800),
            value(benefit_id="D1", period="2026-01", planned_value=100, realised_value=80),
            value(benefit_id="D1", period="2026-02", planned_value=100, realised_value=90),
            value(benefit_id="D1", period="2026-03", planned_value=100, realised_value=100),
            value(benefit_id="D1", period="2026-04", planned_value=100, forecast_value=120),
            value(benefit_id="D2", period="2026-03", planned_value=50, realised_value=40),
        ],
    )


def rows(store, name, **kw):
    return {r.get("benefit_id") or r.get("project_id") or r.get("strategic_objective"): r
            for r in measure_table(store, name, M, settings=kw.get("settings", R0)).to_pylist()}


def test_a_dis_benefit_at_or_below_plan_is_green(store):
    d1 = rows(store, "benefits")["D1"]
    assert d1["measure"] == "flow"  # no unit: money, so a flow by default
    assert d1["realised_to_date"] == 270 and d1["planned_to_date"] == 300
    assert d1["realisation_rate"] == pytest.approx(0.9)  # below plan: a benefit would be amber, harm is green
    assert d1["rag"] == "green"
    assert d1["currency"] == "GBP"
    assert rows(store, "benefits")["D2"]["measure"] == "level" and rows(store, "benefits")["D2"]["currency"] is None


@pytest.mark.parametrize(("realised", "rag"), [
    (0, "green"),        # no harm at all
    (300, "green"),      # exactly at plan
    (315, "green"),      # rate 1.05 = 2 − 0.95: the edge of green
    (316, "amber"),      # rate 1.0533: over the mirrored green threshold
    (345, "amber"),      # rate 1.15 = 2 − 0.85: the edge of amber
    (346, "red"),
])
def test_the_mirrored_thresholds(tmp_path, realised, rag):
    store = make_store(tmp_path, "2026-01", projects=[project()],
                       benefits=[benefit(benefit_id="D", category="dis_benefit")],
                       benefit_values=[value(benefit_id="D", planned_value=300, realised_value=realised)])
    row = measure_table(store, "benefits", dt.date(2026, 1, 1)).to_pylist()[0]
    assert row["rag"] == rag


def test_money_dis_benefits_are_costs_in_npv_roi_and_bcr(store):
    r = rows(store, "returns")["P1"]
    # cash flows: Jan 400 − 1000 − 80; Feb −90; Mar 600 − 100; Apr 800 − 500 − 120 (D2 is in hours: not money)
    assert r["npv"] == pytest.approx((400 - 1000 - 80) - 90 + (600 - 100) + (800 - 500 - 120))  # = 10
    # ROI to date = (benefits 1,000 − (AC 1,000 + harm 270)) / (1,000 + 270)
    assert r["roi"] == pytest.approx((1000 - 1270) / 1270)
    # BCR = benefits 1,800 / (costs 1,500 + harm 390)
    assert r["bcr"] == pytest.approx(1800 / 1890)


def test_net_benefit_on_the_roll_ups(store):
    obj = rows(store, "objectives")["Save money"]
    assert obj["realised_to_date"] == 1000 and obj["planned_to_date"] == 1500  # benefits only
    assert obj["benefits"] == 1
    assert obj["dis_benefits"] == 270 and obj["net_benefit"] == 730
    assert obj["dis_benefits_forecast_total"] == 390 and obj["net_forecast_total"] == 1800 - 390
    by_project = realisation(store, M, "project", Scope(), R0).to_pylist()[0]
    assert (by_project["realised_to_date"], by_project["dis_benefits"], by_project["net_benefit"]) == (1000, 270, 730)
    assert by_project["benefits"] == 1 and by_project["realisation_rate"] == pytest.approx(1000 / 1500)
    tiles = headline(store, M, settings=R0, counts=False)
    assert (tiles["realised_to_date"], tiles["dis_benefits"], tiles["net_benefit"]) == (1000, 270, 730)
    assert tiles["net_forecast_total"] == 1410
    assert tiles["roi"] == pytest.approx((1000 - 1270) / 1270)  # the portfolio ROI counts the harm too


def test_without_dis_benefits_net_equals_benefits(tmp_path):
    store = make_store(tmp_path, "2026-01", projects=[project(strategic_objective="O")], benefits=[benefit()],
                       benefit_values=[value(planned_value=10, realised_value=7)])
    obj = measure_table(store, "objectives", dt.date(2026, 1, 1)).to_pylist()[0]
    assert (obj["dis_benefits"], obj["net_benefit"]) == (0, 7)
