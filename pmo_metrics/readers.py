"""File bytes -> raw sheets: find the header, map columns to the contract, spot wide benefit values.

Workbooks are read with fastexcel straight to Arrow (the fastest parser measured for this
product); CSVs with the standard library so every line keeps its number. Nothing here decides
whether a value is valid: that is `validate`'s job, over whole columns at once.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import itertools
import logging
import os
import posixpath
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from xml.etree import ElementTree

import fastexcel
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from zlib_ng import zlib_ng

from . import schema
from .parsing import parse_period_text
from .problems import Problem, column_letter, error, shorten, warning
from .schema import ABOUT_AS_OF, ABOUT_SHEET, BENEFIT_VALUES, MAX_HEADER_SEARCH_ROWS, Sheet

# fastexcel logs a line for every mixed-type column; mixed columns are expected here (text money,
# text dates) and validation reports what matters, so keep its chatter off the user's terminal.
logging.getLogger("fastexcel").setLevel(logging.ERROR)

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")
ROW = "_row"  # the spreadsheet row number (1-based) every raw row carries

# Zip-bomb guard: refuse archives whose contents inflate beyond these before parsing them.
MAX_UNCOMPRESSED_BYTES = 1_000_000_000
MAX_COMPRESSION_RATIO = 200
# A cell reference past column SF (schema.MAX_COLUMNS_PER_SHEET = 500) or on row 1,000,000 or
# later: the parser allocates a dense grid up to the farthest cell (32 bytes a cell), so one cell
# at XFD1048576 in a 6 KB file asks for 512 GB and aborts the process. Searched, not parsed, by
# Arrow's RE2 (a DFA, 5-7x faster than `re` on sheet XML, and it releases the GIL).
_FAR_CELL = r' r="(?:[A-Z]{0,3}[0-9]{7}|[A-Z]{3}|(?:S[G-Z]|[T-Z][A-Z])[0-9])'
_FORMULA = r"<f[ >/]"
_INFLATE_CHUNK = 1 << 20
_DEFLATED_INPUT = 1 << 16  # compressed bytes fed to the inflater at a time
_SEAM = 16  # bytes either side of a chunk boundary searched together: longer than any match
_CHUNKS_PER_SEARCH = 16  # inflated chunks searched together: few calls, bounded memory
# Sheets parsed (and archive members checked) at once. Two: on the two-core machines measured,
# the second thread takes a big sheet off the critical path; more would only hold more parsed
# sheets in memory at once.
PARSE_THREADS = min(2, os.cpu_count() or 1)
# ...and only while the sheets being parsed hold at most this much XML between them: the parser
# keeps every cell of a sheet in memory (about 3x its XML), and a 1M-row upload must stay < 1 GB.
PARALLEL_PARSE_BYTES = 160_000_000
WIDE_CHECK_WEIGHT = 1.5
_DAMAGED_ZIP = (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error, zlib_ng.error,
                NotImplementedError)
_CELL_WITH_FORMULA = re.compile(
    rb'<c r="([A-Z]{1,3}[0-9]{1,7})"[^>]*>(?:(?!</c>).)*?<f[ >/](?:(?!</c>).)*?</c>', re.S)
_CACHED_VALUE = re.compile(rb"<v>[^<]")
_XML_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
           "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
           "p": "http://schemas.openxmlformats.org/package/2006/relationships"}


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
    problems: list[Problem] = field(default_factory=list)


def safe_file_name(name: str) -> str:
    """Return only the final component of an uploaded file name (never used as a path)."""
    return PurePath(str(name).replace("\\", "/")).name or "upload"


def read_file(name: str, data: bytes, csv_sheet: str | None = None,
              on_sheet: Callable[[RawSheet], None] | None = None) -> RawFile:
    """Return the raw sheets of one uploaded file, with any problems found while reading.

    `on_sheet` is called with each sheet as soon as it is read, so checking it can start while
    the next one is parsed.
    """
    name = safe_file_name(name)
    raw = RawFile(name=name, size=len(data))
    lower = name.lower()
    if lower.endswith(WORKBOOK_SUFFIXES) or (data[:2] == b"PK" and not lower.endswith(CSV_SUFFIXES)):
        _read_workbook(raw, data, on_sheet)
    elif lower.endswith(CSV_SUFFIXES):
        _read_csv(raw, data, csv_sheet)
        for sheet in raw.sheets:
            if on_sheet:
                on_sheet(sheet)
    elif lower.endswith(".xls"):
        raw.problems.append(error(name, "old .xls workbooks are not supported: save it as .xlsx and upload again"))
    else:
        raw.problems.append(error(name, "not a workbook or CSV: expected a .xlsx, .xlsm or .csv file"))
    return raw


# -- workbooks -------------------------------------------------------------------------------


def check_archive(name: str, data: bytes, formula_sheets: set[str] | None = None,
                  order: list[str] | None = None, on_checked: Callable[[str], None] | None = None,
                  threads: int = 1) -> Problem | None:
    """Return a problem when `data` is not a sane zip archive (corrupt, or a zip bomb).

    Members are inflated in `order` (member names; any others after them), `threads` at a time,
    and `on_checked` is called with each one found sane, so a parser may start on it while the
    rest are checked.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except _DAMAGED_ZIP:
        return _damaged(name)
    declared = sum(m.file_size for m in members)
    compressed = max(1, sum(m.compress_size for m in members))
    if declared > MAX_UNCOMPRESSED_BYTES or declared / compressed > MAX_COMPRESSION_RATIO:
        return error(name, f"refused: the workbook would expand to {declared:,} bytes "
                           f"({declared / compressed:.0f}× its size), which looks like a zip bomb")
    rank = {member: index for index, member in enumerate(order or [])}
    members.sort(key=lambda m: rank.get(m.filename, len(rank)))
    if formula_sheets is None:
        formula_sheets = set()
    formula_sheets.clear()
    return _InflateCheck(name, data, members, compressed, formula_sheets, on_checked).run(threads)


