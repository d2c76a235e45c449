"""Claimed and validated realisation (SPEC §9.3): the checks a validation request passes before it is stored.

The measures are SQL (sql/macros/validation.sql, benefit_rows); the writes go through
actions.validate_benefit / actions.withdraw_validation to the store. See docs/governance.md.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

MAX_TEXT = 2000  # evidence: a note or a link, not a document


def check_text(text: str | None, what: str) -> str:
    """Return `text` stripped; raise ValueError when it is empty, too long or holds control characters."""
    text = (text or "").strip()
    if not text:
        raise ValueError(f"the {what} is empty: say what shows the values are real (a note or a link)"
                         if what == "evidence" else f"the {what} is empty")
    if len(text) > MAX_TEXT:
        raise ValueError(f"the {what} is {len(text):,} characters long; at most {MAX_TEXT:,} are kept")
    bad = [c for c in text if unicodedata.category(c) in ("Cc", "Cf") and c not in "\t\n"]
    if bad:
        raise ValueError(f"the {what} holds a control character (U+{ord(bad[0]):04X}); remove it")
    return text


def month_of(value: dt.date | str, what: str) -> dt.date:
    """Return the first day of the month `value` names (a date or `YYYY-MM` text); ValueError otherwise."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:7] + "-01") if len(text) == 7 else dt.date.fromisoformat(text).replace(day=1)
    except ValueError:
        raise ValueError(f"the {what} month {text!r} is not a month written YYYY-MM, such as 2026-03") from None


def check_request(benefit_id: str, from_month, to_month, evidence: str) -> tuple[str, dt.date, dt.date, str]:
    """Return the request normalised (benefit id, first months of the range, evidence); ValueError naming the fault."""
    benefit_id = unicodedata.normalize("NFKC", (benefit_id or "").strip())
    if not benefit_id:
        raise ValueError("name the benefit to validate")
    start, end = month_of(from_month, "from"), month_of(to_month, "to")
    if start > end:
        raise ValueError(f"the range runs backwards: from {start:%Y-%m} to {end:%Y-%m}")
    return benefit_id, start, end, check_text(evidence, "evidence")
