"""Shared fixtures: a fresh store per test, never the user's database."""

import pytest

from pmo_metrics.store import Store


@pytest.fixture
def store(tmp_path, monkeypatch):
    """Return an empty store in a temporary directory (and point $PMO_METRICS_DB at it)."""
    path = tmp_path / "pmo.duckdb"
    monkeypatch.setenv("PMO_METRICS_DB", str(path))
    return Store(path)
