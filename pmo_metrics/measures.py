"""The four levels of value measures (SPEC §4) as named tables over the store.

Every number is computed in DuckDB by the readable queries in `pmo_metrics/sql/queries/*.sql`,
which read stored data only through the snapshot macros of `effective.sql`, so any measure can be
asked for as of any stored reporting month. This module only picks the query, binds the
parameters (user-chosen filters are always bound, never formatted into SQL) and returns Arrow.
Decisions where the SPEC is silent are listed in docs/measures.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from .measure_tables import TABLES
from .settings import Settings

SQL_DIR = Path(__file__).parent / "sql"

ROLLUP_LEVELS = ("programme", "portfolio")

# The minimum columns of each table, in SPEC §5 order; the queries add context columns after.
COLUMNS: dict[str, tuple[str, ...]] = {
    "delivery": ("project_id", "bac", "pv", "ev", "ac", "cv", "sv", "cpi", "spi", "eac", "fac", "etc",
                 "vac", "tcpi", "quality_score", "benefit_ownership", "rag"),
    "kpi": ("kpi_id", "grain", "period_end", "actual", "budget", "forecast", "target", "var_budget",
            "var_budget_pct", "var_forecast", "var_forecast_pct", "var_target", "var_target_pct",
            "attainment", "rag"),
    "benefits": ("benefit_id", "project_id", "measure", "planned_to_date", "realised_to_date",
                 "planned_total", "forecast_total", "realisation_rate", "benefit_variance", "erosion",
                 "risk_adjusted_forecast", "progress_to_target", "rag"),
    "returns": ("project_id", "npv", "roi", "bcr", "payback_month", "time_to_value_months"),
    "objectives": ("strategic_objective", "planned_to_date", "realised_to_date", "realisation_rate",
                   "kpi_attainment"),
    "benchmarks": ("metric", "period", "our_value", "peer_median", "peer_top_quartile", "gap_to_median",
                   "relative_index", "position"),
    "sustained": ("benefit_id", "project_id", "sustained", "sustained_value"),
    "membership": ("project_id", "portfolio", "first_month", "left_month", "status"),
    "completeness": ("portfolio", "projects", "reported", "missing", "completeness", "closed", "complete"),
    "changes": ("kind", "entity_id", "entity_name", "project_id", "portfolio", "from_value", "to_value", "delta",
                "delta_pct", "importance", "sentence"),
    "raid": ("benefit_id", "project_id", "open_risks", "value_at_risk_from_risks", "open_issues", "overdue_items"),
    "forecast_accuracy": ("level", "group_key", "horizon_months", "bias", "wape", "pairs"),
    "bridge": ("benefit_id", "project_id", "original_baseline_total", "rebaselined", "current_baseline_total",
               "forecast_change", "forecast_total"),
}


@dataclass(frozen=True)
class Measure:
    """One output column: what it is called, its unit and where the SPEC defines it."""

    name: str
    label: str
    unit: str  # 'currency' | 'ratio' | 'months' | 'month' | 'number' | 'text' | 'rag'
    description: str
    spec: str


def _m(name: str, label: str, unit: str, description: str, spec: str) -> tuple[str, Measure]:
    return name, Measure(name, label, unit, description, spec)


L1, L2, L3, L4 = "SPEC §4 level 1", "SPEC §4 level 2", "SPEC §4 level 3", "SPEC §4 level 4"
RET, OBJ, SUS = "SPEC §4 level 3 financial return", "SPEC §4 objective attainment", "SPEC §4 sustained value"
CTX = "SPEC §2 input"
MEM, CMP = "SPEC §7.1 membership", "SPEC §7.2 reporting completeness"

MEASURES: dict[str, Measure] = dict([
    # identifiers and context
    _m("project_id", "Project", "text", "Project code.", CTX),
    _m("project_name", "Project name", "text", "Project name.", CTX),
    _m("portfolio", "Portfolio", "text", "Portfolio of the project (or of the spend KPI).", CTX),
    _m("programme", "Programme", "text", "Programme of the project; empty in a portfolio roll-up.", CTX),
    _m("strategic_objective", "Strategic objective", "text",
       "Objective served: a benefit's own, else its project's.", CTX),
    _m("stage", "Stage", "text", "Lifecycle stage of the project.", CTX),
    _m("currency", "Currency", "text", "Currency of the amounts (the project's, default the setting).", CTX),
    _m("benefit_id", "Benefit", "text", "Benefit code.", CTX),
    _m("benefit_name", "Benefit name", "text", "Benefit name.", CTX),
    _m("category", "Category", "text", "financial or non_financial.", CTX),
    _m("benefit_type", "Benefit type", "text", "Revenue, cost saving, productivity, ...", CTX),
    _m("owner", "Owner", "text", "Benefit owner.", CTX),
    _m("unit", "Unit", "text", "Unit of a KPI or non-financial benefit (currency for spend KPIs).", CTX),
    _m("measure", "Measure", "text", "flow (summed over months) or level (a point reading).", L3),
    _m("baseline_value", "Baseline", "number", "Value before the change (level benefits).", CTX),
    _m("target_value", "Target", "number", "Target value (level benefits).", CTX),
    _m("confidence", "Confidence", "ratio", "Confidence the forecast is realised (default 1).", CTX),
    _m("kpi_id", "KPI", "text", "KPI code; portfolio spend is `spend:<portfolio>`.", L2),
    _m("kpi_name", "KPI name", "text", "KPI name.", CTX),
    _m("direction", "Direction", "text", "higher_is_better or lower_is_better.", CTX),
    _m("aggregation", "Aggregation", "text", "How months combine: sum, last or mean.", L2),
    _m("metric", "Metric", "text", "Benchmark metric.", L4),
    _m("source", "Source", "text", "Where the benchmark comes from.", CTX),
    # level 1 delivery
    _m("bac", "BAC", "currency", "Budget at completion, else Σ planned_cost over all periods.", L1),
    _m("pv", "PV", "currency", "Planned value: Σ planned_cost to date.", L1),
    _m("ev", "EV", "currency",
       "Earned value: Σ earned_value to date, else latest percent_complete × BAC.", L1),
    _m("ac", "AC", "currency", "Actual cost: Σ actual_cost to date.", L1),
    _m("cv", "CV", "currency", "Cost variance EV − AC.", L1),
    _m("sv", "SV", "currency", "Schedule variance EV − PV.", L1),
    _m("cpi", "CPI", "ratio", "Cost performance index EV / AC.", L1),
    _m("spi", "SPI", "ratio", "Schedule performance index EV / PV.", L1),
    _m("eac", "EAC", "currency", "Estimate at completion BAC / CPI.", L1),
    _m("fac", "FAC", "currency", "Bottom-up forecast at completion: AC + Σ forecast_cost after m.", L1),
    _m("etc", "ETC", "currency", "Estimate to complete EAC − AC.", L1),
    _m("vac", "VAC", "currency", "Variance at completion BAC − EAC.", L1),
    _m("tcpi", "TCPI", "ratio", "To-complete performance index (BAC − EV) / (BAC − AC).", L1),
    _m("quality_score", "Quality", "number", "Latest quality score to date (mean in roll-ups).", L1),
    _m("benefit_ownership", "Benefit ownership", "ratio", "Share of the benefits that have an owner.", L1),
    _m("rag", "RAG", "rag",
       "Delivery: min(CPI, SPI); KPI: attainment; benefit and objective: realisation rate.", "SPEC §4"),
    _m("ev_method", "EV method", "text", "earned_value or percent_complete: how EV was found.", L1),
    _m("percent_complete", "% complete", "ratio", "Latest percent complete to date (fraction).", L1),
    _m("benefits", "Benefits", "number", "Number of benefits.", L1),
    _m("benefits_owned", "Owned benefits", "number", "Number of benefits with an owner.", L1),
    _m("withheld", "Withheld inputs", "number",
       "Inputs of this row given as withheld: left out of its sums, never counted as 0.", "SPEC §7.3"),
    _m("projects", "Projects", "number", "Number of projects in the roll-up.", L1),
    _m("projects_without_ev", "Projects without EV", "number",
       "Projects in the roll-up with no earned value or percent complete (their EV is not in the sum).", L1),
    # level 2 KPI
    _m("grain", "Grain", "text", "month, quarter (fiscal quarter to date) or year (fiscal year to date).", L2),
    _m("period_end", "Period end", "month", "Last month of the window: the reporting month.", L2),
    _m("period_start", "Period start", "month", "First month of the window.", L2),
    _m("actual", "Actual", "number", "Actual aggregated over the window.", L2),
    _m("budget", "Budget", "number", "Budget aggregated over the window.", L2),
    _m("forecast", "Forecast", "number",
       "KPI: forecast aggregated over the window; timeline: forecast value of the month.", L2),
    _m("target", "Target", "number", "Target aggregated over the window.", L2),
    _m("var_budget", "Var. to budget", "number", "actual − budget.", L2),
    _m("var_budget_pct", "Var. to budget %", "ratio", "(actual − budget) / |budget|.", L2),
    _m("var_forecast", "Var. to forecast", "number", "actual − forecast.", L2),
    _m("var_forecast_pct", "Var. to forecast %", "ratio", "(actual − forecast) / |forecast|.", L2),
    _m("var_target", "Var. to target", "number", "actual − target.", L2),
    _m("var_target_pct", "Var. to target %", "ratio", "(actual − target) / |target|.", L2),
    _m("attainment", "Attainment", "ratio",
       "actual / target (higher_is_better) or target / actual (lower_is_better).", L2),
    _m("months_with_actual", "Months with actual", "number", "Window months that have an actual.", L2),
    _m("outturn_budget", "Outturn budget", "currency",
       "Spend KPI: Σ planned_cost over the whole fiscal month/quarter/year.", L2),
    _m("outturn_forecast", "Outturn forecast", "currency",
       "Spend KPI: actual to date + forecast_cost after m to the end of the fiscal period.", L2),
    # level 3 benefits
    _m("planned_to_date", "Planned to date", "number",
       "Flow: Σ planned_value to date; level: plan of the latest month to date with one.", L3),
    _m("realised_to_date", "Realised to date", "number",
       "Flow: Σ realised_value to date; level: latest realised_value to date (current).", L3),
    _m("planned_total", "Planned total", "number", "Flow: Σ planned_value over all months.", L3),
    _m("forecast_total", "Forecast total", "number",
       "Flow: realised to date + Σ forecast_value after m.", L3),
    _m("realisation_rate", "Realisation rate", "ratio",
       "Flow: realised / planned to date; level: (current − baseline) / (planned − baseline).", L3),
    _m("benefit_variance", "Benefit variance", "number", "Flow: realised − planned to date.", L3),
    _m("erosion", "Erosion", "ratio", "Flow: (forecast total − planned total) / planned total.", L3),
    _m("risk_adjusted_forecast", "Risk-adjusted forecast", "number", "Flow: forecast total × confidence.", L3),
    _m("progress_to_target", "Progress to target", "ratio",
       "Level: (current − baseline) / (target − baseline).", L3),
    # level 3 returns
    _m("npv", "NPV", "currency", "Σ cf_t / (1 + r)^(t/12), t = months since the first month.", RET),
    _m("roi", "ROI to date", "ratio", "(realised financial benefits to date − AC) / AC.", RET),
    _m("bcr", "Benefit-cost ratio", "ratio", "Discounted benefits / discounted costs.", RET),
    _m("payback_month", "Payback month", "month",
       "First month from which the cumulative cash flow stays ≥ 0 to the last month.", RET),
    _m("time_to_value_months", "Time to value", "months",
       "Months from the end_date month to the first month with a realised financial benefit > 0.", RET),
    _m("discounted_benefits", "Discounted benefits", "currency", "Σ benefit_t / (1 + r)^(t/12).", RET),
    _m("discounted_costs", "Discounted costs", "currency", "Σ cost_t / (1 + r)^(t/12).", RET),
    _m("first_month", "First month", "month",
       "Returns: first month of the project's cash flows; membership: first month an upload listed it.", RET),
    _m("last_month", "Last month", "month", "Last month of the project's cash flows.", RET),
    _m("first_value_month", "First value month", "month",
       "First month to date with a realised financial benefit > 0.", RET),
    _m("end_month", "End month", "month", "Month of end_date (sustained: else the last financials period).",
       SUS),
    # objectives
    _m("kpi_attainment", "KPI attainment", "ratio", "Mean year-to-date attainment of the objective's KPIs.",
       OBJ),
    _m("kpis", "KPIs", "number", "Number of KPIs of the objective.", OBJ),
    _m("kpi_rag", "KPI RAG", "rag", "RAG of the objective's mean KPI attainment.", OBJ),
    # level 4
    _m("period", "Period", "month", "Benchmark: latest period to date; timeline: calendar month.", L4),
    _m("our_value", "Our value", "number", "Our value of the benchmark metric.", L4),
    _m("peer_median", "Peer median", "number", "Median of the peer group.", L4),
    _m("peer_top_quartile", "Peer top quartile", "number", "Top-quartile value of the peer group.", L4),
    _m("gap_to_median", "Gap to median", "number", "our − median, sign flipped for lower_is_better.", L4),
    _m("relative_index", "Relative index", "ratio", "our / median, inverted for lower_is_better.", L4),
    _m("position", "Position", "text", "top quartile, above median or below median.", L4),
    _m("sustained", "Sustained", "text",
       "Realised ≥ threshold × planned in each of the last N planned months after the end month.", SUS),
    _m("value_at_risk", "Value at risk", "currency",
       "Planned total − risk-adjusted forecast (financial flow benefits).", L3),
    _m("sustained_value", "Sustained value", "currency",
       "Σ realised value after the project's end month, to date (financial benefits).", SUS),
    _m("planned_months_after_end", "Planned months after end", "number",
       "Months after the end month, to date, that have a plan.", SUS),
    # forecast history and value timeline
    _m("as_of", "Reporting month", "month", "Stored reporting month of the snapshot.", "SPEC §3"),
    _m("planned_cum", "Planned (cumulative)", "currency", "Cumulative planned value.", L3),
    _m("realised_cum", "Realised (cumulative)", "currency", "Cumulative realised value, to date only.", L3),
    _m("forecast_cum", "Forecast (cumulative)", "currency",
       "Cumulative realised value to date, then forecast value after m.", L3),
    _m("planned", "Planned", "currency", "Planned value of the month.", L3),
    _m("realised", "Realised", "currency", "Realised value of the month (to date only).", L3),
    # membership and reporting completeness
    _m("left_month", "Left", "month", "Month the project left its portfolio (empty while in it).", MEM),
    _m("status", "Membership", "text",
       "joined (in this month), continuing, left (in this month) or gone (left before).", MEM),
    _m("reported", "Reported", "number", "Projects an upload for this very month lists.", CMP),
    _m("missing", "Not reported", "number", "Projects in the portfolio with no return for this month.", CMP),
    _m("completeness", "Completeness", "ratio", "Reported ÷ projects in the portfolio this month.", CMP),
    _m("closed", "Closed", "text", "A PMO manager closed the month.", CMP),
    _m("complete", "Complete", "text", "Every project reported, or the month is closed.", CMP),
    # the month's story (SPEC §8)
    _m("delivery_confidence", "Delivery confidence", "text",
       "The project's delivery confidence: green, amber/green, amber, amber/red or red.", "SPEC §8.1"),
    _m("rag_source", "RAG from", "text",
       "What decided the delivery RAG: evm (min of CPI and SPI) or confidence (no earned value).", "SPEC §8.1"),
    _m("kind", "Change", "text", "delivery_rag, delivery_confidence, benefit_rag, forecast, joined, left, "
       "kpi_rag or commentary.", "SPEC §8.3"),
    _m("entity_type", "Of", "text", "project, benefit or kpi.", "SPEC §8.3"),
    _m("entity_id", "Code", "text", "The project, benefit or KPI that changed.", "SPEC §8.3"),
    _m("entity_name", "Name", "text", "Its name.", "SPEC §8.3"),
    _m("from_month", "From month", "month", "The month compared to (default the previous stored month).",
       "SPEC §8.3"),
    _m("to_month", "To month", "month", "The reporting month.", "SPEC §8.3"),
    _m("from_value", "From", "text", "The rating, forecast total, portfolio or commentary then.", "SPEC §8.3"),
    _m("to_value", "To", "text", "The rating, forecast total, portfolio or commentary now.", "SPEC §8.3"),
    _m("delta", "Change", "currency", "Forecast: forecast total now − then.", "SPEC §8.3"),
    _m("delta_pct", "Change %", "ratio", "Forecast: change ÷ |forecast total then|.", "SPEC §8.3"),
    _m("basis", "Because of", "text",
       "The figure behind the change: cpi, spi, delivery_confidence, realisation_rate, attainment, forecast_total.",
       "SPEC §8.3"),
    _m("basis_value", "Figure", "number", "That figure now.", "SPEC §8.3"),
    _m("basis_text", "Text", "text", "The rating or commentary now.", "SPEC §8.3"),
    _m("money", "Money at stake", "currency",
       "BAC (projects), forecast total (benefits) or the forecast's move.", "SPEC §8.3"),
    _m("importance", "Importance", "number",
       "Rank of the change: severity of the move + 2 × its money's share of the scope's total.", "SPEC §8.3"),
    _m("sentence", "What changed", "text", "The change in one plain sentence, from the columns above.",
       "SPEC §8.3"),
    # dis-benefits, the RAID log and the benefit map (SPEC §10)
    _m("dis_benefits", "Dis-benefits", "currency",
       "Σ realised to date of the dis-benefits in money (no unit), entered as positive harm.", "SPEC §10.1"),
    _m("net_benefit", "Net benefit", "currency", "Realised benefits to date − dis-benefits to date.", "SPEC §10.1"),
    _m("dis_benefits_forecast_total", "Dis-benefits forecast", "currency",
       "Σ forecast total of the dis-benefits in money.", "SPEC §10.1"),
    _m("net_forecast_total", "Net forecast", "currency",
       "Forecast total of the benefits − forecast total of the dis-benefits.", "SPEC §10.1"),
    _m("open_risks", "Open risks", "number", "Open RAID risks naming the benefit.", "SPEC §10.3"),
    _m("value_at_risk_from_risks", "Value at risk (risks)", "currency",
       "Σ probability × impact of the open risks, capped at the forecast total remaining.", "SPEC §10.3"),
    _m("open_issues", "Open issues", "number", "Open RAID issues naming the benefit.", "SPEC §10.3"),
    _m("overdue_items", "Overdue items", "number",
       "Open RAID items whose due date is before the reporting month.", "SPEC §10.3"),
    _m("risk_exposure", "Risk exposure", "currency",
       "Σ probability × impact of the open risks, before the cap.", "SPEC §10.3"),
    _m("forecast_remaining", "Forecast remaining", "currency",
       "Forecast total − realised to date, floored at 0 (the cap of the value at risk).", "SPEC §10.3"),
    _m("open_assumptions", "Open assumptions", "number", "Open RAID assumptions naming the benefit.", "SPEC §10.3"),
    _m("items", "RAID items", "number", "RAID items naming the benefit.", "SPEC §10.3"),
    _m("forecast_shortfall", "Forecast shortfall", "currency",
       "Planned total − risk-adjusted forecast: the overview's value at risk, beside the RAID figure.", "SPEC §10.3"),
    # claimed and validated realisation, forecast accuracy (SPEC §9.3, §9.4)
    _m("validated_to_date", "Validated to date", "number",
       "Realised to date in validated periods: a flow benefit's sum, a level benefit's latest validated "
       "reading; a period counts while its realised value is the one validated.", "SPEC §9.3"),
    _m("claimed_to_date", "Claimed to date", "number",
       "Realised to date as submitted (claimed), whatever realised_counts says.", "SPEC §9.3"),
    _m("validated_share", "Validated share", "ratio",
       "validated_to_date ÷ claimed_to_date (flow benefits; empty when nothing is claimed).", "SPEC §9.3"),
    _m("level", "Grouped by", "text", "all, portfolio, project, benefit_type or submitter.", "SPEC §9.4"),
    _m("group_key", "Group", "text", "The portfolio, project, benefit type or submitter ('All' for the scope).",
       "SPEC §9.4"),
    _m("horizon_months", "Horizon (months)", "months",
       "h: the forecast compared was made in the stored reporting month h months before the month it forecast.",
       "SPEC §9.4"),
    _m("bias", "Bias", "ratio", "Σ forecast ÷ Σ realised − 1 over the pairs (> 0 over-forecast); empty when "
       "Σ realised is 0.", "SPEC §9.4"),
    _m("wape", "WAPE", "ratio", "Weighted absolute % error: Σ |forecast − realised| ÷ Σ realised; empty when "
       "Σ realised is 0.", "SPEC §9.4"),
    _m("pairs", "Pairs", "number", "(benefit, month) pairs with both a forecast made h months earlier and a "
       "realised value.", "SPEC §9.4"),
    _m("forecast_sum", "Σ forecast", "currency", "Σ of the forecasts made h months earlier.", "SPEC §9.4"),
    _m("realised_sum", "Σ realised", "currency", "Σ of the realised values of the same pairs.", "SPEC §9.4"),
    # baselines and the erosion bridge (SPEC §9.1, §9.2)
    _m("erosion_original", "Erosion vs original", "ratio",
       "Flow: (forecast total − original baseline total) / original baseline total, before any re-baseline.",
       "SPEC §9.2"),
    _m("original_planned_total", "Original planned total", "number",
       "Flow: Σ planned value of the original baseline (the first plan of each period).", "SPEC §9.2"),
    _m("original_baseline_total", "Original baseline", "currency",
       "Σ planned value at the from month's baseline (periods planned later: their first plan).", "SPEC §9.2"),
    _m("rebaselined", "Re-baselined", "currency",
       "Approved re-baselines since the from month: current − original baseline total.", "SPEC §9.2"),
    _m("current_baseline_total", "Current baseline", "currency",
       "Σ planned value of the current approved baseline (planned_total).", "SPEC §9.2"),
    _m("forecast_change", "Forecast change", "currency", "Forecast total − current baseline total.", "SPEC §9.2"),
    _m("from_month", "From month", "month", "The bridge's first month a (default the first stored month).",
       "SPEC §9.2"),
    _m("to_month", "To month", "month", "The bridge's reporting month b.", "SPEC §9.2"),
])


@dataclass(frozen=True)
class Scope:
    """Filters chosen by the user; None means no filter."""

    portfolio: str | None = None
    programme: str | None = None
    objective: str | None = None


# -- running the queries -------------------------------------------------------------------------

_PARAMETER = re.compile(r"\$([a-z_]+)")
_log = logging.getLogger("pmo_metrics.sql")
if os.environ.get("PMO_METRICS_DEBUG"):
    # Every query as it runs, placeholders bound, with its parameters: the SQL you read is the SQL that runs.
    _log.setLevel(logging.DEBUG)
    _log.addHandler(logging.StreamHandler())


@functools.cache
def _query_text(name: str) -> str:
    """Return the text of queries/<name>.sql as written."""
    return (SQL_DIR / "queries" / f"{name}.sql").read_text(encoding="utf-8")


@functools.cache
def _parameters(text: str) -> frozenset[str]:
    # DuckDB refuses parameters a query does not use, so bind only those it names.
    return frozenset(name for line in text.splitlines() for name in _PARAMETER.findall(line.split("--")[0]))


def _month(value: dt.date | str) -> dt.date:
    """Return the first day of the month of a date, datetime or `YYYY-MM` text."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:7] + "-01")
    elif isinstance(value, dt.datetime):
        value = value.date()
    return value.replace(day=1)


