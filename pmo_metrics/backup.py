"""Back up a store to a directory of Parquet files, and restore one into a new database file.

DuckDB's EXPORT DATABASE writes schema.sql, load.sql and one Parquet file per table (macros and
sequences included), so a backup is readable by any Parquet tool and restores with IMPORT
DATABASE. A restore never overwrites data: it only fills a database file that is new or empty.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from .connection import WRITE_LOCK
from .store import Store, StoreError

BACKUP_FILES = ("schema.sql", "load.sql")


def _sql_path(directory: Path) -> str:
    """Return `directory` as a quoted SQL string literal, refusing characters no path needs."""
    text = str(directory.resolve())
    if any(ord(ch) < 32 for ch in text):
        raise StoreError(f"refused: the directory name {text!r} contains control characters")
    # EXPORT/IMPORT DATABASE take the directory as a literal, not a bound parameter: quote it.
    return "'" + text.replace("'", "''") + "'"


def backup(store: Store, directory: str | os.PathLike) -> Path:
    """Export every table of the store to `directory` (new or empty) as Parquet; return it."""
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise StoreError(f"refused: {target} exists and is not an empty directory; choose a new one")
    target.mkdir(parents=True, exist_ok=True)
    literal = _sql_path(target)
    # The write lock keeps a load in this process from committing halfway through the export;
    # other processes are kept out by the database file lock the connection holds.
    with WRITE_LOCK, store.connect() as con:
        con.execute(f"EXPORT DATABASE {literal} (FORMAT parquet)")  # noqa: S608 (a validated, quoted path)
    _order_macros(target / "schema.sql")
    return target


def _order_macros(schema_sql: Path) -> None:
    """Rewrite schema.sql so a macro is created after every macro it calls.

    DuckDB exports macros alphabetically, so effective_benchmarks comes before the
    effective_uploads it calls and a plain IMPORT DATABASE fails; order them by their calls.
    """
    lines = schema_sql.read_text(encoding="utf-8").splitlines()
    macros = {line.split()[2]: line for line in lines if line.startswith("CREATE MACRO ")}
    calls = {name: {other for other in macros if other != name
                    and re.search(rf"\b{re.escape(other)}\(", line.split(" AS ", 1)[-1])}
             for name, line in macros.items()}
    ordered: list[str] = []
    while len(ordered) < len(macros):
        ready = sorted(n for n in macros if n not in ordered and calls[n] <= set(ordered))
        if not ready:  # a cycle cannot be created in DuckDB; keep the rest as exported
            ready = [n for n in macros if n not in ordered]
        ordered.extend(ready)
    others = [line for line in lines if not line.startswith("CREATE MACRO ")]
    schema_sql.write_text("\n".join(others + [macros[n] for n in ordered]) + "\n", encoding="utf-8")


def _has_tables(path: Path) -> bool:
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise StoreError(f"refused: cannot open {path.name} to check it is empty: {exc}") from None
    try:
        return con.execute("SELECT count(*) FROM duckdb_tables()").fetchall()[0][0] > 0
    finally:
        con.close()


def restore(store: Store, directory: str | os.PathLike) -> Store:
    """Import a backup directory into the store's database file, which must be new or empty."""
    source = Path(directory)
    missing = [name for name in BACKUP_FILES if not (source / name).is_file()]
    if missing:
        raise StoreError(f"refused: {source} is not a backup made by `pmo-metrics backup` "
                         f"(missing {', '.join(missing)})")
    if store.path.exists() and store.path.stat().st_size and _has_tables(store.path):
        raise StoreError(f"refused: {store.path} already holds data; restore into a new database file "
                         "(--db NEW.duckdb) so nothing is overwritten")
    store.path.parent.mkdir(parents=True, exist_ok=True)
    literal = _sql_path(source)
    con = duckdb.connect(str(store.path))
    try:
        # IMPORT runs schema.sql then load.sql; wrap both so a failed restore leaves an empty file.
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"IMPORT DATABASE {literal}")  # noqa: S608 (a validated, quoted path)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    restored = Store(store.path, busy_wait=store.busy_wait)
    with restored.connect():  # checks the schema version and refreshes the snapshot macros
        pass
    return restored
