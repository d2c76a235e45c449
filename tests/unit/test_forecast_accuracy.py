"""Forecast accuracy (SPEC §9.4) on a hand-worked case: bias and WAPE per horizon and grouping, zero divisors."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pmo_metrics import charts, cli, measures
from pmo_metrics.store import Store
from tests.factories_store import benefit, file_load, project, value

APR = dt.date(2026, 4, 1)


def _v(benefit_id, period, realised=None, forecast=None):
    return value(benefit_id=benefit_id, period=period, realised_value=realised, forecast_value=forecast)


# Two financial flow benefits in two portfolios, and a non-financial one (never counted). Each full upload
# repeats the realised months before it. Forecasts made in Jan, Feb, Mar; realised known as of Apr:
#   B1 (Core, P1, cost saving): Feb 100, Mar 150, Apr 120;  B2 (Edge, P2, revenue): Feb 40, Mar 0, Apr 0.
UPLOADS = [
    ("2026-01", "sam", [_v("B1", "2026-02", forecast=110), _v("B1", "2026-03", forecast=120),
                        _v("B1", "2026-04", forecast=130), _v("B2", "2026-02", forecast=50),
                        _v("B2", "2026-04", forecast=80), _v("B3", "2026-02", forecast=9)]),
    ("2026-02", "sam", [_v("B1", "2026-02", realised=100), _v("B1", "2026-03", forecast=125),
                        _v("B1", "2026-04", forecast=140), _v("B2", "2026-02", realised=40),
                        _v("B2", "2026-04", forecast=70), _v("B3", "2026-02", realised=1)]),
    ("2026-03", "kim", [_v("B1", "2026-02", realised=100), _v("B1", "2026-03", realised=150),
                        _v("B1", "2026-04", forecast=160), _v("B2", "2026-02", realised=40),
                        _v("B2", "2026-03", realised=0), _v("B2", "2026-04", forecast=75)]),
    ("2026-04", "kim", [_v("B1", "2026-02", realised=100), _v("B1", "2026-03", realised=150),
                        _v("B1", "2026-04", realised=120), _v("B2", "2026-02", realised=40),
                        _v("B2", "2026-03", realised=0), _v("B2", "2026-04", realised=0)]),
]
PROJECTS = [project(project_id="P1", portfolio="Core"), project(project_id="P2", project_name="Two", portfolio="Edge")]
BENEFITS = [benefit(benefit_id="B1", project_id="P1", benefit_type="cost saving"),
            benefit(benefit_id="B2", project_id="P2", benefit_type="revenue"),
            benefit(benefit_id="B3", project_id="P1", category="non_financial", unit="score")]


@pytest.fixture(scope="module")
def accuracy_store(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("accuracy") / "t.duckdb")
    for as_of, user, values in UPLOADS:
        store.load([file_load(as_of, projects=PROJECTS, benefits=BENEFITS, benefit_values=values)], user=user)
    store.wait_for_month_rows()
    return store


@pytest.fixture(scope="module")
def table(accuracy_store) -> pd.DataFrame:
    return measures.measure_table(accuracy_store, "forecast_accuracy", APR).to_pandas()


def _one(table, level, group, h) -> dict:
    rows = table[(table["level"] == level) & (table["group_key"] == group) & (table["horizon_months"] == h)]
    assert len(rows) == 1, (level, group, h)
    return rows.iloc[0].to_dict()


def test_the_scope_at_one_month(table):
    # pairs (forecast made a month before ↔ realised): B1 Feb 110↔100, Mar 125↔150, Apr 160↔120;
    # B2 Feb 50↔40, Apr 75↔0 (no forecast of B2 for March was made in February: no pair)
    row = _one(table, "all", "All", 1)
    assert row["pairs"] == 5
    assert (row["forecast_sum"], row["realised_sum"]) == (520, 410)
    assert row["bias"] == pytest.approx(520 / 410 - 1)
    assert row["wape"] == pytest.approx((10 + 25 + 40 + 10 + 75) / 410)


def test_the_scope_at_three_months(table):
    # only April has a forecast three stored months before it (January): B1 130↔120, B2 80↔0
    row = _one(table, "all", "All", 3)
    assert (row["pairs"], row["bias"], row["wape"]) == (2, pytest.approx(210 / 120 - 1), pytest.approx(90 / 120))


def test_no_rows_where_no_forecast_was_made_that_far_ahead(table):
    assert set(table["horizon_months"]) == {1, 3}


def test_per_portfolio_project_type_and_submitter(table):
    core = _one(table, "portfolio", "Core", 1)
    assert core["bias"] == pytest.approx(395 / 370 - 1) and core["wape"] == pytest.approx(75 / 370)
    assert _one(table, "project", "P1", 1)["bias"] == pytest.approx(core["bias"])
    assert _one(table, "benefit_type", "cost saving", 1)["pairs"] == 3
    # sam made January's and February's forecasts, kim March's: the chronic over-forecaster is visible
    sam, kim = _one(table, "submitter", "sam", 1), _one(table, "submitter", "kim", 1)
    assert (sam["pairs"], sam["bias"]) == (3, pytest.approx(285 / 290 - 1))
    assert (kim["pairs"], kim["bias"]) == (2, pytest.approx(235 / 120 - 1))


def test_nothing_realised_leaves_bias_and_wape_empty(table):
    # Edge at three months: 80 forecast, 0 realised: Σ realised is 0, so both ratios are empty, not inf
    edge = _one(table, "portfolio", "Edge", 3)
    assert edge["pairs"] == 1 and pd.isna(edge["bias"]) and pd.isna(edge["wape"])


def test_non_financial_benefits_are_not_compared(table):
    assert "P1" in set(table["group_key"]) and _one(table, "project", "P1", 1)["pairs"] == 3


def test_scope_filter_and_an_earlier_month(accuracy_store):
    edge = measures.forecast_accuracy(accuracy_store, APR, measures.Scope(portfolio="Edge"), level="all")
    assert edge["pairs"].to_pylist() == [2, 1]
    # as of February only B1's and B2's February are known, each forecast in January
    feb = measures.measure_table(accuracy_store, "forecast_accuracy", dt.date(2026, 2, 1)).to_pandas()
    assert _one(feb, "all", "All", 1)["bias"] == pytest.approx(160 / 140 - 1)


def test_an_empty_store_and_a_single_month_give_no_rows(store):
    assert measures.measure_table(store, "forecast_accuracy", APR).num_rows == 0
    store.load([file_load("2026-04", projects=PROJECTS, benefits=BENEFITS, benefit_values=UPLOADS[-1][2])])
    found = measures.measure_table(store, "forecast_accuracy", APR)
    assert found.num_rows == 0 and set(measures.COLUMNS["forecast_accuracy"]) <= set(found.column_names)


def test_the_command_line_prints_the_table(accuracy_store, capsys):
    assert cli.main(["measures", "forecast_accuracy", "--db", str(accuracy_store.path), "--as-of", "2026-04"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("level,group_key,horizon_months,bias,wape,pairs")
    assert any(line.startswith("portfolio,Edge,3,,,1") for line in lines)


def test_the_chart_draws_bias_by_horizon(table):
    spec = charts.forecast_accuracy_chart(table, "submitter").to_dict()
    layers = spec["layer"]
    assert len(layers) == 3  # the zero rule, the groups, the scope
    assert not charts.selection_names(charts.forecast_accuracy_chart(table, "submitter"))
    empty = charts.forecast_accuracy_chart(table.iloc[0:0], "portfolio")
    assert "No forecasts to compare" in str(empty.to_dict())


def test_the_kept_forecasts_and_the_live_snapshots_agree(tmp_path):
    from pmo_metrics import month_rows

    store = Store(tmp_path / "t.duckdb")
    for as_of, user, values in UPLOADS:
        store.load([file_load(as_of, projects=PROJECTS, benefits=BENEFITS, benefit_values=values)], user=user)
    store.wait_for_month_rows()
    kept = measures.measure_table(store, "forecast_accuracy", APR).to_pylist()
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM benefit_month_forecasts").fetchall()[0][0] > 0
        month_rows.refresh(con)  # forget every kept month: the query derives each snapshot instead
    live = measures.measure_table(store, "forecast_accuracy", APR).to_pylist()
    assert live == kept and len(kept) > 0
