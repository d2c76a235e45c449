"""Forgiving parsing of the value styles SPEC §2 accepts: money as text, dates in many styles.

Dates in text columns are parsed in Python over the column's *distinct* values (a month column
has a handful), numbers in SQL over whole columns (money columns have many distinct values).
"""

from __future__ import annotations

import datetime as dt
import re

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01, after Excel's 1900 leap-year bug
MIN_SERIAL, MAX_SERIAL = 1, 2_958_465  # 1900-01-01 .. 9999-12-31

# Tried in order. Day-first for slashed dates (SPEC §2: 31/10/2026 is 31 October).
_DATE_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d", "%d/%m/%Y", "%d/%m/%y",
    "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y", "%b %d, %Y",
    "%B %d, %Y",
)
_MONTH_FORMATS = (
    "%Y-%m", "%Y/%m", "%Y.%m", "%b-%y", "%b-%Y", "%b %y", "%b %Y", "%B %Y", "%B-%Y", "%B %y",
    "%b%y", "%b%Y", "%m/%Y", "%m-%Y", "%Y%m",
)
_SERIAL_RE = re.compile(r"^\d+(\.\d+)?$")
# ISO months and dates, by far the most common, decided without trying every format in turn
# (each failed strptime raises: ~0.3 ms a value, paid for each of a wide sheet's month headers).
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")
_SPACES_RE = re.compile(r"\s+")


def serial_to_date(serial: float) -> dt.date | None:
    """Return the date of an Excel serial number, or None outside Excel's range."""
    if not MIN_SERIAL <= serial <= MAX_SERIAL:
        return None
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def parse_date_text(text: str) -> dt.date | None:
    """Return the date a text cell means, or None. Accepts SPEC §2's styles and Excel serials."""
    cleaned = _SPACES_RE.sub(" ", str(text).strip())
    if not cleaned:
        return None
    if iso := _ISO_RE.match(cleaned):
        try:
            return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3) or 1))
        except ValueError:
            return None
    if _SERIAL_RE.match(cleaned):
        if len(cleaned) == 6 and cleaned[:2] in ("19", "20"):  # 202610 means October 2026
            return _strptime(cleaned, ("%Y%m",))
        return serial_to_date(float(cleaned))
    # "Sept" is common in British workbooks; strptime only knows "Sep".
    cleaned = re.sub(r"(?i)\bsept\b", "Sep", cleaned)
    return _strptime(cleaned, _DATE_FORMATS) or _strptime(cleaned, _MONTH_FORMATS)


def parse_period_text(text: str) -> dt.date | None:
    """Return the first day of the calendar month a text cell means, or None."""
    day = parse_date_text(text)
    return day.replace(day=1) if day else None


def _strptime(text: str, formats: tuple[str, ...]) -> dt.date | None:
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


# ISO codes accepted around an amount ("GBP 1,200", "1,200 EUR"); other letters make it an error.
CURRENCY_CODES = ("GBP", "USD", "EUR", "CHF", "JPY", "AUD", "CAD", "NZD", "SEK", "NOK", "DKK",
                  "INR", "ZAR", "SGD", "HKD", "CNY", "PLN")
_CODES = "|".join(CURRENCY_CODES)
# A comma followed by other than a group of three digits is a decimal comma ("12,5", "1.200,50"):
# refused with its own message, never read as a thousands separator (12,5 is not 125).
DECIMAL_COMMA = r"[0-9][.][0-9]{3},[0-9]|,([0-9]{1,2}|[0-9]{4,})([^0-9]|$)"

