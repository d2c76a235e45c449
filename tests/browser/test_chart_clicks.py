"""Browser test: a click on a chart does what its caption says (SPEC §11), on the sample; and every
page drawn on a sparse store (screenshots in test-artifacts/screenshots/).

Clicking a project on the delivery quadrant changes the S-curve's project; on the drill-down it
opens the project and puts it in the address bar, and the browser's Back returns to the level before.
Marks are found the way a user finds them: by moving over the chart until its tooltip names a project.
"""

from __future__ import annotations

import os
import re

import pytest

from pmo_metrics.ingest import load_sample
from pmo_metrics.store import Store
from tests.browser.serve import start_app, stop
from tests.browser.test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, _charts_drawn, _settle, _shot
from tests.sparse_stores import build

pytestmark = pytest.mark.browser
PROJECT = re.compile(r"Project\s+([A-Z]{2}-\d{3})")


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def app(browser, tmp_path, request):
    """Return (tab, url) of a server on the sample, or on the sparse store named by the test's param."""
    db = tmp_path / "pmo.duckdb"
    shape = getattr(request, "param", None)
    if shape:
        build(shape, Store(db))
    else:
        load_sample(Store(db))
    process, url = start_app(db, tmp_path / "streamlit.log")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    try:
        yield tab, url
    finally:
        context.close()
        stop(process)


def _steady_box(tab, chart) -> dict:
    """The chart's box once the page has stopped moving it (scrolling and late layout shift it)."""
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    for _ in range(20):
        tab.wait_for_timeout(150)
        again = chart.bounding_box()
        if again == box:
            return box
        box = again
    return box


def _click_a_project(tab, chart) -> str:
    """Move over `chart` until its tooltip names a project, click there; return that project's id."""
    tooltip = tab.locator("#vg-tooltip-element")
    for _attempt in range(3):
        box = _steady_box(tab, chart)
        for y in range(int(box["y"] + 20), int(box["y"] + box["height"] - 40), 9):
            for x in range(int(box["x"] + 60), int(box["x"] + box["width"] - 20), 9):
                tab.mouse.move(x, y)
                if tooltip.count() and "visible" in (tooltip.get_attribute("class") or ""):
                    found = PROJECT.search(tooltip.inner_text())
                    if found:
                        tab.mouse.click(x, y)
                        _settle(tab)
                        return found.group(1)
    pytest.fail("no project mark found on the chart")


def test_a_click_on_the_quadrant_changes_the_s_curve(app):
    tab, url = app
    tab.goto(f"{url}/delivery")
    _settle(tab)
    _charts_drawn(tab)
    choice = tab.locator('[data-testid="stSelectbox"]').filter(has_text="Project for the S-curve")
    before = choice.locator("input").input_value()
    quadrant = tab.locator('[data-testid="stVegaLiteChart"]').nth(1)
    picked = _click_a_project(tab, quadrant)
    tab.wait_for_function("(p) => [...document.querySelectorAll('[data-testid=\"stSelectbox\"] input')]"
                          ".some(i => i.value.startsWith(p))", arg=picked)
    after = choice.locator("input").input_value()
    assert after.startswith(picked)
    if not before.startswith(picked):
        assert after != before
    _charts_drawn(tab)
    _shot(tab, "10-delivery-clicked")


def test_a_click_on_the_drilldown_opens_the_project_and_back_returns(app):
    tab, url = app
    tab.goto(f"{url}/drilldown")
    _settle(tab)
    _charts_drawn(tab)
    quadrant = tab.locator('[data-testid="stVegaLiteChart"]').first
    picked = _click_a_project(tab, quadrant)
    tab.wait_for_function(f"() => location.search.includes('drill_project={picked}')")
    tab.get_by_text(f"Project {picked}").first.wait_for()
    _settle(tab)
    _charts_drawn(tab)
    _shot(tab, "11-drilldown-clicked")
    tab.go_back()
    tab.wait_for_function("() => !location.search.includes('drill_project')")
    _settle(tab)
    assert not tab.get_by_role("heading", name=re.compile(f"Project {picked}")).count()


PAGES = [("Executive overview", "overview"), ("1 · Delivery", "delivery"), ("3 · Performance", "performance"),
         ("Drill-down", "drilldown")]


@pytest.mark.parametrize("app", ["no_earned_value", "annual_periods", "only_kpis"], indirect=True)
def test_pages_draw_on_a_sparse_store(app, request):
    tab, url = app
    shape = request.node.callspec.params["app"]
    tab.goto(url)
    _settle(tab)
    for title, name in PAGES:
        tab.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        _settle(tab)
        assert not tab.locator('[data-testid="stException"]').count(), name
        assert not tab.locator('[data-testid="stAlertContentError"]').count(), name
        _shot(tab, f"sparse-{shape}-{name}")
