"""The RAID log (SPEC §10.3): validation, snapshots per project, and the `raid` measures table by hand.

Store as of 2026-03 (m), project P1:
- B1 financial flow: realised 1,000 to date, forecast 2,000 after m -> forecast total 3,000, remaining 2,000;
- B2 financial flow: realised 500, forecast 300 after m -> remaining 300;
- B3 financial flow: realised 800, forecast −100 after m (a reversal) -> remaining floored at 0;
- L1 non-financial level benefit.
Items: R1 open risk on B1 (0.5 × 1,000 = 500); R2 open risk on B1 and B2 (0.2 × 2,000 = 400 each);
R3 closed risk on B1 (left out); R4 open risk on B2 (1.0 × 1,000) -> B2 exposure 1,400, capped at 300;
R5 open risk on B3 (0.5 × 100) -> capped at 0; R6 open risk on L1 -> no money remaining: empty;
I1 open issue on B1 due 2026-02-15 (overdue); I2 open issue on B1 due 2026-03-10 (not before m);
I3 closed issue on B1 due 2026-01-31 (closed: not overdue); A1 open assumption on B1, no due date;
D1 open decision on B2 due 2026-02-28 (overdue); X1 a project-level issue naming no benefit.
"""

import datetime as dt
import json
import subprocess
import sys

import pytest

from pmo_metrics.measures import COLUMNS, measure_table, raid_items
from pmo_metrics.validate import split_ids
from tests.factories import default_rows, make_workbook
from tests.factories_store import benefit, make_store, project, upload, value

M = dt.date(2026, 3, 1)


def item(raid_id, type_, benefit_ids, **kw):
    return {"raid_id": raid_id, "type": type_, "title": f"Item {raid_id}", "project_id": "P1",
            "benefit_ids": benefit_ids, **kw}


