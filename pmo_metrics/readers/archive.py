"""The archive guard: refuse a damaged workbook, a zip bomb or a sheet the parser cannot afford.

Every member is inflated for real (declared sizes are written by whoever made the file) and each
worksheet's XML is searched before the parser sees it.
"""

from __future__ import annotations

import collections
import io
import os
import posixpath
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
# The parser allocates a dense grid from the first to the farthest cell of a sheet (32 bytes a
# cell): one cell at XFD1048576 asks for 512 GB and aborts the process, one at SF999999 for 16 GB.
# Every sheet is searched, before it is parsed, for the extent its cell and row references
# declare, written as the parser reads them: `r` then any whitespace, `=`, any whitespace, either
# quote, letters in either case and digits with any leading zeros. Searched, not parsed, by
# Arrow's RE2 (a DFA, 5-7x faster than `re` on sheet XML, and it releases the GIL).
MAX_ROWS = 999_999  # a reference on row 1,000,000 or later is refused outright
MAX_CELLS = 30_000_000  # rows x columns one sheet may span (about 1 GB of parser grid)
_REF = r"r\s*=\s*[\"']"  # starts with a literal: RE2 skips to each `r` (3x faster than `\sr`)
_STRICT_REF = r"\sr\s*=\s*[\"']"  # as an attribute: whitespace before it, as XML requires
_L = "[A-Za-z]"
_FAR = f"(?:{_L}{{0,3}}[0-9]{{7}}|{_L}{{3}}|(?:[Ss][G-Zg-z]|[T-Zt-z]{_L})[0-9])"
# Columns past 30, 60, 120 and 250 (AD, BH, DP, IP) and rows from 60,000 to 500,000: a sheet
# reaching both a column and the row paired with it here may span more than MAX_CELLS (each pair
# is its band's worst case, so nothing within MAX_CELLS / 2 is refused).
_COLUMNS_PAST = {30: f"(?:[B-Zb-z]{_L}|[Aa][E-Ze-z])[0-9]", 60: f"(?:[C-Zc-z]{_L}|[Bb][I-Zi-z])[0-9]",
                 120: f"(?:[E-Ze-z]{_L}|[Dd][Q-Zq-z])[0-9]", 250: f"(?:[J-Zj-z]{_L}|[Ii][Q-Zq-z])[0-9]"}
_ROWS_FROM = {60_000: "(?:[6-9][0-9]{4}|[1-9][0-9]{5})", 120_000: "(?:1[2-9][0-9]{4}|[2-9][0-9]{5})",
              250_000: "(?:2[5-9][0-9]{4}|[3-9][0-9]{5})", 500_000: "[5-9][0-9]{5}"}
_BANDS = ((30, 500_000), (60, 250_000), (120, 120_000), (250, 60_000))
_WHITESPACE = re.compile(rb"[ \t\r\n]+")
_DIMENSION = re.compile(rb"<dimension\s(?:[^>]*?\s)?ref\s*=\s*[\"']([^\"']*)[\"']")
_RANGE = re.compile(rb"\s*([A-Za-z]*)0*([0-9]+)(?::([A-Za-z]*)0*([0-9]+))?\s*")
_FORMULA = r"<f[ >/]"
# Inflated a chunk of 4 MB at a time, fed 4 MB of compressed bytes a call. Each call gives up and
# takes back the interpreter lock, and while another thread runs Python (a dashboard page beside
# an upload) taking it back waits up to the switch interval: with 64 KB fed and 1 MB chunks a 54 MB
# sheet made ~190 such calls and its check took 4.6 s beside a busy thread, 0.8 s with these sizes
# (0.17 s alone either way; no change measured in a command-line load).
INFLATE_CHUNK = 4 << 20
_DEFLATED_INPUT = 4 << 20  # compressed bytes fed to the inflater at a time
# Bytes either side of a chunk boundary searched together, once runs of whitespace are squeezed
# to one space: longer than any match not refused already (`r = '` and two letters, six digits).
_SEAM = 32
CHUNKS_PER_SEARCH = 4  # inflated chunks searched together (16 MB): few calls, bounded memory
# Sheets parsed (and archive members checked) at once. Two: on the two-core machines measured,
# the second thread takes a big sheet off the critical path; more would only hold more parsed
# sheets in memory at once.
PARSE_THREADS = min(2, os.cpu_count() or 1)
DAMAGED_ZIP = (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error, zlib_ng.error,
                NotImplementedError)
