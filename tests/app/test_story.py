"""The month's story on the pages (SPEC §8): the overview's five sentences and its "compare to" month,
the drill-down's commentary history, the Delivery page's moves; user text shown as plain text."""

from tests.app.conftest import assert_clean, open_app

OCTOBER = [
    "1. KPI Priority-1 incidents fell from green to red: attainment 85.7%",
    "2. Benefit Nordics revenue (Nordics Market Entry) fell from amber to red: realisation rate 84.5%",
    "3. Regulatory Reporting Automation fell from green to amber: delivery confidence amber",
    "4. Benefit Analyst productivity from self-serve reporting (Data Platform Modernisation) fell from amber to "
    "red: realisation rate 81.7%",
    "5. KPI Cost to serve per order fell from green to amber: attainment 94.6%",
]


def test_the_overview_opens_with_the_five_most_important_changes(sample_store):
    at = open_app()
    assert_clean(at)
    assert [t.value for t in at.text][:5] == OCTOBER
    assert any(s.value == "What changed since Sep 2026" for s in at.subheader)
    # The full list is built only once its expander is opened.
    assert not any("sentence" in d.value.columns for d in at.dataframe)
    at.session_state["overview_all_changes"] = True
    at.run()
    everything = next(d.value for d in at.dataframe if "sentence" in d.value.columns)
    assert len(everything) > 5 and everything["sentence"].iloc[0] == OCTOBER[0][3:]


def test_any_month_can_be_compared(sample_store):
    at = open_app()
    compare = at.selectbox(key="overview_compare_to")
    compare.select_index(len(compare.options) - 1).run()  # newest first: the oldest stored month
    assert_clean(at)
    assert any(s.value.startswith("What changed since Apr 2026") for s in at.subheader)
    assert [t.value for t in at.text][:5] != OCTOBER


def test_the_drill_down_shows_a_projects_commentary_history(sample_store):
    at = open_app("views/drilldown.py")
    at.selectbox(key="drill_portfolio").set_value("Operational Excellence").run()
    at.selectbox(key="drill_project").set_value("OE-001").run()
    assert_clean(at)
    texts = [t.value for t in at.text]
    assert any(t.startswith("Oct 2026 · ") for t in texts) and any(t.startswith("Sep 2026 · ") for t in texts)
    assert any(t.startswith("Go-live moved to January") and "\n" in t for t in texts)  # line breaks kept
    assert any(t == "Conveyor supplier slipped six weeks; overtime approved to hold the go-live." for t in texts)
    assert any("delivery confidence **amber/red**" in m.value for m in at.markdown)


def test_the_kpi_page_shows_kpi_commentary(sample_store):
    at = open_app("views/kpis.py")
    assert_clean(at)
    texts = [t.value for t in at.text]
    assert texts[:2] == ["Priority-1 incidents · Oct 2026 · sample",
                         "Two priority-1 outages after the warehouse system cut-over; root causes fixed."]
