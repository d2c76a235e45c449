"""Cached reads for the pages: the Store as a resource, every query as cached data.

Every cached function takes the database path and `Store.data_version()` as its first arguments,
so a load or void (or a command-line load in another process) changes the key and the next run
reads fresh numbers; the pages never pass SQL text, only bound values.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from .. import actions, measures
from ..measures import Scope
from ..store import Store, resolve_db_path
from .auth import current_user
from .state import NO_SAMPLE_ENV

_sample_lock = threading.Lock()


@st.cache_resource(show_spinner=False)
def _store_at(path: str) -> Store:
    return Store(path)


def get_store() -> Store:
    """Return the Store of the configured database ($PMO_METRICS_DB, else data/pmo.duckdb)."""
    return _store_at(str(resolve_db_path().resolve()))


# Per database, the data version the pages last read while this process could open the file. While
# another program holds it (a command-line load and the month rows made after it), the pages are
# drawn from what is cached under this version, as they stood before the load, instead of every
# view waiting for it to end (docs/performance.md, "Reading while a month loads").
_VERSION_READ: dict[str, tuple] = {}


def note_version_read(store: Store) -> tuple:
    """Record and return the store's data version as read now, the file being open to this process."""
    version = store.data_version()
    _VERSION_READ[str(store.path.resolve())] = version
    return version


def version_read_before(store: Store) -> tuple | None:
    """Return the data version last read from this store by this process (None: never read)."""
    return _VERSION_READ.get(str(store.path.resolve()))


@dataclass(frozen=True)
class Context:
    """What every page query depends on: database, its version, reporting month and scope."""

    path: str
    version: tuple
    as_of: dt.date | None
    scope: Scope = field(default_factory=Scope)
    currency: str = "GBP"

    @property
    def scope_args(self) -> tuple:
        """Return the scope as plain values for cache keys."""
        return self.scope.portfolio, self.scope.programme, self.scope.objective


def ensure_sample(store: Store) -> bool:
    """Load the bundled sample into a database that has never seen an upload; return True when it did.

    Only a brand-new database qualifies (no audit rows at all), so a user who voided everything
    never gets the sample back; and only for a user who may upload, so a viewer's first visit
    writes nothing. The sample is one batch: all of it, or (stopped part way) none. Set
    $PMO_METRICS_NO_SAMPLE=1 to switch this off (tests do).
    """
    if os.environ.get(NO_SAMPLE_ENV, "").strip() not in ("", "0"):
        return False
    user = current_user()
    if user is None or not user.can("upload"):
        return False
    if store.uploads().num_rows:
        return False
    with _sample_lock:  # two first sessions at once must not both load it
        if store.uploads().num_rows:
            return False
        with st.spinner("First start: loading the bundled sample portfolio…"):
            bar = st.progress(0.0, text="Loading the sample portfolio")
            actions.load_sample(store, user, progress=lambda f, t: bar.progress(min(1.0, max(0.0, f)), text=t))
            bar.empty()
    clear_caches()
    return True


def clear_caches() -> None:
    """Forget every cached query (after a load or void, so every page shows the new data)."""
    st.cache_data.clear()


# -- cached queries ---------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def reporting_months(path: str, version: tuple) -> list[dt.date]:
    """Return the stored reporting months, newest first."""
    return _store_at(path).reporting_months()


@st.cache_data(show_spinner=False, max_entries=64)
def default_month(path: str, version: tuple) -> dt.date | None:
    """Return the month the dashboard opens on: the latest complete one (SPEC §7.2)."""
    return measures.default_month(_store_at(path))


@st.cache_data(show_spinner=False, max_entries=128)
def reporting_status(path: str, version: tuple, as_of: dt.date, scope: tuple) -> measures.ReportingStatus:
    """Return how many projects in scope reported for `as_of` and whether it is complete (SPEC §7.2)."""
    return measures.reporting_status(_store_at(path), as_of, Scope(*scope))


