"""Upload page: check shows located errors and stores nothing; a good file loads; void; the logic directly."""

import pytest

from pmo_metrics import upload_report as logic
from tests.app.conftest import assert_clean, open_app
from tests.factories import make_csv, make_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(at, name: str, data: bytes):
    at.file_uploader[0].set_value([(name, data, XLSX)]).run()
    assert_clean(at)
    return at


def _loaded(store) -> int:
    return int(store.query("SELECT count(*) AS n FROM uploads WHERE status = 'loaded'")["n"][0].as_py())


def test_a_good_workbook_checks_then_loads(sample_store):
    before = _loaded(sample_store)
    at = _upload(open_app("views/upload.py"), "2026-10 Test return.xlsx", make_workbook())
    assert at.text_input(key="upload_month_0").value == "2026-10"  # from the file name
    load = [b for b in at.button if b.label == "Load"][0]
    assert load.disabled  # nothing to load before a clean check
    [b for b in at.button if b.label == "Check"][0].click().run()
    assert_clean(at)
    assert any("No errors found" in s.value for s in at.success)
    assert _loaded(sample_store) == before  # a check stores nothing
    [b for b in at.button if b.label == "Load"][0].click().run()
    assert_clean(at)
    assert _loaded(sample_store) == before + 1
    assert any("Loaded 1 file" in s.value for s in at.success)
    assert not at.file_uploader[0].value  # a fresh uploader after the load
    # The new project is visible at once: caches were cleared.
    at.switch_page("views/drilldown.py").run()
    assert "Digital" in at.selectbox(key="drill_portfolio").options


def test_a_bad_workbook_shows_the_cell_and_stores_nothing(sample_store):
    before = sample_store.query("SELECT count(*) AS n FROM uploads")["n"][0].as_py()
    bad = make_workbook(cell=("Financials", "D3", "twelve thousand"))
    at = _upload(open_app("views/upload.py"), "2026-10 Bad return.xlsx", bad)
    [b for b in at.button if b.label == "Check"][0].click().run()
    assert not at.exception
    assert any("Nothing has been stored" in e.value for e in at.error)
    problems = [d.value for d in at.dataframe if "cell" in d.value.columns][0]
    row = problems[problems["severity"] == "error"].iloc[0]
    assert (row["sheet"], row["cell"], row["value"]) == ("Financials", "D3", "twelve thousand")
    assert [b for b in at.button if b.label == "Load"][0].disabled
    assert sample_store.query("SELECT count(*) AS n FROM uploads")["n"][0].as_py() == before


def test_void_from_the_history(sample_store):
    at = open_app("views/upload.py")
    newest = int([b for b in at.selectbox if b.label == "Upload to void"][0].value)
    [b for b in at.button if b.label == "Void…"][0].click().run()
    assert_clean(at)
    [b for b in at.button if b.label == "Void upload"][0].click().run()
    assert_clean(at)
    status = sample_store.query("SELECT status FROM uploads WHERE upload_id = ?", [newest])["status"][0].as_py()
    assert status == "voided"


def test_upload_page_on_an_empty_database(empty_store):
    at = open_app("views/upload.py")
    assert_clean(at)
    assert any("No uploads yet" in i.value for i in at.info)
    assert at.get("download_button")  # the template


def test_check_logic_reads_the_about_month_and_csv_sheet(empty_store):
    files = [("return.xlsx", make_workbook()), ("export 2026-10.csv", make_csv([{"kpi_id": "K1", "period": "2026-10",
                                                                          "actual": 3}]))]
    assert logic.suggested_month([n for n, _ in files]) == "2026-10"
    assert logic.csv_needs_sheet("export 2026-10.csv") and not logic.csv_needs_sheet("2026-10 KPIs.csv")
    report = logic.run_check(empty_store, files, "", {"export 2026-10.csv": "KPIs"})
    assert report.ok, report.problems
    assert set(report.summary["as_of"]) == {"2026-10"}  # the About sheet, the CSV's name
    assert empty_store.is_empty()


@pytest.mark.parametrize("text, message", [("October", "not a month"), ("2026-13", "not a month")])
def test_an_unreadable_month_is_refused(empty_store, text, message):
    report = logic.run_check(empty_store, [("a.xlsx", make_workbook())], text)
    assert not report.ok and message in report.message


def _gmpp_workbook() -> bytes:
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "GMPP Data"
    ws.append(["GMPP ID", "Project Name", "Department", "Whole Life Cost (£m)"])
    ws.append(["DFT_0022", "High Speed 2", "BEIS", 519])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_map_your_columns_saves_a_mapping_and_checks_again(sample_store):
    """SPEC §7.6: a sheet with unknown headers gets a drop-down per header and a preview; saved, it loads."""
    at = _upload(open_app("views/upload.py"), "2026-10 GMPP.xlsx", _gmpp_workbook())
    [b for b in at.button if b.label == "Check"][0].click().run()
    assert not at.exception
    assert any(b.label.startswith("Download") and "problems marked" in b.label for b in at.get("download_button"))
    key = "map_0_0"
    at.selectbox(key=f"{key}_sheet").set_value("Projects")
    at.run()
    for number, column in enumerate(["project_id", "project_name", "portfolio", "budget_at_completion"]):
        at.selectbox(key=f"{key}_col_{number}").set_value(column)
    at.text_area(key=f"{key}_values").set_value("portfolio: BEIS -> DESNZ")
    at.text_input(key=f"{key}_name").set_value("GMPP projects")
    at.run()
    [b for b in at.button if b.label == "Save mapping and check again"][0].click().run()
    assert_clean(at)
    assert any("No errors found" in s.value for s in at.success)
    [b for b in at.button if b.label == "Load"][0].click().run()
    assert_clean(at)
    stored = sample_store.query("SELECT portfolio, budget_at_completion FROM projects WHERE project_id = 'DFT_0022'")
    assert stored.to_pylist() == [{"portfolio": "DESNZ", "budget_at_completion": 519e6}]


def test_the_units_choice_scales_money(sample_store):
    at = _upload(open_app("views/upload.py"), "2026-10 Units return.xlsx", make_workbook())
    at.selectbox(key="upload_units_0").set_value("thousands").run()
    [b for b in at.button if b.label == "Check"][0].click().run()
    [b for b in at.button if b.label == "Load"][0].click().run()
    assert_clean(at)
    bac = sample_store.query("SELECT budget_at_completion AS b FROM projects WHERE project_id = 'PRJ-001' "
                             "ORDER BY upload_id DESC LIMIT 1")["b"][0].as_py()
    assert bac == 120_000_000
