"""Executive overview: headline tiles with month-on-month deltas, the value chart, the four levels, top risks."""

import streamlit as st

from pmo_metrics import charts, measures, ui
from pmo_metrics.display import money_exact
from pmo_metrics.story import headlines
from pmo_metrics.ui import widgets as w

LEVEL_PAGES = {
    "delivery": ("1 · Delivery", "views/delivery.py", "projects by min(CPI, SPI), else confidence", "Open delivery"),
    "kpi": ("2 · KPIs", "views/kpis.py", "KPIs by attainment this month", "Open KPIs"),
    "benefits": ("3 · Performance", "views/performance.py", "benefits by realisation rate", "Open performance"),
    "advantage": ("4 · Competitive advantage", "views/advantage.py", "benchmarks by position; benefits sustained",
                  "Open level 4"),
}



def _delta(now, before, kind: str, currency: str):
    """Return st.metric delta text for the change since the previous month (None without one)."""
    if before is None or not w.is_number(now) or not w.is_number(before):
        return None
    change = now - before
    if kind == "money":
        # The sign leads, as st.metric reads the arrow's direction from the first character.
        return ("+" if change >= 0 else "-") + w.money(abs(change), currency)  # st.metric reads the sign
    if kind == "pp":
        return f"{change * 100:+.1f} pp"
    return f"{change:+.3f}"


def _unchanged(now, before, kind: str, currency: str) -> bool:
    """Return True when the change shows as nothing at the tile's precision (a grey delta, no arrow)."""
    if kind == "money":
        return w.money(abs(now - before), currency) == w.money(0, currency)
    if kind == "pp":
        return f"{abs(now - before) * 100:.1f}" == "0.0"
    return f"{abs(now - before):.3f}" == "0.000"


def tiles(ctx: ui.Context, figures: dict, previous) -> None:
    """Render the headline tiles, each with its change since the previous stored month."""
    now, before = figures["tiles"], figures["previous"]
    since = f"vs {w.month_label(previous)}" if previous else "no earlier month stored"
    cur = now.get("currency") or ctx.currency
    rows = [
        [("Realised to date", "realised_to_date", "money",
          f"Financial benefits realised to date; planned to date {w.money(now.get('planned_to_date'), cur)}."),
         ("Realisation rate", "realisation_rate", "pp", "Realised ÷ planned to date (SPEC §4 level 3)."),
         ("Erosion (forecast vs plan)", "erosion", "pp",
          "(Forecast total − planned total) ÷ planned total; below 0 means value is leaking."),
         ("Erosion vs original baseline", "erosion_original", "pp",
          "(Forecast total − original baseline total) ÷ original baseline total: erosion before any approved "
          "re-baseline, so a lowered plan cannot hide a leak (SPEC §9.2)."),
         ("Risk-adjusted forecast", "risk_adjusted_forecast", "money",
          f"Forecast total × confidence; planned total {w.money(now.get('planned_total'), cur)}.")],
        [("Portfolio CPI", "cpi", "index", "Σ EV ÷ Σ AC: below 1.00 means over budget."),
         ("Portfolio SPI", "spi", "index", "Σ EV ÷ Σ PV: below 1.00 means behind schedule."),
         ("NPV", "npv", "money", "Net present value of benefits less costs, realised and forecast: the sum of "
          "the projects' NPVs, each discounted from its own first month. It counts the whole life, so it can "
          "differ in sign from ROI to date."),
         ("ROI to date", "roi", "pp", "(Realised financial benefits − actual cost) ÷ actual cost, to date only: "
          "early in a project this is negative even when its NPV is positive.")],
    ]
    # Three significant digits, so a portfolio in the hundreds of millions fits its box; the exact
    # amount is in the tile's help.
    formats = {"money": lambda v: w.money(v, cur, significant=3), "pp": w.pct, "index": w.ratio}
    for row in rows:
        for column, (label, key, kind, helptext) in zip(st.columns(len(row)), row, strict=True):
            if kind == "money" and w.is_number(now.get(key)):
                helptext += f" Exactly {money_exact(now[key], cur)}."
            delta = _delta(now.get(key), before.get(key), kind, cur)
            # An unchanged figure gets a grey delta with no arrow rather than a red "down 0".
            flat = delta is not None and _unchanged(now.get(key), before.get(key), kind, cur)
            column.metric(label, formats[kind](now.get(key)), delta=delta.lstrip("+-") if flat else delta,
                          delta_color="off" if flat else "normal", delta_arrow="off" if flat else "auto",
                          delta_description=since if previous else None, help=helptext, border=True)
    if now.get("projects_other_currency"):
        st.caption(f"{now['projects_other_currency']} project(s) report in another currency and are left out "
                   f"of the {cur} totals.")