_CELL_WITH_FORMULA = re.compile(
    rb'<c\s(?:[^>]*?\s)?r\s*=\s*["\']([A-Za-z]{1,3}[0-9]{1,7})["\'][^>]*>(?:(?!</c>).)*?<f[\s>/]'
    rb'(?:(?!</c>).)*?</c>', re.S)
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
            sheets = sheet_like_members(archive)
    except (*DAMAGED_ZIP, KeyError, ElementTree.ParseError):
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
    return _InflateCheck(name, data, members, sheets, compressed, formula_sheets, on_checked).run(threads)


def damaged(name: str) -> Problem:
    return error(name, "not a valid Excel workbook (the file is damaged or is not .xlsx)")


class _InflateCheck:
    """Inflate every member for real, on one or more threads, against one shared budget.

    Declared sizes are written by whoever made the file, so a bomb can claim to be small; count
    what each member really inflates to, a chunk at a time, stopping everywhere as soon as a
    limit is passed or a sheet declares too large an extent. Worksheets holding any formula are noted in
    `formula_sheets` on the way, for `uncached_formulas`.
    """

    def __init__(self, name: str, data: bytes, members: list[zipfile.ZipInfo], sheets: dict[str, str],
                 compressed: int, formula_sheets: set[str], on_checked: Callable[[str], None] | None):
        self.name, self.data, self.sheets, self.compressed = name, data, sheets, compressed
        self.formula_sheets, self.on_checked = formula_sheets, on_checked
        self.problem: Problem | None = None
        self._waiting = collections.deque(members)
        self._total = 0
        self._lock = threading.Lock()
        self._searchers: ThreadPoolExecutor | None = None
        self._searcher_count = 1

    def run(self, threads: int) -> Problem | None:
        helpers = [threading.Thread(target=self._work, name=f"archive-check-{i}", daemon=True)
                   for i in range(1, max(1, threads))]
        # A large sheet's search takes twice its inflation: searching its groups of chunks on
        # `threads` searchers while the next group inflates has the parser start on it sooner.
        self._searcher_count = max(1, threads)
        self._searchers = ThreadPoolExecutor(max_workers=self._searcher_count, thread_name_prefix="archive-search")
        for thread in helpers:
            thread.start()
        try:
            self._work()
        finally:
            for thread in helpers:
                thread.join()
            self._searchers.shutdown(wait=True, cancel_futures=True)
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
        scan = (_SheetScan(member.filename, self.formula_sheets) if member.filename in self.sheets
                else None)
        pending: list[bytes] = []
        searches: collections.deque[Future] = collections.deque()

        def refused(text: str | None) -> Problem | None:
            return error(self.name, text, sheet=self.sheets[member.filename]) if text else None

        def search(group: list[bytes]) -> Problem | None:
            # The seams and the declared extent here, in the sheet's order; the search on the pool,
            # while the next chunks inflate.
            pieces, refusal = scan.prepare(group)
            if not refusal:
                searches.append(self._searchers.submit(scan.examine, pieces))
            return refused(refusal)

        def searched(keep: int) -> Problem | None:
            # Wait for all but `keep` groups: at most that many held, so memory stays bounded.
            while len(searches) > keep:
                if (problem := refused(searches.popleft().result())) is not None:
                    return problem
            return None

        try:
            for chunk in inflated(self.data, member):
                with self._lock:
                    if self.problem is not None:
                        return None  # another thread refused the file already
                    self._total += len(chunk)
                    total = self._total
                if total > MAX_UNCOMPRESSED_BYTES or total / self.compressed > MAX_COMPRESSION_RATIO:
                    return error(self.name, f"refused: the workbook expands to more than {total:,} bytes "
                                            f"({total / self.compressed:.0f}× its size), which looks like a zip bomb")
                if scan is not None:
                    pending.append(chunk)
                    if len(pending) >= CHUNKS_PER_SEARCH:
                        problem = search(pending) or searched(keep=self._searcher_count)
                        pending = []
                        if problem is not None:
                            return problem
            if scan is None:
                return None
            return search(pending) or searched(keep=0) or refused(scan.extent_refusal())
        finally:
            for waiting in searches:
                waiting.cancel()


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