# DuckDB macros: text -> DOUBLE or NULL. They accept currency symbols and codes, thousands
# separators (comma, space, non-breaking space, apostrophe), accounting negatives "(1,200)", a
# trailing minus, and percentages ("85%" -> 0.85). A European "1.200,50" is refused rather
# than silently read as 1.2005.
_clean = (
    "regexp_replace(regexp_replace(trim(s), '(?i)^(" + _CODES + r")\s*|\s*(" + _CODES + r")$', '', 'g'), "
    "'[£$€¥₹\\s\u00a0'',]', '', 'g')"
)
PARSE_NUMBER_MACRO = (
    "CREATE OR REPLACE TEMP MACRO clean_number(s) AS " + _clean + ";\n"
    # "nan", "inf" and "1e400" cast to doubles that are not numbers a sheet can mean (and one NaN
    # turns every total it reaches into NaN): they are unreadable, as "abc" is.
    "CREATE OR REPLACE TEMP MACRO finite_or_null(x) AS (CASE WHEN isfinite(x) THEN x END);\n"
    "CREATE OR REPLACE TEMP MACRO parse_number_text(s) AS finite_or_null(\n"
    "  CASE\n"
    "    WHEN regexp_matches(trim(s), '" + DECIMAL_COMMA + "') THEN NULL\n"
    "    WHEN regexp_full_match(clean_number(s), '\\((.*)\\)%?') THEN\n"
    "      -1 * TRY_CAST(regexp_replace(clean_number(s), '[()%]', '', 'g') AS DOUBLE)\n"
    "         * (CASE WHEN contains(clean_number(s), '%') THEN 0.01 ELSE 1 END)\n"
    "    WHEN regexp_full_match(clean_number(s), '[0-9.eE+]+-') THEN\n"
    "      -1 * TRY_CAST(rtrim(clean_number(s), '-') AS DOUBLE)\n"
    "    WHEN ends_with(clean_number(s), '%') THEN\n"
    "      TRY_CAST(rtrim(clean_number(s), '%') AS DOUBLE) / 100\n"
    "    ELSE TRY_CAST(clean_number(s) AS DOUBLE)\n"
    "  END);\n"
    # Plain decimals ("1234.5", "-20") are most cells of a sheet of numbers stored as text, and
    # mean exactly what the rules above make of them: cast those directly (11x faster on 4M cells).
    # Up to 15 integer digits, so the cast is always finite. So are amounts as finance systems
    # export them, "£1,234,567.50": a symbol and groups of three, which the rules above only strip
    # (20x faster than them on 900k cells; the clean-up runs up to five times a cell there). The
    # symbol can only lead and the commas only group, so stripping them needs no regex (4x faster).
    "CREATE OR REPLACE TEMP MACRO parse_number(s) AS (\n"
    "  CASE WHEN regexp_full_match(s, '-?[0-9]{1,15}([.][0-9]+)?') THEN CAST(s AS DOUBLE)\n"
    "       WHEN regexp_full_match(s, '[£$€¥₹]?[0-9]{1,3}(,[0-9]{3}){0,4}([.][0-9]+)?')\n"
    "         THEN CAST(replace(ltrim(s, '£$€¥₹'), ',', '') AS DOUBLE)\n"
    "       ELSE parse_number_text(s) END);\n"
)


# -- fiscal periods (SPEC §7.5) ----------------------------------------------------------------

MONTH, QUARTER, YEAR = "month", "quarter", "year"
GRAINS = (MONTH, QUARTER, YEAR)


class FiscalError(ValueError):
    """A period label that names a fiscal period the fiscal-year-start setting cannot place."""


_YEARS = r"(\d{4})\s*[-/–]\s*(\d{2}|\d{4})"  # 2024-25, 2024/25, 2024-2025
_FY_RANGE = re.compile(rf"^fy\s*{_YEARS}$|^{_YEARS}$")
_FY_SHORT = re.compile(r"^fy\s*'?(\d{2}|\d{4})$")
_Q_RANGE = re.compile(rf"^q([1-4])\s*(?:fy\s*)?{_YEARS}$|^(?:fy\s*)?{_YEARS}\s*q([1-4])$")
_Q_FY = re.compile(r"^q([1-4])\s*fy\s*'?(\d{2}|\d{4})$|^fy\s*'?(\d{2}|\d{4})\s*q([1-4])$")
_Q_CALENDAR = re.compile(r"^(\d{4})\s*q([1-4])$|^q([1-4])\s*(\d{4})$")


def _full_year(text: str) -> int:
    return int(text) if len(text) == 4 else 2000 + int(text)


def _add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def fiscal_year_start(end_year: int, fy_start: int) -> dt.date:
    """Return the first month of the fiscal year that ends in calendar year `end_year`."""
    return dt.date(end_year - 1, fy_start, 1) if fy_start > 1 else dt.date(end_year, 1, 1)


def _range_end_year(first: str, second: str, fy_start: int, text: str) -> int:
    start, end = int(first), _full_year(second) if len(second) == 4 else int(first[:2] + second)
    if end != start + 1:
        raise FiscalError(f"{text!r} is not a fiscal year: the second year must follow the first (e.g. 2024-25)")
    if fy_start == 1:
        raise FiscalError(f"{text!r} names a fiscal year spanning two calendar years, but the fiscal year "
                          "starts in January (setting fiscal_year_start_month = 1): set it to the month "
                          "your fiscal year starts, e.g. 4 for April")
    return end


def _is_ambiguous_month(first: str, second: str) -> bool:
    """2011-12 may be a month (December 2011) or a fiscal year (2011-12): a month unless told otherwise."""
    return len(second) == 2 and 1 <= int(second) <= 12 and int(second) == (int(first) + 1) % 100


