"""Reading, validating and loading uploads (SPEC §2, §3): forgiving in, exact errors out."""

import datetime as dt

import pytest

from pmo_metrics.ingest import check, ingest, month_from_file_name
from tests.factories import default_rows, make_csv, make_workbook

OCT = dt.date(2026, 10, 1)


def load(store, data, name="2026-10 return.xlsx", **kwargs):
    return ingest(store, [(name, data)], **kwargs)


def stored(store, sql, params=None):
    return store.query(sql, params).to_pylist()


def errors_of(result):
    return [p for p in result.problems if p.severity == "error"]


def snapshot(store):
    """Every stored row of every table, to prove a rejected upload changed nothing."""
    tables = ["projects", "financials", "benefits", "benefit_values", "kpis", "benchmarks", "entity_versions"]
    return {t: stored(store, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}


# -- a clean workbook ------------------------------------------------------------------------


def test_the_default_workbook_loads_every_sheet_with_typed_values(store):
    result = load(store, make_workbook())
    assert result.ok, errors_of(result)
    outcome = result.files[0]
    assert outcome.status == "loaded" and outcome.as_of == OCT
    assert outcome.sheets == {"Projects": 2, "Financials": 6, "Benefits": 2, "BenefitValues": 5, "KPIs": 2,
                              "Benchmarks": 1}
    fin = stored(store, "SELECT * FROM financials WHERE project_id = 'PRJ-002' ORDER BY period")
    assert [r["period"] for r in fin] == [dt.date(2026, 4, 1), dt.date(2026, 5, 1), dt.date(2026, 6, 1)]
    # percent_complete 0-100 is stored as a fraction.
    assert [r["percent_complete"] for r in fin] == [0.8, 0.95, 1.0]
    project = stored(store, "SELECT * FROM projects WHERE project_id = 'PRJ-001'")[0]
    assert project["stage"] == "execution" and project["end_date"] == dt.date(2026, 12, 31)
    assert project["budget_at_completion"] == 120_000


# -- forgiving parsing -----------------------------------------------------------------------


def test_title_rows_above_the_header_are_skipped_and_cells_still_located(store):
    data = make_workbook(title_rows=2, cell=("Financials", "D5", "abc"))
    result = check(store, [("2026-10 x.xlsx", data)])[0]
    [problem] = errors_of(result)
    assert (problem.sheet, problem.cell, problem.column, problem.value) == ("Financials", "D5", "actual_cost",
                                                                            "abc")


@pytest.mark.parametrize(
    ("column", "text", "expected"),
    [
        ("actual_cost", "£11,000", 11_000.0),
        ("actual_cost", "GBP 11,000.50", 11_000.5),
        ("actual_cost", "$ 1,234", 1_234.0),
        ("planned_cost", "10 000", 10_000.0),
        ("quality_score", "85%", 0.85),
    ],
)
def test_numbers_written_as_text_load_as_numbers(store, column, text, expected):
    rows = default_rows("Financials")
    rows[0] = {**rows[0], column: text}
    assert load(store, make_workbook(Financials=rows)).ok
    value = stored(store, f"SELECT {column} AS v FROM financials WHERE project_id = 'PRJ-001' "
                          "AND period = DATE '2026-09-01'")[0]["v"]
    assert value == pytest.approx(expected)


def test_an_accounting_negative_kpi_actual_is_negative(store):
    rows = default_rows("KPIs")
    rows[0] = {**rows[0], "actual": "(1,200)"}
    assert load(store, make_workbook(KPIs=rows)).ok
    assert stored(store, "SELECT actual FROM kpis WHERE period = DATE '2026-09-01'")[0]["actual"] == -1200


@pytest.mark.parametrize(
    "period",
    ["2026-09", "Sep-26", "Sep 2026", "September 2026", "30/09/2026", dt.datetime(2026, 9, 15), 46280, "46280"],
)
def test_every_period_style_normalises_to_its_month(store, period):
    rows = default_rows("Financials")
    rows[0] = {**rows[0], "period": period}
    assert load(store, make_workbook(Financials=rows)).ok
    periods = stored(store, "SELECT period FROM financials WHERE project_id = 'PRJ-001' ORDER BY period")
    assert periods[0]["period"] == dt.date(2026, 9, 1)


def test_enumerations_and_headers_match_case_and_punctuation_insensitively(store):
    projects = [{**r, "stage": s} for r, s in zip(default_rows("Projects"), ["EXECUTION", "Closed"], strict=True)]
    benefits = [{**r, "category": c} for r, c in zip(default_rows("Benefits"), ["Financial", "Non-Financial"],
                                                     strict=True)]
    data = make_workbook(Projects=projects, Benefits=benefits,
                         header_aliases={"project_id": "Project ID", "Financials.planned_cost": "Budget",
                                         "Financials.actual_cost": "Actual", "benefit_name": "Benefit-Name"},
                         sheet_names={"Financials": "project financials", "BenefitValues": "Benefit Values"})
    result = load(store, data)
    assert result.ok, errors_of(result)
    assert {r["stage"] for r in stored(store, "SELECT stage FROM projects")} == {"execution", "closed"}
    assert {r["category"] for r in stored(store, "SELECT category FROM benefits")} == {"financial", "non_financial"}
    assert stored(store, "SELECT sum(planned_cost) AS s FROM financials")[0]["s"] == 42_000


def test_percent_complete_as_fractions_stays_fractions(store):
    rows = [{**r, "percent_complete": r["percent_complete"] / 100} if "percent_complete" in r else r
            for r in default_rows("Financials")]
    assert load(store, make_workbook(Financials=rows)).ok
    values = stored(store, "SELECT percent_complete AS p FROM financials WHERE p IS NOT NULL ORDER BY period")
    assert [v["p"] for v in values] == [0.8, 0.95, 1.0]


def test_wide_benefit_values_melt_to_the_same_rows_as_long(store, tmp_path):
    from pmo_metrics.store import Store

    long_store = Store(tmp_path / "long.duckdb")
    assert load(long_store, make_workbook()).ok
    assert load(store, make_workbook(wide_benefit_values=True)).ok
    query = "SELECT benefit_id, period, planned_value, forecast_value, realised_value FROM benefit_values ORDER BY ALL"
    assert stored(store, query) == stored(long_store, query)


def test_blank_rows_blank_columns_and_unknown_columns(store):
    rows = default_rows("Projects")
    rows = [rows[0], None, None, {**rows[1], "risk_notes": "watch"}]
    result = load(store, make_workbook(Projects=rows))
    assert result.ok, errors_of(result)
    assert result.files[0].sheets["Projects"] == 2
    warnings = [p.problem for p in result.problems if p.severity == "warning"]
    assert any("risk_notes" in w and "kept out of the model" in w for w in warnings)


def test_csv_is_named_by_its_file_name_and_reads_text_values(store):
    assert load(store, make_workbook(KPIs=None)).ok
    kpis = default_rows("KPIs")
    kpis[1] = {**kpis[1], "actual": "£1,020", "period": "Oct-26"}
    result = ingest(store, [("2026-10 KPIs.csv", make_csv(kpis))])
    assert result.ok, errors_of(result)
    assert result.files[0].sheets == {"KPIs": 2} and result.files[0].as_of == OCT
    assert stored(store, "SELECT actual FROM kpis WHERE period = DATE '2026-10-01'")[0]["actual"] == 1020


def test_csv_errors_name_the_line_as_a_cell(store):
    kpis = default_rows("KPIs")
    kpis[1] = {**kpis[1], "actual": "lots"}
    result = ingest(store, [("kpis 2026-10.csv", make_csv([None, *kpis]))])
    [problem] = errors_of(result)
    # Header on line 1, a blank line 2, rows on lines 3 and 4; actual is the 5th column (E).
    assert problem.cell == "E4" and problem.value == "lots"


def test_reporting_month_comes_from_argument_then_about_then_file_name(store):
    data = make_workbook(about="2026-09")
    assert check(store, [("2026-08 x.xlsx", data)], as_of=dt.date(2026, 7, 1))[0].files[0].as_of == dt.date(2026, 7, 1)
    assert check(store, [("2026-08 x.xlsx", data)])[0].files[0].as_of == dt.date(2026, 9, 1)
    assert check(store, [("2026-08 x.xlsx", make_workbook(about=None))])[0].files[0].as_of == dt.date(2026, 8, 1)
    result = check(store, [("x.xlsx", make_workbook(about=None))])[0]
    assert "reporting month unknown" in errors_of(result)[0].problem


@pytest.mark.parametrize(("name", "month"), [("2026-10 Financials.xlsx", OCT), ("fin_202610.csv", OCT),
                                             ("Return 2026_10 v2.xlsx", OCT), ("nothing.xlsx", None)])
def test_month_in_file_name(name, month):
    assert month_from_file_name(name) == month


# -- exact errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "sheet", "cell", "column", "fragment"),
    [
        ({"cell": ("Financials", "D3", "abc")}, "Financials", "D3", "actual_cost", "expected a number"),
        ({"cell": ("Financials", "D3", -5)}, "Financials", "D3", "actual_cost", "must not be below 0"),
        ({"cell": ("Financials", "B3", "Smarch 2026")}, "Financials", "B3", "period", "expected a month"),
        ({"cell": ("Projects", "H2", "paused")}, "Projects", "H2", "stage", "one of initiation"),
        ({"cell": ("Projects", "A3", None)}, "Projects", "A3", "project_id", "required value missing"),
        ({"cell": ("Financials", "G5", 130)}, "Financials", "G5", "percent_complete", "above 100"),
        ({"cell": ("Benefits", "L2", 1.5)}, "Benefits", "L2", "confidence", "above 1"),
        ({"cell": ("Financials", "A2", "PRJ-999")}, "Financials", "A2", "project_id", "unknown project"),
        ({"cell": ("BenefitValues", "A3", "BEN-404")}, "BenefitValues", "A3", "benefit_id", "unknown benefit"),
        ({"cell": ("Projects", "A3", "PRJ-001")}, "Projects", "A3", "project_id", "rows 2 and 3"),
        ({"cell": ("Projects", "L2", "Pounds")}, "Projects", "L2", "currency", "ISO currency"),
    ],
)
def test_every_error_kind_names_its_cell(store, kwargs, sheet, cell, column, fragment):
    before = snapshot(store)
    result = load(store, make_workbook(**kwargs))
    assert not result.ok
    located = [p for p in errors_of(result) if (p.sheet, p.cell, p.column) == (sheet, cell, column)]
    assert located and fragment in located[0].problem, errors_of(result)
    assert snapshot(store) == before


