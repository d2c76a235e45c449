"""Valid but sparse portfolios, as real users have them: a store per shape, built from typed rows.

Every page, chart and export must render on each of these (SPEC §11). Each builder loads its
rows into the given Store and returns it; `SHAPES` names them all, so a test can sweep them:

    for name in SHAPES:
        store = build(name, Store(tmp_path / f"{name}.duckdb"))

`random_portfolio(draw)` is a hypothesis composite drawing any valid mix of the same pieces.
"""

from __future__ import annotations

import datetime as dt

from pmo_metrics.store import Store
from tests.factories_store import benchmark, benefit, financial, kpi, months, project, upload, value

AS_OF = "2026-06"


def _projects(n: int = 3, objective: bool = True, **kw) -> list[dict]:
    return [project(project_id=f"P{i}", project_name=f"Project {i}", portfolio=("Core", "Growth")[i % 2],
                    programme=f"Prog {i % 2}", stage="execution",
                    **({"strategic_objective": ("Save money", "Grow")[i % 2]} if objective else {}), **kw)
            for i in range(1, n + 1)]


def projects_only(store: Store) -> Store:
    """Projects and nothing else: no financials, benefits, KPIs or benchmarks."""
    upload(store, AS_OF, projects=_projects())
    return store


def no_earned_value(store: Store) -> Store:
    """Financials with costs only: no earned value and no percent complete, so CPI and SPI are empty."""
    rows = [financial(project_id=f"P{i}", period=p, planned_cost=100.0, actual_cost=90.0)
            for i in (1, 2, 3) for p in months("2026-01", 6)]
    upload(store, AS_OF, projects=_projects(), financials=rows)
    return store


def no_objectives(store: Store) -> Store:
    """Projects, earned value and financial benefits with values, but no strategic objective anywhere."""
    fin = [financial(project_id=f"P{i}", period=p, planned_cost=100.0, actual_cost=95.0, earned_value=98.0)
           for i in (1, 2) for p in months("2026-01", 6)]
    bens = [benefit(benefit_id=f"B{i}", project_id=f"P{i}", benefit_name=f"Saving {i}") for i in (1, 2)]
    vals = [value(benefit_id=f"B{i}", period=p, planned_value=50.0, realised_value=40.0)
            for i in (1, 2) for p in months("2026-01", 6)]
    upload(store, AS_OF, projects=_projects(2, objective=False), financials=fin, benefits=bens,
           benefit_values=vals)
    return store


def benefits_without_values(store: Store) -> Store:
    """A benefits register with no values at all."""
    bens = [benefit(benefit_id=f"B{i}", project_id=f"P{i}", benefit_name=f"Benefit {i}") for i in (1, 2, 3)]
    upload(store, AS_OF, projects=_projects(), benefits=bens)
    return store


def only_level_benefits(store: Store) -> Store:
    """Non-financial level benefits only (readings, not flows): no money to sum."""
    bens = [benefit(benefit_id=f"B{i}", project_id=f"P{i}", benefit_name=f"Satisfaction {i}",
                    category="non_financial", measure="level", unit="NPS points", baseline_value=10.0,
                    target_value=30.0) for i in (1, 2)]
    vals = [value(benefit_id=f"B{i}", period=p, planned_value=20.0, realised_value=18.0)
            for i in (1, 2) for p in months("2026-01", 6)]
    upload(store, AS_OF, projects=_projects(2), benefits=bens, benefit_values=vals)
    return store


def only_kpis(store: Store) -> Store:
    """KPIs and nothing else."""
    rows = [kpi(kpi_id=f"K{i}", kpi_name=f"KPI {i}", period=p, actual=10.0 + i, target=12.0, budget=11.0)
            for i in (1, 2) for p in months("2026-01", 6)]
    upload(store, AS_OF, kpis=rows)
    return store


def only_benchmarks(store: Store) -> Store:
    """Benchmarks and nothing else."""
    rows = [benchmark(metric=f"Metric {i}", period="2026-03", our_value=1.0 + i / 10, peer_median=1.1,
                      peer_top_quartile=1.3) for i in (1, 2, 3)]
    upload(store, AS_OF, benchmarks=rows)
    return store


def one_month(store: Store) -> Store:
    """Every sheet, but a single month of figures in a single reporting month."""
    fin = [financial(project_id=f"P{i}", period=AS_OF, planned_cost=100.0, actual_cost=80.0, earned_value=90.0)
           for i in (1, 2)]
    bens = [benefit(benefit_id=f"B{i}", project_id=f"P{i}", benefit_name=f"Saving {i}") for i in (1, 2)]
    vals = [value(benefit_id=f"B{i}", period=AS_OF, planned_value=30.0, realised_value=20.0) for i in (1, 2)]
    upload(store, AS_OF, projects=_projects(2), financials=fin, benefits=bens, benefit_values=vals,
           kpis=[kpi(period=AS_OF, actual=5.0, target=6.0)],
           benchmarks=[benchmark(period=AS_OF)])
    return store


