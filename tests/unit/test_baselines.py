"""Baseline control (SPEC §9.1): the first plan is the baseline; later changes wait for approval."""

from __future__ import annotations

import datetime as dt

import pytest

from pmo_metrics import actions
from pmo_metrics.access import AccessDenied, User
from pmo_metrics.cli import main
from pmo_metrics.measures import measure_table
from pmo_metrics.store import Store
from tests.factories import default_rows, make_workbook
from tests.factories_store import benefit, file_load, kpi, months, project

APR, JUN, AUG = dt.date(2026, 4, 1), dt.date(2026, 6, 1), dt.date(2026, 8, 1)
PMO = User("pat@example.com", "pmo_manager")


def values(plans: list[float], realised_upto: dt.date | None = None, first: str = "2026-04") -> list[dict]:
    """B1's values: the plans given, 900 realised to `realised_upto`, 800 forecast after."""
    rows = []
    for period, plan in zip(months(first, len(plans)), plans, strict=True):
        row = {"benefit_id": "B1", "period": period, "planned_value": plan}
        realised = realised_upto and period <= realised_upto
        row.update({"realised_value": 900.0} if realised else {"forecast_value": 800.0})
        rows.append(row)
    return rows


CUT = [1000.0] * 4 + [500.0] * 8  # 12,000 cut to 8,000: the later 8 months halved


def load(store: Store, as_of: str, plans: list[float], reason: str | None = None, upto=None, **extra) -> int:
    """Load one upload of P1 and B1 with these plans (a declared re-baseline when `reason`)."""
    item = file_load(as_of, projects=[project()], benefits=[benefit(**extra.pop("benefit", {}))],
                     benefit_values=values(plans, upto), **extra)
    item.rebaseline_reason = reason
    [upload_id] = store.load([item], user="sam")
    return upload_id


def planned_total(store: Store, month: dt.date = JUN) -> float:
    [row] = measure_table(store, "benefits", month).to_pylist()
    return row["planned_total"]


@pytest.fixture
def base(tmp_path) -> Store:
    """B1 planned at 1,000 a month for 12 months from April (12,000)."""
    store = Store(tmp_path / "t.duckdb")
    load(store, "2026-04", [1000.0] * 12)
    return store


def test_an_undeclared_lower_plan_leaves_the_baseline_and_waits(base):
    load(base, "2026-06", CUT, upto=JUN)
    assert planned_total(base) == 12_000
    [pending] = base.rebaselines().to_pylist()
    assert (pending["status"], pending["kind"], pending["entity_key"], pending["periods"]) == (
        "pending", "benefit_values", "B1", 8)
    assert (pending["baseline_total"], pending["proposed_total"], pending["requested_by"]) == (8_000, 4_000, "sam")
    assert (pending["first_period"], pending["last_period"]) == ("2026-08", "2027-03")
    # the upload's other figures count: its realised values are read
    [row] = measure_table(base, "benefits", JUN).to_pylist()
    assert row["realised_to_date"] == 2_700 and row["forecast_total"] == 2_700 + 9 * 800


def test_a_declared_rebaseline_moves_the_baseline_from_its_month(base):
    load(base, "2026-06", CUT, reason="scope cut agreed by the board", upto=JUN)
    assert planned_total(base) == 8_000
    assert planned_total(base, APR) == 12_000  # time travel: April still sees the original
    assert base.rebaselines().num_rows == 0  # nothing pending
    [done] = base.rebaselines(include_decided=True).to_pylist()
    assert (done["status"], done["declared"], done["decided_by"], done["reason"]) == (
        "approved", True, "sam", "scope cut agreed by the board")
    assert done["decided_at"] is not None


def test_approve_then_the_plan_follows(base):
    load(base, "2026-06", CUT)
    base.decide_rebaseline(1, True, "agreed at the June board", "pat")
    base.wait_for_month_rows()
    assert planned_total(base) == 8_000
    [row] = base.rebaselines(include_decided=True).to_pylist()
    assert (row["status"], row["declared"], row["decided_by"], row["reason"]) == (
        "approved", False, "pat", "agreed at the June board")
    with pytest.raises(ValueError, match="already approved"):
        base.decide_rebaseline(1, False, "changed my mind", "pat")


def test_reject_keeps_the_baseline_and_records_why(base):
    load(base, "2026-06", CUT)
    base.decide_rebaseline(1, False, "no change request raised", "pat")
    assert planned_total(base) == 12_000
    assert base.rebaselines().num_rows == 0
    [row] = base.rebaselines(include_decided=True).to_pylist()
    assert (row["status"], row["reason"]) == ("rejected", "no change request raised")


