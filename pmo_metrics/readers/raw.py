"""What a reader returns: one file's raw sheets, with the problems found while reading."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ..problems import Problem
from ..schema import Sheet

ROW = "_row"  # the spreadsheet row number (1-based) every raw row carries


def row_numbers(first: int, count: int) -> pa.Array:
    """Return the row (or line) numbers first, first + 1, ... of `count` rows, as int64.

    Made from the buffer, not by `pa.array`: that asks whether pandas is installed and imports it
    to answer, ~0.15 s of the GIL held while the archive guard checks the large sheet the parser
    waits for; the validator's first `pa.array` imports it later, while that sheet is parsed.
    """
    numbers = np.arange(first, first + count, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), count, [None, pa.py_buffer(numbers)])


@dataclass
class RawSheet:
    """One input sheet as found: canonical column names, original row numbers and letters."""

    file: str
    sheet_name: str
    spec: Sheet
    table: pa.Table  # canonical columns (as read) + _row
    letters: dict[str, str]  # canonical column -> spreadsheet column letter
    header_row: int  # 1-based
    # Wide BenefitValues: columns benefit_id, measure, value_0..value_k; months maps value_k to its month.
    months: dict[str, dt.date] | None = None
    # Money units stated by a column's header ("Whole Life Cost (£m)"): canonical column -> unit
    units: dict[str, str] = field(default_factory=dict)

    @property
    def wide(self) -> bool:
        return self.months is not None


@dataclass
class RawFile:
    """Everything read from one uploaded file."""

    name: str
    size: int
    sheets: list[RawSheet] = field(default_factory=list)
    about_as_of: dt.date | None = None
    about_mode: str | None = None  # the About sheet's `mode` cell (SPEC §7.1), when given
    about_complete: bool | None = None  # its `complete` cell, when given
    about_units: str | None = None  # the About sheet's `units` cell (SPEC §7.4)
    about_rebaseline: bool | None = None  # its `rebaseline` cell (SPEC §9.1), when given
    about_rebaseline_reason: str | None = None  # its `rebaseline_reason` cell
    about_cells: dict[str, str] = field(default_factory=dict)  # About label -> the cell its value came from
    # How to read it: stored column mappings (mapping.Mapping), and the one chosen by name, if any (SPEC §7.6)
    mappings: tuple = ()
    mapping_name: str | None = None
    problems: list[Problem] = field(default_factory=list)