def test_a_bad_cell_in_a_wide_sheet_names_that_cell(store):
    result = load(store, make_workbook(wide_benefit_values=True, cell=("BenefitValues", "D2", "abc")))
    [problem] = errors_of(result)
    assert (problem.cell, problem.value) == ("D2", "abc")


def test_a_missing_required_column_is_an_error(store):
    rows = [{k: v for k, v in r.items() if k != "portfolio"} for r in default_rows("Projects")]
    result = load(store, make_workbook(Projects=rows))
    assert any("required column missing: portfolio" in p.problem for p in errors_of(result))


def test_every_problem_is_reported_at_once(store):
    data = make_workbook(cells=[("Financials", "D2", "x"), ("Financials", "D3", "y"), ("Projects", "H2", "?")])
    assert len(errors_of(load(store, data))) == 3


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("2026-10 x.xlsx", b"this is not a zip", "not a valid Excel workbook"),
        ("2026-10 notes.pdf", b"%PDF-1.4", "not a workbook or CSV"),
        ("2026-10 old.xls", b"\xd0\xcf\x11\xe0", "old .xls"),
        ("2026-10 mystery.csv", b"a,b\n1,2\n", "cannot tell which sheet"),
        ("2026-10 Projects.csv", b"\x00\x01\x02binary", "binary"),
    ],
)
def test_files_that_are_not_workbooks_are_rejected_with_a_reason(store, name, data, fragment):
    result = ingest(store, [(name, data)])
    assert not result.ok and any(fragment in p.problem for p in errors_of(result))
    assert store.is_empty()
    assert store.uploads().to_pylist()[0]["status"] == "rejected"


