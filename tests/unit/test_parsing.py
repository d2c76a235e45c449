"""Forgiving parsing of SPEC §2: every accepted style reads to the right value; the rest to None."""

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_metrics.parsing import PARSE_NUMBER_MACRO, parse_date_text, parse_period_text, serial_to_date


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute(PARSE_NUMBER_MACRO)
    yield connection
    connection.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1200", 1200.0),
        ("£12,500", 12500.0),
        ("$1,234.50", 1234.5),
        ("€ 99", 99.0),
        ("GBP 1,000", 1000.0),
        ("1 000 EUR", 1000.0),
        ("(1,200)", -1200.0),
        ("(£1,200.50)", -1200.5),
        ("-£300", -300.0),
        ("300-", -300.0),
        ("85%", 0.85),
        ("(5%)", -0.05),
        ("1'000", 1000.0),
        ("  42 ", 42.0),
        ("1e3", 1000.0),
        ("1\u00a0500", 1500.0),
    ],
)
def test_numbers_as_text_parse(con, text, expected):
    assert con.execute("SELECT parse_number(?)", [text]).fetchall()[0][0] == pytest.approx(expected)


@pytest.mark.parametrize("text", ["abc", "12abc", "1.200,50", "", "N/A", "1.2.3", "£", "nan", "NaN", "inf",
                                  "-Infinity", "(inf)", "inf%", "1e400", "1" + "0" * 400])
def test_unreadable_numbers_are_null_not_zero(con, text):
    assert con.execute("SELECT parse_number(?)", [text]).fetchall()[0][0] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10", dt.date(2026, 10, 1)),
        ("Oct-26", dt.date(2026, 10, 1)),
        ("Oct 2026", dt.date(2026, 10, 1)),
        ("October 2026", dt.date(2026, 10, 1)),
        ("oct 2026", dt.date(2026, 10, 1)),
        ("Sept 2026", dt.date(2026, 9, 1)),
        ("31/10/2026", dt.date(2026, 10, 1)),  # day first
        ("01/10/2026", dt.date(2026, 10, 1)),  # 1 October, not 10 January
        ("2026-10-15", dt.date(2026, 10, 1)),
        ("2026-10-15 00:00:00", dt.date(2026, 10, 1)),
        ("46296", dt.date(2026, 10, 1)),  # Excel serial of 2026-10-01
        ("202610", dt.date(2026, 10, 1)),
    ],
)
def test_periods_normalise_to_their_calendar_month(text, expected):
    assert parse_period_text(text) == expected


@pytest.mark.parametrize("text", ["13/13/2026", "x", "", "2026-13", "0"])
def test_unreadable_periods_are_none(text):
    assert parse_period_text(text) is None


def test_day_first_dates_keep_the_day():
    assert parse_date_text("05/03/2026") == dt.date(2026, 3, 5)


def test_excel_serials_follow_excels_epoch():
    assert serial_to_date(61) == dt.date(1900, 3, 1)  # Excel's first serial after its 1900 leap-day bug
    assert serial_to_date(45658) == dt.date(2025, 1, 1)
    assert serial_to_date(0) is None


@given(st.integers(0, 10000), st.integers(0, 99), st.one_of(st.none(), st.integers(0, 99)))
def test_the_iso_shortcut_agrees_with_trying_every_format(year, month, day):
    from pmo_metrics.parsing import _DATE_FORMATS, _MONTH_FORMATS, _strptime

    text = f"{year:04d}-{month}" + ("" if day is None else f"-{day}")
    assert parse_date_text(text) == (_strptime(text, _DATE_FORMATS) or _strptime(text, _MONTH_FORMATS))


@settings(deadline=None)  # each example opens DuckDB: slow on a busy machine, not wrong
@given(st.one_of(st.from_regex(r"\A-?[0-9]{1,12}(\.[0-9]{1,6})?\Z"),
                 st.from_regex(r"\A[£$€¥₹]?[0-9]{1,4}(,[0-9]{2,4}){0,5}(\.[0-9]{1,3})?\Z"),
                 st.text(alphabet="0123456789.-,() %£$eE", max_size=12)))
def test_the_plain_decimal_and_grouped_amount_shortcuts_agree_with_the_full_rules(text):
    con = duckdb.connect()
    con.execute(PARSE_NUMBER_MACRO)
    fast, full = con.execute("SELECT parse_number(?), parse_number_text(?)", [text, text]).fetchall()[0]
    assert fast == full


@settings(deadline=None)
@given(markers=st.lists(st.text(alphabet="abn/x-0£ *.", min_size=1, max_size=6), min_size=1, max_size=3),
       text=st.one_of(st.from_regex(r"\A-?[0-9]{1,12}(\.[0-9]{1,3})?\Z"),
                      st.from_regex(r"\A[£$€¥₹]?[0-9]{1,3}(,[0-9]{3}){0,3}(\.[0-9]{1,2})?\Z"),
                      st.text(alphabet="0123456789.-,£abn/x ", max_size=8)))
def test_a_plain_number_skips_the_marker_test_only_when_no_marker_could_match_it(markers, text):
    """validate.py spares text that is plainly a number the withheld-marker test unless a marker
    may look like a number: then no plain number is ever a marker."""
    from pmo_metrics.parsing import PLAIN_NUMBER_RE, markers_may_look_numeric, withheld_pattern

    setting = ", ".join(markers)
    if markers_may_look_numeric(setting):
        return
    con = duckdb.connect()
    plain, marker = con.execute(
        "SELECT regexp_full_match(?, ?), regexp_matches(lower(regexp_replace(?, '\\s+', ' ', 'g')), ?)",
        [text, PLAIN_NUMBER_RE, text, withheld_pattern(setting)]).fetchall()[0]
    assert not (plain and marker)


def test_markers_that_may_look_like_numbers():
    from pmo_metrics.parsing import markers_may_look_numeric
    from pmo_metrics.settings import Settings

    assert not markers_may_look_numeric(Settings().withheld_markers)
    assert markers_may_look_numeric("n/a, 0*")
    assert markers_may_look_numeric("-")
    assert markers_may_look_numeric("£ withheld")
