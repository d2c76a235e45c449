"""Durability (SPEC §3, §6): kills mid-load, concurrent loads and readers, backup and restore."""

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from pmo_metrics.backup import backup, restore
from pmo_metrics.cli import main
from pmo_metrics.ingest import ingest
from pmo_metrics.measures import measure_table
from pmo_metrics.store import Store, StoreError
from tests.bench_scripts import load_bench
from tests.factories import make_workbook

ROOT = Path(__file__).resolve().parents[2]
OCT = "2026-10-01"
COUNT_OCTOBER = f"""SELECT count(*) AS n, coalesce(sum(hash(t::VARCHAR)), 0)::VARCHAR AS h FROM
    (SELECT * EXCLUDE (upload_id, source_row) FROM effective_financials(DATE '{OCT}')) t"""


@pytest.fixture(scope="module")
def kill_test():
    return load_bench("kill_test")


@pytest.fixture(scope="module")
def medium(tmp_path_factory, kill_test):
    """Two monthly returns of 400 projects (~19k Financials rows each): long enough to overlap."""
    folder = tmp_path_factory.mktemp("medium")
    paths = {}
    for month in ("2026-09", "2026-10"):
        paths[month] = folder / f"{month} medium.xlsx"
        kill_test.write_monthly_workbook(paths[month], 400, 400, month)
    serial = folder / "serial.duckdb"
    for month in ("2026-09", "2026-10"):
        run_cli(paths[month], serial)
    return paths, kill_test.fingerprint(serial)


def run_cli(workbook, db, **popen):
    return subprocess.run([sys.executable, "-m", "pmo_metrics", "ingest", str(workbook), "--db", str(db)],
                          cwd=ROOT, capture_output=True, text=True, **popen)


# -- kills -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_load_killed_at_any_moment_leaves_exactly_before_or_after(tmp_path, kill_test):
    setup = kill_test.prepare(tmp_path)
    assert sum(setup.rows.values()) > 100_000
    assert setup.before != setup.after and not setup.before["audit"] and not setup.after["audit"]
    # Four kills keep the suite fast: two spread over the load, two in its store phase.
    # bench/kill_test.py runs the twenty of the acceptance check with the same code.
    lines = []
    tally = kill_test.run_kills(setup, kills=4, seed=7, log=lines.append)
    assert tally["partial"] == tally["corrupt"] == 0, lines
    assert tally["before"] + tally["after"] == 4


# -- concurrent writers ----------------------------------------------------------------------


@pytest.mark.slow
def test_two_loads_at_once_both_finish_and_equal_a_serial_load(tmp_path, medium, kill_test):
    paths, serial = medium
    db = tmp_path / "both.duckdb"
    create_schema(db)
    # Output to files, not pipes: a load's report can outgrow a pipe (one warning per pending
    # re-baseline), and a process writing to a pipe nobody reads yet never exits.
    logs = [(tmp_path / f"out{i}.txt", tmp_path / f"err{i}.txt") for i in range(len(paths))]
    processes = []
    for path, (out, err) in zip(paths.values(), logs, strict=True):
        with out.open("w") as stdout, err.open("w") as stderr:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "pmo_metrics", "ingest", str(path), "--db", str(db)],
                cwd=ROOT, stdout=stdout, stderr=stderr, text=True))
    outcomes = [(p.wait(timeout=120), out.read_text(), err.read_text())
                for p, (out, err) in zip(processes, logs, strict=True)]
    for code, out, err in outcomes:
        assert (code == 0 and out.startswith("loaded:")) or (code == 1 and "busy" in err), (code, out, err)
    if all(code == 0 for code, _, _ in outcomes):
        assert kill_test.fingerprint(db) == serial


def create_schema(db):
    """Create the schema, then let go of the file (a Store keeps it open while busy, then 2 s idle)."""
    store = Store(db)
    with store.connect():
        pass
    store.close()


