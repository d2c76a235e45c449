"""SPEC §7.3-7.8 (issue 15 items 3-8, issue 13 items 2 and 4): real returns load as they are.

Withheld values through to the measures, money units, fiscal periods, column mappings, the error
workbook and exact messages, safe text and plausible values. Problems are matched by their code.
"""

import datetime as dt
import io

import openpyxl
import pytest

from pmo_metrics import parsing
from pmo_metrics.cli import format_problems, main
from pmo_metrics.ingest import check, ingest
from pmo_metrics.mapping import save_mapping, stored_mappings
from pmo_metrics.measures import measure_table
from pmo_metrics.report import error_workbook
from tests.factories import default_rows, make_csv, make_workbook

OCT = dt.date(2026, 10, 1)
TODAY = dt.date(2026, 12, 7)
MARKERS = ["Exempt under Section 43 of the FOI Act", "Withheld", "REDACTED", "Commercially sensitive",
           "n/a", "NA", "not applicable", "Not available", "TBC"]


def load(store, data, name="2026-10 return.xlsx", **kwargs):
    return ingest(store, [(name, data)], **kwargs)


def codes(result, severity=None):
    return [p.code for p in result.problems if severity is None or p.severity == severity]


def errors(result):
    return [p for p in result.problems if p.severity == "error"]


def rows_of(store, sql, params=None):
    return store.query(sql, params).to_pylist()


def delivery(store, project="PRJ-001", month=OCT):
    return next(r for r in measure_table(store, "delivery", month).to_pylist() if r["project_id"] == project)


# -- withheld values (SPEC §7.3) ---------------------------------------------------------------


@pytest.mark.parametrize("marker", MARKERS)
def test_each_withheld_marker_leaves_bac_empty_and_is_counted(store, marker):
    result = load(store, make_workbook(cell=("Projects", "K2", marker)))
    assert result.ok and not errors(result)
    [warned] = [p for p in result.problems if p.code == "withheld"]
    assert (warned.sheet, warned.cell, warned.column, warned.value) == ("Projects", "K2", "budget_at_completion",
                                                                         marker[:60])
    row = delivery(store)
    # never replaced by the sum of planned cost (30,000), never 0; every figure needing BAC is empty
    assert row["bac"] is None and row["eac"] is None and row["vac"] is None and row["tcpi"] is None
    assert row["withheld"] == 1
    assert rows_of(store, "SELECT column_name, reason, entity_key FROM withheld_values") == [
        {"column_name": "budget_at_completion", "reason": marker, "entity_key": "PRJ-001"}]
    assert delivery(store, "PRJ-002")["withheld"] == 0


def test_a_blank_bac_still_falls_back_to_planned_cost(store):
    load(store, make_workbook(cell=("Projects", "K2", None)))
    row = delivery(store)
    assert (row["bac"], row["withheld"]) == (30_000, 0)


def test_a_withheld_bac_leaves_percent_complete_earned_value_empty(store):
    load(store, make_workbook(cell=("Projects", "K3", "exempt")))
    row = delivery(store, "PRJ-002")
    assert row["bac"] is None and row["ev"] is None and row["withheld"] == 1


def test_withheld_costs_are_skipped_by_sums_and_counted_where_they_feed(store):
    # PRJ-001: actual cost of 2026-10 (D3) and forecast of 2026-11 (E4) withheld; an unused
    # forecast of a past month (E2) is withheld too but feeds nothing as of 2026-10.
    result = load(store, make_workbook(cells=[("Financials", "D3", "withheld"), ("Financials", "E4", "n/a"),
                                              ("Financials", "E2", "tbc")]))
    assert result.ok
    [warned] = [p for p in result.problems if p.code == "withheld" and p.column == "forecast_cost"]
    assert "2 withheld values (E2, E4)" in warned.problem
    row = delivery(store)
    assert row["ac"] == 11_000 and row["fac"] == 11_000 and row["withheld"] == 2


