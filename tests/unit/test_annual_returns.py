"""A public portfolio's seven annual returns load as written (SPEC §7, §12): incremental, complete, £m, withheld."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pmo_metrics import measures
from pmo_metrics.ingest import ingest
from tests.annual_portfolio import releases

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    from pmo_metrics.store import Store

    store = Store(tmp_path_factory.mktemp("annual") / "pmo.duckdb")
    store.set_setting("fiscal_year_start_month", "4")  # UK fiscal years: 2019-20 ends in March 2020
    found = releases()
    for release in found:
        result = ingest(store, [(release.name, release.workbook)])
        (outcome,) = result.files
        assert outcome.status == "loaded", [p.as_dict() for p in outcome.problems]
        assert not outcome.errors
    return store, found


def test_the_releases_load_with_the_flags_on_the_command_line(tmp_path, capsys):
    from pmo_metrics.cli import main

    db = str(tmp_path / "pmo.duckdb")
    assert main(["settings", "fiscal_year_start_month", "4", "--db", db]) == 0
    found = releases(about_flags=False)
    for release in found:
        path = tmp_path / release.name
        path.write_bytes(release.workbook)
        code = main(["ingest", str(path), "--mode", "incremental", "--complete", "--units", "millions", "--db", db])
        assert code == 0, capsys.readouterr().out
    capsys.readouterr()
    assert main(["measures", "delivery", "--as-of", found[-1].as_of, "--format", "json", "--db", db]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(r["project_id"] for r in rows) == found[-1].project_ids
    planned = sum(r.planned_by_project.get(p, 0.0) for r in found for p in found[-1].project_ids)
    assert sum(r["pv"] for r in rows) == pytest.approx(planned, rel=1e-9)  # £m read as millions


def test_every_published_rating_change_is_in_changes_and_sets_the_rag(loaded):
    store, found = loaded
    before, last = found[-2], found[-1]
    moved = {p for p in set(before.project_ids) & set(last.project_ids)
             if before.ratings[p] and last.ratings[p] and before.ratings[p] != last.ratings[p]}
    assert moved
    found_changes = measures.changes(store, _month(last), _month(before)).to_pylist()
    rated = {c["entity_id"] for c in found_changes if c["kind"] in ("delivery_confidence", "delivery_rag")}
    assert moved <= rated
    words = {"Green": "green", "Amber/Green": "green", "Amber": "amber", "Amber/Red": "red", "Red": "red"}
    for row in measures.measure_table(store, "delivery", _month(last)).to_pylist():  # no earned value here
        published = last.ratings[row["project_id"]]
        assert row["rag_source"] == ("confidence" if published else None)
        assert row["rag"] == (words[published] if published else None)


def _month(release) -> dt.date:
    return dt.date.fromisoformat(release.as_of + "-01")


def test_at_the_last_month_exactly_the_last_release_counts(loaded):
    store, found = loaded
    last = found[-1]
    delivery = measures.measure_table(store, "delivery", _month(last))
    assert sorted(delivery.column("project_id").to_pylist()) == last.project_ids
    statuses = {r["project_id"]: r["status"] for r in measures.measure_table(
        store, "membership", _month(last)).to_pylist()}
    joined = set(last.project_ids) - set(found[-2].project_ids)
    left = set(found[-2].project_ids) - set(last.project_ids)
    assert {p for p, s in statuses.items() if s == "joined"} == joined
    assert {p for p, s in statuses.items() if s == "left"} == left


def test_a_project_in_every_release_carries_all_seven_years(loaded):
    store, found = loaded
    always = sorted(set.intersection(*(set(r.project_ids) for r in found)))
    assert always
    by_id = {r["project_id"]: r for r in measures.measure_table(store, "delivery", _month(found[-1])).to_pylist()}
    for project in always[:10]:
        expected = sum(r.planned_by_project[project] for r in found)
        assert by_id[project]["pv"] == pytest.approx(expected, rel=1e-9)


def test_withheld_costs_stay_empty_and_counted(loaded):
    store, found = loaded
    for release in (found[0], found[-1]):
        by_id = {r["project_id"]: r for r in measures.measure_table(store, "delivery", _month(release)).to_pylist()}
        for project in release.withheld_bac:
            assert by_id[project]["bac"] is None
            assert by_id[project]["withheld"] >= 1


def test_spend_totals_equal_an_independent_sum(loaded):
    store, found = loaded
    for release in found:
        rows = measures.measure_table(store, "kpi", _month(release)).to_pylist()
        spend = [r for r in rows if r["kpi_id"].startswith("spend:") and r["grain"] == "year"]
        assert sum(r["actual"] or 0 for r in spend) == pytest.approx(release.actual_cost, rel=1e-9)
        assert sum(r["budget"] or 0 for r in spend) == pytest.approx(release.planned_cost, rel=1e-9)
