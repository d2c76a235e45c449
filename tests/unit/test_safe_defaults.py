"""Safe defaults and true messages: the address served, the sample as one batch, busy and read-only stores."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from pmo_metrics import store as store_module
from pmo_metrics.ingest import ingest, load_sample
from pmo_metrics.sample import sample_manifest
from pmo_metrics.store import Store, StoreBusy, StoreError
from tests.factories import make_workbook

ROOT = Path(__file__).resolve().parents[2]


def _listening(port: int) -> set[str]:
    """Return the local addresses (hex, as /proc/net/tcp writes them) listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.slow
def test_the_dashboard_listens_on_this_machine_only_unless_told(tmp_path):
    assert "--server.address 127.0.0.1" in subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True,
                                                          text=True, check=True).stdout
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PMO_METRICS_DB": str(tmp_path / "pmo.duckdb"), "PMO_METRICS_NO_SAMPLE": "1"}
    env.pop("STREAMLIT_SERVER_ADDRESS", None)
    # As `make run` starts it, less the address flag: .streamlit/config.toml alone must say 127.0.0.1.
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                "--server.headless", "true"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 40
        while not _listening(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as response:
            assert response.status == 200
        assert _listening(port) == {"0100007F"}  # 127.0.0.1, and no other interface
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- the sample: one batch ----------------------------------------------------------------------


def test_the_sample_loads_as_one_batch(tmp_path):
    store = Store(tmp_path / "pmo.duckdb")
    [result] = load_sample(store)
    assert [f.status for f in result.files] == ["loaded"] * len(sample_manifest())
    assert [f.as_of.strftime("%Y-%m") for f in result.files] == [month for _, month in sample_manifest()]
    batches = store.query("SELECT DISTINCT batch_id FROM uploads").column(0).to_pylist()
    assert len(batches) == 1
    # In manifest order, so the corrected September return supersedes its original.
    names = store.query("SELECT file_name FROM uploads ORDER BY upload_id").column(0).to_pylist()
    assert names == [path.name for path, _ in sample_manifest()]


def test_a_sample_load_that_fails_part_way_leaves_nothing(tmp_path, monkeypatch):
    store = Store(tmp_path / "pmo.duckdb")
    inserted = []
    original = Store._insert_table

    def insert_then_fail(con, upload_id, as_of, table_name, table):
        original(con, upload_id, as_of, table_name, table)
        inserted.append(upload_id)
        if len(inserted) == 40:  # well into the sample, several months stored
            raise KeyboardInterrupt  # as when the user leaves mid-load and the run is stopped

    monkeypatch.setattr(Store, "_insert_table", staticmethod(insert_then_fail))
    with pytest.raises(KeyboardInterrupt):
        load_sample(store)
    assert store.uploads().num_rows == 0 and store.is_empty()
    assert store.query("SELECT count(*) FROM projects").column(0)[0].as_py() == 0


def test_a_sample_file_whose_month_disagrees_with_the_manifest_loads_nothing(tmp_path, monkeypatch):
    manifest = sample_manifest()
    wrong = [(path, "2026-01" if index == 3 else month) for index, (path, month) in enumerate(manifest)]
    monkeypatch.setattr("pmo_metrics.sample.sample_manifest", lambda: wrong)
    store = Store(tmp_path / "pmo.duckdb")
    [result] = load_sample(store)
    assert not result.ok and store.is_empty()
    assert any("manifest says 2026-01" in p.problem for p in result.problems)


# -- a busy or read-only database ---------------------------------------------------------------

HOLD = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("holding", flush=True)
    time.sleep(60)
""")


@pytest.fixture()
def held_database(tmp_path):
    """A database file another process holds open (as a command-line load does while it runs)."""
    path = tmp_path / "pmo.duckdb"
    store = Store(path)
    ingest(store, [("2026-10 a.xlsx", make_workbook())])
    store.close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    yield path
    holder.kill()
    holder.wait()


def test_a_database_another_process_holds_is_busy_not_empty(held_database):
    with pytest.raises(StoreBusy, match="busy.*try again"):
        Store(held_database, busy_wait=0.3).reporting_months()


def test_the_busy_wait_default_follows_the_setting(monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_WAIT_SECONDS", 0.25)
    assert Store("x.duckdb").busy_wait == 0.25


@pytest.fixture()
def read_only_folder(tmp_path):
    """A folder on a file system mounted read-only, holding a database written before (root only)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if shutil.which("mount") is None or subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(folder)],
                                                       capture_output=True).returncode:
        pytest.skip("cannot mount a file system here (needs root)")
    try:
        store = Store(folder / "pmo.duckdb")
        ingest(store, [("2026-10 a.xlsx", make_workbook())])
        store.close()
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_read_only_location_says_so(read_only_folder):
    for path in (read_only_folder / "pmo.duckdb", read_only_folder / "new" / "pmo.duckdb"):
        with pytest.raises(StoreError, match="read-only") as refusal:
            Store(path, busy_wait=0.3).reporting_months()
        assert "rollback" not in str(refusal.value)
        result = None
        with pytest.raises(StoreError, match="read-only"):
            result = ingest(Store(path, busy_wait=0.3), [("2026-09 b.xlsx", make_workbook(about="2026-09"))])
        assert result is None


def test_a_failed_write_reports_its_cause_not_the_rollback(tmp_path, monkeypatch):
    store = Store(tmp_path / "pmo.duckdb")

    def disk_gone(*args, **kwargs):
        with store.connect() as con:  # this thread's cursor, the load's own
            con.execute("ROLLBACK")  # as DuckDB ends the transaction itself when the disk fails
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(Store, "_insert_table", staticmethod(disk_gone))
    with pytest.raises(StoreError, match="read-only") as refusal:
        ingest(store, [("2026-10 a.xlsx", make_workbook())])
    assert "rollback" not in str(refusal.value)
    assert store.is_empty()


def test_every_write_says_a_read_only_store_in_words(tmp_path, monkeypatch):
    """Not only loads and voids: a settings change that meets a read-only disk is said the same way,
    and changes nothing."""
    store = Store(tmp_path / "pmo.duckdb")
    ingest(store, [("2026-10 a.xlsx", make_workbook())])
    store.wait_for_month_rows()

    def disk_gone(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(store_module.month_rows, "refresh", disk_gone)
    with pytest.raises(StoreError, match="read-only") as refusal:
        store.set_setting("realised_counts", "validated")
    assert "rollback" not in str(refusal.value)
    assert store.settings().realised_counts == "claimed"
