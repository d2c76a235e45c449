"""Annual returns of a public major-projects portfolio, written as an analyst would (SPEC §7, §12).

Seven yearly releases (FY2017-18 … FY2023-24), one workbook each. Every release lists only that
year's projects (about 190: some finish and leave, new ones join), with that fiscal year's costs
and benefits in £m, delivery-confidence ratings as published (`Amber/Red`, …) and exemption
texts where figures were withheld. The About sheet says `mode incremental`, `complete yes`,
`units millions`, so the releases load with no flags; `expected` gives totals worked out here,
independently of the product, for the tests to compare against.

    from tests.annual_portfolio import releases
    for release in releases():               # in load order
        path.write_bytes(release.workbook)   # named e.g. "2019-03 GMPP annual return.xlsx"
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field

from openpyxl import Workbook

FIRST_YEAR = 2017  # FY2017-18, ending March 2018 (fiscal year starting in April)
YEARS = 7
DEPARTMENTS = ["DfT", "MoD", "DHSC", "DESNZ", "HO", "MoJ", "DWP", "DfE"]
RATINGS = ["Green", "Amber/Green", "Amber", "Amber/Red", "Red"]
EXEMPT = "Exempt under Section 43 of the Freedom of Information Act (commercial interests)"
WITHHELD_SHARE = 0.06


@dataclass
class Release:
    """One year's return: its file name, workbook bytes and what it holds, worked out independently."""

    name: str
    as_of: str  # YYYY-MM, the last month of the fiscal year
    fiscal_year: str  # e.g. 2019-20
    workbook: bytes
    project_ids: list[str]
    ratings: dict[str, str | None]  # project -> published rating (None where withheld)
    # Sums in full pounds of the numbers actually given (withheld cells skipped).
    actual_cost: float = 0.0
    planned_cost: float = 0.0
    withheld_actual: int = 0
    withheld_bac: list[str] = field(default_factory=list)
    planned_by_project: dict[str, float] = field(default_factory=dict)  # full pounds


def _fy(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def releases(seed: int = 7, projects_per_year: int = 190, turnover: int = 30,
             about_flags: bool = True) -> list[Release]:
    """Return the seven releases in load order (deterministic for a seed).

    Without `about_flags` the About sheet holds only the month: the mode, completeness and units
    then come from the command line (`--mode incremental --complete --units millions`).
    """
    rng = random.Random(seed)
    serial = 0
    live: dict[str, dict] = {}

    def new_project() -> None:
        nonlocal serial
        serial += 1
        pid = f"GMPP-{serial:04d}"
        live[pid] = {
            "name": f"{rng.choice(['National', 'Regional', 'Digital', 'Future', 'Strategic'])} "
                    f"{rng.choice(['Rail', 'Housing', 'Defence', 'Health', 'Borders', 'Courts', 'Schools'])} "
                    f"{rng.choice(['Programme', 'Upgrade', 'Renewal', 'Transformation'])} {serial}",
            "department": rng.choice(DEPARTMENTS),
            "wlc": round(rng.uniform(50, 20_000), 2),  # whole-life cost, £m
            "bac_withheld": rng.random() < WITHHELD_SHARE,
            "rating": rng.randrange(len(RATINGS)),
        }

    for _ in range(projects_per_year):
        new_project()
    out = []
    for index in range(YEARS):
        year = FIRST_YEAR + index
        if index:
            for pid in rng.sample(sorted(live), turnover):  # finished or left the portfolio
                del live[pid]
            for _ in range(turnover):
                new_project()
        release = Release(name=f"{year + 1}-03 GMPP annual return.xlsx", as_of=f"{year + 1}-03",
                          fiscal_year=_fy(year), workbook=b"", project_ids=sorted(live), ratings={})
        book = Workbook()
        about = book.active
        about.title = "About"
        about.append(["as_of", f"{year + 1}-03"])
        if about_flags:
            for row in (["mode", "incremental"], ["complete", "yes"], ["units", "millions"]):
                about.append(row)
        projects = book.create_sheet("Projects")
        projects.append(["project_id", "project_name", "portfolio", "stage", "budget_at_completion",
                         "Delivery Confidence"])
        financials = book.create_sheet("Financials")
        financials.append(["project_id", "period", "planned_cost", "actual_cost"])
        for pid in release.project_ids:
            project = live[pid]
            # Ratings drift a step now and then, as published ones do.
            if rng.random() < 0.3:
                project["rating"] = min(len(RATINGS) - 1, max(0, project["rating"] + rng.choice([-1, 1])))
            withheld_rating = rng.random() < 0.03
            rating = None if withheld_rating else RATINGS[project["rating"]]
            release.ratings[pid] = rating
            bac = EXEMPT if project["bac_withheld"] else project["wlc"]
            if project["bac_withheld"]:
                release.withheld_bac.append(pid)
            projects.append([pid, project["name"], project["department"], "execution", bac,
                             EXEMPT if withheld_rating else rating])
            planned = round(project["wlc"] / rng.randint(5, 12), 2)
            actual = round(planned * rng.uniform(0.7, 1.3), 2)
            release.planned_cost += planned * 1_000_000
            release.planned_by_project[pid] = planned * 1_000_000
            if rng.random() < WITHHELD_SHARE:
                financials.append([pid, _fy(year), planned, EXEMPT])
                release.withheld_actual += 1
            else:
                financials.append([pid, _fy(year), planned, actual])
                release.actual_cost += actual * 1_000_000
        buffer = io.BytesIO()
        book.save(buffer)
        release.workbook = buffer.getvalue()
        out.append(release)
    return out
