"""Workbooks: parse each checked sheet with fastexcel straight to Arrow, sheets side by side."""

from __future__ import annotations

import collections
import datetime as dt
import io
import logging
import threading
import zipfile
from collections.abc import Callable
from xml.etree import ElementTree

import fastexcel
import pyarrow as pa
import pyarrow.compute as pc

from .. import mapping as mappings
from .. import schema
from ..parsing import UNIT_CHOICES, parse_period_text, parse_units
from ..problems import column_letter, error, shorten, warning
from ..schema import (
    ABOUT_AS_OF,
    ABOUT_COMPLETE,
    ABOUT_FALSE,
    ABOUT_MODE,
    ABOUT_REBASELINE,
    ABOUT_REBASELINE_REASON,
    ABOUT_SHEET,
    ABOUT_TRUE,
    ABOUT_UNITS,
    BENEFIT_VALUES,
    MAX_HEADER_SEARCH_ROWS,
    NOTE_SHEETS,
)
from . import archive
from .archive import DAMAGED_ZIP, ArchiveCheck, damaged, sheet_members, uncached_formulas
from .headers import add_sheet, find_header, names_required, no_header_error, wide_header
from .raw import RawFile, RawSheet, row_numbers

# fastexcel logs a line for every mixed-type column; mixed columns are expected here (text money,
# text dates) and validation reports what matters, so keep its chatter off the user's terminal.
logging.getLogger("fastexcel").setLevel(logging.ERROR)

# ...and only while the sheets being parsed hold at most this much XML between them: the parser
# keeps every cell of a sheet in memory (about 3x its XML), and a 1M-row upload must stay < 1 GB.
PARALLEL_PARSE_BYTES = 160_000_000
WIDE_CHECK_WEIGHT = 1.5


def read_workbook(raw: RawFile, data: bytes, on_sheet: Callable[[RawSheet], None] | None = None) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sizes = {m.filename: m.file_size for m in archive.infolist()}
            members = sheet_members(archive)
    except (*DAMAGED_ZIP, KeyError, ElementTree.ParseError):
        raw.problems.append(damaged(raw.name))
        return
    order = sorted(members, key=lambda n: _parse_priority(n, sizes.get(members[n], 0)))
    sheets = [members[n] for n in order]
    common = [m for m in sizes if m not in set(sheets)]  # shared strings, styles: read on opening
    guard = ArchiveCheck(raw.name, data, common + sheets)
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
    for sheet_name, cells in uncached_formulas(data, guard.formula_sheets).items():
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


def _parse_checked_sheets(raw: RawFile, data: bytes, guard: ArchiveCheck, common: set[str],
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
                part = RawFile(raw.name, raw.size, mappings=raw.mappings, mapping_name=raw.mapping_name)
                member = members.get(sheet_name)
                try:
                    # Opened while the guard still checks this sheet (what a reader reads on opening
                    # is checked already): ~25 ms off the wait for the largest sheet.
                    reader = reader or fastexcel.read_excel(data)
                    if not guard.ready({member} if member else None):
                        return
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
               for i in range(1, min(archive.PARSE_THREADS, len(sheet_names)))]
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
            raw.about_mode = raw.about_mode or part.about_mode
            raw.about_complete = part.about_complete if raw.about_complete is None else raw.about_complete
            raw.about_units = raw.about_units or part.about_units
            raw.about_rebaseline = part.about_rebaseline if raw.about_rebaseline is None else raw.about_rebaseline
            raw.about_rebaseline_reason = raw.about_rebaseline_reason or part.about_rebaseline_reason
            raw.about_cells.update(part.about_cells)


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
        rows = _preview(reader, sheet_name)
        raw.about_as_of = _about_as_of(raw, sheet_name, rows)
        raw.about_units = _about_units(raw, sheet_name, rows)
        _about_upload_flags(raw, sheet_name, rows)
        return
    spec = schema.sheet_for_name(sheet_name)
    preview = None  # the first rows as text: a near-whole parse, so read once at most
    if raw.mappings:
        preview = _preview(reader, sheet_name)
        if _read_mapped_sheet(raw, reader, sheet_name, preview):
            return
    if spec is None:
        # The template's own Instructions sheet (and a readme or notes tab) is for people: no warning.
        if schema.normalise_name(sheet_name) not in {schema.normalise_name(n) for n in NOTE_SHEETS}:
            raw.problems.append(warning(raw.name, "sheet not part of the input contract; ignored (or map your "
                                        "columns to a contract sheet)", sheet=sheet_name, code="unknown_sheet"))
        return
    # Fast path: most returns have their header on row 1, and fastexcel parses the whole sheet
    # on every load, so try that first and only look for a lower header when row 1 is not it.
    infos, table = _load(reader, sheet_name, 0)
    headers = {i.absolute_index: i.name for i in infos if i.column_name_from != "generated"}
    header_index = 0
    if not (names_required(list(headers.values()), spec) or wide_header(list(headers.values()), spec)):
        rows = preview if preview is not None else _preview(reader, sheet_name)
        header_index = find_header(rows, spec)
        if header_index is None:
            if any(any(v is not None for v in row) for row in rows):
                raw.problems.append(no_header_error(raw.name, sheet_name, spec))
            return
        infos, table = _load(reader, sheet_name, header_index)
        headers = dict(enumerate(rows[header_index]))
    columns = [(column_letter(i.absolute_index), headers.get(i.absolute_index), table.column(position))
               for position, i in enumerate(infos)]
    first = header_index + 2  # data starts on the row below the header (1-based)
    add_sheet(raw, sheet_name, spec, header_index + 1, columns, row_numbers(first, table.num_rows))


