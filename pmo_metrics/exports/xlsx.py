"""The scorecard workbook (openpyxl): a summary sheet, the scorecard, one sheet per measures table.

Every text cell is written as a string cell, never a formula: openpyxl turns any str starting
with '=' into a formula, so text from an upload such as `=HYPERLINK(...)` is forced back to a
string and marked with a quote prefix, which keeps Excel and LibreOffice from evaluating it even
after the user edits the cell (SPEC §6).

Speed: openpyxl writes the summary, header rows (notes, widths, panes, filters), styles and the
chart; the tables' data rows are built column by column as sheet XML with the same values, formats
and styles (style ids registered through openpyxl) and put into the saved sheets (`_save`). Writing
~800k cells through openpyxl's cell objects took ~15 s on a 5,000-project portfolio; this ~2 s.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import numbers
import re
import zipfile

import pyarrow as pa
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.axis import DateAxis
from openpyxl.chart.series import SeriesLabel
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.worksheet import Worksheet

from ..charts import SERIES_COLOURS
from ..display import currency_prefix
from ..measures import Measure
from .common import INDEX_COLUMNS, RAG_LEVELS, RAG_WORDS, finite, is_risky_text, measure, rag_colour
from .scorecard import COLUMN_GROUPS, SCORECARD_COLUMNS, Scorecard

MAX_TEXT = 32_767  # Excel's limit for one cell
HEADER_FILL = PatternFill("solid", fgColor="E8E8E8")
ROLLUP_FILL = PatternFill("solid", fgColor="F2F2F2")
BOLD = Font(bold=True)
TOTAL_BORDER = Border(top=Side(style="thin"), bottom=Side(style="double"))
TILE_LABEL = Font(size=9, color="555555")
RAG_FILLS = {rag: PatternFill("solid", fgColor=rag_colour(rag).lstrip("#")) for rag in RAG_WORDS}
TILE_VALUE = Font(size=14, bold=True)

# Sheet name, table key, what the sheet holds (listed on the summary).
DETAIL_SHEETS = (
    ("1 Delivery", "delivery", "Level 1: earned value per project (SPEC §4 level 1)."),
    ("2 KPIs", "kpi", "Level 2: each KPI and portfolio spend at month, quarter and year to date."),
    ("3 Benefits", "benefits", "Level 3: each benefit, planned against realised and forecast."),
    ("3 Returns", "returns", "Level 3: NPV, ROI, benefit-cost ratio and payback per project."),
    ("3 Objectives", "objectives", "Level 3: realisation and KPI attainment per strategic objective."),
    ("4 Benchmarks", "benchmarks", "Level 4: our value against the peer median and top quartile."),
    ("4 Sustained", "sustained", "Level 4: value sustained after the project ended."),
)
TIMELINE_SHEET = "Value timeline"
HEADLINE_TILES = (
    ("Realised to date", "realised_to_date", "currency"), ("Planned to date", "planned_to_date", "currency"),
    ("Realisation rate", "realisation_rate", "ratio"), ("Erosion of forecast", "erosion", "ratio"),
    ("Erosion vs original baseline", "erosion_original", "ratio"),
    ("Forecast total", "forecast_total", "currency"), ("Planned total", "planned_total", "currency"),
    ("Risk-adjusted forecast", "risk_adjusted_forecast", "currency"), ("NPV", "npv", "currency"),
    ("CPI", "cpi", "ratio"), ("SPI", "spi", "ratio"), ("EAC", "eac", "currency"), ("ROI to date", "roi", "ratio"),
)
RAG_COUNT_ROWS = (("delivery", "Level 1 delivery (projects)"), ("kpi", "Level 2 KPIs (month)"),
                  ("benefits", "Level 3 benefits"), ("benchmarks", "Level 4 benchmarks (position)"),
                  ("sustained", "Level 4 sustained value"))


# -- cells ---------------------------------------------------------------------------------------

def put(cell: Cell, value) -> Cell:
    """Write `value` to `cell`; text is always a string cell, and formula-like text gets a quote prefix."""
    value = finite(value)
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_TEXT]
        cell.value = text
        cell.data_type = "s"  # openpyxl made it a formula if it starts with '='; it is data
        if is_risky_text(text):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def currency_format(code: str | None, decimals: bool = False) -> str:
    """Return an Excel number format for amounts in `code`, e.g. '"£"#,##0;-"£"#,##0'."""
    symbol = currency_prefix(code).replace('"', "")
    body = "#,##0.00" if decimals else "#,##0"
    return f'"{symbol}"{body};-"{symbol}"{body}'


def number_format(name: str, unit: str, value, currency: str | None) -> str | None:
    """Return the Excel number format of one value of column `name` (unit from MEASURES)."""
    if value is None or isinstance(value, bool | str):
        return None
    if isinstance(value, dt.date):
        return "yyyy-mm" if unit == "month" else "yyyy-mm-dd"
    if unit == "currency" or (unit == "number" and currency):
        return currency_format(currency, decimals=abs(value) < 1000 and value != int(value))
    if unit == "ratio":
        return "0.00" if name in INDEX_COLUMNS else "0.0%"
    if unit == "months" or value == int(value):
        return "#,##0"
    return "#,##0.00"


def _note(m: Measure) -> Comment:
    text = m.description or m.label
    if m.spec:
        text += f"\n({m.spec}; column {m.name})"
    comment = Comment(text, "pmo-metrics")
    comment.width, comment.height = 320, 110
    return comment


# -- tables --------------------------------------------------------------------------------------

def _row_currency(table_key: str, row: dict, default: str) -> str | None:
    """Return the currency of a row's plain-number amounts, or None when they are not money."""
    if table_key in ("benefits", "sustained"):
        return row.get("currency") or default if row.get("category") == "financial" else None
    if table_key == "objectives":
        return default  # objective roll-ups are of financial flow benefits in the reporting currency
    if table_key == "kpi":
        unit = (row.get("unit") or "").strip()
        if unit.upper() == default or unit == currency_prefix(default).strip() or str(row["kpi_id"]).startswith(
                "spend:"):
            return default
        return None
    return row.get("currency") or (default if table_key in ("scorecard", "timeline") else None)