def levels(figures: dict) -> None:
    """Render RAG counts per level with a link to each level's page."""
    rag = figures["tiles"]["rag"]
    counts = {"delivery": rag["delivery"], "kpi": rag["kpi"], "benefits": rag["benefits"],
              "advantage": {k: rag["benchmarks"].get(k, 0) + rag["sustained"].get(k, 0)
                            for k in ("green", "amber", "red", "none")}}
    for column, (key, (title, page, what, link)) in zip(st.columns(4), LEVEL_PAGES.items(), strict=True):
        box = column.container(border=True)
        box.markdown(f"**{title}**")
        box.caption(what)
        box.markdown("  \n".join(f"{w.rag_badge(k)} **{counts[key].get(k, 0)}**"
                                 for k in ("green", "amber", "red", "none")))
        box.page_link(page, label=link, icon=":material/arrow_forward:")


def risks(ctx: ui.Context) -> None:
    """Render the benefits and projects with the most value at risk (planned total − risk-adjusted forecast)."""
    benefits = ui.data.value_at_risk(ctx, "benefit")
    if benefits.empty:
        st.info("No financial benefits with a plan in this scope, so there is no value at risk to rank.")
        return
    projects = ui.data.value_at_risk(ctx, "project")
    money = f"({ctx.currency})"
    # RAG right after the name: at half the page width the last columns scroll out of view.
    left, right = st.columns(2)
    with left:
        st.markdown("**Benefits with the most value at risk**")
        w.rag_table(benefits[["benefit_name", "rag", "value_at_risk", "value_at_risk_from_risks", "realisation_rate",
                              "project_name"]],
                    column_config={
                        "benefit_name": st.column_config.TextColumn("Benefit", pinned=True),
                        "project_name": "Project",
                        "value_at_risk": st.column_config.NumberColumn(f"Value at risk {money}", format="%,.0f"),
                        "value_at_risk_from_risks": st.column_config.NumberColumn(
                            f"Open risks {money}", format="%,.0f", width="small",
                            help="Value at risk from open RAID risks: Σ probability × impact, capped at the "
                                 "forecast still to come"),
                        "realisation_rate": st.column_config.NumberColumn("Realisation rate", format="percent"),
                        "rag": "RAG"})
    with right:
        st.markdown("**Projects with the most value at risk**")
        w.rag_table(projects[["project_name", "rag", "value_at_risk", "value_at_risk_from_risks", "planned_total",
                              "project_id"]],
                    column_config={
                        "project_id": "Code", "project_name": st.column_config.TextColumn("Project", pinned=True),
                        "value_at_risk": st.column_config.NumberColumn(f"Value at risk {money}", format="%,.0f"),
                        "value_at_risk_from_risks": st.column_config.NumberColumn(
                            f"Open risks {money}", format="%,.0f", width="small",
                            help="Value at risk from open RAID risks: Σ probability × impact, capped at the "
                                 "forecast still to come"),
                        "planned_total": st.column_config.NumberColumn(f"Planned total {money}", format="%,.0f"),
                        "rag": "Delivery RAG"})
    st.caption("Value at risk = planned total − risk-adjusted forecast (forecast total × confidence), "
               f"financial flow benefits in {ctx.currency} only. Beside it, the value at risk from open RAID "
               "risks: Σ probability × impact, capped at the forecast still to come (forecast total − realised).")
    raid_risks(ctx)


