"""The Upload page's reports say which files and choices they were made with (a stale one is dropped)."""

from pmo_metrics.upload_report import fingerprint, run_check
from tests.factories import make_workbook

CHOICES = {"mode": "incremental", "complete": True, "units": "millions", "mapping": None, "rebaseline": None}


def test_a_check_carries_the_fingerprint_of_its_files_and_choices(store):
    files = [("2026-10 return.xlsx", make_workbook())]
    report = run_check(store, files, "", {}, **CHOICES)
    assert report.fingerprint == fingerprint(files, "", {}, CHOICES)
    assert report.fingerprint != fingerprint(files, "", {}, {**CHOICES, "mode": "full"})


def test_a_refused_month_carries_the_same_fingerprint(store):
    """Regression: a refusal was made without the choices, so the page took it for stale and hid it."""
    files = [("return.xlsx", make_workbook())]
    report = run_check(store, files, "not a month", {}, **CHOICES)
    assert not report.ok and report.message
    assert report.fingerprint == fingerprint(files, "not a month", {}, CHOICES)
