"""File bytes -> raw sheets: find the header, map columns to the contract, spot wide benefit values.

Workbooks are read with fastexcel straight to Arrow (the fastest parser measured for this
product); CSVs with the standard library so every line keeps its number. Nothing here decides
whether a value is valid: that is `validate`'s job, over whole columns at once.

One job per module: `archive` (the guard run before any parsing), `workbook` (parsing sheets),
`headers` (header search and column mapping), `csvfile` (CSV); `read_file` is the face.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from ..problems import error
from .archive import check_archive
from .csvfile import read_csv
from .raw import ROW, RawFile, RawSheet
from .workbook import read_workbook

__all__ = ["ROW", "RawFile", "RawSheet", "check_archive", "read_file", "safe_file_name"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")


def safe_file_name(name: str) -> str:
    """Return only the final component of an uploaded file name (never used as a path)."""
    return PurePath(str(name).replace("\\", "/")).name or "upload"


def read_file(name: str, data: bytes, csv_sheet: str | None = None,
              on_sheet: Callable[[RawSheet], None] | None = None, mappings: tuple = (),
              mapping_name: str | None = None) -> RawFile:
    """Return the raw sheets of one uploaded file, with any problems found while reading.

    `on_sheet` is called with each sheet as soon as it is read, so checking it can start while
    the next one is parsed. `mappings` are the stored column mappings; `mapping_name` the one
    chosen, if any (SPEC §7.6).
    """
    name = safe_file_name(name)
    raw = RawFile(name=name, size=len(data), mappings=tuple(mappings), mapping_name=mapping_name)
    lower = name.lower()
    if lower.endswith(WORKBOOK_SUFFIXES) or (data[:2] == b"PK" and not lower.endswith(CSV_SUFFIXES)):
        read_workbook(raw, data, on_sheet)
    elif lower.endswith(CSV_SUFFIXES):
        read_csv(raw, data, csv_sheet)
        for sheet in raw.sheets:
            if on_sheet:
                on_sheet(sheet)
    elif lower.endswith(".xls"):
        raw.problems.append(error(name, "old .xls workbooks are not supported: save it as .xlsx and upload again"))
    else:
        raw.problems.append(error(name, "not a workbook or CSV: expected a .xlsx, .xlsm or .csv file"))
    return raw
