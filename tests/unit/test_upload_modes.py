"""Upload modes (SPEC §7.1): full replaces an entity's rows whole, incremental supersedes the
period-keyed sheets per entity and period; voids fall back; the month rows agree with live ones."""

import datetime as dt

import pytest

from pmo_metrics.cli import main
from pmo_metrics.ingest import check, ingest
from pmo_metrics.measures import measure_table
from pmo_metrics.store import Store
from tests.factories import make_workbook
from tests.factories_store import benchmark as bench_row
from tests.factories_store import benefit, financial, kpi, project, upload, value

JAN, FEB, MAR, APR = (dt.date(2026, m, 1) for m in (1, 2, 3, 4))


def financials_at(store, m) -> dict:
    """Return {period: (upload_id, actual_cost, planned_cost)} of P1's effective financials at m."""
    rows = store.query("SELECT period, upload_id, actual_cost, planned_cost FROM effective_financials(?::DATE) "
                       "WHERE project_id = 'P1' ORDER BY period", [m]).to_pylist()
    return {r["period"]: (r["upload_id"], r["actual_cost"], r["planned_cost"]) for r in rows}


def plan(*periods, **kw):
    return [financial(period=p, planned_cost=10.0, **kw) for p in periods]


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    yield store
    store.close()


def test_full_uploads_replace_every_period_of_the_entity(store):
    a = upload(store, "2026-01", projects=[project()], financials=plan("2026-01", "2026-02", "2026-03"))
    b = upload(store, "2026-02", financials=[financial(period="2026-02", actual_cost=7.0)])
    c = upload(store, "2026-03", financials=[financial(period="2026-03", actual_cost=8.0)])
    assert financials_at(store, JAN) == {JAN: (a, None, 10.0), FEB: (a, None, 10.0), MAR: (a, None, 10.0)}
    assert financials_at(store, FEB) == {FEB: (b, 7.0, None)}  # Part I: the whole entity replaced
    assert financials_at(store, MAR) == {MAR: (c, 8.0, None)}


def test_incremental_uploads_keep_the_periods_they_do_not_contain(store):
    a = upload(store, "2026-01", projects=[project()], financials=plan("2026-01", "2026-02", "2026-03"))
    b = upload(store, "2026-02", mode="incremental", financials=[financial(period="2026-02", actual_cost=7.0)])
    c = upload(store, "2026-03", mode="incremental", financials=[financial(period="2026-03", actual_cost=8.0)])
    assert financials_at(store, JAN) == {JAN: (a, None, 10.0), FEB: (a, None, 10.0), MAR: (a, None, 10.0)}
    assert financials_at(store, FEB) == {JAN: (a, None, 10.0), FEB: (b, 7.0, None), MAR: (a, None, 10.0)}
    assert financials_at(store, MAR) == {JAN: (a, None, 10.0), FEB: (b, 7.0, None), MAR: (c, 8.0, None)}
    # a later full upload starts the entity afresh
    d = upload(store, "2026-04", financials=[financial(period="2026-04", actual_cost=9.0)])
    assert financials_at(store, APR) == {APR: (d, 9.0, None)}
    assert financials_at(store, MAR)[FEB] == (b, 7.0, None)  # earlier months unchanged


def test_an_incremental_correction_in_the_same_month_wins_its_periods(store):
    upload(store, "2026-03", projects=[project()], financials=plan("2026-01", "2026-02"))
    b = upload(store, "2026-03", mode="incremental", financials=[financial(period="2026-02", actual_cost=1.0)])
    c = upload(store, "2026-03", mode="incremental", financials=[financial(period="2026-02", actual_cost=2.0)])
    got = financials_at(store, MAR)
    assert got[FEB] == (c, 2.0, None) and got[JAN][2] == 10.0
    store.void(c)
    assert financials_at(store, MAR)[FEB] == (b, 1.0, None)


