"""Measures over snapshots (SPEC §3): corrective re-uploads, time travel, voiding, forecast history,
the value timeline, the headline tiles and the public API's shape."""

import datetime as dt

import pyarrow as pa
import pytest

from pmo_metrics import measures
from pmo_metrics.measures import (
    MEASURES,
    TABLES,
    Scope,
    delivery_rollup,
    forecast_history,
    headline,
    measure_table,
    value_timeline,
)
from tests.factories_store import (
    benchmark,
    benefit,
    financial,
    kpi,
    make_store,
    months,
    project,
    upload,
    value,
)

FEB, MAR, APR = dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1)


def actual_costs(store, as_of):
    return {r["project_id"]: r["ac"] for r in measure_table(store, "delivery", as_of).to_pylist()}


@pytest.fixture
def snapshots(tmp_path):
    store = make_store(tmp_path)
    ids = {
        "march": upload(store, "2026-03", projects=[project(), project(project_id="P2")],
                        financials=[financial(period="2026-03", actual_cost=10),
                                    financial(project_id="P2", period="2026-03", actual_cost=20)]),
        # a corrected March return for P1 only
        "march_fix": upload(store, "2026-03", financials=[financial(period="2026-03", actual_cost=15)]),
        "april": upload(store, "2026-04", financials=[
            financial(project_id="P2", period="2026-03", actual_cost=20),
            financial(project_id="P2", period="2026-04", actual_cost=30)]),
    }
    return store, ids


def test_corrective_reupload_changes_only_the_entities_it_contains(snapshots):
    store, _ = snapshots
    assert actual_costs(store, MAR) == {"P1": 15, "P2": 20}


def test_time_travel(snapshots):
    store, _ = snapshots
    before = actual_costs(store, MAR)
    assert actual_costs(store, APR) == {"P1": 15, "P2": 50}
    assert actual_costs(store, MAR) == before  # a later upload never changes an earlier month
    assert actual_costs(store, FEB) == {}  # nothing was reported yet


def test_voiding_falls_back(snapshots):
    store, ids = snapshots
    store.void(ids["april"])
    assert actual_costs(store, APR) == {"P1": 15, "P2": 20}
    store.void(ids["march_fix"])
    assert actual_costs(store, MAR) == {"P1": 10, "P2": 20}


def test_as_of_may_be_any_day_or_text(snapshots):
    store, _ = snapshots
    assert actual_costs(store, dt.date(2026, 4, 30)) == actual_costs(store, "2026-04") == {"P1": 15, "P2": 50}


@pytest.fixture
def drifting(tmp_path):
    """B1's forecast erodes month by month; P2/B2 sits in another portfolio."""
    store = make_store(tmp_path)
    plan = [value(period=p, planned_value=100) for p in months("2026-01", 6)]
    ids = [
        upload(store, "2026-01", projects=[project()], benefits=[benefit(confidence=0.5)], benefit_values=[
            {**v, "realised_value": 80} if v["period"] == dt.date(2026, 1, 1) else {**v, "forecast_value": 100}
            for v in plan]),
        upload(store, "2026-02", benefit_values=[
            {**v, "realised_value": {1: 80, 2: 90}[v["period"].month]} if v["period"].month <= 2
            else {**v, "forecast_value": 90} for v in plan]),
        upload(store, "2026-03", projects=[project(project_id="P2", portfolio="Other")],
               benefits=[benefit(benefit_id="B2", project_id="P2")],
               benefit_values=[value(benefit_id="B2", period="2026-03", planned_value=5, realised_value=5)]),
    ]
    return store, ids


def test_forecast_history_per_stored_month(drifting):
    store, _ = drifting
    rows = forecast_history(store, benefit_id="B1").to_pylist()
    assert [r["as_of"] for r in rows] == [dt.date(2026, 1, 1), FEB, MAR]
    assert [r["planned_total"] for r in rows] == [600, 600, 600]
    assert [r["realised_to_date"] for r in rows] == [80, 170, 170]
    # January: 80 + 5 × 100; February: 170 + 4 × 90; March: the March forecast is no longer "after m".
    assert [r["forecast_total"] for r in rows] == [580, 530, 440]
    assert [r["risk_adjusted_forecast"] for r in rows] == [290, 265, 220]
    assert rows[1]["erosion"] == pytest.approx((530 - 600) / 600)


def test_forecast_history_selections(drifting):
    store, ids = drifting
    whole = forecast_history(store).to_pylist()
    assert [r["planned_total"] for r in whole] == [600, 600, 605]
    other = forecast_history(store, portfolio="Other").to_pylist()
    assert [r["planned_total"] for r in other] == [None, None, 5]  # every stored month keeps its row
    assert [r["benefits"] for r in other] == [0, 0, 1]
    assert [r["realised_to_date"] for r in forecast_history(store, project_id="P2").to_pylist()] == [None, None, 5]
    assert forecast_history(store, scope=Scope(portfolio="Core")).to_pylist()[2]["planned_total"] == 600
    store.void(ids[1])
    rows = forecast_history(store, benefit_id="B1").to_pylist()
    assert [r["as_of"] for r in rows] == [dt.date(2026, 1, 1), MAR]  # the voided month is gone
    assert rows[1]["forecast_total"] == 80 + 300  # March falls back to the January snapshot


