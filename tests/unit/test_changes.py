"""The month's story (SPEC §8.2, §8.3): the `changes` table on a hand-built pair of months, its
importance, its sentences, any two months compared, and the commentary history through a corrective
re-upload and voids."""

import datetime as dt
import json

import pytest

from pmo_metrics import story
from pmo_metrics.cli import main
from pmo_metrics.measures import COLUMNS, Scope, changes, commentary_history, delivery_trend, measure_table
from pmo_metrics.settings import Settings
from pmo_metrics.store import Store
from tests.factories_store import benefit, file_load, financial, kpi, project, upload, value

JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
CORE = Scope(portfolio="Core")


def _values(realised: dict[str, float], forecast: float) -> list[dict]:
    """B1: a plan of 100 a month Jan-Jun, realised in the given months, the forecast in the others."""
    rows = []
    for k in range(1, 7):
        period = f"2026-{k:02d}"
        row = value(period=period, planned_value=100.0)
        if period in realised:
            row["realised_value"] = realised[period]
        else:
            row["forecast_value"] = forecast
        rows.append(row)
    return rows


@pytest.fixture
def two_months(tmp_path):
    """January, then February's full return for portfolio Core: a cost overrun, a confidence downgrade, a
    project moving out of Core and one joining, a benefit and a KPI turning red, new commentary."""
    store = Store(tmp_path / "t.duckdb")
    upload(store, "2026-01",
           projects=[project(project_name="Warehouse Automation", budget_at_completion=1000.0),
                     project(project_id="P2", project_name="Data Platform", budget_at_completion=500.0,
                             delivery_confidence="amber/green"),
                     project(project_id="P3", project_name="Old Office Move", budget_at_completion=200.0)],
           financials=[financial(period="2026-01", planned_cost=100, actual_cost=100, earned_value=100)],
           benefits=[benefit(benefit_name="Labour productivity")],
           benefit_values=_values({"2026-01": 100.0}, 100.0),
           kpis=[kpi(kpi_name="Orders shipped", actual=100, target=100)])
    upload(store, "2026-02",
           projects=[project(project_name="Warehouse Automation", budget_at_completion=1000.0,
                             status_commentary="Supplier delayed\tthe conveyors.\nRecovery plan agreed."),
                     project(project_id="P2", project_name="Data Platform", budget_at_completion=500.0,
                             delivery_confidence="red"),
                     project(project_id="P3", project_name="Old Office Move", budget_at_completion=200.0,
                             portfolio="Other"),
                     project(project_id="P4", project_name="New Depot", budget_at_completion=300.0)],
           financials=[financial(period="2026-01", planned_cost=100, actual_cost=100, earned_value=100),
                       financial(period="2026-02", planned_cost=100, actual_cost=150, earned_value=70)],
           benefits=[benefit(benefit_name="Labour productivity")],
           benefit_values=_values({"2026-01": 100.0, "2026-02": 60.0}, 80.0),
           kpis=[kpi(kpi_name="Orders shipped", actual=100, target=100),
                 kpi(kpi_name="Orders shipped", period="2026-02", actual=80, target=100)])
    return store


def _by_kind(table) -> dict[tuple[str, str], dict]:
    return {(r["kind"], r["entity_id"]): r for r in table.to_pylist()}


def test_every_kind_of_change_with_its_figures(two_months):
    found = _by_kind(changes(two_months, FEB, JAN, CORE))
    assert set(found) == {("delivery_rag", "P1"), ("delivery_rag", "P2"), ("delivery_confidence", "P2"),
                          ("benefit_rag", "B1"), ("forecast", "B1"), ("joined", "P4"), ("left", "P3"),
                          ("kpi_rag", "K1"), ("commentary", "P1")}
    p1 = found[("delivery_rag", "P1")]
    assert (p1["from_value"], p1["to_value"], p1["rag_source"], p1["basis"]) == ("green", "red", "evm", "cpi")
    assert p1["basis_value"] == pytest.approx(170 / 250)  # CPI 0.68 is below SPI 0.85
    p2 = found[("delivery_rag", "P2")]
    assert (p2["from_value"], p2["to_value"], p2["rag_source"], p2["basis_text"]) == \
        ("green", "red", "confidence", "red")
    rating = found[("delivery_confidence", "P2")]
    assert (rating["from_value"], rating["to_value"]) == ("amber/green", "red")
    assert (found[("benefit_rag", "B1")]["from_value"], found[("benefit_rag", "B1")]["to_value"]) == ("green", "red")
    drop = found[("forecast", "B1")]
    assert drop["delta"] == pytest.approx(-120.0) and drop["delta_pct"] == pytest.approx(-0.2)  # 600 -> 480
    assert (found[("joined", "P4")]["to_value"], found[("left", "P3")]["from_value"]) == ("Core", "Core")
    crossing = found[("kpi_rag", "K1")]
    assert (crossing["from_value"], crossing["to_value"], crossing["basis_value"]) == ("green", "red", 0.8)
    assert found[("commentary", "P1")]["basis_text"] == "Supplier delayed\tthe conveyors.\nRecovery plan agreed."
    assert {r["from_month"] for r in found.values()} == {JAN} and {r["to_month"] for r in found.values()} == {FEB}


