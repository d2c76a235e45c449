"""The sheet extent guard (SPEC §6 bad input): a far cell in any spelling, in any member, is refused.

The parser allocates a dense grid up to the farthest cell, so a reference it reads and this guard
does not would abort the process. Spellings here are all ones the parser accepts (checked against
it: either quote, whitespace around `=`, lower-case letters, leading zeros, a row with no cell
reference), in sheets stored wherever the workbook's relationships point.
"""

import io
import json
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmo_metrics.readers import archive, check_archive, read_file
from tests.factories import make_workbook

ROOT = Path(__file__).resolve().parents[2]
SHEET = "xl/worksheets/sheet2.xml"  # the Projects sheet of make_workbook(sheets=["Projects"])
BASE = make_workbook(sheets=["Projects"])
PROJECTS_XML = zipfile.ZipFile(io.BytesIO(BASE)).read(SHEET)
WHITESPACE = st.text(alphabet=" \t\r\n", max_size=4)


def workbook_with(xml: bytes, member: str = SHEET, target: str | None = None,
                  compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """Return the one-sheet workbook with the Projects sheet's XML `xml`, stored as `member`.

    `target` is how the workbook's relationships name it (default: `/` + member).
    """
    source = zipfile.ZipFile(io.BytesIO(BASE))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as book:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == SHEET:
                book.writestr(member, xml)
                continue
            if info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(f'Target="/{SHEET}"'.encode(), f'Target="{target or "/" + member}"'.encode())
            if info.filename == "[Content_Types].xml":
                body = body.replace(f"/{SHEET}".encode(), f"/{member}".encode())
            book.writestr(info.filename, body)
    return out.getvalue()


def with_far_row(row_open: bytes) -> bytes:
    """Return the Projects XML with one more row, whose opening tag is `row_open`."""
    return PROJECTS_XML.replace(b"</sheetData>", row_open + b"<v>1</v></c></row></sheetData>")


@st.composite
def far_references(draw) -> bytes:
    """A row holding one far cell, its reference spelled any way the parser reads it."""
    quote = draw(st.sampled_from(['"', "'"]))
    before = draw(WHITESPACE) or " "  # an attribute needs whitespace before it
    around_left, around_right = draw(WHITESPACE), draw(WHITESPACE)
    column, row = draw(st.sampled_from([("XFD", 1048576), ("A", 1048576), ("SG", 2), ("SF", 999999),
                                        ("ZZ", 70000), ("AE", 500000), ("IQ", 60000), ("DQ", 130000)]))
    letters = "".join(draw(st.sampled_from([c.lower(), c])) for c in column)
    zeros = "0" * draw(st.integers(0, 3))
    ref = f"{letters}{zeros}{row}"
    if draw(st.booleans()):  # the reference on the cell; its row says nothing
        return f'<row r="{row}"><c{before}r{around_left}={around_right}{quote}{ref}{quote}>'.encode()
    # the row says where it is; the cells in it carry no reference (the parser counts from A)
    row = draw(st.sampled_from([1000000, 1048576, 4294967295]))
    return f"<row{before}r{around_left}={around_right}{quote}{zeros}{row}{quote}><c>".encode()


MEMBER_PATHS = [  # (member stored in the archive, target written in the relationships)
    (SHEET, f"/{SHEET}"), (SHEET, "worksheets/sheet2.xml"), ("xl/data/grid.xml", "data/grid.xml"),
    ("xl/data/grid.xml", "/xl/data/grid.xml"), ("xl/Grid.XML", "Grid.XML"), ("other/sheet.xml", "/other/sheet.xml"),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row_open=far_references(), where=st.sampled_from(MEMBER_PATHS))
def test_any_spelling_of_a_far_cell_in_any_member_is_refused_before_parsing(row_open, where):
    member, target = where
    data = workbook_with(with_far_row(row_open), member, target)
    problem = check_archive("2026-10 far.xlsx", data)
    assert problem is not None and problem.problem.startswith("refused:"), (row_open, where, problem)
    raw = read_file("2026-10 far.xlsx", data)  # would abort the process if the guard let it through
    assert not raw.sheets and [p.sheet for p in raw.problems] == ["Projects"], raw.problems


@pytest.mark.parametrize("where", MEMBER_PATHS)
def test_a_sheet_in_any_member_loads_when_it_is_sane(where):
    raw = read_file("2026-10 ok.xlsx", workbook_with(PROJECTS_XML, *where))
    assert [s.sheet_name for s in raw.sheets] == ["Projects"], raw.problems
    assert not [p for p in raw.problems if p.severity == "error"]


@pytest.mark.parametrize(("ref", "refused"), [
    ("A1:L3", False), ("A1:AD999999", False), ("B2:SF60000", False),
    ("A1:SF999999", True), ("A1:XFD1048576", True), ("a1:sf1000000", True), ("A1:IQ250000", True),
])
def test_the_declared_used_range_is_bounded(ref, refused):
    xml = re.sub(rb'<dimension ref="[A-Z0-9:]+" />', f"<dimension  ref = '{ref}'/>".encode(), PROJECTS_XML)
    assert xml != PROJECTS_XML
    problem = check_archive("2026-10 dim.xlsx", workbook_with(xml))
    assert (problem is not None) == refused, problem
    if refused:
        assert problem.sheet == "Projects" and "refused" in problem.problem


@pytest.mark.parametrize(("cells", "refused"), [
    (["A1", "AD999999"], False), (["A1", "SF59999"], False), (["A1", "DP249999"], False),
    (["A1", "SF60000"], True), (["AE1", "A500000"], True), (["BI2", "A250000"], True),
])
def test_the_extent_of_cells_far_apart_is_bounded(cells, refused):
    rows = "".join(f'<row r="{c.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"><c r="{c}"><v>1</v></c></row>' for c in cells)
    xml = PROJECTS_XML.replace(b"</sheetData>", rows.encode() + b"</sheetData>")
    problem = check_archive("2026-10 extent.xlsx", workbook_with(xml))
    assert (problem is not None) == refused, problem


@pytest.mark.parametrize("spaces", [10, 3 * archive.INFLATE_CHUNK])
def test_whitespace_cannot_hide_a_reference_across_a_chunk_boundary(spaces):
    # The run of whitespace between `r` and `=` straddles (or spans) the boundary between chunks.
    filler = b"<!--" + b"x" * (archive.INFLATE_CHUNK - 4 - 5 - 100) + b"-->"
    xml = PROJECTS_XML.replace(b"<sheetData>", filler + b"<sheetData>", 1)
    at = xml.index(b"</sheetData>")
    head = xml[:at] + b'<row r="7"><c t="n"\n'
    pad = max(0, archive.INFLATE_CHUNK - len(head) - 2)
    row = b"r" + b" " * (pad + spaces) + b"= 'XFD7'><v>1</v></c></row>"
    data = workbook_with(head + row + xml[at:], compression=zipfile.ZIP_STORED)  # not a zip bomb
    problem = check_archive("2026-10 spaced.xlsx", data)
    assert problem is not None and "beyond row 999,999" in problem.problem


@pytest.mark.parametrize("cells", [("AE1", "A500000"), ("A500000", "AE1")])
def test_a_band_pair_found_in_groups_searched_side_by_side_is_refused(monkeypatch, cells):
    # Each group of chunks is examined on its own thread; one finds the column band, another the
    # row band, and neither may miss the pair because the other had not yet added its half.
    monkeypatch.setattr(archive, "CHUNKS_PER_SEARCH", 1)
    filler = b"<!--" + b"x" * (3 * archive.INFLATE_CHUNK) + b"-->"
    first, second = (f'<row r="{c.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"><c r="{c}"><v>1</v></c></row>'.encode()
                     for c in cells)
    xml = PROJECTS_XML.replace(b"</sheetData>", first + filler + second + b"</sheetData>")
    data = workbook_with(xml, compression=zipfile.ZIP_STORED)  # not a zip bomb
    for threads in (1, 2):
        problem = check_archive("2026-10 bands.xlsx", data, threads=threads)
        assert problem is not None and "more than 30,000,000 cells" in problem.problem, (threads, problem)


CAPPED = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))  # what a modest server has
    from pmo_metrics.ingest import ingest
    from pmo_metrics.store import Store
    store = Store(sys.argv[1])
    out = []
    for path in sys.argv[2:]:
        start = time.perf_counter()
        result = ingest(store, [(Path(path).name, Path(path).read_bytes())])
        out.append({"file": path, "status": result.files[0].status, "seconds": time.perf_counter() - start,
                    "errors": [str(p) for f in result.files for p in f.errors]})
    out.append({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    print(json.dumps(out))
""")


def test_far_cells_are_refused_cleanly_under_a_6_gb_address_space_cap(tmp_path):
    uploads = {
        "single quotes": with_far_row(b"<row r='1048576'><c r='XFD1048576'>"),
        "tab before r": with_far_row(b'<row r="9"><c\tr="XFD9">'),
        "newline and spaces": with_far_row(b'<row r="9"><c\nr = "xfd9">'),
        "inside the limits": with_far_row(b'<row r="999999"><c r="SF999999">'),
        "row only": with_far_row(b"<row r = '1048576'><c>"),
        "declared range": re.sub(rb'<dimension ref="[A-Z0-9:]+"', b'<dimension ref="A1:XFD1048576"', PROJECTS_XML),
    }
    paths = []
    for index, (name, xml) in enumerate(uploads.items()):
        where = MEMBER_PATHS[index % len(MEMBER_PATHS)]
        path = tmp_path / f"2026-10 {name}.xlsx"
        path.write_bytes(workbook_with(xml, *where))
        paths.append(str(path))
    done = subprocess.run([sys.executable, "-c", CAPPED, str(tmp_path / "store.duckdb"), *paths], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]  # an abort would be a signal, not 0
    *results, peak = json.loads(done.stdout.strip().splitlines()[-1])
    for result in results:
        assert result["status"] == "rejected", result
        assert any("refused" in e and "Projects" in e for e in result["errors"]), result
        assert result["seconds"] < 2, result
    assert peak["peak_mb"] < 1000, peak
