"""The read pipeline: sheets parsed largest first and two at a time, the archive checked ahead of
the parser, validation on two workers — and none of it visible in what the user is told."""

import io
import random
import string
import zipfile

import openpyxl
import pytest

from pmo_metrics import readers, validate
from pmo_metrics.ingest import check
from pmo_metrics.readers import check_archive, read_file
from pmo_metrics.store import Store
from tests.factories import default_rows, make_workbook


def _xml_workbook(sheet_xml: bytes) -> bytes:
    """Return `make_workbook(sheets=["Projects"])` with its sheet XML replaced."""
    data = make_workbook(sheets=["Projects"])
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = sheet_xml if info.filename == "xl/worksheets/sheet2.xml" else source.read(info.filename)
            target.writestr(info.filename, body)
    return out.getvalue()


def _bulky_financials(rows: int = 3000) -> list[dict]:
    """Financial rows for the default projects, enough that Financials is the largest sheet."""
    base = default_rows("Financials")[0]
    return [dict(base, period=f"{2000 + i // 12}-{i % 12 + 1:02d}") for i in range(rows)]


def test_sheets_and_problems_come_back_in_workbook_order_whatever_the_parse_order():
    # Financials is by far the largest sheet, so it is parsed first; the report must still
    # list Projects (the first sheet) first.
    data = make_workbook(Financials=_bulky_financials(),
                         cells=[("Projects", "D2", "x" * 3), ("Financials", "Z1", "stray header")])
    raw = read_file("2026-10 order.xlsx", data)
    names = [s.sheet_name for s in raw.sheets]
    assert names == [n for n in ["Projects", "Financials", "Benefits", "BenefitValues", "KPIs", "Benchmarks"]
                     if n in names]
    sheets_with_problems = [p.sheet for p in raw.problems if p.sheet]
    assert sheets_with_problems == sorted(sheets_with_problems, key=names.index)


@pytest.mark.parametrize("threads", [1, 2])
def test_parsing_two_sheets_at_once_reads_exactly_what_one_at_a_time_reads(monkeypatch, threads):
    data = make_workbook(Financials=_bulky_financials(), wide_benefit_values=True)
    monkeypatch.setattr(readers.archive, "PARSE_THREADS", 1)
    expected = read_file("2026-10 a.xlsx", data)
    monkeypatch.setattr(readers.archive, "PARSE_THREADS", threads)
    got = read_file("2026-10 a.xlsx", data)
    assert [(s.sheet_name, s.table) for s in got.sheets] == [(s.sheet_name, s.table) for s in expected.sheets]
    assert [p.as_dict() for p in got.problems] == [p.as_dict() for p in expected.problems]
    assert got.about_as_of == expected.about_as_of


def test_a_far_cell_in_the_last_sheet_parsed_refuses_the_file_and_keeps_nothing():
    # The large sheets are parsed before the check of the small Benchmarks sheet is needed.
    data = make_workbook(Financials=_bulky_financials(), cell=("Benchmarks", "XFD1048576", "x"))
    raw = read_file("2026-10 far.xlsx", data)
    assert not raw.sheets
    assert [p.problem for p in raw.problems] == [raw.problems[0].problem]
    assert "beyond row 999,999" in raw.problems[0].problem


def _xml_with_reference_cut_at(boundary: int) -> bytes:
    """Sheet XML whose far cell reference straddles byte `boundary` of the inflated sheet."""
    head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    row = b'<row r="1"><c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>'
    filler = boundary - 4 - row.index(b' r="XFD1"') - len(head) - len(b"<!---->")
    noise = "".join(random.Random(0).choices(string.ascii_letters, k=filler)).encode()  # not a bomb
    xml = head + b"<!--" + noise + b"-->" + row
    cut = xml.index(b' r="XFD1"')
    assert cut < boundary < cut + len(b' r="XFD1"')
    return xml


