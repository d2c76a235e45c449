"""Competitive advantage page: benchmarks and sustained value; empty state."""

from tests.app.conftest import assert_clean, frame_with, open_app


def test_advantage_on_the_sample(sample_store):
    at = open_app("views/advantage.py")
    assert_clean(at)
    bench = frame_with(at, "position", "gap_to_median")
    assert set(bench["position"]) <= {"top quartile", "above median", "below median"}
    sustained = frame_with(at, "sustained", "sustained_value")
    assert set(sustained["sustained"].dropna()) <= {"Sustained", "Not sustained", "Too early to tell"}


def test_advantage_in_an_earlier_month(sample_store):
    at = open_app("views/advantage.py")
    at.sidebar.selectbox[0].select_index(6).run()  # the first month: fewer ended projects
    assert_clean(at)


def test_advantage_on_an_empty_database(empty_store):
    at = open_app("views/advantage.py")
    assert_clean(at)
    assert at.info
