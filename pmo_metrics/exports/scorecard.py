"""The scorecard as data: one row per project with the headline measures of each level, roll-ups
per programme and portfolio and a scope total, plus the measures tables behind it.

Every export format (xlsx, pdf, csv) renders one `Scorecard`, so all three show the same numbers.
Project rows copy the measures tables; roll-up rows follow SPEC §4:
- delivery comes from `delivery_rollup` (PV, EV, AC, BAC summed, ratios recomputed);
- benefit amounts are the sums of the projects' financial `flow` benefits in the row's currency,
  and realisation rate and erosion are recomputed from those sums (never averaged);
- ROI is recomputed from summed realised benefits and actual cost; NPV re-discounts each project's
  NPV from its own first month to the group's first month, which is exactly the NPV of the group's
  summed cash flows (the way `headline` discounts a portfolio); payback is left empty.
The total row is `headline` for the scope (money in the reporting currency only).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field

import pyarrow as pa

from ..display import scope_words
from ..measures import (
    CHART_TOP,
    MEASURES,
    Measure,
    Scope,
    benefit_map,
    changes,
    commentary_history,
    delivery_density,
    delivery_rollup,
    headline,
    measure_tables,
    over_tables,
    realisation,
    rollup_top,
    side_by_side,
    sustained_top,
    value_at_risk,
    value_timeline,
)
from ..settings import Settings

# The measures tables an export carries behind the scorecard (SPEC §5), in sheet order.
DETAIL_TABLES = ("delivery", "kpi", "benefits", "returns", "objectives", "benchmarks", "sustained")


def _own(name: str, label: str, unit: str, description: str, spec: str) -> Measure:
    return Measure(name, label, unit, description, spec)


# Scorecard columns in order. Most reuse a measures definition; the two RAG columns and the row kind
# need their own, because one scorecard row carries the RAG of two levels.
_BENEFIT_SUM = "Σ over the row's financial flow benefits (in the row's currency). "
SCORECARD_COLUMNS: dict[str, Measure] = {
    "row": _own("row", "Row", "text",
                "project, or a programme / portfolio roll-up, or the total of the scope.", "SPEC §4"),
    "portfolio": MEASURES["portfolio"],
    "programme": MEASURES["programme"],
    "project_id": MEASURES["project_id"],
    "project_name": MEASURES["project_name"],
    "stage": MEASURES["stage"],
    "currency": MEASURES["currency"],
    "bac": MEASURES["bac"],
    "ac": MEASURES["ac"],
    "ev": MEASURES["ev"],
    "cpi": MEASURES["cpi"],
    "spi": MEASURES["spi"],
    "eac": MEASURES["eac"],
    "delivery_rag": _own("delivery_rag", "Delivery RAG", "rag",
                         "From min(CPI, SPI) against the delivery thresholds.", "SPEC §4 level 1"),
    "planned_to_date": _own("planned_to_date", "Planned to date", "currency",
                            _BENEFIT_SUM + "Σ planned_value to date.", "SPEC §4 level 3"),
    "realised_to_date": _own("realised_to_date", "Realised to date", "currency",
                             _BENEFIT_SUM + "Σ realised_value to date.", "SPEC §4 level 3"),
    "realisation_rate": _own("realisation_rate", "Realisation rate", "ratio",
                             "Realised to date / planned to date (financial flow benefits).", "SPEC §4 level 3"),
    "forecast_total": _own("forecast_total", "Forecast total", "currency",
                           _BENEFIT_SUM + "Realised to date + Σ forecast_value after the month.", "SPEC §4 level 3"),
    "erosion": _own("erosion", "Erosion", "ratio",
                    "(Forecast total − planned total) / planned total (financial flow benefits).",
                    "SPEC §4 level 3"),
    "erosion_original": _own("erosion_original", "Erosion vs original baseline", "ratio",
                             "(Forecast total − original baseline total) / original baseline total: erosion "
                             "before any approved re-baseline (financial flow benefits).", "SPEC §9.2"),
    "benefits_rag": _own("benefits_rag", "Benefits RAG", "rag",
                         "From the realisation rate against the benefit thresholds.", "SPEC §4 level 3"),
    "npv": MEASURES["npv"],
    "roi": MEASURES["roi"],
    "payback_month": MEASURES["payback_month"],
}

# Which level each scorecard column belongs to, for grouped headings.
COLUMN_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("", ("row", "portfolio", "programme", "project_id", "project_name", "stage", "currency")),
    ("Level 1 delivery", ("bac", "ac", "ev", "cpi", "spi", "eac", "delivery_rag")),
    ("Level 3 benefits", ("planned_to_date", "realised_to_date", "realisation_rate", "forecast_total", "erosion",
                          "erosion_original", "benefits_rag")),
    ("Level 3 returns", ("npv", "roi", "payback_month")),
)

_ARROW_TYPES = {"text": pa.string(), "rag": pa.string(), "month": pa.date32()}


@dataclass(frozen=True)
class Scorecard:
    """Everything one export shows: the scorecard rows, the tables behind them and the headline."""

    as_of: dt.date
    scope: Scope
    settings: Settings
    generated: dt.datetime
    headline: dict
    table: pa.Table
    tables: dict[str, pa.Table] = field(default_factory=dict)
    timeline: pa.Table | None = None
    # What the board pack's charts show, from the measures layer (SPEC §11): realisation per objective
    # and portfolio, the delivery roll-up's largest groups, sustained value, value at risk, density.
    chart_tables: dict[str, pa.Table] = field(default_factory=dict)
    story: pa.Table | None = None  # the `changes` table since the previous stored month (SPEC §8.3)
    commentary: pa.Table | None = None  # each commented entity's latest commentary to date (SPEC §8.2)

    @property
    def scope_text(self) -> str:
        """Return the scope in words, e.g. 'Portfolio Digital, programme Platforms' or 'All portfolios'."""
        return scope_words(self.scope.portfolio, self.scope.programme, self.scope.objective)

    @property
    def month_text(self) -> str:
        """Return the reporting month as `YYYY-MM`."""
        return self.as_of.strftime("%Y-%m")


def rag(value: float | None, green: float, amber: float) -> str | None:
    """Return green/amber/red for `value` against the thresholds (SPEC §4), None when there is no value."""
    if value is None:
        return None
    return "green" if value >= green else "amber" if value >= amber else "red"


def _finite(value):
    """Return `value`, with NaN and ±inf as None."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _to_table(rows: pa.Table, total: dict | None) -> pa.Table:
    """Return the scorecard rows (and the total row) as a table of SCORECARD_COLUMNS, NaN and ±inf
    as empty."""
    import pyarrow.compute as pc  # as measures.py: only exports need it

    arrays = {}
    for name, measure in SCORECARD_COLUMNS.items():
        kind = _ARROW_TYPES.get(measure.unit, pa.float64())
        array = rows.column(name).cast(kind).combine_chunks() if rows.num_rows else pa.array([], kind)
        if total is not None:
            array = pa.concat_arrays([array, pa.array([total.get(name)], kind)])
        if pa.types.is_floating(kind):
            array = pc.if_else(pc.is_finite(array), array, pa.scalar(None, kind))
        arrays[name] = array
    return pa.table(arrays)


