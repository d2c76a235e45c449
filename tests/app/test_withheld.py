"""Withheld values are marked where their figures are shown (SPEC §7.3): a count under the tables."""

from pmo_metrics.ingest import ingest
from tests.annual_portfolio import releases
from tests.app.conftest import assert_clean, open_app


def test_the_delivery_page_counts_the_withheld_values(empty_store):
    empty_store.set_setting("fiscal_year_start_month", "4")
    first = releases()[0]
    assert ingest(empty_store, [(first.name, first.workbook)]).ok
    at = open_app("views/delivery.py")
    assert_clean(at)
    notes = [c.value for c in at.caption if "withheld in the returns" in c.value]
    assert notes and f"{len(first.withheld_bac) + first.withheld_actual:,} values withheld" in notes[0]
    table = next(df.value for df in at.dataframe if "withheld" in df.value.columns)
    assert int(table["withheld"].sum()) == len(first.withheld_bac) + first.withheld_actual
