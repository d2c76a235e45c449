"""Delivery confidence (SPEC §8.1): every scale and spelling read, withheld markers blank, the RAG it
stands for, and the delivery RAG's fallback to it where a project has no earned value."""

import datetime as dt

import pytest

from pmo_metrics import confidence
from pmo_metrics.ingest import ingest
from pmo_metrics.measures import measure_table
from pmo_metrics.store import Store
from tests.factories import default_rows, make_workbook
from tests.factories_store import costs, financial, project, upload

FEB = dt.date(2026, 2, 1)


@pytest.mark.parametrize(("text", "rating"), [
    # five-point scale, any case and punctuation
    ("green", "green"), ("Amber/Green", "amber/green"), ("amber-green", "amber/green"), ("AMBER GREEN", "amber/green"),
    ("amber_green", "amber/green"), ("Green/Amber", "amber/green"), ("amber", "amber"), ("Amber / Red", "amber/red"),
    ("amber-red", "amber/red"), ("Red/Amber", "amber/red"), ("RED", "red"), ("  red  ", "red"),
    # three-point scale, as letters too
    ("G", "green"), ("a", "amber"), ("R", "red"),
    # numbers 1 (red) ... 5 (green), as typed or read from a number cell
    ("1", "red"), ("2", "amber/red"), ("3", "amber"), ("4", "amber/green"), ("5", "green"), ("5.0", "green"),
    # not a rating
    ("purple", None), ("6", None), ("0", None), ("2.5", None), ("amber amber", None), ("green red", None), ("", None),
])
def test_every_scale_and_spelling(text, rating):
    assert confidence.canonical(text) == rating


@pytest.mark.parametrize("text", ["Exempt under s43", "withheld", "REDACTED", "Commercially sensitive - see note",
                                  "n/a", "N/A", "na", "Not applicable", "not available", "TBC"])
def test_withheld_markers(text):
    assert confidence.is_withheld(text)
    assert confidence.canonical(text) is None


@pytest.mark.parametrize("text", ["green", "nan", "n/a later", "tbc soon", "available"])
def test_not_withheld(text):
    assert not confidence.is_withheld(text)


@pytest.mark.parametrize(("rating", "rag"), [("green", "green"), ("amber/green", "green"), ("amber", "amber"),
                                             ("amber/red", "red"), ("red", "red")])
def test_each_rating_gives_its_rag_where_there_is_no_earned_value(tmp_path, rating, rag):
    store = Store(tmp_path / "t.duckdb")
    # P1 has financials but no earned value or percent complete; P2 has none at all
    upload(store, "2026-02", projects=[project(delivery_confidence=rating), project(project_id="P2",
                                                                                   delivery_confidence=rating)],
           financials=costs("P1", "2026-01", 3, "2026-02"))
    rows = {r["project_id"]: r for r in measure_table(store, "delivery", FEB).to_pylist()}
    for row in rows.values():
        assert (row["rag"], row["rag_source"], row["delivery_confidence"]) == (rag, "confidence", rating)
        assert row["cpi"] is None
    assert confidence.RAG[rating] == rag  # the Python and SQL mappings agree


def test_earned_value_decides_before_the_confidence(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    rows = [financial(period="2026-01", planned_cost=100, actual_cost=100, earned_value=80)]
    upload(store, "2026-01", projects=[project(delivery_confidence="green"), project(project_id="P2")],
           financials=rows)
    found = {r["project_id"]: r for r in measure_table(store, "delivery", dt.date(2026, 1, 1)).to_pylist()}
    assert (found["P1"]["rag"], found["P1"]["rag_source"]) == ("red", "evm")  # CPI 0.8 despite a green rating
    assert (found["P2"]["rag"], found["P2"]["rag_source"]) == (None, None)  # neither: not rated


def test_the_headline_counts_the_fallback(tmp_path):
    from pmo_metrics.measures import headline

    store = Store(tmp_path / "t.duckdb")
    upload(store, "2026-01", projects=[project(delivery_confidence="amber/red"), project(project_id="P2")])
    assert headline(store, dt.date(2026, 1, 1))["rag"]["delivery"] == {"green": 0, "amber": 0, "red": 1, "none": 1}


def test_the_confidence_is_kept_per_snapshot(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    upload(store, "2026-01", projects=[project(delivery_confidence="green")])
    fix = upload(store, "2026-02", projects=[project(delivery_confidence="red")])
    month = {m: measure_table(store, "delivery", m).to_pylist()[0]["delivery_confidence"]
             for m in (dt.date(2026, 1, 1), FEB)}
    assert month == {dt.date(2026, 1, 1): "green", FEB: "red"}
    store.void(fix)
    assert measure_table(store, "delivery", FEB).to_pylist()[0]["delivery_confidence"] == "green"


def _projects(values: list) -> list[dict]:
    rows = []
    for k, value in enumerate(values):
        row = {**default_rows("Projects")[0], "project_id": f"PRJ-{k + 1:03d}", "delivery_confidence": value}
        rows.append(row)
    return rows


def test_a_workbook_reads_every_spelling_and_leaves_withheld_blank(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    values = ["Amber/Green", "AMBER GREEN", 3, "n/a", "Exempt under section 43", "red", None]
    data = make_workbook(sheets={"Projects": _projects(values)}, header_aliases={"delivery_confidence": "DCA"})
    result = ingest(store, [("2026-10 returns.xlsx", data)])
    assert result.ok, result.problems
    assert not [p for p in result.problems if p.severity == "error"]
    stored = {r["project_id"]: r["delivery_confidence"]
              for r in store.query("SELECT project_id, delivery_confidence FROM projects").to_pylist()}
    assert [stored[f"PRJ-{k:03d}"] for k in range(1, 8)] == ["amber/green", "amber/green", "amber", None, None,
                                                             "red", None]


def test_an_unreadable_rating_is_a_located_error(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    data = make_workbook(sheets={"Projects": _projects(["green", "purple"])})
    result = ingest(store, [("2026-10 returns.xlsx", data)])
    assert not result.ok
    errors = [p for p in result.problems if p.severity == "error"]
    assert len(errors) == 1
    assert errors[0].value == "purple" and errors[0].column == "delivery_confidence" and errors[0].cell.endswith("3")
    assert "amber/green" in errors[0].problem
    assert store.is_empty()
