"""Scorecard exports: the workbook, board pack and CSV read back and compared with `measures`.

The sample portfolio is loaded once per session into a template database; each format is rendered
once per module and checked from several sides. A hostile upload (names that are formulas) checks
that nothing from an upload can run as a formula in Excel or from CSV (SPEC §6).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import shutil
import zipfile

import pyarrow as pa
import pypdf
import pytest
from openpyxl import Workbook, load_workbook

from pmo_metrics import measures
from pmo_metrics.display import money
from pmo_metrics.exports import FORMATS, build_scorecard, render_scorecard, write_scorecard, xlsx
from pmo_metrics.exports.common import display
from pmo_metrics.exports.pdf import to_pdf
from pmo_metrics.exports.scorecard import SCORECARD_COLUMNS, rag
from pmo_metrics.exports.xlsx import DETAIL_SHEETS, currency_format
from pmo_metrics.ingest import ingest, load_sample
from pmo_metrics.measures import Scope
from pmo_metrics.store import Store
from tests.factories import default_rows, make_workbook

AS_OF = dt.date(2026, 10, 1)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RAG_FILLS = {"Green": "009E73", "Amber": "E69F00", "Red": "D55E00"}


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory):
    """Return the path of a database holding the bundled sample (loaded once per test session)."""
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    load_sample(Store(path))
    return path


@pytest.fixture(scope="module")
def store(sample_db, tmp_path_factory):
    """Return a store on a copy of the sample database, so nothing here can change the template."""
    path = tmp_path_factory.mktemp("exports") / "pmo.duckdb"
    shutil.copy(sample_db, path)
    return Store(path)


def _tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 2), "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def no_charts(monkeypatch):
    """Skip the Altair→PNG rendering (seconds per pack) in tests about text, fonts and progress."""
    png = _tiny_png()
    monkeypatch.setattr("pmo_metrics.exports.pdf.chart_png", lambda chart: png)


@pytest.fixture(scope="module")
def card(store):
    return build_scorecard(store, AS_OF)


@pytest.fixture(scope="module")
def workbook(card):
    return load_workbook(io.BytesIO(render_scorecard(card, "xlsx")))


@pytest.fixture(scope="module")
def pdf_bytes(card):
    return render_scorecard(card, "pdf")


def _hostile_workbook() -> bytes:
    """Return a valid upload whose names are formulas, written as text cells like a real spreadsheet's."""
    projects = default_rows("Projects")
    projects[0]["project_name"] = '=HYPERLINK("http://x","y")'
    projects[1]["project_name"] = "@SUM(A1)"
    projects[1]["programme"] = "=1+1"
    projects += [{**projects[0], "project_id": "PRJ-003", "project_name": "+1"},
                 {**projects[0], "project_id": "PRJ-004", "project_name": "-2+3"}]
    benefits = default_rows("Benefits")
    benefits[0]["benefit_name"] = "\tBilling cost saving"
    wb = load_workbook(io.BytesIO(make_workbook(Projects=projects, Benefits=benefits)))
    for ws in wb:  # openpyxl stored '=...' as formulas; a submitter's workbook holds them as text
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


