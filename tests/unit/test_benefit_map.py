"""The benefit map (SPEC §10.2): node types, cycles and unknown ids refused by row, the layout, end to end."""

import datetime as dt
import json
import subprocess
import sys

import pandas as pd
import pytest

from pmo_metrics import charts
from pmo_metrics.measures import benefit_map
from pmo_metrics.validate import map_cycles, map_node_types
from tests.factories import default_rows, make_workbook
from tests.factories_store import benefit, make_store, project, upload, value

M = dt.date(2026, 3, 1)


def link(a, b, relation="contributes_to", **kw):
    return {"from_id": a, "to_id": b, "relation": relation, **kw}


def test_node_types_by_first_mention():
    rows = [(2, "P1", "E1", "enabler"), (3, "E1", "O1", "outcome"), (4, "O1", "B1", None),
            (5, "B1", "Goal", "enabler"), (6, "E2", "B1", None)]
    types = map_node_types(rows, projects={"P1"}, benefits={"B1"}, objectives={"Goal"})
    # E1 is typed by row 2 (its first mention) and keeps it; a known id ignores node_type; E2 is never typed
    assert types == {"P1": "project", "E1": "enabler", "O1": "outcome", "B1": "benefit", "Goal": "objective"}


def test_cycles_are_found_with_their_rows():
    edges = [(2, "P", "E"), (3, "E", "B"), (4, "B", "E"), (5, "B", "G"), (6, "X", "X"), (7, "G", "H")]
    assert map_cycles(edges) == [[3, 4], [6]]
    assert map_cycles([(2, "P", "E"), (3, "E", "B"), (4, "P", "B")]) == []  # a diamond is not a cycle
    long = [(i, f"n{i}", f"n{i + 1}") for i in range(5000)] + [(5000, "n5000", "n0")]
    assert map_cycles(long) == [list(range(5001))]  # iterative: no recursion limit


def _ingest(path, db):
    return subprocess.run([sys.executable, "-m", "pmo_metrics", "ingest", str(path), "--db", str(db)],
                          capture_output=True, text=True, timeout=120)


def test_a_cyclic_map_and_unknown_ids_are_refused_naming_the_rows(tmp_path):
    rows = [link("PRJ-001", "EN-1", "enables", node_type="enabler"),     # row 2
            link("EN-1", "BEN-001"),                                     # row 3
            link("BEN-001", "Grow recurring revenue"),                   # row 4
            link("Grow recurring revenue", "EN-1"),                      # row 5: closes a cycle
            link("GHOST", "BEN-001")]                                    # row 6: unknown id
    path = tmp_path / "2026-10 map.xlsx"
    make_workbook(path, BenefitMap=rows)
    db = tmp_path / "t.duckdb"
    result = _ingest(path, db)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    cycle = next(line for line in lines if "cycle" in line)
    assert "BenefitMap" in cycle and "rows 3, 4, 5" in cycle
    ghost = next(line for line in lines if "GHOST" in line)
    assert "BenefitMap" in ghost and "A6" in ghost
    uploads = subprocess.run([sys.executable, "-m", "pmo_metrics", "uploads", "--format", "json", "--db", str(db)],
                             capture_output=True, text=True, timeout=60)
    assert [u["status"] for u in json.loads(uploads.stdout)] == ["rejected"]  # nothing loaded


def test_a_workbook_with_a_dis_benefit_a_map_and_a_raid_log_loads_end_to_end(tmp_path):
    benefits = default_rows("Benefits") + [{"benefit_id": "DIS-001", "project_id": "PRJ-001",
                                            "benefit_name": "Disruption", "category": "Dis-benefit"}]
    values = default_rows("BenefitValues") + [
        {"benefit_id": "DIS-001", "period": "2026-10", "planned_value": 500, "realised_value": 450}]
    rows = [link("PRJ-001", "EN-1", "Enables", node_type="Enabler", weight="80%"), link("EN-1", "BEN-001"),
            link("PRJ-001", "DIS-001"), link("BEN-001", "Grow recurring revenue")]
    raid = [{"raid_id": "R1", "type": "risk", "title": "Vendor late", "project_id": "PRJ-001",
             "benefit_ids": "BEN-001;DIS-001", "status": "Open", "probability": "50%", "impact": "£1,000",
             "due_date": "2026-12-31"}]
    path = tmp_path / "2026-10 all.xlsx"
    make_workbook(path, Benefits=benefits, BenefitValues=values, BenefitMap=rows, RAID=raid)
    db = tmp_path / "t.duckdb"
    result = _ingest(path, db)
    assert result.returncode == 0, result.stdout
    assert "BenefitMap 4" in result.stdout and "RAID 1" in result.stdout

    def measures(name):
        out = subprocess.run([sys.executable, "-m", "pmo_metrics", "measures", name, "--as-of", "2026-10",
                              "--format", "json", "--db", str(db)], capture_output=True, text=True, timeout=120)
        return {r.get("benefit_id"): r for r in json.loads(out.stdout)}

    assert measures("benefits")["DIS-001"]["rag"] == "green"  # 450 of a 500 plan: below plan is good
    raid = measures("raid")
    # 0.5 × 1,000 on each; DIS-001 has no forecast after October, so nothing remains to put at risk
    assert raid["BEN-001"]["value_at_risk_from_risks"] == 500 and raid["DIS-001"]["value_at_risk_from_risks"] == 0


