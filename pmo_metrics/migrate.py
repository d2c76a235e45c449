"""The schema's migrations and the stored macros: bring an opened database up to this program's version.

Each `sql/migrations/schema_vN.sql` runs once, in its own transaction, in order; the version reached is kept
in `meta`. The snapshot and measure macros (MACRO_FILES) live in the database, so a query pays no
set-up, and are redefined whenever the program's text of them changes; the month rows they feed
are then made again (month_rows.ensure_current), so they never go stale.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from . import baselines, month_rows
from .connection import WRITE_LOCK, StoreError, first_row, rollback

SQL_DIR = Path(__file__).parent / "sql"
# Every file migrations/schema_vN.sql is migration N: adding one is all a schema change needs here.
MIGRATIONS = {int(path.stem.removeprefix("schema_v")): f"migrations/{path.name}"
              for path in (SQL_DIR / "migrations").glob("schema_v*.sql")}
SCHEMA_VERSION = max(MIGRATIONS)
# Re-created whenever their text changes, in this order (a macro may call those before it).
MACRO_FILES = ("macros/effective.sql", "macros/baselines.sql", "macros/validation.sql", "macros/withheld.sql",
               "macros/common.sql", "macros/membership.sql", "macros/raidmap.sql")


def read_sql(name: str) -> str:
    """Return the text of one file of sql/."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version stored in the database (0 when new)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    row = first_row(con, "SELECT value FROM meta WHERE key = 'schema_version'")
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Create or upgrade the schema of database `name` and (re)define the snapshot macros."""
    with WRITE_LOCK:
        version = schema_version(con)
        if version > SCHEMA_VERSION:
            # Written by a newer release: its tables may mean something this code cannot read,
            # and "migrating" would damage them, so refuse rather than guess.
            raise StoreError(f"the database {name} has schema version {version}, newer than "
                             f"this program knows ({SCHEMA_VERSION}); upgrade pmo-metrics to open it")
        for target in sorted(MIGRATIONS):
            if target > version:
                con.execute("BEGIN TRANSACTION")
                try:
                    con.execute(read_sql(MIGRATIONS[target]))
                    con.execute("DELETE FROM meta WHERE key = 'schema_version'")
                    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(target)])
                    con.execute("COMMIT")
                except Exception:
                    rollback(con)
                    raise
        macros = "\n".join(read_sql(file) for file in MACRO_FILES)
        stored = first_row(con, "SELECT value FROM meta WHERE key = 'macros'")
        if not stored or stored[0] != macros:
            con.execute("BEGIN TRANSACTION")
            con.execute(macros)
            con.execute("DELETE FROM meta WHERE key = 'macros'")
            con.execute("INSERT INTO meta VALUES ('macros', ?)", [macros])
            con.execute("COMMIT")
        # Summaries derived from the stored rows by these macros (schema 2): filled after the
        # migration and recomputed whenever the macros change, so they never go stale.
        baselines.ensure_current(con)  # SPEC §9.1: the baseline ranges, once per rule (baselines.py)
        month_rows.ensure_current(con, macros)
