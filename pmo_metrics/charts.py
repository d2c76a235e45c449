"""Altair chart builders for the dashboard and the PDF board pack: each returns a chart, none renders.

Every builder takes a pandas DataFrame shaped like a measures table (`measure_table(...).to_pandas()`,
`value_timeline(...)`, `forecast_history(...)`) and copes with an empty one by returning a chart
that says there is nothing to show, so a page or a board pack never fails on a quiet month.

Colour is never the only carrier of meaning: RAG marks also differ by shape or carry a text
label, and the palette is Okabe-Ito, which stays distinguishable under the common colour-vision
deficiencies. This module imports no Streamlit, so exports can render the same charts to PNG.
"""

from __future__ import annotations

import datetime as dt
import math

import altair as alt
import pandas as pd

# Okabe-Ito: bluish green, orange, vermillion; grey for "not rated".
RAG_COLOURS: dict[str, str] = {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00", "none": "#999999"}
RAG_LABELS: dict[str, str] = {"green": "Green · on track", "amber": "Amber · watch", "red": "Red · off track",
                              "none": "Not rated"}
RAG_SHAPES: dict[str, str] = {"green": "circle", "amber": "square", "red": "triangle-up", "none": "diamond"}
RAG_ORDER = ("green", "amber", "red", "none")

# Series colours for value lines (Okabe-Ito again, none of them a RAG colour).
SERIES_COLOURS = {"Planned": "#555555", "Forecast": "#56B4E9", "Realised": "#0072B2",
                  "Risk-adjusted forecast": "#CC79A7"}
CHART_WIDTH = 640


def _rag_key(value: object) -> str:
    return value if isinstance(value, str) and value in RAG_COLOURS else "none"


def _rag_scale() -> alt.Scale:
    return alt.Scale(domain=[RAG_LABELS[k] for k in RAG_ORDER], range=[RAG_COLOURS[k] for k in RAG_ORDER])


def _rag_shape_scale() -> alt.Scale:
    return alt.Scale(domain=[RAG_LABELS[k] for k in RAG_ORDER], range=[RAG_SHAPES[k] for k in RAG_ORDER])


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose date-valued object columns are ISO text (Altair serialises no `date`)."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object:
            values = out[column].dropna()
            if len(values) and all(isinstance(v, dt.date) for v in values.head(20)):
                out[column] = out[column].map(lambda v: v.isoformat()[:10] if isinstance(v, dt.date) else None)
    return out


def _with_rag(df: pd.DataFrame, column: str = "rag") -> pd.DataFrame:
    out = _clean(df)
    source = out[column] if column in out.columns else pd.Series([None] * len(out), index=out.index)
    out["RAG"] = [RAG_LABELS[_rag_key(v)] for v in source.tolist()]
    return out


def _months(series: pd.Series) -> pd.Series:
    """Return month values (date, datetime or 'YYYY-MM' text) as pandas timestamps."""
    return pd.to_datetime(series.astype("object").map(lambda v: None if v is None else str(v)[:10]),
                          errors="coerce")


def _currency(df: pd.DataFrame, default: str) -> str:
    if "currency" in df.columns:
        codes = {c for c in df["currency"].dropna().tolist() if c}
        if len(codes) == 1:
            return codes.pop()
    return default


def _finite(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Return the rows where every named column holds a finite number."""
    mask = pd.Series(True, index=df.index)
    for column in columns:
        values = pd.to_numeric(df[column], errors="coerce")
        mask &= values.notna() & values.map(lambda v: not math.isinf(v) if pd.notna(v) else False)
    return df[mask]


def empty_chart(message: str = "No data for this month and scope") -> alt.Chart:
    """Return a small chart that shows only `message` (for empty inputs)."""
    return (alt.Chart(pd.DataFrame({"text": [message]}))
            .mark_text(fontSize=14, color="#555555")
            .encode(text="text:N")
            .properties(width=CHART_WIDTH, height=80))


def _as_of_rule(as_of: object, label: str = "as of") -> alt.LayerChart:
    month = pd.Timestamp(str(as_of)[:7] + "-01")
    frame = pd.DataFrame({"period": [month], "label": [f"{label} {month:%b %Y}"]})
    rule = alt.Chart(frame).mark_rule(color="#333333", strokeDash=[2, 2]).encode(x="period:T")
    text = (alt.Chart(frame).mark_text(align="left", dx=4, dy=-6, color="#333333", baseline="top")
            .encode(x="period:T", y=alt.value(0), text="label:N"))
    return rule + text


# -- overview -------------------------------------------------------------------------------------


def value_timeline_chart(timeline_df: pd.DataFrame, as_of: dt.date | str, currency: str = "GBP",
                         title: str | None = None) -> alt.Chart:
    """Return cumulative planned, forecast and realised value per month with a rule at the reporting month.

    `title` replaces the value axis title (e.g. for a non-financial benefit in its own unit).
    """
    if timeline_df is None or timeline_df.empty:
        return empty_chart("No benefit values yet: load the sample or upload a workbook")
    names = {"planned_cum": "Planned", "forecast_cum": "Forecast", "realised_cum": "Realised"}
    df = timeline_df.copy()
    df["period"] = _months(df["period"])
    long = (df.melt(id_vars=["period"], value_vars=[c for c in names if c in df.columns],
                    var_name="series", value_name="value")
            .dropna(subset=["value"]))
    long["series"] = long["series"].map(names)
    title = title or f"Cumulative value ({currency})"
    legend = alt.selection_point(fields=["series"], bind="legend", name="series_pick")
    series = list(names.values())
    lines = (alt.Chart(long).mark_line(point=alt.OverlayMarkDef(size=18))
             .encode(x=alt.X("period:T", title="Month", axis=alt.Axis(format="%b %y", tickCount=12)),
                     y=alt.Y("value:Q", title=title, axis=alt.Axis(format="~s")),
                     color=alt.Color("series:N", title=None,
                                     scale=alt.Scale(domain=series, range=[SERIES_COLOURS[s] for s in series]),
                                     legend=alt.Legend(orient="top")),
                     strokeDash=alt.StrokeDash("series:N", title=None,
                                               scale=alt.Scale(domain=series, range=[[6, 3], [2, 2], [1, 0]])),
                     opacity=alt.condition(legend, alt.value(1.0), alt.value(0.15)),
                     tooltip=[alt.Tooltip("period:T", title="Month", format="%b %Y"),
                              alt.Tooltip("series:N", title="Series"),
                              alt.Tooltip("value:Q", title=title, format=",.0f")])
             .add_params(legend))
    return (lines + _as_of_rule(as_of)).properties(width=CHART_WIDTH, height=320)


# -- level 1 delivery -----------------------------------------------------------------------------


def delivery_quadrant_chart(delivery_df: pd.DataFrame, currency: str = "GBP") -> alt.Chart:
    """Return the CPI × SPI scatter: one mark per project sized by BAC, RAG by colour and shape.

    Clicking a mark selects it (selection parameter `project`, field project_id) so a page can show
    that project's S-curve.
    """
    if delivery_df is None or delivery_df.empty:
        return empty_chart()
    df = _finite(_with_rag(delivery_df), "cpi", "spi")
    if df.empty:
        return empty_chart("No project has both CPI and SPI yet")
    currency = _currency(delivery_df, currency)
    for column in ("project_name", "programme", "portfolio"):
        if column not in df.columns:
            df[column] = ""
    pick = alt.selection_point(fields=["project_id"], name="project", on="click", clear="dblclick")
    low = min(0.7, float(df[["cpi", "spi"]].min().min()) - 0.05)
    high = max(1.3, float(df[["cpi", "spi"]].max().max()) + 0.05)
    scale = alt.Scale(domain=[low, high], zero=False, clamp=True)
    points = (alt.Chart(df).mark_point(filled=True, stroke="#333333", strokeWidth=0.5)
              .encode(x=alt.X("spi:Q", title="SPI (schedule: earned ÷ planned)", scale=scale),
                      y=alt.Y("cpi:Q", title="CPI (cost: earned ÷ actual)", scale=scale),
                      size=alt.Size("bac:Q", title=f"BAC ({currency})", legend=alt.Legend(format="~s"),
                                    scale=alt.Scale(range=[40, 900])),
                      color=alt.Color("RAG:N", scale=_rag_scale(), legend=alt.Legend(title="RAG")),
                      shape=alt.Shape("RAG:N", scale=_rag_shape_scale()),
                      opacity=alt.condition(pick, alt.value(0.9), alt.value(0.35)),
                      tooltip=[alt.Tooltip("project_id:N", title="Project"),
                               alt.Tooltip("project_name:N", title="Name"),
                               alt.Tooltip("programme:N", title="Programme"),
                               alt.Tooltip("cpi:Q", title="CPI", format=".2f"),
                               alt.Tooltip("spi:Q", title="SPI", format=".2f"),
                               alt.Tooltip("bac:Q", title=f"BAC ({currency})", format=",.0f"),
                               alt.Tooltip("RAG:N")])
              .add_params(pick))
    ones = pd.DataFrame({"v": [1.0]})
    vline = alt.Chart(ones).mark_rule(color="#333333", strokeDash=[4, 3]).encode(x="v:Q")
    hline = alt.Chart(ones).mark_rule(color="#333333", strokeDash=[4, 3]).encode(y="v:Q")
    corners = pd.DataFrame({
        "x": [high, low, high, low], "y": [high, high, low, low],
        "label": ["ahead, under budget", "late, under budget", "ahead, over budget", "late, over budget"],
        "align": ["right", "left", "right", "left"],
    })
    labels = alt.layer(*[
        alt.Chart(corners[corners["align"] == a]).mark_text(align=a, baseline="middle", dx=-4 if a == "right" else 4,
                                                            color="#777777", fontStyle="italic")
        .encode(x="x:Q", y="y:Q", text="label:N") for a in ("left", "right")])
    return (vline + hline + labels + points).properties(width=CHART_WIDTH, height=420)


def s_curve_frame(financials_df: pd.DataFrame, bac: float | None, as_of: dt.date | str) -> pd.DataFrame:
    """Return cumulative PV, EV, AC (to date) and forecast cost (after) per month from raw financials rows.

    EV per month follows SPEC §4 level 1: Σ earned_value where reported, else percent_complete × BAC.
    """
    columns = ["period", "pv", "ev", "ac", "forecast"]
    if financials_df is None or financials_df.empty:
        return pd.DataFrame(columns=columns)
    df = financials_df.copy()
    df["period"] = _months(df["period"])
    df = df.groupby("period", as_index=False).sum(numeric_only=True, min_count=1).sort_values("period")
    month = pd.Timestamp(str(as_of)[:7] + "-01")
    to_date = df["period"] <= month
    out = pd.DataFrame({"period": df["period"]})
    out["pv"] = df.get("planned_cost", pd.Series(0.0, index=df.index)).fillna(0).cumsum()
    ac = df.get("actual_cost", pd.Series(0.0, index=df.index)).fillna(0).cumsum()
    out["ac"] = ac.where(to_date)
    earned = df.get("earned_value", pd.Series(float("nan"), index=df.index))
    if earned.notna().any():
        ev = earned.fillna(0).cumsum()
    else:
        pct = df.get("percent_complete", pd.Series(float("nan"), index=df.index)).ffill()
        ev = pct * (bac or 0.0)
    out["ev"] = ev.where(to_date)
    forecast = df.get("forecast_cost", pd.Series(0.0, index=df.index)).where(~to_date, 0).fillna(0).cumsum()
    last_ac = float(ac[to_date].iloc[-1]) if to_date.any() else 0.0
    out["forecast"] = (last_ac + forecast).where(~to_date | (df["period"] == month))
    return out[columns].reset_index(drop=True)


def s_curve_chart(df: pd.DataFrame, as_of: dt.date | str | None = None, currency: str = "GBP") -> alt.Chart:
    """Return the cumulative PV / EV / AC S-curve of a project (input: `s_curve_frame` output)."""
    if df is None or df.empty:
        return empty_chart("No financials for this project")
    names = {"pv": "PV (planned)", "ev": "EV (earned)", "ac": "AC (actual)", "forecast": "Forecast cost"}
    frame = df.copy()
    frame["period"] = _months(frame["period"])
    long = (frame.melt(id_vars=["period"], value_vars=[c for c in names if c in frame.columns],
                       var_name="series", value_name="value").dropna(subset=["value"]))
    long["series"] = long["series"].map(names)
    domain = list(names.values())
    title = f"Cumulative cost ({currency})"
    chart = (alt.Chart(long).mark_line(point=alt.OverlayMarkDef(size=14))
             .encode(x=alt.X("period:T", title="Month", axis=alt.Axis(format="%b %y")),
                     y=alt.Y("value:Q", title=title, axis=alt.Axis(format="~s")),
                     color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top"),
                                     scale=alt.Scale(domain=domain,
                                                     range=["#555555", "#009E73", "#D55E00", "#56B4E9"])),
                     strokeDash=alt.StrokeDash("series:N", title=None,
                                               scale=alt.Scale(domain=domain,
                                                               range=[[6, 3], [1, 0], [1, 0], [2, 2]])),
                     tooltip=[alt.Tooltip("period:T", title="Month", format="%b %Y"),
                              alt.Tooltip("series:N", title="Series"),
                              alt.Tooltip("value:Q", title=title, format=",.0f")]))
    if as_of is not None:
        chart = chart + _as_of_rule(as_of)
    return chart.properties(width=CHART_WIDTH, height=300)


def delivery_rollup_chart(rollup_df: pd.DataFrame, level: str = "portfolio") -> alt.Chart:
    """Return CPI and SPI per portfolio or programme as a dot plot around a 1.0 rule; click selects a `level`.

    Dots rather than bars: the indices sit near 1.0, and bars from zero would hide the differences.
    """
    if rollup_df is None or rollup_df.empty or level not in rollup_df.columns:
        return empty_chart()
    df = _with_rag(rollup_df)
    long = df.melt(id_vars=[level, "RAG"], value_vars=["cpi", "spi"], var_name="index", value_name="value")
    long["index"] = long["index"].str.upper()
    long = _finite(long, "value")
    if long.empty:
        return empty_chart("No CPI or SPI yet")
    low = min(0.8, float(long["value"].min()) - 0.02)
    high = max(1.1, float(long["value"].max()) + 0.02)
    pick = alt.selection_point(fields=[level], name="group")
    y = alt.Y(f"{level}:N", title=None, axis=alt.Axis(labelLimit=260))
    base = alt.Chart(long).encode(y=y)
    span = base.mark_rule(color="#BBBBBB", strokeWidth=2).encode(x=alt.X("min(value):Q"), x2="max(value):Q")
    dots = (base.mark_point(filled=True, size=160, stroke="#333333", strokeWidth=0.5)
            .encode(x=alt.X("value:Q", title="Index (1.00 = on plan; below 1 = over budget or late)",
                            scale=alt.Scale(domain=[low, high], zero=False)),
                    color=alt.Color("index:N", title=None, legend=alt.Legend(orient="top"),
                                    scale=alt.Scale(domain=["CPI", "SPI"], range=["#0072B2", "#E69F00"])),
                    shape=alt.Shape("index:N", scale=alt.Scale(domain=["CPI", "SPI"], range=["circle", "square"])),
                    opacity=alt.condition(pick, alt.value(1.0), alt.value(0.3)),
                    tooltip=[alt.Tooltip(f"{level}:N", title=level.capitalize()), alt.Tooltip("index:N", title="Index"),
                             alt.Tooltip("value:Q", title="Value", format=".3f"), alt.Tooltip("RAG:N")])
            .add_params(pick))
    rule = alt.Chart(pd.DataFrame({"v": [1.0]})).mark_rule(color="#333333", strokeDash=[4, 3]).encode(x="v:Q")
    return (span + rule + dots).properties(width=CHART_WIDTH)


# -- level 2 KPIs ---------------------------------------------------------------------------------


def kpi_bullet_chart(kpi_df: pd.DataFrame, grain: str | None = None) -> alt.Chart:
    """Return bullet bars: each KPI's actual as a share of its target (tick at 100 %), budget as a diamond.

    KPIs have different units, so one shared axis shows actual ÷ target; the raw values are in the
    tooltip. A lower-is-better KPI is on target at or below 100 %; the bar colour is its RAG.
    Rows without a target are left out. With several grains the chart gets one column per grain
    unless `grain` picks one.
    """
    if kpi_df is None or kpi_df.empty:
        return empty_chart("No KPIs for this month and scope")
    df = _with_rag(kpi_df)
    if grain is not None and "grain" in df.columns:
        df = df[df["grain"] == grain]
    df = _finite(df, "actual", "target")
    df = df[df["target"] != 0]
    if df.empty:
        return empty_chart("No KPI has a target this month")
    df = df.copy()
    if "kpi_name" not in df.columns:
        df["kpi_name"] = df["kpi_id"]
    df["kpi"] = [n if isinstance(n, str) and n else k for n, k in zip(df["kpi_name"], df["kpi_id"], strict=True)]
    df["actual_pct"] = df["actual"] / df["target"]
    budget = pd.to_numeric(df.get("budget"), errors="coerce") if "budget" in df.columns else None
    df["budget_pct"] = budget / df["target"] if budget is not None else float("nan")
    for column in ("unit", "direction", "attainment", "budget", "forecast", "grain"):
        if column not in df.columns:
            df[column] = None
    tooltip = [alt.Tooltip("kpi:N", title="KPI"), alt.Tooltip("grain:N", title="Grain"),
               alt.Tooltip("actual:Q", title="Actual", format=",.2f"),
               alt.Tooltip("target:Q", title="Target", format=",.2f"),
               alt.Tooltip("budget:Q", title="Budget", format=",.2f"),
               alt.Tooltip("forecast:Q", title="Forecast", format=",.2f"),
               alt.Tooltip("unit:N", title="Unit"), alt.Tooltip("direction:N", title="Direction"),
               alt.Tooltip("attainment:Q", title="Attainment", format=".0%"), alt.Tooltip("RAG:N")]
    base = alt.Chart(df).encode(y=alt.Y("kpi:N", title=None, sort="ascending", axis=alt.Axis(labelLimit=240)))
    # A light track to 120 % gives every row the same frame, like the qualitative band of a bullet chart.
    track = base.mark_bar(color="#EEEEEE", size=22).encode(x=alt.datum(0), x2=alt.datum(1.2))
    bars = base.mark_bar(size=12).encode(
        x=alt.X("actual_pct:Q", title="Actual as % of target", axis=alt.Axis(format=".0%")),
        color=alt.Color("RAG:N", scale=_rag_scale(), legend=alt.Legend(title="RAG", orient="top")),
        tooltip=tooltip)
    target = base.mark_tick(color="#000000", thickness=2, size=26).encode(x=alt.datum(1.0), tooltip=tooltip)
    budget_mark = base.mark_point(shape="diamond", filled=True, color="#555555", size=60).encode(
        x="budget_pct:Q", tooltip=tooltip)
    # The label sits right of every mark of its row so it never hides the target tick or the budget diamond.
    df["label_x"] = df[["actual_pct", "budget_pct"]].max(axis=1).clip(lower=1.0)
    base = alt.Chart(df).encode(y=alt.Y("kpi:N", title=None, sort="ascending", axis=alt.Axis(labelLimit=240)))
    label = base.mark_text(align="left", dx=8, fontSize=11).encode(
        x="label_x:Q", text=alt.Text("actual_pct:Q", format=".0%"))
    chart = alt.layer(track, bars, target, budget_mark, label)
    if grain is None and "grain" in df.columns and df["grain"].nunique() > 1:
        return chart.properties(width=260).facet(
            column=alt.Column("grain:N", title=None, sort=["month", "quarter", "year"]))
    return chart.properties(width=CHART_WIDTH)


# -- level 3 performance --------------------------------------------------------------------------


def _financial_flow(df: pd.DataFrame) -> pd.DataFrame:
    if "category" in df.columns:
        df = df[df["category"] == "financial"]
    if "measure" in df.columns:
        df = df[df["measure"] == "flow"]
    return df


def realisation_frame(df: pd.DataFrame, by: str = "strategic_objective") -> pd.DataFrame:
    """Return planned and realised to date and the realisation rate per `by` (financial flow benefits)."""
    columns = [by, "planned_to_date", "realised_to_date", "realisation_rate"]
    if df is None or df.empty or by not in df.columns:
        return pd.DataFrame(columns=columns)
    source = _financial_flow(df)
    grouped = (source.groupby(by, as_index=False, dropna=True)[["planned_to_date", "realised_to_date"]]
               .sum(min_count=1).dropna(subset=["planned_to_date"]))
    grouped["realisation_rate"] = grouped["realised_to_date"] / grouped["planned_to_date"].where(
        grouped["planned_to_date"] != 0)
    return grouped[columns]


def realisation_chart(df: pd.DataFrame, by: str = "strategic_objective", currency: str = "GBP",
                      green: float = 0.95, amber: float = 0.85) -> alt.Chart:
    """Return planned (grey) against realised (RAG) value to date per objective or portfolio.

    Accepts the objectives table or the benefits table (summed here over financial flow benefits).
    Clicking a bar selects its group (selection parameter `group`, field `by`).
    """
    frame = realisation_frame(df, by)
    if frame.empty:
        return empty_chart("No financial benefits planned to date")
    currency = _currency(df, currency)
    frame["rag"] = [None if pd.isna(r) else "green" if r >= green else "amber" if r >= amber else "red"
                    for r in frame["realisation_rate"]]
    frame = _with_rag(frame)
    frame["label"] = [("" if pd.isna(r) else f"{r:.0%}") for r in frame["realisation_rate"]]
    title = f"Value to date ({currency})"
    label = by.replace("_", " ").capitalize()
    pick = alt.selection_point(fields=[by], name="group")
    tooltip = [alt.Tooltip(f"{by}:N", title=label),
               alt.Tooltip("planned_to_date:Q", title=f"Planned to date ({currency})", format=",.0f"),
               alt.Tooltip("realised_to_date:Q", title=f"Realised to date ({currency})", format=",.0f"),
               alt.Tooltip("realisation_rate:Q", title="Realisation rate", format=".0%"),
               alt.Tooltip("RAG:N")]
    base = alt.Chart(frame).encode(y=alt.Y(f"{by}:N", title=None, sort="-x", axis=alt.Axis(labelLimit=240)))
    planned = base.mark_bar(color="#CCCCCC", size=24).encode(
        x=alt.X("planned_to_date:Q", title=title, axis=alt.Axis(format="~s")), tooltip=tooltip)
    realised = base.mark_bar(size=12).encode(
        x="realised_to_date:Q",
        color=alt.Color("RAG:N", scale=_rag_scale(), legend=alt.Legend(title=None, orient="bottom", columns=2)),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)), tooltip=tooltip).add_params(pick)
    text = base.mark_text(align="left", dx=4).encode(x="planned_to_date:Q", text="label:N")
    return alt.layer(planned, realised, text).properties(width=CHART_WIDTH)


def waterfall_chart(df: pd.DataFrame, by: str = "portfolio", currency: str = "GBP") -> alt.Chart:
    """Return the planned → realised to date waterfall: each `by` group's shortfall or gain is one step.

    Input: the benefits table (financial flow benefits are used) or any frame with `by`,
    planned_to_date and realised_to_date.
    """
    frame = realisation_frame(df, by)
    if frame.empty:
        return empty_chart("No financial benefits planned to date")
    currency = _currency(df, currency)
    frame["realised_to_date"] = frame["realised_to_date"].fillna(0)
    planned = float(frame["planned_to_date"].sum())
    steps = [{"step": "Planned to date", "start": 0.0, "end": planned, "amount": planned, "kind": "Total"}]
    running = planned
    for row in frame.sort_values(by).itertuples(index=False):
        delta = float(row.realised_to_date - row.planned_to_date)
        steps.append({"step": str(getattr(row, by)), "start": running, "end": running + delta, "amount": delta,
                      "kind": "Gain" if delta >= 0 else "Shortfall"})
        running += delta
    steps.append({"step": "Realised to date", "start": 0.0, "end": running, "amount": running, "kind": "Total"})
    data = pd.DataFrame(steps)
    data["label"] = [f"{a:+,.0f}" if k != "Total" else f"{a:,.0f}" for a, k in zip(data["amount"], data["kind"],
                                                                                   strict=True)]
    order = data["step"].tolist()
    title = f"Value to date ({currency}; axis does not start at zero)"
    # The steps are small beside the totals, so the axis spans the running values, not zero to the total;
    # the total bars are clipped at the bottom.
    running_values = [v for st in steps for v in (st["start"], st["end"]) if st["kind"] != "Total"] + [planned, running]
    low, high = min(running_values), max(running_values)
    pad = max((high - low) * 0.6, abs(high) * 0.01, 1.0)
    scale = alt.Scale(domain=[low - pad, high + pad * 0.5], zero=False)
    base = alt.Chart(data).encode(x=alt.X("step:N", sort=order, title=None,
                                          axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, ' ')",
                                                        labelOverlap=False)))
    bars = base.mark_bar(size=36, clip=True).encode(
        y=alt.Y("start:Q", title=title, axis=alt.Axis(format="~s"), scale=scale), y2="end:Q",
        color=alt.Color("kind:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=["Total", "Gain", "Shortfall"],
                                        range=["#0072B2", "#009E73", "#D55E00"])),
        tooltip=[alt.Tooltip("step:N", title="Step"), alt.Tooltip("kind:N", title="Kind"),
                 alt.Tooltip("amount:Q", title=f"Amount ({currency})", format=",.0f")])
    text = base.mark_text(dy=-6, baseline="bottom").encode(y=alt.Y("top:Q"), text="label:N").transform_calculate(
        top="max(datum.start, datum.end)")
    return (bars + text).properties(width=CHART_WIDTH, height=320)


def erosion_chart(history_df: pd.DataFrame, currency: str = "GBP") -> alt.Chart:
    """Return planned total, forecast total, risk-adjusted forecast and realised to date per reporting month."""
    if history_df is None or history_df.empty:
        return empty_chart("No forecast history yet")
    names = {"planned_total": "Planned", "forecast_total": "Forecast",
             "risk_adjusted_forecast": "Risk-adjusted forecast", "realised_to_date": "Realised"}
    df = history_df.copy()
    df["as_of"] = _months(df["as_of"])
    if "erosion" not in df.columns:
        df["erosion"] = (df["forecast_total"] - df["planned_total"]) / df["planned_total"].where(
            df["planned_total"] != 0)
    long = (df.melt(id_vars=["as_of", "erosion"], value_vars=[c for c in names if c in df.columns],
                    var_name="series", value_name="value").dropna(subset=["value"]))
    long["series"] = long["series"].map(names)
    domain = list(names.values())
    title = f"Benefit value ({currency})"
    chart = (alt.Chart(long).mark_line(point=True)
             .encode(x=alt.X("as_of:T", title="Reporting month", axis=alt.Axis(format="%b %y", tickCount="month")),
                     y=alt.Y("value:Q", title=title, axis=alt.Axis(format="~s")),
                     color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top", columns=2),
                                     scale=alt.Scale(domain=domain, range=[SERIES_COLOURS[s] for s in domain])),
                     strokeDash=alt.StrokeDash("series:N", title=None,
                                               scale=alt.Scale(domain=domain,
                                                               range=[[6, 3], [2, 2], [4, 2, 1, 2], [1, 0]])),
                     tooltip=[alt.Tooltip("as_of:T", title="Reporting month", format="%b %Y"),
                              alt.Tooltip("series:N", title="Series"),
                              alt.Tooltip("value:Q", title=title, format=",.0f"),
                              alt.Tooltip("erosion:Q", title="Erosion (forecast vs plan)", format=".1%")]))
    return chart.properties(width=CHART_WIDTH, height=300)


# -- level 4 competitive advantage ----------------------------------------------------------------

POSITION_RAG = {"top quartile": "green", "above median": "amber", "below median": "red"}


def benchmark_gap_chart(bench_df: pd.DataFrame) -> alt.Chart:
    """Return each benchmark metric's standing against the peer median (relative index − 1; right is better)."""
    if bench_df is None or bench_df.empty:
        return empty_chart("No benchmarks to date")
    df = _finite(_clean(bench_df), "relative_index")
    if df.empty:
        return empty_chart("No benchmark has a peer median")
    df["vs_median"] = df["relative_index"] - 1
    df["rag"] = df["position"].map(POSITION_RAG) if "position" in df.columns else None
    df = _with_rag(df)
    df["label"] = df.get("position", pd.Series("", index=df.index)).fillna("")
    for column in ("our_value", "peer_median", "peer_top_quartile", "gap_to_median", "direction", "period"):
        if column not in df.columns:
            df[column] = None
    df["period"] = df["period"].map(lambda v: None if v is None or pd.isna(v) else str(v)[:7])
    base = alt.Chart(df).encode(y=alt.Y("metric:N", title=None, axis=alt.Axis(labelLimit=240),
                                        sort=alt.EncodingSortField("vs_median", order="descending")))
    bars = base.mark_bar(size=18).encode(
        x=alt.X("vs_median:Q", title="Better (+) or worse (−) than the peer median", axis=alt.Axis(format="+.0%")),
        color=alt.Color("RAG:N", scale=_rag_scale(), legend=None),
        tooltip=[alt.Tooltip("metric:N", title="Metric"), alt.Tooltip("period:N", title="Period"),
                 alt.Tooltip("our_value:Q", title="Our value", format=",.2f"),
                 alt.Tooltip("peer_median:Q", title="Peer median", format=",.2f"),
                 alt.Tooltip("peer_top_quartile:Q", title="Peer top quartile", format=",.2f"),
                 alt.Tooltip("gap_to_median:Q", title="Gap to median", format="+,.2f"),
                 alt.Tooltip("vs_median:Q", title="Versus median", format="+.1%"),
                 alt.Tooltip("direction:N", title="Direction"), alt.Tooltip("label:N", title="Position")])
    text = base.mark_text(align="left", dx=4).encode(x=alt.datum(0), text="label:N")
    zero = alt.Chart(pd.DataFrame({"v": [0.0]})).mark_rule(color="#333333").encode(x="v:Q")
    return (bars + zero + text).properties(width=CHART_WIDTH)


SUSTAINED_LABELS = {True: "Sustained", False: "Not sustained", None: "Too early to tell"}


def sustained_chart(df: pd.DataFrame, currency: str = "GBP") -> alt.Chart:
    """Return the value realised after closure per financial benefit of an ended project, by sustained status."""
    if df is None or df.empty:
        return empty_chart("No benefits of ended projects yet")
    frame = _finite(_clean(df), "sustained_value")
    if frame.empty:
        return empty_chart("No financial benefits of ended projects yet")
    currency = _currency(df, currency)
    frame["status"] = [SUSTAINED_LABELS.get(None if pd.isna(s) else bool(s)) for s in frame["sustained"].tolist()]
    for column in ("benefit_name", "project_name", "end_month"):
        if column not in frame.columns:
            frame[column] = None
    frame["end_month"] = frame["end_month"].map(lambda v: None if v is None or pd.isna(v) else str(v)[:7])
    frame["benefit"] = [f"{b} · {n}" if isinstance(n, str) else b
                        for b, n in zip(frame["benefit_id"], frame["benefit_name"], strict=True)]
    domain = list(SUSTAINED_LABELS.values())
    title = f"Realised after closure ({currency})"
    return (alt.Chart(frame).mark_bar()
            .encode(y=alt.Y("benefit:N", title=None, sort="-x", axis=alt.Axis(labelLimit=280)),
                    x=alt.X("sustained_value:Q", title=title, axis=alt.Axis(format="~s")),
                    color=alt.Color("status:N", title=None, legend=alt.Legend(orient="top"),
                                    scale=alt.Scale(domain=domain, range=[RAG_COLOURS["green"], RAG_COLOURS["red"],
                                                                          RAG_COLOURS["none"]])),
                    tooltip=[alt.Tooltip("benefit_id:N", title="Benefit"),
                             alt.Tooltip("benefit_name:N", title="Name"),
                             alt.Tooltip("project_name:N", title="Project"),
                             alt.Tooltip("end_month:N", title="Project ended"),
                             alt.Tooltip("sustained_value:Q", title=title, format=",.0f"),
                             alt.Tooltip("status:N", title="Status")])
            .properties(width=CHART_WIDTH))


def rag_counts_chart(counts: dict[str, dict[str, int]]) -> alt.Chart:
    """Return stacked RAG counts per level (input: headline()['rag']), labelled with the count."""
    rows = [{"level": level, "RAG": RAG_LABELS[k], "count": n, "order": RAG_ORDER.index(k)}
            for level, c in counts.items() for k, n in c.items() if n]
    if not rows:
        return empty_chart()
    data = pd.DataFrame(rows)
    base = alt.Chart(data).encode(y=alt.Y("level:N", title=None, sort=list(counts)),
                                  x=alt.X("count:Q", stack="zero", title="Items"),
                                  order=alt.Order("order:Q"))
    bars = base.mark_bar().encode(color=alt.Color("RAG:N", scale=_rag_scale(), legend=alt.Legend(orient="top")),
                                  tooltip=["level:N", "RAG:N", "count:Q"])
    text = base.mark_text(dx=-4, align="right", color="white").encode(text="count:Q")
    return (bars + text).properties(width=CHART_WIDTH)


def delivery_trend_chart(trend_df: pd.DataFrame) -> alt.Chart:
    """Rating trend (SPEC §8.1): a projects × months grid, each cell the delivery RAG that month (with its
    word in the tooltip and a letter in the cell, so colour is not the only signal); an "others" row
    gives the rating most of the remaining projects have, and the split on hover."""
    if trend_df.empty:
        return empty_chart("No stored month has projects in this scope")
    df = _with_rag(trend_df)
    df["month"] = _months(df["as_of"]).dt.strftime("%Y-%m")
    df["letter"] = [{"green": "G", "amber": "A", "red": "R"}.get(v, "–") for v in df["rag"].tolist()]
    df["confidence"] = df["delivery_confidence"].fillna("—") if "delivery_confidence" in df else "—"
    df["split"] = [f"{g} green · {a} amber · {r} red · {u} not rated" for g, a, r, u in
                   zip(df["green"], df["amber"], df["red"], df["unrated"], strict=True)]
    rows = df.sort_values(["position", "row_label"])["row_label"].drop_duplicates().tolist()
    months = sorted(df["month"].unique())
    base = alt.Chart(df).encode(
        x=alt.X("month:O", title=None, sort=months, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("row_label:N", title=None, sort=rows, axis=alt.Axis(labelLimit=220)),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("RAG:N", scale=_rag_scale(), legend=alt.Legend(title="Delivery RAG", orient="bottom")),
        tooltip=[alt.Tooltip("row_label:N", title="Project"), alt.Tooltip("month:O", title="Month"),
                 alt.Tooltip("RAG:N", title="Delivery RAG"), alt.Tooltip("confidence:N", title="Delivery confidence"),
                 alt.Tooltip("split:N", title="Projects")],
    )
    letters = base.mark_text(fontSize=10, color="white", fontWeight="bold").encode(text="letter:N")
    # a band of its own height per row (at most TREND_ROWS + 1 of them), so every label shows
    return (cells + letters).properties(width=CHART_WIDTH, height=alt.Step(20), title="Delivery rating by month")