def test_importance_ranks_money_and_severity(two_months):
    table = changes(two_months, FEB, JAN, CORE)
    bac, forecast = 1800.0, 600.0  # the larger month's totals of BAC and of forecast total
    expected = {
        ("benefit_rag", "B1"): 4 + 2 * 480 / forecast,  # green -> red: two steps towards red
        ("delivery_rag", "P1"): 4 + 2 * 1000 / bac,
        ("delivery_rag", "P2"): 4 + 2 * 500 / bac,
        ("kpi_rag", "K1"): 4.0,
        ("delivery_confidence", "P2"): 3 + 2 * 500 / bac,  # amber/green -> red: three steps down
        ("left", "P3"): 1.5 + 2 * 200 / bac,
        ("commentary", "P1"): 0.5 + 2 * 1000 / bac,
        ("joined", "P4"): 1 + 2 * 300 / bac,
        ("forecast", "B1"): 4 * 0.2 + 2 * 120 / forecast,  # a 20 % fall of 120
    }
    rows = table.to_pylist()
    assert [(r["kind"], r["entity_id"]) for r in rows] == list(expected)  # most important first
    for row in rows:
        assert row["importance"] == pytest.approx(expected[(row["kind"], row["entity_id"])])


def test_the_sentences(two_months):
    sentences = {(r["kind"], r["entity_id"]): r["sentence"] for r in changes(two_months, FEB, JAN, CORE).to_pylist()}
    assert sentences == {
        ("benefit_rag", "B1"): "Benefit Labour productivity (Warehouse Automation) fell from green to red: "
                               "realisation rate 80.0%",
        ("delivery_rag", "P1"): "Warehouse Automation fell from green to red: CPI 0.68",
        ("delivery_rag", "P2"): "Data Platform fell from green to red: delivery confidence red",
        ("kpi_rag", "K1"): "KPI Orders shipped fell from green to red: attainment 80.0%",
        ("delivery_confidence", "P2"): "Data Platform's delivery confidence fell from amber/green to red",
        ("left", "P3"): "Old Office Move left Core (BAC £200)",
        ("commentary", "P1"): "New commentary on Warehouse Automation: "
                              "“Supplier delayed the conveyors. Recovery plan agreed.”",
        ("joined", "P4"): "New Depot joined Core (BAC £300)",
        ("forecast", "B1"): "The forecast of Labour productivity (Warehouse Automation) fell by £120 (−20.0%) to £480",
    }


def test_the_headlines_take_one_change_per_entity(two_months):
    assert story.headlines(changes(two_months, FEB, JAN, CORE)) == [
        "Benefit Labour productivity (Warehouse Automation) fell from green to red: realisation rate 80.0%",
        "Warehouse Automation fell from green to red: CPI 0.68",
        "Data Platform fell from green to red: delivery confidence red",  # its confidence row is not repeated
        "KPI Orders shipped fell from green to red: attainment 80.0%",
        "Old Office Move left Core (BAC £200)",
    ]


def test_the_headlines_read_the_same_from_arrow_pandas_and_rows_across_slices():
    """The rows are read a slice at a time; one entity repeated across a slice's edge still reads once."""
    import pyarrow as pa

    rows = [{"entity_type": "project", "entity_id": "P1", "sentence": f"P1 change {i}"} for i in range(300)]
    rows += [{"entity_type": "project", "entity_id": f"P{i}", "sentence": f"P{i} change"} for i in range(2, 7)]
    table = pa.Table.from_pylist(rows)
    expected = ["P1 change 0", "P2 change", "P3 change", "P4 change", "P5 change"]
    assert story.headlines(table) == story.headlines(table.to_pandas()) == story.headlines(rows) == expected
    assert story.headlines(table.slice(0, 0)) == story.headlines(table.to_pandas().head(0)) == []


