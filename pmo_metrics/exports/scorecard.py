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
import math
from collections import defaultdict
from dataclasses import dataclass, field

import pyarrow as pa

from ..measures import MEASURES, Measure, Scope, delivery_rollup, headline, measure_tables, value_timeline
from ..settings import Settings
from .common import scope_text

# The measures tables an export carries behind the scorecard (SPEC §5), in sheet order.
DETAIL_TABLES = ("delivery", "kpi", "benefits", "returns", "objectives", "benchmarks", "sustained")
ROW_KINDS = ("project", "programme", "portfolio", "total")


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
                          "benefits_rag")),
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

    @property
    def scope_text(self) -> str:
        """Return the scope in words, e.g. 'Portfolio Digital, programme Platforms' or 'All portfolios'."""
        return scope_text(self.scope.portfolio, self.scope.programme, self.scope.objective)

    @property
    def month_text(self) -> str:
        """Return the reporting month as `YYYY-MM`."""
        return self.as_of.strftime("%Y-%m")


def rag(value: float | None, green: float, amber: float) -> str | None:
    """Return green/amber/red for `value` against the thresholds (SPEC §4), None when there is no value."""
    if value is None:
        return None
    return "green" if value >= green else "amber" if value >= amber else "red"


def _ratio(a: float | None, b: float | None) -> float | None:
    """Return a / b, or None when either is missing or b is 0 (SPEC §5: never inf or NaN)."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def _finite(value):
    """Return `value`, with NaN and ±inf as None."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _rows(table: pa.Table, columns: tuple[str, ...] | None = None) -> list[dict]:
    """Return the rows of `table` (only `columns`, when given) as dicts, NaN and ±inf as None.

    Built column by column: converting every cell of a 20,000-row table to Python and checking
    it one at a time took most of a large scorecard's build.
    """
    import pyarrow.compute as pc  # as measures.py: only exports need it

    names = list(columns or table.column_names)
    values = []
    for name in names:
        column = table.column(name)
        if pa.types.is_floating(column.type):
            column = pc.if_else(pc.is_finite(column), column, pa.scalar(None, column.type))
        values.append(column.to_pylist())
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _sum(values) -> float | None:
    """Return the sum of the values that are present; None when none is."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _months_between(first: dt.date, later: dt.date) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


def _group_returns(returns: list[dict], rate: float) -> dict:
    """Return NPV and ROI of a group of projects' returns rows, recomputed (SPEC §4 level 3)."""
    firsts = [r["first_month"] for r in returns if r.get("npv") is not None and r.get("first_month")]
    npv = None
    if firsts:
        start = min(firsts)
        # A project's NPV is discounted to its own first month; moving it to the group's first month
        # multiplies by (1 + r)^(-months/12), which gives the NPV of the summed cash flows.
        npv = sum(r["npv"] * (1 + rate) ** (-_months_between(start, r["first_month"]) / 12)
                  for r in returns if r.get("npv") is not None and r.get("first_month"))
    realised = _sum(r.get("realised_to_date") for r in returns)
    spent = _sum(r.get("ac") for r in returns)
    roi = _ratio(None if realised is None or spent is None else realised - spent, spent)
    return {"npv": npv, "roi": roi}


def _benefit_sums(benefits: list[dict], settings: Settings) -> dict:
    """Return the level 3 columns of a scorecard row from its financial flow benefits (SPEC §4 level 3)."""
    planned = _sum(b["planned_to_date"] for b in benefits)
    realised = _sum(b["realised_to_date"] for b in benefits)
    planned_total = _sum(b["planned_total"] for b in benefits)
    forecast_total = _sum(b["forecast_total"] for b in benefits)
    rate = _ratio(realised, planned)
    erosion = _ratio(None if forecast_total is None or planned_total is None else forecast_total - planned_total,
                     planned_total)
    return {"planned_to_date": planned, "realised_to_date": realised, "realisation_rate": rate,
            "forecast_total": forecast_total, "erosion": erosion,
            "benefits_rag": rag(rate, settings.benefit_green, settings.benefit_amber)}


def _delivery_columns(row: dict) -> dict:
    return {"bac": row.get("bac"), "ac": row.get("ac"), "ev": row.get("ev"), "cpi": row.get("cpi"),
            "spi": row.get("spi"), "eac": row.get("eac"), "delivery_rag": row.get("rag")}


def _to_table(rows: list[dict]) -> pa.Table:
    """Return the scorecard rows as a table of SCORECARD_COLUMNS, NaN and ±inf as empty."""
    import pyarrow.compute as pc

    arrays = {}
    for name, measure in SCORECARD_COLUMNS.items():
        kind = _ARROW_TYPES.get(measure.unit, pa.float64())
        array = pa.array([r.get(name) for r in rows], kind)
        if pa.types.is_floating(kind):
            array = pc.if_else(pc.is_finite(array), array, pa.scalar(None, kind))
        arrays[name] = array
    return pa.table(arrays)


def _key(value: str | None) -> tuple[bool, str]:
    """Sort key that puts empty names (projects without a programme) last."""
    return (value is None, value or "")


# The columns scorecard_rows reads from each table.
_DELIVERY = ("project_id", "portfolio", "programme", "project_name", "stage", "currency",
             "bac", "ac", "ev", "cpi", "spi", "eac", "rag")
_BENEFITS = ("project_id", "currency", "planned_to_date", "realised_to_date", "planned_total", "forecast_total")
_RETURNS = ("project_id", "npv", "roi", "payback_month", "first_month", "realised_to_date", "ac")
_ROLLUP = ("portfolio", "programme", "currency", "bac", "ac", "ev", "cpi", "spi", "eac", "rag")