def _params(as_of, scope: Scope, settings: Settings) -> dict:
    return {
        "as_of": _month(as_of),
        "portfolio": scope.portfolio,
        "programme": scope.programme,
        "objective": scope.objective,
        "currency": settings.currency,
        "fy_start": settings.fiscal_year_start_month,
        "rate": settings.discount_rate,
        "delivery_green": settings.delivery_green,
        "delivery_amber": settings.delivery_amber,
        "kpi_green": settings.kpi_green,
        "kpi_amber": settings.kpi_amber,
        "benefit_green": settings.benefit_green,
        "benefit_amber": settings.benefit_amber,
        "sustained_window": settings.sustained_window_months,
        "sustained_threshold": settings.sustained_threshold,
        "trend_months": TREND_MONTHS,
        "trend_rows": TREND_ROWS,
    }


# The rows a query starts from, written `{source}(arguments)` in queries/*.sql, and the arguments
# of the macro behind each. bind_query binds every placeholder to the macro that serves it: the
# month rows kept for a stored month (month_rows_<source>, made by month_rows.py after each load,
# schema_v5.sql), the live derivation (<source>, for a month whose rows are not made yet), or a
# measures table the caller already holds (given_<source>).
ROW_SOURCES: dict[str, str] = {
    "delivery_base": "m, pf, pg, obj, ccy",
    "benefit_rows": "m, pf, pg, obj, ccy",
    "project_flows": "m, pf, pg, obj, ccy",
    "scoped_projects": "m, pf, pg, obj, ccy",
    "scoped_benefits": "m, pf, pg, obj, ccy",
    "flow_rows": "m, pf, pg, ccy",
    "kpi_rows": "m, obj, fy",
}
_MONTH_ROWS_SOURCES = frozenset(ROW_SOURCES) - {"kpi_rows"}  # KPI rows are few: always live


