"""Build small input workbooks and CSVs for tests, valid by default, messy on request.

The default is a valid mini portfolio reported as of 2026-10 (see `DEFAULT_ROWS`): 2 projects
(one earned-value, one percent-complete), 3 months of financials each, 2 benefits (a financial
flow and a non-financial level) with values, 1 KPI and 1 benchmark metric. Rows are dicts keyed
by canonical column names (schema.py); the columns written are those that appear in the rows,
in schema order, then any unknown keys as extra columns. A `None` in a row list writes a blank
row. Cell coordinates count title rows, so with `title_rows=2` the header is on row 3.

Examples::

    from tests.factories import default_rows, make_csv, make_workbook

    make_workbook()                                   # the valid mini portfolio, every sheet
    make_workbook(sheets=["Projects", "Financials"])  # only these sheets (plus About)
    make_workbook(Financials=[{"project_id": "PRJ-001", "period": "2026-10", "actual_cost": 5}])
    make_workbook(Benchmarks=None)                    # drop one sheet
    make_workbook(cell=("Financials", "D3", "abc"))   # poke a bad value into D3
    make_workbook(cells=[("Projects", "A2", None), ("Projects", "K3", "-1")])
    make_workbook(header_aliases={"project_id": "Project ID", "Financials.planned_cost": "Budget"})
    make_workbook(title_rows=2)                       # "Test portfolio — monthly return", blank, header
    make_workbook(title_rows=["Return for October", "prepared by PMO"])
    make_workbook(wide_benefit_values=True)           # benefit_id, measure, Sep-26, Oct-26, ...
    make_workbook(sheet_names={"Financials": "project financials"})
    make_workbook(about=None)                         # no About sheet: as_of must come from elsewhere
    make_workbook(Projects=[*default_rows("Projects"), None, {...}])  # blank row, then one more
    make_workbook(path=tmp_path / "2026-10 test.xlsx")  # also write the file
    make_csv(default_rows("KPIs"))                    # CSV bytes with the columns of the rows
    make_csv([["KPI-001", "2026-10", "12"]], header=["KPI ID", "Month", "Actual"])
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook

from pmo_metrics import schema

AS_OF = "2026-10"
DEFAULT_TITLE = "Test portfolio — monthly return"

DEFAULT_ROWS: dict[str, list[dict]] = {
    "Projects": [
        {"project_id": "PRJ-001", "project_name": "New billing platform", "portfolio": "Digital",
         "programme": "Platforms", "sponsor": "Ann Sponsor", "manager": "Bob Manager",
         "strategic_objective": "Grow recurring revenue", "stage": "execution",
         "start_date": dt.date(2026, 1, 1), "end_date": dt.date(2026, 12, 31),
         "budget_at_completion": 120_000, "currency": "GBP", "delivery_confidence": "Amber/Green",
         "status_commentary": "Cut-over rehearsal passed; go-live on plan."},
        {"project_id": "PRJ-002", "project_name": "Contact centre refresh", "portfolio": "Digital",
         "programme": "Service", "sponsor": "Ann Sponsor", "manager": "Cat Manager",
         "strategic_objective": "Improve customer experience", "stage": "closed",
         "start_date": dt.date(2025, 7, 1), "end_date": dt.date(2026, 6, 30),
         "budget_at_completion": 60_000, "currency": "GBP", "delivery_confidence": 5,
         "status_commentary": None},
    ],
    "Financials": [
        {"project_id": "PRJ-001", "period": "2026-09", "planned_cost": 10_000, "actual_cost": 11_000,
         "earned_value": 9_000, "quality_score": 80},
        {"project_id": "PRJ-001", "period": "2026-10", "planned_cost": 10_000, "actual_cost": 10_500,
         "earned_value": 10_000, "quality_score": 85},
        {"project_id": "PRJ-001", "period": "2026-11", "planned_cost": 10_000, "forecast_cost": 12_000},
        {"project_id": "PRJ-002", "period": "2026-04", "planned_cost": 5_000, "actual_cost": 5_200,
         "percent_complete": 80, "quality_score": 90},
        {"project_id": "PRJ-002", "period": "2026-05", "planned_cost": 5_000, "actual_cost": 4_800,
         "percent_complete": 95, "quality_score": 90},
        {"project_id": "PRJ-002", "period": "2026-06", "planned_cost": 2_000, "actual_cost": 2_100,
         "percent_complete": 100, "quality_score": 92},
    ],
    "Benefits": [
        {"benefit_id": "BEN-001", "project_id": "PRJ-001", "benefit_name": "Billing cost saving",
         "category": "financial", "benefit_type": "cost saving", "owner": "Dan Owner", "measure": "flow",
         "strategic_objective": "Grow recurring revenue", "confidence": 0.8},
        {"benefit_id": "BEN-002", "project_id": "PRJ-002", "benefit_name": "Customer satisfaction",
         "category": "non_financial", "benefit_type": "customer", "unit": "CSAT points", "measure": "level",
         "baseline_value": 70, "target_value": 80, "strategic_objective": "Improve customer experience",
         "confidence": 0.9},
    ],
    "BenefitValues": [
        {"benefit_id": "BEN-001", "period": "2026-09", "planned_value": 2_000, "realised_value": 1_800},
        {"benefit_id": "BEN-001", "period": "2026-10", "planned_value": 2_000, "realised_value": 2_100},
        {"benefit_id": "BEN-001", "period": "2026-11", "planned_value": 2_000, "forecast_value": 1_900},
        {"benefit_id": "BEN-002", "period": "2026-09", "planned_value": 74, "realised_value": 73},
        {"benefit_id": "BEN-002", "period": "2026-10", "planned_value": 76, "realised_value": 75},
    ],
    "KPIs": [
        {"kpi_id": "KPI-001", "kpi_name": "Recurring revenue", "strategic_objective": "Grow recurring revenue",
         "period": "2026-09", "actual": 95, "budget": 100, "forecast": 98, "target": 105, "unit": "£k",
         "direction": "higher_is_better", "aggregation": "sum"},
        {"kpi_id": "KPI-001", "kpi_name": "Recurring revenue", "strategic_objective": "Grow recurring revenue",
         "period": "2026-10", "actual": 102, "budget": 100, "forecast": 99, "target": 105, "unit": "£k",
         "direction": "higher_is_better", "aggregation": "sum"},
    ],
    "Benchmarks": [
        {"metric": "Cost to serve per order (£)", "period": "2026-09", "our_value": 4.9, "peer_median": 5.3,
         "peer_top_quartile": 4.6, "direction": "lower_is_better", "source": "Test survey"},
    ],
}

_WIDE_MEASURES = ("planned", "forecast", "realised")


def default_rows(sheet: str) -> list[dict]:
    """Return a fresh copy of the default rows of `sheet` (safe to modify)."""
    return copy.deepcopy(DEFAULT_ROWS[sheet])


def _columns(spec: schema.Sheet | None, rows: Iterable[dict | None]) -> list[str]:
    """Return the keys used by `rows`: schema columns in schema order, then unknown keys as met."""
    used: list[str] = []
    for row in rows:
        for key in row or {}:
            if key not in used:
                used.append(key)
    known = [c.name for c in spec.columns if c.name in used] if spec else []
    return known + [k for k in used if k not in known]


def _header_text(sheet: str, column: str, aliases: dict[str, str]) -> str:
    return aliases.get(f"{sheet}.{column}", aliases.get(column, column))


def _month_label(period) -> str:
    if isinstance(period, dt.date):
        return period.strftime("%b-%y")
    return str(period)


def _wide(rows: list[dict | None]) -> tuple[list[str], list[list]]:
    """Return (header, rows) of BenefitValues in the wide form: benefit_id, measure, one column per month."""
    periods: list = []
    values: dict[str, dict] = {}
    for row in rows:
        if row is None:
            continue
        if row["period"] not in periods:
            periods.append(row["period"])
        values.setdefault(row["benefit_id"], {})[row["period"]] = row
    out = []
    for benefit_id, by_period in values.items():
        for measure in _WIDE_MEASURES:
            cells = [by_period.get(p, {}).get(f"{measure}_value") for p in periods]
            if any(c is not None for c in cells):
                out.append([benefit_id, measure, *cells])
    return ["benefit_id", "measure", *(_month_label(p) for p in periods)], out


def _cell_value(value):
    # openpyxl writes a date as a datetime cell; a plain date would get the same, but be explicit.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value


def make_workbook(
    path: str | Path | None = None,
    *,
    sheets: Iterable[str] | dict[str, list[dict | None]] | None = None,
    title_rows: int | Sequence[str] = 0,
    header_aliases: dict[str, str] | None = None,
    cell: tuple[str, str, object] | None = None,
    cells: Iterable[tuple[str, str, object]] = (),
    wide_benefit_values: bool = False,
    about: str | None = AS_OF,
    sheet_names: dict[str, str] | None = None,
    **overrides: list[dict | None] | None,
) -> bytes:
    """Return .xlsx bytes of a valid mini portfolio changed by the keyword overrides (see module doc).

    sheets: names to include (default all six), or a dict of sheet -> rows replacing the defaults.
    title_rows: number of rows (a title, then blanks) or the texts to put above each header.
    header_aliases: canonical column -> header text; "Sheet.column" keys apply to one sheet only.
    cell / cells: (sheet, "D3", value) poked after layout, at absolute coordinates.
    wide_benefit_values: write BenefitValues in the wide form.
    about: the About sheet's as_of value (None: no About sheet).
    sheet_names: canonical sheet name -> tab name.
    **overrides: Sheet=rows replaces a sheet's rows; Sheet=None drops the sheet.
    """
    if isinstance(sheets, dict):
        content = {name: list(rows) for name, rows in sheets.items()}
    else:
        # the Part I sheets by default; a BenefitMap or RAID sheet (SPEC §10) only when given
        names = list(sheets) if sheets is not None else [s.name for s in schema.SHEETS if s.name in DEFAULT_ROWS]
        content = {name: default_rows(name) for name in names}
    for name, rows in overrides.items():
        if rows is None:
            content.pop(name, None)
        else:
            content[name] = list(rows)
    if isinstance(title_rows, int):
        titles = [DEFAULT_TITLE, *[""] * (title_rows - 1)] if title_rows else []
    else:
        titles = list(title_rows)
    aliases = header_aliases or {}

    wb = Workbook()
    wb.remove(wb.active)
    if about is not None:
        ws = wb.create_sheet(schema.ABOUT_SHEET)
        ws["A1"], ws["B1"] = "as_of", about
    tabs = {}
    for name, rows in content.items():
        spec = schema.sheet_for_name(name)
        ws = wb.create_sheet((sheet_names or {}).get(name, name))
        tabs[name] = ws
        for title in titles:
            ws.append([title or None])
        if wide_benefit_values and spec is schema.BENEFIT_VALUES:
            header, body = _wide(rows)
            ws.append([_header_text(name, h, aliases) for h in header])
            for values in body:
                ws.append(values)
            continue
        columns = _columns(spec, rows)
        ws.append([_header_text(name, c, aliases) for c in columns])
        for row in rows:
            ws.append([] if row is None else [_cell_value(row.get(c)) for c in columns])
    for sheet, coordinate, value in ([cell] if cell else []) + list(cells):
        target = tabs[sheet] if sheet in tabs else wb[sheet]
        target[coordinate] = _cell_value(value)

    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def make_csv(rows: Iterable[dict | Sequence | None], header: Sequence[str] | None = None) -> bytes:
    """Return UTF-8 CSV bytes of `rows` (dicts, or sequences with `header`); None writes a blank line.

    With dict rows, `header` (default: the keys met, in order) names the keys to write, in order.
    """
    rows = list(rows)
    dict_rows = [r for r in rows if isinstance(r, dict)]
    if header is None:
        header = _columns(None, dict_rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        if row is None:
            writer.writerow([])
        elif isinstance(row, dict):
            writer.writerow([_csv_value(row.get(c)) for c in header])
        else:
            writer.writerow([_csv_value(v) for v in row])
    return out.getvalue().encode("utf-8")


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
