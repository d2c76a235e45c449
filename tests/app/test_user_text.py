"""User text is shown as text, never as Markdown, a link, an image, a colour, a formula or HTML
(SPEC §7.8), on every page: names with markup are loaded and no element renders them as markup."""

from __future__ import annotations

import pytest

from pmo_metrics.display import escape_markdown
from pmo_metrics.store import Store
from tests.app.conftest import assert_clean, open_app
from tests.factories_store import benefit, financial, flow, kpi, months, project, upload

LINK, IMAGE, BOLD, COLOUR, LATEX, HTML = ("[x](http://h)", "![b](http://h/x.png)", "**bold**", ":red[x]", "$x^2$",
                                          "<b>hi</b>")
HOSTILE = (LINK, IMAGE, BOLD, COLOUR, LATEX, HTML)
PAGES = ("views/overview.py", "views/delivery.py", "views/kpis.py", "views/performance.py",
         "views/advantage.py", "views/drilldown.py", "views/scorecards.py")


@pytest.fixture
def hostile(tmp_path, monkeypatch) -> Store:
    path = tmp_path / "hostile.duckdb"
    monkeypatch.setenv("PMO_METRICS_DB", str(path))
    store = Store(path)
    upload(store, "2026-06",
           projects=[project(project_id="P1", project_name=f"Name {BOLD} {IMAGE}", portfolio=f"Port {LINK}",
                             programme=f"Prog {COLOUR}", strategic_objective=f"Goal {LATEX}", stage="closed",
                             end_date="2026-02-28")],
           financials=[financial(project_id="P1", period=p, planned_cost=10.0, actual_cost=11.0, earned_value=9.0)
                       for p in months("2026-01", 6)],
           benefits=[benefit(benefit_id="B1", project_id="P1", benefit_name=f"Benefit {HTML} {COLOUR}",
                             owner=f"Owner {LATEX} {LINK}")],
           benefit_values=flow("B1", "2026-01", 6, realised_upto="2026-06"),
           kpis=[kpi(kpi_name=f"KPI {BOLD}", period="2026-06", actual=1.0, target=2.0)])
    return store


def markdown_texts(at) -> list[str]:
    """Return every text AppTest sees that Streamlit renders as Markdown (bodies, labels, help)."""
    texts = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "success"):
        texts += [e.value for e in getattr(at, kind)]
    for kind in ("metric", "expander", "button", "selectbox", "text_input", "segmented_control"):
        for element in getattr(at, kind, []):
            for attribute in ("label", "help"):
                value = getattr(element, attribute, None)
                if isinstance(value, str):
                    texts.append(value)
    for element in at.sidebar.selectbox:
        texts.append(element.label)
    return texts


def assert_no_markup(at) -> list[str]:
    texts = markdown_texts(at)
    for text in texts:
        for raw in HOSTILE:
            assert raw not in text, (raw, text)
    return texts


def test_names_with_markup_show_as_typed_on_every_page(hostile):
    at = open_app()
    at.sidebar.selectbox[1].select_index(1).run()  # the portfolio named with a link: in every header
    assert_clean(at)
    seen = []
    for page in PAGES:
        at.switch_page(page).run()
        assert_clean(at)
        seen += assert_no_markup(at)
    # shown escaped, so the user reads what was typed
    assert any(escape_markdown(f"Port {LINK}") in text for text in seen)


def test_the_drilldown_shows_names_with_markup_as_typed(hostile):
    at = open_app("views/drilldown.py")
    at.query_params.update({"drill_portfolio": f"Port {LINK}", "drill_project": "P1", "drill_benefit": "B1"})
    at.run()
    assert_clean(at)
    texts = assert_no_markup(at)
    joined = "\n".join(texts)
    for shown in (f"Benefit {HTML} {COLOUR}", f"Owner {LATEX} {LINK}", f"Name {BOLD} {IMAGE}"):
        assert escape_markdown(shown) in joined, shown
