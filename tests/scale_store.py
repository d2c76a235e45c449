"""A large portfolio built from typed rows (no workbook), for the display-at-scale tests: by default
5,000 projects over 12 months in 20 portfolios and 300 programmes, one financial benefit each."""

from __future__ import annotations

import numpy as np

from pmo_metrics.store import FileLoad, Store
from tests.factories_store import months, typed_table

AS_OF = "2026-06"


def build_large(store: Store, projects: int = 5_000, n_months: int = 12, seed: int = 7) -> Store:
    """Load one upload of `projects` projects into `store` and return it."""
    rng = np.random.default_rng(seed)
    periods = months("2025-07", n_months)
    ids = [f"PRJ-{i:05d}" for i in range(projects)]
    rows_projects = [{"project_id": p, "project_name": f"Project {i}", "portfolio": f"Portfolio {i % 20:02d}",
                      "programme": f"Programme {i % 300:03d}", "strategic_objective": f"Objective {i % 7}",
                      "stage": "closed" if i % 9 == 0 else "execution", "budget_at_completion": float(b),
                      **({"end_date": "2026-01-31"} if i % 9 == 0 else {})}
                     for i, (p, b) in enumerate(zip(ids, rng.uniform(1e5, 5e7, projects), strict=True))]
    planned = rng.uniform(1e3, 1e5, (projects, n_months))
    actual = planned * rng.normal(1.0, 0.12, (projects, n_months)).clip(0.3)
    earned = planned * rng.normal(0.97, 0.1, (projects, n_months)).clip(0.2)
    financials = [{"project_id": p, "period": m, "planned_cost": float(planned[i, j]),
                   "actual_cost": float(actual[i, j]), "earned_value": float(earned[i, j])}
                  for i, p in enumerate(ids) for j, m in enumerate(periods)]
    benefits = [{"benefit_id": f"BEN-{i:05d}", "project_id": p, "benefit_name": f"Benefit {i}",
                 "category": "financial", "confidence": 0.8} for i, p in enumerate(ids)]
    realised = rng.uniform(0.5, 1.1, projects)
    values = [{"benefit_id": f"BEN-{i:05d}", "period": m, "planned_value": 2e4,
               "realised_value": float(2e4 * realised[i])}
              for i in range(projects) for m in periods]
    tables = {"projects": rows_projects, "financials": financials, "benefits": benefits, "benefit_values": values}
    load = FileLoad("large.xlsx", f"large-{projects}-{n_months}-{seed}", 1, months(AS_OF, 1)[0],
                    {name: typed_table(name, rows) for name, rows in tables.items()})
    store.load([load])
    return store