def row_sources(name: str) -> list[str]:
    """Return the row sources queries/<name>.sql reads."""
    text = _query_text(name)
    return [source for source in ROW_SOURCES if "{" + source + "}" in text]


def bind_query(name: str, month_rows: bool, given: frozenset[str] | set[str] = frozenset()) -> str:
    """Return queries/<name>.sql with each `{source}` placeholder bound to its macro: the given
    table's for a source in `given`, else the month rows' (when `month_rows`) or the live one."""
    def macro(source: str) -> str:
        if source in given:
            return f"given_{source}"
        return f"month_rows_{source}" if month_rows and source in _MONTH_ROWS_SOURCES else source

    return _query_text(name).format_map({source: macro(source) for source in ROW_SOURCES})


def _has_month_rows(con, month: dt.date) -> bool:
    return con.execute("SELECT count(*) FROM month_rows_made WHERE as_of = ?", [month]).fetchall()[0][0] > 0


@contextlib.contextmanager
def _registered(con, views: dict[str, pa.Table]):
    """Register Arrow tables under the names a query reads, for the duration of one query."""
    for view, table in views.items():
        con.register(view, table)
    try:
        yield
    finally:
        for view in views:
            con.unregister(view)


def _run(con, name: str, params: dict, given: dict[str, pa.Table] | None = None, month_rows: bool = True) -> pa.Table:
    """Run queries/<name>.sql with its placeholders bound (bind_query) and its parameters.

    `given` maps row sources the query reads (delivery_base, benefit_rows, kpi_rows) to the measures
    tables the caller already built for the same month, scope and settings, whose rows carry every
    column the query reads of them: the query reads those rows instead of deriving them again (the
    scorecard and the overview do), so one query text serves both ways. The month rows are read
    when `month_rows` and every month the query reads has them made (`changes` reads two);
    otherwise the rows are derived live: the same figures, slower.
    """
    given = given or {}
    sources = row_sources(name)
    with _one_snapshot(con), _given_macros(con, given):
        use_month_rows = month_rows and any(source not in given for source in sources)
        if use_month_rows:
            months = [params["as_of"]] + ([params["compare_to"]] if params.get("compare_to") else [])
            use_month_rows = all(_has_month_rows(con, month) for month in months)
        text = bind_query(name, use_month_rows, frozenset(given))
        bound = {k: params.get(k) for k in _parameters(text)}
        _log.debug("-- %s\n%s\n-- parameters: %s", name, text, bound)
        return con.sql(text, params=bound).to_arrow_table()