def test_withheld_benefit_and_kpi_values_are_counted(store):
    load(store, make_workbook(cells=[("BenefitValues", "E3", "Commercially sensitive"), ("KPIs", "E3", "redacted")]))
    benefits = {r["benefit_id"]: r for r in measure_table(store, "benefits", OCT).to_pylist()}
    assert benefits["BEN-001"]["realised_to_date"] == 1_800 and benefits["BEN-001"]["withheld"] == 1
    assert benefits["BEN-002"]["withheld"] == 0
    kpi = {(r["kpi_id"], r["grain"]): r for r in measure_table(store, "kpi", OCT).to_pylist()}
    assert kpi[("KPI-001", "month")]["actual"] is None and kpi[("KPI-001", "month")]["withheld"] == 1


def test_a_withheld_value_alone_in_a_wide_month_still_counts(store):
    rows = [{"benefit_id": "BEN-001", "period": "2026-09", "planned_value": 100, "realised_value": 90},
            {"benefit_id": "BEN-001", "period": "2026-10", "realised_value": "exempt"}]
    result = load(store, make_workbook(BenefitValues=rows, wide_benefit_values=True))
    assert result.ok, errors(result)
    row = next(r for r in measure_table(store, "benefits", OCT).to_pylist() if r["benefit_id"] == "BEN-001")
    assert row["withheld"] == 1 and row["realised_to_date"] == 90


def test_a_required_value_cannot_be_withheld(store):
    result = load(store, make_workbook(cell=("Projects", "C2", "withheld")))
    assert "withheld_required" in codes(result, "error")


def test_the_withheld_markers_are_a_setting(store):
    store.set_setting("withheld_markers", "secret*")
    assert not load(store, make_workbook(cell=("Projects", "K2", "n/a"))).ok
    assert load(store, make_workbook(cell=("Projects", "K2", "Secret: board only"))).ok


# -- units (SPEC §7.4) -------------------------------------------------------------------------


def bac_of(store, project="PRJ-001"):
    return rows_of(store, "SELECT budget_at_completion AS b FROM projects WHERE project_id = ?", [project])[0]["b"]


def test_units_by_flag_store_full_currency_units(store):
    assert load(store, make_workbook(), units="millions").ok
    assert bac_of(store) == 120_000 * 1e6
    actual = rows_of(store, "SELECT actual_cost FROM financials WHERE project_id = 'PRJ-001' "
                            "AND period = DATE '2026-09-01'")[0]["actual_cost"]
    assert actual == 11_000e6
    kpi = rows_of(store, "SELECT actual FROM kpis WHERE period = DATE '2026-10-01'")[0]["actual"]
    assert kpi == 102  # a KPI is in its own unit, never money-scaled


def test_units_from_the_about_sheet(store):
    data = make_workbook(cells=[("About", "A2", "units"), ("About", "B2", "£000")])
    assert load(store, data).ok
    assert bac_of(store) == 120_000 * 1e3


def test_a_bad_units_cell_is_located(store):
    result = load(store, make_workbook(cells=[("About", "A2", "units"), ("About", "B2", "furlongs")]))
    [problem] = errors(result)
    assert (problem.code, problem.sheet, problem.cell) == ("bad_units", "About", "B2")


def test_units_by_header_win_for_their_column_and_are_reported(store):
    data = make_workbook(header_aliases={"Projects.budget_at_completion": "Whole Life Cost (£m)",
                                         "Financials.planned_cost": "Budget £000"})
    result = load(store, data, units="millions")
    assert result.ok, errors(result)
    assert bac_of(store) == 120_000 * 1e6
    planned = rows_of(store, "SELECT planned_cost FROM financials WHERE project_id = 'PRJ-001' "
                             "AND period = DATE '2026-09-01'")[0]["planned_cost"]
    assert planned == 10_000 * 1e3
    notes = {p.cell: p for p in result.problems if p.code == "column_unit"}
    assert set(notes) == {"K1", "C1"} and "millions" in notes["K1"].problem
    actual = rows_of(store, "SELECT actual_cost FROM financials WHERE project_id = 'PRJ-001' "
                            "AND period = DATE '2026-09-01'")[0]["actual_cost"]
    assert actual == 11_000 * 1e6  # the upload's unit for the columns whose header states none