def test_a_full_upload_after_an_incremental_one_in_the_same_month_replaces_it(store):
    upload(store, "2026-03", projects=[project()], financials=plan("2026-01"))
    upload(store, "2026-03", mode="incremental", financials=[financial(period="2026-02", actual_cost=1.0)])
    c = upload(store, "2026-03", financials=[financial(period="2026-03", actual_cost=3.0)])
    assert financials_at(store, MAR) == {MAR: (c, 3.0, None)}


def test_voiding_an_incremental_upload_falls_back_to_the_rows_before_it(store):
    a = upload(store, "2026-01", projects=[project()], financials=plan("2026-01", "2026-02", "2026-03"))
    b = upload(store, "2026-02", mode="incremental", financials=[financial(period="2026-02", actual_cost=7.0)])
    c = upload(store, "2026-03", mode="incremental", financials=[financial(period="2026-03", actual_cost=8.0)])
    store.fill_month_rows()
    before = measure_table(store, "delivery", MAR).to_pylist()[0]
    # a period's row is replaced whole: Feb's and Mar's new rows carry no plan, so only Jan's counts
    assert before["ac"] == 15.0 and before["pv"] == 10.0
    store.void(b)
    assert financials_at(store, MAR) == {JAN: (a, None, 10.0), FEB: (a, None, 10.0), MAR: (c, 8.0, None)}
    store.fill_month_rows()
    after = measure_table(store, "delivery", MAR).to_pylist()[0]
    assert after["ac"] == 8.0 and after["pv"] == 20.0


def test_registers_supersede_per_entity_in_an_incremental_upload(store):
    upload(store, "2026-01", projects=[project(programme="Old", sponsor="Ann")],
           benefits=[benefit(owner="Owner A")])
    upload(store, "2026-02", mode="incremental", projects=[project(programme="New")],
           benefits=[benefit()])
    row = store.query("SELECT programme, sponsor FROM effective_projects(?::DATE)", [FEB]).to_pylist()
    assert row == [{"programme": "New", "sponsor": None}]  # the whole row replaced, not merged
    owners = store.query("SELECT owner FROM effective_benefits(?::DATE)", [FEB]).to_pylist()
    assert owners == [{"owner": None}]


@pytest.mark.parametrize("table, row, key", [
    ("benefit_values", value, "benefit_id"),
    ("kpis", kpi, "kpi_id"),
    ("benchmarks", bench_row, "metric"),
])
def test_every_period_keyed_sheet_supersedes_per_period(store, table, row, key):
    registers = {"projects": [project()], "benefits": [benefit()]} if table == "benefit_values" else {}
    upload(store, "2026-01", **registers, **{table: [row(period="2026-01"), row(period="2026-02")]})
    upload(store, "2026-02", mode="incremental", **{table: [row(period="2026-02")]})
    upload(store, "2026-03", mode="incremental", **{table: [row(period="2026-03")]})
    # Names are the test's own constants, not user text.
    got = store.query(f"SELECT period, upload_id FROM effective_{table}(?::DATE) ORDER BY period",  # noqa: S608
                      [MAR]).to_pylist()
    assert [(r["period"], r["upload_id"]) for r in got] == [(JAN, 1), (FEB, 2), (MAR, 3)]
    full = upload(store, "2026-04", **{table: [row(period="2026-04")]})
    got = store.query(f"SELECT period, upload_id FROM effective_{table}(?::DATE)", [APR]).to_pylist()  # noqa: S608
    assert [(r["period"], r["upload_id"]) for r in got] == [(APR, full)]
    assert key


def test_the_month_rows_of_incremental_months_equal_the_live_figures(store, monkeypatch):
    upload(store, "2026-01", projects=[project(), project(project_id="P2")],
           financials=plan("2026-01", "2026-02", "2026-03") + plan("2026-01", project_id="P2"),
           benefits=[benefit()], benefit_values=[value(period="2026-01", planned_value=5.0),
                                                 value(period="2026-02", planned_value=5.0)])
    upload(store, "2026-02", mode="incremental", financials=[financial(period="2026-02", actual_cost=7.0)],
           benefit_values=[value(period="2026-02", realised_value=4.0)])
    upload(store, "2026-03", mode="incremental", financials=[financial(period="2026-03", actual_cost=8.0)])
    store.fill_month_rows()
    kept = {m: {name: measure_table(store, name, m).to_pylist() for name in ("delivery", "benefits", "returns")}
            for m in (JAN, FEB, MAR)}
    monkeypatch.setattr(store, "read_month_rows", False)
    live = {m: {name: measure_table(store, name, m).to_pylist() for name in ("delivery", "benefits", "returns")}
            for m in (JAN, FEB, MAR)}
    assert kept == live
    # Feb's realised value kept, Jan's planned values kept alongside it
    benefit_row = live[MAR]["benefits"][0]
    assert benefit_row["realised_to_date"] == 4.0 and benefit_row["planned_to_date"] == 5.0