@st.cache_data(show_spinner=False, max_entries=64)
def currency(path: str, version: tuple) -> str:
    """Return the reporting currency setting."""
    return _store_at(path).settings().currency


@st.cache_data(show_spinner=False, max_entries=64)
def dimensions(path: str, version: tuple, as_of: dt.date) -> pd.DataFrame:
    """Return portfolio, programme, project, objective combinations effective at `as_of` (for filters)."""
    return _store_at(path).query_df(
        """SELECT DISTINCT p.portfolio, p.programme, p.project_id, p.project_name,
                  coalesce(b.strategic_objective, p.strategic_objective) AS strategic_objective
           FROM effective_projects($m) AS p
           LEFT JOIN effective_benefits($m) AS b USING (project_id)
           ORDER BY 1, 2, 3""",
        {"m": as_of},
    )


@st.cache_data(show_spinner=False, max_entries=256)
def _table(path: str, version: tuple, name: str, as_of: dt.date, scope: tuple) -> pd.DataFrame:
    return measures.measure_table(_store_at(path), name, as_of, Scope(*scope)).to_pandas()


def table(ctx: Context, name: str, as_of: dt.date | None = None) -> pd.DataFrame:
    """Return one measures table (SPEC §5) for the context's month (or `as_of`) and scope."""
    return _table(ctx.path, ctx.version, name, as_of or ctx.as_of, ctx.scope_args)


# The measures tables each page shows (read together by `tables`); bench/run_bench.py times the
# same reads, so a page and its benchmark line cannot drift apart.
PAGE_TABLES = {
    "performance": ("returns", "benefits", "objectives"),
    "advantage": ("sustained", "benchmarks"),
    "scorecards": ("delivery", "benefits", "kpi"),
    "drilldown": ("delivery", "benefits"),
}
SOURCE_KINDS = ("projects", "financials", "benefits", "benefit_values")  # what the drill-down's figures read


@st.cache_data(show_spinner=False, max_entries=128)
def _tables(path: str, version: tuple, names: tuple[str, ...], as_of: dt.date, scope: tuple) -> dict[str, pd.DataFrame]:
    found = measures.measure_tables(_store_at(path), names, as_of, Scope(*scope))
    return {name: found[name].to_pandas() for name in names}


def tables(ctx: Context, page: str) -> dict[str, pd.DataFrame]:
    """Return the measures tables `page` shows (PAGE_TABLES), read side by side: its first view
    waits for the longest of them rather than for their sum."""
    return _tables(ctx.path, ctx.version, PAGE_TABLES[page], ctx.as_of, ctx.scope_args)


@st.cache_data(show_spinner=False, max_entries=64)
def _rollup(path: str, version: tuple, as_of: dt.date, scope: tuple, level: str) -> pd.DataFrame:
    return measures.delivery_rollup(_store_at(path), as_of, level, Scope(*scope)).to_pandas()


def rollup(ctx: Context, level: str) -> pd.DataFrame:
    """Return delivery rolled up per programme or portfolio."""
    return _rollup(ctx.path, ctx.version, ctx.as_of, ctx.scope_args, level)


@st.cache_data(show_spinner=False, max_entries=64)
def _overview(path: str, version: tuple, as_of: dt.date, previous: dt.date | None, scope: tuple) -> dict:
    figures = measures.overview(_store_at(path), as_of, previous, Scope(*scope))
    # Only what the page shows: a cached value is unpickled on every run, and the delivery and
    # benefits tables behind the tiles are ~10 MB at 5,000 projects (per cache entry).
    return {"tiles": figures.tiles, "previous": figures.previous, "timeline": figures.timeline.to_pandas()}


def overview(ctx: Context, previous: dt.date | None) -> dict:
    """Return the overview's tiles, the previous month's totals and its value timeline."""
    return _overview(ctx.path, ctx.version, ctx.as_of, previous, ctx.scope_args)