HOSTILE_NAMES = ('=HYPERLINK("http://x","y")', "@SUM(A1)", "+1", "-2+3", "=1+1", "\tBilling cost saving")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Return a store loaded with the hostile-names upload."""
    store = Store(tmp_path_factory.mktemp("hostile") / "pmo.duckdb")
    result = ingest(store, [("2026-10 hostile.xlsx", _hostile_workbook())], as_of=AS_OF)
    assert result.ok, result.problems
    return store


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float | int) and isinstance(b, float | int):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b


def _sheet_rows(ws) -> tuple[list[str], list[tuple]]:
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[0]), rows[1:]


# -- the scorecard as data ------------------------------------------------------------------------


def test_scorecard_rows_copy_the_measures_for_projects(store, card):
    delivery = {r["project_id"]: r for r in measures.measure_table(store, "delivery", AS_OF).to_pylist()}
    returns = {r["project_id"]: r for r in measures.measure_table(store, "returns", AS_OF).to_pylist()}
    projects = [r for r in card.table.to_pylist() if r["row"] == "project"]
    assert {r["project_id"] for r in projects} == set(delivery)
    for row in projects:
        d, r = delivery[row["project_id"]], returns[row["project_id"]]
        for column in ("bac", "ac", "ev", "cpi", "spi", "eac"):
            assert _close(row[column], d[column]), (row["project_id"], column)
        assert row["delivery_rag"] == d["rag"]
        assert _close(row["npv"], r["npv"]) and _close(row["roi"], r["roi"])
        assert row["payback_month"] == r["payback_month"]


def test_project_benefits_sum_financial_flow_benefits(store, card):
    benefits = measures.measure_table(store, "benefits", AS_OF).to_pylist()
    row = next(r for r in card.table.to_pylist() if r["project_id"] == "CG-001")
    flows = [b for b in benefits if b["project_id"] == "CG-001" and b["category"] == "financial"
             and b["measure"] == "flow"]
    assert _close(row["realised_to_date"], sum(b["realised_to_date"] for b in flows))
    assert _close(row["realisation_rate"], row["realised_to_date"] / row["planned_to_date"])
    assert row["benefits_rag"] == rag(row["realisation_rate"], 0.95, 0.85)


def test_rollups_match_delivery_rollup_and_headline(store, card):
    rows = card.table.to_pylist()
    for level in ("programme", "portfolio"):
        expected = measures.delivery_rollup(store, AS_OF, level).to_pylist()
        got = [r for r in rows if r["row"] == level]
        assert len(got) == len(expected)
        for e in expected:
            g = next(r for r in got if r["portfolio"] == e["portfolio"]
                     and (level == "portfolio" or r["programme"] == e["programme"]))
            assert all(_close(g[c], e[c]) for c in ("bac", "ac", "ev", "cpi", "spi", "eac"))
            assert g["delivery_rag"] == e["rag"]
    # A portfolio row's NPV and ROI recompute like the dashboard's tiles for that portfolio.
    portfolio = next(r for r in rows if r["row"] == "portfolio")
    tiles = measures.headline(store, AS_OF, Scope(portfolio=portfolio["portfolio"]))
    for column in ("npv", "roi", "realised_to_date", "planned_to_date", "realisation_rate", "erosion",
                   "erosion_original"):
        assert _close(portfolio[column], tiles[column]), column
    total = rows[-1]
    assert total["row"] == "total" and _close(total["npv"], card.headline["npv"])
    assert _close(total["realised_to_date"], sum(r["realised_to_date"] for r in rows if r["row"] == "portfolio"))


def test_rows_are_ordered_projects_then_their_rollups(card):
    kinds = card.table.column("row").to_pylist()
    assert kinds[-1] == "total" and kinds.count("total") == 1
    assert kinds[-2] == "portfolio" and kinds[0] == "project"
    first_programme_total = kinds.index("programme")
    assert set(kinds[:first_programme_total]) == {"project"}


def test_scope_filters_every_row(store):
    card = build_scorecard(store, AS_OF, Scope(portfolio="Customer Growth"))
    assert set(card.table.column("portfolio").to_pylist()) <= {"Customer Growth", None}
    assert card.scope_text == "Portfolio Customer Growth"


def test_unknown_format_is_refused(store):
    with pytest.raises(ValueError, match="xlsx, pdf, csv"):
        write_scorecard(store, AS_OF, Scope(), "docx")


# -- Excel ---------------------------------------------------------------------------------------


def test_workbook_has_the_summary_scorecard_and_one_sheet_per_table(workbook):
    expected = ["Summary", "Scorecard", *[name for name, _k, _t in DETAIL_SHEETS], "Value timeline"]
    assert workbook.sheetnames == expected


def test_scorecard_sheet_values_equal_the_scorecard(workbook, card):
    ws = workbook["Scorecard"]
    header, rows = _sheet_rows(ws)
    assert header == [SCORECARD_COLUMNS[c].label for c in card.table.column_names]
    assert len(rows) == card.table.num_rows
    for got, want in zip(rows, card.table.to_pylist(), strict=True):
        for value, (name, expected) in zip(got, want.items(), strict=True):
            if SCORECARD_COLUMNS[name].unit == "rag":
                expected = expected.capitalize() if expected else None
            if isinstance(value, dt.datetime):
                value = value.date()
            assert _close(value, expected), (name, value, expected)


def test_detail_sheets_equal_the_measures_tables(workbook, store):
    for sheet, key, _text in DETAIL_SHEETS:
        table = measures.measure_table(store, key, AS_OF)
        header, rows = _sheet_rows(workbook[sheet])
        assert len(header) == table.num_columns and len(rows) == table.num_rows, sheet
        for got, want in zip(rows, table.to_pylist(), strict=True):
            for value, (name, expected) in zip(got, want.items(), strict=True):
                value = value.date() if isinstance(value, dt.datetime) else value
                # a RAG prints as a word; a delivery confidence rating stays as stored
                if isinstance(expected, str) and expected in ("green", "amber", "red") and \
                        measures.MEASURES[name].unit == "rag":
                    expected = expected.capitalize()
                if isinstance(expected, float) and not math.isfinite(expected):
                    expected = None
                assert _close(value, expected), (sheet, value, expected)


def test_number_formats_fills_notes_filters_and_frozen_headers(workbook):
    ws = workbook["Scorecard"]
    header = [c.value for c in ws[1]]
    first = ws[2]
    col = {label: i for i, label in enumerate(header)}
    assert first[col["BAC"]].number_format == currency_format("GBP") and "£" in currency_format("GBP")
    assert first[col["CPI"]].number_format == "0.00"
    assert first[col["ROI to date"]].number_format == "0.0%"
    assert ws.freeze_panes == "F2" and ws.auto_filter.ref.startswith("A1:")
    assert all(cell.comment is not None and cell.comment.text for cell in ws[1])
    assert "Budget at completion" in ws.cell(1, col["BAC"] + 1).comment.text
    for row in ws.iter_rows(min_row=2):
        cell = row[col["Delivery RAG"]]
        if cell.value:
            assert cell.fill.fgColor.rgb.endswith(RAG_FILLS[cell.value])
    payback = [r[col["Payback month"]] for r in ws.iter_rows(min_row=2) if r[col["Payback month"]].value]
    assert payback and all(c.number_format == "yyyy-mm" for c in payback)
    for sheet, _key, _text in DETAIL_SHEETS:
        assert workbook[sheet].freeze_panes == "B2" and workbook[sheet].auto_filter.ref


def test_summary_sheet_states_scope_month_thresholds_and_has_a_native_chart(workbook, card):
    ws = workbook["Summary"]
    values = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row[0]}
    assert values["Scope"] == "All portfolios"
    assert values["Reporting month"].date() == AS_OF
    assert isinstance(values["Generated"], dt.datetime)
    assert values["Delivery (min of CPI, SPI)"] == "≥ 0.95"
    assert values["Benefit realisation rate"] == "≥ 95%"
    assert len(ws._charts) == 1  # openpyxl keeps the loaded LineChart
    tiles = {ws.cell(r, c).value: ws.cell(r + 1, c).value for r in range(1, 40) for c in range(1, 5)}
    assert _close(tiles["Realised to date"], card.headline["realised_to_date"])


def test_no_cell_of_the_workbook_is_a_formula(workbook):
    for ws in workbook:
        for row in ws.iter_rows():
            assert all(cell.data_type != "f" for cell in row), ws.title


def test_workbook_rows_are_written_once_in_order_and_read_the_same_read_only(card):
    """Data rows are written as XML after openpyxl's header row: no row may repeat or go backwards."""
    data = render_scorecard(card, "xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 3 + len(DETAIL_SHEETS)  # summary, scorecard, details, value timeline
        for name in sheets:
            numbers = [int(r) for r in re.findall(r'<row r="(\d+)"', archive.read(name).decode())]
            assert numbers == sorted(set(numbers)), name
    full, fast = load_workbook(io.BytesIO(data)), load_workbook(io.BytesIO(data), read_only=True)
    for sheet in ("Scorecard", *(name for name, _k, _t in DETAIL_SHEETS)):
        assert list(full[sheet].iter_rows(values_only=True)) == \
            [r for r in fast[sheet].iter_rows(values_only=True) if any(v is not None for v in r)], sheet


def test_awkward_text_round_trips_as_text_cells():
    texts = ["a & <b> > c", "\r=1+1", "  padded  ", "bell\x07 removed", "-5", "Green", "plain"]
    table = pa.table({"name": texts, "rag": ["green", "amber", "red", None, "none", "green", None],
                      "amount": [1.5, -2.0, None, 1e20, 0.1, 3.0, float("nan")]})
    wb = Workbook()
    ws = wb.active
    data = xlsx._save(wb, {ws: xlsx.write_table(ws, table, "scorecard", "GBP")})
    back = load_workbook(io.BytesIO(data)).active
    rows = list(back.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == ["a & <b> > c", "\r=1+1", "  padded  ", "bell removed", "-5", "Green",
                                          "plain"]
    assert all(r[0].data_type == "s" for r in rows)
    assert [r[0].quotePrefix for r in rows] == [False, True, False, False, True, False, False]
    assert [r[1].value for r in rows] == ["Green", "Amber", "Red", None, "none", "Green", None]
    assert rows[0][1].fill.fgColor.rgb.endswith(RAG_FILLS["Green"]) and rows[0][1].font.b
    assert [r[2].value for r in rows] == [1.5, -2, None, 1e20, 0.1, 3, None]
    assert rows[0][2].number_format == currency_format("GBP", decimals=True)


# -- PDF -----------------------------------------------------------------------------------------


def test_board_pack_text_has_rollup_figures_and_page_numbers(pdf_bytes, card):
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes))
    pages = [p.extract_text() for p in reader.pages]
    text = "\n".join(pages)
    n = len(pages)
    assert 7 <= n <= 12
    assert all(f"Page {i} of {n}" in page for i, page in enumerate(pages, start=1))
    assert "Benefits realisation board pack" in pages[0] and "October 2026" in pages[0]
    assert "Chart not available" not in text
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    # The pack's table holds the roll-ups (the workbook has one row per project, SPEC §11).
    for row in card.table.to_pylist():
        if row["row"] in ("programme", "portfolio"):
            assert money(row["bac"], "GBP") in text
    total = card.table.to_pylist()[-1]
    assert display("realisation_rate", total["realisation_rate"], "ratio") in text
    # Every page of the roll-up table carries the headings.
    table_pages = [p for p in pages if "Programme total" in p or "Total of the scope" in p]
    assert table_pages and all("BAC" in p and "Payback" in p for p in table_pages)


