"""The compact amounts of the pages and tiles (pmo_metrics/ui/widgets.money)."""

import pytest

from pmo_metrics.ui.widgets import money


@pytest.mark.parametrize(("value", "board", "tile"), [
    (4_400_000, "GBP 4.40m", "GBP 4.40m"),
    (13_190_000, "GBP 13.19m", "GBP 13.2m"),
    (138_450_000, "GBP 138.45m", "GBP 138m"),
    (-877_850_000, "GBP −877.85m", "GBP −878m"),
    (10_690_000_000, "GBP 10.69bn", "GBP 10.7bn"),
    (-120_000, "GBP −120.00k", "GBP −120k"),
    (950, "GBP 950", "GBP 950"),
    (999_999, "GBP 1.00m", "GBP 1.00m"),  # rounds up into the next unit, not "1,000.00k"
    (999.6, "GBP 1.00k", "GBP 1.00k"),
    (-0.2, "GBP 0", "GBP 0"),  # no "−0"
])
def test_amounts_are_compact_and_a_tile_keeps_three_significant_digits(value, board, tile):
    assert money(value) == board
    assert money(value, "GBP", significant=3) == tile
    assert len(money(value, "GBP", significant=3)) <= len("GBP −878m") or abs(value) >= 1e9


@pytest.mark.parametrize("value", [None, float("nan"), float("inf"), "12"])
def test_an_amount_that_is_not_a_number_is_a_dash(value):
    assert money(value) == "—"