def test_a_decision_needs_a_reason_and_a_pending_rebaseline(base):
    load(base, "2026-06", CUT)
    with pytest.raises(ValueError, match="reason is required"):
        base.decide_rebaseline(1, True, "  ", "pat")
    with pytest.raises(ValueError, match="no re-baseline 9"):
        base.decide_rebaseline(9, True, "why not", "pat")


def test_a_same_month_correction_is_a_correction(base):
    load(base, "2026-04", CUT)  # a corrected April return: the plan follows it
    assert planned_total(base) == 8_000
    assert base.rebaselines(include_decided=True).num_rows == 0


def test_a_correction_of_an_approved_rebaseline_in_its_month_follows_it(base):
    load(base, "2026-06", CUT, reason="re-planned")
    load(base, "2026-06", [1000.0] * 4 + [600.0] * 8)  # June corrected again: still June's plan
    assert planned_total(base) == 4_000 + 4_800
    assert base.rebaselines().num_rows == 0


def test_new_periods_extend_the_baseline(base):
    item = file_load("2026-06", projects=[project()], benefits=[benefit()],
                     benefit_values=values([1000.0] * 14))  # two months more
    base.load([item])
    assert planned_total(base) == 14_000
    assert base.rebaselines(include_decided=True).num_rows == 0
    assert item.baseline_notes["extended"] == 2


def test_a_blank_plan_is_no_rebaseline_and_reads_as_in_part_one(base):
    load(base, "2026-06", [1000.0] * 4 + [None] * 8)
    assert planned_total(base) == 4_000  # as Part I: the June rows carry no plan there
    assert base.rebaselines().num_rows == 0  # a blank is no new plan
    load(base, "2026-07", [1000.0] * 4 + [500.0] * 8)  # a plan again: compared with the baseline, kept
    assert planned_total(base, dt.date(2026, 7, 1)) == 12_000
    assert base.rebaselines().column("periods").to_pylist() == [8]


def test_voiding_the_rebaselining_upload_undoes_it(base):
    upload_id = load(base, "2026-06", CUT, reason="re-planned")
    assert planned_total(base) == 8_000
    base.void(upload_id, "pat")
    base.wait_for_month_rows()
    assert planned_total(base) == 12_000
    assert base.rebaselines(include_decided=True).num_rows == 0  # its decision no longer counts


def test_voiding_the_first_upload_makes_the_next_plan_the_baseline(base):
    load(base, "2026-06", CUT)
    base.void(1, "pat")
    assert planned_total(base) == 8_000


def test_baseline_control_off_is_part_one(base):
    load(base, "2026-06", CUT)
    base.set_setting("baseline_control", "off")
    base.wait_for_month_rows()
    assert planned_total(base) == 8_000
    base.set_setting("baseline_control", "ON")
    base.wait_for_month_rows()
    assert planned_total(base) == 12_000
    with pytest.raises(ValueError, match="on or off"):
        base.set_setting("baseline_control", "maybe")


