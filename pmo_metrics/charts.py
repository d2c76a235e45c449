"""Altair chart builders for the dashboard and the PDF board pack: each returns a chart, none renders.

Every builder takes a pandas DataFrame as a measures query returns it (`measure_table`,
`value_timeline`, `realisation`, `s_curve`, `rollup_top`, `sustained_top`, ...) and only selects,
sorts and encodes it: every figure and every RAG is computed in the measures layer (SPEC §11), so
a chart and the table beside it cannot disagree. An empty frame gives a chart that says there is
nothing to show and carries no selection parameter (Streamlit refuses `on_select` on such a chart;
`selection_names` tells a page whether to ask for clicks).

Charts stay small at any scale: at most CHART_TOP groups plus "Others" (the measures sum them),
and the delivery quadrant turns into a density of projects with the worst ones labelled.
Amounts use the product's one money format on axes and labels (display.money_label_expr) and
exact amounts in tooltips. Colour is never the only carrier of meaning: RAG marks also differ by
shape or carry a text label, and the palette is Okabe-Ito. This module imports no Streamlit.
"""

from __future__ import annotations

import datetime as dt
import math
import threading

import altair as alt
import pandas as pd

from .display import currency_prefix, money_label_expr, rag_safe_percent

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
ROW_STEP = 26          # px per bar row; with at most CHART_TOP + 1 rows a bar chart stays under 450 px
CHART_TOP = 15         # groups shown before "Others" (the measures layer sums the rest)
QUADRANT_POINTS = 200  # above this many projects the quadrant is a density with the worst labelled
QUADRANT_LABELLED = 15
QUADRANT_COLUMNS = ["project_id", "project_name", "programme", "portfolio", "bac", "cpi", "spi", "rag"]
# A waterfall's totals, rises and falls (colour-blind safe: blue, green, vermilion).
WATERFALL_COLOURS = ["#0072B2", "#009E73", "#D55E00"]


# Altair's theme and data transformer are settings of the whole process; a conversion holds this lock
# so that a dashboard chart and a board-pack chart converted at once in two sessions keep their own.
_ALTAIR_SETTINGS = threading.Lock()


def _keep_frames(data, datasets: dict) -> dict:
    """Altair data transformer: keep each chart's frame as it is under a name (no JSON values, no row limit)."""
    for name, kept in datasets.items():
        if kept is data:
            return {"name": name}
    name = f"data-{len(datasets)}"
    datasets[name] = data
    return {"name": name}


alt.data_transformers.register("pmo_frames", _keep_frames)


def browser_spec(chart) -> dict:
    """Return a chart as the Vega-Lite spec the dashboard draws: its frames kept as DataFrames under
    `datasets` (the page sends them as Arrow) and no Altair theme, so the app's own theme applies.

    A spec is plain data: the dashboard keeps it between runs, where building the chart and
    validating its spec cost 40 ms or more a chart on every run."""
    datasets: dict = {}
    with _ALTAIR_SETTINGS, alt.theme.enable("none"), alt.data_transformers.enable("pmo_frames", datasets=datasets):
        spec = chart.to_dict()
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


def inline_spec(chart) -> dict:
    """Return a chart's Vega-Lite spec with its data written in (for rendering offline, vl-convert)."""
    with _ALTAIR_SETTINGS:
        return chart.to_dict()


def selection_names(chart) -> set[str]:
    """Return the names of the selection parameters a chart defines (empty: do not ask for clicks)."""
    names: set[str] = set()
    params = getattr(chart, "params", alt.Undefined)
    if params is not alt.Undefined and params:
        for param in params:
            if getattr(param, "select", alt.Undefined) is not alt.Undefined:
                names.add(str(param.name))
    for attribute in ("layer", "hconcat", "vconcat", "concat"):
        parts = getattr(chart, attribute, alt.Undefined)
        if parts is not alt.Undefined and parts:
            for part in parts:
                names |= selection_names(part)
    spec = getattr(chart, "spec", alt.Undefined)
    if spec is not alt.Undefined and spec is not None and not isinstance(spec, dict):
        names |= selection_names(spec)
    return names


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


