"""Overview page: tiles, headline chart, levels at a glance; filters change the figures; empty database."""

import time

from tests.app.conftest import assert_clean, open_app


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_on_the_sample(sample_store):
    at = open_app()
    assert_clean(at)
    tiles = _tiles(at)
    assert tiles["Realised to date"].startswith("£")  # one money format (SPEC §7.4)
    assert tiles["Realisation rate"].endswith("%")
    assert {"Portfolio CPI", "Portfolio SPI", "NPV", "ROI to date", "Erosion (forecast vs plan)"} <= set(tiles)
    # Month-on-month deltas against the previous stored month.
    assert all(m.delta for m in at.metric)
    assert "As of **Oct 2026**" in at.caption[0].value
    assert len(at.get("vega_lite_chart")) >= 1
    assert [m.proto.page for m in at.get("page_link")]  # click-through to the level pages


def test_month_and_portfolio_filters_change_the_figures(sample_store, record_property):
    at = open_app()
    before = _tiles(at)
    month = at.sidebar.selectbox[0]
    assert month.label == "Reporting month" and month.index == 0  # newest month with data by default
    started = time.perf_counter()
    month.select_index(1).run()
    record_property("filter_change_seconds", round(time.perf_counter() - started, 3))
    assert_clean(at)
    after_month = _tiles(at)
    assert after_month["Realised to date"] != before["Realised to date"]
    assert "Sep 2026" in at.caption[0].value
    at.sidebar.selectbox[1].select_index(1).run()  # first real portfolio
    assert_clean(at)
    assert _tiles(at)["Realised to date"] != after_month["Realised to date"]
    # Programme options narrow to the chosen portfolio.
    programmes = at.sidebar.selectbox[2].options
    assert programmes[0] == "All programmes" and 1 < len(programmes) < 8


def test_overview_on_an_empty_database(empty_store):
    at = open_app()
    assert_clean(at)
    assert not at.metric
    assert any("no data yet" in i.value.lower() for i in at.info)
    assert empty_store.is_empty()  # PMO_METRICS_NO_SAMPLE=1 kept the sample out
