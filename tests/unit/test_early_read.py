"""`pmo-metrics ingest` reads its files while the rest of the command starts (pmo_metrics/early.py):
the load is the one a read at its usual place gives, each file is read once, and a read the
command cannot use (a mapping, another sheet) is dropped for a read as before."""

from __future__ import annotations

import threading

import pytest

from pmo_metrics import early, ingest, readers
from pmo_metrics.cli import main
from pmo_metrics.store import Store
from tests.factories import make_csv, make_workbook


@pytest.fixture
def reads(monkeypatch):
    """Record the thread of every read_file call, wherever it is made from."""
    calls: list[str] = []
    real = readers.read_file

    def counted(*args, **kwargs):
        calls.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(readers, "read_file", counted)
    monkeypatch.setattr(ingest, "read_file", counted)
    yield calls
    early.forget()


def _uploads(db: str) -> list[tuple]:
    with Store(db).connect() as con:
        return con.execute("SELECT file_name, status, sheets FROM uploads ORDER BY upload_id").fetchall()


def test_a_command_line_load_reads_each_file_once_early_and_loads_the_same(tmp_path, reads, capsys):
    book, csv = tmp_path / "2026-10 book.xlsx", tmp_path / "2026-10 Financials.csv"
    book.write_bytes(make_workbook())
    csv.write_bytes(make_csv([{"project_id": "PRJ-001", "period": "2026-10", "planned_cost": "100",
                               "actual_cost": "90"}]))
    early_db, usual_db = str(tmp_path / "early.duckdb"), str(tmp_path / "usual.duckdb")
    assert main(["ingest", str(book), "--db", early_db]) == 0
    assert main(["ingest", str(csv), "--as-of", "2026-10", "--db", early_db]) == 0
    assert reads == ["early-read", "early-read"]
    # The same files read where they always were (no read started): the same uploads.
    store = Store(usual_db)
    for path, sheet in ((book, None), (csv, "Financials")):
        sheets = {path.name: sheet} if sheet else None
        assert ingest.ingest(store, [(path.name, path.read_bytes())], csv_sheets=sheets).ok
    assert reads[2:] == ["MainThread", "MainThread"]
    assert [(n, s) for n, s, _ in _uploads(early_db)] == [(n, s) for n, s, _ in _uploads(usual_db)]
    assert [c for *_, c in _uploads(early_db)] == [c for *_, c in _uploads(usual_db)]
    capsys.readouterr()


def test_a_read_is_taken_whole_whether_its_sheets_arrived_before_or_after(tmp_path, reads):
    book = tmp_path / "2026-10 book.xlsx"
    book.write_bytes(make_workbook())
    for wait in (True, False):
        early.start([str(book)], None, 10 << 20)
        data = early.data_of(str(book))
        if wait:  # every sheet read before the taker comes
            early._reads[0]._thread.join()
        seen: list = []
        raw = early.take(data, None, (), None, seen.append)
        assert raw is not None and sorted(s.sheet_name for s in seen) == sorted(s.sheet_name for s in raw.sheets)
        assert len(seen) == len({id(s) for s in seen}) == len(raw.sheets) > 0
        assert early.take(data, None, (), None, None) is None  # taken once
    assert reads == ["early-read", "early-read"]


@pytest.mark.parametrize("how", ["stored mapping", "named mapping", "another sheet", "other bytes"])
def test_a_read_the_check_would_make_another_way_is_dropped(tmp_path, reads, how):
    book = tmp_path / "2026-10 Projects.csv"
    book.write_bytes(make_csv([{"project_id": "PRJ-001", "project_name": "One"}]))
    early.start([str(book)], "Projects", 10 << 20)
    data = early.data_of(str(book))
    args = {"stored mapping": (data, "Projects", ("a mapping",), None),
            "named mapping": (data, "Projects", (), "mine"),
            "another sheet": (data, "Financials", (), None),
            "other bytes": (bytes(bytearray(data)), "Projects", (), None)}[how]  # equal, not the same
    assert early.take(*args, None) is None
    assert early.take(data, "Projects", (), None, None) is None or how == "other bytes"


def test_a_failure_while_reading_early_is_raised_where_the_file_is_read(tmp_path, monkeypatch, reads):
    book = tmp_path / "2026-10 book.xlsx"
    book.write_bytes(make_workbook())

    def broken(*args, **kwargs):
        raise RuntimeError("the reader broke")

    monkeypatch.setattr(readers, "read_file", broken)
    early.start([str(book)], None, 10 << 20)
    with pytest.raises(RuntimeError, match="the reader broke"):
        early.take(early.data_of(str(book)), None, (), None, None)


def test_files_over_the_default_limit_or_missing_are_not_read_early(tmp_path, reads):
    book = tmp_path / "2026-10 book.xlsx"
    book.write_bytes(make_workbook())
    early.start([str(book), str(tmp_path / "missing.xlsx")], None, book.stat().st_size - 1)
    assert early.data_of(str(book)) is None and early._reads == [] and reads == []