def parse_fiscal_text(text: str, fy_start: int, prefer_fiscal: bool = False) -> tuple[dt.date, str] | None:
    """Return (last month, grain) of a fiscal year or quarter label, or None when `text` is not one.

    FY2024-25, 2024-25, 2024/25, FY25 (the fiscal year ending in 2025), Q3 2025-26, Q1 FY26 are
    fiscal periods under `fy_start` (the month the fiscal year starts); 2025 Q1 and Q1 2025 are
    calendar quarters. A bare 2011-12 is a month unless `prefer_fiscal` (the column holds other
    fiscal years). Raises FiscalError for a label the setting cannot place.
    """
    cleaned = _SPACES_RE.sub(" ", str(text).strip().lower())
    if not cleaned:
        return None
    if match := _FY_RANGE.match(cleaned):
        first, second = match.group(1) or match.group(3), match.group(2) or match.group(4)
        if match.group(3) and _is_ambiguous_month(first, second) and not prefer_fiscal:
            return None
        if match.group(3) and len(second) == 2 and int(second) != (int(first) + 1) % 100:
            return None  # 2024-10 is a month, not a fiscal year; left to the month parser
        end = _range_end_year(first, second, fy_start, text)
        return _add_months(fiscal_year_start(end, fy_start), 11), YEAR
    if match := _FY_SHORT.match(cleaned):
        return _add_months(fiscal_year_start(_full_year(match.group(1)), fy_start), 11), YEAR
    if match := _Q_RANGE.match(cleaned):
        groups = match.groups()
        quarter = int(groups[0] or groups[5])
        first, second = (groups[1], groups[2]) if groups[0] else (groups[3], groups[4])
        end = _range_end_year(first, second, fy_start, text)
        return _add_months(fiscal_year_start(end, fy_start), 3 * quarter - 1), QUARTER
    if match := _Q_FY.match(cleaned):
        quarter = int(match.group(1) or match.group(4))
        end = _full_year(match.group(2) or match.group(3))
        return _add_months(fiscal_year_start(end, fy_start), 3 * quarter - 1), QUARTER
    if match := _Q_CALENDAR.match(cleaned):
        year, quarter = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        return dt.date(int(year), 3 * int(quarter), 1), QUARTER
    return None


def looks_fiscal(text: str) -> bool:
    """Return True when `text` can only be a fiscal year or quarter label (never a month)."""
    cleaned = _SPACES_RE.sub(" ", str(text).strip().lower())
    if match := _FY_RANGE.match(cleaned):
        return bool(match.group(1)) or not _is_ambiguous_month(match.group(3), match.group(4)) and \
            len(match.group(4)) == 2 and int(match.group(4)) == (int(match.group(3)) + 1) % 100
    return bool(_FY_SHORT.match(cleaned) or _Q_RANGE.match(cleaned) or _Q_FY.match(cleaned)
                or _Q_CALENDAR.match(cleaned))


def parse_period_grain(text: str, fy_start: int = 1, prefer_fiscal: bool = False) -> tuple[dt.date | None, str | None]:
    """Return (month, grain) a period cell means: a fiscal year or quarter's last month, else its month.

    Raises FiscalError for a fiscal label the fiscal-year-start setting cannot place.
    """
    fiscal = parse_fiscal_text(text, fy_start, prefer_fiscal)
    if fiscal is not None:
        return fiscal
    month = parse_period_text(text)
    return (month, MONTH) if month else (None, None)


def period_label(month: dt.date, grain: str | None, fy_start: int = 1) -> str:
    """Return how a period is labelled for its grain: Oct 2026, Q3 2025-26, FY 2024-25 (or Q1 2025, FY 2025)."""
    if grain not in (QUARTER, YEAR):
        return month.strftime("%b %Y")
    end_year = month.year + (1 if fy_start > 1 and month.month >= fy_start else 0)
    name = f"{end_year - 1}-{end_year % 100:02d}" if fy_start > 1 else f"{end_year}"
    if grain == YEAR:
        return f"FY {name}"
    quarter = (month.month - fy_start) % 12 // 3 + 1
    return f"Q{quarter} {name}"


# -- money units (SPEC §7.4) -------------------------------------------------------------------

UNIT_FACTORS = {"units": 1.0, "thousands": 1e3, "millions": 1e6, "billions": 1e9}
_UNIT_SPELLINGS = {
    "units": ("units", "unit", "ones", "1", ""),
    "thousands": ("thousands", "thousand", "k", "000", "000s", "£000", "£000s", "$000", "€000", "£k", "$k", "€k"),
    "millions": ("millions", "million", "m", "mn", "mm", "£m", "£mn", "$m", "$mn", "€m", "€mn"),
    "billions": ("billions", "billion", "bn", "b", "£bn", "$bn", "€bn", "£b", "$b"),
}
_UNIT_LOOKUP = {spelling: name for name, spellings in _UNIT_SPELLINGS.items() for spelling in spellings}
UNIT_CHOICES = "units, thousands (k, 000, £000), millions (m, mn, £m) or billions (bn)"


