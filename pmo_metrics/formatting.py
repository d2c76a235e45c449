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


# -- display: one money format, RAG-safe percentages, text that stays text (SPEC §7.4, §11) --------

CURRENCY_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥"}
_MONEY_STEPS = ((1e3, "k"), (1e6, "m"), (1e9, "bn"))
MINUS = "−"  # U+2212, so a negative amount's sign is as wide as a digit and never read as a dash


def currency_prefix(code: str | None) -> str:
    """Return what is printed before an amount: '£' for GBP, '$', '€', 'CHF ' for other codes, '' for none."""
    code = (code or "").strip().upper()
    return CURRENCY_SYMBOLS.get(code, f"{code} " if code else "")


def _finite_number(value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and not (isinstance(value, float) and (math.isnan(value) or math.isinf(value))))


def money(value: object, currency: str | None = "GBP") -> str:
    """Return an amount in the product's one money format: £950, £12.4k, £13.2m, £519bn, −£1.20m.

    Whole units below 1,000 (no pence anywhere); from 1,000 three significant digits with k, m or
    bn (an amount that rounds up to 1,000 of a unit moves to the next: £1.00m, never £1,000k);
    1,000bn and more in whole billions. '—' when the value is not a finite number.
    """
    if not _finite_number(value):
        return "—"
    size = abs(float(value))
    text = f"{size:,.0f}"
    if round(size) >= 1000:
        start = max(i for i, (limit, _) in enumerate(_MONEY_STEPS) if size >= limit or i == 0)
        for limit, suffix in _MONEY_STEPS[start:]:
            scaled = size / limit
            decimals = max(0, 3 - len(f"{int(scaled)}"))
            if len(f"{int(round(scaled, decimals))}") > len(f"{int(scaled)}"):
                decimals = max(0, decimals - 1)  # 9,996 is £10.0k and 99,970 is £100k: three digits after rounding
            text = f"{scaled:,.{decimals}f}{suffix}"
            if round(scaled, decimals) < 1000 or suffix == "bn":
                break  # else 999,999 would be £1,000k: the next unit says it in three digits
    sign = MINUS if value < 0 and text.strip("0.,") != "" else ""
    return f"{sign}{currency_prefix(currency)}{text}"


def money_exact(value: object, currency: str | None = "GBP") -> str:
    """Return an amount to the whole unit for tooltips and help: £12,345,678 ('—' when empty)."""
    if not _finite_number(value):
        return "—"
    text = f"{abs(float(value)):,.0f}"
    sign = MINUS if value < 0 and text.strip("0,") != "" else ""
    return f"{sign}{currency_prefix(currency)}{text}"


def money_label_expr(currency: str | None = "GBP", field: str = "datum.value") -> str:
    """Return a Vega expression printing `field` as `money` does (for chart axes and text marks)."""
    prefix = json.dumps(currency_prefix(currency), ensure_ascii=False)
    v = f"abs({field})"
    return (f"({field} < 0 && {v} >= 0.5 ? '{MINUS}' : '') + {prefix} + ("
            f"{v} >= 1e12 ? format({v} / 1e9, ',.0f') + 'bn' : "
            f"{v} >= 1e9 ? format({v} / 1e9, '.3r') + 'bn' : "
            f"{v} >= 1e6 ? format({v} / 1e6, '.3r') + 'm' : "
            f"{v} >= 999.5 ? format({v} / 1e3, '.3r') + 'k' : format({v}, ',.0f'))")


def rag_safe_percent(value: object, thresholds: tuple[float, ...] = (), decimals: int = 1) -> str:
    """Return a fraction as a percentage whose label never hides which side of a RAG threshold it is on
    (SPEC §11: 94.96 % reads '94.9%' amber, 95 % reads '95.0%' green; equal labels, equal colours).

    The label is cut, not rounded (a label stands for the values from it up to the next label),
    and a threshold that falls inside that range (one off the 0.1 % grid) adds decimals.
    '—' when the value is not a finite number.
    """
    if not _finite_number(value):
        return "—"
    percent = float(value) * 100
    cuts = [float(t) * 100 for t in thresholds if _finite_number(t)]
    for places in range(decimals, 7):
        step = 10.0 ** -places
        # the epsilon keeps binary noise (0.29 * 100 = 28.999999999999996) from cutting a whole step
        label = math.floor(percent / step + 1e-9) * step
        if not any(label + 1e-9 < cut < label + step - 1e-9 for cut in cuts):
            break
    text = f"{abs(label):.{places}f}%"
    return (MINUS + text) if label < 0 and text.strip("0.%") else text


_MARKDOWN_SPECIALS = set("\\`*_{}[]()<>#+-.!|~:$=&^\"'")


def escape_markdown(text: object) -> str:
    """Return user text that Streamlit shows as typed in st.markdown, captions, headers, labels, metric
    labels, help tooltips and dialogs: every Markdown, directive (`:red[…]`, `:material/…:`), LaTeX
    (`$…$`) and HTML character is backslash-escaped, and line breaks become spaces (SPEC §7.8)."""
    if text is None:
        return ""
    flat = " ".join(str(text).splitlines())
    return "".join("\\" + c if c in _MARKDOWN_SPECIALS else c for c in flat)