def test_an_amount_beyond_1e13_once_scaled_is_a_located_error(store):
    result = load(store, make_workbook(cell=("Projects", "K2", 20_000_000)), units="millions")
    [problem] = errors(result)
    assert (problem.code, problem.sheet, problem.cell) == ("amount_out_of_range", "Projects", "K2")


# -- fiscal periods (SPEC §7.5) ----------------------------------------------------------------


@pytest.mark.parametrize(("text", "month", "grain", "label"), [
    ("FY2024-25", dt.date(2025, 3, 1), "year", "FY 2024-25"),
    ("2024-25", dt.date(2025, 3, 1), "year", "FY 2024-25"),
    ("2024/25", dt.date(2025, 3, 1), "year", "FY 2024-25"),
    ("FY25", dt.date(2025, 3, 1), "year", "FY 2024-25"),
    ("Q3 2025-26", dt.date(2025, 12, 1), "quarter", "Q3 2025-26"),
    ("2025 Q1", dt.date(2025, 3, 1), "quarter", "Q4 2024-25"),  # a calendar quarter, labelled fiscally
    ("Q1 FY26", dt.date(2025, 6, 1), "quarter", "Q1 2025-26"),
    ("Oct 2026", dt.date(2026, 10, 1), "month", "Oct 2026"),
])
def test_each_fiscal_label_is_its_last_month_with_its_grain(text, month, grain, label):
    assert parsing.parse_period_grain(text, fy_start=4) == (month, grain)
    assert parsing.period_label(month, grain, fy_start=4) == label


def test_fiscal_labels_under_a_calendar_fiscal_year():
    assert parsing.parse_period_grain("FY25", 1) == (dt.date(2025, 12, 1), "year")
    assert parsing.period_label(dt.date(2025, 12, 1), "year", 1) == "FY 2025"
    assert parsing.period_label(dt.date(2025, 6, 1), "quarter", 1) == "Q2 2025"
    with pytest.raises(parsing.FiscalError):
        parsing.parse_period_grain("2024-25", 1)


def test_an_ambiguous_year_pair_is_a_fiscal_year_when_the_column_holds_others():
    assert parsing.parse_period_grain("2011-12", 4) == (dt.date(2011, 12, 1), "month")
    assert parsing.parse_period_grain("2011-12", 4, prefer_fiscal=True) == (dt.date(2012, 3, 1), "year")


def test_an_annual_return_loads_with_year_grain(store):
    store.set_setting("fiscal_year_start_month", "4")
    rows = [{"project_id": "PRJ-001", "period": "2024-25", "actual_cost": 100},
            {"project_id": "PRJ-001", "period": "FY2025-26", "actual_cost": 200},
            {"project_id": "PRJ-002", "period": "Q3 2025-26", "actual_cost": 50}]
    result = load(store, make_workbook(Financials=rows, about="2026-03"))
    assert result.ok, errors(result)
    stored = rows_of(store, "SELECT project_id, period, period_grain FROM financials ORDER BY project_id, period")
    assert stored == [
        {"project_id": "PRJ-001", "period": dt.date(2025, 3, 1), "period_grain": "year"},
        {"project_id": "PRJ-001", "period": dt.date(2026, 3, 1), "period_grain": "year"},
        {"project_id": "PRJ-002", "period": dt.date(2025, 12, 1), "period_grain": "quarter"}]


def test_a_fiscal_year_the_setting_cannot_place_is_a_located_error(store):
    rows = [{"project_id": "PRJ-001", "period": "2024-25", "actual_cost": 100}]
    result = load(store, make_workbook(Financials=rows, about="2026-03"))
    [problem] = errors(result)
    assert (problem.code, problem.cell, problem.value) == ("fiscal_year_start", "B2", "2024-25")
    assert "fiscal_year_start_month" in problem.problem