def _rollups(store, tables: dict[str, pa.Table], as_of: dt.date, scope: Scope, settings: Settings) -> dict:
    """Return the programme and portfolio delivery roll-ups, summed from the scorecard's delivery table."""
    return {level: delivery_rollup(store, as_of, level, scope, settings, delivery=tables["delivery"])
            for level in ("programme", "portfolio")}


def _group_rows(store, tables: dict[str, pa.Table], rollups: dict[str, pa.Table], as_of: dt.date, scope: Scope,
                settings: Settings) -> pa.Table:
    """Return the project, programme and portfolio rows: sql/queries/scorecard_rows.sql over the tables
    already built and their delivery roll-ups."""
    return over_tables(store, "scorecard_rows", as_of, scope, settings, {
        "scorecard_delivery": tables["delivery"], "scorecard_benefits": tables["benefits"],
        "scorecard_returns": tables["returns"], "scorecard_programmes": rollups["programme"],
        "scorecard_portfolios": rollups["portfolio"]})


def _total_row(tiles: dict, settings: Settings) -> dict:
    """Return the total row: the headline of the scope (money in the reporting currency only)."""
    cpi, spi = _finite(tiles.get("cpi")), _finite(tiles.get("spi"))
    rate = _finite(tiles.get("realisation_rate"))
    basis = None if cpi is None or spi is None else min(cpi, spi)
    return {
        "row": "total", "currency": settings.currency,
        "bac": tiles.get("bac"), "ac": tiles.get("ac"), "ev": tiles.get("ev"), "cpi": cpi, "spi": spi,
        "eac": tiles.get("eac"), "delivery_rag": rag(basis, settings.delivery_green, settings.delivery_amber),
        "planned_to_date": tiles.get("planned_to_date"), "realised_to_date": tiles.get("realised_to_date"),
        "realisation_rate": rate, "forecast_total": tiles.get("forecast_total"),
        "erosion": tiles.get("erosion"), "erosion_original": tiles.get("erosion_original"),
        "benefits_rag": rag(rate, settings.benefit_green, settings.benefit_amber),
        "npv": tiles.get("npv"), "roi": tiles.get("roi"),
    }