@st.cache_data(show_spinner=False, max_entries=64)
def _history(path: str, version: tuple, scope: tuple, benefit_id: str | None, project_id: str | None,
             portfolio: str | None) -> pd.DataFrame:
    return measures.forecast_history(_store_at(path), benefit_id=benefit_id, project_id=project_id,
                                     portfolio=portfolio, scope=Scope(*scope)).to_pandas()


def history(ctx: Context, benefit_id: str | None = None, project_id: str | None = None) -> pd.DataFrame:
    """Return forecast totals per stored reporting month, up to the context's month."""
    frame = _history(ctx.path, ctx.version, ctx.scope_args, benefit_id, project_id, None)
    if frame.empty or ctx.as_of is None:
        return frame
    # Time travel: a board looking at September should not see October's forecast.
    return frame[frame["as_of"] <= ctx.as_of].reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=64)
def financials(path: str, version: tuple, as_of: dt.date, project_id: str) -> pd.DataFrame:
    """Return one project's effective monthly financials at `as_of`."""
    return _store_at(path).query_df(
        """SELECT period, planned_cost, actual_cost, forecast_cost, earned_value, percent_complete,
                  quality_score, upload_id
           FROM effective_financials($m) WHERE project_id = $p ORDER BY period""",
        {"m": as_of, "p": project_id},
    )


@st.cache_data(show_spinner=False, max_entries=64)
def benefit_values(path: str, version: tuple, as_of: dt.date, benefit_id: str) -> pd.DataFrame:
    """Return one benefit's effective monthly planned / forecast / realised values at `as_of`."""
    return _store_at(path).query_df(
        """SELECT period, planned_value, forecast_value, realised_value, upload_id
           FROM effective_benefit_values($m) WHERE benefit_id = $b ORDER BY period""",
        {"m": as_of, "b": benefit_id},
    )


@st.cache_data(show_spinner=False, max_entries=32)
def uploads(path: str, version: tuple) -> pd.DataFrame:
    """Return the audit log, newest first."""
    return _store_at(path).uploads().to_pandas()


@st.cache_data(show_spinner=False, max_entries=32)
def closures(path: str, version: tuple) -> pd.DataFrame:
    """Return the closed months, who closed them and when (SPEC §7.2)."""
    return _store_at(path).closures().to_pandas()


@st.cache_data(show_spinner=False, max_entries=64)
def supplying_uploads(path: str, version: tuple, as_of: dt.date, kinds: tuple[str, ...],
                      keys: tuple[str, ...]) -> pd.DataFrame:
    """Return the uploads whose rows are effective at `as_of` for these entities (the data's provenance)."""
    if not keys:
        return pd.DataFrame(columns=["upload_id", "file_name", "as_of", "user_name", "created_at", "sheet",
                                     "entities"])
    frames = []
    store = _store_at(path)
    for kind in kinds:
        frames.append(store.query_df(
            """SELECT u.upload_id, u.file_name, strftime(u.as_of, '%Y-%m') AS as_of, u.user_name,
                      u.created_at, $kind AS sheet, count(*) AS entities
               FROM effective_uploads($kind, $m) AS e JOIN uploads AS u USING (upload_id)
               WHERE list_contains($keys, e.entity_key)
               GROUP BY ALL""",
            {"kind": kind, "m": as_of, "keys": list(keys)},
        ))
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(["upload_id", "sheet"], ascending=[False, True]).reset_index(drop=True)


# -- what charts show beside the tables (measures layer, SPEC §11) ------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def settings(path: str, version: tuple):
    """Return the stored settings (thresholds for labels, currency)."""
    return _store_at(path).settings()


@st.cache_data(show_spinner=False, max_entries=128)
def _realisation(path: str, version: tuple, as_of: dt.date, scope: tuple, by: str, top: int | None) -> pd.DataFrame:
    return measures.realisation(_store_at(path), as_of, by, Scope(*scope), top=top).to_pandas()


