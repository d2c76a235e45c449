"""Level 1 · Delivery: CPI × SPI quadrant, roll-up per portfolio or programme, a project's S-curve, the table."""

import streamlit as st

from pmo_metrics import charts, ui
from pmo_metrics.ui import widgets as w

COLUMNS = ["project_id", "project_name", "portfolio", "programme", "stage", "bac", "pv", "ev", "ac", "cv", "sv",
           "cpi", "spi", "eac", "fac", "etc", "vac", "tcpi", "quality_score", "benefit_ownership", "rag",
           "delivery_confidence", "rag_source", "withheld"]
MOVES = ("delivery_rag", "delivery_confidence", "joined", "left")  # the changes this page lists
PROJECT_KEY = "delivery_project"
LAST_CLICK = "delivery_last_click"  # the quadrant click already applied to the project choice


def _follow_click(picked: list, options: list) -> None:
    """Make a new click on the quadrant choose the S-curve's project; the choice box stays free after."""
    click = picked[0] if picked else None
    if click != st.session_state.get(LAST_CLICK):
        st.session_state[LAST_CLICK] = click
        if click in options:
            st.session_state[PROJECT_KEY] = click
    w.keep_valid(PROJECT_KEY, options)


def body() -> None:
    """Render the delivery page."""
    ctx = ui.context()
    ui.page_header("1 · Delivery", ctx, "are projects on cost and schedule, and is every benefit owned?")
    if w.no_data(ctx):
        return
    delivery = ui.data.table(ctx, "delivery")
    if w.empty_scope(delivery, "projects"):
        return
    level = "programme" if ctx.scope.portfolio else "portfolio"
    st.subheader(f"CPI and SPI per {level}")
    rollup = ui.data.rollup_top(ctx, level)
    event = w.chart(charts.delivery_rollup_chart, rollup, level, key="delivery_rollup", on_select="rerun")
    groups = [g for g in w.selected(event, "group", level) if g in set(delivery[level].dropna())]
    if len(rollup) > charts.CHART_TOP:
        st.caption(f"The {charts.CHART_TOP} {level}s with the largest budgets; the rest are summed in Others.")
    if groups:
        delivery = delivery[delivery[level].isin(groups)]
        st.caption(f"Showing {', '.join(w.text(g) for g in groups)} only — click the dot again or elsewhere "
                   "in the chart to clear.")

    st.subheader("Cost against schedule")
    left, right = st.columns([3, 2])
    crowded = int(delivery[["cpi", "spi"]].notna().all(axis=1).sum()) > charts.QUADRANT_POINTS
    density = ui.data.delivery_density(ctx) if crowded and not groups else None
    with left:
        event = w.chart(charts.delivery_quadrant_chart, delivery, ctx.currency, density, key="delivery_quadrant",
                        on_select="rerun")
        if event is not None:  # no selection: the quadrant is empty and says why itself
            st.caption(("Shading counts projects per cell; the marks are the "
                        f"{charts.QUADRANT_LABELLED} worst projects (lowest of CPI and SPI), sized by budget; "
                        if density is not None else "Each mark is a project sized by its budget at completion; ")
                       + "colour and shape give its RAG (min of CPI and SPI). Click a project to see its S-curve.")
    projects = delivery.sort_values(["rag", "project_id"], key=lambda c: c.map(
        {"red": 0, "amber": 1, "green": 2}).fillna(3) if c.name == "rag" else c)
    options = projects["project_id"].tolist()
    names = dict(zip(projects["project_id"], projects["project_name"], strict=True))
    _follow_click(w.selected(event, "project", "project_id"), options)
    with right:
        project = st.selectbox("Project for the S-curve (worst RAG first)", options, key=PROJECT_KEY,
                               format_func=lambda p: f"{p} · {names.get(p, '')}")
        row = projects[projects["project_id"] == project].iloc[0]
        st.markdown(f"{w.rag_badge(row['rag'])} CPI **{w.ratio(row['cpi'])}** · SPI **{w.ratio(row['spi'])}** · "
                    f"EAC **{w.money(row['eac'], ctx.currency)}** · VAC **{w.money(row['vac'], ctx.currency)}**")
        frame = ui.data.s_curve(ctx.path, ctx.version, ctx.as_of, project)
        w.chart(charts.s_curve_chart, frame, ctx.as_of, ctx.currency, key="delivery_scurve")
    ratings(ctx)
    st.subheader("Projects")
    w.measures_table(delivery, COLUMNS, ctx, key="delivery_table")
    w.withheld_note(delivery)
    w.csv_download(delivery[[c for c in COLUMNS if c in delivery.columns]],
                   f"delivery-{ctx.as_of:%Y-%m}.csv", key="delivery_csv")


def ratings(ctx: ui.Context) -> None:
    """Render the rating trend (largest projects × stored months) and this month's rating moves (SPEC §8.1)."""
    st.subheader("Delivery ratings over time")
    left, right = st.columns([3, 2])
    with left:
        w.chart(charts.delivery_trend_chart, ui.data.delivery_trend(ctx), key="delivery_trend")
        st.caption("Each project's delivery RAG at each stored month: from min(CPI, SPI) where it has earned "
                   "value, else from its delivery confidence. The largest projects by BAC have a row each.")
    with right:
        moves = ui.data.changes(ctx)
        moves = moves[moves["kind"].isin(MOVES)] if not moves.empty else moves
        st.markdown("**This month's moves**")
        if moves.empty:
            st.caption("No project's rating, confidence or membership changed since the previous stored month.")
        for text in moves["sentence"].head(12).tolist():
            st.text(f"• {text}")  # names are users' text: plain, never Markdown
        if len(moves) > 12:
            st.caption(f"{len(moves) - 12} more: `pmo-metrics measures changes` lists every change.")


ui.guarded(body)
