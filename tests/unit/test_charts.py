"""Chart builders tested by their spec (`to_dict()`): encodings, the selection names pages read,
empty frames that ask for no clicks, and sizes that stay small at any scale (SPEC §11)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from pmo_metrics import charts

AS_OF = dt.date(2026, 6, 1)
MAX_ROWS = 6_000
MAX_HEIGHT = 1_500


def spec(chart) -> dict:
    return chart.to_dict()


def rows_sent(chart) -> int:
    """Return the number of data rows the chart sends to the browser (all datasets)."""
    return sum(len(v) for v in spec(chart).get("datasets", {}).values())


def heights(node) -> list[int]:
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("height"), int):
            found.append(node["height"])
        for value in node.values():
            found += heights(value)
    elif isinstance(node, list):
        for value in node:
            found += heights(value)
    return found


def encodings(node) -> list[dict]:
    found = []
    if isinstance(node, dict):
        if "encoding" in node:
            found.append(node["encoding"])
        for value in node.values():
            found += encodings(value)
    elif isinstance(node, list):
        for value in node:
            found += encodings(value)
    return found


def delivery(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cpi, spi = rng.normal(1, 0.1, n), rng.normal(1, 0.1, n)
    return pd.DataFrame({"project_id": [f"P{i:05d}" for i in range(n)],
                         "project_name": [f"Project {i}" for i in range(n)],
                         "programme": "Prog", "portfolio": "Core", "bac": rng.uniform(1e5, 1e7, n),
                         "cpi": cpi, "spi": spi,
                         "rag": np.where(np.minimum(cpi, spi) >= 0.95, "green", "amber")})


def realisation(n: int, others: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame({"group": [f"G{i}" for i in range(n)], "label": [f"G{i}" for i in range(n)],
                          "benefits": 2, "planned_to_date": [1000.0 * (n - i) for i in range(n)],
                          "realised_to_date": [950.0 * (n - i) for i in range(n)]})
    frame["realisation_rate"] = frame["realised_to_date"] / frame["planned_to_date"]
    frame["rag"] = "green"
    frame["benefit_variance"] = frame["realised_to_date"] - frame["planned_to_date"]
    frame["others"] = False
    if others:
        frame.loc[len(frame) - 1, ["group", "label", "others"]] = [None, "Others (40)", True]
    return frame


EMPTY = [
    lambda: charts.value_timeline_chart(pd.DataFrame(), AS_OF),
    lambda: charts.delivery_quadrant_chart(pd.DataFrame()),
    lambda: charts.delivery_quadrant_chart(delivery(3).assign(cpi=None, spi=None)),
    lambda: charts.s_curve_chart(pd.DataFrame(), AS_OF),
    lambda: charts.delivery_rollup_chart(pd.DataFrame(), "portfolio"),
    lambda: charts.delivery_rollup_chart(pd.DataFrame({"name": ["A"], "cpi": [None], "spi": [None], "rag": [None]})),
    lambda: charts.kpi_bullet_chart(pd.DataFrame()),
    lambda: charts.realisation_chart(pd.DataFrame(columns=["group", "label", "planned_to_date"])),
    lambda: charts.waterfall_chart(pd.DataFrame(columns=["group", "label", "planned_to_date"])),
    lambda: charts.erosion_chart(pd.DataFrame()),
    lambda: charts.benchmark_gap_chart(pd.DataFrame()),
    lambda: charts.sustained_chart(pd.DataFrame()),
    lambda: charts.rag_counts_chart({}),
]


@pytest.mark.parametrize("build", EMPTY)
def test_an_empty_frame_gives_a_message_and_asks_for_no_clicks(build):
    chart = build()
    assert charts.selection_names(chart) == set()
    assert "params" not in json.dumps(spec(chart))
    assert spec(chart)["mark"]["type"] == "text"


def test_the_selections_pages_read_are_named_as_they_expect():
    assert charts.selection_names(charts.delivery_quadrant_chart(delivery(5))) == {"project"}
    rollup = pd.DataFrame({"name": ["A", "B"], "cpi": [0.9, 1.0], "spi": [1.0, 1.1], "rag": ["amber", "green"]})
    assert charts.selection_names(charts.delivery_rollup_chart(rollup, "portfolio")) == {"group"}
    assert charts.selection_names(charts.realisation_chart(realisation(3), field="portfolio")) == {"group"}
    quadrant = spec(charts.delivery_quadrant_chart(delivery(5)))
    assert quadrant["params"][0]["select"]["fields"] == ["project_id"]
    groups = spec(charts.realisation_chart(realisation(3), field="portfolio"))
    assert groups["params"][0]["select"]["fields"] == ["portfolio"]


def test_the_browser_spec_is_the_offline_spec_with_its_frames_kept_as_they_are():
    """The dashboard draws `browser_spec` (kept between runs): the same marks and encodings as the board
    pack's spec, the frames under `datasets` unchanged (no row limit, no JSON), and no Altair theme."""
    quadrant = charts.browser_spec(charts.delivery_quadrant_chart(delivery(6_000), "GBP"))
    kept = list(quadrant["datasets"].values())
    assert all(isinstance(data, pd.DataFrame) for data in kept)
    assert max(len(data) for data in kept) == 6_000  # above Altair's 5,000-row limit for data written in
    assert "view" not in quadrant.get("config", {})  # theme "none": the app's theme applies
    chart = charts.realisation_chart(realisation(3))
    browser, offline = charts.browser_spec(chart), charts.inline_spec(chart)
    assert browser["params"] == offline["params"] and browser["layer"] == offline["layer"]
    [rows] = browser["datasets"].values()
    assert rows.to_dict("records") == next(iter(offline["datasets"].values()))