# -- column mappings (SPEC §7.6) ---------------------------------------------------------------

GMPP_HEADERS = ["GMPP ID", "Project Name", "Department", "Whole Life Cost (£m)", "Notes"]
GMPP_COLUMNS = {"GMPP ID": "project_id", "Project Name": "project_name", "Department": "portfolio",
                "Whole Life Cost (£m)": "budget_at_completion", "Notes": ""}


def gmpp_workbook(rows, headers=GMPP_HEADERS, tab="GMPP Data 2025"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = tab
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_a_sheet_with_unknown_headers_is_refused_until_mapped(store):
    result = load(store, gmpp_workbook([["DFT_0022", "HS2", "DfT", 519_000, "x"]]))
    assert "unknown_sheet" in codes(result)


def test_a_mapping_saved_on_one_upload_is_applied_to_the_next(store):
    save_mapping(store, "GMPP projects", "Projects", GMPP_HEADERS, GMPP_COLUMNS,
                 {"portfolio": {"BEIS": "DESNZ"}}, source_sheet="GMPP Data 2024", user="ann")
    [mapping] = stored_mappings(store)
    assert mapping.name == "GMPP projects" and mapping.sheet == "Projects"
    # next year's file: another tab name, the same headers -> applied automatically
    data = gmpp_workbook([["DFT_0022", "HS2", "DfT", 519_000, "a note"], ["BEIS_0001", "Sizewell C", "beis ", 20,
                                                                          ""]])
    result = load(store, data)
    assert result.ok, errors(result)
    assert "mapping_applied" in codes(result)
    stored = rows_of(store, "SELECT project_id, portfolio, budget_at_completion FROM projects ORDER BY 1")
    assert stored == [{"project_id": "BEIS_0001", "portfolio": "DESNZ", "budget_at_completion": 20e6},
                      {"project_id": "DFT_0022", "portfolio": "DfT", "budget_at_completion": 519_000e6}]


def test_a_mapping_chosen_by_name_applies_to_other_header_sets(store):
    save_mapping(store, "GMPP projects", "Projects", GMPP_HEADERS, GMPP_COLUMNS)
    headers = [*GMPP_HEADERS, "Reporting Officer"]
    data = gmpp_workbook([["DFT_0022", "HS2", "DfT", 1, "", "Red"]], headers=headers)
    assert not load(store, data).ok  # the header set differs: not applied automatically
    assert "unknown_mapping" in codes(load(store, data, mapping="nope"))
    result = load(store, data, mapping="GMPP projects")
    assert result.ok, errors(result)
    assert "unknown_columns" in codes(result)  # Reporting Officer: listed, kept out


def test_a_mapping_needs_every_required_column():
    with pytest.raises(ValueError, match="project_name"):
        save_mapping(None, "x", "Projects", ["ID", "Dept"], {"ID": "project_id", "Dept": "portfolio"})


def test_mappings_command_lists_them(store, capsys):
    save_mapping(store, "GMPP projects", "Projects", GMPP_HEADERS, GMPP_COLUMNS, {"stage": {"Delivery": "execution"}})
    assert main(["mappings", "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "GMPP projects" in out and "GMPP ID -> project_id" in out and "Delivery -> execution" in out


# -- the error workbook and exact messages (SPEC §7.7) ------------------------------------------


def test_the_error_workbook_marks_every_bad_cell_and_lists_every_problem(store):
    rows = default_rows("Financials") * 1
    rows = [{**r, "period": f"2025-{i % 12 + 1:02d}"} for i, r in enumerate(rows * 6)]
    bad = [("Financials", f"D{row}", "abc") for row in range(2, 32)]  # 30 bad cells: more than the old cap of 25
    data = make_workbook(Financials=rows, cells=bad)
    result = load(store, data)
    problems = result.files[0].problems
    assert len([p for p in problems if p.code == "bad_number"]) == 30
    book = openpyxl.load_workbook(io.BytesIO(error_workbook("2026-10 return.xlsx", data, problems)))
    assert book.sheetnames[0] == "Problems"
    listed = list(book["Problems"].iter_rows(min_row=3, values_only=True))
    assert len(listed) == len(problems)
    cell = book["Financials"]["D17"]
    assert cell.fill.fgColor.rgb.endswith("FFC7CE") and "cannot read this value" in cell.comment.text
    assert cell.value == "abc"  # a copy: the submitted value is still there


def test_the_error_workbook_of_a_csv_and_of_an_unopenable_file(store):
    csv_data = make_csv([{"project_id": "PRJ-001", "period": "2026-10", "actual_cost": "1,2"}])
    result = ingest(store, [("2026-10 Financials.csv", csv_data)])
    [problem] = [p for p in errors(result) if p.code == "decimal_comma"]
    assert problem.cell == "C2"
    book = openpyxl.load_workbook(io.BytesIO(error_workbook("2026-10 Financials.csv", csv_data, result.problems)))
    assert book.worksheets[1]["C2"].comment is not None
    book = openpyxl.load_workbook(io.BytesIO(error_workbook("x.xlsx", b"PK\x03\x04 junk", result.problems)))
    assert book.sheetnames == ["Problems"]


def test_ingest_report_writes_the_error_workbook(store, tmp_path, capsys):
    path = tmp_path / "2026-10 bad.xlsx"
    make_workbook(path, cell=("Financials", "D3", "abc"))
    report = tmp_path / "problems.xlsx"
    code = main(["ingest", str(path), "--db", str(store.path), "--report", str(report)])
    assert code == 1 and report.exists()
    assert openpyxl.load_workbook(report)["Financials"]["D3"].comment is not None


@pytest.mark.parametrize("text", ["1.200,50", "12,5", "£1,5"])
def test_a_decimal_comma_says_so(store, text):
    result = load(store, make_workbook(cell=("Financials", "D3", text)))
    [problem] = errors(result)
    assert (problem.code, problem.cell) == ("decimal_comma", "D3") and "decimal comma" in problem.problem


def test_an_id_known_but_for_case_or_spacing_says_did_you_mean(store):
    load(store, make_workbook(Projects=[{**default_rows("Projects")[0], "project_id": "DFT_0022"}],
                              Financials=None, Benefits=None, BenefitValues=None))
    rows = [{"project_id": "dft 0022", "period": "2026-10", "actual_cost": 1}]
    result = load(store, make_workbook(sheets={"Financials": rows}))
    [problem] = errors(result)
    assert problem.code == "unknown_id" and problem.problem.endswith("did you mean DFT_0022?")


def test_a_blank_as_of_on_the_about_sheet_falls_through_to_the_file_name(store):
    data = make_workbook(about="", cells=[("About", "A2", "units"), ("About", "B2", "units")])
    result = ingest(store, [("2026-09 return.xlsx", data)])
    assert result.ok and result.files[0].as_of == dt.date(2026, 9, 1)


def test_the_templates_instructions_sheet_is_never_a_warning(store):
    from pmo_metrics.template import build_template

    result = check(store, [("2026-10 template.xlsx", build_template())])[0]
    assert "unknown_sheet" not in codes(result)
    # its About sheet has an empty as_of and units, and notes beside them: the month comes from the name
    assert "bad_as_of" not in codes(result) and result.files[0].as_of == OCT


def test_the_cli_never_cuts_a_message_short(store):
    result = load(store, make_workbook(cell=("Financials", "D3", "abc")))
    long = result.problems[0].problem + " " + "x" * 300
    text = format_problems([result.problems[0].__class__(**{**result.problems[0].as_dict(), "problem": long})])
    assert long in text


# -- safe text and plausible values (SPEC §7.8) -------------------------------------------------


@pytest.mark.parametrize(("cell", "value", "code"), [
    ("B2", "Billing_x000B_platform", "control_char"),    # a vertical tab (a pasted Word line break), escaped
    ("B2", "Billing\x85platform", "control_char"),       # C1
    ("A2", "PRJ-001\t", "control_char"),                 # tab: not in an id
    ("A2", "PRJ\u200b-001", "invisible_char"),           # zero-width space: a second PRJ-001
    ("A2", "PRJ-\u202e001", "invisible_char"),           # a bidirectional override
    ("B2", "x" * 501, "too_long"),
])
def test_unsafe_text_is_a_located_error(store, cell, value, code):
    result = load(store, make_workbook(cell=("Projects", cell, value)))
    assert not result.ok
    located = [p for p in errors(result) if p.code == code]
    assert located and (located[0].sheet, located[0].cell) == ("Projects", cell), errors(result)
    assert "\x0b" not in located[0].value and "\x85" not in located[0].value  # shown escaped


@pytest.mark.parametrize("text", ["Billing\x0bplatform", "Billing_x000B_platform", "Billing\x1bplatform"])
def test_control_characters_in_a_csv_are_located_errors(store, text):
    rows = [{**default_rows("Projects")[0], "project_name": text}]
    result = ingest(store, [("2026-10 Projects.csv", make_csv(rows))])
    [problem] = errors(result)
    assert (problem.code, problem.cell) == ("control_char", "B2")


def test_line_breaks_are_allowed_in_free_text_and_ids_are_nfkc_normalised(store):
    rows = default_rows("Projects")
    rows[0]["project_name"] = "New billing\nplatform"
    rows[1]["project_id"] = "ＰＲＪ－００２"  # full-width: NFKC makes it PRJ-002
    result = load(store, make_workbook(Projects=rows))
    assert result.ok, errors(result)
    assert {r["project_id"] for r in rows_of(store, "SELECT project_id FROM projects")} == {"PRJ-001", "PRJ-002"}


@pytest.mark.parametrize(("value", "code"), [
    (1, "period_out_of_range"),               # Excel serial 1 = 1900-01
    ("1900-01", "period_out_of_range"),
    ("1999-12", "period_out_of_range"),
    ("2099-01", "period_out_of_range"),
])
def test_implausible_periods_are_located_errors(store, value, code):
    result = load(store, make_workbook(cell=("Financials", "B3", value)))
    assert [(p.code, p.cell) for p in errors(result)] == [(code, "B3")]


@pytest.mark.parametrize("value", [1e14, -1e14, 1e308, "£20,000,000,000,000"])
def test_implausible_amounts_are_located_errors(store, value):
    result = load(store, make_workbook(cell=("Financials", "D3", value)))
    assert ("amount_out_of_range", "D3") in [(p.code, p.cell) for p in errors(result)]


def test_a_reporting_month_after_next_month_is_refused_from_any_source(store):
    assert "as_of_out_of_range" in codes(check(store, [("r.xlsx", make_workbook())], as_of=dt.date(9999, 12, 1),
                                               today=TODAY)[0])
    result = check(store, [("r.xlsx", make_workbook(about="2099-01"))], today=TODAY)[0]
    [problem] = [p for p in result.problems if p.code == "as_of_out_of_range"]
    assert (problem.sheet, problem.cell) == ("About", "B1")
    result = check(store, [("2027-02 r.xlsx", make_workbook(about=None))], today=TODAY)[0]
    assert "as_of_out_of_range" in codes(result)
    assert check(store, [("2027-01 r.xlsx", make_workbook(about=None))], today=TODAY)[0].ok


def test_a_csv_head_is_cut_at_a_line_end_not_inside_a_character():
    """Regression: a head cut inside 'é' decoded as Windows-1252, so 'Cost (£m)' read 'Cost (Â£m)'."""
    from pmo_metrics.readers.csvfile import decode_head

    header = "ID,Whole Life Cost (£m)\n".encode()
    body = "".join(f"P{i},café {i}\n" for i in range(20_000)).encode()
    data = header + body
    cut = next(n for n in range(65_536, 60_000, -1) if data[n - 1:n] == "é".encode()[:1])  # inside the é
    head = decode_head(data, cut)
    assert head.startswith("ID,Whole Life Cost (£m)\n") and "Â" not in head and head.endswith("\n")