def parse_units(text: object) -> str | None:
    """Return the canonical unit (units, thousands, millions, billions) a unit text means, or None."""
    cleaned = re.sub(r"\s+", "", str(text or "").lower())
    return _UNIT_LOOKUP.get(cleaned)


_UNIT_WORD = r"(?:000s?|k|mn|m|bn|thousands?|millions?|billions?)"
_HEADER_UNIT = re.compile(
    rf"\s*[(\[]\s*(?:in\s+)?(?P<a>[£$€]?\s*{_UNIT_WORD})\s*[)\]]\s*$"      # Whole Life Cost (£m), Cost [000s]
    rf"|\s+(?:in\s+)?(?P<b>[£$€]\s*{_UNIT_WORD})\s*$"                      # Budget £000, Cost in £m
    r"|\s+(?:in\s+)?(?P<c>thousands|millions|billions)\s*$", re.IGNORECASE)  # Cost in millions


def header_unit(header: object) -> tuple[str, str] | None:
    """Return (header without its unit, canonical unit) for a header that states a money unit, else None."""
    text = str(header or "")
    match = _HEADER_UNIT.search(text)
    if not match or match.start() == 0:
        return None
    unit = parse_units(match.group("a") or match.group("b") or match.group("c"))
    return (text[: match.start()].strip(), unit) if unit else None


# -- withheld markers (SPEC §7.3) and safe text (SPEC §7.8) ------------------------------------

# Text that is plainly a number: the two shortcuts of parse_number, in one RE2 pattern.
PLAIN_NUMBER_RE = r"-?[0-9]{1,15}([.][0-9]+)?|[£$€¥₹]?[0-9]{1,3}(,[0-9]{3}){0,4}([.][0-9]+)?"


def markers_may_look_numeric(markers: str) -> bool:
    """Return True when a withheld marker of the setting could match text that is plainly a number
    (one that starts with a digit, a sign or a currency symbol)."""
    return any(m.strip().lstrip()[:1] in tuple("-0123456789£$€¥₹") for m in str(markers).split(",")
               if m.strip())


def withheld_pattern(markers: str) -> str:
    """Return an RE2 pattern matching lower-cased cell text that is a withheld marker.

    `markers` is the setting: comma-separated, a trailing * meaning "starts with".
    """
    parts = []
    for marker in str(markers).split(","):
        marker = _SPACES_RE.sub(" ", marker.strip().lower())
        prefix = marker.endswith("*")
        marker = marker.rstrip("*").strip()
        if not marker:
            continue
        escaped = "".join("\\" + c if c in r"\.^$|?*+()[]{}" else c for c in marker)
        parts.append(f"{escaped}.*" if prefix else escaped)
    return "^(" + "|".join(parts) + ")$" if parts else "^$a"  # "$a" never matches


# Control characters: C0 but tab, newline and carriage return; DEL and C1; and the _xHHHH_
# escapes a workbook stores them as (a reader may hand either over).
CONTROL_CHARS = (r"[\x{00}-\x{08}\x{0B}\x{0C}\x{0E}-\x{1F}\x{7F}-\x{9F}]"
                 r"|(?i:_x00(?:0[0-8bcef]|1[0-9a-f]|7f|[89][0-9a-f])_)")
LINE_CHARS = r"[\x{09}\x{0A}\x{0D}]|(?i:_x000[9ad]_)"  # allowed only in commentary
# Zero-width and bidirectional controls: they make two ids that look the same differ.
INVISIBLE_CHARS = r"[\x{00AD}\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{2064}\x{2066}-\x{2069}\x{FEFF}]"
MAX_AMOUNT = 1e13  # SPEC §7.8: larger amounts are typing errors (or attempts to overflow a total)


# -- command-line arguments ----------------------------------------------------------------

def parse_month_argument(text: str) -> dt.date:
    """Return the month of a YYYY-MM argument; raise ValueError with a readable message."""
    month = parse_period_text(text) if text else None
    if month is None:
        raise ValueError(f"{text!r} is not a month; expected YYYY-MM such as 2026-10")
    return month


def parse_units_argument(text: str) -> str:
    """Return the canonical money unit of a --units argument; raise ValueError with a readable message."""
    unit = parse_units(text)
    if unit is None:
        raise ValueError(f"{text!r} is not a money unit; expected {UNIT_CHOICES}")
    return unit
