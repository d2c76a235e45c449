"""The input template (SPEC §5 `template`) read back with openpyxl."""

import io

import openpyxl
import pytest

from pmo_metrics import schema
from pmo_metrics.template import VALIDATION_LAST_ROW, build_template


@pytest.fixture(scope="module")
def workbook():
    return openpyxl.load_workbook(io.BytesIO(build_template()))


def test_sheets_in_order(workbook):
    assert workbook.sheetnames == ["Instructions", "About", *(s.name for s in schema.SHEETS)]


def test_about_has_as_of_label_and_empty_text_value(workbook):
    about = workbook["About"]
    assert about["A1"].value == "as_of"
    assert about["B1"].value is None
    assert about["B1"].number_format == "@"
    assert "YYYY-MM" in about["B1"].comment.text


def test_instructions_mention_every_sheet_and_the_reporting_month_rule(workbook):
    text = "\n".join(str(c.value) for c in workbook["Instructions"]["A"] if c.value)
    for sheet in schema.SHEETS:
        assert sheet.name in text
    assert "About" in text and "YYYY-MM" in text
    assert "10 title" in text  # the forgiving header rule


@pytest.mark.parametrize("sheet", schema.SHEETS, ids=lambda s: s.name)
def test_headers_match_schema_with_notes(workbook, sheet):
    ws = workbook[sheet.name]
    headers = [c.value for c in ws[1]]
    assert headers == [c.name for c in sheet.columns]
    assert ws.freeze_panes == "A2"
    for cell, column in zip(ws[1], sheet.columns, strict=True):
        assert cell.font.bold
        note = cell.comment.text
        assert column.description in note
        assert ("Required." if column.required else "Optional.") in note
        assert "Type:" in note


@pytest.mark.parametrize("sheet", schema.SHEETS, ids=lambda s: s.name)
def test_enum_columns_have_drop_downs(workbook, sheet):
    ws = workbook[sheet.name]
    by_range = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    enum_columns = [(i, c) for i, c in enumerate(sheet.columns, start=1) if c.type == schema.ENUM]
    assert len(by_range) == len(enum_columns)
    for index, column in enum_columns:
        letter = openpyxl.utils.get_column_letter(index)
        dv = by_range[f"{letter}2:{letter}{VALIDATION_LAST_ROW}"]
        assert dv.type == "list"
        assert dv.formula1.strip('"').split(",") == list(column.choices)
