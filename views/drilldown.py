"""Drill-down: portfolio → programme → project → benefit, each with its measures, charts and source uploads."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pmo_metrics import charts, ui
from pmo_metrics.measures import Scope
from pmo_metrics.ui import state
from pmo_metrics.ui import widgets as w

UPLOAD_COLUMNS = {"upload_id": "Upload", "file_name": "File", "as_of": "Reporting month", "sheet": "Data",
                  "entities": st.column_config.NumberColumn("Entities supplied", format="%d"),
                  "user_name": "Loaded by", "created_at": st.column_config.DatetimeColumn("Loaded at")}


def _choose(label: str, options: list, key: str, names: dict | None = None, all_label: str | None = None):
    """Render a selectbox whose remembered value is dropped when a higher level no longer offers it."""
    choices = ([None] if all_label else []) + options
    w._keep_valid(key, choices)
    if not choices:
        return None

    def show(value):
        if value is None:
            return all_label
        return f"{value} · {names[value]}" if names and names.get(value) else str(value)

    return st.selectbox(label, choices, key=key, format_func=show)


def _uploads(ctx: ui.Context, kinds: tuple[str, ...], keys: list[str]) -> None:
    """Render the uploads whose rows this level's figures come from."""
    frame = ui.data.supplying_uploads(ctx.path, ctx.version, ctx.as_of, kinds, tuple(sorted(set(keys))))
    with st.expander(f"Source uploads ({frame['upload_id'].nunique()} file(s))", icon=":material/source:"):
        if frame.empty:
            st.caption("No stored upload supplies this data.")
        else:
            st.dataframe(frame, hide_index=True, column_config=UPLOAD_COLUMNS)


def _commentary(ctx: ui.Context, project_ids: tuple[str, ...] = (), benefit_ids: tuple[str, ...] = ()) -> None:
    """Render the commentary history of a project or benefit: month, who loaded it, the text (SPEC §8.2)."""
    frame = ui.data.commentary(ctx.path, ctx.version, ctx.as_of, project_ids, benefit_ids)
    if frame.empty:
        return
    box = st.container(border=True)
    box.markdown("**Commentary**")
    latest, older = frame.head(1), frame.iloc[1:]
    for part, where in ((latest, box), (older, box.expander(f"Earlier commentary ({len(older)})") if len(older)
                                         else None)):
        if where is None:
            continue
        for row in part.itertuples():
            month = row.month.strftime("%b %Y") if hasattr(row.month, "strftime") else str(row.month)[:7]
            # users' text: shown as plain text, never as Markdown
            where.text(f"{month} · {row.user_name or 'loaded by an unknown user'}")
            where.text(row.commentary)


def _delivery_metrics(row: pd.Series, currency: str) -> None:
    cols = st.columns(5)
    cols[0].metric("CPI", w.ratio(row.get("cpi")), help="Earned ÷ actual cost")
    cols[1].metric("SPI", w.ratio(row.get("spi")), help="Earned ÷ planned value")
    # The currency goes in the label so five figures fit side by side.
    cols[2].metric(f"BAC ({currency})", w.money(row.get("bac"), None), help="Budget at completion")
    cols[3].metric(f"EAC ({currency})", w.money(row.get("eac"), None), help="Estimate at completion BAC ÷ CPI")
    cols[4].metric(f"VAC ({currency})", w.money(row.get("vac"), None), help="Variance at completion BAC − EAC")
    confidence = row.get("delivery_confidence")
    rated = {"evm": " · from min(CPI, SPI)",
             "confidence": " · from the delivery confidence"}.get(row.get("rag_source"), "")
    # the rating is one of five canonical words (pmo_metrics/confidence.py), never free text
    said = f" · delivery confidence **{confidence}**" if isinstance(confidence, str) else ""
    st.markdown(f"Delivery RAG: {w.rag_badge(row.get('rag'))}{rated}{said}")


