"""Generate the bundled sample portfolio in pmo_metrics/sample_data/ (run: .venv/bin/python data/generate_sample.py).

Three portfolios, 25 projects, 60 benefits, 5 KPIs and 4 benchmark metrics, reported monthly from
2026-04 to 2026-10. Every measure of SPEC §4 has data to work on: earned value and percent-complete
projects, closed projects whose benefits keep flowing (sustained value), not-started projects with
a plan only, forecasts that drift from month to month (erosion, one slipping programme) and a
corrective re-upload. Each portfolio's workbooks are messy in their own way, within SPEC §2:

- Digital Transformation: canonical headers, periods as `2026-10` text, Excel dates, a blank row
  in BenefitValues.
- Operational Excellence: headers like `Project ID`, `Planned Cost`, `% Complete`, `BAC`; periods
  as real Excel month-end dates; a blank row in Financials; an unknown `Notes` column; plus
  `2026-09 Operational Excellence (corrected).xlsx`.
- Customer Growth: two title rows above every header; money as `£12,500` text in Financials;
  periods as `Oct-26` text; dates as `31/10/2026` text; BenefitValues in the wide form.

KPIs come as one CSV per month and benchmarks as a quarterly workbook, both dated by file name.
Everything is derived from a seed, and the xlsx bytes are made reproducible, so regenerating
without a change to this script leaves git clean.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pmo_metrics import schema  # noqa: E402  (script run from anywhere, package not installed)

SEED = 20261031
OUT_DIR = Path(__file__).resolve().parent.parent / "pmo_metrics" / "sample_data"
REPORTING_MONTHS = ("2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10")
BENCHMARK_MONTHS = ("2026-04", "2026-07", "2026-10")
CORRECTED = ("2026-09", "Operational Excellence")

REV = "Grow recurring revenue"
CTS = "Reduce cost to serve"
CX = "Improve customer experience"
RES = "Strengthen resilience & compliance"
DIG = "Build digital & data capability"

DT_, OE, CG = "Digital Transformation", "Operational Excellence", "Customer Growth"
PORTFOLIOS = (DT_, OE, CG)


def month_index(text: str) -> int:
    """Return `YYYY-MM` as a month count, so month arithmetic is integer arithmetic."""
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def month_text(index: int) -> str:
    """Return the `YYYY-MM` of a month count."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(index: int) -> dt.date:
    return month_start(index + 1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Project:
    project_id: str
    name: str
    portfolio: str
    programme: str
    sponsor: str
    manager: str
    objective: str
    start: str  # YYYY-MM
    end: str  # YYYY-MM, the baseline end month
    bac: int
    kind: str = "execution"  # initiation / planning / execution (closed follows from the dates)
    percent_only: bool = False  # reports percent_complete instead of earned_value
    cost_factor: float | None = None  # fixed actual/planned ratio; None = drawn from the seed
    slips: tuple[str, ...] = ()  # reporting months at which the end slips by one month


# Supply Chain (Operational Excellence) is the slipping programme: costs up, schedule down.
PROJECTS = (
    Project("DT-001", "Cloud Migration Wave 1", DT_, "Cloud & Platforms", "Sarah Collins", "Ravi Patel",
            CTS, "2024-03", "2025-09", 2_400_000),
    Project("DT-002", "Cloud Migration Wave 2", DT_, "Cloud & Platforms", "Sarah Collins", "Ravi Patel",
            CTS, "2025-06", "2026-12", 2_900_000),
    Project("DT-003", "ERP Consolidation", DT_, "Cloud & Platforms", "Michael Hart", "Joanna Wells",
            CTS, "2025-01", "2027-03", 6_500_000, cost_factor=1.12),
    Project("DT-004", "Customer Mobile App Relaunch", DT_, "Digital Channels", "Emma Richardson",
            "Kwame Mensah", CX, "2025-05", "2026-06", 1_800_000),
    Project("DT-005", "Self-Service Portal", DT_, "Digital Channels", "Emma Richardson", "Laura Chen",
            CX, "2025-10", "2026-12", 1_350_000, percent_only=True),
    Project("DT-006", "Data Platform Modernisation", DT_, "Data & AI", "Michael Hart", "Stefan Novak",
            DIG, "2025-04", "2026-11", 3_100_000),
    Project("DT-007", "AI Demand Forecasting", DT_, "Data & AI", "Michael Hart", "Stefan Novak",
            DIG, "2026-07", "2027-06", 1_600_000, kind="planning"),
    Project("DT-008", "Document Automation", DT_, "Digital Channels", "Emma Richardson", "Laura Chen",
            CTS, "2024-09", "2026-01", 950_000),
    Project("DT-009", "Identity & Access Management", DT_, "Cloud & Platforms", "Sarah Collins",
            "Joanna Wells", RES, "2027-02", "2027-12", 1_200_000, kind="initiation"),
    Project("OE-001", "Warehouse Automation", OE, "Supply Chain", "David Thornton", "Agnieszka Nowak",
            CTS, "2025-03", "2026-12", 4_800_000, slips=("2026-07", "2026-10")),
    Project("OE-002", "Transport Management System", OE, "Supply Chain", "David Thornton", "Liam O'Connor",
            CTS, "2025-07", "2026-10", 1_900_000, slips=("2026-06", "2026-08", "2026-10")),
    Project("OE-003", "Supplier Collaboration Portal", OE, "Supply Chain", "David Thornton", "Liam O'Connor",
            CTS, "2025-11", "2027-01", 1_150_000, slips=("2026-05", "2026-09")),
    Project("OE-004", "Shared Services Centre", OE, "Lean Operations", "Catherine Blake", "Hannah Scott",
            CTS, "2024-01", "2025-06", 3_300_000),
    Project("OE-005", "Procure-to-Pay Redesign", OE, "Lean Operations", "Catherine Blake", "Hannah Scott",
            CTS, "2025-05", "2026-09", 1_450_000, percent_only=True),
    Project("OE-006", "Energy Efficiency Retrofit", OE, "Lean Operations", "Catherine Blake", "Peter Walsh",
            RES, "2024-06", "2025-12", 2_050_000),
    Project("OE-007", "Cyber Security Uplift", OE, "Resilience & Compliance", "Nadia Hussain",
            "Peter Walsh", RES, "2025-02", "2026-08", 2_600_000, percent_only=True),
    Project("OE-008", "Regulatory Reporting Automation", OE, "Resilience & Compliance", "Nadia Hussain",
            "Hannah Scott", RES, "2027-01", "2027-10", 900_000, kind="initiation"),
    Project("CG-001", "CRM Replacement", CG, "Customer Experience", "Rebecca Lawson", "Tomás García",
            REV, "2025-04", "2026-11", 3_700_000),
    Project("CG-002", "Contact Centre Transformation", CG, "Customer Experience", "Rebecca Lawson",
            "Imogen Clarke", CX, "2024-05", "2025-11", 2_750_000),
    Project("CG-003", "Loyalty Programme Relaunch", CG, "Customer Experience", "Rebecca Lawson",
            "Imogen Clarke", REV, "2025-09", "2026-08", 1_250_000),
    Project("CG-004", "Personalisation Engine", CG, "Customer Experience", "George Baxter", "Tomás García",
            REV, "2026-01", "2027-03", 2_200_000),
    Project("CG-005", "Subscription Service Launch", CG, "New Markets", "George Baxter", "Sanjay Mehta",
            REV, "2024-10", "2026-02", 1_700_000),
    Project("CG-006", "Nordics Market Entry", CG, "New Markets", "George Baxter", "Freya Lindqvist",
            REV, "2025-08", "2027-02", 3_900_000),
    Project("CG-007", "B2B Online Marketplace", CG, "New Markets", "George Baxter", "Sanjay Mehta",
            REV, "2026-10", "2027-09", 2_300_000, kind="planning"),
    Project("CG-008", "Partner Referral Network", CG, "New Markets", "Rebecca Lawson", "Freya Lindqvist",
            REV, "2027-03", "2027-12", 800_000, kind="initiation"),
)
PROJECTS_BY_ID = {p.project_id: p for p in PROJECTS}


@dataclass(frozen=True)
class Benefit:
    benefit_id: str
    project_id: str
    name: str
    benefit_type: str
    size: float | tuple[float, float]  # flow: steady monthly value; level: (baseline, target)
    unit: str | None
    objective: str
    owner: str | None
    confidence: float
    offset: int  # first planned month relative to the project's end month (negative = before)
    months: int  # planned months
    trend: str  # stable / erode / improve / weak (realised well below plan, never sustained)

    @property
    def is_level(self) -> bool:
        return isinstance(self.size, tuple)


# The table's flow sizes are relative; scaled so that most business cases pay back within the
# 24-36 month benefit horizon while a few (overrunning, eroding) do not.
FLOW_SCALE = 3


def _b(*args) -> Benefit:
    return Benefit(*args)


BENEFITS = (
    _b("BEN-001", "DT-001", "Data centre exit: hosting cost saving", "cost saving", 38_000, None, CTS,
       "Priya Shah", 0.95, 0, 36, "stable"),
    _b("BEN-002", "DT-001", "Infrastructure support headcount avoided", "cost avoidance", 21_000, None, CTS,
       None, 0.85, 1, 30, "weak"),
    _b("BEN-003", "DT-001", "Priority-1 infrastructure incidents", "risk", (14, 6), "incidents per month", RES,
       "Tom Okafor", 0.8, 0, 30, "stable"),
    _b("BEN-004", "DT-002", "Hosting cost saving, wave 2", "cost saving", 45_000, None, CTS,
       "Priya Shah", 0.8, -3, 36, "stable"),
    _b("BEN-005", "DT-002", "Faster environment provisioning", "productivity", 12_000, None, DIG,
       None, 0.7, 0, 24, "erode"),
    _b("BEN-006", "DT-003", "ERP licence consolidation", "cost saving", 30_000, None, CTS,
       "Helen Marsh", 0.9, -6, 36, "stable"),
    _b("BEN-007", "DT-003", "Faster financial close", "productivity", 18_000, None, CTS,
       "Helen Marsh", 0.75, 1, 30, "stable"),
    _b("BEN-008", "DT-003", "Inventory working capital release", "cost avoidance", 25_000, None, CTS,
       "Daniel Reyes", 0.6, 3, 24, "erode"),
    _b("BEN-009", "DT-004", "Mobile app revenue uplift", "revenue", 60_000, None, REV,
       "Sophie Turner", 0.8, -2, 36, "erode"),
    _b("BEN-010", "DT-004", "Customer satisfaction score (app)", "customer", (68, 80), "CSAT points", CX,
       "Sophie Turner", 0.85, 0, 30, "improve"),
    _b("BEN-011", "DT-004", "Call deflection to the app", "cost avoidance", 15_000, None, CX,
       None, 0.75, 0, 30, "stable"),
    _b("BEN-012", "DT-005", "Contact volume reduction", "cost saving", 28_000, None, CTS,
       "Mark Ellison", 0.8, -4, 36, "improve"),
    _b("BEN-013", "DT-005", "Digital self-service share", "customer", (35, 60), "% of contacts", DIG,
       "Mark Ellison", 0.9, -4, 30, "stable"),
    _b("BEN-014", "DT-006", "Legacy data warehouse decommissioned", "cost saving", 22_000, None, CTS,
       "Priya Shah", 0.9, 1, 30, "stable"),
    _b("BEN-015", "DT-006", "Analyst productivity from self-serve reporting", "productivity", 16_000, None,
       DIG, None, 0.7, -2, 30, "erode"),
    _b("BEN-016", "DT-006", "Regulatory reporting data errors", "compliance", (25, 5), "errors per month", RES,
       "Grace Lin", 0.8, 0, 24, "stable"),
    _b("BEN-017", "DT-007", "Fewer stock write-offs", "cost saving", 40_000, None, CTS,
       "Daniel Reyes", 0.65, 1, 36, "stable"),
    _b("BEN-018", "DT-007", "Availability-driven revenue uplift", "revenue", 35_000, None, REV,
       None, 0.6, 2, 30, "stable"),
    _b("BEN-019", "DT-008", "Back-office processing productivity", "productivity", 26_000, None, CTS,
       "Rachel Adeyemi", 0.95, -1, 36, "stable"),
    _b("BEN-020", "DT-008", "Print and postage saving", "cost saving", 9_000, None, CTS,
       "Rachel Adeyemi", 1.0, 0, 30, "stable"),
    _b("BEN-021", "DT-008", "Processing time per document", "productivity", (18, 6), "minutes", CX,
       None, 0.9, 0, 24, "stable"),
    _b("BEN-022", "DT-009", "Audit remediation cost avoided", "compliance", 14_000, None, RES,
       "Grace Lin", 0.7, 1, 24, "stable"),
    _b("BEN-023", "DT-009", "Helpdesk password resets avoided", "cost saving", 6_000, None, CTS,
       None, 0.8, 1, 24, "stable"),
    _b("BEN-024", "OE-001", "Warehouse labour productivity", "productivity", 55_000, None, CTS,
       "Martin Kowalski", 0.8, 0, 36, "erode"),
    _b("BEN-025", "OE-001", "Picking errors", "customer", (32, 8), "errors per 10k orders", CX,
       "Martin Kowalski", 0.75, 0, 30, "erode"),
    _b("BEN-026", "OE-001", "Same-day dispatch revenue", "revenue", 30_000, None, REV,
       None, 0.6, 2, 30, "erode"),
    _b("BEN-027", "OE-002", "Freight cost saving", "cost saving", 42_000, None, CTS,
       "Aisha Rahman", 0.85, 0, 36, "erode"),
    _b("BEN-028", "OE-002", "Fuel cost avoided by route optimisation", "cost avoidance", 12_000, None, CTS,
       "Aisha Rahman", 0.7, 1, 30, "stable"),
    _b("BEN-029", "OE-003", "Procurement price savings", "cost saving", 33_000, None, CTS,
       "Neil Fraser", 0.75, -3, 36, "erode"),
    _b("BEN-030", "OE-003", "Supplier on-time delivery", "risk", (82, 95), "% on time", RES,
       None, 0.8, 0, 30, "stable"),
    _b("BEN-031", "OE-004", "Finance and HR shared services saving", "cost saving", 65_000, None, CTS,
       "Claire Donnelly", 0.95, 0, 36, "stable"),
    _b("BEN-032", "OE-004", "Invoice processing cost avoided", "cost avoidance", 14_000, None, CTS,
       "Claire Donnelly", 0.9, 0, 36, "weak"),
    _b("BEN-033", "OE-004", "Average handling time (shared services)", "productivity", (9.5, 7.0), "minutes",
       CX, "Claire Donnelly", 0.9, 0, 36, "stable"),
    _b("BEN-034", "OE-005", "Early payment discounts captured", "cost saving", 18_000, None, CTS,
       "Neil Fraser", 0.8, -2, 30, "improve"),
    _b("BEN-035", "OE-005", "Duplicate payments avoided", "cost avoidance", 8_000, None, RES,
       None, 0.7, 0, 24, "stable"),
    _b("BEN-036", "OE-006", "Energy cost saving", "cost saving", 36_000, None, CTS,
       "Owen Price", 0.9, 0, 36, "improve"),
    _b("BEN-037", "OE-006", "Carbon emissions", "compliance", (410, 280), "tCO2e per month", RES,
       "Owen Price", 0.85, 0, 36, "stable"),
    _b("BEN-038", "OE-006", "Plant maintenance cost avoided", "cost avoidance", 7_000, None, CTS,
       None, 0.8, 1, 30, "weak"),
    _b("BEN-039", "OE-007", "Security incidents", "risk", (22, 8), "incidents per month", RES,
       "Farah Iqbal", 0.85, -3, 30, "stable"),
    _b("BEN-040", "OE-007", "Cyber insurance premium reduction", "cost saving", 9_000, None, RES,
       "Farah Iqbal", 0.9, 1, 24, "stable"),
    _b("BEN-041", "OE-007", "Expected breach loss avoided", "cost avoidance", 20_000, None, RES,
       "Farah Iqbal", 0.6, 0, 36, "stable"),
    _b("BEN-042", "OE-008", "Regulatory reporting effort saved", "productivity", 15_000, None, RES,
       "Grace Lin", 0.7, 1, 24, "stable"),
    _b("BEN-043", "OE-008", "Late filing penalties avoided", "cost avoidance", 5_000, None, RES,
       None, 0.8, 1, 24, "stable"),
    _b("BEN-044", "CG-001", "Cross-sell revenue uplift", "revenue", 70_000, None, REV,
       "James Whitfield", 0.75, -3, 36, "erode"),
    _b("BEN-045", "CG-001", "Sales administration productivity", "productivity", 20_000, None, CTS,
       "James Whitfield", 0.8, 0, 30, "stable"),
    _b("BEN-046", "CG-001", "Customer satisfaction score", "customer", (71, 82), "CSAT points", CX,
       None, 0.8, -2, 30, "stable"),
    _b("BEN-047", "CG-002", "Contact centre cost saving", "cost saving", 48_000, None, CTS,
       "Lucy Brennan", 0.95, 0, 36, "stable"),
    _b("BEN-048", "CG-002", "Average handling time", "productivity", (8.8, 6.5), "minutes", CX,
       "Lucy Brennan", 0.9, 0, 30, "stable"),
    _b("BEN-049", "CG-002", "Retention revenue from first-contact resolution", "revenue", 26_000, None, CX,
       "Lucy Brennan", 0.7, 1, 30, "weak"),
    _b("BEN-050", "CG-003", "Loyalty member revenue", "revenue", 52_000, None, REV,
       "Ella Morgan", 0.8, -2, 36, "improve"),
    _b("BEN-051", "CG-003", "Net promoter score", "customer", (22, 35), "NPS points", CX,
       "Ella Morgan", 0.75, 0, 30, "stable"),
    _b("BEN-052", "CG-004", "Basket size uplift", "revenue", 45_000, None, REV,
       "Ella Morgan", 0.65, -4, 36, "stable"),
    _b("BEN-053", "CG-004", "Marketing spend efficiency", "cost saving", 15_000, None, CTS,
       None, 0.7, 0, 24, "stable"),
    _b("BEN-054", "CG-005", "Subscription revenue", "revenue", 85_000, None, REV,
       "Oliver Grant", 0.9, -2, 36, "stable"),
    _b("BEN-055", "CG-005", "Subscriber churn rate", "customer", (6.0, 3.5), "% per month", CX,
       "Oliver Grant", 0.8, 0, 30, "erode"),
    _b("BEN-056", "CG-006", "Nordics revenue", "revenue", 90_000, None, REV,
       "Anders Lund", 0.6, -6, 36, "erode"),
    _b("BEN-057", "CG-006", "Localisation cost avoided", "cost avoidance", 10_000, None, CTS,
       None, 0.7, 0, 24, "stable"),
    _b("BEN-058", "CG-007", "Marketplace commission revenue", "revenue", 60_000, None, REV,
       "Oliver Grant", 0.6, 1, 36, "stable"),
    _b("BEN-059", "CG-008", "Referral revenue", "revenue", 25_000, None, REV,
       None, 0.6, 1, 24, "stable"),
    _b("BEN-060", "CG-008", "Customer acquisition cost saving", "cost saving", 8_000, None, CTS,
       "James Whitfield", 0.7, 1, 24, "stable"),
)

# (kpi_id, name, objective, unit, direction, aggregation, budget at 2025-01, budget change per month)
KPIS = (
    ("KPI-REV", "Recurring revenue", REV, "£k", "higher_is_better", "sum", 4200.0, 35.0),
    ("KPI-CTS", "Cost to serve per order", CTS, "£", "lower_is_better", "mean", 5.40, -0.03),
    ("KPI-NPS", "Net promoter score", CX, "points", "higher_is_better", "last", 24.0, 0.45),
    ("KPI-P1", "Priority-1 incidents", RES, "incidents", "lower_is_better", "sum", 12.0, -0.25),
    ("KPI-DSS", "Digital self-service share", DIG, "%", "higher_is_better", "mean", 38.0, 0.85),
)
KPI_MONTHS = range(month_index("2025-01"), month_index("2026-12") + 1)

# (metric, direction, source, our value at 2025-03 and change per quarter, median, top quartile)
BENCHMARKS = (
    ("Benefits realisation rate (%)", "higher_is_better", "UK PMO Benchmark Club", 84.0, -1.2, 76.0, 88.0),
    ("Cost to serve per order (£)", "lower_is_better", "Retail Operations Survey", 5.10, -0.05, 5.30, 4.60),
    ("Net promoter score", "higher_is_better", "Customer Experience Index", 27.0, 0.8, 29.0, 41.0),
    ("Projects delivered on budget (%)", "higher_is_better", "UK PMO Benchmark Club", 62.0, -0.8, 68.0, 80.0),
)
BENCHMARK_QUARTERS = tuple(month_index(m) for m in ("2025-03", "2025-06", "2025-09", "2025-12",
                                                    "2026-03", "2026-06", "2026-09"))

# The corrective re-upload: accruals reclassified between months for two projects.
ACTUAL_CORRECTIONS = {("OE-001", "2026-07"): 18_400, ("OE-001", "2026-08"): -12_250,
                      ("OE-005", "2026-08"): 9_800}

SLOW_START = month_index("2026-01")  # drift (erosion, overrun, slippage) builds from here


def _rng(*key: object) -> random.Random:
    """Return a generator seeded by `key`, so a value never depends on generation order."""
    return random.Random(":".join(map(str, (SEED, *key))))


# ---------------------------------------------------------------------------------------------
# Delivery: projects and financials
# ---------------------------------------------------------------------------------------------

def end_month(project: Project, as_of: int) -> int:
    """Return the project's current end month: the baseline end plus the slips reported by `as_of`."""
    return month_index(project.end) + sum(1 for s in project.slips if month_index(s) <= as_of)


def stage(project: Project, as_of: int) -> str:
    """Return the stage a project office would report at `as_of`."""
    if as_of < month_index(project.start):
        return project.kind if project.kind in ("initiation", "planning") else "planning"
    after_end = as_of - end_month(project, as_of)
    if after_end <= 0:
        return "execution"
    return "closing" if after_end == 1 else "closed"


def planned_phasing(project: Project) -> dict[int, int]:
    """Return the baseline cost per month: a hump (slow start, peak, tail) summing exactly to BAC."""
    first, last = month_index(project.start), month_index(project.end)
    count = last - first + 1
    weights = [0.35 + (i + 0.5) / count * (1 - (i + 0.5) / count) * 4 for i in range(count)]
    total = sum(weights)
    values = [round(project.bac * w / total, -2) for w in weights]
    values[-1] += project.bac - sum(values)
    return {first + i: int(v) for i, v in enumerate(values)}


def _cost_factor(project: Project, month: int) -> float:
    """Return actual/planned cost at `month`: stable per project, rising in the slipping programme."""
    if project.slips:
        return 1.03 + 0.015 * max(0, month - SLOW_START)
    if project.cost_factor is not None:
        return project.cost_factor
    return _rng("cost", project.project_id).uniform(0.95, 1.06)


def _schedule_factor(project: Project, month: int) -> float:
    """Return earned/planned at `month`: below 1 when behind schedule."""
    if project.slips:
        return max(0.6, 0.97 - 0.012 * max(0, month - SLOW_START))
    return _rng("spi", project.project_id).uniform(0.9, 1.02)


def financial_rows(project: Project, as_of: int, corrected: bool = False) -> list[dict]:
    """Return the project's Financials rows as reported at `as_of` (canonical column names)."""
    plan = planned_phasing(project)
    first, base_last = month_index(project.start), month_index(project.end)
    last = end_month(project, as_of)
    tail = sum(plan[m] for m in range(base_last - 2, base_last + 1)) / 3 * 0.7
    closed = base_last <= as_of and not project.slips
    rows, cumulative_ev = [], 0.0
    quality = _rng("quality", project.project_id).uniform(70, 92)
    for month in range(first, last + 1):
        planned = plan.get(month)
        base = planned if planned is not None else tail
        row = {"project_id": project.project_id, "period": month, "planned_cost": planned}
        if month <= as_of:
            noise = _rng("ac", project.project_id, month).uniform(0.92, 1.08)
            actual = round(base * _cost_factor(project, month) * noise)
            if corrected or as_of > month_index(CORRECTED[0]):
                actual += ACTUAL_CORRECTIONS.get((project.project_id, month_text(month)), 0)
            row["actual_cost"] = actual
            if month == base_last and closed:
                earned = project.bac - cumulative_ev  # complete: EV reaches BAC in the last month
            else:
                noise = _rng("ev", project.project_id, month).uniform(0.95, 1.05)
                earned = min(base * _schedule_factor(project, month) * noise, project.bac - cumulative_ev)
            earned = max(0.0, round(earned))
            cumulative_ev += earned
            if project.percent_only:
                row["percent_complete"] = round(100 * cumulative_ev / project.bac, 1)
            else:
                row["earned_value"] = int(earned)
            drift = 0.8 * max(0, month - SLOW_START) if project.slips else 0
            wobble = _rng("q", project.project_id, month).uniform(-3, 3)
            row["quality_score"] = round(min(100.0, max(0.0, quality - drift + wobble)))
        else:
            row["forecast_cost"] = round(base * _cost_factor(project, as_of))
        rows.append(row)
    return rows


# SPEC §8: the Digital Transformation office reports delivery confidence as a number (1 red ... 5
# green), Operational Excellence as words; Customer Growth leaves it blank. Each entry is the rating
# from that month on. Owners explain a month in commentary (Projects, Benefits, KPIs).
CONFIDENCE = {
    "OE-001": (("2026-04", "Amber/Green"), ("2026-09", "Amber"), ("2026-10", "Amber/Red")),
    "OE-008": (("2026-04", "Green"), ("2026-10", "Amber")),
    "DT-003": (("2026-04", 3), ("2026-08", 2)),
}
DEFAULT_CONFIDENCE = {DT_: 4, OE: "Green", CG: None}
STATUS_COMMENTARY = {
    ("OE-001", "2026-09"): "Conveyor supplier slipped six weeks; overtime approved to hold the go-live.",
    ("OE-001", "2026-10"): "Go-live moved to January: conveyor commissioning failed its first test.\n"
                           "Recovery plan agreed with the supplier; cost overrun under review.",
    ("DT-003", "2026-08"): "Data migration defects found in user testing; cut-over re-planned.",
    ("CG-006", "2026-10"): "Nordics launch moved to Q1: the local payment provider is not yet certified.",
}
BENEFIT_COMMENTARY = {
    ("BEN-056", "2026-10"): "Fewer Nordic sign-ups than planned until the launch; forecast cut accordingly.",
}
KPI_COMMENTARY = {
    ("KPI-P1", "2026-10"): "Two priority-1 outages after the warehouse system cut-over; root causes fixed.",
}


def confidence_at(project: Project, as_of: int) -> object:
    """Return the project's delivery confidence as its office reports it at `as_of`."""
    rating = DEFAULT_CONFIDENCE[project.portfolio]
    for since, value in CONFIDENCE.get(project.project_id, ()):
        if month_index(since) <= as_of:
            rating = value
    return rating


def project_row(project: Project, as_of: int) -> dict:
    """Return the project's Projects row as reported at `as_of`."""
    return {
        "project_id": project.project_id,
        "project_name": project.name,
        "portfolio": project.portfolio,
        "programme": project.programme,
        "sponsor": project.sponsor,
        "manager": project.manager,
        "strategic_objective": project.objective,
        "stage": stage(project, as_of),
        "start_date": month_start(month_index(project.start)),
        "end_date": month_end(end_month(project, as_of)),
        "budget_at_completion": project.bac,
        # Customer Growth leaves currency blank: the currency setting supplies it.
        "currency": None if project.portfolio == CG else "GBP",
        "delivery_confidence": confidence_at(project, as_of),
        "status_commentary": STATUS_COMMENTARY.get((project.project_id, month_text(as_of))),
    }


# ---------------------------------------------------------------------------------------------
# Performance: benefits and their monthly values
# ---------------------------------------------------------------------------------------------

def _benefit_factor(benefit: Benefit, month: int) -> float:
    """Return realised/planned at `month` by the benefit's trend; forecasts use it at the reporting month."""
    base = _rng("bf", benefit.benefit_id).uniform(0.97, 1.05)
    since = max(0, month - SLOW_START)
    if benefit.trend == "erode":
        return max(0.4, base - _rng("slope", benefit.benefit_id).uniform(0.02, 0.035) * since)
    if benefit.trend == "improve":
        return min(1.25, base + 0.012 * since)
    if benefit.trend == "weak":
        return 0.78
    return base


def benefit_row(benefit: Benefit, as_of: int | None = None) -> dict:
    """Return the benefit's Benefits row (as reported at `as_of`, for its commentary)."""
    level = benefit.is_level
    return {
        "benefit_id": benefit.benefit_id,
        "project_id": benefit.project_id,
        "benefit_name": benefit.name,
        "category": "non_financial" if level else "financial",
        "benefit_type": benefit.benefit_type,
        "owner": benefit.owner,
        "unit": benefit.unit,
        "measure": "level" if level else "flow",
        "baseline_value": benefit.size[0] if level else None,
        "target_value": benefit.size[1] if level else None,
        "strategic_objective": benefit.objective,
        "confidence": benefit.confidence,
        "commentary": BENEFIT_COMMENTARY.get((benefit.benefit_id, month_text(as_of))) if as_of else None,
    }


def benefit_value_rows(benefit: Benefit, as_of: int) -> list[dict]:
    """Return the benefit's BenefitValues rows (long form) as reported at `as_of`."""
    project = PROJECTS_BY_ID[benefit.project_id]
    first = month_index(project.end) + benefit.offset
    rows = []
    for i in range(benefit.months):
        month = first + i
        row = {"benefit_id": benefit.benefit_id, "period": month}
        if benefit.is_level:
            baseline, target = benefit.size
            planned = baseline + (target - baseline) * min(1.0, (i + 1) / 12)
            row["planned_value"] = round(planned, 1)
            if month <= as_of:
                factor = _benefit_factor(benefit, month)
                noise = _rng("lv", benefit.benefit_id, month).uniform(-0.04, 0.04) * abs(target - baseline)
                row["realised_value"] = round(baseline + (planned - baseline) * factor + noise, 1)
            else:
                factor = _benefit_factor(benefit, as_of)
                row["forecast_value"] = round(baseline + (planned - baseline) * factor, 1)
        else:
            # Six-month ramp-up to the steady state.
            planned = benefit.size * FLOW_SCALE * min(1.0, (i + 1) / 6)
            row["planned_value"] = round(planned)
            if month <= as_of:
                noise = _rng("rv", benefit.benefit_id, month).uniform(0.96, 1.04)
                row["realised_value"] = round(planned * _benefit_factor(benefit, month) * noise)
            else:
                row["forecast_value"] = round(planned * _benefit_factor(benefit, as_of))
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------
# KPIs and benchmarks
# ---------------------------------------------------------------------------------------------

def kpi_rows(as_of: int) -> list[dict]:
    """Return every KPI's monthly rows as reported at `as_of`: actuals to date, forecasts made a month ahead."""
    rows = []
    for kpi_id, name, objective, unit, direction, aggregation, start, step in KPIS:
        lower = direction == "lower_is_better"
        for month in KPI_MONTHS:
            i = month - KPI_MONTHS[0]
            season = 1 + 0.04 * ((month % 12) in (10, 11)) if kpi_id == "KPI-REV" else 1.0
            budget = (start + step * i) * season
            # A past month keeps the forecast made the month before it; later months drift with as_of.
            made = min(as_of, month - 1)
            forecast = budget * (1 + _rng("kf", kpi_id).uniform(-0.03, 0.03)
                                 + 0.004 * max(0, made - SLOW_START) * (1 if lower else -1))
            row = {
                "kpi_id": kpi_id, "kpi_name": name, "strategic_objective": objective, "period": month,
                "budget": budget, "forecast": forecast,
                "target": budget * (0.95 if lower else 1.04),
                "unit": unit, "direction": direction, "aggregation": aggregation,
            }
            if month <= as_of:
                row["actual"] = budget * _rng("ka", kpi_id, month).uniform(0.93, 1.06)
            if month == as_of and (kpi_id, month_text(as_of)) in KPI_COMMENTARY:
                row["commentary"] = KPI_COMMENTARY[(kpi_id, month_text(as_of))]
            digits = 0 if kpi_id == "KPI-P1" else 2
            for col in ("actual", "budget", "forecast", "target"):
                if col in row:
                    row[col] = round(row[col], digits) if digits else int(round(row[col]))
            rows.append(row)
    return rows


def benchmark_rows(as_of: int) -> list[dict]:
    """Return every benchmark reading published by `as_of` (the whole history, one row per quarter)."""
    rows = []
    for metric, direction, source, ours, step, median, top in BENCHMARKS:
        for q, month in enumerate(m for m in BENCHMARK_QUARTERS if m <= as_of):
            peer_drift = 1 + 0.005 * q * (-1 if direction == "lower_is_better" else 1)
            noise = _rng("bm", metric, month).uniform(-0.01, 0.01)
            rows.append({
                "metric": metric, "period": dt.datetime.combine(month_end(month), dt.time()),
                "our_value": round((ours + step * q) * (1 + noise), 2),
                "peer_median": round(median * peer_drift, 2),
                "peer_top_quartile": round(top * peer_drift, 2),
                "direction": direction, "source": source,
            })
    return rows


# ---------------------------------------------------------------------------------------------
# Writing: each portfolio office has its own habits (SPEC §2's forgiving rules)
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Style:
    """How one office fills in its workbook."""

    header: dict[str, str]  # canonical column -> header text; missing = canonical name
    period: str  # "iso" (2026-10 text), "excel" (month-end date), "mon-yy" (Oct-26 text)
    dates: str  # "excel" or "dmy" (31/10/2026 text)
    money_text: bool = False  # Financials money as "£12,500"
    title_rows: tuple[str, ...] = ()
    wide_values: bool = False
    blank_row_in: str | None = None
    extra_project_column: str | None = None


def _title_header(name: str) -> str:
    """Return `project_id` as `Project ID`: how people head columns in Excel."""
    return re.sub(r"\bId\b", "ID", name.replace("_", " ").title())


_OE_HEADERS = {c.name: _title_header(c.name) for s in schema.SHEETS for c in s.columns}
_OE_HEADERS.update({"budget_at_completion": "BAC", "percent_complete": "% Complete"})

STYLES = {
    DT_: Style(header={}, period="iso", dates="excel", blank_row_in="BenefitValues"),
    OE: Style(header=_OE_HEADERS, period="excel", dates="excel", blank_row_in="Financials",
              extra_project_column="Notes"),
    CG: Style(header={}, period="mon-yy", dates="dmy", money_text=True,
              title_rows=("Customer Growth — monthly return", ""), wide_values=True),
}
_MONEY = {"planned_cost", "actual_cost", "forecast_cost", "earned_value"}


def _period_cell(month: int, style: Style):
    if style.period == "excel":
        return dt.datetime.combine(month_end(month), dt.time())
    if style.period == "mon-yy":
        return month_start(month).strftime("%b-%y")
    return month_text(month)


def _cell(column: schema.Column, value, style: Style, sheet: str):
    """Return `value` as this office would type it into the cell."""
    if value is None:
        return None
    if column.type == schema.PERIOD and isinstance(value, int):
        return _period_cell(value, style)
    if column.type == schema.DATE and isinstance(value, dt.date):
        if style.dates == "dmy":
            return value.strftime("%d/%m/%Y")
        return dt.datetime.combine(value, dt.time())
    if style.money_text and sheet == "Financials" and column.name in _MONEY:
        return f"£{value:,.0f}"
    return value


def _write_table(wb: Workbook, sheet: schema.Sheet, rows: list[dict], style: Style, portfolio: str) -> None:
    """Write one long-form sheet: optional title rows, header, rows (with an optional blank row)."""
    ws = wb.create_sheet(sheet.name)
    for title in style.title_rows:
        ws.append([title or None])
    columns = list(sheet.columns)
    header = [style.header.get(c.name, c.name) for c in columns]
    extra = style.extra_project_column if sheet is schema.PROJECTS else None
    if extra:
        header.append(extra)
    ws.append(header)
    blank_at = len(rows) // 2 if style.blank_row_in == sheet.name else None
    for i, row in enumerate(rows):
        if i == blank_at:
            ws.append([])
        values = [_cell(c, row.get(c.name), style, sheet.name) for c in columns]
        if extra:
            values.append("Reforecast after steering group" if row.get("stage") == "execution" else None)
        ws.append(values)
    _format(ws, header, len(style.title_rows) + 1)


def _write_wide_values(wb: Workbook, rows: list[dict], style: Style) -> None:
    """Write BenefitValues wide: benefit_id, measure, one column per month."""
    ws = wb.create_sheet(schema.BENEFIT_VALUES.name)
    for title in style.title_rows:
        ws.append([title or None])
    months = sorted({r["period"] for r in rows})
    # Older columns were headed Oct-26 style, newer ones were appended as 2027-02: both are valid.
    labels = [month_start(m).strftime("%b-%y") if m < month_index("2027-01") else month_text(m) for m in months]
    ws.append(["benefit_id", "measure", *labels])
    by_benefit: dict[str, dict[int, dict]] = {}
    for r in rows:
        by_benefit.setdefault(r["benefit_id"], {})[r["period"]] = r
    for benefit_id, values in by_benefit.items():
        for measure in ("planned", "forecast", "realised"):
            cells = [values.get(m, {}).get(f"{measure}_value") for m in months]
            if any(v is not None for v in cells):
                ws.append([benefit_id, measure, *cells])
    _format(ws, ["benefit_id", "measure", *labels], len(style.title_rows) + 1)


_BOLD = Font(bold=True)


def _format(ws, header: list[str], header_row: int) -> None:
    """Give the sheet the light formatting a real return has: widths and date formats."""
    for index, text in enumerate(header, start=1):
        ws.cell(row=header_row, column=index).font = _BOLD
        ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = max(10, len(str(text)) + 2)
    for row in ws.iter_rows(min_row=header_row + 1):
        for cell in row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "dd/mm/yyyy"


def _about(wb: Workbook, as_of: str) -> None:
    ws = wb.active
    ws.title = schema.ABOUT_SHEET
    ws["A1"], ws["B1"] = "as_of", as_of
    ws["B1"].number_format = "@"


def portfolio_workbook(portfolio: str, as_of: str, corrected: bool = False) -> bytes:
    """Return one portfolio's monthly return for `as_of`; `corrected` = only the corrected Financials."""
    style, month = STYLES[portfolio], month_index(as_of)
    projects = [p for p in PROJECTS if p.portfolio == portfolio]
    wb = Workbook()
    _about(wb, as_of)
    if corrected:
        fixed = sorted({pid for pid, _ in ACTUAL_CORRECTIONS})
        rows = [r for p in projects if p.project_id in fixed for r in financial_rows(p, month, corrected=True)]
        _write_table(wb, schema.FINANCIALS, rows, style, portfolio)
        return _stable_xlsx(wb)
    _write_table(wb, schema.PROJECTS, [project_row(p, month) for p in projects], style, portfolio)
    _write_table(wb, schema.FINANCIALS, [r for p in projects for r in financial_rows(p, month)], style, portfolio)
    ids = {p.project_id for p in projects}
    benefits = [b for b in BENEFITS if b.project_id in ids]
    _write_table(wb, schema.BENEFITS, [benefit_row(b, month) for b in benefits], style, portfolio)
    values = [r for b in benefits for r in benefit_value_rows(b, month)]
    if style.wide_values:
        _write_wide_values(wb, values, style)
    else:
        _write_table(wb, schema.BENEFIT_VALUES, values, style, portfolio)
    return _stable_xlsx(wb)


# SPEC §10.2: a small benefit map over the Digital Transformation and Customer Growth portfolios, as the
# PMO keeps it in its own workbook: (from, to, relation, weight, node_type of a new enabler/outcome).
MAP_ROWS = (
    ("DT-001", "EN-CLOUD", "enables", None, "enabler"),
    ("DT-002", "EN-CLOUD", "enables", None, None),
    ("EN-CLOUD", "OUT-DC-EXIT", "contributes_to", None, "outcome"),
    ("OUT-DC-EXIT", "BEN-001", "contributes_to", 1.0, None),
    ("OUT-DC-EXIT", "BEN-004", "contributes_to", 1.0, None),
    ("EN-CLOUD", "BEN-005", "contributes_to", 0.6, None),
    ("DT-003", "EN-ERP", "enables", None, "enabler"),
    ("EN-ERP", "BEN-006", "contributes_to", 1.0, None),
    ("EN-ERP", "BEN-007", "contributes_to", 0.8, None),
    ("DT-004", "EN-APP", "enables", None, "enabler"),
    ("EN-APP", "BEN-009", "contributes_to", 0.7, None),
    ("EN-APP", "BEN-010", "contributes_to", None, None),
    ("CG-001", "EN-CRM", "enables", None, "enabler"),
    ("EN-CRM", "OUT-SCV", "contributes_to", None, "outcome"),
    ("OUT-SCV", "BEN-044", "contributes_to", 0.5, None),
    ("EN-APP", "OUT-SCV", "contributes_to", 0.3, None),
    ("OUT-SCV", "BEN-046", "contributes_to", None, None),
    ("BEN-001", CTS, "contributes_to", None, None),
    ("BEN-004", CTS, "contributes_to", None, None),
    ("BEN-006", CTS, "contributes_to", None, None),
    ("BEN-007", CTS, "contributes_to", None, None),
    ("BEN-005", DIG, "contributes_to", None, None),
    ("BEN-009", REV, "contributes_to", None, None),
    ("BEN-044", REV, "contributes_to", None, None),
    ("BEN-010", CX, "contributes_to", None, None),
    ("BEN-046", CX, "contributes_to", None, None),
)
# SPEC §10.3: the RAID log per reporting month (raid_id, type, title, project, benefits, owner, status,
# probability, impact, due date, commentary). Later months close some items and open others.
RAID_ROWS = {
    "2026-07": (
        ("R-001", "risk", "Data centre lease exit penalty", "DT-001", "BEN-001", "Priya Shah", "open", 0.3,
         120_000, "2026-12-31", "Landlord disputes the break clause."),
        ("R-002", "risk", "App store approval delays relaunch features", "DT-004", "BEN-009; BEN-010",
         "Sophie Turner", "open", 0.4, 90_000, "2026-09-30", None),
        ("I-001", "issue", "ERP data migration defects", "DT-003", "BEN-006, BEN-007", "Helen Marsh", "open",
         None, None, "2026-08-31", "Defect backlog above the go-live threshold."),
        ("A-001", "assumption", "Wave 2 workloads move without re-platforming", "DT-002", "BEN-004",
         "Ravi Patel", "open", None, None, None, None),
    ),
    "2026-10": (
        ("R-001", "risk", "Data centre lease exit penalty", "DT-001", "BEN-001", "Priya Shah", "open", 0.3,
         120_000, "2026-12-31", "Negotiation with the landlord continues."),
        ("R-002", "risk", "App store approval delays relaunch features", "DT-004", "BEN-009; BEN-010",
         "Sophie Turner", "closed", 0.4, 90_000, "2026-09-30", "Features approved in September."),
        ("R-003", "risk", "Cross-sell model under-performs", "CG-001", "BEN-044", "Tomás García", "open", 0.5,
         400_000, "2027-03-31", None),
        ("R-004", "risk", "Hosting price rise erodes savings", "DT-002", "BEN-004", "Priya Shah", "open", 0.25,
         200_000, "2027-06-30", None),
        ("I-001", "issue", "ERP data migration defects", "DT-003", "BEN-006, BEN-007", "Helen Marsh", "open",
         None, None, "2026-08-31", "Still open: the fix release slipped."),
        ("I-002", "issue", "CRM adoption below plan in two regions", "CG-001", "BEN-044; BEN-045",
         "Tomás García", "open", None, None, "2026-11-30", None),
        ("A-001", "assumption", "Wave 2 workloads move without re-platforming", "DT-002", "BEN-004",
         "Ravi Patel", "open", None, None, None, None),
        ("A-002", "assumption", "App users keep the relaunch's engagement", "DT-004", "BEN-009",
         "Sophie Turner", "open", None, None, None, None),
        ("D-001", "decision", "Choose the CRM data-quality vendor", "CG-001", "BEN-044", "Rebecca Lawson", "open",
         None, None, "2026-09-15", None),
    ),
}
RAID_COLUMNS = ("raid_id", "type", "title", "project_id", "benefit_ids", "owner", "status", "probability", "impact",
                "due_date", "commentary")


def map_and_raid_workbook(as_of: str) -> bytes:
    """Return the PMO's benefit map and RAID log for `as_of` (canonical headers, ISO dates)."""
    wb = Workbook()
    _about(wb, as_of)
    ws = wb.create_sheet(schema.BENEFIT_MAP.name)
    ws.append(["from_id", "to_id", "relation", "weight", "node_type"])
    for row in MAP_ROWS:
        ws.append(list(row))
    ws = wb.create_sheet(schema.RAID.name)
    ws.append(list(RAID_COLUMNS))
    for row in RAID_ROWS[as_of]:
        ws.append([dt.datetime.fromisoformat(v) if i == 9 and v else v for i, v in enumerate(row)])
    _format(ws, list(RAID_COLUMNS), 1)
    return _stable_xlsx(wb)


def benchmarks_workbook(as_of: str) -> bytes:
    """Return the quarterly benchmark workbook; its reporting month comes from the file name."""
    wb = Workbook()
    wb.remove(wb.active)
    _write_table(wb, schema.BENCHMARKS, benchmark_rows(month_index(as_of)), STYLES[DT_], "")
    return _stable_xlsx(wb)


def kpi_csv(as_of: str) -> bytes:
    """Return the month's KPI CSV (canonical headers, `2026-10` periods, `Sum`/`Last` capitalised)."""
    out = io.StringIO()
    names = [c.name for c in schema.KPIS.columns]
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for row in kpi_rows(month_index(as_of)):
        row = dict(row, period=month_text(row["period"]), aggregation=row["aggregation"].capitalize())
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


_FIXED_TIME = (2026, 1, 1, 0, 0, 0)


def _stable_xlsx(wb: Workbook) -> bytes:
    """Return the workbook's bytes with fixed timestamps, so the same data gives the same file."""
    stamp = dt.datetime(*_FIXED_TIME)
    wb.properties.created = stamp
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                # openpyxl stamps `modified` with the clock at save time.
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", data)
            info = zipfile.ZipInfo(item.filename, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()


def generate(out_dir: Path = OUT_DIR) -> list[dict]:
    """Write the sample files and manifest.json into `out_dir`; return the manifest (load order)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.iterdir():
        if old.suffix in (".xlsx", ".csv", ".json"):
            old.unlink()
    manifest = []

    def write(name: str, data: bytes, as_of: str) -> None:
        (out_dir / name).write_bytes(data)
        manifest.append({"file": name, "as_of": as_of})

    for as_of in REPORTING_MONTHS:
        for portfolio in PORTFOLIOS:
            write(f"{as_of} {portfolio}.xlsx", portfolio_workbook(portfolio, as_of), as_of)
            if (as_of, portfolio) == CORRECTED:
                write(f"{as_of} {portfolio} (corrected).xlsx", portfolio_workbook(portfolio, as_of, True), as_of)
        write(f"{as_of} KPIs.csv", kpi_csv(as_of), as_of)
        if as_of in BENCHMARK_MONTHS:
            write(f"{as_of} Benchmarks.xlsx", benchmarks_workbook(as_of), as_of)
        if as_of in RAID_ROWS:
            write(f"{as_of} Benefit map and RAID.xlsx", map_and_raid_workbook(as_of), as_of)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Command line: write the sample portfolio (default pmo_metrics/sample_data/)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out", type=Path, default=OUT_DIR, help="output directory")
    args = parser.parse_args(argv)
    manifest = generate(args.out)
    size = sum((args.out / m["file"]).stat().st_size for m in manifest)
    print(f"wrote {len(manifest)} files ({size / 1e6:.2f} MB) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
