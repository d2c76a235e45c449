"""Formatting shared by the exporters: units, currency symbols, RAG colours and display text."""

from __future__ import annotations

import datetime as dt
import math

from ..charts import RAG_COLOURS
from ..display import money
from ..measures import MEASURES, Measure
from ..serialise import FORMULA_STARTS

# Ratios that are indices (1.0 = on plan) read better as 0.95 than as 95 %; the other ratios are
# shares or rates and print as percentages.
INDEX_COLUMNS = frozenset({"cpi", "spi", "tcpi", "bcr", "relative_index", "confidence"})
RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red"}
RAG_LEVELS = (("delivery", "Delivery (min of CPI, SPI)", "delivery"),
              ("kpi", "KPI attainment (month)", "kpi"),
              ("benefits", "Benefit realisation rate", "benefit"))


def rag_colour(value: object) -> str | None:
    """Return the app's hex colour of a RAG value (#009E73 green, #E69F00 amber, #D55E00 red), else None."""
    return RAG_COLOURS.get(value) if value in RAG_WORDS else None


def measure(name: str, overrides: dict[str, Measure] | None = None) -> Measure:
    """Return the definition of column `name`: from `overrides`, else MEASURES, else a plain number."""
    if overrides and name in overrides:
        return overrides[name]
    return MEASURES.get(name) or Measure(name, name.replace("_", " ").capitalize(), "number", "", "")


def is_risky_text(value: object) -> bool:
    """Return True when a spreadsheet could read `value` as a formula (SPEC §6)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def finite(value):
    """Return `value`, with NaN and ±inf as None."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def display(name: str, value, unit: str, currency: str | None = None) -> str:
    """Return a value as board-pack text: money compact, rates as %, indices to 2 places, months YYYY-MM."""
    value = finite(value)
    if value is None:
        return ""
    if unit == "rag":
        return RAG_WORDS.get(value, str(value))
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m") if unit == "month" else value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if unit == "currency":
            return money(value, currency)
        if unit == "ratio":
            return f"{value:.2f}" if name in INDEX_COLUMNS else f"{value:.1%}"
        if unit == "months" or isinstance(value, int):
            return f"{value:,.0f}"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)
