"""Property: any valid portfolio renders every page and builds every export (SPEC §11).

Hypothesis draws random mixes of sheets and gaps (tests/sparse_stores.random_portfolio): no
projects or several, with or without financials, earned value, percent complete, objectives,
benefits, values, level benefits, KPIs and benchmarks, one to six months, empty amounts.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

import streamlit as st
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from pmo_metrics.exports import write_scorecard
from pmo_metrics.store import Store
from tests.app.conftest import assert_clean, open_app
from tests.factories_store import upload
from tests.sparse_stores import AS_OF, random_portfolio

PAGES = ("views/delivery.py", "views/kpis.py", "views/performance.py", "views/advantage.py", "views/drilldown.py")
_ids = itertools.count()


@hs.composite
def portfolios(draw):
    return random_portfolio(draw)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(tables=portfolios())
def test_any_valid_portfolio_renders_every_page_and_export(tables):
    folder = Path(tempfile.mkdtemp(prefix="pmo-random-"))
    path = folder / f"random-{next(_ids)}.duckdb"
    store = Store(path)
    upload(store, AS_OF, **tables)
    os.environ["PMO_METRICS_DB"] = str(path)
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = open_app()
        assert_clean(at)
        for page in PAGES:
            at.switch_page(page).run()
            assert_clean(at)
        month = store.reporting_months()[0]
        for fmt in ("xlsx", "pdf", "csv"):
            assert write_scorecard(store, month, fmt=fmt)
    finally:
        os.environ.pop("PMO_METRICS_DB", None)
