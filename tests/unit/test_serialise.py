"""CSV and JSON output rules (SPEC §5) and the formula-injection guard (SPEC §6)."""

import datetime as dt
import json

import pyarrow as pa
import pytest

from pmo_metrics.serialise import guard_formula, to_csv, to_json


def csv_cells(text):
    return [line.split(",") for line in text.strip("\n").split("\n")]


def test_empties_are_empty_cells_and_null():
    table = pa.table({"x": [None, float("nan"), float("inf"), float("-inf"), 0.0], "s": [None, "a", "b", "c", "d"]})
    assert csv_cells(to_csv(table)) == [["x", "s"], ["", ""], ["", "a"], ["", "b"], ["", "c"], ["0", "d"]]
    assert [r["x"] for r in json.loads(to_json(table))] == [None, None, None, None, 0]
    assert "NaN" not in to_json(table) and "Infinity" not in to_json(table)


@pytest.mark.parametrize(("value", "text"), [
    (0.1 + 0.2, "0.3"), (102857.14285714287, "102857.142857"), (1000.0, "1000"), (-1000.0, "-1000"),
    (0.875, "0.875"), (1e-7, "0.0000001"), (1234567890.12, "1234567890.12"), (-0.0, "0"), (2.5e15, "2500000000000000"),
])
def test_floats_without_noise_or_scientific_notation(value, text):
    table = pa.table({"x": [value]})
    assert csv_cells(to_csv(table))[1] == [text]
    assert json.loads(to_json(table))[0]["x"] == pytest.approx(float(text))


def test_month_columns_print_year_month_and_other_dates_in_full():
    table = pa.table({
        "period": pa.array([dt.date(2026, 10, 1), None], pa.date32()),
        "end_date": pa.array([dt.date(2026, 10, 31), dt.date(2026, 11, 1)], pa.date32()),
    })
    assert csv_cells(to_csv(table))[1:] == [["2026-10", "2026-10-31"], ["", "2026-11-01"]]
    assert json.loads(to_json(table)) == [{"period": "2026-10", "end_date": "2026-10-31"},
                                          {"period": None, "end_date": "2026-11-01"}]


def test_ints_bools_and_json_rows():
    table = pa.table({"n": pa.array([3, None], pa.int64()), "ok": [True, None], "name": ["a", "é"]})
    assert csv_cells(to_csv(table))[1:] == [["3", "true", "a"], ["", "", "é"]]
    assert json.loads(to_json(table)) == [{"n": 3, "ok": True, "name": "a"}, {"n": None, "ok": None, "name": "é"}]


@pytest.mark.parametrize(("text", "safe"), [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Project = good", "Project = good"), ("", ""),
])
def test_formula_guard(text, safe):
    assert guard_formula(text) == safe


def test_csv_guards_text_but_never_numbers():
    table = pa.table({"name": ["=1+1", "-cmd"], "amount": [-1000.0, -0.5]})
    text = to_csv(table)
    assert "'=1+1" in text and "'-cmd" in text
    assert csv_cells(text)[1][1] == "-1000" and csv_cells(text)[2][1] == "-0.5"
    assert json.loads(to_json(table))[0]["name"] == "=1+1"  # JSON is data, not a spreadsheet


def test_csv_quotes_commas_and_newlines():
    table = pa.table({"name": ["a,b", "line\nbreak"]})
    assert to_csv(table) == 'name\n"a,b"\n"line\nbreak"\n'


def test_empty_table_keeps_its_header():
    table = pa.table({"a": pa.array([], pa.float64()), "b": pa.array([], pa.string())})
    assert to_csv(table) == "a,b\n"
    assert to_json(table) == "[]"


def test_regression_cancellation_residue_prints_as_zero():
    """ETC = EAC - AC gave 0.0000000000145519152284 for a project whose EAC equals its AC."""
    eac = 450000 / (450000 / 95000)
    table = pa.table({"etc": [eac - 95000, -1e-12, 0.05]})
    assert to_csv(table).splitlines()[1:] == ["0", "0", "0.05"]
    assert '"etc": 0.0' in to_json(table)