def build_scorecard(store, as_of: dt.date, scope: Scope | None = None, settings: Settings | None = None,
                    generated: dt.datetime | None = None) -> Scorecard:
    """Return the scorecard of reporting month `as_of` and `scope`, with the tables behind it."""
    settings, scope = settings or store.settings(), scope or Scope()
    as_of = as_of.replace(day=1)
    # Read side by side; nothing is computed twice: objectives, the roll-ups, the rows and the
    # headline tiles are summed from the tables already built (only the portfolio NPV reads its own
    # small summary). The timeline needs none of them, nor the rows the tiles.
    read = side_by_side({"tables": functools.partial(measure_tables, store, DETAIL_TABLES, as_of, scope, settings),
                         "timeline": functools.partial(value_timeline, store, as_of, scope, settings)})
    tables = read["tables"]
    rollups = _rollups(store, tables, as_of, scope, settings)
    summed = side_by_side({"rows": functools.partial(_group_rows, store, tables, rollups, as_of, scope, settings),
                           "tiles": functools.partial(headline, store, as_of, scope, settings, tables=tables),
                           "story": functools.partial(changes, store, as_of, None, scope, settings),
                           "commentary": functools.partial(_latest_commentary, store, tables, as_of)})
    rows, tiles = summed["rows"], summed["tiles"]
    table = _to_table(rows, _total_row(tiles, settings) if rows.num_rows else None)
    return Scorecard(as_of=as_of, scope=scope, settings=settings,
                     generated=generated or dt.datetime.now().astimezone().replace(microsecond=0),
                     headline=tiles, table=table, tables=tables, timeline=read["timeline"],
                     chart_tables=chart_tables(store, tables, rollups, as_of, scope, settings),
                     story=summed["story"], commentary=summed["commentary"])


def chart_tables(store, tables: dict[str, pa.Table], rollups: dict[str, pa.Table], as_of: dt.date, scope: Scope,
                 settings: Settings) -> dict:
    """Return the rows the board pack's charts draw, each read over the scorecard's own tables."""
    level = "programme" if scope.portfolio else "portfolio"
    return {
        "level": level,
        "realisation_objective": realisation(store, as_of, "strategic_objective", scope, settings, CHART_TOP, tables),
        "realisation_group": realisation(store, as_of, level, scope, settings, CHART_TOP, tables),
        "rollup": rollup_top(store, rollups[level], level, CHART_TOP, settings),
        "sustained": sustained_top(store, tables["sustained"], CHART_TOP),
        "risk_benefits": value_at_risk(store, as_of, "benefit", scope, settings, 10, tables),
        "risk_projects": value_at_risk(store, as_of, "project", scope, settings, 10, tables),
        "density": delivery_density(store, tables["delivery"]),
        "benefit_map": benefit_map(store, as_of, scope, settings),  # SPEC §10.2, its own page when there is one
    }


def _latest_commentary(store, tables: dict[str, pa.Table], as_of: dt.date) -> pa.Table:
    """Return the latest commentary to date of each project, benefit and KPI in the scorecard's tables."""
    history = commentary_history(
        store, as_of, tables["delivery"].column("project_id").to_pylist(),
        tables["benefits"].column("benefit_id").to_pylist(),
        sorted(set(tables["kpi"].column("kpi_id").to_pylist())) if "kpi" in tables else ())
    rows, seen = [], set()
    for row in history.to_pylist():  # newest first per entity
        if (row["entity_type"], row["entity_id"]) not in seen:
            seen.add((row["entity_type"], row["entity_id"]))
            rows.append(row)
    rows.sort(key=lambda r: (r["month"], r["entity_type"] == "project"), reverse=True)
    return pa.Table.from_pylist(rows, schema=history.schema)
