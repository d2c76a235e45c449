"""The PDF board pack (fpdf2, pure Python): A4 landscape cover with headline tiles, the headline
chart, one page per level with its charts, then the scorecard table with repeated headings.

Charts are the dashboard's own Altair builders (pmo_metrics.charts) rendered to PNG offline by
vl-convert, so the pack shows what the app shows. Text uses DejaVu when the system has it (Debian's
fonts-dejavu-core), so names in any European script print as typed; without it the pack falls back
to the core Helvetica font and text is reduced to Latin-1 (which still has £).
"""

from __future__ import annotations

import io
import math
import unicodedata
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import vl_convert
from fpdf import FPDF
from fpdf.fonts import FontFace

from .. import charts
from ..measures import CHART_TOP
from .common import RAG_LEVELS, RAG_WORDS, display, measure, rag_colour
from .scorecard import SCORECARD_COLUMNS, Scorecard

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts/dejavu"), Path("/Library/Fonts"), Path("C:/Windows/Fonts"))
FONT_FILES = {("sans", ""): "DejaVuSans.ttf", ("sans", "B"): "DejaVuSans-Bold.ttf",
              ("cond", ""): "DejaVuSansCondensed.ttf", ("cond", "B"): "DejaVuSansCondensed-Bold.ttf"}
# Latin-1 stand-ins for the typographic characters our own text and typical names use.
LATIN1_SUBSTITUTES = {"—": "-", "–": "-", "−": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...",
                      "≥": ">=", "≤": "<=", "€": "EUR", "Σ": "sum", "×": "x", "•": "·", "→": "->", "›": ">"}

MARGIN = 10.0
TEXT = (33, 33, 33)
MUTED = (100, 100, 100)
HEADING_FILL = (232, 232, 232)
ROLLUP_FILL = (242, 242, 242)
SECTION_FILL = (250, 250, 250)

# The scorecard table: column, heading, width in mm (the project column takes what is left).
TABLE_COLUMNS = (("bac", "BAC", 15), ("ac", "AC", 15), ("ev", "EV", 15), ("cpi", "CPI", 10.5),
                 ("spi", "SPI", 10.5), ("eac", "EAC", 15), ("delivery_rag", "RAG", 12),
                 ("planned_to_date", "Planned to date", 16), ("realised_to_date", "Realised to date", 16),
                 ("realisation_rate", "Rate", 12), ("forecast_total", "Forecast total", 16),
                 ("erosion", "Erosion", 12.5), ("erosion_original", "vs orig.", 12.5), ("benefits_rag", "RAG", 12),
                 ("npv", "NPV", 16), ("roi", "ROI", 12.5), ("payback_month", "Payback", 14))
TABLE_GROUPS = (("Level 1 delivery", 7), ("Level 3 benefits to date and forecast", 7), ("Level 3 returns", 3))


def find_fonts(dirs=FONT_DIRS) -> dict[tuple[str, str], Path] | None:
    """Return the DejaVu font files by (family, style), or None when any is missing."""
    for folder in dirs:
        paths = {key: folder / name for key, name in FONT_FILES.items()}
        if all(p.is_file() for p in paths.values()):
            return paths
    return None


