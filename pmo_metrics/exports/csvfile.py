"""The scorecard as CSV: UTF-8 with a byte-order mark, formula-neutralised text (SPEC §5, §6).

The BOM is there for Excel, which otherwise reads UTF-8 as the local code page and turns '£' into
'Â£'; Python (`encoding="utf-8-sig"`), pandas, DuckDB and LibreOffice all skip it. The rest is the
measures CSV of `pmo_metrics.serialise.to_csv`: empty cells for empty values, months as YYYY-MM,
plain decimals (ratios as fractions), and a quote before text starting with = + - @ tab or CR.
"""

from __future__ import annotations

from ..serialise import to_csv
from .scorecard import Scorecard

BOM = "\ufeff"


def to_csv_bytes(card: Scorecard) -> bytes:
    """Return the scorecard table as UTF-8 CSV bytes with a BOM."""
    return (BOM + to_csv(card.table)).encode("utf-8")