def _benefit_metrics(frame: pd.DataFrame, currency: str) -> None:
    flow = frame[(frame["category"] == "financial") & (frame["measure"] == "flow")]
    planned = flow["planned_to_date"].sum(min_count=1)
    realised = flow["realised_to_date"].sum(min_count=1)
    rate = realised / planned if pd.notna(planned) and planned else None
    cols = st.columns(4)
    cols[0].metric("Benefits", len(frame))
    cols[1].metric("Planned to date", w.money(planned, currency))
    cols[2].metric("Realised to date", w.money(realised, currency))
    cols[3].metric("Realisation rate", w.pct(rate), help="Financial flow benefits: realised ÷ planned to date")


def _benefit_values_frame(values: pd.DataFrame, measure: str, as_of) -> pd.DataFrame:
    """Return a benefit's values as the timeline chart expects: cumulative for flow, readings for level."""
    frame = pd.DataFrame({"period": values["period"]})
    if measure != "flow":
        frame["planned_cum"] = values["planned_value"]
        frame["realised_cum"] = values["realised_value"].where(values["period"] <= as_of)
        frame["forecast_cum"] = values["forecast_value"].where(values["period"] > as_of)
        return frame
    to_date = values["period"] <= as_of
    realised = values["realised_value"].where(to_date).fillna(0).cumsum()
    frame["planned_cum"] = values["planned_value"].fillna(0).cumsum()
    frame["realised_cum"] = realised.where(to_date)
    # The forecast line starts at the realised total of the reporting month, like the overview chart.
    last = float(realised[to_date].iloc[-1]) if to_date.any() else 0.0
    after = values["forecast_value"].where(~to_date, 0).fillna(0).cumsum()
    frame["forecast_cum"] = (last + after).where(~to_date | (values["period"] == values["period"][to_date].max()))
    return frame


