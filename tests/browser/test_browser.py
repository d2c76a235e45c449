"""Browser test: `streamlit run app.py` on the sample, driven by Debian's chromium through Playwright.

Opens the overview and waits for the headline chart to draw, visits every page (a screenshot of
each goes to test-artifacts/screenshots/), drills down to a benefit, loads a good workbook through
the real file input and sees a bad one's cell reference in the validation report.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pmo_metrics.ingest import load_sample
from pmo_metrics.store import Store
from tests.browser.serve import ROOT, start_app, stop
from tests.factories import make_workbook

pytestmark = pytest.mark.browser

SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGES = [("Executive overview", "overview"), ("1 · Delivery", "delivery"), ("2 · KPIs", "kpis"),
         ("3 · Performance", "performance"), ("4 · Competitive advantage", "advantage"),
         ("Scorecards", "scorecards")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Start `streamlit run app.py` on a free port against a temporary database holding the sample."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium, or `make chromium`)")
    db = tmp_path_factory.mktemp("browser") / "pmo.duckdb"
    load_sample(Store(db))
    process, url = start_app(db, tmp_path_factory.mktemp("log") / "streamlit.log")
    yield {"url": url, "db": db}
    stop(process)


@pytest.fixture(scope="module")
def page(server):
    """Return a Playwright page in Debian's chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        tab.set_default_timeout(20_000)
        yield tab
        browser.close()


def _settle(tab) -> None:
    """Wait until Streamlit has finished the current run (no running indicator, no stale elements)."""
    tab.wait_for_timeout(300)
    tab.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')",
        timeout=30_000)


def _charts_drawn(tab) -> None:
    """Wait until every chart on the page has drawn its canvas or svg."""
    tab.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]')]"
        ".every(c => c.querySelector('canvas, svg'))", timeout=30_000)


def _shot(tab, name: str) -> None:
    """Save a screenshot of the whole page (Streamlit scrolls inside its own container, not the document)."""
    _charts_drawn(tab)
    tab.mouse.move(0, 0)  # so hover tooltips do not cover the screenshot
    height = tab.evaluate("() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight")
    tab.set_viewport_size({"width": 1400, "height": min(max(1000, height + 200), 7000)})
    tab.wait_for_timeout(600)  # charts re-lay out to the new size
    _charts_drawn(tab)
    tab.screenshot(path=str(SHOTS / f"{name}.png"))
    tab.set_viewport_size({"width": 1400, "height": 1000})


def _go(tab, title: str) -> None:
    tab.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    _settle(tab)


def _pick(tab, label: str, option: str | None = None, index: int | None = None) -> None:
    """Choose an option of the selectbox labelled `label` (by text, or by position)."""
    # Only the page's own selectboxes: the sidebar has a "Programme" filter too.
    box = tab.locator('[data-testid="stMainBlockContainer"] [data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    options = tab.locator('[role="option"]')
    target = options.filter(has_text=option).first if option else options.nth(index or 0)
    target.click()
    _settle(tab)


def test_a_shared_link_opens_that_view_and_the_address_follows_the_filters(server, page):
    # First in this file, so the link is the server's very first request (as after a restart),
    # in a new browser context: a new session, as when a colleague opens the link.
    context = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    try:
        tab.goto(f"{server['url']}/delivery?month=2026-08&portfolio=Operational+Excellence")
        tab.get_by_text("As of Aug 2026").first.wait_for()
        _settle(tab)
        assert tab.get_by_text("Operational Excellence").first.is_visible()
        assert tab.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text().startswith("1")
        tab.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Reporting month").click()
        tab.locator('[role="option"]').filter(has_text="Sep 2026").first.click()
        tab.get_by_text("As of Sep 2026").first.wait_for()
        _settle(tab)
        tab.wait_for_function("() => location.search.includes('month=2026-09')")
        assert "portfolio=Operational" in tab.url
    finally:
        context.close()


def test_overview_draws_the_headline_chart(server, page):
    page.goto(server["url"])
    page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(state="visible", timeout=30_000)
    _settle(page)
    assert page.get_by_text("As of").first.is_visible()
    assert page.get_by_text("Realised to date").first.is_visible()
    _shot(page, "01-overview")


def test_a_month_change_re_renders_the_overview(server, page, record_property):
    before = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    started = time.perf_counter()
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Reporting month").click()
    page.locator('[role="option"]').filter(has_text="Sep 2026").first.click()
    page.get_by_text("As of Sep 2026").first.wait_for()
    _settle(page)
    _charts_drawn(page)
    elapsed = time.perf_counter() - started
    record_property("browser_month_change_seconds", round(elapsed, 2))
    print(f"month change re-rendered the overview in {elapsed:.2f} s")
    assert page.locator('[data-testid="stMetricValue"]').first.inner_text() != before
    # Back to the latest month for the tests that follow.
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Reporting month").click()
    page.locator('[role="option"]').filter(has_text="Oct 2026").first.click()
    _settle(page)


def test_every_page_renders(server, page):
    for number, (title, name) in enumerate(PAGES[1:], start=2):
        _go(page, title)
        page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for()
        assert not page.locator('[data-testid="stException"]').count(), name
        if name != "scorecards":
            page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(state="visible")
        _shot(page, f"{number:02d}-{name}")


def test_pdf_board_pack_builds_with_progress(server, page):
    pytest.importorskip("pmo_metrics.exports")
    _go(page, "Scorecards")
    page.get_by_role("button", name="Build PDF board pack").click()
    page.get_by_role("button", name="Download PDF board pack").wait_for(timeout=60_000)
    _settle(page)


def test_drill_down_to_a_benefit(server, page):
    _go(page, "Drill-down")
    _pick(page, "Programme", index=1)
    _pick(page, "Project", index=1)
    _pick(page, "Benefit", index=1)
    page.get_by_text("Benefit RAG").first.wait_for()
    page.locator('[data-testid="stExpander"]', has_text="Source uploads").first.wait_for()
    _shot(page, "07-drilldown-benefit")


def test_upload_a_good_then_a_bad_workbook(server, page, tmp_path):
    good = tmp_path / "2026-10 Browser return.xlsx"
    good.write_bytes(make_workbook())
    bad = tmp_path / "2026-10 Broken return.xlsx"
    bad.write_bytes(make_workbook(cell=("Financials", "D3", "twelve thousand")))
    _go(page, "Upload")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(good))
    _settle(page)
    page.get_by_role("button", name="Check", exact=True).click()
    page.get_by_text("No errors found").wait_for()
    _settle(page)
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("Loaded 1 file").wait_for(timeout=30_000)
    _settle(page)
    _shot(page, "08-upload-loaded")
    loaded = Store(server["db"]).query("SELECT count(*) AS n FROM uploads WHERE file_name = ? AND status = 'loaded'",
                                       [good.name])["n"][0].as_py()
    assert loaded == 1

    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(bad))
    _settle(page)
    page.get_by_role("button", name="Check", exact=True).click()
    page.get_by_text("Nothing has been stored").wait_for()
    _settle(page)
    report = page.locator('[data-testid="stTable"], [data-testid="stDataFrame"]').filter(has_text="D3")
    report.first.wait_for()
    _shot(page, "09-upload-errors")
    stored = Store(server["db"]).query("SELECT count(*) AS n FROM uploads WHERE file_name = ?", [bad.name])
    assert stored["n"][0].as_py() == 0
