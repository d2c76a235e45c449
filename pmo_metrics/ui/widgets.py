"""Shared widgets: the sidebar filters, page header, number formats, RAG badges, tables and empty states."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Iterable

import pandas as pd
import streamlit as st

from .. import display, measures
from ..charts import RAG_LABELS, RAG_ORDER
from ..measures import Scope
from ..store import StoreBusy, StoreError
from . import auth, data, state

log = logging.getLogger(__name__)

ALL = None  # a filter left at "All" is None, which is what Scope expects


def month_label(month: dt.date | None) -> str:
    """Return a month as 'Oct 2026' ('—' when empty)."""
    return month.strftime("%b %Y") if month else "—"


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not (isinstance(value, float) and (math.isnan(value)
                                                                                 or math.isinf(value)))


def money(value: object, currency: str | None = "GBP", significant: int | None = None) -> str:
    """Return an amount in the product's one money format (display.money): £950, £12.4k, −£13.2m.

    `significant` is accepted for older callers; every amount has three significant digits.
    """
    return display.money(value, currency)


def text(value: object) -> str:
    """Return user text (a name, an id, an owner) escaped for st.markdown, captions, headers, labels,
    metric labels and help tooltips, so it shows as typed and never as a link, image, colour or formula."""
    return display.escape_markdown(value)


def pct(value: object, digits: int = 1, thresholds: tuple[float, ...] = ()) -> str:
    """Return a fraction as a percentage text ('95.7%'); '—' when empty. With RAG `thresholds` the
    label is cut so that equal labels never carry different colours (display.rag_safe_percent)."""
    if thresholds:
        return display.rag_safe_percent(value, thresholds, digits)
    return f"{value:.{digits}%}".replace("-", display.MINUS) if is_number(value) else "—"


def ratio(value: object) -> str:
    """Return an index such as CPI with two decimals; '—' when empty."""
    return f"{value:.2f}" if is_number(value) else "—"


def rag_badge(rag: object) -> str:
    """Return a markdown badge for a RAG value: theme colour (Okabe-Ito) plus its text label."""
    key = rag if isinstance(rag, str) and rag in RAG_LABELS else "none"
    colour = {"green": "green", "amber": "orange", "red": "red", "none": "gray"}[key]
    return f":{colour}-badge[{RAG_LABELS[key]}]"


# -- filters ----------------------------------------------------------------------------------


def keep_valid(key: str, options: list) -> None:
    """Drop a remembered choice that the new options no longer offer (e.g. a programme of another portfolio)."""
    # Set a valid value rather than deleting the key: the browser then shows the value Python uses.
    if key in st.session_state and st.session_state[key] not in options and options:
        st.session_state[key] = options[0]


# The filters as they appear in the address bar, so a view can be shared as a link:
# ?month=2026-09&portfolio=Digital&programme=…&objective=…
URL_KEYS = {state.MONTH: "month", state.PORTFOLIO: "portfolio", state.PROGRAMME: "programme",
            state.OBJECTIVE: "objective"}


def _filters_from_url(months: list[dt.date]) -> None:
    """Seed the filters from the link a session was opened with (once; the widgets own them after)."""
    if st.session_state.get(state.URL_READ):
        return
    st.session_state[state.URL_READ] = True
    params = st.query_params
    wanted = {key: params.get(name) for key, name in URL_KEYS.items() if params.get(name)}
    month_text = wanted.pop(state.MONTH, None)
    month = next((m for m in months if f"{m:%Y-%m}" == month_text), None)
    if month is not None:
        st.session_state[state.MONTH] = month
    # Names are checked against the options when the widgets are drawn (keep_valid): a link
    # naming a portfolio this database does not have falls back to "All".
    st.session_state.update(wanted)


def _filters_to_url(as_of: dt.date, scope: Scope) -> None:
    chosen = {"month": f"{as_of:%Y-%m}", "portfolio": scope.portfolio, "programme": scope.programme,
              "objective": scope.objective}
    current = {name: value for name, value in chosen.items() if value is not None}
    # The drill-down's own parameters stay (views/drilldown.py owns them).
    current.update({k: v for k, v in st.query_params.to_dict().items() if k in state.DRILL_URL.values()})
    if st.query_params.to_dict() != current:
        st.query_params.from_dict(current)


def sidebar_filters() -> data.Context:
    """Render the shared filters in the sidebar and return the page context they define."""
    store = data.get_store()
    path = str(store.path.resolve())
    version = st.session_state.get(state.READ_VERSION) or store.data_version()
    months = data.reporting_months(path, version)
    currency = data.currency(path, version)
    sidebar = st.sidebar
    if not months:
        sidebar.info("No data yet. Open **Upload** to load a workbook or the sample portfolio.")
        return data.Context(path, version, None, Scope(), currency)
    if state.MONTH not in st.session_state:
        # Open on the latest complete month (SPEC §7.2), not merely the latest with data; a link
        # naming a month, a load and the user's own choice all override it.
        st.session_state[state.MONTH] = data.default_month(path, version) or months[0]
    _filters_from_url(months)
    pending = st.session_state.pop(state.PENDING_MONTH, None)
    if pending in months:
        st.session_state[state.MONTH] = pending
    keep_valid(state.MONTH, months)
    # The key keeps the choice across pages.
    as_of = sidebar.selectbox("Reporting month", months, key=state.MONTH, format_func=month_label,
                              help="Every figure is shown as it stood at the end of this month.")
    dims = data.dimensions(path, version, as_of)
    portfolios = [ALL, *sorted(dims["portfolio"].dropna().unique())]
    keep_valid(state.PORTFOLIO, portfolios)
    portfolio = sidebar.selectbox("Portfolio", portfolios, key=state.PORTFOLIO,
                                  format_func=lambda v: "All portfolios" if v is None else v)
    scoped = dims if portfolio is None else dims[dims["portfolio"] == portfolio]
    programmes = [ALL, *sorted(scoped["programme"].dropna().unique())]
    keep_valid(state.PROGRAMME, programmes)
    programme = sidebar.selectbox("Programme", programmes, key=state.PROGRAMME,
                                  format_func=lambda v: "All programmes" if v is None else v)
    if programme is not None:
        scoped = scoped[scoped["programme"] == programme]
    objectives = [ALL, *sorted(scoped["strategic_objective"].dropna().unique())]
    keep_valid(state.OBJECTIVE, objectives)
    objective = sidebar.selectbox("Strategic objective", objectives, key=state.OBJECTIVE,
                                  format_func=lambda v: "All objectives" if v is None else v)
    scope = Scope(portfolio, programme, objective)
    _filters_to_url(as_of, scope)
    sidebar.caption(f"As of **{month_label(as_of)}** · {scope_label(scope)}")
    return data.Context(path, version, as_of, scope, currency)


def scope_label(scope: Scope) -> str:
    """Return the scope in the words the exports use (display.scope_words), its names escaped for Markdown."""
    return display.scope_words(scope.portfolio, scope.programme, scope.objective, mark=text)


def page_header(title: str, ctx: data.Context, blurb: str = "") -> None:
    """Render the page title with the visible 'as of' label and scope."""
    st.title(title)
    st.caption(f"As of **{month_label(ctx.as_of)}** · {scope_label(ctx.scope)}"
               + (f" — {blurb}" if blurb else ""))


def reporting_notice(ctx: data.Context) -> None:
    """Say how many projects have reported when the month in view is not complete (SPEC §7.2):
    drawn once by the router above every page, so no page can leave it out."""
    if ctx.as_of is None:
        return
    status = data.reporting_status(ctx.path, ctx.version, ctx.as_of, ctx.scope_args)
    if status.complete:
        return
    st.warning(f"{status.reported} of {status.projects} projects reported for {month_label(ctx.as_of)}. "
               "Projects that have not reported are shown with their latest earlier figures.",
               icon=":material/hourglass_top:")


def no_data(ctx: data.Context) -> bool:
    """Show what to do when there is nothing to show; return True when the page should stop."""
    if ctx.as_of is not None:
        return False
    user = auth.current_user()
    if user is None or not user.can("upload"):  # the Upload page is not in a viewer's navigation
        st.info("There is no data yet. Ask your PMO to load this month's returns.")
        return True
    st.info("There is no data yet. Go to **Upload** to load the sample portfolio or your own workbook, "
            "or run `pmo-metrics demo` from the command line.")
    st.page_link("views/upload.py", label="Open the upload page", icon=":material/upload:")
    return True


def empty_scope(frame: pd.DataFrame, what: str) -> bool:
    """Say so when a table is empty for this month and scope; return True when it is."""
    if frame is None or frame.empty:
        st.info(f"No {what} for this month and scope. Widen the filters in the sidebar, pick another "
                "month, or upload data on the **Upload** page.")
        return True
    return False


# -- tables -----------------------------------------------------------------------------------


COUNTS = {"benefits", "benefits_owned", "projects", "projects_without_ev", "kpis", "months_with_actual",
          "planned_months_after_end", "pairs"}


# Level 3 amounts: money when every row is a financial benefit (or an objective, which sums only
# those), so shown to the whole unit (no pence above £1k, SPEC §11); a reading in another unit keeps decimals.
MONEY_AMOUNTS = {"planned_to_date", "realised_to_date", "planned_total", "forecast_total", "benefit_variance",
                 "risk_adjusted_forecast", "validated_to_date", "claimed_to_date"}


def _column_config(columns: Iterable[str], currency: str, money_amounts: bool = False) -> dict:
    config = {}
    for name in columns:
        measure = measures.MEASURES.get(name)
        if measure is None:
            continue
        label, helptext = measure.label, f"{measure.description} ({measure.spec})"
        if measure.unit == "currency":
            config[name] = st.column_config.NumberColumn(f"{label} ({currency})", help=helptext, format="%,.0f")
        elif measure.unit == "ratio":
            percent = name not in ("cpi", "spi", "tcpi", "bcr", "relative_index")
            config[name] = st.column_config.NumberColumn(label, help=helptext,
                                                         format="percent" if percent else "%.2f")
        elif measure.unit == "number" and money_amounts and name in MONEY_AMOUNTS:
            config[name] = st.column_config.NumberColumn(f"{label} ({currency})", help=helptext, format="%,.0f")
        elif measure.unit == "number" and name in COUNTS:
            config[name] = st.column_config.NumberColumn(label, help=helptext, format="%d")
        elif measure.unit == "number":
            config[name] = st.column_config.NumberColumn(label, help=helptext, format="%,.2f")
        elif measure.unit == "months":
            config[name] = st.column_config.NumberColumn(label, help=helptext, format="%d")
        elif measure.unit == "rag":
            config[name] = rag_column(label, helptext)
        else:
            # The key columns stay in view when a wide table scrolls (SPEC §11: no clipped keys at 1,280 px).
            config[name] = st.column_config.TextColumn(label, help=helptext, pinned=name in KEY_COLUMNS)
    return config


KEY_COLUMNS = {"project_id", "project_name", "benefit_id", "benefit_name", "kpi_id", "kpi_name", "metric",
               "strategic_objective"}
# Codes shown as words (SPEC §11): the stored values stay codes in exports and the CLI.
WORDS = {
    "category": {"financial": "Financial", "non_financial": "Non-financial"},
    "direction": {"higher_is_better": "Higher is better", "lower_is_better": "Lower is better"},
    "measure": {"flow": "Flow (summed over months)", "level": "Level (a reading)"},
    "aggregation": {"sum": "Sum", "last": "Last", "mean": "Mean"},
    "grain": {"month": "Month", "quarter": "Quarter to date", "year": "Year to date"},
    "stage": {"initiation": "Initiation", "planning": "Planning", "execution": "Execution", "closing": "Closing",
              "closed": "Closed"},
}


def words(column: str, value: object) -> object:
    """Return a stored code as the words users read ('non_financial' → 'Non-financial', 'spend:X' → 'Spend · X')."""
    if column == "kpi_id" and isinstance(value, str) and value.startswith("spend:"):
        return f"Spend · {value[len('spend:'):]}"
    return WORDS.get(column, {}).get(value, value) if isinstance(value, str) else value


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for name in set(WORDS) | {"kpi_id"}:
        if name in out.columns:
            out[name] = out[name].map(lambda v, n=name: words(n, v))
    for name in out.columns:
        if out[name].dtype == object:
            sample = out[name].dropna().head(20).tolist()
            if sample and all(isinstance(v, dt.date) for v in sample):
                months = all(getattr(v, "day", 1) == 1 for v in sample)
                out[name] = out[name].map(lambda v, m=months: None if not isinstance(v, dt.date)
                                          else v.strftime("%Y-%m") if m else v.isoformat())
    for name in ("rag", "kpi_rag"):
        if name in out.columns:
            out[name] = out[name].map(lambda v: RAG_LABELS.get(v if isinstance(v, str) else "none"))
    return out


# Above this many rows a measures table sends the browser the rows in view and fetches the rest as the
# user scrolls or sorts (sorting runs on the server); the grid's own search and CSV download are then
# off, and the page's Download CSV button gives the whole table (docs/performance.md).
LAZY_TABLE_ROWS = 2_000


def measures_table(frame: pd.DataFrame, columns: list[str], ctx: data.Context, *, key: str | None = None,
                   height: int | str = "auto", on_select: str = "ignore", selection_mode: str = "single-row"):
    """Render a measures table with labelled, formatted columns (RAG as coloured words, months as YYYY-MM)."""
    present = [c for c in columns if c in frame.columns]
    shown = display_frame(frame[present])
    kwargs = {"key": key, "on_select": on_select}
    if on_select != "ignore":
        kwargs["selection_mode"] = selection_mode
    financial = "category" not in frame.columns or bool((frame["category"] == "financial").all())
    config = _column_config(present, ctx.currency, financial)
    if on_select == "ignore" and len(shown) > LAZY_TABLE_ROWS:
        kwargs["lazy"] = True
    return st.dataframe(shown, hide_index=True, column_config=_rag_columns(shown, config), height=height,
                        placeholder="—", **kwargs)


def withheld_note(frame: pd.DataFrame) -> None:
    """Say, under a measures table, how many of its inputs were withheld in the returns (SPEC §7.3)."""
    if "withheld" not in frame.columns or frame.empty:
        return
    count = int(pd.to_numeric(frame["withheld"], errors="coerce").fillna(0).sum())
    rows = int((pd.to_numeric(frame["withheld"], errors="coerce").fillna(0) > 0).sum())
    if count:
        st.caption(f"≥ · {count:,} value{'s' if count != 1 else ''} withheld in the returns, on {rows:,} "
                   f"row{'s' if rows != 1 else ''} (the Withheld inputs column): never counted as 0, so a sum "
                   "they feed is at least the figure shown, and a figure that needs one is empty.")


# Light fills behind dark text: the RAG colours themselves (charts.RAG_COLOURS) are too dark to read on.
RAG_CELL_COLOURS = {"green": "#CCEBE1", "amber": "#FBE7B8", "red": "#F6D2BF", "none": "#E8E8E8"}
RAG_COLUMNS = ("rag", "kpi_rag", "delivery_rag", "benefits_rag")


def rag_column(label: str, helptext: str | None = None):
    """Return a table column that shows each RAG word on its RAG-coloured label (the words stay, so colour is
    not the only cue).

    A read-only multiselect column colours its one label per cell in the browser; a pandas Styler
    would colour the cell but costs the server a style and a display value for every cell of the
    table (about 2 s for the 5,000-project scorecard), on every run.
    """
    return st.column_config.MultiselectColumn(label, help=helptext, options=[RAG_LABELS[k] for k in RAG_ORDER],
                                              color=[RAG_CELL_COLOURS[k] for k in RAG_ORDER])


def _rag_columns(shown: pd.DataFrame, column_config: dict) -> dict:
    """Return `column_config` with every RAG column of `shown` as a coloured-label column, keeping its label."""
    config = dict(column_config)
    for name in RAG_COLUMNS:
        if name not in shown.columns:
            continue
        given = config.get(name)
        if isinstance(given, dict) and given.get("type_config", {}).get("type") == "multiselect":
            continue
        label = given if isinstance(given, str) else (given or {}).get("label") or "RAG"
        config[name] = rag_column(label, None if isinstance(given, str) else (given or {}).get("help"))
    return config


def rag_table(frame: pd.DataFrame, column_config: dict, key: str | None = None):
    """Render a small table whose RAG column shows words on a RAG-coloured label."""
    shown = display_frame(frame)
    return st.dataframe(shown, hide_index=True, placeholder="—", column_config=_rag_columns(shown, column_config),
                        key=key)


def csv_download(frame: pd.DataFrame, file_name: str, label: str = "Download CSV", key: str | None = None) -> None:
    """Render a download button for a table as formula-safe CSV."""
    import pyarrow as pa

    from ..serialise import to_csv

    # Made when the button is clicked, not on every run: for 5,000 projects the file takes longer
    # to write than the rest of the page takes to run.
    st.download_button(label, data=lambda: to_csv(pa.Table.from_pandas(frame, preserve_index=False)),
                       file_name=file_name, mime="text/csv", key=key, icon=":material/download:")


# -- charts -----------------------------------------------------------------------------------


def chart(builder: Callable, *args, key: str, on_select: str | None = None, caption: str | None = None,
          **kwargs):
    """Render `builder(*args, **kwargs)` (a `pmo_metrics.charts` builder) full width; ask for clicks only when
    the chart defines a selection (an empty chart has none, and Streamlit refuses on_select then).
    Return the selection event, or None.

    The chart's spec is kept between runs and sessions for the same inputs: building an Altair chart and
    validating its spec took 40–150 ms a chart, the larger part of a page's run at scale."""
    spec, selectable = _chart_spec(f"{builder.__module__}.{builder.__qualname__}", builder, args, kwargs)
    if on_select and selectable:
        event = st.vega_lite_chart(spec=spec, width="stretch", on_select=on_select, key=key)
    else:
        st.vega_lite_chart(spec=spec, width="stretch", key=key)
        event = None
    if caption:
        st.caption(caption)
    return event