def test_value_timeline(tmp_path):
    store = make_store(
        tmp_path, "2026-02",
        projects=[project(), project(project_id="P3", currency="USD")],
        benefits=[benefit(), benefit(benefit_id="B2", category="non_financial"),
                  benefit(benefit_id="B3", project_id="P3")],
        benefit_values=[
            value(period="2026-01", planned_value=100, realised_value=90),
            value(period="2026-02", planned_value=100, forecast_value=500),
            value(period="2026-04", planned_value=100, forecast_value=120, realised_value=999),
            value(benefit_id="B2", period="2026-01", planned_value=7, realised_value=7),
            value(benefit_id="B3", period="2025-01", planned_value=1e6, realised_value=1e6),
        ],
    )
    table = value_timeline(store, FEB)
    assert table.column_names[:4] == ["period", "planned_cum", "realised_cum", "forecast_cum"]
    rows = table.to_pylist()
    assert [r["period"] for r in rows] == months("2026-01", 4)  # March filled in, other currency left out
    assert [r["planned_cum"] for r in rows] == [100, 200, 200, 300]
    assert [r["realised_cum"] for r in rows] == [90, 90, None, None]
    assert [r["forecast_cum"] for r in rows] == [90, 90, 90, 210]


def test_value_timeline_empty(tmp_path):
    store = make_store(tmp_path, "2026-02", projects=[project()])
    assert value_timeline(store, FEB).num_rows == 0


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    return make_store(
        tmp_path_factory.mktemp("rich"), "2026-03",
        projects=[project(programme="A", stage="closed", end_date="2025-12-31", budget_at_completion=300),
                  project(project_id="P2", programme="A"), project(project_id="P3", currency="USD")],
        financials=[financial(period=p, planned_cost=100, actual_cost=100, earned_value=90)
                    for p in months("2025-10", 3)] + [financial(project_id="P3", actual_cost=5)],
        benefits=[benefit(owner="Ann"), benefit(benefit_id="B2", project_id="P2", category="non_financial",
                                                baseline_value=0, target_value=10)],
        benefit_values=[value(period=p, planned_value=50, realised_value=50) for p in months("2026-01", 3)]
        + [value(benefit_id="B2", period="2026-03", planned_value=5, realised_value=1)],
        kpis=[kpi(period="2026-03", actual=1, target=1, strategic_objective="Grow")],
        benchmarks=[benchmark(our_value=1, peer_median=2)],
        raid=[{"raid_id": "I1", "type": "issue", "title": "An issue", "project_id": "P1", "benefit_ids": "B1"}],
    )


def test_headline(rich):
    tiles = headline(rich, MAR)
    assert tiles["currency"] == "GBP" and tiles["as_of"] == MAR
    assert (tiles["planned_to_date"], tiles["realised_to_date"], tiles["realisation_rate"]) == (150, 150, 1)
    assert (tiles["planned_total"], tiles["forecast_total"], tiles["erosion"]) == (150, 150, 0)
    assert (tiles["bac"], tiles["pv"], tiles["ev"], tiles["ac"]) == (300, 300, 270, 300)  # USD P3 left out
    assert tiles["cpi"] == pytest.approx(0.9) and tiles["spi"] == pytest.approx(0.9)
    assert tiles["roi"] == pytest.approx((150 - 300) / 300)
    assert (tiles["projects"], tiles["benefits"], tiles["projects_other_currency"]) == (3, 2, 1)
    assert tiles["rag"] == {
        "delivery": {"green": 0, "amber": 1, "red": 0, "none": 2},  # P1 at 0.9; P2 and P3 have no EV
        "kpi": {"green": 1, "amber": 0, "red": 0, "none": 0},  # K1; the spend rows are not KPIs (SPEC §11)
        "benefits": {"green": 1, "amber": 0, "red": 1, "none": 0},  # B1 at 1.0; B2 at (1 - 0) / (5 - 0)
        "benchmarks": {"green": 0, "amber": 0, "red": 1, "none": 0},
        "sustained": {"green": 0, "amber": 0, "red": 0, "none": 1},
    }


def test_headline_kpi_rag_counts_the_month_grain(rich):
    # K1 (attainment 1) is green; the two spend KPIs have no target, so no RAG.
    assert headline(rich, MAR)["rag"]["kpi"] == {"green": 1, "amber": 0, "red": 0, "none": 0}  # no spend rows


def test_headline_of_an_empty_store(tmp_path):
    tiles = headline(make_store(tmp_path), MAR)
    assert tiles["projects"] == 0 and tiles["npv"] is None and tiles["cpi"] is None
    assert tiles["rag"]["delivery"] == {"green": 0, "amber": 0, "red": 0, "none": 0}


def test_every_output_column_is_a_documented_measure(rich, drifting):
    store, _ = drifting
    outputs = [measure_table(rich, name, MAR) for name in TABLES]
    outputs += [delivery_rollup(rich, MAR, level) for level in ("programme", "portfolio")]
    outputs += [forecast_history(store), value_timeline(store, MAR)]
    for table in outputs:
        assert isinstance(table, pa.Table)
        missing = [c for c in table.column_names if c not in MEASURES]
        assert not missing
    units = {"currency", "ratio", "months", "month", "number", "text", "rag"}
    for key, measure in MEASURES.items():
        assert measure.name == key and measure.unit in units and measure.spec.startswith("SPEC §")


def test_every_table_has_rows_on_a_rich_store(rich):
    for name in TABLES:
        # one stored month: nothing to compare (several: tests/unit/test_changes.py, test_forecast_accuracy.py)
        if name in ("changes", "forecast_accuracy"):
            assert measure_table(rich, name, MAR).num_rows == 0
            continue
        assert measure_table(rich, name, MAR).num_rows > 0, name


def test_unknown_table_is_refused(rich):
    with pytest.raises(ValueError, match="delivery"):
        measure_table(rich, "nope", MAR)


def test_reporting_months(drifting):
    store, _ = drifting
    assert measures.reporting_months(store) == [MAR, FEB, dt.date(2026, 1, 1)]