def raid_risks(ctx: ui.Context) -> None:
    """Render the benefits whose open RAID risks put the most value at risk, beside their forecast shortfall
    (SPEC §10.3); nothing when no RAID log is stored."""
    raid = ui.data.table(ctx, "raid")
    raid = raid[raid["value_at_risk_from_risks"].fillna(0) > 0].head(5)
    if raid.empty:
        return
    money = f"({ctx.currency})"
    st.markdown("**Benefits with the most value at risk from open RAID risks**")
    st.dataframe(raid[["benefit_name", "value_at_risk_from_risks", "forecast_shortfall", "open_risks",
                       "forecast_remaining", "open_issues", "overdue_items", "project_name"]], hide_index=True,
                 column_config={
                     "benefit_name": st.column_config.TextColumn("Benefit", pinned=True),
                     "value_at_risk_from_risks": st.column_config.NumberColumn(f"At risk from open risks {money}",
                                                                               format="%,.0f"),
                     "forecast_shortfall": st.column_config.NumberColumn(f"Forecast shortfall {money}",
                                                                         format="%,.0f"),
                     "open_risks": st.column_config.NumberColumn("Open risks", format="%d"),
                     "forecast_remaining": st.column_config.NumberColumn(f"Forecast to come {money}", format="%,.0f"),
                     "open_issues": st.column_config.NumberColumn("Open issues", format="%d"),
                     "overdue_items": st.column_config.NumberColumn("Overdue items", format="%d"),
                     "project_name": "Project"})


def membership_changes(ctx: ui.Context) -> None:
    """Say which projects joined and left their portfolio this month (SPEC §7.1), when any did."""
    frame = ui.data.table(ctx, "membership")
    parts = []
    for status, verb in (("joined", "joined"), ("left", "left")):
        moved = frame[frame["status"] == status]
        if moved.empty:
            continue
        names = [f"{row.project_name or row.project_id} ({row.portfolio})" for row in moved.itertuples()]
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        parts.append(f"{len(names)} {verb}: {w.text(shown)}")
    if parts:
        st.caption(f"**This month** · {' · '.join(parts)}")


def story(ctx: ui.Context, previous) -> None:
    """Render the month's five most important changes as plain sentences, against a month the user picks
    (SPEC §8.3); the sentences come with the changes table, never from the page."""
    months = [m for m in ui.data.reporting_months(ctx.path, ctx.version) if m != ctx.as_of]
    if not months:
        return
    left, right = st.columns([4, 1])
    with right:
        compare = st.selectbox("Compare to", months, index=months.index(previous) if previous in months else 0,
                               format_func=w.month_label, key="overview_compare_to")
    with left:
        st.subheader(f"What changed since {w.month_label(compare)}")
        found = ui.data.changes(ctx, compare)
        if found.empty:
            st.caption("Nothing changed in ratings, forecasts, membership or commentary.")
        for number, text in enumerate(headlines(found), start=1):
            st.text(f"{number}. {text}")  # users' names and commentary: plain text, never Markdown
        if len(found) > 5:
            # Lazy: the table (thousands of rows at scale) is built and sent only once it is opened.
            every = st.expander(f"All {len(found)} changes, most important first", key="overview_all_changes",
                                on_change="rerun")
            if every.open:
                # a table shows its cells as plain text, never Markdown
                every.dataframe(found[["sentence", "kind", "importance"]], hide_index=True, width="stretch",
                                column_config={"sentence": st.column_config.TextColumn("What changed",
                                                                                       width="large"),
                                               "kind": "Change",
                                               "importance": st.column_config.NumberColumn("Importance",
                                                                                           format="%.2f")})


def body() -> None:
    """Render the overview."""
    ctx = ui.context()
    ui.page_header("Executive overview", ctx, "planned against realised value across the four levels")
    if w.no_data(ctx):
        return
    previous = measures.previous_month(ui.data.reporting_months(ctx.path, ctx.version), ctx.as_of)
    story(ctx, previous)
    figures = ui.data.overview(ctx, previous)
    tiles(ctx, figures, previous)
    w.validated_note(ctx)
    if previous is not None:  # in the first stored month every project "joined"; that says nothing
        membership_changes(ctx)
    st.subheader("Planned, forecast and realised value")
    frame = figures["timeline"]
    w.chart(charts.value_timeline_chart, frame, ctx.as_of, ctx.currency, key="overview_timeline")
    st.caption("Cumulative value of financial benefits. Realised runs to the reporting month; the forecast "
               "continues it. Click a legend entry to highlight one line.")
    st.subheader("The four levels at a glance")
    levels(figures)
    st.subheader("Top value at risk")
    risks(ctx)


ui.guarded(body)