def _damaged(name: str) -> Problem:
    return error(name, "not a valid Excel workbook (the file is damaged or is not .xlsx)")


class _InflateCheck:
    """Inflate every member for real, on one or more threads, against one shared budget.

    Declared sizes are written by whoever made the file, so a bomb can claim to be small; count
    what each member really inflates to, a chunk at a time, stopping everywhere as soon as a
    limit is passed or a far cell is found. Worksheets holding any formula are noted in
    `formula_sheets` on the way, for `_uncached_formulas`.
    """

    def __init__(self, name: str, data: bytes, members: list[zipfile.ZipInfo], compressed: int,
                 formula_sheets: set[str], on_checked: Callable[[str], None] | None):
        self.name, self.data, self.compressed = name, data, compressed
        self.formula_sheets, self.on_checked = formula_sheets, on_checked
        self.problem: Problem | None = None
        self._waiting = collections.deque(members)
        self._total = 0
        self._lock = threading.Lock()

    def run(self, threads: int) -> Problem | None:
        helpers = [threading.Thread(target=self._work, name=f"archive-check-{i}", daemon=True)
                   for i in range(1, max(1, threads))]
        for thread in helpers:
            thread.start()
        try:
            self._work()
        finally:
            for thread in helpers:
                thread.join()
        return self.problem

    def _work(self) -> None:
        try:
            while True:
                with self._lock:
                    if self.problem is not None or not self._waiting:
                        return
                    member = self._waiting.popleft()
                problem = self._member(member)
                if problem is not None:
                    self._fail(problem)
                    return
                if self.on_checked:
                    self.on_checked(member.filename)
        except _DAMAGED_ZIP:
            self._fail(_damaged(self.name))

    def _fail(self, problem: Problem) -> None:
        with self._lock:
            self.problem = self.problem or problem

    def _member(self, member: zipfile.ZipInfo) -> Problem | None:
        worksheet = member.filename.startswith("xl/worksheets/")
        pending: list[bytes] = []
        for chunk in _inflated(self.data, member):
            with self._lock:
                if self.problem is not None:
                    return None  # another thread refused the file already
                self._total += len(chunk)
                total = self._total
            if total > MAX_UNCOMPRESSED_BYTES or total / self.compressed > MAX_COMPRESSION_RATIO:
                return error(self.name, f"refused: the workbook expands to more than {total:,} bytes "
                                        f"({total / self.compressed:.0f}× its size), which looks like a zip bomb")
            if worksheet:
                pending.append(chunk)
                if len(pending) > _CHUNKS_PER_SEARCH:
                    if _search_sheet(member.filename, pending[:-1], self.formula_sheets):
                        return _far_cell(self.name)
                    del pending[:-2]  # the last chunk searched stays, for the seam with the next
                    pending[0] = pending[0][-_SEAM:]
        if worksheet and _search_sheet(member.filename, pending, self.formula_sheets):
            return _far_cell(self.name)
        return None


