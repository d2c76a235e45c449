"""The board pack's second page is the month's story (SPEC §8.3) with the latest commentary (§8.2)."""

import datetime as dt
import io
import shutil

import pypdf
import pytest

from pmo_metrics.exports import build_scorecard, render_scorecard
from pmo_metrics.ingest import load_sample
from pmo_metrics.store import Store
from tests.factories_store import project, upload


@pytest.fixture(autouse=True)
def no_charts(monkeypatch):
    """The charts' PNGs take seconds and say nothing here."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 2), "white").save(buffer, "PNG")
    monkeypatch.setattr("pmo_metrics.exports.pdf.chart_png", lambda chart: buffer.getvalue())


def _page(store, month, number=2) -> str:
    data = render_scorecard(build_scorecard(store, month), "pdf")
    return pypdf.PdfReader(io.BytesIO(data)).pages[number - 1].extract_text()


def test_the_second_page_tells_the_samples_october(tmp_path_factory):
    path = tmp_path_factory.mktemp("story") / "pmo.duckdb"
    load_sample(Store(path))
    store = Store(path)
    text = " ".join(_page(store, dt.date(2026, 10, 1)).split())
    assert text.startswith("The month's story since September 2026")
    assert "1. KPI Priority-1 incidents fell from green to red: attainment 85.7%" in text
    assert "3. Regulatory Reporting Automation fell from green to amber: delivery confidence amber" in text
    assert "Also changed" in text and "Latest commentary" in text
    assert "Go-live moved to January: conveyor commissioning failed its first test. Recovery plan agreed" in text
    shutil.rmtree(path.parent, ignore_errors=True)


def test_one_month_has_no_story_to_tell(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    upload(store, "2026-01", projects=[project(delivery_confidence="amber", status_commentary="Started well")])
    text = " ".join(_page(store, dt.date(2026, 1, 1)).split())
    assert text.startswith("The month's story")
    assert "No earlier reporting month is stored, or nothing changed since it." in text
    assert "Started well" in text