class BoardPack(FPDF):
    """A4 landscape pages with a running footer: scope, month and 'Page n of N'."""

    def __init__(self, card: Scorecard, unicode_fonts: bool = True):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.card = card
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=14)
        fonts = find_fonts() if unicode_fonts else None
        if fonts:
            for (family, style), path in fonts.items():
                self.add_font(family, style, str(path))
            self.sans, self.cond, self.unicode = "sans", "cond", True
        else:
            self.sans, self.cond, self.unicode = "helvetica", "helvetica", False
        self.set_title(f"Benefits realisation board pack {card.month_text}")
        self.set_subject(self.clean(card.scope_text))
        self.set_creator("pmo-metrics")
        self.set_author("pmo-metrics")

    def clean(self, text: object) -> str:
        """Return `text` printable in the current fonts: control characters dropped, unknown glyphs as '?'."""
        text = "".join(" " if ch in "\t\r\n" else ch for ch in str(text) if ch in "\t\r\n"
                       or unicodedata.category(ch) != "Cc")
        if self.unicode:
            cmap = self.fonts[self.sans].cmap
            return "".join(ch if ord(ch) in cmap else "?" for ch in text)
        text = "".join(LATIN1_SUBSTITUTES.get(ch, ch) for ch in text)
        return text.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False, condensed: bool = False, colour=TEXT) -> None:
        """Set the font by role rather than by family name."""
        self.set_font(self.cond if condensed else self.sans, "B" if bold else "", size)
        self.set_text_color(*colour)

    def footer(self) -> None:
        self.set_y(-10)
        self.font(7.5, colour=MUTED)
        left = f"Benefits realisation board pack · {self.card.scope_text} · {self.card.month_text}"
        self.cell(0, 5, self.clean(left), align="L")
        self.set_x(MARGIN)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    def heading(self, text: str, sub: str | None = None) -> None:
        """Print a page heading and an optional one-line explanation."""
        self.font(16, bold=True)
        self.cell(0, 9, self.clean(text), new_x="LMARGIN", new_y="NEXT")
        if sub:
            self.font(9, colour=MUTED)
            self.multi_cell(0, 4.5, self.clean(sub), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)


# -- charts --------------------------------------------------------------------------------------

def chart_png(chart) -> bytes:
    """Return an Altair chart as PNG bytes (vl-convert, offline, 2x for print)."""
    return vl_convert.vegalite_to_png(charts.inline_spec(chart), scale=2)


