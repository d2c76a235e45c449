"""The command line returns at the commit; the rows kept for the pages follow in a process of their own."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from pmo_metrics import cli
from pmo_metrics.store import Store
from tests.factories import make_workbook


def _kept_months(db) -> list:
    """Return the kept months once no other process holds the file (read-only, so it is not changed)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            con = duckdb.connect(str(db), read_only=True)
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
            continue
        try:
            return [row[0] for row in con.execute("SELECT as_of FROM month_rows_made ORDER BY as_of").fetchall()]
        finally:
            con.close()


@pytest.mark.slow
def test_a_load_typed_at_the_prompt_returns_and_its_kept_rows_are_made_after(tmp_path):
    workbook = tmp_path / "2026-10 return.xlsx"
    workbook.write_bytes(make_workbook())
    db = tmp_path / "pmo.duckdb"
    proc = subprocess.run([sys.executable, "-m", "pmo_metrics", "ingest", str(workbook), "--db", str(db)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("loaded:"), proc.stdout + proc.stderr
    deadline = time.monotonic() + 60
    while not _kept_months(db) and time.monotonic() < deadline:
        time.sleep(0.2)
    months = _kept_months(db)
    assert [f"{m:%Y-%m}" for m in months] == ["2026-10"]
    # The detached process folded the log into the file as it finished.
    deadline = time.monotonic() + 30
    while (tmp_path / "pmo.duckdb.wal").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not (tmp_path / "pmo.duckdb.wal").exists()


def test_called_from_python_the_command_makes_its_kept_rows_itself(tmp_path, capsys, monkeypatch):
    started = []
    monkeypatch.setattr(cli, "finish_in_background", lambda store: started.append(store))
    workbook = tmp_path / "2026-10 return.xlsx"
    workbook.write_bytes(make_workbook())
    db = tmp_path / "pmo.duckdb"
    assert cli.main(["ingest", str(workbook), "--db", str(db)]) == 0
    assert not started
    store = Store(db)
    store.wait_for_month_rows()
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM month_rows_made").fetchall()[0][0] == 1
    store.close()
