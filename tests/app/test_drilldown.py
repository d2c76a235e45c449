"""Drill-down page: portfolio → programme → project → benefit, each with its measures and source uploads."""

from pmo_metrics.display import escape_markdown
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
    assert at.selectbox(key="drill_project").index == 0  # "All projects" again
    assert "drill_project" not in at.query_params and at.query_params["drill_portfolio"]


def test_the_drilldown_path_is_read_from_the_address_bar(sample_store):
    at = open_app("views/drilldown.py")
    at.selectbox(key="drill_project").select_index(1).run()
    project = at.query_params["drill_project"]
    project = project[0] if isinstance(project, list) else project
    assert project and any(s.value.startswith(f"Project {escape_markdown(project)}") for s in at.subheader)
    # Back in the browser gives the page the address before the step: the portfolio level again
    at.query_params.pop("drill_project")
    at.run()
    assert_clean(at)
    assert at.selectbox(key="drill_project").index == 0
    assert not any(s.value.startswith("Project ") for s in at.subheader)


def test_drilldown_on_an_empty_database(empty_store):
    at = open_app("views/drilldown.py")
    assert_clean(at)
    assert at.info


def test_the_owner_or_a_pmo_manager_validates_from_the_project_view(sample_store):
    # local mode: the user has every right, so the form offers every benefit of the project
    at = open_app("views/drilldown.py")
    at.query_params["drill_portfolio"] = "Customer Growth"
    at.query_params["drill_project"] = "CG-001"
    at.run()
    assert_clean(at)
    assert at.selectbox(key="validate_benefit").value == "BEN-044"
    at.text_area(key="validate_evidence").input("Finance ledger GL-4411").run()
    at.button(key="validate_go").click().run()
    assert_clean(at)
    assert any("Validated 3 month(s) of BEN" in s.value for s in at.success)
    [log] = sample_store.validations().to_pylist()
    assert (log["benefit_id"], log["evidence"], log["status"]) == ("BEN-044", "Finance ledger GL-4411", "standing")
    benefits = next(d.value for d in at.dataframe if "validated_share" in d.value.columns)
    assert benefits.set_index("benefit_id").loc["BEN-044", "validated_share"] == 1.0


def test_empty_evidence_is_refused_on_the_page(sample_store):
    at = open_app("views/drilldown.py")
    at.query_params["drill_portfolio"] = "Customer Growth"
    at.query_params["drill_project"] = "CG-001"
    at.run()
    at.button(key="validate_go").click().run()
    assert any("Not validated: the evidence is empty" in e.value for e in at.error)
    assert sample_store.validations().num_rows == 0