class _Styles:
    """Cell style ids (xf indices) of one workbook, registered once per combination through openpyxl."""

    def __init__(self, ws: Worksheet):
        self.ws, self.attrs = ws, {}

    def attr(self, key: tuple, font: Font | None, fill: PatternFill | None, border: Border | None,
             fmt: str | None, quote: bool) -> str:
        """Return the ` s="…"` attribute of a cell with these style objects and format (cached by `key`)."""
        found = self.attrs.get(key)
        if found is None:
            cell = Cell(self.ws)  # not placed in the sheet: only registers the style with the workbook
            if font is not None:
                cell.font = font
            if fill is not None:
                cell.fill = fill
            if border is not None:
                cell.border = border
            if fmt:
                cell.number_format = fmt
            if quote:
                cell.quotePrefix = True
            found = self.attrs[key] = f' s="{cell.style_id}"' if cell.has_style else ""
        return found


_XML_SPECIAL = re.compile("[&<>\r]")
_XML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}  # CR as a reference survives parsing


def _text_xml(ref: str, s: str, text: str) -> str:
    """Return an inline-string cell, as openpyxl writes a string (never a formula)."""
    if _XML_SPECIAL.search(text):
        text = _XML_SPECIAL.sub(lambda m: _XML_ESCAPES[m.group()], text)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _number_text(value) -> str:
    """Return a number as cell text: floats exactly (repr), whole numbers without '.0', as openpyxl."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):  # also datetime: a serial number, as openpyxl writes dates
        value = to_excel(value)
    elif not isinstance(value, float):
        if not isinstance(value, numbers.Number):
            raise TypeError(f"cannot write {type(value).__name__} value {value!r} to a workbook cell")
        value = float(value)
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _body_rows(ws: Worksheet, table: pa.Table, table_key: str, default_currency: str, metas: list[Measure],
               first_row: int, row_style, widths: list[int]) -> list[str]:
    """Return the <row> elements of the table's data rows, and widen `widths` from the first 200 rows.

    Same cells, values, formats, fills and quote prefixes as writing each cell through openpyxl, but
    built column by column as XML text with one style id per combination (openpyxl's own cell
    objects and serialiser cost ~20 µs a cell, 15 s for a 5,000-project portfolio).
    """
    n = table.num_rows
    if n == 0:
        return []
    names = table.column_names
    # Only the columns the row rules read (row kind, currency, category, unit, KPI id).
    keys = [k for k in ("row", "currency", "category", "unit", "kpi_id") if k in names]
    key_cols = [table.column(k).to_pylist() for k in keys]
    row_dicts = [dict(zip(keys, vals, strict=True)) for vals in zip(*key_cols, strict=True)] if keys \
        else [{}] * n
    currencies = [_row_currency(table_key, r, default_currency) for r in row_dicts]
    # Each row's (font, fill, border) before RAG fills; kinds number the distinct ones for cache keys.
    looks: list[tuple] = []
    kinds = []
    for r in row_dicts:
        style = row_style(r) if row_style else None
        look = (style[0], style[1], TOTAL_BORDER if r.get("row") == "total" else None) if style else None
        if look not in looks:
            looks.append(look)
        kinds.append(looks.index(look))
    refs = [str(i) for i in range(first_row + 1, first_row + n + 1)]
    registry = _Styles(ws)
    cells: list[list[str]] = []
    for j, (name, m) in enumerate(zip(names, metas, strict=True)):
        letter = get_column_letter(j + 1)
        is_rag, money = m.unit == "rag", m.unit in ("currency", "number")
        formats: dict[tuple, str | None] = {}
        column = []
        for i, value in enumerate(table.column(name).to_pylist()):
            kind = kinds[i]
            if value is None or value == "" or (value.__class__ is float and not math.isfinite(value)):
                look = looks[kind]
                if look:  # a roll-up row keeps its fill across empty cells
                    column.append(f'<c r="{letter}{refs[i]}"{registry.attr((kind,), *look, None, False)}/>')
                else:
                    column.append("")  # an empty cell costs time and file size for nothing
                continue
            if isinstance(value, str):
                rag = is_rag and value in RAG_WORDS and rag_colour(value) is not None
                text = ILLEGAL_CHARACTERS_RE.sub("", RAG_WORDS[value] if is_rag and value in RAG_WORDS else value)
                text = text[:MAX_TEXT]
                quote = is_risky_text(text)
                key = (kind, rag and value, quote)
                s = registry.attrs.get(key)
                if s is None:
                    font, fill, border = looks[kind] or (None, None, None)
                    if rag:
                        font, fill = BOLD, RAG_FILLS[value]
                    s = registry.attr(key, font, fill, border, None, quote)
                column.append(_text_xml(f"{letter}{refs[i]}", s, text))
                continue
            # A number, bool or date: its format depends on the row's currency and, for amounts, on
            # whether it is whole and below 1,000 (see number_format), so those are the cache key.
            currency = currencies[i] if money else None
            number = isinstance(value, int | float) and not isinstance(value, bool)
            fkey = (value.__class__, currency, value == int(value), abs(value) < 1000) if number \
                else (value.__class__, currency)
            if fkey in formats:
                fmt = formats[fkey]
            else:
                fmt = formats[fkey] = number_format(name, m.unit, value, currency)
            key = (kind, fmt)
            s = registry.attrs.get(key)
            if s is None:
                s = registry.attr(key, *(looks[kind] or (None, None, None)), fmt, False)
            t = "b" if isinstance(value, bool) else "n"
            column.append(f'<c r="{letter}{refs[i]}"{s} t="{t}"><v>{_number_text(value)}</v></c>')
        cells.append(column)
        # Widths from the first rows keep big sheets fast.
        for value in table.column(name).slice(0, 200).to_pylist():
            value = finite(value)
            if value is not None:
                value_out = RAG_WORDS[value] if is_rag and value in RAG_WORDS else value
                shown = len(str(value_out)) if not isinstance(value_out, float) else 12
                widths[j] = max(widths[j], min(40, shown + 2))
    rows = []
    for i, parts in enumerate(zip(*cells, strict=True)):
        body = "".join(parts)
        if body:
            rows.append(f'<row r="{refs[i]}">{body}</row>')
    return rows


def write_table(ws: Worksheet, table: pa.Table, table_key: str, default_currency: str, *,
                columns: dict[str, Measure] | None = None, first_row: int = 1,
                row_style=None) -> list[str]:
    """Write `table`'s header at `first_row` with notes, widths, filter and frozen header; return its rows.

    The header goes through openpyxl; the data rows come back as <row> XML (formats, RAG fills,
    quote prefixes included) for `_save` to put into the sheet, which is many times faster.
    """
    names = table.column_names
    metas = [measure(n, columns) for n in names]
    for j, m in enumerate(metas, start=1):
        cell = put(ws.cell(first_row, j), m.label)
        cell.font, cell.fill, cell.comment = BOLD, HEADER_FILL, _note(m)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [max(8, min(40, len(m.label) + 2)) for m in metas]
    rows = _body_rows(ws, table, table_key, default_currency, metas, first_row, row_style, widths)
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    last = get_column_letter(max(1, len(names)))
    ws.auto_filter.ref = f"A{first_row}:{last}{first_row + max(table.num_rows, 1)}"
    ws.freeze_panes = f"B{first_row + 1}"  # by name: ws.cell() would make an empty row-2 cell
    return rows


def _scorecard_style(row: dict):
    """Return (font, fill) for roll-up rows so programme, portfolio and total rows stand out."""
    return None if row.get("row") == "project" else (BOLD, ROLLUP_FILL)


def _write_scorecard(ws: Worksheet, card: Scorecard) -> list[str]:
    rows = write_table(ws, card.table, "scorecard", card.settings.currency, columns=SCORECARD_COLUMNS,
                row_style=_scorecard_style)
    # Freeze through the project name so the measures scroll under the names.
    names = card.table.column_names
    ws.freeze_panes = f"{get_column_letter(names.index('project_name') + 2)}2"
    for group, cols in COLUMN_GROUPS:
        if group:  # a group's level goes into the first header's note, as the sheet has one header row
            cell = ws.cell(1, names.index(cols[0]) + 1)
            cell.comment = Comment(f"{group}\n\n{cell.comment.text}", "pmo-metrics", width=320, height=130)
    return rows


# -- summary -------------------------------------------------------------------------------------

def _write_summary(ws: Worksheet, card: Scorecard) -> None:
    s, tiles, code = card.settings, card.headline, card.settings.currency
    put(ws["A1"], f"Benefits realisation scorecard {card.month_text}").font = Font(size=16, bold=True)
    facts = (("Scope", card.scope_text), ("Reporting month", card.as_of),
             ("Generated", card.generated.replace(tzinfo=None)),
             ("Currency", f"{code}: amounts in other currencies are not in the totals"),
             ("Projects", tiles.get("projects")), ("Benefits", tiles.get("benefits")))
    row = 3
    for label, value in facts:
        put(ws.cell(row, 1), label).font = BOLD
        cell = put(ws.cell(row, 2), value)
        if label == "Reporting month":
            cell.number_format = "yyyy-mm"
        elif label == "Generated":
            cell.number_format = "yyyy-mm-dd hh:mm"
        cell.alignment = Alignment(horizontal="left")
        row += 1
    if tiles.get("projects_other_currency"):
        put(ws.cell(row, 1), "Note").font = BOLD
        put(ws.cell(row, 2), f"{tiles['projects_other_currency']} project(s) report in another currency and "
                             "are not in the totals.")
        row += 1

    row += 1
    put(ws.cell(row, 1), "Headline").font = Font(size=12, bold=True)
    row += 1
    for k, (label, key, unit) in enumerate(HEADLINE_TILES):
        r, c = row + 2 * (k // 4), 1 + k % 4
        put(ws.cell(r, c), label).font = TILE_LABEL
        value = finite(tiles.get(key))
        cell = put(ws.cell(r + 1, c), value)
        cell.font = TILE_VALUE
        cell.alignment = Alignment(horizontal="left")
        if value is not None:
            cell.number_format = number_format(key, unit, value, code if unit == "currency" else None)
    row += 2 * ((len(HEADLINE_TILES) + 3) // 4) + 1

    put(ws.cell(row, 1), "RAG counts").font = Font(size=12, bold=True)
    row += 1
    for j, label in enumerate(("Level", "Green", "Amber", "Red", "Not rated"), start=1):
        cell = put(ws.cell(row, j), label)
        cell.font, cell.fill = BOLD, HEADER_FILL
        colour = rag_colour(label.lower())
        if colour:
            cell.fill = PatternFill("solid", fgColor=colour.lstrip("#"))
    for key, label in RAG_COUNT_ROWS:
        row += 1
        counts = tiles.get("rag", {}).get(key, {})
        put(ws.cell(row, 1), label)
        for j, rag in enumerate(("green", "amber", "red", "none"), start=2):
            ws.cell(row, j).value = counts.get(rag, 0)
    row += 2

    put(ws.cell(row, 1), "RAG thresholds").font = Font(size=12, bold=True)
    row += 1
    for j, label in enumerate(("Measure", "Green", "Amber", "Red"), start=1):
        cell = put(ws.cell(row, j), label)
        cell.font, cell.fill = BOLD, HEADER_FILL
        colour = rag_colour(label.lower())
        if colour:
            cell.fill = PatternFill("solid", fgColor=colour.lstrip("#"))
    for _key, label, prefix in RAG_LEVELS:
        row += 1
        green, amber = getattr(s, f"{prefix}_green"), getattr(s, f"{prefix}_amber")
        as_text = (lambda v: f"{v:.0%}") if prefix == "benefit" else (lambda v: f"{v:.2f}")
        put(ws.cell(row, 1), label)
        put(ws.cell(row, 2), f"≥ {as_text(green)}")
        put(ws.cell(row, 3), f"≥ {as_text(amber)}")
        put(ws.cell(row, 4), f"< {as_text(amber)}")
    row += 1
    put(ws.cell(row, 1), "Benchmarks: green = top quartile, amber = above median, red = below median. "
                         "Sustained: green = sustained, red = not.").font = TILE_LABEL
    row += 2

    put(ws.cell(row, 1), "Sheets").font = Font(size=12, bold=True)
    contents = (("Scorecard", "One row per project with levels 1 and 3, programme, portfolio and total rows."),
                *((name, text) for name, _key, text in DETAIL_SHEETS),
                (TIMELINE_SHEET, "Cumulative planned, realised and forecast value per month (the chart's data)."))
    for name, text in contents:
        row += 1
        put(ws.cell(row, 1), name)
        put(ws.cell(row, 2), text)
    put(ws.cell(row + 2, 1), "Hover over a column header for the measure's definition.").font = TILE_LABEL

    for letter, width in zip("ABCDE", (30, 18, 18, 18, 12), strict=True):
        ws.column_dimensions[letter].width = width


def _add_value_chart(summary: Worksheet, data: Worksheet, card: Scorecard) -> None:
    """Add a native line chart of cumulative planned, forecast and realised value to the summary."""
    n = card.timeline.num_rows if card.timeline is not None else 0
    if n == 0:
        return
    names = card.timeline.column_names
    chart = LineChart()
    chart.title = f"Cumulative value, as of {card.month_text} ({card.settings.currency})"
    chart.height, chart.width = 9.5, 20
    chart.y_axis.title = card.settings.currency
    chart.y_axis.number_format = currency_format(card.settings.currency)
    chart.y_axis.crossAx = 500
    chart.x_axis = DateAxis(crossAx=100)
    chart.x_axis.number_format = "yyyy-mm"
    chart.x_axis.majorTimeUnit = "months"
    # openpyxl 3.1 marks axes deleted by default, which hides them in current Excel.
    chart.x_axis.delete = chart.y_axis.delete = False
    for key, label, colour, dash in (("planned_cum", "Planned", SERIES_COLOURS["Planned"], None),
                                     ("forecast_cum", "Forecast", SERIES_COLOURS["Forecast"], "dash"),
                                     ("realised_cum", "Realised", SERIES_COLOURS["Realised"], None)):
        col = names.index(key) + 1
        chart.add_data(Reference(data, min_col=col, min_row=2, max_row=n + 1))
        series = chart.series[-1]
        series.tx = SeriesLabel(v=label)  # a short name, not the sheet's long header
        series.smooth = False
        series.graphicalProperties.line.solidFill = colour.lstrip("#")
        series.graphicalProperties.line.width = 28_000  # EMU, about 2.2 pt
        if dash:
            series.graphicalProperties.line.dashStyle = dash
    chart.set_categories(Reference(data, min_col=names.index("period") + 1, min_row=2, max_row=n + 1))
    chart.legend.position = "b"
    summary.add_chart(chart, "F3")


# -- workbook ------------------------------------------------------------------------------------

def _save(wb: Workbook, bodies: dict[Worksheet, list[str]]) -> bytes:
    """Save `wb` with openpyxl, then put each sheet's data rows after its header row.

    openpyxl writes everything else (styles, notes, panes, filters, widths, the chart), so only the
    rows are ours; the sheet's <dimension> is widened to cover them.
    """
    buffer = io.BytesIO()
    wb.save(buffer)
    parts = {ws.path.lstrip("/"): rows for ws, rows in bodies.items() if rows}
    if not parts:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            rows = parts.pop(info.filename, None)
            if rows is not None:
                data = _with_rows(data.decode("utf-8"), rows).encode("utf-8")
            dst.writestr(info, data)
    if parts:
        raise RuntimeError(f"sheets not found in the saved workbook: {sorted(parts)}")
    return out.getvalue()


_DIMENSION = re.compile(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"\s*/>')
_LAST_ROW = re.compile(r'<row r="(\d+)"')


def _with_rows(xml: str, rows: list[str]) -> str:
    """Return sheet XML `xml` with `rows` (after every row openpyxl wrote) at the end of <sheetData>."""
    body = "".join(rows)
    first_new = int(_LAST_ROW.search(rows[0]).group(1))
    if any(int(r) >= first_new for r in _LAST_ROW.findall(xml)):
        raise RuntimeError("openpyxl wrote a row where the table's rows go")  # rows must not repeat
    if "</sheetData>" in xml:
        xml = xml.replace("</sheetData>", body + "</sheetData>", 1)
    else:
        xml = re.sub(r"<sheetData\s*/>", lambda _m: f"<sheetData>{body}</sheetData>", xml, count=1)
    last_row = int(_LAST_ROW.search(rows[-1]).group(1))
    match = _DIMENSION.search(xml)
    if match:
        first_col, first_row, last_col, end_row = match.groups()
        end_row = max(int(end_row or first_row), last_row)
        ref = f'<dimension ref="{first_col}{first_row}:{last_col or first_col}{end_row}" />'
        xml = xml[:match.start()] + ref + xml[match.end():]
    return xml


def to_xlsx(card: Scorecard) -> bytes:
    """Return the scorecard workbook as .xlsx bytes."""
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    _write_summary(summary, card)
    scorecard = wb.create_sheet("Scorecard")
    bodies = {scorecard: _write_scorecard(scorecard, card)}
    code = card.settings.currency
    for name, key, _text in DETAIL_SHEETS:
        ws = wb.create_sheet(name)
        bodies[ws] = write_table(ws, card.tables[key], key, code)
    timeline = wb.create_sheet(TIMELINE_SHEET)
    if card.timeline is not None:
        bodies[timeline] = write_table(timeline, card.timeline, "timeline", code)
        _add_value_chart(summary, timeline, card)
    wb.properties.title = f"Benefits realisation scorecard {card.month_text}"
    wb.properties.subject = card.scope_text
    wb.properties.creator = "pmo-metrics"
    return _save(wb, bodies)
