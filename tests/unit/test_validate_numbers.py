"""Number columns read as text (every CSV column; money a sheet types as text) are typed by Arrow's
cast when every cell is a plain number: the same doubles `parse_number` gives, the same problems."""

from __future__ import annotations

import math
import struct

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_metrics import validate
from pmo_metrics.parsing import PARSE_NUMBER_MACRO
from pmo_metrics.readers import read_file
from pmo_metrics.validate import Rules, plain_numbers_typed

CON = duckdb.connect()
CON.execute(PARSE_NUMBER_MACRO)
EDGES = ["1", "-1", "+1", "1.", ".5", "-.5", "1e5", "1E-3", "1e+5", "00012", "-0", "0.1", "9007199254740993",
         "123456789012345678901234567890", "1e400", "inf", "-inf", "nan", "NaN", "Infinity", " 12", "12 ", "0x1A",
         "1_000", "1,000", "£12", "(12)", "12-", "12%", "1.2.3", "", "--1", "+-1", "1d", "１２", "n/a"]


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


def _cast(text: str) -> float | None:
    """Arrow's cast of one cell; None when it refuses or the number is not finite (the column stays text)."""
    try:
        value = pa.array([text]).cast(pa.float64())[0].as_py()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return value if math.isfinite(value) else None


def _agrees(text: str) -> None:
    cast = _cast(text)
    if cast is None:
        return
    parsed = CON.execute("SELECT parse_number(?)", [text]).fetchone()[0]
    assert parsed is not None and _bits(parsed) == _bits(cast), (text, cast, parsed)


@pytest.mark.parametrize("text", EDGES)
def test_a_cell_the_cast_reads_means_the_same_to_parse_number(text):
    _agrees(text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789.-+eE ", max_size=24)
       | st.builds(lambda v: repr(v), st.floats(allow_nan=False, allow_infinity=False))
       | st.builds(lambda v: f"{v:.{abs(hash(v)) % 17}f}", st.floats(-1e16, 1e16)))
def test_any_number_text_the_cast_reads_means_the_same_to_parse_number(text):
    _agrees(text)


CSV = ("project_id,period,planned_cost,actual_cost,forecast_cost,earned_value,quality_score\n"
       + "".join(f"P-{i % 7},2026-{1 + i % 9:02d},{i}.5,{-i},{i * 1e3},,{i % 100}\n" for i in range(1500))
       + 'P-1,2026-10,12,"£1,200",n/a,nan,80\n')  # the last row: a text amount, a marker, a NaN


def _validated(monkeypatch, typed: bool, text: str):
    if not typed:
        monkeypatch.setattr(validate, "plain_numbers_typed", lambda table, spec, rules: table)
    raw = read_file("2026-10 Financials.csv", text.encode(), "Financials")
    [sheet] = raw.sheets
    problems: list = []
    con = validate._new_connection(Rules())
    try:
        result = validate._validate_sheet(con, sheet, problems, Rules())
    finally:
        con.close()
    return result, sorted(str(p) for p in problems)


@pytest.mark.parametrize("text", [CSV, CSV.rsplit("P-1,2026-10", 1)[0]], ids=["with odd cells", "plain"])
def test_a_csv_checks_to_the_same_table_and_problems_either_way(monkeypatch, text):
    typed, typed_problems = _validated(monkeypatch, True, text)
    monkeypatch.undo()
    as_text, text_problems = _validated(monkeypatch, False, text)
    assert typed_problems == text_problems
    assert typed.table.equals(as_text.table)
    assert (typed.withheld is None) == (as_text.withheld is None)
    if typed.withheld is not None:
        assert typed.withheld.equals(as_text.withheld)


def test_only_columns_of_plain_numbers_are_typed():
    raw = read_file("2026-10 Financials.csv", CSV.encode(), "Financials")
    [sheet] = raw.sheets
    table = plain_numbers_typed(sheet.table, sheet.spec, Rules())
    types = {name: table.schema.field(name).type for name in table.column_names}
    assert types["planned_cost"] == pa.float64() and types["quality_score"] == pa.float64()
    assert types["actual_cost"] == pa.string() and types["forecast_cost"] == pa.string()  # "£1,200", "n/a"
    assert types["earned_value"] == pa.string()  # "nan"
    assert types["project_id"] == pa.string() and types["period"] == pa.string()  # not number columns
    # A withheld marker that may look like a number ("0*") keeps every column as read.
    unchanged = plain_numbers_typed(sheet.table, sheet.spec, Rules(withheld_markers="n/a, 0*"))
    assert unchanged.equals(sheet.table)