def annual_periods(store: Store) -> Store:
    """Annual returns: one figure per fiscal year end (March), reported once a year for three years."""
    years = [dt.date(y, 3, 1) for y in (2023, 2024, 2025)]
    fin = [financial(project_id=f"P{i}", period=p, planned_cost=1.2e6, actual_cost=1.1e6)
           for i in (1, 2, 3) for p in years]
    bens = [benefit(benefit_id=f"B{i}", project_id=f"P{i}", benefit_name=f"Annual saving {i}") for i in (1, 2, 3)]
    vals = [value(benefit_id=f"B{i}", period=p, planned_value=5e5, realised_value=4e5)
            for i in (1, 2, 3) for p in years]
    for year in years:
        upload(store, year, projects=_projects(),
               financials=[r for r in fin if r["period"] <= year],
               benefits=bens, benefit_values=[v for v in vals if v["period"] <= year])
    return store


def one_project(store: Store) -> Store:
    """A single project with a single benefit: the smallest portfolio that has everything."""
    fin = [financial(project_id="P1", period=p, planned_cost=100.0, actual_cost=110.0, earned_value=95.0)
           for p in months("2026-01", 6)]
    vals = [value(benefit_id="B1", period=p, planned_value=50.0, realised_value=45.0) for p in months("2026-01", 6)]
    upload(store, AS_OF, projects=_projects(1), financials=fin, benefits=[benefit()], benefit_values=vals)
    return store


SHAPES = {
    "projects_only": projects_only,
    "no_earned_value": no_earned_value,
    "no_objectives": no_objectives,
    "benefits_without_values": benefits_without_values,
    "only_level_benefits": only_level_benefits,
    "only_kpis": only_kpis,
    "only_benchmarks": only_benchmarks,
    "one_month": one_month,
    "annual_periods": annual_periods,
    "one_project": one_project,
}


def build(name: str, store: Store) -> Store:
    """Load the sparse portfolio `name` (a key of SHAPES) into `store` and return it."""
    return SHAPES[name](store)


def random_portfolio(draw) -> dict[str, list[dict]]:
    """Draw the rows of one valid upload (for a hypothesis @composite): any mix of sheets and gaps."""
    from hypothesis import strategies as hs

    n_projects = draw(hs.integers(0, 4))
    ids = [f"P{i}" for i in range(1, n_projects + 1)]
    periods = months("2026-01", draw(hs.integers(1, 6)))
    amount = hs.one_of(hs.none(), hs.floats(0, 1e9, allow_nan=False, allow_infinity=False))
    tables: dict[str, list[dict]] = {}
    if ids:
        tables["projects"] = [project(project_id=p, project_name=f"Name {p}",
                                      portfolio=draw(hs.sampled_from(["A", "B"])),
                                      **({"strategic_objective": "Obj"} if draw(hs.booleans()) else {}))
                              for p in ids]
        if draw(hs.booleans()):
            ev = draw(hs.sampled_from(["earned_value", "percent_complete", None]))
            rows = []
            for p in ids:
                for i, period in enumerate(periods):
                    row = financial(project_id=p, period=period, planned_cost=draw(amount),
                                    actual_cost=draw(amount))
                    if ev == "earned_value":
                        row["earned_value"] = draw(amount)
                    elif ev == "percent_complete":
                        row["percent_complete"] = min(1.0, (i + 1) / len(periods))
                    rows.append(row)
            tables["financials"] = rows
        if draw(hs.booleans()):
            bens = []
            for p in ids:
                level = draw(hs.booleans())
                bens.append(benefit(benefit_id=f"B{p}", project_id=p, benefit_name=f"Benefit {p}",
                                    **({"category": "non_financial", "measure": "level", "unit": "pts",
                                        "baseline_value": 1.0, "target_value": 2.0} if level else {})))
            tables["benefits"] = bens
            if draw(hs.booleans()):
                tables["benefit_values"] = [value(benefit_id=b["benefit_id"], period=period,
                                                  planned_value=draw(amount), realised_value=draw(amount))
                                            for b in bens for period in periods]
    if draw(hs.booleans()) or not tables:
        tables["kpis"] = [kpi(period=period, actual=draw(amount), target=draw(amount)) for period in periods]
    if draw(hs.booleans()):
        tables["benchmarks"] = [benchmark(period=periods[-1], our_value=draw(hs.floats(0.1, 10)))]
    return tables
