"""Level 3 · Performance: realisation by objective and portfolio, planned → realised waterfall, erosion, returns."""

import streamlit as st

from pmo_metrics import charts, ui
from pmo_metrics.ui import widgets as w

BENEFIT_COLUMNS = ["benefit_id", "benefit_name", "project_name", "portfolio", "strategic_objective", "category",
                   "measure", "owner", "planned_to_date", "realised_to_date", "realisation_rate", "benefit_variance",
                   "planned_total", "forecast_total", "erosion", "erosion_original", "risk_adjusted_forecast",
                   "progress_to_target", "rag", "withheld", "validated_to_date", "validated_share"]
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
        event = w.chart(charts.realisation_chart, by_objective, ctx.currency, thresholds, "strategic_objective",
                        key="perf_objectives", on_select="rerun")
        picked_objectives = [p for p in w.selected(event, "group", "strategic_objective") if p is not None]
    with right:
        st.subheader(f"Realisation by {by}")
        event = w.chart(charts.realisation_chart, by_group, ctx.currency, thresholds, by, key="perf_groups",
                        on_select="rerun")
        picked_groups = [p for p in w.selected(event, "group", by) if p is not None]
    st.caption("Grey = planned to date, inner bar = realised to date (colour and legend give the RAG); the "
               "percentage is the realisation rate, cut (not rounded) so that a label at a threshold has its "
               f"colour. Financial flow benefits in {ctx.currency}; beyond {charts.CHART_TOP} groups the "
               "smallest are summed in Others. Click a bar to filter the benefits table below.")

    left, right = st.columns(2)
    with left:
        st.subheader("From planned to realised")
        w.chart(charts.waterfall_chart, by_group, ctx.currency, key="perf_waterfall")
    with right:
        st.subheader("Erosion across reporting months")
        w.chart(charts.erosion_chart, ui.data.history(ctx), ctx.currency, key="perf_erosion",
                caption="Each point is a stored snapshot: how the forecast total stood against the plan at that "
                        "month.")

    st.subheader("Objectives")
    w.measures_table(shown_tables["objectives"], OBJECTIVE_COLUMNS, ctx, key="perf_objective_table")
    st.subheader("Benefits")
    w.validated_note(ctx)
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
    _benefit_map(ctx)
    forecast_accuracy_section(ctx, len(benefits))
    bridge_section(ctx)


def _benefit_map(ctx) -> None:
    """Render the benefit map (SPEC §10.2); clicking a project or benefit opens it in the drill-down."""
    st.subheader("Benefit map")
    event = w.chart(charts.benefit_map_chart, ui.data.benefit_map(ctx), ctx.currency, key="perf_map", on_select="rerun",
                    caption="Left to right: projects → enablers → outcomes → benefits (dis-benefits too) → "
                            "strategic objectives. Colour and shape give the RAG, size the value (a project's BAC, a "
                            "benefit's forecast total, an objective's financial forecast); dashed links enable, solid "
                            "ones contribute; a blue A marks a benefit with open RAID assumptions. Click a project or "
                            "benefit to open it in the drill-down.")
    picked = [p for p in (event.selection.get("node") or [] if event is not None else [])
              if isinstance(p, dict) and p.get("node_type") in ("project", "benefit") and p.get("portfolio")]
    if picked:
        node = picked[0]
        params = {k: v for k, v in st.query_params.to_dict().items()
                  if k in ("month", "portfolio", "programme", "objective")}
        params.update({"drill_portfolio": node["portfolio"], "drill_project": node["project_id"]})
        if node["node_type"] == "benefit":
            params["drill_benefit"] = node["node_id"]
        st.switch_page("views/drilldown.py", query_params=params)


ACCURACY_COLUMNS = ["group_key", "horizon_months", "bias", "wape", "pairs", "benefits", "forecast_sum",
                    "realised_sum"]


# Above this many benefits in scope the forecast accuracy section waits for a click: it compares every
# stored month's forecasts, which on the 5,000-project store takes seconds, not the page's fraction of one.
ACCURACY_ON_DEMAND = 2_000


def forecast_accuracy_section(ctx, benefit_count: int) -> None:
    """Render forecast accuracy (SPEC §9.4): bias by horizon per group, and the groups' figures."""
    st.subheader("Forecast accuracy")
    if benefit_count > ACCURACY_ON_DEMAND and not st.toggle(
            "Show forecast accuracy", key="perf_accuracy_on",
            help=f"{benefit_count:,} benefits in scope: comparing every stored month's forecasts takes a few "
                 "seconds, so it is drawn when asked for (or narrow the scope)."):
        return
    level = st.radio("Group by", list(charts.ACCURACY_LEVELS), format_func=charts.ACCURACY_LEVELS.get,
                     horizontal=True, key="perf_accuracy_level")
    accuracy = ui.data.table(ctx, "forecast_accuracy")
    w.chart(charts.forecast_accuracy_chart, accuracy, level, key="perf_accuracy",
            caption="How the forecasts for a month, made 1, 3, 6 and 12 stored reporting months before it, compare "
                    "with what was realised: bias = Σ forecast ÷ Σ realised − 1 (above 0: forecasts ran high), "
                    "over the financial flow benefits in scope; the dashed line is the whole scope. Beyond "
                    f"{charts.CHART_TOP} groups those with the most pairs are drawn.")
    rows = accuracy[accuracy["level"] == level].sort_values(["horizon_months", "bias"], ascending=[True, False])
    with st.expander(f"Bias and WAPE per {charts.ACCURACY_LEVELS[level].lower()} and horizon, most over-forecast "
                     "first"):
        w.measures_table(rows, ACCURACY_COLUMNS, ctx, key="perf_accuracy_table")


def bridge_section(ctx) -> None:
    """SPEC §9.2: the erosion bridge, so a lowered plan never hides erosion."""
    st.subheader("Erosion bridge: where the expected value went")
    found = ui.data.bridge(ctx)
    first = ui.data.reporting_months(ctx.path, ctx.version)[-1]
    w.chart(charts.bridge_chart, found["waterfall"], ctx.currency, key="perf_bridge",
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
