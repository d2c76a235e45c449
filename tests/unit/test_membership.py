"""Complete uploads and portfolio membership (SPEC §7.1): leavers are out of every measure from the
month they left, rejoiners come back, other portfolios are untouched, a void undoes a departure."""

import datetime as dt

import pytest

from pmo_metrics import measures
from pmo_metrics.cli import main
from pmo_metrics.measures import headline, measure_table
from pmo_metrics.store import Store
from tests.factories_store import benefit, financial, project, upload, value

JAN, FEB, MAR, APR = (dt.date(2026, m, 1) for m in (1, 2, 3, 4))


def members(store, m) -> dict:
    """Return {project_id: (status, first_month, left_month)} of the membership table at m."""
    return {r["project_id"]: (r["status"], r["first_month"], r["left_month"])
            for r in measure_table(store, "membership", m).to_pylist()}


def delivery_ids(store, m) -> set:
    return {r["project_id"] for r in measure_table(store, "delivery", m).to_pylist()}


@pytest.fixture
def store(tmp_path):
    """P1, P2 in Core and X1 in Other from January; P2 has a benefit with realised value."""
    store = Store(tmp_path / "t.duckdb")
    upload(store, "2026-01",
           projects=[project(), project(project_id="P2", project_name="Two"),
                     project(project_id="X1", portfolio="Other")],
           financials=[financial(project_id=p, period="2026-01", actual_cost=10.0) for p in ("P1", "P2", "X1")],
           benefits=[benefit(benefit_id="B2", project_id="P2")],
           benefit_values=[value(benefit_id="B2", period="2026-01", realised_value=50.0, planned_value=40.0)])
    yield store
    store.close()


def test_a_project_a_complete_upload_leaves_out_has_left_from_that_month(store):
    upload(store, "2026-02", mode="incremental", complete=True, projects=[project()],
           financials=[financial(period="2026-02", actual_cost=1.0)])
    assert members(store, JAN) == {"P1": ("joined", JAN, None), "P2": ("joined", JAN, None),
                                   "X1": ("joined", JAN, None)}
    assert members(store, FEB) == {"P1": ("continuing", JAN, None), "P2": ("left", JAN, FEB),
                                   "X1": ("continuing", JAN, None)}  # another portfolio: not named
    upload(store, "2026-03", financials=[financial(period="2026-03", actual_cost=1.0)])  # not complete
    assert members(store, MAR)["P2"] == ("gone", JAN, FEB)
    # out of the measures from February on; January unchanged
    assert delivery_ids(store, JAN) == {"P1", "P2", "X1"}
    assert delivery_ids(store, FEB) == delivery_ids(store, MAR) == {"P1", "X1"}
    assert measure_table(store, "benefits", FEB).num_rows == 0  # its benefit goes with it
    assert measure_table(store, "benefits", JAN).num_rows == 1
    assert headline(store, FEB, counts=False)["realised_to_date"] in (None, 0)
    assert headline(store, JAN, counts=False)["realised_to_date"] == 50.0
    # nothing deleted: its rows are still stored
    assert store.query("SELECT count(*) AS n FROM projects WHERE project_id = 'P2'").to_pylist() == [{"n": 1}]


def test_a_leaver_listed_again_rejoins(store):
    upload(store, "2026-02", complete=True, projects=[project()])
    upload(store, "2026-04", financials=[financial(project_id="P2", period="2026-04", actual_cost=3.0)])
    assert members(store, MAR)["P2"] == ("gone", JAN, FEB)
    assert members(store, APR)["P2"] == ("joined", JAN, None)  # back in, its first month unchanged
    assert "P2" in delivery_ids(store, APR) and "P2" not in delivery_ids(store, MAR)
    assert measure_table(store, "benefits", APR).column("benefit_id").to_pylist() == ["B2"]


def test_the_month_rows_leave_the_leaver_out_as_the_live_figures_do(store, monkeypatch):
    upload(store, "2026-02", complete=True, projects=[project(), project(project_id="X1", portfolio="Other")])
    store.fill_month_rows()
    kept = {m: [measure_table(store, n, m).to_pylist() for n in ("delivery", "benefits", "returns")]
            for m in (JAN, FEB)}
    kept_tiles = headline(store, FEB, counts=False)
    monkeypatch.setattr(store, "read_month_rows", False)
    live = {m: [measure_table(store, n, m).to_pylist() for n in ("delivery", "benefits", "returns")]
            for m in (JAN, FEB)}
    assert kept == live
    assert headline(store, FEB, counts=False) == kept_tiles