class _SheetScan:
    """The extent one sheet's XML declares, searched a group of inflated chunks at a time.

    Keeps what it has seen between groups (which column and row bands some reference reaches)
    and the end of the last chunk, so a reference cut across two chunks is seen whole: runs of
    whitespace are squeezed to one space there, so no amount of it can hide one.
    """

    def __init__(self, member: str, formula_sheets: set[str]):
        self.member, self.formula_sheets = member, formula_sheets
        self.columns: set[int] = set()  # thresholds of _COLUMNS_PAST some reference passes
        self.rows: set[int] = set()  # thresholds of _ROWS_FROM some reference reaches
        self._tail = b""
        self._data_seen = False

    def prepare(self, chunks: list[bytes]) -> tuple[list[bytes], str | None]:
        """Return (the pieces to search for `chunks`, the next part of the XML, with the seam before
        them; why the sheet is refused by the used range it declares, or None). Called in the
        sheet's order, one group after the other."""
        pieces = []
        for chunk in chunks:
            if self._tail:
                pieces.append(_squeezed(self._tail + _head(chunk)))
            pieces.append(chunk)
            self._tail = _tail(self._tail, chunk)
        for piece in pieces:
            if self._data_seen:
                break
            if b"<dimension" in piece:
                refusal = self._dimension(piece)
                if refusal:
                    return pieces, refusal
            self._data_seen = b"<sheetData" in piece  # the used range is declared before the data
        return pieces, None

    def examine(self, pieces: list[bytes]) -> str | None:
        """Return why the sheet is refused by what `pieces` (from `prepare`) hold, or None.

        Groups may be examined on several threads at once and in any order: what they find (a
        formula, the bands some reference reaches) only accumulates.
        """
        if not pieces:
            return None
        texts = pa.chunked_array([_binary_scalar_array(piece) for piece in pieces], pa.binary())
        # Two passes, each with one literal prefix for RE2 to skip to, are faster than one pass
        # over the alternation of both (on a 52 MB sheet: 34 + 46 ms against 107 ms).
        if self.member not in self.formula_sheets and _matches(texts, _FORMULA):
            self.formula_sheets.add(self.member)
        # One pass asks whether any reference is far, or reaches a band not seen yet; only when
        # one does is each question asked alone, of the pieces that matched, so a sheet costs one
        # pass in the usual case.
        columns = [c for c in _COLUMNS_PAST if c not in self.columns]
        rows = [r for r in _ROWS_FROM if r not in self.rows]
        wanted = [_FAR] + [_COLUMNS_PAST[c] for c in columns[:1]] + [_row_from(r) for r in rows[:1]]
        texts = _matching(texts, f"(?:{'|'.join(wanted)})")
        if texts is None:
            return None
        if _matching(texts, _FAR, strict=True) is not None:
            return _far_message()
        for column in columns:
            if _matching(texts, _COLUMNS_PAST[column], strict=True) is None:
                break
            self.columns.add(column)
        for row in rows:
            if _matching(texts, _row_from(row), strict=True) is None:
                break
            self.rows.add(row)
        return self.extent_refusal()

    def extent_refusal(self) -> str | None:
        """Return why the sheet is refused by the bands its references reach, as seen so far.

        Asked again once every group is examined: two groups examined at once may each add one
        half of a band pair after the other looked."""
        for column, row in _BANDS:
            if column in self.columns and row in self.rows:
                return _extent_message(f"has cells on row {row:,} or later and in column "
                                       f"{column_letter(column)} or beyond")
        return None

    @staticmethod
    def _dimension(piece: bytes) -> str | None:
        """Return why the used range a sheet declares (`<dimension ref=...>`) is refused."""
        found = _DIMENSION.search(piece)
        corners = _RANGE.fullmatch(found.group(1)) if found else None
        if corners is None:
            return None  # not written as the parser reads it: it is ignored
        first_column, first_row, last_column, last_row = (
            g.decode() if g is not None else None for g in corners.groups())
        if last_row is None:
            last_column, last_row = first_column, first_row
        first, last = _column_number(first_column), _column_number(last_column)
        if int(last_row) > MAX_ROWS or last > schema.MAX_COLUMNS_PER_SHEET:
            return _far_message()
        rows = abs(int(last_row) - int(first_row)) + 1
        columns = abs(last - first) + 1
        if rows * columns > MAX_CELLS:
            return _extent_message(f"declares its used range as {found.group(1).decode()[:40]}, "
                                   f"{rows:,} rows by {columns:,} columns")
        return None


