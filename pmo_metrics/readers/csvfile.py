"""CSV files, read so every line keeps its number: record by record with the standard library, or,
when no cell is quoted (every record one line), the body by Arrow's CSV reader."""

from __future__ import annotations

import csv
import io
import re
from pathlib import PurePath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .. import mapping as mappings
from .. import schema
from ..problems import column_letter, error, warning
from ..schema import MAX_HEADER_SEARCH_ROWS
from .headers import add_sheet, find_header, no_header_error
from .raw import RawFile, row_numbers

# As wide as a workbook sheet may be: no sheet of the contract needs more, and a 1M-column CSV
# cost 1.4 GB once every position became a column.
MAX_CSV_COLUMNS = schema.MAX_COLUMNS_PER_SHEET


def decode_text(data: bytes) -> str:
    """Return the text of CSV bytes: UTF-8 (with or without a BOM), else Windows-1252, else Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def decode_head(data: bytes, limit: int) -> str:
    """Return the text of the whole lines in the first `limit` bytes of a CSV.

    Cut at a line end, never inside a character: a UTF-8 character cut in two made the whole head
    decode as Windows-1252, turning 'Cost (£m)' into 'Cost (Â£m)'. A newline byte is never part of
    a character in the encodings read here.
    """
    if len(data) > limit:
        end = data.rfind(b"\n", 0, limit)
        data = data[:end + 1] if end >= 0 else data[:limit]
    return decode_text(data)


def read_csv(raw: RawFile, data: bytes, csv_sheet: str | None) -> None:
    spec = schema.sheet_for_name(csv_sheet) if csv_sheet else schema.sheet_for_file_stem(
        PurePath(raw.name).stem)
    if spec is None and raw.mappings:  # a stored column mapping may say which sheet it is (SPEC §7.6)
        spec = _mapped_spec(raw, data, csv_sheet)
    if spec is None:
        known = ", ".join(s.name for s in schema.SHEETS)
        raw.problems.append(error(raw.name, "cannot tell which sheet this CSV holds: name the file after "
                                  f"its sheet (e.g. 2026-10 Financials.csv) or choose one of {known}"))
        return
    nul = data.find(b"\x00")
    if nul != -1:
        # Anywhere, not only at the start: a NUL would reach the store inside a name otherwise.
        line = data.count(b"\n", 0, nul) + 1
        raw.problems.append(error(raw.name, f"not a text CSV file: a NUL character on line {line:,} (binary "
                                  "content, or a file saved as UTF-16); save it as CSV UTF-8", sheet=spec.name))
        return
    text = decode_text(data)
    first = text[:4096].splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    too_wide = _too_wide_line(data, delimiter)
    if too_wide is not None:
        raw.problems.append(_wide_error(raw.name, spec.name, too_wide))
        return
    # Without a quote character every record is one line, and Arrow's reader can take the body
    # (10x faster than the loop below on 300k rows); the head is still read here, for the header.
    one_line_records = '"' not in text
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    numbers: list[int] = []  # each record's last line: a quoted cell may span lines
    for record in reader:
        if len(record) > MAX_CSV_COLUMNS:  # a record whose quoted cells span lines
            raw.problems.append(_wide_error(raw.name, spec.name, reader.line_num))
            return
        records.append(record)
        numbers.append(reader.line_num)
        if one_line_records and len(records) == MAX_HEADER_SEARCH_ROWS:
            break
    preview = [[v if v.strip() else None for v in record] for record in records[:MAX_HEADER_SEARCH_ROWS]]
    tab = csv_sheet or PurePath(raw.name).stem
    found = mappings.find(list(raw.mappings), tab, preview, raw.mapping_name) if raw.mappings else None
    header_index = found[0] if found else find_header(preview, spec)
    if found:
        spec = found[1].spec
    if header_index is None:
        raw.problems.append(no_header_error(raw.name, spec.name, spec))
        return
    header_line, header = numbers[header_index], records[header_index]
    width = len(header)
    if one_line_records:
        fast = body_columns(text, delimiter, header_line, width)
        if fast is not None:
            columns = [(column_letter(position), header[position], values) for position, values in enumerate(fast)]
            count = len(fast[0]) if fast else 0
            add_sheet(raw, spec.name, spec, header_line, columns, row_numbers(header_line + 1, count),
                      mapping=found[1] if found else None)
            return
        records, numbers = _all_records(text, delimiter)  # a ragged or empty line: the rules below
    body = records[header_index + 1:]
    body_lines = numbers[header_index + 1:]
    columns = [(column_letter(position), header[position], values)
               for position, values in enumerate(_columns(body, width))]
    extra = [line for line, record in zip(body_lines, body, strict=True)
             if len(record) > width and any(v.strip() for v in record[width:])]
    if extra:
        raw.problems.append(warning(raw.name, f"{len(extra)} rows have more cells than the header "
                                    f"(first on line {extra[0]}); the extra cells are ignored", sheet=spec.name))
    # CSV line numbers are the row numbers the user sees when opening the file in Excel.
    lines = pa.array(body_lines, pa.int64())
    add_sheet(raw, spec.name, spec, header_line, columns, lines, mapping=found[1] if found else None)


def _all_records(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, numbers = [], []
    for record in reader:
        records.append(record)
        numbers.append(reader.line_num)
    return records, numbers


_LINE_END = re.compile(r"\r\n|\r|\n")  # what the csv module ends a line at (not str.splitlines)


def body_columns(text: str, delimiter: str, header_line: int, width: int) -> list[pa.Array] | None:
    """Return the columns of the lines after `header_line` of a CSV without quote characters, read by
    Arrow's CSV reader, as `_columns` gives them; None when a line has another number of cells than
    `width` (or is empty), which the record-by-record rules handle."""
    ends = _LINE_END.finditer(text)
    start = 0
    for _ in range(header_line):
        end = next(ends, None)
        if end is None:
            return [pa.array([], pa.string()) for _ in range(width)]  # nothing after the header
        start = end.end()
    body = text[start:].encode("utf-8")
    if not body:
        return [pa.array([], pa.string()) for _ in range(width)]
    names = [str(i) for i in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False, double_quote=False,
                                             escape_char=False, newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), null_values=[],
                                                 strings_can_be_null=False))
    except pa.ArrowInvalid:
        return None
    return [_blank_as_null(table.column(i).combine_chunks()) for i in range(width)]


def _blank_as_null(values: pa.Array) -> pa.Array:
    # Arrow's utf8_is_space agrees with str.isspace on every code point.
    blank = pc.or_(pc.equal(pc.utf8_length(values), 0), pc.utf8_is_space(values))
    return pc.if_else(blank, pa.scalar(None, pa.string()), values) if pc.any(blank).as_py() else values


def _columns(records: list[list[str]], width: int) -> list[pa.Array]:
    """Return the first `width` cells of every record as text columns; a missing or blank cell
    (empty, or only whitespace as str.isspace has it) is null."""
    if not records:
        return [pa.array([], pa.string()) for _ in range(width)]
    if any(len(record) != width for record in records):
        records = [record[:width] if len(record) >= width else record + [""] * (width - len(record))
                   for record in records]
    out = []
    # Transposed and tested in C: a Python loop over every cell cost ~1 s on a 300k-row file.
    for cells in zip(*records, strict=True):
        out.append(_blank_as_null(pa.array(cells, pa.string())))
    return out


def _mapped_spec(raw: RawFile, data: bytes, csv_sheet: str | None):
    """Return the contract sheet a stored mapping gives a CSV its name does not place, or None."""
    text = decode_head(data, 65536)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    preview = [[v if v.strip() else None for v in record] for record in
               list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))[:MAX_HEADER_SEARCH_ROWS]]
    found = mappings.find(list(raw.mappings), csv_sheet or PurePath(raw.name).stem, preview, raw.mapping_name)
    return found[1].spec if found else None


def _too_wide_line(data: bytes, delimiter: str) -> int | None:
    """Return the number of a line holding more than MAX_CSV_COLUMNS cells, found before splitting any.

    Separators are counted per line over the bytes at once (the separator and the line end are
    ASCII in every encoding read here); only a line with too many is read as CSV, since
    separators inside quotes are not cells. A record whose quoted cells span lines is counted
    again as it is read.
    """
    if data.count(delimiter.encode()) <= MAX_CSV_COLUMNS:
        return None
    buffer = np.frombuffer(data, np.uint8)
    bounds = np.concatenate([[-1], np.flatnonzero(buffer == ord("\n")), [len(data)]])
    separators = np.flatnonzero(buffer == ord(delimiter))
    per_line = np.diff(np.searchsorted(separators, bounds))
    for index in np.flatnonzero(per_line > MAX_CSV_COLUMNS):
        line = data[bounds[index] + 1:bounds[index + 1]].decode("utf-8", "replace")
        if len(next(csv.reader([line], delimiter=delimiter), [])) > MAX_CSV_COLUMNS:
            return int(index) + 1
    return None


def _wide_error(name: str, sheet: str, line: int):
    return error(name, f"refused: line {line:,} has more than {MAX_CSV_COLUMNS} cells, more than any sheet "
                       f"may have (column {column_letter(MAX_CSV_COLUMNS - 1)}); is it a CSV of this product?",
                 sheet=sheet)
