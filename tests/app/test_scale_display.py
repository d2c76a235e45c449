"""At 5,000 projects every page's charts stay small and readable, and the board pack stays a board
pack (SPEC §11: ≤ 6,000 rows sent per chart, ≤ 1,500 px tall, ≤ 12 pages)."""

from __future__ import annotations

import io
import json

import pypdf
import pytest

from pmo_metrics.exports import write_scorecard
from pmo_metrics.store import Store
from tests.app.conftest import assert_clean, open_app
from tests.scale_store import build_large

pytestmark = pytest.mark.slow
PAGES = ("views/overview.py", "views/delivery.py", "views/performance.py", "views/advantage.py",
         "views/drilldown.py")


@pytest.fixture(scope="module")
def large_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("large") / "large.duckdb"
    build_large(Store(path))
    return path


def _heights(node, rows: int = 0) -> list[int]:
    """Return the chart heights in px; a height by step counts a step for every row the chart sends."""
    found = []
    if isinstance(node, dict):
        height = node.get("height")
        found += [height] if isinstance(height, int) else [height["step"] * rows] if isinstance(height, dict) else []
        for value in node.values():
            found += _heights(value, rows)
    elif isinstance(node, list):
        for value in node:
            found += _heights(value, rows)
    return found


def _arrow_rows(data: bytes) -> int:
    import pyarrow as pa

    return pa.ipc.open_stream(data).read_all().num_rows if data else 0


def test_every_chart_stays_small_at_five_thousand_projects(large_db, monkeypatch):
    monkeypatch.setenv("PMO_METRICS_DB", str(large_db))
    at = open_app()
    sent = 0
    for page in PAGES:
        at.switch_page(page).run()
        assert_clean(at)
        for chart in at.get("vega_lite_chart"):
            spec = json.loads(chart.proto.spec)
            rows = sum(len(v) for v in spec.get("datasets", {}).values())
            rows += sum(_arrow_rows(d.data.data) for d in chart.proto.datasets)
            assert rows <= 6_000, (page, rows)
            sent += rows
            biggest = max([len(v) for v in spec.get("datasets", {}).values()]
                          + [_arrow_rows(d.data.data) for d in chart.proto.datasets], default=0)
            assert max(_heights(spec, biggest), default=0) <= 1_500, (page, biggest)
    assert sent > 100  # the count sees the data the charts carry


def test_the_board_pack_is_at_most_twelve_pages_at_scale(large_db):
    store = Store(large_db)
    pdf = write_scorecard(store, store.reporting_months()[0], fmt="pdf")
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) <= 12
