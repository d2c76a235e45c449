"""CSV files, read with the standard library so every line keeps its number."""

from __future__ import annotations

import csv
import io
from pathlib import PurePath

import pyarrow as pa

from .. import mapping as mappings
from .. import schema
from ..problems import column_letter, error, warning
from ..schema import MAX_HEADER_SEARCH_ROWS
from .headers import add_sheet, find_header, no_header_error
from .raw import RawFile


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


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
    tab = csv_sheet or PurePath(raw.name).stem
    found = mappings.find(list(raw.mappings), tab, preview, raw.mapping_name) if raw.mappings else None
    header_index = found[0] if found else find_header(preview, spec)
    if found:
        spec = found[1].spec
    if header_index is None:
        raw.problems.append(no_header_error(raw.name, spec.name, spec))
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
    add_sheet(raw, spec.name, spec, header_line, columns, lines, mapping=found[1] if found else None)


def _mapped_spec(raw: RawFile, data: bytes, csv_sheet: str | None):
    """Return the contract sheet a stored mapping gives a CSV its name does not place, or None."""
    text = _decode(data[:65536])
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    preview = [[v if v.strip() else None for v in record] for record in
               list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))[:MAX_HEADER_SEARCH_ROWS]]
    found = mappings.find(list(raw.mappings), csv_sheet or PurePath(raw.name).stem, preview, raw.mapping_name)
    return found[1].spec if found else None