def _png_size(png: bytes) -> tuple[int, int]:
    """Return (width, height) in pixels from a PNG's IHDR chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _place_chart(pdf: BoardPack, build: Callable[[], object], x: float, y: float, w: float, h: float) -> float:
    """Draw the chart `build()` returns at the top of the box, as large as fits; return the height used."""
    try:
        png = chart_png(build())
    except Exception as exc:  # one broken chart must not cost the manager the whole pack
        warnings.warn(f"board pack chart failed: {exc}", stacklevel=2)
        pdf.set_xy(x, y)
        pdf.font(9, colour=MUTED)
        pdf.multi_cell(w, 5, pdf.clean(f"Chart not available: {exc}"))
        return 10.0
    px_w, px_h = _png_size(png)
    scale = min(w / px_w, h / px_h)
    # Top-aligned and centred across: fpdf2's keep_aspect_ratio would centre vertically and leave a gap above.
    pdf.image(io.BytesIO(png), x=x + (w - px_w * scale) / 2, y=y, w=px_w * scale, h=px_h * scale)
    return px_h * scale


# -- pages ---------------------------------------------------------------------------------------

TILES = (("Realised to date", "realised_to_date", "currency", "benefit"),
         ("Realisation rate", "realisation_rate", "ratio", "benefit"),
         ("Forecast total", "forecast_total", "currency", None),
         ("Erosion of forecast", "erosion", "ratio", None),
         ("CPI", "cpi", "ratio", "delivery"), ("SPI", "spi", "ratio", "delivery"),
         ("NPV", "npv", "currency", None), ("ROI to date", "roi", "ratio", None))


def _tile_rag(card: Scorecard, key: str, prefix: str | None) -> str | None:
    value = card.headline.get(key)
    if prefix is None or value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    green, amber = getattr(card.settings, f"{prefix}_green"), getattr(card.settings, f"{prefix}_amber")
    return "green" if value >= green else "amber" if value >= amber else "red"


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _cover(pdf: BoardPack, card: Scorecard) -> None:
    pdf.add_page()
    pdf.font(24, bold=True)
    pdf.cell(0, 14, "Benefits realisation board pack", new_x="LMARGIN", new_y="NEXT")
    pdf.font(14)
    pdf.cell(0, 8, pdf.clean(f"{card.as_of:%B %Y} · {card.scope_text}"), new_x="LMARGIN", new_y="NEXT")
    pdf.font(9, colour=MUTED)
    tiles = card.headline
    other = tiles.get("projects_other_currency") or 0
    facts = (f"Reporting month {card.month_text}. Generated {card.generated:%Y-%m-%d %H:%M %Z}. "
             f"{tiles.get('projects', 0)} projects, {tiles.get('benefits', 0)} benefits. "
             f"Amounts in {card.settings.currency}"
             + (f"; {other} project(s) in other currencies are not in the totals." if other else "."))
    pdf.multi_cell(0, 5, pdf.clean(facts.replace("  ", " ")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    width = (pdf.epw - 3 * 4) / 4
    top = pdf.get_y()
    for k, (label, key, unit, prefix) in enumerate(TILES):
        x, y = MARGIN + (k % 4) * (width + 4), top + (k // 4) * 27
        rag = _tile_rag(card, key, prefix)
        pdf.set_fill_color(*ROLLUP_FILL)
        pdf.rect(x, y, width, 23, style="F")
        if rag:  # a coloured bar plus the word, so colour is never the only signal
            pdf.set_fill_color(*_hex_rgb(rag_colour(rag)))
            pdf.rect(x, y, 2.5, 23, style="F")
        pdf.set_xy(x + 5, y + 2.5)
        pdf.font(9, colour=MUTED)
        pdf.cell(width - 7, 5, pdf.clean(label + (f" · {RAG_WORDS[rag]}" if rag else "")))
        pdf.set_xy(x + 5, y + 9)
        pdf.font(18, bold=True)
        text = display(key, tiles.get(key), unit, card.settings.currency) or "–"
        pdf.cell(width - 7, 10, pdf.clean(text))
    pdf.set_y(top + 2 * 27 + 2)

    # RAG legend (the thresholds in force for this pack) on the left, RAG counts per level on the right.
    pdf.font(11, bold=True)
    legend_top = pdf.get_y()
    pdf.cell(118, 7, "RAG thresholds", new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(MARGIN + 126, legend_top)
    pdf.cell(0, 7, "RAG by level")
    _place_chart(pdf, lambda: charts.rag_counts_chart(card.headline.get("rag", {})), MARGIN + 126,
                 legend_top + 8, pdf.epw - 126, 62)
    pdf.set_xy(MARGIN, legend_top + 7)
    s = card.settings
    with pdf.table(col_widths=(52, 22, 22, 22), width=118, align="LEFT", line_height=5.5,
                   headings_style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL), text_align="LEFT") as t:
        pdf.font(9)
        head = t.row()
        head.cell("Measure")
        for word in ("green", "amber", "red"):
            head.cell(RAG_WORDS[word], style=FontFace(emphasis="BOLD", fill_color=_hex_rgb(rag_colour(word))))
        for _key, label, prefix in RAG_LEVELS:
            green, amber = getattr(s, f"{prefix}_green"), getattr(s, f"{prefix}_amber")
            fmt = (lambda v: f"{v:.0%}") if prefix == "benefit" else (lambda v: f"{v:.2f}")
            row = t.row()
            for text in (label, f"≥ {fmt(green)}", f"≥ {fmt(amber)}", f"< {fmt(amber)}"):
                row.cell(pdf.clean(text))
        row = t.row()
        for text in ("Benchmark position", "top quartile", "above median", "below median"):
            row.cell(text)
    pdf.ln(3)
    pdf.font(8, colour=MUTED)
    pdf.multi_cell(118, 4, pdf.clean(
        "Delivery uses earned value (SPEC §4 level 1); benefits count financial flow benefits in the reporting "
        "currency; roll-ups recompute every ratio from summed amounts. The Excel scorecard of the same month "
        "holds every figure behind this pack, with each measure's definition in its column header."))


def _charts_block(pdf: BoardPack, builds: list[Callable[[], object]], height: float) -> None:
    """Draw one full-width chart, or two side by side, at most `height` mm tall and within the page."""
    room = pdf.h - 14 - pdf.get_y() - 2
    if room < 35:  # too little left for a legible chart: start a new page
        pdf.add_page()
        room = pdf.h - 14 - pdf.get_y() - 2
    height, top = min(height, room), pdf.get_y()
    if len(builds) == 1:
        used = _place_chart(pdf, builds[0], MARGIN, top, pdf.epw, height)
    else:
        width = (pdf.epw - 8) / 2
        used = max(_place_chart(pdf, build, MARGIN + k * (width + 8), top, width, height)
                   for k, build in enumerate(builds))
    pdf.set_xy(MARGIN, top + used + 4)


def _small_table(pdf: BoardPack, title: str, df: pd.DataFrame, columns: tuple[tuple[str, str], ...],
                 currency: str, max_rows: int = 10) -> None:
    """Print a compact table of the named columns under a page's charts (the workbook has them all)."""
    if df is None or df.empty:
        return
    shown = df.head(max_rows)
    pdf.font(10, bold=True)
    extra = f" (first {max_rows} of {len(df)})" if len(df) > max_rows else ""
    pdf.cell(0, 6, pdf.clean(title + extra), new_x="LMARGIN", new_y="NEXT")
    first = 70.0
    rest = (min(pdf.epw, 70 + 28 * (len(columns) - 1)) - first) / max(1, len(columns) - 1)
    heading = FontFace(emphasis="BOLD", fill_color=HEADING_FILL, size_pt=7.5)
    pdf.font(7.5, condensed=True)
    with pdf.table(col_widths=(first, *([rest] * (len(columns) - 1))), width=first + rest * (len(columns) - 1),
                   align="LEFT", line_height=4.2, headings_style=heading, padding=(0.5, 1.0, 0.5, 1.0),
                   text_align=("LEFT",) + ("RIGHT",) * (len(columns) - 1)) as table:
        head = table.row()
        for _name, label in columns:
            head.cell(label)
        for row in shown.to_dict("records"):
            cells = table.row()
            for name, _label in columns:
                unit = measure(name, SCORECARD_COLUMNS).unit
                if unit == "number" and (row.get("unit") == currency or str(row.get("kpi_id")).startswith("spend:")):
                    unit = "currency"  # portfolio spend and KPIs kept in the reporting currency
                value = row.get(name)
                value = None if value is None or (isinstance(value, float) and math.isnan(value)) else value
                if hasattr(value, "date") and unit == "month":
                    value = value.date()
                money = row.get("currency") or currency
                colour = rag_colour(value) if unit == "rag" else None
                style = FontFace(emphasis="BOLD", fill_color=_hex_rgb(colour)) if colour else None
                align = "CENTER" if unit == "rag" else "LEFT" if isinstance(value, str) else "RIGHT"
                cells.cell(pdf.clean(display(name, value, unit, money)), style=style, align=align)


