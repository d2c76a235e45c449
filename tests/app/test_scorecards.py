"""Scorecards page: preview tables and on-demand downloads; empty state."""

from tests.app.conftest import assert_clean, frame_with, open_app


def test_scorecard_preview_and_csv(sample_store):
    at = open_app("views/scorecards.py")
    assert_clean(at)
    frame_with(at, "cpi", "eac")
    frame_with(at, "benefit_id", "realisation_rate")
    frame_with(at, "kpi_id", "attainment")
    at.button(key="build_csv").click().run()
    assert_clean(at)
    assert any(b.proto.id and "download_csv" in b.proto.id for b in at.get("download_button"))


def test_scorecards_on_an_empty_database(empty_store):
    at = open_app("views/scorecards.py")
    assert_clean(at)
    assert at.info


def test_excel_is_built_on_demand(sample_store):
    import pytest

    pytest.importorskip("pmo_metrics.exports")
    at = open_app("views/scorecards.py")
    assert "Download Excel workbook" not in [b.label for b in at.get("download_button")]
    at.button(key="build_xlsx").click().run()
    assert_clean(at)
    assert "Download Excel workbook" in [b.label for b in at.get("download_button")]
