"""The SQL you read is the SQL that runs (issue: house in order): each query file's `{source}`
placeholders are bound by one function to the macro that serves the rows, with no other change to
the text; and PMO_METRICS_DEBUG logs the final SQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pmo_metrics import measures

QUERIES = sorted(path.stem for path in (measures.SQL_DIR / "queries").glob("*.sql"))


@pytest.mark.parametrize("name", QUERIES)
def test_binding_changes_only_the_placeholders(name):
    text = (measures.SQL_DIR / "queries" / f"{name}.sql").read_text(encoding="utf-8")
    for month_rows in (True, False):
        bound = measures.bind_query(name, month_rows)
        expected = text
        for source in measures.row_sources(name):
            macro = f"month_rows_{source}" if month_rows and source != "kpi_rows" else source
            expected = expected.replace("{" + source + "}", macro)
        assert bound == expected
        assert "{" not in bound  # every placeholder bound


def test_a_given_table_binds_its_own_macro():
    bound = measures.bind_query("objectives", True, {"benefit_rows"})
    assert "given_benefit_rows(" in bound and "month_rows_benefit_rows(" not in bound


def test_every_placeholder_is_a_known_row_source():
    for name in QUERIES:
        text = measures.bind_query(name, False)
        for source in measures.ROW_SOURCES:
            assert "{" + source + "}" not in text


def test_the_measures_module_rewrites_no_sql():
    code = Path(measures.__file__).read_text(encoding="utf-8")
    assert "re.sub" not in code and ".sub(" not in code
    assert "READ_KEPT_ROWS" not in code


def test_debug_logs_the_sql_that_runs(tmp_path):
    script = (
        "import datetime as dt\n"
        "from pmo_metrics.ingest import load_sample\n"
        "from pmo_metrics.store import Store\n"
        "from pmo_metrics import measures\n"
        f"store = Store({str(tmp_path / 'pmo.duckdb')!r})\n"
        "load_sample(store)\n"
        "measures.measure_table(store, 'benefits', store.reporting_months()[0])\n"
    )
    env = {**os.environ, "PMO_METRICS_DEBUG": "1", "PMO_METRICS_NO_SAMPLE": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                          check=True)
    assert "-- benefits" in done.stderr
    assert "FROM month_rows_benefit_rows($as_of" in done.stderr or "FROM benefit_rows($as_of" in done.stderr
    assert "-- parameters: {" in done.stderr and "'as_of': datetime.date(" in done.stderr
