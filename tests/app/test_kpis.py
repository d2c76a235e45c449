"""KPI page: bullet chart and variances per window; empty state."""

from tests.app.conftest import assert_clean, open_app


def test_kpis_on_the_sample(sample_store):
    at = open_app("views/kpis.py")
    assert_clean(at)
    month = at.dataframe[0].value
    assert {"var_budget", "var_target_pct", "attainment"} <= set(month.columns)
    at.get("button_group")[0].set_value("year").run()
    assert_clean(at)
    year = at.dataframe[0].value
    assert not year["actual"].equals(month["actual"])  # year to date differs from the month


def test_kpis_on_an_empty_database(empty_store):
    at = open_app("views/kpis.py")
    assert_clean(at)
    assert at.info