@contextlib.contextmanager
def _given_macros(con, given: dict[str, pa.Table]):
    """For one query, define given_<source> as a macro over the caller's table, with the arguments of
    the macro it stands in for (a macro binds its tables when created, so these are made per query)."""
    views = {f"given_{source}_rows": table for source, table in given.items()}
    with _registered(con, views):
        for source in given:
            assert source in ROW_SOURCES, source  # names from code, never from a user
            con.execute(f"CREATE OR REPLACE TEMP MACRO given_{source}({ROW_SOURCES[source]}) AS TABLE "  # noqa: S608
                        f"SELECT * FROM given_{source}_rows")
        try:
            yield
        finally:
            for source in given:
                con.execute(f"DROP MACRO TABLE IF EXISTS given_{source}")


@contextlib.contextmanager
def _one_snapshot(con):
    """Read in one transaction, so whether a month is kept and its month rows are seen as of the
    same commit (a load committing in between forgets them). Inside a caller's transaction, that one."""
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException:
        yield
        return
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _query(store, name: str, params: dict, given: dict[str, pa.Table] | None = None,
           views: dict[str, pa.Table] | None = None) -> pa.Table:
    """Run queries/<name>.sql on one of the store's connections, reading month rows as the store says
    (`given`: see _run; `views`: tables registered under the names the query reads)."""
    with store.connect() as con, _registered(con, views or {}):
        return _run(con, name, params, given, store.read_month_rows)