def test_costs_kpi_targets_and_benefit_targets_are_baselined_too(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    for as_of, cost, target, level_target in (("2026-04", 100.0, 50.0, 80.0), ("2026-06", 60.0, 40.0, 70.0)):
        item = file_load(as_of, projects=[project(budget_at_completion=None)],
                         financials=[{"project_id": "P1", "period": p, "planned_cost": cost}
                                     for p in months("2026-04", 6)],
                         benefits=[benefit(benefit_id="B2", category="non_financial", measure="level",
                                           baseline_value=10.0, target_value=level_target)],
                         kpis=[kpi(period=p, target=target, actual=45.0) for p in months("2026-04", 3)])
        store.load([item])
    [delivery] = measure_table(store, "delivery", JUN).to_pylist()
    assert delivery["bac"] == 600 and delivery["pv"] == 300
    [b2] = measure_table(store, "benefits", JUN).to_pylist()
    assert b2["target_value"] == 80
    kpis = {r["grain"]: r for r in measure_table(store, "kpi", JUN).to_pylist() if r["kpi_id"] == "K1"}
    assert kpis["month"]["target"] == 50
    pending = {r["kind"]: r for r in store.rebaselines().to_pylist()}
    assert set(pending) == {"financials", "kpis", "benefits"}
    assert pending["financials"]["baseline_total"] == 600 and pending["financials"]["proposed_total"] == 360


def test_a_submitters_declaration_is_held_pending_and_only_a_pmo_manager_decides(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    submitter = User("sam@example.com", "submitter")
    assert actions.load(store, submitter, [("2026-10 a.xlsx", make_workbook())]).ok
    rows = [dict(r, planned_value=1_500) if r["period"] == "2026-11" else r for r in default_rows("BenefitValues")]
    result = actions.load(store, submitter, [("2026-11 b.xlsx", make_workbook(about="2026-11", BenefitValues=rows))],
                          rebaseline="cheaper supplier")
    assert result.ok
    codes = [p.code for p in result.problems]
    assert "rebaseline_refused" in codes and "rebaseline_pending" in codes
    assert store.rebaselines().column("status").to_pylist() == ["pending"]
    for role in ("viewer", "submitter"):
        with pytest.raises(AccessDenied, match="Nothing was changed"):
            actions.decide_rebaseline(store, User(f"{role}@example.com", role), 1, True, "fine")
    assert store.rebaselines().column("status").to_pylist() == ["pending"]
    actions.decide_rebaseline(store, PMO, 1, True, "supplier contract signed")
    assert store.rebaselines(include_decided=True).column("decided_by").to_pylist() == ["pat@example.com"]


def test_the_about_sheet_declares_a_rebaseline(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    assert actions.load(store, PMO, [("2026-10 a.xlsx", make_workbook())]).ok
    rows = [dict(r, planned_value=1_500) if r["period"] == "2026-11" else r for r in default_rows("BenefitValues")]
    about = [("About", "A5", "rebaseline"), ("About", "B5", "yes"),
             ("About", "A6", "rebaseline_reason"), ("About", "B6", "benefit re-estimated")]
    result = actions.load(store, PMO, [("2026-11 b.xlsx", make_workbook(about="2026-11", BenefitValues=rows,
                                                                        cells=about))])
    assert result.ok, result.problems
    [row] = store.rebaselines(include_decided=True).to_pylist()
    assert (row["status"], row["declared"], row["reason"]) == ("approved", True, "benefit re-estimated")
    missing = [("About", "A5", "rebaseline"), ("About", "B5", "yes")]
    result = actions.load(store, PMO, [("2026-12 c.xlsx", make_workbook(about="2026-12", cells=missing))])
    assert not result.ok and "no_rebaseline_reason" in [p.code for p in result.problems]


def test_the_rebaseline_commands_end_to_end(tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    first, later = tmp_path / "2026-10 a.xlsx", tmp_path / "2026-11 b.xlsx"
    first.write_bytes(make_workbook())
    rows = [dict(r, planned_value=1_500) if r["period"] == "2026-11" else r for r in default_rows("BenefitValues")]
    later.write_bytes(make_workbook(about="2026-11", BenefitValues=rows))
    assert main(["ingest", str(first), "--db", db]) == 0
    assert main(["ingest", str(later), "--db", db, "--user", "sue"]) == 0
    out = capsys.readouterr().out
    assert "held as pending re-baseline 1" in out
    assert main(["rebaseline", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "pending" in out and "BEN-001" in out and "2,000.00" in out and "1,500.00" in out
    assert main(["rebaseline", "approve", "1", "--db", db]) == 2  # no reason
    assert "--reason" in capsys.readouterr().err
    assert main(["rebaseline", "approve", "1", "--reason", "re-estimated", "--db", db, "--user", "pat"]) == 0
    assert "approved" in capsys.readouterr().out
    assert main(["rebaseline", "reject", "1", "--reason", "again", "--db", db]) == 2
    assert "already approved" in capsys.readouterr().err
    assert main(["rebaseline", "list", "--db", db]) == 0
    assert "no pending re-baselines" in capsys.readouterr().out
    assert main(["rebaseline", "list", "--all", "--db", db]) == 0
    assert "re-estimated" in capsys.readouterr().out
    assert main(["measures", "bridge", "--as-of", "2026-11", "--db", db, "--by", "portfolio",
                 "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"rebaselined":-500' in out.replace(" ", "") and '"original_baseline_total":6000' in out.replace(" ", "")


def test_a_viewer_may_not_decide_on_the_command_line(tmp_path, capsys, monkeypatch):
    db = str(tmp_path / "cli.duckdb")
    monkeypatch.setenv("PMO_METRICS_ROLE", "viewer")
    assert main(["rebaseline", "approve", "1", "--reason", "x", "--db", db]) == 1
    assert "re-baseline plans" in capsys.readouterr().err