@st.cache_data(show_spinner=False, max_entries=256)
def _chart_spec(name: str, _builder: Callable, args: tuple, kwargs: dict) -> tuple[dict, bool]:
    """Return the chart's browser spec and whether it defines a selection; `name` keys the builder."""
    from ..charts import browser_spec, selection_names

    figure = _builder(*args, **kwargs)
    return browser_spec(figure), bool(selection_names(figure))


# -- errors -----------------------------------------------------------------------------------


def guarded(body: Callable[[], None]) -> None:
    """Run a page body; show a store problem or an unexpected error as a message, never a traceback."""
    try:
        body()
    except (StoreBusy, StoreError) as problem:
        st.error(str(problem), icon=":material/error:")
    except Exception:  # noqa: BLE001 - the user gets a message; the log keeps the traceback
        log.exception("page failed")
        st.error("Something went wrong while building this page. The details are in the server log; "
                 "try another month or scope, or reload the page.", icon=":material/error:")


def context() -> data.Context:
    """Return the context the router's filters set for this run (an empty one if they failed)."""
    ctx = st.session_state.get(state.CONTEXT)
    if ctx is None:
        store = data.get_store()
        ctx = data.Context(str(store.path.resolve()), store.data_version(), None)
    return ctx


def selected(event, param: str, field: str) -> list:
    """Return the values of `field` picked in an Altair selection `param` of an on_select event."""
    try:
        points = event.selection.get(param) or []
    except AttributeError:
        return []
    if isinstance(points, dict):  # interval selections come back as {field: [low, high]}
        return list(points.get(field) or [])
    return [p[field] for p in points if isinstance(p, dict) and field in p]


