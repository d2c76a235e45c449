"""Schema versions (SPEC §3): old databases open and keep their data; newer ones are refused."""

import datetime as dt

import duckdb
import pytest

from pmo_metrics.cli import main
from pmo_metrics.store import SCHEMA_VERSION, SQL_DIR, Store, StoreError

OCT = dt.date(2026, 10, 1)


def make_v1_database(path):
    """Write a database as the first release left it: schema_v1.sql, version 1, no macros yet."""
    con = duckdb.connect(str(path))
    try:
        con.execute((SQL_DIR / "migrations/schema_v1.sql").read_text(encoding="utf-8"))
        con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        con.execute("""INSERT INTO uploads (batch_id, file_name, sha256, size_bytes, sheets, as_of, status, messages)
                       VALUES (1, 'old.xlsx', 'abc', 10, '{"Projects": 1}', DATE '2026-10-01', 'loaded', '[]')""")
        con.execute("INSERT INTO projects (upload_id, project_id, project_name, portfolio, source_row) "
                    "VALUES (1, 'P1', 'Kept from v1', 'Core', 2)")
        con.execute("INSERT INTO entity_versions VALUES ('projects', 'P1', 1, DATE '2026-10-01')")
        con.execute("""INSERT INTO settings VALUES ('currency', '"EUR"')""")
    finally:
        con.close()


def test_a_first_version_database_opens_with_the_current_code_and_keeps_its_data(tmp_path):
    path = tmp_path / "v1.duckdb"
    make_v1_database(path)
    store = Store(path)
    with store.connect() as con:
        assert Store.schema_version(con) == SCHEMA_VERSION
    rows = store.query("SELECT project_id, project_name FROM effective_projects(?::DATE)", [OCT]).to_pylist()
    assert rows == [{"project_id": "P1", "project_name": "Kept from v1"}]
    assert store.settings().currency == "EUR"
    assert [r["file_name"] for r in store.uploads().to_pylist()] == ["old.xlsx"]


def test_reopening_is_idempotent(tmp_path):
    path = tmp_path / "v1.duckdb"
    make_v1_database(path)
    for _ in range(3):
        assert Store(path).query("SELECT count(*) AS n FROM projects").to_pylist() == [{"n": 1}]


def test_stale_snapshot_macros_are_replaced_when_the_code_changes(tmp_path):
    path = tmp_path / "old-macros.duckdb"
    make_v1_database(path)
    con = duckdb.connect(str(path))
    con.execute("CREATE MACRO effective_projects(m) AS TABLE SELECT 'stale' AS project_id")
    con.execute("INSERT INTO meta VALUES ('macros', 'an older effective.sql')")
    con.close()
    rows = Store(path).query("SELECT project_id FROM effective_projects(?::DATE)", [OCT]).to_pylist()
    assert rows == [{"project_id": "P1"}]


@pytest.fixture
def newer_database(tmp_path):
    path = tmp_path / "newer.duckdb"
    make_v1_database(path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    con.close()
    return path


def test_a_database_from_a_newer_release_is_refused_and_left_untouched(newer_database):
    before = newer_database.read_bytes()
    with (pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 1}, newer than this program"),
          Store(newer_database).connect()):
        pass
    assert newer_database.read_bytes() == before


def test_the_cli_says_why_it_refuses_a_newer_database(newer_database, capsys):
    code = main(["uploads", "--db", str(newer_database)])
    err = capsys.readouterr().err
    assert code == 1 and "upgrade pmo-metrics" in err and "Traceback" not in err
