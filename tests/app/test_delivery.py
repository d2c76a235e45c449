"""Delivery page: quadrant, roll-up, S-curve and table on the sample; empty state; project choice."""

from tests.app.conftest import assert_clean, open_app


def test_delivery_on_the_sample(sample_store):
    at = open_app("views/delivery.py")
    assert_clean(at)
    assert len(at.get("vega_lite_chart")) == 4  # roll-up, quadrant, S-curve, rating trend
    assert "This month's moves" in "".join(m.value for m in at.markdown)
    # the sample's October: B2B Online Marketplace is rated for the first time (SPEC §8.3)
    assert any("B2B Online Marketplace" in t.value for t in at.text)
    table = at.dataframe[0].value
    assert {"cpi", "spi", "eac", "rag"} <= set(table.columns)
    assert set(table["rag"].dropna()) <= {"Green · on track", "Amber · watch", "Red · off track", "Not rated"}
    at.selectbox(key="delivery_project").set_value("CG-003").run()
    assert_clean(at)
    assert "CPI **" in "".join(m.value for m in at.markdown)


def test_delivery_follows_the_portfolio_filter(sample_store):
    at = open_app("views/delivery.py")
    everything = len(at.dataframe[0].value)
    at.sidebar.selectbox[1].select_index(1).run()
    assert_clean(at)
    assert 0 < len(at.dataframe[0].value) < everything


def test_delivery_on_an_empty_database(empty_store):
    at = open_app("views/delivery.py")
    assert_clean(at)
    assert at.info and not at.dataframe
