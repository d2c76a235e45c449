"""Performance page: realisation charts, waterfall, erosion, tables; objective filter; empty state."""

from tests.app.conftest import assert_clean, frame_with, open_app


def test_performance_on_the_sample(sample_store):
    at = open_app("views/performance.py")
    assert_clean(at)
    assert len(at.get("vega_lite_chart")) == 7  # + benefit map, forecast accuracy, erosion bridge
    frame_with(at, "benefit_id", "erosion")
    frame_with(at, "group_key", "bias")  # the forecast accuracy table
    assert any("Validated realisation" in c.value for c in at.caption)
    frame_with(at, "npv", "payback_month")
    frame_with(at, "strategic_objective", "kpi_attainment")


def test_objective_filter_narrows_the_benefits(sample_store):
    at = open_app("views/performance.py")
    everything = len(frame_with(at, "benefit_id", "erosion"))
    at.sidebar.selectbox[3].select_index(1).run()
    assert_clean(at)
    assert 0 < len(frame_with(at, "benefit_id", "erosion")) < everything


def test_performance_on_an_empty_database(empty_store):
    at = open_app("views/performance.py")
    assert_clean(at)
    assert at.info
