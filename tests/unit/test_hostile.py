"""Hostile uploads (SPEC §6 bad input): bombs, oversize, far cells, formulas, macros, paths, fuzz."""

import io
import json
import random
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmo_metrics.ingest import check, ingest
from pmo_metrics.problems import Problem
from pmo_metrics.readers import read_file
from pmo_metrics.store import Store
from tests.factories import make_workbook

ROOT = Path(__file__).resolve().parents[2]
SHEET = "xl/worksheets/sheet2.xml"  # the Projects sheet of make_workbook(sheets=["Projects"])
HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.'
        b'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        b'project_id</t></is></c><c r="B1" t="inlineStr"><is><t>project_name</t></is></c><c r="C1" '
        b't="inlineStr"><is><t>portfolio</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>')
TAIL = b"</t></is></c></row></sheetData></worksheet>"
LIMIT_SECONDS, LIMIT_MB = 2.0, 200


def rebuild(data: bytes, member: str, write) -> bytes:
    """Return the workbook `data` with `member` rewritten by write(stream), deflated at level 9."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename != member:
                target.writestr(info.filename, source.read(info.filename))
                continue
            entry = zipfile.ZipInfo(member, info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry._compresslevel = 9  # ZipInfo has no public setting for the level of one member
            with target.open(entry, "w") as stream:
                write(stream)
    return out.getvalue()


def bomb(megabytes: int) -> bytes:
    """Return a valid workbook whose Projects sheet holds one text cell of `megabytes` MB of 'A'."""
    chunk = b"A" * (1 << 20)

    def write(stream):
        stream.write(HEAD)
        for _ in range(megabytes):
            stream.write(chunk)
        stream.write(TAIL)

    return rebuild(make_workbook(sheets=["Projects"]), SHEET, write)


def lying(data: bytes, member: str = SHEET, size: int = 50_000) -> bytes:
    """Return `data` with the uncompressed size of `member` rewritten to `size` in both zip headers."""
    patched = bytearray(data)
    at = patched.find(b"PK\x01\x02")
    while at != -1:
        name_length = struct.unpack_from("<H", patched, at + 28)[0]
        if bytes(patched[at + 46:at + 46 + name_length]) == member.encode():
            struct.pack_into("<I", patched, at + 24, size)
            struct.pack_into("<I", patched, struct.unpack_from("<I", patched, at + 42)[0] + 22, size)
        at = patched.find(b"PK\x01\x02", at + 4)
    return bytes(patched)


def with_sheet_xml(data: bytes, edit) -> bytes:
    """Return the workbook with its Projects sheet XML passed through edit(xml)."""
    xml = zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    return rebuild(data, SHEET, lambda stream: stream.write(edit(xml)))


MEASURE = textwrap.dedent("""
    import json, os, resource, sys, time
    from pathlib import Path
    from pmo_metrics.cli import _read_inputs
    from pmo_metrics.ingest import check
    from pmo_metrics.store import Store

    def measure(path, db):
        store = Store(db)
        store.settings()  # open and migrate first: only the upload is measured
        peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        before, start = peak(), time.perf_counter()
        files = _read_inputs([path], store)  # as the command line reads an upload
        result, _ = check(store, files)
        return {"seconds": time.perf_counter() - start, "extra_mb": peak() - before,
                "errors": [str(p) for f in result.files for p in f.errors]}

    # Imports are paid once; each case runs in a forked child, so its peak memory is its own.
    for index, path in enumerate(sys.argv[1:]):
        reader, writer = os.pipe()
        if os.fork() == 0:
            os.close(reader)
            os.write(writer, json.dumps(measure(path, f"{path}.duckdb")).encode())
            os._exit(0)
        os.close(writer)
        with os.fdopen(reader) as pipe:
            print(pipe.read(), flush=True)
        os.wait()
