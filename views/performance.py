"""Level 3 · Performance: realisation by objective and portfolio, planned → realised waterfall, erosion, returns."""

import streamlit as st

from pmo_metrics import charts, ui
from pmo_metrics.ui import widgets as w

BENEFIT_COLUMNS = ["benefit_id", "benefit_name", "project_name", "portfolio", "strategic_objective", "category",
                   "measure", "owner", "planned_to_date", "realised_to_date", "realisation_rate", "benefit_variance",
                   "planned_total", "forecast_total", "erosion", "erosion_original", "risk_adjusted_forecast",
                   "progress_to_target", "rag", "withheld"]
RETURN_COLUMNS = ["project_id", "project_name", "portfolio", "npv", "roi", "bcr", "payback_month",
                  "time_to_value_months", "discounted_benefits", "discounted_costs"]
BRIDGE_COLUMNS = ["project_id", "project_name", "portfolio", "benefits", "original_baseline_total", "rebaselined",
                  "current_baseline_total", "forecast_change", "forecast_total", "currency"]
OBJECTIVE_COLUMNS = ["strategic_objective", "planned_to_date", "realised_to_date", "realisation_rate", "rag",
                     "kpi_attainment", "kpi_rag", "benefits", "kpis"]


def body() -> None:
    """Render the performance page."""
    ctx = ui.context()
    ui.page_header("3 · Performance", ctx, "are benefits delivered against the organisation's goals?")
    if w.no_data(ctx):
        return
    shown_tables = ui.data.tables(ctx, "performance")
    benefits = shown_tables["benefits"]
    if w.empty_scope(benefits, "benefits"):
        return
    settings = ui.data.settings(ctx.path, ctx.version)
    thresholds = (settings.benefit_green, settings.benefit_amber)
    by = "programme" if ctx.scope.portfolio else "portfolio"
    by_objective = ui.data.realisation(ctx, "strategic_objective")
    by_group = ui.data.realisation(ctx, by)
    left, right = st.columns(2)
    with left:
        st.subheader("Realisation by strategic objective")
        event = w.chart(charts.realisation_chart(by_objective, ctx.currency, thresholds, "strategic_objective"),
                        "perf_objectives", on_select="rerun")
        picked_objectives = [p for p in w.selected(event, "group", "strategic_objective") if p is not None]
    with right:
        st.subheader(f"Realisation by {by}")
        event = w.chart(charts.realisation_chart(by_group, ctx.currency, thresholds, by), "perf_groups",
                        on_select="rerun")
        picked_groups = [p for p in w.selected(event, "group", by) if p is not None]
    st.caption("Grey = planned to date, inner bar = realised to date (colour and legend give the RAG); the "
               "percentage is the realisation rate, cut (not rounded) so that a label at a threshold has its "
               f"colour. Financial flow benefits in {ctx.currency}; beyond {charts.CHART_TOP} groups the "
               "smallest are summed in Others. Click a bar to filter the benefits table below.")

    left, right = st.columns(2)
    with left:
        st.subheader("From planned to realised")
        w.chart(charts.waterfall_chart(by_group, ctx.currency), "perf_waterfall")
    with right:
        st.subheader("Erosion across reporting months")
        w.chart(charts.erosion_chart(ui.data.history(ctx), ctx.currency), "perf_erosion",
                caption="Each point is a stored snapshot: how the forecast total stood against the plan at that "
                        "month.")

    st.subheader("Objectives")
    w.measures_table(shown_tables["objectives"], OBJECTIVE_COLUMNS, ctx, key="perf_objective_table")
    st.subheader("Benefits")
    shown = benefits
    if picked_objectives:
        shown = shown[shown["strategic_objective"].isin(picked_objectives)]
    if picked_groups:
        shown = shown[shown[by].isin(picked_groups)]
    if picked_objectives or picked_groups:
        picked = picked_objectives + picked_groups
        st.caption("Filtered by your chart selection: " + ", ".join(w.text(p) for p in picked))
    w.measures_table(shown, BENEFIT_COLUMNS, ctx, key="perf_benefits")
    w.withheld_note(shown)
    w.csv_download(shown[[c for c in BENEFIT_COLUMNS if c in shown.columns]], f"benefits-{ctx.as_of:%Y-%m}.csv",
                   key="perf_csv")
    st.subheader("Financial return per project")
    w.measures_table(shown_tables["returns"], RETURN_COLUMNS, ctx, key="perf_returns")
    bridge_section(ctx)


def bridge_section(ctx) -> None:
    """SPEC §9.2: the erosion bridge, so a lowered plan never hides erosion."""
    st.subheader("Erosion bridge: where the expected value went")
    found = ui.data.bridge(ctx)
    first = ui.data.reporting_months(ctx.path, ctx.version)[-1]
    w.chart(charts.bridge_chart(found["waterfall"], ctx.currency), "perf_bridge",
            caption=f"From the original baseline ({first:%b %Y}) to this month's forecast: approved re-baselines "
                    "move the baseline, forecast changes move the forecast. Financial flow benefits in "
                    f"{ctx.currency}; erosion_original in the benefits table is measured against the original.")
    projects = found["projects"]
    if not projects.empty:
        # the leak by project: the largest moves first
        moved = projects.assign(_moved=(projects["rebaselined"].abs() + projects["forecast_change"].abs()))
        moved = moved.sort_values("_moved", ascending=False).drop(columns="_moved")
        w.measures_table(moved, BRIDGE_COLUMNS, ctx, key="perf_bridge_projects")


ui.guarded(body)
