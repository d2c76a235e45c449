"""Re-baselines on the pages (SPEC §9.1, §9.2): the pending list and its decision on Upload, the bridge on
Performance."""

from __future__ import annotations

from tests.app.conftest import assert_clean, frame_with, open_app
from tests.factories_store import benefit, file_load, months, project


def _pending_cut(store) -> None:
    """B1 planned 1,000 a month from April; June's upload halves the last 8 months without declaring it."""
    for as_of, plans in (("2026-04", [1000.0] * 12), ("2026-06", [1000.0] * 4 + [500.0] * 8)):
        rows = [{"benefit_id": "B1", "period": p, "planned_value": v, "forecast_value": 800.0}
                for p, v in zip(months("2026-04", 12), plans, strict=True)]
        store.load([file_load(as_of, projects=[project()], benefits=[benefit()], benefit_values=rows)])
    store.wait_for_month_rows()


def test_a_pmo_manager_approves_a_pending_rebaseline_on_the_upload_page(empty_store):
    _pending_cut(empty_store)
    at = open_app("views/upload.py")
    assert_clean(at)
    pending = frame_with(at, "rebaseline_id", "entity_key", "baseline_total", "proposed_total")
    assert pending[["entity_key", "baseline_total", "proposed_total"]].values.tolist() == [["B1", 8000.0, 4000.0]]
    approve = [b for b in at.button if b.label == "Approve"][0]
    assert approve.disabled  # no reason yet
    at.text_input(key="rebaseline_reason").set_value("agreed at the June board").run()
    [b for b in at.button if b.label == "Approve"][0].click().run()
    assert_clean(at)
    assert any("approved" in s.value for s in at.success)
    [row] = empty_store.rebaselines(include_decided=True).to_pylist()
    assert (row["status"], row["reason"]) == ("approved", "agreed at the June board")
    assert any("No pending re-baselines" in c.value for c in at.caption)
    decided = frame_with(at, "rebaseline_id", "decided_by", "reason")
    assert decided["reason"].tolist() == ["agreed at the June board"]


def test_the_bridge_waterfall_and_erosion_original_on_the_performance_page(empty_store):
    _pending_cut(empty_store)
    empty_store.decide_rebaseline(1, True, "agreed", "pat")
    empty_store.wait_for_month_rows()
    at = open_app("views/performance.py")
    assert_clean(at)
    assert any("Erosion bridge" in h.value for h in at.subheader)
    projects = frame_with(at, "original_baseline_total", "rebaselined", "current_baseline_total")
    assert projects[["original_baseline_total", "rebaselined", "current_baseline_total", "forecast_total"]
                    ].values.tolist() == [[12_000.0, -4_000.0, 8_000.0, 7_200.0]]  # 9 months after June × 800
    benefits = frame_with(at, "erosion", "erosion_original")
    assert benefits["erosion_original"].tolist() == [(7_200 - 12_000) / 12_000]
