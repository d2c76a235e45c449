"""Level 2 · KPIs: month, quarter-to-date and year-to-date variances, bullet charts against target."""

import streamlit as st

from pmo_metrics import charts, ui
from pmo_metrics.ui import widgets as w

GRAINS = {"month": "Month", "quarter": "Quarter to date", "year": "Year to date"}
COLUMNS = ["kpi_id", "kpi_name", "strategic_objective", "unit", "period_start", "period_end", "actual", "budget",
           "var_budget", "var_budget_pct", "forecast", "var_forecast", "var_forecast_pct", "target", "var_target",
           "var_target_pct", "attainment", "rag"]


def body() -> None:
    """Render the KPI page."""
    ctx = ui.context()
    ui.page_header("2 · KPIs", ctx, "actuals against budget, forecast and target")
    if w.no_data(ctx):
        return
    kpis = ui.data.table(ctx, "kpi")
    if w.empty_scope(kpis, "KPIs"):
        return
    grain = st.segmented_control("Window", list(GRAINS), format_func=GRAINS.get, default="month",
                                 key="kpi_grain", required=True) or "month"
    rows = kpis[kpis["grain"] == grain]
    spend = rows[rows["kpi_id"].str.startswith("spend:")]
    business = rows[~rows["kpi_id"].str.startswith("spend:")]
    st.subheader(f"Attainment · {GRAINS[grain].lower()}")
    settings = ui.data.settings(ctx.path, ctx.version)
    w.chart(charts.kpi_bullet_chart, business, grain=grain, thresholds=(settings.kpi_green, settings.kpi_amber),
            key="kpi_bullets")
    st.caption("Bar = attainment, the figure the RAG is decided on: actual ÷ target, or target ÷ actual for a "
               "lower-is-better KPI, so right of the black tick (100 %) is always better. "
               + (f"The {charts.CHART_TOP} KPIs furthest below target; every KPI is in the table."
                  if business["attainment"].notna().sum() > charts.CHART_TOP else ""))
    st.subheader("KPI variances")
    w.measures_table(business, COLUMNS, ctx, key="kpi_table")
    commentary(ctx, business)
    if not spend.empty:
        st.subheader("Portfolio spend")
        st.caption("Actual cost against budget (planned cost) and forecast (actual to date + forecast cost), "
                   f"in {ctx.currency}.")
        w.measures_table(spend, ["kpi_id", "portfolio", "period_start", "period_end", "actual", "budget",
                                 "var_budget", "var_budget_pct", "forecast", "var_forecast", "var_forecast_pct",
                                 "outturn_budget", "outturn_forecast"], ctx, key="kpi_spend")
    w.csv_download(rows[[c for c in COLUMNS if c in rows.columns]], f"kpis-{grain}-{ctx.as_of:%Y-%m}.csv",
                   key="kpi_csv")


def commentary(ctx: ui.Context, business) -> None:
    """Render the KPIs' commentary with its history: month, who loaded it, the text (SPEC §8.2)."""
    ids = tuple(sorted(business["kpi_id"].unique()))
    frame = ui.data.commentary(ctx.path, ctx.version, ctx.as_of, kpi_ids=ids) if ids else None
    if frame is None or frame.empty:
        return
    names = dict(zip(business["kpi_id"], business["kpi_name"].fillna(business["kpi_id"]), strict=False))
    with st.expander(f"Commentary ({frame['entity_id'].nunique()} KPIs)", icon=":material/comment:"):
        for row in frame.sort_values("month", ascending=False).itertuples():
            # users' text: shown as plain text, never as Markdown
            st.text(f"{names.get(row.entity_id, row.entity_id)} · {row.month:%b %Y} · {row.user_name or 'unknown'}")
            st.text(row.commentary)


ui.guarded(body)
