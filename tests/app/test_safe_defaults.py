"""Safe defaults in the app: the first-start sample only for an uploader; a busy database says so."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import pytest

from pmo_metrics import store as store_module
from pmo_metrics.ingest import ingest
from pmo_metrics.store import Store
from tests.app.conftest import open_app
from tests.app.test_access import SUBMITTER, VIEWER, signed_in
from tests.factories import make_workbook
from tests.unit.test_safe_defaults import HOLD


def test_a_viewers_first_visit_writes_nothing(empty_store, sample_calls):
    at = signed_in(VIEWER)
    assert not at.exception
    assert sample_calls == []
    assert empty_store.uploads().num_rows == 0
    assert any("no data yet" in i.value for i in at.info)  # and the viewer is told to ask the PMO


def test_a_submitters_first_visit_loads_the_sample(empty_store, sample_calls):
    at = signed_in(SUBMITTER)
    assert not at.exception
    assert sample_calls == [empty_store.path]


def test_the_real_sample_loads_on_first_start_in_local_mode(empty_store, monkeypatch):
    monkeypatch.delenv("PMO_METRICS_NO_SAMPLE")
    at = open_app()
    assert not at.exception and not at.error
    assert len(empty_store.query("SELECT DISTINCT batch_id FROM uploads WHERE status = 'loaded'")) == 1


@pytest.fixture()
def loaded_db(tmp_path, monkeypatch):
    """A database holding one return, the app pointed at it and its busy wait short."""
    path = tmp_path / "pmo.duckdb"
    store = Store(path)
    ingest(store, [("2026-10 a.xlsx", make_workbook())])
    store.close()
    monkeypatch.setenv("PMO_METRICS_DB", str(path))
    monkeypatch.setattr(store_module, "BUSY_WAIT_SECONDS", 0.5)
    return path


@contextlib.contextmanager
def held_by_another_program(path):
    """Hold the database file from another process, as a command-line load does while it runs."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield
    finally:
        holder.kill()
        holder.wait()


def test_a_database_another_program_holds_says_busy_not_no_data(loaded_db):
    with held_by_another_program(loaded_db):
        at = open_app()
    assert not at.exception
    assert any("busy" in w.value and "try again" in w.value for w in at.warning), [w.value for w in at.warning]
    shown = [i.value for i in at.info] + [e.value for e in at.error] + [m.value for m in at.markdown]
    assert not any("no data" in text.lower() for text in shown), shown


def test_while_another_program_holds_the_database_the_pages_show_what_was_read_before(loaded_db):
    """A command-line load holds the file for its whole run. A page read before it began is drawn again at
    once from what was read then, saying so; one never read waits for the load instead of mixing figures
    from before and after it."""
    from pmo_metrics.ui import data

    before = open_app()
    assert not before.exception and not before.error
    tiles = [m.value for m in before.metric]
    data.get_store().close()  # idle, as the dashboard is between views, so a load can take the file
    with held_by_another_program(loaded_db):
        during = open_app()
        upload = open_app()
        upload.switch_page("views/upload.py").run()
    assert not during.exception and not during.warning, [w.value for w in during.warning]
    assert any("load is running in another program" in i.value for i in during.info), [i.value for i in during.info]
    assert [m.value for m in during.metric] == tiles and tiles
    assert not upload.exception
    assert any("a load running in another program holds until it ends" in e.value for e in upload.error)
