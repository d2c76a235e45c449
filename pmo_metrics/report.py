"""The error workbook (SPEC §7.7): a rejected file back with every bad cell marked, and every problem listed.

A copy of the submitted workbook (a CSV becomes a one-sheet workbook) with each cell a problem
names filled red and commented with its problem(s), plus a `Problems` sheet listing every
problem of the file, located ones and file-level ones alike, with no cap.

The copy is made with openpyxl only from a file the archive guard passes and whose sheets are
small enough to hold as cells (COPY_LIMIT_BYTES of sheet XML); any other file gets the Problems
sheet alone, with a line saying why.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import PurePath

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import IllegalCharacterError

from .problems import Problem, printable
from .readers import check_archive, safe_file_name
from .readers.csvfile import decode_text

COPY_LIMIT_BYTES = 40_000_000  # sheet XML (or CSV text) copied cell by cell; beyond it, Problems only
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
WARNING_FILL = PatternFill("solid", fgColor="FFEB9C")
PROBLEM_COLUMNS = ("severity", "code", "file", "sheet", "cell", "column", "value", "problem")
_CELL = re.compile(r"^([A-Z]{1,3})([1-9][0-9]{0,6})$")
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_name(file_name: str) -> str:
    """Return the download name of a file's error workbook: `<name> - problems.xlsx`."""
    return f"{PurePath(safe_file_name(file_name)).stem} - problems.xlsx"


def error_workbook(file_name: str, data: bytes, problems: list[Problem]) -> bytes:
    """Return .xlsx bytes: the submitted file with its bad cells marked, and a Problems sheet."""
    workbook, note = _copy(file_name, data)
    marked = _mark(workbook, problems) if workbook is not None else 0
    if workbook is None:
        workbook = Workbook()
        workbook.remove(workbook.active)
    _problems_sheet(workbook, problems, note, marked)
    return _save(workbook)


def _copy(file_name: str, data: bytes):
    """Return (a workbook copy of the file, or None; why not) without trusting the file's sizes."""
    lower = file_name.lower()
    try:
        if lower.endswith((".csv", ".txt")):
            if len(data) > COPY_LIMIT_BYTES or b"\x00" in data:
                return None, "the file is too large (or not text) to copy; every problem is listed below"
            return _csv_workbook(file_name, data), ""
        if check_archive(file_name, data) is not None:
            return None, "the file could not be opened safely, so it is not copied; every problem is listed below"
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheet_bytes = sum(m.file_size for m in archive.infolist() if m.filename.startswith("xl/worksheets/"))
        if sheet_bytes > COPY_LIMIT_BYTES:
            return None, "the workbook is too large to copy cell by cell; every problem is listed below"
        return load_workbook(io.BytesIO(data), keep_vba=False, keep_links=False, rich_text=False), ""
    except Exception:  # noqa: BLE001 (any file openpyxl cannot open gets the Problems sheet alone)
        return None, "the file could not be opened as a workbook; every problem is listed below"


def _csv_workbook(file_name: str, data: bytes) -> Workbook:
    text = decode_text(data)
    first = text[:4096].splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(PurePath(file_name).stem or "CSV")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for record in reader:
        # Messages name a CSV row by its line number (where the record ends): the copy keeps it.
        for index, value in enumerate(record, start=1):
            cell = sheet.cell(reader.line_num, index)
            cell.value = _text(value)
            cell.data_type = "s"  # a CSV's "=1+2" is text, never a formula
    return workbook


def _sheet_for(workbook: Workbook, problem: Problem):
    if problem.sheet in workbook.sheetnames:
        return workbook[problem.sheet]
    if len(workbook.sheetnames) == 1 and problem.file.lower().endswith((".csv", ".txt")):
        return workbook.worksheets[0]  # a CSV's sheet is named after the contract sheet in messages
    return None


def _mark(workbook: Workbook, problems: list[Problem]) -> int:
    """Fill and comment every located cell; return how many cells were marked."""
    notes: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        sheet = _sheet_for(workbook, problem) if problem.sheet else None
        if sheet is None or not _CELL.match(problem.cell or "") or problem.severity == "info":
            continue
        notes.setdefault((sheet.title, problem.cell), []).append(problem)
    for (title, address), found in notes.items():
        cell = workbook[title][address]
        errors = any(p.severity == "error" for p in found)
        cell.fill = BAD_FILL if errors else WARNING_FILL
        text = "\n".join(f"{p.severity}: {p.problem}" for p in found)
        comment = Comment(_text(text)[:30000], "pmo-metrics")
        comment.width, comment.height = 320, 120
        cell.comment = comment
    return len(notes)


def _problems_sheet(workbook: Workbook, problems: list[Problem], note: str, marked: int) -> None:
    title = "Problems"
    while title in workbook.sheetnames:
        title = f"{title}_"
    sheet = workbook.create_sheet(title, 0)
    errors = sum(p.severity == "error" for p in problems)
    summary = f"{errors} error(s), {len(problems) - errors} other problem(s); {marked} cell(s) marked in the sheets"
    sheet.append([summary + (f". {note}" if note else "")])
    sheet["A1"].font = Font(bold=True)
    sheet.append(list(PROBLEM_COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for problem in problems:
        values = problem.as_dict()
        sheet.append([_text(values.get(column, "")) for column in PROBLEM_COLUMNS])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # a value found such as "=HYPERLINK(...)" stays text
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:H{max(2, sheet.max_row)}"
    for letter, width in zip("ABCDEFGH", (9, 20, 28, 16, 8, 20, 30, 90), strict=True):
        sheet.column_dimensions[letter].width = width


def _text(value: object) -> str:
    """Return cell text a workbook can hold: control characters shown as \\xNN."""
    return ILLEGAL_CHARACTERS_RE.sub("", printable("" if value is None else str(value)))


def _sheet_title(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", text)[:31] or "Sheet"


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    try:
        workbook.save(buffer)
    except IllegalCharacterError:
        # A copied cell holds a control character openpyxl will not write: show it as \xNN instead.
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.value = _text(cell.value)
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()