def test_board_pack_images_are_the_charts(pdf_bytes):
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes))
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 8  # cover RAG counts, value timeline, two per level 1/3/4, KPI bullets


def test_board_pack_without_unicode_fonts_keeps_pound_sign(card, no_charts):
    data = to_pdf(card, unicode_fonts=False)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert "£" in text and ">= 0.95" in text


def test_board_pack_reports_progress(store, no_charts):
    seen = []
    write_scorecard(store, AS_OF, Scope(programme="Supply Chain"), "pdf", progress=lambda f, t: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


# -- CSV -----------------------------------------------------------------------------------------


def test_csv_round_trips_to_the_scorecard(card):
    data = render_scorecard(card, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the £ and accents right
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0]) == card.table.column_names
    for got, want in zip(rows, card.table.to_pylist(), strict=True):
        for name, expected in want.items():
            value = got[name]
            if expected is None:
                assert value == ""
            elif isinstance(expected, float):
                assert math.isclose(float(value), expected, rel_tol=1e-11), name
            elif isinstance(expected, dt.date):
                assert value == expected.strftime("%Y-%m")
            else:
                assert value == expected


# -- hostile names ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_card(hostile):
    return build_scorecard(hostile, AS_OF)


def test_hostile_names_are_text_cells_in_excel(hostile_card):
    wb = load_workbook(io.BytesIO(render_scorecard(hostile_card, "xlsx")))
    found = set()
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    assert cell.data_type == "s" and cell.quotePrefix, (ws.title, cell.coordinate)
                    found.add(cell.value)
    assert set(HOSTILE_NAMES) <= found  # shown exactly as uploaded, just never run


def test_hostile_names_are_neutralised_in_csv(hostile_card):
    text = render_scorecard(hostile_card, "csv").decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text)):
        for value in row:
            assert not value.startswith(FORMULA_STARTS) or is_number(value), value
    assert "'=HYPERLINK" in text and "'-2+3" in text and "'+1" in text and "'@SUM(A1)" in text


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_hostile_names_print_in_the_board_pack(hostile_card, no_charts):
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render_scorecard(hostile_card, "pdf"))).pages)
    # project names print in the risk tables, programme names in the roll-up rows, as typed
    assert '=HYPERLINK("http://x","y")' in text and "+1" in text and "=1+1" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_write_scorecard_returns_bytes_of_each_format(hostile, fmt, no_charts):
    data = write_scorecard(hostile, AS_OF, Scope(portfolio="Digital"), fmt)
    magic = {"xlsx": b"PK", "pdf": b"%PDF", "csv": b"\xef\xbb\xbf"}[fmt]
    assert data.startswith(magic)


def test_empty_store_still_exports(tmp_path):
    card = build_scorecard(Store(tmp_path / "empty.duckdb"), AS_OF)
    assert card.table.num_rows == 0
    for fmt in FORMATS:
        assert render_scorecard(card, fmt)