# -- public API --------------------------------------------------------------------------------


def reporting_months(store) -> list[dt.date]:
    """Return the stored reporting months, newest first (SPEC §3)."""
    return store.reporting_months()


def measure_table(store, name: str, as_of: dt.date, scope: Scope = Scope(), settings: Settings | None = None,
                  tables: dict[str, pa.Table] | None = None) -> pa.Table:
    """Return one SPEC §5 measures table (SPEC §4) for reporting month `as_of` and `scope`.

    `tables` may hold measures tables the caller already built for the same month, scope and
    settings (the scorecard does): `objectives` is then summed from its benefits and kpi tables.
    """
    if name not in TABLES:
        raise ValueError(f"unknown measures table {name!r}; choose one of {', '.join(TABLES)}")
    settings = settings or store.settings()
    if name == "changes":
        return changes(store, as_of, None, scope, settings)
    if name == "bridge":
        return bridge(store, as_of, None, scope, settings)
    params = _params(as_of, scope, settings)
    if name == "objectives" and tables and "benefits" in tables and "kpi" in tables:
        return _query(store, "objectives", params, {"benefit_rows": tables["benefits"], "kpi_rows": tables["kpi"]})
    return _query(store, name, params)


def forecast_accuracy(store, as_of: dt.date, scope: Scope = Scope(), level: str | None = None,
                      settings: Settings | None = None) -> pa.Table:
    """Return the forecast_accuracy table (SPEC §9.4), optionally only the rows of one grouping level."""
    table = measure_table(store, "forecast_accuracy", as_of, scope, settings)
    if level is None:
        return table
    import pyarrow.compute as pc  # as in headline: loaded only when asked

    return table.filter(pc.equal(table["level"], level))


@dataclass(frozen=True)
class ReportingStatus:
    """SPEC §7.2 for one month and scope: projects in their portfolio, how many reported, closed, complete."""

    month: dt.date
    projects: int
    reported: int
    closed: bool
    complete: bool


def reporting_status(store, as_of: dt.date, scope: Scope = Scope()) -> ReportingStatus:
    """Return how many projects in scope have reported for `as_of` and whether the month is complete (SPEC §7.2)."""
    row = measure_table(store, "completeness", as_of, scope).slice(0, 1).to_pylist()[0]
    return ReportingStatus(_month(as_of), row["projects"], row["reported"], bool(row["closed"]), bool(row["complete"]))


def default_month(store) -> dt.date | None:
    """Return the month the dashboard opens on: the latest complete stored month (SPEC §7.2), else
    the latest stored month (a store none of whose months is complete still shows something)."""
    months = store.reporting_months()
    for month in months:  # newest first; normally the first one is complete
        if reporting_status(store, month).complete:
            return month
    return months[0] if months else None


