"""App-test fixtures: a sample database built once per session and copied per test, fresh caches, AppTest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pmo_metrics import ingest as ingest_module
from pmo_metrics.ingest import load_sample
from pmo_metrics.store import Store

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 60


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """Return a database file with the bundled sample loaded (built once per test session)."""
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    load_sample(Store(path))
    return path


@pytest.fixture(autouse=True)
def _isolated(monkeypatch):
    """Never load the sample automatically, and start with empty caches."""
    monkeypatch.setenv("PMO_METRICS_NO_SAMPLE", "1")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def sample_store(sample_db, tmp_path, monkeypatch) -> Store:
    """Return a private copy of the sample database (and point $PMO_METRICS_DB at it)."""
    path = tmp_path / "pmo.duckdb"
    shutil.copyfile(sample_db, path)
    monkeypatch.setenv("PMO_METRICS_DB", str(path))
    return Store(path)


@pytest.fixture
def empty_store(tmp_path, monkeypatch) -> Store:
    """Return an empty database (and point $PMO_METRICS_DB at it)."""
    path = tmp_path / "empty.duckdb"
    monkeypatch.setenv("PMO_METRICS_DB", str(path))
    return Store(path)


def open_app(page: str | None = None) -> AppTest:
    """Return an AppTest of the router that has run once, switched to `page` (e.g. 'views/kpis.py') if given."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    if page:
        at.switch_page(page).run()
    return at


def assert_clean(at: AppTest) -> None:
    """Fail on any exception or error message shown by the app."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def frame_with(at: AppTest, *columns: str):
    """Return the first table shown whose columns include all of `columns` (AppTest tables carry no key)."""
    for element in at.dataframe:
        if set(columns) <= set(element.value.columns):
            return element.value
    raise AssertionError(f"no table with columns {columns}")


@pytest.fixture()
def sample_calls(monkeypatch):
    """Return the stores the first-start sample load was asked for (the load itself faked)."""
    calls = []

    def fake_sample(store, progress):
        calls.append(store.path)
        progress(1.0, "done")

    monkeypatch.delenv("PMO_METRICS_NO_SAMPLE")
    monkeypatch.setattr(ingest_module, "load_sample", fake_sample)  # what actions.load_sample calls
    return calls