def app_icon():
    """Return the app's favicon, drawn here: a named Material icon would be fetched from a web font
    service by the browser, and the app must need nothing from the internet (SPEC §11)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 63, 63), radius=12, fill=(0, 114, 178, 255))
    for i, height in enumerate((18, 30, 42)):  # three rising bars: value growing
        draw.rectangle((12 + i * 15, 52 - height, 22 + i * 15, 52), fill=(255, 255, 255, 255))
    return image


def validated_note(ctx: data.Context, scope: Scope | None = None) -> None:
    """Say how much of the realised value claimed to date is validated, and which values the measures count
    (SPEC §9.3); computed by measures.validated_share."""
    share = data.validated_share(ctx, scope)
    if not share.get("claimed_to_date"):
        st.caption(f"Validated realisation: nothing realised is claimed to date in {ctx.currency}.")
        return
    counts = ("validated values only (setting realised_counts = validated): claims not yet validated count "
              "nowhere" if share.get("counts_validated") else "every claimed value (setting realised_counts = "
              "claimed)")
    st.caption(f"Validated realisation: {money(share['validated_to_date'], ctx.currency)} of "
               f"{money(share['claimed_to_date'], ctx.currency)} claimed to date ({pct(share['validated_share'])}); "
               f"{share['benefits_validated']} of {share['benefits_claimed']} financial benefits with a claim have "
               f"validated periods. The measures count {counts}.")
