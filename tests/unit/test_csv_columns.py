"""The CSV reader's columns: what the per-cell loop they replaced gave, for any records."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_metrics.readers.csvfile import _columns

CELLS = st.text(alphabet=st.sampled_from(["a", "1", " ", "\t", "\u00a0", "\u2003", "\x1c", "£", ","]), max_size=4)


def _by_loop(records: list[list[str]], width: int) -> list[list[str | None]]:
    out = []
    for position in range(width):
        values = [(record[position] if position < len(record) else None) for record in records]
        out.append([v if v is not None and v.strip() != "" else None for v in values])
    return out


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 4).flatmap(lambda width: st.tuples(
    st.just(width), st.lists(st.lists(CELLS, min_size=0, max_size=width + 2), max_size=8))))
def test_columns_match_the_cell_by_cell_rules(case):
    width, records = case
    assert [column.to_pylist() for column in _columns(records, width)] == _by_loop(records, width)