def test_a_project_moving_portfolio_stays_in_the_whole_scope(two_months):
    found = _by_kind(changes(two_months, FEB, JAN))
    assert ("left", "P3") not in found and ("joined", "P4") in found
    assert ("left", "P3") in _by_kind(changes(two_months, FEB, JAN, CORE))
    assert ("joined", "P3") in _by_kind(changes(two_months, FEB, JAN, Scope(portfolio="Other")))


def test_any_two_months_and_the_default(two_months):
    assert changes(two_months, FEB).to_pylist() == changes(two_months, FEB, JAN).to_pylist()
    assert changes(two_months, FEB, FEB).num_rows == 0  # a month against itself
    backwards = _by_kind(changes(two_months, JAN, FEB, CORE))
    assert backwards[("delivery_rag", "P1")]["sentence"].startswith("Warehouse Automation rose from red to green")
    assert ("left", "P4") in backwards and ("joined", "P3") in backwards
    first = changes(two_months, JAN)  # nothing stored before January: nothing to compare
    assert first.num_rows == 0 and set(COLUMNS["changes"]) <= set(first.column_names)
    assert measure_table(two_months, "changes", FEB).num_rows == changes(two_months, FEB).num_rows


def test_unchanged_months_give_no_changes(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    for month in ("2026-01", "2026-02"):
        upload(store, month, projects=[project(delivery_confidence="amber", status_commentary="Same as ever")],
               benefits=[benefit(commentary="Steady")], kpis=[kpi(actual=90, target=100, commentary="Flat")])
    assert changes(store, FEB).num_rows == 0  # repeated ratings and commentary are no change


def test_the_month_rows_give_the_live_changes(two_months, monkeypatch):
    two_months.fill_month_rows()
    kept = changes(two_months, FEB, JAN, CORE).to_pylist()
    monkeypatch.setattr(two_months, "read_month_rows", False)
    assert changes(two_months, FEB, JAN, CORE).to_pylist() == kept


def test_the_cli_prints_the_changes(two_months, capsys):
    path = str(two_months.path)
    two_months.close()
    assert main(["measures", "changes", "--db", path, "--as-of", "2026-02", "--compare-to", "2026-01",
                 "--portfolio", "Core", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["sentence"].startswith("Benefit Labour productivity") and rows[0]["from_month"] == "2026-01"
    assert main(["measures", "delivery", "--db", path, "--as-of", "2026-02", "--compare-to", "2026-01"]) == 2


def test_the_rating_trend(two_months):
    trend = delivery_trend(two_months, FEB, CORE).to_pylist()
    cells = {(r["row_label"], r["as_of"]): r["rag"] for r in trend}
    assert cells == {("Warehouse Automation", JAN): "green", ("Warehouse Automation", FEB): "red",
                     ("Data Platform", JAN): "green", ("Data Platform", FEB): "red",
                     ("New Depot", FEB): None, ("Old Office Move", JAN): None}


def test_the_rating_trend_gathers_the_rest_into_others(tmp_path, monkeypatch):
    from pmo_metrics import measures

    monkeypatch.setattr(measures, "TREND_ROWS", 2)
    store = Store(tmp_path / "t.duckdb")
    ratings = ["green", "amber", "red", "red", None]
    upload(store, "2026-01", projects=[project(project_id=f"P{k}", budget_at_completion=100.0 - k,
                                               delivery_confidence=rating) for k, rating in enumerate(ratings)])
    rows = delivery_trend(store, JAN).to_pylist()
    assert [(r["row_label"], r["rag"]) for r in rows] == [("Project one", "green"), ("Project one", "amber"),
                                                          ("Others (3 projects)", "red")]
    assert (rows[2]["green"], rows[2]["amber"], rows[2]["red"], rows[2]["unrated"]) == (0, 0, 2, 1)


# -- commentary history (SPEC §8.2) -----------------------------------------------------------------


def test_commentary_history_through_a_correction_and_voids(tmp_path):
    store = Store(tmp_path / "t.duckdb")

    def load(month, text, user, **extra):
        return store.load([file_load(month, projects=[project(status_commentary=text)], **extra)], user=user)[0]

    load("2026-01", "Mobilised.", "alice",
         kpis=[kpi(commentary="Peak season"), kpi(period="2026-02", commentary="later")])
    draft = load("2026-02", "Draft: behind plan.", "bob")
    corrected = load("2026-02", "Behind plan; recovery agreed.", "carol")
    load("2026-03", "Behind plan; recovery agreed.", "dave")  # the same text again: not a new entry

    def history(month="2026-03"):
        table = commentary_history(store, dt.date.fromisoformat(month + "-01"), ["P1"], [], ["K1"])
        return [(r["entity_id"], f"{r['month']:%Y-%m}", r["commentary"], r["user_name"]) for r in table.to_pylist()]

    assert history() == [("K1", "2026-01", "Peak season", "alice"),
                         ("P1", "2026-02", "Behind plan; recovery agreed.", "carol"),
                         ("P1", "2026-01", "Mobilised.", "alice")]
    assert history("2026-01") == [("K1", "2026-01", "Peak season", "alice"), ("P1", "2026-01", "Mobilised.", "alice")]
    store.void(corrected)  # the draft is February's text again
    assert [h[1:] for h in history() if h[0] == "P1"] == [
        ("2026-03", "Behind plan; recovery agreed.", "dave"), ("2026-02", "Draft: behind plan.", "bob"),
        ("2026-01", "Mobilised.", "alice")]
    store.void(draft)
    assert [h[1:] for h in history() if h[0] == "P1"] == [
        ("2026-03", "Behind plan; recovery agreed.", "dave"), ("2026-01", "Mobilised.", "alice")]


# -- the templates --------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "text"), [(950, "£950"), (12_400, "£12.4k"), (13_240_000, "£13.2m"),
                                              (519e9, "£519bn"), (3_199_712, "£3.20m"), (999_950, "£1.00m"),
                                              (-57_600, "−£57.6k"), (0, "£0"), (None, "—")])
def test_money(amount, text):
    assert story.money(amount, "GBP") == text


def test_a_figure_never_seems_on_the_wrong_side_of_a_threshold():
    assert story._figure(0.9496, False, (0.95, 0.85)) == "0.9496"  # amber, so never "0.95"
    assert story._figure(0.82, False, (0.95, 0.85)) == "0.82"
    assert story._figure(0.9999, True, (1.0, 0.9)) == "99.99%"
    assert story._figure(0.946, True, (1.0, 0.9)) == "94.6%"


@pytest.mark.parametrize(("row", "text"), [
    ({"kind": "delivery_rag", "entity_name": "Atlas", "from_value": None, "to_value": "amber", "basis": "spi",
      "basis_value": 0.9}, "Atlas is now rated amber: SPI 0.90"),
    ({"kind": "delivery_rag", "entity_name": "Atlas", "from_value": "red", "to_value": None},
     "Atlas is no longer rated (was red): it has no earned value or delivery confidence"),
    ({"kind": "delivery_confidence", "entity_name": "Atlas", "from_value": None, "to_value": "amber"},
     "Atlas now reports a delivery confidence of amber"),
    ({"kind": "delivery_confidence", "entity_name": "Atlas", "from_value": "amber", "to_value": None},
     "Atlas no longer reports a delivery confidence (was amber)"),
    ({"kind": "delivery_confidence", "entity_name": "Atlas", "from_value": "red", "to_value": "amber/red"},
     "Atlas's delivery confidence rose from red to amber/red"),
    ({"kind": "forecast", "entity_type": "benefit", "entity_name": "Fees", "project_name": "Atlas",
      "delta": 2_500_000.0, "delta_pct": None, "basis_value": 2_500_000.0, "currency": "EUR"},
     "The forecast of Fees (Atlas) rose by €2.50m to €2.50m"),
    ({"kind": "commentary", "entity_type": "kpi", "entity_name": "NPS", "basis_text": "x" * 200},
     "New commentary on KPI NPS: “" + "x" * 139 + "…”"),
    ({"kind": "left", "entity_name": "Atlas", "portfolio": None, "money": None}, "Atlas left the portfolio"),
])
def test_each_template(row, text):
    assert story.sentence(row, Settings()) == text
