"""The erosion bridge and erosion_original (SPEC §9.2): hand-worked values and the two identities."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmo_metrics import measures
from pmo_metrics.measures import Scope, measure_table
from pmo_metrics.store import Store
from tests.factories_store import benefit, file_load, months, project

APR, JUN, AUG = dt.date(2026, 4, 1), dt.date(2026, 6, 1), dt.date(2026, 8, 1)


def values(plans, as_of: dt.date, benefit_id: str = "B1", first: str = "2026-04") -> list[dict]:
    """Plans as given; 900 realised in each month to `as_of`, 800 forecast after it."""
    rows = []
    for period, plan in zip(months(first, len(plans)), plans, strict=True):
        row = {"benefit_id": benefit_id, "period": period, "planned_value": plan}
        row.update({"realised_value": 900.0} if period <= as_of else {"forecast_value": 800.0})
        rows.append(row)
    return rows


def load(store, as_of: str, plans, reason=None) -> int:
    month = dt.date.fromisoformat(as_of + "-01")
    item = file_load(as_of, projects=[project()], benefits=[benefit()], benefit_values=values(plans, month))
    item.rebaseline_reason = reason
    return store.load([item])[0]


@pytest.fixture(scope="module")
def worked(tmp_path_factory) -> Store:
    """12,000 planned from April; June cuts the last 8 months to 500 (approved); August adds 2 months at 500."""
    store = Store(tmp_path_factory.mktemp("bridge") / "t.duckdb")
    load(store, "2026-04", [1000.0] * 12)
    load(store, "2026-06", [1000.0] * 4 + [500.0] * 8)
    store.decide_rebaseline(1, True, "scope cut agreed", "pat")
    load(store, "2026-08", [1000.0] * 4 + [500.0] * 10)
    store.wait_for_month_rows()
    return store


def one(table) -> dict:
    [row] = table.to_pylist()
    return row


def test_the_hand_worked_bridge_in_june(worked):
    row = one(measures.bridge(worked, JUN))
    # original 12,000; re-baselined −4,000 (8 months × −500); current 8,000;
    # forecast = 3 months realised × 900 + 9 months × 800 = 9,900; change +1,900
    assert (row["original_baseline_total"], row["rebaselined"], row["current_baseline_total"],
            row["forecast_change"], row["forecast_total"]) == (12_000, -4_000, 8_000, 1_900, 9_900)
    assert (row["from_month"], row["to_month"]) == (APR, JUN)


def test_an_extension_is_not_a_rebaseline(worked):
    row = one(measures.bridge(worked, AUG))
    # August adds 2 months at 500 to both baselines; forecast = 5 × 900 + 9 × 800 = 11,700
    assert (row["original_baseline_total"], row["rebaselined"], row["current_baseline_total"],
            row["forecast_change"], row["forecast_total"]) == (13_000, -4_000, 9_000, 2_700, 11_700)
    assert worked.rebaselines().num_rows == 0  # the August plan keeps the approved one


def test_from_a_month_after_the_rebaseline_nothing_was_rebaselined(worked):
    row = one(measures.bridge(worked, AUG, from_month=JUN))
    assert (row["original_baseline_total"], row["rebaselined"], row["current_baseline_total"]) == (9_000, 0, 9_000)
    with pytest.raises(ValueError, match="after its month"):
        measures.bridge(worked, JUN, from_month=AUG)


def test_erosion_original_beside_erosion(worked):
    row = one(measure_table(worked, "benefits", JUN))
    assert row["planned_total"] == 8_000
    assert row["erosion"] == pytest.approx((9_900 - 8_000) / 8_000)  # 0.2375: looks like over-delivery
    assert row["erosion_original"] == pytest.approx((9_900 - 12_000) / 12_000)  # −0.175: the leak
    april = one(measure_table(worked, "benefits", APR))
    assert april["erosion"] == april["erosion_original"] == pytest.approx((3 * 0 + 900 + 11 * 800 - 12_000) / 12_000)


def test_rollups_and_the_waterfall(worked):
    rows = measures.bridge(worked, JUN)
    for level in measures.BRIDGE_LEVELS:
        [total] = measures.bridge_rollup(worked, JUN, level, rows=rows).to_pylist()
        assert (total["benefits"], total["original_baseline_total"], total["forecast_total"]) == (1, 12_000, 9_900)
        assert total["project_id"] == ("P1" if level == "project" else None)
    steps = measures.bridge_waterfall(worked, rows).to_pylist()
    assert [(s["step"], s["start"], s["end"]) for s in steps] == [
        ("Original baseline", 0, 12_000), ("Approved re-baselines", 12_000, 8_000),
        ("Current baseline", 0, 8_000), ("Forecast change", 8_000, 9_900), ("Forecast total", 0, 9_900)]
    assert measures.bridge_waterfall(worked, rows.slice(0, 0)).num_rows == 0  # nothing to draw
    with pytest.raises(ValueError, match="unknown bridge level"):
        measures.bridge_rollup(worked, JUN, "benefit", rows=rows)


def test_the_bridge_is_a_measures_table_with_its_columns(worked):
    table = measure_table(worked, "bridge", JUN, Scope(portfolio="Core"))
    assert tuple(table.column_names[: len(measures.COLUMNS["bridge"])]) == measures.COLUMNS["bridge"]
    assert measure_table(worked, "bridge", JUN, Scope(portfolio="Elsewhere")).num_rows == 0


def test_a_level_or_non_financial_benefit_is_not_in_the_bridge(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    store.load([file_load("2026-04", projects=[project()],
                          benefits=[benefit(benefit_id="B2", category="non_financial", measure="level")],
                          benefit_values=values([5.0, 6.0], APR, "B2"))])
    assert measures.bridge(store, APR).num_rows == 0
    assert measures.bridge_waterfall(store, measures.bridge(store, APR)).num_rows == 0


# -- random portfolios --------------------------------------------------------------------------

MONTHS = ("2026-04", "2026-05", "2026-06", "2026-07")
PLAN = st.sampled_from([None, 0.0, 100.0, 250.0, 400.0])
UPLOAD = st.tuples(st.sampled_from(MONTHS), st.lists(st.lists(PLAN, min_size=4, max_size=4), min_size=2, max_size=2),
                   st.booleans())


def two_benefit_return(as_of: str, plans, declared: bool):
    """A return of benefits B0 and B1 with these plans (one list per benefit), declaring a re-baseline or not."""
    month = dt.date.fromisoformat(as_of + "-01")
    item = file_load(as_of, projects=[project()], benefits=[benefit(benefit_id=f"B{b}") for b in range(2)],
                     benefit_values=[r for b, row in enumerate(plans) for r in values(row, month, f"B{b}")])
    item.rebaseline_reason = "declared" if declared else None
    return item


def _oracle(uploads, approved: set[tuple[int, str]], month: str) -> dict[tuple[int, int], float]:
    """Replay the uploads to `month` in (month, id) order by the rule of SPEC §9.1 and return the current
    baseline per (benefit, period): the first plan sets it; an upload of the month that set it corrects
    it; one of a later month moves it only when its re-baseline of that benefit was approved."""
    base: dict[tuple[int, int], tuple[float, str]] = {}
    for upload_id, (as_of, plans, _) in sorted(enumerate(uploads, 1), key=lambda u: (u[1][0], u[0])):
        if as_of > month:
            continue
        for b, row in enumerate(plans):
            for p, plan in enumerate(row):
                held = base.get((b, p))
                if plan is None:
                    continue
                if held is None or (upload_id, f"B{b}") in approved:
                    base[(b, p)] = (plan, as_of)
                elif held[1] == as_of:
                    base[(b, p)] = (plan, held[1])
    return {key: plan for key, (plan, _) in base.items()}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(uploads=st.lists(UPLOAD, min_size=1, max_size=4), approve_later=st.booleans())
def test_the_identities_and_the_baseline_on_random_portfolios(uploads, approve_later):
    uploads = sorted(uploads, key=lambda u: u[0])  # returns arrive in month order (docs/baselines.md)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "t.duckdb")
        try:
            for as_of, plans, declared in uploads:
                store.load([two_benefit_return(as_of, plans, declared)])
            pending = store.rebaselines().to_pylist()
            if approve_later:
                for row in pending:
                    store.decide_rebaseline(row["rebaseline_id"], True, "approved later", "pat")
            approved = {(r["upload_id"], r["entity_key"]) for r in store.rebaselines(include_decided=True).to_pylist()
                        if r["status"] == "approved"}
            last = max(as_of for as_of, _, _ in uploads)
            as_of = dt.date.fromisoformat(last + "-01")
            bridge = {r["benefit_id"]: r for r in measures.bridge(store, as_of).to_pylist()}
            benefits = {r["benefit_id"]: r for r in measure_table(store, "benefits", as_of).to_pylist()}
            snapshot = [plans for month, plans, _ in uploads if month == last][-1]
            base = _oracle(uploads, approved, last)
            for b in range(2):
                row, measure = bridge[f"B{b}"], benefits[f"B{b}"]
                assert row["original_baseline_total"] + row["rebaselined"] == row["current_baseline_total"]
                assert row["current_baseline_total"] + row["forecast_change"] == row["forecast_total"]
                assert row["current_baseline_total"] == measure["planned_total"]
                assert row["forecast_total"] == measure["forecast_total"]
                # a blank plan in the snapshot's row reads as no plan (docs/baselines.md)
                assert measure["planned_total"] == sum(plan for (k, p), plan in base.items()
                                                       if k == b and snapshot[b][p] is not None)
                original = row["original_baseline_total"]
                assert measure["erosion_original"] == (
                    None if original == 0 else pytest.approx((row["forecast_total"] - original) / original))
        finally:
            store.close()


def test_an_approved_upload_does_not_carry_an_earlier_pending_one_of_its_month(tmp_path):
    """Found by the random test: May's first upload changes period 4 (pending); May's second, declared,
    changes only period 1. Period 4 keeps its April baseline."""
    store = Store(tmp_path / "t.duckdb")
    for as_of, plans, reason in (("2026-04", [0.0, None, None, 100.0], None),
                                 ("2026-05", [None, None, None, 0.0], None),
                                 ("2026-05", [100.0, None, None, None], "re-planned"),
                                 ("2026-06", [100.0, None, None, 100.0], None)):  # April's plan for period 4
        load(store, as_of, plans, reason)
    assert one(measure_table(store, "benefits", JUN))["planned_total"] == 200
    assert store.rebaselines().column("periods").to_pylist() == [1]  # May's first, still pending


# -- the quick step for the latest return ------------------------------------------------------------

STEP = st.tuples(st.sampled_from(("load", "load", "load", "void", "approve")), st.sampled_from(MONTHS),
                 st.lists(st.lists(PLAN, min_size=4, max_size=4), min_size=2, max_size=2), st.booleans())


def _baseline_tables(store) -> tuple[list, list]:
    with store.connect() as con:
        return (con.execute("SELECT kind, entity_key, period, planned, upload_id, valid_from, valid_to "
                            "FROM plan_baselines ORDER BY ALL").fetchall(),
                con.execute("SELECT * FROM plan_overrides ORDER BY ALL").fetchall())


@settings(max_examples=25, deadline=None)
@given(steps=st.lists(STEP, min_size=1, max_size=6))
def test_the_latest_returns_quick_step_equals_recomputing_the_history(steps):
    """A return later than every other of its entities is applied from its own rows (baselines.py); a
    late return, a second file of a month, a void or a decision recomputes the history. Whatever the
    order, the ranges and overrides equal a recompute of everything from the loaded uploads."""
    from pmo_metrics import baselines

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "t.duckdb")
        try:
            loaded: list[int] = []
            for action, as_of, plans, declared in steps:
                if action == "void" and loaded:
                    store.void(loaded.pop(0))
                elif action == "approve" and store.rebaselines().num_rows:
                    store.decide_rebaseline(store.rebaselines().column("rebaseline_id")[0].as_py(), True, "ok", "pat")
                else:
                    loaded += [i for i in store.load([two_benefit_return(as_of, plans, declared)]) if i is not None]
            kept = _baseline_tables(store)
            with store.connect() as con:
                baselines.recompute_all(con)
            assert _baseline_tables(store) == kept
        finally:
            store.close()