def _inflated(data: bytes, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield what `member` really inflates to, in chunks of _INFLATE_CHUNK bytes (the last shorter).

    Its size declared in the archive is not trusted: inflation goes on to the end of the stream.
    zlib-ng inflates 2.3x faster than the standard zlib that `zipfile` uses (a 52 MB sheet: 44
    against 103 ms), and this check inflates every sheet before the parser does it again.
    """
    if member.flag_bits & 0x1:
        raise NotImplementedError("encrypted member")
    header = data[member.header_offset:member.header_offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = member.header_offset + 30 + name_length + extra_length
    stored = memoryview(data)[start:start + member.compress_size]
    if member.compress_type == zipfile.ZIP_STORED:
        for offset in range(0, len(stored), _INFLATE_CHUNK):
            yield bytes(stored[offset:offset + _INFLATE_CHUNK])
        return
    if member.compress_type != zipfile.ZIP_DEFLATED:
        raise NotImplementedError(f"compression method {member.compress_type}")
    inflater = zlib_ng.decompressobj(-zlib_ng.MAX_WBITS)
    # Each call fills at most the room left in the chunk (a bomb never inflates at once), and a
    # chunk's parts are joined once: copying through a buffer cost 40-90 % on top of inflating.
    parts: list[bytes] = []
    filled = offset = 0
    while not inflater.eof:
        piece = inflater.unconsumed_tail
        if not piece and offset < len(stored):
            piece, offset = stored[offset:offset + _DEFLATED_INPUT], offset + _DEFLATED_INPUT
        part = inflater.decompress(piece, _INFLATE_CHUNK - filled)
        if not part and not inflater.eof and not inflater.unconsumed_tail and offset >= len(stored):
            raise EOFError("the compressed data ends early")
        parts.append(part)
        filled += len(part)
        if filled == _INFLATE_CHUNK:
            yield b"".join(parts)
            parts, filled = [], 0
    if filled:
        yield b"".join(parts)


def _search_sheet(member: str, chunks: list[bytes], formula_sheets: set[str]) -> bool:
    """Return True when the sheet XML `chunks` hold a far cell; note a formula in `formula_sheets`.

    The chunks are handed to Arrow without copying them; the few bytes either side of each
    boundary are searched too, so a reference cut across two chunks is seen whole.
    """
    if not chunks:
        return False
    pieces = [chunks[0]]
    for before, after in itertools.pairwise(chunks):
        pieces += [before[-_SEAM:] + after[:_SEAM], after]
    texts = pa.chunked_array([_binary_scalar_array(piece) for piece in pieces], pa.binary())
    # Two passes, each with one literal prefix for RE2 to skip to, are faster than one pass over
    # the alternation of both (on a 52 MB sheet: 34 + 46 ms against 107 ms).
    if member not in formula_sheets and _matches(texts, _FORMULA):
        formula_sheets.add(member)
    return _matches(texts, _FAR_CELL)


def _binary_scalar_array(data: bytes) -> pa.Array:
    """A one-value binary array over `data` itself (pa.array would copy every byte)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32))
    return pa.Array.from_buffers(pa.binary(), 1, [None, offsets, pa.py_buffer(data)])


def _matches(texts: pa.ChunkedArray, pattern: str) -> bool:
    return bool(pc.any(pc.match_substring_regex(texts, pattern)).as_py())


def _far_cell(name: str) -> Problem:
    return error(name, "refused: a sheet has a cell beyond row 999,999 or column "
                       f"{column_letter(schema.MAX_COLUMNS_PER_SHEET - 1)}; delete the "
                       "stray cells far from the data and save again")