def test_a_complete_upload_of_financials_alone_names_its_projects_stored_portfolio(store):
    upload(store, "2026-02", complete=True, financials=[financial(period="2026-02", actual_cost=1.0)])
    assert members(store, FEB)["P2"][0] == "left"
    assert members(store, FEB)["X1"][0] == "continuing"


def test_a_project_first_listed_by_a_complete_upload_joins(store):
    upload(store, "2026-02", complete=True, projects=[project(), project(project_id="P2"),
                                                      project(project_id="P3", project_name="Three")])
    assert members(store, FEB)["P3"] == ("joined", FEB, None)
    assert members(store, FEB)["P2"][0] == "continuing"


def test_a_later_upload_of_the_same_month_overrides_a_departure(store):
    upload(store, "2026-02", complete=True, projects=[project()])
    upload(store, "2026-02", financials=[financial(project_id="P2", period="2026-02", actual_cost=1.0)])
    assert members(store, FEB)["P2"][0] == "continuing"


def test_voiding_the_complete_upload_brings_the_leaver_back(store):
    upload_id = upload(store, "2026-02", complete=True, projects=[project()])
    assert "P2" not in delivery_ids(store, FEB)
    store.void(upload_id)
    assert members(store, JAN)["P2"][0] == "joined"
    assert "P2" in delivery_ids(store, JAN)
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM project_absences").fetchall() == [(0,)]


def test_membership_filters_by_portfolio_and_the_cli_prints_it(store, capsys):
    upload(store, "2026-02", complete=True, projects=[project()])
    rows = measure_table(store, "membership", FEB, measures.Scope(portfolio="Core")).to_pylist()
    assert [(r["project_id"], r["status"]) for r in rows] == [("P2", "left"), ("P1", "continuing")]
    store.close()
    assert main(["measures", "membership", "--as-of", "2026-02", "--db", str(store.path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("project_id,portfolio,first_month,left_month,status")
    assert "P2,Core,2026-01,2026-02,left,Two," in out


def test_a_complete_list_supersedes_the_earlier_complete_lists_it_shares_a_portfolio_with(tmp_path):
    """Annual releases of one whole portfolio: a department renamed between them leaves no project behind."""
    store = Store(tmp_path / "whole.duckdb")
    upload(store, "2021-03", mode="incremental", complete=True,
           projects=[project(project_id="T1", portfolio="DfT"), project(project_id="E1", portfolio="BEIS"),
                     project(project_id="E2", portfolio="BEIS")])
    # a programme office's own complete list, sharing no portfolio with the releases
    upload(store, "2021-03", complete=True, projects=[project(project_id="O1", portfolio="Office")])
    upload(store, "2022-03", mode="incremental", complete=True,
           projects=[project(project_id="T1", portfolio="DfT"), project(project_id="E2", portfolio="DESNZ")])
    march = dt.date(2022, 3, 1)
    got = {k: v[0] for k, v in members(store, march).items()}
    assert got == {"T1": "continuing", "E2": "continuing", "E1": "left", "O1": "continuing"}
    assert delivery_ids(store, march) == {"T1", "E2", "O1"}
    store.close()


def test_a_schema_5_database_gets_its_listed_projects_when_it_is_opened(store):
    upload(store, "2026-02", financials=[financial(period="2026-02", actual_cost=1.0)],
           benefit_values=[value(benefit_id="B2", period="2026-02", realised_value=1.0)])
    expected = store.query("SELECT * FROM upload_projects ORDER BY ALL").to_pylist()
    assert {(r["upload_id"], r["project_id"]) for r in expected} == {
        (1, "P1"), (1, "P2"), (1, "X1"), (2, "P1"), (2, "P2")}  # P2 through its benefit's values
    store.close()
    import duckdb

    con = duckdb.connect(str(store.path))
    for statement in ("DROP TABLE upload_projects", "DROP TABLE project_absences", "DROP TABLE month_closures",
                      "ALTER TABLE uploads DROP COLUMN mode", "ALTER TABLE uploads DROP COLUMN complete",
                      "ALTER TABLE month_rows_made RENAME TO kept_months",
                      "UPDATE meta SET value = '5' WHERE key = 'schema_version'"):
        con.execute(statement)
    con.close()
    reopened = Store(store.path)
    assert reopened.query("SELECT * FROM upload_projects ORDER BY ALL").to_pylist() == expected
    assert {(r["mode"], r["complete"]) for r in reopened.uploads().to_pylist()} == {("full", False)}
    assert members(reopened, FEB)["P2"][0] == "continuing"
    reopened.close()