@pytest.fixture(scope="module")
def mapped(tmp_path_factory):
    """P1 and P2 (ids in that order); P2's chain is drawn first in no layer: P1's comes first."""
    store = make_store(
        tmp_path_factory.mktemp("map"), "2026-03",
        projects=[project(project_id="P1", budget_at_completion=1000, strategic_objective="Goal A"),
                  project(project_id="P2", project_name="Two", budget_at_completion=3000, portfolio="Other",
                          strategic_objective="Goal B")],
        benefits=[benefit(benefit_id="B2", project_id="P1"), benefit(benefit_id="B1", project_id="P2"),
                  benefit(benefit_id="D1", project_id="P1", category="dis_benefit")],
        benefit_values=[value(benefit_id="B2", period="2026-02", planned_value=100, realised_value=100),
                        value(benefit_id="B1", period="2026-02", planned_value=100, realised_value=50),
                        value(benefit_id="D1", period="2026-02", planned_value=10, realised_value=5)],
        raid=[{"raid_id": "A1", "type": "assumption", "title": "Staff stay", "project_id": "P1", "benefit_ids": "B2"}],
        benefit_map=[dict(row, source_row=number) for number, row in enumerate([
            link("P2", "Z-EN", "enables", node_type="enabler"), link("Z-EN", "B1"),
            link("P1", "A-EN", "enables", node_type="enabler", weight=0.5),
            link("A-EN", "OUT", node_type="outcome"),  # types OUT: A-EN was typed on the row before
            link("OUT", "B2"), link("P1", "D1"), link("B2", "Goal A"), link("B1", "Goal B")], start=2)],
    )
    return store


def nodes(store, month=M, **kw):
    table = benefit_map(store, month, **kw).to_pandas()
    return table[table["kind"] == "node"].set_index("node_id"), table[table["kind"] == "link"]


def test_layout_layers_and_order(mapped):
    found, links = nodes(mapped)
    assert found["x"].to_dict() == {"P1": 0, "P2": 0, "A-EN": 1, "Z-EN": 1, "OUT": 2, "B2": 3, "D1": 3, "B1": 3,
                                    "Goal A": 4, "Goal B": 4}
    # y: within a layer by the first project (by id) a node descends from, then by id; centred on 0
    assert found["y"].to_dict() == {"P1": -0.5, "P2": 0.5, "A-EN": -0.5, "Z-EN": 0.5, "OUT": 0.0,
                                    "B2": -1.0, "D1": 0.0, "B1": 1.0, "Goal A": -0.5, "Goal B": 0.5}
    assert found.loc["D1", "node_label"] == "dis-benefit" and found.loc["A-EN", "node_type"] == "enabler"
    # value: BAC, forecast total, the objective's financial forecast; RAG as on the pages (D1 mirrored)
    assert found.loc["P2", "value"] == 3000 and found.loc["B1", "value"] == 50 and found.loc["Goal A", "value"] == 100
    assert found.loc["B1", "rag"] == "red" and found.loc["D1", "rag"] == "green" and pd.isna(found.loc["A-EN", "rag"])
    assert found.loc["B2", "open_assumptions"] == 1 and found.loc["B2", "assumption_titles"] == "Staff stay"
    edge = links[(links["from_id"] == "A-EN") & (links["to_id"] == "OUT")].iloc[0]
    assert (edge["x"], edge["y"], edge["x2"], edge["y2"]) == (1, -0.5, 2, 0.0)
    assert len(links) == 8


def test_scope_drops_projects_and_benefits_out_of_it(mapped):
    from pmo_metrics.measures import Scope

    found, links = nodes(mapped, scope=Scope(portfolio="Other"))
    assert set(found.index) == {"P2", "Z-EN", "B1", "Goal B"}
    assert len(links) == 3


def test_the_latest_map_is_read_whole(mapped, tmp_path):
    store = make_store(tmp_path, "2026-03", projects=[project()], benefits=[benefit()],
                       benefit_map=[link("P1", "B1")])
    upload(store, "2026-05", benefit_map=[link("P1", "E", "enables", node_type="enabler"), link("E", "B1")])
    assert len(nodes(store, dt.date(2026, 4, 1))[1]) == 1
    assert len(nodes(store, dt.date(2026, 5, 1))[1]) == 2
    assert nodes(store, dt.date(2026, 2, 1))[0].empty


def test_the_chart_asks_for_clicks_only_with_nodes(mapped):
    frame = benefit_map(mapped, M).to_pandas()
    assert charts.selection_names(charts.benefit_map_chart(frame)) == {"node"}
    assert charts.selection_names(charts.benefit_map_chart(frame.iloc[0:0])) == set()
