"""Router: filters persist across pages, the first-start sample load, errors shown as messages."""

from pmo_metrics.ui import data as ui_data
from tests.app.conftest import assert_clean, open_app

PAGES = ["pages/delivery.py", "pages/kpis.py", "pages/performance.py", "pages/advantage.py",
         "pages/drilldown.py", "pages/upload.py", "pages/scorecards.py", "pages/overview.py"]


def test_filters_persist_across_pages(sample_store):
    at = open_app()
    at.sidebar.selectbox[0].select_index(2).run()
    at.sidebar.selectbox[1].select_index(2).run()
    chosen = (at.sidebar.selectbox[0].value, at.sidebar.selectbox[1].value)
    for page in PAGES:
        at.switch_page(page).run()
        assert_clean(at)
        assert (at.sidebar.selectbox[0].value, at.sidebar.selectbox[1].value) == chosen, page


def test_a_fresh_database_gets_the_sample_once(empty_store, monkeypatch):
    calls = []

    def fake_sample(store, progress):
        calls.append(store.path)
        progress(1.0, "done")

    monkeypatch.delenv("PMO_METRICS_NO_SAMPLE")
    monkeypatch.setattr(ui_data, "load_sample", fake_sample)
    at = open_app()
    assert_clean(at)
    assert calls == [empty_store.path]
    monkeypatch.setenv("PMO_METRICS_NO_SAMPLE", "1")


def test_a_store_error_is_a_message_not_a_traceback(sample_store, monkeypatch):
    from pmo_metrics import measures
    from pmo_metrics.store import StoreBusy

    def busy(*args, **kwargs):
        raise StoreBusy("the database pmo.duckdb is busy with another load; try again in a minute")

    monkeypatch.setattr(measures, "headline", busy)
    at = open_app()
    assert not at.exception
    assert any("busy" in e.value for e in at.error)