def test_one_bad_cell_loads_nothing_and_is_audited(store):
    before = snapshot(store)
    result = load(store, make_workbook(cell=("KPIs", "E3", "twelve")))
    assert result.files[0].status == "rejected"
    assert snapshot(store) == before
    [entry] = store.uploads().to_pylist()
    assert entry["status"] == "rejected" and entry["errors"] >= 1
    assert any(m["value"] == "twelve" and m["cell"] == "E3" for m in entry["messages"])


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1e400"])
def test_a_number_cell_saying_nan_or_infinity_is_a_located_error_not_a_value(store, text):
    result = load(store, make_workbook(cell=("Financials", "D2", text)))
    [problem] = errors_of(result)
    assert (problem.sheet, problem.cell, problem.value) == ("Financials", "D2", text)
    assert "cannot read this value" in problem.problem and store.is_empty()


def test_a_month_cell_saying_nan_in_wide_benefit_values_is_a_located_error(store):
    result = load(store, make_workbook(wide_benefit_values=True, cell=("BenefitValues", "D2", "nan")))
    [problem] = errors_of(result)
    assert (problem.sheet, problem.cell, problem.column, problem.value) == ("BenefitValues", "D2", "2026-10", "nan")
    assert store.is_empty()


def test_a_batch_is_all_or_nothing(store):
    good = make_workbook(sheets=["Projects"])
    bad = make_workbook(sheets=["Financials"], cell=("Financials", "D2", "x"))
    result = ingest(store, [("2026-10 a.xlsx", good), ("2026-10 b.xlsx", bad)])
    assert [f.status for f in result.files] == ["rejected", "rejected"]
    assert "another file of this upload" in result.files[0].problems[-1].problem
    assert store.is_empty()


