"""Every C0 control character in a name is refused at the door or reaches every export safely (issue 13).

A vertical tab (what a pasted Word line break becomes) once made the chart renderer panic while the
board pack was built, for every user, until the upload was voided.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pmo_metrics.exports import FORMATS, build_scorecard, render_scorecard
from pmo_metrics.ingest import ingest
from tests.factories import default_rows, make_csv, make_workbook

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("code", range(0x20))
def test_each_c0_character_in_a_name_is_refused_or_every_export_builds(store, code):
    char = chr(code)
    rows = default_rows("Projects")
    rows[0]["project_name"] = f"Billing{char}platform"
    rows[1]["programme"] = f"Service{char}desk"
    assert ingest(store, [("2026-10 return.xlsx", make_workbook())]).ok
    # A CSV carries the raw character (a workbook stores it as an _x000B_ escape, tested elsewhere).
    result = ingest(store, [("2026-10 Projects.csv", make_csv(rows))])
    if not result.ok:
        # Refused with its reasons (a NUL refuses the whole CSV; a bare CR ends a CSV line), storing nothing.
        assert all(p.file for f in result.files for p in f.problems)
        names = store.query("SELECT project_name FROM projects").column(0).to_pylist()
        assert not any(char in name for name in names)
        return
    assert char in "\t\n\r"  # only line characters are allowed in free text
    card = build_scorecard(store, dt.date(2026, 10, 1))
    for fmt in FORMATS:
        assert render_scorecard(card, fmt)
