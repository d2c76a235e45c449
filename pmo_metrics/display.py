"""How the product shows a figure or a user's text, the same on every page, chart and export:
one money format, RAG-safe percentages, scope in words, text that stays text (SPEC §7.4, §11)."""

from __future__ import annotations

import json
import math

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


def scope_words(portfolio: str | None, programme: str | None, objective: str | None, mark=str) -> str:
    """Return a scope in words, 'Portfolio Digital, programme Platforms', or 'All portfolios';
    `mark` is applied to each name (the pages escape them for Markdown)."""
    parts = [f"{label} {mark(value)}" for label, value in (("portfolio", portfolio), ("programme", programme),
                                                           ("objective", objective)) if value]
    words = ", ".join(parts)
    return words[0].upper() + words[1:] if parts else "All portfolios"
