"""Scorecard exports (SPEC §5): Excel workbook, PDF board pack and CSV, each returned as bytes.

    from pmo_metrics.exports import write_scorecard
    data = write_scorecard(store, date(2026, 10, 1), Scope(portfolio="Digital"), "xlsx")

All three formats render one `Scorecard` (see `build_scorecard`), so they show the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ..measures import Scope
from .scorecard import Scorecard, build_scorecard

__all__ = ["FORMATS", "MEDIA_TYPES", "Scorecard", "build_scorecard", "render_scorecard", "write_scorecard"]

FORMATS = ("xlsx", "pdf", "csv")
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "pdf": "application/pdf", "csv": "text/csv"}

Progress = Callable[[float, str], None]


def _noop(_fraction: float, _text: str) -> None:
    pass


def render_scorecard(card: Scorecard, fmt: str, progress: Progress | None = None) -> bytes:
    """Return an already built scorecard as bytes in `fmt` ('xlsx', 'pdf' or 'csv')."""
    fmt = fmt.lower().lstrip(".")
    if fmt == "xlsx":
        from .xlsx import to_xlsx
        return to_xlsx(card)
    if fmt == "pdf":
        from .pdf import to_pdf
        return to_pdf(card, progress or _noop)
    if fmt == "csv":
        from .csvfile import to_csv_bytes
        return to_csv_bytes(card)
    raise ValueError(f"unknown scorecard format {fmt!r}; choose one of {', '.join(FORMATS)}")


def write_scorecard(store, as_of: dt.date, scope: Scope | None = None, fmt: str = "xlsx",
                    progress: Progress | None = None) -> bytes:
    """Return the scorecard of reporting month `as_of` and `scope` as .xlsx, .pdf or .csv bytes."""
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"unknown scorecard format {fmt!r}; choose one of {', '.join(FORMATS)}")
    progress = progress or _noop
    progress(0.0, "computing the measures")
    card = build_scorecard(store, as_of, scope or Scope())
    progress(0.2, f"writing the {fmt} file")
    data = render_scorecard(card, fmt, _scaled(progress, 0.2, 1.0))
    progress(1.0, "done")
    return data


def _scaled(progress: Progress, start: float, end: float) -> Progress:
    """Return a callback that maps a renderer's 0..1 onto start..end of the caller's bar."""
    return lambda fraction, text: progress(start + (end - start) * min(max(fraction, 0.0), 1.0), text)
