"""One truth (SPEC §11): what each chart draws equals the measures table beside it, roll-ups add up,
and RAG is decided once, on the unrounded value."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from pmo_metrics import charts, measures
from pmo_metrics.ingest import load_sample
from pmo_metrics.measures import Scope
from pmo_metrics.store import Store
from tests.factories_store import benefit, costs, flow, make_store, project, upload


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("truth") / "pmo.duckdb")
    load_sample(store)
    return store, store.reporting_months()[0]


def chart_rows(chart) -> list[dict]:
    """Return the rows of the chart's largest dataset (the marks, not the reference rules)."""
    datasets = chart.to_dict()["datasets"].values()
    return max(datasets, key=len)


def close(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@pytest.mark.parametrize("by", ["strategic_objective", "portfolio", "programme", "project"])
def test_realisation_chart_equals_the_benefits_table(sample, by):
    store, month = sample
    benefits = measures.measure_table(store, "benefits", month).to_pandas()
    money = benefits[(benefits["category"] == "financial") & (benefits["measure"] == "flow")
                     & (benefits["currency"] == "GBP")]
    column = "project_id" if by == "project" else by
    expected = money.groupby(column)[["planned_to_date", "realised_to_date"]].sum()
    rows = measures.realisation(store, month, by).to_pandas()
    drawn = chart_rows(charts.realisation_chart(rows, "GBP"))
    assert len(drawn) == len(expected)
    settings = store.settings()
    for row in drawn:
        assert close(row["planned_to_date"], expected.loc[row["group"], "planned_to_date"])
        assert close(row["realised_to_date"], expected.loc[row["group"], "realised_to_date"])
        planned = expected.loc[row["group"], "planned_to_date"]
        rate = expected.loc[row["group"], "realised_to_date"] / planned if planned else None
        rag = ("none" if rate is None else "green" if rate >= settings.benefit_green
               else "amber" if rate >= settings.benefit_amber else "red")
        assert row["RAG"] == charts.RAG_LABELS[rag]
    # the portfolio's figures are the headline's (tiles and chart agree)
    tiles = measures.headline(store, month)
    assert close(sum(r["planned_to_date"] for r in drawn), tiles["planned_to_date"])
    assert close(sum(r["realised_to_date"] for r in drawn), tiles["realised_to_date"])


def test_top_fifteen_and_others_add_up_to_the_whole(sample):
    store, month = sample
    whole = measures.realisation(store, month, "project").to_pandas()
    top = measures.realisation(store, month, "project", top=5).to_pandas()
    assert len(top) == 6 and top["others"].tolist() == [False] * 5 + [True]
    assert top["label"].iloc[-1] == f"Others ({len(whole) - 5})"
    assert close(top["planned_to_date"].sum(), whole["planned_to_date"].sum())
    assert close(top["realised_to_date"].sum(), whole["realised_to_date"].sum())
    assert list(top["planned_to_date"][:5]) == sorted(whole["planned_to_date"], reverse=True)[:5]


def test_s_curve_ends_at_the_delivery_figures(sample):
    store, month = sample
    delivery = measures.measure_table(store, "delivery", month).to_pandas()
    for row in delivery.head(8).itertuples():
        curve = measures.s_curve(store, month, row.project_id).to_pandas()
        to_date = curve[pd.to_datetime(curve["period"]) <= pd.Timestamp(month)]
        if to_date.empty:  # a project that has not started: nothing to date, as its delivery row says
            assert row.ac == 0 or pd.isna(row.ac)
            continue
        last = to_date.iloc[-1]
        assert close(last["pv"], row.pv) and close(last["ac"], row.ac) and close(last["ev"], row.ev)
        assert close(float(curve["forecast"].dropna().iloc[-1]), row.fac)
        drawn = chart_rows(charts.s_curve_chart(curve, month))
        assert {r["series"] for r in drawn} <= {"PV (planned)", "EV (earned)", "AC (actual)", "Forecast cost"}


def test_rollup_chart_equals_the_rollup_table(sample):
    store, month = sample
    rollup = measures.delivery_rollup(store, month, "programme")
    top = measures.rollup_top(store, rollup, "programme", top=100).to_pandas()
    table = rollup.to_pandas().set_index("programme")
    drawn = chart_rows(charts.delivery_rollup_chart(top, "programme"))
    for row in drawn:
        assert close(row["value"], table.loc[row["programme"], row["index"].lower()])


def test_value_at_risk_equals_the_benefits_table(sample):
    store, month = sample
    benefits = measures.measure_table(store, "benefits", month).to_pandas()
    money = benefits[(benefits["category"] == "financial") & (benefits["measure"] == "flow")]
    risk = (money["planned_total"] - money["risk_adjusted_forecast"]).sort_values(ascending=False)
    top = measures.value_at_risk(store, month, "benefit").to_pandas()
    assert [round(v, 6) for v in top["value_at_risk"]] == [round(v, 6) for v in risk.head(5)]
    projects = measures.value_at_risk(store, month, "project", top=100).to_pandas()
    expected = money.assign(r=money["planned_total"] - money["risk_adjusted_forecast"]).groupby("project_id")["r"].sum()
    assert all(close(r.value_at_risk, expected[r.project_id]) for r in projects.itertuples())


def test_portfolio_npv_is_the_sum_of_project_npvs(sample):
    store, month = sample
    returns = measures.measure_table(store, "returns", month).to_pandas()
    tiles = measures.headline(store, month)
    assert close(tiles["npv"], returns.loc[returns["currency"] == "GBP", "npv"].sum())
    for portfolio in returns["portfolio"].unique():
        scoped = measures.headline(store, month, Scope(portfolio=portfolio))
        assert close(scoped["npv"], returns.loc[returns["portfolio"] == portfolio, "npv"].sum())


def test_a_stray_early_period_of_one_project_changes_no_other_figure(tmp_path):
    rows = {"projects": [project(project_id="P1"), project(project_id="P2", project_name="Two")],
            "financials": costs("P1", "2026-01", 6, "2026-04") + costs("P2", "2026-01", 6, "2026-04"),
            "benefits": [benefit(benefit_id="B1", project_id="P1"), benefit(benefit_id="B2", project_id="P2")],
            "benefit_values": flow("B1", "2026-01", 6, realised_upto="2026-04")
                              + flow("B2", "2026-01", 6, realised_upto="2026-04")}
    store = make_store(tmp_path, "2026-04", **rows)
    before = measures.measure_table(store, "returns", dt.date(2026, 4, 1)).to_pandas().set_index("project_id")
    # P2 gains one small cost five years earlier: only P2's own NPV may move
    upload(store, "2026-04", financials=[*rows["financials"],
                                         {"project_id": "P2", "period": "2021-01", "actual_cost": 1.0}])
    after = measures.measure_table(store, "returns", dt.date(2026, 4, 1)).to_pandas().set_index("project_id")
    assert close(after.loc["P1", "npv"], before.loc["P1", "npv"])
    assert not close(after.loc["P2", "npv"], before.loc["P2", "npv"])
    tiles = measures.headline(store, dt.date(2026, 4, 1))
    assert close(tiles["npv"], after["npv"].sum())