""")


def measured_checks(folder: Path, uploads: dict[str, bytes]) -> dict[str, dict]:
    """Check each upload in a fresh process; return name -> seconds, extra peak memory (MB), errors."""
    paths = []
    for name, data in uploads.items():
        (folder / name).write_bytes(data)
        paths.append(str(folder / name))
    done = subprocess.run([sys.executable, "-c", MEASURE, *paths], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    results = [json.loads(line) for line in done.stdout.strip().splitlines()]
    assert len(results) == len(uploads), done.stderr[-2000:]
    return dict(zip(uploads, results, strict=True))


FAR_CELLS = ("XFD1048576", "XFD3", "A1048576", "SG2")


@pytest.fixture(scope="module")
def refusals(tmp_path_factory):
    """Measure every upload that must be refused quickly, in one warm process (one fork each)."""
    small, large = bomb(42), bomb(300)
    uploads = {
        "2026-10 small honest.xlsx": small, "2026-10 small lying.xlsx": lying(small),
        "2026-10 large honest.xlsx": large, "2026-10 large lying.xlsx": lying(large),
        "2026-10 huge.xlsx": make_workbook() + random.Random(1).randbytes(60 * 1024 * 1024),
    }
    for cell in FAR_CELLS:
        uploads[f"2026-10 far {cell}.xlsx"] = make_workbook(sheets=["Projects"], cell=("Projects", cell, "x"))
    sizes = {name: len(data) for name, data in uploads.items()}
    return sizes, measured_checks(tmp_path_factory.mktemp("hostile"), uploads)


# -- bombs and oversize ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["small", "large"])
@pytest.mark.parametrize("lie", ["honest", "lying"])
def test_zip_bombs_are_refused_quickly_in_bounded_memory(refusals, kind, lie):
    sizes, outcomes = refusals
    name = f"2026-10 {kind} {lie}.xlsx"
    # ~48 KB inflating to 44 MB, ~310 KB to 315 MB; "lying" ones declare a 50 KB sheet.
    assert sizes[name] < (60_000 if kind == "small" else 500_000)
    outcome = outcomes[name]
    assert any("zip bomb" in e for e in outcome["errors"]), outcome
    assert outcome["seconds"] < LIMIT_SECONDS and outcome["extra_mb"] < LIMIT_MB, outcome


def test_an_oversized_upload_is_refused_before_it_is_parsed(refusals):
    outcome = refusals[1]["2026-10 huge.xlsx"]
    assert any("over the 50 MB upload limit" in e for e in outcome["errors"]), outcome
    assert outcome["seconds"] < LIMIT_SECONDS and outcome["extra_mb"] < LIMIT_MB, outcome


@pytest.mark.parametrize("cell", FAR_CELLS)
def test_a_stray_cell_far_from_the_data_is_refused_not_allocated(refusals, cell):
    # Before the guard, XFD1048576 aborted the process (a 512 GB grid); A1048576 took 8.6 s and 508 MB.
    outcome = refusals[1][f"2026-10 far {cell}.xlsx"]
    assert any("beyond row 999,999 or column SF" in e for e in outcome["errors"]), outcome
    assert outcome["seconds"] < LIMIT_SECONDS and outcome["extra_mb"] < LIMIT_MB, outcome


def test_cells_without_references_on_a_far_row_are_refused():
    def edit(xml):
        return xml.replace(b"</row></sheetData>",
                           b'</row><row r="1048576">' + b'<c t="inlineStr"><is><t>x</t></is></c>' * 3
                           + b"</row></sheetData>")

    raw = read_file("2026-10 far.xlsx", with_sheet_xml(make_workbook(sheets=["Projects"]), edit))
    assert any("beyond row 999,999" in p.problem for p in raw.problems)


def test_column_limit_is_enforced_at_the_schema_maximum():
    def wide(columns):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Projects"
        ws.append(["project_id", "project_name", "portfolio"] + [f"extra {i}" for i in range(columns - 3)])
        ws.append(["P1", "Alpha", "Core"] + [1] * (columns - 3))
        buffer = io.BytesIO()
        wb.save(buffer)
        return buffer.getvalue()

    fits = read_file("2026-10 wide.xlsx", wide(500))
    assert not [p for p in fits.problems if p.severity == "error"] and fits.sheets[0].table.num_rows == 1
    refused = read_file("2026-10 wide.xlsx", wide(501))
    assert any("column SF" in p.problem for p in refused.problems) and not refused.sheets


# -- formulas, macros, external links --------------------------------------------------------


def test_a_formula_without_a_cached_value_is_reported_by_cell(store):
    # openpyxl writes formulas without cached values, as a script or a web export would.
    data = make_workbook(cell=("Financials", "D2", "=1000+100"))
    result, _ = check(store, [("2026-10 formula.xlsx", data)])
    errors = result.files[0].errors
    assert any(e.cell == "D2" and e.sheet == "Financials" and "open and save the file in Excel" in e.problem
               for e in errors), errors


def test_regression_a_formula_without_a_cached_value_no_longer_loads_as_a_blank():
    # fastexcel still reads the cell as empty; the reader must say so rather than load a blank.
    raw = read_file("2026-10 formula.xlsx", make_workbook(cell=("Financials", "D2", "=1000+100")))
    assert [(p.sheet, p.cell) for p in raw.problems if p.severity == "error"] == [("Financials", "D2")]


def test_a_formula_with_a_cached_value_loads_that_value(store):
    data = with_sheet_xml(make_workbook(sheets=["Projects"]),
                          lambda xml: xml.replace(b'<c r="K2" t="n"><v>120000</v></c>',
                                                  b'<c r="K2"><f>100000+20000</f><v>120000</v></c>'))
    assert b"<f>" in zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    raw = read_file("2026-10 cached.xlsx", data)
    assert raw.sheets[0].table.column("budget_at_completion").to_pylist()[0] == 120000


def test_macros_and_external_links_are_ignored_and_the_file_loads(store):
    source = zipfile.ZipFile(io.BytesIO(make_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + random.Random(2).randbytes(4000))
        target.writestr("xl/externalLinks/externalLink1.xml",
                        '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                        '<externalBook r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
                        '2006/relationships"/></externalLink>')
        target.writestr("xl/externalLinks/_rels/externalLink1.xml.rels",
                        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        'relationships/externalLinkPath" Target="file:///C:/secret/budget.xlsx" '
                        'TargetMode="External"/></Relationships>')
    result = ingest(store, [("2026-10 macro.xlsm", out.getvalue())])
    assert result.ok and result.files[0].status == "loaded", result.problems


# -- file names ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "stored"), [
    ("../../etc/passwd 2026-10.xlsx", "passwd 2026-10.xlsx"),
    ("C:\\x\\y 2026-10.xlsx", "y 2026-10.xlsx"),
    ("/abs/path/2026-10 z.xlsx", "2026-10 z.xlsx"),
    ("..\\..\\2026-10 w.xlsx", "2026-10 w.xlsx"),
])
def test_path_like_upload_names_are_never_used_as_paths(store, tmp_path, monkeypatch, name, stored):
    monkeypatch.chdir(tmp_path)
    result = ingest(store, [(name, make_workbook())])
    assert result.ok and result.files[0].name == stored
    assert [r["file_name"] for r in store.uploads().to_pylist()] == [stored]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pmo.duckdb"] or all(
        p.suffix in (".duckdb", ".wal") for p in tmp_path.iterdir())


def test_a_date_cell_holding_a_huge_negative_number_is_a_located_error_not_a_crash(tmp_path):
    """calamine panics converting such a serial to a date (found by the fuzz test below)."""
    book = openpyxl.load_workbook(io.BytesIO(make_workbook()))
    sheet = book["Projects"]
    column = next(c.column_letter for c in sheet[1] if c.value == "start_date")
    sheet[f"{column}2"].value = -(10**15)
    sheet[f"{column}2"].number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    store = Store(tmp_path / "s.duckdb")
    result = ingest(store, [("2026-10 dates.xlsx", out.getvalue())])
    [outcome] = result.files
    assert outcome.status == "rejected"
    assert any(p.sheet == "Projects" and f"column {column} has a cell formatted as a date" in p.problem
               for p in outcome.errors)
    assert store.is_empty()


# -- fuzz ------------------------------------------------------------------------------------

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])
SHEETS = ("Projects", "Financials", "Benefits", "BenefitValues", "KPIs", "Benchmarks", "About")
values = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.datetimes(),
    st.sampled_from(["=1+2", "=SUM(A1:A3)", "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-1", "@SUM(1)",
                     "£1,200", "(1,200)", "12%", "Oct-26", "31/10/2026", "2026-13", "n/a", "ÄÖÜ ✓ 数据", "\u202e"]),
)
pokes = st.lists(st.tuples(st.sampled_from(SHEETS), st.sampled_from("ABCDEFGHIJKLM"), st.integers(1, 8), values),
                 min_size=1, max_size=6)


def assert_located(result) -> None:
    """Assert an ingest result is a load or a list of located problems."""
    for outcome in result.files:
        assert outcome.status in ("loaded", "rejected", "duplicate", "checked")
        assert all(isinstance(p, Problem) and p.file and p.problem for p in outcome.problems)
        if outcome.status == "rejected":
            assert outcome.errors


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory):
    return Store(tmp_path_factory.mktemp("fuzz") / "fuzz.duckdb")


@pytest.mark.slow
@FUZZ
@given(pokes=pokes)
def test_random_cell_contents_load_or_give_located_errors(fuzz_store, pokes):
    data = make_workbook(cells=[(sheet, f"{col}{row}", value) for sheet, col, row, value in pokes])
    assert_located(ingest(fuzz_store, [("2026-10 fuzz.xlsx", data)]))


@FUZZ
@given(data=st.binary(max_size=3000), name=st.sampled_from(["2026-10 a.xlsx", "2026-10 Projects.csv",
                                                            "2026-10 b.xlsm", "2026-10 c.xls", "d.bin"]))
def test_random_bytes_give_located_errors(fuzz_store, data, name):
    raw = read_file(name, data)
    assert all(isinstance(p, Problem) for p in raw.problems)
    assert_located(ingest(fuzz_store, [(name, data)]))


VALID = make_workbook()


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_a_damaged_workbook_gives_located_errors(fuzz_store, flips):
    data = bytearray(VALID)
    for at, byte in flips:
        data[at] = byte
    assert_located(ingest(fuzz_store, [("2026-10 damaged.xlsx", bytes(data))]))


# -- CSV: binary content anywhere, absurd widths, and what the audit log keeps ----------------


def test_a_nul_anywhere_in_a_csv_is_refused_with_its_line():
    lines = [b"project_id,project_name,portfolio"] + [f"P{i},Name {i},Core".encode() for i in range(1, 800)]
    lines[700] = b"P700,Na\x00me,Core"  # long after the first 4 KB
    data = b"\n".join(lines) + b"\n"
    assert data.index(b"\x00") > 4096
    raw = read_file("2026-10 Projects.csv", data)
    assert not raw.sheets
    assert [(p.sheet, p.problem) for p in raw.problems] == [
        ("Projects", "not a text CSV file: a NUL character on line 701 (binary content, or a file saved as "
                     "UTF-16); save it as CSV UTF-8")]


@pytest.mark.parametrize("columns, refused", [(500, False), (501, True)])
def test_a_csv_is_as_wide_as_a_sheet_may_be(columns, refused):
    header = ["project_id", "project_name", "portfolio"] + [f"extra {i}" for i in range(columns - 3)]
    data = (",".join(header) + "\nP1,Alpha,Core" + ",1" * (columns - 3) + "\n").encode()
    raw = read_file("2026-10 Projects.csv", data)
    errors = [p.problem for p in raw.problems if p.severity == "error"]
    assert bool(errors) == refused, errors
    if refused:
        assert errors == ["refused: line 1 has more than 500 cells, more than any sheet may have (column SF); "
                          "is it a CSV of this product?"]


def test_separators_inside_quotes_do_not_count_as_cells():
    note = '"' + ", ".join(["and"] * 700) + '"'
    data = f"project_id,project_name,portfolio\nP1,{note},Core\n".encode()
    raw = read_file("2026-10 Projects.csv", data)
    assert not [p for p in raw.problems if p.severity == "error"] and raw.sheets[0].table.num_rows == 1


def test_a_record_whose_quoted_cells_span_lines_is_counted_too():
    data = b"project_id,project_name,portfolio\nP1," + b'"\n",' * 600 + b"x\n"
    raw = read_file("2026-10 Projects.csv", data)
    assert any("has more than 500 cells" in p.problem for p in raw.problems) and not raw.sheets


def test_a_million_column_csv_is_refused_quickly_in_bounded_memory(tmp_path):
    # Before: 1.4 GB and a 16 MB audit row. A wide line is found before any row is split in cells.
    data = b"project_id,project_name,portfolio" + b",x" * 1_000_000 + b"\nP1,Alpha,Core\n"
    outcome = measured_checks(tmp_path, {"2026-10 Projects.csv": data})["2026-10 Projects.csv"]
    assert any("has more than 500 cells" in e for e in outcome["errors"]), outcome
    assert outcome["seconds"] < LIMIT_SECONDS and outcome["extra_mb"] < LIMIT_MB, outcome


def test_the_audit_log_keeps_a_bounded_summary_of_the_problems(store):
    # 495 unknown columns with 300-character names: the warning naming them runs to 23 KB.
    extras = [f"extra column {i} " + "x" * 300 for i in range(495)]
    data = (",".join(["project_id", "project_name", "portfolio", *extras]) + "\nP1,Alpha,Core"
            + ",1" * len(extras) + "\n").encode()
    result = ingest(store, [("2026-10 Projects.csv", data)])
    assert result.files[0].status == "loaded"
    shown = max(len(p.problem) for p in result.files[0].problems)
    assert shown > 20_000  # the report on screen keeps it long
    stored = store.query("SELECT messages FROM uploads").column(0)[0].as_py()
    assert len(stored) < 2_000, len(stored)
    assert json.loads(stored)[0]["problem"].endswith("…")


def test_the_audit_summary_counts_what_it_does_not_keep():
    from pmo_metrics.store import AUDIT_MESSAGES, audit_json

    messages = [{"severity": "error" if i % 3 else "warning", "file": "a.csv", "problem": f"problem {i}"}
                for i in range(5000)]
    kept = json.loads(audit_json(messages))
    assert len(kept) == AUDIT_MESSAGES + 1 and kept[:AUDIT_MESSAGES] == messages[:AUDIT_MESSAGES]
    assert kept[-1] == {"severity": "info", "file": "a.csv",
                        "problem": "and 4,800 more not kept in the audit log (3,200 errors, 1,600 warnings)"}


def test_a_rejected_files_audit_summary_counts_every_problem_it_does_not_keep(store):
    """Regression: the problems were cut to 1,000 before the store cut them to 200, so the stored
    summary counted 801 'more' of a file with 1,500 problems instead of 1,300."""
    from pmo_metrics.store import AUDIT_MESSAGES

    rows = "\n".join(f"PRJ-{i:04d},2026-{i % 12 + 1:02d},abc" for i in range(1500))
    data = f"project_id,period,actual_cost\n{rows}\n".encode()
    result = ingest(store, [("2026-10 Financials.csv", data)])
    (outcome,) = result.files
    assert outcome.status == "rejected"
    total = len(outcome.problems)
    assert total > 1_000 + AUDIT_MESSAGES
    stored = json.loads(store.query("SELECT messages FROM uploads").column(0)[0].as_py())
    assert len(stored) == AUDIT_MESSAGES + 1
    assert stored[-1]["problem"].startswith(f"and {total - AUDIT_MESSAGES:,} more not kept")
