"""The database file's connection lifecycle: one shared DuckDB handle per file, lent as a cursor per call.

Connections are short-lived: every store operation borrows a cursor, works and gives it back, and
the handle is closed after IDLE_CLOSE_SECONDS without use, so a dashboard left open never holds
the file lock a month-end command-line load needs. Within one process DuckDB shares one database
instance per file, so threads (Streamlit sessions) each get their own cursor cheaply. Writers in
one process are serialised by WRITE_LOCK; writers in different processes by DuckDB's file lock,
retried for a bounded time (SPEC §6 durability). Opening a file is the only place a
`StoreBusy` or a read-only `StoreError` starts.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

BUSY_WAIT_SECONDS = 30.0
IDLE_CLOSE_SECONDS = 2.0

# Every write in this process holds it, so two sessions' writes never interleave; re-entrant, as a
# load calls other writes of the store.
WRITE_LOCK = threading.RLock()

_open: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def close_open_files() -> None:
    """Close every database this process has open (at exit, so DuckDB checkpoints its log into the file)."""
    for connections in list(_open):
        with contextlib.suppress(Exception):
            connections.close()


class StoreBusy(RuntimeError):
    """Another process holds the database; the user should try again."""


class StoreError(RuntimeError):
    """A store operation the user asked for cannot be done (message is user-facing)."""


# DuckDB folds its write-ahead log into the file inside any commit that leaves the log over this
# (16 MB by default), which a month's upload always does: ~85 ms of a 307k-row load the user waited
# for. Every write checkpoints explicitly instead (`checkpoint`), a load's on the thread that makes
# its month rows; the log is durable meanwhile and replayed if the process dies before that.
# Set on the open database rather than passed to connect(), which would keep any other handle on
# the same file in this process (a restore's check, a test's look) from sharing the instance.
NO_CHECKPOINT_IN_COMMIT = "SET checkpoint_threshold = '1GB'"


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """Return the first row of a query, or None; the result is fully fetched, as DuckDB 2.0
    refuses new work on a connection with an unfinished result."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def redo_when_changed(con: duckdb.DuckDBPyConnection, key: str, stamp: str, redo: Callable[[], None]) -> bool:
    """Run `redo` and record `stamp` under `key` in meta, in one transaction, unless meta already holds
    that stamp; return True when it ran. For what the store derives by rules a release may change
    (the baselines, the month rows): the stamp is a hash of the rules."""
    row = first_row(con, "SELECT value FROM meta WHERE key = ?", [key])
    if row and row[0] == stamp:
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        redo()
        con.execute("DELETE FROM meta WHERE key = ?", [key])
        con.execute("INSERT INTO meta VALUES (?, ?)", [key, stamp])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return True


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Fold the write-ahead log into the database file, so the file alone is complete between
    operations (a copy of it holds every committed write)."""
    try:
        con.execute("CHECKPOINT")
    except duckdb.Error:
        pass  # another session's open transaction; the log is folded in at the next checkpoint


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back after a failed write, keeping the failure's own message.

    When a write fails inside DuckDB (a read-only disk, a full one) DuckDB may have ended the
    transaction already, and ROLLBACK then raises "cannot rollback", which would hide the cause.
    """
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


def is_lock_conflict(error: Exception) -> bool:
    """Return True when `error` says another process holds the file's lock."""
    text = str(error).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def is_read_only(error: BaseException) -> bool:
    """Return True when `error` says the file or its folder cannot be written."""
    text = str(error).lower()
    return isinstance(error, OSError | duckdb.Error) and any(
        cause in text for cause in ("read-only file system", "permission denied", "read only", "errno 30",
                                    "errno 13"))


def read_only_error(path: Path, error: BaseException) -> StoreError:
    """Return the user-facing error for a database that cannot be written, saying what to do."""
    return StoreError(f"the database {path.name} cannot be written: its folder {path.parent} is read-only "
                      f"({str(error).splitlines()[0][:200]}). Point PMO_METRICS_DB (or --db) at a writable "
                      "folder, or ask for write access to this one.")


class Connections:
    """The shared handle on one database file, opened on first use and closed when idle.

    `on_open(con)` runs once each time the file is opened, before any cursor is lent (the store
    migrates there); if it raises, the file is closed again and the error propagates.
    """

    def __init__(self, path: Path, busy_wait: float, on_open: Callable[[duckdb.DuckDBPyConnection], None]):
        self.path = path
        self.busy_wait = busy_wait
        self.on_open = on_open
        self._local = threading.local()
        self._guard = threading.Lock()
        self._db: duckdb.DuckDBPyConnection | None = None
        self._users = 0
        self._idle_timer: threading.Timer | None = None

    @contextlib.contextmanager
    def connect(self, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a cursor of the shared handle; re-entrant per thread (nested calls share one cursor).

        Opening a DuckDB file costs 100+ ms and closing it tens more, so the process keeps one
        handle and gives each call its own cursor (cheap; one per thread, as DuckDB wants). While
        another process holds the file, opening it is tried again for `wait` seconds (default: the
        busy wait), then StoreBusy is raised.
        """
        refused = getattr(self._local, "refused", None)
        if refused is not None:
            raise StoreBusy(refused)
        open_here = getattr(self._local, "con", None)
        if open_here is not None:
            yield open_here
            return
        cursor = self._acquire(self.busy_wait if wait is None else wait).cursor()
        self._local.con = cursor
        try:
            yield cursor
        finally:
            self._local.con = None
            try:
                cursor.close()
            finally:
                self._release()

    @contextlib.contextmanager
    def refusing(self, why: str) -> Iterator[None]:
        """Within the block, this thread's `connect` raises StoreBusy(why) instead of reading: a page drawn
        from figures read before a load must not mix in figures read during or after it."""
        self._local.refused = why
        try:
            yield
        finally:
            self._local.refused = None

    def close(self) -> None:
        """Close the shared handle now when no call is using it (it reopens on the next call)."""
        with self._guard:
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            if self._db is not None and self._users == 0:
                self._db.close()
                self._db = None

    def _acquire(self, wait: float) -> duckdb.DuckDBPyConnection:
        with self._guard:
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            if self._db is None:
                self._db = self._open_file(wait)
            self._users += 1
            return self._db

    def _release(self) -> None:
        with self._guard:
            self._users -= 1
            if self._users == 0 and self._db is not None:
                self._idle_timer = threading.Timer(IDLE_CLOSE_SECONDS, self._close_if_idle)
                self._idle_timer.daemon = True
                self._idle_timer.start()

    def _close_if_idle(self) -> None:
        with self._guard:
            if self._users == 0 and self._db is not None:
                self._db.close()
                self._db = None

    def _open_file(self, wait: float) -> duckdb.DuckDBPyConnection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            if is_read_only(error):
                raise read_only_error(self.path, error) from None
            raise StoreError(f"cannot create the folder for the database {self.path.name}: {error}") from None
        deadline = time.monotonic() + wait
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as error:
                if is_read_only(error):
                    raise read_only_error(self.path, error) from None
                if not is_lock_conflict(error):
                    raise StoreError(f"cannot open the database {self.path.name}: {error}") from None
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"the database {self.path.name} is busy: another program is using it (a load from the "
                        "command line, or another copy of the dashboard); try again in a minute"
                    ) from None
                time.sleep(0.2)
        try:
            con.execute(NO_CHECKPOINT_IN_COMMIT)
            self.on_open(con)
        except BaseException:
            con.close()
            raise
        _open.add(self)
        return con
