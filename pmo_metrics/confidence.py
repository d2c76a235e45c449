"""Delivery confidence (SPEC §8.1): reading a rating cell, and its place on the RAG scale.

A project's delivery confidence arrives on a five-point scale (green, amber/green, amber,
amber/red, red), a three-point one (green, amber, red) or as a number 1 (red) ... 5 (green), in
any case and punctuation (`Amber/Green`, `amber-green`, `AMBER GREEN`). A withheld marker
(`exempt ...`, `n/a`, `tbc`, ...) is no rating: the cell is stored blank, with no error. The
canonical values are the keys of schema.CONFIDENCE_SCALE; the SQL side (sql/macros/common.sql)
maps them to a delivery RAG where a project has no earned value.
"""

from __future__ import annotations

import re

from .schema import CONFIDENCE_SCALE

COLUMN = "delivery_confidence"

# SPEC §7.3 default withheld markers: text starting with one of PREFIXES, or exactly one of EXACT.
WITHHELD_PREFIXES = ("exempt", "withheld", "redacted", "commercially sensitive")
WITHHELD_EXACT = ("n/a", "na", "not applicable", "not available", "tbc")

# Best first, so a rating's rank is its place here (green 5 ... red 1), as the numbers run.
SCALE = tuple(CONFIDENCE_SCALE)
RANK = {value: len(SCALE) - k for k, value in enumerate(SCALE)}
# The delivery RAG a rating stands for (SPEC §8.1).
RAG = {"green": "green", "amber/green": "green", "amber": "amber", "amber/red": "red", "red": "red"}

_WORDS = {"green": "green", "amber": "amber", "red": "red", "g": "green", "a": "amber", "r": "red"}
_NUMBERS = {1: "red", 2: "amber/red", 3: "amber", 4: "amber/green", 5: "green"}


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip().lower())


def is_withheld(text: object) -> bool:
    """Return True when a cell's text is a withheld marker rather than a rating."""
    folded = _folded(text)
    return folded in WITHHELD_EXACT or folded.startswith(WITHHELD_PREFIXES)


def canonical(text: object) -> str | None:
    """Return the canonical rating a cell's text means, or None when it means none."""
    folded = _folded(text)
    try:
        number = float(folded)
    except ValueError:
        number = None
    if number is not None:
        return _NUMBERS.get(int(number)) if number.is_integer() else None
    words = [_WORDS.get(word) for word in re.split(r"[^a-z]+", folded) if word]
    if not words or None in words:
        return None
    if len(words) == 1:
        return words[0]
    if len(words) == 2 and words[0] == "amber" and words[1] in ("green", "red"):
        return f"amber/{words[1]}"
    if len(words) == 2 and words[1] == "amber" and words[0] in ("green", "red"):
        return f"amber/{words[0]}"  # "Green/Amber" is the same point as "Amber/Green"
    return None


def not_withheld_sql(raw_text: str) -> str:
    """Return SQL giving `raw_text` (a SQL expression over a cell's text) blank when it is a withheld marker."""
    folded = f"lower(trim({raw_text}))"
    # The markers are this module's constants, never text from a file.
    prefixes = " OR ".join(f"starts_with({folded}, '{p}')" for p in WITHHELD_PREFIXES)
    exact = ", ".join(f"'{e}'" for e in WITHHELD_EXACT)
    return f"CASE WHEN {folded} IN ({exact}) OR {prefixes} THEN NULL ELSE {raw_text} END"


EXPECTED = ("a delivery confidence: green, amber/green, amber, amber/red or red (also 1 = red ... 5 = green), "
            "or a withheld marker such as n/a or exempt")