def scorecard_rows(tables: dict[str, pa.Table], rollups: dict[str, pa.Table], tiles: dict,
                   settings: Settings) -> pa.Table:
    """Return the scorecard table from measures tables, delivery roll-ups and headline tiles."""
    import pyarrow.compute as pc

    benefits = tables["benefits"]
    benefits = benefits.filter(pc.and_(pc.equal(benefits["category"], "financial"),
                                       pc.equal(benefits["measure"], "flow")))
    flows = defaultdict(list)
    for b in _rows(benefits, _BENEFITS):
        flows[b["project_id"]].append(b)
    returns = {r["project_id"]: r for r in _rows(tables["returns"], _RETURNS)}

    # Projects in delivery order, indexed by the roll-up rows they belong to and by where they sit.
    projects = []
    members = defaultdict(list)  # ("portfolio" | "programme", portfolio, programme, currency) -> projects
    placed = defaultdict(lambda: defaultdict(list))  # portfolio -> programme -> projects
    for d in _rows(tables["delivery"], _DELIVERY):
        pid, currency = d["project_id"], d.get("currency")
        own = [b for b in flows.get(pid, []) if b.get("currency") in (None, currency)]
        ret = returns.get(pid, {})
        row = {
            "row": "project", "portfolio": d.get("portfolio"), "programme": d.get("programme"),
            "project_id": pid, "project_name": d.get("project_name"), "stage": d.get("stage"),
            "currency": currency, **_delivery_columns(d), **_benefit_sums(own, settings),
            "npv": ret.get("npv"), "roi": ret.get("roi"), "payback_month": ret.get("payback_month"),
        }
        projects.append(row)
        members["portfolio", row["portfolio"], None, currency].append(row)
        members["programme", row["portfolio"], row["programme"], currency].append(row)
        placed[row["portfolio"]][row["programme"]].append(row)

    def rollup_row(kind: str, r: dict) -> dict:
        group = members[kind, r["portfolio"], r["programme"] if kind == "programme" else None, r["currency"]]
        own = [b for p in group for b in flows.get(p["project_id"], []) if b.get("currency") in (None, r["currency"])]
        return {"row": kind, "portfolio": r["portfolio"], "programme": r["programme"] if kind == "programme" else None,
                "currency": r["currency"], **_delivery_columns(r), **_benefit_sums(own, settings),
                **_group_returns([returns[p["project_id"]] for p in group if p["project_id"] in returns],
                                 settings.discount_rate)}

    programme_rows = defaultdict(list)
    for r in _rows(rollups["programme"], _ROLLUP):
        programme_rows[r["portfolio"], r["programme"]].append(rollup_row("programme", r))
    portfolio_rows = defaultdict(list)
    for r in _rows(rollups["portfolio"], _ROLLUP):
        portfolio_rows[r["portfolio"]].append(rollup_row("portfolio", r))

    ordered = []
    for port in sorted(set(placed) | set(portfolio_rows), key=_key):
        for prog in sorted(placed.get(port, {}), key=_key):
            ordered += sorted(placed[port][prog], key=lambda p: (p["project_id"] or ""))
            ordered += programme_rows.get((port, prog), [])
        ordered += portfolio_rows.get(port, [])

    if projects:
        cpi, spi = _finite(tiles.get("cpi")), _finite(tiles.get("spi"))
        rate = _finite(tiles.get("realisation_rate"))
        basis = None if cpi is None or spi is None else min(cpi, spi)
        ordered.append({
            "row": "total", "currency": settings.currency,
            "bac": tiles.get("bac"), "ac": tiles.get("ac"), "ev": tiles.get("ev"), "cpi": cpi, "spi": spi,
            "eac": tiles.get("eac"), "delivery_rag": rag(basis, settings.delivery_green, settings.delivery_amber),
            "planned_to_date": tiles.get("planned_to_date"), "realised_to_date": tiles.get("realised_to_date"),
            "realisation_rate": rate, "forecast_total": tiles.get("forecast_total"),
            "erosion": tiles.get("erosion"),
            "benefits_rag": rag(rate, settings.benefit_green, settings.benefit_amber),
            "npv": tiles.get("npv"), "roi": tiles.get("roi"),
        })
    return _to_table(ordered)


def build_scorecard(store, as_of: dt.date, scope: Scope | None = None, settings: Settings | None = None,
                    generated: dt.datetime | None = None) -> Scorecard:
    """Return the scorecard of reporting month `as_of` and `scope`, with the tables behind it."""
    settings, scope = settings or store.settings(), scope or Scope()
    as_of = as_of.replace(day=1)
    # Read side by side; nothing is computed twice: objectives, the roll-ups and the headline tiles
    # are summed from the tables already built (only the portfolio NPV reads its own small summary).
    tables = measure_tables(store, DETAIL_TABLES, as_of, scope, settings)
    rollups = {level: delivery_rollup(store, as_of, level, scope, settings, delivery=tables["delivery"])
               for level in ("programme", "portfolio")}
    tiles = headline(store, as_of, scope, settings, tables=tables)
    table = scorecard_rows(tables, rollups, tiles, settings)
    return Scorecard(as_of=as_of, scope=scope, settings=settings,
                     generated=generated or dt.datetime.now().astimezone().replace(microsecond=0),
                     headline=tiles, table=table, tables=tables,
                     timeline=value_timeline(store, as_of, scope, settings))
