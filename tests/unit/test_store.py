"""The store of SPEC §3: migration, audit log, one-transaction loads, snapshots, voiding."""

import datetime as dt
import threading

import duckdb
import pyarrow as pa
import pytest

from pmo_metrics.store import SCHEMA_VERSION, FileLoad, Store, StoreBusy, StoreError

OCT, NOV, DEC = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def projects(*rows):
    """Return a Projects table from (project_id, project_name, portfolio) tuples."""
    ids, names, portfolios = zip(*rows, strict=True)
    return pa.table({"project_id": list(ids), "project_name": list(names), "portfolio": list(portfolios),
                     "source_row": list(range(2, 2 + len(rows)))})


def load(store, as_of, name="f.xlsx", sha=None, **tables):
    return store.load([FileLoad(name, sha or f"{name}-{as_of}-{len(tables)}", 10, as_of, tables)])[0]


def effective_names(store, month):
    rows = store.query("SELECT project_id, project_name FROM effective_projects(?::DATE) ORDER BY 1", [month])
    return dict(zip(rows.column(0).to_pylist(), rows.column(1).to_pylist(), strict=True))


def test_new_database_is_migrated_to_the_current_schema(store):
    with store.connect() as con:
        assert Store.schema_version(con) == SCHEMA_VERSION
    assert store.is_empty()
    assert store.settings().currency == "GBP"


def test_supersession_is_per_entity_and_time_travel_sees_the_past(store):
    load(store, OCT, projects=projects(("P1", "Alpha", "X"), ("P2", "Beta", "X")))
    load(store, NOV, name="fix.xlsx", projects=projects(("P1", "Alpha v2", "X")))
    assert effective_names(store, OCT) == {"P1": "Alpha", "P2": "Beta"}
    # The November upload only names P1: P2 keeps its October row.
    assert effective_names(store, NOV) == {"P1": "Alpha v2", "P2": "Beta"}
    assert effective_names(store, DEC) == {"P1": "Alpha v2", "P2": "Beta"}
    assert effective_names(store, dt.date(2026, 9, 1)) == {}


def test_a_later_upload_for_the_same_month_supersedes_the_earlier_one(store):
    load(store, OCT, projects=projects(("P1", "Alpha", "X")))
    load(store, OCT, name="corrected.xlsx", projects=projects(("P1", "Alpha corrected", "X")))
    assert effective_names(store, OCT) == {"P1": "Alpha corrected"}


def test_voiding_falls_back_to_what_was_effective_before(store):
    load(store, OCT, projects=projects(("P1", "Alpha", "X")))
    second = load(store, OCT, name="b.xlsx", projects=projects(("P1", "Alpha bad", "X")))
    store.void(second, user="pmo")
    assert effective_names(store, OCT) == {"P1": "Alpha"}
    log = {r["upload_id"]: r for r in store.uploads().to_pylist()}
    assert log[second]["status"] == "voided" and log[second]["voided_by"] == "pmo"
    with pytest.raises(StoreError, match="only a loaded upload"):
        store.void(second)
    with pytest.raises(StoreError, match="no upload 999"):
        store.void(999)


def test_a_failed_load_leaves_nothing_behind(store):
    good = projects(("P1", "Alpha", "X"))
    bad = pa.table({"project_id": ["P1"], "period": ["not a date"], "source_row": [2]})
    with pytest.raises(duckdb.Error):
        store.load([FileLoad("a.xlsx", "a", 1, OCT, {"projects": good}),
                    FileLoad("b.xlsx", "b", 1, OCT, {"financials": bad})])
    assert store.uploads().num_rows == 0
    assert effective_names(store, OCT) == {}


def test_audit_log_records_rejections_and_duplicates(store):
    first = load(store, OCT, sha="same", projects=projects(("P1", "Alpha", "X")))
    assert store.find_loaded_duplicate("same") == first
    store.record("duplicate", "f.xlsx", "same", 10, OCT, "ann", [{"problem": "identical"}])
    store.record("rejected", "g.xlsx", "other", 5, None, "bob", [{"severity": "error", "problem": "bad"}])
    statuses = [r["status"] for r in store.uploads().to_pylist()]
    assert statuses == ["rejected", "duplicate", "loaded"]
    assert store.reporting_months() == [OCT]


