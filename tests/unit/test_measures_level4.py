"""Level 4 competitive advantage (SPEC §4): benchmark gaps and position, sustained value."""

import datetime as dt

import pytest

from pmo_metrics.measures import COLUMNS, Scope, measure_table
from pmo_metrics.settings import Settings
from tests.factories_store import benchmark, benefit, financial, make_store, months, project, value

MAR = dt.date(2026, 3, 1)
N3 = Settings(sustained_window_months=3, sustained_threshold=0.9)


def metrics(store, as_of=MAR, **kw):
    return {r["metric"]: r for r in measure_table(store, "benchmarks", as_of, **kw).to_pylist()}


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    rows = [
        ("up-above", 3, 2, 4, None), ("up-top", 4, 2, 4, "higher_is_better"), ("up-below", 1.5, 2, 4, None),
        ("down-above", 80, 100, 70, "lower_is_better"), ("down-top", 70, 100, 70, "lower_is_better"),
        ("down-below", 120, 100, 70, "lower_is_better"), ("no-top", 5, 2, None, None),
        ("zero-median", 5, 0, 1, None), ("down-zero-ours", 0, 5, 1, "lower_is_better"),
    ]
    return make_store(tmp_path_factory.mktemp("peers"), "2026-03", benchmarks=[
        benchmark(metric=m, our_value=o, peer_median=md, peer_top_quartile=t, direction=d) for m, o, md, t, d in rows
    ] + [benchmark(metric="up-top", period="2025-12", our_value=0, peer_median=9),
         benchmark(metric="up-top", period="2026-06", our_value=0, peer_median=9)])  # older / future readings


def test_columns_in_spec_order(peers):
    table = measure_table(peers, "benchmarks", MAR)
    assert tuple(table.column_names[: len(COLUMNS["benchmarks"])]) == COLUMNS["benchmarks"]


@pytest.mark.parametrize(("metric", "gap", "index", "position"), [
    ("up-above", 1, 1.5, "above median"),
    ("up-top", 2, 2.0, "top quartile"),
    ("up-below", -0.5, 0.75, "below median"),
    ("down-above", 20, 1.25, "above median"),  # lower is better: gap and index flipped, positive is good
    ("down-top", 30, 100 / 70, "top quartile"),
    ("down-below", -20, 100 / 120, "below median"),
    ("no-top", 3, 2.5, "above median"),
    ("zero-median", 5, None, "top quartile"),
    ("down-zero-ours", 5, None, "top quartile"),
])
def test_gap_index_and_position(peers, metric, gap, index, position):
    row = metrics(peers)[metric]
    assert row["gap_to_median"] == pytest.approx(gap)
    assert row["relative_index"] == (None if index is None else pytest.approx(index))
    assert row["position"] == position


def test_latest_period_to_date_and_never_scope_filtered(peers):
    row = metrics(peers, scope=Scope(portfolio="nobody"))["up-top"]
    assert row["period"] == dt.date(2026, 1, 1) and row["our_value"] == 4
    assert metrics(peers, dt.date(2026, 6, 1))["up-top"]["our_value"] == 0


def sustained(store, as_of=MAR, settings=N3):
    return {r["benefit_id"]: r for r in measure_table(store, "sustained", as_of, settings=settings).to_pylist()}


@pytest.fixture(scope="module")
def ended(tmp_path_factory):
    after = months("2026-01", 3)
    return make_store(
        tmp_path_factory.mktemp("ended"), "2026-03",
        projects=[project(stage="closed", end_date="2025-12-15"),
                  project(project_id="P2", stage="execution", end_date="2026-03-10"),  # ends in m: not yet ended
                  project(project_id="P3", stage="closing", end_date="2025-10-01"),  # ended by date
                  project(project_id="P4", stage="closed"),  # no end date: last financials period
                  project(project_id="P5", stage="closed")],  # no end date, no financials
        financials=[financial(project_id="P4", period="2025-11", actual_cost=1),
                    financial(project_id="P4", period="2025-12", actual_cost=1)],
        benefits=[benefit(), benefit(benefit_id="B2"), benefit(benefit_id="B3"), benefit(benefit_id="B4"),
                  benefit(benefit_id="B5", category="non_financial"),
                  benefit(benefit_id="B6", project_id="P2"), benefit(benefit_id="B7", project_id="P3"),
                  benefit(benefit_id="B8", project_id="P4"), benefit(benefit_id="B9", project_id="P5")],
        benefit_values=[
            value(period="2025-11", planned_value=100, realised_value=1000),  # before the end: not counted
            *[value(period=p, planned_value=100, realised_value=r) for p, r in zip(after, (95, 90, 100), strict=True)],
            *[value(benefit_id="B2", period=p, planned_value=100, realised_value=r)
              for p, r in zip(after, (95, 80, 100), strict=True)],
            # B3: only two months with a plan after the end
            value(benefit_id="B3", period="2026-01", planned_value=100, realised_value=100),
            value(benefit_id="B3", period="2026-02", realised_value=100),
            value(benefit_id="B3", period="2026-03", planned_value=100, realised_value=100),
            # B4: a planned month with nothing realised fails
            *[value(benefit_id="B4", period=p, planned_value=10, realised_value=r)
              for p, r in zip(after, (10, None, 10), strict=True)],
            *[value(benefit_id="B5", period=p, planned_value=7, realised_value=7) for p in after],
            *[value(benefit_id="B7", period=p, planned_value=1, realised_value=1) for p in months("2025-09", 7)],
            *[value(benefit_id="B8", period=p, planned_value=1, realised_value=2) for p in months("2025-12", 4)],
        ],
    )


def test_columns_in_spec_order_sustained(ended):
    table = measure_table(ended, "sustained", MAR, settings=N3)
    assert tuple(table.column_names[: len(COLUMNS["sustained"])]) == COLUMNS["sustained"]


def test_sustained(ended):
    rows = sustained(ended)
    assert set(rows) == {"B1", "B2", "B3", "B4", "B5", "B7", "B8", "B9"}  # B6: project not ended
    assert rows["B1"]["sustained"] is True  # 95, 90, 100 >= 90 % of 100
    assert rows["B1"]["sustained_value"] == 285
    assert rows["B1"]["end_month"] == dt.date(2025, 12, 1)
    assert rows["B2"]["sustained"] is False  # 80 < 90 in one of the last 3
    assert rows["B3"]["sustained"] is None  # fewer than N months with a plan
    assert rows["B3"]["sustained_value"] == 300
    assert rows["B4"]["sustained"] is False
    assert rows["B5"]["sustained"] is True and rows["B5"]["sustained_value"] is None  # non-financial
    assert rows["B7"]["sustained"] is True and rows["B7"]["sustained_value"] == 5  # 2025-11 .. 2026-03
    assert rows["B8"]["end_month"] == dt.date(2025, 12, 1)
    assert rows["B8"]["sustained_value"] == 6
    assert rows["B9"]["sustained"] is None and rows["B9"]["sustained_value"] is None  # no end month


def test_only_the_last_n_planned_months_count(ended):
    rows = sustained(ended, dt.date(2026, 3, 1), Settings(sustained_window_months=1))
    assert rows["B2"]["sustained"] is True  # the 80 in February is outside the last month
    assert sustained(ended, settings=Settings())["B1"]["sustained"] is None  # default N = 6