def realisation(ctx: Context, by: str, top: int | None = measures.CHART_TOP,
                scope: Scope | None = None) -> pd.DataFrame:
    """Return planned and realised value to date, rate and RAG per group (the largest `top` and "Others")."""
    args = (scope.portfolio, scope.programme, scope.objective) if scope else ctx.scope_args
    return _realisation(ctx.path, ctx.version, ctx.as_of, args, by, top)


@st.cache_data(show_spinner=False, max_entries=64)
def s_curve(path: str, version: tuple, as_of: dt.date, project_id: str) -> pd.DataFrame:
    """Return one project's cumulative PV, EV, AC and forecast cost per month."""
    return measures.s_curve(_store_at(path), as_of, project_id).to_pandas()


@st.cache_data(show_spinner=False, max_entries=64)
def benefit_timeline(path: str, version: tuple, as_of: dt.date, benefit_id: str) -> pd.DataFrame:
    """Return one benefit's planned, realised and forecast value per month (cumulative for a flow)."""
    return measures.benefit_timeline(_store_at(path), as_of, benefit_id).to_pandas()


@st.cache_data(show_spinner=False, max_entries=64)
def _value_at_risk(path: str, version: tuple, as_of: dt.date, scope: tuple, level: str) -> pd.DataFrame:
    return measures.value_at_risk(_store_at(path), as_of, level, Scope(*scope)).to_pandas()


def value_at_risk(ctx: Context, level: str) -> pd.DataFrame:
    """Return the five benefits or projects with the most value at risk."""
    return _value_at_risk(ctx.path, ctx.version, ctx.as_of, ctx.scope_args, level)


@st.cache_data(show_spinner=False, max_entries=64)
def _density(path: str, version: tuple, as_of: dt.date, scope: tuple) -> pd.DataFrame:
    delivery = measures.measure_table(_store_at(path), "delivery", as_of, Scope(*scope))
    return measures.delivery_density(_store_at(path), delivery).to_pandas()


def delivery_density(ctx: Context, scope: Scope | None = None) -> pd.DataFrame:
    """Return the projects per CPI × SPI cell (the quadrant at scale)."""
    args = (scope.portfolio, scope.programme, scope.objective) if scope else ctx.scope_args
    return _density(ctx.path, ctx.version, ctx.as_of, args)


@st.cache_data(show_spinner=False, max_entries=64)
def _rollup_top(path: str, version: tuple, as_of: dt.date, scope: tuple, level: str) -> pd.DataFrame:
    store = _store_at(path)
    rollup = measures.delivery_rollup(store, as_of, level, Scope(*scope))
    return measures.rollup_top(store, rollup, level).to_pandas()


def rollup_top(ctx: Context, level: str) -> pd.DataFrame:
    """Return the delivery roll-up's largest groups by BAC and "Others"."""
    return _rollup_top(ctx.path, ctx.version, ctx.as_of, ctx.scope_args, level)


@st.cache_data(show_spinner=False, max_entries=64)
def _sustained_top(path: str, version: tuple, as_of: dt.date, scope: tuple) -> pd.DataFrame:
    store = _store_at(path)
    return measures.sustained_top(store, measures.measure_table(store, "sustained", as_of, Scope(*scope))).to_pandas()


def sustained_top(ctx: Context) -> pd.DataFrame:
    """Return the benefits with the most value realised after closure, and "Others"."""
    return _sustained_top(ctx.path, ctx.version, ctx.as_of, ctx.scope_args)
# -- the month's story (SPEC §8) ---------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def _changes(path: str, version: tuple, as_of: dt.date, compare_to: dt.date | None, scope: tuple) -> pd.DataFrame:
    return measures.changes(_store_at(path), as_of, compare_to, Scope(*scope)).to_pandas()


def changes(ctx: Context, compare_to: dt.date | None = None) -> pd.DataFrame:
    """Return the `changes` table from `compare_to` (default the previous stored month) to the context's month."""
    return _changes(ctx.path, ctx.version, ctx.as_of, compare_to, ctx.scope_args)