def _column_number(letters: str) -> int:
    """Return the 1-based column number of spreadsheet letters ('' counts as column A)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return max(number, 1)


def _squeezed(text: bytes) -> bytes:
    return _WHITESPACE.sub(b" ", text)


def _head(chunk: bytes) -> bytes:
    """Return the start of `chunk`, whitespace squeezed, at least _SEAM bytes long if it has them."""
    size = _SEAM
    while True:
        head = _squeezed(chunk[:size])
        if len(head) >= _SEAM or size >= len(chunk):
            return head
        size *= 8


def _tail(previous: bytes, chunk: bytes) -> bytes:
    """Return the last _SEAM bytes of everything searched so far, whitespace squeezed."""
    size = _SEAM
    while True:
        tail = _squeezed(chunk[-size:])
        if len(tail) >= _SEAM:
            return tail[-_SEAM:]
        if size >= len(chunk):  # the chunk is mostly whitespace: what came before still counts
            return _squeezed(previous + tail)[-_SEAM:]
        size *= 8


def _binary_scalar_array(data: bytes) -> pa.Array:
    """A one-value binary array over `data` itself (pa.array would copy every byte)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32))
    return pa.Array.from_buffers(pa.binary(), 1, [None, offsets, pa.py_buffer(data)])


def _row_from(row: int) -> str:
    return f"{_L}{{0,2}}0*{_ROWS_FROM[row]}"


def _matching(texts: pa.ChunkedArray, value: str, strict: bool = False) -> pa.ChunkedArray | None:
    """Return the pieces of `texts` holding a reference whose value starts as `value`, or None.

    Searched first with a literal `r` to skip to; only pieces that match are searched again as
    `strict` asks (with the whitespace XML requires before an attribute), a pattern 3x slower.
    """
    found = pc.match_substring_regex(texts, _REF + value)
    if not pc.any(found).as_py():
        return None
    texts = texts.filter(found)
    if strict and not _matches(texts, _STRICT_REF + value):
        return None
    return texts


def _matches(texts: pa.ChunkedArray, pattern: str) -> bool:
    return bool(pc.any(pc.match_substring_regex(texts, pattern)).as_py())


def _far_message() -> str:
    return (f"refused: this sheet has a cell beyond row {MAX_ROWS:,} or column "
            f"{column_letter(schema.MAX_COLUMNS_PER_SHEET - 1)}; delete the stray cells far from the data "
            "and save again")


def _extent_message(what: str) -> str:
    return (f"refused: this sheet {what}, more than {MAX_CELLS:,} cells (rows × columns) to read; "
            "delete the stray cells far from the data and save again")


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


def sheet_like_members(archive: zipfile.ZipFile) -> dict[str, str]:
    """Return archive member -> sheet name (or member name) of every member the parser may read as a sheet.

    Everything under xl/worksheets/, and every member named as the target of a sheet in the
    workbook's relationships — matched by file name alone, case aside, so no spelling of the
    path (`../`, `/xl/`, `./`) the parser resolves differently from this check can slip past it.
    Attributes are matched by local name, whatever namespace prefix the file gives them.
    """
    names = archive.namelist()
    found = {n: n for n in names if n.lower().startswith("xl/worksheets/")}
    present = set(names)
    if "xl/workbook.xml" not in present or "xl/_rels/workbook.xml.rels" not in present:
        return found
    targets = {}
    for element in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels")).iter():
        if _local(element.tag) == "Relationship":
            targets[element.get("Id")] = element.get("Target") or ""
    by_file: dict[str, str] = {}
    for element in ElementTree.fromstring(archive.read("xl/workbook.xml")).iter():
        if _local(element.tag) != "sheet":
            continue
        for key, value in element.attrib.items():
            if _local(key) == "id" and value in targets:
                file_name = posixpath.basename(targets[value].replace("\\", "/")).lower()
                by_file.setdefault(file_name, element.get("name") or file_name)
    for name in names:
        sheet = by_file.get(posixpath.basename(name).lower())
        if sheet is not None:
            found[name] = sheet
    return found


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def uncached_formulas(data: bytes, members: set[str], limit: int = 25) -> dict[str, list[str]]:
    """Return sheet name -> cells holding a formula with no cached value, for the given sheet XMLs."""
    found: dict[str, list[str]] = {}
    if not members:
        return found
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for sheet_name, member in sheet_members(archive).items():
            if member not in members:
                continue
            cells = [m.group(1).decode().upper() for m in _CELL_WITH_FORMULA.finditer(archive.read(member))
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
        # A sheet is ready only once every member of its file name is checked: the parser may
        # resolve the workbook's path to it differently from `sheet_members`.
        self._same_file: dict[str, set[str]] = collections.defaultdict(set)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    self._same_file[posixpath.basename(member).lower()].add(member)
        except DAMAGED_ZIP:
            pass  # the check reports the damage
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
        if members is not None:
            members = set(members).union(*(self._same_file.get(posixpath.basename(m).lower(), set())
                                          for m in members))
        with self._changed:
            self._changed.wait_for(lambda: self._finished or (members is not None and members <= self._checked))
            return self.problem is None

    def finish(self) -> Problem | None:
        self._thread.join()
        return self.problem