def test_settings_round_trip_and_refuse_nonsense(store):
    assert store.set_setting("fiscal_year_start_month", "4") == 4
    assert store.settings().fiscal_year_start_month == 4
    with pytest.raises(ValueError, match="1-12"):
        store.set_setting("fiscal_year_start_month", "13")
    with pytest.raises(ValueError, match="unknown setting"):
        store.set_setting("colour", "red")


def test_threads_loading_at_once_are_serialised(store):
    errors = []

    def worker(i):
        try:
            load(store, OCT, name=f"t{i}.xlsx", projects=projects((f"P{i}", f"Project {i}", "X")))
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(effective_names(store, OCT)) == [f"P{i}" for i in range(6)]


def test_a_second_process_holding_the_file_makes_writers_wait_then_report_busy(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "locked.duckdb"
    creator = Store(path)
    creator.is_empty()  # create it
    creator.close()  # give the file up now rather than after the idle delay
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('held', flush=True); "
                               "time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreBusy, match="busy"):
            Store(path, busy_wait=0.5).is_empty()
    finally:
        holder.kill()
        holder.wait()


def test_the_shared_handle_gives_the_file_up_when_idle(tmp_path):
    """An open dashboard must not block a command-line load in another process for long."""
    import subprocess
    import sys
    import time

    from pmo_metrics.store import IDLE_CLOSE_SECONDS

    path = tmp_path / "idle.duckdb"
    store = Store(path)
    store.is_empty()
    time.sleep(IDLE_CLOSE_SECONDS + 0.5)
    probe = subprocess.run([sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}).close()"],
                           capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert store.is_empty()  # and it reopens on the next call


def test_a_load_is_folded_into_the_file_once_its_month_rows_are_made(tmp_path):
    store = Store(tmp_path / "pmo.duckdb")
    many = projects(*[(f"P{i}", f"Project {i}", "X") for i in range(50_000)])
    load(store, OCT, projects=many)
    store.wait_for_month_rows()  # the load's checkpoint runs on that thread, after the commit
    wal = tmp_path / "pmo.duckdb.wal"
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "copy.duckdb"  # the file alone, as a backup tool copying it would see it
    copy.write_bytes((tmp_path / "pmo.duckdb").read_bytes())
    con = duckdb.connect(str(copy))
    try:
        assert con.execute("SELECT count(*) FROM projects").fetchall() == [(50_000,)]
    finally:
        con.close()
    store.close()


def test_the_audit_log_comes_decoded_once_for_every_caller(store):
    messages = [{"severity": "error", "file": "a.xlsx", "problem": "bad", "sheet": "KPIs", "cell": "E3",
                 "value": "twelve", "code": "bad_number"},
                {"severity": "warning", "file": "a.xlsx", "problem": "odd"},
                {"severity": "info", "file": "a.xlsx", "problem": "note", "value": 12}]
    store.record("rejected", "a.xlsx", "sha", 10, OCT, "ann", messages, sheets={"KPIs": 3, "Projects": 1})
    load(store, OCT, projects=projects(("P1", "One", "Digital")))
    [loaded, rejected] = store.uploads().to_pylist()
    assert rejected["sheets"] == [{"sheet": "KPIs", "rows": 3}, {"sheet": "Projects", "rows": 1}]
    assert (rejected["errors"], rejected["warnings"]) == (1, 1)
    assert rejected["messages"][0] == {"severity": "error", "code": "bad_number", "file": "a.xlsx", "sheet": "KPIs",
                                       "cell": "E3", "column": "", "value": "twelve", "problem": "bad"}
    assert rejected["messages"][2]["value"] == "12"  # every field as text
    assert loaded["sheets"] == [{"sheet": "Projects", "rows": 1}] and loaded["messages"] == []
    assert (loaded["errors"], loaded["warnings"]) == (0, 0)


def test_an_empty_audit_log_has_the_decoded_columns(store):
    table = store.uploads()
    assert table.num_rows == 0 and {"sheets", "messages", "errors", "warnings"} <= set(table.column_names)
