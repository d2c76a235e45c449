"""Scorecards: preview of the month's scorecard for the chosen scope, and its Excel, PDF and CSV downloads."""

from __future__ import annotations

import streamlit as st

from pmo_metrics import actions, ui
from pmo_metrics.exports import MEDIA_TYPES
from pmo_metrics.ui import auth, state
from pmo_metrics.ui import widgets as w

DELIVERY = ["project_id", "project_name", "portfolio", "programme", "bac", "ev", "ac", "cpi", "spi", "eac", "vac",
            "rag"]
BENEFITS = ["benefit_id", "benefit_name", "project_name", "planned_to_date", "realised_to_date", "realisation_rate",
            "forecast_total", "erosion", "erosion_original", "rag"]
KPIS = ["kpi_id", "kpi_name", "actual", "budget", "var_budget_pct", "target", "var_target_pct", "attainment", "rag"]
LABELS = {"xlsx": "Excel workbook", "pdf": "PDF board pack", "csv": "CSV"}


def _file_name(ctx: ui.Context, fmt: str) -> str:
    scope = "-".join(p.replace(" ", "_") for p in (ctx.scope.portfolio, ctx.scope.programme) if p) or "all"
    return f"scorecard-{ctx.as_of:%Y-%m}-{scope}.{fmt}"


def _build(ctx: ui.Context, fmt: str) -> None:
    """Build one export with a progress bar and keep its bytes for the download button."""
    bar = st.progress(0.0, text=f"Building the {LABELS[fmt]}")
    try:
        done, data = auth.attempt(lambda: actions.export_scorecard(
            ui.get_store(), auth.current_user(), ctx.as_of, ctx.scope, fmt,
            progress=lambda f, t: bar.progress(min(1.0, max(0.0, f)), text=t)))
    finally:
        bar.empty()
    if not done:
        return
    built = st.session_state.setdefault(state.BUILT_EXPORTS, {})
    built[(ctx.version, ctx.as_of, ctx.scope_args, fmt)] = data


def downloads(ctx: ui.Context) -> None:
    """Render a build-then-download pair per format (built on demand, kept for this month and scope)."""
    built = st.session_state.setdefault(state.BUILT_EXPORTS, {})
    for column, fmt in zip(st.columns(3), ("xlsx", "pdf", "csv"), strict=True):
        with column:
            key = (ctx.version, ctx.as_of, ctx.scope_args, fmt)
            if key not in built and st.button(f"Build {LABELS[fmt]}", key=f"build_{fmt}", width="stretch",
                                               icon=":material/build:"):
                _build(ctx, fmt)
            if key in built:
                st.download_button(f"Download {LABELS[fmt]}", data=built[key], file_name=_file_name(ctx, fmt),
                                   mime=MEDIA_TYPES[fmt], key=f"download_{fmt}", type="primary", width="stretch",
                                   icon=":material/download:")


def body() -> None:
    """Render the scorecards page."""
    ctx = ui.context()
    ui.page_header("Scorecards", ctx, "the board scorecard for this month and scope")
    if w.no_data(ctx):
        return
    shown_tables = ui.data.tables(ctx, "scorecards")
    delivery, benefits, kpis = shown_tables["delivery"], shown_tables["benefits"], shown_tables["kpi"]
    kpis = kpis[kpis["grain"] == "month"]
    st.subheader("Downloads")
    user = auth.current_user()
    if user is not None and user.can("export"):
        st.caption("Each file is built when you ask for it, for the month and scope in the sidebar.")
        downloads(ctx)
    else:
        st.caption("Exporting the scorecard (Excel, PDF board pack, CSV) is for PMO managers and admins.")
    st.subheader("Delivery")
    if not w.empty_scope(delivery, "projects"):
        w.measures_table(delivery, DELIVERY, ctx, key="score_delivery")
    st.subheader("Benefits")
    if not w.empty_scope(benefits, "benefits"):
        w.measures_table(benefits, BENEFITS, ctx, key="score_benefits")
    st.subheader("KPIs this month")
    if not w.empty_scope(kpis, "KPIs"):
        w.measures_table(kpis, KPIS, ctx, key="score_kpis")


ui.guarded(body)