def test_an_annual_return_is_an_incremental_upload_of_year_end_periods(store):
    """Seven-year shape in small: each release holds only its own year's figures."""
    upload(store, "2020-03", mode="incremental", complete=True, projects=[project()],
           financials=[financial(period="2020-03", actual_cost=100.0)])
    for year in range(2021, 2024):
        upload(store, f"{year}-03", mode="incremental", complete=True, projects=[project()],
               financials=[financial(period=f"{year}-03", actual_cost=100.0 + year - 2020)])
    got = store.query("SELECT period, actual_cost FROM effective_financials(DATE '2023-03-01') ORDER BY period")
    assert got.column("actual_cost").to_pylist() == [100.0, 101.0, 102.0, 103.0]
    assert measure_table(store, "delivery", dt.date(2023, 3, 1)).to_pylist()[0]["ac"] == 406.0


# -- how the mode is set: flags, the About sheet, the default -----------------------------------


def about_workbook(mode=None, complete=None, **kw) -> bytes:
    cells = []
    if mode is not None:
        cells += [("About", "A2", "mode"), ("About", "B2", mode)]
    if complete is not None:
        cells += [("About", "A3", "Complete"), ("About", "B3", complete)]
    return make_workbook(cells=cells, **kw)


@pytest.mark.parametrize("cells, flags, expected", [
    ({}, {}, ("full", False)),
    ({"mode": "Incremental", "complete": "yes"}, {}, ("incremental", True)),
    ({"mode": "incremental", "complete": "no"}, {"mode": "full", "complete": True}, ("full", True)),
    ({}, {"mode": "incremental"}, ("incremental", False)),
])
def test_the_flags_win_over_the_about_sheet_which_wins_over_the_default(store, cells, flags, expected):
    result = ingest(store, [("return.xlsx", about_workbook(**cells))], **flags)
    assert result.ok, result.problems
    row = store.uploads().to_pylist()[0]
    assert (row["mode"], row["complete"]) == expected
    assert (result.files[0].mode, result.files[0].complete) == expected


def test_an_unreadable_mode_cell_is_a_located_error(store):
    result, loads = check(store, [("return.xlsx", about_workbook(mode="sometimes", complete="maybe"))])
    problems = {(p.sheet, p.cell, p.column, p.value) for p in result.problems if p.severity == "error"}
    assert ("About", "B2", "mode", "sometimes") in problems
    assert ("About", "B3", "complete", "maybe") in problems
    assert not loads


def test_the_cli_sets_the_mode_and_the_history_shows_it(tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    path = tmp_path / "2026-10 return.xlsx"
    path.write_bytes(make_workbook())
    assert main(["ingest", "--db", db, "--mode", "incremental", "--complete", str(path)]) == 0
    assert "incremental, complete" in capsys.readouterr().out
    assert main(["uploads", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "mode" in out.splitlines()[0] and "incremental, complete" in out
    with pytest.raises(SystemExit) as usage:
        main(["ingest", "--db", db, "--mode", "sometimes", str(path)])
    assert usage.value.code == 2


def test_an_empty_mode_cell_above_the_complete_label_is_not_read_as_its_value(store):
    data = make_workbook(cells=[("About", "A2", "mode"), ("About", "A3", "complete"), ("About", "B3", "yes")])
    result = ingest(store, [("return.xlsx", data)])
    assert result.ok, result.problems
    assert (result.files[0].mode, result.files[0].complete) == ("full", True)
