"""All DuckDB I/O: load an upload in one transaction, void, close months, settings, mappings, the audit log.

`Store` is the face every caller uses: it opens the file through `connection.Connections` (one
shared handle, a cursor per call, closed when idle; busy and read-only files explained) and
brings it up to date through `migrate.migrate` the first time it opens. What it adds is the
writes and the queries, each in one transaction under `connection.WRITE_LOCK`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from . import baselines, month_rows, snapshot_index
from .connection import (
    BUSY_WAIT_SECONDS,
    IDLE_CLOSE_SECONDS,
    WRITE_LOCK,
    Connections,
    StoreBusy,
    StoreError,
    checkpoint,
    first_row,
    is_read_only,
    read_only_error,
    rollback,
)
from .migrate import MIGRATIONS, SCHEMA_VERSION, SQL_DIR, migrate, schema_version
from .schema import SHEETS_BY_TABLE
from .settings import Settings, coerce_setting

# Re-exported: callers and tests know these as the store's.
__all__ = ["BUSY_WAIT_SECONDS", "IDLE_CLOSE_SECONDS", "MIGRATIONS", "MODES", "SCHEMA_VERSION", "SQL_DIR",
           "FileLoad", "Store", "StoreBusy", "StoreError", "audit_json", "decode_audit", "first_row",
           "mode_label", "resolve_db_path"]

DEFAULT_DB = Path("data") / "pmo.duckdb"
MODES = ("full", "incremental")  # SPEC §7.1 upload modes
# Settings the kept per-month rows depend on (month_rows.py): changing one makes them again.
KEPT_ROW_SETTINGS = frozenset({"realised_counts", "baseline_control"})  # SPEC §9.3, §9.1

_log = logging.getLogger(__name__)


def resolve_db_path(db: str | os.PathLike | None = None) -> Path:
    """Return the database path: the argument, else $PMO_METRICS_DB, else data/pmo.duckdb."""
    return Path(db or os.environ.get("PMO_METRICS_DB") or DEFAULT_DB)


# The audit log keeps a bounded summary of an upload's problems: the first AUDIT_MESSAGES, each
# field cut to AUDIT_FIELD_CHARS, then one line counting the rest by severity (the full report is
# what the user saw on screen). Unbounded, a 1M-column CSV stored a 16 MB audit row.
AUDIT_MESSAGES = 200
AUDIT_FIELD_CHARS = 500


def audit_json(messages: list[dict]) -> str:
    """Return `messages` as the JSON the audit log stores: at most AUDIT_MESSAGES, each field bounded."""
    kept = [{key: (value[:AUDIT_FIELD_CHARS] + "…" if isinstance(value, str) and len(value) > AUDIT_FIELD_CHARS
                   else value) for key, value in message.items()} for message in messages[:AUDIT_MESSAGES]]
    rest = messages[AUDIT_MESSAGES:]
    if rest:
        counts: dict[str, int] = {}
        for message in rest:
            counts[str(message.get("severity", "problem"))] = counts.get(str(message.get("severity", "problem")), 0) + 1
        said = ", ".join(f"{n:,} {severity}{'s' if n > 1 else ''}" for severity, n in sorted(counts.items()))
        kept.append({"severity": "info", "file": str(messages[0].get("file", ""))[:AUDIT_FIELD_CHARS],
                     "problem": f"and {len(rest):,} more not kept in the audit log ({said})"})
    return json.dumps(kept)


# The fields of a stored problem (problems.Problem), as the audit log's decoded `messages` give them.
AUDIT_FIELDS = ("severity", "code", "file", "sheet", "cell", "column", "value", "problem")
SHEETS_TYPE = pa.list_(pa.struct([("sheet", pa.string()), ("rows", pa.int64())]))
MESSAGES_TYPE = pa.list_(pa.struct([(name, pa.string()) for name in AUDIT_FIELDS]))


def _decoded(text: str | None, empty: str) -> object:
    try:
        return json.loads(text or empty)
    except (TypeError, ValueError):  # never written so, but one bad row must not hide the whole log
        return json.loads(empty)


def decode_audit(table: pa.Table) -> pa.Table:
    """Return audit-log rows with their `sheets` and `messages` JSON decoded once, for every caller, and
    `errors` and `warnings` counted."""
    sheets = [[{"sheet": str(k), "rows": int(v)} for k, v in _decoded(t, "{}").items()]
              for t in table["sheets"].to_pylist()]
    messages = [[{f: "" if m.get(f) is None else str(m.get(f)) for f in AUDIT_FIELDS}
                 for m in _decoded(t, "[]") if isinstance(m, dict)] for t in table["messages"].to_pylist()]
    table = table.set_column(table.schema.get_field_index("sheets"), "sheets", pa.array(sheets, SHEETS_TYPE))
    table = table.set_column(table.schema.get_field_index("messages"), "messages",
                             pa.array(messages, MESSAGES_TYPE))
    for severity in ("error", "warning"):
        counts = [sum(m["severity"] == severity for m in ms) for ms in messages]
        table = table.append_column(f"{severity}s", pa.array(counts, pa.int64()))
    return table


# The projects an upload lists, on any sheet (schema_v6.sql upload_projects): those its Projects
# and Financials name, and the projects of the benefits its Benefits and BenefitValues name (the
# benefit's version effective at the upload's month, so after snapshot_index.refresh).
_LIST_PROJECTS = """
INSERT INTO upload_projects
WITH own AS (SELECT benefit_id, project_id FROM benefits WHERE upload_id = $u),
elsewhere AS (
    -- values of benefits this upload's Benefits sheet does not hold (normally none)
    SELECT ev.entity_key, ev.as_of FROM entity_versions AS ev
    WHERE ev.upload_id = $u AND ev.kind = 'benefit_values'
      AND ev.entity_key NOT IN (SELECT benefit_id FROM own)
),
listed AS (
    SELECT ev.entity_key AS project_id
    FROM entity_versions AS ev
    WHERE ev.upload_id = $u AND ev.kind IN ('projects', 'financials')
    UNION ALL
    SELECT project_id FROM own
    UNION ALL
    SELECT b.project_id
    FROM elsewhere AS x
    JOIN entity_validity AS v
      ON v.kind = 'benefits' AND v.entity_key = x.entity_key
     AND v.valid_from <= x.as_of AND (v.valid_to IS NULL OR v.valid_to > x.as_of)
    JOIN benefits AS b ON b.upload_id = v.upload_id AND b.benefit_id = v.entity_key
)
SELECT $u, l.project_id, p.portfolio
FROM (SELECT DISTINCT project_id FROM listed) AS l
LEFT JOIN projects AS p ON p.upload_id = $u AND p.project_id = l.project_id
ORDER BY l.project_id
"""


def mode_label(mode: str | None, complete: bool | None) -> str:
    """Return an upload's mode in words for the history: 'full', 'incremental, complete' (SPEC §7.1)."""
    return (mode or "full") + (", complete" if complete else "")


