"""The archive guard: refuse a damaged workbook, a zip bomb or a sheet the parser cannot afford.

Every member is inflated for real (declared sizes are written by whoever made the file) and each
worksheet's XML is searched before the parser sees it.
"""

from __future__ import annotations

import collections
import io
import itertools
import os
import posixpath
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from xml.etree import ElementTree

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from zlib_ng import zlib_ng

from .. import schema
from ..problems import Problem, column_letter, error

# Zip-bomb guard: refuse archives whose contents inflate beyond these before parsing them.
MAX_UNCOMPRESSED_BYTES = 1_000_000_000
MAX_COMPRESSION_RATIO = 200
# A cell reference past column SF (schema.MAX_COLUMNS_PER_SHEET = 500) or on row 1,000,000 or
# later: the parser allocates a dense grid up to the farthest cell (32 bytes a cell), so one cell
# at XFD1048576 in a 6 KB file asks for 512 GB and aborts the process. Searched, not parsed, by
# Arrow's RE2 (a DFA, 5-7x faster than `re` on sheet XML, and it releases the GIL).
_FAR_CELL = r' r="(?:[A-Z]{0,3}[0-9]{7}|[A-Z]{3}|(?:S[G-Z]|[T-Z][A-Z])[0-9])'
_FORMULA = r"<f[ >/]"
INFLATE_CHUNK = 1 << 20
_DEFLATED_INPUT = 1 << 16  # compressed bytes fed to the inflater at a time
_SEAM = 16  # bytes either side of a chunk boundary searched together: longer than any match
CHUNKS_PER_SEARCH = 16  # inflated chunks searched together: few calls, bounded memory
# Sheets parsed (and archive members checked) at once. Two: on the two-core machines measured,
# the second thread takes a big sheet off the critical path; more would only hold more parsed
# sheets in memory at once.
PARSE_THREADS = min(2, os.cpu_count() or 1)
DAMAGED_ZIP = (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error, zlib_ng.error,
                NotImplementedError)
_CELL_WITH_FORMULA = re.compile(
    rb'<c r="([A-Z]{1,3}[0-9]{1,7})"[^>]*>(?:(?!</c>).)*?<f[ >/](?:(?!</c>).)*?</c>', re.S)
_CACHED_VALUE = re.compile(rb"<v>[^<]")
_XML_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
           "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
           "p": "http://schemas.openxmlformats.org/package/2006/relationships"}


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
    except DAMAGED_ZIP:
        return damaged(name)
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


def damaged(name: str) -> Problem:
    return error(name, "not a valid Excel workbook (the file is damaged or is not .xlsx)")


class _InflateCheck:
    """Inflate every member for real, on one or more threads, against one shared budget.

    Declared sizes are written by whoever made the file, so a bomb can claim to be small; count
    what each member really inflates to, a chunk at a time, stopping everywhere as soon as a
    limit is passed or a far cell is found. Worksheets holding any formula are noted in
    `formula_sheets` on the way, for `uncached_formulas`.
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
        except DAMAGED_ZIP:
            self._fail(damaged(self.name))

    def _fail(self, problem: Problem) -> None:
        with self._lock:
            self.problem = self.problem or problem

    def _member(self, member: zipfile.ZipInfo) -> Problem | None:
        worksheet = member.filename.startswith("xl/worksheets/")
        pending: list[bytes] = []
        for chunk in inflated(self.data, member):
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
                if len(pending) > CHUNKS_PER_SEARCH:
                    if _search_sheet(member.filename, pending[:-1], self.formula_sheets):
                        return _far_cell(self.name)
                    del pending[:-2]  # the last chunk searched stays, for the seam with the next
                    pending[0] = pending[0][-_SEAM:]
        if worksheet and _search_sheet(member.filename, pending, self.formula_sheets):
            return _far_cell(self.name)
        return None


def inflated(data: bytes, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield what `member` really inflates to, in chunks of INFLATE_CHUNK bytes (the last shorter).

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
        for offset in range(0, len(stored), INFLATE_CHUNK):
            yield bytes(stored[offset:offset + INFLATE_CHUNK])
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
        part = inflater.decompress(piece, INFLATE_CHUNK - filled)
        if not part and not inflater.eof and not inflater.unconsumed_tail and offset >= len(stored):
            raise EOFError("the compressed data ends early")
        parts.append(part)
        filled += len(part)
        if filled == INFLATE_CHUNK:
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


def sheet_members(archive: zipfile.ZipFile) -> dict[str, str]:
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


def uncached_formulas(data: bytes, members: set[str], limit: int = 25) -> dict[str, list[str]]:
    """Return sheet name -> cells holding a formula with no cached value, for the given sheet XMLs."""
    found: dict[str, list[str]] = {}
    if not members:
        return found
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for sheet_name, member in sheet_members(archive).items():
            if member not in members:
                continue
            cells = [m.group(1).decode() for m in _CELL_WITH_FORMULA.finditer(archive.read(member))
                     if not _CACHED_VALUE.search(m.group(0))]
            if cells:
                found[sheet_name] = cells[:limit]
    return found


class ArchiveCheck:
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
            self.problem = damaged(name)
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
