"""Level 4 · Competitive advantage: benchmark gaps and position, value sustained after closure."""

import streamlit as st

from pmo_metrics import charts, ui
from pmo_metrics.ui import widgets as w

BENCH_COLUMNS = ["metric", "period", "our_value", "peer_median", "peer_top_quartile", "gap_to_median",
                 "relative_index", "position", "direction", "source"]
SUSTAINED_COLUMNS = ["benefit_id", "benefit_name", "project_name", "portfolio", "stage", "end_month", "category",
                     "sustained", "sustained_value", "planned_months_after_end"]


def body() -> None:
    """Render the competitive advantage page."""
    ctx = ui.context()
    ui.page_header("4 · Competitive advantage", ctx, "is the value sustained, and better than peers?")
    if w.no_data(ctx):
        return
    shown_tables = ui.data.tables(ctx, "advantage")
    st.subheader("Against peers")
    bench = shown_tables["benchmarks"]
    if not w.empty_scope(bench, "benchmarks"):
        w.chart(charts.benchmark_gap_chart, bench, key="adv_bench")
        st.caption("Bars show how far our latest value is from the peer median, with the sign turned so that "
                   "right is always better; the label gives the position (top quartile, above or below median).")
        w.measures_table(bench, BENCH_COLUMNS, ctx, key="adv_bench_table")
    st.subheader("Value sustained after closure")
    sustained = shown_tables["sustained"]
    if not w.empty_scope(sustained, "benefits of ended projects"):
        w.chart(charts.sustained_chart, ui.data.sustained_top(ctx), ctx.currency, key="adv_sustained")
        st.caption("A benefit is sustained when realised value stays at or above the threshold share of plan in "
                   "each of the last planned months after its project ended; 'too early' means fewer months so far. "
                   f"The {charts.CHART_TOP} benefits with the most value after closure; the rest are summed in "
                   "Others, and every benefit is in the table.")
        frame = sustained.copy()
        frame["sustained"] = frame["sustained"].map(charts.SUSTAINED_LABELS.get)
        w.measures_table(frame, SUSTAINED_COLUMNS, ctx, key="adv_sustained_table")
        w.csv_download(frame[[c for c in SUSTAINED_COLUMNS if c in frame.columns]],
                       f"sustained-{ctx.as_of:%Y-%m}.csv", key="adv_sustained_csv")


ui.guarded(body)
