"""Reporting completeness in the dashboard (SPEC §7.2): it opens on the latest complete month, an
incomplete month says how many projects reported on every page, joiners and leavers on the overview,
closing a month on the Upload page."""

import pytest

from pmo_metrics.store import Store
from tests.app.conftest import assert_clean, open_app
from tests.factories_store import financial, project, upload

PAGES = ["views/delivery.py", "views/kpis.py", "views/performance.py", "views/advantage.py",
         "views/drilldown.py", "views/upload.py", "views/scorecards.py", "views/overview.py"]
FIGURES = {"planned_cost": 1.0, "actual_cost": 1.0, "earned_value": 1.0}
NOTICE = "1 of 3 projects reported for Feb 2026"


@pytest.fixture
def partial_store(tmp_path, monkeypatch) -> Store:
    """January: P1, P2, P3 report. February: only P1 does. March: a complete upload without P3."""
    path = tmp_path / "partial.duckdb"
    monkeypatch.setenv("PMO_METRICS_DB", str(path))
    store = Store(path)
    upload(store, "2026-01", projects=[project(), project(project_id="P2", project_name="Two"),
                                       project(project_id="P3", project_name="Three")],
           financials=[financial(project_id=p, period="2026-01", **FIGURES) for p in ("P1", "P2", "P3")])
    upload(store, "2026-02", mode="incremental", financials=[financial(period="2026-02", **FIGURES)])
    store.close()
    return store


def notices(at) -> list[str]:
    return [w.value for w in at.warning if "projects reported" in w.value]


def test_opens_on_the_latest_complete_month_and_an_incomplete_one_says_so_on_every_page(partial_store):
    at = open_app()
    assert_clean(at)
    assert at.sidebar.selectbox[0].value.isoformat() == "2026-01-01"  # February is not complete
    assert notices(at) == []
    at.sidebar.selectbox[0].select_index(0).run()  # choose February anyway
    for page in PAGES:
        at.switch_page(page).run()
        assert_clean(at)
        assert notices(at) == [NOTICE + ". Projects that have not reported are shown with their latest earlier "
                                        "figures."], page


def test_closing_the_month_on_the_upload_page_makes_it_complete(partial_store):
    at = open_app("views/upload.py")
    at.selectbox(key="close_month_choice").set_value(at.selectbox(key="close_month_choice").options[0]).run()
    at.button(key="close_month").click().run()
    assert_clean(at)
    assert any("closed" in s.value for s in at.success)
    closures = Store(partial_store.path).closures().to_pylist()
    assert [c["month"] for c in closures] == ["2026-02"] and closures[0]["closed_by"]
    fresh = open_app()
    assert fresh.sidebar.selectbox[0].value.isoformat() == "2026-02-01"
    assert notices(fresh) == []


def test_the_overview_names_joiners_and_leavers(partial_store):
    store = Store(partial_store.path)
    upload(store, "2026-03", complete=True, projects=[project(), project(project_id="P2", project_name="Two"),
                                                      project(project_id="P4", project_name="Four")])
    store.close()
    at = open_app()
    assert at.sidebar.selectbox[0].value.isoformat() == "2026-03-01"
    captions = [c.value for c in at.caption if "This month" in c.value]
    assert captions == ["**This month** · 1 joined: Four \\(Core\\) · 1 left: Three \\(Core\\)"]