# The first boundary is between two chunks searched together; the second is between the last
# chunk of one search and the first of the next.
@pytest.mark.parametrize("chunks_before", [1, readers.archive.CHUNKS_PER_SEARCH])
def test_a_far_reference_cut_across_two_inflated_chunks_is_still_found(chunks_before):
    xml = _xml_with_reference_cut_at(chunks_before * readers.archive.INFLATE_CHUNK)
    problem = check_archive("2026-10 cut.xlsx", _xml_workbook(xml))
    assert problem is not None and "beyond row 999,999" in problem.problem


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_the_archive_check_inflates_exactly_what_zipfile_reads(method):
    body = _xml_with_reference_cut_at(3 * readers.archive.INFLATE_CHUNK // 2)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", body)
        archive.writestr("xl/empty.xml", b"")
    members = zipfile.ZipFile(out).infolist()
    chunks = [list(readers.archive.inflated(out.getvalue(), member)) for member in members]
    assert [len(c) for c in chunks[0]] == [readers.archive.INFLATE_CHUNK, len(body) - readers.archive.INFLATE_CHUNK]
    assert b"".join(chunks[0]) == body and chunks[1] == []
    problem = check_archive("2026-10 stored.xlsx", out.getvalue())
    assert problem is not None and "beyond row 999,999" in problem.problem


def _largest_sheet(data: bytes) -> zipfile.ZipInfo:
    sheets = [m for m in zipfile.ZipFile(io.BytesIO(data)).infolist() if m.filename.startswith("xl/worksheets/")]
    return max(sheets, key=lambda m: m.compress_size)


def test_a_sheet_whose_compressed_data_is_cut_short_is_a_damaged_workbook():
    data = make_workbook(Financials=_bulky_financials())
    info = _largest_sheet(data)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    half = info.compress_size // 2
    # Zero the second half of the sheet's deflate stream: it breaks, or ends before its end.
    broken = data[:start + half] + bytes(info.compress_size - half) + data[start + info.compress_size:]
    problem = check_archive("2026-10 broken.xlsx", broken)
    assert problem is not None and "damaged" in problem.problem


def test_an_encrypted_sheet_is_a_damaged_workbook():
    data = bytearray(make_workbook())
    name = _largest_sheet(bytes(data)).filename.encode()
    entry = bytes(data).index(b"PK\x01\x02")  # the central directory, where zipfile reads the flags
    while data[entry + 46:entry + 46 + len(name)] != name:
        entry = bytes(data).index(b"PK\x01\x02", entry + 4)
    data[entry + 8] |= 1  # general purpose flag bit 0: encrypted
    problem = check_archive("2026-10 encrypted.xlsx", bytes(data))
    assert problem is not None and "damaged" in problem.problem


def test_the_archive_check_reports_members_in_the_order_asked():
    data = make_workbook()
    seen = []
    members = [m.filename for m in zipfile.ZipFile(io.BytesIO(data)).infolist()]
    wanted = list(reversed(members))
    assert check_archive("2026-10 ok.xlsx", data, order=wanted, on_checked=seen.append) is None
    assert seen == wanted


@pytest.mark.parametrize("workers", [1, 2])
def test_two_validation_workers_give_what_one_gives(tmp_path, monkeypatch, workers):
    data = make_workbook(Financials=_bulky_financials(), wide_benefit_values=True,
                         cells=[("Financials", "C5", "twelve"), ("Benefits", "A3", "")])
    store = Store(tmp_path / "pmo.duckdb")
    monkeypatch.setattr(validate.Validator.__init__, "__defaults__", (1,))
    expected, expected_loads = check(store, [("2026-10 v.xlsx", data)])
    monkeypatch.setattr(validate.Validator.__init__, "__defaults__", (workers,))
    got, loads = check(store, [("2026-10 v.xlsx", data)])
    assert [p.as_dict() for p in got.problems] == [p.as_dict() for p in expected.problems]
    assert got.problems, "the workbook was meant to have errors"
    assert [sorted(item.tables) for item in loads] == [sorted(item.tables) for item in expected_loads]


def test_two_tabs_meaning_the_same_sheet_are_refused_not_half_loaded(tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(make_workbook()))
    register = book.create_sheet("Project Register")
    for row in book["Projects"].iter_rows(values_only=True):
        register.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    result, loads = check(Store(tmp_path / "pmo.duckdb"), [("2026-10 two.xlsx", buffer.getvalue())])
    assert not loads and not result.ok
    [problem] = result.problems
    assert problem.sheet == "Project Register"
    assert "'Projects' and 'Project Register' both hold Projects" in problem.problem
