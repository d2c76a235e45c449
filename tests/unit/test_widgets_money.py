"""The product's one money format (SPEC §7.4, §11): pages, tiles, tables, charts and the PDF."""

import pytest

from pmo_metrics.display import money, money_exact
from pmo_metrics.ui.widgets import money as page_money


@pytest.mark.parametrize(("value", "currency", "text"), [
    (950, "GBP", "£950"),
    (12_400, "GBP", "£12.4k"),
    (13_190_000, "GBP", "£13.2m"),
    (519_000_000_000, "GBP", "£519bn"),
    (4_400_000, "GBP", "£4.40m"),
    (138_450_000, "GBP", "£138m"),
    (-877_850_000, "GBP", "−£878m"),
    (-120_000, "USD", "−$120k"),
    (1_250, "EUR", "€1.25k"),
    (2_500_000, "CHF", "CHF 2.50m"),
    (999_999, "GBP", "£1.00m"),   # rounds up into the next unit, not "£1,000k"
    (999.6, "GBP", "£1.00k"),
    (12.49, "GBP", "£12"),        # no pence anywhere
    (-0.2, "GBP", "£0"),          # no "−0"
    (1_234_000_000_000, "GBP", "£1,234bn"),
    (5_000, None, "5.00k"),
])
def test_one_money_format(value, currency, text):
    assert money(value, currency) == text
    assert page_money(value, currency) == text


def test_exact_amounts_for_tooltips_and_help():
    assert money_exact(12_345_678.4, "GBP") == "£12,345,678"
    assert money_exact(-950, "USD") == "−$950"


@pytest.mark.parametrize("value", [None, float("nan"), float("inf"), "12"])
def test_an_amount_that_is_not_a_number_is_a_dash(value):
    assert money(value) == "—"


@pytest.mark.parametrize(("value", "shown"), [(9_996, "£10.0k"), (99_970, "£100k"), (99_949, "£99.9k"),
                                              (99.97e6, "£100m"), (99.97e9, "£100bn")])
def test_three_digits_after_rounding_at_a_decade(value, shown):
    """Regression: decimals came from the value before rounding, so 9,996 printed £10.00k."""
    assert money(value) == shown