def delivery_rollup(store, as_of: dt.date, level: str, scope: Scope = Scope(),
                    settings: Settings | None = None, delivery: pa.Table | None = None) -> pa.Table:
    """Return level 1 delivery summed per programme or portfolio, ratios recomputed (SPEC §4 level 1).

    `delivery` may be the delivery table the caller already built for the same month, scope and
    settings (the scorecard does); the roll-up is then summed from its rows.
    """
    if level not in ROLLUP_LEVELS:
        raise ValueError(f"unknown roll-up level {level!r}; choose programme or portfolio")
    settings = settings or store.settings()
    params = {**_params(as_of, scope, settings), "level": level}
    if delivery is not None:  # its rows carry the amounts delivery_base gives
        return _query(store, "delivery_rollup", params, {"delivery_base": delivery})
    return _query(store, "delivery_rollup", params)


def over_tables(store, name: str, as_of: dt.date, scope: Scope, settings: Settings,
                views: dict[str, pa.Table]) -> pa.Table:
    """Run measures_<name>.sql over tables the caller built for this month, scope and settings,
    registered under the names the query reads (the scorecard's rows)."""
    return _query(store, name, _params(as_of, scope, settings), views=views)


def forecast_history(store, *, benefit_id: str | None = None, project_id: str | None = None,
                     portfolio: str | None = None, scope: Scope = Scope(),
                     settings: Settings | None = None) -> pa.Table:
    """Return level 3 totals of financial flow benefits per stored reporting month (SPEC §3 forecast drift)."""
    settings = settings or store.settings()
    # The month is bound per row inside the query; any month serves as a placeholder here.
    params = _params(dt.date(2000, 1, 1), scope, settings)
    params.update(benefit_id=benefit_id, project_id=project_id, only_portfolio=portfolio)
    store.ensure_month_rows()  # every month's totals; normally made within a second of a load
    return _query(store, "forecast_history", params)


def value_timeline(store, as_of: dt.date, scope: Scope = Scope(), settings: Settings | None = None) -> pa.Table:
    """Return cumulative planned, realised and forecast value per month (SPEC §4 level 3, §5 chart)."""
    settings = settings or store.settings()
    return _query(store, "value_timeline", _params(as_of, scope, settings))


def _rag_counts(column: pa.ChunkedArray) -> dict[str, int]:
    import pyarrow.compute as pc  # only the overview needs it; it costs ~70 ms of every CLI start-up

    counts = {"green": 0, "amber": 0, "red": 0, "none": 0}
    for item in pc.value_counts(column).to_pylist():
        counts["none" if item["values"] is None else item["values"]] += item["counts"]
    return counts


HEADLINE_TABLES = ("delivery", "kpi", "benefits", "benchmarks", "sustained")


def headline(store, as_of: dt.date, scope: Scope = Scope(), settings: Settings | None = None,
             tables: dict[str, pa.Table] | None = None, counts: bool = True) -> dict:
    """Return the overview tiles (SPEC §5): portfolio totals of levels 1 and 3 and RAG counts per level.

    `tables` may hold measures tables the caller already built for the same month, scope and
    settings (the scorecard does); they are then read instead of recomputed. With `counts` False
    only the totals are returned (no "rag" entry), which spares the KPI, benchmark and sustained
    tables: the overview needs no more of the previous month, for its deltas.
    """
    import pyarrow.compute as pc

    settings = settings or store.settings()
    params = _params(as_of, scope, settings)
    tables = dict(tables or {})
    with store.connect() as con:
        # both passes in one query, each feeding its totals and its RAG counts, read from the
        # delivery and benefits tables when the caller has them
        given = ({"delivery_base": tables["delivery"], "benefit_rows": tables["benefits"]}
                 if "delivery" in tables and "benefits" in tables else None)
        tiles = _run(con, "headline", params, given, store.read_month_rows).to_pylist()[0]
        for name in ("kpi", "benchmarks", "sustained") if counts else ():
            if name not in tables:
                tables[name] = _run(con, name, params, month_rows=store.read_month_rows)
    rag_lists = {level: tiles.pop(f"{level}_rag") or [] for level in ("delivery", "benefits")}
    tiles["currency"] = settings.currency
    tiles["as_of"] = params["as_of"]
    if not counts:
        return tiles
    counted = {}
    for level in ("delivery", "benefits"):
        counted[level] = {"green": 0, "amber": 0, "red": 0, "none": 0}
        for item in rag_lists[level]:
            counted[level][item["rag"] or "none"] += item["n"]
    # The KPI level counts KPIs; the portfolio spend rows (spend:<portfolio>) are delivery figures.
    kpi = tables["kpi"].filter(pc.and_(pc.equal(tables["kpi"]["grain"], "month"),
                                       pc.invert(pc.starts_with(tables["kpi"]["kpi_id"], "spend:"))))
    position_rag = {"top quartile": "green", "above median": "amber", "below median": "red"}
    sustained_rag = {True: "green", False: "red"}
    tiles["rag"] = {
        "delivery": counted["delivery"],
        "kpi": _rag_counts(kpi["rag"]),
        "benefits": counted["benefits"],
        "benchmarks": _rag_counts(pa.chunked_array(
            [pa.array([position_rag.get(p) for p in tables["benchmarks"]["position"].to_pylist()],
                      pa.string())])),
        "sustained": _rag_counts(pa.chunked_array(
            [pa.array([sustained_rag.get(s) for s in tables["sustained"]["sustained"].to_pylist()],
                      pa.string())])),
    }
    return tiles


# -- a page's queries together -------------------------------------------------------------------

# Queries run side by side, each on its own connection; more threads than cores only queue
# (six measures tables on 2 cores: one at a time 539 ms, 2 threads 448 ms, 6 threads 428 ms).
SIDE_BY_SIDE_THREADS = max(2, min(4, os.cpu_count() or 2))