def test_files_of_one_batch_may_refer_to_each_other(store):
    projects = make_workbook(sheets=["Projects"])
    financials = make_workbook(sheets=["Financials"])
    result = ingest(store, [("2026-10 p.xlsx", projects), ("2026-10 f.xlsx", financials)])
    assert result.ok, errors_of(result)


def test_references_resolve_against_what_is_stored(store):
    assert load(store, make_workbook(sheets=["Projects"])).ok
    assert load(store, make_workbook(sheets=["Financials"]), name="2026-10 later.xlsx").ok


def test_a_byte_identical_upload_is_a_duplicate_and_changes_nothing(store):
    data = make_workbook()
    first = load(store, data)
    before = snapshot(store)
    again = load(store, data, name="renamed 2026-10.xlsx")
    assert again.ok and again.files[0].status == "duplicate"
    assert again.files[0].duplicate_of == first.files[0].upload_id
    assert snapshot(store) == before
    assert [r["status"] for r in store.uploads().to_pylist()] == ["duplicate", "loaded"]


def test_oversized_uploads_are_refused_before_parsing(store):
    store.set_setting("max_upload_mb", "0.001")
    result = load(store, make_workbook())
    assert not result.ok and "over the 0.001 MB upload limit" in errors_of(result)[0].problem


# -- snapshots through ingest ----------------------------------------------------------------


def test_a_corrective_reupload_supersedes_only_its_entities_and_voiding_falls_back(store):
    assert load(store, make_workbook()).ok
    fix = [dict(r, actual_cost=99_999) if r["project_id"] == "PRJ-001" and r.get("actual_cost") else r
           for r in default_rows("Financials") if r["project_id"] == "PRJ-001"]
    corrected = load(store, make_workbook(sheets={"Financials": fix}), name="2026-10 corrected.xlsx")
    assert corrected.ok
    actuals = ("SELECT project_id, sum(actual_cost) AS ac FROM effective_financials(DATE '2026-10-01') "
               "GROUP BY 1 ORDER BY 1")
    assert stored(store, actuals) == [{"project_id": "PRJ-001", "ac": 199_998}, {"project_id": "PRJ-002", "ac": 12_100}]
    store.void(corrected.files[0].upload_id)
    assert stored(store, actuals) == [{"project_id": "PRJ-001", "ac": 21_500}, {"project_id": "PRJ-002", "ac": 12_100}]


def test_time_travel_sees_the_month_as_it_was(store):
    assert load(store, make_workbook(about="2026-09")).ok
    later = [dict(r, project_name="Renamed") for r in default_rows("Projects")]
    assert load(store, make_workbook(sheets={"Projects": later}, about="2026-10")).ok
    names = "SELECT DISTINCT project_name FROM effective_projects(?::DATE)"
    assert stored(store, names, ["2026-09-01"]) != stored(store, names, ["2026-10-01"])
    assert stored(store, names, ["2026-10-01"]) == [{"project_name": "Renamed"}]


def test_regression_a_text_cell_among_numbers_is_reported_not_silently_dropped(store):
    """fastexcel types a column by majority and nulls the odd cell out; the reader must re-read it."""
    result = load(store, make_workbook(wide_benefit_values=True, cell=("BenefitValues", "D2", "abc")))
    assert [(p.cell, p.value) for p in errors_of(result)] == [("D2", "abc")]
    rows = default_rows("Financials")
    rows[3] = {**rows[3], "actual_cost": "£5,200"}
    assert load(store, make_workbook(Financials=rows), name="2026-10 other.xlsx").ok
    assert stored(store, "SELECT sum(actual_cost) AS s FROM financials")[0]["s"] == 33_600


def test_a_project_whose_only_upload_was_voided_is_unknown_again(store):
    projects = load(store, make_workbook(sheets=["Projects"]))
    store.void(projects.files[0].upload_id)
    result = load(store, make_workbook(sheets=["Financials"]), name="2026-10 later.xlsx")
    assert any("unknown project" in p.problem for p in errors_of(result))


def test_two_files_with_one_name_in_a_batch_keep_their_own_hashes(store):
    first, second = make_workbook(sheets=["Projects"]), make_workbook(sheets=["Projects"], about="2026-09")
    result = ingest(store, [("2026-10 same.xlsx", first), ("2026-10 same.xlsx", second)])
    assert result.ok
    log = {r["upload_id"]: r["sha256"] for r in store.uploads().to_pylist()}
    assert len(set(log.values())) == 2
