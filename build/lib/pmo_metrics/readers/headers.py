"""Header search and column mapping: which row is the header, which column is which contract column."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pyarrow as pa

from .. import schema
from ..parsing import header_unit, parse_period_text
from ..problems import Problem, error, info, shorten, warning
from ..schema import BENEFIT_VALUES, MAX_HEADER_SEARCH_ROWS, NUMBER, Sheet
from .raw import ROW, RawFile, RawSheet

if TYPE_CHECKING:
    from ..mapping import Mapping


def names_required(names: list, spec: Sheet) -> bool:
    folded = {schema.normalise_name(n) for n in names if n is not None}
    return all(folded & spec.column(required).spellings() for required in spec.required)


def wide_header(names: list, spec: Sheet) -> bool:
    folded = {schema.normalise_name(n) for n in names if n is not None}
    return (spec is BENEFIT_VALUES and "measure" in folded
            and bool(folded & spec.column("benefit_id").spellings())
            and any(_month_header(n) is not None for n in names if n is not None))


def _header_matches(row: list, spec: Sheet) -> int:
    spellings = set().union(*(c.spellings() for c in spec.columns))
    return sum(1 for v in row if v is not None and schema.normalise_name(v) in spellings)


def find_header(rows: list[list], spec: Sheet) -> int | None:
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


def no_header_error(file: str, sheet_name: str, spec: Sheet) -> Problem:
    return error(file, f"no header row found in the first {MAX_HEADER_SEARCH_ROWS} rows; expected "
                       f"a row naming the columns {', '.join(spec.required)} (or map your columns: "
                       "a saved column mapping)", sheet=sheet_name, code="no_header")


def _month_header(text: str) -> dt.date | None:
    # A header cell that is a month: "Jan-26", "2026-02", or an Excel date shown as text.
    value = str(text).strip()
    if not value or not re.search(r"\d", value):
        return None
    return parse_period_text(value)


def _column_named(header: object, lookup: dict[str, str], mapping: Mapping | None) -> tuple[str | None, str | None]:
    """Return (contract column or IGNORE or None, unit stated by the header) for one header."""
    if mapping is not None:
        column = mapping.column_for(header)
        if column is not None:
            stated = header_unit(header)
            return column, stated[1] if stated else None
    name = lookup.get(schema.normalise_name(header))
    if name is not None:
        return name, None
    stated = header_unit(header)  # "Whole Life Cost (£m)": the column without its unit, and the unit
    if stated is not None:
        return lookup.get(schema.normalise_name(stated[0])), stated[1]
    return None, None


def add_sheet(raw: RawFile, sheet_name: str, spec: Sheet, header_row: int,
              columns: list[tuple[str, str | None, pa.ChunkedArray | pa.Array]], row_numbers: pa.Array,
              mapping: Mapping | None = None) -> None:
    """Map read columns to the contract, report unknown ones, and keep the sheet.

    `row_numbers` are the row numbers the user sees for each data row (a CSV's line numbers).
    A `mapping` (SPEC §7.6) names headers the contract does not know, and translates values.
    """
    mapped: dict[str, tuple[str, object]] = {}
    months: list[tuple[str, dt.date, object]] = []
    unknown = []
    units: dict[str, str] = {}
    lookup = {}
    for column in spec.columns:
        for spelling in column.spellings():
            lookup.setdefault(spelling, column.name)
    wide_candidate = spec is BENEFIT_VALUES
    if mapping is not None:
        raw.problems.append(info(raw.name, f"columns read with the mapping {mapping.name!r}", sheet=sheet_name,
                                 code="mapping_applied"))
    for letter, header, values in columns:
        if header is None or str(header).strip() == "":
            if values.null_count < len(values):
                raw.problems.append(warning(raw.name, "column without a header; ignored",
                                            sheet=sheet_name, cell=f"{letter}{header_row}", code="no_column_header"))
            continue
        name, unit = _column_named(header, lookup, mapping)
        if name == "":  # the mapping says: ignore this column
            continue
        if name is None and wide_candidate and schema.normalise_name(header) == "measure":
            name = "measure"
        if name is not None:
            if name in mapped:
                raw.problems.append(error(
                    raw.name, f"columns {mapped[name][0]} and {letter} both mean {name}",
                    sheet=sheet_name, cell=f"{letter}{header_row}", column=name, value=shorten(header),
                    code="duplicate_column"))
                continue
            if unit is not None and name in {c.name for c in spec.columns if c.type == NUMBER}:
                units[name] = unit
                raw.problems.append(info(raw.name, f"amounts read in {unit}, as the header says; stored in "
                                                   "full currency units", sheet=sheet_name,
                                         cell=f"{letter}{header_row}", column=name, value=shorten(header),
                                         code="column_unit"))
            if mapping is not None:
                values = mapping.translate(name, values)
            mapped[name] = (letter, values)
            continue
        month = _month_header(header) if wide_candidate else None
        if month is not None:
            months.append((letter, month, values))
        elif values.null_count < len(values):
            unknown.append(f"{shorten(header, 40)} ({letter})")
    if unknown:
        raw.problems.append(warning(raw.name, "columns not in the contract, kept out of the model: "
                                    + ", ".join(unknown), sheet=sheet_name, code="unknown_columns"))
    if wide_candidate and "measure" in mapped and months:
        _add_wide_sheet(raw, sheet_name, spec, header_row, mapped, months, row_numbers)
        return
    if wide_candidate:
        mapped.pop("measure", None)
    missing = [c for c in spec.required if c not in mapped]
    if missing:
        raw.problems.append(error(raw.name, "required column missing: " + ", ".join(missing)
                                  + f" (header found on row {header_row}; or map your columns)", sheet=sheet_name,
                                  column=", ".join(missing), code="missing_column"))
        return
    arrays = {name: values for name, (_, values) in mapped.items()}
    arrays[ROW] = row_numbers
    raw.sheets.append(RawSheet(raw.name, sheet_name, spec, pa.table(arrays),
                               {name: letter for name, (letter, _) in mapped.items()}, header_row, units=units))


def _add_wide_sheet(raw, sheet_name, spec, header_row, mapped, months, row_numbers) -> None:
    """Keep a wide BenefitValues sheet (benefit_id, measure, one column per month) as it is.

    It is validated wide — every month column a located number column — and melted in DuckDB.
    """
    if "benefit_id" not in mapped:
        raw.problems.append(error(raw.name, "required column missing: benefit_id", sheet=sheet_name,
                                  column="benefit_id", code="missing_column"))
        return
    seen: dict[dt.date, str] = {}
    arrays = {"benefit_id": mapped["benefit_id"][1], "measure": mapped["measure"][1]}
    letters = {"benefit_id": mapped["benefit_id"][0], "measure": mapped["measure"][0]}
    month_of = {}
    for index, (letter, month, values) in enumerate(months):
        if month in seen:
            raw.problems.append(error(raw.name, f"month {month:%Y-%m} appears in columns {seen[month]} and {letter}",
                                      sheet=sheet_name, cell=f"{letter}{header_row}", code="duplicate_column"))
            continue
        seen[month] = letter
        name = f"value_{index}"
        arrays[name], letters[name], month_of[name] = values, letter, month
    arrays[ROW] = row_numbers
    raw.sheets.append(RawSheet(raw.name, sheet_name, spec, pa.table(arrays), letters, header_row, months=month_of))