ITEMS = [
    item("R1", "risk", "B1", status="open", probability=0.5, impact=1000),
    item("R2", "risk", "B1; B2", status="open", probability=0.2, impact=2000),
    item("R3", "risk", "B1", status="closed", probability=1.0, impact=9000),
    item("R4", "risk", "B2", probability=1.0, impact=1000),  # no status: open
    item("R5", "risk", "B3", status="open", probability=0.5, impact=100),
    item("R6", "risk", "L1", status="open", probability=0.5, impact=100),
    item("I1", "issue", "B1", status="open", due_date="2026-02-15"),
    item("I2", "issue", "B1", status="open", due_date="2026-03-10"),
    item("I3", "issue", "B1", status="closed", due_date="2026-01-31"),
    item("A1", "assumption", "B1", status="open"),
    item("D1", "decision", "B2,", status="open", due_date="2026-02-28"),
    item("X1", "issue", None, status="open"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    flows = []
    for bid, realised, forecast in (("B1", 1000, 2000), ("B2", 500, 300), ("B3", 800, -100)):
        flows += [value(benefit_id=bid, period="2026-02", planned_value=realised, realised_value=realised),
                  value(benefit_id=bid, period="2026-05", planned_value=forecast, forecast_value=forecast)]
    store = make_store(
        tmp_path_factory.mktemp("raid"), "2026-03",
        projects=[project(), project(project_id="P2", project_name="Two")],
        benefits=[benefit(benefit_id="B1"), benefit(benefit_id="B2"), benefit(benefit_id="B3"),
                  benefit(benefit_id="L1", category="non_financial", unit="score", measure="level"),
                  benefit(benefit_id="B9", project_id="P2")],
        benefit_values=[*flows, value(benefit_id="L1", period="2026-02", planned_value=5, realised_value=4)],
        raid=ITEMS,
    )
    return store


def table(store, month=M):
    return {r["benefit_id"]: r for r in measure_table(store, "raid", month).to_pylist()}


def test_columns_in_spec_order(store):
    assert tuple(measure_table(store, "raid", M).column_names[:6]) == COLUMNS["raid"]


def test_value_at_risk_from_open_risks_is_capped_at_the_forecast_remaining(store):
    rows = table(store)
    assert set(rows) == {"B1", "B2", "B3", "L1"}  # one row per benefit any item names
    b1 = rows["B1"]
    assert (b1["open_risks"], b1["risk_exposure"], b1["forecast_remaining"]) == (2, 900, 2000)
    assert b1["value_at_risk_from_risks"] == 900  # under the cap
    b2 = rows["B2"]
    assert (b2["open_risks"], b2["risk_exposure"], b2["forecast_remaining"]) == (2, 1400, 300)
    assert b2["value_at_risk_from_risks"] == 300  # capped
    b3 = rows["B3"]
    assert (b3["forecast_remaining"], b3["value_at_risk_from_risks"]) == (0, 0)  # remaining floored at 0
    l1 = rows["L1"]
    assert l1["value_at_risk_from_risks"] is None and l1["risk_exposure"] == 50  # no money remaining


def test_open_issues_and_overdue_items(store):
    rows = table(store)
    assert rows["B1"]["open_issues"] == 2  # I1, I2 (I3 closed)
    assert rows["B1"]["overdue_items"] == 1  # I1 only: I2 is due in m, I3 closed, A1 has no date
    assert rows["B1"]["open_assumptions"] == 1
    assert (rows["B2"]["open_issues"], rows["B2"]["overdue_items"]) == (0, 1)  # the decision D1
    assert rows["B1"]["project_id"] == "P1"


def test_a_project_upload_supersedes_its_own_items_only(tmp_path):
    store = make_store(tmp_path, "2026-03", projects=[project(), project(project_id="P2", project_name="Two")],
                       benefits=[benefit(benefit_id="B1"), benefit(benefit_id="B9", project_id="P2")],
                       benefit_values=[value(benefit_id="B1", period="2026-05", forecast_value=5000),
                                       value(benefit_id="B9", period="2026-05", forecast_value=5000)],
                       raid=[item("R1", "risk", "B1", probability=0.5, impact=1000),
                             item("R9", "risk", "B9", project_id="P2", probability=0.1, impact=1000)])
    # April: P1's log closes R1; P2 sends no RAID sheet, so its March items stay effective
    upload(store, "2026-04", raid=[item("R1", "risk", "B1", status="closed", probability=0.5, impact=1000)])
    assert table(store)["B1"]["value_at_risk_from_risks"] == 500  # March as it was (time travel)
    april = table(store, dt.date(2026, 4, 1))
    assert april["B1"]["open_risks"] == 0 and april["B1"]["value_at_risk_from_risks"] == 0
    assert april["B9"]["value_at_risk_from_risks"] == 100


def test_the_drill_down_items_flag_overdue_first(store):
    items = raid_items(store, M, "P1").to_pylist()
    assert [i["raid_id"] for i in items[:2]] == ["I1", "D1"]
    assert [i["raid_id"] for i in items if i["overdue"]] == ["I1", "D1"]
    assert len(items) == len(ITEMS)
    assert (items[0]["overdue_items"], items[0]["open_issues"]) == (2, 3)  # I1, D1; I1, I2, X1
    named = raid_items(store, M, "P1", "B2").to_pylist()  # R2, R4, D1 name B2 ("B1; B2", "B2", "B2,")
    assert sorted(i["raid_id"] for i in named) == ["D1", "R2", "R4"] and named[0]["overdue_items"] == 1


def test_split_ids():
    assert split_ids("B1; B2,B3 ;; ") == ["B1", "B2", "B3"]
    assert split_ids(None) == []


def _ingest(*paths, db):
    return subprocess.run([sys.executable, "-m", "pmo_metrics", "ingest", *map(str, paths), "--db", str(db)],
                          capture_output=True, text=True, timeout=120)


def test_unknown_benefit_and_project_are_located_errors(tmp_path):
    raid = [{"raid_id": "R1", "type": "Risk", "title": "t", "project_id": "PRJ-001", "benefit_ids": "BEN-001; BEN-404"},
            {"raid_id": "R2", "type": "issue", "title": "t", "project_id": "PRJ-999", "benefit_ids": "BEN-001"},
            {"raid_id": "R3", "type": "worry", "title": "t", "project_id": "PRJ-001", "probability": 1.5}]
    path = tmp_path / "2026-10 raid.xlsx"
    make_workbook(path, RAID=raid)
    result = _ingest(path, db=tmp_path / "t.duckdb")
    assert result.returncode == 1
    out = result.stdout
    assert "RAID" in out and "E2" in out and "BEN-404" in out  # benefit_ids is column E, row 2
    assert "PRJ-999" in out and "D3" in out
    assert "worry" in out and "B4" in out
    assert "1.5" in out


def test_measures_raid_on_the_command_line(tmp_path):
    raid = [{"raid_id": "R1", "type": "risk", "title": "Vendor late", "project_id": "PRJ-001",
             "benefit_ids": "BEN-001", "probability": 0.5, "impact": 1000, "due_date": "2026-09-30"}]
    path = tmp_path / "2026-10 raid.xlsx"
    make_workbook(path, RAID=raid, Benefits=default_rows("Benefits"))
    db = tmp_path / "t.duckdb"
    assert _ingest(path, db=db).returncode == 0
    out = subprocess.run([sys.executable, "-m", "pmo_metrics", "measures", "raid", "--as-of", "2026-10",
                          "--format", "json", "--db", str(db)], capture_output=True, text=True, timeout=120)
    rows = json.loads(out.stdout)
    # BEN-001: realised 3,900 to date, forecast total 5,800: remaining 1,900 > 500
    assert rows == [{**rows[0], "benefit_id": "BEN-001", "project_id": "PRJ-001", "open_risks": 1,
                     "value_at_risk_from_risks": 500, "open_issues": 0, "overdue_items": 1}]