def _finite(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Return the rows where every named column holds a finite number."""
    mask = pd.Series(True, index=df.index)
    for column in columns:
        values = pd.to_numeric(df[column], errors="coerce")
        mask &= values.notna() & values.map(lambda v: not math.isinf(v) if pd.notna(v) else False)
    return df[mask]


def _money_axis(title: str, currency: str | None) -> alt.Axis:
    return alt.Axis(title=title, labelExpr=money_label_expr(currency))


def _money_tip(field: str, title: str, currency: str | None) -> alt.Tooltip:
    """Exact amount, to the whole unit, in the tooltip (the axis and labels are compact)."""
    return alt.Tooltip(f"{field}:Q", title=f"{title} ({currency_prefix(currency).strip() or 'amount'})",
                       format=",.0f")


def empty_chart(message: str = "No data for this month and scope") -> alt.Chart:
    """Return a small chart that shows only `message` (for empty inputs); it asks for no clicks."""
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


def _bar_height(rows: int) -> alt.Step:
    """Return a fixed step per bar row: a chart's height follows its rows (at most CHART_TOP + 1 of them),
    and Streamlit's fitted sizing cannot squeeze the rows into a height meant for the plot alone."""
    return alt.Step(ROW_STEP)


def _series_legend(columns: int | None = None) -> alt.Legend:
    # Line strokes in the legend, so its entries show the dash of each series, not a dot.
    extra = {"columns": columns} if columns else {}
    return alt.Legend(orient="top", symbolType="stroke", symbolStrokeWidth=2.5, symbolSize=300, **extra)


# -- overview -------------------------------------------------------------------------------------


def _past_window(periods: pd.Series, as_of: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the months the value chart spans: all of the past and at most as much future (the
    realised past gets at least half the width), never less than six months ahead."""
    month = pd.Timestamp(str(as_of)[:7] + "-01")
    first = min(periods.min(), month)
    ahead = max(month - first, pd.Timedelta(days=183))
    return first, min(periods.max(), month + ahead)


def value_timeline_chart(timeline_df: pd.DataFrame, as_of: dt.date | str, currency: str | None = "GBP",
                         title: str | None = None) -> alt.Chart:
    """Return cumulative planned, forecast and realised value per month with a rule at the reporting month.

    `title` replaces the value axis title; `currency` None shows plain numbers (a non-financial
    benefit in its own unit). The future is cut so the past takes at least half the width.
    """
    if timeline_df is None or timeline_df.empty:
        return empty_chart("No financial benefit values in this scope yet: upload BenefitValues to chart them")
    names = {"planned_cum": "Planned", "forecast_cum": "Forecast", "realised_cum": "Realised"}
    df = timeline_df.copy()
    df["period"] = _months(df["period"])
    first, last = _past_window(df["period"], as_of)
    df = df[(df["period"] >= first) & (df["period"] <= last)]
    long = (df.melt(id_vars=["period"], value_vars=[c for c in names if c in df.columns],
                    var_name="series", value_name="value")
            .dropna(subset=["value"]))
    if long.empty:
        return empty_chart("No planned or realised value in these months")
    long["series"] = long["series"].map(names)
    title = title or f"Cumulative value ({currency})"
    legend = alt.selection_point(fields=["series"], bind="legend", name="series_pick")
    series = list(names.values())
    axis = _money_axis(title, currency) if currency else alt.Axis(title=title, format="~s")
    value_tip = (_money_tip("value", "Value", currency) if currency
                 else alt.Tooltip("value:Q", title=title, format=",.2f"))
    lines = (alt.Chart(long).mark_line(strokeWidth=2.5)
             .encode(x=alt.X("period:T", title="Month", axis=alt.Axis(format="%b %y", tickCount=12),
                             scale=alt.Scale(domain=[first.isoformat(), last.isoformat()])),
                     y=alt.Y("value:Q", axis=axis),
                     color=alt.Color("series:N", title=None, legend=_series_legend(),
                                     scale=alt.Scale(domain=series, range=[SERIES_COLOURS[s] for s in series])),
                     strokeDash=alt.StrokeDash("series:N", title=None, legend=_series_legend(),
                                               scale=alt.Scale(domain=series, range=[[6, 3], [2, 2], [1, 0]])),
                     opacity=alt.condition(legend, alt.value(1.0), alt.value(0.15)),
                     tooltip=[alt.Tooltip("period:T", title="Month", format="%b %Y"),
                              alt.Tooltip("series:N", title="Series"), value_tip])
             .add_params(legend))
    return (lines + _as_of_rule(as_of)).properties(width=CHART_WIDTH, height=320)


# -- level 1 delivery -----------------------------------------------------------------------------


def _quadrant_frame(low: float, high: float) -> alt.LayerChart:
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
    return vline + hline + labels


def delivery_quadrant_chart(delivery_df: pd.DataFrame, currency: str | None = "GBP",
                            density: pd.DataFrame | None = None) -> alt.Chart:
    """Return the CPI × SPI quadrant: one mark per project sized by BAC, RAG by colour and shape.

    Above QUADRANT_POINTS projects, `density` (measures.delivery_density) is drawn as shaded cells
    and only the QUADRANT_LABELLED worst projects (lowest of CPI and SPI) as marks. Clicking a mark
    selects it (selection parameter `project`, field project_id) so a page can show its S-curve.
    """
    if delivery_df is None or delivery_df.empty:
        return empty_chart("No projects for this month and scope")
    # Only the columns the quadrant draws: the rest of the delivery table (30 columns) would go to the
    # browser with every mark.
    df = _finite(_with_rag(delivery_df.reindex(columns=QUADRANT_COLUMNS)), "cpi", "spi")
    if df.empty:
        return empty_chart("No project has both CPI and SPI yet (no earned value or percent complete)")
    crowded = len(df) > QUADRANT_POINTS and density is not None and not density.empty
    if crowded:
        low, high = 0.5, 1.5
        # the worst first: lowest of the two indices, then the largest budget
        df = (df.assign(_basis=df[["cpi", "spi"]].min(axis=1), _bac=pd.to_numeric(df["bac"], errors="coerce"))
              .sort_values(["_basis", "_bac"], ascending=[True, False]).head(QUADRANT_LABELLED)
              .drop(columns=["_basis", "_bac"]))
    else:
        low = min(0.7, float(df[["cpi", "spi"]].min().min()) - 0.05)
        high = max(1.3, float(df[["cpi", "spi"]].max().max()) + 0.05)
    scale = alt.Scale(domain=[low, high], zero=False, clamp=True)
    pick = alt.selection_point(fields=["project_id"], name="project", on="click", clear="dblclick")
    points = (alt.Chart(df).mark_point(filled=True, stroke="#333333", strokeWidth=0.5)
              .encode(x=alt.X("spi:Q", title="SPI (schedule: earned ÷ planned)", scale=scale),
                      y=alt.Y("cpi:Q", title="CPI (cost: earned ÷ actual)", scale=scale),
                      # Four sizes, not seven: below a seven-entry size legend the RAG legend
                      # ran past the chart's height and its last entry (red) was cut off.
                      size=alt.Size("bac:Q", title=f"BAC ({currency})", scale=alt.Scale(range=[40, 900]),
                                    legend=alt.Legend(labelExpr=money_label_expr(currency), tickCount=3)),
                      # One RAG legend, the shapes' (their labels name the colour): the colour scale is
                      # resolved apart from the density layer's, so the two legends never merge, and a
                      # second one below ran past the chart's height.
                      color=alt.Color("RAG:N", scale=_rag_scale(), legend=None),
                      shape=alt.Shape("RAG:N", scale=_rag_shape_scale(), legend=alt.Legend(title="RAG")),
                      opacity=alt.condition(pick, alt.value(0.9), alt.value(0.35)),
                      tooltip=[alt.Tooltip("project_id:N", title="Project"),
                               alt.Tooltip("project_name:N", title="Name"),
                               alt.Tooltip("programme:N", title="Programme"),
                               alt.Tooltip("cpi:Q", title="CPI", format=".2f"),
                               alt.Tooltip("spi:Q", title="SPI", format=".2f"),
                               _money_tip("bac", "BAC", currency), alt.Tooltip("RAG:N")])
              .add_params(pick))
    layers = [_quadrant_frame(low, high)]
    if crowded:
        cells = (alt.Chart(density).mark_rect(opacity=0.85)
                 .encode(x=alt.X("spi_bin:Q", scale=scale), x2="spi_bin_end:Q",
                         y=alt.Y("cpi_bin:Q", scale=scale), y2="cpi_bin_end:Q",
                         color=alt.Color("projects:Q", title="Projects", scale=alt.Scale(scheme="greys")),
                         tooltip=[alt.Tooltip("projects:Q", title="Projects"),
                                  alt.Tooltip("spi_bin:Q", title="SPI from", format=".2f"),
                                  alt.Tooltip("cpi_bin:Q", title="CPI from", format=".2f"),
                                  _money_tip("bac", "BAC", currency)]))
        # The worst projects crowd one corner, so their names are in the tooltip, not printed beside them.
        layers = [cells, *layers, points]
    else:
        layers.append(points)
    return alt.layer(*layers).resolve_scale(color="independent").properties(width=CHART_WIDTH, height=420)


def s_curve_chart(df: pd.DataFrame, as_of: dt.date | str | None = None, currency: str | None = "GBP") -> alt.Chart:
    """Return the cumulative PV / EV / AC / forecast S-curve of a project (input: measures.s_curve)."""
    if df is None or df.empty:
        return empty_chart("No financials for this project")
    names = {"pv": "PV (planned)", "ev": "EV (earned)", "ac": "AC (actual)", "forecast": "Forecast cost"}
    frame = df.copy()
    frame["period"] = _months(frame["period"])
    long = (frame.melt(id_vars=["period"], value_vars=[c for c in names if c in frame.columns],
                       var_name="series", value_name="value").dropna(subset=["value"]))
    if long.empty:
        return empty_chart("No cost figures for this project")
    long["series"] = long["series"].map(names)
    domain = list(names.values())
    title = f"Cumulative cost ({currency})"
    chart = (alt.Chart(long).mark_line(strokeWidth=2.5)
             .encode(x=alt.X("period:T", title="Month", axis=alt.Axis(format="%b %y")),
                     y=alt.Y("value:Q", axis=_money_axis(title, currency)),
                     # Four series in two columns: in one row the legend ran past the chart's
                     # half-page column and the third and fourth were cut off.
                     color=alt.Color("series:N", title=None, legend=_series_legend(columns=2),
                                     scale=alt.Scale(domain=domain,
                                                     range=["#555555", "#009E73", "#D55E00", "#56B4E9"])),
                     strokeDash=alt.StrokeDash("series:N", title=None, legend=_series_legend(columns=2),
                                               scale=alt.Scale(domain=domain,
                                                               range=[[6, 3], [1, 0], [1, 0], [2, 2]])),
                     tooltip=[alt.Tooltip("period:T", title="Month", format="%b %Y"),
                              alt.Tooltip("series:N", title="Series"), _money_tip("value", "Value", currency)]))
    if as_of is not None:
        chart = chart + _as_of_rule(as_of)
    return chart.properties(width=CHART_WIDTH, height=300)


def delivery_rollup_chart(rollup_df: pd.DataFrame, level: str = "portfolio") -> alt.Chart:
    """Return CPI and SPI per portfolio or programme as a dot plot around a 1.0 rule, largest BAC first.

    Input: measures.rollup_top (the CHART_TOP largest groups and "Others"). Clicking a dot selects
    its group (selection parameter `group`, field `level`). Dots rather than bars: the indices sit
    near 1.0, and bars from zero would hide the differences.
    """
    if rollup_df is None or rollup_df.empty:
        return empty_chart()
    df = _with_rag(rollup_df)
    if "name" in df.columns:
        df[level] = df["name"]
    if level not in df.columns:
        return empty_chart()
    df[level] = df[level].fillna("Not set")
    order = df[level].tolist()
    long = df.melt(id_vars=[level, "RAG"], value_vars=["cpi", "spi"], var_name="index", value_name="value")
    long["index"] = long["index"].str.upper()
    long = _finite(long, "value")
    if long.empty:
        return empty_chart("No CPI or SPI yet (no earned value or percent complete)")
    low = min(0.8, float(long["value"].min()) - 0.02)
    high = max(1.1, float(long["value"].max()) + 0.02)
    pick = alt.selection_point(fields=[level], name="group")
    y = alt.Y(f"{level}:N", title=None, sort=order, axis=alt.Axis(labelLimit=260))
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
    return (span + rule + dots).properties(width=CHART_WIDTH, height=_bar_height(len(order)))


# -- level 2 KPIs ---------------------------------------------------------------------------------


def kpi_bullet_chart(kpi_df: pd.DataFrame, grain: str | None = None,
                     thresholds: tuple[float, ...] = ()) -> alt.Chart:
    """Return each KPI's attainment (the measure its RAG is decided on) as a bar, target at 100 %.

    Attainment is actual ÷ target, or target ÷ actual for a lower-is-better KPI (SPEC §4 level 2),
    so right of the tick is always better. KPIs without an attainment are left out; above
    CHART_TOP the worst are shown (every KPI is in the table). `thresholds` (green, amber) set how
    many decimals the labels need so equal labels never carry different colours.
    """
    if kpi_df is None or kpi_df.empty:
        return empty_chart("No KPIs for this month and scope")
    df = _with_rag(kpi_df)
    if grain is not None and "grain" in df.columns:
        df = df[df["grain"] == grain]
    df = _finite(df, "attainment")
    if df.empty:
        return empty_chart("No KPI has both an actual and a target in this window")
    df = df.sort_values(["attainment", "kpi_id"]).head(CHART_TOP).copy()
    if "kpi_name" not in df.columns:
        df["kpi_name"] = df["kpi_id"]
    df["kpi"] = [n if isinstance(n, str) and n else k for n, k in zip(df["kpi_name"], df["kpi_id"], strict=True)]
    df["label"] = [rag_safe_percent(a, thresholds) for a in df["attainment"]]
    for column in ("unit", "direction", "budget", "forecast", "grain", "actual", "target"):
        if column not in df.columns:
            df[column] = None
    df["direction"] = df["direction"].map(DIRECTION_WORDS.get).fillna("")
    tooltip = [alt.Tooltip("kpi:N", title="KPI"), alt.Tooltip("grain:N", title="Window"),
               alt.Tooltip("actual:Q", title="Actual", format=",.2f"),
               alt.Tooltip("target:Q", title="Target", format=",.2f"),
               alt.Tooltip("budget:Q", title="Budget", format=",.2f"),
               alt.Tooltip("forecast:Q", title="Forecast", format=",.2f"),
               alt.Tooltip("unit:N", title="Unit"), alt.Tooltip("direction:N", title="Direction"),
               alt.Tooltip("label:N", title="Attainment"), alt.Tooltip("RAG:N")]
    order = df["kpi"].tolist()
    base = alt.Chart(df).encode(y=alt.Y("kpi:N", title=None, sort=order, axis=alt.Axis(labelLimit=240)))
    track = base.mark_bar(color="#EEEEEE", size=22).encode(x=alt.datum(0), x2=alt.datum(1.2))
    bars = base.mark_bar(size=12).encode(
        x=alt.X("attainment:Q", title="Attainment (100 % = on target; right is better)", axis=alt.Axis(format=".0%")),
        color=alt.Color("RAG:N", scale=_rag_scale(), legend=alt.Legend(title="RAG", orient="top")),
        tooltip=tooltip)
    target = base.mark_tick(color="#000000", thickness=2, size=26).encode(x=alt.datum(1.0), tooltip=tooltip)
    label = base.mark_text(align="left", dx=8, fontSize=11).encode(
        x=alt.X("label_x:Q"), text="label:N").transform_calculate(label_x="max(datum.attainment, 1.0)")
    return alt.layer(track, bars, target, label).properties(width=CHART_WIDTH, height=_bar_height(len(order)))


DIRECTION_WORDS = {"higher_is_better": "Higher is better", "lower_is_better": "Lower is better"}


# -- level 3 performance --------------------------------------------------------------------------


def realisation_chart(frame: pd.DataFrame, currency: str | None = "GBP", thresholds: tuple[float, ...] = (),
                      field: str = "group") -> alt.Chart:
    """Return planned (grey) against realised (RAG) value to date per group, the largest first.

    Input: measures.realisation (groups, "Others", rate and RAG decided there). Clicking a bar
    selects its group (selection parameter `group`, field `field`; "Others" has none).
    """
    if frame is None or frame.empty or frame["planned_to_date"].isna().all():
        return empty_chart("No financial benefits planned to date")
    df = _with_rag(frame[frame["planned_to_date"].notna()])
    df[field] = df["group"] if "group" in df.columns else df["label"]
    df["label"] = df["label"].fillna("Not set")
    df["rate"] = [rag_safe_percent(r, thresholds) if pd.notna(r) else "" for r in df["realisation_rate"]]
    order = df["label"].tolist()
    title = f"Value to date ({currency})"
    pick = alt.selection_point(fields=[field], name="group")
    tooltip = [alt.Tooltip("label:N", title="Group"),
               _money_tip("planned_to_date", "Planned to date", currency),
               _money_tip("realised_to_date", "Realised to date", currency),
               alt.Tooltip("rate:N", title="Realisation rate"), alt.Tooltip("benefits:Q", title="Benefits"),
               alt.Tooltip("RAG:N")]
    base = alt.Chart(df).encode(y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=240)))
    planned = base.mark_bar(color="#CCCCCC", size=20).encode(
        x=alt.X("planned_to_date:Q", axis=_money_axis(title, currency)), tooltip=tooltip)
    realised = base.mark_bar(size=10).encode(
        x="realised_to_date:Q",
        color=alt.Color("RAG:N", scale=_rag_scale(), legend=alt.Legend(title=None, orient="bottom", columns=2)),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)), tooltip=tooltip).add_params(pick)
    text = base.mark_text(align="left", dx=4).encode(
        x=alt.X("end:Q"), text="rate:N").transform_calculate(
        end="max(datum.planned_to_date, datum.realised_to_date || 0)")
    return alt.layer(planned, realised, text).properties(width=CHART_WIDTH, height=_bar_height(len(order)))


def waterfall_chart(frame: pd.DataFrame, currency: str | None = "GBP") -> alt.Chart:
    """Return the planned → realised to date waterfall: each group's shortfall or gain is one step.

    Input: measures.realisation (its benefit_variance is each step; the totals are the sums of the
    same rows, so the last bar is Σ realised to date). Steps in the order of the rows (largest first).
    """
    if frame is None or frame.empty or frame["planned_to_date"].isna().all():
        return empty_chart("No financial benefits planned to date")
    rows = frame[frame["planned_to_date"].notna()]
    # Only stacking here: each step starts where the one before ended.
    planned = float(rows["planned_to_date"].sum())
    steps = [{"step": "Planned to date", "start": 0.0, "end": planned, "amount": planned, "kind": "Total"}]
    running = planned
    for label, delta in zip(rows["label"].fillna("Not set"), rows["benefit_variance"].fillna(0), strict=True):
        steps.append({"step": str(label), "start": running, "end": running + float(delta), "amount": float(delta),
                      "kind": "Gain" if delta >= 0 else "Shortfall"})
        running += float(delta)
    steps.append({"step": "Realised to date", "start": 0.0, "end": running, "amount": running, "kind": "Total"})
    data = pd.DataFrame(steps)
    order = data["step"].tolist()
    title = f"Value to date ({currency}; axis does not start at zero)"
    running_values = [v for st in steps for v in (st["start"], st["end"]) if st["kind"] != "Total"] + [planned, running]
    low, high = min(running_values), max(running_values)
    pad = max((high - low) * 0.6, abs(high) * 0.01, 1.0)
    scale = alt.Scale(domain=[low - pad, high + pad * 0.5], zero=False)
    base = alt.Chart(data).encode(x=alt.X("step:N", sort=order, title=None,
                                          axis=alt.Axis(labelAngle=-30, labelLimit=140, labelOverlap=False)))
    bars = base.mark_bar(size=28, clip=True).encode(
        y=alt.Y("start:Q", axis=_money_axis(title, currency), scale=scale), y2="end:Q",
        color=alt.Color("kind:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=["Total", "Gain", "Shortfall"], range=WATERFALL_COLOURS)),
        tooltip=[alt.Tooltip("step:N", title="Step"), alt.Tooltip("kind:N", title="Kind"),
                 _money_tip("amount", "Amount", currency)])
    return (bars + _step_labels(base, "Total", currency, 10)).properties(width=CHART_WIDTH, height=320)


def _step_labels(base: alt.Chart, total_kind: str, currency: str | None, font_size: int) -> alt.Chart:
    """Return a waterfall's labels: each bar's amount above it, signed except on the totals (`kind` ==
    `total_kind`)."""
    return base.mark_text(dy=-6, baseline="bottom", fontSize=font_size).encode(
        y=alt.Y("top:Q"), text="label:N").transform_calculate(
        top="max(datum.start, datum.end)",
        label=(f"(datum.kind != '{total_kind}' && datum.amount >= 0 ? '+' : '') + "
               + money_label_expr(currency, "datum.amount")))


def erosion_chart(history_df: pd.DataFrame, currency: str | None = "GBP") -> alt.Chart:
    """Return planned total, forecast total, risk-adjusted forecast and realised to date per reporting month
    (input: measures.forecast_history, whose erosion column the tooltip shows)."""
    if history_df is None or history_df.empty:
        return empty_chart("No forecast history yet")
    names = {"planned_total": "Planned", "forecast_total": "Forecast",
             "risk_adjusted_forecast": "Risk-adjusted forecast", "realised_to_date": "Realised"}
    df = history_df.copy()
    df["as_of"] = _months(df["as_of"])
    if "erosion" not in df.columns:
        df["erosion"] = None
    long = (df.melt(id_vars=["as_of", "erosion"], value_vars=[c for c in names if c in df.columns],
                    var_name="series", value_name="value").dropna(subset=["value"]))
    if long.empty:
        return empty_chart("No forecast history yet")
    long["series"] = long["series"].map(names)
    domain = list(names.values())
    title = f"Benefit value ({currency})"
    chart = (alt.Chart(long).mark_line(point=alt.OverlayMarkDef(size=30), strokeWidth=2.5)
             .encode(x=alt.X("as_of:T", title="Reporting month", axis=alt.Axis(format="%b %y", tickCount="month")),
                     y=alt.Y("value:Q", axis=_money_axis(title, currency)),
                     color=alt.Color("series:N", title=None, legend=_series_legend(columns=2),
                                     scale=alt.Scale(domain=domain, range=[SERIES_COLOURS[s] for s in domain])),
                     strokeDash=alt.StrokeDash("series:N", title=None, legend=_series_legend(columns=2),
                                               scale=alt.Scale(domain=domain,
                                                               range=[[6, 3], [2, 2], [4, 2, 1, 2], [1, 0]])),
                     tooltip=[alt.Tooltip("as_of:T", title="Reporting month", format="%b %Y"),
                              alt.Tooltip("series:N", title="Series"), _money_tip("value", "Value", currency),
                              alt.Tooltip("erosion:Q", title="Erosion (forecast vs plan)", format=".1%")]))
    return chart.properties(width=CHART_WIDTH, height=300)


# -- level 4 competitive advantage ----------------------------------------------------------------

POSITION_RAG = {"top quartile": "green", "above median": "amber", "below median": "red"}


def benchmark_gap_chart(bench_df: pd.DataFrame) -> alt.Chart:
    """Return each benchmark metric's relative index (ours ÷ peer median, inverted when lower is better)
    as a bar from 1.0: right is better. Above CHART_TOP metrics, the furthest from the median."""
    if bench_df is None or bench_df.empty:
        return empty_chart("No benchmarks to date")
    df = _finite(_clean(bench_df), "relative_index")
    if df.empty:
        return empty_chart("No benchmark has a peer median")
    df = df.assign(_gap=(df["relative_index"] - 1).abs()).sort_values(["_gap", "metric"], ascending=[False, True])
    df = df.head(CHART_TOP).drop(columns=["_gap"])
    df["rag"] = df["position"].map(POSITION_RAG) if "position" in df.columns else None
    df = _with_rag(df)
    df["label"] = df.get("position", pd.Series("", index=df.index)).fillna("")
    for column in ("our_value", "peer_median", "peer_top_quartile", "gap_to_median", "direction", "period"):
        if column not in df.columns:
            df[column] = None
    df["direction"] = df["direction"].map(DIRECTION_WORDS.get).fillna("")
    df["period"] = df["period"].map(lambda v: None if v is None or pd.isna(v) else str(v)[:7])
    order = df.sort_values("relative_index", ascending=False)["metric"].tolist()
    base = alt.Chart(df).encode(y=alt.Y("metric:N", title=None, axis=alt.Axis(labelLimit=240), sort=order))
    bars = base.mark_bar(size=18).encode(
        x=alt.X("relative_index:Q", title="Better (+) or worse (−) than the peer median",
                scale=alt.Scale(zero=False), axis=alt.Axis(labelExpr="format(datum.value - 1, '+.0%')")),
        x2=alt.datum(1.0),
        color=alt.Color("RAG:N", scale=_rag_scale(), legend=None),
        tooltip=[alt.Tooltip("metric:N", title="Metric"), alt.Tooltip("period:N", title="Period"),
                 alt.Tooltip("our_value:Q", title="Our value", format=",.2f"),
                 alt.Tooltip("peer_median:Q", title="Peer median", format=",.2f"),
                 alt.Tooltip("peer_top_quartile:Q", title="Peer top quartile", format=",.2f"),
                 alt.Tooltip("gap_to_median:Q", title="Gap to median", format="+,.2f"),
                 alt.Tooltip("relative_index:Q", title="Relative index", format=".3f"),
                 alt.Tooltip("direction:N", title="Direction"), alt.Tooltip("label:N", title="Position")])
    text = base.mark_text(align="left", dx=4).encode(x=alt.datum(1.0), text="label:N")
    one = alt.Chart(pd.DataFrame({"v": [1.0]})).mark_rule(color="#333333").encode(x="v:Q")
    return (bars + one + text).properties(width=CHART_WIDTH, height=_bar_height(len(order)))


SUSTAINED_LABELS = {True: "Sustained", False: "Not sustained", None: "Too early to tell"}
OTHERS_STATUS = "Several"


def sustained_chart(df: pd.DataFrame, currency: str | None = "GBP") -> alt.Chart:
    """Return the value realised after closure of the largest financial benefits of ended projects and
    "Others" (input: measures.sustained_top), coloured by sustained status."""
    if df is None or df.empty:
        return empty_chart("No benefits of ended projects yet")
    frame = _finite(_clean(df), "sustained_value")
    if frame.empty:
        return empty_chart("No financial benefits of ended projects yet")
    others = frame["others"] if "others" in frame.columns else pd.Series(False, index=frame.index)
    frame["status"] = [OTHERS_STATUS if o else SUSTAINED_LABELS.get(None if pd.isna(s) else bool(s))
                       for s, o in zip(frame["sustained"].tolist(), others.tolist(), strict=True)]
    for column in ("benefit_name", "project_name", "end_month", "benefit_id"):
        if column not in frame.columns:
            frame[column] = None
    frame["end_month"] = frame["end_month"].map(lambda v: None if v is None or pd.isna(v) else str(v)[:7])
    frame["benefit"] = [n if not isinstance(b, str) else (f"{b} · {n}" if isinstance(n, str) else b)
                        for b, n in zip(frame["benefit_id"], frame["benefit_name"], strict=True)]
    order = frame["benefit"].tolist()
    domain = [*SUSTAINED_LABELS.values(), OTHERS_STATUS]
    title = f"Realised after closure ({currency})"
    return (alt.Chart(frame).mark_bar(size=16)
            .encode(y=alt.Y("benefit:N", title=None, sort=order, axis=alt.Axis(labelLimit=280)),
                    x=alt.X("sustained_value:Q", axis=_money_axis(title, currency)),
                    color=alt.Color("status:N", title=None, legend=alt.Legend(orient="top"),
                                    scale=alt.Scale(domain=domain, range=[RAG_COLOURS["green"], RAG_COLOURS["red"],
                                                                          RAG_COLOURS["none"], "#BBBBBB"])),
                    tooltip=[alt.Tooltip("benefit:N", title="Benefit"),
                             alt.Tooltip("project_name:N", title="Project"),
                             alt.Tooltip("end_month:N", title="Project ended"),
                             _money_tip("sustained_value", "Realised after closure", currency),
                             alt.Tooltip("status:N", title="Status")])
            .properties(width=CHART_WIDTH, height=_bar_height(len(order))))


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


MAP_LAYER_NAMES = ("Projects", "Enablers", "Outcomes", "Benefits", "Objectives")  # measures.MAP_LAYERS
MAP_ROW_STEP = 34  # px per node in the fullest layer
MAP_MAX_HEIGHT = 900


def benefit_map_chart(map_df: pd.DataFrame, currency: str | None = "GBP") -> alt.Chart:
    """Return the benefit map left to right (SPEC §10.2): links as lines, nodes as points coloured (and
    shaped) by RAG and sized by value, open RAID assumptions marked "A" beside their benefit.

    Input: measures.benefit_map (x by layer, y by order: the layout is decided there). Clicking a node
    selects it (selection parameter `node`, fields node_id, node_type, project_id, portfolio).
    """
    if map_df is None or map_df.empty or not (map_df["kind"] == "node").any():
        return empty_chart("No benefit map for this month and scope: upload a BenefitMap sheet")
    nodes = _with_rag(map_df[map_df["kind"] == "node"])
    links = _clean(map_df[map_df["kind"] == "link"]).copy()
    links["relation_label"] = links["relation"].map({"enables": "enables", "contributes_to": "contributes to"})
    links["weight_label"] = [f"{v:.0%}" if pd.notna(v) else "" for v in links["weight"]]
    nodes["type_label"] = nodes["node_label"].str.capitalize()
    nodes["short"] = [n if len(str(n)) <= 28 else str(n)[:27] + "…" for n in nodes["name"]]
    nodes["assumptions"] = nodes["open_assumptions"].fillna(0).astype(int)
    # a node without a value (an enabler, an outcome, a level benefit) still gets the smallest mark
    nodes["size"] = pd.to_numeric(nodes["value"], errors="coerce").fillna(0).clip(lower=0)
    tallest = int(nodes.groupby("x")["node_id"].count().max())
    span = max(1.0, tallest / 2)
    x_scale = alt.Scale(domain=[-0.2, 5.1])  # room on the right for the objectives' names
    y_scale = alt.Scale(domain=[-span, span], reverse=True)
    axis = alt.Axis(values=list(range(5)), grid=False, orient="top", title=None,
                    labelExpr="['" + "','".join(MAP_LAYER_NAMES) + "'][datum.value]")
    pick = alt.selection_point(fields=["node_id", "node_type", "project_id", "portfolio"], name="node",
                               on="click", clear="dblclick")
    layers = []
    if not links.empty:
        layers.append(alt.Chart(links).mark_rule(color="#888888", opacity=0.7).encode(
            x=alt.X("x:Q", scale=x_scale, axis=axis), y=alt.Y("y:Q", scale=y_scale, axis=None),
            x2="x2:Q", y2="y2:Q",
            strokeDash=alt.StrokeDash("relation_label:N", title="Link",
                                      scale=alt.Scale(domain=["enables", "contributes to"],
                                                      range=[[4, 3], [1, 0]])),
            tooltip=[alt.Tooltip("from_id:N", title="From"), alt.Tooltip("to_id:N", title="To"),
                     alt.Tooltip("relation_label:N", title="Link"), alt.Tooltip("weight_label:N", title="Weight")]))
    tooltip = [alt.Tooltip("type_label:N", title="Node"), alt.Tooltip("node_id:N", title="Id"),
               alt.Tooltip("name:N", title="Name"), _money_tip("value", "Value", currency),
               alt.Tooltip("RAG:N"), alt.Tooltip("assumptions:Q", title="Open assumptions"),
               alt.Tooltip("assumption_titles:N", title="Assumptions")]
    base = alt.Chart(nodes).encode(x=alt.X("x:Q", scale=x_scale, axis=axis),
                                   y=alt.Y("y:Q", scale=y_scale, axis=None))
    layers.append(base.mark_point(filled=True, stroke="#333333", strokeWidth=0.5).encode(
        size=alt.Size("size:Q", title=f"Value ({currency})", scale=alt.Scale(range=[60, 900]),
                      legend=alt.Legend(labelExpr=money_label_expr(currency))),
        color=alt.Color("RAG:N", scale=_rag_scale(), legend=alt.Legend(title="RAG")),
        shape=alt.Shape("RAG:N", scale=_rag_shape_scale()),
        opacity=alt.condition(pick, alt.value(0.95), alt.value(0.35)),
        tooltip=tooltip).add_params(pick))
    layers.append(base.mark_text(align="left", dx=12, fontSize=11, color="#222222").encode(
        text="short:N", tooltip=tooltip))
    marked = nodes[nodes["assumptions"] > 0]
    if not marked.empty:
        layers.append(alt.Chart(marked).mark_text(text="A", dx=-13, dy=-10, fontWeight="bold", color="#0072B2")
                      .encode(x=alt.X("x:Q", scale=x_scale, axis=axis), y=alt.Y("y:Q", scale=y_scale, axis=None),
                              tooltip=tooltip))
    height = min(MAP_MAX_HEIGHT, max(220, MAP_ROW_STEP * (tallest + 1)))
    return alt.layer(*layers).properties(width=CHART_WIDTH + 260, height=height)
# -- forecast accuracy (SPEC §9.4) ----------------------------------------------------------------

# Group lines: Okabe-Ito without the RAG colours first (a line is a group, not a rating), then more hues.
GROUP_COLOURS = ["#0072B2", "#56B4E9", "#CC79A7", "#F0E442", "#555555", "#8C6BB1", "#1B9E9E", "#A6761D",
                 "#7F7F7F", "#B8860B", "#4682B4", "#9E4F8C", "#6B8E23", "#BC8F8F", "#2F4F4F"]
ACCURACY_LEVELS = {"portfolio": "Portfolio", "project": "Project", "benefit_type": "Benefit type",
                   "submitter": "Submitter"}


def forecast_accuracy_chart(accuracy_df: pd.DataFrame, level: str = "portfolio") -> alt.Chart:
    """Return forecast bias by horizon (1, 3, 6, 12 months) per group of `level`, with the scope's own
    line dashed and 0 % (no bias) marked; above 0 the forecasts ran high. Input: measures.forecast_accuracy;
    beyond CHART_TOP groups only those with the most pairs are drawn."""
    if accuracy_df is None or accuracy_df.empty:
        return empty_chart("No forecasts to compare yet: a month needs a realised value and a forecast "
                           "made 1, 3, 6 or 12 stored months before it")
    df = _finite(accuracy_df[accuracy_df["level"].isin([level, "all"])], "bias").copy()
    if df.empty:
        return empty_chart("Nothing realised to compare the forecasts with (Σ realised is 0)")
    groups = df[df["level"] == level]
    top = (groups.groupby("group_key")["pairs"].sum().sort_values(ascending=False).head(CHART_TOP).index)
    df = df[(df["level"] == "all") | df["group_key"].isin(top)].copy()
    df["Group"] = [("All (scope)" if lv == "all" else str(g)) for lv, g in zip(df["level"], df["group_key"],
                                                                                 strict=True)]
    df["Horizon"] = [f"{int(h)} month{'s' if int(h) != 1 else ''} ahead" for h in df["horizon_months"]]
    df["scope"] = df["level"] == "all"
    horizons = [f"{h} month{'s' if h != 1 else ''} ahead" for h in (1, 3, 6, 12)]
    x = alt.X("Horizon:N", title="Forecast made … before the month it forecast", sort=horizons,
              scale=alt.Scale(domain=horizons), axis=alt.Axis(labelAngle=0))
    tooltip = [alt.Tooltip("Group:N", title=ACCURACY_LEVELS.get(level, level)),
               alt.Tooltip("Horizon:N"),
               alt.Tooltip("bias:Q", title="Bias (Σ forecast ÷ Σ realised − 1)", format="+.1%"),
               alt.Tooltip("wape:Q", title="WAPE", format=".1%"),
               alt.Tooltip("pairs:Q", title="Pairs (benefit × month)", format=",d")]
    zero = alt.Chart(pd.DataFrame({"bias": [0.0]})).mark_rule(color="#333333").encode(y="bias:Q")
    lines = (alt.Chart(df[~df["scope"]]).mark_line(point=alt.OverlayMarkDef(size=60), strokeWidth=2)
             .encode(x=x, y=alt.Y("bias:Q", title="Bias (+ = over-forecast)", axis=alt.Axis(format="+.1~%")),
                     color=alt.Color("Group:N", title=ACCURACY_LEVELS.get(level, level),
                                     scale=alt.Scale(range=GROUP_COLOURS),
                                     legend=alt.Legend(orient="right", labelLimit=220)),
                     tooltip=tooltip))
    scope = (alt.Chart(df[df["scope"]]).mark_line(point=alt.OverlayMarkDef(size=60, shape="diamond"),
                                                  strokeWidth=3, strokeDash=[6, 3], color="#000000")
             .encode(x=x, y="bias:Q", tooltip=tooltip))
    return (zero + lines + scope).properties(width=CHART_WIDTH, height=300)


def bridge_chart(steps: pd.DataFrame, currency: str | None = "GBP") -> alt.Chart:
    """Return the erosion bridge as a waterfall (SPEC §9.2): original baseline → approved re-baselines →
    current baseline → forecast change → forecast total. Input: measures.bridge_waterfall (each step's
    start and end are computed there; this only draws them)."""
    if steps is None or steps.empty:
        return empty_chart("No financial flow benefits to bridge in this scope")
    data = steps.copy()
    data["colour"] = [("Total" if kind == "total" else "Increase" if amount >= 0 else "Decrease")
                      for kind, amount in zip(data["kind"], data["amount"], strict=True)]
    order = data.sort_values("step_order")["step"].tolist()
    base = alt.Chart(data).encode(x=alt.X("step:N", sort=order, title=None,
                                          axis=alt.Axis(labelAngle=0, labelLimit=160, labelOverlap=False)))
    bars = base.mark_bar(size=40).encode(
        y=alt.Y("start:Q", axis=_money_axis(f"Value expected ({currency})", currency)), y2="end:Q",
        color=alt.Color("colour:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=["Total", "Increase", "Decrease"], range=WATERFALL_COLOURS)),
        tooltip=[alt.Tooltip("step:N", title="Step"), _money_tip("amount", "Amount", currency),
                 _money_tip("start", "From", currency), _money_tip("end", "To", currency)])
    return (bars + _step_labels(base, "total", currency, 11)).properties(width=CHART_WIDTH, height=320)
