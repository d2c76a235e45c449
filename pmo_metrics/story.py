"""The month's story (SPEC §8.3): a plain sentence for each row of the `changes` measures table.

The sentences are written from the row's own columns by fixed templates, so the same table
always reads the same way and every figure in a sentence is one the table holds. Names and
commentary are the users' text: they are placed in the sentence as they are (pages show the
sentence as plain text, never as Markdown).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyarrow as pa

from .display import money
from .settings import Settings

if TYPE_CHECKING:
    import pandas as pd

HEADLINES = 5  # the overview and the board pack open with this many

_RANK = {"green": 0, "amber": 1, "red": 2}
_CONFIDENCE_RANK = {"green": 5, "amber/green": 4, "amber": 3, "amber/red": 2, "red": 1}
_COMMENT_LENGTH = 140


def _figure(value: float | None, percent: bool, thresholds: tuple[float, float] = ()) -> str:
    """Return an index (0.82) or a rate (88.0%) with enough digits that the figure never seems to sit
    on the other side of a RAG threshold than it does (SPEC §11: 94.96% is amber, not "95.0%")."""
    if value is None or not math.isfinite(value):
        return "—"
    scale, digits = (100.0, 1) if percent else (1.0, 2)
    while digits < 6:
        shown = round(value * scale, digits)
        if all((shown >= round(t * scale, digits)) == (value >= t) for t in thresholds):
            break
        digits += 1
    text = f"{value * scale:.{digits}f}"
    return f"{text}%" if percent else text


def _verb(from_rank: int, to_rank: int) -> str:
    return "fell" if to_rank > from_rank else "rose"


def _quote(text: str | None) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= _COMMENT_LENGTH else text[:_COMMENT_LENGTH - 1].rstrip() + "…"


def _name(row: dict) -> str:
    name = row.get("entity_name") or row.get("entity_id") or ""
    if row.get("entity_type") == "benefit" and row.get("project_name"):
        return f"{name} ({row['project_name']})"
    return str(name)


def sentence(row: dict, settings: Settings | None = None) -> str:
    """Return the sentence for one `changes` row (SPEC §8.3), written by the template of its kind."""
    settings = settings or Settings()
    kind, name = row.get("kind"), _name(row)
    old, new = row.get("from_value"), row.get("to_value")
    if kind == "delivery_rag":
        if row.get("basis") == "delivery_confidence":
            why = f"delivery confidence {row.get('basis_text')}"
        elif row.get("basis") in ("cpi", "spi"):
            why = f"{row['basis'].upper()} " + _figure(row.get("basis_value"), False,
                                                       (settings.delivery_green, settings.delivery_amber))
        else:
            why = ""
        if old is None:
            return f"{name} is now rated {new}" + (f": {why}" if why else "")
        if new is None:
            return f"{name} is no longer rated (was {old}): it has no earned value or delivery confidence"
        return f"{name} {_verb(_RANK[old], _RANK[new])} from {old} to {new}" + (f": {why}" if why else "")
    if kind == "delivery_confidence":
        if old is None:
            return f"{name} now reports a delivery confidence of {new}"
        if new is None:
            return f"{name} no longer reports a delivery confidence (was {old})"
        verb = "fell" if _CONFIDENCE_RANK[new] < _CONFIDENCE_RANK[old] else "rose"
        return f"{name}'s delivery confidence {verb} from {old} to {new}"
    if kind in ("benefit_rag", "kpi_rag"):
        label, thresholds = (("realisation rate", (settings.benefit_green, settings.benefit_amber))
                             if kind == "benefit_rag" else ("attainment", (settings.kpi_green, settings.kpi_amber)))
        subject = f"KPI {name}" if kind == "kpi_rag" else f"Benefit {name}"
        why = f"{label} {_figure(row.get('basis_value'), True, thresholds)}"
        if old is None:
            return f"{subject} is now rated {new}: {why}"
        if new is None:
            return f"{subject} is no longer rated (was {old})"
        return f"{subject} {_verb(_RANK[old], _RANK[new])} from {old} to {new}: {why}"
    if kind == "forecast":
        delta, pct, currency = row.get("delta") or 0.0, row.get("delta_pct"), row.get("currency")
        share = f" ({'+' if delta > 0 else '−'}{_figure(abs(pct), True)})" if pct is not None else ""
        verb = "fell" if delta < 0 else "rose"
        return (f"The forecast of {name} {verb} by {money(abs(delta), currency)}{share} "
                f"to {money(row.get('basis_value'), currency)}")
    if kind in ("joined", "left"):
        portfolio = row.get("portfolio")
        where = f" {portfolio}" if portfolio else " the portfolio"
        bac = row.get("money")
        size = f" (BAC {money(bac, row.get('currency'))})" if bac is not None and math.isfinite(bac) else ""
        return f"{name} {'joined' if kind == 'joined' else 'left'}{where}{size}"
    if kind == "commentary":
        subject = {"benefit": "benefit ", "kpi": "KPI "}.get(row.get("entity_type"), "")
        return f"New commentary on {subject}{name}: “{_quote(row.get('basis_text'))}”"
    return f"{name}: {old} → {new}"


def with_sentences(table: pa.Table, settings: Settings | None = None) -> pa.Table:
    """Return the `changes` table with its `sentence` column appended."""
    texts = [sentence(row, settings) for row in table.to_pylist()]
    return table.append_column("sentence", pa.array(texts, pa.string()))


def headlines(table: pa.Table | pd.DataFrame | list[dict], n: int = HEADLINES) -> list[str]:
    """Return the sentences of the `n` most important changes (a `changes` table, as Arrow or pandas, or
    its rows), one per project, benefit or KPI: a project whose rating moved because its confidence did
    reads once, not twice."""
    seen, out = set(), []
    for row in _rows_in_order(table):  # the query orders the rows most important first
        key = (row.get("entity_type"), row.get("entity_id"))
        if key in seen:
            continue
        seen.add(key)
        out.append(row["sentence"])
        if len(out) == n:
            break
    return out


def _rows_in_order(table: pa.Table | pd.DataFrame | list[dict], chunk: int = 256) -> Iterator[dict]:
    """Yield a table's rows as dicts, a slice at a time: the headlines need the first few of thousands, and
    turning the whole table into dicts cost a third of a second on the large store."""
    if isinstance(table, list):
        yield from table
        return
    for start in range(0, len(table), chunk):
        if isinstance(table, pa.Table):
            yield from table.slice(start, chunk).to_pylist()
        else:
            yield from table.iloc[start:start + chunk].to_dict("records")
