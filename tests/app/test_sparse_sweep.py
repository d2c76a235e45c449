"""Every page and every export renders on each sparse but valid portfolio (SPEC §11, issue 14).

One AppTest per shape visits every page of the router; the exports are built from the same
store. A failing chart (e.g. an empty chart asked for clicks) shows the page's error box, which
`assert_clean` catches.
"""

from __future__ import annotations

import pytest

from pmo_metrics.exports import write_scorecard
from pmo_metrics.store import Store
from tests.app.conftest import assert_clean, open_app
from tests.sparse_stores import SHAPES, build

PAGES = ("views/overview.py", "views/delivery.py", "views/kpis.py", "views/performance.py",
         "views/advantage.py", "views/drilldown.py", "views/scorecards.py")


@pytest.fixture
def sparse(request, tmp_path, monkeypatch) -> Store:
    path = tmp_path / "sparse.duckdb"
    monkeypatch.setenv("PMO_METRICS_DB", str(path))
    return build(request.param, Store(path))


@pytest.mark.parametrize("sparse", list(SHAPES), indirect=True)
def test_every_page_renders_on_a_sparse_portfolio(sparse):
    at = open_app()
    assert_clean(at)
    for page in PAGES:
        at.switch_page(page).run()
        assert_clean(at)
        # Something is said on every page: a chart, a table, a metric or an explanation.
        assert at.get("vega_lite_chart") or at.dataframe or at.metric or at.info or at.caption, page


@pytest.mark.parametrize("sparse", list(SHAPES), indirect=True)
def test_every_export_builds_on_a_sparse_portfolio(sparse):
    month = sparse.reporting_months()[0]
    for fmt in ("xlsx", "pdf", "csv"):
        data = write_scorecard(sparse, month, fmt=fmt)
        assert len(data) > 100, fmt
