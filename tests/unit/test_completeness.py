"""Reporting completeness (SPEC §7.2): reported ÷ expected per portfolio and overall, the month the
dashboard opens on, closing a month with its audit record, missing returns measured from earlier data."""

import datetime as dt

import pytest

from pmo_metrics.cli import main
from pmo_metrics.measures import Scope, default_month, measure_table, reporting_status
from pmo_metrics.store import Store, StoreError
from tests.factories_store import financial, project, upload

JAN, FEB, MAR = (dt.date(2026, m, 1) for m in (1, 2, 3))


@pytest.fixture
def store(tmp_path):
    """Three projects in two portfolios report in January; in February only P1 does."""
    store = Store(tmp_path / "t.duckdb")
    upload(store, "2026-01", projects=[project(), project(project_id="P2"),
                                       project(project_id="X1", portfolio="Other")],
           financials=[financial(project_id=p, period="2026-01", actual_cost=10.0) for p in ("P1", "P2", "X1")])
    upload(store, "2026-02", mode="incremental", financials=[financial(period="2026-02", actual_cost=5.0)])
    yield store
    store.close()


def rows(store, m, scope=None):
    return [(r["portfolio"], r["projects"], r["reported"], r["missing"], r["completeness"], r["complete"])
            for r in measure_table(store, "completeness", m, scope or Scope()).to_pylist()]


def test_completeness_per_portfolio_and_overall(store):
    assert rows(store, JAN) == [(None, 3, 3, 0, 1.0, True), ("Core", 2, 2, 0, 1.0, True),
                                ("Other", 1, 1, 0, 1.0, True)]
    assert rows(store, FEB) == [(None, 3, 1, 2, pytest.approx(1 / 3), False), ("Core", 2, 1, 1, 0.5, False),
                                ("Other", 1, 0, 1, 0.0, False)]
    assert rows(store, FEB, Scope(portfolio="Core")) == [(None, 2, 1, 1, 0.5, False), ("Core", 2, 1, 1, 0.5, False)]


def test_the_dashboard_opens_on_the_latest_complete_month(store):
    assert store.reporting_months()[0] == FEB
    assert default_month(store) == JAN
    upload(store, "2026-02", financials=[financial(project_id=p, period="2026-02", actual_cost=1.0)
                                         for p in ("P2", "X1")])
    assert default_month(store) == FEB


def test_a_missing_return_is_measured_from_the_latest_earlier_data_not_as_zero(store):
    by_id = {r["project_id"]: r for r in measure_table(store, "delivery", FEB).to_pylist()}
    assert by_id["P2"]["ac"] == 10.0 and by_id["X1"]["ac"] == 10.0
    assert by_id["P1"]["ac"] == 15.0


def test_closing_a_month_makes_it_complete_and_is_recorded(store):
    closed_now, by, when = store.close_month(FEB, user="pmo@example.com")
    assert closed_now and by == "pmo@example.com" and isinstance(when, dt.datetime)
    status = reporting_status(store, FEB)
    assert (status.projects, status.reported, status.closed, status.complete) == (3, 1, True, True)
    assert default_month(store) == FEB
    assert store.closures().to_pylist() == [{"month": "2026-02", "closed_by": "pmo@example.com", "closed_at": when}]
    again = store.close_month(FEB, user="someone else")
    assert again == (False, "pmo@example.com", when)  # the first record stands
    with pytest.raises(StoreError, match="only a month with data"):
        store.close_month(MAR, user="pmo@example.com")


def test_a_leaver_is_not_expected_to_report(store):
    upload(store, "2026-03", complete=True, projects=[project()])
    assert rows(store, MAR)[1] == ("Core", 1, 1, 0, 1.0, True)
    assert rows(store, MAR)[0][:3] == (None, 2, 1)  # X1 (Other) is still expected


def test_close_month_on_the_command_line(store, capsys):
    store.close()
    db = str(store.path)
    assert main(["close-month", "2026-02", "--db", db, "--user", "ana"]) == 0
    assert "2026-02 closed by ana (1 of 3 projects reported)" in capsys.readouterr().out
    assert main(["close-month", "2026-02", "--db", db]) == 0
    assert "already closed by ana" in capsys.readouterr().out
    assert main(["close-month", "2026-05", "--db", db]) == 1
    assert main(["uploads", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "closed months:" in out and "2026-02  ana" in out
    assert main(["measures", "completeness", "--as-of", "2026-02", "--db", db]) == 0
    assert capsys.readouterr().out.splitlines()[1] == ",3,1,2,0.333333333333,true,true"
