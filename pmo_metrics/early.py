"""The files of `pmo-metrics ingest`, read while the rest of the command starts.

Before a command-line load reads its file it imports what storing and checking need (DuckDB, the
store, the validator) and opens the store: ~0.35 s of a 300k-row workbook's ~1.9 s, all of it
before the archive guard and the parser could start. So the command starts reading each file it
names (from disk, then the guard and the parse, `readers.read_file`) on a thread as soon as its
arguments are parsed, and `ingest.check` takes that read for a file it would read the same way:
the same bytes, the same CSV sheet, and no column mapping, named or stored (a mapping changes how
sheets are read; the read is then dropped and the file read again). The server reads its uploads
as before: nothing starts one there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .readers import RawFile, RawSheet

_reads: list[_Read] = []  # started and not yet taken or forgotten, in the order of the command line
_lock = threading.Lock()


class _Read:
    """One file read on a thread; its sheets are kept, then handed to whoever takes the read."""

    def __init__(self, path: Path, data: bytes, csv_sheet: str | None):
        from .readers import read_file  # imported here, not on the thread (no import races)

        self.path, self.data, self.csv_sheet = path, data, csv_sheet
        self._read_file = read_file
        self._lock = threading.Lock()
        self._sheets: list[RawSheet] = []
        self._on_sheet: Callable[[RawSheet], None] | None = None
        self._raw: RawFile | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._read, name="early-read", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            self._raw = self._read_file(self.path.name, self.data, self.csv_sheet, on_sheet=self._sheet_read)
        except BaseException as failure:  # noqa: BLE001 (raised again where the file would have been read)
            self._failure = failure

    def _sheet_read(self, sheet: RawSheet) -> None:
        with self._lock:  # a sheet goes to the taker once: kept until it takes, passed on after
            self._sheets.append(sheet)
            if self._on_sheet is not None:
                self._on_sheet(sheet)

    def result(self, on_sheet: Callable[[RawSheet], None] | None) -> RawFile:
        """Return the file as `read_file` returns it, passing each sheet to `on_sheet` (those read so
        far at once, the rest as they are read), as `read_file(..., on_sheet=on_sheet)` would."""
        with self._lock:
            if on_sheet is not None:
                for sheet in self._sheets:
                    on_sheet(sheet)
            self._on_sheet = on_sheet
        self._thread.join()
        if self._failure is not None:
            raise self._failure
        return self._raw


def start(paths: list[str], csv_sheet: str | None, limit_bytes: int) -> None:
    """Start reading each of `paths` that is a file of at most `limit_bytes` (the default upload
    limit; a larger one is read, and refused or not, as before)."""
    for text in paths:
        path = Path(text)
        try:
            if not path.is_file() or path.stat().st_size > limit_bytes:
                continue
            data = path.read_bytes()
        except OSError:
            continue  # the command reports it when it reads the file itself
        read = _Read(path, data, csv_sheet)
        with _lock:
            _reads.append(read)


def data_of(path: str) -> bytes | None:
    """Return the bytes read from `path` by a read started for it, or None."""
    with _lock:
        found = [read for read in _reads if str(read.path) == str(path)]
    return found[0].data if found else None


def take(data: bytes, csv_sheet: str | None, mappings: tuple, mapping_name: str | None,
         on_sheet: Callable[[RawSheet], None] | None) -> RawFile | None:
    """Return the file read early from these very bytes, if it was read as `read_file(name, data,
    csv_sheet, on_sheet, mappings, mapping_name)` would read it now; else None (read it then)."""
    with _lock:
        found = [read for read in _reads if read.data is data]
        if not found:
            return None
        _reads.remove(found[0])
    read = found[0]
    if mappings or mapping_name or read.csv_sheet != csv_sheet:
        return None  # read another way: dropped (its thread ends on its own)
    return read.result(on_sheet)


def forget() -> None:
    """Drop the reads not taken (the command ended first)."""
    with _lock:
        _reads.clear()