def _refresh_membership(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the spans projects are out of their portfolio (SPEC §7.1), in the caller's
    transaction, after the validity index and before the month rows (which read through them)."""
    con.execute("DELETE FROM project_absences")
    # Only a complete upload takes a project out; most stores have none, and need no pass.
    if first_row(con, "SELECT 1 FROM uploads WHERE status = 'loaded' AND complete LIMIT 1") is not None:
        con.execute("INSERT INTO project_absences BY NAME SELECT * FROM membership_absences()")


@dataclass
class FileLoad:
    """One validated file ready to store: typed Arrow tables keyed by store table name."""

    file_name: str
    sha256: str
    size_bytes: int
    as_of: dt.date
    tables: dict[str, pa.Table] = field(default_factory=dict)
    messages: list[dict] = field(default_factory=list)
    mode: str = "full"  # SPEC §7.1: 'full' or 'incremental'
    complete: bool = False  # SPEC §7.1: lists every project of each portfolio it names
    duplicate_of: int | None = None  # set by Store.load(unique=True): identical to this loaded upload
    # SPEC §7.3: withheld cells per store table (entity_key, period, column_name, reason, cell, source_row)
    withheld: dict[str, pa.Table] = field(default_factory=dict)
    # SPEC §9.1: the reason of a re-baseline declared with the upload by a user who may (else None)
    rebaseline_reason: str | None = None
    # set by Store.load: what the upload did to the baseline (baselines.after_load)
    baseline_notes: dict = field(default_factory=dict)

    def sheet_counts(self) -> dict[str, int]:
        """Return sheet name -> row count for the audit log."""
        return {SHEETS_BY_TABLE[t].name: tbl.num_rows for t, tbl in self.tables.items()}


class Store:
    """The DuckDB store at one path."""

    def __init__(self, db: str | os.PathLike | None = None, busy_wait: float | None = None):
        self.path = resolve_db_path(db)
        self.busy_wait = BUSY_WAIT_SECONDS if busy_wait is None else busy_wait
        # False derives every month live even where its month rows are made: the same figures,
        # slower; for comparing both ways, and for ruling the month rows out when a figure is doubted.
        self.read_month_rows = True
        self._connections = Connections(self.path, self.busy_wait, self._on_open)
        self._fillers: list[threading.Thread] = []
        # When set (the command line), month rows are not made here but noted for a process of their own.
        self.defer_month_rows = False
        self.month_rows_deferred = False

    @contextlib.contextmanager
    def _transaction(self, con):
        """One write transaction: committed when the block ends, rolled back on any error, and a
        store that cannot be written (a read-only file or folder) said in words, whichever write it was."""
        con.execute("BEGIN TRANSACTION")
        try:
            yield
            con.execute("COMMIT")
        except BaseException as error:
            rollback(con)
            if is_read_only(error):
                raise read_only_error(self.path, error) from None
            raise

    # -- connections (connection.py) ---------------------------------------------------------

    def connect(self, wait: float | None = None) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        """Return a context yielding a cursor on the migrated database; re-entrant per thread, so
        several store calls inside one `with store.connect():` share it (connection.Connections).
        While another process holds the file, StoreBusy after `wait` seconds (default: busy_wait)."""
        return self._connections.connect(wait)

    def refusing_reads(self, why: str) -> contextlib.AbstractContextManager[None]:
        """Return a context in which this thread's reads raise StoreBusy(why) (connection.Connections.refusing)."""
        return self._connections.refusing(why)

    def close(self) -> None:
        """Close the shared handle now (it reopens on the next call), once month rows are made."""
        self.wait_for_month_rows()
        self._connections.close()

    def _on_open(self, con: duckdb.DuckDBPyConnection) -> None:
        migrate(con, self.path.name)
        if month_rows.months_without_rows(con):  # a migrated store, new macros, or a process that stopped early
            self._fill_month_rows_later()

    @staticmethod
    def schema_version(con: duckdb.DuckDBPyConnection) -> int:
        """Return the schema version stored in the database (0 when new)."""
        return schema_version(con)

    def data_version(self) -> tuple:
        """Return a cheap token that changes whenever the database file changes (for caches)."""
        parts = []
        for path in (self.path, Path(str(self.path) + ".wal")):
            try:
                stat = path.stat()
                parts.append((stat.st_mtime_ns, stat.st_size))
            except FileNotFoundError:
                parts.append(None)
        return tuple(parts)

    # -- queries -----------------------------------------------------------------------------

    def query(self, sql: str, params: list | dict | None = None) -> pa.Table:
        """Return the result of a read query as an Arrow table (params are always bound)."""
        with self.connect() as con:
            return con.sql(sql, params=params or None).to_arrow_table()

    def query_df(self, sql: str, params: list | dict | None = None):
        """Return the result of a read query as a pandas DataFrame."""
        return self.query(sql, params).to_pandas()

    def is_empty(self) -> bool:
        """Return True when no upload has been loaded."""
        with self.connect() as con:
            return con.execute("SELECT count(*) FROM uploads WHERE status = 'loaded'").fetchall()[0][0] == 0

    def reporting_months(self) -> list[dt.date]:
        """Return the distinct as_of months of loaded uploads, newest first."""
        with self.connect() as con:
            rows = con.execute(
                "SELECT DISTINCT as_of FROM uploads WHERE status = 'loaded' ORDER BY as_of DESC"
            ).fetchall()
        return [r[0] for r in rows]

    def known_keys(self) -> dict[str, set[str]]:
        """Return the project and benefit ids of every loaded upload (for reference checks)."""
        # The validity index holds exactly one open-ended range per entity that has a loaded
        # version, so this needs neither DISTINCT over every stored version nor the audit log.
        with self.connect() as con:
            rows = con.execute(
                """SELECT kind, entity_key FROM entity_validity
                   WHERE valid_to IS NULL AND kind IN ('projects', 'benefits')"""
            ).fetchall()
        keys: dict[str, set[str]] = {"projects": set(), "benefits": set()}
        for kind, key in rows:
            keys[kind].add(key)
        keys["objectives"] = self.known_objectives()
        return keys

    def known_objectives(self) -> set[str]:
        """Return the strategic objectives any loaded upload names (benefit map ids, SPEC §10.2)."""
        with self.connect() as con:
            rows = con.execute(
                """WITH loaded AS (SELECT upload_id FROM uploads WHERE status = 'loaded')
                   SELECT strategic_objective FROM projects SEMI JOIN loaded USING (upload_id)
                   WHERE strategic_objective IS NOT NULL
                   UNION SELECT strategic_objective FROM benefits SEMI JOIN loaded USING (upload_id)
                   WHERE strategic_objective IS NOT NULL
                   UNION SELECT strategic_objective FROM kpis SEMI JOIN loaded USING (upload_id)
                   WHERE strategic_objective IS NOT NULL"""
            ).fetchall()
        return {row[0] for row in rows}

    def uploads(self) -> pa.Table:
        """Return the audit log, newest first, its JSON decoded: `sheets` as (sheet, rows) pairs, `messages`
        as the stored problems (AUDIT_FIELDS, text) and their `errors` and `warnings` counts."""
        return decode_audit(self.query(
            """SELECT upload_id, batch_id, file_name, status, strftime(as_of, '%Y-%m') AS as_of,
                      sheets, user_name, created_at, sha256, size_bytes, messages,
                      voided_at, voided_by, mode, complete
               FROM uploads ORDER BY upload_id DESC"""
        ))

    def find_loaded_duplicate(self, sha256: str) -> int | None:
        """Return the id of a loaded upload with this exact content, if any."""
        with self.connect() as con:
            return self._loaded_with(con, sha256)

    @staticmethod
    def _loaded_with(con: duckdb.DuckDBPyConnection, sha256: str) -> int | None:
        row = first_row(con, "SELECT min(upload_id) FROM uploads WHERE sha256 = ? AND status = 'loaded'",
                        [sha256])
        return row[0] if row and row[0] is not None else None

    # -- writes ------------------------------------------------------------------------------

    def _next_batch_id(self, con: duckdb.DuckDBPyConnection) -> int:
        return con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM uploads").fetchall()[0][0]

    def load(self, files: list[FileLoad], user: str | None = None, unique: bool = False) -> list[int | None]:
        """Store every file of a batch in one transaction; return their upload ids.

        With `unique`, a file whose bytes are already loaded (by another session a moment ago, or
        earlier in this batch) is not stored: its id is None and `duplicate_of` names the upload.
        The check is made inside the write lock and the transaction, so two loads of one file at
        once store it once.
        """
        with WRITE_LOCK, self.connect() as con, self._transaction(con):
            batch_id = self._next_batch_id(con)
            ids: list[int | None] = []
            for item in files:
                if item.mode not in MODES:
                    raise ValueError(f"unknown upload mode {item.mode!r}")
                if unique:
                    item.duplicate_of = self._loaded_with(con, item.sha256)
                    if item.duplicate_of is not None:
                        ids.append(None)
                        continue
                upload_id = con.execute(
                    """INSERT INTO uploads (batch_id, file_name, sha256, size_bytes, sheets, as_of,
                                                user_name, status, messages, mode, complete)
                           VALUES (?, ?, ?, ?, ?, ?, ?, 'loaded', ?, ?, ?) RETURNING upload_id""",
                    [batch_id, item.file_name, item.sha256, item.size_bytes,
                     json.dumps(item.sheet_counts()), item.as_of, user,
                     audit_json(item.messages), item.mode, bool(item.complete)],
                ).fetchall()[0][0]
                for table_name, table in item.tables.items():
                    self._insert_table(con, upload_id, item.as_of, table_name, table)
                for table_name, cells in item.withheld.items():
                    _insert_withheld(con, upload_id, table_name, cells)
                ids.append(upload_id)
            stored = [i for i in ids if i is not None]
            if stored:
                # The snapshot index first: the month rows read the snapshot through it.
                snapshot_index.refresh(con, stored)
                for upload_id in stored:  # after the index: a benefit's project is resolved through it
                    con.execute(_LIST_PROJECTS, {"u": upload_id})
                _refresh_membership(con)
                # SPEC §9.1: the baselines before the month rows, which read the plans through them
                kept = [(i, item) for i, item in zip(ids, files, strict=True) if i is not None]
                notes = baselines.after_load(con, [(i, item.as_of, item.rebaseline_reason) for i, item in kept],
                                             user)
                for upload_id, item in kept:
                    item.baseline_notes = notes.get(upload_id, {})
                month_rows.after_load(con, [item.as_of for item in files if item.duplicate_of is None])
        self._fill_month_rows_later()  # and then checkpoints, off the user's clock
        return ids

    @staticmethod
    def _insert_table(con, upload_id: int, as_of: dt.date, table_name: str, table: pa.Table) -> None:
        sheet = SHEETS_BY_TABLE[table_name]
        columns = [c.name for c in sheet.columns] + ["source_row", "period_grain"]
        present = [c for c in columns if c in table.column_names]
        view = f"incoming_{table_name}"
        con.register(view, table)
        try:
            select = ", ".join(present)
            # Identifiers come from the contract (schema.py), never from a file; values are bound.
            con.execute(
                f"INSERT INTO {table_name} (upload_id, {select}) SELECT ?, {select} FROM {view}",  # noqa: S608
                [upload_id],
            )
            con.execute(
                f"""INSERT INTO entity_versions (kind, entity_key, upload_id, as_of)
                    SELECT DISTINCT ?, {sheet.entity}, ?, ? FROM {view}""",  # noqa: S608
                [table_name, upload_id, as_of],
            )
        finally:
            con.unregister(view)

    def record(self, status: str, file_name: str, sha256: str, size_bytes: int,
               as_of: dt.date | None, user: str | None, messages: list[dict],
               sheets: dict[str, int] | None = None, mode: str = "full", complete: bool = False) -> int:
        """Record a rejected or duplicate upload in the audit log (with the mode it was sent
        with); return its id."""
        if status not in ("rejected", "duplicate"):
            raise ValueError(status)
        with WRITE_LOCK, self.connect() as con:
            upload_id = con.execute(
                """INSERT INTO uploads (batch_id, file_name, sha256, size_bytes, sheets, as_of,
                                        user_name, status, messages, mode, complete)
                   VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING upload_id""",
                [file_name, sha256, size_bytes, json.dumps(sheets or {}), as_of, user, status,
                 audit_json(messages), mode if mode in MODES else "full", bool(complete)],
            ).fetchall()[0][0]
            checkpoint(con)
            return upload_id

    def void(self, upload_id: int, user: str | None = None) -> None:
        """Void a loaded upload: its data stops counting; nothing is deleted."""
        with WRITE_LOCK, self.connect() as con:
            row = first_row(con, "SELECT status, as_of FROM uploads WHERE upload_id = ?", [upload_id])
            if row is None:
                raise StoreError(f"there is no upload {upload_id}")
            if row[0] != "loaded":
                raise StoreError(f"upload {upload_id} is {row[0]}; only a loaded upload can be voided")
            with self._transaction(con):
                con.execute(
                    """UPDATE uploads SET status = 'voided', voided_at = current_timestamp, voided_by = ?
                       WHERE upload_id = ?""",
                    [user, upload_id],
                )
                snapshot_index.refresh(con, [upload_id])  # before the month rows, which read through it
                _refresh_membership(con)
                baselines.after_void(con, upload_id)  # what it did to the baseline falls back too
                month_rows.after_void(con, row[1])  # the month rows fall back with the data
        self._fill_month_rows_later()  # and then checkpoints, as after a load

    def rebaselines(self, include_decided: bool = False) -> pa.Table:
        """Return the re-baselines of loaded uploads (SPEC §9.1): the pending ones, or all with their decisions."""
        return self.query(baselines.LIST_SQL, {"all": include_decided})

    def decide_rebaseline(self, rebaseline_id: int, approve: bool, reason: str, user: str | None = None) -> None:
        """Approve or reject a pending re-baseline with a reason (SPEC §9.1); the measures follow at once."""
        with WRITE_LOCK, self.connect() as con, self._transaction(con):
            _, as_of = baselines.decide(con, rebaseline_id, approve, reason, user)
            month_rows.after_void(con, as_of)  # the months from the upload's on read the new baseline
        self._fill_month_rows_later()

    def close_month(self, month: dt.date, user: str | None = None) -> tuple[bool, str | None, dt.datetime]:
        """Close a stored reporting month (SPEC §7.2): it counts as complete even where projects have
        not reported. Return (closed now, by whom, when); a month closed before stays as it was."""
        month = month.replace(day=1)
        with WRITE_LOCK, self.connect() as con:
            if first_row(con, "SELECT 1 FROM uploads WHERE status = 'loaded' AND as_of = ?", [month]) is None:
                raise StoreError(f"no upload is loaded for {month:%Y-%m}; only a month with data can be closed")
            row = first_row(con, "SELECT closed_by, closed_at FROM month_closures WHERE month = ?", [month])
            if row is not None:
                return False, row[0], row[1]
            row = con.execute(
                "INSERT INTO month_closures (month, closed_by) VALUES (?, ?) RETURNING closed_by, closed_at",
                [month, user],
            ).fetchall()[0]
            checkpoint(con)
            return True, row[0], row[1]

    def closures(self) -> pa.Table:
        """Return the closed months with who closed them and when, newest month first."""
        return self.query(
            """SELECT strftime(month, '%Y-%m') AS month, closed_by, closed_at
               FROM month_closures ORDER BY month DESC"""
        )

    def mappings(self) -> pa.Table:
        """Return the stored column mappings (SPEC §7.6), by name."""
        return self.query("SELECT name, sheet, source_sheet, header_set, columns, value_maps, created_by, "
                          "created_at FROM column_mappings ORDER BY name")

    def save_mapping(self, name: str, sheet: str, source_sheet: str, header_set: str, columns: dict,
                     value_maps: dict, user: str | None = None) -> None:
        """Store a named column mapping, replacing one of the same name."""
        with WRITE_LOCK, self.connect() as con:
            with self._transaction(con):
                con.execute("DELETE FROM column_mappings WHERE name = ?", [name])
                con.execute("""INSERT INTO column_mappings (name, sheet, source_sheet, header_set, columns,
                                                            value_maps, created_by)
                               VALUES (?, ?, ?, ?, ?, ?, ?)""",
                            [name, sheet, source_sheet, header_set, json.dumps(columns), json.dumps(value_maps),
                             user])
            checkpoint(con)

    # -- the month rows the pages read ------------------------------------------------------------

    def fill_month_rows(self) -> list[dt.date]:
        """Make the per-month rows the pages read (month_rows.fill_month_rows) for every stored month without
        them; return those months. Until a month has them its measures are derived live (the same
        figures, slower)."""
        with WRITE_LOCK, self.connect() as con:
            try:
                # A checkpoint before each month (the first folds in the load or void that asked for
                # these rows): the space of rows deleted is reused only after one. Refilling all 36
                # months of the large store left it at 879 MB with none, 820 MB with one first,
                # 720 MB with one a month (24 s against 33 s, on a thread; one month: no change).
                return month_rows.fill_month_rows(con, before_month=lambda: checkpoint(con))
            finally:
                checkpoint(con)

    def ensure_month_rows(self) -> None:
        """Return once every stored month's month rows are made (the forecast history reads them all):
        wait for the thread making them, and make here any it left (it failed), raising what stops it."""
        self.wait_for_month_rows()
        with self.connect() as con:
            missing = month_rows.months_without_rows(con)
        if missing:
            self.fill_month_rows()

    def wait_for_month_rows(self) -> None:
        """Wait until the month rows started after a load, void or migration are made."""
        for thread in list(self._fillers):
            thread.join()

    def _fill_month_rows_later(self) -> None:
        if self.defer_month_rows:
            self.month_rows_deferred = True
            return
        # On a thread, so a load returns once its data is committed. Not a daemon: a command-line
        # process makes them before it exits, and the next process reads them.
        self._fillers = [t for t in self._fillers if t.is_alive()]
        thread = threading.Thread(target=self._fill_quietly, name="month-rows")
        self._fillers.append(thread)
        thread.start()

    def _fill_quietly(self) -> None:
        try:
            self.fill_month_rows()
        except Exception as error:  # noqa: BLE001 (the pages derive the rows live meanwhile)
            _log.warning("could not make the month rows of %s: %s", self.path.name, error)

    # -- settings ----------------------------------------------------------------------------

    def settings(self) -> Settings:
        """Return the stored settings over the defaults."""
        with self.connect() as con:
            rows = con.execute("SELECT key, value FROM settings").fetchall()
        known = Settings().as_dict()
        values = {k: json.loads(v) for k, v in rows if k in known}
        return Settings(**values)

    def set_setting(self, key: str, text: str) -> object:
        """Store one setting from its text form; return the stored value."""
        value = coerce_setting(key, text)
        with WRITE_LOCK, self.connect() as con:
            with self._transaction(con):
                con.execute("DELETE FROM settings WHERE key = ?", [key])
                con.execute("INSERT INTO settings VALUES (?, ?)", [key, json.dumps(value)])
                if key in KEPT_ROW_SETTINGS:
                    month_rows.refresh(con)  # every kept month was made under the old value
            checkpoint(con)
        if key in KEPT_ROW_SETTINGS:
            self._fill_month_rows_later()
        return value

    # -- validated realisation (SPEC §9.3) ----------------------------------------------------

    def latest_month(self) -> dt.date | None:
        """Return the latest stored reporting month (None when nothing is loaded)."""
        with self.connect() as con:
            row = first_row(con, "SELECT max(as_of) FROM uploads WHERE status = 'loaded'")
        return row[0] if row else None

    def benefit_owner(self, benefit_id: str) -> tuple[bool, str | None]:
        """Return (whether the benefit is in the latest stored month's snapshot, its owner there)."""
        with self.connect() as con:
            row = first_row(con, """SELECT owner FROM effective_benefits(
                                         (SELECT max(as_of) FROM uploads WHERE status = 'loaded'))
                                     WHERE benefit_id = ?""", [benefit_id])
        return (row is not None, row[0] if row else None)

    def add_validation(self, benefit_id: str, from_month: dt.date, to_month: dt.date, evidence: str,
                       user: str | None = None) -> dict:
        """Validate a benefit's realised values of from_month..to_month as they stand in the latest stored
        month, with evidence; return the validation (id, periods, amount). StoreError when nothing to validate."""
        with WRITE_LOCK, self.connect() as con:
            basis = first_row(con, "SELECT max(as_of) FROM uploads WHERE status = 'loaded'")[0]
            if basis is None:
                raise StoreError("nothing is loaded yet, so there are no realised values to validate")
            with self._transaction(con):
                values = con.execute(
                    """SELECT period, realised_value FROM claimed_benefit_values(?)
                       WHERE benefit_id = ? AND period BETWEEN ? AND ? AND period <= ?
                         AND realised_value IS NOT NULL ORDER BY period""",
                    [basis, benefit_id, from_month, to_month, basis]).fetchall()
                if not values:
                    raise StoreError(f"benefit {benefit_id} has no realised value in {from_month:%Y-%m} to "
                                     f"{to_month:%Y-%m} as of {basis:%Y-%m}; nothing was validated")
                row = con.execute(
                    """INSERT INTO validations (benefit_id, from_month, to_month, evidence, validated_by,
                                                basis_month, periods, amount)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING validation_id, validated_at""",
                    [benefit_id, from_month, to_month, evidence, user, basis, len(values),
                     sum(v for _, v in values)]).fetchall()[0]
                con.execute("""INSERT INTO validated_values
                               SELECT ?, ?, unnest(?::DATE[]), unnest(?::DOUBLE[])""",
                            [row[0], benefit_id, [p for p, _ in values], [v for _, v in values]])
                month_rows.refresh(con, from_month)  # the kept months from the range on change
            checkpoint(con)
        self._fill_month_rows_later()
        return {"validation_id": row[0], "benefit_id": benefit_id, "periods": len(values),
                "amount": sum(v for _, v in values), "basis_month": basis, "validated_by": user,
                "validated_at": row[1]}

    def withdraw_validation(self, validation_id: int, reason: str, user: str | None = None) -> None:
        """Withdraw a standing validation (kept in the log with who, when and why)."""
        with WRITE_LOCK, self.connect() as con:
            row = first_row(con, "SELECT from_month, withdrawn_at FROM validations WHERE validation_id = ?",
                            [validation_id])
            if row is None:
                raise StoreError(f"there is no validation {validation_id}")
            if row[1] is not None:
                raise StoreError(f"validation {validation_id} was already withdrawn on {row[1]:%Y-%m-%d}")
            with self._transaction(con):
                con.execute("""UPDATE validations SET withdrawn_by = ?, withdrawn_at = current_timestamp,
                                                     withdrawn_reason = ? WHERE validation_id = ?""",
                            [user, reason, validation_id])
                month_rows.refresh(con, row[0])
            checkpoint(con)
        self._fill_month_rows_later()

    def validations(self, benefit_id: str | None = None) -> pa.Table:
        """Return the validation log (standing and withdrawn), newest first, optionally of one benefit."""
        return self.query(
            """SELECT validation_id, benefit_id, strftime(from_month, '%Y-%m') AS from_month,
                      strftime(to_month, '%Y-%m') AS to_month, periods, amount, evidence, validated_by,
                      validated_at, strftime(basis_month, '%Y-%m') AS basis_month,
                      CASE WHEN withdrawn_at IS NULL THEN 'standing' ELSE 'withdrawn' END AS status,
                      withdrawn_by, withdrawn_at, withdrawn_reason
               FROM validations
               WHERE $b IS NULL OR benefit_id = $b
               ORDER BY validation_id DESC""", {"b": benefit_id})


def _insert_withheld(con, upload_id: int, table_name: str, cells: pa.Table) -> None:
    """Store one upload's withheld cells of one table (SPEC §7.3)."""
    if table_name not in SHEETS_BY_TABLE:
        raise ValueError(table_name)
    con.register("incoming_withheld", cells)
    try:
        con.execute(
            """INSERT INTO withheld_values (upload_id, table_name, entity_key, period, column_name, reason,
                                            sheet_name, cell, source_row)
               SELECT ?, ?, entity_key, period, column_name, reason, sheet_name, cell, source_row
               FROM incoming_withheld""", [upload_id, table_name])
    finally:
        con.unregister("incoming_withheld")
