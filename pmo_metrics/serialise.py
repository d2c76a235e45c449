"""CSV and JSON text of a measures table, following the output rules of SPEC §5.

- Empty values (NULL, NaN, ±inf) are empty CSV cells and JSON null, never 0, inf or NaN.
- Month columns (dates that all fall on the 1st) print `YYYY-MM`; other dates `YYYY-MM-DD`.
- Ratios stay fractions (0.93); floats are rounded to 12 significant digits so binary noise
  (0.30000000000000004) never reaches a board pack, and CSV never uses scientific notation.
- CSV text cells that a spreadsheet would run as a formula (starting =, +, -, @, tab or CR) are
  prefixed with a single quote (SPEC §6); numbers are never touched, so -1000 stays -1000.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
import re

import pyarrow as pa

# 12 significant digits: float noise (around the 16th digit) is gone, and amounts keep their
# pennies up to 10 billion.
SIGNIFICANT_DIGITS = 12
# Below this a figure is the residue of subtracting two equal amounts computed different ways
# (ETC = EAC - AC when CPI makes EAC equal AC): printed as 0, never as 0.0000000000146.
NOISE_FLOOR = 1e-9
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTES = re.compile('[,"\r\n]')  # what makes the csv writer quote a cell (QUOTE_MINIMAL)


def _round(value: float) -> float | None:
    """Return `value` rounded to SIGNIFICANT_DIGITS, or None when it is not a finite number."""
    if math.isnan(value) or math.isinf(value):
        return None
    if abs(value) < NOISE_FLOOR:
        return 0.0
    rounded = float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    return 0.0 if rounded == 0 else rounded  # no "-0"


def _plain(number: float) -> str:
    """Return a finite float as plain decimal text: 1000.0 -> '1000', 1e-07 -> '0.0000001'."""
    text = format(decimal.Decimal(repr(number)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def guard_formula(text: str) -> str:
    """Return `text` made safe to open in a spreadsheet: a leading formula character gets a quote."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _month_column(values: list) -> bool:
    return all(v.day == 1 for v in values if isinstance(v, dt.date) and not isinstance(v, dt.datetime))


def _python_columns(table: pa.Table) -> list[tuple[str, list, bool]]:
    """Return (name, values, is_month_column) for every column."""
    out = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        values = column.to_pylist()
        months = pa.types.is_date(column.type) and _month_column(values)
        out.append((name, values, months))
    return out


def _json_value(value, month: bool):
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return _round(value)
    if isinstance(value, decimal.Decimal):
        return _round(float(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m") if month else value.isoformat()
    if isinstance(value, int | str):
        return value
    return str(value)


def _csv_value(value, month: bool) -> str:
    value = _json_value(value, month)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _plain(value)
    if isinstance(value, int):
        return str(value)
    return guard_formula(str(value))


def _csv_texts(column: pa.ChunkedArray, values: list, month: bool) -> list[str]:
    """Return the CSV text of every cell of one column: exactly what `_csv_value` gives each cell,
    computed per column with one converter per Arrow type (a 20,000-row table prints in a
    fraction of the time a cell-by-cell type dispatch takes)."""
    kind = column.type
    if pa.types.is_floating(kind):
        # `%.12g` already is the 12-significant-digit text without trailing zeros; only an
        # exponent (below 1e-4 or from 1e12), nan/inf or a negative zero need `_csv_value`.
        texts = ["" if v is None else f"{v:.12g}" for v in values]
        return [t if "e" not in t and "n" not in t and t != "-0" else _csv_value(v, False)
                for v, t in zip(values, texts, strict=True)]
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return ["" if v is None else "'" + v if v.startswith(FORMULA_STARTS) else v for v in values]
    if pa.types.is_integer(kind):
        return ["" if v is None else str(v) for v in values]
    if pa.types.is_boolean(kind):
        return ["" if v is None else "true" if v else "false" for v in values]
    return [_csv_value(v, month) for v in values]


def to_csv(table: pa.Table) -> str:
    """Return `table` as CSV text with a header row (SPEC §5 output rules, §6 formula guard)."""
    columns = _python_columns(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([guard_formula(name) for name, _, _ in columns])
    if not columns:
        for _ in range(table.num_rows):
            writer.writerow([])
        return buffer.getvalue()
    texts = [_csv_texts(table.column(i), values, month) for i, (_, values, month) in enumerate(columns)]
    if len(texts) > 1 and not any(_NEEDS_QUOTES.search("\x00".join(column)) for column in texts):
        # No cell needs quoting, so the rows the csv writer would write are the cells joined by commas.
        return buffer.getvalue() + "".join([",".join(row) + "\n" for row in zip(*texts, strict=True)])
    writer.writerows(zip(*texts, strict=True))
    return buffer.getvalue()


def to_json(table: pa.Table) -> str:
    """Return `table` as a JSON list of row objects (SPEC §5 output rules)."""
    columns = _python_columns(table)
    rows = [{name: _json_value(values[i], month) for name, values, month in columns}
            for i in range(table.num_rows)]
    return json.dumps(rows, ensure_ascii=False, allow_nan=False)