def side_by_side(calls: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Run independent store reads at the same time; return name -> result, in the calls' order.

    Each thread takes its own cursor of the store (Store.connect), as DuckDB runs one query per
    connection at a time. List the longest first: they start first. A failure is raised here.
    """
    with ThreadPoolExecutor(max_workers=SIDE_BY_SIDE_THREADS, thread_name_prefix="measures") as pool:
        jobs = {name: pool.submit(call) for name, call in calls.items()}
        return {name: job.result() for name, job in jobs.items()}


# Store-reading tables, the longest first (side_by_side starts them in this order).
_LONGEST_FIRST = ("returns", "sustained", "delivery", "benefits", "kpi", "benchmarks", "bridge")


def measure_tables(store, names: tuple[str, ...], as_of: dt.date, scope: Scope = Scope(),
                   settings: Settings | None = None) -> dict[str, pa.Table]:
    """Return several measures tables of one month and scope, read side by side.

    `objectives` is summed from the benefits and kpi tables (read for it when not asked for).
    """
    unknown = [name for name in names if name not in TABLES]
    if unknown:
        raise ValueError(f"unknown measures table {unknown[0]!r}; choose one of {', '.join(TABLES)}")
    settings = settings or store.settings()
    reads = set(names) - {"objectives"} | ({"benefits", "kpi"} if "objectives" in names else set())
    tables = side_by_side({name: functools.partial(measure_table, store, name, as_of, scope, settings)
                           for name in _LONGEST_FIRST if name in reads})
    if "objectives" in names:
        tables["objectives"] = measure_table(store, "objectives", as_of, scope, settings, tables=tables)
    return {name: tables[name] for name in names}


@dataclass(frozen=True)
class Overview:
    """Everything the executive overview shows for one month and scope."""

    tiles: dict               # headline(as_of), with RAG counts
    previous: dict            # the previous stored month's totals (headline without counts); {} without one
    delivery: pa.Table
    benefits: pa.Table
    timeline: pa.Table


def overview(store, as_of: dt.date, previous: dt.date | None = None, scope: Scope = Scope(),
             settings: Settings | None = None) -> Overview:
    """Return the overview's figures: the tables it lists are read once and also feed its tiles.

    The tiles reuse the delivery, benefits, KPI, benchmark and sustained tables (headline's
    `tables`), and the previous month gives only the totals its deltas need; the reads that are
    left run side by side.
    """
    settings = settings or store.settings()
    calls = {name: functools.partial(measure_table, store, name, as_of, scope, settings)
             for name in ("sustained", "delivery", "benefits", "kpi", "benchmarks")}
    if previous is not None:
        calls["previous"] = functools.partial(headline, store, previous, scope, settings, counts=False)
    calls["timeline"] = functools.partial(value_timeline, store, as_of, scope, settings)
    done = side_by_side(calls)
    tables = {name: done[name] for name in HEADLINE_TABLES}
    return Overview(tiles=headline(store, as_of, scope, settings, tables=tables), previous=done.get("previous", {}),
                    delivery=done["delivery"], benefits=done["benefits"], timeline=done["timeline"])


# -- what the charts and pages show beside the tables (SPEC §11: one truth) ----------------------

REALISATION_GROUPS = ("strategic_objective", "portfolio", "programme", "project")
CHART_TOP = 15  # beyond this many groups a chart shows the largest and one "Others" (SPEC §11)


def _given_query(store, name: str, params: dict, tables: dict[str, pa.Table] | None, macros: dict[str, str]):
    """Run a query, reading the caller's measures tables for the row macros named in `macros` when given."""
    given = {macro: tables[table] for macro, table in macros.items() if tables and table in tables}
    if len(given) < len(macros):
        return _query(store, name, params)
    return _query(store, name, params, given)


def realisation(store, as_of: dt.date, by: str = "strategic_objective", scope: Scope = Scope(),
                settings: Settings | None = None, top: int | None = None,
                tables: dict[str, pa.Table] | None = None) -> pa.Table:
    """Return planned and realised value to date, rate and RAG per objective, portfolio, programme or
    project (financial flow benefits, reporting currency); the largest `top` plus "Others" (SPEC §4 level 3).

    `tables` may hold the benefits table of the same month, scope and settings (the scorecard's).
    """
    if by not in REALISATION_GROUPS:
        raise ValueError(f"unknown grouping {by!r}; choose one of {', '.join(REALISATION_GROUPS)}")
    settings = settings or store.settings()
    return _given_query(store, "realisation", {**_params(as_of, scope, settings), "by": by, "top": top}, tables,
                        {"benefit_rows": "benefits"})


def s_curve(store, as_of: dt.date, project_id: str, settings: Settings | None = None) -> pa.Table:
    """Return one project's cumulative PV, EV, AC and forecast cost per month (SPEC §4 level 1 S-curve)."""
    settings = settings or store.settings()
    return _query(store, "s_curve", {**_params(as_of, Scope(), settings), "project_id": project_id})


def benefit_timeline(store, as_of: dt.date, benefit_id: str, settings: Settings | None = None) -> pa.Table:
    """Return one benefit's planned, realised and forecast value per month, cumulative for a flow (SPEC §4 level 3)."""
    settings = settings or store.settings()
    return _query(store, "benefit_timeline", {**_params(as_of, Scope(), settings), "benefit_id": benefit_id})


def value_at_risk(store, as_of: dt.date, level: str = "benefit", scope: Scope = Scope(),
                  settings: Settings | None = None, top: int = 5,
                  tables: dict[str, pa.Table] | None = None) -> pa.Table:
    """Return the `top` benefits or projects with the most value at risk: planned total − risk-adjusted
    forecast, financial flow benefits in the reporting currency (SPEC §4 level 3)."""
    if level not in ("benefit", "project"):
        raise ValueError(f"unknown level {level!r}; choose benefit or project")
    settings = settings or store.settings()
    return _given_query(store, "value_at_risk", {**_params(as_of, scope, settings), "level": level, "top": top},
                        tables, {"benefit_rows": "benefits", "delivery_base": "delivery"})


def delivery_density(store, delivery: pa.Table, low: float = 0.5, high: float = 1.5, step: float = 0.05) -> pa.Table:
    """Return the count and BAC of projects per CPI × SPI cell, for the quadrant at scale (SPEC §11)."""
    return _query(store, "delivery_density", {"low": low, "high": high, "step": step},
                  views={"delivery_rows": delivery})


def rollup_top(store, rollup: pa.Table, level: str, top: int = CHART_TOP, settings: Settings | None = None) -> pa.Table:
    """Return the `top` largest roll-up groups by BAC and one "Others" row with CPI, SPI and RAG from its sums."""
    if level not in ROLLUP_LEVELS:
        raise ValueError(f"unknown roll-up level {level!r}; choose programme or portfolio")
    settings = settings or store.settings()
    params = {**_params(dt.date(2000, 1, 1), Scope(), settings), "level": level, "top": top}
    return _query(store, "rollup_top", params, views={"rollup_rows": rollup})


def sustained_top(store, sustained: pa.Table, top: int = CHART_TOP) -> pa.Table:
    """Return the `top` financial benefits by value realised after closure and one "Others" row (SPEC §11)."""
    return _query(store, "sustained_top", {"top": top}, views={"sustained_rows": sustained})
# -- the month's story (SPEC §8) -------------------------------------------------------------------

TREND_MONTHS = 12  # stored months in the rating trend
TREND_ROWS = 15  # projects with a row of their own in it; the rest share "others"


def previous_month(months: list[dt.date], as_of: dt.date) -> dt.date | None:
    """Return the latest of the stored reporting `months` (newest first) before `as_of`, or None
    (SPEC §8.3's default comparison, and the overview's deltas)."""
    month = _month(as_of)
    return next((m for m in months if m < month), None)


def changes(store, as_of: dt.date, compare_to: dt.date | None = None, scope: Scope = Scope(),
            settings: Settings | None = None) -> pa.Table:
    """Return the `changes` table (SPEC §8.3): what changed from `compare_to` (default the previous stored
    month) to `as_of`, most important first, each with its sentence. Without an earlier month it is empty."""
    from .story import with_sentences

    settings = settings or store.settings()
    params = _params(as_of, scope, settings)
    compare_to = _month(compare_to) if compare_to is not None else previous_month(store.reporting_months(), as_of)
    params["compare_to"] = compare_to or params["as_of"]  # a month compared with itself: no changes
    return with_sentences(_query(store, "changes", params), settings)


def commentary_history(store, as_of: dt.date, project_ids=(), benefit_ids=(), kpi_ids=()) -> pa.Table:
    """Return the commentary of the given projects, benefits and KPIs per stored month to `as_of`, with who
    loaded it, newest first; a month repeating the text before it is left out (SPEC §8.2)."""
    params = {"as_of": _month(as_of), "project_ids": list(project_ids), "benefit_ids": list(benefit_ids),
              "kpi_ids": list(kpi_ids)}
    return _query(store, "commentary", params)


def delivery_trend(store, as_of: dt.date, scope: Scope = Scope(), settings: Settings | None = None) -> pa.Table:
    """Return each project's delivery RAG in each of the last stored months (SPEC §8.1 rating trend): the
    largest TREND_ROWS projects by BAC a row each, the rest one "others" row."""
    settings = settings or store.settings()
    store.ensure_month_rows()  # every stored month's rows; normally made within a second of a load
    return _query(store, "delivery_trend", _params(as_of, scope, settings))


# -- the benefit map and the RAID log (SPEC §10) --------------------------------------------------

MAP_LAYERS = ("Projects", "Enablers", "Outcomes", "Benefits", "Objectives")  # x = 0 .. 4
# The columns of sql/queries/benefit_map.sql (an empty map has them too), and which are numbers.
MAP_COLUMNS = ("kind", "node_id", "node_type", "node_label", "name", "x", "y", "value", "rag", "open_assumptions",
               "assumption_titles", "from_id", "to_id", "relation", "weight", "x2", "y2", "portfolio", "project_id")
MAP_NUMBERS = {"x", "y", "value", "open_assumptions", "weight", "x2", "y2"}


def benefit_map(store, as_of: dt.date, scope: Scope = Scope(), settings: Settings | None = None) -> pa.Table:
    """Return the benefit map laid out left to right (SPEC §10.2): one row per node (kind 'node': x by
    layer, y by order, value, RAG, open assumptions) and per link (kind 'link': from and to points)."""
    settings = settings or store.settings()
    with store.connect() as con:  # most stores have no map: spare them the node figures
        if not con.execute("SELECT count(*) FROM effective_benefit_map(?)", [_month(as_of)]).fetchall()[0][0]:
            return pa.table({name: pa.array([], pa.float64() if name in MAP_NUMBERS else pa.string())
                             for name in MAP_COLUMNS})
    return _query(store, "benefit_map", _params(as_of, scope, settings))


def raid_items(store, as_of: dt.date, project_id: str, benefit_id: str | None = None) -> pa.Table:
    """Return one project's RAID items as of `as_of` (with `benefit_id`, those naming it), with their overdue
    flags and the counts of overdue items and open issues (SPEC §10.3)."""
    return _query(store, "raid_items", {"as_of": _month(as_of), "project_id": project_id, "benefit_id": benefit_id})
def validated_share(store, as_of: dt.date, scope: Scope = Scope(), settings: Settings | None = None,
                    benefits: pa.Table | None = None) -> dict:
    """Return the scope's validated share of claimed realised value (SPEC §9.3): financial flow benefits in the
    reporting currency, with whether realised_counts is `validated`. `benefits` may be the month's benefits table."""
    settings = settings or store.settings()
    given = {"benefit_rows": benefits} if benefits is not None else None
    return _query(store, "validated_share", _params(as_of, scope, settings), given).to_pylist()[0]
# -- the erosion bridge (SPEC §9.2) ---------------------------------------------------------------

BRIDGE_LEVELS = ("project", "programme", "portfolio")


def bridge(store, as_of: dt.date, from_month: dt.date | None = None, scope: Scope = Scope(),
           settings: Settings | None = None) -> pa.Table:
    """Return the erosion bridge per financial flow benefit from `from_month` (default the first
    stored month) to `as_of` (SPEC §9.2)."""
    settings = settings or store.settings()
    params = _params(as_of, scope, settings)
    if from_month is None:
        months = store.reporting_months()
        from_month = min(months) if months else params["as_of"]
    params["from_month"] = _month(from_month)
    if params["from_month"] > params["as_of"]:
        raise ValueError(f"the bridge's from month {params['from_month']:%Y-%m} is after its month "
                         f"{params['as_of']:%Y-%m}")
    return _query(store, "bridge", params)


def bridge_rollup(store, as_of: dt.date, level: str, from_month: dt.date | None = None, scope: Scope = Scope(),
                  settings: Settings | None = None, rows: pa.Table | None = None) -> pa.Table:
    """Return the erosion bridge summed per project, programme or portfolio and currency (SPEC §9.2);
    `rows` may be the bridge the caller already has for the same month, scope and settings."""
    if level not in BRIDGE_LEVELS:
        raise ValueError(f"unknown bridge level {level!r}; choose {', '.join(BRIDGE_LEVELS)}")
    settings = settings or store.settings()
    rows = rows if rows is not None else bridge(store, as_of, from_month, scope, settings)
    params = {**_params(as_of, scope, settings), "level": level}
    return _query(store, "bridge_rollup", params, views={"bridge_rows": rows})


def bridge_waterfall(store, rows: pa.Table, settings: Settings | None = None) -> pa.Table:
    """Return the five waterfall steps of bridge rows in the reporting currency (SPEC §9.2 chart)."""
    settings = settings or store.settings()
    params = _params(dt.date(2000, 1, 1), Scope(), settings)  # the month is the rows'; any serves
    return _query(store, "bridge_waterfall", params, views={"bridge_rows": rows})
