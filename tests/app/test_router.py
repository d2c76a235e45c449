"""Router: filters persist across pages, the first-start sample load, errors shown as messages."""

from tests.app.conftest import assert_clean, open_app

PAGES = ["views/delivery.py", "views/kpis.py", "views/performance.py", "views/advantage.py",
         "views/drilldown.py", "views/upload.py", "views/scorecards.py", "views/overview.py"]


def test_filters_persist_across_pages(sample_store):
    at = open_app()
    at.sidebar.selectbox[0].select_index(2).run()
    at.sidebar.selectbox[1].select_index(2).run()
    chosen = (at.sidebar.selectbox[0].value, at.sidebar.selectbox[1].value)
    for page in PAGES:
        at.switch_page(page).run()
        assert_clean(at)
        assert (at.sidebar.selectbox[0].value, at.sidebar.selectbox[1].value) == chosen, page


def test_a_fresh_database_gets_the_sample_once(empty_store, sample_calls):
    at = open_app()
    assert_clean(at)
    assert sample_calls == [empty_store.path]


def test_a_store_error_is_a_message_not_a_traceback(sample_store, monkeypatch):
    from pmo_metrics import measures
    from pmo_metrics.store import StoreBusy

    def busy(*args, **kwargs):
        raise StoreBusy("the database pmo.duckdb is busy with another load; try again in a minute")

    monkeypatch.setattr(measures, "headline", busy)
    at = open_app()
    assert not at.exception
    assert any("busy" in e.value for e in at.error)


def open_link(**params: str):
    """Return the app run as a shared link with these query parameters opens it."""
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP, TIMEOUT

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def test_a_shared_link_opens_the_view_it_names_and_the_address_follows_the_filters(sample_store):
    at = open_link(month="2026-08", portfolio="Operational Excellence")
    assert_clean(at)
    month, portfolio = at.sidebar.selectbox[0], at.sidebar.selectbox[1]
    assert (f"{month.value:%Y-%m}", portfolio.value) == ("2026-08", "Operational Excellence")
    portfolio.select_index(0).run()  # back to all portfolios
    assert dict(at.query_params) == {"month": "2026-08"}


def test_a_link_naming_something_this_database_lacks_falls_back_to_all(sample_store):
    at = open_link(month="1999-01", portfolio="'; DROP TABLE projects; --")
    assert_clean(at)
    assert at.sidebar.selectbox[1].value is None
    assert f"{at.sidebar.selectbox[0].value:%Y-%m}" == "2026-10"  # the latest month, as without a link


def test_there_is_no_pages_folder_for_streamlit_to_run_pages_from_without_the_router():
    # A pages/ folder next to app.py puts a fresh server in Streamlit's folder-based mode: the first
    # visitor arriving by a page link (/delivery) got that script alone, with no filters or data.
    from pathlib import Path

    assert not (Path(__file__).resolve().parents[2] / "pages").exists()