def _row_label(row: dict) -> str:
    kind = row["row"]
    if kind == "project":
        return " ".join(str(v) for v in (row["project_id"], row.get("project_name")) if v)
    if kind == "programme":
        return f"Programme total: {row['programme'] or '(no programme)'}"
    if kind == "portfolio":
        return f"Portfolio total: {row['portfolio']}"
    return f"Total of the scope ({row.get('currency')})"


ROW_HEIGHT = 4.6
BORDER = (190, 190, 190)


def _fit(pdf: BoardPack, text: str, width: float) -> str:
    """Return `text` cut with an ellipsis so it fits `width` mm in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    ellipsis = "…" if pdf.unicode else "..."
    while text and pdf.get_string_width(text + ellipsis) > width:
        text = text[:-1]
    return text + ellipsis


def _table_header(pdf: BoardPack, widths: list[float]) -> None:
    """Draw the two heading rows of the scorecard table (repeated on every page of it)."""
    pdf.set_draw_color(*BORDER)
    pdf.set_fill_color(*HEADING_FILL)
    pdf.font(7, bold=True, condensed=True)
    x = MARGIN + widths[0]
    pdf.set_xy(MARGIN, pdf.get_y())
    pdf.cell(widths[0], ROW_HEIGHT, "", border=1, fill=True)
    start = 1
    for label, span in TABLE_GROUPS:
        width = sum(widths[start:start + span])
        pdf.cell(width, ROW_HEIGHT, label, border=1, fill=True, align="C")
        x += width
        start += span
    top = pdf.get_y() + ROW_HEIGHT
    height = 7.4
    x = MARGIN
    for k, (head, width) in enumerate(zip(("Project", *[h for _c, h, _w in TABLE_COLUMNS]), widths, strict=True)):
        pdf.rect(x, top, width, height, style="DF")
        pdf.set_xy(x, top + 0.4)
        pdf.multi_cell(width, 3.3, head, align="L" if k == 0 else "R", padding=(0, 0.8))
        x += width
    pdf.set_xy(MARGIN, top + height)


def _scorecard_table(pdf: BoardPack, card: Scorecard, progress: Callable[[float, str], None],
                     max_pages: int = 5) -> None:
    """Draw the scorecard's totals, portfolios and programmes on at most `max_pages` pages (the Excel
    workbook has one row per project); rows that do not fit are counted in a closing note."""
    if max_pages < 1:
        return
    pdf.add_page()
    pdf.heading("Scorecard", "Programme, portfolio and scope totals, each ratio recomputed from summed amounts. "
                             "Money is shortened (k = thousand, m = million, bn = billion); the Excel scorecard "
                             "has exact figures and one row per project.")
    last_page = pdf.page_no() + max_pages - 1
    widths = [0.0, *[w for _c, _h, w in TABLE_COLUMNS]]
    widths[0] = pdf.epw - sum(widths)
    bottom = pdf.h - 14
    pdf.set_auto_page_break(False)  # page breaks are ours, so the headings repeat
    _table_header(pdf, widths)

    def room_for(rows: int) -> bool:
        if pdf.get_y() + rows * ROW_HEIGHT > bottom:
            if pdf.page_no() >= last_page:
                return False
            pdf.add_page()
            _table_header(pdf, widths)
        return True

    rows = [row for row in card.table.to_pylist() if row["row"] != "project"]
    for index, row in enumerate(rows):
        rollup = True
        if not room_for(2):  # keep a line for the note
            pdf.font(7, colour=MUTED)
            pdf.cell(pdf.epw, ROW_HEIGHT, pdf.clean(f"… and {len(rows) - index} more rows: see the Excel workbook."),
                     new_x="LMARGIN", new_y="NEXT")
            break
        pdf.font(7, bold=rollup, condensed=True)
        pdf.set_fill_color(*ROLLUP_FILL)
        pdf.cell(widths[0], ROW_HEIGHT, _fit(pdf, pdf.clean(_row_label(row)), widths[0] - 2), border=1,
                 fill=rollup)
        for (column, _h, _w), width in zip(TABLE_COLUMNS, widths[1:], strict=True):
            unit = SCORECARD_COLUMNS[column].unit
            text = pdf.clean(display(column, row[column], unit, row.get("currency")))
            colour = rag_colour(row[column]) if unit == "rag" else None
            if colour:
                pdf.set_fill_color(*_hex_rgb(colour))
                pdf.font(7, bold=True, condensed=True)
            pdf.cell(width, ROW_HEIGHT, text, border=1, fill=bool(colour) or rollup,
                     align="C" if unit == "rag" else "R")
            if colour:
                pdf.set_fill_color(*ROLLUP_FILL)
                pdf.font(7, bold=rollup, condensed=True)
        pdf.ln(ROW_HEIGHT)
        if index % 250 == 0:
            progress(0.6 + 0.35 * index / max(1, len(rows)), "writing the scorecard table")
    pdf.set_auto_page_break(True, margin=14)


def _watch_list(delivery: pd.DataFrame) -> pd.DataFrame:
    """Return the red and amber projects, worst min(CPI, SPI) first."""
    if delivery.empty:
        return delivery
    df = delivery[delivery["rag"].isin(["red", "amber"])].copy()
    df["basis"] = df[["cpi", "spi"]].min(axis=1)
    df["project"] = df["project_id"].astype(str) + " " + df["project_name"].fillna("").astype(str)
    return df.sort_values(["basis", "project_id"])


MAX_PAGES = 12  # SPEC §11: the board pack stays a board pack at any scale; the workbook has every row


def _frame(table) -> pd.DataFrame:
    return table.to_pandas() if table is not None and hasattr(table, "to_pandas") else pd.DataFrame()


def to_pdf(card: Scorecard, progress: Callable[[float, str], None] = lambda f, t: None,
           unicode_fonts: bool = True) -> bytes:
    """Return the board pack as PDF bytes, at most MAX_PAGES pages at any scale (project-level detail
    is in the Excel workbook); `progress(fraction, text)` is told as pages are built."""
    pdf = BoardPack(card, unicode_fonts=unicode_fonts)
    currency = card.settings.currency
    s = card.settings
    t = {name: table.to_pandas() for name, table in card.tables.items()}
    c = {name: _frame(table) for name, table in card.chart_tables.items() if name != "level"}
    level = card.chart_tables.get("level", "portfolio")
    timeline = card.timeline.to_pandas() if card.timeline is not None else pd.DataFrame()
    board = card.table.to_pandas()
    progress(0.0, "cover")
    _cover(pdf, card)
    _story_page(pdf, card)

    kpi = t["kpi"][t["kpi"]["grain"] == "year"] if not t["kpi"].empty else t["kpi"]
    kpi = kpi[~kpi["kpi_id"].str.startswith("spend:")] if not kpi.empty else kpi
    portfolios = board[board["row"] == "portfolio"].rename(columns={"benefits_rag": "rag"})
    objectives = t["objectives"].copy()
    benefit_thresholds = (s.benefit_green, s.benefit_amber)

    def charts_(*builds, height):
        return ("charts", list(builds), height)

    def table_(title, df, *columns):
        return ("table", title, df, columns)

    pages = (
        ("Planned, forecast and realised value",
         "Cumulative value of financial benefits: the plan, the current forecast and what has been realised, "
         "to the reporting month and beyond.",
         [charts_(lambda: charts.value_timeline_chart(timeline, card.as_of, currency), height=90),
          table_("Benefits by portfolio", portfolios, ("portfolio", "Portfolio"),
                 ("planned_to_date", "Planned to date"),
                 ("realised_to_date", "Realised to date"), ("realisation_rate", "Realisation rate"),
                 ("forecast_total", "Forecast total"), ("erosion", "Erosion"),
                 ("erosion_original", "vs original"), ("rag", "RAG"))]),
        ("Level 1 · Delivery",
         f"Are projects delivered on cost and schedule? CPI against SPI per project (size = BAC), and per {level} "
         f"(the {CHART_TOP} largest by budget).",
         [charts_(lambda: charts.delivery_quadrant_chart(t["delivery"], currency, c.get("density")),
                  lambda: charts.delivery_rollup_chart(c.get("rollup"), level), height=95),
          table_("Projects to watch (red and amber, worst first)", _watch_list(t["delivery"]),
                 ("project", "Project"), ("programme", "Programme"), ("cpi", "CPI"), ("spi", "SPI"), ("eac", "EAC"),
                 ("vac", "VAC"), ("rag", "RAG"))]),
        ("Level 2 · KPIs",
         "Year to date: each KPI's attainment (right of the tick is better); the worst first.",
         [charts_(lambda: charts.kpi_bullet_chart(kpi, grain="year", thresholds=(s.kpi_green, s.kpi_amber)),
                  height=80),
          table_("KPIs, year to date", kpi.assign(kpi=kpi["kpi_name"].fillna(kpi["kpi_id"])).sort_values(
              "attainment") if not kpi.empty else kpi,
                 ("kpi", "KPI"), ("unit", "Unit"), ("actual", "Actual"), ("budget", "Budget"), ("target", "Target"),
                 ("var_target_pct", "Var. to target"), ("attainment", "Attainment"), ("rag", "RAG"))]),
        ("Level 3 · Performance",
         f"Benefits realised against plan to date (financial flow benefits), per strategic objective and per {level}.",
         [charts_(lambda: charts.realisation_chart(c.get("realisation_objective"), currency, benefit_thresholds),
                  lambda: charts.realisation_chart(c.get("realisation_group"), currency, benefit_thresholds),
                  height=70),
          table_("Strategic objectives", objectives, ("strategic_objective", "Objective"),
                 ("planned_to_date", "Planned to date"), ("realised_to_date", "Realised to date"),
                 ("realisation_rate", "Realisation rate"), ("rag", "RAG"), ("kpi_attainment", "KPI attainment"),
                 ("kpi_rag", "KPI RAG"))]),
        ("Level 4 · Competitive advantage",
         "Our standing against peers, and value sustained after projects closed "
         f"(the {CHART_TOP} largest benefits and the rest summed).",
         [charts_(lambda: charts.benchmark_gap_chart(t["benchmarks"]),
                  lambda: charts.sustained_chart(c.get("sustained"), currency), height=80),
          table_("Benchmarks", t["benchmarks"], ("metric", "Metric"), ("period", "Period"),
                 ("our_value", "Our value"), ("peer_median", "Peer median"), ("peer_top_quartile", "Top quartile"),
                 ("gap_to_median", "Gap to median"), ("position", "Position"))]),
        ("Top risks",
         "Where the most value is at risk: planned total − risk-adjusted forecast (forecast × confidence), "
         "financial flow benefits.",
         [table_("Benefits with the most value at risk", c.get("risk_benefits"), ("benefit_name", "Benefit"),
                 ("project_name", "Project"), ("value_at_risk", "Value at risk"),
                 ("planned_total", "Planned total"), ("realisation_rate", "Realisation rate"), ("rag", "RAG")),
          table_("Projects with the most value at risk", c.get("risk_projects"), ("project_name", "Project"),
                 ("project_id", "Code"), ("value_at_risk", "Value at risk"), ("planned_total", "Planned total"),
                 ("rag", "Delivery RAG"))]),
    )
    bmap = c.get("benefit_map")
    if bmap is not None and not bmap.empty and (bmap["kind"] == "node").any():  # SPEC §10.2: only with a map
        pages += (("Benefit map",
                   "What the projects deliver and why: projects → enablers → outcomes → benefits → objectives. "
                   "Colour and shape give the RAG, size the value; an A marks open RAID assumptions.",
                   [charts_(lambda: charts.benefit_map_chart(bmap, currency), height=125)]),)
    for k, (title, sub, blocks) in enumerate(pages):
        progress(0.05 + 0.5 * k / len(pages), f"drawing charts: {title}")
        pdf.add_page()
        pdf.heading(title, sub)
        for block in blocks:
            if block[0] == "charts":
                _charts_block(pdf, block[1], block[2])
            else:
                _small_table(pdf, *block[1:], currency=currency)
                pdf.ln(4)
    progress(0.6, "writing the scorecard table")
    _scorecard_table(pdf, card, progress, max_pages=MAX_PAGES - pdf.page_no())
    progress(0.95, "saving the PDF")
    return bytes(pdf.output())


# -- the month's story (SPEC §8.3: the board pack's second page) -------------------------------------

STORY_MORE = 10  # changes listed after the five headlines
STORY_COMMENTS = 8  # latest commentary entries
STORY_COMMENT_CHARS = 420


def _names(card: Scorecard) -> dict[tuple[str, str], str]:
    """Return (entity type, id) -> the name the pack prints for it."""
    names = {}
    for kind, table, key, name in (("project", "delivery", "project_id", "project_name"),
                                   ("benefit", "benefits", "benefit_id", "benefit_name"),
                                   ("kpi", "kpi", "kpi_id", "kpi_name")):
        if table in card.tables:
            for row in card.tables[table].select([key, name]).to_pylist():
                names[(kind, row[key])] = row[name] or row[key]
    return names


def _story_page(pdf: BoardPack, card: Scorecard) -> None:
    """Print the month's story: the five most important changes as sentences, the next ones, and the
    latest commentary with its month and who gave it; one page, whatever the size of the portfolio."""
    from ..story import headlines

    story = card.story.to_pylist() if card.story is not None else []
    pdf.add_page()
    month = story[0]["from_month"] if story else None
    since = f" since {month:%B %Y}" if month else ""
    pdf.heading(f"The month's story{since}",
                "The most important changes in delivery ratings, benefits, forecasts, membership, KPIs and "
                "commentary, each written from the changes measures table (pmo-metrics measures changes).")
    bottom = pdf.h - 16
    top = headlines(story)
    if not top:
        pdf.font(11, colour=MUTED)
        pdf.multi_cell(0, 6, "No earlier reporting month is stored, or nothing changed since it.",
                       new_x="LMARGIN", new_y="NEXT")
    pdf.font(12)
    for number, text in enumerate(top, start=1):
        pdf.multi_cell(0, 6.5, pdf.clean(f"{number}. {text}"), align="L", new_x="LMARGIN", new_y="NEXT")
    rest = [row["sentence"] for row in story if row["sentence"] not in top][:STORY_MORE]
    if rest:
        pdf.ln(2)
        pdf.font(10, bold=True)
        more = len(story) - len(top)
        pdf.cell(0, 6, pdf.clean(f"Also changed ({len(rest)} of {more})"), new_x="LMARGIN", new_y="NEXT")
        pdf.font(9)
        for text in rest:
            if pdf.get_y() > bottom - 40:
                break
            pdf.multi_cell(0, 4.6, pdf.clean(f"• {text}"), align="L", new_x="LMARGIN", new_y="NEXT")
    comments = card.commentary.to_pylist() if card.commentary is not None else []
    if comments and pdf.get_y() < bottom - 20:
        pdf.ln(3)
        pdf.font(10, bold=True)
        pdf.cell(0, 6, "Latest commentary", new_x="LMARGIN", new_y="NEXT")
        names = _names(card)
        for row in comments[:STORY_COMMENTS]:
            if pdf.get_y() > bottom - 12:
                break
            who = f" · {row['user_name']}" if row.get("user_name") else ""
            label = {"benefit": "Benefit ", "kpi": "KPI "}.get(row["entity_type"], "")
            name = names.get((row["entity_type"], row["entity_id"]), row["entity_id"])
            pdf.font(8.5, bold=True)
            pdf.multi_cell(0, 4.4, pdf.clean(f"{label}{name} · {row['month']:%Y-%m}{who}"),
                           new_x="LMARGIN", new_y="NEXT")
            text = " ".join(str(row["commentary"]).split())
            if len(text) > STORY_COMMENT_CHARS:
                text = text[:STORY_COMMENT_CHARS - 1].rstrip() + "…"
            pdf.font(8.5)
            pdf.multi_cell(0, 4.4, pdf.clean(text), align="L", new_x="LMARGIN", new_y="NEXT")