@pytest.mark.slow
def test_a_load_that_cannot_get_the_file_says_busy_and_changes_nothing(tmp_path, medium):
    paths, _ = medium
    db = tmp_path / "held.duckdb"
    create_schema(db)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time, duckdb
        con = duckdb.connect({str(db)!r})
        print("holding", flush=True)
        time.sleep(8)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        # The CLI waits BUSY_WAIT_SECONDS (30 s); a one-second wait shows the same path quickly.
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from pmo_metrics import cli, store
            store.Store.__init__.__defaults__ = (None, 1.0)
            sys.exit(cli.main(["ingest", {str(paths["2026-10"])!r}, "--db", {str(db)!r}]))
        """)], cwd=ROOT, capture_output=True, text=True, timeout=60)
        elapsed = time.perf_counter() - start
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1 and "busy" in result.stderr and "try again" in result.stderr, result
    assert "Traceback" not in result.stderr and elapsed < 7
    assert Store(db).uploads().num_rows == 0


# -- readers during a load -------------------------------------------------------------------


def _october(store):
    return tuple(store.query(COUNT_OCTOBER).to_pylist()[0].values())


@pytest.mark.slow
def test_reader_threads_see_the_old_or_the_new_month_never_a_mix(tmp_path, medium):
    paths, _ = medium
    db = tmp_path / "threads.duckdb"
    store = Store(db)
    assert ingest(store, [(paths["2026-09"].name, paths["2026-09"].read_bytes())]).ok
    before = _october(store)
    store.close()
    after_db = tmp_path / "after.duckdb"
    shutil.copy(db, after_db)
    after_store = Store(after_db)
    assert ingest(after_store, [(paths["2026-10"].name, paths["2026-10"].read_bytes())]).ok
    after = _october(after_store)
    assert before != after

    seen, errors, done = [], [], threading.Event()

    def read():
        reader = Store(db)
        while not done.is_set():
            try:
                seen.append(_october(reader))
            except Exception as exc:  # any error is a failure of isolation
                errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        assert ingest(store, [(paths["2026-10"].name, paths["2026-10"].read_bytes())]).ok
        time.sleep(0.2)
    finally:
        done.set()
        for thread in readers:
            thread.join()
    assert not errors
    assert set(seen) <= {before, after} and seen[0] == before and seen[-1] == after, set(seen)
    assert len(seen) > 5


@pytest.mark.slow
def test_reader_processes_see_the_old_or_the_new_month_or_wait(tmp_path, medium):
    paths, _ = medium
    db = tmp_path / "procs.duckdb"
    assert run_cli(paths["2026-09"], db).returncode == 0
    first = Store(db)
    before = _october(first)
    first.close()
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import json, os, time
        from pmo_metrics.store import Store, StoreBusy
        store = Store({str(db)!r}, busy_wait=0.05)
        while not os.path.exists({str(stop)!r}):
            try:
                row = store.query({COUNT_OCTOBER!r}).to_pylist()[0]
                print(json.dumps([row["n"], row["h"]]), flush=True)
            except StoreBusy:
                print('"busy"', flush=True)
            store.close()  # let go of the file between looks, as an idle dashboard does
            time.sleep(0.05)
    """)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        load = run_cli(paths["2026-10"], db)
        time.sleep(1.0)
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=30)
    assert load.returncode == 0, load
    after = _october(Store(db))
    observed = [json.loads(line) for line in out.splitlines()]
    values = {tuple(o) for o in observed if o != "busy"}
    assert values <= {before, after} and before in values and after in values, values


# -- backup and restore ----------------------------------------------------------------------


def _everything(store):
    tables = {}
    for table in ("delivery", "benefits", "kpi", "returns"):
        tables[table] = measure_table(store, table, dt.date(2026, 10, 1)).to_pylist()
    for kind in ("projects", "financials", "benefits", "benefit_values", "kpis", "benchmarks"):
        tables[kind] = store.query(f"SELECT * FROM effective_{kind}(DATE '{OCT}') ORDER BY ALL").to_pylist()
    tables["uploads"] = store.uploads().to_pylist()
    tables["settings"] = store.settings()
    return tables


def test_backup_then_restore_gives_the_same_measures_and_effective_rows(tmp_path):
    store = Store(tmp_path / "live.duckdb")
    assert ingest(store, [("2026-09 a.xlsx", make_workbook(about="2026-09"))]).ok
    assert ingest(store, [("2026-10 b.xlsx", make_workbook(cell=("Financials", "D3", 11_111)))]).ok
    store.void(1, user="pmo")
    store.set_setting("discount_rate", "0.05")
    backup(store, tmp_path / "backup")
    restored = restore(Store(tmp_path / "restored.duckdb"), tmp_path / "backup")
    assert _everything(restored) == _everything(store)
    # The upload id sequence comes back too: the next upload does not reuse an id.
    result = ingest(restored, [("2026-11 c.xlsx", make_workbook(about="2026-11"))])
    assert result.files[0].upload_id == 3


def test_restore_never_overwrites_a_database_that_holds_data(tmp_path):
    store = Store(tmp_path / "live.duckdb")
    assert ingest(store, [("2026-10 b.xlsx", make_workbook())]).ok
    backup(store, tmp_path / "backup")
    before = (tmp_path / "live.duckdb").read_bytes()
    with pytest.raises(StoreError, match="already holds data"):
        restore(store, tmp_path / "backup")
    assert (tmp_path / "live.duckdb").read_bytes() == before
    with pytest.raises(StoreError, match="not a backup"):
        restore(Store(tmp_path / "new.duckdb"), tmp_path)
    with pytest.raises(StoreError, match="not an empty directory"):
        backup(store, tmp_path / "backup")


def test_backup_directory_names_with_quotes_are_paths_not_sql(tmp_path):
    store = Store(tmp_path / "live.duckdb")
    assert ingest(store, [("2026-10 b.xlsx", make_workbook())]).ok
    odd = tmp_path / "it's a '); DROP TABLE uploads; -- dir"
    backup(store, odd)
    assert (odd / "uploads.parquet").is_file() and store.uploads().num_rows == 1
    assert restore(Store(tmp_path / "r.duckdb"), odd).uploads().num_rows == 1
    with pytest.raises(StoreError, match="control characters"):
        backup(store, tmp_path / "new\nline")


def test_cli_backup_and_restore(tmp_path, capsys):
    db, copy = str(tmp_path / "live.duckdb"), str(tmp_path / "copy.duckdb")
    path = tmp_path / "2026-10 base.xlsx"
    path.write_bytes(make_workbook())
    assert main(["ingest", str(path), "--db", db]) == 0
    assert main(["backup", str(tmp_path / "bk"), "--db", db]) == 0
    assert main(["restore", str(tmp_path / "bk"), "--db", copy]) == 0
    capsys.readouterr()
    assert main(["restore", str(tmp_path / "bk"), "--db", copy]) == 1
    assert "already holds data" in capsys.readouterr().err
    outputs = []
    for target in (db, copy):
        main(["measures", "benefits", "--as-of", "2026-10", "--db", target])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and outputs[0].count("\n") == 3
    assert os.path.exists(copy)