def _read_mapped_sheet(raw: RawFile, reader, sheet_name: str, rows: list[list]) -> bool:
    """Read a sheet with the stored column mapping that fits its first `rows` (SPEC §7.6); False when none fits."""
    found = mappings.find(list(raw.mappings), sheet_name, rows, raw.mapping_name)
    if found is None:
        return False
    header_index, mapping = found
    infos, table = _load(reader, sheet_name, header_index)
    headers = dict(enumerate(rows[header_index]))
    columns = [(column_letter(i.absolute_index), headers.get(i.absolute_index), table.column(position))
               for position, i in enumerate(infos)]
    add_sheet(raw, sheet_name, mapping.spec, header_index + 1, columns, row_numbers(header_index + 2, table.num_rows),
              mapping=mapping)
    return True


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


_ABOUT_LABELS = {schema.normalise_name(a)
                 for a in (*ABOUT_AS_OF, *ABOUT_UNITS, *ABOUT_MODE, *ABOUT_COMPLETE, "mapping", *ABOUT_REBASELINE,
                           *ABOUT_REBASELINE_REASON)}


def about_value(rows: list[list], labels: tuple[str, ...]) -> tuple[str, str] | None:
    """Return (text, cell) of the value of an About label: the cell right of it, else the one below.

    A blank value is no value (SPEC §7.7: a blank as_of falls through to the file name), and a
    cell that is itself an About label is not this label's value.
    """
    folded = {schema.normalise_name(a) for a in labels}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or schema.normalise_name(value) not in folded:
                continue
            # Below only in a row of labels (labels across, values under them): otherwise the cell
            # below is the next label's row or a note, never this label's value.
            across = sum(1 for v in row if v is not None and schema.normalise_name(v) in _ABOUT_LABELS) > 1
            for rr, cc in ((r, c + 1), (r + 1, c)) if across else ((r, c + 1),):
                if rr < len(rows) and cc < len(rows[rr]) and str(rows[rr][cc] or "").strip():
                    found = str(rows[rr][cc]).strip()
                    if schema.normalise_name(found) in _ABOUT_LABELS:
                        continue
                    return found, f"{column_letter(cc)}{rr + 1}"
    return None


def _about_as_of(raw: RawFile, sheet_name: str, rows: list[list]) -> dt.date | None:
    """Return the month of the About sheet's `as_of` cell, or None when it has none."""
    found = about_value(rows, ABOUT_AS_OF)
    if found is None:
        return None
    month = parse_period_text(found[0])
    raw.about_cells["as_of"] = f"{sheet_name}!{found[1]}"
    if month is None:
        raw.problems.append(error(raw.name, "as_of is not a month; expected e.g. 2026-10 or Oct 2026",
                                  sheet=sheet_name, cell=found[1], column="as_of", value=shorten(found[0]),
                                  code="bad_as_of"))
    return month


def _about_units(raw: RawFile, sheet_name: str, rows: list[list]) -> str | None:
    """Return the money unit of the About sheet's `units` cell (SPEC §7.4), or None when it has none."""
    found = about_value(rows, ABOUT_UNITS)
    if found is None:
        return None
    unit = parse_units(found[0])
    if unit is None:
        raw.problems.append(error(raw.name, f"units is not a money unit; expected {UNIT_CHOICES}",
                                  sheet=sheet_name, cell=found[1], column="units", value=shorten(found[0]),
                                  code="bad_units"))
    return unit


def _about_upload_flags(raw: RawFile, sheet_name: str, rows: list[list]) -> None:
    """Read the upload's `mode` and `complete` cells on the About sheet (SPEC §7.1), if present."""
    found = about_value(rows, ABOUT_MODE)
    if found is not None:
        text, cell = found
        mode = text.strip().lower()
        if mode in ("full", "incremental"):
            raw.about_mode = mode
        else:
            raw.problems.append(error(raw.name, "mode is not an upload mode; expected full or incremental",
                                      sheet=sheet_name, cell=cell, column="mode", value=shorten(text),
                                      code="bad_mode"))
    found = about_value(rows, ABOUT_COMPLETE)
    if found is not None:
        text, cell = found
        flag = text.strip().lower()
        if flag in ABOUT_TRUE or flag in ABOUT_FALSE:
            raw.about_complete = flag in ABOUT_TRUE
        else:
            raw.problems.append(error(raw.name, "complete is not yes or no", sheet=sheet_name, cell=cell,
                                      column="complete", value=shorten(text), code="bad_complete"))
    _about_rebaseline(raw, sheet_name, rows)


def _about_rebaseline(raw: RawFile, sheet_name: str, rows: list[list]) -> None:
    """Read the `rebaseline` and `rebaseline_reason` cells of the About sheet (SPEC §9.1), if present:
    a declared re-baseline needs its reason."""
    found = about_value(rows, ABOUT_REBASELINE)
    if found is None:
        return
    text, cell = found
    flag = text.strip().lower()
    if flag not in ABOUT_TRUE and flag not in ABOUT_FALSE:
        raw.problems.append(error(raw.name, "rebaseline is not yes or no", sheet=sheet_name, cell=cell,
                                  column="rebaseline", value=shorten(text), code="bad_rebaseline"))
        return
    raw.about_rebaseline = flag in ABOUT_TRUE
    reason = about_value(rows, ABOUT_REBASELINE_REASON)
    if reason is not None:
        raw.about_rebaseline_reason = reason[0].strip()
    elif raw.about_rebaseline:
        raw.problems.append(error(raw.name, "rebaseline is yes but no rebaseline_reason is given: say why the "
                                            "plan is re-baselined", sheet=sheet_name, cell=cell,
                                  column="rebaseline_reason", code="no_rebaseline_reason"))
