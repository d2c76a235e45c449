"""Drill-down page: portfolio → programme → project → benefit, each with its measures and source uploads."""

from tests.app.conftest import assert_clean, open_app


def test_drill_down_to_a_benefit(sample_store):
    at = open_app("views/drilldown.py")
    assert_clean(at)
    assert at.selectbox(key="drill_portfolio").value
    at.selectbox(key="drill_programme").select_index(1).run()
    assert_clean(at)
    project = at.selectbox(key="drill_project")
    assert project.options[0] == "All projects"
    project.select_index(1).run()
    assert_clean(at)
    assert any(m.label == "NPV" for m in at.metric)
    at.selectbox(key="drill_benefit").select_index(1).run()
    assert_clean(at)
    assert any(s.value.startswith("Benefit ") for s in at.subheader)
    uploads = [d.value for d in at.dataframe if "file_name" in d.value.columns]
    assert uploads and uploads[0]["file_name"].str.endswith(".xlsx").all()


def test_a_new_portfolio_resets_the_lower_levels(sample_store):
    at = open_app("views/drilldown.py")
    at.selectbox(key="drill_project").select_index(1).run()
    at.selectbox(key="drill_portfolio").select_index(1).run()
    assert_clean(at)
    assert at.selectbox(key="drill_project").value is None  # "All projects" again


def test_drilldown_on_an_empty_database(empty_store):
    at = open_app("views/drilldown.py")
    assert_clean(at)
    assert at.info
