"""The test workbook factory, read back with openpyxl."""

import csv
import datetime as dt
import io

import openpyxl

from pmo_metrics import schema
from tests.factories import DEFAULT_TITLE, default_rows, make_csv, make_workbook


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_default_is_the_mini_portfolio_with_every_sheet():
    wb = _load(make_workbook())
    assert wb.sheetnames == ["About", *(s.name for s in schema.SHEETS if s.name not in ("BenefitMap", "RAID"))]
    assert [wb["About"]["A1"].value, wb["About"]["B1"].value] == ["as_of", "2026-10"]
    projects = list(wb["Projects"].iter_rows(values_only=True))
    assert projects[0] == tuple(c.name for c in schema.PROJECTS.columns)
    assert [r[0] for r in projects[1:]] == ["PRJ-001", "PRJ-002"]
    assert projects[1][8] == dt.datetime(2026, 1, 1)  # start_date is a real Excel date
    assert wb["Financials"].max_row == 1 + len(default_rows("Financials"))


def test_overrides_title_rows_aliases_and_poked_cells():
    data = make_workbook(
        sheets=["Projects", "Financials"],
        Financials=[{"project_id": "PRJ-001", "period": "2026-10", "actual_cost": 5, "note": "x"}, None,
                    {"project_id": "PRJ-002", "period": "2026-10", "actual_cost": 6}],
        title_rows=2,
        header_aliases={"project_id": "Project ID", "Financials.actual_cost": "Actual"},
        cell=("Financials", "C4", "abc"),
        about=None,
    )
    wb = _load(data)
    assert wb.sheetnames == ["Projects", "Financials"]
    rows = list(wb["Financials"].iter_rows(values_only=True))
    assert rows[0][0] == DEFAULT_TITLE and rows[1] == (None,) * 4
    assert rows[2] == ("Project ID", "period", "Actual", "note")  # unknown keys come last
    assert rows[3] == ("PRJ-001", "2026-10", "abc", "x")
    assert rows[4] == (None,) * 4  # the blank row
    assert wb["Projects"]["A3"].value == "Project ID"
    assert wb["Projects"]["K3"].value == "budget_at_completion"  # the alias is per sheet


def test_wide_benefit_values_and_dropped_sheet(tmp_path):
    path = tmp_path / "2026-10 wide.xlsx"
    data = make_workbook(path=path, wide_benefit_values=True, Benchmarks=None,
                         sheet_names={"KPIs": "key performance indicators"})
    assert path.read_bytes() == data
    wb = _load(data)
    assert "Benchmarks" not in wb.sheetnames and "key performance indicators" in wb.sheetnames
    rows = list(wb["BenefitValues"].iter_rows(values_only=True))
    assert rows[0] == ("benefit_id", "measure", "2026-09", "2026-10", "2026-11")
    assert rows[1:4] == [
        ("BEN-001", "planned", 2000, 2000, 2000),
        ("BEN-001", "forecast", None, None, 1900),
        ("BEN-001", "realised", 1800, 2100, None),
    ]
    assert {r[1] for r in rows if r[0] == "BEN-002"} == {"planned", "realised"}


def test_make_csv_from_dicts_and_from_lists():
    text = make_csv(default_rows("KPIs")).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["period"] for r in rows] == ["2026-09", "2026-10"]
    assert rows[0]["actual"] == "95"
    raw = make_csv([["KPI-001", "Oct-26", "£1,200"], None], header=["KPI ID", "Month", "Actual"])
    assert raw.decode("utf-8").splitlines() == ["KPI ID,Month,Actual", 'KPI-001,Oct-26,"£1,200"', ""]
