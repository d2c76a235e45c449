"""The overview's RAG counts come from one counting query; they equal the counts of the measures
tables themselves, and the scorecard's reuse of its tables gives the same tiles."""

import datetime as dt

import pytest

from pmo_metrics.measures import HEADLINE_TABLES, Scope, headline, measure_table
from tests.factories_store import benefit, financial, make_store, months, project, upload, value

MAR = dt.date(2026, 3, 1)


def counts_of(values):
    counts = {"green": 0, "amber": 0, "red": 0, "none": 0}
    for v in values:
        counts[v or "none"] += 1
    return counts


@pytest.fixture
def mixed(tmp_path):
    store = make_store(tmp_path)
    projects = [project(), project(project_id="P2", portfolio="Other", programme="X"),
                project(project_id="P3", budget_at_completion=100, currency="USD"), project(project_id="P4")]
    fin = [financial(period=p, planned_cost=10, actual_cost=ac, earned_value=ev)
           for p, ac, ev in zip(months("2026-01", 3), (10, 12, 20), (10, 9, 5), strict=True)]
    fin += [financial(project_id="P2", period="2026-01", planned_cost=10, actual_cost=10, percent_complete=0.5),
            financial(project_id="P3", period="2026-02", planned_cost=50, actual_cost=40, earned_value=45)]
    benefits = [benefit(), benefit(benefit_id="B2", project_id="P2"),
                benefit(benefit_id="B3", project_id="P3", category="non_financial", baseline_value=1, target_value=5),
                benefit(benefit_id="B4", project_id="P4")]
    vals = [value(period=p, planned_value=100, realised_value=r) for p, r in zip(months("2026-01", 3), (100, 90, 50),
                                                                                  strict=True)]
    vals += [value(benefit_id="B2", period="2026-02", planned_value=10, realised_value=9.6),
             value(benefit_id="B3", period="2026-02", planned_value=3, realised_value=2)]
    upload(store, "2026-02", projects=projects, financials=fin, benefits=benefits, benefit_values=vals)
    upload(store, "2026-03", financials=[financial(project_id="P2", period="2026-03", planned_cost=5, actual_cost=9)])
    return store


@pytest.mark.parametrize("scope", [Scope(), Scope(portfolio="Core"), Scope(programme="X"), Scope(portfolio="None")])
@pytest.mark.parametrize("as_of", [dt.date(2026, 1, 1), MAR])
def test_rag_counts_equal_the_tables(mixed, scope, as_of):
    tiles = headline(mixed, as_of, scope)
    for level in ("delivery", "benefits"):
        assert tiles["rag"][level] == counts_of(measure_table(mixed, level, as_of, scope)["rag"].to_pylist())
    assert sum(tiles["rag"]["delivery"].values()) == tiles["projects"]


def test_reusing_the_tables_gives_the_same_tiles(mixed):
    tables = {name: measure_table(mixed, name, MAR) for name in HEADLINE_TABLES}
    assert headline(mixed, MAR, tables=tables) == headline(mixed, MAR)
    rag = headline(mixed, MAR)["rag"]
    assert rag["delivery"]["red"] + rag["delivery"]["amber"] + rag["delivery"]["green"] >= 1
    assert rag["benefits"] != counts_of([])
