"""Uploads are serialised by content (SPEC §6 durability): one file sent twice at once loads once.

Both loads pass `check` before either stores anything (the barrier below holds each until the
other has checked too), which is exactly when a duplicate check made outside the write lock
lets both through.
"""

import threading

import pytest

from pmo_metrics import ingest as ingest_module
from pmo_metrics import upload_report as logic
from pmo_metrics.access import User
from pmo_metrics.ingest import ingest
from pmo_metrics.store import Store
from tests.factories import make_workbook

SUBMITTER = User("sub@example.com", "submitter")


def _both_checked_first(monkeypatch) -> None:
    """Make each load wait, after its check and before storing, until the other has checked too."""
    barrier = threading.Barrier(2, timeout=60)
    checked = ingest_module.check

    def check_then_wait(*args, **kwargs):
        outcome = checked(*args, **kwargs)
        barrier.wait()
        return outcome

    monkeypatch.setattr(ingest_module, "check", check_then_wait)


def _at_once(load) -> list:
    results, failures = [None, None], []

    def run(index):
        try:
            results[index] = load()
        except BaseException as error:  # reported below, not lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    return results


def _statuses(store: Store) -> list[str]:
    return sorted(store.query("SELECT status FROM uploads").column("status").to_pylist())


@pytest.fixture()
def store(tmp_path):
    return Store(tmp_path / "pmo.duckdb")


def test_two_ingests_of_one_file_at_once_load_it_once(store, monkeypatch):
    data = make_workbook()
    _both_checked_first(monkeypatch)
    results = _at_once(lambda: ingest(store, [("2026-10 return.xlsx", data)], user="a"))
    assert sorted(r.files[0].status for r in results) == ["duplicate", "loaded"]
    loaded = next(r.files[0] for r in results if r.files[0].status == "loaded")
    duplicate = next(r.files[0] for r in results if r.files[0].status == "duplicate")
    assert duplicate.duplicate_of == loaded.upload_id
    assert _statuses(store) == ["duplicate", "loaded"]
    projects = store.query("SELECT count(*) AS n FROM projects").column("n")[0].as_py()
    assert projects == 2  # the mini portfolio's two projects, stored once


def test_two_sessions_pressing_load_on_one_file_at_once_load_it_once(store, monkeypatch):
    data = make_workbook()
    _both_checked_first(monkeypatch)
    reports = _at_once(lambda: logic.run_load(store, [("2026-10 return.xlsx", data)], "2026-10", user=SUBMITTER))
    assert all(r.ok for r in reports)
    assert sorted(r.summary["status"].iloc[0] for r in reports) == ["duplicate", "loaded"]
    assert any(r.message.startswith("Nothing new") for r in reports)
    assert _statuses(store) == ["duplicate", "loaded"]
    # Voiding the one load leaves nothing of the file counting.
    upload_id = store.query("SELECT upload_id FROM uploads WHERE status = 'loaded'").column(0)[0].as_py()
    store.void(upload_id, user="pmo")
    assert store.is_empty()


def test_a_batch_holding_one_file_twice_stores_it_once(store):
    data = make_workbook()
    result = ingest(store, [("2026-10 a.xlsx", data), ("2026-10 b.xlsx", data)], user="a")
    assert [f.status for f in result.files] == ["loaded", "duplicate"]
    assert result.files[1].duplicate_of == result.files[0].upload_id