def test_the_realisation_chart_encodes_the_measures_rows_in_their_order():
    frame = realisation(4, others=True)
    chart = spec(charts.realisation_chart(frame, "GBP", (0.95, 0.85)))
    y = [e["y"] for e in encodings(chart) if "y" in e][0]
    assert y["sort"] == frame["label"].tolist()  # largest first, Others last: as the query ordered them
    data = next(iter(chart["datasets"].values()))
    assert [d["planned_to_date"] for d in data] == frame["planned_to_date"].tolist()
    assert [d["RAG"] for d in data] == [charts.RAG_LABELS["green"]] * 4
    assert all(d["rate"] == "95.0%" for d in data)  # the label is cut, so 0.95 reads 95.0% and is green
    x = [e["x"] for e in encodings(chart) if "x" in e and "axis" in e["x"]][0]
    assert "£" in x["axis"]["labelExpr"]  # the money format on the axis, not d3's "G"


def test_a_rag_label_at_the_threshold_never_reads_like_the_other_colour():
    frame = realisation(2)
    frame["realisation_rate"] = [0.9496, 0.95]
    frame["rag"] = ["amber", "green"]
    data = next(iter(spec(charts.realisation_chart(frame, "GBP", (0.95, 0.85)))["datasets"].values()))
    assert [d["rate"] for d in data] == ["94.9%", "95.0%"]


@pytest.mark.parametrize("n", [1, 16, 5_000])
def test_the_quadrant_stays_small_at_any_scale(n):
    frame = delivery(n)
    density = None
    if n > charts.QUADRANT_POINTS:
        density = pd.DataFrame({"spi_bin": [0.9, 1.0], "spi_bin_end": [0.95, 1.05], "cpi_bin": [0.9, 1.0],
                                "cpi_bin_end": [0.95, 1.05], "projects": [n - 10, 10], "bac": [1e9, 1e8]})
    chart = charts.delivery_quadrant_chart(frame, "GBP", density)
    assert rows_sent(chart) <= min(MAX_ROWS, n + 10)
    assert max(heights(spec(chart))) <= MAX_HEIGHT
    assert charts.selection_names(chart) == {"project"}
    if n > charts.QUADRANT_POINTS:
        points = [d for d in spec(chart)["datasets"].values() if d and "project_id" in d[0]]
        assert len(points[0]) == charts.QUADRANT_LABELLED
        worst = frame.assign(b=frame[["cpi", "spi"]].min(axis=1)).nsmallest(charts.QUADRANT_LABELLED, "b")
        assert {d["project_id"] for d in points[0]} == set(worst["project_id"])


def test_bar_charts_grow_with_rows_but_stop_at_the_top_fifteen_and_others():
    chart = charts.realisation_chart(realisation(16, others=True))
    assert spec(chart)["height"] == {"step": charts.ROW_STEP}
    assert rows_sent(chart) <= charts.CHART_TOP + 1 and 16 * charts.ROW_STEP <= MAX_HEIGHT
    kpis = pd.DataFrame({"kpi_id": [f"K{i}" for i in range(200)], "attainment": np.linspace(0.5, 1.5, 200),
                         "grain": "month", "rag": "green"})
    bullet = charts.kpi_bullet_chart(kpis, grain="month")
    assert rows_sent(bullet) == charts.CHART_TOP
    data = next(iter(spec(bullet)["datasets"].values()))
    assert [d["kpi_id"] for d in data] == [f"K{i}" for i in range(charts.CHART_TOP)]  # the worst first


def test_the_value_chart_gives_the_past_at_least_half_its_width():
    periods = pd.date_range("2026-01-01", "2031-12-01", freq="MS")
    frame = pd.DataFrame({"period": periods.date, "planned_cum": range(len(periods)),
                          "realised_cum": range(len(periods)), "forecast_cum": range(len(periods))})
    chart = spec(charts.value_timeline_chart(frame, AS_OF))
    domain = [e["x"]["scale"]["domain"] for e in encodings(chart) if "x" in e and "scale" in e["x"]][0]
    first, last = (pd.Timestamp(d) for d in domain)
    assert last - pd.Timestamp(AS_OF) <= pd.Timestamp(AS_OF) - first + pd.Timedelta(days=183)


def test_line_legends_show_strokes_not_symbols():
    frame = pd.DataFrame({"period": [AS_OF], "pv": [1.0], "ev": [1.0], "ac": [1.0], "forecast": [1.0]})
    chart = spec(charts.s_curve_chart(frame, AS_OF))
    legends = [e["color"]["legend"] for e in encodings(chart) if "color" in e]
    assert legends and all(legend["symbolType"] == "stroke" for legend in legends)


def test_words_not_codes_in_kpi_tooltips():
    kpis = pd.DataFrame({"kpi_id": ["K1"], "attainment": [1.0], "grain": ["month"], "rag": ["green"],
                         "direction": ["lower_is_better"]})
    data = next(iter(spec(charts.kpi_bullet_chart(kpis))["datasets"].values()))
    assert data[0]["direction"] == "Lower is better"