@st.cache_data(show_spinner=False, max_entries=64)
def commentary(path: str, version: tuple, as_of: dt.date, project_ids: tuple[str, ...] = (),
               benefit_ids: tuple[str, ...] = (), kpi_ids: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return the commentary history of these projects, benefits and KPIs to `as_of`, newest first."""
    return measures.commentary_history(_store_at(path), as_of, project_ids, benefit_ids, kpi_ids).to_pandas()


@st.cache_data(show_spinner=False, max_entries=64)
def _delivery_trend(path: str, version: tuple, as_of: dt.date, scope: tuple) -> pd.DataFrame:
    return measures.delivery_trend(_store_at(path), as_of, Scope(*scope)).to_pandas()


def delivery_trend(ctx: Context) -> pd.DataFrame:
    """Return the delivery rating of the largest projects per stored month (the rating trend)."""
    return _delivery_trend(ctx.path, ctx.version, ctx.as_of, ctx.scope_args)


# -- the benefit map and the RAID log (SPEC §10) --------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def _benefit_map(path: str, version: tuple, as_of: dt.date, scope: tuple) -> pd.DataFrame:
    return measures.benefit_map(_store_at(path), as_of, Scope(*scope)).to_pandas()


def benefit_map(ctx: Context) -> pd.DataFrame:
    """Return the benefit map's nodes and links, laid out (measures.benefit_map)."""
    return _benefit_map(ctx.path, ctx.version, ctx.as_of, ctx.scope_args)


@st.cache_data(show_spinner=False, max_entries=64)
def raid_items(path: str, version: tuple, as_of: dt.date, project_id: str,
               benefit_id: str | None = None) -> pd.DataFrame:
    """Return one project's (or one benefit's) RAID items with their overdue flags (measures.raid_items)."""
    return measures.raid_items(_store_at(path), as_of, project_id, benefit_id).to_pandas()
@st.cache_data(show_spinner=False, max_entries=64)
def _validated_share(path: str, version: tuple, as_of: dt.date, scope: tuple) -> dict:
    return measures.validated_share(_store_at(path), as_of, Scope(*scope))


def validated_share(ctx: Context, scope: Scope | None = None) -> dict:
    """Return the validated share of claimed realised value for the context's month and scope (SPEC §9.3)."""
    args = (scope.portfolio, scope.programme, scope.objective) if scope else ctx.scope_args
    return _validated_share(ctx.path, ctx.version, ctx.as_of, args)


@st.cache_data(show_spinner=False, max_entries=32)
def validations(path: str, version: tuple, benefit_ids: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Return the validation log (SPEC §9.3), newest first, of the given benefits (all when None)."""
    frame = _store_at(path).validations().to_pandas()
    return frame if benefit_ids is None else frame[frame["benefit_id"].isin(benefit_ids)]


@st.cache_data(show_spinner=False, max_entries=64)
def _bridge(path: str, version: tuple, as_of: dt.date, scope: tuple) -> dict[str, pd.DataFrame]:
    store = _store_at(path)
    rows = measures.bridge(store, as_of, None, Scope(*scope))
    return {"rows": rows.to_pandas(), "waterfall": measures.bridge_waterfall(store, rows).to_pandas(),
            "projects": measures.bridge_rollup(store, as_of, "project", scope=Scope(*scope), rows=rows).to_pandas()}


def bridge(ctx: Context) -> dict[str, pd.DataFrame]:
    """Return the erosion bridge of the context's month and scope from the first stored month (SPEC §9.2):
    its rows per benefit, the waterfall steps and the per-project roll-up."""
    return _bridge(ctx.path, ctx.version, ctx.as_of, ctx.scope_args)


@st.cache_data(show_spinner=False, max_entries=16)
def rebaselines(path: str, version: tuple, include_decided: bool = False) -> pd.DataFrame:
    """Return the re-baselines of loaded uploads: pending ones, or all with their decisions (SPEC §9.1)."""
    return _store_at(path).rebaselines(include_decided).to_pandas()