def _sheet_members(archive: zipfile.ZipFile) -> dict[str, str]:
    """Return sheet name -> archive member holding its XML, from the workbook's relationships."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", _XML_NS)}
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    found = {}
    for sheet in book.findall("m:sheets/m:sheet", _XML_NS):
        target = targets.get(sheet.get(f"{{{_XML_NS['r']}}}id"), "")
        found[sheet.get("name")] = (target.lstrip("/") if target.startswith("/")
                                    else posixpath.normpath(posixpath.join("xl", target)))
    return found


def _uncached_formulas(data: bytes, members: set[str], limit: int = 25) -> dict[str, list[str]]:
    """Return sheet name -> cells holding a formula with no cached value, for the given sheet XMLs."""
    found: dict[str, list[str]] = {}
    if not members:
        return found
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for sheet_name, member in _sheet_members(archive).items():
            if member not in members:
                continue
            cells = [m.group(1).decode() for m in _CELL_WITH_FORMULA.finditer(archive.read(member))
                     if not _CACHED_VALUE.search(m.group(0))]
            if cells:
                found[sheet_name] = cells[:limit]
    return found


class _ArchiveCheck:
    """`check_archive` on a worker thread, so the parser can start on the members already checked.

    zlib and Arrow's regex search both release the GIL: while fastexcel parses one sheet, the next
    is inflated and searched, and the guard costs little more than checking the first sheet.
    """

    def __init__(self, name: str, data: bytes, order: list[str]):
        self.problem: Problem | None = None
        self.formula_sheets: set[str] = set()
        self._checked: set[str] = set()
        self._finished = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, args=(name, data, order), name="archive-check",
                                        daemon=True)
        self._thread.start()

    def _run(self, name: str, data: bytes, order: list[str]) -> None:
        try:
            self.problem = check_archive(name, data, self.formula_sheets, order, self._mark, PARSE_THREADS)
        except Exception:  # never let an unexpected failure pass a file as checked
            self.problem = _damaged(name)
        finally:
            with self._changed:
                self._finished = True
                self._changed.notify_all()

    def _mark(self, member: str) -> None:
        with self._changed:
            self._checked.add(member)
            self._changed.notify_all()

    def ready(self, members: set[str] | None) -> bool:
        """Wait until `members` (None: all) are checked, or the check stops; False on a problem."""
        with self._changed:
            self._changed.wait_for(lambda: self._finished or (members is not None and members <= self._checked))
            return self.problem is None

    def finish(self) -> Problem | None:
        self._thread.join()
        return self.problem


def _read_workbook(raw: RawFile, data: bytes, on_sheet: Callable[[RawSheet], None] | None = None) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sizes = {m.filename: m.file_size for m in archive.infolist()}
            members = _sheet_members(archive)
    except (*_DAMAGED_ZIP, KeyError, ElementTree.ParseError):
        raw.problems.append(_damaged(raw.name))
        return
    order = sorted(members, key=lambda n: _parse_priority(n, sizes.get(members[n], 0)))
    sheets = [members[n] for n in order]
    common = [m for m in sizes if m not in set(sheets)]  # shared strings, styles: read on opening
    guard = _ArchiveCheck(raw.name, data, common + sheets)
    try:
        _parse_checked_sheets(raw, data, guard, set(common), members, sizes, order, on_sheet)
    finally:
        problem = guard.finish()
    if problem:
        raw.sheets.clear()
        raw.problems[:] = [problem]
        return
    # Two tabs that both mean one contract sheet ("Projects" and "Project Register"): loading
    # either alone would silently drop the other's rows.
    first_of: dict[str, str] = {}
    for sheet in raw.sheets:
        if sheet.spec.name in first_of:
            raw.problems.append(error(raw.name, f"sheets '{first_of[sheet.spec.name]}' and '{sheet.sheet_name}' "
                                                f"both hold {sheet.spec.name}: keep one (move the rows into it)",
                                      sheet=sheet.sheet_name))
        first_of.setdefault(sheet.spec.name, sheet.sheet_name)
    # fastexcel reads a formula Excel never calculated (openpyxl and many exports write them so)
    # as an empty cell: report it by cell instead of loading a silent blank.
    for sheet_name, cells in _uncached_formulas(data, guard.formula_sheets).items():
        for cell in cells:
            raw.problems.append(error(raw.name, "a formula without a saved value: open and save the file "
                                      "in Excel first", sheet=sheet_name, cell=cell))
    if not raw.sheets and not raw.problems:
        known = ", ".join(s.name for s in schema.SHEETS)
        raw.problems.append(error(raw.name, f"no sheet this product reads; expected one of {known}"))


def _parse_priority(sheet_name: str, size: int) -> float:
    """Sort key of the parse order: the most work first, measured in XML bytes.

    Each sheet is validated while the next ones are parsed, so the sheets parsed last are
    checked alone at the end: leave the small ones for then. Benefit values count 1.5x their
    size, as melting the wide form takes about that much longer to check per byte. The largest
    first also keeps peak memory down: nothing else is held yet while the parser has its cells.
    """
    return -size * (WIDE_CHECK_WEIGHT if schema.sheet_for_name(sheet_name) is BENEFIT_VALUES else 1)


def _parse_checked_sheets(raw: RawFile, data: bytes, guard: _ArchiveCheck, common: set[str],
                          members: dict[str, str], sizes: dict[str, int], order: list[str],
                          on_sheet: Callable[[RawSheet], None] | None) -> None:
    """Parse each sheet, in `order`, once the guard has passed its XML; keep results in workbook order.

    Sheets are parsed `PARSE_THREADS` at a time, each thread with its own reader: fastexcel
    releases the GIL while it parses, so two large sheets take little more than the larger one.
    A sheet joins one already being parsed only while their XML stays within
    `PARALLEL_PARSE_BYTES`, as the parser holds every cell of a sheet at once.
    """
    if not guard.ready(common):
        return
    try:
        first_reader = fastexcel.read_excel(data)
        sheet_names = first_reader.sheet_names
    except Exception as exc:  # fastexcel raises its own hierarchy for any unreadable archive
        raw.problems.append(error(raw.name, f"cannot read the workbook: {shorten(exc, 200)}"))
        return
    rank = {name: index for index, name in enumerate(order)}
    waiting = collections.deque(sorted(sheet_names, key=lambda n: rank.get(n, len(rank))))
    xml_bytes = {name: sizes.get(members.get(name, ""), 0) for name in sheet_names}
    found: dict[str, RawFile] = {}
    in_flight = [0]  # XML bytes of the sheets being parsed
    changed = threading.Condition()

    def fits() -> bool:
        return not waiting or not in_flight[0] or in_flight[0] + xml_bytes[waiting[0]] <= PARALLEL_PARSE_BYTES

    def parse(reader) -> None:
        while True:
            with changed:
                changed.wait_for(fits)
                if not waiting:
                    return
                sheet_name = waiting.popleft()
                in_flight[0] += xml_bytes[sheet_name]
            try:
                member = members.get(sheet_name)
                if not guard.ready({member} if member else None):
                    return
                part = RawFile(raw.name, raw.size)
                try:
                    reader = reader or fastexcel.read_excel(data)
                    _read_worksheet(part, reader, sheet_name)
                except Exception as exc:
                    part.problems.append(error(raw.name, f"cannot read this sheet: {shorten(exc, 200)}",
                                               sheet=sheet_name))
            finally:
                with changed:
                    in_flight[0] -= xml_bytes[sheet_name]
                    changed.notify_all()
            found[sheet_name] = part
            if on_sheet:
                for sheet in part.sheets:
                    on_sheet(sheet)

    helpers = [threading.Thread(target=parse, args=(None,), name=f"parse-{i}", daemon=True)
               for i in range(1, min(PARSE_THREADS, len(sheet_names)))]
    for thread in helpers:
        thread.start()
    try:
        parse(first_reader)
    finally:
        for thread in helpers:
            thread.join()
    for sheet_name in sheet_names:
        part = found.get(sheet_name)
        if part is not None:
            raw.sheets.extend(part.sheets)
            raw.problems.extend(part.problems)
            raw.about_as_of = raw.about_as_of or part.about_as_of


class _UnreadableSheet(Exception):
    """fastexcel stopped on a cell it cannot convert (a Rust panic)."""


def _converted(convert: Callable[[], object]):
    """Return what a fastexcel conversion returns; a panic inside it becomes _UnreadableSheet.

    A panic reaches Python as pyo3's PanicException, a BaseException that `except Exception` lets
    through; a date-formatted cell holding a huge negative number raises one (calamine turns the
    serial into a date with no range check).
    """
    try:
        return convert()
    except BaseException as panic:
        if type(panic).__module__ != "pyo3_runtime":
            raise
        raise _UnreadableSheet(str(panic)) from None


def _read_worksheet(raw: RawFile, reader, sheet_name: str) -> None:
    try:
        _read_contract_sheet(raw, reader, sheet_name)
    except _UnreadableSheet:
        columns = _unreadable_columns(reader, sheet_name)
        where = f"column {', '.join(columns)}" if columns else "a column"
        raw.problems.append(error(
            raw.name, f"this sheet could not be read: {where} has a cell formatted as a date that holds a number "
                      "no calendar has, such as a large negative one; correct that date or format the cell as a "
                      "number, and save again", sheet=sheet_name))


def _unreadable_columns(reader, sheet_name: str) -> list[str]:
    """Return the letters of the columns fastexcel cannot convert (read one at a time, as text)."""
    found = []
    try:
        infos = _converted(reader.load_sheet(sheet_name, header_row=None, n_rows=1).available_columns)
    except _UnreadableSheet:
        return found
    for info in infos:
        column = reader.load_sheet(sheet_name, header_row=None, dtypes="string", use_columns=[info.absolute_index])
        try:
            _converted(column.to_arrow)
        except _UnreadableSheet:
            found.append(column_letter(info.absolute_index))
    return found


def _read_contract_sheet(raw: RawFile, reader, sheet_name: str) -> None:
    if schema.normalise_name(sheet_name) == schema.normalise_name(ABOUT_SHEET):
        raw.about_as_of = _about_as_of(raw, sheet_name, _preview(reader, sheet_name))
        return
    spec = schema.sheet_for_name(sheet_name)
    if spec is None:
        raw.problems.append(warning(raw.name, "sheet not part of the input contract; ignored", sheet=sheet_name))
        return
    # Fast path: most returns have their header on row 1, and fastexcel parses the whole sheet
    # on every load, so try that first and only look for a lower header when row 1 is not it.
    infos, table = _load(reader, sheet_name, 0)
    headers = {i.absolute_index: i.name for i in infos if i.column_name_from != "generated"}
    header_index = 0
    if not (_names_required(list(headers.values()), spec) or _wide_header(list(headers.values()), spec)):
        rows = _preview(reader, sheet_name)
        header_index = _find_header(rows, spec)
        if header_index is None:
            if any(any(v is not None for v in row) for row in rows):
                raw.problems.append(_no_header_error(raw.name, sheet_name, spec))
            return
        infos, table = _load(reader, sheet_name, header_index)
        headers = dict(enumerate(rows[header_index]))
    columns = [(column_letter(i.absolute_index), headers.get(i.absolute_index), table.column(position))
               for position, i in enumerate(infos)]
    first = header_index + 2  # data starts on the row below the header (1-based)
    rows = pa.array(np.arange(first, first + table.num_rows, dtype=np.int64))  # not a Python loop
    _add_sheet(raw, sheet_name, spec, header_index + 1, columns, rows)


def _load(reader, sheet_name: str, header_index: int):
    """Return (column infos, Arrow table) of a sheet whose header is on row `header_index` (0-based)."""
    # Types are guessed from the first 1000 rows (fastexcel's default): inferring them over every
    # row cost a third of the parse, and any cell that disagrees is caught just below.
    sheet = reader.load_sheet(sheet_name, header_row=header_index)
    table, cell_errors = _converted(sheet.to_arrow_with_errors)
    infos = sheet.selected_columns  # after the conversion: available_columns() re-guesses every type
    as_text = {}
    if cell_errors is not None and cell_errors.errors:
        # fastexcel types a column by its majority and turns the odd cell out into null: "n/a"
        # among numbers, "£1,200" among numbers, "Oct-26" among dates. Read those columns as text
        # instead, so the validator parses each cell or reports it — never loses it.
        by_index = {info.absolute_index: info.name for info in infos}
        as_text = {by_index[e.position[1]]: "string" for e in cell_errors.errors if e.position[1] in by_index}
    # It also reads the text "nan" among numbers as NaN, which no sheet means and which would turn
    # every total it reaches into NaN: those columns are read as text too, and the cell reported.
    as_text.update({name: "string" for name in table.schema.names if _holds_non_finite(table.column(name))})
    if as_text:
        sheet = reader.load_sheet(sheet_name, header_row=header_index, dtypes=as_text)
        table = _converted(sheet.to_arrow)
        infos = sheet.selected_columns
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    return infos, table


def _holds_non_finite(column: pa.Array | pa.ChunkedArray) -> bool:
    return pa.types.is_floating(column.type) and pc.all(pc.is_finite(column)).as_py() is False


def _names_required(names: list, spec: Sheet) -> bool:
    folded = {schema.normalise_name(n) for n in names if n is not None}
    return all(folded & spec.column(required).spellings() for required in spec.required)


def _wide_header(names: list, spec: Sheet) -> bool:
    folded = {schema.normalise_name(n) for n in names if n is not None}
    return (spec is BENEFIT_VALUES and "measure" in folded
            and bool(folded & spec.column("benefit_id").spellings())
            and any(_month_header(n) is not None for n in names if n is not None))


def _preview(reader, sheet_name: str) -> list[list[str | None]]:
    """Return the first rows of a sheet as text, each row indexed by absolute column (A = 0)."""
    sheet = reader.load_sheet(sheet_name, header_row=None, skip_rows=0, n_rows=MAX_HEADER_SEARCH_ROWS,
                              dtypes="string")
    batch = _converted(sheet.to_arrow)
    infos = sheet.selected_columns
    if batch.num_rows == 0 or not infos:
        return []
    width = max(i.absolute_index for i in infos) + 1
    rows = [[None] * width for _ in range(batch.num_rows)]
    for position, info in enumerate(infos):
        for r, value in enumerate(batch.column(position).to_pylist()):
            rows[r][info.absolute_index] = value
    return rows


def _about_as_of(raw: RawFile, sheet_name: str, rows: list[list]) -> dt.date | None:
    """Return the month in the cell right of (or below) an `as_of` label on the About sheet."""
    labels = {schema.normalise_name(a) for a in ABOUT_AS_OF}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or schema.normalise_name(value) not in labels:
                continue
            candidates = [(r, c + 1), (r + 1, c)]
            for rr, cc in candidates:
                if rr < len(rows) and cc < len(rows[rr]) and rows[rr][cc] not in (None, ""):
                    found = rows[rr][cc]
                    month = parse_period_text(found)
                    if month is None:
                        raw.problems.append(error(
                            raw.name, "as_of is not a month; expected e.g. 2026-10 or Oct 2026",
                            sheet=sheet_name, cell=f"{column_letter(cc)}{rr + 1}", column="as_of",
                            value=shorten(found)))
                    return month
    return None


def _header_matches(row: list, spec: Sheet) -> int:
    spellings = set().union(*(c.spellings() for c in spec.columns))
    return sum(1 for v in row if v is not None and schema.normalise_name(v) in spellings)


def _find_header(rows: list[list], spec: Sheet) -> int | None:
    """Return the 0-based index of the header row: the one naming most contract columns."""
    required = set().union(*(spec.column(n).spellings() for n in spec.required))
    best, best_score = None, 0
    for index, row in enumerate(rows):
        names = {schema.normalise_name(v) for v in row if v is not None}
        if not names & required:
            continue
        score = _header_matches(row, spec)
        if spec is BENEFIT_VALUES:
            score += sum(1 for v in row if v is not None and _month_header(v) is not None)
        if score > best_score:
            best, best_score = index, score
    return best


def _no_header_error(file: str, sheet_name: str, spec: Sheet) -> Problem:
    return error(file, f"no header row found in the first {MAX_HEADER_SEARCH_ROWS} rows; expected "
                       f"a row naming the columns {', '.join(spec.required)}", sheet=sheet_name)


def _month_header(text: str) -> dt.date | None:
    # A header cell that is a month: "Jan-26", "2026-02", or an Excel date shown as text.
    value = str(text).strip()
    if not value or not re.search(r"\d", value):
        return None
    return parse_period_text(value)


def _add_sheet(raw: RawFile, sheet_name: str, spec: Sheet, header_row: int,
               columns: list[tuple[str, str | None, pa.ChunkedArray | pa.Array]], row_numbers: pa.Array) -> None:
    """Map read columns to the contract, report unknown ones, and keep the sheet.

    `row_numbers` are the row numbers the user sees for each data row (a CSV's line numbers).
    """
    mapped: dict[str, tuple[str, object]] = {}
    months: list[tuple[str, dt.date, object]] = []
    unknown = []
    lookup = {}
    for column in spec.columns:
        for spelling in column.spellings():
            lookup.setdefault(spelling, column.name)
    wide_candidate = spec is BENEFIT_VALUES
    for letter, header, values in columns:
        if header is None or str(header).strip() == "":
            if values.null_count < len(values):
                raw.problems.append(warning(raw.name, "column without a header; ignored",
                                            sheet=sheet_name, cell=f"{letter}{header_row}"))
            continue
        name = lookup.get(schema.normalise_name(header))
        if name is None and wide_candidate and schema.normalise_name(header) == "measure":
            name = "measure"
        if name is not None:
            if name in mapped:
                raw.problems.append(error(
                    raw.name, f"columns {mapped[name][0]} and {letter} both mean {name}",
                    sheet=sheet_name, cell=f"{letter}{header_row}", column=name, value=shorten(header)))
                continue
            mapped[name] = (letter, values)
            continue
        month = _month_header(header) if wide_candidate else None
        if month is not None:
            months.append((letter, month, values))
        elif values.null_count < len(values):
            unknown.append(f"{shorten(header, 40)} ({letter})")
    if unknown:
        raw.problems.append(warning(raw.name, "columns not in the contract, kept out of the model: "
                                    + ", ".join(unknown), sheet=sheet_name))
    if wide_candidate and "measure" in mapped and months:
        _add_wide_sheet(raw, sheet_name, spec, header_row, mapped, months, row_numbers)
        return
    if wide_candidate:
        mapped.pop("measure", None)
    missing = [c for c in spec.required if c not in mapped]
    if missing:
        raw.problems.append(error(raw.name, "required column missing: " + ", ".join(missing)
                                  + f" (header found on row {header_row})", sheet=sheet_name,
                                  column=", ".join(missing)))
        return
    arrays = {name: values for name, (_, values) in mapped.items()}
    arrays[ROW] = row_numbers
    raw.sheets.append(RawSheet(raw.name, sheet_name, spec, pa.table(arrays),
                               {name: letter for name, (letter, _) in mapped.items()}, header_row))


def _add_wide_sheet(raw, sheet_name, spec, header_row, mapped, months, row_numbers) -> None:
    """Keep a wide BenefitValues sheet (benefit_id, measure, one column per month) as it is.

    It is validated wide — every month column a located number column — and melted in DuckDB.
    """
    if "benefit_id" not in mapped:
        raw.problems.append(error(raw.name, "required column missing: benefit_id", sheet=sheet_name,
                                  column="benefit_id"))
        return
    seen: dict[dt.date, str] = {}
    arrays = {"benefit_id": mapped["benefit_id"][1], "measure": mapped["measure"][1]}
    letters = {"benefit_id": mapped["benefit_id"][0], "measure": mapped["measure"][0]}
    month_of = {}
    for index, (letter, month, values) in enumerate(months):
        if month in seen:
            raw.problems.append(error(raw.name, f"month {month:%Y-%m} appears in columns {seen[month]} and {letter}",
                                      sheet=sheet_name, cell=f"{letter}{header_row}"))
            continue
        seen[month] = letter
        name = f"value_{index}"
        arrays[name], letters[name], month_of[name] = values, letter, month
    arrays[ROW] = row_numbers
    raw.sheets.append(RawSheet(raw.name, sheet_name, spec, pa.table(arrays), letters, header_row, months=month_of))


# -- CSV -------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _read_csv(raw: RawFile, data: bytes, csv_sheet: str | None) -> None:
    spec = schema.sheet_for_name(csv_sheet) if csv_sheet else schema.sheet_for_file_stem(
        PurePath(raw.name).stem)
    if spec is None:
        known = ", ".join(s.name for s in schema.SHEETS)
        raw.problems.append(error(raw.name, "cannot tell which sheet this CSV holds: name the file after "
                                  f"its sheet (e.g. 2026-10 Financials.csv) or choose one of {known}"))
        return
    if b"\x00" in data[:4096]:
        raw.problems.append(error(raw.name, "not a text CSV file (binary content)"))
        return
    text = _decode(data)
    first = text[:4096].splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    for record in reader:
        rows.append((reader.line_num, record))
    preview = [[v if v.strip() else None for v in record] for _, record in rows[:MAX_HEADER_SEARCH_ROWS]]
    header_index = _find_header(preview, spec)
    if header_index is None:
        raw.problems.append(_no_header_error(raw.name, spec.name, spec))
        return
    header_line, header = rows[header_index]
    body = rows[header_index + 1:]
    width = len(header)
    columns = []
    for position in range(width):
        values = [(record[position] if position < len(record) else None) for _, record in body]
        values = [v if v is not None and v.strip() != "" else None for v in values]
        columns.append((column_letter(position), header[position], pa.array(values, pa.string())))
    extra = [line for line, record in body if len(record) > width and any(v.strip() for v in record[width:])]
    if extra:
        raw.problems.append(warning(raw.name, f"{len(extra)} rows have more cells than the header "
                                    f"(first on line {extra[0]}); the extra cells are ignored", sheet=spec.name))
    # CSV line numbers are the row numbers the user sees when opening the file in Excel.
    lines = pa.array([line for line, _ in body], pa.int64())
    _add_sheet(raw, spec.name, spec, header_line, columns, lines)
