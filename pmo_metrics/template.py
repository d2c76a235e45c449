"""The empty, documented input workbook of SPEC §2 (`pmo-metrics template`).

Every sheet, header, note and drop-down is generated from `schema.SHEETS`, so a column added to
the contract shows up in the template without touching this file.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pmo_metrics import schema

# Drop-downs and formats cover this many data rows; Excel keeps them when rows are pasted in.
VALIDATION_LAST_ROW = 5000

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TITLE_FONT = Font(bold=True, size=14)
_WRAP = Alignment(wrap_text=True, vertical="top")

# Widths by type: dates and periods are short, free text is long.
_TYPE_WIDTH = {
    schema.TEXT: 24,
    schema.NUMBER: 16,
    schema.DATE: 13,
    schema.PERIOD: 12,
    schema.ENUM: 18,
    schema.PERCENT: 16,
}
# Excel number formats applied to the empty data cells, so typed values look right at once.
_TYPE_FORMAT = {
    schema.NUMBER: "#,##0.00",
    schema.DATE: "yyyy-mm-dd",
    schema.PERIOD: "yyyy-mm",
}

_TYPE_WORDS = {
    schema.TEXT: "text",
    schema.NUMBER: "number (currency symbols and thousands separators are fine)",
    schema.DATE: "date (an Excel date, 2026-10-31 or 31/10/2026)",
    schema.PERIOD: "month (an Excel date, 2026-10, Oct-26, Oct 2026 or 31/10/2026)",
    schema.ENUM: "one of the listed values",
    schema.PERCENT: "number or percentage",
}


def column_note(column: schema.Column) -> str:
    """Return the header note for `column`: description, type, required flag, choices, aliases."""
    lines = [column.description, f"Type: {_TYPE_WORDS[column.type]}."]
    lines.append("Required." if column.required else "Optional.")
    if column.choices:
        lines.append("Values: " + ", ".join(column.choices) + ".")
    if column.minimum is not None or column.maximum is not None:
        low = "" if column.minimum is None else f"{column.minimum:g}"
        high = "" if column.maximum is None else f"{column.maximum:g}"
        lines.append(f"Range: {low}..{high}.")
    if column.default is not None:
        lines.append(f"Default: {column.default}.")
    if column.aliases:
        lines.append("Also accepted as header: " + ", ".join(column.aliases) + ".")
    return "\n".join(lines)


def _instructions() -> list[str]:
    """Return the lines of the Instructions sheet, built from the schema."""
    lines = [
        "How to fill in this workbook",
        "",
        "Fill in the sheets you have; every sheet is optional and a workbook may hold any subset of them.",
        "One workbook per programme or portfolio is fine: offices can each upload their own part.",
        "",
        "Reporting month",
        "Put the reporting month (YYYY-MM, e.g. 2026-10) in cell B1 of the About sheet.",
        "If B1 is empty, the month is taken from the file name (e.g. '2026-10 Digital Transformation.xlsx');"
        " if neither has it, the upload form or the command line (--as-of) must give it.",
        "Actuals and realised values cover months up to and including the reporting month;"
        " forecasts cover the months after it.",
        "",
        "Forgiving rules",
        "- Sheet names, column names and listed values match regardless of case, spaces, '_', '-'"
        " and punctuation: 'Project ID', 'project_id' and 'ProjectID' are the same column.",
        "- Common alternative headers are accepted (each header's note lists them), e.g. 'budget'"
        " for planned_cost, 'actual' for actual_cost.",
        "- Up to 10 title or blank rows may sit above the header row; blank rows and fully blank"
        " columns are ignored.",
        "- Extra columns are allowed: they are not loaded, and the upload report lists them as a warning.",
        "- Numbers may carry currency symbols, thousands separators, '%' or accounting negatives"
        " such as (1,200). Write decimals with a point: 1200.50, never 1200,50.",
        "- Amounts in thousands or millions: set 'units' on the About sheet (or put the unit in the"
        " header, e.g. 'Whole Life Cost (£m)'); they are stored in full currency units.",
        "- A value you may not publish can be written as such ('Exempt under Section 43', 'withheld',"
        " 'n/a', 'tbc'): it is stored as withheld, never counted as 0, and the figures it feeds say so.",
        "- Periods may also be fiscal years or quarters (FY2024-25, 2024/25, FY25, Q3 2025-26);"
        " each is read as its last month under the fiscal-year-start setting.",
        "- Months and dates may be Excel dates, 2026-10, Oct-26, Oct 2026 or 31/10/2026 (day first);"
        " any date is read as its calendar month where a month is asked for.",
        "- Each sheet's key must be unique within the sheet; every project and benefit named must"
        " exist in this upload or in an earlier one.",
        "- Any cell that cannot be read is reported with its sheet, cell, column and value, and a"
        " file with any error loads nothing - fix it and upload again.",
        "- To correct a month, upload a file with the same reporting month holding only the projects,"
        " benefits, KPIs or metrics to correct; it supersedes the earlier rows for those only.",
        "",
        "Sheets",
    ]
    for sheet in schema.SHEETS:
        key = ", ".join(sheet.key)
        required = ", ".join(sheet.required)
        lines.append(f"{sheet.name}: {sheet.description} Key: {key}. Required columns: {required}.")
    lines += [
        "",
        "BenefitValues may also be given wide: benefit_id, measure (planned / forecast / realised),"
        " then one column per month headed e.g. Jan-26 or 2026-02.",
        "Each header cell carries a note with the column's meaning, type and whether it is required;"
        " columns with a fixed list of values offer a drop-down.",
    ]
    return lines


def _add_instructions(wb: Workbook) -> None:
    ws = wb.active
    ws.title = "Instructions"
    ws.column_dimensions["A"].width = 120
    headings = {"How to fill in this workbook", "Reporting month", "Forgiving rules", "Sheets"}
    for row, text in enumerate(_instructions(), start=1):
        cell = ws.cell(row=row, column=1, value=text)
        cell.alignment = _WRAP
        if text in headings:
            cell.font = _TITLE_FONT if row == 1 else _HEADER_FONT


def _add_about(wb: Workbook) -> None:
    ws = wb.create_sheet(schema.ABOUT_SHEET)
    ws["A1"] = schema.ABOUT_AS_OF[0]
    ws["A1"].font = _HEADER_FONT
    # Text format so Excel does not turn 2026-10 into a date the reader must then undo.
    ws["B1"].number_format = "@"
    ws["B1"].comment = Comment("Reporting month, YYYY-MM (e.g. 2026-10).", "pmo-metrics")
    ws["C1"] = "Reporting month of this workbook, YYYY-MM."
    ws["A2"] = schema.ABOUT_UNITS[0]
    ws["A2"].font = _HEADER_FONT
    ws["B2"].comment = Comment("Money unit of the amounts: units (default), thousands, millions or billions.",
                               "pmo-metrics")
    ws["C2"] = ("Money unit of the amounts (SPEC §7.4): units (default), thousands (k, £000), millions (m, £m) "
                "or billions (bn). A column whose header states a unit, e.g. 'Budget (£m)', uses that one.")
    ws["A3"] = schema.ABOUT_MODE[0]
    ws["A3"].font = _HEADER_FONT
    ws["C3"] = ("Upload mode (SPEC §7.1): full (default; each project's rows replace its earlier ones) or "
                "incremental (only the periods given replace earlier ones: a return of this month's figures).")
    ws["A4"] = schema.ABOUT_COMPLETE[0]
    ws["A4"].font = _HEADER_FONT
    ws["C4"] = ("yes when this workbook lists every project of each portfolio it names: a stored project it "
                "leaves out has left the portfolio from this month. Default no.")
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["C"].width = 100


def _add_sheet(wb: Workbook, sheet: schema.Sheet) -> None:
    ws = wb.create_sheet(sheet.name)
    for index, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=1, column=index, value=column.name)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        note = Comment(column_note(column), "pmo-metrics")
        note.width, note.height = 320, 160
        cell.comment = note
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = max(_TYPE_WIDTH[column.type], len(column.name) + 4)
        fmt = _TYPE_FORMAT.get(column.type)
        if fmt:
            # A column style formats new cells without writing 5000 empty cells into the file.
            ws.column_dimensions[letter].number_format = fmt
        if column.type == schema.ENUM and column.choices:
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle=f"{column.name}: not a listed value",
                error="Choose one of: " + ", ".join(column.choices),
            )
            validation.add(f"{letter}2:{letter}{VALIDATION_LAST_ROW}")
            ws.add_data_validation(validation)
    ws.freeze_panes = "A2"


def build_template() -> bytes:
    """Return the input template workbook (.xlsx bytes): Instructions, About, one sheet per schema sheet."""
    wb = Workbook()
    _add_instructions(wb)
    _add_about(wb)
    for sheet in schema.SHEETS:
        _add_sheet(wb, sheet)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