def body() -> None:
    """Render the drill-down page."""
    ctx = ui.context()
    ui.page_header("Drill-down", ctx, "from portfolio to programme to project to benefit")
    if w.no_data(ctx):
        return
    dims = ui.data.dimensions(ctx.path, ctx.version, ctx.as_of)
    for column, value in (("portfolio", ctx.scope.portfolio), ("programme", ctx.scope.programme)):
        if value:
            dims = dims[dims[column] == value]
    if w.empty_scope(dims, "projects"):
        return
    cols = st.columns(4)
    with cols[0]:
        portfolio = _choose("Portfolio", sorted(dims["portfolio"].dropna().unique()), state.DRILL_PORTFOLIO)
    in_portfolio = dims[dims["portfolio"] == portfolio]
    with cols[1]:
        programme = _choose("Programme", sorted(in_portfolio["programme"].dropna().unique()), state.DRILL_PROGRAMME,
                            all_label="All programmes")
    in_programme = in_portfolio if programme is None else in_portfolio[in_portfolio["programme"] == programme]
    names = dict(zip(in_programme["project_id"], in_programme["project_name"], strict=False))
    with cols[2]:
        project = _choose("Project", sorted(in_programme["project_id"].unique()), state.DRILL_PROJECT, names,
                          all_label="All projects")
    scope = Scope(portfolio, programme, ctx.scope.objective)
    scoped = ui.Context(ctx.path, ctx.version, ctx.as_of, scope, ctx.currency)
    shown_tables = ui.data.tables(scoped, "drilldown")
    delivery, benefits = shown_tables["delivery"], shown_tables["benefits"]
    with cols[3]:
        mine = benefits if project is None else benefits[benefits["project_id"] == project]
        benefit_names = dict(zip(mine["benefit_id"], mine["benefit_name"], strict=False))
        benefit = _choose("Benefit", sorted(mine["benefit_id"].unique()), state.DRILL_BENEFIT, benefit_names,
                          all_label="All benefits") if project else None

    # Portfolio or programme level
    level = f"Programme {programme}" if programme else f"Portfolio {portfolio}"
    st.subheader(level)
    rollup = ui.data.rollup(scoped, "programme" if programme else "portfolio")
    key_column = "programme" if programme else "portfolio"
    row = rollup[rollup[key_column] == (programme or portfolio)]
    if not row.empty:
        _delivery_metrics(row.iloc[0], ctx.currency)
    _benefit_metrics(benefits, ctx.currency)
    if project is None:
        left, right = st.columns(2)
        left.altair_chart(charts.delivery_quadrant_chart(delivery, ctx.currency), width="stretch",
                          key="drill_quadrant")
        right.altair_chart(charts.realisation_chart(benefits, "project_name", ctx.currency), width="stretch",
                           key="drill_realisation")
        w.measures_table(delivery, ["project_id", "project_name", "programme", "stage", "bac", "cpi", "spi", "eac",
                                    "vac", "rag"], ctx, key="drill_projects")
        _uploads(ctx, ui.data.SOURCE_KINDS, delivery["project_id"].tolist() + benefits["benefit_id"].tolist())
        return

    # Project level
    st.subheader(f"Project {project} · {names.get(project, '')}")
    prow = delivery[delivery["project_id"] == project]
    if not prow.empty:
        _delivery_metrics(prow.iloc[0], ctx.currency)
        _commentary(ctx, project_ids=(project,))
        fin = ui.data.financials(ctx.path, ctx.version, ctx.as_of, project)
        st.altair_chart(charts.s_curve_chart(charts.s_curve_frame(fin, prow.iloc[0]["bac"], ctx.as_of), ctx.as_of,
                                             ctx.currency), width="stretch", key="drill_scurve")
    returns = ui.data.table(scoped, "returns")
    rrow = returns[returns["project_id"] == project]
    if not rrow.empty:
        r = rrow.iloc[0]
        cols = st.columns(4)
        cols[0].metric("NPV", w.money(r["npv"], ctx.currency))
        cols[1].metric("ROI to date", w.pct(r["roi"]))
        cols[2].metric("Benefit-cost ratio", w.ratio(r["bcr"]))
        payback = r["payback_month"]
        cols[3].metric("Payback month", payback.strftime("%Y-%m") if hasattr(payback, "strftime") else "—")
    w.measures_table(mine, ["benefit_id", "benefit_name", "category", "measure", "owner", "planned_to_date",
                            "realised_to_date", "realisation_rate", "forecast_total", "erosion", "rag"], ctx,
                     key="drill_benefits")
    if benefit is None:
        _uploads(ctx, ui.data.SOURCE_KINDS, [project, *mine["benefit_id"].tolist()])
        return

    # Benefit level
    brow = mine[mine["benefit_id"] == benefit].iloc[0]
    st.subheader(f"Benefit {benefit} · {brow['benefit_name']}")
    financial = brow["category"] == "financial"
    unit = ctx.currency if financial else (brow.get("unit") if isinstance(brow.get("unit"), str) else "units")
    cols = st.columns(4)
    show = (lambda v: w.money(v, ctx.currency)) if financial else (lambda v: "—" if pd.isna(v) else f"{v:,.2f}")
    cols[0].metric("Planned to date", show(brow["planned_to_date"]))
    cols[1].metric("Realised to date", show(brow["realised_to_date"]))
    cols[2].metric("Realisation rate", w.pct(brow["realisation_rate"]))
    if brow["measure"] == "flow":
        cols[3].metric("Erosion", w.pct(brow["erosion"]), help="(Forecast total − planned total) ÷ planned total")
    else:
        cols[3].metric("Progress to target", w.pct(brow["progress_to_target"]))
    owner = brow["owner"] if isinstance(brow["owner"], str) else "— (no owner)"
    st.markdown(f"Benefit RAG: {w.rag_badge(brow['rag'])} · owner: {owner}")
    _commentary(ctx, benefit_ids=(benefit,))
    values = ui.data.benefit_values(ctx.path, ctx.version, ctx.as_of, benefit)
    title = f"Cumulative value ({unit})" if brow["measure"] == "flow" else f"Reading ({unit})"
    left, right = st.columns(2)
    left.altair_chart(charts.value_timeline_chart(_benefit_values_frame(values, brow["measure"], ctx.as_of), ctx.as_of,
                                                  ctx.currency, title=title), width="stretch", key="drill_values")
    if brow["measure"] == "flow" and financial:
        right.altair_chart(charts.erosion_chart(ui.data.history(ctx, benefit_id=benefit), ctx.currency),
                           width="stretch", key="drill_erosion")
    _uploads(ctx, ("benefits", "benefit_values"), [benefit])


ui.guarded(body)
